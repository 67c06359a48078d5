/* Apple .ips (bug_type 309), the `ips` emitter: a one-line metadata header, then the JSON body
 * Apple's iOS 15+ crash reporter writes, filled from the report by the .ips -> .crash table of
 * apple-format.md section 12 read backwards. Layout follows Apple's files: two-space indent,
 * " : " after keys, small objects and the thread list on one line, slashes escaped. */
#include "apple.h"
#include "common/convert.h"

typedef struct ips_state {
	apple_scratch scratch;
	char demangled[4096];
	ao o;
} ips_state;

typedef struct iw {
	ips_state *st;
	ao *o;
	apple_facts f;
	bool first;              /* no member written yet at the current level */
} iw;

/* -- JSON --------------------------------------------------------------------------------- */

/* True when one of the eight bytes needs escaping in Apple's JSON: a control character,
 * '"', '\\' or '/'. */
static inline bool needs_escape(uint64_t w)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\'), sl = w ^ (ones * '/');
	return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b) | ((sl - ones) & ~sl)) & high;
}

#ifdef __SSE2__
#include <emmintrin.h>

/* Bytes of one 16-byte block that need escaping (as needs_escape), as a bit mask. */
static inline unsigned escape_mask(__m128i v)
{
	const __m128i low = _mm_set1_epi8(0x1f);
	__m128i m = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low); /* unsigned v <= 0x1f */
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
	m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8('/')));
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

static inline bool js_plain_byte(unsigned char ch)
{
	return ch >= 0x20 && ch != '"' && ch != '\\' && ch != '/';
}

/* The inside of a JSON string, escaped straight into the output buffer. Paths are most of it
 * and every '/' is escaped, so an escape is handled where it is found and the copy goes on:
 * a block is stored before it is tested (the bytes past the escape are overwritten next). Each
 * step keeps room for a whole block plus the longest escape; when the room runs out the
 * buffer is flushed and the outer loop resumes. */
static void js_body(ao *o, const char *s, size_t n)
{
	while (n) {
		ao_room(o, 32);
		char *d = o->b + o->n;
		size_t room = AO_CAP - o->n, i = 0, j = 0;
#ifdef __SSE2__
		while (i + 16 <= n && j + 16 + 6 <= room) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			_mm_storeu_si128((__m128i *)(void *)(d + j), v);
			unsigned m = escape_mask(v);
			if (!m) {
				i += 16;
				j += 16;
				continue;
			}
			unsigned k = (unsigned)__builtin_ctz(m);
			i += k;
			j += k;
			j += crp__json_escape((unsigned char)s[i++], d + j);
		}
#endif
		while (i < n && j + 8 + 6 <= room) {
			uint64_t w;
			if (i + 8 <= n && (memcpy(&w, s + i, 8), !needs_escape(w))) {
				memcpy(d + j, &w, 8);
				i += 8;
				j += 8;
				continue;
			}
			unsigned char ch = (unsigned char)s[i++];
			if (js_plain_byte(ch))
				d[j++] = (char)ch;
			else
				j += crp__json_escape(ch, d + j);
		}
		o->n += j;
		s += i;
		n -= i;
	}
}

static void js_str(ao *o, const char *s, size_t n)
{
	ao_ch(o, '"');
	js_body(o, s, n);
	ao_ch(o, '"');
}

static void js_cstr(ao *o, const char *s)
{
	js_str(o, s, strlen(s));
}

/* A member of a one-line object: ",\"key\":". */
static void ckey(iw *w, const char *key)
{
	if (!w->first)
		ao_ch(w->o, ',');
	w->first = false;
	ao_ch(w->o, '"');
	ao_str(w->o, key);
	AO_LIT(w->o, "\":");
}

/* A member of the body: ",\n  \"key\" : ". */
static void bkey(iw *w, const char *key)
{
	ao_str(w->o, w->first ? "\n  \"" : ",\n  \"");
	w->first = false;
	ao_str(w->o, key);
	AO_LIT(w->o, "\" : ");
}

static void cstr(iw *w, const char *key, const char *v)
{
	ckey(w, key);
	js_cstr(w->o, v);
}

static void cnum(iw *w, const char *key, uint64_t v)
{
	ckey(w, key);
	crp__ao_dec(w->o, v);
}

/* -- header line -------------------------------------------------------------------------- */

