/* Apple output (converters/apple): .crash in both styles and .ips, checked against goldens byte
 * for byte, against the line rules of the three parsers that read .crash files
 * (../shared/docs/apple-format.md section 10), against KSCrash's own texts in the corpus (the
 * known differences are the table in converters/apple/README.md), and on the hard cases. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "model/model.h"
#include "testutil.h"

static char **names;
static size_t n_names;
static char **corpus;
static size_t n_corpus;
static char **apple_in; /* Apple input: fixtures/apple, then ../shared/corpus/apple */
static size_t n_apple_fx, n_apple_in;

/* -- helpers ------------------------------------------------------------------------------ */

static char *read_in(const char *dir, const char *name, size_t *len)
{
	char *path = tu_path(dir, name);
	char *data = tu_read_file(path, len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	free(path);
	return data;
}

static char *fixture_dir(const char *sub)
{
	return tu_path(tu_fixtures_dir(), sub);
}

/* Parse a file or a string; the reports must parse. */
static crp_report **parse(const char *json, size_t len, size_t *n)
{
	crp_report **r;
	crp_error e;
	ck_assert_msg(tu_read(json, len, 0, NULL, NULL, &r, n, &e) == CRP_OK, "parse: %s", e.message);
	return r;
}

static crp_report *parse_one(const char *json)
{
	size_t n;
	crp_report **r = parse(json, strlen(json), &n);
	ck_assert_uint_eq(n, 1);
	crp_report *one = r[0];
	free(r);
	return one;
}

static char *emit1(const char *format, crp_report *r, const char *param)
{
	const char *params[] = {param, NULL};
	return tu_emit(format, &r, 1, param ? params : NULL, NULL);
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static bool has_line_prefix(const char *text, const char *prefix)
{
	for (const char *p = text; (p = strstr(p, prefix)) != NULL; p++)
		if (p == text || p[-1] == '\n')
			return true;
	return false;
}

#define ASSERT_LINE(text, line) ck_assert_msg(has_line(text, line), "missing line: %s\n--- in:\n%s", line, text)
#define ASSERT_NO_LINE(text, line) ck_assert_msg(!has_line(text, line), "unexpected line: %s", line)

/* -- goldens ------------------------------------------------------------------------------ */

static const struct {
	const char *format, *param, *ext;
} outputs[] = {
	{"apple", NULL, ".crash"},
	{"apple", "style=kscrash", ".kscrash.crash"},
	{"ips", NULL, ".ips"},
};

/* _i = fixture * 3 + output */
START_TEST(fixture_matches_its_apple_golden)
{
	size_t fx = (size_t)_i / 3, k = (size_t)_i % 3;
	char *in_dir = fixture_dir("kscrash"), *ex_dir = fixture_dir("expected");
	size_t len, glen, olen, n;
	char *json = read_in(in_dir, names[fx], &len);
	char gname[256];
	snprintf(gname, sizeof gname, "%.*s%s", (int)(strrchr(names[fx], '.') - names[fx]), names[fx],
		 outputs[k].ext);
	char *golden = read_in(ex_dir, gname, &glen);
	crp_report **r = parse(json, len, &n);
	const char *params[] = {outputs[k].param, NULL};
	char *out = tu_emit(outputs[k].format, r, n, outputs[k].param ? params : NULL, &olen);
	ck_assert_msg(olen == glen && memcmp(out, golden, glen) == 0,
		      "%s differs from fixtures/expected/%s (regenerate deliberately with tests/regen-goldens.sh)",
		      names[fx], gname);
	/* deterministic: a second emission gives the same bytes */
	char *again = tu_emit(outputs[k].format, r, n, outputs[k].param ? params : NULL, NULL);
	ck_assert_str_eq(out, again);
	free(again);
	free(out);
	tu_free_reports(r, n);
	free(golden);
	free(json);
	free(in_dir);
	free(ex_dir);
}
END_TEST

/* -- the line rules of section 10 --------------------------------------------------------- */

enum { P_SENTRY, P_SYMBOLICATECRASH, P_LLDB, P_COUNT };
static const char *const parser_names[P_COUNT] = {"Sentry", "symbolicatecrash", "lldb"};

/* Our re-implementation of each parser's rule, one regex per line kind (POSIX ERE: the
 * parsers' lazy groups become greedy ones, which accept the same lines). */
static const char *const frame_rx[P_COUNT] = {
	"^([0-9]+)[[:space:]]+(.+)[[:space:]]+(0x[0-9a-fA-F]+)[[:space:]]+(.*)$",
	"^([0-9]+)[[:space:]]+(.+)[[:space:]]+(0x[0-9a-fA-F]+)[[:space:]]+(.*)$",
	("^([0-9]+)[[:space:]]+(.+)[[:space:]]+((\\(.+\\)|(arm|x86_)[0-9a-z]+)[[:space:]]+)?"
	 "(0x[0-9a-fA-F]{7}[0-9a-fA-F]+) +(.*)$"),
};
static const char *const image_rx[P_COUNT] = {
	("^[[:space:]]*(0x[0-9a-fA-F]+)[[:space:]]*-[[:space:]]*(0x[0-9a-fA-F]+)[[:space:]]+\\+?(.+)"
	 "[[:space:]]+([^[:space:]]+)[[:space:]]+(\\(([^)]+)\\))?[[:space:]]+<([^>]+)>[[:space:]]+(.+)$"),
	("^[[:space:]]*(0x[0-9A-Fa-f]+)[[:space:]]*-[[:space:]]*(0x[0-9A-Fa-f]+)[[:space:]]+\\+?(.+)"
	 "[[:space:]]+(armv[4-8][tfsk]?|arm64[^[:space:]]*|i386|x86_64[^[:space:]]*)[[:space:]]+"
	 "(<[0-9a-fA-F]{32}>[[:space:]]+)?(/.*)$"),
	("(0x[0-9a-fA-F]+)[[:space:]]+-[[:space:]]+(0x[0-9a-fA-F]+)[[:space:]]+[+]?(.+)[[:space:]]+"
	 "((\\(.+\\)|(arm|x86_)[0-9a-z]+)[[:space:]]+)?(<([-0-9a-fA-F]+)>[[:space:]]+)?(/.*|\\?+)$"),
};
static const char *const thread_rx[P_COUNT] = {
	"^Thread ([0-9]+)( Crashed)?:(.*)$",
	"^Thread[[:space:]]+[0-9]+([[:space:]]+(Crashed|Highlighted))?:",
	"^Thread ([0-9]+)([^:]*):(.*)$",
};

typedef struct rules {
	regex_t frame[P_COUNT], image[P_COUNT], thread[P_COUNT];
	regex_t name, header, date, uuid, regs, process, electron;
} rules;

static void rx(regex_t *r, const char *pattern)
{
	int rc = regcomp(r, pattern, REG_EXTENDED | REG_NOSUB);
	ck_assert_msg(rc == 0, "bad regex %s", pattern);
}

static void rules_init(rules *ru)
{
	for (int p = 0; p < P_COUNT; p++) {
		rx(&ru->frame[p], frame_rx[p]);
		rx(&ru->image[p], image_rx[p]);
		rx(&ru->thread[p], thread_rx[p]);
	}
	rx(&ru->name, "^Thread ([0-9]+) name:[[:space:]]+(.*)$");
	rx(&ru->header, "^[^[:space:]][^:]*:[[:space:]]*.*$");
	rx(&ru->date, "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)? [+-][0-9]{4}$");
	rx(&ru->uuid, "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$");
	rx(&ru->regs, "^([[:space:]]*[a-z0-9]+: 0x[0-9a-f]+)+( .*)?$");
	/* lldb splits "Process:" at " [" into a name and a number: without both it drops the
	 * report (issue 14.1) */
	rx(&ru->process, "^Process:[[:space:]]+[^[]*[^ []* \\[-?[0-9]+\\]$");
	/* @electron/symbolicate-mac's image rule (macOS lines: "name (version) <UUID> path") */
	rx(&ru->electron, "^[[:space:]]*0x[0-9a-fA-F]+[[:space:]]+-[[:space:]]+0x[0-9a-fA-F]+[[:space:]]+\\+?"
			  "[^[:space:]]+[[:space:]]+\\([^)]+\\)[[:space:]]+<[0-9a-fA-F-]+>[[:space:]]+.+$");
}

static void rules_free(rules *ru)
{
	for (int p = 0; p < P_COUNT; p++) {
		regfree(&ru->frame[p]);
		regfree(&ru->image[p]);
		regfree(&ru->thread[p]);
	}
	regfree(&ru->name);
	regfree(&ru->header);
	regfree(&ru->date);
	regfree(&ru->uuid);
	regfree(&ru->regs);
	regfree(&ru->process);
	regfree(&ru->electron);
}

static bool match(const regex_t *r, const char *s)
{
	return regexec(r, s, 0, NULL, 0) == 0;
}

/* What the checker counted in one .crash text. */
typedef struct census {
	size_t threads, frames, images, images_symbolicatecrash;
	bool report_version, binary_images, os_dotted;
	bool mac;        /* macOS's layout: only lldb and macOS tools read it (README, issue 14.7) */
} census;

enum section { S_HEADER, S_ASI, S_FRAMES, S_STATE, S_IMAGES, S_END };

static void check_header(const rules *ru, const char *line, census *c, const char *what)
{
	ck_assert_msg(match(&ru->header, line), "%s: header line fails Sentry's key: value rule: %s", what, line);
	const char *v = strchr(line, ':') + 1;
	while (*v == ' ')
		v++;
	if (strncmp(line, "Incident Identifier:", 20) == 0)
		ck_assert_msg(match(&ru->uuid, v), "%s: Sentry needs a UUID: %s", what, line);
	if (strncmp(line, "Date/Time:", 10) == 0 || strncmp(line, "Launch Time:", 12) == 0)
		ck_assert_msg(match(&ru->date, v), "%s: Sentry's date rule: %s", what, line);
	if (strncmp(line, "Report Version:", 15) == 0) {
		c->mac = strcmp(v, "12") == 0;
		ck_assert_msg(c->mac || strcmp(v, "104") == 0, "%s: symbolicatecrash accepts 102-105: %s", what, line);
		c->report_version = true;
	}
	if (strncmp(line, "Process:", 8) == 0)
		ck_assert_msg(match(&ru->process, line), "%s: lldb needs \"name [pid]\": %s", what, line);
	if (strncmp(line, "OS Version:", 11) == 0)
		for (const char *p = v; *p; p++)
			if (p[0] >= '0' && p[0] <= '9' && p[1] == '.' && p[2] >= '0' && p[2] <= '9')
				c->os_dotted = true;
}

static void check_frame(const rules *ru, const char *line, census *c, const char *what)
{
	for (int p = 0; p < P_COUNT; p++)
		ck_assert_msg(match(&ru->frame[p], line), "%s: frame line fails %s: %s", what, parser_names[p], line);
	c->frames++;
}

static void check_image(const rules *ru, const char *line, census *c, const char *what)
{
	if (c->mac) {
		ck_assert_msg(match(&ru->image[P_LLDB], line), "%s: image line fails lldb: %s", what, line);
		ck_assert_msg(match(&ru->electron, line), "%s: image line fails symbolicate-mac: %s", what, line);
		c->images++;
		return;
	}
	ck_assert_msg(match(&ru->image[P_SENTRY], line), "%s: image line fails Sentry: %s", what, line);
	ck_assert_msg(match(&ru->image[P_LLDB], line), "%s: image line fails lldb: %s", what, line);
	ck_assert_msg(!strstr(line, "<(null)>") && !strstr(line, "<?" "?" "?>"), "%s: Sentry rejects %s", what, line);
	unsigned long long lo = strtoull(line, NULL, 16), hi = strtoull(strstr(line, " - ") + 3, NULL, 16);
	ck_assert_msg(hi >= lo, "%s: Sentry rejects an end below the start: %s", what, line);
	if (match(&ru->image[P_SYMBOLICATECRASH], line))
		c->images_symbolicatecrash++;
	c->images++;
}

/* Thread lines may come anywhere a section can start. */
static bool thread_line(const rules *ru, const char *line, enum section *s, census *c, const char *what)
{
	if (strncmp(line, "Thread ", 7) != 0)
		return false;
	if (strstr(line, " crashed with ")) {
		*s = S_STATE;
		return true;
	}
	if (match(&ru->name, line)) {
		ck_assert_msg(match(&ru->thread[P_LLDB], line), "%s: lldb: %s", what, line);
		return true;
	}
	for (int p = 0; p < P_COUNT; p++)
		ck_assert_msg(match(&ru->thread[p], line), "%s: thread header fails %s: %s", what, parser_names[p], line);
	c->threads++;
	*s = S_FRAMES;
	return true;
}

static void check_line(const rules *ru, const char *line, enum section *s, census *c, const char *what)
{
	if (!line[0]) {
		*s = *s == S_END ? S_END : S_HEADER;
		return;
	}
	if (thread_line(ru, line, s, c, what))
		return;
	if (strcmp(line, "Binary Images:") == 0) {
		c->binary_images = true;
		*s = S_IMAGES;
	} else if (strcmp(line, "Application Specific Information:") == 0) {
		*s = S_ASI;
	} else if (strcmp(line, "Last Exception Backtrace:") == 0 ||
		   strncmp(line, "Application Specific Backtrace ", 31) == 0) {
		*s = S_FRAMES;
	} else if (strcmp(line, "EOF") == 0) {
		*s = S_END;
	} else if (*s == S_HEADER) {
		check_header(ru, line, c, what);
	} else if (*s == S_FRAMES) {
		check_frame(ru, line, c, what);
	} else if (*s == S_IMAGES) {
		check_image(ru, line, c, what);
	} else if (*s == S_STATE) {
		bool trailer = strncmp(line, "Error Code:", 11) == 0 || strncmp(line, "Trap Number:", 12) == 0 ||
			       strncmp(line, "Logical CPU:", 12) == 0 || strcmp(line, "  ") == 0;
		ck_assert_msg(trailer || match(&ru->regs, line), "%s: register line: %s", what, line);
	} else if (*s == S_END) {
		ck_assert_msg(0, "%s: text after EOF: %s", what, line);
	}
}

static census check_text(const rules *ru, const char *text, const char *what)
{
	census c = {0};
	enum section s = S_HEADER;
	const char *p = text;
	char line[8192];
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		ck_assert_msg(n < sizeof line, "%s: line too long for the checker", what);
		memcpy(line, p, n);
		line[n] = '\0';
		ck_assert_msg(!strchr(line, '\r'), "%s: carriage return in %s", what, line);
		check_line(ru, line, &s, &c, what);
		p += n + (nl != NULL);
	}
	ck_assert_msg(c.report_version && c.binary_images, "%s: symbolicatecrash needs Report Version "
		      "and Binary Images", what);
	return c;
}

/* An arch symbolicatecrash knows (armv4-8 with a suffix, arm64..., i386, x86_64...). */
static bool sc_arch(const crp_image *im)
{
	const char *a = CRP_HAS(im, CRP_IMAGE_CPU_TYPE) ? crp_arch_name(im->cpu_type, im->cpu_subtype) : NULL;
	return a && ((strncmp(a, "armv", 4) == 0 && a[4] >= '4' && a[4] <= '8') || strncmp(a, "arm64", 5) == 0 ||
		     strcmp(a, "i386") == 0 || strncmp(a, "x86_64", 6) == 0);
}

/* What the report says the text must hold. */
static void expect_census(const crp_report *r, const census *c, const char *what)
{
	const crp_report *main = crp_report_recrash(r) ? crp_report_recrash(r) : r;
	const crp_crash *cr = crp_report_crash(main);
	size_t n_images, frames = 0, threads = cr->thread_count, sc_images = 0;
	const crp_image *im = crp_report_images(main, &n_images);
	for (size_t i = 0; i < cr->thread_count; i++)
		frames += CRP_HAS(&cr->threads[i], CRP_THREAD_BACKTRACE) ? cr->threads[i].backtrace.frame_count : 0;
	const crp_thread *only = crp_report_crashed_thread(main, NULL);
	if (!threads && only) {
		threads = 1;
		frames += only->backtrace.frame_count;
	}
	for (size_t i = 0; i < n_images; i++)
		sc_images += CRP_HAS(&im[i], CRP_IMAGE_NAME) && im[i].name[0] == '/' && sc_arch(&im[i]);
	ck_assert_msg(c->threads == threads, "%s: %zu thread headers for %zu threads", what, c->threads, threads);
	ck_assert_msg(c->images == n_images, "%s: %zu image lines for %zu images", what, c->images, n_images);
	ck_assert_msg(c->frames >= frames, "%s: %zu frame lines for %zu frames", what, c->frames, frames);
	/* symbolicatecrash skips images without an absolute path or a known arch, nothing else */
	ck_assert_msg(c->mac || c->images_symbolicatecrash >= sc_images, "%s: symbolicatecrash reads %zu of %zu "
		      "images", what, c->images_symbolicatecrash, sc_images);
	if (crp_report_system(main)->system_version && strchr(crp_report_system(main)->system_version, '.'))
		ck_assert_msg(c->os_dotted, "%s: symbolicatecrash needs a dotted OS Version", what);
}

static void check_file(const char *dir, const char *name)
{
	rules ru;
	size_t len, n;
	char *json = read_in(dir, name, &len);
	crp_report **r = parse(json, len, &n);
	rules_init(&ru);
	for (size_t i = 0; i < n; i++) {
		char what[300];
		snprintf(what, sizeof what, "%s, report %zu", name, i);
		char *text = emit1("apple", r[i], NULL);
		census c = check_text(&ru, text, what);
		expect_census(r[i], &c, what);
		free(text);
	}
	rules_free(&ru);
	tu_free_reports(r, n);
	free(json);
}

START_TEST(fixture_follows_the_line_rules)
{
	char *dir = fixture_dir("kscrash");
	check_file(dir, names[_i]);
	free(dir);
}
END_TEST

START_TEST(corpus_report_follows_the_line_rules)
{
	check_file(tu_corpus_dir(), corpus[_i]);
}
END_TEST

/* -- Apple input: what consumers need of the text -------------------------------------------- */

/* A report read from Apple's own text or .ips is written back in Apple's layout, sections and
 * all, so the whole-text rules above (made for KSCrash input) do not apply. What the consumers
 * need still must hold: lldb's Process rule (14.1), an Incident Identifier in the iOS layout
 * (14.2), lldb's thread headers, and image lines lldb and Sentry read, or in macOS's layout
 * lldb and @electron/symbolicate-mac (14.7); one line per image. */
static void check_apple_origin(const rules *ru, const char *text, size_t images, const char *what)
{
	bool in_images = false, mac = false;
	size_t n_images = 0;
	char line[8192];
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		ck_assert_msg(n < sizeof line, "%s: line too long for the checker", what);
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + (p[n] != '\0');
		if (strcmp(line, "Binary Images:") == 0) {
			in_images = true;
		} else if (in_images && (!line[0] || strcmp(line, "EOF") == 0)) {
			in_images = false;
		} else if (in_images) {
			/* a path Apple itself wrote relative ("> cl_kernels") stays so: lldb skips that
			 * line in Apple's text too */
			const char *gt = strrchr(line, '>');
			bool relative = gt && gt[1] == ' ' && gt[2] != '/' && gt[2] != '?';
			ck_assert_msg(relative || match(&ru->image[P_LLDB], line), "%s: image line fails lldb: %s", what, line);
			ck_assert_msg(match(mac ? &ru->electron : &ru->image[P_SENTRY], line), "%s: image line fails %s: %s",
				      what, mac ? "symbolicate-mac" : "Sentry", line);
			n_images++;
		} else if (strncmp(line, "Report Version:", 15) == 0) {
			mac = strcmp(line + 15 + strspn(line + 15, " "), "12") == 0;
		} else if (strncmp(line, "Process:", 8) == 0) {
			ck_assert_msg(match(&ru->process, line), "%s: lldb needs \"name [pid]\": %s", what, line);
		} else if (strncmp(line, "Thread ", 7) == 0 && line[7] >= '0' && line[7] <= '9' &&
			   !strstr(line, " crashed with ") && !match(&ru->name, line)) {
			ck_assert_msg(match(&ru->thread[P_LLDB], line), "%s: lldb: %s", what, line);
		}
	}
	ck_assert_msg(mac || has_line_prefix(text, "Incident Identifier: "), "%s: no Incident Identifier", what);
	ck_assert_msg(n_images >= images, "%s: %zu image lines for %zu images", what, n_images, images);
}

