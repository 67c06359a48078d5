/* Expanding command-line inputs: files, "-" and directories walked recursively in byte order,
 * filtered by --include/--exclude globs. The order is deterministic (arguments first to last,
 * directory entries sorted), so output names and report lines do not depend on the file system. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "inputs.h"

typedef struct file_id {
	dev_t dev;
	ino_t ino;
} file_id;

typedef struct walker {
	const cli_filter *filter;
	cli_inputs *out;
	file_id *seen;           /* files and directories already taken: no duplicates, no loops */
	size_t n_seen, cap_seen; /* cap_seen: a power of two */
	file_id skip_dir;        /* the output directory, never read as input */
	bool has_skip_dir;
} walker;

static size_t id_hash(dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)dev * UINT64_C(0x9e3779b97f4a7c15)) ^ (uint64_t)ino;
	return (size_t)(h * UINT64_C(0xff51afd7ed558ccd) >> 17);
}

/* An open-addressing set of (device, inode); slots with ino 0 are empty (no file has inode 0). */
static bool seen_before(walker *w, const struct stat *st)
{
	if (2 * (w->n_seen + 1) > w->cap_seen) {
		size_t cap = w->cap_seen ? w->cap_seen * 2 : 256;
		file_id *old = w->seen, *n = cli_xmalloc(cap * sizeof *n);
		memset(n, 0, cap * sizeof *n);
		for (size_t i = 0; i < w->cap_seen; i++) {
			if (!old[i].ino)
				continue;
			size_t k = id_hash(old[i].dev, old[i].ino) & (cap - 1);
			while (n[k].ino)
				k = (k + 1) & (cap - 1);
			n[k] = old[i];
		}
		free(old);
		w->seen = n;
		w->cap_seen = cap;
	}
	size_t k = id_hash(st->st_dev, st->st_ino) & (w->cap_seen - 1);
	for (; w->seen[k].ino; k = (k + 1) & (w->cap_seen - 1))
		if (w->seen[k].dev == st->st_dev && w->seen[k].ino == st->st_ino)
			return true;
	w->seen[k] = (file_id){st->st_dev, st->st_ino};
	w->n_seen++;
	return false;
}

static void add_input(cli_inputs *in, const char *path, const char *rel)
{
	if (in->count == in->cap) {
		in->cap = in->cap ? in->cap * 2 : 64;
		in->items = cli_xrealloc(in->items, in->cap * sizeof *in->items);
	}
	in->items[in->count++] = (cli_input){cli_xstrdup(path), cli_xstrdup(rel), NULL, 0};
}

/* A pattern without '/' matches the base name, one with '/' the path relative to the argument. */
static bool glob_match(const char *const *patterns, size_t n, const char *rel)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	for (size_t i = 0; i < n && patterns[i]; i++)
		if (fnmatch(patterns[i], strchr(patterns[i], '/') ? rel : base, FNM_PATHNAME) == 0)
			return true;
	return false;
}

static bool included(const cli_filter *f, const char *rel)
{
	if (f->n_exclude && glob_match(f->exclude, f->n_exclude, rel))
		return false;
	if (f->n_include)
		return glob_match(f->include, f->n_include, rel);
	return cli_known_input_name(rel);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of a directory's entries, hidden ones (".name") left out. */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	size_t cap = 16;
	char **names = cli_xmalloc(cap * sizeof *names);
	struct dirent *e;
	*n = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap)
			names = cli_xrealloc(names, (cap *= 2) * sizeof *names);
		names[(*n)++] = cli_xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, *n, sizeof *names, by_name);
	return names;
}

static void walk(walker *w, const char *dir, const char *rel);

static void visit(walker *w, const char *path, const char *rel)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return; /* vanished or a dangling link: nothing to convert */
	if (S_ISDIR(st.st_mode)) {
		bool is_out = w->has_skip_dir && st.st_dev == w->skip_dir.dev && st.st_ino == w->skip_dir.ino;
		bool excluded = w->filter->n_exclude && glob_match(w->filter->exclude, w->filter->n_exclude, rel);
		if (!is_out && !excluded && !seen_before(w, &st))
			walk(w, path, rel);
	} else if (S_ISREG(st.st_mode) && included(w->filter, rel) && !seen_before(w, &st)) {
		add_input(w->out, path, rel);
	}
}