static const char *process_name(const apple_facts *f)
{
	if (CRP_HAS(f->sys, CRP_SYSTEM_PROCESS_NAME) && f->sys->process_name[0])
		return f->sys->process_name;
	if (CRP_HAS(f->info, CRP_INFO_PROCESS_NAME) && f->info->process_name[0])
		return f->info->process_name;
	return CRP_HAS(f->sys, CRP_SYSTEM_EXECUTABLE) ? f->sys->executable : NULL;
}

/* Apple's platform numbers: 1 macOS, 2 iOS, 3 tvOS, 4 watchOS, 7-9 their simulators. */
static int platform(const apple_facts *f)
{
	static const struct { const char *name; int id; } p[] = {
		{"iOS", 2}, {"iPhone OS", 2}, {"iPadOS", 2}, {"tvOS", 3}, {"watchOS", 4},
		{"macOS", 1}, {"Mac OS", 1}, {"Mac OS X", 1}, {"OS X", 1}};
	const crp_system *s = f->sys;
	bool sim = (s->model && strcmp(s->model, "simulator") == 0) ||
		   (s->build_type && strcmp(s->build_type, "simulator") == 0);
	for (size_t i = 0; s->system_name && i < CRP_ARRAY_LEN(p); i++)
		if (strcmp(s->system_name, p[i].name) == 0)
			return sim && p[i].id > 1 ? p[i].id + 5 : p[i].id;
	return 0;
}

static void os_version_text(iw *w, bool train_only)
{
	const crp_system *s = w->f.sys;
	const char *name = s->system_name && strcmp(s->system_name, "iOS") == 0 ? "iPhone OS" : s->system_name;
	char buf[256];
	size_t n = 0;
	const char *parts[4] = {name, s->system_version, train_only ? NULL : s->os_version, NULL};
	for (int i = 0; i < 3; i++) {
		if (!parts[i])
			continue;
		size_t k = strlen(parts[i]);
		if (n + k + 4 >= sizeof buf)
			break;
		if (n)
			buf[n++] = ' ';
		if (i == 2)
			buf[n++] = '(';
		memcpy(buf + n, parts[i], k);
		n += k;
		if (i == 2)
			buf[n++] = ')';
	}
	js_str(w->o, buf, n);
}

static bool have_os(const apple_facts *f)
{
	return f->sys->system_name || f->sys->system_version || f->sys->os_version;
}

/* A date as Apple writes it inside JSON. */
static void date(iw *w, int64_t usec, int digits)
{
	ao_ch(w->o, '"');
	crp__ao_date(w->o, usec, w->f.tz_minutes, digits);
	ao_ch(w->o, '"');
}

static bool have_time(const crp_time *t)
{
	return t->form != CRP_TIME_EMPTY;
}

static void metadata(iw *w)
{
	const apple_facts *f = &w->f;
	const crp_system *s = f->sys;
	const char *proc = process_name(f);
	ao_ch(w->o, '{');
	w->first = true;
	if (proc)
		cstr(w, "app_name", proc);
	if (CRP_HAS(f->info, CRP_INFO_TIMESTAMP) && have_time(&f->info->timestamp)) {
		ckey(w, "timestamp");
		date(w, f->info->timestamp.usec, 2);
	}
	if (s->bundle_short_version)
		cstr(w, "app_version", s->bundle_short_version);
	if (f->main_image && CRP_HAS(f->main_image, CRP_IMAGE_UUID)) {
		ckey(w, "slice_uuid");
		ao_ch(w->o, '"');
		crp__ao_uuid(w->o, &f->main_image->uuid, false, true);
		ao_ch(w->o, '"');
	}
	if (s->bundle_version)
		cstr(w, "build_version", s->bundle_version);
	if (platform(f))
		cnum(w, "platform", (uint64_t)platform(f));
	if (s->bundle_id)
		cstr(w, "bundleID", s->bundle_id);
	cstr(w, "bug_type", "309");
	if (have_os(f)) {
		ckey(w, "os_version");
		os_version_text(w, false);
	}
	if (CRP_HAS(f->info, CRP_INFO_ID))
		cstr(w, "incident_id", f->info->id);
	if (proc)
		cstr(w, "name", proc);
	AO_LIT(w->o, "}\n");
}

/* -- body: process ------------------------------------------------------------------------ */

