/* crp_report_symbolicate(): every backtrace of a report (and of its embedded recrash report)
 * looked up against a symbolicator. The address rules are documented in crashport/symbols.h.
 * Threads may share the symbolicator: everything a call changes is in its sctx or its report. */
#include <stdio.h>
#include <stdlib.h>

#include "model/model.h"
#include "symbols_int.h"

#define MAX_SYMBOL_WARNINGS 100u
#define PAC_MIN_BITS 36u  /* iOS user space: KSCrash's own mask is 0x0000000fffffffff */

/* Per report image: its symbol image, and what happened to the frames in it. */
typedef struct image_state {
	const crp_symbol_image *sym;
	bool looked_up;
	int status;            /* of the index */
	crp_error why;
	size_t frames;         /* frames in it */
	size_t unresolved;     /* of which without symbols */
} image_state;

typedef struct image_span {
	uint64_t lo, hi;
	size_t index;
} image_span;

typedef struct sctx {
	const crp_symbolicator *s;
	crp_arena *arena;
	crp_symbolicate_stats *st;
	unsigned flags;
	crp_symbol_answer *room;
	crp_diag *warnings;
	size_t warning_count, warning_cap, warnings_dropped;
	/* the body being symbolicated, and the one whose images it uses */
	const crp_body *body;
	const char *prefix;    /* "" or "recrash_report." */
	const crp_body *ibody;
	const char *iprefix;
	image_state *images;
	image_span *spans;
	size_t span_count;
	bool arm64;
	uint64_t pac_mask;
	size_t outside;
	char outside_path[CRP_ERROR_PATH_SIZE];
} sctx;

/* -- warnings ---------------------------------------------------------------------------- */

static int warn(sctx *c, const char *prefix, const char *path, const char *fmt, ...) CRP_PRINTF(4, 5);
static int warn(sctx *c, const char *prefix, const char *path, const char *fmt, ...)
{
	if (c->warning_count >= MAX_SYMBOL_WARNINGS) {
		c->warnings_dropped++;
		return CRP_OK;
	}
	if (c->warning_count == c->warning_cap) {
		size_t n = c->warning_cap ? c->warning_cap * 2 : 8;
		crp_diag *q = crp__realloc(&c->s->alloc, c->warnings, n * sizeof *q);
		if (!q)
			return CRP_ENOMEM;
		c->warnings = q;
		c->warning_cap = n;
	}
	crp_diag *d = &c->warnings[c->warning_count++];
	va_list ap;
	va_start(ap, fmt);
	crp__error_clear(d);
	crp__error_setv(d, CRP_W_SYMBOLS, fmt, ap);
	va_end(ap);
	snprintf(d->json_path, sizeof d->json_path, "%s%s", prefix, path);
	return CRP_OK;
}

/* Appends the collected warnings to the report's list (in its arena). */
static int flush_warnings(sctx *c, crp_report *root)
{
	if (c->warnings_dropped) {
		crp_diag *d = &c->warnings[c->warning_count - 1];
		crp__error_clear(d);
		crp__error_set(d, CRP_W_SUPPRESSED, "%zu more symbolication warnings not recorded",
			       c->warnings_dropped + 1);
	}
	if (!c->warning_count)
		return CRP_OK;
	size_t n = root->warning_count + c->warning_count;
	crp_diag *all = crp__arena_alloc(c->arena, n * sizeof *all);
	if (!all)
		return c->arena->failure;
	if (root->warning_count)
		memcpy(all, root->warnings, root->warning_count * sizeof *all);
	memcpy(all + root->warning_count, c->warnings, c->warning_count * sizeof *all);
	root->warnings = all;
	root->warning_count = n;
	return CRP_OK;
}

/* -- images ------------------------------------------------------------------------------ */

