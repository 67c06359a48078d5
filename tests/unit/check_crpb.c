/* CRPB: lossless round trips on every fixture and corpus report, determinism, archives read at
 * random and as streams in any chunk size, every truncation and single-byte corruption of a
 * sample detected, limits, symbolication records, emitter options, allocation failures. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "model/compare.h"
#include "crpb/crpb.h"
#include "kscrash/reader.h"
#include "testutil.h"

static char **fixtures, **corpus;
static size_t n_fixtures, n_corpus;

static void load_names(void)
{
	char *dir = tu_path(tu_fixtures_dir(), "kscrash");
	n_fixtures = tu_list(dir, ".json,.ndjson", &fixtures);
	free(dir);
	if (tu_corpus_dir())
		n_corpus = tu_list(tu_corpus_dir(), ".json", &corpus);
}

static void free_names(void)
{
	tu_free_names(fixtures);
	tu_free_names(corpus);
}

/* Input i: fixtures first, then the corpus. */
static char *input(size_t i, size_t *len, const char **name)
{
	char *dir = i < n_fixtures ? tu_path(tu_fixtures_dir(), "kscrash") : strdup(tu_corpus_dir());
	*name = i < n_fixtures ? fixtures[i] : corpus[i - n_fixtures];
	char *path = tu_path(dir, *name);
	char *data = tu_read_file(path, len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	free(path);
	free(dir);
	return data;
}

static crp_report **parse_all(const char *json, size_t len, size_t *n)
{
	crp_report **r;
	int rc = tu_parse(json, len, 0, NULL, &r, n, NULL);
	ck_assert_int_eq(rc, CRP_OK);
	return r;
}

/* Every report of an archive, read through the index. */
static crp_report **read_all(const char *buf, size_t len, size_t *n)
{
	crp_crpb *a;
	crp_error e;
	int rc = crp_crpb_open(&a, buf, len, NULL, &e);
	ck_assert_msg(rc == CRP_OK, "open: %s", e.message);
	*n = crp_crpb_count(a);
	crp_report **r = calloc(*n + 1, sizeof *r);
	for (size_t i = 0; i < *n; i++) {
		rc = crp_crpb_read(&r[i], a, i, &e);
		ck_assert_msg(rc == CRP_OK, "read %zu: %s (%s)", i, e.message, e.json_path);
	}
	crp_crpb_close(a);
	return r;
}

/* Feed in chunks of `chunk` bytes; returns the status of finish (or of the failing feed). */
static int stream_all(const char *buf, size_t len, size_t chunk, crp_report ***out, size_t *n)
{
	crp_crpb_stream *s;
	ck_assert_int_eq(crp_crpb_stream_new(&s, NULL), CRP_OK);
	int rc = CRP_OK;
	size_t cap = 0;
	crp_report *r;
	*out = NULL;
	*n = 0;
	for (size_t off = 0; rc == CRP_OK && off < len; off += chunk)
		rc = crp_crpb_stream_feed(s, buf + off, len - off < chunk ? len - off : chunk);
	if (rc == CRP_OK)
		rc = crp_crpb_stream_finish(s);
	while (crp_crpb_stream_next(s, &r) == CRP_OK) {
		if (*n == cap)
			*out = realloc(*out, (cap = cap ? cap * 2 : 4) * sizeof **out);
		(*out)[(*n)++] = r;
	}
	crp_crpb_stream_free(s);
	return rc;
}

static void assert_same(crp_report **a, size_t na, crp_report **b, size_t nb, const char *what)
{
	char where[256];
	ck_assert_uint_eq(na, nb);
	for (size_t i = 0; i < na; i++) {
		ck_assert_msg(crp__report_compare(a[i], b[i], where, sizeof where) == 0, "%s: report %zu differs at %s",
			      what, i, where);
		ck_assert_uint_eq(crp_report_provenance(a[i]), crp_report_provenance(b[i]));
		ck_assert_int_eq(crp_report_is_incomplete(a[i]), crp_report_is_incomplete(b[i]));
	}
}

/* -- the round-trip properties ----------------------------------------------------------- */

START_TEST(round_trip_is_lossless_and_deterministic)
{
	size_t len, nj, nc, l1, l2, lc, lc2;
	const char *name;
	char *json = input((size_t)_i, &len, &name);
	crp_report **r = parse_all(json, len, &nj);
	char *crpb = tu_emit("crpb", r, nj, NULL, &lc);
	char *again = tu_emit("crpb", r, nj, NULL, &lc2);
	ck_assert_msg(lc == lc2 && memcmp(crpb, again, lc) == 0, "%s: writing twice differs", name);
	crp_report **back = read_all(crpb, lc, &nc);
	assert_same(r, nj, back, nc, name);
	char *j1 = tu_emit("json", r, nj, NULL, &l1);
	char *j2 = tu_emit("json", back, nc, NULL, &l2);
	ck_assert_msg(l1 == l2 && memcmp(j1, j2, l1) == 0, "%s: JSON -> CRPB -> JSON differs from JSON -> JSON", name);
	/* the decoded model writes the very same file */
	free(again);
	again = tu_emit("crpb", back, nc, NULL, &lc2);
	ck_assert_msg(lc == lc2 && memcmp(crpb, again, lc) == 0, "%s: CRPB -> model -> CRPB differs", name);
	tu_free_reports(r, nj);
	tu_free_reports(back, nc);
	free(json);
	free(crpb);
	free(again);
	free(j1);
	free(j2);
}
END_TEST

/* A recrash report inside a recrash report settles its integer times by its own version, so
 * JSON -> JSON and JSON -> CRPB -> JSON agree (crpb_roundtrip fuzz finding: the inner
 * timestamp came back as 1970-01-01T00:25:46.300801Z on one path). */
static void assert_json_and_crpb_agree(const char *json, size_t len, const char *what)
{
	static const char *const inline_schema[] = {"codec=none", "schema=inline", NULL};
	size_t nj, nc, l1, l2, lc;
	crp_report **r = parse_all(json, len, &nj);
	char *crpb = tu_emit("crpb", r, nj, inline_schema, &lc);
	crp_report **back = read_all(crpb, lc, &nc);
	assert_same(r, nj, back, nc, what);
	char *j1 = tu_emit("json", r, nj, NULL, &l1);
	char *j2 = tu_emit("json", back, nc, NULL, &l2);
	ck_assert_msg(l1 == l2 && memcmp(j1, j2, l1) == 0, "%s: JSON -> CRPB -> JSON differs", what);
	tu_free_reports(r, nj);
	tu_free_reports(back, nc);
	free(crpb);
	free(j1);
	free(j2);
}

START_TEST(nested_recrash_times_agree_through_crpb)
{
	static const char nested[] =
		"{\"report\":{\"version\":\"3.2.0\",\"type\":\"standard\"},\"crash\":{},\"recrash_report\":"
		"{\"report\":{\"version\":\"3.2.0\",\"type\":\"minimal\"},\"recrash_report\":{\"report\":"
		"{\"version\":\"3.2.0\",\"timestamp\":1546300801,\"type\":\"minimal\"}}}}";
	size_t nj;
	crp_report **r = parse_all(nested, sizeof nested - 1, &nj);
	char *json = tu_emit("json", r, nj, NULL, NULL);
	ck_assert_msg(strstr(json, "\"2019-01-01T00:00:01Z\"") != NULL, "%s", json);
	free(json);
	tu_free_reports(r, nj);
	assert_json_and_crpb_agree(nested, sizeof nested - 1, "nested recrash");
	/* the input the finding was reported with, when ../shared is there: its first byte picks
	 * the codec, the rest is the report */
	char *path = tu_path(CRP_CORPUS_DIR "/../data/fuzz-findings", "crpb_roundtrip-timestamp.bin");
	size_t len;
	char *found = tu_read_file(path, &len);
	if (found && len > 1)
		assert_json_and_crpb_agree(found + 1, len - 1, path);
	free(found);
	free(path);
}
END_TEST

/* Every fixture in one archive; each report read alone, in reverse order; and the stream. */
static char *all_fixtures(size_t *len, crp_report ***r, size_t *n)
{
	size_t cap = 0;
	*r = NULL;
	*n = 0;
	for (size_t i = 0; i < n_fixtures; i++) {
		size_t jl, k;
		const char *name;
		char *json = input(i, &jl, &name);
		crp_report **one = parse_all(json, jl, &k);
		for (size_t j = 0; j < k; j++) {
			if (*n == cap)
				*r = realloc(*r, (cap = cap ? cap * 2 : 16) * sizeof **r);
			(*r)[(*n)++] = one[j];
		}
		free(one);
		free(json);
	}
	return tu_emit("crpb", *r, *n, NULL, len);
}

/* The section CRC takes a faster path than zlib on long inputs: it must stay exactly zlib's
 * crc32 for every length, alignment and starting value. */
START_TEST(crc32_is_zlibs)
{
	static uint8_t buf[4200];
	uint32_t seed = 12345;
	for (size_t i = 0; i < sizeof buf; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (uint8_t)(seed >> 16);
	}
	const uint32_t starts[] = {0, 0xffffffffu, 0xdeadbeefu};
	for (size_t n = 0; n + 15 < sizeof buf; n += n < 300 ? 1 : 37)
		for (size_t off = 0; off < 16; off += 5)
			for (size_t k = 0; k < 3; k++)
				ck_assert_uint_eq(crp__crpb_crc32(starts[k], buf + off, n),
						  (uint32_t)crc32(starts[k], buf + off, (uInt)n));
	ck_assert_uint_eq(crp__crpb_crc32(7, NULL, 0), 7);
}
END_TEST

START_TEST(archive_reads_any_report_alone)
{
	size_t len, n;
	crp_report **r;
	char *buf = all_fixtures(&len, &r, &n);
	crp_crpb *a;
	ck_assert_int_eq(crp_crpb_open(&a, buf, len, NULL, NULL), CRP_OK);
	ck_assert_uint_eq(crp_crpb_count(a), n);
	ck_assert_ptr_null(crp_crpb_entry_at(a, n));
	for (size_t k = n; k-- > 0;) {
		const crp_crpb_entry *e = crp_crpb_entry_at(a, k);
		const crp_info *in = crp_report_info(r[k]);
		ck_assert_int_eq(e->id != NULL, CRP_HAS(in, CRP_INFO_ID));
		if (e->id)
			ck_assert_str_eq(e->id, in->id);
		ck_assert_int_eq(e->has_timestamp, CRP_HAS(in, CRP_INFO_TIMESTAMP));
		crp_report *one;
		ck_assert_int_eq(crp_crpb_read(&one, a, k, NULL), CRP_OK);
		assert_same(&r[k], 1, &one, 1, "archive");
		crp_report_free(one);
	}
	crp_crpb_close(a);
	tu_free_reports(r, n);
	free(buf);
}
END_TEST

START_TEST(stream_reads_the_same_in_any_chunks)
{
	size_t len, n, ns;
	crp_report **r, **s;
	char *buf = all_fixtures(&len, &r, &n);
	size_t chunk = (size_t)_i < 31 ? (size_t)_i + 1 : len;
	ck_assert_int_eq(stream_all(buf, len, chunk, &s, &ns), CRP_OK);
	assert_same(r, n, s, ns, "stream");
	tu_free_reports(s, ns);
	tu_free_reports(r, n);
	free(buf);
}
END_TEST

START_TEST(reopen_reuses_a_handle)
{
	size_t l1, l2, n;
	const char *name;
	char *j1 = input(0, &l1, &name), *j2 = input(1, &l2, &name);
	crp_report **r1 = parse_all(j1, l1, &n), **r2 = parse_all(j2, l2, &n);
	char *c1 = tu_emit("crpb", r1, 1, NULL, &l1);
	const char *inl[] = {"schema=inline", NULL};
	char *c2 = tu_emit("crpb", r2, 1, inl, &l2);
	crp_crpb *a;
	crp_report *back;
	ck_assert_int_eq(crp_crpb_open(&a, c1, l1, NULL, NULL), CRP_OK);
	for (int k = 0; k < 4; k++) {
		ck_assert_int_eq(crp_crpb_reopen(a, k % 2 ? c2 : c1, k % 2 ? l2 : l1, NULL), CRP_OK);
		ck_assert_int_eq(crp_crpb_read(&back, a, 0, NULL), CRP_OK);
		assert_same(k % 2 ? r2 : r1, 1, &back, 1, "reopen");
		crp_report_free(back);
	}
	ck_assert_int_eq(crp_crpb_reopen(a, "nope", 4, NULL), CRP_ECORRUPT);
	ck_assert_uint_eq(crp_crpb_count(a), 0);
	ck_assert_int_eq(crp_crpb_reopen(a, c1, l1, NULL), CRP_OK);
	crp_crpb_close(a);
	tu_free_reports(r1, 1);
	tu_free_reports(r2, 1);
	free(j1);
	free(j2);
	free(c1);
	free(c2);
}
END_TEST

START_TEST(options_give_other_files_with_the_same_content)
{
	static const char *const sets[][3] = {{"codec=deflate", NULL}, {"codec=none", NULL},
					      {"codec=zstd", "level=1"}, {"level=19", "schema=inline"},
					      {"codec=deflate", "level=1"}};
	size_t len, n, lc, nb;
	const char *name;
	char *json = input(2, &len, &name);
	crp_report **r = parse_all(json, len, &n);
	for (size_t k = 0; k < CRP_ARRAY_LEN(sets); k++) {
		char *c = tu_emit("crpb", r, n, sets[k], &lc);
		crp_report **back = read_all(c, lc, &nb);
		assert_same(r, n, back, nb, sets[k][0]);
		tu_free_reports(back, nb);
		free(c);
	}
	static const char *const bad[][2] = {{"level=0", NULL}, {"level=23", NULL}, {"codec=lzma", NULL},
					     {"schema=builtin", NULL}, {"colour=red", NULL}};
	for (size_t k = 0; k < CRP_ARRAY_LEN(bad); k++) {
		crp_buffer b = CRP_BUFFER_INIT;
		crp_sink sink;
		crp_emit_session *s;
		crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
		eo.params = bad[k];
		crp_sink_init_buffer(&sink, &b);
		ck_assert_int_eq(crp_emit_begin(&s, crp_emitter_lookup("crpb"), &sink, &eo, NULL), CRP_EUNSUPPORTED);
		crp_buffer_dispose(&b);
	}
	tu_free_reports(r, n);
	free(json);
}
END_TEST

/* -- damage ------------------------------------------------------------------------------- */

/* A small archive of three reports, two codecs' worth of sections. */
static char *sample(size_t *len)
{
	size_t jl, n;
	const char *name;
	char *json = NULL;
	for (size_t i = 0; i < n_fixtures && !json; i++)
		if (strcmp(fixtures[i], "stream-three-reports.ndjson") == 0)
			json = input(i, &jl, &name);
	ck_assert_ptr_nonnull(json);
	crp_report **r = parse_all(json, jl, &n);
	ck_assert_uint_eq(n, 3);
	const char *inl[] = {"schema=inline", NULL};
	char *buf = tu_emit("crpb", r, n, inl, len);
	tu_free_reports(r, n);
	free(json);
	return buf;
}

static int open_and_read(const char *buf, size_t len)
{
	crp_crpb *a;
	crp_error e;
	int rc = crp_crpb_open(&a, buf, len, NULL, &e);
	for (size_t i = 0; rc == CRP_OK && i < crp_crpb_count(a); i++) {
		crp_report *r;
		rc = crp_crpb_read(&r, a, i, &e);
		crp_report_free(r);
	}
	if (rc != CRP_OK)
		ck_assert_msg(e.code == rc && e.message[0], "error without a message");
	crp_crpb_close(a);
	return rc;
}

START_TEST(every_truncation_is_detected)
{
	size_t len, n;
	crp_report **r;
	char *buf = sample(&len);
	for (size_t cut = 0; cut < len; cut++) {
		ck_assert_msg(open_and_read(buf, cut) != CRP_OK, "cut at %zu read as a whole archive", cut);
		int rc = stream_all(buf, cut, 64, &r, &n);
		ck_assert_msg(rc == CRP_ETRUNCATED || (cut == 0 && rc == CRP_EEMPTY), "cut at %zu: stream gave %d", cut, rc);
		ck_assert_uint_le(n, 3);
		tu_free_reports(r, n);
	}
	free(buf);
}
END_TEST

START_TEST(every_single_byte_corruption_is_detected)
{
	static const unsigned char flips[] = {0x01, 0x80, 0xff};
	size_t len, n;
	crp_report **r;
	char *buf = sample(&len);
	for (size_t pos = 0; pos < len; pos++)
		for (size_t k = 0; k < sizeof flips; k++) {
			buf[pos] ^= (char)flips[k];
			ck_assert_msg(open_and_read(buf, len) != CRP_OK, "byte %zu ^ 0x%02x read fine", pos, flips[k]);
			int rc = stream_all(buf, len, 1000, &r, &n);
			ck_assert_msg(rc != CRP_OK, "byte %zu ^ 0x%02x streamed fine", pos, flips[k]);
			tu_free_reports(r, n);
			buf[pos] ^= (char)flips[k];
		}
	ck_assert_int_eq(open_and_read(buf, len), CRP_OK);
	free(buf);
}
END_TEST

START_TEST(damage_is_located)
{
	size_t len;
	crp_error e;
	crp_crpb *a;
	char *buf = sample(&len);
	/* the second report's section: find it through the index */
	ck_assert_int_eq(crp_crpb_open(&a, buf, len, NULL, NULL), CRP_OK);
	uint64_t off = crp_crpb_entry_at(a, 1)->offset;
	crp_crpb_close(a);
	buf[off + 20] ^= 0x10;
	ck_assert_int_eq(crp_crpb_open(&a, buf, len, NULL, &e), CRP_OK);
	crp_report *r;
	ck_assert_int_eq(crp_crpb_read(&r, a, 0, NULL), CRP_OK);
	crp_report_free(r);
	ck_assert_int_eq(crp_crpb_read(&r, a, 1, &e), CRP_ECORRUPT);
	ck_assert_uint_eq(e.byte_offset, off);
	ck_assert_ptr_nonnull(strstr(e.message, "CRC mismatch"));
	crp_crpb_close(a);
	/* a stream delivers what came before the damage, then fails at it */
	crp_report **rs;
	size_t n;
	crp_crpb_stream *s;
	ck_assert_int_eq(crp_crpb_stream_new(&s, NULL), CRP_OK);
	ck_assert_int_eq(crp_crpb_stream_feed(s, buf, len), CRP_ECORRUPT);
	ck_assert_uint_eq(crp_crpb_stream_error(s)->byte_offset, off);
	crp_crpb_stream_free(s);
	ck_assert_int_eq(stream_all(buf, len, 7, &rs, &n), CRP_ECORRUPT);
	ck_assert_uint_eq(n, 1);
	tu_free_reports(rs, n);
	free(buf);
}
END_TEST

START_TEST(not_crpb_and_newer_versions_are_refused)
{
	size_t len;
	crp_error e;
	crp_crpb *a;
	char *buf = sample(&len);
	ck_assert(crp_crpb_detect(buf, len));
	ck_assert(!crp_crpb_detect(buf, 7));
	ck_assert(!crp_crpb_detect("{\"report\": {}}", 14));
	ck_assert_int_eq(crp_crpb_open(&a, "{\"report\": {}}", 14, NULL, &e), CRP_ECORRUPT);
	/* a major version 2 file (with a valid header CRC) is refused by name */
	buf[8] = 2;
	crp__put_le32((uint8_t *)buf + 12, (uint32_t)crc32(0, (const Bytef *)buf, 12));
	ck_assert_int_eq(crp_crpb_open(&a, buf, len, NULL, &e), CRP_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.message, "version 2.0"));
	/* a builtin schema this reader does not know */
	buf[8] = 1;
	buf[10] = 7;
	crp__put_le32((uint8_t *)buf + 12, (uint32_t)crc32(0, (const Bytef *)buf, 12));
	ck_assert_int_eq(crp_crpb_open(&a, buf, len, NULL, &e), CRP_EUNSUPPORTED);
	ck_assert_ptr_nonnull(strstr(e.message, "schema 7"));
	free(buf);
}
END_TEST

