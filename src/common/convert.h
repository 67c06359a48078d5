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

/* Eight ASCII digits (s[0] the most significant, in the lowest byte) to their value; false if
 * any byte is not a digit. SWAR, little-endian. */
static inline bool crp__swar8(uint64_t v, uint64_t *out)
{
	if (((v + UINT64_C(0x4646464646464646)) | (v - UINT64_C(0x3030303030303030))) &
	    UINT64_C(0x8080808080808080))
		return false;
	v -= UINT64_C(0x3030303030303030);
	v = (v * 10) + (v >> 8);
	v = (((v & UINT64_C(0x000000FF000000FF)) * (100 + (UINT64_C(1000000) << 32))) +
	     (((v >> 16) & UINT64_C(0x000000FF000000FF)) * (1 + (UINT64_C(10000) << 32)))) >>
	    32;
	*out = v;
	return true;
}

/* The common case, inline: 1 to 16 plain decimal digits. False: use crp__num_to_u64. */
static inline bool crp__digits_u64(const char *s, size_t len, uint64_t *out)
{
	if (len >= 8 && len <= 16) {
		/* the last eight digits, and the first len-8 padded with leading zeros */
		uint64_t lo, hi = UINT64_C(0x3030303030303030), a, b;
		size_t k = len - 8;
		memcpy(&lo, s + k, 8);
		if (k) {
			memcpy(&hi, s, 8);
			if (k < 8)
				hi = (hi << (8 * (8 - k))) | (UINT64_C(0x3030303030303030) >> (8 * k));
		}
		if (!crp__swar8(lo, &b) || !crp__swar8(hi, &a))
			return false;
		*out = a * 100000000 + b;
		return true;
	}
	if (len == 0 || len > 16)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';
		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/* JSON number text to uint64: negatives become two's complement, floats are truncated. */
int crp__num_to_u64(const char *s, size_t len, uint64_t *out);
int crp__num_to_i64(const char *s, size_t len, int64_t *out);
/* A string holding a number: decimal, negative, or 0x-prefixed hex. */
int crp__str_to_u64(const char *s, size_t len, uint64_t *out);
/* Decimal text to double, independent of the process locale (c_locale from newlocale). */
int crp__num_to_double(const char *s, size_t len, locale_t c_locale, double *out);
/* Shortest text that reads back as the same double; returns length (buffer >= 32). */
size_t crp__format_double(double d, char *out);

/* The decimal digits of v at the end of tmp[20]; returns their count. Two digits a division:
 * .ips offsets and the integers of CRPB's untyped values are many. */
static inline unsigned crp__dec_digits(uint64_t v, char tmp[20])
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
				    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
				    "8081828384858687888990919293949596979899";
	unsigned n = 0;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		n += 2;
		memcpy(tmp + 20 - n, pairs + 2 * r, 2);
	}
	if (v >= 10) {
		n += 2;
		memcpy(tmp + 20 - n, pairs + 2 * v, 2);
	} else {
		tmp[19 - n++] = (char)('0' + v);
	}
	return n;
}

/* The JSON escape of a byte that needs one (a control character, '"', '\\' or '/'), written
 * at out; returns its length (2 or 6). Which bytes need one is the caller's rule. */
static inline size_t crp__json_escape(unsigned char ch, char out[6])
{
	static const char hexd[] = "0123456789abcdef";
	out[0] = '\\';
	switch (ch) {
	case '\n': out[1] = 'n'; return 2;
	case '\r': out[1] = 'r'; return 2;
	case '\t': out[1] = 't'; return 2;
	case '\b': out[1] = 'b'; return 2;
	case '\f': out[1] = 'f'; return 2;
	case '"': case '\\': case '/': out[1] = (char)ch; return 2;
	default:
		memcpy(out, "\\u00", 4);
		out[4] = hexd[ch >> 4];
		out[5] = hexd[ch & 15];
		return 6;
	}
}

/* RFC 3339 text ("2024-05-20T17:36:04Z", with optional fraction and offset; ' ' for 'T'
 * accepted). Returns 0 and sets usec/has_fraction, or -1. */
int crp__parse_time(const char *s, size_t len, int64_t *usec, bool *has_fraction);
/* Settles a time written as a bare integer (form 100 inside the reader): microseconds when
 * @p micros or when the value is past year 5138 as seconds (so it can only be microseconds),
 * else seconds. */
void crp__time_settle_integer(crp_time *t, bool micros);
/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t crp__days_from_civil(int64_t y, unsigned m, unsigned d);
void crp__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX" or 32 hex digits, any case. 0 or -1. */
int crp__parse_uuid(const char *s, size_t len, crp_uuid *out);
/* 32 hex digits to 16 bytes, one at a time: the reference the SSE2 path is tested against.
 * 0 or -1 (out untouched). */
int crp__hex32_scalar(const unsigned char *h, uint8_t *out);
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
