/* .crash text, line by line, into the model: the header's "Key: value" lines, the exception
 * block, text blocks (Application Specific Information, Kernel Triage, VM Region Info, ...),
 * threads and their frames, the crashed thread's registers, the instruction stream and the
 * binary images. Every layout Apple, PLCrashReporter and KSCrash wrote is read the same way:
 * iOS Report Version 104 (legacy and translated from .ips), macOS 12 and older, and the
 * "Translated Report (Full Report Below)" form, whose full report (an .ips) is what is read.
 *
 * Header facts the model has no field for are kept under Apple's own .ips names in the "apple"
 * extras (apple-format.md section 12 read backwards), so a .crash and an .ips of one report
 * read into the same thing; lines with no .ips name stay as written. */
#include <stdio.h>

#include "apple.h"
#include "apple_read.h"

static bool starts(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	return len >= n && memcmp(s, lit, n) == 0;
}

static bool equals(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

static size_t trim(const char *s, size_t *len)
{
	size_t i = 0;
	while (i < *len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (*len > i && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	*len -= i;
	return i;
}

static int header_line(ar_reader *rd, const char *s, size_t len);

/* -- lists of the "apple" extras ---------------------------------------------------------- */

static int add_str(ar_reader *rd, ar_list *l, const char *key, const char *s, size_t n)
{
	return crp__ar_add_str(rd, l, key, s, n);
}

static int add_copy(ar_reader *rd, ar_list *l, const char *key, size_t klen, const char *s, size_t n)
{
	crp_value v;
	const char *k = crp__ar_text(rd, key, klen);
	if (!k)
		return rd->err.code;
	CRP_TRY(crp__ar_value_str(rd, s, n, &v));
	return crp__ar_add(rd, l, (crp_span){k, klen}, &v);
}

static int add_bool(ar_reader *rd, ar_list *l, const char *key)
{
	crp_value v = {.type = CRP_VALUE_BOOL};
	v.u.boolean = true;
	return crp__ar_add(rd, l, (crp_span){key, strlen(key)}, &v);
}

static int cut_short(ar_reader *rd);
static int open_block(ar_reader *rd, uint8_t kind, const char *first, size_t n);

/* A line that says nothing the reader understands: kept as written, with a warning. The last
 * line of a cut-off input is not kept: it was cut. */
static int unparsed(ar_reader *rd, const char *s, size_t len)
{
	crp_value v;
	if (rd->t.last_line)
		return cut_short(rd);
	CRP_TRY(crp__ar_warn(rd, CRP_W_VALUE, "line not understood; kept as text"));
	CRP_TRY(crp__ar_value_str(rd, s, len, &v));
	return crp__ar_add(rd, &rd->t.unparsed, (crp_span){NULL, 0}, &v);
}

/* -- the path of what is being read ------------------------------------------------------- */

size_t crp__ar_text_path(const ar_reader *rd, char *out, size_t cap)
{
	const ar_text *t = &rd->t;
	int n = 0;
	if (t->section == AT_THREAD && t->thread)
		n = snprintf(out, cap, "threads[%zu].frames[%zu]", t->thread_count - 1, t->frame_no);
	else if (t->section == AT_THREAD)
		n = snprintf(out, cap, "lastExceptionBacktrace[%zu]", t->frame_no);
	else if (t->section == AT_IMAGES)
		n = snprintf(out, cap, "usedImages[%zu]", t->image_count);
	else if (t->section == AT_STATE)
		n = snprintf(out, cap, "threads[%llu].threadState", (unsigned long long)t->state_thread);
	return n > 0 ? (size_t)n : 0;
}

/* -- threads and frames ------------------------------------------------------------------- */

static int end_frames(ar_reader *rd)
{
	ar_text *t = &rd->t;
	crp_crash *c = &rd->report->body.crash;
	size_t n;
	if (!t->in_frames)
		return CRP_OK;
	t->in_frames = false;
	crp_frame *f = crp__ar_take(rd, t->frame_mark, sizeof(crp_frame), &n);
	if (n && !f)
		return rd->err.code;
	t->bt->frames = f;
	t->bt->frame_count = n;
	t->bt->has |= CRP_BACKTRACE_CONTENTS;
	if (t->bt == &c->last_exception_backtrace) {
		c->has |= CRP_CRASH_LAST_EXCEPTION_BACKTRACE;
		return CRP_OK;
	}
	t->thread->has |= CRP_THREAD_BACKTRACE;
	CRP_TRY(crp__ar_flatten(rd, &t->thread_extras, &t->thread->extras));
	t->thread = NULL;
	return CRP_OK;
}

static int close_threads(ar_reader *rd)
{
	ar_text *t = &rd->t;
	crp_crash *c = &rd->report->body.crash;
	size_t n;
	CRP_TRY(end_frames(rd));
	if (!t->in_threads)
		return CRP_OK;
	t->in_threads = false;
	crp_thread *th = crp__ar_take(rd, t->thread_mark, sizeof(crp_thread), &n);
	if (n && !th)
		return rd->err.code;
	c->threads = th;
	c->thread_count = n;
	c->has |= CRP_CRASH_THREADS;
	return CRP_OK;
}

static int open_frames(ar_reader *rd, crp_backtrace *bt)
{
	ar_text *t = &rd->t;
	t->frame_mark = crp__scratch_mark(&rd->scratch);
	t->in_frames = true;
	t->bt = bt;
	t->frame_no = 0;
	t->section = AT_THREAD;
	return CRP_OK;
}

/* "Dispatch queue: q", "NAME Dispatch queue: q" or "NAME". */
static int name_and_queue(ar_reader *rd, crp_thread *th, const char *s, size_t n)
{
	s += trim(s, &n);
	const char *q = NULL;
	size_t qn = 0;
	for (size_t i = 0; i + 16 <= n; i++)
		if (memcmp(s + i, "Dispatch queue: ", 16) == 0 && (i == 0 || s[i - 1] == ' ')) {
			q = s + i + 16;
			qn = n - i - 16;
			n = i ? i - 1 : 0;
			break;
		}
	if (n) {
		if (!(th->name = crp__ar_text(rd, s, n)))
			return rd->err.code;
		th->has |= CRP_THREAD_NAME;
	}
	if (q) {
		if (!(th->dispatch_queue = crp__ar_text(rd, q, qn)))
			return rd->err.code;
		th->has |= CRP_THREAD_DISPATCH_QUEUE;
	}
	return CRP_OK;
}

/* "Thread 0 Crashed:: Dispatch queue: q", "Thread 4:: name", "Thread 1 Crashed: name". */
static int thread_start(ar_reader *rd, uint64_t no, const char *line, size_t len, size_t at)
{
	ar_text *t = &rd->t;
	const char *rest = line + at;
	size_t n = len - at;
	bool crashed = starts(rest, n, " Crashed"), highlighted = starts(rest, n, " Highlighted");
	size_t i = crashed ? 8 : highlighted ? 12 : 0;
	if (i >= n || rest[i] != ':')
		return unparsed(rd, line, len);
	i += i + 1 < n && rest[i + 1] == ':' ? 2 : 1;
	CRP_TRY(end_frames(rd));
	if (!t->in_threads) {
		t->thread_mark = crp__scratch_mark(&rd->scratch);
		t->in_threads = true;
	}
	if (t->thread_count >= rd->opts.max_items)
		return crp__ar_fail(rd, CRP_ELIMIT, "more than %zu threads", rd->opts.max_items);
	crp_thread *th = crp__scratch_push(&rd->scratch, sizeof *th);
	if (!th)
		return crp__ar_oom(rd);
	t->thread = th;
	t->thread_count++;
	th->index = no;
	th->has |= CRP_THREAD_INDEX;
	if (crashed) {
		th->crashed = true;
		th->has |= CRP_THREAD_CRASHED;
	}
	if (highlighted)
		CRP_TRY(add_bool(rd, &t->thread_extras, "highlighted"));
	if (t->have_name && t->name_no == no)
		CRP_TRY(name_and_queue(rd, th, t->name_text, strlen(t->name_text)));
	t->have_name = false;
	CRP_TRY(name_and_queue(rd, th, rest + i, n - i));
	t->saw_body = true;
	t->known++;
	return open_frames(rd, &th->backtrace);
}

/* "Thread N name:", "Thread N crashed with ... Thread State", "Thread N instruction stream:",
 * or a thread's own header. */
static int thread_header(ar_reader *rd, const char *s, size_t len)
{
	ar_text *t = &rd->t;
	size_t i = 7;
	uint64_t no;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 7 || !crp__ar_dec(s + 7, i - 7, &no))
		return unparsed(rd, s, len);
	const char *rest = s + i;
	size_t n = len - i;
	if (starts(rest, n, " name:")) {
		if (!(t->name_text = crp__ar_text(rd, rest + 6, n - 6)))
			return rd->err.code;
		t->name_no = no;
		t->have_name = true;
		return CRP_OK;
	}
	if (starts(rest, n, " crashed with ")) {
		CRP_TRY(close_threads(rd));
		t->section = AT_STATE;
		t->state_thread = no;
		t->reg_count = 0;
		return CRP_OK;
	}
	if (starts(rest, n, " instruction stream:")) {
		t->instr_thread = no;
		return open_block(rd, BK_INSTR, NULL, 0);
	}
	return thread_start(rd, no, s, len, i);
}

/* The raw form of a last exception backtrace: "(0x1a2b 0x1a2c ...)". */
static int raw_backtrace(ar_reader *rd, const char *s, size_t len)
{
	for (size_t i = 1; i < len;) {
		while (i < len && (s[i] == ' ' || s[i] == ')'))
			i++;
		size_t j = i;
		while (j < len && s[j] != ' ' && s[j] != ')')
			j++;
		uint64_t a;
		if (j > i + 2 && s[i] == '0' && s[i + 1] == 'x' && crp__ar_hex(s + i + 2, j - i - 2, &a)) {
			crp_frame *f = crp__scratch_push(&rd->scratch, sizeof *f);
			if (!f)
				return crp__ar_oom(rd);
			f->instruction_addr = a;
			f->has = CRP_FRAME_INSTRUCTION_ADDR;
			rd->t.frame_no++;
		}
		i = j;
	}
	return CRP_OK;
}

/* The input ends inside a line of a section that has more to come: what was complete is kept,
 * like the JSON readers keep it. */
static int cut_short(ar_reader *rd)
{
	CRP_TRY(crp__ar_warn(rd, CRP_W_TRUNCATED, "input ends inside a line; kept what was complete"));
	rd->truncated = true;
	return CRP_OK;
}

static int thread_line(ar_reader *rd, const char *s, size_t len)
{
	ar_text *t = &rd->t;
	if (!len) {
		CRP_TRY(end_frames(rd));
		t->section = AT_HEADER;
		return CRP_OK;
	}
	if (starts(s, len, "Thread "))
		return header_line(rd, s, len);
	if (s[0] == '(' && t->bt == &rd->report->body.crash.last_exception_backtrace)
		return raw_backtrace(rd, s, len);
	if (t->frame_no >= rd->opts.max_items)
		return crp__ar_fail(rd, CRP_ELIMIT, "more than %zu frames", rd->opts.max_items);
	crp_frame *f = crp__scratch_push(&rd->scratch, sizeof *f);
	if (!f)
		return crp__ar_oom(rd);
	int rc = crp__ar_frame_line(rd, s, len, f);
	if (rc <= 0) {
		t->frame_no++;
		return rc;
	}
	crp__scratch_pop_last(&rd->scratch, sizeof *f);
	if (t->last_line) /* the input ends inside this line */
		return cut_short(rd);
	CRP_TRY(end_frames(rd));
	t->section = AT_HEADER;
	return header_line(rd, s, len);
}

/* -- registers ---------------------------------------------------------------------------- */

static int regs_to_set(ar_reader *rd, bool exc, crp_regset *out)
{
	const ar_text *t = &rd->t;
	size_t k = 0;
	for (size_t i = 0; i < t->reg_count; i++)
		k += t->regs[i].exception == exc;
	if (!k)
		return CRP_OK;
	crp_register *r = crp__arena_alloc(rd->arena, k * sizeof *r);
	if (!r)
		return crp__ar_oom(rd);
	k = 0;
	for (size_t i = 0; i < t->reg_count; i++)
		if (t->regs[i].exception == exc)
			r[k++] = (crp_register){t->regs[i].name, t->regs[i].value};
	out->regs = r;
	out->count = k;
	return CRP_OK;
}

static crp_thread *thread_numbered(ar_reader *rd, uint64_t no)
{
	crp_crash *c = &rd->report->body.crash;
	for (size_t i = 0; i < c->thread_count; i++)
		if (c->threads[i].index == no)
			return (crp_thread *)(uintptr_t)&c->threads[i];
	return NULL;
}

/* The registers go to the thread the block names; descriptions stay as "threadState". */
/* The crashed thread, numbered where the text has no block for it: kept apart from the list. */
static crp_thread *thread_apart(ar_reader *rd, uint64_t no)
{
	crp_thread *th = crp__arena_calloc(rd->arena, sizeof *th);
	if (!th) {
		crp__ar_oom(rd);
		return NULL;
	}
	rd->report->body.crash.crashed_thread = th;
	rd->report->body.crash.has |= CRP_CRASH_CRASHED_THREAD;
	th->index = no;
	th->has |= CRP_THREAD_INDEX;
	return th;
}

/* A thread state block read before the thread list made its thread apart: once a listed
 * thread has its number, that thread is the crashed one, with the block's registers and
 * descriptions unless it has its own (written back, the block follows the list). */
static void join_apart(ar_reader *rd)
{
	crp_crash *c = &rd->report->body.crash;
	const crp_thread *apart = c->crashed_thread;
	crp_thread *th = apart ? thread_numbered(rd, apart->index) : NULL;
	if (!th || crp_report_crashed_thread(rd->report, NULL) != apart)
		return;
	if (!CRP_HAS(th, CRP_THREAD_REGISTERS) && CRP_HAS(apart, CRP_THREAD_REGISTERS)) {
		th->registers = apart->registers;
		th->has |= CRP_THREAD_REGISTERS;
	}
	if (!th->extras.count)
		th->extras = apart->extras;
	th->crashed = true;
	th->has |= CRP_THREAD_CRASHED;
	c->crashed_thread = NULL;
	c->has &= ~(uint64_t)CRP_CRASH_CRASHED_THREAD;
}

static int end_state(ar_reader *rd)
{
	ar_text *t = &rd->t;
	crp_thread *th = thread_numbered(rd, t->state_thread);
	crp_value rest;
	t->section = AT_HEADER;
	if (!th && !(th = thread_apart(rd, t->state_thread)))
		return rd->err.code;
	CRP_TRY(regs_to_set(rd, false, &th->registers.basic));
	CRP_TRY(regs_to_set(rd, true, &th->registers.exception));
	th->registers.has |= (th->registers.basic.count ? CRP_REGISTERS_BASIC : 0) |
			     (th->registers.exception.count ? CRP_REGISTERS_EXCEPTION : 0);
	if (t->reg_count)
		th->has |= CRP_THREAD_REGISTERS;
	t->reg_count = 0;
	if (!t->state.count)
		return CRP_OK;
	ar_list l = {NULL, NULL, 0};
	CRP_TRY(crp__ar_object(rd, &t->state, &rest));
	CRP_TRY(crp__ar_add(rd, &l, (crp_span){"threadState", 11}, &rest));
	return crp__ar_flatten(rd, &l, &th->extras);
}

static int state_line(ar_reader *rd, const char *s, size_t len)
{
	size_t n = len;
	if (!len)
		return end_state(rd);
	int rc = crp__ar_register_line(rd, s, len);
	if (rc <= 0)
		return rc;
	trim(s, &n);
	if (!n) /* Apple's "  " line between the registers and the x86 trap lines */
		return CRP_OK;
	CRP_TRY(end_state(rd));
	return header_line(rd, s, len);
}

/* -- images ------------------------------------------------------------------------------- */

static int close_images(ar_reader *rd)
{
	ar_text *t = &rd->t;
	crp_body *b = &rd->report->body;
	size_t n;
	t->section = AT_HEADER;
	if (!t->in_images)
		return CRP_OK;
	t->in_images = false;
	crp_image *im = crp__ar_take(rd, t->image_mark, sizeof(crp_image), &n);
	if (n && !im)
		return rd->err.code;
	b->images = im;
	b->image_count = n;
	b->has |= CRP_SECTION_BINARY_IMAGES;
	return CRP_OK;
}

static int open_images(ar_reader *rd)
{
	ar_text *t = &rd->t;
	CRP_TRY(close_threads(rd));
	if (rd->report->body.has & CRP_SECTION_BINARY_IMAGES) { /* a second list: kept as text */
		CRP_TRY(open_block(rd, BK_SECTION, NULL, 0));
		t->block_key = "Binary Images";
		return CRP_OK;
	}
	t->image_mark = crp__scratch_mark(&rd->scratch);
	t->in_images = true;
	t->saw_images = true;
	t->section = AT_IMAGES;
	t->saw_body = true;
	t->known++;
	return CRP_OK;
}

static int image_line(ar_reader *rd, const char *s, size_t len)
{
	ar_text *t = &rd->t;
	if (!len || equals(s, len, "EOF")) {
		t->saw_eof = t->saw_eof || len;
		return close_images(rd);
	}
	if (t->image_count >= rd->opts.max_items)
		return crp__ar_fail(rd, CRP_ELIMIT, "more than %zu binary images", rd->opts.max_items);
	crp_image *im = crp__scratch_push(&rd->scratch, sizeof *im);
	if (!im)
		return crp__ar_oom(rd);
	int rc = crp__ar_image_line(rd, s, len, im);
	if (rc <= 0) {
		t->image_count++;
		return rc;
	}
	crp__scratch_pop_last(&rd->scratch, sizeof *im);
	if (t->last_line)
		return cut_short(rd);
	CRP_TRY(close_images(rd));
	return header_line(rd, s, len);
}

/* -- text blocks -------------------------------------------------------------------------- */

static int buf_grow(ar_reader *rd, size_t need)
{
	ar_text *t = &rd->t;
	if (need > rd->opts.max_string_bytes)
		return crp__ar_fail(rd, CRP_ELIMIT, "text block longer than %zu bytes", rd->opts.max_string_bytes);
	if (need > t->buf_cap) {
		size_t cap = t->buf_cap ? t->buf_cap : 1024;
		while (cap < need)
			cap *= 2;
		char *b = crp__realloc(&rd->alloc, t->buf, cap);
		if (!b)
			return crp__ar_fail(rd, CRP_ENOMEM, "out of memory");
		t->buf = b;
		t->buf_cap = cap;
	}
	return CRP_OK;
}

static int buf_add(ar_reader *rd, const char *s, size_t len)
{
	ar_text *t = &rd->t;
	CRP_TRY(buf_grow(rd, t->buf_len + len + 1));
	if (t->block_lines++)
		t->buf[t->buf_len++] = '\n';
	memcpy(t->buf + t->buf_len, s, len);
	t->buf_len += len;
	return CRP_OK;
}

static int open_block(ar_reader *rd, uint8_t kind, const char *first, size_t n)
{
	ar_text *t = &rd->t;
	CRP_TRY(close_threads(rd));
	t->section = AT_BLOCK;
	t->block = kind;
	t->buf_len = 0;
	t->block_lines = 0;
	t->known++;
	/* a buffer even for a block without lines: its readers take t->buf + t->buf_len */
	CRP_TRY(buf_grow(rd, 1));
	return n ? buf_add(rd, first, n) : CRP_OK;
}

static int instruction_state(ar_reader *rd)
{
	ar_text *t = &rd->t;
	crp_value v;
	ar_list l = {NULL, NULL, 0};
	CRP_TRY(crp__ar_instr_bytes(rd, t->buf, t->buf_len, &v));
	crp_thread *th = thread_numbered(rd, t->instr_thread);
	if (!th)
		return crp__ar_add(rd, &rd->apple, (crp_span){"instructionState", 16}, &v);
	CRP_TRY(crp__ar_add(rd, &l, (crp_span){"instructionState", 16}, &v));
	return crp__ar_flatten(rd, &l, &th->extras);
}

/* One group of External Modification Summary done: its counts under its .ips key. */
static int ext_group(ar_reader *rd, ar_list *top, ar_list *cur, const char *key)
{
	crp_value v;
	if (!key)
		return CRP_OK;
	CRP_TRY(crp__ar_object(rd, cur, &v));
	return crp__ar_add(rd, top, (crp_span){key, strlen(key)}, &v);
}

/* "    task_for_pid: 0": a count of the current group, after the last colon (a name may hold
 * one; a count cannot). What is not a count is kept as text ("name: text", as written). */
static int ext_count(ar_reader *rd, ar_list *cur, const char *l, size_t n)
{
	const char *c = memrchr(l, ':', n);
	if (!c)
		return CRP_OK;
	const char *name = crp__ar_text(rd, l, (size_t)(c - l));
	if (!name)
		return rd->err.code;
	size_t at = (size_t)(c - l) + 1 + (c + 1 < l + n && c[1] == ' ');
	uint64_t u;
	if (at < n && crp__ar_dec(l + at, n - at, &u))
		return crp__ar_add_u64(rd, cur, name, u);
	return crp__ar_add_str(rd, cur, name, l + at, n - at);
}

/* External Modification Summary back into the .ips's extMods: three groups of counts. */
static int ext_mods(ar_reader *rd)
{
	static const struct { const char *title, *key; } g[] = {
		{"Calls made by other processes targeting this process:", "targeted"},
		{"Calls made by this process:", "caller"}, {"Calls made by all processes on this machine:", "system"}};
	ar_text *t = &rd->t;
	ar_list top = {NULL, NULL, 0}, cur = {NULL, NULL, 0};
	const char *key = NULL;
	crp_value v;
	for (const char *p = t->buf, *end = t->buf + t->buf_len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p), k = trim(p, &n);
		const char *l = p + k;
		bool title = false;
		p = nl ? nl + 1 : end;
		for (size_t i = 0; i < CRP_ARRAY_LEN(g) && !title; i++) {
			if (!equals(l, n, g[i].title))
				continue;
			CRP_TRY(ext_group(rd, &top, &cur, key));
			key = g[i].key;
			title = true;
		}
		if (!title && key)
			CRP_TRY(ext_count(rd, &cur, l, n));
	}
	CRP_TRY(ext_group(rd, &top, &cur, key));
	CRP_TRY(crp__ar_object(rd, &top, &v));
	return crp__ar_add(rd, &rd->apple, (crp_span){"extMods", 7}, &v);
}

static int end_block(ar_reader *rd)
{
	ar_text *t = &rd->t;
	t->section = AT_HEADER;
	switch (t->block) {
	case BK_KTRIAGE:
		CRP_TRY(buf_add(rd, "", 0)); /* each line ends with a newline in the .ips */
		return add_str(rd, &rd->apple, "ktriageinfo", t->buf, t->buf_len);
	case BK_VMREGION:
		return add_str(rd, &rd->apple, "vmregioninfo", t->buf, t->buf_len);
	case BK_ASB: {
		crp_value v;
		CRP_TRY(crp__ar_value_str(rd, t->buf, t->buf_len, &v));
		return crp__ar_add(rd, &t->asi_bt, (crp_span){NULL, 0}, &v);
	}
	case BK_SUMMARY:
		while (t->buf_len && t->buf[t->buf_len - 1] == '\n')
			t->buf_len--;
		CRP_TRY(buf_add(rd, "", 0));
		return add_str(rd, &rd->apple, "vmSummary", t->buf, t->buf_len);
	case BK_INSTR:
		return instruction_state(rd);
	case BK_SECTION:
		return add_copy(rd, &t->sections, t->block_key, strlen(t->block_key), t->buf, t->buf_len);
	case BK_TRAILER: /* without the blank lines it ends with (the writers end it with one) */
		while (t->buf_len && t->buf[t->buf_len - 1] == '\n')
			t->buf_len--;
		return add_str(rd, &rd->apple, "trailer", t->buf, t->buf_len);
	case BK_EXTMODS:
		return ext_mods(rd);
	default:
		return CRP_OK;
	}
}

static int block_line(ar_reader *rd, const char *s, size_t len)
{
	ar_text *t = &rd->t;
	if (t->block == BK_SUMMARY) /* its table has blank lines: it runs to the end */
		return equals(s, len, "EOF") ? end_block(rd) : buf_add(rd, s, len);
	if (t->block == BK_TRAILER)
		return buf_add(rd, s, len);
	if (!len)
		return end_block(rd);
	if (t->block == BK_ASI) {
		crp_value v;
		CRP_TRY(crp__ar_value_str(rd, s, len, &v));
		return crp__ar_add(rd, &t->asi, (crp_span){NULL, 0}, &v);
	}
	return buf_add(rd, s, len);
}

/* -- the header --------------------------------------------------------------------------- */

/* "name [123]": the name (maybe empty) and the number. */
static bool name_pid(const char *s, size_t n, size_t *name_len, uint64_t *pid)
{
	if (n < 3 || s[n - 1] != ']')
		return false;
	size_t o = n - 1;
	while (o > 0 && s[o] != '[')
		o--;
	if (s[o] != '[' || !crp__ar_dec(s + o + 1, n - o - 2, pid))
		return false;
	*name_len = o && s[o - 1] == ' ' ? o - 1 : o; /* one space: a name may end with more */
	return true;
}

/* A field's text as the model keeps it: up to a NUL, without the spaces before it (a line's
 * own end is trimmed so). */
static size_t kept_len(const char *s, size_t n)
{
	const char *nul = memchr(s, '\0', n);
	if (nul)
		n = (size_t)(nul - s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

static bool unknown(const char *s, size_t n)
{
	n = kept_len(s, n);
	return n == 0 || equals(s, n, "???");
}

static int set_str(ar_reader *rd, crp_record_head *h, const char **slot, uint64_t bit, const char *s, size_t n)
{
	n = kept_len(s, n);
	if ((h->has & bit) || unknown(s, n))
		return CRP_OK;
	if (!(*slot = crp__ar_text(rd, s, n)))
		return rd->err.code;
	h->has |= bit;
	return CRP_OK;
}

static int process_line(ar_reader *rd, const char *v, size_t n, bool parent)
{
	crp_system *s = &rd->report->body.system;
	size_t nl;
	uint64_t pid;
	bool has_pid = name_pid(v, n, &nl, &pid);
	const char **slot = parent ? &s->parent_process_name : &s->process_name;
	uint64_t nbit = parent ? CRP_SYSTEM_PARENT_PROCESS_NAME : CRP_SYSTEM_PROCESS_NAME;
	CRP_TRY(set_str(rd, (crp_record_head *)s, slot, nbit, v, has_pid ? nl : n));
	if (has_pid) {
		*(parent ? &s->parent_process_id : &s->process_id) = (int64_t)pid;
		s->has |= parent ? CRP_SYSTEM_PARENT_PROCESS_ID : CRP_SYSTEM_PROCESS_ID;
	}
	rd->report->body.has |= CRP_SECTION_SYSTEM;
	return CRP_OK;
}

/* "Terminal [1702]" under two Apple keys, or as written when it has no number. */
/* "name [digits]" whose number is too large for 64 bits (an .ips may say any number): the
 * digits, kept as the number's text. */
static bool name_digits(const char *s, size_t n, size_t *name_len, size_t *at)
{
	if (n < 3 || s[n - 1] != ']')
		return false;
	size_t o = n - 1;
	while (o > 0 && s[o - 1] >= '0' && s[o - 1] <= '9')
		o--;
	if (o == n - 1 || o == 0 || s[o - 1] != '[')
		return false;
	*at = o;
	o--;
	*name_len = o && s[o - 1] == ' ' ? o - 1 : o;
	return true;
}

static int name_pid_pair(ar_reader *rd, ar_list *l, const char *nk, const char *pk, const char *v, size_t n)
{
	size_t nl, at;
	uint64_t pid;
	crp_value num;
	if (name_pid(v, n, &nl, &pid)) {
		CRP_TRY(add_str(rd, l, nk, v, nl));
		return crp__ar_add_u64(rd, l, pk, pid);
	}
	if (!name_digits(v, n, &nl, &at))
		return add_str(rd, l, nk, v, n);
	CRP_TRY(add_str(rd, l, nk, v, nl));
	CRP_TRY(crp__ar_value_num(rd, v + at, n - 1 - at, &num));
	return crp__ar_add(rd, l, (crp_span){pk, strlen(pk)}, &num);
}

static int version_line(ar_reader *rd, const char *v, size_t n)
{
	crp_system *s = &rd->report->body.system;
	size_t o = n;
	if (n > 3 && v[n - 1] == ')') {
		o = n - 1; /* the ')': the search starts inside the line */
		while (o > 0 && v[o] != '(')
			o--;
		if (o > 0 && v[o - 1] == ' ') {
			CRP_TRY(set_str(rd, (crp_record_head *)s, &s->bundle_version, CRP_SYSTEM_BUNDLE_VERSION, v + o + 1,
					n - o - 2));
			n = o - 1;
		}
	}
	return set_str(rd, (crp_record_head *)s, &s->bundle_short_version, CRP_SYSTEM_BUNDLE_SHORT_VERSION, v, n);
}

static int code_type_line(ar_reader *rd, const char *v, size_t n)
{
	crp_system *s = &rd->report->body.system;
	int32_t type;
	bool translated = n > 13 && memcmp(v + n - 13, " (Translated)", 13) == 0;
	size_t k = translated ? n - 13 : n > 9 && memcmp(v + n - 9, " (Native)", 9) == 0 ? n - 9 : n;
	if (!crp__ar_cpu_type(v, k, &type))
		return add_str(rd, &rd->apple, "cpuType", v, n);
	s->binary_cpu_type = type;
	s->has |= CRP_SYSTEM_BINARY_CPU_TYPE;
	if (translated) {
		s->proc_translated = true;
		s->has |= CRP_SYSTEM_PROC_TRANSLATED;
	}
	return CRP_OK;
}

static int time_line(ar_reader *rd, const char *key, const char *v, size_t n, bool launch)
{
	crp_body *b = &rd->report->body;
	crp_record_head *h = launch ? (crp_record_head *)&b->system : (crp_record_head *)&b->info;
	crp_time *out = launch ? &b->system.app_start_time : &b->info.timestamp;
	uint64_t bit = launch ? CRP_SYSTEM_APP_START_TIME : CRP_INFO_TIMESTAMP;
	int tz;
	if ((h->has & bit) || !crp__ar_time(v, n, out, &tz))
		return add_copy(rd, &rd->t.header, key, strlen(key), v, n);
	h->has |= bit;
	return crp__ar_set_time_zone(rd, tz);
}

static int os_line(ar_reader *rd, const char *v, size_t n)
{
	crp_system *s = &rd->report->body.system;
	size_t o = n;
	if (unknown(v, n))
		return CRP_OK;
	if (n > 3 && v[n - 1] == ')') {
		o = n - 1; /* the ')': the search starts inside the line */
		while (o > 0 && v[o] != '(')
			o--;
		if (o > 0 && v[o - 1] == ' ' && !(s->has & CRP_SYSTEM_OS_VERSION)) {
			if (!(s->os_version = crp__ar_text(rd, v + o + 1, n - o - 2))) /* "()": an empty build */
				return rd->err.code;
			s->has |= CRP_SYSTEM_OS_VERSION;
			n = o - 1;
		}
	}
	/* "??? (21D61)": a build, and no name or version */
	if (!(s->has & (CRP_SYSTEM_SYSTEM_NAME | CRP_SYSTEM_SYSTEM_VERSION)) && !unknown(v, n))
		crp__ar_train(rd, v, n);
	return rd->err.code;
}

/* A report cut off before or inside its body: what its metadata line says fills the facts the
 * body did not give (the line itself stays in the "apple" extras, as always). */
int crp__ar_meta_facts(ar_reader *rd, const crp_value *meta)
{
	crp_body *b = &rd->report->body;
	crp_record_head *sh = (crp_record_head *)&b->system;
	int tz;
	for (size_t i = 0; meta->type == CRP_VALUE_OBJECT && i < meta->u.obj.count; i++) {
		const crp_member *m = &meta->u.obj.members[i];
		const char *k = m->key.ptr, *v = m->value.u.str.ptr;
		size_t kn = m->key.len, n = m->value.u.str.len;
		if (m->value.type != CRP_VALUE_STRING)
			continue;
		if (equals(k, kn, "incident_id"))
			CRP_TRY(set_str(rd, (crp_record_head *)&b->info, &b->info.id, CRP_INFO_ID, v, n));
		else if (equals(k, kn, "app_name"))
			CRP_TRY(set_str(rd, sh, &b->system.process_name, CRP_SYSTEM_PROCESS_NAME, v, n));
		else if (equals(k, kn, "bundleID"))
			CRP_TRY(set_str(rd, sh, &b->system.bundle_id, CRP_SYSTEM_BUNDLE_ID, v, n));
		else if (equals(k, kn, "app_version"))
			CRP_TRY(set_str(rd, sh, &b->system.bundle_short_version, CRP_SYSTEM_BUNDLE_SHORT_VERSION, v, n));
		else if (equals(k, kn, "build_version"))
			CRP_TRY(set_str(rd, sh, &b->system.bundle_version, CRP_SYSTEM_BUNDLE_VERSION, v, n));
		else if (equals(k, kn, "os_version"))
			CRP_TRY(os_line(rd, v, n));
		else if (equals(k, kn, "timestamp") && !(b->info.has & CRP_INFO_TIMESTAMP) &&
			 crp__ar_time(v, n, &b->info.timestamp, &tz)) {
			b->info.has |= CRP_INFO_TIMESTAMP;
			CRP_TRY(crp__ar_set_time_zone(rd, tz));
		}
	}
	return CRP_OK;
}

/* "N seconds" (Time Awake Since Boot, Time Since Wake) as the .ips keeps it: a number. */
static int seconds_line(ar_reader *rd, const char *key, const char *apple, const char *v, size_t n)
{
	uint64_t u;
	if (n > 8 && memcmp(v + n - 8, " seconds", 8) == 0 && crp__ar_dec(v, n - 8, &u))
		return crp__ar_add_u64(rd, &rd->apple, apple, u);
	return add_copy(rd, &rd->t.header, key, strlen(key), v, n);
}

static int number_line(ar_reader *rd, const char *key, const char *apple, const char *v, size_t n)
{
	uint64_t u;
	if (crp__ar_dec(v, n, &u))
		return crp__ar_add_u64(rd, &rd->apple, apple, u);
	return add_copy(rd, &rd->t.header, key, strlen(key), v, n);
}

/* -- the exception block ------------------------------------------------------------------ */

static int exception_type(ar_reader *rd, const char *v, size_t n)
{
	if (starts(v, n, "SIG")) { /* PLCrashReporter: the signal alone */
		crp__ar_signal(rd, v, n);
		return rd->err.code;
	}
	/* "NAME (SIGNAL)": the name is all before the last " (" (a name the writers were given
	 * may hold spaces), else the whole value */
	size_t o = n;
	if (n > 3 && v[n - 1] == ')')
		for (o = n - 1; o > 0 && !(v[o] == '(' && v[o - 1] == ' '); o--)
			;
	size_t k = o > 0 && o < n ? o - 1 : n;
	while (k > 0 && v[k - 1] == ' ')
		k--;
	crp__ar_exception_type(rd, v, k);
	if (rd->err.code == CRP_OK && o > 0 && o + 2 < n)
		crp__ar_signal(rd, v + o + 1, n - o - 2);
	return rd->err.code;
}

/* "0x0000000000000001, 0x00000001ad98ab74": the codes; anything else names a code. */
static bool listed(const ar_list *l, const char *key)
{
	size_t n = strlen(key);
	for (const ar_node *i = l->head; i; i = i->next)
		if (i->m.key.len == n && memcmp(i->m.key.ptr, key, n) == 0)
			return true;
	return false;
}

/* An exception line whose member the report already has: the model keeps what the first said,
 * and the line is kept as it was, written after the block's own lines (header slot 4). */
static bool second_line(ar_reader *rd, const char *member)
{
	return listed(&rd->t.exc, member);
}

/* "0x0000000000000001, 0x0000000000000028": the code and subcode (they replace the code a
 * subtype's name gave); anything else is a subtype ("KERN_INVALID_ADDRESS at 0x28", as macOS
 * labels it). */
static int exception_codes(ar_reader *rd, const char *k, size_t kn, const char *v, size_t n)
{
	crp_mach *m = &rd->report->body.crash.error.mach;
	uint64_t a, b;
	bool pair = crp__apple_codes_pair(v, n, &a, &b);
	if (second_line(rd, pair ? "codes" : "subtype"))
		return add_copy(rd, &rd->t.header, k, kn, v, n);
	if (pair) {
		m->code = a;
		m->subcode = b;
		m->has |= CRP_MACH_CODE | CRP_MACH_SUBCODE;
		rd->report->body.crash.error.has |= CRP_ERROR_MACH;
		return add_str(rd, &rd->t.exc, "codes", v, n);
	}
	crp__ar_code_at(rd, v, n);
	CRP_TRY(rd->err.code);
	return add_str(rd, &rd->t.exc, "subtype", v, n);
}

static int exception_note(ar_reader *rd, const char *v, size_t n)
{
	if (equals(v, n, "EXC_CORPSE_NOTIFY"))
		return crp__ar_add_u64(rd, &rd->apple, "isCorpse", 1);
	if (equals(v, n, "NON-FATAL CONDITION (this is NOT a crash)"))
		return crp__ar_add_u64(rd, &rd->apple, "isNonFatal", 1);
	if (equals(v, n, "SIMULATED (this is NOT a crash)"))
		return crp__ar_add_u64(rd, &rd->apple, "isSimulated", 1);
	return add_str(rd, &rd->t.exc, "note", v, n);
}

/* "Namespace SIGNAL, Code 0xb", "Namespace SIGNAL, Code 11 Segmentation fault: 11",
 * "SIGNAL 5 Trace/BPT trap: 5", "TCC 0". Only iOS's translation of an .ips leaves out
 * "Namespace": that tells the layout when no frame line does (a report without threads). */
static int termination_reason(ar_reader *rd, const char *v, size_t n)
{
	ar_text *t = &rd->t;
	size_t i = 0, ns, ns_n, c;
	uint64_t code;
	bool named = starts(v, n, "Namespace ");
	if (named)
		i = 10;
	ns = i;
	while (i < n && v[i] != ' ' && v[i] != ',')
		i++;
	ns_n = i - ns;
	if (starts(v + i, n - i, ", Code "))
		i += 7;
	else if (i < n && v[i] == ' ')
		i++;
	else
		return add_copy(rd, &t->header, "Termination Reason", 18, v, n);
	c = i;
	while (i < n && v[i] != ' ')
		i++;
	bool ok = starts(v + c, i - c, "0x") ? crp__ar_hex(v + c + 2, i - c - 2, &code) : crp__ar_dec(v + c, i - c, &code);
	if (!ns_n || !ok)
		return add_copy(rd, &t->header, "Termination Reason", 18, v, n);
	t->translated = t->translated || !named;
	CRP_TRY(crp__ar_add_u64(rd, &t->term, "code", code));
	CRP_TRY(add_str(rd, &t->term, "namespace", v + ns, ns_n));
	while (i < n && v[i] == ' ')
		i++;
	t->after_termination = true;
	return i < n ? add_str(rd, &t->term, "indicator", v + i, n - i) : CRP_OK;
}

/* "0  Dispatch queue: q" or "0". */
static int thread_number(ar_reader *rd, const char *v, size_t n)
{
	size_t k = 0;
	uint64_t no;
	while (k < n && v[k] >= '0' && v[k] <= '9')
		k++;
	if (!crp__ar_dec(v, k, &no))
		return unparsed(rd, v, n);
	rd->t.crashed_no = (int64_t)no;
	return CRP_OK;
}

static int exception_field(ar_reader *rd, const char *k, size_t kn, const char *v, size_t n)
{
	ar_text *t = &rd->t;
	if (equals(k, kn, "Exception Type"))
		return exception_type(rd, v, n);
	if (equals(k, kn, "Exception Codes"))
		return exception_codes(rd, k, kn, v, n);
	bool subtype = equals(k, kn, "Exception Subtype"), message = equals(k, kn, "Exception Message");
	bool note = equals(k, kn, "Exception Note");
	if ((subtype || message || note) && second_line(rd, subtype ? "subtype" : message ? "message" : "note"))
		return add_copy(rd, &t->header, k, kn, v, n);
	if (subtype) {
		crp__ar_code_at(rd, v, n);
		CRP_TRY(rd->err.code);
		return add_str(rd, &t->exc, "subtype", v, n);
	}
	if (message)
		return add_str(rd, &t->exc, "message", v, n);
	if (note)
		return exception_note(rd, v, n);
	if (equals(k, kn, "Termination Reason"))
		return termination_reason(rd, v, n);
	if (equals(k, kn, "Terminating Process"))
		return name_pid_pair(rd, &t->term, "byProc", "byPid", v, n);
	if (equals(k, kn, "Triggered by Thread") || equals(k, kn, "Crashed Thread"))
		return thread_number(rd, v, n);
	return 1;
}

/* -- header fields ------------------------------------------------------------------------ */

static int identity_field(ar_reader *rd, const char *k, size_t kn, const char *v, size_t n)
{
	crp_body *b = &rd->report->body;
	crp_system *s = &b->system;
	crp_record_head *sh = (crp_record_head *)s;
	b->has |= CRP_SECTION_SYSTEM;
	if (equals(k, kn, "Incident Identifier"))
		return set_str(rd, (crp_record_head *)&b->info, &b->info.id, CRP_INFO_ID, v, n);
	if (equals(k, kn, "CrashReporter Key") || (equals(k, kn, "Anonymous UUID") && !s->device_app_hash))
		return set_str(rd, sh, &s->device_app_hash, CRP_SYSTEM_DEVICE_APP_HASH, v, n);
	if (equals(k, kn, "Hardware Model"))
		return set_str(rd, sh, &s->machine, CRP_SYSTEM_MACHINE, v, n);
	if (equals(k, kn, "Process") || equals(k, kn, "Parent Process"))
		return process_line(rd, v, n, kn > 7);
	if (equals(k, kn, "Path"))
		return set_str(rd, sh, &s->executable_path, CRP_SYSTEM_EXECUTABLE_PATH, v, n);
	if (equals(k, kn, "Identifier"))
		return set_str(rd, sh, &s->bundle_id, CRP_SYSTEM_BUNDLE_ID, v, n);
	if (equals(k, kn, "Version"))
		return version_line(rd, v, n);
	if (equals(k, kn, "Code Type"))
		return code_type_line(rd, v, n);
	if (equals(k, kn, "Date/Time") || equals(k, kn, "Launch Time"))
		return time_line(rd, kn == 9 ? "Date/Time" : "Launch Time", v, n, kn != 9);
	if (equals(k, kn, "OS Version"))
		return os_line(rd, v, n);
	return 1;
}

static int context_field(ar_reader *rd, const char *k, size_t kn, const char *v, size_t n)
{
	static const struct { const char *text, *apple; } plain[] = {
		{"Baseband Version", "basebandVersion"}, {"Bridge OS Version", "bridgeVersion"},
		{"Sleep/Wake UUID", "sleepWakeUUID"}, {"System Integrity Protection", "sip"}};
	crp_system *s = &rd->report->body.system;
	for (size_t i = 0; i < CRP_ARRAY_LEN(plain); i++)
		if (equals(k, kn, plain[i].text))
			return add_str(rd, &rd->apple, plain[i].apple, v, n);
	if (equals(k, kn, "Role")) {
		bool fg = equals(v, n, "Foreground");
		if ((!fg && !equals(v, n, "Background")) || (s->has & CRP_SYSTEM_APPLICATION_STATS))
			return add_str(rd, &rd->apple, "procRole", v, n);
		s->application_stats.application_in_foreground = fg;
		s->application_stats.has |= CRP_STATS_APPLICATION_IN_FOREGROUND;
		s->has |= CRP_SYSTEM_APPLICATION_STATS;
		return CRP_OK;
	}
	if (equals(k, kn, "Responsible"))
		return name_pid_pair(rd, &rd->apple, "responsibleProc", "responsiblePid", v, n);
	if (equals(k, kn, "Coalition"))
		return name_pid_pair(rd, &rd->apple, "coalitionName", "coalitionID", v, n);
	if (equals(k, kn, "User ID"))
		return number_line(rd, "User ID", "userID", v, n);
	if (equals(k, kn, "Release Type"))
		return add_str(rd, &rd->t.osv, "releaseType", v, n);
	if (equals(k, kn, "Time Awake Since Boot"))
		return seconds_line(rd, "Time Awake Since Boot", "uptime", v, n);
	if (equals(k, kn, "Time Since Wake"))
		return seconds_line(rd, "Time Since Wake", "wakeTime", v, n);
	return 1;
}

/* A "Key: value" line: typed, kept under its .ips name, or kept as written. */
static int field(ar_reader *rd, const char *k, size_t kn, const char *v, size_t n)
{
	int rc = identity_field(rd, k, kn, v, n);
	if (rc > 0)
		rc = context_field(rd, k, kn, v, n);
	if (rc > 0)
		rc = exception_field(rd, k, kn, v, n);
	if (rc <= 0) {
		rd->t.known++;
		return rc;
	}
	if (equals(k, kn, "Report Notes") && n >= 17 && memcmp(v, "incomplete report", 17) == 0) {
		rd->t.known++; /* our writers' note: the report said it was incomplete */
		rd->report->body.incomplete = true;
		rd->report->body.has |= CRP_SECTION_INCOMPLETE;
		return CRP_OK;
	}
	if (equals(k, kn, "Termination Signal") || equals(k, kn, "Report Version")) {
		rd->t.known++; /* both follow from the signal and the layout: every writer derives them */
		if (equals(k, kn, "Report Version") && n && v[0] >= '0' && v[0] <= '9' && !equals(v, n, "104"))
			rd->t.macos_version = true;
		return CRP_OK;
	}
	return add_copy(rd, &rd->t.header, k, kn, v, n);
}

/* The key of a "Key: value" line: a capital first, then words; 0 when it is not one. */
static size_t key_of(const char *s, size_t len)
{
	if (!len || s[0] < 'A' || s[0] > 'Z')
		return 0;
	for (size_t i = 1; i < len && i < 48; i++) {
		char c = s[i];
		if (c == ':')
			return i + 1 == len || s[i + 1] == ' ' || s[i + 1] == '\t' ? i : 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == ' ' ||
		      c == '/' || c == '-' || c == '(' || c == ')' || c == '.' || c == '_' || c == ','))
			return 0;
	}
	return 0;
}

static bool dashes(const char *s, size_t len)
{
	if (len < 3)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '-')
			return false;
	return true;
}

