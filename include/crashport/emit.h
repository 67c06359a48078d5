/**
 * @file crashport/emit.h
 * @brief Writing reports in other formats through pluggable emitters and byte sinks.
 *
 * @code
 * crp_sink sink;
 * crp_sink_init_file(&sink, stdout);
 * crp_error err;
 * if (crp_emit(crp_emitter_lookup("json"), report, &sink, NULL, &err) != CRP_OK) ...
 * @endcode
 *
 * Thread safety: emitters are immutable tables; a session is used by one thread at a time.
 */
#ifndef CRP_EMIT_H
#define CRP_EMIT_H

#include <stdio.h>

#include "crashport/common.h"
#include "crashport/error.h"
#include "crashport/report.h"

CRP_BEGIN_DECL

/**
 * Where output bytes go. @c write must consume all @p len bytes and return 0, or return
 * non-zero to fail the emission with CRP_EIO; errno left set by a failing @c write is named
 * in the error message ("cannot write output: No space left on device").
 */
typedef struct crp_sink {
	int (*write)(void *ctx, const void *buf, size_t len);
	void *ctx;
} crp_sink;

/** A sink writing to @p f (not closed, not flushed). */
CRP_API void crp_sink_init_file(crp_sink *sink, FILE *f);
/** A sink writing to file descriptor @p fd with write(2), retrying on EINTR. */
CRP_API void crp_sink_init_fd(crp_sink *sink, int fd);

/** A growable memory buffer (with a hard cap). Initialise with CRP_BUFFER_INIT. */
typedef struct crp_buffer {
	char *data;                      /**< NUL-terminated when non-NULL; owned by the buffer */
	size_t len;
	size_t cap;
	size_t max;                      /**< 0: no cap; else writes past it fail */
	const crp_allocator *allocator;  /**< NULL: malloc; must outlive the buffer */
} crp_buffer;
#define CRP_BUFFER_INIT {NULL, 0, 0, 0, NULL}
/** A sink appending to @p buf. */
CRP_API void crp_sink_init_buffer(crp_sink *sink, crp_buffer *buf);
/** Release the buffer's memory and reset it to empty. */
CRP_API void crp_buffer_dispose(crp_buffer *buf);

typedef struct crp_emitter crp_emitter;

/** A built-in emitter by name ("json", ...), or NULL. The table is static: never free it. */
CRP_API const crp_emitter *crp_emitter_lookup(const char *name);
/** The i-th built-in emitter, or NULL past the end. */
CRP_API const crp_emitter *crp_emitter_at(size_t i);
CRP_API const char *crp_emitter_name(const crp_emitter *e);
/** File extension including the dot (".json"). */
CRP_API const char *crp_emitter_extension(const crp_emitter *e);
/** One-line description for help texts. */
CRP_API const char *crp_emitter_description(const crp_emitter *e);
/** True when the output is binary (not text). */
CRP_API bool crp_emitter_is_binary(const crp_emitter *e);

/**
 * Emission options. Initialise with CRP_EMIT_OPTIONS_INIT. Added in 0.1.
 * @c params are emitter-specific "key=value" strings (e.g. "style=kscrash"), NULL-terminated
 * array or NULL; an emitter rejects keys it does not know with CRP_EUNSUPPORTED.
 */
typedef struct crp_emit_options {
	unsigned int version;            /**< CRP_EMIT_OPTIONS_VERSION */
	const crp_allocator *allocator;  /**< NULL: malloc */
	const char *const *params;
} crp_emit_options;
#define CRP_EMIT_OPTIONS_VERSION 1
#define CRP_EMIT_OPTIONS_INIT {CRP_EMIT_OPTIONS_VERSION, NULL, NULL}

typedef struct crp_emit_session crp_emit_session;

/**
 * Start writing one output (which may hold several reports) to @p sink.
 * @param[out] out  the session; free it with crp_emit_free().
 * @param err       receives the error on failure; may be NULL.
 */
CRP_API int crp_emit_begin(crp_emit_session **out, const crp_emitter *e, const crp_sink *sink,
			   const crp_emit_options *opts, crp_error *err);
/** Write one report. The report is only read. */
CRP_API int crp_emit_report(crp_emit_session *s, const crp_report *r);
/** Finish the output and flush it to the sink. */
CRP_API int crp_emit_end(crp_emit_session *s);
/** The session's error (code CRP_OK while there is none). Owned by the session. */
CRP_API const crp_error *crp_emit_error(const crp_emit_session *s);
/** Bytes handed to the sink so far. */
CRP_API uint64_t crp_emit_bytes(const crp_emit_session *s);
/** Free a session (after an error or without crp_emit_end() too). NULL is ignored. */
CRP_API void crp_emit_free(crp_emit_session *s);

/** begin + report + end + free in one call. @p err may be NULL. */
CRP_API int crp_emit(const crp_emitter *e, const crp_report *r, const crp_sink *sink,
		     const crp_emit_options *opts, crp_error *err);

CRP_END_DECL

#endif
