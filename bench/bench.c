/* crashport benchmark: MB/s of parsing and converting a set of reports, next to the floor of
 * bare yajl parsing the same bytes with counting callbacks. Prints figures; asserts nothing.
 *
 * usage: crashport-bench [-t SECONDS] [-r ROUNDS] [-j SUBSTRING] [-A APPLE_DIR]... FILE_OR_DIR...
 *
 * .json files are KSCrash reports; .ips and .crash files are Apple's, read by their readers in
 * rows of their own (the .ips against bare yajl over the same bytes). -A takes only the Apple
 * reports of a file or directory.
 *
 * -j keeps only the jobs whose label contains SUBSTRING (and the floor), e.g. for a profiler.
 *
 * A last block times demangling: names per second, Swift in both styles (the mangled Swift
 * names of the reports given, and a built-in set of the names real crashes carry), and C++
 * through libiberty, the floor for a demangler.
 *
 * The floor runs yajl with the configuration the reader uses (multiple values, strings not
 * validated by yajl, numbers as text), so the ratio is exactly the cost of building the model
 * (including our own UTF-8 validation). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <yajl/yajl_parse.h>

#include "crashport/crashport.h"

typedef struct input {
	char *name;
	unsigned char *data;
	size_t len;
	crp_report *model;   /* parsed once, for the CRPB encode job */
	crp_buffer crpb;     /* the model as CRPB, for the decode job */
} input;

static input *inputs;
static size_t n_inputs, total_bytes;

/* Apple's reports (.ips, .crash text), read through their readers: their own rows. */
typedef struct apple_set {
	const char *format;
	input *in;
	size_t n, bytes;
} apple_set;
static apple_set ips_set = {"ips", NULL, 0, 0}, crash_set = {"apple", NULL, 0, 0};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *d = malloc((size_t)n + 1);
	if (!d || fread(d, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(d);
		return -1;
	}
	fclose(f);
	/* Only inputs that parse are measured (the corpus has one deliberately broken file). */
	crp_report *r;
	if (crp_report_parse(&r, d, (size_t)n, NULL, NULL) != CRP_OK ||
	    crp_report_warning_count(r) != 0) {
		crp_report_free(r);
		free(d);
		return 0;
	}
	inputs = realloc(inputs, (n_inputs + 1) * sizeof *inputs);
	inputs[n_inputs].name = strdup(path);
	inputs[n_inputs].data = d;
	inputs[n_inputs].len = (size_t)n;
	inputs[n_inputs].model = r;
	inputs[n_inputs].crpb = (crp_buffer)CRP_BUFFER_INIT;
	crp_sink sink;
	crp_sink_init_buffer(&sink, &inputs[n_inputs].crpb);
	crp_emit(crp_emitter_lookup("crpb"), r, &sink, NULL, NULL);
	n_inputs++;
	total_bytes += (size_t)n;
	return 0;
}

/* All the reports in a buffer, through the reader of `format`; CRP_OK when it read cleanly. */
static int read_all(const char *format, const unsigned char *d, size_t n)
{
	crp_reader *rd;
	crp_report *r;
	if (crp_reader_new(&rd, crp_format_lookup(format), NULL) != CRP_OK)
		return CRP_ERROR;
	int rc = crp_reader_feed(rd, d, n);
	if (rc == CRP_OK)
		rc = crp_reader_finish(rd);
	while (crp_reader_next(rd, &r) == CRP_OK)
		crp_report_free(r);
	crp_reader_free(rd);
	return rc;
}

/* An Apple report joins its set when its reader takes it (the corpus has one that is not);
 * the text reader ("apple") takes a text .ips too. */
static void load_apple(apple_set *set, const char *path)
{
	size_t n;
	FILE *f = fopen(path, "rb");
	unsigned char *d = f ? malloc(1 << 24) : NULL;
	n = d ? fread(d, 1, 1 << 24, f) : 0;
	if (f)
		fclose(f);
	if (!d || read_all(set->format, d, n) != CRP_OK) {
		free(d);
		return;
	}
	set->in = realloc(set->in, (set->n + 1) * sizeof *set->in);
	set->in[set->n] = (input){strdup(path), d, n, NULL, CRP_BUFFER_INIT};
	set->n++;
	set->bytes += n;
}

