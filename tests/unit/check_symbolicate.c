/* crp_report_symbolicate(): reports whose images sit at slid load addresses, against the real
 * fixtures (return-address adjustment, PAC bits, recrash reports, warnings, statistics), the
 * symbolicator API's edges, and out-of-memory at every allocation. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/compare.h"
#include "crashport/symbols.h"
#include "testutil.h"

static char *macho_path(const char *rel)
{
	char *dir = tu_path(tu_fixtures_dir(), "macho");
	char *p = tu_path(dir, rel);
	free(dir);
	return p;
}

static crp_report *parse_file(const char *rel)
{
	size_t len;
	char *path = macho_path(rel);
	char *data = tu_read_file(path, &len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	crp_report *r;
	crp_error e;
	ck_assert_msg(crp_report_parse(&r, data, len, NULL, &e) == CRP_OK, "%s: %s", rel, e.message);
	free(path);
	free(data);
	return r;
}

static crp_symbolicator *symbolicator_with(const char *rel)
{
	crp_symbolicator *s;
	crp_error err;
	ck_assert_int_eq(crp_symbolicator_new(&s, NULL), CRP_OK);
	char *p = macho_path(rel);
	ck_assert_msg(crp_symbolicator_add_path(s, p, &err) == CRP_OK, "%s", err.message);
	free(p);
	return s;
}

static const crp_frame *frame_of(const crp_report *r, size_t thread, size_t i)
{
	const crp_crash *c = crp_report_crash(r);
	ck_assert_uint_gt(c->thread_count, thread);
	ck_assert_uint_gt(c->threads[thread].backtrace.frame_count, i);
	return &c->threads[thread].backtrace.frames[i];
}

START_TEST(report_frames_are_symbolicated)
{
	crp_report *r = parse_file("report-x86_64.json");
	crp_symbolicator *s = symbolicator_with("x86_64");
	crp_symbolicate_stats st;
	crp_error err;
	size_t warnings = crp_report_warning_count(r);
	ck_assert_int_eq(crp_report_symbolicate(r, s, NULL, &st, &err), CRP_OK);
	crp_symbolicator_free(s); /* results live in the report */
	ck_assert_uint_eq(st.frames, 8);
	ck_assert_uint_eq(st.symbolicated, 6);
	ck_assert_uint_eq(st.by_dwarf, 6);
	ck_assert_uint_eq(st.outside_images, 1);
	ck_assert_uint_eq(st.without_symbols, 1);
	ck_assert_uint_eq(st.unknown, 0);
	ck_assert_uint_eq(st.images_matched, 2);
	ck_assert_uint_eq(st.images_missing, 1);
	/* the PC: looked up as is, inside functions inlined three deep */
	const crp_symbolication *pc = frame_of(r, 0, 0)->symbolicated;
	ck_assert_ptr_nonnull(pc);
	ck_assert_uint_eq(pc->source, CRP_SYMSRC_DWARF);
	ck_assert_uint_eq(pc->flags, 0);
	ck_assert_uint_eq(pc->count, 4);
	ck_assert_str_eq(pc->locs[0].function, "leaf_math");
	ck_assert_str_eq(pc->locs[3].function, "crash_here");
	ck_assert_str_eq(pc->locs[3].file, "/crashport/src/demo.c");
	ck_assert_uint_eq(pc->lookup_addr, frame_of(r, 0, 0)->instruction_addr - 0xa7c3000);
	ck_assert_uint_le(pc->function_addr, frame_of(r, 0, 0)->instruction_addr);
	ck_assert_uint_eq(pc->offset, frame_of(r, 0, 0)->instruction_addr - pc->function_addr);
	ck_assert(strstr(pc->image, "x86_64/Demo.dSYM/Contents/Resources/DWARF/Demo") != NULL);
	/* return addresses: one byte back on x86 */
	const crp_symbolication *ret = frame_of(r, 0, 1)->symbolicated;
	ck_assert_uint_eq(ret->flags, CRP_SYM_ADJUSTED);
	ck_assert_uint_eq(ret->lookup_addr, frame_of(r, 0, 1)->instruction_addr - 0xa7c3000 - 1);
	ck_assert_str_eq(ret->locs[ret->count - 1].function, "step2");
	ck_assert_ptr_null(frame_of(r, 0, 4)->symbolicated); /* libsystem_kernel: no symbols */
	ck_assert_ptr_null(frame_of(r, 0, 5)->symbolicated); /* in no image */
	/* the report's own names are kept */
	ck_assert_str_eq(frame_of(r, 0, 0)->symbol_name, "crash_here");
	/* frame 0 of another thread is its PC too, in the dylib (__TEXT at 0) */
	const crp_symbolication *lib = frame_of(r, 1, 0)->symbolicated;
	ck_assert_uint_eq(lib->flags, 0);
	ck_assert_str_eq(lib->locs[lib->count - 1].function, "lib_scale");
	ck_assert(strstr(lib->image, "libdemo.dylib.dSYM") != NULL);
	/* one warning per image without symbols, one for the frames outside every image */
	ck_assert_uint_eq(crp_report_warning_count(r), warnings + 2);
	const crp_diag *w = crp_report_warning(r, warnings);
	ck_assert_int_eq(w->code, CRP_W_SYMBOLS);
	ck_assert_str_eq(w->json_path, "binary_images[2]");
	w = crp_report_warning(r, warnings + 1);
	ck_assert_str_eq(w->json_path, "crash.threads[0].backtrace.contents[5]");
	ck_assert(strstr(w->message, "1 frame lies outside every binary image") != NULL);
	crp_report_free(r);
}
END_TEST

