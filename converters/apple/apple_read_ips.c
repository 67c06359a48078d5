/* The JSON body of an .ips file (bug_type 309), read with src/json's parser straight into the
 * model.
 *
 * Every container opens a context. The body, threads, frames, register states, images and
 * the small typed objects (osVersion, bundleInfo, exception) fill records in place; typed
 * arrays push their elements on the scratch stack and copy them to the arena when they close.
 * What the model has no field for is captured as a generic value (numbers as text, so 64-bit
 * values stay exact) and kept: body keys under the "apple" extras, other records' in their own
 * extras. Frames keep their image index until the images (listed after the threads) are known:
 * apple_read_finish.c resolves them. */
#include <stdio.h>

#include "apple.h"
#include "apple_read.h"
#include "common/convert.h"

typedef struct tok {
	crp_value_type type;
	bool boolean;
	bool built;          /* a captured container: v holds it */
	const char *s;
	size_t len;
	crp_value v;
} tok;

#define KEYS(...) static const char *const __VA_ARGS__

/* -- keys the contexts know --------------------------------------------------------------- */

enum {
	B_CAPTURE_TIME, B_INCIDENT, B_PROC_NAME, B_PID, B_PARENT_PROC, B_PARENT_PID, B_PROC_PATH,
	B_MODEL_CODE, B_PROC_LAUNCH, B_CPU_TYPE, B_TRANSLATED, B_CRK, B_PROC_ROLE, B_FAULTING,
	B_VERSION, B_BUG_TYPE, B_BUNDLE_INFO, B_OS_VERSION, B_EXCEPTION, B_THREADS, B_LEB,
	B_USED_IMAGES, B_ASI, B_COUNT
};
KEYS(body_keys[B_COUNT]) = {
	"captureTime", "incident", "procName", "pid", "parentProc", "parentPid", "procPath",
	"modelCode", "procLaunch", "cpuType", "translated", "crashReporterKey", "procRole",
	"faultingThread", "version", "bug_type", "bundleInfo", "osVersion", "exception", "threads",
	"lastExceptionBacktrace", "usedImages", "asi"};

enum { T_TRIGGERED, T_ID, T_NAME, T_QUEUE, T_FRAMES, T_STATE, T_COUNT };
KEYS(thread_keys[T_COUNT]) = {"triggered", "id", "name", "queue", "frames", "threadState"};

enum { F_OFFSET, F_INDEX, F_SYMBOL, F_SYMLOC, F_FILE, F_LINE, F_INLINE, F_IMAGE_NAME, F_SYM_IMAGE, F_COUNT };
KEYS(frame_keys[F_COUNT]) = {"imageOffset", "imageIndex", "symbol", "symbolLocation", "sourceFile",
			     "sourceLine", "inline", "imageName", "symbolImage"};

enum { I_BASE, I_SIZE, I_UUID, I_PATH, I_NAME, I_ARCH, I_SOURCE, I_COUNT };
KEYS(image_keys[I_COUNT]) = {"base", "size", "uuid", "path", "name", "arch", "source"};

enum { O_TRAIN, O_BUILD, O_COUNT };
KEYS(osv_keys[O_COUNT]) = {"train", "build"};

enum { N_ID, N_SHORT, N_VERSION, N_COUNT };
KEYS(bundle_keys[N_COUNT]) = {"CFBundleIdentifier", "CFBundleShortVersionString", "CFBundleVersion"};

enum { E_TYPE, E_SIGNAL, E_RAWCODES, E_SUBTYPE, E_COUNT };
KEYS(exc_keys[E_COUNT]) = {"type", "signal", "rawCodes", "subtype"};

/* Called for every key of a body: the first byte rules out most candidates before any length
 * is taken. */
static int key_index(const char *const *keys, size_t n, const unsigned char *s, size_t len)
{
	if (!len)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)keys[i][0] == s[0] && strlen(keys[i]) == len && memcmp(keys[i], s, len) == 0)
			return (int)i;
	return -1;
}

static bool is_key(const unsigned char *s, const char *lit, size_t len)
{
	return memcmp(s, lit, len) == 0;
}

/* A frame's keys, most of a body's: by length first, no table walk. */
static int frame_key(const unsigned char *s, size_t len)
{
	switch (len) {
	case 6: return is_key(s, "symbol", 6) ? F_SYMBOL : is_key(s, "inline", 6) ? F_INLINE : -1;
	case 9: return is_key(s, "imageName", 9) ? F_IMAGE_NAME : -1;
	case 10:
		return is_key(s, "imageIndex", 10) ? F_INDEX : is_key(s, "sourceFile", 10) ? F_FILE
			: is_key(s, "sourceLine", 10) ? F_LINE : -1;
	case 11: return is_key(s, "imageOffset", 11) ? F_OFFSET : is_key(s, "symbolImage", 11) ? F_SYM_IMAGE : -1;
	case 14: return is_key(s, "symbolLocation", 14) ? F_SYMLOC : -1;
	default: return -1;
	}
}

/* An image's keys: four letters, or "source". */
static int image_key(const unsigned char *s, size_t len)
{
	if (len == 6)
		return is_key(s, "source", 6) ? I_SOURCE : -1;
	if (len != 4)
		return -1;
	switch (s[0]) {
	case 'b': return is_key(s, "base", 4) ? I_BASE : -1;
	case 's': return is_key(s, "size", 4) ? I_SIZE : -1;
	case 'u': return is_key(s, "uuid", 4) ? I_UUID : -1;
	case 'p': return is_key(s, "path", 4) ? I_PATH : -1;
	case 'n': return is_key(s, "name", 4) ? I_NAME : -1;
	case 'a': return is_key(s, "arch", 4) ? I_ARCH : -1;
	default: return -1;
	}
}

static int key_of(uint8_t kind, const unsigned char *s, size_t len)
{
	switch (kind) {
	case AK_FRAME: return frame_key(s, len);
	case AK_IMAGE: return image_key(s, len);
	case AK_BODY: return key_index(body_keys, B_COUNT, s, len);
	case AK_THREAD: return key_index(thread_keys, T_COUNT, s, len);
	case AK_OSV: return key_index(osv_keys, O_COUNT, s, len);
	case AK_BUNDLE: return key_index(bundle_keys, N_COUNT, s, len);
	case AK_EXC: return key_index(exc_keys, E_COUNT, s, len);
	case AK_REG: return len == 5 && memcmp(s, "value", 5) == 0 ? 0 : -1;
	case AK_TSTATE: return len == 1 && (s[0] == 'x' || s[0] == 'r') ? 0 : -1;
	default: return -1;
	}
}

/* -- the parser ------------------------------------------------------------------------- */

static const crp_json_callbacks ips_callbacks;

