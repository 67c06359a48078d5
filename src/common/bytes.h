/* Unaligned little- and big-endian loads, and a bounds-checked cursor over untrusted bytes.
 * A cursor that runs past its end stops reading and stays failed (every later read returns 0),
 * so parsers check once per record instead of once per field. */
#ifndef CRP_BYTES_H
#define CRP_BYTES_H

#include "internal.h"

static inline uint16_t crp__le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t crp__le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t crp__le64(const uint8_t *p)
{
	return (uint64_t)crp__le32(p) | (uint64_t)crp__le32(p + 4) << 32;
}
static inline uint32_t crp__be32(const uint8_t *p)
{
	return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24;
}
static inline uint64_t crp__be64(const uint8_t *p)
{
	return (uint64_t)crp__be32(p) << 32 | (uint64_t)crp__be32(p + 4);
}

/* True when [off, off + len) lies inside [0, size). */
static inline bool crp__in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

typedef struct crp_cursor {
	const uint8_t *p;
	const uint8_t *end;
	bool bad;
} crp_cursor;

static inline crp_cursor crp__cursor(const uint8_t *p, size_t len)
{
	crp_cursor c = {p, p ? p + len : p, false}; /* no arithmetic on NULL (absent sections) */
	return c;
}

static inline size_t crp__cur_left(const crp_cursor *c) { return (size_t)(c->end - c->p); }

/* Reserve n bytes: their start, or NULL (and the cursor fails) when fewer are left. */
static inline const uint8_t *crp__cur_take(crp_cursor *c, size_t n)
{
	if (CRP_UNLIKELY(c->bad || n > crp__cur_left(c))) {
		c->bad = true;
		c->p = c->end;
		return NULL;
	}
	const uint8_t *p = c->p;
	c->p += n;
	return p;
}

static inline uint8_t crp__cur_u8(crp_cursor *c)
{
	const uint8_t *p = crp__cur_take(c, 1);
	return p ? p[0] : 0;
}
static inline uint16_t crp__cur_u16(crp_cursor *c)
{
	const uint8_t *p = crp__cur_take(c, 2);
	return p ? crp__le16(p) : 0;
}
static inline uint32_t crp__cur_u24(crp_cursor *c)
{
	const uint8_t *p = crp__cur_take(c, 3);
	return p ? (uint32_t)(p[0] | p[1] << 8 | p[2] << 16) : 0;
}
static inline uint32_t crp__cur_u32(crp_cursor *c)
{
	const uint8_t *p = crp__cur_take(c, 4);
	return p ? crp__le32(p) : 0;
}
static inline uint64_t crp__cur_u64(crp_cursor *c)
{
	const uint8_t *p = crp__cur_take(c, 8);
	return p ? crp__le64(p) : 0;
}
/* 1, 2, 4 or 8 bytes; other sizes fail the cursor. */
static inline uint64_t crp__cur_uint(crp_cursor *c, unsigned size)
{
	switch (size) {
	case 1: return crp__cur_u8(c);
	case 2: return crp__cur_u16(c);
	case 4: return crp__cur_u32(c);
	case 8: return crp__cur_u64(c);
	default: c->bad = true; c->p = c->end; return 0;
	}
}

/* LEB128. Bits beyond 64 are dropped, as every DWARF consumer does. */
static inline uint64_t crp__cur_uleb(crp_cursor *c)
{
	uint64_t v = 0;
	unsigned shift = 0;
	while (CRP_LIKELY(c->p < c->end)) {
		uint8_t b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}
static inline int64_t crp__cur_sleb(crp_cursor *c)
{
	uint64_t v = 0;
	unsigned shift = 0;
	while (CRP_LIKELY(c->p < c->end)) {
		uint8_t b = *c->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~UINT64_C(0) << shift;
			return (int64_t)v;
		}
	}
	c->bad = true;
	return 0;
}

/* A NUL-terminated string inside the cursor: its start (the cursor moves past the NUL), or
 * NULL when no NUL comes before the end. */
static inline const char *crp__cur_cstr(crp_cursor *c)
{
	if (c->bad)
		return NULL;
	const uint8_t *nul = memchr(c->p, 0, crp__cur_left(c));
	if (!nul) {
		c->bad = true;
		c->p = c->end;
		return NULL;
	}
	const char *s = (const char *)c->p;
	c->p = nul + 1;
	return s;
}

#endif