START_TEST(pac_bits_recrash_and_exception_backtraces)
{
	crp_report *r = parse_file("report-arm64e-recrash.json");
	crp_symbolicator *s = symbolicator_with("arm64e/Demo.dSYM");
	crp_symbolicate_stats st;
	ck_assert_int_eq(crp_report_symbolicate(r, s, NULL, &st, NULL), CRP_OK);
	/* minimal report: 2 frames, found in the original's images; original: 4 + 2 */
	ck_assert_uint_eq(st.frames, 8);
	ck_assert_uint_eq(st.symbolicated, 7);
	ck_assert_uint_eq(st.without_symbols, 1);
	const crp_crash *minimal = crp_report_crash(r);
	ck_assert_ptr_nonnull(minimal->crashed_thread);
	const crp_frame *f = &minimal->crashed_thread->backtrace.frames[1];
	ck_assert_uint_eq(f->symbolicated->flags, CRP_SYM_ADJUSTED | CRP_SYM_PAC_STRIPPED);
	uint64_t stripped = f->instruction_addr & 0x0000000fffffffffu;
	ck_assert_uint_eq(f->symbolicated->lookup_addr, stripped - 0x2f44000 - 4); /* arm64: -4 */
	ck_assert_uint_eq(f->symbolicated->offset, stripped - f->symbolicated->function_addr); /* no PAC bits */
	const crp_report *orig = crp_report_recrash(r);
	const crp_frame *pc = &crp_report_crash(orig)->threads[0].backtrace.frames[0];
	ck_assert_uint_eq(pc->symbolicated->count, 4);
	ck_assert_uint_eq(pc->symbolicated->flags, 0);
	/* NSException-style: every frame of last_exception_backtrace is a return address */
	const crp_backtrace *leb = &crp_report_crash(orig)->last_exception_backtrace;
	ck_assert_uint_eq(leb->frame_count, 2);
	ck_assert_uint_eq(leb->frames[0].symbolicated->flags, CRP_SYM_ADJUSTED | CRP_SYM_PAC_STRIPPED);
	ck_assert_uint_eq(leb->frames[1].symbolicated->flags, CRP_SYM_ADJUSTED);
	ck_assert_str_eq(leb->frames[1].symbolicated->locs[0].function, "step1");
	/* the warning about the system image names the original report's image */
	const crp_diag *w = crp_report_warning(r, crp_report_warning_count(r) - 1);
	ck_assert_str_eq(w->json_path, "recrash_report.binary_images[1]");
	crp_report_free(r);
	crp_symbolicator_free(s);
}
END_TEST

START_TEST(no_adjust_looks_frames_up_as_written)
{
	crp_report *r = parse_file("report-x86_64.json");
	crp_symbolicator *s = symbolicator_with("x86_64");
	crp_symbolicate_options o = CRP_SYMBOLICATE_OPTIONS_INIT;
	o.flags = CRP_SYMBOLICATE_NO_ADJUST;
	ck_assert_int_eq(crp_report_symbolicate(r, s, &o, NULL, NULL), CRP_OK);
	const crp_frame *f = frame_of(r, 0, 1);
	ck_assert_uint_eq(f->symbolicated->flags, 0);
	ck_assert_uint_eq(f->symbolicated->lookup_addr, f->instruction_addr - 0xa7c3000);
	crp_report_free(r);
	crp_symbolicator_free(s);
}
END_TEST

