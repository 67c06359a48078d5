/* Public parser API: drives yajl over the input chunks, keeps track of positions, repairs
 * trailing commas, enforces the input limits, and hands out finished reports. */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "reader.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* -- yajl allocation: failures unwind instead of letting yajl dereference NULL ------------- */

/* While yajl_alloc runs, blocks are tracked so a failure half way frees what it got. */
static void track(crp_parser *p, void *old, void *q)
{
	if (!p->tracking || !q)
		return;
	for (size_t i = 0; i < p->tracked_count; i++)
		if (old && p->tracked[i] == old) {
			p->tracked[i] = q;
			return;
		}
	if (p->tracked_count < CRP_ARRAY_LEN(p->tracked))
		p->tracked[p->tracked_count++] = q;
}

static void *yajl_hook_malloc(void *ctx, size_t n)
{
	crp_parser *p = ctx;
	void *q = crp__malloc(&p->alloc, n);
	if (!q && p->oom_jmp)
		longjmp(*p->oom_jmp, 1);
	track(p, NULL, q);
	return q;
}

static void *yajl_hook_realloc(void *ctx, void *ptr, size_t n)
{
	crp_parser *p = ctx;
	void *q = crp__realloc(&p->alloc, ptr, n);
	if (!q && p->oom_jmp)
		longjmp(*p->oom_jmp, 1);
	track(p, ptr, q);
	return q;
}

static void yajl_hook_free(void *ctx, void *ptr)
{
	crp_parser *p = ctx;
	crp__free(&p->alloc, ptr);
}

static int make_yajl(crp_parser *p)
{
	jmp_buf env;
	p->tracked_count = 0;
	p->oom_jmp = &env;
	if (setjmp(env)) {
		p->oom_jmp = NULL;
		p->tracking = false;
		p->muted = false;
		for (size_t i = 0; i < p->tracked_count; i++)
			crp__free(&p->alloc, p->tracked[i]);
		return CRP_ENOMEM;
	}
	p->tracking = true;
	yajl_handle h = yajl_alloc(&crp__reader_callbacks, &p->yajl_alloc, p);
	if (h) {
		yajl_config(h, yajl_allow_multiple_values, 1);
		yajl_config(h, yajl_dont_validate_strings, 1); /* we validate, and repair, ourselves */
		/* yajl allocates its lexer lazily, in two steps: do it now, while a failure can
		 * still free every piece. A space changes no parser state. */
		p->muted = true;
		yajl_parse(h, (const unsigned char *)" ", 1);
		p->muted = false;
	}
	p->tracking = false;
	p->oom_jmp = NULL;
	if (!h)
		return CRP_ENOMEM;
	p->yajl = h;
	return CRP_OK;
}

/* yajl_parse under the allocation guard. Returns the yajl status, or -1 on OOM. */
static int guarded_parse(crp_parser *p, const unsigned char *buf, size_t len, bool complete)
{
	jmp_buf env;
	p->oom_jmp = &env;
	if (setjmp(env)) {
		p->oom_jmp = NULL;
		return -1;
	}
	yajl_status st = complete ? yajl_complete_parse(p->yajl) : yajl_parse(p->yajl, buf, len);
	p->oom_jmp = NULL;
	return (int)st;
}

/* -- positions ---------------------------------------------------------------------------- */

uint64_t crp__parser_offset(const crp_parser *p, size_t back)
{
	if (!p->chunk)
		return p->chunk_base;
	size_t consumed = p->yajl ? yajl_get_bytes_consumed(p->yajl) : 0;
	if (consumed > p->chunk_len)
		consumed = p->chunk_len;
	/* a token may have begun in an earlier chunk */
	uint64_t end = p->chunk_base + consumed;
	return end > back ? end - back : 0;
}

static void advance_lines(crp_parser *p, const unsigned char *buf, size_t len, uint64_t base);

