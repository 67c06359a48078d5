/* The streaming reader on small inline inputs: every layout rule, warning and limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Parse one report from a string; fails the test unless the status is `expect`. */
static crp_report *parse_as(const char *json, const crp_parse_options *opts, int expect, crp_error *err)
{
	crp_report *r = NULL;
	crp_error e;
	int rc = crp_report_parse(&r, json, strlen(json), opts, &e);
	ck_assert_msg(rc == expect, "status %d (%s: %s), expected %d", rc, e.json_path, e.message, expect);
	if (err)
		*err = e;
	return r;
}

static crp_report *parse_ok(const char *json)
{
	return parse_as(json, NULL, CRP_OK, NULL);
}

static bool has_warning(const crp_report *r, int code, const char *path)
{
	for (size_t i = 0; i < crp_report_warning_count(r); i++) {
		const crp_diag *d = crp_report_warning(r, i);
		if (d->code == code && (!path || strcmp(d->json_path, path) == 0))
			return true;
	}
	return false;
}

static char *emit_compact(crp_report *r)
{
	static const char *const compact[] = {"indent=0", NULL};
	return tu_emit("json", &r, 1, compact, NULL);
}

START_TEST(numbers_read_as_text)
{
	crp_report *r = parse_ok(
		"{\"crash\":{\"error\":{\"mach\":{\"code\":\"0x1\",\"subcode\":\"0x42\"},\"address\":-8},"
		"\"threads\":[{\"registers\":{\"basic\":{\"x15\":18446744073709551615,\"lr\":-1,"
		"\"pc\":5850293224131488452}}}]},"
		"\"binary_images\":[{\"image_addr\":4.294967296e9,\"cpu_subtype\":-2147483646}]}");
	const crp_crash *c = crp_report_crash(r);
	ck_assert_uint_eq(c->error.mach.code, 1);
	ck_assert_uint_eq(c->error.mach.subcode, 0x42);
	ck_assert_uint_eq(c->error.address, UINT64_C(0xfffffffffffffff8));
	const crp_regset *b = &c->threads[0].registers.basic;
	ck_assert_uint_eq(b->count, 3);
	ck_assert_str_eq(b->regs[0].name, "x15");
	ck_assert_uint_eq(b->regs[0].value, UINT64_MAX);
	ck_assert_uint_eq(b->regs[1].value, UINT64_MAX);
	ck_assert_str_eq(b->regs[2].name, "pc");
	ck_assert_uint_eq(b->regs[2].value, UINT64_C(5850293224131488452));
	size_t n;
	const crp_image *im = crp_report_images(r, &n);
	ck_assert_uint_eq(im[0].image_addr, UINT64_C(4294967296));
	ck_assert_int_eq(im[0].cpu_subtype, (int32_t)0x80000002u);
	ck_assert_uint_eq(crp_report_warning_count(r), 0);
	crp_report_free(r);
}
END_TEST

/* int32 fields take either reading of 32 bits (the reader's fast path must agree with the
 * general one at every boundary); beyond both, the value is kept untyped with a warning. */
