/* Conversions of JSON text to typed values (src/common/convert.c). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/convert.h"
#include "testutil.h"

#define NUM(s, out) crp__num_to_u64(s, strlen(s), out)

START_TEST(unsigned_integers)
{
	uint64_t v = 7;
	ck_assert_int_eq(NUM("0", &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(NUM("4373935132", &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, UINT64_C(4373935132));
	ck_assert_int_eq(NUM("1234567890123456789", &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, UINT64_C(1234567890123456789));
	/* beyond INT64_MAX: arm64e registers */
	ck_assert_int_eq(NUM("18446744073709551615", &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(NUM("5850293224131488452", &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, UINT64_C(5850293224131488452));
	ck_assert_int_eq(NUM("18446744073709551616", &v), CRP_NUM_RANGE);
	ck_assert_int_eq(NUM("99999999999999999999", &v), CRP_NUM_RANGE);
}
END_TEST

/* Every length of the SWAR fast path and around it, against strtoull. */
START_TEST(digit_runs_of_every_length)
{
	char buf[32];
	unsigned seed = 99;
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)round % 20 + 1;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = (char)('0' + (seed >> 16) % 10);
		}
		buf[len] = '\0';
		uint64_t v;
		int rc = crp__num_to_u64(buf, len, &v);
		errno = 0;
		unsigned long long want = strtoull(buf, NULL, 10);
		if (errno == ERANGE) {
			ck_assert_int_eq(rc, CRP_NUM_RANGE);
			continue;
		}
		ck_assert_int_eq(rc, CRP_NUM_OK);
		ck_assert_uint_eq(v, want);
		if (len <= 16) {
			/* a non-digit anywhere is caught */
			buf[(size_t)round % len] = (char)(round % 2 ? '.' : 'a');
			ck_assert(!crp__digits_u64(buf, len, &v));
		}
	}
}
END_TEST