/* The report and the system: times, device, OS, process id, CPU. */
static void body_process(iw *w)
{
	const apple_facts *f = &w->f;
	const crp_system *s = f->sys;
	if (CRP_HAS(s, CRP_SYSTEM_APP_START_TIME) && have_time(&s->app_start_time)) {
		bkey(w, "procLaunch");
		date(w, s->app_start_time.usec, 4);
	}
	const crp_app_stats *st = &s->application_stats;
	if (CRP_HAS(s, CRP_SYSTEM_APPLICATION_STATS) && CRP_HAS(st, CRP_STATS_APPLICATION_IN_FOREGROUND)) {
		bkey(w, "procRole");
		js_cstr(w->o, st->application_in_foreground ? "Foreground" : "Background");
	}
	bkey(w, "version");
	AO_LIT(w->o, "2");
	if (s->machine) {
		bkey(w, "modelCode");
		js_cstr(w->o, s->machine);
	}
	if (have_os(f)) {
		bkey(w, "osVersion");
		iw in = {w->st, w->o, {0}, true};
		in.f = w->f;
		ao_ch(w->o, '{');
		if (s->system_name) {
			ckey(&in, "isEmbedded");
			ao_str(w->o, platform(f) == 1 ? "false" : "true");
		}
		ckey(&in, "train");
		os_version_text(w, true);
		if (s->os_version)
			cstr(&in, "build", s->os_version);
		ao_ch(w->o, '}');
	}
	if (CRP_HAS(f->info, CRP_INFO_TIMESTAMP) && have_time(&f->info->timestamp)) {
		bkey(w, "captureTime");
		date(w, f->info->timestamp.usec, 4);
	}
	if (CRP_HAS(f->info, CRP_INFO_ID)) {
		bkey(w, "incident");
		js_cstr(w->o, f->info->id);
	}
	bkey(w, "bug_type");
	AO_LIT(w->o, "\"309\"");
	if (CRP_HAS(s, CRP_SYSTEM_PROCESS_ID)) {
		bkey(w, "pid");
		crp__ao_sdec(w->o, s->process_id);
	}
	if (crp__apple_code_type(f)) {
		bkey(w, "cpuType");
		js_cstr(w->o, crp__apple_code_type(f));
	}
	if (CRP_HAS(s, CRP_SYSTEM_PROC_TRANSLATED) && s->proc_translated) {
		bkey(w, "translated");
		AO_LIT(w->o, "true");
	}
}

/* The process: name, path, bundle, parent, device key. */
static void body_bundle(iw *w)
{
	const apple_facts *f = &w->f;
	const crp_system *s = f->sys;
	const char *proc = process_name(f);
	if (proc) {
		bkey(w, "procName");
		js_cstr(w->o, proc);
	}
	if (s->executable_path) {
		bkey(w, "procPath");
		js_cstr(w->o, s->executable_path);
	}
	if (s->bundle_short_version || s->bundle_version || s->bundle_id) {
		iw in = {w->st, w->o, {0}, true};
		bkey(w, "bundleInfo");
		ao_ch(w->o, '{');
		if (s->bundle_short_version)
			cstr(&in, "CFBundleShortVersionString", s->bundle_short_version);
		if (s->bundle_version)
			cstr(&in, "CFBundleVersion", s->bundle_version);
		if (s->bundle_id)
			cstr(&in, "CFBundleIdentifier", s->bundle_id);
		ao_ch(w->o, '}');
	}
	bool ppid = CRP_HAS(s, CRP_SYSTEM_PARENT_PROCESS_ID);
	const char *pname = s->parent_process_name ? s->parent_process_name
			  : ppid && s->parent_process_id == 1 ? "launchd" : NULL;
	if (pname) {
		bkey(w, "parentProc");
		js_cstr(w->o, pname);
	}
	if (ppid) {
		bkey(w, "parentPid");
		crp__ao_sdec(w->o, s->parent_process_id);
	}
	if (s->device_app_hash) {
		bkey(w, "crashReporterKey");
		js_cstr(w->o, s->device_app_hash);
	}
}

/* -- body: exception ---------------------------------------------------------------------- */

static void count_parts(void *arg, const apple_span *p, size_t n)
{
	CRP_UNUSED(p);
	*(size_t *)arg += n;
}

/* The pieces of one JSON string, escaped, without the quotes. */
static void raw_parts(void *arg, const apple_span *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		js_body(arg, p[i].p, p[i].n);
}

