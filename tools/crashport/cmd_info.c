/* crashport info: a one-screen summary of each report (or one JSON object per report). */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct info_ctx {
	const char *input;
	bool json;
	bool quiet;
	size_t index;
	cli_archive archive;  /* when the input is a CRPB archive */
} info_ctx;

static const char *or_dash(const char *s) { return s && *s ? s : "-"; }

static const char *report_arch(const crp_report *r)
{
	const crp_system *s = crp_report_system(r);
	const char *a = NULL;
	if (CRP_HAS(s, CRP_SYSTEM_BINARY_CPU_TYPE))
		a = crp_arch_name(s->binary_cpu_type, s->binary_cpu_subtype);
	if (!a && CRP_HAS(s, CRP_SYSTEM_CPU_TYPE))
		a = crp_arch_name(s->cpu_type, s->cpu_subtype);
	if (!a) {
		const crp_image *main = crp_report_main_image(r);
		if (main && CRP_HAS(main, CRP_IMAGE_CPU_TYPE))
			a = crp_arch_name(main->cpu_type, main->cpu_subtype);
	}
	return a ? a : s->cpu_arch;
}

static const char *exception_name(const crp_crash_error *e)
{
	if (!CRP_HAS(e, CRP_ERROR_MACH))
		return NULL;
	if (CRP_HAS(&e->mach, CRP_MACH_EXCEPTION_NAME))
		return e->mach.exception_name;
	return CRP_HAS(&e->mach, CRP_MACH_EXCEPTION) ? crp_mach_exception_name(e->mach.exception) : NULL;
}

static const char *signal_name(const crp_crash_error *e)
{
	if (!CRP_HAS(e, CRP_ERROR_SIGNAL))
		return NULL;
	if (CRP_HAS(&e->signal, CRP_SIGNAL_NAME))
		return e->signal.name;
	return CRP_HAS(&e->signal, CRP_SIGNAL_SIGNAL) ? crp_signal_name(e->signal.signal) : NULL;
}

/* The headline reason: exception name + reason, or what the error type says. */
static void reason_text(const crp_crash_error *e, char *buf, size_t cap)
{
	const char *name = NULL;
	if (CRP_HAS(e, CRP_ERROR_NSEXCEPTION))
		name = e->nsexception.name;
	else if (CRP_HAS(e, CRP_ERROR_CPP_EXCEPTION))
		name = e->cpp_exception.name;
	else if (CRP_HAS(e, CRP_ERROR_USER_REPORTED))
		name = e->user_reported.name;
	const char *reason = e->reason ? e->reason : (CRP_HAS(e, CRP_ERROR_NSEXCEPTION) ? e->nsexception.reason : NULL);
	if (name && reason)
		snprintf(buf, cap, "%s: %s", name, reason);
	else
		snprintf(buf, cap, "%s", name ? name : reason ? reason : "");
}

static void print_frame(const char *in_, size_t i, const crp_frame *f)
{
	printf("%s    %-3zu %-28s 0x%016" PRIx64, in_, i, or_dash(f->object_name), f->instruction_addr);
	char dm[CRP_DEMANGLE_BUFFER];
	if (f->symbol_name)
		printf(" %s + %" PRIu64, cli_demangle(f->symbol_name, dm, sizeof dm),
		       f->instruction_addr - f->symbol_addr);
	putchar('\n');
}

static void print_summary(const crp_report *r, const char *indent);

static void print_human(info_ctx *c, const crp_report *r)
{
	printf("%s (report %zu)\n", c->input, c->index);
	print_summary(r, "  ");
	const crp_report *orig = crp_report_recrash(r);
	if (orig) {
		printf("  The crash reporter crashed while writing; the original report it was writing:\n");
		print_summary(orig, "    ");
	}
	if (crp_report_warning_count(r))
		printf("  Warnings   %zu (run convert to see them)\n", crp_report_warning_count(r));
}

