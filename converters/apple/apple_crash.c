/* Apple .crash text (iOS, Report Version 104), the `apple` emitter. Style `apple` (default)
 * writes the layout of Apple's own iOS reports; style `kscrash` reproduces KSCrash's filter
 * (apple_kscrash.c). The rules, and where they are our own conventions, are in
 * converters/apple/README.md. */
#include "apple.h"

enum { STYLE_APPLE, STYLE_KSCRASH };

typedef struct crash_state {
	int style;
	enum ks_layout layout;
	enum ks_frames frames;
	apple_scratch scratch;
	char demangled[4096];
	ao o;
} crash_state;

/* One report being written. */
typedef struct cw {
	crash_state *st;
	ao *o;
	apple_facts f;
	unsigned hexw;          /* digits of a zero-padded address: 16 or 8 */
} cw;

#define LABEL_WIDTH 21      /* header values start in column 22 */

/* "Label:" padded so that the value starts in column 22. */
static void label(ao *o, const char *l)
{
	size_t n = strlen(l);
	crp__ao_write(o, l, n);
	crp__ao_spaces(o, n < LABEL_WIDTH ? LABEL_WIDTH - n : 1);
}

static void end_line(ao *o)
{
	ao_ch(o, '\n');
}

static void text_or_unknown(ao *o, const char *s)
{
	crp__ao_text(o, s && s[0] ? s : "???");
}

/* A whole header line; "???" stands for a missing value, as in Apple's reports. */
static void field(ao *o, const char *l, const char *value)
{
	label(o, l);
	text_or_unknown(o, value);
	end_line(o);
}

/* -- header ------------------------------------------------------------------------------- */

static const char *process_name(const apple_facts *f)
{
	return crp__apple_process(f);
}

static void header_identity(cw *w)
{
	ao *o = w->o;
	const crp_system *s = w->f.sys;
	const crp_info *in = w->f.info;
	char id[37];
	/* Sentry's parser drops a report whose identifier is missing or not a UUID: one derived
	 * from the report stands in (issue 14.2) */
	CRP_UNUSED(in);
	crp__apple_incident(&w->f, id);
	field(o, "Incident Identifier:", id);
	if (CRP_HAS(s, CRP_SYSTEM_DEVICE_APP_HASH))
		field(o, "CrashReporter Key:", s->device_app_hash);
	if (CRP_HAS(s, CRP_SYSTEM_MACHINE))
		field(o, "Hardware Model:", s->machine);
	label(o, "Process:");
	text_or_unknown(o, process_name(&w->f));
	AO_LIT(o, " [");
	if (CRP_HAS(s, CRP_SYSTEM_PROCESS_ID))
		crp__ao_sdec(o, s->process_id);
	else
		ao_ch(o, '0'); /* Apple always writes "name [pid]"; lldb rejects a report without (14.1) */
	AO_LIT(o, "]\n");
	field(o, "Path:", s->executable_path);
	field(o, "Identifier:", s->bundle_id ? s->bundle_id : process_name(&w->f));
	label(o, "Version:");
	text_or_unknown(o, s->bundle_short_version);
	AO_LIT(o, " (");
	text_or_unknown(o, s->bundle_version);
	AO_LIT(o, ")\n");
}

static void header_process(cw *w)
{
	ao *o = w->o;
	const crp_system *s = w->f.sys;
	const char *ct = crp__apple_code_type(&w->f);
	label(o, "Code Type:");
	text_or_unknown(o, ct);
	if (ct)
		ao_str(o, CRP_HAS(s, CRP_SYSTEM_PROC_TRANSLATED) && s->proc_translated ? " (Translated)" : " (Native)");
	end_line(o);
	label(o, "Role:");
	const crp_app_stats *st = &s->application_stats;
	if (CRP_HAS(s, CRP_SYSTEM_APPLICATION_STATS) && CRP_HAS(st, CRP_STATS_APPLICATION_IN_FOREGROUND))
		ao_str(o, st->application_in_foreground ? "Foreground" : "Background");
	else
		AO_LIT(o, "Unspecified");
	end_line(o);
	label(o, "Parent Process:");
	bool ppid = CRP_HAS(s, CRP_SYSTEM_PARENT_PROCESS_ID);
	if (CRP_HAS(s, CRP_SYSTEM_PARENT_PROCESS_NAME) && s->parent_process_name && s->parent_process_name[0])
		crp__ao_text(o, s->parent_process_name);
	else
		ao_str(o, ppid && s->parent_process_id == 1 ? "launchd" : "???");
	if (ppid) {
		AO_LIT(o, " [");
		crp__ao_sdec(o, s->parent_process_id);
		ao_ch(o, ']');
	}
	AO_LIT(o, "\n\n");
}

