#include "strtab.h"

int crp__strtab_init(crp_strtab *t, const void *data, size_t size, const crp_allocator *alloc)
{
	memset(t, 0, sizeof *t);
	t->data = data;
	t->size = size;
	if (!size)
		return CRP_OK;
	t->blocks = (size + CRP_STRTAB_BLOCK - 1) / CRP_STRTAB_BLOCK;
	t->nul = crp__malloc(alloc, t->blocks * sizeof *t->nul);
	if (!t->nul)
		return CRP_ENOMEM;
	size_t next = SIZE_MAX;
	for (size_t b = t->blocks; b-- > 0;) {
		size_t start = b * CRP_STRTAB_BLOCK, len = size - start < CRP_STRTAB_BLOCK ? size - start : CRP_STRTAB_BLOCK;
		const char *z = memchr(t->data + start, 0, len);
		next = z ? (size_t)(z - t->data) : next;
		t->nul[b] = next;
	}
	return CRP_OK;
}

void crp__strtab_dispose(crp_strtab *t, const crp_allocator *alloc)
{
	if (t->nul)
		crp__free(alloc, t->nul);
	t->nul = NULL;
	t->blocks = 0;
}

const char *crp__strtab_get(const crp_strtab *t, uint64_t off)
{
	if (off >= t->size)
		return NULL;
	size_t b = (size_t)off / CRP_STRTAB_BLOCK, end = (b + 1) * CRP_STRTAB_BLOCK;
	if (end > t->size)
		end = t->size;
	if (memchr(t->data + off, 0, end - (size_t)off))
		return t->data + off;
	return b + 1 < t->blocks && t->nul[b + 1] != SIZE_MAX ? t->data + off : NULL;
}