static bool ends_with(const char *s, const char *end)
{
	size_t l = strlen(s), e = strlen(end);
	return l > e && strcmp(s + l - e, end) == 0;
}

/* An .ips whose body is JSON (bug_type 309); the older ones (109) hold .crash text, which the
 * bare-yajl floor would not even read: they count as text. */
static bool json_body(const char *path)
{
	FILE *f = fopen(path, "rb");
	int c;
	if (!f)
		return false;
	while ((c = getc(f)) != EOF && c != '\n')
		;
	while ((c = getc(f)) == ' ' || c == '\n' || c == '\r' || c == '\t')
		;
	fclose(f);
	return c == '{';
}

static bool apple_only; /* loading a -A argument: its .json files are not KSCrash reports here */

static void load(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		if (ends_with(path, ".json") && !apple_only)
			load_file(path);
		else if (ends_with(path, ".ips"))
			load_apple(json_body(path) ? &ips_set : &crash_set, path);
		else if (ends_with(path, ".crash"))
			load_apple(&crash_set, path);
		return;
	}
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			char sub[4096];
			snprintf(sub, sizeof sub, "%s/%s", path, ents[i]->d_name);
			load(sub);
		}
		free(ents[i]);
	}
	free(ents);
}

/* -- the floor: bare yajl --------------------------------------------------------------- */

static int c_null(void *c) { ++*(size_t *)c; return 1; }
static int c_bool(void *c, int b) { (void)b; ++*(size_t *)c; return 1; }
static int c_num(void *c, const char *s, size_t l) { (void)s; (void)l; ++*(size_t *)c; return 1; }
static int c_str(void *c, const unsigned char *s, size_t l) { (void)s; (void)l; ++*(size_t *)c; return 1; }
static int c_ev(void *c) { ++*(size_t *)c; return 1; }
static const yajl_callbacks counting = {c_null, c_bool, NULL, NULL, c_num, c_str,
					c_ev, c_str, c_ev, c_ev, c_ev};

static size_t events;

static void run_floor(void)
{
	for (size_t i = 0; i < n_inputs; i++) {
		yajl_handle h = yajl_alloc(&counting, NULL, &events);
		yajl_config(h, yajl_allow_multiple_values, 1);
		yajl_config(h, yajl_dont_validate_strings, 1);
		yajl_parse(h, inputs[i].data, inputs[i].len);
		yajl_complete_parse(h);
		yajl_free(h);
	}
}

/* The floor of the .ips rows: bare yajl over the same bytes (metadata line and body are two
 * JSON texts, which the multiple-values configuration takes). */
static void run_ips_floor(void)
{
	for (size_t i = 0; i < ips_set.n; i++) {
		yajl_handle h = yajl_alloc(&counting, NULL, &events);
		yajl_config(h, yajl_allow_multiple_values, 1);
		yajl_config(h, yajl_dont_validate_strings, 1);
		yajl_parse(h, ips_set.in[i].data, ips_set.in[i].len);
		yajl_complete_parse(h);
		yajl_free(h);
	}
}

static void run_apple(const apple_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		read_all(set->format, set->in[i].data, set->in[i].len);
}

static void run_ips(void) { run_apple(&ips_set); }
static void run_crash(void) { run_apple(&crash_set); }

static void run_parse(void)
{
	for (size_t i = 0; i < n_inputs; i++) {
		crp_report *r;
		if (crp_report_parse(&r, inputs[i].data, inputs[i].len, NULL, NULL) == CRP_OK)
			crp_report_free(r);
	}
}

static int null_write(void *ctx, const void *b, size_t n) { (void)b; *(size_t *)ctx += n; return 0; }
static size_t emitted;
static const char *emit_format = "json";

