/* The index's lookup structures: bucket-accelerated searches over sorted keys, and the
 * per-unit maps flattened into one address -> (unit, scope) map and one address -> line row
 * map, so a lookup costs two short searches instead of five long ones (random lookups over a
 * large image are bound by cache misses, not by comparisons). */
#include <stdlib.h>

#include "symindex_int.h"

/* -- buckets ----------------------------------------------------------------------------- */

#define KEY(keys, stride, i) (*(const uint64_t *)((const char *)(keys) + (i) * (stride)))

int crp__ix_accel_build(crp_symindex *ix, ix_accel *a, const void *keys, size_t stride, size_t n)
{
	memset(a, 0, sizeof *a);
	if (!n)
		return CRP_OK;
	uint64_t first_key = KEY(keys, stride, 0), span = KEY(keys, stride, n - 1) - first_key;
	unsigned shift = 0;
	while (shift < 63 && (span >> shift) >= 2 * (uint64_t)n)
		shift++; /* at most two buckets per key */
	size_t count = (size_t)(span >> shift) + 1;
	uint32_t *first = crp__malloc(&ix->alloc, (count + 1) * sizeof *first);
	if (!first)
		return CRP_ENOMEM;
	size_t k = 0;
	for (size_t b = 0; b < count; b++) {
		uint64_t start = first_key + ((uint64_t)b << shift);
		while (k < n && KEY(keys, stride, k) < start)
			k++;
		first[b] = (uint32_t)k;
	}
	first[count] = (uint32_t)n;
	*a = (ix_accel){first_key, shift, count, first};
	return CRP_OK;
}

void crp__ix_accel_free(crp_symindex *ix, ix_accel *a)
{
	crp__free(&ix->alloc, a->first);
	memset(a, 0, sizeof *a);
}

