/* DWARF line programs (versions 2 to 5): header, file table, and the state machine. Row
 * semantics follow LLVM 14 (whose llvm-symbolizer is the reference the tests compare with):
 * 16-bit file and column registers, op_index ignored, line_range 0 advancing nothing. */
#include "dwarf.h"

#define LNCT_path 1u
#define LNCT_directory_index 2u
#define MAX_FORMATS 32u

static int corrupt(crp_error *err, uint64_t off, const char *what)
{
	if (err) {
		crp__error_clear(err);
		crp__error_set(err, CRP_ECORRUPT, "line table at 0x%llx: %s", (unsigned long long)off, what);
	}
	return CRP_ECORRUPT;
}

static int oom(crp_error *err)
{
	if (err) {
		crp__error_clear(err);
		crp__error_set(err, CRP_ENOMEM, "out of memory");
	}
	return CRP_ENOMEM;
}

/* -- header ------------------------------------------------------------------------------ */

static int push_dir(crp_dwarf_lines *lt, size_t *cap, const char *dir)
{
	if (lt->dir_count == *cap) {
		size_t n = *cap ? *cap * 2 : 8;
		const char **q = crp__realloc(&lt->alloc, (void *)lt->dirs, n * sizeof *q);
		if (!q)
			return CRP_ENOMEM;
		lt->dirs = q;
		*cap = n;
	}
	lt->dirs[lt->dir_count++] = dir;
	return CRP_OK;
}

static int push_file(crp_dwarf_lines *lt, size_t *cap, const char *name, uint64_t dir)
{
	if (lt->file_count == *cap) {
		size_t n = *cap ? *cap * 2 : 8;
		crp_dwarf_file *q = crp__realloc(&lt->alloc, lt->files, n * sizeof *q);
		if (!q)
			return CRP_ENOMEM;
		lt->files = q;
		*cap = n;
	}
	lt->files[lt->file_count++] = (crp_dwarf_file){name, dir};
	return CRP_OK;
}

/* DWARF 2-4: NUL-terminated lists, each ended by an empty string. */
static int tables_v4(crp_dwarf_lines *lt, crp_cursor *c)
{
	size_t dcap = 0, fcap = 0;
	for (;;) {
		const char *s = crp__cur_cstr(c);
		if (!s)
			return CRP_ECORRUPT;
		if (!*s)
			break;
		CRP_TRY(push_dir(lt, &dcap, s));
	}
	for (;;) {
		const char *s = crp__cur_cstr(c);
		if (!s)
			return CRP_ECORRUPT;
		if (!*s)
			return CRP_OK;
		uint64_t dir = crp__cur_uleb(c);
		crp__cur_uleb(c); /* mtime */
		crp__cur_uleb(c); /* length */
		if (c->bad)
			return CRP_ECORRUPT;
		CRP_TRY(push_file(lt, &fcap, s, dir));
	}
}

typedef struct entry_format {
	uint64_t content[MAX_FORMATS];
	uint64_t form[MAX_FORMATS];
	unsigned count;
} entry_format;

static int read_formats(crp_cursor *c, entry_format *f)
{
	f->count = crp__cur_u8(c);
	if (f->count > MAX_FORMATS)
		return CRP_ECORRUPT;
	for (unsigned i = 0; i < f->count; i++) {
		f->content[i] = crp__cur_uleb(c);
		f->form[i] = crp__cur_uleb(c);
	}
	return c->bad ? CRP_ECORRUPT : CRP_OK;
}

/* One DWARF 5 directory or file entry: its path and directory index. */
static int read_entry(const crp_dwarf *d, const crp_dwarf_unit *u, crp_cursor *c,
		      const entry_format *f, const char **path, uint64_t *dir)
{
	*path = NULL;
	*dir = 0;
	for (unsigned i = 0; i < f->count; i++) {
		uint64_t v;
		const char *s;
		if (f->form[i] > 0xffff)
			return CRP_ECORRUPT;
		CRP_TRY(crp__dwarf_form(d, u, c, (unsigned)f->form[i], &v, &s));
		if (f->content[i] == LNCT_path)
			*path = s;
		else if (f->content[i] == LNCT_directory_index)
			*dir = v;
	}
	return CRP_OK;
}

