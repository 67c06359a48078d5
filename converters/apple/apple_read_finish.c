/* Starting and finishing a report read from Apple input. Finishing does what needs the whole
 * report: frames get their addresses from the images they point into (the .ips lists images
 * after threads), inlined levels are merged into their frame, the Application Specific
 * Information is typed into the images it names, the faulting thread is checked against the
 * thread marked as triggered, and what the model has no field for becomes the "apple" extras. */
#include <stdio.h>

#include "apple_read.h"

int crp__ar_begin(ar_reader *rd)
{
	crp_report *r = crp__malloc(&rd->alloc, sizeof *r);
	if (!r)
		return crp__ar_fail(rd, CRP_ENOMEM, "out of memory");
	memset(r, 0, sizeof *r);
	crp__arena_init(&r->arena, &rd->alloc, rd->opts.max_memory);
	rd->report = r;
	rd->arena = &r->arena;
	rd->apple = (ar_list){NULL, NULL, 0};
	rd->diag_head = rd->diag_tail = NULL;
	rd->diag_count = rd->diag_dropped = 0;
	rd->truncated = false;
	rd->asi = NULL;
	rd->has_faulting = false;
	rd->report_start = rd->offset;
	return CRP_OK;
}

void crp__ar_discard(ar_reader *rd)
{
	crp_report_free(rd->report);
	rd->report = NULL;
	rd->arena = NULL;
	rd->depth = 0;
	crp__scratch_pop(&rd->scratch, (crp_scratch_mark){NULL, 0});
}

/* -- frames ------------------------------------------------------------------------------- */

static bool is_placeholder(const crp_image *im)
{
	static const crp_uuid nil;
	return (!CRP_HAS(im, CRP_IMAGE_ADDR) || im->image_addr == 0) && CRP_HAS(im, CRP_IMAGE_SIZE) &&
	       im->image_size == 0 && !CRP_HAS(im, CRP_IMAGE_NAME) &&
	       (!CRP_HAS(im, CRP_IMAGE_UUID) || memcmp(&im->uuid, &nil, sizeof nil) == 0);
}

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Where the report's images lie, for asking whether any holds an address: their starts sorted,
 * and the furthest end of any image starting at or before each (images may nest). */
typedef struct ar_cover {
	crp_sort_key *keys;     /* key: start; pos: the furthest end so far */
	size_t n;
	bool built;
} ar_cover;

static int cover_build(ar_reader *rd, ar_cover *c)
{
	const crp_body *b = &rd->report->body;
	c->built = true;
	if (!b->image_count)
		return CRP_OK;
	if (b->image_count > SIZE_MAX / (2 * sizeof *c->keys) ||
	    !(c->keys = crp__malloc(&rd->alloc, 2 * b->image_count * sizeof *c->keys)))
		return crp__ar_oom(rd);
	for (size_t i = 0; i < b->image_count; i++) {
		const crp_image *im = &b->images[i];
		if (CRP_HAS(im, CRP_IMAGE_ADDR) && CRP_HAS(im, CRP_IMAGE_SIZE) && im->image_size) {
			uint64_t end = im->image_size > UINT64_MAX - im->image_addr ? UINT64_MAX : im->image_addr + im->image_size;
			c->keys[c->n++] = (crp_sort_key){im->image_addr, end};
		}
	}
	crp__sort_keys(c->keys, c->keys + b->image_count, c->n);
	for (size_t i = 1; i < c->n; i++)
		if (c->keys[i].pos < c->keys[i - 1].pos)
			c->keys[i].pos = c->keys[i - 1].pos;
	return CRP_OK;
}