/* Keys of header lines: with an empty value they are still fields, not block titles. */
static bool is_field(const char *s, size_t n)
{
	static const char *const keys[] = {
		"Incident Identifier", "CrashReporter Key", "Anonymous UUID", "Hardware Model", "Process",
		"Parent Process", "Path", "Identifier", "Version", "Code Type", "Date/Time", "Launch Time",
		"OS Version", "Role", "Responsible", "Coalition", "User ID", "Release Type",
		"Baseband Version", "Bridge OS Version", "Sleep/Wake UUID", "System Integrity Protection",
		"Time Awake Since Boot", "Time Since Wake", "Report Version", "Beta Identifier",
		"AppStoreTools", "AppVariant", "Exception Type", "Exception Codes", "Exception Subtype",
		"Exception Message", "Exception Note", "Termination Reason", "Termination Signal",
		"Termination Description", "Terminating Process", "Triggered by Thread", "Crashed Thread"};
	for (size_t i = 0; i < CRP_ARRAY_LEN(keys); i++)
		if (equals(s, n, keys[i]))
			return true;
	return false;
}

static int titled_block(ar_reader *rd, const char *s, size_t len)
{
	static const struct { const char *title; uint8_t kind; } blocks[] = {
		{"Application Specific Information:", BK_ASI}, {"Kernel Triage:", BK_KTRIAGE},
		{"VM Region Summary:", BK_SUMMARY}, {"External Modification Summary:", BK_EXTMODS}};
	for (size_t i = 0; i < CRP_ARRAY_LEN(blocks); i++)
		if (equals(s, len, blocks[i].title))
			return open_block(rd, blocks[i].kind, NULL, 0);
	if (starts(s, len, "VM Region Info: "))
		return open_block(rd, BK_VMREGION, s + 16, len - 16);
	if (starts(s, len, "Application Specific Backtrace ") && s[len - 1] == ':')
		return open_block(rd, BK_ASB, NULL, 0);
	if (equals(s, len, "Extra Information:")) { /* KSCrash's trailer: free text to the end */
		CRP_TRY(open_block(rd, BK_TRAILER, NULL, 0));
		rd->t.block_key = "Extra Information";
		return CRP_OK;
	}
	if (equals(s, len, "Binary Images:") || equals(s, len, "Binary Images Description:"))
		return open_images(rd);
	if (equals(s, len, "Last Exception Backtrace:")) {
		CRP_TRY(close_threads(rd));
		rd->t.known++;
		return open_frames(rd, &rd->report->body.crash.last_exception_backtrace);
	}
	if (len > 1 && s[len - 1] == ':' && key_of(s, len) == len - 1 && !is_field(s, len - 1)) {
		CRP_TRY(open_block(rd, BK_SECTION, NULL, 0));
		rd->t.known--;
		rd->t.block_key = crp__ar_text(rd, s, len - 1);
		return rd->t.block_key ? CRP_OK : rd->err.code;
	}
	return 1;
}

