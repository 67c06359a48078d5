/* Symbolication benchmark on a large generated image (make-large-image.sh: by default 240,000
 * C++ functions, a 136 MB dSYM; generated once into WORKDIR), in one run:
 *   1. whole processes, cold (nothing built, no cache; the files in the page cache): 1, 30 and
 *      200,000 addresses through `crashport atos` and `llvm-symbolizer`, wall time and peak RSS;
 *   2. the symbol cache: build time and size, and the same three through the cache;
 *   3. the library: first answer, lookups per second (one thread, two sharing an index), and
 *      agreement with llvm-symbolizer;
 *   4. many images under a memory cap (symbench_cap.c).
 * Prints figures; asserts nothing.
 *
 * usage: crashport-symbench WORKDIR CRASHPORT_CLI [MAKE_IMAGE_SCRIPT [FUNCTIONS]] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crashport/crashport.h"
#include "symbench.h"

#define LOOKUPS 1000000u
#define AGREEMENT 20000u
#define RUNS 3

/* -- helpers (symbench.h) ---------------------------------------------------------------- */

double sb_now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

char *sb_join(const char *a, const char *b)
{
	char *p = malloc(strlen(a) + strlen(b) + 2);
	sprintf(p, "%s/%s", a, b);
	return p;
}

bool sb_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

uint64_t sb_file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static sb_run measure_once(const char *cmd)
{
	sb_run r = {-1, 0};
	double t0 = sb_now();
	pid_t pid = fork();
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return r;
	r.wall = sb_now() - t0;
	r.rss_mb = (double)ru.ru_maxrss / 1024.0; /* commands start with exec: the shell is the tool */
	return r;
}

sb_run sb_measure(const char *cmd, int runs)
{
	sb_run best = {-1, 0};
	for (int i = 0; i < runs; i++) {
		sb_run r = measure_once(cmd);
		if (r.wall < 0)
			return r;
		if (best.wall < 0 || r.wall < best.wall)
			best.wall = r.wall;
		best.rss_mb = r.rss_mb; /* the same every run: the last */
	}
	return best;
}

void sb_addresses(uint64_t *a, size_t n, uint64_t base, uint64_t size, uint64_t seed)
{
	uint64_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		a[i] = base + x % size;
	}
}

int sb_write_addresses(const char *path, const uint64_t *a, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "0x%llx\n", (unsigned long long)a[i]);
	return fclose(f);
}

/* -- 1 and 2: whole processes -------------------------------------------------------------- */

typedef struct bench {
	const char *work, *cli;
	char *bin, *dsym, *dwarf, *cache;
	double dsym_mb;
	crp_symbol_image_info info;
	bool llvm;
} bench;

static const size_t counts[] = {1, 30, 200000};
#define NCOUNTS (sizeof counts / sizeof *counts)

static char *addr_file(const bench *b, size_t n)
{
	char name[64];
	snprintf(name, sizeof name, "addrs-%zu.txt", n);
	return sb_join(b->work, name);
}

static void write_address_files(const bench *b)
{
	uint64_t *a = malloc(counts[NCOUNTS - 1] * sizeof *a);
	for (size_t k = 0; k < NCOUNTS; k++) {
		char *p = addr_file(b, counts[k]);
		sb_addresses(a, counts[k], b->info.text_vmaddr, b->info.text_vmsize, 42 + counts[k]);
		sb_write_addresses(p, a, counts[k]);
		free(p);
	}
	free(a);
}

static sb_run atos(const bench *b, const char *object, size_t n)
{
	char *p = addr_file(b, n), cmd[4096];
	snprintf(cmd, sizeof cmd, "exec '%s' atos -i -o '%s' <'%s' >/dev/null", b->cli, object, p);
	free(p);
	return sb_measure(cmd, RUNS);
}

static sb_run llvm(const bench *b, size_t n)
{
	char *p = addr_file(b, n), cmd[4096];
	snprintf(cmd, sizeof cmd, "exec llvm-symbolizer --obj='%s' <'%s' >/dev/null", b->dwarf, p);
	free(p);
	return sb_measure(cmd, RUNS);
}

static void processes(bench *b)
{
	printf("\ncold processes, best of %d (nothing built, no cache; files in the page cache):\n", RUNS);
	printf("| addresses | crashport atos -i -o DSYM | llvm-symbolizer --obj=DSYM/Contents/Resources/DWARF/libbig.dylib | ratio | our peak RSS ÷ dSYM |\n");
	printf("|---|---|---|---|---|\n");
	for (size_t k = 0; k < NCOUNTS; k++) {
		sb_run ours = atos(b, b->dsym, counts[k]);
		sb_run theirs = b->llvm ? llvm(b, counts[k]) : (sb_run){-1, 0};
		printf("| %zu | %.3f s, %.0f MB | ", counts[k], ours.wall, ours.rss_mb);
		if (theirs.wall < 0)
			printf("(not installed) | | %.2f |\n", ours.rss_mb / b->dsym_mb);
		else
			printf("%.3f s, %.0f MB | %.1fx | %.2f |\n", theirs.wall, theirs.rss_mb, theirs.wall / ours.wall,
			       ours.rss_mb / b->dsym_mb);
	}
}

