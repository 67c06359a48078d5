/* Reading CRPB files (schema/crpb-format.md §2-4, §7.4): the file header, sections with their
 * CRCs and decompressed sizes, the schema, the index and the footer, for an archive in memory
 * (random access through the index) and for a stream fed in chunks (file order, one section
 * buffered at a time). What a report's payload holds is decoded by crpb_decode.c. */
#include <stdio.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createDCtx_advanced: allocations through crp_allocator */
#include <zstd.h>
#include <zstd_errors.h>

#include "common/convert.h"
#include "crpb.h"
#include "crashport/crpb.h"

/* What both readers share: limits, schema, decoder scratch, inflate state. */
typedef struct core {
	crp_allocator alloc;
	crpb_limits lim;
	crpb_schema *schema;
	crpb_decoder dec;
	z_stream z;
	bool z_ready;
	ZSTD_DCtx *zd;
	uint8_t *raw;
	size_t raw_cap;
	unsigned schema_id;
} core;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CRPB_HAVE_CLMUL 1
#define CRPB_CLMUL __attribute__((target("pclmul,sse2")))

CRPB_CLMUL static inline __m128i crc_fold(__m128i x, __m128i k, __m128i next)
{
	__m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
	__m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
	return _mm_xor_si128(_mm_xor_si128(lo, hi), next);
}

/* n >= 64 */
CRPB_CLMUL static uint32_t crc32_clmul(uint32_t crc, const uint8_t *p, size_t n)
{
	const __m128i k4x = _mm_set_epi64x(0x1c6e41596, 0x154442bd4); /* x^(512+-32) */
	const __m128i k1x = _mm_set_epi64x(0x0ccaa009e, 0x1751997d0); /* x^(128+-32) */
	__m128i x0 = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i x1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
	__m128i x2 = _mm_loadu_si128((const __m128i *)(const void *)(p + 32));
	__m128i x3 = _mm_loadu_si128((const __m128i *)(const void *)(p + 48));
	x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)~crc));
	for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
		x0 = crc_fold(x0, k4x, _mm_loadu_si128((const __m128i *)(const void *)p));
		x1 = crc_fold(x1, k4x, _mm_loadu_si128((const __m128i *)(const void *)(p + 16)));
		x2 = crc_fold(x2, k4x, _mm_loadu_si128((const __m128i *)(const void *)(p + 32)));
		x3 = crc_fold(x3, k4x, _mm_loadu_si128((const __m128i *)(const void *)(p + 48)));
	}
	x0 = crc_fold(x0, k1x, x1);
	x0 = crc_fold(x0, k1x, x2);
	x0 = crc_fold(x0, k1x, x3);
	for (; n >= 16; p += 16, n -= 16)
		x0 = crc_fold(x0, k1x, _mm_loadu_si128((const __m128i *)(const void *)p));
	uint8_t lane[16];
	_mm_storeu_si128((__m128i *)(void *)lane, x0);
	crc = (uint32_t)crc32(0xffffffffUL, lane, 16);
	return (uint32_t)crc32(crc, p, (uInt)n);
}
#endif

/* zlib's crc32 (zlib stays the reference: the unit tests compare the two); folding where the
 * CPU has PCLMULQDQ, which reads the compressed payload about 4x faster than zlib's tables. */
uint32_t crp__crpb_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
#ifdef CRPB_HAVE_CLMUL
	if (n >= 64 && __builtin_cpu_supports("pclmul")) /* a load and a test: no state to race on */
		return crc32_clmul(crc, p, n);
#endif
	return (uint32_t)crc32_z(crc, n ? p : (const uint8_t *)"", n);
}

/* A section header, decoded. */
typedef struct sec {
	uint8_t type, flags;
	uint32_t stored, size, crc;
	uint64_t offset;
} sec;

bool crp_crpb_detect(const void *buf, size_t len)
{
	return buf && len >= CRPB_MAGIC_LEN && memcmp(buf, CRPB_MAGIC, CRPB_MAGIC_LEN) == 0;
}

/* -- errors ------------------------------------------------------------------------------- */

static CRP_PRINTF(4, 5) int fail_at(crp_error *err, int code, uint64_t offset, const char *fmt, ...)
{
	va_list ap;
	crp__error_clear(err);
	va_start(ap, fmt);
	crp__error_setv(err, code, fmt, ap);
	va_end(ap);
	err->byte_offset = offset;
	return code;
}

/* A report's own error, located at its section. */
static int locate(crp_error *err, uint64_t offset)
{
	char msg[CRP_ERROR_MESSAGE_SIZE + 64];
	snprintf(msg, sizeof msg, "report at offset %llu: %s", (unsigned long long)offset, err->message);
	memcpy(err->message, msg, sizeof err->message - 1);
	err->message[sizeof err->message - 1] = '\0';
	err->byte_offset = offset;
	return err->code;
}

