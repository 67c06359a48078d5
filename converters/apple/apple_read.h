/* Apple crash reports as input: .ips (a metadata line, then a JSON body or .crash text) and
 * .crash text, read into the model. Private to this folder; the rules are in README.md.
 *
 * apple_read.c frames the stream (metadata line, body kind, report boundaries, positions,
 * the ready queue), apple_build.c holds what both bodies share (copies into the arena,
 * untyped values, the "apple" extras, warnings, finishing a report), apple_read_ips.c drives
 * the JSON parser (src/json) over the JSON body, apple_read_crash.c reads the text line by line. */
#ifndef CRP_APPLE_READ_H
#define CRP_APPLE_READ_H

#include "format.h"
#include "json/json.h"
#include "mem/scratch.h"
#include "model/model.h"

/* -- lists kept in the arena while a record is open --------------------------------------- */

typedef struct ar_node {
	struct ar_node *next;
	crp_member m;         /* key and value; strays use value and `index` */
	size_t index;
} ar_node;

typedef struct ar_list {
	ar_node *head, *tail;
	size_t count;
} ar_list;

typedef struct ar_diag {
	struct ar_diag *next;
	crp_diag d;
} ar_diag;

/* Frames are read before the images they point into: until the report is finished a frame
 * holds its usedImages index in object_addr, its offset in instruction_addr and its symbol
 * location in symbol_addr, marked by these bits (cleared before anyone else sees the frame). */
#define AR_PEND_INDEX CRP_BIT_(61)
#define AR_PEND_OFFSET CRP_BIT_(62)
#define AR_PEND_SYMLOC CRP_BIT_(63)
/* A text frame line whose image column says "???" or nothing: see unnamed_frame(). */
#define AR_PEND_UNNAMED CRP_BIT_(60)
/* An .ips frame marked "inline": merged into the frame after it when the report is finished. */
#define AR_SYM_INLINE 0x80000000u

/* A register as read, before the two sets KSCrash keeps them in are made. */
typedef struct ar_reg {
	const char *name;
	uint64_t value;
	bool exception;
} ar_reg;

/* -- the JSON body ------------------------------------------------------------------------ */

enum ar_ctx_kind {
	AK_BODY, AK_CAP_OBJ, AK_CAP_ARR, AK_OSV, AK_BUNDLE, AK_EXC, AK_THREADS, AK_THREAD, AK_FRAMES,
	AK_FRAME, AK_TSTATE, AK_REG, AK_XREGS, AK_IMAGES, AK_IMAGE, AK_META
};

/* One open JSON container. */
typedef struct ar_ctx {
	uint8_t kind;
	bool in_member;          /* objects: a key was read, its value is pending */
	int key_id;              /* the pending key among the kind's known keys, or -1 */
	crp_span key;            /* the pending key (arena copy, or a static name) */
	size_t n;                /* members or elements seen */
	crp_scratch_mark mark;   /* start of this container's items on the scratch stack */
	void *rec;               /* the record being filled: thread, frame, image, backtrace */
	ar_list extras;          /* untyped members of the record */
	ar_list aux;             /* threadState: what registers say besides their values */
	ar_list strays;          /* typed arrays: elements that are not objects */
	uint64_t value;          /* AK_REG: the register's value */
	bool has_value;
	const char *text;        /* AK_FRAME: sourceFile; AK_IMAGE: name */
	const char *sym_image;   /* AK_FRAME: symbolImage */
	uint64_t line;           /* AK_FRAME: sourceLine */
	bool flag;               /* AK_FRAME: inline */
} ar_ctx;

/* -- the reader --------------------------------------------------------------------------- */

enum ar_state {
	AS_START,     /* before a report: whitespace, then a metadata line or text */
	AS_META,      /* collecting the metadata line */
	AS_AFTER_META,/* between the metadata line and the body */
	AS_JSON,      /* the JSON body, through the JSON parser */
	AS_TEXT,      /* .crash text, line by line */
	AS_FAILED
};

/* What the text reader is in the middle of (apple_read_crash.c). */
enum ar_section { AT_HEADER, AT_THREAD, AT_STATE, AT_IMAGES, AT_BLOCK };

/* Text blocks: what their lines become. */
enum ar_block { BK_ASI, BK_KTRIAGE, BK_VMREGION, BK_ASB, BK_SECTION, BK_SUMMARY, BK_INSTR, BK_TRAILER, BK_EXTMODS };

