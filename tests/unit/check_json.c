/* The JSON event parser (src/json): the events it gives, decoded strings, where a value ends,
 * its errors and the byte each names, the same for every way of cutting the input, its depth
 * limit, the end of input, a callback stopping it, and memory running out. */
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "testutil.h"

typedef struct event_log {
	char s[4096];
	size_t len;
	int stop_after; /* a callback returns 0 on this event (counted from 1), or never */
	int count;
} event_log;

static int add(event_log *l, const char *tag, const void *s, size_t n)
{
	size_t t = strlen(tag);
	ck_assert_uint_lt(l->len + t + n + 2, sizeof l->s);
	memcpy(l->s + l->len, tag, t);
	memcpy(l->s + l->len + t, s, n);
	l->len += t + n;
	l->s[l->len++] = ' ';
	l->s[l->len] = 0;
	return ++l->count != l->stop_after;
}

static int e_null(void *c) { return add(c, "null", "", 0); }
static int e_bool(void *c, int b) { return add(c, b ? "true" : "false", "", 0); }
static int e_num(void *c, const char *s, size_t n) { return add(c, "n:", s, n); }
static int e_str(void *c, const unsigned char *s, size_t n) { return add(c, "s:", s, n); }
static int e_key(void *c, const unsigned char *s, size_t n) { return add(c, "k:", s, n); }
static int e_om(void *c) { return add(c, "{", "", 0); }
static int e_cm(void *c) { return add(c, "}", "", 0); }
static int e_oa(void *c) { return add(c, "[", "", 0); }
static int e_ca(void *c) { return add(c, "]", "", 0); }
static const crp_json_callbacks cbs = {e_null, e_bool, e_num, e_str, e_om, e_key, e_cm, e_oa, e_ca};

typedef struct result {
	event_log log;
	crp_json_status st;
	size_t at; /* DONE: where the value ends; INVALID: where the offending token begins */
	char message[128];
} result;

static void *fail_malloc(void *ctx, size_t n) { (void)ctx, (void)n; return NULL; }
static void *fail_realloc(void *ctx, void *p, size_t n) { (void)ctx, (void)p, (void)n; return NULL; }
static void plain_free(void *ctx, void *p) { (void)ctx; free(p); }
static void *plain_malloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void *plain_realloc(void *ctx, void *p, size_t n) { (void)ctx; return realloc(p, n); }
static const crp_allocator heap = {plain_malloc, plain_realloc, plain_free, NULL};
static const crp_allocator no_memory = {fail_malloc, fail_realloc, plain_free, NULL};

/* The text in chunks of `chunk` bytes (0: whole), then the end of input. */
static void parse_with(const char *text, size_t chunk, size_t max_depth, const crp_allocator *a, result *r)
{
	size_t n = strlen(text), off = 0, len = 0;
	crp_json j;
	int stop = r->log.stop_after;
	memset(r, 0, sizeof *r);
	r->log.stop_after = stop;
	crp__json_init(&j, &cbs, &r->log, a, max_depth);
	r->st = CRP_JSON_MORE;
	for (; r->st == CRP_JSON_MORE && off < n; off += len) {
		len = chunk && n - off > chunk ? chunk : n - off;
		r->st = crp__json_parse(&j, (const unsigned char *)text + off, len);
	}
	if (r->st == CRP_JSON_MORE) {
		r->st = crp__json_finish(&j);
		r->at = n - (r->st == CRP_JSON_INVALID ? j.token_len : 0);
	} else {
		off -= len;
		r->at = off + j.consumed - (r->st == CRP_JSON_DONE ? 0 : j.token_len);
	}
	if (j.message)
		snprintf(r->message, sizeof r->message, "%s", j.message);
	crp__json_dispose(&j);
}

static void parse(const char *text, size_t chunk, result *r) { parse_with(text, chunk, 64, &heap, r); }

/* Whole, and in chunks of every size up to the text's length: the same result. */
static void parse_all_ways(const char *text, result *whole)
{
	parse(text, 0, whole);
	for (size_t chunk = 1; chunk < strlen(text); chunk++) {
		result cut = {0};
		parse(text, chunk, &cut);
		ck_assert_msg(cut.st == whole->st && cut.at == whole->at, "%s in chunks of %zu: status %d at %zu, not %d at %zu",
			      text, chunk, cut.st, cut.at, whole->st, whole->at);
		ck_assert_str_eq(cut.log.s, whole->log.s);
		ck_assert_str_eq(cut.message, whole->message);
	}
}

