#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"

char *tu_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *d = malloc((size_t)n + 1);
	if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
		free(d);
		d = NULL;
	}
	fclose(f);
	if (d) {
		d[n] = '\0';
		*len = (size_t)n;
	}
	return d;
}

static int has_ext(const char *name, const char *exts)
{
	size_t nl = strlen(name);
	const char *e = exts;
	while (*e) {
		const char *comma = strchr(e, ',');
		size_t el = comma ? (size_t)(comma - e) : strlen(e);
		if (nl > el && strncmp(name + nl - el, e, el) == 0)
			return 1;
		if (!comma)
			break;
		e = comma + 1;
	}
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t tu_list(const char *dir, const char *exts, char ***names)
{
	DIR *d = opendir(dir);
	size_t n = 0, cap = 16;
	char **v = malloc(cap * sizeof *v);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || !has_ext(e->d_name, exts))
			continue;
		if (n + 1 >= cap)
			v = realloc(v, (cap *= 2) * sizeof *v);
		v[n++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	qsort(v, n, sizeof *v, cmp_names);
	v[n] = NULL;
	*names = v;
	return n;
}

void tu_free_names(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

char *tu_path(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

const char *tu_corpus_dir(void)
{
	static const char dir[] = CRP_CORPUS_DIR "/kscrash";
	struct stat st;
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

const char *tu_apple_corpus_dir(void)
{
	static const char dir[] = CRP_CORPUS_DIR "/apple";
	struct stat st;
	return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? dir : NULL;
}

const char *tu_fixtures_dir(void)
{
	return CRP_SOURCE_DIR "/fixtures";
}

int tu_parse(const void *buf, size_t len, size_t chunk, const crp_parse_options *opts,
	     crp_report ***out, size_t *n, crp_error *err)
{
	crp_parser *p;
	int rc = crp_parser_new(&p, opts);
	*out = NULL;
	*n = 0;
	if (rc != CRP_OK)
		return rc;
	size_t cap = 0;
	const char *b = buf;
	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; rc == CRP_OK && off < len; off += chunk)
		rc = crp_parser_feed(p, b + off, len - off < chunk ? len - off : chunk);
	if (rc == CRP_OK)
		rc = crp_parser_finish(p);
	crp_report *r;
	while (crp_parser_next(p, &r) == CRP_OK) {
		if (*n == cap)
			*out = realloc(*out, (cap = cap ? cap * 2 : 4) * sizeof **out);
		(*out)[(*n)++] = r;
	}
	if (err)
		*err = *crp_parser_error(p);
	crp_parser_free(p);
	return rc;
}

int tu_read(const void *buf, size_t len, size_t chunk, const char *format, const crp_parse_options *opts,
	    crp_report ***out, size_t *n, crp_error *err)
{
	crp_reader *rd;
	*out = NULL;
	*n = 0;
	int rc = crp_reader_new(&rd, format ? crp_format_lookup(format) : NULL, opts);
	if (rc != CRP_OK)
		return rc;
	size_t cap = 0;
	const char *b = buf;
	if (chunk == 0)
		chunk = len ? len : 1;
	for (size_t off = 0; rc == CRP_OK && off < len; off += chunk)
		rc = crp_reader_feed(rd, b + off, len - off < chunk ? len - off : chunk);
	if (rc == CRP_OK)
		rc = crp_reader_finish(rd);
	crp_report *r;
	while (crp_reader_next(rd, &r) == CRP_OK) {
		if (*n == cap)
			*out = realloc(*out, (cap = cap ? cap * 2 : 4) * sizeof **out);
		(*out)[(*n)++] = r;
	}
	if (err)
		*err = *crp_reader_error(rd);
	crp_reader_free(rd);
	return rc;
}

void tu_free_reports(crp_report **r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		crp_report_free(r[i]);
	free(r);
}

char *tu_emit(const char *format, crp_report **r, size_t n, const char *const *params, size_t *len)
{
	crp_buffer buf = CRP_BUFFER_INIT;
	crp_sink sink;
	crp_emit_session *s;
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	eo.params = params;
	crp_sink_init_buffer(&sink, &buf);
	ck_assert_ptr_nonnull(crp_emitter_lookup(format));
	ck_assert_int_eq(crp_emit_begin(&s, crp_emitter_lookup(format), &sink, &eo, NULL), CRP_OK);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(crp_emit_report(s, r[i]), CRP_OK);
	ck_assert_int_eq(crp_emit_end(s), CRP_OK);
	crp_emit_free(s);
	if (len)
		*len = buf.len;
	if (!buf.data) {
		buf.data = malloc(1);
		buf.data[0] = '\0';
	}
	return buf.data;
}

static void *t_malloc(void *ctx, size_t n)
{
	tu_alloc *a = ctx;
	if (a->fail_at && ++a->count == a->fail_at)
		return NULL;
	if (!a->fail_at)
		a->count++;
	void *p = malloc(n);
	if (p)
		a->live++;
	return p;
}

static void *t_realloc(void *ctx, void *p, size_t n)
{
	tu_alloc *a = ctx;
	if (a->fail_at && ++a->count == a->fail_at)
		return NULL;
	if (!a->fail_at)
		a->count++;
	void *q = realloc(p, n);
	if (q && !p)
		a->live++;
	return q;
}

static void t_free(void *ctx, void *p)
{
	tu_alloc *a = ctx;
	if (p)
		a->live--;
	free(p);
}

crp_allocator tu_allocator(tu_alloc *state)
{
	crp_allocator a = {t_malloc, t_realloc, t_free, state};
	return a;
}

const char *tu_macho_fixtures_dir(void)
{
	static const char dir[] = CRP_BUILD_DIR "/macho-fixtures";
	static const char script[] = CRP_SHARED_TOOLS_DIR "/make-macho-fixtures.sh";
	static int state; /* 0 unknown, 1 present, -1 unavailable */
	struct stat st;
	if (state == 0) {
		state = -1;
		if (stat(CRP_BUILD_DIR "/macho-fixtures/manifest.tsv", &st) == 0) {
			state = 1;
		} else if (stat(script, &st) == 0) {
			/* the script refuses a non-empty directory without a manifest: start clean */
			int rc = system("rm -rf '" CRP_BUILD_DIR "/macho-fixtures' && bash '" CRP_SHARED_TOOLS_DIR
					"/make-macho-fixtures.sh' '" CRP_BUILD_DIR "/macho-fixtures' >'" CRP_BUILD_DIR
					"/macho-fixtures.log' 2>&1");
			if (rc == 0 && stat(CRP_BUILD_DIR "/macho-fixtures/manifest.tsv", &st) == 0)
				state = 1;
		}
	}
	return state == 1 ? dir : NULL;
}
