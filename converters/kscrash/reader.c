/* yajl callbacks that build the typed model directly, driven by the field tables of schema.c.
 *
 * Every JSON container opens a frame. Typed records are filled in place; typed arrays push
 * their elements on the scratch stack and copy them to the arena when they close; anything the
 * model does not type is captured as a generic crp_value and delivered to its parent, which
 * stores it in a field, in the record's extras, or among the array's strays. */
#include <stdio.h>

#include "common/convert.h"
#include "reader.h"

/* A value handed to a container: a scalar token straight from yajl (not yet copied), or a
 * captured container already built in the arena. */
typedef struct tok {
	crp_value_type type;
	bool boolean;
	bool built;
	const char *s;
	size_t len;
	crp_value value;  /* when built */
} tok;

/* STORE_RANGE and STORE_INVALID are mismatches with a more precise warning. */
enum store_result { STORE_OK, STORE_MISMATCH, STORE_RANGE, STORE_INVALID, STORE_NUL, STORE_FAIL };

static crp_frame_state *top(crp_parser *p) { return p->cur; }

static void pop_frame(crp_parser *p)
{
	p->depth--;
	p->cur = p->depth ? &p->frames[p->depth - 1] : NULL;
}

static bool object_like(const crp_frame_state *f)
{
	return f->kind == CRP_F_RECORD || f->kind == CRP_F_REGSET || f->kind == CRP_F_VOBJ;
}

static const char *type_name(const tok *t)
{
	static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array",
					    "an object"};
	return names[t->type];
}

static int oom(crp_parser *p)
{
	int failure = p->arena->failure ? p->arena->failure : p->scratch.failure;
	if (failure == CRP_ELIMIT)
		return crp__reader_fail(p, CRP_ELIMIT, "report needs more than %zu bytes of memory",
					p->opts.max_memory);
	return crp__reader_fail(p, CRP_ENOMEM, "out of memory");
}

/* -- diagnostics -------------------------------------------------------------------------- */

size_t crp__reader_path(const crp_parser *p, char *out, size_t cap)
{
	size_t n = 0;
#define PUT(s, l)                                                                                  \
	do {                                                                                       \
		size_t l_ = (l);                                                                   \
		if (n < cap)                                                                       \
			memcpy(out + n, (s), n + l_ <= cap ? l_ : cap - n);                        \
		n += l_;                                                                           \
	} while (0)
	for (size_t i = 0; i < p->depth; i++) {
		const crp_frame_state *f = &p->frames[i];
		if (object_like(f)) {
			if (!f->in_member)
				break;
			if (n)
				PUT(".", 1);
			PUT(f->key.ptr, f->key.len);
		} else {
			char idx[32];
			int k = snprintf(idx, sizeof idx, "[%zu]", f->n);
			PUT(idx, (size_t)k);
		}
	}
#undef PUT
	return n;
}

static CRP_PRINTF(4, 0) void describe(crp_parser *p, crp_error *e, int code, const char *fmt, va_list ap)
{
	char path[CRP_ERROR_PATH_SIZE * 4];
	crp__error_setv(e, code, fmt, ap);
	crp__parser_position(p, crp__parser_token_back(p), &e->byte_offset, &e->line, &e->column);
	size_t n = crp__reader_path(p, path, sizeof path);
	crp__error_set_path(e, path, n < sizeof path ? n : sizeof path);
}

int crp__reader_fail_long_string(crp_parser *p, uint64_t offset, uint64_t line, uint64_t column)
{
	char path[CRP_ERROR_PATH_SIZE * 4];
	if (p->err.code != CRP_OK)
		return p->err.code;
	bool key = p->depth > 0 && object_like(top(p)) && !top(p)->in_member;
	crp__error_set(&p->err, CRP_ELIMIT, "%s longer than %zu bytes", key ? "key" : "string",
		       p->opts.max_string_bytes);
	p->err.byte_offset = offset;
	p->err.line = line;
	p->err.column = column;
	size_t n = crp__reader_path(p, path, sizeof path);
	crp__error_set_path(&p->err, path, n < sizeof path ? n : sizeof path);
	return p->err.code;
}

int crp__reader_fail(crp_parser *p, int code, const char *fmt, ...)
{
	if (p->err.code != CRP_OK)
		return 0;
	va_list ap;
	va_start(ap, fmt);
	describe(p, &p->err, code, fmt, ap);
	va_end(ap);
	return 0;
}

static bool strict_error(const crp_parser *p, int code)
{
	return (p->opts.flags & CRP_PARSE_STRICT) &&
	       (code == CRP_W_TYPE || code == CRP_W_VALUE || code == CRP_W_NUMBER);
}

/* Returns 1 to go on, 0 to stop the parse (strict mode or out of memory). */
int crp__reader_warn(crp_parser *p, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (strict_error(p, code)) {
		if (p->err.code == CRP_OK)
			describe(p, &p->err, CRP_ESCHEMA, fmt, ap);
		va_end(ap);
		return 0;
	}
	if (p->diag_count >= p->opts.max_warnings) {
		p->diag_dropped++;
		va_end(ap);
		return 1;
	}
	crp_diag_node *d = crp__arena_alloc(p->arena, sizeof *d);
	if (!d) {
		va_end(ap);
		return oom(p);
	}
	memset(d, 0, sizeof *d);
	describe(p, &d->diag, code, fmt, ap);
	va_end(ap);
	if (p->diag_tail)
		p->diag_tail->next = d;
	else
		p->diag_head = d;
	p->diag_tail = d;
	p->diag_count++;
	return 1;
}

/* -- copying values into the arena -------------------------------------------------------- */

/* Copy a string into the arena, repairing invalid UTF-8; *nul says whether it holds a NUL. */
static const char *copy_text_nul(crp_parser *p, const char *s, size_t len, size_t *out_len, bool *nul)
{
	char *c = crp__arena_alloc(p->arena, len + 1);
	if (!c)
		return oom(p), NULL;
	int flags = crp__copy_text(c, s, len);
	*out_len = len;
	*nul = (flags & CRP_TEXT_NUL) != 0;
	if (CRP_LIKELY(!(flags & CRP_TEXT_INVALID)))
		return c;
	size_t valid = crp__utf8_valid_prefix((const unsigned char *)s, len);
	if (len > SIZE_MAX / 3 - 1)
		return crp__reader_fail(p, CRP_ELIMIT, "string too long"), NULL;
	unsigned char *r = crp__arena_alloc(p->arena, len * 3 + 1);
	if (!r)
		return oom(p), NULL;
	*out_len = crp__utf8_repair((const unsigned char *)s, len, r);
	r[*out_len] = '\0';
	if (!crp__reader_warn(p, CRP_W_UTF8, "invalid UTF-8 at byte %zu of the string replaced by U+FFFD", valid))
		return NULL;
	return (const char *)r;
}

static const char *copy_text(crp_parser *p, const char *s, size_t len, size_t *out_len)
{
	bool nul;
	return copy_text_nul(p, s, len, out_len, &nul);
}

static int build_scalar(crp_parser *p, const tok *t, crp_value *v)
{
	if (t->built) {
		*v = t->value;
		return 1;
	}
	memset(v, 0, sizeof *v);
	v->type = t->type;
	switch (t->type) {
	case CRP_VALUE_BOOL:
		v->u.boolean = t->boolean;
		break;
	case CRP_VALUE_NUMBER:
		v->u.num.ptr = crp__arena_strndup(p->arena, t->s, t->len);
		v->u.num.len = t->len;
		if (!v->u.num.ptr)
			return oom(p);
		break;
	case CRP_VALUE_STRING:
		v->u.str.ptr = copy_text(p, t->s, t->len, &v->u.str.len);
		if (!v->u.str.ptr)
			return 0;
		break;
	default:
		break;
	}
	return 1;
}