START_TEST(symbolicating_again_gives_the_same_frames)
{
	crp_report *a = parse_file("report-x86_64.json"), *b = parse_file("report-x86_64.json");
	crp_symbolicator *s = symbolicator_with("x86_64");
	char where[256];
	ck_assert_int_eq(crp_report_symbolicate(a, s, NULL, NULL, NULL), CRP_OK);
	ck_assert_int_eq(crp_report_symbolicate(b, s, NULL, NULL, NULL), CRP_OK);
	ck_assert_int_eq(crp_report_symbolicate(b, s, NULL, NULL, NULL), CRP_OK);
	ck_assert_msg(crp__report_compare(a, b, where, sizeof where) == 0, "%s", where);
	/* and the comparison sees a difference in them */
	crp_report *c = parse_file("report-x86_64.json");
	ck_assert(crp__report_compare(a, c, where, sizeof where) != 0);
	ck_assert_str_eq(where, "crash.threads[0].backtrace.contents[0].symbolicated");
	crp_report_free(a);
	crp_report_free(b);
	crp_report_free(c);
	crp_symbolicator_free(s);
}
END_TEST

START_TEST(json_shape_of_a_symbolicated_frame)
{
	crp_report *r = parse_file("report-x86_64.json");
	crp_symbolicator *s = symbolicator_with("x86_64");
	ck_assert_int_eq(crp_report_symbolicate(r, s, NULL, NULL, NULL), CRP_OK);
	const char *params[] = {"indent=0", NULL};
	size_t len;
	char *out = tu_emit("json", &r, 1, params, &len);
	ck_assert_msg(strstr(out, "\"symbolicated\":{\"source\":\"dwarf\",\"flags\":[\"adjusted\"],\"image\":") != NULL,
		      "%s", out);
	ck_assert(strstr(out, ",\"lookup_addr\":4294968726,\"function_addr\":4470879616,\"offset\":23,") != NULL);
	ck_assert(strstr(out, "\"locations\":[{\"function\":\"step2\",\"file\":\"/crashport/src/demo.c\",\"line\":") != NULL);
	/* the object comes after the typed fields and before the frame's extras */
	ck_assert(strstr(out, "\"symbol_name\":\"crash_here\",\"instruction_addr\":4470879554,\"symbolicated\"") != NULL);
	free(out);
	crp_report_free(r);
	crp_symbolicator_free(s);
}
END_TEST

START_TEST(missing_symbols_are_warnings)
{
	crp_report *r = parse_file("report-x86_64.json");
	crp_symbolicator *s = symbolicator_with("arm64e"); /* the wrong images */
	crp_symbolicate_stats st;
	size_t warnings = crp_report_warning_count(r);
	ck_assert_int_eq(crp_report_symbolicate(r, s, NULL, &st, NULL), CRP_OK);
	ck_assert_uint_eq(st.symbolicated, 0);
	ck_assert_uint_eq(st.without_symbols, 7);
	ck_assert_uint_eq(st.images_missing, 3);
	ck_assert_uint_eq(crp_report_warning_count(r), warnings + 4);
	ck_assert_ptr_null(frame_of(r, 0, 0)->symbolicated);
	crp_report_free(r);
	crp_symbolicator_free(s);
}
END_TEST

