/* The minidump emitter: every fixture's output read back field by field (md_reader.h),
 * golden files byte for byte, a frame-pointer walk of every thread against the report's
 * backtrace, hand-made reports for the stack planner's cases, limits, errors, allocation
 * failures. Checks against Breakpad itself are in check_minidump_oracle.c. */
#include <stdio.h>

#include "md_reader.h"

#define MAX_FRAMES 100000

static char **names;
static size_t n_names;

static void load_names(void)
{
	char *dir = tu_path(tu_fixtures_dir(), "kscrash");
	n_names = tu_list(dir, ".json", &names);
	free(dir);
}

static void free_names(void) { tu_free_names(names); }

static crp_report *parse_one(const char *json, size_t len)
{
	crp_report **r;
	size_t n;
	ck_assert_int_eq(tu_parse(json, len, 0, NULL, &r, &n, NULL), CRP_OK);
	ck_assert_uint_eq(n, 1);
	crp_report *one = r[0];
	free(r);
	return one;
}

static crp_report *fixture_report(const char *name)
{
	char *dir = tu_path(tu_fixtures_dir(), "kscrash"), *path = tu_path(dir, name);
	size_t len;
	char *data = tu_read_file(path, &len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	crp_report *r = parse_one(data, len);
	free(data);
	free(path);
	free(dir);
	return r;
}

static uint8_t *emit(crp_report *r, const char *param, size_t *len)
{
	const char *const params[] = {param, NULL};
	return (uint8_t *)tu_emit("minidump", &r, 1, param ? params : NULL, len);
}

/* The report a dump describes: a recrash file's original (README, minidump). */
static const crp_report *described(const crp_report *r)
{
	return crp_report_recrash(r) ? crp_report_recrash(r) : r;
}

/* Whose images the module list holds: the original's, else the recrash handler's. */
static const crp_report *with_images(const crp_report *r)
{
	size_t n;
	crp_report_images(described(r), &n);
	return n ? described(r) : r;
}

/* The threads the dump should list: crash.threads, a crashed thread kept apart, then the
 * thread of a recrash file's handler. */
static size_t model_threads(const crp_report *top, const crp_thread **out, size_t max)
{
	const crp_report *r = described(top);
	const crp_crash *c = crp_report_crash(r);
	size_t ci, n = 0;
	const crp_thread *crashed = crp_report_crashed_thread(r, &ci);
	for (size_t i = 0; i < c->thread_count && n < max; i++)
		out[n++] = &c->threads[i];
	if (crashed && ci == SIZE_MAX && n < max)
		out[n++] = crashed;
	if (r != top && crp_report_crashed_thread(top, NULL) && n < max)
		out[n++] = crp_report_crashed_thread(top, NULL);
	return n;
}

/* -- structure ---------------------------------------------------------------------------- */

static void check_sizes(const mdr *m)
{
	static const struct {
		uint32_t type, fixed, entry, head;
	} shapes[] = {
		{3, 0, 48, 4},  {4, 0, 108, 4}, {5, 0, 16, 4}, {6, 168, 0, 0}, {7, 56, 0, 0},
		{15, 24, 0, 0}, {16, 0, 48, 16}, {24, 0, 12, 4}, {0x47670001, 12, 0, 0},
		{0x43500001, 64, 0, 0},
	};
	ck_assert_uint_eq(R32(m, 0), 0x504D444D);
	ck_assert_uint_eq(R32(m, 4), 0xA793);
	ck_assert_uint_eq(R32(m, 12), 32);
	for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
		uint32_t size = 0, rva = mdr_stream(m, shapes[i].type, &size);
		if (!rva)
			continue;
		if (shapes[i].fixed)
			ck_assert_msg(size == shapes[i].fixed, "stream 0x%x has %u bytes", shapes[i].type, size);
		else {
			uint64_t n = shapes[i].type == 16 ? R64(m, rva + 8) : R32(m, rva);
			ck_assert_msg(size == shapes[i].head + shapes[i].entry * n,
				      "stream 0x%x: %u bytes for %llu entries", shapes[i].type, size,
				      (unsigned long long)n);
		}
	}
	uint32_t size;
	ck_assert_uint_ne(mdr_stream(m, 3, &size), 0);
	ck_assert_uint_ne(mdr_stream(m, 7, &size), 0);
}

static void check_memory(const mdr *m)
{
	uint32_t size, rva = mdr_stream(m, 5, &size), n = R32(m, rva);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = R64(m, rva + 4 + 16 * i);
		uint32_t len = R32(m, rva + 12 + 16 * i);
		mdr_need(m, R32(m, rva + 16 + 16 * i), len);
		for (uint32_t j = 0; j < i; j++) {
			uint64_t b = R64(m, rva + 4 + 16 * j);
			uint32_t blen = R32(m, rva + 12 + 16 * j);
			ck_assert_msg(a + len <= b || b + blen <= a, "memory regions %u and %u overlap", i, j);
		}
	}
}

