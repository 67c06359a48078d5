/* crashport: convert KSCrash crash reports. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Subcommands: each lives in its own cmd_*.c. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{"convert", cmd_convert, "convert reports to another format"},
	{"info", cmd_info, "summarise reports"},
	{"validate", cmd_validate, "check reports without converting them"},
	{"atos", cmd_atos, "addresses to function and source line (Apple's atos)"},
	{"dump-syms", cmd_dump_syms, "Breakpad symbol file (.sym) of a Mach-O binary and dSYM"},
	{"symcache", cmd_symcache, "symbol cache of a Mach-O binary and dSYM, for fast lookups"},
	{"demangle", cmd_demangle, "C++ and Swift symbol names made readable (c++filt, swift-demangle)"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: crashport COMMAND [options] ...\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n"
		"  crashport COMMAND --help   options of a command\n"
		"  crashport --version        the version (and library versions)\n"
		"\n"
		"exit status: 0 success, 1 some inputs failed, 2 usage error\n");
}

int main(int argc, char **argv)
{
	cli_init();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_ALL_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("%s\n", crp_version_details());
		return EXIT_ALL_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return cli_exit_status(commands[i].run(argc - 1, argv + 1));
	cli_msg("unknown command '%s' (try crashport --help)", cmd);
	return EXIT_USAGE;
}