START_TEST(bad_arguments)
{
	crp_symbolicator *s;
	crp_error err;
	crp_symbolicator_options so = CRP_SYMBOLICATOR_OPTIONS_INIT;
	so.version = 99;
	ck_assert_int_eq(crp_symbolicator_new(&s, &so), CRP_EINVAL);
	ck_assert_int_eq(crp_symbolicator_new(&s, NULL), CRP_OK);
	crp_report *r = parse_file("report-x86_64.json");
	crp_symbolicate_options o = {7, 0};
	ck_assert_int_eq(crp_report_symbolicate(r, s, &o, NULL, &err), CRP_EINVAL);
	ck_assert_int_eq(crp_report_symbolicate(NULL, s, NULL, NULL, &err), CRP_EINVAL);
	ck_assert_int_eq(crp_report_symbolicate(r, NULL, NULL, NULL, NULL), CRP_EINVAL);
	ck_assert_int_eq(crp_symbolicator_add_path(s, "/nonexistent/x", &err), CRP_ENOTFOUND);
	ck_assert(strstr(err.message, "/nonexistent/x") != NULL);
	char *p = macho_path("make.sh");
	ck_assert_int_eq(crp_symbolicator_add_path(s, p, &err), CRP_EUNSUPPORTED);
	ck_assert(strstr(err.message, "not a Mach-O") != NULL);
	free(p);
	ck_assert_int_eq(crp_symbolicator_add_memory(s, "\xcf\xfa\xed", 3, "short", &err), CRP_EUNSUPPORTED);
	ck_assert_int_eq(crp_symbolicator_add_memory(s, "\xca\xfe\xba\xbe\0\0\x10\0", 8, "java", &err),
			 CRP_ECORRUPT);
	ck_assert(strstr(err.message, "java: universal header claims 4096 slices") != NULL);
	ck_assert_uint_eq(crp_symbolicator_image_count(s), 0);
	ck_assert_ptr_null(crp_symbolicator_image(s, 0));
	const crp_symbolication *sym;
	ck_assert_int_eq(crp_symbolicator_lookup(&sym, s, NULL, 0, &err), CRP_EINVAL);
	crp_report_free(r);
	crp_symbolicator_free(s);
	crp_symbolicator_free(NULL);
}
END_TEST

START_TEST(images_and_their_info)
{
	crp_symbolicator *s = symbolicator_with("universal");
	ck_assert_uint_eq(crp_symbolicator_image_count(s), 2); /* armv7 and x86_64, binary + dSYM each */
	crp_symbol_image_info info;
	for (size_t i = 0; i < 2; i++) {
		crp_symbol_image_get_info(crp_symbolicator_image(s, i), &info);
		ck_assert(info.has_uuid && info.has_symtab && info.has_dwarf && info.has_function_starts);
		ck_assert_str_eq(info.name, "Demo");
		ck_assert(strstr(info.binary_path, "universal/Demo") != NULL);
		ck_assert(strstr(info.debug_path, "universal/Demo.dSYM/Contents/Resources/DWARF/Demo") != NULL);
	}
	const crp_symbol_image *x = crp_symbolicator_image(s, 0);
	crp_symbol_image_get_info(x, &info);
	ck_assert_str_eq(info.arch, "x86_64");
	ck_assert_uint_eq(info.text_vmaddr, 0x100000000u);
	/* by UUID: the matching architecture, else the first with the UUID, else none */
	ck_assert(crp_symbolicator_find(s, &info.uuid, info.cpu_type, info.cpu_subtype) == x);
	ck_assert(crp_symbolicator_find(s, &info.uuid, 0, 0) == x);
	ck_assert(crp_symbolicator_find(s, &info.uuid, 12, 9) == x);
	crp_uuid none = {{0}};
	ck_assert_ptr_null(crp_symbolicator_find(s, &none, 0, 0));
	const crp_symbolication *sym;
	ck_assert_int_eq(crp_symbolicator_lookup(&sym, s, x, 0x100000000u - 1, NULL), CRP_OK);
	ck_assert_ptr_null(sym);
	crp_symbolicator_free(s);
}
END_TEST

static int skipped;
static void count_skip(void *ctx, const char *path, const crp_error *why)
{
	(void)ctx;
	ck_assert(strstr(path, "broken") != NULL);
	ck_assert(why->message[0] != '\0');
	skipped++;
}

