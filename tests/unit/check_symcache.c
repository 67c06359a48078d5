/* Symbol caches (schema/symcache-format.md): every answer through a cache equals the answer from
 * the Mach-O files it was written from, for every address of every fixture image (ours, and the
 * shared ones when they are built), as written and one byte earlier; every truncation and every
 * single-byte change of a cache is an error (never a wrong answer); the cache directory writes
 * a cache on first use, uses it afterwards and writes it again when the files change. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashport/symbols.h"
#include "testutil.h"

typedef struct fixture {
	const char *binary, *dsym, *arch;  /* NULL: not given */
} fixture;

static const fixture fixtures[] = {
	{"x86_64/Demo", "x86_64/Demo.dSYM", "x86_64"},
	{NULL, "x86_64/Demo.dSYM", "x86_64"},
	{"x86_64/Demo.stripped", NULL, "x86_64"},
	{"x86_64/libdemo.dylib", "x86_64/libdemo.dylib.dSYM", "x86_64"},
	{"arm64e/Demo", "arm64e/Demo.dSYM", "arm64e"},
	{"universal/Demo", "universal/Demo.dSYM", "armv7"},
	{"universal/Demo", "universal/Demo.dSYM", "x86_64"},
};

static const crp_symbol_image *image_of(const crp_symbolicator *s, const char *arch)
{
	crp_symbol_image_info info;
	for (size_t i = 0; i < crp_symbolicator_image_count(s); i++) {
		crp_symbol_image_get_info(crp_symbolicator_image(s, i), &info);
		if (info.arch && strcmp(info.arch, arch) == 0)
			return crp_symbolicator_image(s, i);
	}
	return NULL;
}

static crp_symbolicator *from_files(const char *dir, const fixture *f, const crp_symbolicator_options *o)
{
	crp_symbolicator *s;
	crp_error err;
	ck_assert_int_eq(crp_symbolicator_new(&s, o), CRP_OK);
	const char *paths[2] = {f->binary, f->dsym};
	for (int i = 0; i < 2; i++) {
		if (!paths[i])
			continue;
		char *p = tu_path(dir, paths[i]);
		ck_assert_msg(crp_symbolicator_add_path(s, p, &err) == CRP_OK, "%s", err.message);
		free(p);
	}
	return s;
}

