/* The Apple readers (converters/apple): .ips and .crash text into the model. Our fixtures
 * (fixtures/apple) against their goldens; every input, ours and the corpus's
 * (../shared/corpus/apple), read in chunks of 1 to 31 bytes, and round trips through CRPB, JSON
 * and Apple's own formats; what is not an Apple crash report; cut-off input, limits and
 * allocation failures; issue 14's items; symbolication of Apple input. */
#include <stdlib.h>
#include <string.h>

#include "apple/apple_read.h"
#include "crashport/symbols.h"
#include "model/compare.h"
#include "testutil.h"

#define MAX_CHUNK 31

static char **inputs; /* fixtures/apple, then ../shared/corpus/apple */
static size_t n_fixtures, n_inputs;

/* -- helpers ------------------------------------------------------------------------------ */

static char *read_in(const char *dir, const char *name, size_t *len)
{
	char *path = tu_path(dir, name);
	char *data = tu_read_file(path, len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	free(path);
	return data;
}

static char *input(size_t i, size_t *len)
{
	char *fx = tu_path(tu_fixtures_dir(), "apple");
	char *data = read_in(i < n_fixtures ? fx : tu_apple_corpus_dir(), inputs[i], len);
	free(fx);
	return data;
}

/* Read by content; the input must read. */
static crp_report **read_all(const char *data, size_t len, size_t chunk, const crp_parse_options *o, size_t *n,
			     const char *what)
{
	crp_report **r;
	crp_error e;
	int rc = tu_read(data, len, chunk, NULL, o, &r, n, &e);
	ck_assert_msg(rc == CRP_OK, "%s: %llu:%llu %s: %s", what, (unsigned long long)e.line,
		      (unsigned long long)e.column, e.json_path, e.message);
	ck_assert_uint_ge(*n, 1);
	return r;
}

/* One report from len bytes (which may hold NULs). */
static crp_report *read_bytes(const char *text, size_t len, const char *format)
{
	crp_report **r;
	size_t n;
	crp_error e;
	int rc = tu_read(text, len, 0, format, NULL, &r, &n, &e);
	ck_assert_msg(rc == CRP_OK, "%s", e.message);
	ck_assert_uint_eq(n, 1);
	crp_report *one = r[0];
	free(r);
	return one;
}

static crp_report *read_one(const char *text, const char *format)
{
	return read_bytes(text, strlen(text), format);
}

static char *emit(const char *format, crp_report **r, size_t n, size_t *len)
{
	return tu_emit(format, r, n, NULL, len);
}

static bool has_warning(const crp_report *r, int code)
{
	for (size_t i = 0; i < crp_report_warning_count(r); i++)
		if (crp_report_warning(r, i)->code == code)
			return true;
	return false;
}

/* The .crash text reads back and is written again byte for byte. */
static void rewrites_the_same(const char *crash)
{
	crp_report *back = read_one(crash, "apple");
	char *again = emit("apple", &back, 1, NULL);
	ck_assert_str_eq(again, crash);
	free(again);
	crp_report_free(back);
}

/* The macOS .ips fixture with the first `find` replaced by `by` (an .ips saying what Apple's
 * never do); the caller frees it. */
static char *edited_macos_ips(const char *find, const char *by)
{
	size_t len, fn = strlen(find), bn = strlen(by);
	char *fx = tu_path(tu_fixtures_dir(), "apple");
	char *ips = read_in(fx, "macos14-x86_64-rosetta-badaccess.ips", &len);
	const char *at = strstr(ips, find);
	ck_assert_ptr_nonnull(at);
	size_t head = (size_t)(at - ips);
	char *edited = malloc(len - fn + bn + 1);
	memcpy(edited, ips, head);
	memcpy(edited + head, by, bn);
	memcpy(edited + head + bn, at + fn, len - head - fn + 1);
	free(ips);
	free(fx);
	return edited;
}

static void same_reports(crp_report **a, size_t na, crp_report **b, size_t nb, const char *what)
{
	char where[256];
	ck_assert_msg(na == nb, "%s: %zu reports, then %zu", what, na, nb);
	for (size_t i = 0; i < na; i++)
		ck_assert_msg(crp__report_compare(a[i], b[i], where, sizeof where) == 0, "%s, report %zu: %s", what, i,
			      where);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

#define ASSERT_LINE(text, line) ck_assert_msg(has_line(text, line), "missing line: %s\n--- in:\n%s", line, text)

/* `input` read as `format` and written as .crash, a text that reads back and is written the
 * same; the caller frees it. */
static char *written_as_crash(const char *input, const char *format)
{
	crp_report *r = read_one(input, format);
	char *crash = emit("apple", &r, 1, NULL);
	rewrites_the_same(crash);
	crp_report_free(r);
	return crash;
}

/* The .crash written from `input` has `line` (and reads back and is written the same). */
static void assert_crash_line(const char *input, const char *format, const char *line)
{
	char *crash = written_as_crash(input, format);
	ASSERT_LINE(crash, line);
	free(crash);
}

/* -- goldens ------------------------------------------------------------------------------ */

static const struct {
	const char *format, *ext;
} outputs[] = {{"apple", ".crash"}, {"ips", ".ips"}, {"json", ".json"}};

/* _i = fixture * 3 + output; goldens are fixtures/expected/apple/<input name><ext> */
START_TEST(fixture_matches_its_goldens)
{
	size_t fx = (size_t)_i / 3, k = (size_t)_i % 3, len, glen, olen, n;
	char *dir = tu_path(tu_fixtures_dir(), "expected/apple"), gname[256];
	char *data = input(fx, &len);
	snprintf(gname, sizeof gname, "%s%s", inputs[fx], outputs[k].ext);
	char *golden = read_in(dir, gname, &glen);
	crp_report **r = read_all(data, len, 0, NULL, &n, inputs[fx]);
	char *out = emit(outputs[k].format, r, n, &olen);
	ck_assert_msg(olen == glen && memcmp(out, golden, glen) == 0,
		      "%s differs from fixtures/expected/apple/%s (regenerate deliberately with tests/regen-goldens.sh)",
		      inputs[fx], gname);
	char *again = emit(outputs[k].format, r, n, NULL);
	ck_assert_str_eq(out, again);
	free(again);
	free(out);
	tu_free_reports(r, n);
	free(golden);
	free(data);
	free(dir);
}
END_TEST

/* -- every input: chunks and round trips -------------------------------------------------- */

/* _i = input * MAX_CHUNK + chunk - 1: the same reports and warnings in any chunks */
START_TEST(input_reads_the_same_in_any_chunks)
{
	size_t in = (size_t)_i / MAX_CHUNK, chunk = (size_t)_i % MAX_CHUNK + 1, len, na, nb;
	char what[300];
	char *data = input(in, &len);
	snprintf(what, sizeof what, "%s, chunk %zu", inputs[in], chunk);
	crp_report **a = read_all(data, len, 0, NULL, &na, inputs[in]);
	crp_report **b = read_all(data, len, chunk, NULL, &nb, what);
	same_reports(a, na, b, nb, what);
	for (size_t i = 0; i < na; i++) {
		ck_assert_uint_eq(crp_report_warning_count(a[i]), crp_report_warning_count(b[i]));
		for (size_t k = 0; k < crp_report_warning_count(a[i]); k++)
			ck_assert_msg(memcmp(crp_report_warning(a[i], k), crp_report_warning(b[i], k), sizeof(crp_diag)) == 0,
				      "%s: warning %zu differs", what, k);
	}
	tu_free_reports(a, na);
	tu_free_reports(b, nb);
	free(data);
}
END_TEST

/* A key with invalid UTF-8 warns at its opening quote, named as written, in any chunks (chunking
 * fuzz finding: the path read past the key, and a key split between chunks was put at the
 * second chunk's start). */
START_TEST(bad_key_warns_in_place_in_any_chunks)
{
	size_t len, na;
	char *data = read_in(tu_fixtures_dir(), "apple/ios17-arm64-nsexception.ips", &len);
	char *body = memchr(data, '\n', len);
	ck_assert_ptr_nonnull(body);
	body = strchr(body, '{');
	size_t at = (size_t)(body - data) + 1;
	static const char key[] = "\"k\xe5y\":1,";
	char *in = malloc(len + sizeof key);
	memcpy(in, data, at);
	memcpy(in + at, key, sizeof key - 1);
	memcpy(in + at + sizeof key - 1, data + at, len - at);
	len += sizeof key - 1;
	crp_report **a = read_all(in, len, 0, NULL, &na, "whole");
	const crp_diag *w = crp_report_warning(a[0], 0);
	ck_assert_int_eq(w->code, CRP_W_UTF8);
	ck_assert_uint_eq(w->byte_offset, at);
	ck_assert_str_eq(w->json_path, "k\xe5y");
	for (size_t chunk = 1; chunk <= 24; chunk++) {
		size_t nb;
		crp_report **b = read_all(in, len, chunk, NULL, &nb, "chunked");
		ck_assert_msg(memcmp(w, crp_report_warning(b[0], 0), sizeof *w) == 0, "chunk %zu: at %llu, %s", chunk,
			      (unsigned long long)crp_report_warning(b[0], 0)->byte_offset,
			      crp_report_warning(b[0], 0)->json_path);
		tu_free_reports(b, nb);
	}
	tu_free_reports(a, na);
	free(in);
	free(data);
}
END_TEST

/* Written as `format`, read back, written again: the same bytes. */
static void fixed_point(crp_report **r, size_t n, const char *format, const char *what)
{
	size_t l1, l2, n2;
	char *first = emit(format, r, n, &l1);
	crp_report **back = read_all(first, l1, 0, NULL, &n2, what);
	char *second = emit(format, back, n2, &l2);
	ck_assert_msg(l1 == l2 && memcmp(first, second, l1) == 0, "%s: %s read back is written differently", what,
		      format);
	tu_free_reports(back, n2);
	free(first);
	free(second);
}

static bool any_symbolicated(crp_report **r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const crp_crash *c = crp_report_crash(r[i]);
		for (size_t t = 0; t < c->thread_count; t++)
			for (size_t k = 0; k < c->threads[t].backtrace.frame_count; k++)
				if (c->threads[t].backtrace.frames[k].symbolicated)
					return true;
		for (size_t k = 0; k < c->last_exception_backtrace.frame_count; k++)
			if (c->last_exception_backtrace.frames[k].symbolicated)
				return true;
	}
	return false;
}

/* CRPB is lossless (.ips -> crpb -> ips is .ips -> ips); .ips, .crash and JSON written from
 * Apple input read back to what writes them again the same; JSON carries the Apple facts, so
 * the .crash written from it is the one written from the input, but for symbolication (file
 * and line, inlined levels), which JSON writes and does not read (schema/symbolication.md). */
START_TEST(input_round_trips)
{
	size_t len, n, nb, lb, ljson, ln;
	char *data = input((size_t)_i, &len);
	const char *what = inputs[_i];
	crp_report **r = read_all(data, len, 0, NULL, &n, what);
	char *bin = emit("crpb", r, n, &lb);
	crp_report **b = read_all(bin, lb, 0, NULL, &nb, what);
	same_reports(r, n, b, nb, what);
	for (size_t k = 0; k < 2; k++) {
		char *direct = emit(outputs[k].format, r, n, NULL), *via = emit(outputs[k].format, b, nb, NULL);
		ck_assert_msg(strcmp(direct, via) == 0, "%s: %s through CRPB differs", what, outputs[k].format);
		free(direct);
		free(via);
	}
	for (size_t k = 0; k < 3; k++)
		fixed_point(r, n, outputs[k].format, what);
	char *json = emit("json", r, n, &ljson);
	crp_report **j = read_all(json, ljson, 0, NULL, &ln, what);
	char *direct = emit("apple", r, n, NULL), *via = emit("apple", j, ln, NULL);
	ck_assert_msg(any_symbolicated(r, n) || strcmp(direct, via) == 0, "%s: .crash through JSON differs", what);
	free(direct);
	free(via);
	tu_free_reports(j, ln);
	free(json);
	tu_free_reports(b, nb);
	free(bin);
	tu_free_reports(r, n);
	free(data);
}
END_TEST

/* The corpus: every Apple report reads; the two cut off where Apple's text would go on are
 * marked so, and nothing else is. */
START_TEST(corpus_reads_with_truncation_marked_only_where_it_is)
{
	size_t len, n;
	char *data = input((size_t)_i, &len);
	crp_report **r = read_all(data, len, 0, NULL, &n, inputs[_i]);
	bool cut = strstr(inputs[_i], "fuzzmanager_macos10.11") || strstr(inputs[_i], "sentry-acrp_xcode16");
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(has_warning(r[i], CRP_W_TRUNCATED) == cut, "%s: truncation %s", inputs[_i],
			      cut ? "not marked" : "marked");
		ck_assert_msg(crp_report_is_incomplete(r[i]) == cut, "%s", inputs[_i]);
	}
	tu_free_reports(r, n);
	free(data);
}
END_TEST