static void run_convert(void)
{
	crp_sink sink = {null_write, &emitted};
	const crp_emitter *e = crp_emitter_lookup(emit_format);
	for (size_t i = 0; i < n_inputs; i++) {
		crp_report *r;
		if (crp_report_parse(&r, inputs[i].data, inputs[i].len, NULL, NULL) == CRP_OK) {
			crp_emit(e, r, &sink, NULL, NULL);
			crp_report_free(r);
		}
	}
}

/* The emitter alone on the models parsed at load: its share of "parse + X emit" without the
 * noise of subtracting two rates. */
static void run_emit_only(void)
{
	crp_sink sink = {null_write, &emitted};
	const crp_emitter *e = crp_emitter_lookup(emit_format);
	for (size_t i = 0; i < n_inputs; i++)
		crp_emit(e, inputs[i].model, &sink, NULL, NULL);
}

/* CRPB: model -> file (the JSON parse is not counted), and file -> model. A server reading many
 * small files reuses one archive handle (crp_crpb_reopen), as the JSON side reuses nothing: each
 * crp_report_parse builds its parser. */
static void run_crpb_encode(void)
{
	crp_sink sink = {null_write, &emitted};
	for (size_t i = 0; i < n_inputs; i++)
		crp_emit(crp_emitter_lookup("crpb"), inputs[i].model, &sink, NULL, NULL);
}

static crp_crpb *archive;

static void run_crpb_decode(void)
{
	for (size_t i = 0; i < n_inputs; i++) {
		crp_report *r;
		if (crp_crpb_reopen(archive, inputs[i].crpb.data, inputs[i].crpb.len, NULL) == CRP_OK &&
		    crp_crpb_read(&r, archive, 0, NULL) == CRP_OK)
			crp_report_free(r);
	}
}

/* Bytes `cmd` (a compressor writing to stdout) makes of the file, or 0 when it cannot run. */
static size_t compressed_size(const char *cmd, const char *path)
{
	char line[4200];
	snprintf(line, sizeof line, "%s < '%s' 2>/dev/null | wc -c", cmd, path);
	FILE *p = popen(line, "r");
	unsigned long long n = 0;
	if (!p)
		return 0;
	if (fscanf(p, "%llu", &n) != 1)
		n = 0;
	return pclose(p) == 0 ? (size_t)n : 0;
}

static void print_sizes(void)
{
	static const char *const tools[][2] = {{"gzip -9", "gzip -9 -c"}, {"xz -9", "xz -9 -c"},
					      {"zstd -19", "zstd -19 -q -c"}};
	size_t crpb = 0, sizes[3] = {0, 0, 0};
	bool have[3] = {true, true, true};
	for (size_t i = 0; i < n_inputs; i++) {
		crpb += inputs[i].crpb.len;
		for (int t = 0; t < 3; t++) {
			size_t n = have[t] ? compressed_size(tools[t][1], inputs[i].name) : 0;
			have[t] = have[t] && n > 0;
			sizes[t] += n;
		}
	}
	printf("size of the same reports: JSON %zu bytes, CRPB %zu (%.3fx JSON)", total_bytes, crpb,
	       (double)crpb / (double)total_bytes);
	for (int t = 0; t < 3; t++)
		if (have[t])
			printf(", %s %zu (CRPB %.3fx)", tools[t][0], sizes[t], (double)crpb / (double)sizes[t]);
		else
			printf(", %s n/a", tools[t][0]);
	printf("\n");
}

/* One report holding a string of `mb` MB, parsed in 64 KiB feeds as the CLI reads: MB/s stays
 * the same for every length when the cost is linear (yajl alone rescanned a cut string from
 * its start at every feed). With and without the whitespace squeezer (its fallback path). */
