/* Building a report from a decompressed REPORT payload (schema/crpb-format.md §7). The wire
 * schema says which stream every value comes from; fields this build knows are stored in the
 * model directly, fields it does not know are read generically into the record's extras, as
 * the JSON values they stand for. Every count is checked against the bytes that must back it
 * before anything is allocated, and errors name the stream and the path in the report. */
#include <math.h>
#include <stdio.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define SPLIT_AVX2 1
#endif

#include "common/convert.h"
#include "crpb.h"

typedef struct dec {
	crpb_decoder *dd;
	const crpb_schema *sc;
	crpb_cursor *cur;
	uint64_t *prev;
	const crpb_str *strs;
	size_t nstrs;
	crp_arena *arena;
	crp_report *root;
	uint64_t text_left;
	size_t depth;
	crp_error *err;
	char path[CRP_ERROR_PATH_SIZE * 2]; /* filled from the end while an error unwinds */
	size_t path_at;
} dec;

/* -- errors ------------------------------------------------------------------------------- */

static CRP_PRINTF(3, 4) int fail(dec *d, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	crp__error_setv(d->err, code, fmt, ap);
	va_end(ap);
	return code;
}

static int oom(dec *d)
{
	if (d->arena->failure == CRP_ELIMIT)
		return fail(d, CRP_ELIMIT, "report needs more than %zu bytes of memory", d->dd->lim.max_memory);
	return fail(d, CRP_ENOMEM, "out of memory");
}

static void stream_name(const dec *d, const crpb_cursor *c, char *buf, size_t cap)
{
	uintptr_t u = (uintptr_t)c, base = (uintptr_t)d->cur;
	if (u < base || u >= base + d->sc->streams * sizeof *c) {
		snprintf(buf, cap, "(payload)");
		return;
	}
	size_t s = (u - base) / sizeof *c;
	for (size_t i = 0; i < d->sc->count; i++) {
		const crpb_record *r = &d->sc->records[i];
		if (s == r->presence) {
			snprintf(buf, cap, "%.*s (presence)", (int)r->name_len, r->name);
			return;
		}
		if (s > r->presence && s <= r->presence + r->count) {
			const crpb_field *f = &r->fields[s - r->presence - 1];
			snprintf(buf, cap, "%.*s.%.*s", (int)r->name_len, r->name, (int)f->key_len, f->key);
			return;
		}
	}
	snprintf(buf, cap, "%zu", s);
}

static int bad_stream(dec *d, const crpb_cursor *c, const char *what)
{
	char name[600];
	stream_name(d, c, name, sizeof name);
	return fail(d, CRP_ECORRUPT, "stream %s: %s", name, what);
}

/* Prepend a path component while an error unwinds: zero cost when nothing fails. */
static int at(dec *d, int rc, const char *key, size_t len, size_t index, bool is_index)
{
	char idx[32];
	if (CRP_LIKELY(rc == CRP_OK))
		return rc;
	if (is_index) {
		len = (size_t)snprintf(idx, sizeof idx, "[%zu]", index);
		key = idx;
	}
	/* a dot between a key or an index and the key that follows it */
	bool dot = d->path[d->path_at] != '\0' && d->path[d->path_at] != '[';
	size_t need = len + (dot ? 1 : 0);
	if (need > d->path_at)
		return rc; /* deeper than the buffer: the tail is what matters */
	d->path_at -= need;
	memcpy(d->path + d->path_at, key, len);
	if (dot)
		d->path[d->path_at + len] = '.';
	return rc;
}

/* -- primitives (§1) ---------------------------------------------------------------------- */

static CRP_NOINLINE int varint_checked(dec *d, crpb_cursor *c, uint64_t *v)
{
	const uint8_t *p = c->p;
	uint64_t r = 0;
	for (unsigned shift = 0;; shift += 7) {
		if (p == c->end)
			return bad_stream(d, c, "ends early");
		uint8_t b = *p++;
		if (shift == 63 && b > 1)
			return bad_stream(d, c, "integer does not fit 64 bits");
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (b == 0 && shift)
				return bad_stream(d, c, "integer not in its shortest form");
			break;
		}
	}
	c->p = p;
	*v = r;
	return CRP_OK;
}

/* Multi-byte integers of up to 8 bytes from one 8-byte load: the first clear high bit ends
 * the number and three shift-and-merge steps pack the 7-bit groups, with no branch on the
 * length (which varies from value to value: addresses). Longer numbers, numbers near the end
 * of a stream and numbers not in their shortest form take the careful path. */
static inline int varint_slow(dec *d, crpb_cursor *c, uint64_t *v)
{
	const uint8_t *p = c->p;
	*v = 0;
	if (CRP_UNLIKELY(c->end - p < 8))
		return varint_checked(d, c, v);
	uint64_t w = crp__get_le64(p);
	uint64_t stops = ~w & UINT64_C(0x8080808080808080);
	if (CRP_UNLIKELY(!stops))
		return varint_checked(d, c, v);
	unsigned bits = (unsigned)__builtin_ctzll(stops) + 1; /* 8 × the length */
	uint64_t x = bits == 64 ? w : w & ((UINT64_C(1) << bits) - 1);
	if (CRP_UNLIKELY((x >> (bits - 8)) == 0 && bits > 8))
		return varint_checked(d, c, v);
	x &= UINT64_C(0x7f7f7f7f7f7f7f7f);
	x = ((x & UINT64_C(0x7f007f007f007f00)) >> 1) | (x & UINT64_C(0x007f007f007f007f));
	x = ((x & UINT64_C(0x3fff00003fff0000)) >> 2) | (x & UINT64_C(0x00003fff00003fff));
	x = ((x & UINT64_C(0x0fffffff00000000)) >> 4) | (x & UINT64_C(0x000000000fffffff));
	c->p = p + bits / 8;
	*v = x;
	return CRP_OK;
}

static inline int get_varint(dec *d, crpb_cursor *c, uint64_t *v)
{
	if (CRP_LIKELY(c->p < c->end && *c->p < 0x80)) {
		*v = *c->p++;
		return CRP_OK;
	}
	return varint_slow(d, c, v);
}

static int get_bytes(dec *d, crpb_cursor *c, size_t n, const uint8_t **out)
{
	if (n > (size_t)(c->end - c->p))
		return bad_stream(d, c, "ends early");
	*out = c->p;
	c->p += n;
	return CRP_OK;
}

/* A count whose items need at least `per_item` bytes each in stream `items`. */
static int get_count(dec *d, crpb_cursor *c, const crpb_cursor *items, size_t per_item, size_t *out)
{
	uint64_t n;
	CRP_TRY(get_varint(d, c, &n));
	if (n > d->dd->lim.max_items)
		return fail(d, CRP_ELIMIT, "more than %zu items in one container", d->dd->lim.max_items);
	if (n > (uint64_t)(items->end - items->p) / per_item)
		return bad_stream(d, c, "a count is larger than its data");
	*out = (size_t)n;
	return CRP_OK;
}