/* -- what is not an Apple crash report ---------------------------------------------------- */

static void read_fails(const char *data, size_t len, const char *format, int code, const char *msg,
		       unsigned long long line, unsigned long long col)
{
	crp_report **r;
	size_t n;
	crp_error e;
	for (size_t chunk = 0; chunk < 8; chunk += 7) {
		ck_assert_int_eq(tu_read(data, len, chunk, format, NULL, &r, &n, &e), code);
		ck_assert_msg(strstr(e.message, msg) != NULL, "'%s' does not say '%s'", e.message, msg);
		ck_assert_uint_eq(e.line, line);
		ck_assert_uint_eq(e.column, col);
		tu_free_reports(r, n);
	}
}

/* Apple's text in the layouts the writer knows (iOS Report Version 104, Apple's translation of
 * an .ips on iOS and macOS 12+, symbolicated or not) read and written again: byte for byte. */
START_TEST(apple_texts_reproduce_themselves)
{
	static const char *const texts[] = {
		"macsym_2022_ios-crash.crash", "macsym_2022_ios-crash_symbolicated.crash",
		"macsym_2022_multi-target-crash.crash", "macsym_2022_multi-target-crash_symbolicated.crash",
		"macsym_2022_single-target-crash.crash", "macsym_2022_single-target-crash_symbolicated.crash",
		"macsym_ios-crash-without-json-header.crash", "macsym_ios13-report.crash",
		"macsym_ios13-report_symbolicated.crash", "macsym_ios14-crash.crash"};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		size_t len, n, olen;
		char *data = read_in(tu_apple_corpus_dir(), texts[i], &len);
		crp_report **r = read_all(data, len, 0, NULL, &n, texts[i]);
		char *out = emit("apple", r, n, &olen);
		ck_assert_msg(olen == len && memcmp(out, data, len) == 0, "%s is not written back as it was", texts[i]);
		free(out);
		tu_free_reports(r, n);
		free(data);
	}
}
END_TEST

START_TEST(negative_is_not_an_apple_report)
{
	size_t len;
	char *data = read_in(tu_apple_corpus_dir(), "sym_NEGATIVE_umeng-format.crash", &len);
	read_fails(data, len, "apple", CRP_ESCHEMA, "not an Apple crash report", 1, 1);
	read_fails(data, len, "ips", CRP_ESYNTAX, "", 1, 1);
	crp_report **r;
	size_t n;
	ck_assert_int_ne(tu_read(data, len, 0, NULL, NULL, &r, &n, NULL), CRP_OK);
	tu_free_reports(r, n);
	free(data);
}
END_TEST

START_TEST(other_bug_types_are_not_crash_reports)
{
	size_t len;
	char *fx = tu_path(tu_fixtures_dir(), "apple");
	char *data = read_in(fx, "bug-type-288-stackshot.ips", &len);
	read_fails(data, len, NULL, CRP_ESCHEMA, "not a crash report (bug_type 288)", 1, 1);
	static const char jetsam[] = "{\"bug_type\":298,\"os_version\":\"iPhone OS 17.0\"}\n{\"memoryStatus\":{}}\n";
	read_fails(jetsam, strlen(jetsam), NULL, CRP_ESCHEMA, "not a crash report (bug_type 298)", 1, 1);
	static const char none[] = "{\"os_version\":\"x\"}\n{\"procName\":\"x\"}\n";
	read_fails(none, strlen(none), "ips", CRP_ESCHEMA, "without a bug_type", 1, 1);
	static const char text[] = "Hello: world\nThis is not a crash report\n";
	read_fails(text, strlen(text), "apple", CRP_ESCHEMA, "not an Apple crash report", 1, 1);
	free(data);
	free(fx);
}
END_TEST

/* -- cut-off input ------------------------------------------------------------------------ */

/* Where a cut makes a report detectably incomplete: before the body's last brace of an .ips,
 * before the Binary Images list of a text (a cut inside that list leaves lines that may be
 * complete: Apple's text has no end marker there but on iOS). */
static size_t detectable_until(const char *data, size_t len, bool ips)
{
	if (ips) {
		while (len && data[len - 1] != '}')
			len--;
		return len ? len - 1 : 0;
	}
	const char *bi = strstr(data, "\nBinary Images:");
	return bi ? (size_t)(bi - data) + 1 : len;
}

/* _i = fixture: cut at 40 places, the reports read keep what was complete, with a warning;
 * in strict mode that is an error. */
START_TEST(cut_off_input_keeps_what_is_complete)
{
	size_t len;
	char *data = input((size_t)_i, &len);
	bool ips = strstr(inputs[_i], ".ips") != NULL;
	const char *format = ips ? "ips" : "apple";
	size_t until = detectable_until(data, len, ips);
	crp_parse_options strict = CRP_PARSE_OPTIONS_INIT;
	strict.flags = CRP_PARSE_STRICT;
	for (size_t k = 1; k <= 40; k++) {
		size_t cut = until * k / 41;
		crp_report **r;
		size_t n;
		crp_error e;
		int rc = tu_read(data, cut, 3, format, NULL, &r, &n, &e);
		if (rc == CRP_EEMPTY || (rc == CRP_ESCHEMA && strstr(e.message, "not an Apple crash report"))) {
			tu_free_reports(r, n); /* nothing recognisable yet */
			continue;
		}
		ck_assert_msg(rc == CRP_OK, "%s cut at %zu: %s", inputs[_i], cut, e.message);
		ck_assert_msg(n >= 1 && has_warning(r[n - 1], CRP_W_TRUNCATED), "%s cut at %zu: no warning", inputs[_i],
			      cut);
		ck_assert(crp_report_is_incomplete(r[n - 1]));
		char *text = emit("apple", r, n, NULL), *json = emit("ips", r, n, NULL); /* writable */
		free(text);
		free(json);
		tu_free_reports(r, n);
		ck_assert_int_eq(tu_read(data, cut, 0, format, &strict, &r, &n, &e), CRP_ETRUNCATED);
		tu_free_reports(r, n);
	}
	free(data);
}
END_TEST

START_TEST(metadata_line_alone)
{
	static const char meta[] = "{\"app_name\":\"Lumen\",\"timestamp\":\"2024-03-05 09:41:12.00 +0100\","
				   "\"app_version\":\"2.4\",\"build_version\":\"241\",\"bundleID\":\"org.example.lumen\","
				   "\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\","
				   "\"incident_id\":\"7E1D2C3B-4A59-4687-9F10-2B3C4D5E6F70\"}";
	for (int nl = 0; nl < 2; nl++) { /* with its newline, and cut inside before it */
		char buf[sizeof meta + 1];
		snprintf(buf, sizeof buf, "%s%s", meta, nl ? "\n" : "");
		crp_report *r = read_one(buf, NULL);
		const crp_system *s = crp_report_system(r);
		ck_assert(has_warning(r, CRP_W_TRUNCATED));
		ck_assert_str_eq(crp_report_info(r)->id, "7E1D2C3B-4A59-4687-9F10-2B3C4D5E6F70");
		ck_assert_str_eq(s->process_name, "Lumen");
		ck_assert_str_eq(s->bundle_short_version, "2.4");
		ck_assert_str_eq(s->bundle_version, "241");
		ck_assert_str_eq(s->system_name, "iPhone OS");
		ck_assert_str_eq(s->system_version, "17.3.1");
		ck_assert_str_eq(s->os_version, "21D61");
		ck_assert_str_eq(s->time_zone, "GMT+0100");
		ck_assert_uint_eq(crp_report_info(r)->timestamp.usec, 1709628072000000ull);
		crp_report_free(r);
	}
	/* cut before the bug_type: kept, since nothing said it is another kind of report; written
	 * as an .ips, its line gets the bug_type a crash report's line needs to read back */
	crp_report *r = read_one("{\"app_name\":\"Lumen\",\"timest", NULL);
	ck_assert(has_warning(r, CRP_W_TRUNCATED));
	ck_assert_str_eq(crp_report_system(r)->process_name, "Lumen");
	char *ips = emit("ips", &r, 1, NULL);
	ck_assert_msg(strncmp(ips, "{\"app_name\":\"Lumen\",\"bug_type\":\"309\"}\n", 38) == 0, "%s", ips);
	crp_report *back = read_one(ips, "ips");
	crp_report_free(back);
	free(ips);
	crp_report_free(r);
}
END_TEST

/* -- several reports in one input --------------------------------------------------------- */

/* A VM Region Summary (its table has blank lines) and KSCrash's Extra Information run to the
 * end of their report, which a blank line and a line starting a report end: the macOS layout
 * has no EOF line to end them, and reports are written one after another. */
START_TEST(run_to_end_blocks_end_at_the_next_report)
{
	static const char *const blocks[] = {"VM Region Summary:\nReadOnly portion of Libraries: Total=1M\n\n"
					     "REGION TYPE  SIZE\n===========  ====\n",
					     "Extra Information:\n\nfree text\n"};
	static const char *const names[] = {"VM Region Summary", "Extra Information"};
	static const char report[] = "Process:               Pixie [1]\nOS Version:            Mac OS X 10.15.4 (19E287)\n"
				     "Report Version:        12\n\nBinary Images:\n"
				     "       0x10e2bf000 -        0x10e2d6fff Pixie x86_64 <c0d1e2f3a4b54c6d8e7f8091a2b3c4d5> /P\n\n";
	for (size_t i = 0; i < CRP_ARRAY_LEN(blocks); i++) {
		char text[2048];
		snprintf(text, sizeof text, "%s%s\n%s%s", report, blocks[i], report, blocks[i]);
		size_t n;
		crp_report **r = read_all(text, strlen(text), 0, NULL, &n, names[i]);
		ck_assert_uint_eq(n, 2);
		same_reports(r, 1, r + 1, 1, names[i]);
		char *two = emit("apple", r, 2, NULL);
		size_t n2;
		crp_report **back = read_all(two, strlen(two), 0, NULL, &n2, "written");
		ck_assert_uint_eq(n2, 2);
		tu_free_reports(back, n2);
		free(two);
		tu_free_reports(r, n);
	}
}
END_TEST

/* KSCrash's Extra Information after an iOS translation's EOF: written with a blank line after
 * it, so a report written next (one of the older layout, which opens without a blank line of
 * its own) is read as the next report; it ran into the trailer. */
START_TEST(trailer_then_next_report)
{
	size_t len, n;
	char *fx = tu_path(tu_fixtures_dir(), "apple");
	char *ips = read_in(fx, "ios17-arm64-nsexception.ips", &len);
	crp_report *r = read_one(ips, "ips");
	char *crash = emit("apple", &r, 1, NULL);
	size_t cn = strlen(crash);
	static const char trailer[] = "Extra Information:\nfree text\n";
	char *with = malloc(cn + sizeof trailer);
	memcpy(with, crash, cn);
	memcpy(with + cn, trailer, sizeof trailer);
	crp_report *t = read_one(with, "apple");
	char *legacy_text = read_in(fx, "ios14-legacy-symbolicated.crash", &len);
	crp_report *legacy = read_one(legacy_text, "apple"); /* no opening blank line of its own */
	crp_report *two[2] = {t, legacy};
	char *both = emit("apple", two, 2, NULL);
	crp_report **back = read_all(both, strlen(both), 0, NULL, &n, "two written");
	ck_assert_uint_eq(n, 2);
	tu_free_reports(back, n);
	free(both);
	crp_report_free(legacy);
	free(legacy_text);
	crp_report_free(t);
	free(with);
	free(crash);
	crp_report_free(r);
	free(ips);
	free(fx);
}
END_TEST

