/* Symbol table and LC_FUNCTION_STARTS parts of the index. Symbol sizes follow LLVM's
 * computeSymbolSizes() for Mach-O: every nlist entry (stabs and undefined ones included) and
 * the end of every section are sorted by (section, address); a symbol reaches the next
 * different address in its section's group. Then, as SymbolizableObjectFile does, only defined
 * section symbols are kept, and of several at one address the one with the largest size (the
 * last in table order on a tie). */
#include <stdlib.h>

#include "symindex_int.h"

typedef struct sym_entry {
	uint64_t addr;
	uint32_t sect;   /* n_sect - 1 as LLVM computes it (NO_SECT wraps to UINT32_MAX) */
	uint32_t index;  /* nlist index, or IX_NONE for a section end */
	uint64_t size;
} sym_entry;

static int cmp_entry(const void *a, const void *b)
{
	const sym_entry *x = a, *y = b;
	if (x->sect != y->sect)
		return x->sect < y->sect ? -1 : 1;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

typedef struct sym_keep {
	ix_sym sym;
	uint32_t index;
} sym_keep;

static int cmp_keep(const void *a, const void *b)
{
	const sym_keep *x = a, *y = b;
	if (x->sym.addr != y->sym.addr)
		return x->sym.addr < y->sym.addr ? -1 : 1;
	if (x->sym.size != y->sym.size)
		return x->sym.size < y->sym.size ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Entries sharing an address share a size: handled by runs, so a table of many symbols at one
 * address stays linear. */
static void size_entries(sym_entry *e, size_t n)
{
	for (size_t i = 0; i + 1 < n;) {
		size_t next = i + 1;
		while (next < n - 1 && e[next].addr == e[i].addr)
			next++;
		for (size_t k = i; k < next && k + 1 < n; k++)
			if (e[k].index != IX_NONE)
				e[k].size = e[next].addr - e[k].addr;
		i = next;
	}
}

static bool keeps(const crp_macho *m, const crp_macho_nlist *s)
{
	return !(s->type & CRP_N_STAB) && (s->type & CRP_N_TYPE) == CRP_N_SECT && s->sect != 0 &&
	       s->sect <= m->section_count && !s->bad_name;
}

static size_t collect(const crp_macho *m, sym_entry *e)
{
	size_t n = 0;
	for (uint32_t i = 0; i < m->nsyms; i++) {
		crp_macho_nlist s;
		crp__macho_symbol(m, i, &s);
		e[n++] = (sym_entry){s.value, (uint32_t)s.sect - 1u, i, 0};
	}
	for (size_t i = 0; i < m->section_count; i++)
		e[n++] = (sym_entry){m->sections[i].addr + m->sections[i].size, (uint32_t)i, IX_NONE, 0};
	return n;
}

static size_t keep_symbols(const crp_macho *m, const sym_entry *e, size_t n, sym_keep *k)
{
	size_t kept = 0;
	for (size_t i = 0; i < n; i++) {
		if (e[i].index == IX_NONE)
			continue;
		crp_macho_nlist s;
		crp__macho_symbol(m, e[i].index, &s);
		if (!keeps(m, &s))
			continue;
		const char *name = s.name[0] == '_' ? s.name + 1 : s.name;
		k[kept++] = (sym_keep){{s.value, e[i].size, name, {NULL, 0}}, e[i].index};
	}
	qsort(k, kept, sizeof *k, cmp_keep);
	size_t out = 0;
	for (size_t i = 0; i < kept; i++) {
		if (i + 1 < kept && k[i + 1].sym.addr == k[i].sym.addr)
			continue; /* the last of an address group has the largest size */
		k[out++] = k[i];
	}
	return out;
}

int crp__ix_build_symtab(crp_symindex *ix, const crp_macho *m)
{
	if (!m->has_symtab || !m->nsyms)
		return CRP_OK;
	size_t n = (size_t)m->nsyms + m->section_count;
	sym_entry *e = crp__malloc(&ix->alloc, n * sizeof *e);
	sym_keep *k = crp__malloc(&ix->alloc, (size_t)m->nsyms * sizeof *k);
	if (!e || !k) {
		crp__free(&ix->alloc, e);
		crp__free(&ix->alloc, k);
		return CRP_ENOMEM;
	}
	n = collect(m, e);
	qsort(e, n, sizeof *e, cmp_entry);
	size_entries(e, n);
	size_t kept = keep_symbols(m, e, n, k);
	crp__free(&ix->alloc, e);
	ix->syms = crp__malloc(&ix->alloc, (kept ? kept : 1) * sizeof *ix->syms);
	if (ix->syms)
		for (size_t i = 0; i < kept; i++)
			ix->syms[i] = k[i].sym;
	crp__free(&ix->alloc, k);
	if (!ix->syms)
		return CRP_ENOMEM;
	ix->sym_count = kept;
	ix->stats.symbols = kept;
	if (!(ix->sym_addr = crp__malloc(&ix->alloc, (kept ? kept : 1) * sizeof *ix->sym_addr)))
		return CRP_ENOMEM;
	for (size_t i = 0; i < kept; i++)
		ix->sym_addr[i] = ix->syms[i].addr;
	return crp__ix_accel_build(&ix->alloc, &ix->sym_accel, ix->sym_addr, sizeof *ix->sym_addr, kept);
}

/* Each start runs to the next one, and never past the end of the section holding it. */
static uint64_t start_end(const crp_macho *m, uint64_t start, uint64_t next)
{
	for (size_t i = 0; i < m->section_count; i++) {
		const crp_macho_section *s = &m->sections[i];
		if (start >= s->addr && start - s->addr < s->size)
			return next < s->addr + s->size ? next : s->addr + s->size;
	}
	return start; /* outside every section: covers nothing */
}

int crp__ix_build_starts(crp_symindex *ix, const crp_macho *m, crp_error *err)
{
	uint64_t *lo;
	size_t n;
	CRP_TRY(crp__macho_function_starts(m, &lo, &n, err));
	if (!n)
		return CRP_OK;
	uint64_t *hi = crp__malloc(&ix->alloc, n * sizeof *hi);
	if (!hi) {
		crp__free(&m->alloc, lo);
		return CRP_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		hi[i] = start_end(m, lo[i], i + 1 < n ? lo[i + 1] : UINT64_MAX);
	/* the array came from m's allocator: keep it in ours */
	uint64_t *own = crp__malloc(&ix->alloc, n * sizeof *own);
	if (own)
		memcpy(own, lo, n * sizeof *own);
	crp__free(&m->alloc, lo);
	if (!own) {
		crp__free(&ix->alloc, hi);
		return CRP_ENOMEM;
	}
	ix->fs_lo = own;
	ix->fs_hi = hi;
	ix->fs_count = n;
	ix->stats.function_starts = n;
	return crp__ix_accel_build(&ix->alloc, &ix->fs_accel, own, sizeof *own, n);
}
