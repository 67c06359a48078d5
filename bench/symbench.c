/* Symbolication benchmark: index build time and lookups per second on a large generated image
 * (make-large-image.sh: tens of thousands of C++ functions with DWARF), next to llvm-symbolizer
 * fed the same addresses on stdin, and a check that both give the same answers.
 * Prints figures; asserts nothing.
 *
 * usage: crashport-symbench WORKDIR [CRASHPORT_CLI [MAKE_IMAGE_SCRIPT]] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "crashport/crashport.h"
#include "crashport/symbols.h"

#define LOOKUPS 1000000u
#define LLVM_LOOKUPS 200000u
#define AGREEMENT 20000u

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static char *join(const char *a, const char *b)
{
	char *p = malloc(strlen(a) + strlen(b) + 2);
	sprintf(p, "%s/%s", a, b);
	return p;
}

static bool exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static uint64_t file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Deterministic addresses spread over __TEXT. */
static void addresses(uint64_t *a, size_t n, uint64_t base, uint64_t size)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		a[i] = base + x % size;
	}
}

typedef struct image {
	crp_symbolicator *s;
	const crp_symbol_image *im;
	crp_symbol_image_info info;
} image;

static int open_image(image *m, const char *bin, const char *dsym)
{
	crp_error err;
	if (crp_symbolicator_new(&m->s, NULL) != CRP_OK || crp_symbolicator_add_path(m->s, bin, &err) != CRP_OK ||
	    crp_symbolicator_add_path(m->s, dsym, &err) != CRP_OK) {
		fprintf(stderr, "symbench: %s\n", err.message);
		return -1;
	}
	m->im = crp_symbolicator_image(m->s, 0);
	crp_symbol_image_get_info(m->im, &m->info);
	return 0;
}

/* Best of five: a fresh symbolicator, both files added, the index built by a first lookup. */
static double index_build(const char *bin, const char *dsym)
{
	double best = 1e9;
	for (int r = 0; r < 5; r++) {
		image m;
		double t0 = now();
		if (open_image(&m, bin, dsym) != 0)
			return -1;
		const crp_symbolication *sym;
		crp_symbolicator_lookup(&sym, m.s, m.im, m.info.text_vmaddr, NULL);
		double t = now() - t0;
		best = t < best ? t : best;
		crp_symbolicator_free(m.s);
	}
	return best;
}

static double lookups(image *m, const uint64_t *a, size_t n, size_t *found)
{
	double best = 1e9;
	for (int r = 0; r < 3; r++) {
		size_t f = 0;
		double t0 = now();
		for (size_t i = 0; i < n; i++) {
			const crp_symbolication *sym;
			crp_symbolicator_lookup(&sym, m->s, m->im, a[i], NULL);
			f += sym != NULL;
		}
		double t = now() - t0;
		best = t < best ? t : best;
		*found = f;
	}
	return best;
}

/* Threads sharing the symbolicator, each with its own answer room and share of the addresses. */
typedef struct share {
	const image *m;
	const uint64_t *a;
	size_t n, found;
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
		sh->found += sym != NULL;
	}
	crp_symbol_answer_free(room);
	return NULL;
}

static double shared_lookups(const image *m, const uint64_t *a, size_t n, unsigned threads)
{
	double best = 1e9;
	for (int r = 0; r < 7; r++) { /* short runs: more of them than one thread's best of 3 */
		share sh[8];
		double t0 = now();
		for (unsigned t = 0; t < threads; t++) {
			sh[t] = (share){m, a + t * (n / threads), n / threads, 0, 0};
			pthread_create(&sh[t].id, NULL, share_lookups, &sh[t]);
		}
		for (unsigned t = 0; t < threads; t++)
			pthread_join(sh[t].id, NULL);
		double t = now() - t0;
		best = t < best ? t : best;
	}
	return best;
}

static int write_addresses(const char *path, const uint64_t *a, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "0x%llx\n", (unsigned long long)a[i]);
	return fclose(f);
}