START_TEST(apple_input_keeps_the_consumers_rules)
{
	rules ru;
	size_t len, n;
	const char *dir = (size_t)_i < n_apple_fx ? NULL : tu_apple_corpus_dir();
	char *fx = fixture_dir("apple");
	char *data = read_in(dir ? dir : fx, apple_in[_i], &len);
	crp_report **r = parse(data, len, &n);
	rules_init(&ru);
	for (size_t i = 0; i < n; i++) {
		char what[300];
		size_t images;
		snprintf(what, sizeof what, "%s, report %zu", apple_in[_i], i);
		crp_report_images(r[i], &images);
		char *text = emit1("apple", r[i], NULL);
		check_apple_origin(&ru, text, images, what);
		free(text);
	}
	rules_free(&ru);
	tu_free_reports(r, n);
	free(data);
	free(fx);
}
END_TEST

/* -- .ips: valid JSON, every thread and image --------------------------------------------- */

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* Header line and body are two JSON texts; each must be complete and valid. */
static void assert_json(const char *text, size_t len, const char *what)
{
	yajl_handle h = yajl_alloc(NULL, NULL, NULL);
	yajl_status st = yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	ck_assert_msg(st == yajl_status_ok, "%s: not JSON", what);
	yajl_free(h);
}

static void check_ips(const char *dir, const char *name)
{
	size_t len, n;
	char *json = read_in(dir, name, &len);
	crp_report **r = parse(json, len, &n);
	for (size_t i = 0; i < n; i++) {
		char *out = emit1("ips", r[i], NULL);
		char *nl = strchr(out, '\n');
		ck_assert_ptr_nonnull(nl);
		assert_json(out, (size_t)(nl - out), name);
		assert_json(nl + 1, strlen(nl + 1), name);
		ck_assert_ptr_nonnull(strstr(out, "\"bug_type\":\"309\""));
		const crp_report *main = crp_report_recrash(r[i]) ? crp_report_recrash(r[i]) : r[i];
		size_t images;
		crp_report_images(main, &images);
		const crp_crash *c = crp_report_crash(main);
		/* a report without threads gets one empty stand-in: lldb's parser needs one (14.3) */
		size_t threads = c->thread_count ? c->thread_count : 1;
		const char *tl = strstr(out, "\n  \"threads\" : [");
		ck_assert_ptr_nonnull(tl);
		char *tline = strndup(tl + 1, strcspn(tl + 1, "\n"));
		ck_assert_uint_eq(count(tline, "\"frames\":"), threads);
		free(tline);
		/* one line per image; the writer adds Apple's placeholder ("A") when a frame is
		 * outside every image, an .ips read may have one of its own among its images */
		size_t placeholder = count(out, "\"source\" : \"A\""), listed = count(out, "\"source\" : \"P\"");
		ck_assert_msg(listed == images || listed + placeholder == images, "%s: %zu image entries for %zu images",
			      name, listed + placeholder, images);
		ck_assert_uint_le(placeholder, 1);
		free(out);
	}
	tu_free_reports(r, n);
	free(json);
}