static int cmp_span(const void *a, const void *b)
{
	const image_span *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static bool is_arm64(int32_t cputype)
{
	return cputype == CRP_CPU_TYPE_ARM64 || cputype == (CRP_CPU_TYPE_ARM | CRP_CPU_ARCH_ABI64_32);
}

static void detect_arm64(sctx *c)
{
	const crp_system *sys = &c->body->system;
	c->arm64 = (CRP_HAS(sys, CRP_SYSTEM_CPU_TYPE) && is_arm64(sys->cpu_type)) ||
		   (sys->cpu_arch && strncmp(sys->cpu_arch, "arm64", 5) == 0);
	uint64_t top = 0;
	for (size_t i = 0; i < c->ibody->image_count; i++) {
		const crp_image *im = &c->ibody->images[i];
		c->arm64 |= CRP_HAS(im, CRP_IMAGE_CPU_TYPE) && is_arm64(im->cpu_type);
		if (CRP_HAS(im, CRP_IMAGE_ADDR) && CRP_HAS(im, CRP_IMAGE_SIZE) &&
		    im->image_addr + im->image_size > top)
			top = im->image_addr + im->image_size;
	}
	unsigned bits = PAC_MIN_BITS;
	while (bits < 63 && (top >> bits) != 0)
		bits++;
	c->pac_mask = (UINT64_C(1) << bits) - 1;
}

static int setup_images(sctx *c)
{
	size_t n = c->ibody->image_count;
	c->images = crp__malloc(&c->s->alloc, (n ? n : 1) * sizeof *c->images);
	c->spans = crp__malloc(&c->s->alloc, (n ? n : 1) * sizeof *c->spans);
	if (!c->images || !c->spans)
		return CRP_ENOMEM;
	memset(c->images, 0, (n ? n : 1) * sizeof *c->images);
	c->span_count = 0;
	for (size_t i = 0; i < n; i++) {
		const crp_image *im = &c->ibody->images[i];
		if (CRP_HAS(im, CRP_IMAGE_ADDR) && CRP_HAS(im, CRP_IMAGE_SIZE) && im->image_size &&
		    im->image_addr + im->image_size > im->image_addr)
			c->spans[c->span_count++] = (image_span){im->image_addr, im->image_addr + im->image_size, i};
	}
	qsort(c->spans, c->span_count, sizeof *c->spans, cmp_span);
	detect_arm64(c);
	return CRP_OK;
}

static size_t image_at(const sctx *c, uint64_t addr)
{
	size_t lo = 0, hi = c->span_count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->spans[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo && addr < c->spans[lo - 1].hi ? c->spans[lo - 1].index : SIZE_MAX;
}

/* The report image holding addr: as written, else (arm64) without pointer-auth bits. */
static size_t find_image(const sctx *c, uint64_t *addr, unsigned *flags)
{
	size_t i = image_at(c, *addr);
	if (i == SIZE_MAX && c->arm64 && (*addr & ~c->pac_mask)) {
		i = image_at(c, *addr & c->pac_mask);
		if (i != SIZE_MAX) {
			*addr &= c->pac_mask;
			*flags |= CRP_SYM_PAC_STRIPPED;
		}
	}
	return i;
}

static int resolve_image(sctx *c, size_t i)
{
	image_state *st = &c->images[i];
	if (st->looked_up)
		return CRP_OK;
	st->looked_up = true;
	const crp_image *im = &c->ibody->images[i];
	if (!CRP_HAS(im, CRP_IMAGE_UUID))
		return CRP_OK;
	st->sym = crp_symbolicator_find(c->s, &im->uuid, CRP_HAS(im, CRP_IMAGE_CPU_TYPE) ? im->cpu_type : 0,
					CRP_HAS(im, CRP_IMAGE_CPU_SUBTYPE) ? im->cpu_subtype : 0);
	if (!st->sym)
		return CRP_OK;
	st->status = crp__symbols_prepare(c->s, st->sym, &st->why);
	return st->status == CRP_ENOMEM ? CRP_ENOMEM : CRP_OK;
}

/* -- frames ------------------------------------------------------------------------------ */

/* One instruction back from a return address (see crp_report_symbolicate()). */
static uint64_t lookup_address(uint64_t a, int32_t cputype, bool is_pc, unsigned *flags)
{
	uint64_t back = 1;
	if (cputype == CRP_CPU_TYPE_ARM) {
		a &= ~UINT64_C(1);
		back = 2;
	} else if (is_arm64(cputype)) {
		back = 4;
	}
	if (is_pc || a < back)
		return a;
	*flags |= CRP_SYM_ADJUSTED;
	return a - back;
}

static void count_source(crp_symbolicate_stats *st, crp_symbol_source src)
{
	st->symbolicated++;
	st->by_dwarf += src == CRP_SYMSRC_DWARF;
	st->by_symtab += src == CRP_SYMSRC_SYMTAB;
	st->by_function_starts += src == CRP_SYMSRC_FUNCTION_STARTS;
}

static int frame(sctx *c, crp_frame *f, bool is_pc, const char *path)
{
	unsigned flags = 0;
	uint64_t addr = f->instruction_addr;
	c->st->frames++;
	if (f->symbolicated && f->symbolicated->source == CRP_SYMSRC_REPORT)
		return CRP_OK; /* symbolicated before it was read (an Apple report): left as it is */
	size_t i = find_image(c, &addr, &flags);
	if (i == SIZE_MAX) {
		if (!c->outside++)
			snprintf(c->outside_path, sizeof c->outside_path, "%s", path);
		c->st->outside_images++;
		return CRP_OK;
	}
	CRP_TRY(resolve_image(c, i));
	image_state *st = &c->images[i];
	st->frames++;
	if (!st->sym || st->status != CRP_OK) {
		st->unresolved++;
		c->st->without_symbols++;
		return CRP_OK;
	}
	const crp_image *im = &c->ibody->images[i];
	uint64_t text = crp__symbols_text_vmaddr(c->s, st->sym), slide = im->image_addr - text;
	if (c->flags & CRP_SYMBOLICATE_NO_ADJUST)
		is_pc = true;
	uint64_t look = lookup_address(addr - slide, st->sym->cputype, is_pc, &flags);
	const crp_symbolication *answer;
	crp_symbolication *out;
	int rc = crp__symbols_lookup(&answer, c->room, c->s, st->sym, look, slide, flags, addr, &st->why);
	if (rc == CRP_ECORRUPT) { /* a damaged symbol cache: the image's frames go without */
		st->status = rc;
		st->unresolved++;
		c->st->without_symbols++;
		return CRP_OK;
	}
	CRP_TRY(rc);
	if (!answer) {
		c->st->unknown++;
		return CRP_OK;
	}
	CRP_TRY(crp__symbols_copy(&out, c->arena, answer));
	f->symbolicated = out;
	count_source(c->st, out->source);
	return CRP_OK;
}

static int backtrace(sctx *c, const crp_backtrace *bt, bool frame0_is_pc, const char *path)
{
	char fp[CRP_ERROR_PATH_SIZE];
	if (!CRP_HAS(bt, CRP_BACKTRACE_CONTENTS))
		return CRP_OK;
	bool skipped = CRP_HAS(bt, CRP_BACKTRACE_SKIPPED) && bt->skipped;
	crp_frame *frames = (crp_frame *)(uintptr_t)bt->frames;
	for (size_t i = 0; i < bt->frame_count; i++) {
		if (!CRP_HAS(&frames[i], CRP_FRAME_INSTRUCTION_ADDR))
			continue;
		snprintf(fp, sizeof fp, "%s.contents[%zu]", path, i);
		CRP_TRY(frame(c, &frames[i], i == 0 && frame0_is_pc && !skipped, fp));
	}
	return CRP_OK;
}

/* Exceptions and user reports capture the crashed thread with backtrace(): return addresses
 * only. Every other thread trace starts at the PC. */
static bool starts_at_pc(const sctx *c, const crp_thread *t)
{
	const crp_crash_error *e = &c->body->crash.error;
	if (CRP_HAS(t, CRP_THREAD_REGISTERS) || !(CRP_HAS(t, CRP_THREAD_CRASHED) && t->crashed))
		return true;
	const char *type = CRP_HAS(e, CRP_ERROR_TYPE) ? e->type : NULL;
	if (type)
		return strcmp(type, "nsexception") != 0 && strcmp(type, "cpp_exception") != 0 &&
		       strcmp(type, "user") != 0;
	return !(e->has & (CRP_ERROR_NSEXCEPTION | CRP_ERROR_CPP_EXCEPTION | CRP_ERROR_USER_REPORTED));
}

static int thread(sctx *c, const crp_thread *t, const char *path)
{
	char bp[CRP_ERROR_PATH_SIZE];
	if (!CRP_HAS(t, CRP_THREAD_BACKTRACE))
		return CRP_OK;
	snprintf(bp, sizeof bp, "%s.backtrace", path);
	return backtrace(c, &t->backtrace, starts_at_pc(c, t), bp);
}

static int body_frames(sctx *c)
{
	const crp_crash *crash = &c->body->crash;
	char p[64];
	for (size_t i = 0; i < crash->thread_count; i++) {
		snprintf(p, sizeof p, "crash.threads[%zu]", i);
		CRP_TRY(thread(c, &crash->threads[i], p));
	}
	if (CRP_HAS(crash, CRP_CRASH_CRASHED_THREAD) && crash->crashed_thread)
		CRP_TRY(thread(c, crash->crashed_thread, "crash.crashed_thread"));
	if (CRP_HAS(crash, CRP_CRASH_LAST_EXCEPTION_BACKTRACE))
		CRP_TRY(backtrace(c, &crash->last_exception_backtrace, false, "crash.last_exception_backtrace"));
	const crp_nsexception *ns = &crash->error.nsexception;
	if (CRP_HAS(&crash->error, CRP_ERROR_NSEXCEPTION) && CRP_HAS(ns, CRP_NSEXC_BACKTRACE))
		CRP_TRY(backtrace(c, &ns->backtrace, false, "crash.error.nsexception.backtrace"));
	const crp_nsexception *z = &c->body->process.last_dealloced_nsexception;
	if (CRP_HAS(&c->body->process, CRP_PROCESS_LAST_DEALLOCED_NSEXCEPTION) && CRP_HAS(z, CRP_NSEXC_BACKTRACE))
		CRP_TRY(backtrace(c, &z->backtrace, false, "process.last_dealloced_nsexception.backtrace"));
	return CRP_OK;
}

static int image_warnings(sctx *c)
{
	char p[64], uuid[37];
	for (size_t i = 0; i < c->ibody->image_count; i++) {
		const image_state *st = &c->images[i];
		const crp_image *im = &c->ibody->images[i];
		const char *name = im->name ? im->name : "(unnamed)";
		if (!st->frames)
			continue;
		c->st->images_matched += st->sym && st->status == CRP_OK;
		c->st->images_missing += !st->sym || st->status != CRP_OK;
		if (!st->unresolved)
			continue;
		snprintf(p, sizeof p, "binary_images[%zu]", i);
		crp_uuid_format(&im->uuid, uuid);
		if (!CRP_HAS(im, CRP_IMAGE_UUID))
			CRP_TRY(warn(c, c->iprefix, p, "image %s has no UUID to find its symbols by: %zu frame%s not "
					   "symbolicated", name, st->unresolved, st->unresolved == 1 ? "" : "s"));
		else if (!st->sym)
			CRP_TRY(warn(c, c->iprefix, p, "no symbols for image %s (UUID %s): %zu frame%s not symbolicated",
				     name, uuid, st->unresolved, st->unresolved == 1 ? "" : "s"));
		else
			CRP_TRY(warn(c, c->iprefix, p, "symbols for image %s (UUID %s) unusable: %s", name, uuid,
				     st->why.message));
	}
	if (c->outside)
		CRP_TRY(warn(c, c->prefix, c->outside_path, "%zu frame%s outside every binary image", c->outside,
			     c->outside == 1 ? " lies" : "s lie"));
	return CRP_OK;
}

/* A minimal (recrash) report lists no images: its frames are in the original's. */
static int symbolicate_body(sctx *c, const crp_body *b, const char *prefix, const crp_body *ib,
			    const char *iprefix)
{
	c->body = b;
	c->prefix = prefix;
	c->ibody = b->image_count || !ib ? b : ib;
	c->iprefix = b->image_count || !ib ? prefix : iprefix;
	c->outside = 0;
	int rc = setup_images(c);
	if (rc == CRP_OK)
		rc = body_frames(c);
	if (rc == CRP_OK)
		rc = image_warnings(c);
	crp__free(&c->s->alloc, c->images);
	crp__free(&c->s->alloc, c->spans);
	c->images = NULL;
	c->spans = NULL;
	return rc;
}

static int finish(sctx *c, crp_report *root, int rc, crp_error *err)
{
	if (rc == CRP_OK)
		rc = flush_warnings(c, root);
	crp__free(&c->s->alloc, c->warnings);
	crp_symbol_answer_free(c->room);
	if (rc != CRP_OK && err) {
		crp__error_clear(err);
		crp__error_set(err, rc, rc == CRP_ELIMIT ? "the report's memory limit was reached while "
							    "symbolicating" : "%s", crp_status_str(rc));
	}
	return rc;
}

int crp_report_symbolicate(crp_report *r, const crp_symbolicator *s, const crp_symbolicate_options *opts,
			   crp_symbolicate_stats *stats, crp_error *err)
{
	crp_symbolicate_stats local;
	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	if (err)
		crp__error_clear(err);
	if (!r || !s || (opts && opts->version != CRP_SYMBOLICATE_OPTIONS_VERSION)) {
		if (err)
			crp__error_set(err, CRP_EINVAL, "no report or symbolicator, or unknown options version");
		return CRP_EINVAL;
	}
	crp_report *root = r->owner ? r->owner : r;
	sctx c;
	memset(&c, 0, sizeof c);
	c.s = s;
	c.arena = &root->arena;
	c.st = stats;
	c.flags = opts ? opts->flags : 0;
	crp_symbol_answer_new(&c.room, s);
	const crp_body *orig = r->body.recrash ? &r->body.recrash->body : NULL;
	int rc = c.room ? symbolicate_body(&c, &r->body, "", orig, "recrash_report.") : CRP_ENOMEM;
	if (rc == CRP_OK && orig)
		rc = symbolicate_body(&c, orig, "recrash_report.", NULL, NULL);
	return finish(&c, root, rc, err);
}
