/* The DWARF part of a Breakpad symbol file: one walk over each unit's DIEs collecting the
 * functions (DW_TAG_subprogram with code) and their inlined calls, then the unit's line
 * program cut into line records and shared out among the unit's functions, the way Breakpad's
 * DwarfCUToModule does it:
 * - a line record runs from its row to the next row of the sequence; rows sharing an address
 *   leave only the last; a record at address 0 (dead code) is dropped, and so are records
 *   continuing straight after a dropped one;
 * - a record is clipped to every function range it overlaps (records outside functions go);
 * - an inlined call with no code is dropped with everything inlined into it. */
#include <stdlib.h>

#include "breakpad_int.h"
#include "demangle/demangle.h"

#define FILE_UNSET (BP_NONE - 1)

typedef struct frame {
	uint32_t func, inl;          /* innermost function / inlined call around (BP_NONE: none) */
	const char *name;            /* of a scope DIE (namespace, class...), NULL when unnamed */
	bool scope;
} frame;

typedef struct line_rec {
	uint64_t lo, hi;
	uint32_t line, file, seq;
} line_rec;

typedef struct unit_ctx {
	bp_dump *b;
	crp_dwarf *d;
	frame *stack;                /* CRP_DWARF_MAX_DEPTH + 1 */
	crp_dwarf_lines lt;
	bool has_lines;
	const char *comp_dir;
	uint32_t *file_ids;          /* per line-table file index */
	size_t file_slots;
	char *path;
	size_t path_cap;
	bp_range *tmp;               /* ranges of the DIE being read */
	size_t tmp_n, tmp_cap;
	line_rec *recs;              /* line records of the unit */
	size_t rec_n, rec_cap;
	bp_line *fr;                 /* function ranges of the unit (addr, size, func) */
	size_t fr_n, fr_cap;
	size_t func_first;           /* the unit's functions: [func_first, b->func_count) */
	uint64_t pend_addr;          /* the row waiting for its end */
	uint32_t pend_line, pend_file;
	bool pending;
	uint64_t omitted_end;
	int fatal;                   /* out of memory or over budget: stop everything */
} unit_ctx;

/* -- names --------------------------------------------------------------------------------- */

static const char *dup_name(unit_ctx *u, const char *s)
{
	const char *p = crp__arena_strndup(&u->b->strings, s, strlen(s));
	if (!p)
		u->fatal = crp__bp_oom(u->b);
	return p;
}

/* Enclosing namespaces and classes, joined with "::". An unnamed one starts the name afresh,
 * as Breakpad's qualified names do. Capped at BP_MAX_NAME bytes. */
static const char *qualify(unit_ctx *u, unsigned depth, const char *name)
{
	char *buf = u->b->namebuf;
	size_t n = 0;
	for (unsigned i = 0; i < depth; i++) {
		const frame *f = &u->stack[i];
		if (!f->scope)
			continue;
		if (!f->name) {
			n = 0;
			continue;
		}
		size_t len = strlen(f->name);
		if (n + len + 2 >= BP_MAX_NAME)
			break;
		memcpy(buf + n, f->name, len);
		memcpy(buf + n + len, "::", 2);
		n += len + 2;
	}
	size_t len = strlen(name);
	if (!n || n + len >= BP_MAX_NAME)
		return dup_name(u, name);
	memcpy(buf + n, name, len + 1);
	return dup_name(u, buf);
}

/* Breakpad's choice: the demangled linkage name, else the DWARF name (qualified when it is the
 * DIE's own), else the raw linkage name. Names are searched through abstract origins and
 * specifications. */
static const char *die_name(unit_ctx *u, const crp_dwarf_die *die, bool qualified)
{
	const char *name = NULL, *linkage = NULL;
	crp__dwarf_die_names(u->d, die, &name, &linkage);
	if (linkage && crp__demangle_cxx(linkage, u->b->namebuf, BP_MAX_NAME))
		return dup_name(u, u->b->namebuf);
	if (linkage && crp__bp_demangle_swift(u->b, linkage))
		return dup_name(u, u->b->namebuf);
	if (name && *name)
		return qualified && die->name.form ? qualify(u, die->depth, name) : dup_name(u, name);
	if (linkage && *linkage)
		return dup_name(u, linkage);
	return "<name omitted>";
}

