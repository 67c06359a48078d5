/**
 * @file crashport/error.h
 * @brief Status codes (pinned), the error record and warning diagnostics.
 */
#ifndef CRP_ERROR_H
#define CRP_ERROR_H

#include "crashport/common.h"

CRP_BEGIN_DECL

/**
 * Status codes. Zero is success, errors are negative. Values are pinned: a retired code keeps
 * its number and is never reused. Added in 0.1.
 */
typedef enum crp_status {
	CRP_OK = 0,
	CRP_ERROR = -1,        /**< unclassified failure */
	CRP_ENOMEM = -2,       /**< an allocation failed */
	CRP_EINVAL = -3,       /**< invalid argument or call order */
	CRP_ESYNTAX = -4,      /**< the input is not valid JSON */
	CRP_ETRUNCATED = -5,   /**< the input ended inside a report (strict mode only) */
	CRP_ESCHEMA = -6,      /**< valid JSON, but not a report (strict mode for field types) */
	CRP_ELIMIT = -7,       /**< a configured limit was exceeded */
	CRP_EIO = -8,          /**< reading or writing failed */
	CRP_EUNSUPPORTED = -9, /**< the request cannot be served (unknown option, format, ...) */
	CRP_ENOTFOUND = -10,   /**< a named thing (emitter, file) does not exist */
	CRP_EUSER = -11,       /**< a caller-supplied callback asked to stop */
	CRP_EEMPTY = -12,      /**< the input holds no report at all */
	CRP_ECORRUPT = -13,    /**< a binary input is damaged (checksum, structure) */
	CRP_ITEROVER = -30     /**< not an error: an iteration has no more items */
} crp_status;

/** Static English text for a status code. Never NULL. Added in 0.1. */
CRP_API const char *crp_status_str(int status);

/**
 * A stable lowercase identifier for any code: a crp_status ("syntax", "limit"), a
 * crp_warning_code ("truncated") or a validation check ("address"), for machine-readable
 * output. Never NULL; "unknown" for codes this version does not know. Added in 0.1.
 */
CRP_API const char *crp_code_name(int code);

#define CRP_ERROR_MESSAGE_SIZE 256
#define CRP_ERROR_PATH_SIZE 256

/**
 * Where something happened in an input and what. Fixed buffers: reporting never allocates.
 * Positions are zero when unknown; @c line and @c column are 1-based, @c column counts bytes.
 * @c json_path is like "crash.threads[3].backtrace.contents[7].instruction_addr"; when longer
 * than the buffer its head is replaced by "...". Added in 0.1.
 */
typedef struct crp_error {
	int code;                               /**< crp_status, or a crp_warning_code for diagnostics */
	uint64_t byte_offset;                   /**< offset into the whole input stream */
	uint64_t line;
	uint64_t column;
	char json_path[CRP_ERROR_PATH_SIZE];
	char message[CRP_ERROR_MESSAGE_SIZE];
} crp_error;

/** A warning has the same shape as an error; @c code is a crp_warning_code. */
typedef crp_error crp_diag;

/** Warning codes (positive, pinned). Added in 0.1. */
typedef enum crp_warning_code {
	CRP_W_TRUNCATED = 1,   /**< input ended inside the report; what was complete is kept */
	CRP_W_TYPE = 2,        /**< a known key had an unexpected type; value kept as untyped */
	CRP_W_DUPLICATE = 3,   /**< a key appeared twice; the first is typed, the later kept untyped */
	CRP_W_UTF8 = 4,        /**< invalid UTF-8 replaced by U+FFFD */
	CRP_W_NUMBER = 5,      /**< a number was out of range, fractional or imprecise */
	CRP_W_SALVAGED = 6,    /**< a JSON syntax slip (trailing comma) was repaired */
	CRP_W_VALUE = 7,       /**< a value could not be interpreted (time, UUID, hex); kept untyped */
	CRP_W_SUPPRESSED = 8,  /**< further warnings were dropped (per-report cap) */
	CRP_W_SYMBOLS = 9      /**< symbolication could not resolve something */
} crp_warning_code;

CRP_END_DECL

#endif
