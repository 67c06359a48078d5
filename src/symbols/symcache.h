/* Symbol caches (schema/symcache-format.md): one file per image slice holding everything a
 * lookup needs, used straight from a read-only mapping. symcache_write.c writes one from an
 * image's index; symcache.c opens one and answers lookups from it exactly as the index would.
 * An open cache is only read (block checks are remembered atomically): any number of threads
 * may look up in it at once. */
#ifndef CRP_SYMCACHE_H
#define CRP_SYMCACHE_H

#include <stdatomic.h>

#include "common/internal.h"
#include "crashport/symbols.h"

#define CRP_SYMCACHE_MAGIC "\x89" "CRSYM\r\n"
#define CRP_SYMCACHE_MAGIC_SIZE 8u
#define CRP_SYMCACHE_HEADER_SIZE 128u
#define CRP_SYMCACHE_BLOCK 4096u
#define CRP_SYMCACHE_MAJOR 1u
#define CRP_SYMCACHE_MINOR 0u
#define CRP_SYMCACHE_MAX_SECTIONS 64u
#define CRP_SYMCACHE_NONE UINT32_MAX
#define CRP_SYMCACHE_IN_UNIT (UINT32_MAX - 1u)  /* WHERE: in a unit, no subroutine */
#define CRP_SYMCACHE_OUTER 0x80000000u          /* SCOPES parent: an OUTERS index */
#define CRP_SYMCACHE_WIDE_LINES 0x1u
#define CRP_SYMCACHE_WIDE_OUTERS 0x2u

enum crp_symcache_section {
	CRP_SC_STRINGS = 1, CRP_SC_META, CRP_SC_NAMES, CRP_SC_SYMBOLS, CRP_SC_STARTS, CRP_SC_WHERE,
	CRP_SC_SCOPES, CRP_SC_OUTERS, CRP_SC_LINES, CRP_SC_FILES, CRP_SC_PATHS, CRP_SC_COUNT
};

/* META flags: what the sources had. */
#define CRP_SC_HAS_SYMTAB 0x1u
#define CRP_SC_HAS_DWARF 0x2u
#define CRP_SC_HAS_STARTS 0x4u

/* What the header says (read and checked by crp__symcache_header()). */
typedef struct crp_symcache_header {
	uint32_t flags;
	crp_uuid uuid;
	int32_t cputype, cpusubtype;
	uint64_t base, text_vmaddr, text_vmsize;
	uint64_t binary_size, debug_size;
	int64_t binary_mtime, debug_mtime;
	uint64_t file_size;
	uint32_t names_revision;
} crp_symcache_header;

/* The files a cache is written from, as the symbolicator saw them (0: none). */
typedef struct crp_symcache_sources {
	uint64_t binary_size, debug_size;
	int64_t binary_mtime, debug_mtime;
	const char *image_name, *binary_path, *debug_path;
	const char *answering[3];  /* for dwarf, symtab and function_starts answers */
	uint32_t flags;            /* CRP_SC_HAS_* */
	uint64_t text_vmaddr, text_vmsize;
} crp_symcache_sources;

struct crp_symindex;

/* True when the bytes start with the magic (needs CRP_SYMCACHE_MAGIC_SIZE bytes). */
bool crp__symcache_detect(const void *data, size_t len);
/* Checks and reads the header, section table and block table (not the data). */
int crp__symcache_header(crp_symcache_header *out, const void *data, size_t len, crp_error *err);

/* Writes the cache of an index whose units are all built. CRP_OK, CRP_ENOMEM, CRP_EIO (the
 * sink), or CRP_EUNSUPPORTED (addresses spread over more than 4 GiB). */
int crp__symcache_write(struct crp_symindex *ix, const crp_uuid *uuid, int32_t cputype, int32_t cpusubtype,
			const crp_symcache_sources *src, const crp_sink *sink, const crp_allocator *alloc,
			crp_error *err);

typedef struct crp_symcache crp_symcache;

/* Opens a cache over bytes that outlive it (a mapping). Reads only the header and tables. */
int crp__symcache_open(crp_symcache **out, const void *data, size_t len, const crp_allocator *alloc,
		       crp_error *err);
void crp__symcache_close(crp_symcache *c);
const crp_symcache_header *crp__symcache_info(const crp_symcache *c);
/* META strings: 0 image name, 1 binary path, 2 debug path, 3-5 answering files; NULL if none
 * (or damaged). */
const char *crp__symcache_meta_string(crp_symcache *c, unsigned which);
uint32_t crp__symcache_meta_flags(crp_symcache *c);

/* The answer for a file address, as crp__symbols_answer() gives it from an index: written into
 * room (locs) with strings in the cache; *out NULL when nothing is known. CRP_OK, or
 * CRP_ECORRUPT when a block it reads is damaged. Safe from several threads at once. */
int crp__symcache_lookup(const crp_symbolication **out, crp_symbolication *sym, crp_symloc *locs,
			 size_t max_locs, crp_symcache *c, uint64_t lookup_addr, uint64_t slide, unsigned flags,
			 uint64_t addr);

#endif