static int get_str(dec *d, crpb_cursor *c, uint64_t id, const crpb_str **out)
{
	if (id >= d->nstrs)
		return bad_stream(d, c, "string id out of range");
	const crpb_str *s = &d->strs[id];
	if (s->len > d->text_left)
		return fail(d, CRP_ELIMIT, "report refers to more than %zu bytes of text", d->dd->lim.max_text);
	d->text_left -= s->len;
	*out = s;
	return CRP_OK;
}

static int get_span(dec *d, crpb_cursor *c, crp_span *out)
{
	uint64_t id;
	const crpb_str *s = NULL;
	CRP_TRY(get_varint(d, c, &id));
	CRP_TRY(get_str(d, c, id, &s));
	out->ptr = s->ptr;
	out->len = s->len;
	return CRP_OK;
}

static int c_string(dec *d, crpb_cursor *c, uint64_t id, const char **out)
{
	const crpb_str *s = NULL;
	CRP_TRY(get_str(d, c, id, &s));
	if (s->nul)
		return bad_stream(d, c, "a typed string holds a NUL byte");
	*out = s->ptr;
	return CRP_OK;
}

/* id + 1, or 0 for none */
static int opt_string(dec *d, crpb_cursor *c, const char **out)
{
	uint64_t v;
	CRP_TRY(get_varint(d, c, &v));
	*out = NULL;
	return v ? c_string(d, c, v - 1, out) : CRP_OK;
}

static void *alloc(dec *d, size_t n)
{
	return crp__arena_calloc(d->arena, n ? n : 1);
}

/* For arrays every element of which is written before the report is used. */
static void *alloc_filled(dec *d, size_t n)
{
	return crp__arena_alloc(d->arena, n ? n : 1);
}

/* -- generic values (§8) ------------------------------------------------------------------ */

static int enter(dec *d)
{
	if (++d->depth > d->dd->lim.max_depth)
		return fail(d, CRP_ELIMIT, "nesting deeper than %zu", d->dd->lim.max_depth);
	return CRP_OK;
}

static int int_text(dec *d, uint64_t mag, bool neg, crp_value *v)
{
	char buf[21];
	size_t n = crp__dec_digits(mag, buf + 1);
	if (neg)
		buf[20 - n++] = '-';
	v->type = CRP_VALUE_NUMBER;
	v->u.num.len = n;
	v->u.num.ptr = crp__arena_strndup(d->arena, buf + 21 - n, n);
	return v->u.num.ptr ? CRP_OK : oom(d);
}

static int get_value(dec *d, crpb_cursor *c, crp_value *v);

static int get_items(dec *d, crpb_cursor *c, crp_value *v)
{
	size_t n;
	CRP_TRY(get_count(d, c, c, 1, &n));
	crp_value *items = alloc_filled(d, n * sizeof *items);
	if (!items)
		return oom(d);
	for (size_t i = 0; i < n; i++)
		CRP_TRY(at(d, get_value(d, c, &items[i]), NULL, 0, i, true));
	v->type = CRP_VALUE_ARRAY;
	v->u.arr.items = items;
	v->u.arr.count = n;
	return CRP_OK;
}

static int get_members(dec *d, crpb_cursor *c, const crp_member **out, size_t *count)
{
	size_t n;
	CRP_TRY(get_count(d, c, c, 2, &n));
	*out = NULL;
	*count = 0;
	if (!n)
		return CRP_OK; /* the common case: no memory for nothing */
	crp_member *m = alloc_filled(d, n * sizeof *m);
	if (!m)
		return oom(d);
	for (size_t i = 0; i < n; i++) {
		CRP_TRY(get_span(d, c, &m[i].key));
		CRP_TRY(at(d, get_value(d, c, &m[i].value), m[i].key.ptr, m[i].key.len, 0, false));
	}
	*out = m;
	*count = n;
	return CRP_OK;
}

static int get_container(dec *d, crpb_cursor *c, uint8_t tag, crp_value *v)
{
	CRP_TRY(enter(d));
	int rc;
	if (tag == CRPB_T_ARRAY) {
		rc = get_items(d, c, v);
	} else {
		v->type = CRP_VALUE_OBJECT;
		rc = get_members(d, c, &v->u.obj.members, &v->u.obj.count);
	}
	d->depth--;
	return rc;
}

static int get_value(dec *d, crpb_cursor *c, crp_value *v)
{
	const uint8_t *tag = NULL;
	uint64_t n;
	memset(v, 0, sizeof *v);
	CRP_TRY(get_bytes(d, c, 1, &tag));
	switch (*tag) {
	case CRPB_T_NULL: v->type = CRP_VALUE_NULL; return CRP_OK;
	case CRPB_T_FALSE:
	case CRPB_T_TRUE:
		v->type = CRP_VALUE_BOOL;
		v->u.boolean = *tag == CRPB_T_TRUE;
		return CRP_OK;
	case CRPB_T_UINT:
	case CRPB_T_NEGINT:
		CRP_TRY(get_varint(d, c, &n));
		if (*tag == CRPB_T_NEGINT && n == UINT64_MAX)
			return bad_stream(d, c, "negative integer out of range");
		return int_text(d, *tag == CRPB_T_NEGINT ? n + 1 : n, *tag == CRPB_T_NEGINT, v);
	case CRPB_T_NUMBER:
		v->type = CRP_VALUE_NUMBER;
		CRP_TRY(get_span(d, c, &v->u.num));
		return crp__crpb_json_number(v->u.num.ptr, v->u.num.len) ? CRP_OK
									  : bad_stream(d, c, "number text is not a JSON number");
	case CRPB_T_STRING: v->type = CRP_VALUE_STRING; return get_span(d, c, &v->u.str);
	case CRPB_T_ARRAY:
	case CRPB_T_OBJECT: return get_container(d, c, *tag, v);
	default: return bad_stream(d, c, "unknown value tag");
	}
}

static int get_strays(dec *d, crpb_cursor *c, size_t count, crp_strays *out)
{
	size_t n;
	CRP_TRY(get_count(d, c, c, 2, &n));
	if (!n)
		return CRP_OK;
	crp_stray *s = alloc_filled(d, n * sizeof *s);
	if (!s)
		return oom(d);
	for (size_t i = 0; i < n; i++) {
		uint64_t idx;
		CRP_TRY(get_varint(d, c, &idx));
		if (idx >= (uint64_t)count + n || (i && idx <= s[i - 1].index))
			return bad_stream(d, c, "stray positions out of order or range");
		s[i].index = (size_t)idx;
		CRP_TRY(at(d, get_value(d, c, &s[i].value), NULL, 0, (size_t)idx, true));
	}
	out->items = s;
	out->count = n;
	return CRP_OK;
}

/* -- typed fields (§6) -------------------------------------------------------------------- */

/* The record being read: what rel= codings and unknown fields need. */
typedef struct rctx {
	const crpb_record *r;
	uint64_t mask;
	uint64_t vals[CRPB_MAX_FIELDS];
} rctx;