/* -- options and the shared core ---------------------------------------------------------- */

static int core_init(core *c, const crp_crpb_options *opts)
{
	crp_crpb_options o = CRP_CRPB_OPTIONS_INIT;
	memset(c, 0, sizeof *c);
	if (opts) {
		if (opts->version != CRP_CRPB_OPTIONS_VERSION)
			return CRP_EINVAL;
		o = *opts;
	}
	crp__allocator_init(&c->alloc, o.allocator);
	c->lim.max_section = o.max_section_bytes ? o.max_section_bytes : CRP_CRPB_DEFAULT_MAX_SECTION_BYTES;
	c->lim.max_text = o.max_text_bytes ? o.max_text_bytes : CRP_CRPB_DEFAULT_MAX_TEXT_BYTES;
	c->lim.max_memory = o.max_memory ? o.max_memory : CRP_DEFAULT_MAX_MEMORY;
	c->lim.max_items = o.max_items ? o.max_items : CRP_DEFAULT_MAX_ITEMS;
	c->lim.max_depth = o.max_depth ? o.max_depth : CRP_DEFAULT_MAX_DEPTH;
	if (c->lim.max_depth > CRPB_MAX_DEPTH || c->lim.max_section > UINT32_MAX)
		return CRP_EINVAL;
	return CRP_OK;
}

static void core_dispose(core *c)
{
	if (c->z_ready)
		inflateEnd(&c->z);
	ZSTD_freeDCtx(c->zd);
	c->zd = NULL;
	crp__crpb_decoder_dispose(&c->dec);
	crp__crpb_schema_free(c->schema);
	crp__free(&c->alloc, c->raw);
	c->schema = NULL;
	c->raw = NULL;
	c->z_ready = false;
}

static void *z_alloc(void *opaque, uInt items, uInt size)
{
	if (size && items > SIZE_MAX / size)
		return NULL;
	return crp__malloc(opaque, (size_t)items * size);
}

static void z_free(void *opaque, void *p)
{
	crp__free(opaque, p);
}

/* -- the file header (§2) and sections (§3) ---------------------------------------------- */

static int read_file_header(core *c, const uint8_t *h, crp_error *err)
{
	if (memcmp(h, CRPB_MAGIC, CRPB_MAGIC_LEN) != 0)
		return fail_at(err, CRP_ECORRUPT, 0, "not a CRPB file");
	if (crc32(0, h, 12) != crp__get_le32(h + 12))
		return fail_at(err, CRP_ECORRUPT, 0, "file header: CRC mismatch");
	if (h[8] != CRPB_MAJOR)
		return fail_at(err, CRP_EUNSUPPORTED, 8, "CRPB version %u.%u; this reader reads %u.x",
			       h[8], h[9], CRPB_MAJOR);
	c->schema_id = (unsigned)h[10] | (unsigned)h[11] << 8;
	size_t len;
	if (c->schema_id && !crp__crpb_builtin_schema(c->schema_id, &len))
		return fail_at(err, CRP_EUNSUPPORTED, 10,
			       "builtin schema %u is newer than this reader (written with -O schema=inline, any reader can read it)",
			       c->schema_id);
	return CRP_OK;
}

/* Decode a section header; sizes are checked against the limits before anything is read. */
static int read_section_header(core *c, const uint8_t *h, uint64_t offset, sec *s, crp_error *err)
{
	s->type = h[0];
	s->flags = h[1];
	s->stored = crp__get_le32(h + 2);
	s->size = crp__get_le32(h + 6);
	s->crc = crp__get_le32(h + 10);
	s->offset = offset;
	if (s->stored > c->lim.max_section || s->size > c->lim.max_section)
		return fail_at(err, CRP_ELIMIT, offset, "section at offset %llu declares %u bytes (%u decompressed); the limit is %zu",
			       (unsigned long long)offset, s->stored, s->size, c->lim.max_section);
	return CRP_OK;
}

static int inflate_into(core *c, const sec *s, const uint8_t *payload, uint8_t *dst, crp_error *err)
{
	uint64_t off = s->offset;
	if (!c->z_ready) {
		c->z.zalloc = z_alloc;
		c->z.zfree = z_free;
		c->z.opaque = &c->alloc;
		if (inflateInit2(&c->z, -15) != Z_OK)
			return fail_at(err, CRP_ENOMEM, off, "out of memory");
		c->z_ready = true;
	}
	inflateReset(&c->z);
	c->z.next_in = (Bytef *)(uintptr_t)payload;
	c->z.avail_in = s->stored;
	c->z.next_out = dst;
	c->z.avail_out = s->size;
	int zrc = inflate(&c->z, Z_FINISH);
	if (zrc == Z_MEM_ERROR)
		return fail_at(err, CRP_ENOMEM, off, "out of memory");
	if (zrc != Z_STREAM_END || c->z.avail_in || c->z.avail_out)
		return fail_at(err, CRP_ECORRUPT, off, "section at offset %llu: DEFLATE data does not inflate to its declared %u bytes",
			       (unsigned long long)off, s->size);
	return CRP_OK;
}

