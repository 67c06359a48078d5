/* Whitespace squeezer: drops JSON whitespace outside strings before yajl sees the text.
 *
 * Pretty-printed KSCrash reports are about a third whitespace, and yajl's lexer spends roughly a
 * third of its time stepping over it one byte at a time; this pass removes it at a couple of
 * instructions per byte (SSE2 where available). Tokens are never changed or joined: a
 * whitespace run between two scalar-token characters ("1 2", "tru e") becomes one space, so yajl
 * sees exactly the token sequence it would have seen, and reports the same errors.
 *
 * crp__squeeze_map() replays the same rules to find which input byte produced a given output
 * byte, so every position reported to the user is a position in the original text. */
#include "squeeze.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static inline bool is_ws(unsigned c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Bytes that may belong to a number or literal (or to garbage): two of them must never become
 * adjacent. Structural characters and quotes delimit themselves. */
static inline bool is_token_char(unsigned c)
{
	switch (c) {
	case ' ': case '\n': case '\r': case '\t':
	case '{': case '}': case '[': case ']': case ',': case ':': case '"':
		return false;
	default:
		return true;
	}
}

/* One input byte under the rules; returns how many output bytes it produced (0, 1 or 2: a
 * pending space and the byte). The reference the vector path must agree with. */
static inline size_t step(crp_squeeze *st, unsigned c, unsigned char *out)
{
	if (st->in_string) {
		out[0] = (unsigned char)c;
		if (st->escape)
			st->escape = false;
		else if (c == '\\')
			st->escape = true;
		else if (c == '"')
			st->in_string = false;
		return 1;
	}
	if (is_ws(c)) {
		st->pending = st->after_token;
		return 0;
	}
	size_t n = 0;
	if (st->pending && is_token_char(c))
		out[n++] = ' ';
	st->pending = false;
	out[n++] = (unsigned char)c;
	st->after_token = is_token_char(c);
	st->in_string = c == '"';
	return n;
}

size_t crp__squeeze_scalar(crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++)
		o += step(st, src[i], dst + o);
	return o;
}

#ifdef __SSE2__
/* 64 input bytes as bit masks, one bit per byte. */
typedef struct block_masks {
	uint64_t ws, quote, backslash;
} block_masks;

static inline uint64_t movemask64(__m128i a, __m128i b, __m128i c, __m128i d)
{
	return (uint64_t)(uint16_t)_mm_movemask_epi8(a) | (uint64_t)(uint16_t)_mm_movemask_epi8(b) << 16 |
	       (uint64_t)(uint16_t)_mm_movemask_epi8(c) << 32 | (uint64_t)(uint16_t)_mm_movemask_epi8(d) << 48;
}

static inline __m128i ws16(__m128i b)
{
	return _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(b, _mm_set1_epi8('\n'))),
			    _mm_or_si128(_mm_cmpeq_epi8(b, _mm_set1_epi8('\r')), _mm_cmpeq_epi8(b, _mm_set1_epi8('\t'))));
}

static inline block_masks classify(const unsigned char *p)
{
	__m128i b[4];
	block_masks m;
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
	for (int k = 0; k < 4; k++)
		b[k] = _mm_loadu_si128((const __m128i *)(p + 16 * k));
	m.ws = movemask64(ws16(b[0]), ws16(b[1]), ws16(b[2]), ws16(b[3]));
	m.quote = movemask64(_mm_cmpeq_epi8(b[0], quote), _mm_cmpeq_epi8(b[1], quote),
			     _mm_cmpeq_epi8(b[2], quote), _mm_cmpeq_epi8(b[3], quote));
	m.backslash = movemask64(_mm_cmpeq_epi8(b[0], backslash), _mm_cmpeq_epi8(b[1], backslash),
				 _mm_cmpeq_epi8(b[2], backslash), _mm_cmpeq_epi8(b[3], backslash));
	return m;
}

/* Bit i set when an odd number of bits at or below i are set in x. */
static inline uint64_t prefix_xor(uint64_t x)
{
	x ^= x << 1;
	x ^= x << 2;
	x ^= x << 4;
	x ^= x << 8;
	x ^= x << 16;
	x ^= x << 32;
	return x;
}

/* Bytes escaped by a backslash (escapes are rare: one loop turn each). *carry: the first byte
 * of the block is escaped; on return, the first byte of the next block is. */
