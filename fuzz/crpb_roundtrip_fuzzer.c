/* JSON -> model -> CRPB -> model (zstd's simple_round_trip shape): every report the JSON
 * reader accepts must survive CRPB: writing twice gives the same bytes, the decoded model
 * writes the same JSON and the same CRPB again. The first byte picks the codec. Any
 * difference aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crashport/crashport.h"

static void emit(const char *fmt, crp_report **r, size_t n, const char *const *params, crp_buffer *b)
{
	crp_sink sink;
	crp_emit_session *s;
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	eo.params = params;
	crp_sink_init_buffer(&sink, b);
	if (crp_emit_begin(&s, crp_emitter_lookup(fmt), &sink, &eo, NULL) != CRP_OK)
		abort();
	for (size_t i = 0; i < n; i++)
		if (crp_emit_report(s, r[i]) != CRP_OK)
			abort();
	if (crp_emit_end(s) != CRP_OK)
		abort();
	crp_emit_free(s);
}

static void same(const crp_buffer *a, const crp_buffer *b)
{
	if (a->len != b->len || (a->len && memcmp(a->data, b->data, a->len) != 0))
		abort();
}

static void round_trip(crp_report **r, size_t n, const char *const *params)
{
	crp_buffer c1 = CRP_BUFFER_INIT, c2 = CRP_BUFFER_INIT, c3 = CRP_BUFFER_INIT;
	crp_buffer j1 = CRP_BUFFER_INIT, j2 = CRP_BUFFER_INIT;
	crp_crpb *a;
	emit("crpb", r, n, params, &c1);
	emit("crpb", r, n, params, &c2);
	same(&c1, &c2);
	if (crp_crpb_open(&a, c1.data, c1.len, NULL, NULL) != CRP_OK || crp_crpb_count(a) != n)
		abort();
	crp_report **back = calloc(n + 1, sizeof *back);
	for (size_t i = 0; i < n; i++)
		if (crp_crpb_read(&back[i], a, i, NULL) != CRP_OK)
			abort();
	emit("json", r, n, NULL, &j1);
	emit("json", back, n, NULL, &j2);
	same(&j1, &j2);
	emit("crpb", back, n, params, &c3);
	same(&c1, &c3);
	for (size_t i = 0; i < n; i++)
		crp_report_free(back[i]);
	free(back);
	crp_crpb_close(a);
	crp_buffer_dispose(&c1);
	crp_buffer_dispose(&c2);
	crp_buffer_dispose(&c3);
	crp_buffer_dispose(&j1);
	crp_buffer_dispose(&j2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const params[][3] = {{NULL}, {"codec=deflate", NULL}, {"codec=none", "schema=inline"},
						{"level=3", NULL}};
	if (size < 1)
		return 0;
	const char *const *p = params[data[0] & 3];
	crp_parse_options opts = CRP_PARSE_OPTIONS_INIT;
	opts.max_depth = 64;
	crp_parser *ps;
	if (crp_parser_new(&ps, &opts) != CRP_OK)
		return 0;
	crp_parser_feed(ps, data + 1, size - 1);
	crp_parser_finish(ps);
	crp_report *r[64];
	size_t n = 0;
	while (n < 64 && crp_parser_next(ps, &r[n]) == CRP_OK)
		n++;
	if (n)
		round_trip(r, n, p);
	for (size_t i = 0; i < n; i++)
		crp_report_free(r[i]);
	crp_parser_free(ps);
	return 0;
}
