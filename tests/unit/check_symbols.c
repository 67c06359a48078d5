/* Symbolication against the real Mach-O fixtures of ../shared/tools/make-macho-fixtures.sh, and
 * agreement with the llvm-symbolizer 14 answers in their manifest: every address of every image
 * (thin, universal, stripped, dylib), as a PC and as a return address (address - 1), with the
 * binary and its dSYM, with the dSYM alone, and with the binary alone.
 *
 * Rows where llvm-symbolizer is wrong are asserted to be exactly the documented kind: on a
 * stripped binary without dSYM it names an address after the nearest preceding symbol, even
 * when LC_FUNCTION_STARTS shows a function starting in between; crashport answers "a function
 * starting there, name unknown" instead. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "crashport/symbols.h"
#include "symbols/symbols_int.h"
#include "testutil.h"

enum { F_KIND, F_PATH, F_ARCH, F_ADDR, F_SECTION, F_NEAREST, F_OFFSET, F_SYMTAB_RAW, F_SYMTAB,
       F_FUNCTION, F_LINKAGE, F_LOCATION, F_INLINED, F_RET_FUNCTION, F_RET_LOCATION, F_RET_INLINED,
       F_MAX };
enum { I_PATH = 1, I_ARCH, I_CPU, I_SUBTYPE, I_UUID, I_FILETYPE, I_VMADDR, I_VMSIZE, I_DSYM, I_STRIP };

typedef struct mrow {
	char *f[F_MAX];
	size_t n;
} mrow;

static char *manifest;
static mrow *rows;
static size_t n_rows;
static size_t *images;   /* indices of the image rows */
static size_t n_images;

static void free_manifest(void)
{
	free(manifest);
	free(rows);
	free(images);
}

