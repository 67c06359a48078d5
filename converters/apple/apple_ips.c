/* Apple .ips (bug_type 309), the `ips` emitter: a one-line metadata header, then the JSON body
 * Apple's iOS 15+ crash reporter writes, filled from the report by the .ips -> .crash table of
 * apple-format.md section 12 read backwards. Layout follows Apple's files: two-space indent,
 * " : " after keys, small objects and the thread list on one line, slashes escaped. Keys come
 * in the order Apple writes them; a report read from an .ips (or a .crash) gives back, under
 * their names, the keys the model has no field for (the "apple" extras). */
#include "apple_ips.h"
#include "common/convert.h"

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

void crp__ips_str(ao *o, const char *s, size_t n)
{
	js_str(o, s, n);
}

void crp__ips_cstr_raw(ao *o, const char *s)
{
	ao_str(o, s);
}

void crp__ips_value(ao *o, const crp_value *v)
{
	switch (v->type) {
	case CRP_VALUE_NULL: AO_LIT(o, "null"); return;
	case CRP_VALUE_BOOL: ao_str(o, v->u.boolean ? "true" : "false"); return;
	case CRP_VALUE_NUMBER: crp__ao_write(o, v->u.num.ptr, v->u.num.len); return;
	case CRP_VALUE_STRING: js_str(o, v->u.str.ptr, v->u.str.len); return;
	case CRP_VALUE_ARRAY:
		ao_ch(o, '[');
		for (size_t i = 0; i < v->u.arr.count; i++) {
			if (i)
				ao_ch(o, ',');
			crp__ips_value(o, &v->u.arr.items[i]);
		}
		ao_ch(o, ']');
		return;
	case CRP_VALUE_OBJECT:
		ao_ch(o, '{');
		for (size_t i = 0; i < v->u.obj.count; i++) {
			if (i)
				ao_ch(o, ',');
			js_str(o, v->u.obj.members[i].key.ptr, v->u.obj.members[i].key.len);
			ao_ch(o, ':');
			crp__ips_value(o, &v->u.obj.members[i].value);
		}
		ao_ch(o, '}');
		return;
	}
}

void crp__ips_ckey(iw *w, const char *key)
{
	if (!w->first)
		ao_ch(w->o, ',');
	w->first = false;
	js_cstr(w->o, key);
	ao_ch(w->o, ':');
}

void crp__ips_bkey(iw *w, const char *key)
{
	ao_str(w->o, w->first ? "\n  " : ",\n  ");
	w->first = false;
	js_cstr(w->o, key);
	AO_LIT(w->o, " : ");
}

void crp__ips_cstr(iw *w, const char *key, const char *v)
{
	crp__ips_ckey(w, key);
	js_cstr(w->o, v);
}

void crp__ips_cnum(iw *w, const char *key, uint64_t v)
{
	crp__ips_ckey(w, key);
	crp__ao_dec(w->o, v);
}

static bool listed(const crp_span *k, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(names[i]) == k->len && memcmp(names[i], k->ptr, k->len) == 0)
			return true;
	return false;
}

void crp__ips_members(iw *w, const crp_value *obj, const char *const *skip, size_t nskip)
{
	for (size_t i = 0; obj && obj->type == CRP_VALUE_OBJECT && i < obj->u.obj.count; i++) {
		const crp_member *m = &obj->u.obj.members[i];
		if (listed(&m->key, skip, nskip))
			continue;
		if (!w->first)
			ao_ch(w->o, ',');
		w->first = false;
		js_str(w->o, m->key.ptr, m->key.len);
		ao_ch(w->o, ':');
		crp__ips_value(w->o, &m->value);
	}
}

