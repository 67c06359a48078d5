/* CRPB writer (schema/crpb-format.md). Each report becomes one REPORT section: its values are
 * demultiplexed into one stream per schema field, its strings into a deduplicated table, and
 * the whole is compressed (Zstandard, or DEFLATE); an INDEX section and a footer close the
 * file. Walks the wire schema, which is derived from the model tables, so every field is
 * written. Output is a function of the model alone (and of the codec library's version): same
 * model, same bytes. */
#include <stdlib.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createCCtx_advanced, ZSTD_c_literalCompressionMode */
#include <zstd.h>
#include <zstd_errors.h>

#include "common/convert.h"
#include "crpb.h"
#include "crashport/sys/emitter.h"

/* zstd packs a REPORT payload with its literals stored, not Huffman coded: a trade between
 * size and decoding time measured on the corpus (see the README's benchmark figures). Huffman
 * tables cost more to build than most payloads take to decode, and decoding stored literals is
 * about twice as fast. Level 15 finds the short matches that win the size back for the many
 * small payloads; large ones (a few hundred images) keep level 12, 3% larger but a third
 * faster to decode and five times faster to write. Altogether files have the size level 12
 * with Huffman-coded literals gave and take 15% less time to decode. -O level=N sets both. */
#define CRPB_ZSTD_LEVEL 15
#define CRPB_ZSTD_LARGE_LEVEL 12
#define CRPB_ZSTD_LARGE 100000 /* payload bytes */

typedef struct wbuf {
	uint8_t *p;
	size_t len, cap;
} wbuf;

typedef struct strent {
	const char *ptr;
	size_t len;
	uint64_t hash;
	uint32_t id;
} strent;

typedef struct crpb_w {
	crp_emit_ctx *c;
	crp_allocator alloc;      /* the session's allocator, for the schema */
	unsigned codec;           /* CRPB_CODEC_* */
	int level;                /* of the codec; 0: its default */
	bool codec_set;
	bool inline_schema;
	int failed;               /* sticky CRP_ENOMEM / CRP_EUNSUPPORTED / CRP_ELIMIT */
	crpb_schema *schema;
	wbuf *streams;
	uint64_t *prev;           /* delta state per stream */
	wbuf strings;             /* the string table: NUL-terminated, U+0000 as C0 80 */
	uint32_t nstrings;
	strent *tab;              /* interning: open addressing, power-of-two size */
	size_t tab_cap;
	wbuf payload;
	wbuf packed;
	z_stream z;
	bool z_ready;
	ZSTD_CCtx *zc;
	uint64_t written;
	wbuf index;
	uint64_t nreports;
} crpb_w;

/* -- buffers ------------------------------------------------------------------------------ */

static bool grow(crpb_w *w, wbuf *b, size_t need)
{
	if (w->failed)
		return false;
	if (need <= b->cap - b->len)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < need) {
		if (cap > SIZE_MAX / 2) {
			w->failed = CRP_ENOMEM;
			return false;
		}
		cap *= 2;
	}
	uint8_t *p = crp_emit_realloc(w->c, b->p, cap);
	if (!p) {
		w->failed = CRP_ENOMEM;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void put_bytes(crpb_w *w, wbuf *b, const void *d, size_t n)
{
	if (n && grow(w, b, n)) {
		memcpy(b->p + b->len, d, n);
		b->len += n;
	}
}

static void put_varint(crpb_w *w, wbuf *b, uint64_t v)
{
	if (grow(w, b, 10))
		b->len += crp__varint_put(b->p + b->len, v);
}

static void put_byte(crpb_w *w, wbuf *b, uint8_t v)
{
	put_bytes(w, b, &v, 1);
}

static void fail(crpb_w *w, int code)
{
	if (!w->failed)
		w->failed = code;
}

/* -- strings (§7.2) ----------------------------------------------------------------------- */

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15u ^ n, x;
	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&x, s, 8);
		h = (h ^ x) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	x = 0;
	memcpy(&x, s, n);
	h = (h ^ x) * 0xc4ceb9fe1a85ec53u;
	return h ^ (h >> 29);
}

