/* crp_demangle(): the public entry point over the C++ and Swift demanglers. */
#include "demangle.h"

CRP_API int crp_demangle(char *out, size_t cap, size_t *out_len, const char *name,
			 const crp_demangle_options *opts)
{
	crp_allocator a;
	int status;
	if (out_len)
		*out_len = 0;
	if (!out || !cap || !name || (opts && opts->version != CRP_DEMANGLE_OPTIONS_VERSION))
		return CRP_EINVAL;
	crp__allocator_init(&a, opts ? opts->allocator : NULL);
	size_t n = crp__demangle_status(name, out, cap, opts ? opts->flags : 0, &a, &status);
	if (status != CRP_OK) {
		out[0] = '\0';
		return status;
	}
	if (out_len)
		*out_len = n;
	return CRP_OK;
}

CRP_API int crp_demangle_is_swift(const char *name) { return crp__is_swift_mangled(name); }
