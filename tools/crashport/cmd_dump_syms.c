/* crashport dump-syms: a Breakpad symbol file (.sym) from a Mach-O binary and its dSYM, like
 * Breakpad's `dump_syms -d`, to stdout, a file, or a symbol store (NAME/DEBUGID/NAME.sym). */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crashport/breakpad.h"

typedef struct dump_opts {
	const char *macho, *dsym;
	const char *output, *store;
	crp_breakpad_options lib;
	bool quiet;
} dump_opts;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: crashport dump-syms [--arch ARCH] [-o FILE | --store DIR] [--dwarf-names]\n"
		"                           [--swift-names=MODE] MACHO [DSYM]\n"
		"\n"
		"Write the Breakpad symbol file of a Mach-O image: MODULE, FILE, INLINE_ORIGIN, FUNC\n"
		"with line and INLINE records (from DWARF), and PUBLIC (from the symbol table).\n"
		"MACHO is an executable, dylib or bundle (thin or universal), a .dSYM bundle or the\n"
		"DWARF file inside one; DSYM its dSYM (bundle or DWARF file), whose UUID must match.\n"
		"\n"
		"options:\n"
		"  --arch ARCH      the slice of universal files (arm64, arm64e, armv7, x86_64, ...)\n"
		"  -o FILE          write FILE (complete or not at all) instead of stdout (-: stdout)\n"
		"  --store DIR      write DIR/NAME/DEBUGID/NAME.sym, the layout minidump_stackwalk\n"
		"                   and symbol servers read, and print its path\n"
		"  -n NAME          module name (default: the file name of MACHO)\n"
		"  --no-inlines     no INLINE and INLINE_ORIGIN records\n"
		"  -m               one FUNC and PUBLIC per address, marked 'm' when symbols share it\n"
		"  --dwarf-names    name functions by DWARF even where a symbol at their start\n"
		"                   names them otherwise (an asm label); the default names them as\n"
		"                   --symbols does (Breakpad's dump_syms -x)\n"
		"  --swift-names=MODE  mangled (default: as Breakpad's dump_syms; symbol servers\n"
		"                   such as Sentry's demangle them), full (as swift-demangle) or\n"
		"                   simplified (as Apple's crash reports)\n"
		"  -q, --quiet      no warnings\n"
		"  -h, --help       this text\n"
		"\n"
		"exit status: 0 success, 1 the input cannot be read or the output written,\n"
		"2 usage error\n");
}