START_TEST(negatives_are_twos_complement)
{
	uint64_t v;
	ck_assert_int_eq(NUM("-1", &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(NUM("-2147483646", &v), CRP_NUM_OK);
	ck_assert_uint_eq((uint32_t)v, 0x80000002u);
	ck_assert_int_eq(NUM("-9223372036854775808", &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, UINT64_C(0x8000000000000000));
	ck_assert_int_eq(NUM("-9223372036854775809", &v), CRP_NUM_RANGE);
	int64_t s;
	ck_assert_int_eq(crp__num_to_i64("-42", 3, &s), CRP_NUM_OK);
	ck_assert_int_eq(s, -42);
	ck_assert_int_eq(crp__num_to_i64("9223372036854775808", 19, &s), CRP_NUM_RANGE);
}
END_TEST

START_TEST(floats_truncate_with_a_note)
{
	uint64_t v;
	ck_assert_int_eq(NUM("1.5", &v), CRP_NUM_INEXACT);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(NUM("4096.0", &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, 4096);
	ck_assert_int_eq(NUM("1e3", &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, 1000);
	/* above 2^53 a double may already have lost digits */
	ck_assert_int_eq(NUM("1.8446744073709550e19", &v), CRP_NUM_INEXACT);
	ck_assert_int_eq(NUM("1.8446744073709552e19", &v), CRP_NUM_RANGE);
	ck_assert_int_eq(NUM("-1.0", &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, UINT64_MAX);
}
END_TEST

START_TEST(number_strings)
{
	uint64_t v;
	ck_assert_int_eq(crp__str_to_u64("0x1", 3, &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(crp__str_to_u64("0xFFFFFFFFFFFFFFFF", 18, &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(crp__str_to_u64("0x1FFFFFFFFFFFFFFFF", 19, &v), CRP_NUM_RANGE);
	ck_assert_int_eq(crp__str_to_u64("0xg", 3, &v), CRP_NUM_BAD);
	ck_assert_int_eq(crp__str_to_u64("123", 3, &v), CRP_NUM_OK);
	ck_assert_uint_eq(v, 123);
	ck_assert_int_eq(crp__str_to_u64("12a", 3, &v), CRP_NUM_BAD);
	ck_assert_int_eq(crp__str_to_u64("", 0, &v), CRP_NUM_BAD);
}
END_TEST

START_TEST(doubles_round_trip_shortest)
{
	static const char *const cases[] = {"0.46947699999999998", "17.845500000000001", "1e-07", "0",
					    "12345678901234567890", "-3.5", "0.1"};
	static const char *const shortest[] = {"0.469477", "17.8455", "1e-07", "0",
					       "1.2345678901234567e+19", "-3.5", "0.1"};
	locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		double d, e;
		char buf[32];
		ck_assert_int_eq(crp__num_to_double(cases[i], strlen(cases[i]), c, &d), CRP_NUM_OK);
		size_t n = crp__format_double(d, buf);
		buf[n] = '\0';
		ck_assert_str_eq(buf, shortest[i]);
		ck_assert_int_eq(crp__num_to_double(buf, n, c, &e), CRP_NUM_OK);
		ck_assert(d == e);
	}
	freelocale(c);
}
END_TEST

static int64_t T(const char *s, bool *frac)
{
	int64_t us = 0;
	ck_assert_msg(crp__parse_time(s, strlen(s), &us, frac) == 0, "%s", s);
	return us;
}

START_TEST(times)
{
	bool frac;
	ck_assert_int_eq(T("2016-11-07T23:17:23Z", &frac), INT64_C(1478560643000000));
	ck_assert(!frac);
	ck_assert_int_eq(T("2024-05-20T17:36:04.474658Z", &frac), INT64_C(1716226564474658));
	ck_assert(frac);
	ck_assert_int_eq(T("2024-05-20T17:36:04.4Z", &frac), INT64_C(1716226564400000));
	ck_assert_int_eq(T("2024-05-20T19:36:04+02:00", &frac), INT64_C(1716226564000000));
	ck_assert_int_eq(T("2024-05-20T12:36:04-0500", &frac), INT64_C(1716226564000000));
	ck_assert_int_eq(T("2024-05-20 17:36:04", &frac), INT64_C(1716226564000000));
	ck_assert_int_eq(T("1969-12-31T23:59:59Z", &frac), INT64_C(-1000000));
	ck_assert_int_eq(T("2000-02-29T00:00:00Z", &frac), INT64_C(951782400000000));
	int64_t us;
	ck_assert_int_ne(crp__parse_time("yesterday", 9, &us, &frac), 0);
	ck_assert_int_ne(crp__parse_time("2024-13-01T00:00:00Z", 20, &us, &frac), 0);
	ck_assert_int_ne(crp__parse_time("2024-05-20T17:36:04.Z", 21, &us, &frac), 0);
	ck_assert_int_ne(crp__parse_time("2024-05-20T17:36:04X", 20, &us, &frac), 0);
	char out[40];
	crp_time_format(INT64_C(1716226564474658), 6, out);
	ck_assert_str_eq(out, "2024-05-20T17:36:04.474658Z");
	crp_time_format(INT64_C(1716226564474658), 3, out);
	ck_assert_str_eq(out, "2024-05-20T17:36:04.474Z");
	crp_time_format(INT64_C(-1), 6, out);
	ck_assert_str_eq(out, "1969-12-31T23:59:59.999999Z");
	for (int64_t d = -800000; d < 800000; d += 997) {
		int64_t y;
		unsigned m, dd;
		crp__civil_from_days(d, &y, &m, &dd);
		ck_assert_int_eq(crp__days_from_civil(y, m, dd), d);
	}
}
END_TEST

/* The vector UUID path agrees with the one-digit-at-a-time reference for every byte value at
 * every position. */
START_TEST(uuid_matches_reference)
{
	static const char base[] = "0123456789abcdefABCDEF0123456789";
	unsigned char h[32];
	for (size_t pos = 0; pos < 32; pos++)
		for (unsigned c = 0; c < 256; c++) {
			crp_uuid u, r;
			memset(&u, 0x5a, sizeof u);
			memset(&r, 0x5a, sizeof r);
			memcpy(h, base, 32);
			h[pos] = (unsigned char)c;
			int a = crp__parse_uuid((const char *)h, 32, &u), b = crp__hex32_scalar(h, r.bytes);
			ck_assert_int_eq(a, b);
			ck_assert(memcmp(&u, &r, sizeof u) == 0);
		}
}
END_TEST

START_TEST(uuids_and_hex)
{
	crp_uuid u;
	char out[37];
	ck_assert_int_eq(crp__parse_uuid("aca43a8d-6369-3a2c-af92-3d4c458523d6", 36, &u), 0);
	crp_uuid_format(&u, out);
	ck_assert_str_eq(out, "ACA43A8D-6369-3A2C-AF92-3D4C458523D6");
	ck_assert_int_eq(crp__parse_uuid("ACA43A8D63693A2CAF923D4C458523D6", 32, &u), 0);
	crp_uuid_format(&u, out);
	ck_assert_str_eq(out, "ACA43A8D-6369-3A2C-AF92-3D4C458523D6");
	ck_assert_int_ne(crp__parse_uuid("ACA43A8D-6369-3A2C-AF92-3D4C458523DG", 36, &u), 0);
	ck_assert_int_ne(crp__parse_uuid("ACA43A8D+6369-3A2C-AF92-3D4C458523D6", 36, &u), 0);
	ck_assert_int_ne(crp__parse_uuid("not-a-uuid", 10, &u), 0);
	uint8_t b[4];
	ck_assert_int_eq(crp__parse_hex("00aBfF10", 8, b), 0);
	ck_assert_uint_eq(b[1], 0xab);
	ck_assert_uint_eq(b[3], 0x10);
	ck_assert_int_ne(crp__parse_hex("0g", 2, b), 0);
	ck_assert_int_ne(crp__parse_hex("abc", 3, b), 0);
}
END_TEST

START_TEST(utf8)
{
	static const struct {
		const char *s;
		size_t valid;
	} cases[] = {
		{"plain ascii text, long enough for the word loop", 47},
		{"caf\xc3\xa9", 5},
		{"caf\xe9", 3},
		{"\xe2\x82", 0},
		{"\xf0\x9f\x98\x80!", 5},
		{"\xed\xa0\x80", 0},       /* surrogate */
		{"\xc0\xaf", 0},           /* overlong */
		{"\xf4\x90\x80\x80", 0},   /* beyond U+10FFFF */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		ck_assert_uint_eq(crp__utf8_valid_prefix((const unsigned char *)cases[i].s, strlen(cases[i].s)),
				  cases[i].valid);
	unsigned char out[64];
	size_t n = crp__utf8_repair((const unsigned char *)"a\xffz\xe2\x82", 5, out);
	ck_assert_uint_eq(n, 1 + 3 + 1 + 3 + 3);
	ck_assert(memcmp(out, "a\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd", n) == 0);
	char copy[64];
	ck_assert_int_eq(crp__copy_text(copy, "hello world, plain", 18), CRP_TEXT_ASCII);
	ck_assert_str_eq(copy, "hello world, plain");
	ck_assert_int_eq(crp__copy_text(copy, "nul\0inside text", 15), CRP_TEXT_NUL);
	ck_assert_int_eq(crp__copy_text(copy, "caf\xc3\xa9", 5), 0);
	ck_assert_int_eq(crp__copy_text(copy, "caf\xe9", 4), CRP_TEXT_INVALID);
}
END_TEST

/* A NUL, a stray continuation byte or a valid two-byte sequence at every position of texts
 * of every length across the block and word boundaries of the copy's fast paths. */
START_TEST(copy_text_every_position)
{
	static const struct { const char *bytes; size_t n; int flags; } odd[] = {
		{"\0", 1, CRP_TEXT_NUL}, {"\x80", 1, CRP_TEXT_INVALID}, {"\xc3\xa9", 2, CRP_TEXT_ASCII}};
	char src[80], dst[81];
	for (size_t len = 2; len <= 70; len++)
		for (size_t pos = 0; pos + 2 <= len; pos++)
			for (size_t k = 0; k < sizeof odd / sizeof *odd; k++) {
				memset(src, 'a', len);
				memcpy(src + pos, odd[k].bytes, odd[k].n);
				memset(dst, 0x7f, sizeof dst);
				ck_assert_int_eq(crp__copy_text(dst, src, len), odd[k].flags);
				ck_assert(memcmp(dst, src, len) == 0 && dst[len] == '\0');
			}
}
END_TEST

Suite *suite_convert(void)
{
	Suite *s = suite_create("convert");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, unsigned_integers);
	tcase_add_test(tc, digit_runs_of_every_length);
	tcase_add_test(tc, negatives_are_twos_complement);
	tcase_add_test(tc, floats_truncate_with_a_note);
	tcase_add_test(tc, number_strings);
	tcase_add_test(tc, doubles_round_trip_shortest);
	tcase_add_test(tc, times);
	tcase_add_test(tc, uuids_and_hex);
	tcase_add_test(tc, uuid_matches_reference);
	tcase_add_test(tc, copy_text_every_position);
	tcase_add_test(tc, utf8);
	suite_add_tcase(s, tc);
	return s;
}
