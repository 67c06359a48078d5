#include "scratch.h"

#define SCRATCH_BLOCK (16u * 1024)

void crp__scratch_init(crp_scratch *s, const crp_allocator *alloc, size_t limit)
{
	memset(s, 0, sizeof *s);
	s->alloc = *alloc;
	s->limit = limit;
}

void crp__scratch_dispose(crp_scratch *s)
{
	crp_scratch_block *b = s->first;
	while (b) {
		crp_scratch_block *next = b->next;
		crp__free(&s->alloc, b);
		b = next;
	}
	s->first = s->cur = NULL;
	s->total = 0;
}

static crp_scratch_block *next_block(crp_scratch *s, size_t need)
{
	crp_scratch_block *b = s->cur ? s->cur->next : s->first;
	if (b && b->cap >= need) {
		b->used = 0;
		return b;
	}
	size_t cap = need > SCRATCH_BLOCK ? need : SCRATCH_BLOCK;
	if (s->limit && s->total + cap > s->limit) {
		s->failure = CRP_ELIMIT;
		return NULL;
	}
	crp_scratch_block *nb = crp__malloc(&s->alloc, sizeof *nb + cap);
	if (!nb) {
		s->failure = CRP_ENOMEM;
		return NULL;
	}
	s->total += cap;
	nb->cap = cap;
	nb->used = 0;
	nb->prev = s->cur;
	/* A too-small spare block after cur is unlinked and freed: blocks stay ordered. */
	nb->next = b ? b->next : NULL;
	if (b) {
		if (b->next)
			b->next->prev = nb;
		s->total -= b->cap;
		crp__free(&s->alloc, b);
	}
	if (s->cur)
		s->cur->next = nb;
	else
		s->first = nb;
	return nb;
}

void *crp__scratch_push_slow(crp_scratch *s, size_t size)
{
	crp_scratch_block *b = next_block(s, size);
	if (!b)
		return NULL;
	s->cur = b;
	void *p = (unsigned char *)b->data + b->used;
	b->used += size;
	memset(p, 0, size);
	return p;
}

void crp__scratch_pop(crp_scratch *s, crp_scratch_mark m)
{
	if (!m.block) {
		/* Mark taken before anything was pushed: rewind to the first block. */
		s->cur = s->first;
		if (s->cur)
			s->cur->used = 0;
		return;
	}
	s->cur = m.block;
	s->cur->used = m.used;
}

static crp_scratch_block *start_of(const crp_scratch *s, crp_scratch_mark m, size_t *off)
{
	if (m.block) {
		*off = m.used;
		return m.block;
	}
	*off = 0;
	return s->first;
}

size_t crp__scratch_size_since(const crp_scratch *s, crp_scratch_mark m)
{
	size_t off, n = 0;
	for (crp_scratch_block *b = start_of(s, m, &off); b; b = b->next, off = 0) {
		n += b->used - off;
		if (b == s->cur)
			break;
	}
	return n;
}

void crp__scratch_copy(const crp_scratch *s, crp_scratch_mark m, void *dst)
{
	size_t off;
	unsigned char *out = dst;
	for (crp_scratch_block *b = start_of(s, m, &off); b; b = b->next, off = 0) {
		size_t n = b->used - off;
		if (n) {
			memcpy(out, (unsigned char *)b->data + off, n);
			out += n;
		}
		if (b == s->cur)
			break;
	}
}