void crp__parser_position(crp_parser *p, size_t back, uint64_t *offset, uint64_t *line,
			  uint64_t *column)
{
	if (p->uncounted && !p->chunk) {
		advance_lines(p, p->uncounted, p->uncounted_len, p->uncounted_base);
		p->uncounted = NULL;
	}
	uint64_t off = crp__parser_offset(p, back);
	uint64_t lines = p->lines_before, start = p->line_start;
	if (p->chunk && off > p->chunk_base) {
		size_t n = (size_t)(off - p->chunk_base);
		for (size_t i = 0; i < n; i++)
			if (p->chunk[i] == '\n') {
				lines++;
				start = p->chunk_base + i + 1;
			}
	}
	*offset = off;
	*line = lines + 1;
	*column = off - start + 1;
}

/* Every input byte passes here once, so it is worth SSE2 where there is SSE2. */
static size_t count_newlines(const unsigned char *b, size_t n)
{
	size_t total = 0;
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n');
	while (n >= 16) {
		/* Byte counters count down from 0 by matching; 255 rounds at most before a sum. */
		size_t rounds = n / 16 < 255 ? n / 16 : 255;
		__m128i acc = _mm_setzero_si128();
		for (size_t r = 0; r < rounds; r++, b += 16)
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)b), nl));
		__m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
		total += (size_t)_mm_cvtsi128_si64(sums) + (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
		n -= rounds * 16;
	}
#endif
	while (n) {
		size_t k = n < 4080 ? n : 4080;
		unsigned c = 0;
		for (size_t i = 0; i < k; i++)
			c += b[i] == '\n';
		total += c;
		b += k;
		n -= k;
	}
	return total;
}

/* Account for the lines of buf, which starts at stream offset base. */
static void advance_lines(crp_parser *p, const unsigned char *buf, size_t len, uint64_t base)
{
	const unsigned char *nl = memrchr(buf, '\n', len);
	if (!nl)
		return;
	p->lines_before += count_newlines(buf, (size_t)(nl - buf) + 1);
	p->line_start = base + (uint64_t)(nl - buf) + 1;
}

/* -- errors ------------------------------------------------------------------------------- */

static int fail_plain(crp_parser *p, int code, const char *msg)
{
	if (p->err.code == CRP_OK) {
		crp__error_set(&p->err, code, "%s", msg);
		crp__parser_position(p, 0, &p->err.byte_offset, &p->err.line, &p->err.column);
	}
	return p->err.code;
}

/* Keep the last bytes before chunk_base (tokens may begin in an earlier chunk). */
static void remember_tail(crp_parser *p, const unsigned char *buf, size_t n)
{
	size_t cap = sizeof p->tail;
	if (n >= cap) {
		memcpy(p->tail, buf + n - cap, cap);
		p->tail_len = cap;
		return;
	}
	size_t keep = p->tail_len + n > cap ? cap - n : p->tail_len;
	memmove(p->tail, p->tail + p->tail_len - keep, keep);
	memcpy(p->tail + keep, buf, n);
	p->tail_len = keep + n;
}

/* The byte at a stream offset, if it is still at hand; -1 otherwise. */
static int byte_at(const crp_parser *p, uint64_t off)
{
	if (p->chunk && off >= p->chunk_base && off - p->chunk_base < p->chunk_len)
		return p->chunk[off - p->chunk_base];
	if (off < p->chunk_base && p->chunk_base - off <= p->tail_len)
		return p->tail[p->tail_len - (size_t)(p->chunk_base - off)];
	return -1;
}

static bool token_char(int c)
{
	return c >= 0 && (isalnum(c) || c == '.' || c == '-' || c == '+');
}

/* yajl stops after the offending token; the length back to its first byte. */
static size_t offending_token_length(const crp_parser *p)
{
	if (!p->chunk || !p->yajl)
		return 0;
	uint64_t end = crp__parser_offset(p, 0), i = end - 1;
	int c = byte_at(p, i);
	if (end == 0 || c < 0)
		return 0;
	if (c == '"') {
		/* back to the opening quote: a quote not escaped by an odd run of backslashes */
		for (uint64_t j = i; j-- > 0;) {
			int q = byte_at(p, j);
			if (q < 0)
				break;
			size_t bs = 0;
			while (j > bs && byte_at(p, j - bs - 1) == '\\')
				bs++;
			if (q == '"' && bs % 2 == 0)
				return (size_t)(end - j);
		}
		return 1;
	}
	while (i > 0 && token_char(c) && token_char(byte_at(p, i - 1)))
		i--;
	return (size_t)(end - i);
}

