/* The streaming reader's state: the yajl driver (parse.c) and the model builder (reader.c)
 * share it. */
#ifndef CRP_READER_H
#define CRP_READER_H

#include <locale.h>
#include <setjmp.h>
#include <yajl/yajl_parse.h>

#include "model/model.h"
#include "mem/scratch.h"
#include "squeeze.h"

/* Input is squeezed and parsed in windows of at most this many bytes. */
#define CRP_WINDOW (64u * 1024)

/* Keys of one record type nearly always come in the same order: the reader remembers, per
 * table, which field followed each field last time (and which came first). Register objects
 * repeat their names in the same order from thread to thread. */
#define CRP_MAX_FIELDS 64
#define CRP_MAX_REG_NAMES 48

/* Internal time form: an integer whose unit depends on the report version, resolved when the
 * report is complete. */
#define CRP__TIME_RAW 100

enum crp_frame_kind {
	CRP_F_RECORD,  /* typed record */
	CRP_F_ARRAY,   /* typed array of records */
	CRP_F_STRLIST, /* typed array of strings */
	CRP_F_REGSET,  /* registers object */
	CRP_F_VOBJ,    /* generic object being captured */
	CRP_F_VARR     /* generic array being captured */
};

/* A side list in the arena: record extras and array strays are rare, so they are linked
 * as they come and flattened when their container closes. */
typedef struct crp_side_node {
	struct crp_side_node *next;
	crp_stray item;      /* extras use item.value and key */
	crp_span key;
} crp_side_node;

typedef struct crp_side_list {
	crp_side_node *head;
	crp_side_node *tail;
	size_t count;
} crp_side_list;

/* Consecutive empty records ({}) of a typed array: they take no scratch memory while the
 * array is open, only this node (newest first), and become zeroed records when it closes. */
typedef struct crp_empty_run {
	struct crp_empty_run *next;
	size_t at;                 /* typed index of the first one */
	size_t count;
} crp_empty_run;

/* push_frame() sets every field one by one: a new field needs a line there. */
typedef struct crp_frame_state {
	uint8_t kind;
	bool in_member;            /* object-like: a key was read, its value is pending */
	const crp_rdesc *rd;       /* RECORD: its table; ARRAY: the element table */
	void *obj;                 /* RECORD: the record; ARRAY/STRLIST: crp_array_slot; REGSET */
	const crp_fdesc *field;    /* RECORD: the pending key's field, NULL if unknown */
	crp_span key;              /* object-like: the pending key */
	size_t n;                  /* keys or elements seen (the index of the current element) */
	size_t hint;               /* RECORD: where the next key probably is in rd */
	uint8_t *next;             /* RECORD: the field that followed each field last time
				      (next[hint]); REGSET: unused */
	crp_scratch_mark mark;     /* start of this container's items */
	crp_side_list extras;
	crp_side_list strays;
	crp_empty_run *empty_runs; /* ARRAY: its empty records, newest run first */
	size_t empties;            /* ARRAY: how many */
	crp_body *body;            /* the report body this container belongs to */
} crp_frame_state;

typedef struct crp_diag_node {
	struct crp_diag_node *next;
	crp_diag diag;
} crp_diag_node;

struct crp_parser {
	crp_allocator alloc;
	crp_parse_options opts;
	yajl_handle yajl;
	yajl_alloc_funcs yajl_alloc;
	locale_t c_locale;
	crp_error err;

	/* input: see input.c */
	crp_squeeze squeeze;       /* state of the squeezer at the end of what was fed */
	const unsigned char *window; /* the original bytes being parsed, NULL between feeds */
	size_t window_len;
	size_t window_lines;       /* newlines in the window, when squeezing */
	crp_squeeze window_state;  /* squeezer state at the window's start */
	bool squeezing;            /* whitespace is squeezed out (see squeeze.c) */
	int squeeze_isa;           /* the squeezer's instruction set, chosen once per parser */
	unsigned char *fbuf;       /* the squeezed window */
	const unsigned char *ybuf; /* what yajl parses: fbuf, or the window itself */
	size_t flen;
	size_t fbase;              /* where the current yajl_parse call started in fbuf */
	unsigned char ftail[64];   /* squeezed bytes before the window (tokens may straddle) */
	size_t ftail_len;
	size_t map_f, map_o;       /* last squeezed-to-original answer, to resume from */
	crp_squeeze map_state;
	uint64_t chunk_base;       /* stream offset of the window (of the end, between feeds) */
	uint64_t kept_end;         /* stream offset after the last byte yajl was given */
	uint64_t kept_lines;       /* newlines before it, and where its line starts */
	uint64_t kept_line_start;
	uint64_t lines_before;     /* newlines before chunk_base */
	uint64_t line_start;       /* stream offset of the first byte of that line */
	bool lc_valid;             /* a line count inside the window, to resume from */
	size_t lc_off;
	uint64_t lc_lines, lc_start;
	crp_squeeze raw_strings;   /* unsqueezed input: string state at the end of what was fed */
	size_t fprefix;            /* carried bytes before the window at ybuf[0] (carry.c), else 0 */
	unsigned char *carry;      /* a string cut by window ends, from its opening quote (carry.c) */
	size_t carry_len, carry_cap;
	size_t carry_bs;           /* backslashes in it */
	bool carrying;
	uint64_t carry_off, carry_line, carry_col; /* where its opening quote is */
	bool bom_checked;
	uint8_t bom_seen;          /* bytes of a byte order mark read so far */
	bool saw_content;          /* a non-whitespace byte was fed */
	bool muted;                /* replaying a prefix after a repair: callbacks ignore events */
	bool finishing;            /* the final flush: a number completed now was cut short */
	bool finished;
	size_t tok_back;           /* length of the current token: diagnostics point at its start;
	                              CRP_TOK_STRING: the string just read (see crp__parser_token_back) */
	size_t tok_string;         /* with CRP_TOK_STRING: its decoded length + 2 */