static bool rehash(crpb_w *w)
{
	size_t cap = w->tab_cap ? w->tab_cap * 2 : 1024;
	strent *t = crp_emit_alloc(w->c, cap * sizeof *t);
	if (!t) {
		fail(w, CRP_ENOMEM);
		return false;
	}
	memset(t, 0, cap * sizeof *t);
	for (size_t i = 0; i < w->tab_cap; i++) {
		if (!w->tab[i].ptr)
			continue;
		size_t k = w->tab[i].hash & (cap - 1);
		while (t[k].ptr)
			k = (k + 1) & (cap - 1);
		t[k] = w->tab[i];
	}
	crp_emit_dealloc(w->c, w->tab);
	w->tab = t;
	w->tab_cap = cap;
	return true;
}

/* Each string ends with a NUL; a NUL inside one is written C0 80 (never valid UTF-8, so
 * unambiguous), which lets readers use the table in place (§7.2). */
static void add_to_table(crpb_w *w, const char *s, size_t n)
{
	if (crp__utf8_valid_prefix((const unsigned char *)s, n) != n)
		fail(w, CRP_EUNSUPPORTED); /* the model's strings are UTF-8 */
	for (const char *z; n && (z = memchr(s, 0, n)) != NULL; n -= (size_t)(z - s) + 1, s = z + 1) {
		put_bytes(w, &w->strings, s, (size_t)(z - s));
		put_bytes(w, &w->strings, "\xC0\x80", 2);
	}
	put_bytes(w, &w->strings, s, n);
	put_byte(w, &w->strings, 0);
}

/* The id of a string, adding it to the table on first use. */
static uint32_t intern(crpb_w *w, const char *s, size_t n)
{
	if ((w->nstrings + 1) * 2 > w->tab_cap && !rehash(w))
		return 0;
	uint64_t h = hash_bytes(s, n);
	size_t k = h & (w->tab_cap - 1);
	for (; w->tab[k].ptr; k = (k + 1) & (w->tab_cap - 1))
		if (w->tab[k].hash == h && w->tab[k].len == n && memcmp(w->tab[k].ptr, s, n) == 0)
			return w->tab[k].id;
	w->tab[k] = (strent){s, n, h, w->nstrings};
	add_to_table(w, s, n);
	return w->nstrings++;
}

static void put_str(crpb_w *w, wbuf *b, const char *s, size_t n)
{
	put_varint(w, b, intern(w, s, n));
}

/* A string that may be absent: id + 1, or 0. */
static void put_opt_str(crpb_w *w, wbuf *b, const char *s)
{
	put_varint(w, b, s ? (uint64_t)intern(w, s, strlen(s)) + 1 : 0);
}

/* -- generic values (§8) ------------------------------------------------------------------ */

static void put_value(crpb_w *w, wbuf *b, const crp_value *v)
{
	bool neg;
	uint64_t mag;
	switch (v->type) {
	case CRP_VALUE_NULL: put_byte(w, b, CRPB_T_NULL); break;
	case CRP_VALUE_BOOL: put_byte(w, b, v->u.boolean ? CRPB_T_TRUE : CRPB_T_FALSE); break;
	case CRP_VALUE_NUMBER:
		if (crp__crpb_canonical_int(v->u.num.ptr, v->u.num.len, &neg, &mag)) {
			put_byte(w, b, neg ? CRPB_T_NEGINT : CRPB_T_UINT);
			put_varint(w, b, neg ? mag - 1 : mag);
		} else {
			put_byte(w, b, CRPB_T_NUMBER);
			put_str(w, b, v->u.num.ptr, v->u.num.len);
		}
		break;
	case CRP_VALUE_STRING:
		put_byte(w, b, CRPB_T_STRING);
		put_str(w, b, v->u.str.ptr, v->u.str.len);
		break;
	case CRP_VALUE_ARRAY:
		put_byte(w, b, CRPB_T_ARRAY);
		put_varint(w, b, v->u.arr.count);
		for (size_t i = 0; i < v->u.arr.count; i++)
			put_value(w, b, &v->u.arr.items[i]);
		break;
	case CRP_VALUE_OBJECT:
		put_byte(w, b, CRPB_T_OBJECT);
		put_varint(w, b, v->u.obj.count);
		for (size_t i = 0; i < v->u.obj.count; i++) {
			put_str(w, b, v->u.obj.members[i].key.ptr, v->u.obj.members[i].key.len);
			put_value(w, b, &v->u.obj.members[i].value);
		}
		break;
	}
}

static void put_members(crpb_w *w, wbuf *b, const crp_extras *x)
{
	put_varint(w, b, x->count);
	for (size_t i = 0; i < x->count; i++) {
		put_str(w, b, x->members[i].key.ptr, x->members[i].key.len);
		put_value(w, b, &x->members[i].value);
	}
}