/* yajl's own message ("parse error: unallowed token ...") at the error position. */
static int fail_syntax(crp_parser *p)
{
	char msg[CRP_ERROR_MESSAGE_SIZE] = "invalid JSON";
	jmp_buf env;
	p->oom_jmp = &env;
	if (!setjmp(env)) {
		unsigned char *e = yajl_get_error(p->yajl, 0, NULL, 0);
		if (e) {
			size_t n = strlen((const char *)e);
			while (n && (e[n - 1] == '\n' || e[n - 1] == ' '))
				n--;
			snprintf(msg, sizeof msg, "%.*s", (int)n, (const char *)e);
			yajl_free_error(p->yajl, e);
		}
	}
	p->oom_jmp = NULL;
	p->tok_back = offending_token_length(p);
	crp__reader_fail(p, CRP_ESYNTAX, "%s", msg);
	return CRP_ESYNTAX;
}

/* -- trailing-comma repair ---------------------------------------------------------------- */

/* yajl stopped at a closing bracket right after a comma: the only way a '}' or ']' is wrong
 * inside a non-empty container whose last member is complete. */
static bool is_trailing_comma(const crp_parser *p, size_t consumed)
{
	if (p->depth == 0 || consumed == 0 || (p->opts.flags & (CRP_PARSE_NO_SALVAGE | CRP_PARSE_STRICT)))
		return false;
	unsigned char c = p->chunk[consumed - 1];
	const crp_frame_state *f = &p->frames[p->depth - 1];
	bool obj = f->kind == CRP_F_RECORD || f->kind == CRP_F_REGSET || f->kind == CRP_F_VOBJ;
	if (f->n == 0 || (obj && f->in_member))
		return false;
	return obj ? c == '}' : c == ']';
}

/* Restart yajl in the same nesting state, the closing bracket next. */
static int restart_after_comma(crp_parser *p)
{
	char prefix[CRP_DEFAULT_MAX_DEPTH * 9];
	char *big = NULL, *pre = prefix;
	size_t need = p->depth * 9 + 1, n = 0;
	if (need > sizeof prefix) {
		big = crp__malloc(&p->alloc, need);
		if (!big)
			return fail_plain(p, CRP_ENOMEM, "out of memory");
		pre = big;
	}
	for (size_t i = 0; i < p->depth; i++) {
		const crp_frame_state *f = &p->frames[i];
		bool obj = f->kind == CRP_F_RECORD || f->kind == CRP_F_REGSET || f->kind == CRP_F_VOBJ;
		bool last = i + 1 == p->depth;
		const char *s = obj ? (last ? "{\"\":null" : "{\"\":") : (last ? "[null" : "[");
		size_t l = strlen(s);
		memcpy(pre + n, s, l);
		n += l;
	}
	yajl_free(p->yajl);
	p->yajl = NULL;
	int rc = make_yajl(p);
	if (rc == CRP_OK) {
		p->muted = true;
		int st = guarded_parse(p, (const unsigned char *)pre, n, false);
		p->muted = false;
		if (st != yajl_status_ok)
			rc = fail_plain(p, CRP_ENOMEM, "out of memory");
	}
	crp__free(&p->alloc, big);
	return rc;
}

/* -- feeding ------------------------------------------------------------------------------ */

static int feed_piece(crp_parser *p, const unsigned char *buf, size_t len)
{
	if (p->uncounted) {
		advance_lines(p, p->uncounted, p->uncounted_len, p->uncounted_base);
		p->uncounted = NULL;
	}
	while (len) {
		p->chunk = buf;
		p->chunk_len = len;
		int st = guarded_parse(p, buf, len, false);
		if (st == yajl_status_ok)
			break;
		if (st < 0)
			return fail_plain(p, CRP_ENOMEM, "out of memory");
		if (st == yajl_status_client_canceled)
			return p->err.code != CRP_OK ? p->err.code : fail_plain(p, CRP_ERROR, "parse stopped");
		size_t consumed = yajl_get_bytes_consumed(p->yajl);
		if (!is_trailing_comma(p, consumed))
			return fail_syntax(p);
		/* Repair: the closing bracket is fed again to a fresh parser. */
		p->tok_back = 1;
		if (!crp__reader_warn(p, CRP_W_SALVAGED, "trailing comma before '%c' ignored", buf[consumed - 1]))
			return p->err.code;
		p->report->provenance |= CRP_PROV_SALVAGED;
		advance_lines(p, buf, consumed - 1, p->chunk_base);
		remember_tail(p, buf, consumed - 1);
		p->chunk_base += consumed - 1;
		buf += consumed - 1;
		len -= consumed - 1;
		CRP_TRY(restart_after_comma(p));
	}
	if (p->one_chunk) {
		p->uncounted = buf;
		p->uncounted_len = len;
		p->uncounted_base = p->chunk_base;
	} else {
		advance_lines(p, buf, len, p->chunk_base);
		remember_tail(p, buf, len);
	}
	p->chunk_base += len;
	p->chunk = NULL;
	p->chunk_len = 0;
	return CRP_OK;
}

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

