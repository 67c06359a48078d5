/* Reading a symbol cache (schema/symcache-format.md): the header and tables checked at open,
 * every data block checked by CRC the first time a lookup reads it, every index checked before
 * it is followed. A lookup is crp__symindex_lookup() and crp__symbols_answer() over the
 * cache's arrays. */
#include <zlib.h>

#include "symcache.h"
#include "symindex.h"
#include "common/bytes.h"

typedef struct sc_section {
	uint64_t offset, size;
	uint32_t count;
	bool present;
	uint32_t blocks;             /* maps: their key blocks */
	uint64_t values;             /* maps: where their value columns start */
} sc_section;

struct crp_symcache {
	crp_allocator alloc;
	const uint8_t *data;
	size_t size;
	crp_symcache_header h;
	sc_section sec[CRP_SC_COUNT];
	uint64_t start;              /* of the data area */
	size_t blocks;
	const uint8_t *crc;          /* block table */
	_Atomic uint64_t *checked;   /* one bit per block */
};

static int corrupt(crp_error *err, const char *what)
{
	if (err) {
		crp__error_clear(err);
		crp__error_set(err, CRP_ECORRUPT, "damaged symbol cache: %s", what);
	}
	return CRP_ECORRUPT;
}

bool crp__symcache_detect(const void *data, size_t len)
{
	return data && len >= CRP_SYMCACHE_MAGIC_SIZE && memcmp(data, CRP_SYMCACHE_MAGIC, CRP_SYMCACHE_MAGIC_SIZE) == 0;
}

/* -- header and tables ------------------------------------------------------------------- */

static void read_header(crp_symcache_header *h, const uint8_t *p)
{
	h->flags = crp__le32(p + 12);
	memcpy(h->uuid.bytes, p + 16, 16);
	h->cputype = (int32_t)crp__le32(p + 32);
	h->cpusubtype = (int32_t)crp__le32(p + 36);
	h->base = crp__le64(p + 40);
	h->text_vmaddr = crp__le64(p + 48);
	h->text_vmsize = crp__le64(p + 56);
	h->binary_size = crp__le64(p + 64);
	h->binary_mtime = (int64_t)crp__le64(p + 72);
	h->debug_size = crp__le64(p + 80);
	h->debug_mtime = (int64_t)crp__le64(p + 88);
	h->file_size = crp__le64(p + 96);
	h->names_revision = crp__le32(p + 116);
}

/* Where the data area starts, once the header's counts are checked against the bytes. */
static int tables_end(const uint8_t *p, size_t len, uint64_t *start, crp_error *err)
{
	uint32_t n = crp__le32(p + 104), bsize = crp__le32(p + 108), blocks = crp__le32(p + 112);
	if (crp__le64(p + 96) != len)
		return corrupt(err, len < crp__le64(p + 96) ? "cut short" : "longer than its header says");
	if (n > CRP_SYMCACHE_MAX_SECTIONS || bsize != CRP_SYMCACHE_BLOCK)
		return corrupt(err, "header");
	uint64_t tables = CRP_SYMCACHE_HEADER_SIZE + 24 * (uint64_t)n + 4 * (uint64_t)blocks;
	*start = (tables + 7) & ~(uint64_t)7;
	if (*start > len || (len - *start + CRP_SYMCACHE_BLOCK - 1) / CRP_SYMCACHE_BLOCK != blocks)
		return corrupt(err, "block table");
	uLong crc = crc32(0, p, 124);
	crc = crc32(crc, p + CRP_SYMCACHE_HEADER_SIZE, (uInt)(24 * n + 4 * (size_t)blocks));
	if (crc != crp__le32(p + 124))
		return corrupt(err, "header checksum");
	if (crp__le16(p + 8) != CRP_SYMCACHE_MAJOR) { /* checked after the CRC: a damaged one is damage */
		if (err)
			crp__error_set(err, CRP_EUNSUPPORTED, "symbol cache version %u is not known", crp__le16(p + 8));
		return CRP_EUNSUPPORTED;
	}
	return CRP_OK;
}