START_TEST(events_of_every_kind)
{
	result r = {0};
	parse_all_ways(" {\"a\":[1,-2.5e+3,true,false,null,\"x\"],\"b\":{},\"c\":[]}\n", &r);
	ck_assert_int_eq(r.st, CRP_JSON_DONE);
	ck_assert_uint_eq(r.at, 52);
	ck_assert_str_eq(r.log.s, "{ k:a [ n:1 n:-2.5e+3 true false null s:x ] k:b { } k:c [ ] } ");
}
END_TEST

START_TEST(escapes_decoded)
{
	result r = {0};
	parse_all_ways("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"\\u00e9\\u20AC\\ud83d\\ude00\",\"a\\u0000b\",\"\\ud800x\\udc00\"]",
		       &r);
	ck_assert_int_eq(r.st, CRP_JSON_DONE);
	/* a lone surrogate keeps its three-byte form, which a UTF-8 check rejects */
	ck_assert_int_eq(memcmp(r.log.s,
				"[ s:\"\\/\b\f\n\r\t s:\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 s:a\0b s:\xed\xa0\x80x\xed\xb0\x80 ] ",
				r.log.len),
			 0);
}
END_TEST

START_TEST(one_value_then_stop)
{
	result r = {0};
	parse_all_ways("{\"a\":1}garbage{", &r);
	ck_assert_int_eq(r.st, CRP_JSON_DONE);
	ck_assert_uint_eq(r.at, 7);
	parse_all_ways("\"s\"x", &r);
	ck_assert_int_eq(r.st, CRP_JSON_DONE);
	ck_assert_uint_eq(r.at, 3);
}
END_TEST

START_TEST(end_of_input)
{
	result r = {0};
	parse_all_ways("  12", &r); /* a number is whole only at the end */
	ck_assert_int_eq(r.st, CRP_JSON_DONE);
	ck_assert_str_eq(r.log.s, "n:12 ");
	parse_all_ways("{\"a\":[1,2", &r);
	ck_assert_int_eq(r.st, CRP_JSON_MORE);
	ck_assert_str_eq(r.log.s, "{ k:a [ n:1 n:2 ");
	parse_all_ways("[\"abc", &r);
	ck_assert_int_eq(r.st, CRP_JSON_MORE);
	parse_all_ways("[tr", &r);
	ck_assert_int_eq(r.st, CRP_JSON_INVALID);
	ck_assert_uint_eq(r.at, 1);
}
END_TEST

static const struct bad {
	const char *text;
	size_t at;
	const char *message;
} bad[] = {
	{"{\"a\" 1}", 5, "invalid JSON: ':' was expected after the key, found '1'"},
	{"[1,]", 3, "invalid JSON: a value was expected, found ']'"},
	{"[1 2]", 3, "invalid JSON: ',' or ']' was expected after an element, found '2'"},
	{"{\"a\":1 \"b\":2}", 7, "invalid JSON: ',' or '}' was expected after a member, found a string"},
	{"{1:2}", 1, "invalid JSON: a key (a string) or '}' was expected, found '1'"},
	{"{\"a\":1,}", 7, "invalid JSON: a key (a string) was expected after ',', found '}'"},
	{"[}", 1, "invalid JSON: a value or ']' was expected, found '}'"},
	{"[\x80]", 1, "invalid JSON: a value or ']' was expected, found byte 0x80"},
	{"[01]", 1, "invalid JSON number"},
	{"[1.]", 1, "invalid JSON number"},
	{"[-]", 1, "invalid JSON number"},
	{"[1e+]", 1, "invalid JSON number"},
	{"[nul]", 1, "invalid JSON: a word other than true, false or null"},
	{"[True]", 1, "invalid JSON: a word other than true, false or null"},
	{"[\"a\tb\"]", 1, "invalid JSON string: a control character must be escaped"},
	{"{\"k\":\"\\x\"}", 5, "invalid JSON string: a backslash must start \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or "
			     "\\u and four hex digits"},
	{"[\"\\u12g4\"]", 1, "invalid JSON string: a backslash must start \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or "
			     "\\u and four hex digits"},
	{"]", 0, "invalid JSON: a value was expected, found ']'"},
};

