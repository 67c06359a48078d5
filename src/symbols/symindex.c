/* The symbol index: construction driver, interval painting, and lookups. */
#include <stdlib.h>

#include "symindex_int.h"

int crp__ix_grow(crp_symindex *ix, void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return CRP_OK;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (n > SIZE_MAX / elem)
		return CRP_ENOMEM;
	void *q = crp__realloc(&ix->alloc, *p, n * elem);
	if (!q)
		return CRP_ENOMEM;
	*p = q;
	*cap = n;
	return CRP_OK;
}

/* -- painting ---------------------------------------------------------------------------- */

static int cmp_range(const void *a, const void *b)
{
	const ix_range *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->prio < y->prio ? -1 : x->prio > y->prio;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* A max-heap of range indices by prio. */
static void heap_push(uint32_t *h, size_t *n, const ix_range *r, uint32_t v)
{
	size_t i = (*n)++;
	while (i && r[h[(i - 1) / 2]].prio < r[v].prio) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = v;
}

static void heap_pop(uint32_t *h, size_t *n, const ix_range *r)
{
	uint32_t v = h[--(*n)];
	size_t i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= *n)
			break;
		if (c + 1 < *n && r[h[c + 1]].prio > r[h[c]].prio)
			c++;
		if (r[h[c]].prio <= r[v].prio)
			break;
		h[i] = h[c];
		i = c;
	}
	if (*n)
		h[i] = v;
}

static int map_push(crp_symindex *ix, ix_map *m, uint64_t lo, uint32_t id)
{
	size_t cap = m->cap;
	if (m->count >= IX_MAX_ITEMS)
		return CRP_ELIMIT;
	CRP_TRY(crp__ix_grow(ix, (void **)&m->lo, &cap, m->count + 1, sizeof *m->lo));
	cap = m->cap;
	CRP_TRY(crp__ix_grow(ix, (void **)&m->id, &cap, m->count + 1, sizeof *m->id));
	m->cap = cap;
	m->lo[m->count] = lo;
	m->id[m->count++] = id;
	return CRP_OK;
}

/* Sweeps the boundaries in address order keeping the active ranges in a heap (expired ones are
 * dropped when they surface): the top is the winner of each interval. */
static int sweep(crp_symindex *ix, const ix_range *r, size_t n, const uint64_t *his, uint32_t *heap,
		 ix_map *m)
{
	size_t i = 0, j = 0, hn = 0;
	uint32_t last = IX_NONE;
	while (j < n) {
		uint64_t x = i < n && r[i].lo <= his[j] ? r[i].lo : his[j];
		while (i < n && r[i].lo == x)
			heap_push(heap, &hn, r, (uint32_t)i++);
		while (j < n && his[j] == x)
			j++;
		while (hn && r[heap[0]].hi <= x)
			heap_pop(heap, &hn, r);
		uint32_t win = hn ? r[heap[0]].id : IX_NONE;
		if (win != last) {
			CRP_TRY(map_push(ix, m, x, win));
			last = win;
		}
	}
	return CRP_OK;
}

int crp__ix_paint(crp_symindex *ix, ix_range *r, size_t n, ix_map *m)
{
	if (!n)
		return CRP_OK;
	qsort(r, n, sizeof *r, cmp_range);
	uint64_t *his = crp__malloc(&ix->alloc, n * sizeof *his);
	uint32_t *heap = crp__malloc(&ix->alloc, n * sizeof *heap);
	int rc = CRP_ENOMEM;
	if (his && heap) {
		for (size_t i = 0; i < n; i++)
			his[i] = r[i].hi;
		qsort(his, n, sizeof *his, cmp_u64);
		rc = sweep(ix, r, n, his, heap, m);
	}
	crp__free(&ix->alloc, his);
	crp__free(&ix->alloc, heap);
	return rc;
}

/* -- construction ------------------------------------------------------------------------ */

static size_t footprint(const crp_symindex *ix)
{
	size_t b = sizeof *ix + ix->unit_count * sizeof *ix->units;
	b += ix->scope_cap * sizeof *ix->scopes + ix->seq_cap * sizeof *ix->seqs;
	b += ix->row_cap * sizeof *ix->rows + ix->sym_count * sizeof *ix->syms;
	b += ix->where.cap * sizeof *ix->where.e + ix->lines.cap * sizeof *ix->lines.e;
	b += (ix->where.accel.count + ix->lines.accel.count + ix->sym_accel.count + ix->fs_accel.count + 4) *
	     sizeof(uint32_t);
	b += 2 * ix->fs_count * sizeof *ix->fs_lo + ix->sym_count * sizeof *ix->sym_addr;
	for (size_t i = 0; i < ix->unit_count; i++)
		b += ix->units[i].lines.file_count * sizeof(crp_dwarf_file) +
		     ix->units[i].lines.dir_count * sizeof(char *);
	return b;
}

