/* Many images under a memory cap: 10 copies of the benchmark image's dSYM (distinct UUIDs)
 * and 1,000 KSCrash reports against them, converted with -j2 uncapped and under a 256 MB cap
 * (`--index-memory`): wall time, peak RSS, and whether the outputs are identical; then the same
 * reports in one process, two threads sharing one capped symbolicator, for the memory its
 * indexes held at most (crp_symbolicator_get_memory()).
 *
 * The reports are a crash population: half repeat one of 20 crash sites per app (by Zipf's
 * law, as real crash groups go), half are unique; each has 16 frames in the app at
 * random places (the worst case for an index: frames land in different compile units). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crashport/crashport.h"
#include "symbench.h"

#define IMAGES 10
#define REPORTS 1000
#define FRAMES 16
#define SITES 20
#define CAP_MB 256
#define LC_UUID 0x1bu
#define IMAGE_ADDR 0x10a000000ull

typedef struct cap_bench {
	char *dir, *dsyms, *reports;
	uint8_t uuid[IMAGES][16];
	const crp_symbol_image_info *info;
} cap_bench;

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The offset of the LC_UUID's 16 bytes in a thin 64-bit Mach-O, or 0. */
static size_t uuid_offset(const uint8_t *m, size_t len)
{
	if (len < 32 || le32(m) != 0xfeedfacfu)
		return 0;
	size_t at = 32, end = 32 + (size_t)le32(m + 20);
	for (uint32_t i = 0; i < le32(m + 16) && at + 24 <= end && end <= len; i++) {
		uint32_t cmd = le32(m + at), size = le32(m + at + 4);
		if (cmd == LC_UUID)
			return at + 8;
		if (size < 8)
			return 0;
		at += size;
	}
	return 0;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	if (f && fseek(f, 0, SEEK_END) == 0) {
		long n = ftell(f);
		rewind(f);
		p = n > 0 ? malloc((size_t)n) : NULL;
		if (p && fread(p, 1, (size_t)n, f) != (size_t)n)
			free(p), p = NULL;
		*len = (size_t)n;
	}
	if (f)
		fclose(f);
	return p;
}

/* IMAGES copies of the dSYM's DWARF file, each with its own UUID (made once). */
static int make_copies(cap_bench *c, const char *dwarf)
{
	size_t len, at;
	uint8_t *m = read_all(dwarf, &len);
	if (!m || !(at = uuid_offset(m, len))) {
		free(m);
		return -1;
	}
	for (int k = 0; k < IMAGES; k++) {
		m[at + 15] = (uint8_t)(0xa0 + k);
		memcpy(c->uuid[k], m + at, 16);
		char name[64];
		snprintf(name, sizeof name, "libbig-%02d.dwarf", k);
		char *p = sb_join(c->dsyms, name);
		if (sb_file_size(p) != len) {
			FILE *f = fopen(p, "wb");
			if (!f || fwrite(m, 1, len, f) != len || fclose(f) != 0) {
				free(p), free(m);
				return -1;
			}
		}
		free(p);
	}
	free(m);
	return 0;
}

static void uuid_text(char out[37], const uint8_t u[16])
{
	static const int dash[16] = {0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0};
	char *p = out;
	for (int i = 0; i < 16; i++)
		p += sprintf(p, "%02X%s", u[i], dash[i] ? "-" : "");
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
	return *x;
}

/* Report i: its app, its crash site (or none: unique), its frames. */
static void write_report(const cap_bench *c, FILE *f, unsigned i)
{
	uint64_t x = 0x2545f4914f6cdd1dull ^ ((uint64_t)i * 0x9e3779b97f4a7c15ull);
	rnd(&x);
	unsigned app = (unsigned)(rnd(&x) % IMAGES);
	uint64_t seed = x;
	if (rnd(&x) % 2 == 0) { /* a common crash: site s with probability ~ 1/(s+1) */
		double u = (double)(rnd(&x) % 1000000) / 1e6, h = 0, total = 0;
		for (int s = 0; s < SITES; s++)
			total += 1.0 / (s + 1);
		unsigned s = 0;
		while (s + 1 < SITES && (h += 1.0 / (s + 1)) < u * total)
			s++;
		seed = (uint64_t)app * 1000 + s + 1;
	}
	char uuid[37];
	uuid_text(uuid, c->uuid[app]);
	fprintf(f, "{\"report\":{\"id\":\"B0000000-0000-4000-8000-%012u\",\"timestamp\":1700000000,"
		"\"process_name\":\"App%u\",\"version\":\"3.2.0\",\"type\":\"standard\"},\"binary_images\":["
		"{\"image_addr\":%llu,\"image_vmaddr\":%llu,\"image_size\":%llu,\"name\":\"/App%u.app/libbig.dylib\","
		"\"uuid\":\"%s\",\"cpu_type\":16777223,\"cpu_subtype\":3}],\"system\":{\"system_name\":\"macOS\","
		"\"cpu_arch\":\"x86\"},\"crash\":{\"error\":{\"type\":\"signal\",\"signal\":{\"signal\":11,"
		"\"name\":\"SIGSEGV\"}},\"threads\":[{\"crashed\":true,\"index\":0,\"backtrace\":{\"contents\":[",
		i, app, (unsigned long long)IMAGE_ADDR, (unsigned long long)c->info->text_vmaddr,
		(unsigned long long)c->info->text_vmsize, app, uuid);
	uint64_t a[FRAMES];
	sb_addresses(a, FRAMES, c->info->text_vmaddr, c->info->text_vmsize, seed * 0x9e3779b97f4a7c15ull + 1);
	for (int k = 0; k < FRAMES; k++)
		fprintf(f, "%s{\"instruction_addr\":%llu}", k ? "," : "",
			(unsigned long long)(IMAGE_ADDR + a[k] - c->info->text_vmaddr));
	fprintf(f, "]}}]}}\n");
}

