/* The symbol index: construction of the image level, unit indexes built on first use, interval
 * painting, and lookups. */
#include <stdlib.h>
#include <sys/mman.h>

#include "symindex_int.h"

#define PREFAULT_MIN (256u * 1024)
#define PREFAULT_STEP (1024u * 1024)

void crp__ix_prefault(void *start, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	char *p = start;
	if (!p || len < PREFAULT_MIN)
		return;
	uintptr_t page = 4096, lo = ((uintptr_t)p + page - 1) & ~(page - 1), hi = ((uintptr_t)p + len) & ~(page - 1);
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
#else
	CRP_UNUSED(start), CRP_UNUSED(len);
#endif
}

void crp__ix_touch(void *base, size_t used, size_t cap, size_t *front)
{
	if (used <= *front)
		return;
	size_t to = (used > *front + PREFAULT_STEP ? used : *front) + PREFAULT_STEP;
	to = to < cap ? to : cap;
	crp__ix_prefault((char *)base + *front, to - *front);
	*front = to;
}

int crp__ix_grow(const crp_allocator *a, void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return CRP_OK;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n = n > SIZE_MAX / 2 ? need : n * 2;
	if (n > SIZE_MAX / elem)
		return CRP_ENOMEM;
	void *q = crp__realloc(a, *p, n * elem);
	if (!q)
		return CRP_ENOMEM;
	if (*cap) /* a full array growing: its new room is written next (a first size may be an estimate) */
		crp__ix_prefault((char *)q + *cap * elem, (n - *cap) * elem);
	*p = q;
	*cap = n;
	return CRP_OK;
}

/* -- painting ---------------------------------------------------------------------------- */

/* Ranges by (lo, prio), radix sorted (a unit has tens of thousands; comparison sorts spent
 * their time in mispredicted branches). Ranges usually come in prio order (a unit's scopes
 * are numbered in DIE order): then one stable pass by lo is enough. */
static int sort_ranges(const crp_allocator *a, ix_range *r, size_t n)
{
	bool by_prio = true, sorted = true;
	for (size_t i = 1; i < n; i++) {
		by_prio &= r[i - 1].prio <= r[i].prio;
		sorted &= r[i - 1].lo < r[i].lo || (r[i - 1].lo == r[i].lo && r[i - 1].prio <= r[i].prio);
	}
	if (sorted)
		return CRP_OK;
	crp_sort_key *k = crp__malloc(a, 2 * n * sizeof *k);
	ix_range *out = crp__malloc(a, n * sizeof *out);
	int rc = k && out ? CRP_OK : CRP_ENOMEM;
	if (rc == CRP_OK) {
		for (size_t i = 0; i < n; i++)
			k[i] = (crp_sort_key){r[i].prio, i};
		if (!by_prio)
			crp__sort_keys(k, k + n, n);
		for (size_t i = 0; i < n; i++)
			k[i].key = r[k[i].pos].lo;
		crp__sort_keys(k, k + n, n);
		for (size_t i = 0; i < n; i++)
			out[i] = r[k[i].pos];
		memcpy(r, out, n * sizeof *r);
	}
	crp__free(a, k);
	crp__free(a, out);
	return rc;
}