/* The parser's depth limit one level above the reader's own, so that the reader's message
 * (with the path) is the one given. */
void crp__ar_json_open(ar_reader *rd)
{
	size_t depth = rd->opts.max_depth < SIZE_MAX ? rd->opts.max_depth + 1 : SIZE_MAX;
	crp__json_init(&rd->json, &ips_callbacks, rd, &rd->alloc, depth);
	rd->json_open = true;
	rd->depth = 0;
	rd->body_done = false;
}

void crp__ar_json_close(ar_reader *rd)
{
	if (rd->json_open)
		crp__json_dispose(&rd->json);
	rd->json_open = false;
}

/* -- the path of what is being read ------------------------------------------------------- */

size_t crp__ar_ips_path(const ar_reader *rd, char *out, size_t cap)
{
	size_t n = 0;
#define PUT(s, l)                                                                                  \
	do {                                                                                       \
		size_t l_ = (l);                                                                   \
		if (n < cap)                                                                       \
			memcpy(out + n, (s), n + l_ <= cap ? l_ : cap - n);                        \
		n += l_;                                                                           \
	} while (0)
	for (size_t i = 0; i < rd->depth; i++) {
		const ar_ctx *c = &rd->ctx[i];
		bool array = c->kind == AK_CAP_ARR || c->kind == AK_THREADS || c->kind == AK_FRAMES ||
			     c->kind == AK_IMAGES || c->kind == AK_XREGS;
		if (array) {
			char idx[32];
			int k = snprintf(idx, sizeof idx, "[%zu]", c->n);
			PUT(idx, (size_t)k);
		} else {
			if (!c->in_member)
				break;
			if (n)
				PUT(".", 1);
			PUT(c->key.ptr, c->key.len);
		}
	}
#undef PUT
	return n;
}

/* -- values ------------------------------------------------------------------------------- */

static int build(ar_reader *rd, const tok *t, crp_value *v)
{
	if (t->built) {
		*v = t->v;
		return CRP_OK;
	}
	switch (t->type) {
	case CRP_VALUE_NUMBER: return crp__ar_value_num(rd, t->s, t->len, v);
	case CRP_VALUE_STRING: return crp__ar_value_str(rd, t->s, t->len, v);
	default:
		memset(v, 0, sizeof *v);
		v->type = t->type;
		v->u.boolean = t->boolean;
		return CRP_OK;
	}
}

/* An untyped member of a record: kept in its list under its key. */
static int keep(ar_reader *rd, ar_ctx *c, ar_list *l, const tok *t)
{
	crp_value v;
	CRP_TRY(build(rd, t, &v));
	return crp__ar_add(rd, l, c->key, &v); /* a static spelling, or cb_map_key's copy */
}

static const char *type_name(const tok *t)
{
	static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array",
					    "an object"};
	return names[t->built ? t->v.type : t->type];
}

static bool is_str(const tok *t) { return !t->built && t->type == CRP_VALUE_STRING; }

static bool to_u64(const tok *t, uint64_t *out)
{
	return !t->built && t->type == CRP_VALUE_NUMBER &&
	       (crp__digits_u64(t->s, t->len, out) || crp__num_to_u64(t->s, t->len, out) == CRP_NUM_OK);
}

static const char *str_field(ar_reader *rd, const tok *t)
{
	return crp__ar_text(rd, t->s, t->len);
}

/* -- the body ----------------------------------------------------------------------------- */

typedef struct sfield {
	uint8_t key;
	bool system;        /* in system, else in info */
	uint16_t off;
	uint64_t bit;
} sfield;

static const sfield str_fields[] = {
	{B_INCIDENT, false, offsetof(crp_info, id), CRP_INFO_ID},
	{B_PROC_NAME, true, offsetof(crp_system, process_name), CRP_SYSTEM_PROCESS_NAME},
	{B_PARENT_PROC, true, offsetof(crp_system, parent_process_name), CRP_SYSTEM_PARENT_PROCESS_NAME},
	{B_PROC_PATH, true, offsetof(crp_system, executable_path), CRP_SYSTEM_EXECUTABLE_PATH},
	{B_MODEL_CODE, true, offsetof(crp_system, machine), CRP_SYSTEM_MACHINE},
	{B_CRK, true, offsetof(crp_system, device_app_hash), CRP_SYSTEM_DEVICE_APP_HASH},
};

static int body_string(ar_reader *rd, const sfield *f, const tok *t)
{
	crp_body *b = &rd->report->body;
	crp_record_head *h = f->system ? (crp_record_head *)&b->system : (crp_record_head *)&b->info;
	if (h->has & f->bit)
		return 0;
	const char *s = str_field(rd, t);
	if (!s)
		return rd->err.code;
	*(const char **)((char *)h + f->off) = s;
	h->has |= f->bit;
	return 1;
}

static int body_time(ar_reader *rd, crp_record_head *h, crp_time *out, uint64_t bit, const tok *t)
{
	int tz;
	if ((h->has & bit) || !crp__ar_time(t->s, t->len, out, &tz))
		return 0;
	h->has |= bit;
	return crp__ar_set_time_zone(rd, tz) == CRP_OK ? 1 : rd->err.code;
}

static int body_number(ar_reader *rd, int id, const tok *t)
{
	crp_system *s = &rd->report->body.system;
	uint64_t u;
	if (!to_u64(t, &u))
		return 0;
	switch (id) {
	case B_PID:
	case B_PARENT_PID: {
		uint64_t bit = id == B_PID ? CRP_SYSTEM_PROCESS_ID : CRP_SYSTEM_PARENT_PROCESS_ID;
		if (s->has & bit)
			return 0;
		*(id == B_PID ? &s->process_id : &s->parent_process_id) = (int64_t)u;
		s->has |= bit;
		return 1;
	}
	case B_FAULTING:
		if (rd->has_faulting)
			return 0;
		rd->faulting = u;
		rd->has_faulting = true;
		return 1;
	case B_VERSION: /* the schema version every .ips so far has; anything else is kept */
		return u == 2;
	default:
		return 0;
	}
}

