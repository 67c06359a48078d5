#include <libiberty/demangle.h>

#include "demangle.h"
#include "swift_int.h"

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
	if (name[0] == '_' && (name[1] == '$' || (name[1] == '_' && name[2] == 'T')))
		name++;
	return (name[0] == '$' && (name[1] == 's' || name[1] == 'S' || name[1] == 'e')) ||
	       (name[0] == '_' && name[1] == 'T');
}

/* Which parser a prefix selects; the _Tt type names of Objective-C metadata are old-style
 * even after _T0. */
sw_node *sw_demangle_any(sw_mem *m, const char *s, size_t n)
{
	if (n >= 3 && !memcmp(s, "__T", 3))
		s++, n--;
	if (n >= 3 && !memcmp(s, "_Tt", 3))
		return sw_demangle_old(m, s, n);
	if (n >= 3 && !memcmp(s, "_T0", 3))
		return sw_demangle_new(m, s, n);
	if (n >= 2 && !memcmp(s, "_T", 2))
		return sw_demangle_old(m, s, n);
	return sw_demangle_new(m, s, n);
}

size_t sw_demangle_to(const char *s, size_t n, char *out, size_t cap, unsigned flags,
		      const crp_allocator *a, unsigned nested)
{
	max_align_t stack[32768 / sizeof(max_align_t)];
	if (!s || cap < 2 || n < 2)
		return 0;
	sw_mem m;
	sw_mem_init(&m, stack, sizeof stack, a);
	sw_node *root = sw_demangle_any(&m, s, n);
	size_t len = 0;
	if (root) {
		sw_out o;
		memset(&o, 0, sizeof o);
		o.p = out;
		o.cap = cap;
		o.flags = flags & CRP__DM_SIMPLIFIED ? SW_OPT_SIMPLIFIED : 0;
		o.nested = nested;
		o.alloc = a;
		if (sw_print(&o, root))
			len = o.n;
	}
	sw_mem_dispose(&m);
	return len;
}

size_t crp__demangle_swift(const char *name, size_t len, char *out, size_t cap, unsigned flags,
			   const crp_allocator *a)
{
	if (!name || len < 2 || (name[0] != '$' && name[0] != '_'))
		return 0;
	return sw_demangle_to(name, len, out, cap, flags, a, 0);
}

size_t crp__demangle(const char *name, char *out, size_t cap, unsigned flags,
		     const crp_allocator *a)
{
	size_t n = 0;
	if (!name)
		return 0;
	if (!(flags & CRP__DM_NO_CXX))
		n = crp__demangle_cxx(name, out, cap);
	if (!n && !(flags & CRP__DM_NO_SWIFT))
		n = crp__demangle_swift(name, strlen(name), out, cap, flags, a);
	return n;
}
