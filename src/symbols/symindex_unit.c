/* One compile unit's index, built the first time a lookup lands in the unit: one pass over its
 * DIEs collecting subroutine scopes and their ranges, painted into address intervals (the
 * innermost scope wins); its line program turned into sorted sequences of rows.
 *
 * A window index keeps only what answers one address and its surroundings: the subroutines
 * whose ranges hold the address (and their enclosing chain), and the rows of the sequences
 * holding it near it. Its window is the widest interval around the address that no range or
 * sequence of the unit begins or ends in: every address in it is held by the same ranges and
 * sequences, so it is answered exactly as by the whole index. A lookup outside it builds again
 * (symindex.c decides when the whole unit is worth it). */
#include <stdlib.h>

#include "symindex_int.h"

#define KIND_OTHER 0u
#define KIND_SUBPROGRAM 1u
#define KIND_INLINED 2u

/* What the walk remembers about each open subroutine DIE (the walk shows no other). */
typedef struct open_die {
	size_t first_range, range_n;  /* ranges kept aside (a window left it out so far) */
	uint64_t die;
	uint64_t entry;
	bool has_entry;
	uint32_t kind;
	uint32_t scope;       /* IX_NONE until a scope is made for it */
	unsigned depth;
	uint32_t call_file, call_line, call_column;
} open_die;

typedef struct builder {
	crp_symindex *ix;
	ix_unitidx *u;
	crp_dwarf_budget *budget;
	open_die *stack;      /* open subroutines, outermost first */
	size_t open;
	ix_range *ranges;
	size_t range_count, range_cap;
	size_t scope_front, range_front, row_front;  /* whole units: bytes mapped so far (crp__ix_touch()) */
	size_t seq_n;         /* rows of the sequence being read, after the unit's rows */
	bool seq_sorted;
	int failure;
	bool window;          /* a window index around addr: [cov_lo, cov_hi) */
	uint64_t addr, cov_lo, cov_hi;
	uint64_t held_end;    /* the lowest end of the sequences holding addr */
	ix_seq stub;          /* the earliest-ending sequence after addr (hi 0: none) */
} builder;

/* -- scopes ------------------------------------------------------------------------------ */

static int new_scope(builder *b, open_die *o, uint32_t parent)
{
	ix_unitidx *u = b->u;
	if (u->scope_count >= IX_MAX_ITEMS)
		return CRP_ELIMIT;
	if (CRP_UNLIKELY(u->scope_count == u->scope_cap))
		CRP_TRY(crp__ix_grow(&b->ix->alloc, (void **)&u->scopes, &u->scope_cap, u->scope_count + 1,
				     sizeof *u->scopes));
	if (CRP_UNLIKELY((u->scope_count + 1) * sizeof *u->scopes > b->scope_front) && !b->window)
		crp__ix_touch(u->scopes, (u->scope_count + 1) * sizeof *u->scopes, u->scope_cap * sizeof *u->scopes,
			      &b->scope_front);
	ix_scope *s = &u->scopes[u->scope_count];
	memset(s, 0, sizeof *s);
	s->die = o->die;
	s->entry = o->entry;
	s->parent = parent;
	s->call_file = o->call_file;
	s->call_line = o->call_line;
	s->call_column = o->call_column;
	s->flags = (o->kind == KIND_SUBPROGRAM ? SCOPE_SUBPROGRAM : 0) | (o->has_entry ? SCOPE_HAS_ENTRY : 0);
	s->lo = UINT64_MAX;
	o->scope = (uint32_t)u->scope_count++;
	return CRP_OK;
}

static void fill_scope(builder *b, uint32_t scope, size_t first, size_t end)
{
	ix_scope *s = &b->u->scopes[scope];
	for (size_t i = first; i < end; i++) {
		b->ranges[i].id = scope;
		b->ranges[i].prio = scope; /* DFS order: a later (inner) DIE wins */
		s->lo = b->ranges[i].lo < s->lo ? b->ranges[i].lo : s->lo;
		s->hi = b->ranges[i].hi > s->hi ? b->ranges[i].hi : s->hi;
	}
	s->flags |= SCOPE_HAS_RANGES;
	if (!(s->flags & SCOPE_HAS_ENTRY))
		s->entry = s->lo;
}