START_TEST(fixture_ips_is_json_with_every_thread_and_image)
{
	char *dir = fixture_dir("kscrash");
	check_ips(dir, names[_i]);
	free(dir);
}
END_TEST

START_TEST(corpus_ips_is_json_with_every_thread_and_image)
{
	check_ips(tu_corpus_dir(), corpus[_i]);
}
END_TEST

START_TEST(apple_input_ips_is_json_with_every_thread_and_image)
{
	char *fx = fixture_dir("apple");
	check_ips((size_t)_i < n_apple_fx ? fx : tu_apple_corpus_dir(), apple_in[_i]);
	free(fx);
}
END_TEST

/* -- style kscrash against KSCrash's own texts -------------------------------------------- */

/* Line-diff hunks (longest common subsequence), as "a[-b]" ranges of 1-based line numbers
 * ("a+0" for an empty range after line a). */
typedef struct lines {
	char **v;
	size_t n;
} lines;

static lines split(const char *text)
{
	lines l = {NULL, 0};
	size_t cap = 0;
	for (const char *p = text; *p;) {
		size_t k = strcspn(p, "\n");
		if (l.n == cap)
			l.v = realloc(l.v, (cap = cap ? cap * 2 : 256) * sizeof *l.v);
		l.v[l.n++] = strndup(p, k);
		p += k + (p[k] == '\n');
	}
	return l;
}

