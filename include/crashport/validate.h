/**
 * @file crashport/validate.h
 * @brief Semantic checks of a parsed report: required fields, value ranges, consistency,
 *        addresses inside binary images.
 *
 * Parsing already reports what is wrong with the text (crp_report_warning()); validation looks
 * at what the report says. Thread safety: reads the report only.
 */
#ifndef CRP_VALIDATE_H
#define CRP_VALIDATE_H

#include "crashport/common.h"
#include "crashport/error.h"
#include "crashport/report.h"

CRP_BEGIN_DECL

/** What a finding is about (crp_finding.diag.code). Pinned. */
typedef enum crp_check_code {
	CRP_CHECK_MISSING = 100,      /**< a field the report's type requires is absent */
	CRP_CHECK_RANGE = 101,        /**< a value outside what the field can hold */
	CRP_CHECK_ADDRESS = 102,      /**< an address in no binary image */
	CRP_CHECK_CONSISTENCY = 103,  /**< fields that contradict each other */
	CRP_CHECK_UNKNOWN = 104       /**< a value crashport does not know (CPU type, error type) */
} crp_check_code;

typedef enum crp_severity {
	CRP_SEVERITY_WARNING = 1,
	CRP_SEVERITY_ERROR = 2
} crp_severity;

/** One finding. diag.json_path says where; diag.line/column are 0 (the model has no
 * positions). */
typedef struct crp_finding {
	crp_severity severity;
	crp_diag diag;
} crp_finding;

typedef struct crp_validation crp_validation;

/** Options. Initialise with CRP_VALIDATE_OPTIONS_INIT. Added in 0.1. */
typedef struct crp_validate_options {
	unsigned int version;           /**< CRP_VALIDATE_OPTIONS_VERSION */
	const crp_allocator *allocator; /**< NULL: malloc */
	size_t max_findings;            /**< 0: 1000; more are counted, not kept */
} crp_validate_options;
#define CRP_VALIDATE_OPTIONS_VERSION 1
#define CRP_VALIDATE_OPTIONS_INIT {CRP_VALIDATE_OPTIONS_VERSION, NULL, 0}

/**
 * Check a report (and the original embedded in a recrash report).
 * @param[out] out  the findings; free with crp_validation_free().
 * @return CRP_OK (whatever was found), CRP_ENOMEM or CRP_EINVAL.
 */
CRP_API int crp_report_validate(crp_validation **out, const crp_report *r, const crp_validate_options *opts);
CRP_API size_t crp_validation_count(const crp_validation *v);
/** The i-th finding, or NULL. Owned by @p v. */
CRP_API const crp_finding *crp_validation_finding(const crp_validation *v, size_t i);
/** Number of findings with CRP_SEVERITY_ERROR. */
CRP_API size_t crp_validation_errors(const crp_validation *v);
/** Findings beyond max_findings, counted but not kept. */
CRP_API size_t crp_validation_dropped(const crp_validation *v);
CRP_API void crp_validation_free(crp_validation *v);

CRP_END_DECL

#endif
