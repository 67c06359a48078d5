/* Public API odds and ends: names, derived facts, emitters, sinks, versions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "demangle/demangle.h"
#include "testutil.h"

START_TEST(names)
{
	ck_assert_str_eq(crp_arch_name(16777228, (int32_t)0x80000002u), "arm64e");
	ck_assert_str_eq(crp_arch_name(16777228, 0), "arm64");
	ck_assert_str_eq(crp_arch_name(12, 11), "armv7s");
	ck_assert_str_eq(crp_arch_name(12, 9), "armv7");
	ck_assert_str_eq(crp_arch_name(16777223, 3), "x86_64");
	ck_assert_str_eq(crp_arch_name(16777223, 8), "x86_64h");
	ck_assert_str_eq(crp_arch_name(7, 3), "i386");
	ck_assert_ptr_null(crp_arch_name(99, 0));
	ck_assert(crp_arch_is_64bit(16777228));
	ck_assert(!crp_arch_is_64bit(12));
	ck_assert_str_eq(crp_mach_exception_name(1), "EXC_BAD_ACCESS");
	ck_assert_str_eq(crp_mach_exception_name(10), "EXC_CRASH");
	ck_assert_ptr_null(crp_mach_exception_name(0));
	ck_assert_str_eq(crp_kern_return_name(1), "KERN_INVALID_ADDRESS");
	ck_assert_str_eq(crp_signal_name(11), "SIGSEGV");
	ck_assert_str_eq(crp_signal_name(9), "SIGKILL");
	ck_assert_str_eq(crp_signal_code_name(11, 1), "SEGV_MAPERR");
	ck_assert_str_eq(crp_signal_code_name(10, 2), "BUS_ADRERR");
	ck_assert_str_eq(crp_signal_code_name(6, 0x10001), "SI_USER");
	ck_assert_ptr_null(crp_signal_code_name(6, 0));
	ck_assert_str_eq(crp_status_str(CRP_ESYNTAX), "invalid JSON");
	ck_assert_str_eq(crp_status_str(12345), "unknown status");
	ck_assert_str_eq(crp_code_name(CRP_ESYNTAX), "syntax");
	ck_assert_str_eq(crp_code_name(CRP_W_DUPLICATE), "duplicate");
	ck_assert_str_eq(crp_code_name(CRP_CHECK_ADDRESS), "address");
	ck_assert_str_eq(crp_code_name(12345), "unknown");
}
END_TEST

START_TEST(derived_facts)
{
	static const char json[] =
		"{\"system\":{\"CFBundleExecutablePath\":\"/b/App\"},"
		"\"binary_images\":[{\"image_addr\":100,\"image_size\":50,\"name\":\"/a/lib\"},"
		"{\"image_addr\":200,\"image_size\":50,\"name\":\"/b/App\"}],"
		"\"crash\":{\"threads\":[{\"index\":0},{\"index\":7,\"crashed\":true}]},"
		"\"user\":{\"x\":{\"y\":[1]}},\"vendor\":true}";
	crp_report *r;
	ck_assert_int_eq(crp_report_parse(&r, json, strlen(json), NULL, NULL), CRP_OK);
	size_t idx, n;
	const crp_image *im = crp_report_images(r, &n);
	ck_assert_ptr_eq(crp_report_main_image(r), &im[1]);
	ck_assert_ptr_eq(crp_report_image_at(r, 120), &im[0]);
	ck_assert_ptr_null(crp_report_image_at(r, 150));
	ck_assert_ptr_eq(crp_report_image_at(r, 249), &im[1]);
	const crp_thread *t = crp_report_crashed_thread(r, &idx);
	ck_assert_uint_eq(idx, 1);
	ck_assert_uint_eq(t->index, 7);
	const crp_value *y = crp_value_get(crp_value_get(crp_report_user(r), "x"), "y");
	ck_assert_int_eq(y->type, CRP_VALUE_ARRAY);
	ck_assert_ptr_null(crp_value_get(y, "z"));
	ck_assert_ptr_nonnull(crp_extras_get(crp_report_extras(r), "vendor"));
	ck_assert_uint_eq(crp_report_sections(r), CRP_SECTION_SYSTEM | CRP_SECTION_BINARY_IMAGES |
						      CRP_SECTION_CRASH | CRP_SECTION_USER);
	ck_assert_ptr_null(crp_report_recrash(r));
	ck_assert_ptr_null(crp_report_warning(r, 0));
	crp_report_free(r);
	/* an object that is no report fails (README, "What the reader accepts") */
	crp_error e;
	ck_assert_int_eq(crp_report_parse(&r, "{}", 2, NULL, &e), CRP_ESCHEMA);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(e.message, "not a crash report"));
	ck_assert_int_eq(crp_report_parse(&r, "{\"x\":{\"report\":{}}}", 18, NULL, NULL), CRP_ESCHEMA);
	/* absent sections read as zeroed records */
	ck_assert_int_eq(crp_report_parse(&r, "{\"report\":{}}", 13, NULL, NULL), CRP_OK);
	ck_assert_uint_eq(crp_report_system(r)->has, 0);
	ck_assert_ptr_null(crp_report_crashed_thread(r, NULL));
	ck_assert_ptr_null(crp_report_main_image(r));
	crp_report_free(r);
}
END_TEST

