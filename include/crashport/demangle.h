/**
 * @file crashport/demangle.h
 * @brief Symbol names as people read them: C++ (Itanium ABI) and Swift, every mangling Swift
 *        has used (`_T` of Swift 1-3, `_T0` of 4.0, `$S` of 4.2, `$s` of 5 and later, `$e` of
 *        Embedded Swift, each also with the leading `_` of Mach-O symbol tables).
 *
 * @code
 * char buf[CRP_DEMANGLE_BUFFER];
 * crp_demangle_options opts = CRP_DEMANGLE_OPTIONS_INIT;
 * opts.flags = CRP_DEMANGLE_SIMPLIFIED;
 * if (crp_demangle(buf, sizeof buf, NULL, "$s7Fixture14ViewControllerC11crashTappedyyF", &opts) == CRP_OK)
 *     puts(buf); // ViewController.crashTapped()
 * @endcode
 *
 * Swift names print in the full style of `swift-demangle`
 * (`Fixture.ViewController.crashTapped() -> ()`) or, with CRP_DEMANGLE_SIMPLIFIED, in the style
 * of Apple's crash reports and `swift-demangle -simplified` (`ViewController.crashTapped()`:
 * no module names, parameter labels without types, `specialized`, `partial apply for`,
 * `thunk for`). C++ names print as `c++filt` prints them, in either style.
 *
 * Hostile names are safe: work, memory (32 KiB of stack, at most 4 MiB from the allocator),
 * recursion depth and output are bounded whatever the input.
 *
 * Thread safety: calls share nothing; no global state.
 */
#ifndef CRP_DEMANGLE_PUBLIC_H
#define CRP_DEMANGLE_PUBLIC_H

#include "crashport/common.h"
#include "crashport/error.h"

CRP_BEGIN_DECL

/** crp_demangle_options.flags */
#define CRP_DEMANGLE_SIMPLIFIED 0x01u /**< Swift in the style of Apple's crash reports */
#define CRP_DEMANGLE_NO_CXX 0x02u     /**< leave C++ names alone */
#define CRP_DEMANGLE_NO_SWIFT 0x04u   /**< leave Swift names alone */

/** A buffer size enough for the names of real programs (longer ones fail with CRP_ELIMIT). */
#define CRP_DEMANGLE_BUFFER 4096

/** Options of crp_demangle(). Initialise with CRP_DEMANGLE_OPTIONS_INIT; NULL means all
 * defaults (full style, C++ and Swift). Added in 0.1. */
typedef struct crp_demangle_options {
	unsigned int version;           /**< CRP_DEMANGLE_OPTIONS_VERSION */
	const crp_allocator *allocator; /**< NULL: malloc; used only for very long Swift names */
	unsigned int flags;             /**< CRP_DEMANGLE_* */
} crp_demangle_options;

#define CRP_DEMANGLE_OPTIONS_VERSION 1
#define CRP_DEMANGLE_OPTIONS_INIT {CRP_DEMANGLE_OPTIONS_VERSION, NULL, 0}

/**
 * Demangle one symbol name.
 * @param[out] out      the caller's buffer of cap bytes; receives the NUL-terminated demangled
 *                      name, or "" when the result is not CRP_OK. Owned by the caller.
 * @param cap           size of out (CRP_DEMANGLE_BUFFER is enough for real names).
 * @param[out] out_len  if not NULL, the length written (0 unless CRP_OK).
 * @param name          NUL-terminated mangled name, as a symbol table or crash report holds it.
 * @param opts          options, or NULL for defaults. Read during the call only.
 * @return CRP_OK; CRP_ENOTFOUND when name is not a mangled C++ or Swift name, or does not
 *         demangle (callers then show it as it is); CRP_ELIMIT when it demangles to more than
 *         cap - 1 bytes; CRP_EINVAL for NULL out or name, cap 0, or an unknown options
 *         version.
 * Added in 0.1.
 */
CRP_API int crp_demangle(char *out, size_t cap, size_t *out_len, const char *name,
			 const crp_demangle_options *opts);

/** True when name has the prefix of a mangled Swift symbol (it may still not demangle).
 * Added in 0.1. */
CRP_API int crp_demangle_is_swift(const char *name);

CRP_END_DECL

#endif
