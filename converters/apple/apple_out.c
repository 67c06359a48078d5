/* Line assembly for the Apple emitters: hand-rolled number formatting into a buffer that is
 * handed to crp_emit_write in large pieces (no printf on the hot paths). */
#include "apple.h"
#include "common/convert.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
/* The 16-digit hex store needs 64-bit moves into vector registers. */
#if defined(__SSE2__) && defined(__x86_64__)
#define AO_SSE2_64 1
#else
#define AO_SSE2_64 0
#endif

static const char hexdig[] = "0123456789abcdef";
static const char spaces[] = "                                                                ";

void crp__ao_flush(ao *o)
{
	if (o->n)
		crp_emit_write(o->c, o->b, o->n);
	o->n = 0;
}

void crp__ao_write_slow(ao *o, const void *p, size_t n)
{
	crp__ao_flush(o);
	if (n >= AO_CAP / 2) {
		crp_emit_write(o->c, p, n);
		return;
	}
	memcpy(o->b, p, n);
	o->n = n;
}

void crp__ao_spaces(ao *o, size_t n)
{
	while (n) {
		size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		crp__ao_write(o, spaces, k);
		n -= k;
	}
}

/* One control character as an escape; returns its length. */
static size_t escape(unsigned char ch, char out[4])
{
	out[0] = '\\';
	switch (ch) {
	case '\n': out[1] = 'n'; return 2;
	case '\r': out[1] = 'r'; return 2;
	case '\t': out[1] = 't'; return 2;
	default:
		out[1] = 'x';
		out[2] = hexdig[ch >> 4];
		out[3] = hexdig[ch & 15];
		return 4;
	}
}

size_t crp__ao_escape(unsigned char ch, char out[4])
{
	if (ch >= 0x20 && ch != 0x7f) {
		out[0] = (char)ch;
		return 1;
	}
	return escape(ch, out);
}

/* True when one of the eight bytes is a control character (< 0x20 or 0x7f). */
static inline bool has_control(uint64_t w)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
	uint64_t del = w ^ (ones * 0x7f);
	return (((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & high;
}

#ifdef __SSE2__
/* Bytes of one 16-byte block that are control characters (< 0x20 or 0x7f), as a bit mask. */
static inline int control_mask(__m128i v)
{
	const __m128i low = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
	__m128i ctl = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low); /* unsigned v <= 0x1f */
	return _mm_movemask_epi8(_mm_or_si128(ctl, _mm_cmpeq_epi8(v, del)));
}
#endif

/* Copies the run of printable bytes at the start of s[0, lim) to d; returns its length. Whole
 * blocks are checked and copied at once; the last, partial one by a block overlapping the one
 * before it, so only a run that ends in a control character is finished byte by byte. */
static size_t copy_printable(char *d, const char *s, size_t lim)
{
	size_t i = 0;
#ifdef __SSE2__
	/* two blocks a step: one mask test and one loop test for 32 bytes (paths are long) */
	for (; i + 32 <= lim; i += 32) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16));
		if (control_mask(a) | control_mask(b))
			break;
		_mm_storeu_si128((__m128i *)(void *)(d + i), a);
		_mm_storeu_si128((__m128i *)(void *)(d + i + 16), b);
	}
	for (; i + 16 <= lim; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		if (control_mask(v))
			break;
		_mm_storeu_si128((__m128i *)(void *)(d + i), v);
	}
	if (i + 16 > lim && lim >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + lim - 16));
		if (!control_mask(v)) {
			_mm_storeu_si128((__m128i *)(void *)(d + lim - 16), v);
			return lim;
		}
	}
#endif
	for (; i + 8 <= lim; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if (has_control(w))
			break;
		memcpy(d + i, &w, 8);
	}
	if (i + 8 > lim && lim >= 8) {
		uint64_t w;
		memcpy(&w, s + lim - 8, 8);
		if (!has_control(w)) {
			memcpy(d + lim - 8, &w, 8);
			return lim;
		}
	}
	while (i < lim) {
		unsigned char ch = (unsigned char)s[i];
		if (CRP_UNLIKELY(ch < 0x20 || ch == 0x7f))
			break;
		d[i++] = (char)ch;
	}
	return i;
}

/* crp__ao_textn past its common case: a control character, or a run longer than the room. */
static CRP_NOINLINE size_t textn_slow(ao *o, const char *s, size_t len)
{
	size_t total = 0;
	while (len) {
		size_t room = AO_CAP - o->n, lim = len < room ? len : room;
		size_t i = copy_printable(o->b + o->n, s, lim);
		o->n += i;
		total += i;
		s += i;
		len -= i;
		if (i == room) {
			crp__ao_flush(o);
			continue;
		}
		if (!len)
			break;
		char esc[4];
		size_t k = o->raw_lines && (*s == '\n' || *s == '\t') ? (esc[0] = *s, 1)
									: escape((unsigned char)*s, esc);
		s++;
		len--;
		crp__ao_write(o, esc, k);
		total += k;
	}
	return total;
}

