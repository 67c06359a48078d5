/**
 * @file crashport/symbols.h
 * @brief Symbolication against Mach-O binaries and dSYMs.
 *
 * A crp_symbolicator holds symbol files: binaries, dylibs and dSYM DWARF files, thin or
 * universal, and symbol caches written by crp_symbol_image_write_cache(), added by path (a
 * file, a .dSYM bundle, or a directory searched recursively) or from memory. Each architecture slice is filed under its LC_UUID and CPU type: a binary and
 * its dSYM become one image. An image's index (symbol table, LC_FUNCTION_STARTS, DWARF
 * functions, inline trees and line tables as sorted ranges) is built once, the first time a
 * lookup needs it, so adding thousands of files costs only their headers.
 *
 * @code
 * crp_symbolicator *s;
 * crp_error err;
 * crp_symbolicator_new(&s, NULL);
 * if (crp_symbolicator_add_path(s, "build/App.app.dSYM", &err) != CRP_OK) complain(&err);
 * crp_symbolicate_stats st;
 * crp_report_symbolicate(report, s, NULL, &st, &err);   // frames get ->symbolicated
 * crp_symbolicator_free(s);                              // the report keeps its results
 * @endcode
 *
 * What a report frame gets (crp_frame.symbolicated) and the address arithmetic are described
 * at crp_report_symbolicate().
 *
 * Thread safety: add files first, from one thread (crp_symbolicator_new(),
 * crp_symbolicator_add_path(), crp_symbolicator_add_memory()). Once that is done, one
 * symbolicator may be shared by any number of threads calling, at the same time,
 * crp_report_symbolicate() (each on its own report), crp_symbolicator_lookup_r(),
 * crp_symbolicator_find(), crp_symbolicator_image(), crp_symbolicator_image_count() and
 * crp_symbol_image_get_info(). crp_symbolicator_lookup() keeps its answer in the symbolicator:
 * one thread at a time calls it (it may run alongside the others). Adding files while other
 * threads use the symbolicator, and freeing it, are not allowed. The caller orders "added"
 * before "shared" (creating the threads afterwards, or a mutex, does). Indexes are still built
 * lazily, each once: the first thread that needs an image builds its index while others that
 * need the same image wait; lookups in built indexes take no lock. The allocator of
 * crp_symbolicator_options is then called from all those threads at once and must be
 * thread-safe (malloc is). Distinct symbolicators share nothing.
 */
#ifndef CRP_SYMBOLS_H
#define CRP_SYMBOLS_H

#include "crashport/common.h"
#include "crashport/emit.h"
#include "crashport/error.h"
#include "crashport/report.h"

CRP_BEGIN_DECL

typedef struct crp_symbolicator crp_symbolicator;
/** One (UUID, architecture) the symbolicator knows: a binary, a dSYM, or both. Owned by the
 * symbolicator. Added in 0.1. */
typedef struct crp_symbol_image crp_symbol_image;

/** Defaults of the limits; 0 in the options means the default. */
#define CRP_DEFAULT_MAX_SYMBOL_FILE_BYTES (UINT64_C(16) << 30)
#define CRP_DEFAULT_MAX_SYMBOL_FILES 1000000u
#define CRP_DEFAULT_MAX_SYMBOL_DIR_DEPTH 32u

/**
 * Symbolicator options. Initialise with CRP_SYMBOLICATOR_OPTIONS_INIT. Added in 0.1; version 2
 * appends @c cache_dir and @c max_index_bytes, version 3 @c flags, version 4
 * @c cache_build_threads (callers compiled with an earlier version keep working).
 * @c on_skip, when set, is told about every file a directory search skips because it cannot
 * be read or is a damaged Mach-O (files that are not Mach-O at all are skipped silently), and
 * about every symbol cache that cannot be used or written (the lookup then goes on without
 * it): from the thread that needed it.
 */
