/* Shared helpers of the crashport command-line tool. Uses the public API only. */
#ifndef CRASHPORT_CLI_H
#define CRASHPORT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "crashport/crashport.h"
#include "crashport/symbols.h"

#define EXIT_ALL_OK 0
#define EXIT_SOME_FAILED 1
#define EXIT_USAGE 2
#define EXIT_INTERRUPTED 130 /* 128 + SIGINT */

extern const char *cli_progname;

/* Called first by main: remembers the umask that output files are created with. */
void cli_init(void);
/* A write to stdout found the pipe closed: cli_exit_status() then ends the process by
 * SIGPIPE, as filters end, instead of reporting an error. Any thread may call it. */
void cli_stdout_closed(void);
/* What main returns: `status`, unless stdout was closed (then it does not return). */
int cli_exit_status(int status);
/* write(2) all of buf, retrying on EINTR unless Ctrl-C was pressed; -1 with errno set. */
int cli_write_all(int fd, const void *buf, size_t len);

/* "crashport: " + message on stderr. */
void cli_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "crashport: FILE:LINE:COL: PATH: message" (parts omitted when unknown). */
void cli_print_error(const char *file, const crp_error *e, const char *prefix);
void cli_fprint_error(FILE *f, const char *file, const crp_error *e, const char *kind);
void cli_print_warnings(const char *file, const crp_report *r);

/* Called with each report read from an input; takes ownership. Non-zero stops the read. */
typedef int (*cli_report_fn)(crp_report *r, void *ctx);

/* Read every report of `path` ("-": stdin) in format `from` (NULL: recognised by content),
 * calling fn as each one completes. Returns CRP_OK or the error (described in *err);
 * *bytes_read (may be NULL) gets the bytes read, also from stdin. */
int cli_read_reports(const char *path, const crp_format *from, const crp_parse_options *opts,
		     cli_report_fn fn, void *ctx, crp_error *err, uint64_t *bytes_read);
/* --from NAME: a readable format, or NULL after printing what is wrong. */
const crp_format *cli_parse_from(const char *name);
/* " json crpb ...": the readable formats' names. */
const char *cli_readable_formats(void);
/* True when a file name ends as inputs of a readable format do (".json", ".crpb", ...): what a
 * directory walk takes when no --include is given. */
bool cli_known_input_name(const char *name);
/* "*.json *.ndjson ...": the same, as globs for help texts. */
void cli_print_input_patterns(FILE *f);

/* An output file written under a temporary name and renamed when complete (a device, FIFO
 * or socket is written in place, and "-" is stdout: tmp_path NULL). Files get mode 0666 less
 * the umask. */
typedef struct cli_output {
	char *final_path;
	char *tmp_path;
	int fd;
} cli_output;

int cli_output_open(cli_output *o, const char *final_path);
int cli_output_commit(cli_output *o);
void cli_output_abort(cli_output *o);

/* Allocation that exits on failure (the tool, unlike the library, may do that). */
void *cli_xmalloc(size_t n);
void *cli_xrealloc(void *p, size_t n);
char *cli_xstrdup(const char *s);
char *cli_path_join(const char *dir, const char *name);
/* File name without directories and without its last extension. */
char *cli_stem(const char *path);
int cli_is_dir(const char *path);
/* mkdir -p; 0 when dir exists afterwards. */
int cli_mkdirs(const char *dir);

/* Length of the valid UTF-8 sequence at s (avail bytes there), 0 if invalid. */
size_t cli_utf8_len(const char *s, size_t avail);

/* Pipeline mode of convert (ndjson.c): stdin lines to stdout lines. Returns the exit status. */
int cli_ndjson_convert(const crp_emitter *e, const char *const *params, const crp_parse_options *parse,
		       unsigned jobs, const crp_symbolicator *symbols);

/* -j/--jobs N (1 to 256): prints the problem and returns -1 if bad. */
int cli_parse_jobs(const char *cmd, const char *arg, unsigned *out);
/* Threads to use: jobs, or one per online CPU when 0. */
unsigned cli_threads(unsigned jobs);

/* A size option (N, suffix k, M or G): prints the problem and returns -1 if bad. */
int cli_parse_size(const char *option, const char *arg, size_t *out);

/* --limit NAME=N: sets a crp_parse_options limit; prints the problem and returns -1 if bad. */
int cli_parse_limit(crp_parse_options *po, const char *arg);

/* Minimal JSON output for --json modes. */
void cli_json_string(FILE *f, const char *s);
/* {"code","message","path","line","column"} */
void cli_json_diag(FILE *f, const crp_error *e);

/* The index of a CRPB archive (archive.c): 1 when `path` is one (filled in), 0 when it is not
 * (or is stdin), -1 when it is damaged (described in *err). */
typedef struct cli_archive {
	size_t count;
	crp_crpb_entry *entries;
} cli_archive;
int cli_archive_load(const char *path, cli_archive *a, crp_error *err);
void cli_archive_print(const char *path, const cli_archive *a);
void cli_archive_free(cli_archive *a);

int cmd_convert(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_atos(int argc, char **argv);
int cmd_dump_syms(int argc, char **argv);
int cmd_symcache(int argc, char **argv);
int cmd_demangle(int argc, char **argv);

/* name demangled in the full style (C++ or Swift) into buf, or name itself. */
const char *cli_demangle(const char *name, char *buf, size_t cap);

#endif
