/* Long strings (converters/kscrash/carry.c): a string cut by window or chunk ends reaches yajl
 * whole, reads the same whatever the cuts and escapes at them, with or without squeezing; the
 * string limit stops the read as soon as it is passed, naming the string's start and path.
 * Times are the bench's business (crashport-bench prints a long-string row). */
#include <stdlib.h>
#include <string.h>

#include "kscrash/reader.h"
#include "testutil.h"

/* A report whose user.s is `n` bytes of text cycling through escapes ("\"", "\\", "\/",
 * "\u00e9", "\n") and plain bytes, so that every kind of byte meets a window end. */
static char *report_with_string(size_t n, size_t *len)
{
	static const char *const pieces[] = {"abc", "\\\"", "\\\\", "\\/", "\\u00e9", "\\n", "xyz01"};
	char *s = malloc(n + 128);
	size_t k = (size_t)sprintf(s, "{\"report\":{\"id\":\"S\"},\"user\":{\"s\":\"");
	for (size_t i = 0; k < n + 34;) {
		const char *piece = pieces[i++ % (sizeof pieces / sizeof *pieces)];
		size_t l = strlen(piece);
		memcpy(s + k, piece, l);
		k += l;
	}
	k += (size_t)sprintf(s + k, "\",\"k\\\"ey\":1}}\n");
	*len = k;
	return s;
}

static char *emit_json(const char *text, size_t len, size_t chunk, unsigned flags)
{
	crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
	crp_report **r;
	size_t n, out;
	crp_error e;
	o.flags = flags;
	int rc = tu_parse(text, len, chunk, &o, &r, &n, &e);
	ck_assert_msg(rc == CRP_OK, "chunk %zu, flags %u: %s", chunk, flags, e.message);
	ck_assert_uint_eq(n, 1);
	char *json = tu_emit("json", r, n, NULL, &out);
	tu_free_reports(r, n);
	return json;
}

START_TEST(strings_read_the_same_across_any_cuts)
{
	static const size_t sizes[] = {10, 65530, 65536, 200003, 1 << 20};
	static const size_t chunks[] = {0, 1, 7, 4093, 65535, 65536, 65537, 100000};
	size_t len;
	char *text = report_with_string(sizes[_i], &len);
	char *want = emit_json(text, len, 0, 0);
	for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
		if (chunks[c] == 1 && sizes[_i] > 65536)
			continue; /* byte by byte is covered by the smaller strings */
		for (unsigned flags = 0; flags <= CRP_PARSE_NO_SQUEEZE; flags += CRP_PARSE_NO_SQUEEZE) {
			char *got = emit_json(text, len, chunks[c], flags);
			ck_assert_msg(strcmp(got, want) == 0, "size %zu, chunk %zu, flags %u differs", sizes[_i],
				      chunks[c], flags);
			free(got);
		}
	}
	if (_i > 0)
		ck_assert_ptr_nonnull(strstr(want, "abc\\\"\\\\/\xc3\xa9\\nxyz01abc")); /* decoded, written back */
	free(want);
	free(text);
}
END_TEST

/* Half a long string fed: yajl has none of it, the parser carries it. */
START_TEST(yajl_gets_a_cut_string_whole)
{
	size_t len;
	char *text = report_with_string(300000, &len);
	for (unsigned flags = 0; flags <= CRP_PARSE_NO_SQUEEZE; flags += CRP_PARSE_NO_SQUEEZE) {
		crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
		crp_parser *p;
		o.flags = flags;
		ck_assert_int_eq(crp_parser_new(&p, &o), CRP_OK);
		ck_assert_int_eq(crp_parser_feed(p, text, len / 2), CRP_OK);
		ck_assert(p->carrying);
		ck_assert_uint_gt(p->carry_len, len / 4); /* squeezed, "\/" is one byte */
		ck_assert_int_eq(p->carry[0], '"');
		ck_assert_int_eq(crp_parser_feed(p, text + len / 2, len - len / 2), CRP_OK);
		ck_assert(!p->carrying);
		ck_assert_int_eq(crp_parser_finish(p), CRP_OK);
		crp_parser_free(p);
	}
	free(text);
}
END_TEST

/* The limit stops the read in the window where it is passed, long before the string ends. */
START_TEST(the_string_limit_stops_the_read_at_once)
{
	static const char head[] = "{\"report\":{\"id\":\"L\"},\n  \"user\":{\"blob\":\"";
	static const char keyed[] = "{\"report\":{\"id\":\"L\"},\n  \"user\":{\"";
	const char *prefix = _i < 2 ? head : keyed;
	size_t plen = strlen(prefix), len = plen + (10u << 20);
	char *text = malloc(len);
	memcpy(text, prefix, plen);
	memset(text + plen, 'x', len - plen);
	crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
	o.max_string_bytes = 100000;
	o.flags = _i % 2 ? CRP_PARSE_NO_SQUEEZE : 0;
	crp_parser *p;
	ck_assert_int_eq(crp_parser_new(&p, &o), CRP_OK);
	size_t fed = 0;
	int rc = CRP_OK;
	while (rc == CRP_OK && fed < len) {
		size_t n = len - fed < 65536 ? len - fed : 65536;
		rc = crp_parser_feed(p, text + fed, n);
		fed += n;
	}
	ck_assert_int_eq(rc, CRP_ELIMIT);
	ck_assert_uint_le(fed, 100000 + 2 * 65536);
	const crp_error *e = crp_parser_error(p);
	ck_assert_str_eq(e->message,
			 _i < 2 ? "string longer than 100000 bytes" : "key longer than 100000 bytes");
	ck_assert_str_eq(e->json_path, _i < 2 ? "user.blob" : "user");
	ck_assert_uint_eq(e->line, 2);
	ck_assert_uint_eq(e->column, plen - strlen("{\"report\":{\"id\":\"L\"},\n")); /* the quote */
	ck_assert_uint_eq(e->byte_offset, plen - 1);
	crp_parser_free(p);
	free(text);
}
END_TEST