static inline uint64_t escaped_bytes(uint64_t backslash, bool *carry)
{
	uint64_t escaped = 0;
	if (*carry) {
		escaped = 1;
		backslash &= ~UINT64_C(1);
	}
	*carry = false;
	while (backslash) {
		unsigned at = (unsigned)__builtin_ctzll(backslash);
		if (at == 63) {
			*carry = true;
			break;
		}
		escaped |= UINT64_C(2) << at;
		backslash &= ~(UINT64_C(3) << at);
	}
	return escaped;
}

/* Copy n bytes with 16-byte moves where the source allows (dst has slack). */
static inline void copy_span(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char *src_end)
{
	size_t k = 0;
	for (; k < n && src + k + 16 <= src_end; k += 16)
		_mm_storeu_si128((__m128i *)(dst + k), _mm_loadu_si128((const __m128i *)(src + k)));
	for (; k < n; k++)
		dst[k] = src[k];
}

/* One block of 64 bytes; returns bytes written, or SIZE_MAX when the block needs the scalar
 * path (a backslash outside strings: not JSON, but the output must still match). */
static size_t squeeze_block(crp_squeeze *st, const unsigned char *in, const unsigned char *in_end,
			    unsigned char *dst)
{
	block_masks m = classify(in);
	bool carry = st->escape;
	uint64_t quotes = m.quote & ~escaped_bytes(m.backslash, &carry);
	uint64_t inside = prefix_xor(quotes) ^ (st->in_string ? ~UINT64_C(0) : 0);
	/* the state each byte is read in: "outside" bytes include opening quotes */
	uint64_t outside = ~((inside << 1) | (st->in_string ? 1 : 0));
	if (m.backslash & outside)
		return SIZE_MAX;
	uint64_t removable = m.ws & outside;
	size_t o = 0, kept = 0;
	bool token_before = st->after_token;
	if (st->pending && !(removable & 1) && (outside & 1) && is_token_char(in[0]))
		dst[o++] = ' ';
	while (removable) {
		unsigned start = (unsigned)__builtin_ctzll(removable);
		copy_span(dst + o, in + kept, start - kept, in_end);
		o += start - kept;
		if (start > 0)
			token_before = is_token_char(in[start - 1]) && ((outside >> (start - 1)) & 1);
		else
			token_before = st->after_token;
		uint64_t rest = ~(removable >> start);
		unsigned end = rest ? start + (unsigned)__builtin_ctzll(rest) : 64;
		if (end >= 64) {
			kept = 64;
			break;
		}
		if (token_before && is_token_char(in[end]))
			dst[o++] = ' ';
		kept = end;
		removable &= ~UINT64_C(0) << end;
	}
	copy_span(dst + o, in + kept, 64 - kept, in_end);
	o += 64 - kept;

	uint64_t decided = ~m.ws & outside; /* outside bytes that set after_token */
	if (decided) {
		unsigned last = 63 - (unsigned)__builtin_clzll(decided);
		st->after_token = is_token_char(in[last]);
	}
	if (outside) {
		unsigned last = 63 - (unsigned)__builtin_clzll(outside);
		st->pending = (m.ws >> last) & 1 ? st->after_token : false;
	}
	st->in_string = inside >> 63;
	st->escape = carry;
	return o;
}

size_t crp__squeeze(crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst)
{
	size_t i = 0, o = 0;
	const unsigned char *end = src + len;
	for (; i + 64 <= len; i += 64) {
		size_t n = squeeze_block(st, src + i, end, dst + o);
		o += n != SIZE_MAX ? n : crp__squeeze_scalar(st, src + i, 64, dst + o);
	}
	return o + crp__squeeze_scalar(st, src + i, len - i, dst + o);
}
#else
size_t crp__squeeze(crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst)
{
	return crp__squeeze_scalar(st, src, len, dst);
}
#endif

size_t crp__squeeze_map(crp_squeeze *st, const unsigned char *src, size_t len, size_t *f_pos,
			size_t from, size_t f_target)
{
	unsigned char sink[2];
	size_t i = from, f = *f_pos;
	while (i < len) {
		crp_squeeze before = *st;
		size_t n = step(st, src[i], sink);
		if (f + n > f_target) {
			*st = before; /* stop before the byte that produces the target */
			break;
		}
		f += n;
		i++;
	}
	*f_pos = f;
	return i;
}
