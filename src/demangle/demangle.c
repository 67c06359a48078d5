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

static bool cxx_name(const char *name)
{
	return (name[0] == '_' && name[1] == 'Z') || (name[0] == '_' && name[1] == '_' && name[2] == 'Z');
}

/* -- the simple names, without libiberty ---------------------------------------------------
 * A plain or nested name of source names (a static's L marker included) taking builtin types,
 * as most functions of C and C-like C++ are: _ZN3gen5unit0L4mix0Ei is gen::unit0::mix0(int).
 * One pass, nothing looked up; anything else (templates, substitutions, operators, qualifiers,
 * ABI tags, clones, anonymous namespaces) goes to libiberty, which fuzz/demangle_fuzzer.c
 * compares this against. libiberty spends about 3,000 instructions on such a name: a sixth of
 * the time of symbolicating 200,000 addresses. */

static const char *builtin_type(char c)
{
	switch (c) {
	case 'b': return "bool";
	case 'c': return "char";
	case 'a': return "signed char";
	case 'h': return "unsigned char";
	case 's': return "short";
	case 't': return "unsigned short";
	case 'i': return "int";
	case 'j': return "unsigned int";
	case 'l': return "long";
	case 'm': return "unsigned long";
	case 'x': return "long long";
	case 'y': return "unsigned long long";
	case 'f': return "float";
	case 'd': return "double";
	case 'e': return "long double";
	case 'w': return "wchar_t";
	default: return NULL;
	}
}

/* The source name at *s ("4mix0"), appended; false if there is none or libiberty would
 * print it differently (an anonymous namespace). */
static bool source_name(const char **s, out_buf *b)
{
	const char *p = *s;
	size_t n = 0;
	if (*p < '1' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (size_t)(*p - '0')) > 4096)
			return false;
	if (strnlen(p, n) < n || (n >= 8 && memcmp(p, "_GLOBAL_", 8) == 0))
		return false;
	append(p, n, b);
	*s = p + n;
	return true;
}

/* name after "_Z": true when it was simple (written to b, or b overflowed). */
static bool simple_cxx(const char *s, out_buf *b)
{
	bool nested = *s == 'N';
	int parts = 0;
	s += nested;
	do {
		if (parts++)
			append("::", 2, b);
		s += *s == 'L';
		if (!source_name(&s, b))
			return false;
	} while (nested && *s != 'E');
	if (nested && (parts < 2 || *s++ != 'E'))
		return false;
	if (!*s)
		return true; /* not a function */
	append("(", 1, b);
	for (int k = 0; *s && !(k == 0 && s[0] == 'v' && !s[1]); k++, s++) {
		const char *t = builtin_type(*s);
		if (!t)
			return false;
		if (k)
			append(", ", 2, b);
		append(t, strlen(t), b);
	}
	append(")", 1, b);
	return true;
}

static size_t cxx_with(const char *name, char *out, size_t cap, int *status, bool simple)
{
	*status = CRP_ENOTFOUND;
	if (cap < 2 || !cxx_name(name))
		return 0;
	if (name[1] == '_')
		name++; /* Mach-O symbol tables add a leading underscore */
	out_buf b = {out, 0, cap, false};
	if (!simple || !simple_cxx(name + 2, &b)) {
		b = (out_buf){out, 0, cap, false};
		/* The callback form never allocates: libiberty's allocating forms exit on failure. */
		if (!cplus_demangle_v3_callback(name, DMGL_PARAMS | DMGL_ANSI, append, &b))
			return 0;
	}
	if (b.overflow) {
		*status = CRP_ELIMIT;
		return 0;
	}
	out[b.n] = '\0';
	*status = CRP_OK;
	return b.n;
}

static size_t cxx(const char *name, char *out, size_t cap, int *status)
{
	return cxx_with(name, out, cap, status, true);
}

size_t crp__demangle_cxx(const char *name, char *out, size_t cap)
{
	int status;
	return name ? cxx(name, out, cap, &status) : 0;
}

size_t crp__demangle_cxx_libiberty(const char *name, char *out, size_t cap)
{
	int status;
	return name ? cxx_with(name, out, cap, &status, false) : 0;
}

bool crp__is_swift_mangled(const char *name)
{
	if (!name)
		return false;
	/* Mach-O symbol tables prefix one more underscore */
	if (name[0] == '_' && (name[1] == '$' || (name[1] == '_' && name[2] == 'T')))
		name++;
	if (name[0] == '$')
		return name[1] == 's' || name[1] == 'S' || name[1] == 'e';
	/* _T0, or a Swift 1-3 global: only the letters that grammar starts with, so that C names
	 * such as _Tock are not taken for Swift */
	return name[0] == '_' && name[1] == 'T' && name[2] && strchr("0FTtMwWvPIiZCVO", name[2]);
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

size_t sw_demangle_status(const char *s, size_t n, char *out, size_t cap, unsigned flags,
			  const crp_allocator *a, unsigned nested, int *status)
{
	max_align_t stack[32768 / sizeof(max_align_t)];
	*status = CRP_ENOTFOUND;
	if (!s || cap < 2 || n < 2)
		return 0;
	sw_mem m;
	sw_mem_init(&m, stack, sizeof stack, a);
	sw_node *root = sw_demangle_any(&m, s, n);
	size_t len = 0;
	sw_out o;
	memset(&o, 0, sizeof o);
	if (root) {
		o.p = out;
		o.cap = cap;
		o.flags = flags & CRP__DM_SIMPLIFIED ? SW_OPT_SIMPLIFIED : 0;
		o.nested = nested;
		o.alloc = a;
		if (sw_print(&o, root))
			len = o.n;
	}
	*status = len ? CRP_OK : m.oom ? CRP_ENOMEM : o.overflow && !o.invalid ? CRP_ELIMIT : CRP_ENOTFOUND;
	sw_mem_dispose(&m);
	return len;
}

size_t sw_demangle_to(const char *s, size_t n, char *out, size_t cap, unsigned flags,
		      const crp_allocator *a, unsigned nested)
{
	int status;
	return sw_demangle_status(s, n, out, cap, flags, a, nested, &status);
}

size_t crp__demangle_swift(const char *name, size_t len, char *out, size_t cap, unsigned flags,
			   const crp_allocator *a)
{
	if (!name || len < 2 || (name[0] != '$' && name[0] != '_'))
		return 0;
	return sw_demangle_to(name, len, out, cap, flags, a, 0);
}

size_t crp__demangle_status(const char *name, char *out, size_t cap, unsigned flags,
			    const crp_allocator *a, int *status)
{
	*status = CRP_ENOTFOUND;
	if (!name)
		return 0;
	if (!(flags & CRP__DM_NO_CXX) && cxx_name(name)) {
		size_t n = cxx(name, out, cap, status);
		if (n || *status != CRP_ENOTFOUND)
			return n;
	}
	if (flags & CRP__DM_NO_SWIFT || (name[0] != '$' && name[0] != '_'))
		return 0;
	return sw_demangle_status(name, strlen(name), out, cap, flags, a, 0, status);
}

size_t crp__demangle(const char *name, char *out, size_t cap, unsigned flags,
		     const crp_allocator *a)
{
	int status;
	return crp__demangle_status(name, out, cap, flags, a, &status);
}
