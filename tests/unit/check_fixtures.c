/* Our own fixtures: chunk-size independence, golden JSON output byte for byte, round trips,
 * and the must-fail inputs with their expected code, position and path. */
#include <stdlib.h>
#include <string.h>

#include "model/compare.h"
#include "testutil.h"

#define MAX_CHUNK 31

static char **names;
static size_t n_names;
static char **invalid;
static size_t n_invalid;

static void load_names(void)
{
	char *dir = tu_path(tu_fixtures_dir(), "kscrash");
	n_names = tu_list(dir, ".json,.ndjson", &names);
	free(dir);
	dir = tu_path(tu_fixtures_dir(), "invalid");
	n_invalid = tu_list(dir, ".json", &invalid);
	free(dir);
}

static void free_names(void)
{
	tu_free_names(names);
	tu_free_names(invalid);
}

static char *fixture(const char *sub, const char *name, size_t *len)
{
	char *dir = tu_path(tu_fixtures_dir(), sub);
	char *path = tu_path(dir, name);
	char *data = tu_read_file(path, len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	free(dir);
	free(path);
	return data;
}

static void assert_same_reports(crp_report **a, size_t na, crp_report **b, size_t nb, const char *what)
{
	char where[256];
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++)
		ck_assert_msg(crp__report_compare(a[i], b[i], where, sizeof where) == 0,
			      "%s: report %zu differs at %s", what, i, where);
}

/* _i = fixture * MAX_CHUNK + (chunk - 1); odd chunk sizes also switch the whitespace squeezer
 * off, so both input paths are held to the same model and the same warning positions. */
START_TEST(fixture_parses_the_same_in_any_chunks)
{
	size_t fx = (size_t)_i / MAX_CHUNK, chunk = (size_t)_i % MAX_CHUNK + 1;
	crp_parse_options plain = CRP_PARSE_OPTIONS_INIT;
	plain.flags = CRP_PARSE_NO_SQUEEZE;
	size_t len;
	char *data = fixture("kscrash", names[fx], &len);
	crp_report **whole, **pieces;
	size_t nw, np;
	ck_assert_int_eq(tu_parse(data, len, 0, NULL, &whole, &nw, NULL), CRP_OK);
	ck_assert_int_eq(tu_parse(data, len, chunk, chunk % 2 ? &plain : NULL, &pieces, &np, NULL), CRP_OK);
	assert_same_reports(whole, nw, pieces, np, names[fx]);
	/* warnings (with positions) do not depend on chunking either */
	for (size_t i = 0; i < nw; i++) {
		ck_assert_uint_eq(crp_report_warning_count(whole[i]), crp_report_warning_count(pieces[i]));
		for (size_t k = 0; k < crp_report_warning_count(whole[i]); k++)
			ck_assert(memcmp(crp_report_warning(whole[i], k), crp_report_warning(pieces[i], k),
					 sizeof(crp_diag)) == 0);
	}
	tu_free_reports(whole, nw);
	tu_free_reports(pieces, np);
	free(data);
}
END_TEST

static char *golden_name(const char *name)
{
	char *g = malloc(strlen(name) + 16);
	strcpy(g, name);
	char *dot = strrchr(g, '.');
	strcpy(dot, ".json");
	return g;
}

START_TEST(fixture_matches_its_golden_json)
{
	size_t len, glen;
	char *data = fixture("kscrash", names[_i], &len);
	char *gname = golden_name(names[_i]);
	char *golden = fixture("expected", gname, &glen);
	crp_report **r;
	size_t n;
	ck_assert_int_eq(tu_parse(data, len, 0, NULL, &r, &n, NULL), CRP_OK);
	size_t olen;
	char *out = tu_emit("json", r, n, NULL, &olen);
	ck_assert_msg(olen == glen && memcmp(out, golden, glen) == 0,
		      "%s differs from fixtures/expected/%s (regenerate deliberately with "
		      "tests/regen-goldens.sh)", names[_i], gname);
	free(out);
	tu_free_reports(r, n);
	free(golden);
	free(gname);
	free(data);
}
END_TEST

