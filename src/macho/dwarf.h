/* A focused DWARF 2-5 reader (little-endian, 32- and 64-bit DWARF): compilation units, their
 * DIE trees, address ranges (.debug_ranges, .debug_rnglists, .debug_addr), names through
 * DW_AT_abstract_origin / DW_AT_specification, and line programs (dwarf_line.c).
 *
 * It reads what symbolication and symbol dumping need and nothing else: DIEs are decoded into a
 * fixed set of attributes, everything else is skipped by form. All input is untrusted: every
 * read is bounds-checked, and a damaged unit is an error for that unit only (callers skip it
 * and go on with the others). Nothing is allocated per DIE; the context allocates its unit
 * table and abbreviation tables (lazily, one per distinct offset) through its allocator.
 *
 * Walking one unit:
 *     crp_dwarf_walk w;
 *     crp_dwarf_die die;
 *     crp__dwarf_walk_init(&w, d, unit_index);
 *     while ((rc = crp__dwarf_walk_next(&w, &die)) == CRP_OK)
 *         if (die.tag == CRP_DW_TAG_subprogram) crp__dwarf_die_ranges(d, &die, fn, ctx);
 *     (rc is CRP_ITEROVER at the end, or the error that stopped the walk)
 *
 * Strings returned point into the section bytes handed to crp__dwarf_open() and are
 * NUL-terminated inside their section. Once open, a context is only read (its budgets are
 * atomic): several threads may walk its units, read ranges, line programs and names at once. */
#ifndef CRP_DWARF_H
#define CRP_DWARF_H

#include "common/bytes.h"

enum crp_dwarf_section_id {
	CRP_DW_SEC_INFO,
	CRP_DW_SEC_ABBREV,
	CRP_DW_SEC_LINE,
	CRP_DW_SEC_STR,
	CRP_DW_SEC_LINE_STR,
	CRP_DW_SEC_RANGES,
	CRP_DW_SEC_RNGLISTS,
	CRP_DW_SEC_ADDR,
	CRP_DW_SEC_STR_OFFSETS,
	CRP_DW_SEC_ARANGES,
	CRP_DW_SEC_COUNT
};

typedef struct crp_dwarf_sections {
	const uint8_t *data[CRP_DW_SEC_COUNT];
	size_t size[CRP_DW_SEC_COUNT];
} crp_dwarf_sections;

/* Tags and attributes the reader decodes. */
#define CRP_DW_TAG_class_type 0x02u
#define CRP_DW_TAG_lexical_block 0x0bu
#define CRP_DW_TAG_compile_unit 0x11u
#define CRP_DW_TAG_structure_type 0x13u
#define CRP_DW_TAG_union_type 0x17u
#define CRP_DW_TAG_inlined_subroutine 0x1du
#define CRP_DW_TAG_subprogram 0x2eu
#define CRP_DW_TAG_namespace 0x39u
#define CRP_DW_TAG_partial_unit 0x3cu
#define CRP_DW_TAG_skeleton_unit 0x4au

#define CRP_DW_UT_compile 1u
#define CRP_DW_UT_type 2u
#define CRP_DW_UT_partial 3u
#define CRP_DW_UT_skeleton 4u

/* DW_FORM values used outside dwarf.c (line program headers). */
#define CRP_DW_FORM_data1 0x0bu
#define CRP_DW_FORM_data2 0x05u
#define CRP_DW_FORM_udata 0x0fu

typedef struct crp_dwarf crp_dwarf;

/* Work on crafted input stays linear: range list entries and line table bytes read are drawn
 * from pools of the context (a few times the sections' sizes). A caller that reads one unit
 * again (an index dropped and rebuilt) passes the budget of its first reading with `replay`
 * set: the second reading then draws from what the first drew, not from the pools, and ends
 * exactly where the first did. A NULL budget draws from the pools and records nothing. */
typedef struct crp_dwarf_budget {
	bool replay;
	size_t ranges, lines;  /* drawn by the first reading; left to draw when replaying */
} crp_dwarf_budget;

/* One unit header of .debug_info, plus what its unit DIE says about the unit. */
typedef struct crp_dwarf_unit {
	uint64_t offset;            /* of the unit header */
	uint64_t end;               /* one past the unit */
	uint64_t first_die;         /* offset of the unit DIE */
	uint64_t abbrev_offset;
	uint16_t version;           /* 2 to 5 */
	uint8_t unit_type;          /* CRP_DW_UT_*; compile for DWARF < 5 */
	uint8_t addr_size;          /* 4 or 8 */
	uint8_t offset_size;        /* 4 or 8 (64-bit DWARF) */
	uint32_t tag;               /* of the unit DIE */
	bool has_base_addr, has_stmt_list, has_str_offsets_base, has_addr_base, has_rnglists_base;
	uint64_t base_addr;         /* DW_AT_low_pc (else entry_pc) of the unit DIE */
	uint64_t stmt_list;
	uint64_t str_offsets_base;
	uint64_t addr_base;
	uint64_t rnglists_base;
	const char *name;           /* DW_AT_name, or NULL */
	const char *comp_dir;       /* DW_AT_comp_dir, or NULL */
	int status;                 /* CRP_OK, or why the unit cannot be read */
} crp_dwarf_unit;