/* A summary holding an empty line and a line that starts a report (damage, or another tool's
 * text): written where no EOF ends it, that empty line is left out, so what is written reads
 * back as one report, and then writes the same. */
START_TEST(run_to_end_block_never_starts_a_report)
{
	size_t n;
	char *edited = edited_macos_ips("\"vmSummary\" : \"", "\"vmSummary\" : \"Total=1M\\n\\nIncident Identifier: X"
								  "\\n\\n\\nProcess: Y [1]\\n\\n{\\n\\nREGION\\n");
	crp_report **r = read_all(edited, strlen(edited), 0, NULL, &n, "edited .ips");
	char *crash = emit("apple", r, 1, NULL);
	ASSERT_LINE(crash, "Total=1M");
	ASSERT_LINE(crash, "Incident Identifier: X");
	ASSERT_LINE(crash, "REGION");
	crp_report **back = read_all(crash, strlen(crash), 0, NULL, &n, "written");
	ck_assert_uint_eq(n, 1);
	tu_free_reports(back, n);
	rewrites_the_same(crash);
	free(crash);
	tu_free_reports(r, 1);
	free(edited);
}
END_TEST

START_TEST(reports_one_after_another)
{
	size_t len, n;
	char *fx = tu_path(tu_fixtures_dir(), "apple");
	char *data = read_in(fx, "two-reports.crash", &len);
	crp_report **r = read_all(data, len, 0, NULL, &n, "two-reports.crash");
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(crp_report_info(r[0])->id, "4D3C2B1A-0F9E-4D8C-9B7A-6F5E4D3C2B1A");
	ck_assert_ptr_ne(crp_report_info(r[1])->id, NULL);
	ck_assert_str_ne(crp_report_info(r[0])->id, crp_report_info(r[1])->id);
	tu_free_reports(r, n);
	free(data);
	/* two .ips files concatenated: two reports */
	char *ips = read_in(fx, "ios17-arm64-nsexception.ips", &len);
	char *two = malloc(2 * len + 1);
	memcpy(two, ips, len);
	memcpy(two + len, ips, len + 1);
	r = read_all(two, 2 * len, 5, NULL, &n, "two .ips");
	ck_assert_uint_eq(n, 2);
	same_reports(r, 1, r + 1, 1, "two .ips");
	tu_free_reports(r, n);
	free(two);
	free(ips);
	free(fx);
}
END_TEST

/* -- limits and allocation ---------------------------------------------------------------- */

static void over_limit(const char *name, const crp_parse_options *o, const char *msg)
{
	size_t len;
	char *fx = tu_path(tu_fixtures_dir(), "apple");
	char *data = read_in(fx, name, &len);
	crp_report **r;
	size_t n;
	crp_error e;
	ck_assert_int_eq(tu_read(data, len, 7, NULL, o, &r, &n, &e), CRP_ELIMIT);
	ck_assert_msg(strstr(e.message, msg) != NULL, "%s: '%s' does not say '%s'", name, e.message, msg);
	ck_assert_uint_ge(e.line, 1);
	tu_free_reports(r, n);
	free(data);
	free(fx);
}

START_TEST(limits_are_enforced)
{
	static const char *const files[] = {"ios17-arm64-nsexception.ips", "macos11-legacy-sigill.crash"};
	for (size_t f = 0; f < 2; f++) {
		crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
		o.max_items = 3;
		over_limit(files[f], &o, "more than 3");
		o = (crp_parse_options)CRP_PARSE_OPTIONS_INIT;
		o.max_string_bytes = 16;
		over_limit(files[f], &o, "longer than 16 bytes");
		o = (crp_parse_options)CRP_PARSE_OPTIONS_INIT;
		o.max_report_bytes = 1000;
		over_limit(files[f], &o, "larger than 1000 bytes");
		o = (crp_parse_options)CRP_PARSE_OPTIONS_INIT;
		o.max_memory = 1 << 12;
		over_limit(files[f], &o, "memory");
	}
	crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
	o.max_depth = 3;
	over_limit("ios17-arm64-nsexception.ips", &o, "nesting deeper than 3");
	/* warnings past the cap are counted */
	o = (crp_parse_options)CRP_PARSE_OPTIONS_INIT;
	o.max_warnings = 1;
	static const char odd[] = "Process: A [1]\nHardware Model: ???\nFoo Bar\nBaz Qux\nQuux Corge\n\n"
				  "Binary Images:\n";
	crp_report **r;
	size_t n;
	ck_assert_int_eq(tu_read(odd, strlen(odd), 0, "apple", &o, &r, &n, NULL), CRP_OK);
	ck_assert_uint_eq(crp_report_warning_count(r[0]), 2);
	ck_assert_int_eq(crp_report_warning(r[0], 1)->code, CRP_W_SUPPRESSED);
	tu_free_reports(r, n);
}
END_TEST

/* Every allocation the readers make may fail: CRP_ENOMEM, nothing leaked. */
START_TEST(every_allocation_may_fail)
{
	static const char *const files[] = {"ios17-arm64-nsexception.ips", "macos14-translated-report.crash",
					    "two-reports.crash", "ios14-bugtype109-legacy.ips"};
	char *fx = tu_path(tu_fixtures_dir(), "apple");
	for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
		size_t len, n;
		char *data = read_in(fx, files[f], &len);
		tu_alloc st = {0, 0, 0};
		crp_allocator a = tu_allocator(&st);
		crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
		o.allocator = &a;
		crp_report **r;
		ck_assert_int_eq(tu_read(data, len, 64, NULL, &o, &r, &n, NULL), CRP_OK);
		tu_free_reports(r, n);
		ck_assert_uint_eq(st.live, 0);
		size_t total = st.count;
		for (size_t fail = 1; fail <= total; fail++) {
			tu_alloc t = {0, 0, fail};
			crp_allocator ta = tu_allocator(&t);
			o.allocator = &ta;
			int rc = tu_read(data, len, 64, NULL, &o, &r, &n, NULL);
			ck_assert_msg(rc == CRP_ENOMEM || rc == CRP_OK, "%s: allocation %zu gave %d", files[f], fail, rc);
			tu_free_reports(r, n);
			ck_assert_msg(t.live == 0, "%s: allocation %zu leaked", files[f], fail);
		}
		free(data);
	}
	free(fx);
}
END_TEST

/* -- issue 14: what Apple's readers need ------------------------------------------------- */

/* A minimal watchdog-like report: no id, no pid, no threads, an image without a UUID. */
static const char bare_json[] =
	"{\"system\":{\"system_name\":\"iOS\",\"system_version\":\"17.0\",\"cpu_arch\":\"arm64\","
	"\"CFBundleExecutable\":\"App\"},"
	"\"binary_images\":[{\"image_addr\":4295000064,\"image_size\":65536,\"name\":\"/var/App.app/App\","
	"\"cpu_type\":16777228,\"cpu_subtype\":0}],"
	"\"crash\":{\"error\":{\"type\":\"signal\",\"signal\":{\"signal\":9}}}}";

static const char *value_after(const char *text, const char *key, char *out, size_t cap)
{
	const char *p = strstr(text, key);
	ck_assert_msg(p != NULL, "no %s in\n%s", key, text);
	p += strlen(key);
	size_t n = strcspn(p, "\"\n");
	snprintf(out, cap, "%.*s", (int)n, p);
	return out;
}

/* 14.1 and 14.2: "Process: name [pid]" always; an Incident Identifier derived from the report
 * when it has none, the same in .crash and .ips, stable, a version 8 UUID, and read back. */
START_TEST(process_and_incident_are_always_written)
{
	crp_report *r = read_one(bare_json, "json");
	char *crash = emit("apple", &r, 1, NULL), *ips = emit("ips", &r, 1, NULL), *again = emit("apple", &r, 1, NULL);
	char id[64], meta_id[64], body_id[64];
	ASSERT_LINE(crash, "Process:             App [0]");
	value_after(crash, "Incident Identifier: ", id, sizeof id);
	ck_assert_uint_eq(strlen(id), 36);
	ck_assert_int_eq(id[14], '8');                     /* version 8: derived, not random */
	ck_assert_ptr_nonnull(strchr("89AB", id[19])); /* RFC 9562 variant */
	ck_assert_str_eq(crash, again);
	ck_assert_str_eq(value_after(ips, "\"incident_id\":\"", meta_id, sizeof meta_id), id);
	ck_assert_str_eq(value_after(ips, "\"incident\" : \"", body_id, sizeof body_id), id);
	crp_report *back = read_one(crash, "apple");
	ck_assert_str_eq(crp_report_info(back)->id, id);
	crp_report_free(back);
	/* another report, another id */
	char *other_json = strdup(bare_json);
	memcpy(strstr(other_json, "\"signal\":9"), "\"signal\":6", 11);
	crp_report *other = read_one(other_json, "json");
	char *other_crash = emit("apple", &other, 1, NULL), oid[64];
	ck_assert_str_ne(value_after(other_crash, "Incident Identifier: ", oid, sizeof oid), id);
	free(other_crash);
	crp_report_free(other);
	free(other_json);
	free(again);
	free(ips);
	free(crash);
	crp_report_free(r);
}
END_TEST

/* 14.3: pid, procName and every image's uuid are in the .ips; a report without threads gets
 * one empty stand-in thread, which reading drops again. */
START_TEST(ips_has_what_lldb_needs)
{
	crp_report *r = read_one(bare_json, "json");
	char *ips = emit("ips", &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(ips, "\n  \"pid\" : 0,\n"));
	ck_assert_ptr_nonnull(strstr(ips, "\n  \"procName\" : \"App\",\n"));
	ck_assert_ptr_nonnull(strstr(ips, "\"uuid\" : \"00000000-0000-0000-0000-000000000000\""));
	ck_assert_ptr_nonnull(strstr(ips, "\"threads\" : [{\"id\":0,\"frames\":[]}]"));
	crp_report *back = read_one(ips, "ips");
	ck_assert_uint_eq(crp_report_crash(back)->thread_count, 0);
	char *again = emit("ips", &back, 1, NULL);
	ck_assert_str_eq(ips, again);
	free(again);
	crp_report_free(back);
	free(ips);
	crp_report_free(r);
}
END_TEST

/* 14.7: a macOS report in macOS's layout: its header block, "name (version) <UUID> path". */
START_TEST(macos_reports_in_macos_layout)
{
	static const char mac[] =
		"{\"system\":{\"system_name\":\"macOS\",\"system_version\":\"14.1\",\"os_version\":\"23B74\","
		"\"cpu_arch\":\"x86_64\",\"CFBundleExecutable\":\"Demo\",\"CFBundleShortVersionString\":\"1.2\","
		"\"CFBundleVersion\":\"12\",\"CFBundleIdentifier\":\"org.example.demo\",\"process_id\":42},"
		"\"binary_images\":[{\"image_addr\":4470878208,\"image_size\":4096,"
		"\"name\":\"/Applications/Demo.app/Contents/MacOS/Demo\",\"uuid\":\"4C4C44D7-5555-3144-A1ED-9D98060FB335\","
		"\"cpu_type\":16777223,\"cpu_subtype\":3}],"
		"\"crash\":{\"error\":{\"type\":\"signal\",\"signal\":{\"signal\":11}},\"threads\":[{\"index\":0,"
		"\"crashed\":true,\"backtrace\":{\"contents\":[{\"instruction_addr\":4470879554}]}}]}}";
	crp_report *r = read_one(mac, "json");
	char *crash = emit("apple", &r, 1, NULL);
	ASSERT_LINE(crash, "Process:               Demo [42]");
	ASSERT_LINE(crash, "Report Version:        12");
	ASSERT_LINE(crash, "       0x10a7c3000 -        0x10a7c3fff org.example.demo (1.2) "
			   "<4c4c44d7-5555-3144-a1ed-9d98060fb335> /Applications/Demo.app/Contents/MacOS/Demo");
	free(crash);
	crp_report_free(r);
}
END_TEST

/* The name column of an image line: macOS's form ("NAME (VERSION)") names a bundle by its
 * identifier, iOS's ("NAME ARCH") only ever a name, dotted or not; its arch column may hold an
 * arch we do not know. */