/* Lines that start a report: a report already read to its threads or images ends there. */
static bool starts_report(const char *s, size_t len)
{
	return starts(s, len, "Incident Identifier:") || starts(s, len, "Process:");
}

static int begin_text(ar_reader *rd)
{
	bool banner = rd->t.banner, last = rd->t.last_line;
	if (!rd->report)
		CRP_TRY(crp__ar_begin(rd));
	crp__ar_text_reset(rd);
	rd->t.banner = banner;
	rd->t.last_line = last;
	rd->t.in_report = true;
	rd->t.first_line = rd->line;
	rd->t.first_line_start = rd->line_start;
	return CRP_OK;
}

static int full_report(ar_reader *rd)
{
	bool banner = rd->t.banner;
	crp__ar_discard(rd); /* the translation of what follows: the .ips itself is read */
	crp__ar_text_reset(rd);
	rd->t.banner = banner;
	return CRP_OK;
}

/* Lines under "Termination Reason" that are not fields: its details (TCC's explanation). */
static int termination_detail(ar_reader *rd, const char *s, size_t len)
{
	crp_value v;
	CRP_TRY(crp__ar_value_str(rd, s, len, &v));
	rd->t.known++;
	return crp__ar_add(rd, &rd->t.details, (crp_span){NULL, 0}, &v);
}

