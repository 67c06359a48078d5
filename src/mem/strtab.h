/* NUL-terminated strings in an untrusted table, found in bounded time: an index of the first
 * NUL at or after every 256-byte block (built in one pass) limits each look-up to scanning
 * the rest of one block. Without it, many names pointing into one long unterminated run would
 * cost the run's length each: quadratic on a crafted file. */
#ifndef CRP_STRTAB_H
#define CRP_STRTAB_H

#include "common/internal.h"

#define CRP_STRTAB_BLOCK 256u

typedef struct crp_strtab {
	const char *data;
	size_t size;
	size_t *nul;      /* per block: offset of the first NUL at or after it, or SIZE_MAX */
	size_t blocks;
} crp_strtab;

/* Index `size` bytes at `data` (which must outlive the table). CRP_OK or CRP_ENOMEM. */
int crp__strtab_init(crp_strtab *t, const void *data, size_t size, const crp_allocator *alloc);
void crp__strtab_dispose(crp_strtab *t, const crp_allocator *alloc);
/* The string at `off`, or NULL when off is outside the table or no NUL follows it. */
const char *crp__strtab_get(const crp_strtab *t, uint64_t off);

#endif
