/* The per-image symbol index: built from a Mach-O symbol table, LC_FUNCTION_STARTS and DWARF,
 * answering address lookups with binary searches over compact sorted arrays. The symbol table,
 * the function starts and the DWARF unit directory are read when the index is built; a
 * compile unit's DIEs and line program the first time a lookup lands in it (a crash report
 * touches a few units of an image with thousands).
 *
 * Lookups reproduce llvm-symbolizer 14 (the reference the tests compare with) for every address
 * of a well-formed image:
 *   - the compile unit is chosen by .debug_aranges, else by the unit DIE's ranges (on overlap the
 *     unit with the lowest offset wins);
 *   - within it, the innermost subprogram / inlined_subroutine DIE whose ranges cover the address
 *     (later DIEs win on overlap) gives the inline chain, innermost first, up to the subprogram;
 *   - the innermost frame's location comes from the unit's line table (the last row at or
 *     before the address, in the sequence that covers it); outer frames take the DW_AT_call_*
 *     of the frame inside them;
 *   - the outermost name is replaced by the symbol-table name when a symbol covers the address
 *     (symbols are sized up to the next symbol or the end of their section, as LLVM does), but,
 *     unlike LLVM, only when that symbol starts inside the DWARF function: a stripped binary's
 *     preceding symbol never renames a function the debug information knows;
 *   - with no debug information, a symbol covers an address only if no LC_FUNCTION_STARTS entry
 *     lies between them; an address in a function no symbol names is answered by its function
 *     start alone.
 * Names are returned raw (linkage name, else name; symbol names without Mach-O's leading '_'):
 * demangling is the caller's business.
 *
 * Once built, an index may be used by many threads at once. What lookups fill in lazily (unit
 * indexes, function names read from DWARF, the slots below, per-unit path tables) is filled
 * once under a lock and published with release stores: a lookup whose answer is already
 * cached takes no lock. Unit indexes may be dropped again (crp__symindex_unit_take()) by an
 * owner that makes sure no lookup still uses them before it releases them. */
#ifndef CRP_SYMINDEX_H
#define CRP_SYMINDEX_H

#include <stdatomic.h>

#include "macho/dwarf.h"
#include "macho/macho.h"

#define CRP_SYMINDEX_MAX_FRAMES 128u  /* inline chain depth reported; deeper chains are cut */

typedef struct crp_symindex crp_symindex;

/* Where the index takes each part from (any may be NULL; they must outlive the index). */
typedef struct crp_symindex_sources {
	const crp_macho *symtab;   /* symbol table: a dSYM's is complete, a stripped binary's is not */
	const crp_macho *starts;   /* LC_FUNCTION_STARTS: only binaries carry them */
	const crp_macho *dwarf;    /* __DWARF sections: the dSYM (or a binary built with them) */
} crp_symindex_sources;

/* What went into an index when it was built (units come later, one by one). */
typedef struct crp_symindex_stats {
	size_t units;             /* compile units in the DWARF */
	size_t symbols;
	size_t function_starts;
	size_t bytes;             /* memory held by the image level */
} crp_symindex_stats;

/* What the index tells its owner, which keeps the memory cap (symbols.c). All may be NULL. */
typedef struct crp_symindex_hooks {
	void *ctx;
	/* A unit index is about to be built; then it was (`unit` NULL: it failed), `bytes` big,
	 * not yet published: the owner may drop others to make room. `stepped_out`: the lookup
	 * building it holds no unit index (build_begin was called). */
	void (*unit_building)(void *ctx);
	void (*unit_built)(void *ctx, crp_symindex *ix, const void *unit, size_t bytes, bool stepped_out);
	/* Names, paths or slots added to a unit index or to the index's own level after they
	 * were built: `bytes` more. */
	void (*unit_grew)(void *ctx, size_t bytes);
	/* Read by every lookup into a unit's last_used (least recently used first out). */
	const _Atomic uint64_t *clock;
	/* Around a unit build in crp__symindex_lookup(), with the reader it was given: from begin
	 * to end the lookup holds no unit index (the index itself it holds). */
	void (*build_begin)(void *ctx, void *reader);
	void (*build_end)(void *ctx, void *reader);
	/* The DWARF file's read-only mapping, NULL when it is not one: a released unit's DWARF
	 * pages inside it leave the resident set (MADV_DONTNEED; read again if needed). */
	const uint8_t *mapped;
	size_t mapped_size;
	/* Window indexes a unit gets before it is indexed whole (0: whole at once). */
	unsigned max_windows;
} crp_symindex_hooks;

int crp__symindex_build(crp_symindex **out, const crp_symindex_sources *src,
			const crp_allocator *alloc, const crp_symindex_hooks *hooks,
			crp_symindex_stats *stats, crp_error *err);
/* Frees the index and every unit index it still holds (not those taken out of it). */
void crp__symindex_free(crp_symindex *ix);

/* Units, for an owner choosing what to drop: how many, and of unit i whether it is built,
 * its bytes and when it was last used. */
