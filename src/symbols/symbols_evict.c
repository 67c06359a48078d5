/* The memory cap (crp_symbolicator_options.max_index_bytes): indexes are charged as they are
 * built and grow; past the cap the least recently used index, a unit's or a whole image's, is
 * unpublished and retired, and freed once no lookup can still hold it.
 *
 * Epoch-based reclamation. A lookup takes a reader slot and announces the global epoch it read
 * (a sequentially consistent store, then a full fence, then its loads of published pointers).
 * The evictor unpublishes a pointer, then advances the epoch, and tags what it retired with the
 * new value. Either a reader's announcement comes before the evictor looks at the slots (and the
 * evictor sees an epoch older than the tag: it waits), or after (and then the unpublishing came
 * first: the reader cannot find the pointer). So something tagged E is freed once every busy
 * slot shows an epoch of E or more. Readers take no lock and write only their own slot (64
 * slots: more lookups at once than that wait for one to free).
 *
 * Builds take milliseconds, so a lookup that waits for or builds an index steps out of its
 * slot (sym_pass): it then holds no unit index, and the image index it builds into is pinned
 * instead (a retired backend is freed once unpinned). It steps in again before it publishes
 * or loads anything, so its new epoch covers what it reads next. */
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "symbols_int.h"

/* -- readers ----------------------------------------------------------------------------- */

static unsigned take_slot(crp_symbolicator *s)
{
	int here; /* threads' stacks differ: where to start looking for a free slot */
	unsigned start = (unsigned)(((uintptr_t)&here >> 12) * 0x9e3779b1u >> 7) % SYM_READERS;
	for (unsigned spin = 0;; spin++) {
		unsigned i = (start + spin) % SYM_READERS;
		int free_slot = 0;
		if (atomic_compare_exchange_strong(&s->readers[i].busy, &free_slot, 1)) {
			atomic_store(&s->readers[i].epoch, atomic_load(&s->epoch));
			atomic_thread_fence(memory_order_seq_cst);
			return i;
		}
		if (spin % SYM_READERS == SYM_READERS - 1)
			sched_yield(); /* all busy: let one finish */
	}
}

static void reclaim(crp_symbolicator *s);

/* What waits for lookups to leave is freed by the next one that can take the lock without
 * waiting: dropped indexes do not linger until the next eviction. */
static void give_slot(crp_symbolicator *s, unsigned slot)
{
	atomic_store(&s->readers[slot].epoch, 0);
	atomic_store_explicit(&s->readers[slot].busy, 0, memory_order_release);
	if (atomic_load_explicit(&s->waiting, memory_order_relaxed) && pthread_mutex_trylock(&s->evict_lock) == 0) {
		reclaim(s);
		pthread_mutex_unlock(&s->evict_lock);
	}
}

void crp__symbols_enter(crp_symbolicator *s, sym_pass *p)
{
	*p = (sym_pass){s, SYM_READERS, NULL, NULL};
	if (s->cap)
		p->slot = take_slot(s);
}

void crp__symbols_step_out(sym_pass *p)
{
	if (p->slot < SYM_READERS)
		give_slot(p->s, p->slot);
	p->slot = SYM_READERS;
}

void crp__symbols_step_in(sym_pass *p)
{
	if (p->s->cap && p->slot == SYM_READERS)
		p->slot = take_slot(p->s);
}

void crp__symbols_leave(sym_pass *p)
{
	crp__symbols_step_out(p);
	if (p->pinned)
		atomic_fetch_sub(&p->pinned->pins, 1);
	p->pinned = NULL;
}

/* The oldest epoch a lookup in progress may still be reading in (UINT64_MAX: none). */
static uint64_t oldest_reader(crp_symbolicator *s)
{
	uint64_t oldest = UINT64_MAX;
	for (unsigned i = 0; i < SYM_READERS; i++) {
		uint64_t e = atomic_load(&s->readers[i].epoch);
		if (e && e < oldest)
			oldest = e;
	}
	return oldest;
}

