/* Demangling: the Swift project's own test table (../shared/data/swift-demangle, when present),
 * our simplified- and full-style fixtures, the public API's contract, and hostile names. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "demangle/demangle.h"
#include "model/model.h"
#include "testutil.h"

#define SWIFT_TABLES CRP_SOURCE_DIR "/../shared/data/swift-demangle"

typedef struct pair_stats {
	size_t total, passed, dollar_s, dollar_s_passed, excused;
} pair_stats;

/* "MANGLED ---> EXPECTED": splits line in place; false for lines that are not pairs. */
static bool split_pair(char *line, char **mangled, char **expected)
{
	char *arrow = strstr(line, " ---> ");
	if (line[0] == '#' || !arrow)
		return false;
	char *end = arrow;
	while (end > line && end[-1] == ' ')
		end--; /* the table has one line with two spaces before the arrow */
	*end = '\0';
	*mangled = line;
	*expected = arrow + 6;
	if (**expected == '{') { /* swift-demangle -classify flags: not part of the name */
		char *close = strchr(*expected, '}');
		if (close && close[1] == ' ')
			*expected = close + 2;
	}
	return true;
}

/* Is mangled listed in fixtures/demangle/out-of-scope.txt (MANGLED<TAB>reason)? */
static bool excused(const char *list, const char *mangled)
{
	size_t n = strlen(mangled);
	for (const char *p = list; p && *p;) {
		const char *eol = strchr(p, '\n');
		if (!strncmp(p, mangled, n) && p[n] == '\t')
			return true;
		p = eol ? eol + 1 : NULL;
	}
	return false;
}

/* Checks every pair of a table file; returns false (after printing why) on a mismatch. */
static bool check_table(const char *path, unsigned flags, const char *excuses, pair_stats *st)
{
	size_t len;
	char *text = tu_read_file(path, &len), *save = NULL, out[CRP_DEMANGLE_BUFFER * 4];
	bool ok = true;
	crp_demangle_options o = CRP_DEMANGLE_OPTIONS_INIT;
	o.flags = flags;
	ck_assert_msg(text != NULL, "cannot read %s", path);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *mangled, *expected;
		if (!split_pair(line, &mangled, &expected))
			continue;
		int rc = crp_demangle(out, sizeof out, NULL, mangled, &o);
		const char *got = rc == CRP_OK ? out : mangled;
		bool same = strcmp(got, expected) == 0, s = !strncmp(mangled, "$s", 2) || !strncmp(mangled, "_$s", 3);
		st->total++;
		st->passed += same;
		st->dollar_s += s;
		st->dollar_s_passed += s && same;
		if (same)
			continue;
		if (excuses && excused(excuses, mangled)) {
			st->excused++;
			continue;
		}
		fprintf(stderr, "demangle: %s\n  want %s\n  got  %s\n", mangled, expected, got);
		ok = false;
	}
	free(text);
	return ok;
}

START_TEST(swift_project_table)
{
	struct stat sb;
	if (stat(SWIFT_TABLES "/manglings.txt", &sb) != 0) {
		fprintf(stderr, "demangle: %s absent, Swift's table skipped\n", SWIFT_TABLES);
		return;
	}
	size_t len;
	char *excuses = tu_read_file(CRP_SOURCE_DIR "/fixtures/demangle/out-of-scope.txt", &len);
	pair_stats st = {0};
	bool ok = check_table(SWIFT_TABLES "/manglings.txt", 0, excuses, &st);
	ok &= check_table(SWIFT_TABLES "/manglings-with-clang-types.txt", 0, excuses, &st);
	free(excuses);
	ck_assert_msg(ok, "Swift's table: mismatches not listed in fixtures/demangle/out-of-scope.txt");
	ck_assert_uint_ge(st.total, 388);
	ck_assert_uint_eq(st.dollar_s_passed, st.dollar_s); /* every $s pair, no excuses */
	ck_assert_uint_ge(st.passed * 100, st.total * 99);
}
END_TEST