typedef struct crp_symbolicator_options {
	unsigned int version;            /**< CRP_SYMBOLICATOR_OPTIONS_VERSION */
	const crp_allocator *allocator;  /**< NULL: malloc/realloc/free. Thread-safe if the
	                                      symbolicator is shared between threads. */
	uint64_t max_file_bytes;         /**< larger symbol files are refused (CRP_ELIMIT) */
	size_t max_files;                /**< files examined over the symbolicator's life */
	unsigned max_depth;              /**< directory levels below a path added */
	void (*on_skip)(void *ctx, const char *path, const crp_error *why);
	void *on_skip_ctx;
	/** A directory of symbol caches (schema/symcache-format.md), laid out as
	 * DIR/UUID/ARCH.symcache: an image whose binary or dSYM was added uses its cache there,
	 * and the first lookup in an image without one (or with one older than its files) writes
	 * it (under a temporary name, then renamed: safe with other processes doing the same).
	 * NULL: none. Copied. Added in 0.1 (version 2). */
	const char *cache_dir;
	/** Memory the symbolicator's indexes may hold (symbol caches count their mapped size);
	 * past it the least recently used compile-unit indexes, then whole image indexes, are
	 * dropped and rebuilt when needed again. An index a lookup is using is dropped only once
	 * the lookup is done, so the cap can be exceeded by what lookups in progress hold (at
	 * least the index of the image each one is in). With a cap, answers are copies (see
	 * crp_symbolicator_lookup_r()). 0: no cap. Added in 0.1 (version 2). */
	size_t max_index_bytes;
	/** CRP_SYMBOLICATOR_* flags. Added in 0.1 (version 3). */
	unsigned int flags;
	/** Threads that build the full index a symbol cache is written from, the calling thread
	 * one of them: writing a cache (crp_symbol_image_write_cache(), or a lookup's first use
	 * of an image under @c cache_dir) starts the others and joins them before it returns. 0 or
	 * 1: none are started. Nothing else in the library starts a thread. Added in 0.1
	 * (version 4). */
	unsigned int cache_build_threads;
} crp_symbolicator_options;

/** Index a compile unit whole at its first lookup. By default a unit's first lookups index
 * only what answers near their address (a few KiB instead of the unit's megabytes; the DWARF is
 * read all the same), and a unit looked up again elsewhere is indexed whole: right for a few
 * reports. Set this for many lookups per image (atos over thousands of addresses). */
#define CRP_SYMBOLICATOR_WHOLE_UNITS 0x01u

#define CRP_SYMBOLICATOR_OPTIONS_VERSION 4
#define CRP_SYMBOLICATOR_OPTIONS_INIT {CRP_SYMBOLICATOR_OPTIONS_VERSION, NULL, 0, 0, 0, NULL, NULL, NULL, 0, 0, 0}

/**
 * Create a symbolicator.
 * @param[out] out  the symbolicator; free it with crp_symbolicator_free().
 * @param opts      NULL for defaults; copied.
 * @return CRP_OK, CRP_ENOMEM, or CRP_EINVAL (unknown options version).
 */
CRP_API int crp_symbolicator_new(crp_symbolicator **out, const crp_symbolicator_options *opts);

/** Free a symbolicator, its indexes and mappings. NULL is ignored. Reports it symbolicated
 * keep their results (they are copies). */
CRP_API void crp_symbolicator_free(crp_symbolicator *s);

/**
 * Add symbol files by path: a Mach-O file (thin or universal; executable, dylib, bundle or
 * dSYM DWARF file), a .dSYM bundle, or a directory, searched recursively (symbolic links to
 * files are followed, to directories not). Only headers are read now; files are mapped when an
 * image is first used and must not change meanwhile.
 * @param err  receives the error; may be NULL.
 * @return CRP_OK; CRP_ENOTFOUND, CRP_EIO (cannot read @p path), CRP_EUNSUPPORTED (@p path is
 *         a file but not a Mach-O), CRP_ECORRUPT (it is a damaged Mach-O), CRP_ELIMIT, or
 *         CRP_ENOMEM. Inside a directory, unreadable and damaged files are skipped (see
 *         @c on_skip) and the call succeeds.
 */
CRP_API int crp_symbolicator_add_path(crp_symbolicator *s, const char *path, crp_error *err);

/**
 * Add one Mach-O file held in memory. The bytes are not copied: they must stay valid and
 * unchanged until the symbolicator is freed. @p name (copied) is reported as its path.
 * @return as crp_symbolicator_add_path() for a file.
 */
CRP_API int crp_symbolicator_add_memory(crp_symbolicator *s, const void *data, size_t len,
					const char *name, crp_error *err);

/** Number of images known, and the i-th (in the order they were first added), or NULL. */
CRP_API size_t crp_symbolicator_image_count(const crp_symbolicator *s);
CRP_API const crp_symbol_image *crp_symbolicator_image(const crp_symbolicator *s, size_t i);

/**
 * The image with this UUID: of several architectures, the one matching @p cpu_type and
 * @p cpu_subtype (ABI bits ignored), else the first with the UUID. @p cpu_type 0 matches any.
 * Returns NULL when none has the UUID.
 */
CRP_API const crp_symbol_image *crp_symbolicator_find(const crp_symbolicator *s, const crp_uuid *uuid,
						      int32_t cpu_type, int32_t cpu_subtype);