/* -- freeing what is retired ------------------------------------------------------------- */

#define GIVE_BACK_MIN ((size_t)32 << 20)

/* Under evict_lock. Every quarter of the cap freed (32 MiB at least), malloc's free pages go
 * back to the system: the cap bounds what the process holds, not only what the indexes use;
 * more often costs more time than it saves memory. */
static void uncharge(crp_symbolicator *s, size_t bytes)
{
	atomic_fetch_sub(&s->held, bytes);
	s->freed += bytes;
	if (s->cap && s->freed >= (s->cap / 4 > GIVE_BACK_MIN ? s->cap / 4 : GIVE_BACK_MIN)) {
		s->freed = 0;
		crp__allocator_give_back(&s->alloc);
	}
}

static void release_unit(crp_symbolicator *s, crp_symindex *ix, void *unit)
{
	size_t n = crp__symindex_unit_size(unit);
	uncharge(s, n);
	s->pending -= n < s->pending ? n : s->pending;
	crp__symindex_unit_release(ix, unit);
}

/* The pages of the files an index was built from leave the process's resident set (they stay
 * in the page cache; a later lookup faults them in again): a service going through many
 * dSYMs holds only what its indexes use. Harmless to lookups reading them meanwhile: the
 * mappings are private and never written. */
static void drop_pages(crp_symbolicator *s, const sym_backend *b)
{
	for (int i = 0; b->ix && i < 3; i++) {
		if (b->src[i] == NO_OBJECT)
			continue;
		const sym_file *f = &s->files[s->objects[b->src[i]].file];
		if (f->data && !f->in_memory)
			madvise((void *)(uintptr_t)f->data, f->size, MADV_DONTNEED);
	}
}

/* Unit indexes retired before their backend are released before it (the list is in epoch
 * order); none are retired after it (it can no longer be chosen). */
static void release_backend(crp_symbolicator *s, sym_backend *b)
{
	size_t n = b->hooked ? crp__symindex_held(b->ix) : b->bytes;
	uncharge(s, n);
	s->pending -= n < s->pending ? n : s->pending;
	drop_pages(s, b);
	crp__symbols_backend_free(b, &s->alloc);
}

static void release(crp_symbolicator *s, size_t i)
{
	sym_retired *r = &s->retired[i];
	if (r->backend)
		release_backend(s, r->backend);
	else if (r->unit)
		release_unit(s, r->ix, r->unit);
}

/* Under evict_lock: frees what no lookup can hold any more, keeping the rest in order. */
static void reclaim(crp_symbolicator *s)
{
	uint64_t oldest = oldest_reader(s);
	size_t kept = 0;
	for (size_t i = 0; i < s->retired_count; i++) {
		sym_backend *b = s->retired[i].backend;
		if (s->retired[i].epoch <= oldest && !(b && atomic_load(&b->pins)))
			release(s, i);
			else
			s->retired[kept++] = s->retired[i];
	}
	s->retired_count = kept;
	atomic_store_explicit(&s->waiting, kept, memory_order_relaxed);
}

static bool retire(crp_symbolicator *s, sym_retired r)
{
	if (s->retired_count == s->retired_cap) {
		size_t cap = s->retired_cap ? 2 * s->retired_cap : 64;
		sym_retired *p = crp__realloc(&s->alloc, s->retired, cap * sizeof *p);
		if (!p)
			return false;
		s->retired = p;
		s->retired_cap = cap;
	}
	r.epoch = atomic_fetch_add(&s->epoch, 1) + 1; /* after the pointer was unpublished */
	s->retired[s->retired_count++] = r;
	atomic_store_explicit(&s->waiting, s->retired_count, memory_order_relaxed);
	s->pending += r.unit ? crp__symindex_unit_size(r.unit) : r.backend->hooked ? crp__symindex_held(r.backend->ix)
										   : r.backend->bytes;
	atomic_fetch_add(&s->evictions, 1);
	return true;
}

