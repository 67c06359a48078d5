/* The lines of a .crash text that carry structure: frames, binary images, registers and the
 * instruction stream's hex dump. Each parser takes one line and fills the model, or says the
 * line is not of its kind (1), so the caller can keep it as it was. The shapes accepted are
 * those of ../shared/docs/apple-format.md sections 6 to 9, every producer's variant included. */
#include <stdio.h>

#include "apple.h"
#include "apple_read.h"
#include "common/convert.h"

bool crp__ar_is_blank(const char *s, size_t len)
{
	CRP_UNUSED(s);
	return len == 0;
}

/* Digit values plus one, 0 for what is not a hex digit: the lines are mostly addresses. */
static const unsigned char hex_digit1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16};

static int hexval(char c)
{
	return hex_digit1[(unsigned char)c] - 1;
}

/* 1 to 16 hex digits. */
bool crp__ar_hex(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	if (!len || len > 16)
		return false;
	for (size_t i = 0; i < len; i++) {
		int d = hexval(s[i]);
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*out = v;
	return true;
}

bool crp__ar_dec(const char *s, size_t len, uint64_t *out)
{
	return crp__digits_u64(s, len, out) || (len && len <= 20 && crp__num_to_u64(s, len, out) == CRP_NUM_OK &&
						s[0] != '-' && !memchr(s, '.', len) && !memchr(s, 'e', len) &&
						!memchr(s, 'E', len));
}

static bool is_hex_digit(char c)
{
	return hexval(c) >= 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static size_t skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	return i;
}

/* A part's length as a C string has it: the model keeps names and versions only up to a NUL. */
static size_t c_len(const char *s, size_t n)
{
	const char *nul = s ? memchr(s, '\0', n) : NULL;
	return nul ? (size_t)(nul - s) : n;
}

static size_t trim_end(const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/* "0x" + hex digits at s[i]; the end of the digits, or 0. */
static size_t hex_token(const char *s, size_t i, size_t n, uint64_t *v)
{
	if (i + 2 >= n || s[i] != '0' || s[i + 1] != 'x')
		return 0;
	size_t j = i + 2;
	uint64_t x = 0;
	int d;
	while (j < n && (d = hexval(s[j])) >= 0) {
		x = x << 4 | (uint64_t)d;
		j++;
	}
	if (j == i + 2 || j - i - 2 > 16)
		return 0;
	*v = x;
	return j;
}

/* -- frames ------------------------------------------------------------------------------- */

/* The image column, shared with the previous frame when it is the same image. */
static const char *image_name(ar_reader *rd, const char *s, size_t n)
{
	ar_text *t = &rd->t;
	if (t->last_image && t->last_image_len == n && memcmp(t->last_image, s, n) == 0)
		return t->last_image;
	const char *c = crp__ar_text(rd, s, n);
	if (c) {
		t->last_image = c;
		t->last_image_len = n;
	}
	return c;
}

/* What a symbolicated frame line says of its source: " (file.m:16)" or " (file.m:16:3)". */
static bool source_at_end(const char *s, size_t n, size_t *open, size_t *colon, uint64_t *line)
{
	if (!n || s[n - 1] != ')')
		return false;
	size_t o = n - 1;
	while (o > 0 && s[o] != '(')
		o--;
	if (s[o] != '(' || o == 0 || s[o - 1] != ' ' || (n - o > 4 && memcmp(s + o, "(in ", 4) == 0))
		return false;
	size_t c = n - 1, digits_end = n - 1;
	while (c > o && is_digit(s[c - 1]))
		c--;
	if (c == digits_end || s[c - 1] != ':')
		return false;
	size_t last = c - 1;
	if (last > o + 1) { /* file:line:column: the line is the number before */
		size_t c2 = last;
		while (c2 > o && is_digit(s[c2 - 1]))
			c2--;
		if (c2 < last && s[c2 - 1] == ':') {
			digits_end = last;
			c = c2;
			last = c2 - 1;
		}
	}
	if (!crp__ar_dec(s + c, digits_end - c, line) || *line > UINT32_MAX || last <= o + 1)
		return false;
	*open = o;
	*colon = last;
	return true;
}

static int report_symbolication(ar_reader *rd, crp_frame *f, const char *fn, const char *file, uint64_t line,
				const char *image)
{
	crp_symbolication *sy = crp__arena_calloc(rd->arena, sizeof *sy);
	crp_symloc *l = crp__arena_calloc(rd->arena, sizeof *l);
	if (!sy || !l)
		return crp__ar_oom(rd);
	l->function = fn;
	l->file = file;
	l->line = (uint32_t)line;
	sy->source = CRP_SYMSRC_REPORT;
	sy->image = image; /* atos's "(in Image)": the image the symbol was found in */
	sy->lookup_addr = f->instruction_addr;
	if (CRP_HAS(f, CRP_FRAME_SYMBOL_ADDR)) {
		sy->function_addr = f->symbol_addr;
		sy->offset = f->instruction_addr - f->symbol_addr;
	}
	sy->locs = l;
	sy->count = 1;
	f->symbolicated = sy;
	return CRP_OK;
}

/* "sym + 12", "sym + 12 (file.m:3)", "sym (in Image) (file.m:3)", "sym (in Image) + 12". */
static int symbolic(ar_reader *rd, crp_frame *f, const char *s, size_t n)
{
	size_t open, colon, end = n, k;
	uint64_t line = 0, off = 0;
	const char *file = NULL;
	bool have_off = false;
	const char *in_image = NULL;
	if (source_at_end(s, n, &open, &colon, &line)) {
		if (!(file = crp__ar_text(rd, s + open + 1, colon - open - 1)))
			return rd->err.code;
		end = open - 1;
	}
	for (k = end; k > 0 && is_digit(s[k - 1]); k--)
		;
	if (k < end && k >= 4 && memcmp(s + k - 3, " + ", 3) == 0 && crp__ar_dec(s + k, end - k, &off)) {
		have_off = true;
		end = k - 3;
	} else if (k < end && k == 2 && memcmp(s, "+ ", 2) == 0 && crp__ar_dec(s + k, end - k, &off)) {
		have_off = true; /* an offset and no name: not a symbol called "+ 8688" */
		end = 0;
	}
	if (end && s[end - 1] == ')') {
		for (k = end; k > 0 && s[k - 1] != '('; k--)
			;
		if (k >= 2 && s[k - 2] == ' ' && end - k > 3 && memcmp(s + k, "in ", 3) == 0) {
			size_t in_n = c_len(s + k + 3, end - k - 4); /* up to a NUL: an empty name is none */
			if (in_n && !(in_image = crp__ar_text(rd, s + k + 3, in_n)))
				return rd->err.code;
			end = k - 2;
		}
	}
	end = trim_end(s, c_len(s, end)); /* a name ends at a NUL, without the spaces before it */
	const char *sym = end ? crp__ar_text(rd, s, end) : NULL;
	if (end && !sym)
		return rd->err.code;
	if (sym) {
		f->symbol_name = sym;
		f->has |= CRP_FRAME_SYMBOL_NAME;
	}
	if (sym && have_off && off <= f->instruction_addr) {
		f->symbol_addr = f->instruction_addr - off;
		f->has |= CRP_FRAME_SYMBOL_ADDR;
	}
	if (file || in_image || !have_off)
		return report_symbolication(rd, f, sym, file, line, in_image);
	return CRP_OK;
}

/* "0x102da0000 + 41260 (Render.swift:88)": a place without a function, as the writers write
 * one (not a symbol named "Render.swift:88"); s[k] starts the parenthesis. */
static bool frame_source_only(ar_reader *rd, crp_frame *f, const char *s, size_t k, size_t n)
{
	size_t open, colon;
	uint64_t line;
	if (!source_at_end(s, n, &open, &colon, &line) || open != k)
		return false;
	const char *file = crp__ar_text(rd, s + open + 1, colon - open - 1);
	if (file)
		report_symbolication(rd, f, NULL, file, line, NULL);
	return true;
}

static int frame_rest(ar_reader *rd, crp_frame *f, const char *s, size_t n)
{
	uint64_t base, off;
	size_t j = hex_token(s, 0, n, &base);
	/* "0 + 4428344072": older reports' frames in no image, the offset being the address (else
	 * it is a symbol named "0") */
	bool no_image = !j && n > 4 && s[0] == '0' && s[1] == ' ';
	if (no_image)
		j = 1, base = 0;
	if (j && j + 3 < n && memcmp(s + j, " + ", 3) == 0) {
		size_t k = j + 3;
		while (k < n && is_digit(s[k]))
			k++;
		if (crp__ar_dec(s + j + 3, k - j - 3, &off) && (k == n || s[k] == ' ') &&
		    !(no_image && off != f->instruction_addr)) {
			if (base) {
				f->object_addr = base;
				f->has |= CRP_FRAME_OBJECT_ADDR;
			}
			k = skip_ws(s, k, n);
			if (k < n && frame_source_only(rd, f, s, k, n))
				return rd->err.code;
			/* KSCrash's side-by-side style: "0x314e0000 + 648765 (__exceptionPreprocess + 97)" */
			if (k + 2 < n && s[k] == '(' && s[n - 1] == ')')
				return symbolic(rd, f, s + k + 1, n - k - 2);
			return k == n ? CRP_OK : 1;
		}
	}
	return symbolic(rd, f, s, n);
}

/* The address column: "0x" and hex digits after whitespace, then a space or the end. */
static size_t find_address(const char *s, size_t from, size_t n, uint64_t *addr, size_t *end)
{
	for (size_t j = from + 1; j + 2 < n; j++) {
		if (s[j] != '0' || s[j + 1] != 'x' || (s[j - 1] != ' ' && s[j - 1] != '\t'))
			continue;
		size_t k = hex_token(s, j, n, addr);
		if (k && (k == n || s[k] == ' ')) {
			*end = k;
			return j;
		}
	}
	return 0;
}

int crp__ar_frame_line(ar_reader *rd, const char *s, size_t len, crp_frame *f)
{
	size_t i = 0, end;
	uint64_t addr;
	while (i < len && is_digit(s[i]))
		i++;
	if (!i || i == len || (s[i] != ' ' && s[i] != '\t'))
		return 1;
	size_t name = skip_ws(s, i, len);
	size_t at = find_address(s, name ? name - 1 : 0, len, &addr, &end);
	if (!at)
		return 1;
	size_t name_end = trim_end(s, at);
	const char *nul = memchr(s + name, '\0', name_end > name ? name_end - name : 0);
	if (nul) /* the name ends there (a C string would), without the spaces before it */
		name_end = trim_end(s, (size_t)(nul - s));
	const char *tab = memchr(s + name_end, '\t', at - name_end);
	if (tab && tab + 1 < s + at && tab[1] == ' ')
		rd->t.translated = true; /* "\t       0x1ad98ab74": the iOS 15+ translation */
	f->instruction_addr = addr;
	f->has |= CRP_FRAME_INSTRUCTION_ADDR;
	if (name_end > name && !(name_end - name == 3 && memcmp(s + name, "???", 3) == 0)) {
		if (!(f->object_name = image_name(rd, s + name, name_end - name)))
			return rd->err.code;
		f->has |= CRP_FRAME_OBJECT_NAME;
	} else {
		f->has |= AR_PEND_UNNAMED;
	}
	end = skip_ws(s, end, len);
	return end < len ? frame_rest(rd, f, s + end, trim_end(s + end, len - end)) : CRP_OK;
}

/* -- binary images ------------------------------------------------------------------------ */

typedef struct image_parts {
	const char *name, *arch, *version, *uuid, *path;
	size_t name_n, arch_n, version_n, uuid_n, path_n;
} image_parts;

/* "NAME", "NAME ARCH", "NAME (VERSION)", "NAME ARCH (VERSION)", "NAME (ARCH)". With
 * `arch_column` (two spaces before the UUID, as iOS's form sets the arch apart), the last word
 * is the arch even when it is not one we know. */
static void split_middle(const char *s, size_t n, bool arch_column, image_parts *p)
{
	n = trim_end(s, n);
	if (n && s[n - 1] == ')') {
		size_t o = n - 1;
		while (o > 0 && s[o] != '(')
			o--;
		if (s[o] == '(' && o > 0 && s[o - 1] == ' ') {
			p->version = s + o + 1;
			p->version_n = n - o - 2;
			n = trim_end(s, o);
		}
	}
	size_t sp = n;
	while (sp > 0 && s[sp - 1] != ' ')
		sp--;
	if (sp > 0 && crp__apple_arch_word(s + sp, n - sp)) {
		p->arch = s + sp;
		p->arch_n = n - sp;
		n = trim_end(s, sp);
	} else if (sp > 0 && n - sp == 3 && memcmp(s + sp, "???", 3) == 0) {
		n = trim_end(s, sp); /* an unknown arch, as the iOS layout writes it: "??? ???" */
	} else if (p->version && crp__apple_arch_word(p->version, p->version_n)) {
		p->arch = p->version;
		p->arch_n = p->version_n;
		p->version = NULL;
	} else if (sp > 0 && arch_column && !p->version) {
		p->arch = s + sp; /* an arch we do not know ("arm63e"): kept as written */
		p->arch_n = n - sp;
		n = trim_end(s, sp);
	}
	p->name = s;
	p->name_n = n;
}

/* The UUID in angle brackets and the path after it; without one, the path starts at " /". */
static bool split_tail(const char *s, size_t n, size_t *mid_end, image_parts *p)
{
	for (const char *lt = memchr(s, '<', n); lt; lt = memchr(lt + 1, '<', n - (size_t)(lt + 1 - s))) {
		size_t i = (size_t)(lt - s), j = i + 1;
		while (j < n && (is_hex_digit(s[j]) || s[j] == '-'))
			j++;
		if (j < n && s[j] == '>' && j > i + 1) {
			p->uuid = s + i + 1;
			p->uuid_n = j - i - 1;
			p->path = s + skip_ws(s, j + 1, n);
			p->path_n = n - (size_t)(p->path - s);
			*mid_end = i;
			return true;
		}
	}
	for (size_t i = 1; i < n; i++)
		if (s[i] == '/' && s[i - 1] == ' ') {
			p->path = s + i;
			p->path_n = n - i;
			*mid_end = i;
			return true;
		}
	return false;
}

static int image_version(ar_reader *rd, ar_list *l, const char *v, size_t n)
{
	if (!n || (n == 1 && v[0] == '*') || (n == 9 && memcmp(v, "??? - ???", 9) == 0))
		return CRP_OK;
	for (size_t i = 0; i + 3 <= n; i++)
		if (memcmp(v + i, " - ", 3) == 0) {
			if (!(i == 3 && memcmp(v, "???", 3) == 0))
				CRP_TRY(crp__ar_add_str(rd, l, "CFBundleShortVersionString", v, i));
			if (!(n - i - 3 == 3 && memcmp(v + i + 3, "???", 3) == 0))
				CRP_TRY(crp__ar_add_str(rd, l, "CFBundleVersion", v + i + 3, n - i - 3));
			return CRP_OK;
		}
	return crp__ar_add_str(rd, l, "CFBundleShortVersionString", v, n);
}

static int image_fill(ar_reader *rd, crp_image *im, const image_parts *given)
{
	image_parts cut = *given, *p = &cut;
	cut.name_n = cut.name ? trim_end(cut.name, c_len(cut.name, cut.name_n)) : 0; /* as split_middle trims */
	cut.version_n = c_len(cut.version, cut.version_n);
	cut.path_n = cut.path ? trim_end(cut.path, c_len(cut.path, cut.path_n)) : 0; /* as the line is trimmed */
	ar_list l = {NULL, NULL, 0};
	int32_t t, st;
	if (p->uuid && crp__parse_uuid(p->uuid, p->uuid_n, &im->uuid) == 0)
		im->has |= CRP_IMAGE_UUID;
	bool path_known = p->path_n && !(p->path_n == 3 && memcmp(p->path, "???", 3) == 0);
	if (path_known) {
		if (!(im->name = crp__ar_text(rd, p->path, p->path_n)))
			return rd->err.code;
		im->has |= CRP_IMAGE_NAME;
	}
	if (p->arch && crp__ar_arch(p->arch, p->arch_n, &t, &st)) {
		im->cpu_type = t;
		im->cpu_subtype = st;
		im->has |= CRP_IMAGE_CPU_TYPE | CRP_IMAGE_CPU_SUBTYPE;
	} else if (p->arch) {
		CRP_TRY(crp__ar_add_str(rd, &l, "arch", p->arch, p->arch_n));
	}
	const char *base = path_known ? strrchr(im->name, '/') : NULL;
	base = base ? base + 1 : path_known ? im->name : NULL;
	while (base && *base == ' ')
		base++; /* the name column cannot show the spaces a file name starts with */
	bool named = p->name_n && !(p->name_n == 3 && memcmp(p->name, "???", 3) == 0);
	if (named && (!base || strlen(base) != p->name_n || memcmp(base, p->name, p->name_n) != 0)) {
		/* macOS's form ("NAME (VERSION)") names bundles by identifier; iOS's ("NAME ARCH")
		 * never does, so there a dotted name is only a name */
		bool bundle = p->version && memchr(p->name, '.', p->name_n) &&
			      !memchr(p->name, '/', p->name_n) && path_known;
		CRP_TRY(crp__ar_add_str(rd, &l, bundle ? "CFBundleIdentifier" : "name", p->name, p->name_n));
	}
	if (p->version)
		CRP_TRY(image_version(rd, &l, p->version, p->version_n));
	return crp__ar_flatten(rd, &l, &im->extras);
}

int crp__ar_image_line(ar_reader *rd, const char *s, size_t len, crp_image *im)
{
	uint64_t lo, hi;
	size_t i = skip_ws(s, 0, len), j, mid_end;
	image_parts p = {0};
	if (!(j = hex_token(s, i, len, &lo)))
		return 1;
	j = skip_ws(s, j, len);
	if (j >= len || s[j] != '-')
		return 1;
	j = skip_ws(s, j + 1, len);
	if (!(j = hex_token(s, j, len, &hi)))
		return 1;
	j = skip_ws(s, j, len);
	if (j < len && s[j] == '+')
		j++;
	len = trim_end(s, len);
	if (j >= len || !split_tail(s + j, len - j, &mid_end, &p))
		return 1;
	bool arch_column = p.uuid && mid_end >= 2 && s[j + mid_end - 1] == ' ' && s[j + mid_end - 2] == ' ';
	split_middle(s + j, c_len(s + j, mid_end), arch_column, &p); /* a name ends at a NUL: so does its arch */
	im->image_addr = lo;
	im->image_size = hi - lo + 1; /* the end is inclusive; Apple's placeholder wraps to 0 */
	im->has |= CRP_IMAGE_ADDR | CRP_IMAGE_SIZE;
	return image_fill(rd, im, &p);
}

/* -- registers ---------------------------------------------------------------------------- */

static int push_reg(ar_reader *rd, const char *name, size_t n, uint64_t v)
{
	ar_text *t = &rd->t;
	bool exc;
	if (t->reg_count == t->reg_cap) {
		size_t cap = t->reg_cap ? t->reg_cap * 2 : 48;
		ar_reg *r = crp__arena_alloc(rd->arena, cap * sizeof *r);
		if (!r)
			return crp__ar_oom(rd);
		if (t->reg_count)
			memcpy(r, t->regs, t->reg_count * sizeof *r);
		t->regs = r;
		t->reg_cap = cap;
	}
	const char *ks = crp__ar_reg_name(rd, name, n, &exc);
	if (!ks)
		return rd->err.code;
	t->regs[t->reg_count++] = (ar_reg){ks, v, exc};
	return CRP_OK;
}

/* Words after a register's value ("(Breakpoint) brk 1") describe it, as Apple's .ips does. */
static int describe(ar_reader *rd, const char *name, size_t n, const char *d, size_t dn)
{
	ar_list l = {NULL, NULL, 0};
	crp_value v;
	CRP_TRY(crp__ar_add_str(rd, &l, "description", d, dn));
	CRP_TRY(crp__ar_object(rd, &l, &v));
	const char *key = crp__ar_text(rd, name, n);
	return key ? crp__ar_add(rd, &rd->t.state, (crp_span){key, n}, &v) : rd->err.code;
}

/* x86 lines below the registers: "Logical CPU:     2", "Error Code:      0x00000006 (...)",
 * "Trap Number:     14". The Error Code's description is the trap's in the .ips (`described`),
 * where the writers look for it. */
static int x86_extra(ar_reader *rd, const char *s, size_t len)
{
	static const struct { const char *label, *reg, *apple, *described; bool hex; } x[] = {
		{"Logical CPU:", "cpu", "cpu", "cpu", false}, {"Error Code:", "err", "err", "trap", true},
		{"Trap Number:", "trapno", "trap", "trap", false}};
	for (size_t k = 0; k < CRP_ARRAY_LEN(x); k++) {
		size_t l = strlen(x[k].label);
		if (len < l || memcmp(s, x[k].label, l) != 0)
			continue;
		size_t i = skip_ws(s, l, len), j = i;
		uint64_t v;
		while (j < len && s[j] != ' ')
			j++;
		bool ok = x[k].hex ? j > i + 2 && s[i] == '0' && s[i + 1] == 'x' && crp__ar_hex(s + i + 2, j - i - 2, &v)
				   : crp__ar_dec(s + i, j - i, &v);
		if (!ok)
			return 1;
		CRP_TRY(push_reg(rd, x[k].apple, strlen(x[k].apple), v));
		j += j < len; /* the one space before a description: what follows is all of it */
		size_t dn = j < len ? trim_end(s + j, len - j) : 0;
		return dn ? describe(rd, x[k].described, strlen(x[k].described), s + j, dn) : CRP_OK;
	}
	return 1;
}

int crp__ar_register_line(ar_reader *rd, const char *s, size_t len)
{
	size_t i = 0, pairs = 0, name = 0, name_n = 0;
	int rc = x86_extra(rd, s, len);
	if (rc <= 0)
		return rc;
	for (;;) {
		size_t a = skip_ws(s, i, len), b = a;
		uint64_t v;
		while (b < len && (is_digit(s[b]) || ((s[b] | 0x20) >= 'a' && (s[b] | 0x20) <= 'z')))
			b++;
		size_t c = b < len && s[b] == ':' ? skip_ws(s, b + 1, len) : len;
		size_t e = b > a ? hex_token(s, c, len, &v) : 0;
		if (!e) {
			if (!pairs)
				return 1;
			a = i + (i < len); /* the one space before a description: what follows is all of it */
			size_t dn = a < len ? trim_end(s + a, len - a) : 0;
			return dn ? describe(rd, s + name, name_n, s + a, dn) : CRP_OK;
		}
		CRP_TRY(push_reg(rd, s + a, b - a, v));
		name = a;
		name_n = b - a;
		pairs++;
		i = e;
	}
}

/* -- the instruction stream --------------------------------------------------------------- */

/* One hex-dump row: 16 bytes, the faulting one in brackets ("[c7]"). */
static size_t dump_row(const char *s, size_t n, uint8_t *out, long *mark)
{
	size_t k = 0, i = 0;
	while (k < 16 && i + 1 < n) {
		char c = s[i];
		if (c == ' ' || c == '-' || c == ']') {
			i++;
			continue;
		}
		if (c == '[') {
			*mark = (long)k;
			i++;
			continue;
		}
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0)
			break;
		out[k++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return k;
}

/* The dump back into Apple's instructionState: {"instructionStream": {"bytes", "offset"}}. */
int crp__ar_instr_bytes(ar_reader *rd, const char *text, size_t len, crp_value *out)
{
	size_t rows = 1;
	for (size_t i = 0; i < len; i++)
		rows += text[i] == '\n';
	crp_value *items = crp__arena_alloc(rd->arena, rows * 16 * sizeof *items);
	if (!items)
		return crp__ar_oom(rd);
	size_t n = 0;
	long mark = -1;
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		uint8_t b[16];
		long m = -1;
		size_t k = dump_row(p, l, b, &m);
		if (m >= 0)
			mark = (long)n + m;
		for (size_t i = 0; i < k; i++)
			CRP_TRY(crp__ar_value_u64(rd, b[i], &items[n++]));
		p += l + (nl != NULL);
	}
	ar_list s = {NULL, NULL, 0}, st = {NULL, NULL, 0};
	crp_value arr = {.type = CRP_VALUE_ARRAY}, stream;
	arr.u.arr.items = items;
	arr.u.arr.count = n;
	CRP_TRY(crp__ar_add(rd, &s, (crp_span){"bytes", 5}, &arr));
	if (mark >= 0)
		CRP_TRY(crp__ar_add_u64(rd, &s, "offset", (uint64_t)mark));
	CRP_TRY(crp__ar_object(rd, &s, &stream));
	CRP_TRY(crp__ar_add(rd, &st, (crp_span){"instructionStream", 17}, &stream));
	return crp__ar_object(rd, &st, out);
}
