#include "arena.h"

struct crp_arena_block {
	crp_arena_block *next;
	size_t size;
	max_align_t data[];
};

#define ARENA_ALIGN 8
#define ARENA_FIRST_BLOCK 4096
#define ARENA_MAX_BLOCK (1u << 20)

void crp__arena_init(crp_arena *a, const crp_allocator *alloc, size_t limit)
{
	memset(a, 0, sizeof *a);
	a->alloc = *alloc;
	a->limit = limit;
}

void crp__arena_dispose(crp_arena *a)
{
	crp_arena_block *b = a->head;
	while (b) {
		crp_arena_block *next = b->next;
		crp__free(&a->alloc, b);
		b = next;
	}
	a->head = NULL;
	a->cur = a->end = NULL;
	a->used = 0;
}

static crp_arena_block *new_block(crp_arena *a, size_t payload)
{
	size_t total = sizeof(crp_arena_block) + payload;
	if (payload > SIZE_MAX / 2 || (a->limit && a->used + total > a->limit)) {
		a->failure = CRP_ELIMIT;
		return NULL;
	}
	crp_arena_block *b = crp__malloc(&a->alloc, total);
	if (!b) {
		a->failure = CRP_ENOMEM;
		return NULL;
	}
	b->size = payload;
	b->next = a->head;
	a->head = b;
	a->used += total;
	return b;
}

#ifdef CRP_DEBUG_ARENA
void *crp__arena_alloc(crp_arena *a, size_t n)
{
	crp_arena_block *b = new_block(a, n);
	return b ? (void *)b->data : NULL;
}
#else
void *crp__arena_alloc(crp_arena *a, size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (CRP_LIKELY(need <= (size_t)(a->end - a->cur))) {
		void *p = a->cur;
		a->cur += need;
		return p;
	}
	/* Big requests get their own block so the current one keeps its free tail. */
	if (need > ARENA_MAX_BLOCK / 4) {
		crp_arena_block *b = new_block(a, need);
		return b ? (void *)b->data : NULL;
	}
	size_t size = a->used < ARENA_FIRST_BLOCK ? ARENA_FIRST_BLOCK : a->used;
	if (!a->used && a->first > size)
		size = a->first; /* may exceed ARENA_MAX_BLOCK: one block instead of a chain */
	if (size > ARENA_MAX_BLOCK)
		size = ARENA_MAX_BLOCK;
	if (size < need)
		size = need;
	crp_arena_block *b = new_block(a, size);
	if (!b)
		return NULL;
	a->cur = (unsigned char *)b->data + need;
	a->end = (unsigned char *)b->data + size;
	return b->data;
}
#endif

void *crp__arena_calloc(crp_arena *a, size_t n)
{
	void *p = crp__arena_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

void *crp__arena_dup(crp_arena *a, const void *p, size_t n)
{
	void *q = crp__arena_alloc(a, n);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

char *crp__arena_strndup(crp_arena *a, const char *s, size_t n)
{
	char *q = crp__arena_alloc(a, n + 1);
	if (q) {
		if (n)
			memcpy(q, s, n);
		q[n] = '\0';
	}
	return q;
}