static bool load_manifest(const char *dir)
{
	size_t len;
	char *path = tu_path(dir, "manifest.tsv");
	manifest = tu_read_file(path, &len);
	free(path);
	if (!manifest)
		return false;
	size_t cap = 2048;
	rows = malloc(cap * sizeof *rows);
	images = malloc(64 * sizeof *images);
	for (char *line = strtok(manifest, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		if (n_rows == cap)
			rows = realloc(rows, (cap *= 2) * sizeof *rows);
		mrow *r = &rows[n_rows];
		r->n = 0;
		for (char *p = line; p && r->n < F_MAX;) {
			r->f[r->n++] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (strcmp(r->f[0], "image") == 0 && n_images < 64)
			images[n_images++] = n_rows;
		n_rows++;
	}
	atexit(free_manifest);
	return true;
}

static uint64_t hex(const char *s)
{
	return strtoull(s, NULL, 16);
}

static crp_uuid uuid_of(const char *s)
{
	crp_uuid u;
	for (int i = 0, j = 0; i < 16; j++) {
		if (s[j] == '-')
			continue;
		char b[3] = {s[j], s[j + 1], 0};
		u.bytes[i++] = (uint8_t)strtoul(b, NULL, 16);
		j++;
	}
	return u;
}

/* Our answer in the manifest's notation. */
typedef struct answer {
	char function[512];
	char location[1024];
	char inlined[2048];
	char raw[512];
	crp_symbol_source source;
	uint64_t function_addr;
} answer;

static void loc_text(char *out, size_t cap, const crp_symloc *l)
{
	snprintf(out, cap, "%s:%u:%u", l->file ? l->file : "??", l->line, l->column);
}

static void lookup(crp_symbolicator *s, const crp_symbol_image *im, uint64_t addr, answer *a)
{
	const crp_symbolication *sym;
	crp_error err;
	ck_assert_int_eq(crp_symbolicator_lookup(&sym, s, im, addr, &err), CRP_OK);
	strcpy(a->function, "??");
	strcpy(a->location, "??:0:0");
	strcpy(a->inlined, "-");
	strcpy(a->raw, "??");
	a->source = CRP_SYMSRC_NONE;
	a->function_addr = 0;
	if (!sym)
		return;
	a->source = sym->source;
	a->function_addr = sym->function_addr;
	snprintf(a->function, sizeof a->function, "%s", sym->locs[0].function ? sym->locs[0].function : "??");
	const char *outer = sym->locs[sym->count - 1].function;
	snprintf(a->raw, sizeof a->raw, "%s", sym->linkage_name ? sym->linkage_name : outer ? outer : "??");
	loc_text(a->location, sizeof a->location, &sym->locs[0]);
	size_t n = 0;
	for (size_t i = 1; i < sym->count; i++) {
		char l[1024];
		loc_text(l, sizeof l, &sym->locs[i]);
		n += (size_t)snprintf(a->inlined + n, sizeof a->inlined - n, "%s%s@%s", i > 1 ? " ; " : "",
				      sym->locs[i].function ? sym->locs[i].function : "??", l);
	}
}

/* One address and what llvm-symbolizer answered for it. */
typedef struct expectation {
	const char *image;
	const char *addr;
	const char *function, *location, *inlined, *linkage;  /* linkage may be NULL */
	const char *ret_function, *ret_location, *ret_inlined;
	uint64_t symbol;  /* symbol-table mode: address of the symbol llvm named, 0 if unknown */
} expectation;

/* Mismatches are collected so one failure shows several rows. */
typedef struct report {
	char text[4096];
	size_t len, count, rows, deviations;
} report;

static void mismatch(report *r, const expectation *e, const char *what, const char *want, const char *got)
{
	if (r->count++ < 8)
		r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len, "\n  %s %s %s: want '%s', got '%s'",
					   e->image, e->addr, what, want, got);
	if (r->len >= sizeof r->text)
		r->len = sizeof r->text - 1;
}

static void expect(report *r, const expectation *e, const char *what, const char *want, const char *got)
{
	if (strcmp(want, got) != 0)
		mismatch(r, e, what, want, got);
}

static void check_dwarf_row(report *r, crp_symbolicator *s, const crp_symbol_image *im, const expectation *e)
{
	answer a;
	uint64_t addr = hex(e->addr);
	lookup(s, im, addr, &a);
	expect(r, e, "function", e->function, a.function);
	expect(r, e, "location", e->location, a.location);
	expect(r, e, "inlined", e->inlined, a.inlined);
	if (e->linkage && strcmp(e->inlined, "-") == 0)
		expect(r, e, "linkage", e->linkage, a.raw);
	lookup(s, im, addr - 1, &a);
	expect(r, e, "ret function", e->ret_function, a.function);
	expect(r, e, "ret location", e->ret_location, a.location);
	expect(r, e, "ret inlined", e->ret_inlined, a.inlined);
	r->rows++;
}

/* llvm-symbolizer names the nearest preceding symbol; LC_FUNCTION_STARTS shows a function
 * beginning after that symbol: ours is the start, nameless. */
static void check_symtab_row(report *r, crp_symbolicator *s, const crp_symbol_image *im, const expectation *e)
{
	answer a;
	uint64_t addr = hex(e->addr);
	lookup(s, im, addr, &a);
	expect(r, e, "location", "??:0:0", a.location);
	if (a.source == CRP_SYMSRC_FUNCTION_STARTS && strcmp(e->function, "??") != 0) {
		if (!(e->symbol && a.function_addr > e->symbol && a.function_addr <= addr))
			mismatch(r, e, "function start", e->function, "a start outside the symbol's gap");
		expect(r, e, "function", "??", a.function);
		r->deviations++;
	} else {
		expect(r, e, "function", e->function, a.function);
	}
	r->rows++;
}

typedef enum mode { WITH_DSYM, DSYM_ONLY, BINARY_ONLY } mode;

static const crp_symbol_image *load_image(crp_symbolicator *s, const char *dir, const char *bin,
					  const char *dsym, mode m, const char *arch)
{
	crp_error err;
	char *b = tu_path(dir, bin), *d = tu_path(dir, dsym);
	if (m != DSYM_ONLY)
		ck_assert_msg(crp_symbolicator_add_path(s, b, &err) == CRP_OK, "%s", err.message);
	if (m != BINARY_ONLY)
		ck_assert_msg(crp_symbolicator_add_path(s, d, &err) == CRP_OK, "%s", err.message);
	free(b);
	free(d);
	crp_symbol_image_info info;
	for (size_t i = 0; i < crp_symbolicator_image_count(s); i++) {
		crp_symbol_image_get_info(crp_symbolicator_image(s, i), &info);
		if (info.arch && strcmp(info.arch, arch) == 0)
			return crp_symbolicator_image(s, i);
	}
	ck_abort_msg("%s: no %s image", bin, arch);
	return NULL;
}

static void finish(report *r, const char *image, const char *arch, bool stripped)
{
	ck_assert_msg(r->rows > 0, "%s %s: no addresses", image, arch);
	ck_assert_msg(r->count == 0, "%s %s: %zu mismatches of %zu rows:%s", image, arch, r->count, r->rows,
		      r->text);
	/* only stripped binaries hide functions from their symbol table */
	if (!stripped)
		ck_assert_uint_eq(r->deviations, 0);
}

/* -- the shared manifest ------------------------------------------------------------------ */

static expectation manifest_expectation(const mrow *row)
{
	expectation e = {row->f[F_PATH], row->f[F_ADDR], row->f[F_FUNCTION], row->f[F_LOCATION],
			 row->f[F_INLINED], row->f[F_LINKAGE], row->f[F_RET_FUNCTION], row->f[F_RET_LOCATION],
			 row->f[F_RET_INLINED], 0};
	return e;
}

/* WINDOWS_ONLY: every lookup outside the unit's window index builds another window, never the
 * whole unit (symindex_unit.c): each address is answered from what its window kept. */
#define DEFAULT_WINDOWS 0u
#define WINDOWS_ONLY UINT_MAX

static crp_symbolicator *new_symbolicator(unsigned windows)
{
	crp_symbolicator *s;
	ck_assert_int_eq(crp_symbolicator_new(&s, NULL), CRP_OK);
	if (windows != DEFAULT_WINDOWS)
		crp__symbols_set_windows(s, windows);
	return s;
}

static void check_image(size_t image_row, mode m, unsigned windows)
{
	const mrow *img = &rows[image_row];
	crp_symbolicator *s = new_symbolicator(windows);
	const crp_symbol_image *im = load_image(s, tu_macho_fixtures_dir(), img->f[I_PATH], img->f[I_DSYM], m,
						img->f[I_ARCH]);
	crp_symbol_image_info info;
	crp_symbol_image_get_info(im, &info);
	crp_uuid u = uuid_of(img->f[I_UUID]);
	ck_assert(im == crp_symbolicator_find(s, &u, (int32_t)atoi(img->f[I_CPU]), (int32_t)atoi(img->f[I_SUBTYPE])));
	ck_assert_uint_eq(info.text_vmaddr, hex(img->f[I_VMADDR]));
	ck_assert_uint_eq(info.text_vmsize, hex(img->f[I_VMSIZE]));
	report r = {{0}, 0, 0, 0, 0};
	for (size_t i = 0; i < n_rows; i++) {
		const mrow *row = &rows[i];
		if (strcmp(row->f[F_KIND], "addr") || strcmp(row->f[F_PATH], img->f[I_PATH]) ||
		    strcmp(row->f[F_ARCH], img->f[I_ARCH]))
			continue;
		expectation e = manifest_expectation(row);
		if (m == BINARY_ONLY) {
			e.function = row->f[F_SYMTAB];
			e.symbol = hex(row->f[F_ADDR]) - strtoull(row->f[F_OFFSET], NULL, 10);
			check_symtab_row(&r, s, im, &e);
		} else {
			check_dwarf_row(&r, s, im, &e);
		}
	}
	finish(&r, img->f[I_PATH], img->f[I_ARCH], strcmp(img->f[I_STRIP], "none") != 0);
	crp_symbolicator_free(s);
}

START_TEST(agrees_with_llvm_symbolizer_with_dsym)
{
	check_image(images[_i], WITH_DSYM, DEFAULT_WINDOWS);
}
END_TEST

START_TEST(agrees_with_llvm_symbolizer_by_windows)
{
	check_image(images[_i], WITH_DSYM, WINDOWS_ONLY);
}
END_TEST

START_TEST(agrees_with_llvm_symbolizer_by_whole_units)
{
	check_image(images[_i], DSYM_ONLY, 0);
}
END_TEST

START_TEST(agrees_with_llvm_symbolizer_from_dsym_alone)
{
	check_image(images[_i], DSYM_ONLY, DEFAULT_WINDOWS);
}
END_TEST

START_TEST(agrees_with_llvm_symbolizer_from_symbol_table)
{
	check_image(images[_i], BINARY_ONLY, DEFAULT_WINDOWS);
}
END_TEST

START_TEST(fixtures_absent)
{
	/* ../shared/tools or clang/ld64.lld/llvm are missing: nothing to compare with */
}
END_TEST

/* -- crashport's own fixtures (fixtures/macho, made by its make.sh) ------------------------- */

enum { X_IMAGE, X_ARCH, X_MODE, X_ADDR, X_FUNCTION, X_LOCATION, X_INLINED, X_RET_FUNCTION,
       X_RET_LOCATION, X_RET_INLINED, X_SYMBOL, X_MAX };

static char *own;
static mrow *own_rows;
static size_t n_own;

static void free_own(void)
{
	free(own);
	free(own_rows);
}

static void load_own(void)
{
	size_t len, cap = 1024;
	char *path = tu_path(tu_fixtures_dir(), "macho/expected.tsv");
	own = tu_read_file(path, &len);
	free(path);
	own_rows = malloc(cap * sizeof *own_rows);
	for (char *line = own ? strtok(own, "\n") : NULL; line; line = strtok(NULL, "\n")) {
		if (line[0] == '#')
			continue;
		if (n_own == cap)
			own_rows = realloc(own_rows, (cap *= 2) * sizeof *own_rows);
		mrow *r = &own_rows[n_own++];
		r->n = 0;
		for (char *p = line; p && r->n < X_MAX;) {
			r->f[r->n++] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
	}
	atexit(free_own);
}

static const struct own_image {
	const char *image, *arch, *mode, *dsym;
} own_images[] = {
	{"x86_64/Demo", "x86_64", "dsym", "x86_64/Demo.dSYM"},
	{"x86_64/libdemo.dylib", "x86_64", "dsym", "x86_64/libdemo.dylib.dSYM"},
	{"x86_64/Demo.stripped", "x86_64", "symtab", "-"},
	{"arm64e/Demo", "arm64e", "dsym", "arm64e/Demo.dSYM"},
	{"universal/Demo", "armv7", "dsym", "universal/Demo.dSYM"},
	{"universal/Demo", "x86_64", "dsym", "universal/Demo.dSYM"},
};

/* The image made ready (crp_symbol_image_prepare()) before its first lookup: built once. */
static void prepare(crp_symbolicator *s, const crp_symbol_image *im)
{
	crp_symbolicator_memory before, after, again;
	crp_error err;
	crp_symbolicator_get_memory(s, &before);
	ck_assert_msg(crp_symbol_image_prepare(s, im, &err) == CRP_OK, "%s", err.message);
	crp_symbolicator_get_memory(s, &after);
	ck_assert_uint_gt(after.held, before.held); /* the image level, built now */
	ck_assert_int_eq(crp_symbol_image_prepare(s, im, NULL), CRP_OK);
	crp_symbolicator_get_memory(s, &again);
	ck_assert_uint_eq(again.held, after.held);
}

static void check_own(const struct own_image *oi, mode m, unsigned windows, bool prepared)
{
	crp_symbolicator *s = new_symbolicator(windows);
	char *dir = tu_path(tu_fixtures_dir(), "macho");
	const crp_symbol_image *im = load_image(s, dir, oi->image, oi->dsym, m, oi->arch);
	if (prepared)
		prepare(s, im);
	report r = {{0}, 0, 0, 0, 0};
	for (size_t i = 0; i < n_own; i++) {
		const mrow *row = &own_rows[i];
		if (row->n != X_MAX || strcmp(row->f[X_IMAGE], oi->image) || strcmp(row->f[X_ARCH], oi->arch))
			continue;
		expectation e = {row->f[X_IMAGE], row->f[X_ADDR], row->f[X_FUNCTION], row->f[X_LOCATION],
				 row->f[X_INLINED], NULL, row->f[X_RET_FUNCTION], row->f[X_RET_LOCATION],
				 row->f[X_RET_INLINED], strcmp(row->f[X_SYMBOL], "-") ? hex(row->f[X_SYMBOL]) : 0};
		if (m == BINARY_ONLY)
			check_symtab_row(&r, s, im, &e);
		else
			check_dwarf_row(&r, s, im, &e);
	}
	finish(&r, oi->image, oi->arch, m == BINARY_ONLY);
	free(dir);
	crp_symbolicator_free(s);
}

/* An own fixture image with its dSYM, or a stripped one from its symbol table alone. */
static mode own_mode(const struct own_image *oi)
{
	return strcmp(oi->mode, "symtab") == 0 ? BINARY_ONLY : WITH_DSYM;
}

START_TEST(own_fixtures_agree_with_llvm_symbolizer)
{
	check_own(&own_images[_i], own_mode(&own_images[_i]), DEFAULT_WINDOWS, false);
}
END_TEST

START_TEST(own_fixtures_agree_by_windows)
{
	check_own(&own_images[_i], own_mode(&own_images[_i]), WINDOWS_ONLY, false);
}
END_TEST

START_TEST(own_fixtures_agree_by_whole_units)
{
	check_own(&own_images[_i], own_mode(&own_images[_i]), 0, false);
}
END_TEST

START_TEST(own_fixtures_agree_after_prepare)
{
	check_own(&own_images[_i], own_mode(&own_images[_i]), DEFAULT_WINDOWS, true);
}
END_TEST

START_TEST(prepare_without_arguments)
{
	crp_symbolicator *s = new_symbolicator(DEFAULT_WINDOWS);
	crp_error err;
	ck_assert_int_eq(crp_symbol_image_prepare(NULL, NULL, &err), CRP_EINVAL);
	ck_assert_int_eq(crp_symbol_image_prepare(s, NULL, NULL), CRP_EINVAL);
	crp_symbolicator_free(s);
}
END_TEST

START_TEST(own_fixtures_agree_from_dsym_alone)
{
	const struct own_image *oi = &own_images[_i];
	if (strcmp(oi->mode, "dsym") == 0)
		check_own(oi, DSYM_ONLY, DEFAULT_WINDOWS, false);
}
END_TEST

Suite *suite_symbols_fixtures(void)
{
	Suite *s = suite_create("symbols_fixtures");
	TCase *tc = tcase_create("own");
	load_own();
	tcase_add_loop_test(tc, own_fixtures_agree_with_llvm_symbolizer, 0, (int)(sizeof own_images / sizeof *own_images));
	tcase_add_loop_test(tc, own_fixtures_agree_from_dsym_alone, 0, (int)(sizeof own_images / sizeof *own_images));
	tcase_add_loop_test(tc, own_fixtures_agree_by_windows, 0, (int)(sizeof own_images / sizeof *own_images));
	tcase_add_loop_test(tc, own_fixtures_agree_by_whole_units, 0, (int)(sizeof own_images / sizeof *own_images));
	tcase_add_loop_test(tc, own_fixtures_agree_after_prepare, 0, (int)(sizeof own_images / sizeof *own_images));
	tcase_add_test(tc, prepare_without_arguments);
	suite_add_tcase(s, tc);
	return s;
}

Suite *suite_symbols(void)
{
	Suite *s = suite_create("symbols");
	TCase *tc = tcase_create("manifest");
	tcase_set_timeout(tc, 300);
	const char *dir = tu_macho_fixtures_dir();
	if (!dir || !load_manifest(dir)) {
		tcase_add_test(tc, fixtures_absent);
		suite_add_tcase(s, tc);
		return s;
	}
	tcase_add_loop_test(tc, agrees_with_llvm_symbolizer_with_dsym, 0, (int)n_images);
	tcase_add_loop_test(tc, agrees_with_llvm_symbolizer_from_dsym_alone, 0, (int)n_images);
	tcase_add_loop_test(tc, agrees_with_llvm_symbolizer_from_symbol_table, 0, (int)n_images);
	tcase_add_loop_test(tc, agrees_with_llvm_symbolizer_by_windows, 0, (int)n_images);
	tcase_add_loop_test(tc, agrees_with_llvm_symbolizer_by_whole_units, 0, (int)n_images);
	suite_add_tcase(s, tc);
	return s;
}
