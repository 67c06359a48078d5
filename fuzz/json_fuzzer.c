/* The JSON event parser (src/json), two ways. Chunking: the input fed whole and in chunks of 1
 * to 31 bytes (sizes drawn from the first byte) gives the same events, the same end and the
 * same error at the same byte. Against yajl: for a document that opens with '{' or '[', both
 * accept it or both reject it, and when accepted they give the same events. Left out of the
 * comparison with yajl (documented differences): \v and \f, which yajl takes as whitespace,
 * and \uD800-\uDFFF escapes, which yajl writes as '?' when unpaired. Any difference aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "json/json.h"

typedef struct events {
	char *s;
	size_t len, cap;
	size_t depth;
	bool whole; /* a value was read to its end */
	bool yajl;  /* stopped by the callbacks at the value's end (ours stops by itself) */
} events;

static void put(events *e, const char *tag, const void *s, size_t n)
{
	size_t t = strlen(tag);
	if (e->len + t + n + 1 > e->cap) {
		e->cap = (e->len + t + n + 1) * 2;
		e->s = realloc(e->s, e->cap);
		if (!e->s)
			abort();
	}
	memcpy(e->s + e->len, tag, t);
	if (n)
		memcpy(e->s + e->len + t, s, n);
	e->len += t + n;
	e->s[e->len++] = '\n';
}

/* A value ended; at the top level, yajl is stopped there as the .ips reader stops. */
static int ended(events *e)
{
	if (e->depth)
		return 1;
	e->whole = true;
	return !e->yajl;
}

static int ev_null(void *c) { put(c, "null", "", 0); return ended(c); }
static int ev_bool(void *c, int b) { put(c, b ? "true" : "false", "", 0); return ended(c); }
static int ev_number(void *c, const char *s, size_t n) { put(c, "n ", s, n); return ended(c); }
static int ev_string(void *c, const unsigned char *s, size_t n) { put(c, "s ", s, n); return ended(c); }
static int ev_key(void *c, const unsigned char *s, size_t n) { put(c, "k ", s, n); return 1; }
static int ev_open(void *c, const char *tag)
{
	events *e = c;
	put(e, tag, "", 0);
	e->depth++;
	return 1;
}
static int ev_close(void *c, const char *tag)
{
	events *e = c;
	put(e, tag, "", 0);
	e->depth--;
	return ended(e);
}
static int ev_start_map(void *c) { return ev_open(c, "{"); }
static int ev_end_map(void *c) { return ev_close(c, "}"); }
static int ev_start_array(void *c) { return ev_open(c, "["); }
static int ev_end_array(void *c) { return ev_close(c, "]"); }

static const crp_json_callbacks ours = {ev_null, ev_bool, ev_number, ev_string, ev_start_map,
					ev_key, ev_end_map, ev_start_array, ev_end_array};
static const yajl_callbacks theirs = {ev_null, ev_bool, NULL, NULL, ev_number, ev_string,
				      ev_start_map, ev_key, ev_end_map, ev_start_array, ev_end_array};

static void *m_malloc(void *ctx, size_t n) { (void)ctx; return malloc(n); }
static void *m_realloc(void *ctx, void *p, size_t n) { (void)ctx; return realloc(p, n); }
static void m_free(void *ctx, void *p) { (void)ctx; free(p); }
static const crp_allocator heap = {m_malloc, m_realloc, m_free, NULL};

typedef struct outcome {
	events ev;
	crp_json_status st;
	uint64_t at;  /* where it ended (DONE) or the offending token begins (INVALID) */
	char message[128];
} outcome;

/* seed 0: all at once. */
static void ours_read(const uint8_t *d, size_t n, uint32_t seed, outcome *o)
{
	crp_json j;
	memset(o, 0, sizeof *o);
	crp__json_init(&j, &ours, &o->ev, &heap, n + 1);
	o->st = CRP_JSON_MORE;
	size_t off = 0, len = 0;
	for (; o->st == CRP_JSON_MORE && off < n; off += len) {
		len = n - off;
		if (seed) {
			seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
			len = len < 1 + seed % 31 ? len : 1 + seed % 31;
		}
		o->st = crp__json_parse(&j, d + off, len);
	}
	if (o->st == CRP_JSON_MORE) {
		o->st = crp__json_finish(&j);
		o->at = n - (o->st == CRP_JSON_INVALID ? j.token_len : 0);
	} else {
		off -= len; /* the chunk it stopped in */
		o->at = off + j.consumed - (o->st == CRP_JSON_DONE ? 0 : j.token_len);
	}
	if (o->st == CRP_JSON_INVALID)
		snprintf(o->message, sizeof o->message, "%s", j.message);
	crp__json_dispose(&j);
}

static void differ(const char *what, const outcome *a, const outcome *b)
{
	fprintf(stderr, "json: %s differs: status %d/%d at %llu/%llu, '%s'/'%s'\n", what, a->st, b->st,
		(unsigned long long)a->at, (unsigned long long)b->at, a->message, b->message);
	abort();
}

static bool compared_with_yajl(const uint8_t *d, size_t n)
{
	size_t i = 0;
	while (i < n && (d[i] == ' ' || d[i] == '\n' || d[i] == '\r' || d[i] == '\t'))
		i++;
	if (i == n || (d[i] != '{' && d[i] != '['))
		return false;
	for (i = 0; i < n; i++) {
		if (d[i] == '\v' || d[i] == '\f')
			return false;
		if (d[i] == '\\' && i + 2 < n && d[i + 1] == 'u' && (d[i + 2] | 0x20) == 'd')
			return false;
	}
	return true;
}

static void against_yajl(const uint8_t *d, size_t n, const outcome *o)
{
	events e = {.yajl = true};
	yajl_handle h = yajl_alloc(&theirs, NULL, &e);
	yajl_config(h, yajl_dont_validate_strings, 1);
	yajl_config(h, yajl_allow_trailing_garbage, 1);
	if (yajl_parse(h, d, n) == yajl_status_ok && !e.whole)
		yajl_complete_parse(h);
	yajl_free(h);
	bool ours_whole = o->st == CRP_JSON_DONE;
	if (ours_whole != e.whole || (ours_whole && (e.len != o->ev.len || memcmp(e.s, o->ev.s, e.len) != 0))) {
		fprintf(stderr, "json: yajl %s, ours %s (status %d: %s)\n--- yajl\n%.*s--- ours\n%.*s",
			e.whole ? "accepts" : "rejects", ours_whole ? "accepts" : "rejects", o->st, o->message,
			(int)e.len, e.s ? e.s : "", (int)o->ev.len, o->ev.s ? o->ev.s : "");
		abort();
	}
	free(e.s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t seed = data[0] | 0x100u;
	const uint8_t *d = data + 1;
	size_t n = size - 1;
	outcome whole, cut;
	ours_read(d, n, 0, &whole);
	ours_read(d, n, seed, &cut);
	if (whole.st != cut.st || whole.at != cut.at || strcmp(whole.message, cut.message) != 0)
		differ("chunked reading", &whole, &cut);
	if (whole.ev.len != cut.ev.len || (whole.ev.len && memcmp(whole.ev.s, cut.ev.s, whole.ev.len) != 0))
		differ("the events of chunked reading", &whole, &cut);
	if (compared_with_yajl(d, n))
		against_yajl(d, n, &whole);
	free(whole.ev.s);
	free(cut.ev.s);
	return 0;
}
