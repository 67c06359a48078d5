#include "strtab.h"

#define CHUNK (CRP_STRTAB_BLOCK * CRP_STRTAB_CHUNK_BLOCKS)
#define UNKNOWN 0u
#define NONE 1u
#define SOME 2u

int crp__strtab_init(crp_strtab *t, const void *data, size_t size, const crp_allocator *alloc)
{
	memset(t, 0, sizeof *t);
	t->data = data;
	t->size = size;
	if (!size)
		return CRP_OK;
	t->blocks = (size + CRP_STRTAB_BLOCK - 1) / CRP_STRTAB_BLOCK;
	t->chunks = (t->blocks + CRP_STRTAB_CHUNK_BLOCKS - 1) / CRP_STRTAB_CHUNK_BLOCKS;
	t->rest = crp__malloc(alloc, t->blocks + t->chunks);
	if (!t->rest)
		return CRP_ENOMEM;
	for (size_t i = 0; i < t->blocks + t->chunks; i++)
		atomic_init(&t->rest[i], UNKNOWN);
	t->later = t->rest + t->blocks;
	return CRP_OK;
}

void crp__strtab_dispose(crp_strtab *t, const crp_allocator *alloc)
{
	if (t->rest)
		crp__free(alloc, (void *)t->rest);
	t->rest = t->later = NULL;
	t->blocks = t->chunks = 0;
}

static size_t block_len(const crp_strtab *t, size_t b)
{
	size_t start = b * CRP_STRTAB_BLOCK;
	return t->size - start < CRP_STRTAB_BLOCK ? t->size - start : CRP_STRTAB_BLOCK;
}

/* Learns, for every block of chunk c from its end, whether a NUL follows in the chunk. */
static uint8_t read_chunk(const crp_strtab *t, size_t c, size_t from_block)
{
	size_t first = c * CRP_STRTAB_CHUNK_BLOCKS, end = first + CRP_STRTAB_CHUNK_BLOCKS;
	uint8_t seen = NONE;
	for (size_t b = (end < t->blocks ? end : t->blocks); b-- > first;) {
		if (memchr(t->data + b * CRP_STRTAB_BLOCK, 0, block_len(t, b)))
			seen = SOME;
		atomic_store_explicit(&t->rest[b], seen, memory_order_relaxed);
	}
	return atomic_load_explicit(&t->rest[from_block], memory_order_relaxed);
}

/* Is there a NUL at or after the start of block b in its chunk? */
static bool rest_of_chunk(const crp_strtab *t, size_t b)
{
	uint8_t v = atomic_load_explicit(&t->rest[b], memory_order_relaxed);
	if (v == UNKNOWN)
		v = read_chunk(t, b / CRP_STRTAB_CHUNK_BLOCKS, b);
	return v == SOME;
}

/* Is there a NUL in a chunk after c? Walks forward to the first chunk that knows, then
 * remembers the answer in every chunk it passed: each chunk is walked over about once. */
static bool later_chunks(const crp_strtab *t, size_t c)
{
	size_t k = c;
	uint8_t v = UNKNOWN;
	while (k + 1 < t->chunks && (v = atomic_load_explicit(&t->later[k], memory_order_relaxed)) == UNKNOWN) {
		if (rest_of_chunk(t, (k + 1) * CRP_STRTAB_CHUNK_BLOCKS)) {
			v = SOME;
			break;
		}
		k++;
	}
	if (v == UNKNOWN)
		v = NONE; /* k is the last chunk */
	for (size_t i = c; i <= k && i < t->chunks; i++)
		atomic_store_explicit(&t->later[i], v, memory_order_relaxed);
	return v == SOME;
}

const char *crp__strtab_get(const crp_strtab *t, uint64_t off)
{
	if (off >= t->size)
		return NULL;
	size_t b = (size_t)off / CRP_STRTAB_BLOCK, end = b * CRP_STRTAB_BLOCK + block_len(t, b);
	if (memchr(t->data + off, 0, end - (size_t)off))
		return t->data + off;
	size_t next = b + 1;
	if (next >= t->blocks)
		return NULL;
	if (next % CRP_STRTAB_CHUNK_BLOCKS && rest_of_chunk(t, next))
		return t->data + off;
	return later_chunks(t, b / CRP_STRTAB_CHUNK_BLOCKS) ? t->data + off : NULL;
}
