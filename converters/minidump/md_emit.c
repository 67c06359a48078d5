/* Minidump writer (Breakpad / Crashpad / rust-minidump / Sentry): one report per file.
 * The plan (md_stack.c, md_modules.c, md_crash.c, md_annot.c) decides every stream's
 * content; then the file is produced twice by the same code (md_write.c): a layout pass
 * that fixes every RVA, and the sequential write. Options: stack=hybrid|real. */
#include "common/convert.h"
#include "md_write.h"

typedef struct md_state {
	md_stack_mode mode;
	bool written;
} md_state;

/* -- streams ------------------------------------------------------------------------------ */

typedef struct stream {
	uint32_t type;
	int (*write)(mdw *w, md_plan *p);
	uint32_t rva, size;
} stream;

static int s_system(mdw *w, md_plan *p)
{
	md_system_info si;
	memset(&si, 0, sizeof si);
	md_put16(si.processor_architecture, p->arch ? p->arch->cpu : MD_CPU_UNKNOWN);
	md_put32(si.major_version, p->os_version[0]);
	md_put32(si.minor_version, p->os_version[1]);
	md_put32(si.build_number, p->os_version[2]);
	md_put32(si.platform_id, p->platform);
	md_put32(si.csd_version_rva, p->csd_rva);
	return crp__mdw_bytes(w, &si, sizeof si);
}

static int s_misc(mdw *w, md_plan *p)
{
	md_misc_info mi;
	memset(&mi, 0, sizeof mi);
	md_put32(mi.size_of_info, sizeof mi);
	md_put32(mi.flags1, p->misc_flags);
	md_put32(mi.process_id, p->pid);
	md_put32(mi.process_create_time, p->create_time);
	return crp__mdw_bytes(w, &mi, sizeof mi);
}

static int s_breakpad(mdw *w, md_plan *p)
{
	md_breakpad_info bi;
	memset(&bi, 0, sizeof bi);
	md_put32(bi.validity, MD_BREAKPAD_INFO_REQUESTING_THREAD_VALID);
	md_put32(bi.requesting_thread_id, p->threads[p->crashed].tid);
	return crp__mdw_bytes(w, &bi, sizeof bi);
}

static void location(md_location *l, uint32_t size, uint32_t rva)
{
	md_put32(l->data_size, size);
	md_put32(l->rva, size ? rva : 0);
}

static int s_threads(mdw *w, md_plan *p)
{
	CRP_TRY(crp__mdw_u32(w, (uint32_t)p->nthreads));
	for (size_t i = 0; i < p->nthreads; i++) {
		const md_thread_plan *tp = &p->threads[i];
		md_thread t;
		memset(&t, 0, sizeof t);
		md_put32(t.thread_id, tp->tid);
		md_put64(t.stack.start, tp->mem_size ? tp->mem_start : tp->walk.v[p->arch->sp]);
		location(&t.stack.memory, tp->mem_size, tp->mem_rva);
		location(&t.thread_context, p->arch->context_size, tp->ctx_rva);
		CRP_TRY(crp__mdw_bytes(w, &t, sizeof t));
	}
	return CRP_OK;
}

static int s_thread_names(mdw *w, md_plan *p)
{
	uint32_t n = 0;
	for (size_t i = 0; i < p->nthreads; i++)
		n += p->threads[i].name != NULL;
	CRP_TRY(crp__mdw_u32(w, n));
	for (size_t i = 0; i < p->nthreads; i++) {
		if (!p->threads[i].name)
			continue;
		md_thread_name tn;
		md_put32(tn.thread_id, p->threads[i].tid);
		md_put64(tn.thread_name_rva, p->threads[i].name_rva);
		CRP_TRY(crp__mdw_bytes(w, &tn, sizeof tn));
	}
	return CRP_OK;
}

