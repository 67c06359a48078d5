/* The crashed thread's registers as Apple's .crash shows them: rows of "name: 0x..." cells in
 * Apple's order and widths for arm64, x86_64, armv7 and i386 (apple-format.md section 8), the
 * ESR decoded, and under x86 the trap lines. The translation of an .ips (layouts IOS and MACOS)
 * adds "Logical CPU" and takes the descriptions the .ips gave. */
#include "apple.h"


static const crp_register *reg(const crp_regset *rs, const char *name)
{
	for (size_t i = 0; i < rs->count; i++)
		if (strcmp(rs->regs[i].name, name) == 0)
			return &rs->regs[i];
	return NULL;
}

/* One register cell: the name right-aligned in width, ": 0x" and digits hex digits. Cells of a
 * row are written back to back; a row whose registers are all absent is left out. */
typedef struct rcell {
	const char *name;       /* KSCrash's name; NULL ends a row */
	const char *shown;      /* Apple's name */
	unsigned char width, digits;
	bool exception;         /* in registers.exception rather than registers.basic */
} rcell;

#define C(n, w, d) {n, n, w, d, false}
#define CX(n, shown, w, d) {n, shown, w, d, true}
#define END {NULL, NULL, 0, 0, false}

static const crp_register *cell_reg(const crp_thread *t, const rcell *c)
{
	return reg(c->exception ? &t->registers.exception : &t->registers.basic, c->name);
}

static bool row(ao *o, const crp_thread *t, const rcell *cells, const char *lead)
{
	bool any = false;
	for (const rcell *c = cells; c->name; c++) {
		const crp_register *r = cell_reg(t, c);
		if (!r)
			continue;
		if (!any)
			ao_str(o, lead);
		any = true;
		size_t n = strlen(c->shown);
		crp__ao_spaces(o, n < c->width ? c->width - n : 0);
		ao_str(o, c->shown);
		AO_LIT(o, ": ");
		crp__ao_hex(o, c->digits == 8 ? r->value & 0xffffffffu : r->value, c->digits);
	}
	return any;
}

/* Whether a row has any register to show. */
static bool row_present(const crp_thread *t, const rcell *cells)
{
	for (const rcell *c = cells; c->name; c++)
		if (cell_reg(t, c))
			return true;
	return false;
}

/* Rows, each ended by a newline; with no output (o NULL) only whether any would be written. */
static bool rows(ao *o, const crp_thread *t, const rcell (*table)[5], size_t n, const char *lead)
{
	bool any = false;
	for (size_t i = 0; i < n; i++) {
		if (!o) {
			any = any || row_present(t, table[i]);
		} else if (row(o, t, table[i], lead)) {
			ao_ch(o, '\n');
			any = true;
		}
	}
	return any;
}

/* What the report says of a register besides its value (.ips "description"), or NULL. */
static const char *reg_desc(const crp_thread *t, const char *apple_name)
{
	const crp_value *st = crp_extras_get(&t->extras, "threadState");
	const crp_value *d = crp_value_get(crp_value_get(st, apple_name), "description");
	return d && d->type == CRP_VALUE_STRING ? d->u.str.ptr : NULL;
}

static void esr_text(ao *o, const crp_thread *t, uint64_t esr)
{
	char b[64];
	const char *d = reg_desc(t, "esr");
	if (d) {
		ao_ch(o, ' ');
		crp__ao_text(o, d);
	} else if (crp__apple_esr_text(esr, b, sizeof b)) {
		ao_ch(o, ' ');
		ao_str(o, b);
	}
}

