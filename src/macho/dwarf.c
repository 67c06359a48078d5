#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "dwarf.h"
#include "mem/strtab.h"

/* Forms (DWARF 5, section 7.5.6, plus the GNU extensions Apple toolchains never emit but other
 * producers do). */
enum {
	F_addr = 0x01, F_block2 = 0x03, F_block4 = 0x04, F_data2 = 0x05, F_data4 = 0x06,
	F_data8 = 0x07, F_string = 0x08, F_block = 0x09, F_block1 = 0x0a, F_data1 = 0x0b,
	F_flag = 0x0c, F_sdata = 0x0d, F_strp = 0x0e, F_udata = 0x0f, F_ref_addr = 0x10,
	F_ref1 = 0x11, F_ref2 = 0x12, F_ref4 = 0x13, F_ref8 = 0x14, F_ref_udata = 0x15,
	F_indirect = 0x16, F_sec_offset = 0x17, F_exprloc = 0x18, F_flag_present = 0x19,
	F_strx = 0x1a, F_addrx = 0x1b, F_ref_sup4 = 0x1c, F_strp_sup = 0x1d, F_data16 = 0x1e,
	F_line_strp = 0x1f, F_ref_sig8 = 0x20, F_implicit_const = 0x21, F_loclistx = 0x22,
	F_rnglistx = 0x23, F_ref_sup8 = 0x24, F_strx1 = 0x25, F_strx2 = 0x26, F_strx3 = 0x27,
	F_strx4 = 0x28, F_addrx1 = 0x29, F_addrx2 = 0x2a, F_addrx3 = 0x2b, F_addrx4 = 0x2c,
	F_GNU_addr_index = 0x1f01, F_GNU_str_index = 0x1f02, F_GNU_ref_alt = 0x1f20,
	F_GNU_strp_alt = 0x1f21
};

enum {
	A_sibling = 0x01, A_name = 0x03, A_stmt_list = 0x10, A_low_pc = 0x11, A_high_pc = 0x12,
	A_comp_dir = 0x1b, A_abstract_origin = 0x31, A_decl_file = 0x3a, A_decl_line = 0x3b,
	A_specification = 0x47, A_entry_pc = 0x52, A_ranges = 0x55, A_call_column = 0x57,
	A_call_file = 0x58, A_call_line = 0x59, A_linkage_name = 0x6e, A_str_offsets_base = 0x72,
	A_addr_base = 0x73, A_rnglists_base = 0x74, A_MIPS_linkage_name = 0x2007
};

typedef struct abbrev_attr {
	uint16_t name;
	uint16_t form;
	int64_t implicit;
} abbrev_attr;

typedef struct abbrev {
	uint64_t code;
	uint32_t tag;
	uint32_t first_attr;
	uint32_t attr_count;
	bool children;
	bool indirect;          /* a form is DW_FORM_indirect: no plans, decode_die() only */
	/* Plans for 4- and 8-byte addresses [k] with 32-bit offsets in DWARF 3 and later, runs of
	 * fixed-size forms merged: to step over the attributes, and to read only the ones that
	 * place the DIE (address attributes and call site). */
	uint32_t skip_first[2], place_first[2];
	uint16_t skip_count[2], place_count[2];
} abbrev;

/* One step of a plan: `bytes` of forms not read, then attribute `attr` of the abbreviation in
 * `form` (0: none), read into `place` (P_NONE: stepped over). */
typedef struct plan_op {
	uint16_t bytes;
	uint16_t form;
	uint16_t attr;
	uint8_t place;
} plan_op;

enum { P_NONE, P_LOW, P_HIGH, P_ENTRY, P_RANGES, P_CALL_FILE, P_CALL_LINE, P_CALL_COLUMN };

typedef struct abbrev_table {
	uint64_t offset;
	abbrev *abbrevs;          /* sorted by code */
	size_t count;
	abbrev_attr *attrs;
	plan_op *ops;
	size_t op_count, op_cap;
	uint32_t *direct;         /* code -> index + 1, when codes are dense */
	size_t direct_len;
	int status;
} abbrev_table;

/* Work on crafted input stays linear: abbreviation tables and range lists are read from
 * shared offsets, so the bytes read are budgeted (a few times the section, plus 1 MiB). */
#define BUDGET(size) (4 * (size) + (1u << 20))

struct crp_dwarf {
	crp_allocator alloc;
	crp_dwarf_sections s;
	crp_dwarf_unit *units;
	size_t unit_count;
	uint32_t *unit_table;     /* abbreviation table of each unit, + 1; 0 until looked up */
	abbrev_table **tables;    /* each allocated alone: pointers stay valid */
	size_t table_count, table_cap;
	uint64_t *map_off;        /* offset -> table, open addressing */
	uint32_t *map_idx;        /* index + 1; 0: empty slot */
	size_t map_cap;
	size_t abbrev_budget;     /* spent while opening, by one thread */
	_Atomic size_t range_budget, line_budget;
	crp_strtab str, line_str;
};

static int oom(crp_error *err)
{
	if (err) {
		crp__error_clear(err);
		crp__error_set(err, CRP_ENOMEM, "out of memory");
	}
	return CRP_ENOMEM;
}

/* -- abbreviation tables ----------------------------------------------------------------- */

static int grow(const crp_allocator *a, void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return CRP_OK;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / elem)
		return CRP_ENOMEM;
	void *q = crp__realloc(a, *p, n * elem);
	if (!q)
		return CRP_ENOMEM;
	*p = q;
	*cap = n;
	return CRP_OK;
}

static int cmp_abbrev(const void *a, const void *b)
{
	uint64_t x = ((const abbrev *)a)->code, y = ((const abbrev *)b)->code;
	return x < y ? -1 : x > y;
}

static int read_abbrev_attrs(crp_dwarf *d, abbrev_table *t, crp_cursor *c, abbrev *ab,
			     size_t *attr_cap)
{
	for (;;) {
		uint64_t name = crp__cur_uleb(c), form = crp__cur_uleb(c);
		int64_t implicit = form == F_implicit_const ? crp__cur_sleb(c) : 0;
		if (c->bad)
			return CRP_ECORRUPT;
		if (name == 0 && form == 0)
			return CRP_OK;
		if (ab->attr_count >= CRP_DWARF_MAX_ABBREV_ATTRS || name > 0xffff || form > 0xffff)
			return CRP_ECORRUPT;
		size_t n = ab->first_attr + ab->attr_count;
		if (grow(&d->alloc, (void **)&t->attrs, attr_cap, n + 1, sizeof *t->attrs) != CRP_OK)
			return CRP_ENOMEM;
		t->attrs[n] = (abbrev_attr){(uint16_t)name, (uint16_t)form, implicit};
		ab->attr_count++;
	}
}

