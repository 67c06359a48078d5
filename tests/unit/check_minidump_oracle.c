/* Breakpad as the oracle: every fixture and corpus report converts, and Breakpad's own
 * `minidump_stackwalk -m` (npm package minidump@0.26.0, fetched by tests/fetch-breakpad.sh)
 * reports the crash reason and address, the crashed thread, the thread count, the modules
 * (name, base, debug id) and the crashed thread's frames the report has, and `minidump_dump`
 * reads every stream without complaint (exit 0). Skipped when the tools are absent
 * (CRP_BREAKPAD_BIN, else BUILD/breakpad/package/bin/linux-x64). */
#include <stdio.h>
#include <unistd.h>

#include "md_reader.h"

static char tool[1024];
static char **files; /* full paths */
static size_t n_files;

static bool find_tool(void)
{
	const char *env = getenv("CRP_BREAKPAD_BIN");
	snprintf(tool, sizeof tool, "%s/minidump_stackwalk",
		 env && *env ? env : CRP_BINARY_DIR "/breakpad/package/bin/linux-x64");
	return access(tool, X_OK) == 0;
}

static void add_dir(const char *dir, const char *exts)
{
	char **names;
	size_t n = tu_list(dir, exts, &names);
	files = realloc(files, (n_files + n + 1) * sizeof *files);
	/* one report per minidump: streams, non-reports and two-report inputs are not for this */
	static const char *const skip[] = {"stream-", "NEGATIVE", "bug-type-288", "concatenated", "two-reports"};
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < sizeof skip / sizeof *skip && !strstr(names[i], skip[k]))
			k++;
		if (k == sizeof skip / sizeof *skip)
			files[n_files++] = tu_path(dir, names[i]);
	}
	tu_free_names(names);
}

static void setup(void)
{
	char *fx = tu_path(tu_fixtures_dir(), "kscrash"), *apple = tu_path(tu_fixtures_dir(), "apple");
	add_dir(fx, ".json");
	add_dir(apple, ".ips,.crash"); /* Apple input: the same threads and frames */
	free(fx);
	free(apple);
	if (tu_corpus_dir())
		add_dir(tu_corpus_dir(), ".json");
	if (tu_apple_corpus_dir())
		add_dir(tu_apple_corpus_dir(), ".ips,.crash");
}

static void teardown(void)
{
	for (size_t i = 0; i < n_files; i++)
		free(files[i]);
	free(files);
}

/* -- what Breakpad should say, from the report (spec: README, minidump section) ------------ */

static const char *name_of(uint32_t v, const uint32_t *codes, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (codes[i] == v)
			return names[i];
	return NULL;
}

static void expected_reason(uint32_t code, uint32_t flags, uint16_t arch, char *out, size_t cap)
{
	static const uint32_t exc[] = {1, 2, 3, 4, 5, 6, 11, 12};
	static const char *const exc_names[] = {"EXC_BAD_ACCESS", "EXC_BAD_INSTRUCTION",
						"EXC_ARITHMETIC", "EXC_EMULATION", "EXC_SOFTWARE",
						"EXC_BREAKPOINT", "EXC_RESOURCE", "EXC_GUARD"};
	static const uint32_t kern[] = {1, 2, 8, 9, 10, 50};
	static const char *const kern_names[] = {"KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE",
						 "KERN_NO_ACCESS", "KERN_MEMORY_FAILURE",
						 "KERN_MEMORY_ERROR", "KERN_CODESIGN_ERROR"};
	static const uint32_t soft[] = {0x10000, 0x10001, 0x10002, 0xDEADC0DE};
	static const char *const soft_names[] = {"SIGSYS", "SIGPIPE", "SIGABRT", "UNCAUGHT_NS_EXCEPTION"};
	bool x86 = arch == 0 || arch == 9, arm32 = arch == 5;
	const char *e = name_of(code, exc, exc_names, 8), *f = NULL;
	if (code == 0x43507378) {
		snprintf(out, cap, "Simulated Exception");
		return;
	}
	if (code == 1)
		f = name_of(flags, kern, kern_names, 6);
	if (code == 1 && !f && arm32)
		f = flags == 0x101 ? "EXC_ARM_DA_ALIGN" : flags == 0x102 ? "EXC_ARM_DA_DEBUG" : NULL;
	if (code == 1 && !f && x86 && flags == 0xd)
		f = "EXC_I386_GPFLT";
	if (code == 2 && flags == 1)
		f = x86 ? "EXC_I386_INVOP" : arm32 ? "EXC_ARM_UNDEFINED" : NULL;
	if (code == 3 && x86 && flags == 1)
		f = "EXC_I386_DIV";
	if (code == 5)
		f = name_of(flags, soft, soft_names, 4);
	if (code == 6 && x86)
		f = flags == 1 ? "EXC_I386_SGL" : flags == 2 ? "EXC_I386_BPT" : NULL;
	if (code == 6 && arm32 && flags == 1)
		f = "EXC_ARM_BREAKPOINT";
	char hex[16];
	snprintf(hex, sizeof hex, "0x%08x", flags);
	if (e)
		snprintf(out, cap, "%s / %s", e, f ? f : hex);
	else
		snprintf(out, cap, "0x%08x / %s", code, hex);
}

