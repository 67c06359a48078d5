/* crashport: convert KSCrash crash reports. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: crashport COMMAND [options] ...\n"
		"\n"
		"commands:\n"
		"  convert   convert reports to another format (crashport convert --help)\n"
		"  info      summarise reports\n"
		"\n"
		"  crashport --version    print the version (and library versions)\n"
		"  crashport --help       this text\n"
		"\n"
		"exit status: 0 success, 1 some inputs failed, 2 usage error\n");
}

int main(int argc, char **argv)
{
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
	if (strcmp(cmd, "convert") == 0)
		return cmd_convert(argc - 1, argv + 1);
	if (strcmp(cmd, "info") == 0)
		return cmd_info(argc - 1, argv + 1);
	cli_msg("unknown command '%s' (try crashport --help)", cmd);
	return EXIT_USAGE;
}