static crp_span copy_key(crp_parser *p, const unsigned char *s, size_t len)
{
	crp_span k = {NULL, 0};
	k.ptr = copy_text(p, (const char *)s, len, &k.len);
	return k;
}

static int side_add(crp_parser *p, crp_side_list *l, crp_span key, size_t index, const tok *t)
{
	crp_side_node *n = crp__arena_alloc(p->arena, sizeof *n);
	if (!n)
		return oom(p);
	n->next = NULL;
	n->key = key;
	n->item.index = index;
	if (!build_scalar(p, t, &n->item.value))
		return 0;
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
	l->count++;
	return 1;
}

/* Flatten extras after any already stored (a merged record closes twice). */
static int flatten_extras(crp_parser *p, crp_side_list *l, crp_extras *out)
{
	if (!l->count)
		return 1;
	crp_member *m = crp__arena_alloc(p->arena, (out->count + l->count) * sizeof *m);
	if (!m)
		return oom(p);
	if (out->count)
		memcpy(m, out->members, out->count * sizeof *m);
	size_t i = out->count;
	for (crp_side_node *n = l->head; n; n = n->next, i++) {
		m[i].key = n->key;
		m[i].value = n->item.value;
	}
	out->members = m;
	out->count = i;
	return 1;
}

static int flatten_strays(crp_parser *p, crp_side_list *l, crp_strays *out)
{
	if (!l->count)
		return 1;
	crp_stray *s = crp__arena_alloc(p->arena, l->count * sizeof *s);
	if (!s)
		return oom(p);
	size_t i = 0;
	for (crp_side_node *n = l->head; n; n = n->next)
		s[i++] = n->item;
	out->items = s;
	out->count = i;
	return 1;
}

/* -- storing typed values ----------------------------------------------------------------- */

static int number_warning(crp_parser *p, int rc, const tok *t)
{
	if (rc == CRP_NUM_INEXACT)
		return crp__reader_warn(p, CRP_W_NUMBER, "%.*s is not an exact integer; truncated",
					(int)(t->len > 40 ? 40 : t->len), t->s);
	return 1;
}

static enum store_result store_uint(crp_parser *p, const tok *t, uint64_t *out)
{
	int rc;
	if (t->type == CRP_VALUE_NUMBER)
		rc = crp__num_to_u64(t->s, t->len, out);
	else if (t->type == CRP_VALUE_STRING && !t->built)
		rc = crp__str_to_u64(t->s, t->len, out);
	else
		return STORE_MISMATCH;
	if (rc == CRP_NUM_RANGE)
		return STORE_RANGE;
	if (rc < 0)
		return t->type == CRP_VALUE_STRING ? STORE_INVALID : STORE_MISMATCH;
	return number_warning(p, rc, t) ? STORE_OK : STORE_FAIL;
}

static enum store_result store_time(crp_parser *p, const tok *t, crp_time *out)
{
	if (t->type == CRP_VALUE_STRING && !t->built) {
		bool frac;
		if (t->len == 0) {
			out->form = CRP_TIME_EMPTY;
			out->usec = 0;
			return STORE_OK;
		}
		if (crp__parse_time(t->s, t->len, &out->usec, &frac) != 0)
			return STORE_INVALID;
		out->form = frac ? CRP_TIME_TEXT_FRACTION : CRP_TIME_TEXT;
		return STORE_OK;
	}
	if (t->type == CRP_VALUE_NUMBER) {
		uint64_t u;
		int rc = crp__num_to_u64(t->s, t->len, &u);
		if (rc < 0)
			return STORE_RANGE;
		out->usec = (int64_t)u;
		out->form = (crp_time_form)CRP__TIME_RAW;
		return number_warning(p, rc, t) ? STORE_OK : STORE_FAIL;
	}
	return STORE_MISMATCH;
}

static enum store_result store_str(crp_parser *p, const tok *t, const char **out)
{
	size_t len;
	bool nul;
	if (t->built || (t->type != CRP_VALUE_STRING && t->type != CRP_VALUE_NUMBER))
		return STORE_MISMATCH;
	if (t->type == CRP_VALUE_NUMBER &&
	    !crp__reader_warn(p, CRP_W_TYPE, "expected a string, got the number %.*s; kept as text",
			      (int)(t->len > 40 ? 40 : t->len), t->s))
		return STORE_FAIL;
	const char *c = copy_text_nul(p, t->s, t->len, &len, &nul);
	if (!c)
		return STORE_FAIL;
	if (nul)
		return STORE_NUL; /* typed strings are C strings; keep the exact bytes untyped */
	*out = c;
	return STORE_OK;
}

static enum store_result store_value(crp_parser *p, const tok *t, const crp_value **out)
{
	crp_value *v = crp__arena_alloc(p->arena, sizeof *v);
	if (!v)
		return oom(p), STORE_FAIL;
	if (!build_scalar(p, t, v))
		return STORE_FAIL;
	*out = v;
	return STORE_OK;
}

static enum store_result store_hex(crp_parser *p, const tok *t, crp_bytes *out)
{
	if (t->type != CRP_VALUE_STRING || t->built)
		return STORE_MISMATCH;
	if (t->len % 2)
		return STORE_INVALID;
	uint8_t *b = crp__arena_alloc(p->arena, t->len / 2 + 1);
	if (!b)
		return oom(p), STORE_FAIL;
	if (crp__parse_hex(t->s, t->len, b) != 0)
		return STORE_INVALID;
	out->data = b;
	out->len = t->len / 2;
	return STORE_OK;
}

static enum store_result store_scalar(crp_parser *p, const crp_fdesc *fd, void *ptr, const tok *t)
{
	uint64_t u;
	enum store_result r;
	switch (fd->kind) {
	case CRP_K_U64:
		return store_uint(p, t, ptr);
	case CRP_K_I64:
		if ((r = store_uint(p, t, &u)) == STORE_OK)
			*(int64_t *)ptr = (int64_t)u;
		return r;
	case CRP_K_I32:
		if ((r = store_uint(p, t, &u)) != STORE_OK)
			return r;
		/* int32 either way round: -2147483646 and 2147483650 are both arm64e + ptrauth. */
		if (u > UINT32_MAX && ((int64_t)u >= 0 || (int64_t)u < INT32_MIN))
			return STORE_RANGE;
		*(int32_t *)ptr = (int32_t)(uint32_t)u;
		return STORE_OK;
	case CRP_K_F64:
		if (t->type != CRP_VALUE_NUMBER)
			return STORE_MISMATCH;
		if (!p->c_locale && !(p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)))
			return oom(p), STORE_FAIL;
		return crp__num_to_double(t->s, t->len, p->c_locale, ptr) == CRP_NUM_OK ? STORE_OK
											 : STORE_RANGE;
	case CRP_K_BOOL:
		if (t->type == CRP_VALUE_BOOL)
			*(bool *)ptr = t->boolean;
		else if (t->type == CRP_VALUE_NUMBER && t->len == 1 && (t->s[0] == '0' || t->s[0] == '1'))
			*(bool *)ptr = t->s[0] == '1'; /* NSNumber booleans re-serialised as 0/1 */
		else
			return STORE_MISMATCH;
		return STORE_OK;
	case CRP_K_STR:
		return store_str(p, t, ptr);
	case CRP_K_TIME:
		return store_time(p, t, ptr);
	case CRP_K_UUID:
		if (t->type != CRP_VALUE_STRING || t->built)
			return STORE_MISMATCH;
		return crp__parse_uuid(t->s, t->len, ptr) == 0 ? STORE_OK : STORE_INVALID;
	case CRP_K_HEX:
		return store_hex(p, t, ptr);
	case CRP_K_VALUE:
		return store_value(p, t, ptr);
	default:
		return STORE_MISMATCH;
	}
}