static void long_strings(void)
{
	static const int sizes[] = {4, 8, 16};
	for (unsigned flags = 0; flags <= CRP_PARSE_NO_SQUEEZE; flags += CRP_PARSE_NO_SQUEEZE) {
		printf("long string, %-11s", flags ? "unsqueezed:" : "squeezed:");
		for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
			size_t n = (size_t)sizes[k] * 1000000, len = n + 64;
			char *text = malloc(len);
			int head = sprintf(text, "{\"report\":{\"id\":\"L\"},\"user\":{\"s\":\"");
			memset(text + head, 'x', n);
			len = (size_t)head + n + (size_t)sprintf(text + head + n, "\"}}");
			crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
			o.flags = flags;
			double best = 0;
			for (int r = 0; r < 3; r++) { /* best of three */
				crp_parser *p;
				double t0 = now();
				crp_parser_new(&p, &o);
				for (size_t off = 0; off < len; off += 65536)
					crp_parser_feed(p, text + off, len - off < 65536 ? len - off : 65536);
				crp_parser_finish(p);
				double t = now() - t0;
				crp_parser_free(p);
				best = (double)len / t / 1e6 > best ? (double)len / t / 1e6 : best;
			}
			free(text);
			printf("  %d MB %.0f MB/s", sizes[k], best);
		}
		printf("\n");
	}
}

/* MB/s of one round at least `secs` long over `bytes` of input. */
static double round_mbs(void (*fn)(void), double secs, size_t bytes)
{
	size_t iters = 0;
	double t0 = now(), t;
	do {
		fn();
		iters++;
		t = now() - t0;
	} while (t < secs);
	return (double)bytes * (double)iters / t / 1e6;
}

typedef struct job {
	char label[48];
	void (*fn)(void);
	const char *format;
	double best;
	const size_t *bytes; /* input bytes one call reads; NULL: the JSON reports' */
} job;

static const char *only;

/* Rounds of all jobs interleaved, best of each kept: a busy neighbour slows every job of a
 * round alike instead of skewing one ratio. */
static void measure(job *jobs, size_t n, double secs, int rounds)
{
	for (int r = 0; r < rounds; r++)
		for (size_t k = 0; k < n; k++) {
			if (k && only && !strstr(jobs[k].label, only))
				continue;
			emit_format = jobs[k].format;
			double mbs = round_mbs(jobs[k].fn, secs, jobs[k].bytes ? *jobs[k].bytes : total_bytes);
			if (mbs > jobs[k].best)
				jobs[k].best = mbs;
		}
}

/* Jobs [1, n_convert) as a fraction of the floor, the rest (emit only) as time per input MB,
 * which adds up: parse + emit is about parse plus emit only. Jobs left out by -j are skipped. */
static void print_jobs(const job *jobs, size_t n, size_t n_convert)
{
	printf("%-34s %9.1f MB/s\n", jobs[0].label, jobs[0].best);
	for (size_t k = 1; k < n; k++) {
		if (jobs[k].best <= 0)
			continue;
		if (k < n_convert)
			printf("%-34s %9.1f MB/s   %.2fx floor\n", jobs[k].label, jobs[k].best,
			       jobs[k].best / jobs[0].best);
		else
			printf("%-34s %9.1f MB/s   %.3f ms per MB of JSON\n", jobs[k].label,
			       jobs[k].best, 1e3 / jobs[k].best);
	}
	if (jobs[1].best > 0 && jobs[3].best > 0)
		printf("(MB/s of JSON bytes, also for CRPB); crpb decode is %.2fx parse to model\n",
		       jobs[3].best / jobs[1].best);
}

/* -- demangling ----------------------------------------------------------------------------- */

static const char *const builtin_swift[] = {
	"$s7Fixture14ViewControllerC11crashTappedyyF",
	"$s7Fixture14ViewControllerC11viewDidLoadyyFyycfU_TA",
	"$ss17_assertionFailure__4file4line5flagss5NeverOs12StaticStringV_A2HSus6UInt32VtF",
	"$sSayxSicigSi_Tg5",
	"$sIeg_IeyB_TR",
	"$s4Shop9CartModelC5total8currencySdSS_tFSdAA4ItemVXEfU_",
	"$s4Shop9CartModelC4loadyyYaKFTY0_",
	"$s4main1SVAA1PA2aDP3fooyyFTW",
	"$s4main3bar1f1gySi_SSztYaKF",
	"_TFC3foo3bar3basfT3zimCS_3zim_T_",
};
/* None of the simple shape demangled without libiberty (src/demangle/demangle.c): this row is
 * libiberty's own speed. */
