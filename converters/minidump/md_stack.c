/* Threads and their stacks: what a stack walker needs to reproduce the report's backtraces.
 *
 * Breakpad walks frame pointers: frame 0 is the context's pc; on ARM frame 1 is lr and the
 * record at fp ([saved fp, saved return address]) gives frame 2, elsewhere that record gives
 * frame 1; the walk ends at a return address below 4096. A KSCrash report has the registers
 * of every thread but stack bytes (a small window around sp) only for the crashed thread, so:
 *
 * - hybrid (default): a thread with a real window keeps it; its real fp chain is followed
 *   while it stays in the window and agrees with the backtrace, then continues with synthetic
 *   frame records placed right after the window (one saved-fp slot of the window, or the
 *   walking context's fp, is pointed at them). Other threads get synthetic records alone,
 *   at their reported fp when it can host them, else in free address space from
 *   MD_SYNTHETIC_BASE (then fp and sp point at them).
 * - real: only the reported bytes, no records.
 *
 * Records hold PAC-stripped addresses and end with [next, 0] + [0, 0], a terminator both the
 * ARM and the x86-64 walkers accept. Regions never overlap. Every change is declared in the
 * output (md_annot.c). */
#include "md_internal.h"

#define KSCRASH_PAC_MASK UINT64_C(0x0000000FFFFFFFFF)

typedef struct span {
	uint64_t lo, hi; /* [lo, hi) */
} span;

typedef struct stack_ctx {
	md_plan *p;
	const md_arch *a;
	span *spans; /* sorted by lo */
	size_t nspans;
	uint64_t limit; /* end of the address space */
} stack_ctx;

size_t crp__md_frame_count(const crp_thread *t)
{
	return CRP_HAS(t, CRP_THREAD_BACKTRACE) ? t->backtrace.frame_count : 0;
}

uint64_t crp__md_frame_addr(const md_arch *a, const crp_thread *t, size_t i)
{
	const crp_frame *f = &t->backtrace.frames[i];
	uint64_t v = CRP_HAS(f, CRP_FRAME_INSTRUCTION_ADDR) ? f->instruction_addr : 0;
	if (a->word == 4)
		return v & 0xFFFFFFFFu;
	if (a->kind == MDA_ARM64 && (v >> 47) != 0) /* not a user address: PAC bits left in */
		return v & KSCRASH_PAC_MASK;
	return v;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return v > UINT64_MAX - (a - 1) ? UINT64_MAX : (v + a - 1) & ~(a - 1);
}

/* The first span ending after addr (spans are sorted and disjoint: their ends are sorted too).
 * Binary: the images are spans, hundreds of them, and every thread asks. */