/* A form's size when it does not depend on the bytes, else 0. */
static unsigned form_size(unsigned form, unsigned addr_size)
{
	switch (form) {
	case F_flag_present: case F_implicit_const: return 0;
	case F_data1: case F_ref1: case F_flag: case F_strx1: case F_addrx1: return 1;
	case F_data2: case F_ref2: case F_strx2: case F_addrx2: return 2;
	case F_strx3: case F_addrx3: return 3;
	case F_data4: case F_ref4: case F_ref_sup4: case F_strx4: case F_addrx4: case F_strp:
	case F_line_strp: case F_sec_offset: case F_strp_sup: case F_ref_addr: return 4;
	case F_data8: case F_ref8: case F_ref_sig8: case F_ref_sup8: return 8;
	case F_data16: return 16;
	case F_addr: return addr_size;
	default: return UINT16_MAX;
	}
}

static int add_op(crp_dwarf *d, abbrev_table *t, plan_op op)
{
	if (grow(&d->alloc, (void **)&t->ops, &t->op_cap, t->op_count + 1, sizeof *t->ops) != CRP_OK)
		return CRP_ENOMEM;
	t->ops[t->op_count++] = op;
	return CRP_OK;
}

static uint8_t place_of(unsigned name)
{
	switch (name) {
	case A_low_pc: return P_LOW;
	case A_high_pc: return P_HIGH;
	case A_entry_pc: return P_ENTRY;
	case A_ranges: return P_RANGES;
	case A_call_file: return P_CALL_FILE;
	case A_call_line: return P_CALL_LINE;
	case A_call_column: return P_CALL_COLUMN;
	default: return P_NONE;
	}
}

/* One plan of an abbreviation. Attributes are at most 512, each fixed form at most 16 bytes:
 * a run never overflows 16 bits. */
static int plan(crp_dwarf *d, abbrev_table *t, abbrev *ab, unsigned k, bool place, uint32_t *first,
		uint16_t *count)
{
	unsigned bytes = 0, addr_size = k ? 8 : 4;
	*first = (uint32_t)t->op_count;
	for (uint32_t i = 0; i < ab->attr_count; i++) {
		const abbrev_attr *a = &t->attrs[ab->first_attr + i];
		unsigned size = form_size(a->form, addr_size);
		uint8_t target = place ? place_of(a->name) : P_NONE;
		if (size != UINT16_MAX && target == P_NONE) {
			bytes += size;
			continue;
		}
		CRP_TRY(add_op(d, t, (plan_op){(uint16_t)bytes, a->form, (uint16_t)i, target}));
		bytes = 0;
	}
	if (bytes)
		CRP_TRY(add_op(d, t, (plan_op){(uint16_t)bytes, 0, 0, P_NONE}));
	*count = (uint16_t)(t->op_count - *first);
	return CRP_OK;
}

static int plans(crp_dwarf *d, abbrev_table *t, abbrev *ab)
{
	for (uint32_t i = 0; i < ab->attr_count; i++)
		ab->indirect |= t->attrs[ab->first_attr + i].form == F_indirect;
	for (unsigned k = 0; k < 2 && !ab->indirect; k++) {
		CRP_TRY(plan(d, t, ab, k, false, &ab->skip_first[k], &ab->skip_count[k]));
		CRP_TRY(plan(d, t, ab, k, true, &ab->place_first[k], &ab->place_count[k]));
	}
	return CRP_OK;
}

static int build_direct(crp_dwarf *d, abbrev_table *t)
{
	uint64_t max = t->count ? t->abbrevs[t->count - 1].code : 0;
	if (max > 4 * (uint64_t)t->count + 256)
		return CRP_OK; /* sparse codes: binary search instead */
	t->direct_len = (size_t)max + 1;
	t->direct = crp__malloc(&d->alloc, t->direct_len * sizeof *t->direct);
	if (!t->direct)
		return CRP_ENOMEM;
	memset(t->direct, 0, t->direct_len * sizeof *t->direct);
	for (size_t i = t->count; i-- > 0;)
		t->direct[t->abbrevs[i].code] = (uint32_t)i + 1; /* first of duplicate codes wins */
	return CRP_OK;
}

/* Reads at most what is left of the budget: past it, the table is refused (CRP_ELIMIT). */
static int parse_abbrevs(crp_dwarf *d, abbrev_table *t)
{
	size_t size = d->s.size[CRP_DW_SEC_ABBREV], cap = 0, attr_cap = 0;
	if (t->offset >= size)
		return CRP_ECORRUPT;
	size_t avail = size - (size_t)t->offset;
	bool capped = avail > d->abbrev_budget;
	crp_cursor c = crp__cursor(d->s.data[CRP_DW_SEC_ABBREV] + t->offset, capped ? d->abbrev_budget : avail);
	uint32_t attrs_used = 0;
	int rc = CRP_OK;
	for (;;) {
		uint64_t code = crp__cur_uleb(&c);
		if (c.bad || code == 0)
			break;
		if (grow(&d->alloc, (void **)&t->abbrevs, &cap, t->count + 1, sizeof *t->abbrevs) != CRP_OK)
			return CRP_ENOMEM;
		abbrev *ab = &t->abbrevs[t->count];
		uint64_t tag = crp__cur_uleb(&c);
		*ab = (abbrev){code, (uint32_t)tag, attrs_used, 0, crp__cur_u8(&c) != 0, false, {0, 0}, {0, 0},
			       {0, 0}, {0, 0}};
		if (c.bad || tag > UINT32_MAX || (rc = read_abbrev_attrs(d, t, &c, ab, &attr_cap)) != CRP_OK)
			break;
		attrs_used += ab->attr_count;
		t->count++;
	}
	d->abbrev_budget -= (size_t)(c.p - (d->s.data[CRP_DW_SEC_ABBREV] + t->offset));
	if (rc == CRP_ENOMEM)
		return rc;
	if (c.bad || rc != CRP_OK)
		return capped ? CRP_ELIMIT : CRP_ECORRUPT;
	if (t->count > 1)
		qsort(t->abbrevs, t->count, sizeof *t->abbrevs, cmp_abbrev);
	for (size_t i = 0; i < t->count; i++)
		CRP_TRY(plans(d, t, &t->abbrevs[i]));
	return build_direct(d, t);
}