static void *zs_alloc(void *opaque, size_t n) { return crp__malloc(opaque, n); }
static void zs_free(void *opaque, void *p) { crp__free(opaque, p); }

static int unzstd_into(core *c, const sec *s, const uint8_t *payload, uint8_t *dst, crp_error *err)
{
	uint64_t off = s->offset;
	if (!c->zd) {
		ZSTD_customMem mem = {zs_alloc, zs_free, &c->alloc};
		if (!(c->zd = ZSTD_createDCtx_advanced(mem)))
			return fail_at(err, CRP_ENOMEM, off, "out of memory");
	}
	/* exactly one frame, exactly the declared size (the output buffer bounds it) */
	size_t frame = ZSTD_findFrameCompressedSize(payload, s->stored);
	size_t n = frame == s->stored ? ZSTD_decompressDCtx(c->zd, dst, s->size, payload, s->stored) : frame;
	if (ZSTD_isError(n) && ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation)
		return fail_at(err, CRP_ENOMEM, off, "out of memory");
	if (frame != s->stored || ZSTD_isError(n) || n != s->size)
		return fail_at(err, CRP_ECORRUPT, off, "section at offset %llu: Zstandard data does not decompress to its declared %u bytes",
			       (unsigned long long)off, s->size);
	return CRP_OK;
}

/* CRC and flags. */
static int check_section(const sec *s, const uint8_t *h, const uint8_t *payload, crp_error *err)
{
	uint64_t off = s->offset;
	unsigned codec = s->flags & CRPB_CODEC_MASK;
	if (crp__crpb_crc32((uint32_t)crc32(0, h, 10), payload, s->stored) != s->crc)
		return fail_at(err, CRP_ECORRUPT, off, "section at offset %llu: CRC mismatch", (unsigned long long)off);
	if ((s->flags & ~CRPB_F_KNOWN) || codec > CRPB_CODEC_ZSTD)
		return fail_at(err, CRP_EUNSUPPORTED, off, "section at offset %llu: unknown flags 0x%02x",
			       (unsigned long long)off, s->flags);
	if (codec == CRPB_CODEC_STORED ? s->stored != s->size : s->size == 0)
		return fail_at(err, CRP_ECORRUPT, off, "section at offset %llu: sizes do not agree with the codec",
			       (unsigned long long)off);
	return CRP_OK;
}

/* The payload decompressed (or copied) into dst, which holds s->size bytes. */
static int decompress(core *c, const sec *s, const uint8_t *payload, uint8_t *dst, crp_error *err)
{
	switch (s->flags & CRPB_CODEC_MASK) {
	case CRPB_CODEC_DEFLATE: return inflate_into(c, s, payload, dst, err);
	case CRPB_CODEC_ZSTD: return unzstd_into(c, s, payload, dst, err);
	default:
		if (s->size)
			memcpy(dst, payload, s->size);
		return CRP_OK;
	}
}

/* A checked section's payload: in place when stored, else in the reader's buffer. */
static int open_section(core *c, const sec *s, const uint8_t *h, const uint8_t *payload,
			const uint8_t **out, crp_error *err)
{
	payload = payload ? payload : (const uint8_t *)""; /* an empty payload of a stream */
	CRP_TRY(check_section(s, h, payload, err));
	if ((s->flags & CRPB_CODEC_MASK) == CRPB_CODEC_STORED) {
		*out = payload;
		return CRP_OK;
	}
	if (s->size > c->raw_cap) {
		uint8_t *raw = crp__realloc(&c->alloc, c->raw, s->size);
		if (!raw)
			return fail_at(err, CRP_ENOMEM, s->offset, "out of memory");
		c->raw = raw;
		c->raw_cap = s->size;
	}
	CRP_TRY(decompress(c, s, payload, c->raw, err));
	*out = c->raw;
	return CRP_OK;
}

static int load_schema(core *c, const uint8_t *text, size_t len, uint64_t off, crp_error *err)
{
	crp__crpb_decoder_dispose(&c->dec);
	crp__crpb_schema_free(c->schema);
	c->schema = NULL;
	int rc = crp__crpb_schema_parse(&c->schema, (const char *)text, len, &c->alloc, err);
	if (rc == CRP_OK)
		rc = crp__crpb_decoder_init(&c->dec, c->schema, &c->alloc, &c->lim);
	if (rc == CRP_ENOMEM)
		return fail_at(err, rc, off, "out of memory");
	if (rc != CRP_OK)
		err->byte_offset = off;
	return rc;
}