static void put_strays(crpb_w *w, wbuf *b, const crp_strays *st)
{
	put_varint(w, b, st->count);
	for (size_t i = 0; i < st->count; i++) {
		put_varint(w, b, st->items[i].index);
		put_value(w, b, &st->items[i].value);
	}
}

/* -- records (§6) ------------------------------------------------------------------------- */

static void put_record(crpb_w *w, uint32_t rid, const void *rec);

static bool present(const crpb_field *f, const void *rec)
{
	if (f->virt)
		return *(const void *const *)((const char *)rec + f->off) != NULL;
	return (((const crp_record_head *)rec)->has & f->bit) != 0;
}

static uint64_t rel_base(const crpb_record *r, const crpb_field *f, const void *rec)
{
	for (int k = 0; k < 2 && f->base[k] != CRPB_NO_FIELD; k++) {
		const crpb_field *b = &r->fields[f->base[k]];
		if (present(b, rec))
			return *(const uint64_t *)((const char *)rec + b->off);
	}
	return 0;
}

static void put_u64(crpb_w *w, const crpb_record *r, const crpb_field *f, const void *rec, uint64_t v)
{
	wbuf *b = &w->streams[f->stream];
	if (f->coding == CRPB_C_DELTA) {
		put_varint(w, b, crp__zigzag((int64_t)(v - w->prev[f->stream])));
		w->prev[f->stream] = v;
	} else if (f->coding == CRPB_C_REL) {
		put_varint(w, b, crp__zigzag((int64_t)(v - rel_base(r, f, rec))));
	} else {
		put_varint(w, b, v);
	}
}

static void put_i64(crpb_w *w, const crpb_field *f, int64_t v)
{
	wbuf *b = &w->streams[f->stream];
	if (f->coding == CRPB_C_DELTA) {
		put_varint(w, b, crp__zigzag((int64_t)((uint64_t)v - w->prev[f->stream])));
		w->prev[f->stream] = (uint64_t)v;
	} else {
		put_varint(w, b, crp__zigzag(v));
	}
}

static void put_typed_str(crpb_w *w, const crpb_field *f, const char *s)
{
	uint32_t id = intern(w, s, strlen(s));
	wbuf *b = &w->streams[f->stream];
	if (f->coding == CRPB_C_DELTA) {
		put_varint(w, b, crp__zigzag((int64_t)id - (int64_t)w->prev[f->stream]));
		w->prev[f->stream] = id;
	} else {
		put_varint(w, b, id);
	}
}

static void put_array(crpb_w *w, wbuf *b, const crp_array_slot *slot, const crpb_field *f)
{
	put_varint(w, b, slot->count);
	put_strays(w, b, &slot->strays);
	if (f->kind == CRPB_W_STRLIST) {
		for (size_t i = 0; i < slot->count; i++) {
			const char *s = ((const char *const *)slot->items)[i];
			put_str(w, b, s, strlen(s));
		}
		return;
	}
	size_t size = w->schema->records[f->sub].local->size;
	for (size_t i = 0; i < slot->count; i++)
		put_record(w, f->sub, (const char *)slot->items + i * size);
}

static void put_regset(crpb_w *w, wbuf *b, const crp_regset *rs)
{
	if (rs->has)
		fail(w, CRP_EUNSUPPORTED);
	put_varint(w, b, rs->count);
	for (size_t i = 0; i < rs->count; i++) {
		put_str(w, b, rs->regs[i].name, strlen(rs->regs[i].name));
		put_varint(w, b, rs->regs[i].value);
	}
	put_members(w, b, &rs->extras);
}

static void put_symbolication(crpb_w *w, wbuf *b, const crp_symbolication *s)
{
	put_varint(w, b, (uint64_t)s->source);
	put_varint(w, b, s->flags);
	/* report.h: the symbol file that answered (the report itself may name none), and a
	 * location */
	if ((!s->image && s->source != CRP_SYMSRC_REPORT) || !s->count || !s->locs) {
		fail(w, CRP_EUNSUPPORTED);
		return;
	}
	put_str(w, b, s->image ? s->image : "", s->image ? strlen(s->image) : 0);
	put_varint(w, b, s->lookup_addr);
	put_varint(w, b, s->function_addr);
	put_opt_str(w, b, s->linkage_name);
	put_varint(w, b, s->count);
	for (size_t i = 0; i < s->count; i++) {
		put_opt_str(w, b, s->locs[i].function);
		put_opt_str(w, b, s->locs[i].file);
		put_varint(w, b, s->locs[i].line);
		put_varint(w, b, s->locs[i].column);
	}
	put_varint(w, b, s->offset);
}