/* -- the metadata line -------------------------------------------------------------------- */

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
	const char *parts[3] = {crp__apple_system_name(s), s->system_version, train_only ? NULL : s->os_version};
	bool any = false;
	ao_ch(w->o, '"'); /* written part by part: a name may be any length */
	for (int i = 0; i < 3; i++) {
		size_t k = parts[i] ? strlen(parts[i]) : 0;
		const char *t = parts[i] ? crp__ao_trim(parts[i], &k) : NULL; /* as the reader trims */
		if (!t || (!k && i < 2))
			continue;
		if (any)
			ao_ch(w->o, ' ');
		if (i == 2)
			ao_ch(w->o, '(');
		js_body(w->o, t, k);
		if (i == 2)
			ao_ch(w->o, ')');
		any = true;
	}
	ao_ch(w->o, '"');
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

static void incident(iw *w, const char *key)
{
	char id[37];
	crp__apple_incident(&w->f, id);
	crp__ips_cstr(w, key, id);
}

/* The metadata line read with the report, as it was (but for bug_type: the body is 309). One
 * that had none (a line cut short) gets it last: without it the line is not a crash report's. */
static bool kept_metadata(iw *w)
{
	static const char *const skip[] = {"bug_type"};
	const crp_value *m = crp__apple_x(&w->f, "metadata");
	bool typed = false;
	if (!m || m->type != CRP_VALUE_OBJECT)
		return false;
	for (size_t i = 0; i < m->u.obj.count; i++) {
		const crp_member *x = &m->u.obj.members[i];
		if (x->key.len == 8 && memcmp(x->key.ptr, "bug_type", 8) == 0) {
			if (!typed)
				crp__ips_cstr(w, "bug_type", "309");
			typed = true;
			continue;
		}
		crp__ips_members(w, &(crp_value){.type = CRP_VALUE_OBJECT, .u.obj = {x, 1}}, skip, 0);
	}
	if (!typed)
		crp__ips_cstr(w, "bug_type", "309");
	return true;
}

static void metadata(iw *w)
{
	const apple_facts *f = &w->f;
	const crp_system *s = f->sys;
	const char *proc = crp__apple_process(f);
	ao_ch(w->o, '{');
	w->first = true;
	if (kept_metadata(w)) {
		AO_LIT(w->o, "}\n");
		return;
	}
	if (proc)
		crp__ips_cstr(w, "app_name", proc);
	if (CRP_HAS(f->info, CRP_INFO_TIMESTAMP) && have_time(&f->info->timestamp)) {
		crp__ips_ckey(w, "timestamp");
		date(w, f->info->timestamp.usec, 2);
	}
	if (s->bundle_short_version)
		crp__ips_cstr(w, "app_version", s->bundle_short_version);
	if (f->main_image && CRP_HAS(f->main_image, CRP_IMAGE_UUID)) {
		crp__ips_ckey(w, "slice_uuid");
		ao_ch(w->o, '"');
		crp__ao_uuid(w->o, &f->main_image->uuid, false, true);
		ao_ch(w->o, '"');
	}
	if (s->bundle_version)
		crp__ips_cstr(w, "build_version", s->bundle_version);
	if (platform(f))
		crp__ips_cnum(w, "platform", (uint64_t)platform(f));
	if (s->bundle_id)
		crp__ips_cstr(w, "bundleID", s->bundle_id);
	crp__ips_cstr(w, "bug_type", "309");
	if (have_os(f)) {
		crp__ips_ckey(w, "os_version");
		os_version_text(w, false);
	}
	incident(w, "incident_id");
	if (proc)
		crp__ips_cstr(w, "name", proc);
	AO_LIT(w->o, "}\n");
}

/* -- the body's keys ---------------------------------------------------------------------- */

/* A kept key, written as it was read. */
static bool kept(iw *w, const char *key)
{
	const crp_value *v = crp__apple_x(&w->f, key);
	if (!v)
		return false;
	crp__ips_bkey(w, key);
	crp__ips_value(w->o, v);
	return true;
}

static void proc_launch(iw *w, const char *key)
{
	const crp_system *s = w->f.sys;
	if (CRP_HAS(s, CRP_SYSTEM_APP_START_TIME) && have_time(&s->app_start_time)) {
		crp__ips_bkey(w, key);
		date(w, s->app_start_time.usec, 4);
	}
}

