/* crp_convert: read a buffer in whatever readable format it is, and emit every report as it
 * completes. */
#include "format.h"
#include "crashport/convert.h"

/* Feed in pieces so that reports are emitted (and freed) as they complete. */
#define PIECE (256u * 1024)

static void fail(crp_error *err, int code, const char *msg)
{
	if (err && err->code == CRP_OK)
		crp__error_set(err, code, "%s", msg);
}

static int drain(crp_reader *rd, crp_emit_session *s, crp_convert_stats *st)
{
	crp_report *r;
	while (crp_reader_next(rd, &r) == CRP_OK) {
		st->warnings += crp_report_warning_count(r);
		int rc = crp_emit_report(s, r);
		crp_report_free(r);
		if (rc != CRP_OK)
			return rc;
		st->reports++;
	}
	return CRP_OK;
}

static int run(crp_reader *rd, crp_emit_session *s, const unsigned char *in, size_t len,
	       crp_convert_stats *st)
{
	int rc = CRP_OK;
	for (size_t off = 0; rc == CRP_OK && off < len; off += PIECE) {
		rc = crp_reader_feed(rd, in + off, len - off < PIECE ? len - off : PIECE);
		int erc = drain(rd, s, st);
		if (rc == CRP_OK)
			rc = erc;
	}
	if (rc == CRP_OK)
		rc = crp_reader_finish(rd);
	int erc = drain(rd, s, st);
	return rc != CRP_OK ? rc : erc;
}

int crp_convert(const crp_sink *sink, const void *in, size_t len, const char *format,
		const crp_convert_options *opts, crp_convert_stats *stats, crp_error *err)
{
	crp_convert_stats st = {0, 0, len, 0};
	crp_convert_options o = CRP_CONVERT_OPTIONS_INIT;
	if (err)
		crp__error_clear(err);
	if (opts) {
		if (opts->version != CRP_CONVERT_OPTIONS_VERSION)
			return fail(err, CRP_EINVAL, "unknown options version"), CRP_EINVAL;
		o = *opts;
	}
	if (!sink || (!in && len))
		return fail(err, CRP_EINVAL, "invalid argument"), CRP_EINVAL;
	const crp_emitter *e = crp_emitter_lookup(format);
	if (!e)
		return fail(err, CRP_ENOTFOUND, "unknown output format"), CRP_ENOTFOUND;
	crp_parse_options po = CRP_PARSE_OPTIONS_INIT;
	if (o.parse)
		po = *o.parse;
	po.allocator = o.allocator;
	crp_emit_options eo = {CRP_EMIT_OPTIONS_VERSION, o.allocator, o.params};
	crp_reader *rd;
	crp_emit_session *s = NULL;
	int rc = crp_reader_new(&rd, NULL, &po);
	if (rc != CRP_OK)
		return fail(err, rc, crp_status_str(rc)), rc;
	rc = crp_emit_begin(&s, e, sink, &eo, err);
	if (rc == CRP_OK) {
		rc = run(rd, s, in, len, &st);
		if (rc == CRP_OK)
			rc = crp_emit_end(s);
		if (err && err->code == CRP_OK && rc != CRP_OK)
			*err = crp_reader_error(rd)->code != CRP_OK ? *crp_reader_error(rd) : *crp_emit_error(s);
		st.bytes_out = crp_emit_bytes(s);
	}
	crp_emit_free(s);
	crp_reader_free(rd);
	if (stats)
		*stats = st;
	return rc;
}

int crp_convert_buffer(crp_buffer *out, const void *in, size_t len, const char *format,
		       const crp_convert_options *opts, crp_convert_stats *stats, crp_error *err)
{
	crp_sink sink;
	if (!out)
		return fail(err, CRP_EINVAL, "invalid argument"), CRP_EINVAL;
	crp_sink_init_buffer(&sink, out);
	return crp_convert(&sink, in, len, format, opts, stats, err);
}
