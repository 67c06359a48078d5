/**
 * @file crashport/parse.h
 * @brief Streaming KSCrash report reader.
 *
 * Feed input in chunks of any size; complete reports become available as they end. A stream
 * may hold several reports, concatenated or one per line. Every report version and layout
 * KSCrash and its forks have written is read into the same model.
 *
 * @code
 * crp_parser *p;
 * if (crp_parser_new(&p, NULL) != CRP_OK) return;
 * while ((n = read(fd, buf, sizeof buf)) > 0)
 *     if (crp_parser_feed(p, buf, n) != CRP_OK) break;
 * crp_parser_finish(p);
 * crp_report *r;
 * while (crp_parser_next(p, &r) == CRP_OK) { use(r); crp_report_free(r); }
 * if (crp_parser_error(p)->code != CRP_OK) complain(crp_parser_error(p));
 * crp_parser_free(p);
 * @endcode
 *
 * Thread safety: a parser is used by one thread at a time; parsers share nothing.
 */
#ifndef CRP_PARSE_H
#define CRP_PARSE_H

#include "crashport/common.h"
#include "crashport/error.h"
#include "crashport/report.h"

CRP_BEGIN_DECL

typedef struct crp_parser crp_parser;

/** Strict mode: truncated input and values of the wrong type are errors, not warnings. */
#define CRP_PARSE_STRICT 0x01u
/** Do not repair trailing commas (a syntax error instead). */
#define CRP_PARSE_NO_SALVAGE 0x02u
/** Feed yajl the text as it is, without squeezing whitespace out first (slower; the same
 * results: for testing and comparison). */
#define CRP_PARSE_NO_SQUEEZE 0x04u

/** Defaults of the limits; 0 in crp_parse_options means "use the default". */
#define CRP_DEFAULT_MAX_REPORT_BYTES (64u * 1024 * 1024)
#define CRP_DEFAULT_MAX_DEPTH 128u
#define CRP_DEFAULT_MAX_STRING_BYTES (16u * 1024 * 1024)
#define CRP_DEFAULT_MAX_ITEMS 1000000u
#define CRP_DEFAULT_MAX_MEMORY (512u * 1024 * 1024)
#define CRP_DEFAULT_MAX_WARNINGS 1000u

/**
 * Parser options. Initialise with CRP_PARSE_OPTIONS_INIT, then set what you need.
 * Limits apply per report; exceeding one is a CRP_ELIMIT error naming the limit. Added in 0.1.
 */
typedef struct crp_parse_options {
	unsigned int version;            /**< CRP_PARSE_OPTIONS_VERSION */
	unsigned int flags;              /**< CRP_PARSE_STRICT, CRP_PARSE_NO_SALVAGE */
	const crp_allocator *allocator;  /**< NULL: malloc/realloc/free */
	size_t max_report_bytes;         /**< JSON text of one report */
	size_t max_depth;                /**< nesting of objects and arrays */
	size_t max_string_bytes;         /**< one string or key, after unescaping */
	size_t max_items;                /**< elements of one array or members of one object */
	size_t max_memory;               /**< bytes of model memory one report may use */
	size_t max_warnings;             /**< warnings kept per report; more are counted only */
} crp_parse_options;

#define CRP_PARSE_OPTIONS_VERSION 1
#define CRP_PARSE_OPTIONS_INIT {CRP_PARSE_OPTIONS_VERSION, 0, NULL, 0, 0, 0, 0, 0, 0}

/**
 * Create a parser.
 * @param[out] out  the parser; free it with crp_parser_free().
 * @param opts      options or NULL for defaults; copied, need not outlive the call.
 * @return CRP_OK, CRP_ENOMEM, or CRP_EINVAL (unknown options version).
 */
CRP_API int crp_parser_new(crp_parser **out, const crp_parse_options *opts);

/**
 * Feed the next chunk of input. Reports that end inside it become available to
 * crp_parser_next(). After an error the parser stays failed: further calls return the same code.
 * @return CRP_OK, or an error described by crp_parser_error().
 */
CRP_API int crp_parser_feed(crp_parser *p, const void *buf, size_t len);

/**
 * Signal the end of input. A report cut short by the end of input is kept with what was
 * complete, marked incomplete, with a CRP_W_TRUNCATED warning (CRP_ETRUNCATED in strict mode).
 * @return CRP_OK, CRP_EEMPTY when the whole input held no report, or another error.
 */
CRP_API int crp_parser_finish(crp_parser *p);

/**
 * Take the next complete report.
 * @param[out] out  the report; owned by the caller, free it with crp_report_free().
 * @return CRP_OK, or CRP_ITEROVER when none is ready.
 */
CRP_API int crp_parser_next(crp_parser *p, crp_report **out);

/** The parser's error (code CRP_OK while there is none). Never NULL. Owned by the parser. */
CRP_API const crp_error *crp_parser_error(const crp_parser *p);

/** Number of reports completed so far (taken or not). */
CRP_API uint64_t crp_parser_report_count(const crp_parser *p);

/** Free a parser and any reports not yet taken. NULL is ignored. */
CRP_API void crp_parser_free(crp_parser *p);

/**
 * Parse exactly one report from memory.
 * @param[out] out  the report; owned by the caller, free it with crp_report_free().
 * @param err       receives the error on failure; may be NULL.
 * @return CRP_OK; CRP_EEMPTY for no report; CRP_ESCHEMA when the input holds more than one;
 *         or the parse error.
 */
CRP_API int crp_report_parse(crp_report **out, const void *buf, size_t len,
			     const crp_parse_options *opts, crp_error *err);

CRP_END_DECL

#endif