static bool type_is(const crp_crash_error *e, const char *t)
{
	return CRP_HAS(e, CRP_ERROR_TYPE) && strcmp(e->type, t) == 0;
}

static void signal_code(uint64_t sig, uint64_t si_code, bool x86, uint32_t *code, uint32_t *flags)
{
	static const uint32_t sigs[][3] = {{11, 1, 1}, {10, 1, 2}, {4, 2, 1}, {8, 3, 0}, {5, 6, 1},
					   {7, 4, 0}, {6, 5, 0x10002}, {12, 5, 0x10000},
					   {13, 5, 0x10001}};
	*code = 10;
	*flags = (uint32_t)(sig & 0xFF) << 24;
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		if (sigs[i][0] == sig) {
			*code = sigs[i][1];
			*flags = sigs[i][2];
		}
	if (sig == 11 && si_code == 2)
		*flags = 2;
	if (x86 && (sig == 8 || sig == 5))
		*flags = sig == 8 ? 1 : 2;
}

static void expected_crash(const crp_report *r, uint16_t arch, uint64_t pc, char *reason,
			   size_t cap, uint64_t *address)
{
	const crp_crash_error *e = &crp_report_crash(r)->error;
	const crp_mach *m = &e->mach;
	bool mach = CRP_HAS(e, CRP_ERROR_MACH) && CRP_HAS(m, CRP_MACH_EXCEPTION) && m->exception;
	bool sig = CRP_HAS(e, CRP_ERROR_SIGNAL) && CRP_HAS(&e->signal, CRP_SIGNAL_SIGNAL) &&
		   e->signal.signal;
	bool x86 = arch == 0 || arch == 9;
	uint32_t code = 0x43507378, flags = 0;
	if (type_is(e, "nsexception")) {
		code = 5, flags = 0xDEADC0DE;
	} else if (type_is(e, "cpp_exception")) {
		code = 5, flags = 0x10002;
	} else if (type_is(e, "user") || type_is(e, "hang") || type_is(e, "profile")) {
		code = 0x43507378;
	} else if (mach && m->exception == 10) {
		uint64_t s = (m->code >> 24) & 0xFF;
		if ((m->code >> 20) & 0xF)
			code = (m->code >> 20) & 0xF, flags = m->code & 0xFFFFF;
		else if (s || sig)
			signal_code(s ? s : e->signal.signal, 0, x86, &code, &flags);
		else
			code = 10, flags = (uint32_t)m->code;
	} else if (mach) {
		code = (uint32_t)m->exception;
		flags = m->exception == 11 || m->exception == 12 ? (uint32_t)(m->code >> 32) : (uint32_t)m->code;
	} else if (sig) {
		signal_code(e->signal.signal, e->signal.code, x86, &code, &flags);
	}
	expected_reason(code, flags, arch, reason, cap);
	*address = CRP_HAS(e, CRP_ERROR_ADDRESS) ? e->address
		   : mach && m->exception == 1 && CRP_HAS(m, CRP_MACH_SUBCODE) ? m->subcode
									     : pc;
}

