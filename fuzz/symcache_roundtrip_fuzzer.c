/* The symbol cache round trip: whatever DWARF the symbolicator accepts, the cache written from
 * it answers every lookup exactly as the DWARF did (schema/symcache-format.md promises
 * byte-identical answers), and writing it twice gives the same bytes.
 * The input is the dwarf_fuzzer's (dwarf_input.h); every 4th address of the synthetic dSYM's
 * __TEXT is looked up. Any difference aborts, with the address and what differed on stderr. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crashport/crashport.h"
#include "crashport/symbols.h"
#include "dwarf_input.h"

#define STEP 4u

static void differ(uint64_t addr, const char *what)
{
	fprintf(stderr, "symcache round trip: 0x%" PRIx64 ": %s\n", addr, what);
	abort();
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static void same_answer(uint64_t addr, const crp_symbolication *a, const crp_symbolication *b)
{
	if (!a || !b) {
		if (a || b)
			differ(addr, a ? "the cache knows nothing" : "only the cache knows something");
		return;
	}
	if (a->function_addr != b->function_addr || a->offset != b->offset || a->count != b->count ||
	    a->flags != b->flags || !same_str(a->linkage_name, b->linkage_name))
		differ(addr, "function, offset, flags, name or depth");
	for (size_t i = 0; i < a->count; i++)
		if (!same_str(a->locs[i].function, b->locs[i].function) || !same_str(a->locs[i].file, b->locs[i].file) ||
		    a->locs[i].line != b->locs[i].line || a->locs[i].column != b->locs[i].column)
			differ(addr, "an inlined level");
}

static int write_cache(crp_symbolicator *s, crp_buffer *out)
{
	crp_sink sink;
	crp_sink_init_buffer(&sink, out);
	return crp_symbol_image_write_cache(s, crp_symbolicator_image(s, 0), &sink, NULL);
}

/* Two symbolicators, the DWARF's and the cache's, asked the same addresses. */
static void compare(const mb_buf *img)
{
	crp_symbolicator *dw = NULL, *sc = NULL;
	crp_buffer cache = CRP_BUFFER_INIT, again = CRP_BUFFER_INIT;
	if (crp_symbolicator_new(&dw, NULL) != CRP_OK ||
	    crp_symbolicator_add_memory(dw, img->p, img->n, "fuzz.dSYM", NULL) != CRP_OK)
		goto out;
	if (write_cache(dw, &cache) != CRP_OK) /* what the DWARF path cannot index either */
		goto out;
	if (crp_symbolicator_new(&sc, NULL) != CRP_OK)
		goto out;
	crp_error e;
	if (crp_symbolicator_add_memory(sc, cache.data, cache.len, "fuzz.symcache", &e) != CRP_OK)
		differ(0, e.message);
	for (uint64_t a = DWARF_INPUT_TEXT_LO; a < DWARF_INPUT_TEXT_HI; a += STEP) {
		const crp_symbolication *x, *y;
		int rx = crp_symbolicator_lookup(&x, dw, crp_symbolicator_image(dw, 0), a, NULL);
		int ry = crp_symbolicator_lookup(&y, sc, crp_symbolicator_image(sc, 0), a, NULL);
		if (rx != CRP_OK || ry != CRP_OK)
			differ(a, "a lookup failed");
		same_answer(a, x, y);
	}
	if (write_cache(dw, &again) != CRP_OK || again.len != cache.len ||
	    memcmp(again.data, cache.data, cache.len) != 0)
		differ(0, "the cache written twice differs");
out:
	crp_symbolicator_free(dw);
	crp_symbolicator_free(sc);
	crp_buffer_dispose(&cache);
	crp_buffer_dispose(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t uuid[16] = {0xf0, 0x23};
	mb_buf img = dwarf_input_dsym(data, size, uuid);
	if (!img.p)
		return 0;
	compare(&img);
	free(img.p);
	return 0;
}