/* Makes scopes for the innermost open subroutine and the enclosing ones up to its subprogram
 * (the chain LLVM walks), outermost first so every parent exists before its child. */
static int materialize(builder *b)
{
	size_t top = b->open - 1, j = top;
	while (j > 0 && b->stack[j].scope == IX_NONE && b->stack[j].kind != KIND_SUBPROGRAM)
		j--;
	if (b->stack[j].scope != IX_NONE)
		j++; /* already made: the chain starts below it */
	for (; j <= top; j++) {
		open_die *o = &b->stack[j];
		uint32_t parent = IX_NONE;
		if (o->kind == KIND_INLINED && j > 0)
			parent = b->stack[j - 1].scope;
		CRP_TRY(new_scope(b, o, parent));
		if (o->range_n) /* a window left it out, but it encloses what it keeps */
			fill_scope(b, o->scope, o->first_range, o->first_range + o->range_n);
	}
	return CRP_OK;
}

/* The window shrinks to stay clear of [lo, hi)'s ends: inside it, or wholly outside. */
static void narrow(builder *b, uint64_t lo, uint64_t hi)
{
	if (hi <= b->addr) {
		b->cov_lo = hi > b->cov_lo ? hi : b->cov_lo;
	} else if (lo > b->addr) {
		b->cov_hi = lo < b->cov_hi ? lo : b->cov_hi;
	} else {
		b->cov_lo = lo > b->cov_lo ? lo : b->cov_lo;
		b->cov_hi = hi < b->cov_hi ? hi : b->cov_hi;
	}
}

/* Whether a window keeps the subroutine whose ranges are ranges[first..]: one holds addr. */
static bool window_keeps(builder *b, size_t first)
{
	bool holds = false;
	for (size_t i = first; i < b->range_count; i++) {
		narrow(b, b->ranges[i].lo, b->ranges[i].hi);
		holds |= b->ranges[i].lo <= b->addr && b->addr < b->ranges[i].hi;
	}
	return holds;
}

static int add_range(void *ctx, uint64_t lo, uint64_t hi)
{
	builder *b = ctx;
	if (b->failure)
		return 1;
	if (b->range_count >= IX_MAX_ITEMS ||
	    (CRP_UNLIKELY(b->range_count == b->range_cap) &&
	     crp__ix_grow(&b->ix->alloc, (void **)&b->ranges, &b->range_cap, b->range_count + 1, sizeof *b->ranges))) {
		b->failure = CRP_ENOMEM;
		return 1;
	}
	if (CRP_UNLIKELY((b->range_count + 1) * sizeof *b->ranges > b->range_front) && !b->window)
		crp__ix_touch(b->ranges, (b->range_count + 1) * sizeof *b->ranges, b->range_cap * sizeof *b->ranges,
			      &b->range_front);
	/* the scope is filled in by the caller: ranges are collected before it exists */
	b->ranges[b->range_count++] = (ix_range){lo, hi, 0, IX_NONE};
	return 0;
}

static int subroutine(builder *b, const crp_dwarf_die *die)
{
	size_t first = b->range_count;
	int rc = crp__dwarf_die_ranges(b->ix->dwarf, die, b->budget, add_range, b);
	if (b->failure)
		return b->failure;
	if (b->range_count == first)
		return rc;
	open_die *o = &b->stack[b->open - 1];
	if (b->window && !window_keeps(b, first)) { /* kept aside, in case it encloses one kept */
		o->first_range = first;
		o->range_n = b->range_count - first;
		return rc;
	}
	CRP_TRY(materialize(b));
	fill_scope(b, o->scope, first, b->range_count);
	return rc;
}

