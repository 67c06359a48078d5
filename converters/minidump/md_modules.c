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

static void init_module(md_module_plan *m, const crp_image *img)
{
	memset(m, 0, sizeof *m);
	m->img = img;
	m->base = img->image_addr;
	m->size = (uint32_t)img->image_size;
	m->path = CRP_HAS(img, CRP_IMAGE_NAME) && img->name ? img->name : "";
	m->path_len = strlen(m->path);
	const char *slash = memrchr(m->path, '/', m->path_len);
	m->basename = slash ? slash + 1 : m->path;
	static const crp_uuid nil;
	m->has_cv = CRP_HAS(img, CRP_IMAGE_UUID) && memcmp(&img->uuid, &nil, sizeof nil) != 0;
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
	init_module(&p->modules[p->nmodules], img);
	memmove(&p->by_base[i + 1], &p->by_base[i], (p->nmodules - i) * sizeof *p->by_base);
	p->by_base[i] = p->nmodules++;
}

/* The images in priority order: the main executable, then report order. `add` takes or
 * collects each usable one; unusable ones are counted as dropped. */
static void each_usable(md_plan *p, void (*add)(md_plan *, const crp_image *))
{
	size_t n;
	const crp_image *imgs = crp_report_images(p->img_r, &n);
	const crp_image *main = crp_report_main_image(p->img_r);
	if (main && usable(main))
		add(p, main);
	for (size_t i = 0; i < n; i++) {
		if (&imgs[i] == main && p->nmodules && p->modules[0].img == main)
			continue;
		if (usable(&imgs[i]))
			add(p, &imgs[i]);
		else
			p->modules_dropped++;
	}
}

static void collect(md_plan *p, const crp_image *img)
{
	init_module(&p->modules[p->nmodules++], img);
}

/* The usual case, images that do not overlap, without inserting one at a time into the sorted
 * index: all usable images sorted by base at once. False (nothing changed) when two overlap,
 * and the priority order then decides which stays. */
static int index_disjoint(md_plan *p, bool *disjoint)
{
	*disjoint = false;
	each_usable(p, collect);
	crp_sort_key *keys = crp_emit_alloc(p->c, 2 * (p->nmodules ? p->nmodules : 1) * sizeof *keys);
	if (!keys)
		return crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->nmodules; i++)
		keys[i] = (crp_sort_key){p->modules[i].base, i};
	crp__sort_keys(keys, keys + p->nmodules, p->nmodules);
	const crp_sort_key *sorted = keys;
	size_t j = 0;
	for (; j + 1 < p->nmodules; j++) {
		const md_module_plan *m = &p->modules[sorted[j].pos];
		if (m->base + m->size > sorted[j + 1].key)
			break;
	}
	*disjoint = j + 1 >= p->nmodules;
	for (size_t i = 0; *disjoint && i < p->nmodules; i++)
		p->by_base[i] = (size_t)sorted[i].pos;
	crp_emit_dealloc(p->c, keys);
	return CRP_OK;
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
	crp_report_images(p->img_r, &n);
	size_t cap = n ? n : 1;
	p->modules = crp_emit_alloc(p->c, cap * sizeof *p->modules);
	p->by_base = crp_emit_alloc(p->c, cap * sizeof *p->by_base);
	if (!p->modules || !p->by_base)
		return crp_emit_fail(p->c, CRP_ENOMEM, "out of memory");
	bool disjoint;
	CRP_TRY(index_disjoint(p, &disjoint));
	if (!disjoint) { /* again, one image at a time, dropping those that overlap */
		p->nmodules = p->modules_dropped = 0;
		each_usable(p, take);
	}
	if (p->nmodules > MD_MAX_MODULES)
		return crp_emit_fail(p->c, CRP_ELIMIT,
				     "minidump: %zu images, more than the %u Breakpad reads",
				     p->nmodules, MD_MAX_MODULES);
	p->pac_mask = pac_mask(p);
	return CRP_OK;
}