static int header_line(ar_reader *rd, const char *s, size_t len)
{
	ar_text *t = &rd->t;
	bool detail = t->after_termination;
	t->after_termination = false;
	if (!len || dashes(s, len))
		return CRP_OK;
	if (detail && !key_of(s, len) && !starts(s, len, "Thread ")) {
		t->after_termination = true;
		return termination_detail(rd, s, len);
	}
	if (equals(s, len, "Full Report") && t->banner)
		return full_report(rd);
	if (equals(s, len, "EOF")) {
		CRP_TRY(close_threads(rd));
		t->saw_body = t->saw_eof = true;
		return CRP_OK;
	}
	if (starts(s, len, "Thread "))
		return thread_header(rd, s, len);
	int rc = titled_block(rd, s, len);
	if (rc <= 0)
		return rc;
	size_t kn = key_of(s, len);
	if (!kn)
		return unparsed(rd, s, len);
	size_t vn = len - kn - 1;
	const char *v = s + kn + 1;
	while (vn && (*v == ' ' || *v == '\t'))
		v++, vn--;
	/* names and paths may end with spaces (a process "demo    "); other values may not */
	if (!equals(s, kn, "Process") && !equals(s, kn, "Path") && !equals(s, kn, "Parent Process"))
		trim(v, &vn);
	return field(rd, s, kn, v, vn);
}