static void write_cache(const crp_symbolicator *s, const crp_symbol_image *im, crp_buffer *out)
{
	crp_sink sink;
	crp_error err;
	crp_sink_init_buffer(&sink, out);
	ck_assert_msg(crp_symbol_image_write_cache(s, im, &sink, &err) == CRP_OK, "%s", err.message);
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Field by field: what a frame, the JSON and the Apple writers would show. */
static bool same_answer(const crp_symbolication *a, const crp_symbolication *b)
{
	if (!a || !b)
		return a == b;
	if (a->source != b->source || a->flags != b->flags || !same_str(a->image, b->image) ||
	    a->lookup_addr != b->lookup_addr || a->function_addr != b->function_addr || a->offset != b->offset ||
	    !same_str(a->linkage_name, b->linkage_name) || a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!same_str(a->locs[i].function, b->locs[i].function) || !same_str(a->locs[i].file, b->locs[i].file) ||
		    a->locs[i].line != b->locs[i].line || a->locs[i].column != b->locs[i].column)
			return false;
	return true;
}

/* The addresses to compare: every one of __TEXT and a little around it, or those given. */
typedef struct addrs {
	const uint64_t *list;   /* NULL: all of __TEXT */
	size_t count;
} addrs;

static size_t compare(crp_symbolicator *files, const crp_symbol_image *fi, crp_symbolicator *cache,
		      const crp_symbol_image *ci, const char *label, const addrs *which)
{
	crp_symbol_image_info info;
	crp_symbol_answer *ra, *rb;
	crp_symbol_image_get_info(fi, &info);
	ck_assert_int_eq(crp_symbol_answer_new(&ra, files), CRP_OK);
	ck_assert_int_eq(crp_symbol_answer_new(&rb, cache), CRP_OK);
	size_t answered = 0;
	uint64_t lo = info.text_vmaddr > 64 ? info.text_vmaddr - 64 : 0, hi = info.text_vmaddr + info.text_vmsize + 64;
	size_t n = which && which->list ? which->count : (size_t)(hi - lo);
	for (size_t k = 0; k < n; k++) {
		uint64_t a = which && which->list ? which->list[k] : lo + k;
		const crp_symbolication *x, *y;
		crp_error err;
		ck_assert_int_eq(crp_symbolicator_lookup_r(&x, ra, files, fi, a, &err), CRP_OK);
		ck_assert_msg(crp_symbolicator_lookup_r(&y, rb, cache, ci, a, &err) == CRP_OK, "%s: %s", label, err.message);
		ck_assert_msg(same_answer(x, y), "%s: the cache answers 0x%llx differently", label, (unsigned long long)a);
		answered += x != NULL;
	}
	crp_symbol_answer_free(ra);
	crp_symbol_answer_free(rb);
	return answered;
}

static size_t compare_all(crp_symbolicator *files, const crp_symbol_image *fi, crp_symbolicator *cache,
			  const crp_symbol_image *ci, const char *label)
{
	return compare(files, fi, cache, ci, label, NULL);
}

/* Units indexed by four threads at once make the same cache, byte for byte. */
static void same_with_build_threads(const char *dir, const fixture *f, const crp_buffer *want)
{
	crp_symbolicator_options o = CRP_SYMBOLICATOR_OPTIONS_INIT;
	o.cache_build_threads = 4;
	crp_symbolicator *s = from_files(dir, f, &o);
	crp_buffer got = CRP_BUFFER_INIT;
	write_cache(s, image_of(s, f->arch), &got);
	ck_assert(got.len == want->len && memcmp(got.data, want->data, got.len) == 0);
	crp_buffer_dispose(&got);
	crp_symbolicator_free(s);
}

static void check_fixture(const char *dir, const fixture *f, const addrs *which)
{
	crp_symbolicator *files = from_files(dir, f, NULL), *cache;
	const crp_symbol_image *fi = image_of(files, f->arch), *ci;
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_error err;
	ck_assert_ptr_nonnull(fi);
	write_cache(files, fi, &buf);
	same_with_build_threads(dir, f, &buf);
	ck_assert_int_eq(crp_symbolicator_new(&cache, NULL), CRP_OK);
	ck_assert_msg(crp_symbolicator_add_memory(cache, buf.data, buf.len, "demo.symcache", &err) == CRP_OK, "%s",
		      err.message);
	ck_assert_uint_eq(crp_symbolicator_image_count(cache), 1);
	ci = crp_symbolicator_image(cache, 0);
	crp_symbol_image_info a, b;
	crp_symbol_image_get_info(fi, &a);
	crp_symbol_image_get_info(ci, &b);
	ck_assert_str_eq(a.name, b.name);
	ck_assert(!memcmp(a.uuid.bytes, b.uuid.bytes, 16) && a.cpu_type == b.cpu_type);
	ck_assert_uint_eq(a.text_vmaddr, b.text_vmaddr);
	ck_assert(a.has_dwarf == b.has_dwarf && a.has_symtab == b.has_symtab);
	ck_assert_uint_gt(compare(files, fi, cache, ci, f->binary ? f->binary : f->dsym, which), 0);
	crp_symbolicator_free(cache);
	crp_symbolicator_free(files);
	crp_buffer_dispose(&buf);
}

START_TEST(answers_through_a_cache_are_the_files_answers)
{
	char *dir = tu_path(tu_fixtures_dir(), "macho");
	check_fixture(dir, &fixtures[_i], NULL);
	free(dir);
}
END_TEST

/* Tab-separated field i of a manifest line (copied into out). */
static void field(const char *line, int i, char *out, size_t cap)
{
	for (; i > 0 && line; i--)
		if ((line = strchr(line, '\t')) != NULL)
			line++;
	size_t n = line ? strcspn(line, "\t\n") : 0;
	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), line ? line : "");
}