static void check_modules(const mdr *m, const crp_report *top)
{
	const crp_report *r = with_images(top);
	uint32_t size, rva = mdr_stream(m, 4, &size), n = R32(m, rva);
	size_t ni;
	const crp_image *imgs = crp_report_images(r, &ni);
	const crp_image *main = crp_report_main_image(r);
	ck_assert_uint_le(n, ni);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t e = rva + 4 + 108 * i;
		uint64_t base = R64(m, e);
		const crp_image *img = NULL;
		for (size_t k = 0; k < ni && !img; k++)
			if (imgs[k].image_addr == base)
				img = &imgs[k];
		ck_assert_msg(img != NULL, "module at 0x%llx is no image", (unsigned long long)base);
		if (i == 0 && main && CRP_HAS(main, CRP_IMAGE_SIZE) && main->image_size)
			ck_assert_ptr_eq(img, main);
		ck_assert_uint_eq(R32(m, e + 8), img->image_size);
		char *name = mdr_string(m, R32(m, e + 20));
		ck_assert_str_eq(name, img->name ? img->name : "");
		free(name);
		uint32_t cv_size = R32(m, e + 76), cv = R32(m, e + 80);
		if (!cv_size)
			continue;
		ck_assert_uint_eq(R32(m, cv), 0x53445352);
		static const int order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
		for (int k = 0; k < 16; k++)
			ck_assert_uint_eq(m->d[cv + 4 + k], img->uuid.bytes[order[k]]);
		ck_assert_uint_eq(R32(m, cv + 20), 0);
		const char *slash = strrchr(img->name, '/');
		const char *base_name = slash ? slash + 1 : img->name;
		ck_assert_uint_eq(cv_size, 24 + strlen(base_name) + 1);
		ck_assert(memcmp(m->d + cv + 24, base_name, strlen(base_name) + 1) == 0);
	}
}

/* -- walking ------------------------------------------------------------------------------ */

typedef struct modset {
	const mdr *m;
	uint64_t mask;
} modset;

static bool in_module(const mdr *m, uint64_t a)
{
	uint32_t size, rva = mdr_stream(m, 4, &size), n = R32(m, rva);
	for (uint32_t i = 0; i < n; i++)
		if (a - R64(m, rva + 4 + 108 * i) < R32(m, rva + 12 + 108 * i))
			return true;
	return false;
}

static uint64_t strip(void *ctx, uint64_t v)
{
	const modset *s = ctx;
	return in_module(s->m, v & s->mask) ? v & s->mask : v;
}

static uint64_t pac_mask(const mdr *m)
{
	uint32_t size, rva = mdr_stream(m, 4, &size), n = R32(m, rva);
	uint64_t end = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t e = R64(m, rva + 4 + 108 * i) + R32(m, rva + 12 + 108 * i);
		end = e > end ? e : end;
	}
	if (!n)
		return UINT64_MAX;
	for (unsigned s = 1; s < 64; s <<= 1)
		end |= end >> s;
	return end;
}

/* Expected frames: the backtrace up to the first address a walker takes for the end. */
static size_t expected_frames(const crp_thread *t, unsigned word, uint64_t *out)
{
	size_t n = 0;
	for (size_t i = 0; CRP_HAS(t, CRP_THREAD_BACKTRACE) && i < t->backtrace.frame_count; i++) {
		uint64_t v = t->backtrace.frames[i].instruction_addr;
		v = word == 4 ? v & 0xFFFFFFFFu : (v >> 47) ? v & UINT64_C(0xFFFFFFFFF) : v;
		if (i > 0 && v < 4096)
			break;
		out[n++] = v;
	}
	return n;
}

static void check_walks(const mdr *m, const crp_report *r, const char *what)
{
	uint32_t size, sys = mdr_stream(m, 7, &size), tl = mdr_stream(m, 3, &size);
	uint32_t exc = mdr_stream(m, 6, &size), n = R32(m, tl);
	if (!n)
		return;
	mdr_cpu c = mdr_cpu_of((uint16_t)R16(m, sys));
	const crp_thread **ts = malloc((n + 1) * sizeof *ts);
	size_t nm = model_threads(r, ts, n + 1);
	if (nm == 0 && n == 1) { /* the empty thread a dump without threads has for its exception */
		ck_assert_uint_ne(exc, 0);
		ck_assert_uint_eq(R32(m, exc), R32(m, tl + 4));
		free(ts);
		return;
	}
	ck_assert_uint_eq(nm, n);
	uint64_t *want = malloc(MAX_FRAMES * sizeof *want), *got = malloc(MAX_FRAMES * sizeof *got);
	modset ms = {m, pac_mask(m)};
	for (uint32_t i = 0; i < n; i++) {
		uint32_t e = tl + 4 + 48 * i, ctx = R32(m, e + 44);
		ck_assert_uint_eq(R32(m, e + 40), c.ctx_size);
		if (exc && R32(m, exc) == R32(m, e) && R32(m, exc + 160))
			ctx = R32(m, exc + 164); /* walkers use the exception's context */
		mdr_region reg = {R64(m, e + 24), R32(m, e + 32), R32(m, e + 36)};
		size_t nw = expected_frames(ts[i], c.word, want);
		if (!nw)
			continue;
		size_t ng = mdr_walk(m, &c, ctx, &reg, c.arch == 12 ? strip : NULL, &ms, got, MAX_FRAMES);
		ck_assert_msg(ng == nw, "%s: thread %u walks %zd frames, the report has %zu", what, i,
			      (ssize_t)ng, nw);
		for (size_t k = 0; k < nw; k++)
			ck_assert_msg(got[k] == want[k], "%s: thread %u frame %zu is 0x%llx, not 0x%llx",
				      what, i, k, (unsigned long long)got[k], (unsigned long long)want[k]);
	}
	free(want);
	free(got);
	free(ts);
}

