/* The built-in formats and emitters: static, NULL-terminated tables (no mutable global
 * registry). Each format row names its reader, its writer and how to recognise its bytes; the
 * CLI's commands, crp_reader and crp_convert all go through these tables. */
#include "format.h"

extern const crp_emitter crp__emitter_json;
extern const crp_emitter crp__emitter_minidump;
extern const crp_emitter crp__emitter_crpb;
extern const crp_emitter crp__emitter_apple, crp__emitter_ips;

static const crp_emitter *const builtin[] = {
	&crp__emitter_json,
	&crp__emitter_apple, &crp__emitter_ips,
	&crp__emitter_minidump,
	&crp__emitter_crpb,
	NULL,
};

static const char *const no_extensions[] = {NULL};

/* Detection asks the rows in this order; the first to say yes wins, and KSCrash JSON, which
 * has no detector of its own, takes what no row claims. */
static const crp_format formats[] = {
	{"json", "KSCrash JSON crash reports (and forks: Sentry, Bugsnag, ...)",
	 crp__kscrash_extensions, NULL, &crp__kscrash_read_ops, &crp__emitter_json},
	{"crpb", "CRPB, crashport's compact lossless binary format", crp__crpb_extensions,
	 crp__crpb_detect, &crp__crpb_read_ops, &crp__emitter_crpb},
	{"apple", "Apple .crash text (iOS, macOS, PLCrashReporter)", crp__apple_extensions,
	 crp__apple_detect, &crp__apple_read_ops, &crp__emitter_apple},
	{"ips", "Apple .ips (bug_type 309 JSON, or 109 text)", crp__ips_extensions, crp__ips_detect,
	 &crp__ips_read_ops, &crp__emitter_ips},
	{"minidump", "Breakpad/Crashpad minidump", no_extensions, NULL, NULL, &crp__emitter_minidump},
};

const crp_emitter *crp_emitter_at(size_t i)
{
	return i < CRP_ARRAY_LEN(builtin) - 1 ? builtin[i] : NULL;
}

const crp_emitter *crp_emitter_lookup(const char *name)
{
	for (size_t i = 0; name && builtin[i]; i++)
		if (strcmp(builtin[i]->name, name) == 0)
			return builtin[i];
	return NULL;
}

const char *crp_emitter_name(const crp_emitter *e) { return e->name; }
const char *crp_emitter_extension(const crp_emitter *e) { return e->file_extension; }
const char *crp_emitter_description(const crp_emitter *e) { return e->description; }
bool crp_emitter_is_binary(const crp_emitter *e) { return (e->caps & CRP_EMITTER_BINARY) != 0; }

const crp_format *crp_format_at(size_t i)
{
	return i < CRP_ARRAY_LEN(formats) ? &formats[i] : NULL;
}

const crp_format *crp_format_lookup(const char *name)
{
	for (size_t i = 0; name && i < CRP_ARRAY_LEN(formats); i++)
		if (strcmp(formats[i].name, name) == 0)
			return &formats[i];
	return NULL;
}

const char *crp_format_name(const crp_format *f) { return f->name; }
const char *crp_format_description(const crp_format *f) { return f->description; }
bool crp_format_readable(const crp_format *f) { return f->read != NULL; }
const crp_emitter *crp_format_writer(const crp_format *f) { return f->write; }
const char *const *crp_format_extensions(const crp_format *f) { return f->extensions; }

const crp_format *crp__format_fallback(void) { return &formats[0]; }

const crp_format *crp_format_detect(const void *head, size_t len, bool complete)
{
	bool more = false;
	if (len > CRP_FORMAT_DETECT_BYTES)
		len = CRP_FORMAT_DETECT_BYTES;
	complete = complete || len == CRP_FORMAT_DETECT_BYTES;
	for (size_t i = 0; i < CRP_ARRAY_LEN(formats); i++) {
		if (!formats[i].detect || !formats[i].read)
			continue;
		crp__detect d = len ? formats[i].detect(head, len) : CRP__DETECT_MORE;
		if (d == CRP__DETECT_YES)
			return &formats[i];
		more = more || d == CRP__DETECT_MORE;
	}
	return more && !complete ? NULL : crp__format_fallback();
}
