/* Deep comparison of two reports' content (not provenance, not the form numbers and times were
 * written in). Internal: the tests use it for round-trip properties. */
#ifndef CRP_COMPARE_H
#define CRP_COMPARE_H

#include "common/internal.h"

/* 0 when equal; otherwise non-zero, with the JSON path of the first difference in `where`. */
int crp__report_compare(const crp_report *a, const crp_report *b, char *where, size_t cap);
int crp__value_compare(const crp_value *a, const crp_value *b);

#endif