int crp__symcache_header(crp_symcache_header *out, const void *data, size_t len, crp_error *err)
{
	uint64_t start;
	if (!crp__symcache_detect(data, len) || len < CRP_SYMCACHE_HEADER_SIZE)
		return corrupt(err, "not a symbol cache, or cut short");
	CRP_TRY(tables_end(data, len, &start, err));
	read_header(out, data);
	return CRP_OK;
}

static bool is_map(uint32_t id)
{
	return id == CRP_SC_WHERE || id == CRP_SC_LINES || id == CRP_SC_FILES;
}

/* Record sizes of the known sections: the size a section must have for its count. */
static uint64_t expected_size(const crp_symcache *c, uint32_t id, uint64_t n)
{
	switch (id) {
	case CRP_SC_META: return 32 * n;
	case CRP_SC_NAMES: return 8 * n;
	case CRP_SC_SYMBOLS: return 12 * n;
	case CRP_SC_STARTS: return 8 * n;
	case CRP_SC_SCOPES: return 20 * n;
	case CRP_SC_OUTERS: return (c->h.flags & CRP_SYMCACHE_WIDE_OUTERS ? 32 : 16) * n;
	case CRP_SC_PATHS: return 4 * n;
	default: return UINT64_MAX; /* STRINGS, maps and unknown sections */
	}
}

static bool sound(crp_symcache *c, uint64_t off, uint64_t len);

/* A map's layout: its block count (read now: one block checked), and where values start. */
static bool map_layout(crp_symcache *c, uint32_t id, sc_section *s)
{
	unsigned cols = id == CRP_SC_LINES && (c->h.flags & CRP_SYMCACHE_WIDE_LINES) ? 2 : 1;
	if (s->size < 8 || !sound(c, s->offset, 8))
		return false;
	s->blocks = crp__le32(c->data + s->offset);
	uint64_t keys = 8 + 8 * (uint64_t)s->blocks + ((2 * (uint64_t)s->count + 3) & ~(uint64_t)3);
	s->values = s->offset + keys;
	return s->blocks <= s->count && (s->count == 0) == (s->blocks == 0) &&
	       s->size == keys + 4 * (uint64_t)cols * s->count;
}

static int read_sections(crp_symcache *c, crp_error *err)
{
	uint32_t n = crp__le32(c->data + 104);
	uint64_t prev_end = c->start;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = c->data + CRP_SYMCACHE_HEADER_SIZE + 24 * i;
		uint32_t id = crp__le32(e), count = crp__le32(e + 4);
		uint64_t off = crp__le64(e + 8), size = crp__le64(e + 16), want = expected_size(c, id, count);
		if (off % 8 || off < prev_end || !crp__in_bounds(off, size, c->size))
			return corrupt(err, "section table");
		prev_end = off + size;
		if (id == 0 || id >= CRP_SC_COUNT)
			continue; /* a later minor version's: skipped */
		if (c->sec[id].present || (want != UINT64_MAX && want != size) || (id == CRP_SC_META && count != 1))
			return corrupt(err, "section table");
		c->sec[id] = (sc_section){off, size, count, true, 0, 0};
		if (is_map(id) && !map_layout(c, id, &c->sec[id]))
			return corrupt(err, "a map's layout");
	}
	for (uint32_t id = 1; id < CRP_SC_COUNT; id++)
		if (!c->sec[id].present || (id == CRP_SC_STRINGS && !c->sec[id].size))
			return corrupt(err, "a section is missing");
	return CRP_OK;
}