int crp__symindex_build(crp_symindex **out, const crp_symindex_sources *src,
			const crp_allocator *alloc, crp_symindex_stats *stats, crp_error *err)
{
	crp_allocator a;
	crp__allocator_init(&a, alloc);
	crp_symindex *ix = crp__malloc(&a, sizeof *ix);
	*out = NULL;
	if (!ix) {
		if (err)
			crp__error_set(err, CRP_ENOMEM, "out of memory");
		return CRP_ENOMEM;
	}
	memset(ix, 0, sizeof *ix);
	ix->alloc = a;
	crp__arena_init(&ix->strings, &ix->alloc, 0);
	int rc = pthread_mutex_init(&ix->lock, NULL) == 0 ? CRP_OK : CRP_ENOMEM;
	ix->lock_ready = rc == CRP_OK;
	if (rc == CRP_OK)
		rc = src->symtab ? crp__ix_build_symtab(ix, src->symtab) : CRP_OK;
	if (rc == CRP_OK && src->starts) {
		rc = crp__ix_build_starts(ix, src->starts, NULL);
		if (rc == CRP_ECORRUPT) /* damaged starts: name functions without them */
			rc = CRP_OK;
	}
	if (rc == CRP_OK && src->dwarf)
		rc = crp__ix_build_dwarf(ix, src->dwarf, NULL);
	if (rc != CRP_OK) {
		crp__symindex_free(ix);
		if (err)
			crp__error_set(err, rc, "%s while indexing symbols", crp_status_str(rc));
		return rc;
	}
	ix->stats.line_rows = ix->row_count;
	ix->stats.bytes = footprint(ix);
	if (stats)
		*stats = ix->stats;
	*out = ix;
	return CRP_OK;
}

void crp__symindex_free(crp_symindex *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; ix->units && i < ix->unit_count; i++) {
		crp__dwarf_lines_dispose(&ix->units[i].lines);
		crp__free(&ix->alloc, atomic_load_explicit(&ix->units[i].paths, memory_order_relaxed));
	}
	if (ix->lock_ready)
		pthread_mutex_destroy(&ix->lock);
	crp__arena_dispose(&ix->strings);
	crp__free(&ix->alloc, ix->units);
	crp__free(&ix->alloc, ix->scopes);
	crp__free(&ix->alloc, ix->paint.lo);
	crp__free(&ix->alloc, ix->paint.id);
	crp__free(&ix->alloc, ix->cus.lo);
	crp__free(&ix->alloc, ix->cus.id);
	crp__free(&ix->alloc, ix->where.e);
	crp__free(&ix->alloc, ix->lines.e);
	crp__ix_accel_free(ix, &ix->where.accel);
	crp__ix_accel_free(ix, &ix->lines.accel);
	crp__ix_accel_free(ix, &ix->sym_accel);
	crp__ix_accel_free(ix, &ix->fs_accel);
	crp__free(&ix->alloc, ix->sym_addr);
	crp__free(&ix->alloc, ix->seqs);
	crp__free(&ix->alloc, ix->rows);
	crp__free(&ix->alloc, ix->syms);
	crp__free(&ix->alloc, ix->fs_lo);
	crp__free(&ix->alloc, ix->fs_hi);
	crp__dwarf_close(ix->dwarf);
	crp__free(&ix->alloc, ix);
}

/* -- lookups ----------------------------------------------------------------------------- */

static ix_sym *find_symbol(const crp_symindex *ix, uint64_t addr)
{
	size_t i = crp__ix_upper(&ix->sym_accel, ix->sym_addr, sizeof *ix->sym_addr, ix->sym_count, addr);
	if (i == 0)
		return NULL;
	ix_sym *s = &ix->syms[i - 1];
	return s->size && addr - s->addr >= s->size ? NULL : s;
}

/* The function start covering addr, or SIZE_MAX. */
static size_t find_start(const crp_symindex *ix, uint64_t addr)
{
	size_t i = crp__ix_upper(&ix->fs_accel, ix->fs_lo, sizeof *ix->fs_lo, ix->fs_count, addr);
	return i && addr < ix->fs_hi[i - 1] ? i - 1 : SIZE_MAX;
}

/* The place for addr in unit u, if its row names a file (LLVM reports no location
 * otherwise). */
