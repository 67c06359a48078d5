/* Helpers shared by the Check suites. */
#ifndef CRP_TESTUTIL_H
#define CRP_TESTUTIL_H

#include <check.h>
#include <stdio.h>

#include "crashport/crashport.h"

/* Whole file in memory (NUL-terminated); NULL when it cannot be read. Free with free(). */
char *tu_read_file(const char *path, size_t *len);
/* Sorted names in `dir` ending with one of the comma-separated `exts` (".json,.ndjson").
 * Returns the count; *names is a NULL-terminated array, free with tu_free_names(). */
size_t tu_list(const char *dir, const char *exts, char ***names);
void tu_free_names(char **names);
char *tu_path(const char *dir, const char *name);

/* The shared corpus, or NULL when ../shared is absent (those tests then skip). */
const char *tu_corpus_dir(void);
const char *tu_fixtures_dir(void);
/* ../shared/corpus/apple, or NULL when absent. */
const char *tu_apple_corpus_dir(void);

/* Parse a stream fed in `chunk`-byte pieces (0: one piece). Reports go to *out (array, caller
 * frees with tu_free_reports). Returns the status of the whole parse. */
int tu_parse(const void *buf, size_t len, size_t chunk, const crp_parse_options *opts,
	     crp_report ***out, size_t *n, crp_error *err);
void tu_free_reports(crp_report **r, size_t n);
/* The same through a crp_reader: `format` by name, or NULL to recognise it by content. */
int tu_read(const void *buf, size_t len, size_t chunk, const char *format, const crp_parse_options *opts,
	    crp_report ***out, size_t *n, crp_error *err);

/* Emit reports with an emitter into a NUL-terminated malloc'd string. */
char *tu_emit(const char *format, crp_report **r, size_t n, const char *const *params, size_t *len);

/* A counting allocator that can be told to fail the k-th allocation. */
typedef struct tu_alloc {
	size_t count;      /* allocations so far */
	size_t live;       /* blocks not yet freed */
	size_t fail_at;    /* 1-based; 0: never */
} tu_alloc;
crp_allocator tu_allocator(tu_alloc *state);

/* Real Mach-O fixtures made by ../shared/tools/make-macho-fixtures.sh (clang, ld64.lld, llvm),
 * generated once per build directory; NULL when the script or its tools are missing. */
const char *tu_macho_fixtures_dir(void);


#endif
