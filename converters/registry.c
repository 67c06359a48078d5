/* Built-in emitters: a static, NULL-terminated table (no mutable global registry). */
#include "common/internal.h"
#include "crashport/sys/emitter.h"

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
