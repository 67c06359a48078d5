/* The format table's rows (include/crashport/format.h): what each converter folder gives the
 * registry. Readers are reached only through these hooks, so the registry, crp_reader and
 * crp_convert know no format by name. */
#ifndef CRP_CONVERTERS_FORMAT_H
#define CRP_CONVERTERS_FORMAT_H

#include "common/internal.h"
#include "crashport/format.h"
#include "crashport/sys/emitter.h"

/* What a format's detector says of the first bytes of an input. */
typedef enum crp__detect {
	CRP__DETECT_NO,    /* not this format */
	CRP__DETECT_MORE,  /* a prefix of this format: more bytes decide */
	CRP__DETECT_YES,
} crp__detect;

/* head: the first len bytes (fewer than CRP_FORMAT_DETECT_BYTES only at the end of input). */
typedef crp__detect (*crp__detect_fn)(const unsigned char *head, size_t len);

/* One streaming reader behind a void pointer; the shapes of crp_parser_*. */
typedef struct crp__read_ops {
	int (*open)(void **out, const crp_parse_options *opts);
	int (*feed)(void *rd, const void *buf, size_t len);
	int (*finish)(void *rd);
	int (*next)(void *rd, crp_report **out);
	const crp_error *(*error)(const void *rd);
	void (*close)(void *rd);
} crp__read_ops;

struct crp_format {
	const char *name;
	const char *description;
	const char *const *extensions;  /* inputs' usual file name endings; NULL-terminated */
	crp__detect_fn detect;          /* NULL: not recognised by content */
	const crp__read_ops *read;      /* NULL: not read */
	const crp_emitter *write;       /* NULL: not written */
};

/* KSCrash JSON: what is read when no detector says yes. */
extern const crp__read_ops crp__kscrash_read_ops;
extern const char *const crp__kscrash_extensions[];

extern const crp__read_ops crp__crpb_read_ops;
extern const char *const crp__crpb_extensions[];
crp__detect crp__crpb_detect(const unsigned char *head, size_t len);

/* Apple reports (converters/apple): .crash text, and .ips (metadata line + JSON or text). */
extern const crp__read_ops crp__apple_read_ops;
extern const char *const crp__apple_extensions[];
crp__detect crp__apple_detect(const unsigned char *head, size_t len);
extern const crp__read_ops crp__ips_read_ops;
extern const char *const crp__ips_extensions[];
crp__detect crp__ips_detect(const unsigned char *head, size_t len);

/* The fallback of detection: the KSCrash JSON row. */
const crp_format *crp__format_fallback(void);

#endif
