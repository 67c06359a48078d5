/* The CRPB reader on arbitrary bytes: through the index (every report) and as a stream fed in
 * chunks whose size the input chooses; whatever decodes is run through every built-in emitter
 * and must write the same CRPB file again when re-encoded and re-read. When the first byte's
 * high bit is set, the CRCs are recomputed first, so that mutations reach the decoders behind
 * them. Must never crash, hang or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "crashport/crashport.h"

static int discard(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

static void encode(const crp_report *r, crp_buffer *b)
{
	crp_sink sink;
	crp_sink_init_buffer(&sink, b);
	if (crp_emit(crp_emitter_lookup("crpb"), r, &sink, NULL, NULL) != CRP_OK)
		abort(); /* a report the reader built must be writable */
}

/* decode(encode(r)) encodes to the same bytes as r */
static void check_stable(const crp_report *r)
{
	crp_buffer a = CRP_BUFFER_INIT, b = CRP_BUFFER_INIT;
	crp_crpb *ar;
	crp_report *back;
	encode(r, &a);
	if (crp_crpb_open(&ar, a.data, a.len, NULL, NULL) != CRP_OK || crp_crpb_read(&back, ar, 0, NULL) != CRP_OK)
		abort();
	encode(back, &b);
	if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
		abort();
	crp_report_free(back);
	crp_crpb_close(ar);
	crp_buffer_dispose(&a);
	crp_buffer_dispose(&b);
}

static void use(crp_report *r)
{
	crp_sink sink = {discard, NULL};
	for (size_t i = 0; crp_emitter_at(i); i++)
		crp_emit(crp_emitter_at(i), r, &sink, NULL, NULL);
	check_stable(r);
	crp_report_free(r);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Make the header and every section whose size fits carry a valid CRC. */
static void repair(uint8_t *d, size_t n)
{
	if (n < 16)
		return;
	put32(d + 12, (uint32_t)crc32(0, d, 12));
	for (size_t off = 16; n - off >= 14;) {
		uint8_t *h = d + off;
		uint32_t stored = (uint32_t)h[2] | (uint32_t)h[3] << 8 | (uint32_t)h[4] << 16 | (uint32_t)h[5] << 24;
		if (stored > n - off - 14)
			break;
		put32(h + 10, (uint32_t)crc32(crc32(0, h, 10), h + 14, stored));
		off += 14 + stored;
	}
}

static crp_crpb_options options(void)
{
	crp_crpb_options o = CRP_CRPB_OPTIONS_INIT;
	o.max_section_bytes = 1u << 22;
	o.max_memory = 64u << 20;
	o.max_depth = 64;
	return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (size_t)(data[0] & 0x7f) * 16 + 1;
	crp_crpb_options o = options();
	uint8_t *copy = NULL;
	if (data[0] & 0x80) {
		copy = malloc(size);
		memcpy(copy, data, size);
		repair(copy + 1, size - 1);
		data = copy;
	}
	data++;
	size--;
	crp_crpb *a;
	if (crp_crpb_open(&a, data, size, &o, NULL) == CRP_OK) {
		for (size_t i = 0; i < crp_crpb_count(a); i++) {
			crp_report *r;
			if (crp_crpb_read(&r, a, i, NULL) == CRP_OK)
				use(r);
		}
		crp_crpb_close(a);
	}
	crp_crpb_stream *s;
	if (crp_crpb_stream_new(&s, &o) != CRP_OK) {
		free(copy);
		return 0;
	}
	int rc = CRP_OK;
	crp_report *r;
	for (size_t off = 0; rc == CRP_OK && off < size; off += chunk) {
		rc = crp_crpb_stream_feed(s, data + off, size - off < chunk ? size - off : chunk);
		while (crp_crpb_stream_next(s, &r) == CRP_OK)
			use(r);
	}
	if (rc == CRP_OK)
		crp_crpb_stream_finish(s);
	crp_crpb_stream_free(s);
	free(copy);
	return 0;
}