/* -- running Breakpad --------------------------------------------------------------------- */

typedef struct sw_out {
	char **lines;
	size_t n;
} sw_out;

static sw_out stackwalk(const char *dump)
{
	char cmd[2300];
	snprintf(cmd, sizeof cmd, "'%s' -m '%s' 2>/dev/null", tool, dump);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	sw_out o = {NULL, 0};
	char line[8192];
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = '\0';
		o.lines = realloc(o.lines, (o.n + 1) * sizeof *o.lines);
		o.lines[o.n++] = strdup(line);
	}
	ck_assert_int_eq(pclose(p), 0);
	return o;
}

/* Breakpad's minidump_dump reads every stream and exits 1 when one it expects is missing. */
static void dump_reads_cleanly(const char *dump, const char *what)
{
	char cmd[2300];
	size_t dir = strlen(tool) - strlen("minidump_stackwalk");
	snprintf(cmd, sizeof cmd, "'%.*sminidump_dump' '%s' >/dev/null 2>&1", (int)dir, tool, dump);
	int st = system(cmd);
	ck_assert_msg(st == 0, "%s: minidump_dump exits with status %d", what, st);
}

static void sw_free(sw_out *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->lines[i]);
	free(o->lines);
}

/* Split a '|' line in place into at most max fields. */
static size_t fields(char *s, char **f, size_t max)
{
	size_t n = 0;
	while (n < max) {
		f[n++] = s;
		char *bar = strchr(s, '|');
		if (!bar)
			break;
		*bar = '\0';
		s = bar + 1;
	}
	return n;
}

static bool usable(const crp_image *img)
{
	return CRP_HAS(img, CRP_IMAGE_ADDR) && CRP_HAS(img, CRP_IMAGE_SIZE) && img->image_size;
}

static const crp_image *image_at_base(const crp_report *r, uint64_t base)
{
	size_t n;
	const crp_image *imgs = crp_report_images(r, &n);
	for (size_t i = 0; i < n; i++)
		if (usable(&imgs[i]) && imgs[i].image_addr == base)
			return &imgs[i];
	return NULL;
}

/* Images a module list can hold: usable ones not overlapping one taken before (main first). */
static size_t expected_modules(const crp_report *r)
{
	size_t n, kept = 0;
	const crp_image *imgs = crp_report_images(r, &n), *main = crp_report_main_image(r);
	const crp_image **k = malloc((n + 1) * sizeof *k);
	for (size_t pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			const crp_image *a = &imgs[i];
			if ((pass == 0) != (a == main) || !usable(a))
				continue;
			bool clash = false;
			for (size_t j = 0; j < kept && !clash; j++)
				clash = a->image_addr < k[j]->image_addr + k[j]->image_size &&
					k[j]->image_addr < a->image_addr + a->image_size;
			if (!clash)
				k[kept++] = a;
		}
	free(k);
	return kept;
}

static void check_module_line(const crp_report *r, char **f, size_t nf, const char *what)
{
	ck_assert_uint_ge(nf, 8);
	const crp_image *img = image_at_base(r, strtoull(f[5], NULL, 16));
	ck_assert_msg(img != NULL, "%s: module %s at %s is no image", what, f[1], f[5]);
	const char *slash = strrchr(img->name, '/');
	ck_assert_str_eq(f[1], slash ? slash + 1 : img->name);
	char id[40] = "";
	if (CRP_HAS(img, CRP_IMAGE_UUID)) {
		for (int i = 0; i < 16; i++)
			sprintf(id + 2 * i, "%02X", img->uuid.bytes[i]);
		strcat(id, "0");
	}
	ck_assert_msg(strcmp(f[4], id) == 0, "%s: %s has debug id '%s', not '%s'", what, f[1], f[4], id);
}