static uint64_t apply_coding(dec *d, const rctx *x, const crpb_field *f, uint64_t v)
{
	if (f->coding == CRPB_C_DELTA) {
		v = d->prev[f->stream] + (uint64_t)crp__unzigzag(v);
		d->prev[f->stream] = v;
		return v;
	}
	uint64_t base = 0;
	for (int k = 0; k < 2 && f->base[k] != CRPB_NO_FIELD; k++)
		if (x->mask & (UINT64_C(2) << f->base[k])) {
			base = x->vals[f->base[k]];
			break;
		}
	return base + (uint64_t)crp__unzigzag(v);
}

static inline int get_u64(dec *d, rctx *x, unsigned i, uint64_t *out)
{
	const crpb_field *f = &x->r->fields[i];
	uint64_t v;
	CRP_TRY(get_varint(d, &d->cur[f->stream], &v));
	if (f->coding != CRPB_C_PLAIN)
		v = apply_coding(d, x, f, v);
	x->vals[i] = v;
	*out = v;
	return CRP_OK;
}

/* The common u64: no coding to apply. */
static inline int get_plain_u64(dec *d, rctx *x, unsigned i, const crpb_field *f, uint64_t *out)
{
	uint64_t v;
	CRP_TRY(get_varint(d, &d->cur[f->stream], &v));
	x->vals[i] = v;
	*out = v;
	return CRP_OK;
}

/* The common string: a plain id into the table. */
static inline int get_plain_str(dec *d, const crpb_field *f, const char **out)
{
	crpb_cursor *c = &d->cur[f->stream];
	uint64_t id;
	CRP_TRY(get_varint(d, c, &id));
	return c_string(d, c, id, out);
}

static int get_str_id(dec *d, const crpb_field *f, uint64_t *id)
{
	crpb_cursor *c = &d->cur[f->stream];
	CRP_TRY(get_varint(d, c, id));
	if (f->coding == CRPB_C_DELTA) {
		*id = d->prev[f->stream] + (uint64_t)crp__unzigzag(*id);
		d->prev[f->stream] = *id;
	}
	return CRP_OK;
}

static inline int get_typed_str(dec *d, const crpb_field *f, const char **out)
{
	uint64_t id;
	CRP_TRY(get_str_id(d, f, &id));
	return c_string(d, &d->cur[f->stream], id, out);
}

static int get_i64(dec *d, const crpb_field *f, int64_t *out)
{
	uint64_t u;
	crpb_cursor *c = &d->cur[f->stream];
	bool is32 = f->kind == CRPB_W_I32;
	CRP_TRY(get_varint(d, c, &u));
	*out = crp__unzigzag(u);
	if (f->coding == CRPB_C_DELTA) {
		*out = (int64_t)(d->prev[f->stream] + (uint64_t)*out);
		d->prev[f->stream] = (uint64_t)*out;
	}
	if (is32 && (*out < INT32_MIN || *out > INT32_MAX))
		return bad_stream(d, c, "value does not fit 32 bits");
	return CRP_OK;
}

static int get_f64(dec *d, crpb_cursor *c, double *out)
{
	const uint8_t *b = NULL;
	CRP_TRY(get_bytes(d, c, 8, &b));
	uint64_t bits = crp__get_le64(b);
	memcpy(out, &bits, 8);
	return isfinite(*out) ? CRP_OK : bad_stream(d, c, "number is not finite");
}

static int get_bool(dec *d, crpb_cursor *c, bool *out)
{
	const uint8_t *b = NULL;
	CRP_TRY(get_bytes(d, c, 1, &b));
	if (*b > 1)
		return bad_stream(d, c, "boolean is neither 0 nor 1");
	*out = *b == 1;
	return CRP_OK;
}

static int get_time(dec *d, crpb_cursor *c, crp_time *t)
{
	uint64_t form, u;
	CRP_TRY(get_varint(d, c, &form));
	CRP_TRY(get_varint(d, c, &u));
	if ((form < CRP_TIME_UNIX_SECONDS || form > CRP_TIME_EMPTY) && form != CRPB_TIME_RAW)
		return bad_stream(d, c, "unknown time form");
	if (form == CRP_TIME_EMPTY && u != 0)
		return bad_stream(d, c, "an empty time with a value");
	t->form = (crp_time_form)form;
	t->usec = crp__unzigzag(u);
	if (form == CRPB_TIME_RAW) /* written by builds before 0.1; never kept in the model */
		crp__time_settle_integer(t, false);
	return CRP_OK;
}

static int get_hex(dec *d, crpb_cursor *c, crp_bytes *out)
{
	uint64_t n;
	const uint8_t *b = NULL;
	CRP_TRY(get_varint(d, c, &n));
	if (n > (uint64_t)(c->end - c->p))
		return bad_stream(d, c, "ends early");
	CRP_TRY(get_bytes(d, c, (size_t)n, &b));
	uint8_t *data = crp__arena_dup(d->arena, b, (size_t)n + 1);
	if (!data)
		return oom(d);
	out->data = data;
	out->len = (size_t)n;
	return CRP_OK;
}

static int get_record(dec *d, uint32_t rid, void *rec);
static int get_columns(dec *d, const crpb_record *r, char *items, size_t n, size_t size);

/* Below this many elements an array is read record by record: columns do not pay. */
#define COLUMNS_MIN 4

static int get_array(dec *d, crpb_cursor *c, const crpb_field *f, crp_array_slot *slot)
{
	const crpb_record *sub = &d->sc->records[f->sub];
	size_t n;
	CRP_TRY(get_count(d, c, &d->cur[sub->presence], 1, &n));
	CRP_TRY(get_strays(d, c, n, &slot->strays));
	if (!n)
		return CRP_OK;
	size_t size = sub->local->size;
	if (n > SIZE_MAX / size)
		return fail(d, CRP_ELIMIT, "array too large");
	char *items = alloc(d, n * size);
	if (!items)
		return oom(d);
	if (sub->columnar && n >= COLUMNS_MIN)
		CRP_TRY(get_columns(d, sub, items, n, size));
	else
		for (size_t i = 0; i < n; i++)
			CRP_TRY(at(d, get_record(d, f->sub, items + i * size), NULL, 0, i, true));
	slot->items = items;
	slot->count = n;
	return CRP_OK;
}

static int get_strlist(dec *d, crpb_cursor *c, crp_array_slot *slot)
{
	size_t n;
	CRP_TRY(get_count(d, c, c, 1, &n));
	CRP_TRY(get_strays(d, c, n, &slot->strays));
	if (!n)
		return CRP_OK;
	const char **items = alloc_filled(d, n * sizeof *items);
	if (!items)
		return oom(d);
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		CRP_TRY(get_varint(d, c, &id));
		CRP_TRY(at(d, c_string(d, c, id, &items[i]), NULL, 0, i, true));
	}
	slot->items = items;
	slot->count = n;
	return CRP_OK;
}

