
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "convert.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Hex digit values (0 for non-digits too: is_hex tells them apart). */
static const uint8_t hexdigit[256] = {
	['0'] = 0,  ['1'] = 1,  ['2'] = 2,  ['3'] = 3,  ['4'] = 4,  ['5'] = 5,  ['6'] = 6,
	['7'] = 7,  ['8'] = 8,  ['9'] = 9,  ['a'] = 10, ['b'] = 11, ['c'] = 12, ['d'] = 13,
	['e'] = 14, ['f'] = 15, ['A'] = 10, ['B'] = 11, ['C'] = 12, ['D'] = 13, ['E'] = 14,
	['F'] = 15,
};

static bool is_hex(unsigned char c)
{
	return hexdigit[c] || c == '0';
}

static int hexval(int c)
{
	return is_hex((unsigned char)c) ? hexdigit[c] : -1;
}

static int digit_run_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (len == 0)
		return CRP_NUM_BAD;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return CRP_NUM_BAD;
		if (v > (UINT64_MAX - d) / 10)
			return CRP_NUM_RANGE;
		v = v * 10 + d;
	}
	*out = v;
	return CRP_NUM_OK;
}

static bool is_plain_integer(const char *s, size_t len)
{
	size_t i = (len && s[0] == '-') ? 1 : 0;
	if (i == len)
		return false;
	for (; i < len; i++)
		if ((unsigned)((unsigned char)s[i] - '0') > 9)
			return false;
	return true;
}

/* Floats: KSCrash 1.x re-emitted large unsigned values as doubles. */
static int float_to_u64(const char *s, size_t len, uint64_t *out)
{
	char buf[64];
	if (len >= sizeof buf)
		return CRP_NUM_BAD;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* Only digits, sign, '.', 'e', 'E' reach here (yajl validated the text); the locale can
	 * only change the '.', which plain integers do not have. */
	char *end;
	locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	double d = c ? strtod_l(buf, &end, c) : strtod(buf, &end);
	if (c)
		freelocale(c);
	if (end != buf + len || isnan(d))
		return CRP_NUM_BAD;
	double t = trunc(d);
	int rc = (t != d || fabs(d) >= 9007199254740992.0) ? CRP_NUM_INEXACT : CRP_NUM_OK;
	if (t >= 18446744073709551616.0 || t <= -9223372036854775809.0)
		return CRP_NUM_RANGE;
	*out = t < 0 ? (uint64_t)(int64_t)t : (uint64_t)t;
	return rc;
}

int crp__num_to_u64(const char *s, size_t len, uint64_t *out)
{
	if (CRP_LIKELY(crp__digits_u64(s, len, out)))
		return CRP_NUM_OK;
	if (len && s[0] != '-' && is_plain_integer(s, len))
		return digit_run_u64(s, len, out);
	if (is_plain_integer(s, len)) {
		uint64_t mag;
		int rc = digit_run_u64(s + 1, len - 1, &mag);
		if (rc != CRP_NUM_OK)
			return rc;
		if (mag > UINT64_C(9223372036854775808))
			return CRP_NUM_RANGE;
		*out = (uint64_t)0 - mag;
		return CRP_NUM_OK;
	}
	return float_to_u64(s, len, out);
}

int crp__num_to_i64(const char *s, size_t len, int64_t *out)
{
	uint64_t u;
	int rc;
	if (len && s[0] != '-' && is_plain_integer(s, len)) {
		rc = digit_run_u64(s, len, &u);
		if (rc == CRP_NUM_OK && u > INT64_MAX)
			return CRP_NUM_RANGE;
	} else {
		rc = crp__num_to_u64(s, len, &u);
	}
	if (rc >= 0)
		*out = (int64_t)u;
	return rc;
}