/* Record that receives a field: the frame's record, a nested one (2012 flat keys), or the
 * report body. Sets the nesting record's presence bit. */
static void *target_of(crp_frame_state *f, const crp_fdesc *fd)
{
	if (fd->flags & CRP_FF_BODY)
		return f->body;
	if (fd->nest_off) {
		crp__head(f->obj)->has |= fd->nest_bit;
		return (char *)f->obj + fd->nest_off;
	}
	return f->obj;
}

static bool is_present(crp_frame_state *f, const crp_fdesc *fd)
{
	if (fd->flags & CRP_FF_BODY)
		return (f->body->has & fd->bit) != 0;
	if (fd->nest_off) {
		if (!(crp__head(f->obj)->has & fd->nest_bit))
			return false;
		return (crp__head((char *)f->obj + fd->nest_off)->has & fd->bit) != 0;
	}
	return (crp__head(f->obj)->has & fd->bit) != 0;
}

static int add_extra(crp_parser *p, crp_frame_state *f, const tok *t)
{
	return side_add(p, &f->extras, f->key, 0, t);
}

/* 2012 layout: report_version_major / report_version_minor at the top level. */
static bool is_legacy_version_key(const crp_fdesc *fd)
{
	return (fd->flags & CRP_FF_LEGACY) && strncmp(fd->key, "report_version_", 15) == 0;
}

static enum store_result store_legacy_version(crp_parser *p, crp_frame_state *f,
					      const crp_fdesc *fd, const tok *t)
{
	crp_version *v = &f->body->info.version;
	bool major = strcmp(fd->key, "report_version_major") == 0;
	uint64_t bit = major ? CRP_VER_MAJOR : CRP_VER_MINOR;
	if (v->has & bit)
		return STORE_MISMATCH;
	enum store_result r = store_uint(p, t, major ? &v->major : &v->minor);
	if (r == STORE_OK) {
		v->has |= bit;
		v->form = CRP_VERSION_FORM_LEGACY;
		f->body->info.has |= CRP_INFO_VERSION;
		f->body->has |= CRP_SECTION_REPORT;
		p->report->provenance |= CRP_PROV_LEGACY_2012;
	}
	return r;
}

static int parse_version_string(crp_parser *p, const tok *t, crp_version *v)
{
	size_t len;
	const char *s = copy_text(p, t->s, t->len, &len);
	if (!s)
		return 0;
	v->text = s;
	v->form = CRP_VERSION_FORM_STRING;
	uint64_t *parts[3] = {&v->major, &v->minor, &v->patch};
	const uint64_t bits[3] = {CRP_VER_MAJOR, CRP_VER_MINOR, CRP_VER_PATCH};
	size_t i = 0;
	for (int k = 0; k < 3 && i < len; k++) {
		size_t start = i;
		uint64_t n = 0;
		while (i < len && (unsigned)(s[i] - '0') <= 9 && n < UINT32_MAX)
			n = n * 10 + (uint64_t)(s[i++] - '0');
		if (i == start)
			break;
		*parts[k] = n;
		v->has |= bits[k];
		if (i < len && s[i] != '.')
			break;
		i++;
	}
	return 1;
}

/* A scalar for a record field that is itself a record: the 2012 "signal": 6. */
static int store_scalar_key(crp_parser *p, crp_frame_state *f, const crp_fdesc *fd, const tok *t,
			    enum store_result *r)
{
	void *rec = crp__field_ptr(f->obj, fd);
	int i = crp__rdesc_find(fd->sub, fd->sub->scalar_key, strlen(fd->sub->scalar_key), 0);
	const crp_fdesc *sf = &fd->sub->fields[i];
	if ((crp__head(f->obj)->has & fd->bit) && (crp__head(rec)->has & sf->bit))
		return 0; /* a second "signal": a duplicate */
	*r = store_scalar(p, sf, crp__field_ptr(rec, sf), t);
	if (*r == STORE_OK) {
		crp__head(rec)->has |= sf->bit;
		crp__head(f->obj)->has |= fd->bit;
	}
	return 1;
}

static int equal_to_stored(crp_parser *p, const crp_fdesc *fd, void *ptr, const tok *t);

static const char *expected_name(uint8_t kind)
{
	switch (kind) {
	case CRP_K_U64: return "an unsigned integer";
	case CRP_K_I64: case CRP_K_I32: return "an integer";
	case CRP_K_F64: return "a number";
	case CRP_K_BOOL: return "a boolean";
	case CRP_K_STR: case CRP_K_VERSION: return "a string";
	case CRP_K_TIME: return "a time";
	case CRP_K_UUID: return "a UUID string";
	case CRP_K_HEX: return "a hex string";
	case CRP_K_ARRAY: case CRP_K_STRLIST: return "an array";
	default: return "an object";
	}
}

/* Keep a value the model could not type, saying why. */
static int keep_untyped(crp_parser *p, crp_frame_state *f, const crp_fdesc *fd, const tok *t,
			enum store_result r)
{
	int ok = 1;
	int shown = (int)(t->len > 60 ? 60 : t->len);
	if (r == STORE_RANGE)
		ok = crp__reader_warn(p, CRP_W_NUMBER, "%.*s is out of range for %s; kept untyped", shown,
				      t->s, expected_name(fd->kind));
	else if (r == STORE_NUL)
		ok = crp__reader_warn(p, CRP_W_VALUE, "string holds a NUL byte; kept untyped");
	else if (r == STORE_INVALID)
		ok = crp__reader_warn(p, CRP_W_VALUE, "\"%.*s\" is not %s; kept untyped", shown, t->s,
				      expected_name(fd->kind));
	else if (t->type != CRP_VALUE_NULL)
		ok = crp__reader_warn(p, CRP_W_TYPE, "expected %s, got %s; kept untyped",
				      expected_name(fd->kind), type_name(t));
	return ok && add_extra(p, f, t);
}

static int record_value(crp_parser *p, crp_frame_state *f, const tok *t)
{
	const crp_fdesc *fd = f->field;
	enum store_result r = STORE_MISMATCH;
	if (!fd)
		return add_extra(p, f, t);
	if (fd->kind == CRP_K_RECORD && fd->sub->scalar_key && t->type == CRP_VALUE_NUMBER &&
	    store_scalar_key(p, f, fd, t, &r))
		return r == STORE_OK ? 1 : r == STORE_FAIL ? 0 : keep_untyped(p, f, fd, t, r);
	if (is_legacy_version_key(fd)) {
		r = store_legacy_version(p, f, fd, t);
		return r == STORE_OK ? 1 : r == STORE_FAIL ? 0 : keep_untyped(p, f, fd, t, r);
	}
	if (is_present(f, fd) && !(fd->flags & CRP_FF_MERGE)) {
		if ((fd->flags & CRP_FF_ALIAS) && equal_to_stored(p, fd, crp__field_ptr(target_of(f, fd), fd), t))
			return 1; /* the same fact spelled twice (2012 layout): nothing is lost */
		if (!crp__reader_warn(p, CRP_W_DUPLICATE, "duplicate key; the later value is kept untyped"))
			return 0;
		return add_extra(p, f, t);
	}
	if (fd->kind == CRP_K_VERSION && t->type == CRP_VALUE_STRING) {
		if (!parse_version_string(p, t, crp__field_ptr(f->obj, fd)))
			return 0;
		crp__head(f->obj)->has |= fd->bit;
		return 1;
	}
	if (fd->kind <= CRP_K_VALUE) {
		void *rec = target_of(f, fd);
		r = store_scalar(p, fd, crp__field_ptr(rec, fd), t);
		if (r == STORE_OK) {
			crp__head(rec)->has |= fd->bit;
			if (fd->flags & CRP_FF_LEGACY)
				p->report->provenance |= CRP_PROV_LEGACY_2012;
			return 1;
		}
		if (r == STORE_FAIL)
			return 0;
	}
	return keep_untyped(p, f, fd, t, r);
}