typedef struct ar_text {
	uint8_t section;
	uint8_t block;           /* AT_BLOCK: enum ar_block */
	bool in_report;          /* a report has started */
	bool translated;         /* right-aligned frame addresses: a translation of an .ips */
	bool saw_body;           /* threads or images seen: a new header starts a new report */
	bool banner;             /* "Translated Report (Full Report Below)" was read */
	bool in_threads;         /* thread records are on the scratch stack */
	bool in_frames;          /* a backtrace's frames are on the scratch stack */
	bool in_images;
	bool after_termination;  /* the last header line was Termination Reason: details follow */
	bool last_line;          /* the input's last line, without a newline: maybe cut short */
	bool saw_eof;            /* the "EOF" line of a translated iOS report */
	bool saw_images;         /* its "Binary Images:" line: every Apple text ends with that list */
	bool macos_version;      /* "Report Version:" other than 104: only macOS writes those */
	uint64_t first_line;     /* where the report's text starts: its line, */
	uint64_t first_line_start; /* and that line's offset */
	ar_list details;         /* termination details, one per line */
	crp_scratch_mark thread_mark, frame_mark, image_mark;
	crp_thread *thread;      /* the thread being read (on the scratch stack), or NULL */
	crp_backtrace *bt;       /* where frames go: the thread's, or the last exception's */
	ar_list thread_extras;
	size_t frame_no;         /* frames read into bt */
	size_t thread_count;     /* thread records pushed */
	size_t image_count;
	const char *name_text;   /* "Thread N name:" text, for thread name_no */
	uint64_t name_no;
	bool have_name;
	uint64_t state_thread;   /* the thread a register block belongs to */
	uint64_t instr_thread;
	ar_list state;           /* threadState leftovers (descriptions) */
	struct ar_reg *regs;     /* registers of the block, in the arena */
	size_t reg_count, reg_cap;
	const char *block_key;   /* BK_SECTION: its title */
	char *buf;               /* the block being collected */
	size_t buf_len, buf_cap;
	size_t block_lines;
	int64_t crashed_no;      /* "Triggered by Thread" / "Crashed Thread", or -1 */
	ar_list asi;             /* Application Specific Information lines */
	ar_list asi_bt;          /* Application Specific Backtraces, as text */
	ar_list header;          /* header lines the model has no field for */
	ar_list unparsed;        /* lines not understood */
	ar_list exc;             /* members of apple.exception */
	ar_list term;            /* members of apple.termination */
	ar_list osv;             /* members of apple.osVersion */
	ar_list sections;        /* text blocks the model has no field for, by title */
	size_t known;            /* lines understood: none at all means this is not a report */
	const char *last_image;  /* the previous frame's image name, shared when it repeats */
	size_t last_image_len;
} ar_text;

typedef struct ar_reader {
	crp_allocator alloc;
	crp_parse_options opts;  /* limits with defaults filled in */
	bool ips_only;           /* opened as "ips": the first line must be the metadata line */
	crp_error err;
	uint8_t state;
	bool bom_checked;
	uint8_t bom_seen;
	bool finished;

	/* positions: the stream offset of the next byte, and of the current line's start */
	uint64_t offset;
	uint64_t line;           /* 1-based number of the current line */
	uint64_t line_start;
	uint64_t report_start;
	uint64_t blank_run;      /* blank text lines read in a row before the current line */

	/* a line being assembled across feeds (metadata line, text lines) */
	unsigned char *lbuf;
	size_t llen, lcap;

	/* the report being built */
	crp_report *report;
	crp_arena *arena;
	crp_scratch scratch;
	ar_list apple;           /* members of the body's "apple" extras */
	ar_diag *diag_head, *diag_tail;
	size_t diag_count, diag_dropped;
	bool truncated;
	const crp_value *asi;    /* the report's "asi" object, typed into images when finished */
	uint64_t faulting;       /* faultingThread */
	bool has_faulting;

	/* the JSON body */
	crp_json json;
	bool json_open;          /* json holds a body or metadata line being parsed */
	ar_ctx *ctx;             /* stack of open containers, max_depth deep */
	size_t depth;
	bool body_done;          /* the body's last brace was read */
	bool meta_mode;          /* parsing the metadata line: its object is captured whole */
	crp_value meta;
	const unsigned char *chunk; /* the bytes being parsed, for positions */
	uint64_t chunk_base;     /* their stream offset */
	uint64_t chunk_line;     /* the line the chunk starts in, and where that line starts */
	uint64_t chunk_line_start;

	/* the text body */
	ar_text t;

	/* finished reports */
	crp_report **ready;
	size_t ready_head, ready_count, ready_cap;
	uint64_t report_count;
} ar_reader;

/* -- apple_read.c ------------------------------------------------------------------------- */

/* Error at the current position (the path is filled by the body being read); returns code. */
int crp__ar_fail(ar_reader *rd, int code, const char *fmt, ...) CRP_PRINTF(3, 4);
/* The current position: line and column of the token being read. */
void crp__ar_position(const ar_reader *rd, uint64_t *offset, uint64_t *line, uint64_t *col);
/* Render the path of what is being read into out; returns its length. */
size_t crp__ar_path(const ar_reader *rd, char *out, size_t cap);

/* -- apple_build.c ------------------------------------------------------------------------ */

int crp__ar_begin(ar_reader *rd);
/* Finish the report being built and queue it. */
int crp__ar_end(ar_reader *rd);
void crp__ar_discard(ar_reader *rd);
int crp__ar_oom(ar_reader *rd);
/* A warning at the current position; in strict mode type and value warnings are errors.
 * Returns CRP_OK or the error. */
