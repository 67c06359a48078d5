/* The streaming JSON event parser (json.h): a loop over structural bytes, strings scanned eight
 * bytes at a time, and a token cut by a chunk's end carried whole into the next. */
#include "json.h"

#include <stdio.h>

#include "common/bytes.h"

enum { E_VALUE, E_VALUE_OR_CLOSE, E_KEY_OR_CLOSE, E_KEY, E_COLON, E_COMMA_OR_CLOSE, E_ENDED };
enum { T_NONE, T_STRING, T_NUMBER, T_LITERAL };
enum { GO = -1 }; /* a step's result when parsing goes on */

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* -- scanning ----------------------------------------------------------------------------- */

/* High bits where bytes of v are below b (b <= 0x80): exact for the lowest such byte, which is
 * all a scan uses (a borrow may mark bytes above it). */
static inline uint64_t bytes_below(uint64_t v, unsigned b) { return (v - ONES * b) & ~v & HIGHS; }

static inline size_t lowest_marked(uint64_t m)
{
#if defined(__GNUC__)
	return (size_t)__builtin_ctzll(m) >> 3;
#else
	size_t k = 0;
	while (!(m & 0x80))
		m >>= 8, k++;
	return k;
#endif
}

/* The first '"', '\\' or control byte of p[i, n), or n. */
static size_t string_stop(const unsigned char *p, size_t i, size_t n)
{
	for (; i + 8 <= n; i += 8) {
		uint64_t v = crp__le64(p + i);
		uint64_t m = bytes_below(v ^ (ONES * '"'), 1) | bytes_below(v ^ (ONES * '\\'), 1) | bytes_below(v, 0x20);
		if (m)
			return i + lowest_marked(m);
	}
	while (i < n && p[i] != '"' && p[i] != '\\' && p[i] >= 0x20)
		i++;
	return i;
}

/* Where a string's body, from p[i], ends: its closing quote, a control byte (an error), or n
 * when the chunk ends first; *escape carries a backslash that ended the last chunk. */