int crp__str_to_u64(const char *s, size_t len, uint64_t *out)
{
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		uint64_t v = 0;
		if (len - 2 > 16)
			return CRP_NUM_RANGE;
		for (size_t i = 2; i < len; i++) {
			int d = hexval((unsigned char)s[i]);
			if (d < 0)
				return CRP_NUM_BAD;
			v = v << 4 | (uint64_t)d;
		}
		*out = v;
		return CRP_NUM_OK;
	}
	if (is_plain_integer(s, len))
		return crp__num_to_u64(s, len, out);
	return CRP_NUM_BAD;
}

int crp__num_to_double(const char *s, size_t len, locale_t c_locale, double *out)
{
	char buf[128];
	if (len == 0 || len >= sizeof buf)
		return CRP_NUM_BAD;
	memcpy(buf, s, len);
	buf[len] = '\0';
	char *end;
	double d = c_locale ? strtod_l(buf, &end, c_locale) : strtod(buf, &end);
	if (end != buf + len)
		return CRP_NUM_BAD;
	if (isinf(d))
		return CRP_NUM_RANGE;
	*out = d;
	return CRP_NUM_OK;
}

size_t crp__format_double(double d, char *out)
{
	int n = 0;
	if (d == 0)
		d = 0; /* no "-0" */
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(out, 32, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	/* snprintf uses the locale's decimal point; JSON needs '.'. */
	for (int i = 0; i < n; i++)
		if (out[i] != '-' && out[i] != '+' && out[i] != 'e' && (out[i] < '0' || out[i] > '9'))
			out[i] = '.';
	return (size_t)n;
}

/* -- time --------------------------------------------------------------------------------- */

/* Howard Hinnant's days_from_civil. */
int64_t crp__days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void crp__civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';
		if (d > 9)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int parse_zone(const char *s, size_t len, int64_t *offset_sec)
{
	unsigned hh, mm;
	*offset_sec = 0;
	if (len == 0 || (len == 1 && (s[0] == 'Z' || s[0] == 'z')))
		return 0;
	if (s[0] != '+' && s[0] != '-')
		return -1;
	if (len == 6 && s[3] == ':') {
		if (digits(s + 1, 2, &hh) || digits(s + 4, 2, &mm))
			return -1;
	} else if (len == 5) {
		if (digits(s + 1, 2, &hh) || digits(s + 3, 2, &mm))
			return -1;
	} else {
		return -1;
	}
	if (hh > 23 || mm > 59)
		return -1;
	*offset_sec = (int64_t)(hh * 3600 + mm * 60) * (s[0] == '-' ? -1 : 1);
	return 0;
}

void crp__time_settle_integer(crp_time *t, bool micros)
{
	if (t->usec > INT64_C(100000000000) || t->usec < -INT64_C(100000000000))
		micros = true;
	if (micros) {
		t->form = CRP_TIME_UNIX_MICROS;
	} else {
		t->form = CRP_TIME_UNIX_SECONDS;
		t->usec *= 1000000;
	}
}

int crp__parse_time(const char *s, size_t len, int64_t *usec, bool *has_fraction)
{
	unsigned y, mo, d, h, mi, se;
	if (len < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	size_t i = 19;
	int64_t frac = 0;
	*has_fraction = false;
	if (i < len && s[i] == '.') {
		size_t start = ++i;
		int64_t scale = 100000;
		while (i < len && (unsigned)(s[i] - '0') <= 9) {
			frac += (s[i] - '0') * scale;
			scale /= 10;
			i++;
		}
		if (i == start)
			return -1;
		*has_fraction = true;
	}
	int64_t off;
	if (parse_zone(s + i, len - i, &off))
		return -1;
	int64_t days = crp__days_from_civil(y, mo, d);
	int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - off;
	*usec = secs * 1000000 + frac;
	return 0;
}

size_t crp_time_format(int64_t usec, int fraction, char out[40])
{
	int64_t secs = usec >= 0 ? usec / 1000000 : -((-usec + 999999) / 1000000);
	int64_t us = usec - secs * 1000000;
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400;
	int64_t y;
	unsigned m, d;
	crp__civil_from_days(days, &y, &m, &d);
	int n = snprintf(out, 40, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, m, d,
			 (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
	if (fraction == 3)
		n += snprintf(out + n, 40 - (size_t)n, ".%03u", (unsigned)(us / 1000));
	else if (fraction == 6)
		n += snprintf(out + n, 40 - (size_t)n, ".%06u", (unsigned)us);
	out[n++] = 'Z';
	out[n] = '\0';
	return (size_t)n;
}

/* -- uuid, hex ---------------------------------------------------------------------------- */

/* Hex digit values, 0xff for anything else. */
static const uint8_t hexval_or_ff[256] = {
#define R16 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
	R16, R16, R16,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 10, 11, 12, 13, 14, 15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	R16,
	0xff, 10, 11, 12, 13, 14, 15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	R16, R16, R16, R16, R16, R16, R16, R16, R16
#undef R16
};

int crp__hex32_scalar(const unsigned char *h, uint8_t *out)
{
	uint8_t b[16];
	unsigned bad = 0;
	for (int i = 0; i < 16; i++) {
		unsigned hi = hexval_or_ff[h[2 * i]], lo = hexval_or_ff[h[2 * i + 1]];
		bad |= hi | lo;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	if (bad & 0xf0)
		return -1;
	memcpy(out, b, 16);
	return 0;
}

#ifdef __SSE2__
/* 16 hex digits (any case) to their values; *ok gets the digits that were hex. */
static inline __m128i hex_values(__m128i c, int *ok)
{
	__m128i d = _mm_sub_epi8(c, _mm_set1_epi8('0'));
	__m128i l = _mm_sub_epi8(_mm_or_si128(c, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
	__m128i is_d = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d); /* unsigned d <= 9 */
	__m128i is_l = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l);
	*ok = _mm_movemask_epi8(_mm_or_si128(is_d, is_l));
	return _mm_or_si128(_mm_and_si128(is_d, d), _mm_and_si128(is_l, _mm_add_epi8(l, _mm_set1_epi8(10))));
}

/* Digit pairs to bytes: each 16-bit lane holds (high digit, low digit). */
static inline __m128i hex_pairs(__m128i v)
{
	__m128i hi = _mm_slli_epi16(_mm_and_si128(v, _mm_set1_epi16(0x00ff)), 4);
	return _mm_or_si128(hi, _mm_srli_epi16(v, 8));
}

/* 32 hex digits to 16 bytes, all at once (a report holds one UUID per binary image). */
static int hex32(const unsigned char *h, uint8_t *out)
{
	int ok_a, ok_b;
	__m128i a = hex_values(_mm_loadu_si128((const __m128i *)h), &ok_a);
	__m128i b = hex_values(_mm_loadu_si128((const __m128i *)(h + 16)), &ok_b);
	if ((ok_a & ok_b) != 0xffff)
		return -1;
	_mm_storeu_si128((__m128i *)out, _mm_packus_epi16(hex_pairs(a), hex_pairs(b)));
	return 0;
}
#else
static int hex32(const unsigned char *h, uint8_t *out)
{
	return crp__hex32_scalar(h, out);
}
#endif

int crp__parse_uuid(const char *s, size_t len, crp_uuid *out)
{
	unsigned char h[32];
	if (len == 36) {
		if (s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
			return -1;
		memcpy(h, s, 8);
		memcpy(h + 8, s + 9, 4);
		memcpy(h + 12, s + 14, 4);
		memcpy(h + 16, s + 19, 4);
		memcpy(h + 20, s + 24, 12);
	} else if (len == 32) {
		memcpy(h, s, 32);
	} else {
		return -1;
	}
	return hex32(h, out->bytes);
}

bool crp__has_nul(const char *s, size_t len)
{
	/* A word has a zero byte iff (w - 0x01..01) & ~w & 0x80..80 is non-zero. */
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if ((w - UINT64_C(0x0101010101010101)) & ~w & UINT64_C(0x8080808080808080))
			return true;
	}
	for (; i < len; i++)
		if (!s[i])
			return true;
	return false;
}

int crp__parse_hex(const char *s, size_t len, uint8_t *out)
{
	if (len % 2)
		return -1;
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < len; i += 2) {
		if (!is_hex(u[i]) || !is_hex(u[i + 1]))
			return -1;
		out[i / 2] = (uint8_t)(hexdigit[u[i]] << 4 | hexdigit[u[i + 1]]);
	}
	return 0;
}

void crp_uuid_format(const crp_uuid *uuid, char out[37])
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		out[n++] = hex[uuid->bytes[i] >> 4];
		out[n++] = hex[uuid->bytes[i] & 15];
	}
	out[n] = '\0';
}

/* -- UTF-8 -------------------------------------------------------------------------------- */

/* Length of the valid sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (len >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
			return 0;
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

size_t crp__utf8_valid_prefix(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		/* ASCII fast path, a word at a time. */
		while (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			i += 8;
		}
		while (i < len && s[i] < 0x80)
			i++;
		if (i >= len)
			break;
		size_t n = utf8_seq(s + i, len - i);
		if (!n)
			return i;
		i += n;
	}
	return len;
}

