/* CRPB, the compact binary report format: on-disk constants, integer codings and the wire
 * schema shared by the writer (converters/crpb) and the reader (crpb_read.c). The normative
 * description is schema/crpb-format.md; section numbers below refer to it. */
#ifndef CRP_CRPB_INTERNAL_H
#define CRP_CRPB_INTERNAL_H

#include "model/model.h"

/* §2 file header, §3 sections, §4 footer */
#define CRPB_MAGIC "\x89" "CRPB\r\n\x1a"
#define CRPB_MAGIC_LEN 8
#define CRPB_HEADER_SIZE 16
#define CRPB_SECTION_HEADER_SIZE 14
#define CRPB_FOOTER_SIZE 8
#define CRPB_FOOTER_MAGIC "BPRC"
#define CRPB_MAJOR 1
#define CRPB_MINOR 0

#define CRPB_SEC_SCHEMA 1
#define CRPB_SEC_REPORT 2
#define CRPB_SEC_INDEX 3

/* §3 section flags: the codec in bits 0-1, then REQUIRED */
#define CRPB_CODEC_MASK 0x03u
#define CRPB_CODEC_STORED 0u
#define CRPB_CODEC_DEFLATE 1u  /* raw DEFLATE, RFC 1951 */
#define CRPB_CODEC_ZSTD 2u     /* one Zstandard frame, RFC 8878 */
#define CRPB_F_REQUIRED 0x04u
#define CRPB_F_KNOWN (CRPB_CODEC_MASK | CRPB_F_REQUIRED)

/* §6 time form 100: a raw integer of undecided unit (converters/kscrash/reader.h CRP__TIME_RAW) */
#define CRPB_TIME_RAW 100

/* §5 schema limits */
#define CRPB_MAX_FIELDS 63
#define CRPB_MAX_RECORDS 1024
#define CRPB_MAX_KEY 255
#define CRPB_MAX_SCHEMA_TEXT (1u << 20)

/* §6 wire kinds */
enum crpb_kind {
	CRPB_W_U64,
	CRPB_W_I64,
	CRPB_W_I32,
	CRPB_W_F64,
	CRPB_W_BOOL,
	CRPB_W_STR,
	CRPB_W_TIME,
	CRPB_W_UUID,
	CRPB_W_HEX,
	CRPB_W_VALUE,
	CRPB_W_RECORD,
	CRPB_W_ARRAY,
	CRPB_W_STRLIST,
	CRPB_W_REGSET,
	CRPB_W_VERSION,
	CRPB_W_REPORT,
	CRPB_W_SYMBOLICATION,
	CRPB_W_KIND_COUNT
};

enum crpb_coding { CRPB_C_PLAIN, CRPB_C_DELTA, CRPB_C_REL };

/* §8 generic value tags */
enum crpb_tag {
	CRPB_T_NULL,
	CRPB_T_FALSE,
	CRPB_T_TRUE,
	CRPB_T_UINT,
	CRPB_T_NEGINT,
	CRPB_T_NUMBER,
	CRPB_T_STRING,
	CRPB_T_ARRAY,
	CRPB_T_OBJECT
};

#define CRPB_NO_FIELD 0xffu

/* How get_record reads a field, settled once at schema load so the per-field loop is one
 * switch on a dense enum instead of re-testing kind, coding and binding for every value. */
enum crpb_op {
	CRPB_OP_UNKNOWN,   /* not in this build's tables: read generically into the extras */
	CRPB_OP_U64,       /* bound u64, plain coding */
	CRPB_OP_U64_CODED, /* bound u64, delta or rel coding */
	CRPB_OP_STR,       /* bound string, plain coding */
	CRPB_OP_I64,       /* bound i64 (any coding) */
	CRPB_OP_OTHER      /* bound or virtual, any other kind: get_field */
};

/* A field of a wire record, bound to where this build keeps it. */
typedef struct crpb_field {
	uint8_t op;            /* enum crpb_op, set once the schema is bound */
	const char *key;
	uint8_t key_len;
	uint8_t kind;          /* enum crpb_kind */
	uint8_t coding;        /* enum crpb_coding */
	uint8_t base[2];       /* CRPB_C_REL: indices of earlier u64 fields, CRPB_NO_FIELD if none */
	uint32_t sub;          /* record id (record, array, version) */
	uint32_t stream;       /* this field's stream */
	/* binding: local is the model's field, or NULL when this build does not know the field
	 * (then it is read generically into the record's extras). The frame's symbolication is a
	 * field of the format that the tables do not list: local is NULL, virt is set. */
	const crp_fdesc *local;
	bool virt;
	uint16_t off;
	uint64_t bit;
} crpb_field;