START_TEST(our_fixtures)
{
	pair_stats st = {0};
	ck_assert(check_table(CRP_SOURCE_DIR "/fixtures/demangle/swift-full.txt", 0, NULL, &st));
	ck_assert(check_table(CRP_SOURCE_DIR "/fixtures/demangle/swift-simplified.txt",
			      CRP_DEMANGLE_SIMPLIFIED, NULL, &st));
	ck_assert_uint_ge(st.total, 50);
	ck_assert_uint_eq(st.passed, st.total);
}
END_TEST

START_TEST(api_contract)
{
	char out[CRP_DEMANGLE_BUFFER];
	size_t n = 99;
	crp_demangle_options o = CRP_DEMANGLE_OPTIONS_INIT;
	ck_assert_int_eq(crp_demangle(out, sizeof out, &n, "$s4main3fooyyF", NULL), CRP_OK);
	ck_assert_str_eq(out, "main.foo() -> ()");
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_int_eq(crp_demangle(out, sizeof out, &n, "_ZN3foo3barEv", NULL), CRP_OK);
	ck_assert_str_eq(out, "foo::bar()");
	ck_assert_int_eq(crp_demangle(out, sizeof out, &n, "main", NULL), CRP_ENOTFOUND);
	ck_assert_str_eq(out, "");
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(crp_demangle(out, sizeof out, NULL, "$s4mai", NULL), CRP_ENOTFOUND);
	ck_assert_int_eq(crp_demangle(out, 8, &n, "$s4main3fooyyF", NULL), CRP_ELIMIT);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(crp_demangle(out, 8, NULL, "_ZN3foo3barEv", NULL), CRP_ELIMIT);
	ck_assert_int_eq(crp_demangle(NULL, 8, NULL, "x", NULL), CRP_EINVAL);
	ck_assert_int_eq(crp_demangle(out, 0, NULL, "x", NULL), CRP_EINVAL);
	ck_assert_int_eq(crp_demangle(out, 8, NULL, NULL, NULL), CRP_EINVAL);
	o.version = 99;
	ck_assert_int_eq(crp_demangle(out, sizeof out, NULL, "x", &o), CRP_EINVAL);
	o.version = CRP_DEMANGLE_OPTIONS_VERSION;
	o.flags = CRP_DEMANGLE_NO_SWIFT;
	ck_assert_int_eq(crp_demangle(out, sizeof out, NULL, "$s4main3fooyyF", &o), CRP_ENOTFOUND);
	o.flags = CRP_DEMANGLE_NO_CXX | CRP_DEMANGLE_SIMPLIFIED;
	ck_assert_int_eq(crp_demangle(out, sizeof out, NULL, "_ZN3foo3barEv", &o), CRP_ENOTFOUND);
	ck_assert_int_eq(crp_demangle(out, sizeof out, NULL, "$s4main3fooyyF", &o), CRP_OK);
	ck_assert_str_eq(out, "foo()");
	ck_assert(crp_demangle_is_swift("_$s4main3fooyyF"));
	ck_assert(crp_demangle_is_swift("_T04main3fooyyF"));
	ck_assert(!crp_demangle_is_swift("_ZN3foo3barEv"));
	ck_assert(!crp_demangle_is_swift("_Tock"));
	ck_assert(crp_demangle_is_swift("__TFC3foo3bar3basfT3zimCS_3zim_T_"));
	/* internal entry points agree, and need no allocator for real names */
	ck_assert_uint_eq(crp__demangle("$s4main3fooyyF", out, sizeof out, 0, NULL), 16);
	ck_assert_uint_eq(crp__demangle_swift("$s4main3fooyyFxyz", 14, out, sizeof out, 0, NULL), 16);
}
END_TEST