static int get_regset(dec *d, crpb_cursor *c, crp_regset *rs)
{
	size_t n;
	CRP_TRY(get_count(d, c, c, 2, &n));
	crp_register *regs = n ? alloc_filled(d, n * sizeof *regs) : NULL;
	if (n && !regs)
		return oom(d);
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		CRP_TRY(get_varint(d, c, &id));
		CRP_TRY(c_string(d, c, id, &regs[i].name));
		CRP_TRY(get_varint(d, c, &regs[i].value));
	}
	rs->regs = regs;
	rs->count = n;
	return get_members(d, c, &rs->extras.members, &rs->extras.count);
}

static int get_version(dec *d, crpb_cursor *c, uint32_t sub, crp_version *v)
{
	uint64_t form, id;
	CRP_TRY(get_varint(d, c, &form));
	if (form < CRP_VERSION_FORM_STRING || form > CRP_VERSION_FORM_LEGACY)
		return bad_stream(d, c, "unknown version form");
	v->form = (crp_version_form)form;
	CRP_TRY(get_varint(d, c, &id));
	CRP_TRY(c_string(d, c, id, &v->text));
	return get_record(d, sub, v);
}

static int get_child_report(dec *d, crpb_cursor *c, crp_report **out)
{
	uint64_t prov;
	CRP_TRY(get_varint(d, c, &prov));
	crp_report *child = alloc(d, sizeof *child);
	if (!child)
		return oom(d);
	child->owner = d->root;
	child->provenance = (unsigned)prov;
	*out = child;
	return get_record(d, 0, &child->body);
}

static int get_symbolication(dec *d, crpb_cursor *c, const crp_symbolication **out)
{
	uint64_t source, flags, image;
	size_t count;
	crp_symbolication *s = alloc(d, sizeof *s);
	if (!s)
		return oom(d);
	CRP_TRY(get_varint(d, c, &source));
	CRP_TRY(get_varint(d, c, &flags));
	if (source > CRP_SYMSRC_REPORT || flags > UINT32_MAX)
		return bad_stream(d, c, "bad symbolication source or flags");
	s->source = (crp_symbol_source)source;
	s->flags = (unsigned)flags;
	CRP_TRY(get_varint(d, c, &image));
	CRP_TRY(c_string(d, c, image, &s->image));
	if (source == CRP_SYMSRC_REPORT && !s->image[0])
		s->image = NULL; /* the report named no image */
	CRP_TRY(get_varint(d, c, &s->lookup_addr));
	CRP_TRY(get_varint(d, c, &s->function_addr));
	CRP_TRY(opt_string(d, c, &s->linkage_name));
	CRP_TRY(get_count(d, c, c, 4, &count));
	if (count == 0)
		return bad_stream(d, c, "symbolication without a location");
	crp_symloc *locs = alloc(d, count * sizeof *locs);
	if (!locs)
		return oom(d);
	for (size_t i = 0; i < count; i++) {
		uint64_t line, col;
		CRP_TRY(opt_string(d, c, &locs[i].function));
		CRP_TRY(opt_string(d, c, &locs[i].file));
		CRP_TRY(get_varint(d, c, &line));
		CRP_TRY(get_varint(d, c, &col));
		if (line > UINT32_MAX || col > UINT32_MAX)
			return bad_stream(d, c, "line or column does not fit 32 bits");
		locs[i].line = (uint32_t)line;
		locs[i].column = (uint32_t)col;
	}
	s->locs = locs;
	s->count = count;
	CRP_TRY(get_varint(d, c, &s->offset));
	*out = s;
	return CRP_OK;
}

static int get_pointed_record(dec *d, uint32_t sub, const void **out)
{
	void *rec = alloc(d, d->sc->records[sub].local->size);
	if (!rec)
		return oom(d);
	*out = rec;
	return get_record(d, sub, rec);
}

static int get_field(dec *d, rctx *x, unsigned fi, void *rec)
{
	const crpb_field *f = &x->r->fields[fi];
	void *p = (char *)rec + f->off;
	crpb_cursor *c = &d->cur[f->stream];
	int64_t i;
	switch (f->kind) {
	case CRPB_W_U64: return get_u64(d, x, fi, p);
	case CRPB_W_I64: return get_i64(d, f, p);
	case CRPB_W_I32:
		CRP_TRY(get_i64(d, f, &i));
		*(int32_t *)p = (int32_t)i;
		return CRP_OK;
	case CRPB_W_F64: return get_f64(d, c, p);
	case CRPB_W_BOOL: return get_bool(d, c, p);
	case CRPB_W_STR: return get_typed_str(d, f, p);
	case CRPB_W_TIME: return get_time(d, c, p);
	case CRPB_W_UUID: {
		const uint8_t *b = NULL;
		CRP_TRY(get_bytes(d, c, 16, &b));
		memcpy(p, b, 16);
		return CRP_OK;
	}
	case CRPB_W_HEX: return get_hex(d, c, p);
	case CRPB_W_VALUE: {
		crp_value *v = alloc(d, sizeof *v);
		if (!v)
			return oom(d);
		*(const crp_value **)p = v;
		return get_value(d, c, v);
	}
	case CRPB_W_RECORD:
		if (f->local->kind == CRP_K_RECPTR)
			return get_pointed_record(d, f->sub, p);
		return get_record(d, f->sub, p);
	case CRPB_W_ARRAY: return get_array(d, c, f, p);
	case CRPB_W_STRLIST: return get_strlist(d, c, p);
	case CRPB_W_REGSET: return get_regset(d, c, p);
	case CRPB_W_VERSION: return get_version(d, c, f->sub, p);
	case CRPB_W_REPORT: return get_child_report(d, c, p);
	case CRPB_W_SYMBOLICATION: return get_symbolication(d, c, p);
	}
	return bad_stream(d, c, "unknown kind");
}

/* -- fields this build does not know: read as JSON values (§6, last paragraph) ------------- */

static int generic_record(dec *d, uint32_t rid, crp_value *out);

static int text_value(dec *d, const char *s, size_t n, crp_value_type type, crp_value *v)
{
	crp_span sp = {crp__arena_strndup(d->arena, s, n), n};
	if (!sp.ptr)
		return oom(d);
	v->type = type;
	if (type == CRP_VALUE_NUMBER)
		v->u.num = sp;
	else
		v->u.str = sp;
	return CRP_OK;
}

static int generic_time(dec *d, crpb_cursor *c, crp_value *v)
{
	crp_time t;
	char buf[40];
	CRP_TRY(get_time(d, c, &t));
	if (t.form == CRP_TIME_EMPTY)
		return text_value(d, "", 0, CRP_VALUE_STRING, v);
	bool whole = t.form == CRP_TIME_TEXT || t.form == CRP_TIME_UNIX_SECONDS;
	size_t n = crp_time_format(t.usec, whole && t.usec % 1000000 == 0 ? 0 : 6, buf);
	return text_value(d, buf, n, CRP_VALUE_STRING, v);
}