static uint32_t kind_of(uint32_t tag)
{
	return tag == CRP_DW_TAG_subprogram ? KIND_SUBPROGRAM
	       : tag == CRP_DW_TAG_inlined_subroutine ? KIND_INLINED : KIND_OTHER;
}

/* A subroutine DIE opens: the ones a shallower DIE has ended since the last are closed (the
 * one left on top encloses it: LLVM's parent chain skips lexical blocks and the like). */
static void open_entry(builder *b, const crp_dwarf_die *die)
{
	unsigned end = die->min_depth < die->depth ? die->min_depth : die->depth;
	while (b->open && b->stack[b->open - 1].depth >= end)
		b->open--;
	open_die *o = &b->stack[b->open++];
	memset(o, 0, sizeof *o);
	o->die = die->offset;
	o->kind = kind_of(die->tag);
	o->scope = IX_NONE;
	o->depth = die->depth;
	o->call_file = (uint32_t)die->call_file;
	o->call_line = (uint32_t)die->call_line;
	o->call_column = (uint32_t)die->call_column;
	if (die->has & CRP_DIE_LOW_PC)
		o->entry = die->low_pc, o->has_entry = true;
	else if (die->has & CRP_DIE_ENTRY_PC)
		o->entry = die->entry_pc, o->has_entry = true;
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

/* Whether a window keeps the sequence [lo, hi): it holds addr. A lookup in the window takes
 * the first sequence by end that ends after it, so of those after addr the earliest-ending is
 * remembered: if it ends before the ones holding addr, nothing answers in the window. */
static bool window_sequence(builder *b, uint64_t lo, uint64_t hi)
{
	narrow(b, lo, hi);
	if (lo <= b->addr && b->addr < hi) {
		b->held_end = hi < b->held_end ? hi : b->held_end;
		return true;
	}
	if (lo > b->addr && (!b->stub.hi || hi < b->stub.hi))
		b->stub = (ix_seq){hi, lo, 0, 0};
	return false;
}

/* The window's sequences cut to the rows around it (the last at or before cov_lo up to the
 * first at or after cov_hi), and the stub when it ends first. */
static int window_rows(builder *b)
{
	ix_unitidx *u = b->u;
	size_t w = 0;
	for (size_t k = 0; k < u->seq_count; k++) {
		ix_seq *q = &u->seqs[k];
		size_t from = crp__ix_row_in(u, q, b->cov_lo), to = from;
		while (to + 1 < q->first + q->count && u->rows[to].addr < b->cov_hi)
			to++;
		memmove(u->rows + w, u->rows + from, (to - from + 1) * sizeof *u->rows);
		q->first = (uint32_t)w;
		q->count = (uint32_t)(to - from + 1);
		w += q->count;
	}
	u->row_count = w;
	if (b->stub.hi && b->stub.hi < b->held_end) {
		CRP_TRY(crp__ix_grow(&b->ix->alloc, (void **)&u->seqs, &u->seq_cap, u->seq_count + 1, sizeof *u->seqs));
		b->stub.first = (uint32_t)w;
		u->seqs[u->seq_count++] = b->stub;
	}
	return CRP_OK;
}

/* Closes the sequence read after the unit's rows, in place, dropping rows a lookup can never
 * return: of rows sharing an address only the last is used, and a row repeating its
 * predecessor's place adds nothing. (Rows go straight into the unit's array: a buffer of their
 * own was written and copied once more, and its pages faulted in again for every unit.) */
static int flush_sequence(builder *b, uint64_t end)
{
	ix_unitidx *u = b->u;
	size_t first = u->row_count, n = 0;
	ix_row *out = u->rows + first;
	if (!b->seq_n)
		return CRP_OK;
	if (!b->seq_sorted) /* out-of-order rows (damage): stable by index, then by address */
		qsort(out, b->seq_n, sizeof *out, cmp_row);
	if (end <= out[0].addr)
		return CRP_OK; /* LLVM drops sequences that cover nothing */
	if (u->seq_count >= IX_MAX_ITEMS || u->row_count + b->seq_n + 1 > IX_MAX_ITEMS)
		return CRP_ELIMIT;
	CRP_TRY(crp__ix_grow(&b->ix->alloc, (void **)&u->seqs, &u->seq_cap, u->seq_count + 1, sizeof *u->seqs));
	for (size_t i = 0; i < b->seq_n; i++) {
		ix_row r = out[i]; /* n <= i: what is written never overtakes what is read */
		if (n && out[n - 1].addr == r.addr) {
			out[n - 1] = r;
			if (n > 1 && same_place(&out[n - 2], &out[n - 1]))
				n--;
		} else if (!n || !same_place(&out[n - 1], &r)) {
			out[n++] = r;
		}
	}
	out[n++] = (ix_row){end, 0, 0, 0};
	if (b->window && !window_sequence(b, out[0].addr, end))
		return CRP_OK; /* its rows are written over by the next */
	u->seqs[u->seq_count++] = (ix_seq){end, out[0].addr, (uint32_t)first, (uint32_t)n};
	u->row_count += n;
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
	ix_unitidx *u = b->u;
	size_t at = u->row_count + b->seq_n; /* room for this row and the sequence's end */
	if (CRP_UNLIKELY(at + 2 > u->row_cap) &&
	    crp__ix_grow(&b->ix->alloc, (void **)&u->rows, &u->row_cap, at + 2, sizeof *u->rows)) {
		b->failure = CRP_ENOMEM;
		return 1;
	}
	if (CRP_UNLIKELY((at + 2) * sizeof *u->rows > b->row_front) && !b->window)
		crp__ix_touch(u->rows, (at + 2) * sizeof *u->rows, u->row_cap * sizeof *u->rows, &b->row_front);
	if (b->seq_n && r->addr < u->rows[at - 1].addr)
		b->seq_sorted = false;
	u->rows[at] = (ix_row){r->addr, r->line, r->file, r->column};
	b->seq_n++;
	return 0;
}

static int cmp_seq(const void *a, const void *b)
{
	const ix_seq *x = a, *y = b;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* Sequences by end; a linker writes them in address order, which usually is that already. */
static void sort_sequences(ix_unitidx *u)
{
	for (size_t i = 1; i < u->seq_count; i++)
		if (cmp_seq(&u->seqs[i - 1], &u->seqs[i]) > 0) {
			qsort(u->seqs, u->seq_count, sizeof *u->seqs, cmp_seq);
			return;
		}
}

/* Returns CRP_OK, CRP_ENOMEM, or another code when the table is damaged (rows kept). */
static int unit_lines(builder *b, const crp_dwarf_unit *du)
{
	ix_unitidx *u = b->u;
	if (!du->has_stmt_list)
		return CRP_OK;
	int rc = crp__dwarf_lines_open(&u->lines, b->ix->dwarf, du, b->budget, &b->ix->alloc, NULL);
	if (rc != CRP_OK) {
		crp__dwarf_lines_dispose(&u->lines);
		return rc;
	}
	u->has_lines = true;
	b->seq_n = 0;
	b->seq_sorted = true;
	b->failure = CRP_OK;
	rc = crp__dwarf_lines_run(&u->lines, on_row, b);
	if (b->window && !b->failure)
		b->failure = window_rows(b);
	sort_sequences(u);
	if (crp__ix_accel_build(&b->ix->alloc, &u->seq_accel, u->seqs, sizeof *u->seqs, u->seq_count) != CRP_OK)
		return CRP_ENOMEM;
	if (b->failure)
		return b->failure;
	return rc;
}

/* -- the unit's DIEs --------------------------------------------------------------------- */

static int on_die(builder *b, const crp_dwarf_die *die)
{
	if (die->depth == 0 || kind_of(die->tag) == KIND_OTHER)
		return CRP_OK; /* the unit's own ranges went into the unit map */
	open_entry(b, die);
	int rc = subroutine(b, die);
	return rc == CRP_ENOMEM || rc == CRP_ELIMIT ? rc : CRP_OK; /* a damaged range list is local */
}

static int unit_dies(builder *b)
{
	crp_dwarf_walk w;
	crp_dwarf_die die;
	int rc = crp__dwarf_walk_init(&w, b->ix->dwarf, b->u->unit);
	w.decode_tags = UINT64_C(1) << CRP_DW_TAG_subprogram | UINT64_C(1) << CRP_DW_TAG_inlined_subroutine;
	w.decoded_only = true;
	while (rc == CRP_OK && (rc = crp__dwarf_walk_next(&w, &die)) == CRP_OK)
		rc = on_die(b, &die);
	if (rc == CRP_ENOMEM)
		return rc;
	size_t n = b->range_count;
	if (b->window) { /* what it left out is not painted */
		n = 0;
		for (size_t i = 0; i < b->range_count; i++)
			if (b->ranges[i].id != IX_NONE)
				b->ranges[n++] = b->ranges[i];
	}
	int prc = crp__ix_paint(&b->ix->alloc, b->ranges, n, &b->u->paint);
	if (prc == CRP_OK)
		prc = crp__ix_accel_build(&b->ix->alloc, &b->u->paint.accel, b->u->paint.lo,
					  sizeof *b->u->paint.lo, b->u->paint.count);
	if (prc != CRP_OK)
		return prc;
	return rc == CRP_ITEROVER ? CRP_OK : rc;
}

static size_t footprint(const ix_unitidx *u)
{
	size_t b = sizeof *u + u->scope_cap * sizeof *u->scopes + u->seq_cap * sizeof *u->seqs;
	b += u->row_cap * sizeof *u->rows + u->paint.cap * (sizeof *u->paint.lo + sizeof *u->paint.id);
	b += (u->paint.accel.count + u->seq_accel.count + 2) * sizeof(uint32_t);
	b += u->lines.file_count * sizeof(crp_dwarf_file) + u->lines.dir_count * sizeof(char *);
	return b + u->strings.used;
}

/* Arrays sized from the unit's bytes up front (growing them by doubling copied a unit's index
 * over and over): about one scope and range per 64 bytes of DIEs, one row per 2 bytes of line
 * program. Pages never written cost nothing; what was too much is given back at the end. */
#define ESTIMATE_MAX (1u << 20)

static size_t estimate(uint64_t bytes, unsigned per)
{
	uint64_t n = bytes / per + 16;
	return n < ESTIMATE_MAX ? (size_t)n : ESTIMATE_MAX;
}

static int presize(builder *b, const crp_dwarf_unit *du)
{
	const crp_allocator *a = &b->ix->alloc;
	ix_unitidx *u = b->u;
	size_t scopes = estimate(du->end - du->first_die, 64);
	size_t line = du->has_stmt_list && du->stmt_list < crp__dwarf_sections(b->ix->dwarf)->size[CRP_DW_SEC_LINE]
			      ? crp__dwarf_sections(b->ix->dwarf)->size[CRP_DW_SEC_LINE] - du->stmt_list : 0;
	size_t rows = estimate(line < (du->end - du->first_die) ? line : du->end - du->first_die, 2);
	CRP_TRY(crp__ix_grow(a, (void **)&u->scopes, &u->scope_cap, scopes, sizeof *u->scopes));
	CRP_TRY(crp__ix_grow(a, (void **)&b->ranges, &b->range_cap, scopes, sizeof *b->ranges));
	CRP_TRY(crp__ix_grow(a, (void **)&u->rows, &u->row_cap, rows, sizeof *u->rows));
	return crp__ix_grow(a, (void **)&u->seqs, &u->seq_cap, rows / 8, sizeof *u->seqs);
}

/* Gives back what the estimates reserved and the unit did not use (an allocator that cannot
 * even shrink a block is out of memory: said so, like any other failure). */
static int shrink(const crp_allocator *a, void **p, size_t *cap, size_t count, size_t elem)
{
	if (*cap <= count + count / 8 || !count)
		return CRP_OK;
	void *q = crp__realloc(a, *p, count * elem);
	if (!q)
		return CRP_ENOMEM;
	*p = q;
	*cap = count;
	return CRP_OK;
}

static int shrink_all(builder *b)
{
	const crp_allocator *a = &b->ix->alloc;
	ix_unitidx *u = b->u;
	CRP_TRY(shrink(a, (void **)&u->scopes, &u->scope_cap, u->scope_count, sizeof *u->scopes));
	CRP_TRY(shrink(a, (void **)&u->rows, &u->row_cap, u->row_count, sizeof *u->rows));
	return shrink(a, (void **)&u->seqs, &u->seq_cap, u->seq_count, sizeof *u->seqs);
}

static int build(builder *b)
{
	const crp_dwarf_unit *du = crp__dwarf_unit(b->ix->dwarf, b->u->unit);
	b->stack = crp__malloc(&b->ix->alloc, (CRP_DWARF_MAX_DEPTH + 1) * sizeof *b->stack);
	if (!b->stack || presize(b, du) != CRP_OK)
		return CRP_ENOMEM;
	int rc = unit_dies(b);
	if (rc == CRP_ENOMEM)
		return rc;
	int lrc = unit_lines(b, du);
	if (lrc == CRP_ENOMEM)
		return lrc;
	b->u->damaged = rc != CRP_OK || lrc != CRP_OK;
	return shrink_all(b);
}

static void unit_free_one(crp_symindex *ix, ix_unitidx *u)
{
	crp__dwarf_lines_dispose(&u->lines);
	crp__free(&ix->alloc, atomic_load_explicit(&u->paths, memory_order_relaxed));
	crp__arena_dispose(&u->strings);
	crp__free(&ix->alloc, u->scopes);
	crp__ix_map_free(&ix->alloc, &u->paint);
	crp__free(&ix->alloc, u->seqs);
	crp__ix_accel_free(&ix->alloc, &u->seq_accel);
	crp__free(&ix->alloc, u->rows);
	crp__free(&ix->alloc, u);
}

/* With the windows it replaced. */
void crp__ix_unit_free(crp_symindex *ix, ix_unitidx *u)
{
	while (u) {
		ix_unitidx *older = u->older;
		unit_free_one(ix, u);
		u = older;
	}
}

int crp__ix_build_unit(crp_symindex *ix, uint32_t unit, uint64_t addr, ix_unitidx **out)
{
	ix_unit *iu = &ix->units[unit];
	ix_unitidx *u = crp__malloc(&ix->alloc, sizeof *u);
	*out = NULL;
	if (!u)
		return CRP_ENOMEM;
	memset(u, 0, sizeof *u);
	u->unit = unit;
	crp__arena_init(&u->strings, &ix->alloc, 0);
	atomic_init(&u->paths, NULL);
	atomic_init(&u->last_used, 0);
	/* a second reading replays the first one's budget: it ends where the first did */
	crp_dwarf_budget budget = iu->budget;
	budget.replay = iu->read_once;
	builder b;
	memset(&b, 0, sizeof b);
	b.ix = ix;
	b.u = u;
	b.budget = &budget;
	b.window = addr != IX_WHOLE;
	b.addr = addr;
	b.cov_lo = 0;
	b.cov_hi = UINT64_MAX;
	b.held_end = UINT64_MAX;
	int rc = build(&b);
	u->partial = b.window;
	u->cov_lo = b.cov_lo;
	u->cov_hi = b.cov_hi;
	crp__free(&ix->alloc, b.stack);
	crp__free(&ix->alloc, b.ranges);
	if (rc != CRP_OK) {
		crp__ix_unit_free(ix, u);
		return rc;
	}
	if (!iu->read_once) {
		iu->budget = budget;
		iu->read_once = true;
	}
	atomic_init(&u->bytes, footprint(u));
	*out = u;
	return CRP_OK;
}
