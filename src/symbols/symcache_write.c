/* Writing a symbol cache (schema/symcache-format.md) from an image's index whose units are all
 * built: the index's lookup structures flattened over the address -> unit map, names demangled
 * and paths joined the way answers show them, every string once. */
#include <stdlib.h>

#include <zlib.h>

#include "symcache.h"
#include "symbols_int.h"
#include "symindex_int.h"

typedef struct col {
	uint32_t *v;
	size_t n, cap;
} col;

typedef struct bytes {
	uint8_t *p;
	size_t len, cap;
} bytes;

/* Open addressing over u32 values + 1 (0: empty), keyed by what the caller hashes; each slot
 * keeps its key's hash beside it (one cache line per probe), so growing never hashes again and
 * probes compare keys only on a match. */
typedef struct tslot {
	uint32_t value;
	uint32_t hash;
} tslot;

typedef struct table {
	tslot *e;
	size_t cap, count;
} table;

typedef struct writer {
	crp_allocator a;
	crp_symindex *ix;
	uint64_t base;
	int rc;
	bytes strings;
	table strs;                   /* string offsets, by content */
	col shown, raw, nflags;       /* NAMES */
	const char **raw_of;          /* each name's raw text, while writing */
	bool *need_raw;
	size_t raw_cap;
	table names;                  /* name indexes, by raw text */
	col paths;
	table path_of_string;         /* path indexes, by string offset */
	uint32_t **unit_paths;        /* per unit: path index + 1 per file index (0: not yet) */
	uint8_t *overlaps;            /* per unit: 0 not known, 1 sequences disjoint, 2 overlapping */
	uint32_t *scope_base;         /* per unit: its first global scope */
	col sym_addr, sym_size, sym_name, fs_lo, fs_hi, w_lo, w_scope, l_lo, l_line, l_col, f_lo, f_path;
	bytes scopes, outers;
} writer;

/* -- growable storage -------------------------------------------------------------------- */

static bool fail(writer *w, int rc)
{
	if (w->rc == CRP_OK)
		w->rc = rc;
	return false;
}

/* Arrays double into a new block mapped at once (MADV_POPULATE_WRITE) before the copy: a
 * realloc that copies takes a page fault per page of the copy and of what follows (the bench
 * image's cache: 26,700 faults before, 6,200 with this and the tables mapped so). */
static bool grow(writer *w, void **p, size_t *cap, size_t need, size_t elem)
{
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (n > SIZE_MAX / elem)
		return fail(w, CRP_ENOMEM);
	void *q = crp__malloc(&w->a, n * elem);
	if (!q)
		return fail(w, CRP_ENOMEM);
	crp__ix_prefault(q, n * elem);
	if (*cap)
		memcpy(q, *p, *cap * elem);
	crp__free(&w->a, *p);
	*p = q;
	*cap = n;
	return true;
}

static bool col_push(writer *w, col *c, uint32_t v)
{
	if (CRP_UNLIKELY(c->n == c->cap) && !grow(w, (void **)&c->v, &c->cap, c->n + 1, sizeof *c->v))
		return false;
	c->v[c->n++] = v;
	return true;
}

static bool bytes_put(writer *w, bytes *b, const void *p, size_t n)
{
	if (!n)
		return true;
	if (b->len + n > b->cap && !grow(w, (void **)&b->p, &b->cap, b->len + n, 1))
		return false;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return true;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Eight bytes at a time (names run to hundreds of bytes). Only the tables see it: the file
 * does not depend on it. */
static uint64_t hash_bytes(const char *s, size_t n)
{
	const uint64_t m = UINT64_C(0x9e3779b97f4a7c15);
	uint64_t h = n * m, w;
	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * m;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * m;
	return h ^ (h >> 29);
}

/* Room for at least `want` more entries at half load. Tables start small and double: sized
 * up front from the scopes they were 3 to 6 times what the distinct names need (the bench
 * image: 480,000 names from 720,000 scopes and symbols), and missed the cache more. */
static bool table_reserve(writer *w, table *t, size_t want)
{
	if (2 * (t->count + want) <= t->cap)
		return true;
	size_t cap = t->cap ? t->cap : 1024;
	while (cap < 2 * (t->count + want))
		cap *= 2;
	tslot *e = crp__malloc(&w->a, cap * sizeof *e);
	if (!e)
		return fail(w, CRP_ENOMEM);
	crp__ix_prefault(e, cap * sizeof *e);
	memset(e, 0, cap * sizeof *e);
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->e[i].value)
			continue;
		size_t j = t->e[i].hash & (cap - 1);
		while (e[j].value)
			j = (j + 1) & (cap - 1);
		e[j] = t->e[i];
	}
	crp__free(&w->a, t->e);
	t->e = e, t->cap = cap;
	return true;
}

static void table_put(table *t, size_t i, uint32_t value, uint32_t hash)
{
	t->e[i] = (tslot){value + 1, hash};
	t->count++;
}

/* -- strings, names, paths --------------------------------------------------------------- */

