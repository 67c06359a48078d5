/* The whitespace squeezer in front of yajl: every vector path this CPU runs agrees with the
 * one-byte-at-a-time reference on any input and any split, tokens are never joined, and every
 * output byte maps back to the input byte it came from. */
#include <stdlib.h>
#include <string.h>

#include "kscrash/squeeze.h"
#include "testutil.h"

/* isa: an instruction set of the vector path, or -1 for the reference. */
static size_t squeeze_in_pieces(const unsigned char *in, size_t len, size_t piece, int isa,
				unsigned char *out, crp_squeeze *end)
{
	crp_squeeze st = {0};
	size_t o = 0, lines = 0, expected = 0;
	for (size_t i = 0; i < len; i += piece) {
		size_t n = len - i < piece ? len - i : piece, nl = 0;
		o += isa >= 0 ? crp__squeeze_isa(isa, &st, in + i, n, out + o, &nl)
			      : crp__squeeze_scalar(&st, in + i, n, out + o);
		lines += nl;
	}
	for (size_t i = 0; i < len; i++)
		expected += in[i] == '\n';
	if (isa >= 0)
		ck_assert_uint_eq(lines, expected);
	*end = st;
	return o;
}

/* Every instruction set this CPU runs agrees with the reference, fed in pieces of any size. */
static void check_agreement(const unsigned char *in, size_t len)
{
	unsigned char *a = malloc(len * 2 + 32), *b = malloc(len * 2 + 32);
	crp_squeeze sa, sb;
	size_t na = squeeze_in_pieces(in, len, len ? len : 1, -1, a, &sa);
	static const size_t pieces[] = {1, 3, 15, 16, 17, 33, 4096, 9000};
	for (int isa = CRP_SQUEEZE_SCALAR; isa <= crp__squeeze_best(); isa++)
		for (size_t k = 0; k < sizeof pieces / sizeof *pieces; k++) {
			size_t nb = squeeze_in_pieces(in, len, pieces[k], isa, b, &sb);
			ck_assert_uint_eq(na, nb);
			ck_assert(memcmp(a, b, na) == 0);
			ck_assert(memcmp(&sa, &sb, sizeof sa) == 0);
		}
	/* every output byte maps back to an equal input byte (or is a separating space) */
	crp_squeeze st = {0};
	size_t f = 0, from = 0;
	for (size_t t = 0; t < na; t++) {
		size_t i = crp__squeeze_map(&st, in, len, &f, from, t);
		ck_assert_uint_lt(i, len);
		ck_assert(a[t] == in[i] || (a[t] == ' ' && t + 1 < na));
		from = i;
	}
	free(a);
	free(b);
}

START_TEST(squeezes_json_text)
{
	static const char in[] = "{\n    \"a b\": [1, 2 , true ,\t\"x\\\" y\" ] ,\r\n  \"c\" : -1.5e3 }  \n";
	unsigned char out[128];
	crp_squeeze st = {0};
	size_t nl, n = crp__squeeze(&st, (const unsigned char *)in, strlen(in), out, &nl);
	out[n] = '\0';
	ck_assert_str_eq((char *)out, "{\"a b\":[1,2,true,\"x\\\" y\"],\"c\":-1.5e3}");
	check_agreement((const unsigned char *)in, strlen(in));
}
END_TEST

START_TEST(never_joins_tokens)
{
	static const char in[] = "[1 2, tru e, 1.5\n\n-3, null  null, \"s\" \"t\"]";
	unsigned char out[128];
	crp_squeeze st = {0};
	size_t nl, n = crp__squeeze(&st, (const unsigned char *)in, strlen(in), out, &nl);
	out[n] = '\0';
	ck_assert_str_eq((char *)out, "[1 2,tru e,1.5 -3,null null,\"s\"\"t\"]");
}
END_TEST

/* "\/" in a string loses its backslash (yajl then need not decode the string); every other
 * escape, an escaped backslash before a slash, and a slash outside strings are kept. The
 * vector path sees the pair inside a block and across a block boundary. */