#ifdef __SSE2__
/* Bytes with the high bit set or zero: not plain ASCII. */
static inline int not_plain16(__m128i v)
{
	return _mm_movemask_epi8(_mm_or_si128(v, _mm_cmpeq_epi8(v, _mm_setzero_si128())));
}

/* Length of the plain ASCII prefix copied 16 bytes at a time (0 when len < 16). The last block
 * overlaps the one before rather than leaving a tail: loads stay inside src. */
static size_t copy_plain16(char *dst, const char *src, size_t len)
{
	size_t i = 0;
	if (len < 16)
		return 0;
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(src + i));
		if (not_plain16(v))
			return i;
		_mm_storeu_si128((__m128i *)(dst + i), v);
	}
	if (i < len) {
		__m128i v = _mm_loadu_si128((const __m128i *)(src + len - 16));
		if (not_plain16(v))
			return i;
		_mm_storeu_si128((__m128i *)(dst + len - 16), v);
	}
	return len;
}
#else
static size_t copy_plain16(char *dst, const char *src, size_t len)
{
	CRP_UNUSED(dst);
	CRP_UNUSED(src);
	CRP_UNUSED(len);
	return 0;
}
#endif

int crp__copy_text(char *dst, const char *src, size_t len)
{
	/* Plain ASCII without NUL is copied a block or word at a time; anything else is checked
	 * fully. */
	size_t i = copy_plain16(dst, src, len);
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, src + i, 8);
		if ((w | ((w - UINT64_C(0x0101010101010101)) & ~w)) & UINT64_C(0x8080808080808080))
			break;
		memcpy(dst + i, &w, 8);
	}
	for (; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c == 0 || c >= 0x80)
			break;
		dst[i] = (char)c;
	}
	dst[len] = '\0';
	if (CRP_LIKELY(i == len))
		return CRP_TEXT_ASCII;
	memcpy(dst + i, src + i, len - i);
	int flags = memchr(src + i, 0, len - i) ? CRP_TEXT_NUL : 0;
	if (crp__utf8_valid_prefix((const unsigned char *)src + i, len - i) != len - i)
		flags |= CRP_TEXT_INVALID;
	return flags;
}

size_t crp__utf8_repair(const unsigned char *s, size_t len, unsigned char *out)
{
	size_t i = 0, o = 0;
	while (i < len) {
		size_t n = utf8_seq(s + i, len - i);
		if (n) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			out[o++] = 0xEF;
			out[o++] = 0xBF;
			out[o++] = 0xBD;
			i++;
		}
	}
	return o;
}
