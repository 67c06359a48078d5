/* Shared by the reader fuzzers: the first byte picks the chunk size the rest is fed in (1 to
 * 64 bytes, so every chunk boundary is tried), the rest is read in the given format, and every
 * report read goes through every writer. */
#ifndef CRP_FUZZ_READ_AND_EMIT_H
#define CRP_FUZZ_READ_AND_EMIT_H

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

static void emit_all(const char *format, crp_report **r, size_t n)
{
	crp_sink sink = {discard, NULL};
	crp_emit_session *s;
	if (crp_emit_begin(&s, crp_emitter_lookup(format), &sink, NULL, NULL) != CRP_OK)
		return;
	for (size_t i = 0; i < n && crp_emit_report(s, r[i]) == CRP_OK; i++)
		;
	crp_emit_end(s);
	crp_emit_free(s);
}

static int read_and_emit(const char *format, const uint8_t *data, size_t size)
{
	static const char *const writers[] = {"json", "apple", "ips", "crpb", "minidump"};
	if (size < 1)
		return 0;
	size_t chunk = (size_t)(data[0] & 63) + 1;
	crp_parse_options opts = CRP_PARSE_OPTIONS_INIT;
	opts.max_depth = 64;
	crp_reader *rd;
	if (crp_reader_new(&rd, crp_format_lookup(format), &opts) != CRP_OK)
		return 0;
	int rc = CRP_OK;
	for (size_t off = 1; rc == CRP_OK && off < size; off += chunk)
		rc = crp_reader_feed(rd, data + off, size - off < chunk ? size - off : chunk);
	if (rc == CRP_OK)
		crp_reader_finish(rd);
	crp_report *r[16];
	size_t n = 0;
	while (n < 16 && crp_reader_next(rd, &r[n]) == CRP_OK)
		n++;
	for (size_t w = 0; w < sizeof writers / sizeof *writers; w++)
		emit_all(writers[w], r, strcmp(writers[w], "minidump") == 0 && n > 1 ? 1 : n);
	for (size_t i = 0; i < n; i++)
		crp_report_free(r[i]);
	crp_reader_free(rd);
	return 0;
}

#endif
