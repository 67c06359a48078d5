/* Strings cut by the end of a window, kept whole for yajl.
 *
 * yajl buffers a token cut by the end of its input and lexes it again from its first byte at
 * every later call, so a string spread over k windows costs k passes over itself: a 30 MB
 * string took seconds, and its length was checked only at its end. Instead, input.c never
 * lets yajl see part of a string: the text of a window ending inside one is parsed up to its
 * opening quote, the rest is carried here and grown window by window (checked against the
 * string limit as it grows), and once the closing quote arrives the whole string goes to yajl
 * in one call. Finding the quotes needs the string state at window ends: the squeezer keeps
 * it; without squeezing, crp__strings_track() jumps from quote to quote with memchr. */
#include "reader.h"

/* Without backslashes a window's quotes all toggle: their count's parity is the state. No
 * branch per byte (compilers vectorise the loop); false when there is a backslash (or an
 * escape pending), which the exact walk below handles. */
static bool track_by_parity(crp_squeeze *st, const unsigned char *b, size_t n)
{
	unsigned char odd = 0, backslash = 0;
	if (st->escape)
		return false;
	for (size_t i = 0; i < n; i++) {
		backslash |= b[i] == '\\';
		odd ^= b[i] == '"';
	}
	if (backslash)
		return false;
	st->in_string ^= odd;
	return true;
}

void crp__strings_track(crp_squeeze *st, const unsigned char *b, size_t n)
{
	if (track_by_parity(st, b, n))
		return;
	size_t i = 0;
	const unsigned char *q = NULL; /* the first quote at or after i, once looked up */
	while (i < n) {
		if (st->escape) {
			st->escape = false;
			i++;
			continue;
		}
		if (!q || q < b + i)
			q = memchr(b + i, '"', n - i);
		if (!st->in_string) {
			if (!q)
				return;
			st->in_string = true;
			i = (size_t)(q - b) + 1;
			continue;
		}
		const unsigned char *end = q ? q : b + n;
		const unsigned char *bs = memchr(b + i, '\\', (size_t)(end - (b + i)));
		if (bs) {
			st->escape = true;
			i = (size_t)(bs - b) + 1;
			continue;
		}
		if (!q)
			return;
		st->in_string = false;
		i = (size_t)(q - b) + 1;
	}
}

/* Backslashes right before b[at], down to b[from]. */
static size_t backslashes_before(const unsigned char *b, size_t from, size_t at)
{
	size_t run = 0;
	while (at - run > from && b[at - run - 1] == '\\')
		run++;
	return run;
}

size_t crp__string_end(const unsigned char *b, size_t n, bool escaped)
{
	size_t from = escaped ? 1 : 0;
	for (size_t i = from; i < n;) {
		const unsigned char *q = memchr(b + i, '"', n - i);
		if (!q)
			break;
		size_t at = (size_t)(q - b);
		if (backslashes_before(b, from, at) % 2 == 0)
			return at;
		i = at + 1;
	}
	return n;
}

size_t crp__string_start(const unsigned char *b, size_t from, size_t to)
{
	for (size_t k = to; k > from;) {
		const unsigned char *q = memrchr(b + from, '"', k - from);
		if (!q)
			break;
		size_t at = (size_t)(q - b);
		if (backslashes_before(b, from, at) % 2 == 0)
			return at;
		k = at;
	}
	return to; /* no opening quote: nothing to carry */
}

void crp__carry_start(crp_parser *p, uint64_t offset, uint64_t line, uint64_t column)
{
	p->carrying = true;
	p->carry_len = p->carry_bs = 0;
	p->carry_off = offset;
	p->carry_line = line;
	p->carry_col = column;
}

/* The decoded string is at least its text less the quotes and 5 bytes per escape (\uXXXX is
 * 6 bytes for at least 1): past the limit by that bound, it is past the limit. */
static bool over_limit(const crp_parser *p)
{
	size_t slack = 2 + 5 * p->carry_bs;
	return p->carry_len > slack && p->carry_len - slack > p->opts.max_string_bytes;
}

int crp__carry_more(crp_parser *p, const unsigned char *b, size_t n)
{
	if (n > p->carry_cap - p->carry_len) {
		size_t cap = p->carry_cap ? p->carry_cap : 4096;
		while (cap - p->carry_len < n)
			cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
		unsigned char *c = crp__realloc(&p->alloc, p->carry, cap);
		if (!c)
			return crp__input_fail(p, CRP_ENOMEM, "out of memory");
		p->carry = c;
		p->carry_cap = cap;
	}
	memcpy(p->carry + p->carry_len, b, n);
	p->carry_len += n;
	for (const unsigned char *q = b, *end = b + n; (q = memchr(q, '\\', (size_t)(end - q))); q++)
		p->carry_bs++; /* memchr: escapes are rare in long text */
	if (over_limit(p))
		return crp__reader_fail_long_string(p, p->carry_off, p->carry_line, p->carry_col);
	return CRP_OK;
}

void crp__carry_dispose(crp_parser *p)
{
	crp__free(&p->alloc, p->carry);
	p->carry = NULL;
	p->carry_len = p->carry_cap = 0;
	p->carrying = false;
}
