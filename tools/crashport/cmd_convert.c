/* crashport convert: read reports, write them in another format; one input or a whole batch. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "inputs.h"
#include "crashport/symbols.h"

#define REPORT_WARNINGS_MAX 100 /* warnings listed per input in --report (all are counted) */

typedef struct convert_opts {
	const crp_emitter *emitter;
	const char *out;
	bool out_is_dir;
	bool quiet;
	bool force;
	bool fail_fast;
	bool ndjson;
	unsigned jobs;
	progress_mode progress;
	const char *report;
	crp_parse_options parse;
	const crp_format *from;   /* --from: NULL recognises each input by content */
	const char **params;
	size_t param_count;
	cli_filter filter;
	char **owned_params;      /* params made from --style and --minidump-stack */
	size_t owned_count;
	/* --symbols: NULL when none were given. Filled before the workers start, then shared by
	 * them without a lock (crashport/symbols.h allows concurrent crp_report_symbolicate()). */
	crp_symbolicator *symbols;
	const char **symbol_paths;   /* --symbols PATH, added once every option is read */
	size_t symbol_path_count;
	const char *symbols_cache;   /* --symbols-cache DIR */
	size_t index_memory;         /* --index-memory N */
} convert_opts;

/* One input being converted. */
typedef struct job {
	const convert_opts *o;
	const char *input;
	const char *dest;         /* NULL: stdout */
	batch_result *res;
	cli_output out;
	bool out_open;
	crp_sink sink;
	int fd;                   /* what the sink writes to */
	int write_errno;          /* why a write failed, 0 when none did */
	crp_emit_session *session;
	crp_error emit_err;
	bool failed;              /* an error is already recorded */
} job;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: crashport convert --to FORMAT [-o OUT] [options] INPUT...\n"
		"       crashport convert --to FORMAT --ndjson   (stdin to stdout, one report per line)\n"
		"\n"
		"Read crash reports (files, directories, or - for stdin) and write them as FORMAT.\n"
		"One input without -o goes to stdout; -o FILE writes one file; -o DIR (or several\n"
		"inputs, or a directory) writes DIR/<input name>.<ext>, keeping the layout under a\n"
		"directory input. Outputs appear only when complete.\n"
		"\n"
		"options:\n"
		"  -t, --to FORMAT      output format:");
	for (size_t i = 0; crp_emitter_at(i); i++)
		fprintf(f, " %s", crp_emitter_name(crp_emitter_at(i)));
	fprintf(f, "\n"
		"  -o, --output PATH    output file or directory (-: stdout)\n"
		"      --from FORMAT    read inputs as FORMAT:%s (default: recognised by content)\n"
		"  -O, --option K=V     emitter option (e.g. indent=2); repeatable\n"
		"      --style STYLE    same as -O style=STYLE (apple: apple or kscrash)\n"
		"      --minidump-stack=MODE  minidump stacks: hybrid (default) or real (-O stack=MODE)\n"
		"      --symbols PATH   symbolicate with a Mach-O binary, dSYM, symbol cache or\n"
		"                       directory of them (searched recursively); repeatable\n"
		"      --symbols-cache DIR  keep a symbol cache of every image used in DIR: made on\n"
		"                       first use, used afterwards (crashport symcache --store)\n"
		"      --index-memory N  memory symbol indexes may hold (N may end in k, M, G);\n"
		"                       past it the least recently used are dropped and rebuilt\n"
		"      --strict         truncated input and mistyped fields are errors\n"
		"      --limit NAME=N   parser limit per report: report-bytes, depth, string-bytes,\n"
		"                       items, memory, warnings (N may end in k, M, G)\n"
		"  -j, --jobs N         worker threads (default: one per CPU)\n"
		"      --include GLOB   in directories, take files matching GLOB (repeatable;\n"
		"                       default ", cli_readable_formats());
	cli_print_input_patterns(f);
	fprintf(f, ")\n"
		"      --exclude GLOB   in directories, leave out files and directories matching GLOB\n"
		"      --force          replace outputs that exist (default: skip their inputs)\n"
		"      --fail-fast      start no more inputs after one fails\n"
		"      --report FILE    write one JSON line per input (status, output, error, warnings)\n"
		"      --progress=MODE  auto (a bar when stderr is a terminal), bar, plain, none\n"
		"      --ndjson         pipeline mode: each stdin line is a report, each stdout line\n"
		"                       its result, in order (see crashport(1))\n"
		"  -q, --quiet          no warnings, progress or summary (errors are still printed)\n"
		"  -h, --help           this text\n"
		"\n"
		"exit status: 0 all converted, 1 some failed, 2 usage error, 130 interrupted\n");
}