/* The ranges' ends, sorted. */
static int sorted_ends(const crp_allocator *a, const ix_range *r, size_t n, uint64_t *his)
{
	crp_sort_key *k = crp__malloc(a, 2 * n * sizeof *k);
	if (!k)
		return CRP_ENOMEM;
	for (size_t i = 0; i < n; i++)
		k[i] = (crp_sort_key){r[i].hi, 0};
	crp__sort_keys(k, k + n, n);
	for (size_t i = 0; i < n; i++)
		his[i] = k[i].key;
	crp__free(a, k);
	return CRP_OK;
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

int crp__ix_map_reserve(const crp_allocator *a, ix_map *m, size_t n)
{
	size_t cap = m->cap;
	n = n < IX_MAX_ITEMS ? n : IX_MAX_ITEMS;
	CRP_TRY(crp__ix_grow(a, (void **)&m->lo, &cap, n, sizeof *m->lo));
	cap = m->cap;
	CRP_TRY(crp__ix_grow(a, (void **)&m->id, &cap, n, sizeof *m->id));
	m->cap = cap;
	crp__ix_prefault(m->lo + m->count, (cap - m->count) * sizeof *m->lo);
	crp__ix_prefault(m->id + m->count, (cap - m->count) * sizeof *m->id);
	return CRP_OK;
}

int crp__ix_map_push(const crp_allocator *a, ix_map *m, uint64_t lo, uint32_t id)
{
	size_t cap = m->cap;
	if (CRP_LIKELY(m->count < cap)) {
		m->lo[m->count] = lo;
		m->id[m->count++] = id;
		return CRP_OK;
	}
	if (m->count >= IX_MAX_ITEMS)
		return CRP_ELIMIT;
	CRP_TRY(crp__ix_grow(a, (void **)&m->lo, &cap, m->count + 1, sizeof *m->lo));
	cap = m->cap;
	CRP_TRY(crp__ix_grow(a, (void **)&m->id, &cap, m->count + 1, sizeof *m->id));
	m->cap = cap;
	m->lo[m->count] = lo;
	m->id[m->count++] = id;
	return CRP_OK;
}

/* Sweeps the boundaries in address order keeping the active ranges in a heap (expired ones are
 * dropped when they surface): the top is the winner of each interval. */
static int sweep(const crp_allocator *a, const ix_range *r, size_t n, const uint64_t *his, uint32_t *heap,
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
			CRP_TRY(crp__ix_map_push(a, m, x, win));
			last = win;
		}
	}
	return CRP_OK;
}

/* Ranges in address order, none overlapping the next (a unit map read from a linker's
 * .debug_aranges, usually): the painting is the ranges themselves. */
static bool disjoint(const ix_range *r, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (r[i].lo < r[i - 1].hi)
			return false;
	return true;
}

static int paint_disjoint(const crp_allocator *a, const ix_range *r, size_t n, ix_map *m)
{
	uint32_t last = IX_NONE;
	for (size_t i = 0; i < n; i++) {
		if (r[i].id != last)
			CRP_TRY(crp__ix_map_push(a, m, r[i].lo, last = r[i].id));
		if (i + 1 == n || r[i + 1].lo > r[i].hi)
			CRP_TRY(crp__ix_map_push(a, m, r[i].hi, last = IX_NONE));
	}
	return CRP_OK;
}

int crp__ix_paint(const crp_allocator *a, ix_range *r, size_t n, ix_map *m)
{
	if (!n)
		return CRP_OK;
	if (disjoint(r, n))
		return paint_disjoint(a, r, n, m);
	CRP_TRY(sort_ranges(a, r, n));
	uint64_t *his = crp__malloc(a, n * sizeof *his);
	uint32_t *heap = crp__malloc(a, n * sizeof *heap);
	int rc = his && heap ? sorted_ends(a, r, n, his) : CRP_ENOMEM;
	if (rc == CRP_OK)
		rc = sweep(a, r, n, his, heap, m);
	crp__free(a, his);
	crp__free(a, heap);
	return rc;
}

void crp__ix_map_free(const crp_allocator *a, ix_map *m)
{
	crp__free(a, m->lo);
	crp__free(a, m->id);
	crp__ix_accel_free(a, &m->accel);
	memset(m, 0, sizeof *m);
}

uint32_t crp__ix_map_find(const ix_map *m, uint64_t x)
{
	size_t i = crp__ix_upper(&m->accel, m->lo, sizeof *m->lo, m->count, x);
	return i ? m->id[i - 1] : IX_NONE;
}

/* -- construction ------------------------------------------------------------------------ */

static size_t footprint(const crp_symindex *ix)
{
	size_t b = sizeof *ix + ix->unit_count * sizeof *ix->units + ix->sym_count * sizeof *ix->syms;
	b += ix->cus.cap * (sizeof *ix->cus.lo + sizeof *ix->cus.id);
	b += (ix->cus.accel.count + ix->sym_accel.count + ix->fs_accel.count + 3) * sizeof(uint32_t);
	return b + 2 * ix->fs_count * sizeof *ix->fs_lo;
}

static int init_locks(crp_symindex *ix)
{
	if (pthread_mutex_init(&ix->lock, NULL) != 0)
		return CRP_ENOMEM;
	if (pthread_mutex_init(&ix->build_lock, NULL) != 0) {
		pthread_mutex_destroy(&ix->lock);
		return CRP_ENOMEM;
	}
	if (pthread_cond_init(&ix->built, NULL) != 0) {
		pthread_mutex_destroy(&ix->build_lock);
		pthread_mutex_destroy(&ix->lock);
		return CRP_ENOMEM;
	}
	ix->locks_ready = true;
	return CRP_OK;
}

