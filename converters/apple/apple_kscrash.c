/* Style `kscrash` of the .crash emitter: the text KSCrash's own Apple-format filter
 * (KSCrashReportFilterAppleFmt) writes, for teams that diff against it. Two layouts: `legacy`,
 * the 2012-2016 filter (KSCrash 1.x; the corpus .apple.txt files), and `current`, the 2.x filter.
 * `auto` picks the one that shipped with the KSCrash release that wrote the report: the filter
 * runs in the app, next to the writer. Deliberate differences from KSCrash are listed in
 * converters/apple/README.md. */
#include <stdlib.h>

#include "apple.h"
#include "common/convert.h"

#define CPU_TYPE_ARM 12
#define CPU_TYPE_X86 7
#define CPU_ARCH_ABI64 0x01000000

typedef struct ks {
	ao *o;
	apple_facts f;
	bool legacy;            /* the 1.x filters (2012 too) */
	bool y2012;             /* the 2012 filter */
	enum ks_frames frames;
	unsigned hexw;          /* 8 or 16: the device's word, which ran the filter */
	uint64_t word_mask;     /* uintptr_t arithmetic of that device */
	int rc;
} ks;

static const char null_text[] = "(null)"; /* Objective-C's %@ of nil */

static void text_or_null(ao *o, const char *s)
{
	crp__ao_text(o, s ? s : null_text);
}

/* Free text KSCrash writes over several lines (diagnoses, exception reasons): its newlines
 * stay; names, paths and other one-line values have theirs escaped. */
static void multiline(ao *o, const char *s)
{
	o->raw_lines = true;
	text_or_null(o, s);
	o->raw_lines = false;
}

static void int_or_null(ao *o, bool have, int64_t v)
{
	if (have)
		crp__ao_sdec(o, v);
	else
		AO_LIT(o, "(null)");
}

static const char *label(const ks *k, const char *legacy, const char *current)
{
	return k->legacy ? legacy : current;
}

/* -- header ------------------------------------------------------------------------------- */

static const char *code_type(const ks *k)
{
	const char *a = k->f.sys->cpu_arch;
	if (k->legacy) /* nil answers 0 to rangeOfString:, so a missing arch reads as ARM */
		return !a || strncmp(a, "arm", 3) == 0 ? "ARM" : a && strcmp(a, "i486") == 0 ? "X86" : "Unknown";
	if (!a)
		return "Unknown";
	if (strncmp(a, "arm64e", 6) == 0)
		return "ARM-64 (Native)";
	if (strncmp(a, "arm64", 5) == 0)
		return "ARM-64";
	if (strncmp(a, "arm", 3) == 0)
		return "ARM";
	return strcmp(a, "x86") == 0 ? "X86" : strcmp(a, "x86_64") == 0 ? "X86_64" : "Unknown";
}

static void date_or_null(ks *k)
{
	const crp_info *in = k->f.info;
	if (!CRP_HAS(in, CRP_INFO_TIMESTAMP) || in->timestamp.form == CRP_TIME_EMPTY)
		AO_LIT(k->o, "(null)");
	else
		crp__ao_date(k->o, in->timestamp.usec, k->f.tz_minutes, 3);
}

static void header(ks *k)
{
	ao *o = k->o;
	const crp_system *s = k->f.sys;
	AO_LIT(o, "Incident Identifier: ");
	text_or_null(o, k->f.info->id);
	AO_LIT(o, "\nCrashReporter Key:   ");
	text_or_null(o, s->device_app_hash);
	AO_LIT(o, "\nHardware Model:      ");
	text_or_null(o, s->machine);
	ao_str(o, label(k, "\nProcess:         ", "\nProcess:             "));
	text_or_null(o, s->process_name);
	AO_LIT(o, " [");
	int_or_null(o, CRP_HAS(s, CRP_SYSTEM_PROCESS_ID), s->process_id);
	ao_str(o, label(k, "]\nPath:            ", "]\nPath:                "));
	text_or_null(o, s->executable_path);
	ao_str(o, label(k, "\nIdentifier:      ", "\nIdentifier:          "));
	text_or_null(o, s->bundle_id);
	ao_str(o, label(k, "\nVersion:         ", "\nVersion:             "));
	if (!k->y2012) { /* the 2012 filter printed the build number alone */
		text_or_null(o, s->bundle_short_version);
		AO_LIT(o, " (");
	}
	text_or_null(o, s->bundle_version);
	ao_str(o, k->y2012 ? "\nCode Type:       " : label(k, ")\nCode Type:       ", ")\nCode Type:           "));
	ao_str(o, code_type(k));
	if (k->legacy) {
		/* 1.0-1.1 recorded the parent's name; later 1.x filters printed "?" */
		AO_LIT(o, "\nParent Process:  ");
		ao_str(o, s->parent_process_name ? "" : "?");
		if (s->parent_process_name)
			crp__ao_text(o, s->parent_process_name);
	} else {
		AO_LIT(o, "\nRole:                Foreground\nParent Process:      launchd");
	}
	AO_LIT(o, " [");
	int_or_null(o, CRP_HAS(s, CRP_SYSTEM_PARENT_PROCESS_ID), s->parent_process_id);
	ao_str(o, label(k, "]\n\nDate/Time:       ", "]\n\nDate/Time:           "));
	date_or_null(k);
	ao_str(o, label(k, "\nOS Version:      ", "\nOS Version:          "));
	text_or_null(o, s->system_name);
	ao_ch(o, ' ');
	text_or_null(o, s->system_version);
	AO_LIT(o, " (");
	text_or_null(o, s->os_version);
	ao_str(o, label(k, ")\nReport Version:  104\n", ")\nReport Version:      104\n"));
}