static void lines_free(lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void range(char *out, size_t cap, size_t start, size_t len)
{
	if (!len)
		snprintf(out, cap, "%zu+0", start);
	else if (len == 1)
		snprintf(out, cap, "%zu", start + 1);
	else
		snprintf(out, cap, "%zu-%zu", start + 1, start + len);
}

/* Appends "corpus_range our_range\n" for every hunk to out. */
static void diff_hunks(const lines *a, const lines *b, char *out, size_t cap)
{
	size_t w = b->n + 1;
	unsigned *t = calloc((a->n + 1) * w, sizeof *t);
	for (size_t i = a->n; i-- > 0;)
		for (size_t j = b->n; j-- > 0;)
			t[i * w + j] = strcmp(a->v[i], b->v[j]) == 0 ? t[(i + 1) * w + j + 1] + 1
				: t[(i + 1) * w + j] > t[i * w + j + 1] ? t[(i + 1) * w + j] : t[i * w + j + 1];
	size_t i = 0, j = 0;
	out[0] = '\0';
	while (i < a->n || j < b->n) {
		if (i < a->n && j < b->n && strcmp(a->v[i], b->v[j]) == 0) {
			i++, j++;
			continue;
		}
		size_t i0 = i, j0 = j;
		while ((i < a->n || j < b->n) && !(i < a->n && j < b->n && strcmp(a->v[i], b->v[j]) == 0)) {
			if (j == b->n || (i < a->n && t[(i + 1) * w + j] >= t[i * w + j + 1]))
				i++;
			else
				j++;
		}
		char ra[32], rb[32];
		range(ra, sizeof ra, i0, i - i0);
		range(rb, sizeof rb, j0, j - j0);
		size_t used = strlen(out);
		snprintf(out + used, cap - used, "%s %s\n", ra, rb);
	}
	free(t);
}

/* The known differences: the table between the markers in converters/apple/README.md, rows
 * "| text | input | corpus lines | our lines | why |". Returns the expected hunks of text
 * (and its input) in out. */
static const char *known_diffs(const char *readme, const char *marker, const char *text, char *input, size_t icap,
			       char *out, size_t cap)
{
	const char *p = strstr(readme, marker), *end = p ? strstr(p, "<!-- end -->") : NULL;
	ck_assert_msg(p && end, "README.md lacks the table %s", marker);
	out[0] = input[0] = '\0';
	while ((p = strstr(p, "\n| ")) != NULL && p < end) {
		char cell[5][256];
		const char *q = p + 1;
		int k = 0;
		for (; k < 5 && *q == '|'; k++) {
			q++;
			size_t n = strcspn(q, "|\n");
			snprintf(cell[k], sizeof cell[k], "%.*s", (int)n, q);
			char *c = cell[k];
			while (*c == ' ' || *c == '`')
				memmove(c, c + 1, strlen(c));
			for (size_t m = strlen(c); m && (c[m - 1] == ' ' || c[m - 1] == '`');)
				c[--m] = '\0';
			q += n;
		}
		p++;
		if (k == 5 && strcmp(cell[0], text) == 0) {
			snprintf(input, icap, "%s", cell[1]);
			size_t used = strlen(out);
			snprintf(out + used, cap - used, "%s %s\n", cell[2], cell[3]);
		}
	}
	return out;
}

START_TEST(kscrash_style_reproduces_the_corpus_texts)
{
	size_t rlen;
	char *readme_path = tu_path(CRP_SOURCE_DIR, "converters/apple");
	char *readme = read_in(readme_path, "README.md", &rlen);
	char **texts;
	size_t n = tu_list(tu_corpus_dir(), ".apple.txt", &texts), exact = 0;
	ck_assert_uint_ge(n, 9);
	for (size_t i = 0; i < n; i++) {
		char input[256], expected[4096], got[4096];
		known_diffs(readme, "<!-- kscrash-corpus-diffs -->", texts[i], input, sizeof input, expected,
			    sizeof expected);
		if (!input[0]) { /* not in the table: the input has the same stem, no difference */
			snprintf(input, sizeof input, "%.*s.json", (int)(strlen(texts[i]) - 10), texts[i]);
			exact++;
		}
		size_t tlen, jlen;
		char *want = read_in(tu_corpus_dir(), texts[i], &tlen);
		char *json = read_in(tu_corpus_dir(), input, &jlen);
		crp_report *r = parse_one(json);
		char *ours = emit1("apple", r, "style=kscrash");
		lines a = split(want), b = split(ours);
		diff_hunks(&a, &b, got, sizeof got);
		ck_assert_msg(strcmp(got, expected) == 0, "%s: differences\n%s\nare not the documented\n%s",
			      texts[i], got, expected);
		/* the last line of KSCrash's text has no newline when it is the recrash diagnosis */
		ck_assert_int_eq(want[tlen - 1] == '\n', ours[strlen(ours) - 1] == '\n');
		lines_free(&a);
		lines_free(&b);
		free(ours);
		crp_report_free(r);
		free(json);
		free(want);
	}
	ck_assert_uint_ge(exact, 8); /* every text KSCrash itself wrote is reproduced exactly */
	tu_free_names(texts);
	free(readme);
	free(readme_path);
}
END_TEST

/* Apple's own .ips -> .crash translations: every Apple-made pair of the corpus (and SYM's) is
 * reproduced line for line, but for the differences the table in converters/apple/README.md
 * lists; a listed difference that disappears fails too. The .crash may begin with the
 * metadata line its .ips begins with (Xcode's export): that line is not compared. */
START_TEST(apple_pairs_are_reproduced)
{
	static const char *const pairs[][2] = {
		{"macsym_2022_ios-crash.crash", "macsym_2022_ios-crash.ips"},
		{"macsym_2022_single-target-crash.crash", "macsym_2022_single-target-crash.ips"},
		{"macsym_2022_multi-target-crash.crash", "macsym_2022_multi-target-crash.ips"},
		{"sym_ios15.2-bugtype309_converted-by-SYM.crash", "sym_ios15.2-bugtype309.ips"},
		{"macsym_ios-crash-with-json-header.crash", "macsym_ios-crash-in-ips-format.ips"},
		{"macsym_ios-crash-without-json-header.crash", "macsym_ios-crash-in-ips-format.ips"}};
	size_t rlen, exact = 0;
	char *readme_path = tu_path(CRP_SOURCE_DIR, "converters/apple");
	char *readme = read_in(readme_path, "README.md", &rlen);
	for (size_t i = 0; i < CRP_ARRAY_LEN(pairs); i++) {
		char input[256], expected[4096], got[4096];
		size_t tlen, ilen, n;
		char *want = read_in(tu_apple_corpus_dir(), pairs[i][0], &tlen);
		char *ips = read_in(tu_apple_corpus_dir(), pairs[i][1], &ilen);
		known_diffs(readme, "<!-- apple-pair-diffs -->", pairs[i][0], input, sizeof input, expected,
			    sizeof expected);
		crp_report **r;
		crp_error e;
		ck_assert_msg(tu_read(ips, ilen, 0, NULL, NULL, &r, &n, &e) == CRP_OK, "%s: %s", pairs[i][1], e.message);
		ck_assert_uint_eq(n, 1);
		char *ours = emit1("apple", r[0], NULL);
		const char *text = want[0] == '{' ? strchr(want, '\n') + 1 : want;
		lines a = split(text), b = split(ours);
		diff_hunks(&a, &b, got, sizeof got);
		ck_assert_msg(strcmp(got, expected) == 0, "%s: differences\n%s\nare not the documented\n%s",
			      pairs[i][0], got, expected);
		exact += !expected[0];
		lines_free(&a);
		lines_free(&b);
		free(ours);
		tu_free_reports(r, n);
		free(ips);
		free(want);
	}
	ck_assert_uint_ge(exact, 4); /* the pairs Apple made: identical */
	free(readme);
	free(readme_path);
}
END_TEST

START_TEST(corpus_absent)
{
	fprintf(stderr, "note: ../shared/corpus not found; Apple corpus tests skipped\n");
}
END_TEST

/* -- hard cases --------------------------------------------------------------------------- */

/* An arm64e report: PAC bits in frame addresses and the fault address, an image whose subtype
 * carries the ABI flag, images without address, UUID or path, a mangled C++ symbol, a thread
 * name trying to inject lines, the report's own time zone. */
static const char hard_json[] =
	"{\"report\":{\"version\":\"3.4.1\",\"id\":\"11111111-2222-4333-8444-555555555555\","
	"\"process_name\":\"App\",\"timestamp\":1700000000123456,\"type\":\"standard\"},"
	"\"system\":{\"system_name\":\"iOS\",\"system_version\":\"17.0\",\"os_version\":\"21A329\","
	"\"CFBundleExecutablePath\":\"/var/App.app/App\",\"CFBundleIdentifier\":\"com.x\","
	"\"cpu_arch\":\"arm64e\",\"binary_cpu_type\":16777228,\"binary_cpu_subtype\":2,"
	"\"time_zone\":\"GMT+5:30\",\"process_name\":\"App\",\"process_id\":7},"
	"\"binary_images\":[{\"image_addr\":4295000064,\"image_size\":65536,\"name\":\"/var/App.app/App\","
	"\"uuid\":\"AABBCCDD-EEFF-3011-8233-445566778899\",\"cpu_type\":16777228,\"cpu_subtype\":-2147483646},"
	"{\"image_addr\":4296000000,\"image_size\":4096,\"cpu_type\":16777228,\"cpu_subtype\":0},"
	"{\"name\":\"/usr/lib/libnoaddr.dylib\",\"uuid\":\"00112233-4455-6677-8899-AABBCCDDEEFF\"}],"
	"\"crash\":{\"error\":{\"mach\":{\"exception\":1,\"code\":1,\"subcode\":54043195528450612},"
	"\"signal\":{\"signal\":11},\"address\":54043195528450612,\"type\":\"mach\"},"
	"\"threads\":[{\"index\":0,\"crashed\":true,\"name\":\"evil\\nBinary Images:\\n0x0 - 0x1 x arm64  "
	"<00000000000000000000000000000000> /x\",\"backtrace\":{\"contents\":["
	"{\"instruction_addr\":4295000164},{\"instruction_addr\":70373039210752},{\"instruction_addr\":-4},"
	"{\"instruction_addr\":4295000200,\"object_name\":\"App\",\"object_addr\":4295000064,"
	"\"symbol_name\":\"_ZN3foo3barEv\",\"symbol_addr\":4295000192},{\"instruction_addr\":4296000100}]},"
	"\"registers\":{\"basic\":{\"x0\":1,\"lr\":5850293224131488452,\"pc\":4295000164,\"sp\":6000000000,"
	"\"fp\":6000000100,\"cpsr\":1610616832},\"exception\":{\"far\":54043195528450612,\"esr\":2449473542}}},"
	"{\"index\":1,\"dispatch_queue\":\"q\\u0007\"}]}}";

START_TEST(arm64e_pointer_authentication_and_odd_images)
{
	crp_report *r = parse_one(hard_json);
	char *out = emit1("apple", r, NULL);
	/* arch names mask the subtype's capability bits; PAC bits are stripped only from code */
	ASSERT_LINE(out, "0x100008000 - 0x100017fff +App arm64e  <aabbccddeeff30118233445566778899> /var/App.app/App");
	ASSERT_LINE(out, "1   App                           \t0x0000000100010100 0x100008000 + 33024");
	ASSERT_LINE(out, "2   ???                           \t0x0000000ffffffffc 0x0 + 68719476732");
	ASSERT_LINE(out, "    sp: 0x0000000165a0bc00   pc: 0x0000000100008064 cpsr: 0x60001000");
	ASSERT_LINE(out, "    fp: 0x0000000165a0bc64   lr: 0x51306ab0f03b6ac4");
	ASSERT_LINE(out, "Exception Subtype: KERN_INVALID_ADDRESS at 0x00c0000000001234 -> 0x0000000000001234 "
			 "(possible pointer authentication failure)");
	ASSERT_LINE(out, "   far: 0x00c0000000001234  esr: 0x92000006 (Data Abort) byte read Translation fault");
	/* images without a path, a UUID or an address */
	ASSERT_LINE(out, "0x1000fc200 - 0x1000fd1ff ??? arm64  <00000000000000000000000000000000> ???");
	ASSERT_LINE(out, "0x0 - 0x0 libnoaddr.dylib arm64e  <00112233445566778899aabbccddeeff> /usr/lib/libnoaddr.dylib");
	ASSERT_LINE(out, "4   ???                           \t0x00000001000fc264 0x1000fc200 + 100");
	/* demangled C++, the report's time zone, injected lines escaped */
	ASSERT_LINE(out, "3   App                           \t0x0000000100008088 foo::bar() + 8");
	ASSERT_LINE(out, "Date/Time:           2023-11-15 03:43:20.1234 +0530");
	ASSERT_LINE(out, "Thread 0 name:  evil\\nBinary Images:\\n0x0 - 0x1 x arm64  "
			 "<00000000000000000000000000000000> /x");
	ASSERT_LINE(out, "Thread 1 name:  Dispatch queue: q\\x07");
	ck_assert_uint_eq(count(out, "\nBinary Images:\n"), 1);
	free(out);
	/* KSCrash's style keeps its (null)s but fixes its arm64e name (KSCrash issue #403) */
	out = emit1("apple", r, "style=kscrash");
	ASSERT_LINE(out, "0x100008000 - 0x100017fff App arm64e  <aabbccddeeff30118233445566778899> /var/App.app/App");
	ASSERT_LINE(out, "0x1000fc200 - 0x1000fd1ff (null) arm64  <(null)> (null)");
	ck_assert_uint_eq(count(out, "\nBinary Images:\n"), 1);
	free(out);
	crp_report_free(r);
}
END_TEST

/* Frames symbolicated by crashport: one line per inlined function, innermost first, at the
 * frame's address; the .ips marks the inlined ones. */
START_TEST(symbolicated_frames_with_inlining)
{
	crp_report *r = parse_one(hard_json);
	crp_frame *fr = (crp_frame *)&crp_report_crash(r)->threads[0].backtrace.frames[0];
	crp_symloc *locs = crp__arena_calloc(&r->arena, 2 * sizeof *locs);
	crp_symbolication *sy = crp__arena_calloc(&r->arena, sizeof *sy);
	locs[0] = (crp_symloc){"inlined()", "/src/a.swift", 12, 3};
	locs[1] = (crp_symloc){"_ZN5outer3runEv", "/src/deep/b.cpp", 40, 0};
	*sy = (crp_symbolication){CRP_SYMSRC_DWARF, 0, "/x.dSYM", 0x8064, 0x100008050, NULL, locs, 2, 0x14};
	fr->symbolicated = sy;
	/* a frame whose symbolication has no file: no parentheses */
	crp_frame *f2 = (crp_frame *)&crp_report_crash(r)->threads[0].backtrace.frames[1];
	crp_symloc *l2 = crp__arena_calloc(&r->arena, sizeof *l2);
	crp_symbolication *s2 = crp__arena_calloc(&r->arena, sizeof *s2);
	*l2 = (crp_symloc){"plain", NULL, 0, 0};
	*s2 = (crp_symbolication){CRP_SYMSRC_SYMTAB, CRP_SYM_PAC_STRIPPED, "/x", 0x10100, 0x100010000, NULL, l2, 1, 0x100};
	f2->symbolicated = s2;
	char *out = emit1("apple", r, NULL);
	ASSERT_LINE(out, "0   App                           \t0x0000000100008064 inlined() + 20 (a.swift:12)");
	ASSERT_LINE(out, "1   App                           \t0x0000000100008064 outer::run() + 20 (b.cpp:40)");
	ASSERT_LINE(out, "2   App                           \t0x0000000100010100 plain + 256");
	ASSERT_LINE(out, "3   ???                           \t0x0000000ffffffffc 0x0 + 68719476732");
	free(out);
	out = emit1("ips", r, NULL);
	ck_assert_ptr_nonnull(strstr(out, "{\"imageOffset\":100,\"symbol\":\"inlined()\",\"symbolLocation\":20,"
					  "\"imageIndex\":0,\"sourceFile\":\"a.swift\",\"sourceLine\":12,\"inline\":\"true\"},"
					  "{\"imageOffset\":100,\"symbol\":\"outer::run()\",\"symbolLocation\":20,"
					  "\"imageIndex\":0,\"sourceFile\":\"b.cpp\",\"sourceLine\":40}"));
	free(out);
	rules ru;
	rules_init(&ru);
	out = emit1("apple", r, NULL);
	census c = check_text(&ru, out, "symbolicated");
	ck_assert_uint_eq(c.frames, 6);
	rules_free(&ru);
	free(out);
	crp_report_free(r);
}
END_TEST

/* 32-bit widths come from the report's CPU, never from the host. */
START_TEST(widths_follow_the_report_cpu)
{
	crp_report *r = parse_one(
		"{\"report\":{\"version\":\"3.2.0\",\"id\":\"A1B2C3D4-0000-4000-8000-000000000001\",\"type\":\"standard\"},"
		"\"system\":{\"cpu_arch\":\"armv7\",\"CFBundleExecutablePath\":\"/A.app/A\"},"
		"\"binary_images\":[{\"image_addr\":16384,\"image_size\":8192,\"name\":\"/A.app/A\",\"cpu_type\":12,"
		"\"cpu_subtype\":11}],\"crash\":{\"error\":{\"mach\":{\"exception\":1,\"code\":2,\"subcode\":48},"
		"\"signal\":{\"signal\":10},\"address\":48},\"threads\":[{\"crashed\":true,\"backtrace\":{\"contents\":"
		"[{\"instruction_addr\":16400}]},\"registers\":{\"basic\":{\"r0\":1,\"r1\":2,\"r2\":3,\"r3\":4,\"sp\":5,"
		"\"lr\":6,\"pc\":16400,\"cpsr\":16}}}]}}");
	char *out = emit1("apple", r, NULL);
	ASSERT_LINE(out, "Exception Type:  EXC_BAD_ACCESS (SIGBUS)");
	ASSERT_LINE(out, "Exception Subtype: KERN_PROTECTION_FAILURE at 0x00000030");
	ASSERT_LINE(out, "Exception Codes: 0x00000002, 0x00000030");
	ASSERT_LINE(out, "0   A                             \t0x00004010 0x4000 + 16");
	ASSERT_LINE(out, "Thread 0 crashed with ARM Thread State (32-bit):");
	ASSERT_LINE(out, "    r0: 0x00000001    r1: 0x00000002      r2: 0x00000003      r3: 0x00000004");
	ASSERT_LINE(out, "    sp: 0x00000005      lr: 0x00000006      pc: 0x00004010");
	ASSERT_LINE(out, "  cpsr: 0x00000010");
	ASSERT_LINE(out, "0x4000 - 0x5fff +A armv7s  <00000000000000000000000000000000> /A.app/A");
	free(out);
	out = emit1("apple", r, "style=kscrash");
	/* KSCrash's filter reads only the frame's own fields: no object name here */
	ASSERT_LINE(out, "0   (null)                          0x00004010 0x0 + 16400");
	ASSERT_LINE(out, "Exception Codes: 0x00000000 at 0x00000030");
	free(out);
	crp_report_free(r);
}
END_TEST

static char *fixture_text(const char *name, const char *format, const char *param)
{
	char *dir = fixture_dir("kscrash");
	size_t len;
	char *json = read_in(dir, name, &len);
	crp_report *r = parse_one(json);
	char *out = emit1(format, r, param);
	crp_report_free(r);
	free(json);
	free(dir);
	return out;
}

/* Memory terminations, watchdog kills, hangs: an exception block that says what happened. */
START_TEST(terminations_say_what_happened)
{
	char *out = fixture_text("ios17-oom-memory-termination.json", "apple", NULL);
	ASSERT_LINE(out, "Exception Type:  EXC_RESOURCE (SIGKILL)");
	ASSERT_LINE(out, "Exception Subtype: MEMORY");
	ASSERT_LINE(out, "Exception Message: memory footprint 2912000000 bytes of limit 2912000000 bytes, remaining 0, "
			 "level terminal, pressure critical, app state active");
	free(out);
	out = fixture_text("ios26-termination-memory-pressure.json", "apple", NULL);
	ASSERT_LINE(out, "Exception Message: termination reason memory_pressure");
	free(out);
	out = fixture_text("ios18-watchdog-hang.json", "apple", NULL);
	ASSERT_LINE(out, "Exception Type:  EXC_CRASH (SIGKILL)");
	ASSERT_LINE(out, "Termination Reason: Namespace FRONTBOARD, Code 0x8badf00d");
	ASSERT_LINE(out, "Termination Description: watchdog: main thread unresponsive for 3.985 s (user_interactive)");
	free(out);
	out = fixture_text("ios18-watchdog-hang.json", "ips", NULL);
	ck_assert_ptr_nonnull(strstr(out, "\"termination\" : {\"code\":2343432205,\"namespace\":\"FRONTBOARD\""));
	free(out);
	crp_report *r = parse_one(
		"{\"report\":{\"version\":\"3.7.0\",\"id\":\"63784EB4-5ACC-4B59-B987-06A1464DDA3B\",\"type\":\"standard\"},"
		"\"crash\":{\"error\":{\"type\":\"hang\",\"hang\":{\"hang_start_nanos\":1000000000,"
		"\"hang_end_nanos\":9002000000,\"hang_end_role\":\"FOREGROUND_APPLICATION\"}},\"threads\":[]}}");
	out = emit1("apple", r, NULL);
	ASSERT_LINE(out, "Exception Type:  EXC_RESOURCE");
	ASSERT_LINE(out, "Exception Subtype: HANG");
	ASSERT_LINE(out, "Exception Message: main thread unresponsive for 8.002 s (FOREGROUND_APPLICATION)");
	ASSERT_LINE(out, "Exception Note:  NON-FATAL CONDITION (this is NOT a crash)");
	free(out);
	crp_report_free(r);
}
END_TEST

START_TEST(recrash_renders_the_original_and_the_handler_crash)
{
	for (int layout = 0; layout < 2; layout++) {
		char *out = fixture_text(layout ? "macos-x86_64-recrash-old-layout.json" : "macos-x86_64-recrash-new-layout.json",
					 "apple", NULL);
		if (layout) /* the old layout's original says it is incomplete (macOS: labels to column 24) */
			ASSERT_LINE(out, "Report Notes:          incomplete report: the crash reporter did not finish "
					 "writing it, so parts may be missing");
		ck_assert_ptr_nonnull(strstr(out, "\nThe crash reporter crashed while writing this report: "));
		ck_assert_ptr_nonnull(strstr(out, "\nApplication Specific Backtrace 1:\n0   "));
		ck_assert_ptr_nonnull(strstr(out, "\nThread 0 Crashed:\n"));
		free(out);
		out = fixture_text(layout ? "macos-x86_64-recrash-old-layout.json" : "macos-x86_64-recrash-new-layout.json",
				   "apple", "style=kscrash");
		ck_assert_ptr_nonnull(strstr(out, "\nHandler crashed while reporting:\n"));
		free(out);
	}
}
END_TEST

START_TEST(language_and_user_exceptions)
{
	char *out = fixture_text("ios10-x86_64sim-cppexception-raw.json", "apple", NULL);
	ASSERT_LINE(out, "libc++abi: terminating due to uncaught exception of type std::out_of_range: "
			 "vector::_M_range_check: __n (which is 9) >= this->size() (which is 2)");
	free(out);
	out = fixture_text("ios8-user-reported-javascript.json", "apple", NULL);
	ASSERT_LINE(out, "User-reported exception 'TypeError' (javascript), reason: 'undefined is not an object "
			 "(evaluating 'a.b')'");
	ASSERT_LINE(out, "Line: 42");
	free(out);
	out = fixture_text("ios7-armv7-deadlock-objversion.json", "apple", NULL);
	ASSERT_LINE(out, "Application main thread deadlocked (detected by the crash reporter's watchdog)");
	free(out);
	/* a reason over several lines continues the block, never ends it with an empty line */
	crp_report *r = parse_one("{\"report\":{\"id\":\"A1B2C3D4-0000-4000-8000-000000000002\"},\"crash\":{\"error\":"
				  "{\"type\":\"nsexception\",\"reason\":\"one\\n\\ntwo\\n\",\"nsexception\":{\"name\":\"N\"}}}}");
	out = emit1("apple", r, NULL);
	ck_assert_ptr_nonnull(strstr(out, "\n*** Terminating app due to uncaught exception 'N', reason: 'one\ntwo\n'\n\n"));
	free(out);
	crp_report_free(r);
}
END_TEST

START_TEST(time_zones)
{
	/* converters/apple/apple.h is not on the tests' include path */
	extern bool crp__apple_tz(const char *name, int *minutes);
	static const struct { const char *name; int minutes; } ok[] = {
		{"PDT", -420}, {"JST", 540}, {"GMT", 0}, {"UTC", 0}, {"GMT+1", 60}, {"GMT-3", -180},
		{"GMT+5:30", 330}, {"UTC+0530", 330}, {"GMT-03", -180}, {"IST", 330}, {"CST", -360}};
	static const char *const bad[] = {"Europe/Berlin", "GMT+15", "GMT+1:5", "XYZ", "", "GMT+", "GMT+1:300"};
	int m;
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		ck_assert_msg(crp__apple_tz(ok[i].name, &m), "%s", ok[i].name);
		ck_assert_int_eq(m, ok[i].minutes);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!crp__apple_tz(bad[i], &m), "%s", bad[i]);
	ck_assert(!crp__apple_tz(NULL, &m));
}
END_TEST