static int generic_hex(dec *d, crpb_cursor *c, crp_value *v)
{
	static const char hex[] = "0123456789ABCDEF";
	crp_bytes b;
	CRP_TRY(get_hex(d, c, &b));
	char *s = crp__arena_alloc(d->arena, b.len * 2 + 1);
	if (!s)
		return oom(d);
	for (size_t i = 0; i < b.len; i++) {
		s[2 * i] = hex[b.data[i] >> 4];
		s[2 * i + 1] = hex[b.data[i] & 15];
	}
	s[b.len * 2] = '\0';
	v->type = CRP_VALUE_STRING;
	v->u.str = (crp_span){s, b.len * 2};
	return CRP_OK;
}

/* An array of generic records or strings, with the strays put back in place. */
static int generic_array(dec *d, crpb_cursor *c, const crpb_field *f, crp_value *v)
{
	crp_strays st = {NULL, 0};
	size_t n;
	const crpb_cursor *items = f->kind == CRPB_W_ARRAY ? &d->cur[d->sc->records[f->sub].presence] : c;
	CRP_TRY(get_count(d, c, items, 1, &n));
	CRP_TRY(get_strays(d, c, n, &st));
	crp_value *out = alloc(d, (n + st.count) * sizeof *out);
	if (!out)
		return oom(d);
	for (size_t i = 0, s = 0; i < n + st.count; i++) {
		if (s < st.count && st.items[s].index == i) {
			out[i] = st.items[s++].value;
		} else if (f->kind == CRPB_W_ARRAY) {
			CRP_TRY(at(d, generic_record(d, f->sub, &out[i]), NULL, 0, i, true));
		} else {
			out[i].type = CRP_VALUE_STRING;
			CRP_TRY(get_span(d, c, &out[i].u.str));
		}
	}
	v->type = CRP_VALUE_ARRAY;
	v->u.arr.items = out;
	v->u.arr.count = n + st.count;
	return CRP_OK;
}

static int generic_regset(dec *d, crpb_cursor *c, crp_value *v)
{
	crp_regset rs;
	memset(&rs, 0, sizeof rs);
	CRP_TRY(get_regset(d, c, &rs));
	crp_member *m = alloc(d, (rs.count + rs.extras.count) * sizeof *m);
	if (!m)
		return oom(d);
	for (size_t i = 0; i < rs.count; i++) {
		m[i].key = (crp_span){rs.regs[i].name, strlen(rs.regs[i].name)};
		CRP_TRY(int_text(d, rs.regs[i].value, false, &m[i].value));
	}
	if (rs.extras.count)
		memcpy(m + rs.count, rs.extras.members, rs.extras.count * sizeof *m);
	v->type = CRP_VALUE_OBJECT;
	v->u.obj.members = m;
	v->u.obj.count = rs.count + rs.extras.count;
	return CRP_OK;
}

static int generic_version(dec *d, crpb_cursor *c, const crpb_field *f, crp_value *v)
{
	uint64_t form, id;
	crp_value rec;
	const crpb_str *text = NULL;
	CRP_TRY(get_varint(d, c, &form));
	CRP_TRY(get_varint(d, c, &id));
	CRP_TRY(get_str(d, c, id, &text));
	if (form < CRP_VERSION_FORM_STRING || form > CRP_VERSION_FORM_LEGACY)
		return bad_stream(d, c, "unknown version form");
	CRP_TRY(generic_record(d, f->sub, &rec)); /* read, but the text is what JSON shows */
	v->type = CRP_VALUE_STRING;
	v->u.str = (crp_span){text->ptr, text->len};
	return CRP_OK;
}

/* Reads one field generically; *skip when it has no JSON form (symbolication). */
static int generic_field(dec *d, rctx *x, unsigned fi, crp_value *v, bool *skip)
{
	const crpb_field *f = &x->r->fields[fi];
	crpb_cursor *c = &d->cur[f->stream];
	uint64_t u;
	int64_t i;
	char buf[40];
	memset(v, 0, sizeof *v);
	*skip = false;
	switch (f->kind) {
	case CRPB_W_U64: CRP_TRY(get_u64(d, x, fi, &u)); return int_text(d, u, false, v);
	case CRPB_W_I64:
	case CRPB_W_I32:
		CRP_TRY(get_i64(d, f, &i));
		return int_text(d, i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i, i < 0, v);
	case CRPB_W_F64: {
		double x64;
		CRP_TRY(get_f64(d, c, &x64));
		return text_value(d, buf, crp__format_double(x64, buf), CRP_VALUE_NUMBER, v);
	}
	case CRPB_W_BOOL: v->type = CRP_VALUE_BOOL; return get_bool(d, c, &v->u.boolean);
	case CRPB_W_STR: {
		const crpb_str *s = NULL;
		CRP_TRY(get_str_id(d, f, &u));
		CRP_TRY(get_str(d, c, u, &s));
		v->type = CRP_VALUE_STRING;
		v->u.str = (crp_span){s->ptr, s->len};
		return CRP_OK;
	}
	case CRPB_W_TIME: return generic_time(d, c, v);
	case CRPB_W_UUID: {
		const uint8_t *b = NULL;
		CRP_TRY(get_bytes(d, c, 16, &b));
		crp_uuid_format((const crp_uuid *)b, buf);
		return text_value(d, buf, 36, CRP_VALUE_STRING, v);
	}
	case CRPB_W_HEX: return generic_hex(d, c, v);
	case CRPB_W_VALUE: return get_value(d, c, v);
	case CRPB_W_RECORD: return generic_record(d, f->sub, v);
	case CRPB_W_ARRAY:
	case CRPB_W_STRLIST: return generic_array(d, c, f, v);
	case CRPB_W_REGSET: return generic_regset(d, c, v);
	case CRPB_W_VERSION: return generic_version(d, c, f, v);
	case CRPB_W_REPORT:
		CRP_TRY(get_varint(d, c, &u));
		return generic_record(d, 0, v);
	case CRPB_W_SYMBOLICATION: {
		const crp_symbolication *s;
		*skip = true;
		return get_symbolication(d, c, &s);
	}
	}
	return bad_stream(d, c, "unknown kind");
}

/* The key of a field as a member key: a copy, since the schema belongs to the reader, which
 * may go away before the report. */
static int field_key(dec *d, const crpb_field *f, crp_span *key)
{
	key->ptr = crp__arena_strndup(d->arena, f->key, f->key_len);
	key->len = f->key_len;
	return key->ptr ? CRP_OK : oom(d);
}

/* Reads the presence mask and the fields of a record as JSON members. */
static int generic_members(dec *d, rctx *x, crp_member *m, size_t *n)
{
	const crpb_record *r = x->r;
	*n = 0;
	for (uint64_t bits = x->mask >> 1; bits; bits &= bits - 1) {
		unsigned i = (unsigned)__builtin_ctzll(bits);
		const crpb_field *f = &r->fields[i];
		bool skip;
		CRP_TRY(field_key(d, f, &m[*n].key));
		CRP_TRY(at(d, generic_field(d, x, i, &m[*n].value, &skip), f->key, f->key_len, 0, false));
		*n += !skip;
	}
	return CRP_OK;
}