/* -- error block -------------------------------------------------------------------------- */

static int64_t thread_index(const ks *k, const crp_thread *t)
{
	if (t && CRP_HAS(t, CRP_THREAD_INDEX))
		return (int64_t)(int32_t)t->index;
	const crp_thread *list = k->f.crash->threads;
	size_t n = k->f.crash->thread_count; /* with none, list may be NULL: no arithmetic on it */
	if (t && k->y2012 && n && t >= list && t < list + n)
		return t - list; /* 2012 reports have no index: that filter counted */
	return 0;
}

static const char *reason_of(const crp_crash_error *e)
{
	if (CRP_HAS(e, CRP_ERROR_REASON))
		return e->reason;
	return CRP_HAS(&e->nsexception, CRP_NSEXC_REASON) ? e->nsexception.reason : NULL;
}

static void uncaught(ao *o, const char *name, const char *reason)
{
	AO_LIT(o, "\nApplication Specific Information:\n*** Terminating app due to uncaught exception '");
	text_or_null(o, name);
	AO_LIT(o, "', reason: '");
	multiline(o, reason);
	AO_LIT(o, "'\n");
}

static void user_trace(ao *o, const crp_user_exception *u)
{
	const crp_value *bt = CRP_HAS(u, CRP_USEREXC_BACKTRACE) ? u->backtrace : NULL;
	size_t entries = bt && bt->type == CRP_VALUE_ARRAY ? bt->u.arr.count : 0;
	if (!CRP_HAS(u, CRP_USEREXC_LINE_OF_CODE) && !entries)
		return;
	AO_LIT(o, "\nCustom Backtrace:\n");
	if (CRP_HAS(u, CRP_USEREXC_LINE_OF_CODE)) {
		AO_LIT(o, "Line: ");
		multiline(o, u->line_of_code);
		ao_ch(o, '\n');
	}
	for (size_t i = 0; i < entries; i++) {
		const crp_value *v = &bt->u.arr.items[i];
		if (v->type == CRP_VALUE_STRING) {
			o->raw_lines = true;
			crp__ao_textn(o, v->u.str.ptr, v->u.str.len);
			o->raw_lines = false;
		}
		ao_ch(o, '\n');
	}
	ao_ch(o, '\n');
}

static void backtrace(ks *k, const crp_backtrace *bt, const char *main_name);
static const char *main_name(const apple_facts *f);

/* The 2012 filter: the exception and its backtrace, no Application Specific Information. */
static void last_exception_2012(ks *k)
{
	const crp_crash_error *e = k->f.err;
	ao *o = k->o;
	AO_LIT(o, "\nLast Exception: ");
	text_or_null(o, e->nsexception.name);
	AO_LIT(o, ": ");
	multiline(o, reason_of(e));
	AO_LIT(o, "\nLast Exception Backtrace:\n");
	backtrace(k, &e->nsexception.backtrace, main_name(&k->f));
}

static void error_block(ks *k)
{
	ao *o = k->o;
	const crp_crash_error *e = k->f.err;
	const crp_mach *m = &e->mach;
	const crp_signal *sg = &e->signal;
	AO_LIT(o, "\nException Type:  ");
	crp__ao_text(o, CRP_HAS(m, CRP_MACH_EXCEPTION_NAME) ? m->exception_name : "0");
	AO_LIT(o, " (");
	if (CRP_HAS(sg, CRP_SIGNAL_NAME))
		crp__ao_text(o, sg->name);
	else if (CRP_HAS(sg, CRP_SIGNAL_SIGNAL))
		crp__ao_dec(o, sg->signal);
	else
		AO_LIT(o, "(null)");
	AO_LIT(o, ")\nException Codes: ");
	crp__ao_text(o, CRP_HAS(m, CRP_MACH_CODE_NAME) ? m->code_name : "0x00000000");
	AO_LIT(o, " at ");
	crp__ao_hex(o, (CRP_HAS(e, CRP_ERROR_ADDRESS) ? e->address : 0) & k->word_mask, k->hexw);
	ao_str(o, label(k, "\nCrashed Thread:  ", "\nTriggered by Thread:  "));
	crp__ao_sdec(o, thread_index(k, k->f.crashed));
	ao_ch(o, '\n');
	const crp_nsexception *z;
	if (k->y2012 && CRP_HAS(e, CRP_ERROR_NSEXCEPTION)) {
		last_exception_2012(k);
	} else if (CRP_HAS(e, CRP_ERROR_NSEXCEPTION)) {
		uncaught(o, e->nsexception.name, reason_of(e));
	} else if ((z = crp__apple_zombie(&k->f)) != NULL) {
		uncaught(o, z->name, z->reason);
		AO_LIT(o, "NOTE: This exception has been deallocated! Stack trace is crash from attempting to "
			  "access this zombie exception.\n");
	} else if (CRP_HAS(e, CRP_ERROR_USER_REPORTED)) {
		uncaught(o, e->user_reported.name, reason_of(e));
		user_trace(o, &e->user_reported);
	} else if (!k->legacy && CRP_HAS(e, CRP_ERROR_TYPE) && strcmp(e->type, "cpp_exception") == 0) {
		uncaught(o, e->cpp_exception.name, reason_of(e));
	}
	if (CRP_HAS(e, CRP_ERROR_TYPE) && strcmp(e->type, "deadlock") == 0)
		AO_LIT(o, "\nApplication main thread deadlocked\n");
}

