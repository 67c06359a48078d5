/* The .ips body's threads, frames, register states and images. A report read from an .ips
 * carries what the model has no field for in its records' extras under Apple's names (thread
 * "id", "instructionState", what registers said besides their values, image "source" and
 * bundle keys): it is written back where Apple writes it. */
#include "apple_ips.h"

/* -- frames ------------------------------------------------------------------------------- */

/* Index of a frame's image in usedImages: report order; frames in no image point at the
 * report's own placeholder image, else at one appended after the others. */
static size_t image_index(iw *w, const crp_frame *fr, const apple_frame *a)
{
	uint64_t u;
	if (crp__apple_xu64(crp_extras_get(&fr->extras, "imageIndex"), &u))
		return (size_t)u;
	if (a->img)
		return a->img->pos;
	if (w->f.placeholder)
		return (size_t)(w->f.placeholder - w->f.images);
	w->st->any_unknown = true;
	return w->f.image_count;
}

/* The base a frame's imageOffset is from: the image its kept imageIndex names (a frame outside
 * that image, as the .ips said it), else the image found for its address. A frame without an
 * address (its offset was missing) keeps offset 0 from no base, as before. */
static uint64_t offset_base(const iw *w, const crp_frame *fr, const apple_frame *a)
{
	uint64_t u;
	if (CRP_HAS(fr, CRP_FRAME_INSTRUCTION_ADDR) &&
	    crp__apple_xu64(crp_extras_get(&fr->extras, "imageIndex"), &u) && u < w->f.image_count)
		return CRP_HAS(&w->f.images[u], CRP_IMAGE_ADDR) ? w->f.images[u].image_addr : 0;
	return a->img ? a->img->lo : 0;
}

static const char *const frame_keys[] = {"imageOffset", "symbol", "symbolLocation", "imageIndex",
					 "sourceFile", "sourceLine", "inline", "imageName", "symbolImage"};

static void frame_level(iw *w, const crp_frame *fr, const apple_frame *a, const crp_symbolication *sy, size_t i)
{
	iw in = *w;
	const crp_symloc *l = sy ? &sy->locs[i] : NULL;
	const char *sym = l ? l->function : a->symbol;
	uint64_t base = offset_base(w, fr, a), u;
	bool report = sy && sy->source == CRP_SYMSRC_REPORT;
	in.first = true;
	ao_ch(w->o, '{');
	if (CRP_HAS(fr, CRP_FRAME_INSTRUCTION_ADDR) || !crp__apple_xu64(crp_extras_get(&fr->extras, "imageOffset"), &u))
		u = a->addr - base; /* lldb's parser needs an offset in every frame */
	crp__ips_cnum(&in, "imageOffset", u);
	if (sym) {
		bool apple = w->f.x != NULL; /* names Apple gave are printed as Apple gave them */
		crp__ips_cstr(&in, "symbol", apple || report ? sym : crp__apple_demangle(sym, w->st->demangled,
											    sizeof w->st->demangled));
		if (!l)
			crp__ips_cnum(&in, "symbolLocation", a->sym_off);
		else if (sy->function_addr || !report)
			crp__ips_cnum(&in, "symbolLocation", a->addr >= sy->function_addr ? a->addr - sy->function_addr : 0);
	}
	crp__ips_cnum(&in, "imageIndex", image_index(w, fr, a));
	if (a->image && (!a->img || !CRP_HAS(a->img->im, CRP_IMAGE_NAME) ||
			 strcmp(a->image, crp__apple_basename(a->img->im->name)) != 0))
		crp__ips_cstr(&in, "imageName", a->image); /* ours: a name the image does not give */
	if (l && l->file) {
		crp__ips_cstr(&in, "sourceFile", crp__apple_basename(l->file));
		crp__ips_cnum(&in, "sourceLine", l->line);
	}
	if (report && sy->image)
		crp__ips_cstr(&in, "symbolImage", sy->image); /* ours: atos's "(in Image)" */
	if (sy && i + 1 < sy->count)
		crp__ips_cstr(&in, "inline", "true"); /* Xcode's CrashSymbolicator spells it as a string */
	if (w->f.x) /* what an .ips said of the frame; a KSCrash report's extras are not Apple's keys */
		crp__ips_members(&in, &(crp_value){.type = CRP_VALUE_OBJECT, .u.obj = {fr->extras.members, fr->extras.count}},
				 frame_keys, CRP_ARRAY_LEN(frame_keys));
	ao_ch(w->o, '}');
}