static size_t str_probe(const writer *w, const char *s, size_t n, uint32_t h)
{
	size_t i = h & (w->strs.cap - 1);
	for (; w->strs.e[i].value; i = (i + 1) & (w->strs.cap - 1)) {
		const char *t = (const char *)w->strings.p + w->strs.e[i].value - 1;
		if (w->strs.e[i].hash == h && memcmp(t, s, n) == 0 && t[n] == '\0')
			break;
	}
	return i;
}

/* The offset of s (n bytes) in STRINGS, added when new; NONE when out of memory or space. */
static uint32_t add_string(writer *w, const char *s, size_t n)
{
	if (!table_reserve(w, &w->strs, 1))
		return CRP_SYMCACHE_NONE;
	uint32_t h = (uint32_t)hash_bytes(s, n);
	size_t i = str_probe(w, s, n, h);
	if (w->strs.e[i].value)
		return w->strs.e[i].value - 1;
	if (w->strings.len + n + 1 >= UINT32_MAX - 1)
		return fail(w, CRP_EUNSUPPORTED), CRP_SYMCACHE_NONE;
	uint32_t off = (uint32_t)w->strings.len;
	if (!bytes_put(w, &w->strings, s, n) || !bytes_put(w, &w->strings, "", 1))
		return CRP_SYMCACHE_NONE;
	table_put(&w->strs, i, off, h);
	return off;
}

static size_t name_probe(const writer *w, const char *raw, uint32_t h)
{
	size_t i = h & (w->names.cap - 1);
	while (w->names.e[i].value &&
	       (w->names.e[i].hash != h || strcmp(w->raw_of[w->names.e[i].value - 1], raw) != 0))
		i = (i + 1) & (w->names.cap - 1);
	return i;
}

/* A new NAMES record for raw: shown as answers show it (symbols_answer.c). */
static uint32_t new_name(writer *w, const char *raw)
{
	char buf[CRP_SYMBOLS_NAME_BUF], *big;
	int rc;
	size_t n = crp__symbols_demangle(&w->a, raw, buf, sizeof buf, &big, &rc);
	uint32_t shown = rc != CRP_OK ? (fail(w, rc), CRP_SYMCACHE_NONE)
		       : n ? add_string(w, big ? big : buf, n) : add_string(w, raw, strlen(raw));
	crp__free(&w->a, big);
	if (w->shown.n == w->raw_cap) { /* two arrays of one length */
		size_t cap = w->raw_cap;
		if (!grow(w, (void **)&w->raw_of, &cap, w->shown.n + 1, sizeof *w->raw_of) ||
		    !grow(w, (void **)&w->need_raw, &w->raw_cap, w->shown.n + 1, sizeof *w->need_raw))
			return CRP_SYMCACHE_NONE;
	}
	w->raw_of[w->shown.n] = raw;
	w->need_raw[w->shown.n] = false;
	col_push(w, &w->raw, CRP_SYMCACHE_NONE);
	col_push(w, &w->nflags, crp__symbols_name_flags(raw, n));
	col_push(w, &w->shown, shown);
	return w->rc == CRP_OK ? (uint32_t)w->shown.n - 1 : CRP_SYMCACHE_NONE;
}

/* The NAMES index of raw (NULL: NONE); `outer` marks names an answer may give as linkage. */
static uint32_t name_of(writer *w, const char *raw, bool outer)
{
	if (!raw || w->rc != CRP_OK || !table_reserve(w, &w->names, 1))
		return CRP_SYMCACHE_NONE;
	uint32_t h = (uint32_t)hash_bytes(raw, strlen(raw));
	size_t i = name_probe(w, raw, h);
	uint32_t k = w->names.e[i].value ? w->names.e[i].value - 1 : new_name(w, raw);
	if (k == CRP_SYMCACHE_NONE)
		return k;
	if (!w->names.e[i].value)
		table_put(&w->names, i, k, h);
	w->need_raw[k] |= outer;
	return k;
}

/* The PATHS index of a string offset, added when new. */
static uint32_t path_index(writer *w, uint32_t off)
{
	table *t = &w->path_of_string;
	if (!table_reserve(w, t, 1))
		return CRP_SYMCACHE_NONE;
	uint32_t h = (uint32_t)hash_bytes((const char *)&off, 4);
	size_t i = h & (t->cap - 1);
	while (t->e[i].value && w->paths.v[t->e[i].value - 1] != off)
		i = (i + 1) & (t->cap - 1);
	if (t->e[i].value)
		return t->e[i].value - 1;
	if (!col_push(w, &w->paths, off))
		return CRP_SYMCACHE_NONE;
	table_put(t, i, (uint32_t)w->paths.n - 1, h);
	return (uint32_t)w->paths.n - 1;
}

/* The path of file `file` of unit u as an answer shows it (NONE: none). */
static uint32_t compute_path(writer *w, ix_unitidx *u, uint32_t file)
{
	crp_symindex_frame f = {NULL, NULL, NULL, u, file, 0, 0};
	char buf[1024], *big = NULL;
	size_t n = crp__symindex_path(w->ix, &f, buf, sizeof buf);
	if (!n)
		return CRP_SYMCACHE_NONE;
	if (n >= sizeof buf) {
		if (!(big = crp__malloc(&w->a, n + 1)))
			return fail(w, CRP_ENOMEM), CRP_SYMCACHE_NONE;
		crp__symindex_path(w->ix, &f, big, n + 1);
	}
	uint32_t off = add_string(w, big ? big : buf, n);
	crp__free(&w->a, big);
	return off == CRP_SYMCACHE_NONE ? off : path_index(w, off);
}

