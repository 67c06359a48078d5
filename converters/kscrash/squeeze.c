/* Whitespace squeezer: drops JSON whitespace outside strings before yajl sees the text.
 *
 * Pretty-printed KSCrash reports are about a third whitespace, and yajl's lexer spends roughly a
 * third of its time stepping over it one byte at a time; this pass removes it at a couple of
 * instructions per byte (SSSE3, AVX2 or AVX-512: the best the CPU has). Tokens are never
 * changed or joined: a whitespace run between two scalar-token characters ("1 2", "tru e")
 * becomes one space, so yajl sees exactly the token sequence it would have seen, and reports
 * the same errors. One rewrite inside strings: "\/" becomes "/", the same string to yajl,
 * which then need not decode it.
 *
 * crp__squeeze_map() replays the same rules to find which input byte produced a given output
 * byte, so every position reported to the user is a position in the original text. */
#include "squeeze.h"


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
		/* A backslash waits for the byte it escapes: "\/" becomes "/", so that yajl passes
		 * the string as it is instead of decoding it (KSCrash escapes every slash of every
		 * path). Any other escape is kept. */
		if (st->escape) {
			st->escape = false;
			if (c == '/') {
				out[0] = '/';
				return 1;
			}
			out[0] = '\\';
			out[1] = (unsigned char)c;
			return 2;
		}
		if (c == '\\') {
			st->escape = true;
			return 0;
		}
		out[0] = (unsigned char)c;
		st->in_string = c != '"';
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

/* Not inlined: clang 14 cannot compile its vectorised loop inside the AVX-512 functions
 * ("Cannot select ... X86ISD::PCMPEQ"); the callers pass it short tails only. */
CRP_NOINLINE static size_t count_lines(const unsigned char *b, size_t n)
{
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += b[i] == '\n';
	return lines;
}

size_t crp__squeeze_scalar(crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++)
		o += step(st, src[i], dst + o);
	return o;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#include "squeeze_tables.h"

#define SSSE3 __attribute__((target("ssse3")))

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

/* prefix_xor in one instruction: a carry-less multiply by all ones. For the AVX2 path (every
 * such CPU has it; the dispatch checks anyway), where the mask work after the compares is most
 * of a block's instructions. */
__attribute__((target("pclmul"))) static inline uint64_t prefix_xor_clmul(uint64_t x)
{
	__m128i p = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)x), _mm_set1_epi8(-1), 0);
	return (uint64_t)_mm_cvtsi128_si64(p);
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

/* Whether a removable run would join two token characters somewhere in the block: then the
 * block goes through the reference path, which inserts the separating space. Valid JSON never
 * has two scalars separated by whitespace only, so this is rare. Bitwise, because a branch per
 * whitespace run cost a fifth of the squeezer: adding a run's start bit to the run carries
 * into the byte just after it. token: outside bytes that may belong to a number or literal. */
static inline bool needs_join(const crp_squeeze *st, uint64_t removable, uint64_t token)
{
	uint64_t starts = removable & ~(removable << 1);
	uint64_t after_token = starts & ((token << 1) | (st->after_token ? 1 : 0));
	uint64_t run_ends = (removable + after_token) & ~removable; /* carry past bit 63: next block */
	if (st->pending && !(removable & 1))
		run_ends |= 1; /* a run from the previous block ends at the first byte */
	return (run_ends & token) != 0;
}

/* State after the block, as the reference would leave it. */
static void block_end_state(crp_squeeze *st, uint64_t ws, uint64_t outside, uint64_t token,
			    uint64_t inside, bool carry)
{
	uint64_t decided = ~ws & outside; /* outside bytes that set after_token */
	if (decided)
		st->after_token = (token >> (63 - __builtin_clzll(decided))) & 1;
	if (outside) {
		unsigned last = 63 - (unsigned)__builtin_clzll(outside);
		st->pending = (ws >> last) & 1 ? st->after_token : false;
	}
	st->in_string = inside >> 63;
	st->escape = carry;
}