static int get_mask(dec *d, const crpb_record *r, uint64_t *mask)
{
	crpb_cursor *c = &d->cur[r->presence];
	CRP_TRY(get_varint(d, c, mask));
	if ((*mask >> 1) >> r->count)
		return bad_stream(d, c, "presence bit of a field the record does not have");
	return CRP_OK;
}

/* Extras: the fields read generically, then the members the record carries (§6.2). */
static int finish_extras(dec *d, const crpb_record *r, const crp_member *known, size_t nknown,
			 uint64_t mask, crp_extras *out)
{
	const crp_member *m = NULL;
	size_t n = 0;
	if (mask & 1)
		CRP_TRY(get_members(d, &d->cur[r->presence], &m, &n));
	if (!nknown) {
		out->members = m;
		out->count = n;
		return CRP_OK;
	}
	crp_member *all = alloc(d, (nknown + n) * sizeof *all);
	if (!all)
		return oom(d);
	memcpy(all, known, nknown * sizeof *all);
	if (n)
		memcpy(all + nknown, m, n * sizeof *all);
	out->members = all;
	out->count = nknown + n;
	return CRP_OK;
}

/* A field this build does not know, appended to the record's would-be extras (kept in the
 * arena, not on the stack: records nest deeply). */
static int get_unknown(dec *d, rctx *x, unsigned i, crp_member **unknown, size_t *n)
{
	bool skip;
	if (!*unknown && !(*unknown = alloc(d, CRPB_MAX_FIELDS * sizeof **unknown)))
		return oom(d);
	CRP_TRY(field_key(d, &x->r->fields[i], &(*unknown)[*n].key));
	CRP_TRY(generic_field(d, x, i, &(*unknown)[*n].value, &skip));
	*n += !skip;
	return CRP_OK;
}

static int generic_record(dec *d, uint32_t rid, crp_value *out)
{
	rctx x;
	size_t n;
	crp_extras ex;
	crp_member *m = alloc(d, CRPB_MAX_FIELDS * sizeof *m);
	if (!m)
		return oom(d);
	x.r = &d->sc->records[rid];
	CRP_TRY(enter(d));
	CRP_TRY(get_mask(d, x.r, &x.mask));
	CRP_TRY(generic_members(d, &x, m, &n));
	CRP_TRY(finish_extras(d, x.r, m, n, x.mask, &ex));
	out->type = CRP_VALUE_OBJECT;
	out->u.obj.members = ex.members;
	out->u.obj.count = ex.count;
	d->depth--;
	return CRP_OK;
}

/* -- records ------------------------------------------------------------------------------ */

static int get_record(dec *d, uint32_t rid, void *rec)
{
	rctx x;
	crp_member *unknown = NULL;
	size_t nunknown = 0;
	crp_record_head *h = rec;
	uint64_t has = 0;
	x.r = &d->sc->records[rid];
	CRP_TRY(enter(d));
	CRP_TRY(get_mask(d, x.r, &x.mask));
	for (uint64_t bits = x.mask >> 1; bits; bits &= bits - 1) {
		unsigned i = (unsigned)__builtin_ctzll(bits);
		const crpb_field *f = &x.r->fields[i];
		void *p = (char *)rec + f->off;
		int rc;
		switch (f->op) {
		case CRPB_OP_U64: rc = get_plain_u64(d, &x, i, f, p); break;
		case CRPB_OP_U64_CODED: rc = get_u64(d, &x, i, p); break;
		case CRPB_OP_STR: rc = get_plain_str(d, f, p); break;
		case CRPB_OP_I64: rc = get_i64(d, f, p); break;
		case CRPB_OP_OTHER: rc = get_field(d, &x, i, rec); break;
		default: rc = get_unknown(d, &x, i, &unknown, &nunknown); break;
		}
		if (CRP_UNLIKELY(rc != CRP_OK))
			return at(d, rc, f->key, f->key_len, 0, false);
		has |= f->bit;
	}
	h->has = has;
	if ((x.mask & 1) || nunknown)
		CRP_TRY(finish_extras(d, x.r, unknown, nunknown, x.mask, &h->extras));
	d->depth--;
	return CRP_OK;
}

/* -- arrays of self-contained records, a column at a time --------------------------------- */

/* Each stream is still read in document order, so the values are those a record-by-record
 * read gives; but one field's values are read in one loop, with the way to read it chosen
 * once per array instead of once per value. */

static uint64_t has_bits(const crpb_record *r, uint64_t mask)
{
	uint64_t has = 0;
	for (uint64_t bits = mask >> 1; bits; bits &= bits - 1)
		has |= r->fields[__builtin_ctzll(bits)].bit;
	return has;
}

/* The masks (and member lists) of n records, in the order the presence stream holds them;
 * the union of the masks in *any. */
static int column_masks(dec *d, const crpb_record *r, char *items, size_t n, size_t size, uint64_t *any)
{
	crpb_decoder *dd = d->dd;
	if (n > dd->masks_cap) {
		uint64_t *m = crp__realloc(&dd->alloc, dd->masks, n * sizeof *m);
		if (!m)
			return fail(d, CRP_ENOMEM, "out of memory");
		dd->masks = m;
		dd->masks_cap = n;
	}
	uint64_t last = 0, last_has = 0;
	*any = 0;
	for (size_t i = 0; i < n; i++) {
		crp_record_head *h = (crp_record_head *)(void *)(items + i * size);
		uint64_t m = 0;
		int rc = get_mask(d, r, &m);
		if (rc == CRP_OK && (m & 1))
			rc = finish_extras(d, r, NULL, 0, m, &h->extras);
		if (CRP_UNLIKELY(rc != CRP_OK))
			return at(d, rc, NULL, 0, i, true);
		if (m != last) {
			last = m;
			last_has = has_bits(r, m);
		}
		h->has = last_has;
		dd->masks[i] = m;
		*any |= m;
	}
	return CRP_OK;
}

static uint64_t rel_base(const crpb_record *r, const crpb_field *f, uint64_t mask, const char *item)
{
	for (int k = 0; k < 2 && f->base[k] != CRPB_NO_FIELD; k++)
		if (mask & (UINT64_C(2) << f->base[k]))
			return *(const uint64_t *)(const void *)(item + r->fields[f->base[k]].off);
	return 0;
}

/* The careful path of a column's integer: the cursor is synced around it. */
static inline int column_varint(dec *d, crpb_cursor *c, const uint8_t **p, uint64_t *v)
{
	c->p = *p;
	int rc = varint_slow(d, c, v);
	*p = c->p;
	return rc;
}

/* Loops over the records that have field j; the cursor lives in p while the loop runs. */
#define EACH_PRESENT(i)                         \
	for (i = 0; i < n && rc == CRP_OK; i++) \
		if (masks[i] & bit)
#define NEXT(v) (CRP_LIKELY(p < e && *p < 0x80) ? ((v) = *p++, CRP_OK) : column_varint(d, c, &p, &(v)))
#define SLOT(type, i) ((type *)(void *)(items + (i) * size + f->off))