static uint32_t path_of(writer *w, ix_unitidx *u, uint32_t file)
{
	if (!u->has_lines || file > u->lines.file_count)
		return compute_path(w, u, file);
	uint32_t **paths = &w->unit_paths[u->unit];
	if (!*paths) {
		size_t n = u->lines.file_count + 1;
		if (!(*paths = crp__malloc(&w->a, n * sizeof **paths)))
			return fail(w, CRP_ENOMEM), CRP_SYMCACHE_NONE;
		memset(*paths, 0, n * sizeof **paths);
	}
	if (!(*paths)[file])
		(*paths)[file] = compute_path(w, u, file) + 1; /* NONE + 1 wraps to 0: asked again */
	return (*paths)[file] - 1;
}

/* -- the maps over addresses ------------------------------------------------------------- */

/* Appends an entry at lo to a (lo, value) map; one at the same address replaces the last, and
 * one like the last adds nothing. */
static void map_push(writer *w, col *lo, col *v, uint64_t at, uint32_t value)
{
	uint32_t off = (uint32_t)(at - w->base);
	if (lo->n && lo->v[lo->n - 1] == off) {
		lo->n--;
		v->n--;
	}
	if (v->n && v->v[v->n - 1] == value)
		return;
	col_push(w, lo, off);
	col_push(w, v, value);
}

static void lines_push(writer *w, uint64_t at, uint32_t line, uint32_t column, uint32_t path)
{
	uint32_t off = (uint32_t)(at - w->base);
	if (w->l_lo.n && w->l_lo.v[w->l_lo.n - 1] == off)
		w->l_lo.n--, w->l_line.n--, w->l_col.n--;
	bool same = w->l_lo.n && w->l_line.v[w->l_line.n - 1] == line && w->l_col.v[w->l_col.n - 1] == column;
	if (!same) {
		col_push(w, &w->l_lo, off);
		col_push(w, &w->l_line, line);
		col_push(w, &w->l_col, column);
	}
	if (column != CRP_SYMCACHE_NONE) /* no location: any file will do, so none is written */
		map_push(w, &w->f_lo, &w->f_path, at, path);
}

/* The location of a row as an answer gives it: none when the row names no file. */
static void row_push(writer *w, ix_unitidx *u, uint64_t at, const ix_row *r)
{
	if (!r || !crp__dwarf_lines_has_file(&u->lines, r->file))
		lines_push(w, at, 0, CRP_SYMCACHE_NONE, CRP_SYMCACHE_NONE);
	else
		lines_push(w, at, r->line, r->column, path_of(w, u, r->file));
}

/* Sequences that do not overlap and rows in address order within each: lines_walk can visit
 * them in order. A line program may go backwards (hostile or broken DWARF); lookups then answer
 * what their binary search finds, which lines_asked reproduces. */
static bool disjoint(const ix_unitidx *u)
{
	for (size_t k = 0; k < u->seq_count; k++) {
		if (k && u->seqs[k].lo < u->seqs[k - 1].hi)
			return false;
		for (size_t r = u->seqs[k].first + 1; r < (size_t)u->seqs[k].first + u->seqs[k].count; r++)
			if (u->rows[r].addr < u->rows[r - 1].addr)
				return false;
	}
	return true;
}