static int equal_to_stored(crp_parser *p, const crp_fdesc *fd, void *ptr, const tok *t)
{
	if (t->built)
		return 0;
	switch (fd->kind) {
	case CRP_K_STR:
		return t->type == CRP_VALUE_STRING && strlen(*(const char **)ptr) == t->len &&
		       memcmp(*(const char **)ptr, t->s, t->len) == 0;
	case CRP_K_U64: {
		uint64_t u;
		return t->type == CRP_VALUE_NUMBER && crp__num_to_u64(t->s, t->len, &u) == CRP_NUM_OK &&
		       u == *(uint64_t *)ptr;
	}
	default:
		CRP_UNUSED(p);
		return 0;
	}
}

/* -- delivering values to containers ------------------------------------------------------ */

static int push_register(crp_parser *p, crp_frame_state *f, const tok *t)
{
	uint64_t v;
	int rc = t->type == CRP_VALUE_NUMBER ? crp__num_to_u64(t->s, t->len, &v) : -1;
	if (rc < 0) {
		if (t->type != CRP_VALUE_NULL &&
		    !crp__reader_warn(p, CRP_W_TYPE, "register value is %s, not an unsigned integer; kept untyped",
				      type_name(t)))
			return 0;
		return add_extra(p, f, t);
	}
	if (!number_warning(p, rc, t))
		return 0;
	crp_register *r = crp__scratch_push(&p->scratch, sizeof *r);
	if (!r)
		return oom(p);
	r->name = f->key.ptr;
	r->value = v;
	return 1;
}

static int push_string_item(crp_parser *p, crp_frame_state *f, const tok *t)
{
	const char *c = NULL;
	size_t len;
	bool nul = false;
	if (t->type == CRP_VALUE_STRING && !t->built) {
		c = copy_text_nul(p, t->s, t->len, &len, &nul);
		if (!c)
			return 0;
	}
	if (!c || nul) {
		if (!crp__reader_warn(p, CRP_W_TYPE, "expected a string, got %s; kept untyped",
				      nul ? "one holding a NUL byte" : type_name(t)))
			return 0;
		return side_add(p, &f->strays, f->key, f->n, t);
	}
	const char **slot = crp__scratch_push(&p->scratch, sizeof *slot);
	if (!slot)
		return oom(p);
	*slot = c;
	return 1;
}

static int deliver_user(crp_parser *p, crp_frame_state *f, const tok *t);

static int deliver(crp_parser *p, crp_frame_state *f, const tok *t)
{
	int ok = 1;
	switch (f->kind) {
	case CRP_F_RECORD:
		if (f->field && f->field->kind == CRP_K_USER)
			return deliver_user(p, f, t);
		ok = record_value(p, f, t);
		f->in_member = false;
		return ok;
	case CRP_F_REGSET:
		ok = push_register(p, f, t);
		f->in_member = false;
		return ok;
	case CRP_F_VOBJ: {
		crp_member *m = crp__scratch_push(&p->scratch, sizeof *m);
		if (!m)
			return oom(p);
		m->key = f->key;
		ok = build_scalar(p, t, &m->value);
		f->in_member = false;
		return ok;
	}
	case CRP_F_VARR: {
		crp_value *v = crp__scratch_push(&p->scratch, sizeof *v);
		if (!v)
			return oom(p);
		ok = build_scalar(p, t, v);
		break;
	}
	case CRP_F_ARRAY:
		if (t->type != CRP_VALUE_NULL &&
		    !crp__reader_warn(p, CRP_W_TYPE, "expected an object, got %s; kept untyped", type_name(t)))
			return 0;
		ok = side_add(p, &f->strays, f->key, f->n, t);
		break;
	case CRP_F_STRLIST:
		ok = push_string_item(p, f, t);
		break;
	}
	f->n++;
	return ok;
}

/* -- opening and closing containers ------------------------------------------------------- */

static crp_frame_state *push_frame(crp_parser *p, uint8_t kind, const crp_rdesc *rd, void *obj)
{
	if (p->depth >= p->opts.max_depth) {
		crp__reader_fail(p, CRP_ELIMIT, "nesting deeper than %zu", p->opts.max_depth);
		return NULL;
	}
	crp_frame_state *parent = p->depth ? top(p) : NULL;
	crp_frame_state *f = &p->frames[p->depth++];
	p->cur = f;
	/* Field by field: gcc turns a memset of the frame into rep stos, whose start-up cost was
	 * most of the time spent here. */
	f->kind = kind;
	f->in_member = false;
	f->rd = rd;
	f->obj = obj;
	f->field = NULL;
	f->key = (crp_span){NULL, 0};
	f->n = f->hint = 0;
	f->next = kind == CRP_F_RECORD ? p->next_field[rd->id] : NULL;
	f->mark = crp__scratch_mark(&p->scratch);
	f->extras = f->strays = (crp_side_list){NULL, NULL, 0};
	f->empty_runs = NULL;
	f->empties = 0;
	f->body = parent ? parent->body : (crp_body *)obj;
	return f;
}

static int open_capture(crp_parser *p, bool is_map)
{
	return push_frame(p, is_map ? CRP_F_VOBJ : CRP_F_VARR, NULL, NULL) != NULL;
}

static crp_report *new_child_report(crp_parser *p)
{
	crp_report *c = crp__arena_calloc(p->arena, sizeof *c);
	if (!c)
		return oom(p), NULL;
	c->owner = p->report;
	return c;
}

/* A container for a known key of a record: the typed frame for its kind, or a capture when
 * the JSON type does not fit (delivered back as a mismatch). */