/* Record the job's failure once: as a message in its log and as the error of its result. */
static void fail(job *j, const crp_error *e)
{
	if (j->failed)
		return;
	j->failed = true;
	j->res->error = *e;
	cli_fprint_error(j->res->log, j->input, e, NULL);
}

static void fail_errno(job *j, const char *what, const char *path)
{
	crp_error e = {.code = CRP_EIO};
	snprintf(e.message, sizeof e.message, "%s %s: %s", what, path, strerror(errno));
	fail(j, &e);
}

static void note_warnings(job *j, const crp_report *r)
{
	batch_result *res = j->res;
	for (size_t i = 0; i < crp_report_warning_count(r); i++) {
		const crp_diag *d = crp_report_warning(r, i);
		if (!j->o->quiet)
			cli_fprint_error(res->log, j->input, d, "warning");
		if (res->warnings + i < REPORT_WARNINGS_MAX) {
			if (res->warnings + i)
				fputc(',', res->warnings_json);
			cli_json_diag(res->warnings_json, d);
		}
	}
	res->warnings += crp_report_warning_count(r);
}

/* The job's sink: write(2), keeping the reason of a failure for the message. */
static int sink_write(void *ctx, const void *buf, size_t len)
{
	job *j = ctx;
	int rc = cli_write_all(j->fd, buf, len);
	if (rc != 0)
		j->write_errno = errno;
	return rc;
}

/* An emitter failure; a failed write names the output and its cause. A closed stdout is no
 * error to report: the reader went away, and the tool ends as a filter does (SIGPIPE). */
static void fail_emit(job *j, const crp_error *e)
{
	if (!j->write_errno) {
		fail(j, e);
		return;
	}
	if (j->write_errno == EPIPE && !j->dest) {
		cli_stdout_closed();
		j->failed = true;
		j->res->error = *e;
		return;
	}
	errno = j->write_errno;
	fail_errno(j, "cannot write", j->dest ? j->dest : "stdout");
}

static int start_session(job *j)
{
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	eo.params = j->o->params;
	if (j->dest) {
		if (cli_output_open(&j->out, j->dest) != 0) {
			fail_errno(j, "cannot create", j->dest);
			return -1;
		}
		j->out_open = true;
	}
	j->fd = j->dest ? j->out.fd : STDOUT_FILENO;
	j->sink = (crp_sink){sink_write, j};
	if (crp_emit_begin(&j->session, j->o->emitter, &j->sink, &eo, &j->emit_err) != CRP_OK) {
		fail(j, &j->emit_err);
		return -1;
	}
	return 0;
}

static void symbolicate(job *j, crp_report *r)
{
	crp_error serr;
	int rc = crp_report_symbolicate(r, j->o->symbols, NULL, NULL, &serr);
	/* a failure leaves the report as it was or partly symbolicated: still worth converting */
	if (rc != CRP_OK && !j->o->quiet)
		cli_fprint_error(j->res->log, j->input, &serr, "warning: symbolication");
}

static int on_report(crp_report *r, void *ctx)
{
	job *j = ctx;
	int stop = batch_interrupted();
	if (j->o->symbols && !stop)
		symbolicate(j, r);
	note_warnings(j, r);
	if (stop)
		;
	else if (!j->session && start_session(j) != 0)
		stop = 1;
	else if (crp_emit_report(j->session, r) != CRP_OK)
		stop = 1; /* recorded by finish_job */
	j->res->reports++;
	crp_report_free(r);
	return stop;
}

/* A file's size; what went to stdout (or a FIFO) is what the session handed over. */
static uint64_t output_size(const job *j)
{
	struct stat st;
	if (j->out_open && fstat(j->out.fd, &st) == 0 && S_ISREG(st.st_mode))
		return (uint64_t)st.st_size;
	return j->session ? crp_emit_bytes(j->session) : 0;
}