static void hex_string(iw *w, uint64_t v, uint64_t v2)
{
	unsigned digits = w->f.is64 ? 16 : 8;
	ao_ch(w->o, '"');
	crp__ao_hex(w->o, v, digits);
	AO_LIT(w->o, ", ");
	crp__ao_hex(w->o, v2, digits);
	ao_ch(w->o, '"');
}

static void body_exception(iw *w, const apple_exc *e)
{
	iw in = {w->st, w->o, {0}, true};
	in.f = w->f;
	bkey(w, "exception");
	ao_ch(w->o, '{');
	if (e->have_codes) {
		ckey(&in, "codes");
		hex_string(w, e->code, e->subcode);
		ckey(&in, "rawCodes");
		ao_ch(w->o, '[');
		crp__ao_dec(w->o, e->code);
		ao_ch(w->o, ',');
		crp__ao_dec(w->o, e->subcode);
		ao_ch(w->o, ']');
	}
	if (e->type)
		cstr(&in, "type", e->type);
	if (e->signal)
		cstr(&in, "signal", e->signal);
	if (e->resource)
		cstr(&in, "subtype", e->resource);
	if (e->subtype) {
		ckey(&in, "subtype");
		ao_ch(w->o, '"');
		raw_parts(w->o, &(apple_span){e->subtype, strlen(e->subtype)}, 1);
		AO_LIT(w->o, " at ");
		crp__ao_hex(w->o, e->subtype_addr, w->f.is64 ? 16 : 8);
		ao_ch(w->o, '"');
	}
	size_t parts = 0;
	crp__apple_message(&w->f, count_parts, &parts);
	if (parts && w->f.event != APPLE_EV_WATCHDOG) {
		ckey(&in, "message");
		ao_ch(w->o, '"');
		crp__apple_message(&w->f, raw_parts, w->o);
		ao_ch(w->o, '"');
	}
	ao_ch(w->o, '}');
	if (e->note && w->f.event == APPLE_EV_HANG) {
		bkey(w, "isNonFatal");
		AO_LIT(w->o, "1");
	}
}

static void body_termination(iw *w, const apple_exc *e)
{
	iw in = {w->st, w->o, {0}, true};
	size_t parts = 0;
	if (!e->term_ns)
		return;
	crp__apple_message(&w->f, count_parts, &parts);
	bkey(w, "termination");
	ao_ch(w->o, '{');
	cnum(&in, "code", e->term_code);
	cstr(&in, "namespace", e->term_ns);
	if (e->term_indicator) {
		ckey(&in, "indicator");
		ao_ch(w->o, '"');
		raw_parts(w->o, &(apple_span){e->term_indicator, strlen(e->term_indicator)}, 1);
		AO_LIT(w->o, ": ");
		crp__ao_dec(w->o, e->term_code);
		ao_ch(w->o, '"');
	} else if (parts) {
		ckey(&in, "indicator");
		ao_ch(w->o, '"');
		crp__apple_message(&w->f, raw_parts, w->o);
		ao_ch(w->o, '"');
	}
	ao_ch(w->o, '}');
}

/* Application Specific Information: {"<process>": ["line", ...]}. */
typedef struct asi_json {
	iw *w;
	size_t lines;
} asi_json;

static void asi_line(void *arg, const apple_span *p, size_t n)
{
	asi_json *a = arg;
	ao *o = a->w->o;
	if (!a->lines++) {
		const char *proc = process_name(&a->w->f);
		bkey(a->w, "asi");
		ao_ch(o, '{');
		js_cstr(o, proc ? proc : "???");
		AO_LIT(o, ":[");
	} else {
		ao_ch(o, ',');
	}
	ao_ch(o, '"');
	raw_parts(o, p, n);
	ao_ch(o, '"');
}

static void recrash_line(iw *w, const crp_report *handler, asi_json *a)
{
	apple_facts hf = w->f;
	apple_exc e;
	hf.r = handler;
	hf.crash = crp_report_crash(handler);
	hf.err = &hf.crash->error;
	hf.crashed = crp_report_crashed_thread(handler, &hf.crashed_pos);
	hf.event = APPLE_EV_CRASH;
	crp__apple_exception(&hf, &e);
	static const char intro[] = "The crash reporter crashed while writing this report: ";
	apple_span p[5] = {{intro, sizeof intro - 1},
			   {e.type ? e.type : "???", strlen(e.type ? e.type : "???")}, {" (", 2},
			   {e.signal ? e.signal : "", e.signal ? strlen(e.signal) : 0}, {")", 1}};
	asi_line(a, p, e.signal ? 5 : 2);
}