/* MemoryInfoList (what LLDB takes for the address space, md_code.c): the stacks read-write,
 * code executable, nothing overlapping; on x86 every module executable, on ARM no thread's
 * frame 0 pc. */
static void check_memory_info(const mdr *m)
{
	uint32_t size, info = mdr_stream(m, 16, &size), ml = mdr_stream(m, 5, &size);
	uint32_t sys = mdr_stream(m, 7, &size), tl = mdr_stream(m, 3, &size), mods = mdr_stream(m, 4, &size);
	uint64_t n = R64(m, info + 8), stacks = 0;
	uint16_t arch = (uint16_t)R16(m, sys);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t e = info + 16 + 48 * i, lo = R64(m, e), hi = lo + R64(m, e + 24);
		bool exec = R32(m, e + 36) == 0x20;
		ck_assert_uint_eq(R32(m, e + 36), exec ? 0x20 : 0x04);
		stacks += !exec;
		for (uint64_t j = 0; j < i; j++) {
			uint64_t f = info + 16 + 48 * j, flo = R64(m, f), fhi = flo + R64(m, f + 24);
			ck_assert_msg(hi <= flo || fhi <= lo, "memory info entries %llu and %llu overlap",
				      (unsigned long long)i, (unsigned long long)j);
		}
		for (uint32_t t = 0; exec && (arch == 12 || arch == 5) && t < R32(m, tl); t++) {
			mdr_cpu c = mdr_cpu_of(arch);
			uint64_t pc = mdr_get(m, R32(m, tl + 4 + 48 * t + 44) + c.pc, c.word);
			ck_assert_msg(pc < lo || pc >= hi, "thread %u's pc is executable", t);
		}
	}
	ck_assert_uint_eq(stacks, R32(m, ml));
	for (uint32_t k = 0; (arch == 9 || arch == 0) && k < R32(m, mods); k++) {
		uint64_t base = R64(m, mods + 4 + 108 * k), covered = 0;
		for (uint64_t i = 0; i < n; i++) {
			uint64_t e = info + 16 + 48 * i;
			covered |= R32(m, e + 36) == 0x20 && R64(m, e) <= base && base - R64(m, e) < R64(m, e + 24);
		}
		ck_assert_msg(covered, "module %u is not executable memory", k);
	}
}

static void check_dump(const uint8_t *d, size_t len, const crp_report *r, const char *what,
		       bool walks)
{
	mdr m = {d, len};
	check_sizes(&m);
	check_memory(&m);
	check_memory_info(&m);
	check_modules(&m, r);
	if (walks)
		check_walks(&m, r, what);
}

START_TEST(fixture_reads_back_and_walks)
{
	if (strstr(names[_i], "stream-"))
		return; /* several reports: see one_report_per_file */
	crp_report *r = fixture_report(names[_i]);
	size_t len;
	uint8_t *d = emit(r, NULL, &len);
	check_dump(d, len, r, names[_i], true);
	free(d);
	d = emit(r, "stack=real", &len);
	check_dump(d, len, r, names[_i], false);
	free(d);
	crp_report_free(r);
}
END_TEST

START_TEST(fixture_matches_its_golden_minidump)
{
	if (strstr(names[_i], "stream-"))
		return;
	crp_report *r = fixture_report(names[_i]);
	size_t len, glen;
	uint8_t *d = emit(r, NULL, &len);
	char *gname = strdup(names[_i]);
	strcpy(strrchr(gname, '.'), ".dmp");
	char *dir = tu_path(tu_fixtures_dir(), "expected"), *path = tu_path(dir, gname);
	char *golden = tu_read_file(path, &glen);
	ck_assert_msg(golden != NULL, "no golden %s (tests/regen-goldens.sh)", path);
	ck_assert_msg(glen == len && memcmp(golden, d, len) == 0,
		      "%s differs from fixtures/expected/%s (regenerate deliberately with "
		      "tests/regen-goldens.sh)", names[_i], gname);
	free(golden);
	free(path);
	free(dir);
	free(gname);
	free(d);
	crp_report_free(r);
}
END_TEST

/* -- field by field on one fixture -------------------------------------------------------- */

/* The value of a global Crashpad annotation, or NULL. */
static const char *simple_annotation(const mdr *m, const char *key)
{
	uint32_t size, rva = mdr_stream(m, 0x43500001, &size);
	uint32_t dict = R32(m, rva + 40), n = dict ? R32(m, dict) : 0;
	for (uint32_t i = 0; i < n; i++)
		if (strcmp((const char *)m->d + R32(m, dict + 4 + 8 * i) + 4, key) == 0)
			return (const char *)m->d + R32(m, dict + 8 + 8 * i) + 4;
	return NULL;
}