static const abbrev *find_abbrev(const abbrev_table *t, uint64_t code)
{
	if (t->direct) {
		uint32_t i = code < t->direct_len ? t->direct[code] : 0;
		return i ? &t->abbrevs[i - 1] : NULL;
	}
	size_t lo = 0, hi = t->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->abbrevs[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->count && t->abbrevs[lo].code == code ? &t->abbrevs[lo] : NULL;
}

static size_t map_slot(const crp_dwarf *d, uint64_t off)
{
	size_t i = (size_t)((off * UINT64_C(0x9e3779b97f4a7c15)) >> 17) & (d->map_cap - 1);
	while (d->map_idx[i] && d->map_off[i] != off)
		i = (i + 1) & (d->map_cap - 1);
	return i;
}

static int map_grow(crp_dwarf *d)
{
	size_t cap = d->map_cap ? d->map_cap * 2 : 64;
	uint64_t *off = crp__malloc(&d->alloc, cap * sizeof *off);
	uint32_t *idx = crp__malloc(&d->alloc, cap * sizeof *idx);
	if (!off || !idx) {
		crp__free(&d->alloc, off);
		crp__free(&d->alloc, idx);
		return CRP_ENOMEM;
	}
	memset(idx, 0, cap * sizeof *idx);
	crp_dwarf old = *d;
	d->map_off = off, d->map_idx = idx, d->map_cap = cap;
	for (size_t i = 0; i < old.map_cap; i++)
		if (old.map_idx[i]) {
			size_t j = map_slot(d, old.map_off[i]);
			d->map_off[j] = old.map_off[i];
			d->map_idx[j] = old.map_idx[i];
		}
	crp__free(&d->alloc, old.map_off);
	crp__free(&d->alloc, old.map_idx);
	return CRP_OK;
}

static void free_table(crp_dwarf *d, abbrev_table *t)
{
	if (!t)
		return;
	crp__free(&d->alloc, t->abbrevs);
	crp__free(&d->alloc, t->attrs);
	crp__free(&d->alloc, t->ops);
	crp__free(&d->alloc, t->direct);
	crp__free(&d->alloc, t);
}

/* Parses the table at `offset` and files it (failures too: they are properties of the input).
 * Returns its index + 1, or 0 when out of memory. */
static uint32_t new_table(crp_dwarf *d, uint64_t offset)
{
	if ((d->table_count + 1) * 2 > d->map_cap && map_grow(d) != CRP_OK)
		return 0;
	if (grow(&d->alloc, (void **)&d->tables, &d->table_cap, d->table_count + 1, sizeof *d->tables))
		return 0;
	abbrev_table *t = crp__malloc(&d->alloc, sizeof *t);
	if (!t)
		return 0;
	memset(t, 0, sizeof *t);
	t->offset = offset;
	t->status = parse_abbrevs(d, t);
	if (t->status == CRP_ENOMEM) { /* not a property of the input: a retry may work */
		free_table(d, t);
		return 0;
	}
	d->tables[d->table_count++] = t;
	size_t j = map_slot(d, offset);
	d->map_off[j] = offset;
	d->map_idx[j] = (uint32_t)d->table_count;
	return (uint32_t)d->table_count;
}

/* The unit's table, parsed on first use and shared by units naming the same offset. NULL on
 * failure (*rc says why). */
static const abbrev_table *unit_abbrevs(crp_dwarf *d, const crp_dwarf_unit *u, int *rc)
{
	size_t ui = (size_t)(u - d->units);
	uint32_t k = d->unit_table[ui];
	if (!k && d->map_cap) {
		size_t j = map_slot(d, u->abbrev_offset);
		k = d->map_idx[j];
	}
	if (!k)
		k = new_table(d, u->abbrev_offset);
	if (!k) {
		*rc = CRP_ENOMEM;
		return NULL;
	}
	if (d->unit_table[ui] != k) /* set while opening; later readers only read it */
		d->unit_table[ui] = k;
	*rc = d->tables[k - 1]->status;
	return *rc == CRP_OK ? d->tables[k - 1] : NULL;
}

/* -- attribute values -------------------------------------------------------------------- */

static uint64_t tombstone(unsigned addr_size)
{
	return addr_size >= 8 ? UINT64_MAX : (UINT64_C(1) << (addr_size * 8)) - 1;
}

/* Reads a value of `form`; `*str` receives inline strings (DW_FORM_string). */
static int read_value(const crp_dwarf_unit *u, crp_cursor *c, unsigned form, int64_t implicit,
		      uint64_t *v, const char **str)
{
	*v = 0;
	switch (form) {
	case F_addr: *v = crp__cur_uint(c, u->addr_size); break;
	case F_data1: case F_ref1: case F_flag: case F_strx1: case F_addrx1: *v = crp__cur_u8(c); break;
	case F_data2: case F_ref2: case F_strx2: case F_addrx2: *v = crp__cur_u16(c); break;
	case F_strx3: case F_addrx3: *v = crp__cur_u24(c); break;
	case F_data4: case F_ref4: case F_ref_sup4: case F_strx4: case F_addrx4: *v = crp__cur_u32(c); break;
	case F_data8: case F_ref8: case F_ref_sig8: case F_ref_sup8: *v = crp__cur_u64(c); break;
	case F_data16: crp__cur_take(c, 16); break;
	case F_sdata: *v = (uint64_t)crp__cur_sleb(c); break;
	case F_udata: case F_ref_udata: case F_strx: case F_addrx: case F_loclistx: case F_rnglistx:
	case F_GNU_addr_index: case F_GNU_str_index: *v = crp__cur_uleb(c); break;
	case F_strp: case F_line_strp: case F_sec_offset: case F_strp_sup: case F_GNU_ref_alt:
	case F_GNU_strp_alt: *v = crp__cur_uint(c, u->offset_size); break;
	case F_ref_addr: *v = crp__cur_uint(c, u->version <= 2 ? u->addr_size : u->offset_size); break;
	case F_string: *str = crp__cur_cstr(c); break;
	case F_block1: crp__cur_take(c, crp__cur_u8(c)); break;
	case F_block2: crp__cur_take(c, crp__cur_u16(c)); break;
	case F_block4: crp__cur_take(c, crp__cur_u32(c)); break;
	case F_block: case F_exprloc: {
		uint64_t n = crp__cur_uleb(c);
		crp__cur_take(c, n > SIZE_MAX ? SIZE_MAX : (size_t)n);
		break;
	}
	case F_flag_present: *v = 1; break;
	case F_implicit_const: *v = (uint64_t)implicit; break;
	default: return CRP_ECORRUPT;
	}
	return c->bad ? CRP_ECORRUPT : CRP_OK;
}

/* Resolves DW_FORM_indirect (once: an indirect form naming another indirect is damage). */
static int read_attr(const crp_dwarf_unit *u, crp_cursor *c, unsigned *form, int64_t implicit,
		     uint64_t *v, const char **str)
{
	if (*form == F_indirect) {
		uint64_t f = crp__cur_uleb(c);
		if (c->bad || f == F_indirect || f > 0xffff)
			return CRP_ECORRUPT;
		*form = (unsigned)f;
	}
	return read_value(u, c, *form, implicit, v, str);
}

int crp__dwarf_form(const crp_dwarf *d, const crp_dwarf_unit *u, crp_cursor *c, unsigned form,
		    uint64_t *value, const char **str)
{
	*str = NULL;
	CRP_TRY(read_attr(u, c, &form, 0, value, str));
	if (form != F_string) {
		crp_dwarf_attr a = {(uint16_t)form, *value};
		if (form == F_strp || form == F_line_strp || form == F_strx || form == F_strx1 ||
		    form == F_strx2 || form == F_strx3 || form == F_strx4)
			*str = crp__dwarf_string(d, u, &a);
	}
	return CRP_OK;
}

static bool is_constant(unsigned form)
{
	return form == F_data1 || form == F_data2 || form == F_data4 || form == F_data8 ||
	       form == F_udata || form == F_sdata || form == F_implicit_const;
}

static bool is_addrx(unsigned form)
{
	return form == F_addrx || form == F_addrx1 || form == F_addrx2 || form == F_addrx3 ||
	       form == F_addrx4 || form == F_GNU_addr_index;
}

static bool is_ref(unsigned form)
{
	return form == F_ref1 || form == F_ref2 || form == F_ref4 || form == F_ref8 ||
	       form == F_ref_udata || form == F_ref_addr;
}

static const char *str_at(const crp_dwarf *d, int sec, uint64_t off)
{
	return crp__strtab_get(sec == CRP_DW_SEC_STR ? &d->str : &d->line_str, off);
}

const char *crp__dwarf_string(const crp_dwarf *d, const crp_dwarf_unit *u, const crp_dwarf_attr *a)
{
	switch (a->form) {
	case F_string: return (const char *)(uintptr_t)a->value;
	case F_strp: return str_at(d, CRP_DW_SEC_STR, a->value);
	case F_line_strp: return str_at(d, CRP_DW_SEC_LINE_STR, a->value);
	case F_strx: case F_strx1: case F_strx2: case F_strx3: case F_strx4: case F_GNU_str_index: {
		if (!u->has_str_offsets_base || a->value > UINT64_MAX / u->offset_size)
			return NULL;
		uint64_t at = u->str_offsets_base + a->value * u->offset_size;
		size_t size = d->s.size[CRP_DW_SEC_STR_OFFSETS];
		if (at < u->str_offsets_base || !crp__in_bounds(at, u->offset_size, size))
			return NULL;
		const uint8_t *p = d->s.data[CRP_DW_SEC_STR_OFFSETS] + at;
		return str_at(d, CRP_DW_SEC_STR, u->offset_size == 8 ? crp__le64(p) : crp__le32(p));
	}
	default: return NULL;
	}
}

static bool addr_at_index(const crp_dwarf *d, const crp_dwarf_unit *u, uint64_t idx, uint64_t *out)
{
	if (!u->has_addr_base || idx > UINT64_MAX / 8)
		return false;
	uint64_t at = u->addr_base + idx * u->addr_size;
	if (at < u->addr_base || !crp__in_bounds(at, u->addr_size, d->s.size[CRP_DW_SEC_ADDR]))
		return false;
	const uint8_t *p = d->s.data[CRP_DW_SEC_ADDR] + at;
	*out = u->addr_size == 8 ? crp__le64(p) : crp__le32(p);
	return true;
}

/* -- DIEs -------------------------------------------------------------------------------- */

/* Raw address-valued attributes, resolved once the whole DIE is read (the unit DIE carries
 * the DW_AT_addr_base its own DW_AT_low_pc may need). */
typedef struct pending {
	unsigned low_form, high_form, entry_form;
	uint64_t low, high, entry;
	crp_dwarf_attr comp_dir;
} pending;

static void set_unit_attr(crp_dwarf_unit *u, unsigned name, unsigned form, uint64_t v)
{
	if (!u || (form != F_sec_offset && form != F_data4 && form != F_data8))
		return;
	switch (name) {
	case A_stmt_list: u->stmt_list = v; u->has_stmt_list = true; break;
	case A_str_offsets_base: u->str_offsets_base = v; u->has_str_offsets_base = true; break;
	case A_addr_base: u->addr_base = v; u->has_addr_base = true; break;
	case A_rnglists_base: u->rnglists_base = v; u->has_rnglists_base = true; break;
	default: break;
	}
}

static void set_attr(const crp_dwarf_unit *u, crp_dwarf_die *die, pending *pd, unsigned name,
		     unsigned form, uint64_t v)
{
	bool k = is_constant(form);
	switch (name) {
	case A_name: if (!die->name.form) die->name = (crp_dwarf_attr){(uint16_t)form, v}; break;
	case A_linkage_name:
	case A_MIPS_linkage_name:
		if (!die->linkage.form)
			die->linkage = (crp_dwarf_attr){(uint16_t)form, v};
		break;
	case A_low_pc: pd->low_form = form; pd->low = v; break;
	case A_high_pc: pd->high_form = form; pd->high = v; break;
	case A_entry_pc: pd->entry_form = form; pd->entry = v; break;
	case A_comp_dir: pd->comp_dir = (crp_dwarf_attr){(uint16_t)form, v}; break;
	case A_ranges:
		if (form == F_sec_offset || form == F_data4 || form == F_data8 || form == F_rnglistx) {
			die->ranges = v;
			die->has |= CRP_DIE_RANGES | (form == F_rnglistx ? CRP_DIE_RANGES_INDEX : 0);
		}
		break;
	case A_abstract_origin:
	case A_specification:
		if (is_ref(form)) {
			uint64_t abs = form == F_ref_addr ? v : u->offset + v;
			if (name == A_abstract_origin)
				die->abstract_origin = abs, die->has |= CRP_DIE_ABSTRACT_ORIGIN;
			else
				die->specification = abs, die->has |= CRP_DIE_SPECIFICATION;
		}
		break;
	case A_call_file: if (k) die->call_file = v, die->has |= CRP_DIE_CALL_FILE; break;
	case A_call_line: if (k) die->call_line = v, die->has |= CRP_DIE_CALL_LINE; break;
	case A_call_column: if (k) die->call_column = v, die->has |= CRP_DIE_CALL_COLUMN; break;
	case A_decl_file: if (k) die->decl_file = v, die->has |= CRP_DIE_DECL_FILE; break;
	case A_decl_line: if (k) die->decl_line = v, die->has |= CRP_DIE_DECL_LINE; break;
	default: break;
	}
}

static bool resolve_addr(const crp_dwarf *d, const crp_dwarf_unit *u, unsigned form, uint64_t v,
			 uint64_t *out)
{
	if (form == F_addr) {
		*out = v;
		return true;
	}
	return is_addrx(form) && addr_at_index(d, u, v, out);
}

static void resolve_pending(const crp_dwarf *d, const crp_dwarf_unit *u, crp_dwarf_die *die,
			    const pending *pd)
{
	if (pd->low_form && resolve_addr(d, u, pd->low_form, pd->low, &die->low_pc))
		die->has |= CRP_DIE_LOW_PC;
	if (pd->entry_form && resolve_addr(d, u, pd->entry_form, pd->entry, &die->entry_pc))
		die->has |= CRP_DIE_ENTRY_PC;
	if (!pd->high_form)
		return;
	if (resolve_addr(d, u, pd->high_form, pd->high, &die->high_pc))
		die->has |= CRP_DIE_HIGH_PC;
	else if (is_constant(pd->high_form) && pd->high_form != F_sdata)
		die->high_pc = pd->high, die->has |= CRP_DIE_HIGH_PC | CRP_DIE_HIGH_PC_OFFSET;
}

/* Decodes the DIE at the cursor. *code is 0 for a null entry. `uw` (the unit DIE only)
 * receives the unit's bases. */
static int decode_die(crp_dwarf *d, const crp_dwarf_unit *u, const abbrev_table *t, crp_cursor *c,
		      crp_dwarf_die *die, uint64_t *code, crp_dwarf_unit *uw)
{
	memset(die, 0, sizeof *die);
	die->offset = (uint64_t)(c->p - d->s.data[CRP_DW_SEC_INFO]);
	die->unit = u;
	*code = crp__cur_uleb(c);
	if (c->bad)
		return CRP_ECORRUPT;
	if (*code == 0)
		return CRP_OK;
	const abbrev *ab = find_abbrev(t, *code);
	if (!ab)
		return CRP_ECORRUPT;
	die->tag = ab->tag;
	die->has_children = ab->children;
	pending pd;
	memset(&pd, 0, sizeof pd);
	for (uint32_t i = 0; i < ab->attr_count; i++) {
		const abbrev_attr *a = &t->attrs[ab->first_attr + i];
		unsigned form = a->form;
		uint64_t v;
		const char *s = NULL;
		CRP_TRY(read_attr(u, c, &form, a->implicit, &v, &s));
		if (form == F_string)
			v = (uint64_t)(uintptr_t)s;
		set_attr(u, die, &pd, a->name, form, v);
		set_unit_attr(uw, a->name, form, v);
	}
	resolve_pending(d, uw ? uw : u, die, &pd);
	if (uw && pd.comp_dir.form)
		uw->comp_dir = crp__dwarf_string(d, uw, &pd.comp_dir);
	return CRP_OK;
}

/* -- units ------------------------------------------------------------------------------- */

static int read_unit_header(const crp_dwarf *d, uint64_t off, crp_dwarf_unit *u, uint64_t *next)
{
	size_t size = d->s.size[CRP_DW_SEC_INFO];
	crp_cursor c = crp__cursor(d->s.data[CRP_DW_SEC_INFO] + off, size - (size_t)off);
	memset(u, 0, sizeof *u);
	u->offset = off;
	uint64_t len = crp__cur_u32(&c);
	u->offset_size = 4;
	if (len == 0xffffffffu) {
		len = crp__cur_u64(&c);
		u->offset_size = 8;
	} else if (len >= 0xfffffff0u) {
		return CRP_ECORRUPT;
	}
	uint64_t body = (uint64_t)(c.p - d->s.data[CRP_DW_SEC_INFO]);
	if (c.bad || !crp__in_bounds(body, len, size))
		return CRP_ECORRUPT;
	u->end = body + len;
	*next = u->end;
	c.end = d->s.data[CRP_DW_SEC_INFO] + u->end;
	u->version = crp__cur_u16(&c);
	if (u->version < 2 || u->version > 5)
		return CRP_EUNSUPPORTED;
	if (u->version >= 5) {
		u->unit_type = crp__cur_u8(&c);
		u->addr_size = crp__cur_u8(&c);
		u->abbrev_offset = crp__cur_uint(&c, u->offset_size);
		if (u->unit_type == CRP_DW_UT_type || u->unit_type == 6)
			crp__cur_take(&c, 8 + u->offset_size);
		else if (u->unit_type == CRP_DW_UT_skeleton || u->unit_type == 5)
			crp__cur_take(&c, 8);
	} else {
		u->unit_type = CRP_DW_UT_compile;
		u->abbrev_offset = crp__cur_uint(&c, u->offset_size);
		u->addr_size = crp__cur_u8(&c);
	}
	if (c.bad)
		return CRP_ECORRUPT;
	if (u->addr_size != 4 && u->addr_size != 8)
		return CRP_EUNSUPPORTED;
	u->first_die = (uint64_t)(c.p - d->s.data[CRP_DW_SEC_INFO]);
	return CRP_OK;
}

static int read_unit_die(crp_dwarf *d, size_t i)
{
	crp_dwarf_unit *u = &d->units[i];
	int rc;
	const abbrev_table *t = unit_abbrevs(d, u, &rc);
	if (!t)
		return rc;
	crp_cursor c = crp__cursor(d->s.data[CRP_DW_SEC_INFO] + u->first_die, (size_t)(u->end - u->first_die));
	crp_dwarf_die die;
	uint64_t code;
	CRP_TRY(decode_die(d, u, t, &c, &die, &code, u));
	if (code == 0)
		return CRP_ECORRUPT;
	u->tag = die.tag;
	u->name = crp__dwarf_string(d, u, &die.name);
	if (die.has & CRP_DIE_LOW_PC)
		u->base_addr = die.low_pc, u->has_base_addr = true;
	else if (die.has & CRP_DIE_ENTRY_PC)
		u->base_addr = die.entry_pc, u->has_base_addr = true;
	return CRP_OK;
}

static int scan_units(crp_dwarf *d)
{
	size_t size = d->s.size[CRP_DW_SEC_INFO], cap = 0;
	uint64_t off = 0;
	while (off + 4 <= size) {
		if (grow(&d->alloc, (void **)&d->units, &cap, d->unit_count + 1, sizeof *d->units))
			return CRP_ENOMEM;
		crp_dwarf_unit *u = &d->units[d->unit_count];
		uint64_t next = size;
		int rc = read_unit_header(d, off, u, &next);
		d->unit_count++;
		u->status = rc;
		if (rc == CRP_ECORRUPT && next == size)
			break; /* the length itself is damaged: nothing after it can be found */
		off = next;
	}
	return CRP_OK;
}

int crp__dwarf_open(crp_dwarf **out, const crp_dwarf_sections *secs, const crp_allocator *alloc,
		    crp_error *err)
{
	crp_allocator a;
	crp__allocator_init(&a, alloc);
	crp_dwarf *d = crp__malloc(&a, sizeof *d);
	*out = NULL;
	if (!d)
		return oom(err);
	memset(d, 0, sizeof *d);
	d->alloc = a;
	d->s = *secs;
	d->abbrev_budget = BUDGET(secs->size[CRP_DW_SEC_ABBREV]);
	atomic_init(&d->range_budget, BUDGET(secs->size[CRP_DW_SEC_RANGES] + secs->size[CRP_DW_SEC_RNGLISTS]));
	atomic_init(&d->line_budget, BUDGET(secs->size[CRP_DW_SEC_LINE]));
	int rc = crp__strtab_init(&d->str, secs->data[CRP_DW_SEC_STR], secs->size[CRP_DW_SEC_STR], &a);
	if (rc == CRP_OK)
		rc = crp__strtab_init(&d->line_str, secs->data[CRP_DW_SEC_LINE_STR],
				      secs->size[CRP_DW_SEC_LINE_STR], &a);
	if (rc == CRP_OK)
		rc = scan_units(d);
	if (rc == CRP_OK && !(d->unit_table = crp__malloc(&a, (d->unit_count ? d->unit_count : 1) * sizeof *d->unit_table)))
		rc = CRP_ENOMEM;
	if (rc == CRP_OK)
		memset(d->unit_table, 0, (d->unit_count ? d->unit_count : 1) * sizeof *d->unit_table);
	for (size_t i = 0; rc == CRP_OK && i < d->unit_count; i++) {
		crp_dwarf_unit *u = &d->units[i];
		if (u->status != CRP_OK)
			continue;
		u->status = read_unit_die(d, i);
		if (u->status == CRP_ENOMEM)
			rc = CRP_ENOMEM;
	}
	if (rc != CRP_OK) {
		crp__dwarf_close(d);
		return oom(err);
	}
	*out = d;
	return CRP_OK;
}

void crp__dwarf_close(crp_dwarf *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->table_count; i++)
		free_table(d, d->tables[i]);
	crp__free(&d->alloc, d->tables);
	crp__free(&d->alloc, d->map_off);
	crp__free(&d->alloc, d->map_idx);
	crp__free(&d->alloc, d->unit_table);
	crp__free(&d->alloc, d->units);
	crp__strtab_dispose(&d->str, &d->alloc);
	crp__strtab_dispose(&d->line_str, &d->alloc);
	crp__free(&d->alloc, d);
}

