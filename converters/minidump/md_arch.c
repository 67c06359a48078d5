/* CPU architectures: which context a report's registers go into, and where each of KSCrash's
 * register names lands in it (KSCrash's `registers.basic` names per CPU, see
 * kscrash-format.md 2.3). */
#include "md_internal.h"

#define ARM64_X(n) {"x" #n, (uint16_t)(8 + 8 * (n)), 8}
static const md_reg_desc arm64_regs[] = {
	ARM64_X(0), ARM64_X(1), ARM64_X(2), ARM64_X(3), ARM64_X(4), ARM64_X(5), ARM64_X(6),
	ARM64_X(7), ARM64_X(8), ARM64_X(9), ARM64_X(10), ARM64_X(11), ARM64_X(12), ARM64_X(13),
	ARM64_X(14), ARM64_X(15), ARM64_X(16), ARM64_X(17), ARM64_X(18), ARM64_X(19),
	ARM64_X(20), ARM64_X(21), ARM64_X(22), ARM64_X(23), ARM64_X(24), ARM64_X(25),
	ARM64_X(26), ARM64_X(27), ARM64_X(28),
	{"fp", 240, 8}, {"lr", 248, 8}, {"sp", 256, 8}, {"pc", 264, 8}, {"cpsr", 4, 4},
	/* aliases */
	{"x29", 240, 8}, {"x30", 248, 8},
};

#define AMD64_R(name, off) {name, off, 8}
static const md_reg_desc amd64_regs[] = {
	AMD64_R("rax", 120), AMD64_R("rcx", 128), AMD64_R("rdx", 136), AMD64_R("rbx", 144),
	AMD64_R("rsp", 152), AMD64_R("rbp", 160), AMD64_R("rsi", 168), AMD64_R("rdi", 176),
	AMD64_R("r8", 184), AMD64_R("r9", 192), AMD64_R("r10", 200), AMD64_R("r11", 208),
	AMD64_R("r12", 216), AMD64_R("r13", 224), AMD64_R("r14", 232), AMD64_R("r15", 240),
	AMD64_R("rip", 248), {"rflags", 68, 4}, {"cs", 56, 2}, {"fs", 62, 2}, {"gs", 64, 2},
};

#define ARM_R(n) {"r" #n, (uint16_t)(4 + 4 * (n)), 4}
static const md_reg_desc arm_regs[] = {
	ARM_R(0), ARM_R(1), ARM_R(2), ARM_R(3), ARM_R(4), ARM_R(5), ARM_R(6), ARM_R(7),
	ARM_R(8), ARM_R(9), ARM_R(10), ARM_R(11), {"ip", 52, 4}, {"sp", 56, 4}, {"lr", 60, 4},
	{"pc", 64, 4}, {"cpsr", 68, 4},
	/* aliases */
	{"r12", 52, 4}, {"r13", 56, 4}, {"r14", 60, 4}, {"r15", 64, 4}, {"fp", 32, 4},
};

static const md_reg_desc x86_regs[] = {
	{"eax", 176, 4}, {"ebx", 164, 4}, {"ecx", 172, 4}, {"edx", 168, 4}, {"edi", 156, 4},
	{"esi", 160, 4}, {"ebp", 180, 4}, {"esp", 196, 4}, {"ss", 200, 4}, {"eflags", 192, 4},
	{"eip", 184, 4}, {"cs", 188, 4}, {"ds", 152, 4}, {"es", 148, 4}, {"fs", 144, 4},
	{"gs", 140, 4},
};

static const md_arch arches[] = {
	{MDA_ARM64, MD_CPU_ARM64, 8, true, sizeof(md_context_arm64), MD_CONTEXT_ARM64_FULL, 0,
	 arm64_regs, 34, CRP_ARRAY_LEN(arm64_regs), 32, 31, 29, 30},
	{MDA_AMD64, MD_CPU_AMD64, 8, false, sizeof(md_context_amd64), MD_CONTEXT_AMD64_FULL, 48,
	 amd64_regs, CRP_ARRAY_LEN(amd64_regs), CRP_ARRAY_LEN(amd64_regs), 16, 4, 5, -1},
	/* iOS ARM: r7 is the frame pointer (Breakpad walks it only when the OS is iOS) */
	{MDA_ARM, MD_CPU_ARM, 4, true, sizeof(md_context_arm), MD_CONTEXT_ARM_FULL, 0, arm_regs,
	 17, CRP_ARRAY_LEN(arm_regs), 15, 13, 7, 14},
	{MDA_X86, MD_CPU_X86, 4, false, sizeof(md_context_x86), MD_CONTEXT_X86_FULL, 0, x86_regs,
	 CRP_ARRAY_LEN(x86_regs), CRP_ARRAY_LEN(x86_regs), 10, 7, 6, -1},
};

_Static_assert(CRP_ARRAY_LEN(arm64_regs) <= MD_MAX_SLOTS, "slots");
_Static_assert(CRP_ARRAY_LEN(arm_regs) <= MD_MAX_SLOTS, "slots");

static const md_arch *arch_of(md_arch_kind k)
{
	for (size_t i = 0; i < CRP_ARRAY_LEN(arches); i++)
		if (arches[i].kind == k)
			return &arches[i];
	return NULL;
}

/* Mach-O cpu_type values. */
#define CPU_X86 7
#define CPU_ARM 12
#define CPU_ABI64 0x01000000

static md_arch_kind from_cpu_type(int32_t type)
{
	switch (type) {
	case CPU_X86: return MDA_X86;
	case CPU_X86 | CPU_ABI64: return MDA_AMD64;
	case CPU_ARM: return MDA_ARM;
	case CPU_ARM | CPU_ABI64: return MDA_ARM64;
	default: return MDA_NONE;
	}
}

