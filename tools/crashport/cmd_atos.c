/* crashport atos: Apple's atos on Linux. Addresses (hex, with or without 0x) from the command
 * line, else from stdin, printed as "symbol (in image) (file:line)" one per line. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "crashport/symbols.h"

typedef struct atos_opts {
	const char *object;
	const char *arch;
	uint64_t load, slide;
	bool has_load, has_slide, offsets;
	bool inlines, full_path;
	const char *addr_file;
	unsigned jobs;           /* 0: one per CPU */
	const char *symbols_cache;
	size_t index_memory;     /* --index-memory N; 0: no cap */
} atos_opts;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: crashport atos -o FILE [-arch ARCH] [-l LOADADDR | -s SLIDE | -offset] [-i]\n"
		"                      [-fullPath] [-f ADDRFILE] [ADDR...]\n"
		"\n"
		"Print the function and source line of addresses in a Mach-O binary or dSYM, like\n"
		"Apple's atos: \"symbol (in image) (file:line)\", or \"symbol (in image) + offset\"\n"
		"without line information, or the address itself when nothing is known about it.\n"
		"Addresses are hex (0x optional), read from ADDRFILE or stdin when none are given.\n"
		"FILE is a binary, a dSYM bundle or its DWARF file; FILE.dSYM next to a binary is\n"
		"used too. Return addresses are looked up as given: subtract one instruction first.\n"
		"\n"
		"options:\n"
		"  -o FILE          the binary or dSYM\n"
		"  -arch ARCH       the slice of a universal file (arm64, arm64e, armv7, x86_64, ...)\n"
		"  -l LOADADDR      addresses are run-time: the image's __TEXT was loaded at LOADADDR\n"
		"  -s SLIDE         addresses are run-time: the image slid by SLIDE\n"
		"  -offset          addresses are offsets from the start of the image's __TEXT\n"
		"  -i               print inlined functions too, innermost first, one per line\n"
		"  -fullPath        print source files with their full path\n"
		"  -f ADDRFILE      read addresses from ADDRFILE\n"
		"  --symbols-cache DIR  keep FILE's symbol cache in DIR: made on first use, used\n"
		"                   afterwards (FILE may also be a symbol cache itself)\n"
		"  --index-memory N memory FILE's index may hold (N may end in k, M, G); past it\n"
		"                   the least recently used parts are dropped and rebuilt\n"
		"  -j N             look up with N threads (default: one per CPU) when the addresses\n"
		"                   are all known first (arguments, ADDRFILE or a file on stdin);\n"
		"                   the output is the same for any N\n"
		"  -h, --help       this text\n"
		"\n"
		"exit status: 0 success, 1 the symbols cannot be read, 2 usage error\n");
}

