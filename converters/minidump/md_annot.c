/* What the minidump carries as Crashpad annotations (the CrashpadInfo stream), so that
 * Breakpad's minidump_dump, rust-minidump and Sentry keep it:
 *
 * global simple annotations
 *   crashport.stack            "hybrid" or "real": how thread stacks were built
 *   crashport.stack.<tid>      per thread, what was synthesised (records, registers, the
 *                              patched slot, context values that differ from the report)
 *   crashport.dropped_images   images left out of the module list (overlapping, no size)
 *   crashport.recrash          a recrash file: the crash reporter's own crash and its thread
 *   exception.type / .name / .reason
 * main module (the first): list annotation with the "Application Specific Information" line
 *   (NSException, C++ exception), its own crash_info messages; annotation objects
 *   last_exception_backtrace, crash_info_signature, crash_info_backtrace
 * other images with crash_info: their messages, signature and backtrace.
 * Without any module the module-level texts become global annotations. */
#include <stdio.h>
#include <stdlib.h>

#include "md_internal.h"

int crp__md_grow(md_plan *p, void **items, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return CRP_OK;
	size_t n = *cap ? *cap * 2 : 8;
	while (n < need)
		n *= 2;
	void *q = crp_emit_realloc(p->c, *items, n * size);
	if (!q)
		return crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
	*items = q;
	*cap = n;
	return CRP_OK;
}

const char *crp__md_keep(md_plan *p, char *s, size_t len)
{
	if (crp__md_grow(p, (void **)&p->texts, &p->texts_cap, p->ntexts + 1, sizeof *p->texts)) {
		crp_emit_dealloc(p->c, s);
		return NULL;
	}
	p->texts[p->ntexts].s = s;
	p->texts[p->ntexts++].len = len;
	return s;
}

const char *crp__md_fmt(md_plan *p, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = n < 0 ? NULL : crp_emit_alloc(p->c, (size_t)n + 1);
	if (!s) {
		crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
		return NULL;
	}
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	if (len)
		*len = (size_t)n;
	return crp__md_keep(p, s, (size_t)n);
}

int crp__md_add_kv(md_plan *p, md_kv **arr, size_t *n, size_t *cap, const char *key,
		   const char *value, size_t len)
{
	if (!value)
		return crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
	CRP_TRY(crp__md_grow(p, (void **)arr, cap, *n + 1, sizeof **arr));
	md_kv *kv = &(*arr)[(*n)++];
	memset(kv, 0, sizeof *kv);
	kv->key = key;
	kv->value = value;
	kv->value_len = len;
	return CRP_OK;
}

void crp__md_plan_free(md_plan *p)
{
	for (size_t i = 0; i < p->ntexts; i++)
		crp_emit_dealloc(p->c, p->texts[i].s);
	crp_emit_dealloc(p->c, p->texts);
	crp_emit_dealloc(p->c, p->threads);
	crp_emit_dealloc(p->c, p->modules);
	crp_emit_dealloc(p->c, p->by_base);
	crp_emit_dealloc(p->c, p->simple);
	crp_emit_dealloc(p->c, p->lists);
	crp_emit_dealloc(p->c, p->objects);
	crp_emit_dealloc(p->c, p->modinfo);
	crp_emit_dealloc(p->c, p->code);
	memset(p, 0, sizeof *p);
}

static int simple(md_plan *p, const char *key, const char *value)
{
	return crp__md_add_kv(p, &p->simple, &p->nsimple, &p->simple_cap, key, value, strlen(value));
}

/* -- the stack declaration ---------------------------------------------------------------- */

typedef struct sbuf {
	char b[1024];
	size_t n;
} sbuf;