/* -- backtraces --------------------------------------------------------------------------- */

static void frame_line(ks *k, size_t number, const crp_frame *fr, const char *main_name)
{
	ao *o = k->o;
	const char *obj = CRP_HAS(fr, CRP_FRAME_OBJECT_NAME) ? crp__apple_basename(fr->object_name) : NULL;
	const char *sym = CRP_HAS(fr, CRP_FRAME_SYMBOL_NAME) ? fr->symbol_name : NULL;
	uint64_t pc = (CRP_HAS(fr, CRP_FRAME_INSTRUCTION_ADDR) ? fr->instruction_addr : 0) & k->word_mask;
	uint64_t base = (CRP_HAS(fr, CRP_FRAME_OBJECT_ADDR) ? fr->object_addr : 0) & k->word_mask;
	uint64_t saddr = (CRP_HAS(fr, CRP_FRAME_SYMBOL_ADDR) ? fr->symbol_addr : 0) & k->word_mask;
	uint64_t pc_base_bug = UINT64_MAX;
	enum ks_frames style = k->frames;
	bool is_main = obj && main_name && strcmp(obj, main_name) == 0;
	if (k->y2012 && sym) {
		/* the 2012 filter: the app's frames side by side, with the symbol's address where the
		 * image's belongs; other frames symbolicated */
		style = is_main ? KS_FRAMES_SIDE_BY_SIDE : KS_FRAMES_SYMBOLICATED;
		if (is_main)
			base = saddr, pc_base_bug = (pc - ((CRP_HAS(fr, CRP_FRAME_OBJECT_ADDR) ? fr->object_addr : 0) & k->word_mask)) & k->word_mask;
	}
	if (style == KS_FRAMES_PARTIAL)
		style = is_main ? KS_FRAMES_UNSYMBOLICATED : KS_FRAMES_SYMBOLICATED;
	if (!sym || style == KS_FRAMES_UNSYMBOLICATED ||
	    (style == KS_FRAMES_SYMBOLICATED && strcmp(sym, "<redacted>") == 0))
		style = KS_FRAMES_UNSYMBOLICATED;
	crp__ao_dec_pad(o, number, 4, true);
	if (k->legacy) {
		crp__ao_text_pad(o, obj ? obj : null_text, 31);
		ao_ch(o, ' ');
	} else {
		crp__ao_text_pad(o, obj ? obj : null_text, 30);
		ao_ch(o, '\t');
	}
	crp__ao_hex(o, pc, k->hexw);
	ao_ch(o, ' ');
	if (style != KS_FRAMES_SYMBOLICATED) {
		crp__ao_hex(o, base, 1);
		AO_LIT(o, " + ");
		crp__ao_dec(o, pc_base_bug != UINT64_MAX ? pc_base_bug : (pc - base) & k->word_mask);
	}
	if (style == KS_FRAMES_SIDE_BY_SIDE)
		AO_LIT(o, " (");
	if (style == KS_FRAMES_SYMBOLICATED || style == KS_FRAMES_SIDE_BY_SIDE) {
		crp__ao_text(o, sym);
		AO_LIT(o, " + ");
		crp__ao_dec(o, (pc - saddr) & k->word_mask);
	}
	if (style == KS_FRAMES_SIDE_BY_SIDE)
		ao_ch(o, ')');
	ao_ch(o, '\n');
}

static void backtrace(ks *k, const crp_backtrace *bt, const char *main_name)
{
	for (size_t i = 0; i < bt->frame_count; i++)
		frame_line(k, i, &bt->frames[i], main_name);
}

static void thread_block(ks *k, const crp_thread *t, const char *main_name)
{
	ao *o = k->o;
	int64_t index = thread_index(k, t);
	ao_ch(o, '\n');
	if (CRP_HAS(t, CRP_THREAD_NAME) || CRP_HAS(t, CRP_THREAD_DISPATCH_QUEUE)) {
		AO_LIT(o, "Thread ");
		crp__ao_sdec(o, index);
		AO_LIT(o, " name:  ");
		if (CRP_HAS(t, CRP_THREAD_NAME)) {
			crp__ao_text(o, t->name);
		} else {
			AO_LIT(o, "Dispatch queue: ");
			crp__ao_text(o, t->dispatch_queue);
		}
		ao_ch(o, '\n');
	}
	AO_LIT(o, "Thread ");
	crp__ao_sdec(o, index);
	if (CRP_HAS(t, CRP_THREAD_CRASHED) && t->crashed)
		AO_LIT(o, " Crashed");
	AO_LIT(o, ":\n");
	if (CRP_HAS(t, CRP_THREAD_BACKTRACE))
		backtrace(k, &t->backtrace, main_name);
}

