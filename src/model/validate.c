/* Semantic checks of a parsed report (crashport/validate.h). Every rule is one small function;
 * README "Validation" lists them. A report that says it is incomplete (cut short when written)
 * gets warnings where a complete one would get errors: absence is expected there. */
#include <stdio.h>
#include <stdlib.h>

#include "common/internal.h"
#include "crashport/validate.h"

struct crp_validation {
	crp_allocator alloc;
	crp_finding *items;
	size_t count, cap, max, errors, dropped;
	int failure; /* CRP_ENOMEM once a finding could not be stored */
};

typedef struct ctx {
	crp_validation *v;
	const crp_report *r;
	const char *prefix;   /* "" or "recrash_report." */
	bool incomplete;
} ctx;

static void add(ctx *c, crp_severity sev, int code, const char *path, const char *fmt, ...)
	CRP_PRINTF(5, 6);

static void add(ctx *c, crp_severity sev, int code, const char *path, const char *fmt, ...)
{
	crp_validation *v = c->v;
	if (sev == CRP_SEVERITY_ERROR && c->incomplete && code == CRP_CHECK_MISSING)
		sev = CRP_SEVERITY_WARNING;
	if (v->count >= v->max) {
		v->dropped++;
		v->errors += sev == CRP_SEVERITY_ERROR;
		return;
	}
	if (v->count == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		crp_finding *n = crp__realloc(&v->alloc, v->items, cap * sizeof *n);
		if (!n) {
			v->failure = CRP_ENOMEM;
			return;
		}
		v->items = n;
		v->cap = cap;
	}
	crp_finding *f = &v->items[v->count++];
	memset(f, 0, sizeof *f);
	f->severity = sev;
	f->diag.code = code;
	char full[CRP_ERROR_PATH_SIZE * 2];
	int n = snprintf(full, sizeof full, "%s%s", c->prefix, path);
	crp__error_set_path(&f->diag, full, n < 0 ? 0 : (size_t)n < sizeof full ? (size_t)n : sizeof full - 1);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->diag.message, sizeof f->diag.message, fmt, ap);
	va_end(ap);
	v->errors += sev == CRP_SEVERITY_ERROR;
}

#define WARN CRP_SEVERITY_WARNING
#define ERROR CRP_SEVERITY_ERROR

static bool is_crash_type(const char *t)
{
	static const char *const crash_types[] = {"mach", "signal", "nsexception", "cpp_exception", "user",
						  "deadlock"};
	for (size_t i = 0; t && i < CRP_ARRAY_LEN(crash_types); i++)
		if (strcmp(t, crash_types[i]) == 0)
			return true;
	return false;
}

static bool is_known_type(const char *t)
{
	static const char *const others[] = {"memory_termination", "termination", "hang", "profile"};
	for (size_t i = 0; i < CRP_ARRAY_LEN(others); i++)
		if (strcmp(t, others[i]) == 0)
			return true;
	return is_crash_type(t);
}

/* -- identity and error ------------------------------------------------------------------- */

static void check_info(ctx *c)
{
	const crp_info *in = crp_report_info(c->r);
	/* Apple's text before macOS 12 has no Incident Identifier: its reports are not wrong */
	crp_severity sev = crp_report_provenance(c->r) & CRP_PROV_APPLE ? WARN : ERROR;
	if (!(crp_report_sections(c->r) & CRP_SECTION_REPORT)) {
		add(c, sev, CRP_CHECK_MISSING, "report", "no \"report\" section");
		return;
	}
	if (!CRP_HAS(in, CRP_INFO_ID))
		add(c, sev, CRP_CHECK_MISSING, "report.id", "no report id");
	if (CRP_HAS(in, CRP_INFO_TYPE) && strcmp(in->type, "standard") != 0 && strcmp(in->type, "minimal") != 0 &&
	    strcmp(in->type, "custom") != 0)
		add(c, WARN, CRP_CHECK_UNKNOWN, "report.type", "unknown report type \"%s\"", in->type);
	if (CRP_HAS(in, CRP_INFO_TIMESTAMP) && in->timestamp.form != CRP_TIME_EMPTY &&
	    (in->timestamp.usec < INT64_C(1199145600000000) || in->timestamp.usec > INT64_C(4102444800000000)))
		add(c, WARN, CRP_CHECK_RANGE, "report.timestamp", "timestamp outside 2008-2100");
}

