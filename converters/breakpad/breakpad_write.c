/* Breakpad symbol files: the symbol table's PUBLIC candidates, the final ordering (what
 * Breakpad's Module::Write produces), and the text itself. */
#include <stdio.h>
#include <stdlib.h>

#include "breakpad_int.h"
#include "demangle/demangle.h"

/* -- the dump ------------------------------------------------------------------------------ */

int crp__bp_init(bp_dump *b, const crp_allocator *alloc, unsigned flags, uint64_t base,
		 size_t input_bytes, crp_error *err)
{
	memset(b, 0, sizeof *b);
	crp__allocator_init(&b->alloc, alloc);
	crp__arena_init(&b->strings, &b->alloc, 0);
	b->err = err;
	b->flags = flags;
	b->base = base;
	/* A line record needs a byte of line program at least; only overlapping functions and
	 * functions in several ranges repeat records, so two per input byte is plenty. */
	b->budget = input_bytes > (SIZE_MAX - (1u << 20)) / 2 ? SIZE_MAX : 2 * input_bytes + (1u << 20);
	b->namebuf = crp__malloc(&b->alloc, BP_MAX_NAME);
	return b->namebuf ? CRP_OK : crp__bp_oom(b);
}

static void names_dispose(bp_dump *b, bp_names *t)
{
	crp__free(&b->alloc, (void *)t->str);
	crp__free(&b->alloc, t->id);
	crp__free(&b->alloc, t->slots);
	crp__free(&b->alloc, t->order);
}

void crp__bp_dispose(bp_dump *b)
{
	if (!b->alloc.free)
		return;
	crp__free(&b->alloc, b->ranges);
	crp__free(&b->alloc, b->funcs);
	crp__free(&b->alloc, b->inlines);
	crp__free(&b->alloc, b->lines);
	crp__free(&b->alloc, b->publics);
	names_dispose(b, &b->files);
	names_dispose(b, &b->origins);
	crp__free(&b->alloc, b->origin_cache.key);
	crp__free(&b->alloc, b->origin_cache.val);
	crp__free(&b->alloc, b->namebuf);
	crp__arena_dispose(&b->strings);
	memset(b, 0, sizeof *b);
}

void crp__bp_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1) /* qsort must not see the NULL of an empty table */
		qsort(base, n, size, cmp);
}

int crp__bp_oom(bp_dump *b)
{
	if (b->err) {
		crp__error_clear(b->err);
		crp__error_set(b->err, CRP_ENOMEM, "out of memory");
	}
	return CRP_ENOMEM;
}

int crp__bp_limit(bp_dump *b, const char *what)
{
	if (b->err) {
		crp__error_clear(b->err);
		crp__error_set(b->err, CRP_ELIMIT, "too many %s for the input's size (damaged DWARF?)", what);
	}
	return CRP_ELIMIT;
}

int crp__bp_grow(bp_dump *b, void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return CRP_OK;
	if (need > BP_MAX_ITEMS)
		return crp__bp_limit(b, "records");
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	if (n > SIZE_MAX / elem)
		return crp__bp_oom(b);
	void *q = crp__realloc(&b->alloc, *p, n * elem);
	if (!q)
		return crp__bp_oom(b);
	*p = q;
	*cap = n;
	return CRP_OK;
}

/* -- interned strings ---------------------------------------------------------------------- */

static size_t hash_str(const char *s)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325); /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * UINT64_C(0x100000001b3);
	return (size_t)(h ^ (h >> 29));
}

static size_t names_slot(const bp_names *t, const char *s)
{
	size_t i = hash_str(s) & (t->slot_cap - 1);
	while (t->slots[i] && strcmp(t->str[t->slots[i] - 1], s) != 0)
		i = (i + 1) & (t->slot_cap - 1);
	return i;
}