static size_t span_after(const stack_ctx *s, uint64_t addr)
{
	size_t lo = 0, hi = s->nspans;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->spans[mid].hi <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool span_free(const stack_ctx *s, uint64_t lo, uint64_t hi)
{
	size_t i = span_after(s, lo);
	return i == s->nspans || s->spans[i].lo >= hi;
}

/* Lowest free, aligned start >= from for `size` bytes, or 0 when the space is full. */
static uint64_t span_find(const stack_ctx *s, uint64_t from, uint64_t size, uint64_t align)
{
	uint64_t at = align_up(from, align);
	for (size_t i = span_after(s, at); i < s->nspans; i++) {
		if (s->spans[i].hi <= at)
			continue;
		if (s->spans[i].lo >= at && s->spans[i].lo - at >= size)
			break;
		at = align_up(s->spans[i].hi, align);
	}
	return at <= s->limit && s->limit - at >= size ? at : 0;
}

/* A free range (span_free said so) into its place: stacks mostly go below the images. */
static void span_add(stack_ctx *s, uint64_t lo, uint64_t hi)
{
	size_t i = span_after(s, lo);
	memmove(&s->spans[i + 1], &s->spans[i], (s->nspans - i) * sizeof *s->spans);
	s->spans[i].lo = lo;
	s->spans[i].hi = hi;
	s->nspans++;
}

/* -- the reported window ------------------------------------------------------------------ */

typedef struct window {
	uint64_t start;
	const uint8_t *bytes;
	uint32_t len;
} window;

static bool window_of(const stack_ctx *s, const crp_thread *t, window *w)
{
	const crp_stack *st = &t->stack;
	if (!CRP_HAS(t, CRP_THREAD_STACK) || !CRP_HAS(st, CRP_STACK_CONTENTS) ||
	    !CRP_HAS(st, CRP_STACK_DUMP_START) || st->contents.len == 0)
		return false;
	uint64_t len = st->contents.len;
	if (CRP_HAS(st, CRP_STACK_DUMP_END) && st->dump_end > st->dump_start &&
	    st->dump_end - st->dump_start < len)
		len = st->dump_end - st->dump_start;
	if (len > MD_MAX_REGION || st->dump_start > s->limit || s->limit - st->dump_start < len)
		return false;
	w->start = st->dump_start;
	w->bytes = st->contents.data;
	w->len = (uint32_t)len;
	return true;
}

static bool word_at(const stack_ctx *s, const window *w, uint64_t addr, uint64_t *out)
{
	unsigned W = s->a->word;
	if (addr < w->start || addr - w->start > w->len || w->len - (addr - w->start) < W)
		return false;
	*out = md_get64(w->bytes + (addr - w->start), W);
	return true;
}

/* Does a saved return address read from real memory walk to frame address `want`? Only when
 * it is that address: Breakpad would strip pointer-auth bits from a signed one, but LLDB has
 * no mask for a minidump and stops there, so signed ones are left to synthetic records. */
static bool return_matches(uint64_t raw, uint64_t want)
{
	return raw == want;
}

/* -- planning ----------------------------------------------------------------------------- */

/* Is there a frame record at `cur` the walker will step through? Records must be aligned, in
 * the window, and move up the stack: the first one not below sp, the next ones not
 * overlapping the previous (`prev`, 0 for none). */
static bool record_ok(const stack_ctx *s, const window *w, const md_thread_plan *tp,
		      uint64_t prev, uint64_t cur, uint64_t *next, uint64_t *ret)
{
	unsigned W = s->a->word;
	if (cur % W || !word_at(s, w, cur, next) || !word_at(s, w, cur + W, ret))
		return false;
	return prev ? cur >= prev + 2 * W : cur + 2 * W >= tp->walk.v[s->a->sp];
}

static uint32_t record_bytes(const stack_ctx *s, uint32_t frames)
{
	return (frames + 2) * 2 * s->a->word; /* frame records + terminator pair */
}

/* Follow the real fp chain through the window; link the rest of the backtrace after it. */
static bool plan_hybrid(stack_ctx *s, md_thread_plan *tp, const window *w, size_t n)
{
	const md_arch *a = s->a;
	unsigned W = a->word;
	size_t k = a->link_register ? 2 : 1;
	uint64_t cur = tp->walk.v[a->fp], slot = 0, v;
	if (k > n) { /* ARM, one frame: lr is 0; fp must not lead the walker to unreadable memory */
		if (!word_at(s, w, cur, &v) || !word_at(s, w, cur + W, &v))
			tp->walk.v[a->fp] = 0;
		goto window_only;
	}
	uint64_t ret, next;
	while (k < n) {
		if (!record_ok(s, w, tp, slot, cur, &next, &ret) ||
		    !return_matches(ret, crp__md_frame_addr(a, tp->t, k)))
			break;
		slot = cur;
		cur = next;
		k++;
	}
	if (k == n && a->link_register && record_ok(s, w, tp, slot, cur, &next, &v) && v == 0 &&
	    (next == 0 || (word_at(s, w, next, &v) && word_at(s, w, next + W, &v))))
		goto window_only; /* the real chain ends where the backtrace does */
	uint64_t end = w->start + w->len, syn = align_up(end, 2 * W);
	uint32_t m = (uint32_t)(n - k);
	uint64_t size = syn - w->start + record_bytes(s, m);
	if (syn > s->limit || s->limit - syn < record_bytes(s, m) || size > MD_MAX_REGION ||
	    !span_free(s, w->start, w->start + size))
		return false;
	if (slot) {
		word_at(s, w, slot, &tp->patch_old);
		tp->patch_addr = slot;
		if (tp->patch_old != syn) /* often the real chain already continues there */
			tp->syn |= MD_SYN_PATCHED;
	} else {
		tp->walk.v[a->fp] = syn;
		if (tp->walk.v[a->sp] > syn)
			tp->walk.v[a->sp] = syn;
	}
	tp->syn |= MD_SYN_AFTER_REAL | MD_SYN_RECORDS;
	tp->syn_off = (uint32_t)(syn - w->start);
	tp->syn_first = (uint32_t)k;
	tp->syn_count = m;
	tp->mem_start = w->start;
	tp->mem_size = (uint32_t)size;
	tp->real_bytes = w->bytes;
	tp->real_len = w->len;
	span_add(s, w->start, w->start + size);
	return true;
window_only:
	if (!span_free(s, w->start, w->start + w->len))
		return false;
	tp->mem_start = w->start;
	tp->mem_size = tp->real_len = w->len;
	tp->real_bytes = w->bytes;
	span_add(s, w->start, w->start + w->len);
	return true;
}

static int plan_synthetic(stack_ctx *s, md_thread_plan *tp, size_t n)
{
	const md_arch *a = s->a;
	unsigned W = a->word;
	size_t k = a->link_register ? 2 : 1;
	if (n < k)
		return CRP_OK; /* frame 0 (and lr) need no memory */
	uint32_t m = (uint32_t)(n - k), size = record_bytes(s, m);
	uint64_t fp = tp->real.v[a->fp], sp = tp->real.v[a->sp], at;
	uint64_t need = UINT64_C(1) << a->fp | UINT64_C(1) << a->sp;
	if ((tp->real.have & need) == need && fp != 0 && fp % W == 0 && sp <= fp &&
	    fp <= s->limit && s->limit - fp >= size && span_free(s, fp, fp + size)) {
		at = fp;
		tp->syn |= MD_SYN_AT_FP;
	} else {
		at = span_find(s, MD_SYNTHETIC_BASE, size, 2 * W);
		if (!at)
			return crp_emit_fail(s->p->c, CRP_ELIMIT,
					     "minidump: no address space left for frame records");
		tp->walk.v[a->sp] = at;
	}
	tp->walk.v[a->fp] = at;
	tp->syn |= MD_SYN_RECORDS;
	tp->syn_first = (uint32_t)k;
	tp->syn_count = m;
	tp->mem_start = at;
	tp->mem_size = size;
	span_add(s, at, at + size);
	return CRP_OK;
}

static void plan_registers(const md_arch *a, md_thread_plan *tp, size_t n, md_reg_order *order)
{
	if (!crp__md_regs_read(a, tp->t, &tp->real, order) && n > 0)
		tp->syn |= MD_SYN_REGISTERS;
	if (!(tp->real.have & (UINT64_C(1) << a->pc)) && n > 0) {
		tp->real.v[a->pc] = crp__md_frame_addr(a, tp->t, 0);
		tp->real.have |= UINT64_C(1) << a->pc;
	}
	tp->walk = tp->real;
	if (n == 0)
		return;
	tp->walk.v[a->pc] = crp__md_frame_addr(a, tp->t, 0);
	if (a->link_register)
		tp->walk.v[a->lr] = n >= 2 ? crp__md_frame_addr(a, tp->t, 1) : 0;
}

static int plan_stack(stack_ctx *s, md_thread_plan *tp, bool real_pass)
{
	window w = {0, NULL, 0};
	size_t n = crp__md_frame_count(tp->t);
	bool has_window = window_of(s, tp->t, &w);
	if (real_pass != has_window)
		return CRP_OK; /* windows are placed first, records around them */
	if (s->p->mode == MD_STACK_REAL || n == 0) {
		tp->walk = tp->real;
		if (has_window && span_free(s, w.start, w.start + w.len)) {
			tp->mem_start = w.start;
			tp->mem_size = tp->real_len = w.len;
			tp->real_bytes = w.bytes;
			span_add(s, w.start, w.start + w.len);
		}
		return CRP_OK;
	}
	if (has_window && plan_hybrid(s, tp, &w, n))
		return CRP_OK;
	if (has_window) /* the window clashed with another: records alone, elsewhere */
		tp->walk.v[s->a->fp] = tp->real.v[s->a->fp];
	return plan_synthetic(s, tp, n);
}

static bool regs_equal(const md_arch *a, const md_regs *x, const md_regs *y)
{
	for (size_t i = 0; i < a->nregs; i++)
		if (x->v[i] != y->v[i])
			return false;
	return true;
}

/* Thread ids: the reported indices when they are unique, else positions. */
static void assign_ids(md_plan *p)
{
	bool unique = true;
	for (size_t i = 0; i < p->nthreads && unique; i++) {
		const crp_thread *t = p->threads[i].t;
		if (!CRP_HAS(t, CRP_THREAD_INDEX) || t->index > UINT32_MAX)
			unique = false;
		for (size_t j = 0; j < i && unique; j++)
			if (p->threads[j].t->index == t->index)
				unique = false;
	}
	for (size_t i = 0; i < p->nthreads; i++)
		p->threads[i].tid = unique ? (uint32_t)p->threads[i].t->index : (uint32_t)i;
}

/* The report's threads, a crashed thread kept apart, then a recrash handler's thread; or,
 * for a report without threads that tells of a crash, one empty thread for the Exception
 * stream to name (LLDB crashes on a dump whose exception names no thread). */
static int collect_threads(md_plan *p)
{
	static const crp_thread no_thread;
	const crp_crash *cr = crp_report_crash(p->r);
	size_t ci;
	const crp_thread *crashed = crp_report_crashed_thread(p->r, &ci);
	const crp_thread *ht = p->handler ? crp_report_crashed_thread(p->handler, NULL) : NULL;
	size_t apart = crashed && ci == SIZE_MAX, n = cr->thread_count + apart + (ht != NULL);
	bool placeholder = n == 0 && crp__md_error_known(p->err_r);
	n += placeholder;
	if (n > MD_MAX_THREADS)
		return crp_emit_fail(p->c, CRP_ELIMIT,
				     "minidump: %zu threads, more than the %u Breakpad reads", n,
				     MD_MAX_THREADS);
	p->threads = crp_emit_alloc(p->c, (n ? n : 1) * sizeof *p->threads);
	if (!p->threads)
		return crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
	memset(p->threads, 0, (n ? n : 1) * sizeof *p->threads);
	for (size_t i = 0; i < cr->thread_count; i++)
		p->threads[i].t = &cr->threads[i];
	if (apart)
		p->threads[cr->thread_count].t = crashed;
	p->handler_thread = ht ? n - 1 : SIZE_MAX;
	if (ht)
		p->threads[n - 1].t = ht;
	p->nthreads = n;
	if (placeholder) {
		p->threads[0].t = &no_thread;
		p->threads[0].syn = MD_SYN_PLACEHOLDER;
		p->crashed = 0;
		return CRP_OK;
	}
	/* the crashed thread belongs with the error the Exception stream tells */
	if (p->err_r == p->r)
		p->crashed = !crashed ? SIZE_MAX : apart ? cr->thread_count : ci;
	else
		p->crashed = p->handler_thread;
	return CRP_OK;
}

int crp__md_plan_threads(md_plan *p)
{
	CRP_TRY(collect_threads(p));
	const crp_thread **ts = crp_emit_alloc(p->c, (p->nthreads + 1) * sizeof *ts);
	if (!ts)
		return crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->nthreads; i++)
		ts[i] = p->threads[i].t;
	p->arch = crp__md_arch_detect(p->sys_r, p->img_r, ts, p->nthreads);
	crp_emit_dealloc(p->c, ts);
	assign_ids(p);
	if (!p->arch)
		return CRP_OK; /* no threads, nothing says which CPU */
	stack_ctx s = {p, p->arch, NULL, 0, p->arch->word == 4 ? UINT32_MAX : UINT64_MAX};
	s.spans = crp_emit_alloc(p->c, (p->nthreads + p->nmodules + 1) * sizeof *s.spans);
	if (!s.spans)
		return crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
	/* images are memory too (executable, in MemoryInfoList): no stack region inside one */
	for (size_t i = 0; i < p->nmodules; i++) { /* by base: already in order */
		const md_module_plan *m = &p->modules[p->by_base[i]];
		s.spans[s.nspans++] = (span){m->base, m->base + m->size};
	}
	int rc = CRP_OK;
	md_reg_order order;
	crp__md_reg_order_init(&order);
	for (size_t i = 0; i < p->nthreads; i++) {
		md_thread_plan *tp = &p->threads[i];
		const crp_thread *t = tp->t;
		plan_registers(p->arch, tp, crp__md_frame_count(t), &order);
		tp->name = CRP_HAS(t, CRP_THREAD_NAME) && t->name && t->name[0] ? t->name
			   : CRP_HAS(t, CRP_THREAD_DISPATCH_QUEUE) && t->dispatch_queue &&
					   t->dispatch_queue[0]
				   ? t->dispatch_queue
				   : NULL;
	}
	for (int pass = 1; pass >= 0 && rc == CRP_OK; pass--)
		for (size_t i = 0; i < p->nthreads && rc == CRP_OK; i++)
			rc = plan_stack(&s, &p->threads[i], pass == 1);
	for (size_t i = 0; i < p->nthreads; i++)
		p->threads[i].walk_differs = !regs_equal(p->arch, &p->threads[i].real,
							 &p->threads[i].walk);
	crp_emit_dealloc(p->c, s.spans);
	return rc;
}