static size_t string_end(const unsigned char *p, size_t i, size_t n, bool *escape)
{
	if (*escape) {
		if (i == n)
			return n;
		i++;
		*escape = false;
	}
	for (;;) {
		i = string_stop(p, i, n);
		if (i == n || p[i] != '\\')
			return i;
		if (i + 1 == n) {
			*escape = true;
			return n;
		}
		i += 2;
	}
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static bool in_number(unsigned char c) { return is_digit(c) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'; }
static bool is_letter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

/* Where a number or a word (true, false, null, or a bad one) that goes on at p[i] ends. */
static size_t scalar_end(uint8_t kind, const unsigned char *p, size_t i, size_t n)
{
	if (kind == T_NUMBER)
		while (i < n && in_number(p[i]))
			i++;
	else
		while (i < n && is_letter(p[i]))
			i++;
	return i;
}

static size_t skip_digits(const unsigned char *s, size_t i, size_t n)
{
	while (i < n && is_digit(s[i]))
		i++;
	return i;
}

/* RFC 8259's number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number_ok(const unsigned char *s, size_t n)
{
	size_t i = s[0] == '-', d;
	if (i == n || !is_digit(s[i]))
		return false;
	i = s[i] == '0' ? i + 1 : skip_digits(s, i, n);
	if (i < n && s[i] == '.') {
		d = ++i;
		if ((i = skip_digits(s, i, n)) == d)
			return false;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = i;
		if ((i = skip_digits(s, i, n)) == d)
			return false;
	}
	return i == n;
}

/* -- failing ------------------------------------------------------------------------------ */

static int end_with(crp_json *j, crp_json_status st)
{
	j->expect = E_ENDED;
	j->last = st;
	return st;
}

static int invalid(crp_json *j, const char *msg)
{
	j->message = msg;
	return end_with(j, CRP_JSON_INVALID);
}

static const char *const wanted[] = {
	[E_VALUE] = "a value was expected",
	[E_VALUE_OR_CLOSE] = "a value or ']' was expected",
	[E_KEY_OR_CLOSE] = "a key (a string) or '}' was expected",
	[E_KEY] = "a key (a string) was expected after ','",
	[E_COLON] = "':' was expected after the key",
};

/* A token that may not stand here, named by its first byte. */
static int unexpected(crp_json *j, unsigned char c)
{
	const char *w = wanted[j->expect < E_COMMA_OR_CLOSE ? j->expect : E_VALUE];
	if (j->expect == E_COMMA_OR_CLOSE)
		w = j->stack[j->depth - 1] ? "',' or '}' was expected after a member"
					   : "',' or ']' was expected after an element";
	char found[16];
	if (c == '"')
		snprintf(found, sizeof found, "a string");
	else if (c > ' ' && c < 0x7f)
		snprintf(found, sizeof found, "'%c'", c);
	else
		snprintf(found, sizeof found, "byte 0x%02x", c);
	snprintf(j->message_buf, sizeof j->message_buf, "invalid JSON: %s, found %s", w, found);
	return invalid(j, j->message_buf);
}

/* -- events ------------------------------------------------------------------------------- */

/* The token the next event or error is about ends `end` bytes into the chunk. */
static inline void mark(crp_json *j, size_t end, size_t len)
{
	j->consumed = end;
	j->token_len = len;
}

static inline int called(crp_json *j, int ok) { return ok ? GO : end_with(j, CRP_JSON_STOPPED); }

static inline bool value_expected(const crp_json *j) { return j->expect <= E_VALUE_OR_CLOSE; }

static inline int after_value(crp_json *j)
{
	if (j->depth == 0)
		return end_with(j, CRP_JSON_DONE);
	j->expect = E_COMMA_OR_CLOSE;
	return GO;
}

static int open_container(crp_json *j, bool object, size_t i)
{
	mark(j, i + 1, 1);
	if (!value_expected(j))
		return unexpected(j, object ? '{' : '[');
	if (j->depth == j->max_depth) {
		snprintf(j->message_buf, sizeof j->message_buf, "invalid JSON: nested deeper than %zu levels",
			 j->max_depth);
		return invalid(j, j->message_buf);
	}
	if (j->depth == j->stack_cap) {
		size_t cap = j->stack_cap ? j->stack_cap * 2 : 32;
		uint8_t *s = crp__realloc(j->alloc, j->stack, cap);
		if (!s)
			return end_with(j, CRP_JSON_NOMEM);
		j->stack = s;
		j->stack_cap = cap;
	}
	j->stack[j->depth++] = object;
	j->expect = object ? E_KEY_OR_CLOSE : E_VALUE_OR_CLOSE;
	return called(j, object ? j->cb->start_map(j->ctx) : j->cb->start_array(j->ctx));
}

static int close_container(crp_json *j, bool object, size_t i)
{
	mark(j, i + 1, 1);
	bool open_here = j->depth && j->stack[j->depth - 1] == object;
	if (!open_here || (j->expect != E_COMMA_OR_CLOSE && j->expect != (object ? E_KEY_OR_CLOSE : E_VALUE_OR_CLOSE)))
		return unexpected(j, object ? '}' : ']');
	j->depth--;
	if (!(object ? j->cb->end_map(j->ctx) : j->cb->end_array(j->ctx)))
		return end_with(j, CRP_JSON_STOPPED);
	return after_value(j);
}

static int separator(crp_json *j, unsigned char c, size_t i)
{
	mark(j, i + 1, 1);
	if (c == ',' && j->expect == E_COMMA_OR_CLOSE)
		j->expect = j->stack[j->depth - 1] ? E_KEY : E_VALUE;
	else if (c == ':' && j->expect == E_COLON)
		j->expect = E_VALUE;
	else
		return unexpected(j, c);
	return GO;
}

/* -- strings ------------------------------------------------------------------------------ */

static int hex4(const unsigned char *s)
{
	int v = 0;
	for (int k = 0; k < 4; k++) {
		unsigned char c = s[k], d = c - '0', l = (c | 0x20) - 'a';
		if (d < 10)
			v = v * 16 + d;
		else if (l < 6)
			v = v * 16 + 10 + l;
		else
			return -1;
	}
	return v;
}

static size_t put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80)
		return o[0] = (unsigned char)cp, 1;
	if (cp < 0x800)
		return o[0] = (unsigned char)(0xc0 | cp >> 6), o[1] = (unsigned char)(0x80 | (cp & 0x3f)), 2;
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | cp >> 12);
		o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | cp >> 18);
	o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX at s (s[0] is the 'u'), a surrogate pair joined: the bytes of s it takes, 0 if bad. */
static size_t unicode_escape(const unsigned char *s, const unsigned char *end, unsigned char *o, size_t *olen)
{
	int hi = end - s >= 5 ? hex4(s + 1) : -1;
	if (hi < 0)
		return 0;
	if (hi >= 0xd800 && hi < 0xdc00 && end - s >= 11 && s[5] == '\\' && s[6] == 'u') {
		int lo = hex4(s + 7);
		if (lo >= 0xdc00 && lo < 0xe000) {
			*olen = put_utf8(o, 0x10000 + ((uint32_t)(hi - 0xd800) << 10) + (uint32_t)(lo - 0xdc00));
			return 11;
		}
	}
	*olen = put_utf8(o, (uint32_t)hi);
	return 5;
}