static bool parse_hex(const char *s, uint64_t *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s || strlen(s) > 16)
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 16);
	if (*end || errno)
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, atos_opts *o)
{
	static const struct option longopts[] = {
		{"arch", required_argument, NULL, 'a'}, {"fullPath", no_argument, NULL, 'F'},
		{"offset", no_argument, NULL, 'O'},     {"help", no_argument, NULL, 'h'},
		{"jobs", required_argument, NULL, 'j'}, {"symbols-cache", required_argument, NULL, 'C'},
		{"index-memory", required_argument, NULL, 'M'}, {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long_only(argc, argv, "o:l:s:if:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->object = optarg; break;
		case 'a': o->arch = optarg; break;
		case 'l':
		case 's':
			if (!parse_hex(optarg, c == 'l' ? &o->load : &o->slide)) {
				cli_msg("atos: -%c: '%s' is not a hex address", c, optarg);
				return -1;
			}
			*(c == 'l' ? &o->has_load : &o->has_slide) = true;
			break;
		case 'O': o->offsets = true; break;
		case 'i': o->inlines = true; break;
		case 'F': o->full_path = true; break;
		case 'f': o->addr_file = optarg; break;
		case 'C': o->symbols_cache = optarg; break;
		case 'M':
			if (cli_parse_size("--index-memory", optarg, &o->index_memory) != 0)
				return -1;
			break;
		case 'j':
			if (cli_parse_jobs("atos", optarg, &o->jobs) != 0)
				return -1;
			break;
		case 'h': usage(stdout); exit(EXIT_ALL_OK);
		default: usage(stderr); return -1;
		}
	}
	if (!o->object) {
		cli_msg("atos: -o FILE is required");
		return -1;
	}
	if (o->has_load + o->has_slide + o->offsets > 1) {
		cli_msg("atos: -l, -s and -offset exclude each other");
		return -1;
	}
	return 0;
}

static void on_skip(void *ctx, const char *path, const crp_error *why)
{
	(void)ctx;
	cli_msg("warning: %s: skipped: %s", path, why->message);
}

/* FILE, and FILE.dSYM next to it (Apple's atos finds it through Spotlight). */
static int load(crp_symbolicator *s, const char *object)
{
	crp_error err;
	if (crp_symbolicator_add_path(s, object, &err) != CRP_OK) {
		cli_msg("atos: %s", err.message);
		return -1;
	}
	char *dsym = cli_xmalloc(strlen(object) + 6);
	sprintf(dsym, "%s.dSYM", object);
	struct stat st;
	if (stat(dsym, &st) == 0 && crp_symbolicator_add_path(s, dsym, &err) != CRP_OK)
		cli_msg("warning: %s: %s", dsym, err.message);
	free(dsym);
	return 0;
}

static const crp_symbol_image *choose(const crp_symbolicator *s, const atos_opts *o)
{
	const crp_symbol_image *found = NULL;
	size_t matches = 0;
	crp_symbol_image_info info;
	for (size_t i = 0; i < crp_symbolicator_image_count(s); i++) {
		crp_symbol_image_get_info(crp_symbolicator_image(s, i), &info);
		if (o->arch && !(info.arch && strcmp(info.arch, o->arch) == 0))
			continue;
		if (!matches++)
			found = crp_symbolicator_image(s, i);
	}
	if (matches == 1)
		return found;
	if (!matches && o->arch)
		cli_msg("atos: %s has no %s slice", o->object, o->arch);
	else if (!matches)
		cli_msg("atos: %s holds no Mach-O image", o->object);
	else {
		fprintf(stderr, "%s: atos: %s has several architectures; choose one with -arch:", cli_progname,
			o->object);
		for (size_t i = 0; i < crp_symbolicator_image_count(s); i++) {
			crp_symbol_image_get_info(crp_symbolicator_image(s, i), &info);
			fprintf(stderr, " %s", info.arch ? info.arch : "?");
		}
		fputc('\n', stderr);
	}
	return NULL;
}

static const char *file_name(const char *path, bool full)
{
	const char *slash = full ? NULL : strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Answers are written into memory: stdio's per-call costs (locking, and byte-by-byte copies
 * into a memory stream) were a tenth of the time for 200,000 addresses. */
typedef struct text {
	char *p;
	size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2 + 256;
		t->p = cli_xrealloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
}

static void put_str(text *t, const char *s) { put(t, s, strlen(s)); }

static void put_u64(text *t, uint64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	put(t, p, (size_t)(buf + sizeof buf - p));
}

static void put_hex(text *t, uint64_t v)
{
	char buf[24], *p = buf + sizeof buf;
	do
		*--p = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	*--p = 'x';
	*--p = '0';
	put(t, p, (size_t)(buf + sizeof buf - p));
}

static void print_loc(text *out, const char *fn, const crp_symbolication *sym, const char *image,
		      const crp_symloc *where, const atos_opts *o)
{
	char dm[CRP_DEMANGLE_BUFFER];
	if (fn)
		put_str(out, cli_demangle(fn, dm, sizeof dm)); /* Swift names come mangled */
	else
		put_hex(out, sym->function_addr);
	put_str(out, " (in ");
	put_str(out, image);
	if (where && where->file) {
		put_str(out, ") (");
		put_str(out, file_name(where->file, o->full_path));
		put(out, ":", 1);
		put_u64(out, where->line);
		put(out, ")\n", 2);
	} else {
		put_str(out, ") + ");
		put_u64(out, sym->offset);
		put(out, "\n", 1);
	}
}

static void print_one(text *out, const crp_symbolication *sym, const char *image, const atos_opts *o)
{
	const crp_symloc *outer = &sym->locs[sym->count - 1];
	if (!o->inlines) { /* the function itself, at the innermost line */
		print_loc(out, outer->function, sym, image, &sym->locs[0], o);
		return;
	}
	for (size_t i = 0; i < sym->count; i++)
		print_loc(out, sym->locs[i].function, sym, image, &sym->locs[i], o);
}

typedef struct session {
	crp_symbolicator *s;
	const crp_symbol_image *im;
	crp_symbol_image_info info;
	const atos_opts *o;
	int status;
	/* all the addresses, when they are known before the first lookup */
	uint64_t *addrs;
	size_t count, cap;
} session;

/* Looks one address up and prints its lines; false (with err set) when the symbols cannot be
 * read any more. */
static bool lookup(const session *x, crp_symbol_answer *room, uint64_t addr, text *out, crp_error *err)
{
	const atos_opts *o = x->o;
	uint64_t file_addr = o->has_load ? addr - o->load + x->info.text_vmaddr
			     : o->has_slide ? addr - o->slide
			     : o->offsets ? x->info.text_vmaddr + addr : addr;
	const crp_symbolication *sym;
	if (crp_symbolicator_lookup_r(&sym, room, x->s, x->im, file_addr, err) != CRP_OK)
		return false;
	if (!sym) {
		put_hex(out, addr);
		put(out, "\n", 1);
	} else {
		print_one(out, sym, x->info.name, o);
	}
	return true;
}

/* The address a token names, or a message and false. */
static bool address(session *x, const char *token, uint64_t *addr)
{
	if (parse_hex(token, addr))
		return true;
	cli_msg("atos: '%s' is not a hex address", token);
	x->status = EXIT_SOME_FAILED;
	return false;
}

static void lookup_now(session *x, crp_symbol_answer *room, text *answer, const char *token)
{
	uint64_t addr;
	crp_error err;
	if (!address(x, token, &addr))
		return;
	answer->len = 0;
	if (!lookup(x, room, addr, answer, &err)) {
		cli_msg("atos: %s", err.message);
		exit(EXIT_SOME_FAILED);
	}
	fwrite(answer->p, 1, answer->len, stdout);
}

static void keep(session *x, const char *token)
{
	uint64_t addr;
	if (!address(x, token, &addr))
		return;
	if (x->count == x->cap)
		x->addrs = cli_xrealloc(x->addrs, (x->cap = x->cap ? 2 * x->cap : 1024) * sizeof *x->addrs);
	x->addrs[x->count++] = addr;
}

/* Tokens of `in`, each looked up at once or kept for later. */
static void read_tokens(session *x, FILE *in, crp_symbol_answer *room)
{
	char tok[64];
	size_t n = 0;
	int ch;
	text answer = {0};
	do {
		ch = getc_unlocked(in); /* one reader: no locking per character */
		if (ch != EOF && ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') {
			if (n < sizeof tok - 1)
				tok[n] = (char)ch;
			n++;
			continue;
		}
		if (n) {
			tok[n < sizeof tok ? n : sizeof tok - 1] = '\0';
			if (room)
				lookup_now(x, room, &answer, tok);
			else
				keep(x, tok);
		}
		n = 0;
	} while (ch != EOF);
	free(answer.p);
}

/* Addresses known up front are looked up in windows, each in address order and printed in
 * input order: neighbouring lookups share cache lines and compile units (200,000 random
 * addresses spend a fifth of their time in cache misses otherwise), and threads given distinct
 * address ranges build distinct units instead of waiting for the same one. */
#define WINDOW 65536

typedef struct item {
	uint64_t addr;
	uint32_t pos;            /* in the window, in input order */
} item;

typedef struct chunk {
	char *text;
	size_t failed_at;        /* SIZE_MAX, or the item whose symbols could not be read */
	crp_error err;
} chunk;

#define MAX_JOBS 64

/* A thread's share of the sorted addresses: chunks [front, end) not yet taken. */
typedef struct region {
	size_t front, end;
} region;

typedef struct pool {
	const session *x;
	item *items;             /* the window, sorted by address */
	size_t *end;             /* per sorted item: where its text ends in its chunk's */
	size_t n;
	chunk *chunks;
	size_t count, size;      /* chunks, items per chunk */
	region regions[MAX_JOBS]; /* see take_chunk(); under lock */
	unsigned region_count, homes;
	pthread_mutex_t lock;
} pool;

static void run_chunk(pool *p, size_t i, crp_symbol_answer *room)
{
	chunk *c = &p->chunks[i];
	text out = {0};
	size_t end = (i + 1) * p->size < p->n ? (i + 1) * p->size : p->n;
	c->failed_at = SIZE_MAX;
	for (size_t k = i * p->size; k < end; k++) {
		if (!lookup(p->x, room, p->items[k].addr, &out, &c->err)) {
			c->failed_at = k;
			break;
		}
		p->end[k] = out.len;
	}
	c->text = out.p;
}

/* Under the lock: the next chunk of a thread's own region, in address order; once that is done,
 * the last chunk of the region with most left. Threads work in distinct parts of the address
 * space and so build distinct units (taking chunks in address order, the second thread waited
 * for the first's build of the unit both were in). SIZE_MAX: none left. */
static size_t take_chunk(pool *p, unsigned home)
{
	region *own = &p->regions[home];
	if (own->front < own->end)
		return own->front++;
	region *most = NULL;
	for (unsigned r = 0; r < p->region_count; r++)
		if (p->regions[r].front < p->regions[r].end &&
		    (!most || p->regions[r].end - p->regions[r].front > most->end - most->front))
			most = &p->regions[r];
	return most ? --most->end : SIZE_MAX;
}

static void *worker(void *arg)
{
	pool *p = arg;
	crp_symbol_answer *room;
	if (crp_symbol_answer_new(&room, p->x->s) != CRP_OK) {
		cli_msg("atos: out of memory");
		exit(EXIT_SOME_FAILED);
	}
	pthread_mutex_lock(&p->lock);
	unsigned home = p->homes++ % p->region_count;
	pthread_mutex_unlock(&p->lock);
	for (;;) {
		pthread_mutex_lock(&p->lock);
		size_t i = take_chunk(p, home);
		pthread_mutex_unlock(&p->lock);
		if (i == SIZE_MAX)
			break;
		run_chunk(p, i, room);
	}
	crp_symbol_answer_free(room);
	return NULL;
}

/* By address, equal ones in input order: a least-significant-digit radix sort, a byte at a time,
 * skipping the bytes every address shares (qsort, calling a comparison function, took 6% of
 * the instructions of 200,000 lookups). The result is in v. */
static void sort_items(item *v, item *tmp, size_t n)
{
	uint64_t any = 0, all = UINT64_MAX;
	for (size_t i = 0; i < n; i++)
		any |= v[i].addr, all &= v[i].addr;
	item *from = v, *to = tmp;
	for (unsigned shift = 0; shift < 64; shift += 8) {
		if (!((any ^ all) >> shift & 0xff))
			continue;
		size_t at[256] = {0};
		for (size_t i = 0; i < n; i++)
			at[from[i].addr >> shift & 0xff]++;
		for (size_t b = 0, sum = 0; b < 256; b++) {
			size_t c = at[b];
			at[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[at[from[i].addr >> shift & 0xff]++] = from[i];
		item *t = from;
		from = to, to = t;
	}
	if (from != v)
		memcpy(v, from, n * sizeof *v);
}

/* Once every chunk is done: the answers in input order, up to the first that failed. */
static void print_window(const pool *p)
{
	size_t *rank = cli_xmalloc((p->n ? p->n : 1) * sizeof *rank);
	for (size_t k = 0; k < p->n; k++)
		rank[p->items[k].pos] = k;
	for (size_t pos = 0; pos < p->n; pos++) {
		size_t k = rank[pos];
		chunk *c = &p->chunks[k / p->size];
		if (k >= c->failed_at) {
			cli_msg("atos: %s", c->err.message);
			fflush(stdout);
			exit(EXIT_SOME_FAILED);
		}
		size_t start = k % p->size ? p->end[k - 1] : 0;
		if (p->end[k] > start)
			fwrite(c->text + start, 1, p->end[k] - start, stdout);
	}
	for (size_t i = 0; i < p->count; i++)
		free(p->chunks[i].text);
	free(rank);
}

static unsigned jobs_for(const atos_opts *o, size_t count)
{
	unsigned n = cli_threads(o->jobs);
	n = n > MAX_JOBS ? MAX_JOBS : n;
	return count < 2 * (size_t)n ? 1 : n;
}

static void lookup_window(const session *x, const uint64_t *addrs, size_t n, item *items, item *tmp,
			  size_t *end, chunk *chunks)
{
	unsigned jobs = jobs_for(x->o, n);
	pool p = {.x = x, .items = items, .end = end, .n = n, .chunks = chunks, .lock = PTHREAD_MUTEX_INITIALIZER};
	for (size_t i = 0; i < n; i++)
		items[i] = (item){addrs[i], (uint32_t)i};
	sort_items(items, tmp, n);
	p.size = n / (8 * (size_t)jobs) + 1; /* several chunks each: threads stay busy */
	p.size = p.size > 4096 ? 4096 : p.size;
	p.count = (n + p.size - 1) / p.size;
	size_t stride = (p.count + jobs - 1) / jobs;
	for (size_t lo = 0; lo < p.count; lo += stride)
		p.regions[p.region_count++] = (region){lo, lo + stride < p.count ? lo + stride : p.count};
	memset(chunks, 0, p.count * sizeof *chunks);
	pthread_t t[MAX_JOBS];
	unsigned started = 0;
	while (jobs > 1 && started < jobs && pthread_create(&t[started], NULL, worker, &p) == 0)
		started++;
	if (!started)
		worker(&p);
	for (unsigned i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	print_window(&p);
}

static void lookup_all(session *x)
{
	size_t most = x->count < WINDOW ? x->count : WINDOW;
	item *items = cli_xmalloc((most ? most : 1) * sizeof *items);
	item *tmp = cli_xmalloc((most ? most : 1) * sizeof *tmp);
	size_t *end = cli_xmalloc((most ? most : 1) * sizeof *end);
	chunk *chunks = cli_xmalloc((most ? most : 1) * sizeof *chunks);
	for (size_t at = 0; at < x->count; at += WINDOW)
		lookup_window(x, x->addrs + at, x->count - at < WINDOW ? x->count - at : WINDOW, items, tmp, end,
			      chunks);
	free(items);
	free(tmp);
	free(end);
	free(chunks);
}

/* Stdin read as it comes (a pipe or a terminal: answers as soon as asked), else everything
 * first and looked up in parallel. */
static int run(session *x, int argc, char **argv)
{
	crp_symbol_answer *room;
	if (crp_symbol_answer_new(&room, x->s) != CRP_OK) {
		cli_msg("atos: out of memory");
		return EXIT_SOME_FAILED;
	}
	FILE *in = stdin;
	struct stat st;
	bool stream = optind == argc && !x->o->addr_file && (fstat(STDIN_FILENO, &st) != 0 || !S_ISREG(st.st_mode));
	if (optind == argc && x->o->addr_file && !(in = fopen(x->o->addr_file, "r"))) {
		cli_msg("atos: cannot open %s: %s", x->o->addr_file, strerror(errno));
		crp_symbol_answer_free(room);
		return EXIT_SOME_FAILED;
	}
	for (int i = optind; i < argc; i++)
		keep(x, argv[i]);
	if (optind == argc)
		read_tokens(x, in, stream ? room : NULL);
	if (in != stdin)
		fclose(in);
	crp_symbol_answer_free(room);
	if (!stream)
		lookup_all(x);
	free(x->addrs);
	return x->status;
}

/* Thousands of addresses to come (arguments, or an address file of 64 KiB or more): units are
 * indexed whole at once, not by windows around their first addresses. */
#define MANY_ADDRESSES 1024
#define MANY_ADDRESS_BYTES (64 * 1024)

static bool many_addresses(int argc, const atos_opts *o)
{
	struct stat st;
	if (argc - optind >= MANY_ADDRESSES)
		return true;
	if (optind < argc)
		return false;
	int ok = o->addr_file ? stat(o->addr_file, &st) : fstat(STDIN_FILENO, &st);
	return ok == 0 && S_ISREG(st.st_mode) && st.st_size >= MANY_ADDRESS_BYTES;
}

int cmd_atos(int argc, char **argv)
{
	atos_opts o = {0};
	if (parse_args(argc, argv, &o) != 0)
		return EXIT_USAGE;
	crp_symbolicator_options so = CRP_SYMBOLICATOR_OPTIONS_INIT;
	so.on_skip = on_skip;
	so.cache_dir = o.symbols_cache;
	so.cache_build_threads = cli_threads(o.jobs);
	so.max_index_bytes = o.index_memory;
	if (many_addresses(argc, &o))
		so.flags |= CRP_SYMBOLICATOR_WHOLE_UNITS;
	crp_symbolicator *s;
	if (crp_symbolicator_new(&s, &so) != CRP_OK) {
		cli_msg("atos: out of memory");
		return EXIT_SOME_FAILED;
	}
	session x = {s, NULL, {0}, &o, EXIT_ALL_OK, NULL, 0, 0};
	int rc = EXIT_SOME_FAILED;
	if (load(s, o.object) == 0 && (x.im = choose(s, &o)) != NULL) {
		crp_symbol_image_get_info(x.im, &x.info);
		rc = run(&x, argc, argv);
	}
	fflush(stdout);
	crp_symbolicator_free(s);
	return rc;
}