static void capture_time(iw *w, const char *key)
{
	const crp_info *in = w->f.info;
	if (CRP_HAS(in, CRP_INFO_TIMESTAMP) && have_time(&in->timestamp)) {
		crp__ips_bkey(w, key);
		date(w, in->timestamp.usec, 4);
	}
}

static void proc_role(iw *w, const char *key)
{
	const crp_system *s = w->f.sys;
	const crp_app_stats *st = &s->application_stats;
	if (CRP_HAS(s, CRP_SYSTEM_APPLICATION_STATS) && CRP_HAS(st, CRP_STATS_APPLICATION_IN_FOREGROUND)) {
		crp__ips_bkey(w, key);
		js_cstr(w->o, st->application_in_foreground ? "Foreground" : "Background");
	} else {
		kept(w, key);
	}
}

static void version(iw *w, const char *key)
{
	if (!kept(w, key)) {
		crp__ips_bkey(w, key);
		AO_LIT(w->o, "2");
	}
}

static void bug_type(iw *w, const char *key)
{
	if (!kept(w, key)) {
		crp__ips_bkey(w, key);
		AO_LIT(w->o, "\"309\"");
	}
}

static void str_key(iw *w, const char *key, const char *v)
{
	if (v) {
		crp__ips_bkey(w, key);
		js_cstr(w->o, v);
	}
}

static void model_code(iw *w, const char *key) { str_key(w, key, w->f.sys->machine); }
static void proc_path(iw *w, const char *key) { str_key(w, key, w->f.sys->executable_path); }
static void crash_reporter_key(iw *w, const char *key) { str_key(w, key, w->f.sys->device_app_hash); }

static void body_incident(iw *w, const char *key)
{
	char id[37];
	crp__apple_incident(&w->f, id);
	str_key(w, key, id);
}

static void os_version(iw *w, const char *key)
{
	static const char *const skip[] = {"isEmbedded", "train", "build", "releaseType"};
	const apple_facts *f = &w->f;
	const crp_value *x = crp__apple_x(f, key), *emb = crp_value_get(x, "isEmbedded"), *rel = crp_value_get(x, "releaseType");
	if (!have_os(f) && !x)
		return;
	if (!have_os(f) && x->type != CRP_VALUE_OBJECT) { /* not Apple's object: as the .ips said it */
		crp__ips_bkey(w, key);
		crp__ips_value(w->o, x);
		return;
	}
	iw in = *w;
	in.first = true;
	crp__ips_bkey(w, key);
	ao_ch(w->o, '{');
	if (emb || (f->sys->system_name && !f->x)) {
		crp__ips_ckey(&in, "isEmbedded");
		if (emb)
			crp__ips_value(w->o, emb);
		else
			ao_str(w->o, platform(f) == 1 ? "false" : "true");
	}
	if (have_os(f)) {
		crp__ips_ckey(&in, "train");
		os_version_text(w, true);
	}
	if (rel) {
		crp__ips_ckey(&in, "releaseType");
		crp__ips_value(w->o, rel);
	}
	if (f->sys->os_version)
		crp__ips_cstr(&in, "build", f->sys->os_version);
	crp__ips_members(&in, x, skip, CRP_ARRAY_LEN(skip));
	ao_ch(w->o, '}');
}

/* pid and procName are always written: lldb's parser needs both (issue 14.3); 0 and "???"
 * stand for what the report lacks, as in the .crash header. */
static void pid(iw *w, const char *key)
{
	crp__ips_bkey(w, key);
	if (CRP_HAS(w->f.sys, CRP_SYSTEM_PROCESS_ID))
		crp__ao_sdec(w->o, w->f.sys->process_id);
	else
		ao_ch(w->o, '0');
}

static void proc_name(iw *w, const char *key)
{
	const char *p = crp__apple_process(&w->f);
	str_key(w, key, p ? p : "???");
}

static void cpu_type(iw *w, const char *key)
{
	if (crp__apple_code_type(&w->f))
		str_key(w, key, crp__apple_code_type(&w->f));
	else
		kept(w, key);
}