static int load_builtin_schema(core *c, crp_error *err)
{
	size_t len;
	if (c->schema && c->schema->builtin == c->schema_id)
		return CRP_OK; /* a reused handle: the same schema is already bound */
	const char *text = crp__crpb_builtin_schema(c->schema_id, &len);
	return load_schema(c, (const uint8_t *)text, len, 10, err);
}

/* A report's payload goes straight into its own arena: its strings are used in place. */
static int decode_report(core *c, const sec *s, const uint8_t *h, const uint8_t *payload,
			 crp_report **out, crp_error *err)
{
	uint8_t *buf;
	CRP_TRY(check_section(s, h, payload, err));
	int rc = crp__crpb_report_new(&c->dec, s->size, out, &buf);
	if (rc == CRP_ELIMIT)
		return fail_at(err, rc, s->offset, "report at offset %llu needs more than %zu bytes of memory",
			       (unsigned long long)s->offset, c->lim.max_memory);
	if (rc != CRP_OK)
		return fail_at(err, rc, s->offset, "out of memory");
	crp__error_clear(err);
	rc = decompress(c, s, payload, buf, err);
	if (rc == CRP_OK && crp__crpb_decode(&c->dec, *out, buf, s->size, err) != CRP_OK)
		rc = locate(err, s->offset);
	if (rc != CRP_OK) {
		crp_report_free(*out);
		*out = NULL;
	}
	return rc;
}

/* -- the index (§4) ----------------------------------------------------------------------- */

static bool get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned shift = 0;; shift += 7) {
		if (*p == end)
			return false;
		uint8_t b = *(*p)++;
		if (shift == 63 && b > 1)
			return false;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return b != 0 || shift == 0;
		}
	}
}

typedef struct crpb_index {
	crp_crpb_entry *entries;
	size_t count;
	char *ids;
} crpb_index;

static bool read_entry(const uint8_t **p, const uint8_t *end, crp_crpb_entry *e, char **ids)
{
	uint64_t idlen, form, usec;
	if (!get_varint(p, end, &e->offset) || !get_varint(p, end, &e->size) ||
	    !get_varint(p, end, &idlen) || idlen > (uint64_t)(end - *p) + 1)
		return false;
	e->id = NULL;
	if (idlen) {
		memcpy(*ids, *p, (size_t)idlen - 1);
		(*ids)[idlen - 1] = '\0';
		if (memchr(*ids, 0, (size_t)idlen - 1) ||
		    crp__utf8_valid_prefix((const unsigned char *)*ids, (size_t)idlen - 1) != idlen - 1)
			return false;
		e->id = *ids;
		*ids += idlen;
		*p += idlen - 1;
	}
	if (!get_varint(p, end, &form))
		return false;
	e->has_timestamp = form != 0;
	if (form && ((form > CRP_TIME_EMPTY && form != CRPB_TIME_RAW) || !get_varint(p, end, &usec) ||
		     (form == CRP_TIME_EMPTY && usec != 0)))
		return false;
	e->timestamp.form = (crp_time_form)form;
	e->timestamp.usec = form ? crp__unzigzag(usec) : 0;
	return true;
}

/* Entries in file order, each a whole section between `first` and `limit`. */
static int read_index(core *c, const uint8_t *p, size_t n, uint64_t first, uint64_t limit,
		      uint64_t off, crpb_index *ix, crp_error *err)
{
	const uint8_t *end = p + n;
	uint64_t count;
	if (!get_varint(&p, end, &count) || count > (uint64_t)(end - p) / 4)
		return fail_at(err, CRP_ECORRUPT, off, "index: bad entry count");
	if (count > c->lim.max_items)
		return fail_at(err, CRP_ELIMIT, off, "index: more than %zu reports", c->lim.max_items);
	ix->entries = crp__malloc(&c->alloc, (size_t)count * sizeof *ix->entries + 1);
	ix->ids = crp__malloc(&c->alloc, n + 1);
	if (!ix->entries || !ix->ids)
		return fail_at(err, CRP_ENOMEM, off, "out of memory");
	char *ids = ix->ids;
	uint64_t next = first;
	for (size_t i = 0; i < count; i++) {
		crp_crpb_entry *e = &ix->entries[i];
		if (!read_entry(&p, end, e, &ids) || e->offset < next || e->size < CRPB_SECTION_HEADER_SIZE ||
		    e->size > limit - e->offset || e->offset > limit)
			return fail_at(err, CRP_ECORRUPT, off, "index: entry %zu is malformed", i);
		next = e->offset + e->size;
	}
	if (p != end)
		return fail_at(err, CRP_ECORRUPT, off, "index: bytes after the last entry");
	ix->count = (size_t)count;
	return CRP_OK;
}

static void index_free(core *c, crpb_index *ix)
{
	crp__free(&c->alloc, ix->entries);
	crp__free(&c->alloc, ix->ids);
	memset(ix, 0, sizeof *ix);
}