START_TEST(options)
{
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_sink sink;
	crp_emit_session *s;
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	crp_error err;
	crp_sink_init_buffer(&sink, &buf);
	static const char *const bad[][3] = {{"style=bogus", NULL}, {"layout=legacy", NULL},
					     {"frames=partial", NULL}, {"style=kscrash", "layout=1999"},
					     {"style=kscrash", "frames=all"}, {"colour=red", NULL}};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		eo.params = bad[i];
		ck_assert_int_eq(crp_emit_begin(&s, crp_emitter_lookup("apple"), &sink, &eo, &err), CRP_EUNSUPPORTED);
		ck_assert(err.message[0]);
	}
	static const char *const ips_param[] = {"style=kscrash", NULL};
	eo.params = ips_param;
	ck_assert_int_eq(crp_emit_begin(&s, crp_emitter_lookup("ips"), &sink, &eo, &err), CRP_EUNSUPPORTED);
	/* layouts and frame styles chosen by hand */
	char *out = fixture_text("ios12-arm64-nsexception.json", "apple", NULL);
	free(out);
	crp_report *r = parse_one(hard_json);
	const char *params[][4] = {{"style=kscrash", "layout=legacy", NULL}, {"style=kscrash", "layout=current", NULL},
				   {"style=kscrash", "frames=unsymbolicated", NULL}, {"style=kscrash", "layout=2012", NULL}};
	const char *expect[] = {"Crashed Thread:  0", "Triggered by Thread:  0",
				"3   App                           \t0x0000000100008088 0x100008000 + 136",
				"Version:         (null)"};
	for (size_t i = 0; i < 4; i++) {
		out = tu_emit("apple", &r, 1, params[i], NULL);
		ASSERT_LINE(out, expect[i]);
		free(out);
	}
	crp_report_free(r);
	crp_buffer_dispose(&buf);
}
END_TEST