static void translated(iw *w, const char *key)
{
	const crp_system *s = w->f.sys;
	if (CRP_HAS(s, CRP_SYSTEM_PROC_TRANSLATED) && s->proc_translated) {
		crp__ips_bkey(w, key);
		AO_LIT(w->o, "true");
	}
}

static void bundle_info(iw *w, const char *key)
{
	static const char *const skip[] = {"CFBundleShortVersionString", "CFBundleVersion", "CFBundleIdentifier"};
	const crp_system *s = w->f.sys;
	const crp_value *x = crp__apple_x(&w->f, key);
	if (x && (x->type != CRP_VALUE_OBJECT || !x->u.obj.count))
		x = NULL; /* nothing of it would be written: no "{}" that reads back as nothing */
	if (!s->bundle_short_version && !s->bundle_version && !s->bundle_id && !x)
		return;
	iw in = *w;
	in.first = true;
	crp__ips_bkey(w, key);
	ao_ch(w->o, '{');
	if (s->bundle_short_version)
		crp__ips_cstr(&in, "CFBundleShortVersionString", s->bundle_short_version);
	if (s->bundle_version)
		crp__ips_cstr(&in, "CFBundleVersion", s->bundle_version);
	if (s->bundle_id)
		crp__ips_cstr(&in, "CFBundleIdentifier", s->bundle_id);
	crp__ips_members(&in, x, skip, CRP_ARRAY_LEN(skip));
	ao_ch(w->o, '}');
}

static void parent_proc(iw *w, const char *key)
{
	const crp_system *s = w->f.sys;
	bool ppid = CRP_HAS(s, CRP_SYSTEM_PARENT_PROCESS_ID);
	str_key(w, key, s->parent_process_name ? s->parent_process_name
			: ppid && s->parent_process_id == 1 ? "launchd" : NULL);
}

static void parent_pid(iw *w, const char *key)
{
	if (CRP_HAS(w->f.sys, CRP_SYSTEM_PARENT_PROCESS_ID)) {
		crp__ips_bkey(w, key);
		crp__ao_sdec(w->o, w->f.sys->parent_process_id);
	}
}

/* -- exception, termination, Application Specific Information ----------------------------- */

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

/* One member: what the .ips said (kept), else derived; false when neither. */
static bool kept_member(iw *in, const crp_value *x, const char *key)
{
	const crp_value *v = crp_value_get(x, key);
	if (!v)
		return false;
	crp__ips_ckey(in, key);
	crp__ips_value(in->o, v);
	return true;
}

static void exception_message(iw *w, iw *in, const crp_value *x)
{
	size_t parts = 0;
	if (kept_member(in, x, "message"))
		return;
	crp__apple_message(&w->f, count_parts, &parts);
	if (parts && w->f.event != APPLE_EV_WATCHDOG) {
		crp__ips_ckey(in, "message");
		ao_ch(w->o, '"');
		crp__apple_message(&w->f, raw_parts, w->o);
		ao_ch(w->o, '"');
	}
}

static void exception_obj(iw *w, const char *key)
{
	static const char *const skip[] = {"codes", "rawCodes", "type", "signal", "subtype", "message"};
	const crp_value *x = crp__apple_x(&w->f, key);
	apple_exc e;
	iw in = *w;
	in.first = true;
	crp__apple_exception(&w->f, &e);
	crp__ips_bkey(w, key);
	ao_ch(w->o, '{');
	if (!kept_member(&in, x, "codes") && e.have_codes) {
		crp__ips_ckey(&in, "codes");
		hex_string(w, e.code, e.subcode);
	}
	if (e.have_codes) {
		crp__ips_ckey(&in, "rawCodes");
		ao_ch(w->o, '[');
		crp__ao_dec(w->o, e.code);
		ao_ch(w->o, ',');
		crp__ao_dec(w->o, e.subcode);
		ao_ch(w->o, ']');
	}
	crp__ips_cstr(&in, "type", e.type ? e.type : "EXC_CRASH"); /* lldb's parser needs one */
	if (e.signal)
		crp__ips_cstr(&in, "signal", e.signal);
	if (!kept_member(&in, x, "subtype") && (e.resource || e.subtype)) {
		crp__ips_ckey(&in, "subtype");
		ao_ch(w->o, '"');
		raw_parts(w->o, &(apple_span){e.resource ? e.resource : e.subtype, strlen(e.resource ? e.resource : e.subtype)}, 1);
		if (!e.resource) {
			AO_LIT(w->o, " at ");
			crp__ao_hex(w->o, e.subtype_addr, w->f.is64 ? 16 : 8);
		}
		ao_ch(w->o, '"');
	}
	exception_message(w, &in, x);
	crp__ips_members(&in, x, skip, CRP_ARRAY_LEN(skip));
	ao_ch(w->o, '}');
}