static char *temp_dir(void)
{
	char *t = strdup("/tmp/crp-symtest.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t));
	return t;
}

static void copy_file(const char *from, const char *to, size_t max)
{
	size_t len;
	char *d = tu_read_file(from, &len);
	ck_assert_ptr_nonnull(d);
	FILE *f = fopen(to, "wb");
	ck_assert_ptr_nonnull(f);
	fwrite(d, 1, len < max ? len : max, f);
	fclose(f);
	free(d);
}

START_TEST(directories_skip_damage_and_respect_limits)
{
	char *t = temp_dir(), cmd[512];
	char *src = macho_path("x86_64/libdemo.dylib");
	char *a = tu_path(t, "a.dylib"), *b = tu_path(t, "broken.dylib"), *c = tu_path(t, "notes.txt");
	copy_file(src, a, SIZE_MAX);
	copy_file(src, b, 700);
	copy_file(src, c, 0);
	crp_symbolicator_options so = CRP_SYMBOLICATOR_OPTIONS_INIT;
	so.on_skip = count_skip;
	crp_symbolicator *s;
	crp_error err;
	ck_assert_int_eq(crp_symbolicator_new(&s, &so), CRP_OK);
	skipped = 0;
	ck_assert_int_eq(crp_symbolicator_add_path(s, t, &err), CRP_OK);
	ck_assert_int_eq(skipped, 1);
	ck_assert_uint_eq(crp_symbolicator_image_count(s), 1);
	crp_symbolicator_free(s);
	/* the file limit */
	so.max_files = 1;
	so.on_skip = NULL;
	ck_assert_int_eq(crp_symbolicator_new(&s, &so), CRP_OK);
	ck_assert_int_eq(crp_symbolicator_add_path(s, a, &err), CRP_OK);
	ck_assert_int_eq(crp_symbolicator_add_path(s, a, &err), CRP_ELIMIT);
	crp_symbolicator_free(s);
	/* the size limit */
	so.max_files = 0;
	so.max_file_bytes = 100;
	ck_assert_int_eq(crp_symbolicator_new(&s, &so), CRP_OK);
	ck_assert_int_eq(crp_symbolicator_add_path(s, a, &err), CRP_ELIMIT);
	ck_assert(strstr(err.message, "more than the symbol file limit") != NULL);
	crp_symbolicator_free(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t);
	ck_assert_int_eq(system(cmd), 0);
	free(src), free(a), free(b), free(c), free(t);
}
END_TEST

START_TEST(a_file_changed_after_adding_is_refused)
{
	char *t = temp_dir(), cmd[512];
	char *lib = macho_path("x86_64/libdemo.dylib"), *other = macho_path("x86_64/Demo");
	char *a = tu_path(t, "libdemo.dylib");
	copy_file(lib, a, SIZE_MAX);
	crp_symbolicator *s;
	crp_error err;
	ck_assert_int_eq(crp_symbolicator_new(&s, NULL), CRP_OK);
	ck_assert_int_eq(crp_symbolicator_add_path(s, a, &err), CRP_OK);
	copy_file(other, a, SIZE_MAX);
	const crp_symbolication *sym;
	ck_assert_int_eq(crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0), 0x280, &err), CRP_ECORRUPT);
	ck_assert(strstr(err.message, "changed since it was added") != NULL);
	/* the same answer again, without trying again */
	ck_assert_int_eq(crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0), 0x280, &err), CRP_ECORRUPT);
	crp_symbolicator_free(s);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", t);
	ck_assert_int_eq(system(cmd), 0);
	free(lib), free(other), free(a), free(t);
}
END_TEST

/* Every allocation of a symbolication (symbolicator, index, report results) fails in turn:
 * each failure is CRP_ENOMEM (or CRP_ELIMIT from the report's arena), nothing leaks, and the
 * report stays usable. */
START_TEST(out_of_memory_at_every_allocation)
{
	size_t len;
	char *path = macho_path("report-x86_64.json"), *syms = macho_path("x86_64");
	char *data = tu_read_file(path, &len);
	for (size_t k = 1;; k++) {
		tu_alloc st = {0, 0, 0};
		crp_allocator a = tu_allocator(&st);
		crp_parse_options po = CRP_PARSE_OPTIONS_INIT;
		po.allocator = &a;
		crp_report *r;
		ck_assert_int_eq(crp_report_parse(&r, data, len, &po, NULL), CRP_OK);
		st.fail_at = st.count + k;
		crp_symbolicator_options so = CRP_SYMBOLICATOR_OPTIONS_INIT;
		so.allocator = &a;
		crp_symbolicator *s = NULL;
		int rc = crp_symbolicator_new(&s, &so);
		if (rc == CRP_OK)
			rc = crp_symbolicator_add_path(s, syms, NULL);
		if (rc == CRP_OK)
			rc = crp_report_symbolicate(r, s, NULL, NULL, NULL);
		bool failed = st.count >= st.fail_at;
		crp_symbolicator_free(s);
		size_t out_len;
		char *out = tu_emit("json", &r, 1, NULL, &out_len); /* still a whole report */
		free(out);
		crp_report_free(r);
		ck_assert_msg(st.live == 0, "allocation %zu: %zu blocks leaked", k, st.live);
		if (!failed) {
			ck_assert_int_eq(rc, CRP_OK);
			break;
		}
		ck_assert_msg(rc == CRP_ENOMEM || rc == CRP_ELIMIT, "allocation %zu: %d", k, rc);
	}
	free(data), free(path), free(syms);
}
END_TEST