static bool find_place(const crp_symindex *ix, uint32_t unit, uint64_t addr, ix_row *out)
{
	const ix_unit *u = &ix->units[unit];
	size_t i = crp__ix_upper(&ix->lines.accel, ix->lines.e, sizeof *ix->lines.e, ix->lines.count, addr);
	const ix_line *l = i ? &ix->lines.e[i - 1] : NULL;
	if (!l || l->row == IX_NONE)
		return false;
	if (l->row != IX_SLOW) {
		*out = (ix_row){addr, l->line, l->file, l->column};
		return true;
	}
	const ix_row *r = crp__ix_find_row(ix, u, addr);
	if (!r || !crp__dwarf_lines_has_file(&u->lines, r->file))
		return false;
	*out = *r;
	return true;
}

static CRP_NOINLINE const char *resolve_scope_name(crp_symindex *ix, ix_scope *s)
{
	pthread_mutex_lock(&ix->lock);
	const char *n = atomic_load_explicit(&s->name, memory_order_relaxed);
	if (!n) {
		crp_dwarf_die die;
		const char *name = NULL, *link = NULL;
		if (crp__dwarf_die_at(ix->dwarf, s->die, &die) == CRP_OK)
			crp__dwarf_die_names(ix->dwarf, &die, &name, &link);
		n = link ? link : name ? name : crp__symindex_nothing; /* NULL would read as "not yet" */
		atomic_store_explicit(&s->name, n, memory_order_release);
	}
	pthread_mutex_unlock(&ix->lock);
	return n;
}

/* Names are read from DWARF the first time a lookup needs them: most are never needed. */
static const char *scope_name(crp_symindex *ix, uint32_t i)
{
	ix_scope *s = &ix->scopes[i];
	const char *n = atomic_load_explicit(&s->name, memory_order_acquire);
	if (!n)
		n = resolve_scope_name(ix, s);
	return n == crp__symindex_nothing ? NULL : n;
}

static void set_frame(crp_symindex_frame *f, const char *name, uint32_t unit, uint32_t file,
		      uint32_t line, uint32_t column)
{
	f->name = name;
	f->name_slot = NULL;
	f->unit = unit;
	f->file = file;
	f->line = line;
	f->column = column;
}

/* The inline chain from scope s outwards; returns the outermost scope. */
static uint32_t chain(crp_symindex *ix, uint32_t cu, uint32_t s, const ix_row *row,
		      crp_symindex_result *res)
{
	uint32_t prev = IX_NONE, outer = s;
	for (uint32_t t = s; t != IX_NONE; t = ix->scopes[t].parent) {
		outer = t;
		if (res->count == CRP_SYMINDEX_MAX_FRAMES) {
			res->truncated = true;
			continue;
		}
		crp_symindex_frame *f = &res->frames[res->count++];
		if (prev == IX_NONE && row)
			set_frame(f, NULL, cu, row->file, row->line, row->column);
		else if (prev == IX_NONE)
			set_frame(f, NULL, IX_NONE, 0, 0, 0);
		else
			set_frame(f, NULL, cu, ix->scopes[prev].call_file, ix->scopes[prev].call_line,
				  ix->scopes[prev].call_column);
		f->name = scope_name(ix, t);
		f->name_slot = f->name ? &ix->scopes[t].slot : NULL;
		prev = t;
	}
	return outer;
}

static void name_from_symbol(crp_symindex_frame *f, ix_sym *s)
{
	f->name = s->name[0] ? s->name : NULL;
	f->name_slot = f->name ? &s->slot : NULL;
}

/* DWARF knows the function: the symbol table renames it only from inside it. */
static void dwarf_answer(crp_symindex *ix, uint32_t outer, ix_sym *sym, crp_symindex_result *res)
{
	const ix_scope *o = &ix->scopes[outer];
	res->source = CRP_SYMSRC_DWARF;
	if (sym && (o->flags & SCOPE_HAS_RANGES) && sym->addr >= o->lo && sym->addr < o->hi) {
		if (!res->truncated)
			name_from_symbol(&res->frames[res->count - 1], sym);
		res->function_addr = sym->addr;
		res->symbol_size = sym->size;
		res->has_function_addr = true;
	} else if (o->flags & (SCOPE_HAS_RANGES | SCOPE_HAS_ENTRY)) {
		res->function_addr = o->entry;
		res->has_function_addr = true;
	}
}