/* Rows of u over [a, b) when its sequences do not overlap: each row visited once. */
static void lines_walk(writer *w, ix_unitidx *u, uint64_t a, uint64_t b)
{
	size_t k = crp__ix_first_seq_after(u, a);
	const ix_seq *s = k < u->seq_count ? &u->seqs[k] : NULL;
	row_push(w, u, a, s && s->lo <= a ? &u->rows[crp__ix_row_in(u, s, a)] : NULL);
	for (; k < u->seq_count && u->seqs[k].lo < b; k++) {
		s = &u->seqs[k];
		size_t r = s->lo <= a ? crp__ix_row_in(u, s, a) + 1 : s->first, last = (size_t)s->first + s->count - 1;
		for (; r < last && u->rows[r].addr < b; r++)
			row_push(w, u, u->rows[r].addr, &u->rows[r]);
		if (s->hi > a && s->hi < b)
			row_push(w, u, s->hi, NULL);
	}
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* Overlapping sequences: the answer changes only at rows and sequence bounds, so it is asked at
 * each of those in [a, b). */
static void lines_asked(writer *w, ix_unitidx *u, uint64_t a, uint64_t b)
{
	size_t n = 1;
	uint64_t *at = crp__malloc(&w->a, (u->row_count + 2 * u->seq_count + 1) * sizeof *at);
	if (!at) {
		fail(w, CRP_ENOMEM);
		return;
	}
	at[0] = a;
	for (size_t r = 0; r < u->row_count; r++)
		if (u->rows[r].addr > a && u->rows[r].addr < b)
			at[n++] = u->rows[r].addr;
	for (size_t k = 0; k < u->seq_count; k++) {
		if (u->seqs[k].lo > a && u->seqs[k].lo < b)
			at[n++] = u->seqs[k].lo;
		if (u->seqs[k].hi > a && u->seqs[k].hi < b)
			at[n++] = u->seqs[k].hi;
	}
	qsort(at, n, sizeof *at, cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (!i || at[i] != at[i - 1])
			row_push(w, u, at[i], crp__ix_find_row(u, at[i]));
	crp__free(&w->a, at);
}

static uint32_t scope_id(const writer *w, const ix_unitidx *u, uint32_t local)
{
	return local == IX_NONE ? CRP_SYMCACHE_IN_UNIT : w->scope_base[u->unit] + local;
}

/* Unit u's scopes over [a, b): its painting, clipped. */
static void where_unit(writer *w, ix_unitidx *u, uint64_t a, uint64_t b)
{
	size_t j = crp__ix_upper(&u->paint.accel, u->paint.lo, sizeof *u->paint.lo, u->paint.count, a);
	map_push(w, &w->w_lo, &w->w_scope, a, scope_id(w, u, j ? u->paint.id[j - 1] : IX_NONE));
	for (; j < u->paint.count && u->paint.lo[j] < b; j++)
		map_push(w, &w->w_lo, &w->w_scope, u->paint.lo[j], scope_id(w, u, u->paint.id[j]));
}

static void maps(writer *w)
{
	const ix_map *cus = &w->ix->cus;
	for (size_t i = 0; i < cus->count && w->rc == CRP_OK; i++) {
		uint64_t a = cus->lo[i], b = i + 1 < cus->count ? cus->lo[i + 1] : UINT64_MAX;
		ix_unitidx *u = cus->id[i] == IX_NONE ? NULL : atomic_load(&w->ix->units[cus->id[i]].idx);
		if (!u) {
			map_push(w, &w->w_lo, &w->w_scope, a, CRP_SYMCACHE_NONE);
			lines_push(w, a, 0, CRP_SYMCACHE_NONE, CRP_SYMCACHE_NONE);
			continue;
		}
		where_unit(w, u, a, b);
		if (!w->overlaps[u->unit])
			w->overlaps[u->unit] = disjoint(u) ? 1 : 2;
		if (w->overlaps[u->unit] == 1)
			lines_walk(w, u, a, b);
		else
			lines_asked(w, u, a, b);
	}
}

/* -- scopes, symbols, starts ------------------------------------------------------------- */

/* Outers are kept wide (32 bytes) while written; narrowed at the end when all fit. */
static void outer_put(writer *w, const ix_scope *s)
{
	uint8_t rec[32] = {0};
	put64(rec, s->entry);
	put64(rec + 8, s->lo);
	put64(rec + 16, s->hi);
	put32(rec + 24, s->flags & (SCOPE_SUBPROGRAM | SCOPE_HAS_RANGES | SCOPE_HAS_ENTRY));
	bytes_put(w, &w->outers, rec, sizeof rec);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* 16-byte outers when every address is within 4 GiB of base; else false. */
static bool narrow_outers(writer *w)
{
	size_t n = w->outers.len / 32;
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < 3; k++) {
			uint64_t a = get64(w->outers.p + 32 * i + 8 * k);
			if (a < w->base || a - w->base > UINT32_MAX)
				return false;
		}
	for (size_t i = 0; i < n; i++) {
		uint8_t rec[16];
		for (int k = 0; k < 3; k++)
			put32(rec + 4 * k, (uint32_t)(get64(w->outers.p + 32 * i + 8 * k) - w->base));
		memcpy(rec + 12, w->outers.p + 32 * i + 24, 4);
		memcpy(w->outers.p + 16 * i, rec, 16);
	}
	w->outers.len = 16 * n;
	return true;
}

/* A chain longer than answers report ends at an inner scope, whose linkage name an answer then
 * gives: a unit with such chains keeps every raw name. */
static bool deep(const ix_unitidx *u)
{
	for (size_t j = 0; j < u->scope_count; j++) {
		size_t d = 0;
		for (uint32_t t = (uint32_t)j; t != IX_NONE && d < CRP_SYMINDEX_MAX_FRAMES; t = u->scopes[t].parent)
			d++;
		if (d == CRP_SYMINDEX_MAX_FRAMES)
			return true;
	}
	return false;
}

static void scope_put(writer *w, ix_unitidx *u, uint32_t j, bool keep_raw)
{
	ix_scope *s = &u->scopes[j];
	bool outer = s->parent == IX_NONE;
	uint8_t rec[20];
	put32(rec, name_of(w, crp__ix_scope_name(w->ix, s), outer || keep_raw));
	put32(rec + 4, outer ? CRP_SYMCACHE_OUTER | (uint32_t)(w->outers.len / 32) : w->scope_base[u->unit] + s->parent);
	put32(rec + 8, outer ? CRP_SYMCACHE_NONE : path_of(w, u, s->call_file));
	put32(rec + 12, outer ? 0 : s->call_line);
	put32(rec + 16, outer ? 0 : s->call_column);
	if (outer)
		outer_put(w, s);
	bytes_put(w, &w->scopes, rec, sizeof rec);
}

static void scopes(writer *w)
{
	uint32_t next = 0;
	for (size_t i = 0; i < w->ix->unit_count; i++) {
		ix_unitidx *u = atomic_load(&w->ix->units[i].idx);
		w->scope_base[i] = next;
		if (u && u->scope_count > (size_t)(CRP_SYMCACHE_OUTER - 1 - next)) {
			fail(w, CRP_EUNSUPPORTED);
			return;
		}
		next += u ? (uint32_t)u->scope_count : 0;
	}
	for (size_t i = 0; i < w->ix->unit_count && w->rc == CRP_OK; i++) {
		ix_unitidx *u = atomic_load(&w->ix->units[i].idx);
		bool keep_raw = u && deep(u);
		for (size_t j = 0; u && j < u->scope_count && w->rc == CRP_OK; j++)
			scope_put(w, u, (uint32_t)j, keep_raw);
	}
}

static bool fits(const writer *w, uint64_t a)
{
	return a >= w->base && a - w->base <= UINT32_MAX;
}

static void symbols(writer *w)
{
	crp_symindex *ix = w->ix;
	for (size_t i = 0; i < ix->sym_count && w->rc == CRP_OK; i++) {
		const ix_sym *s = &ix->syms[i];
		if (!fits(w, s->addr) || s->size > UINT32_MAX) {
			fail(w, CRP_EUNSUPPORTED);
			return;
		}
		col_push(w, &w->sym_addr, (uint32_t)(s->addr - w->base));
		col_push(w, &w->sym_size, (uint32_t)s->size);
		const char *name = crp__ix_sym_name(ix, s);
		col_push(w, &w->sym_name, name_of(w, name[0] ? name : NULL, true));
	}
	for (size_t i = 0; i < ix->fs_count && w->rc == CRP_OK; i++) {
		if (!fits(w, ix->fs_lo[i]) || !fits(w, ix->fs_hi[i])) {
			fail(w, CRP_EUNSUPPORTED);
			return;
		}
		col_push(w, &w->fs_lo, (uint32_t)(ix->fs_lo[i] - w->base));
		col_push(w, &w->fs_hi, (uint32_t)(ix->fs_hi[i] - w->base));
	}
}

/* The lowest address anything starts at, and whether the highest is within 4 GiB of it. */
static bool choose_base(writer *w)
{
	crp_symindex *ix = w->ix;
	uint64_t lo = UINT64_MAX, hi = 0;
	if (ix->cus.count)
		lo = ix->cus.lo[0], hi = ix->cus.lo[ix->cus.count - 1];
	if (ix->sym_count) {
		lo = ix->syms[0].addr < lo ? ix->syms[0].addr : lo;
		hi = ix->syms[ix->sym_count - 1].addr > hi ? ix->syms[ix->sym_count - 1].addr : hi;
	}
	if (ix->fs_count) {
		lo = ix->fs_lo[0] < lo ? ix->fs_lo[0] : lo;
		hi = ix->fs_hi[ix->fs_count - 1] > hi ? ix->fs_hi[ix->fs_count - 1] : hi;
	}
	w->base = lo == UINT64_MAX ? 0 : lo;
	return hi <= w->base || hi - w->base <= UINT32_MAX;
}

/* Raw names are kept only where an answer may give them as a linkage name. */
static void raw_names(writer *w)
{
	for (size_t k = 0; k < w->shown.n && w->rc == CRP_OK; k++)
		if (w->need_raw[k] && (w->nflags.v[k] & CRP_SYM_DEMANGLED))
			w->raw.v[k] = add_string(w, w->raw_of[k], strlen(w->raw_of[k]));
}

/* -- the file ---------------------------------------------------------------------------- */

typedef struct piece {
	const void *p;
	size_t len;
} piece;

typedef struct section {
	uint32_t id, count;
	piece cols[3];
	uint64_t offset, size;
} section;

static void section_set(section *s, uint32_t id, uint32_t count, const void *a, size_t na, const void *b,
			size_t nb, const void *c, size_t nc)
{
	*s = (section){id, count, {{a, na}, {b, nb}, {c, nc}}, 0, na + nb + nc};
}

/* NAMES as records: interleaved from its columns into one buffer, flags in the top bits. */
static bool names_records(writer *w, bytes *out)
{
	if (w->strings.len >= (1u << 30))
		return fail(w, CRP_EUNSUPPORTED);
	for (size_t k = 0; k < w->shown.n; k++) {
		uint8_t rec[8];
		uint32_t f = (w->nflags.v[k] & CRP_SYM_DEMANGLED ? 1u << 30 : 0) | (w->nflags.v[k] & CRP_SYM_SWIFT ? 1u << 31 : 0);
		put32(rec, w->shown.v[k] | f);
		put32(rec + 4, w->raw.v[k]);
		if (!bytes_put(w, out, rec, sizeof rec))
			return false;
	}
	return true;
}

/* A map section: blocks of keys as 16-bit deltas from their block's first key, then values. */
static bool encode_map(writer *w, const col *lo, const col *const *vals, size_t nvals, bytes *out)
{
	size_t n = lo->n, blocks = 0;
	uint8_t head[8] = {0};
	uint32_t first = 0;
	for (size_t i = 0; i < n; i++)
		if (!i || i - first == 256 || lo->v[i] - lo->v[first] > UINT16_MAX)
			blocks++, first = (uint32_t)i;
	put32(head, (uint32_t)blocks);
	bool ok = bytes_put(w, out, head, 8);
	first = 0;
	for (size_t i = 0; ok && i < n; i++)
		if (!i || i - first == 256 || lo->v[i] - lo->v[first] > UINT16_MAX) {
			uint8_t b[8];
			first = (uint32_t)i;
			put32(b, lo->v[i]), put32(b + 4, first);
			ok = bytes_put(w, out, b, 8);
		}
	first = 0;
	for (size_t i = 0; ok && i < n; i++) {
		if (!i || i - first == 256 || lo->v[i] - lo->v[first] > UINT16_MAX)
			first = (uint32_t)i;
		uint8_t d[2] = {(uint8_t)(lo->v[i] - lo->v[first]), (uint8_t)((lo->v[i] - lo->v[first]) >> 8)};
		ok = bytes_put(w, out, d, 2);
	}
	static const uint8_t zeros[2] = {0, 0};
	if (ok && n % 2)
		ok = bytes_put(w, out, zeros, 2);
	for (size_t k = 0; ok && k < nvals; k++)
		for (size_t i = 0; ok && i < n; i++) {
			uint8_t v[4];
			put32(v, vals[k]->v[i]);
			ok = bytes_put(w, out, v, 4);
		}
	return ok;
}

typedef struct encoded {
	bytes names, where, lines, files;
} encoded;

static size_t gather(writer *w, const crp_symcache_sources *src, uint8_t meta[32], section *s, encoded *e)
{
	put32(meta, add_string(w, src->image_name ? src->image_name : "", src->image_name ? strlen(src->image_name) : 0));
	const char *strs[5] = {src->binary_path, src->debug_path, src->answering[0], src->answering[1], src->answering[2]};
	for (int i = 0; i < 5; i++)
		put32(meta + 4 + 4 * i, strs[i] ? add_string(w, strs[i], strlen(strs[i])) : CRP_SYMCACHE_NONE);
	put32(meta + 24, src->flags);
	put32(meta + 28, 0);
	bool wide = false;
	for (size_t i = 0; i < w->l_line.n && !wide; i++)
		wide = w->l_col.v[i] != CRP_SYMCACHE_NONE && (w->l_line.v[i] >= (1u << 20) - 1 || w->l_col.v[i] >= 4096);
	for (size_t i = 0; i < w->l_line.n && !wide; i++) /* narrow: packed in place */
		w->l_line.v[i] = w->l_col.v[i] == CRP_SYMCACHE_NONE ? CRP_SYMCACHE_NONE : w->l_line.v[i] << 12 | w->l_col.v[i];
	const col *wv[1] = {&w->w_scope}, *lv[2] = {&w->l_line, &w->l_col}, *fv[1] = {&w->f_path};
	bool outers_wide = !narrow_outers(w);
	if (!names_records(w, &e->names) || !encode_map(w, &w->w_lo, wv, 1, &e->where) ||
	    !encode_map(w, &w->l_lo, lv, wide ? 2 : 1, &e->lines) || !encode_map(w, &w->f_lo, fv, 1, &e->files))
		return 0;
	size_t n = 0;
	section_set(&s[n++], CRP_SC_STRINGS, 0, w->strings.p, w->strings.len, NULL, 0, NULL, 0);
	section_set(&s[n++], CRP_SC_META, 1, meta, 32, NULL, 0, NULL, 0);
	section_set(&s[n++], CRP_SC_NAMES, (uint32_t)w->shown.n, e->names.p, e->names.len, NULL, 0, NULL, 0);
	section_set(&s[n++], CRP_SC_SYMBOLS, (uint32_t)w->sym_addr.n, w->sym_addr.v, 4 * w->sym_addr.n, w->sym_size.v,
		    4 * w->sym_size.n, w->sym_name.v, 4 * w->sym_name.n);
	section_set(&s[n++], CRP_SC_STARTS, (uint32_t)w->fs_lo.n, w->fs_lo.v, 4 * w->fs_lo.n, w->fs_hi.v, 4 * w->fs_hi.n,
		    NULL, 0);
	section_set(&s[n++], CRP_SC_WHERE, (uint32_t)w->w_lo.n, e->where.p, e->where.len, NULL, 0, NULL, 0);
	section_set(&s[n++], CRP_SC_SCOPES, (uint32_t)(w->scopes.len / 20), w->scopes.p, w->scopes.len, NULL, 0, NULL, 0);
	section_set(&s[n++], CRP_SC_OUTERS, (uint32_t)(w->outers.len / (outers_wide ? 32 : 16)), w->outers.p,
		    w->outers.len, NULL, 0, NULL, 0);
	section_set(&s[n++], CRP_SC_LINES, (uint32_t)w->l_lo.n, e->lines.p, e->lines.len, NULL, 0, NULL, 0);
	section_set(&s[n++], CRP_SC_FILES, (uint32_t)w->f_lo.n, e->files.p, e->files.len, NULL, 0, NULL, 0);
	section_set(&s[n++], CRP_SC_PATHS, (uint32_t)w->paths.n, w->paths.v, 4 * w->paths.n, NULL, 0, NULL, 0);
	return n | (wide ? (size_t)1 << 63 : 0) | (outers_wide ? (size_t)1 << 62 : 0);
}

/* Feeds the data area, block by block, to the block CRCs; or writes it to the sink. */
typedef struct stream {
	uint32_t *crc;
	size_t at;               /* bytes of the data area so far */
	const crp_sink *sink;
	int rc;
} stream;

static void emit(stream *st, const void *p, size_t len)
{
	const uint8_t *b = p;
	while (len && st->rc == CRP_OK) {
		if (st->sink) {
			if (st->sink->write(st->sink->ctx, b, len) != 0)
				st->rc = CRP_EIO;
			st->at += len;
			return;
		}
		size_t blk = st->at / CRP_SYMCACHE_BLOCK, room = CRP_SYMCACHE_BLOCK - st->at % CRP_SYMCACHE_BLOCK;
		size_t n = len < room ? len : room;
		st->crc[blk] = (uint32_t)crc32(st->crc[blk], b, (uInt)n);
		st->at += n, b += n, len -= n;
	}
}

static void emit_data(stream *st, const section *s, size_t n)
{
	static const uint8_t zeros[8] = {0};
	for (size_t i = 0; i < n; i++) {
		emit(st, zeros, (size_t)(s[i].offset - st->at) % 8);
		for (int c = 0; c < 3; c++)
			if (s[i].cols[c].len)
				emit(st, s[i].cols[c].p, s[i].cols[c].len);
	}
}

static void free_encoded(writer *w, encoded *e)
{
	crp__free(&w->a, e->names.p), crp__free(&w->a, e->where.p);
	crp__free(&w->a, e->lines.p), crp__free(&w->a, e->files.p);
}

/* wide: bit 0 WIDE_LINES, bit 1 WIDE_OUTERS (the header's flags). */
static void header(uint8_t h[CRP_SYMCACHE_HEADER_SIZE], const crp_uuid *uuid, int32_t type, int32_t subtype,
		   const crp_symcache_sources *src, uint64_t base, unsigned wide)
{
	memset(h, 0, CRP_SYMCACHE_HEADER_SIZE);
	memcpy(h, CRP_SYMCACHE_MAGIC, CRP_SYMCACHE_MAGIC_SIZE);
	h[8] = CRP_SYMCACHE_MAJOR, h[10] = CRP_SYMCACHE_MINOR;
	put32(h + 12, (wide & 1 ? CRP_SYMCACHE_WIDE_LINES : 0) | (wide & 2 ? CRP_SYMCACHE_WIDE_OUTERS : 0));
	memcpy(h + 16, uuid->bytes, 16);
	put32(h + 32, (uint32_t)type);
	put32(h + 36, (uint32_t)subtype);
	put64(h + 40, base);
	put64(h + 48, src->text_vmaddr);
	put64(h + 56, src->text_vmsize);
	put64(h + 64, src->binary_size);
	put64(h + 72, (uint64_t)src->binary_mtime);
	put64(h + 80, src->debug_size);
	put64(h + 88, (uint64_t)src->debug_mtime);
	put32(h + 116, CRP_SYMBOLS_NAMES_REVISION);
}

static int write_file(writer *w, const crp_uuid *uuid, int32_t type, int32_t subtype,
		      const crp_symcache_sources *src, const crp_sink *sink)
{
	uint8_t meta[32], h[CRP_SYMCACHE_HEADER_SIZE];
	section s[CRP_SC_COUNT];
	encoded e;
	memset(&e, 0, sizeof e);
	size_t gathered = gather(w, src, meta, s, &e), n = gathered & ~((size_t)3 << 62);
	size_t tables = CRP_SYMCACHE_HEADER_SIZE + 24 * n, data = 0;
	for (size_t i = 0; i < n; i++) {
		data = (data + 7) & ~(size_t)7;
		s[i].offset = data;
		data += s[i].size;
	}
	size_t blocks = (data + CRP_SYMCACHE_BLOCK - 1) / CRP_SYMCACHE_BLOCK;
	size_t start = (tables + 4 * blocks + 7) & ~(size_t)7;
	uint32_t *crc = w->rc == CRP_OK ? crp__malloc(&w->a, (blocks ? blocks : 1) * sizeof *crc) : NULL;
	if (w->rc == CRP_OK && !crc)
		fail(w, CRP_ENOMEM);
	if (w->rc != CRP_OK) {
		free_encoded(w, &e);
		return w->rc;
	}
	for (size_t i = 0; i < blocks; i++)
		crc[i] = (uint32_t)crc32(0, Z_NULL, 0);
	stream st = {crc, 0, NULL, CRP_OK};
	emit_data(&st, s, n);
	header(h, uuid, type, subtype, src, w->base,
	       (unsigned)(gathered >> 63 & 1) | (unsigned)(gathered >> 62 & 1) << 1);
	put64(h + 96, start + data);
	put32(h + 104, (uint32_t)n);
	put32(h + 108, CRP_SYMCACHE_BLOCK);
	put32(h + 112, (uint32_t)blocks);
	uint8_t *tab = crp__malloc(&w->a, 24 * n + 4 * blocks + 8);
	if (!tab) {
		crp__free(&w->a, crc), free_encoded(w, &e);
		return fail(w, CRP_ENOMEM), w->rc;
	}
	memset(tab, 0, 24 * n + 4 * blocks + 8);
	for (size_t i = 0; i < n; i++) {
		put32(tab + 24 * i, s[i].id);
		put32(tab + 24 * i + 4, s[i].count);
		put64(tab + 24 * i + 8, start + s[i].offset);
		put64(tab + 24 * i + 16, s[i].size);
		s[i].offset += 0;
	}
	for (size_t i = 0; i < blocks; i++)
		put32(tab + 24 * n + 4 * i, crc[i]);
	uLong hc = crc32(0, h, 124);
	hc = crc32(hc, tab, (uInt)(24 * n + 4 * blocks));
	put32(h + 124, (uint32_t)hc);
	st = (stream){NULL, 0, sink, CRP_OK};
	emit(&st, h, sizeof h);
	emit(&st, tab, start - CRP_SYMCACHE_HEADER_SIZE);
	st.at = 0; /* the data area's own offsets from here */
	emit_data(&st, s, n);
	crp__free(&w->a, tab), crp__free(&w->a, crc), free_encoded(w, &e);
	return st.rc;
}

static void dispose(writer *w)
{
	col *cols[] = {&w->shown, &w->raw, &w->nflags, &w->paths, &w->sym_addr, &w->sym_size, &w->sym_name,
		       &w->fs_lo, &w->fs_hi, &w->w_lo, &w->w_scope, &w->l_lo, &w->l_line, &w->l_col, &w->f_lo,
		       &w->f_path};
	for (size_t i = 0; i < CRP_ARRAY_LEN(cols); i++)
		crp__free(&w->a, cols[i]->v);
	for (size_t i = 0; w->unit_paths && i < w->ix->unit_count; i++)
		crp__free(&w->a, w->unit_paths[i]);
	crp__free(&w->a, w->unit_paths);
	crp__free(&w->a, w->overlaps);
	crp__free(&w->a, w->scope_base);
	crp__free(&w->a, w->strings.p), crp__free(&w->a, w->scopes.p), crp__free(&w->a, w->outers.p);
	table *tables[] = {&w->strs, &w->names, &w->path_of_string};
	for (size_t i = 0; i < CRP_ARRAY_LEN(tables); i++)
		crp__free(&w->a, tables[i]->e);
	crp__free(&w->a, (void *)w->raw_of), crp__free(&w->a, w->need_raw);
}

int crp__symcache_write(struct crp_symindex *ix, const crp_uuid *uuid, int32_t cputype, int32_t cpusubtype,
			const crp_symcache_sources *src, const crp_sink *sink, const crp_allocator *alloc,
			crp_error *err)
{
	writer w;
	memset(&w, 0, sizeof w);
	crp__allocator_init(&w.a, alloc);
	w.ix = ix;
	size_t units = ix->unit_count ? ix->unit_count : 1;
	w.unit_paths = crp__malloc(&w.a, units * sizeof *w.unit_paths);
	w.scope_base = crp__malloc(&w.a, units * sizeof *w.scope_base);
	w.overlaps = crp__malloc(&w.a, units);
	if (!w.unit_paths || !w.scope_base || !w.overlaps)
		fail(&w, CRP_ENOMEM);
	else
		memset(w.unit_paths, 0, units * sizeof *w.unit_paths), memset(w.overlaps, 0, units);
	if (w.rc == CRP_OK && !choose_base(&w))
		fail(&w, CRP_EUNSUPPORTED);
	if (w.rc == CRP_OK && add_string(&w, "", 0) == CRP_SYMCACHE_NONE)
		fail(&w, CRP_ENOMEM);
	if (w.rc == CRP_OK)
		scopes(&w);
	if (w.rc == CRP_OK)
		symbols(&w);
	if (w.rc == CRP_OK)
		maps(&w);
	if (w.rc == CRP_OK)
		raw_names(&w);
	int rc = w.rc == CRP_OK ? write_file(&w, uuid, cputype, cpusubtype, src, sink) : w.rc;
	dispose(&w);
	if (rc != CRP_OK && err)
		crp__error_set(err, rc, "%s",
			       rc == CRP_EUNSUPPORTED ? "the image's addresses spread over more than 4 GiB, or it has too many scopes or strings for a symbol cache"
			       : rc == CRP_EIO ? "cannot write the symbol cache" : crp_status_str(rc));
	return rc;
}