/* A recrash file is the original crash (system, images, threads, exception) with the crash
 * reporter's own thread listed last and declared. */
START_TEST(recrash_describes_the_original)
{
	static const char *const names_[] = {"macos-x86_64-recrash-new-layout.json",
					     "macos-x86_64-recrash-old-layout.json"};
	crp_report *r = fixture_report(names_[_i]);
	size_t len;
	uint8_t *d = emit(r, NULL, &len);
	mdr m = {d, len};
	uint32_t size, rva = mdr_stream(&m, 7, &size);
	ck_assert_uint_eq(R16(&m, rva), 9);          /* AMD64 */
	ck_assert_uint_eq(R32(&m, rva + 20), 0x8101); /* macOS */
	ck_assert_uint_eq(R32(&m, rva + 8), 10);
	ck_assert_uint_eq(R32(&m, rva + 12), 14);
	ck_assert_uint_eq(R32(&m, rva + 16), 2);
	rva = mdr_stream(&m, 3, &size);
	ck_assert_uint_eq(R32(&m, rva), 2);
	ck_assert_uint_eq(R32(&m, rva + 4), 0);      /* the original's thread 0 */
	ck_assert_uint_eq(R32(&m, rva + 4 + 48), 5); /* the handler's thread, last */
	rva = mdr_stream(&m, 4, &size);
	ck_assert_uint_eq(R32(&m, rva), 1);
	rva = mdr_stream(&m, 6, &size);
	ck_assert_uint_eq(R32(&m, rva), 0);          /* the original's crash */
	ck_assert_uint_eq(R32(&m, rva + 8), 1);
	ck_assert_uint_eq(R64(&m, rva + 24), 0x3f2c);
	rva = mdr_stream(&m, 15, &size);
	ck_assert_uint_eq(R32(&m, rva + 8), 901);    /* the original's pid */
	const char *v = simple_annotation(&m, "crashport.recrash");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, "the crash reporter crashed while writing this report: EXC_BAD_ACCESS "
			    "(SIGSEGV) at 0x0; its thread is 5, listed last");
	free(d);
	crp_report_free(r);
}
END_TEST

START_TEST(badaccess_fields)
{
	crp_report *r = fixture_report("ios17-arm64e-badaccess.json");
	size_t len;
	uint8_t *d = emit(r, NULL, &len);
	mdr m = {d, len};
	uint32_t size, rva;
	ck_assert_uint_eq(R32(&m, 20), 1730712345); /* report time, seconds */
	rva = mdr_stream(&m, 7, &size);
	ck_assert_uint_eq(R16(&m, rva), 12);
	ck_assert_uint_eq(R32(&m, rva + 8), 17);
	ck_assert_uint_eq(R32(&m, rva + 12), 5);
	ck_assert_uint_eq(R32(&m, rva + 16), 1);
	ck_assert_uint_eq(R32(&m, rva + 20), 0x8102);
	char *csd = mdr_string(&m, R32(&m, rva + 24));
	ck_assert_str_eq(csd, "21F90");
	free(csd);
	rva = mdr_stream(&m, 15, &size);
	ck_assert_uint_eq(R32(&m, rva + 4), 3);
	ck_assert_uint_eq(R32(&m, rva + 8), 4242);
	ck_assert_uint_eq(R32(&m, rva + 12), 1730712340); /* app_start_time 2024-11-04T09:25:40Z */
	rva = mdr_stream(&m, 6, &size);
	ck_assert_uint_eq(R32(&m, rva), 0); /* thread index 0 */
	ck_assert_uint_eq(R32(&m, rva + 8), 1);  /* EXC_BAD_ACCESS */
	ck_assert_uint_eq(R32(&m, rva + 12), 1); /* KERN_INVALID_ADDRESS */
	ck_assert_uint_eq(R64(&m, rva + 24), 16);
	ck_assert_uint_eq(R32(&m, rva + 32), 3);
	ck_assert_uint_eq(R64(&m, rva + 48), 1);
	ck_assert_uint_eq(R64(&m, rva + 56), 16);
	uint32_t ectx = R32(&m, rva + 164);
	ck_assert_uint_eq(R32(&m, ectx), 0x00400007);
	ck_assert_uint_eq(R64(&m, ectx + 264), 4337584732);  /* pc */
	ck_assert_uint_eq(R64(&m, ectx + 248), 4337584940);  /* lr: frame 1, PAC-stripped */
	uint32_t tl = mdr_stream(&m, 3, &size);
	ck_assert_uint_eq(R32(&m, tl), 3);
	uint32_t tctx = R32(&m, tl + 4 + 44);
	ck_assert_uint_ne(tctx, ectx);                              /* the thread keeps... */
	ck_assert_uint_eq(R64(&m, tctx + 248), 5851242448869124804u); /* ...the reported lr */
	ck_assert_uint_eq(R64(&m, tctx + 8 + 8 * 15), UINT64_MAX);
	ck_assert_uint_eq(R32(&m, tl + 4 + 48 * 2), 3); /* ids are the reported indices */
	rva = mdr_stream(&m, 24, &size);
	ck_assert_uint_eq(R32(&m, rva), 2);
	char *name = mdr_string(&m, R32(&m, rva + 8));
	ck_assert_str_eq(name, "main");
	free(name);
	rva = mdr_stream(&m, 0x47670001, &size);
	ck_assert_uint_eq(R32(&m, rva), 2);
	ck_assert_uint_eq(R32(&m, rva + 8), 0);
	rva = mdr_stream(&m, 4, &size);
	uint32_t cv = R32(&m, rva + 4 + 80);
	static const uint8_t guid[16] = {0x1A, 0x2C, 0x7F, 0x8E, 0x3D, 0x4B, 0x5F, 0x3E,
					 0x9A, 0x8B, 0x7C, 0x6D, 0x5E, 0x4F, 0x3A, 0x2B};
	ck_assert(memcmp(d + cv + 4, guid, 16) == 0);
	ck_assert_str_eq((const char *)d + cv + 24, "Fixture");
	/* Crashpad annotations: the report id, the stack declaration, crash_info */
	rva = mdr_stream(&m, 0x43500001, &size);
	ck_assert_uint_eq(R32(&m, rva), 1);
	ck_assert_uint_eq(d[rva + 4], 0xB4); /* F1C2A3B4-... stored as a little-endian GUID */
	uint32_t dict = R32(&m, rva + 40), nkv = R32(&m, dict);
	ck_assert_uint_ge(nkv, 2);
	ck_assert_str_eq((const char *)d + R32(&m, dict + 4) + 4, "crashport.stack");
	ck_assert_str_eq((const char *)d + R32(&m, dict + 8) + 4, "hybrid");
	ck_assert_str_eq((const char *)d + R32(&m, dict + 12) + 4, "crashport.stack.0");
	ck_assert_ptr_nonnull(strstr((const char *)d + R32(&m, dict + 16) + 4, "frame records"));
	uint32_t links = R32(&m, rva + 48);
	ck_assert_uint_eq(R32(&m, links), 1);
	ck_assert_uint_eq(R32(&m, links + 4), 5); /* libswiftCore */
	uint32_t info = R32(&m, links + 12), lists = R32(&m, info + 8);
	ck_assert_str_eq((const char *)d + R32(&m, lists + 4) + 4,
			 "Fatal error: Unexpectedly found nil while unwrapping an Optional value");
	free(d);
	crp_report_free(r);
}
END_TEST