/* Frame k of the crashed thread as Breakpad prints it: module + offset, or an address. */
static bool frame_is(const crp_report *r, char **f, uint64_t want, const sw_out *o)
{
	uint64_t off = strtoull(f[6], NULL, 16);
	if (!f[2][0])
		return off == want;
	for (size_t i = 0; i < o->n; i++) { /* names may repeat: any module of that name */
		if (strncmp(o->lines[i], "Module|", 7) != 0)
			continue;
		char *copy = strdup(o->lines[i]), *g[9];
		size_t ng = fields(copy, g, 9);
		bool hit = ng >= 6 && strcmp(g[1], f[2]) == 0 && strtoull(g[5], NULL, 16) + off == want;
		free(copy);
		if (hit)
			return image_at_base(r, want - off) != NULL;
	}
	return false;
}

/* What a dump describes (README, minidump): a recrash file's original, with its handler's
 * thread listed last and its parts standing in for what the original lacks. */
typedef struct view {
	const crp_report *r, *handler, *img, *err;
	const crp_thread *crashed; /* the Exception stream's thread */
	size_t nthreads, crashed_at;
} view;

static bool error_known(const crp_report *r)
{
	const crp_crash_error *e = &crp_report_crash(r)->error;
	return CRP_HAS(e, CRP_ERROR_TYPE) || CRP_HAS(e, CRP_ERROR_MACH) || CRP_HAS(e, CRP_ERROR_SIGNAL);
}

static bool tells_the_crash(const crp_report *r)
{
	return error_known(r) || crp_report_crashed_thread(r, NULL);
}

static view view_of(const crp_report *top)
{
	view v = {crp_report_recrash(top) ? crp_report_recrash(top) : top, NULL, NULL, NULL, NULL, 0, SIZE_MAX};
	v.handler = v.r != top ? top : NULL;
	size_t n, ci;
	crp_report_images(v.r, &n);
	v.img = !v.handler || n ? v.r : v.handler;
	v.err = !v.handler || tells_the_crash(v.r) ? v.r : v.handler;
	const crp_thread *crashed = crp_report_crashed_thread(v.r, &ci);
	const crp_thread *ht = v.handler ? crp_report_crashed_thread(v.handler, NULL) : NULL;
	v.nthreads = crp_report_crash(v.r)->thread_count + (crashed && ci == SIZE_MAX) + (ht != NULL);
	if (v.err == v.r && crashed) {
		v.crashed = crashed;
		v.crashed_at = ci == SIZE_MAX ? crp_report_crash(v.r)->thread_count : ci;
	} else if (v.err != v.r && ht) {
		v.crashed = ht;
		v.crashed_at = v.nthreads - 1;
	} else if (!v.nthreads && error_known(v.err)) {
		v.nthreads = 1; /* an empty thread for the exception to name */
		v.crashed_at = 0;
	}
	return v;
}

