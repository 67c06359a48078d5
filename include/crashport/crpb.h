/**
 * @file crashport/crpb.h
 * @brief Reading CRPB, crashport's compact, lossless binary report format.
 *
 * A .crpb file holds one or more reports (an archive of a batch) and an index of them. The
 * format is specified in schema/crpb-format.md. Writing is an emitter like any other:
 * crp_emitter_lookup("crpb"). Reading comes in two shapes:
 *
 *  - crp_crpb_open(): a whole file in memory (read or mapped); any report can be read through
 *    the index without decoding the others.
 *  - crp_crpb_stream_new(): bytes fed in chunks of any size (stdin, pipes, sockets); reports
 *    come out in file order, with one section in memory at a time.
 *
 * @code
 * crp_crpb *a;
 * crp_error err;
 * if (crp_crpb_open(&a, buf, len, NULL, &err) != CRP_OK) return;
 * for (size_t i = 0; i < crp_crpb_count(a); i++) {
 *     crp_report *r;
 *     if (crp_crpb_read(&r, a, i, &err) == CRP_OK) { use(r); crp_report_free(r); }
 * }
 * crp_crpb_close(a);
 * @endcode
 *
 * Every input is untrusted: declared sizes and counts are checked against the limits below
 * and against the bytes that must back them before anything is allocated; damage is reported
 * as CRP_ECORRUPT with the byte offset of the section and, inside a report, the path of the
 * value; a file cut short is CRP_ETRUNCATED. Reports read from CRPB carry no warnings (the
 * format does not keep the diagnostics of the JSON read that produced them).
 *
 * Thread safety: a handle is used by one thread at a time; handles share nothing.
 */
#ifndef CRP_CRPB_H
#define CRP_CRPB_H

#include "crashport/common.h"
#include "crashport/error.h"
#include "crashport/report.h"

CRP_BEGIN_DECL

/** Defaults of the limits; 0 in crp_crpb_options means "use the default". */
#define CRP_CRPB_DEFAULT_MAX_SECTION_BYTES (64u * 1024 * 1024)
#define CRP_CRPB_DEFAULT_MAX_TEXT_BYTES (64u * 1024 * 1024)

/**
 * Reader options. Initialise with CRP_CRPB_OPTIONS_INIT. Exceeding a limit is CRP_ELIMIT.
 * Added in 0.1.
 */
typedef struct crp_crpb_options {
	unsigned int version;            /**< CRP_CRPB_OPTIONS_VERSION */
	const crp_allocator *allocator;  /**< NULL: malloc/realloc/free */
	size_t max_section_bytes;        /**< stored and decompressed size of one section (compression bombs) */
	size_t max_text_bytes;           /**< text one report refers to, repeats counted: bounds
					      what a small file may expand to */
	size_t max_memory;               /**< model memory of one report (default as parsing) */
	size_t max_items;                /**< elements of one array, members of one object,
					      strings of one report, reports of one index */
	size_t max_depth;                /**< nesting of records and values (default 128, at most 1000) */
} crp_crpb_options;

#define CRP_CRPB_OPTIONS_VERSION 1
#define CRP_CRPB_OPTIONS_INIT {CRP_CRPB_OPTIONS_VERSION, NULL, 0, 0, 0, 0, 0}

/** Bytes needed to recognise a CRPB file. */
#define CRP_CRPB_MAGIC_SIZE 8

/**
 * True when @p buf starts with the CRPB magic (needs CRP_CRPB_MAGIC_SIZE bytes; shorter
 * buffers give false). Added in 0.1.
 */
CRP_API bool crp_crpb_detect(const void *buf, size_t len);

/** An index entry: where a report is and what identifies it. */
typedef struct crp_crpb_entry {
	uint64_t offset;      /**< byte offset of the report's section in the file */
	uint64_t size;        /**< bytes of the section, header included */
	const char *id;       /**< report.id, or NULL when the report has none */
	bool has_timestamp;
	crp_time timestamp;   /**< report.timestamp when has_timestamp */
} crp_crpb_entry;

typedef struct crp_crpb crp_crpb;

/**
 * Open an archive held in memory: checks the header, the schema and the index (not the
 * reports). Added in 0.1.
 * @param[out] out  the archive; close it with crp_crpb_close().
 * @param buf       the whole file; not copied: it must outlive the archive handle.
 * @param opts      options or NULL; copied.
 * @param err       receives the error on failure; may be NULL.
 * @return CRP_OK, CRP_ECORRUPT, CRP_ETRUNCATED, CRP_EUNSUPPORTED (a newer format version or
 *         schema), CRP_ELIMIT, CRP_ENOMEM or CRP_EINVAL.
 */
CRP_API int crp_crpb_open(crp_crpb **out, const void *buf, size_t len, const crp_crpb_options *opts,
			  crp_error *err);
/**
 * Point an open archive handle at another file, keeping what can be reused (decompression
 * state, the parsed schema when the new file uses the same one, scratch memory): reading many
 * small files through one handle is much faster than opening each. On failure the handle holds
 * no file but can be reopened again. Index entries of the previous file become invalid.
 * Added in 0.1.
 * @param buf  the whole file; not copied: it must outlive its use through @p a.
 */
CRP_API int crp_crpb_reopen(crp_crpb *a, const void *buf, size_t len, crp_error *err);
/** Number of reports in the archive. */
CRP_API size_t crp_crpb_count(const crp_crpb *a);
/** Index entry @p i, or NULL past the end. Owned by @p a. */
CRP_API const crp_crpb_entry *crp_crpb_entry_at(const crp_crpb *a, size_t i);
/**
 * Decode report @p i alone (the others are not touched).
 * @param[out] out  the report; owned by the caller, free it with crp_report_free().
 * @param err       receives the error on failure; may be NULL.
 */
CRP_API int crp_crpb_read(crp_report **out, crp_crpb *a, size_t i, crp_error *err);
/** Close an archive. NULL is ignored. Reports already read stay valid. */
CRP_API void crp_crpb_close(crp_crpb *a);

typedef struct crp_crpb_stream crp_crpb_stream;

/**
 * Create a streaming reader. Added in 0.1.
 * @param[out] out  the reader; free it with crp_crpb_stream_free().
 * @return CRP_OK, CRP_ENOMEM or CRP_EINVAL (unknown options version).
 */
CRP_API int crp_crpb_stream_new(crp_crpb_stream **out, const crp_crpb_options *opts);
/**
 * Feed the next chunk. Reports whose section ends inside it become available to
 * crp_crpb_stream_next(). After an error the reader stays failed.
 * @return CRP_OK, or an error described by crp_crpb_stream_error().
 */
CRP_API int crp_crpb_stream_feed(crp_crpb_stream *s, const void *buf, size_t len);
/**
 * Signal the end of input: CRP_ETRUNCATED unless the archive was complete (index and footer
 * read, and checked against the reports seen); CRP_EEMPTY when it holds no report.
 */
CRP_API int crp_crpb_stream_finish(crp_crpb_stream *s);
/**
 * Take the next report.
 * @param[out] out  the report; owned by the caller, free it with crp_report_free().
 * @return CRP_OK, or CRP_ITEROVER when none is ready.
 */
CRP_API int crp_crpb_stream_next(crp_crpb_stream *s, crp_report **out);
/** The reader's error (code CRP_OK while there is none). Never NULL. Owned by @p s. */
CRP_API const crp_error *crp_crpb_stream_error(const crp_crpb_stream *s);
/** Free a streaming reader and any reports not yet taken. NULL is ignored. */
CRP_API void crp_crpb_stream_free(crp_crpb_stream *s);

CRP_END_DECL

#endif
