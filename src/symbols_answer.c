/* Answers of the symbolicator: index results turned into crp_symbolication, with demangled
 * names and file paths made once per index and kept in its slots (a server looking up
 * millions of addresses demangles each function once), and copies into a report's arena. */
#include "demangle.h"
#include "symbols_int.h"

#define NAME_BUF 4096
#define NAME_MAX_DEMANGLED (64u * 1024)
#define NO_OBJECT UINT32_MAX

/* -- names and paths --------------------------------------------------------------------- */

static bool itanium(const char *raw)
{
	return (raw[0] == '_' && raw[1] == 'Z') || (raw[0] == '_' && raw[1] == '_' && raw[2] == 'Z');
}

/* The demangled name in s->strings, or NULL (*rc CRP_OK) when it does not demangle. */
static const char *demangle(crp_symbolicator *s, const char *raw, int *rc)
{
	char buf[NAME_BUF];
	size_t n = crp__demangle_cxx(raw, buf, sizeof buf);
	const char *out = NULL;
	*rc = CRP_OK;
	if (n) {
		if (!(out = crp__arena_strndup(&s->strings, buf, n)))
			*rc = CRP_ENOMEM;
		return out;
	}
	if (!itanium(raw))
		return NULL;
	char *big = crp__malloc(&s->alloc, NAME_MAX_DEMANGLED); /* a name longer than buf? */
	if (!big) {
		*rc = CRP_ENOMEM;
		return NULL;
	}
	if ((n = crp__demangle_cxx(raw, big, NAME_MAX_DEMANGLED)) != 0 &&
	    !(out = crp__arena_strndup(&s->strings, big, n)))
		*rc = CRP_ENOMEM;
	crp__free(&s->alloc, big);
	return out;
}

/* Raw names point into mapped symbol files, which live as long as the symbolicator: only
 * demangled ones are stored. */
static int name_of(crp_symbolicator *s, const crp_symindex_frame *f, const char **out, unsigned *flags)
{
	crp_symindex_slot *slot = f->name_slot, local = {NULL, 0, false};
	if (!slot)
		slot = &local;
	if (!slot->set) {
		int rc;
		const char *d = demangle(s, f->name, &rc);
		CRP_TRY(rc);
		slot->text = d ? d : f->name;
		slot->flags = d ? CRP_SYM_DEMANGLED : crp__is_swift_mangled(f->name) ? CRP_SYM_SWIFT : 0;
		slot->set = true;
	}
	*out = slot->text;
	*flags |= slot->flags;
	return CRP_OK;
}

static int path_of(crp_symbolicator *s, crp_symindex *ix, const crp_symindex_frame *f, const char **out)
{
	crp_symindex_slot *slot, local = {NULL, 0, false};
	CRP_TRY(crp__symindex_path_slot(&slot, ix, f));
	if (!slot)
		slot = &local;
	if (!slot->set) {
		char buf[1024], *big = NULL;
		size_t n = crp__symindex_path(ix, f, buf, sizeof buf);
		const char *p = buf;
		if (n >= sizeof buf) {
			if (!(big = crp__malloc(&s->alloc, n + 1)))
				return CRP_ENOMEM;
			crp__symindex_path(ix, f, big, n + 1);
			p = big;
		}
		slot->text = n ? crp__arena_strndup(&s->strings, p, n) : NULL;
		crp__free(&s->alloc, big);
		if (n && !slot->text)
			return CRP_ENOMEM;
		slot->set = true;
	}
	*out = slot->text;
	return CRP_OK;
}

/* -- answers ----------------------------------------------------------------------------- */

static const char *answering_path(const crp_symbolicator *s, const crp_symbol_image *im,
				  crp_symbol_source src)
{
	uint32_t o = src == CRP_SYMSRC_DWARF ? im->src_dwarf
		     : src == CRP_SYMSRC_SYMTAB ? im->src_symtab : im->src_starts;
	if (o == NO_OBJECT)
		o = im->binary != NO_OBJECT ? im->binary : im->debug;
	return o == NO_OBJECT ? NULL : s->files[s->objects[o].file].path;
}

static int fill_locs(crp_symbolicator *s, const crp_symbol_image *im, const crp_symindex_result *res,
		     unsigned *flags)
{
	for (size_t i = 0; i < res->count; i++) {
		const crp_symindex_frame *f = &res->frames[i];
		crp_symloc *l = &s->locs[i];
		memset(l, 0, sizeof *l);
		if (f->name)
			CRP_TRY(name_of(s, f, &l->function, flags));
		if (f->unit == UINT32_MAX)
			continue;
		CRP_TRY(path_of(s, im->ix, f, &l->file));
		/* without a file name too: LLVM prints an inlined call's line after "??" */
		l->line = f->line;
		l->column = f->column;
	}
	return CRP_OK;
}

int crp__symbols_answer(const crp_symbolication **out, crp_symbolicator *s, const crp_symbol_image *im,
			const crp_symindex_result *res, uint64_t lookup_addr, uint64_t slide, unsigned flags,
			uint64_t addr)
{
	*out = NULL;
	if (res->source == CRP_SYMSRC_NONE || !res->count)
		return CRP_OK;
	CRP_TRY(fill_locs(s, im, res, &flags));
	crp_symbolication *a = &s->answer;
	const char *outer = res->frames[res->count - 1].name;
	a->linkage_name = outer && outer != s->locs[res->count - 1].function ? outer : NULL;
	a->image = answering_path(s, im, res->source);
	a->source = res->source;
	a->flags = flags;
	a->lookup_addr = lookup_addr;
	a->function_addr = res->has_function_addr ? res->function_addr + slide : 0;
	a->offset = a->function_addr && addr >= a->function_addr ? addr - a->function_addr : 0;
	a->locs = s->locs;
	a->count = res->count;
	*out = a;
	return CRP_OK;
}

static bool dup(crp_arena *a, const char **s)
{
	return !*s || (*s = crp__arena_strndup(a, *s, strlen(*s))) != NULL;
}

int crp__symbols_copy(crp_symbolication **out, crp_arena *a, const crp_symbolication *src)
{
	crp_symbolication *sym = crp__arena_dup(a, src, sizeof *src);
	crp_symloc *locs = crp__arena_dup(a, src->locs, src->count * sizeof *locs);
	*out = NULL;
	if (!sym || !locs || !dup(a, &sym->image) || !dup(a, &sym->linkage_name))
		return a->failure;
	for (size_t i = 0; i < src->count; i++)
		if (!dup(a, &locs[i].function) || !dup(a, &locs[i].file))
			return a->failure;
	sym->locs = locs;
	*out = sym;
	return CRP_OK;
}
