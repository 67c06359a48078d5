/* Private prelude shared by the library's sources: never installed. */
#ifndef CRP_INTERNAL_H
#define CRP_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crashport/crashport.h"

#if defined(__GNUC__)
#define CRP_LIKELY(x) __builtin_expect(!!(x), 1)
#define CRP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define CRP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CRP_NOINLINE __attribute__((noinline))
#else
#define CRP_NOINLINE
#define CRP_LIKELY(x) (x)
#define CRP_UNLIKELY(x) (x)
#define CRP_PRINTF(f, a)
#endif

#define CRP_UNUSED(x) ((void)(x))
#define CRP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Return early on error: the only control-flow macro the library uses. */
#define CRP_TRY(expr)                                                                              \
	do {                                                                                       \
		int crp_try_rc_ = (expr);                                                          \
		if (crp_try_rc_ != CRP_OK)                                                         \
			return crp_try_rc_;                                                        \
	} while (0)

/* KSCrash's own pointer-authentication mask: every code address Apple's platforms hand out
 * fits in 36 bits. */
#define CRP_PAC_CODE_MASK UINT64_C(0x0000000fffffffff)

/* sort.c: stable sort by key, equal keys in input order; tmp holds n keys. */
typedef struct crp_sort_key {
	uint64_t key;
	uint64_t pos;
} crp_sort_key;
void crp__sort_keys(crp_sort_key *v, crp_sort_key *tmp, size_t n);

/* alloc.c */
void crp__allocator_init(crp_allocator *dst, const crp_allocator *src);
/* After much was freed: when a is malloc's, the free memory goes back to the system (glibc
 * keeps freed pages in its heap otherwise); a caller's allocator is left alone. */
void crp__allocator_give_back(const crp_allocator *a);
static inline void *crp__malloc(const crp_allocator *a, size_t n) { return a->malloc(a->ctx, n); }
static inline void *crp__realloc(const crp_allocator *a, void *p, size_t n)
{
	return a->realloc(a->ctx, p, n);
}
static inline void crp__free(const crp_allocator *a, void *p)
{
	if (p)
		a->free(a->ctx, p);
}

/* error.c */
void crp__error_clear(crp_error *e);
void crp__error_setv(crp_error *e, int code, const char *fmt, va_list ap) CRP_PRINTF(3, 0);
void crp__error_set(crp_error *e, int code, const char *fmt, ...) CRP_PRINTF(3, 4);
/* Copy a path into the fixed buffer, keeping its tail when it is too long. */
void crp__error_set_path(crp_error *e, const char *path, size_t len);

#endif