static void header_time_os(cw *w, bool incomplete)
{
	ao *o = w->o;
	const crp_system *s = w->f.sys;
	const crp_time *t = &w->f.info->timestamp;
	if (CRP_HAS(w->f.info, CRP_INFO_TIMESTAMP) && t->form != CRP_TIME_EMPTY) {
		label(o, "Date/Time:");
		crp__ao_date(o, t->usec, w->f.tz_minutes, 4);
		ao_ch(o, '\n');
	}
	if (CRP_HAS(s, CRP_SYSTEM_APP_START_TIME) && s->app_start_time.form != CRP_TIME_EMPTY) {
		label(o, "Launch Time:");
		crp__ao_date(o, s->app_start_time.usec, w->f.tz_minutes, 4);
		ao_ch(o, '\n');
	}
	label(o, "OS Version:");
	text_or_unknown(o, crp__apple_system_name(s));
	if (s->system_version) {
		ao_ch(o, ' ');
		crp__ao_text(o, s->system_version);
	}
	if (s->os_version) {
		AO_LIT(o, " (");
		crp__ao_text(o, s->os_version);
		ao_ch(o, ')');
	}
	end_line(o);
	label(o, "Report Version:");
	AO_LIT(o, "104\n");
	if (incomplete) {
		label(o, "Report Notes:");
		AO_LIT(o, "incomplete report: the crash reporter did not finish writing it, so parts "
			  "may be missing\n");
	}
	ao_ch(o, '\n');
}

/* -- exception block ---------------------------------------------------------------------- */

static void line_parts(void *arg, const apple_span *p, size_t n)
{
	ao *o = arg;
	for (size_t i = 0; i < n; i++)
		crp__ao_textn(o, p[i].p, p[i].n);
}

static void count_parts(void *arg, const apple_span *p, size_t n)
{
	CRP_UNUSED(p);
	*(size_t *)arg += n;
}

/* "Label: <message>" when the event has a message to give. */
static void message_line(cw *w, const char *label_text)
{
	size_t parts = 0;
	crp__apple_message(&w->f, count_parts, &parts);
	if (!parts)
		return;
	ao_str(w->o, label_text);
	crp__apple_message(&w->f, line_parts, w->o);
	ao_ch(w->o, '\n');
}

static void exception_lines(cw *w, const apple_exc *e)
{
	ao *o = w->o;
	AO_LIT(o, "Exception Type:  ");
	text_or_unknown(o, e->type);
	if (e->signal) {
		AO_LIT(o, " (");
		crp__ao_text(o, e->signal);
		ao_ch(o, ')');
	}
	ao_ch(o, '\n');
	if (e->resource) {
		AO_LIT(o, "Exception Subtype: ");
		ao_str(o, e->resource);
		ao_ch(o, '\n');
	}
	if (e->subtype) {
		AO_LIT(o, "Exception Subtype: ");
		crp__ao_text(o, e->subtype);
		AO_LIT(o, " at ");
		crp__ao_hex(o, e->subtype_addr, w->hexw);
		if (e->pac_suspect) {
			AO_LIT(o, " -> ");
			crp__ao_hex(o, e->subtype_addr & UINT64_C(0x0000007fffffffff), w->hexw);
			AO_LIT(o, " (possible pointer authentication failure)");
		}
		ao_ch(o, '\n');
	}
	if (w->f.event != APPLE_EV_WATCHDOG)
		message_line(w, "Exception Message: ");
	if (e->have_codes) {
		AO_LIT(o, "Exception Codes: ");
		crp__ao_hex(o, e->code, w->hexw);
		AO_LIT(o, ", ");
		crp__ao_hex(o, e->subcode, w->hexw);
		ao_ch(o, '\n');
	}
	if (e->note) {
		AO_LIT(o, "Exception Note:  ");
		ao_str(o, e->note);
		ao_ch(o, '\n');
	}
}