/* -- crashed thread state ----------------------------------------------------------------- */

static const char *const arm_order[] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8",
					"r9", "r10", "r11", "ip", "sp", "lr", "pc", "cpsr", NULL};
static const char *const x86_order[] = {"eax", "ebx", "ecx", "edx", "edi", "esi", "ebp", "esp",
					"ss", "eflags", "eip", "cs", "ds", "es", "fs", "gs", NULL};
static const char *const x86_64_order[] = {"rax", "rbx", "rcx", "rdx", "rdi", "rsi", "rbp", "rsp",
					   "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
					   "rip", "rflags", "cs", "fs", "gs", NULL};

static const char *const *register_order(const char *arch)
{
	static const char *const arm[] = {"arm", "armv6", "armv7", "armv7f", "armv7k", "armv7s"};
	static const char *const x86[] = {"x86", "i386", "i486", "i686"};
	for (size_t i = 0; arch && i < CRP_ARRAY_LEN(arm); i++)
		if (strcmp(arch, arm[i]) == 0)
			return arm_order;
	for (size_t i = 0; arch && i < CRP_ARRAY_LEN(x86); i++)
		if (strcmp(arch, x86[i]) == 0)
			return x86_order;
	return arch && strcmp(arch, "x86_64") == 0 ? x86_64_order : NULL;
}

