/* A stable sort of (key, position) pairs for the emitters' image indexes. */
#include "internal.h"

/* One stable counting pass of an LSD radix sort: v to out by the key byte at `shift`. */
static void radix_pass(const crp_sort_key *v, crp_sort_key *out, size_t n, unsigned shift)
{
	size_t at[256] = {0};
	for (size_t i = 0; i < n; i++)
		at[(v[i].key >> shift) & 0xff]++;
	for (size_t b = 0, sum = 0; b < 256; b++) {
		size_t c = at[b];
		at[b] = sum;
		sum += c;
	}
	for (size_t i = 0; i < n; i++)
		out[at[(v[i].key >> shift) & 0xff]++] = v[i];
}

/* An LSD radix sort over only the bytes in which the keys differ: four or five for the ~800
 * images of an iOS report (page-aligned, sharing their top bytes). A comparison sort of those
 * shuffled addresses spent its time in mispredicted branches; this has none. */
void crp__sort_keys(crp_sort_key *v, crp_sort_key *tmp, size_t n)
{
	uint64_t any = 0, all = UINT64_MAX;
	for (size_t i = 0; i < n; i++) {
		any |= v[i].key;
		all &= v[i].key;
	}
	crp_sort_key *from = v, *to = tmp;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		if (!(((any ^ all) >> shift) & 0xff))
			continue; /* every key has the same byte here */
		radix_pass(from, to, n, shift);
		crp_sort_key *t = from;
		from = to;
		to = t;
	}
	if (from != v)
		memcpy(v, from, n * sizeof *v);
}