static void termination_lines(cw *w, const apple_exc *e)
{
	ao *o = w->o;
	if (e->term_indicator) {
		AO_LIT(o, "Termination Signal: ");
		ao_str(o, e->term_indicator);
		AO_LIT(o, ": ");
		crp__ao_dec(o, e->term_code);
		ao_ch(o, '\n');
	}
	if (e->term_ns) {
		AO_LIT(o, "Termination Reason: Namespace ");
		ao_str(o, e->term_ns);
		AO_LIT(o, ", Code ");
		crp__ao_hex(o, e->term_code, 1);
		ao_ch(o, '\n');
	}
	if (w->f.event == APPLE_EV_WATCHDOG)
		message_line(w, "Termination Description: ");
}

/* The thread the report says crashed, and the number it is printed with. */
static const crp_thread *crashed_thread(const cw *w, size_t *number)
{
	*number = crp__apple_crashed_number(&w->f);
	return w->f.crashed;
}

static void exception_block(cw *w)
{
	apple_exc e;
	size_t n;
	crp__apple_exception(&w->f, &e);
	exception_lines(w, &e);
	termination_lines(w, &e);
	if (crashed_thread(w, &n)) {
		AO_LIT(w->o, "Triggered by Thread:  ");
		crp__ao_dec(w->o, n);
		ao_ch(w->o, '\n');
	}
	ao_ch(w->o, '\n');
}

/* Application Specific Information: every line, with newlines inside values starting new
 * lines (an empty line would end the block, so none is written). */
typedef struct asi_out {
	ao *o;
	size_t lines;
	bool fresh;     /* nothing written on the current line yet */
} asi_out;

static void asi_text(asi_out *a, const char *s, size_t n)
{
	while (n) {
		const char *nl = memchr(s, '\n', n);
		size_t k = nl ? (size_t)(nl - s) : n;
		if (k) {
			crp__ao_textn(a->o, s, k);
			a->fresh = false;
		}
		if (!nl)
			return;
		s += k + 1;
		n -= k + 1;
		if (!a->fresh) {
			ao_ch(a->o, '\n');
			a->fresh = true;
		}
	}
}

static void asi_line(void *arg, const apple_span *p, size_t n)
{
	asi_out *a = arg;
	if (!a->lines++)
		AO_LIT(a->o, "Application Specific Information:\n");
	a->fresh = true;
	for (size_t i = 0; i < n; i++)
		asi_text(a, p[i].p, p[i].n);
	if (!a->fresh)
		ao_ch(a->o, '\n');
}

/* -- frames and threads ------------------------------------------------------------------- */

static void frame_head(cw *w, size_t number, const char *image, uint64_t addr)
{
	ao *o = w->o;
	crp__ao_dec_pad(o, number, 4, true);
	crp__ao_image_column(o, image, 30);
	ao_ch(o, '\t');
	crp__ao_hex(o, addr, w->hexw);
	ao_ch(o, ' ');
}

/* "0x<base> + <offset>"; base and offset always add up to the printed address. */
static void unsymbolicated(cw *w, const apple_frame *a)
{
	bool based = a->have_base && a->addr >= a->base;
	crp__ao_hex(w->o, based ? a->base : 0, 1);
	AO_LIT(w->o, " + ");
	crp__ao_dec(w->o, based ? a->addr - a->base : a->addr);
}

static void source_location(ao *o, const crp_symloc *l)
{
	if (!l->file)
		return;
	AO_LIT(o, " (");
	crp__ao_text(o, crp__apple_basename(l->file));
	ao_ch(o, ':');
	crp__ao_dec(o, l->line);
	ao_ch(o, ')');
}

/* A frame symbolicated by crashport: one line per inlined function, innermost first, all at
 * the frame's address (Apple's convention). Returns the lines written. */