static int open_field(crp_parser *p, crp_frame_state *f, const crp_fdesc *fd, bool is_map)
{
	void *rec = target_of(f, fd);
	void *ptr = crp__field_ptr(rec, fd);
	uint8_t k = fd->kind;
	crp_frame_state *nf = NULL;
	if (fd->flags & CRP_FF_MERGE)
		p->report->provenance |= CRP_PROV_ATCRASH_MERGED;
	if (fd->flags & CRP_FF_LEGACY)
		p->report->provenance |= CRP_PROV_LEGACY_2012;

	if (is_map && (k == CRP_K_RECORD || k == CRP_K_BACKTRACE)) {
		nf = push_frame(p, CRP_F_RECORD, fd->sub, ptr);
	} else if (is_map && k == CRP_K_VERSION) {
		((crp_version *)ptr)->form = CRP_VERSION_FORM_OBJECT;
		nf = push_frame(p, CRP_F_RECORD, fd->sub, ptr);
	} else if (is_map && k == CRP_K_RECPTR) {
		void *r = crp__arena_calloc(p->arena, fd->sub->size);
		if (!r)
			return oom(p);
		*(void **)ptr = r;
		nf = push_frame(p, CRP_F_RECORD, fd->sub, r);
	} else if (is_map && k == CRP_K_REGSET) {
		nf = push_frame(p, CRP_F_REGSET, fd->sub, ptr);
		if (nf) /* which register-name cache: basic or exception */
			nf->hint = fd->bit == CRP_REGISTERS_EXCEPTION;
	} else if (is_map && k == CRP_K_REPORT) {
		crp_report *c = new_child_report(p);
		if (!c)
			return 0;
		*(crp_report **)ptr = c;
		nf = push_frame(p, CRP_F_RECORD, &crp__body_desc, &c->body);
		if (nf)
			nf->body = &c->body;
	} else if (!is_map && (k == CRP_K_ARRAY || k == CRP_K_STRLIST)) {
		nf = push_frame(p, k == CRP_K_ARRAY ? CRP_F_ARRAY : CRP_F_STRLIST, fd->sub, ptr);
	} else if (!is_map && k == CRP_K_BACKTRACE) {
		/* 2012 layout: the backtrace is the bare array of frames. */
		crp_backtrace *bt = ptr;
		bt->has |= CRP_BACKTRACE_CONTENTS;
		p->report->provenance |= CRP_PROV_LEGACY_2012;
		nf = push_frame(p, CRP_F_ARRAY, &crp__frame_desc, &bt->frames);
	} else {
		return open_capture(p, is_map);
	}
	if (!nf)
		return 0;
	crp__head(rec)->has |= fd->bit;
	return 1;
}

static int open_in_record(crp_parser *p, crp_frame_state *f, bool is_map)
{
	const crp_fdesc *fd = f->field;
	if (!fd || fd->kind == CRP_K_VALUE || fd->kind == CRP_K_USER)
		return open_capture(p, is_map);
	/* A repeated object merges into the record (KSCrash's own atcrash merge wrote "memory"
	 * twice); anything else repeated is kept untyped by record_value. */
	bool merges = (fd->flags & CRP_FF_MERGE) || (fd->kind == CRP_K_RECORD && is_map);
	if (is_present(f, fd) && !merges)
		return open_capture(p, is_map);
	return open_field(p, f, fd, is_map);
}

/* The model takes about as many bytes as its JSON text: one first block that size replaces a
 * chain of doubling blocks, and the heap stops growing and shrinking by hundreds of kilobytes
 * (fresh pages, faulted in again) for every report. Only well inside the memory limit, so
 * where that limit bites does not move. */
static void size_arena(crp_parser *p, crp_arena *a)
{
	size_t hint = p->size_hint;
	p->size_hint = 0; /* one report expected: a second one grows the usual way */
	if (hint && hint <= p->opts.max_memory / 4)
		a->first = hint + hint / 4;
}

static int begin_report(crp_parser *p)
{
	crp_report *r = crp__malloc(&p->alloc, sizeof *r);
	if (!r)
		return crp__reader_fail(p, CRP_ENOMEM, "out of memory");
	memset(r, 0, sizeof *r);
	crp__arena_init(&r->arena, &p->alloc, p->opts.max_memory);
	size_arena(p, &r->arena);
	p->report = r;
	p->arena = &r->arena;
	p->diag_head = p->diag_tail = NULL;
	p->diag_count = p->diag_dropped = 0;
	memset(p->reg_names, 0, sizeof p->reg_names); /* they point into the previous report */
	p->report_start = crp__parser_offset(p, 1);
	return push_frame(p, CRP_F_RECORD, &crp__body_desc, &r->body) != NULL;
}

static int open_container(crp_parser *p, bool is_map)
{
	if (p->depth == 0) {
		if (!is_map)
			return crp__reader_fail(p, CRP_ESCHEMA, "expected a report (a JSON object), found an array");
		return begin_report(p);
	}
	crp_frame_state *f = top(p);
	if (f->n >= p->opts.max_items)
		return crp__reader_fail(p, CRP_ELIMIT, "more than %zu items in one container", p->opts.max_items);
	if (f->kind == CRP_F_RECORD)
		return open_in_record(p, f, is_map);
	if (f->kind == CRP_F_ARRAY && is_map) {
		void *elem = crp__scratch_push(&p->scratch, f->rd->size);
		if (!elem)
			return oom(p);
		return push_frame(p, CRP_F_RECORD, f->rd, elem) != NULL;
	}
	return open_capture(p, is_map);
}

/* An empty record of a typed array leaves the scratch: only its position is kept. */
static int note_empty(crp_parser *p, crp_frame_state *a)
{
	size_t stride = (a->rd->size + 7) & ~(size_t)7;
	size_t at = crp__scratch_size_since(&p->scratch, a->mark) / stride + a->empties;
	crp_empty_run *r = a->empty_runs;
	if (!r || r->at + r->count != at) {
		r = crp__arena_alloc(p->arena, sizeof *r);
		if (!r)
			return oom(p);
		*r = (crp_empty_run){a->empty_runs, at, 0};
		a->empty_runs = r;
	}
	r->count++;
	a->empties++;
	return 1;
}

/* The kept records sit at the front of items: move each stretch behind its empty run, last
 * first, zeroing the runs. */
static void spread_empties(const crp_frame_state *f, unsigned char *items, size_t stride, size_t n)
{
	size_t empties = f->empties, end = n;
	for (const crp_empty_run *r = f->empty_runs; r; r = r->next) {
		size_t from = r->at + r->count;
		memmove(items + from * stride, items + (from - empties) * stride, (end - from) * stride);
		memset(items + r->at * stride, 0, r->count * stride);
		empties -= r->count;
		end = r->at;
	}
}

/* The element count of a typed array: the scratch it used divided by the element size, plus
 * the empty records left out of it. */
static int close_array(crp_parser *p, crp_frame_state *f, size_t elem_size)
{
	crp_array_slot *slot = f->obj;
	size_t bytes = crp__scratch_size_since(&p->scratch, f->mark);
	size_t stride = (elem_size + 7) & ~(size_t)7, n = bytes / stride + f->empties;
	if (n) {
		unsigned char *items = crp__arena_alloc(p->arena, n * stride);
		if (!items)
			return oom(p);
		crp__scratch_copy(&p->scratch, f->mark, items);
		if (f->empties)
			spread_empties(f, items, stride, n);
		slot->items = items;
		slot->count = n;
	}
	return flatten_strays(p, &f->strays, &slot->strays);
}

static int close_regset(crp_parser *p, crp_frame_state *f)
{
	crp_regset *rs = f->obj;
	size_t bytes = crp__scratch_size_since(&p->scratch, f->mark);
	if (bytes) {
		crp_register *regs = crp__arena_alloc(p->arena, bytes);
		if (!regs)
			return oom(p);
		crp__scratch_copy(&p->scratch, f->mark, regs);
		rs->regs = regs;
		rs->count = bytes / sizeof *regs;
	}
	return flatten_extras(p, &f->extras, &rs->extras);
}

static int build_capture(crp_parser *p, crp_frame_state *f, crp_value *v)
{
	size_t bytes = crp__scratch_size_since(&p->scratch, f->mark);
	void *items = NULL;
	memset(v, 0, sizeof *v);
	if (bytes) {
		items = crp__arena_alloc(p->arena, bytes);
		if (!items)
			return oom(p);
		crp__scratch_copy(&p->scratch, f->mark, items);
	}
	if (f->kind == CRP_F_VOBJ) {
		v->type = CRP_VALUE_OBJECT;
		v->u.obj.members = items;
		v->u.obj.count = bytes / sizeof(crp_member);
	} else {
		v->type = CRP_VALUE_ARRAY;
		v->u.arr.items = items;
		v->u.arr.count = bytes / sizeof(crp_value);
	}
	return 1;
}

