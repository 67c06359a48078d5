/* From the caller's bytes to what yajl parses, and from yajl's offsets back to positions in the
 * caller's bytes.
 *
 * Input is processed in windows of at most CRP_WINDOW bytes: each window is squeezed (see
 * squeeze.c) into p->fbuf and handed to yajl. yajl's offsets are offsets into the squeezed
 * window; crp__parser_offset() maps them back to the original stream, and positions (line,
 * column) are counted in the original bytes. This file also guards yajl's allocations, repairs
 * trailing commas and skips a byte order mark. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include "reader.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* -- yajl allocation: failures unwind instead of letting yajl dereference NULL ------------- */

/* While yajl sets itself up, blocks are tracked so a failure half way frees what it got. */
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

void crp__input_init(crp_parser *p)
{
	p->yajl_alloc.malloc = yajl_hook_malloc;
	p->yajl_alloc.realloc = yajl_hook_realloc;
	p->yajl_alloc.free = yajl_hook_free;
	p->yajl_alloc.ctx = p;
}

int crp__input_make_yajl(crp_parser *p)
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

/* yajl_parse (or yajl_complete_parse) under the allocation guard: the yajl status, or -1. */
int crp__input_parse(crp_parser *p, const unsigned char *buf, size_t len, bool complete)
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

/* Original offset (within the window) of squeezed byte f, or CRP_SQUEEZE_BEFORE (the previous
 * window's last byte); resumes from the last answer, since positions are asked for in
 * increasing order. */
static size_t window_offset(crp_parser *p, size_t f)
{
	if (!p->squeezing)
		return f;
	if (f < p->map_f) {
		p->map_f = 0;
		p->map_o = 0;
		p->map_state = p->window_state;
	}
	size_t o = crp__squeeze_map(&p->map_state, p->window, p->window_len, &p->map_f, p->map_o, f);
	if (o != CRP_SQUEEZE_BEFORE)
		p->map_o = o;
	return o;
}

uint64_t crp__parser_offset(crp_parser *p, size_t back)
{
	if (!p->window) /* between feeds, or finishing: a token ends at the last byte given */
		return back ? (p->kept_end > back ? p->kept_end - back : 0) : p->chunk_base;
	size_t consumed = p->yajl ? yajl_get_bytes_consumed(p->yajl) : 0;
	size_t f = p->fbase + consumed;
	if (f > p->flen)
		f = p->flen;
	if (f >= back && f - back >= p->fprefix) {
		size_t o = window_offset(p, f - back - p->fprefix);
		return o == CRP_SQUEEZE_BEFORE ? p->chunk_base - 1 : p->chunk_base + o;
	}
	if (f >= back) /* in a string carried from earlier windows: it has no squeezed whitespace */
		return p->carry_off + (f - back);
	/* The token began in an earlier window. Tokens hold no squeezed whitespace, so its
	 * first part ends at the last byte yajl was given. */
	return p->kept_end > back - f ? p->kept_end - (back - f) : 0;
}

void crp__parser_position(crp_parser *p, size_t back, uint64_t *offset, uint64_t *line,
			  uint64_t *column)
{
	uint64_t off = crp__parser_offset(p, back);
	*offset = off;
	crp__parser_locate(p, off, line, column);
}

void crp__parser_locate(crp_parser *p, uint64_t off, uint64_t *line, uint64_t *column)
{
	uint64_t lines = p->lines_before, start = p->line_start;
	if (p->fprefix && off >= p->carry_off && off < p->chunk_base) {
		*line = p->carry_line; /* a carried string holds no newline */
		*column = p->carry_col + (off - p->carry_off);
		return;
	}
	if (off < p->chunk_base) {
		lines = p->kept_lines; /* a token from an earlier window: it holds no newline */
		start = p->kept_line_start;
	} else if (p->window && off > p->chunk_base) {
		size_t n = (size_t)(off - p->chunk_base), i = 0;
		if (p->lc_valid && p->lc_off <= n) {
			i = p->lc_off;
			lines = p->lc_lines;
			start = p->lc_start;
		}
		for (; i < n; i++)
			if (p->window[i] == '\n') {
				lines++;
				start = p->chunk_base + i + 1;
			}
		p->lc_valid = true;
		p->lc_off = n;
		p->lc_lines = lines;
		p->lc_start = start;
	}
	*line = lines + 1;
	*column = off >= start ? off - start + 1 : 1;
}