static size_t symbolicated_frame(cw *w, size_t number, const apple_frame *a, const crp_symbolication *sy)
{
	ao *o = w->o;
	uint64_t off = a->addr >= sy->function_addr ? a->addr - sy->function_addr : 0;
	for (size_t i = 0; i < sy->count; i++) {
		const crp_symloc *l = &sy->locs[i];
		frame_head(w, number + i, a->image, a->addr);
		if (l->function) {
			crp__ao_text(o, crp__apple_demangle(l->function, w->st->demangled, sizeof w->st->demangled));
			AO_LIT(o, " + ");
			crp__ao_dec(o, off);
		} else {
			unsymbolicated(w, a);
		}
		source_location(o, l);
		ao_ch(o, '\n');
	}
	return sy->count;
}

static size_t frame_line(cw *w, size_t number, const crp_frame *fr)
{
	apple_frame a;
	crp__apple_frame(&w->f, fr, &a);
	if (fr->symbolicated && fr->symbolicated->count && fr->symbolicated->locs)
		return symbolicated_frame(w, number, &a, fr->symbolicated);
	frame_head(w, number, a.image, a.addr);
	if (a.symbol) {
		crp__ao_text(w->o, crp__apple_demangle(a.symbol, w->st->demangled, sizeof w->st->demangled));
		AO_LIT(w->o, " + ");
		crp__ao_dec(w->o, a.sym_off);
	} else {
		unsymbolicated(w, &a);
	}
	ao_ch(w->o, '\n');
	return 1;
}

static void backtrace_lines(cw *w, const crp_backtrace *bt)
{
	size_t number = 0;
	for (size_t i = 0; i < bt->frame_count; i++)
		number += frame_line(w, number, &bt->frames[i]);
}

static void thread_block(cw *w, const crp_thread *t, size_t number)
{
	ao *o = w->o;
	bool named = CRP_HAS(t, CRP_THREAD_NAME) && t->name[0];
	bool queued = CRP_HAS(t, CRP_THREAD_DISPATCH_QUEUE) && t->dispatch_queue[0];
	if (named || queued) {
		AO_LIT(o, "Thread ");
		crp__ao_dec(o, number);
		AO_LIT(o, " name:  ");
		if (named)
			crp__ao_text(o, t->name);
		if (queued) {
			if (named)
				ao_ch(o, ' ');
			AO_LIT(o, "Dispatch queue: ");
			crp__ao_text(o, t->dispatch_queue);
		}
		ao_ch(o, '\n');
	}
	AO_LIT(o, "Thread ");
	crp__ao_dec(o, number);
	if (t == w->f.crashed)
		AO_LIT(o, " Crashed");
	AO_LIT(o, ":\n");
	if (CRP_HAS(t, CRP_THREAD_BACKTRACE))
		backtrace_lines(w, &t->backtrace);
	ao_ch(o, '\n');
}

static void threads(cw *w)
{
	const crp_crash *c = w->f.crash;
	for (size_t i = 0; i < c->thread_count; i++)
		thread_block(w, &c->threads[i], crp__apple_thread_number(&w->f, &c->threads[i], i));
	if (!c->thread_count && w->f.crashed) /* a minimal report: its one thread */
		thread_block(w, w->f.crashed, 0);
}

static void extra_backtrace(cw *w, const char *title, const crp_backtrace *bt)
{
	ao_str(w->o, title);
	backtrace_lines(w, bt);
	ao_ch(w->o, '\n');
}

static void last_exception_backtrace(cw *w)
{
	const crp_crash *c = w->f.crash;
	const crp_nsexception *ns = &w->f.err->nsexception;
	if (CRP_HAS(c, CRP_CRASH_LAST_EXCEPTION_BACKTRACE) && c->last_exception_backtrace.frame_count)
		extra_backtrace(w, "Last Exception Backtrace:\n", &c->last_exception_backtrace);
	else if (CRP_HAS(w->f.err, CRP_ERROR_NSEXCEPTION) && CRP_HAS(ns, CRP_NSEXC_BACKTRACE) &&
		 ns->backtrace.frame_count)
		extra_backtrace(w, "Last Exception Backtrace:\n", &ns->backtrace);
}

/* -- thread state ------------------------------------------------------------------------- */