static void finish_job(job *j, int rc, const crp_error *err)
{
	bool interrupted = batch_interrupted();
	if (rc != CRP_OK && err->code != CRP_OK && !interrupted)
		fail(j, err);
	bool ok = !j->failed && !interrupted && rc == CRP_OK && j->session;
	if (ok && crp_emit_end(j->session) != CRP_OK) {
		fail_emit(j, crp_emit_error(j->session));
		ok = false;
	}
	j->res->bytes_out = output_size(j);
	crp_emit_free(j->session);
	j->session = NULL;
	if (j->out_open && ok && cli_output_commit(&j->out) != 0) {
		fail_errno(j, "cannot write", j->dest);
		ok = false;
	} else if (j->out_open && !ok) {
		cli_output_abort(&j->out);
	}
	j->res->status = ok ? BATCH_CONVERTED : interrupted && !j->failed ? BATCH_INTERRUPTED : BATCH_FAILED;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

typedef struct convert_run {
	const convert_opts *o;
	const cli_inputs *in;
} convert_run;

static void convert_job(void *ctx, size_t index, batch_result *res)
{
	const convert_run *run = ctx;
	const convert_opts *o = run->o;
	const cli_input *in = &run->in->items[index];
	job j = {.o = o, .input = in->path, .dest = in->dest, .res = res};
	res->output = in->dest;
	if (in->dir_errno) {
		crp_error e = {.code = CRP_EIO};
		snprintf(e.message, sizeof e.message, "cannot read directory: %s", strerror(in->dir_errno));
		fail(&j, &e);
		res->status = BATCH_FAILED;
		return;
	}
	if (o->out_is_dir && !o->force && exists(in->dest)) {
		res->status = BATCH_SKIPPED;
		return;
	}
	if (o->out_is_dir && strchr(in->rel, '/')) {
		char *dir = cli_xstrdup(in->dest);
		*strrchr(dir, '/') = '\0';
		if (cli_mkdirs(dir) != 0)
			fail_errno(&j, "cannot create directory", dir);
		free(dir);
		if (j.failed) {
			res->status = BATCH_FAILED;
			return;
		}
	}
	crp_error err;
	int rc = cli_read_reports(in->path, o->from, &o->parse, on_report, &j, &err, &res->bytes_in);
	if (rc == CRP_OK && !j.session && !j.failed && !batch_interrupted()) {
		crp_error none = {.code = CRP_EEMPTY};
		snprintf(none.message, sizeof none.message, "%s", crp_status_str(CRP_EEMPTY));
		fail(&j, &none);
	}
	finish_job(&j, rc, &err);
}

static int parse_progress(const char *s, progress_mode *out)
{
	static const char *const names[] = {"auto", "bar", "plain", "none"};
	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (progress_mode)i;
			return 0;
		}
	cli_msg("convert: --progress takes auto, bar, plain or none, not '%s'", s);
	return -1;
}

enum { OPT_STRICT = 256, OPT_INCLUDE, OPT_EXCLUDE, OPT_FORCE, OPT_FAIL_FAST, OPT_REPORT, OPT_PROGRESS, OPT_NDJSON,
       OPT_LIMIT, OPT_MINIDUMP_STACK, OPT_SYMBOLS, OPT_STYLE, OPT_FROM, OPT_SYMBOLS_CACHE, OPT_INDEX_MEMORY };

static void on_skip(void *ctx, const char *path, const crp_error *why)
{
	(void)ctx;
	cli_msg("warning: %s: skipped: %s", path, why->message);
}

static int add_symbols(convert_opts *o, const char *path)
{
	crp_symbolicator_options so = CRP_SYMBOLICATOR_OPTIONS_INIT;
	crp_error err;
	so.on_skip = on_skip;
	so.cache_dir = o->symbols_cache;
	so.max_index_bytes = o->index_memory;
	so.cache_build_threads = cli_threads(o->jobs);
	if (!o->symbols && crp_symbolicator_new(&o->symbols, &so) != CRP_OK) {
		cli_msg("convert: out of memory");
		return -1;
	}
	if (crp_symbolicator_add_path(o->symbols, path, &err) != CRP_OK) {
		cli_msg("convert: --symbols: %s", err.message);
		return -1;
	}
	return 0;
}

/* An option that is shorthand for -O KEY=VALUE: a repeated one replaces the earlier. */
static void add_param(convert_opts *o, const char *key, const char *value)
{
	char *kv = cli_xmalloc(strlen(key) + strlen(value) + 2);
	sprintf(kv, "%s=%s", key, value);
	o->owned_params[o->owned_count++] = kv;
	size_t n = strlen(key);
	for (size_t i = 0; i < o->param_count; i++)
		for (size_t k = 0; k + 1 < o->owned_count; k++)
			if (o->params[i] == o->owned_params[k] && strncmp(o->params[i], kv, n + 1) == 0) {
				o->params[i] = kv;
				return;
			}
	o->params[o->param_count++] = kv;
}

