/* Private layout of the symbol index, shared by symindex*.c.
 *
 * Two levels. The image level is built at once and is small: the symbol table, function
 * starts, the DWARF context (unit headers and unit DIEs) and the address -> unit map. The unit
 * level is built the first time a lookup lands in the unit: its subroutine scopes painted into
 * address intervals, and its line rows. A unit index is published with a release store and
 * read without a lock; with a memory cap it may be dropped again (symbols_int.h says when it
 * is freed). */
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
	uint32_t call_file, call_line, call_column;
	uint8_t flags;
} ix_scope;

typedef struct ix_row {
	uint64_t addr;
	uint32_t line;
	uint16_t file;
	uint16_t column;
} ix_row;

/* A line sequence: rows[first .. first + count) where the last row is its end. The end comes
 * first: sequences are searched by it. */
typedef struct ix_seq {
	uint64_t hi, lo;
	uint32_t first, count;
} ix_seq;

/* Buckets over a sorted key array: first[b] is the first key >= base + (b << shift), so a
 * search looks at one bucket's keys (a cache line or two) instead of the whole array. */
typedef struct ix_accel {
	uint64_t base;
	unsigned shift;
	size_t count;
	uint32_t *first;        /* count + 1 entries */
} ix_accel;

/* Sorted, non-overlapping intervals: [lo[i], lo[i + 1]) maps to id[i] (IX_NONE: a gap). */
typedef struct ix_map {
	uint64_t *lo;
	uint32_t *id;
	size_t count, cap;
	ix_accel accel;
} ix_map;

/* One unit's index: what lookups in it need. Scopes are in DIE order, so the painting's
 * "a later DIE wins" is "a higher scope number wins". */
typedef struct ix_unitidx {
	uint32_t unit;
	ix_scope *scopes;
	size_t scope_count, scope_cap;
	ix_map paint;           /* innermost scope per address interval */
	ix_seq *seqs;           /* sorted by hi */
	size_t seq_count, seq_cap;
	ix_accel seq_accel;
	ix_row *rows;
	size_t row_count, row_cap;
	crp_dwarf_lines lines;
	bool has_lines;
	bool damaged;
	crp_arena strings;      /* slot texts that are copies (demangled names, joined paths) */
	_Atomic(crp_symindex_slot *) paths; /* per file index, allocated on first use */
	size_t path_count;                  /* set before paths is published */
	_Atomic size_t bytes;   /* memory held (grows as names and paths are copied in) */
	_Atomic uint64_t last_used;
	bool partial;           /* a window index: it answers [cov_lo, cov_hi) only */
	uint64_t cov_lo, cov_hi;
	struct ix_unitidx *older;  /* what it replaced: kept (a lookup may hold it) until freed */
} ix_unitidx;

#define IX_WHOLE UINT64_MAX     /* crp__ix_build_unit(): the whole unit */

typedef struct ix_unit {
	_Atomic(ix_unitidx *) idx;  /* NULL until built (or after it was dropped) */
	unsigned windows;       /* window indexes built so far (under build_lock) */
	bool building;          /* a thread builds its index (under build_lock) */
	const char *comp_dir;
	bool indexable;
	bool read_once;         /* `budget` holds what the first reading drew */
	crp_dwarf_budget budget;
} ix_unit;

typedef struct ix_sym {
	uint64_t addr, size;    /* addr first: searched as the key */
	uint32_t strx;          /* its name in the symbol table's strings: crp__ix_sym_name() */
} ix_sym;

/* A symbol's name, its leading '_' removed; "" when it has none. */
const char *crp__ix_sym_name(const crp_symindex *ix, const ix_sym *s);

/* Symbols' slots come in chunks allocated when a lookup first names a symbol of the chunk: an
 * image has hundreds of thousands of symbols, a crash report names a few. */
#define IX_SLOT_CHUNK 1024u

