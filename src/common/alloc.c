#include <stdlib.h>

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