START_TEST(int32_boundaries)
{
	static const struct { const char *text; bool typed; int32_t value; } cases[] = {
		{"0", true, 0}, {"-0", true, 0}, {"7", true, 7}, {"-1", true, -1},
		{"2147483647", true, INT32_MAX}, {"-2147483648", true, INT32_MIN},
		{"2147483648", true, INT32_MIN}, {"4294967295", true, -1},
		{"-2147483649", false, 0}, {"4294967296", false, 0}, {"99999999999999999", false, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char json[128];
		snprintf(json, sizeof json, "{\"report\":{},\"binary_images\":[{\"cpu_type\":%s}]}",
			 cases[i].text);
		crp_report *r = parse_ok(json);
		size_t n;
		const crp_image *im = crp_report_images(r, &n);
		ck_assert_msg(CRP_HAS(&im[0], CRP_IMAGE_CPU_TYPE) == cases[i].typed, "%s", cases[i].text);
		if (cases[i].typed)
			ck_assert_int_eq(im[0].cpu_type, cases[i].value);
		ck_assert_uint_eq(crp_report_warning_count(r), cases[i].typed ? 0 : 1);
		crp_report_free(r);
	}
}
END_TEST

START_TEST(version_forms)
{
	crp_report *r = parse_ok("{\"report\":{\"version\":\"3.2.0\"}}");
	const crp_version *v = &crp_report_info(r)->version;
	ck_assert_int_eq(v->form, CRP_VERSION_FORM_STRING);
	ck_assert_uint_eq(v->major, 3);
	ck_assert_uint_eq(v->minor, 2);
	ck_assert(CRP_HAS(v, CRP_VER_PATCH));
	ck_assert_str_eq(v->text, "3.2.0");
	crp_report_free(r);

	r = parse_ok("{\"report\":{\"version\":{\"major\":2,\"minor\":0}}}");
	v = &crp_report_info(r)->version;
	ck_assert_int_eq(v->form, CRP_VERSION_FORM_OBJECT);
	ck_assert_uint_eq(v->major, 2);
	ck_assert(!CRP_HAS(v, CRP_VER_PATCH));
	ck_assert_str_eq(v->text, "2.0.0");
	crp_report_free(r);

	r = parse_ok("{\"report_version_minor\":0,\"report_version_major\":1,\"crash_id\":\"X\"}");
	v = &crp_report_info(r)->version;
	ck_assert_int_eq(v->form, CRP_VERSION_FORM_LEGACY);
	ck_assert_uint_eq(v->major, 1);
	ck_assert(CRP_HAS(v, CRP_VER_MINOR));
	ck_assert_str_eq(crp_report_info(r)->id, "X");
	ck_assert(crp_report_provenance(r) & CRP_PROV_LEGACY_2012);
	crp_report_free(r);

	r = parse_ok("{\"report\":{\"version\":\"3.x\"}}");
	v = &crp_report_info(r)->version;
	ck_assert_uint_eq(v->major, 3);
	ck_assert(!CRP_HAS(v, CRP_VER_MINOR));
	ck_assert_str_eq(v->text, "3.x");
	crp_report_free(r);
}
END_TEST

static crp_time timestamp_of(const char *json)
{
	crp_report *r = parse_ok(json);
	crp_time t = crp_report_info(r)->timestamp;
	crp_report_free(r);
	return t;
}

START_TEST(timestamps_in_every_form)
{
	crp_time t = timestamp_of("{\"report\":{\"version\":\"3.1.0\",\"timestamp\":1478560643}}");
	ck_assert_int_eq(t.form, CRP_TIME_UNIX_SECONDS);
	ck_assert_int_eq(t.usec, INT64_C(1478560643000000));
	/* keys in any order: the version arrives after the timestamp */
	t = timestamp_of("{\"report\":{\"timestamp\":1716226564474658,\"version\":\"3.3.0\"}}");
	ck_assert_int_eq(t.form, CRP_TIME_UNIX_MICROS);
	ck_assert_int_eq(t.usec, INT64_C(1716226564474658));
	/* no version, but far too large for seconds */
	t = timestamp_of("{\"report\":{\"timestamp\":1716226564474658}}");
	ck_assert_int_eq(t.form, CRP_TIME_UNIX_MICROS);
	t = timestamp_of("{\"report\":{\"timestamp\":\"2016-11-07T23:17:23Z\"}}");
	ck_assert_int_eq(t.form, CRP_TIME_TEXT);
	ck_assert_int_eq(t.usec, INT64_C(1478560643000000));
	t = timestamp_of("{\"report\":{\"timestamp\":\"2024-05-20T17:36:04.474658Z\"}}");
	ck_assert_int_eq(t.form, CRP_TIME_TEXT_FRACTION);
	ck_assert_int_eq(t.usec, INT64_C(1716226564474658));
	t = timestamp_of("{\"report\":{\"timestamp\":\"\"}}");
	ck_assert_int_eq(t.form, CRP_TIME_EMPTY);
	/* the 2012 layout: a top-level timestamp */
	t = timestamp_of("{\"timestamp\":\"2012-06-16T22:31:55Z\",\"crash_id\":\"A\"}");
	ck_assert_int_eq(t.usec, INT64_C(1339885915000000));
	/* other times are text in KSCrash: an integer is seconds (whatever the version), unless
	 * too large to be */
	crp_report *r = parse_ok("{\"report\":{\"version\":\"3.3.0\"},\"system\":{"
				 "\"app_start_time\":1552575731,\"boot_time\":1552575731123456}}");
	const crp_system *s = crp_report_system(r);
	ck_assert_int_eq(s->app_start_time.form, CRP_TIME_UNIX_SECONDS);
	ck_assert_int_eq(s->app_start_time.usec, INT64_C(1552575731000000));
	ck_assert_int_eq(s->boot_time.form, CRP_TIME_UNIX_MICROS);
	ck_assert_int_eq(s->boot_time.usec, INT64_C(1552575731123456));
	crp_report_free(r);
}
END_TEST

START_TEST(old_recrash_layout_is_normalised)
{
	crp_report *r = parse_ok(
		"{\"report\":{\"id\":\"A\",\"type\":\"standard\"},\"crash\":{\"threads\":[]},\"incomplete\":true,"
		"\"recrash_report\":{\"report\":{\"id\":\"A\",\"type\":\"minimal\"},"
		"\"crash\":{\"crashed_thread\":{\"index\":5,\"crashed\":true}}}}");
	ck_assert_str_eq(crp_report_info(r)->type, "minimal");
	ck_assert(crp_report_provenance(r) & CRP_PROV_RECRASH_OLD);
	size_t idx;
	const crp_thread *t = crp_report_crashed_thread(r, &idx);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->index, 5);
	ck_assert_uint_eq(idx, SIZE_MAX);
	const crp_report *orig = crp_report_recrash(r);
	ck_assert_ptr_nonnull(orig);
	ck_assert_str_eq(crp_report_info(orig)->type, "standard");
	ck_assert(crp_report_is_incomplete(orig));
	ck_assert(!crp_report_is_incomplete(r));
	ck_assert_ptr_null(crp_report_recrash(orig));
	crp_report_free((crp_report *)orig); /* ignored: owned by r */
	char *json = emit_compact(r);
	ck_assert_str_eq(json, "{\"recrash_report\":{\"report\":{\"id\":\"A\",\"type\":\"standard\"},"
			       "\"crash\":{\"threads\":[]},\"incomplete\":true},\"report\":{\"id\":\"A\","
			       "\"type\":\"minimal\"},\"crash\":{\"crashed_thread\":{\"index\":5,"
			       "\"crashed\":true}}}\n");
	free(json);
	crp_report_free(r);
}
END_TEST