static void walk(walker *w, const char *dir, const char *rel)
{
	size_t n;
	char **names = list_dir(dir, &n);
	if (!names) {
		int e = errno;
		add_input(w->out, dir, rel);
		w->out->items[w->out->count - 1].dir_errno = e ? e : EIO;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *path = cli_path_join(dir, names[i]);
		char *sub = rel[0] ? cli_path_join(rel, names[i]) : cli_xstrdup(names[i]);
		visit(w, path, sub);
		free(path);
		free(sub);
		free(names[i]);
	}
	free(names);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

void cli_inputs_expand(cli_inputs *out, char *const *args, size_t n_args, const cli_filter *filter,
		       const char *skip_dir)
{
	walker w = {.filter = filter, .out = out};
	struct stat st;
	if (skip_dir && stat(skip_dir, &st) == 0) {
		w.skip_dir = (file_id){st.st_dev, st.st_ino};
		w.has_skip_dir = true;
	}
	for (size_t i = 0; i < n_args; i++) {
		const char *a = args[i];
		if (strcmp(a, "-") != 0 && stat(a, &st) == 0 && S_ISDIR(st.st_mode)) {
			out->has_dirs = true;
			if (!seen_before(&w, &st))
				walk(&w, a, "");
		} else if (strcmp(a, "-") == 0 || stat(a, &st) != 0 || !seen_before(&w, &st)) {
			/* named files are taken whatever their name; a missing one fails when opened */
			add_input(out, a, strcmp(a, "-") == 0 ? "stdin" : base_name(a));
		}
	}
	free(w.seen);
}

static size_t str_hash(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);
	while (*s)
		h = (h ^ (unsigned char)*s++) * UINT64_C(0x100000001b3);
	return (size_t)h;
}

/* Inserts name into the set (capacity a power of two, at least twice the names); false if there. */
static bool claim(char **set, size_t cap, char *name)
{
	size_t k = str_hash(name) & (cap - 1);
	for (; set[k]; k = (k + 1) & (cap - 1))
		if (strcmp(set[k], name) == 0)
			return false;
	set[k] = name;
	return true;
}

static char *unique_name(char **set, size_t cap, const char *rel, const char *ext)
{
	const char *base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	const char *dot = strrchr(base, '.');
	size_t stem = dot && dot != base ? (size_t)(dot - rel) : strlen(rel);
	char *name = cli_xmalloc(stem + strlen(ext) + 24);
	sprintf(name, "%.*s%s", (int)stem, rel, ext);
	for (unsigned k = 2; !claim(set, cap, name); k++)
		sprintf(name, "%.*s-%u%s", (int)stem, rel, k, ext);
	return name;
}

void cli_inputs_name_outputs(cli_inputs *in, const char *dir, const char *ext)
{
	size_t cap = 16;
	while (cap < 2 * in->count)
		cap *= 2;
	char **set = cli_xmalloc(cap * sizeof *set);
	memset(set, 0, cap * sizeof *set);
	char **names = cli_xmalloc((in->count + 1) * sizeof *names);
	for (size_t i = 0; i < in->count; i++) {
		names[i] = in->items[i].dir_errno ? NULL : unique_name(set, cap, in->items[i].rel, ext);
		in->items[i].dest = names[i] ? cli_path_join(dir, names[i]) : NULL;
	}
	for (size_t i = 0; i < in->count; i++)
		free(names[i]);
	free(names);
	free(set);
}

typedef struct input_id {
	file_id id;
	size_t index;
} input_id;

static int by_id(const void *a, const void *b)
{
	const file_id *x = &((const input_id *)a)->id, *y = &((const input_id *)b)->id;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* The files read: named files and directory entries by stat, stdin when it is a file. */
static size_t input_ids(const cli_inputs *in, input_id *ids)
{
	size_t n = 0;
	struct stat st;
	for (size_t i = 0; i < in->count; i++) {
		const char *p = in->items[i].path;
		bool ok = strcmp(p, "-") == 0 ? fstat(0, &st) == 0 && S_ISREG(st.st_mode) : stat(p, &st) == 0;
		if (ok && !in->items[i].dir_errno)
			ids[n++] = (input_id){{st.st_dev, st.st_ino}, i};
	}
	qsort(ids, n, sizeof *ids, by_id);
	return n;
}

bool cli_inputs_overwrite(const cli_inputs *in, bool skip_existing, size_t *writer, size_t *victim)
{
	input_id *ids = cli_xmalloc((in->count + 1) * sizeof *ids);
	size_t n = input_ids(in, ids);
	bool found = false;
	struct stat st;
	for (size_t i = 0; i < in->count && !found && !skip_existing; i++) {
		if (!in->items[i].dest || stat(in->items[i].dest, &st) != 0)
			continue; /* a new file is no input */
		input_id key = {{st.st_dev, st.st_ino}, 0};
		const input_id *hit = bsearch(&key, ids, n, sizeof *ids, by_id);
		if (hit) {
			*writer = i;
			*victim = hit->index;
			found = true;
		}
	}
	free(ids);
	return found;
}

void cli_inputs_free(cli_inputs *in)
{
	for (size_t i = 0; i < in->count; i++) {
		free(in->items[i].path);
		free(in->items[i].rel);
		free(in->items[i].dest);
	}
	free(in->items);
	memset(in, 0, sizeof *in);
}