/* A version that is present has a form and the text it was written as (the reader's model
 * always does). */
static void put_version(crpb_w *w, const crpb_field *f, wbuf *b, const crp_version *v)
{
	if (!v->text || v->form < CRP_VERSION_FORM_STRING || v->form > CRP_VERSION_FORM_LEGACY) {
		fail(w, CRP_EUNSUPPORTED);
		return;
	}
	put_varint(w, b, (uint64_t)v->form);
	put_str(w, b, v->text, strlen(v->text));
	put_record(w, f->sub, v);
}

static void put_time(crpb_w *w, wbuf *b, const crp_time *t)
{
	put_varint(w, b, (uint64_t)t->form);
	put_varint(w, b, t->form == CRP_TIME_EMPTY ? 0 : crp__zigzag(t->usec));
}

/* Pointer kinds whose presence bit is set must point somewhere (the reader never does
 * otherwise); refusing is better than a crash on a hand-made model. */
static bool pointer_missing(const crpb_field *f, const void *p)
{
	uint8_t k = f->local ? f->local->kind : CRP_K_NONE;
	bool is_ptr = f->kind == CRPB_W_STR || f->kind == CRPB_W_VALUE || f->kind == CRPB_W_REPORT ||
		      k == CRP_K_RECPTR;
	return is_ptr && *(const void *const *)p == NULL;
}

static void put_field(crpb_w *w, const crpb_record *r, const crpb_field *f, const void *rec)
{
	const void *p = (const char *)rec + f->off;
	wbuf *b = &w->streams[f->stream];
	uint8_t buf[8];
	if (pointer_missing(f, p)) {
		fail(w, CRP_EUNSUPPORTED);
		return;
	}
	switch (f->kind) {
	case CRPB_W_U64: put_u64(w, r, f, rec, *(const uint64_t *)p); break;
	case CRPB_W_I64: put_i64(w, f, *(const int64_t *)p); break;
	case CRPB_W_I32: put_i64(w, f, *(const int32_t *)p); break;
	case CRPB_W_F64: {
		uint64_t bits;
		memcpy(&bits, p, 8);
		crp__put_le64(buf, bits);
		put_bytes(w, b, buf, 8);
		break;
	}
	case CRPB_W_BOOL: put_byte(w, b, *(const bool *)p ? 1 : 0); break;
	case CRPB_W_STR: put_typed_str(w, f, *(const char *const *)p); break;
	case CRPB_W_TIME: put_time(w, b, p); break;
	case CRPB_W_UUID: put_bytes(w, b, p, 16); break;
	case CRPB_W_HEX:
		put_varint(w, b, ((const crp_bytes *)p)->len);
		put_bytes(w, b, ((const crp_bytes *)p)->data, ((const crp_bytes *)p)->len);
		break;
	case CRPB_W_VALUE: put_value(w, b, *(const crp_value *const *)p); break;
	case CRPB_W_RECORD:
		put_record(w, f->sub, f->local->kind == CRP_K_RECPTR ? *(const void *const *)p : p);
		break;
	case CRPB_W_ARRAY:
	case CRPB_W_STRLIST: put_array(w, b, p, f); break;
	case CRPB_W_REGSET: put_regset(w, b, p); break;
	case CRPB_W_VERSION: put_version(w, f, b, p); break;
	case CRPB_W_REPORT: {
		const crp_report *child = *(const crp_report *const *)p;
		put_varint(w, b, child->provenance);
		put_record(w, 0, &child->body);
		break;
	}
	case CRPB_W_SYMBOLICATION: put_symbolication(w, b, *(const crp_symbolication *const *)p); break;
	}
}

