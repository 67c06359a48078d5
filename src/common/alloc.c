#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "internal.h"

static void *default_malloc(void *ctx, size_t n)
{
	CRP_UNUSED(ctx);
	return malloc(n ? n : 1);
}

static void *default_realloc(void *ctx, void *p, size_t n)
{
	CRP_UNUSED(ctx);
	return realloc(p, n ? n : 1);
}

static void default_free(void *ctx, void *p)
{
	CRP_UNUSED(ctx);
	free(p);
}

void crp__allocator_init(crp_allocator *dst, const crp_allocator *src)
{
	if (src && src->malloc && src->realloc && src->free) {
		*dst = *src;
		return;
	}
	dst->malloc = default_malloc;
	dst->realloc = default_realloc;
	dst->free = default_free;
	dst->ctx = NULL;
}

void crp__allocator_give_back(const crp_allocator *a)
{
#ifdef __GLIBC__
	if (a->free == default_free)
		malloc_trim(0); /* free pages inside the heap too, not only its top */
#else
	CRP_UNUSED(a);
#endif
}