/* -- against the shared fixtures: every __text address of every image, slid --------------- */

typedef struct mimage {
	char path[128], arch[16], uuid[40], dsym[160], ftype[16], strip[8];
	int cpu, sub;
	uint64_t vmaddr, vmsize;
} mimage;

static char *manifest;
static size_t manifest_len;
static mimage mimages[64];
static size_t n_mimages;

static void free_manifest(void)
{
	free(manifest);
}

static void load_images(const char *dir)
{
	char *p = tu_path(dir, "manifest.tsv");
	manifest = tu_read_file(p, &manifest_len);
	free(p);
	if (!manifest)
		return;
	atexit(free_manifest);
	for (char *l = manifest; l && *l && n_mimages < 64; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		mimage *m = &mimages[n_mimages];
		unsigned long long vm, vs;
		if (sscanf(l, "image\t%127s\t%15s\t%d\t%d\t%39s\t%15s\t%llx\t%llx\t%159s\t%7s", m->path, m->arch,
			   &m->cpu, &m->sub, m->uuid, m->ftype, &vm, &vs, m->dsym, m->strip) == 10) {
			m->vmaddr = vm;
			m->vmsize = vs;
			if (strcmp(m->strip, "none") == 0)
				n_mimages++;
		}
	}
}

/* The manifest's rows for __text of one image: address, and the answers as PC / return. */
typedef struct mframe {
	uint64_t addr;
	char fn[256], loc[512], ret_fn[256], ret_loc[512];
} mframe;

static size_t text_rows(const mimage *m, mframe *out, size_t cap)
{
	size_t n = 0;
	char *copy = malloc(manifest_len + 1);
	memcpy(copy, manifest, manifest_len + 1);
	for (char *l = strtok(copy, "\n"); l && n < cap; l = strtok(NULL, "\n")) {
		char *f[16];
		size_t k = 0;
		for (char *p = l; p && k < 16;) {
			f[k++] = p;
			if ((p = strchr(p, '\t')))
				*p++ = '\0';
		}
		if (k < 16 || strcmp(f[0], "addr") || strcmp(f[1], m->path) || strcmp(f[2], m->arch) ||
		    strcmp(f[4], "__TEXT,__text"))
			continue;
		mframe *x = &out[n++];
		x->addr = strtoull(f[3], NULL, 16);
		snprintf(x->fn, sizeof x->fn, "%s", f[9]);
		snprintf(x->loc, sizeof x->loc, "%s", f[11]);
		snprintf(x->ret_fn, sizeof x->ret_fn, "%s", f[13]);
		snprintf(x->ret_loc, sizeof x->ret_loc, "%s", f[14]);
	}
	free(copy);
	return n;
}

/* A KSCrash report with one crashed thread whose frames are `rows`, the image slid. */
static char *make_report(const mimage *m, const mframe *rows, size_t n, uint64_t base, uint64_t pac)
{
	size_t cap = 4096 + n * 64, len = 0;
	char *j = malloc(cap);
	len += (size_t)snprintf(j + len, cap - len,
				"{\"report\":{\"version\":\"3.2.0\",\"id\":\"T\",\"type\":\"standard\"},"
				"\"system\":{\"cpu_type\":%d},\"binary_images\":[{\"image_addr\":%llu,"
				"\"image_vmaddr\":%llu,\"image_size\":%llu,\"name\":\"/app/%s\",\"uuid\":\"%s\","
				"\"cpu_type\":%d,\"cpu_subtype\":%d}],\"crash\":{\"error\":{\"type\":\"mach\"},"
				"\"threads\":[{\"index\":0,\"crashed\":true,\"registers\":{\"basic\":{}},"
				"\"backtrace\":{\"contents\":[",
				m->cpu, (unsigned long long)base, (unsigned long long)m->vmaddr,
				(unsigned long long)m->vmsize, m->path, m->uuid, m->cpu, m->sub);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = rows[i].addr - m->vmaddr + base;
		if (i % 2 && pac)
			a |= pac;
		len += (size_t)snprintf(j + len, cap - len, "%s{\"instruction_addr\":%llu}", i ? "," : "",
					(unsigned long long)a);
	}
	snprintf(j + len, cap - len, "]}}]}}");
	return j;
}

