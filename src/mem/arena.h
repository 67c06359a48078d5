/* Bump allocator owning everything a report holds (libgit2 git_pool shape).
 * Build with -DCRP_DEBUG_ARENA to give every allocation its own block, so ASan and valgrind see
 * exact bounds. */
#ifndef CRP_ARENA_H
#define CRP_ARENA_H

#include "common/internal.h"

typedef struct crp_arena_block crp_arena_block;

typedef struct crp_arena {
	crp_allocator alloc;
	crp_arena_block *head;
	unsigned char *cur;
	unsigned char *end;
	size_t used;     /* bytes obtained from the allocator */
	size_t limit;    /* 0: none */
	int failure;     /* CRP_ENOMEM or CRP_ELIMIT once an allocation failed */
	size_t first;    /* size of the first block when the owner knows roughly what it needs */
} crp_arena;

void crp__arena_init(crp_arena *a, const crp_allocator *alloc, size_t limit);
void crp__arena_dispose(crp_arena *a);
/* 8-byte aligned, uninitialised; NULL on failure (see a->failure). */
void *crp__arena_alloc(crp_arena *a, size_t n);
void *crp__arena_calloc(crp_arena *a, size_t n);
void *crp__arena_dup(crp_arena *a, const void *p, size_t n);
/* Copy of n bytes plus a NUL. */
char *crp__arena_strndup(crp_arena *a, const char *s, size_t n);

#endif
