/* The shared corpus of real reports (../shared/corpus/kscrash), when it is there: every file
 * parses (the one invalid file is repaired with a warning), in any chunk size, and round trips. */
#include <stdlib.h>
#include <string.h>

#include "model/compare.h"
#include "testutil.h"

#define MAX_CHUNK 31

static char **names;
static size_t n_names;

static char *corpus_file(const char *name, size_t *len)
{
	char *path = tu_path(tu_corpus_dir(), name);
	char *data = tu_read_file(path, len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	free(path);
	return data;
}

START_TEST(corpus_report_parses)
{
	size_t len;
	char *data = corpus_file(names[_i], &len);
	crp_report **r;
	size_t n;
	crp_error e;
	int rc = tu_parse(data, len, 0, NULL, &r, &n, &e);
	ck_assert_msg(rc == CRP_OK, "%s: %llu:%llu %s: %s", names[_i], (unsigned long long)e.line,
		      (unsigned long long)e.column, e.json_path, e.message);
	ck_assert_uint_eq(n, 1);
	if (strstr(names[_i], "malformed-trailing-comma")) {
		ck_assert(crp_report_provenance(r[0]) & CRP_PROV_SALVAGED);
		ck_assert_int_eq(crp_report_warning(r[0], crp_report_warning_count(r[0]) - 1)->code, CRP_W_SALVAGED);
	}
	tu_free_reports(r, n);
	free(data);
}
END_TEST

START_TEST(corpus_report_parses_the_same_in_any_chunks)
{
	size_t fx = (size_t)_i / MAX_CHUNK, chunk = (size_t)_i % MAX_CHUNK + 1;
	size_t len;
	char where[256];
	char *data = corpus_file(names[fx], &len);
	crp_report **a, **b;
	size_t na, nb;
	crp_parse_options plain = CRP_PARSE_OPTIONS_INIT;
	plain.flags = CRP_PARSE_NO_SQUEEZE; /* odd chunk sizes: the unsqueezed path */
	ck_assert_int_eq(tu_parse(data, len, 0, NULL, &a, &na, NULL), CRP_OK);
	ck_assert_int_eq(tu_parse(data, len, chunk, chunk % 2 ? &plain : NULL, &b, &nb, NULL), CRP_OK);
	ck_assert_uint_eq(na, nb);
	ck_assert_msg(crp__report_compare(a[0], b[0], where, sizeof where) == 0, "%s, chunk %zu: %s",
		      names[fx], chunk, where);
	ck_assert_uint_eq(crp_report_warning_count(a[0]), crp_report_warning_count(b[0]));
	for (size_t k = 0; k < crp_report_warning_count(a[0]); k++)
		ck_assert_msg(memcmp(crp_report_warning(a[0], k), crp_report_warning(b[0], k), sizeof(crp_diag)) == 0,
			      "%s, chunk %zu: warning %zu differs", names[fx], chunk, k);
	tu_free_reports(a, na);
	tu_free_reports(b, nb);
	free(data);
}
END_TEST

START_TEST(corpus_report_round_trips)
{
	size_t len, l1, l2;
	char where[256];
	char *data = corpus_file(names[_i], &len);
	crp_report **a, **b;
	size_t na, nb;
	ck_assert_int_eq(tu_parse(data, len, 0, NULL, &a, &na, NULL), CRP_OK);
	char *first = tu_emit("json", a, na, NULL, &l1);
	ck_assert_int_eq(tu_parse(first, l1, 0, NULL, &b, &nb, NULL), CRP_OK);
	ck_assert_msg(crp__report_compare(a[0], b[0], where, sizeof where) == 0, "%s: %s", names[_i], where);
	char *second = tu_emit("json", b, nb, NULL, &l2);
	ck_assert_msg(l1 == l2 && memcmp(first, second, l1) == 0, "%s: emit not idempotent", names[_i]);
	free(first);
	free(second);
	tu_free_reports(a, na);
	tu_free_reports(b, nb);
	free(data);
}
END_TEST

/* KSCrash's fixer test pair: the raw file and its processed form are the same report. */
START_TEST(raw_and_processed_forms_agree)
{
	static const char *const pair[2] = {"ks-v3.1.0-x86sim-ios10-cppexception-raw.json",
					    "ks-v3.1.0-x86sim-ios10-cppexception-processed.json"};
	char *out[2];
	for (int k = 0; k < 2; k++) {
		size_t len;
		char *data = corpus_file(pair[k], &len);
		crp_report **r;
		size_t n;
		ck_assert_int_eq(tu_parse(data, len, 0, NULL, &r, &n, NULL), CRP_OK);
		out[k] = tu_emit("json", r, n, NULL, NULL);
		tu_free_reports(r, n);
		free(data);
	}
	ck_assert_str_eq(out[0], out[1]);
	ck_assert_ptr_nonnull(strstr(out[0], "\"timestamp\": \"2016-11-07T23:17:23Z\""));
	free(out[0]);
	free(out[1]);
}
END_TEST

START_TEST(corpus_absent)
{
	/* Not a failure: the project builds and passes without ../shared. */
	fprintf(stderr, "note: ../shared/corpus not found; corpus tests skipped\n");
}
END_TEST

static void free_names(void)
{
	tu_free_names(names);
}

Suite *suite_corpus(void)
{
	Suite *s = suite_create("corpus");
	TCase *tc = tcase_create("corpus");
	tcase_set_timeout(tc, 900);
	if (!tu_corpus_dir()) {
		tcase_add_test(tc, corpus_absent);
		suite_add_tcase(s, tc);
		return s;
	}
	n_names = tu_list(tu_corpus_dir(), ".json", &names);
	atexit(free_names);
	tcase_add_loop_test(tc, corpus_report_parses, 0, (int)n_names);
	tcase_add_loop_test(tc, corpus_report_round_trips, 0, (int)n_names);
	tcase_add_test(tc, raw_and_processed_forms_agree);
	/* CRP_TEST_QUICK (valgrind runs) checks three chunk sizes instead of 31 */
	int step = getenv("CRP_TEST_QUICK") ? 10 : 1;
	for (int i = 0; i < (int)(n_names * MAX_CHUNK); i += step)
		tcase_add_loop_test(tc, corpus_report_parses_the_same_in_any_chunks, i, i + 1);
	suite_add_tcase(s, tc);
	return s;
}
