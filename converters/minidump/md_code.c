/* Code regions for the MemoryInfoList: which addresses LLDB is told are executable.
 *
 * LLDB takes the MemoryInfoList as the whole address space. Without unwind information it
 * unwinds a frame 0 whose pc is in no executable region as if stopped at a function's first
 * instruction (the caller from lr on ARM, which is frame 1 of a KSCrash backtrace, but from
 * [sp] on x86, which is not), and it ends a walk at a caller outside every module whose pc is
 * not executable (Breakpad walks on). So, as executable image memory:
 *
 * - x86: the modules, and the instruction word (4 aligned bytes) of every frame address
 *   outside them, frame 0 included;
 * - ARM: the word of every caller (frame 1 on) outside the modules, unless it holds a frame 0
 *   pc of some thread (that one must stay non-executable for lr to be taken).
 *
 * Words, not pages: a frame 0 and its callers in one unknown page still walk. Words
 * overlapping a stack region are left out; the regions never overlap each other. */
#include <stdlib.h>

#include "md_internal.h"

#define MD_WORD UINT64_C(4)

static int cmp_range(const void *x, const void *y)
{
	const md_range *a = x, *b = y;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static bool arm(const md_plan *p)
{
	return p->arch->kind == MDA_ARM64 || p->arch->kind == MDA_ARM;
}

typedef struct sets {
	uint64_t *pcs;     /* ARM: sorted words of frame 0 pcs */
	size_t npcs;
	md_range *stacks;  /* the threads' memory regions, sorted (they never overlap) */
	size_t nstacks;
} sets;

static md_range *stack_ranges(md_plan *p, size_t *n)
{
	md_range *r = crp_emit_alloc(p->c, (p->nthreads + 1) * sizeof *r);
	if (!r)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].mem_size)
			r[(*n)++] = (md_range){p->threads[i].mem_start,
					       p->threads[i].mem_start + p->threads[i].mem_size};
	qsort(r, *n, sizeof *r, cmp_range);
	return r;
}

/* Does [lo, hi) overlap a thread's memory region? */
static bool on_stack(const sets *s, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = s->nstacks;
	while (a < b) { /* the first region ending after lo */
		size_t mid = a + (b - a) / 2;
		if (s->stacks[mid].hi <= lo)
			a = mid + 1;
		else
			b = mid;
	}
	return a < s->nstacks && s->stacks[a].lo < hi;
}

/* The sorted words of the threads' frame 0 pcs (ARM: these stay non-executable). */
static uint64_t *pc_words(md_plan *p, size_t *n)
{
	uint64_t *words = crp_emit_alloc(p->c, (p->nthreads + 1) * sizeof *words);
	if (!words)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < p->nthreads; i++)
		words[(*n)++] = p->threads[i].walk.v[p->arch->pc] & ~(MD_WORD - 1);
	qsort(words, *n, sizeof *words, cmp_u64);
	return words;
}

static bool word_listed(const uint64_t *words, size_t n, uint64_t word)
{
	return words && bsearch(&word, words, n, sizeof *words, cmp_u64) != NULL;
}

/* The words of frame addresses outside the modules, unsorted. */
static void collect(md_plan *p, const sets *s, uint64_t limit)
{
	size_t first = arm(p) ? 1 : 0;
	for (size_t i = 0; i < p->nthreads; i++) {
		const md_thread_plan *tp = &p->threads[i];
		size_t n = crp__md_frame_count(tp->t);
		for (size_t k = first; k < n; k++) {
			uint64_t a = crp__md_frame_addr(p->arch, tp->t, k), word = a & ~(MD_WORD - 1);
			if (k > 0 && a < 4096)
				break; /* walkers end there */
			if (crp__md_module_at(p, a) || word > limit - MD_WORD + 1 ||
			    word_listed(s->pcs, s->npcs, word) || on_stack(s, word, word + MD_WORD))
				continue;
			p->code[p->ncode++] = (md_range){word, word + MD_WORD};
		}
	}
}

static void append(md_range *out, size_t *n, md_range r)
{
	if (*n && r.lo <= out[*n - 1].hi) { /* overlapping or touching: one region */
		if (r.hi > out[*n - 1].hi)
			out[*n - 1].hi = r.hi;
	} else {
		out[(*n)++] = r;
	}
}

/* The words sorted, merged with the x86 modules (already sorted by base) into `out`. */
static void merge(md_plan *p, md_range *out)
{
	size_t n = 0, w = 0, m = arm(p) ? p->nmodules : 0;
	qsort(p->code, p->ncode, sizeof *p->code, cmp_range);
	while (w < p->ncode || m < p->nmodules) {
		const md_module_plan *mod = m < p->nmodules ? &p->modules[p->by_base[m]] : NULL;
		if (mod && (w == p->ncode || mod->base <= p->code[w].lo)) {
			append(out, &n, (md_range){mod->base, mod->base + mod->size});
			m++;
		} else {
			append(out, &n, p->code[w++]);
		}
	}
	memcpy(p->code, out, n * sizeof *out);
	p->ncode = n;
}

int crp__md_plan_code(md_plan *p)
{
	if (!p->arch)
		return CRP_OK;
	size_t cap = p->nmodules + 1;
	for (size_t i = 0; i < p->nthreads; i++)
		cap += crp__md_frame_count(p->threads[i].t);
	sets s = {NULL, 0, NULL, 0};
	p->code = crp_emit_alloc(p->c, cap * sizeof *p->code);
	md_range *merged = crp_emit_alloc(p->c, cap * sizeof *merged);
	s.pcs = arm(p) ? pc_words(p, &s.npcs) : NULL;
	s.stacks = stack_ranges(p, &s.nstacks);
	int rc = CRP_OK;
	if (!p->code || !merged || (arm(p) && !s.pcs) || !s.stacks) {
		rc = crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
	} else {
		collect(p, &s, p->arch->word == 4 ? UINT32_MAX : UINT64_MAX);
		merge(p, merged);
	}
	crp_emit_dealloc(p->c, merged);
	crp_emit_dealloc(p->c, s.pcs);
	crp_emit_dealloc(p->c, s.stacks);
	return rc;
}