int crp__symcache_open(crp_symcache **out, const void *data, size_t len, const crp_allocator *alloc,
		       crp_error *err)
{
	crp_allocator a;
	crp__allocator_init(&a, alloc);
	*out = NULL;
	crp_symcache_header h;
	CRP_TRY(crp__symcache_header(&h, data, len, err));
	crp_symcache *c = crp__malloc(&a, sizeof *c);
	if (!c)
		goto oom;
	memset(c, 0, sizeof *c);
	c->alloc = a;
	c->data = data;
	c->size = len;
	c->h = h;
	c->blocks = crp__le32(c->data + 112);
	c->start = (CRP_SYMCACHE_HEADER_SIZE + 24 * (uint64_t)crp__le32(c->data + 104) + 4 * (uint64_t)c->blocks + 7) &
		   ~(uint64_t)7;
	c->crc = c->data + CRP_SYMCACHE_HEADER_SIZE + 24 * (size_t)crp__le32(c->data + 104);
	size_t words = c->blocks / 64 + 1;
	if (!(c->checked = crp__malloc(&a, words * sizeof *c->checked)))
		goto oom;
	for (size_t i = 0; i < words; i++)
		atomic_init(&c->checked[i], 0);
	int rc = read_sections(c, err);
	if (rc != CRP_OK) {
		crp__symcache_close(c);
		return rc;
	}
	*out = c;
	return CRP_OK;
oom:
	crp__free(&a, c);
	if (err)
		crp__error_set(err, CRP_ENOMEM, "out of memory");
	return CRP_ENOMEM;
}

void crp__symcache_close(crp_symcache *c)
{
	if (!c)
		return;
	crp__free(&c->alloc, (void *)c->checked);
	crp__free(&c->alloc, c);
}

const crp_symcache_header *crp__symcache_info(const crp_symcache *c) { return &c->h; }

/* -- checked reads ----------------------------------------------------------------------- */

static CRP_NOINLINE bool check_block(crp_symcache *c, size_t b)
{
	uint64_t at = c->start + (uint64_t)b * CRP_SYMCACHE_BLOCK;
	size_t len = c->size - at < CRP_SYMCACHE_BLOCK ? (size_t)(c->size - at) : CRP_SYMCACHE_BLOCK;
	if ((uint32_t)crc32(0, c->data + at, (uInt)len) != crp__le32(c->crc + 4 * b))
		return false;
	atomic_fetch_or_explicit(&c->checked[b / 64], UINT64_C(1) << (b % 64), memory_order_relaxed);
	return true;
}

/* True when the bytes [off, off + len) of the file are in blocks whose CRC holds. */
static bool sound(crp_symcache *c, uint64_t off, uint64_t len)
{
	size_t first = (size_t)((off - c->start) / CRP_SYMCACHE_BLOCK);
	size_t last = (size_t)((off + len - 1 - c->start) / CRP_SYMCACHE_BLOCK);
	for (size_t b = first; b <= last; b++) {
		uint64_t bit = UINT64_C(1) << (b % 64);
		if (!(atomic_load_explicit(&c->checked[b / 64], memory_order_relaxed) & bit) && !check_block(c, b))
			return false;
	}
	return true;
}

/* Column `col` (of `width` bytes per value) of section id, value i: false when damaged. */
static bool value(crp_symcache *c, int id, unsigned col, unsigned width, size_t i, uint32_t *out)
{
	const sc_section *s = &c->sec[id];
	uint64_t off = s->offset + (uint64_t)col * width * s->count + (uint64_t)i * width;
	if (i >= s->count || !sound(c, off, 4))
		return false;
	*out = crp__le32(c->data + off);
	return true;
}

/* A record field: section id's record i (of `size` bytes), at byte `at` of it. */
static bool field32(crp_symcache *c, int id, unsigned size, size_t i, unsigned at, uint32_t *out)
{
	const sc_section *s = &c->sec[id];
	uint64_t off = s->offset + (uint64_t)i * size + at;
	if (i >= s->count || !sound(c, off, 4))
		return false;
	*out = crp__le32(c->data + off);
	return true;
}

