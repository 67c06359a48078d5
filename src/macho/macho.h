/* Bounds-checked Mach-O reader: universal (fat, fat64) containers, thin 32/64-bit little-endian
 * images, their load commands (LC_SEGMENT(_64) with sections, LC_UUID, LC_SYMTAB,
 * LC_FUNCTION_STARTS, LC_ID_DYLIB) and symbol tables.
 *
 * Nothing here reads files: callers hand in bytes (a mapped file, a slice of one, a buffer) that
 * must outlive the structures returned. Every offset, size and count comes from untrusted input
 * and is checked before use; a damaged file is a CRP_ECORRUPT error naming the load command and
 * the byte offset (crp_error.byte_offset is relative to the bytes handed in), never a crash.
 *
 * Used by symbolication (symbols*.c) and meant for any other consumer of Mach-O files, e.g. a
 * Breakpad symbol dumper: iterate symbols with crp__macho_symbol(), function bounds with
 * crp__macho_function_starts(), DWARF sections with crp__macho_section_data(). */
#ifndef CRP_MACHO_H
#define CRP_MACHO_H

#include "common/internal.h"
#include "mem/strtab.h"
#include "dwarf.h"

#define CRP_MACHO_MAX_SLICES 64u       /* universal headers claiming more are rejected */
#define CRP_MACHO_MAX_SECTIONS 4096u   /* per image; n_sect can only name 255 anyway */

#define CRP_MH_EXECUTE 0x2u
#define CRP_MH_DYLIB 0x6u
#define CRP_MH_BUNDLE 0x8u
#define CRP_MH_DSYM 0xau

#define CRP_CPU_TYPE_X86 7
#define CRP_CPU_TYPE_ARM 12
#define CRP_CPU_ARCH_ABI64 0x01000000
#define CRP_CPU_ARCH_ABI64_32 0x02000000
#define CRP_CPU_TYPE_ARM64 (CRP_CPU_TYPE_ARM | CRP_CPU_ARCH_ABI64)
#define CRP_CPU_TYPE_X86_64 (CRP_CPU_TYPE_X86 | CRP_CPU_ARCH_ABI64)
#define CRP_CPU_SUBTYPE_MASK 0x00ffffff

/* nlist n_type bits */
#define CRP_N_STAB 0xe0u
#define CRP_N_TYPE 0x0eu
#define CRP_N_UNDF 0x0u
#define CRP_N_SECT 0xeu
#define CRP_N_EXT 0x01u

/* section flags */
#define CRP_SECTION_TYPE 0xffu
#define CRP_S_ZEROFILL 0x1u
#define CRP_S_GB_ZEROFILL 0xcu
#define CRP_S_THREAD_LOCAL_ZEROFILL 0x12u

/* One architecture inside a file: the whole file for a thin Mach-O. */
typedef struct crp_macho_slice {
	int32_t cputype;
	int32_t cpusubtype;
	uint64_t offset;
	uint64_t size;
} crp_macho_slice;

typedef struct crp_macho_segment {
	char name[17];
	uint64_t vmaddr;
	uint64_t vmsize;
	uint64_t fileoff;
	uint64_t filesize;
	uint32_t first_section;  /* index into crp_macho.sections */
	uint32_t nsects;
} crp_macho_segment;

typedef struct crp_macho_section {
	char segname[17];
	char sectname[17];
	uint64_t addr;
	uint64_t size;
	uint32_t offset;         /* file offset of the bytes; 0 when the file carries none (dSYMs) */
	uint32_t flags;
} crp_macho_section;

typedef struct crp_macho {
	const uint8_t *data;     /* the slice */
	size_t size;
	bool is64;
	int32_t cputype;
	int32_t cpusubtype;      /* as written, ABI bits included */
	uint32_t filetype;       /* CRP_MH_* */
	bool has_uuid;
	crp_uuid uuid;
	crp_macho_segment *segments;
	size_t segment_count;
	crp_macho_section *sections;  /* in load-command order: sections[i] is n_sect i + 1 */
	size_t section_count;
	bool has_symtab;
	uint32_t symoff, nsyms, stroff, strsize;
	crp_strtab strtab;       /* the string table, indexed */
	bool has_function_starts;
	uint32_t fstarts_off, fstarts_size;
	const char *id_dylib;    /* LC_ID_DYLIB install name, NUL-terminated, or NULL */
	const crp_macho_segment *text;  /* the __TEXT segment, or NULL */
	crp_allocator alloc;
} crp_macho;

/* Magic check only: 1 for a thin Mach-O (either endianness), 2 for a universal header, else 0. */
int crp__macho_sniff(const uint8_t *data, size_t len);

/* The slices of a file: a thin image gives one slice covering everything. Slices must lie
 * inside the file and not overlap. @p out holds CRP_MACHO_MAX_SLICES entries. */
int crp__macho_slices(crp_macho_slice *out, size_t *count, const uint8_t *data, size_t len,
		      crp_error *err);

/* Parse one thin image (a whole slice). @p data must outlive @p m. Dispose with
 * crp__macho_dispose() whatever the result. */
int crp__macho_parse(crp_macho *m, const uint8_t *data, size_t size, const crp_allocator *alloc,
		     crp_error *err);
void crp__macho_dispose(crp_macho *m);

/* A section by segment and section name (16 characters at most, as stored), or NULL. */
const crp_macho_section *crp__macho_find_section(const crp_macho *m, const char *seg,
						  const char *sect);
/* The bytes of a section, or NULL (with *len 0) when the file holds none for it. */
const uint8_t *crp__macho_section_data(const crp_macho *m, const crp_macho_section *s,
				       size_t *len);
/* The sections of the __DWARF segment, for crp__dwarf_open (absent ones empty). */
void crp__macho_dwarf_sections(const crp_macho *m, crp_dwarf_sections *s);

/* One symbol table entry. The name is NUL-terminated inside the string table ("" when its
 * offset is 0 or damaged: see @c bad_name). */
typedef struct crp_macho_nlist {
	const char *name;        /* NULL from crp__macho_symbol_head() */
	uint32_t strx;
	uint8_t type;
	uint8_t sect;
	uint16_t desc;
	uint64_t value;
	bool bad_name;
} crp_macho_nlist;

/* Entry @p i < m->nsyms (bounds were checked when parsing). */
void crp__macho_symbol(const crp_macho *m, uint32_t i, crp_macho_nlist *out);
/* The same without looking the name up (name NULL; bad_name as crp__macho_symbol() says):
 * an index of hundreds of thousands of symbols reads the names a lookup needs only. */
void crp__macho_symbol_head(const crp_macho *m, uint32_t i, crp_macho_nlist *out);
/* The name at string index strx: "" for 0, NULL when it is outside the table or unterminated. */
const char *crp__macho_symbol_name(const crp_macho *m, uint32_t strx);

/* LC_FUNCTION_STARTS as ascending vm addresses in a fresh array (free with m->alloc); on ARM
 * the Thumb bit is cleared. *out is NULL and *count 0 when there are none. */
int crp__macho_function_starts(const crp_macho *m, uint64_t **out, size_t *count, crp_error *err);

#endif
