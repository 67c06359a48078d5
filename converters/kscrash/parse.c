/* Public parser API: lifecycle, options, feeding, finishing, handing out finished reports.
 * What happens to the bytes on their way to yajl is in input.c. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "reader.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

int crp_parser_feed(crp_parser *p, const void *buf, size_t len)
{
	if (!p || (!buf && len))
		return CRP_EINVAL;
	if (p->err.code != CRP_OK)
		return p->err.code;
	if (p->finished)
		return crp__input_fail(p, CRP_EINVAL, "input fed after crp_parser_finish");
	int rc;
	size_t skipped = crp__input_skip_bom(p, buf, len, &rc);
	if (rc != CRP_OK)
		return rc;
	const unsigned char *b = (const unsigned char *)buf + skipped;
	size_t n = len - skipped;
	for (size_t i = 0; !p->saw_content && i < n; i++)
		p->saw_content = !(b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r');
	return crp__input_feed(p, b, n);
}

int crp_parser_finish(crp_parser *p)
{
	if (!p)
		return CRP_EINVAL;
	if (p->err.code != CRP_OK)
		return p->err.code;
	if (p->finished)
		return CRP_OK;
	p->finished = true;
	CRP_TRY(crp__input_flush_bom(p));
	p->finishing = true;
	p->tok_back = 0;
	int st = crp__input_parse(p, NULL, 0, true);
	p->finishing = false;
	if (st < 0)
		return crp__input_fail(p, CRP_ENOMEM, "out of memory");
	if (st == yajl_status_client_canceled)
		return p->err.code;
	if (p->depth > 0) {
		/* Whatever yajl thinks of the cut, the input simply ended inside the report. */
		if (p->opts.flags & CRP_PARSE_STRICT) {
			crp__reader_fail(p, CRP_ETRUNCATED, "input ends inside the report");
			crp__reader_discard(p);
			return p->err.code;
		}
		if (!crp__reader_salvage(p))
			return p->err.code;
	} else if (st != yajl_status_ok && p->saw_content) {
		return crp__input_fail_syntax(p);
	}
	if (p->report_count == 0)
		return crp__input_fail(p, CRP_EEMPTY, "no report in input");
	return CRP_OK;
}

int crp_parser_next(crp_parser *p, crp_report **out)
{
	if (!p || !out)
		return CRP_EINVAL;
	*out = NULL;
	if (p->ready_count == 0)
		return CRP_ITEROVER;
	*out = p->ready[p->ready_head++];
	if (--p->ready_count == 0)
		p->ready_head = 0;
	return CRP_OK;
}

const crp_error *crp_parser_error(const crp_parser *p)
{
	return &p->err;
}

uint64_t crp_parser_report_count(const crp_parser *p)
{
	return p->report_count;
}

/* -- lifecycle ---------------------------------------------------------------------------- */

static int apply_options(crp_parser *p, const crp_parse_options *opts)
{
	crp_parse_options d = CRP_PARSE_OPTIONS_INIT;
	if (opts) {
		if (opts->version != CRP_PARSE_OPTIONS_VERSION)
			return CRP_EINVAL;
		d = *opts;
	}
#define DEFAULT(field, value)                                                                      \
	if (!d.field)                                                                              \
		d.field = value;
	DEFAULT(max_report_bytes, CRP_DEFAULT_MAX_REPORT_BYTES)
	DEFAULT(max_depth, CRP_DEFAULT_MAX_DEPTH)
	DEFAULT(max_string_bytes, CRP_DEFAULT_MAX_STRING_BYTES)
	DEFAULT(max_items, CRP_DEFAULT_MAX_ITEMS)
	DEFAULT(max_memory, CRP_DEFAULT_MAX_MEMORY)
	DEFAULT(max_warnings, CRP_DEFAULT_MAX_WARNINGS)
#undef DEFAULT
	if (d.max_depth > 10000) /* emitters recurse once per level */
		return CRP_EINVAL;
	d.allocator = NULL; /* copied into p->alloc */
	p->opts = d;
	return CRP_OK;
}

int crp_parser_new(crp_parser **out, const crp_parse_options *opts)
{
	crp_allocator a;
	if (!out)
		return CRP_EINVAL;
	*out = NULL;
	crp__allocator_init(&a, opts ? opts->allocator : NULL);
	crp_parser *p = crp__malloc(&a, sizeof *p);
	if (!p)
		return CRP_ENOMEM;
	memset(p, 0, sizeof *p);
	p->alloc = a;
	int rc = apply_options(p, opts);
	if (rc != CRP_OK) {
		crp__free(&a, p);
		return rc;
	}
	crp__input_init(p);
	crp__reader_seed_order(p);
	/* Without a vector path the reader feeds yajl unsqueezed text: a byte-at-a-time squeeze
	 * costs more than it saves. */
	p->squeeze_isa = crp__squeeze_best();
	p->squeezing = !(p->opts.flags & CRP_PARSE_NO_SQUEEZE) && p->squeeze_isa != CRP_SQUEEZE_SCALAR;
	crp__scratch_init(&p->scratch, &a, p->opts.max_memory);
	p->frames = crp__malloc(&a, p->opts.max_depth * sizeof *p->frames);
	p->fbuf = crp__malloc(&a, CRP_WINDOW + 32);
	if (!p->frames || !p->fbuf || crp__input_make_yajl(p) != CRP_OK) {
		crp_parser_free(p);
		return CRP_ENOMEM;
	}
	*out = p;
	return CRP_OK;
}

void crp_parser_free(crp_parser *p)
{
	if (!p)
		return;
	crp_allocator a = p->alloc;
	crp__reader_discard(p);
	for (size_t i = 0; i < p->ready_count; i++)
		crp_report_free(p->ready[p->ready_head + i]);
	crp__free(&a, p->ready);
	if (p->yajl)
		yajl_free(p->yajl);
	if (p->c_locale)
		freelocale(p->c_locale);
	crp__scratch_dispose(&p->scratch);
	crp__carry_dispose(p);
	crp__free(&a, p->fbuf);
	crp__free(&a, p->frames);
	crp__free(&a, p);
}

int crp_report_parse(crp_report **out, const void *buf, size_t len, const crp_parse_options *opts,
		     crp_error *err)
{
	crp_parser *p;
	if (!out)
		return CRP_EINVAL;
	*out = NULL;
	int rc = crp_parser_new(&p, opts);
	if (rc != CRP_OK) {
		if (err) {
			crp__error_clear(err);
			crp__error_set(err, rc, "%s", crp_status_str(rc));
		}
		return rc;
	}
	p->size_hint = len;
	rc = crp_parser_feed(p, buf, len);
	if (rc == CRP_OK)
		rc = crp_parser_finish(p);
	if (rc == CRP_OK && p->report_count > 1) {
		rc = CRP_ESCHEMA;
		crp__error_set(&p->err, rc, "input holds %llu reports; expected one",
			       (unsigned long long)p->report_count);
	}
	if (rc == CRP_OK)
		crp_parser_next(p, out);
	if (err)
		*err = p->err;
	crp_parser_free(p);
	return rc;
}