/* The blocks that run to the end of the report (VM Region Summary, whose table has blank lines,
 * and KSCrash's Extra Information) end where a blank line is followed by a line that starts a
 * report: several reports are written one after another. */
static bool ends_run(const ar_reader *rd, uint64_t blanks)
{
	return rd->t.section == AT_BLOCK && (rd->t.block == BK_SUMMARY || rd->t.block == BK_TRAILER) && blanks;
}

/* The blank lines between two reports are neither's: a block they ended gives them back. */
static void drop_blank_tail(ar_text *t, uint64_t blanks)
{
	for (uint64_t k = 0; k < blanks && t->section == AT_BLOCK && t->buf_len && t->buf[t->buf_len - 1] == '\n'; k++)
		t->buf_len--;
}

/* Apple's translation of an .ips opens with a blank line, the older text does not: a report
 * whose first line follows a blank line of its own (one more when a report came before, which
 * ends with one) is a translation. */
static void opening_blank(ar_reader *rd, uint64_t blanks)
{
	if (blanks >= 1 + (rd->report_count > 0))
		rd->t.translated = true;
}

/* Text reports hold no NUL byte: one is damage (a file zero-filled past what was written, say).
 * Each field ends at it, as the model's strings do; the warning says where. */
static int nul_byte(ar_reader *rd, const char *s, size_t len)
{
	const char *nul = memchr(s, '\0', len);
	if (!nul)
		return CRP_OK;
	size_t before = rd->diag_count;
	CRP_TRY(crp__ar_warn(rd, CRP_W_VALUE, "a NUL byte; the field holding it ends there"));
	if (rd->diag_count > before) { /* text warnings are placed at the line's start: place it */
		rd->diag_tail->d.column += (uint64_t)(nul - s);
		rd->diag_tail->d.byte_offset += (uint64_t)(nul - s);
	}
	return CRP_OK;
}