/* -- choosing what to drop --------------------------------------------------------------- */

typedef struct victim {
	crp_symbol_image *im;
	size_t unit;             /* SIZE_MAX: the whole backend */
	uint64_t last_used;
} victim;

/* The least recently used index, a unit's or an image's (not `keep`, nor what holds it). An
 * image is used whenever one of its units is, so its units go before it, and an image nobody
 * used for longest goes whole before the units of the images in use. Ties: units first, the
 * smaller loss. False when there is nothing to drop. */
static void consider(victim *v, crp_symbol_image *im, size_t unit, uint64_t used)
{
	if (used < v->last_used || (used == v->last_used && unit != SIZE_MAX && v->unit == SIZE_MAX))
		*v = (victim){im, unit, used};
}

static bool choose(crp_symbolicator *s, const void *keep, victim *v)
{
	*v = (victim){NULL, SIZE_MAX, UINT64_MAX};
	for (size_t i = 0; i < s->image_count; i++) {
		crp_symbol_image *im = s->images[i];
		sym_backend *b = atomic_load(&im->backend);
		if (!b)
			continue;
		for (size_t k = 0; b->ix && k < crp__symindex_unit_count(b->ix); k++) {
			size_t bytes;
			uint64_t used;
			if (crp__symindex_unit_peek(b->ix, k, &bytes, &used))
				consider(v, im, k, used);
		}
		if (b != keep && (const void *)b->ix != keep)
			consider(v, im, SIZE_MAX, atomic_load(&im->last_used));
	}
	return v->im != NULL;
}

static bool drop(crp_symbolicator *s, const victim *v)
{
	sym_backend *b = atomic_load(&v->im->backend);
	if (v->unit == SIZE_MAX) {
		if (!atomic_compare_exchange_strong(&v->im->backend, &b, NULL))
			return true; /* changed meanwhile: look again */
		return retire(s, (sym_retired){b, NULL, NULL, 0});
	}
	size_t bytes;
	void *u = crp__symindex_unit_take(b->ix, v->unit, &bytes);
	return !u || retire(s, (sym_retired){NULL, b->ix, u, 0});
}

static void note_max(_Atomic size_t *m, size_t v)
{
	size_t cur = atomic_load_explicit(m, memory_order_relaxed);
	while (v > cur && !atomic_compare_exchange_weak(m, &cur, v))
		;
}

/* Under evict_lock: true while something dropped waits only for lookups in their slots (short:
 * a lookup that builds steps out), not for a pin. */
static bool draining(crp_symbolicator *s)
{
	for (size_t i = 0; i < s->retired_count; i++)
		if (!s->retired[i].backend || !atomic_load(&s->retired[i].backend->pins))
			return true;
	return false;
}

#define DRAIN_TRIES 2000 /* yields: a few milliseconds at most */

void crp__symbols_charge(crp_symbolicator *s, size_t bytes, const void *keep, bool stepped_out)
{
	size_t held = atomic_fetch_add(&s->held, bytes) + bytes;
	note_max(&s->peak, held);
	note_max(&s->largest, bytes);
	/* room is kept for the largest index built so far, for each build in progress: they fit */
	size_t building = atomic_load(&s->building), room = atomic_load(&s->largest) * (building ? building : 1);
	if (!s->cap || held + room <= s->cap)
		return;
	pthread_mutex_lock(&s->evict_lock);
	reclaim(s);
	victim v; /* what waits for lookups to leave is gone as far as choosing more goes */
	while (atomic_load(&s->held) - s->pending + room > s->cap && choose(s, keep, &v) && drop(s, &v))
		reclaim(s);
	/* a caller that holds nothing waits for the lookups in progress to let go of what was
	 * dropped, so that what is held, not only what is published, fits */
	for (int i = 0; stepped_out && i < DRAIN_TRIES && atomic_load(&s->held) + room > s->cap && draining(s); i++) {
		pthread_mutex_unlock(&s->evict_lock);
		sched_yield();
		pthread_mutex_lock(&s->evict_lock);
		reclaim(s);
	}
	pthread_mutex_unlock(&s->evict_lock);
}