/* Every input byte passes here once, so it is worth SSE2 where there is SSE2. */
static size_t count_newlines(const unsigned char *b, size_t n)
{
	size_t total = 0;
#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n');
	while (n >= 16) {
		/* byte counters count down from 0 by matching; 255 rounds at most before a sum */
		size_t rounds = n / 16 < 255 ? n / 16 : 255;
		__m128i acc = _mm_setzero_si128();
		for (size_t r = 0; r < rounds; r++, b += 16)
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)b), nl));
		__m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
		total += (size_t)_mm_cvtsi128_si64(sums) +
			 (size_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
		n -= rounds * 16;
	}
#endif
	for (size_t i = 0; i < n; i++)
		total += b[i] == '\n';
	return total;
}

static inline bool is_space(unsigned c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* After a window is parsed: count its lines, and remember where the last byte yajl was given
 * stands (a token may continue in the next window). */
static void account_window(crp_parser *p, const unsigned char *buf, size_t len)
{
	size_t kept = len; /* bytes up to and including the last one yajl saw */
	if (p->squeezing && !p->squeeze.in_string)
		while (kept && is_space(buf[kept - 1]))
			kept--;
	if (!p->flen)
		kept = 0;
	/* the squeezer counted the window's newlines; only the trimmed tail is counted again */
	size_t after = count_newlines(buf + kept, len - kept);
	size_t before = p->squeezing ? p->window_lines - after : count_newlines(buf, kept);
	if (kept) {
		const unsigned char *nl = memrchr(buf, '\n', kept);
		p->kept_end = p->chunk_base + kept;
		p->kept_lines = p->lines_before + before;
		p->kept_line_start = nl ? p->chunk_base + (uint64_t)(nl - buf) + 1 : p->line_start;
	}
	if (before + after) {
		const unsigned char *nl = memrchr(buf, '\n', len);
		p->lines_before += before + after;
		p->line_start = p->chunk_base + (uint64_t)(nl - buf) + 1;
	}
}

int crp__input_fail(crp_parser *p, int code, const char *msg)
{
	if (p->err.code == CRP_OK) {
		crp__error_set(&p->err, code, "%s", msg);
		crp__parser_position(p, 0, &p->err.byte_offset, &p->err.line, &p->err.column);
	}
	return p->err.code;
}

/* -- syntax errors ------------------------------------------------------------------------ */

/* Squeezed byte k of the current window; negative k reaches into the previous windows. */
static int squeezed_byte(const crp_parser *p, ptrdiff_t k)
{
	if (k >= 0)
		return (size_t)k < p->flen ? p->ybuf[k] : -1;
	if ((size_t)-k <= p->ftail_len)
		return p->ftail[p->ftail_len + (size_t)k];
	return -1;
}

static bool token_char(int c)
{
	return c >= 0 && (isalnum(c) || c == '.' || c == '-' || c == '+');
}

/* The first quote at or before squeezed byte j that no odd run of backslashes escapes (a
 * string's opening quote, looking back from inside it), or false. */
static bool opening_quote(const crp_parser *p, ptrdiff_t j, ptrdiff_t *at)
{
	for (; squeezed_byte(p, j) >= 0; j--) {
		size_t bs = 0;
		while (squeezed_byte(p, j - (ptrdiff_t)bs - 1) == '\\')
			bs++;
		if (squeezed_byte(p, j) == '"' && bs % 2 == 0) {
			*at = j;
			return true;
		}
	}
	return false;
}

/* yajl stops after the offending token; its length, so positions point at its first byte. */
static size_t offending_token_length(crp_parser *p)
{
	if (!p->window || !p->yajl)
		return 0;
	ptrdiff_t end = (ptrdiff_t)(p->fbase + yajl_get_bytes_consumed(p->yajl)), i = end - 1, q;
	int c = squeezed_byte(p, i);
	if (c < 0)
		return 0;
	if (c == '"') /* back to the opening quote */
		return opening_quote(p, i - 1, &q) ? (size_t)(end - q) : 1;
	while (token_char(c) && token_char(squeezed_byte(p, i - 1)))
		i--;
	return (size_t)(end - i);
}

/* An error inside a string is put at its opening quote, looking back from where yajl's lexer
 * stopped (at or just after the bad byte, which is no quote). Not at the bad byte: a string
 * carried across windows is held squeezed ("\/" became "/"), so only its start maps back to
 * the input exactly, and a place must not depend on the chunks. */
static size_t string_error_length(const crp_parser *p)
{
	ptrdiff_t end = (ptrdiff_t)(p->fbase + yajl_get_bytes_consumed(p->yajl)), q;
	return opening_quote(p, end - 1, &q) ? (size_t)(end - q) : 0;
}

size_t crp__parser_token_back(crp_parser *p)
{
	if (p->tok_back != CRP_TOK_STRING)
		return p->tok_back;
	if (!p->window || !p->yajl)
		return p->tok_string;
	ptrdiff_t end = (ptrdiff_t)(p->fbase + yajl_get_bytes_consumed(p->yajl)), q;
	if (squeezed_byte(p, end - 1) != '"')
		return p->tok_string;
	return opening_quote(p, end - 2, &q) ? (size_t)(end - q) : p->tok_string;
}

/* yajl's lexical errors inside a string (not "invalid string in json text": a bad literal) */
static bool inside_string(const char *msg)
{
	return strstr(msg, "inside string") || strstr(msg, "inside a string") || strstr(msg, "UTF8 string");
}

/* Where yajl's position is already the offending byte's: after a member's value it steps back
 * to the first byte of the token that should have been a ',' or '}', and its lexer steps back
 * to a '/' that would begin a comment. */
static bool yajl_stepped_back(const char *msg)
{
	return strstr(msg, "after key and value, inside map") || strstr(msg, "probable comment found");
}

/* yajl's message for the error it stopped at, without its trailing newline. */
static void yajl_message(crp_parser *p, char *msg, size_t cap)
{
	jmp_buf env;
	snprintf(msg, cap, "invalid JSON");
	p->oom_jmp = &env;
	if (!setjmp(env)) {
		unsigned char *e = yajl_get_error(p->yajl, 0, NULL, 0);
		if (e) {
			size_t n = strlen((const char *)e);
			while (n && (e[n - 1] == '\n' || e[n - 1] == ' '))
				n--;
			snprintf(msg, cap, "%.*s", (int)n, (const char *)e);
			yajl_free_error(p->yajl, e);
		}
	}
	p->oom_jmp = NULL;
}

/* yajl's own message ("parse error: unallowed token ...") at the offending token. */
int crp__input_fail_syntax(crp_parser *p)
{
	char msg[CRP_ERROR_MESSAGE_SIZE];
	yajl_message(p, msg, sizeof msg);
	if (inside_string(msg) && p->window && p->yajl)
		p->tok_back = string_error_length(p);
	else
		p->tok_back = yajl_stepped_back(msg) ? 0 : offending_token_length(p);
	crp__reader_fail(p, CRP_ESYNTAX, "%s", msg);
	return CRP_ESYNTAX;
}

/* -- trailing-comma repair ---------------------------------------------------------------- */

static bool frame_is_object(const crp_frame_state *f)
{
	return f->kind == CRP_F_RECORD || f->kind == CRP_F_REGSET || f->kind == CRP_F_VOBJ;
}

/* The last byte before squeezed byte `at` that is not white space, or -1. */
static int byte_before(const crp_parser *p, size_t at)
{
	for (ptrdiff_t k = (ptrdiff_t)at - 1;; k--) {
		int c = squeezed_byte(p, k);
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return c;
	}
}

/* yajl stopped at the closing bracket of a non-empty container whose last member is complete,
 * and a comma comes right before it. The bytes are looked at, not only the nesting, and yajl's
 * message: where yajl steps back (yajl_stepped_back), `at` is the byte before the offending
 * token, a bracket that was accepted. */
static bool is_trailing_comma(crp_parser *p, size_t at)
{
	if (p->depth == 0 || at >= p->flen || (p->opts.flags & (CRP_PARSE_NO_SALVAGE | CRP_PARSE_STRICT)))
		return false;
	const crp_frame_state *f = &p->frames[p->depth - 1];
	bool obj = frame_is_object(f);
	if (f->n == 0 || (obj && f->in_member))
		return false;
	if (p->ybuf[at] != (obj ? '}' : ']') || byte_before(p, at) != ',')
		return false;
	char msg[CRP_ERROR_MESSAGE_SIZE];
	yajl_message(p, msg, sizeof msg);
	return !yajl_stepped_back(msg);
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
			return crp__input_fail(p, CRP_ENOMEM, "out of memory");
		pre = big;
	}
	for (size_t i = 0; i < p->depth; i++) {
		bool obj = frame_is_object(&p->frames[i]), last = i + 1 == p->depth;
		const char *s = obj ? (last ? "{\"\":null" : "{\"\":") : (last ? "[null" : "[");
		size_t l = strlen(s);
		memcpy(pre + n, s, l);
		n += l;
	}
	yajl_free(p->yajl);
	p->yajl = NULL;
	int rc = crp__input_make_yajl(p);
	if (rc == CRP_OK) {
		p->muted = true;
		int st = crp__input_parse(p, (const unsigned char *)pre, n, false);
		p->muted = false;
		if (st != yajl_status_ok)
			rc = crp__input_fail(p, CRP_ENOMEM, "out of memory");
	} else {
		crp__input_fail(p, rc, "out of memory");
	}
	crp__free(&p->alloc, big);
	return rc;
}

