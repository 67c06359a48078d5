/* The Apple emitters with every option: the first byte picks the style, KSCrash layout and
 * frame style of the .crash emitter (parse_fuzzer runs the emitters with defaults only), the
 * rest is read as reports, and all of them go through one session of each emitter, so the
 * scratch reused from report to report is exercised too. Must never crash, hang or leak. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crashport/crashport.h"

static int discard(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return 0;
}

static void emit_all(const char *format, crp_report **r, size_t n, const char *const *params)
{
	crp_sink sink = {discard, NULL};
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	crp_emit_session *s;
	eo.params = params;
	if (crp_emit_begin(&s, crp_emitter_lookup(format), &sink, &eo, NULL) != CRP_OK)
		return;
	for (size_t i = 0; i < n && crp_emit_report(s, r[i]) == CRP_OK; i++)
		;
	crp_emit_end(s);
	crp_emit_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const layouts[] = {"layout=auto", "layout=legacy", "layout=current", "layout=2012"};
	static const char *const frames[] = {"frames=auto", "frames=symbolicated", "frames=side-by-side",
					     "frames=unsymbolicated", "frames=partial", "frames=auto",
					     "frames=auto", "frames=auto"};
	if (size < 1)
		return 0;
	unsigned sel = data[0];
	const char *params[4] = {"style=apple", NULL, NULL, NULL};
	if (sel & 1) {
		params[0] = "style=kscrash";
		params[1] = layouts[(sel >> 1) & 3];
		params[2] = frames[(sel >> 3) & 7];
	}
	crp_parse_options opts = CRP_PARSE_OPTIONS_INIT;
	opts.max_depth = 64;
	crp_parser *p;
	if (crp_parser_new(&p, &opts) != CRP_OK)
		return 0;
	if (crp_parser_feed(p, data + 1, size - 1) == CRP_OK)
		crp_parser_finish(p);
	crp_report *r[16];
	size_t n = 0;
	while (n < 16 && crp_parser_next(p, &r[n]) == CRP_OK)
		n++;
	emit_all("apple", r, n, params);
	emit_all("ips", r, n, NULL);
	for (size_t i = 0; i < n; i++)
		crp_report_free(r[i]);
	crp_parser_free(p);
	return 0;
}