/* The INLINE_ORIGIN index of an inlined call, resolved once per abstract origin. */
static uint32_t origin_of(unit_ctx *u, const crp_dwarf_die *die)
{
	bp_dump *b = u->b;
	bp_u64map *m = &b->origin_cache;
	uint64_t key = die->has & CRP_DIE_ABSTRACT_ORIGIN ? die->abstract_origin : die->offset;
	if ((m->count + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		uint64_t *k = crp__malloc(&b->alloc, cap * sizeof *k);
		uint32_t *v = crp__malloc(&b->alloc, cap * sizeof *v);
		if (!k || !v) {
			crp__free(&b->alloc, k);
			crp__free(&b->alloc, v);
			u->fatal = crp__bp_oom(b);
			return BP_NONE;
		}
		memset(v, 0, cap * sizeof *v);
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->val[i])
				continue;
			size_t j = (size_t)(m->key[i] * UINT64_C(0x9e3779b97f4a7c15) >> 20) & (cap - 1);
			while (v[j])
				j = (j + 1) & (cap - 1);
			k[j] = m->key[i], v[j] = m->val[i];
		}
		crp__free(&b->alloc, m->key);
		crp__free(&b->alloc, m->val);
		m->key = k, m->val = v, m->cap = cap;
	}
	size_t j = (size_t)(key * UINT64_C(0x9e3779b97f4a7c15) >> 20) & (m->cap - 1);
	while (m->val[j] && m->key[j] != key)
		j = (j + 1) & (m->cap - 1);
	if (m->val[j])
		return m->val[j] - 1;
	const char *name = die_name(u, die, false);
	uint32_t idx;
	if (!name || (u->fatal = crp__bp_intern(b, &b->origins, name, &idx)) != CRP_OK)
		return BP_NONE;
	m->key[j] = key;
	m->val[j] = idx + 1;
	m->count++;
	return idx;
}

/* The interned path of line-table file @p index, or BP_NONE when it names no file. */
static uint32_t file_of(unit_ctx *u, uint64_t index)
{
	if (!u->has_lines || !crp__dwarf_lines_has_file(&u->lt, index))
		return BP_NONE;
	uint32_t *slot = &u->file_ids[index]; /* index <= file_count: has_file checked */
	if (*slot != FILE_UNSET)
		return *slot;
	size_t n = crp__dwarf_lines_path(&u->lt, index, u->comp_dir, u->path, u->path_cap);
	if (n >= u->path_cap) {
		char *p = crp__realloc(&u->b->alloc, u->path, n + 1);
		if (!p) {
			u->fatal = crp__bp_oom(u->b);
			return BP_NONE;
		}
		u->path = p;
		u->path_cap = n + 1;
		n = crp__dwarf_lines_path(&u->lt, index, u->comp_dir, u->path, u->path_cap);
	}
	*slot = BP_NONE;
	if (n && (u->fatal = crp__bp_intern(u->b, &u->b->files, u->path, slot)) != CRP_OK)
		*slot = BP_NONE;
	return *slot;
}

/* -- functions and inlined calls ----------------------------------------------------------- */

static int add_tmp_range(void *ctx, uint64_t lo, uint64_t hi)
{
	unit_ctx *u = ctx;
	/* below __TEXT (address 0 above all) is code the linker dropped */
	if (lo < u->b->base || lo == 0)
		return 0;
	int rc = crp__bp_grow(u->b, (void **)&u->tmp, &u->tmp_cap, u->tmp_n + 1, sizeof *u->tmp);
	if (rc != CRP_OK) {
		u->fatal = rc;
		return 1;
	}
	u->tmp[u->tmp_n++] = (bp_range){lo, hi};
	return 0;
}

static int cmp_range(const void *x, const void *y)
{
	const bp_range *a = x, *b = y;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->hi < b->hi ? -1 : a->hi > b->hi;
}

/* The DIE's ranges into u->tmp; a damaged range list gives what was read before the damage. */
static int read_ranges(unit_ctx *u, const crp_dwarf_die *die, bool sorted)
{
	u->tmp_n = 0;
	crp__dwarf_die_ranges(u->d, die, NULL, add_tmp_range, u);
	if (u->fatal)
		return u->fatal;
	if (sorted && u->tmp_n > 1)
		crp__bp_sort(u->tmp, u->tmp_n, sizeof *u->tmp, cmp_range);
	return CRP_OK;
}