/* -- body: threads ------------------------------------------------------------------------ */

/* Index of a frame's image in usedImages: report order, the placeholder last. */
static size_t image_index(const iw *w, const apple_frame *a)
{
	return a->img ? a->img->pos : w->f.image_count;
}

static void frame_object(iw *w, const crp_frame *fr, bool *any_unknown)
{
	apple_frame a;
	iw in = {w->st, w->o, {0}, true};
	crp__apple_frame(&w->f, fr, &a);
	const crp_symbolication *sy = fr->symbolicated && fr->symbolicated->count && fr->symbolicated->locs
					      ? fr->symbolicated : NULL;
	size_t levels = sy ? sy->count : 1;
	uint64_t offset = a.img ? a.addr - a.img->lo : a.addr;
	if (!a.img)
		*any_unknown = true;
	for (size_t i = 0; i < levels; i++) {
		const crp_symloc *l = sy ? &sy->locs[i] : NULL;
		const char *sym = l ? l->function : a.symbol;
		uint64_t sym_off = l ? (a.addr >= sy->function_addr ? a.addr - sy->function_addr : 0) : a.sym_off;
		if (i)
			ao_ch(w->o, ',');
		ao_ch(w->o, '{');
		in.first = true;
		cnum(&in, "imageOffset", offset);
		if (sym) {
			cstr(&in, "symbol", crp__apple_demangle(sym, w->st->demangled, sizeof w->st->demangled));
			cnum(&in, "symbolLocation", sym_off);
		}
		cnum(&in, "imageIndex", image_index(w, &a));
		if (l && l->file) {
			cstr(&in, "sourceFile", crp__apple_basename(l->file));
			cnum(&in, "sourceLine", l->line);
		}
		if (sy && i + 1 < levels)
			cstr(&in, "inline", "true"); /* Xcode's CrashSymbolicator spells it as a string */
		ao_ch(w->o, '}');
	}
}

static void frames(iw *w, const crp_backtrace *bt, bool *any_unknown)
{
	ao_ch(w->o, '[');
	for (size_t i = 0; i < bt->frame_count; i++) {
		if (i)
			ao_ch(w->o, ',');
		frame_object(w, &bt->frames[i], any_unknown);
	}
	ao_ch(w->o, ']');
}

static const crp_register *reg(const crp_regset *rs, const char *name)
{
	for (size_t i = 0; i < rs->count; i++)
		if (strcmp(rs->regs[i].name, name) == 0)
			return &rs->regs[i];
	return NULL;
}

static void reg_member(iw *in, const char *key, const crp_register *r, const char *desc)
{
	ckey(in, key);
	AO_LIT(in->o, "{\"value\":");
	crp__ao_dec(in->o, r->value);
	if (desc && desc[0]) {
		AO_LIT(in->o, ",\"description\":");
		js_cstr(in->o, desc);
	}
	ao_ch(in->o, '}');
}

/* Numbered registers as an array ("x" on arm64, "r" on arm); a missing one is {}. */
static void reg_array(iw *in, const char *key, const crp_regset *rs, const char *const *names, size_t n)
{
	ckey(in, key);
	ao_ch(in->o, '[');
	for (size_t i = 0; i < n; i++) {
		const crp_register *r = reg(rs, names[i]);
		if (i)
			ao_ch(in->o, ',');
		if (!r) {
			AO_LIT(in->o, "{}");
			continue;
		}
		AO_LIT(in->o, "{\"value\":");
		crp__ao_dec(in->o, r->value);
		ao_ch(in->o, '}');
	}
	ao_ch(in->o, ']');
}