size_t crp__dwarf_unit_count(const crp_dwarf *d) { return d->unit_count; }
const crp_dwarf_unit *crp__dwarf_unit(const crp_dwarf *d, size_t i) { return &d->units[i]; }
const crp_dwarf_sections *crp__dwarf_sections(const crp_dwarf *d) { return &d->s; }

/* n from a pool, or nothing when it holds less. */
static bool draw(_Atomic size_t *pool, size_t n)
{
	size_t have = atomic_load_explicit(pool, memory_order_relaxed);
	do {
		if (n > have)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(pool, &have, have - n, memory_order_relaxed,
							memory_order_relaxed));
	return true;
}

/* From the budget being replayed, else from the pool (recorded in the budget). */
static bool take(_Atomic size_t *pool, crp_dwarf_budget *b, size_t *mine, size_t n)
{
	if (b && b->replay) {
		if (n > *mine)
			return false;
		*mine -= n;
		return true;
	}
	if (!draw(pool, n))
		return false;
	if (b)
		*mine += n;
	return true;
}

bool crp__dwarf_take_line_budget(crp_dwarf *d, crp_dwarf_budget *b, size_t bytes)
{
	return take(&d->line_budget, b, b ? &b->lines : NULL, bytes);
}

static bool take_range(crp_dwarf *d, crp_dwarf_budget *b)
{
	return take(&d->range_budget, b, b ? &b->ranges : NULL, 1);
}