static int keep_ranges(unit_ctx *u, uint32_t *first)
{
	bp_dump *b = u->b;
	CRP_TRY(crp__bp_grow(b, (void **)&b->ranges, &b->range_cap, b->range_count + u->tmp_n,
			     sizeof *b->ranges));
	memcpy(b->ranges + b->range_count, u->tmp, u->tmp_n * sizeof *u->tmp);
	*first = (uint32_t)b->range_count;
	b->range_count += u->tmp_n;
	return CRP_OK;
}

static int on_subprogram(unit_ctx *u, const crp_dwarf_die *die, frame *f)
{
	bp_dump *b = u->b;
	f->func = f->inl = BP_NONE;
	CRP_TRY(read_ranges(u, die, true));
	if (!u->tmp_n)
		return CRP_OK; /* a declaration, or code that was not linked */
	const char *name = die_name(u, die, true);
	if (!name)
		return u->fatal;
	bp_func fn = {u->tmp[0].lo, name, 0, (uint32_t)u->tmp_n, 0, 0, 0, 0, false, false};
	CRP_TRY(u->fatal = keep_ranges(u, &fn.range_first));
	CRP_TRY(u->fatal = crp__bp_grow(b, (void **)&b->funcs, &b->func_cap, b->func_count + 1,
					sizeof *b->funcs));
	b->funcs[b->func_count] = fn;
	f->func = (uint32_t)b->func_count++;
	return CRP_OK;
}

static int on_inlined(unit_ctx *u, const crp_dwarf_die *die, const frame *parent, frame *f)
{
	bp_dump *b = u->b;
	f->func = f->inl = BP_NONE; /* dropped calls take what was inlined into them along */
	if (parent->func == BP_NONE || (b->flags & CRP_BREAKPAD_NO_INLINES))
		return CRP_OK;
	CRP_TRY(read_ranges(u, die, false)); /* Breakpad keeps the DWARF order */
	if (!u->tmp_n)
		return CRP_OK;
	bp_inline in = {parent->func, (uint32_t)b->inline_count, 0, BP_NONE, BP_NONE,
			die->has & CRP_DIE_CALL_LINE ? die->call_line : 0, 0, (uint32_t)u->tmp_n};
	in.level = parent->inl == BP_NONE ? 0 : b->inlines[parent->inl].level + 1;
	in.call_file = file_of(u, die->has & CRP_DIE_CALL_FILE ? die->call_file : 0);
	in.origin = origin_of(u, die);
	if (u->fatal)
		return u->fatal;
	CRP_TRY(u->fatal = keep_ranges(u, &in.range_first));
	CRP_TRY(u->fatal = crp__bp_grow(b, (void **)&b->inlines, &b->inline_cap, b->inline_count + 1,
				   sizeof *b->inlines));
	b->inlines[b->inline_count] = in;
	f->func = parent->func;
	f->inl = (uint32_t)b->inline_count++;
	return CRP_OK;
}

static bool is_scope(uint32_t tag)
{
	return tag == CRP_DW_TAG_namespace || tag == CRP_DW_TAG_class_type ||
	       tag == CRP_DW_TAG_structure_type || tag == CRP_DW_TAG_union_type;
}

static int on_die(unit_ctx *u, const crp_dwarf_die *die)
{
	static const frame root = {BP_NONE, BP_NONE, NULL, false};
	const frame *parent = die->depth ? &u->stack[die->depth - 1] : &root;
	frame *f = &u->stack[die->depth];
	*f = (frame){parent->func, parent->inl, NULL, false};
	if (die->tag == CRP_DW_TAG_subprogram)
		return on_subprogram(u, die, f);
	if (die->tag == CRP_DW_TAG_inlined_subroutine)
		return on_inlined(u, die, parent, f);
	if (is_scope(die->tag)) {
		f->scope = true;
		f->name = crp__dwarf_string(u->d, die->unit, &die->name);
		if (f->name && !*f->name)
			f->name = NULL;
	}
	return CRP_OK;
}

/* -- lines --------------------------------------------------------------------------------- */

