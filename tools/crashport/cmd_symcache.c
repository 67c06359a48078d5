/* crashport symcache: the symbol cache of each image slice of a Mach-O binary and its dSYM
 * (schema/symcache-format.md), to a file or to a cache directory as --symbols-cache reads it. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "crashport/symbols.h"

typedef struct cache_opts {
	const char *arch;
	const char *output, *store;
	const char *macho, *dsym;
	unsigned jobs;
} cache_opts;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: crashport symcache [--arch ARCH] [-j N] (-o FILE | --store DIR) MACHO [DSYM]\n"
		"\n"
		"Write the symbol cache of a Mach-O image: everything a lookup needs (functions,\n"
		"inlined calls, lines, files, demangled names) in one file used straight from memory,\n"
		"so that --symbols and atos -o answer from it, exactly as from MACHO and DSYM, without\n"
		"reading them. MACHO is an executable, dylib or bundle (thin or universal), a .dSYM\n"
		"bundle or the DWARF file inside one; DSYM its dSYM.\n"
		"\n"
		"options:\n"
		"  --arch ARCH      only this slice of universal files (arm64, arm64e, x86_64, ...)\n"
		"  -o FILE          write FILE, - for stdout (one slice: with a universal file, name\n"
		"                   it with --arch)\n"
		"  --store DIR      write DIR/UUID/ARCH.symcache for every slice, the layout\n"
		"                   --symbols-cache DIR reads, and print each path\n"
		"  -j, --jobs N     threads indexing the DWARF (default: one per CPU)\n"
		"  -h, --help       this text\n"
		"\n"
		"exit status: 0 success, 1 the input cannot be read or an output written, 2 usage error\n");
}

static int parse_args(int argc, char **argv, cache_opts *o)
{
	static const struct option longopts[] = {{"arch", required_argument, NULL, 'a'},
						 {"store", required_argument, NULL, 's'},
						 {"jobs", required_argument, NULL, 'j'},
						 {"help", no_argument, NULL, 'h'},
						 {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': o->arch = optarg; break;
		case 's': o->store = optarg; break;
		case 'o': o->output = optarg; break;
		case 'j':
			if (cli_parse_jobs("symcache", optarg, &o->jobs) != 0)
				return -1;
			break;
		case 'h': usage(stdout); exit(EXIT_ALL_OK);
		default: usage(stderr); return -1;
		}
	}
	if (optind >= argc || argc - optind > 2) {
		cli_msg("symcache: %s", optind >= argc ? "MACHO is required" : "too many arguments");
		return -1;
	}
	if (!o->output == !o->store) {
		cli_msg("symcache: give -o FILE or --store DIR");
		return -1;
	}
	o->macho = argv[optind];
	o->dsym = optind + 1 < argc ? argv[optind + 1] : NULL;
	return 0;
}

static char *store_path(const char *dir, const crp_symbol_image_info *info, bool dir_only)
{
	char uuid[37], arch[32];
	crp_uuid_format(&info->uuid, uuid);
	if (info->arch)
		snprintf(arch, sizeof arch, "%s", info->arch);
	else
		snprintf(arch, sizeof arch, "cpu%d-%d", info->cpu_type, info->cpu_subtype);
	size_t n = strlen(dir) + 80;
	char *p = cli_xmalloc(n);
	snprintf(p, n, dir_only ? "%s/%s" : "%s/%s/%s.symcache", dir, uuid, arch);
	return p;
}

/* One image's cache to `path`, complete or not at all. */
static int write_one(const crp_symbolicator *s, const crp_symbol_image *im, const char *path)
{
	cli_output out;
	crp_error err;
	if (cli_output_open(&out, path) != 0) {
		cli_msg("symcache: cannot write %s: %s", path, strerror(errno));
		return EXIT_SOME_FAILED;
	}
	crp_sink sink;
	crp_sink_init_fd(&sink, out.fd);
	if (crp_symbol_image_write_cache(s, im, &sink, &err) != CRP_OK) {
		cli_output_abort(&out);
		cli_msg("symcache: %s", err.message);
		return EXIT_SOME_FAILED;
	}
	if (cli_output_commit(&out) != 0) {
		cli_msg("symcache: cannot write %s: %s", path, strerror(errno));
		return EXIT_SOME_FAILED;
	}
	return EXIT_ALL_OK;
}

static int to_store(const cache_opts *o, const crp_symbolicator *s, const crp_symbol_image *im)
{
	crp_symbol_image_info info;
	crp_symbol_image_get_info(im, &info);
	char *dir = store_path(o->store, &info, true), *path = store_path(o->store, &info, false);
	int rc = EXIT_SOME_FAILED;
	if (cli_mkdirs(dir) != 0)
		cli_msg("symcache: cannot create %s: %s", dir, strerror(errno));
	else if ((rc = write_one(s, im, path)) == EXIT_ALL_OK)
		printf("%s\n", path);
	free(dir);
	free(path);
	return rc;
}

/* The slices to write: every image, or those of --arch. */
static size_t chosen(const cache_opts *o, const crp_symbolicator *s, const crp_symbol_image **out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < crp_symbolicator_image_count(s) && n < cap; i++) {
		crp_symbol_image_info info;
		crp_symbol_image_get_info(crp_symbolicator_image(s, i), &info);
		if (!o->arch || (info.arch && strcmp(info.arch, o->arch) == 0))
			out[n++] = crp_symbolicator_image(s, i);
	}
	return n;
}

static int run(const cache_opts *o, const crp_symbolicator *s)
{
	const crp_symbol_image *ims[64];
	size_t n = chosen(o, s, ims, 64);
	if (!n) {
		cli_msg("symcache: %s holds no %s%simage", o->macho, o->arch ? o->arch : "", o->arch ? " " : "Mach-O ");
		return EXIT_SOME_FAILED;
	}
	if (o->output && n > 1) {
		cli_msg("symcache: %s has %zu slices: choose one with --arch, or write them all with --store", o->macho, n);
		return EXIT_USAGE;
	}
	if (o->output)
		return write_one(s, ims[0], o->output);
	int rc = EXIT_ALL_OK;
	for (size_t i = 0; i < n; i++)
		if (to_store(o, s, ims[i]) != EXIT_ALL_OK)
			rc = EXIT_SOME_FAILED;
	return rc;
}

int cmd_symcache(int argc, char **argv)
{
	cache_opts o;
	memset(&o, 0, sizeof o);
	if (parse_args(argc, argv, &o) != 0)
		return EXIT_USAGE;
	crp_symbolicator *s;
	crp_error err;
	crp_symbolicator_options so = CRP_SYMBOLICATOR_OPTIONS_INIT;
	so.cache_build_threads = cli_threads(o.jobs);
	if (crp_symbolicator_new(&s, &so) != CRP_OK) {
		cli_msg("symcache: out of memory");
		return EXIT_SOME_FAILED;
	}
	int rc = EXIT_SOME_FAILED;
	if (crp_symbolicator_add_path(s, o.macho, &err) != CRP_OK)
		cli_msg("symcache: %s", err.message);
	else if (o.dsym && crp_symbolicator_add_path(s, o.dsym, &err) != CRP_OK)
		cli_msg("symcache: %s", err.message);
	else
		rc = run(&o, s);
	fflush(stdout);
	crp_symbolicator_free(s);
	return rc;
}