static int tables_v5(crp_dwarf_lines *lt, const crp_dwarf *d, const crp_dwarf_unit *u,
		     crp_cursor *c)
{
	entry_format f;
	size_t dcap = 0, fcap = 0;
	CRP_TRY(read_formats(c, &f));
	uint64_t n = crp__cur_uleb(c);
	if (c->bad || n > crp__cur_left(c))
		return CRP_ECORRUPT;
	for (uint64_t i = 0; i < n; i++) {
		const char *path;
		uint64_t dir;
		CRP_TRY(read_entry(d, u, c, &f, &path, &dir));
		CRP_TRY(push_dir(lt, &dcap, path));
	}
	CRP_TRY(read_formats(c, &f));
	n = crp__cur_uleb(c);
	if (c->bad || n > crp__cur_left(c))
		return CRP_ECORRUPT;
	for (uint64_t i = 0; i < n; i++) {
		const char *path;
		uint64_t dir;
		CRP_TRY(read_entry(d, u, c, &f, &path, &dir));
		CRP_TRY(push_file(lt, &fcap, path, dir));
	}
	return CRP_OK;
}

static int read_params(crp_dwarf_lines *lt, crp_cursor *c)
{
	lt->min_inst_length = crp__cur_u8(c);
	if (lt->version >= 4)
		crp__cur_u8(c); /* maximum_operations_per_instruction: ignored, as LLVM 14 does */
	lt->default_is_stmt = crp__cur_u8(c);
	lt->line_base = (int8_t)crp__cur_u8(c);
	lt->line_range = crp__cur_u8(c);
	lt->opcode_base = crp__cur_u8(c);
	lt->std_lengths = lt->opcode_base ? crp__cur_take(c, lt->opcode_base - 1u) : NULL;
	return c->bad || lt->opcode_base == 0 ? CRP_ECORRUPT : CRP_OK;
}

int crp__dwarf_lines_open(crp_dwarf_lines *lt, crp_dwarf *d, const crp_dwarf_unit *u,
			  crp_dwarf_budget *b, const crp_allocator *alloc, crp_error *err)
{
	const crp_dwarf_sections *s = crp__dwarf_sections(d);
	memset(lt, 0, sizeof *lt);
	crp__allocator_init(&lt->alloc, alloc);
	uint64_t off = u->stmt_list;
	size_t size = s->size[CRP_DW_SEC_LINE];
	if (!u->has_stmt_list || off >= size)
		return corrupt(err, off, "DW_AT_stmt_list points outside .debug_line");
	crp_cursor c = crp__cursor(s->data[CRP_DW_SEC_LINE] + off, size - (size_t)off);
	crp_dwarf_unit lu = *u; /* the header's own offset and address sizes rule its forms */
	uint64_t len = crp__cur_u32(&c);
	lu.offset_size = 4;
	if (len == 0xffffffffu)
		len = crp__cur_u64(&c), lu.offset_size = 8;
	if (c.bad || len >= 0xfffffff0u || len > crp__cur_left(&c))
		return corrupt(err, off, "unit length out of range");
	if (!crp__dwarf_take_line_budget(d, b, (size_t)len)) {
		if (err) {
			crp__error_clear(err);
			crp__error_set(err, CRP_ELIMIT, "line tables read: over 4 times .debug_line's size");
		}
		return CRP_ELIMIT;
	}
	c.end = c.p + len;
	lt->version = crp__cur_u16(&c);
	if (lt->version < 2 || lt->version > 5)
		return corrupt(err, off, "unsupported version");
	lt->addr_size = u->addr_size;
	if (lt->version >= 5) {
		lt->addr_size = crp__cur_u8(&c);
		crp__cur_u8(&c); /* segment selector size */
		lu.addr_size = lt->addr_size;
	}
	uint64_t hlen = crp__cur_uint(&c, lu.offset_size);
	if (c.bad || hlen > crp__cur_left(&c))
		return corrupt(err, off, "header length out of range");
	crp_cursor h = crp__cursor(c.p, (size_t)hlen);
	lt->program = c.p + hlen;
	lt->program_size = (size_t)(c.end - lt->program);
	if (read_params(lt, &h) != CRP_OK)
		return corrupt(err, off, "truncated header");
	int rc = lt->version >= 5 ? tables_v5(lt, d, &lu, &h) : tables_v4(lt, &h);
	if (rc == CRP_ENOMEM)
		return oom(err);
	return rc == CRP_OK ? CRP_OK : corrupt(err, off, "damaged directory or file table");
}