int crp__ar_text_line(ar_reader *rd, const char *s, size_t len)
{
	ar_text *t = &rd->t;
	uint64_t blanks = rd->blank_run;
	rd->blank_run = len ? 0 : blanks + 1;
	if (rd->report && t->in_report && t->saw_body && (t->section == AT_HEADER || ends_run(rd, blanks)) &&
	    (starts_report(s, len) || (len && s[0] == '{'))) {
		drop_blank_tail(t, blanks);
		CRP_TRY(crp__ar_text_end(rd)); /* the next report begins */
	}
	if (!rd->report) {
		if (!len || dashes(s, len))
			return CRP_OK;
		if (equals(s, len, "Translated Report (Full Report Below)")) {
			t->banner = true;
			return CRP_OK;
		}
		if (s[0] == '{')
			return crp__ar_meta_in_text(rd, s, len);
		CRP_TRY(begin_text(rd));
		opening_blank(rd, blanks);
	} else if (!t->in_report) {
		CRP_TRY(begin_text(rd)); /* the text after a metadata line */
		opening_blank(rd, blanks);
	}
	if (rd->offset - rd->report_start > rd->opts.max_report_bytes)
		return crp__ar_fail(rd, CRP_ELIMIT, "report larger than %zu bytes", rd->opts.max_report_bytes);
	CRP_TRY(nul_byte(rd, s, len));
	switch (t->section) {
	case AT_THREAD: return thread_line(rd, s, len);
	case AT_STATE: return state_line(rd, s, len);
	case AT_IMAGES: return image_line(rd, s, len);
	case AT_BLOCK: return block_line(rd, s, len);
	default: return header_line(rd, s, len);
	}
}