static void print_summary(const crp_report *r, const char *in_)
{
	const crp_info *in = crp_report_info(r);
	const crp_system *s = crp_report_system(r);
	const crp_crash *cr = crp_report_crash(r);
	const crp_crash_error *e = &cr->error;
	size_t n_images, crashed_index;
	char when[40] = "-", reason[512];
	crp_report_images(r, &n_images);
	if (CRP_HAS(in, CRP_INFO_TIMESTAMP) && in->timestamp.form != CRP_TIME_EMPTY)
		crp_time_format(in->timestamp.usec, 6, when);
	char pid[32] = "-";
	if (CRP_HAS(s, CRP_SYSTEM_PROCESS_ID))
		snprintf(pid, sizeof pid, "%" PRId64, s->process_id);
	printf("%sReport     %s  %s, version %s\n", in_, or_dash(in->id), or_dash(in->type),
	       or_dash(in->version.text));
	printf("%sTime       %s\n", in_, when);
	printf("%sProcess    %s [%s]  %s %s (%s)\n", in_, or_dash(s->process_name ? s->process_name : in->process_name),
	       pid, or_dash(s->bundle_id), or_dash(s->bundle_short_version), or_dash(s->bundle_version));
	printf("%sSystem     %s %s (%s) on %s (%s), %s\n", in_, or_dash(s->system_name), or_dash(s->system_version),
	       or_dash(s->os_version), or_dash(s->machine), or_dash(s->model), or_dash(report_arch(r)));
	printf("%sCrash      %s", in_, or_dash(e->type));
	if (exception_name(e) || signal_name(e))
		printf("  %s (%s)", or_dash(exception_name(e)), or_dash(signal_name(e)));
	if (CRP_HAS(e, CRP_ERROR_ADDRESS))
		printf(" at 0x%016" PRIx64, e->address);
	putchar('\n');
	reason_text(e, reason, sizeof reason);
	if (reason[0])
		printf("%sReason     %s\n", in_, reason);
	const crp_thread *t = crp_report_crashed_thread(r, &crashed_index);
	if (t) {
		printf("%sCrashed    thread %" PRIu64 "%s%s%s, %zu frames\n", in_, t->index, t->name || t->dispatch_queue ? " (" : "",
		       t->name ? t->name : t->dispatch_queue ? t->dispatch_queue : "", t->name || t->dispatch_queue ? ")" : "",
		       t->backtrace.frame_count);
		for (size_t i = 0; i < t->backtrace.frame_count && i < 8; i++)
			print_frame(in_, i, &t->backtrace.frames[i]);
	}
	printf("%sContents   %zu threads, %zu binary images\n", in_, cr->thread_count, n_images);
	if (crp_report_is_incomplete(r))
		printf("%sNote       incomplete: the report was cut short when it was written\n", in_);
}

static void json_field(FILE *f, const char *key, const char *value, bool *first)
{
	fprintf(f, "%s\"%s\":", *first ? "" : ",", key);
	*first = false;
	if (value)
		cli_json_string(f, value);
	else
		fputs("null", f);
}