/** What the symbolicator knows about an image. Strings are owned by the symbolicator. */
typedef struct crp_symbol_image_info {
	bool has_uuid;
	crp_uuid uuid;
	int32_t cpu_type;
	int32_t cpu_subtype;
	const char *arch;          /**< "arm64e", ... or NULL when unknown */
	const char *name;          /**< file name of the binary (or of the dSYM's DWARF file) */
	const char *binary_path;   /**< the executable/dylib added, or NULL */
	const char *debug_path;    /**< the dSYM DWARF file (or a binary carrying DWARF), or NULL */
	uint64_t text_vmaddr;      /**< __TEXT vmaddr in the file */
	uint64_t text_vmsize;
	bool has_symtab;
	bool has_dwarf;
	bool has_function_starts;
} crp_symbol_image_info;

CRP_API void crp_symbol_image_get_info(const crp_symbol_image *im, crp_symbol_image_info *out);

/**
 * Write the symbol cache of an image (schema/symcache-format.md) through @p sink: everything a
 * lookup in the image needs, so that a symbolicator given the cache file answers exactly as
 * from the image's files, without reading them. The image's binary or dSYM must have been
 * added (an image known only from a cache has nothing to write it from).
 * @param err  receives the error; may be NULL.
 * @return CRP_OK; CRP_EINVAL (no image, or nothing to write it from); CRP_EUNSUPPORTED (the
 *         image's addresses spread over more than 4 GiB); CRP_EIO (the sink failed); as
 *         crp_symbolicator_lookup(). Safe to call while other threads look up. Added in 0.1.
 */
CRP_API int crp_symbol_image_write_cache(const crp_symbolicator *s, const crp_symbol_image *im,
					 const crp_sink *sink, crp_error *err);

/** What a symbolicator's indexes hold (crp_symbolicator_get_memory()). Added in 0.1. */
typedef struct crp_symbolicator_memory {
	size_t held;        /**< bytes of indexes and caches held now */
	size_t peak;        /**< the most held at once */
	size_t evictions;   /**< unit and image indexes dropped for the cap */
} crp_symbolicator_memory;

/** Fill @p out with what @p s holds now. Safe while other threads look up. Added in 0.1. */
CRP_API void crp_symbolicator_get_memory(const crp_symbolicator *s, crp_symbolicator_memory *out);

/**
 * Look up one file (vm) address in an image, building its index first if needed. No return
 * address adjustment is made: pass the address to look up. One thread at a time: threads
 * sharing a symbolicator use crp_symbolicator_lookup_r().
 * @param[out] out  the answer, or NULL when the image knows nothing about the address. Owned by
 *                  the symbolicator; valid until its next crp_symbolicator_lookup() or free.
 *                  function_addr is a file address here.
 * @return CRP_OK; CRP_ENOMEM; or the error that stopped the index from being built (CRP_EIO:
 *         the file cannot be read any more, CRP_ECORRUPT: it changed since it was added).
 */
CRP_API int crp_symbolicator_lookup(const crp_symbolication **out, crp_symbolicator *s,
				    const crp_symbol_image *im, uint64_t file_addr, crp_error *err);

/**
 * Make an image ready for lookups now, doing what its first lookup would: map its files and
 * read its symbol table and the map of its compile units (or open its symbol cache). Compile
 * units are still indexed when a lookup first lands in them. A service may call it at start,
 * a tool while it reads its input, so that the first lookup does not wait for it. Safe to call
 * while other threads look up: the work is done once, by whichever thread comes first.
 * @param err  receives the error; may be NULL.
 * @return CRP_OK; CRP_EINVAL (an argument is NULL); as crp_symbolicator_lookup(). Added in 0.1.
 */
CRP_API int crp_symbol_image_prepare(const crp_symbolicator *s, const crp_symbol_image *im, crp_error *err);

/** Room for the answers of crp_symbolicator_lookup_r(): one per thread, owned by the caller.
 * Added in 0.1. */
typedef struct crp_symbol_answer crp_symbol_answer;

/**
 * Create room for answers (about 4 KiB), allocated with @p s's allocator.
 * @param[out] out  free it with crp_symbol_answer_free(), before or after @p s.
 * @return CRP_OK, CRP_EINVAL (@p s is NULL) or CRP_ENOMEM. Added in 0.1.
 */
CRP_API int crp_symbol_answer_new(crp_symbol_answer **out, const crp_symbolicator *s);

/** Free room made by crp_symbol_answer_new(). NULL is ignored. Added in 0.1. */
CRP_API void crp_symbol_answer_free(crp_symbol_answer *room);

