/* Private layout of the symbol index, shared by symindex*.c. */
#ifndef CRP_SYMINDEX_INT_H
#define CRP_SYMINDEX_INT_H

#include <pthread.h>

#include "mem/arena.h"
#include "symindex.h"

#define IX_NONE UINT32_MAX
#define IX_MAX_ITEMS (UINT32_MAX - 1u)  /* every table is indexed by uint32_t */

#define SCOPE_SUBPROGRAM 0x01u
#define SCOPE_HAS_RANGES 0x04u
#define SCOPE_HAS_ENTRY 0x08u   /* entry is the DIE's low_pc or entry_pc */

typedef struct ix_scope {
	uint64_t die;           /* DIE offset, for resolving the name on first use */
	uint64_t entry;         /* function start (low_pc, else entry_pc, else lowest range) */
	uint64_t lo, hi;        /* bounding box of its ranges */
	_Atomic(const char *) name;  /* NULL until looked up (see scope_name()) */
	crp_symindex_slot slot;
	uint32_t parent;        /* enclosing scope of an inlined subroutine, else IX_NONE */
	uint32_t unit;
	uint32_t call_file, call_line, call_column;
	uint8_t flags;
} ix_scope;

typedef struct ix_row {
	uint64_t addr;
	uint32_t line;
	uint16_t file;
	uint16_t column;
} ix_row;

/* A line sequence: rows[first .. first + count) where the last row is its end. */
typedef struct ix_seq {
	uint64_t lo, hi;
	uint32_t first, count;
} ix_seq;

typedef struct ix_unit {
	crp_dwarf_lines lines;
	bool has_lines;
	const char *comp_dir;
	uint32_t seq_first, seq_count;     /* sorted by hi */
	uint32_t paint_first, paint_count; /* innermost scope per address interval */
	_Atomic(crp_symindex_slot *) paths; /* per file index, allocated on first use */
	size_t path_count;                  /* set before paths is published */
} ix_unit;

typedef struct ix_sym {
	uint64_t addr, size;
	const char *name;       /* leading '_' removed */
	crp_symindex_slot slot;
} ix_sym;

/* Buckets over a sorted key array: first[b] is the first key >= base + (b << shift), so a
 * search looks at one bucket's keys (a cache line or two) instead of the whole array. */
typedef struct ix_accel {
	uint64_t base;
	unsigned shift;
	size_t count;
	uint32_t *first;        /* count + 1 entries */
} ix_accel;

/* What the lookups use, flattened once the units are indexed: for every address, the unit
 * (by the unit map) and the innermost scope (by that unit's painting); and the line row that
 * applies (IX_NONE: none; IX_SLOW: the unit's sequences overlap, search them). */
#define IX_SLOW (UINT32_MAX - 1u)
typedef struct ix_where {
	uint64_t lo;
	uint32_t unit, scope;
} ix_where;

typedef struct ix_line {
	uint64_t lo;
	uint32_t row;           /* IX_NONE, IX_SLOW, or the row whose place follows */
	uint32_t line;
	uint16_t file, column;
} ix_line;

typedef struct ix_flat {
	ix_where *e;
	size_t count, cap;
	ix_accel accel;
} ix_flat;

typedef struct ix_linemap {
	ix_line *e;
	size_t count, cap;
	ix_accel accel;
} ix_linemap;

/* Sorted, non-overlapping intervals: [lo[i], lo[i + 1]) maps to id[i] (IX_NONE: a gap). */
typedef struct ix_map {
	uint64_t *lo;
	uint32_t *id;
	size_t count, cap;
} ix_map;

struct crp_symindex {
	crp_allocator alloc;
	/* Taken only to fill what lookups cache (scope names, slots, path tables, `strings`): the
	 * DWARF context it reads them from is not thread-safe. */
	pthread_mutex_t lock;
	bool lock_ready;
	crp_arena strings;      /* slot texts that are copies */
	crp_dwarf *dwarf;
	ix_unit *units;
	size_t unit_count;
	ix_scope *scopes;
	size_t scope_count, scope_cap;
	ix_map paint;           /* per-unit partitions (while building) */
	ix_map cus;             /* address -> unit (while building) */
	ix_flat where;
	ix_linemap lines;
	ix_seq *seqs;
	size_t seq_count, seq_cap;
	ix_row *rows;
	size_t row_count, row_cap;
	ix_sym *syms;
	uint64_t *sym_addr;       /* the symbols' addresses, for searching */
	size_t sym_count;
	ix_accel sym_accel;
	uint64_t *fs_lo, *fs_hi;  /* function starts and where each ends */
	size_t fs_count;
	ix_accel fs_accel;
	crp_symindex_stats stats;
};

/* A range to paint: where ranges overlap, the highest prio wins. */
typedef struct ix_range {
	uint64_t lo, hi;
	uint64_t prio;
	uint32_t id;
} ix_range;

int crp__ix_grow(crp_symindex *ix, void **p, size_t *cap, size_t need, size_t elem);
/* Appends the painting of r[0..n) to m (r is reordered). */
int crp__ix_paint(crp_symindex *ix, ix_range *r, size_t n, ix_map *m);

/* symindex_flat.c */
/* Keys are the first uint64_t of elements `stride` bytes apart. */
int crp__ix_accel_build(crp_symindex *ix, ix_accel *a, const void *keys, size_t stride, size_t n);
void crp__ix_accel_free(crp_symindex *ix, ix_accel *a);
/* The first index whose key is > x (n when none). */
size_t crp__ix_upper(const ix_accel *a, const void *keys, size_t stride, size_t n, uint64_t x);
/* Builds ix->where and ix->lines from the per-unit maps, then frees those. */
int crp__ix_flatten(crp_symindex *ix);
/* The row of `unit` for addr the slow way (LLVM's sequence search), or NULL. */
const ix_row *crp__ix_find_row(const crp_symindex *ix, const ix_unit *u, uint64_t addr);

int crp__ix_build_symtab(crp_symindex *ix, const crp_macho *m);
int crp__ix_build_starts(crp_symindex *ix, const crp_macho *m, crp_error *err);
int crp__ix_build_dwarf(crp_symindex *ix, const crp_macho *m, crp_error *err);

#endif
