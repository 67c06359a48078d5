/* crashport validate: parse and check reports without converting them. */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct validate_ctx {
	const char *input;
	bool json;
	bool strict;
	size_t index;
	size_t invalid;   /* reports with errors (or, strict, warnings) */
} validate_ctx;

static void json_diag(const char *severity, const crp_diag *d, bool *first)
{
	printf("%s{\"severity\":\"%s\",\"code\":\"%s\",\"path\":", *first ? "" : ",", severity, crp_code_name(d->code));
	cli_json_string(stdout, d->json_path);
	printf(",\"line\":%" PRIu64 ",\"column\":%" PRIu64 ",\"message\":", d->line, d->column);
	cli_json_string(stdout, d->message);
	putchar('}');
	*first = false;
}

static void print_json(validate_ctx *c, const crp_report *r, const crp_validation *v, size_t errors,
		       size_t warnings)
{
	bool first = true;
	printf("{\"path\":");
	cli_json_string(stdout, c->input);
	printf(",\"index\":%zu,\"valid\":%s,\"errors\":%zu,\"warnings\":%zu,\"findings\":[", c->index,
	       errors ? "false" : "true", errors, warnings);
	for (size_t i = 0; i < crp_report_warning_count(r); i++)
		json_diag(c->strict ? "error" : "warning", crp_report_warning(r, i), &first);
	for (size_t i = 0; i < crp_validation_count(v); i++) {
		const crp_finding *f = crp_validation_finding(v, i);
		bool err = f->severity == CRP_SEVERITY_ERROR || c->strict;
		json_diag(err ? "error" : "warning", &f->diag, &first);
	}
	printf("]}\n");
}

static void print_human(validate_ctx *c, const crp_report *r, const crp_validation *v, size_t errors,
			size_t warnings)
{
	for (size_t i = 0; i < crp_report_warning_count(r); i++) {
		const crp_diag *d = crp_report_warning(r, i);
		printf("%s:%" PRIu64 ":%" PRIu64 ": %s%s%s: %s\n", c->input, d->line, d->column, d->json_path,
		       d->json_path[0] ? ": " : "", c->strict ? "error" : "warning", d->message);
	}
	for (size_t i = 0; i < crp_validation_count(v); i++) {
		const crp_finding *f = crp_validation_finding(v, i);
		bool err = f->severity == CRP_SEVERITY_ERROR || c->strict;
		printf("%s: report %zu: %s: %s: %s\n", c->input, c->index, f->diag.json_path, err ? "error" : "warning",
		       f->diag.message);
	}
	if (crp_validation_dropped(v))
		printf("%s: report %zu: %zu more findings not shown\n", c->input, c->index, crp_validation_dropped(v));
	printf("%s: report %zu: %s (%zu errors, %zu warnings)\n", c->input, c->index, errors ? "INVALID" : "valid",
	       errors, warnings);
}

static int on_report(crp_report *r, void *ctx)
{
	validate_ctx *c = ctx;
	crp_validation *v;
	c->index++;
	if (crp_report_validate(&v, r, NULL) != CRP_OK) {
		cli_msg("%s: out of memory", c->input);
		crp_report_free(r);
		return 1;
	}
	size_t found = crp_validation_count(v) + crp_validation_dropped(v);
	size_t warnings = crp_report_warning_count(r) + found - crp_validation_errors(v);
	size_t errors = crp_validation_errors(v);
	if (c->strict) {
		errors += warnings;
		warnings = 0;
	}
	if (c->json)
		print_json(c, r, v, errors, warnings);
	else
		print_human(c, r, v, errors, warnings);
	c->invalid += errors != 0;
	crp_validation_free(v);
	crp_report_free(r);
	return 0;
}

static void print_failure(validate_ctx *c, const crp_error *e)
{
	if (!c->json) {
		cli_print_error(c->input, e, NULL);
		printf("%s: INVALID (%s)\n", c->input, e->message);
		return;
	}
	bool first = true;
	printf("{\"path\":");
	cli_json_string(stdout, c->input);
	printf(",\"index\":null,\"valid\":false,\"errors\":1,\"warnings\":0,\"findings\":[");
	json_diag("error", e, &first);
	printf("]}\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: crashport validate [--json] [--strict] [--from FORMAT] [--limit NAME=N]... INPUT...\n\n"
		   "Parse and check reports without converting them: the text (syntax, types, truncation)\n"
		   "and what it says (required fields, value ranges, consistency, every frame address\n"
		   "inside a binary image). --strict makes warnings errors. Inputs are recognised by\n"
		   "content; --from FORMAT reads them as FORMAT (%s).\n\n"
		   "exit status: 0 every report valid, 1 some report invalid, 2 usage error\n",
		cli_readable_formats() + 1);
}

int cmd_validate(int argc, char **argv)
{
	static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
						 {"from", required_argument, NULL, 'f'},
						 {"strict", no_argument, NULL, 'S'},
						 {"limit", required_argument, NULL, 'L'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	validate_ctx c = {0};
	crp_parse_options po = CRP_PARSE_OPTIONS_INIT;
	const crp_format *from = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': c.json = true; break;
		case 'f':
			if (!(from = cli_parse_from(optarg)))
				return EXIT_USAGE;
			break;
		case 'S': c.strict = true; break;
		case 'L':
			if (cli_parse_limit(&po, optarg) != 0)
				return EXIT_USAGE;
			break;
		case 'h': usage(stdout); return EXIT_ALL_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		cli_msg("validate: no input given");
		return EXIT_USAGE;
	}
	size_t failed = 0;
	for (int i = optind; i < argc; i++) {
		crp_error err;
		c.input = argv[i];
		c.index = 0;
		c.invalid = 0;
		if (cli_read_reports(argv[i], from, &po, on_report, &c, &err, NULL) != CRP_OK) {
			print_failure(&c, &err);
			c.invalid++;
		}
		failed += c.invalid != 0;
		fflush(stdout);
	}
	return failed ? EXIT_SOME_FAILED : EXIT_ALL_OK;
}
