/* Semantic validation (crashport/validate.h): each rule fires where it should and only there. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static crp_validation *validate(const char *json, crp_report **keep)
{
	crp_report *r;
	crp_validation *v;
	ck_assert_int_eq(crp_report_parse(&r, json, strlen(json), NULL, NULL), CRP_OK);
	ck_assert_int_eq(crp_report_validate(&v, r, NULL), CRP_OK);
	if (keep)
		*keep = r;
	else
		crp_report_free(r);
	return v;
}

static const crp_finding *find(const crp_validation *v, int code, const char *path)
{
	for (size_t i = 0; i < crp_validation_count(v); i++) {
		const crp_finding *f = crp_validation_finding(v, i);
		if (f->diag.code == code && strcmp(f->diag.json_path, path) == 0)
			return f;
	}
	return NULL;
}

#define GOOD_HEAD "{\"report\":{\"id\":\"V\",\"type\":\"standard\",\"timestamp\":\"2024-01-01T00:00:00Z\"}," \
		  "\"system\":{\"cpu_type\":16777228,\"cpu_subtype\":2},"
#define IMAGES "\"binary_images\":[{\"image_addr\":4096,\"image_size\":4096,\"name\":\"/a/App\"," \
	       "\"uuid\":\"11111111-2222-3333-4444-555555555555\",\"cpu_type\":16777228,\"cpu_subtype\":0}],"

START_TEST(a_good_report_is_clean)
{
	crp_validation *v = validate(GOOD_HEAD IMAGES
		"\"crash\":{\"error\":{\"type\":\"mach\",\"mach\":{\"exception\":1}},"
		"\"threads\":[{\"index\":0,\"crashed\":true,\"backtrace\":{\"contents\":[{\"instruction_addr\":4100}]},"
		"\"registers\":{\"basic\":{\"pc\":4100}}}]}}", NULL);
	ck_assert_uint_eq(crp_validation_count(v), 0);
	ck_assert_uint_eq(crp_validation_errors(v), 0);
	crp_validation_free(v);
}
END_TEST

START_TEST(required_fields)
{
	crp_validation *v = validate("{\"report\":{\"type\":\"standard\"},\"user\":{}}", NULL);
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_MISSING, "report.id"));
	const crp_finding *f = find(v, CRP_CHECK_MISSING, "crash");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, CRP_SEVERITY_ERROR);
	ck_assert_uint_eq(crp_validation_errors(v), 2);
	crp_validation_free(v);
	v = validate(GOOD_HEAD "\"crash\":{\"error\":{\"type\":\"nsexception\"}}}", NULL);
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_MISSING, "crash.error.nsexception"));
	crp_validation_free(v);
	/* an incomplete report may lack anything: warnings, not errors */
	v = validate("{\"report\":{\"id\":\"T\",\"type\":\"standard\"},\"crash\":{\"error\":{}}", NULL);
	f = find(v, CRP_CHECK_MISSING, "crash.error.type");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, CRP_SEVERITY_WARNING);
	ck_assert_uint_eq(crp_validation_errors(v), 0);
	crp_validation_free(v);
}
END_TEST

START_TEST(ranges_and_unknowns)
{
	crp_validation *v = validate(
		"{\"report\":{\"id\":\"R\",\"type\":\"odd\",\"timestamp\":0},"
		"\"binary_images\":[{\"image_addr\":18446744073709551000,\"image_size\":4096,\"name\":\"/x\","
		"\"uuid\":\"11111111222233334444555555555555\",\"cpu_type\":99,\"cpu_subtype\":0},"
		"{\"image_addr\":8192,\"image_size\":0,\"name\":\"/y\"}],"
		"\"crash\":{\"error\":{\"type\":\"weird\",\"signal\":{\"signal\":99}},\"threads\":[{\"index\":1,"
		"\"stack\":{\"dump_start\":100,\"dump_end\":50}}]}}", NULL);
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_UNKNOWN, "report.type"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_RANGE, "report.timestamp"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_RANGE, "binary_images[0]"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_UNKNOWN, "binary_images[0]"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_RANGE, "binary_images[1]"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_MISSING, "binary_images[1]"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_UNKNOWN, "crash.error.type"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_RANGE, "crash.error.signal.signal"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_RANGE, "crash.threads[0].stack"));
	crp_validation_free(v);
}
END_TEST

