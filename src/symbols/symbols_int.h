/* Private layout of the symbolicator, shared by symbols.c (files, images, lookups),
 * symbols_cache.c (symbol caches), symbols_evict.c (the memory cap) and symbolicate.c (reports).
 *
 * Sharing: files are added by one thread; after that the handle is read-only except for state
 * filled on first use: an image's backend (its index or its cache, built under the image's
 * build_lock and published with a release store), the mappings it needs (map_lock: a universal
 * file's slices are different images, which may be built at once), and the caches inside
 * indexes (symindex.h). Lookups take no lock once the backend and the names they touch exist.
 * Per-lookup scratch belongs to the caller.
 *
 * With a memory cap, backends and unit indexes may be unpublished again (symbols_evict.c).
 * Lookups then announce themselves in a reader slot with the epoch they started in, and what
 * was unpublished is freed only once every lookup that could still hold it has left
 * (epoch-based reclamation): readers still take no lock, and answers are copied into their
 * room before the lookup leaves. */
#ifndef CRP_SYMBOLS_INT_H
#define CRP_SYMBOLS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

#include "mem/arena.h"
#include "macho/macho.h"
#include "symcache.h"
#include "symindex.h"
#include "crashport/symbols.h"

#define NO_OBJECT UINT32_MAX

/* A file added by path (mapped on demand) or from memory. */
typedef struct sym_file {
	char *path;
	const uint8_t *data;     /* NULL while not mapped */
	size_t size;
	bool in_memory;
	dev_t dev;               /* identity checked again when mapping */
	ino_t ino;
	int64_t mtime;           /* nanoseconds; what symbol caches record of their sources */
} sym_file;

/* One slice of a file, as its headers described it when added. */
typedef struct sym_object {
	uint32_t file;
	uint64_t offset, size;
	crp_macho macho;         /* parsed on demand: valid while macho_ready */
	bool macho_ready;
	bool has_uuid;
	crp_uuid uuid;
	int32_t cputype, cpusubtype;
	uint32_t filetype;
	bool has_dwarf, has_symtab, has_starts;
	uint32_t defined_symbols; /* non-stab section symbols: picks the richer symbol table */
	uint64_t text_vmaddr, text_vmsize;
	bool is_cache;           /* a symbol cache, not a Mach-O slice */
	crp_symcache_header cache;  /* its header, when it is one */
	char *cache_meta[3];     /* its image name, binary path and debug path (copies) */
	uint32_t cache_flags;    /* CRP_SC_HAS_* */
} sym_object;

struct crp_symbol_image {
	const crp_symbolicator *owner;
	bool has_uuid;
	crp_uuid uuid;
	int32_t cputype, cpusubtype;
	uint32_t binary;         /* object index, or NO_OBJECT */
	uint32_t debug;
	uint32_t cache;          /* a symbol cache added for it, or NO_OBJECT */
	/* Built under build_lock and published (release); read without a lock. `built` with a
	 * status other than CRP_OK is a lasting error (out of memory is not kept). */
	pthread_mutex_t build_lock;
	_Atomic(struct sym_backend *) backend;
	atomic_bool built;
	int ix_status;
	crp_error ix_error;
	_Atomic uint64_t last_used;  /* the symbolicator's clock when a lookup last used it */
};

/* What answers an image's lookups: the cache when there is one, else the index. */
typedef struct sym_backend {
	crp_symindex *ix;
	crp_symcache *sc;
	const uint8_t *sc_map;   /* a cache of the cache directory, mapped for this image */
	size_t sc_size;
	uint32_t src[3];         /* objects the index was built from: DWARF, symbol table, starts */
	bool hooked;             /* the index reports what it builds to the cap (symbols_evict.c) */
	atomic_uint pins;        /* passes building a unit in it outside their reader slot */
	size_t bytes;            /* charged when published: a hooked index's own level; else all */
} sym_backend;

/* A lookup in progress (with a memory cap): the epoch it started in, 0 when the slot is free
 * to announce in. One cache line each: slots are written by different threads. */
#define SYM_READERS 64u
typedef struct sym_reader {
	atomic_int busy;
	_Atomic uint64_t epoch;
	char pad[64 - sizeof(atomic_int) - sizeof(_Atomic uint64_t)];
} sym_reader;