/* Most text fits in the room left and has no control character: one copy, and no loop state
 * for the call to set up. */
size_t crp__ao_textn(ao *o, const char *s, size_t len)
{
	if (CRP_LIKELY(len <= AO_CAP - o->n)) {
		size_t i = copy_printable(o->b + o->n, s, len);
		o->n += i;
		if (CRP_LIKELY(i == len))
			return len;
		return i + textn_slow(o, s + i, len - i);
	}
	return textn_slow(o, s, len);
}

size_t crp__ao_text(ao *o, const char *s)
{
	return crp__ao_textn(o, s, strlen(s));
}

void crp__ao_text_pad(ao *o, const char *s, size_t width)
{
	size_t n = crp__ao_text(o, s);
	if (n < width)
		crp__ao_spaces(o, width - n);
}

const char *crp__ao_trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t'))
		s++, (*n)--;
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

void crp__ao_image_column(ao *o, const char *image, size_t width)
{
	size_t n = image ? strlen(image) : 0;
	image = image ? crp__ao_trim(image, &n) : NULL;
	size_t k = n ? crp__ao_textn(o, image, n) : crp__ao_text(o, "???");
	if (k < width)
		crp__ao_spaces(o, width - k);
}

#if !AO_SSE2_64
/* Eight hex digits of v, most significant first (nibbles spread into bytes, SWAR); letters
 * from `a` ('a' or 'A'). */
static inline uint64_t hex8_case(uint32_t v, char a)
{
	uint64_t x = v;
	x = ((x & 0xffff0000u) << 16) | (x & 0xffffu);
	x = ((x & UINT64_C(0x0000ff000000ff00)) << 8) | (x & UINT64_C(0x000000ff000000ff));
	x = ((x & UINT64_C(0x00f000f000f000f0)) << 4) | (x & UINT64_C(0x000f000f000f000f));
	uint64_t letters = ((x + UINT64_C(0x0606060606060606)) >> 4) & UINT64_C(0x0101010101010101);
	x += UINT64_C(0x3030303030303030) + letters * (uint64_t)(a - '0' - 10);
	/* the first digit must land in the lowest address when the word is stored */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return x;
#elif defined(__GNUC__)
	return __builtin_bswap64(x);
#else
	uint64_t r = 0;
	for (int i = 0; i < 8; i++)
		r = r << 8 | ((x >> (8 * i)) & 0xff);
	return r;
#endif
}
#endif

/* Significant hex digits of v (1 for zero). */
static inline unsigned hex_width(uint64_t v)
{
#if defined(__GNUC__)
	return v ? (unsigned)(67 - __builtin_clzll(v)) / 4 : 1;
#else
	unsigned n = 1;
	while (n < 16 && v >> (4 * n))
		n++;
	return n;
#endif
}

#ifdef __SSE2__
/* Sixteen nibble values (0-15, one a byte) as hex digits, letters from `a`. */
static inline __m128i nibbles_hex(__m128i x, char a)
{
	__m128i alpha = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(9)), _mm_set1_epi8((char)(a - '0' - 10)));
	return _mm_add_epi8(_mm_add_epi8(x, _mm_set1_epi8('0')), alpha);
}

/* The high and low nibbles of the bytes of v, interleaved: the digits of each byte in order. */
static inline void byte_nibbles(__m128i v, __m128i *first, __m128i *second)
{
	const __m128i mask = _mm_set1_epi8(0x0f);
	__m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), mask), lo = _mm_and_si128(v, mask);
	*first = _mm_unpacklo_epi8(hi, lo);
	*second = _mm_unpackhi_epi8(hi, lo);
}
#endif

/* The digits are shifted to the top of the word and all sixteen stored with fixed-size moves:
 * the bytes past the n wanted are inside the room reserved and are overwritten by what
 * follows, which is cheaper than a variable-length copy. */
void crp__ao_hex(ao *o, uint64_t v, unsigned digits)
{
	unsigned n = hex_width(v);
	if (n < digits)
		n = digits < 16 ? digits : 16;
	uint64_t top = n < 16 ? v << (4 * (16 - n)) : v;
	ao_room(o, 18);
	char *out = o->b + o->n;
	out[0] = '0';
	out[1] = 'x';
#if AO_SSE2_64
	__m128i x, unused;
	byte_nibbles(_mm_cvtsi64_si128((long long)__builtin_bswap64(top)), &x, &unused);
	_mm_storeu_si128((__m128i *)(void *)(out + 2), nibbles_hex(x, 'a'));
#else
	uint64_t hi = hex8_case((uint32_t)(top >> 32), 'a'), lo = hex8_case((uint32_t)top, 'a');
	memcpy(out + 2, &hi, 8);
	memcpy(out + 10, &lo, 8);
#endif
	o->n += 2 + n;
}