static void put_record(crpb_w *w, uint32_t rid, const void *rec)
{
	const crpb_record *r = &w->schema->records[rid];
	const crp_record_head *h = rec;
	wbuf *pb = &w->streams[r->presence];
	uint64_t mask = h->extras.count ? 1 : 0;
	if (h->has & ~r->covered)
		fail(w, CRP_EUNSUPPORTED); /* a presence bit no wire field carries */
	for (size_t i = 0; i < r->count; i++)
		if (present(&r->fields[i], rec))
			mask |= UINT64_C(2) << i;
	put_varint(w, pb, mask);
	for (size_t i = 0; i < r->count; i++)
		if (mask & (UINT64_C(2) << i))
			put_field(w, r, &r->fields[i], rec);
	if (h->extras.count)
		put_members(w, pb, &h->extras);
}

/* -- sections (§3) ------------------------------------------------------------------------ */

static int out(crpb_w *w, const void *d, size_t n)
{
	w->written += n;
	return crp_emit_write(w->c, d, n);
}

static void *z_alloc(void *opaque, uInt items, uInt size)
{
	if (size && items > SIZE_MAX / size)
		return NULL;
	return crp_emit_alloc(opaque, (size_t)items * size);
}

static void z_free(void *opaque, void *p)
{
	crp_emit_dealloc(opaque, p);
}

static bool pack_deflate(crpb_w *w, const wbuf *in)
{
	uLong bound = deflateBound(&w->z, (uLong)in->len);
	if (!grow(w, &w->packed, bound) || deflateReset(&w->z) != Z_OK)
		return false;
	w->z.next_in = in->p;
	w->z.avail_in = (uInt)in->len;
	w->z.next_out = w->packed.p;
	w->z.avail_out = (uInt)bound;
	if (deflate(&w->z, Z_FINISH) != Z_STREAM_END) {
		fail(w, CRP_ERROR);
		return false;
	}
	w->packed.len = bound - w->z.avail_out;
	return true;
}

static bool pack_zstd(crpb_w *w, const wbuf *in)
{
	size_t bound = ZSTD_compressBound(in->len);
	int level = w->level ? w->level : in->len < CRPB_ZSTD_LARGE ? CRPB_ZSTD_LEVEL : CRPB_ZSTD_LARGE_LEVEL;
	if (!grow(w, &w->packed, bound))
		return false;
	ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, level);
	size_t n = ZSTD_compress2(w->zc, w->packed.p, bound, in->p, in->len);
	if (ZSTD_isError(n)) {
		fail(w, ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation ? CRP_ENOMEM : CRP_ERROR);
		return false;
	}
	w->packed.len = n;
	return true;
}

/* Compress `in` into w->packed; false when storing it is no larger. */
static bool pack(crpb_w *w, const wbuf *in)
{
	w->packed.len = 0;
	if (w->codec == CRPB_CODEC_STORED || in->len == 0)
		return false;
	bool ok = w->codec == CRPB_CODEC_ZSTD ? pack_zstd(w, in) : pack_deflate(w, in);
	return ok && w->packed.len < in->len;
}

static int write_section(crpb_w *w, uint8_t type, const wbuf *payload)
{
	uint8_t h[CRPB_SECTION_HEADER_SIZE];
	if (payload->len > UINT32_MAX)
		fail(w, CRP_ELIMIT);
	bool packed = pack(w, payload);
	if (w->failed)
		return w->failed;
	const wbuf *stored = packed ? &w->packed : payload;
	h[0] = type;
	h[1] = (uint8_t)(CRPB_F_REQUIRED | (packed ? w->codec : CRPB_CODEC_STORED));
	crp__put_le32(h + 2, (uint32_t)stored->len);
	crp__put_le32(h + 6, (uint32_t)payload->len);
	uLong crc = crc32(crc32(0, h, 10), stored->p, (uInt)stored->len);
	crp__put_le32(h + 10, (uint32_t)crc);
	CRP_TRY(out(w, h, sizeof h));
	return out(w, stored->p, stored->len);
}

/* -- the emitter -------------------------------------------------------------------------- */

static void *a_malloc(void *ctx, size_t n) { return crp_emit_alloc(ctx, n); }
static void *a_realloc(void *ctx, void *p, size_t n) { return crp_emit_realloc(ctx, p, n); }
static void a_free(void *ctx, void *p) { crp_emit_dealloc(ctx, p); }