static void frame_object(iw *w, const crp_frame *fr)
{
	apple_frame a;
	crp__apple_frame(&w->f, fr, &a);
	const crp_symbolication *sy = fr->symbolicated && fr->symbolicated->count && fr->symbolicated->locs
					      ? fr->symbolicated : NULL;
	size_t levels = sy ? sy->count : 1;
	for (size_t i = 0; i < levels; i++) {
		if (i)
			ao_ch(w->o, ',');
		frame_level(w, fr, &a, sy, i);
	}
}

static void frames(iw *w, const crp_backtrace *bt)
{
	ao_ch(w->o, '[');
	for (size_t i = 0; i < bt->frame_count; i++) {
		if (i)
			ao_ch(w->o, ',');
		frame_object(w, &bt->frames[i]);
	}
	ao_ch(w->o, ']');
}

/* -- registers ---------------------------------------------------------------------------- */

static const crp_register *reg(const crp_regset *rs, const char *name)
{
	for (size_t i = 0; i < rs->count; i++)
		if (strcmp(rs->regs[i].name, name) == 0)
			return &rs->regs[i];
	return NULL;
}

/* {"value": v} and whatever else the .ips said of the register (symbol, description...), or
 * the description the model derives. */
static void reg_object(iw *w, const crp_value *said, uint64_t value, const char *desc)
{
	static const char *const skip[] = {"value"};
	iw in = *w;
	in.first = true;
	ao_ch(w->o, '{');
	crp__ips_cnum(&in, "value", value);
	if (said)
		crp__ips_members(&in, said, skip, 1);
	else if (desc && desc[0])
		crp__ips_cstr(&in, "description", desc);
	ao_ch(w->o, '}');
}

/* Numbered registers as an array ("x" on arm64, "r" on arm); a missing one is {}. */
static void reg_array(iw *in, const char *key, const crp_thread *t, const char *const *names, size_t n)
{
	const crp_value *st = crp_extras_get(&t->extras, "threadState");
	crp__ips_ckey(in, key);
	ao_ch(in->o, '[');
	for (size_t i = 0; i < n; i++) {
		const crp_register *r = reg(&t->registers.basic, names[i]);
		if (i)
			ao_ch(in->o, ',');
		if (!r)
			AO_LIT(in->o, "{}");
		else
			reg_object(in, crp_value_get(st, names[i]), r->value, NULL);
	}
	ao_ch(in->o, ']');
}