static bool in_list(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static void thread_state(iw *w, const crp_thread *t)
{
	static const char *const x[] = {"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",
					"x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19",
					"x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28"};
	static const char *const r[] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9",
					"r10", "r11", "ip"};
	static const char *const flavors[] = {NULL, "ARM_THREAD_STATE", "ARM_THREAD_STATE64",
					      "x86_THREAD_STATE32", "x86_THREAD_STATE"};
	const crp_regset *b = &t->registers.basic, *e = &t->registers.exception;
	iw in = {w->st, w->o, {0}, true};
	char desc[64];
	ckey(w, "threadState");
	ao_ch(w->o, '{');
	if (w->f.cpu == APPLE_CPU_ARM64)
		reg_array(&in, "x", b, x, CRP_ARRAY_LEN(x));
	else if (w->f.cpu == APPLE_CPU_ARM)
		reg_array(&in, "r", b, r, CRP_ARRAY_LEN(r));
	if (flavors[w->f.cpu])
		cstr(&in, "flavor", flavors[w->f.cpu]);
	for (size_t i = 0; i < b->count; i++) {
		const char *name = b->regs[i].name;
		if ((w->f.cpu == APPLE_CPU_ARM64 && in_list(name, x, CRP_ARRAY_LEN(x))) ||
		    (w->f.cpu == APPLE_CPU_ARM && in_list(name, r, CRP_ARRAY_LEN(r))))
			continue;
		reg_member(&in, name, &b->regs[i], NULL);
	}
	const crp_register *err = reg(e, "err");
	for (size_t i = 0; i < e->count; i++) {
		const char *name = e->regs[i].name;
		desc[0] = '\0';
		if (strcmp(name, "esr") == 0)
			crp__apple_esr_text(e->regs[i].value, desc, sizeof desc);
		if (strcmp(name, "faultvaddr") == 0)
			name = "cr2";
		if (strcmp(name, "trapno") == 0) {
			name = "trap";
			if (e->regs[i].value == 14 && err) { /* a page fault: Apple words the error code here */
				desc[0] = '(';
				size_t n = crp__apple_pagefault_text(err->value, desc + 1, sizeof desc - 2);
				memcpy(desc + 1 + n, ")", 2);
			}
		}
		reg_member(&in, name, &e->regs[i], desc);
	}
	ao_ch(w->o, '}');
}

static void thread_object(iw *w, const crp_thread *t, size_t pos, bool *any_unknown)
{
	iw in = {w->st, w->o, {0}, true};
	in.f = w->f;
	ao_ch(w->o, '{');
	if (t == w->f.crashed) {
		ckey(&in, "triggered");
		AO_LIT(w->o, "true");
	}
	cnum(&in, "id", CRP_HAS(t, CRP_THREAD_INDEX) ? t->index : pos);
	if (t == w->f.crashed && CRP_HAS(t, CRP_THREAD_REGISTERS) && t->registers.basic.count)
		thread_state(&in, t);
	if (CRP_HAS(t, CRP_THREAD_NAME))
		cstr(&in, "name", t->name);
	if (CRP_HAS(t, CRP_THREAD_DISPATCH_QUEUE))
		cstr(&in, "queue", t->dispatch_queue);
	ckey(&in, "frames");
	static const crp_backtrace none;
	frames(&in, CRP_HAS(t, CRP_THREAD_BACKTRACE) ? &t->backtrace : &none, any_unknown);
	ao_ch(w->o, '}');
}

static void body_threads(iw *w, bool *any_unknown)
{
	const crp_crash *c = w->f.crash;
	if (w->f.crashed) {
		bkey(w, "faultingThread");
		crp__ao_dec(w->o, w->f.crashed_pos == SIZE_MAX ? 0 : w->f.crashed_pos);
	}
	bkey(w, "threads");
	ao_ch(w->o, '[');
	for (size_t i = 0; i < c->thread_count; i++) {
		if (i)
			ao_ch(w->o, ',');
		thread_object(w, &c->threads[i], i, any_unknown);
	}
	if (!c->thread_count && w->f.crashed)
		thread_object(w, w->f.crashed, 0, any_unknown);
	ao_ch(w->o, ']');
	const crp_backtrace *leb = CRP_HAS(c, CRP_CRASH_LAST_EXCEPTION_BACKTRACE) ? &c->last_exception_backtrace
				 : CRP_HAS(&w->f.err->nsexception, CRP_NSEXC_BACKTRACE) ? &w->f.err->nsexception.backtrace
											 : NULL;
	if (leb && leb->frame_count) {
		bkey(w, "lastExceptionBacktrace");
		frames(w, leb, any_unknown);
	}
}

/* -- body: images ------------------------------------------------------------------------- */

static void image_member(ao *o, const char *key, bool comma)
{
	ao_str(o, comma ? ",\n    \"" : "\n    \"");
	ao_str(o, key);
	AO_LIT(o, "\" : ");
}