static int parse_option(convert_opts *o, int c, const char **to)
{
	switch (c) {
	case 't': *to = optarg; return 0;
	case OPT_FROM: return (o->from = cli_parse_from(optarg)) ? 0 : -1;
	case 'o': o->out = strcmp(optarg, "-") == 0 ? NULL : optarg; return 0; /* "-": stdout */
	case 'O': o->params[o->param_count++] = optarg; return 0;
	case 'j': return cli_parse_jobs("convert", optarg, &o->jobs);
	case 'q': o->quiet = true; return 0;
	case OPT_STRICT: o->parse.flags |= CRP_PARSE_STRICT; return 0;
	case OPT_INCLUDE: o->filter.include[o->filter.n_include++] = optarg; return 0;
	case OPT_EXCLUDE: o->filter.exclude[o->filter.n_exclude++] = optarg; return 0;
	case OPT_FORCE: o->force = true; return 0;
	case OPT_FAIL_FAST: o->fail_fast = true; return 0;
	case OPT_REPORT: o->report = optarg; return 0;
	case OPT_PROGRESS: return parse_progress(optarg, &o->progress);
	case OPT_NDJSON: o->ndjson = true; return 0;
	case OPT_LIMIT: return cli_parse_limit(&o->parse, optarg);
	case OPT_SYMBOLS: o->symbol_paths[o->symbol_path_count++] = optarg; return 0;
	case OPT_SYMBOLS_CACHE: o->symbols_cache = optarg; return 0;
	case OPT_INDEX_MEMORY: return cli_parse_size("--index-memory", optarg, &o->index_memory);
	case OPT_STYLE: add_param(o, "style", optarg); return 0;
	case OPT_MINIDUMP_STACK: add_param(o, "stack", optarg); return 0;
	case 'h': usage(stdout); exit(EXIT_ALL_OK);
	default: usage(stderr); return -1;
	}
}