/* -- feeding ------------------------------------------------------------------------------ */

/* Keep the last squeezed bytes: a token may begin in one window and end in the next. */
static void remember_tail(crp_parser *p)
{
	size_t cap = sizeof p->ftail, n = p->flen;
	if (n >= cap) {
		memcpy(p->ftail, p->ybuf + n - cap, cap);
		p->ftail_len = cap;
		return;
	}
	size_t keep = p->ftail_len + n > cap ? cap - n : p->ftail_len;
	memmove(p->ftail, p->ftail + p->ftail_len - keep, keep);
	memcpy(p->ftail + keep, p->ybuf, n);
	p->ftail_len = keep + n;
}

/* yajl parses ybuf from fbase up to `end`, repairing trailing commas on the way. */
static int parse_window(crp_parser *p, size_t end)
{
	while (p->fbase < end) {
		int st = crp__input_parse(p, p->ybuf + p->fbase, end - p->fbase, false);
		if (st == yajl_status_ok)
			return CRP_OK;
		if (st < 0)
			return crp__input_fail(p, CRP_ENOMEM, "out of memory");
		if (st == yajl_status_client_canceled)
			return p->err.code != CRP_OK ? p->err.code : crp__input_fail(p, CRP_ERROR, "parse stopped");
		size_t at = p->fbase + yajl_get_bytes_consumed(p->yajl) - 1;
		if (!is_trailing_comma(p, at))
			return crp__input_fail_syntax(p);
		/* Repair: the closing bracket is fed again, to a fresh parser. */
		p->tok_back = 1;
		if (!crp__reader_warn(p, CRP_W_SALVAGED, "trailing comma before '%c' ignored", p->ybuf[at]))
			return p->err.code;
		p->report->provenance |= CRP_PROV_SALVAGED;
		p->fbase = at;
		CRP_TRY(restart_after_comma(p));
	}
	return CRP_OK;
}