/* -- the end of a report ------------------------------------------------------------------ */

void crp__ar_text_reset(ar_reader *rd)
{
	ar_text *t = &rd->t;
	char *buf = t->buf;
	size_t cap = t->buf_cap;
	memset(t, 0, sizeof *t);
	t->buf = buf;
	t->buf_cap = cap;
	t->crashed_no = -1;
}

static int list_object(ar_reader *rd, ar_list *l, const char *key)
{
	crp_value v;
	if (!l->count)
		return CRP_OK;
	CRP_TRY(crp__ar_object(rd, l, &v));
	return crp__ar_add(rd, &rd->apple, (crp_span){key, strlen(key)}, &v);
}

static int list_array(ar_reader *rd, ar_list *l, const char *key, crp_value *out)
{
	crp_strays s = {NULL, 0};
	if (!l->count)
		return CRP_OK;
	size_t n = l->count;
	CRP_TRY(crp__ar_strays(rd, l, &s));
	crp_value *items = crp__arena_alloc(rd->arena, n * sizeof *items);
	if (!items)
		return crp__ar_oom(rd);
	for (size_t i = 0; i < n; i++)
		items[i] = s.items[i].value;
	memset(out, 0, sizeof *out);
	out->type = CRP_VALUE_ARRAY;
	out->u.arr.items = items;
	out->u.arr.count = n;
	return key ? crp__ar_add(rd, &rd->apple, (crp_span){key, strlen(key)}, out) : CRP_OK;
}

