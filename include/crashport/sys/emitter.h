/**
 * @file crashport/sys/emitter.h
 * @brief Extension API for writing an emitter. Stable only within a minor release.
 *
 * An emitter is one const struct crp_emitter. The core allocates @c state_size zeroed bytes
 * of state, calls @c set_param for each option, then @c begin, @c write_report per report,
 * @c end, and always @c cleanup. Emitters write only through crp_emit_write() and friends and
 * report failures with crp_emit_fail(); they never touch files, print or exit.
 */
#ifndef CRP_SYS_EMITTER_H
#define CRP_SYS_EMITTER_H

#include "crashport/emit.h"

CRP_BEGIN_DECL

#define CRP_EMITTER_VERSION 1

#define CRP_EMITTER_BINARY 0x01u  /**< output is binary */

typedef struct crp_emit_ctx crp_emit_ctx;

struct crp_emitter {
	unsigned int version;        /**< CRP_EMITTER_VERSION */
	const char *name;            /**< "json" */
	const char *file_extension;  /**< ".json" */
	const char *description;
	unsigned int caps;           /**< CRP_EMITTER_* */
	size_t state_size;
	/** Accept or refuse one option; CRP_EUNSUPPORTED for unknown keys. May be NULL. */
	int (*set_param)(crp_emit_ctx *ctx, void *state, const char *key, const char *value);
	int (*begin)(crp_emit_ctx *ctx, void *state);                /**< may be NULL */
	int (*write_report)(crp_emit_ctx *ctx, void *state, const crp_report *r);
	int (*end)(crp_emit_ctx *ctx, void *state);                  /**< may be NULL */
	void (*cleanup)(crp_emit_ctx *ctx, void *state);             /**< may be NULL */
};

/** Append bytes to the output (buffered). Returns CRP_OK or the sticky error. */
CRP_API int crp_emit_write(crp_emit_ctx *ctx, const void *buf, size_t len);
/** Append a NUL-terminated string. */
CRP_API int crp_emit_puts(crp_emit_ctx *ctx, const char *s);
/** Append printf-formatted text (slower than the others; keep off hot paths). */
CRP_API int crp_emit_printf(crp_emit_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/** Append an unsigned decimal. */
CRP_API int crp_emit_u64(crp_emit_ctx *ctx, uint64_t v);
/** Append a signed decimal. */
CRP_API int crp_emit_i64(crp_emit_ctx *ctx, int64_t v);
/** Record an error (first one wins) and return @p code. */
CRP_API int crp_emit_fail(crp_emit_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;
/** The session's allocator, for emitter scratch memory. */
CRP_API void *crp_emit_alloc(crp_emit_ctx *ctx, size_t size);
CRP_API void *crp_emit_realloc(crp_emit_ctx *ctx, void *ptr, size_t size);
CRP_API void crp_emit_dealloc(crp_emit_ctx *ctx, void *ptr);

CRP_END_DECL

#endif