static int names_rehash(bp_dump *b, bp_names *t)
{
	size_t cap = t->slot_cap ? t->slot_cap * 2 : 256;
	uint32_t *slots = crp__malloc(&b->alloc, cap * sizeof *slots);
	if (!slots)
		return crp__bp_oom(b);
	memset(slots, 0, cap * sizeof *slots);
	crp__free(&b->alloc, t->slots);
	t->slots = slots;
	t->slot_cap = cap;
	for (size_t k = 0; k < t->count; k++)
		t->slots[names_slot(t, t->str[k])] = (uint32_t)k + 1;
	return CRP_OK;
}

int crp__bp_intern(bp_dump *b, bp_names *t, const char *s, uint32_t *out)
{
	if ((t->count + 1) * 2 > t->slot_cap)
		CRP_TRY(names_rehash(b, t));
	size_t i = names_slot(t, s);
	if (t->slots[i]) {
		*out = t->slots[i] - 1;
		return CRP_OK;
	}
	size_t cap = t->cap;
	CRP_TRY(crp__bp_grow(b, (void **)&t->str, &cap, t->count + 1, sizeof *t->str));
	if (cap != t->cap) {
		size_t idcap = t->cap;
		CRP_TRY(crp__bp_grow(b, (void **)&t->id, &idcap, cap, sizeof *t->id));
		t->cap = cap;
	}
	char *copy = crp__arena_strndup(&b->strings, s, strlen(s));
	if (!copy)
		return crp__bp_oom(b);
	t->str[t->count] = copy;
	t->id[t->count] = BP_NONE;
	t->slots[i] = (uint32_t)++t->count;
	*out = (uint32_t)t->count - 1;
	return CRP_OK;
}

/* -- PUBLIC candidates --------------------------------------------------------------------- */

bool crp__bp_demangle_swift(bp_dump *b, const char *name)
{
	unsigned style = b->flags & CRP_BREAKPAD_SWIFT_SIMPLIFIED ? CRP__DM_SIMPLIFIED : 0;
	if (!(b->flags & (CRP_BREAKPAD_SWIFT_FULL | CRP_BREAKPAD_SWIFT_SIMPLIFIED)) ||
	    !crp__is_swift_mangled(name))
		return false;
	return crp__demangle_swift(name, strlen(name), b->namebuf, BP_MAX_NAME, style, &b->alloc) != 0;
}

/* Breakpad's rule (StabsToModule::Extern): C++ names demangled, else one leading '_' off;
 * Swift names demangled when asked. */
static const char *public_name(bp_dump *b, const char *raw)
{
	if (((raw[0] == '_' && raw[1] == '_' && raw[2] == 'Z' &&
	      crp__demangle_cxx(raw, b->namebuf, BP_MAX_NAME))) ||
	    crp__bp_demangle_swift(b, raw))
		return crp__arena_strndup(&b->strings, b->namebuf, strlen(b->namebuf));
	if (raw[0] == '_')
		raw++;
	return crp__arena_strndup(&b->strings, raw, strlen(raw));
}

static bool is_public(const crp_macho_nlist *s, uint64_t base)
{
	return !(s->type & CRP_N_STAB) && (s->type & CRP_N_TYPE) == CRP_N_SECT && !s->bad_name &&
	       s->name[0] && s->value >= base;
}

int crp__bp_add_symbols(bp_dump *b, const crp_macho *m)
{
	for (uint32_t i = 0; m->has_symtab && i < m->nsyms; i++) {
		crp_macho_nlist s;
		crp__macho_symbol(m, i, &s);
		if (!is_public(&s, b->base))
			continue;
		CRP_TRY(crp__bp_grow(b, (void **)&b->publics, &b->public_cap, b->public_count + 1,
				     sizeof *b->publics));
		const char *name = public_name(b, s.name);
		if (!name)
			return crp__bp_oom(b);
		b->publics[b->public_count] = (bp_public){s.value, name, (uint32_t)b->public_count, false};
		b->public_count++;
	}
	return CRP_OK;
}

/* -- ordering ------------------------------------------------------------------------------ */

static int cmp_func(const void *x, const void *y)
{
	const bp_func *a = x, *b = y;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	return a->range_first < b->range_first ? -1 : a->range_first > b->range_first;
}

