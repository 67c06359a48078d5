/* Private model of a Breakpad symbol file, shared by breakpad.c (inputs, API), breakpad_dwarf.c
 * (functions, inlines, lines from DWARF) and breakpad_write.c (symbols, ordering, output).
 *
 * Everything is collected first and written last, so a damaged input never leaves half a file
 * in the sink. Tables are indexed by uint32_t; strings live in one arena. */
#ifndef CRP_BREAKPAD_INT_H
#define CRP_BREAKPAD_INT_H

#include "mem/arena.h"
#include "macho/dwarf.h"
#include "macho/macho.h"
#include "crashport/breakpad.h"

#define BP_NONE UINT32_MAX
#define BP_MAX_ITEMS (UINT32_MAX / 2)   /* per table: indexes stay in uint32_t */
#define BP_MAX_NAME 4096u               /* longest qualified or demangled name built */

typedef struct bp_range {
	uint64_t lo, hi;
} bp_range;

typedef struct bp_func {
	uint64_t addr;                 /* lowest range start */
	const char *name;
	uint32_t range_first, range_count;
	uint32_t inline_first, inline_count;  /* set by bp_finish */
	uint32_t line_first, line_count;      /* set by bp_finish */
	bool dropped;                  /* same address and name as an earlier one */
	bool multiple;                 /* CRP_BREAKPAD_MULTIPLE: others share the address */
} bp_func;

typedef struct bp_inline {
	uint32_t func;                 /* owning function */
	uint32_t seq;                  /* creation order: depth-first within a function */
	uint32_t level;                /* 0: directly in the function */
	uint32_t origin;               /* index into origins */
	uint32_t call_file;            /* index into files, or BP_NONE */
	uint64_t call_line;
	uint32_t range_first, range_count;
} bp_inline;

typedef struct bp_line {
	uint64_t addr, size;
	uint32_t line;
	uint32_t file;                 /* index into files */
	uint32_t func;
	uint32_t seq;
} bp_line;

typedef struct bp_public {
	uint64_t addr;
	const char *name;
	uint32_t seq;                  /* symbol table order: the first at an address wins */
	bool multiple;
} bp_public;

/* Interned strings: index by string, then ids in byte order of the strings used. */
typedef struct bp_names {
	const char **str;
	uint32_t *id;                  /* BP_NONE until used, then 0 (marked), then the final id */
	size_t count, cap;
	uint32_t *slots;               /* open addressing: index + 1; 0 empty */
	size_t slot_cap;
	uint32_t *order;               /* by id: index of the name (after bp_finish) */
	size_t used;
} bp_names;

/* An offset -> index cache (inline origins by DIE offset). */
typedef struct bp_u64map {
	uint64_t *key;
	uint32_t *val;                 /* index + 1; 0 empty */
	size_t count, cap;
} bp_u64map;

typedef struct bp_dump {
	crp_allocator alloc;
	crp_arena strings;
	crp_error *err;
	unsigned flags;
	uint64_t base;                 /* __TEXT vmaddr: addresses are written relative to it */
	size_t budget;                 /* output records still allowed (linear in the input) */
	bp_range *ranges;
	size_t range_count, range_cap;
	bp_func *funcs;
	size_t func_count, func_cap;
	bp_inline *inlines;
	size_t inline_count, inline_cap;
	bp_line *lines;
	size_t line_count, line_cap;
	bp_public *publics;
	size_t public_count, public_cap;
	bp_names files, origins;
	bp_u64map origin_cache;
	char *namebuf;                 /* BP_MAX_NAME bytes: demangling and qualification */
	size_t units_damaged;
} bp_dump;

/* breakpad_write.c */
/* Demangles a Swift name into b->namebuf when the options ask for Swift names demangled. */
bool crp__bp_demangle_swift(bp_dump *b, const char *name);
int crp__bp_init(bp_dump *b, const crp_allocator *alloc, unsigned flags, uint64_t base,
		 size_t input_bytes, crp_error *err);
void crp__bp_dispose(bp_dump *b);
int crp__bp_grow(bp_dump *b, void **p, size_t *cap, size_t need, size_t elem);
int crp__bp_oom(bp_dump *b);
void crp__bp_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
int crp__bp_limit(bp_dump *b, const char *what);
int crp__bp_intern(bp_dump *b, bp_names *t, const char *s, uint32_t *out);
/* The symbol table's entries as PUBLIC candidates. */
int crp__bp_add_symbols(bp_dump *b, const crp_macho *m);
/* Orders and deduplicates, drops covered symbols, numbers files and origins. */
int crp__bp_finish(bp_dump *b);
int crp__bp_write(bp_dump *b, const crp_sink *sink, crp_breakpad_module *mod);

/* breakpad_dwarf.c: functions, inlines and lines of every unit of the image's DWARF. */
int crp__bp_add_dwarf(bp_dump *b, const crp_macho *m);

#endif