/* Where the opening quote of a string the window ends inside is. The last unescaped quote of
 * the raw window is that quote too, found without replaying the squeezer (as window_offset
 * would: most windows end inside a string); lines are counted with the vector loop. */
static void open_carry(crp_parser *p, size_t to)
{
	size_t k = p->squeezing ? crp__string_start(p->window, 0, p->window_len) : to;
	const unsigned char *nl = memrchr(p->window, '\n', k);
	/* the squeezer counted the window's lines: only the tail (a string: none) is left out */
	size_t lines = p->squeezing ? p->window_lines - count_newlines(p->window + k, p->window_len - k)
				    : count_newlines(p->window, k);
	uint64_t line = p->lines_before + lines + 1;
	uint64_t start = nl ? p->chunk_base + (uint64_t)(nl - p->window) + 1 : p->line_start;
	crp__carry_start(p, p->chunk_base + k, line, p->chunk_base + k - start + 1);
}

/* A carried string is complete: yajl gets all of it in one call (carry.c says why). */
static int parse_carry(crp_parser *p, size_t before)
{
	const unsigned char *ybuf = p->ybuf;
	size_t flen = p->flen;
	p->ybuf = p->carry;
	p->flen = p->carry_len;
	p->fprefix = before;
	p->fbase = 0;
	int rc = parse_window(p, p->carry_len);
	p->ybuf = ybuf;
	p->flen = flen;
	p->fprefix = 0;
	p->carrying = false;
	p->carry_len = 0;
	return rc;
}