static int build_parts(crp_symindex *ix, const crp_symindex_sources *src)
{
	CRP_TRY(init_locks(ix));
	if (src->symtab)
		CRP_TRY(crp__ix_build_symtab(ix, src->symtab));
	if (src->starts) {
		int rc = crp__ix_build_starts(ix, src->starts, NULL);
		if (rc != CRP_ECORRUPT) /* damaged starts: name functions without them */
			CRP_TRY(rc);
	}
	return src->dwarf ? crp__ix_build_dwarf(ix, src->dwarf, NULL) : CRP_OK;
}

/* The whole pages of [p, p + n) inside the DWARF file's mapping leave the resident set. */
static void drop_pages(const crp_symindex *ix, const uint8_t *p, size_t n)
{
	/* in integers: p may be NULL (an absent section), and so may the mapping */
	uintptr_t lo = (uintptr_t)ix->hooks.mapped, hi = lo + ix->hooks.mapped_size, at = (uintptr_t)p;
	uintptr_t page = 4096, a = (at + page - 1) & ~(page - 1), b = (at + n) & ~(page - 1);
	if (lo && at >= lo && n <= hi - at && a < b)
		madvise((void *)a, b - a, MADV_DONTNEED);
}

/* What only building the image level reads (the symbol entries, .debug_aranges) leaves the
 * resident set: names are read from the string table as lookups need them. */
static void drop_image_pages(const crp_symindex *ix)
{
	const crp_macho *m = ix->symtab;
	if (m && m->has_symtab)
		drop_pages(ix, m->data + m->symoff, (size_t)m->nsyms * (m->is64 ? 16 : 12));
	if (ix->dwarf) {
		const crp_dwarf_sections *secs = crp__dwarf_sections(ix->dwarf);
		drop_pages(ix, secs->data[CRP_DW_SEC_ARANGES], secs->size[CRP_DW_SEC_ARANGES]);
	}
}

int crp__symindex_build(crp_symindex **out, const crp_symindex_sources *src,
			const crp_allocator *alloc, const crp_symindex_hooks *hooks,
			crp_symindex_stats *stats, crp_error *err)
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
	if (hooks)
		ix->hooks = *hooks;
	atomic_init(&ix->units_built, 0);
	atomic_init(&ix->unit_bytes, 0);
	atomic_init(&ix->own_bytes, 0);
	crp__arena_init(&ix->strings, &ix->alloc, 0);
	int rc = build_parts(ix, src);
	if (rc != CRP_OK) {
		crp__symindex_free(ix);
		if (err)
			crp__error_set(err, rc, "%s while indexing symbols", crp_status_str(rc));
		return rc;
	}
	drop_image_pages(ix);
	ix->stats.bytes = footprint(ix);
	atomic_init(&ix->own_bytes, ix->stats.bytes);
	if (stats)
		*stats = ix->stats;
	*out = ix;
	return CRP_OK;
}

void crp__symindex_free(crp_symindex *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; ix->units && i < ix->unit_count; i++)
		crp__ix_unit_free(ix, atomic_load_explicit(&ix->units[i].idx, memory_order_relaxed));
	if (ix->locks_ready) {
		pthread_mutex_destroy(&ix->lock);
		pthread_mutex_destroy(&ix->build_lock);
		pthread_cond_destroy(&ix->built);
	}
	crp__arena_dispose(&ix->strings);
	crp__free(&ix->alloc, ix->units);
	crp__ix_map_free(&ix->alloc, &ix->cus);
	crp__ix_accel_free(&ix->alloc, &ix->sym_accel);
	crp__ix_accel_free(&ix->alloc, &ix->fs_accel);
	for (size_t i = 0; ix->sym_slots && i <= ix->sym_count / IX_SLOT_CHUNK; i++)
		crp__free(&ix->alloc, atomic_load_explicit(&ix->sym_slots[i], memory_order_relaxed));
	crp__free(&ix->alloc, (void *)ix->sym_slots);
	crp__free(&ix->alloc, ix->syms);
	crp__free(&ix->alloc, ix->fs_lo);
	crp__free(&ix->alloc, ix->fs_hi);
	crp__dwarf_close(ix->dwarf);
	crp__free(&ix->alloc, ix);
}