void crp__symbols_evict_dispose(crp_symbolicator *s)
{
	for (size_t i = 0; i < s->retired_count; i++)
		release(s, i);
	s->retired_count = 0;
	crp__free(&s->alloc, s->retired);
	s->retired = NULL;
}

/* -- hooks ------------------------------------------------------------------------------- */

static void unit_building(void *ctx)
{
	crp_symbolicator *s = ctx;
	atomic_fetch_add(&s->building, 1);
}

static void unit_built(void *ctx, crp_symindex *ix, const void *unit, size_t bytes, bool stepped_out)
{
	crp_symbolicator *s = ctx;
	if (unit) {
		atomic_fetch_add(&s->clock, 1);
		crp__symbols_charge(s, bytes, ix, stepped_out);
	}
	atomic_fetch_sub(&s->building, 1);
}

static void unit_grew(void *ctx, size_t bytes)
{
	crp__symbols_charge(ctx, bytes, NULL, false);
}

/* A unit build inside a lookup: the pass steps out of its slot with its backend pinned (the
 * pin lasts until the pass leaves: stepping in again gives a new epoch, which would not keep a
 * backend dropped meanwhile), and steps in before the unit is published. */
static void build_begin(void *ctx, void *reader)
{
	sym_pass *p = reader;
	CRP_UNUSED(ctx);
	if (!p->pinned && p->using) {
		atomic_fetch_add(&p->using->pins, 1);
		p->pinned = p->using;
	}
	crp__symbols_step_out(p);
}

static void build_end(void *ctx, void *reader)
{
	CRP_UNUSED(ctx);
	crp__symbols_step_in(reader);
}

crp_symindex_hooks crp__symbols_hooks(crp_symbolicator *s)
{
	crp_symindex_hooks h = {s, unit_building, unit_built, unit_grew, NULL, NULL, NULL, NULL, 0, s->windows};
	if (s->cap)
		h.clock = &s->clock, h.build_begin = build_begin, h.build_end = build_end;
	return h;
}

/* -- answers that outlive the lookup ----------------------------------------------------- */

static size_t text_len(const char *t)
{
	return t ? strlen(t) + 1 : 0;
}

static const char *keep_text(char **at, const char *t)
{
	if (!t)
		return NULL;
	size_t n = strlen(t) + 1;
	memcpy(*at, t, n);
	const char *kept = *at;
	*at += n;
	return kept;
}

int crp__symbols_keep_answer(crp_symbol_answer *room, const crp_symbolication **out)
{
	crp_symbolication *a = &room->sym;
	if (!*out)
		return CRP_OK;
	size_t n = text_len(a->linkage_name) + text_len(a->image);
	for (size_t i = 0; i < a->count; i++)
		n += text_len(room->locs[i].function) + text_len(room->locs[i].file);
	if (n > room->text_cap) {
		char *t = crp__realloc(&room->alloc, room->text, n);
		if (!t)
			return CRP_ENOMEM;
		room->text = t;
		room->text_cap = n;
	}
	char *at = room->text;
	a->linkage_name = keep_text(&at, a->linkage_name);
	a->image = keep_text(&at, a->image);
	for (size_t i = 0; i < a->count; i++) {
		room->locs[i].function = keep_text(&at, room->locs[i].function);
		room->locs[i].file = keep_text(&at, room->locs[i].file);
	}
	return CRP_OK;
}

void crp_symbolicator_get_memory(const crp_symbolicator *s, crp_symbolicator_memory *out)
{
	memset(out, 0, sizeof *out);
	if (!s)
		return;
	out->held = atomic_load(&s->held);
	out->peak = atomic_load(&s->peak);
	out->evictions = atomic_load(&s->evictions);
}
