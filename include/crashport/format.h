/**
 * @file crashport/format.h
 * @brief The formats crashport reads and writes, recognised by content, and one reader for all.
 *
 * The library keeps one static table of formats. Each row says whether the format is read,
 * which emitter writes it, which file names it usually has, and how to recognise its bytes.
 * A crp_reader reads any readable format: given one, or recognising it from the first bytes.
 *
 * @code
 * crp_reader *rd;
 * if (crp_reader_new(&rd, NULL, NULL) != CRP_OK) return;      // NULL: recognise by content
 * while ((n = read(fd, buf, sizeof buf)) > 0)
 *     if (crp_reader_feed(rd, buf, n) != CRP_OK) break;
 * crp_reader_finish(rd);
 * crp_report *r;
 * while (crp_reader_next(rd, &r) == CRP_OK) { use(r); crp_report_free(r); }
 * if (crp_reader_error(rd)->code != CRP_OK) complain(crp_reader_error(rd));
 * crp_reader_free(rd);
 * @endcode
 *
 * Thread safety: the table is immutable; a reader is used by one thread at a time.
 */
#ifndef CRP_FORMAT_H
#define CRP_FORMAT_H

#include <stdbool.h>

#include "crashport/common.h"
#include "crashport/emit.h"
#include "crashport/error.h"
#include "crashport/parse.h"

CRP_BEGIN_DECL

typedef struct crp_format crp_format;

/** Bytes from the start of an input that always suffice to recognise its format. */
#define CRP_FORMAT_DETECT_BYTES 4096u

/** The i-th format of the table, or NULL past the end. Static: never freed. Added in 0.1. */
CRP_API const crp_format *crp_format_at(size_t i);
/** A format by name ("json", "crpb", "apple", "ips", "minidump"), or NULL. Added in 0.1. */
CRP_API const crp_format *crp_format_lookup(const char *name);
/** The format's name, as crp_format_lookup() takes it. */
CRP_API const char *crp_format_name(const crp_format *f);
/** One line saying what the format is. */
CRP_API const char *crp_format_description(const crp_format *f);
/** True when crashport reads the format (crp_reader_new() accepts it). */
CRP_API bool crp_format_readable(const crp_format *f);
/** The emitter that writes the format, or NULL when it is only read. */
CRP_API const crp_emitter *crp_format_writer(const crp_format *f);
/**
 * The file name endings inputs of the format usually have (".json", ...), NULL-terminated;
 * empty for formats that are not read. Static: never freed.
 */
CRP_API const char *const *crp_format_extensions(const crp_format *f);

/**
 * Recognise a readable format from the first bytes of an input. KSCrash JSON is the answer
 * when nothing else matches (its reader then names what is wrong).
 * @param head      the first @p len bytes of the input
 * @param complete  true when @p head is the whole input (no more bytes will come)
 * @return the format; NULL only when more bytes could change the answer (never when
 *         @p complete, or when @p len >= CRP_FORMAT_DETECT_BYTES).
 */
CRP_API const crp_format *crp_format_detect(const void *head, size_t len, bool complete);

typedef struct crp_reader crp_reader;

/**
 * Create a reader of one input stream (which may hold several reports, as the format allows).
 * @param[out] out  the reader; free it with crp_reader_free().
 * @param format    the input's format, or NULL to recognise it from its first bytes (they are
 *                  kept until it is recognised, at most CRP_FORMAT_DETECT_BYTES).
 * @param opts      limits and allocator, as for crp_parser_new() (formats apply the limits
 *                  they have); copied; NULL for defaults.
 * @return CRP_OK, CRP_ENOMEM, CRP_EINVAL (unknown options version) or CRP_EUNSUPPORTED (a
 *         format that is not read). Added in 0.1.
 */
CRP_API int crp_reader_new(crp_reader **out, const crp_format *format, const crp_parse_options *opts);
/** Feed the next chunk; completed reports become available to crp_reader_next(). After an
 * error the reader stays failed. @return CRP_OK or the error (see crp_reader_error()). */
CRP_API int crp_reader_feed(crp_reader *rd, const void *buf, size_t len);
/** Signal the end of input. @return CRP_OK, or what the format's reader says of the end
 * (e.g. CRP_ETRUNCATED, CRP_EEMPTY). */
CRP_API int crp_reader_finish(crp_reader *rd);
/**
 * Take the next completed report.
 * @param[out] out  the report; owned by the caller, free it with crp_report_free().
 * @return CRP_OK, or CRP_ITEROVER when none is ready.
 */
CRP_API int crp_reader_next(crp_reader *rd, crp_report **out);
/** The reader's error (code CRP_OK while there is none). Never NULL. Owned by @p rd. */
CRP_API const crp_error *crp_reader_error(const crp_reader *rd);
/** The input's format: the one given, or the one recognised; NULL while still undecided. */
CRP_API const crp_format *crp_reader_format(const crp_reader *rd);
/** Free a reader and any reports not yet taken. NULL is ignored. */
CRP_API void crp_reader_free(crp_reader *rd);

CRP_END_DECL

#endif