/* A body member the model types; 1 typed, 0 to keep untyped, or an error. */
static int body_scalar(ar_reader *rd, int id, const tok *t)
{
	crp_body *b = &rd->report->body;
	crp_system *s = &b->system;
	int32_t type;
	for (size_t i = 0; i < CRP_ARRAY_LEN(str_fields); i++)
		if (str_fields[i].key == id)
			return is_str(t) ? body_string(rd, &str_fields[i], t) : 0;
	switch (id) {
	case B_CAPTURE_TIME:
		return is_str(t) ? body_time(rd, (crp_record_head *)&b->info, &b->info.timestamp, CRP_INFO_TIMESTAMP, t) : 0;
	case B_PROC_LAUNCH:
		return is_str(t) ? body_time(rd, (crp_record_head *)s, &s->app_start_time, CRP_SYSTEM_APP_START_TIME, t) : 0;
	case B_CPU_TYPE:
		if (!is_str(t) || (s->has & CRP_SYSTEM_BINARY_CPU_TYPE) || !crp__ar_cpu_type(t->s, t->len, &type))
			return 0;
		s->binary_cpu_type = type;
		s->has |= CRP_SYSTEM_BINARY_CPU_TYPE;
		return 1;
	case B_TRANSLATED:
		if (t->built || t->type != CRP_VALUE_BOOL || (s->has & CRP_SYSTEM_PROC_TRANSLATED))
			return 0;
		s->proc_translated = t->boolean;
		s->has |= CRP_SYSTEM_PROC_TRANSLATED;
		return 1;
	case B_PROC_ROLE: {
		bool fg = is_str(t) && t->len == 10 && memcmp(t->s, "Foreground", 10) == 0;
		bool bg = is_str(t) && t->len == 10 && memcmp(t->s, "Background", 10) == 0;
		if ((!fg && !bg) || (s->has & CRP_SYSTEM_APPLICATION_STATS))
			return 0;
		s->application_stats.application_in_foreground = fg;
		s->application_stats.has |= CRP_STATS_APPLICATION_IN_FOREGROUND;
		s->has |= CRP_SYSTEM_APPLICATION_STATS;
		return 1;
	}
	case B_BUG_TYPE:
		return is_str(t) && t->len == 3 && memcmp(t->s, "309", 3) == 0;
	default:
		return body_number(rd, id, t);
	}
}

/* reportNotes as our writer puts it for an incomplete report: the report said so. */
static bool our_incomplete_note(const ar_ctx *c, const tok *t)
{
	const crp_value *v = &t->v;
	return c->key.len == 11 && memcmp(c->key.ptr, "reportNotes", 11) == 0 && t->built &&
	       v->type == CRP_VALUE_ARRAY && v->u.arr.count == 1 && v->u.arr.items[0].type == CRP_VALUE_STRING &&
	       v->u.arr.items[0].u.str.len >= 17 && memcmp(v->u.arr.items[0].u.str.ptr, "incomplete report", 17) == 0;
}

static int body_value(ar_reader *rd, ar_ctx *c, const tok *t)
{
	int r = c->key_id >= 0 ? body_scalar(rd, c->key_id, t) : 0;
	if (r < 0)
		return r;
	if (r)
		return CRP_OK;
	if (our_incomplete_note(c, t)) {
		rd->report->body.incomplete = true;
		rd->report->body.has |= CRP_SECTION_INCOMPLETE;
		return CRP_OK;
	}
	if (c->key_id == B_ASI && t->built && t->v.type == CRP_VALUE_OBJECT) {
		crp_value *keep_asi = crp__arena_alloc(rd->arena, sizeof *keep_asi);
		if (!keep_asi)
			return crp__ar_oom(rd);
		*keep_asi = t->v;
		rd->asi = keep_asi;
	}
	return keep(rd, c, &rd->apple, t);
}

/* -- small typed objects ------------------------------------------------------------------ */

static int osv_value(ar_reader *rd, ar_ctx *c, const tok *t)
{
	crp_system *s = &rd->report->body.system;
	if (c->key_id == O_TRAIN && is_str(t) && !(s->has & (CRP_SYSTEM_SYSTEM_NAME | CRP_SYSTEM_SYSTEM_VERSION))) {
		crp__ar_train(rd, t->s, t->len);
		return rd->err.code;
	}
	if (c->key_id == O_BUILD && is_str(t) && !(s->has & CRP_SYSTEM_OS_VERSION)) {
		if (!(s->os_version = str_field(rd, t)))
			return rd->err.code;
		s->has |= CRP_SYSTEM_OS_VERSION;
		return CRP_OK;
	}
	return keep(rd, c, &c->extras, t);
}

static int bundle_value(ar_reader *rd, ar_ctx *c, const tok *t)
{
	static const struct { uint16_t off; uint64_t bit; } f[N_COUNT] = {
		{offsetof(crp_system, bundle_id), CRP_SYSTEM_BUNDLE_ID},
		{offsetof(crp_system, bundle_short_version), CRP_SYSTEM_BUNDLE_SHORT_VERSION},
		{offsetof(crp_system, bundle_version), CRP_SYSTEM_BUNDLE_VERSION}};
	crp_system *s = &rd->report->body.system;
	if (c->key_id < 0 || !is_str(t) || (s->has & f[c->key_id].bit))
		return keep(rd, c, &c->extras, t);
	const char *v = str_field(rd, t);
	if (!v)
		return rd->err.code;
	*(const char **)((char *)s + f[c->key_id].off) = v;
	s->has |= f[c->key_id].bit;
	return CRP_OK;
}

/* rawCodes [code, subcode]: the Mach codes, exact. */
static bool raw_codes(ar_reader *rd, const tok *t)
{
	crp_mach *m = &rd->report->body.crash.error.mach;
	const crp_value *a = &t->v;
	uint64_t v[2];
	if (!t->built || a->type != CRP_VALUE_ARRAY || a->u.arr.count != 2 || (m->has & CRP_MACH_CODE))
		return false;
	for (size_t i = 0; i < 2; i++) {
		const crp_value *x = &a->u.arr.items[i];
		if (x->type != CRP_VALUE_NUMBER || crp__num_to_u64(x->u.num.ptr, x->u.num.len, &v[i]) != CRP_NUM_OK)
			return false;
	}
	rd->report->body.crash.error.has |= CRP_ERROR_MACH;
	m->code = v[0];
	m->subcode = v[1];
	m->has |= CRP_MACH_CODE | CRP_MACH_SUBCODE;
	return true;
}

/* type, signal and rawCodes are typed; subtype is typed where it names a code and an address,
 * and kept as written too (its wording is Apple's); everything else is kept. */
static int exc_value(ar_reader *rd, ar_ctx *c, const tok *t)
{
	const crp_crash_error *e = &rd->report->body.crash.error;
	switch (c->key_id) {
	case E_TYPE:
		if (!is_str(t) || (e->mach.has & CRP_MACH_EXCEPTION_NAME))
			break;
		crp__ar_exception_type(rd, t->s, t->len);
		return rd->err.code;
	case E_SIGNAL:
		if (!is_str(t) || (e->signal.has & CRP_SIGNAL_NAME))
			break;
		crp__ar_signal(rd, t->s, t->len);
		return rd->err.code;
	case E_RAWCODES:
		if (raw_codes(rd, t))
			return CRP_OK;
		break;
	case E_SUBTYPE:
		if (is_str(t) && !(e->has & CRP_ERROR_ADDRESS))
			crp__ar_code_at(rd, t->s, t->len);
		CRP_TRY(rd->err.code);
		break;
	default:
		break;
	}
	return keep(rd, c, &c->extras, t);
}

