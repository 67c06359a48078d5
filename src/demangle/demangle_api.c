/* crp_demangle(): the public entry point over the C++ and Swift demanglers. */
#include "demangle.h"

#define PROBE_CAP (64u * 1024)

/* Whether name demangles at all when it did not into the caller's buffer: decides between
 * CRP_ELIMIT and CRP_ENOTFOUND. Only names that failed pay for it. */
static int probe(const char *name, unsigned flags, const crp_allocator *a)
{
	char *big = crp__malloc(a, PROBE_CAP);
	if (!big)
		return CRP_ENOMEM;
	size_t n = crp__demangle(name, big, PROBE_CAP, flags, a);
	crp__free(a, big);
	return n ? CRP_ELIMIT : CRP_ENOTFOUND;
}

CRP_API int crp_demangle(char *out, size_t cap, size_t *out_len, const char *name,
			 const crp_demangle_options *opts)
{
	crp_allocator a;
	if (out_len)
		*out_len = 0;
	if (!out || !cap || !name || (opts && opts->version != CRP_DEMANGLE_OPTIONS_VERSION))
		return CRP_EINVAL;
	out[0] = '\0';
	crp__allocator_init(&a, opts ? opts->allocator : NULL);
	unsigned flags = opts ? opts->flags : 0;
	size_t n = cap >= 2 ? crp__demangle(name, out, cap, flags, &a) : 0;
	if (n) {
		if (out_len)
			*out_len = n;
		return CRP_OK;
	}
	out[0] = '\0';
	bool candidate = (!(flags & CRP__DM_NO_SWIFT) && crp__is_swift_mangled(name)) ||
			 (!(flags & CRP__DM_NO_CXX) && (!strncmp(name, "_Z", 2) || !strncmp(name, "__Z", 3)));
	return candidate ? probe(name, flags, &a) : CRP_ENOTFOUND;
}

CRP_API int crp_demangle_is_swift(const char *name) { return crp__is_swift_mangled(name); }