/* 16 bytes, keeping the bytes whose bit is set in keep; returns how many were written. Two
 * 8-byte halves, each shuffled and stored on its own: fewer instructions than joining the
 * halves' shuffles, and no branch. Writes up to 16 bytes at dst. */
SSSE3 static inline size_t pack16(__m128i v, unsigned keep, unsigned char *dst)
{
	unsigned lo = keep & 0xff, hi = keep >> 8;
	__m128i lo_shuf = _mm_loadl_epi64((const __m128i *)keep_shuffle_lo[lo]);
	__m128i hi_shuf = _mm_loadl_epi64((const __m128i *)keep_shuffle_hi[hi]);
	_mm_storel_epi64((__m128i *)dst, _mm_shuffle_epi8(v, lo_shuf));
	_mm_storel_epi64((__m128i *)(dst + keep_count[lo]), _mm_shuffle_epi8(v, hi_shuf));
	return (size_t)keep_count[lo] + keep_count[hi];
}

/* Byte classes from two nibble lookups (both must agree): 0 for bytes that may belong to a
 * number or literal, 8 or 16 for whitespace, 1, 2 or 4 for the structural characters and the
 * quote. Bytes >= 0x80 look up 0 in both: token bytes, as in is_token_char. */
#define C_BRACKET 1 /* [ ] { } */
#define C_PUNCT 2   /* " , */
#define C_COLON 4
#define C_CTRL_WS 8 /* \t \n \r */
#define C_SPACE 16
/* The two tables, indexed by the low and the high nibble. */
#define LO_NIBBLE_CLASSES                                                                          \
	C_SPACE, 0, C_PUNCT, 0, 0, 0, 0, 0, 0, C_CTRL_WS, C_CTRL_WS | C_COLON, C_BRACKET, C_PUNCT,  \
		C_CTRL_WS | C_BRACKET, 0, 0
#define HI_NIBBLE_CLASSES                                                                          \
	C_CTRL_WS, 0, C_PUNCT | C_SPACE, C_COLON, 0, C_BRACKET, 0, C_BRACKET, 0, 0, 0, 0, 0, 0, 0, 0

typedef struct block_masks {
	uint64_t ws, token, quotes, backslashes, slashes; /* token: not whitespace, structure or quote */
} block_masks;

SSSE3 static inline void classify16(__m128i v, unsigned k, block_masks *m)
{
	const __m128i lo_lut = _mm_setr_epi8(LO_NIBBLE_CLASSES);
	const __m128i hi_lut = _mm_setr_epi8(HI_NIBBLE_CLASSES);
	__m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), _mm_set1_epi8(0x0f));
	__m128i c = _mm_and_si128(_mm_shuffle_epi8(lo_lut, v), _mm_shuffle_epi8(hi_lut, hi));
	__m128i ws = _mm_cmpgt_epi8(c, _mm_set1_epi8(C_COLON | C_PUNCT | C_BRACKET));
	__m128i token = _mm_cmpeq_epi8(c, _mm_setzero_si128());
	m->ws |= (uint64_t)(uint16_t)_mm_movemask_epi8(ws) << (16 * k);
	m->token |= (uint64_t)(uint16_t)_mm_movemask_epi8(token) << (16 * k);
	m->quotes |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"'))) << (16 * k);
	m->backslashes |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))
			  << (16 * k);
	m->slashes |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('/'))) << (16 * k);
}

/* The rest of a block once classified, for any instruction set: the bytes to keep, with *st
 * moved past the block; false when the block needs the reference path (a join, or a
 * backslash outside strings: not JSON, but the output must still match). */