/* -- limits ------------------------------------------------------------------------------- */

static int read_with(const char *buf, size_t len, const crp_crpb_options *o, crp_error *e)
{
	crp_crpb *a;
	int rc = crp_crpb_open(&a, buf, len, o, e);
	for (size_t i = 0; rc == CRP_OK && i < crp_crpb_count(a); i++) {
		crp_report *r;
		rc = crp_crpb_read(&r, a, i, e);
		crp_report_free(r);
	}
	crp_crpb_close(a);
	return rc;
}

START_TEST(limits_are_errors)
{
	size_t len, n;
	crp_report **r;
	crp_error e;
	char *buf = all_fixtures(&len, &r, &n);
	crp_crpb_options o = CRP_CRPB_OPTIONS_INIT;
	ck_assert_int_eq(read_with(buf, len, &o, &e), CRP_OK);
	o.max_section_bytes = 200;
	ck_assert_int_eq(read_with(buf, len, &o, &e), CRP_ELIMIT);
	ck_assert_ptr_nonnull(strstr(e.message, "the limit is 200"));
	o = (crp_crpb_options)CRP_CRPB_OPTIONS_INIT;
	o.max_text_bytes = 500;
	ck_assert_int_eq(read_with(buf, len, &o, &e), CRP_ELIMIT);
	o = (crp_crpb_options)CRP_CRPB_OPTIONS_INIT;
	o.max_items = 3;
	ck_assert_int_eq(read_with(buf, len, &o, &e), CRP_ELIMIT);
	o = (crp_crpb_options)CRP_CRPB_OPTIONS_INIT;
	o.max_depth = 3;
	ck_assert_int_eq(read_with(buf, len, &o, &e), CRP_ELIMIT);
	ck_assert_ptr_nonnull(strstr(e.message, "nesting deeper than 3"));
	o = (crp_crpb_options)CRP_CRPB_OPTIONS_INIT;
	o.max_memory = 4000;
	ck_assert_int_eq(read_with(buf, len, &o, &e), CRP_ELIMIT);
	o = (crp_crpb_options)CRP_CRPB_OPTIONS_INIT;
	o.version = 99;
	ck_assert_int_eq(read_with(buf, len, &o, &e), CRP_EINVAL);
	o = (crp_crpb_options)CRP_CRPB_OPTIONS_INIT;
	o.max_depth = 1001;
	crp_crpb_stream *s;
	ck_assert_int_eq(crp_crpb_stream_new(&s, &o), CRP_EINVAL);
	tu_free_reports(r, n);
	free(buf);
}
END_TEST