static void loc_text(char *out, size_t cap, const crp_symbolication *s)
{
	if (!s) {
		snprintf(out, cap, "??:0:0");
		return;
	}
	const crp_symloc *l = &s->locs[0];
	snprintf(out, cap, "%s:%u:%u", l->file ? l->file : "??", l->line, l->column);
}

START_TEST(slid_reports_agree_with_the_manifest)
{
	const mimage *m = &mimages[_i];
	static mframe rows[512];
	size_t n = text_rows(m, rows, 512);
	ck_assert_uint_gt(n, 0);
	bool arm64 = strstr(m->arch, "arm64") != NULL, arm32 = strcmp(m->arch, "armv7") == 0;
	uint64_t base = arm32 ? 0x59000 : 0x104a30000 + (m->vmaddr ? 0 : 0x100000);
	uint64_t pac = strcmp(m->arch, "arm64e") == 0 ? UINT64_C(0x002d800000000000) : 0;
	char *json = make_report(m, rows, n, base, pac);
	crp_report *r;
	crp_error err;
	ck_assert_msg(crp_report_parse(&r, json, strlen(json), NULL, &err) == CRP_OK, "%s", err.message);
	crp_symbolicator *s;
	ck_assert_int_eq(crp_symbolicator_new(&s, NULL), CRP_OK);
	char *bin = tu_path(tu_macho_fixtures_dir(), m->path), *dsym = tu_path(tu_macho_fixtures_dir(), m->dsym);
	ck_assert_int_eq(crp_symbolicator_add_path(s, bin, NULL), CRP_OK);
	ck_assert_int_eq(crp_symbolicator_add_path(s, dsym, NULL), CRP_OK);
	crp_symbolicate_stats st;
	ck_assert_int_eq(crp_report_symbolicate(r, s, NULL, &st, &err), CRP_OK);
	ck_assert_uint_eq(st.frames, n);
	const crp_backtrace *bt = &crp_report_crash(r)->threads[0].backtrace;
	for (size_t i = 0; i < n; i++) {
		const crp_symbolication *sy = bt->frames[i].symbolicated;
		const char *want_fn = i ? rows[i].ret_fn : rows[i].fn, *want_loc = i ? rows[i].ret_loc : rows[i].loc;
		char loc[600];
		loc_text(loc, sizeof loc, sy);
		const char *fn = sy && sy->locs[0].function ? sy->locs[0].function : "??";
		ck_assert_msg(strcmp(fn, want_fn) == 0 && strcmp(loc, want_loc) == 0,
			      "%s %s frame %zu (0x%llx): want %s %s, got %s %s", m->path, m->arch, i,
			      (unsigned long long)rows[i].addr, want_fn, want_loc, fn, loc);
		if (!sy)
			continue;
		unsigned want_flags = (i ? CRP_SYM_ADJUSTED : 0) | (i % 2 && pac ? CRP_SYM_PAC_STRIPPED : 0);
		ck_assert_uint_eq(sy->flags & (CRP_SYM_ADJUSTED | CRP_SYM_PAC_STRIPPED), want_flags);
		uint64_t back = i == 0 ? 0 : arm64 ? 4 : arm32 ? 2 : 1;
		ck_assert_uint_eq(sy->lookup_addr, rows[i].addr - back);
	}
	free(bin), free(dsym), free(json);
	crp_report_free(r);
	crp_symbolicator_free(s);
}
END_TEST

Suite *suite_symbolicate(void)
{
	Suite *s = suite_create("symbolicate");
	TCase *tc = tcase_create("reports");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, report_frames_are_symbolicated);
	tcase_add_test(tc, pac_bits_recrash_and_exception_backtraces);
	tcase_add_test(tc, no_adjust_looks_frames_up_as_written);
	tcase_add_test(tc, symbolicating_again_gives_the_same_frames);
	tcase_add_test(tc, json_shape_of_a_symbolicated_frame);
	tcase_add_test(tc, missing_symbols_are_warnings);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, images_and_their_info);
	tcase_add_test(tc, directories_skip_damage_and_respect_limits);
	tcase_add_test(tc, a_file_changed_after_adding_is_refused);
	tcase_add_test(tc, out_of_memory_at_every_allocation);
	const char *dir = tu_macho_fixtures_dir();
	if (dir)
		load_images(dir);
	if (n_mimages)
		tcase_add_loop_test(tc, slid_reports_agree_with_the_manifest, 0, (int)n_mimages);
	suite_add_tcase(s, tc);
	return s;
}