static const char *const builtin_cxx[] = {
	"_ZN4shop6detail10renderCellERKNS_4ItemE", "_ZNSt6vectorIiSaIiEE9push_backERKi",
	"_Z9checkItemRKSt6vectorIiSaIiEEm", "_ZNK5outer3runEv",
};

static const char **dm_names;
static size_t dm_count, dm_cxx;

static void add_name(const char *name, size_t *cap)
{
	if (dm_count == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		dm_names = realloc(dm_names, *cap * sizeof *dm_names);
		if (!dm_names)
			exit(1);
	}
	dm_names[dm_count++] = name;
}

/* The Swift names of every frame of every report, then the built-in ones; C++ last. */
static void collect_names(void)
{
	size_t cap = 0;
	for (size_t i = 0; i < n_inputs; i++) {
		const crp_crash *c = crp_report_crash(inputs[i].model);
		for (size_t t = 0; c && t < c->thread_count; t++)
			for (size_t f = 0; f < c->threads[t].backtrace.frame_count; f++) {
				const char *sym = c->threads[t].backtrace.frames[f].symbol_name;
				if (sym && crp_demangle_is_swift(sym))
					add_name(sym, &cap);
			}
	}
	for (size_t i = 0; i < sizeof builtin_swift / sizeof *builtin_swift; i++)
		add_name(builtin_swift[i], &cap);
	dm_cxx = dm_count;
	for (size_t i = 0; i < sizeof builtin_cxx / sizeof *builtin_cxx; i++)
		add_name(builtin_cxx[i], &cap);
}

/* Names per second over [from, to) of the list, in one round of at least `secs`. */
static double names_per_s(size_t from, size_t to, unsigned flags, double secs)
{
	char out[CRP_DEMANGLE_BUFFER];
	crp_demangle_options o = CRP_DEMANGLE_OPTIONS_INIT;
	size_t done = 0;
	double t0 = now(), t;
	o.flags = flags;
	do {
		for (size_t i = from; i < to; i++)
			crp_demangle(out, sizeof out, NULL, dm_names[i], &o);
		done += to - from;
		t = now() - t0;
	} while (t < secs);
	return (double)done / t;
}

/* Rounds of the three rows interleaved, best of each kept, as for the jobs above. */
static void run_demangle(double secs, int rounds)
{
	double best[3] = {0, 0, 0};
	collect_names();
	for (int r = 0; r < rounds; r++) {
		double v[3] = {names_per_s(0, dm_cxx, 0, secs),
			       names_per_s(0, dm_cxx, CRP_DEMANGLE_SIMPLIFIED, secs),
			       names_per_s(dm_cxx, dm_count, 0, secs)};
		for (int k = 0; k < 3; k++)
			best[k] = v[k] > best[k] ? v[k] : best[k];
	}
	printf("%-34s %9.2f M names/s   %.2fx libiberty C++ (%zu names)\n", "demangle Swift (full)",
	       best[0] / 1e6, best[0] / best[2], dm_cxx);
	printf("%-34s %9.2f M names/s   %.2fx libiberty C++\n", "demangle Swift (simplified)",
	       best[1] / 1e6, best[1] / best[2]);
	printf("%-34s %9.2f M names/s\n", "demangle C++ (libiberty)", best[2] / 1e6);
	free(dm_names);
}

/* Apple's reports, measured in the same interleaved rounds: .ips against its own floor (bare
 * yajl over the same bytes), .crash text in MB/s (there is no JSON to compare it with). */