size_t crp__symindex_unit_count(const crp_symindex *ix);
bool crp__symindex_unit_peek(const crp_symindex *ix, size_t i, size_t *bytes, uint64_t *last_used);
/* Unpublishes unit i's index (the next lookup there builds it again) and returns it, or NULL
 * when it is not built. Lookups that already hold it may still read it: release it with
 * crp__symindex_unit_release() only once they are done (its DWARF pages then leave the
 * resident set, when hooks.mapped says where they are). */
void *crp__symindex_unit_take(crp_symindex *ix, size_t i, size_t *bytes);
void crp__symindex_unit_release(crp_symindex *ix, void *unit);
/* Builds every unit now (for a symbol cache), with up to `threads` threads (the caller's one
 * of them; fewer when they cannot be started): CRP_OK or CRP_ENOMEM / CRP_ELIMIT. */
int crp__symindex_build_all(crp_symindex *ix, unsigned threads);
/* Bytes the unit indexes hold now, and how many units were built since the index was. */
size_t crp__symindex_unit_bytes(const crp_symindex *ix);
size_t crp__symindex_units_built(const crp_symindex *ix);
/* Bytes the index holds now: its own level (grown by names since), and its published units. */
size_t crp__symindex_held(const crp_symindex *ix);
/* Bytes a unit index taken out holds (what releasing it frees). */
size_t crp__symindex_unit_size(const void *unit);

/* A place the index keeps for its user to store what it derives from a name or a file (a
 * demangled name, a joined path), so that is done once per index, not once per lookup. Filled
 * once by crp__symindex_slot_fill(); `text` is stored last (release) so a reader that sees it
 * also sees `flags`. */
typedef struct crp_symindex_slot {
	_Atomic(const char *) text;  /* NULL: not filled yet */
	unsigned flags;
} crp_symindex_slot;

/* One frame of an answer. */
typedef struct crp_symindex_frame {
	const char *name;    /* raw name, NULL when unknown */
	crp_symindex_slot *name_slot;  /* NULL when name is */
	void *name_unit;     /* the unit index holding name_slot; NULL: the image level holds it */
	void *unit;          /* the unit index, for paths; NULL: no file */
	uint32_t file;       /* file index in that unit's line table */
	uint32_t line;
	uint32_t column;
} crp_symindex_frame;

typedef struct crp_symindex_result {
	crp_symbol_source source;   /* CRP_SYMSRC_NONE: nothing known about the address */
	uint64_t function_addr;     /* file address of the outermost function (or symbol) start */
	bool has_function_addr;
	uint64_t symbol_size;       /* of the symbol that named the function, 0 if none */
	bool truncated;             /* the inline chain was longer than CRP_SYMINDEX_MAX_FRAMES */
	size_t count;
	crp_symindex_frame frames[CRP_SYMINDEX_MAX_FRAMES];  /* innermost first */
} crp_symindex_result;

/* Look up a file (vm) address; safe from several threads at once (res is the caller's;
 * `reader`, the caller's state, is passed to the build hooks).
 * Returns CRP_OK (res->source says whether anything was found) or CRP_ENOMEM. */
int crp__symindex_lookup(crp_symindex *ix, uint64_t addr, crp_symindex_result *res, void *reader);

/* The slot of a frame's file in *out (NULL when the frame has no file). CRP_OK or CRP_ENOMEM. */
int crp__symindex_path_slot(crp_symindex_slot **out, crp_symindex *ix, const crp_symindex_frame *f);

/* The text of a filled slot (or looked-up name) that holds nothing: NULL means "not filled
 * yet". */
extern const char crp__symindex_nothing[];

/* What a slot holds: false while it is not filled; *text may be NULL ("nothing"). No lock:
 * this is every lookup's path once names are cached, so it is inline. */
static inline bool crp__symindex_slot_get(const crp_symindex_slot *slot, const char **text, unsigned *flags)
{
	const char *t = atomic_load_explicit(&slot->text, memory_order_acquire);
	if (!t)
		return false;
	*text = t == crp__symindex_nothing ? NULL : t;
	*flags = slot->flags;
	return true;
}

/* Fills a slot unless another thread did first; *out_text / *out_flags receive what it holds
 * either way. `text` (NULL: nothing) is copied into the index when `copy` (len bytes; it then
 * lives as long as `owner`, the unit index holding the slot, or the index when NULL), else kept as is
 * (it points into a symbol file, which outlives the index). CRP_OK or CRP_ENOMEM. */
int crp__symindex_slot_fill(crp_symindex *ix, void *owner, crp_symindex_slot *slot,
			    const char *text, size_t len, bool copy, unsigned flags, const char **out_text,
			    unsigned *out_flags);

/* The path of a frame's file, LLVM style (absolute when the unit has a comp_dir). Same
 * contract as snprintf; 0 when the frame has no file. */
size_t crp__symindex_path(const crp_symindex *ix, const crp_symindex_frame *f, char *out,
			  size_t cap);

#endif