/* A raw attribute value: strings are resolved on demand by crp__dwarf_string(). */
typedef struct crp_dwarf_attr {
	uint16_t form;              /* 0: absent */
	uint64_t value;             /* constant, offset, index, or pointer for DW_FORM_string */
} crp_dwarf_attr;

/* Presence bits of crp_dwarf_die fields. */
#define CRP_DIE_LOW_PC 0x001u
#define CRP_DIE_HIGH_PC 0x002u
#define CRP_DIE_HIGH_PC_OFFSET 0x004u  /* high_pc is a length from low_pc */
#define CRP_DIE_RANGES 0x008u
#define CRP_DIE_RANGES_INDEX 0x010u    /* ranges is a DW_FORM_rnglistx index */
#define CRP_DIE_ABSTRACT_ORIGIN 0x020u
#define CRP_DIE_SPECIFICATION 0x040u
#define CRP_DIE_CALL_FILE 0x080u
#define CRP_DIE_CALL_LINE 0x100u
#define CRP_DIE_CALL_COLUMN 0x200u
#define CRP_DIE_DECL_FILE 0x400u
#define CRP_DIE_DECL_LINE 0x800u
#define CRP_DIE_ENTRY_PC 0x1000u

typedef struct crp_dwarf_die {
	uint64_t offset;            /* in .debug_info */
	const crp_dwarf_unit *unit;
	uint32_t tag;
	bool has_children;
	unsigned depth;             /* 0 for the unit DIE */
	/* With a walk's decoded_only: the shallowest depth of the DIEs walked over since the last
	 * one returned, this one included (a DIE at depth d ends every open DIE at depth >= d). */
	unsigned min_depth;
	unsigned has;               /* CRP_DIE_* */
	crp_dwarf_attr name;        /* DW_AT_name */
	crp_dwarf_attr linkage;     /* DW_AT_linkage_name, else DW_AT_MIPS_linkage_name */
	uint64_t low_pc;
	uint64_t high_pc;
	uint64_t entry_pc;
	uint64_t ranges;
	uint64_t abstract_origin;   /* absolute .debug_info offsets */
	uint64_t specification;
	uint64_t call_file, call_line, call_column;
	uint64_t decl_file, decl_line;
} crp_dwarf_die;

/* Limits (documented in the README). */
#define CRP_DWARF_MAX_DEPTH 4096u        /* DIE nesting */
#define CRP_DWARF_MAX_ABBREV_ATTRS 512u  /* attributes of one abbreviation */
#define CRP_DWARF_MAX_ORIGIN_HOPS 16u    /* abstract_origin / specification links followed */

/* Open a context on sections (which must outlive it) and read every unit header and unit DIE.
 * A damaged unit keeps its slot with a non-zero status. Abbreviation tables are parsed once per
 * offset, reading at most 4 times .debug_abbrev's size plus 1 MiB in all (a unit whose table
 * is past that budget gets CRP_ELIMIT); string sections are indexed so a string costs at most
 * 256 bytes of scanning whatever the bytes around it. */
int crp__dwarf_open(crp_dwarf **out, const crp_dwarf_sections *secs, const crp_allocator *alloc,
		    crp_error *err);
void crp__dwarf_close(crp_dwarf *d);

size_t crp__dwarf_unit_count(const crp_dwarf *d);
const crp_dwarf_unit *crp__dwarf_unit(const crp_dwarf *d, size_t i);
const crp_dwarf_sections *crp__dwarf_sections(const crp_dwarf *d);
/* Line tables are read at most 4 times .debug_line's size plus 1 MiB in all (units sharing a
 * table cannot make reading quadratic): false when `bytes` more would exceed it. Safe from
 * several threads at once, as is everything that only reads a context once it is open. */
bool crp__dwarf_take_line_budget(crp_dwarf *d, crp_dwarf_budget *b, size_t bytes);

/* DFS pre-order over one unit's DIEs (null entries are not returned). */
typedef struct crp_dwarf_walk {
	crp_dwarf *d;
	const crp_dwarf_unit *unit;
	const void *table;          /* the unit's abbreviations */
	crp_cursor c;
	uint64_t base;              /* section offset of c's start */
	unsigned depth;
	bool done;
	/* 0, as set by crp__dwarf_walk_init(): decode every DIE. Else DIEs below the unit DIE
	 * come back with only offset, tag, children and depth, and those of the tags (below 64)
	 * set here also with the attributes that place them (low_pc, high_pc, entry_pc, ranges,
	 * call_file, call_line, call_column); names and the rest are not read. */
	uint64_t decode_tags;
	/* With decode_tags: only the unit DIE and DIEs of those tags are returned (the others
	 * are walked over inside: their depth is the only thing a caller could learn from them). */
	bool decoded_only;
	unsigned min_depth;         /* since the last DIE returned */
} crp_dwarf_walk;

int crp__dwarf_walk_init(crp_dwarf_walk *w, crp_dwarf *d, size_t unit_index);
/* CRP_OK with the next DIE, CRP_ITEROVER at the end of the unit, or an error. */
int crp__dwarf_walk_next(crp_dwarf_walk *w, crp_dwarf_die *die);