/* Unpublished, waiting for the lookups that may hold it to leave. */
typedef struct sym_retired {
	sym_backend *backend;    /* a whole backend, or */
	crp_symindex *ix;        /* a unit index of this index */
	void *unit;
	uint64_t epoch;          /* freed once no reader announced an epoch below it */
} sym_retired;

struct crp_symbolicator {
	crp_allocator alloc;
	crp_symbolicator_options opts;
	sym_file *files;
	size_t file_count, file_cap;
	sym_object *objects;
	size_t object_count, object_cap;
	crp_symbol_image **images;
	size_t image_count, image_cap;
	size_t files_examined;
	pthread_mutex_t map_lock;  /* sym_file.data (and size, dev, ino) once files are added */
	crp_symbol_answer *last;   /* crp_symbolicator_lookup()'s answer (one thread at a time) */
	unsigned windows;          /* window indexes a unit gets before it is indexed whole */
	/* The memory cap (opts.max_index_bytes; 0: none) and what enforces it. */
	size_t cap;
	_Atomic size_t held;       /* bytes of published and retired indexes (kept without a cap) */
	_Atomic size_t peak;
	_Atomic uint64_t clock;    /* advanced by every index built: recent use is a high value */
	_Atomic uint64_t epoch;
	sym_reader readers[SYM_READERS];
	pthread_mutex_t evict_lock;  /* the retired list, and one evictor at a time */
	sym_retired *retired;
	size_t retired_count, retired_cap;
	size_t pending;            /* bytes retired, not freed yet */
	size_t freed;              /* since memory was last given back to the system */
	atomic_size_t waiting;     /* retired_count, for lookups leaving to see without the lock */
	_Atomic size_t largest;    /* the largest index charged at once: room kept for the next */
	atomic_uint building;      /* indexes being built now (room is kept for each) */
	_Atomic size_t evictions;  /* statistics: unit and backend indexes dropped */
};

/* Room for one answer: whatever an index answer holds, and (with a memory cap) its strings,
 * copied before the lookup leaves its epoch. */
struct crp_symbol_answer {
	crp_allocator alloc;     /* it was allocated with (a copy: it may outlive the symbolicator) */
	crp_symbolication sym;
	crp_symloc locs[CRP_SYMINDEX_MAX_FRAMES];
	char *text;
	size_t text_cap;
};

/* Makes the image ready for lookups (its cache opened, or its index built) on first use; safe
 * from several threads at once. CRP_OK, or why it cannot be (kept: asking again gives the same
 * error), or CRP_ENOMEM (not kept). */
int crp__symbols_prepare(const crp_symbolicator *s, const crp_symbol_image *im, crp_error *err);

/* One lookup in a prepared image: the answer in `room` (*out NULL when nothing is known), as
 * crp__symbols_answer() describes. Safe from several threads at once. */
int crp__symbols_lookup(const crp_symbolication **out, crp_symbol_answer *room, const crp_symbolicator *s,
			const crp_symbol_image *im, uint64_t lookup_addr, uint64_t slide, unsigned flags,
			uint64_t addr, crp_error *err);

/* symbols.c, for symbols_cache.c */
int crp__symbols_load_object(crp_symbolicator *s, uint32_t i, crp_error *err);
int crp__symbols_map_file(crp_symbolicator *s, uint32_t file, crp_error *err);
int crp__symbols_load_sources(crp_symbolicator *s, const crp_symbol_image *im, crp_error *err);
void crp__symbols_choose_sources(const crp_symbolicator *s, const crp_symbol_image *im,
				 crp_symindex_sources *src, uint32_t ids[3]);
int crp__symbols_set_err(crp_error *err, int code, const char *fmt, ...) CRP_PRINTF(3, 4);

/* symbols_cache.c: caches as symbol files, the cache directory, writing caches. */
int crp__symbols_add_cache(crp_symbolicator *s, uint32_t file, crp_error *err);
/* Chooses and opens the image's cache (added, or from the cache directory, written there when
 * missing or stale) into b; CRP_ENOTFOUND when it has none: the index is built instead. */