/* A window that ends inside an escape holds its backslash back for the next; a position asked
 * there (the invalid UTF-8 warning names the string's start, which is that backslash's window)
 * must leave later positions right: the error after the string is at its ':' whatever the cut
 * (it was named one byte before the cut). */
static uint64_t error_byte(const char *text, size_t len, size_t cut, unsigned flags)
{
	crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
	crp_parser *p;
	o.flags = flags;
	ck_assert_int_eq(crp_parser_new(&p, &o), CRP_OK);
	int rc = crp_parser_feed(p, text, cut);
	if (rc == CRP_OK)
		rc = crp_parser_feed(p, text + cut, len - cut);
	if (rc == CRP_OK)
		rc = crp_parser_finish(p);
	ck_assert_int_eq(rc, CRP_ESYNTAX);
	uint64_t at = crp_parser_error(p)->byte_offset;
	crp_parser_free(p);
	return at;
}

START_TEST(positions_after_a_held_back_backslash)
{
	static const char text[] = "{\"report\": {\"id\": \"c\\\\\xdc\\\\\\\\\\\\|\\\\\\\\\\\\on\":%\"x\"}}";
	size_t len = strlen(text), colon = (size_t)(strstr(text, "on\":") - text) + 3;
	for (size_t cut = 1; cut < len; cut++)
		for (unsigned flags = 0; flags <= CRP_PARSE_NO_SQUEEZE; flags += CRP_PARSE_NO_SQUEEZE)
			ck_assert_msg(error_byte(text, len, cut, flags) == colon, "cut at %zu, flags %u: byte %llu", cut,
				      flags, (unsigned long long)error_byte(text, len, cut, flags));
}
END_TEST

/* Where the warning about a string with escapes and invalid UTF-8 is placed, the input cut at
 * cut (0: whole); UINT64_MAX when there is none. */
static uint64_t string_warning_byte(const char *text, size_t len, size_t cut, unsigned flags)
{
	crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
	crp_parser *p;
	crp_report *r;
	uint64_t at = UINT64_MAX;
	o.flags = flags;
	ck_assert_int_eq(crp_parser_new(&p, &o), CRP_OK);
	ck_assert_int_eq(crp_parser_feed(p, text, cut), CRP_OK);
	ck_assert_int_eq(crp_parser_feed(p, text + cut, len - cut), CRP_OK);
	ck_assert_int_eq(crp_parser_finish(p), CRP_OK);
	ck_assert_int_eq(crp_parser_next(p, &r), CRP_OK);
	for (size_t i = 0; i < crp_report_warning_count(r); i++)
		if (crp_report_warning(r, i)->code == CRP_W_UTF8)
			at = crp_report_warning(r, i)->byte_offset;
	crp_report_free(r);
	crp_parser_free(p);
	return at;
}

/* A warning about a string is placed at its opening quote, however the input is cut: escapes
 * made the string longer than its text, and a string carried across a cut is held squeezed, so
 * counting back its text's length put it one byte or another inside the string. */
START_TEST(string_warnings_at_the_opening_quote)
{
	static const char text[] = "{\"report\":{\"id\":\"x\"},\"system\":{\"CFBundleExecutablePath\":"
				   "\"\\/priv\\/v\xef\\\"x\"}}";
	size_t len = strlen(text), quote = (size_t)(strstr(text, "\"\\/priv") - text);
	for (size_t cut = 0; cut < len; cut++)
		for (unsigned flags = 0; flags <= CRP_PARSE_NO_SQUEEZE; flags += CRP_PARSE_NO_SQUEEZE)
			ck_assert_msg(string_warning_byte(text, len, cut, flags) == quote, "cut at %zu, flags %u: byte %llu",
				      cut, flags, (unsigned long long)string_warning_byte(text, len, cut, flags));
}
END_TEST

Suite *suite_carry(void)
{
	Suite *s = suite_create("carry");
	TCase *tc = tcase_create("carry");
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, strings_read_the_same_across_any_cuts, 0, 5);
	tcase_add_test(tc, yajl_gets_a_cut_string_whole);
	tcase_add_test(tc, positions_after_a_held_back_backslash);
	tcase_add_test(tc, string_warnings_at_the_opening_quote);
	tcase_add_loop_test(tc, the_string_limit_stops_the_read_at_once, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}