static void non_fatal(iw *w, const char *key)
{
	apple_exc e;
	if (kept(w, key))
		return;
	crp__apple_exception(&w->f, &e);
	if (e.note && w->f.event == APPLE_EV_HANG) {
		crp__ips_bkey(w, key);
		AO_LIT(w->o, "1");
	}
}

static void termination(iw *w, const char *key)
{
	apple_exc e;
	iw in = *w;
	size_t parts = 0;
	if (kept(w, key))
		return;
	crp__apple_exception(&w->f, &e);
	if (!e.term_ns)
		return;
	in.first = true;
	crp__apple_message(&w->f, count_parts, &parts);
	crp__ips_bkey(w, key);
	ao_ch(w->o, '{');
	crp__ips_cnum(&in, "code", e.term_code);
	crp__ips_cstr(&in, "namespace", e.term_ns);
	if (e.term_indicator) {
		crp__ips_ckey(&in, "indicator");
		ao_ch(w->o, '"');
		raw_parts(w->o, &(apple_span){e.term_indicator, strlen(e.term_indicator)}, 1);
		AO_LIT(w->o, ": ");
		crp__ao_dec(w->o, e.term_code);
		ao_ch(w->o, '"');
	} else if (parts) {
		crp__ips_ckey(&in, "indicator");
		ao_ch(w->o, '"');
		crp__apple_message(&w->f, raw_parts, w->o);
		ao_ch(w->o, '"');
	}
	ao_ch(w->o, '}');
}

/* Application Specific Information: {"<process>": ["line", ...]}. */
typedef struct asi_json {
	iw *w;
	const char *key;
	size_t lines;
} asi_json;