static inline bool block_keep(crp_squeeze *st, block_masks m, uint64_t *keep,
			      uint64_t (*prefix)(uint64_t))
{
	if (st->escape)
		return false; /* a backslash held back from the last block: the reference emits it */
	bool carry = false;
	uint64_t dropped = 0;
	if (m.backslashes) {
		uint64_t escaped = escaped_bytes(m.backslashes, &carry);
		m.quotes &= ~escaped;
		/* the backslash of each "\/" (see step), and one escaping the next block's first
		 * byte, which is held back until that byte is known */
		dropped = ((escaped & m.slashes) >> 1) | ((uint64_t)carry << 63);
	}
	uint64_t inside = prefix(m.quotes) ^ (st->in_string ? ~UINT64_C(0) : 0);
	/* the state each byte is read in: "outside" bytes include opening quotes */
	uint64_t outside = ~((inside << 1) | (st->in_string ? 1 : 0));
	uint64_t removable = m.ws & outside, token = m.token & outside;
	if ((m.backslashes & outside) || needs_join(st, removable, token))
		return false;
	*keep = ~(removable | dropped);
	block_end_state(st, m.ws, outside, token, inside, carry);
	return true;
}

/* Returns bytes written, or SIZE_MAX for the reference path (see block_keep). */
SSSE3 static inline size_t finish_block(crp_squeeze *st, block_masks m, const __m128i v[4],
					unsigned char *dst, uint64_t (*prefix)(uint64_t))
{
	uint64_t keep;
	if (!block_keep(st, m, &keep, prefix))
		return SIZE_MAX;
	size_t o = 0;
	for (int k = 0; k < 4; k++)
		o += pack16(v[k], (unsigned)(keep >> (16 * k)) & 0xffff, dst + o);
	return o;
}

/* One block of 64 bytes (see finish_block). Either way its newlines are counted into *lines
 * (a byte counter per lane, see below). */
SSSE3 static size_t squeeze_block(crp_squeeze *st, const unsigned char *in, unsigned char *dst,
				  __m128i *lines)
{
	__m128i v[4];
	block_masks m = {0, 0, 0, 0, 0};
	for (unsigned k = 0; k < 4; k++) {
		v[k] = _mm_loadu_si128((const __m128i *)(in + 16 * k));
		classify16(v[k], k, &m);
		*lines = _mm_sub_epi8(*lines, _mm_cmpeq_epi8(v[k], _mm_set1_epi8('\n')));
	}
	return finish_block(st, m, v, dst, prefix_xor);
}

SSSE3 static size_t lane_sum(__m128i bytes)
{
	__m128i sums = _mm_sad_epu8(bytes, _mm_setzero_si128());
	return (size_t)_mm_cvtsi128_si32(sums) + (size_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(sums, sums));
}

/* Newlines are counted here because every byte is loaded here anyway: a lane gains at most 4
 * a block, so the byte counters are summed every 63 blocks, before they could wrap. */
SSSE3 static size_t squeeze_ssse3(crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst,
				  size_t *newlines)
{
	crp_squeeze s = *st; /* in a local: see squeeze_avx512 */
	size_t i = 0, o = 0, lines = 0;
	while (i + 64 <= len) {
		__m128i acc = _mm_setzero_si128();
		for (int b = 0; b < 63 && i + 64 <= len; b++, i += 64) {
			size_t n = squeeze_block(&s, src + i, dst + o, &acc);
			o += n != SIZE_MAX ? n : crp__squeeze_scalar(&s, src + i, 64, dst + o);
		}
		lines += lane_sum(acc);
	}
	*newlines = lines + count_lines(src + i, len - i);
	o += crp__squeeze_scalar(&s, src + i, len - i, dst + o);
	*st = s;
	return o;
}

/* AVX2: the same classes, 32 bytes per lookup; half the classifying instructions of SSSE3. */
#define AVX2 __attribute__((target("avx2,pclmul")))

AVX2 static inline void class_bits32(__m256i v, __m256i *ws, __m256i *token)
{
	/* vpshufb looks up within each 128-bit lane: both lanes hold the tables */
	const __m256i lo_lut = _mm256_setr_epi8(LO_NIBBLE_CLASSES, LO_NIBBLE_CLASSES);
	const __m256i hi_lut = _mm256_setr_epi8(HI_NIBBLE_CLASSES, HI_NIBBLE_CLASSES);
	__m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), _mm256_set1_epi8(0x0f));
	__m256i c = _mm256_and_si256(_mm256_shuffle_epi8(lo_lut, v), _mm256_shuffle_epi8(hi_lut, hi));
	*ws = _mm256_cmpgt_epi8(c, _mm256_set1_epi8(C_COLON | C_PUNCT | C_BRACKET));
	*token = _mm256_cmpeq_epi8(c, _mm256_setzero_si256());
}