static bool field64(crp_symcache *c, int id, unsigned size, size_t i, unsigned at, uint64_t *out)
{
	uint32_t lo, hi;
	if (!field32(c, id, size, i, at, &lo) || !field32(c, id, size, i, at + 4, &hi))
		return false;
	*out = (uint64_t)hi << 32 | lo;
	return true;
}

/* The string at an offset: NULL when NONE; false when damaged or not terminated. */
static bool string_at(crp_symcache *c, uint32_t off, const char **out)
{
	const sc_section *s = &c->sec[CRP_SC_STRINGS];
	*out = NULL;
	if (off == CRP_SYMCACHE_NONE)
		return true;
	if (off >= s->size)
		return false;
	for (uint64_t at = s->offset + off, end = s->offset + s->size; at < end;) {
		uint64_t blk_end = c->start + ((at - c->start) / CRP_SYMCACHE_BLOCK + 1) * CRP_SYMCACHE_BLOCK;
		uint64_t stop = blk_end < end ? blk_end : end;
		if (!sound(c, at, 1))
			return false;
		if (memchr(c->data + at, 0, (size_t)(stop - at))) {
			*out = (const char *)c->data + s->offset + off;
			return true;
		}
		at = stop;
	}
	return false;
}

/* The number of values of the ascending column 0 of section id that are <= key: the index of
 * the entry covering key, plus one. */
static bool upper(crp_symcache *c, int id, uint64_t key, size_t *out)
{
	size_t lo = 0, hi = c->sec[id].count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t v;
		if (!value(c, id, 0, 4, mid, &v))
			return false;
		if (v <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*out = lo;
	return true;
}

const char *crp__symcache_meta_string(crp_symcache *c, unsigned which)
{
	uint32_t off;
	const char *s;
	return field32(c, CRP_SC_META, 32, 0, 4 * which, &off) && string_at(c, off, &s) ? s : NULL;
}

uint32_t crp__symcache_meta_flags(crp_symcache *c)
{
	uint32_t f;
	return field32(c, CRP_SC_META, 32, 0, 24, &f) ? f : 0;
}

/* -- lookups ----------------------------------------------------------------------------- */

typedef struct look {
	crp_symcache *c;
	uint64_t off;                /* the address, from base */
	crp_symbolication *sym;
	crp_symloc *locs;
	size_t max, count;
	bool truncated;
	uint32_t names[CRP_SYMINDEX_MAX_FRAMES];  /* each frame's NAMES index, named at the end */
	bool has_fn;
	uint64_t fn;
} look;

/* Block b of a map: its first key and first entry. */
static bool map_block(crp_symcache *c, const sc_section *s, size_t b, uint32_t *lo, uint32_t *first)
{
	uint64_t off = s->offset + 8 + 8 * (uint64_t)b;
	if (!sound(c, off, 8))
		return false;
	*lo = crp__le32(c->data + off);
	*first = crp__le32(c->data + off + 4);
	return true;
}

/* The entries of a map whose key is <= key (the covering entry's index + 1). */
static bool map_find(crp_symcache *c, const sc_section *s, uint64_t key, size_t *out)
{
	size_t lo = 0, hi = s->blocks;
	uint32_t blo, first, end = s->count;
	while (lo < hi) { /* the blocks that start at or before key */
		size_t mid = lo + (hi - lo) / 2;
		if (!map_block(c, s, mid, &blo, &first))
			return false;
		if (blo <= key)
			lo = mid + 1;
		else
			hi = mid, end = first;
	}
	*out = 0;
	if (!lo)
		return true;
	if (!map_block(c, s, lo - 1, &blo, &first) || first > end || end > s->count)
		return false;
	uint64_t d = key - blo, deltas = s->offset + 8 + 8 * (uint64_t)s->blocks;
	size_t a = first, b = end;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (!sound(c, deltas + 2 * mid, 2))
			return false;
		if (crp__le16(c->data + deltas + 2 * mid) <= d)
			a = mid + 1;
		else
			b = mid;
	}
	*out = a;
	return true;
}