/* A tuple of n Ints: needs more than the demangler's stack memory when n is large. */
static char *wide_tuple(size_t n)
{
	char *s = malloc(2 * n + 16), *p = s;
	p += sprintf(p, "$sSi_");
	for (size_t i = 1; i < n; i++)
		p += sprintf(p, "Si");
	strcpy(p, "tD");
	return s;
}

START_TEST(allocation_failures)
{
	char *name = wide_tuple(3000);
	size_t cap = 1u << 20;
	char *out = malloc(cap);
	tu_alloc st = {0};
	crp_allocator a = tu_allocator(&st);
	crp_demangle_options o = CRP_DEMANGLE_OPTIONS_INIT;
	o.allocator = &a;
	ck_assert_int_eq(crp_demangle(out, cap, NULL, name, &o), CRP_OK);
	ck_assert(!strncmp(out, "(Swift.Int, Swift.Int", 21));
	size_t needed = st.count;
	ck_assert_uint_gt(needed, 0);
	ck_assert_uint_eq(st.live, 0);
	for (size_t k = 1; k <= needed; k++) {
		tu_alloc f = {0, 0, k};
		a = tu_allocator(&f);
		int rc = crp_demangle(out, cap, NULL, name, &o);
		ck_assert_int_eq(rc, CRP_ENOMEM);
		ck_assert_uint_eq(f.live, 0);
	}
	/* without an allocator the stack memory is all there is: the name stays as it is */
	ck_assert_uint_eq(crp__demangle_swift(name, strlen(name), out, cap, 0, NULL), 0);
	free(name);
	free(out);
}
END_TEST

/* Shared subtrees ("AA", "AB", ...) double the printed tree at every level. */
static char *substitution_bomb(int levels)
{
	char *s = malloc((size_t)levels * 8 + 32), *p = s;
	p += sprintf(p, "$sSi_SitSg");
	for (int i = 0; i < levels && i < 26; i++)
		p += sprintf(p, "A%c_A%ctSg", 'A' + i, 'A' + i);
	strcpy(p, "D");
	return s;
}

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

START_TEST(hostile_names)
{
	static const char *const odd[] = {
		"$s", "_$s", "$sA", "$sAA", "$s0", "$s00", "$s99999999999999999999999999", "$s1", "$sSq",
		"$s\x01\x02", "$s\x01\x01\x01\x01\x01", "$s\xff\xff\xff", "_T", "_Tt", "_TtGSqGSq",
		"$s4main3fooyyF.", "$sBv999999999_", "$sBi0_", "$s_", "$sy", "$sySiGD", "$sTA", "$s00_",
		"$s002xy", "_TtXo", "_TTSg5S", "$sSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSiSi_t",
	};
	char out[CRP_DEMANGLE_BUFFER];
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
		int rc = crp_demangle(out, sizeof out, NULL, odd[i], NULL);
		ck_assert(rc == CRP_OK || rc == CRP_ENOTFOUND || rc == CRP_ELIMIT);
	}
	/* deep nesting: Optional of Optional of ... 100000 deep, bounded recursion */
	size_t depth = 100000;
	char *deep = malloc(depth * 2 + 8);
	strcpy(deep, "$sSi");
	for (size_t i = 0; i < depth; i++)
		memcpy(deep + 4 + 2 * i, "Sg", 2);
	strcpy(deep + 4 + 2 * depth, "D");
	double t0 = seconds();
	ck_assert_int_ne(crp_demangle(out, sizeof out, NULL, deep, NULL), CRP_OK);
	char *bomb = substitution_bomb(26);
	ck_assert_int_ne(crp_demangle(out, sizeof out, NULL, bomb, NULL), CRP_OK);
	char *big = malloc(1u << 20);
	ck_assert_int_ne(crp_demangle(big, 1u << 20, NULL, bomb, NULL), CRP_OK);
	ck_assert_msg(seconds() - t0 < 5.0, "hostile names took %.1f s", seconds() - t0);
	free(big);
	free(bomb);
	free(deep);
}
END_TEST