/* -- walking ----------------------------------------------------------------------------- */

int crp__dwarf_walk_init(crp_dwarf_walk *w, crp_dwarf *d, size_t unit_index)
{
	const crp_dwarf_unit *u = &d->units[unit_index];
	memset(w, 0, sizeof *w);
	w->d = d;
	w->unit = u;
	w->min_depth = UINT_MAX;
	w->done = u->status != CRP_OK;
	if (w->done)
		return u->status;
	w->c = crp__cursor(d->s.data[CRP_DW_SEC_INFO] + u->first_die, (size_t)(u->end - u->first_die));
	return CRP_OK;
}

/* One variable-size form stepped over; the rare ones go the general way. */
static int skip_form(const crp_dwarf_unit *u, crp_cursor *c, unsigned form)
{
	switch (form) {
	case F_exprloc: case F_block: {
		uint64_t n = crp__cur_uleb(c);
		crp__cur_take(c, n > SIZE_MAX ? SIZE_MAX : (size_t)n);
		break;
	}
	case F_udata: case F_sdata: case F_ref_udata: case F_strx: case F_addrx: case F_loclistx:
	case F_rnglistx:
		crp__cur_uleb(c);
		break;
	default: {
		uint64_t v;
		const char *s;
		return read_attr(u, c, &form, 0, &v, &s);
	}
	}
	return c->bad ? CRP_ECORRUPT : CRP_OK;
}

