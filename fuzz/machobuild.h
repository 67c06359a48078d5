/* A tiny builder of byte buffers and of synthetic Mach-O dSYM files (x86_64, MH_DSYM, LC_UUID,
 * __TEXT with one __text section, __DWARF with the sections given). Shared by the DWARF fuzz
 * target and the DWARF unit tests; header-only, test code only (exits when out of memory). */
#ifndef CRP_MACHOBUILD_H
#define CRP_MACHOBUILD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mb_buf {
	uint8_t *p;
	size_t n, cap;
} mb_buf;

static inline void mb_bytes(mb_buf *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		while (c < b->n + n)
			c *= 2;
		uint8_t *q = realloc(b->p, c);
		if (!q)
			abort();
		b->p = q;
		b->cap = c;
	}
	if (n)
		memcpy(b->p + b->n, d, n);
	b->n += n;
}

static inline void mb_uint(mb_buf *b, uint64_t v, unsigned size)
{
	uint8_t t[8];
	for (unsigned i = 0; i < size; i++)
		t[i] = (uint8_t)(v >> (8 * i));
	mb_bytes(b, t, size);
}

static inline void mb_u8(mb_buf *b, uint64_t v) { mb_uint(b, v, 1); }
static inline void mb_u16(mb_buf *b, uint64_t v) { mb_uint(b, v, 2); }
static inline void mb_u32(mb_buf *b, uint64_t v) { mb_uint(b, v, 4); }
static inline void mb_u64(mb_buf *b, uint64_t v) { mb_uint(b, v, 8); }

static inline void mb_uleb(mb_buf *b, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		mb_u8(b, c | (v ? 0x80 : 0));
	} while (v);
}

static inline void mb_sleb(mb_buf *b, int64_t v)
{
	for (;;) {
		uint8_t c = v & 0x7f;
		v >>= 7;
		if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
			mb_u8(b, c);
			return;
		}
		mb_u8(b, c | 0x80);
	}
}

static inline void mb_str(mb_buf *b, const char *s) { mb_bytes(b, s, strlen(s) + 1); }

/* Overwrite `size` bytes at `at` (patching lengths once a block is complete). */
static inline void mb_patch(mb_buf *b, size_t at, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		b->p[at + i] = (uint8_t)(v >> (8 * i));
}

typedef struct mb_section {
	const char *name;  /* "__debug_info", ... (16 characters at most) */
	const uint8_t *data;
	size_t size;
} mb_section;

static inline void mb_name16(mb_buf *b, const char *s)
{
	char n[16] = {0};
	size_t len = strlen(s);
	memcpy(n, s, len < sizeof n ? len : sizeof n);
	mb_bytes(b, n, 16);
}

static inline void mb_section64(mb_buf *b, const char *sect, const char *seg, uint64_t addr,
				uint64_t size, uint32_t offset)
{
	mb_name16(b, sect);
	mb_name16(b, seg);
	mb_u64(b, addr);
	mb_u64(b, size);
	mb_u32(b, offset);
	for (int i = 0; i < 7; i++)
		mb_u32(b, 0); /* align, reloff, nreloc, flags, reserved1-3 */
}

/* A dSYM-like Mach-O: the DWARF sections' bytes follow the load commands. */
static inline mb_buf mb_dsym(const uint8_t uuid[16], uint64_t text_addr, uint64_t text_size,
			     const mb_section *secs, size_t n)
{
	mb_buf b = {0};
	uint32_t cmds = 24 + (72 + 80) + (72 + 80 * (uint32_t)n);
	uint32_t data = 32 + cmds;
	mb_u32(&b, 0xfeedfacf);
	mb_u32(&b, 0x01000007); /* x86_64 */
	mb_u32(&b, 3);
	mb_u32(&b, 0xa); /* MH_DSYM */
	mb_u32(&b, 3);
	mb_u32(&b, cmds);
	mb_u32(&b, 0);
	mb_u32(&b, 0);
	mb_u32(&b, 0x1b); /* LC_UUID */
	mb_u32(&b, 24);
	mb_bytes(&b, uuid, 16);
	mb_u32(&b, 0x19); /* LC_SEGMENT_64 __TEXT */
	mb_u32(&b, 72 + 80);
	mb_name16(&b, "__TEXT");
	mb_u64(&b, text_addr & ~(uint64_t)0xfff);
	mb_u64(&b, ((text_addr & 0xfff) + text_size + 0xfff) & ~(uint64_t)0xfff);
	mb_u64(&b, 0);
	mb_u64(&b, 0);
	mb_u32(&b, 5);
	mb_u32(&b, 5);
	mb_u32(&b, 1);
	mb_u32(&b, 0);
	mb_section64(&b, "__text", "__TEXT", text_addr, text_size, 0);
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += secs[i].size;
	mb_u32(&b, 0x19); /* LC_SEGMENT_64 __DWARF */
	mb_u32(&b, 72 + 80 * (uint32_t)n);
	mb_name16(&b, "__DWARF");
	mb_u64(&b, 0x200000000);
	mb_u64(&b, (total + 0xfff) & ~(size_t)0xfff);
	mb_u64(&b, data);
	mb_u64(&b, total);
	mb_u32(&b, 7);
	mb_u32(&b, 3);
	mb_u32(&b, (uint32_t)n);
	mb_u32(&b, 0);
	uint32_t off = data;
	for (size_t i = 0; i < n; i++) {
		mb_section64(&b, secs[i].name, "__DWARF", 0x200000000 + (off - data), secs[i].size,
			     secs[i].size ? off : 0);
		off += (uint32_t)secs[i].size;
	}
	for (size_t i = 0; i < n; i++)
		mb_bytes(&b, secs[i].data, secs[i].size);
	return b;
}

#endif
