/* The two-pass writer (md_write.c). */
#ifndef CRP_MD_WRITE_H
#define CRP_MD_WRITE_H

#include "md_internal.h"

/* The write pass gathers the file's many small pieces (struct fields, strings, padding) here
 * and hands them to crp_emit_write in large blocks; big pieces (stack memory) go straight. */
#define MDW_CAP 4096

typedef struct mdw {
	crp_emit_ctx *ctx;
	bool write;      /* false: layout pass, only count and record RVAs */
	uint64_t pos;
	uint8_t *buf;    /* write pass: MDW_CAP bytes */
	size_t n;        /* bytes waiting in buf */
} mdw;

/* The slow paths of crp__mdw_bytes. */
int crp__mdw_too_big(mdw *w);
int crp__mdw_spill(mdw *w, const void *p, size_t n);
/* Hand what is gathered to the emitter; the write pass ends with it. */
int crp__mdw_flush(mdw *w);

/* n bytes counted, none written: what the layout pass needs of a piece. */
static inline int crp__mdw_count(mdw *w, size_t n)
{
	if (CRP_UNLIKELY(n > UINT32_MAX - w->pos))
		return crp__mdw_too_big(w);
	w->pos += n;
	return CRP_OK;
}

static inline int crp__mdw_bytes(mdw *w, const void *p, size_t n)
{
	CRP_TRY(crp__mdw_count(w, n));
	if (!w->write || !n) /* an empty piece may have no pointer */
		return CRP_OK;
	if (CRP_LIKELY(n <= MDW_CAP - w->n)) {
		memcpy(w->buf + w->n, p, n);
		w->n += n;
		return CRP_OK;
	}
	return crp__mdw_spill(w, p, n);
}

int crp__mdw_zeros(mdw *w, size_t n);
/* Align to `align`, then record (layout pass) or check (write pass) the RVA of what follows. */
int crp__mdw_place(mdw *w, unsigned align, uint32_t *rva);
int crp__mdw_u32(mdw *w, uint32_t v);
/* A little-endian word of `width` bytes (4 or 8). */
int crp__mdw_word(mdw *w, unsigned width, uint64_t v);
/* MINIDUMP_STRING of s[0, len): UTF-16LE, at most 1024 units (cut at a character boundary).
 * `m` (or NULL) keeps the measurement between the passes. */
int crp__mdw_mdstring(mdw *w, const char *s, size_t len, uint32_t *rva, md_str_measure *m);
/* Crashpad UTF-8 string: length, at most 1024 bytes (cut at a character), NUL. */
int crp__mdw_utf8(mdw *w, const char *s, size_t len, uint32_t *rva);
/* Crashpad annotation value: length and bytes, at most MD_MAX_ANNOTATION_VALUE. */
int crp__mdw_blob(mdw *w, const char *s, size_t len, uint32_t *rva);
/* Longest prefix of s no longer than max that ends on a UTF-8 character boundary. */
size_t crp__md_utf8_cut(const char *s, size_t len, size_t max);

#endif