/* Every allocation of an emission may fail: CRP_ENOMEM, nothing leaked. */
static int emit_with(tu_alloc *st, crp_report **r, size_t n, const char *format, const char *param)
{
	crp_allocator a = tu_allocator(st);
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_sink sink;
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	const char *params[] = {param, NULL};
	buf.allocator = &a;
	eo.allocator = &a;
	eo.params = param ? params : NULL;
	crp_sink_init_buffer(&sink, &buf);
	crp_emit_session *s = NULL;
	int rc = crp_emit_begin(&s, crp_emitter_lookup(format), &sink, &eo, NULL);
	for (size_t i = 0; rc == CRP_OK && i < n; i++)
		rc = crp_emit_report(s, r[i]);
	if (rc == CRP_OK)
		rc = crp_emit_end(s);
	crp_emit_free(s);
	crp_buffer_dispose(&buf);
	return rc == CRP_EIO ? CRP_ENOMEM : rc;
}

/* Report text is copied a block at a time up to a control character, which becomes an
 * escape: check every position of one in names of every length around the block sizes. */
START_TEST(text_escapes_at_every_position)
{
	static const struct {
		const char *json, *shown;
	} ctl[] = {{"\\n", "\\n"}, {"\\u0001", "\\x01"}, {"\\u007f", "\\x7f"}};
	static const size_t lens[] = {1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48, 63, 64, 65, 200};
	for (size_t li = 0; li < CRP_ARRAY_LEN(lens); li++) {
		size_t len = lens[li];
		for (size_t at = 0; at <= len; at++) { /* at == len: no control character */
			for (size_t c = 0; c < (at == len ? 1 : CRP_ARRAY_LEN(ctl)); c++) {
				char name[512] = "", shown[512] = "Thread 0 name:  ", json[1024];
				for (size_t i = 0; i < len; i++) {
					char ch[2] = {(char)('A' + (i * 7) % 26), '\0'};
					strcat(name, i == at ? ctl[c].json : ch);
					strcat(shown, i == at ? ctl[c].shown : ch);
				}
				snprintf(json, sizeof json, "{\"crash\":{\"threads\":[{\"name\":\"%s\"}]}}", name);
				crp_report *r = parse_one(json);
				char *text = emit1("apple", r, NULL);
				ASSERT_LINE(text, shown);
				free(text);
				crp_report_free(r);
			}
		}
	}
}
END_TEST