/* -- an archive in memory ----------------------------------------------------------------- */

struct crp_crpb {
	core c;
	const uint8_t *buf;
	size_t len;
	crpb_index ix;
};

/* The section at `off` that must end by `limit`. */
static int section_at(crp_crpb *a, uint64_t off, uint64_t limit, sec *s, const uint8_t **payload,
		      crp_error *err)
{
	if (off > limit || limit - off < CRPB_SECTION_HEADER_SIZE)
		return fail_at(err, CRP_ECORRUPT, off, "no section at offset %llu", (unsigned long long)off);
	CRP_TRY(read_section_header(&a->c, a->buf + off, off, s, err));
	if (s->stored > limit - off - CRPB_SECTION_HEADER_SIZE)
		return fail_at(err, CRP_ECORRUPT, off, "section at offset %llu runs past its end",
			       (unsigned long long)off);
	*payload = a->buf + off + CRPB_SECTION_HEADER_SIZE;
	return CRP_OK;
}

static int open_index(crp_crpb *a, uint64_t *index_off, crp_error *err)
{
	const uint8_t *foot = a->buf + a->len - CRPB_FOOTER_SIZE, *payload, *p;
	sec s;
	if (memcmp(foot + 4, CRPB_FOOTER_MAGIC, 4) != 0)
		return fail_at(err, CRP_ECORRUPT, a->len - 4, "no footer: the file is truncated or damaged");
	uint64_t size = crp__get_le32(foot), end = a->len - CRPB_FOOTER_SIZE;
	if (size > end - CRPB_HEADER_SIZE)
		return fail_at(err, CRP_ECORRUPT, a->len - CRPB_FOOTER_SIZE, "footer: bad index size");
	*index_off = end - size;
	CRP_TRY(section_at(a, *index_off, end, &s, &payload, err));
	if (s.type != CRPB_SEC_INDEX || CRPB_SECTION_HEADER_SIZE + (uint64_t)s.stored != size)
		return fail_at(err, CRP_ECORRUPT, *index_off, "footer does not point at the index");
	CRP_TRY(open_section(&a->c, &s, a->buf + *index_off, payload, &p, err));
	return read_index(&a->c, p, s.size, CRPB_HEADER_SIZE, *index_off, *index_off, &a->ix, err);
}

static int open_schema(crp_crpb *a, uint64_t limit, crp_error *err)
{
	const uint8_t *payload, *p;
	sec s;
	if (a->c.schema_id)
		return load_builtin_schema(&a->c, err);
	CRP_TRY(section_at(a, CRPB_HEADER_SIZE, limit, &s, &payload, err));
	if (s.type != CRPB_SEC_SCHEMA)
		return fail_at(err, CRP_ECORRUPT, CRPB_HEADER_SIZE, "the schema section must come first");
	CRP_TRY(open_section(&a->c, &s, a->buf + CRPB_HEADER_SIZE, payload, &p, err));
	uint64_t end = CRPB_HEADER_SIZE + CRPB_SECTION_HEADER_SIZE + (uint64_t)s.stored;
	if (a->ix.count && a->ix.entries[0].offset < end)
		return fail_at(err, CRP_ECORRUPT, CRPB_HEADER_SIZE, "index points into the schema");
	return load_schema(&a->c, p, s.size, CRPB_HEADER_SIZE, err);
}

static int open_archive(crp_crpb *a, crp_error *err)
{
	uint64_t index_off = 0;
	if (a->len < CRPB_HEADER_SIZE)
		return fail_at(err, crp_crpb_detect(a->buf, a->len) ? CRP_ETRUNCATED : CRP_ECORRUPT, 0,
			       "not a CRPB file, or cut short");
	CRP_TRY(read_file_header(&a->c, a->buf, err));
	if (a->len < CRPB_HEADER_SIZE + CRPB_SECTION_HEADER_SIZE + CRPB_FOOTER_SIZE)
		return fail_at(err, CRP_ETRUNCATED, a->len, "the file ends before its index");
	CRP_TRY(open_index(a, &index_off, err));
	return open_schema(a, index_off, err);
}

int crp_crpb_reopen(crp_crpb *a, const void *buf, size_t len, crp_error *err)
{
	crp_error local;
	err = err ? err : &local;
	crp__error_clear(err);
	if (!a || (!buf && len))
		return fail_at(err, CRP_EINVAL, 0, "invalid argument");
	index_free(&a->c, &a->ix);
	a->buf = buf;
	a->len = len;
	int rc = open_archive(a, err);
	if (rc != CRP_OK) {
		index_free(&a->c, &a->ix);
		a->buf = NULL;
		a->len = 0;
	}
	return rc;
}