/* -- unit indexes ------------------------------------------------------------------------ */

static void step_out(const crp_symindex *ix, void *reader)
{
	if (reader && ix->hooks.build_begin)
		ix->hooks.build_begin(ix->hooks.ctx, reader);
}

static void step_in(const crp_symindex *ix, void *reader)
{
	if (reader && ix->hooks.build_end)
		ix->hooks.build_end(ix->hooks.ctx, reader);
}

static bool covers(const ix_unitidx *u, uint64_t addr)
{
	return u && (!u->partial || (addr != IX_WHOLE && addr >= u->cov_lo && addr < u->cov_hi));
}

/* Under build_lock: a window around addr for the unit's first lookups, else the whole. */
static uint64_t build_what(crp_symindex *ix, ix_unit *iu, uint64_t addr)
{
	if (addr == IX_WHOLE || iu->windows >= ix->hooks.max_windows)
		return IX_WHOLE;
	iu->windows++;
	return addr;
}

/* A unit's DIEs and line program leave the resident set once indexed (names are read again
 * from the page cache when a lookup needs them). */
static void drop_unit_pages(const crp_symindex *ix, const ix_unitidx *u)
{
	if (!ix->hooks.mapped)
		return;
	const crp_dwarf_unit *du = crp__dwarf_unit(ix->dwarf, u->unit);
	const crp_dwarf_sections *secs = crp__dwarf_sections(ix->dwarf);
	if (du->end <= secs->size[CRP_DW_SEC_INFO])
		drop_pages(ix, secs->data[CRP_DW_SEC_INFO] + du->offset, (size_t)(du->end - du->offset));
	if (u->has_lines)
		drop_pages(ix, u->lines.program, u->lines.program_size);
}

/* Publishes u in place of what the unit had: a window it replaces stays reachable from it
 * (a lookup may still read it) and is freed with it. */
static void publish(crp_symindex *ix, ix_unit *iu, ix_unitidx *u)
{
	ix_unitidx *old = atomic_load_explicit(&iu->idx, memory_order_relaxed);
	size_t bytes = atomic_load(&u->bytes);
	if (old) {
		u->older = old;
		atomic_fetch_add(&u->bytes, atomic_load(&old->bytes));
	}
	atomic_fetch_add_explicit(&ix->units_built, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&ix->unit_bytes, bytes, memory_order_relaxed);
	atomic_store_explicit(&iu->idx, u, memory_order_release);
}

/* build_lock is taken stepped out (build hooks), so a lookup holding its reader slot never
 * waits for it; waiting for another thread's build happens stepped out too, and the unit is
 * loaded only once the reader is back in. True: this thread builds it (`what`); else *out
 * is the index another thread built meanwhile. */
static bool claim(crp_symindex *ix, ix_unit *iu, uint64_t addr, void *reader, ix_unitidx **out, uint64_t *what)
{
	step_out(ix, reader);
	pthread_mutex_lock(&ix->build_lock);
	while (iu->building)
		pthread_cond_wait(&ix->built, &ix->build_lock);
	step_in(ix, reader);
	*out = atomic_load_explicit(&iu->idx, memory_order_acquire);
	bool mine = !covers(*out, addr);
	if (mine) {
		iu->building = true;
		*what = build_what(ix, iu, addr);
	}
	pthread_mutex_unlock(&ix->build_lock);
	return mine;
}

/* Published (when built) once the reader is back in; the unit's waiters look again. */
static void release(crp_symindex *ix, ix_unit *iu, ix_unitidx *u, bool built, void *reader)
{
	pthread_mutex_lock(&ix->build_lock);
	step_in(ix, reader);
	if (built)
		publish(ix, iu, u);
	iu->building = false;
	pthread_cond_broadcast(&ix->built);
	pthread_mutex_unlock(&ix->build_lock);
}

/* Built stepped out (build hooks), outside build_lock: builds of different units never wait
 * for each other. */