static void print_json(info_ctx *c, const crp_report *r)
{
	const crp_info *in = crp_report_info(r);
	const crp_system *s = crp_report_system(r);
	const crp_crash *cr = crp_report_crash(r);
	size_t n_images, crashed;
	char when[40], reason[512];
	bool first = true;
	crp_report_images(r, &n_images);
	const crp_thread *t = crp_report_crashed_thread(r, &crashed);
	reason_text(&cr->error, reason, sizeof reason);
	bool has_time = CRP_HAS(in, CRP_INFO_TIMESTAMP) && in->timestamp.form != CRP_TIME_EMPTY;
	if (has_time)
		crp_time_format(in->timestamp.usec, 6, when);
	putchar('{');
	json_field(stdout, "path", c->input, &first);
	printf(",\"index\":%zu", c->index);
	json_field(stdout, "id", in->id, &first);
	json_field(stdout, "type", in->type, &first);
	json_field(stdout, "version", in->version.text, &first);
	json_field(stdout, "timestamp", has_time ? when : NULL, &first);
	json_field(stdout, "process", s->process_name ? s->process_name : in->process_name, &first);
	json_field(stdout, "bundle_id", s->bundle_id, &first);
	json_field(stdout, "app_version", s->bundle_short_version, &first);
	json_field(stdout, "app_build", s->bundle_version, &first);
	json_field(stdout, "os", s->system_name, &first);
	json_field(stdout, "os_version", s->system_version, &first);
	json_field(stdout, "os_build", s->os_version, &first);
	json_field(stdout, "machine", s->machine, &first);
	json_field(stdout, "arch", report_arch(r), &first);
	json_field(stdout, "error_type", cr->error.type, &first);
	json_field(stdout, "exception", exception_name(&cr->error), &first);
	json_field(stdout, "signal", signal_name(&cr->error), &first);
	json_field(stdout, "reason", reason[0] ? reason : NULL, &first);
	if (t)
		printf(",\"crashed_thread\":%" PRIu64, t->index);
	else
		printf(",\"crashed_thread\":null");
	if (c->index <= c->archive.count)
		printf(",\"archive_offset\":%llu,\"archive_bytes\":%llu",
		       (unsigned long long)c->archive.entries[c->index - 1].offset,
		       (unsigned long long)c->archive.entries[c->index - 1].size);
	printf(",\"threads\":%zu,\"images\":%zu,\"warnings\":%zu,\"incomplete\":%s,\"recrash\":%s}\n",
	       cr->thread_count, n_images, crp_report_warning_count(r),
	       crp_report_is_incomplete(r) ? "true" : "false", crp_report_recrash(r) ? "true" : "false");
}

static int on_report(crp_report *r, void *ctx)
{
	info_ctx *c = ctx;
	c->index++;
	if (!c->quiet)
		cli_print_warnings(c->input, r);
	if (c->json)
		print_json(c, r);
	else
		print_human(c, r);
	crp_report_free(r);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	static const struct option longopts[] = {{"json", no_argument, NULL, 'j'},
						 {"from", required_argument, NULL, 'f'},
						 {"quiet", no_argument, NULL, 'q'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	info_ctx c = {0};
	const crp_format *from = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "jqh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': c.json = true; break;
		case 'f':
			if (!(from = cli_parse_from(optarg)))
				return EXIT_USAGE;
			break;
		case 'q': c.quiet = true; break;
		case 'h':
			printf("usage: crashport info [--json] [--from FORMAT] [-q] INPUT...\n\n"
			       "Summarise each report: identity, app, system, crash, crashed thread.\n"
			       "A CRPB archive is listed first (offset, size, id, time of each report).\n"
			       "--json prints one JSON object per report instead. Inputs are recognised\n"
			       "by content; --from FORMAT reads them as FORMAT (%s).\n", cli_readable_formats() + 1);
			return EXIT_ALL_OK;
		default: return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		cli_msg("info: no input given");
		return EXIT_USAGE;
	}
	crp_parse_options po = CRP_PARSE_OPTIONS_INIT;
	size_t failed = 0;
	for (int i = optind; i < argc; i++) {
		crp_error err;
		c.input = argv[i];
		c.index = 0;
		int archive = from && from != crp_format_lookup("crpb") ? 0
									: cli_archive_load(argv[i], &c.archive, &err);
		if (archive > 0 && !c.json)
			cli_archive_print(argv[i], &c.archive);
		if (archive < 0 || cli_read_reports(argv[i], from, &po, on_report, &c, &err, NULL) != CRP_OK) {
			cli_print_error(argv[i], &err, NULL);
			failed++;
		}
		cli_archive_free(&c.archive);
		fflush(stdout);
	}
	return failed ? EXIT_SOME_FAILED : EXIT_ALL_OK;
}