/* -- threads ------------------------------------------------------------------------------ */

static int thread_value(ar_reader *rd, ar_ctx *c, const tok *t)
{
	crp_thread *th = c->rec;
	switch (c->key_id) {
	case T_TRIGGERED:
		if (t->built || t->type != CRP_VALUE_BOOL || (th->has & CRP_THREAD_CRASHED))
			break;
		th->crashed = t->boolean;
		th->has |= CRP_THREAD_CRASHED;
		return CRP_OK;
	case T_NAME:
	case T_QUEUE: {
		uint64_t bit = c->key_id == T_NAME ? CRP_THREAD_NAME : CRP_THREAD_DISPATCH_QUEUE;
		if (!is_str(t) || (th->has & bit))
			break;
		const char *s = str_field(rd, t);
		if (!s)
			return rd->err.code;
		*(c->key_id == T_NAME ? &th->name : &th->dispatch_queue) = s;
		th->has |= bit;
		return CRP_OK;
	}
	default:
		break;
	}
	return keep(rd, c, &c->extras, t);
}

static int frame_number(ar_ctx *c, crp_frame *f, const tok *t)
{
	uint64_t u;
	if (!to_u64(t, &u))
		return 0;
	switch (c->key_id) {
	case F_OFFSET:
		if (f->has & AR_PEND_OFFSET)
			return 0;
		f->instruction_addr = u;
		f->has |= AR_PEND_OFFSET;
		return 1;
	case F_INDEX:
		if (f->has & AR_PEND_INDEX)
			return 0;
		f->object_addr = u;
		f->has |= AR_PEND_INDEX;
		return 1;
	case F_SYMLOC:
		if (f->has & AR_PEND_SYMLOC)
			return 0;
		f->symbol_addr = u;
		f->has |= AR_PEND_SYMLOC;
		return 1;
	case F_LINE:
		if (c->line || u > UINT32_MAX)
			return 0;
		c->line = u ? u : 1u << 31; /* line 0 still counts as written */
		return 1;
	default:
		return 0;
	}
}

static int frame_value(ar_reader *rd, ar_ctx *c, const tok *t)
{
	crp_frame *f = c->rec;
	if (c->key_id == F_SYMBOL && is_str(t) && !(f->has & CRP_FRAME_SYMBOL_NAME)) {
		if (!(f->symbol_name = str_field(rd, t)))
			return rd->err.code;
		f->has |= CRP_FRAME_SYMBOL_NAME;
		return CRP_OK;
	}
	if (c->key_id == F_IMAGE_NAME && is_str(t) && !(f->has & CRP_FRAME_OBJECT_NAME)) {
		if (!(f->object_name = str_field(rd, t)))
			return rd->err.code;
		f->has |= CRP_FRAME_OBJECT_NAME;
		return CRP_OK;
	}
	if (c->key_id == F_SYM_IMAGE && is_str(t) && !c->sym_image) {
		const char *image = str_field(rd, t);
		if (image && image[0]) /* an empty name (or one a NUL starts) is none */
			c->sym_image = image;
		return image ? CRP_OK : rd->err.code;
	}
	if (c->key_id == F_FILE && is_str(t) && !c->text)
		return (c->text = str_field(rd, t)) ? CRP_OK : rd->err.code;
	if (c->key_id == F_INLINE && !c->flag &&
	    ((is_str(t) && t->len == 4 && memcmp(t->s, "true", 4) == 0) ||
	     (!t->built && t->type == CRP_VALUE_BOOL && t->boolean))) {
		c->flag = true;
		return CRP_OK;
	}
	if (frame_number(c, f, t))
		return CRP_OK;
	return keep(rd, c, &c->extras, t);
}

/* sourceFile / sourceLine / inline: what Apple's symbolication said, as the model keeps it. So
 * is a symbol without symbolLocation: a name without an address, as the .crash reader keeps a
 * name without "+ offset" (the writers have no place for such a symbol otherwise). */
static int frame_symbolication(ar_reader *rd, ar_ctx *c, crp_frame *f)
{
	bool bare = CRP_HAS(f, CRP_FRAME_SYMBOL_NAME) && !(f->has & AR_PEND_SYMLOC);
	if (!c->text && !c->line && !c->flag && !c->sym_image && !bare)
		return CRP_OK;
	crp_symbolication *sy = crp__arena_calloc(rd->arena, sizeof *sy);
	crp_symloc *l = crp__arena_calloc(rd->arena, sizeof *l);
	if (!sy || !l)
		return crp__ar_oom(rd);
	l->function = CRP_HAS(f, CRP_FRAME_SYMBOL_NAME) ? f->symbol_name : NULL;
	l->file = c->text;
	l->line = c->line == 1u << 31 ? 0 : (uint32_t)c->line;
	sy->source = CRP_SYMSRC_REPORT;
	sy->image = c->sym_image;
	sy->flags = c->flag ? AR_SYM_INLINE : 0;
	sy->locs = l;
	sy->count = 1;
	f->symbolicated = sy;
	return CRP_OK;
}

/* -- registers ---------------------------------------------------------------------------- */

static const char *r_name(ar_reader *rd, size_t i)
{
	static const char *const r[] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9",
					"r10", "r11", "ip"};
	char b[24];
	if (i < CRP_ARRAY_LEN(r))
		return r[i];
	int n = snprintf(b, sizeof b, "r%zu", i);
	return crp__ar_text(rd, b, (size_t)n);
}

static const char *x_name(ar_reader *rd, size_t i)
{
	static const char *const x[] = {"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",
					"x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18",
					"x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28"};
	char b[24];
	if (i < CRP_ARRAY_LEN(x))
		return x[i];
	int n = snprintf(b, sizeof b, "x%zu", i);
	return crp__ar_text(rd, b, (size_t)n);
}

static int reg_value(ar_reader *rd, ar_ctx *c, const tok *t)
{
	uint64_t u;
	if (c->key_id == 0 && !c->has_value && to_u64(t, &u)) {
		c->value = u;
		c->has_value = true;
		return CRP_OK;
	}
	return keep(rd, c, &c->extras, t);
}