static int crpb_set_param(crp_emit_ctx *c, void *state, const char *key, const char *value)
{
	static const char *const codecs[] = {"none", "deflate", "zstd"};
	crpb_w *w = state;
	CRP_UNUSED(c);
	if (strcmp(key, "level") == 0) {
		char *end;
		long v = strtol(value, &end, 10);
		if (!value[0] || *end || v < 1 || v > 22)
			return CRP_EUNSUPPORTED;
		w->level = (int)v;
		return CRP_OK;
	}
	for (unsigned i = 0; strcmp(key, "codec") == 0 && i < CRP_ARRAY_LEN(codecs); i++)
		if (strcmp(value, codecs[i]) == 0) {
			w->codec = i;
			w->codec_set = true;
			return CRP_OK;
		}
	if (strcmp(key, "schema") == 0 && strcmp(value, "inline") == 0) {
		w->inline_schema = true;
		return CRP_OK;
	}
	return CRP_EUNSUPPORTED;
}

static int write_header(crpb_w *w)
{
	uint8_t h[CRPB_HEADER_SIZE];
	bool inl = w->inline_schema || !w->schema->builtin;
	memcpy(h, CRPB_MAGIC, CRPB_MAGIC_LEN);
	h[8] = CRPB_MAJOR;
	h[9] = CRPB_MINOR;
	h[10] = inl ? 0 : (uint8_t)w->schema->builtin;
	h[11] = 0;
	crp__put_le32(h + 12, (uint32_t)crc32(0, h, 12));
	CRP_TRY(out(w, h, sizeof h));
	if (!inl)
		return CRP_OK;
	wbuf text = {(uint8_t *)w->schema->text, w->schema->text_len, w->schema->text_len};
	return write_section(w, CRPB_SEC_SCHEMA, &text);
}

static void *zs_alloc(void *opaque, size_t n) { return crp_emit_alloc(opaque, n); }
static void zs_free(void *opaque, void *p) { crp_emit_dealloc(opaque, p); }

static int start_codec(crpb_w *w)
{
	crp_emit_ctx *c = w->c;
	if (!w->codec_set)
		w->codec = CRPB_CODEC_ZSTD;
	if (w->codec == CRPB_CODEC_DEFLATE) {
		int level = w->level ? w->level : Z_BEST_COMPRESSION;
		if (level > Z_BEST_COMPRESSION)
			return crp_emit_fail(c, CRP_EUNSUPPORTED, "crpb: deflate levels are 1..9");
		w->z.zalloc = z_alloc;
		w->z.zfree = z_free;
		w->z.opaque = c;
		if (deflateInit2(&w->z, level, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
			return crp_emit_fail(c, CRP_ENOMEM, "out of memory");
		w->z_ready = true;
	} else if (w->codec == CRPB_CODEC_ZSTD) {
		ZSTD_customMem mem = {zs_alloc, zs_free, c};
		w->zc = ZSTD_createCCtx_advanced(mem);
		if (!w->zc)
			return crp_emit_fail(c, CRP_ENOMEM, "out of memory");
		/* the section header has the size and a CRC: the frame needs neither */
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_contentSizeFlag, 0);
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 0);
		ZSTD_CCtx_setParameter(w->zc, ZSTD_c_literalCompressionMode, ZSTD_ps_disable);
	}
	return CRP_OK;
}

static int crpb_begin(crp_emit_ctx *c, void *state)
{
	crpb_w *w = state;
	char *text;
	size_t len;
	crp_error err;
	w->c = c;
	w->alloc = (crp_allocator){a_malloc, a_realloc, a_free, c};
	CRP_TRY(start_codec(w));
	crp__error_clear(&err);
	if (crp__crpb_schema_text(&text, &len, &w->alloc) != CRP_OK)
		return crp_emit_fail(c, CRP_ENOMEM, "out of memory");
	int rc = crp__crpb_schema_parse(&w->schema, text, len, &w->alloc, &err);
	crp_emit_dealloc(c, text);
	if (rc != CRP_OK)
		return crp_emit_fail(c, rc, "crpb: %s", rc == CRP_ENOMEM ? "out of memory" : err.message);
	w->streams = crp_emit_alloc(c, w->schema->streams * sizeof *w->streams);
	if (w->streams)
		memset(w->streams, 0, w->schema->streams * sizeof *w->streams);
	w->prev = crp_emit_alloc(c, w->schema->streams * sizeof *w->prev);
	if (!w->streams || !w->prev)
		return crp_emit_fail(c, CRP_ENOMEM, "out of memory");
	return write_header(w);
}