/* Integers, strings and UUIDs of field j of n records, one loop per way of reading them. */
static int get_column_fast(dec *d, const crpb_record *r, const crpb_field *f, uint64_t bit,
			   char *items, size_t n, size_t size, size_t *bad)
{
	const uint64_t *masks = d->dd->masks;
	crpb_cursor *c = &d->cur[f->stream];
	const uint8_t *p = c->p, *e = c->end;
	uint64_t prev = d->prev[f->stream], v = 0; /* a local: the stores below may not alias it */
	bool delta = f->coding == CRPB_C_DELTA;
	int rc = CRP_OK;
	size_t i = 0;
	if (f->op == CRPB_OP_U64) {
		EACH_PRESENT(i) rc = NEXT(*SLOT(uint64_t, i));
	} else if (f->op == CRPB_OP_U64_CODED && delta) {
		EACH_PRESENT(i) if ((rc = NEXT(v)) == CRP_OK)
			*SLOT(uint64_t, i) = prev += (uint64_t)crp__unzigzag(v);
	} else if (f->op == CRPB_OP_U64_CODED) {
		EACH_PRESENT(i) if ((rc = NEXT(v)) == CRP_OK)
			*SLOT(uint64_t, i) = rel_base(r, f, masks[i], items + i * size) + (uint64_t)crp__unzigzag(v);
	} else if (f->kind == CRPB_W_STR) {
		EACH_PRESENT(i) if ((rc = NEXT(v)) == CRP_OK)
			rc = c_string(d, c, delta ? (prev += (uint64_t)crp__unzigzag(v)) : v, SLOT(const char *, i));
	} else if (f->kind == CRPB_W_I32 || f->kind == CRPB_W_I64) {
		EACH_PRESENT(i) if ((rc = NEXT(v)) == CRP_OK) {
			int64_t w = delta ? (int64_t)(prev += (uint64_t)crp__unzigzag(v)) : crp__unzigzag(v);
			if (f->kind == CRPB_W_I64)
				*SLOT(int64_t, i) = w;
			else if (w >= INT32_MIN && w <= INT32_MAX)
				*SLOT(int32_t, i) = (int32_t)w;
			else
				rc = bad_stream(d, c, "value does not fit 32 bits");
		}
	} else { /* CRPB_W_UUID */
		EACH_PRESENT(i) {
			if (e - p < 16) {
				rc = bad_stream(d, c, "ends early");
			} else {
				memcpy(SLOT(uint8_t, i), p, 16);
				p += 16;
			}
		}
	}
	c->p = p;
	d->prev[f->stream] = prev;
	*bad = i - 1;
	return rc;
}

/* Field j of n records; on failure *bad is the record. */
static int get_column(dec *d, const crpb_record *r, unsigned j, char *items, size_t n, size_t size,
		      size_t *bad)
{
	const crpb_field *f = &r->fields[j];
	const uint64_t *masks = d->dd->masks, bit = UINT64_C(2) << j;
	bool fast = f->local && (f->op != CRPB_OP_OTHER || f->kind == CRPB_W_STR || f->kind == CRPB_W_I32 ||
				 f->kind == CRPB_W_UUID);
	if (fast)
		return get_column_fast(d, r, f, bit, items, n, size, bad);
	rctx x = {.r = r};
	int rc = CRP_OK;
	size_t i = 0;
	EACH_PRESENT(i) {
		x.mask = masks[i];
		rc = get_field(d, &x, j, items + i * size);
	}
	*bad = i - 1;
	return rc;
}

#undef EACH_PRESENT
#undef NEXT
#undef SLOT

static int get_columns(dec *d, const crpb_record *r, char *items, size_t n, size_t size)
{
	uint64_t any = 0;
	size_t bad = 0;
	CRP_TRY(enter(d));
	CRP_TRY(column_masks(d, r, items, n, size, &any));
	for (unsigned j = 0; j < r->count; j++) {
		if (!(any & (UINT64_C(2) << j)))
			continue;
		int rc = get_column(d, r, j, items, n, size, &bad);
		if (CRP_UNLIKELY(rc != CRP_OK)) {
			const crpb_field *f = &r->fields[j];
			return at(d, at(d, rc, f->key, f->key_len, 0, false), NULL, 0, bad, true);
		}
	}
	d->depth--;
	return CRP_OK;
}

/* -- the payload (§7) --------------------------------------------------------------------- */

/* A string holding C0 80 (an escaped U+0000, §7.2): copied with the NULs put back. */
static CRP_NOINLINE int unescape(dec *d, const char *p, size_t len, crpb_str *out)
{
	char *q = crp__arena_alloc(d->arena, len + 1);
	size_t n = 0;
	if (!q)
		return oom(d);
	for (size_t i = 0; i < len; i++) {
		bool esc = i + 1 < len && (unsigned char)p[i] == 0xC0 && (unsigned char)p[i + 1] == 0x80;
		q[n++] = esc ? '\0' : p[i];
		i += esc;
	}
	q[n] = '\0';
	if (crp__utf8_valid_prefix((const unsigned char *)q, n) != n || n == len)
		return fail(d, CRP_ECORRUPT, "string table: a string is not valid UTF-8");
	*out = (crpb_str){q, n, true};
	return CRP_OK;
}

/* Record the strings ending at the zero bytes flagged in `zeros` (bit k: byte p[k]). */
static inline bool take_strings(const char *p, uint64_t zeros, const char **start, crpb_str *s,
				size_t *i, size_t n)
{
	for (; zeros; zeros &= zeros - 1) {
		const char *z = p + __builtin_ctzll(zeros);
		if (*i == n)
			return false;
		s[(*i)++] = (crpb_str){*start, (size_t)(z - *start), false};
		*start = z + 1;
	}
	return true;
}

#ifdef SPLIT_AVX2
/* The bulk of split_table 32 bytes at a time; where it stopped, or NULL past n strings. */
__attribute__((target("avx2"))) static const char *split_avx2(const char *p, const char *end, const char **start,
							 crpb_str *s, size_t *i, size_t n, unsigned *hi)
{
	const __m256i zero = _mm256_setzero_si256();
	for (; end - p >= 32; p += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
		*hi |= (unsigned)_mm256_movemask_epi8(v);
		if (!take_strings(p, (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero)), start, s, i, n))
			return NULL;
	}
	return p;
}
#endif

/* Split the table at its NULs, 32 or 16 bytes at a time where AVX2 or SSE2 is there; returns
 * the number of strings found (SIZE_MAX past n) and whether every byte was ASCII, the common
 * case that needs no further check. */
static size_t split_table(const char *p, const char *end, crpb_str *s, size_t n, bool avx2, bool *ascii)
{
	const char *start = p;
	unsigned hi = 0;
	size_t i = 0;
#ifdef SPLIT_AVX2
	if (avx2 && !(p = split_avx2(p, end, &start, s, &i, n, &hi)))
		return SIZE_MAX;
#else
	CRP_UNUSED(avx2);
#endif
#ifdef __SSE2__
	const __m128i zero = _mm_setzero_si128();
	for (; end - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		hi |= (unsigned)_mm_movemask_epi8(v);
		if (!take_strings(p, (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)), &start, s, &i, n))
			return SIZE_MAX;
	}
