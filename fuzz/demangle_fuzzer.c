/* The demanglers on arbitrary names: the first byte picks the style and the output size, the
 * rest is the name (symbolic-reference bytes and NULs included). Must never crash, hang or
 * leak, and must never write past the caller's buffer; C++ names demangle to the same text
 * with and without the fast path for simple names. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crashport/demangle.h"
#include "demangle/demangle.h"

#define MAX_NAME 8192

/* The fast path for simple C++ names writes exactly what libiberty writes. */
static void same_as_libiberty(const char *name, size_t cap)
{
	static char fast[65536], full[65536];
	size_t a = crp__demangle_cxx(name, fast, cap), b = crp__demangle_cxx_libiberty(name, full, cap);
	if (a != b || (a && memcmp(fast, full, a) != 0)) {
		fprintf(stderr, "demangle: '%s': fast path '%.*s', libiberty '%.*s'\n", name, (int)a, fast, (int)b, full);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[] = {2, 64, 4096, 65536};
	static char name[MAX_NAME + 1];
	if (size < 1 || size - 1 > MAX_NAME)
		return 0;
	unsigned mode = data[0];
	size_t n = size - 1, cap = caps[(mode >> 1) & 3];
	memcpy(name, data + 1, n);
	name[n] = '\0';
	char *out = malloc(cap + 1);
	if (!out)
		return 0;
	out[cap] = 0x5a; /* a canary just past the buffer */
	unsigned style = mode & 1 ? CRP__DM_SIMPLIFIED : 0;
	size_t len = crp__demangle_swift(name, n, out, cap, style, NULL);
	if (len && (len >= cap || strlen(out) != len))
		abort();
	crp_demangle_options o = CRP_DEMANGLE_OPTIONS_INIT;
	o.flags = style;
	if (crp_demangle(out, cap, &len, name, &o) == CRP_OK && (len >= cap || strlen(out) != len))
		abort();
	if (out[cap] != 0x5a)
		abort();
	same_as_libiberty(name, cap);
	free(out);
	return 0;
}