	/* yajl allocation failures unwind to here */
	jmp_buf *oom_jmp;
	bool tracking;
	void *tracked[8];
	size_t tracked_count;

	/* learned key order per record table; register names of this report by position, for
	 * "basic" [0] and "exception" [1] */
	uint8_t next_field[CRP_RD_COUNT][CRP_MAX_FIELDS + 1];
	crp_span reg_names[2][CRP_MAX_REG_NAMES];

	/* the report being built */
	crp_report *report;
	crp_arena *arena;
	uint64_t report_start;
	crp_scratch scratch;
	crp_frame_state *frames;
	size_t depth;
	crp_frame_state *cur;      /* &frames[depth - 1] (NULL at depth 0): every callback wants it,
				      one load instead of two and a multiply */
	crp_diag_node *diag_head;
	crp_diag_node *diag_tail;
	size_t diag_count;
	size_t diag_dropped;

	/* finished reports waiting for crp_parser_next */
	crp_report **ready;
	size_t ready_head;
	size_t ready_count;
	size_t ready_cap;
	uint64_t report_count;
	size_t size_hint;          /* bytes of the one report crp_report_parse reads, else 0 */
};

/* reader.c: yajl callbacks building the model. */
extern const yajl_callbacks crp__reader_callbacks;
/* Start the learned key orders from the tables' own order, which is the order KSCrash writes:
 * each parser reads one report, and most keys of a fresh parser would otherwise miss once. */
void crp__reader_seed_order(crp_parser *p);
/* Close every open container as if the input had ended there (truncated input). */
int crp__reader_salvage(crp_parser *p);
/* Drop the report being built. */
void crp__reader_discard(crp_parser *p);
/* Make a warning with position and path; in strict mode type/value warnings become errors. */
int crp__reader_warn(crp_parser *p, int code, const char *fmt, ...) CRP_PRINTF(3, 4);
/* Set the parser error with position and path; returns 0 (yajl's "stop"). */
int crp__reader_fail(crp_parser *p, int code, const char *fmt, ...) CRP_PRINTF(3, 4);
/* Render the JSON path of the current position. Returns length (may exceed cap). */
size_t crp__reader_path(const crp_parser *p, char *out, size_t cap);
/* A string (or key) still being read passed the string limit: the error, at its start. */
int crp__reader_fail_long_string(crp_parser *p, uint64_t offset, uint64_t line, uint64_t column);

/* carry.c: strings kept whole for yajl across windows. */
/* Advance the string state (in_string, escape) over n bytes of unsqueezed JSON. */
void crp__strings_track(crp_squeeze *st, const unsigned char *b, size_t n);
/* Index of the quote ending the string b starts inside (`escaped`: b[0] is escaped), or n. */
size_t crp__string_end(const unsigned char *b, size_t n, bool escaped);
/* Index of the quote opening the string [from, to) ends inside, outside a string at from. */
size_t crp__string_start(const unsigned char *b, size_t from, size_t to);
/* A carry begins at the opening quote at stream offset `offset`, line and column given. */
void crp__carry_start(crp_parser *p, uint64_t offset, uint64_t line, uint64_t column);
int crp__carry_more(crp_parser *p, const unsigned char *b, size_t n);
void crp__carry_dispose(crp_parser *p);

/* input.c */
void crp__input_init(crp_parser *p);
int crp__input_make_yajl(crp_parser *p);
int crp__input_parse(crp_parser *p, const unsigned char *buf, size_t len, bool complete);
int crp__input_feed(crp_parser *p, const unsigned char *buf, size_t len);
size_t crp__input_skip_bom(crp_parser *p, const unsigned char *buf, size_t len, int *rc);
int crp__input_flush_bom(crp_parser *p);
int crp__input_fail(crp_parser *p, int code, const char *msg);
int crp__input_fail_syntax(crp_parser *p);
/* tok_back for a string token: its length from its opening quote (escapes make it longer than
 * what the callback was given, and a carried string is held squeezed), so its place does not
 * depend on the chunks. */
#define CRP_TOK_STRING SIZE_MAX
size_t crp__parser_token_back(crp_parser *p);
/* Stream offset `back` bytes before the end of the last token. */
uint64_t crp__parser_offset(crp_parser *p, size_t back);
/* Current position in the stream (`back` bytes before the end of the last token). */
void crp__parser_position(crp_parser *p, size_t back, uint64_t *offset, uint64_t *line,
			  uint64_t *column);
/* Line and column of stream offset `off`, which is in the current window or before it. */
void crp__parser_locate(crp_parser *p, uint64_t off, uint64_t *line, uint64_t *column);

#endif