START_TEST(addresses_and_consistency)
{
	crp_validation *v = validate(GOOD_HEAD IMAGES
		"\"crash\":{\"error\":{\"type\":\"signal\",\"signal\":{\"signal\":11}},\"threads\":["
		"{\"index\":0,\"crashed\":true,\"registers\":{\"basic\":{\"pc\":4104}},\"backtrace\":{\"contents\":["
		"{\"instruction_addr\":4100,\"object_addr\":999,\"symbol_addr\":4200},"
		"{\"instruction_addr\":16384},"
		"{\"instruction_addr\":5850175915954278404}]}},"  /* 0x5130...1004: PAC bits over 4100 */
		"{\"index\":0,\"crashed\":true}]}}", NULL);
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_CONSISTENCY, "crash.threads[0].backtrace.contents[0]"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_ADDRESS, "crash.threads[0].backtrace.contents[1]"));
	/* pointer-authentication bits are not part of the address */
	ck_assert_ptr_null(find(v, CRP_CHECK_ADDRESS, "crash.threads[0].backtrace.contents[2]"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_CONSISTENCY, "crash.threads[0]"));  /* pc vs frame 0 */
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_CONSISTENCY, "crash.threads[1]"));  /* index reused */
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_CONSISTENCY, "crash.threads"));     /* two crashed */
	ck_assert_uint_eq(crp_validation_errors(v), 0);
	crp_validation_free(v);
	v = validate(GOOD_HEAD "\"binary_images\":[{\"image_addr\":4096,\"image_size\":4096},"
		     "{\"image_addr\":6000,\"image_size\":10}],\"crash\":{}}", NULL);
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_CONSISTENCY, "binary_images[1]")); /* overlap */
	crp_validation_free(v);
}
END_TEST

START_TEST(the_embedded_original_is_checked_too)
{
	crp_validation *v = validate(
		"{\"recrash_report\":{\"report\":{\"type\":\"standard\"},\"crash\":{\"error\":{\"type\":\"mach\"}}},"
		"\"report\":{\"id\":\"M\",\"type\":\"minimal\"},\"crash\":{\"error\":{\"type\":\"mach\",\"mach\":{}}}}", NULL);
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_MISSING, "recrash_report.report.id"));
	ck_assert_ptr_nonnull(find(v, CRP_CHECK_MISSING, "crash.crashed_thread"));
	crp_validation_free(v);
}
END_TEST

START_TEST(findings_are_capped)
{
	crp_report *r;
	char json[8192] = GOOD_HEAD IMAGES "\"crash\":{\"error\":{\"type\":\"mach\",\"mach\":{}},\"threads\":[{\"crashed\":true,"
					   "\"backtrace\":{\"contents\":[";
	for (int i = 0; i < 50; i++)
		strcat(json, i ? ",{\"instruction_addr\":1}" : "{\"instruction_addr\":1}");
	strcat(json, "]}}]}}");
	ck_assert_int_eq(crp_report_parse(&r, json, strlen(json), NULL, NULL), CRP_OK);
	crp_validation *v;
	crp_validate_options o = CRP_VALIDATE_OPTIONS_INIT;
	o.max_findings = 10;
	ck_assert_int_eq(crp_report_validate(&v, r, &o), CRP_OK);
	ck_assert_uint_eq(crp_validation_count(v), 10);
	ck_assert_uint_eq(crp_validation_dropped(v), 40);
	ck_assert_ptr_null(crp_validation_finding(v, 10));
	crp_validation_free(v);
	o.version = 9;
	ck_assert_int_eq(crp_report_validate(&v, r, &o), CRP_EINVAL);
	crp_report_free(r);
}
END_TEST

Suite *suite_validate(void)
{
	Suite *s = suite_create("validate");
	TCase *tc = tcase_create("rules");
	tcase_add_test(tc, a_good_report_is_clean);
	tcase_add_test(tc, required_fields);
	tcase_add_test(tc, ranges_and_unknowns);
	tcase_add_test(tc, addresses_and_consistency);
	tcase_add_test(tc, the_embedded_original_is_checked_too);
	tcase_add_test(tc, findings_are_capped);
	suite_add_tcase(s, tc);
	return s;
}