static size_t simple_escape(unsigned char c)
{
	switch (c) {
	case '"': case '\\': case '/': return c;
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	default: return 0;
	}
}

/* The body of a string token with escapes, decoded into j->text. */
static int decode(crp_json *j, const unsigned char *s, const unsigned char *end, size_t *len)
{
	if ((size_t)(end - s) > j->text_cap) {
		unsigned char *t = crp__realloc(j->alloc, j->text, (size_t)(end - s));
		if (!t)
			return end_with(j, CRP_JSON_NOMEM);
		j->text = t;
		j->text_cap = (size_t)(end - s);
	}
	unsigned char *o = j->text;
	while (s < end) {
		if (*s != '\\') {
			if (*s < 0x20)
				return invalid(j, "invalid JSON string: a control character must be escaped");
			*o++ = *s++;
			continue;
		}
		size_t c = s + 1 < end ? simple_escape(s[1]) : 0, took, olen;
		if (c) {
			*o++ = (unsigned char)c;
			s += 2;
		} else if (s + 1 < end && s[1] == 'u' && (took = unicode_escape(s + 1, end, o, &olen))) {
			o += olen;
			s += 1 + took;
		} else {
			return invalid(j, "invalid JSON string: a backslash must start \\\", \\\\, \\/, \\b, \\f, "
					  "\\n, \\r, \\t or \\u and four hex digits");
		}
	}
	*len = (size_t)(o - j->text);
	return GO;
}

/* A whole string token s[0, len), quotes included, ending `end` bytes into the chunk. */
static int string_token(crp_json *j, const unsigned char *s, size_t len, size_t end, bool plain)
{
	mark(j, end, len);
	bool key = j->expect == E_KEY || j->expect == E_KEY_OR_CLOSE;
	if (!key && !value_expected(j))
		return unexpected(j, '"');
	const unsigned char *body = s + 1;
	size_t n = len - 2;
	if (!plain) {
		/* the scan that delimited the token stopped at its closing quote or a control byte */
		if (s[len - 1] != '"')
			return invalid(j, "invalid JSON string: a control character must be escaped");
		plain = !memchr(body, '\\', n);
	}
	if (!plain) {
		int st = decode(j, s + 1, s + len - 1, &n);
		if (st != GO)
			return st;
		body = j->text;
	}
	if (key) {
		j->expect = E_COLON;
		return called(j, j->cb->map_key(j->ctx, body, n));
	}
	if (!j->cb->string(j->ctx, body, n))
		return end_with(j, CRP_JSON_STOPPED);
	return after_value(j);
}

/* -- numbers and literals ----------------------------------------------------------------- */

static int scalar_token(crp_json *j, const unsigned char *s, size_t len, size_t end)
{
	mark(j, end, len);
	if (!value_expected(j))
		return unexpected(j, s[0]);
	int ok;
	if (is_digit(s[0]) || s[0] == '-') {
		if (!number_ok(s, len))
			return invalid(j, "invalid JSON number");
		ok = j->cb->number(j->ctx, (const char *)s, len);
	} else if (len == 4 && memcmp(s, "null", 4) == 0) {
		ok = j->cb->null_value(j->ctx);
	} else if ((len == 4 && memcmp(s, "true", 4) == 0) || (len == 5 && memcmp(s, "false", 5) == 0)) {
		ok = j->cb->boolean(j->ctx, s[0] == 't');
	} else {
		return invalid(j, "invalid JSON: a word other than true, false or null");
	}
	if (!ok)
		return end_with(j, CRP_JSON_STOPPED);
	return after_value(j);
}

static int token(crp_json *j, const unsigned char *s, size_t len, size_t end)
{
	return s[0] == '"' ? string_token(j, s, len, end, false) : scalar_token(j, s, len, end);
}

/* -- carrying a cut token ----------------------------------------------------------------- */

static int carry_append(crp_json *j, const unsigned char *p, size_t n)
{
	if (j->carry_len + n > j->carry_cap) {
		size_t cap = j->carry_cap ? j->carry_cap : 64;
		while (cap < j->carry_len + n)
			cap *= 2;
		unsigned char *c = crp__realloc(j->alloc, j->carry, cap);
		if (!c)
			return end_with(j, CRP_JSON_NOMEM);
		j->carry = c;
		j->carry_cap = cap;
	}
	if (n) /* an empty chunk may come with no buffer */
		memcpy(j->carry + j->carry_len, p, n);
	j->carry_len += n;
	return GO;
}