int crp_crpb_open(crp_crpb **out, const void *buf, size_t len, const crp_crpb_options *opts,
		  crp_error *err)
{
	crp_error local;
	err = err ? err : &local;
	crp__error_clear(err);
	if (!out || (!buf && len))
		return fail_at(err, CRP_EINVAL, 0, "invalid argument");
	*out = NULL;
	core c;
	if (core_init(&c, opts) != CRP_OK)
		return fail_at(err, CRP_EINVAL, 0, "unknown options version or bad limits");
	crp_crpb *a = crp__malloc(&c.alloc, sizeof *a);
	if (!a)
		return fail_at(err, CRP_ENOMEM, 0, "out of memory");
	memset(a, 0, sizeof *a);
	a->c = c;
	a->buf = buf;
	a->len = len;
	int rc = open_archive(a, err);
	if (rc != CRP_OK) {
		crp_crpb_close(a);
		return rc;
	}
	*out = a;
	return CRP_OK;
}

size_t crp_crpb_count(const crp_crpb *a)
{
	return a ? a->ix.count : 0;
}

const crp_crpb_entry *crp_crpb_entry_at(const crp_crpb *a, size_t i)
{
	return a && i < a->ix.count ? &a->ix.entries[i] : NULL;
}

static bool matches_entry(const crp_report *r, const crp_crpb_entry *e)
{
	const crp_info *in = &r->body.info;
	bool has_id = (in->has & CRP_INFO_ID) != 0, has_time = (in->has & CRP_INFO_TIMESTAMP) != 0;
	if (has_id != (e->id != NULL) || (has_id && strcmp(in->id, e->id) != 0))
		return false;
	return has_time == e->has_timestamp &&
	       (!has_time || (in->timestamp.form == e->timestamp.form && in->timestamp.usec == e->timestamp.usec));
}

int crp_crpb_read(crp_report **out, crp_crpb *a, size_t i, crp_error *err)
{
	crp_error local;
	const uint8_t *payload;
	sec s;
	err = err ? err : &local;
	crp__error_clear(err);
	if (!out || !a || i >= a->ix.count)
		return fail_at(err, CRP_EINVAL, 0, "invalid argument");
	*out = NULL;
	const crp_crpb_entry *e = &a->ix.entries[i];
	CRP_TRY(section_at(a, e->offset, e->offset + e->size, &s, &payload, err));
	if (s.type != CRPB_SEC_REPORT || CRPB_SECTION_HEADER_SIZE + (uint64_t)s.stored != e->size)
		return fail_at(err, CRP_ECORRUPT, e->offset, "index entry %zu does not point at a report", i);
	CRP_TRY(decode_report(&a->c, &s, a->buf + e->offset, payload, out, err));
	if (!matches_entry(*out, e)) {
		crp_report_free(*out);
		*out = NULL;
		return fail_at(err, CRP_ECORRUPT, e->offset, "report %zu does not match its index entry", i);
	}
	return CRP_OK;
}

void crp_crpb_close(crp_crpb *a)
{
	if (!a)
		return;
	crp_allocator al = a->c.alloc;
	index_free(&a->c, &a->ix);
	core_dispose(&a->c);
	crp__free(&al, a);
}

/* -- a stream ----------------------------------------------------------------------------- */

enum phase { P_HEADER, P_SECTION, P_PAYLOAD, P_FOOTER, P_DONE };

typedef struct seen {
	uint64_t offset, size;
} seen;

struct crp_crpb_stream {
	core c;
	crp_error err;
	enum phase phase;
	uint8_t fixed[CRPB_HEADER_SIZE];  /* file header, section header or footer being gathered */
	size_t fixed_len;
	sec s;
	uint8_t *buf;                     /* payload being gathered */
	size_t buf_len, buf_cap;
	uint64_t offset;                  /* stream offset of the next byte */
	uint64_t sections;                /* sections read so far */
	uint64_t index_size;
	seen *seen;                       /* report sections, checked against the index */
	size_t nseen, seen_cap;
	crp_report **ready;
	size_t ready_head, ready_count, ready_cap;
	bool finished;
};

static int sfail(crp_crpb_stream *s, int code, uint64_t off, const char *msg)
{
	return fail_at(&s->err, code, off, "%s", msg);
}

static bool push(crp_crpb_stream *s, void **arr, size_t *cap, size_t used, size_t elem)
{
	if (used < *cap)
		return true;
	size_t n = *cap ? *cap * 2 : 8;
	void *p = crp__realloc(&s->c.alloc, *arr, n * elem);
	if (!p)
		return false;
	*arr = p;
	*cap = n;
	return true;
}