static CRP_NOINLINE int build_unit(crp_symindex *ix, uint32_t i, uint64_t addr, ix_unitidx **out, void *reader)
{
	ix_unit *iu = &ix->units[i];
	uint64_t what;
	if (!claim(ix, iu, addr, reader, out, &what))
		return CRP_OK;
	step_out(ix, reader);
	if (ix->hooks.unit_building)
		ix->hooks.unit_building(ix->hooks.ctx);
	ix_unitidx *u;
	int rc = crp__ix_build_unit(ix, i, what, &u);
	bool built = rc == CRP_OK;
	if (built) {
		drop_unit_pages(ix, u);
		if (ix->hooks.clock) /* new: the most recently used */
			atomic_store_explicit(&u->last_used, atomic_load(ix->hooks.clock), memory_order_relaxed);
	}
	if (ix->hooks.unit_built) /* room is made before it is published */
		ix->hooks.unit_built(ix->hooks.ctx, ix, built ? u : NULL, built ? atomic_load(&u->bytes) : 0,
				     reader && ix->hooks.build_begin);
	release(ix, iu, u, built, reader);
	*out = u;
	return rc;
}

/* The unit's index answering addr (IX_WHOLE: the whole unit's). */
static int unit_index(crp_symindex *ix, uint32_t i, uint64_t addr, ix_unitidx **out, void *reader)
{
	ix_unitidx *u = atomic_load_explicit(&ix->units[i].idx, memory_order_acquire);
	if (!covers(u, addr))
		CRP_TRY(build_unit(ix, i, addr, &u, reader));
	if (ix->hooks.clock) {
		uint64_t now = atomic_load_explicit(ix->hooks.clock, memory_order_relaxed);
		if (atomic_load_explicit(&u->last_used, memory_order_relaxed) != now)
			atomic_store_explicit(&u->last_used, now, memory_order_relaxed);
	}
	*out = u;
	return CRP_OK;
}

size_t crp__symindex_unit_count(const crp_symindex *ix) { return ix->unit_count; }

bool crp__symindex_unit_peek(const crp_symindex *ix, size_t i, size_t *bytes, uint64_t *last_used)
{
	ix_unitidx *u = atomic_load_explicit(&ix->units[i].idx, memory_order_acquire);
	if (!u)
		return false;
	*bytes = atomic_load_explicit(&u->bytes, memory_order_relaxed);
	*last_used = atomic_load_explicit(&u->last_used, memory_order_relaxed);
	return true;
}

void *crp__symindex_unit_take(crp_symindex *ix, size_t i, size_t *bytes)
{
	ix_unitidx *u = atomic_exchange_explicit(&ix->units[i].idx, NULL, memory_order_acq_rel);
	if (u) {
		*bytes = atomic_load(&u->bytes);
		atomic_fetch_sub_explicit(&ix->unit_bytes, *bytes, memory_order_relaxed);
	}
	return u;
}

void crp__symindex_unit_release(crp_symindex *ix, void *unit)
{
	crp__ix_unit_free(ix, unit);
}

size_t crp__symindex_unit_size(const void *unit)
{
	return atomic_load(&((const ix_unitidx *)unit)->bytes);
}

size_t crp__symindex_held(const crp_symindex *ix)
{
	size_t n = atomic_load(&ix->own_bytes);
	for (size_t i = 0; i < ix->unit_count; i++) {
		const ix_unitidx *u = atomic_load_explicit(&ix->units[i].idx, memory_order_acquire);
		n += u ? atomic_load(&u->bytes) : 0;
	}
	return n;
}

typedef struct build_all_job {
	crp_symindex *ix;
	atomic_size_t next; /* the next unit a thread takes */
	atomic_int rc;      /* the first failure; the others stop at their next unit */
} build_all_job;

static void *build_all_worker(void *p)
{
	build_all_job *job = p;
	for (;;) {
		size_t i = atomic_fetch_add(&job->next, 1);
		if (i >= job->ix->unit_count || atomic_load(&job->rc) != CRP_OK)
			return NULL;
		ix_unitidx *u = NULL;
		int rc = job->ix->units[i].indexable ? unit_index(job->ix, (uint32_t)i, IX_WHOLE, &u, NULL) : CRP_OK;
		int ok = CRP_OK;
		if (rc != CRP_OK)
			atomic_compare_exchange_strong(&job->rc, &ok, rc);
		/* names found now, by every thread, not one by one by the cache writer after */
		for (size_t k = 0; rc == CRP_OK && u && k < u->scope_count; k++)
			crp__ix_scope_name(job->ix, &u->scopes[k]);
	}
}

