/* DWARF part of the index: one pass over each unit's DIEs collecting subroutine scopes and
 * their ranges, painted into per-unit interval maps; the unit's line program turned into
 * sorted sequences of rows; and the address -> unit map from .debug_aranges and unit DIEs. */
#include <stdlib.h>

#include "symindex_int.h"

#define KIND_OTHER 0u
#define KIND_SUBPROGRAM 1u
#define KIND_INLINED 2u

/* What the walk remembers about each open DIE. */
typedef struct open_die {
	uint64_t die;
	uint64_t entry;
	bool has_entry;
	uint32_t kind;
	uint32_t scope;       /* IX_NONE until a scope is made for it */
	int32_t parent_sub;   /* depth of the nearest enclosing subroutine, or -1 */
	uint32_t call_file, call_line, call_column;
} open_die;

typedef struct builder {
	crp_symindex *ix;
	open_die *stack;
	ix_range *ranges;     /* of the current unit */
	size_t range_count, range_cap;
	ix_range *cu_ranges;
	size_t cu_count, cu_cap;
	bool *in_aranges;     /* per unit */
	uint32_t unit;
	ix_row *seq_rows;     /* rows of the sequence being read */
	size_t seq_n, seq_cap;
	bool seq_sorted;
	int failure;
} builder;

/* -- scopes ------------------------------------------------------------------------------ */

static int new_scope(builder *b, open_die *o, uint32_t parent)
{
	crp_symindex *ix = b->ix;
	if (ix->scope_count >= IX_MAX_ITEMS)
		return CRP_ELIMIT;
	CRP_TRY(crp__ix_grow(ix, (void **)&ix->scopes, &ix->scope_cap, ix->scope_count + 1, sizeof *ix->scopes));
	ix_scope *s = &ix->scopes[ix->scope_count];
	memset(s, 0, sizeof *s);
	s->die = o->die;
	s->entry = o->entry;
	s->parent = parent;
	s->unit = b->unit;
	s->call_file = o->call_file;
	s->call_line = o->call_line;
	s->call_column = o->call_column;
	s->flags = (o->kind == KIND_SUBPROGRAM ? SCOPE_SUBPROGRAM : 0) | (o->has_entry ? SCOPE_HAS_ENTRY : 0);
	s->lo = UINT64_MAX;
	o->scope = (uint32_t)ix->scope_count++;
	return CRP_OK;
}

/* Makes scopes for the DIE at `depth` and the enclosing subroutines up to its subprogram (the
 * chain LLVM walks), outermost first so every parent exists before its child. */
static int materialize(builder *b, int32_t depth)
{
	int32_t chain[CRP_DWARF_MAX_DEPTH + 1];
	size_t n = 0;
	for (int32_t j = depth; j >= 0 && b->stack[j].scope == IX_NONE; j = b->stack[j].parent_sub) {
		chain[n++] = j;
		if (b->stack[j].kind == KIND_SUBPROGRAM)
			break;
	}
	while (n--) {
		open_die *o = &b->stack[chain[n]];
		uint32_t parent = IX_NONE;
		if (o->kind == KIND_INLINED && o->parent_sub >= 0)
			parent = b->stack[o->parent_sub].scope;
		CRP_TRY(new_scope(b, o, parent));
	}
	return CRP_OK;
}

static int add_range(void *ctx, uint64_t lo, uint64_t hi)
{
	builder *b = ctx;
	if (b->failure)
		return 1;
	if (b->range_count >= IX_MAX_ITEMS ||
	    crp__ix_grow(b->ix, (void **)&b->ranges, &b->range_cap, b->range_count + 1, sizeof *b->ranges)) {
		b->failure = CRP_ENOMEM;
		return 1;
	}
	/* the scope is filled in by the caller: ranges are collected before it exists */
	b->ranges[b->range_count++] = (ix_range){lo, hi, 0, IX_NONE};
	return 0;
}

static void fill_scope(builder *b, uint32_t scope, size_t first)
{
	ix_scope *s = &b->ix->scopes[scope];
	for (size_t i = first; i < b->range_count; i++) {
		b->ranges[i].id = scope;
		b->ranges[i].prio = scope; /* DFS order: a later (inner) DIE wins */
		s->lo = b->ranges[i].lo < s->lo ? b->ranges[i].lo : s->lo;
		s->hi = b->ranges[i].hi > s->hi ? b->ranges[i].hi : s->hi;
	}
	s->flags |= SCOPE_HAS_RANGES;
	if (!(s->flags & SCOPE_HAS_ENTRY))
		s->entry = s->lo;
}