/* A UTF-8 byte order mark (some editors add one) is not JSON; skip it at the very start, even
 * when it arrives split across chunks. Returns how many bytes of buf it took. */
static size_t skip_bom(crp_parser *p, const unsigned char *buf, size_t len, int *rc)
{
	size_t i = 0;
	*rc = CRP_OK;
	while (!p->bom_checked && i < len) {
		if (buf[i] == utf8_bom[p->bom_seen]) {
			i++;
			if (++p->bom_seen == 3) {
				p->bom_checked = true;
				p->chunk_base = p->line_start = 3;
			}
			continue;
		}
		p->bom_checked = true;
		if (p->bom_seen) { /* a partial mark: not ours to drop */
			p->saw_content = true;
			*rc = feed_piece(p, utf8_bom, p->bom_seen);
		}
	}
	return i;
}

int crp_parser_feed(crp_parser *p, const void *buf, size_t len)
{
	if (!p || (!buf && len))
		return CRP_EINVAL;
	if (p->err.code != CRP_OK)
		return p->err.code;
	if (p->finished)
		return fail_plain(p, CRP_EINVAL, "input fed after crp_parser_finish");
	int rc;
	size_t skipped = skip_bom(p, buf, len, &rc);
	if (rc != CRP_OK)
		return rc;
	const unsigned char *b = (const unsigned char *)buf + skipped;
	size_t n = len - skipped;
	for (size_t i = 0; !p->saw_content && i < n; i++)
		p->saw_content = !(b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r');
	while (n) {
		/* Bound what yajl may buffer for one report: stop at the limit. */
		size_t piece = n;
		if (p->depth > 0) {
			uint64_t used = p->chunk_base - p->report_start;
			if (used >= p->opts.max_report_bytes)
				return fail_plain(p, CRP_ELIMIT, "report larger than the max_report_bytes limit");
			if (piece > p->opts.max_report_bytes - used)
				piece = (size_t)(p->opts.max_report_bytes - used);
		}
		CRP_TRY(feed_piece(p, b, piece));
		b += piece;
		n -= piece;
	}
	return CRP_OK;
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
	if (!p->bom_checked && p->bom_seen) {
		/* input that is only the start of a byte order mark: let yajl reject it */
		p->bom_checked = p->saw_content = true;
		CRP_TRY(feed_piece(p, utf8_bom, p->bom_seen));
	}
	p->finishing = true;
	p->tok_back = 0;
	int st = guarded_parse(p, NULL, 0, true);
	p->finishing = false;
	if (st < 0)
		return fail_plain(p, CRP_ENOMEM, "out of memory");
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
		return fail_syntax(p);
	}
	if (p->report_count == 0)
		return fail_plain(p, CRP_EEMPTY, "no report in input");
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
	if (d.max_depth > 100000)
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
	p->yajl_alloc.malloc = yajl_hook_malloc;
	p->yajl_alloc.realloc = yajl_hook_realloc;
	p->yajl_alloc.free = yajl_hook_free;
	p->yajl_alloc.ctx = p;
	crp__scratch_init(&p->scratch, &a, p->opts.max_memory);
	p->frames = crp__malloc(&a, p->opts.max_depth * sizeof *p->frames);
	if (!p->frames || make_yajl(p) != CRP_OK) {
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
	p->one_chunk = true; /* positions after the end are never needed */
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