int crp__symindex_build_all(crp_symindex *ix, unsigned threads)
{
	enum { MAX_HELPERS = 63 };
	pthread_t helper[MAX_HELPERS];
	build_all_job job = {.ix = ix};
	atomic_init(&job.next, 0);
	atomic_init(&job.rc, CRP_OK);
	size_t started = 0, want = threads > 1 ? threads - 1 : 0;
	want = want < MAX_HELPERS ? want : MAX_HELPERS;
	want = want < ix->unit_count ? want : ix->unit_count;
	while (started < want && pthread_create(&helper[started], NULL, build_all_worker, &job) == 0)
		started++;
	build_all_worker(&job);
	for (size_t i = 0; i < started; i++)
		pthread_join(helper[i], NULL);
	return atomic_load(&job.rc);
}

size_t crp__symindex_unit_bytes(const crp_symindex *ix) { return atomic_load(&ix->unit_bytes); }
size_t crp__symindex_units_built(const crp_symindex *ix) { return atomic_load(&ix->units_built); }

/* -- lookups ----------------------------------------------------------------------------- */

static const ix_sym *find_symbol(const crp_symindex *ix, uint64_t addr)
{
	size_t i = crp__ix_upper(&ix->sym_accel, ix->syms, sizeof *ix->syms, ix->sym_count, addr);
	if (i == 0)
		return NULL;
	const ix_sym *s = &ix->syms[i - 1];
	return s->size && addr - s->addr >= s->size ? NULL : s;
}

/* The function start covering addr, or SIZE_MAX. */
static size_t find_start(const crp_symindex *ix, uint64_t addr)
{
	size_t i = crp__ix_upper(&ix->fs_accel, ix->fs_lo, sizeof *ix->fs_lo, ix->fs_count, addr);
	return i && addr < ix->fs_hi[i - 1] ? i - 1 : SIZE_MAX;
}

/* The place for addr in the unit, if its row names a file (LLVM reports no location
 * otherwise). */
static const ix_row *find_place(const ix_unitidx *u, uint64_t addr)
{
	const ix_row *r = crp__ix_find_row(u, addr);
	return r && crp__dwarf_lines_has_file(&u->lines, r->file) ? r : NULL;
}

/* Names are read from DWARF the first time a lookup needs them: most are never needed. Two
 * threads may both read one; they find the same pointer into the file. */
static CRP_NOINLINE const char *resolve_scope_name(crp_symindex *ix, ix_scope *s)
{
	crp_dwarf_die die;
	const char *name = NULL, *link = NULL, *expect = NULL;
	if (crp__dwarf_die_at(ix->dwarf, s->die, &die) == CRP_OK) {
		/* the plain name only when there is no linkage name: each search may decode the
		 * abstract origin again */
		crp__dwarf_die_names(ix->dwarf, &die, NULL, &link);
		if (!link)
			crp__dwarf_die_names(ix->dwarf, &die, &name, NULL);
	}
	const char *n = link ? link : name ? name : crp__symindex_nothing; /* NULL reads "not yet" */
	if (!atomic_compare_exchange_strong_explicit(&s->name, &expect, n, memory_order_acq_rel,
						     memory_order_acquire))
		n = expect;
	return n;
}

const char *crp__ix_scope_name(crp_symindex *ix, ix_scope *s)
{
	const char *n = atomic_load_explicit(&s->name, memory_order_acquire);
	if (!n)
		n = resolve_scope_name(ix, s);
	return n == crp__symindex_nothing ? NULL : n;
}

static void set_frame(crp_symindex_frame *f, void *unit, uint32_t file, uint32_t line, uint32_t column)
{
	f->name = NULL;
	f->name_slot = NULL;
	f->name_unit = NULL;
	f->unit = unit;
	f->file = file;
	f->line = line;
	f->column = column;
}

