/* The one-call service API (crashport/convert.h): memory to memory, through a callback, with the
 * caller's allocator, and errors as values. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static char *fixture_text(const char *sub, const char *name, size_t *len)
{
	char *dir = tu_path(tu_fixtures_dir(), sub);
	char *path = tu_path(dir, name);
	char *data = tu_read_file(path, len);
	ck_assert_ptr_nonnull(data);
	free(path);
	free(dir);
	return data;
}

START_TEST(memory_to_memory_matches_the_golden)
{
	size_t len, glen;
	char *in = fixture_text("kscrash", "stream-three-reports.ndjson", &len);
	char *golden = fixture_text("expected", "stream-three-reports.json", &glen);
	crp_buffer out = CRP_BUFFER_INIT;
	crp_convert_stats st;
	crp_error err;
	ck_assert_int_eq(crp_convert_buffer(&out, in, len, "json", NULL, &st, &err), CRP_OK);
	ck_assert_uint_eq(out.len, glen);
	ck_assert(memcmp(out.data, golden, glen) == 0);
	ck_assert_uint_eq(st.reports, 3);
	ck_assert_uint_eq(st.bytes_in, len);
	ck_assert_uint_eq(st.bytes_out, glen);
	crp_buffer_dispose(&out);
	free(golden);
	free(in);
}
END_TEST

typedef struct collect {
	size_t calls, bytes;
} collect;

static int count_write(void *ctx, const void *buf, size_t len)
{
	collect *c = ctx;
	(void)buf;
	c->calls++;
	c->bytes += len;
	return 0;
}

START_TEST(through_a_callback_with_the_callers_allocator)
{
	size_t len;
	char *in = fixture_text("kscrash", "ios17-arm64e-badaccess.json", &len);
	tu_alloc st = {0, 0, 0};
	crp_allocator a = tu_allocator(&st);
	crp_convert_options o = CRP_CONVERT_OPTIONS_INIT;
	static const char *const params[] = {"indent=0", NULL};
	o.allocator = &a;
	o.params = params;
	collect c = {0, 0};
	crp_sink sink = {count_write, &c};
	crp_convert_stats s;
	ck_assert_int_eq(crp_convert(&sink, in, len, "json", &o, &s, NULL), CRP_OK);
	ck_assert_uint_gt(st.count, 3);    /* the allocator was used ... */
	ck_assert_uint_eq(st.live, 0);     /* ... and everything returned */
	ck_assert_uint_eq(c.bytes, s.bytes_out);
	ck_assert_uint_gt(c.calls, 0);
	free(in);
}
END_TEST

START_TEST(errors_are_values)
{
	size_t len;
	char *in = fixture_text("invalid", "missing-colon.json", &len);
	crp_buffer out = CRP_BUFFER_INIT;
	crp_error err;
	ck_assert_int_eq(crp_convert_buffer(&out, in, len, "json", NULL, NULL, &err), CRP_ESYNTAX);
	ck_assert_uint_eq(err.line, 2);
	ck_assert_uint_eq(err.column, 21);
	ck_assert_str_eq(err.json_path, "report.id");
	crp_buffer_dispose(&out);
	ck_assert_int_eq(crp_convert_buffer(&out, in, len, "no-such-format", NULL, NULL, &err), CRP_ENOTFOUND);
	crp_convert_options o = CRP_CONVERT_OPTIONS_INIT;
	o.version = 7;
	ck_assert_int_eq(crp_convert_buffer(&out, in, len, "json", &o, NULL, &err), CRP_EINVAL);
	static const char *const bad[] = {"colour=red", NULL};
	o = (crp_convert_options)CRP_CONVERT_OPTIONS_INIT;
	o.params = bad;
	ck_assert_int_eq(crp_convert_buffer(&out, "{}", 2, "json", &o, NULL, &err), CRP_EUNSUPPORTED);
	ck_assert_int_eq(crp_convert_buffer(&out, "", 0, "json", NULL, NULL, &err), CRP_EEMPTY);
	ck_assert_int_eq(crp_convert_buffer(NULL, "{}", 2, "json", NULL, NULL, &err), CRP_EINVAL);
	crp_buffer_dispose(&out);
	free(in);
}
END_TEST

START_TEST(every_allocation_may_fail)
{
	size_t len;
	char *in = fixture_text("kscrash", "stream-two-concatenated.json", &len);
	tu_alloc probe = {0, 0, 0};
	crp_allocator a = tu_allocator(&probe);
	crp_convert_options o = CRP_CONVERT_OPTIONS_INIT;
	o.allocator = &a;
	collect c = {0, 0};
	crp_sink sink = {count_write, &c};
	ck_assert_int_eq(crp_convert(&sink, in, len, "json", &o, NULL, NULL), CRP_OK);
	for (size_t k = 1; k <= probe.count; k++) {
		tu_alloc f = {0, 0, k};
		a = tu_allocator(&f);
		int rc = crp_convert(&sink, in, len, "json", &o, NULL, NULL);
		ck_assert_msg(rc == CRP_ENOMEM || rc == CRP_OK, "allocation %zu: %d", k, rc);
		ck_assert_uint_eq(f.live, 0);
	}
	free(in);
}
END_TEST

Suite *suite_service(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("convert");
	tcase_add_test(tc, memory_to_memory_matches_the_golden);
	tcase_add_test(tc, through_a_callback_with_the_callers_allocator);
	tcase_add_test(tc, errors_are_values);
	tcase_add_test(tc, every_allocation_may_fail);
	suite_add_tcase(s, tc);
	return s;
}