void crp__dwarf_lines_dispose(crp_dwarf_lines *lt)
{
	if (!lt->alloc.free)
		return;
	crp__free(&lt->alloc, (void *)lt->dirs);
	crp__free(&lt->alloc, lt->files);
	lt->dirs = NULL;
	lt->files = NULL;
	lt->dir_count = lt->file_count = 0;
}

/* -- the state machine ------------------------------------------------------------------- */

typedef struct machine {
	const crp_dwarf_lines *lt;
	crp_dwarf_row row;
	crp_dwarf_row_fn fn;
	void *ctx;
	bool stop;
} machine;

static void reset(machine *m)
{
	memset(&m->row, 0, sizeof m->row);
	m->row.file = 1;
	m->row.line = 1;
	m->row.is_stmt = m->lt->default_is_stmt != 0;
}

static void emit(machine *m)
{
	if (m->fn(m->ctx, &m->row))
		m->stop = true;
	m->row.discriminator = 0;
}

static void special(machine *m, uint8_t op)
{
	const crp_dwarf_lines *lt = m->lt;
	uint8_t adj = (uint8_t)(op - lt->opcode_base);
	if (lt->line_range) {
		m->row.addr += (uint64_t)(adj / lt->line_range) * lt->min_inst_length;
		m->row.line += (uint32_t)(lt->line_base + adj % lt->line_range);
	}
	emit(m);
}

static int extended(machine *m, crp_cursor *c)
{
	uint64_t len = crp__cur_uleb(c);
	if (c->bad || len == 0 || len > crp__cur_left(c))
		return CRP_ECORRUPT;
	crp_cursor e = crp__cursor(c->p, (size_t)len);
	c->p += len;
	uint8_t sub = crp__cur_u8(&e);
	switch (sub) {
	case 1: /* DW_LNE_end_sequence */
		m->row.end_sequence = true;
		emit(m);
		reset(m);
		break;
	case 2: /* DW_LNE_set_address: the operand size is whatever the opcode says */
		if (len - 1 != 1 && len - 1 != 2 && len - 1 != 4 && len - 1 != 8)
			return CRP_ECORRUPT;
		m->row.addr = crp__cur_uint(&e, (unsigned)(len - 1));
		break;
	case 4: /* DW_LNE_set_discriminator */
		m->row.discriminator = (uint32_t)crp__cur_uleb(&e);
		break;
	default: /* DW_LNE_define_file and vendor opcodes: skipped */
		break;
	}
	return e.bad ? CRP_ECORRUPT : CRP_OK;
}

