/**
 * @file crashport/breakpad.h
 * @brief Breakpad symbol files (.sym) from Mach-O binaries and dSYMs, as Breakpad's Mac
 *        `dump_syms -d` writes them.
 *
 * @code
 * crp_sink sink;
 * crp_sink_init_file(&sink, stdout);
 * crp_breakpad_module mod;
 * crp_error err;
 * if (crp_breakpad_dump_syms(&mod, &sink, "App", "App.dSYM", NULL, &err) != CRP_OK)
 *     complain(&err);
 * // mod.name, mod.debug_id: where a symbol server keeps it (NAME/DEBUGID/NAME.sym)
 * @endcode
 *
 * The file holds, in this order: `MODULE mac ARCH DEBUGID NAME`; `FILE id path` for every
 * source file a line or an inlined call names (ids numbered in byte order of the paths);
 * `INLINE_ORIGIN id name` for every inlined function (numbered in byte order of the names);
 * per function (by address, then name) `FUNC addr size 0 name`, its `INLINE level call_line
 * call_file origin addr size...` records (depth first) and its line records `addr size line
 * file`; then `PUBLIC addr 0 name` for symbol table entries no FUNC covers. Addresses are hex,
 * relative to the __TEXT segment's vmaddr. DEBUGID is the LC_UUID as 32 uppercase hex digits
 * followed by `0` (the age), the identifier minidumps carry in their CodeView records.
 *
 * Names: a function with a symbol table entry at its start takes that symbol's name, as
 * symbolication (crp_report_symbolicate, crashport/symbols.h) and Breakpad's `dump_syms -x`
 * name it (an asm label such as `-[Class method:]` differs from the DWARF name); other
 * functions, and all with CRP_BREAKPAD_DWARF_NAMES (Breakpad's default), take the demangled
 * DWARF linkage name (C++, with parameters), else the DWARF name qualified by its enclosing
 * namespaces and classes. Symbol names (FUNC and PUBLIC) drop the Mach-O leading underscore
 * and demangle C++. Swift names stay as Breakpad's dump_syms leaves them (the DWARF name, or
 * the mangled symbol, which Sentry's and other symbol servers demangle themselves) unless
 * CRP_BREAKPAD_SWIFT_FULL or _SIMPLIFIED asks for them demangled (FUNC, INLINE_ORIGIN and
 * PUBLIC, from the mangled name). No STACK CFI is written.
 *
 * Nothing is written until the input has been read whole: a damaged input fails before the
 * first byte reaches the sink. Damaged DWARF units are skipped (counted in
 * crp_breakpad_module.units_damaged), the others are used.
 *
 * Thread safety: calls share nothing; no global state.
 */
#ifndef CRP_BREAKPAD_H
#define CRP_BREAKPAD_H

#include "crashport/common.h"
#include "crashport/emit.h"
#include "crashport/error.h"

CRP_BEGIN_DECL

/** crp_breakpad_options.flags */
#define CRP_BREAKPAD_NO_INLINES 0x01u  /**< no INLINE / INLINE_ORIGIN records (dump_syms without -d) */
#define CRP_BREAKPAD_MULTIPLE 0x02u    /**< dump_syms -m: one FUNC and PUBLIC per address, marked
					    `m` when several symbols share it */
#define CRP_BREAKPAD_DWARF_NAMES 0x04u /**< functions named by DWARF even where a symbol at their
					    start names them otherwise (dump_syms without -x).
					    Added in 0.1 */
#define CRP_BREAKPAD_SWIFT_FULL 0x08u  /**< Swift names demangled, full style (as swift-demangle);
					    Added in 0.1 */
#define CRP_BREAKPAD_SWIFT_SIMPLIFIED 0x10u /**< Swift names demangled, Apple's simplified
						 style (wins over SWIFT_FULL). Added in 0.1 */

/** Default of crp_breakpad_options.max_file_bytes (0 there means this). */
#define CRP_BREAKPAD_DEFAULT_MAX_FILE_BYTES (UINT64_C(16) << 30)