static void measure_apple(double secs, int rounds)
{
	job a[3] = {{"ips: bare yajl parse (floor)", run_ips_floor, NULL, 0, &ips_set.bytes},
		    {"ips: parse .ips to model", run_ips, NULL, 0, &ips_set.bytes},
		    {"crash: parse Apple text to model", run_crash, NULL, 0, &crash_set.bytes}};
	for (int r = 0; r < rounds; r++)
		for (size_t k = 0; k < 3; k++)
			if (*a[k].bytes) {
				double mbs = round_mbs(a[k].fn, secs, *a[k].bytes);
				a[k].best = mbs > a[k].best ? mbs : a[k].best;
			}
	if (ips_set.n)
		printf("%-34s %9.1f MB/s   (%zu .ips, %.2f MB)\n%-34s %9.1f MB/s   %.2fx floor\n", a[0].label,
		       a[0].best, ips_set.n, (double)ips_set.bytes / 1e6, a[1].label, a[1].best, a[1].best / a[0].best);
	if (crash_set.n)
		printf("%-34s %9.1f MB/s   (%zu .crash or text .ips, %.2f MB)\n", a[2].label, a[2].best, crash_set.n,
		       (double)crash_set.bytes / 1e6);
}

/* Options, then the inputs, loaded. */
static void parse_args(int argc, char **argv, double *secs, int *rounds)
{
	int i = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-t") == 0)
			*secs = atof(argv[i + 1]);
		else if (strcmp(argv[i], "-r") == 0)
			*rounds = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "-j") == 0)
			only = argv[i + 1];
		else if (strcmp(argv[i], "-A") == 0) {
			apple_only = true;
			load(argv[i + 1]);
			apple_only = false;
		}
	}
	for (; i < argc; i++)
		load(argv[i]);
}

int main(int argc, char **argv)
{
	double secs = 0.3;
	int rounds = 5;
	parse_args(argc, argv, &secs, &rounds);
	if (!n_inputs && (ips_set.n || crash_set.n)) { /* Apple's reports only */
		measure_apple(secs, rounds);
		return 0;
	}
	if (!n_inputs) {
		fprintf(stderr, "crashport-bench: no readable .json, .ips or .crash reports given\n");
		return 2;
	}
	printf("crashport bench: %zu reports, %.2f MB (%s); best of %d interleaved rounds\n",
	       n_inputs, (double)total_bytes / 1e6, crp_version_details(), rounds);
	job jobs[24] = {{"bare yajl parse (floor)", run_floor, NULL, 0, NULL},
			{"parse to model", run_parse, NULL, 0, NULL},
			{"crpb encode (model to CRPB)", run_crpb_encode, NULL, 0, NULL},
			{"crpb decode (CRPB to model)", run_crpb_decode, NULL, 0, NULL}};
	size_t n = 4;
	if (crp_crpb_open(&archive, inputs[0].crpb.data, inputs[0].crpb.len, NULL, NULL) != CRP_OK) {
		fprintf(stderr, "crashport-bench: cannot read back CRPB\n");
		return 1;
	}
	for (size_t k = 0; crp_emitter_at(k) && n < 16; k++, n++) {
		const char *name = crp_emitter_name(crp_emitter_at(k));
		snprintf(jobs[n].label, sizeof jobs[n].label, "parse + %s emit", name);
		jobs[n].fn = run_convert;
		jobs[n].format = name;
		jobs[n].best = 0;
	}
	size_t n_convert = n;
	/* Text and minidump emitters only: crpb encode already has its model-only row. */
	for (size_t k = 4; k < n_convert && n < 24; k++) {
		if (strcmp(jobs[k].format, "crpb") == 0)
			continue;
		snprintf(jobs[n].label, sizeof jobs[n].label, "%s emit only (model)", jobs[k].format);
		jobs[n].fn = run_emit_only;
		jobs[n].format = jobs[k].format;
		jobs[n].best = 0;
		n++;
	}
	measure(jobs, n, secs, rounds);
	print_jobs(jobs, n, n_convert);
	if (!only)
		measure_apple(secs, rounds);
	if (!only)
		print_sizes();
	if (!only || strstr("long string", only))
		long_strings();
	if (!only || strstr("demangle", only))
		run_demangle(secs, rounds);
	crp_crpb_close(archive);
	return 0;
}
