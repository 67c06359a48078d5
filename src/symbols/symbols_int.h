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
#include "symindex.h"
#include "crashport/symbols.h"

/* A file added by path (mapped on demand) or from memory. */
typedef struct sym_file {
	char *path;
	const uint8_t *data;     /* NULL while not mapped */
	size_t size;
	bool in_memory;
	dev_t dev;               /* identity checked again when mapping */
	ino_t ino;
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
} sym_object;

struct crp_symbol_image {
	const crp_symbolicator *owner;
	bool has_uuid;
	crp_uuid uuid;
	int32_t cputype, cpusubtype;
	uint32_t binary;         /* object index, or UINT32_MAX */
	uint32_t debug;
	uint32_t src_dwarf, src_symtab, src_starts;  /* objects the index was built from */
	/* Written once under build_lock, then `built` is set (release): read freely after it. */
	pthread_mutex_t build_lock;
	atomic_bool built;       /* tried, with an answer to keep (out of memory is not kept) */
	crp_symindex *ix;
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

/* The image's index, built on first use; safe from several threads at once. */
int crp__symbols_index(const crp_symbolicator *s, const crp_symbol_image *im, crp_symindex **out,
		       crp_error *err);

/* The __TEXT vmaddr the image's addresses are relative to. */
uint64_t crp__symbols_text_vmaddr(const crp_symbolicator *s, const crp_symbol_image *im);

/* symbols_answer.c: an index answer as a crp_symbolication in `room` (the caller's): names
 * demangled, paths built (both once per index, kept in its slots), function_addr moved by
 * `slide`. *out is NULL when the answer is empty. Safe from several threads at once. */
int crp__symbols_answer(const crp_symbolication **out, crp_symbol_answer *room, const crp_symbolicator *s,
			const crp_symbol_image *im, crp_symindex *ix, const crp_symindex_result *res,
			uint64_t lookup_addr, uint64_t slide, unsigned flags, uint64_t addr);
/* A copy of an answer whose strings all live in `arena` (a report's). */
int crp__symbols_copy(crp_symbolication **out, crp_arena *arena, const crp_symbolication *src);

#endif