/* No subroutine DIE: a symbol, else a bare function start, names the function. */
static void symbol_answer(const crp_symindex *ix, uint64_t addr, ix_sym *sym,
			  crp_symindex_result *res)
{
	size_t fs = find_start(ix, addr);
	if (sym && fs != SIZE_MAX && ix->fs_lo[fs] > sym->addr)
		sym = NULL; /* the symbol belongs to an earlier function */
	if (!res->count && (sym || fs != SIZE_MAX))
		set_frame(&res->frames[res->count++], NULL, IX_NONE, 0, 0, 0);
	if (sym) {
		name_from_symbol(&res->frames[res->count - 1], sym);
		res->function_addr = sym->addr;
		res->symbol_size = sym->size;
		res->has_function_addr = true;
		if (res->source == CRP_SYMSRC_NONE)
			res->source = CRP_SYMSRC_SYMTAB;
	} else if (fs != SIZE_MAX) {
		res->function_addr = ix->fs_lo[fs];
		res->has_function_addr = true;
		if (res->source == CRP_SYMSRC_NONE)
			res->source = CRP_SYMSRC_FUNCTION_STARTS;
	}
}

int crp__symindex_lookup(crp_symindex *ix, uint64_t addr, crp_symindex_result *res)
{
	res->source = CRP_SYMSRC_NONE;
	res->function_addr = 0;
	res->has_function_addr = false;
	res->symbol_size = 0;
	res->truncated = false;
	res->count = 0;
	size_t w = crp__ix_upper(&ix->where.accel, ix->where.e, sizeof *ix->where.e, ix->where.count, addr);
	uint32_t cu = w ? ix->where.e[w - 1].unit : IX_NONE, s = w ? ix->where.e[w - 1].scope : IX_NONE;
	ix_sym *sym = find_symbol(ix, addr);
	if (cu != IX_NONE) {
		ix_row place;
		const ix_row *row = find_place(ix, cu, addr, &place) ? &place : NULL;
		if (s != IX_NONE) {
			dwarf_answer(ix, chain(ix, cu, s, row, res), sym, res);
			return CRP_OK;
		}
		if (row) {
			set_frame(&res->frames[res->count++], NULL, cu, row->file, row->line, row->column);
			res->source = CRP_SYMSRC_DWARF;
		}
	}
	symbol_answer(ix, addr, sym, res);
	return CRP_OK;
}

static CRP_NOINLINE crp_symindex_slot *new_paths(crp_symindex *ix, ix_unit *u)
{
	pthread_mutex_lock(&ix->lock);
	crp_symindex_slot *p = atomic_load_explicit(&u->paths, memory_order_relaxed);
	if (!p) {
		size_t n = u->lines.file_count + 1; /* 1-based before DWARF 5 */
		if ((p = crp__malloc(&ix->alloc, n * sizeof *p)) != NULL) {
			memset(p, 0, n * sizeof *p);
			u->path_count = n;
			atomic_store_explicit(&u->paths, p, memory_order_release);
		}
	}
	pthread_mutex_unlock(&ix->lock);
	return p;
}

int crp__symindex_path_slot(crp_symindex_slot **out, crp_symindex *ix, const crp_symindex_frame *f)
{
	*out = NULL;
	if (f->unit == IX_NONE || f->unit >= ix->unit_count)
		return CRP_OK;
	ix_unit *u = &ix->units[f->unit];
	if (!u->has_lines)
		return CRP_OK;
	crp_symindex_slot *p = atomic_load_explicit(&u->paths, memory_order_acquire);
	if (!p && !(p = new_paths(ix, u)))
		return CRP_ENOMEM;
	*out = f->file < u->path_count ? &p[f->file] : NULL;
	return CRP_OK;
}

const char crp__symindex_nothing[] = "";

int crp__symindex_slot_fill(crp_symindex *ix, crp_symindex_slot *slot, const char *text, size_t len,
			    bool copy, unsigned flags, const char **out_text, unsigned *out_flags)
{
	int rc = CRP_OK;
	pthread_mutex_lock(&ix->lock);
	if (!atomic_load_explicit(&slot->text, memory_order_relaxed)) { /* else another thread won */
		const char *t = text && copy ? crp__arena_strndup(&ix->strings, text, len) : text;
		if (text && !t) {
			rc = CRP_ENOMEM;
		} else {
			slot->flags = flags;
			atomic_store_explicit(&slot->text, t ? t : crp__symindex_nothing, memory_order_release);
		}
	}
	pthread_mutex_unlock(&ix->lock);
	if (rc == CRP_OK)
		crp__symindex_slot_get(slot, out_text, out_flags);
	return rc;
}

size_t crp__symindex_path(const crp_symindex *ix, const crp_symindex_frame *f, char *out,
			  size_t cap)
{
	if (f->unit == IX_NONE || f->unit >= ix->unit_count || !ix->units[f->unit].has_lines) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	const ix_unit *u = &ix->units[f->unit];
	size_t n = crp__dwarf_lines_path(&u->lines, f->file, u->comp_dir, out, cap);
	if (!n && cap)
		out[0] = '\0';
	return n;
}