START_TEST(atcrash_sections_merge)
{
	crp_report *r = parse_ok(
		"{\"report\":{},\"system\":{\"memory\":{\"size\":100},\"process_name\":\"P\"},\"user\":{\"a\":1},"
		"\"system_atcrash\":{\"memory\":{\"usable\":50,\"free\":10},"
		"\"application_stats\":{\"application_active\":true}},\"user_atcrash\":{\"b\":2}}");
	const crp_system *s = crp_report_system(r);
	ck_assert_uint_eq(s->memory.size, 100);
	ck_assert_uint_eq(s->memory.usable, 50);
	ck_assert_uint_eq(s->memory.free, 10);
	ck_assert(CRP_HAS(&s->application_stats, CRP_STATS_APPLICATION_ACTIVE));
	const crp_value *u = crp_report_user(r);
	ck_assert_uint_eq(u->u.obj.count, 2);
	ck_assert_ptr_nonnull(crp_value_get(u, "b"));
	ck_assert(crp_report_provenance(r) & CRP_PROV_ATCRASH_MERGED);
	ck_assert_uint_eq(crp_report_warning_count(r), 0);
	crp_report_free(r);
}
END_TEST

START_TEST(layout_2012_reads_into_the_same_model)
{
	crp_report *r = parse_ok(
		"{\"crash\":{\"binary_images\":[{\"image_addr\":4096,\"image_size\":8192,\"name\":\"/a/App\"}],"
		"\"error\":{\"mach_exception\":\"EXC_CRASH\",\"signal\":6,\"signal_name\":\"SIGABRT\","
		"\"nsexception\":{\"name\":\"N\",\"reason\":\"R\"},\"nsexception_name\":\"N\","
		"\"nsexception_reason\":\"R\",\"type\":\"nsexception\"},"
		"\"threads\":[{\"backtrace\":[{\"instruction_addr\":4100}],\"backtrace_skipped\":2,"
		"\"registers\":{\"pc\":4100,\"r0\":1},\"crashed\":true}]},"
		"\"system\":{\"mem_size\":1000,\"application_active\":true,\"cpu_freq\":600},"
		"\"report_version_major\":1,\"report_version_minor\":0,\"crash_id\":\"C\"}");
	size_t n;
	const crp_image *im = crp_report_images(r, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_eq(crp_report_image_at(r, 4100), im);
	const crp_crash_error *e = &crp_report_crash(r)->error;
	ck_assert_str_eq(e->mach.exception_name, "EXC_CRASH");
	ck_assert_uint_eq(e->signal.signal, 6);
	ck_assert_str_eq(e->signal.name, "SIGABRT");
	ck_assert_str_eq(e->nsexception.name, "N");
	ck_assert_str_eq(e->reason, "R");
	const crp_thread *t = &crp_report_crash(r)->threads[0];
	ck_assert_uint_eq(t->backtrace.frame_count, 1);
	ck_assert_uint_eq(t->backtrace.skipped, 2);
	ck_assert_uint_eq(t->registers.basic.count, 2);
	const crp_system *s = crp_report_system(r);
	ck_assert_uint_eq(s->memory.size, 1000);
	ck_assert(s->application_stats.application_active);
	ck_assert_ptr_nonnull(crp_extras_get(&s->extras, "cpu_freq"));
	ck_assert_uint_eq(crp_report_warning_count(r), 0); /* same facts twice are not duplicates */
	crp_report_free(r);
}
END_TEST

START_TEST(several_reports_in_one_stream)
{
	static const char *const streams[] = {
		"{\"report\":{\"id\":\"1\"}}\n{\"report\":{\"id\":\"2\"}}\n{\"report\":{\"id\":\"3\"}}\n",
		"{\"report\":{\"id\":\"1\"}}{\"report\":{\"id\":\"2\"}} {\"report\":{\"id\":\"3\"}}",
	};
	for (size_t k = 0; k < 2; k++) {
		for (size_t chunk = 1; chunk <= 7; chunk++) {
			crp_report **r;
			size_t n;
			ck_assert_int_eq(tu_parse(streams[k], strlen(streams[k]), chunk, NULL, &r, &n, NULL), CRP_OK);
			ck_assert_uint_eq(n, 3);
			ck_assert_str_eq(crp_report_info(r[0])->id, "1");
			ck_assert_str_eq(crp_report_info(r[2])->id, "3");
			tu_free_reports(r, n);
		}
	}
	crp_error e;
	crp_report *one;
	ck_assert_int_eq(crp_report_parse(&one, streams[0], strlen(streams[0]), NULL, &e), CRP_ESCHEMA);
	ck_assert_ptr_null(one);
}
END_TEST

START_TEST(truncated_input_keeps_what_was_complete)
{
	static const char json[] =
		"{\"report\":{\"id\":\"T\"},\"crash\":{\"threads\":[{\"index\":0,\"backtrace\":{\"contents\":"
		"[{\"instruction_addr\":4096},{\"instruction_addr\":123456789";
	crp_report **r;
	size_t n;
	ck_assert_int_eq(tu_parse(json, strlen(json), 0, NULL, &r, &n, NULL), CRP_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert(crp_report_is_incomplete(r[0]));
	ck_assert(crp_report_provenance(r[0]) & CRP_PROV_TRUNCATED);
	ck_assert(has_warning(r[0], CRP_W_TRUNCATED, "crash.threads[0].backtrace.contents[1].instruction_addr"));
	const crp_backtrace *bt = &crp_report_crash(r[0])->threads[0].backtrace;
	ck_assert_uint_eq(bt->frame_count, 2);
	ck_assert_uint_eq(bt->frames[0].instruction_addr, 4096);
	/* the last number may have lost digits: it is not kept */
	ck_assert(!CRP_HAS(&bt->frames[1], CRP_FRAME_INSTRUCTION_ADDR));
	tu_free_reports(r, n);

	crp_parse_options strict = CRP_PARSE_OPTIONS_INIT;
	strict.flags = CRP_PARSE_STRICT;
	crp_error e;
	ck_assert_int_eq(tu_parse(json, strlen(json), 0, &strict, &r, &n, &e), CRP_ETRUNCATED);
	ck_assert_uint_eq(n, 0);
	ck_assert_str_eq(e.json_path, "crash.threads[0].backtrace.contents[1].instruction_addr");
	free(r);
}
END_TEST

/* Every prefix of a report is empty, ends before the report began (no "report" object yet: not
 * a report), or salvages into an incomplete report. */
START_TEST(every_prefix_salvages)
{
	static const char json[] =
		"{\"report\":{\"id\":\"P\",\"version\":\"3.2.0\"},\"binary_images\":[{\"image_addr\":1,"
		"\"name\":\"/x\"}],\"crash\":{\"error\":{\"type\":\"mach\"},\"threads\":[{\"backtrace\":"
		"{\"contents\":[{\"instruction_addr\":2}]},\"registers\":{\"basic\":{\"pc\":3}},"
		"\"name\":\"t\\u00e9\"}]},\"user\":{\"k\":[1,{\"z\":null}]}}";
	size_t len = strlen(json);
	for (size_t cut = 0; cut <= len; cut++) {
		crp_report **r;
		size_t n;
		crp_error e;
		int rc = tu_parse(json, cut, 0, NULL, &r, &n, &e);
		if (cut == 0) {
			ck_assert_int_eq(rc, CRP_EEMPTY);
		} else if (cut < strlen("{\"report\":{")) {
			ck_assert_msg(rc == CRP_ESCHEMA, "cut %zu: %s", cut, e.message);
			ck_assert_ptr_nonnull(strstr(e.message, "input ends before"));
		} else {
			ck_assert_msg(rc == CRP_OK, "cut %zu: %s", cut, e.message);
			ck_assert_uint_eq(n, 1);
			ck_assert(crp_report_is_incomplete(r[0]) == (cut < len));
		}
		tu_free_reports(r, n);
	}
}
END_TEST

/* The same syntax error in every chunking up to max_chunk (0: in one piece), at line:column
 * (line 0: not checked) with the JSON path, and no report read. */
static void syntax_error_in_any_chunks(const char *json, size_t max_chunk, uint64_t line, uint64_t column,
				       const char *path)
{
	for (size_t chunk = 0; chunk <= max_chunk; chunk++) {
		crp_report **r;
		size_t n;
		crp_error e;
		ck_assert_int_eq(tu_parse(json, strlen(json), chunk, NULL, &r, &n, &e), CRP_ESYNTAX);
		ck_assert_msg(n == 0 && (!line || e.line == line) && e.column == column, "%s, chunk %zu: at %llu:%llu",
			      json, chunk, (unsigned long long)e.line, (unsigned long long)e.column);
		ck_assert_str_eq(e.json_path, path);
		tu_free_reports(r, n);
	}
}

START_TEST(trailing_commas_are_repaired)
{
	static const char json[] = "{\"report\":{\"id\":\"C\",},\"user\":{\"a\":[1,2,],\"b\":{\"c\":1,},},}";
	for (size_t chunk = 0; chunk <= 9; chunk++) {
		crp_report **r;
		size_t n;
		ck_assert_int_eq(tu_parse(json, strlen(json), chunk, NULL, &r, &n, NULL), CRP_OK);
		ck_assert(crp_report_provenance(r[0]) & CRP_PROV_SALVAGED);
		ck_assert(has_warning(r[0], CRP_W_SALVAGED, "user.a[2]"));
		char *out = emit_compact(r[0]);
		ck_assert_str_eq(out, "{\"report\":{\"id\":\"C\"},\"user\":{\"a\":[1,2],\"b\":{\"c\":1}}}\n");
		free(out);
		tu_free_reports(r, n);
	}
	crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
	o.flags = CRP_PARSE_NO_SALVAGE;
	crp_error e;
	parse_as(json, &o, CRP_ESYNTAX, &e);
	ck_assert_str_eq(e.json_path, "report");
	ck_assert_uint_eq(e.line, 1);
	ck_assert_uint_eq(e.column, 21);
	/* not a trailing comma: a comma with nothing before it */
	parse_as("{\"user\":[,1]}", NULL, CRP_ESYNTAX, NULL);
	parse_as("{\"user\":{,}}", NULL, CRP_ESYNTAX, NULL);
	/* nor a closing bracket yajl stepped back to from the token after it (chunking fuzz
	 * finding: a missing comma was "repaired" when the bracket and the next token came in one
	 * chunk, and a syntax error when they came in two) */
	syntax_error_in_any_chunks("{\"user\":{\"a\":{\"b\":1}{\"c\":2}},\"crash\":{}}", 24, 0, 21, "user");
	/* a repaired comma, then a bracket that does not fit: the error is at that bracket, not a
	 * second "repair" popping one level after another until the report ended early */
	syntax_error_in_any_chunks("{\"crash\":{\"error\":{\"address\":0,}],\"x\":1}}", 24, 0, 33, "crash");
}
END_TEST

/* An error inside a string is located at the string's opening quote, whether the string came
 * in one chunk or was carried across many, escaped slashes or not (chunking fuzz findings: the
 * column depended on the chunk size). */
START_TEST(string_errors_are_located_in_any_chunks)
{
	syntax_error_in_any_chunks("{\"report\":{\"id\":\"x\", \"n\":\"ab\001cd\"}}", 12, 1, 26, "report.n");
	syntax_error_in_any_chunks("{\"report\":{\"id\":\"x\", \"n\":\"\001\"}}", 12, 1, 26, "report.n");
	syntax_error_in_any_chunks("{\"report\":{\"id\":\"x\", \"n\":\"a\\\"b\\q\"}}", 12, 1, 26, "report.n");
	syntax_error_in_any_chunks("{\"report\":{\"id\":\"x\", \"n\":\"\\/a\\/b\\/c\001\"}}", 12, 1, 26, "report.n");
	/* and a comment at its '/' (yajl's lexer steps back to it) */
	syntax_error_in_any_chunks("{\"report\":{\"id\":\"x\",\n /* c */ \"a\":1}}", 12, 2, 2, "report");
}
END_TEST

START_TEST(mistyped_values_are_kept_untyped)
{
	crp_report *r = parse_ok(
		"{\"system\":{\"machine\":12345,\"jailbroken\":\"yes\",\"boot_time\":null,"
		"\"app_start_time\":\"yesterday\",\"cpu_type\":99999999999},"
		"\"binary_images\":[0,{\"uuid\":\"nope\",\"name\":\"a\\u0000b\"},\"x\"],"
		"\"crash\":{\"threads\":{\"not\":\"an array\"}}}");
	const crp_system *s = crp_report_system(r);
	ck_assert_str_eq(s->machine, "12345");
	ck_assert(has_warning(r, CRP_W_TYPE, "system.machine"));
	ck_assert(!CRP_HAS(s, CRP_SYSTEM_JAILBROKEN));
	ck_assert(has_warning(r, CRP_W_TYPE, "system.jailbroken"));
	ck_assert(!CRP_HAS(s, CRP_SYSTEM_BOOT_TIME));
	ck_assert(!has_warning(r, CRP_W_TYPE, "system.boot_time")); /* null is not a mistake */
	ck_assert_ptr_nonnull(crp_extras_get(&s->extras, "boot_time"));
	ck_assert(has_warning(r, CRP_W_VALUE, "system.app_start_time"));
	ck_assert(has_warning(r, CRP_W_NUMBER, "system.cpu_type"));
	size_t n;
	const crp_image *im = crp_report_images(r, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert(!CRP_HAS(&im[0], CRP_IMAGE_UUID));
	ck_assert(!CRP_HAS(&im[0], CRP_IMAGE_NAME));
	const crp_value *name = crp_extras_get(&im[0].extras, "name");
	ck_assert_uint_eq(name->u.str.len, 3);
	const crp_strays *st = crp_report_image_strays(r);
	ck_assert_uint_eq(st->count, 2);
	ck_assert_uint_eq(st->items[0].index, 0);
	ck_assert_uint_eq(st->items[1].index, 2);
	ck_assert(has_warning(r, CRP_W_TYPE, "crash.threads"));
	char *out = emit_compact(r);
	ck_assert_ptr_nonnull(strstr(out, "\"binary_images\":[0,{\"uuid\":\"nope\",\"name\":\"a\\u0000b\"},\"x\"]"));
	free(out);
	crp_report_free(r);

	crp_parse_options strict = CRP_PARSE_OPTIONS_INIT;
	strict.flags = CRP_PARSE_STRICT;
	crp_error e;
	parse_as("{\"crash\":{\"threads\":[{\"index\":\"seven\"}]}}", &strict, CRP_ESCHEMA, &e);
	ck_assert_str_eq(e.json_path, "crash.threads[0].index");
	ck_assert_uint_eq(e.column, 31);
}
END_TEST

START_TEST(duplicates_are_kept)
{
	crp_report *r = parse_ok("{\"report\":{\"id\":\"first\",\"id\":\"second\"},\"user\":{\"k\":1,\"k\":2}}");
	ck_assert_str_eq(crp_report_info(r)->id, "first");
	ck_assert(has_warning(r, CRP_W_DUPLICATE, "report.id"));
	const crp_value *dup = crp_extras_get(&crp_report_info(r)->extras, "id");
	ck_assert_str_eq(dup->u.str.ptr, "second");
	ck_assert_uint_eq(crp_report_user(r)->u.obj.count, 2); /* generic objects keep both */
	crp_report_free(r);
}
END_TEST

START_TEST(invalid_utf8_is_repaired)
{
	crp_report *r = parse_ok("{\"report\":{\"id\":\"caf\xe9\"},\"user\":{\"k\xff\":\"ok\"}}");
	ck_assert_str_eq(crp_report_info(r)->id, "caf\xef\xbf\xbd");
	ck_assert(has_warning(r, CRP_W_UTF8, "report.id"));
	ck_assert(has_warning(r, CRP_W_UTF8, "user"));
	crp_report_free(r);
}
END_TEST

START_TEST(byte_order_mark_is_skipped)
{
	crp_report **r;
	size_t n;
	static const char json[] = "\xef\xbb\xbf{\"report\":{\"id\":\"B\"}}";
	for (size_t chunk = 0; chunk < 5; chunk++) {
		ck_assert_int_eq(tu_parse(json, strlen(json), chunk, NULL, &r, &n, NULL), CRP_OK);
		ck_assert_str_eq(crp_report_info(r[0])->id, "B");
		tu_free_reports(r, n);
	}
}
END_TEST

static char *nested(size_t depth)
{
	char *s = malloc(depth * 2 + 32);
	size_t n = (size_t)sprintf(s, "{\"crash\":{},\"user\":");
	for (size_t i = 0; i < depth; i++)
		s[n++] = '[';
	for (size_t i = 0; i < depth; i++)
		s[n++] = ']';
	strcpy(s + n, "}");
	return s;
}

START_TEST(limits_are_enforced)
{
	crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
	crp_error e;
	crp_report *r;
	char *deep = nested(200);
	parse_as(deep, NULL, CRP_ELIMIT, &e);
	ck_assert_ptr_nonnull(strstr(e.message, "nesting deeper than 128"));
	o.max_depth = 300;
	r = parse_as(deep, &o, CRP_OK, NULL);
	crp_report_free(r);
	free(deep);

	o = (crp_parse_options)CRP_PARSE_OPTIONS_INIT;
	o.max_string_bytes = 8;
	parse_as("{\"report\":{\"id\":\"0123456789\"}}", &o, CRP_ELIMIT, &e);
	ck_assert_str_eq(e.json_path, "report.id");
	crp_report_free(parse_as("{\"report\":{\"id\":\"01234567\"}}", &o, CRP_OK, NULL));

	o = (crp_parse_options)CRP_PARSE_OPTIONS_INIT;
	o.max_items = 3;
	parse_as("{\"user\":[1,2,3,4]}", &o, CRP_ELIMIT, &e);
	ck_assert_str_eq(e.json_path, "user[3]");
	parse_as("{\"user\":{\"a\":1,\"b\":2,\"c\":3,\"d\":4}}", &o, CRP_ELIMIT, &e);

	o = (crp_parse_options)CRP_PARSE_OPTIONS_INIT;
	o.max_report_bytes = 64;
	parse_as("{\"user\":[\"0123456789\",\"0123456789\",\"0123456789\",\"0123456789\",\"0123456789\"]}", &o,
		 CRP_ELIMIT, &e);
	/* the limit is per report: many small reports in one stream are fine */
	crp_report **rs;
	size_t n;
	char stream[4096] = "";
	for (int i = 0; i < 50; i++)
		strcat(stream, "{\"report\":{\"id\":\"abc\"}}\n");
	ck_assert_int_eq(tu_parse(stream, strlen(stream), 7, &o, &rs, &n, NULL), CRP_OK);
	ck_assert_uint_eq(n, 50);
	tu_free_reports(rs, n);

	o = (crp_parse_options)CRP_PARSE_OPTIONS_INIT;
	o.max_memory = 1 << 16;
	char *big = malloc(200000);
	strcpy(big, "{\"user\":[");
	size_t len = strlen(big);
	for (int i = 0; i < 20000; i++) {
		memcpy(big + len, i ? ",0" : "0", 2);
		len += i ? 2 : 1;
	}
	strcpy(big + len, "]}");
	parse_as(big, &o, CRP_ELIMIT, &e);
	ck_assert_ptr_nonnull(strstr(e.message, "memory"));
	free(big);

	o = (crp_parse_options)CRP_PARSE_OPTIONS_INIT;
	o.max_warnings = 2;
	r = parse_as("{\"report\":{\"id\":1,\"type\":2,\"run_id\":3,\"monitor_id\":4}}", &o, CRP_OK, NULL);
	ck_assert_uint_eq(crp_report_warning_count(r), 3);
	ck_assert_int_eq(crp_report_warning(r, 2)->code, CRP_W_SUPPRESSED);
	crp_report_free(r);
}
END_TEST

START_TEST(api_misuse_is_an_error)
{
	crp_parser *p;
	crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
	o.version = 99;
	ck_assert_int_eq(crp_parser_new(&p, &o), CRP_EINVAL);
	ck_assert_int_eq(crp_parser_new(NULL, NULL), CRP_EINVAL);
	ck_assert_int_eq(crp_parser_new(&p, NULL), CRP_OK);
	ck_assert_int_eq(crp_parser_feed(p, NULL, 3), CRP_EINVAL);
	ck_assert_int_eq(crp_parser_feed(p, "{\"crash\":{}}", 12), CRP_OK);
	ck_assert_int_eq(crp_parser_finish(p), CRP_OK);
	ck_assert_int_eq(crp_parser_feed(p, "{}", 2), CRP_EINVAL);
	ck_assert_int_eq(crp_parser_report_count(p), 1);
	crp_parser_free(p);
	crp_parser_free(NULL);
	crp_report_free(NULL);
	ck_assert_int_eq(crp_report_parse(NULL, "{}", 2, NULL, NULL), CRP_EINVAL);
	/* a failed parser stays failed */
	ck_assert_int_eq(crp_parser_new(&p, NULL), CRP_OK);
	ck_assert_int_eq(crp_parser_feed(p, "[", 1), CRP_ESCHEMA);
	ck_assert_int_eq(crp_parser_feed(p, "{}", 2), CRP_ESCHEMA);
	ck_assert_int_eq(crp_parser_finish(p), CRP_ESCHEMA);
	crp_parser_free(p);
}
END_TEST

START_TEST(positions_count_lines_across_chunks)
{
	static const char json[] = "{\n  \"report\": {\n    \"id\": \"x\",\n    \"type\": 7\n  }\n}\n";
	crp_parse_options strict = CRP_PARSE_OPTIONS_INIT;
	strict.flags = CRP_PARSE_STRICT;
	for (size_t chunk = 0; chunk < 12; chunk++) {
		crp_report **r;
		size_t n;
		crp_error e;
		ck_assert_int_eq(tu_parse(json, strlen(json), chunk, &strict, &r, &n, &e), CRP_ESCHEMA);
		ck_assert_uint_eq(e.line, 4);
		ck_assert_uint_eq(e.column, 13);
		ck_assert_uint_eq(e.byte_offset, 43);
		ck_assert_str_eq(e.json_path, "report.type");
		tu_free_reports(r, n);
	}
}
END_TEST

Suite *suite_parse(void)
{
	Suite *s = suite_create("parse");
	TCase *tc = tcase_create("reader");
	tcase_add_test(tc, numbers_read_as_text);
	tcase_add_test(tc, int32_boundaries);
	tcase_add_test(tc, version_forms);
	tcase_add_test(tc, timestamps_in_every_form);
	tcase_add_test(tc, old_recrash_layout_is_normalised);
	tcase_add_test(tc, atcrash_sections_merge);
	tcase_add_test(tc, layout_2012_reads_into_the_same_model);
	tcase_add_test(tc, several_reports_in_one_stream);
	tcase_add_test(tc, truncated_input_keeps_what_was_complete);
	tcase_add_test(tc, every_prefix_salvages);
	tcase_add_test(tc, trailing_commas_are_repaired);
	tcase_add_test(tc, string_errors_are_located_in_any_chunks);
	tcase_add_test(tc, mistyped_values_are_kept_untyped);
	tcase_add_test(tc, duplicates_are_kept);
	tcase_add_test(tc, invalid_utf8_is_repaired);
	tcase_add_test(tc, byte_order_mark_is_skipped);
	tcase_add_test(tc, limits_are_enforced);
	tcase_add_test(tc, api_misuse_is_an_error);
	tcase_add_test(tc, positions_count_lines_across_chunks);
	suite_add_tcase(s, tc);
	return s;
}