#endif
	for (; p < end; p++) {
		hi |= (unsigned char)*p & 0x80u;
		if (!take_strings(p, *p == '\0', &start, s, &i, n))
			return SIZE_MAX;
	}
	*ascii = hi == 0;
	return start == end ? i : SIZE_MAX;
}

/* NUL-terminated strings used in place: the payload belongs to the report's arena. */
static int read_strings(dec *d, crpb_cursor *c)
{
	uint64_t n, bytes;
	bool ascii = false;
	CRP_TRY(get_varint(d, c, &n));
	CRP_TRY(get_varint(d, c, &bytes));
	if (bytes > (uint64_t)(c->end - c->p) || n > bytes)
		return fail(d, CRP_ECORRUPT, "string table larger than the payload");
	if (n > d->dd->lim.max_items)
		return fail(d, CRP_ELIMIT, "more than %zu strings", d->dd->lim.max_items);
	if (n > d->dd->strs_cap) {
		crpb_str *s = crp__realloc(&d->dd->alloc, d->dd->strs, (size_t)n * sizeof *s);
		if (!s)
			return fail(d, CRP_ENOMEM, "out of memory");
		d->dd->strs = s;
		d->dd->strs_cap = (size_t)n;
	}
	crpb_str *s = d->dd->strs;
	const char *p = (const char *)c->p;
	if (split_table(p, p + bytes, s, (size_t)n, d->dd->avx2, &ascii) != n)
		return fail(d, CRP_ECORRUPT, "string table does not hold exactly %llu strings", (unsigned long long)n);
	/* The whole table is valid UTF-8 exactly when each of its strings is: NUL is a character
	 * of its own and never inside a multi-byte one. One pass then, string by string only
	 * when some string needs its escaped NULs put back (or is bad). */
	bool valid = ascii || crp__utf8_valid_prefix((const unsigned char *)p, (size_t)bytes) == bytes;
	for (size_t i = 0; !valid && i < n; i++)
		if (crp__utf8_valid_prefix((const unsigned char *)s[i].ptr, s[i].len) != s[i].len)
			CRP_TRY(unescape(d, s[i].ptr, s[i].len, &s[i]));
	c->p += bytes;
	d->strs = s;
	d->nstrs = (size_t)n;
	return CRP_OK;
}

/* The stream lengths, then the streams: one pass over the lengths into the cursors' ends,
 * one to lay the cursors out. */
static int read_streams(dec *d, crpb_cursor *c)
{
	uint64_t n, len, total = 0;
	CRP_TRY(get_varint(d, c, &n));
	if (n != d->sc->streams)
		return fail(d, CRP_ECORRUPT, "%llu streams; the schema has %zu", (unsigned long long)n,
			    d->sc->streams);
	size_t *lens = d->dd->lens;
	for (size_t i = 0; i < n; i++) {
		CRP_TRY(get_varint(d, c, &len));
		if (len > (uint64_t)(c->end - c->p) - total)
			return fail(d, CRP_ECORRUPT, "stream %zu runs past the payload", i);
		lens[i] = (size_t)len;
		total += len;
	}
	if (total != (uint64_t)(c->end - c->p))
		return fail(d, CRP_ECORRUPT, "%zu bytes after the last stream", (size_t)(c->end - c->p - total));
	const uint8_t *p = c->p;
	for (size_t i = 0; i < n; i++) {
		d->cur[i].p = p;
		d->cur[i].end = p += lens[i];
	}
	return CRP_OK;
}

static int check_consumed(dec *d)
{
	for (size_t i = 0; i < d->sc->streams; i++)
		if (d->cur[i].p != d->cur[i].end)
			return bad_stream(d, &d->cur[i], "bytes left over after the report");
	return CRP_OK;
}

static int decode(dec *d, crpb_cursor *c, crp_report *r)
{
	uint64_t prov;
	CRP_TRY(get_varint(d, c, &prov));
	if (prov > UINT32_MAX)
		return fail(d, CRP_ECORRUPT, "bad provenance");
	r->provenance = (unsigned)prov;
	CRP_TRY(read_strings(d, c));
	CRP_TRY(read_streams(d, c));
	d->path_at = sizeof d->path - 1;
	d->path[d->path_at] = '\0';
	int rc = get_record(d, 0, &r->body);
	if (rc != CRP_OK) {
		crp__error_set_path(d->err, d->path + d->path_at, sizeof d->path - 1 - d->path_at);
		return rc;
	}
	return check_consumed(d);
}

int crp__crpb_report_new(crpb_decoder *dd, size_t size, crp_report **out, uint8_t **buf)
{
	crp_report *r = crp__malloc(&dd->alloc, sizeof *r);
	*out = NULL;
	if (!r)
		return CRP_ENOMEM;
	memset(r, 0, sizeof *r);
	crp__arena_init(&r->arena, &dd->alloc, dd->lim.max_memory);
	*buf = crp__arena_alloc(&r->arena, size ? size : 1);
	if (!*buf) {
		int rc = r->arena.failure;
		crp_report_free(r);
		return rc;
	}
	*out = r;
	return CRP_OK;
}

int crp__crpb_decode(crpb_decoder *dd, crp_report *r, const uint8_t *p, size_t n, crp_error *err)
{
	crpb_cursor c = {p, p + n};
	dec d = {.dd = dd, .sc = dd->schema, .cur = dd->cur, .prev = dd->prev, .arena = &r->arena,
		 .root = r, .text_left = dd->lim.max_text, .err = err};
	memset(dd->prev, 0, dd->schema->streams * sizeof *dd->prev);
	return decode(&d, &c, r);
}

int crp__crpb_decoder_init(crpb_decoder *d, const crpb_schema *s, const crp_allocator *a,
			   const crpb_limits *lim)
{
	memset(d, 0, sizeof *d);
	d->alloc = *a;
	d->schema = s;
	d->lim = *lim;
#ifdef SPLIT_AVX2
	d->avx2 = __builtin_cpu_supports("avx2");
#endif
	d->cur = crp__malloc(a, s->streams * sizeof *d->cur);
	d->prev = crp__malloc(a, s->streams * sizeof *d->prev);
	d->lens = crp__malloc(a, s->streams * sizeof *d->lens);
	if (!d->cur || !d->prev || !d->lens) {
		crp__crpb_decoder_dispose(d);
		return CRP_ENOMEM;
	}
	return CRP_OK;
}

void crp__crpb_decoder_dispose(crpb_decoder *d)
{
	crp__free(&d->alloc, d->cur);
	crp__free(&d->alloc, d->prev);
	crp__free(&d->alloc, d->strs);
	crp__free(&d->alloc, d->masks);
	crp__free(&d->alloc, d->lens);
	memset(d, 0, sizeof *d);
}