static void cache(bench *b)
{
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "exec '%s' symcache -o '%s' '%s' '%s'", b->cli, b->cache, b->bin, b->dsym);
	sb_run built = sb_measure(cmd, RUNS);
	double mb = (double)sb_file_size(b->cache) / 1e6, dwarf_mb = (double)sb_file_size(b->dwarf) / 1e6;
	printf("\nsymbol cache (crashport symcache -o FILE BINARY DSYM), best of %d:\n", RUNS);
	printf("build: %.2f s, %.0f MB/s of the dSYM's DWARF file (%.1f MB), peak RSS %.0f MB\n", built.wall,
	       dwarf_mb / built.wall, dwarf_mb, built.rss_mb);
	printf("size:  %.1f MB, %.3fx the dSYM\n", mb, mb / b->dsym_mb);
	printf("| addresses | crashport atos -i -o CACHE | llvm-symbolizer cold ÷ this |\n|---|---|---|\n");
	for (size_t k = 0; k < NCOUNTS; k++) {
		sb_run r = atos(b, b->cache, counts[k]);
		sb_run theirs = b->llvm ? llvm(b, counts[k]) : (sb_run){-1, 0};
		printf("| %zu | %.1f ms, %.0f MB |", counts[k], r.wall * 1e3, r.rss_mb);
		if (theirs.wall > 0)
			printf(" %.1fx |\n", theirs.wall / r.wall);
		else
			printf(" |\n");
	}
}

/* -- 3: the library ------------------------------------------------------------------------ */

typedef struct image {
	crp_symbolicator *s;
	const crp_symbol_image *im;
} image;

static int open_image(image *m, const bench *b)
{
	crp_error err;
	if (crp_symbolicator_new(&m->s, NULL) != CRP_OK || crp_symbolicator_add_path(m->s, b->bin, &err) != CRP_OK ||
	    crp_symbolicator_add_path(m->s, b->dsym, &err) != CRP_OK) {
		fprintf(stderr, "symbench: %s\n", err.message);
		return -1;
	}
	m->im = crp_symbolicator_image(m->s, 0);
	return 0;
}

/* Best of five: a fresh symbolicator, both files added, one lookup answered. */
static double first_answer(const bench *b)
{
	double best = 1e9;
	for (int r = 0; r < 5; r++) {
		image m;
		double t0 = sb_now();
		if (open_image(&m, b) != 0)
			return -1;
		const crp_symbolication *sym;
		crp_symbolicator_lookup(&sym, m.s, m.im, b->info.text_vmaddr + b->info.text_vmsize / 2, NULL);
		double t = sb_now() - t0;
		best = t < best ? t : best;
		crp_symbolicator_free(m.s);
	}
	return best;
}

static double lookups(image *m, const uint64_t *a, size_t n)
{
	double best = 1e9;
	for (int r = 0; r < 3; r++) {
		double t0 = sb_now();
		for (size_t i = 0; i < n; i++) {
			const crp_symbolication *sym;
			crp_symbolicator_lookup(&sym, m->s, m->im, a[i], NULL);
		}
		double t = sb_now() - t0;
		best = t < best ? t : best;
	}
	return best;
}

/* Threads sharing the symbolicator, each with its own answer room and share of the addresses. */
typedef struct share {
	const image *m;
	const uint64_t *a;
	size_t n;
	pthread_t id;
} share;

static void *share_lookups(void *arg)
{
	share *sh = arg;
	crp_symbol_answer *room;
	crp_symbol_answer_new(&room, sh->m->s);
	for (size_t i = 0; i < sh->n; i++) {
		const crp_symbolication *sym;
		crp_symbolicator_lookup_r(&sym, room, sh->m->s, sh->m->im, sh->a[i], NULL);
	}
	crp_symbol_answer_free(room);
	return NULL;
}

static double shared_lookups(const image *m, const uint64_t *a, size_t n, unsigned threads)
{
	double best = 1e9;
	for (int r = 0; r < 7; r++) {
		share sh[8];
		double t0 = sb_now();
		for (unsigned t = 0; t < threads; t++) {
			sh[t] = (share){m, a + t * (n / threads), n / threads, 0};
			pthread_create(&sh[t].id, NULL, share_lookups, &sh[t]);
		}
		for (unsigned t = 0; t < threads; t++)
			pthread_join(sh[t].id, NULL);
		double t = sb_now() - t0;
		best = t < best ? t : best;
	}
	return best;
}

/* Our answer in llvm-symbolizer's default output shape. */
static void print_llvm_like(FILE *f, const crp_symbolication *sym)
{
	if (!sym) {
		fputs("??\n??:0:0\n\n", f);
		return;
	}
	for (size_t k = 0; k < sym->count; k++) {
		const crp_symloc *l = &sym->locs[k];
		fprintf(f, "%s\n%s:%u:%u\n", l->function ? l->function : "??", l->file ? l->file : "??", l->line,
			l->column);
	}
	fputc('\n', f);
}