START_TEST(api_misuse)
{
	crp_crpb *a;
	crp_report *r;
	crp_crpb_stream *s;
	ck_assert_int_eq(crp_crpb_open(NULL, "", 0, NULL, NULL), CRP_EINVAL);
	ck_assert_int_eq(crp_crpb_open(&a, NULL, 5, NULL, NULL), CRP_EINVAL);
	ck_assert_int_eq(crp_crpb_read(&r, NULL, 0, NULL), CRP_EINVAL);
	ck_assert_int_eq(crp_crpb_reopen(NULL, "", 0, NULL), CRP_EINVAL);
	ck_assert_uint_eq(crp_crpb_count(NULL), 0);
	ck_assert_ptr_null(crp_crpb_entry_at(NULL, 0));
	crp_crpb_close(NULL);
	ck_assert_int_eq(crp_crpb_stream_new(NULL, NULL), CRP_EINVAL);
	ck_assert_int_eq(crp_crpb_stream_new(&s, NULL), CRP_OK);
	ck_assert_int_eq(crp_crpb_stream_next(s, &r), CRP_ITEROVER);
	ck_assert_int_eq(crp_crpb_stream_feed(s, NULL, 3), CRP_EINVAL);
	ck_assert_int_eq(crp_crpb_stream_finish(s), CRP_EEMPTY);
	ck_assert_int_eq(crp_crpb_stream_feed(s, "x", 1), CRP_EEMPTY);
	crp_crpb_stream_free(s);
	crp_crpb_stream_free(NULL);
	ck_assert_int_eq(CRPB_TIME_RAW, CRP__TIME_RAW);
}
END_TEST

