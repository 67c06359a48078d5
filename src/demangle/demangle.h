/* C++ demangling (Itanium ABI, through libiberty's allocation-free callback interface) and
 * recognition of Swift names. Shared by the emitters and symbolication. */
#ifndef CRP_DEMANGLE_H
#define CRP_DEMANGLE_H

#include "common/internal.h"

/* Demangle a C++ name ("_ZN3foo3barEv", or "__ZN..." as Mach-O symbol tables spell it) into
 * out (NUL-terminated). Returns the length, or 0 when the name is not a mangled C++ name, does
 * not demangle, or does not fit in cap. */
size_t crp__demangle_cxx(const char *name, char *out, size_t cap);

/* True for mangled Swift names ("$s...", "_$s...", "$S", "_T0", "$e" ...), left as they are. */
bool crp__is_swift_mangled(const char *name);

#endif