static int standard(machine *m, crp_cursor *c, uint8_t op)
{
	const crp_dwarf_lines *lt = m->lt;
	switch (op) {
	case 1: emit(m); break;
	case 2: m->row.addr += crp__cur_uleb(c) * lt->min_inst_length; break;
	case 3: m->row.line += (uint32_t)crp__cur_sleb(c); break;
	case 4: m->row.file = (uint16_t)crp__cur_uleb(c); break;
	case 5: m->row.column = (uint16_t)crp__cur_uleb(c); break;
	case 6: m->row.is_stmt = !m->row.is_stmt; break;
	case 8:
		if (lt->line_range)
			m->row.addr += (uint64_t)((255u - lt->opcode_base) / lt->line_range) * lt->min_inst_length;
		break;
	case 9: m->row.addr += crp__cur_u16(c); break;
	case 7: case 10: case 11: break;
	case 12: crp__cur_uleb(c); break;
	default: /* an opcode this reader does not know: skip its operands */
		for (unsigned i = 0; i < lt->std_lengths[op - 1]; i++)
			crp__cur_uleb(c);
		break;
	}
	return c->bad ? CRP_ECORRUPT : CRP_OK;
}

int crp__dwarf_lines_run(const crp_dwarf_lines *lt, crp_dwarf_row_fn fn, void *ctx)
{
	machine m = {lt, {0}, fn, ctx, false};
	reset(&m);
	crp_cursor c = crp__cursor(lt->program, lt->program_size);
	while (!m.stop && crp__cur_left(&c)) {
		uint8_t op = crp__cur_u8(&c);
		if (op >= lt->opcode_base)
			special(&m, op);
		else if (op == 0)
			CRP_TRY(extended(&m, &c));
		else
			CRP_TRY(standard(&m, &c, op));
	}
	return CRP_OK;
}

/* -- file names -------------------------------------------------------------------------- */

bool crp__dwarf_lines_has_file(const crp_dwarf_lines *lt, uint64_t index)
{
	if (lt->version >= 5)
		return index < lt->file_count && lt->files[index].name;
	return index != 0 && index <= lt->file_count;
}

static bool is_sep(char ch) { return ch == '/' || ch == '\\'; }

/* llvm::sys::path::is_absolute, POSIX or Windows style. */
static bool is_absolute(const char *p)
{
	if (p[0] == '/')
		return true;
	if (((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')) && p[1] == ':')
		return is_sep(p[2]);
	if (is_sep(p[0]) && is_sep(p[1]) && p[2] && !is_sep(p[2])) {
		for (const char *q = p + 3; *q; q++)
			if (is_sep(*q))
				return true;
	}
	return false;
}

/* Counts the whole length even when the buffer is too small, like snprintf. */
typedef struct pathbuf {
	char *out;
	size_t cap, len;
	char last;
} pathbuf;

static void put(pathbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, b->len++)
		if (b->len + 1 < b->cap)
			b->out[b->len] = s[i];
	if (n)
		b->last = s[n - 1];
}

/* llvm::sys::path::append, POSIX style. */
static void append(pathbuf *b, const char *comp)
{
	bool has_sep = b->len && b->last == '/';
	if (has_sep) {
		while (*comp == '/')
			comp++;
	} else if (*comp != '/' && b->len) {
		put(b, "/", 1);
	}
	put(b, comp, strlen(comp));
}

size_t crp__dwarf_lines_path(const crp_dwarf_lines *lt, uint64_t index, const char *comp_dir,
			     char *out, size_t cap)
{
	if (!crp__dwarf_lines_has_file(lt, index) || cap == 0)
		return 0;
	const crp_dwarf_file *f = &lt->files[lt->version >= 5 ? index : index - 1];
	if (!f->name)
		return 0;
	pathbuf b = {out, cap, 0, 0};
	if (is_absolute(f->name)) {
		put(&b, f->name, strlen(f->name));
	} else {
		const char *dir = "";
		if (lt->version >= 5 ? f->dir < lt->dir_count : f->dir > 0 && f->dir <= lt->dir_count)
			dir = lt->dirs[lt->version >= 5 ? f->dir : f->dir - 1];
		if (!dir)
			dir = "";
		if (comp_dir && *comp_dir && !is_absolute(dir))
			append(&b, comp_dir);
		append(&b, dir);
		append(&b, f->name);
	}
	out[b.len < cap ? b.len : cap - 1] = '\0';
	return b.len;
}