static bool is_minimal(const crp_report *r)
{
	const crp_info *in = crp_report_info(r);
	return CRP_HAS(in, CRP_INFO_TYPE) && strcmp(in->type, "minimal") == 0;
}

static void check_error_parts(ctx *c, const crp_crash_error *e)
{
	static const struct {
		const char *type;
		uint64_t bit;
		const char *key;
	} need[] = {
		{"mach", CRP_ERROR_MACH, "mach"},
		{"signal", CRP_ERROR_SIGNAL, "signal"},
		{"nsexception", CRP_ERROR_NSEXCEPTION, "nsexception"},
		{"cpp_exception", CRP_ERROR_CPP_EXCEPTION, "cpp_exception"},
		{"user", CRP_ERROR_USER_REPORTED, "user_reported"},
	};
	for (size_t i = 0; i < CRP_ARRAY_LEN(need); i++)
		if (strcmp(e->type, need[i].type) == 0 && !CRP_HAS(e, need[i].bit)) {
			char path[64];
			snprintf(path, sizeof path, "crash.error.%s", need[i].key);
			add(c, WARN, CRP_CHECK_MISSING, path, "error type \"%s\" without its \"%s\" details", e->type,
			    need[i].key);
		}
}

static void check_error(ctx *c)
{
	const crp_crash *cr = crp_report_crash(c->r);
	if (!(crp_report_sections(c->r) & CRP_SECTION_CRASH)) {
		add(c, ERROR, CRP_CHECK_MISSING, "crash", "no \"crash\" section");
		return;
	}
	if (!CRP_HAS(cr, CRP_CRASH_ERROR)) {
		add(c, ERROR, CRP_CHECK_MISSING, "crash.error", "no crash.error: what happened is unknown");
		return;
	}
	const crp_crash_error *e = &cr->error;
	if (!CRP_HAS(e, CRP_ERROR_TYPE)) {
		add(c, ERROR, CRP_CHECK_MISSING, "crash.error.type", "no error type");
		return;
	}
	if (!is_known_type(e->type))
		add(c, WARN, CRP_CHECK_UNKNOWN, "crash.error.type", "unknown error type \"%s\"", e->type);
	check_error_parts(c, e);
	if (CRP_HAS(e, CRP_ERROR_SIGNAL) && CRP_HAS(&e->signal, CRP_SIGNAL_SIGNAL) && e->signal.signal > 64)
		add(c, WARN, CRP_CHECK_RANGE, "crash.error.signal.signal", "signal %llu does not exist",
		    (unsigned long long)e->signal.signal);
}

/* -- images ------------------------------------------------------------------------------- */

typedef struct span {
	uint64_t start, end;  /* [start, end) */
	size_t index;
} span;

