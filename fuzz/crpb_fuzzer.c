/* The CRPB reader on arbitrary bytes: through the index (every report) and as a stream fed in
 * chunks whose size the input chooses; whatever decodes is run through every built-in emitter
 * and must write the same CRPB file again when re-encoded and re-read. Must never crash, hang
 * or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
	if (crp_crpb_stream_new(&s, &o) != CRP_OK)
		return 0;
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
	return 0;
}