START_TEST(image_name_column_by_layout)
{
	static const char text[] =
		"Binary Images:\n"
		"       0x1a13b8600 -        0x1a14385ff libc.dylib arm64e  <c3d4e5f600033000800000000000cc03> "
		"/usr/lib/system/libsystem_c.dylib\n"
		"       0x10a7c3000 -        0x10a7c3fff org.example.demo (1.0) <4c4c44d755553144a1ed9d98060fb335> "
		"/Applications/Demo.app/Contents/MacOS/Demo\n";
	crp_report *r = read_one(text, "apple");
	size_t n;
	const crp_image *im = crp_report_images(r, &n);
	ck_assert_uint_eq(n, 2);
	const crp_value *name = crp_extras_get(&im[0].extras, "name");
	ck_assert_ptr_nonnull(name);
	ck_assert_str_eq(name->u.str.ptr, "libc.dylib");
	ck_assert_ptr_null(crp_extras_get(&im[0].extras, "CFBundleIdentifier"));
	const crp_value *id = crp_extras_get(&im[1].extras, "CFBundleIdentifier");
	ck_assert_ptr_nonnull(id);
	ck_assert_str_eq(id->u.str.ptr, "org.example.demo");
	char *again = emit("apple", &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(again, " libc.dylib arm64e  <"));
	free(again);
	crp_report_free(r);
	/* an arch we do not know, set apart by two spaces: the arch, kept as written */
	r = read_one("Binary Images:\n       0x1a13b8600 -        0x1a14385ff libsystem_c.dylib arm63e  "
		     "<c3d4e5f600033000800000000000cc03> /usr/lib/system/libsystem_c.dylib\n",
		     "apple");
	im = crp_report_images(r, &n);
	ck_assert_ptr_null(crp_extras_get(&im[0].extras, "name"));
	ck_assert_str_eq(crp_extras_get(&im[0].extras, "arch")->u.str.ptr, "arm63e");
	again = emit("apple", &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(again, " libsystem_c.dylib arm63e  <"));
	free(again);
	crp_report_free(r);
}
END_TEST

/* A second Binary Images list is kept as text (the model holds the first) and written after
 * the first, as it was: written before it, it would be read back as the list. */
START_TEST(second_images_list_stays_second)
{
	static const char first[] = "0x10e2bf000 - 0x10e2d6fff Pixie x86_64  "
				    "<c0d1e2f3a4b54c6d8e7f8091a2b3c4d5> /Applications/Pixie.app/Contents/MacOS/Pixie\n";
	static const char second[] = "Binary Images:\n"
				     "    0x7fff6e09f000 -     0x7fff6e0cbfff libsystem_kernel.dylib x86_64  "
				     "<d1e2f3a4b5c64d7e8f9001a2b3c4d5e6> /usr/lib/system/libsystem_kernel.dylib\n";
	char text[1024];
	snprintf(text, sizeof text,
		 "Process:         Pixie [771]\nOS Version:      iPhone OS 14.2 (18B92)\n\nThread 0 Crashed:\n"
		 "0   Pixie                               0x000000010e2c2a04 0x10e2bf000 + 14852\n\n"
		 "Binary Images:\n%s\n%s",
		 first, second);
	crp_report *r = read_one(text, "apple");
	size_t n;
	crp_report_images(r, &n);
	ck_assert_uint_eq(n, 1);
	char *out = emit("apple", &r, 1, NULL);
	const char *list = strstr(out, first), *kept = strstr(out, second);
	ck_assert_msg(list && kept && list < kept, "the lists are not in order:\n%s", out);
	free(out);
	crp_report_free(r);
}
END_TEST

/* The translation of an .ips without threads has no frame line to tell its layout by; its
 * Termination Reason ("SIGNAL 6 Abort trap: 6", no "Namespace") tells it, and it is written
 * back as it was, not in the older layout. */