/* Finder-style order (2.x): names with a digit first, digit runs compared as numbers. */
static int natural_cmp(const char *a, const char *b)
{
	bool da = strpbrk(a, "0123456789") != NULL, db = strpbrk(b, "0123456789") != NULL;
	if (da != db)
		return da ? -1 : 1;
	while (*a && *b) {
		if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
			unsigned long x = strtoul(a, (char **)&a, 10), y = strtoul(b, (char **)&b, 10);
			if (x != y)
				return x < y ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
		a++, b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

static int cmp_reg_plain(const void *x, const void *y)
{
	return strcmp((*(const crp_register *const *)x)->name, (*(const crp_register *const *)y)->name);
}

static int cmp_reg_natural(const void *x, const void *y)
{
	return natural_cmp((*(const crp_register *const *)x)->name, (*(const crp_register *const *)y)->name);
}

static void reg_cell(ks *k, const char *name, uint64_t v, size_t *col)
{
	ao *o = k->o;
	size_t n = strlen(name);
	crp__ao_spaces(o, n < 6 ? 6 - n : 0);
	crp__ao_text(o, name);
	AO_LIT(o, ": ");
	crp__ao_hex(o, v & k->word_mask, k->hexw);
	ao_ch(o, ' ');
	if (++*col % 4 == 0)
		ao_ch(o, '\n');
}

static uint64_t reg_value(const crp_regset *rs, const char *name)
{
	for (size_t i = 0; i < rs->count; i++)
		if (strcmp(rs->regs[i].name, name) == 0)
			return rs->regs[i].value;
	return 0;
}

/* Registers present, sorted: the legacy filter sorts the names, the 2.x one in Finder order. */
static void sorted_registers(ks *k, const crp_regset *rs, size_t *col)
{
	const crp_register *small[64];
	const crp_register **v = small;
	if (rs->count > CRP_ARRAY_LEN(small) &&
	    !(v = crp_emit_alloc(k->o->c, rs->count * sizeof *v))) {
		k->rc = crp_emit_fail(k->o->c, CRP_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < rs->count; i++)
		v[i] = &rs->regs[i];
	qsort(v, rs->count, sizeof *v, k->legacy ? cmp_reg_plain : cmp_reg_natural);
	for (size_t i = 0; i < rs->count; i++)
		reg_cell(k, v[i]->name, v[i]->value, col);
	if (v != small)
		crp_emit_dealloc(k->o->c, (void *)v);
}

static const char *state_title(const ks *k, const char *arch)
{
	if (k->legacy)
		return code_type(k);
	if (!arch)
		return "Unknown";
	if (strncmp(arch, "arm64", 5) == 0)
		return "ARM-64";
	if (strncmp(arch, "arm", 3) == 0)
		return "ARM";
	return strcmp(arch, "x86") == 0 ? "X86" : strcmp(arch, "x86_64") == 0 ? "X86_64" : "Unknown";
}

/* The arch the register table is chosen by: the recorded cpu_arch (legacy), the binary's (2.x). */
static const char *state_arch(const ks *k, const apple_facts *of)
{
	const crp_system *s = of->sys;
	if (k->legacy)
		return s->cpu_arch;
	if (!CRP_HAS(s, CRP_SYSTEM_BINARY_CPU_TYPE))
		return NULL;
	return crp_arch_name(s->binary_cpu_type, CRP_HAS(s, CRP_SYSTEM_BINARY_CPU_SUBTYPE) ? s->binary_cpu_subtype : 0);
}

static void thread_state(ks *k, const crp_thread *t, const apple_facts *arch_of)
{
	if (!t)
		return;
	ao *o = k->o;
	const char *arch = state_arch(k, arch_of);
	AO_LIT(o, "\nThread ");
	crp__ao_sdec(o, thread_index(k, t));
	AO_LIT(o, " crashed with ");
	ao_str(o, state_title(k, arch));
	AO_LIT(o, " Thread State:\n");
	const crp_regset *rs = &t->registers.basic;
	const char *const *order = register_order(arch);
	size_t col = 0;
	if (order) {
		for (size_t i = 0; order[i]; i++)
			reg_cell(k, order[i], reg_value(rs, order[i]), &col);
	} else if (CRP_HAS(t, CRP_THREAD_REGISTERS)) {
		sorted_registers(k, rs, &col);
	}
	if (col % 4)
		ao_ch(o, '\n');
}

/* -- binary images ------------------------------------------------------------------------ */

/* The legacy filter's own arch names; arm64 names go through crashport's table, which masks
 * the ABI bits (KSCrash issue #403). */
static void image_arch(ks *k, const crp_image *im)
{
	ao *o = k->o;
	int32_t t = CRP_HAS(im, CRP_IMAGE_CPU_TYPE) ? im->cpu_type : 0;
	int32_t s = CRP_HAS(im, CRP_IMAGE_CPU_SUBTYPE) ? im->cpu_subtype : 0;
	const char *name = crp_arch_name(t, s);
	if (k->legacy && t == CPU_TYPE_ARM)
		name = (s == 6 || s == 9 || s == 10 || s == 11 || s == 12) ? name : "arm";
	else if (k->legacy && t == CPU_TYPE_X86)
		name = "x86";
	if (name) {
		ao_str(o, name);
		return;
	}
	AO_LIT(o, "unknown(");
	crp__ao_sdec(o, t);
	ao_ch(o, ',');
	crp__ao_sdec(o, s);
	ao_ch(o, ')');
}

static void image_line(ks *k, const crp_image *im)
{
	ao *o = k->o;
	uint64_t lo = (CRP_HAS(im, CRP_IMAGE_ADDR) ? im->image_addr : 0) & k->word_mask;
	uint64_t hi = (lo + (CRP_HAS(im, CRP_IMAGE_SIZE) ? im->image_size : 0) - 1) & k->word_mask;
	const char *path = CRP_HAS(im, CRP_IMAGE_NAME) ? im->name : NULL;
	unsigned width = k->legacy ? k->hexw + 2 : 0;
	crp__ao_hex_right(o, lo, width);
	AO_LIT(o, " - ");
	crp__ao_hex_right(o, hi, width);
	ao_ch(o, ' ');
	if (k->legacy) {
		const char *exe = k->f.sys->executable_path;
		ao_ch(o, path && exe && strcmp(path, exe) == 0 ? '+' : ' ');
	}
	text_or_null(o, path ? crp__apple_basename(path) : NULL);
	ao_ch(o, ' ');
	image_arch(k, im);
	AO_LIT(o, "  <");
	if (CRP_HAS(im, CRP_IMAGE_UUID))
		crp__ao_uuid(o, &im->uuid, false, false);
	else
		AO_LIT(o, "(null)");
	AO_LIT(o, "> ");
	text_or_null(o, path);
	ao_ch(o, '\n');
}

static void binary_images(ks *k)
{
	AO_LIT(k->o, "\nBinary Images:\n");
	if (k->legacy) { /* the legacy filter's sort discarded its result: report order */
		for (size_t i = 0; i < k->f.image_count; i++)
			image_line(k, &k->f.images[i]);
		return;
	}
	for (size_t i = 0; i < k->f.sorted_count; i++)
		image_line(k, k->f.sorted[i].im);
	AO_LIT(k->o, "\nEOF\n\n");
}

/* -- Extra Information: JSON with sorted keys (KSCrash's encoder, pretty, sorted) --------- */

static void json_string(ao *o, const char *s, size_t n)
{
	ao_ch(o, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		crp__ao_write(o, s + run, i - run);
		run = i + 1;
		char esc[6];
		crp__ao_write(o, esc, crp__json_escape(ch, esc));
	}
	crp__ao_write(o, s + run, n - run);
	ao_ch(o, '"');
}

static void indent(ao *o, unsigned depth)
{
	ao_ch(o, '\n');
	crp__ao_spaces(o, (size_t)depth * 4);
}

static int cmp_member(const void *x, const void *y)
{
	const crp_member *a = *(const crp_member *const *)x, *b = *(const crp_member *const *)y;
	size_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
	int c = memcmp(a->key.ptr, b->key.ptr, n);
	if (c)
		return c;
	if (a->key.len != b->key.len)
		return a->key.len < b->key.len ? -1 : 1;
	return a < b ? -1 : a > b; /* keep duplicates in document order */
}

static void json_value(ks *k, const crp_value *v, unsigned depth);

static void json_object(ks *k, const crp_member *m, size_t count, unsigned depth)
{
	ao *o = k->o;
	const crp_member *small[32];
	const crp_member **v = small;
	if (!count) {
		AO_LIT(o, "{}");
		return;
	}
	if (count > CRP_ARRAY_LEN(small) && !(v = crp_emit_alloc(o->c, count * sizeof *v))) {
		k->rc = crp_emit_fail(o->c, CRP_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < count; i++)
		v[i] = &m[i];
	qsort(v, count, sizeof *v, cmp_member);
	ao_ch(o, '{');
	for (size_t i = 0; i < count; i++) {
		indent(o, depth + 1);
		json_string(o, v[i]->key.ptr, v[i]->key.len);
		AO_LIT(o, ": ");
		json_value(k, &v[i]->value, depth + 1);
		if (i + 1 < count)
			ao_ch(o, ',');
	}
	indent(o, depth);
	ao_ch(o, '}');
	if (v != small)
		crp_emit_dealloc(o->c, (void *)v);
}

static void json_value(ks *k, const crp_value *v, unsigned depth)
{
	ao *o = k->o;
	switch (v->type) {
	case CRP_VALUE_NULL: AO_LIT(o, "null"); break;
	case CRP_VALUE_BOOL: ao_str(o, v->u.boolean ? "true" : "false"); break;
	case CRP_VALUE_NUMBER: crp__ao_write(o, v->u.num.ptr, v->u.num.len); break;
	case CRP_VALUE_STRING: json_string(o, v->u.str.ptr, v->u.str.len); break;
	case CRP_VALUE_ARRAY:
		if (!v->u.arr.count) {
			AO_LIT(o, "[]");
			break;
		}
		ao_ch(o, '[');
		for (size_t i = 0; i < v->u.arr.count; i++) {
			indent(o, depth + 1);
			json_value(k, &v->u.arr.items[i], depth + 1);
			if (i + 1 < v->u.arr.count)
				ao_ch(o, ',');
		}
		indent(o, depth);
		ao_ch(o, ']');
		break;
	case CRP_VALUE_OBJECT: json_object(k, v->u.obj.members, v->u.obj.count, depth); break;
	}
}

/* A typed record as JSON with sorted keys: its fields as members, then its extras. */
typedef struct jfield {
	const char *key;
	char text[40];       /* the value as JSON */
	bool string;
	const char *str;
} jfield;

static void json_fields(ks *k, jfield *fl, size_t n, const crp_extras *x)
{
	size_t total = n + x->count;
	crp_member *m = crp_emit_alloc(k->o->c, (total ? total : 1) * sizeof *m);
	crp_value *vals = crp_emit_alloc(k->o->c, (n ? n : 1) * sizeof *vals);
	if (!m || !vals) {
		crp_emit_dealloc(k->o->c, m);
		crp_emit_dealloc(k->o->c, vals);
		k->rc = crp_emit_fail(k->o->c, CRP_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		m[i].key = (crp_span){fl[i].key, strlen(fl[i].key)};
		vals[i].type = fl[i].string ? CRP_VALUE_STRING : CRP_VALUE_NUMBER;
		const char *t = fl[i].string ? fl[i].str : fl[i].text;
		vals[i].u.str = (crp_span){t, strlen(t)};
		m[i].value = vals[i];
	}
	for (size_t i = 0; i < x->count; i++)
		m[n + i] = x->members[i];
	json_object(k, m, total, 0);
	crp_emit_dealloc(k->o->c, vals);
	crp_emit_dealloc(k->o->c, m);
}

static void fnum(jfield *f, const char *key, uint64_t v)
{
	char tmp[24];
	size_t n = sizeof tmp;
	do {
		tmp[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	f->key = key;
	f->string = false;
	memcpy(f->text, tmp + n, sizeof tmp - n);
	f->text[sizeof tmp - n] = '\0';
}

static void fdouble(jfield *f, const char *key, double d)
{
	f->key = key;
	f->string = false;
	f->text[crp__format_double(d, f->text)] = '\0';
}

static void fbool(jfield *f, const char *key, bool b)
{
	f->key = key;
	f->string = false;
	strcpy(f->text, b ? "true" : "false");
}

static void fstr(jfield *f, const char *key, const char *s)
{
	f->key = key;
	f->string = true;
	f->str = s;
}

static void app_stats(ks *k, const crp_app_stats *a)
{
	jfield f[9];
	size_t n = 0;
	if (CRP_HAS(a, CRP_STATS_ACTIVE_TIME_SINCE_LAST_CRASH))
		fdouble(&f[n++], "active_time_since_last_crash", a->active_time_since_last_crash);
	if (CRP_HAS(a, CRP_STATS_ACTIVE_TIME_SINCE_LAUNCH))
		fdouble(&f[n++], "active_time_since_launch", a->active_time_since_launch);
	if (CRP_HAS(a, CRP_STATS_APPLICATION_ACTIVE))
		fbool(&f[n++], "application_active", a->application_active);
	if (CRP_HAS(a, CRP_STATS_APPLICATION_IN_FOREGROUND))
		fbool(&f[n++], "application_in_foreground", a->application_in_foreground);
	if (CRP_HAS(a, CRP_STATS_BACKGROUND_TIME_SINCE_LAST_CRASH))
		fdouble(&f[n++], "background_time_since_last_crash", a->background_time_since_last_crash);
	if (CRP_HAS(a, CRP_STATS_BACKGROUND_TIME_SINCE_LAUNCH))
		fdouble(&f[n++], "background_time_since_launch", a->background_time_since_launch);
	if (CRP_HAS(a, CRP_STATS_LAUNCHES_SINCE_LAST_CRASH))
		fnum(&f[n++], "launches_since_last_crash", a->launches_since_last_crash);
	if (CRP_HAS(a, CRP_STATS_SESSIONS_SINCE_LAST_CRASH))
		fnum(&f[n++], "sessions_since_last_crash", a->sessions_since_last_crash);
	if (CRP_HAS(a, CRP_STATS_SESSIONS_SINCE_LAUNCH))
		fnum(&f[n++], "sessions_since_launch", a->sessions_since_launch);
	AO_LIT(k->o, "\nApplication Stats:\n");
	json_fields(k, f, n, &a->extras);
	ao_ch(k->o, '\n');
}

static void memory_stats(ks *k, const crp_app_memory *a)
{
	jfield f[7];
	size_t n = 0;
	if (CRP_HAS(a, CRP_APPMEM_APP_TRANSITION_STATE))
		fstr(&f[n++], "app_transition_state", a->app_transition_state);
	if (CRP_HAS(a, CRP_APPMEM_MEMORY_FOOTPRINT))
		fnum(&f[n++], "memory_footprint", a->memory_footprint);
	if (CRP_HAS(a, CRP_APPMEM_MEMORY_LEVEL))
		fstr(&f[n++], "memory_level", a->memory_level);
	if (CRP_HAS(a, CRP_APPMEM_MEMORY_LIMIT))
		fnum(&f[n++], "memory_limit", a->memory_limit);
	if (CRP_HAS(a, CRP_APPMEM_MEMORY_PRESSURE))
		fstr(&f[n++], "memory_pressure", a->memory_pressure);
	if (CRP_HAS(a, CRP_APPMEM_MEMORY_REMAINING))
		fnum(&f[n++], "memory_remaining", a->memory_remaining);
	if (CRP_HAS(a, CRP_APPMEM_TIMESTAMP))
		fnum(&f[n++], "timestamp", a->timestamp);
	AO_LIT(k->o, "\nMemory Statistics:\n");
	json_fields(k, f, n, &a->extras);
	ao_ch(k->o, '\n');
}

static void stack_dump(ks *k, const crp_stack *s)
{
	static const char hexd[] = "0123456789ABCDEF";
	ao *o = k->o;
	AO_LIT(o, "\nStack Dump (");
	crp__ao_hex(o, (CRP_HAS(s, CRP_STACK_DUMP_START) ? s->dump_start : 0) & k->word_mask, k->hexw);
	ao_ch(o, '-');
	crp__ao_hex(o, (CRP_HAS(s, CRP_STACK_DUMP_END) ? s->dump_end : 0) & k->word_mask, k->hexw);
	AO_LIT(o, "):\n\n");
	if (!CRP_HAS(s, CRP_STACK_CONTENTS))
		AO_LIT(o, "(null)");
	for (size_t i = 0; CRP_HAS(s, CRP_STACK_CONTENTS) && i < s->contents.len; i++) {
		char pair[2] = {hexd[s->contents.data[i] >> 4], hexd[s->contents.data[i] & 15]};
		crp__ao_write(o, pair, 2);
	}
	ao_ch(o, '\n');
}

static void last_dealloced(ks *k, const crp_nsexception *z)
{
	ao *o = k->o;
	AO_LIT(o, "\nLast deallocated NSException (");
	crp__ao_hex(o, (CRP_HAS(z, CRP_NSEXC_ADDRESS) ? z->address : 0) & k->word_mask, k->hexw);
	AO_LIT(o, "): ");
	text_or_null(o, z->name);
	AO_LIT(o, ": ");
	multiline(o, z->reason);
	ao_ch(o, '\n');
	if (CRP_HAS(z, CRP_NSEXC_REFERENCED_OBJECT)) {
		AO_LIT(o, "Referenced object:\n");
		json_value(k, z->referenced_object, 0);
		ao_ch(o, '\n');
	}
	if (CRP_HAS(z, CRP_NSEXC_BACKTRACE))
		backtrace(k, &z->backtrace, k->f.info->process_name);
}

static void extra_info(ks *k)
{
	ao *o = k->o;
	const crp_crash_error *e = k->f.err;
	const crp_thread *t = k->f.crashed;
	const crp_process *p = crp_report_process(k->f.r);
	AO_LIT(o, "\nExtra Information:\n");
	if (CRP_HAS(&e->nsexception, CRP_NSEXC_REFERENCED_OBJECT)) {
		AO_LIT(o, "Object referenced by NSException:\n");
		json_value(k, e->nsexception.referenced_object, 0);
		ao_ch(o, '\n');
	}
	if (t && CRP_HAS(t, CRP_THREAD_STACK))
		stack_dump(k, &t->stack);
	if (t && CRP_HAS(t, CRP_THREAD_NOTABLE_ADDRESSES)) {
		AO_LIT(o, "\nNotable Addresses:\n");
		json_value(k, t->notable_addresses, 0);
		ao_ch(o, '\n');
	}
	if (CRP_HAS(p, CRP_PROCESS_LAST_DEALLOCED_NSEXCEPTION))
		last_dealloced(k, &p->last_dealloced_nsexception);
	/* the filter that wrote the legacy texts had neither of these two sections */
	if (!k->legacy && CRP_HAS(k->f.sys, CRP_SYSTEM_APPLICATION_STATS))
		app_stats(k, &k->f.sys->application_stats);
	if (!k->legacy && CRP_HAS(k->f.sys, CRP_SYSTEM_APP_MEMORY))
		memory_stats(k, &k->f.sys->app_memory);
	if (CRP_HAS(k->f.crash, CRP_CRASH_DIAGNOSIS)) {
		AO_LIT(o, "\nCrashDoctor Diagnosis: ");
		multiline(o, k->f.crash->diagnosis);
		ao_ch(o, '\n');
	}
}

/* -- report ------------------------------------------------------------------------------- */

static const char *main_name(const apple_facts *f)
{
	if (CRP_HAS(f->info, CRP_INFO_PROCESS_NAME))
		return f->info->process_name;
	if (f->sys->executable_path) /* 2012 reports have no report.process_name */
		return crp__apple_basename(f->sys->executable_path);
	return f->sys->process_name;
}

static void crash_report(ks *k)
{
	const crp_crash *c = k->f.crash;
	header(k);
	error_block(k);
	for (size_t i = 0; i < c->thread_count; i++)
		thread_block(k, &c->threads[i], main_name(&k->f));
	if (!k->legacy && CRP_HAS(c, CRP_CRASH_LAST_EXCEPTION_BACKTRACE)) {
		AO_LIT(k->o, "\nLast Exception Backtrace:\n");
		backtrace(k, &c->last_exception_backtrace, main_name(&k->f));
	}
	thread_state(k, k->f.crashed, &k->f);
	binary_images(k);
	if (!k->y2012)
		extra_info(k);
}

/* The handler's crash, after the original: its error block, thread and registers. */
static void recrash_section(ks *k, const crp_report *handler, const apple_facts *orig)
{
	apple_facts hf = k->f;
	hf.r = handler;
	hf.info = crp_report_info(handler);
	hf.sys = crp_report_system(handler);
	hf.crash = crp_report_crash(handler);
	hf.err = &hf.crash->error;
	hf.crashed = crp_report_crashed_thread(handler, &hf.crashed_pos);
	k->f = hf;
	const char *exe = orig->sys->executable_path;
	AO_LIT(k->o, "\nHandler crashed while reporting:\n");
	error_block(k);
	if (hf.crashed)
		thread_block(k, hf.crashed, exe ? crp__apple_basename(exe) : NULL);
	thread_state(k, hf.crashed, orig);
	if (CRP_HAS(hf.crash, CRP_CRASH_DIAGNOSIS)) {
		AO_LIT(k->o, "\nRecrash Diagnosis: ");
		multiline(k->o, hf.crash->diagnosis);
	}
}

static bool legacy_version(const crp_report *r)
{
	const crp_info *in = crp_report_info(r);
	const crp_version *v = &in->version;
	if (!CRP_HAS(in, CRP_INFO_VERSION))
		return crp_report_provenance(r) & CRP_PROV_LEGACY_2012;
	if (v->form != CRP_VERSION_FORM_STRING)
		return true;
	/* report 3.3.0 arrived with KSCrash 1.15.20; the 2.x filter layout followed in 1.16 */
	return v->major < 3 || (v->major == 3 && v->minor < 3);
}

int crp__apple_kscrash(ao *o, apple_scratch *s, const crp_report *r, enum ks_layout layout,
		       enum ks_frames frames)
{
	const crp_report *orig = crp_report_recrash(r);
	const crp_report *main = orig ? orig : r;
	ks k = {o, {0}, false, false, frames, 16, UINT64_MAX, CRP_OK};
	CRP_TRY(crp__apple_facts(&k.f, o->c, s, main));
	k.y2012 = layout == KS_LAYOUT_2012 ||
		  (layout == KS_LAYOUT_AUTO && (crp_report_provenance(main) & CRP_PROV_LEGACY_2012));
	k.legacy = k.y2012 || layout == KS_LAYOUT_LEGACY || (layout == KS_LAYOUT_AUTO && legacy_version(main));
	if (k.frames == KS_FRAMES_AUTO)
		k.frames = k.legacy ? KS_FRAMES_SIDE_BY_SIDE : KS_FRAMES_SYMBOLICATED;
	if (!k.f.is64) {
		k.hexw = 8;
		k.word_mask = UINT32_MAX;
	}
	crash_report(&k);
	if (orig) {
		apple_facts of = k.f;
		recrash_section(&k, r, &of);
	}
	return k.rc;
}