static int enqueue(crp_crpb_stream *s, crp_report *r)
{
	if (s->ready_head && s->ready_head + s->ready_count == s->ready_cap) {
		memmove(s->ready, s->ready + s->ready_head, s->ready_count * sizeof *s->ready);
		s->ready_head = 0;
	}
	if (!push(s, (void **)&s->ready, &s->ready_cap, s->ready_head + s->ready_count, sizeof *s->ready)) {
		crp_report_free(r);
		return sfail(s, CRP_ENOMEM, s->s.offset, "out of memory");
	}
	s->ready[s->ready_head + s->ready_count++] = r;
	return CRP_OK;
}

static int stream_report(crp_crpb_stream *s, const uint8_t *payload)
{
	crp_report *r;
	if (!push(s, (void **)&s->seen, &s->seen_cap, s->nseen, sizeof *s->seen))
		return sfail(s, CRP_ENOMEM, s->s.offset, "out of memory");
	s->seen[s->nseen++] = (seen){s->s.offset, CRPB_SECTION_HEADER_SIZE + (uint64_t)s->s.stored};
	CRP_TRY(decode_report(&s->c, &s->s, s->fixed, payload, &r, &s->err));
	return enqueue(s, r);
}

/* The index must list exactly the report sections read. */
static int stream_index(crp_crpb_stream *s, const uint8_t *p)
{
	crpb_index ix = {NULL, 0, NULL};
	int rc = read_index(&s->c, p, s->s.size, CRPB_HEADER_SIZE, s->s.offset, s->s.offset, &ix, &s->err);
	if (rc == CRP_OK && ix.count != s->nseen)
		rc = sfail(s, CRP_ECORRUPT, s->s.offset, "index lists another number of reports than the file holds");
	for (size_t i = 0; rc == CRP_OK && i < ix.count; i++)
		if (ix.entries[i].offset != s->seen[i].offset || ix.entries[i].size != s->seen[i].size)
			rc = sfail(s, CRP_ECORRUPT, s->s.offset, "index entry does not match the report sections");
	index_free(&s->c, &ix);
	s->index_size = CRPB_SECTION_HEADER_SIZE + (uint64_t)s->s.stored;
	s->phase = P_FOOTER;
	return rc;
}

static int stream_section(crp_crpb_stream *s, const uint8_t *payload)
{
	const uint8_t *p;
	uint64_t off = s->s.offset;
	bool want_schema = s->c.schema_id == 0 && s->sections == 0;
	s->sections++;
	s->phase = P_SECTION;
	if (want_schema != (s->s.type == CRPB_SEC_SCHEMA))
		return sfail(s, CRP_ECORRUPT, off, want_schema ? "the schema section must come first"
							     : "a schema section where none belongs");
	switch (s->s.type) {
	case CRPB_SEC_REPORT: return stream_report(s, payload);
	case CRPB_SEC_SCHEMA:
		CRP_TRY(open_section(&s->c, &s->s, s->fixed, payload, &p, &s->err));
		return load_schema(&s->c, p, s->s.size, off, &s->err);
	case CRPB_SEC_INDEX:
		CRP_TRY(open_section(&s->c, &s->s, s->fixed, payload, &p, &s->err));
		return stream_index(s, p);
	default:
		CRP_TRY(open_section(&s->c, &s->s, s->fixed, payload, &p, &s->err));
		if (s->s.flags & CRPB_F_REQUIRED)
			return fail_at(&s->err, CRP_EUNSUPPORTED, off, "section at offset %llu has a required type %u unknown to this reader",
				       (unsigned long long)off, s->s.type);
		return CRP_OK; /* an optional section of a later format version */
	}
}

/* Gather up to `want` bytes of a fixed-size part; true when complete. */
static bool gather(crp_crpb_stream *s, size_t want, const uint8_t **p, size_t *n)
{
	size_t k = want - s->fixed_len < *n ? want - s->fixed_len : *n;
	memcpy(s->fixed + s->fixed_len, *p, k);
	s->fixed_len += k;
	*p += k;
	*n -= k;
	s->offset += k;
	if (s->fixed_len < want)
		return false;
	s->fixed_len = 0;
	return true;
}

static int on_section_header(crp_crpb_stream *s)
{
	CRP_TRY(read_section_header(&s->c, s->fixed, s->offset - CRPB_SECTION_HEADER_SIZE, &s->s, &s->err));
	if (s->s.stored > s->buf_cap) {
		uint8_t *b = crp__realloc(&s->c.alloc, s->buf, s->s.stored);
		if (!b)
			return sfail(s, CRP_ENOMEM, s->s.offset, "out of memory");
		s->buf = b;
		s->buf_cap = s->s.stored;
	}
	s->buf_len = 0;
	s->phase = P_PAYLOAD;
	return CRP_OK;
}

