/* Allocation torture (curl's runtests -t): learn how many allocations a conversion makes, then
 * fail each one in turn. Every run must end in CRP_ENOMEM (or succeed when the failure hit a
 * non-essential path), never crash, and leave nothing allocated. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static int convert_with(tu_alloc *st, const char *json, size_t len, size_t chunk)
{
	crp_allocator a = tu_allocator(st);
	crp_parse_options po = CRP_PARSE_OPTIONS_INIT;
	po.allocator = &a;
	crp_report **r;
	size_t n;
	int rc = tu_parse(json, len, chunk, &po, &r, &n, NULL);
	if (rc == CRP_OK) {
		crp_buffer buf = CRP_BUFFER_INIT;
		buf.allocator = &a;
		crp_sink sink;
		crp_sink_init_buffer(&sink, &buf);
		crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
		eo.allocator = &a;
		for (size_t i = 0; i < n && rc == CRP_OK; i++)
			rc = crp_emit(crp_emitter_lookup("json"), r[i], &sink, &eo, NULL);
		if (rc == CRP_EIO) /* the buffer sink reports its own allocation failure as a write error */
			rc = CRP_ENOMEM;
		crp_buffer_dispose(&buf);
	}
	tu_free_reports(r, n);
	return rc;
}

static void torture(const char *name, size_t chunk)
{
	char *dir = tu_path(tu_fixtures_dir(), "kscrash");
	char *path = tu_path(dir, name);
	size_t len;
	char *json = tu_read_file(path, &len);
	ck_assert_ptr_nonnull(json);
	tu_alloc st = {0, 0, 0};
	ck_assert_int_eq(convert_with(&st, json, len, chunk), CRP_OK);
	ck_assert_uint_eq(st.live, 0);
	size_t total = st.count;
	ck_assert_uint_gt(total, 5);
	for (size_t k = 1; k <= total; k++) {
		tu_alloc f = {0, 0, k};
		int rc = convert_with(&f, json, len, chunk);
		ck_assert_msg(rc == CRP_ENOMEM || rc == CRP_OK, "%s: failing allocation %zu gave %d", name, k, rc);
		ck_assert_msg(f.live == 0, "%s: failing allocation %zu leaked %zu blocks", name, k, f.live);
	}
	free(json);
	free(path);
	free(dir);
}

START_TEST(every_allocation_may_fail_whole_buffer)
{
	torture("ios12-arm64-nsexception.json", 0);
}
END_TEST

START_TEST(every_allocation_may_fail_streaming)
{
	torture("macos-x86_64-recrash-old-layout.json", 97);
	torture("quirks-trailing-commas.json", 5);
	torture("stream-three-reports.ndjson", 1000);
}
END_TEST

Suite *suite_alloc(void)
{
	Suite *s = suite_create("alloc");
	TCase *tc = tcase_create("torture");
	tcase_set_timeout(tc, 600);
	tcase_set_tags(tc, "slow");
	tcase_add_test(tc, every_allocation_may_fail_whole_buffer);
	tcase_add_test(tc, every_allocation_may_fail_streaming);
	suite_add_tcase(s, tc);
	return s;
}
