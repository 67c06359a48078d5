/**
 * @file crashport/convert.h
 * @brief One call from input bytes to output bytes, for services.
 *
 * @code
 * crp_buffer out = CRP_BUFFER_INIT;
 * crp_error err;
 * if (crp_convert_buffer(&out, json, json_len, "apple", NULL, NULL, &err) == CRP_OK)
 *     send(out.data, out.len);
 * crp_buffer_dispose(&out);
 * @endcode
 *
 * Thread safety: no shared state; any number of threads may convert at once.
 */
#ifndef CRP_PUBLIC_CONVERT_H
#define CRP_PUBLIC_CONVERT_H

#include "crashport/common.h"
#include "crashport/emit.h"
#include "crashport/error.h"
#include "crashport/format.h"
#include "crashport/parse.h"

CRP_BEGIN_DECL

/**
 * Conversion options. Initialise with CRP_CONVERT_OPTIONS_INIT. Added in 0.1.
 */
typedef struct crp_convert_options {
	unsigned int version;            /**< CRP_CONVERT_OPTIONS_VERSION */
	const crp_allocator *allocator;  /**< for the parser and the emitter; NULL: malloc */
	const crp_parse_options *parse;  /**< limits and flags; NULL: defaults (its allocator is
					      replaced by the one above) */
	const char *const *params;       /**< emitter options ("style=kscrash"), NULL-terminated */
} crp_convert_options;
#define CRP_CONVERT_OPTIONS_VERSION 1
#define CRP_CONVERT_OPTIONS_INIT {CRP_CONVERT_OPTIONS_VERSION, NULL, NULL, NULL}

/** What a conversion did. */
typedef struct crp_convert_stats {
	uint64_t reports;    /**< reports converted */
	uint64_t warnings;   /**< warnings over all reports */
	uint64_t bytes_in;
	uint64_t bytes_out;
} crp_convert_stats;

/**
 * Convert every report in @p in (one or several, concatenated or one per line; any readable
 * format, recognised by content: see crashport/format.h) to @p format, writing through @p sink (a caller-supplied callback, or crp_sink_init_buffer/_fd/_file).
 * Reports are parsed and written one at a time: memory stays bounded by the largest report.
 * @param stats  receives counts; may be NULL.
 * @param err    receives the first error; may be NULL.
 * @return CRP_OK; CRP_ENOTFOUND for an unknown format; else the parse or emit error. On error,
 *         the reports before the failing one may already have been written to the sink.
 */
CRP_API int crp_convert(const crp_sink *sink, const void *in, size_t len, const char *format,
			const crp_convert_options *opts, crp_convert_stats *stats, crp_error *err);

/**
 * crp_convert() into a memory buffer, which is appended to. On error @p out holds what was
 * written so far; the caller owns it either way and releases it with crp_buffer_dispose().
 */
CRP_API int crp_convert_buffer(crp_buffer *out, const void *in, size_t len, const char *format,
			       const crp_convert_options *opts, crp_convert_stats *stats, crp_error *err);

CRP_END_DECL

#endif