static int carry_start(crp_json *j, uint8_t kind, const unsigned char *s, size_t n, bool escape)
{
	j->carry_kind = kind;
	j->carry_escape = escape;
	j->carry_len = 0;
	return carry_append(j, s, n);
}

/* The carried token goes on at the chunk's start: *at is where it ends, or n if it does not. */
static int resume(crp_json *j, const unsigned char *p, size_t n, size_t *at)
{
	size_t k = 0;
	bool whole;
	if (j->carry_kind == T_STRING) {
		k = string_end(p, 0, n, &j->carry_escape);
		whole = k < n;
		k += whole;
	} else {
		k = scalar_end(j->carry_kind, p, 0, n);
		whole = k < n;
	}
	int st = carry_append(j, p, k);
	*at = k;
	if (st != GO || !whole)
		return st;
	j->carry_kind = T_NONE;
	return token(j, j->carry, j->carry_len, k);
}

/* -- the loop ----------------------------------------------------------------------------- */

static int string_at(crp_json *j, const unsigned char *p, size_t n, size_t *at)
{
	size_t i = *at, k = string_stop(p, i + 1, n);
	if (CRP_LIKELY(k < n && p[k] == '"')) {
		*at = k + 1;
		return string_token(j, p + i, k + 1 - i, k + 1, true);
	}
	bool escape = false;
	k = string_end(p, k, n, &escape);
	if (k == n) {
		*at = n;
		return carry_start(j, T_STRING, p + i, n - i, escape);
	}
	*at = k + 1;
	return string_token(j, p + i, k + 1 - i, k + 1, false);
}

static int scalar_at(crp_json *j, const unsigned char *p, size_t n, size_t *at)
{
	size_t i = *at, k;
	unsigned char c = p[i];
	uint8_t kind = is_digit(c) || c == '-' ? T_NUMBER : is_letter(c) ? T_LITERAL : T_NONE;
	if (kind == T_NONE) {
		mark(j, i + 1, 1);
		return unexpected(j, c);
	}
	k = scalar_end(kind, p, i + 1, n);
	*at = k;
	if (k == n)
		return carry_start(j, kind, p + i, n - i, false);
	return scalar_token(j, p + i, k - i, k);
}

static int run(crp_json *j, const unsigned char *p, size_t n, size_t i)
{
	while (i < n) {
		unsigned char c = p[i];
		int st;
		switch (c) {
		case ' ': case '\t': case '\n': case '\r': i++; continue;
		case '"': st = string_at(j, p, n, &i); break;
		case '{': case '[': st = open_container(j, c == '{', i++); break;
		case '}': case ']': st = close_container(j, c == '}', i++); break;
		case ',': case ':': st = separator(j, c, i++); break;
		default: st = scalar_at(j, p, n, &i); break;
		}
		if (st != GO)
			return st;
	}
	mark(j, n, 0);
	return CRP_JSON_MORE;
}

/* -- the interface ------------------------------------------------------------------------ */

void crp__json_init(crp_json *j, const crp_json_callbacks *cb, void *ctx, const crp_allocator *alloc,
		    size_t max_depth)
{
	memset(j, 0, sizeof *j);
	j->cb = cb;
	j->ctx = ctx;
	j->alloc = alloc;
	j->max_depth = max_depth;
	j->expect = E_VALUE;
}

crp_json_status crp__json_parse(crp_json *j, const unsigned char *p, size_t n)
{
	size_t i = 0;
	if (j->expect == E_ENDED) {
		mark(j, 0, 0);
		return j->last;
	}
	if (j->carry_kind) {
		int st = resume(j, p, n, &i);
		if (st != GO)
			return st;
	}
	return run(j, p, n, i);
}

crp_json_status crp__json_finish(crp_json *j)
{
	if (j->expect == E_ENDED)
		return j->last;
	if (j->carry_kind == T_NUMBER || j->carry_kind == T_LITERAL) {
		j->carry_kind = T_NONE;
		int st = token(j, j->carry, j->carry_len, 0);
		if (st != GO)
			return st;
	}
	return CRP_JSON_MORE;
}

void crp__json_dispose(crp_json *j)
{
	crp__free(j->alloc, j->stack);
	crp__free(j->alloc, j->carry);
	crp__free(j->alloc, j->text);
	j->stack = NULL;
	j->carry = j->text = NULL;
	j->stack_cap = j->carry_cap = j->text_cap = 0;
}
