/* Line assembly for the Apple emitters: hand-rolled number formatting into a buffer that is
 * handed to crp_emit_write in large pieces (no printf on the hot paths). */
#include "apple.h"
#include "convert.h"

static const char hexdig[] = "0123456789abcdef";
static const char spaces[] = "                                                                ";

void crp__ao_flush(ao *o)
{
	if (o->n)
		crp_emit_write(o->c, o->b, o->n);
	o->n = 0;
}

void crp__ao_write(ao *o, const void *p, size_t n)
{
	if (CRP_LIKELY(n <= AO_CAP - o->n)) {
		memcpy(o->b + o->n, p, n);
		o->n += n;
		return;
	}
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

/* True when one of the eight bytes is a control character (< 0x20 or 0x7f). */
static inline bool has_control(uint64_t w)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), high = UINT64_C(0x8080808080808080);
	uint64_t del = w ^ (ones * 0x7f);
	return (((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & high;
}

size_t crp__ao_textn(ao *o, const char *s, size_t len)
{
	size_t total = 0;
	while (len) {
		/* copy the run of printable bytes straight into the buffer, eight at a time */
		size_t room = AO_CAP - o->n, lim = len < room ? len : room;
		char *d = o->b + o->n;
		size_t i = 0;
		for (; i + 8 <= lim; i += 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (has_control(w))
				break;
			memcpy(d + i, &w, 8);
		}
		while (i < lim) {
			unsigned char ch = (unsigned char)s[i];
			if (CRP_UNLIKELY(ch < 0x20 || ch == 0x7f))
				break;
			d[i++] = (char)ch;
		}
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

/* Eight hex digits of v, most significant first (nibbles spread into bytes, SWAR). */
static inline uint64_t hex8(uint32_t v)
{
	uint64_t x = v;
	x = ((x & 0xffff0000u) << 16) | (x & 0xffffu);
	x = ((x & UINT64_C(0x0000ff000000ff00)) << 8) | (x & UINT64_C(0x000000ff000000ff));
	x = ((x & UINT64_C(0x00f000f000f000f0)) << 4) | (x & UINT64_C(0x000f000f000f000f));
	uint64_t letters = ((x + UINT64_C(0x0606060606060606)) >> 4) & UINT64_C(0x0101010101010101);
	x += UINT64_C(0x3030303030303030) + letters * ('a' - '0' - 10);
#if defined(__GNUC__)
	return __builtin_bswap64(x);
#else
	uint64_t r = 0;
	for (int i = 0; i < 8; i++)
		r = r << 8 | ((x >> (8 * i)) & 0xff);
	return r;
#endif
}

/* Hex digits of v, at least min (at most 16), into the end of tmp[16]; returns the count. */
static unsigned hex_digits(uint64_t v, unsigned min, char tmp[16])
{
	uint64_t hi = hex8((uint32_t)(v >> 32)), lo = hex8((uint32_t)v);
	memcpy(tmp, &hi, 8);
	memcpy(tmp + 8, &lo, 8);
	unsigned n = 16;
	while (n > 1 && n > min && tmp[16 - n] == '0')
		n--;
	return n;
}

void crp__ao_hex(ao *o, uint64_t v, unsigned digits)
{
	char tmp[16];
	unsigned n = hex_digits(v, digits, tmp);
	ao_room(o, 18);
	o->b[o->n++] = '0';
	o->b[o->n++] = 'x';
	memcpy(o->b + o->n, tmp + 16 - n, n);
	o->n += n;
}

void crp__ao_hex_right(ao *o, uint64_t v, unsigned width)
{
	char tmp[16];
	unsigned n = hex_digits(v, 1, tmp);
	unsigned len = v ? n + 2 : 1;
	if (len < width)
		crp__ao_spaces(o, width - len);
	if (!v) {
		ao_ch(o, '0');
		return;
	}
	crp__ao_hex(o, v, 1);
}

/* Decimal digits into the end of tmp[20]; returns the count. */
static unsigned dec_digits(uint64_t v, char tmp[20])
{
	unsigned n = 0;
	do {
		tmp[19 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return n;
}

void crp__ao_dec(ao *o, uint64_t v)
{
	char tmp[20];
	unsigned n = dec_digits(v, tmp);
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
	unsigned n = dec_digits(v, tmp);
	if (!left && n < width)
		crp__ao_spaces(o, width - n);
	crp__ao_write(o, tmp + 20 - n, n);
	if (left && n < width)
		crp__ao_spaces(o, width - n);
}

void crp__ao_uuid(ao *o, const crp_uuid *u, bool upper, bool dashes)
{
	static const char HEX[] = "0123456789ABCDEF";
	const char *digits = upper ? HEX : hexdig;
	ao_room(o, 36);
	char *out = o->b + o->n;
	size_t n = 0;
	for (int i = 0; i < 16; i++) {
		out[n] = digits[u->bytes[i] >> 4];
		out[n + 1] = digits[u->bytes[i] & 15];
		n += 2;
		/* dashes after bytes 4, 6, 8 and 10 */
		if (dashes && (i == 3 || i == 5 || i == 7 || i == 9))
			out[n++] = '-';
	}
	o->n += n;
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