/* The value covering l->off in a map section (value column col), or `none` before it. */
static bool map_at(look *l, int id, unsigned col, uint32_t none, uint32_t *out)
{
	const sc_section *s = &l->c->sec[id];
	size_t i;
	if (!map_find(l->c, s, l->off, &i))
		return false;
	*out = none;
	if (!i)
		return true;
	uint64_t off = s->values + 4 * ((uint64_t)col * s->count + i - 1);
	if (!sound(l->c, off, 4))
		return false;
	*out = crp__le32(l->c->data + off);
	return true;
}

/* A NAMES entry: shown text, flags, and the raw text when kept. */
static bool name(crp_symcache *c, uint32_t k, const char **shown, const char **raw, unsigned *flags)
{
	uint32_t s, r;
	*shown = *raw = NULL;
	if (k == CRP_SYMCACHE_NONE)
		return true;
	if (!field32(c, CRP_SC_NAMES, 8, k, 0, &s) || !field32(c, CRP_SC_NAMES, 8, k, 4, &r))
		return false;
	*flags |= (s >> 30 & 1 ? CRP_SYM_DEMANGLED : 0) | (s >> 31 ? CRP_SYM_SWIFT : 0);
	return string_at(c, s & ((1u << 30) - 1), shown) && string_at(c, r, raw);
}

static bool path(look *l, uint32_t k, const char **out)
{
	uint32_t off;
	*out = NULL;
	return k == CRP_SYMCACHE_NONE || (value(l->c, CRP_SC_PATHS, 0, 4, k, &off) && string_at(l->c, off, out));
}

/* The location at the address: false when damaged; *has false when there is none. */
static bool location(look *l, crp_symloc *out, bool *has)
{
	uint32_t a, b = 0, p = CRP_SYMCACHE_NONE;
	bool wide = l->c->h.flags & CRP_SYMCACHE_WIDE_LINES;
	*has = false;
	if (!map_at(l, CRP_SC_LINES, 0, CRP_SYMCACHE_NONE, &a) ||
	    (wide && !map_at(l, CRP_SC_LINES, 1, CRP_SYMCACHE_NONE, &b)))
		return false;
	if (wide ? b == CRP_SYMCACHE_NONE : a == CRP_SYMCACHE_NONE)
		return true;
	if (!map_at(l, CRP_SC_FILES, 0, CRP_SYMCACHE_NONE, &p) || !path(l, p, &out->file))
		return false;
	out->line = wide ? a : a >> 12;
	out->column = wide ? b : a & 0xfff;
	*has = true;
	return true;
}

static crp_symloc *next_frame(look *l)
{
	if (l->count == l->max) {
		l->truncated = true;
		return NULL;
	}
	l->names[l->count] = CRP_SYMCACHE_NONE;
	crp_symloc *f = &l->locs[l->count++];
	memset(f, 0, sizeof *f);
	return f;
}

/* Frames from scope s outwards; *outer receives the OUTERS index of the outermost. */
static bool chain(look *l, uint32_t s, uint32_t *outer)
{
	uint32_t rec[5], prev_call[3] = {0, 0, 0};
	bool first = true, has_prev = false;
	for (;;) {
		for (unsigned k = 0; k < 5; k++)
			if (!field32(l->c, CRP_SC_SCOPES, 20, s, 4 * k, &rec[k]))
				return false;
		crp_symloc *f = next_frame(l);
		if (f)
			l->names[l->count - 1] = rec[0];
		bool has = false;
		if (f && first && !location(l, f, &has))
			return false;
		if (f && has_prev && (!path(l, prev_call[0], &f->file)))
			return false;
		if (f && has_prev)
			f->line = prev_call[1], f->column = prev_call[2];
		memcpy(prev_call, rec + 2, sizeof prev_call);
		has_prev = true;
		first = false;
		if (rec[1] & CRP_SYMCACHE_OUTER) {
			*outer = rec[1] & ~CRP_SYMCACHE_OUTER;
			return true;
		}
		if (rec[1] >= s)
			return false; /* parents come first: anything else is damage */
		s = rec[1];
	}
}