/* parse -> emit -> parse gives an equal model; emitting twice gives the same bytes. */
START_TEST(fixture_round_trips)
{
	size_t len;
	char *data = fixture("kscrash", names[_i], &len);
	crp_report **a, **b;
	size_t na, nb, l1, l2;
	ck_assert_int_eq(tu_parse(data, len, 0, NULL, &a, &na, NULL), CRP_OK);
	static const char *const compact[] = {"indent=0", NULL};
	for (int pass = 0; pass < 2; pass++) {
		const char *const *params = pass ? compact : NULL;
		char *first = tu_emit("json", a, na, params, &l1);
		char *again = tu_emit("json", a, na, params, &l2);
		ck_assert(l1 == l2 && memcmp(first, again, l1) == 0);
		ck_assert_int_eq(tu_parse(first, l1, 0, NULL, &b, &nb, NULL), CRP_OK);
		assert_same_reports(a, na, b, nb, names[_i]);
		char *second = tu_emit("json", b, nb, params, &l2);
		ck_assert_msg(l1 == l2 && memcmp(first, second, l1) == 0, "%s: emit is not idempotent", names[_i]);
		free(second);
		free(again);
		free(first);
		tu_free_reports(b, nb);
	}
	tu_free_reports(a, na);
	free(data);
}
END_TEST

START_TEST(invalid_input_fails_where_expected)
{
	size_t len, elen;
	char *data = fixture("invalid", invalid[_i], &len);
	char *ename = strdup(invalid[_i]);
	strcpy(strrchr(ename, '.'), ".err");
	char *expect = fixture("invalid", ename, &elen);
	char code[32], path[256];
	unsigned long line, col;
	ck_assert_int_eq(sscanf(expect, "%31s %lu:%lu %255s", code, &line, &col, path), 4);
	crp_parse_options plain = CRP_PARSE_OPTIONS_INIT;
	plain.flags = CRP_PARSE_NO_SQUEEZE;
	for (size_t chunk = 0; chunk <= 11; chunk++) {
		crp_report **r;
		size_t n;
		crp_error e;
		int rc = tu_parse(data, len, chunk / 2, chunk % 2 ? &plain : NULL, &r, &n, &e);
		tu_free_reports(r, n);
		ck_assert_msg(rc == e.code, "%s", invalid[_i]);
		const char *name = rc == CRP_ESYNTAX ? "CRP_ESYNTAX" : rc == CRP_ESCHEMA ? "CRP_ESCHEMA"
				 : rc == CRP_EEMPTY ? "CRP_EEMPTY" : rc == CRP_ELIMIT ? "CRP_ELIMIT"
				 : rc == CRP_EUNSUPPORTED ? "CRP_EUNSUPPORTED" : "?";
		ck_assert_msg(strcmp(name, code) == 0, "%s: got %s (%s)", invalid[_i], name, e.message);
		ck_assert_msg(e.line == line && e.column == col, "%s: at %llu:%llu, expected %lu:%lu",
			      invalid[_i], (unsigned long long)e.line, (unsigned long long)e.column, line, col);
		ck_assert_str_eq(e.json_path, strcmp(path, "-") == 0 ? "" : path);
		ck_assert(e.message[0] != '\0');
	}
	free(expect);
	free(ename);
	free(data);
}
END_TEST

Suite *suite_fixtures(void)
{
	Suite *s = suite_create("fixtures");
	load_names();
	TCase *tc = tcase_create("fixtures");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, fixture_parses_the_same_in_any_chunks, 0, (int)(n_names * MAX_CHUNK));
	tcase_add_loop_test(tc, fixture_matches_its_golden_json, 0, (int)n_names);
	tcase_add_loop_test(tc, fixture_round_trips, 0, (int)n_names);
	tcase_add_loop_test(tc, invalid_input_fails_where_expected, 0, (int)n_invalid);
	suite_add_tcase(s, tc);
	/* names stay alive for the whole run (forked tests copy them) */
	atexit(free_names);
	return s;
}