START_TEST(errors_name_the_offending_token)
{
	result r = {0};
	parse_all_ways(bad[_i].text, &r);
	ck_assert_msg(r.st == CRP_JSON_INVALID, "%s: status %d", bad[_i].text, r.st);
	ck_assert_uint_eq(r.at, bad[_i].at);
	ck_assert_str_eq(r.message, bad[_i].message);
}
END_TEST

START_TEST(depth_limit)
{
	result r = {0};
	parse_with("[[[1]]]", 0, 3, &heap, &r);
	ck_assert_int_eq(r.st, CRP_JSON_DONE);
	parse_with("[[[[1]]]]", 0, 3, &heap, &r);
	ck_assert_int_eq(r.st, CRP_JSON_INVALID);
	ck_assert_uint_eq(r.at, 3);
	ck_assert_str_eq(r.message, "invalid JSON: nested deeper than 3 levels");
	/* deeper than the first stack allocation */
	char deep[402] = {0};
	memset(deep, '[', 200);
	memset(deep + 200, ']', 200);
	parse_with(deep, 7, 200, &heap, &r);
	ck_assert_int_eq(r.st, CRP_JSON_DONE);
	ck_assert_uint_eq(r.at, 400);
}
END_TEST

START_TEST(a_callback_stops_it)
{
	result r = {.log.stop_after = 3};
	parse("[1,2,3]", 0, &r);
	ck_assert_int_eq(r.st, CRP_JSON_STOPPED);
	ck_assert_str_eq(r.log.s, "[ n:1 n:2 ");
	ck_assert_uint_eq(r.at, 3); /* where the token the callback was given begins */
}
END_TEST

START_TEST(memory_running_out)
{
	result r = {0};
	parse_with("[1]", 0, 8, &no_memory, &r); /* the first container needs the stack */
	ck_assert_int_eq(r.st, CRP_JSON_NOMEM);
	parse_with("\"a\\nb\"", 0, 8, &no_memory, &r); /* an escape needs the decoding buffer */
	ck_assert_int_eq(r.st, CRP_JSON_NOMEM);
	parse_with("\"abc\"", 2, 8, &no_memory, &r); /* a cut token needs the carry */
	ck_assert_int_eq(r.st, CRP_JSON_NOMEM);
	parse_with("\"abc\"", 0, 8, &no_memory, &r); /* a plain string needs nothing */
	ck_assert_int_eq(r.st, CRP_JSON_DONE);
}
END_TEST

/* Long strings meet chunk ends at every offset of the eight-byte scan, escapes included. */
START_TEST(long_strings_across_chunks)
{
	char text[300];
	size_t k = 0;
	text[k++] = '[';
	text[k++] = '"';
	for (int i = 0; i < 40; i++)
		k += (size_t)sprintf(text + k, i % 3 ? "abcde" : "\\\"x\\\\");
	text[k++] = '"';
	text[k++] = ']';
	text[k] = 0;
	result whole = {0};
	parse_all_ways(text, &whole);
	ck_assert_int_eq(whole.st, CRP_JSON_DONE);
	ck_assert_uint_eq(whole.log.len, 2 + 2 + (14 * 3 + 26 * 5) + 1 + 2); /* \"x\\ decodes to 3 bytes */
}
END_TEST

Suite *suite_json(void)
{
	Suite *s = suite_create("json");
	TCase *t = tcase_create("parser");
	tcase_add_test(t, events_of_every_kind);
	tcase_add_test(t, escapes_decoded);
	tcase_add_test(t, one_value_then_stop);
	tcase_add_test(t, end_of_input);
	tcase_add_loop_test(t, errors_name_the_offending_token, 0, (int)(sizeof bad / sizeof *bad));
	tcase_add_test(t, depth_limit);
	tcase_add_test(t, a_callback_stops_it);
	tcase_add_test(t, memory_running_out);
	tcase_add_test(t, long_strings_across_chunks);
	suite_add_tcase(s, t);
	return s;
}