int crp__ar_warn(ar_reader *rd, int code, const char *fmt, ...) CRP_PRINTF(3, 4);

/* Text copied into the arena: invalid UTF-8 is repaired (with a warning), a NUL byte ends
 * nothing (the length is kept). NULL on failure (the error is set). */
const char *crp__ar_text(ar_reader *rd, const char *s, size_t len);
const char *crp__ar_textn(ar_reader *rd, const char *s, size_t len, size_t *out_len);
int crp__ar_value_str(ar_reader *rd, const char *s, size_t len, crp_value *v);
int crp__ar_value_num(ar_reader *rd, const char *s, size_t len, crp_value *v);
int crp__ar_value_u64(ar_reader *rd, uint64_t u, crp_value *v);
int crp__ar_add(ar_reader *rd, ar_list *l, crp_span key, const crp_value *v);
int crp__ar_add_str(ar_reader *rd, ar_list *l, const char *key, const char *s, size_t len);
int crp__ar_add_u64(ar_reader *rd, ar_list *l, const char *key, uint64_t u);
int crp__ar_add_stray(ar_reader *rd, ar_list *l, size_t index, const crp_value *v);
/* The list appended to a record's extras (or made an object value); the list is emptied. */
int crp__ar_flatten(ar_reader *rd, ar_list *l, crp_extras *out);
int crp__ar_object(ar_reader *rd, ar_list *l, crp_value *out);
int crp__ar_strays(ar_reader *rd, ar_list *l, crp_strays *out);
/* A scratch region (items of `size` bytes since `m`) copied into the arena. */
void *crp__ar_take(ar_reader *rd, crp_scratch_mark m, size_t size, size_t *count);

/* Facts both bodies map the same way. */
bool crp__ar_time(const char *s, size_t len, crp_time *t, int *tz_minutes);
int crp__ar_set_time_zone(ar_reader *rd, int minutes);
bool crp__ar_cpu_type(const char *code_type, size_t len, int32_t *type);
bool crp__ar_arch(const char *name, size_t len, int32_t *type, int32_t *subtype);
void crp__ar_exception_type(ar_reader *rd, const char *s, size_t len);
void crp__ar_signal(ar_reader *rd, const char *s, size_t len);
/* "KERN_INVALID_ADDRESS at 0x1", "SEGV_MAPERR at 0x88": the code's name and the address. */
void crp__ar_code_at(ar_reader *rd, const char *s, size_t len);
void crp__ar_train(ar_reader *rd, const char *s, size_t len);
const char *crp__ar_reg_name(ar_reader *rd, const char *s, size_t len, bool *exception);

/* -- apple_read_ips.c --------------------------------------------------------------------- */

/* The JSON body begins: a parser opens for it. */
void crp__ar_json_open(ar_reader *rd);
void crp__ar_json_close(ar_reader *rd);
/* Close every open container as if the input had ended there. */
int crp__ar_ips_salvage(ar_reader *rd);
int crp__ar_meta_facts(ar_reader *rd, const crp_value *meta);
size_t crp__ar_ips_path(const ar_reader *rd, char *out, size_t cap);
/* The metadata line, parsed into an object value. */
/* cut: the input ended inside the line; what was complete is kept (the caller warns). */
int crp__ar_metadata(ar_reader *rd, const unsigned char *line, size_t len, bool cut, crp_value *out);
/* A syntax error: the parser's message (or `what`) at the token it stopped at. */
int crp__ar_json_syntax(ar_reader *rd, const char *what);

/* -- apple_read_crash.c ------------------------------------------------------------------- */

/* One line of text (without its newline; a trailing CR removed). */
int crp__ar_text_line(ar_reader *rd, const char *s, size_t len);
/* A metadata line met inside text: the report before it ends, a new one begins (apple_read.c). */
int crp__ar_meta_in_text(ar_reader *rd, const char *s, size_t len);
/* The end of the text: the report being read is finished. */
int crp__ar_text_end(ar_reader *rd);
/* Forget the text state of the previous report (a new one starts). */
void crp__ar_text_reset(ar_reader *rd);
size_t crp__ar_text_path(const ar_reader *rd, char *out, size_t cap);

/* apple_read_lines.c: one line of a section into the model. */
bool crp__ar_is_blank(const char *s, size_t len);
bool crp__ar_hex(const char *s, size_t len, uint64_t *out);
bool crp__ar_dec(const char *s, size_t len, uint64_t *out);
int crp__ar_frame_line(ar_reader *rd, const char *s, size_t len, crp_frame *f);
int crp__ar_image_line(ar_reader *rd, const char *s, size_t len, crp_image *im);
int crp__ar_register_line(ar_reader *rd, const char *s, size_t len);
int crp__ar_instr_bytes(ar_reader *rd, const char *text, size_t len, crp_value *out);

#endif