static void agreement(image *m, const bench *b, const uint64_t *a, size_t n)
{
	char *addrs = sb_join(b->work, "agree.addrs"), *theirs = sb_join(b->work, "agree.llvm");
	char *ours = sb_join(b->work, "agree.ours"), cmd[4096];
	sb_write_addresses(addrs, a, n);
	snprintf(cmd, sizeof cmd, "llvm-symbolizer --obj='%s' <'%s' >'%s' 2>/dev/null", b->bin, addrs, theirs);
	if (!b->llvm || system(cmd) != 0) {
		printf("agreement:            llvm-symbolizer not found, not checked\n");
	} else {
		FILE *f = fopen(ours, "w");
		for (size_t i = 0; i < n; i++) {
			const crp_symbolication *sym;
			crp_symbolicator_lookup(&sym, m->s, m->im, a[i], NULL);
			print_llvm_like(f, sym);
		}
		fclose(f);
		snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", ours, theirs);
		printf("agreement:            %s on %zu addresses (function, file:line:column, inline chain)\n",
		       system(cmd) == 0 ? "identical to llvm-symbolizer" : "DIFFERENT from llvm-symbolizer", n);
	}
	free(addrs), free(theirs), free(ours);
}

static void library(const bench *b)
{
	image m;
	if (open_image(&m, b) != 0)
		return;
	printf("\nthe library (one process, crp_symbolicator_lookup):\n");
	printf("first answer:         %.1f ms (both files added, one lookup; best of 5)\n", first_answer(b) * 1e3);
	uint64_t *a = malloc(LOOKUPS * sizeof *a);
	sb_addresses(a, LOOKUPS, b->info.text_vmaddr, b->info.text_vmsize, 7);
	double t = lookups(&m, a, LOOKUPS);
	printf("lookups:              %u random addresses in %.3f s: %.0f lookups/s, %.0f ns each (index warm)\n",
	       LOOKUPS, t, LOOKUPS / t, t * 1e9 / LOOKUPS);
	double t2 = shared_lookups(&m, a, LOOKUPS, 2);
	printf("2 threads, 1 index:   %u lookups in %.3f s: %.2fx one thread (crp_symbolicator_lookup_r, no lock)\n",
	       LOOKUPS, t2, t / t2);
	agreement(&m, b, a, AGREEMENT);
	crp_symbolicator_free(m.s);
	free(a);
}

/* -- main ---------------------------------------------------------------------------------- */

static int prepare(bench *b, const char *script, const char *functions)
{
	char cmd[4096];
	if (!sb_exists(b->bin) && script) {
		printf("generating the image once (%s functions; about 11 minutes on two cores for 240,000), "
		       "cached in %s...\n", functions, b->work);
		fflush(stdout);
		snprintf(cmd, sizeof cmd, "sh '%s' '%s' %s", script, b->work, functions);
		if (system(cmd) != 0) {
			printf("symbench: cannot generate the image (needs clang, ld64.lld, dsymutil): skipped\n");
			return -1;
		}
	}
	image m;
	if (!sb_exists(b->bin) || open_image(&m, b) != 0) {
		printf("symbench: no image in %s: skipped\n", b->work);
		return -1;
	}
	crp_symbol_image_get_info(m.im, &b->info);
	crp_symbolicator_free(m.s);
	b->dsym_mb = (double)sb_file_size(b->dwarf) / 1e6;
	b->llvm = system("llvm-symbolizer --version >/dev/null 2>&1") == 0;
	write_address_files(b);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: crashport-symbench WORKDIR CRASHPORT_CLI [MAKE_IMAGE_SCRIPT [FUNCTIONS]]\n");
		return 2;
	}
	bench b = {argv[1], argv[2], NULL, NULL, NULL, NULL, 0, {0}, false};
	b.bin = sb_join(b.work, "libbig.dylib");
	b.dsym = sb_join(b.work, "libbig.dylib.dSYM");
	b.dwarf = sb_join(b.dsym, "Contents/Resources/DWARF/libbig.dylib");
	b.cache = sb_join(b.work, "libbig.symcache");
	if (prepare(&b, argc > 3 ? argv[3] : NULL, argc > 4 ? argv[4] : "240000") == 0) {
		printf("image: %s: __TEXT %.1f MB, binary %.1f MB, dSYM DWARF file %.1f MB (%s)\n", b.bin,
		       (double)b.info.text_vmsize / 1e6, (double)sb_file_size(b.bin) / 1e6, b.dsym_mb,
		       crp_version_details());
		processes(&b);
		cache(&b);
		library(&b);
		sb_cap_section(b.work, b.cli, b.dwarf, &b.info);
	}
	free(b.bin), free(b.dsym), free(b.dwarf), free(b.cache);
	return 0;
}