static void thread_state(cw *w)
{
	size_t number;
	const crp_thread *t = crashed_thread(w, &number);
	crp__apple_thread_state(w->o, &w->f, t, number, false);
}

/* -- binary images ------------------------------------------------------------------------ */

static void image_line(cw *w, const apple_image *e)
{
	ao *o = w->o;
	const crp_image *im = e->im;
	uint64_t lo = e->lo == UINT64_MAX ? 0 : e->lo;
	uint64_t size = CRP_HAS(im, CRP_IMAGE_SIZE) ? im->image_size : 0;
	uint64_t end = size ? (size - 1 > UINT64_MAX - lo ? UINT64_MAX : lo + size - 1) : lo;
	crp__ao_hex(o, lo, 1);
	AO_LIT(o, " - ");
	crp__ao_hex(o, end, 1);
	ao_ch(o, ' ');
	if (im == w->f.main_image)
		ao_ch(o, '+');
	/* the path is measured once; its last '/' is looked for from the end */
	size_t len = CRP_HAS(im, CRP_IMAGE_NAME) ? strlen(im->name) : 0;
	const char *slash = len ? memrchr(im->name, '/', len) : NULL;
	size_t base = slash ? (size_t)(slash - im->name) + 1 : 0;
	if (len)
		crp__ao_textn(o, im->name + base, len - base);
	else
		AO_LIT(o, "???");
	ao_ch(o, ' ');
	const char *arch = CRP_HAS(im, CRP_IMAGE_CPU_TYPE)
				   ? crp_arch_name(im->cpu_type, CRP_HAS(im, CRP_IMAGE_CPU_SUBTYPE) ? im->cpu_subtype : 0)
				   : NULL;
	if (arch) /* one of crp_arch_name's literals: nothing to escape */
		ao_str(o, arch);
	else
		text_or_unknown(o, w->f.arch);
	AO_LIT(o, "  <");
	static const crp_uuid nil;
	crp__ao_uuid(o, CRP_HAS(im, CRP_IMAGE_UUID) ? &im->uuid : &nil, false, false);
	AO_LIT(o, "> ");
	if (len)
		crp__ao_textn(o, im->name, len);
	else
		AO_LIT(o, "???");
	ao_ch(o, '\n');
}

static void binary_images(cw *w)
{
	AO_LIT(w->o, "Binary Images:\n");
	for (size_t i = 0; i < w->f.sorted_count; i++)
		image_line(w, &w->f.sorted[i]);
	AO_LIT(w->o, "\nEOF\n\n");
}

/* -- recrash ------------------------------------------------------------------------------ */

/* The handler's own crash, told in the original report's terms: one line in Application
 * Specific Information, its thread as Application Specific Backtrace 1. */
static void recrash_note(cw *w, const crp_report *handler, asi_out *a)
{
	apple_exc e;
	/* the original's facts with the handler's crash: only the exception is derived */
	apple_facts hf = w->f;
	hf.r = handler;
	hf.crash = crp_report_crash(handler);
	hf.err = &hf.crash->error;
	hf.crashed = crp_report_crashed_thread(handler, &hf.crashed_pos);
	hf.event = APPLE_EV_CRASH;
	crp__apple_exception(&hf, &e);
	if (!a->lines++)
		AO_LIT(w->o, "Application Specific Information:\n");
	AO_LIT(w->o, "The crash reporter crashed while writing this report: ");
	text_or_unknown(w->o, e.type);
	if (e.signal) {
		AO_LIT(w->o, " (");
		crp__ao_text(w->o, e.signal);
		ao_ch(w->o, ')');
	}
	if (e.subtype) {
		AO_LIT(w->o, ", ");
		crp__ao_text(w->o, e.subtype);
		AO_LIT(w->o, " at ");
		crp__ao_hex(w->o, e.subtype_addr, w->hexw);
	}
	if (hf.crashed)
		AO_LIT(w->o, "; its thread is Application Specific Backtrace 1");
	ao_ch(w->o, '\n');
}

/* -- report ------------------------------------------------------------------------------- */

