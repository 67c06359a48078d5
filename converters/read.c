/* crp_reader: any readable format, given or recognised from the first bytes. Until the format
 * is known, the bytes seen are kept (at most CRP_FORMAT_DETECT_BYTES), then replayed into the
 * format's own reader; from then on every call goes straight through. */
#include "format.h"

struct crp_reader {
	crp_allocator alloc;
	crp_parse_options opts;       /* opts.allocator points at alloc */
	const crp_format *format;     /* NULL while undecided */
	void *impl;                   /* the format's reader, once opened */
	unsigned char *head;          /* bytes kept while undecided */
	size_t head_len;
	crp_error err;                /* errors before the format's reader exists */
};

int crp_reader_new(crp_reader **out, const crp_format *format, const crp_parse_options *opts)
{
	crp_allocator a;
	if (!out)
		return CRP_EINVAL;
	*out = NULL;
	if (opts && opts->version != CRP_PARSE_OPTIONS_VERSION)
		return CRP_EINVAL;
	if (format && !format->read)
		return CRP_EUNSUPPORTED;
	crp__allocator_init(&a, opts ? opts->allocator : NULL);
	crp_reader *rd = crp__malloc(&a, sizeof *rd);
	if (!rd)
		return CRP_ENOMEM;
	memset(rd, 0, sizeof *rd);
	rd->alloc = a;
	if (opts)
		rd->opts = *opts;
	else
		rd->opts = (crp_parse_options)CRP_PARSE_OPTIONS_INIT;
	rd->opts.allocator = &rd->alloc;
	int rc = format ? format->read->open(&rd->impl, &rd->opts) : CRP_OK;
	if (rc != CRP_OK) {
		crp__free(&a, rd);
		return rc;
	}
	rd->format = format;
	*out = rd;
	return CRP_OK;
}

/* The format is known: open its reader and hand it the bytes kept so far. */
static int open_decided(crp_reader *rd, const crp_format *f)
{
	rd->format = f;
	int rc = f->read->open(&rd->impl, &rd->opts);
	if (rc != CRP_OK) {
		crp__error_set(&rd->err, rc, "%s", crp_status_str(rc));
		return rc;
	}
	rc = rd->head_len ? f->read->feed(rd->impl, rd->head, rd->head_len) : CRP_OK;
	crp__free(&rd->alloc, rd->head);
	rd->head = NULL;
	rd->head_len = 0;
	return rc;
}

/* Keep up to what detection may need; returns how many bytes of buf were kept. */
static size_t keep(crp_reader *rd, const unsigned char *buf, size_t len)
{
	size_t n = CRP_FORMAT_DETECT_BYTES - rd->head_len;
	n = len < n ? len : n;
	memcpy(rd->head + rd->head_len, buf, n);
	rd->head_len += n;
	return n;
}

int crp_reader_feed(crp_reader *rd, const void *buf, size_t len)
{
	if (rd->err.code != CRP_OK)
		return rd->err.code;
	if (rd->impl)
		return rd->format->read->feed(rd->impl, buf, len);
	const crp_format *f = rd->head_len ? NULL : crp_format_detect(buf, len, false);
	if (f)
		return open_decided(rd, f) == CRP_OK ? f->read->feed(rd->impl, buf, len) : rd->err.code;
	if (!rd->head && !(rd->head = crp__malloc(&rd->alloc, CRP_FORMAT_DETECT_BYTES)))
		return crp__error_set(&rd->err, CRP_ENOMEM, "out of memory"), CRP_ENOMEM;
	size_t kept = keep(rd, buf, len);
	f = crp_format_detect(rd->head, rd->head_len, false);
	if (!f)
		return CRP_OK;
	int rc = open_decided(rd, f);
	if (rc == CRP_OK && kept < len)
		rc = f->read->feed(rd->impl, (const unsigned char *)buf + kept, len - kept);
	return rc;
}

int crp_reader_finish(crp_reader *rd)
{
	if (rd->err.code != CRP_OK)
		return rd->err.code;
	if (!rd->impl) {
		int rc = open_decided(rd, crp_format_detect(rd->head, rd->head_len, true));
		if (rc != CRP_OK)
			return rc;
	}
	return rd->format->read->finish(rd->impl);
}

int crp_reader_next(crp_reader *rd, crp_report **out)
{
	if (!out)
		return CRP_EINVAL;
	*out = NULL;
	return rd->impl ? rd->format->read->next(rd->impl, out) : CRP_ITEROVER;
}

const crp_error *crp_reader_error(const crp_reader *rd)
{
	if (rd->impl && rd->err.code == CRP_OK)
		return rd->format->read->error(rd->impl);
	return &rd->err;
}

const crp_format *crp_reader_format(const crp_reader *rd) { return rd->format; }

void crp_reader_free(crp_reader *rd)
{
	if (!rd)
		return;
	crp_allocator a = rd->alloc;
	if (rd->impl)
		rd->format->read->close(rd->impl);
	crp__free(&a, rd->head);
	crp__free(&a, rd);
}