static int make_reports(const cap_bench *c)
{
	for (unsigned i = 0; i < REPORTS; i++) {
		char name[32];
		snprintf(name, sizeof name, "r%04u.json", i);
		char *p = sb_join(c->reports, name);
		FILE *f = fopen(p, "w");
		free(p);
		if (!f)
			return -1;
		write_report(c, f, i);
		if (fclose(f) != 0)
			return -1;
	}
	return 0;
}

/* -- one process, two threads, one capped symbolicator --------------------------------------- */

typedef struct in_process {
	const cap_bench *c;
	crp_symbolicator *s;
	atomic_uint next;
	atomic_size_t frames, symbolicated;
} in_process;

static void *symbolicate_reports(void *arg)
{
	in_process *w = arg;
	for (unsigned i; (i = atomic_fetch_add(&w->next, 1)) < REPORTS;) {
		char name[32];
		snprintf(name, sizeof name, "r%04u.json", i);
		char *p = sb_join(w->c->reports, name);
		size_t len;
		uint8_t *text = read_all(p, &len);
		crp_report *r = NULL;
		crp_symbolicate_stats st;
		if (text && crp_report_parse(&r, text, len, NULL, NULL) == CRP_OK &&
		    crp_report_symbolicate(r, w->s, NULL, &st, NULL) == CRP_OK) {
			atomic_fetch_add(&w->frames, st.frames);
			atomic_fetch_add(&w->symbolicated, st.symbolicated);
		}
		crp_report_free(r);
		free(text), free(p);
	}
	return NULL;
}

/* The process's resident anonymous and file-backed memory now, from /proc (Linux), in MB. */
static void resident(double *anon, double *file)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	*anon = *file = 0;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long kb;
		if (sscanf(line, "RssAnon: %lu", &kb) == 1)
			*anon = kb / 1024.0;
		else if (sscanf(line, "RssFile: %lu", &kb) == 1)
			*file = kb / 1024.0;
	}
	if (f)
		fclose(f);
}

static void library_run(const cap_bench *c, size_t cap)
{
	in_process w = {c, NULL, 0, 0, 0};
	crp_symbolicator_options o = CRP_SYMBOLICATOR_OPTIONS_INIT;
	o.max_index_bytes = cap;
	crp_symbolicator_new(&w.s, &o);
	crp_symbolicator_add_path(w.s, c->dsyms, NULL);
	pthread_t t[2];
	double t0 = sb_now();
	for (int k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, symbolicate_reports, &w);
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	crp_symbolicator_memory m;
	crp_symbolicator_get_memory(w.s, &m);
	double anon, file;
	resident(&anon, &file);
	printf("| library, 2 threads, %s | %.2f s | indexes held at most %.0f MiB, %zu dropped; resident at the "
	       "end %.0f MB anonymous, %.0f MB of files | %zu of %zu frames symbolicated |\n",
	       cap ? "256 MiB cap" : "uncapped", sb_now() - t0, (double)m.peak / 1048576.0, m.evictions, anon, file,
	       (size_t)atomic_load(&w.symbolicated), (size_t)atomic_load(&w.frames));
	crp_symbolicator_free(w.s);
}

/* -- the section ----------------------------------------------------------------------------- */

static sb_run convert(const cap_bench *c, const char *cli, const char *out, const char *cap)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "rm -rf '%s' && exec '%s' convert -q --to json -j2 --symbols '%s' %s %s -o '%s' '%s'",
		 out, cli, c->dsyms, cap ? "--index-memory" : "", cap ? cap : "", out, c->reports);
	return sb_measure(cmd, 1);
}

void sb_cap_section(const char *work, const char *cli, const char *dsym_dwarf, const crp_symbol_image_info *info)
{
	cap_bench c = {sb_join(work, "cap"), NULL, NULL, {{0}}, info};
	c.dsyms = sb_join(c.dir, "dsyms");
	c.reports = sb_join(c.dir, "reports");
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s' '%s'", c.dsyms, c.reports);
	if (system(cmd) != 0 || make_copies(&c, dsym_dwarf) != 0 || make_reports(&c) != 0) {
		printf("\nmemory cap: cannot prepare %s: skipped\n", c.dir);
	} else {
		char *free_out = sb_join(c.dir, "out-uncapped"), *cap_out = sb_join(c.dir, "out-capped");
		printf("\n%d reports (%d app frames each) against %d dSYMs of %.0f MB (distinct UUIDs), "
		       "crashport convert --to json -j2:\n", REPORTS, FRAMES, IMAGES,
		       (double)sb_file_size(dsym_dwarf) / 1e6);
		printf("| run | wall | memory | output |\n|---|---|---|---|\n");
		sb_run u = convert(&c, cli, free_out, NULL);
		printf("| uncapped | %.2f s | peak RSS %.0f MB | |\n", u.wall, u.rss_mb);
		sb_run k = convert(&c, cli, cap_out, "256M");
		snprintf(cmd, sizeof cmd, "diff -rq '%s' '%s' >/dev/null", free_out, cap_out);
		printf("| --index-memory 256M | %.2f s | peak RSS %.0f MB | %s |\n", k.wall, k.rss_mb,
		       u.wall > 0 && k.wall > 0 && system(cmd) == 0 ? "identical to uncapped" : "DIFFERENT");
		library_run(&c, 0);
		library_run(&c, (size_t)CAP_MB << 20);
		free(free_out), free(cap_out);
	}
	free(c.dir), free(c.dsyms), free(c.reports);
}