static void used_image(iw *w, const crp_image *im)
{
	ao *o = w->o;
	AO_LIT(o, "  {\n    \"source\" : \"P\"");
	const char *arch = CRP_HAS(im, CRP_IMAGE_CPU_TYPE)
				   ? crp_arch_name(im->cpu_type, CRP_HAS(im, CRP_IMAGE_CPU_SUBTYPE) ? im->cpu_subtype : 0)
				   : NULL;
	if (arch) {
		image_member(o, "arch", true);
		js_cstr(o, arch);
	}
	if (CRP_HAS(im, CRP_IMAGE_ADDR)) {
		image_member(o, "base", true);
		crp__ao_dec(o, im->image_addr);
	}
	if (CRP_HAS(im, CRP_IMAGE_SIZE)) {
		image_member(o, "size", true);
		crp__ao_dec(o, im->image_size);
	}
	if (CRP_HAS(im, CRP_IMAGE_UUID)) {
		image_member(o, "uuid", true);
		ao_ch(o, '"');
		crp__ao_uuid(o, &im->uuid, false, true);
		ao_ch(o, '"');
	}
	if (CRP_HAS(im, CRP_IMAGE_NAME)) {
		image_member(o, "path", true);
		js_cstr(o, im->name);
		image_member(o, "name", true);
		js_cstr(o, crp__apple_basename(im->name));
	}
	AO_LIT(o, "\n  }");
}

static void body_images(iw *w, bool any_unknown)
{
	ao *o = w->o;
	bkey(w, "usedImages");
	AO_LIT(o, "[\n");
	for (size_t i = 0; i < w->f.image_count; i++) {
		if (i)
			AO_LIT(o, ",\n");
		used_image(w, &w->f.images[i]);
	}
	if (any_unknown) { /* frames outside every image point here, at their absolute address */
		if (w->f.image_count)
			AO_LIT(o, ",\n");
		AO_LIT(o, "  {\n    \"source\" : \"A\",\n    \"base\" : 0,\n    \"size\" : 0,\n"
			  "    \"uuid\" : \"00000000-0000-0000-0000-000000000000\"\n  }");
	}
	AO_LIT(o, "\n]");
}

/* -- report ------------------------------------------------------------------------------- */

static int ips_write(crp_emit_ctx *c, void *state, const crp_report *r)
{
	ips_state *st = state;
	const crp_report *orig = crp_report_recrash(r);
	iw w = {st, &st->o, {0}, true};
	st->o.c = c;
	st->o.n = 0;
	CRP_TRY(crp__apple_facts(&w.f, c, &st->scratch, orig ? orig : r));
	metadata(&w);
	ao_ch(w.o, '{');
	w.first = true;
	body_process(&w);
	body_bundle(&w);
	apple_exc e;
	crp__apple_exception(&w.f, &e);
	body_exception(&w, &e);
	body_termination(&w, &e);
	asi_json a = {&w, 0};
	crp__apple_asi(&w.f, asi_line, &a);
	if (orig)
		recrash_line(&w, r, &a);
	if (a.lines)
		AO_LIT(w.o, "]}");
	bool any_unknown = false;
	body_threads(&w, &any_unknown);
	const crp_thread *ht = orig ? crp_report_crashed_thread(r, NULL) : NULL;
	if (ht && CRP_HAS(ht, CRP_THREAD_BACKTRACE)) {
		/* the crash handler's own thread, as a backtrace of the report */
		bkey(&w, "recrashBacktrace");
		frames(&w, &ht->backtrace, &any_unknown);
	}
	body_images(&w, any_unknown);
	if (crp_report_is_incomplete(r) || (orig && crp_report_is_incomplete(orig))) {
		bkey(&w, "reportNotes");
		AO_LIT(w.o, "[\"incomplete report: the crash reporter did not finish writing it\"]");
	}
	AO_LIT(w.o, "\n}\n");
	crp__ao_flush(w.o);
	return CRP_OK;
}

static void ips_cleanup(crp_emit_ctx *c, void *state)
{
	ips_state *st = state;
	crp__apple_scratch_free(c, &st->scratch);
}

const crp_emitter crp__emitter_ips = {
	CRP_EMITTER_VERSION, "ips", ".ips",
	"Apple .ips crash report (bug_type 309: metadata line + JSON body, iOS 15+)", 0,
	sizeof(ips_state), NULL, NULL, ips_write, NULL, ips_cleanup,
};