/* The manifest's addresses of one image, each also one byte earlier (a return address). */
static size_t manifest_addrs(const char *manifest, const char *path, const char *arch, uint64_t *out, size_t cap)
{
	size_t n = 0;
	for (const char *l = manifest; l && *l && n + 2 <= cap; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char kind[16], p[256], a[32], addr[32];
		field(l, 0, kind, sizeof kind), field(l, 1, p, sizeof p), field(l, 2, a, sizeof a), field(l, 3, addr, sizeof addr);
		if (strcmp(kind, "addr") || strcmp(p, path) || strcmp(a, arch))
			continue;
		uint64_t at = strtoull(addr, NULL, 16);
		out[n++] = at;
		out[n++] = at - 1;
	}
	return n;
}

/* Every image of ../shared/tools/make-macho-fixtures.sh, with its dSYM and alone, at every
 * address of the manifest (llvm-symbolizer's answers are checked in check_symbols.c). */
START_TEST(shared_fixtures_through_caches)
{
	const char *dir = tu_macho_fixtures_dir();
	if (!dir)
		return;
	size_t len;
	char *mpath = tu_path(dir, "manifest.tsv"), *manifest = tu_read_file(mpath, &len);
	uint64_t *list = malloc(65536 * sizeof *list);
	size_t checked = 0;
	for (const char *l = manifest; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		char kind[16], path[256], arch[32], dsym[256];
		field(l, 0, kind, sizeof kind), field(l, 1, path, sizeof path), field(l, 2, arch, sizeof arch);
		field(l, 9, dsym, sizeof dsym);
		if (strcmp(kind, "image"))
			continue;
		addrs which = {list, manifest_addrs(manifest, path, arch, list, 65536)};
		fixture with = {path, dsym, arch}, alone = {path, NULL, arch};
		check_fixture(dir, &with, &which);
		check_fixture(dir, &alone, &which);
		checked++;
	}
	ck_assert_uint_gt(checked, 10);
	free(list), free(manifest), free(mpath);
}
END_TEST

/* A cache of x86_64/Demo with its dSYM, and the files' symbolicator. */
static crp_symbolicator *demo_cache(crp_buffer *buf)
{
	char *dir = tu_path(tu_fixtures_dir(), "macho");
	crp_symbolicator *files = from_files(dir, &fixtures[0], NULL);
	free(dir);
	write_cache(files, image_of(files, "x86_64"), buf);
	return files;
}

/* Every lookup either fails with CRP_ECORRUPT or gives the files' answer. */
static void damaged_answers(crp_symbolicator *files, const char *bytes, size_t len, size_t at)
{
	crp_symbolicator *c;
	crp_error err;
	ck_assert_int_eq(crp_symbolicator_new(&c, NULL), CRP_OK);
	int rc = crp_symbolicator_add_memory(c, bytes, len, "damaged", &err);
	if (rc != CRP_OK) { /* a changed magic makes it no symbol file at all */
		ck_assert_msg(rc == CRP_ECORRUPT || (at < 8 && rc == CRP_EUNSUPPORTED), "at %zu (len %zu): %s", at, len,
			      crp_status_str(rc));
		crp_symbolicator_free(c);
		return;
	}
	const crp_symbol_image *fi = image_of(files, "x86_64"), *ci = crp_symbolicator_image(c, 0);
	crp_symbol_image_info info;
	crp_symbol_image_get_info(fi, &info);
	for (uint64_t a = info.text_vmaddr; a < info.text_vmaddr + info.text_vmsize; a += 3) {
		const crp_symbolication *x, *y;
		ck_assert_int_eq(crp_symbolicator_lookup(&x, files, fi, a, &err), CRP_OK);
		rc = crp_symbolicator_lookup(&y, c, ci, a, &err); /* answers live in each symbolicator */
		if (rc != CRP_OK) {
			ck_assert_msg(rc == CRP_ECORRUPT, "byte %zu: lookup gives %s", at, crp_status_str(rc));
			break;
		}
		ck_assert_msg(same_answer(x, y), "byte %zu changed: a wrong answer for 0x%llx", at, (unsigned long long)a);
	}
	crp_symbolicator_free(c);
}