AVX2 static inline uint64_t mask64(__m256i a, __m256i b)
{
	return (uint64_t)(uint32_t)_mm256_movemask_epi8(a) |
	       (uint64_t)(uint32_t)_mm256_movemask_epi8(b) << 32;
}

AVX2 static size_t squeeze_block_avx2(crp_squeeze *st, const unsigned char *in, unsigned char *dst,
				      __m256i *lines)
{
	__m256i a = _mm256_loadu_si256((const __m256i *)in);
	__m256i b = _mm256_loadu_si256((const __m256i *)(in + 32));
	__m256i ws_a, ws_b, tok_a, tok_b;
	class_bits32(a, &ws_a, &tok_a);
	class_bits32(b, &ws_b, &tok_b);
	const __m256i quote = _mm256_set1_epi8('"'), backslash = _mm256_set1_epi8('\\'),
		      newline = _mm256_set1_epi8('\n'), slash = _mm256_set1_epi8('/');
	block_masks m = {mask64(ws_a, ws_b), mask64(tok_a, tok_b),
			 mask64(_mm256_cmpeq_epi8(a, quote), _mm256_cmpeq_epi8(b, quote)),
			 mask64(_mm256_cmpeq_epi8(a, backslash), _mm256_cmpeq_epi8(b, backslash)),
			 mask64(_mm256_cmpeq_epi8(a, slash), _mm256_cmpeq_epi8(b, slash))};
	*lines = _mm256_sub_epi8(*lines, _mm256_cmpeq_epi8(a, newline));
	*lines = _mm256_sub_epi8(*lines, _mm256_cmpeq_epi8(b, newline));
	const __m128i v[4] = {_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1),
			      _mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1)};
	return finish_block(st, m, v, dst, prefix_xor_clmul);
}

AVX2 static size_t lane_sum_avx2(__m256i bytes)
{
	__m256i sums = _mm256_sad_epu8(bytes, _mm256_setzero_si256());
	__m128i two = _mm_add_epi64(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
	return (size_t)_mm_cvtsi128_si32(two) + (size_t)_mm_cvtsi128_si32(_mm_unpackhi_epi64(two, two));
}

/* As squeeze_ssse3 (a lane gains at most 2 a block here). */
AVX2 static size_t squeeze_avx2(crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst,
				size_t *newlines)
{
	crp_squeeze s = *st; /* in a local: see squeeze_avx512 */
	size_t i = 0, o = 0, lines = 0;
	while (i + 64 <= len) {
		__m256i acc = _mm256_setzero_si256();
		for (int b = 0; b < 127 && i + 64 <= len; b++, i += 64) {
			size_t n = squeeze_block_avx2(&s, src + i, dst + o, &acc);
			o += n != SIZE_MAX ? n : crp__squeeze_scalar(&s, src + i, 64, dst + o);
		}
		lines += lane_sum_avx2(acc);
	}
	*newlines = lines + count_lines(src + i, len - i);
	o += crp__squeeze_scalar(&s, src + i, len - i, dst + o);
	*st = s;
	return o;
}

/* AVX-512 (BW for byte compares into mask registers, VBMI2 for the byte compress): a block is
 * one register, its masks come straight from the compares, and packing is one instruction. */
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vbmi2,popcnt")))

AVX512 static size_t squeeze_block_avx512(crp_squeeze *st, const unsigned char *in, unsigned char *dst,
					  size_t *lines)
{
	const __m512i lo_lut = _mm512_broadcast_i32x4(_mm_setr_epi8(LO_NIBBLE_CLASSES));
	const __m512i hi_lut = _mm512_broadcast_i32x4(_mm_setr_epi8(HI_NIBBLE_CLASSES));
	__m512i v = _mm512_loadu_si512((const void *)in);
	__m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), _mm512_set1_epi8(0x0f));
	__m512i c = _mm512_and_si512(_mm512_shuffle_epi8(lo_lut, v), _mm512_shuffle_epi8(hi_lut, hi));
	block_masks m = {_mm512_cmpgt_epi8_mask(c, _mm512_set1_epi8(C_COLON | C_PUNCT | C_BRACKET)),
			 _mm512_testn_epi8_mask(c, c), _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"')),
			 _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\\')),
			 _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('/'))};
	*lines += (size_t)_mm_popcnt_u64(_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n')));
	uint64_t keep;
	/* the shifts here: the multiply measured 4% slower in this path (and 6% faster in AVX2) */
	if (!block_keep(st, m, &keep, prefix_xor))
		return SIZE_MAX;
	size_t n = (size_t)_mm_popcnt_u64(keep);
	/* a masked store writes exactly the kept bytes */
	_mm512_mask_storeu_epi8(dst, n == 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1,
				_mm512_maskz_compress_epi8(keep, v));
	return n;
}