/* The window's text to yajl, no string ever in two parts: a string carried from earlier
 * windows is finished first (or carried on), one still open at the end is carried. */
static int parse_segments(crp_parser *p, bool escaped, bool in_string_at_end)
{
	size_t from = 0, before = p->carry_len;
	if (p->carrying) {
		size_t close = crp__string_end(p->ybuf, p->flen, escaped);
		if (close == p->flen)
			return crp__carry_more(p, p->ybuf, p->flen);
		CRP_TRY(crp__carry_more(p, p->ybuf, close + 1));
		CRP_TRY(parse_carry(p, before));
		from = close + 1;
	}
	size_t to = in_string_at_end ? crp__string_start(p->ybuf, from, p->flen) : p->flen;
	p->fbase = from;
	CRP_TRY(parse_window(p, to));
	if (to == p->flen)
		return CRP_OK;
	open_carry(p, to);
	return crp__carry_more(p, p->ybuf + to, p->flen - to);
}

static int feed_window(crp_parser *p, const unsigned char *src, size_t n)
{
	if (p->depth > 0 && p->chunk_base - p->report_start >= p->opts.max_report_bytes)
		return crp__input_fail(p, CRP_ELIMIT, "report larger than the max_report_bytes limit");
	p->window = src;
	p->window_len = n;
	p->window_state = p->squeeze;
	p->map_f = p->map_o = 0;
	p->map_state = p->squeeze;
	p->lc_valid = false;
	bool escaped = false, in_string;
	if (p->squeezing) { /* the squeezer emits an escape whole, in the window of its second byte */
		p->flen = crp__squeeze_isa(p->squeeze_isa, &p->squeeze, src, n, p->fbuf, &p->window_lines);
		p->ybuf = p->fbuf;
		in_string = p->squeeze.in_string;
	} else {
		p->flen = n;
		p->ybuf = src;
		escaped = p->raw_strings.escape;
		crp__strings_track(&p->raw_strings, src, n);
		in_string = p->raw_strings.in_string;
	}
	int rc = parse_segments(p, escaped, in_string);
	if (rc != CRP_OK)
		return rc;
	account_window(p, src, n);
	remember_tail(p);
	p->chunk_base += n;
	p->window = NULL;
	return CRP_OK;
}

static const unsigned char utf8_bom[3] = {0xEF, 0xBB, 0xBF};

int crp__input_feed(crp_parser *p, const unsigned char *buf, size_t len)
{
	while (len) {
		size_t n = len < CRP_WINDOW ? len : CRP_WINDOW;
		CRP_TRY(feed_window(p, buf, n));
		buf += n;
		len -= n;
	}
	return CRP_OK;
}

/* A UTF-16 (or UTF-32) byte order mark: FE and FF are never UTF-8, so its first byte is
 * enough to say what the input is instead of yajl's "lexical error". */
static int fail_utf16(crp_parser *p, unsigned char first)
{
	p->bom_checked = true;
	return crp__input_fail(p, CRP_EUNSUPPORTED,
			       first == 0xFF ? "input is UTF-16 (little-endian byte order mark FF FE); "
					       "reports are read as UTF-8: convert it first, e.g. with "
					       "iconv -f UTF-16 -t UTF-8"
					     : "input is UTF-16 (big-endian byte order mark FE FF); "
					       "reports are read as UTF-8: convert it first, e.g. with "
					       "iconv -f UTF-16 -t UTF-8");
}

/* A UTF-8 byte order mark (some editors add one) is not JSON; skip it at the very start, even
 * when it arrives split across chunks. Returns how many bytes of buf it took. */
size_t crp__input_skip_bom(crp_parser *p, const unsigned char *buf, size_t len, int *rc)
{
	size_t i = 0;
	*rc = CRP_OK;
	if (!p->bom_checked && !p->bom_seen && len && (buf[0] == 0xFE || buf[0] == 0xFF)) {
		*rc = fail_utf16(p, buf[0]);
		return 0;
	}
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
			*rc = crp__input_feed(p, utf8_bom, p->bom_seen);
		}
	}
	return i;
}

int crp__input_flush_bom(crp_parser *p)
{
	if (p->bom_checked || !p->bom_seen)
		return CRP_OK;
	/* input that is only the start of a byte order mark: let yajl reject it */
	p->bom_checked = p->saw_content = true;
	return crp__input_feed(p, utf8_bom, p->bom_seen);
}
