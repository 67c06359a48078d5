/* KSCrash JSON in the format table: the streaming parser (parse.c) behind the reader hooks. */
#include "format.h"

const char *const crp__kscrash_extensions[] = {".json", ".ndjson", ".jsonl", NULL};

static int open_json(void **out, const crp_parse_options *opts)
{
	crp_parser *p;
	int rc = crp_parser_new(&p, opts);
	*out = rc == CRP_OK ? p : NULL;
	return rc;
}

static int feed_json(void *rd, const void *buf, size_t len) { return crp_parser_feed(rd, buf, len); }
static int finish_json(void *rd) { return crp_parser_finish(rd); }
static int next_json(void *rd, crp_report **out) { return crp_parser_next(rd, out); }
static const crp_error *error_json(const void *rd) { return crp_parser_error(rd); }
static void close_json(void *rd) { crp_parser_free(rd); }

const crp__read_ops crp__kscrash_read_ops = {
	open_json, feed_json, finish_json, next_json, error_json, close_json,
};