/* Binary Images by address, equal addresses and images without one (or at the top of the
 * address space) in report order, the latter last. */
START_TEST(images_sort_stably_by_address)
{
	static const char json[] =
		"{\"binary_images\":["
		"{\"image_addr\":196608,\"image_size\":4096,\"name\":\"/l/A\"},"
		"{\"image_size\":4096,\"name\":\"/l/B\"},"
		"{\"image_addr\":4096,\"image_size\":4096,\"name\":\"/l/C\"},"
		"{\"image_addr\":196608,\"image_size\":4096,\"name\":\"/l/D\"},"
		"{\"image_addr\":18446744073709551615,\"name\":\"/l/E\"},"
		"{\"image_addr\":6442450944,\"image_size\":4096,\"name\":\"/l/F\"},"
		"{\"image_addr\":8192,\"image_size\":4096,\"name\":\"/l/G\"},"
		"{\"name\":\"/l/H\"}],"
		"\"crash\":{\"threads\":[{\"backtrace\":{\"contents\":[{\"instruction_addr\":8200}]}}]}}";
	crp_report *r = parse_one(json);
	char *text = emit1("apple", r, NULL);
	const char *at = strstr(text, "Binary Images:");
	ck_assert_ptr_nonnull(at);
	static const char order[] = "CGADFBEH";
	for (size_t i = 0; order[i]; i++) {
		char path[8];
		snprintf(path, sizeof path, "> /l/%c\n", order[i]);
		const char *next = strstr(at, path);
		ck_assert_msg(next != NULL, "image %c missing or out of order:\n%s", order[i], text);
		at = next;
	}
	free(text);
	crp_report_free(r);
}
END_TEST

