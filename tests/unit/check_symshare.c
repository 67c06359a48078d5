/* One symbolicator shared by several threads (crashport/symbols.h's thread-safety promise):
 * every thread symbolicates the fixture reports and looks addresses up with
 * crp_symbolicator_lookup_r() against one fresh handle, so indexes are built and names cached
 * while others read them, and each thread's output must equal the single-threaded output byte
 * for byte; again under a memory cap so small that indexes are dropped and rebuilt while other
 * threads read them. tests/run-all.sh runs this suite under ThreadSanitizer too.
 * Threads never call Check: they record what they saw and the main thread asserts. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crashport/crashport.h"
#include "crashport/symbols.h"
#include "testutil.h"

#define THREADS 4
#define ROUNDS 3
#define LOOKUPS_PER_IMAGE 97  /* spread over __TEXT; prime, so threads start at different spots */

static const char *const reports[] = {"report-x86_64.json", "report-arm64e-recrash.json"};
#define REPORTS (sizeof reports / sizeof *reports)

typedef struct text {
	char *p;
	size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->p = realloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void putf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(text *t, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put(t, buf, n < 0 ? 0 : (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

typedef struct inputs {
	char *data[REPORTS];
	size_t len[REPORTS];
} inputs;

/* A report parsed, symbolicated with s and written as JSON, followed by its warnings. */
static void convert(text *out, const inputs *in, size_t k, const crp_symbolicator *s)
{
	crp_report *r;
	crp_error err;
	if (crp_report_parse(&r, in->data[k], in->len[k], NULL, &err) != CRP_OK) {
		putf(out, "parse: %s\n", err.message);
		return;
	}
	crp_symbolicate_stats st;
	int rc = crp_report_symbolicate(r, s, NULL, &st, &err);
	putf(out, "rc %d, %zu of %zu frames\n", rc, st.symbolicated, st.frames);
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_sink sink;
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	crp_sink_init_buffer(&sink, &buf);
	if (crp_emit(crp_emitter_lookup("json"), r, &sink, &eo, &err) == CRP_OK)
		put(out, buf.data, buf.len);
	else
		putf(out, "emit: %s\n", err.message);
	free(buf.data);
	for (size_t i = 0; i < crp_report_warning_count(r); i++) {
		const crp_diag *d = crp_report_warning(r, i);
		putf(out, "warning %d %s: %s\n", d->code, d->json_path, d->message);
	}
	crp_report_free(r);
}

static void answer_text(text *out, int rc, const crp_symbolication *a)
{
	putf(out, "%d", rc);
	if (!a) {
		put(out, " -\n", 3);
		return;
	}
	putf(out, " %d %#x %s %llx %llx %llx %s:", (int)a->source, a->flags, a->image,
	     (unsigned long long)a->lookup_addr, (unsigned long long)a->function_addr,
	     (unsigned long long)a->offset, a->linkage_name ? a->linkage_name : "-");
	for (size_t i = 0; i < a->count; i++) {
		const crp_symloc *l = &a->locs[i];
		putf(out, " %s (%s:%u:%u)", l->function ? l->function : "??", l->file ? l->file : "??", l->line,
		     l->column);
	}
	put(out, "\n", 1);
}

/* LOOKUPS_PER_IMAGE addresses of image i, starting at the `start`-th (in a ring). */
static void lookups(text *out, const crp_symbolicator *s, size_t i, size_t start, crp_symbol_answer *room)
{
	const crp_symbol_image *im = crp_symbolicator_image(s, i);
	crp_symbol_image_info info;
	crp_symbol_image_get_info(im, &info);
	uint64_t step = info.text_vmsize / LOOKUPS_PER_IMAGE + 1;
	for (size_t n = 0; n < LOOKUPS_PER_IMAGE; n++) {
		size_t k = (start + n) % LOOKUPS_PER_IMAGE;
		const crp_symbolication *a;
		int rc = crp_symbolicator_lookup_r(&a, room, s, im, info.text_vmaddr + k * step, NULL);
		putf(out, "%zu %zu ", i, k);
		answer_text(out, rc, a);
	}
}

typedef struct expected {
	text report[REPORTS];
	text image[32][LOOKUPS_PER_IMAGE]; /* one answer per line, by address index */
	size_t images;
} expected;

typedef struct worker {
	pthread_t id;
	unsigned n;
	const inputs *in;
	const expected *want;
	const crp_symbolicator *s;
	pthread_barrier_t *start;
	size_t compared, differed;
	char first_difference[256];
} worker;

static void differs(worker *w, const char *what)
{
	if (!w->differed++)
		snprintf(w->first_difference, sizeof w->first_difference, "thread %u: %s", w->n, what);
}

static void check_lookups(worker *w, size_t i, crp_symbol_answer *room)
{
	text got = {0};
	size_t start = (w->n * 31u + i) % LOOKUPS_PER_IMAGE;
	lookups(&got, w->s, i, start, room);
	char *line = got.p;
	for (size_t n = 0; n < LOOKUPS_PER_IMAGE && line; n++) {
		size_t k = (start + n) % LOOKUPS_PER_IMAGE;
		char *end = strchr(line, '\n');
		const text *want = &w->want->image[i][k];
		w->compared++;
		if (!end || (size_t)(end + 1 - line) != want->len || memcmp(line, want->p, want->len) != 0)
			differs(w, want->p);
		line = end ? end + 1 : NULL;
	}
	free(got.p);
}

/* Threads take the reports in different orders (they race to build different indexes), then
 * all look up in the same image at once from different addresses (they race for its names). */
static void *work(void *arg)
{
	worker *w = arg;
	crp_symbol_answer *room;
	if (crp_symbol_answer_new(&room, w->s) != CRP_OK)
		differs(w, "crp_symbol_answer_new");
	pthread_barrier_wait(w->start);
	for (unsigned round = 0; round < ROUNDS; round++) {
		for (size_t j = 0; j < REPORTS; j++) {
			size_t k = (j + w->n + round) % REPORTS;
			text got = {0};
			convert(&got, w->in, k, w->s);
			w->compared++;
			if (got.len != w->want->report[k].len || memcmp(got.p, w->want->report[k].p, got.len) != 0)
				differs(w, reports[k]);
			free(got.p);
		}
		for (size_t j = 0; j < w->want->images; j++)
			check_lookups(w, j, room);
	}
	crp_symbol_answer_free(room);
	return NULL;
}

static crp_symbolicator *capped_symbols(size_t cap)
{
	crp_symbolicator *s;
	crp_error err;
	crp_symbolicator_options o = CRP_SYMBOLICATOR_OPTIONS_INIT;
	o.max_index_bytes = cap;
	char *dir = tu_path(tu_fixtures_dir(), "macho");
	ck_assert_int_eq(crp_symbolicator_new(&s, &o), CRP_OK);
	ck_assert_msg(crp_symbolicator_add_path(s, dir, &err) == CRP_OK, "%s", err.message);
	free(dir);
	return s;
}

static crp_symbolicator *fixture_symbols(void)
{
	return capped_symbols(0);
}

/* The answers of one thread alone, on its own symbolicator. */
static void single_threaded(expected *want, const inputs *in)
{
	crp_symbolicator *s = fixture_symbols();
	crp_symbol_answer *room;
	ck_assert_int_eq(crp_symbol_answer_new(&room, s), CRP_OK);
	for (size_t k = 0; k < REPORTS; k++)
		convert(&want->report[k], in, k, s);
	want->images = crp_symbolicator_image_count(s);
	ck_assert_uint_ge(want->images, 4);
	ck_assert_uint_le(want->images, 32);
	for (size_t i = 0; i < want->images; i++) {
		text all = {0};
		lookups(&all, s, i, 0, room);
		char *line = all.p;
		for (size_t k = 0; k < LOOKUPS_PER_IMAGE; k++) {
			char *end = strchr(line, '\n');
			put(&want->image[i][k], line, (size_t)(end + 1 - line));
			line = end + 1;
		}
		free(all.p);
	}
	crp_symbol_answer_free(room);
	crp_symbolicator_free(s);
}

/* THREADS threads on one fresh symbolicator with this cap; its memory figures after. */
static void share(size_t cap, crp_symbolicator_memory *mem)
{
	inputs in;
	for (size_t k = 0; k < REPORTS; k++) {
		char *dir = tu_path(tu_fixtures_dir(), "macho"), *p = tu_path(dir, reports[k]);
		in.data[k] = tu_read_file(p, &in.len[k]);
		ck_assert_ptr_nonnull(in.data[k]);
		free(dir), free(p);
	}
	expected *want = calloc(1, sizeof *want);
	single_threaded(want, &in);
	/* the reports really are symbolicated: the comparison is not between empty answers */
	ck_assert(strstr(want->report[0].p, "\"function\": \"crash_here\"") != NULL);
	ck_assert(strstr(want->report[1].p, "\"symbolicated\"") != NULL);

	crp_symbolicator *s = capped_symbols(cap); /* fresh: no index built yet */
	pthread_barrier_t start;
	pthread_barrier_init(&start, NULL, THREADS);
	worker w[THREADS];
	for (unsigned t = 0; t < THREADS; t++) {
		w[t] = (worker){.n = t, .in = &in, .want = want, .s = s, .start = &start};
		ck_assert_int_eq(pthread_create(&w[t].id, NULL, work, &w[t]), 0);
	}
	for (unsigned t = 0; t < THREADS; t++)
		pthread_join(w[t].id, NULL);
	for (unsigned t = 0; t < THREADS; t++) {
		ck_assert_uint_eq(w[t].compared, ROUNDS * (REPORTS + want->images * LOOKUPS_PER_IMAGE));
		ck_assert_msg(w[t].differed == 0, "%zu outputs differ from one thread's; first: %s", w[t].differed,
			      w[t].first_difference);
	}
	pthread_barrier_destroy(&start);
	crp_symbolicator_get_memory(s, mem);
	crp_symbolicator_free(s);
	for (size_t k = 0; k < REPORTS; k++)
		free(want->report[k].p), free(in.data[k]);
	for (size_t i = 0; i < want->images; i++)
		for (size_t k = 0; k < LOOKUPS_PER_IMAGE; k++)
			free(want->image[i][k].p);
	free(want);
}

START_TEST(threads_share_one_symbolicator)
{
	crp_symbolicator_memory mem;
	share(0, &mem);
	ck_assert_uint_eq(mem.evictions, 0);
	ck_assert_uint_gt(mem.peak, 0);
	ck_assert_uint_ge(mem.peak, mem.held);
}
END_TEST

/* 1 byte: every index built drops all the others, in use by other threads or not. */
START_TEST(threads_share_under_a_tiny_cap)
{
	crp_symbolicator_memory mem;
	share(1, &mem);
	ck_assert_uint_gt(mem.evictions, 100);
}
END_TEST

/* A cap of a few KiB: unit indexes go before whole images. */
START_TEST(threads_share_under_a_small_cap)
{
	crp_symbolicator_memory mem;
	share(48 * 1024, &mem);
	ck_assert_uint_gt(mem.evictions, 0);
}
END_TEST

/* Under a cap, an answer is a copy: it outlives the index it came from. */
START_TEST(capped_answers_outlive_their_index)
{
	crp_symbolicator *s = capped_symbols(1), *plain = fixture_symbols();
	crp_symbol_answer *room[2];
	const crp_symbolication *a[2], *p;
	size_t images = crp_symbolicator_image_count(s);
	ck_assert_int_eq(crp_symbol_answer_new(&room[0], s), CRP_OK);
	ck_assert_int_eq(crp_symbol_answer_new(&room[1], s), CRP_OK);
	for (size_t i = 0; i + 1 < images; i++) {
		const crp_symbol_image *im = crp_symbolicator_image(s, i);
		crp_symbol_image_info info;
		crp_symbol_image_get_info(im, &info);
		uint64_t addr = info.text_vmaddr + info.text_vmsize / 2;
		ck_assert_int_eq(crp_symbolicator_lookup_r(&a[0], room[0], s, im, addr, NULL), CRP_OK);
		/* the next image's index drops this one's */
		const crp_symbol_image *next = crp_symbolicator_image(s, i + 1);
		crp_symbol_image_get_info(next, &info);
		ck_assert_int_eq(crp_symbolicator_lookup_r(&a[1], room[1], s, next, info.text_vmaddr, NULL), CRP_OK);
		ck_assert_int_eq(crp_symbolicator_lookup(&p, plain, crp_symbolicator_image(plain, i), addr, NULL), CRP_OK);
		text x = {0}, y = {0};
		answer_text(&x, 0, a[0]);
		answer_text(&y, 0, p);
		ck_assert_str_eq(x.p, y.p);
		free(x.p), free(y.p);
	}
	crp_symbolicator_memory mem;
	crp_symbolicator_get_memory(s, &mem);
	ck_assert_uint_ge(mem.evictions, images - 1);
	crp_symbolicator_free(s);
	crp_symbolicator_free(plain);
	crp_symbol_answer_free(room[0]);
	crp_symbol_answer_free(room[1]);
}
END_TEST

START_TEST(lookup_r_arguments)
{
	crp_symbolicator *s = fixture_symbols();
	crp_symbol_answer *room, *none;
	static const crp_symbolication dummy;
	const crp_symbolication *a = &dummy, *b; /* must be reset to NULL on errors */
	crp_error err;
	const crp_symbol_image *im = crp_symbolicator_image(s, 0);
	ck_assert_int_eq(crp_symbol_answer_new(&none, NULL), CRP_EINVAL);
	ck_assert_ptr_null(none);
	crp_symbol_answer_free(NULL);
	ck_assert_int_eq(crp_symbol_answer_new(&room, s), CRP_OK);
	ck_assert_int_eq(crp_symbolicator_lookup_r(&a, NULL, s, im, 0, &err), CRP_EINVAL);
	ck_assert_ptr_null(a);
	ck_assert_int_eq(crp_symbolicator_lookup_r(&a, room, NULL, im, 0, NULL), CRP_EINVAL);
	ck_assert_int_eq(crp_symbolicator_lookup_r(&a, room, s, NULL, 0, NULL), CRP_EINVAL);
	/* the same answer as crp_symbolicator_lookup(), in the caller's room */
	crp_symbol_image_info info;
	crp_symbol_image_get_info(im, &info);
	const crp_symbolication *first = NULL;
	for (uint64_t addr = info.text_vmaddr; addr < info.text_vmaddr + info.text_vmsize; addr += 16) {
		ck_assert_int_eq(crp_symbolicator_lookup_r(&a, room, s, im, addr, NULL), CRP_OK);
		ck_assert_int_eq(crp_symbolicator_lookup(&b, s, im, addr, NULL), CRP_OK);
		text x = {0}, y = {0};
		answer_text(&x, 0, a);
		answer_text(&y, 0, b);
		ck_assert_str_eq(x.p, y.p);
		first = first ? first : a;
		ck_assert(!a || a == first); /* the answer lives in the room */
		free(x.p), free(y.p);
	}
	ck_assert_ptr_nonnull(first);
	/* the room may outlive the symbolicator (only its answers' strings may not) */
	crp_symbolicator_free(s);
	crp_symbol_answer_free(room);
}
END_TEST

Suite *suite_symshare(void)
{
	Suite *s = suite_create("symshare");
	TCase *tc = tcase_create("threads");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, threads_share_one_symbolicator);
	tcase_add_test(tc, threads_share_under_a_tiny_cap);
	tcase_add_test(tc, threads_share_under_a_small_cap);
	tcase_add_test(tc, capped_answers_outlive_their_index);
	tcase_add_test(tc, lookup_r_arguments);
	suite_add_tcase(s, tc);
	return s;
}
