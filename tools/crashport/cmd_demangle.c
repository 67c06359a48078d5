/* crashport demangle: C++ and Swift names to readable ones, like c++filt and swift-demangle.
 * Names come as arguments, else as lines of stdin, where every mangled name in running text is
 * replaced and everything else is copied unchanged. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "crashport/demangle.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: crashport demangle [--simplified] [--no-cxx | --no-swift] [NAME...]\n"
		"\n"
		"Print each NAME demangled, one per line; names that are not mangled C++ or Swift\n"
		"symbols are printed as they are. Without NAMEs, copy stdin to stdout, replacing\n"
		"every mangled name found in the text (as c++filt and swift-demangle do).\n"
		"Swift: every mangling (_T, _T0, $S, $s, $e; with the Mach-O '_' or not).\n"
		"\n"
		"options:\n"
		"  -s, --simplified  Swift in the style of Apple's crash reports and\n"
		"                    swift-demangle -simplified: ViewController.crashTapped()\n"
		"  --no-cxx          leave C++ names alone\n"
		"  --no-swift        leave Swift names alone\n"
		"  -h, --help        this text\n"
		"\n"
		"exit status: 0 success, 1 stdin or stdout failed, 2 usage error\n");
}

/* The name demangled, or NULL. *big is a heap buffer for the rare names longer than buf. */
static const char *demangle(const char *name, const crp_demangle_options *o, char *buf, size_t cap,
			    char **big)
{
	int rc = crp_demangle(buf, cap, NULL, name, o);
	if (rc == CRP_ELIMIT) {
		if (!*big)
			*big = cli_xmalloc(1u << 20);
		rc = crp_demangle(*big, 1u << 20, NULL, name, o);
		return rc == CRP_OK ? *big : NULL;
	}
	return rc == CRP_OK ? buf : NULL;
}

static bool symbol_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '$' || c == '.';
}

static bool mangled_start(const char *s)
{
	static const char *const prefixes[] = {"$s", "$S", "$e", "_$s", "_$S", "_$e", "_T", "__T",
					       "_Z", "__Z"};
	for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
		if (!strncmp(s, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* One line of text (without its newline) with its mangled names replaced. */
static void filter_line(char *line, size_t len, const crp_demangle_options *o, char **big)
{
	char buf[CRP_DEMANGLE_BUFFER];
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && symbol_char((unsigned char)line[j]))
			j++;
		while (j > i + 1 && line[j - 1] == '.')
			j--; /* a sentence's full stop is not a suffix of the name before it */
		if (j == i) {
			putchar(line[i++]);
			continue;
		}
		char save = line[j];
		line[j] = '\0';
		const char *d = mangled_start(line + i) ? demangle(line + i, o, buf, sizeof buf, big) : NULL;
		fputs(d ? d : line + i, stdout);
		line[j] = save;
		i = j;
	}
}

static int filter_stdin(const crp_demangle_options *o)
{
	char *line = NULL, *big = NULL;
	size_t cap = 0;
	ssize_t n;
	bool interactive = isatty(STDIN_FILENO);
	while ((n = getline(&line, &cap, stdin)) > 0) {
		size_t len = (size_t)n;
		bool nl = line[len - 1] == '\n';
		filter_line(line, nl ? len - 1 : len, o, &big);
		if (nl)
			putchar('\n');
		if (interactive)
			fflush(stdout);
	}
	int rc = ferror(stdin) ? EXIT_SOME_FAILED : EXIT_ALL_OK;
	free(line);
	free(big);
	return rc;
}

int cmd_demangle(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"simplified", no_argument, NULL, 's'}, {"no-cxx", no_argument, NULL, 'C'},
		{"no-swift", no_argument, NULL, 'S'},   {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	crp_demangle_options o = CRP_DEMANGLE_OPTIONS_INIT;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "sh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.flags |= CRP_DEMANGLE_SIMPLIFIED; break;
		case 'C': o.flags |= CRP_DEMANGLE_NO_CXX; break;
		case 'S': o.flags |= CRP_DEMANGLE_NO_SWIFT; break;
		case 'h': usage(stdout); return EXIT_ALL_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	int rc = EXIT_ALL_OK;
	if (optind == argc) {
		rc = filter_stdin(&o);
	} else {
		char buf[CRP_DEMANGLE_BUFFER], *big = NULL;
		for (int i = optind; i < argc; i++) {
			const char *d = demangle(argv[i], &o, buf, sizeof buf, &big);
			puts(d ? d : argv[i]);
		}
		free(big);
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_msg("stdout: write failed");
		rc = EXIT_SOME_FAILED;
	}
	return rc;
}