/* Apple's arm64 rows: x0-x27 four a row, then x28 fp lr, sp pc cpsr, far esr. */
static bool state_arm64(ao *o, const crp_thread *t)
{
	static const rcell table[][5] = {
		{C("x0", 5, 16), C("x1", 5, 16), C("x2", 5, 16), C("x3", 5, 16), END},
		{C("x4", 5, 16), C("x5", 5, 16), C("x6", 5, 16), C("x7", 5, 16), END},
		{C("x8", 5, 16), C("x9", 5, 16), C("x10", 5, 16), C("x11", 5, 16), END},
		{C("x12", 5, 16), C("x13", 5, 16), C("x14", 5, 16), C("x15", 5, 16), END},
		{C("x16", 5, 16), C("x17", 5, 16), C("x18", 5, 16), C("x19", 5, 16), END},
		{C("x20", 5, 16), C("x21", 5, 16), C("x22", 5, 16), C("x23", 5, 16), END},
		{C("x24", 5, 16), C("x25", 5, 16), C("x26", 5, 16), C("x27", 5, 16), END},
		{C("x28", 5, 16), C("fp", 5, 16), C("lr", 5, 16), END, END},
		{C("sp", 5, 16), C("pc", 5, 16), C("cpsr", 5, 8), END, END}};
	static const rcell fault[] = {CX("far", "far", 5, 16), CX("esr", "esr", 5, 8), END};
	bool any = rows(o, t, table, CRP_ARRAY_LEN(table), " ");
	if (!o)
		return any || row_present(t, fault);
	if (row(o, t, fault, " ")) {
		const crp_register *esr = reg(&t->registers.exception, "esr");
		if (esr)
			esr_text(o, t, esr->value);
		ao_ch(o, '\n');
		any = true;
	}
	return any;
}

/* The legacy layout's trap lines: the error code, worded for page faults, and the trap. */
static void x86_trap_legacy(ao *o, const crp_register *err, const crp_register *trap)
{
	if (err) {
		AO_LIT(o, "Error Code:      ");
		crp__ao_hex(o, err->value & 0xffffffffu, 8);
		if (trap && trap->value == 14) { /* page fault: the error code's bits in words */
			char b[64];
			crp__apple_pagefault_text(err->value, b, sizeof b);
			AO_LIT(o, " (");
			ao_str(o, b);
			ao_ch(o, ')');
		}
		ao_ch(o, '\n');
	}
	if (trap) {
		AO_LIT(o, "Trap Number:     ");
		crp__ao_dec(o, trap->value);
		ao_ch(o, '\n');
	}
}

/* Apple's translation: the CPU, the error code with the trap's description (a space and
 * nothing when there is none, as Apple prints it), the trap. */
static void x86_trap_translated(ao *o, const crp_thread *t, const crp_register *err, const crp_register *trap)
{
	const crp_register *cpu = reg(&t->registers.exception, "cpu");
	if (cpu) {
		AO_LIT(o, "Logical CPU:     ");
		crp__ao_dec(o, cpu->value);
		ao_ch(o, '\n');
	}
	if (err) {
		char b[72];
		const char *d = reg_desc(t, "trap");
		AO_LIT(o, "Error Code:      ");
		crp__ao_hex(o, err->value & 0xffffffffu, 8);
		ao_ch(o, ' ');
		if (d) {
			crp__ao_text(o, d);
		} else if (trap && trap->value == 14) {
			b[0] = '(';
			size_t n = crp__apple_pagefault_text(err->value, b + 1, sizeof b - 2);
			memcpy(b + 1 + n, ")", 2);
			ao_str(o, b);
		}
		ao_ch(o, '\n');
	}
	if (trap) {
		AO_LIT(o, "Trap Number:     ");
		crp__ao_dec(o, trap->value);
		ao_ch(o, '\n');
	}
}