static bool has_plans(const crp_dwarf_unit *u, const abbrev *ab)
{
	return u->offset_size == 4 && u->version >= 3 && !ab->indirect;
}

/* A plan's operations; NULL when it has none (a table without any has no array). */
static const plan_op *plan_ops(const abbrev_table *t, uint32_t first, uint16_t count)
{
	return count ? t->ops + first : NULL;
}

/* One attribute that places a DIE, as set_attr() and resolve_pending() would take it. */
static void set_place(const crp_dwarf_unit *u, crp_dwarf_die *die, pending *pd, uint8_t place,
		      unsigned form, uint64_t v)
{
	bool k = is_constant(form);
	switch (place) {
	case P_LOW: pd->low_form = form; pd->low = v; break;
	case P_HIGH: pd->high_form = form; pd->high = v; break;
	case P_ENTRY: pd->entry_form = form; pd->entry = v; break;
	case P_CALL_FILE: if (k) die->call_file = v, die->has |= CRP_DIE_CALL_FILE; break;
	case P_CALL_LINE: if (k) die->call_line = v, die->has |= CRP_DIE_CALL_LINE; break;
	case P_CALL_COLUMN: if (k) die->call_column = v, die->has |= CRP_DIE_CALL_COLUMN; break;
	default: set_attr(u, die, pd, A_ranges, form, v); break;
	}
}

/* Runs a place plan: what it reads goes into die as decode_die() would set it. */
static int run_place(const crp_dwarf *d, const crp_dwarf_unit *u, const abbrev_table *t, const abbrev *ab,
		     const plan_op *op, uint16_t count, crp_cursor *c, crp_dwarf_die *die)
{
	pending pd = {0, 0, 0, 0, 0, 0, {0, 0}};
	for (const plan_op *end = count ? op + count : op; op < end; op++) {
		crp__cur_take(c, op->bytes);
		if (!op->form)
			continue;
		if (op->place == P_NONE) {
			CRP_TRY(skip_form(u, c, op->form));
			continue;
		}
		const abbrev_attr *a = &t->attrs[ab->first_attr + op->attr];
		unsigned form = a->form;
		uint64_t v;
		const char *s = NULL;
		CRP_TRY(read_value(u, c, form, a->implicit, &v, &s));
		set_place(u, die, &pd, op->place, form, v);
	}
	if (pd.low_form | pd.high_form | pd.entry_form)
		resolve_pending(d, u, die, &pd);
	return c->bad ? CRP_ECORRUPT : CRP_OK;
}

/* A DIE the walker does not decode: its attributes stepped over. */
static int skip_die(const crp_dwarf_unit *u, const abbrev_table *t, const abbrev *ab, crp_cursor *c)
{
	if (has_plans(u, ab)) {
		unsigned k = u->addr_size == 8;
		const plan_op *op = plan_ops(t, ab->skip_first[k], ab->skip_count[k]);
		for (const plan_op *end = op ? op + ab->skip_count[k] : op; op < end; op++) {
			crp__cur_take(c, op->bytes);
			if (op->form)
				CRP_TRY(skip_form(u, c, op->form));
		}
		return c->bad ? CRP_ECORRUPT : CRP_OK;
	}
	for (uint32_t i = 0; i < ab->attr_count; i++) {
		const abbrev_attr *a = &t->attrs[ab->first_attr + i];
		unsigned form = a->form;
		uint64_t v;
		const char *s;
		CRP_TRY(read_attr(u, c, &form, a->implicit, &v, &s));
	}
	return CRP_OK;
}

/* The next entry, decoded or skipped as the walk asks. *code is 0 for a null entry; *shown
 * says whether the caller gets it. */