static bool cover_holds(const ar_cover *c, uint64_t addr)
{
	size_t lo = 0, hi = c->n;
	while (lo < hi) { /* the images starting at or before addr: [0, lo) */
		size_t mid = lo + (hi - lo) / 2;
		if (c->keys[mid].key <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && addr < c->keys[lo - 1].pos;
}

/* What a frame could not be given (no such image, images missing): kept as Apple wrote it. */
static int keep_pending(ar_reader *rd, crp_frame *f)
{
	ar_list l = {NULL, NULL, 0};
	if ((f->has & AR_PEND_INDEX) && (f->has & AR_PEND_OFFSET))
		CRP_TRY(crp__ar_warn(rd, CRP_W_VALUE, "a frame's image %llu is %s: its address is unknown, "
						      "imageIndex and imageOffset kept as written",
				     (unsigned long long)f->object_addr,
				     f->object_addr < rd->report->body.image_count ? "without a base" : "not listed"));
	else if (f->has & (AR_PEND_INDEX | AR_PEND_OFFSET))
		CRP_TRY(crp__ar_warn(rd, CRP_W_VALUE, "a frame has %s without %s: its address is unknown, kept as written",
				     f->has & AR_PEND_INDEX ? "an imageIndex" : "an imageOffset",
				     f->has & AR_PEND_INDEX ? "an imageOffset" : "an imageIndex"));
	if (f->has & AR_PEND_INDEX)
		CRP_TRY(crp__ar_add_u64(rd, &l, "imageIndex", f->object_addr));
	if (f->has & AR_PEND_OFFSET)
		CRP_TRY(crp__ar_add_u64(rd, &l, "imageOffset", f->instruction_addr));
	if (f->has & AR_PEND_SYMLOC)
		CRP_TRY(crp__ar_add_u64(rd, &l, "symbolLocation", f->symbol_addr));
	f->has &= ~(AR_PEND_INDEX | AR_PEND_OFFSET | AR_PEND_SYMLOC);
	f->object_addr = f->instruction_addr = f->symbol_addr = 0;
	return crp__ar_flatten(rd, &l, &f->extras);
}

/* What the .ips said of the frame's source, now that the symbol's address is known. */
static void report_function(crp_frame *f)
{
	crp_symbolication *sy = (crp_symbolication *)(uintptr_t)f->symbolicated;
	if (!sy || sy->source != CRP_SYMSRC_REPORT)
		return;
	sy->lookup_addr = f->instruction_addr;
	sy->function_addr = f->symbol_addr;
	sy->offset = f->instruction_addr - f->symbol_addr;
}

/* A frame in the placeholder image at an address another image holds: a lookup would find
 * that one, so the index is kept. */
static int in_other_image(ar_reader *rd, ar_cover *c, const crp_image *im, uint64_t addr, bool *out)
{
	*out = false;
	if (!is_placeholder(im))
		return CRP_OK;
	if (!c->built)
		CRP_TRY(cover_build(rd, c));
	*out = cover_holds(c, addr);
	return CRP_OK;
}

/* A text frame named "???" (or nothing) at an address a listed image holds: the writers would
 * name that image (stripped of a pointer signature, as they look it up), so "???" is kept. */
static int unnamed_frame(ar_reader *rd, ar_cover *c, crp_frame *f)
{
	static const char unknown[] = "???";
	if (!(f->has & AR_PEND_UNNAMED))
		return CRP_OK;
	f->has &= ~AR_PEND_UNNAMED;
	if (!c->built)
		CRP_TRY(cover_build(rd, c));
	if (cover_holds(c, f->instruction_addr) || cover_holds(c, f->instruction_addr & CRP_PAC_CODE_MASK)) {
		f->object_name = unknown;
		f->has |= CRP_FRAME_OBJECT_NAME;
	}
	return CRP_OK;
}

static int resolve_frame(ar_reader *rd, ar_cover *c, crp_frame *f)
{
	const crp_body *b = &rd->report->body;
	uint64_t pend = f->has & (AR_PEND_INDEX | AR_PEND_OFFSET | AR_PEND_SYMLOC);
	if (!pend) /* a text frame, or an .ips frame without an address */
		return unnamed_frame(rd, c, f);
	if (!(pend & AR_PEND_INDEX) || !(pend & AR_PEND_OFFSET) || f->object_addr >= b->image_count ||
	    !CRP_HAS(&b->images[f->object_addr], CRP_IMAGE_ADDR))
		return keep_pending(rd, f);
	const crp_image *im = &b->images[f->object_addr];
	uint64_t off = f->instruction_addr, base = im->image_addr, loc = f->symbol_addr;
	bool outside = !is_placeholder(im) && CRP_HAS(im, CRP_IMAGE_SIZE) && off >= im->image_size, other;
	CRP_TRY(in_other_image(rd, c, im, base + off, &other));
	ar_list l = {NULL, NULL, 0};
	if (outside || other) { /* not where an address lookup finds it: the index is kept */
		CRP_TRY(crp__ar_add_u64(rd, &l, "imageIndex", f->object_addr));
		CRP_TRY(crp__ar_flatten(rd, &l, &f->extras));
	}
	f->has &= ~(AR_PEND_INDEX | AR_PEND_OFFSET | AR_PEND_SYMLOC | CRP_FRAME_OBJECT_ADDR);
	f->instruction_addr = base + off;
	f->has |= CRP_FRAME_INSTRUCTION_ADDR;
	f->object_addr = 0;
	if (!is_placeholder(im)) {
		f->object_addr = base;
		f->has |= CRP_FRAME_OBJECT_ADDR;
		if (CRP_HAS(im, CRP_IMAGE_NAME) && !CRP_HAS(f, CRP_FRAME_OBJECT_NAME)) {
			f->object_name = basename_of(im->name);
			f->has |= CRP_FRAME_OBJECT_NAME;
		}
	}
	f->symbol_addr = 0;
	if ((pend & AR_PEND_SYMLOC) && CRP_HAS(f, CRP_FRAME_SYMBOL_NAME) && loc <= f->instruction_addr) {
		f->symbol_addr = f->instruction_addr - loc;
		f->has |= CRP_FRAME_SYMBOL_ADDR;
		report_function(f);
	} else if (pend & AR_PEND_SYMLOC) {
		CRP_TRY(crp__ar_add_u64(rd, &l, "symbolLocation", loc));
		CRP_TRY(crp__ar_flatten(rd, &l, &f->extras));
	}
	return CRP_OK;
}

static bool is_inline(const crp_frame *f)
{
	return f->symbolicated && (f->symbolicated->flags & AR_SYM_INLINE);
}

/* The levels of a frame: its own symbolication, or its symbol as one level. */
static int levels_of(ar_reader *rd, const crp_frame *f, crp_symloc *out)
{
	if (f->symbolicated) {
		memcpy(out, f->symbolicated->locs, f->symbolicated->count * sizeof *out);
		return (int)f->symbolicated->count;
	}
	out->function = CRP_HAS(f, CRP_FRAME_SYMBOL_NAME) ? f->symbol_name : NULL;
	out->file = NULL;
	out->line = out->column = 0;
	CRP_UNUSED(rd);
	return 1;
}

/* Frames [i, j) are inlined levels of frame j: one frame with every level, innermost first. */
static int merge_into(ar_reader *rd, crp_frame *f, size_t i, size_t j)
{
	size_t count = j - i + (f[j].symbolicated ? f[j].symbolicated->count : 1);
	crp_symloc *locs = crp__arena_alloc(rd->arena, count * sizeof *locs);
	crp_symbolication *sy = crp__arena_calloc(rd->arena, sizeof *sy);
	if (!locs || !sy)
		return crp__ar_oom(rd);
	for (size_t k = i; k < j; k++)
		locs[k - i] = f[k].symbolicated->locs[0];
	levels_of(rd, &f[j], locs + (j - i));
	sy->source = CRP_SYMSRC_REPORT;
	sy->lookup_addr = f[j].instruction_addr;
	if (CRP_HAS(&f[j], CRP_FRAME_SYMBOL_ADDR)) {
		sy->function_addr = f[j].symbol_addr;
		sy->offset = f[j].instruction_addr - f[j].symbol_addr;
	}
	sy->locs = locs;
	sy->count = count;
	f[j].symbolicated = sy;
	return CRP_OK;
}

/* An "inline" frame that is not followed by its frame: kept as a frame, the mark as an extra. */
static int unmark_inline(ar_reader *rd, crp_frame *f)
{
	crp_symbolication *sy = (crp_symbolication *)(uintptr_t)f->symbolicated;
	ar_list l = {NULL, NULL, 0};
	sy->flags &= ~AR_SYM_INLINE;
	CRP_TRY(crp__ar_add_str(rd, &l, "inline", "true", 4));
	return crp__ar_flatten(rd, &l, &f->extras);
}

static int merge_inline(ar_reader *rd, crp_backtrace *bt)
{
	crp_frame *f = (crp_frame *)(uintptr_t)bt->frames;
	size_t n = bt->frame_count, w = 0, i = 0;
	while (i < n) {
		size_t j = i;
		while (j < n && is_inline(&f[j]) && f[j].instruction_addr == f[i].instruction_addr)
			j++;
		if (j > i && j < n && f[j].instruction_addr == f[i].instruction_addr && !is_inline(&f[j])) {
			CRP_TRY(merge_into(rd, f, i, j));
			f[w++] = f[j];
			i = j + 1;
			continue;
		}
		if (is_inline(&f[i]))
			CRP_TRY(unmark_inline(rd, &f[i]));
		f[w++] = f[i++];
	}
	bt->frame_count = w;
	return CRP_OK;
}

static int resolve_backtrace(ar_reader *rd, ar_cover *c, const crp_backtrace *cbt)
{
	crp_backtrace *bt = (crp_backtrace *)(uintptr_t)cbt;
	crp_frame *f = (crp_frame *)(uintptr_t)bt->frames;
	for (size_t i = 0; i < bt->frame_count; i++)
		CRP_TRY(resolve_frame(rd, c, &f[i]));
	return merge_inline(rd, bt);
}

static int resolve_frames(ar_reader *rd)
{
	crp_crash *cr = &rd->report->body.crash;
	ar_cover c = {NULL, 0, false};
	int rc = CRP_OK;
	for (size_t i = 0; i < cr->thread_count && rc == CRP_OK; i++)
		rc = resolve_backtrace(rd, &c, &cr->threads[i].backtrace);
	if (rc == CRP_OK)
		rc = resolve_backtrace(rd, &c, &cr->last_exception_backtrace);
	crp__free(&rd->alloc, c.keys);
	return rc;
}

/* -- Application Specific Information, faulting thread ------------------------------------ */

static crp_image *image_named(ar_reader *rd, crp_span name)
{
	crp_body *b = &rd->report->body;
	for (size_t i = 0; i < b->image_count; i++) {
		crp_image *im = (crp_image *)(uintptr_t)&b->images[i];
		const crp_value *n = crp_extras_get(&im->extras, "name");
		const char *base = n && n->type == CRP_VALUE_STRING ? n->u.str.ptr
				 : CRP_HAS(im, CRP_IMAGE_NAME) ? basename_of(im->name) : NULL;
		if (base && strlen(base) == name.len && memcmp(base, name.ptr, name.len) == 0)
			return im;
	}
	return NULL;
}

/* asi {"libsystem_c.dylib": ["abort() called"]}: the messages of the images they come from
 * (KSCrash's crash_info_message fields). The object itself stays in the extras: its order is
 * the order Apple prints the lines in. */
static void type_asi(ar_reader *rd)
{
	const crp_value *asi = rd->asi;
	for (size_t i = 0; asi && asi->type == CRP_VALUE_OBJECT && i < asi->u.obj.count; i++) {
		const crp_member *m = &asi->u.obj.members[i];
		crp_image *im = image_named(rd, m->key);
		if (!im || m->value.type != CRP_VALUE_ARRAY)
			continue;
		for (size_t k = 0; k < m->value.u.arr.count; k++) {
			const crp_value *v = &m->value.u.arr.items[k];
			if (v->type != CRP_VALUE_STRING || strlen(v->u.str.ptr) != v->u.str.len)
				continue;
			if (!CRP_HAS(im, CRP_IMAGE_CRASH_INFO_MESSAGE)) {
				im->crash_info_message = v->u.str.ptr;
				im->has |= CRP_IMAGE_CRASH_INFO_MESSAGE;
			} else if (!CRP_HAS(im, CRP_IMAGE_CRASH_INFO_MESSAGE2)) {
				im->crash_info_message2 = v->u.str.ptr;
				im->has |= CRP_IMAGE_CRASH_INFO_MESSAGE2;
			}
		}
	}
}

static int check_faulting(ar_reader *rd)
{
	crp_crash *c = &rd->report->body.crash;
	size_t crashed;
	const crp_thread *t = crp_report_crashed_thread(rd->report, &crashed);
	if (!rd->has_faulting)
		return CRP_OK;
	if (!t && rd->faulting < c->thread_count) {
		crp_thread *f = (crp_thread *)(uintptr_t)&c->threads[rd->faulting];
		f->crashed = true;
		f->has |= CRP_THREAD_CRASHED;
		return CRP_OK;
	}
	if (t && crashed == rd->faulting)
		return CRP_OK;
	return crp__ar_add_u64(rd, &rd->apple, "faultingThread", rd->faulting);
}

/* -- the report --------------------------------------------------------------------------- */

static void set_sections(crp_body *b)
{
	if (b->info.has)
		b->has |= CRP_SECTION_REPORT;
	if (b->system.has)
		b->has |= CRP_SECTION_SYSTEM;
	if (b->crash.has)
		b->has |= CRP_SECTION_CRASH;
}

static int flatten_warnings(ar_reader *rd, crp_report *r)
{
	size_t extra = rd->diag_dropped ? 1 : 0;
	if (!rd->diag_count && !extra)
		return CRP_OK;
	crp_diag *d = crp__arena_alloc(rd->arena, (rd->diag_count + extra) * sizeof *d);
	if (!d)
		return crp__ar_oom(rd);
	size_t i = 0;
	for (ar_diag *n = rd->diag_head; n; n = n->next)
		d[i++] = n->d;
	if (extra) {
		memset(&d[i], 0, sizeof d[i]);
		d[i].code = CRP_W_SUPPRESSED;
		snprintf(d[i].message, sizeof d[i].message, "%zu more warnings not recorded", rd->diag_dropped);
		i++;
	}
	r->warnings = d;
	r->warning_count = i;
	r->warnings_dropped = rd->diag_dropped;
	return CRP_OK;
}

static int enqueue(ar_reader *rd, crp_report *r)
{
	if (rd->ready_head + rd->ready_count == rd->ready_cap) {
		if (rd->ready_head) {
			memmove(rd->ready, rd->ready + rd->ready_head, rd->ready_count * sizeof *rd->ready);
			rd->ready_head = 0;
		} else {
			size_t cap = rd->ready_cap ? rd->ready_cap * 2 : 4;
			crp_report **q = crp__realloc(&rd->alloc, rd->ready, cap * sizeof *q);
			if (!q)
				return crp__ar_fail(rd, CRP_ENOMEM, "out of memory");
			rd->ready = q;
			rd->ready_cap = cap;
		}
	}
	rd->ready[rd->ready_head + rd->ready_count++] = r;
	return CRP_OK;
}

static int attach_apple(ar_reader *rd, crp_body *b)
{
	crp_value obj;
	ar_list top = {NULL, NULL, 0};
	if (!rd->apple.count)
		return CRP_OK;
	CRP_TRY(crp__ar_object(rd, &rd->apple, &obj));
	CRP_TRY(crp__ar_add(rd, &top, (crp_span){"apple", 5}, &obj));
	return crp__ar_flatten(rd, &top, &b->extras);
}

/* What KSCrash would call the error: Apple's reports are Mach exceptions, PLCrashReporter's
 * text may name only the signal. */
static void error_type(crp_body *b)
{
	crp_crash_error *e = &b->crash.error;
	if (CRP_HAS(e, CRP_ERROR_TYPE) || !(CRP_HAS(e, CRP_ERROR_MACH) || CRP_HAS(e, CRP_ERROR_SIGNAL)))
		return;
	e->type = CRP_HAS(e, CRP_ERROR_MACH) ? "mach" : "signal";
	e->has |= CRP_ERROR_TYPE;
	b->crash.has |= CRP_CRASH_ERROR;
}

int crp__ar_end(ar_reader *rd)
{
	crp_report *r = rd->report;
	crp_body *b = &r->body;
	CRP_TRY(resolve_frames(rd));
	type_asi(rd);
	CRP_TRY(check_faulting(rd));
	CRP_TRY(attach_apple(rd, b));
	error_type(b);
	set_sections(b);
	r->provenance |= CRP_PROV_APPLE;
	if (rd->truncated) {
		r->provenance |= CRP_PROV_TRUNCATED;
		b->incomplete = true;
		b->has |= CRP_SECTION_INCOMPLETE;
	}
	CRP_TRY(flatten_warnings(rd, r));
	CRP_TRY(enqueue(rd, r));
	rd->report = NULL;
	rd->arena = NULL;
	rd->report_count++;
	crp__scratch_pop(&rd->scratch, (crp_scratch_mark){NULL, 0});
	return CRP_OK;
}