/* The symbol covering the address (*has), its address, and its name. */
static bool symbol(look *l, bool *has, uint64_t *addr, uint32_t *name_idx)
{
	size_t i;
	uint32_t a, size;
	*has = false;
	if (!upper(l->c, CRP_SC_SYMBOLS, l->off, &i))
		return false;
	if (!i)
		return true;
	if (!value(l->c, CRP_SC_SYMBOLS, 0, 4, i - 1, &a) || !value(l->c, CRP_SC_SYMBOLS, 1, 4, i - 1, &size) ||
	    !value(l->c, CRP_SC_SYMBOLS, 2, 4, i - 1, name_idx))
		return false;
	*has = !size || l->off - a < size;
	*addr = l->c->h.base + a;
	return true;
}

static bool set_outer_name(look *l, uint32_t name_idx)
{
	l->names[l->count - 1] = name_idx;
	return true;
}

/* Every frame's name, the flags they bring, and the outermost one's linkage name. */
static bool name_frames(look *l, unsigned *flags, const char **linkage)
{
	const char *raw = NULL;
	for (size_t i = 0; i < l->count; i++)
		if (!name(l->c, l->names[i], &l->locs[i].function, &raw, flags))
			return false;
	*linkage = raw;
	return true;
}

static bool outer_record(crp_symcache *c, uint32_t i, uint64_t *entry, uint64_t *lo, uint64_t *hi, uint32_t *flags)
{
	if (c->h.flags & CRP_SYMCACHE_WIDE_OUTERS)
		return field64(c, CRP_SC_OUTERS, 32, i, 0, entry) && field64(c, CRP_SC_OUTERS, 32, i, 8, lo) &&
		       field64(c, CRP_SC_OUTERS, 32, i, 16, hi) && field32(c, CRP_SC_OUTERS, 32, i, 24, flags);
	uint32_t e, a, b;
	if (!field32(c, CRP_SC_OUTERS, 16, i, 0, &e) || !field32(c, CRP_SC_OUTERS, 16, i, 4, &a) ||
	    !field32(c, CRP_SC_OUTERS, 16, i, 8, &b) || !field32(c, CRP_SC_OUTERS, 16, i, 12, flags))
		return false;
	*entry = c->h.base + e, *lo = c->h.base + a, *hi = c->h.base + b;
	return true;
}

/* DWARF knows the function: the symbol renames it only from inside it. */
static bool dwarf_answer(look *l, uint32_t outer, bool has_sym, uint64_t sym_addr, uint32_t sym_name)
{
	uint64_t entry, lo, hi;
	uint32_t flags;
	if (!outer_record(l->c, outer, &entry, &lo, &hi, &flags))
		return false;
	l->sym->source = CRP_SYMSRC_DWARF;
	if (has_sym && (flags & 4) && sym_addr >= lo && sym_addr < hi) {
		if (!l->truncated && !set_outer_name(l, sym_name))
			return false;
		l->fn = sym_addr, l->has_fn = true;
	} else if (flags & (4 | 8)) {
		l->fn = entry, l->has_fn = true;
	}
	return true;
}

/* A function start covering the address: *lo, or *has false. */
static bool start(look *l, bool *has, uint64_t *lo)
{
	size_t i;
	uint32_t a, b;
	*has = false;
	if (!upper(l->c, CRP_SC_STARTS, l->off, &i))
		return false;
	if (!i)
		return true;
	if (!value(l->c, CRP_SC_STARTS, 0, 4, i - 1, &a) || !value(l->c, CRP_SC_STARTS, 1, 4, i - 1, &b))
		return false;
	*has = l->off < b;
	*lo = l->c->h.base + a;
	return true;
}

