/* Answers of the symbolicator: index results turned into crp_symbolication, with demangled
 * names and file paths made once per index and kept in its slots (a server looking up
 * millions of addresses demangles each function once), and copies into a report's arena.
 * Everything here may run in several threads at once on one symbolicator. */
#include "demangle/demangle.h"
#include "symbols_int.h"

#define NAME_BUF CRP_SYMBOLS_NAME_BUF
#define NAME_MAX_DEMANGLED (64u * 1024)
#define NO_OBJECT UINT32_MAX

/* -- names and paths --------------------------------------------------------------------- */

static bool itanium(const char *raw)
{
	return (raw[0] == '_' && raw[1] == 'Z') || (raw[0] == '_' && raw[1] == '_' && raw[2] == 'Z');
}

size_t crp__symbols_demangle(const crp_allocator *a, const char *raw, char *buf, size_t cap, char **big, int *rc)
{
	size_t n = crp__demangle_cxx(raw, buf, cap);
	*rc = CRP_OK;
	*big = NULL;
	if (n || !itanium(raw))
		return n;
	if (!(*big = crp__malloc(a, NAME_MAX_DEMANGLED))) {
		*rc = CRP_ENOMEM;
		return 0;
	}
	return crp__demangle_cxx(raw, *big, NAME_MAX_DEMANGLED);
}

unsigned crp__symbols_name_flags(const char *raw, size_t demangled)
{
	return demangled ? CRP_SYM_DEMANGLED : crp__is_swift_mangled(raw) ? CRP_SYM_SWIFT : 0;
}

/* A name's first use in this index: demangled outside the index's lock (two threads may both
 * demangle it; one copy is kept). Raw names point into mapped symbol files, which outlive the
 * index: only demangled ones are copied. */
static CRP_NOINLINE int first_name(const crp_symbolicator *s, crp_symindex *ix, const crp_symindex_frame *f,
				   const char **out, unsigned *flags)
{
	char buf[NAME_BUF], *big;
	int rc;
	size_t n = crp__symbols_demangle(&s->alloc, f->name, buf, sizeof buf, &big, &rc);
	if (rc == CRP_OK) {
		unsigned fl = crp__symbols_name_flags(f->name, n);
		rc = crp__symindex_slot_fill(ix, f->name_unit, f->name_slot, n ? (big ? big : buf) : f->name, n,
					     n != 0, fl, out, flags);
	}
	crp__free(&s->alloc, big);
	return rc;
}

static int name_of(const crp_symbolicator *s, crp_symindex *ix, const crp_symindex_frame *f,
		   const char **out, unsigned *flags)
{
	const char *text = f->name; /* every named frame has a slot; without one, the raw name */
	unsigned fl = 0;
	if (f->name_slot && !crp__symindex_slot_get(f->name_slot, &text, &fl))
		CRP_TRY(first_name(s, ix, f, &text, &fl));
	*out = text;
	*flags |= fl;
	return CRP_OK;
}

/* A path's first use in this index: joined, then copied into it. */
static CRP_NOINLINE int first_path(const crp_symbolicator *s, crp_symindex *ix, crp_symindex_slot *slot,
				   const crp_symindex_frame *f, const char **out)
{
	char buf[1024], *big = NULL;
	unsigned fl;
	size_t n = crp__symindex_path(ix, f, buf, sizeof buf);
	const char *p = buf;
	if (n >= sizeof buf) {
		if (!(big = crp__malloc(&s->alloc, n + 1)))
			return CRP_ENOMEM;
		crp__symindex_path(ix, f, big, n + 1);
		p = big;
	}
	int rc = crp__symindex_slot_fill(ix, f->unit, slot, n ? p : NULL, n, true, 0, out, &fl);
	crp__free(&s->alloc, big);
	return rc;
}

static int path_of(const crp_symbolicator *s, crp_symindex *ix, const crp_symindex_frame *f, const char **out)
{
	crp_symindex_slot *slot;
	unsigned fl;
	*out = NULL;
	CRP_TRY(crp__symindex_path_slot(&slot, ix, f));
	if (!slot || crp__symindex_slot_get(slot, out, &fl))
		return CRP_OK;
	return first_path(s, ix, slot, f, out);
}

/* -- answers ----------------------------------------------------------------------------- */

static const char *answering_path(const crp_symbolicator *s, const crp_symbol_image *im, const sym_backend *b,
				  crp_symbol_source src)
{
	uint32_t o = b->src[src == CRP_SYMSRC_DWARF ? 0 : src == CRP_SYMSRC_SYMTAB ? 1 : 2];
	if (o == NO_OBJECT)
		o = im->binary != NO_OBJECT ? im->binary : im->debug;
	return o == NO_OBJECT ? NULL : s->files[s->objects[o].file].path;
}

static int fill_locs(crp_symloc *locs, const crp_symbolicator *s, crp_symindex *ix,
		     const crp_symindex_result *res, unsigned *flags)
{
	for (size_t i = 0; i < res->count; i++) {
		const crp_symindex_frame *f = &res->frames[i];
		crp_symloc *l = &locs[i];
		memset(l, 0, sizeof *l);
		if (f->name)
			CRP_TRY(name_of(s, ix, f, &l->function, flags));
		if (!f->unit)
			continue;
		CRP_TRY(path_of(s, ix, f, &l->file));
		/* without a file name too: LLVM prints an inlined call's line after "??" */
		l->line = f->line;
		l->column = f->column;
	}
	return CRP_OK;
}

int crp__symbols_answer(const crp_symbolication **out, crp_symbol_answer *room, const crp_symbolicator *s,
			const crp_symbol_image *im, const sym_backend *b, const crp_symindex_result *res,
			uint64_t lookup_addr, uint64_t slide, unsigned flags, uint64_t addr)
{
	crp_symindex *ix = b->ix;
	*out = NULL;
	if (res->source == CRP_SYMSRC_NONE || !res->count)
		return CRP_OK;
	CRP_TRY(fill_locs(room->locs, s, ix, res, &flags));
	crp_symbolication *a = &room->sym;
	const char *outer = res->frames[res->count - 1].name;
	a->linkage_name = outer && outer != room->locs[res->count - 1].function ? outer : NULL;
	a->image = answering_path(s, im, b, res->source);
	a->source = res->source;
	a->flags = flags;
	a->lookup_addr = lookup_addr;
	a->function_addr = res->has_function_addr ? res->function_addr + slide : 0;
	a->offset = a->function_addr && addr >= a->function_addr ? addr - a->function_addr : 0;
	a->locs = room->locs;
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