static int subroutine(builder *b, const crp_dwarf_die *die, int32_t depth)
{
	size_t first = b->range_count;
	int rc = crp__dwarf_die_ranges(b->ix->dwarf, die, add_range, b);
	if (b->failure)
		return b->failure;
	if (b->range_count == first)
		return rc;
	CRP_TRY(materialize(b, depth));
	fill_scope(b, b->stack[depth].scope, first);
	return rc;
}

static uint32_t kind_of(uint32_t tag)
{
	return tag == CRP_DW_TAG_subprogram ? KIND_SUBPROGRAM
	       : tag == CRP_DW_TAG_inlined_subroutine ? KIND_INLINED : KIND_OTHER;
}

static void open_entry(builder *b, const crp_dwarf_die *die, int32_t depth)
{
	open_die *o = &b->stack[depth];
	memset(o, 0, sizeof *o);
	o->die = die->offset;
	o->kind = kind_of(die->tag);
	o->scope = IX_NONE;
	o->parent_sub = -1;
	if (depth > 0)
		o->parent_sub = b->stack[depth - 1].kind != KIND_OTHER ? depth - 1 : b->stack[depth - 1].parent_sub;
	o->call_file = (uint32_t)die->call_file;
	o->call_line = (uint32_t)die->call_line;
	o->call_column = (uint32_t)die->call_column;
	if (die->has & CRP_DIE_LOW_PC)
		o->entry = die->low_pc, o->has_entry = true;
	else if (die->has & CRP_DIE_ENTRY_PC)
		o->entry = die->entry_pc, o->has_entry = true;
}

/* -- the unit map ------------------------------------------------------------------------ */

typedef struct cu_ctx {
	builder *b;
	uint64_t offset;
} cu_ctx;

static int add_cu_range(void *ctx, uint64_t lo, uint64_t hi)
{
	cu_ctx *c = ctx;
	builder *b = c->b;
	if (b->failure)
		return 1;
	if (b->cu_count >= IX_MAX_ITEMS ||
	    crp__ix_grow(b->ix, (void **)&b->cu_ranges, &b->cu_cap, b->cu_count + 1, sizeof *b->cu_ranges)) {
		b->failure = CRP_ENOMEM;
		return 1;
	}
	/* LLVM's DWARFDebugAranges: the lowest unit offset wins where units overlap */
	b->cu_ranges[b->cu_count++] = (ix_range){lo, hi, UINT64_MAX - c->offset, b->unit};
	return 0;
}