static void add_record(unit_ctx *u, uint64_t addr, uint64_t len, uint32_t file, uint32_t line)
{
	if (len == 0)
		return;
	if (addr == 0 || addr == u->omitted_end) { /* dead code, and what continues it */
		u->omitted_end = addr + len;
		return;
	}
	u->omitted_end = 0;
	uint32_t id = file_of(u, file);
	if (id == BP_NONE || u->fatal)
		return;
	if ((u->fatal = crp__bp_grow(u->b, (void **)&u->recs, &u->rec_cap, u->rec_n + 1, sizeof *u->recs)))
		return;
	u->recs[u->rec_n] = (line_rec){addr, addr + len, line, id, (uint32_t)u->rec_n};
	u->rec_n++;
}

static int on_row(void *ctx, const crp_dwarf_row *r)
{
	unit_ctx *u = ctx;
	/* a row going backwards is damage: its predecessor gets no length */
	if (u->pending && r->addr >= u->pend_addr)
		add_record(u, u->pend_addr, r->addr - u->pend_addr, u->pend_file, u->pend_line);
	u->pending = !r->end_sequence;
	u->pend_addr = r->addr;
	u->pend_file = r->file;
	u->pend_line = r->line;
	return u->fatal != CRP_OK;
}

static int cmp_rec(const void *x, const void *y)
{
	const line_rec *a = x, *b = y;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_fr(const void *x, const void *y)
{
	const bp_line *a = x, *b = y;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->func < b->func ? -1 : a->func > b->func;
}

/* The unit's function ranges, by address. */
static int unit_ranges(unit_ctx *u)
{
	bp_dump *b = u->b;
	u->fr_n = 0;
	for (size_t i = u->func_first; i < b->func_count; i++)
		for (uint32_t k = 0; k < b->funcs[i].range_count; k++) {
			const bp_range *r = &b->ranges[b->funcs[i].range_first + k];
			CRP_TRY(crp__bp_grow(b, (void **)&u->fr, &u->fr_cap, u->fr_n + 1, sizeof *u->fr));
			u->fr[u->fr_n++] = (bp_line){r->lo, r->hi - r->lo, 0, 0, (uint32_t)i, 0};
		}
	crp__bp_sort(u->fr, u->fr_n, sizeof *u->fr, cmp_fr);
	return CRP_OK;
}

/* The first record ending after addr (records are sorted and normally disjoint). */
static size_t first_rec(const unit_ctx *u, uint64_t addr)
{
	size_t lo = 0, hi = u->rec_n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (u->recs[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && u->recs[lo - 1].hi > addr ? lo - 1 : lo;
}

static int emit_line(unit_ctx *u, const line_rec *r, const bp_line *f)
{
	bp_dump *b = u->b;
	uint64_t lo = r->lo > f->addr ? r->lo : f->addr, end = f->addr + f->size;
	uint64_t hi = r->hi < end ? r->hi : end;
	if (lo >= hi)
		return CRP_OK;
	if (!b->budget)
		return crp__bp_limit(b, "line records");
	b->budget--;
	CRP_TRY(crp__bp_grow(b, (void **)&b->lines, &b->line_cap, b->line_count + 1, sizeof *b->lines));
	b->lines[b->line_count] = (bp_line){lo, hi - lo, r->line, r->file, f->func, (uint32_t)b->line_count};
	b->line_count++;
	return CRP_OK;
}

/* Every record clipped to every function range it overlaps. */
static int share_lines(unit_ctx *u)
{
	if (!u->rec_n || u->func_first == u->b->func_count)
		return CRP_OK;
	crp__bp_sort(u->recs, u->rec_n, sizeof *u->recs, cmp_rec);
	CRP_TRY(unit_ranges(u));
	for (size_t i = 0; i < u->fr_n; i++) {
		const bp_line *f = &u->fr[i];
		for (size_t k = first_rec(u, f->addr); k < u->rec_n && u->recs[k].lo < f->addr + f->size; k++)
			CRP_TRY(emit_line(u, &u->recs[k], f));
	}
	return CRP_OK;
}

/* -- units --------------------------------------------------------------------------------- */

static int open_lines(unit_ctx *u, const crp_dwarf_unit *unit)
{
	u->has_lines = false;
	if (!unit->has_stmt_list)
		return CRP_OK;
	int rc = crp__dwarf_lines_open(&u->lt, u->d, unit, NULL, &u->b->alloc, NULL);
	if (rc == CRP_ENOMEM)
		return u->fatal = crp__bp_oom(u->b);
	if (rc != CRP_OK) {
		u->b->units_damaged++;
		return CRP_OK;
	}
	u->file_slots = u->lt.file_count + 1;
	u->file_ids = crp__malloc(&u->b->alloc, u->file_slots * sizeof *u->file_ids);
	if (!u->file_ids)
		return u->fatal = crp__bp_oom(u->b);
	for (size_t i = 0; i < u->file_slots; i++)
		u->file_ids[i] = FILE_UNSET;
	u->has_lines = true;
	return CRP_OK;
}

static void close_lines(unit_ctx *u)
{
	crp__dwarf_lines_dispose(&u->lt);
	crp__free(&u->b->alloc, u->file_ids);
	u->file_ids = NULL;
	u->has_lines = false;
}

static int walk_dies(unit_ctx *u, size_t index)
{
	crp_dwarf_walk w;
	crp_dwarf_die die;
	int rc = crp__dwarf_walk_init(&w, u->d, index);
	while (rc == CRP_OK && (rc = crp__dwarf_walk_next(&w, &die)) == CRP_OK)
		rc = on_die(u, &die);
	if (u->fatal)
		return u->fatal;
	if (rc == CRP_ENOMEM)
		return u->fatal = crp__bp_oom(u->b);
	if (rc != CRP_ITEROVER)
		u->b->units_damaged++; /* what came before the damage is kept */
	return CRP_OK;
}

static int run_lines(unit_ctx *u)
{
	if (!u->has_lines)
		return CRP_OK;
	u->rec_n = 0;
	u->pending = false;
	u->omitted_end = 0;
	int rc = crp__dwarf_lines_run(&u->lt, on_row, u);
	if (u->fatal)
		return u->fatal;
	if (rc != CRP_OK)
		u->b->units_damaged++;
	return share_lines(u);
}

static int one_unit(unit_ctx *u, size_t index)
{
	const crp_dwarf_unit *unit = crp__dwarf_unit(u->d, index);
	if (unit->status != CRP_OK) {
		u->b->units_damaged++;
		return CRP_OK;
	}
	if (unit->unit_type != CRP_DW_UT_compile && unit->unit_type != CRP_DW_UT_partial)
		return CRP_OK; /* type units and skeletons hold no code of their own */
	u->comp_dir = unit->comp_dir;
	u->func_first = u->b->func_count;
	int rc = open_lines(u, unit);
	if (rc == CRP_OK)
		rc = walk_dies(u, index);
	if (rc == CRP_OK)
		rc = run_lines(u);
	close_lines(u);
	return rc;
}

static void ctx_dispose(unit_ctx *u)
{
	const crp_allocator *a = &u->b->alloc;
	crp__free(a, u->stack);
	crp__free(a, u->path);
	crp__free(a, u->tmp);
	crp__free(a, u->recs);
	crp__free(a, u->fr);
	crp__dwarf_close(u->d);
}

int crp__bp_add_dwarf(bp_dump *b, const crp_macho *m)
{
	crp_dwarf_sections secs;
	crp__macho_dwarf_sections(m, &secs);
	if (!secs.data[CRP_DW_SEC_INFO])
		return CRP_OK;
	unit_ctx u;
	memset(&u, 0, sizeof u);
	u.b = b;
	int rc = crp__dwarf_open(&u.d, &secs, &b->alloc, b->err);
	if (rc != CRP_OK)
		return rc; /* only out of memory: damage is per unit */
	u.stack = crp__malloc(&b->alloc, (CRP_DWARF_MAX_DEPTH + 1) * sizeof *u.stack);
	u.path_cap = 1024;
	u.path = crp__malloc(&b->alloc, u.path_cap);
	rc = u.stack && u.path ? CRP_OK : crp__bp_oom(b);
	for (size_t i = 0; rc == CRP_OK && i < crp__dwarf_unit_count(u.d); i++)
		rc = one_unit(&u, i);
	ctx_dispose(&u);
	return rc;
}