static int next_entry(crp_dwarf_walk *w, const abbrev_table *t, crp_dwarf_die *die, uint64_t *code,
		      bool *shown)
{
	*shown = true;
	if (!w->decode_tags || w->depth == 0)
		return decode_die(w->d, w->unit, t, &w->c, die, code, NULL);
	const uint8_t *start = w->c.p;
	*code = crp__cur_uleb(&w->c);
	if (w->c.bad)
		return CRP_ECORRUPT;
	if (*code == 0)
		return CRP_OK;
	const abbrev *ab = find_abbrev(t, *code);
	if (!ab)
		return CRP_ECORRUPT;
	bool wanted = ab->tag < 64 && (w->decode_tags >> ab->tag & 1);
	if (wanted && !has_plans(w->unit, ab)) {
		w->c.p = start;
		return decode_die(w->d, w->unit, t, &w->c, die, code, NULL);
	}
	die->offset = (uint64_t)(start - w->d->s.data[CRP_DW_SEC_INFO]);
	die->unit = w->unit;
	die->tag = ab->tag;
	die->has_children = ab->children;
	die->has = 0;
	if (!wanted) {
		*shown = !w->decoded_only;
		return skip_die(w->unit, t, ab, &w->c);
	}
	die->call_file = die->call_line = die->call_column = 0; /* what a plan may leave unset */
	unsigned k = w->unit->addr_size == 8;
	return run_place(w->d, w->unit, t, ab, plan_ops(t, ab->place_first[k], ab->place_count[k]), ab->place_count[k],
			 &w->c, die);
}

int crp__dwarf_walk_next(crp_dwarf_walk *w, crp_dwarf_die *die)
{
	int rc = CRP_OK;
	const abbrev_table *t = w->table;
	if (!t && !w->done && (t = unit_abbrevs(w->d, w->unit, &rc)) != NULL)
		w->table = t;
	if (!t)
		return w->done ? CRP_ITEROVER : rc;
	for (;;) {
		if (!crp__cur_left(&w->c)) {
			w->done = true;
			return CRP_ITEROVER; /* a unit may end without its closing null entries */
		}
		uint64_t code;
		bool shown;
		rc = next_entry(w, t, die, &code, &shown);
		if (rc != CRP_OK) {
			w->done = true;
			return rc;
		}
		if (code == 0) {
			if (w->depth <= 1) { /* the unit DIE's children end: the rest is padding */
				w->done = true;
				return CRP_ITEROVER;
			}
			w->depth--;
			continue;
		}
		die->depth = w->depth;
		if (w->depth < w->min_depth)
			w->min_depth = w->depth;
		if (die->has_children) {
			if (++w->depth > CRP_DWARF_MAX_DEPTH) {
				w->done = true;
				return CRP_ELIMIT;
			}
		} else if (w->depth == 0) {
			w->done = true; /* a unit DIE without children */
			w->c.p = w->c.end;
		}
		if (shown) {
			die->min_depth = w->min_depth;
			w->min_depth = UINT_MAX;
			return CRP_OK;
		}
	}
}

static const crp_dwarf_unit *unit_of(const crp_dwarf *d, uint64_t offset)
{
	size_t lo = 0, hi = d->unit_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->units[mid].end <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == d->unit_count)
		return NULL;
	const crp_dwarf_unit *u = &d->units[lo];
	return u->status == CRP_OK && offset >= u->first_die && offset < u->end ? u : NULL;
}

int crp__dwarf_die_at(crp_dwarf *d, uint64_t offset, crp_dwarf_die *die)
{
	const crp_dwarf_unit *u = unit_of(d, offset);
	if (!u)
		return CRP_ECORRUPT;
	int rc;
	const abbrev_table *t = unit_abbrevs(d, u, &rc);
	if (!t)
		return rc;
	crp_cursor c = crp__cursor(d->s.data[CRP_DW_SEC_INFO] + offset, (size_t)(u->end - offset));
	uint64_t code;
	CRP_TRY(decode_die(d, u, t, &c, die, &code, NULL));
	return code ? CRP_OK : CRP_ECORRUPT;
}

/* LLVM's DWARFDie::findRecursively: a LIFO worklist over abstract_origin and specification
 * links, each DIE visited once. */
static const char *find_recursive(crp_dwarf *d, const crp_dwarf_die *start, bool linkage)
{
	uint64_t seen[CRP_DWARF_MAX_ORIGIN_HOPS], stack[CRP_DWARF_MAX_ORIGIN_HOPS];
	size_t n_seen = 1, top = 0;
	crp_dwarf_die cur = *start;
	seen[0] = start->offset;
	for (;;) {
		const crp_dwarf_attr *a = linkage ? &cur.linkage : &cur.name;
		if (a->form)
			return crp__dwarf_string(d, cur.unit, a);
		uint64_t next[2] = {cur.abstract_origin, cur.specification};
		bool has[2] = {(cur.has & CRP_DIE_ABSTRACT_ORIGIN) != 0, (cur.has & CRP_DIE_SPECIFICATION) != 0};
		for (int k = 0; k < 2; k++) {
			bool dup = false;
			for (size_t i = 0; i < n_seen; i++)
				dup |= seen[i] == next[k];
			if (has[k] && !dup && n_seen < CRP_DWARF_MAX_ORIGIN_HOPS) {
				seen[n_seen++] = next[k];
				stack[top++] = next[k];
			}
		}
		do {
			if (top == 0)
				return NULL;
		} while (crp__dwarf_die_at(d, stack[--top], &cur) != CRP_OK);
	}
}

void crp__dwarf_die_names(crp_dwarf *d, const crp_dwarf_die *die, const char **name,
			  const char **linkage)
{
	if (linkage)
		*linkage = find_recursive(d, die, true);
	if (name)
		*name = find_recursive(d, die, false);
}

/* -- ranges ------------------------------------------------------------------------------ */

static int emit_range(crp_dwarf_range_fn fn, void *ctx, unsigned addr_size, uint64_t lo, uint64_t hi,
		      bool *stop)
{
	uint64_t tomb = tombstone(addr_size);
	if (lo < hi && lo < tomb - 1 && fn(ctx, lo, hi))
		*stop = true;
	return CRP_OK;
}

static int ranges_v4(crp_dwarf *d, const crp_dwarf_die *die, crp_dwarf_budget *b, crp_dwarf_range_fn fn,
		     void *ctx)
{
	const crp_dwarf_unit *u = die->unit;
	size_t size = d->s.size[CRP_DW_SEC_RANGES];
	if (die->ranges >= size)
		return CRP_ECORRUPT;
	crp_cursor c = crp__cursor(d->s.data[CRP_DW_SEC_RANGES] + die->ranges, size - (size_t)die->ranges);
	uint64_t base = u->has_base_addr ? u->base_addr : 0, max = tombstone(u->addr_size);
	bool stop = false;
	while (!stop) {
		if (!take_range(d, b))
			return CRP_ELIMIT;
		uint64_t lo = crp__cur_uint(&c, u->addr_size), hi = crp__cur_uint(&c, u->addr_size);
		if (c.bad)
			return CRP_ECORRUPT;
		if (lo == 0 && hi == 0)
			break;
		if (lo == max)
			base = hi;
		else
			emit_range(fn, ctx, u->addr_size, lo + base, hi + base, &stop);
	}
	return CRP_OK;
}