static int failing_write(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	return -1;
}

static int full_disk(void *ctx, const void *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	errno = ENOSPC;
	return -1;
}

START_TEST(emitters_and_sinks)
{
	ck_assert_ptr_nonnull(crp_emitter_at(0));
	ck_assert_ptr_null(crp_emitter_lookup("no-such-format"));
	const crp_emitter *json = crp_emitter_lookup("json");
	ck_assert_str_eq(crp_emitter_extension(json), ".json");
	ck_assert(!crp_emitter_is_binary(json));
	ck_assert_ptr_nonnull(crp_emitter_description(json));
	crp_report *r;
	ck_assert_int_eq(crp_report_parse(&r, "{\"report\":{\"id\":\"S\"}}", 21, NULL, NULL), CRP_OK);
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_sink sink;
	crp_sink_init_buffer(&sink, &buf);
	crp_error e;
	static const char *const bad[] = {"colour=blue", NULL};
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	eo.params = bad;
	ck_assert_int_eq(crp_emit(json, r, &sink, &eo, &e), CRP_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.message, "colour=blue"));
	static const char *const two[] = {"indent=2", NULL};
	eo.params = two;
	ck_assert_int_eq(crp_emit(json, r, &sink, &eo, &e), CRP_OK);
	ck_assert_str_eq(buf.data, "{\n  \"report\": {\n    \"id\": \"S\"\n  }\n}\n");
	crp_buffer_dispose(&buf);
	buf.max = 8; /* a capped buffer fails like a full disk */
	ck_assert_int_eq(crp_emit(json, r, &sink, NULL, &e), CRP_EIO);
	crp_buffer_dispose(&buf);
	crp_sink broken = {failing_write, NULL};
	ck_assert_int_eq(crp_emit(json, r, &broken, NULL, &e), CRP_EIO);
	ck_assert_int_eq(e.code, CRP_EIO);
	ck_assert_str_eq(e.message, "cannot write output");
	crp_sink full = {full_disk, NULL}; /* a sink that leaves errno set: the cause is kept */
	ck_assert_int_eq(crp_emit(json, r, &full, NULL, &e), CRP_EIO);
	ck_assert_str_eq(e.message, "cannot write output: No space left on device");
	/* a session writes several reports as one stream */
	crp_buffer all = CRP_BUFFER_INIT;
	crp_sink_init_buffer(&sink, &all);
	crp_emit_session *s;
	eo.params = (const char *const[]){"compact", NULL};
	ck_assert_int_eq(crp_emit_begin(&s, json, &sink, &eo, NULL), CRP_OK);
	ck_assert_int_eq(crp_emit_report(s, r), CRP_OK);
	ck_assert_int_eq(crp_emit_report(s, r), CRP_OK);
	ck_assert_int_eq(crp_emit_end(s), CRP_OK);
	ck_assert_uint_eq(crp_emit_bytes(s), all.len);
	ck_assert_str_eq(all.data, "{\"report\":{\"id\":\"S\"}}\n{\"report\":{\"id\":\"S\"}}\n");
	crp_emit_free(s);
	crp_buffer_dispose(&all);
	crp_emit_free(NULL);
	crp_report_free(r);
}
END_TEST

START_TEST(demangling)
{
	char out[256];
	ck_assert_uint_gt(crp__demangle_cxx("_ZN4shop6detail10renderCellERKNS_4ItemE", out, sizeof out), 0);
	ck_assert_str_eq(out, "shop::detail::renderCell(shop::Item const&)");
	ck_assert_uint_gt(crp__demangle_cxx("__ZNSt6vectorIiSaIiEE9push_backERKi", out, sizeof out), 0);
	ck_assert_str_eq(out, "std::vector<int, std::allocator<int> >::push_back(int const&)");
	ck_assert_uint_eq(crp__demangle_cxx("main", out, sizeof out), 0);
	ck_assert_uint_eq(crp__demangle_cxx("_Znot-valid", out, sizeof out), 0);
	ck_assert_uint_eq(crp__demangle_cxx("_ZN4shop6detail10renderCellERKNS_4ItemE", out, 8), 0);
	ck_assert(crp__is_swift_mangled("$s7Fixture14ViewControllerC10crashTappedyyF"));
	ck_assert(crp__is_swift_mangled("_$s7Fixture4mainyyF"));
	ck_assert(crp__is_swift_mangled("_T07Example3fooyyF"));
	ck_assert(!crp__is_swift_mangled("_ZN3foo3barEv"));
	ck_assert(!crp__is_swift_mangled("-[UIApplication sendAction:to:from:forEvent:]"));
}
END_TEST

START_TEST(versions)
{
	ck_assert_uint_eq(crp_version_number(), CRP_VERSION_NUMBER);
	ck_assert_str_eq(crp_version_string(), CRP_VERSION_STRING);
	ck_assert_ptr_nonnull(strstr(crp_version_details(), "yajl 2."));
	ck_assert_ptr_nonnull(strstr(crp_version_details(), "zlib "));
}
END_TEST

Suite *suite_api(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");
	tcase_add_test(tc, names);
	tcase_add_test(tc, derived_facts);
	tcase_add_test(tc, emitters_and_sinks);
	tcase_add_test(tc, demangling);
	tcase_add_test(tc, versions);
	suite_add_tcase(s, tc);
	return s;
}