static void reset_report(crpb_w *w)
{
	for (size_t i = 0; i < w->schema->streams; i++)
		w->streams[i].len = 0;
	memset(w->prev, 0, w->schema->streams * sizeof *w->prev);
	if (w->tab)
		memset(w->tab, 0, w->tab_cap * sizeof *w->tab);
	w->strings.len = 0;
	w->nstrings = 0;
}

static void build_payload(crpb_w *w, const crp_report *r)
{
	wbuf *p = &w->payload;
	p->len = 0;
	put_varint(w, p, r->provenance);
	put_varint(w, p, w->nstrings);
	put_varint(w, p, w->strings.len);
	put_bytes(w, p, w->strings.p, w->strings.len);
	put_varint(w, p, w->schema->streams);
	for (size_t i = 0; i < w->schema->streams; i++)
		put_varint(w, p, w->streams[i].len);
	for (size_t i = 0; i < w->schema->streams; i++)
		put_bytes(w, p, w->streams[i].p, w->streams[i].len);
}

static void add_index_entry(crpb_w *w, const crp_report *r, uint64_t offset)
{
	const crp_info *in = &r->body.info;
	wbuf *x = &w->index;
	put_varint(w, x, offset);
	put_varint(w, x, w->written - offset);
	bool has_id = (in->has & CRP_INFO_ID) != 0;
	put_varint(w, x, has_id ? strlen(in->id) + 1 : 0);
	if (has_id)
		put_bytes(w, x, in->id, strlen(in->id));
	bool has_time = (in->has & CRP_INFO_TIMESTAMP) != 0;
	put_varint(w, x, has_time ? (uint64_t)in->timestamp.form : 0);
	if (has_time)
		put_varint(w, x, in->timestamp.form == CRP_TIME_EMPTY ? 0 : crp__zigzag(in->timestamp.usec));
	w->nreports++;
}

static int crpb_write_report(crp_emit_ctx *c, void *state, const crp_report *r)
{
	crpb_w *w = state;
	reset_report(w);
	put_record(w, 0, &r->body);
	build_payload(w, r);
	uint64_t offset = w->written;
	if (!w->failed)
		write_section(w, CRPB_SEC_REPORT, &w->payload);
	if (w->failed == CRP_EUNSUPPORTED)
		return crp_emit_fail(c, CRP_EUNSUPPORTED, "crpb: the report has a field the format cannot carry");
	if (w->failed)
		return crp_emit_fail(c, w->failed, "crpb: %s", crp_status_str(w->failed));
	add_index_entry(w, r, offset);
	return CRP_OK;
}

static int crpb_end(crp_emit_ctx *c, void *state)
{
	crpb_w *w = state;
	uint8_t foot[CRPB_FOOTER_SIZE];
	w->payload.len = 0;
	put_varint(w, &w->payload, w->nreports);
	put_bytes(w, &w->payload, w->index.p, w->index.len);
	uint64_t start = w->written;
	if (!w->failed)
		write_section(w, CRPB_SEC_INDEX, &w->payload);
	if (w->failed)
		return crp_emit_fail(c, w->failed, "crpb: %s", crp_status_str(w->failed));
	crp__put_le32(foot, (uint32_t)(w->written - start));
	memcpy(foot + 4, CRPB_FOOTER_MAGIC, 4);
	return out(w, foot, sizeof foot);
}

static void crpb_cleanup(crp_emit_ctx *c, void *state)
{
	crpb_w *w = state;
	if (w->z_ready)
		deflateEnd(&w->z);
	ZSTD_freeCCtx(w->zc);
	for (size_t i = 0; w->streams && i < w->schema->streams; i++)
		crp_emit_dealloc(c, w->streams[i].p);
	crp_emit_dealloc(c, w->streams);
	crp_emit_dealloc(c, w->prev);
	crp_emit_dealloc(c, w->strings.p);
	crp_emit_dealloc(c, w->tab);
	crp_emit_dealloc(c, w->payload.p);
	crp_emit_dealloc(c, w->packed.p);
	crp_emit_dealloc(c, w->index.p);
	crp__crpb_schema_free(w->schema);
}

const crp_emitter crp__emitter_crpb = {
	CRP_EMITTER_VERSION, "crpb", ".crpb",
	"CRPB, crashport's compact lossless binary format (options: codec=zstd|deflate|none, level=N, schema=inline)",
	CRP_EMITTER_BINARY, sizeof(crpb_w), crpb_set_param, crpb_begin, crpb_write_report, crpb_end,
	crpb_cleanup,
};