static int on_payload(crp_crpb_stream *s, const uint8_t **p, size_t *n)
{
	size_t want = s->s.stored - s->buf_len;
	if (s->buf_len == 0 && *n >= want) { /* the whole payload is in this chunk: no copy */
		const uint8_t *payload = *p;
		*p += want;
		*n -= want;
		s->offset += want;
		return stream_section(s, payload);
	}
	size_t k = want < *n ? want : *n;
	memcpy(s->buf + s->buf_len, *p, k);
	s->buf_len += k;
	*p += k;
	*n -= k;
	s->offset += k;
	return s->buf_len == s->s.stored ? stream_section(s, s->buf) : CRP_OK;
}

static int on_footer(crp_crpb_stream *s)
{
	if (memcmp(s->fixed + 4, CRPB_FOOTER_MAGIC, 4) != 0 || crp__get_le32(s->fixed) != s->index_size)
		return sfail(s, CRP_ECORRUPT, s->offset - CRPB_FOOTER_SIZE, "footer does not match the index");
	s->phase = P_DONE;
	return CRP_OK;
}

static int step(crp_crpb_stream *s, const uint8_t **p, size_t *n)
{
	switch (s->phase) {
	case P_HEADER:
		if (!gather(s, CRPB_HEADER_SIZE, p, n))
			return CRP_OK;
		CRP_TRY(read_file_header(&s->c, s->fixed, &s->err));
		s->phase = P_SECTION;
		return s->c.schema_id ? load_builtin_schema(&s->c, &s->err) : CRP_OK;
	case P_SECTION:
		return gather(s, CRPB_SECTION_HEADER_SIZE, p, n) ? on_section_header(s) : CRP_OK;
	case P_PAYLOAD:
		return on_payload(s, p, n);
	case P_FOOTER:
		return gather(s, CRPB_FOOTER_SIZE, p, n) ? on_footer(s) : CRP_OK;
	case P_DONE:
		return sfail(s, CRP_ECORRUPT, s->offset, "data after the end of the archive");
	}
	return CRP_OK;
}

int crp_crpb_stream_feed(crp_crpb_stream *s, const void *buf, size_t len)
{
	if (!s || (!buf && len))
		return CRP_EINVAL;
	if (s->err.code != CRP_OK)
		return s->err.code;
	if (s->finished)
		return sfail(s, CRP_EINVAL, s->offset, "input fed after crp_crpb_stream_finish");
	const uint8_t *p = buf;
	while (len) {
		int rc = step(s, &p, &len);
		if (rc != CRP_OK)
			return s->err.code != CRP_OK ? s->err.code : sfail(s, rc, s->offset, crp_status_str(rc));
	}
	/* a payload of zero bytes completes without input */
	return s->phase == P_PAYLOAD && s->s.stored == 0 ? stream_section(s, s->buf) : CRP_OK;
}

int crp_crpb_stream_finish(crp_crpb_stream *s)
{
	if (!s)
		return CRP_EINVAL;
	if (s->err.code != CRP_OK)
		return s->err.code;
	s->finished = true;
	if (s->phase == P_HEADER && s->offset == 0)
		return sfail(s, CRP_EEMPTY, 0, "no report in input");
	if (s->phase != P_DONE)
		return fail_at(&s->err, CRP_ETRUNCATED, s->offset, "the archive ends at byte %llu, %s",
			       (unsigned long long)s->offset,
			       s->phase == P_PAYLOAD || (s->phase == P_SECTION && s->fixed_len) ? "inside a section"
												    : "before its index and footer");
	if (s->nseen == 0)
		return sfail(s, CRP_EEMPTY, s->offset, "no report in input");
	return CRP_OK;
}

int crp_crpb_stream_next(crp_crpb_stream *s, crp_report **out)
{
	if (!s || !out)
		return CRP_EINVAL;
	*out = NULL;
	if (s->ready_count == 0)
		return CRP_ITEROVER;
	*out = s->ready[s->ready_head++];
	if (--s->ready_count == 0)
		s->ready_head = 0;
	return CRP_OK;
}

const crp_error *crp_crpb_stream_error(const crp_crpb_stream *s)
{
	return &s->err;
}

int crp_crpb_stream_new(crp_crpb_stream **out, const crp_crpb_options *opts)
{
	core c;
	if (!out)
		return CRP_EINVAL;
	*out = NULL;
	if (core_init(&c, opts) != CRP_OK)
		return CRP_EINVAL;
	crp_crpb_stream *s = crp__malloc(&c.alloc, sizeof *s);
	if (!s)
		return CRP_ENOMEM;
	memset(s, 0, sizeof *s);
	s->c = c;
	*out = s;
	return CRP_OK;
}

void crp_crpb_stream_free(crp_crpb_stream *s)
{
	if (!s)
		return;
	crp_allocator a = s->c.alloc;
	for (size_t i = 0; i < s->ready_count; i++)
		crp_report_free(s->ready[s->ready_head + i]);
	crp__free(&a, s->ready);
	crp__free(&a, s->seen);
	crp__free(&a, s->buf);
	core_dispose(&s->c);
	crp__free(&a, s);
}
