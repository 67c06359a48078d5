#include <libiberty/demangle.h>

#include "demangle.h"

typedef struct out_buf {
	char *p;
	size_t n, cap;
	bool overflow;
} out_buf;

static void append(const char *s, size_t len, void *opaque)
{
	out_buf *b = opaque;
	if (b->overflow || len >= b->cap - b->n) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->n, s, len);
	b->n += len;
}

size_t crp__demangle_cxx(const char *name, char *out, size_t cap)
{
	if (!name || cap < 2)
		return 0;
	if (name[0] == '_' && name[1] == '_' && name[2] == 'Z')
		name++; /* Mach-O symbol tables add a leading underscore */
	if (name[0] != '_' || name[1] != 'Z')
		return 0;
	out_buf b = {out, 0, cap, false};
	/* The callback form never allocates: libiberty's allocating forms exit on failure. */
	if (!cplus_demangle_v3_callback(name, DMGL_PARAMS | DMGL_ANSI, append, &b) || b.overflow)
		return 0;
	out[b.n] = '\0';
	return b.n;
}

bool crp__is_swift_mangled(const char *name)
{
	if (!name)
		return false;
	/* Mach-O symbol tables prefix one more underscore */
	if (name[0] == '_' && (name[1] == '$' || (name[1] == '_' && name[2] == 'T' && name[3] == '0')))
		name++;
	return (name[0] == '$' && (name[1] == 's' || name[1] == 'S' || name[1] == 'e')) ||
	       (name[0] == '_' && name[1] == 'T' && name[2] == '0');
}