/* -- hand-made reports -------------------------------------------------------------------- */

/* arm64: a real window whose fp chain holds frames 2 and 3, then leaves the window. */
static const char chain_report[] =
	"{\"report\":{\"version\":\"3.4.0\",\"id\":\"00000000-0000-4000-8000-000000000001\","
	"\"timestamp\":1700000000000000},"
	"\"binary_images\":[{\"image_addr\":4294967296,\"image_size\":1048576,\"name\":\"/a/App\","
	"\"uuid\":\"11111111-2222-3333-4444-555555555555\",\"cpu_type\":16777228,\"cpu_subtype\":0}],"
	"\"system\":{\"system_name\":\"iOS\",\"system_version\":\"17.0\",\"os_version\":\"21A1\"},"
	"\"crash\":{\"error\":{\"type\":\"signal\",\"signal\":{\"signal\":6,\"code\":0}},"
	"\"threads\":[{\"index\":0,\"crashed\":true,"
	"\"backtrace\":{\"contents\":[{\"instruction_addr\":4294971392},{\"instruction_addr\":4294971400},"
	"{\"instruction_addr\":4294971408},{\"instruction_addr\":4294971416},"
	"{\"instruction_addr\":4294971424},{\"instruction_addr\":4294971432}]},"
	"\"registers\":{\"basic\":{\"fp\":6161432592,\"lr\":4294971400,\"sp\":6161432576,"
	"\"pc\":4294971392}},"
	"\"stack\":{\"grow_direction\":\"-\",\"dump_start\":6161432576,\"dump_end\":6161432672,"
	"\"stack_pointer\":6161432576,\"contents\":\"%s\"}}]}}";

static void put_le(char *hex, size_t word, uint64_t v)
{
	char b[3];
	for (int i = 0; i < 8; i++) {
		snprintf(b, sizeof b, "%02X", (unsigned)((v >> (8 * i)) & 0xFF));
		memcpy(hex + word * 16 + i * 2, b, 2);
	}
}