static int cmp_line(const void *x, const void *y)
{
	const bp_line *a = x, *b = y;
	if (a->func != b->func)
		return a->func < b->func ? -1 : 1;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_inline(const void *x, const void *y)
{
	const bp_inline *a = x, *b = y;
	if (a->func != b->func)
		return a->func < b->func ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int cmp_public(const void *x, const void *y)
{
	const bp_public *a = x, *b = y;
	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Functions are sorted after lines and inlines point at them: renumber those through a map
 * from the old index to the new one. */
static int sort_funcs(bp_dump *b)
{
	size_t n = b->func_count;
	uint32_t *where = crp__malloc(&b->alloc, (n ? n : 1) * sizeof *where);
	if (!where)
		return crp__bp_oom(b);
	for (size_t i = 0; i < n; i++)
		b->funcs[i].line_first = (uint32_t)i; /* scratch until attach(): the old index */
	crp__bp_sort(b->funcs, n, sizeof *b->funcs, cmp_func);
	for (size_t i = 0; i < n; i++)
		where[b->funcs[i].line_first] = (uint32_t)i;
	for (size_t i = 0; i < b->line_count; i++)
		b->lines[i].func = where[b->lines[i].func];
	for (size_t i = 0; i < b->inline_count; i++)
		b->inlines[i].func = where[b->inlines[i].func];
	crp__free(&b->alloc, where);
	return CRP_OK;
}

/* Breakpad keeps one function per (address, name); with CRP_BREAKPAD_MULTIPLE one per address,
 * marked. */
static void dedupe_funcs(bp_dump *b)
{
	bool multiple = b->flags & CRP_BREAKPAD_MULTIPLE;
	for (size_t i = 1, keep = 0; i < b->func_count; i++) {
		bp_func *f = &b->funcs[i], *k = &b->funcs[keep];
		if (f->addr == k->addr && (multiple || strcmp(f->name, k->name) == 0)) {
			f->dropped = true;
			k->multiple = multiple;
		} else {
			keep = i;
		}
	}
}

/* Slices of the sorted lines and inlines per function. */
static void attach(bp_dump *b)
{
	crp__bp_sort(b->lines, b->line_count, sizeof *b->lines, cmp_line);
	crp__bp_sort(b->inlines, b->inline_count, sizeof *b->inlines, cmp_inline);
	for (size_t i = 0; i < b->func_count; i++) {
		b->funcs[i].line_first = b->funcs[i].inline_first = 0;
		b->funcs[i].line_count = b->funcs[i].inline_count = 0;
	}
	for (size_t i = b->line_count; i-- > 0;) {
		bp_func *f = &b->funcs[b->lines[i].func];
		f->line_first = (uint32_t)i;
		f->line_count++;
	}
	for (size_t i = b->inline_count; i-- > 0;) {
		bp_func *f = &b->funcs[b->inlines[i].func];
		f->inline_first = (uint32_t)i;
		f->inline_count++;
	}
}

/* Lowest starts and running highest ends of the kept functions' ranges, for coverage tests. */
typedef struct cover {
	uint64_t *lo, *maxhi;
	size_t n;
} cover;

static int cmp_range(const void *x, const void *y)
{
	const bp_range *a = x, *b = y;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static int build_cover(bp_dump *b, cover *c)
{
	size_t n = 0;
	for (size_t i = 0; i < b->func_count; i++)
		n += b->funcs[i].dropped ? 0 : b->funcs[i].range_count;
	bp_range *r = crp__malloc(&b->alloc, (n ? n : 1) * sizeof *r);
	c->lo = crp__malloc(&b->alloc, (n ? n : 1) * sizeof *c->lo);
	c->maxhi = crp__malloc(&b->alloc, (n ? n : 1) * sizeof *c->maxhi);
	if (!r || !c->lo || !c->maxhi) {
		crp__free(&b->alloc, r);
		return crp__bp_oom(b);
	}
	size_t k = 0;
	for (size_t i = 0; i < b->func_count; i++)
		for (uint32_t j = 0; !b->funcs[i].dropped && j < b->funcs[i].range_count; j++)
			r[k++] = b->ranges[b->funcs[i].range_first + j];
	crp__bp_sort(r, n, sizeof *r, cmp_range);
	uint64_t hi = 0;
	for (size_t i = 0; i < n; i++) {
		hi = r[i].hi > hi ? r[i].hi : hi;
		c->lo[i] = r[i].lo;
		c->maxhi[i] = hi;
	}
	c->n = n;
	crp__free(&b->alloc, r);
	return CRP_OK;
}

static bool covered(const cover *c, uint64_t addr)
{
	size_t lo = 0, hi = c->n; /* first start > addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->lo[mid] <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && c->maxhi[lo - 1] > addr;
}

/* The kept function starting at addr, or NULL. */
static bp_func *func_at(bp_dump *b, uint64_t addr)
{
	size_t lo = 0, hi = b->func_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->funcs[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < b->func_count && b->funcs[lo].addr == addr; lo++)
		if (!b->funcs[lo].dropped)
			return &b->funcs[lo];
	return NULL;
}

/* dump_syms -m: a FUNC is marked when a symbol at its start names something else (a symbol
 * that merely contains the function's name is the same function, fully qualified). */
static void mark_symbol_at_func(bp_dump *b, const bp_public *p)
{
	bp_func *f = func_at(b, p->addr);
	if (!f || !(b->flags & CRP_BREAKPAD_MULTIPLE))
		return;
	bool other = strcmp(f->name, p->name) != 0 && strcmp(f->name, "<name omitted>") != 0 &&
		     !strstr(p->name, f->name);
	f->multiple |= other || p->multiple;
}

/* One PUBLIC per address (the first in the symbol table), none inside a FUNC. */
static int filter_publics(bp_dump *b)
{
	crp__bp_sort(b->publics, b->public_count, sizeof *b->publics, cmp_public);
	size_t out = 0;
	for (size_t i = 0; i < b->public_count; i++) {
		if (out && b->publics[out - 1].addr == b->publics[i].addr)
			b->publics[out - 1].multiple = (b->flags & CRP_BREAKPAD_MULTIPLE) != 0;
		else
			b->publics[out++] = b->publics[i];
	}
	b->public_count = out;
	cover c = {NULL, NULL, 0};
	int rc = build_cover(b, &c);
	if (rc == CRP_OK) {
		out = 0;
		for (size_t i = 0; i < b->public_count; i++) {
			mark_symbol_at_func(b, &b->publics[i]);
			if (!covered(&c, b->publics[i].addr))
				b->publics[out++] = b->publics[i];
		}
		b->public_count = out;
	}
	crp__free(&b->alloc, c.lo);
	crp__free(&b->alloc, c.maxhi);
	return rc;
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Ids for the names marked used, in byte order of the names (Breakpad numbers its FILE and
 * INLINE_ORIGIN records so); t->order lists them by id. */
static int number(bp_dump *b, bp_names *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->count; i++)
		n += t->id[i] != BP_NONE;
	const char **s = crp__malloc(&b->alloc, (n ? n : 1) * sizeof *s);
	t->order = crp__malloc(&b->alloc, (n ? n : 1) * sizeof *t->order);
	if (!s || !t->order) {
		crp__free(&b->alloc, (void *)s);
		return crp__bp_oom(b);
	}
	n = 0;
	for (size_t i = 0; i < t->count; i++)
		if (t->id[i] != BP_NONE)
			s[n++] = t->str[i];
	crp__bp_sort((void *)s, n, sizeof *s, cmp_str); /* strings are unique: no ties */
	for (size_t i = 0; i < n; i++) {
		uint32_t idx = t->slots[names_slot(t, s[i])] - 1;
		t->id[idx] = (uint32_t)i;
		t->order[i] = idx;
	}
	t->used = n;
	crp__free(&b->alloc, (void *)s);
	return CRP_OK;
}

static void mark_used(bp_dump *b)
{
	for (size_t i = 0; i < b->func_count; i++) {
		const bp_func *f = &b->funcs[i];
		if (f->dropped)
			continue;
		for (uint32_t k = 0; k < f->line_count; k++)
			b->files.id[b->lines[f->line_first + k].file] = 0;
		for (uint32_t k = 0; k < f->inline_count; k++) {
			const bp_inline *in = &b->inlines[f->inline_first + k];
			b->origins.id[in->origin] = 0;
			if (in->call_file != BP_NONE)
				b->files.id[in->call_file] = 0;
		}
	}
}

/* INLINE records are repeated under each FUNC range (as Breakpad writes them): budget them. */
static int check_budget(bp_dump *b)
{
	size_t need = 0;
	for (size_t i = 0; i < b->func_count; i++) {
		const bp_func *f = &b->funcs[i];
		if (!f->dropped && f->inline_count > (b->budget - need) / f->range_count)
			return crp__bp_limit(b, "inline records");
		if (!f->dropped)
			need += (size_t)f->inline_count * f->range_count;
	}
	return CRP_OK;
}

/* A function with a symbol at its start takes the symbol's name (the first in the symbol
 * table there), as the symbolicator and Breakpad's dump_syms -x name it: an asm label
 * (`-[Class method:]`, a Swift symbol) is not the DWARF name. Publics are sorted first. */
static void prefer_symbol_names(bp_dump *b)
{
	crp__bp_sort(b->publics, b->public_count, sizeof *b->publics, cmp_public);
	for (size_t i = 0; i < b->func_count; i++) {
		bp_func *f = &b->funcs[i];
		size_t lo = 0, hi = b->public_count;
		while (lo < hi) { /* the first public at or after the function's start */
			size_t mid = lo + (hi - lo) / 2;
			if (b->publics[mid].addr < f->addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < b->public_count && b->publics[lo].addr == f->addr)
			f->name = b->publics[lo].name;
	}
}

int crp__bp_finish(bp_dump *b)
{
	if (!(b->flags & CRP_BREAKPAD_DWARF_NAMES))
		prefer_symbol_names(b);
	CRP_TRY(sort_funcs(b));
	dedupe_funcs(b);
	attach(b);
	CRP_TRY(check_budget(b));
	CRP_TRY(filter_publics(b));
	mark_used(b);
	CRP_TRY(number(b, &b->files));
	return number(b, &b->origins);
}

/* -- output -------------------------------------------------------------------------------- */

typedef struct out {
	const crp_sink *sink;
	char *buf;
	size_t n, cap;
	bool failed;
} out;

static void flush(out *o)
{
	if (o->n && !o->failed && o->sink->write(o->sink->ctx, o->buf, o->n) != 0)
		o->failed = true;
	o->n = 0;
}

static void put(out *o, const char *s, size_t len)
{
	while (len) {
		if (o->n == o->cap)
			flush(o);
		size_t k = o->cap - o->n < len ? o->cap - o->n : len;
		memcpy(o->buf + o->n, s, k);
		o->n += k;
		s += k;
		len -= k;
	}
}

static void put_str(out *o, const char *s) { put(o, s, strlen(s)); }

/* printf's parsing shows when writing millions of line records */
static void put_num(out *o, uint64_t v, unsigned radix)
{
	char tmp[24], *p = tmp + sizeof tmp;
	do
		*--p = "0123456789abcdef"[v % radix];
	while (v /= radix);
	put(o, p, (size_t)(tmp + sizeof tmp - p));
}

static void put_hex(out *o, uint64_t v) { put_num(o, v, 16); }
static void put_dec(out *o, uint64_t v) { put_num(o, v, 10); }

static void write_names(out *o, const bp_names *t, const char *kind)
{
	for (size_t id = 0; id < t->used; id++) {
		put_str(o, kind);
		put_dec(o, id);
		put(o, " ", 1);
		put_str(o, t->str[t->order[id]]);
		put(o, "\n", 1);
	}
}

static void write_inline(out *o, const bp_dump *b, const bp_inline *in)
{
	put_str(o, "INLINE ");
	put_dec(o, in->level);
	put(o, " ", 1);
	put_dec(o, in->call_line);
	put(o, " ", 1);
	if (in->call_file == BP_NONE)
		put_str(o, "-1");
	else
		put_dec(o, b->files.id[in->call_file]);
	put(o, " ", 1);
	put_dec(o, b->origins.id[in->origin]);
	for (uint32_t k = 0; k < in->range_count; k++) {
		const bp_range *r = &b->ranges[in->range_first + k];
		put(o, " ", 1);
		put_hex(o, r->lo - b->base);
		put(o, " ", 1);
		put_hex(o, r->hi - r->lo);
	}
	put(o, "\n", 1);
}

static void write_line(out *o, const bp_dump *b, const bp_line *l)
{
	put_hex(o, l->addr - b->base);
	put(o, " ", 1);
	put_hex(o, l->size);
	put(o, " ", 1);
	put_dec(o, l->line);
	put(o, " ", 1);
	put_dec(o, b->files.id[l->file]);
	put(o, "\n", 1);
}

/* One FUNC per range, each followed by all the function's inlines and the range's lines. */
static void write_func(out *o, const bp_dump *b, const bp_func *f, crp_breakpad_module *mod)
{
	size_t l = f->line_first, end = l + f->line_count; /* indexes: lines may be NULL */
	for (uint32_t k = 0; k < f->range_count; k++) {
		const bp_range *r = &b->ranges[f->range_first + k];
		put_str(o, f->multiple ? "FUNC m " : "FUNC ");
		put_hex(o, r->lo - b->base);
		put(o, " ", 1);
		put_hex(o, r->hi - r->lo);
		put_str(o, " 0 ");
		put_str(o, f->name);
		put(o, "\n", 1);
		mod->functions++;
		for (uint32_t i = 0; !(b->flags & CRP_BREAKPAD_NO_INLINES) && i < f->inline_count; i++)
			write_inline(o, b, &b->inlines[f->inline_first + i]);
		mod->inlines += f->inline_count;
		for (; l < end && b->lines[l].addr >= r->lo && b->lines[l].addr < r->hi; l++, mod->lines++)
			write_line(o, b, &b->lines[l]);
	}
}

static void write_public(out *o, const bp_dump *b, const bp_public *p)
{
	put_str(o, p->multiple ? "PUBLIC m " : "PUBLIC ");
	put_hex(o, p->addr - b->base);
	put_str(o, " 0 ");
	put_str(o, p->name);
	put(o, "\n", 1);
}

int crp__bp_write(bp_dump *b, const crp_sink *sink, crp_breakpad_module *mod)
{
	out o = {sink, NULL, 0, 1u << 16, false};
	if (!(o.buf = crp__malloc(&b->alloc, o.cap)))
		return crp__bp_oom(b);
	put_str(&o, "MODULE ");
	put_str(&o, mod->os);
	put(&o, " ", 1);
	put_str(&o, mod->arch);
	put(&o, " ", 1);
	put_str(&o, mod->debug_id);
	put(&o, " ", 1);
	put_str(&o, mod->name);
	put(&o, "\n", 1);
	write_names(&o, &b->files, "FILE ");
	mod->files = b->files.used;
	if (!(b->flags & CRP_BREAKPAD_NO_INLINES)) {
		write_names(&o, &b->origins, "INLINE_ORIGIN ");
		mod->inline_origins = b->origins.used;
	}
	for (size_t i = 0; i < b->func_count; i++)
		if (!b->funcs[i].dropped)
			write_func(&o, b, &b->funcs[i], mod);
	if (b->flags & CRP_BREAKPAD_NO_INLINES)
		mod->inlines = 0;
	for (size_t i = 0; i < b->public_count; i++)
		write_public(&o, b, &b->publics[i]);
	mod->publics = b->public_count;
	flush(&o);
	crp__free(&b->alloc, o.buf);
	if (o.failed && b->err) {
		crp__error_clear(b->err);
		crp__error_set(b->err, CRP_EIO, "writing the symbol file failed");
	}
	return o.failed ? CRP_EIO : CRP_OK;
}