static int rnglist_offset(const crp_dwarf *d, const crp_dwarf_die *die, uint64_t *off)
{
	const crp_dwarf_unit *u = die->unit;
	if (!(die->has & CRP_DIE_RANGES_INDEX)) {
		*off = die->ranges;
		return CRP_OK;
	}
	if (!u->has_rnglists_base || die->ranges > UINT64_MAX / 8)
		return CRP_ECORRUPT;
	uint64_t at = u->rnglists_base + die->ranges * u->offset_size;
	if (at < u->rnglists_base || !crp__in_bounds(at, u->offset_size, d->s.size[CRP_DW_SEC_RNGLISTS]))
		return CRP_ECORRUPT;
	const uint8_t *p = d->s.data[CRP_DW_SEC_RNGLISTS] + at;
	*off = u->rnglists_base + (u->offset_size == 8 ? crp__le64(p) : crp__le32(p));
	return CRP_OK;
}

static bool rle_addrx(const crp_dwarf *d, const crp_dwarf_unit *u, crp_cursor *c, uint64_t *out)
{
	uint64_t idx = crp__cur_uleb(c);
	return !c->bad && addr_at_index(d, u, idx, out);
}

static int rnglist_entry(crp_dwarf *d, const crp_dwarf_unit *u, crp_cursor *c, uint8_t kind,
			 uint64_t *base, crp_dwarf_range_fn fn, void *ctx, bool *stop)
{
	uint64_t a = 0, b = 0;
	switch (kind) {
	case 1: /* DW_RLE_base_addressx */
		return rle_addrx(d, u, c, base) ? CRP_OK : CRP_ECORRUPT;
	case 2: /* DW_RLE_startx_endx */
		if (!rle_addrx(d, u, c, &a) || !rle_addrx(d, u, c, &b))
			return CRP_ECORRUPT;
		break;
	case 3: /* DW_RLE_startx_length */
		if (!rle_addrx(d, u, c, &a))
			return CRP_ECORRUPT;
		b = a + crp__cur_uleb(c);
		break;
	case 4: /* DW_RLE_offset_pair */
		a = *base + crp__cur_uleb(c);
		b = *base + crp__cur_uleb(c);
		break;
	case 5: /* DW_RLE_base_address */
		*base = crp__cur_uint(c, u->addr_size);
		return c->bad ? CRP_ECORRUPT : CRP_OK;
	case 6: /* DW_RLE_start_end */
		a = crp__cur_uint(c, u->addr_size);
		b = crp__cur_uint(c, u->addr_size);
		break;
	case 7: /* DW_RLE_start_length */
		a = crp__cur_uint(c, u->addr_size);
		b = a + crp__cur_uleb(c);
		break;
	default: return CRP_ECORRUPT;
	}
	if (c->bad)
		return CRP_ECORRUPT;
	return emit_range(fn, ctx, u->addr_size, a, b, stop);
}

static int ranges_v5(crp_dwarf *d, const crp_dwarf_die *die, crp_dwarf_budget *b, crp_dwarf_range_fn fn,
		     void *ctx)
{
	const crp_dwarf_unit *u = die->unit;
	uint64_t off;
	CRP_TRY(rnglist_offset(d, die, &off));
	size_t size = d->s.size[CRP_DW_SEC_RNGLISTS];
	if (off >= size)
		return CRP_ECORRUPT;
	crp_cursor c = crp__cursor(d->s.data[CRP_DW_SEC_RNGLISTS] + off, size - (size_t)off);
	uint64_t base = u->has_base_addr ? u->base_addr : 0;
	bool stop = false;
	while (!stop) {
		if (!take_range(d, b))
			return CRP_ELIMIT;
		uint8_t kind = crp__cur_u8(&c);
		if (c.bad)
			return CRP_ECORRUPT;
		if (kind == 0)
			break;
		CRP_TRY(rnglist_entry(d, u, &c, kind, &base, fn, ctx, &stop));
	}
	return CRP_OK;
}

int crp__dwarf_die_ranges(crp_dwarf *d, const crp_dwarf_die *die, crp_dwarf_budget *b,
			  crp_dwarf_range_fn fn, void *ctx)
{
	const crp_dwarf_unit *u = die->unit;
	bool stop = false;
	/* LLVM: low_pc + high_pc first; a tombstone low_pc falls through to DW_AT_ranges */
	if ((die->has & CRP_DIE_LOW_PC) && (die->has & CRP_DIE_HIGH_PC) &&
	    die->low_pc != tombstone(u->addr_size)) {
		uint64_t hi = die->has & CRP_DIE_HIGH_PC_OFFSET ? die->low_pc + die->high_pc : die->high_pc;
		return emit_range(fn, ctx, u->addr_size, die->low_pc, hi, &stop);
	}
	if (!(die->has & CRP_DIE_RANGES))
		return CRP_OK;
	return u->version >= 5 ? ranges_v5(d, die, b, fn, ctx) : ranges_v4(d, die, b, fn, ctx);
}

/* -- .debug_aranges ---------------------------------------------------------------------- */

static int arange_set(crp_cursor *c, crp_dwarf_arange_fn fn, void *ctx)
{
	const uint8_t *start = c->p;
	uint64_t len = crp__cur_u32(c);
	unsigned osize = 4;
	if (len == 0xffffffffu)
		len = crp__cur_u64(c), osize = 8;
	if (c->bad || len > crp__cur_left(c))
		return CRP_ECORRUPT;
	crp_cursor s = crp__cursor(c->p, (size_t)len);
	c->p += len;
	uint16_t version = crp__cur_u16(&s);
	uint64_t unit = crp__cur_uint(&s, osize);
	uint8_t asize = crp__cur_u8(&s), segsize = crp__cur_u8(&s);
	if (s.bad || version != 2 || (asize != 4 && asize != 8) || segsize > 8)
		return CRP_ECORRUPT;
	size_t tuple = 2u * asize + segsize, hdr = (size_t)(s.p - start);
	if (hdr % tuple)
		crp__cur_take(&s, tuple - hdr % tuple);
	fn(ctx, unit, 0, 0); /* marks the unit as described by .debug_aranges */
	while (!s.bad && crp__cur_left(&s) >= tuple) {
		if (segsize)
			crp__cur_take(&s, segsize);
		uint64_t lo = crp__cur_uint(&s, asize), n = crp__cur_uint(&s, asize);
		if (lo == 0 && n == 0)
			break;
		if (n && lo + n > lo && fn(ctx, unit, lo, lo + n))
			return CRP_EUSER;
	}
	return CRP_OK;
}

int crp__dwarf_aranges(const crp_dwarf *d, crp_dwarf_arange_fn fn, void *ctx)
{
	crp_cursor c = crp__cursor(d->s.data[CRP_DW_SEC_ARANGES], d->s.size[CRP_DW_SEC_ARANGES]);
	while (crp__cur_left(&c) >= 4) {
		int rc = arange_set(&c, fn, ctx);
		if (rc == CRP_EUSER)
			return CRP_OK;
		CRP_TRY(rc);
	}
	return CRP_OK;
}
