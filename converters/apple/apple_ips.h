/* The `ips` emitter's pieces (apple_ips.c: the JSON, the metadata line and the body's keys;
 * apple_ips_threads.c: threads, frames, registers and images). Private to this folder. */
#ifndef CRP_APPLE_IPS_H
#define CRP_APPLE_IPS_H

#include "apple.h"

typedef struct ips_state {
	apple_scratch scratch;
	char demangled[4096];
	bool any_unknown;        /* a frame in no image: usedImages needs the placeholder */
	ao o;
} ips_state;

typedef struct iw {
	ips_state *st;
	ao *o;
	apple_facts f;
	bool first;              /* no member written yet at the current level */
	const crp_report *handler; /* a recrash report's own crash, or NULL */
} iw;

/* JSON as Apple writes it: '/' escaped, numbers as they were read. */
void crp__ips_str(ao *o, const char *s, size_t n);
void crp__ips_cstr_raw(ao *o, const char *s);
void crp__ips_value(ao *o, const crp_value *v);
/* A member of a one-line object (",\"key\":") and of the body (",\n  \"key\" : "). */
void crp__ips_ckey(iw *w, const char *key);
void crp__ips_bkey(iw *w, const char *key);
void crp__ips_cstr(iw *w, const char *key, const char *v);
void crp__ips_cnum(iw *w, const char *key, uint64_t v);
/* The members of an object value, each as a one-line member, but those named in skip. */
void crp__ips_members(iw *w, const crp_value *obj, const char *const *skip, size_t nskip);

/* apple_ips_threads.c */
void crp__ips_threads(iw *w, const char *key);
void crp__ips_leb(iw *w, const char *key);
void crp__ips_recrash(iw *w, const char *key);
void crp__ips_images(iw *w, const char *key);
void crp__ips_faulting(iw *w, const char *key);

#endif
