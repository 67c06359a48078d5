/* A small test-only minidump reader: bounds-checked little-endian reads, the stream
 * directory, and a frame-pointer walker with Breakpad's rules (../shared/docs/minidump.md
 * section 16), so tests check what a stack walker would see without needing Breakpad.
 * Every read asserts that it stays inside the file. */
#ifndef CRP_TEST_MD_READER_H
#define CRP_TEST_MD_READER_H

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

typedef struct mdr {
	const uint8_t *d;
	size_t len;
} mdr;

static inline void mdr_need(const mdr *m, uint64_t off, uint64_t size)
{
	ck_assert_msg(off <= m->len && m->len - off >= size, "%llu bytes at %llu outside the file",
		      (unsigned long long)size, (unsigned long long)off);
}

static inline uint64_t mdr_get(const mdr *m, uint64_t off, unsigned width)
{
	mdr_need(m, off, width);
	uint64_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)m->d[off + i] << (8 * i);
	return v;
}
#define R16(m, o) ((uint32_t)mdr_get(m, o, 2))
#define R32(m, o) ((uint32_t)mdr_get(m, o, 4))
#define R64(m, o) mdr_get(m, o, 8)

/* RVA of the stream of `type` (asserting it is there at most once); 0 when absent. */
static inline uint32_t mdr_stream(const mdr *m, uint32_t type, uint32_t *size)
{
	uint32_t n = R32(m, 8), dir = R32(m, 12), rva = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (R32(m, dir + 12 * i) != type)
			continue;
		ck_assert_msg(rva == 0, "stream type 0x%x appears twice", type);
		*size = R32(m, dir + 12 * i + 4);
		rva = R32(m, dir + 12 * i + 8);
		mdr_need(m, rva, *size);
	}
	return rva;
}

/* An MDString as UTF-8 (BMP only is enough for our fixtures; others become '?'). */
static inline char *mdr_string(const mdr *m, uint32_t rva)
{
	uint32_t bytes = R32(m, rva);
	ck_assert_uint_eq(bytes % 2, 0);
	char *s = malloc(bytes / 2 * 3 + 1), *o = s;
	for (uint32_t i = 0; i < bytes; i += 2) {
		uint32_t u = R16(m, rva + 4 + i);
		if (u < 0x80) {
			*o++ = (char)u;
		} else if (u < 0x800) {
			*o++ = (char)(0xC0 | u >> 6);
			*o++ = (char)(0x80 | (u & 0x3F));
		} else if (u >= 0xD800 && u < 0xE000) {
			*o++ = '?';
		} else {
			*o++ = (char)(0xE0 | u >> 12);
			*o++ = (char)(0x80 | ((u >> 6) & 0x3F));
			*o++ = (char)(0x80 | (u & 0x3F));
		}
	}
	*o = '\0';
	ck_assert_uint_eq(R16(m, rva + 4 + bytes), 0);
	return s;
}

/* -- stack walking ------------------------------------------------------------------------ */

typedef struct mdr_cpu {
	uint16_t arch;
	unsigned word, ctx_size;
	bool lr_reg;
	unsigned pc, sp, fp, lr; /* byte offsets in the context */
} mdr_cpu;

static inline mdr_cpu mdr_cpu_of(uint16_t arch)
{
	switch (arch) {
	case 12: return (mdr_cpu){12, 8, 912, true, 264, 256, 240, 248};
	case 9: return (mdr_cpu){9, 8, 1232, false, 248, 152, 160, 0};
	case 5: return (mdr_cpu){5, 4, 368, true, 64, 56, 32, 60};
	case 0: return (mdr_cpu){0, 4, 716, false, 184, 196, 180, 0};
	default: ck_abort_msg("unknown architecture %u", arch);
	}
	return (mdr_cpu){0, 0, 0, false, 0, 0, 0, 0};
}

typedef struct mdr_region {
	uint64_t start;
	uint32_t size, rva;
} mdr_region;

static inline bool mdr_read_word(const mdr *m, const mdr_region *r, uint64_t addr, unsigned w,
				 uint64_t *out)
{
	if (!r->size || addr < r->start || addr - r->start > r->size || r->size - (addr - r->start) < w)
		return false;
	*out = mdr_get(m, r->rva + (addr - r->start), w);
	return true;
}

/* Breakpad's frame-pointer walk from a context over one stack region. Returns the frame
 * count; pcs[] gets frame 0's pc and the callers' return addresses. `strip` maps an arm64
 * return address the way Breakpad's pointer-auth stripping would (may be NULL). */
static inline size_t mdr_walk(const mdr *m, const mdr_cpu *c, uint32_t ctx, const mdr_region *r,
			      uint64_t (*strip)(void *, uint64_t), void *sctx, uint64_t *pcs, size_t max)
{
	unsigned wsz = c->word;
	uint64_t pc = mdr_get(m, ctx + c->pc, wsz), sp = mdr_get(m, ctx + c->sp, wsz);
	uint64_t fp = mdr_get(m, ctx + c->fp, wsz), lr = c->lr_reg ? mdr_get(m, ctx + c->lr, wsz) : 0;
	size_t n = 0;
	pcs[n++] = pc;
	if (!r->size)
		return n; /* Breakpad: no memory, no callers */
	if (c->lr_reg && strip)
		lr = strip(sctx, lr);
	while (n < max) {
		uint64_t nfp = 0, ret = 0, nsp;
		if (c->lr_reg) {
			if (fp && (!mdr_read_word(m, r, fp, wsz, &nfp) || !mdr_read_word(m, r, fp + wsz, wsz, &ret)))
				break; /* Breakpad would scan: the walk is not frame-pointer exact */
			nsp = fp ? fp + 2 * wsz : sp;
			uint64_t npc = lr;
			lr = strip ? strip(sctx, ret) : ret;
			ret = npc;
		} else {
			if (fp % wsz || !mdr_read_word(m, r, fp, wsz, &nfp) || !mdr_read_word(m, r, fp + wsz, wsz, &ret))
				break;
			nsp = fp + 2 * wsz;
			uint64_t unused;
			if (nfp < nsp || !mdr_read_word(m, r, nfp, wsz, &unused))
				break;
		}
		if (ret < 4096 || (n == 1 ? nsp < sp : nsp <= sp))
			return n;
		pcs[n++] = ret;
		sp = nsp;
		fp = nfp;
	}
	return (size_t)-1; /* the walk left frame-pointer territory */
}

#endif