/* Every prefix and a few mutations of every fixture name: never a crash (ASan, valgrind). */
START_TEST(mutations)
{
	size_t len;
	char *text = tu_read_file(CRP_SOURCE_DIR "/fixtures/demangle/swift-full.txt", &len);
	char out[512], name[1024], *save = NULL;
	unsigned seed = 12345;
	ck_assert(text);
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *mangled, *expected;
		if (!split_pair(line, &mangled, &expected) || strlen(mangled) >= sizeof name)
			continue;
		size_t n = strlen(mangled);
		for (size_t cut = 0; cut <= n; cut++) {
			memcpy(name, mangled, cut);
			name[cut] = '\0';
			crp__demangle_swift(name, cut, out, sizeof out, 0, NULL);
			crp__demangle_swift(name, cut, out, sizeof out, CRP__DM_SIMPLIFIED, NULL);
		}
		for (int k = 0; k < 200; k++) {
			memcpy(name, mangled, n + 1);
			seed = seed * 1103515245u + 12345u;
			name[2 + (seed >> 8) % (n - 2)] = (char)(' ' + (seed >> 20) % 95);
			crp__demangle_swift(name, n, out, sizeof out, 0, NULL);
		}
	}
	free(text);
}
END_TEST


static const char swift_report[] =
	"{\"report\":{\"version\":\"3.4.1\",\"id\":\"A1B2C3D4-0000-4000-8000-000000000009\",\"type\":\"standard\"},"
	"\"binary_images\":[{\"image_addr\":4096,\"image_size\":65536,\"name\":\"/A.app/App\"}],"
	"\"crash\":{\"error\":{\"signal\":{\"signal\":5},\"type\":\"signal\"},\"threads\":[{\"crashed\":true,"
	"\"backtrace\":{\"contents\":[{\"object_name\":\"App\",\"object_addr\":4096,"
	"\"symbol_name\":\"$s7Fixture14ViewControllerC11crashTappedyyF\",\"symbol_addr\":4160,"
	"\"instruction_addr\":4200},{\"object_name\":\"App\",\"object_addr\":4096,"
	"\"symbol_name\":\"$s4main3fooyyFyycfU_\",\"symbol_addr\":8192,\"instruction_addr\":8200}]}}]}}";

/* The writers demangle Swift names the symbolicator leaves mangled: .crash and .ips in Apple's
 * simplified style, JSON symbolication in full with the mangled name kept; the report's own
 * symbol_name is never changed. */
START_TEST(writers_show_swift_names)
{
	crp_report **rs;
	size_t n;
	crp_error err;
	ck_assert_int_eq(tu_parse(swift_report, strlen(swift_report), 0, NULL, &rs, &n, &err), CRP_OK);
	crp_report *r = rs[0];
	crp_frame *fr = (crp_frame *)&crp_report_crash(r)->threads[0].backtrace.frames[0];
	crp_symloc *locs = crp__arena_calloc(&r->arena, 2 * sizeof *locs);
	crp_symbolication *sy = crp__arena_calloc(&r->arena, sizeof *sy);
	locs[0] = (crp_symloc){"$s7Fixture5totalSiyF", "/src/Cart.swift", 12, 3};
	locs[1] = (crp_symloc){"$s7Fixture14ViewControllerC11crashTappedyyF", "/src/VC.swift", 40, 0};
	*sy = (crp_symbolication){CRP_SYMSRC_DWARF, CRP_SYM_SWIFT, "/App.dSYM", 0x68, 0x1040, NULL, locs, 2, 0x28};
	fr->symbolicated = sy;
	char *out = tu_emit("apple", rs, 1, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(out, " total() + 40 (Cart.swift:12)\n"));
	ck_assert_ptr_nonnull(strstr(out, " ViewController.crashTapped() + 40 (VC.swift:40)\n"));
	ck_assert_ptr_nonnull(strstr(out, " closure #1 in foo() + 8\n"));
	free(out);
	out = tu_emit("ips", rs, 1, NULL, NULL);
	ck_assert_ptr_nonnull(strstr(out, "\"symbol\":\"total()\""));
	ck_assert_ptr_nonnull(strstr(out, "\"symbol\":\"closure #1 in foo()\""));
	free(out);
	const char *params[] = {"indent=0", NULL};
	out = tu_emit("json", rs, 1, params, NULL);
	ck_assert_ptr_nonnull(strstr(out, "\"linkage_name\":\"$s7Fixture14ViewControllerC11crashTappedyyF\""));
	ck_assert_ptr_nonnull(strstr(out, "{\"function\":\"Fixture.total() -> Swift.Int\","
					  "\"linkage_name\":\"$s7Fixture5totalSiyF\",\"file\":\"/src/Cart.swift\""));
	ck_assert_ptr_nonnull(strstr(out, "\"function\":\"Fixture.ViewController.crashTapped() -> ()\""));
	ck_assert_ptr_nonnull(strstr(out, "\"symbol_name\":\"$s4main3fooyyFyycfU_\""));
	free(out);
	tu_free_reports(rs, n);
}
END_TEST