static bool has_reg(const crp_thread *t, const char *name)
{
	const crp_regset *rs = &t->registers.basic;
	if (!CRP_HAS(t, CRP_THREAD_REGISTERS) || !CRP_HAS(&t->registers, CRP_REGISTERS_BASIC))
		return false;
	for (size_t i = 0; i < rs->count; i++)
		if (strcmp(rs->regs[i].name, name) == 0)
			return true;
	return false;
}

/* The registers decide when there are any: the context must hold them. */
static md_arch_kind from_registers(const crp_thread *const *threads, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const crp_thread *t = threads[i];
		if (has_reg(t, "x0") || has_reg(t, "x29"))
			return MDA_ARM64;
		if (has_reg(t, "rip") || has_reg(t, "rax"))
			return MDA_AMD64;
		if (has_reg(t, "eip") || has_reg(t, "eax"))
			return MDA_X86;
		if (has_reg(t, "r0") || has_reg(t, "r7"))
			return MDA_ARM;
	}
	return MDA_NONE;
}

static md_arch_kind from_images(const crp_report *r)
{
	const crp_image *main = crp_report_main_image(r);
	size_t n;
	const crp_image *imgs = crp_report_images(r, &n);
	if (main && CRP_HAS(main, CRP_IMAGE_CPU_TYPE) && from_cpu_type(main->cpu_type))
		return from_cpu_type(main->cpu_type);
	for (size_t i = 0; i < n; i++)
		if (CRP_HAS(&imgs[i], CRP_IMAGE_CPU_TYPE) && from_cpu_type(imgs[i].cpu_type))
			return from_cpu_type(imgs[i].cpu_type);
	return MDA_NONE;
}

static md_arch_kind from_system(const crp_system *s)
{
	if (CRP_HAS(s, CRP_SYSTEM_BINARY_CPU_TYPE) && from_cpu_type(s->binary_cpu_type))
		return from_cpu_type(s->binary_cpu_type);
	if (CRP_HAS(s, CRP_SYSTEM_CPU_ARCH) && s->cpu_arch) {
		if (strncmp(s->cpu_arch, "arm64", 5) == 0)
			return MDA_ARM64;
		if (strncmp(s->cpu_arch, "armv", 4) == 0)
			return MDA_ARM;
		if (strcmp(s->cpu_arch, "x86_64") == 0)
			return MDA_AMD64;
	}
	/* the hardware type last: an x86_64 process on Intel reports "x86" / 7 here */
	if (CRP_HAS(s, CRP_SYSTEM_CPU_TYPE) && from_cpu_type(s->cpu_type))
		return from_cpu_type(s->cpu_type);
	return MDA_NONE;
}

const md_arch *crp__md_arch_detect(const crp_report *sys, const crp_report *img,
				   const crp_thread *const *threads, size_t n)
{
	md_arch_kind k = from_registers(threads, n);
	if (k == MDA_NONE)
		k = from_system(crp_report_system(sys));
	if (k == MDA_NONE)
		k = from_images(img);
	if (k == MDA_NONE && n > 0)
		k = MDA_ARM64; /* threads need some context: assume today's iOS */
	return arch_of(k);
}

/* An alias names the same bytes as one canonical slot. */
static size_t canonical_slot(const md_arch *a, size_t s)
{
	for (size_t i = 0; s >= a->nregs && i < a->nregs; i++)
		if (a->regs[i].off == a->regs[s].off)
			return i;
	return s;
}

/* The table entry called `name` (names are unique in a table), or nnames. The search starts
 * at `hint` and wraps around, so a good hint costs one string compare. */
static size_t find_name(const md_arch *a, const char *name, size_t hint)
{
	for (size_t k = 0, s = hint % a->nnames; k < a->nnames; k++, s = s + 1 < a->nnames ? s + 1 : 0)
		if (strcmp(name, a->regs[s].name) == 0)
			return s;
	return a->nnames;
}

bool crp__md_regs_read(const md_arch *a, const crp_thread *t, md_regs *out, md_reg_order *order)
{
	memset(out, 0, sizeof *out);
	if (!CRP_HAS(t, CRP_THREAD_REGISTERS) || !CRP_HAS(&t->registers, CRP_REGISTERS_BASIC))
		return false;
	const crp_regset *rs = &t->registers.basic;
	size_t next = 0; /* without a memo: the entry after the previous match */
	for (size_t i = 0; i < rs->count; i++) {
		uint8_t *memo = i < MD_ORDER_MEMO ? &order->entry[i] : NULL;
		size_t s = find_name(a, rs->regs[i].name, memo && *memo != 0xFF ? *memo : next);
		if (memo)
			*memo = s < a->nnames ? (uint8_t)s : 0xFF;
		if (s == a->nnames)
			continue;
		next = s + 1;
		size_t slot = canonical_slot(a, s);
		if (!(out->have & (UINT64_C(1) << slot))) {
			out->v[slot] = rs->regs[i].value;
			out->have |= UINT64_C(1) << slot;
		}
	}
	return out->have != 0;
}

void crp__md_context(const md_arch *a, const md_regs *regs, uint8_t *buf)
{
	memset(buf, 0, a->context_size);
	md_put32(buf + a->flags_off, a->context_flags);
	for (size_t s = 0; s < a->nregs; s++) {
		uint8_t *p = buf + a->regs[s].off;
		switch (a->regs[s].width) {
		case 8: md_put64(p, regs->v[s]); break;
		case 4: md_put32(p, (uint32_t)regs->v[s]); break;
		default: md_put16(p, (uint32_t)regs->v[s]); break;
		}
	}
}