struct crp_symindex {
	crp_allocator alloc;
	const crp_macho *symtab;       /* the symbols' source (it outlives the index): their names */
	crp_symindex_hooks hooks;
	/* Taken only to fill what lookups cache (scope names, slots, path tables, `strings`). */
	pthread_mutex_t lock;
	/* Who builds which unit: held only to claim a unit or publish it, never while building,
	 * so builds of distinct units never wait for each other (striped unit locks made two
	 * threads building units 16 apart take turns). */
	pthread_mutex_t build_lock;
	pthread_cond_t built;   /* a build ended: its waiters look again */
	bool locks_ready;
	crp_arena strings;      /* slot texts of symbol-table names */
	crp_dwarf *dwarf;
	ix_unit *units;
	size_t unit_count;
	ix_map cus;             /* address -> unit */
	ix_sym *syms;
	_Atomic(crp_symindex_slot *) *sym_slots;  /* per IX_SLOT_CHUNK symbols; NULL until used */
	size_t sym_count;
	ix_accel sym_accel;
	uint64_t *fs_lo, *fs_hi;  /* function starts and where each ends */
	size_t fs_count;
	ix_accel fs_accel;
	_Atomic size_t units_built;    /* statistics */
	_Atomic size_t unit_bytes;     /* held by unit indexes now */
	_Atomic size_t own_bytes;      /* held by the index's own level, names and slots included */
	crp_symindex_stats stats;
};

/* A range to paint: where ranges overlap, the highest prio wins. */
typedef struct ix_range {
	uint64_t lo, hi;
	uint64_t prio;
	uint32_t id;
} ix_range;

/* Maps the pages of [p, p + len) at once when it is large (an array about to be written): each
 * page faulted in alone costs a trap, and a third of a 200,000-address run went to page faults
 * on a virtual machine. Best effort: an old kernel refuses and the pages fault as before. */
void crp__ix_prefault(void *p, size_t len);
/* For an array filled from the front whose room is reserved by an estimate (most of it may
 * never be written: it is not prefaulted at once): `used` bytes are about to be written, and
 * bytes up to *front are mapped; maps the next megabyte or more, within `cap` bytes. */
void crp__ix_touch(void *base, size_t used, size_t cap, size_t *front);
/* Room for `need` elements (doubling); when an array that had room grows, the new room is mapped. */
int crp__ix_grow(const crp_allocator *a, void **p, size_t *cap, size_t need, size_t elem);
/* Appends the painting of r[0..n) to m (r is reordered). */
int crp__ix_paint(const crp_allocator *a, ix_range *r, size_t n, ix_map *m);
void crp__ix_map_free(const crp_allocator *a, ix_map *m);
/* Room for n intervals in all, mapped (an estimate the caller will mostly fill). */
int crp__ix_map_reserve(const crp_allocator *a, ix_map *m, size_t n);
/* Appends the interval starting at lo. CRP_OK, CRP_ENOMEM or CRP_ELIMIT. */
int crp__ix_map_push(const crp_allocator *a, ix_map *m, uint64_t lo, uint32_t id);
/* The id of the interval holding x, or IX_NONE. */
uint32_t crp__ix_map_find(const ix_map *m, uint64_t x);

/* The raw name of a scope (read from DWARF on first use), or NULL. */
const char *crp__ix_scope_name(crp_symindex *ix, ix_scope *s);

/* symindex_flat.c */
/* Keys are the first uint64_t of elements `stride` bytes apart. */
int crp__ix_accel_build(const crp_allocator *alloc, ix_accel *a, const void *keys, size_t stride, size_t n);
void crp__ix_accel_free(const crp_allocator *alloc, ix_accel *a);
/* The first index whose key is > x (n when none). */
size_t crp__ix_upper(const ix_accel *a, const void *keys, size_t stride, size_t n, uint64_t x);
/* The row of the unit for addr (LLVM's sequence search), or NULL. */
const ix_row *crp__ix_find_row(const ix_unitidx *u, uint64_t addr);
/* The last row at or before addr in seq (its end row excluded). */
size_t crp__ix_row_in(const ix_unitidx *u, const ix_seq *s, uint64_t addr);
/* The first sequence (sorted by end) ending after addr. */
size_t crp__ix_first_seq_after(const ix_unitidx *u, uint64_t addr);

int crp__ix_build_symtab(crp_symindex *ix, const crp_macho *m);
int crp__ix_build_starts(crp_symindex *ix, const crp_macho *m, crp_error *err);
/* The DWARF context and the address -> unit map (symindex_dwarf.c). */
int crp__ix_build_dwarf(crp_symindex *ix, const crp_macho *m, crp_error *err);
/* One unit's index (symindex_unit.c), whole (addr IX_WHOLE) or a window around addr: CRP_OK
 * (damage is recorded in it), CRP_ENOMEM or CRP_ELIMIT. */
int crp__ix_build_unit(crp_symindex *ix, uint32_t unit, uint64_t addr, ix_unitidx **out);
void crp__ix_unit_free(crp_symindex *ix, ix_unitidx *u);

#endif