START_TEST(translation_without_threads_keeps_its_layout)
{
	static const char ips[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				  "{\"procName\":\"Lumen\",\"exception\":{\"type\":\"EXC_CRASH\",\"signal\":\"SIGABRT\"}}\n";
	assert_crash_line(ips, "ips", "Termination Reason: SIGNAL 6 Abort trap: 6");
}
END_TEST

static const char *layout_of(const crp_report *r)
{
	const crp_value *l = crp_value_get(crp_extras_get(crp_report_extras(r), "apple"), "layout");
	ck_assert_ptr_nonnull(l);
	return l->u.str.ptr;
}

/* Application Specific Information holds the .ips's "asi" strings that have text: an object
 * without any makes no block, empty lines inside a string are left out (read back, an empty
 * line ends the block). */
START_TEST(asi_block_only_with_text)
{
	static const char head[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				   "{\"procName\":\"Lumen\",\"exception\":{\"type\":\"EXC_CRASH\",\"signal\":\"SIGABRT\"},";
	char ips[512];
	snprintf(ips, sizeof ips, "%s%s", head, "\"asi\":{\"Lumen\":{\"queue\":\"main\"},\"libc\":[\"\",\"\\n\"]}}\n");
	char *crash = written_as_crash(ips, "ips");
	ck_assert_ptr_null(strstr(crash, "Application Specific Information"));
	free(crash);
	snprintf(ips, sizeof ips, "%s%s", head, "\"asi\":{\"libc\":[\"\",\"\\nabort() called\\n\\n\\nagain\\n\"]}}\n");
	crash = written_as_crash(ips, "ips");
	ck_assert_ptr_nonnull(strstr(crash, "Application Specific Information:\nabort() called\nagain\n\n"));
	free(crash);
}
END_TEST

/* An empty parent process name is no name: pid 1 is launchd, as the reader takes "??? [1]". */
START_TEST(empty_parent_name_is_unknown)
{
	static const char ips[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				  "{\"procName\":\"Lumen\",\"parentProc\":\"\",\"parentPid\":1,"
				  "\"exception\":{\"type\":\"EXC_CRASH\",\"signal\":\"SIGABRT\"}}\n";
	assert_crash_line(ips, "ips", "Parent Process:      launchd [1]");
}
END_TEST

/* A NUL in an image line ends its name there, and the arch before it is still the arch: read
 * back from what is written, the line says the same. */
START_TEST(image_line_cut_by_nul_keeps_its_arch)
{
	static const char text[] = "Process:               Pixie [771]\nOS Version:            Mac OS X 10.15.4 (19E287)\n"
				   "Report Version:        12\n\nBinary Images:\n"
				   "       0x10e2bf000 -        0x10e2d6fff Pixie x86_64 \0\0\0 /Applications/Pixie.app/Pixie\n";
	crp_report *r = read_bytes(text, sizeof text - 1, "apple");
	size_t images;
	const crp_image *im = crp_report_images(r, &images);
	ck_assert_uint_eq(images, 1);
	ck_assert(im->has & CRP_IMAGE_CPU_TYPE);
	ck_assert_int_eq(im->cpu_type, 0x01000007); /* x86_64 */
	ck_assert_ptr_null(crp_extras_get(&im->extras, "name"));
	char *crash = emit("apple", &r, 1, NULL);
	rewrites_the_same(crash);
	free(crash);
	crp_report_free(r);
}
END_TEST

/* A NUL byte in text is damage: a warning names its line and column, once per line. */
START_TEST(nul_byte_warns_with_its_place)
{
	static const char text[] = "Process:             Pixie [771]\nOS Version:          iPhone OS 14.4 (18D52)\n"
				   "Report Version:      104\n\nException Type:  SIGSEGV\0\0\0\n";
	crp_report *r = read_bytes(text, sizeof text - 1, "apple");
	const crp_error *w = crp_report_warning(r, 0);
	ck_assert_int_eq(w->code, CRP_W_VALUE);
	ck_assert_msg(strstr(w->message, "NUL byte"), "%s", w->message);
	ck_assert_uint_eq(w->line, 5);
	ck_assert_uint_eq(w->column, 25);
	ck_assert_uint_eq(w->byte_offset, sizeof text - 5); /* the first of three NULs, a newline and the end */
	ck_assert_str_eq(crp_report_crash(r)->error.signal.name, "SIGSEGV");
	crp_report_free(r);
}
END_TEST

/* Names are looked up as the model keeps them, up to a NUL: "SIGSEGV<NULs>" is signal 11 (it
 * was a name without a number, and the .ips written from it read back as signal 11). */
START_TEST(names_end_at_nul_when_looked_up)
{
	static const char text[] = "Process:             Pixie [771]\nOS Version:          iPhone OS 14.4 (18D52)\n"
				   "Report Version:      104\n\nException Type:  SIGSEGV\0\0\0\n"
				   "Exception Codes: SEGV_MAPERR\0\0 at 0x18\nCrashed Thread:  0\n\nBinary Images:\n";
	crp_report *r = read_bytes(text, sizeof text - 1, "apple");
	const crp_signal *sg = &crp_report_crash(r)->error.signal;
	ck_assert_str_eq(sg->name, "SIGSEGV");
	ck_assert(sg->has & CRP_SIGNAL_SIGNAL);
	ck_assert_uint_eq(sg->signal, 11);
	ck_assert(sg->has & CRP_SIGNAL_CODE);
	ck_assert_uint_eq(sg->code, 1);
	crp_report_free(r);
}
END_TEST

/* External Modification Summary: a member that is not a count is written "name: text" and
 * read back as that text (it was dropped, and the next writing lost its line); members are in
 * the order of their keys as written (escaped, unindented), so they read back in that order. */
START_TEST(ext_mods_text_member_reads_back)
{
	size_t n;
	char *edited = edited_macos_ips("\"caller\":{", "\"caller\":{\"taon\":\"(no mapping)\",\"empty\":\"\","
							  "\"\\u0007bell\":1,\"  spaced\":2,");
	crp_report **r = read_all(edited, strlen(edited), 0, NULL, &n, "edited .ips");
	char *crash = emit("apple", r, 1, NULL);
	ASSERT_LINE(crash, "    taon: (no mapping)");
	ASSERT_LINE(crash, "    empty: ");
	/* in the order of the keys as written: "\x07bell" after upper case, "spaced" unindented */
	const char *bell = strstr(crash, "    \\x07bell: 1\n"), *spaced = strstr(crash, "    spaced: 2\n");
	ck_assert_ptr_nonnull(bell);
	ck_assert_ptr_nonnull(spaced);
	ck_assert(bell < spaced);
	rewrites_the_same(crash);
	crp_report *back = read_one(crash, "apple");
	const crp_value *apple = crp_extras_get(crp_report_extras(back), "apple");
	const crp_value *v = crp_value_get(crp_value_get(crp_value_get(apple, "extMods"), "caller"), "taon");
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->type, CRP_VALUE_STRING);
	ck_assert_str_eq(v->u.str.ptr, "(no mapping)");
	crp_report_free(back);
	free(crash);
	tu_free_reports(r, 1);
	free(edited);
}
END_TEST

/* A process name with blanks at either end is written without them (a reader skips them), so
 * the .crash written reads back to the same line. */
START_TEST(process_name_without_blanks)
{
	static const char ips[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				  "{\"procName\":\" \\tLumen \",\"pid\":7,\"parentProc\":\"  launchd\",\"parentPid\":1}\n";
	char *crash = written_as_crash(ips, "ips");
	ASSERT_LINE(crash, "Process:             Lumen [7]");
	ASSERT_LINE(crash, "Parent Process:      launchd [1]");
	free(crash);
}
END_TEST

/* Text an .ips keeps (here the exception's subtype) is written without the blanks at either
 * end: the line's end is trimmed when read, and the next writing lost them. */
START_TEST(kept_text_without_blanks)
{
	char *edited = edited_macos_ips("at 0x0000000000000010\"", "at 0x0000000000000010  \"");
	assert_crash_line(edited, "ips", "Exception Codes:       KERN_INVALID_ADDRESS at 0x0000000000000010");
	free(edited);
	/* the exception type too: before its signal, and alone */
	static const char *const types[][2] = {
		{"\"type\":\"EXC_BAD_ACCESS\"", "\"type\":\" EXC_BAD_ACCESS \\t\""},
		{"\"type\":\"EXC_BAD_ACCESS\",\"signal\":\"SIGSEGV\"", "\"type\":\"EXC_OF_NO_KIND  \""},
	};
	static const char *const lines[] = {"Exception Type:        EXC_BAD_ACCESS (SIGSEGV)",
					    "Exception Type:        EXC_OF_NO_KIND"};
	for (size_t i = 0; i < 2; i++) {
		edited = edited_macos_ips(types[i][0], types[i][1]);
		assert_crash_line(edited, "ips", lines[i]);
		free(edited);
	}
}
END_TEST

/* "Coalition: name [id]" with an id too large for 64 bits (an .ips may say any number): read
 * back as the number's digits, not as part of the name. */
START_TEST(coalition_id_beyond_64_bits)
{
	static const char ips[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				  "{\"procName\":\"Lumen\",\"coalitionName\":\"org.example.lumen\","
				  "\"coalitionID\":123456789012345678901234567890}\n";
	char *crash = written_as_crash(ips, "ips");
	ASSERT_LINE(crash, "Coalition:           org.example.lumen [123456789012345678901234567890]");
	crp_report *back = read_one(crash, "apple");
	const crp_value *id = crp_value_get(crp_extras_get(crp_report_extras(back), "apple"), "coalitionID");
	ck_assert_ptr_nonnull(id);
	ck_assert_int_eq(id->type, CRP_VALUE_NUMBER);
	ck_assert_str_eq(id->u.num.ptr, "123456789012345678901234567890");
	crp_report_free(back);
	free(crash);
}
END_TEST

/* An x86-64 thread state with an error code and trap number but no register of the rows: no
 * block (a title without rows, then the trap lines, read back as header lines). */
START_TEST(trap_lines_alone_make_no_state_block)
{
	static const char ips[] = "{\"bug_type\":\"309\",\"os_version\":\"macOS 14.5 (23F79)\"}\n"
				  "{\"procName\":\"Lumen\",\"cpuType\":\"X86-64\",\"threads\":[{\"id\":1,\"triggered\":true,"
				  "\"threadState\":{\"flavor\":\"x86_THREAD_STATE\",\"zz\":{\"value\":1},"
				  "\"trap\":{\"value\":14},\"err\":{\"value\":3}},\"frames\":[]}]}\n";
	char *crash = written_as_crash(ips, "ips");
	ck_assert_msg(!strstr(crash, "Thread State"), "%s", crash);
	free(crash);
}
END_TEST

/* A bundleInfo that is not an object (an .ips may say anything) writes no "bundleInfo": {},
 * which read back is nothing, so the next writing lost the line. */
START_TEST(bundle_info_not_an_object)
{
	static const char ips[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				  "{\"procName\":\"Lumen\",\"bundleInfo\":80}\n";
	crp_report *r = read_one(ips, "ips");
	char *once = emit("ips", &r, 1, NULL);
	ck_assert_msg(!strstr(once, "bundleInfo"), "%s", once);
	crp_report *back = read_one(once, "ips");
	char *twice = emit("ips", &back, 1, NULL);
	ck_assert_str_eq(twice, once);
	free(twice);
	crp_report_free(back);
	free(once);
	crp_report_free(r);
}
END_TEST

/* An exception type the writers were given with a space in it: "Exception Type:" names all
 * before the last " (", the signal inside the parentheses. */
START_TEST(exception_type_with_a_space)
{
	static const char ips[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				  "{\"procName\":\"Lumen\",\"exception\":{\"type\":\"EXC Beta\",\"signal\":\"SIGABRT\"}}\n";
	char *crash = written_as_crash(ips, "ips");
	ASSERT_LINE(crash, "Exception Type:  EXC Beta (SIGABRT)");
	crp_report *back = read_one(crash, "apple");
	const crp_signal *sg = &crp_report_crash(back)->error.signal;
	ck_assert(sg->has & CRP_SIGNAL_SIGNAL);
	ck_assert_uint_eq(sg->signal, 6);
	crp_report_free(back);
	free(crash);
}
END_TEST

/* A frame line's image column is written without the blanks a file name starts or ends with
 * (a reader skips them), so what is read back writes the same. */
START_TEST(image_column_without_blanks)
{
	static const char ips[] =
		"{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
		"{\"procName\":\"Lumen\",\"threads\":[{\"id\":1,\"frames\":[{\"imageOffset\":8,\"imageIndex\":0}]}],"
		"\"usedImages\":[{\"base\":4096,\"size\":4096,\"path\":\"/usr/lib/   libc.dylib \\t\"}]}\n";
	assert_crash_line(ips, "ips", "0   libc.dylib                    \t            0x1008 0x1000 + 8");
}
END_TEST

/* macOS's image line reads "NAME ARCH (VERSION)" too: a name ending in an arch word is followed
 * by the image's arch, and a version that is one is written with its other half unknown, so
 * neither becomes the arch when read back. */
START_TEST(image_name_and_version_ending_in_an_arch)
{
	static const struct { const char *find, *by, *line; } cases[] = {
		{"\"CFBundleShortVersionString\":\"3.1\",\"CFBundleIdentifier\":\"org.example.sketchpad\"",
		 "\"CFBundleShortVersionString\":\"arm64\",\"CFBundleIdentifier\":\"org.example.sketchpad x86_64\"",
		 "       0x100000000 -        0x100003fff org.example.sketchpad x86_64 x86_64 (arm64 - ???" ") "
		 "<f6071829-0006-3000-8000-00000000ff06> /Applications/Sketchpad.app/Contents/MacOS/Sketchpad"},
		{"\"CFBundleShortVersionString\":\"1.0\",\"CFBundleIdentifier\":\"org.example.Ink\"",
		 "\"CFBundleIdentifier\":\"org.example.Ink ???\"", " org.example.Ink ??? x86_64 (1) <"},
		{"\"uuid\":\"00000000-0000-0000-0000-000000000000\"}]",
		 "\"uuid\":\"00000000-0000-0000-0000-000000000000\"},{\"base\":65536,\"size\":4096,"
		 "\"path\":\"/usr/lib/libz.dylib\",\"CFBundleVersion\":\"arm64e\"}]",
		 " libz.dylib (??? - arm64e) <"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *edited = edited_macos_ips(cases[i].find, cases[i].by);
		char *crash = written_as_crash(edited, "ips");
		if (i == 0)
			ASSERT_LINE(crash, cases[i].line);
		else
			ck_assert_ptr_nonnull(strstr(crash, cases[i].line));
		free(crash);
		free(edited);
	}
}
END_TEST

/* The macOS image column shows a name without blanks at either end, and a name of "???" (read
 * back as none) as the file's name: both read back as written. */
START_TEST(macos_image_name_blanks_and_unknown)
{
	char *edited = edited_macos_ips("\"uuid\":\"00000000-0000-0000-0000-000000000000\"}]",
		"\"uuid\":\"00000000-0000-0000-0000-000000000000\"},{\"base\":65536,\"size\":4096,"
		"\"path\":\"/usr/lib/libz.dylib\",\"name\":\" libz \\t\"},{\"base\":131072,\"size\":4096,"
		"\"path\":\"/usr/lib/libq.dylib\",\"name\":\"???\",\"CFBundleIdentifier\":\" \"}]");
	char *crash = written_as_crash(edited, "ips");
	ck_assert_ptr_nonnull(strstr(crash, "0x10fff libz (*) <"));
	ck_assert_ptr_nonnull(strstr(crash, "0x20fff libq.dylib (*) <"));
	free(crash);
	free(edited);
}
END_TEST

/* A thread state block before the thread list: the listed thread of its number is the crashed
 * one, with its registers (it was kept apart as a second thread 0, written as "Crashed Thread:
 * 0" over a "Thread 0:" that read back as crashed). */
START_TEST(state_block_before_its_thread)
{
	static const char text[] = "Process:             Lumen [1]\nOS Version:          iPhone OS 14.4 (18D52)\n"
				   "Report Version:      104\n\n"
				   "Thread 0 crashed with ARM Thread State (64-bit):\n"
				   "    x0: 0x0000000000000001   x1: 0x0000000000000002\n\n"
				   "Thread 0:\n0   libc.dylib                    \t0x0000000000001008 0x1000 + 8\n\n"
				   "Binary Images:\n0x1000 - 0x1fff libc.dylib arm64  <00000000000000000000000000000001> /usr/lib/libc.dylib\n";
	crp_report *r = read_one(text, "apple");
	const crp_crash *c = crp_report_crash(r);
	ck_assert_uint_eq(c->thread_count, 1);
	ck_assert_ptr_eq(crp_report_crashed_thread(r, NULL), &c->threads[0]);
	ck_assert_uint_eq(c->threads[0].registers.basic.count, 2);
	char *crash = emit("apple", &r, 1, NULL);
	ASSERT_LINE(crash, "Thread 0 Crashed:");
	rewrites_the_same(crash);
	free(crash);
	crp_report_free(r);
}
END_TEST

/* macOS's text has no Launch Time: one read from it is not written, but with a second (kept as
 * it was read) the first is written before it, or the reader would take the second for the first
 * and the next writing lose both. */
START_TEST(macos_second_launch_time)
{
	static const char text[] = "Process:               Pixie [771]\nCode Type:             X86-64 (Native)\n\n"
				   "Date/Time:             2020-11-02 08:15:42.5521 -0500\n"
				   "Launch Time:           2020-11-02 08:15:30.0012 -0500\n"
				   "Launch Time:           2020-11-02 08:15:31.0000 -0500\n"
				   "OS Version:            macOS 11.2 (20D64)\nReport Version:        12\n\n"
				   "Crashed Thread:        0\n\nThread 0 Crashed:\n"
				   "0   libc.dylib                    \t    0x1008 0x1000 + 8\n\nBinary Images:\n"
				   "            0x1000 -             0x1fff libc.dylib (*) <00000000-0000-0000-0000-000000000001> /usr/lib/libc.dylib\n";
	char *crash = written_as_crash(text, "apple");
	ASSERT_LINE(crash, "Launch Time:           2020-11-02 08:15:30.0012 -0500");
	ASSERT_LINE(crash, "Launch Time:           2020-11-02 08:15:31.0000 -0500");
	free(crash);
}
END_TEST

/* An .ips exception subtype that is not text (an object) is left out where the codes say none
 * (it was written as a NULL string). */
START_TEST(exception_subtype_not_text)
{
	char *edited = edited_macos_ips("\"type\":\"EXC_BAD_ACCESS\",\"signal\":\"SIGSEGV\",\"subtype\":"
					"\"KERN_INVALID_ADDRESS at 0x0000000000000010\"",
					"\"type\":\"EXC_CRASH\",\"signal\":\"SIGABRT\",\"subtype\":{\"value\":1}");
	char *crash = written_as_crash(edited, "ips");
	ASSERT_LINE(crash, "Exception Type:        EXC_CRASH (SIGABRT)");
	ASSERT_LINE(crash, "Exception Codes:       0x0000000000000001, 0x0000000000000010");
	free(crash);
	free(edited);
}
END_TEST

/* Time Awake Since Boot and Time Since Wake are written only as counts of seconds the reader
 * reads back as such: "4e0000" (a JSON number) or "007" came back as other header lines, in
 * another place. */
START_TEST(seconds_lines_only_for_counts)
{
	static const char *const by[][2] = {{"\"uptime\" : 420000,", "\"uptime\" : 4e0000,"},
					    {"\"wakeTime\" : 3150,", "\"wakeTime\" : \"007\","}};
	for (size_t i = 0; i < 2; i++) {
		char *edited = edited_macos_ips(by[i][0], by[i][1]);
		char *crash = written_as_crash(edited, "ips");
		/* the other line stays */
		ck_assert_ptr_nonnull(strstr(crash, i ? "Time Awake Since Boot: 420000 seconds\n" : "Time Since Wake:       3150 seconds\n"));
		ck_assert_ptr_null(strstr(crash, i ? "Time Since Wake:" : "Time Awake Since Boot:"));
		free(crash);
		free(edited);
	}
}
END_TEST

/* An OS name of any length, with blanks at its end: the .ips "train" was built in a 256-byte
 * buffer (a longer one came out empty) and kept the blanks the readers drop. */
START_TEST(long_os_name_with_trailing_blanks)
{
	char name[400], ips[1024];
	memset(name, 'x', 300);
	memcpy(name, "macOS ", 6);
	memcpy(name + 300, "  ", 3);
	snprintf(ips, sizeof ips,
		 "{\"bug_type\":\"309\",\"os_version\":\"macOS 14.5 (23F79)\"}\n"
		 "{\"procName\":\"Quill\",\"osVersion\":{\"train\":\"%s\",\"build\":\"23F79\"}}\n", name);
	crp_report *r = read_one(ips, "ips");
	char *once = emit("ips", &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(once, "\"train\":\"macOS xxxxxxxx"));
	crp_report *back = read_one(once, "ips");
	char *twice = emit("ips", &back, 1, NULL);
	ck_assert_str_eq(twice, once);
	char *crash = emit("apple", &r, 1, NULL);
	ck_assert_ptr_nonnull(strstr(crash, "xxxxxxxx (23F79)\n"));
	rewrites_the_same(crash);
	free(crash), free(twice), free(once);
	crp_report_free(back);
	crp_report_free(r);
}
END_TEST

/* An instruction stream whose offset is past its bytes marks no row: "<==" without a bracketed
 * byte read back as a mark nowhere, and the next writing lost it. */
START_TEST(instruction_offset_past_the_bytes)
{
	static const char ips[] =
		"{\"bug_type\":\"309\",\"os_version\":\"macOS 14.1 (23B74)\"}\n"
		"{\"procName\":\"Quill\",\"osVersion\":{\"train\":\"macOS 14.1\",\"build\":\"23B74\"},\"faultingThread\":0,\"threads\":[{\"id\":1,\"triggered\":true,"
		"\"instructionState\":{\"instructionStream\":{\"bytes\":[85,72,91,232],\"offset\":9}},\"frames\":[]}]}\n";
	assert_crash_line(ips, "ips", "  55 48 5b e8                                      UH[.");
}
END_TEST

/* A frame that says it is in no image, at an address a listed image holds (an image at base 0, a
 * frame at 0): .ips keeps its index into the placeholder image, .crash its "???", so neither
 * moves into that image when written again. */
START_TEST(frame_in_no_image_stays_there)
{
	static const char ips[] =
		"{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
		"{\"procName\":\"Lumen\",\"threads\":[{\"id\":1,\"frames\":[{\"imageOffset\":16,\"imageIndex\":1}]}],"
		"\"usedImages\":[{\"base\":0,\"size\":4096,\"path\":\"/usr/lib/libc.dylib\"},"
		"{\"source\":\"A\",\"base\":0,\"size\":0}]}\n";
	static const char text[] = "Process:             Lumen [1]\nOS Version:          iPhone OS 14.4 (18D52)\n"
				   "Report Version:      104\n\nThread 0 Crashed:\n"
				   "0   ???                           \t0x0000000000000010 0x0 + 16\n\n"
				   "Binary Images:\n0x0 - 0xfff libc.dylib arm64  <00000000000000000000000000000001> /usr/lib/libc.dylib\n";
	crp_report *r = read_one(ips, "ips");
	char *again = emit("ips", &r, 1, NULL);
	ck_assert_msg(strstr(again, "\"imageIndex\":1"), "%s", again);
	free(again);
	crp_report *t = read_one(text, "apple");
	ck_assert_str_eq(crp_report_crash(t)->threads[0].backtrace.frames[0].object_name, "???");
	char *crash = emit("apple", &t, 1, NULL);
	ASSERT_LINE(crash, "0   ???                           \t0x0000000000000010 0x0 + 16");
	rewrites_the_same(crash);
	free(crash);
	crp_report_free(r);
	crp_report_free(t);
}
END_TEST

/* An image a report names for a symbol ("(in Image)", "symbolImage") is none when it is empty
 * as the model keeps it (CRPB, lossless, has no empty image for a report's symbolication). */
START_TEST(empty_symbol_image_is_none)
{
	static const char ips[] =
		"{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
		"{\"procName\":\"Orbit\",\"threads\":[{\"id\":1,\"frames\":[{\"imageOffset\":16,\"imageIndex\":0,"
		"\"symbol\":\"run()\",\"symbolLocation\":4,\"sourceFile\":\"Engine.swift\",\"sourceLine\":60,"
		"\"symbolImage\":\"\"}]}],\"usedImages\":[{\"base\":4096,\"size\":4096,\"path\":\"/Orbit\"}]}\n";
	static const char text[] = "Process:             Orbit [1]\nOS Version:          iPhone OS 14.4 (18D52)\n"
				   "Report Version:      104\n\nThread 0 Crashed:\n"
				   "0   Orbit                         \t0x0000000000001010 run() (in \0Orbit) (Engine.swift:60)\n\n"
				   "Binary Images:\n0x1000 - 0x1fff Orbit arm64  <00000000000000000000000000000001> /Orbit\n";
	crp_report *r = read_one(ips, "ips");
	crp_report *t = read_bytes(text, sizeof text - 1, "apple");
	crp_report *both[2] = {r, t};
	for (int i = 0; i < 2; i++) {
		const crp_symbolication *sy = crp_report_crash(both[i])->threads[0].backtrace.frames[0].symbolicated;
		ck_assert_ptr_nonnull(sy);
		ck_assert_int_eq(sy->source, CRP_SYMSRC_REPORT);
		ck_assert_ptr_null(sy->image);
		ck_assert_str_eq(sy->locs[0].file, "Engine.swift");
	}
	crp_report_free(r);
	crp_report_free(t);
}
END_TEST

/* "OS Version: ??? 11.2" is a version without a system name, as the writers write one (and one
 * word is a name): macOS text whose name is unknown stays macOS text (the layout tells it). */
START_TEST(unknown_system_name_with_a_version)
{
	static const char text[] = "Process:               Pixie [771]\nOS Version:            ??? B4C3\n"
				   "Report Version:        12\n\nBinary Images:\n";
	crp_report *r = read_one(text, "apple");
	ck_assert_str_eq(layout_of(r), "macos");
	static const char one_word[] = "Process:               Pixie [771]\nOS Version:            Mac (19E287)\n"
				       "Report Version:        12\n\nBinary Images:\n";
	crp_report *word = read_one(one_word, "apple"); /* one word is a name, as "Mac" is written */
	ck_assert_str_eq(crp_report_system(word)->system_name, "Mac");
	ck_assert(!(crp_report_system(word)->has & CRP_SYSTEM_SYSTEM_VERSION));
	crp_report_free(word);
	char *crash = emit("apple", &r, 1, NULL);
	ASSERT_LINE(crash, "OS Version:            ??? B4C3");
	crp_report *back = read_one(crash, "apple");
	ck_assert_ptr_null(crp_report_system(back)->system_name);
	ck_assert_str_eq(crp_report_system(back)->system_version, "B4C3");
	ck_assert_str_eq(layout_of(back), "macos");
	rewrites_the_same(crash);
	crp_report_free(back);
	free(crash);
	crp_report_free(r);
	/* a version a NUL starts is none ("??? " was written for it, and read back as none) */
	static const char nul[] = "Process:               Pixie [771]\nOS Version:            \0\018\n"
				  "Report Version:        12\n\nBinary Images:\n";
	crp_report *t = read_bytes(nul, sizeof nul - 1, "apple");
	ck_assert(!(crp_report_system(t)->has & CRP_SYSTEM_SYSTEM_VERSION));
	crp_report_free(t);
}
END_TEST

/* An image path ends at a NUL, without the spaces before it (the line's own end is trimmed so). */
START_TEST(image_path_cut_by_nul_is_trimmed)
{
	static const char text[] = "Process:             Orbit [1]\nOS Version:          iPhone OS 14.4 (18D52)\n"
				   "Report Version:      104\n\nBinary Images:\n"
				   "0x1000 - 0x1fff Orbit x86_64  <c0d1e2f3a4b54c6d8e7f8091a2b3c4d5> /Orbit   \0 + 52\n";
	size_t images;
	crp_report *r = read_bytes(text, sizeof text - 1, "apple");
	ck_assert_str_eq(crp_report_images(r, &images)->name, "/Orbit");
	crp_report_free(r);
}
END_TEST

/* A file name that starts with spaces is written in the name column without them (the column's
 * separator swallows them): read back, that name is still the path's, not a name of its own. */
START_TEST(file_name_with_leading_spaces)
{
	static const char text[] = "Process:             Orbit [1]\nOS Version:          iPhone OS 14.4 (18D52)\n"
				   "Report Version:      104\n\nBinary Images:\n"
				   "0x1000 - 0x1fff   Orbit arm64  <c0d1e2f3a4b54c6d8e7f8091a2b3c4d5> /app/  Orbit\n";
	crp_report *r = read_one(text, "apple");
	size_t images;
	const crp_image *im = crp_report_images(r, &images);
	ck_assert_str_eq(im->name, "/app/  Orbit");
	ck_assert_ptr_null(crp_extras_get(&im->extras, "name"));
	char *crash = emit("apple", &r, 1, NULL);
	rewrites_the_same(crash);
	free(crash);
	crp_report_free(r);
}
END_TEST

/* A frame's image named by a path ending in '/' names no file: the .ips gives the frame the
 * image found for its address (it wrote "imageName": "", which read back as none). */
START_TEST(frame_image_ending_in_slash)
{
	static const char text[] = "Process:             Orbit [1]\nOS Version:          iPhone OS 14.4 (18D52)\n"
				   "Report Version:      104\n\nThread 0 Crashed:\n"
				   "0   libsystem_pthread.dylib /     \t0x00000001a0c0e5a4 start_wqthread + 0\n\n"
				   "Binary Images:\n0x1a0c0c000 - 0x1a0c17fff libsystem_pthread.dylib arm64e  "
				   "<3a4b5c6d7e8f40718293a4b5c6d7e8f9> /usr/lib/system/libsystem_pthread.dylib\n";
	crp_report *r = read_one(text, "apple");
	char *ips = emit("ips", &r, 1, NULL);
	ck_assert_ptr_null(strstr(ips, "imageName"));
	ck_assert_ptr_nonnull(strstr(ips, "\"imageOffset\":9636,\"symbol\":\"start_wqthread\""));
	free(ips);
	crp_report_free(r);
}
END_TEST

/* A header field's text ends at a NUL, without the spaces before it; one a NUL starts is
 * unknown (it was written "???", which reads back as no field). */
START_TEST(header_fields_end_at_nul)
{
	static const char text[] = "Incident Identifier: 4D3C2B1A-0000-4000-8000-000000000001\n"
				   "Hardware Model:      \0\0iPhone\nProcess:             Orbit  \0[1]\n"
				   "OS Version:          iPhone OS 14.4 (18D52)\nReport Version:      104\n\nBinary Images:\n";
	crp_report *r = read_bytes(text, sizeof text - 1, "apple");
	const crp_system *s = crp_report_system(r);
	ck_assert(!(s->has & CRP_SYSTEM_MACHINE));
	ck_assert_str_eq(s->process_name, "Orbit");
	crp_report_free(r);
}
END_TEST

/* A header value's spaces at either end are not written (a reader skips them): the .crash
 * written from an .ips whose path ends with spaces reads back and is written the same. */
START_TEST(header_value_trailing_spaces)
{
	static const char ips[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				  "{\"procName\":\"Lumen\",\"procPath\":\"/App/Lumen  \",\"crashReporterKey\":\"  ?\",\"exception\":{\"type\":\"EXC_CRASH\","
				  "\"signal\":\"SIGABRT\"}}\n";
	char *crash = written_as_crash(ips, "ips");
	ASSERT_LINE(crash, "Path:                /App/Lumen");
	ASSERT_LINE(crash, "CrashReporter Key:   ?");
	free(crash);
}
END_TEST

/* When nothing else tells (no termination reason, no threads), the blank line Apple's
 * translation opens with does: the report is written back with it, in the same layout; text
 * without it is the older layout, in a stream of reports too. */
START_TEST(opening_blank_line_tells_a_translation)
{
	static const char ips[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				  "{\"procName\":\"Lumen\",\"exception\":{\"type\":\"EXC_CRASH\",\"signal\":\"SbaseRT\"}}\n";
	crp_report *r[2] = {read_one(ips, "ips"), read_one(ips, "ips")};
	char *crash = emit("apple", r, 2, NULL);
	ck_assert_msg(strncmp(crash, "\nIncident Identifier:", 21) == 0, "%s", crash);
	ck_assert_ptr_nonnull(strstr(crash, "EOF\n\n\nIncident Identifier:"));
	size_t n;
	crp_report **back = read_all(crash, strlen(crash), 0, NULL, &n, "two translations");
	ck_assert_uint_eq(n, 2);
	char *again = emit("apple", back, n, NULL);
	ck_assert_str_eq(again, crash);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(layout_of(back[i]), "translated");
	free(again);
	for (size_t i = 0; i < n; i++)
		crp_report_free(back[i]);
	free(back);
	char *one = emit("apple", r, 1, NULL);
	crp_report *older = read_one(one + 1, "apple");
	ck_assert_str_eq(layout_of(older), "legacy");
	crp_report_free(older);
	free(one);
	free(crash);
	crp_report_free(r[0]);
	crp_report_free(r[1]);
}
END_TEST

/* Exception Codes after a subtype are the code and subcode; a second line of the same kind
 * leaves the model as the first said and is written back after the block's own lines. */
START_TEST(exception_lines_read_once)
{
	static const char text[] =
		"Process:             Orbit [4410]\nCode Type:           ARM-64 (Native)\n"
		"OS Version:          iPhone OS 14.2 (18B92)\nReport Version:      104\n\n"
		"Exception Type:  EXC_BAD_ACCESS (SIGSEGV)\n"
		"Exception Subtype: KERN_INVALID_ADDRESS at 0x0000000000000028\n"
		"Exception Codes: 0x0000000000000001, 0x0000000000000028\n"
		"Exception Codes: SEGV_MAPERR at 0x18\n\n"
		"Binary Images:\n";
	crp_report *r = read_one(text, "apple");
	const crp_crash_error *e = &crp_report_crash(r)->error;
	ck_assert_uint_eq(e->address, 0x28);
	ck_assert(CRP_HAS(&e->mach, CRP_MACH_SUBCODE));
	ck_assert_uint_eq(e->mach.subcode, 0x28);
	char *crash = emit("apple", &r, 1, NULL);
	const char *codes = strstr(crash, "Exception Codes: 0x0000000000000001, 0x0000000000000028\n");
	const char *second = strstr(crash, "SEGV_MAPERR at 0x18\n");
	ck_assert_msg(codes && second && codes < second, "not in order:\n%s", crash);
	free(crash);
	crp_report_free(r);
}
END_TEST

/* A frame's symbol without symbolLocation is kept as the .crash reader keeps a name without
 * "+ offset", and written back. */
START_TEST(symbol_without_location_is_kept)
{
	static const char ips[] =
		"{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
		"{\"procName\":\"Lumen\",\"cpuType\":\"ARM-64\",\"threads\":[{\"id\":1,\"frames\":"
		"[{\"imageOffset\":8,\"symbol\":\"render_tile\",\"imageIndex\":0}]}],\"usedImages\":[{\"base\":4342808576,"
		"\"size\":81920,\"uuid\":\"a1b2c3d4-0001-3000-8000-00000000aa01\",\"path\":\"/var/Lumen.app/Lumen\"}]}\n";
	crp_report *r = read_one(ips, "ips");
	char *out = emit("ips", &r, 1, NULL);
	ck_assert_msg(strstr(out, "\"symbol\":\"render_tile\"") != NULL, "symbol lost:\n%s", out);
	free(out);
	crp_report_free(r);
}
END_TEST

/* A frame with a source place and no function is written "BASE + OFFSET (file:line)", which
 * reads back as that place (it was read as KSCrash's side-by-side symbol "file:line"). */
START_TEST(source_place_without_function)
{
	static const char ips[] =
		"{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
		"{\"procName\":\"Lumen\",\"threads\":[{\"id\":1,\"frames\":[{\"imageOffset\":16,\"imageIndex\":0,"
		"\"sourceFile\":\"Render.swift\",\"sourceLine\":88}]}],"
		"\"usedImages\":[{\"base\":4096,\"size\":4096,\"path\":\"/Lumen\"}]}\n";
	assert_crash_line(ips, "ips", "0   Lumen                         \t            0x1010 0x1000 + 16 (Render.swift:88)");
	/* a file name with a parenthesis would not read back as a place: none is written */
	char *paren = malloc(sizeof ips + 1);
	char *at = strstr(strcpy(paren, ips), "Render");
	memmove(at + 1, at, strlen(at) + 1);
	memcpy(at, "R(", 2);
	assert_crash_line(paren, "ips", "0   Lumen                         \t            0x1010 0x1000 + 16");
	free(paren);
	crp_report *r = read_one("Process:             Lumen [1]\nOS Version:          iPhone OS 14.4 (18D52)\n"
				 "Report Version:      104\n\nThread 0 Crashed:\n"
				 "0   Lumen                         \t0x0000000000001010 0x1000 + 16 (Render.swift:88)\n",
				 "apple");
	const crp_frame *f = &crp_report_crash(r)->threads[0].backtrace.frames[0];
	ck_assert(!(f->has & CRP_FRAME_SYMBOL_NAME));
	ck_assert_ptr_nonnull(f->symbolicated);
	ck_assert_ptr_null(f->symbolicated->locs[0].function);
	ck_assert_str_eq(f->symbolicated->locs[0].file, "Render.swift");
	ck_assert_uint_eq(f->symbolicated->locs[0].line, 88);
	crp_report_free(r);
}
END_TEST

/* A termination namespace the .crash reader would not read back as one (blanks, a comma), or
 * a code that is not a plain count, gives way to the one the signal tells: the line read back
 * was another header line, and the next writing added the derived one. */
START_TEST(termination_namespace_and_code_that_read_back)
{
	static const char *const by[] = {"\"code\":11,\"namespace\":\"SI no GNAL\"", "\"code\":1e1,\"namespace\":\"SIGNAL,\""};
	for (size_t i = 0; i < 2; i++) {
		char *edited = edited_macos_ips("\"code\":11,\"namespace\":\"SIGNAL\"", by[i]);
		assert_crash_line(edited, "ips", "Termination Reason:    Namespace SIGNAL, Code 11 Segmentation fault: 11");
		free(edited);
	}
}
END_TEST

/* An .ips exception without rawCodes takes its codes from the "codes" text, as the .crash
 * reader reads that line (the .crash showed those codes, but the signal and subtype of none,
 * which read back told otherwise); with rawCodes that say other codes, the .crash shows those. */
START_TEST(codes_from_text_without_raw_codes)
{
	static const char head[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				   "{\"procName\":\"Lumen\",\"cpuType\":\"ARM-64\",\"exception\":{\"type\":\"EXC_BAD_ACCESS\","
				   "\"codes\":\"0x0000000000000001, 0x0000000000000010\"";
	char ips[512];
	snprintf(ips, sizeof ips, "%s}}\n", head);
	char *crash = written_as_crash(ips, "ips");
	ASSERT_LINE(crash, "Exception Type:  EXC_BAD_ACCESS (SIGSEGV)");
	ASSERT_LINE(crash, "Exception Subtype: KERN_INVALID_ADDRESS at 0x0000000000000010");
	ASSERT_LINE(crash, "Exception Codes: 0x0000000000000001, 0x0000000000000010");
	free(crash);
	snprintf(ips, sizeof ips, "%s,\"rawCodes\":[2,3]}}\n", head);
	crash = written_as_crash(ips, "ips");
	ASSERT_LINE(crash, "Exception Type:  EXC_BAD_ACCESS (SIGBUS)");
	ASSERT_LINE(crash, "Exception Codes: 0x0000000000000002, 0x0000000000000003");
	free(crash);
}
END_TEST

/* An .ips's codes text that is not a pair of codes would read back from the .crash as a
 * subtype: the .crash shows the codes the model holds instead, and keeps them on the next trip. */
START_TEST(codes_text_not_a_pair)
{
	static const char ips[] = "{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
				  "{\"procName\":\"Lumen\",\"exception\":{\"codes\":\"0x0000:0000, 0x0\","
				  "\"rawCodes\":[0,0],\"type\":\"EXC_CRASH\",\"signal\":\"SIGABRT\"}}\n";
	assert_crash_line(ips, "ips", "Exception Codes: 0x0000000000000000, 0x0000000000000000");
}
END_TEST

/* "Triggered by Thread" naming a thread the text has no block for: the crashed thread is kept
 * apart from the list with that number, and the line is written back. */
START_TEST(triggered_thread_without_block)
{
	static const char text[] = "Process:             Orbit [771]\nCode Type:           ARM-64 (Native)\n"
				   "OS Version:          iPhone OS 14.2 (18B92)\nReport Version:      104\n\n"
				   "Exception Type:  EXC_CRASH (SIGABRT)\nTriggered by Thread:  3\n\nBinary Images:\n";
	crp_report *r = read_one(text, "apple");
	size_t pos;
	const crp_thread *t = crp_report_crashed_thread(r, &pos);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->index, 3);
	char *crash = emit("apple", &r, 1, NULL);
	ASSERT_LINE(crash, "Triggered by Thread:  3");
	free(crash);
	crp_report_free(r);
}
END_TEST

/* "0 + N" after a frame's address is older macOS's frame in no image when N is the address;
 * else it is a symbol named "0" (which a writer may well write) and its offset. */
START_TEST(zero_plus_offset_is_no_image_or_a_symbol)
{
	static const char text[] = "Process:             Quill [771]\nCode Type:           X86-64 (Native)\n"
				   "OS Version:          Mac OS X 10.7.5 (11G63)\nReport Version:      9\n\n"
				   "Thread 0 Crashed:\n"
				   "0   ???                           \t0x0000000107f32b08 0 + 4428344072\n"
				   "1   org.example.quill             \t0x000000010ab0e1f2 0 + 10\n\n";
	crp_report *r = read_one(text, "apple");
	const crp_thread *t = &crp_report_crash(r)->threads[0];
	ck_assert_uint_eq(t->backtrace.frame_count, 2);
	const crp_frame *f = t->backtrace.frames;
	ck_assert(!(f[0].has & (CRP_FRAME_SYMBOL_NAME | CRP_FRAME_OBJECT_ADDR)));
	ck_assert_str_eq(f[1].symbol_name, "0");
	ck_assert_uint_eq(f[1].symbol_addr, 0x10ab0e1f2 - 10);
	crp_report_free(r);
}
END_TEST

/* A frame whose image has no base (or is not listed) has no address: it keeps imageIndex and
 * imageOffset as written, with a warning, since no .crash line can show it. */
START_TEST(frame_in_image_without_base_warns)
{
	static const char ips[] =
		"{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
		"{\"procName\":\"Lumen\",\"cpuType\":\"ARM-64\",\"threads\":[{\"id\":1,\"frames\":"
		"[{\"imageOffset\":8,\"imageIndex\":0},{\"imageOffset\":4,\"imageIndex\":7}]}],\"usedImages\":[{\"size\":81920,"
		"\"uuid\":\"a1b2c3d4-0001-3000-8000-00000000aa01\",\"path\":\"/var/Lumen.app/Lumen\"}]}\n";
	crp_report *r = read_one(ips, "ips");
	ck_assert(has_warning(r, CRP_W_VALUE));
	ck_assert_uint_eq(crp_report_warning_count(r), 2);
	ck_assert_str_eq(crp_report_warning(r, 0)->message, "a frame's image 0 is without a base: its address is unknown, "
							  "imageIndex and imageOffset kept as written");
	ck_assert_ptr_nonnull(strstr(crp_report_warning(r, 1)->message, "image 7 is not listed"));
	const crp_frame *f = crp_report_crash(r)->threads[0].backtrace.frames;
	ck_assert(!(f[0].has & CRP_FRAME_INSTRUCTION_ADDR));
	ck_assert_ptr_nonnull(crp_extras_get(&f[0].extras, "imageOffset"));
	crp_report_free(r);
}
END_TEST

/* A frame with half of its address (an imageOffset without imageIndex, or the other way round)
 * has none: a warning, and what it said kept. */
START_TEST(frame_with_half_an_address_warns)
{
	static const char ips[] =
		"{\"bug_type\":\"309\",\"os_version\":\"iPhone OS 17.3.1 (21D61)\"}\n"
		"{\"procName\":\"Lumen\",\"cpuType\":\"ARM-64\",\"threads\":[{\"id\":1,\"frames\":"
		"[{\"imageOffset\":8},{\"imageIndex\":0}]}],\"usedImages\":[{\"base\":0,\"size\":524288,"
		"\"uuid\":\"a1b2c3d4-0001-3000-8000-00000000aa01\",\"path\":\"/usr/lib/libc.dylib\"}]}\n";
	crp_report *r = read_one(ips, "ips");
	ck_assert_uint_eq(crp_report_warning_count(r), 2);
	ck_assert_str_eq(crp_report_warning(r, 0)->message,
			 "a frame has an imageOffset without an imageIndex: its address is unknown, kept as written");
	ck_assert_str_eq(crp_report_warning(r, 1)->message,
			 "a frame has an imageIndex without an imageOffset: its address is unknown, kept as written");
	const crp_frame *f = crp_report_crash(r)->threads[0].backtrace.frames;
	ck_assert(!(f[0].has & CRP_FRAME_INSTRUCTION_ADDR));
	ck_assert(!(f[1].has & CRP_FRAME_INSTRUCTION_ADDR));
	ck_assert_ptr_nonnull(crp_extras_get(&f[0].extras, "imageOffset"));
	ck_assert_ptr_nonnull(crp_extras_get(&f[1].extras, "imageIndex"));
	crp_report_free(r);
}
END_TEST

/* -- symbolication of Apple input --------------------------------------------------------- */

/* The Mach-O fixture's Demo (x86_64): frames as image + offset and as bare addresses are
 * symbolicated; a frame the report already names with a file and line stays as it is. */
static const char demo_crash[] =
	"Process:               Demo [42]\n"
	"Path:                  /Applications/Demo.app/Contents/MacOS/Demo\n"
	"Identifier:            org.example.demo\n"
	"Version:               1.0 (1)\n"
	"Code Type:             X86-64 (Native)\n"
	"Parent Process:        launchd [1]\n"
	"\n"
	"Date/Time:             2024-01-02 03:04:05.0000 +0000\n"
	"OS Version:            macOS 14.1 (23B74)\n"
	"Report Version:        12\n"
	"\n"
	"Crashed Thread:        0\n"
	"\n"
	"Exception Type:        EXC_BAD_ACCESS (SIGSEGV)\n"
	"Exception Codes:       KERN_INVALID_ADDRESS at 0x0000000000000000\n"
	"\n"
	"Thread 0 Crashed:\n"
	"0   Demo                          \t       0x10a7c3542 0x10a7c3000 + 1346\n"
	"1   Demo                          \t       0x10a7c3597 0x10a7c3000 + 1431\n"
	"2   Demo                          \t       0x10a7c35bf\n"
	"3   Demo                          \t       0x10a7c360e main (in Demo) (elsewhere.c:7)\n"
	"\n"
	"Binary Images:\n"
	"       0x10a7c3000 -        0x10a7c3fff org.example.demo (1.0) <4c4c44d7-5555-3144-a1ed-9d98060fb335> "
	"/Applications/Demo.app/Contents/MacOS/Demo\n";

START_TEST(apple_input_is_symbolicated)
{
	crp_report *r = read_one(demo_crash, "apple");
	crp_symbolicator *s;
	crp_error err;
	char *path = tu_path(tu_fixtures_dir(), "macho/x86_64");
	ck_assert_int_eq(crp_symbolicator_new(&s, NULL), CRP_OK);
	ck_assert_msg(crp_symbolicator_add_path(s, path, &err) == CRP_OK, "%s", err.message);
	crp_symbolicate_stats st;
	ck_assert_int_eq(crp_report_symbolicate(r, s, NULL, &st, &err), CRP_OK);
	crp_symbolicator_free(s);
	const crp_backtrace *bt = &crp_report_crash(r)->threads[0].backtrace;
	ck_assert_uint_eq(bt->frame_count, 4);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_ptr_nonnull(bt->frames[i].symbolicated);
		ck_assert_int_eq(bt->frames[i].symbolicated->source, CRP_SYMSRC_DWARF);
	}
	ck_assert_int_eq(bt->frames[3].symbolicated->source, CRP_SYMSRC_REPORT);
	ck_assert_str_eq(bt->frames[3].symbolicated->locs[0].file, "elsewhere.c");
	char *crash = emit("apple", &r, 1, NULL);
	/* atos's form, as Apple's symbolicated reports have it */
	ck_assert_ptr_nonnull(strstr(crash, "0   Demo                          \t       0x10a7c3542 leaf_math (in Demo) ("));
	/* inlined levels get lines of their own, numbered on, as in Apple's symbolicated reports */
	ASSERT_LINE(crash, "3   Demo                          \t       0x10a7c3542 crash_here (in Demo) (demo.c:58)");
	ASSERT_LINE(crash, "6   Demo                          \t       0x10a7c360e main (in Demo) (elsewhere.c:7)");
	crp_report *back = read_one(crash, "apple"); /* what it says is read as the report's own */
	ck_assert_int_eq(crp_report_crash(back)->threads[0].backtrace.frames[0].symbolicated->source,
			 CRP_SYMSRC_REPORT);
	crp_report_free(back);
	free(crash);
	free(path);
	crp_report_free(r);
}
END_TEST

/* The reader's table of arch names agrees with crp_arch_name(): every name it gives the CPU
 * types of Apple's reports is found, and found as a type and subtype that give that name. */
START_TEST(arch_names_agree_with_crp_arch_name)
{
	static const int32_t types[] = {12, 0x0100000c, 0x0200000c, 7, 0x01000007, 18, 0x01000012};
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		for (int32_t sub = 0; sub <= 16; sub++) {
			const char *name = crp_arch_name(types[i], sub);
			int32_t t, st;
			if (!name)
				continue;
			ck_assert_msg(crp__ar_arch(name, strlen(name), &t, &st), "%s not read", name);
			ck_assert_str_eq(crp_arch_name(t, st), name);
		}
	int32_t t, st;
	ck_assert(!crp__ar_arch("arm64x", 6, &t, &st));
	ck_assert(!crp__ar_arch("???", 3, &t, &st));
}
END_TEST

/* -- suite -------------------------------------------------------------------------------- */

static void free_inputs(void)
{
	for (size_t i = 0; i < n_inputs; i++)
		free(inputs[i]);
	free(inputs);
}

static void list_inputs(void)
{
	const char *dirs[2] = {NULL, tu_apple_corpus_dir()};
	char *fx = tu_path(tu_fixtures_dir(), "apple");
	dirs[0] = fx;
	inputs = calloc(1, sizeof *inputs);
	for (int d = 0; d < 2 && dirs[d]; d++) {
		char **l;
		size_t n = tu_list(dirs[d], ".ips,.crash", &l);
		inputs = realloc(inputs, (n_inputs + n + 1) * sizeof *inputs);
		for (size_t i = 0; i < n; i++)
			if (!strstr(l[i], "NEGATIVE") && !strstr(l[i], "bug-type-288"))
				inputs[n_inputs++] = strdup(l[i]);
		tu_free_names(l);
		if (d == 0)
			n_fixtures = n_inputs;
	}
	free(fx);
	atexit(free_inputs);
}

Suite *suite_apple_read(void)
{
	Suite *s = suite_create("apple_read");
	TCase *tc = tcase_create("apple_read");
	tcase_set_timeout(tc, 600);
	list_inputs();
	tcase_add_loop_test(tc, fixture_matches_its_goldens, 0, (int)(n_fixtures * 3));
	tcase_add_loop_test(tc, input_reads_the_same_in_any_chunks, 0, (int)(n_inputs * MAX_CHUNK));
	tcase_add_loop_test(tc, input_round_trips, 0, (int)n_inputs);
	tcase_add_test(tc, bad_key_warns_in_place_in_any_chunks);
	tcase_add_loop_test(tc, cut_off_input_keeps_what_is_complete, 0, (int)n_fixtures);
	tcase_add_test(tc, other_bug_types_are_not_crash_reports);
	tcase_add_test(tc, metadata_line_alone);
	tcase_add_test(tc, reports_one_after_another);
	tcase_add_test(tc, run_to_end_blocks_end_at_the_next_report);
	tcase_add_test(tc, run_to_end_block_never_starts_a_report);
	tcase_add_test(tc, trailer_then_next_report);
	tcase_add_test(tc, limits_are_enforced);
	tcase_add_test(tc, process_and_incident_are_always_written);
	tcase_add_test(tc, ips_has_what_lldb_needs);
	tcase_add_test(tc, macos_reports_in_macos_layout);
	tcase_add_test(tc, image_name_column_by_layout);
	tcase_add_test(tc, second_images_list_stays_second);
	tcase_add_test(tc, translation_without_threads_keeps_its_layout);
	tcase_add_test(tc, exception_lines_read_once);
	tcase_add_test(tc, symbol_without_location_is_kept);
	tcase_add_test(tc, zero_plus_offset_is_no_image_or_a_symbol);
	tcase_add_test(tc, frame_in_image_without_base_warns);
	tcase_add_test(tc, codes_text_not_a_pair);
	tcase_add_test(tc, codes_from_text_without_raw_codes);
	tcase_add_test(tc, termination_namespace_and_code_that_read_back);
	tcase_add_test(tc, source_place_without_function);
	tcase_add_test(tc, triggered_thread_without_block);
	tcase_add_test(tc, apple_input_is_symbolicated);
	tcase_add_test(tc, arch_names_agree_with_crp_arch_name);
	tcase_add_test(tc, opening_blank_line_tells_a_translation);
	tcase_add_test(tc, header_value_trailing_spaces);
	tcase_add_test(tc, header_fields_end_at_nul);
	tcase_add_test(tc, frame_image_ending_in_slash);
	tcase_add_test(tc, file_name_with_leading_spaces);
	tcase_add_test(tc, image_path_cut_by_nul_is_trimmed);
	tcase_add_test(tc, unknown_system_name_with_a_version);
	tcase_add_test(tc, empty_symbol_image_is_none);
	tcase_add_test(tc, nul_byte_warns_with_its_place);
	tcase_add_test(tc, frame_in_no_image_stays_there);
	tcase_add_test(tc, image_column_without_blanks);
	tcase_add_test(tc, image_name_and_version_ending_in_an_arch);
	tcase_add_test(tc, instruction_offset_past_the_bytes);
	tcase_add_test(tc, macos_image_name_blanks_and_unknown);
	tcase_add_test(tc, state_block_before_its_thread);
	tcase_add_test(tc, macos_second_launch_time);
	tcase_add_test(tc, exception_subtype_not_text);
	tcase_add_test(tc, seconds_lines_only_for_counts);
	tcase_add_test(tc, long_os_name_with_trailing_blanks);
	tcase_add_test(tc, exception_type_with_a_space);
	tcase_add_test(tc, bundle_info_not_an_object);
	tcase_add_test(tc, trap_lines_alone_make_no_state_block);
	tcase_add_test(tc, coalition_id_beyond_64_bits);
	tcase_add_test(tc, kept_text_without_blanks);
	tcase_add_test(tc, process_name_without_blanks);
	tcase_add_test(tc, ext_mods_text_member_reads_back);
	tcase_add_test(tc, names_end_at_nul_when_looked_up);
	tcase_add_test(tc, image_line_cut_by_nul_keeps_its_arch);
	tcase_add_test(tc, empty_parent_name_is_unknown);
	tcase_add_test(tc, asi_block_only_with_text);
	tcase_add_test(tc, frame_with_half_an_address_warns);
	if (tu_apple_corpus_dir()) {
		tcase_add_loop_test(tc, corpus_reads_with_truncation_marked_only_where_it_is, (int)n_fixtures,
				    (int)n_inputs);
		tcase_add_test(tc, negative_is_not_an_apple_report);
		tcase_add_test(tc, apple_texts_reproduce_themselves);
	}
	suite_add_tcase(s, tc);
	TCase *slow = tcase_create("alloc");
	tcase_set_timeout(slow, 600);
	tcase_set_tags(slow, "slow");
	tcase_add_test(slow, every_allocation_may_fail);
	suite_add_tcase(s, slow);
	return s;
}
