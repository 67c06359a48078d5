/* NUL-terminated strings in an untrusted table, found in bounded time. A string is accepted
 * when a NUL follows it somewhere in the table. Looking that up naively costs the length of
 * the run to the next NUL: quadratic when a crafted file points many names into one long
 * unterminated run. So the table is read in blocks of 256 bytes and chunks of 16 KiB, and
 * what is learnt about them (is there a NUL in the rest of this chunk, from this block on? in
 * any later chunk?) is kept: a lookup scans at most the rest of one block and looks at one
 * remembered fact per chunk, once. The facts are learnt when first needed, so opening a table
 * costs nothing (a dSYM's strings are tens of megabytes; a crash touches a few hundred). Safe
 * from several threads at once: facts are idempotent and stored atomically. */
#ifndef CRP_STRTAB_H
#define CRP_STRTAB_H

#include <stdatomic.h>

#include "common/internal.h"

#define CRP_STRTAB_BLOCK 256u
#define CRP_STRTAB_CHUNK_BLOCKS 64u

typedef struct crp_strtab {
	const char *data;
	size_t size;
	size_t blocks, chunks;
	/* per block, once its chunk is read: 2 when a NUL lies at or after the block's start
	 * in its chunk, 1 when none does; 0 until the chunk is read */
	_Atomic uint8_t *rest;
	/* per chunk: 2 when a NUL lies in a later chunk, 1 when none does, 0 unknown */
	_Atomic uint8_t *later;
} crp_strtab;

/* Index `size` bytes at `data` (which must outlive the table). CRP_OK or CRP_ENOMEM. */
int crp__strtab_init(crp_strtab *t, const void *data, size_t size, const crp_allocator *alloc);
void crp__strtab_dispose(crp_strtab *t, const crp_allocator *alloc);
/* The string at `off`, or NULL when off is outside the table or no NUL follows it. */
const char *crp__strtab_get(const crp_strtab *t, uint64_t off);

#endif
