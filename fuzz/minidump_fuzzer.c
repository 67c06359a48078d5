/* The reader and the minidump emitter in both stack modes (the generic parse_fuzzer runs
 * emitters with default options only). The first byte picks the mode and the reader's
 * strictness. Must never crash, hang or leak. */
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
	static const char *const real[] = {"stack=real", NULL};
	crp_parse_options opts = CRP_PARSE_OPTIONS_INIT;
	opts.flags = data[0] & 0x40 ? CRP_PARSE_STRICT : 0;
	opts.max_depth = 64;
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	eo.params = data[0] & 0x01 ? real : NULL;
	crp_parser *p;
	if (crp_parser_new(&p, &opts) != CRP_OK)
		return 0;
	if (crp_parser_feed(p, data + 1, size - 1) == CRP_OK)
		crp_parser_finish(p);
	crp_sink sink = {discard, NULL};
	crp_report *r;
	while (crp_parser_next(p, &r) == CRP_OK) {
		crp_emit(crp_emitter_lookup("minidump"), r, &sink, &eo, NULL);
		crp_report_free(r);
	}
	crp_parser_free(p);
	return 0;
}