/* An archive of no report is valid, but holds nothing to read. */
START_TEST(empty_archive)
{
	crp_buffer b = CRP_BUFFER_INIT;
	crp_sink sink;
	crp_emit_session *s;
	crp_crpb *a;
	crp_report **r;
	size_t n;
	crp_sink_init_buffer(&sink, &b);
	ck_assert_int_eq(crp_emit_begin(&s, crp_emitter_lookup("crpb"), &sink, NULL, NULL), CRP_OK);
	ck_assert_int_eq(crp_emit_end(s), CRP_OK);
	crp_emit_free(s);
	ck_assert_int_eq(crp_crpb_open(&a, b.data, b.len, NULL, NULL), CRP_OK);
	ck_assert_uint_eq(crp_crpb_count(a), 0);
	crp_crpb_close(a);
	ck_assert_int_eq(stream_all(b.data, b.len, 5, &r, &n), CRP_EEMPTY);
	tu_free_reports(r, n);
	crp_buffer_dispose(&b);
}
END_TEST

/* -- symbolication (filled here: the symbolicator is another module) ---------------------- */

START_TEST(symbolication_round_trips)
{
	size_t len, n, lc, nb;
	const char *name;
	char *json = input(3, &len, &name);
	crp_report **r = parse_all(json, len, &n);
	const crp_thread *t = crp_report_crashed_thread(r[0], NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_ge(t->backtrace.frame_count, 2);
	static const crp_symloc locs[2] = {{"inlined_helper()", "/src/a.c", 12, 7},
					   {"outer_function", NULL, 0, 0}};
	static const crp_symbolication sym[2] = {
		{CRP_SYMSRC_DWARF, CRP_SYM_ADJUSTED | CRP_SYM_DEMANGLED, "/dsym/App", 0x100003f10,
		 0x104003e00, "_Z14outer_functionv", locs, 2, 0x114},
		{CRP_SYMSRC_SYMTAB, CRP_SYM_SWIFT, "/usr/lib/libé.dylib", 0x2000, 0x1ffc, NULL, locs + 1, 1, 4}};
	crp_frame *frames = (crp_frame *)(uintptr_t)t->backtrace.frames;
	frames[0].symbolicated = &sym[0];
	frames[1].symbolicated = &sym[1];
	char *c = tu_emit("crpb", r, n, NULL, &lc);
	crp_report **back = read_all(c, lc, &nb);
	const crp_thread *bt = crp_report_crashed_thread(back[0], NULL);
	for (int k = 0; k < 2; k++) {
		const crp_symbolication *x = &sym[k], *y = bt->backtrace.frames[k].symbolicated;
		ck_assert_ptr_nonnull(y);
		ck_assert_int_eq(x->source, y->source);
		ck_assert_uint_eq(x->flags, y->flags);
		ck_assert_str_eq(x->image, y->image);
		ck_assert_uint_eq(x->lookup_addr, y->lookup_addr);
		ck_assert_uint_eq(x->function_addr, y->function_addr);
		ck_assert_pstr_eq(x->linkage_name, y->linkage_name);
		ck_assert_uint_eq(x->count, y->count);
		ck_assert_uint_eq(x->offset, y->offset);
		for (size_t i = 0; i < x->count; i++) {
			ck_assert_pstr_eq(x->locs[i].function, y->locs[i].function);
			ck_assert_pstr_eq(x->locs[i].file, y->locs[i].file);
			ck_assert_uint_eq(x->locs[i].line, y->locs[i].line);
			ck_assert_uint_eq(x->locs[i].column, y->locs[i].column);
		}
	}
	for (size_t i = 2; i < bt->backtrace.frame_count; i++)
		ck_assert_ptr_null(bt->backtrace.frames[i].symbolicated);
	/* symbolication is no part of the JSON */
	char *j1 = tu_emit("json", r, n, NULL, NULL), *j2 = tu_emit("json", back, nb, NULL, NULL);
	ck_assert_str_eq(j1, j2);
	frames[0].symbolicated = frames[1].symbolicated = NULL;
	free(j1);
	free(j2);
	free(c);
	tu_free_reports(back, nb);
	tu_free_reports(r, n);
	free(json);
}
END_TEST

/* -- allocation failures ------------------------------------------------------------------ */

static int round_trip_with(tu_alloc *st, crp_report **r, size_t n)
{
	crp_allocator a = tu_allocator(st);
	crp_buffer buf = CRP_BUFFER_INIT;
	buf.allocator = &a;
	crp_sink sink;
	crp_sink_init_buffer(&sink, &buf);
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	eo.allocator = &a;
	crp_emit_session *s;
	int rc = crp_emit_begin(&s, crp_emitter_lookup("crpb"), &sink, &eo, NULL);
	for (size_t i = 0; rc == CRP_OK && i < n; i++)
		rc = crp_emit_report(s, r[i]);
	if (rc == CRP_OK)
		rc = crp_emit_end(s);
	if (rc == CRP_OK || s)
		crp_emit_free(s);
	if (rc == CRP_EIO)
		rc = CRP_ENOMEM; /* the buffer sink reports its own allocation failure as a write error */
	if (rc == CRP_OK) {
		crp_crpb_options o = CRP_CRPB_OPTIONS_INIT;
		o.allocator = &a;
		crp_error e;
		rc = read_with(buf.data, buf.len, &o, &e);
	}
	crp_buffer_dispose(&buf);
	return rc;
}

START_TEST(every_allocation_may_fail)
{
	size_t len, n;
	const char *name;
	char *json = NULL;
	for (size_t i = 0; i < n_fixtures && !json; i++)
		if (strcmp(fixtures[i], "macos-x86_64-recrash-old-layout.json") == 0)
			json = input(i, &len, &name);
	crp_report **r = parse_all(json, len, &n);
	tu_alloc st = {0, 0, 0};
	ck_assert_int_eq(round_trip_with(&st, r, n), CRP_OK);
	ck_assert_uint_eq(st.live, 0);
	size_t total = st.count;
	for (size_t k = 1; k <= total; k++) {
		tu_alloc f = {0, 0, k};
		int rc = round_trip_with(&f, r, n);
		ck_assert_msg(rc == CRP_ENOMEM, "failing allocation %zu gave %d", k, rc);
		ck_assert_msg(f.live == 0, "failing allocation %zu leaked %zu blocks", k, f.live);
	}
	tu_free_reports(r, n);
	free(json);
}
END_TEST

/* -- hand-made files ---------------------------------------------------------------------- */

typedef struct bytes {
	uint8_t *p;
	size_t len;
} bytes;

static void add(bytes *b, const void *d, size_t n)
{
	b->p = realloc(b->p, b->len + n + 1);
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void add_varint(bytes *b, uint64_t v)
{
	uint8_t tmp[10];
	add(b, tmp, crp__varint_put(tmp, v));
}

static void add_section(bytes *f, uint8_t type, uint8_t codec, const void *stored, size_t n, uint32_t size)
{
	uint8_t h[14];
	h[0] = type;
	h[1] = (uint8_t)(codec | CRPB_F_REQUIRED);
	crp__put_le32(h + 2, (uint32_t)n);
	crp__put_le32(h + 6, size);
	crp__put_le32(h + 10, (uint32_t)crc32(crc32(0, h, 10), stored, (uInt)n));
	add(f, h, 14);
	add(f, stored, n);
}

/* A whole file: inline `schema` (or builtin 1 when NULL) and one REPORT section holding
 * `stored` (codec 0 unless given), declared to inflate to `size`. */
static bytes craft_with(const char *schema, const void *stored, size_t n, uint8_t codec, uint32_t size,
			int extra_flags);

static bytes craft(const char *schema, const void *stored, size_t n, uint8_t codec, uint32_t size)
{
	return craft_with(schema, stored, n, codec, size, -1);
}

/* ... and, when extra_flags >= 0, a section of a type from the future after the report. */
static bytes craft_with(const char *schema, const void *stored, size_t n, uint8_t codec, uint32_t size,
			int extra_flags)
{
	bytes f = {NULL, 0}, ix = {NULL, 0};
	uint8_t h[16];
	memcpy(h, CRPB_MAGIC, 8);
	h[8] = 1;
	h[9] = 0;
	h[10] = schema ? 0 : 1;
	h[11] = 0;
	crp__put_le32(h + 12, (uint32_t)crc32(0, h, 12));
	add(&f, h, 16);
	if (schema)
		add_section(&f, CRPB_SEC_SCHEMA, CRPB_CODEC_STORED, schema, strlen(schema), (uint32_t)strlen(schema));
	size_t off = f.len;
	add_section(&f, CRPB_SEC_REPORT, codec, stored, n, size);
	size_t report_end = f.len;
	if (extra_flags >= 0) {
		add_section(&f, 0x40, CRPB_CODEC_STORED, "from the future", 15, 15);
		f.p[report_end + 1] = (uint8_t)extra_flags; /* and its CRC again */
		crp__put_le32(f.p + report_end + 10, (uint32_t)crc32(crc32(0, f.p + report_end, 10), f.p + report_end + 14, 15));
	}
	add_varint(&ix, 1);
	add_varint(&ix, off);
	add_varint(&ix, report_end - off);
	add_varint(&ix, 0);
	add_varint(&ix, 0);
	size_t ioff = f.len;
	add_section(&f, CRPB_SEC_INDEX, CRPB_CODEC_STORED, ix.p, ix.len, (uint32_t)ix.len);
	crp__put_le32(h, (uint32_t)(f.len - ioff));
	memcpy(h + 4, CRPB_FOOTER_MAGIC, 4);
	add(&f, h, 8);
	free(ix.p);
	return f;
}

/* A payload for a schema with `nstreams` streams given as (length, bytes) pairs. */
static bytes payload(size_t nstreams, const char *const *streams, const size_t *lens)
{
	bytes p = {NULL, 0};
	add_varint(&p, 0); /* provenance */
	add_varint(&p, 2); /* two strings: "a", "b" */
	add_varint(&p, 4);
	add(&p, "a\0b\0", 4);
	add_varint(&p, nstreams);
	for (size_t i = 0; i < nstreams; i++)
		add_varint(&p, lens[i]);
	for (size_t i = 0; i < nstreams; i++)
		add(&p, streams[i], lens[i]);
	return p;
}

static const char tiny_schema[] = "crpb-schema\n"
				  "record report\n"
				  "  binary_images array=1\n"
				  "  future_field u64 delta\n"
				  "  incomplete str\n"
				  "record binary_image\n"
				  "  image_addr u64\n"
				  "  later_list strlist\n";

static int read_one(const bytes *f, crp_report **r, crp_error *e, const crp_crpb_options *o)
{
	crp_crpb *a;
	*r = NULL;
	int rc = crp_crpb_open(&a, f->p, f->len, o, e);
	if (rc == CRP_OK)
		rc = crp_crpb_read(r, a, 0, e);
	crp_crpb_close(a);
	return rc;
}

START_TEST(fields_this_build_does_not_know_become_untyped_members)
{
	/* streams: report presence, binary_images, future_field, incomplete, image presence,
	 * image_addr, later_list */
	static const char *const st[] = {"\x0e", "\x01\x00", "\x0e", "\x01", "\x04", "", "\x02\x00\x00\x01"};
	static const size_t lens[] = {1, 2, 1, 1, 1, 0, 4};
	bytes p = payload(7, st, lens);
	bytes f = craft(tiny_schema, p.p, p.len, CRPB_CODEC_STORED, (uint32_t)p.len);
	crp_report *r;
	crp_error e;
	ck_assert_msg(read_one(&f, &r, &e, NULL) == CRP_OK, "%s (%s)", e.message, e.json_path);
	size_t n;
	const crp_image *im = crp_report_images(r, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert(!CRP_HAS(&im[0], CRP_IMAGE_ADDR));
	const crp_value *later = crp_extras_get(&im[0].extras, "later_list");
	ck_assert_ptr_nonnull(later);
	ck_assert_int_eq(later->type, CRP_VALUE_ARRAY);
	ck_assert_uint_eq(later->u.arr.count, 2);
	ck_assert_str_eq(later->u.arr.items[1].u.str.ptr, "b");
	const crp_value *future = crp_extras_get(crp_report_extras(r), "future_field");
	ck_assert_ptr_nonnull(future);
	ck_assert_str_eq(future->u.num.ptr, "7"); /* delta from 0 by zigzag 14 */
	/* a known key with another kind is read generically, not into the typed field */
	ck_assert(!(crp_report_sections(r) & CRP_SECTION_INCOMPLETE));
	ck_assert_str_eq(crp_extras_get(crp_report_extras(r), "incomplete")->u.str.ptr, "b");
	crp_report_free(r);
	free(p.p);
	free(f.p);
}
END_TEST

/* Arrays of records whose fields each read their own stream are read a column at a time:
 * the same values, codings and error paths as record by record. */
static const char column_schema[] = "crpb-schema\n"
				    "record report\n"
				    "  binary_images array=1\n"
				    "record binary_image\n"
				    "  image_addr u64 delta\n"
				    "  image_vmaddr u64 rel=image_addr\n"
				    "  name str\n"
				    "  uuid uuid\n"
				    "  cpu_type i32 delta\n";

#define COLUMN_IMAGES 5

/* Streams: report presence, binary_images, image presence, then one per image field. Image 2
 * has no image_addr (its vmaddr is then relative to 0); `bad_name` and `bad_cpu` put a bad
 * value at that image (-1: none); `uuids` is how many UUIDs the stream holds. */
static bytes column_file(int bad_name, int bad_cpu, int uuids)
{
	static const uint64_t addr[] = {0x1000, 0x3000, 0, 0x2000, 0x5000};
	static const int64_t cpu[] = {12, 12, 7, -1, 16777228};
	bytes st[8] = {{NULL, 0}};
	uint64_t prev_addr = 0;
	int64_t prev_cpu = 0;
	add_varint(&st[0], 2);
	add_varint(&st[1], COLUMN_IMAGES);
	add_varint(&st[1], 0);
	for (int i = 0; i < COLUMN_IMAGES; i++) {
		bool has_addr = i != 2;
		add_varint(&st[2], has_addr ? 0x3e : 0x3c);
		if (has_addr) {
			add_varint(&st[3], crp__zigzag((int64_t)(addr[i] - prev_addr)));
			prev_addr = addr[i];
		}
		add_varint(&st[4], crp__zigzag(has_addr ? -0x10 : 7));
		add_varint(&st[5], i == bad_name ? 9 : (uint64_t)(i & 1));
		int64_t c = i == bad_cpu ? INT64_C(1) << 40 : cpu[i];
		add_varint(&st[7], crp__zigzag(c - prev_cpu));
		prev_cpu = c;
	}
	for (int i = 0; i < uuids; i++) {
		uint8_t u[16];
		memset(u, 0xa0 + i, sizeof u);
		add(&st[6], u, sizeof u);
	}
	const char *ptrs[8];
	size_t lens[8];
	for (int i = 0; i < 8; i++) {
		ptrs[i] = (const char *)st[i].p;
		lens[i] = st[i].len;
	}
	bytes p = payload(8, ptrs, lens);
	bytes f = craft(column_schema, p.p, p.len, CRPB_CODEC_STORED, (uint32_t)p.len);
	for (int i = 0; i < 8; i++)
		free(st[i].p);
	free(p.p);
	return f;
}

START_TEST(arrays_read_by_columns_keep_values_and_paths)
{
	crp_report *r;
	crp_error e;
	bytes f = column_file(-1, -1, COLUMN_IMAGES);
	ck_assert_msg(read_one(&f, &r, &e, NULL) == CRP_OK, "%s (%s)", e.message, e.json_path);
	size_t n;
	const crp_image *im = crp_report_images(r, &n);
	ck_assert_uint_eq(n, COLUMN_IMAGES);
	static const uint64_t vm[] = {0xff0, 0x2ff0, 7, 0x1ff0, 0x4ff0};
	static const int32_t cpu[] = {12, 12, 7, -1, 16777228};
	for (size_t i = 0; i < n; i++) {
		ck_assert(CRP_HAS(&im[i], CRP_IMAGE_ADDR) == (i != 2));
		ck_assert(CRP_HAS(&im[i], CRP_IMAGE_VMADDR) && CRP_HAS(&im[i], CRP_IMAGE_UUID));
		ck_assert_uint_eq(im[i].image_vmaddr, vm[i]);
		ck_assert_str_eq(im[i].name, i & 1 ? "b" : "a");
		ck_assert_uint_eq(im[i].uuid.bytes[15], 0xa0 + i);
		ck_assert_int_eq(im[i].cpu_type, cpu[i]);
	}
	ck_assert_uint_eq(im[4].image_addr, 0x5000);
	ck_assert_uint_eq(im[2].image_addr, 0);
	crp_report_free(r);
	free(f.p);
	/* errors name the element and the field */
	static const struct {
		int bad_name, bad_cpu, uuids;
		const char *path, *message;
	} bad[] = {{3, -1, COLUMN_IMAGES, "binary_images[3].name", "string id out of range"},
		   {-1, 1, COLUMN_IMAGES, "binary_images[1].cpu_type", "does not fit 32 bits"},
		   {-1, -1, 4, "binary_images[4].uuid", "ends early"}};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		f = column_file(bad[k].bad_name, bad[k].bad_cpu, bad[k].uuids);
		ck_assert_int_eq(read_one(&f, &r, &e, NULL), CRP_ECORRUPT);
		ck_assert_str_eq(e.json_path, bad[k].path);
		ck_assert_msg(strstr(e.message, bad[k].message), "%s", e.message);
		free(f.p);
	}
}
END_TEST

START_TEST(absurd_counts_and_bombs_are_clear_errors)
{
	static const char *const st[] = {"\x02", "\x80\x80\x80\x80\x80\x20\x00", "", "", "\x00", "", ""};
	static const size_t lens[] = {1, 7, 0, 0, 1, 0, 0};
	crp_report *r;
	crp_error e;
	/* 2^40 images */
	bytes p = payload(7, st, lens);
	bytes f = craft(tiny_schema, p.p, p.len, CRPB_CODEC_STORED, (uint32_t)p.len);
	ck_assert_int_eq(read_one(&f, &r, &e, NULL), CRP_ELIMIT);
	ck_assert_ptr_nonnull(strstr(e.message, "more than 1000000 items"));
	free(p.p);
	free(f.p);
	/* 5 images, but one byte of presence masks behind them */
	static const char *const st5[] = {"\x02", "\x05\x00", "", "", "\x00", "", ""};
	static const size_t lens5[] = {1, 2, 0, 0, 1, 0, 0};
	p = payload(7, st5, lens5);
	f = craft(tiny_schema, p.p, p.len, CRPB_CODEC_STORED, (uint32_t)p.len);
	ck_assert_int_eq(read_one(&f, &r, &e, NULL), CRP_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(e.message, "a count is larger than its data"));
	ck_assert_str_eq(e.json_path, "binary_images");
	free(f.p);
	/* a Zstandard bomb: 8 MiB of zeros declared as the payload's few bytes, then as 8 MiB */
	size_t big = 8u << 20, cap = ZSTD_compressBound(big);
	char *zeros = calloc(1, big), *z = malloc(cap);
	size_t zn = ZSTD_compress(z, cap, zeros, big, 3);
	f = craft(tiny_schema, z, zn, CRPB_CODEC_ZSTD, (uint32_t)p.len);
	ck_assert_int_eq(read_one(&f, &r, &e, NULL), CRP_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(e.message, "does not decompress to its declared"));
	free(f.p);
	f = craft(tiny_schema, z, zn, CRPB_CODEC_ZSTD, (uint32_t)big);
	crp_crpb_options o = CRP_CRPB_OPTIONS_INIT;
	o.max_section_bytes = 1u << 20;
	ck_assert_int_eq(read_one(&f, &r, &e, &o), CRP_ELIMIT);
	ck_assert_ptr_nonnull(strstr(e.message, "the limit is 1048576"));
	free(f.p);
	/* the same through DEFLATE */
	z_stream zs = {0};
	deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *)zeros;
	zs.avail_in = (uInt)big;
	zs.next_out = (Bytef *)z;
	zs.avail_out = (uInt)cap;
	ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
	f = craft(tiny_schema, z, cap - zs.avail_out, CRPB_CODEC_DEFLATE, 1000);
	deflateEnd(&zs);
	ck_assert_int_eq(read_one(&f, &r, &e, NULL), CRP_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(e.message, "does not inflate to its declared"));
	free(f.p);
	free(p.p);
	free(zeros);
	free(z);
}
END_TEST

START_TEST(bad_schemas_are_refused)
{
	static const char *const bad[] = {
		"crpb-schem\nrecord r\n",
		"crpb-schema\nrecord r\n  a u64\n  a u64\n",
		"crpb-schema\nrecord r\n  a record=5\n",
		"crpb-schema\nrecord r\n  a u65\n",
		"crpb-schema\nrecord r\n  a u64 rel=b\n",
		"crpb-schema\nrecord r\n  a str rel=a\n",
		"crpb-schema\nrecord r\n  a u64 \n",
		"crpb-schema\nrecord r\n  a u64",
		"crpb-schema\n  a u64\n",
		"crpb-schema\n",
	};
	static const char *const st[] = {"\x00"};
	static const size_t lens[] = {1};
	bytes p = payload(1, st, lens);
	for (size_t i = 0; i < CRP_ARRAY_LEN(bad); i++) {
		crp_report *r;
		crp_error e;
		bytes f = craft(bad[i], p.p, p.len, CRPB_CODEC_STORED, (uint32_t)p.len);
		ck_assert_msg(read_one(&f, &r, &e, NULL) == CRP_ECORRUPT, "schema %zu accepted", i);
		ck_assert_ptr_nonnull(strstr(e.message, "schema line"));
		free(f.p);
	}
	free(p.p);
}
END_TEST

/* §3: a section type a reader does not know is skipped by its size, unless it is REQUIRED. */
START_TEST(unknown_sections_are_skipped_unless_required)
{
	static const char *const st[] = {"\x0e", "\x00\x00", "\x0e", "\x01", "", "", ""};
	static const size_t lens[] = {1, 2, 1, 1, 0, 0, 0};
	bytes p = payload(7, st, lens);
	crp_report **r;
	size_t n;
	bytes f = craft_with(tiny_schema, p.p, p.len, CRPB_CODEC_STORED, (uint32_t)p.len, 0);
	ck_assert_int_eq(open_and_read((const char *)f.p, f.len), CRP_OK);
	for (size_t chunk = 1; chunk < 40; chunk += 7) {
		ck_assert_int_eq(stream_all((const char *)f.p, f.len, chunk, &r, &n), CRP_OK);
		ck_assert_uint_eq(n, 1);
		tu_free_reports(r, n);
	}
	free(f.p);
	f = craft_with(tiny_schema, p.p, p.len, CRPB_CODEC_STORED, (uint32_t)p.len, CRPB_F_REQUIRED);
	ck_assert_int_eq(stream_all((const char *)f.p, f.len, 64, &r, &n), CRP_EUNSUPPORTED);
	tu_free_reports(r, n);
	free(f.p);
	f = craft_with(tiny_schema, p.p, p.len, CRPB_CODEC_STORED, (uint32_t)p.len, 0x08); /* unknown flag */
	ck_assert_int_eq(stream_all((const char *)f.p, f.len, 64, &r, &n), CRP_EUNSUPPORTED);
	tu_free_reports(r, n);
	free(f.p);
	free(p.p);
}
END_TEST

/* The fuzzer's seeds must be current CRPB files, or fuzzing starts from nothing. */
START_TEST(fuzz_seeds_decode)
{
	char *dir = tu_path(CRP_SOURCE_DIR, "fuzz/corpora/crpb");
	char **seeds;
	size_t n = tu_list(dir, ".crpb", &seeds), len;
	ck_assert_uint_gt(n, 5);
	for (size_t i = 0; i < n; i++) {
		if (strncmp(seeds[i], "regress-", 8) == 0)
			continue;
		char *path = tu_path(dir, seeds[i]);
		char *data = tu_read_file(path, &len);
		ck_assert_msg(open_and_read(data + 1, len - 1) == CRP_OK,
			      "%s is stale: run fuzz/make-crpb-seeds.sh", seeds[i]);
		free(data);
		free(path);
	}
	tu_free_names(seeds);
	free(dir);
}
END_TEST

/* -- goldens: the layout is stable ---------------------------------------------------------- */

static const char *const golden_fixtures[] = {"ios17-arm64e-badaccess", "macos-x86_64-recrash-old-layout",
					      "quirks-odd-values"};

/* hexdump -C style, so that a change of the format reviews as a readable diff */
static char *hexdump(const unsigned char *p, size_t n)
{
	char *out = malloc(n / 16 * 80 + 160), *o = out;
	for (size_t i = 0; i < n; i += 16) {
		o += sprintf(o, "%08zx ", i);
		for (size_t k = 0; k < 16; k++)
			o += i + k < n ? sprintf(o, "%s%02x", k == 8 ? "  " : " ", p[i + k]) : sprintf(o, k == 8 ? "    " : "   ");
		o += sprintf(o, "  |");
		for (size_t k = 0; k < 16 && i + k < n; k++)
			*o++ = p[i + k] >= 0x20 && p[i + k] < 0x7f ? (char)p[i + k] : '.';
		o += sprintf(o, "|\n");
	}
	*o = '\0';
	return out;
}

/* Stored (uncompressed) output does not depend on any compressor's version: it must stay byte
 * for byte what fixtures/expected/NAME.crpb.txt shows. CRP_REGEN_GOLDENS=1 rewrites them
 * (tests/regen-goldens.sh does); review the diff, a change is a change of the format. */
START_TEST(stored_output_matches_its_golden)
{
	static const char *const stored[] = {"codec=none", NULL};
	char *dir = tu_path(tu_fixtures_dir(), "kscrash"), *edir = tu_path(tu_fixtures_dir(), "expected");
	char name[128], *path, *json, *crpb, *dump, *want;
	size_t len, n, clen;
	snprintf(name, sizeof name, "%s.json", golden_fixtures[_i]);
	path = tu_path(dir, name);
	json = tu_read_file(path, &len);
	free(path);
	crp_report **r = parse_all(json, len, &n);
	crpb = tu_emit("crpb", r, n, stored, &clen);
	dump = hexdump((const unsigned char *)crpb, clen);
	snprintf(name, sizeof name, "%s.crpb.txt", golden_fixtures[_i]);
	path = tu_path(edir, name);
	if (getenv("CRP_REGEN_GOLDENS")) {
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(dump, f);
		fclose(f);
	}
	want = tu_read_file(path, &len);
	ck_assert_msg(want != NULL, "no golden %s (CRP_REGEN_GOLDENS=1 writes it)", path);
	ck_assert_msg(strcmp(dump, want) == 0, "%s: the CRPB layout changed; if deliberate, regenerate and review", path);
	free(want);
	free(path);
	free(dump);
	free(crpb);
	tu_free_reports(r, n);
	free(json);
	free(dir);
	free(edir);
}
END_TEST

/* -- the schema --------------------------------------------------------------------------- */

START_TEST(builtin_schema_is_what_this_build_writes)
{
	crp_allocator a;
	char *text;
	size_t len, blen;
	crp__allocator_init(&a, NULL);
	ck_assert_int_eq(crp__crpb_schema_text(&text, &len, &a), CRP_OK);
	const char *b = crp__crpb_builtin_schema(1, &blen);
	/* When this fails, the model's tables changed: files now carry their schema inline (still
	 * correct, 1-2 KB larger). Register the text below as builtin schema 2
	 * (converters/crpb/crpb_schema.c, Appendix B of schema/crpb-format.md) so files become small again. */
	ck_assert_msg(len == blen && memcmp(text, b, len) == 0, "the live schema differs from builtin 1:\n%s", text);
	a.free(a.ctx, text);
}
END_TEST

START_TEST(spec_appendix_is_builtin_schema_1)
{
	size_t len, blen;
	char *path = tu_path(CRP_SOURCE_DIR, "schema/crpb-format.md");
	char *spec = tu_read_file(path, &len);
	ck_assert_ptr_nonnull(spec);
	const char *app = strstr(spec, "## Appendix A. Builtin schema 1");
	ck_assert_ptr_nonnull(app);
	const char *start = strstr(app, "```\n");
	ck_assert_ptr_nonnull(start);
	start += 4;
	const char *end = strstr(start, "```\n");
	ck_assert_ptr_nonnull(end);
	const char *b = crp__crpb_builtin_schema(1, &blen);
	ck_assert_uint_eq((size_t)(end - start), blen);
	ck_assert(memcmp(start, b, blen) == 0);
	free(spec);
	free(path);
}
END_TEST

Suite *suite_crpb(void)
{
	Suite *s = suite_create("crpb");
	TCase *tc = tcase_create("crpb");
	tcase_set_timeout(tc, 900);
	load_names();
	atexit(free_names);
	tcase_add_loop_test(tc, round_trip_is_lossless_and_deterministic, 0, (int)(n_fixtures + n_corpus));
	tcase_add_test(tc, crc32_is_zlibs);
	tcase_add_test(tc, nested_recrash_times_agree_through_crpb);
	tcase_add_test(tc, archive_reads_any_report_alone);
	tcase_add_loop_test(tc, stream_reads_the_same_in_any_chunks, 0, 32);
	tcase_add_test(tc, reopen_reuses_a_handle);
	tcase_add_test(tc, options_give_other_files_with_the_same_content);
	tcase_add_test(tc, every_truncation_is_detected);
	tcase_add_test(tc, every_single_byte_corruption_is_detected);
	tcase_add_test(tc, damage_is_located);
	tcase_add_test(tc, not_crpb_and_newer_versions_are_refused);
	tcase_add_test(tc, limits_are_errors);
	tcase_add_test(tc, api_misuse);
	tcase_add_test(tc, empty_archive);
	tcase_add_test(tc, symbolication_round_trips);
	tcase_add_test(tc, fields_this_build_does_not_know_become_untyped_members);
	tcase_add_test(tc, arrays_read_by_columns_keep_values_and_paths);
	tcase_add_test(tc, absurd_counts_and_bombs_are_clear_errors);
	tcase_add_test(tc, bad_schemas_are_refused);
	tcase_add_test(tc, fuzz_seeds_decode);
	tcase_add_test(tc, unknown_sections_are_skipped_unless_required);
	tcase_add_loop_test(tc, stored_output_matches_its_golden, 0, (int)CRP_ARRAY_LEN(golden_fixtures));
	tcase_add_test(tc, builtin_schema_is_what_this_build_writes);
	tcase_add_test(tc, spec_appendix_is_builtin_schema_1);
	suite_add_tcase(s, tc);
	TCase *slow = tcase_create("crpb-alloc");
	tcase_set_timeout(slow, 900);
	tcase_set_tags(slow, "slow");
	tcase_add_test(slow, every_allocation_may_fail);
	suite_add_tcase(s, slow);
	return s;
}
