/* Round trips of the Apple readers and writers. Whatever the .ips or .crash reader accepts (the
 * first byte's low bit picks which): CRPB keeps it exactly (model -> CRPB -> model is the same
 * model, and writes the same CRPB); and each Apple writer's output reads back, and from there
 * on nothing moves: written, read, written again gives the same bytes, and the two models read
 * give the same CRPB. (The first trip through an Apple format may drop what it has no place for,
 * e.g. KSCrash-only fields of a model, so it is the second trip that must be the identity.)
 * Nothing moving is asked only of input read without a warning: lines the reader did not
 * understand are kept as text, and where such text goes back is not promised. Any difference
 * aborts, with what differed on stderr; with CRP_FUZZ_DUMP=DIR set, the two writings that
 * differ are also left in DIR/w1 and DIR/w2 (for diff), or the writing that does not read
 * back in DIR/w1. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crashport/crashport.h"
#include "model/compare.h"

#define MAX_REPORTS 8

static void fail(const char *what)
{
	fprintf(stderr, "apple round trip: %s\n", what);
	abort();
}

static size_t read_all(const char *format, const uint8_t *d, size_t n, crp_report **r, int *rc)
{
	crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
	o.max_depth = 64;
	crp_reader *rd;
	size_t k = 0;
	if (crp_reader_new(&rd, crp_format_lookup(format), &o) != CRP_OK)
		abort();
	*rc = crp_reader_feed(rd, d, n);
	if (*rc == CRP_OK)
		*rc = crp_reader_finish(rd);
	crp_report *x;
	while (crp_reader_next(rd, &x) == CRP_OK) {
		if (k < MAX_REPORTS)
			r[k++] = x;
		else
			crp_report_free(x);
	}
	crp_reader_free(rd);
	return k;
}

static void emit(const char *format, crp_report **r, size_t n, crp_buffer *b)
{
	static const char *const stored[] = {"codec=none", NULL};
	crp_sink sink;
	crp_emit_session *s;
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	eo.params = strcmp(format, "crpb") == 0 ? stored : NULL;
	crp_sink_init_buffer(&sink, b);
	if (crp_emit_begin(&s, crp_emitter_lookup(format), &sink, &eo, NULL) != CRP_OK)
		fail("cannot begin writing");
	for (size_t i = 0; i < n; i++)
		if (crp_emit_report(s, r[i]) != CRP_OK)
			fail(format);
	if (crp_emit_end(s) != CRP_OK)
		fail(format);
	crp_emit_free(s);
}

static bool same_bytes(const crp_buffer *a, const crp_buffer *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void free_all(crp_report **r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		crp_report_free(r[i]);
}

/* model -> CRPB -> model: the same model, and the same CRPB again. */
static void through_crpb(crp_report **r, size_t n)
{
	crp_buffer c1 = CRP_BUFFER_INIT, c2 = CRP_BUFFER_INIT;
	crp_report *back[MAX_REPORTS];
	crp_crpb *a;
	char where[256];
	emit("crpb", r, n, &c1);
	if (crp_crpb_open(&a, c1.data, c1.len, NULL, NULL) != CRP_OK || crp_crpb_count(a) != n)
		fail("CRPB does not read back");
	for (size_t i = 0; i < n; i++) {
		if (crp_crpb_read(&back[i], a, i, NULL) != CRP_OK)
			fail("a CRPB report does not read back");
		if (crp__report_compare(r[i], back[i], where, sizeof where) != 0)
			fail(where);
	}
	emit("crpb", back, n, &c2);
	if (!same_bytes(&c1, &c2))
		fail("model -> CRPB -> model -> CRPB differs");
	free_all(back, n);
	crp_crpb_close(a);
	crp_buffer_dispose(&c1);
	crp_buffer_dispose(&c2);
}

static void dump_one(const char *dir, const char *name, const crp_buffer *b)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(b->data, 1, b->len, f);
		fclose(f);
	}
}

static void dump(const crp_buffer *w1, const crp_buffer *w2)
{
	const char *dir = getenv("CRP_FUZZ_DUMP");
	if (dir) {
		dump_one(dir, "w1", w1);
		if (w2)
			dump_one(dir, "w2", w2);
	}
}

static bool clean(crp_report **r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (crp_report_warning_count(r[i]))
			return false;
	return true;
}

/* Written as `format` and read back twice: the second trip changes nothing. */
static void through(const char *format, crp_report **r, size_t n)
{
	crp_buffer w1 = CRP_BUFFER_INIT, w2 = CRP_BUFFER_INIT, m2 = CRP_BUFFER_INIT, m3 = CRP_BUFFER_INIT;
	crp_report *r2[MAX_REPORTS], *r3[MAX_REPORTS];
	int rc;
	size_t n3;
	emit(format, r, n, &w1);
	size_t n2 = read_all(format, (const uint8_t *)w1.data, w1.len, r2, &rc);
	if (rc != CRP_OK || n2 != n) {
		dump(&w1, NULL);
		fail("what the writer wrote does not read back");
	}
	emit(format, r2, n2, &w2);
	if (!clean(r, n))
		goto out;
	if (!same_bytes(&w1, &w2)) {
		dump(&w1, &w2);
		fail("written, read and written again differs");
	}
	n3 = read_all(format, (const uint8_t *)w2.data, w2.len, r3, &rc);
	if (rc != CRP_OK || n3 != n2)
		fail("the second writing does not read back");
	emit("crpb", r2, n2, &m2);
	emit("crpb", r3, n3, &m3);
	if (!same_bytes(&m2, &m3))
		fail("the second trip changes the model");
	free_all(r3, n3);
out:
	free_all(r2, n2);
	crp_buffer_dispose(&w1);
	crp_buffer_dispose(&w2);
	crp_buffer_dispose(&m2);
	crp_buffer_dispose(&m3);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *format = data[0] & 1 ? "apple" : "ips";
	crp_report *r[MAX_REPORTS];
	int rc;
	size_t n = read_all(format, data + 1, size - 1, r, &rc);
	if (n) {
		through_crpb(r, n);
		through("ips", r, n);
		through("apple", r, n);
	}
	free_all(r, n);
	return 0;
}