size_t crp__ix_upper(const ix_accel *a, const void *keys, size_t stride, size_t n, uint64_t x)
{
	if (!n || x < a->base)
		return 0;
	uint64_t b = (x - a->base) >> a->shift;
	if (b >= a->count)
		return n;
	size_t lo = a->first[b], hi = a->first[b + 1];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (KEY(keys, stride, mid) <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* -- line rows, LLVM's way --------------------------------------------------------------- */

static size_t first_seq_after(const crp_symindex *ix, const ix_unit *u, uint64_t addr)
{
	size_t lo = u->seq_first, hi = (size_t)u->seq_first + u->seq_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->seqs[mid].hi <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The last row at or before addr in seq (its end row excluded). */
static size_t row_in(const crp_symindex *ix, const ix_seq *s, uint64_t addr)
{
	size_t a = s->first + 1, b = s->first + s->count - 1;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (ix->rows[mid].addr <= addr)
			a = mid + 1;
		else
			b = mid;
	}
	return a - 1;
}

const ix_row *crp__ix_find_row(const crp_symindex *ix, const ix_unit *u, uint64_t addr)
{
	size_t k = first_seq_after(ix, u, addr);
	if (k == (size_t)u->seq_first + u->seq_count || ix->seqs[k].lo > addr)
		return NULL;
	return &ix->rows[row_in(ix, &ix->seqs[k], addr)];
}

/* -- flattening -------------------------------------------------------------------------- */

/* Appends an interval start; one at the same address replaces the previous, and an interval
 * like the one before it is not started. */
static int where_push(crp_symindex *ix, uint64_t lo, uint32_t unit, uint32_t scope)
{
	ix_flat *f = &ix->where;
	if (f->count && f->e[f->count - 1].lo == lo)
		f->count--;
	if (f->count && f->e[f->count - 1].unit == unit && f->e[f->count - 1].scope == scope)
		return CRP_OK;
	if (f->count >= IX_MAX_ITEMS)
		return CRP_ELIMIT;
	CRP_TRY(crp__ix_grow(ix, (void **)&f->e, &f->cap, f->count + 1, sizeof *f->e));
	f->e[f->count++] = (ix_where){lo, unit, scope};
	return CRP_OK;
}

/* A row that names no file gives no location (as in LLVM): it is stored as none. */
static int lines_push(crp_symindex *ix, const ix_unit *u, uint64_t lo, uint32_t row)
{
	ix_linemap *l = &ix->lines;
	const ix_row *r = row < IX_SLOW ? &ix->rows[row] : NULL;
	if (r && !crp__dwarf_lines_has_file(&u->lines, r->file))
		row = IX_NONE, r = NULL;
	if (l->count && l->e[l->count - 1].lo == lo)
		l->count--;
	if (l->count && l->e[l->count - 1].row == row && !r)
		return CRP_OK;
	if (l->count >= IX_MAX_ITEMS)
		return CRP_ELIMIT;
	CRP_TRY(crp__ix_grow(ix, (void **)&l->e, &l->cap, l->count + 1, sizeof *l->e));
	l->e[l->count++] = r ? (ix_line){lo, row, r->line, r->file, r->column} : (ix_line){lo, row, 0, 0, 0};
	return CRP_OK;
}

/* Scopes of unit c over [a, b): its painting, clipped. */
static int where_unit(crp_symindex *ix, uint32_t c, uint64_t a, uint64_t b)
{
	const ix_unit *u = &ix->units[c];
	size_t j = u->paint_first, end = (size_t)u->paint_first + u->paint_count, hi = end;
	while (j < hi) { /* the first boundary after a */
		size_t mid = j + (hi - j) / 2;
		if (ix->paint.lo[mid] <= a)
			j = mid + 1;
		else
			hi = mid;
	}
	CRP_TRY(where_push(ix, a, c, j > u->paint_first ? ix->paint.id[j - 1] : IX_NONE));
	for (; j < end && ix->paint.lo[j] < b; j++)
		CRP_TRY(where_push(ix, ix->paint.lo[j], c, ix->paint.id[j]));
	return CRP_OK;
}

/* Sequences sorted by end and not overlapping: then "the first sequence ending after the
 * address" is "the sequence holding it", and rows can be flattened. */
static bool disjoint(const crp_symindex *ix, const ix_unit *u)
{
	for (size_t k = (size_t)u->seq_first + 1; k < (size_t)u->seq_first + u->seq_count; k++)
		if (ix->seqs[k].lo < ix->seqs[k - 1].hi)
			return false;
	return true;
}

/* Rows of unit c over [a, b); `slow` says its sequences overlap. Each row and sequence is
 * visited once per interval it reaches into: linear in the output. */
static int lines_unit(crp_symindex *ix, uint32_t c, bool slow, uint64_t a, uint64_t b)
{
	const ix_unit *u = &ix->units[c];
	if (!u->has_lines || !u->seq_count)
		return lines_push(ix, u, a, IX_NONE);
	if (slow)
		return lines_push(ix, u, a, IX_SLOW);
	size_t k = first_seq_after(ix, u, a), end = (size_t)u->seq_first + u->seq_count;
	const ix_seq *s = k < end ? &ix->seqs[k] : NULL;
	CRP_TRY(lines_push(ix, u, a, s && s->lo <= a ? (uint32_t)row_in(ix, s, a) : IX_NONE));
	for (; k < end && ix->seqs[k].lo < b; k++) {
		s = &ix->seqs[k];
		size_t r = s->lo <= a ? row_in(ix, s, a) + 1 : s->first, last = (size_t)s->first + s->count - 1;
		for (; r < last && ix->rows[r].addr < b; r++)
			CRP_TRY(lines_push(ix, u, ix->rows[r].addr, (uint32_t)r));
		if (s->hi > a && s->hi < b)
			CRP_TRY(lines_push(ix, u, s->hi, IX_NONE));
	}
	return CRP_OK;
}

static void free_map(crp_symindex *ix, ix_map *m)
{
	crp__free(&ix->alloc, m->lo);
	crp__free(&ix->alloc, m->id);
	memset(m, 0, sizeof *m);
}

static int flatten_units(crp_symindex *ix, const bool *slow)
{
	const ix_map *cus = &ix->cus;
	for (size_t i = 0; i < cus->count; i++) {
		uint64_t a = cus->lo[i], b = i + 1 < cus->count ? cus->lo[i + 1] : UINT64_MAX;
		uint32_t c = cus->id[i];
		if (c == IX_NONE) {
			CRP_TRY(where_push(ix, a, IX_NONE, IX_NONE));
			CRP_TRY(lines_push(ix, NULL, a, IX_NONE));
			continue;
		}
		CRP_TRY(where_unit(ix, c, a, b));
		CRP_TRY(lines_unit(ix, c, slow[c], a, b));
	}
	return CRP_OK;
}

int crp__ix_flatten(crp_symindex *ix)
{
	bool *slow = crp__malloc(&ix->alloc, ix->unit_count ? ix->unit_count : 1);
	if (!slow)
		return CRP_ENOMEM;
	for (size_t c = 0; c < ix->unit_count; c++)
		slow[c] = !disjoint(ix, &ix->units[c]);
	int rc = flatten_units(ix, slow);
	crp__free(&ix->alloc, slow);
	CRP_TRY(rc);
	free_map(ix, &ix->paint);
	free_map(ix, &ix->cus);
	CRP_TRY(crp__ix_accel_build(ix, &ix->where.accel, ix->where.e, sizeof *ix->where.e, ix->where.count));
	return crp__ix_accel_build(ix, &ix->lines.accel, ix->lines.e, sizeof *ix->lines.e, ix->lines.count);
}
