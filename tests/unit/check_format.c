/* The format table and crp_reader (crashport/format.h): detection by content, forced formats,
 * chunk boundaries inside the bytes detection keeps, and crp_convert reading any format. */
#include <stdlib.h>
#include <string.h>

#include "model/compare.h"
#include "testutil.h"

static const char json_report[] =
	"{\"report\":{\"id\":\"F1\",\"version\":\"3.3.0\"},\"crash\":{\"threads\":[{\"index\":0,"
	"\"crashed\":true,\"backtrace\":{\"contents\":[{\"instruction_addr\":4096}]}}]}}\n";

/* json_report as CRPB, written by the library itself. */
static char *to_crpb(const char *json, size_t *len)
{
	crp_buffer out = CRP_BUFFER_INIT;
	ck_assert_int_eq(crp_convert_buffer(&out, json, strlen(json), "crpb", NULL, NULL, NULL), CRP_OK);
	*len = out.len;
	return out.data;
}

/* Read a whole input through a crp_reader fed `chunk` bytes at a time; one report expected. */
static int read_one(const crp_format *f, const void *buf, size_t len, size_t chunk,
		    const crp_parse_options *po, crp_report **out, const crp_format **seen)
{
	crp_reader *rd;
	*out = NULL; /* also when the reader cannot be made: callers free it */
	int rc = crp_reader_new(&rd, f, po);
	*out = NULL; /* also when the reader cannot even be made (out of memory) */
	if (rc != CRP_OK)
		return rc;
	for (size_t off = 0; rc == CRP_OK && off < len; off += chunk)
		rc = crp_reader_feed(rd, (const char *)buf + off, len - off < chunk ? len - off : chunk);
	if (rc == CRP_OK)
		rc = crp_reader_finish(rd);
	*out = NULL;
	if (rc == CRP_OK) {
		ck_assert_int_eq(crp_reader_next(rd, out), CRP_OK);
		crp_report *extra;
		ck_assert_int_eq(crp_reader_next(rd, &extra), CRP_ITEROVER);
	} else {
		ck_assert_int_eq(crp_reader_error(rd)->code, rc);
	}
	if (seen)
		*seen = crp_reader_format(rd);
	crp_reader_free(rd);
	return rc;
}

START_TEST(every_emitter_is_a_format)
{
	size_t writers = 0;
	for (size_t i = 0; crp_format_at(i); i++) {
		const crp_format *f = crp_format_at(i);
		ck_assert_ptr_eq(crp_format_lookup(crp_format_name(f)), f);
		ck_assert_ptr_nonnull(crp_format_description(f));
		ck_assert_ptr_nonnull(crp_format_extensions(f));
		if (!crp_format_readable(f))
			ck_assert_ptr_null(crp_format_extensions(f)[0]);
		writers += crp_format_writer(f) != NULL;
	}
	size_t emitters = 0;
	while (crp_emitter_at(emitters)) {
		const crp_emitter *e = crp_emitter_at(emitters++);
		const crp_format *f = crp_format_lookup(crp_emitter_name(e));
		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_eq(crp_format_writer(f), e);
	}
	ck_assert_uint_eq(writers, emitters);
	ck_assert(crp_format_readable(crp_format_lookup("json")));
	ck_assert(crp_format_readable(crp_format_lookup("crpb")));
	ck_assert_str_eq(crp_format_extensions(crp_format_lookup("crpb"))[0], ".crpb");
	ck_assert_ptr_null(crp_format_lookup("no-such-format"));
	ck_assert_ptr_null(crp_format_lookup(NULL));
}
END_TEST

START_TEST(detection_by_content)
{
	const crp_format *json = crp_format_lookup("json"), *crpb = crp_format_lookup("crpb");
	size_t len;
	char *bin = to_crpb(json_report, &len);
	ck_assert_ptr_eq(crp_format_detect(bin, len, true), crpb);
	ck_assert_ptr_eq(crp_format_detect(bin, 8, false), crpb);
	/* a prefix of the magic waits for more bytes, unless there are none */
	ck_assert_ptr_null(crp_format_detect(bin, 3, false));
	ck_assert_ptr_eq(crp_format_detect(bin, 3, true), json);
	ck_assert_ptr_null(crp_format_detect(bin, 0, false));
	ck_assert_ptr_eq(crp_format_detect("", 0, true), json);
	/* "{" may still become an .ips metadata line; a KSCrash key decides at once */
	ck_assert_ptr_null(crp_format_detect("{", 1, false));
	ck_assert_ptr_eq(crp_format_detect("{", 1, true), json);
	ck_assert_ptr_eq(crp_format_detect("{\"report\":", 10, false), json);
	ck_assert_ptr_eq(crp_format_detect("{\n", 2, false), json);
	ck_assert_ptr_eq(crp_format_detect("{\"bug_type\":\"309\"}\n{", 22, false), crp_format_lookup("ips"));
	/* a key the head cuts is not yet "bug_type": it may go on ("bug_typed", not an .ips) */
	ck_assert_ptr_null(crp_format_detect("{\"x\":1,\"bug_type", 16, false));
	ck_assert_ptr_eq(crp_format_detect("{\"x\":1,\"bug_typed\":1}\n", 23, false), json);
	ck_assert_ptr_eq(crp_format_detect("{\"x\":1,\"bug_type\":1}\n", 22, false), crp_format_lookup("ips"));
	ck_assert_ptr_eq(crp_format_detect("Process:  x [1]\n", 16, false), crp_format_lookup("apple"));
	ck_assert_ptr_null(crp_format_detect("Proc", 4, false));
	/* anything else is KSCrash JSON, whose reader names what is wrong */
	ck_assert_ptr_eq(crp_format_detect("garbage", 7, false), json);
	free(bin);
}
END_TEST