static int parse_args(int argc, char **argv, dump_opts *o)
{
	static const struct option longopts[] = {
		{"arch", required_argument, NULL, 'a'}, {"store", required_argument, NULL, 's'},
		{"no-inlines", no_argument, NULL, 'I'}, {"quiet", no_argument, NULL, 'q'},
		{"dwarf-names", no_argument, NULL, 'D'}, {"swift-names", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:n:mqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': o->lib.arch = optarg; break;
		case 's': o->store = optarg; break;
		case 'o': o->output = optarg; break;
		case 'n': o->lib.module_name = optarg; break;
		case 'I': o->lib.flags |= CRP_BREAKPAD_NO_INLINES; break;
		case 'm': o->lib.flags |= CRP_BREAKPAD_MULTIPLE; break;
		case 'D': o->lib.flags |= CRP_BREAKPAD_DWARF_NAMES; break;
		case 'q': o->quiet = true; break;
		case 'W':
			if (!strcmp(optarg, "full"))
				o->lib.flags |= CRP_BREAKPAD_SWIFT_FULL;
			else if (!strcmp(optarg, "simplified"))
				o->lib.flags |= CRP_BREAKPAD_SWIFT_SIMPLIFIED;
			else if (strcmp(optarg, "mangled") != 0) {
				cli_msg("dump-syms: --swift-names: mangled, full or simplified, not '%s'", optarg);
				return -1;
			}
			break;
		case 'h': usage(stdout); exit(EXIT_ALL_OK);
		default: usage(stderr); return -1;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		cli_msg("dump-syms: %s", optind >= argc ? "MACHO is required" : "too many arguments");
		return -1;
	}
	if (o->output && o->store) {
		cli_msg("dump-syms: -o and --store exclude each other");
		return -1;
	}
	o->macho = argv[optind];
	o->dsym = optind + 1 < argc ? argv[optind + 1] : NULL;
	return 0;
}

static void report_damage(const dump_opts *o, const crp_breakpad_module *mod)
{
	if (mod->units_damaged && !o->quiet)
		cli_msg("dump-syms: warning: %s: %zu damaged DWARF unit%s or line table%s skipped",
			o->dsym ? o->dsym : o->macho, mod->units_damaged, mod->units_damaged == 1 ? "" : "s",
			mod->units_damaged == 1 ? "" : "s");
}

static int dump_to(const dump_opts *o, const crp_sink *sink, crp_breakpad_module *mod)
{
	crp_error err;
	if (crp_breakpad_dump_syms(mod, sink, o->macho, o->dsym, &o->lib, &err) != CRP_OK) {
		cli_msg("dump-syms: %s", err.message);
		return EXIT_SOME_FAILED;
	}
	report_damage(o, mod);
	return EXIT_ALL_OK;
}

/* NAME/DEBUGID/NAME.sym under the store, written to a temporary in DIR and renamed there. */
static char *store_path(const char *dir, const crp_breakpad_module *mod)
{
	size_t n = strlen(dir) + 2 * strlen(mod->name) + strlen(mod->debug_id) + 8;
	char *p = cli_xmalloc(n);
	snprintf(p, n, "%s/%s/%s/%s.sym", dir, mod->name, mod->debug_id, mod->name);
	return p;
}

static int commit_store(const dump_opts *o, cli_output *out, const crp_breakpad_module *mod)
{
	char *final = store_path(o->store, mod);
	char *dir = cli_xstrdup(final);
	*strrchr(dir, '/') = '\0';
	int rc = cli_mkdirs(dir);
	if (rc == 0) {
		free(out->final_path);
		out->final_path = cli_xstrdup(final);
		rc = cli_output_commit(out);
	} else {
		cli_output_abort(out);
	}
	if (rc != 0)
		cli_msg("dump-syms: cannot write %s: %s", final, strerror(errno));
	else
		printf("%s\n", final);
	free(dir);
	free(final);
	return rc == 0 ? EXIT_ALL_OK : EXIT_SOME_FAILED;
}

/* -o FILE and --store DIR: complete or not at all, never a partial file. */
static int dump_to_file(const dump_opts *o)
{
	char *target = o->output ? cli_xstrdup(o->output) : cli_path_join(o->store, "dump-syms.sym");
	if (o->store && cli_mkdirs(o->store) != 0) {
		cli_msg("dump-syms: cannot create %s: %s", o->store, strerror(errno));
		free(target);
		return EXIT_SOME_FAILED;
	}
	cli_output out;
	if (cli_output_open(&out, target) != 0) {
		cli_msg("dump-syms: cannot write %s: %s", target, strerror(errno));
		free(target);
		return EXIT_SOME_FAILED;
	}
	free(target);
	crp_sink sink;
	crp_sink_init_fd(&sink, out.fd);
	crp_breakpad_module mod;
	int status = dump_to(o, &sink, &mod);
	if (status != EXIT_ALL_OK) {
		cli_output_abort(&out);
		return status;
	}
	if (o->store)
		return commit_store(o, &out, &mod);
	const char *final = o->output;
	if (cli_output_commit(&out) != 0) {
		cli_msg("dump-syms: cannot write %s: %s", final, strerror(errno));
		return EXIT_SOME_FAILED;
	}
	return EXIT_ALL_OK;
}

int cmd_dump_syms(int argc, char **argv)
{
	dump_opts o;
	memset(&o, 0, sizeof o);
	o.lib = (crp_breakpad_options)CRP_BREAKPAD_OPTIONS_INIT;
	if (parse_args(argc, argv, &o) != 0)
		return EXIT_USAGE;
	if (o.output || o.store)
		return dump_to_file(&o);
	crp_sink sink;
	crp_sink_init_file(&sink, stdout);
	crp_breakpad_module mod;
	int status = dump_to(&o, &sink, &mod);
	if (status == EXIT_ALL_OK && fflush(stdout) != 0) {
		cli_msg("dump-syms: writing stdout: %s", strerror(errno));
		status = EXIT_SOME_FAILED;
	}
	return status;
}