START_TEST(unescapes_slashes_in_strings)
{
	static const char in[] = "[\"\\/usr\\/lib\", \"a\\\\/b\\n\", \"\\u002f\\\"/\"]";
	unsigned char out[256];
	crp_squeeze st = {0};
	size_t nl, n = crp__squeeze(&st, (const unsigned char *)in, strlen(in), out, &nl);
	out[n] = '\0';
	ck_assert_str_eq((char *)out, "[\"/usr/lib\",\"a\\\\/b\\n\",\"\\u002f\\\"/\"]");
	check_agreement((const unsigned char *)in, strlen(in));
	/* the backslash as the last byte of a block, and of a chunk */
	for (size_t at = 60; at < 68; at++) {
		unsigned char buf[160];
		memset(buf, ' ', sizeof buf);
		buf[0] = '"';
		memset(buf + 1, 'x', at - 1);
		memcpy(buf + at, "\\/y\\tz\"", 7);
		check_agreement(buf, sizeof buf);
		crp_squeeze s2 = {0};
		n = crp__squeeze(&s2, buf, at + 1, out, &nl);
		ck_assert_uint_eq(n, at); /* the backslash waits */
		n += crp__squeeze(&s2, buf + at + 1, 6, out + n, &nl);
		ck_assert(memcmp(out + at - 1, "x/y\\tz\"", 7) == 0);
		ck_assert_uint_eq(n, at + 6);
	}
}
END_TEST

START_TEST(agrees_on_random_input)
{
	static const char alphabet[] = "  \n\t\r\"\\{}[],:01a-e.x\xc3\xa9";
	unsigned seed = 12345;
	for (int round = 0; round < 400; round++) {
		size_t len = (size_t)(round * 7 % 300);
		unsigned char *in = malloc(len + 1);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (unsigned char)alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		check_agreement(in, len);
		free(in);
	}
}
END_TEST

/* JSON-like text: tokens, strings with escapes, whitespace runs of any length (across block
 * boundaries), and now and then something that is not JSON at all. */
static size_t random_json(unsigned *seed, unsigned char *out, size_t cap)
{
	static const char *const pieces[] = {"{", "}", "[", "]", ",", ":", "12", "-3.5e7", "true", "null",
					     "\"a b\"", "\"x\\\"y\"", "\"\\\\\"", "\"path\\/to\"", "\"\\u00e9\"",
					     "\"", "\\", "@", "\xc3\xa9"};
	size_t n = 0;
	while (n + 80 < cap) {
		*seed = *seed * 1103515245u + 12345u;
		unsigned r = (*seed >> 16) % 100;
		if (r < 35) {
			size_t ws = (*seed >> 8) % 70;
			for (size_t k = 0; k < ws; k++)
				out[n++] = " \n\t\r"[(k + r) % 4];
		} else {
			const char *p = pieces[(*seed >> 20) % (sizeof pieces / sizeof *pieces)];
			size_t l = strlen(p);
			memcpy(out + n, p, l);
			n += l;
		}
	}
	return n;
}

START_TEST(agrees_on_random_json)
{
	unsigned seed = 777;
	unsigned char *buf = malloc(8192);
	for (int round = 0; round < 300; round++) {
		size_t len = random_json(&seed, buf, 200 + (size_t)round * 25);
		check_agreement(buf, len);
	}
	free(buf);
}
END_TEST

/* Every byte value next to whitespace, in blocks long enough for the vector path: its byte
 * classes must agree with the reference's is_token_char for all 256. */
START_TEST(agrees_on_every_byte)
{
	static const char pattern[] = "x 1 xx\n\"x\" \tx\r,x ";
	unsigned char in[256];
	for (unsigned c = 0; c < 256; c++) {
		for (size_t i = 0; i < sizeof in; i++) {
			unsigned char p = (unsigned char)pattern[i % (sizeof pattern - 1)];
			in[i] = p == 'x' ? (unsigned char)c : p;
		}
		check_agreement(in, sizeof in);
	}
}
END_TEST

/* Only newlines: the vector path's per-lane counters get as full as they ever get. */
START_TEST(counts_every_newline)
{
	size_t len = 9000;
	unsigned char *in = malloc(len);
	memset(in, '\n', len);
	in[len / 2] = '1';
	check_agreement(in, len);
	free(in);
}
END_TEST

START_TEST(agrees_on_fixtures)
{
	char **names;
	char *dir = tu_path(tu_fixtures_dir(), "kscrash");
	size_t n = tu_list(dir, ".json,.ndjson", &names);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *path = tu_path(dir, names[i]);
		char *data = tu_read_file(path, &len);
		check_agreement((const unsigned char *)data, len);
		free(data);
		free(path);
	}
	tu_free_names(names);
	free(dir);
}
END_TEST

Suite *suite_squeeze(void)
{
	Suite *s = suite_create("squeeze");
	TCase *tc = tcase_create("squeeze");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, squeezes_json_text);
	tcase_add_test(tc, never_joins_tokens);
	tcase_add_test(tc, unescapes_slashes_in_strings);
	tcase_add_test(tc, agrees_on_random_input);
	tcase_add_test(tc, agrees_on_random_json);
	tcase_add_test(tc, agrees_on_every_byte);
	tcase_add_test(tc, counts_every_newline);
	tcase_add_test(tc, agrees_on_fixtures);
	suite_add_tcase(s, tc);
	return s;
}
