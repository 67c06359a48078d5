/* crashport convert: read reports, write them in another format. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

typedef struct convert_opts {
	const crp_emitter *emitter;
	const char *out;
	bool out_is_dir;
	bool quiet;
	crp_parse_options parse;
	const char **params;
	size_t param_count;
	char *style;              /* "style=STYLE" from --style, owned */
	size_t style_at;          /* its slot in params */
} convert_opts;

/* One input being converted. */
typedef struct job {
	const convert_opts *o;
	const char *input;
	const char *dest;         /* NULL: stdout */
	cli_output out;
	bool out_open;
	crp_sink sink;
	crp_emit_session *session;
	crp_error emit_err;
	size_t reports;
	size_t warnings;
} job;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: crashport convert --to FORMAT [-o OUT] [options] INPUT...\n"
		"\n"
		"Read KSCrash reports (files, or - for stdin) and write them as FORMAT.\n"
		"One input without -o goes to stdout; -o FILE writes one file; -o DIR (or several\n"
		"inputs) writes DIR/<input name>.<ext>. Outputs appear only when complete.\n"
		"\n"
		"options:\n"
		"  -t, --to FORMAT      output format:");
	for (size_t i = 0; crp_emitter_at(i); i++)
		fprintf(f, " %s", crp_emitter_name(crp_emitter_at(i)));
	fprintf(f, "\n"
		"  -o, --output PATH    output file or directory\n"
		"  -O, --option K=V     emitter option (e.g. indent=2); repeatable\n"
		"      --style STYLE    same as -O style=STYLE (apple: apple or kscrash)\n"
		"      --strict         truncated input and mistyped fields are errors\n"
		"  -q, --quiet          do not print warnings\n"
		"  -h, --help           this text\n"
		"\n"
		"exit status: 0 all converted, 1 some failed, 2 usage error\n");
}

static int start_session(job *j)
{
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	eo.params = j->o->params;
	if (j->dest) {
		if (cli_output_open(&j->out, j->dest) != 0) {
			cli_msg("%s: cannot create output %s: %s", j->input, j->dest, strerror(errno));
			return -1;
		}
		j->out_open = true;
		crp_sink_init_fd(&j->sink, j->out.fd);
	} else {
		crp_sink_init_fd(&j->sink, STDOUT_FILENO);
	}
	if (crp_emit_begin(&j->session, j->o->emitter, &j->sink, &eo, &j->emit_err) != CRP_OK) {
		cli_print_error(j->input, &j->emit_err, NULL);
		return -1;
	}
	return 0;
}

static int on_report(crp_report *r, void *ctx)
{
	job *j = ctx;
	int stop = 0;
	if (!j->o->quiet)
		cli_print_warnings(j->input, r);
	j->warnings += crp_report_warning_count(r);
	if (!j->session && start_session(j) != 0)
		stop = 1;
	else if (crp_emit_report(j->session, r) != CRP_OK)
		stop = 1; /* reported by finish_job */
	j->reports++;
	crp_report_free(r);
	return stop;
}

static bool finish_job(job *j, int rc, const crp_error *err)
{
	bool ok = rc == CRP_OK && j->session && crp_emit_end(j->session) == CRP_OK;
	if (rc != CRP_OK && err->code != CRP_OK)
		cli_print_error(j->input, err, NULL);
	else if (!ok && j->session)
		cli_print_error(j->input, crp_emit_error(j->session), NULL);
	crp_emit_free(j->session);
	j->session = NULL;
	if (j->out_open) {
		if (ok && cli_output_commit(&j->out) != 0) {
			cli_msg("%s: cannot write %s: %s", j->input, j->dest, strerror(errno));
			ok = false;
		} else if (!ok) {
			cli_output_abort(&j->out);
		}
	}
	return ok;
}

static bool convert_one(const convert_opts *o, const char *input, const char *dest)
{
	job j = {.o = o, .input = input, .dest = dest};
	crp_error err;
	int rc = cli_read_reports(input, &o->parse, on_report, &j, &err);
	if (rc == CRP_OK && !j.session)
		rc = CRP_ERROR; /* on_report failed to start; already reported */
	return finish_job(&j, rc, &err);
}