/* The inline chain from scope s outwards; returns the outermost scope. */
static uint32_t chain(crp_symindex *ix, ix_unitidx *u, uint32_t s, const ix_row *row,
		      crp_symindex_result *res)
{
	uint32_t prev = IX_NONE, outer = s;
	for (uint32_t t = s; t != IX_NONE; t = u->scopes[t].parent) {
		outer = t;
		if (res->count == CRP_SYMINDEX_MAX_FRAMES) {
			res->truncated = true;
			continue;
		}
		crp_symindex_frame *f = &res->frames[res->count++];
		if (prev == IX_NONE && row)
			set_frame(f, u, row->file, row->line, row->column);
		else if (prev == IX_NONE)
			set_frame(f, NULL, 0, 0, 0);
		else
			set_frame(f, u, u->scopes[prev].call_file, u->scopes[prev].call_line,
				  u->scopes[prev].call_column);
		f->name = crp__ix_scope_name(ix, &u->scopes[t]);
		f->name_slot = f->name ? &u->scopes[t].slot : NULL;
		f->name_unit = u;
		prev = t;
	}
	return outer;
}

static CRP_NOINLINE crp_symindex_slot *new_slots(crp_symindex *ix, size_t chunk)
{
	pthread_mutex_lock(&ix->lock);
	crp_symindex_slot *p = atomic_load_explicit(&ix->sym_slots[chunk], memory_order_relaxed);
	size_t grew = 0;
	if (!p && (p = crp__malloc(&ix->alloc, IX_SLOT_CHUNK * sizeof *p)) != NULL) {
		memset(p, 0, IX_SLOT_CHUNK * sizeof *p);
		grew = IX_SLOT_CHUNK * sizeof *p;
		atomic_fetch_add(&ix->own_bytes, grew);
		atomic_store_explicit(&ix->sym_slots[chunk], p, memory_order_release);
	}
	pthread_mutex_unlock(&ix->lock);
	if (grew && ix->hooks.unit_grew)
		ix->hooks.unit_grew(ix->hooks.ctx, grew);
	return p;
}

static int name_from_symbol(crp_symindex *ix, crp_symindex_frame *f, const ix_sym *s)
{
	size_t i = (size_t)(s - ix->syms);
	crp_symindex_slot *chunk = atomic_load_explicit(&ix->sym_slots[i / IX_SLOT_CHUNK], memory_order_acquire);
	const char *name = crp__ix_sym_name(ix, s);
	f->name = name[0] ? name : NULL;
	f->name_slot = NULL;
	f->name_unit = NULL;
	if (f->name && !chunk && !(chunk = new_slots(ix, i / IX_SLOT_CHUNK)))
		return CRP_ENOMEM;
	if (f->name)
		f->name_slot = &chunk[i % IX_SLOT_CHUNK];
	return CRP_OK;
}

/* DWARF knows the function: the symbol table renames it only from inside it. */
static int dwarf_answer(crp_symindex *ix, const ix_unitidx *u, uint32_t outer, const ix_sym *sym,
			crp_symindex_result *res)
{
	const ix_scope *o = &u->scopes[outer];
	res->source = CRP_SYMSRC_DWARF;
	if (sym && (o->flags & SCOPE_HAS_RANGES) && sym->addr >= o->lo && sym->addr < o->hi) {
		if (!res->truncated)
			CRP_TRY(name_from_symbol(ix, &res->frames[res->count - 1], sym));
		res->function_addr = sym->addr;
		res->symbol_size = sym->size;
		res->has_function_addr = true;
	} else if (o->flags & (SCOPE_HAS_RANGES | SCOPE_HAS_ENTRY)) {
		res->function_addr = o->entry;
		res->has_function_addr = true;
	}
	return CRP_OK;
}