static bool symbol_answer(look *l, bool has_sym, uint64_t sym_addr, uint32_t sym_name)
{
	bool has_fs;
	uint64_t fs;
	if (!start(l, &has_fs, &fs))
		return false;
	if (has_sym && has_fs && fs > sym_addr)
		has_sym = false; /* the symbol belongs to an earlier function */
	if (!l->count && (has_sym || has_fs))
		next_frame(l);
	if (has_sym) {
		if (!set_outer_name(l, sym_name))
			return false;
		l->fn = sym_addr, l->has_fn = true;
		l->sym->source = l->sym->source == CRP_SYMSRC_NONE ? CRP_SYMSRC_SYMTAB : l->sym->source;
	} else if (has_fs) {
		l->fn = fs, l->has_fn = true;
		l->sym->source = l->sym->source == CRP_SYMSRC_NONE ? CRP_SYMSRC_FUNCTION_STARTS : l->sym->source;
	}
	return true;
}

static bool answer(look *l)
{
	uint32_t w, sym_name = CRP_SYMCACHE_NONE, outer;
	bool has_sym = false, has = false;
	uint64_t sym_addr = 0;
	if (!map_at(l, CRP_SC_WHERE, 0, CRP_SYMCACHE_NONE, &w) || !symbol(l, &has_sym, &sym_addr, &sym_name))
		return false;
	if (w != CRP_SYMCACHE_NONE && w != CRP_SYMCACHE_IN_UNIT)
		return chain(l, w, &outer) && dwarf_answer(l, outer, has_sym, sym_addr, sym_name);
	crp_symloc here;
	memset(&here, 0, sizeof here);
	if (w == CRP_SYMCACHE_IN_UNIT && !location(l, &here, &has))
		return false;
	if (has) {
		*next_frame(l) = here;
		l->sym->source = CRP_SYMSRC_DWARF;
	}
	return symbol_answer(l, has_sym, sym_addr, sym_name);
}

static const char *answering(crp_symcache *c, crp_symbol_source src)
{
	unsigned which = src == CRP_SYMSRC_DWARF ? 3 : src == CRP_SYMSRC_SYMTAB ? 4 : 5;
	return crp__symcache_meta_string(c, which);
}

int crp__symcache_lookup(const crp_symbolication **out, crp_symbolication *sym, crp_symloc *locs,
			 size_t max_locs, crp_symcache *c, uint64_t lookup_addr, uint64_t slide, unsigned flags,
			 uint64_t addr)
{
	look l;
	unsigned name_flags = 0;
	const char *linkage = NULL;
	memset(&l, 0, sizeof l);
	l.c = c, l.sym = sym, l.locs = locs;
	l.max = max_locs < CRP_SYMINDEX_MAX_FRAMES ? max_locs : CRP_SYMINDEX_MAX_FRAMES;
	*out = NULL;
	memset(sym, 0, sizeof *sym);
	if (lookup_addr < c->h.base)
		return CRP_OK;
	l.off = lookup_addr - c->h.base;
	if (!answer(&l) || (l.count && !name_frames(&l, &name_flags, &linkage)))
		return CRP_ECORRUPT;
	if (sym->source == CRP_SYMSRC_NONE || !l.count)
		return CRP_OK;
	sym->linkage_name = linkage;
	sym->image = answering(c, sym->source);
	sym->flags = flags | name_flags;
	sym->lookup_addr = lookup_addr;
	sym->function_addr = l.has_fn ? l.fn + slide : 0;
	sym->offset = sym->function_addr && addr >= sym->function_addr ? addr - sym->function_addr : 0;
	sym->locs = locs;
	sym->count = l.count;
	*out = sym;
	return CRP_OK;
}