/* A register object closed: its value joins the state, anything else it said is kept. */
static int close_reg(ar_reader *rd, ar_ctx *c, ar_ctx *state)
{
	crp_value rest;
	crp_span name = c->text ? (crp_span){c->text, strlen(c->text)} : state->key;
	if (c->extras.count || !c->has_value) {
		CRP_TRY(crp__ar_object(rd, &c->extras, &rest));
		CRP_TRY(crp__ar_add(rd, &state->aux, name, &rest));
	}
	if (!c->has_value)
		return CRP_OK;
	bool exc;
	const char *ks = crp__ar_reg_name(rd, name.ptr, name.len, &exc);
	if (!ks)
		return rd->err.code;
	ar_reg *r = crp__scratch_push(&rd->scratch, sizeof *r);
	if (!r)
		return crp__ar_oom(rd);
	r->name = ks;
	r->value = c->value;
	r->exception = exc;
	return CRP_OK;
}

static int regs_to_set(ar_reader *rd, const ar_reg *regs, size_t n, bool exc, crp_regset *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += regs[i].exception == exc;
	if (!k)
		return CRP_OK;
	crp_register *r = crp__arena_alloc(rd->arena, k * sizeof *r);
	if (!r)
		return crp__ar_oom(rd);
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (regs[i].exception == exc)
			r[k++] = (crp_register){regs[i].name, regs[i].value};
	out->regs = r;
	out->count = k;
	return CRP_OK;
}

/* threadState closed: the registers split into KSCrash's two sets; flavor, descriptions,
 * symbols and anything else stay with the thread as "threadState". */
static int close_state(ar_reader *rd, ar_ctx *c, ar_ctx *thread)
{
	crp_thread *th = thread->rec;
	size_t n;
	ar_reg *regs = crp__ar_take(rd, c->mark, sizeof(ar_reg), &n);
	if (n && !regs)
		return rd->err.code;
	CRP_TRY(regs_to_set(rd, regs, n, false, &th->registers.basic));
	CRP_TRY(regs_to_set(rd, regs, n, true, &th->registers.exception));
	if (th->registers.basic.count)
		th->registers.has |= CRP_REGISTERS_BASIC;
	if (th->registers.exception.count)
		th->registers.has |= CRP_REGISTERS_EXCEPTION;
	if (n)
		th->has |= CRP_THREAD_REGISTERS;
	if (!c->aux.count)
		return CRP_OK;
	crp_value rest;
	CRP_TRY(crp__ar_object(rd, &c->aux, &rest));
	return crp__ar_add(rd, &thread->extras, (crp_span){"threadState", 11}, &rest);
}

/* -- images ------------------------------------------------------------------------------- */

static int image_number(ar_ctx *c, crp_image *im, const tok *t)
{
	uint64_t u;
	if ((c->key_id != I_BASE && c->key_id != I_SIZE) || !to_u64(t, &u))
		return 0;
	uint64_t bit = c->key_id == I_BASE ? CRP_IMAGE_ADDR : CRP_IMAGE_SIZE;
	if (im->has & bit)
		return 0;
	*(c->key_id == I_BASE ? &im->image_addr : &im->image_size) = u;
	im->has |= bit;
	return 1;
}

static int image_value(ar_reader *rd, ar_ctx *c, const tok *t)
{
	crp_image *im = c->rec;
	int32_t type, sub;
	if (image_number(c, im, t))
		return CRP_OK;
	if (!is_str(t))
		return keep(rd, c, &c->extras, t);
	switch (c->key_id) {
	case I_UUID:
		if ((im->has & CRP_IMAGE_UUID) || crp__parse_uuid(t->s, t->len, &im->uuid) != 0)
			break;
		im->has |= CRP_IMAGE_UUID;
		return CRP_OK;
	case I_PATH:
		if (im->has & CRP_IMAGE_NAME)
			break;
		if (!(im->name = str_field(rd, t)))
			return rd->err.code;
		im->has |= CRP_IMAGE_NAME;
		return CRP_OK;
	case I_NAME:
		if (c->text)
			break;
		return (c->text = str_field(rd, t)) ? CRP_OK : rd->err.code;
	case I_ARCH:
		if ((im->has & CRP_IMAGE_CPU_TYPE) || !crp__ar_arch(t->s, t->len, &type, &sub))
			break;
		im->cpu_type = type;
		im->cpu_subtype = sub;
		im->has |= CRP_IMAGE_CPU_TYPE | CRP_IMAGE_CPU_SUBTYPE;
		return CRP_OK;
	case I_SOURCE:
		if (t->len == 1 && t->s[0] == 'P') /* the usual source: what the writer assumes */
			return CRP_OK;
		break;
	default:
		break;
	}
	return keep(rd, c, &c->extras, t);
}

/* The image's name is its path's last component; only a different one is kept. */
static int close_image(ar_reader *rd, ar_ctx *c)
{
	crp_image *im = c->rec;
	if (c->text) {
		const char *base = CRP_HAS(im, CRP_IMAGE_NAME) ? strrchr(im->name, '/') : NULL;
		base = base ? base + 1 : CRP_HAS(im, CRP_IMAGE_NAME) ? im->name : NULL;
		if (!base || strcmp(base, c->text) != 0)
			CRP_TRY(crp__ar_add_str(rd, &c->extras, "name", c->text, strlen(c->text)));
	}
	return crp__ar_flatten(rd, &c->extras, &im->extras);
}

/* -- opening and closing containers ------------------------------------------------------- */

static ar_ctx *push(ar_reader *rd, uint8_t kind, void *rec)
{
	if (rd->depth >= rd->opts.max_depth) {
		crp__ar_fail(rd, CRP_ELIMIT, "nesting deeper than %zu", rd->opts.max_depth);
		return NULL;
	}
	ar_ctx *c = &rd->ctx[rd->depth++];
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->key_id = -1;
	c->rec = rec;
	c->mark = crp__scratch_mark(&rd->scratch);
	return c;
}

static int push_rec(ar_reader *rd, uint8_t kind, size_t size)
{
	void *rec = crp__scratch_push(&rd->scratch, size);
	if (!rec)
		return crp__ar_oom(rd);
	ar_ctx *c = push(rd, kind, rec);
	if (!c)
		return rd->err.code;
	c->mark = crp__scratch_mark(&rd->scratch); /* the record itself stays below the mark */
	return CRP_OK;
}

static int open_capture(ar_reader *rd, bool map)
{
	return push(rd, map ? AK_CAP_OBJ : AK_CAP_ARR, NULL) ? CRP_OK : rd->err.code;
}