START_TEST(reader_detects_across_chunks)
{
	size_t len;
	char *bin = to_crpb(json_report, &len);
	crp_report *want, *got;
	const crp_format *seen;
	ck_assert_int_eq(crp_report_parse(&want, json_report, strlen(json_report), NULL, NULL), CRP_OK);
	static const size_t chunks[] = {1, 2, 3, 7, 8, 9, 4096, 1 << 20};
	for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
		char where[128] = "";
		ck_assert_int_eq(read_one(NULL, bin, len, chunks[c], NULL, &got, &seen), CRP_OK);
		ck_assert_ptr_eq(seen, crp_format_lookup("crpb"));
		ck_assert_msg(crp__report_compare(want, got, where, sizeof where) == 0, "%s", where);
		crp_report_free(got);
		ck_assert_int_eq(read_one(NULL, json_report, strlen(json_report), chunks[c], NULL, &got, &seen),
				 CRP_OK);
		ck_assert_ptr_eq(seen, crp_format_lookup("json"));
		ck_assert_msg(crp__report_compare(want, got, where, sizeof where) == 0, "%s", where);
		crp_report_free(got);
	}
	crp_report_free(want);
	free(bin);
}
END_TEST

START_TEST(reader_forced_format)
{
	size_t len;
	char *bin = to_crpb(json_report, &len);
	crp_report *r;
	const crp_format *seen;
	/* CRPB read as JSON: the JSON reader's own error */
	ck_assert_int_eq(read_one(crp_format_lookup("json"), bin, len, 64, NULL, &r, &seen), CRP_ESYNTAX);
	ck_assert_ptr_eq(seen, crp_format_lookup("json"));
	/* JSON read as CRPB: not a CRPB file */
	int rc = read_one(crp_format_lookup("crpb"), json_report, strlen(json_report), 64, NULL, &r, NULL);
	ck_assert(rc == CRP_ECORRUPT || rc == CRP_ETRUNCATED);
	/* a format that is only written cannot be read */
	crp_reader *rd;
	ck_assert_int_eq(crp_reader_new(&rd, crp_format_lookup("minidump"), NULL), CRP_EUNSUPPORTED);
	crp_parse_options bad = CRP_PARSE_OPTIONS_INIT;
	bad.version = 99;
	ck_assert_int_eq(crp_reader_new(&rd, NULL, &bad), CRP_EINVAL);
	/* empty input */
	ck_assert_int_eq(read_one(NULL, "", 0, 1, NULL, &r, &seen), CRP_EEMPTY);
	ck_assert_ptr_eq(seen, crp_format_lookup("json"));
	crp_reader_free(NULL);
	free(bin);
}
END_TEST

START_TEST(reader_fails_each_allocation_cleanly)
{
	size_t len;
	char *bin = to_crpb(json_report, &len);
	for (size_t k = 1;; k++) {
		tu_alloc st = {.fail_at = k};
		crp_allocator a = tu_allocator(&st);
		crp_parse_options po = CRP_PARSE_OPTIONS_INIT;
		po.allocator = &a;
		crp_report *r;
		int rc = read_one(NULL, bin, len, 5, &po, &r, NULL);
		crp_report_free(r);
		ck_assert_uint_eq(st.live, 0);
		if (rc == CRP_OK)
			break;
		ck_assert_int_eq(rc, CRP_ENOMEM);
		ck_assert_uint_lt(k, 10000);
	}
	free(bin);
}
END_TEST

START_TEST(convert_reads_any_format)
{
	size_t len;
	char *bin = to_crpb(json_report, &len);
	crp_buffer from_json = CRP_BUFFER_INIT, from_crpb = CRP_BUFFER_INIT;
	crp_convert_stats st;
	ck_assert_int_eq(crp_convert_buffer(&from_json, json_report, strlen(json_report), "apple", NULL,
					    NULL, NULL), CRP_OK);
	ck_assert_int_eq(crp_convert_buffer(&from_crpb, bin, len, "apple", NULL, &st, NULL), CRP_OK);
	ck_assert_uint_eq(st.reports, 1);
	ck_assert_str_eq(from_json.data, from_crpb.data);
	crp_buffer_dispose(&from_json);
	crp_buffer_dispose(&from_crpb);
	free(bin);
}
END_TEST

Suite *suite_format(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, every_emitter_is_a_format);
	tcase_add_test(tc, detection_by_content);
	tcase_add_test(tc, reader_detects_across_chunks);
	tcase_add_test(tc, reader_forced_format);
	tcase_add_test(tc, reader_fails_each_allocation_cleanly);
	tcase_add_test(tc, convert_reads_any_format);
	suite_add_tcase(s, tc);
	return s;
}
