/* Demangling: C++ (Itanium ABI, through libiberty's allocation-free callback interface) and
 * Swift (our own demangler, every mangling since Swift 1). Shared by the emitters,
 * symbolication and the public crp_demangle(). */
#ifndef CRP_DEMANGLE_H
#define CRP_DEMANGLE_H

#include "common/internal.h"

/* Flags of crp__demangle (the public CRP_DEMANGLE_* values). */
#define CRP__DM_SIMPLIFIED 0x01u /* Swift: the style of Apple's crash reports */
#define CRP__DM_NO_CXX 0x02u
#define CRP__DM_NO_SWIFT 0x04u

/* Demangle a C++ name ("_ZN3foo3barEv", or "__ZN..." as Mach-O symbol tables spell it) into
 * out (NUL-terminated). Returns the length, or 0 when the name is not a mangled C++ name, does
 * not demangle, or does not fit in cap. */
size_t crp__demangle_cxx(const char *name, char *out, size_t cap);
/* The same through libiberty alone, without the fast path for simple names (for tests). */
size_t crp__demangle_cxx_libiberty(const char *name, char *out, size_t cap);

/* Demangle a Swift symbol of len bytes ($s, _$s, $S, _$S, $e, _T0, _T, _Tt, with one more
 * leading '_' as Mach-O symbol tables add to _T names) into out, NUL-terminated: full style,
 * or simplified with CRP__DM_SIMPLIFIED. Returns the length, or 0 when it is not a Swift
 * symbol, does not demangle, or does not fit. Memory: 32 KiB of stack, then blocks from a
 * up to 4 MiB for very long names (a NULL: the stack only, which real names fit). */
size_t crp__demangle_swift(const char *name, size_t len, char *out, size_t cap, unsigned flags,
			   const crp_allocator *a);

/* C++ then Swift (unless flags exclude one); 0 when neither demangles name. */
size_t crp__demangle(const char *name, char *out, size_t cap, unsigned flags,
		     const crp_allocator *a);

/* The same, with *status CRP_OK, CRP_ENOTFOUND (not mangled, or malformed), CRP_ELIMIT
 * (does not fit cap) or CRP_ENOMEM. */
size_t crp__demangle_status(const char *name, char *out, size_t cap, unsigned flags,
			    const crp_allocator *a, int *status);

/* True for mangled Swift names by their prefix ("$s...", "_$s...", "$S", "_T0", "$e" ...). */
bool crp__is_swift_mangled(const char *name);

#endif