/* Merge a second user object (user_atcrash) into the first. */
static int merge_user(crp_parser *p, const crp_value **slot, const crp_value *add)
{
	const crp_value *old = *slot;
	crp_value *v = crp__arena_alloc(p->arena, sizeof *v);
	size_t n = old->u.obj.count + add->u.obj.count;
	crp_member *m = n ? crp__arena_alloc(p->arena, n * sizeof *m) : NULL;
	if (!v || (n && !m))
		return oom(p);
	if (old->u.obj.count)
		memcpy(m, old->u.obj.members, old->u.obj.count * sizeof *m);
	if (add->u.obj.count)
		memcpy(m + old->u.obj.count, add->u.obj.members, add->u.obj.count * sizeof *m);
	v->type = CRP_VALUE_OBJECT;
	v->u.obj.members = m;
	v->u.obj.count = n;
	*slot = v;
	return 1;
}

/* A captured value for a "user"-kind field: store, merge, or keep as a duplicate. */
static int deliver_user(crp_parser *p, crp_frame_state *f, const tok *t)
{
	const crp_fdesc *fd = f->field;
	crp_body *b = f->obj;
	const crp_value **slot = crp__field_ptr(b, fd);
	int ok;
	if (fd->flags & CRP_FF_MERGE)
		p->report->provenance |= CRP_PROV_ATCRASH_MERGED;
	if (!(b->has & fd->bit)) {
		b->has |= fd->bit;
		ok = store_value(p, t, slot) == STORE_OK;
	} else if ((*slot)->type == CRP_VALUE_OBJECT && t->built && t->value.type == CRP_VALUE_OBJECT) {
		ok = merge_user(p, slot, &t->value);
	} else {
		ok = crp__reader_warn(p, CRP_W_DUPLICATE, "cannot merge into \"user\"; kept untyped") &&
		     add_extra(p, f, t);
	}
	f->in_member = false;
	return ok;
}

static int child_closed(crp_parser *p)
{
	if (p->depth == 0)
		return 1;
	crp_frame_state *f = top(p);
	if (object_like(f))
		f->in_member = false;
	else
		f->n++;
	return 1;
}

static int finish_report(crp_parser *p);
static int check_report_size(crp_parser *p);

/* 2012 layout: registers written straight into "registers" belong to "basic". */
static int move_flat_registers(crp_parser *p, crp_registers *rg)
{
	size_t flat = 0, keep = 0;
	uint64_t v;
	for (size_t i = 0; i < rg->extras.count; i++) {
		const crp_value *x = &rg->extras.members[i].value;
		flat += x->type == CRP_VALUE_NUMBER && crp__num_to_u64(x->u.num.ptr, x->u.num.len, &v) == CRP_NUM_OK;
	}
	if (!flat)
		return 1;
	crp_register *regs = crp__arena_alloc(p->arena, (rg->basic.count + flat) * sizeof *regs);
	crp_member *rest = crp__arena_alloc(p->arena, (rg->extras.count - flat + 1) * sizeof *rest);
	if (!regs || !rest)
		return oom(p);
	if (rg->basic.count)
		memcpy(regs, rg->basic.regs, rg->basic.count * sizeof *regs);
	size_t n = rg->basic.count;
	for (size_t i = 0; i < rg->extras.count; i++) {
		const crp_member *m = &rg->extras.members[i];
		if (m->value.type == CRP_VALUE_NUMBER &&
		    crp__num_to_u64(m->value.u.num.ptr, m->value.u.num.len, &v) == CRP_NUM_OK) {
			regs[n].name = m->key.ptr;
			regs[n++].value = v;
		} else {
			rest[keep++] = *m;
		}
	}
	rg->basic.regs = regs;
	rg->basic.count = n;
	rg->extras.members = keep ? rest : NULL;
	rg->extras.count = keep;
	rg->has |= CRP_REGISTERS_BASIC;
	p->report->provenance |= CRP_PROV_LEGACY_2012;
	return 1;
}

static int close_container(crp_parser *p)
{
	crp_frame_state *f = top(p);
	int ok = 1;
	switch (f->kind) {
	case CRP_F_RECORD:
		ok = flatten_extras(p, &f->extras, &crp__head(f->obj)->extras);
		if (ok && f->rd == &crp__registers_desc && f->extras.count)
			ok = move_flat_registers(p, f->obj);
		break;
	case CRP_F_ARRAY:
		ok = close_array(p, f, f->rd->size);
		break;
	case CRP_F_STRLIST:
		ok = close_array(p, f, sizeof(const char *));
		break;
	case CRP_F_REGSET:
		ok = close_regset(p, f);
		break;
	case CRP_F_VOBJ:
	case CRP_F_VARR: {
		tok t = {.built = true};
		if (!build_capture(p, f, &t.value))
			return 0;
		t.type = t.value.type;
		crp__scratch_pop(&p->scratch, f->mark);
		pop_frame(p);
		return deliver(p, top(p), &t);
	}
	}
	if (!ok)
		return 0;
	/* An element of a typed array was pushed before its mark, so it stays on the stack;
	 * unless it is empty ({} or only nulls): then it leaves, and only its position stays. */
	crp__scratch_pop(&p->scratch, f->mark);
	crp_frame_state *parent = p->depth > 1 ? &p->frames[p->depth - 2] : NULL;
	bool empty = parent && parent->kind == CRP_F_ARRAY && f->kind == CRP_F_RECORD &&
		     !crp__head(f->obj)->has && !crp__head(f->obj)->extras.count;
	pop_frame(p);
	if (p->depth == 0)
		return check_report_size(p) && finish_report(p);
	if (empty) {
		crp__scratch_pop_last(&p->scratch, parent->rd->size);
		if (!note_empty(p, parent))
			return 0;
	}
	return child_closed(p);
}

/* -- finishing a report ------------------------------------------------------------------- */

/* Integer times: report.timestamp became microseconds in report version 3.3.0; KSCrash writes
 * every other time as text, so an integer there (forks, hand edits) is taken as seconds. */
static void resolve_times(crp_body *b)
{
	const crp_version *v = &b->info.version;
	bool micros = (v->has & CRP_VER_MAJOR) &&
		      (v->major > 3 || (v->major == 3 && v->minor >= 3));
	if ((int)b->info.timestamp.form == CRP__TIME_RAW)
		crp__time_settle_integer(&b->info.timestamp, micros);
	if ((int)b->system.boot_time.form == CRP__TIME_RAW)
		crp__time_settle_integer(&b->system.boot_time, false);
	if ((int)b->system.app_start_time.form == CRP__TIME_RAW)
		crp__time_settle_integer(&b->system.app_start_time, false);
}

static int finalize_body(crp_parser *p, crp_body *b)
{
	crp_version *v = &b->info.version;
	if ((b->info.has & CRP_INFO_VERSION) && !v->text) {
		char buf[80];
		int n = snprintf(buf, sizeof buf, "%llu.%llu.%llu", (unsigned long long)v->major,
				 (unsigned long long)v->minor, (unsigned long long)v->patch);
		v->text = crp__arena_strndup(p->arena, buf, (size_t)n);
		if (!v->text)
			return oom(p);
	}
	resolve_times(b);
	return 1;
}

