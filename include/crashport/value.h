/**
 * @file crashport/value.h
 * @brief Generic JSON values: how the model keeps what it does not type.
 *
 * Everything a report carries that the typed model has no field for (user data, fork-specific
 * keys, unknown keys, values of an unexpected type) is kept as a crp_value, in document order.
 * Values are owned by the report they belong to and live as long as it does.
 */
#ifndef CRP_VALUE_H
#define CRP_VALUE_H

#include "crashport/common.h"

CRP_BEGIN_DECL

/** JSON value kinds. Added in 0.1. */
typedef enum crp_value_type {
	CRP_VALUE_NULL = 0,
	CRP_VALUE_BOOL = 1,
	CRP_VALUE_NUMBER = 2,
	CRP_VALUE_STRING = 3,
	CRP_VALUE_ARRAY = 4,
	CRP_VALUE_OBJECT = 5
} crp_value_type;

typedef struct crp_value crp_value;
typedef struct crp_member crp_member;

/** A string with its length: NUL-terminated, but may also contain NUL bytes. */
typedef struct crp_span {
	const char *ptr;
	size_t len;
} crp_span;

/**
 * One JSON value. Numbers keep the exact text they were written with (never rounded);
 * strings are valid UTF-8.
 */
struct crp_value {
	crp_value_type type;
	union {
		bool boolean;
		crp_span num;    /**< CRP_VALUE_NUMBER: the number as written, e.g. "-1.5e3" */
		crp_span str;    /**< CRP_VALUE_STRING */
		struct {
			const crp_value *items;
			size_t count;
		} arr;           /**< CRP_VALUE_ARRAY */
		struct {
			const crp_member *members;
			size_t count;
		} obj;           /**< CRP_VALUE_OBJECT: members in document order, duplicates kept */
	} u;
};

/** An object member. */
struct crp_member {
	crp_span key;
	crp_value value;
};

/** Members of a typed record that the model does not type, in document order. */
typedef struct crp_extras {
	const crp_member *members;
	size_t count;
} crp_extras;

/**
 * An element of a typed array that was not of the element type (e.g. the integer 0 among
 * binary images). @c index is its position in the original array, counting typed elements too.
 */
typedef struct crp_stray {
	size_t index;
	crp_value value;
} crp_stray;

typedef struct crp_strays {
	const crp_stray *items;
	size_t count;
} crp_strays;

/**
 * Member of an object value by key (first match), or NULL. @p v may be NULL or not an object.
 * Added in 0.1.
 */
CRP_API const crp_value *crp_value_get(const crp_value *v, const char *key);

/**
 * Member of a record's extras by key (first match), or NULL. Added in 0.1.
 */
CRP_API const crp_value *crp_extras_get(const crp_extras *extras, const char *key);

CRP_END_DECL

#endif
