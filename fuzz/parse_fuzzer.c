/* The reader on arbitrary bytes, fed in chunks whose size the input chooses (zstd's
 * stream_decompress idea), then every built-in emitter on whatever reports came out. Strict and
 * lenient modes alternate. Must never crash, hang or leak. */
#include <stdint.h>
#include <string.h>

#include "crashport/crashport.h"

static int discard(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t chunk = (size_t)(data[0] & 0x3f) + 1;
	crp_parse_options opts = CRP_PARSE_OPTIONS_INIT;
	opts.flags = data[0] & 0x40 ? CRP_PARSE_STRICT : 0;
	opts.max_depth = 64;
	data++;
	size--;
	crp_parser *p;
	if (crp_parser_new(&p, &opts) != CRP_OK)
		return 0;
	int rc = CRP_OK;
	for (size_t off = 0; rc == CRP_OK && off < size; off += chunk)
		rc = crp_parser_feed(p, data + off, size - off < chunk ? size - off : chunk);
	if (rc == CRP_OK)
		crp_parser_finish(p);
	crp_sink sink = {discard, NULL};
	crp_report *r;
	while (crp_parser_next(p, &r) == CRP_OK) {
		for (size_t i = 0; crp_emitter_at(i); i++)
			crp_emit(crp_emitter_at(i), r, &sink, NULL, NULL);
		crp_report_free(r);
	}
	crp_parser_free(p);
	return 0;
}
