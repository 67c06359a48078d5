/* A stack of fixed-size items in chained blocks whose addresses never move, so a record can be
 * filled in place while nested arrays push above it. Regions are copied out to the arena when
 * their container closes; blocks are kept for reuse across reports. */
#ifndef CRP_SCRATCH_H
#define CRP_SCRATCH_H

#include "common/internal.h"

typedef struct crp_scratch_block crp_scratch_block;

typedef struct crp_scratch_mark {
	crp_scratch_block *block;
	size_t used;
} crp_scratch_mark;

typedef struct crp_scratch {
	crp_allocator alloc;
	crp_scratch_block *first;
	crp_scratch_block *cur;
	size_t limit;    /* bytes of blocks; 0: none */
	size_t total;
	int failure;
} crp_scratch;

void crp__scratch_init(crp_scratch *s, const crp_allocator *alloc, size_t limit);
void crp__scratch_dispose(crp_scratch *s);
struct crp_scratch_block {
	crp_scratch_block *prev;
	crp_scratch_block *next;
	size_t cap;
	size_t used;
	max_align_t data[];
};

static inline crp_scratch_mark crp__scratch_mark(const crp_scratch *s)
{
	crp_scratch_mark m = {s->cur, s->cur ? s->cur->used : 0};
	return m;
}
/* crp__scratch_push when the current block is full (or there is none). */
void *crp__scratch_push_slow(crp_scratch *s, size_t size);
/* Zeroed item of `size` bytes (8-aligned); NULL on failure (see s->failure). Inline: called
 * for every array element and register, mostly with a constant size, so the zeroing becomes
 * a few stores instead of a memset call. */
static inline void *crp__scratch_push(crp_scratch *s, size_t size)
{
	size = (size + 7) & ~(size_t)7;
	crp_scratch_block *b = s->cur;
	if (CRP_UNLIKELY(!b || b->cap - b->used < size))
		return crp__scratch_push_slow(s, size);
	void *p = (unsigned char *)b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}
void crp__scratch_pop(crp_scratch *s, crp_scratch_mark m);
/* Undo the last push of `size` bytes. */
static inline void crp__scratch_pop_last(crp_scratch *s, size_t size)
{
	s->cur->used -= (size + 7) & ~(size_t)7;
}
/* Copy every byte pushed since `m` to dst (which holds `size_since` bytes). */
void crp__scratch_copy(const crp_scratch *s, crp_scratch_mark m, void *dst);
size_t crp__scratch_size_since(const crp_scratch *s, crp_scratch_mark m);

#endif