static bool is_minimal(const crp_body *b)
{
	return (b->info.has & CRP_INFO_TYPE) && strcmp(b->info.type, "minimal") == 0;
}

/* Old recrash layout (top = original + incomplete, recrash_report = minimal) becomes the new
 * one (top = minimal, recrash_report = original). */
static void normalize_recrash(crp_report *r)
{
	crp_report *c = r->body.recrash;
	if (!c || is_minimal(&r->body) || !is_minimal(&c->body) || c->body.recrash)
		return;
	crp_body original = r->body;
	r->body = c->body;
	c->body = original;
	c->body.recrash = NULL;
	c->body.has &= ~CRP_SECTION_RECRASH;
	r->body.recrash = c;
	r->body.has |= CRP_SECTION_RECRASH;
	r->provenance |= CRP_PROV_RECRASH_OLD;
}

static int flatten_warnings(crp_parser *p, crp_report *r)
{
	size_t extra = p->diag_dropped ? 1 : 0;
	if (!p->diag_count && !extra)
		return 1;
	crp_diag *d = crp__arena_alloc(p->arena, (p->diag_count + extra) * sizeof *d);
	if (!d)
		return oom(p);
	size_t i = 0;
	for (crp_diag_node *n = p->diag_head; n; n = n->next)
		d[i++] = n->diag;
	if (extra) {
		memset(&d[i], 0, sizeof d[i]);
		d[i].code = CRP_W_SUPPRESSED;
		snprintf(d[i].message, sizeof d[i].message, "%zu more warnings not recorded", p->diag_dropped);
		i++;
	}
	r->warnings = d;
	r->warning_count = i;
	r->warnings_dropped = p->diag_dropped;
	return 1;
}

static int enqueue(crp_parser *p, crp_report *r)
{
	if (p->ready_head + p->ready_count == p->ready_cap) {
		if (p->ready_head) {
			memmove(p->ready, p->ready + p->ready_head, p->ready_count * sizeof *p->ready);
			p->ready_head = 0;
		} else {
			size_t cap = p->ready_cap ? p->ready_cap * 2 : 8;
			crp_report **q = crp__realloc(&p->alloc, p->ready, cap * sizeof *q);
			if (!q)
				return crp__reader_fail(p, CRP_ENOMEM, "out of memory");
			p->ready = q;
			p->ready_cap = cap;
		}
	}
	p->ready[p->ready_head + p->ready_count++] = r;
	return 1;
}

/* The least that makes a report (kscrash-format.md): a "report" or "crash" object, the 2012
 * layout's top-level identity (crash_id, report_version_major, timestamp), or a recrash
 * file's "recrash_report". Anything else is some other JSON object. */
static bool is_a_report(const crp_body *b)
{
	return (b->has & (CRP_SECTION_REPORT | CRP_SECTION_CRASH | CRP_SECTION_RECRASH)) != 0;
}

static int finish_report(crp_parser *p)
{
	crp_report *r = p->report;
	if (!is_a_report(&r->body) && (r->provenance & CRP_PROV_TRUNCATED))
		return crp__reader_fail(p, CRP_ESCHEMA, "input ends before a \"report\", \"crash\" or "
					"\"recrash_report\" object began: nothing of a report to keep");
	if (!is_a_report(&r->body))
		return crp__reader_fail(p, CRP_ESCHEMA,
					"not a crash report: the object has no \"report\", \"crash\" or "
					"\"recrash_report\" object");
	/* recrash reports nest (a handler crash inside a handler crash): each body settles its
	 * own times by its own version */
	for (crp_report *b = r; b; b = b->body.recrash)
		if (!finalize_body(p, &b->body))
			return 0;
	normalize_recrash(r);
	if (r->provenance & CRP_PROV_TRUNCATED) {
		r->body.incomplete = true;
		r->body.has |= CRP_SECTION_INCOMPLETE;
	}
	if (!flatten_warnings(p, r))
		return 0;
	if (!enqueue(p, r))
		return 0;
	p->report = NULL;
	p->arena = NULL;
	p->report_count++;
	return 1;
}

void crp__reader_discard(crp_parser *p)
{
	if (p->report) {
		crp_report_free(p->report);
		p->report = NULL;
		p->arena = NULL;
	}
	p->depth = 0;
	p->cur = NULL;
	crp__scratch_pop(&p->scratch, (crp_scratch_mark){NULL, 0});
}

int crp__reader_salvage(crp_parser *p)
{
	if (!crp__reader_warn(p, CRP_W_TRUNCATED, "input ends inside the report; kept what was complete"))
		return 0;
	p->report->provenance |= CRP_PROV_TRUNCATED;
	while (p->depth > 0) {
		crp_frame_state *f = top(p);
		f->in_member = false; /* a key without its value is dropped */
		if (!close_container(p))
			return 0;
	}
	return 1;
}

/* -- yajl callbacks ----------------------------------------------------------------------- */

static int check_report_size(crp_parser *p)
{
	/* the end of the window bounds the report's end: map the exact offset only when needed */
	uint64_t bound = p->chunk_base + (p->window ? p->window_len : 0);
	if (bound - p->report_start <= p->opts.max_report_bytes)
		return 1;
	uint64_t off = crp__parser_offset(p, 0);
	if (off - p->report_start > p->opts.max_report_bytes)
		return crp__reader_fail(p, CRP_ELIMIT, "report larger than %zu bytes", p->opts.max_report_bytes);
	return 1;
}

static int on_scalar(crp_parser *p, const tok *t)
{
	if (p->depth == 0)
		return crp__reader_fail(p, CRP_ESCHEMA, "expected a report (a JSON object), found %s",
					type_name(t));
	crp_frame_state *f = top(p);
	if (!object_like(f) && f->n >= p->opts.max_items)
		return crp__reader_fail(p, CRP_ELIMIT, "more than %zu items in one array", p->opts.max_items);
	return deliver(p, f, t);
}

static int cb_null(void *ctx)
{
	crp_parser *p = ctx;
	if (p->muted)
		return 1;
	tok t = {.type = CRP_VALUE_NULL};
	p->tok_back = 4;
	return on_scalar(p, &t);
}

static int cb_boolean(void *ctx, int b)
{
	crp_parser *p = ctx;
	if (p->muted)
		return 1;
	tok t = {.type = CRP_VALUE_BOOL, .boolean = b != 0};
	p->tok_back = b ? 4 : 5;
	return on_scalar(p, &t);
}

static CRP_NOINLINE int number_slow(crp_parser *p, const char *s, size_t len)
{
	if (p->muted)
		return 1;
	if (p->finishing && p->depth > 0)
		return 1; /* completed only by the end of input: its last digits may be missing */
	tok t = {.type = CRP_VALUE_NUMBER, .s = s, .len = len};
	return on_scalar(p, &t);
}

/* A register value: two's complement negatives and 20-digit values included. */
static int register_number(crp_parser *p, crp_frame_state *f, const char *s, size_t len)
{
	uint64_t v;
	if (!crp__digits_u64(s, len, &v) && crp__num_to_u64(s, len, &v) != CRP_NUM_OK)
		return number_slow(p, s, len);
	crp_register *r = crp__scratch_push(&p->scratch, sizeof *r);
	if (!r)
		return oom(p);
	r->name = f->key.ptr;
	r->value = v;
	f->in_member = false;
	return 1;
}

/* Decimal digits, maybe negative, that an int32 field takes as they are (store_scalar also
 * takes 2^31..2^32-1, wrapped: those go the slow way). */