/**
 * Options of crp_breakpad_dump_syms(). Initialise with CRP_BREAKPAD_OPTIONS_INIT; NULL means
 * all defaults. Added in 0.1.
 */
typedef struct crp_breakpad_options {
	unsigned int version;            /**< CRP_BREAKPAD_OPTIONS_VERSION */
	const crp_allocator *allocator;  /**< NULL: malloc/realloc/free */
	const char *arch;                /**< slice of universal files ("arm64", "armv7", "x86_64"...);
					      NULL: the only slice, or the binary's for its dSYM */
	const char *module_name;         /**< NULL: the binary's file name (else the DWARF file's) */
	unsigned int flags;              /**< CRP_BREAKPAD_* */
	uint64_t max_file_bytes;         /**< larger input files are refused (CRP_ELIMIT) */
} crp_breakpad_options;

#define CRP_BREAKPAD_OPTIONS_VERSION 1
#define CRP_BREAKPAD_OPTIONS_INIT {CRP_BREAKPAD_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0}

/** Longest module name accepted (bytes, without the NUL). */
#define CRP_BREAKPAD_NAME_MAX 255

/** What a symbol file describes, and how much it holds. Added in 0.1. */
typedef struct crp_breakpad_module {
	char os[8];                          /**< "mac" */
	char arch[16];                       /**< "arm64", "x86_64", ... */
	char debug_id[34];                   /**< 33 uppercase hex digits: UUID and age 0 */
	char name[CRP_BREAKPAD_NAME_MAX + 1];/**< the MODULE name, also the .sym file's stem */
	size_t files;                        /**< records written, per kind */
	size_t inline_origins;
	size_t functions;                    /**< FUNC records */
	size_t inlines;
	size_t lines;
	size_t publics;
	size_t units_damaged;                /**< DWARF units (or line tables) skipped as damaged */
} crp_breakpad_module;

/**
 * Write the Breakpad symbol file of a Mach-O image.
 *
 * @param[out] out   what was written; may be NULL. Filled on success only.
 * @param sink       receives the text. Not called at all when the inputs cannot be read.
 * @param binary     the executable, dylib or bundle (thin or universal), a .dSYM bundle
 *                   directory, or a dSYM's DWARF file; NULL when @p dsym alone is given.
 * @param dsym       its dSYM: the bundle directory or the DWARF file inside; may be NULL. Its
 *                   UUID and architecture must match the binary's.
 * @param opts       NULL for defaults; read during the call only.
 * @param err        receives the error; may be NULL.
 * @return CRP_OK; CRP_EINVAL (no input, unknown options version, no slice of opts->arch,
 *         several slices and no opts->arch, binary and dSYM that do not match, a module name
 *         that is empty, "." or "..", holds '/' or a control character, or is longer than
 *         CRP_BREAKPAD_NAME_MAX: it becomes a directory of a symbol store); CRP_ENOTFOUND (a path
 *         does not exist, a bundle holds no DWARF file); CRP_EIO (cannot read, or the sink
 *         failed); CRP_EUNSUPPORTED (not a Mach-O file, no LC_UUID, unknown CPU type);
 *         CRP_ECORRUPT (damaged Mach-O headers); CRP_ELIMIT; CRP_ENOMEM.
 */
CRP_API int crp_breakpad_dump_syms(crp_breakpad_module *out, const crp_sink *sink, const char *binary,
				   const char *dsym, const crp_breakpad_options *opts, crp_error *err);

/**
 * As crp_breakpad_dump_syms(), from Mach-O files held in memory (not copied; read during the
 * call only). @p dsym may be NULL (with @p dsym_len 0). The module name is opts->module_name,
 * else @p name, else "unknown".
 */
CRP_API int crp_breakpad_dump_syms_memory(crp_breakpad_module *out, const crp_sink *sink,
					  const void *binary, size_t binary_len, const void *dsym,
					  size_t dsym_len, const char *name,
					  const crp_breakpad_options *opts, crp_error *err);

CRP_END_DECL

#endif