/* Application Specific Information lines, under the process's name as the .ips keys them. */
static int asi_object(ar_reader *rd)
{
	ar_list top = {NULL, NULL, 0};
	crp_value lines, obj;
	const crp_system *s = &rd->report->body.system;
	if (!rd->t.asi.count)
		return CRP_OK;
	CRP_TRY(list_array(rd, &rd->t.asi, NULL, &lines));
	const char *key = CRP_HAS(s, CRP_SYSTEM_PROCESS_NAME) ? s->process_name : "???";
	CRP_TRY(crp__ar_add(rd, &top, (crp_span){key, strlen(key)}, &lines));
	CRP_TRY(crp__ar_object(rd, &top, &obj));
	return crp__ar_add(rd, &rd->apple, (crp_span){"asi", 3}, &obj);
}

static int close_sections(ar_reader *rd)
{
	ar_text *t = &rd->t;
	if (t->section == AT_BLOCK)
		CRP_TRY(end_block(rd));
	if (t->section == AT_STATE)
		CRP_TRY(end_state(rd));
	CRP_TRY(close_threads(rd));
	return close_images(rd);
}

static int keep_lists(ar_reader *rd)
{
	ar_text *t = &rd->t;
	crp_value v;
	CRP_TRY(asi_object(rd));
	CRP_TRY(list_array(rd, &t->asi_bt, "asiBacktraces", &v));
	CRP_TRY(list_object(rd, &t->exc, "exception"));
	if (t->details.count) {
		CRP_TRY(list_array(rd, &t->details, NULL, &v));
		CRP_TRY(crp__ar_add(rd, &t->term, (crp_span){"details", 7}, &v));
	}
	CRP_TRY(list_object(rd, &t->term, "termination"));
	CRP_TRY(list_object(rd, &t->osv, "osVersion"));
	CRP_TRY(list_object(rd, &t->header, "header"));
	CRP_TRY(list_object(rd, &t->sections, "sections"));
	CRP_TRY(list_array(rd, &t->unparsed, "unparsed", &v));
	/* macOS text whose OS Version says nothing ("???"): only the layout tells, and it is
	 * written back so */
	if (t->macos_version && !(rd->report->body.system.has & CRP_SYSTEM_SYSTEM_NAME))
		return add_str(rd, &rd->apple, "layout", "macos", 5);
	return add_str(rd, &rd->apple, "layout", t->translated ? "translated" : "legacy",
		       t->translated ? 10 : 6);
}

/* Apple's text always ends with its Binary Images list, and iOS's translated form with "EOF":
 * a report that stops before them was cut off (one corpus file is). */
static int ends_early(ar_reader *rd)
{
	ar_text *t = &rd->t;
	const char *os = rd->report->body.system.system_name;
	const char *what = NULL;
	if (rd->truncated)
		return CRP_OK;
	if (!t->saw_images)
		what = "the report ends before its Binary Images list; kept what was there";
	else if (t->translated && !t->saw_eof && os && strncmp(os, "iPhone", 6) == 0)
		what = "the report ends before its EOF line; kept what was there";
	if (!what)
		return CRP_OK;
	rd->truncated = true;
	return crp__ar_warn(rd, CRP_W_TRUNCATED, "%s", what);
}

int crp__ar_text_end(ar_reader *rd)
{
	ar_text *t = &rd->t;
	if (!rd->report || !t->in_report)
		return rd->err.code;
	CRP_TRY(close_sections(rd));
	if (!t->known) {
		/* the error names where the text starts, whatever is being read now (the next
		 * report's metadata line, say) */
		const unsigned char *chunk = rd->chunk;
		rd->chunk = NULL;
		rd->line = t->first_line;
		rd->line_start = t->first_line_start;
		int rc = crp__ar_fail(rd, CRP_ESCHEMA, "not an Apple crash report: no header, thread or "
						       "Binary Images line was recognised");
		rd->chunk = chunk;
		return rc;
	}
	CRP_TRY(ends_early(rd));
	join_apart(rd);
	if (t->crashed_no >= 0 && !crp_report_crashed_thread(rd->report, NULL)) {
		crp_thread *th = thread_numbered(rd, (uint64_t)t->crashed_no);
		if (th) {
			th->crashed = true;
			th->has |= CRP_THREAD_CRASHED;
		} else if (!thread_apart(rd, (uint64_t)t->crashed_no)) { /* the number is all there is */
			return rd->err.code;
		}
	}
	CRP_TRY(keep_lists(rd));
	t->in_report = false;
	return crp__ar_end(rd);
}