static int by_start(const void *a, const void *b)
{
	const span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void check_image(ctx *c, const crp_image *im, size_t i)
{
	char path[64];
	snprintf(path, sizeof path, "binary_images[%zu]", i);
	if (!CRP_HAS(im, CRP_IMAGE_ADDR))
		add(c, ERROR, CRP_CHECK_MISSING, path, "binary image without image_addr");
	if (!CRP_HAS(im, CRP_IMAGE_NAME))
		add(c, WARN, CRP_CHECK_MISSING, path, "binary image without a name");
	if (!CRP_HAS(im, CRP_IMAGE_UUID))
		add(c, WARN, CRP_CHECK_MISSING, path, "binary image without a UUID: it cannot be symbolicated");
	if (CRP_HAS(im, CRP_IMAGE_SIZE) && im->image_size == 0)
		add(c, WARN, CRP_CHECK_RANGE, path, "binary image of size 0");
	if (CRP_HAS(im, CRP_IMAGE_ADDR) && CRP_HAS(im, CRP_IMAGE_SIZE) && im->image_addr + im->image_size < im->image_addr)
		add(c, ERROR, CRP_CHECK_RANGE, path, "image_addr + image_size overflows");
	if (CRP_HAS(im, CRP_IMAGE_CPU_TYPE) && !crp_arch_name(im->cpu_type, im->cpu_subtype))
		add(c, WARN, CRP_CHECK_UNKNOWN, path, "unknown CPU type %d/%d", im->cpu_type, im->cpu_subtype);
}

/* Sorted spans of the images with an address and a size; overlaps reported. */
static span *image_spans(ctx *c, size_t *n_out)
{
	size_t n;
	const crp_image *ims = crp_report_images(c->r, &n);
	span *s = n ? crp__malloc(&c->v->alloc, n * sizeof *s) : NULL;
	size_t k = 0;
	if (n && !s) {
		c->v->failure = CRP_ENOMEM;
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		check_image(c, &ims[i], i);
		if (CRP_HAS(&ims[i], CRP_IMAGE_ADDR) && CRP_HAS(&ims[i], CRP_IMAGE_SIZE) && ims[i].image_size &&
		    ims[i].image_addr + ims[i].image_size > ims[i].image_addr)
			s[k++] = (span){ims[i].image_addr, ims[i].image_addr + ims[i].image_size, i};
	}
	if (k)
		qsort(s, k, sizeof *s, by_start);
	for (size_t i = 1; i < k; i++)
		if (s[i].start < s[i - 1].end) {
			char path[64];
			snprintf(path, sizeof path, "binary_images[%zu]", s[i].index);
			add(c, WARN, CRP_CHECK_CONSISTENCY, path, "overlaps binary_images[%zu]", s[i - 1].index);
		}
	*n_out = k;
	return s;
}

static const span *find_span(const span *s, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < s[mid].start)
			hi = mid;
		else if (addr >= s[mid].end)
			lo = mid + 1;
		else
			return &s[mid];
	}
	return NULL;
}

/* -- threads ------------------------------------------------------------------------------ */

typedef struct images {
	const span *spans;
	size_t count;
	bool have;      /* the report has a binary_images section */
	uint64_t mask;  /* pointer-authentication bits cleared (arm64) */
} images;

static void check_frames(ctx *c, const images *im, const crp_backtrace *bt, const char *path)
{
	size_t n_img;
	const crp_image *all = crp_report_images(c->r, &n_img);
	for (size_t i = 0; i < bt->frame_count; i++) {
		const crp_frame *f = &bt->frames[i];
		char fp[CRP_ERROR_PATH_SIZE];
		snprintf(fp, sizeof fp, "%s.contents[%zu]", path, i);
		if (!CRP_HAS(f, CRP_FRAME_INSTRUCTION_ADDR)) {
			add(c, ERROR, CRP_CHECK_MISSING, fp, "frame without instruction_addr");
			continue;
		}
		uint64_t addr = f->instruction_addr & im->mask;
		const span *s = im->have ? find_span(im->spans, im->count, addr) : NULL;
		if (im->have && !s)
			add(c, WARN, CRP_CHECK_ADDRESS, fp, "0x%llx is in no binary image", (unsigned long long)addr);
		if (s && CRP_HAS(f, CRP_FRAME_OBJECT_ADDR) && f->object_addr != all[s->index].image_addr)
			add(c, WARN, CRP_CHECK_CONSISTENCY, fp, "object_addr 0x%llx, but the address is in the image at 0x%llx",
			    (unsigned long long)f->object_addr, (unsigned long long)all[s->index].image_addr);
		if (CRP_HAS(f, CRP_FRAME_SYMBOL_ADDR) && (f->symbol_addr & im->mask) > addr)
			add(c, WARN, CRP_CHECK_CONSISTENCY, fp, "symbol_addr is after instruction_addr");
	}
}