/* Crashpad's form of a Mach-O version X.Y.Z: X<<16|Y, Z<<16 ("X.Y.Z.0"). */
static void version_info(md_version_info *v, const crp_image *img)
{
	uint64_t x = CRP_HAS(img, CRP_IMAGE_MAJOR_VERSION) ? img->major_version : 0;
	uint64_t y = CRP_HAS(img, CRP_IMAGE_MINOR_VERSION) ? img->minor_version : 0;
	uint64_t z = CRP_HAS(img, CRP_IMAGE_REVISION_VERSION) ? img->revision_version : 0;
	if (!x && !y && !z)
		return;
	uint32_t hi = (uint32_t)(x & 0xFFFF) << 16 | (uint32_t)(y & 0xFFFF);
	uint32_t lo = (uint32_t)(z & 0xFFFF) << 16;
	md_put32(v->signature, MD_VSFIXEDFILEINFO_SIGNATURE);
	md_put32(v->struct_version, MD_VSFIXEDFILEINFO_VERSION);
	md_put32(v->file_version_hi, hi);
	md_put32(v->file_version_lo, lo);
	md_put32(v->product_version_hi, hi);
	md_put32(v->product_version_lo, lo);
}

static int s_modules(mdw *w, md_plan *p)
{
	CRP_TRY(crp__mdw_u32(w, (uint32_t)p->nmodules));
	for (size_t i = 0; i < p->nmodules; i++) {
		const md_module_plan *m = &p->modules[i];
		md_module mo;
		memset(&mo, 0, sizeof mo);
		md_put64(mo.base_of_image, m->base);
		md_put32(mo.size_of_image, m->size);
		md_put32(mo.module_name_rva, m->name_rva);
		version_info(&mo.version_info, m->img);
		if (m->has_cv)
			location(&mo.cv_record, m->cv_size, m->cv_rva);
		CRP_TRY(crp__mdw_bytes(w, &mo, sizeof mo));
	}
	return CRP_OK;
}

/* An id no thread has: without a crashed thread the exception must not name one (LLDB would
 * take its empty context for that thread's registers). */
static uint32_t unused_tid(const md_plan *p)
{
	uint32_t max = 0;
	for (size_t i = 0; i < p->nthreads; i++)
		max = p->threads[i].tid > max ? p->threads[i].tid : max;
	if (!p->nthreads || max < UINT32_MAX)
		return p->nthreads ? max + 1 : 0;
	for (uint32_t id = 0;; id++) { /* ids are at most 4096, so one below 4097 is free */
		size_t i = 0;
		while (i < p->nthreads && p->threads[i].tid != id)
			i++;
		if (i == p->nthreads)
			return id;
	}
}

static int s_exception(mdw *w, md_plan *p)
{
	md_exception_stream e;
	memset(&e, 0, sizeof e);
	md_put32(e.exception_code, p->crash.code);
	md_put32(e.exception_flags, p->crash.flags);
	md_put64(e.exception_address, p->crash.address);
	md_put32(e.number_parameters, 3);
	for (size_t i = 0; i < 3; i++)
		md_put64(e.exception_information[i], p->crash.info[i]);
	if (p->crashed != SIZE_MAX) {
		const md_thread_plan *tp = &p->threads[p->crashed];
		md_put32(e.thread_id, tp->tid);
		location(&e.thread_context, p->arch->context_size,
			 tp->walk_differs ? tp->walk_rva : tp->ctx_rva);
	} else {
		md_put32(e.thread_id, unused_tid(p));
	}
	return crp__mdw_bytes(w, &e, sizeof e);
}

static int s_memory(mdw *w, md_plan *p)
{
	CRP_TRY(crp__mdw_u32(w, (uint32_t)p->nregions));
	for (size_t i = 0; i < p->nthreads; i++) {
		const md_thread_plan *tp = &p->threads[i];
		if (!tp->mem_size)
			continue;
		md_memory_descriptor d;
		md_put64(d.start, tp->mem_start);
		location(&d.memory, tp->mem_size, tp->mem_rva);
		CRP_TRY(crp__mdw_bytes(w, &d, sizeof d));
	}
	return CRP_OK;
}

static int memory_info(mdw *w, uint64_t start, uint64_t size, uint32_t protect, uint32_t type)
{
	md_memory_info mi;
	memset(&mi, 0, sizeof mi);
	md_put64(mi.base_address, start);
	md_put64(mi.allocation_base, start);
	md_put32(mi.allocation_protection, protect);
	md_put64(mi.region_size, size);
	md_put32(mi.state, MD_MEMORY_STATE_COMMIT);
	md_put32(mi.protection, protect);
	md_put32(mi.type, type);
	return crp__mdw_bytes(w, &mi, sizeof mi);
}

