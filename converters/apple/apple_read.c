/* Apple crash reports in the format table: the readers of .ips and .crash, their detectors and
 * file endings. One reader serves both rows: it frames the stream (a byte order mark, the
 * IPS metadata line, then a JSON body through src/json's parser or .crash text line by line;
 * several reports one after another), keeps positions for diagnostics and hands out finished
 * reports. */
#include <stdio.h>

#include "apple_read.h"

const char *const crp__apple_extensions[] = {".crash", NULL};
const char *const crp__ips_extensions[] = {".ips", NULL};

/* The metadata line is short (about 500 bytes); a longer first line is not one. */
#define META_MAX (64u * 1024)

/* -- positions and errors ----------------------------------------------------------------- */

static size_t count_newlines(const unsigned char *p, size_t n, size_t *last)
{
	size_t k = 0;
	const unsigned char *q = p, *end = p + n;
	while ((q = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		k++;
		*last = (size_t)(q - p);
		q++;
	}
	return k;
}

/* The bytes [p, p+n) were read: the line count follows them. */
static void advance(ar_reader *rd, const unsigned char *p, size_t n)
{
	size_t last = 0;
	size_t k = count_newlines(p, n, &last);
	if (k) {
		rd->line += k;
		rd->line_start = rd->offset + last + 1;
	}
	rd->offset += n;
}

void crp__ar_position(const ar_reader *rd, uint64_t *offset, uint64_t *line, uint64_t *col)
{
	if (rd->json_open && rd->chunk) {
		size_t used = rd->json.consumed, last = 0;
		if (used < rd->json.token_len) {
			/* the token began in an earlier chunk (the parser carried it): a token holds no
			 * newline, so it began on the line this chunk began on */
			uint64_t back = rd->json.token_len - used;
			*offset = rd->chunk_base > back ? rd->chunk_base - back : 0;
			*line = rd->chunk_line;
			*col = *offset >= rd->chunk_line_start ? *offset - rd->chunk_line_start + 1 : 1;
			return;
		}
		size_t pos = used - rd->json.token_len;
		size_t k = count_newlines(rd->chunk, pos, &last);
		uint64_t start = k ? rd->chunk_base + last + 1 : rd->chunk_line_start;
		*offset = rd->chunk_base + pos;
		*line = rd->chunk_line + k;
		*col = *offset - start + 1;
		return;
	}
	*offset = rd->line_start;
	*line = rd->line;
	*col = 1;
}

size_t crp__ar_path(const ar_reader *rd, char *out, size_t cap)
{
	if (rd->json_open && !rd->meta_mode)
		return crp__ar_ips_path(rd, out, cap);
	if (rd->state == AS_TEXT)
		return crp__ar_text_path(rd, out, cap);
	return 0;
}

int crp__ar_fail(ar_reader *rd, int code, const char *fmt, ...)
{
	char path[CRP_ERROR_PATH_SIZE * 2];
	if (rd->err.code != CRP_OK)
		return rd->err.code;
	va_list ap;
	va_start(ap, fmt);
	crp__error_setv(&rd->err, code, fmt, ap);
	va_end(ap);
	crp__ar_position(rd, &rd->err.byte_offset, &rd->err.line, &rd->err.column);
	size_t n = crp__ar_path(rd, path, sizeof path);
	crp__error_set_path(&rd->err, path, n < sizeof path ? n : sizeof path);
	rd->state = AS_FAILED;
	return code;
}

/* -- the metadata line -------------------------------------------------------------------- */

static bool member_is(const crp_value *v, const char *s)
{
	size_t n = strlen(s);
	if (v->type == CRP_VALUE_STRING)
		return v->u.str.len == n && memcmp(v->u.str.ptr, s, n) == 0;
	return v->type == CRP_VALUE_NUMBER && v->u.num.len == n && memcmp(v->u.num.ptr, s, n) == 0;
}

/* bug_type 309 (a crash, JSON body) or 109 (a crash, .crash text); anything else is another
 * kind of report (288 stackshot, 298 jetsam event, ...). */
static int check_bug_type(ar_reader *rd, const crp_value *meta, bool cut)
{
	const crp_value *bt = crp_value_get(meta, "bug_type");
	if (!bt && cut) /* cut off before it: what there is, is kept */
		return CRP_OK;
	if (!bt)
		return crp__ar_fail(rd, CRP_ESCHEMA, "not an Apple crash report: the first line is JSON "
						      "without a bug_type");
	if (member_is(bt, "309") || member_is(bt, "109"))
		return CRP_OK;
	if (bt->type == CRP_VALUE_STRING || bt->type == CRP_VALUE_NUMBER) {
		const crp_span *s = bt->type == CRP_VALUE_STRING ? &bt->u.str : &bt->u.num;
		return crp__ar_fail(rd, CRP_ESCHEMA, "not a crash report (bug_type %.*s)",
				    (int)(s->len > 20 ? 20 : s->len), s->ptr);
	}
	return crp__ar_fail(rd, CRP_ESCHEMA, "not a crash report (bug_type is not a string)");
}

static int on_metadata(ar_reader *rd, const unsigned char *line, size_t len, uint64_t start, bool cut)
{
	crp_value meta;
	rd->chunk = line;
	rd->chunk_base = start;
	rd->chunk_line = rd->line;
	rd->chunk_line_start = start;
	if (!rd->report)
		CRP_TRY(crp__ar_begin(rd));
	int rc = crp__ar_metadata(rd, line, len, cut, &meta);
	rd->chunk = NULL;
	CRP_TRY(rc);
	CRP_TRY(check_bug_type(rd, &meta, cut));
	return crp__ar_add(rd, &rd->apple, (crp_span){"metadata", 8}, &meta);
}

int crp__ar_meta_in_text(ar_reader *rd, const char *s, size_t len)
{
	CRP_TRY(on_metadata(rd, (const unsigned char *)s, len, rd->line_start, false));
	rd->state = AS_AFTER_META;
	return CRP_OK;
}

/* -- framing ------------------------------------------------------------------------------ */

static int line_append(ar_reader *rd, const unsigned char *p, size_t n, size_t max)
{
	if (rd->llen + n > max)
		return crp__ar_fail(rd, CRP_ELIMIT, "line longer than %zu bytes", max);
	if (rd->llen + n > rd->lcap) {
		size_t cap = rd->lcap ? rd->lcap : 256;
		while (cap < rd->llen + n)
			cap *= 2;
		unsigned char *b = crp__realloc(&rd->alloc, rd->lbuf, cap);
		if (!b)
			return crp__ar_fail(rd, CRP_ENOMEM, "out of memory");
		rd->lbuf = b;
		rd->lcap = cap;
	}
	memcpy(rd->lbuf + rd->llen, p, n);
	rd->llen += n;
	return CRP_OK;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whitespace before a report or between the metadata line and the body; its newlines count
 * as blank lines (a blank first line tells Apple's translation from the older text). */
static size_t skip_space(ar_reader *rd, const unsigned char *p, size_t n)
{
	size_t i = 0;
	for (; i < n && is_space(p[i]); i++)
		rd->blank_run += p[i] == '\n';
	advance(rd, p, i);
	return i;
}

static size_t step_start(ar_reader *rd, const unsigned char *p, size_t n)
{
	size_t i = skip_space(rd, p, n);
	if (i == n)
		return i;
	if (p[i] == '{') {
		rd->state = AS_META;
		rd->llen = 0;
		rd->report_start = rd->offset;
	} else if (rd->ips_only) {
		crp__ar_fail(rd, CRP_ESYNTAX, "not an .ips file: it does not begin with the IPS metadata "
					      "line (a JSON object)");
	} else {
		rd->state = AS_TEXT;
	}
	return i;
}

static size_t step_meta(ar_reader *rd, const unsigned char *p, size_t n)
{
	const unsigned char *nl = memchr(p, '\n', n);
	size_t take = nl ? (size_t)(nl - p) + 1 : n;
	if (line_append(rd, p, take, META_MAX) != CRP_OK)
		return n;
	if (!nl) {
		advance(rd, p, take);
		return take;
	}
	uint64_t start = rd->offset - (rd->llen - take);
	if (on_metadata(rd, rd->lbuf, rd->llen - 1, start, false) == CRP_OK)
		rd->state = AS_AFTER_META;
	rd->blank_run = 0;
	advance(rd, p, take);
	rd->llen = 0;
	return take;
}

static size_t step_after_meta(ar_reader *rd, const unsigned char *p, size_t n)
{
	size_t i = skip_space(rd, p, n);
	if (i == n)
		return i;
	if (p[i] == '{') {
		crp__ar_json_open(rd);
		rd->state = AS_JSON;
	} else {
		rd->state = AS_TEXT;
		rd->t.in_report = false; /* the text reader takes over the report begun by the metadata */
	}
	return i;
}

/* The JSON body: the parser stops at the body's last brace, the rest goes back to framing. */
static size_t step_json(ar_reader *rd, const unsigned char *p, size_t n)
{
	rd->chunk = p;
	rd->chunk_base = rd->offset;
	rd->chunk_line = rd->line;
	rd->chunk_line_start = rd->line_start;
	crp_json_status st = crp__json_parse(&rd->json, p, n);
	size_t used = n;
	if (st == CRP_JSON_NOMEM)
		crp__ar_fail(rd, CRP_ENOMEM, "out of memory");
	else if (st == CRP_JSON_DONE)
		used = rd->json.consumed;
	else if (st != CRP_JSON_MORE && rd->err.code == CRP_OK)
		crp__ar_json_syntax(rd, "invalid JSON");
	if (rd->err.code == CRP_OK && rd->offset + used - rd->report_start > rd->opts.max_report_bytes)
		crp__ar_fail(rd, CRP_ELIMIT, "report larger than %zu bytes", rd->opts.max_report_bytes);
	rd->chunk = NULL;
	if (rd->err.code != CRP_OK)
		return n;
	advance(rd, p, used);
	if (st == CRP_JSON_DONE) {
		crp__ar_json_close(rd);
		if (crp__ar_end(rd) == CRP_OK)
			rd->state = AS_START;
		rd->blank_run = 0;
	}
	return used;
}

static int text_line(ar_reader *rd, const unsigned char *s, size_t len)
{
	if (len && s[len - 1] == '\r')
		len--;
	return crp__ar_text_line(rd, (const char *)s, len);
}

static size_t step_text(ar_reader *rd, const unsigned char *p, size_t n)
{
	const unsigned char *nl = memchr(p, '\n', n);
	if (!nl) {
		line_append(rd, p, n, rd->opts.max_string_bytes);
		advance(rd, p, n);
		return n;
	}
	size_t take = (size_t)(nl - p);
	if (rd->llen) {
		if (line_append(rd, p, take, rd->opts.max_string_bytes) == CRP_OK)
			text_line(rd, rd->lbuf, rd->llen);
		rd->llen = 0;
	} else {
		text_line(rd, p, take);
	}
	advance(rd, p, take + 1);
	return take + 1;
}

static int run(ar_reader *rd, const unsigned char *p, size_t n)
{
	while (n && rd->err.code == CRP_OK) {
		size_t used;
		switch (rd->state) {
		case AS_START: used = step_start(rd, p, n); break;
		case AS_META: used = step_meta(rd, p, n); break;
		case AS_AFTER_META: used = step_after_meta(rd, p, n); break;
		case AS_JSON: used = step_json(rd, p, n); break;
		case AS_TEXT: used = step_text(rd, p, n); break;
		default: return rd->err.code;
		}
		p += used;
		n -= used;
	}
	return rd->err.code;
}

/* A byte order mark is skipped, even when it comes one byte at a time. */
static int feed(void *impl, const void *buf, size_t len)
{
	static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
	ar_reader *rd = impl;
	const unsigned char *p = buf;
	if (rd->err.code != CRP_OK)
		return rd->err.code;
	if (rd->finished)
		return crp__ar_fail(rd, CRP_EINVAL, "input fed after the end");
	while (!rd->bom_checked && len) {
		if (*p != bom[rd->bom_seen]) {
			rd->bom_checked = true;
			CRP_TRY(run(rd, bom, rd->bom_seen));
			break;
		}
		p++, len--, rd->offset++;
		if (++rd->bom_seen == 3)
			rd->bom_checked = true;
	}
	return run(rd, p, len);
}

/* -- the end of the input ----------------------------------------------------------------- */

static int truncated(ar_reader *rd, const char *what)
{
	CRP_TRY(crp__ar_warn(rd, CRP_W_TRUNCATED, "%s; kept what was complete", what));
	rd->truncated = true;
	return CRP_OK;
}

static int finish_json(ar_reader *rd)
{
	rd->chunk = NULL;
	/* a number or literal the input ended in is delivered; a token cut short is not an error:
	 * the report is truncated */
	if (crp__json_finish(&rd->json) == CRP_JSON_NOMEM)
		return crp__ar_fail(rd, CRP_ENOMEM, "out of memory");
	if (rd->err.code != CRP_OK)
		return rd->err.code;
	if (!rd->body_done) {
		CRP_TRY(truncated(rd, "input ends inside the report"));
		CRP_TRY(crp__ar_ips_salvage(rd));
		CRP_TRY(crp__ar_meta_facts(rd, &rd->meta));
	}
	crp__ar_json_close(rd);
	return crp__ar_end(rd);
}

static int finish(void *impl)
{
	ar_reader *rd = impl;
	if (rd->err.code != CRP_OK)
		return rd->err.code;
	if (rd->finished)
		return CRP_OK;
	rd->finished = true;
	if (!rd->bom_checked && rd->bom_seen)
		return crp__ar_fail(rd, CRP_ESYNTAX, "input ends inside a byte order mark");
	switch (rd->state) {
	case AS_META: /* a metadata line and no body */
	case AS_AFTER_META:
		if (rd->state == AS_META)
			CRP_TRY(on_metadata(rd, rd->lbuf, rd->llen, rd->offset - rd->llen, true));
		CRP_TRY(truncated(rd, rd->state == AS_META ? "input ends inside the metadata line"
							 : "input ends after the metadata line"));
		CRP_TRY(crp__ar_meta_facts(rd, &rd->meta));
		CRP_TRY(crp__ar_end(rd));
		break;
	case AS_JSON:
		CRP_TRY(finish_json(rd));
		break;
	case AS_TEXT:
		rd->t.last_line = true; /* no newline after it: it may be cut short */
		if (rd->llen)
			CRP_TRY(text_line(rd, rd->lbuf, rd->llen));
		rd->llen = 0;
		CRP_TRY(crp__ar_text_end(rd));
		break;
	default:
		break;
	}
	if (!rd->report_count)
		return crp__ar_fail(rd, CRP_EEMPTY, "no report in input");
	return CRP_OK;
}

/* -- the reader hooks --------------------------------------------------------------------- */

static int open_reader(void **out, const crp_parse_options *opts, bool ips_only)
{
	crp_parse_options d = *opts;
	*out = NULL;
#define DEFAULT(field, value) if (!d.field) d.field = value;
	DEFAULT(max_report_bytes, CRP_DEFAULT_MAX_REPORT_BYTES)
	DEFAULT(max_depth, CRP_DEFAULT_MAX_DEPTH)
	DEFAULT(max_string_bytes, CRP_DEFAULT_MAX_STRING_BYTES)
	DEFAULT(max_items, CRP_DEFAULT_MAX_ITEMS)
	DEFAULT(max_memory, CRP_DEFAULT_MAX_MEMORY)
	DEFAULT(max_warnings, CRP_DEFAULT_MAX_WARNINGS)
#undef DEFAULT
	if (d.max_depth > 10000)
		return CRP_EINVAL;
	crp_allocator a;
	crp__allocator_init(&a, opts->allocator);
	ar_reader *rd = crp__malloc(&a, sizeof *rd);
	if (!rd)
		return CRP_ENOMEM;
	memset(rd, 0, sizeof *rd);
	rd->alloc = a;
	rd->opts = d;
	rd->opts.allocator = NULL;
	rd->ips_only = ips_only;
	rd->line = 1;
	rd->t.crashed_no = -1;
	crp__scratch_init(&rd->scratch, &rd->alloc, d.max_memory);
	rd->ctx = crp__malloc(&a, d.max_depth * sizeof *rd->ctx);
	if (!rd->ctx) {
		crp__free(&a, rd);
		return CRP_ENOMEM;
	}
	*out = rd;
	return CRP_OK;
}

static int open_apple(void **out, const crp_parse_options *opts) { return open_reader(out, opts, false); }
static int open_ips(void **out, const crp_parse_options *opts) { return open_reader(out, opts, true); }

static int next(void *impl, crp_report **out)
{
	ar_reader *rd = impl;
	if (!rd->ready_count)
		return CRP_ITEROVER;
	*out = rd->ready[rd->ready_head++];
	if (--rd->ready_count == 0)
		rd->ready_head = 0;
	return CRP_OK;
}

static const crp_error *error(const void *impl)
{
	return &((const ar_reader *)impl)->err;
}

static void close_reader(void *impl)
{
	ar_reader *rd = impl;
	crp_allocator a = rd->alloc;
	crp__ar_json_close(rd);
	crp__ar_discard(rd);
	for (size_t i = 0; i < rd->ready_count; i++)
		crp_report_free(rd->ready[rd->ready_head + i]);
	crp__free(&a, rd->ready);
	crp__free(&a, rd->t.buf);
	crp__free(&a, rd->lbuf);
	crp__free(&a, rd->ctx);
	crp__scratch_dispose(&rd->scratch);
	crp__free(&a, rd);
}

const crp__read_ops crp__apple_read_ops = {open_apple, feed, finish, next, error, close_reader};
const crp__read_ops crp__ips_read_ops = {open_ips, feed, finish, next, error, close_reader};

/* -- detection ---------------------------------------------------------------------------- */

static size_t skip_bom_space(const unsigned char *h, size_t len)
{
	size_t i = len >= 3 && h[0] == 0xef && h[1] == 0xbb && h[2] == 0xbf ? 3 : 0;
	while (i < len && is_space(h[i]))
		i++;
	return i;
}

/* A top-level "bug_type" key in the JSON object of one line. */
static bool has_bug_type(const unsigned char *s, size_t n)
{
	int depth = 0;
	bool key_next = false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"') {
			size_t j = i + 1;
			while (j < n && s[j] != '"')
				j += s[j] == '\\' ? 2 : 1;
			if (j >= n) /* a string the head cuts: "bug_type" may go on ("bug_typed") */
				return false;
			if (depth == 1 && key_next && j - i - 1 == 8 && memcmp(s + i + 1, "bug_type", 8) == 0)
				return true;
			key_next = false;
			i = j;
		} else if (c == '{' || c == '[') {
			depth++;
			key_next = c == '{';
		} else if (c == '}' || c == ']') {
			depth--;
		} else if (c == ',') {
			key_next = depth == 1;
		}
	}
	return false;
}

/* The first key of a JSON object is one of keys[]. */
static bool first_key_in(const unsigned char *s, size_t n, const char *const *keys, size_t count)
{
	size_t i = 1;
	while (i < n && is_space(s[i]))
		i++;
	for (size_t k = 0; k < count; k++) {
		size_t l = strlen(keys[k]);
		if (n - i >= l && memcmp(s + i, keys[k], l) == 0)
			return true;
	}
	return false;
}

/* First keys that name a KSCrash report, or an .ips metadata line (Apple writes app_name or
 * bug_type first): no need to wait for the line's end, which a cut-off input may not have. */
static const char *const kscrash_keys[] = {"\"report\"", "\"binary_images\"", "\"crash\"", "\"system\"",
					   "\"process\"", "\"user\"", "\"debug\"", "\"recrash_report\"",
					   "\"crash_id\"", "\"system_atcrash\""};
static const char *const ips_keys[] = {"\"app_name\"", "\"bug_type\"", "\"incident_id\""};

crp__detect crp__ips_detect(const unsigned char *head, size_t len)
{
	size_t i = skip_bom_space(head, len);
	if (i == len)
		return CRP__DETECT_MORE;
	if (head[i] != '{' || first_key_in(head + i, len - i, kscrash_keys, CRP_ARRAY_LEN(kscrash_keys)))
		return CRP__DETECT_NO;
	const unsigned char *nl = memchr(head + i, '\n', len - i);
	size_t n = nl ? (size_t)(nl - head) - i : len - i;
	if (first_key_in(head + i, n, ips_keys, CRP_ARRAY_LEN(ips_keys)) || has_bug_type(head + i, n))
		return CRP__DETECT_YES;
	return !nl && len < CRP_FORMAT_DETECT_BYTES ? CRP__DETECT_MORE : CRP__DETECT_NO;
}

/* Lines a .crash text starts with. */
static const char *const first_keys[] = {
		"Incident Identifier:", "CrashReporter Key:", "Hardware Model:", "Process:", "Path:",
		"Identifier:", "Version:", "Code Type:", "Parent Process:", "Date/Time:", "OS Version:",
		"Report Version:", "Exception Type:", "Binary Images:", "Application Specific Information:",
		"Anonymous UUID:", "Beta Identifier:", "Translated Report (Full Report Below)", "Thread "};

static bool crash_first_line(const unsigned char *s, size_t n)
{
	for (size_t k = 0; k + 1 < CRP_ARRAY_LEN(first_keys); k++) {
		size_t l = strlen(first_keys[k]);
		if (n >= l && memcmp(s, first_keys[k], l) == 0)
			return true;
	}
	return n > 7 && memcmp(s, "Thread ", 7) == 0 && s[7] >= '0' && s[7] <= '9';
}

/* An unfinished first line that may still become one of those (or the banner's dashes). */
static bool may_become_first_line(const unsigned char *s, size_t n)
{
	size_t d = 0;
	while (d < n && s[d] == '-')
		d++;
	if (d == n || d >= 3) /* a banner: crp__apple_detect skips any line starting "---" */
		return true;
	for (size_t k = 0; k < CRP_ARRAY_LEN(first_keys); k++) {
		size_t l = strlen(first_keys[k]);
		if (memcmp(s, first_keys[k], n < l ? n : l) == 0)
			return true;
	}
	return false;
}

crp__detect crp__apple_detect(const unsigned char *head, size_t len)
{
	size_t i = skip_bom_space(head, len);
	if (i == len)
		return CRP__DETECT_MORE;
	if (head[i] == '{')
		return CRP__DETECT_NO; /* JSON: KSCrash, or an .ips (its own row) */
	for (;;) {
		const unsigned char *nl = memchr(head + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - head) - i : len - i;
		if (crash_first_line(head + i, n))
			return CRP__DETECT_YES;
		if (!nl)
			return len < CRP_FORMAT_DETECT_BYTES && may_become_first_line(head + i, n) ? CRP__DETECT_MORE
												   : CRP__DETECT_NO;
		bool dashes = n > 3 && head[i] == '-' && head[i + 1] == '-' && head[i + 2] == '-';
		if (!dashes) /* only the translated report's banner line may come first */
			return CRP__DETECT_NO;
		i = (size_t)(nl - head) + 1;
	}
}
