/* Private layout of the symbolicator, shared by symbols.c (files, images, lookups) and
 * symbolicate.c (reports). */
#ifndef CRP_SYMBOLS_INT_H
#define CRP_SYMBOLS_INT_H

#include <sys/types.h>

#include "arena.h"
#include "macho.h"
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
	crp_symindex *ix;
	int ix_status;           /* CRP_OK once built; an error if building failed */
	bool ix_tried;
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
	crp_arena strings;       /* demangled names and paths, kept in the indexes' slots */
	crp_symindex_result *res;
	crp_symbolication answer;  /* the last crp_symbolicator_lookup() answer */
	crp_symloc locs[CRP_SYMINDEX_MAX_FRAMES];
};

/* The image's index, built on first use. */
int crp__symbols_index(crp_symbolicator *s, crp_symbol_image *im, crp_symindex **out, crp_error *err);

/* The __TEXT vmaddr the image's addresses are relative to. */
uint64_t crp__symbols_text_vmaddr(const crp_symbolicator *s, const crp_symbol_image *im);

/* symbols_answer.c: an index answer as a crp_symbolication held by the symbolicator (valid
 * until its next answer): names demangled, paths built (both once per index, kept in its
 * slots), function_addr moved by `slide`. *out is NULL when the answer is empty. */
int crp__symbols_answer(const crp_symbolication **out, crp_symbolicator *s, const crp_symbol_image *im,
			const crp_symindex_result *res, uint64_t lookup_addr, uint64_t slide, unsigned flags,
			uint64_t addr);
/* A copy of an answer whose strings all live in `arena` (a report's). */
int crp__symbols_copy(crp_symbolication **out, crp_arena *arena, const crp_symbolication *src);

#endif