static int open_body_member(ar_reader *rd, ar_ctx *c, bool map)
{
	crp_body *b = &rd->report->body;
	uint8_t kind = 0xff;
	void *rec = NULL;
	int id = c->key_id;
	if (map && id == B_OS_VERSION)
		kind = AK_OSV;
	else if (map && id == B_BUNDLE_INFO)
		kind = AK_BUNDLE;
	else if (map && id == B_EXCEPTION)
		kind = AK_EXC;
	else if (!map && id == B_THREADS && !(b->crash.has & CRP_CRASH_THREADS))
		kind = AK_THREADS;
	else if (!map && id == B_LEB && !b->crash.last_exception_backtrace.has)
		kind = AK_FRAMES, rec = &b->crash.last_exception_backtrace;
	else if (!map && id == B_USED_IMAGES && !(b->has & CRP_SECTION_BINARY_IMAGES))
		kind = AK_IMAGES;
	if (kind == 0xff)
		return open_capture(rd, map);
	return push(rd, kind, rec) ? CRP_OK : rd->err.code;
}

static int open_in(ar_reader *rd, ar_ctx *c, bool map)
{
	if (c->n > rd->opts.max_items)
		return crp__ar_fail(rd, CRP_ELIMIT, "more than %zu items in one container", rd->opts.max_items);
	switch (c->kind) {
	case AK_BODY:
		return c->key_id >= 0 ? open_body_member(rd, c, map) : open_capture(rd, map);
	case AK_THREADS:
		return map ? push_rec(rd, AK_THREAD, sizeof(crp_thread)) : open_capture(rd, map);
	case AK_FRAMES:
		return map ? push_rec(rd, AK_FRAME, sizeof(crp_frame)) : open_capture(rd, map);
	case AK_IMAGES:
		return map ? push_rec(rd, AK_IMAGE, sizeof(crp_image)) : open_capture(rd, map);
	case AK_THREAD: {
		crp_thread *th = c->rec;
		if (!map && c->key_id == T_FRAMES && !th->backtrace.has)
			return push(rd, AK_FRAMES, &th->backtrace) ? CRP_OK : rd->err.code;
		if (map && c->key_id == T_STATE && !(th->has & CRP_THREAD_REGISTERS))
			return push(rd, AK_TSTATE, NULL) ? CRP_OK : rd->err.code;
		return open_capture(rd, map);
	}
	case AK_TSTATE:
		if (!map && c->key_id == 0) { /* "x" (arm64) or "r" (arm): registers by number */
			ar_ctx *x = push(rd, AK_XREGS, NULL);
			if (x)
				x->flag = c->key.ptr[0] == 'r';
			return x ? CRP_OK : rd->err.code;
		}
		if (map) {
			ar_ctx *r = push(rd, AK_REG, NULL);
			return r ? CRP_OK : rd->err.code;
		}
		return open_capture(rd, map);
	case AK_XREGS:
		if (map) {
			const char *name = c->flag ? r_name(rd, c->n) : x_name(rd, c->n);
			ar_ctx *r = name ? push(rd, AK_REG, NULL) : NULL;
			if (r)
				r->text = name;
			return r ? CRP_OK : rd->err.code;
		}
		return open_capture(rd, map);
	default:
		return open_capture(rd, map);
	}
}

/* A value for the top context: a scalar, or a container that just closed. */
static int deliver(ar_reader *rd, const tok *t);

static int close_typed_array(ar_reader *rd, ar_ctx *c, size_t size, const void **items, size_t *count,
			     crp_strays *strays)
{
	size_t n;
	void *a = crp__ar_take(rd, c->mark, size, &n);
	if (n && !a)
		return rd->err.code;
	*items = a;
	*count = n;
	return crp__ar_strays(rd, &c->strays, strays);
}

/* {"id":0,"frames":[]}, alone: what the ips writer puts in a report without threads for lldb's
 * sake (README); it is not a thread of the report. */
static bool is_stand_in(const crp_thread *t)
{
	const crp_value *id = t->extras.count == 1 ? crp_extras_get(&t->extras, "id") : NULL;
	return id && id->type == CRP_VALUE_NUMBER && id->u.num.len == 1 && id->u.num.ptr[0] == '0' &&
	       (t->has & ~(CRP_THREAD_INDEX | CRP_THREAD_BACKTRACE)) == 0 && !t->backtrace.frame_count &&
	       !t->backtrace.frame_strays.count;
}

static int close_array_kind(ar_reader *rd, ar_ctx *c)
{
	crp_body *b = &rd->report->body;
	switch (c->kind) {
	case AK_THREADS:
		b->crash.has |= CRP_CRASH_THREADS;
		CRP_TRY(close_typed_array(rd, c, sizeof(crp_thread), (const void **)&b->crash.threads,
					  &b->crash.thread_count, &b->crash.thread_strays));
		if (b->crash.thread_count == 1 && is_stand_in(&b->crash.threads[0]))
			b->crash.thread_count = 0;
		return CRP_OK;
	case AK_IMAGES:
		b->has |= CRP_SECTION_BINARY_IMAGES;
		return close_typed_array(rd, c, sizeof(crp_image), (const void **)&b->images, &b->image_count,
					 &b->image_strays);
	case AK_FRAMES: {
		crp_backtrace *bt = c->rec;
		bt->has |= CRP_BACKTRACE_CONTENTS;
		if (bt == &b->crash.last_exception_backtrace)
			b->crash.has |= CRP_CRASH_LAST_EXCEPTION_BACKTRACE;
		return close_typed_array(rd, c, sizeof(crp_frame), (const void **)&bt->frames, &bt->frame_count,
					 &bt->frame_strays);
	}
	default: /* AK_XREGS: its registers stay on the stack for the state */
		return CRP_OK;
	}
}

static int close_record(ar_reader *rd, ar_ctx *c, ar_ctx *parent)
{
	switch (c->kind) {
	case AK_THREAD: {
		crp_thread *th = c->rec;
		th->index = parent->n;
		th->has |= CRP_THREAD_INDEX;
		if (th->backtrace.has)
			th->has |= CRP_THREAD_BACKTRACE;
		return crp__ar_flatten(rd, &c->extras, &th->extras);
	}
	case AK_FRAME:
		CRP_TRY(frame_symbolication(rd, c, c->rec));
		return crp__ar_flatten(rd, &c->extras, &((crp_frame *)c->rec)->extras);
	case AK_IMAGE:
		return close_image(rd, c);
	case AK_TSTATE:
		return close_state(rd, c, parent);
	case AK_REG:
		return close_reg(rd, c, parent->kind == AK_XREGS ? &rd->ctx[rd->depth - 3] : parent);
	default:
		return CRP_OK;
	}
}

/* osVersion, bundleInfo, exception: what was not typed is kept under the body's key. */
static int close_remainder(ar_reader *rd, ar_ctx *c, const char *key)
{
	crp_value v;
	if (!c->extras.count)
		return CRP_OK;
	CRP_TRY(crp__ar_object(rd, &c->extras, &v));
	return crp__ar_add(rd, &rd->apple, (crp_span){key, strlen(key)}, &v);
}