START_TEST(every_truncation_is_an_error)
{
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_symbolicator *files = demo_cache(&buf);
	for (size_t len = 0; len < buf.len; len++) {
		crp_symbolicator *c;
		crp_error err;
		ck_assert_int_eq(crp_symbolicator_new(&c, NULL), CRP_OK);
		int rc = crp_symbolicator_add_memory(c, buf.data, len, "cut", &err);
		ck_assert_msg(rc == CRP_ECORRUPT || (len < 8 && rc != CRP_OK), "cut at %zu: %s", len, crp_status_str(rc));
		crp_symbolicator_free(c);
	}
	crp_symbolicator_free(files);
	crp_buffer_dispose(&buf);
}
END_TEST

START_TEST(every_changed_byte_is_an_error_or_changes_nothing)
{
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_symbolicator *files = demo_cache(&buf);
	char *copy = malloc(buf.len);
	for (size_t at = 0; at < buf.len; at++) {
		memcpy(copy, buf.data, buf.len);
		copy[at] ^= (char)(1u << (at % 8));
		damaged_answers(files, copy, buf.len, at);
	}
	free(copy);
	crp_symbolicator_free(files);
	crp_buffer_dispose(&buf);
}
END_TEST

/* -- the cache directory ------------------------------------------------------------------ */