static uint64_t reg(const crp_regset *rs, const char *name, bool *found)
{
	for (size_t i = 0; i < rs->count; i++)
		if (strcmp(rs->regs[i].name, name) == 0) {
			*found = true;
			return rs->regs[i].value;
		}
	*found = false;
	return 0;
}

static void check_stack(ctx *c, const crp_stack *st, const char *path)
{
	char sp[CRP_ERROR_PATH_SIZE];
	snprintf(sp, sizeof sp, "%s.stack", path);
	if (CRP_HAS(st, CRP_STACK_DUMP_START) && CRP_HAS(st, CRP_STACK_DUMP_END)) {
		if (st->dump_start > st->dump_end)
			add(c, ERROR, CRP_CHECK_RANGE, sp, "dump_start is after dump_end");
		else if (CRP_HAS(st, CRP_STACK_CONTENTS) && st->contents.len != st->dump_end - st->dump_start)
			add(c, WARN, CRP_CHECK_CONSISTENCY, sp, "%zu bytes of contents for a %llu-byte window",
			    st->contents.len, (unsigned long long)(st->dump_end - st->dump_start));
		if (CRP_HAS(st, CRP_STACK_STACK_POINTER) &&
		    (st->stack_pointer < st->dump_start || st->stack_pointer > st->dump_end))
			add(c, WARN, CRP_CHECK_CONSISTENCY, sp, "stack_pointer outside the dumped window");
	}
}

static void check_thread(ctx *c, const images *im, const crp_thread *t, const char *path)
{
	char p[CRP_ERROR_PATH_SIZE];
	snprintf(p, sizeof p, "%s.backtrace", path);
	check_frames(c, im, &t->backtrace, p);
	check_stack(c, &t->stack, path);
	bool found;
	uint64_t pc = reg(&t->registers.basic, "pc", &found);
	if (!found)
		pc = reg(&t->registers.basic, "rip", &found);
	if (!found)
		pc = reg(&t->registers.basic, "eip", &found);
	if (found && t->backtrace.frame_count && CRP_HAS(&t->backtrace.frames[0], CRP_FRAME_INSTRUCTION_ADDR) &&
	    (pc & im->mask) != (t->backtrace.frames[0].instruction_addr & im->mask))
		add(c, WARN, CRP_CHECK_CONSISTENCY, path, "pc 0x%llx differs from frame 0 (0x%llx)",
		    (unsigned long long)pc, (unsigned long long)t->backtrace.frames[0].instruction_addr);
}

static void check_threads(ctx *c, const images *im)
{
	const crp_crash *cr = crp_report_crash(c->r);
	size_t crashed = 0;
	for (size_t i = 0; i < cr->thread_count; i++) {
		const crp_thread *t = &cr->threads[i];
		char path[64];
		snprintf(path, sizeof path, "crash.threads[%zu]", i);
		check_thread(c, im, t, path);
		crashed += CRP_HAS(t, CRP_THREAD_CRASHED) && t->crashed;
		for (size_t k = 0; k < i && CRP_HAS(t, CRP_THREAD_INDEX); k++)
			if (CRP_HAS(&cr->threads[k], CRP_THREAD_INDEX) && cr->threads[k].index == t->index) {
				add(c, WARN, CRP_CHECK_CONSISTENCY, path, "thread index %llu also used by crash.threads[%zu]",
				    (unsigned long long)t->index, k);
				break;
			}
	}
	if (cr->crashed_thread)
		check_thread(c, im, cr->crashed_thread, "crash.crashed_thread");
	if (CRP_HAS(cr, CRP_CRASH_LAST_EXCEPTION_BACKTRACE))
		check_frames(c, im, &cr->last_exception_backtrace, "crash.last_exception_backtrace");
	const char *type = CRP_HAS(&cr->error, CRP_ERROR_TYPE) ? cr->error.type : NULL;
	if (crashed > 1)
		add(c, WARN, CRP_CHECK_CONSISTENCY, "crash.threads", "%zu threads are marked crashed", crashed);
	else if (!crashed && cr->thread_count && is_crash_type(type))
		add(c, WARN, CRP_CHECK_CONSISTENCY, "crash.threads", "no thread is marked crashed");
	if (is_minimal(c->r) && !cr->crashed_thread)
		add(c, WARN, CRP_CHECK_MISSING, "crash.crashed_thread", "minimal report without crashed_thread");
}