static void check_against_breakpad(const char *path)
{
	size_t len;
	char *json = tu_read_file(path, &len);
	crp_report **rs;
	size_t nr;
	ck_assert_int_eq(tu_read(json, len, 0, NULL, NULL, &rs, &nr, NULL), CRP_OK);
	ck_assert_uint_eq(nr, 1);
	view v = view_of(rs[0]);
	const crp_report *r = v.img; /* modules */
	size_t dlen;
	char *dump = tu_emit("minidump", rs, 1, NULL, &dlen);
	char tmp[] = "/tmp/crashport-oracle-XXXXXX";
	int fd = mkstemp(tmp);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, dump, dlen), (ssize_t)dlen);
	close(fd);
	sw_out o = stackwalk(tmp);
	dump_reads_cleanly(tmp, path);
	unlink(tmp);
	mdr m = {(const uint8_t *)dump, dlen};
	uint32_t size, sys = mdr_stream(&m, 7, &size);
	uint16_t arch = (uint16_t)R16(&m, sys);

	const crp_thread *crashed = v.crashed;
	size_t nthreads = v.nthreads, crashed_at = v.crashed_at;
	bool threads_seen[4096] = {false};
	size_t nseen = 0, nmod = 0, next_frame = 0;
	unsigned delta = arch == 12 ? 4 : arch == 5 ? 2 : 0;
	for (size_t i = 0; i < o.n; i++) {
		char *line = strdup(o.lines[i]), *f[9] = {0};
		size_t nf = fields(line, f, 9);
		if (nf >= 4 && strcmp(f[0], "Crash") == 0 && strcmp(f[1], "No crash") != 0) {
			char want[128];
			uint64_t addr, pc = crashed && CRP_HAS(crashed, CRP_THREAD_BACKTRACE) &&
						    crashed->backtrace.frame_count
						    ? crashed->backtrace.frames[0].instruction_addr
						    : 0;
			expected_crash(v.err, arch, pc, want, sizeof want, &addr);
			ck_assert_msg(strcmp(f[1], want) == 0, "%s: crash '%s', not '%s'", path, f[1], want);
			ck_assert_uint_eq(strtoull(f[2], NULL, 16), arch == 5 || arch == 0 ? (uint32_t)addr : addr);
			if (crashed_at != SIZE_MAX)
				ck_assert_uint_eq(strtoull(f[3], NULL, 10), crashed_at);
		} else if (strcmp(f[0], "Module") == 0) {
			check_module_line(r, f, nf, path);
			nmod++;
		} else if (nf == 7 && f[0][0] >= '0' && f[0][0] <= '9') {
			size_t t = strtoull(f[0], NULL, 10), k = strtoull(f[1], NULL, 10);
			ck_assert_uint_lt(t, 4096);
			nseen += !threads_seen[t];
			threads_seen[t] = true;
			if (crashed && t == crashed_at && k == next_frame && k < crashed->backtrace.frame_count) {
				uint64_t want = crashed->backtrace.frames[k].instruction_addr;
				if (arch == 5 || arch == 0)
					want &= 0xFFFFFFFFu;
				if (k == 0 || want >= 4096) {
					ck_assert_msg(frame_is(r, f, k ? want - delta : want, &o),
						      "%s: frame %zu is %s+%s, the report has 0x%llx", path, k,
						      f[2], f[6], (unsigned long long)want);
					next_frame++;
				}
			}
		}
		free(line);
	}
	ck_assert_msg(nseen == nthreads, "%s: Breakpad shows %zu threads, the report has %zu", path,
		      nseen, nthreads);
	ck_assert_msg(nmod == expected_modules(r), "%s: %zu modules, expected %zu", path, nmod,
		      expected_modules(r));
	if (crashed && crashed->backtrace.frame_count) {
		size_t want = 0;
		while (want < crashed->backtrace.frame_count &&
		       (want == 0 || crashed->backtrace.frames[want].instruction_addr >= 4096))
			want++;
		ck_assert_msg(next_frame == want, "%s: crashed thread matched %zu of %zu frames", path,
			      next_frame, want);
	}
	sw_free(&o);
	free(dump);
	tu_free_reports(rs, nr);
	free(json);
}

START_TEST(breakpad_reads_what_the_report_says)
{
	if (!find_tool()) {
		if (_i == 0)
			fprintf(stderr, "minidump oracle: %s not found, skipped "
					"(tests/fetch-breakpad.sh BUILD_DIR)\n", tool);
		return;
	}
	check_against_breakpad(files[_i]);
}
END_TEST

Suite *suite_minidump_oracle(void)
{
	Suite *s = suite_create("minidump_oracle");
	TCase *tc = tcase_create("breakpad");
	setup();
	tcase_add_unchecked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, breakpad_reads_what_the_report_says, 0, (int)n_files);
	suite_add_tcase(s, tc);
	return s;
}
