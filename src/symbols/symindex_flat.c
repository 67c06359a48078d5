/* The index's search structures: bucket-accelerated searches over sorted keys (random lookups
 * over a large image are bound by cache misses, not by comparisons), and LLVM's search of a
 * unit's line sequences. */
#include "symindex_int.h"

/* -- buckets ----------------------------------------------------------------------------- */

#define KEY(keys, stride, i) (*(const uint64_t *)((const char *)(keys) + (i) * (stride)))

int crp__ix_accel_build(const crp_allocator *alloc, ix_accel *a, const void *keys, size_t stride, size_t n)
{
	memset(a, 0, sizeof *a);
	if (!n)
		return CRP_OK;
	uint64_t first_key = KEY(keys, stride, 0), span = KEY(keys, stride, n - 1) - first_key;
	unsigned shift = 0;
	while (shift < 63 && (span >> shift) >= (uint64_t)n / 2)
		shift++; /* about two keys per bucket */
	size_t count = (size_t)(span >> shift) + 1;
	uint32_t *first = crp__malloc(alloc, (count + 1) * sizeof *first);
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

void crp__ix_accel_free(const crp_allocator *alloc, ix_accel *a)
{
	crp__free(alloc, a->first);
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

size_t crp__ix_first_seq_after(const ix_unitidx *u, uint64_t addr)
{
	return crp__ix_upper(&u->seq_accel, u->seqs, sizeof *u->seqs, u->seq_count, addr);
}

size_t crp__ix_row_in(const ix_unitidx *u, const ix_seq *s, uint64_t addr)
{
	size_t a = s->first + 1, b = s->first + s->count - 1;
	while (a < b) {
		size_t mid = a + (b - a) / 2;
		if (u->rows[mid].addr <= addr)
			a = mid + 1;
		else
			b = mid;
	}
	return a - 1;
}

const ix_row *crp__ix_find_row(const ix_unitidx *u, uint64_t addr)
{
	size_t k = crp__ix_first_seq_after(u, addr);
	if (k == u->seq_count || u->seqs[k].lo > addr)
		return NULL;
	return &u->rows[crp__ix_row_in(u, &u->seqs[k], addr)];
}