int crp__symbols_open_cache(crp_symbolicator *s, crp_symbol_image *im, sym_backend *b, crp_error *err);
void crp__symbols_backend_free(sym_backend *b, const crp_allocator *a);

/* symbols_evict.c: the memory cap. */
/* One lookup's (or preparation's) pass: it enters before it reads a backend and leaves after
 * its answer is copied. While it builds an index, which takes milliseconds, it steps out of its
 * reader slot, so that what the cap drops meanwhile is freed without waiting for it; the
 * backend it builds into is pinned instead (a dropped backend is freed once unpinned). */
typedef struct sym_pass {
	crp_symbolicator *s;
	unsigned slot;           /* SYM_READERS: none (no cap, or stepped out) */
	sym_backend *using;      /* the backend the lookup reads */
	sym_backend *pinned;     /* pinned by a step out during a unit build; unpinned on leaving */
} sym_pass;
void crp__symbols_enter(crp_symbolicator *s, sym_pass *p);
void crp__symbols_leave(sym_pass *p);
void crp__symbols_step_out(sym_pass *p);
void crp__symbols_step_in(sym_pass *p);
/* Index memory came into being; past the cap, the least recently used indexes are dropped
 * (never `keep`: the backend, or the index, the caller builds into), and a caller that is
 * stepped out of its slot waits a little for what lookups in progress still hold. */
void crp__symbols_charge(crp_symbolicator *s, size_t bytes, const void *keep, bool stepped_out);
/* The hooks an index built for this symbolicator reports to. */
crp_symindex_hooks crp__symbols_hooks(crp_symbolicator *s);
/* Everything retired, freed (the symbolicator is going away: nothing reads any more). */
void crp__symbols_evict_dispose(crp_symbolicator *s);
/* Copies an answer's strings into its room (with a cap: the indexes may go once it leaves). */
int crp__symbols_keep_answer(crp_symbol_answer *room, const crp_symbolication **out);
/* crp_symbol_image_get_info() of an image known only from its cache object c. */
void crp__symbols_cache_info(const crp_symbolicator *s, const sym_object *c, crp_symbol_image_info *out);
int crp__symbols_file_object(crp_symbolicator *s, uint32_t idx);

/* A unit's first lookups get window indexes (symindex_unit.c: a few KiB where the whole unit
 * takes megabytes); one looked up outside its window this many times is indexed whole. */
#define SYM_WINDOWS 2u
/* For tests: window indexes per unit from now on (UINT_MAX: only windows, 0: whole units). */
void crp__symbols_set_windows(crp_symbolicator *s, unsigned n);

/* The __TEXT vmaddr the image's addresses are relative to. */
uint64_t crp__symbols_text_vmaddr(const crp_symbolicator *s, const crp_symbol_image *im);

/* symbols_answer.c: an index answer as a crp_symbolication in `room` (the caller's): names
 * demangled, paths built (both once per index, kept in its slots), function_addr moved by
 * `slide`. *out is NULL when the answer is empty. Safe from several threads at once. */
int crp__symbols_answer(const crp_symbolication **out, crp_symbol_answer *room, const crp_symbolicator *s,
			const crp_symbol_image *im, const sym_backend *b, const crp_symindex_result *res,
			uint64_t lookup_addr, uint64_t slide, unsigned flags, uint64_t addr);
/* How names are shown: demangled into buf (cap bytes), or, for a longer name, into *big (the
 * caller frees it). Returns the length, 0 when raw does not demangle (*rc CRP_OK) or memory ran
 * out (*rc CRP_ENOMEM). The flags an answer gets for it: CRP_SYM_DEMANGLED or CRP_SYM_SWIFT.
 * Caches record CRP_SYMBOLS_NAMES_REVISION: change it when names come out differently. */
#define CRP_SYMBOLS_NAME_BUF 4096
#define CRP_SYMBOLS_NAMES_REVISION 1u
size_t crp__symbols_demangle(const crp_allocator *a, const char *raw, char *buf, size_t cap, char **big, int *rc);
unsigned crp__symbols_name_flags(const char *raw, size_t demangled);

/* A copy of an answer whose strings all live in `arena` (a report's). */
int crp__symbols_copy(crp_symbolication **out, crp_arena *arena, const crp_symbolication *src);

#endif
