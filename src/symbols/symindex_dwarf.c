/* The DWARF part of an image's index that is built at once: the context (unit headers and unit
 * DIEs) and the address -> unit map, from .debug_aranges and, for the units it does not
 * describe, their unit DIE's ranges (LLVM's DWARFDebugAranges: where units overlap, the lowest
 * offset wins). Everything below a unit DIE waits for a lookup (symindex_unit.c).
 *
 * A linker's .debug_aranges lists every unit, in address order, without overlaps: then the map
 * is written as the section is read, one entry per range, with nothing to sort. Anything else
 * (overlaps, disorder, units it leaves out) is read again into ranges that are painted. */
#include "symindex_int.h"

typedef struct map_builder {
	crp_symindex *ix;
	ix_range *ranges;
	size_t count, cap;
	bool *in_aranges;     /* per unit */
	uint32_t unit;
	uint64_t unit_offset;
	uint64_t set_offset;  /* the last set's unit offset, and its unit (sets repeat them) */
	size_t set_unit;
	bool collect;         /* gather ranges to paint (else write the map as they come) */
	bool unordered;       /* a range came before the end of the one before it */
	uint64_t end;         /* of the last range written to the map */
	int failure;
} map_builder;

static int add_cu_range(void *ctx, uint64_t lo, uint64_t hi)
{
	map_builder *b = ctx;
	if (b->failure)
		return 1;
	ix_range *last = b->count ? &b->ranges[b->count - 1] : NULL;
	uint64_t prio = UINT64_MAX - b->unit_offset;
	if (last && last->id == b->unit && last->prio == prio && lo >= last->lo && lo <= last->hi) {
		last->hi = hi > last->hi ? hi : last->hi; /* one function after another: one range */
		return 0;
	}
	if (b->count >= IX_MAX_ITEMS ||
	    crp__ix_grow(&b->ix->alloc, (void **)&b->ranges, &b->cap, b->count + 1, sizeof *b->ranges)) {
		b->failure = CRP_ENOMEM;
		return 1;
	}
	b->ranges[b->count++] = (ix_range){lo, hi, prio, b->unit};
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

/* Writes [lo, hi) of b->unit as paint_disjoint() would: a unit's start when it differs from
 * the last written, the end of the last range when a gap follows it. */
static int stream_range(map_builder *b, uint64_t lo, uint64_t hi)
{
	ix_map *m = &b->ix->cus;
	if (b->unordered || (m->count && lo < b->end)) {
		b->unordered = true;
		return 0;
	}
	bool gap = m->count && lo > b->end;
	int rc = gap ? crp__ix_map_push(&b->ix->alloc, m, b->end, IX_NONE) : CRP_OK;
	if (rc == CRP_OK && (!m->count || m->id[m->count - 1] != b->unit))
		rc = crp__ix_map_push(&b->ix->alloc, m, lo, b->unit);
	b->end = hi;
	b->failure = rc;
	return rc != CRP_OK;
}

/* A set's unit offset may be anything: it counts only when it names a unit we index. */
static int on_arange(void *ctx, uint64_t unit_offset, uint64_t lo, uint64_t hi)
{
	map_builder *b = ctx;
	size_t i = b->set_unit;
	if (unit_offset != b->set_offset || i == SIZE_MAX) {
		i = b->set_unit = unit_index_at(b->ix->dwarf, unit_offset);
		b->set_offset = unit_offset;
	}
	if (i >= b->ix->unit_count || !b->ix->units[i].indexable)
		return 0;
	b->in_aranges[i] = true;
	if (lo == hi)
		return 0;
	b->unit = (uint32_t)i;
	b->unit_offset = unit_offset;
	return b->collect ? add_cu_range(b, lo, hi) : stream_range(b, lo, hi);
}

/* A unit .debug_aranges leaves out: its unit DIE's ranges, and nothing below it. */
static int unit_die_ranges(map_builder *b, size_t i)
{
	crp_dwarf_walk w;
	crp_dwarf_die die;
	if (crp__dwarf_walk_init(&w, b->ix->dwarf, i) != CRP_OK || crp__dwarf_walk_next(&w, &die) != CRP_OK)
		return CRP_OK;
	b->unit = (uint32_t)i;
	b->unit_offset = die.unit->offset;
	crp__dwarf_die_ranges(b->ix->dwarf, &die, NULL, add_cu_range, b);
	return b->failure;
}

/* The map written while reading, when that is all of it. */
static bool streamed(map_builder *b)
{
	crp_symindex *ix = b->ix;
	for (size_t i = 0; i < ix->unit_count; i++)
		if (ix->units[i].indexable && !b->in_aranges[i])
			return false;
	return !b->unordered;
}

static int painted(map_builder *b)
{
	crp_symindex *ix = b->ix;
	crp__ix_map_free(&ix->alloc, &ix->cus);
	b->collect = true;
	b->set_unit = SIZE_MAX;
	crp__dwarf_aranges(ix->dwarf, on_arange, b);
	if (b->failure)
		return b->failure;
	for (size_t i = 0; i < ix->unit_count; i++)
		if (ix->units[i].indexable && !b->in_aranges[i])
			CRP_TRY(unit_die_ranges(b, i));
	return crp__ix_paint(&ix->alloc, b->ranges, b->count, &ix->cus);
}

/* A linker's .debug_aranges gives each function a range (a tuple of 16 bytes in a 64-bit
 * image, the set headers aside), and each range at most two intervals (its start, and the gap
 * after it): the map is sized once instead of growing by copies through hundreds of thousands.
 * At most RESERVE_MAX (48 MB) on the section's word: past that, and in a 32-bit image, it grows
 * as entries come. */
#define RESERVE_MAX (1u << 22)

static int reserve_map(crp_symindex *ix)
{
	uint64_t want = crp__dwarf_sections(ix->dwarf)->size[CRP_DW_SEC_ARANGES] / 16 * 2 + 2;
	return crp__ix_map_reserve(&ix->alloc, &ix->cus, want < RESERVE_MAX ? (size_t)want : RESERVE_MAX);
}

static int unit_map(map_builder *b)
{
	crp_symindex *ix = b->ix;
	CRP_TRY(reserve_map(ix));
	crp__dwarf_aranges(ix->dwarf, on_arange, b);
	if (b->failure)
		return b->failure;
	if (streamed(b) && ix->cus.count)
		CRP_TRY(crp__ix_map_push(&ix->alloc, &ix->cus, b->end, IX_NONE));
	else
		CRP_TRY(painted(b));
	return crp__ix_accel_build(&ix->alloc, &ix->cus.accel, ix->cus.lo, sizeof *ix->cus.lo, ix->cus.count);
}

static int new_units(crp_symindex *ix)
{
	size_t n = ix->unit_count ? ix->unit_count : 1;
	if (!(ix->units = crp__malloc(&ix->alloc, n * sizeof *ix->units)))
		return CRP_ENOMEM;
	memset(ix->units, 0, n * sizeof *ix->units);
	for (size_t i = 0; i < ix->unit_count; i++) {
		const crp_dwarf_unit *u = crp__dwarf_unit(ix->dwarf, i);
		atomic_init(&ix->units[i].idx, NULL);
		ix->units[i].comp_dir = u->comp_dir;
		ix->units[i].indexable = indexable(u);
	}
	return CRP_OK;
}

int crp__ix_build_dwarf(crp_symindex *ix, const crp_macho *m, crp_error *err)
{
	crp_dwarf_sections secs;
	crp__macho_dwarf_sections(m, &secs);
	if (!secs.data[CRP_DW_SEC_INFO])
		return CRP_OK;
	CRP_TRY(crp__dwarf_open(&ix->dwarf, &secs, &ix->alloc, err));
	ix->unit_count = crp__dwarf_unit_count(ix->dwarf);
	ix->stats.units = ix->unit_count;
	CRP_TRY(new_units(ix));
	map_builder b;
	memset(&b, 0, sizeof b);
	b.ix = ix;
	b.set_unit = SIZE_MAX;
	int rc = CRP_ENOMEM;
	if ((b.in_aranges = crp__malloc(&ix->alloc, ix->unit_count ? ix->unit_count : 1)) != NULL) {
		memset(b.in_aranges, 0, ix->unit_count ? ix->unit_count : 1);
		rc = unit_map(&b);
	}
	crp__free(&ix->alloc, b.ranges);
	crp__free(&ix->alloc, b.in_aranges);
	return rc;
}