typedef struct crpb_record {
	const char *name;
	uint8_t name_len;
	const crp_rdesc *local;  /* model table, or NULL when only reachable generically */
	crpb_field *fields;
	size_t count;
	uint32_t presence;       /* stream of presence masks and extras */
	uint64_t covered;        /* local presence bits the wire fields carry */
	bool columnar;           /* every field bound and read from its own stream alone */
} crpb_record;

typedef struct crpb_schema {
	crp_allocator alloc;
	crpb_record *records;
	size_t count;
	size_t streams;
	char *text;              /* owned copy: keys and names point into it */
	size_t text_len;
	unsigned builtin;        /* builtin schema number the text equals, or 0 */
} crpb_schema;

/* crpb_schema.c */
/* The schema text this build writes, derived from the model tables (§5). Caller frees *out
 * with a->free. */
int crp__crpb_schema_text(char **out, size_t *len, const crp_allocator *a);
/* Text of builtin schema n, or NULL. */
const char *crp__crpb_builtin_schema(unsigned n, size_t *len);
/* Parse schema text and bind it to the model tables. Errors go to err (message only). */
int crp__crpb_schema_parse(crpb_schema **out, const char *text, size_t len, const crp_allocator *a,
			   crp_error *err);
void crp__crpb_schema_free(crpb_schema *s);

/* Canonical integer text of a generic number value: true, with the sign and magnitude set, when `s`
 * the decimal a CRPB_T_UINT or CRPB_T_NEGINT value regenerates. */
bool crp__crpb_canonical_int(const char *s, size_t len, bool *neg, uint64_t *mag);
/* True when s is a JSON number (RFC 8259 grammar). */
bool crp__crpb_json_number(const char *s, size_t len);

/* crpb_read.c: zlib's crc32 of n bytes at p (p may be NULL when n is 0), continuing crc. */
uint32_t crp__crpb_crc32(uint32_t crc, const uint8_t *p, size_t n);

/* -- decoding a REPORT payload (crpb_decode.c) ------------------------------------------ */

/* The decoder recurses once per level of records and values, with about 600 bytes of stack. */
#define CRPB_MAX_DEPTH 1000

typedef struct crpb_limits {
	size_t max_section;   /* stored and decompressed size of one section */
	size_t max_text;      /* bytes of text a report refers to, repeats included */
	size_t max_memory;    /* arena bytes of one report */
	size_t max_items;     /* elements of one array, members of one object, strings of a report */
	size_t max_depth;     /* nesting of records and values */
} crpb_limits;

typedef struct crpb_cursor {
	const uint8_t *p, *end;
} crpb_cursor;

typedef struct crpb_str {
	const char *ptr;
	size_t len;
	bool nul;             /* holds a NUL byte: not usable as a typed (C) string */
} crpb_str;

/* Scratch reused across the reports of one file. */
typedef struct crpb_decoder {
	crp_allocator alloc;
	const crpb_schema *schema;
	crpb_limits lim;
	crpb_cursor *cur;     /* one per stream */
	uint64_t *prev;       /* delta state per stream */
	size_t *lens;         /* stream lengths while the payload is laid out */
	crpb_str *strs;
	size_t strs_cap;
	uint64_t *masks;      /* presence masks of the array being read by columns */
	size_t masks_cap;
	bool avx2;            /* the string table is split 32 bytes at a time */
} crpb_decoder;

int crp__crpb_decoder_init(crpb_decoder *d, const crpb_schema *s, const crp_allocator *a,
			   const crpb_limits *lim);
void crp__crpb_decoder_dispose(crpb_decoder *d);
/* A new report with `size` bytes for its payload in its arena (the decoded report uses the
 * payload's strings in place): CRP_ENOMEM or CRP_ELIMIT. */
int crp__crpb_report_new(crpb_decoder *d, size_t size, crp_report **out, uint8_t **buf);
/* Fill report r from the decompressed REPORT payload p (r's buffer). On failure err has the
 * code, message and the path inside the report; the caller adds where the section is and
 * frees r. */
int crp__crpb_decode(crpb_decoder *d, crp_report *r, const uint8_t *p, size_t n, crp_error *err);

/* -- integers (§1) ---------------------------------------------------------------------- */

static inline uint64_t crp__zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t crp__unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* Encode v as LEB128 into out (10 bytes available); returns the length. */
static inline size_t crp__varint_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static inline void crp__put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t crp__get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void crp__put_le64(uint8_t *p, uint64_t v)
{
	crp__put_le32(p, (uint32_t)v);
	crp__put_le32(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t crp__get_le64(const uint8_t *p)
{
	return (uint64_t)crp__get_le32(p) | (uint64_t)crp__get_le32(p + 4) << 32;
}

#endif
