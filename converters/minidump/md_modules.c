/* The module list: one entry per loaded image, the main executable first (both Breakpad and
 * rust-minidump call the first module the main one). Breakpad drops the whole list when two
 * modules overlap, so images are taken in priority order (main, then report order) and one
 * that overlaps an image already taken, or has no address or size, is left out (counted
 * and declared in an annotation). */
#include <stdlib.h>

#include "md_internal.h"

static bool usable(const crp_image *img)
{
	return CRP_HAS(img, CRP_IMAGE_ADDR) && CRP_HAS(img, CRP_IMAGE_SIZE) && img->image_size > 0 &&
	       img->image_size <= UINT32_MAX && img->image_addr <= UINT64_MAX - img->image_size;
}

/* Position in the base-sorted index where `base` would go. */
static size_t lower_bound(const md_plan *p, uint64_t base)
{
	size_t lo = 0, hi = p->nmodules;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->modules[p->by_base[mid]].base < base)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const md_module_plan *crp__md_module_at(const md_plan *p, uint64_t addr)
{
	size_t i = lower_bound(p, addr);
	if (i < p->nmodules && p->modules[p->by_base[i]].base == addr)
		return &p->modules[p->by_base[i]];
	if (i == 0)
		return NULL;
	const md_module_plan *m = &p->modules[p->by_base[i - 1]];
	return addr - m->base < m->size ? m : NULL;
}

/* Take the image unless it overlaps one already taken. */
static void take(md_plan *p, const crp_image *img)
{
	uint64_t base = img->image_addr, end = base + img->image_size;
	size_t i = lower_bound(p, base);
	if ((i < p->nmodules && p->modules[p->by_base[i]].base < end) ||
	    (i > 0 && p->modules[p->by_base[i - 1]].base + p->modules[p->by_base[i - 1]].size > base)) {
		p->modules_dropped++;
		return;
	}
	md_module_plan *m = &p->modules[p->nmodules];
	memset(m, 0, sizeof *m);
	m->img = img;
	m->base = base;
	m->size = (uint32_t)img->image_size;
	m->path = CRP_HAS(img, CRP_IMAGE_NAME) && img->name ? img->name : "";
	const char *slash = strrchr(m->path, '/');
	m->basename = slash ? slash + 1 : m->path;
	static const crp_uuid nil;
	m->has_cv = CRP_HAS(img, CRP_IMAGE_UUID) && memcmp(&img->uuid, &nil, sizeof nil) != 0;
	memmove(&p->by_base[i + 1], &p->by_base[i], (p->nmodules - i) * sizeof *p->by_base);
	p->by_base[i] = p->nmodules++;
}

/* Breakpad's arm64 pointer-auth mask: the highest module end, all bits below it set. */
static uint64_t pac_mask(const md_plan *p)
{
	if (!p->nmodules)
		return UINT64_MAX;
	const md_module_plan *m = &p->modules[p->by_base[p->nmodules - 1]];
	uint64_t v = m->base + m->size;
	for (unsigned s = 1; s < 64; s <<= 1)
		v |= v >> s;
	return v;
}

int crp__md_plan_modules(md_plan *p)
{
	size_t n;
	const crp_image *imgs = crp_report_images(p->r, &n);
	const crp_image *main = crp_report_main_image(p->r);
	size_t cap = n ? n : 1;
	p->modules = crp_emit_alloc(p->c, cap * sizeof *p->modules);
	p->by_base = crp_emit_alloc(p->c, cap * sizeof *p->by_base);
	if (!p->modules || !p->by_base)
		return crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
	if (main && usable(main))
		take(p, main);
	for (size_t i = 0; i < n; i++) {
		if (&imgs[i] == main && p->nmodules && p->modules[0].img == main)
			continue;
		if (usable(&imgs[i]))
			take(p, &imgs[i]);
		else
			p->modules_dropped++;
	}
	if (p->nmodules > MD_MAX_MODULES)
		return crp_emit_fail(p->c, CRP_ELIMIT,
				     "minidump: %zu images, more than the %u Breakpad reads",
				     p->nmodules, MD_MAX_MODULES);
	p->pac_mask = pac_mask(p);
	return CRP_OK;
}