AVX512 static size_t squeeze_avx512(crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst,
				    size_t *newlines)
{
	/* The state in a local: through st, every store to dst (unsigned char, which may alias
	 * anything) would force it back to memory and reload it for the next block. */
	crp_squeeze s = *st;
	size_t i = 0, o = 0, lines = 0;
	for (; i + 64 <= len; i += 64) {
		size_t n = squeeze_block_avx512(&s, src + i, dst + o, &lines);
		o += n != SIZE_MAX ? n : crp__squeeze_scalar(&s, src + i, 64, dst + o);
	}
	*newlines = lines + count_lines(src + i, len - i);
	o += crp__squeeze_scalar(&s, src + i, len - i, dst + o);
	*st = s;
	return o;
}

int crp__squeeze_best(void)
{
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vbmi2"))
		return CRP_SQUEEZE_AVX512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul"))
		return CRP_SQUEEZE_AVX2;
	return __builtin_cpu_supports("ssse3") ? CRP_SQUEEZE_SSSE3 : CRP_SQUEEZE_SCALAR;
}

size_t crp__squeeze_isa(int isa, crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst,
			size_t *newlines)
{
	if (isa == CRP_SQUEEZE_AVX512)
		return squeeze_avx512(st, src, len, dst, newlines);
	if (isa == CRP_SQUEEZE_AVX2)
		return squeeze_avx2(st, src, len, dst, newlines);
	if (isa == CRP_SQUEEZE_SSSE3)
		return squeeze_ssse3(st, src, len, dst, newlines);
	*newlines = count_lines(src, len);
	return crp__squeeze_scalar(st, src, len, dst);
}
#else
int crp__squeeze_best(void)
{
	return CRP_SQUEEZE_SCALAR;
}

size_t crp__squeeze_isa(int isa, crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst,
			size_t *newlines)
{
	CRP_UNUSED(isa);
	*newlines = count_lines(src, len);
	return crp__squeeze_scalar(st, src, len, dst);
}
#endif

size_t crp__squeeze(crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst,
		    size_t *newlines)
{
	return crp__squeeze_isa(crp__squeeze_best(), st, src, len, dst, newlines);
}

size_t crp__squeeze_map(crp_squeeze *st, const unsigned char *src, size_t len, size_t *f_pos,
			size_t from, size_t f_target)
{
	unsigned char sink[2];
	size_t i = from, f = *f_pos;
	while (i < len) {
		crp_squeeze before = *st;
		size_t n = step(st, src[i], sink);
		if (f + n > f_target) {
			if (before.escape && n == 2 && f == f_target) {
				/* the target is a held-back backslash (see step): its own position,
				 * with the state from before it; at the window's start, the previous
				 * window's last byte (nothing moves: a later call resumes from here) */
				if (i == 0) {
					*st = before;
					*f_pos = f;
					return CRP_SQUEEZE_BEFORE;
				}
				before.escape = false;
				i--;
			}
			*st = before; /* stop before the byte that produces the target */
			break;
		}
		f += n;
		i++;
	}
	*f_pos = f;
	return i;
}
