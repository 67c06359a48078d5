/* Conversions of JSON text to typed values, and back. Pure functions. */
#ifndef CRP_CONVERT_H
#define CRP_CONVERT_H

#include <locale.h>

#include "internal.h"

/* Results of number conversions. */
#define CRP_NUM_OK 0
#define CRP_NUM_INEXACT 1    /* converted, but a fraction was dropped or precision may be lost */
#define CRP_NUM_BAD (-1)     /* not a number */
#define CRP_NUM_RANGE (-2)   /* does not fit */

/* JSON number text to uint64: negatives become two's complement, floats are truncated. */
int crp__num_to_u64(const char *s, size_t len, uint64_t *out);
int crp__num_to_i64(const char *s, size_t len, int64_t *out);
/* A string holding a number: decimal, negative, or 0x-prefixed hex. */
int crp__str_to_u64(const char *s, size_t len, uint64_t *out);
/* Decimal text to double, independent of the process locale (c_locale from newlocale). */
int crp__num_to_double(const char *s, size_t len, locale_t c_locale, double *out);
/* Shortest text that reads back as the same double; returns length (buffer >= 32). */
size_t crp__format_double(double d, char *out);

/* RFC 3339 text ("2024-05-20T17:36:04Z", with optional fraction and offset; ' ' for 'T'
 * accepted). Returns 0 and sets usec/has_fraction, or -1. */
int crp__parse_time(const char *s, size_t len, int64_t *usec, bool *has_fraction);
/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t crp__days_from_civil(int64_t y, unsigned m, unsigned d);
void crp__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" or 32 hex digits, any case. 0 or -1. */
int crp__parse_uuid(const char *s, size_t len, crp_uuid *out);
/* Hex pairs to bytes; out holds len/2 bytes. 0 or -1. */
int crp__parse_hex(const char *s, size_t len, uint8_t *out);

/* True when s holds a NUL byte. */
bool crp__has_nul(const char *s, size_t len);
/* Length of the longest valid UTF-8 prefix of s. */
size_t crp__utf8_valid_prefix(const unsigned char *s, size_t len);
/* Copy len bytes and a NUL to dst, saying what the text holds. */
#define CRP_TEXT_ASCII 0
#define CRP_TEXT_NUL 1       /* a NUL byte inside */
#define CRP_TEXT_INVALID 2   /* invalid UTF-8 */
int crp__copy_text(char *dst, const char *src, size_t len);
/* Copy s to out replacing each invalid sequence by U+FFFD; out holds 3*len bytes.
 * Returns the length written. */
size_t crp__utf8_repair(const unsigned char *s, size_t len, unsigned char *out);

#endif