/* Decode the DIE at an absolute .debug_info offset (depth is 0). */
int crp__dwarf_die_at(crp_dwarf *d, uint64_t offset, crp_dwarf_die *die);

/* A string attribute of a DIE of unit @p u, or NULL when absent or damaged. */
const char *crp__dwarf_string(const crp_dwarf *d, const crp_dwarf_unit *u, const crp_dwarf_attr *a);

/* The function name LLVM's symbolizer would print for a subroutine DIE: the linkage name, else
 * the name, each searched through abstract_origin / specification links (up to
 * CRP_DWARF_MAX_ORIGIN_HOPS DIEs). Either may be NULL. */
void crp__dwarf_die_names(crp_dwarf *d, const crp_dwarf_die *die, const char **name,
			  const char **linkage);

/* Address ranges of a DIE [lo, hi): low_pc/high_pc, else DW_AT_ranges (.debug_ranges for
 * DWARF < 5, .debug_rnglists for 5). Empty ranges and tombstones (-1, -2) are skipped. @p fn
 * returns non-zero to stop. Returns CRP_OK, CRP_ECORRUPT when the list is damaged, or
 * CRP_ELIMIT once the context has read more list entries than 4 times its range sections'
 * size plus 2^20 (lists many DIEs share cannot make reading quadratic); ranges delivered before
 * stand. */
typedef int (*crp_dwarf_range_fn)(void *ctx, uint64_t lo, uint64_t hi);
int crp__dwarf_die_ranges(crp_dwarf *d, const crp_dwarf_die *die, crp_dwarf_budget *b,
			  crp_dwarf_range_fn fn, void *ctx);

/* .debug_aranges: each set first reports (unit offset, 0, 0), then each of its non-empty
 * ranges (unit offset, lo, hi). Stops at the first damaged set. */
typedef int (*crp_dwarf_arange_fn)(void *ctx, uint64_t unit_offset, uint64_t lo, uint64_t hi);
int crp__dwarf_aranges(const crp_dwarf *d, crp_dwarf_arange_fn fn, void *ctx);

/* Read one attribute value of @p form (used by line program headers, whose DWARF 5 entry
 * formats reuse DIE forms). Strings come back in *str (or NULL). */
int crp__dwarf_form(const crp_dwarf *d, const crp_dwarf_unit *u, crp_cursor *c, unsigned form,
		    uint64_t *value, const char **str);

/* -- line programs (dwarf_line.c) ------------------------------------------------------- */

typedef struct crp_dwarf_file {
	const char *name;
	uint64_t dir;
} crp_dwarf_file;

typedef struct crp_dwarf_lines {
	uint16_t version;
	uint8_t min_inst_length;
	uint8_t default_is_stmt;
	int8_t line_base;
	uint8_t line_range;
	uint8_t opcode_base;
	uint8_t addr_size;
	const uint8_t *std_lengths;  /* opcode_base - 1 entries */
	const char **dirs;
	size_t dir_count;
	crp_dwarf_file *files;
	size_t file_count;
	const uint8_t *program;
	size_t program_size;
	crp_allocator alloc;
} crp_dwarf_lines;

/* One row of the line matrix. Widths follow LLVM's (16-bit file and column numbers). */
typedef struct crp_dwarf_row {
	uint64_t addr;
	uint32_t line;
	uint16_t file;
	uint16_t column;
	uint32_t discriminator;
	bool is_stmt;
	bool end_sequence;
} crp_dwarf_row;

/* Parse the header of the line program of unit @p u (its file and directory tables are
 * allocated with @p alloc). The whole table counts against the line budget: past it,
 * CRP_ELIMIT. Dispose whatever the result. */
int crp__dwarf_lines_open(crp_dwarf_lines *lt, crp_dwarf *d, const crp_dwarf_unit *u,
			  crp_dwarf_budget *b, const crp_allocator *alloc, crp_error *err);
void crp__dwarf_lines_dispose(crp_dwarf_lines *lt);
/* Run the program, handing every row (end_sequence rows included) to @p fn; non-zero from fn
 * stops. Returns CRP_OK, or CRP_ECORRUPT when the program is damaged (rows before stand). */
typedef int (*crp_dwarf_row_fn)(void *ctx, const crp_dwarf_row *row);
int crp__dwarf_lines_run(const crp_dwarf_lines *lt, crp_dwarf_row_fn fn, void *ctx);
/* True when @p index names a file entry (1-based before DWARF 5, 0-based since). */
bool crp__dwarf_lines_has_file(const crp_dwarf_lines *lt, uint64_t index);
/* The path of file @p index the way LLVM prints it (absolute: comp_dir / include dir / name,
 * joined like llvm::sys::path::append). Writes at most cap - 1 bytes and a NUL; returns the
 * full length (like snprintf), or 0 when the index names no file. */
size_t crp__dwarf_lines_path(const crp_dwarf_lines *lt, uint64_t index, const char *comp_dir,
			     char *out, size_t cap);

#endif