static void asi_line(void *arg, const apple_span *p, size_t n)
{
	asi_json *a = arg;
	ao *o = a->w->o;
	if (!a->lines++) {
		const char *proc = crp__apple_process(&a->w->f);
		crp__ips_bkey(a->w, a->key);
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

static void recrash_line(iw *w, asi_json *a)
{
	apple_facts hf = w->f;
	apple_exc e;
	hf.r = w->handler;
	hf.crash = crp_report_crash(w->handler);
	hf.err = &hf.crash->error;
	hf.crashed = crp_report_crashed_thread(w->handler, &hf.crashed_pos);
	hf.event = APPLE_EV_CRASH;
	crp__apple_exception(&hf, &e);
	static const char intro[] = "The crash reporter crashed while writing this report: ";
	apple_span p[5] = {{intro, sizeof intro - 1},
			   {e.type ? e.type : "???", strlen(e.type ? e.type : "???")}, {" (", 2},
			   {e.signal ? e.signal : "", e.signal ? strlen(e.signal) : 0}, {")", 1}};
	asi_line(a, p, e.signal ? 5 : 2);
}

static void asi(iw *w, const char *key)
{
	asi_json a = {w, key, 0};
	if (kept(w, key))
		return;
	crp__apple_asi(&w->f, asi_line, &a);
	if (w->handler)
		recrash_line(w, &a);
	if (a.lines)
		AO_LIT(w->o, "]}");
}

static void report_notes(iw *w, const char *key)
{
	if (kept(w, key))
		return;
	if (crp_report_is_incomplete(w->f.r) || (w->handler && crp_report_is_incomplete(w->handler))) {
		crp__ips_bkey(w, key);
		AO_LIT(w->o, "[\"incomplete report: the crash reporter did not finish writing it\"]");
	}
}

/* -- the body ----------------------------------------------------------------------------- */

typedef void (*key_fn)(iw *w, const char *key);

/* Apple's order; NULL: a key only Apple input has, written as it was read. */
static const struct {
	const char *key;
	key_fn fn;
} body_keys[] = {
	{"uptime", NULL}, {"procLaunch", proc_launch}, {"procRole", proc_role}, {"version", version},
	{"userID", NULL}, {"deployVersion", NULL}, {"modelCode", model_code}, {"procStartAbsTime", NULL},
	{"coalitionID", NULL}, {"osVersion", os_version}, {"captureTime", capture_time},
	{"incident", body_incident}, {"bug_type", bug_type}, {"pid", pid}, {"procExitAbsTime", NULL},
	{"cpuType", cpu_type}, {"translated", translated}, {"procName", proc_name}, {"procPath", proc_path},
	{"bundleInfo", bundle_info}, {"storeInfo", NULL}, {"parentProc", parent_proc},
	{"parentPid", parent_pid}, {"coalitionName", NULL}, {"crashReporterKey", crash_reporter_key},
	{"responsiblePid", NULL}, {"responsibleProc", NULL}, {"wakeTime", NULL}, {"sleepWakeUUID", NULL},
	{"sip", NULL}, {"basebandVersion", NULL}, {"bridgeVersion", NULL}, {"vmRegionInfo", NULL},
	{"isCorpse", NULL}, {"isNonFatal", non_fatal}, {"isSimulated", NULL}, {"exception", exception_obj},
	{"termination", termination}, {"vmregioninfo", NULL}, {"ktriageinfo", NULL}, {"asi", asi},
	{"asiBacktraces", NULL}, {"extMods", NULL}, {"faultingThread", crp__ips_faulting},
	{"threads", crp__ips_threads}, {"lastExceptionBacktrace", crp__ips_leb},
	{"recrashBacktrace", crp__ips_recrash}, {"usedImages", crp__ips_images}, {"sharedCache", NULL},
	{"vmSummary", NULL}, {"legacyInfo", NULL}, {"trialInfo", NULL}, {"reportNotes", report_notes},
};

static bool known_key(const crp_span *k)
{
	for (size_t i = 0; i < CRP_ARRAY_LEN(body_keys); i++)
		if (strlen(body_keys[i].key) == k->len && memcmp(body_keys[i].key, k->ptr, k->len) == 0)
			return true;
	return k->len == 8 && memcmp(k->ptr, "metadata", 8) == 0;
}

static void body(iw *w)
{
	for (size_t i = 0; i < CRP_ARRAY_LEN(body_keys); i++) {
		if (body_keys[i].fn)
			body_keys[i].fn(w, body_keys[i].key);
		else
			kept(w, body_keys[i].key);
	}
	const crp_value *x = w->f.x;
	for (size_t i = 0; x && i < x->u.obj.count; i++) { /* the rest, in the order read */
		const crp_member *m = &x->u.obj.members[i];
		if (known_key(&m->key))
			continue;
		ao_str(w->o, ",\n  ");
		js_str(w->o, m->key.ptr, m->key.len);
		AO_LIT(w->o, " : ");
		crp__ips_value(w->o, &m->value);
	}
}

static int ips_write(crp_emit_ctx *c, void *state, const crp_report *r)
{
	ips_state *st = state;
	const crp_report *orig = crp_report_recrash(r);
	iw w = {st, &st->o, {0}, true, orig ? r : NULL};
	st->any_unknown = false;
	st->o.c = c;
	st->o.n = 0;
	CRP_TRY(crp__apple_facts(&w.f, c, &st->scratch, orig ? orig : r));
	metadata(&w);
	ao_ch(w.o, '{');
	w.first = true;
	body(&w);
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