/* The stacks, then the code regions LLDB needs to walk as Breakpad does (md_code.c). */
static int s_memory_info(mdw *w, md_plan *p)
{
	md_memory_info_list h;
	md_put32(h.size_of_header, sizeof h);
	md_put32(h.size_of_entry, sizeof(md_memory_info));
	md_put64(h.number_of_entries, p->nregions + p->ncode);
	CRP_TRY(crp__mdw_bytes(w, &h, sizeof h));
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].mem_size)
			CRP_TRY(memory_info(w, p->threads[i].mem_start, p->threads[i].mem_size,
					    MD_MEMORY_PROTECT_READWRITE, MD_MEMORY_TYPE_PRIVATE));
	for (size_t i = 0; i < p->ncode; i++)
		CRP_TRY(memory_info(w, p->code[i].lo, p->code[i].hi - p->code[i].lo,
				    MD_MEMORY_PROTECT_EXECUTE_READ, MD_MEMORY_TYPE_IMAGE));
	return CRP_OK;
}

static int s_crashpad(mdw *w, md_plan *p)
{
	md_crashpad_info ci;
	memset(&ci, 0, sizeof ci);
	md_put32(ci.version, 1);
	memcpy(ci.report_id, p->report_id, sizeof ci.report_id);
	location(&ci.simple_annotations, p->nsimple ? 4 + 8 * (uint32_t)p->nsimple : 0,
		 p->simple_rva);
	location(&ci.module_list, p->nmodinfo ? 4 + 12 * (uint32_t)p->nmodinfo : 0, p->links_rva);
	return crp__mdw_bytes(w, &ci, sizeof ci);
}

/* -- data after the streams --------------------------------------------------------------- */

static int w_context(mdw *w, const md_plan *p, const md_regs *regs, uint32_t *rva)
{
	uint8_t buf[sizeof(md_context_amd64)];
	CRP_TRY(crp__mdw_place(w, 8, rva));
	if (!w->write)
		return crp__mdw_zeros(w, p->arch->context_size);
	crp__md_context(p->arch, regs, buf);
	return crp__mdw_bytes(w, buf, p->arch->context_size);
}

/* The real window (with its one redirected slot), padding, then the frame records. */
static int w_region(mdw *w, const md_plan *p, md_thread_plan *tp)
{
	unsigned W = p->arch->word;
	uint64_t syn = tp->mem_start + tp->syn_off;
	CRP_TRY(crp__mdw_place(w, 16, &tp->mem_rva));
	if (tp->syn & MD_SYN_PATCHED) {
		size_t off = (size_t)(tp->patch_addr - tp->mem_start);
		CRP_TRY(crp__mdw_bytes(w, tp->real_bytes, off));
		CRP_TRY(crp__mdw_word(w, W, syn));
		CRP_TRY(crp__mdw_bytes(w, tp->real_bytes + off + W, tp->real_len - off - W));
	} else {
		CRP_TRY(crp__mdw_bytes(w, tp->real_bytes, tp->real_len));
	}
	if (!(tp->syn & MD_SYN_RECORDS))
		return CRP_OK;
	CRP_TRY(crp__mdw_zeros(w, tp->syn_off - tp->real_len));
	for (uint32_t i = 0; i <= tp->syn_count; i++) {
		uint64_t ret = i < tp->syn_count
				       ? crp__md_frame_addr(p->arch, tp->t, tp->syn_first + i)
				       : 0;
		CRP_TRY(crp__mdw_word(w, W, syn + (uint64_t)(i + 1) * 2 * W));
		CRP_TRY(crp__mdw_word(w, W, ret));
	}
	return crp__mdw_zeros(w, 2 * W);
}

