/* Private layout of the symbolicator, shared by symbols.c (files, images, lookups) and
 * symbolicate.c (reports).
 *
 * Sharing: files are added by one thread; after that the handle is read-only except for state
 * that is filled once: an image's index (built under the image's build_lock, published by
 * `built`), the mappings it needs (map_lock: a universal file's slices are different images,
 * which may be built at once), and the caches inside indexes (symindex.h). Lookups take no
 * lock once the index and the names they touch exist. Per-lookup scratch belongs to the
 * caller. */
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
	uint32_t src_dwarf, src_symtab, src_starts;  /* objects the index was built from */
	/* Written once under build_lock, then `built` is set (release): read freely after it.
	 * Lookups use the cache when there is one, else the index. */
	pthread_mutex_t build_lock;
	atomic_bool built;       /* tried, with an answer to keep (out of memory is not kept) */
	crp_symindex *ix;
	crp_symcache *sc;
	const uint8_t *sc_map;   /* a cache of the cache directory, mapped for this image */
	size_t sc_size;
	int ix_status;           /* CRP_OK once built; an error if building failed */
	crp_error ix_error;
};

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
};

/* Room for one answer: whatever an index answer holds. */
struct crp_symbol_answer {
	crp_allocator alloc;     /* it was allocated with (a copy: it may outlive the symbolicator) */
	crp_symbolication sym;
	crp_symloc locs[CRP_SYMINDEX_MAX_FRAMES];
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
int crp__symbols_build_index(crp_symbolicator *s, crp_symbol_image *im, crp_error *err);
int crp__symbols_load_sources(crp_symbolicator *s, const crp_symbol_image *im, crp_error *err);
void crp__symbols_choose_sources(const crp_symbolicator *s, const crp_symbol_image *im,
				 crp_symindex_sources *src, uint32_t ids[3]);
int crp__symbols_set_err(crp_error *err, int code, const char *fmt, ...) CRP_PRINTF(3, 4);

/* symbols_cache.c: caches as symbol files, the cache directory, writing caches. */
int crp__symbols_add_cache(crp_symbolicator *s, uint32_t file, crp_error *err);
/* Chooses and opens the image's cache (added, or from the cache directory, written there when
 * missing or stale); CRP_ENOTFOUND when it has none: the index is built instead. */
int crp__symbols_open_cache(crp_symbolicator *s, crp_symbol_image *im, crp_error *err);
void crp__symbols_close_cache(crp_symbol_image *im);
/* crp_symbol_image_get_info() of an image known only from its cache object c. */
void crp__symbols_cache_info(const crp_symbolicator *s, const sym_object *c, crp_symbol_image_info *out);
int crp__symbols_file_object(crp_symbolicator *s, uint32_t idx);

/* The __TEXT vmaddr the image's addresses are relative to. */
uint64_t crp__symbols_text_vmaddr(const crp_symbolicator *s, const crp_symbol_image *im);

/* symbols_answer.c: an index answer as a crp_symbolication in `room` (the caller's): names
 * demangled, paths built (both once per index, kept in its slots), function_addr moved by
 * `slide`. *out is NULL when the answer is empty. Safe from several threads at once. */
int crp__symbols_answer(const crp_symbolication **out, crp_symbol_answer *room, const crp_symbolicator *s,
			const crp_symbol_image *im, crp_symindex *ix, const crp_symindex_result *res,
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