START_TEST(every_allocation_may_fail)
{
	static const char *const files[] = {"stream-three-reports.ndjson", "macos-x86_64-recrash-old-layout.json",
					    "ios17-arm64e-badaccess.json"};
	for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
		char *dir = fixture_dir("kscrash");
		size_t len, n;
		char *json = read_in(dir, files[f], &len);
		crp_report **r = parse(json, len, &n);
		for (size_t k = 0; k < 3; k++) {
			tu_alloc st = {0, 0, 0};
			ck_assert_int_eq(emit_with(&st, r, n, outputs[k].format, outputs[k].param), CRP_OK);
			ck_assert_uint_eq(st.live, 0);
			for (size_t fail = 1; fail <= st.count; fail++) {
				tu_alloc t = {0, 0, fail};
				int rc = emit_with(&t, r, n, outputs[k].format, outputs[k].param);
				ck_assert_msg(rc == CRP_ENOMEM || rc == CRP_OK, "%s: allocation %zu gave %d", files[f], fail, rc);
				ck_assert_msg(t.live == 0, "%s: allocation %zu leaked", files[f], fail);
			}
		}
		tu_free_reports(r, n);
		free(json);
		free(dir);
	}
}
END_TEST

static void free_names(void)
{
	tu_free_names(names);
	tu_free_names(corpus);
	for (size_t i = 0; i < n_apple_in; i++)
		free(apple_in[i]);
	free(apple_in);
}

/* fixtures/apple and ../shared/corpus/apple: every input that is one Apple crash report or more */
static void list_apple_inputs(void)
{
	const char *dirs[2] = {NULL, tu_apple_corpus_dir()};
	char *fx = fixture_dir("apple");
	dirs[0] = fx;
	apple_in = calloc(1, sizeof *apple_in);
	for (int d = 0; d < 2 && dirs[d]; d++) {
		char **l;
		size_t n = tu_list(dirs[d], ".ips,.crash", &l);
		apple_in = realloc(apple_in, (n_apple_in + n + 1) * sizeof *apple_in);
		for (size_t i = 0; i < n; i++)
			if (!strstr(l[i], "NEGATIVE") && !strstr(l[i], "bug-type-288"))
				apple_in[n_apple_in++] = strdup(l[i]);
		tu_free_names(l);
		if (d == 0)
			n_apple_fx = n_apple_in;
	}
	free(fx);
}

Suite *suite_apple(void)
{
	Suite *s = suite_create("apple");
	TCase *tc = tcase_create("apple");
	tcase_set_timeout(tc, 600);
	char *dir = fixture_dir("kscrash");
	n_names = tu_list(dir, ".json,.ndjson", &names);
	free(dir);
	n_corpus = tu_corpus_dir() ? tu_list(tu_corpus_dir(), ".json", &corpus) : 0;
	if (!tu_corpus_dir())
		corpus = calloc(1, sizeof *corpus);
	list_apple_inputs();
	atexit(free_names);
	tcase_add_loop_test(tc, fixture_matches_its_apple_golden, 0, (int)(n_names * 3));
	tcase_add_loop_test(tc, apple_input_keeps_the_consumers_rules, 0, (int)n_apple_in);
	tcase_add_loop_test(tc, apple_input_ips_is_json_with_every_thread_and_image, 0, (int)n_apple_in);
	tcase_add_loop_test(tc, fixture_follows_the_line_rules, 0, (int)n_names);
	tcase_add_loop_test(tc, fixture_ips_is_json_with_every_thread_and_image, 0, (int)n_names);
	tcase_add_test(tc, arm64e_pointer_authentication_and_odd_images);
	tcase_add_test(tc, symbolicated_frames_with_inlining);
	tcase_add_test(tc, widths_follow_the_report_cpu);
	tcase_add_test(tc, terminations_say_what_happened);
	tcase_add_test(tc, recrash_renders_the_original_and_the_handler_crash);
	tcase_add_test(tc, language_and_user_exceptions);
	tcase_add_test(tc, time_zones);
	tcase_add_test(tc, options);
	tcase_add_test(tc, text_escapes_at_every_position);
	tcase_add_test(tc, images_sort_stably_by_address);
	if (tu_corpus_dir()) {
		tcase_add_loop_test(tc, corpus_report_follows_the_line_rules, 0, (int)n_corpus);
		tcase_add_loop_test(tc, corpus_ips_is_json_with_every_thread_and_image, 0, (int)n_corpus);
		tcase_add_test(tc, kscrash_style_reproduces_the_corpus_texts);
	}
	if (tu_apple_corpus_dir()) {
		tcase_add_test(tc, apple_pairs_are_reproduced);
	} else {
		tcase_add_test(tc, corpus_absent);
	}
	suite_add_tcase(s, tc);
	TCase *slow = tcase_create("alloc");
	tcase_set_timeout(slow, 600);
	tcase_set_tags(slow, "slow");
	tcase_add_test(slow, every_allocation_may_fail);
	suite_add_tcase(s, slow);
	return s;
}
