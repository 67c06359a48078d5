/* The inputs of a batch: command-line arguments expanded into files, and their output names. */
#ifndef CRASHPORT_INPUTS_H
#define CRASHPORT_INPUTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct cli_input {
	char *path;   /* as opened; "-" is stdin */
	char *rel;    /* name relative to its directory argument (the base name for a named file) */
	char *dest;   /* output path, or NULL for stdout */
	int dir_errno; /* non-zero: `path` is a directory that could not be read (errno) */
} cli_input;

typedef struct cli_inputs {
	cli_input *items;
	size_t count, cap;
	bool has_dirs;   /* some argument was a directory */
} cli_inputs;

typedef struct cli_filter {
	const char **include, **exclude;   /* globs; none included means the default set */
	size_t n_include, n_exclude;
} cli_filter;

/* Append the inputs named by args in order: files and "-" as given, directories walked
 * recursively (sorted, hidden entries and skip_dir left out, each file once). A directory
 * that cannot be read is an input too, one that fails (dir_errno), so it is counted and
 * reported in its place. */
void cli_inputs_expand(cli_inputs *out, char *const *args, size_t n_args, const cli_filter *filter,
		       const char *skip_dir);

/* Give every input dest = dir/<rel without its extension><ext>; a name already given gets
 * "-2", "-3", ... before the extension, in input order. Unreadable directories get none. */
void cli_inputs_name_outputs(cli_inputs *in, const char *dir, const char *ext);

/* An input whose output would replace an input (itself or another, through any name or
 * link): its index in *writer and the input replaced in *victim; false when there is none.
 * With `skip_existing` (a directory without --force) existing outputs are not written. */
bool cli_inputs_overwrite(const cli_inputs *in, bool skip_existing, size_t *writer, size_t *victim);

void cli_inputs_free(cli_inputs *in);

#endif
