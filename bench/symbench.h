/* Shared by the symbolication benchmark's parts: symbench.c (one image: processes side by
 * side with llvm-symbolizer, the symbol cache, the library) and symbench_cap.c (many images
 * under a memory cap). */
#ifndef CRP_SYMBENCH_H
#define CRP_SYMBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crashport/symbols.h"

double sb_now(void);
/* "a/b", malloc'd. */
char *sb_join(const char *a, const char *b);
bool sb_exists(const char *p);
uint64_t sb_file_size(const char *p);

/* A shell command's wall time (the best of `runs`) and peak resident set; wall < 0 when it
 * failed. The command should start with exec, so that the shell's process is the tool's. */
typedef struct sb_run {
	double wall;
	double rss_mb;
} sb_run;
sb_run sb_measure(const char *cmd, int runs);

/* n deterministic addresses spread over [base, base + size), from seed. */
void sb_addresses(uint64_t *a, size_t n, uint64_t base, uint64_t size, uint64_t seed);
int sb_write_addresses(const char *path, const uint64_t *a, size_t n);

/* symbench_cap.c: 1,000 reports against 10 copies of the image (distinct UUIDs) with -j2,
 * capped and uncapped; work is the image's directory. */
void sb_cap_section(const char *work, const char *cli, const char *dsym_dwarf, const crp_symbol_image_info *info);

#endif
