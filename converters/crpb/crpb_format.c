/* CRPB in the format table: recognised by its magic, read by the streaming reader. */
#include "crpb.h"
#include "format.h"
#include "crashport/crpb.h"

const char *const crp__crpb_extensions[] = {".crpb", NULL};

crp__detect crp__crpb_detect(const unsigned char *head, size_t len)
{
	size_t n = len < CRPB_MAGIC_LEN ? len : CRPB_MAGIC_LEN;
	if (memcmp(head, CRPB_MAGIC, n) != 0)
		return CRP__DETECT_NO;
	return n == CRPB_MAGIC_LEN ? CRP__DETECT_YES : CRP__DETECT_MORE;
}

/* The parse limits CRPB has too; the others (text sizes) are CRPB's own defaults. */
static int open_crpb(void **out, const crp_parse_options *opts)
{
	crp_crpb_options co = CRP_CRPB_OPTIONS_INIT;
	crp_crpb_stream *s;
	co.allocator = opts->allocator;
	co.max_memory = opts->max_memory;
	co.max_items = opts->max_items;
	co.max_depth = opts->max_depth;
	int rc = crp_crpb_stream_new(&s, &co);
	*out = rc == CRP_OK ? s : NULL;
	return rc;
}

static int feed_crpb(void *rd, const void *buf, size_t len) { return crp_crpb_stream_feed(rd, buf, len); }
static int finish_crpb(void *rd) { return crp_crpb_stream_finish(rd); }
static int next_crpb(void *rd, crp_report **out) { return crp_crpb_stream_next(rd, out); }
static const crp_error *error_crpb(const void *rd) { return crp_crpb_stream_error(rd); }
static void close_crpb(void *rd) { crp_crpb_stream_free(rd); }

const crp__read_ops crp__crpb_read_ops = {
	open_crpb, feed_crpb, finish_crpb, next_crpb, error_crpb, close_crpb,
};