/* -- driver ------------------------------------------------------------------------------- */

static uint64_t address_mask(const crp_report *r)
{
	const crp_system *s = crp_report_system(r);
	int32_t type = CRP_HAS(s, CRP_SYSTEM_CPU_TYPE) ? s->cpu_type : 0;
	/* arm64 user space is 47 bits wide; the bits above hold pointer-authentication codes */
	return type == 0x0100000c ? UINT64_C(0x00007fffffffffff) : UINT64_MAX;
}

static void check_report(ctx *c)
{
	check_info(c);
	check_error(c);
	const crp_system *s = crp_report_system(c->r);
	if (CRP_HAS(s, CRP_SYSTEM_CPU_TYPE) && !crp_arch_name(s->cpu_type, s->cpu_subtype))
		add(c, WARN, CRP_CHECK_UNKNOWN, "system.cpu_type", "unknown CPU type %d/%d", s->cpu_type,
		    s->cpu_subtype);
	images im = {NULL, 0, (crp_report_sections(c->r) & CRP_SECTION_BINARY_IMAGES) != 0, address_mask(c->r)};
	span *spans = image_spans(c, &im.count);
	im.spans = spans;
	if (!im.have && !is_minimal(c->r) && crp_report_crash(c->r)->thread_count)
		add(c, WARN, CRP_CHECK_MISSING, "binary_images", "no binary images: frames cannot be symbolicated");
	check_threads(c, &im);
	crp__free(&c->v->alloc, spans);
}

int crp_report_validate(crp_validation **out, const crp_report *r, const crp_validate_options *opts)
{
	crp_allocator a;
	if (!out || !r || (opts && opts->version != CRP_VALIDATE_OPTIONS_VERSION))
		return CRP_EINVAL;
	*out = NULL;
	crp__allocator_init(&a, opts ? opts->allocator : NULL);
	crp_validation *v = crp__malloc(&a, sizeof *v);
	if (!v)
		return CRP_ENOMEM;
	memset(v, 0, sizeof *v);
	v->alloc = a;
	v->max = opts && opts->max_findings ? opts->max_findings : 1000;
	ctx c = {v, r, "", crp_report_is_incomplete(r)};
	check_report(&c);
	if (crp_report_recrash(r)) {
		ctx inner = {v, crp_report_recrash(r), "recrash_report.", crp_report_is_incomplete(crp_report_recrash(r))};
		check_report(&inner);
	}
	if (v->failure) {
		crp_validation_free(v);
		return CRP_ENOMEM;
	}
	*out = v;
	return CRP_OK;
}

size_t crp_validation_count(const crp_validation *v) { return v ? v->count : 0; }
size_t crp_validation_errors(const crp_validation *v) { return v ? v->errors : 0; }
size_t crp_validation_dropped(const crp_validation *v) { return v ? v->dropped : 0; }

const crp_finding *crp_validation_finding(const crp_validation *v, size_t i)
{
	return v && i < v->count ? &v->items[i] : NULL;
}

void crp_validation_free(crp_validation *v)
{
	if (!v)
		return;
	crp_allocator a = v->alloc;
	crp__free(&a, v->items);
	crp__free(&a, v);
}