/* No subroutine DIE: a symbol, else a bare function start, names the function. */
static int symbol_answer(crp_symindex *ix, uint64_t addr, const ix_sym *sym, crp_symindex_result *res)
{
	size_t fs = find_start(ix, addr);
	if (sym && fs != SIZE_MAX && ix->fs_lo[fs] > sym->addr)
		sym = NULL; /* the symbol belongs to an earlier function */
	if (!res->count && (sym || fs != SIZE_MAX))
		set_frame(&res->frames[res->count++], NULL, 0, 0, 0);
	if (sym) {
		CRP_TRY(name_from_symbol(ix, &res->frames[res->count - 1], sym));
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
	return CRP_OK;
}

int crp__symindex_lookup(crp_symindex *ix, uint64_t addr, crp_symindex_result *res, void *reader)
{
	res->source = CRP_SYMSRC_NONE;
	res->function_addr = 0;
	res->has_function_addr = false;
	res->symbol_size = 0;
	res->truncated = false;
	res->count = 0;
	uint32_t cu = crp__ix_map_find(&ix->cus, addr);
	const ix_sym *sym = find_symbol(ix, addr);
	if (cu != IX_NONE) {
		ix_unitidx *u;
		CRP_TRY(unit_index(ix, cu, addr, &u, reader));
		const ix_row *row = find_place(u, addr);
		uint32_t s = crp__ix_map_find(&u->paint, addr);
		if (s != IX_NONE)
			return dwarf_answer(ix, u, chain(ix, u, s, row, res), sym, res);
		if (row) {
			set_frame(&res->frames[res->count++], u, row->file, row->line, row->column);
			res->source = CRP_SYMSRC_DWARF;
		}
	}
	return symbol_answer(ix, addr, sym, res);
}

/* -- slots and paths --------------------------------------------------------------------- */

static CRP_NOINLINE crp_symindex_slot *new_paths(crp_symindex *ix, ix_unitidx *u)
{
	size_t grew = 0;
	pthread_mutex_lock(&ix->lock);
	crp_symindex_slot *p = atomic_load_explicit(&u->paths, memory_order_relaxed);
	if (!p) {
		size_t n = u->lines.file_count + 1; /* 1-based before DWARF 5 */
		if ((p = crp__malloc(&ix->alloc, n * sizeof *p)) != NULL) {
			memset(p, 0, n * sizeof *p);
			u->path_count = n;
			grew = n * sizeof *p;
			atomic_fetch_add(&u->bytes, grew);
			atomic_store_explicit(&u->paths, p, memory_order_release);
		}
	}
	pthread_mutex_unlock(&ix->lock);
	if (grew && ix->hooks.unit_grew)
		ix->hooks.unit_grew(ix->hooks.ctx, grew);
	return p;
}

int crp__symindex_path_slot(crp_symindex_slot **out, crp_symindex *ix, const crp_symindex_frame *f)
{
	ix_unitidx *u = f->unit;
	*out = NULL;
	if (!u || !u->has_lines)
		return CRP_OK;
	crp_symindex_slot *p = atomic_load_explicit(&u->paths, memory_order_acquire);
	if (!p && !(p = new_paths(ix, u)))
		return CRP_ENOMEM;
	*out = f->file < u->path_count ? &p[f->file] : NULL;
	return CRP_OK;
}

const char crp__symindex_nothing[] = "";

/* Under the index's lock: the slot's text, copied into its owner when asked. */
static int fill(crp_symindex *ix, ix_unitidx *owner, crp_symindex_slot *slot, const char *text,
		size_t len, bool copy, unsigned flags, size_t *grew)
{
	crp_arena *a = owner ? &owner->strings : &ix->strings;
	size_t before = a->used;
	const char *t = text && copy ? crp__arena_strndup(a, text, len) : text;
	if (text && !t)
		return CRP_ENOMEM;
	slot->flags = flags;
	atomic_store_explicit(&slot->text, t ? t : crp__symindex_nothing, memory_order_release);
	*grew = a->used - before;
	if (*grew)
		atomic_fetch_add(owner ? &owner->bytes : &ix->own_bytes, *grew);
	return CRP_OK;
}

int crp__symindex_slot_fill(crp_symindex *ix, void *owner, crp_symindex_slot *slot,
			    const char *text, size_t len, bool copy, unsigned flags, const char **out_text,
			    unsigned *out_flags)
{
	int rc = CRP_OK;
	size_t grew = 0;
	pthread_mutex_lock(&ix->lock);
	if (!atomic_load_explicit(&slot->text, memory_order_relaxed)) /* else another thread won */
		rc = fill(ix, owner, slot, text, len, copy, flags, &grew);
	pthread_mutex_unlock(&ix->lock);
	if (rc != CRP_OK)
		return rc;
	if (grew && ix->hooks.unit_grew)
		ix->hooks.unit_grew(ix->hooks.ctx, grew);
	crp__symindex_slot_get(slot, out_text, out_flags);
	return CRP_OK;
}

size_t crp__symindex_path(const crp_symindex *ix, const crp_symindex_frame *f, char *out,
			  size_t cap)
{
	const ix_unitidx *u = f->unit;
	if (!u || !u->has_lines) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	size_t n = crp__dwarf_lines_path(&u->lines, f->file, ix->units[u->unit].comp_dir, out, cap);
	if (!n && cap)
		out[0] = '\0';
	return n;
}