/**
 * crp_symbolicator_lookup() for threads sharing a symbolicator: the answer is written into the
 * caller's @p room, so any number of threads may call it at once on one symbolicator, each
 * with its own room.
 * @param[out] out  the answer, or NULL when the image knows nothing about the address. It lives
 *                  in @p room until the room's next lookup or free. Its strings are owned by
 *                  the symbolicator and live as long as it does; with @c max_index_bytes set,
 *                  they are copies in @p room instead, living as long as the answer.
 * @return as crp_symbolicator_lookup(); CRP_EINVAL when an argument is NULL. Added in 0.1.
 */
CRP_API int crp_symbolicator_lookup_r(const crp_symbolication **out, crp_symbol_answer *room,
				      const crp_symbolicator *s, const crp_symbol_image *im,
				      uint64_t file_addr, crp_error *err);

/** crp_report_symbolicate() flags. */
#define CRP_SYMBOLICATE_NO_ADJUST 0x01u  /**< look every frame up at its own address */

typedef struct crp_symbolicate_options {
	unsigned int version;  /**< CRP_SYMBOLICATE_OPTIONS_VERSION */
	unsigned int flags;    /**< CRP_SYMBOLICATE_* */
} crp_symbolicate_options;
#define CRP_SYMBOLICATE_OPTIONS_VERSION 1
#define CRP_SYMBOLICATE_OPTIONS_INIT {CRP_SYMBOLICATE_OPTIONS_VERSION, 0}

/** Counts of one crp_report_symbolicate() call (embedded recrash report included). */
typedef struct crp_symbolicate_stats {
	size_t frames;              /**< frames looked at */
	size_t symbolicated;        /**< frames given a result */
	size_t by_dwarf;
	size_t by_symtab;
	size_t by_function_starts;
	size_t outside_images;      /**< in no binary image of the report, even without PAC bits */
	size_t without_symbols;     /**< in an image no symbol file matched */
	size_t unknown;             /**< in a matched image, but nothing covers the address */
	size_t images_matched;      /**< images with frames that found their symbol file */
	size_t images_missing;      /**< images with frames that found none */
} crp_symbolicate_stats;

/**
 * Symbolicate every frame of a report in place: every thread, crash.crashed_thread,
 * crash.last_exception_backtrace, the 2012 layout's nsexception backtrace, and the same in
 * the embedded recrash report. Each frame resolved gets crp_frame.symbolicated, allocated in
 * the report's arena (it lives as long as the report and does not depend on @p s).
 *
 * Per frame:
 * - The image is the binary image whose [image_addr, image_addr + image_size) holds
 *   instruction_addr. If none does and the report is arm64, pointer-authentication bits are
 *   stripped first: the address is masked to the report's address bits, max(36, bit length of
 *   the highest image end), and CRP_SYM_PAC_STRIPPED is set.
 * - The image's symbol file is found by UUID and CPU type (crp_symbolicator_find()).
 * - file address = instruction_addr - image_addr + __TEXT vmaddr of the symbol file.
 * - Frame 0 of a thread captured from CPU state (any thread but a crashed one without
 *   registers, i.e. NSException, C++ and user-reported traces; and only when the backtrace
 *   skipped nothing) is the PC and is looked up as is. Every other frame holds a return
 *   address and is looked up one instruction earlier, so a call at the end of a function is
 *   not attributed to the next one: arm64 -4; 32-bit ARM clears the Thumb bit, then -2; x86 and
 *   others -1. CRP_SYM_ADJUSTED is set and lookup_addr is the address looked up.
 * - Names are demangled (C++). Swift names are left mangled, with CRP_SYM_SWIFT: each writer
 *   demangles them in its own style (crp_demangle(): full, or Apple's simplified one).
 * A frame outside every image, or in an image without symbol file, is left as it was, with one
 * CRP_W_SYMBOLS warning on the report per image (or for frames outside every image). The
 * report's own symbol_name fields are never changed. A frame the report itself symbolicated
 * (CRP_SYMSRC_REPORT: an Apple report read with a source file and line) is left as it is.
 *
 * Symbolicating a report again replaces its frames' results and adds its warnings again.
 * Several threads may symbolicate different reports with one symbolicator at once (see the
 * thread-safety note at the top); a report is used by one thread at a time.
 * @param opts   NULL for defaults.
 * @param stats  receives counts; may be NULL.
 * @param err    receives the error; may be NULL.
 * @return CRP_OK (also when nothing could be resolved); CRP_ENOMEM; CRP_ELIMIT when the report's
 *         memory limit is reached (frames done so far keep their results).
 */
CRP_API int crp_report_symbolicate(crp_report *r, const crp_symbolicator *s,
				   const crp_symbolicate_options *opts, crp_symbolicate_stats *stats,
				   crp_error *err);

CRP_END_DECL

#endif