static int parse_args(int argc, char **argv, convert_opts *o)
{
	static const struct option longopts[] = {
		{"to", required_argument, NULL, 't'},        {"output", required_argument, NULL, 'o'},
		{"from", required_argument, NULL, OPT_FROM},
		{"option", required_argument, NULL, 'O'},    {"strict", no_argument, NULL, OPT_STRICT},
		{"jobs", required_argument, NULL, 'j'},      {"include", required_argument, NULL, OPT_INCLUDE},
		{"exclude", required_argument, NULL, OPT_EXCLUDE}, {"force", no_argument, NULL, OPT_FORCE},
		{"fail-fast", no_argument, NULL, OPT_FAIL_FAST}, {"report", required_argument, NULL, OPT_REPORT},
		{"progress", required_argument, NULL, OPT_PROGRESS}, {"ndjson", no_argument, NULL, OPT_NDJSON},
		{"limit", required_argument, NULL, OPT_LIMIT},
		{"minidump-stack", required_argument, NULL, OPT_MINIDUMP_STACK},
		{"symbols", required_argument, NULL, OPT_SYMBOLS},
		{"symbols-cache", required_argument, NULL, OPT_SYMBOLS_CACHE},
		{"index-memory", required_argument, NULL, OPT_INDEX_MEMORY},
		{"style", required_argument, NULL, OPT_STYLE},
		{"quiet", no_argument, NULL, 'q'},           {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *to = NULL;
	int c;
	size_t n = (size_t)argc + 1;
	o->params = cli_xmalloc(n * sizeof *o->params);
	o->owned_params = cli_xmalloc(n * sizeof *o->owned_params);
	o->filter.include = cli_xmalloc(n * sizeof *o->filter.include);
	o->filter.exclude = cli_xmalloc(n * sizeof *o->filter.exclude);
	o->symbol_paths = cli_xmalloc(n * sizeof *o->symbol_paths);
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:o:O:j:qh", longopts, NULL)) != -1)
		if (parse_option(o, c, &to) != 0)
			return -1;
	for (size_t i = 0; i < o->symbol_path_count; i++) /* after every option: the cache and cap apply */
		if (add_symbols(o, o->symbol_paths[i]) != 0)
			return -1;
	o->params[o->param_count] = NULL;
	if (!to) {
		cli_msg("convert: --to FORMAT is required");
		return -1;
	}
	if (!(o->emitter = crp_emitter_lookup(to))) {
		cli_msg("convert: unknown format '%s' (try --help)", to);
		return -1;
	}
	if (optind == argc && !o->ndjson) {
		cli_msg("convert: no input given");
		return -1;
	}
	return 0;
}

/* Emitter options are checked once, before any input is read: a misspelt -O is a usage
 * error, not one failure per input. A session on a throwaway buffer rejects them as any. */
static int check_params(const convert_opts *o)
{
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_sink sink;
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	crp_emit_session *s = NULL;
	crp_error e;
	crp_sink_init_buffer(&sink, &buf);
	eo.params = o->params;
	int rc = crp_emit_begin(&s, o->emitter, &sink, &eo, &e);
	crp_emit_free(s);
	crp_buffer_dispose(&buf);
	if (rc == CRP_OK)
		return 0;
	cli_msg("convert: %s", e.message[0] ? e.message : crp_status_str(rc));
	return -1;
}

/* Decide where outputs go: stdout, one file, or a directory (created when missing). */
static int prepare_output(convert_opts *o, cli_inputs *in)
{
	bool batch = in->count > 1 || in->has_dirs;
	if (!o->out) {
		if (batch) {
			cli_msg("convert: several inputs (or a directory) need -o DIR");
			return -1;
		}
		return 0;
	}
	size_t len = strlen(o->out);
	o->out_is_dir = batch || cli_is_dir(o->out) || (len && o->out[len - 1] == '/');
	if (!o->out_is_dir) {
		if (in->count == 1)
			in->items[0].dest = cli_xstrdup(o->out);
		return 0;
	}
	if (cli_mkdirs(o->out) != 0) {
		cli_msg("convert: cannot create directory %s: %s", o->out, strerror(errno));
		return -1;
	}
	cli_inputs_name_outputs(in, o->out, crp_emitter_extension(o->emitter));
	return 0;
}

/* An output must never replace an input (-o x.json x.json, --force -o in/ in/): the input
 * would be gone before, or while, it is read. */
static int check_overwrite(const convert_opts *o, const cli_inputs *in)
{
	size_t w, v;
	if (!cli_inputs_overwrite(in, o->out_is_dir && !o->force, &w, &v))
		return 0;
	if (w == v)
		cli_msg("convert: output %s is the input %s itself; choose another -o", in->items[w].dest,
			in->items[w].path);
	else
		cli_msg("convert: output %s (of %s) is the input %s; choose another -o", in->items[w].dest,
			in->items[w].path, in->items[v].path);
	return -1;
}

static void free_opts(convert_opts *o)
{
	free(o->params);
	free(o->filter.include);
	free(o->filter.exclude);
	free(o->symbol_paths);
	for (size_t i = 0; i < o->owned_count; i++)
		free(o->owned_params[i]);
	free(o->owned_params);
	crp_symbolicator_free(o->symbols);
}

static int run_batch(convert_opts *o, cli_inputs *in)
{
	const char **paths = cli_xmalloc((in->count + 1) * sizeof *paths);
	for (size_t i = 0; i < in->count; i++)
		paths[i] = in->items[i].path;
	convert_run run = {o, in};
	batch_plan plan = {.count = in->count, .paths = paths, .run = convert_job, .ctx = &run,
			   .jobs = o->jobs, .progress = o->progress, .quiet = o->quiet,
			   .summary = in->count > 1 || in->has_dirs, .fail_fast = o->fail_fast,
			   .report_path = o->report, .verb = "converted"};
	int rc = batch_run(&plan);
	free(paths);
	return rc;
}

int cmd_convert(int argc, char **argv)
{
	convert_opts o = {.parse = CRP_PARSE_OPTIONS_INIT};
	if (parse_args(argc, argv, &o) != 0 || check_params(&o) != 0) {
		free_opts(&o);
		return EXIT_USAGE;
	}
	if (o.ndjson) {
		int rc = optind < argc || o.out ? (cli_msg("convert: --ndjson reads stdin and writes stdout"), EXIT_USAGE)
						: cli_ndjson_convert(o.emitter, o.params, &o.parse, o.jobs, o.symbols);
		free_opts(&o);
		return rc;
	}
	cli_inputs in = {0};
	cli_inputs_expand(&in, argv + optind, (size_t)(argc - optind), &o.filter, o.out);
	int rc;
	if (in.count == 0) {
		cli_msg("convert: no input found (directories hold no file matching --include)");
		rc = EXIT_SOME_FAILED;
	} else if (prepare_output(&o, &in) != 0 || check_overwrite(&o, &in) != 0) {
		rc = EXIT_USAGE;
	} else {
		rc = run_batch(&o, &in);
	}
	cli_inputs_free(&in);
	free_opts(&o);
	return rc;
}