/* Wall time of a shell command, or -1 when it fails. */
static double run(const char *cmd)
{
	double t0 = now();
	int rc = system(cmd);
	return rc == 0 ? now() - t0 : -1;
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

static void agreement(image *m, const char *work, const char *bin, const uint64_t *a, size_t n)
{
	char *addrs = join(work, "agree.addrs"), *theirs = join(work, "agree.llvm"), *ours = join(work, "agree.ours");
	char cmd[4096];
	write_addresses(addrs, a, n);
	snprintf(cmd, sizeof cmd, "llvm-symbolizer --obj='%s' <'%s' >'%s' 2>/dev/null", bin, addrs, theirs);
	if (run(cmd) < 0) {
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

static void versus(const char *work, const char *cli, const char *bin, const uint64_t *a, size_t n,
		   double ours_per_s)
{
	char *addrs = join(work, "llvm.addrs"), *one = join(work, "one.addrs"), cmd[4096];
	write_addresses(addrs, a, n);
	write_addresses(one, a, 1);
	snprintf(cmd, sizeof cmd, "llvm-symbolizer --obj='%s' <'%s' >/dev/null 2>&1", bin, one);
	double start = run(cmd);
	snprintf(cmd, sizeof cmd, "llvm-symbolizer --obj='%s' <'%s' >/dev/null 2>&1", bin, addrs);
	double t = run(cmd);
	if (t < 0 || start < 0) {
		printf("llvm-symbolizer:      not found: no comparison\n");
	} else {
		double rate = (double)n / (t - start);
		printf("llvm-symbolizer:      %u addresses in %.2f s (%.0f ms of it starting up): %.0f lookups/s\n",
		       (unsigned)n, t, start * 1e3, rate);
		printf("ratio:                %.1fx llvm-symbolizer (library lookups / llvm-symbolizer lookups)\n",
		       ours_per_s / rate);
		printf("first answer:         llvm-symbolizer %.0f ms (a process, one address) vs the index "
		       "build above\n", start * 1e3);
		if (cli) {
			snprintf(cmd, sizeof cmd, "'%s' atos -i -o '%s' <'%s' >/dev/null", cli, bin, addrs);
			double c = run(cmd);
			if (c > 0)
				printf("crashport atos -i:    %u addresses in %.2f s, printed: %.1fx llvm-symbolizer's wall time\n",
				       (unsigned)n, c, t / c);
		}
	}
	free(addrs), free(one);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: crashport-symbench WORKDIR [CRASHPORT_CLI [MAKE_IMAGE_SCRIPT]]\n");
		return 2;
	}
	const char *work = argv[1], *cli = argc > 2 ? argv[2] : NULL, *script = argc > 3 ? argv[3] : NULL;
	char *bin = join(work, "libbig.dylib"), *dsym = join(work, "libbig.dylib.dSYM"), cmd[4096];
	if (!exists(bin) && script) {
		printf("generating the image once (a minute, cached in %s)...\n", work);
		fflush(stdout);
		snprintf(cmd, sizeof cmd, "sh '%s' '%s'", script, work);
		if (system(cmd) != 0) {
			printf("symbench: cannot generate the image (needs clang, ld64.lld, dsymutil): skipped\n");
			return 0;
		}
	}
	image m;
	if (!exists(bin) || open_image(&m, bin, dsym) != 0) {
		printf("symbench: no image in %s: skipped\n", work);
		return 0;
	}
	char *dwarf = join(dsym, "Contents/Resources/DWARF/libbig.dylib");
	printf("image:                %s, __TEXT %llu KiB, dSYM DWARF %llu KiB\n", bin,
	       (unsigned long long)m.info.text_vmsize / 1024, (unsigned long long)file_size(dwarf) / 1024);
	double build = index_build(bin, dsym);
	printf("index build:          %.1f ms (both files added, index made by the first lookup; best of 5)\n",
	       build * 1e3);
	uint64_t *a = malloc(LOOKUPS * sizeof *a);
	addresses(a, LOOKUPS, m.info.text_vmaddr, m.info.text_vmsize);
	size_t found;
	double t = lookups(&m, a, LOOKUPS, &found);
	double per_s = LOOKUPS / t;
	printf("lookups:              %u random addresses in %.3f s: %.0f lookups/s, %.0f ns each (%zu found)\n",
	       LOOKUPS, t, per_s, t * 1e9 / LOOKUPS, found);
	double t2 = shared_lookups(&m, a, LOOKUPS, 2);
	printf("2 threads, 1 index:   %u lookups in %.3f s: %.0f lookups/s, %.2fx one thread "
	       "(crp_symbolicator_lookup_r, no lock)\n", LOOKUPS, t2, LOOKUPS / t2, t / t2);
	agreement(&m, work, bin, a, AGREEMENT);
	versus(work, cli, bin, a, LLVM_LOOKUPS, per_s);
	crp_symbolicator_free(m.s);
	free(a), free(bin), free(dsym), free(dwarf);
	return 0;
}