/* DIR/<stem><ext>, with -2, -3, ... when two inputs share a stem. */
static char *dest_name(const convert_opts *o, const char *input, char **used, size_t n_used)
{
	char *stem = strcmp(input, "-") == 0 ? cli_xstrdup("stdin") : cli_stem(input);
	const char *ext = crp_emitter_extension(o->emitter);
	char *name = cli_xmalloc(strlen(stem) + strlen(ext) + 24);
	for (unsigned k = 1;; k++) {
		if (k == 1)
			sprintf(name, "%s%s", stem, ext);
		else
			sprintf(name, "%s-%u%s", stem, k, ext);
		size_t i = 0;
		while (i < n_used && strcmp(used[i], name) != 0)
			i++;
		if (i == n_used)
			break;
	}
	free(stem);
	return name;
}

static int parse_args(int argc, char **argv, convert_opts *o)
{
	static const struct option longopts[] = {
		{"to", required_argument, NULL, 't'},     {"output", required_argument, NULL, 'o'},
		{"option", required_argument, NULL, 'O'}, {"strict", no_argument, NULL, 'S'},
		{"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
		{"style", required_argument, NULL, 's'},  {NULL, 0, NULL, 0}};
	const char *to = NULL;
	int c;
	o->params = cli_xmalloc((size_t)argc * sizeof *o->params);
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:o:O:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'o': o->out = optarg; break;
		case 'O': o->params[o->param_count++] = optarg; break;
		case 'S': o->parse.flags |= CRP_PARSE_STRICT; break;
		case 'q': o->quiet = true; break;
		case 's': /* the last --style wins, in the slot of the first */
			if (!o->style)
				o->style_at = o->param_count++;
			free(o->style);
			o->style = cli_xmalloc(strlen(optarg) + 7);
			sprintf(o->style, "style=%s", optarg);
			o->params[o->style_at] = o->style;
			break;
		case 'h': usage(stdout); exit(EXIT_ALL_OK);
		default: usage(stderr); return -1;
		}
	}
	o->params[o->param_count] = NULL;
	if (!to) {
		cli_msg("convert: --to FORMAT is required");
		return -1;
	}
	if (!(o->emitter = crp_emitter_lookup(to))) {
		cli_msg("convert: unknown format '%s' (try --help)", to);
		return -1;
	}
	if (optind == argc) {
		cli_msg("convert: no input given");
		return -1;
	}
	return 0;
}

static int prepare_output(convert_opts *o, int n_inputs)
{
	if (!o->out) {
		if (n_inputs > 1) {
			cli_msg("convert: several inputs need -o DIR");
			return -1;
		}
		return 0;
	}
	size_t len = strlen(o->out);
	o->out_is_dir = n_inputs > 1 || cli_is_dir(o->out) || (len && o->out[len - 1] == '/');
	if (o->out_is_dir && !cli_is_dir(o->out) && mkdir(o->out, 0777) != 0) {
		cli_msg("convert: cannot create directory %s: %s", o->out, strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_convert(int argc, char **argv)
{
	convert_opts o = {.parse = CRP_PARSE_OPTIONS_INIT};
	if (parse_args(argc, argv, &o) != 0 || prepare_output(&o, argc - optind) != 0) {
		free(o.params);
		free(o.style);
		return EXIT_USAGE;
	}
	int n = argc - optind;
	char **used = cli_xmalloc((size_t)n * sizeof *used);
	size_t failed = 0;
	for (int i = 0; i < n; i++) {
		const char *input = argv[optind + i];
		char *dest = NULL;
		used[i] = NULL;
		if (o.out_is_dir) {
			used[i] = dest_name(&o, input, used, (size_t)i);
			dest = cli_path_join(o.out, used[i]);
		}
		if (!convert_one(&o, input, o.out_is_dir ? dest : o.out))
			failed++;
		free(dest);
	}
	for (int i = 0; i < n; i++)
		free(used[i]);
	free(used);
	free(o.params);
	free(o.style);
	return failed ? EXIT_SOME_FAILED : EXIT_ALL_OK;
}