static size_t unit_index_at(const crp_dwarf *d, uint64_t offset)
{
	size_t lo = 0, hi = crp__dwarf_unit_count(d);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (crp__dwarf_unit(d, mid)->end <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool indexable(const crp_dwarf_unit *u)
{
	return u->status == CRP_OK &&
	       (u->unit_type == CRP_DW_UT_compile || u->unit_type == CRP_DW_UT_partial);
}

static int on_arange(void *ctx, uint64_t unit_offset, uint64_t lo, uint64_t hi)
{
	builder *b = ctx;
	size_t i = unit_index_at(b->ix->dwarf, unit_offset);
	if (i >= b->ix->unit_count || !indexable(crp__dwarf_unit(b->ix->dwarf, i)))
		return 0;
	b->in_aranges[i] = true;
	if (lo == hi)
		return 0;
	cu_ctx c = {b, unit_offset};
	b->unit = (uint32_t)i;
	return add_cu_range(&c, lo, hi);
}

/* -- line tables ------------------------------------------------------------------------- */

static int cmp_row(const void *a, const void *b)
{
	const ix_row *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool same_place(const ix_row *a, const ix_row *b)
{
	return a->line == b->line && a->file == b->file && a->column == b->column;
}

/* Appends the finished sequence, dropping rows a lookup can never return: of rows sharing an
 * address only the last is used, and a row repeating its predecessor's place adds nothing. */
static int flush_sequence(builder *b, uint64_t end)
{
	crp_symindex *ix = b->ix;
	if (!b->seq_n)
		return CRP_OK;
	if (!b->seq_sorted) /* out-of-order rows (damage): stable by index, then by address */
		qsort(b->seq_rows, b->seq_n, sizeof *b->seq_rows, cmp_row);
	if (end <= b->seq_rows[0].addr)
		return CRP_OK; /* LLVM drops sequences that cover nothing */
	if (ix->seq_count >= IX_MAX_ITEMS || ix->row_count + b->seq_n + 1 > IX_MAX_ITEMS)
		return CRP_ELIMIT;
	CRP_TRY(crp__ix_grow(ix, (void **)&ix->rows, &ix->row_cap, ix->row_count + b->seq_n + 1, sizeof *ix->rows));
	CRP_TRY(crp__ix_grow(ix, (void **)&ix->seqs, &ix->seq_cap, ix->seq_count + 1, sizeof *ix->seqs));
	size_t first = ix->row_count, n = 0;
	ix_row *out = ix->rows + first;
	for (size_t i = 0; i < b->seq_n; i++) {
		const ix_row *r = &b->seq_rows[i];
		if (n && out[n - 1].addr == r->addr) {
			out[n - 1] = *r;
			if (n > 1 && same_place(&out[n - 2], &out[n - 1]))
				n--;
		} else if (!n || !same_place(&out[n - 1], r)) {
			out[n++] = *r;
		}
	}
	out[n++] = (ix_row){end, 0, 0, 0};
	ix->seqs[ix->seq_count++] = (ix_seq){out[0].addr, end, (uint32_t)first, (uint32_t)n};
	ix->row_count += n;
	return CRP_OK;
}

static int on_row(void *ctx, const crp_dwarf_row *r)
{
	builder *b = ctx;
	if (r->end_sequence) {
		b->failure = flush_sequence(b, r->addr);
		b->seq_n = 0;
		b->seq_sorted = true;
		return b->failure != CRP_OK;
	}
	if (crp__ix_grow(b->ix, (void **)&b->seq_rows, &b->seq_cap, b->seq_n + 1, sizeof *b->seq_rows)) {
		b->failure = CRP_ENOMEM;
		return 1;
	}
	if (b->seq_n && r->addr < b->seq_rows[b->seq_n - 1].addr)
		b->seq_sorted = false;
	b->seq_rows[b->seq_n++] = (ix_row){r->addr, r->line, r->file, r->column};
	return 0;
}

static int cmp_seq(const void *a, const void *b)
{
	const ix_seq *x = a, *y = b;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Returns CRP_OK, CRP_ENOMEM, or another code when the table is damaged (rows kept). */
static int unit_lines(builder *b, const crp_dwarf_unit *u, ix_unit *iu)
{
	crp_symindex *ix = b->ix;
	iu->seq_first = (uint32_t)ix->seq_count;
	if (!u->has_stmt_list)
		return CRP_OK;
	int rc = crp__dwarf_lines_open(&iu->lines, ix->dwarf, u, &ix->alloc, NULL);
	if (rc != CRP_OK) {
		crp__dwarf_lines_dispose(&iu->lines);
		return rc;
	}
	iu->has_lines = true;
	b->seq_n = 0;
	b->seq_sorted = true;
	b->failure = CRP_OK;
	rc = crp__dwarf_lines_run(&iu->lines, on_row, b);
	iu->seq_count = (uint32_t)(ix->seq_count - iu->seq_first);
	if (iu->seq_count > 1)
		qsort(ix->seqs + iu->seq_first, iu->seq_count, sizeof *ix->seqs, cmp_seq);
	if (b->failure)
		return b->failure;
	return rc;
}

/* -- units ------------------------------------------------------------------------------- */

static int on_die(builder *b, const crp_dwarf_die *die)
{
	int32_t depth = (int32_t)die->depth;
	open_entry(b, die, depth);
	if (depth == 0 && !b->in_aranges[b->unit]) {
		cu_ctx c = {b, die->unit->offset};
		crp__dwarf_die_ranges(b->ix->dwarf, die, add_cu_range, &c);
		return b->failure;
	}
	if (b->stack[depth].kind == KIND_OTHER)
		return CRP_OK;
	int rc = subroutine(b, die, depth);
	return rc == CRP_ENOMEM || rc == CRP_ELIMIT ? rc : CRP_OK; /* a damaged range list is local */
}

static int unit_dies(builder *b, size_t i)
{
	crp_symindex *ix = b->ix;
	crp_dwarf_walk w;
	crp_dwarf_die die;
	b->range_count = 0;
	int rc = crp__dwarf_walk_init(&w, ix->dwarf, i);
	while (rc == CRP_OK && (rc = crp__dwarf_walk_next(&w, &die)) == CRP_OK)
		rc = on_die(b, &die);
	if (rc == CRP_ENOMEM)
		return rc;
	ix_unit *iu = &ix->units[i];
	iu->paint_first = (uint32_t)ix->paint.count;
	int prc = crp__ix_paint(ix, b->ranges, b->range_count, &ix->paint);
	iu->paint_count = (uint32_t)(ix->paint.count - iu->paint_first);
	if (prc != CRP_OK)
		return prc;
	return rc == CRP_ITEROVER ? CRP_OK : rc;
}

static int index_unit(builder *b, size_t i)
{
	const crp_dwarf_unit *u = crp__dwarf_unit(b->ix->dwarf, i);
	ix_unit *iu = &b->ix->units[i];
	iu->comp_dir = u->comp_dir;
	b->unit = (uint32_t)i;
	b->failure = CRP_OK;
	int rc = unit_dies(b, i);
	if (rc == CRP_ENOMEM)
		return rc;
	int lrc = unit_lines(b, u, iu);
	if (lrc == CRP_ENOMEM)
		return lrc;
	b->ix->stats.units++;
	if (rc != CRP_OK || lrc != CRP_OK)
		b->ix->stats.units_damaged++;
	return CRP_OK;
}

static void builder_dispose(builder *b)
{
	crp__free(&b->ix->alloc, b->stack);
	crp__free(&b->ix->alloc, b->ranges);
	crp__free(&b->ix->alloc, b->cu_ranges);
	crp__free(&b->ix->alloc, b->in_aranges);
	crp__free(&b->ix->alloc, b->seq_rows);
}

static int index_units(builder *b)
{
	crp_symindex *ix = b->ix;
	int rc = crp__dwarf_aranges(ix->dwarf, on_arange, b);
	if (b->failure)
		return b->failure;
	if (rc != CRP_OK)
		ix->stats.units_damaged++; /* the units it did not describe still come from their DIEs */
	for (size_t i = 0; i < ix->unit_count; i++) {
		if (!indexable(crp__dwarf_unit(ix->dwarf, i))) {
			ix->stats.units_damaged += crp__dwarf_unit(ix->dwarf, i)->status != CRP_OK;
			continue;
		}
		CRP_TRY(index_unit(b, i));
	}
	CRP_TRY(crp__ix_paint(ix, b->cu_ranges, b->cu_count, &ix->cus));
	return crp__ix_flatten(ix);
}

int crp__ix_build_dwarf(crp_symindex *ix, const crp_macho *m, crp_error *err)
{
	crp_dwarf_sections secs;
	crp__macho_dwarf_sections(m, &secs);
	if (!secs.data[CRP_DW_SEC_INFO])
		return CRP_OK;
	CRP_TRY(crp__dwarf_open(&ix->dwarf, &secs, &ix->alloc, err));
	ix->unit_count = crp__dwarf_unit_count(ix->dwarf);
	builder b;
	memset(&b, 0, sizeof b);
	b.ix = ix;
	size_t n = ix->unit_count ? ix->unit_count : 1;
	ix->units = crp__malloc(&ix->alloc, n * sizeof *ix->units);
	if (ix->units)
		memset(ix->units, 0, n * sizeof *ix->units);
	b.stack = crp__malloc(&ix->alloc, (CRP_DWARF_MAX_DEPTH + 1) * sizeof *b.stack);
	b.in_aranges = crp__malloc(&ix->alloc, n);
	int rc = CRP_ENOMEM;
	if (ix->units && b.stack && b.in_aranges) {
		memset(b.in_aranges, 0, n);
		rc = index_units(&b);
	}
	builder_dispose(&b);
	if (rc == CRP_OK)
		ix->stats.scopes = ix->scope_count;
	return rc;
}
