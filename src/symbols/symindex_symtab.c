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

/* Entries by (section, address, index), radix sorted: they are collected in index order (the
 * section ends, index IX_NONE, last), so a stable pass by address, then one by section, is
 * enough. A dSYM has hundreds of thousands: a comparison sort spent its time in branches. */
static int sort_entries(const crp_allocator *a, sym_entry *e, size_t n)
{
	crp_sort_key *k = crp__malloc(a, 2 * n * sizeof *k);
	sym_entry *out = crp__malloc(a, n * sizeof *out);
	int rc = k && out ? CRP_OK : CRP_ENOMEM;
	if (rc == CRP_OK) {
		for (size_t i = 0; i < n; i++)
			k[i] = (crp_sort_key){e[i].addr, i};
		crp__sort_keys(k, k + n, n);
		for (size_t i = 0; i < n; i++)
			k[i].key = e[k[i].pos].sect;
		crp__sort_keys(k, k + n, n);
		for (size_t i = 0; i < n; i++)
			out[i] = e[k[i].pos];
		memcpy(e, out, n * sizeof *e);
	}
	crp__free(a, k);
	crp__free(a, out);
	return rc;
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
		crp__macho_symbol_head(m, i, &s);
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
		crp__macho_symbol_head(m, e[i].index, &s);
		if (!keeps(m, &s))
			continue;
		k[kept++] = (sym_keep){{s.value, e[i].size, s.strx}, e[i].index};
	}
	bool sorted = true; /* usually: sections do not overlap */
	for (size_t i = 1; i < kept && sorted; i++)
		sorted = cmp_keep(&k[i - 1], &k[i]) <= 0;
	if (!sorted)
		qsort(k, kept, sizeof *k, cmp_keep);
	size_t out = 0;
	for (size_t i = 0; i < kept; i++) {
		if (i + 1 < kept && k[i + 1].sym.addr == k[i].sym.addr)
			continue; /* the last of an address group has the largest size */
		k[out++] = k[i];
	}
	return out;
}

static int finish_symbols(crp_symindex *ix, size_t kept)
{
	size_t chunks = kept / IX_SLOT_CHUNK + 1;
	ix->sym_count = kept;
	ix->stats.symbols = kept;
	if (!(ix->sym_slots = crp__malloc(&ix->alloc, chunks * sizeof *ix->sym_slots)))
		return CRP_ENOMEM;
	for (size_t i = 0; i < chunks; i++)
		atomic_init(&ix->sym_slots[i], NULL);
	/* room was made for every entry; stabs and the like are not kept (an allocator that
	 * cannot even shrink a block is out of memory, as everywhere) */
	ix_sym *fit = kept ? crp__realloc(&ix->alloc, ix->syms, kept * sizeof *ix->syms) : ix->syms;
	if (!fit)
		return CRP_ENOMEM;
	ix->syms = fit;
	return crp__ix_accel_build(&ix->alloc, &ix->sym_accel, ix->syms, sizeof *ix->syms, kept);
}

/* The general way: every entry sorted by (section, address, index), sized, filtered, sorted
 * again by (address, size, index). */
static int build_general(crp_symindex *ix, const crp_macho *m)
{
	size_t n = (size_t)m->nsyms + m->section_count;
	sym_entry *e = crp__malloc(&ix->alloc, n * sizeof *e);
	sym_keep *k = crp__malloc(&ix->alloc, (size_t)m->nsyms * sizeof *k);
	int rc = e && k ? CRP_OK : CRP_ENOMEM;
	size_t kept = 0;
	if (rc == CRP_OK) {
		n = collect(m, e);
		rc = sort_entries(&ix->alloc, e, n);
	}
	if (rc == CRP_OK) {
		size_entries(e, n);
		kept = keep_symbols(m, e, n, k);
		rc = (ix->syms = crp__malloc(&ix->alloc, (kept ? kept : 1) * sizeof *ix->syms)) ? CRP_OK : CRP_ENOMEM;
	}
	for (size_t i = 0; rc == CRP_OK && i < kept; i++)
		ix->syms[i] = k[i].sym;
	crp__free(&ix->alloc, e);
	crp__free(&ix->alloc, k);
	return rc == CRP_OK ? finish_symbols(ix, kept) : rc;
}

/* (section, address) in one key when addresses fit in 48 bits (n_sect is a byte; NO_SECT
 * wraps to the largest), the entry's position (index order, section ends last) as the tie. */
#define KEY_ADDR_BITS 48
#define KEY_ADDR_MASK ((UINT64_C(1) << KEY_ADDR_BITS) - 1)