START_TEST(hybrid_follows_the_real_chain_then_synthesises)
{
	/* window 0x16F400000..0x16F400060: sp at +0, fp at +0x10 -> [+0x30, f2], +0x30 -> [out, f3] */
	char hex[12 * 16 + 1];
	memset(hex, '0', sizeof hex - 1);
	hex[sizeof hex - 1] = '\0';
	put_le(hex, 2, 0x16F400030);
	put_le(hex, 3, 4294971408);
	put_le(hex, 6, 0x16F900000);
	put_le(hex, 7, 4294971416);
	char json[4096];
	snprintf(json, sizeof json, chain_report, hex);
	crp_report *r = parse_one(json, strlen(json));
	size_t len;
	uint8_t *d = emit(r, NULL, &len);
	check_dump(d, len, r, "chain", true);
	mdr m = {d, len};
	uint32_t size, tl = mdr_stream(&m, 3, &size);
	ck_assert_uint_eq(R64(&m, tl + 4 + 24), 0x16F400000);  /* the real window's start */
	ck_assert_uint_eq(R32(&m, tl + 4 + 32), 0x60 + 4 * 16); /* frames 4, 5 + terminator pair */
	uint32_t mem = R32(&m, tl + 4 + 36);
	ck_assert_uint_eq(R64(&m, mem + 0x30), 0x16F400060);    /* the one patched slot */
	ck_assert_uint_eq(R64(&m, mem + 0x38), 4294971416);     /* real bytes kept */
	ck_assert_uint_eq(R64(&m, mem + 0x60), 0x16F400070);    /* first record: frame 4 */
	ck_assert_uint_eq(R64(&m, mem + 0x68), 4294971424);
	ck_assert_uint_eq(mdr_stream(&m, 6, &size) != 0, 1);
	uint32_t exc = mdr_stream(&m, 6, &size);
	ck_assert_uint_eq(R32(&m, exc + 164), R32(&m, tl + 4 + 44)); /* registers unchanged */
	ck_assert_uint_eq(R32(&m, exc + 8), 5);
	ck_assert_uint_eq(R32(&m, exc + 12), 0x00010002); /* SIGABRT */
	ck_assert_ptr_nonnull(memmem(d, len, "saved fp at 0x16f400030 set to 0x16f400060", 42));
	free(d);
	/* real: only the window, untouched */
	d = emit(r, "stack=real", &len);
	m = (mdr){d, len};
	tl = mdr_stream(&m, 3, &size);
	ck_assert_uint_eq(R32(&m, tl + 4 + 32), 0x60);
	ck_assert_uint_eq(R64(&m, R32(&m, tl + 4 + 36) + 0x30), 0x16F900000);
	free(d);
	crp_report_free(r);
}
END_TEST

/* x86_64, armv7, i386: records at the reported frame pointer, no registers at all. */
static const char *const cpu_reports[] = {
	"{\"system\":{\"system_name\":\"macOS\",\"system_version\":\"14.1\"},\"crash\":{\"error\":"
	"{\"type\":\"mach\",\"mach\":{\"exception\":1,\"code\":2,\"subcode\":8}},\"threads\":[{\"index\":"
	"4,\"crashed\":true,\"backtrace\":{\"contents\":[{\"instruction_addr\":4294971392},"
	"{\"instruction_addr\":4294971500},{\"instruction_addr\":4294971600}]},\"registers\":{\"basic\":"
	"{\"rbp\":140732920755184,\"rsp\":140732920755120,\"rip\":4294971392}}},{\"index\":7,"
	"\"backtrace\":{\"contents\":[{\"instruction_addr\":4294971700}]},\"registers\":{\"basic\":"
	"{\"rbp\":140732920000000,\"rsp\":140732919999900,\"rip\":4294971700}}}]}}",
	"{\"system\":{\"system_name\":\"iPhone OS\",\"cpu_arch\":\"armv7\"},\"crash\":{\"error\":"
	"{\"type\":\"signal\",\"signal\":{\"signal\":11,\"code\":2}},\"threads\":[{\"crashed\":true,"
	"\"backtrace\":{\"contents\":[{\"instruction_addr\":196608},{\"instruction_addr\":196700},"
	"{\"instruction_addr\":196800},{\"instruction_addr\":196900}]},\"registers\":{\"basic\":"
	"{\"r7\":804000000,\"sp\":803999980,\"lr\":1,\"pc\":196608}}}]}}",
	"{\"system\":{\"system_name\":\"iOS\",\"cpu_type\":7},\"crash\":{\"error\":{\"type\":"
	"\"nsexception\",\"nsexception\":{\"name\":\"NSRangeException\"},\"reason\":\"index 3\"},"
	"\"threads\":[{\"crashed\":true,\"backtrace\":{\"contents\":[{\"instruction_addr\":196608},"
	"{\"instruction_addr\":196700}]}},{\"backtrace\":{\"contents\":[]}}]}}",
};

START_TEST(other_cpus_walk_too)
{
	static const uint16_t arch[] = {9, 5, 0};
	static const uint32_t code[] = {1, 1, 5}, flags[] = {2, 2, 0xDEADC0DE};
	crp_report *r = parse_one(cpu_reports[_i], strlen(cpu_reports[_i]));
	size_t len;
	uint8_t *d = emit(r, NULL, &len);
	check_dump(d, len, r, cpu_reports[_i], true);
	mdr m = {d, len};
	uint32_t size;
	ck_assert_uint_eq(R16(&m, mdr_stream(&m, 7, &size)), arch[_i]);
	uint32_t exc = mdr_stream(&m, 6, &size);
	ck_assert_uint_eq(R32(&m, exc + 8), code[_i]);
	ck_assert_uint_eq(R32(&m, exc + 12), flags[_i]);
	if (_i == 0) {
		uint32_t tl = mdr_stream(&m, 3, &size);
		ck_assert_uint_eq(R32(&m, tl + 4), 4); /* reported indices as ids */
		ck_assert_uint_eq(R64(&m, tl + 4 + 24), 140732920755184); /* records at rbp */
		ck_assert_uint_eq(R32(&m, mdr_stream(&m, 0x47670001, &size) + 8), 4);
		ck_assert_uint_eq(R32(&m, mdr_stream(&m, 7, &size) + 20), 0x8101);
	}
	if (_i == 2) /* nothing reported: the dump says what it made up */
		ck_assert_ptr_nonnull(memmem(d, len, "no registers in the report", 26));
	free(d);
	crp_report_free(r);
}
END_TEST