static void guid_of(const crp_uuid *u, uint8_t g[16])
{
	static const uint8_t order[16] = {3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
	for (size_t i = 0; i < 16; i++)
		g[i] = u->bytes[order[i]];
}

static int w_cv(mdw *w, md_module_plan *m)
{
	size_t base_len = m->path_len - (size_t)(m->basename - m->path);
	size_t len = crp__md_utf8_cut(m->basename, base_len, MD_MAX_UTF8_STRING);
	md_cv_pdb70 cv;
	CRP_TRY(crp__mdw_place(w, 4, &m->cv_rva));
	m->cv_size = (uint32_t)(sizeof cv + len + 1);
	if (!w->write) /* the layout pass only needs the size */
		return crp__mdw_count(w, m->cv_size);
	memset(&cv, 0, sizeof cv);
	md_put32(cv.cv_signature, MD_CVINFOPDB70_SIGNATURE);
	guid_of(&m->img->uuid, cv.guid);
	CRP_TRY(crp__mdw_bytes(w, &cv, sizeof cv));
	CRP_TRY(crp__mdw_bytes(w, m->basename, len));
	return crp__mdw_bytes(w, "", 1);
}

static int w_strings(mdw *w, md_kv *kv, size_t n, bool keys)
{
	for (size_t i = 0; i < n; i++) {
		if (keys)
			CRP_TRY(crp__mdw_utf8(w, kv[i].key, strlen(kv[i].key), &kv[i].key_rva));
		CRP_TRY(crp__mdw_utf8(w, kv[i].value, kv[i].value_len, &kv[i].value_rva));
	}
	return CRP_OK;
}

static int w_module_info(mdw *w, md_plan *p, struct md_modinfo *mi)
{
	md_module_crashpad_info info;
	memset(&info, 0, sizeof info);
	md_put32(info.version, 1);
	location(&info.list_annotations, mi->nlist ? 4 + 4 * (uint32_t)mi->nlist : 0, mi->lists_rva);
	location(&info.annotation_objects, mi->nobject ? 4 + 12 * (uint32_t)mi->nobject : 0,
		 mi->objects_rva);
	CRP_TRY(crp__mdw_place(w, 4, &mi->rva));
	CRP_TRY(crp__mdw_bytes(w, &info, sizeof info));
	/* no pointer arithmetic on the NULL arrays of a report without annotations */
	md_kv *lists = mi->nlist ? p->lists + mi->list_first : NULL;
	md_kv *objs = mi->nobject ? p->objects + mi->object_first : NULL;
	if (mi->nlist) {
		CRP_TRY(crp__mdw_place(w, 4, &mi->lists_rva));
		CRP_TRY(crp__mdw_u32(w, (uint32_t)mi->nlist));
		for (size_t i = 0; i < mi->nlist; i++)
			CRP_TRY(crp__mdw_u32(w, lists[i].value_rva));
		CRP_TRY(w_strings(w, lists, mi->nlist, false));
	}
	if (mi->nobject) {
		CRP_TRY(crp__mdw_place(w, 4, &mi->objects_rva));
		CRP_TRY(crp__mdw_u32(w, (uint32_t)mi->nobject));
		for (size_t i = 0; i < mi->nobject; i++) {
			md_crashpad_annotation a;
			memset(&a, 0, sizeof a);
			md_put32(a.name, objs[i].key_rva);
			md_put16(a.type, MD_CRASHPAD_ANNOTATION_STRING);
			md_put32(a.value, objs[i].value_rva);
			CRP_TRY(crp__mdw_bytes(w, &a, sizeof a));
		}
		for (size_t i = 0; i < mi->nobject; i++) {
			CRP_TRY(crp__mdw_utf8(w, objs[i].key, strlen(objs[i].key), &objs[i].key_rva));
			CRP_TRY(crp__mdw_blob(w, objs[i].value, objs[i].value_len, &objs[i].value_rva));
		}
	}
	return CRP_OK;
}

static int w_annotations(mdw *w, md_plan *p)
{
	if (p->nsimple) {
		CRP_TRY(crp__mdw_place(w, 4, &p->simple_rva));
		CRP_TRY(crp__mdw_u32(w, (uint32_t)p->nsimple));
		for (size_t i = 0; i < p->nsimple; i++) {
			md_string_entry e;
			md_put32(e.key, p->simple[i].key_rva);
			md_put32(e.value, p->simple[i].value_rva);
			CRP_TRY(crp__mdw_bytes(w, &e, sizeof e));
		}
		CRP_TRY(w_strings(w, p->simple, p->nsimple, true));
	}
	if (!p->nmodinfo)
		return CRP_OK;
	CRP_TRY(crp__mdw_place(w, 4, &p->links_rva));
	CRP_TRY(crp__mdw_u32(w, (uint32_t)p->nmodinfo));
	for (size_t i = 0; i < p->nmodinfo; i++) {
		md_module_crashpad_link l;
		md_put32(l.minidump_module_list_index, (uint32_t)p->modinfo[i].module);
		location(&l.location, sizeof(md_module_crashpad_info), p->modinfo[i].rva);
		CRP_TRY(crp__mdw_bytes(w, &l, sizeof l));
	}
	for (size_t i = 0; i < p->nmodinfo; i++)
		CRP_TRY(w_module_info(w, p, &p->modinfo[i]));
	return CRP_OK;
}

static int w_data(mdw *w, md_plan *p)
{
	CRP_TRY(crp__mdw_mdstring(w, p->os_build, strlen(p->os_build), &p->csd_rva, NULL));
	for (size_t i = 0; i < p->nthreads; i++) {
		md_thread_plan *tp = &p->threads[i];
		bool crashed = i == p->crashed;
		CRP_TRY(w_context(w, p, crashed ? &tp->real : &tp->walk, &tp->ctx_rva));
		if (crashed && tp->walk_differs)
			CRP_TRY(w_context(w, p, &tp->walk, &tp->walk_rva));
	}
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].mem_size)
			CRP_TRY(w_region(w, p, &p->threads[i]));
	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].name)
			CRP_TRY(crp__mdw_mdstring(w, p->threads[i].name, strlen(p->threads[i].name),
						  &p->threads[i].name_rva, NULL));
	for (size_t i = 0; i < p->nmodules; i++) {
		md_module_plan *m = &p->modules[i];
		CRP_TRY(crp__mdw_mdstring(w, m->path, m->path_len, &m->name_rva, &m->path_measure));
		if (m->has_cv)
			CRP_TRY(w_cv(w, m));
	}
	return w_annotations(w, p);
}