static void copy_file(const char *from, const char *to)
{
	size_t len;
	char *data = tu_read_file(from, &len);
	ck_assert_ptr_nonnull(data);
	FILE *f = fopen(to, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
	free(data);
}

static void lookup_all(crp_symbolicator *s, const char *arch, crp_symbolicator *want)
{
	const crp_symbol_image *im = image_of(s, arch), *wi = image_of(want, arch);
	ck_assert_uint_gt(compare_all(want, wi, s, im, "cache directory"), 0);
}

static ino_t inode(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

START_TEST(cache_directory_writes_uses_and_renews)
{
	char tmp[] = "/tmp/crp-symcache-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	char *src = tu_path(tu_fixtures_dir(), "macho/x86_64/Demo"), *bin = tu_path(tmp, "Demo");
	char *dsym_src = tu_path(tu_fixtures_dir(), "macho/x86_64/Demo.dSYM/Contents/Resources/DWARF/Demo");
	char *dsym = tu_path(tmp, "Demo.dwarf"), *dir = tu_path(tmp, "caches");
	char *cache = tu_path(dir, "4C4C44D7-5555-3144-A1ED-9D98060FB335/x86_64.symcache");
	copy_file(src, bin);
	copy_file(dsym_src, dsym);
	fixture f = {"Demo", "Demo.dwarf", "x86_64"};
	crp_symbolicator *want = from_files(tmp, &f, NULL);
	crp_symbolicator_options o = CRP_SYMBOLICATOR_OPTIONS_INIT;
	o.cache_dir = dir;
	for (int round = 0; round < 3; round++) {
		ino_t before = inode(cache);
		if (round == 2) { /* the dSYM changes: the cache is written again */
			struct timespec t[2] = {{0, UTIME_OMIT}, {1000000000, 0}};
			ck_assert_int_eq(utimensat(AT_FDCWD, dsym, t, 0), 0);
			crp_symbolicator_free(want);
			want = from_files(tmp, &f, NULL);
		}
		crp_symbolicator *s = from_files(tmp, &f, &o);
		lookup_all(s, "x86_64", want);
		crp_symbolicator_free(s);
		ck_assert_msg(inode(cache) != 0, "round %d: no cache written", round);
		if (round == 1)
			ck_assert_msg(inode(cache) == before, "a fresh cache was written again");
		if (round == 2)
			ck_assert_msg(inode(cache) != before, "a stale cache was kept");
	}
	crp_symbolicator_free(want);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
	free(src), free(bin), free(dsym_src), free(dsym), free(dir), free(cache);
}
END_TEST

START_TEST(cache_files_given_with_their_sources)
{
	/* a cache and the files it was written from: the cache answers; a cache of other files
	 * (here: the dSYM alone, then given with the binary too) is not used */
	crp_buffer buf = CRP_BUFFER_INIT;
	char *dir = tu_path(tu_fixtures_dir(), "macho");
	crp_symbolicator *dsym_only = from_files(dir, &fixtures[1], NULL);
	write_cache(dsym_only, image_of(dsym_only, "x86_64"), &buf);
	crp_symbolicator *both = from_files(dir, &fixtures[0], NULL), *mixed = from_files(dir, &fixtures[0], NULL);
	crp_error err;
	ck_assert_int_eq(crp_symbolicator_add_memory(mixed, buf.data, buf.len, "dsym.symcache", &err), CRP_OK);
	ck_assert_uint_eq(crp_symbolicator_image_count(mixed), 1);
	lookup_all(mixed, "x86_64", both);
	crp_symbol_image_info info;
	crp_symbol_image_get_info(image_of(mixed, "x86_64"), &info);
	ck_assert(info.has_function_starts); /* the binary's: the files, not the cache, describe it */
	crp_symbolicator_free(dsym_only), crp_symbolicator_free(both), crp_symbolicator_free(mixed);
	free(dir);
	crp_buffer_dispose(&buf);
}
END_TEST

START_TEST(bad_arguments_and_cache_only_images)
{
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_symbolicator *files = demo_cache(&buf), *c;
	crp_sink sink;
	crp_error err;
	crp_buffer out = CRP_BUFFER_INIT;
	crp_sink_init_buffer(&sink, &out);
	ck_assert_int_eq(crp_symbol_image_write_cache(NULL, NULL, &sink, &err), CRP_EINVAL);
	ck_assert_int_eq(crp_symbolicator_new(&c, NULL), CRP_OK);
	ck_assert_int_eq(crp_symbolicator_add_memory(c, buf.data, buf.len, "only.symcache", &err), CRP_OK);
	/* nothing to write a cache from */
	ck_assert_int_eq(crp_symbol_image_write_cache(c, crp_symbolicator_image(c, 0), &sink, &err), CRP_EINVAL);
	/* callers built with an earlier version pass a shorter struct: no more of it is read (ASan
	 * sees a read past these exact-size blocks) */
	static const size_t sizes[] = {0, offsetof(crp_symbolicator_options, cache_dir),
				       offsetof(crp_symbolicator_options, flags),
				       offsetof(crp_symbolicator_options, cache_build_threads),
				       sizeof(crp_symbolicator_options)};
	for (unsigned v = 1; v <= 4; v++) {
		crp_symbolicator_options o = CRP_SYMBOLICATOR_OPTIONS_INIT;
		o.version = v;
		void *shorter = malloc(sizes[v]);
		memcpy(shorter, &o, sizes[v]);
		crp_symbolicator *old;
		ck_assert_int_eq(crp_symbolicator_new(&old, shorter), CRP_OK);
		crp_symbolicator_free(old);
		free(shorter);
	}
	crp_symbolicator_options future = CRP_SYMBOLICATOR_OPTIONS_INIT;
	future.version = 5;
	crp_symbolicator *none;
	ck_assert_int_eq(crp_symbolicator_new(&none, &future), CRP_EINVAL);
	crp_symbolicator_free(c), crp_symbolicator_free(files);
	crp_buffer_dispose(&buf), crp_buffer_dispose(&out);
}
END_TEST

Suite *suite_symcache(void)
{
	Suite *s = suite_create("symcache");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_loop_test(tc, answers_through_a_cache_are_the_files_answers, 0,
			    (int)(sizeof fixtures / sizeof *fixtures));
	tcase_add_test(tc, shared_fixtures_through_caches);
	tcase_add_test(tc, every_truncation_is_an_error);
	tcase_add_test(tc, every_changed_byte_is_an_error_or_changes_nothing);
	tcase_add_test(tc, cache_directory_writes_uses_and_renews);
	tcase_add_test(tc, cache_files_given_with_their_sources);
	tcase_add_test(tc, bad_arguments_and_cache_only_images);
	suite_add_tcase(s, tc);
	return s;
}
