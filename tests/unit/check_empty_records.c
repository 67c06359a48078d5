/* Empty records ({}) of typed arrays cost no memory while their array is read: a million of
 * them (3 bytes of JSON each, 328-byte records) no longer hold hundreds of megabytes before
 * the item limit stops them, and a closed array is allocated once, not twice. They read and
 * write back where they were, among typed records and strays. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* An allocator that knows the bytes it holds, and the most it ever held. */
typedef struct peak {
	size_t now, most;
} peak;

static void *p_malloc(void *ctx, size_t n)
{
	peak *p = ctx;
	size_t *b = malloc(n + 16);
	if (!b)
		return NULL;
	b[0] = n;
	p->now += n;
	p->most = p->now > p->most ? p->now : p->most;
	return b + 2;
}

static void p_free(void *ctx, void *q)
{
	peak *p = ctx;
	if (!q)
		return;
	size_t *b = (size_t *)q - 2;
	p->now -= b[0];
	free(b);
}

static void *p_realloc(void *ctx, void *q, size_t n)
{
	if (!q)
		return p_malloc(ctx, n);
	size_t old = ((size_t *)q)[-2];
	void *r = p_malloc(ctx, n);
	if (!r)
		return NULL;
	memcpy(r, q, old < n ? old : n);
	p_free(ctx, q);
	return r;
}

static char *empty_threads(size_t n, size_t *len)
{
	static const char head[] = "{\"report\":{\"id\":\"E\"},\"crash\":{\"threads\":[";
	char *s = malloc(sizeof head + 3 * n + 8);
	size_t k = sizeof head - 1;
	memcpy(s, head, k);
	for (size_t i = 0; i < n; i++) {
		memcpy(s + k, i ? ",{}" : "{}", i ? 3 : 2);
		k += i ? 3 : 2;
	}
	memcpy(s + k, "]}}", 4);
	*len = k + 3;
	return s;
}

static int parse_counted(const char *text, size_t len, peak *pk, crp_report **out, crp_error *e)
{
	crp_allocator a = {p_malloc, p_realloc, p_free, pk};
	crp_parse_options o = CRP_PARSE_OPTIONS_INIT;
	o.allocator = &a;
	return crp_report_parse(out, text, len, &o, e);
}

START_TEST(past_the_item_limit_in_little_memory)
{
	size_t len;
	char *text = empty_threads(1100000, &len);
	peak pk = {0, 0};
	crp_report *r;
	crp_error e;
	ck_assert_int_eq(parse_counted(text, len, &pk, &r, &e), CRP_ELIMIT);
	ck_assert_str_eq(e.json_path, "crash.threads[1000000]");
	ck_assert_msg(pk.most < (16u << 20), "%zu bytes held for 3 MB of {}", pk.most);
	ck_assert_uint_eq(pk.now, 0);
	free(text);
}
END_TEST

/* A closed array is the only copy: the peak is about the model, not twice it. */
START_TEST(a_closed_array_is_held_once)
{
	size_t len, n = 100000;
	char *text = empty_threads(n, &len);
	peak pk = {0, 0};
	crp_report *r;
	ck_assert_int_eq(parse_counted(text, len, &pk, &r, NULL), CRP_OK);
	const crp_crash *c = crp_report_crash(r);
	ck_assert_uint_eq(c->thread_count, n);
	ck_assert_uint_eq(c->threads[n - 1].has, 0);
	size_t model = n * sizeof(crp_thread);
	ck_assert_msg(pk.most < model + model / 4 + (1u << 20), "peak %zu for a %zu-byte array", pk.most,
		      model);
	crp_report_free(r);
	free(text);
}
END_TEST

START_TEST(empty_records_stay_in_place)
{
	static const char json[] =
		"{\"report\":{\"id\":\"E\"},\"binary_images\":[{},{\"image_addr\":4096},0,{},{}],"
		"\"crash\":{\"threads\":[{},{\"index\":1,\"backtrace\":{\"contents\":[{},{\"instruction_addr\":7},"
		"{},null,{\"symbol_name\":null}]}},{},{},{\"index\":2,\"name\":\"x\"},{},null,{\"index\":3},{}]}}";
	static const char want[] =
		"{\"report\":{\"id\":\"E\"},\"binary_images\":[{},{\"image_addr\":4096},0,{},{}],"
		"\"crash\":{\"threads\":[{},{\"backtrace\":{\"contents\":[{},{\"instruction_addr\":7},{},null,"
		"{\"symbol_name\":null}]},"
		"\"index\":1},{},{},{\"index\":2,\"name\":\"x\"},{},null,{\"index\":3},{}]}}\n";
	for (size_t chunk = 0; chunk <= 5; chunk++) {
		crp_report **r;
		size_t n, len;
		ck_assert_int_eq(tu_parse(json, strlen(json), chunk, NULL, &r, &n, NULL), CRP_OK);
		const crp_crash *c = crp_report_crash(r[0]);
		ck_assert_uint_eq(c->thread_count, 8);
		ck_assert_uint_eq(c->threads[4].index, 2);
		ck_assert_uint_eq(c->threads[6].index, 3);
		ck_assert_uint_eq(c->threads[1].backtrace.frame_count, 4);
		ck_assert_uint_eq(c->threads[1].backtrace.frames[1].instruction_addr, 7);
		size_t ni;
		crp_report_images(r[0], &ni);
		ck_assert_uint_eq(ni, 4);
		char *out = tu_emit("json", r, n, (const char *const[]){"compact", NULL}, &len);
		ck_assert_str_eq(out, want);
		free(out);
		tu_free_reports(r, n);
	}
}
END_TEST

Suite *suite_empty_records(void)
{
	Suite *s = suite_create("empty_records");
	TCase *tc = tcase_create("empty_records");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, past_the_item_limit_in_little_memory);
	tcase_add_test(tc, a_closed_array_is_held_once);
	tcase_add_test(tc, empty_records_stay_in_place);
	suite_add_tcase(s, tc);
	return s;
}