/* Simple C++ names take a path of their own: the same text as libiberty, and what it does not
 * know goes to libiberty. */
static const struct {
	const char *name, *text;
} simple_cxx[] = {
	{"_ZN3gen5unit0L4mix0Ei", "gen::unit0::mix0(int)"},
	{"__ZN3gen5unit05step9Ei", "gen::unit0::step9(int)"},
	{"_Z3foov", "foo()"},
	{"_ZL3barcahstijlmxyfdewb", "bar(char, signed char, unsigned char, short, unsigned short, int, unsigned int, "
				  "long, unsigned long, long long, unsigned long long, float, double, long double, "
				  "wchar_t, bool)"},
	{"_ZN1a1bE", "a::b"},
	{"_Z1f", "f"},
	{"_ZN3foo3barEPKc", "foo::bar(char const*)"},          /* libiberty's */
	{"_ZNK3foo3barEv", "foo::bar() const"},                /* libiberty's */
	{"_ZN12_GLOBAL__N_13fooEv", "(anonymous namespace)::foo()"}, /* libiberty's */
	{"_Z3foov.cold", "foo() [clone .cold]"},               /* libiberty's */
	{"_ZN3fooEv", "foo()"},                                /* libiberty's: one part */
	{"_Z3fooiv", "foo(int, void)"},                        /* libiberty's: void among others */
	{"_Z0v", NULL},
};

START_TEST(simple_cxx_names)
{
	char fast[256], full[256];
	size_t a = crp__demangle_cxx(simple_cxx[_i].name, fast, sizeof fast);
	size_t b = crp__demangle_cxx_libiberty(simple_cxx[_i].name, full, sizeof full);
	ck_assert_uint_eq(a, b);
	if (!simple_cxx[_i].text) {
		ck_assert_uint_eq(a, 0);
		return;
	}
	ck_assert_str_eq(fast, simple_cxx[_i].text);
	ck_assert_str_eq(full, simple_cxx[_i].text);
	/* cut short: nothing, as libiberty */
	ck_assert_uint_eq(crp__demangle_cxx(simple_cxx[_i].name, fast, strlen(simple_cxx[_i].text)), 0);
}
END_TEST

Suite *suite_demangle(void)
{
	Suite *s = suite_create("demangle");
	TCase *tc = tcase_create("swift");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, swift_project_table);
	tcase_add_test(tc, our_fixtures);
	tcase_add_test(tc, api_contract);
	tcase_add_test(tc, allocation_failures);
	tcase_add_test(tc, hostile_names);
	tcase_add_test(tc, mutations);
	tcase_add_test(tc, writers_show_swift_names);
	tcase_add_loop_test(tc, simple_cxx_names, 0, (int)(sizeof simple_cxx / sizeof *simple_cxx));
	suite_add_tcase(s, tc);
	return s;
}