/* An exception without rawCodes (or whose code a subtype's name gave) takes its codes from the
 * "codes" text, as the .crash reader reads that line: the same report either way. */
static void codes_from_text(ar_reader *rd, const ar_ctx *c)
{
	crp_crash_error *e = &rd->report->body.crash.error;
	uint64_t code, subcode;
	if (e->mach.has & CRP_MACH_SUBCODE)
		return;
	for (const ar_node *i = c->extras.head; i; i = i->next) {
		const crp_value *v = &i->m.value;
		if (i->m.key.len != 5 || memcmp(i->m.key.ptr, "codes", 5) != 0)
			continue;
		if (v->type == CRP_VALUE_STRING && crp__apple_codes_pair(v->u.str.ptr, v->u.str.len, &code, &subcode)) {
			e->mach.code = code;
			e->mach.subcode = subcode;
			e->mach.has |= CRP_MACH_CODE | CRP_MACH_SUBCODE;
			e->has |= CRP_ERROR_MACH;
		}
		return;
	}
}

static int close_capture(ar_reader *rd, ar_ctx *c)
{
	tok t = {.built = true};
	size_t bytes = crp__scratch_size_since(&rd->scratch, c->mark);
	void *items = NULL;
	if (bytes) {
		if (!(items = crp__arena_alloc(rd->arena, bytes)))
			return crp__ar_oom(rd);
		crp__scratch_copy(&rd->scratch, c->mark, items);
	}
	crp__scratch_pop(&rd->scratch, c->mark);
	if (c->kind == AK_CAP_OBJ) {
		t.v.type = CRP_VALUE_OBJECT;
		t.v.u.obj.members = items;
		t.v.u.obj.count = bytes / sizeof(crp_member);
	} else {
		t.v.type = CRP_VALUE_ARRAY;
		t.v.u.arr.items = items;
		t.v.u.arr.count = bytes / sizeof(crp_value);
	}
	t.type = t.v.type;
	if (--rd->depth == 0) { /* the metadata line's object */
		rd->meta = t.v;
		rd->body_done = true;
		return CRP_OK;
	}
	return deliver(rd, &t);
}

static int close_ctx(ar_reader *rd)
{
	ar_ctx *c = &rd->ctx[rd->depth - 1];
	ar_ctx *parent = rd->depth > 1 ? &rd->ctx[rd->depth - 2] : NULL;
	switch (c->kind) {
	case AK_CAP_OBJ:
	case AK_CAP_ARR:
		return close_capture(rd, c);
	case AK_BODY:
		rd->depth--;
		rd->body_done = true;
		return CRP_OK;
	case AK_OSV: CRP_TRY(close_remainder(rd, c, "osVersion")); break;
	case AK_BUNDLE: CRP_TRY(close_remainder(rd, c, "bundleInfo")); break;
	case AK_EXC:
		codes_from_text(rd, c);
		CRP_TRY(close_remainder(rd, c, "exception"));
		break;
	case AK_THREADS: case AK_IMAGES: case AK_FRAMES: case AK_XREGS:
		CRP_TRY(close_array_kind(rd, c));
		break;
	default:
		CRP_TRY(close_record(rd, c, parent));
		break;
	}
	rd->depth--;
	if (parent && parent->kind != AK_THREADS && parent->kind != AK_FRAMES && parent->kind != AK_IMAGES &&
	    parent->kind != AK_XREGS)
		parent->in_member = false;
	else if (parent)
		parent->n++;
	return CRP_OK;
}

/* -- delivering values -------------------------------------------------------------------- */

static int push_capture_item(ar_reader *rd, ar_ctx *c, const tok *t)
{
	if (c->kind == AK_CAP_OBJ) {
		crp_member *m = crp__scratch_push(&rd->scratch, sizeof *m);
		if (!m)
			return crp__ar_oom(rd);
		m->key = c->key;
		return build(rd, t, &m->value);
	}
	crp_value *v = crp__scratch_push(&rd->scratch, sizeof *v);
	if (!v)
		return crp__ar_oom(rd);
	return build(rd, t, v);
}

static int element(ar_reader *rd, ar_ctx *c, const tok *t)
{
	crp_value v;
	if (t->type != CRP_VALUE_NULL)
		CRP_TRY(crp__ar_warn(rd, CRP_W_TYPE, "expected an object, got %s; kept untyped", type_name(t)));
	CRP_TRY(build(rd, t, &v));
	if (c->kind == AK_XREGS) { /* a register that is not an object: kept with the state */
		const char *name = c->flag ? r_name(rd, c->n) : x_name(rd, c->n);
		return name ? crp__ar_add(rd, &rd->ctx[rd->depth - 2].aux, (crp_span){name, strlen(name)}, &v)
			    : rd->err.code;
	}
	return crp__ar_add_stray(rd, &c->strays, c->n, &v);
}

static int deliver(ar_reader *rd, const tok *t)
{
	ar_ctx *c = &rd->ctx[rd->depth - 1];
	int rc;
	switch (c->kind) {
	case AK_CAP_OBJ: case AK_CAP_ARR: rc = push_capture_item(rd, c, t); break;
	case AK_BODY: rc = body_value(rd, c, t); break;
	case AK_OSV: rc = osv_value(rd, c, t); break;
	case AK_BUNDLE: rc = bundle_value(rd, c, t); break;
	case AK_EXC: rc = exc_value(rd, c, t); break;
	case AK_THREAD: rc = thread_value(rd, c, t); break;
	case AK_FRAME: rc = frame_value(rd, c, t); break;
	case AK_IMAGE: rc = image_value(rd, c, t); break;
	case AK_REG: rc = reg_value(rd, c, t); break;
	case AK_TSTATE: rc = keep(rd, c, &c->aux, t); break;
	default: rc = element(rd, c, t); break;
	}
	if (c->kind == AK_CAP_ARR || c->kind == AK_THREADS || c->kind == AK_FRAMES || c->kind == AK_IMAGES ||
	    c->kind == AK_XREGS)
		c->n++;
	else
		c->in_member = false;
	return rc;
}

/* -- the parser's callbacks ----------------------------------------------------------------- */

static int on_scalar(ar_reader *rd, const tok *t)
{
	if (rd->depth == 0)
		return crp__ar_fail(rd, CRP_ESYNTAX, "the body is not a JSON object"), 0;
	ar_ctx *c = &rd->ctx[rd->depth - 1];
	if (c->n > rd->opts.max_items)
		return crp__ar_fail(rd, CRP_ELIMIT, "more than %zu items in one container", rd->opts.max_items), 0;
	return deliver(rd, t) == CRP_OK;
}

static int cb_null(void *ctx)
{
	tok t = {.type = CRP_VALUE_NULL};
	return on_scalar(ctx, &t);
}