static void sb_add(sbuf *s, const char *fmt, ...) CRP_PRINTF(2, 3);
static void sb_add(sbuf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(s->b + s->n, sizeof s->b - s->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		s->n = s->n + (size_t)k < sizeof s->b ? s->n + (size_t)k : sizeof s->b - 1;
}

static void describe_changes(const md_plan *p, const md_thread_plan *tp, sbuf *sb)
{
	static const char *const role[] = {"pc", "lr", "fp", "sp"};
	const md_arch *a = p->arch;
	int slot[] = {a->pc, a->lr, a->fp, a->sp};
	bool crashed = p->crashed < p->nthreads && tp == &p->threads[p->crashed];
	bool any = false;
	for (size_t i = 0; i < 4; i++) {
		if (slot[i] < 0 || tp->walk.v[slot[i]] == tp->real.v[slot[i]])
			continue;
		sb_add(sb, "%s%s 0x%llx", any ? ", " : crashed ? "; exception context: " : "; context: ",
		       role[i], (unsigned long long)tp->walk.v[slot[i]]);
		if (tp->real.have & (UINT64_C(1) << slot[i]))
			sb_add(sb, " (reported 0x%llx)", (unsigned long long)tp->real.v[slot[i]]);
		else
			sb_add(sb, " (not reported)");
		any = true;
	}
}

static const char *describe(md_plan *p, const md_thread_plan *tp, size_t *len)
{
	sbuf sb = {{0}, 0};
	size_t n = crp__md_frame_count(tp->t);
	if (tp->syn & MD_SYN_PLACEHOLDER)
		sb_add(&sb, "no thread in the report: an empty one for the exception; ");
	if (tp->syn & MD_SYN_REGISTERS)
		sb_add(&sb, "no registers in the report; ");
	if (tp->syn & MD_SYN_RECORDS) {
		uint64_t lo = tp->mem_start + tp->syn_off, hi = tp->mem_start + tp->mem_size;
		if (tp->syn_count)
			sb_add(&sb, "frame records 0x%llx-0x%llx for frames %u-%zu",
			       (unsigned long long)lo, (unsigned long long)hi, tp->syn_first, n - 1);
		else
			sb_add(&sb, "terminating frame record 0x%llx-0x%llx", (unsigned long long)lo,
			       (unsigned long long)hi);
		if (tp->syn & MD_SYN_AT_FP)
			sb_add(&sb, " at the reported fp");
		else if (tp->syn & MD_SYN_AFTER_REAL)
			sb_add(&sb, " after the real stack 0x%llx-0x%llx",
			       (unsigned long long)tp->mem_start,
			       (unsigned long long)(tp->mem_start + tp->real_len));
	} else {
		sb_add(&sb, "no frame records");
	}
	if (tp->syn & MD_SYN_PATCHED)
		sb_add(&sb, "; saved fp at 0x%llx set to 0x%llx (reported 0x%llx)",
		       (unsigned long long)tp->patch_addr,
		       (unsigned long long)(tp->mem_start + tp->syn_off),
		       (unsigned long long)tp->patch_old);
	describe_changes(p, tp, &sb);
	char *s = crp_emit_alloc(p->c, sb.n + 1);
	if (!s) {
		crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(s, sb.b, sb.n + 1);
	*len = sb.n;
	return crp__md_keep(p, s, sb.n);
}

static int declare_stacks(md_plan *p)
{
	CRP_TRY(simple(p, "crashport.stack", p->mode == MD_STACK_REAL ? "real" : "hybrid"));
	for (size_t i = 0; p->arch && i < p->nthreads; i++) {
		const md_thread_plan *tp = &p->threads[i];
		if ((!tp->syn && !tp->walk_differs) ||
		    (p->mode == MD_STACK_REAL && !(tp->syn & MD_SYN_PLACEHOLDER)))
			continue;
		size_t len;
		const char *key = crp__md_fmt(p, NULL, "crashport.stack.%u", tp->tid);
		const char *val = key ? describe(p, tp, &len) : NULL;
		CRP_TRY(crp__md_add_kv(p, &p->simple, &p->nsimple, &p->simple_cap, key, val,
				       val ? len : 0));
	}
	if (p->modules_dropped) {
		const char *v = crp__md_fmt(p, NULL, "%zu", p->modules_dropped);
		CRP_TRY(v ? simple(p, "crashport.dropped_images", v) : CRP_ENOMEM);
	}
	return CRP_OK;
}

/* The crash reporter's own crash, in a recrash file: what it was and which thread is its. */
static int declare_recrash(md_plan *p)
{
	if (!p->handler)
		return CRP_OK;
	const crp_crash_error *e = &crp_report_crash(p->handler)->error;
	const char *exc = CRP_HAS(e, CRP_ERROR_MACH) && CRP_HAS(&e->mach, CRP_MACH_EXCEPTION)
				  ? crp_mach_exception_name(e->mach.exception) : NULL;
	const char *sig = CRP_HAS(e, CRP_ERROR_SIGNAL) && CRP_HAS(&e->signal, CRP_SIGNAL_SIGNAL)
				  ? crp_signal_name(e->signal.signal) : NULL;
	sbuf sb = {{0}, 0};
	sb_add(&sb, "the crash reporter crashed while writing this report");
	if (exc || sig)
		sb_add(&sb, ": %s%s%s%s", exc ? exc : "", exc && sig ? " (" : "", sig ? sig : "",
		       exc && sig ? ")" : "");
	if (CRP_HAS(e, CRP_ERROR_ADDRESS))
		sb_add(&sb, " at 0x%llx", (unsigned long long)e->address);
	if (p->handler_thread != SIZE_MAX)
		sb_add(&sb, "; its thread is %u, listed last", p->threads[p->handler_thread].tid);
	const char *v = crp__md_fmt(p, NULL, "%s", sb.b);
	return v ? simple(p, "crashport.recrash", v) : CRP_ENOMEM;
}

/* -- the error ---------------------------------------------------------------------------- */

static const char *exception_name(const crp_crash_error *e)
{
	if (CRP_HAS(e, CRP_ERROR_NSEXCEPTION) && CRP_HAS(&e->nsexception, CRP_NSEXC_NAME))
		return e->nsexception.name;
	if (CRP_HAS(e, CRP_ERROR_CPP_EXCEPTION) && CRP_HAS(&e->cpp_exception, CRP_CPPEXC_NAME))
		return e->cpp_exception.name;
	if (CRP_HAS(e, CRP_ERROR_USER_REPORTED) && CRP_HAS(&e->user_reported, CRP_USEREXC_NAME))
		return e->user_reported.name;
	return NULL;
}

static const char *exception_reason(const crp_crash_error *e)
{
	if (CRP_HAS(e, CRP_ERROR_REASON) && e->reason)
		return e->reason;
	if (CRP_HAS(e, CRP_ERROR_NSEXCEPTION) && CRP_HAS(&e->nsexception, CRP_NSEXC_REASON))
		return e->nsexception.reason;
	return NULL;
}

/* The line Apple's "Application Specific Information" shows for an uncaught exception. */
static const char *app_specific(md_plan *p, const crp_crash_error *e, size_t *len)
{
	const char *name = exception_name(e), *reason = exception_reason(e);
	if (CRP_HAS(e, CRP_ERROR_NSEXCEPTION))
		return crp__md_fmt(p, len,
				   "*** Terminating app due to uncaught exception '%s', reason: '%s'",
				   name ? name : "", reason ? reason : "");
	if (CRP_HAS(e, CRP_ERROR_CPP_EXCEPTION))
		return crp__md_fmt(p, len, "terminating with uncaught exception of type %s%s%s",
				   name ? name : "", reason ? ": " : "", reason ? reason : "");
	*len = 0;
	return "";
}

static const crp_backtrace *last_exception_backtrace(const crp_report *r)
{
	const crp_crash *cr = crp_report_crash(r);
	if (CRP_HAS(cr, CRP_CRASH_LAST_EXCEPTION_BACKTRACE) && cr->last_exception_backtrace.frame_count)
		return &cr->last_exception_backtrace;
	const crp_nsexception *ns = &cr->error.nsexception;
	if (CRP_HAS(&cr->error, CRP_ERROR_NSEXCEPTION) && CRP_HAS(ns, CRP_NSEXC_BACKTRACE) &&
	    ns->backtrace.frame_count)
		return &ns->backtrace;
	return NULL;
}

static const char *format_backtrace(md_plan *p, const crp_backtrace *bt, size_t *len)
{
	size_t cap = bt->frame_count * 19 + 1, n = 0;
	char *s = crp_emit_alloc(p->c, cap);
	if (!s) {
		crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < bt->frame_count; i++)
		n += (size_t)snprintf(s + n, cap - n, "%s0x%llx", i ? " " : "",
				      (unsigned long long)bt->frames[i].instruction_addr);
	*len = n;
	return crp__md_keep(p, s, n);
}

/* -- module-level texts ------------------------------------------------------------------- */

static int module_texts(md_plan *p, size_t mi, const char *app, size_t app_len,
			const crp_backtrace *leb)
{
	const crp_image *img = p->modules[mi].img;
	struct md_modinfo info = {mi, p->nlists, 0, p->nobjects, 0, 0, 0, 0};
	if (app_len)
		CRP_TRY(crp__md_add_kv(p, &p->lists, &p->nlists, &p->lists_cap, NULL, app, app_len));
	if (CRP_HAS(img, CRP_IMAGE_CRASH_INFO_MESSAGE))
		CRP_TRY(crp__md_add_kv(p, &p->lists, &p->nlists, &p->lists_cap, NULL,
				       img->crash_info_message, strlen(img->crash_info_message)));
	if (CRP_HAS(img, CRP_IMAGE_CRASH_INFO_MESSAGE2))
		CRP_TRY(crp__md_add_kv(p, &p->lists, &p->nlists, &p->lists_cap, NULL,
				       img->crash_info_message2, strlen(img->crash_info_message2)));
	if (leb) {
		size_t len;
		const char *v = format_backtrace(p, leb, &len);
		CRP_TRY(crp__md_add_kv(p, &p->objects, &p->nobjects, &p->objects_cap,
				       "last_exception_backtrace", v, len));
	}
	if (CRP_HAS(img, CRP_IMAGE_CRASH_INFO_SIGNATURE))
		CRP_TRY(crp__md_add_kv(p, &p->objects, &p->nobjects, &p->objects_cap,
				       "crash_info_signature", img->crash_info_signature,
				       strlen(img->crash_info_signature)));
	if (CRP_HAS(img, CRP_IMAGE_CRASH_INFO_BACKTRACE))
		CRP_TRY(crp__md_add_kv(p, &p->objects, &p->nobjects,
				       &p->objects_cap, "crash_info_backtrace",
				       img->crash_info_backtrace, strlen(img->crash_info_backtrace)));
	info.nlist = p->nlists - info.list_first;
	info.nobject = p->nobjects - info.object_first;
	if (!info.nlist && !info.nobject)
		return CRP_OK;
	CRP_TRY(crp__md_grow(p, (void **)&p->modinfo, &p->modinfo_cap, p->nmodinfo + 1,
			     sizeof *p->modinfo));
	p->modinfo[p->nmodinfo++] = info;
	return CRP_OK;
}

int crp__md_plan_annotations(md_plan *p)
{
	const crp_crash_error *e = &crp_report_crash(p->err_r)->error;
	const char *v;
	size_t app_len;
	CRP_TRY(declare_stacks(p));
	CRP_TRY(declare_recrash(p));
	if (CRP_HAS(e, CRP_ERROR_TYPE) && e->type)
		CRP_TRY(simple(p, "exception.type", e->type));
	if ((v = exception_name(e)) != NULL)
		CRP_TRY(simple(p, "exception.name", v));
	if ((v = exception_reason(e)) != NULL)
		CRP_TRY(simple(p, "exception.reason", v));
	const char *app = app_specific(p, e, &app_len);
	const crp_backtrace *leb = last_exception_backtrace(p->err_r);
	if (!app)
		return CRP_ENOMEM;
	if (!p->nmodules) {
		if (app_len)
			CRP_TRY(simple(p, "application_specific_information", app));
		if (leb) {
			size_t len;
			const char *bt = format_backtrace(p, leb, &len);
			CRP_TRY(bt ? simple(p, "last_exception_backtrace", bt) : CRP_ENOMEM);
		}
		return CRP_OK;
	}
	for (size_t i = 0; i < p->nmodules; i++)
		CRP_TRY(i == 0 ? module_texts(p, 0, app, app_len, leb) : module_texts(p, i, NULL, 0, NULL));
	return CRP_OK;
}