static int write_apple(crash_state *st, const crp_report *r)
{
	const crp_report *orig = crp_report_recrash(r);
	const crp_report *main = orig ? orig : r;
	cw w = {st, &st->o, {0}, 16};
	CRP_TRY(crp__apple_facts(&w.f, st->o.c, &st->scratch, main));
	w.hexw = w.f.is64 ? 16 : 8;
	bool incomplete = crp_report_is_incomplete(r) || (orig && crp_report_is_incomplete(orig));
	if (w.f.layout != APPLE_LAYOUT_LEGACY || w.f.x) /* Apple's own layouts, or a report read from one */
		return crp__apple_translated(w.o, &w.f, orig ? r : NULL, incomplete, st->demangled, sizeof st->demangled);
	header_identity(&w);
	header_process(&w);
	header_time_os(&w, incomplete);
	exception_block(&w);
	asi_out a = {w.o, 0, true};
	crp__apple_asi(&w.f, asi_line, &a);
	if (orig)
		recrash_note(&w, r, &a);
	if (a.lines)
		ao_ch(w.o, '\n');
	last_exception_backtrace(&w);
	const crp_thread *ht = orig ? crp_report_crashed_thread(r, NULL) : NULL;
	if (ht && CRP_HAS(ht, CRP_THREAD_BACKTRACE))
		extra_backtrace(&w, "Application Specific Backtrace 1:\n", &ht->backtrace);
	threads(&w);
	thread_state(&w);
	binary_images(&w);
	return CRP_OK;
}

static int crash_write(crp_emit_ctx *c, void *state, const crp_report *r)
{
	crash_state *st = state;
	int rc;
	st->o.c = c;
	st->o.n = 0;
	st->o.raw_lines = false;
	if (st->style == STYLE_KSCRASH)
		rc = crp__apple_kscrash(&st->o, &st->scratch, r, st->layout, st->frames);
	else
		rc = write_apple(st, r);
	crp__ao_flush(&st->o);
	return rc;
}

/* -- options ------------------------------------------------------------------------------ */

static int pick(const char *value, const char *const *names, int *out)
{
	for (int i = 0; names[i]; i++)
		if (strcmp(value, names[i]) == 0) {
			*out = i;
			return CRP_OK;
		}
	return CRP_EUNSUPPORTED;
}

static int crash_param(crp_emit_ctx *c, void *state, const char *key, const char *value)
{
	static const char *const styles[] = {"apple", "kscrash", NULL};
	static const char *const layouts[] = {"auto", "legacy", "current", "2012", NULL};
	static const char *const frames[] = {"auto", "symbolicated", "side-by-side", "unsymbolicated",
					     "partial", NULL};
	crash_state *st = state;
	int v, rc = CRP_EUNSUPPORTED;
	CRP_UNUSED(c);
	if (strcmp(key, "style") == 0 && (rc = pick(value, styles, &v)) == CRP_OK)
		st->style = v;
	else if (strcmp(key, "layout") == 0 && (rc = pick(value, layouts, &v)) == CRP_OK)
		st->layout = (enum ks_layout)v;
	else if (strcmp(key, "frames") == 0 && (rc = pick(value, frames, &v)) == CRP_OK)
		st->frames = (enum ks_frames)v;
	return rc;
}

static int crash_begin(crp_emit_ctx *c, void *state)
{
	crash_state *st = state;
	if (st->style != STYLE_KSCRASH && (st->layout != KS_LAYOUT_AUTO || st->frames != KS_FRAMES_AUTO))
		return crp_emit_fail(c, CRP_EUNSUPPORTED, "apple: layout= and frames= need style=kscrash");
	return CRP_OK;
}

static void crash_cleanup(crp_emit_ctx *c, void *state)
{
	crash_state *st = state;
	crp__apple_scratch_free(c, &st->scratch);
}

const crp_emitter crp__emitter_apple = {
	CRP_EMITTER_VERSION, "apple", ".crash",
	"Apple crash report text, iOS Report Version 104 (options: style=apple|kscrash; with "
	"kscrash: layout=auto|legacy|current|2012, frames=auto|symbolicated|side-by-side|unsymbolicated|partial)",
	0, sizeof(crash_state), crash_param, crash_begin, crash_write, NULL, crash_cleanup,
};