/* -- the file ----------------------------------------------------------------------------- */

static size_t list_streams(md_plan *p, stream *s)
{
	size_t n = 0;
	bool names = false;
	for (size_t i = 0; i < p->nthreads; i++)
		names |= p->threads[i].name != NULL;
	s[n++] = (stream){MD_THREAD_LIST_STREAM, s_threads, 0, 0};
	if (names)
		s[n++] = (stream){MD_THREAD_NAME_LIST_STREAM, s_thread_names, 0, 0};
	s[n++] = (stream){MD_MODULE_LIST_STREAM, s_modules, 0, 0};
	s[n++] = (stream){MD_MEMORY_LIST_STREAM, s_memory, 0, 0};
	if (p->crash.present)
		s[n++] = (stream){MD_EXCEPTION_STREAM, s_exception, 0, 0};
	s[n++] = (stream){MD_SYSTEM_INFO_STREAM, s_system, 0, 0};
	/* always, flags 0 when nothing is known: Breakpad's minidump_dump fails a dump without it */
	s[n++] = (stream){MD_MISC_INFO_STREAM, s_misc, 0, 0};
	if (p->crashed != SIZE_MAX)
		s[n++] = (stream){MD_BREAKPAD_INFO_STREAM, s_breakpad, 0, 0};
	s[n++] = (stream){MD_CRASHPAD_INFO_STREAM, s_crashpad, 0, 0};
	s[n++] = (stream){MD_MEMORY_INFO_LIST_STREAM, s_memory_info, 0, 0};
	return n;
}

#define MAX_STREAMS 10

static int write_file(mdw *w, md_plan *p, stream *s, size_t n)
{
	md_header h;
	md_put32(h.signature, MD_SIGNATURE);
	md_put32(h.version, MD_VERSION);
	md_put32(h.stream_count, (uint32_t)n);
	md_put32(h.stream_directory_rva, sizeof h);
	md_put32(h.checksum, 0);
	md_put32(h.time_date_stamp, p->time_stamp);
	md_put64(h.flags, 0);
	CRP_TRY(crp__mdw_bytes(w, &h, sizeof h));
	for (size_t i = 0; i < n; i++) {
		md_directory d;
		md_put32(d.stream_type, s[i].type);
		location(&d.location, s[i].size, s[i].rva);
		CRP_TRY(crp__mdw_bytes(w, &d, sizeof d));
	}
	for (size_t i = 0; i < n; i++) {
		CRP_TRY(crp__mdw_place(w, 8, &s[i].rva));
		CRP_TRY(s[i].write(w, p));
		s[i].size = (uint32_t)(w->pos - s[i].rva);
	}
	return w_data(w, p);
}