static bool in_list(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* KSCrash's register names back to Apple's, and what Apple says of a few. */
static const char *apple_reg(const char *name, const crp_thread *t, uint64_t v, char *desc, size_t cap)
{
	const crp_register *err = reg(&t->registers.exception, "err");
	desc[0] = '\0';
	if (strcmp(name, "esr") == 0)
		crp__apple_esr_text(v, desc, cap);
	if (strcmp(name, "faultvaddr") == 0)
		return "cr2";
	if (strcmp(name, "trapno") == 0) {
		if (v == 14 && err) { /* a page fault: Apple words the error code here */
			desc[0] = '(';
			size_t n = crp__apple_pagefault_text(err->value, desc + 1, cap - 2);
			memcpy(desc + 1 + n, ")", 2);
		}
		return "trap";
	}
	return name;
}

static void named_regs(iw *in, const crp_thread *t, const crp_regset *rs, const char *const *skip, size_t n)
{
	const crp_value *st = crp_extras_get(&t->extras, "threadState");
	char desc[72];
	for (size_t i = 0; i < rs->count; i++) {
		if (in_list(rs->regs[i].name, skip, n))
			continue;
		const char *name = apple_reg(rs->regs[i].name, t, rs->regs[i].value, desc, sizeof desc);
		crp__ips_ckey(in, name);
		reg_object(in, crp_value_get(st, name), rs->regs[i].value, desc);
	}
}

/* What the state said besides registers this model holds (flavor, rosetta, ...). */
static void state_rest(iw *in, const crp_thread *t)
{
	const crp_value *st = crp_extras_get(&t->extras, "threadState");
	for (size_t i = 0; st && st->type == CRP_VALUE_OBJECT && i < st->u.obj.count; i++) {
		const crp_member *m = &st->u.obj.members[i];
		bool is_reg = (m->key.len >= 2 && m->key.ptr[0] == 'x' && m->key.ptr[1] >= '0' && m->key.ptr[1] <= '9') ||
			      reg(&t->registers.basic, m->key.ptr) || reg(&t->registers.exception, m->key.ptr) ||
			      (strcmp(m->key.ptr, "cr2") == 0 && reg(&t->registers.exception, "faultvaddr")) ||
			      (strcmp(m->key.ptr, "trap") == 0 && reg(&t->registers.exception, "trapno"));
		if (is_reg || strcmp(m->key.ptr, "flavor") == 0)
			continue;
		crp__ips_ckey(in, m->key.ptr);
		crp__ips_value(in->o, &m->value);
	}
}

static void thread_state(iw *w, const crp_thread *t)
{
	static const char *const x[] = {"x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9",
					"x10", "x11", "x12", "x13", "x14", "x15", "x16", "x17", "x18", "x19",
					"x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28"};
	static const char *const r[] = {"r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9",
					"r10", "r11", "ip"};
	static const char *const flavors[] = {NULL, "ARM_THREAD_STATE", "ARM_THREAD_STATE64",
					      "x86_THREAD_STATE32", "x86_THREAD_STATE"};
	bool arm64 = w->f.cpu == APPLE_CPU_ARM64, arm = w->f.cpu == APPLE_CPU_ARM;
	iw in = *w;
	in.first = true;
	crp__ips_ckey(w, "threadState");
	ao_ch(w->o, '{');
	if (arm64 || arm)
		reg_array(&in, arm64 ? "x" : "r", t, arm64 ? x : r, arm64 ? CRP_ARRAY_LEN(x) : CRP_ARRAY_LEN(r));
	const crp_value *fl = crp_value_get(crp_extras_get(&t->extras, "threadState"), "flavor");
	if (fl) {
		crp__ips_ckey(&in, "flavor");
		crp__ips_value(w->o, fl);
	} else if (flavors[w->f.cpu]) {
		crp__ips_cstr(&in, "flavor", flavors[w->f.cpu]);
	}
	named_regs(&in, t, &t->registers.basic, arm64 ? x : arm ? r : NULL, arm64 ? CRP_ARRAY_LEN(x) : arm ? CRP_ARRAY_LEN(r) : 0);
	named_regs(&in, t, &t->registers.exception, NULL, 0);
	state_rest(&in, t);
	ao_ch(w->o, '}');
}

/* -- threads ------------------------------------------------------------------------------ */

static const char *const thread_keys[] = {"id", "instructionState", "threadState", "triggered", "name",
					  "queue", "frames"};

static void thread_object(iw *w, const crp_thread *t, size_t pos)
{
	iw in = *w;
	in.first = true;
	ao_ch(w->o, '{');
	if (t == w->f.crashed)
		crp__ips_cstr_raw(w->o, "\"triggered\":true"), in.first = false;
	const crp_value *id = crp_extras_get(&t->extras, "id"), *is = crp_extras_get(&t->extras, "instructionState");
	crp__ips_ckey(&in, "id");
	if (id)
		crp__ips_value(w->o, id);
	else
		crp__ao_dec(w->o, CRP_HAS(t, CRP_THREAD_INDEX) ? t->index : pos);
	if (is) {
		crp__ips_ckey(&in, "instructionState");
		crp__ips_value(w->o, is);
	}
	if (t == w->f.crashed && CRP_HAS(t, CRP_THREAD_REGISTERS) && t->registers.basic.count)
		thread_state(&in, t);
	if (CRP_HAS(t, CRP_THREAD_NAME))
		crp__ips_cstr(&in, "name", t->name);
	if (CRP_HAS(t, CRP_THREAD_DISPATCH_QUEUE))
		crp__ips_cstr(&in, "queue", t->dispatch_queue);
	crp__ips_ckey(&in, "frames");
	static const crp_backtrace none;
	frames(&in, CRP_HAS(t, CRP_THREAD_BACKTRACE) ? &t->backtrace : &none);
	if (w->f.x)
		crp__ips_members(&in, &(crp_value){.type = CRP_VALUE_OBJECT, .u.obj = {t->extras.members, t->extras.count}},
				 thread_keys, CRP_ARRAY_LEN(thread_keys));
	ao_ch(w->o, '}');
}

void crp__ips_faulting(iw *w, const char *key)
{
	const crp_value *x = crp__apple_x(&w->f, "faultingThread");
	if (!x && !w->f.crashed)
		return;
	crp__ips_bkey(w, key);
	if (x)
		crp__ips_value(w->o, x);
	else /* a crashed thread the list lacks is written after it (crp__ips_threads) */
		crp__ao_dec(w->o, w->f.crashed_pos != SIZE_MAX ? w->f.crashed_pos : w->f.crash->thread_count);
}

/* Every thread; a report without one gets an empty thread with id 0, which lldb's parser needs
 * (it indexes the thread list) and the .ips reader leaves out again (issue 14.3). */
void crp__ips_threads(iw *w, const char *key)
{
	const crp_crash *c = w->f.crash;
	crp__ips_bkey(w, key);
	ao_ch(w->o, '[');
	for (size_t i = 0; i < c->thread_count; i++) {
		if (i)
			ao_ch(w->o, ',');
		thread_object(w, &c->threads[i], i);
	}
	if (w->f.crashed && w->f.crashed_pos == SIZE_MAX) { /* e.g. a .crash without its block */
		if (c->thread_count)
			ao_ch(w->o, ',');
		thread_object(w, w->f.crashed, c->thread_count);
	} else if (!c->thread_count)
		AO_LIT(w->o, "{\"id\":0,\"frames\":[]}");
	ao_ch(w->o, ']');
}

void crp__ips_leb(iw *w, const char *key)
{
	const crp_crash *c = w->f.crash;
	const crp_backtrace *leb = CRP_HAS(c, CRP_CRASH_LAST_EXCEPTION_BACKTRACE) ? &c->last_exception_backtrace
				 : CRP_HAS(&w->f.err->nsexception, CRP_NSEXC_BACKTRACE) ? &w->f.err->nsexception.backtrace
											 : NULL;
	if (!leb || !leb->frame_count)
		return;
	crp__ips_bkey(w, key);
	frames(w, leb);
}

/* Ours: the crash handler's own thread in a recrash report. */
void crp__ips_recrash(iw *w, const char *key)
{
	const crp_thread *ht = w->handler ? crp_report_crashed_thread(w->handler, NULL) : NULL;
	if (!ht || !CRP_HAS(ht, CRP_THREAD_BACKTRACE))
		return;
	crp__ips_bkey(w, key);
	frames(w, &ht->backtrace);
}

/* -- images ------------------------------------------------------------------------------- */

/* The key is escaped: an .ips may give an image any key (one with a newline, say). */
static void image_member(ao *o, const char *key, size_t len)
{
	AO_LIT(o, ",\n    ");
	crp__ips_str(o, key, len);
	AO_LIT(o, " : ");
}

static bool key_is(const crp_span *k, const char *s)
{
	return strlen(s) == k->len && memcmp(s, k->ptr, k->len) == 0;
}

/* What an .ips said of the image besides what was typed (bundle keys, ...); a KSCrash
 * report's extras are not Apple's keys and stay out. */
static void image_extras(iw *w, const crp_image *im)
{
	for (size_t i = 0; w->f.x && i < im->extras.count; i++) {
		const crp_member *m = &im->extras.members[i];
		bool typed = (key_is(&m->key, "arch") && CRP_HAS(im, CRP_IMAGE_CPU_TYPE)) ||
			     (key_is(&m->key, "uuid") && CRP_HAS(im, CRP_IMAGE_UUID)) ||
			     (key_is(&m->key, "base") && CRP_HAS(im, CRP_IMAGE_ADDR)) ||
			     (key_is(&m->key, "size") && CRP_HAS(im, CRP_IMAGE_SIZE)) ||
			     (key_is(&m->key, "path") && CRP_HAS(im, CRP_IMAGE_NAME));
		if (typed || key_is(&m->key, "source") || key_is(&m->key, "name"))
			continue;
		image_member(w->o, m->key.ptr, m->key.len);
		crp__ips_value(w->o, &m->value);
	}
}

/* Every image carries a base and a uuid, 0 and 32 zeros when the report has none (lldb's
 * parser needs both, as the .crash writer's image lines show them; issue 14.3). */
static void used_image(iw *w, const crp_image *im)
{
	static const crp_uuid nil;
	ao *o = w->o;
	const crp_value *src = w->f.x ? crp_extras_get(&im->extras, "source") : NULL;
	const crp_value *name = w->f.x ? crp_extras_get(&im->extras, "name") : NULL;
	AO_LIT(o, "  {\n    \"source\" : ");
	if (src)
		crp__ips_value(o, src);
	else
		AO_LIT(o, "\"P\"");
	const char *arch = CRP_HAS(im, CRP_IMAGE_CPU_TYPE)
				   ? crp_arch_name(im->cpu_type, CRP_HAS(im, CRP_IMAGE_CPU_SUBTYPE) ? im->cpu_subtype : 0)
				   : NULL;
	if (arch) {
		image_member(o, "arch", 4);
		crp__ips_cstr_raw(o, "\"");
		ao_str(o, arch);
		ao_ch(o, '"');
	}
	if (CRP_HAS(im, CRP_IMAGE_ADDR) || !w->f.x || !crp_extras_get(&im->extras, "base")) {
		image_member(o, "base", 4); /* 0 when unknown, as the .crash writes it: lldb needs one */
		crp__ao_dec(o, CRP_HAS(im, CRP_IMAGE_ADDR) ? im->image_addr : 0);
	}
	if (CRP_HAS(im, CRP_IMAGE_SIZE)) {
		image_member(o, "size", 4);
		crp__ao_dec(o, im->image_size);
	}
	if (CRP_HAS(im, CRP_IMAGE_UUID) || !w->f.x || !crp_extras_get(&im->extras, "uuid")) {
		image_member(o, "uuid", 4);
		ao_ch(o, '"');
		crp__ao_uuid(o, CRP_HAS(im, CRP_IMAGE_UUID) ? &im->uuid : &nil, false, true);
		ao_ch(o, '"');
	}
	if (CRP_HAS(im, CRP_IMAGE_NAME)) {
		image_member(o, "path", 4);
		crp__ips_str(o, im->name, strlen(im->name));
	}
	if (name || CRP_HAS(im, CRP_IMAGE_NAME)) {
		image_member(o, "name", 4);
		if (name)
			crp__ips_value(o, name);
		else
			crp__ips_str(o, crp__apple_basename(im->name), strlen(crp__apple_basename(im->name)));
	}
	image_extras(w, im);
	AO_LIT(o, "\n  }");
}

void crp__ips_images(iw *w, const char *key)
{
	ao *o = w->o;
	crp__ips_bkey(w, key);
	AO_LIT(o, "[\n");
	for (size_t i = 0; i < w->f.image_count; i++) {
		if (i)
			AO_LIT(o, ",\n");
		used_image(w, &w->f.images[i]);
	}
	if (w->st->any_unknown) { /* frames outside every image point here, at their absolute address */
		if (w->f.image_count)
			AO_LIT(o, ",\n");
		AO_LIT(o, "  {\n    \"source\" : \"A\",\n    \"base\" : 0,\n    \"size\" : 0,\n"
			  "    \"uuid\" : \"00000000-0000-0000-0000-000000000000\"\n  }");
	}
	AO_LIT(o, "\n]");
}