START_TEST(overlapping_and_sizeless_images_are_left_out)
{
	static const char json[] =
		"{\"report\":{},\"binary_images\":[{\"image_addr\":4096,\"image_size\":8192,\"name\":\"/x/A\"},"
		"{\"image_addr\":8192,\"image_size\":4096,\"name\":\"/x/B\"},"
		"{\"image_addr\":65536,\"image_size\":0,\"name\":\"/x/C\"},"
		"{\"image_addr\":16384,\"image_size\":4096,\"name\":\"/x/D\"}]}";
	crp_report *r = parse_one(json, strlen(json));
	size_t len;
	uint8_t *d = emit(r, NULL, &len);
	check_dump(d, len, r, "images", true);
	mdr m = {d, len};
	uint32_t size, ml = mdr_stream(&m, 4, &size);
	ck_assert_uint_eq(R32(&m, ml), 2);
	ck_assert_uint_eq(R64(&m, ml + 4), 4096);
	ck_assert_uint_eq(R64(&m, ml + 4 + 108), 16384);
	ck_assert_ptr_nonnull(memmem(d, len, "crashport.dropped_images", 24));
	ck_assert_uint_eq(mdr_stream(&m, 6, &size), 0); /* no crash, no exception stream */
	free(d);
	crp_report_free(r);
}
END_TEST

START_TEST(long_and_wide_strings)
{
	char json[8192];
	char *name = malloc(3000);
	memset(name, 'a', 2999);
	name[2999] = '\0';
	snprintf(json, sizeof json,
		 "{\"binary_images\":[{\"image_addr\":4096,\"image_size\":4096,\"name\":\"/%s\"}],"
		 "\"crash\":{\"threads\":[{\"name\":\"\xF0\x9F\x98\x80 w\xC3\xA9\","
		 "\"backtrace\":{\"contents\":[{\"instruction_addr\":4096}]}}]}}", name);
	crp_report *r = parse_one(json, strlen(json));
	size_t len;
	uint8_t *d = emit(r, NULL, &len);
	mdr m = {d, len};
	uint32_t size, ml = mdr_stream(&m, 4, &size);
	ck_assert_uint_eq(R32(&m, R32(&m, ml + 4 + 20)), 2048); /* 1024 UTF-16 units */
	uint32_t tn = mdr_stream(&m, 24, &size), s = R32(&m, tn + 8);
	ck_assert_uint_eq(R32(&m, s), 10); /* surrogate pair, space, w, e-acute */
	ck_assert_uint_eq(R16(&m, s + 4), 0xD83D);
	ck_assert_uint_eq(R16(&m, s + 6), 0xDE00);
	ck_assert_uint_eq(R16(&m, s + 10), 'w');
	ck_assert_uint_eq(R16(&m, s + 12), 0xE9);
	free(d);
	crp_report_free(r);
	free(name);
}
END_TEST

/* A module path mixing long ASCII runs with two- and four-byte characters, placed across the
 * writer's chunk and SIMD boundaries: every UTF-16 unit is checked against a plain decoder. */
START_TEST(mixed_strings_convert_unit_by_unit)
{
	char path[1200], json[1400];
	size_t n = 0;
	path[n++] = '/';
	for (int i = 0; n < 1100; i++) {
		if (i % 97 == 15 || i == 250 || i == 251) {
			memcpy(path + n, "\xC3\xA9", 2); /* e-acute */
			n += 2;
		} else if (i % 131 == 7 || i == 510) {
			memcpy(path + n, "\xF0\x9F\x98\x80", 4); /* U+1F600 */
			n += 4;
		} else {
			path[n++] = (char)('a' + i % 26);
		}
	}
	path[n] = '\0';
	snprintf(json, sizeof json,
		 "{\"report\":{},\"binary_images\":[{\"image_addr\":4096,\"image_size\":4096,\"name\":\"%s\"}]}",
		 path);
	crp_report *r = parse_one(json, strlen(json));
	size_t len;
	uint8_t *d = emit(r, NULL, &len);
	mdr m = {d, len};
	uint32_t size, ml = mdr_stream(&m, 4, &size), s = R32(&m, ml + 4 + 20), u = 0;
	for (size_t i = 0; i < n && u < 1024;) {
		unsigned char c = (unsigned char)path[i];
		uint32_t want = c, want2 = 0;
		size_t k = 1;
		if (c == 0xC3) {
			want = 0xE9, k = 2;
		} else if (c == 0xF0) {
			want = 0xD83D, want2 = 0xDE00, k = 4;
		}
		if (u + (want2 ? 2 : 1) > 1024)
			break; /* cut at a character */
		ck_assert_uint_eq(R16(&m, s + 4 + 2 * u), want);
		u++;
		if (want2)
			ck_assert_uint_eq(R16(&m, s + 4 + 2 * u++), want2);
		i += k;
	}
	ck_assert_uint_eq(R32(&m, s), 2 * u);
	ck_assert_uint_eq(R16(&m, s + 4 + 2 * u), 0);
	free(d);
	crp_report_free(r);
}
END_TEST