/* The layout pass, then the write pass through its gathering buffer. */
static int write_passes(crp_emit_ctx *c, md_plan *p, stream *s, size_t n)
{
	uint8_t buf[MDW_CAP];
	mdw layout = {c, false, 0, NULL, 0}, out = {c, true, 0, buf, 0};
	CRP_TRY(write_file(&layout, p, s, n));
	CRP_TRY(write_file(&out, p, s, n));
	return crp__mdw_flush(&out);
}

/* A recrash file: the original report, with the handler's parts where it has none. */
static bool tells_the_crash(const crp_report *r)
{
	return crp__md_error_known(r) || crp_report_crashed_thread(r, NULL) != NULL;
}

static void choose_sources(md_plan *p, const crp_report *r)
{
	const crp_report *orig = crp_report_recrash(r), *h = orig ? r : NULL;
	size_t n;
	p->r = orig ? orig : r;
	p->handler = h;
	crp_report_images(p->r, &n);
	p->info_r = !h || (crp_report_sections(p->r) & CRP_SECTION_REPORT) ? p->r : h;
	p->sys_r = !h || (crp_report_sections(p->r) & CRP_SECTION_SYSTEM) ? p->r : h;
	p->img_r = !h || n ? p->r : h;
	p->err_r = !h || tells_the_crash(p->r) ? p->r : h;
}

static int plan(md_plan *p)
{
	const crp_info *info = crp_report_info(p->info_r);
	crp_uuid id;
	CRP_TRY(crp__md_plan_system(p));
	CRP_TRY(crp__md_plan_modules(p));
	CRP_TRY(crp__md_plan_threads(p));
	for (size_t i = 0; i < p->nthreads; i++)
		p->nregions += p->threads[i].mem_size != 0;
	CRP_TRY(crp__md_plan_code(p));
	if (p->crashed != SIZE_MAX || crp__md_error_known(p->err_r)) {
		uint64_t pc = p->crashed != SIZE_MAX ? p->threads[p->crashed].walk.v[p->arch->pc] : 0;
		crp__md_crash_map(p->err_r, p->arch, pc, &p->crash);
	}
	if (CRP_HAS(info, CRP_INFO_ID) && info->id &&
	    crp__parse_uuid(info->id, strlen(info->id), &id) == 0)
		guid_of(&id, p->report_id);
	return crp__md_plan_annotations(p);
}

static int md_write_report(crp_emit_ctx *c, void *state, const crp_report *r)
{
	md_state *st = state;
	if (st->written)
		return crp_emit_fail(c, CRP_EUNSUPPORTED,
				     "minidump: a minidump holds one report and the input has more");
	st->written = true;
	md_plan p;
	memset(&p, 0, sizeof p);
	p.c = c;
	choose_sources(&p, r);
	p.mode = st->mode;
	p.crashed = p.handler_thread = SIZE_MAX;
	stream s[MAX_STREAMS];
	int rc = plan(&p);
	if (rc == CRP_OK) {
		size_t n = list_streams(&p, s);
		rc = write_passes(c, &p, s, n);
	}
	crp__md_plan_free(&p);
	return rc;
}

static int md_set_param(crp_emit_ctx *c, void *state, const char *key, const char *value)
{
	md_state *st = state;
	CRP_UNUSED(c);
	if (strcmp(key, "stack") != 0)
		return CRP_EUNSUPPORTED;
	if (strcmp(value, "hybrid") == 0)
		st->mode = MD_STACK_HYBRID;
	else if (strcmp(value, "real") == 0)
		st->mode = MD_STACK_REAL;
	else
		return CRP_EUNSUPPORTED;
	return CRP_OK;
}

const crp_emitter crp__emitter_minidump = {
	CRP_EMITTER_VERSION, "minidump", ".dmp",
	"Minidump for Breakpad, Crashpad tools and Sentry (option: stack=hybrid|real)",
	CRP_EMITTER_BINARY, sizeof(md_state), md_set_param, NULL, md_write_report, NULL, NULL,
};