static bool make_keys(const crp_macho *m, crp_sort_key *k, bool *sorted)
{
	size_t n = 0;
	uint64_t any = 0;
	*sorted = true;
	for (uint32_t i = 0; i < m->nsyms; i++) {
		crp_macho_nlist s;
		crp__macho_symbol_head(m, i, &s);
		uint64_t sect = s.sect ? (uint64_t)s.sect - 1 : 0xffff;
		any |= s.value;
		k[n] = (crp_sort_key){sect << KEY_ADDR_BITS | (s.value & KEY_ADDR_MASK), n};
		*sorted &= !n || k[n - 1].key <= k[n].key;
		n++;
	}
	for (size_t i = 0; i < m->section_count; i++, n++) {
		uint64_t end = m->sections[i].addr + m->sections[i].size;
		any |= end;
		k[n] = (crp_sort_key){(uint64_t)i << KEY_ADDR_BITS | (end & KEY_ADDR_MASK), n};
		*sorted &= !n || k[n - 1].key <= k[n].key;
	}
	return !(any >> KEY_ADDR_BITS) && m->section_count < 0xffff;
}

/* The first position after i whose address differs (capped at n - 1, as size_entries()). */
static size_t next_address(const crp_sort_key *k, size_t i, size_t n)
{
	size_t next = i + 1;
	while (next < n - 1 && (k[next].key & KEY_ADDR_MASK) == (k[i].key & KEY_ADDR_MASK))
		next++;
	return next;
}

/* Walks the sorted keys as size_entries() and keep_symbols() walk the entries, writing kept
 * symbols straight into ix->syms. False when they do not come out in (address, size, index)
 * order (overlapping sections): the general way then decides. */
static bool keep_sorted(crp_symindex *ix, const crp_macho *m, const crp_sort_key *k, size_t n, size_t *kept)
{
	uint32_t prev_index = 0;
	*kept = 0;
	for (size_t i = 0, next = 0; i < n; i++) {
		if (i == next)
			next = i + 1 < n ? next_address(k, i, n) : n;
		if (k[i].pos >= m->nsyms)
			continue;
		crp_macho_nlist s;
		crp__macho_symbol_head(m, (uint32_t)k[i].pos, &s);
		if (!keeps(m, &s))
			continue;
		uint64_t size = i + 1 < n ? (k[next].key & KEY_ADDR_MASK) - s.value : 0;
		ix_sym *p = *kept ? &ix->syms[*kept - 1] : NULL;
		if (p && (p->addr > s.value || (p->addr == s.value && (p->size > size ||
		    (p->size == size && prev_index > k[i].pos)))))
			return false;
		if (p && p->addr == s.value)
			--*kept; /* the last of an address group has the largest size */
		ix->syms[(*kept)++] = (ix_sym){s.value, size, s.strx};
		prev_index = (uint32_t)k[i].pos;
	}
	return true;
}

const char *crp__ix_sym_name(const crp_symindex *ix, const ix_sym *s)
{
	const char *name = crp__macho_symbol_name(ix->symtab, s->strx);
	return !name ? "" : name[0] == '_' ? name + 1 : name;
}

int crp__ix_build_symtab(crp_symindex *ix, const crp_macho *m)
{
	ix->symtab = m;
	if (!m->has_symtab || !m->nsyms)
		return CRP_OK;
	size_t n = (size_t)m->nsyms + m->section_count, kept = 0;
	crp_sort_key *k = crp__malloc(&ix->alloc, n * sizeof *k);
	ix->syms = crp__malloc(&ix->alloc, (size_t)m->nsyms * sizeof *ix->syms);
	if (!k || !ix->syms) {
		crp__free(&ix->alloc, k);
		return CRP_ENOMEM;
	}
	crp__ix_prefault(k, n * sizeof *k);
	crp__ix_prefault(ix->syms, (size_t)m->nsyms * sizeof *ix->syms);
	bool sorted, fast = make_keys(m, k, &sorted);
	if (fast && !sorted) { /* linkers often write them in address order already */
		crp_sort_key *all = crp__realloc(&ix->alloc, k, 2 * n * sizeof *k);
		if (!all) {
			crp__free(&ix->alloc, k);
			return CRP_ENOMEM;
		}
		k = all;
		crp__sort_keys(k, k + n, n);
	}
	if (fast)
		fast = keep_sorted(ix, m, k, n, &kept);
	crp__free(&ix->alloc, k);
	if (!fast) {
		crp__free(&ix->alloc, ix->syms);
		ix->syms = NULL;
		return build_general(ix, m);
	}
	return finish_symbols(ix, kept);
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
