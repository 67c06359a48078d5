/* Sequential output with a layout pass: every piece of the file is produced by the same code
 * twice, first only counting bytes and recording where each piece starts (its RVA), then
 * writing, with each piece checked to land where the layout put it. So the file is written
 * front to back in one pass (pipes and stdout work) and references always point right. */
#include "md_write.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

int crp__mdw_too_big(mdw *w)
{
	return crp_emit_fail(w->ctx, CRP_ELIMIT, "minidump: output would exceed 4 GiB");
}

int crp__mdw_flush(mdw *w)
{
	size_t n = w->n;
	w->n = 0;
	return n ? crp_emit_write(w->ctx, w->buf, n) : CRP_OK;
}

int crp__mdw_spill(mdw *w, const void *p, size_t n)
{
	CRP_TRY(crp__mdw_flush(w));
	if (n >= MDW_CAP / 2)
		return crp_emit_write(w->ctx, p, n);
	memcpy(w->buf, p, n);
	w->n = n;
	return CRP_OK;
}

int crp__mdw_zeros(mdw *w, size_t n)
{
	static const uint8_t zero[64];
	if (!w->write)
		return crp__mdw_count(w, n);
	while (n) {
		size_t k = n < sizeof zero ? n : sizeof zero;
		CRP_TRY(crp__mdw_bytes(w, zero, k));
		n -= k;
	}
	return CRP_OK;
}

int crp__mdw_place(mdw *w, unsigned align, uint32_t *rva)
{
	/* alignments are powers of two; most places are aligned already */
	size_t pad = (size_t)(0 - w->pos) & (align - 1);
	if (pad)
		CRP_TRY(crp__mdw_zeros(w, pad));
	if (!w->write)
		*rva = (uint32_t)w->pos;
	else if (*rva != w->pos)
		return crp_emit_fail(w->ctx, CRP_ERROR, "minidump: internal layout error");
	return CRP_OK;
}

int crp__mdw_u32(mdw *w, uint32_t v)
{
	uint8_t b[4];
	md_put32(b, v);
	return crp__mdw_bytes(w, b, 4);
}

int crp__mdw_word(mdw *w, unsigned width, uint64_t v)
{
	uint8_t b[8];
	md_put64(b, v);
	return crp__mdw_bytes(w, b, width);
}

size_t crp__md_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

/* Next code point of s[*i..len); invalid sequences read as U+FFFD. */
static uint32_t next_cp(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[(*i)++];
	int extra = c < 0x80 ? 0 : c < 0xC2 ? -1 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : c < 0xF5 ? 3 : -1;
	uint32_t cp = extra == 3 ? c & 0x07u : extra == 2 ? c & 0x0Fu : c & 0x1Fu;
	if (extra <= 0)
		return extra == 0 ? c : 0xFFFD;
	for (int k = 0; k < extra; k++) {
		if (*i >= len || (s[*i] & 0xC0) != 0x80)
			return 0xFFFD;
		cp = cp << 6 | (s[(*i)++] & 0x3Fu);
	}
	return cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000) ? 0xFFFD : cp;
}

/* Length of the ASCII prefix of s[0, n), eight bytes at a time: module paths, which are most
 * of a minidump's strings, are long and almost always ASCII. */
static size_t ascii_run(const char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	for (; i + 16 <= n; i += 16)
		if (_mm_movemask_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + i))))
			break; /* the word loops below find the byte */
#endif
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if (w & UINT64_C(0x8080808080808080))
			break;
	}
	while (i < n && !((unsigned char)s[i] & 0x80))
		i++;
	return i;
}

/* ASCII s[0, n) as UTF-16LE into out (2n bytes): each byte and a zero. */
static void widen_ascii(uint8_t *out, const char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i zero = _mm_setzero_si128();
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		_mm_storeu_si128((__m128i *)(void *)(out + 2 * i), _mm_unpacklo_epi8(v, zero));
		_mm_storeu_si128((__m128i *)(void *)(out + 2 * i + 16), _mm_unpackhi_epi8(v, zero));
	}