static bool state_x86_64(ao *o, const crp_thread *t, bool translated)
{
	static const rcell table[][5] = {
		{C("rax", 5, 16), C("rbx", 5, 16), C("rcx", 5, 16), C("rdx", 5, 16), END},
		{C("rdi", 5, 16), C("rsi", 5, 16), C("rbp", 5, 16), C("rsp", 5, 16), END},
		{C("r8", 5, 16), C("r9", 5, 16), C("r10", 5, 16), C("r11", 5, 16), END},
		{C("r12", 5, 16), C("r13", 5, 16), C("r14", 5, 16), C("r15", 5, 16), END},
		{C("rip", 5, 16), {"rflags", "rfl", 5, 16, false}, CX("faultvaddr", "cr2", 5, 16), END, END}};
	bool any = rows(o, t, table, CRP_ARRAY_LEN(table), "");
	const crp_register *err = reg(&t->registers.exception, "err"), *trap = reg(&t->registers.exception, "trapno");
	if (!err && !trap)
		return any;
	if (!o) /* the trap lines alone make no block: after a title without rows they read back as
		 * header lines */
		return any;
	AO_LIT(o, "  \n");
	if (translated)
		x86_trap_translated(o, t, err, trap);
	else
		x86_trap_legacy(o, err, trap);
	return true;
}

/* Apple's armv7 rows, with their uneven widths. */
static bool state_arm(ao *o, const crp_thread *t)
{
	static const rcell table[][5] = {
		{C("r0", 6, 8), C("r1", 6, 8), C("r2", 8, 8), C("r3", 8, 8), END},
		{C("r4", 6, 8), C("r5", 6, 8), C("r6", 8, 8), C("r7", 8, 8), END},
		{C("r8", 6, 8), C("r9", 6, 8), C("r10", 8, 8), C("r11", 8, 8), END},
		{C("ip", 6, 8), C("sp", 6, 8), C("lr", 8, 8), C("pc", 8, 8), END},
		{C("cpsr", 6, 8), END, END, END, END}};
	return rows(o, t, table, CRP_ARRAY_LEN(table), "");
}

static bool state_x86(ao *o, const crp_thread *t)
{
	static const rcell table[][5] = {
		{C("eax", 5, 8), C("ebx", 5, 8), C("ecx", 5, 8), C("edx", 5, 8), END},
		{C("edi", 5, 8), C("esi", 5, 8), C("ebp", 5, 8), C("esp", 5, 8), END},
		{C("ss", 5, 8), {"eflags", "efl", 5, 8, false}, C("eip", 5, 8), C("cs", 5, 8), END},
		{C("ds", 5, 8), C("es", 5, 8), C("fs", 5, 8), C("gs", 5, 8), END},
		{CX("faultvaddr", "cr2", 5, 8), END, END, END, END}};
	return rows(o, t, table, CRP_ARRAY_LEN(table), "");
}

#undef C
#undef CX
#undef END

/* The rows of the report's CPU; with no output (o NULL) only whether there are any. */
static bool cpu_state(ao *o, const apple_facts *f, const crp_thread *t, bool translated)
{
	switch (f->cpu) {
	case APPLE_CPU_ARM64: return state_arm64(o, t);
	case APPLE_CPU_X86_64: return state_x86_64(o, t, translated);
	case APPLE_CPU_ARM: return state_arm(o, t);
	case APPLE_CPU_X86: return state_x86(o, t);
	default: return false;
	}
}

void crp__apple_thread_state(ao *o, const apple_facts *f, const crp_thread *t, size_t number, bool translated)
{
	static const char *const titles[] = {NULL, "ARM Thread State (32-bit)", "ARM Thread State (64-bit)",
					     "X86 Thread State (32-bit)", "X86 Thread State (64-bit)"};
	if (!t || !CRP_HAS(t, CRP_THREAD_REGISTERS) || !t->registers.basic.count || !titles[f->cpu])
		return;
	/* registers only of another CPU (the report's own have no rows for them): no block, not a
	 * title without rows, which reads back as no registers at all */
	if (!cpu_state(NULL, f, t, translated))
		return;
	AO_LIT(o, "Thread ");
	crp__ao_dec(o, number);
	AO_LIT(o, " crashed with ");
	ao_str(o, titles[f->cpu]);
	AO_LIT(o, ":\n");
	cpu_state(o, f, t, translated);
	ao_ch(o, '\n');
}