void crp__ao_hex_right(ao *o, uint64_t v, unsigned width)
{
	unsigned len = v ? hex_width(v) + 2 : 1;
	if (len < width)
		crp__ao_spaces(o, width - len);
	if (!v) {
		ao_ch(o, '0');
		return;
	}
	crp__ao_hex(o, v, 1);
}

void crp__ao_dec(ao *o, uint64_t v)
{
	char tmp[20];
	unsigned n = crp__dec_digits(v, tmp);
	crp__ao_write(o, tmp + 20 - n, n);
}

void crp__ao_sdec(ao *o, int64_t v)
{
	if (v < 0) {
		ao_ch(o, '-');
		crp__ao_dec(o, (uint64_t)0 - (uint64_t)v);
		return;
	}
	crp__ao_dec(o, (uint64_t)v);
}

void crp__ao_dec_pad(ao *o, uint64_t v, unsigned width, bool left)
{
	char tmp[20];
	unsigned n = crp__dec_digits(v, tmp);
	if (!left && n < width)
		crp__ao_spaces(o, width - n);
	crp__ao_write(o, tmp + 20 - n, n);
	if (left && n < width)
		crp__ao_spaces(o, width - n);
}

/* The 32 hex digits of a UUID, letters from `a`. One binary image line each: SSE2 spreads the
 * nibbles of all sixteen bytes at once. */
static void uuid_hex(const crp_uuid *u, char a, char d[32])
{
#if AO_SSE2_64
	__m128i first, second;
	byte_nibbles(_mm_loadu_si128((const __m128i *)(const void *)u->bytes), &first, &second);
	_mm_storeu_si128((__m128i *)(void *)d, nibbles_hex(first, a));
	_mm_storeu_si128((__m128i *)(void *)(d + 16), nibbles_hex(second, a));
#else
	for (int i = 0; i < 4; i++) {
		const uint8_t *b = u->bytes + 4 * i;
		uint64_t h = hex8_case((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3], a);
		memcpy(d + 8 * i, &h, 8);
	}
#endif
}

void crp__ao_uuid(ao *o, const crp_uuid *u, bool upper, bool dashes)
{
	char d[32];
	uuid_hex(u, upper ? 'A' : 'a', d);
	ao_room(o, 36);
	char *out = o->b + o->n;
	if (!dashes) {
		memcpy(out, d, 32);
		o->n += 32;
		return;
	}
	/* 8-4-4-4-12 */
	memcpy(out, d, 8);
	out[8] = '-';
	memcpy(out + 9, d + 8, 4);
	out[13] = '-';
	memcpy(out + 14, d + 12, 4);
	out[18] = '-';
	memcpy(out + 19, d + 16, 4);
	out[23] = '-';
	memcpy(out + 24, d + 20, 12);
	o->n += 36;
}

void crp__ao_date(ao *o, int64_t usec, int tz_minutes, int frac_digits)
{
	int64_t t = usec + (int64_t)tz_minutes * 60 * 1000000;
	int64_t secs = t >= 0 ? t / 1000000 : -((-t + 999999) / 1000000);
	int64_t us = t - secs * 1000000;
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t rem = secs - days * 86400, y;
	unsigned mo, d;
	crp__civil_from_days(days, &y, &mo, &d);
	char b[48];
	size_t n = 0;
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999; /* four digits whatever the input claims */
	unsigned f[6] = {(unsigned)y, mo, d, (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60),
			 (unsigned)(rem % 60)};
	static const char sep[] = " -- ::";
	for (int i = 0; i < 6; i++) {
		if (i)
			b[n++] = sep[i];
		if (i == 0) {
			b[n++] = (char)('0' + f[0] / 1000);
			b[n++] = (char)('0' + f[0] / 100 % 10);
		}
		b[n++] = (char)('0' + f[i] / 10 % 10);
		b[n++] = (char)('0' + f[i] % 10);
	}
	if (frac_digits > 0) {
		b[n++] = '.';
		unsigned div = 100000;
		for (int i = 0; i < frac_digits && i < 6; i++, div /= 10)
			b[n++] = (char)('0' + (unsigned)(us / div) % 10);
	}
	int off = tz_minutes < 0 ? -tz_minutes : tz_minutes;
	b[n++] = ' ';
	b[n++] = tz_minutes < 0 ? '-' : '+';
	b[n++] = (char)('0' + off / 600 % 10);
	b[n++] = (char)('0' + off / 60 % 10);
	b[n++] = (char)('0' + off % 60 / 10);
	b[n++] = (char)('0' + off % 10);
	crp__ao_write(o, b, n);
}