#endif
	for (; i < n; i++) {
		out[2 * i] = (uint8_t)s[i];
		out[2 * i + 1] = 0;
	}
}

/* UTF-16 units of s, stopping before `max_units` would be exceeded; *used gets the bytes and
 * *ascii the length of the ASCII prefix. */
static size_t utf16_units(const char *s, size_t len, size_t max_units, size_t *used, size_t *ascii)
{
	/* ASCII: one unit per byte (paths and names almost always are) */
	size_t i = ascii_run(s, len < max_units ? len : max_units), units = i;
	*ascii = i;
	while (i < len) {
		size_t at = i;
		size_t u = next_cp((const unsigned char *)s, len, &i) > 0xFFFF ? 2 : 1;
		if (units + u > max_units) {
			i = at;
			break;
		}
		units += u;
	}
	*used = i;
	return units;
}

int crp__mdw_mdstring(mdw *w, const char *s, size_t len, uint32_t *rva, md_str_measure *m)
{
	md_str_measure here = {false, 0, 0, 0};
	if (!m)
		m = &here;
	if (!m->done) {
		m->units = utf16_units(s, len, MD_MAX_MDSTRING_UNITS, &m->used, &m->ascii);
		m->done = true;
	}
	size_t units = m->units, used = m->used, ascii = m->ascii;
	uint8_t buf[512];
	size_t n = 0;
	CRP_TRY(crp__mdw_place(w, 4, rva));
	CRP_TRY(crp__mdw_u32(w, (uint32_t)units * 2));
	if (!w->write) /* the layout pass only needs the size */
		return crp__mdw_count(w, units * 2 + 2);
	for (size_t i = 0; i < used;) {
		if (n > sizeof buf - 4) {
			CRP_TRY(crp__mdw_bytes(w, buf, n));
			n = 0;
		}
		size_t run = used - i < (sizeof buf - 4 - n) / 2 ? used - i : (sizeof buf - 4 - n) / 2;
		/* the ASCII prefix was measured already */
		size_t k = i < ascii ? (ascii - i < run ? ascii - i : run) : ascii_run(s + i, run);
		widen_ascii(buf + n, s + i, k);
		n += 2 * k;
		i += k;
		if (k || i >= used)
			continue;
		uint32_t cp = next_cp((const unsigned char *)s, used, &i);
		if (cp > 0xFFFF) {
			cp -= 0x10000;
			md_put16(buf + n, 0xD800 | (cp >> 10));
			n += 2;
			cp = 0xDC00 | (cp & 0x3FF);
		}
		md_put16(buf + n, cp);
		n += 2;
	}
	if (n > sizeof buf - 2) {
		CRP_TRY(crp__mdw_bytes(w, buf, n));
		n = 0;
	}
	md_put16(buf + n, 0);
	return crp__mdw_bytes(w, buf, n + 2);
}

int crp__mdw_utf8(mdw *w, const char *s, size_t len, uint32_t *rva)
{
	len = crp__md_utf8_cut(s, len, MD_MAX_UTF8_STRING);
	CRP_TRY(crp__mdw_place(w, 4, rva));
	CRP_TRY(crp__mdw_u32(w, (uint32_t)len));
	CRP_TRY(crp__mdw_bytes(w, s, len));
	return crp__mdw_bytes(w, "", 1);
}

int crp__mdw_blob(mdw *w, const char *s, size_t len, uint32_t *rva)
{
	len = crp__md_utf8_cut(s, len, MD_MAX_ANNOTATION_VALUE);
	CRP_TRY(crp__mdw_place(w, 4, rva));
	CRP_TRY(crp__mdw_u32(w, (uint32_t)len));
	return crp__mdw_bytes(w, s, len);
}
