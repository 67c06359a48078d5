/* Symbolication against the real Mach-O fixtures of ../shared/tools/make-macho-fixtures.sh, and
 * agreement with the llvm-symbolizer 14 answers in their manifest: every address of every image
 * (thin, universal, stripped, dylib), as a PC and as a return address (address - 1), with the
 * binary and its dSYM, with the dSYM alone, and with the binary alone.
 *
 * Rows where llvm-symbolizer is wrong are asserted to be exactly the documented kind: on a
 * stripped binary without dSYM it names an address after the nearest preceding symbol, even
 * when LC_FUNCTION_STARTS shows a function starting in between; crashport answers "a function
 * starting there, name unknown" instead. */
#include <stdlib.h>
#include <string.h>

#include "crashport/symbols.h"
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

/* Mismatches are collected so one failure shows several rows. */
typedef struct report {
	char text[4096];
	size_t len, count, rows;
} report;

static void mismatch(report *r, const mrow *row, const char *what, const char *want, const char *got)
{
	if (r->count++ < 8)
		r->len += (size_t)snprintf(r->text + r->len, sizeof r->text - r->len, "\n  %s %s %s: want '%s', got '%s'",
					   row->f[F_PATH], row->f[F_ADDR], what, want, got);
	if (r->len >= sizeof r->text)
		r->len = sizeof r->text - 1;
}

static void expect(report *r, const mrow *row, const char *what, const char *want, const char *got)
{
	if (strcmp(want, got) != 0)
		mismatch(r, row, what, want, got);
}

static void check_dwarf_row(report *r, crp_symbolicator *s, const crp_symbol_image *im, const mrow *row)
{
	answer a;
	uint64_t addr = hex(row->f[F_ADDR]);
	lookup(s, im, addr, &a);
	expect(r, row, "function", row->f[F_FUNCTION], a.function);
	expect(r, row, "location", row->f[F_LOCATION], a.location);
	expect(r, row, "inlined", row->f[F_INLINED], a.inlined);
	if (strcmp(row->f[F_INLINED], "-") == 0)
		expect(r, row, "linkage", row->f[F_LINKAGE], a.raw);
	lookup(s, im, addr - 1, &a);
	expect(r, row, "ret function", row->f[F_RET_FUNCTION], a.function);
	expect(r, row, "ret location", row->f[F_RET_LOCATION], a.location);
	expect(r, row, "ret inlined", row->f[F_RET_INLINED], a.inlined);
	r->rows++;
}

/* llvm-symbolizer names the nearest preceding symbol; LC_FUNCTION_STARTS shows a function
 * beginning after that symbol: ours is the start, nameless. */
static void check_symtab_row(report *r, crp_symbolicator *s, const crp_symbol_image *im, const mrow *row,
			     size_t *deviations)
{
	answer a;
	uint64_t addr = hex(row->f[F_ADDR]);
	lookup(s, im, addr, &a);
	expect(r, row, "location", "??:0:0", a.location);
	if (a.source == CRP_SYMSRC_FUNCTION_STARTS && strcmp(row->f[F_SYMTAB], "??") != 0) {
		uint64_t llvm_symbol = addr - strtoull(row->f[F_OFFSET], NULL, 10);
		if (!(a.function_addr > llvm_symbol && a.function_addr <= addr))
			mismatch(r, row, "function start", row->f[F_NEAREST], "a start outside the symbol's gap");
		expect(r, row, "function", "??", a.function);
		(*deviations)++;
	} else {
		expect(r, row, "function", row->f[F_SYMTAB], a.function);
	}
	r->rows++;
}

typedef enum mode { WITH_DSYM, DSYM_ONLY, BINARY_ONLY } mode;

static void check_image(size_t image_row, mode m)
{
	const mrow *img = &rows[image_row];
	const char *dir = tu_macho_fixtures_dir();
	crp_symbolicator *s;
	crp_error err;
	ck_assert_int_eq(crp_symbolicator_new(&s, NULL), CRP_OK);
	char *bin = tu_path(dir, img->f[I_PATH]), *dsym = tu_path(dir, img->f[I_DSYM]);
	if (m != DSYM_ONLY)
		ck_assert_msg(crp_symbolicator_add_path(s, bin, &err) == CRP_OK, "%s", err.message);
	if (m != BINARY_ONLY)
		ck_assert_msg(crp_symbolicator_add_path(s, dsym, &err) == CRP_OK, "%s", err.message);
	crp_uuid u = uuid_of(img->f[I_UUID]);
	const crp_symbol_image *im = crp_symbolicator_find(s, &u, (int32_t)atoi(img->f[I_CPU]),
							   (int32_t)atoi(img->f[I_SUBTYPE]));
	ck_assert_msg(im != NULL, "%s: no image for %s", img->f[I_PATH], img->f[I_UUID]);
	crp_symbol_image_info info;
	crp_symbol_image_get_info(im, &info);
	ck_assert_str_eq(info.arch, img->f[I_ARCH]);
	ck_assert_uint_eq(info.text_vmaddr, hex(img->f[I_VMADDR]));
	report r = {{0}, 0, 0, 0};
	size_t deviations = 0;
	for (size_t i = 0; i < n_rows; i++) {
		const mrow *row = &rows[i];
		if (strcmp(row->f[F_KIND], "addr") || strcmp(row->f[F_PATH], img->f[I_PATH]) ||
		    strcmp(row->f[F_ARCH], img->f[I_ARCH]))
			continue;
		if (m == BINARY_ONLY)
			check_symtab_row(&r, s, im, row, &deviations);
		else
			check_dwarf_row(&r, s, im, row);
	}
	ck_assert_msg(r.rows > 0, "%s %s: no addresses", img->f[I_PATH], img->f[I_ARCH]);
	ck_assert_msg(r.count == 0, "%s %s: %zu mismatches of %zu rows:%s", img->f[I_PATH], img->f[I_ARCH],
		      r.count, r.rows, r.text);
	/* only stripped binaries hide functions from their symbol table */
	if (strcmp(img->f[I_STRIP], "none") == 0)
		ck_assert_uint_eq(deviations, 0);
	free(bin);
	free(dsym);
	crp_symbolicator_free(s);
}

START_TEST(agrees_with_llvm_symbolizer_with_dsym)
{
	check_image(images[_i], WITH_DSYM);
}
END_TEST

START_TEST(agrees_with_llvm_symbolizer_from_dsym_alone)
{
	check_image(images[_i], DSYM_ONLY);
}
END_TEST

START_TEST(agrees_with_llvm_symbolizer_from_symbol_table)
{
	check_image(images[_i], BINARY_ONLY);
}
END_TEST

START_TEST(fixtures_absent)
{
	/* ../shared/tools or clang/ld64.lld/llvm are missing: nothing to compare with */
}
END_TEST

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
	suite_add_tcase(s, tc);
	return s;
}