static int cb_boolean(void *ctx, int b)
{
	tok t = {.type = CRP_VALUE_BOOL, .boolean = b != 0};
	return on_scalar(ctx, &t);
}

/* imageOffset / imageIndex / symbolLocation of a frame: most numbers of a body. */
static int cb_number(void *ctx, const char *s, size_t len)
{
	ar_reader *rd = ctx;
	if (CRP_LIKELY(rd->depth)) {
		ar_ctx *c = &rd->ctx[rd->depth - 1];
		crp_frame *f = c->rec;
		uint64_t u;
		if (c->kind == AK_FRAME && c->key_id >= 0 && c->key_id <= F_SYMLOC && c->key_id != F_SYMBOL &&
		    crp__digits_u64(s, len, &u)) {
			static const uint64_t bits[] = {AR_PEND_OFFSET, AR_PEND_INDEX, 0, AR_PEND_SYMLOC};
			uint64_t bit = bits[c->key_id];
			if (!(f->has & bit)) {
				*(c->key_id == F_OFFSET ? &f->instruction_addr : c->key_id == F_INDEX ? &f->object_addr
												      : &f->symbol_addr) = u;
				f->has |= bit;
				c->in_member = false;
				return 1;
			}
		}
	}
	tok t = {.type = CRP_VALUE_NUMBER, .s = s, .len = len};
	return on_scalar(rd, &t);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	ar_reader *rd = ctx;
	if (len > rd->opts.max_string_bytes)
		return crp__ar_fail(rd, CRP_ELIMIT, "string longer than %zu bytes", rd->opts.max_string_bytes), 0;
	ar_ctx *c = rd->depth ? &rd->ctx[rd->depth - 1] : NULL;
	if (c && c->kind == AK_FRAME && c->key_id == F_SYMBOL) { /* most strings of a body */
		crp_frame *f = c->rec;
		if (!(f->has & CRP_FRAME_SYMBOL_NAME)) {
			if (!(f->symbol_name = crp__ar_text(rd, (const char *)s, len)))
				return 0;
			f->has |= CRP_FRAME_SYMBOL_NAME;
			c->in_member = false;
			return 1;
		}
	}
	tok t = {.type = CRP_VALUE_STRING, .s = (const char *)s, .len = len};
	return on_scalar(rd, &t);
}

static int cb_start_map(void *ctx)
{
	ar_reader *rd = ctx;
	if (rd->depth == 0)
		return push(rd, rd->meta_mode ? AK_CAP_OBJ : AK_BODY, &rd->report->body) != NULL;
	return open_in(rd, &rd->ctx[rd->depth - 1], true) == CRP_OK;
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
	ar_reader *rd = ctx;
	ar_ctx *c = &rd->ctx[rd->depth - 1];
	if (len > rd->opts.max_string_bytes)
		return crp__ar_fail(rd, CRP_ELIMIT, "key longer than %zu bytes", rd->opts.max_string_bytes), 0;
	if (++c->n > rd->opts.max_items)
		return crp__ar_fail(rd, CRP_ELIMIT, "more than %zu members in one object", rd->opts.max_items), 0;
	c->in_member = true;
	c->key_id = key_of(c->kind, s, len);
	c->key.ptr = (const char *)s;
	c->key.len = len;
	if (c->key_id >= 0) {
		switch (c->kind) {
		case AK_BODY: c->key.ptr = body_keys[c->key_id]; break;
		case AK_THREAD: c->key.ptr = thread_keys[c->key_id]; break;
		case AK_FRAME: c->key.ptr = frame_keys[c->key_id]; break;
		case AK_IMAGE: c->key.ptr = image_keys[c->key_id]; break;
		case AK_OSV: c->key.ptr = osv_keys[c->key_id]; break;
		case AK_BUNDLE: c->key.ptr = bundle_keys[c->key_id]; break;
		case AK_EXC: c->key.ptr = exc_keys[c->key_id]; break;
		case AK_REG: c->key.ptr = "value"; break;
		case AK_TSTATE: c->key.ptr = s[0] == 'x' ? "x" : "r"; break;
		default: break;
		}
	} else { /* copied now: its value may come in the next chunk, when s is gone */
		size_t n; /* c->key stays the raw key while a repair warns with its path */
		const char *copy = crp__ar_textn(rd, (const char *)s, len, &n);
		if (!copy)
			return 0;
		c->key.ptr = copy;
		c->key.len = n;
	}
	return 1;
}

static int cb_end(void *ctx)
{
	ar_reader *rd = ctx;
	return close_ctx(rd) == CRP_OK;
}

static int cb_start_array(void *ctx)
{
	ar_reader *rd = ctx;
	if (rd->depth == 0)
		return crp__ar_fail(rd, CRP_ESYNTAX, "the body is not a JSON object"), 0;
	return open_in(rd, &rd->ctx[rd->depth - 1], false) == CRP_OK;
}

static const crp_json_callbacks ips_callbacks = {
	cb_null, cb_boolean, cb_number, cb_string, cb_start_map, cb_map_key, cb_end, cb_start_array, cb_end,
};

int crp__ar_ips_salvage(ar_reader *rd)
{
	while (rd->depth > 0) {
		ar_ctx *c = &rd->ctx[rd->depth - 1];
		c->in_member = false; /* a key without its value is dropped */
		CRP_TRY(close_ctx(rd));
	}
	return CRP_OK;
}

/* The metadata line: a JSON object of its own, captured whole. */
int crp__ar_metadata(ar_reader *rd, const unsigned char *line, size_t len, bool cut, crp_value *out)
{
	crp__ar_json_open(rd);
	rd->meta_mode = true;
	crp_json_status st = crp__json_parse(&rd->json, line, len);
	if (st == CRP_JSON_MORE && cut && rd->depth > 0)
		crp__ar_ips_salvage(rd);
	else if (st == CRP_JSON_MORE)
		st = crp__json_finish(&rd->json);
	rd->meta_mode = false;
	if (st == CRP_JSON_NOMEM)
		crp__ar_fail(rd, CRP_ENOMEM, "out of memory");
	else if (!rd->body_done && rd->err.code == CRP_OK)
		crp__ar_json_syntax(rd, "the metadata line is not a JSON object");
	crp__ar_json_close(rd);
	rd->depth = 0;
	if (rd->err.code != CRP_OK)
		return rd->err.code;
	*out = rd->meta;
	return CRP_OK;
}

int crp__ar_json_syntax(ar_reader *rd, const char *what)
{
	const char *msg = rd->json_open && rd->json.message ? rd->json.message : what;
	return crp__ar_fail(rd, CRP_ESYNTAX, "%s", msg);
}