static inline bool i32_digits(const char *s, size_t len, int32_t *out)
{
	size_t neg = len > 1 && s[0] == '-';
	uint64_t v;
	if (!crp__digits_u64(s + neg, len - neg, &v) || v > (neg ? UINT64_C(0x80000000) : INT32_MAX))
		return false;
	*out = (int32_t)(neg ? -(int64_t)v : (int64_t)v);
	return true;
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	crp_parser *p = ctx;
	p->tok_back = len;
	/* Fast path: an unsigned field seen for the first time (most numbers in a report). */
	if (CRP_LIKELY(!(p->muted | p->finishing) && p->depth > 0)) {
		crp_frame_state *f = top(p);
		const crp_fdesc *fd = f->field;
		if (f->kind == CRP_F_RECORD && fd && !(crp__head(f->obj)->has & fd->bit)) {
			if (fd->plain_kind == CRP_K_U64 && crp__digits_u64(s, len, crp__field_ptr(f->obj, fd))) {
				crp__head(f->obj)->has |= fd->bit;
				f->in_member = false;
				return 1;
			}
			if (fd->plain_kind == CRP_K_I32 && i32_digits(s, len, crp__field_ptr(f->obj, fd))) {
				crp__head(f->obj)->has |= fd->bit;
				f->in_member = false;
				return 1;
			}
		}
		if (f->kind == CRP_F_REGSET)
			return register_number(p, f, s, len);
	}
	return number_slow(p, s, len);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	crp_parser *p = ctx;
	if (p->muted)
		return 1;
	p->tok_back = CRP_TOK_STRING;
	p->tok_string = len + 2;
	if (len > p->opts.max_string_bytes)
		return crp__reader_fail(p, CRP_ELIMIT, "string longer than %zu bytes", p->opts.max_string_bytes);
	/* Fast path: a string field seen for the first time. */
	if (CRP_LIKELY(p->depth > 0)) {
		crp_frame_state *f = top(p);
		const crp_fdesc *fd = f->field;
		if (f->kind == CRP_F_RECORD && fd && !(crp__head(f->obj)->has & fd->bit)) {
			if (fd->plain_kind == CRP_K_STR) {
				char *c = crp__arena_alloc(p->arena, len + 1);
				if (!c)
					return oom(p);
				if (CRP_LIKELY(crp__copy_text(c, (const char *)s, len) == CRP_TEXT_ASCII)) {
					*(const char **)crp__field_ptr(f->obj, fd) = c;
					crp__head(f->obj)->has |= fd->bit;
					f->in_member = false;
					return 1;
				}
			} else if (fd->plain_kind == CRP_K_UUID && /* one per binary image */
				   crp__parse_uuid((const char *)s, len, crp__field_ptr(f->obj, fd)) == 0) {
				crp__head(f->obj)->has |= fd->bit;
				f->in_member = false;
				return 1;
			}
		}
	}
	tok t = {.type = CRP_VALUE_STRING, .s = (const char *)s, .len = len};
	return on_scalar(p, &t);
}

static int cb_start_map(void *ctx)
{
	crp_parser *p = ctx;
	if (p->muted)
		return 1;
	p->tok_back = 1;
	return open_container(p, true);
}

/* Short keys: overlapping word compares beat a memcmp call. */
static inline bool key_equal(const char *a, const char *b, size_t len)
{
	uint64_t x, y;
	uint32_t u, v;
	if (len >= 8) {
		for (size_t i = 0; i + 8 < len; i += 8) {
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + len - 8, 8);
		memcpy(&y, b + len - 8, 8);
		return x == y;
	}
	if (len >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return false;
		memcpy(&u, a + len - 4, 4);
		memcpy(&v, b + len - 4, 4);
		return u == v;
	}
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

static void set_field(crp_frame_state *f, size_t i)
{
	f->field = &f->rd->fields[i];
	f->key.ptr = f->field->key;
	f->key.len = f->field->key_len;
	f->hint = i + 1;
}

static CRP_NOINLINE int key_slow(crp_parser *p, crp_frame_state *f, const unsigned char *s, size_t len)
{
	if (p->muted)
		return 1;
	if (len > p->opts.max_string_bytes)
		return crp__reader_fail(p, CRP_ELIMIT, "key longer than %zu bytes", p->opts.max_string_bytes);
	if (f->n >= p->opts.max_items)
		return crp__reader_fail(p, CRP_ELIMIT, "more than %zu members in one object", p->opts.max_items);
	size_t pos = f->n++;
	f->in_member = true;
	if (f->kind == CRP_F_RECORD) {
		int i = crp__rdesc_find(f->rd, (const char *)s, len, f->hint);
		if (i >= 0)
			f->next[f->hint] = (uint8_t)i;
		if (i >= 0) {
			set_field(f, (size_t)i);
			return 1;
		}
		f->field = NULL;
	}
	f->in_member = false; /* a warning about the key itself names the object holding it */
	f->key = copy_key(p, s, len);
	f->in_member = true;
	if (f->kind == CRP_F_REGSET && pos < CRP_MAX_REG_NAMES)
		p->reg_names[f->hint][pos] = f->key; /* the next thread lists the same registers */
	return f->key.ptr != NULL;
}

void crp__reader_seed_order(crp_parser *p)
{
	memset(p->next_field, 0xff, sizeof p->next_field);
	for (size_t id = 0; id < CRP_RD_COUNT; id++) {
		const crp_rdesc *rd = crp__rdescs[id];
		size_t n = rd && rd->field_count <= CRP_MAX_FIELDS ? rd->field_count : 0;
		for (size_t i = 0; i < n; i++) /* aliases are older spellings: never expected */
			if (!(rd->fields[i].flags & CRP_FF_ALIAS))
				p->next_field[id][i] = (uint8_t)i;
	}
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
	crp_parser *p = ctx;
	crp_frame_state *f = top(p);
	p->tok_back = CRP_TOK_STRING;
	p->tok_string = len + 2;
	/* Fast paths: a known key in its usual position, a register name seen before. */
	size_t pos = f->n;
	if (CRP_LIKELY(!p->muted && pos < p->opts.max_items)) {
		if (f->kind == CRP_F_RECORD) {
			uint8_t g = f->next[f->hint];
			if (g != 0xff && f->rd->fields[g].key_len == len &&
			    key_equal(f->rd->fields[g].key, (const char *)s, len)) {
				f->n++;
				f->in_member = true;
				set_field(f, g);
				return 1;
			}
		} else if (f->kind == CRP_F_REGSET && pos < CRP_MAX_REG_NAMES) {
			crp_span name = p->reg_names[f->hint][pos];
			if (name.len == len && name.ptr && key_equal(name.ptr, (const char *)s, len)) {
				f->n++;
				f->in_member = true;
				f->key = name;
				return 1;
			}
		}
	}
	return key_slow(p, f, s, len);
}

static int cb_end_map(void *ctx)
{
	crp_parser *p = ctx;
	if (p->muted)
		return 1;
	p->tok_back = 1;
	return close_container(p);
}

static int cb_start_array(void *ctx)
{
	crp_parser *p = ctx;
	if (p->muted)
		return 1;
	p->tok_back = 1;
	return open_container(p, false);
}

static int cb_end_array(void *ctx)
{
	crp_parser *p = ctx;
	if (p->muted)
		return 1;
	p->tok_back = 1;
	return close_container(p);
}

const yajl_callbacks crp__reader_callbacks = {
	cb_null, cb_boolean, NULL, NULL, cb_number, cb_string,
	cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};