START_TEST(limits_and_errors)
{
	/* more threads than Breakpad reads */
	size_t cap = 4200 * 40 + 64, n = 0;
	char *json = malloc(cap);
	n += (size_t)sprintf(json + n, "{\"crash\":{\"threads\":[");
	for (int i = 0; i < 4097; i++)
		n += (size_t)sprintf(json + n, "%s{\"index\":%d}", i ? "," : "", i);
	n += (size_t)sprintf(json + n, "]}}");
	crp_report *r = parse_one(json, n);
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_sink sink;
	crp_sink_init_buffer(&sink, &buf);
	crp_error err;
	ck_assert_int_eq(crp_emit(crp_emitter_lookup("minidump"), r, &sink, NULL, &err), CRP_ELIMIT);
	ck_assert_str_eq(err.message, "minidump: 4097 threads, more than the 4096 Breakpad reads");
	crp_report_free(r);
	free(json);
	/* a minidump holds one report */
	r = fixture_report("ios12-arm64-nsexception.json");
	crp_emit_session *s;
	ck_assert_int_eq(crp_emit_begin(&s, crp_emitter_lookup("minidump"), &sink, NULL, NULL), CRP_OK);
	ck_assert_int_eq(crp_emit_report(s, r), CRP_OK);
	ck_assert_int_eq(crp_emit_report(s, r), CRP_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(crp_emit_error(s)->message, "holds one report"));
	crp_emit_free(s);
	/* options */
	static const char *const bad[][2] = {{"stack=synthetic", NULL}, {"depth=3", NULL}};
	for (size_t i = 0; i < 2; i++) {
		crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
		eo.params = bad[i];
		ck_assert_int_eq(crp_emit(crp_emitter_lookup("minidump"), r, &sink, &eo, NULL),
				 CRP_EUNSUPPORTED);
	}
	crp_report_free(r);
	crp_buffer_dispose(&buf);
	const crp_emitter *e = crp_emitter_lookup("minidump");
	ck_assert_str_eq(crp_emitter_extension(e), ".dmp");
	ck_assert(crp_emitter_is_binary(e));
}
END_TEST

/* Every allocation of an emission may fail: CRP_ENOMEM, nothing leaked. */
START_TEST(every_allocation_may_fail)
{
	static const char *const files[] = {"ios17-arm64e-badaccess.json",
					    "ios10-x86_64sim-cppexception-raw.json"};
	crp_report *r = fixture_report(files[_i]);
	for (size_t k = 1;; k++) {
		tu_alloc st = {0, 0, k};
		crp_allocator a = tu_allocator(&st);
		crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
		eo.allocator = &a;
		crp_buffer buf = CRP_BUFFER_INIT;
		crp_sink sink;
		crp_sink_init_buffer(&sink, &buf);
		int rc = crp_emit(crp_emitter_lookup("minidump"), r, &sink, &eo, NULL);
		crp_buffer_dispose(&buf);
		ck_assert_msg(st.live == 0, "allocation %zu: %zu blocks leaked", k, st.live);
		if (rc == CRP_OK)
			break;
		ck_assert_msg(rc == CRP_ENOMEM, "allocation %zu failed with %d", k, rc);
	}
	crp_report_free(r);
}
END_TEST

Suite *suite_minidump(void)
{
	Suite *s = suite_create("minidump");
	TCase *tc = tcase_create("fixtures");
	load_names();
	tcase_add_unchecked_fixture(tc, NULL, free_names);
	tcase_add_loop_test(tc, fixture_reads_back_and_walks, 0, (int)n_names);
	tcase_add_loop_test(tc, fixture_matches_its_golden_minidump, 0, (int)n_names);
	tcase_add_test(tc, badaccess_fields);
	tcase_add_loop_test(tc, recrash_describes_the_original, 0, 2);
	suite_add_tcase(s, tc);
	tc = tcase_create("cases");
	tcase_add_test(tc, hybrid_follows_the_real_chain_then_synthesises);
	tcase_add_loop_test(tc, other_cpus_walk_too, 0, 3);
	tcase_add_test(tc, overlapping_and_sizeless_images_are_left_out);
	tcase_add_test(tc, long_and_wide_strings);
	tcase_add_test(tc, mixed_strings_convert_unit_by_unit);
	tcase_add_test(tc, limits_and_errors);
	tcase_add_loop_test(tc, every_allocation_may_fail, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
