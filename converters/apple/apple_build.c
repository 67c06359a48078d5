/* What both Apple bodies (.ips JSON, .crash text) share while they build a report: copies into
 * the report's arena, untyped values and the lists that become extras, warnings with positions,
 * the facts both spell the same way (times, CPU names, exception and signal names), and the
 * finishing of a report: frames resolved against the images, inlined levels merged, the
 * Application Specific Information typed into the images, the "apple" extras attached. */
#include <stdio.h>

#include "apple.h"
#include "apple_read.h"
#include "common/convert.h"

int crp__ar_oom(ar_reader *rd)
{
	int failure = rd->arena && rd->arena->failure ? rd->arena->failure : rd->scratch.failure;
	if (failure == CRP_ELIMIT)
		return crp__ar_fail(rd, CRP_ELIMIT, "report needs more than %zu bytes of memory",
				    rd->opts.max_memory);
	return crp__ar_fail(rd, CRP_ENOMEM, "out of memory");
}

/* -- warnings ----------------------------------------------------------------------------- */

static bool strict_error(const ar_reader *rd, int code)
{
	return (rd->opts.flags & CRP_PARSE_STRICT) &&
	       (code == CRP_W_TYPE || code == CRP_W_VALUE || code == CRP_W_NUMBER);
}

int crp__ar_warn(ar_reader *rd, int code, const char *fmt, ...)
{
	va_list ap;
	char path[CRP_ERROR_PATH_SIZE * 2];
	if (strict_error(rd, code) || (code == CRP_W_TRUNCATED && (rd->opts.flags & CRP_PARSE_STRICT))) {
		char msg[CRP_ERROR_MESSAGE_SIZE];
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		return crp__ar_fail(rd, code == CRP_W_TRUNCATED ? CRP_ETRUNCATED : CRP_ESCHEMA, "%s", msg);
	}
	if (rd->diag_count >= rd->opts.max_warnings) {
		rd->diag_dropped++;
		return CRP_OK;
	}
	ar_diag *d = crp__arena_alloc(rd->arena, sizeof *d);
	if (!d)
		return crp__ar_oom(rd);
	memset(d, 0, sizeof *d);
	va_start(ap, fmt);
	crp__error_setv(&d->d, code, fmt, ap);
	va_end(ap);
	crp__ar_position(rd, &d->d.byte_offset, &d->d.line, &d->d.column);
	size_t n = crp__ar_path(rd, path, sizeof path);
	crp__error_set_path(&d->d, path, n < sizeof path ? n : sizeof path);
	if (rd->diag_tail)
		rd->diag_tail->next = d;
	else
		rd->diag_head = d;
	rd->diag_tail = d;
	rd->diag_count++;
	return CRP_OK;
}

/* -- text and values ---------------------------------------------------------------------- */

const char *crp__ar_text(ar_reader *rd, const char *s, size_t len)
{
	size_t out;
	return crp__ar_textn(rd, s, len, &out);
}

const char *crp__ar_textn(ar_reader *rd, const char *s, size_t len, size_t *out_len)
{
	*out_len = len;
	if (len > rd->opts.max_string_bytes) {
		crp__ar_fail(rd, CRP_ELIMIT, "string longer than %zu bytes", rd->opts.max_string_bytes);
		return NULL;
	}
	char *c = crp__arena_alloc(rd->arena, len + 1);
	if (!c)
		return crp__ar_oom(rd), NULL;
	int flags = crp__copy_text(c, s, len);
	if (CRP_LIKELY(!(flags & CRP_TEXT_INVALID)))
		return c;
	size_t valid = crp__utf8_valid_prefix((const unsigned char *)s, len);
	unsigned char *r = crp__arena_alloc(rd->arena, len * 3 + 1);
	if (!r)
		return crp__ar_oom(rd), NULL;
	size_t n = crp__utf8_repair((const unsigned char *)s, len, r);
	r[n] = '\0';
	*out_len = n;
	if (crp__ar_warn(rd, CRP_W_UTF8, "invalid UTF-8 at byte %zu of the string replaced by U+FFFD", valid))
		return NULL;
	return (const char *)r;
}

int crp__ar_value_str(ar_reader *rd, const char *s, size_t len, crp_value *v)
{
	memset(v, 0, sizeof *v);
	v->type = CRP_VALUE_STRING;
	v->u.str.ptr = crp__ar_textn(rd, s, len, &v->u.str.len);
	return v->u.str.ptr ? CRP_OK : rd->err.code;
}

int crp__ar_value_num(ar_reader *rd, const char *s, size_t len, crp_value *v)
{
	memset(v, 0, sizeof *v);
	v->type = CRP_VALUE_NUMBER;
	v->u.num.ptr = crp__arena_strndup(rd->arena, s, len);
	v->u.num.len = len;
	return v->u.num.ptr ? CRP_OK : crp__ar_oom(rd);
}

int crp__ar_value_u64(ar_reader *rd, uint64_t u, crp_value *v)
{
	char tmp[20];
	unsigned n = crp__dec_digits(u, tmp);
	return crp__ar_value_num(rd, tmp + 20 - n, n, v);
}

int crp__ar_add(ar_reader *rd, ar_list *l, crp_span key, const crp_value *v)
{
	ar_node *n = crp__arena_alloc(rd->arena, sizeof *n);
	if (!n)
		return crp__ar_oom(rd);
	n->next = NULL;
	n->m.key = key;
	n->m.value = *v;
	n->index = 0;
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
	l->count++;
	return CRP_OK;
}

static crp_span static_key(const char *key)
{
	return (crp_span){key, strlen(key)};
}

int crp__ar_add_str(ar_reader *rd, ar_list *l, const char *key, const char *s, size_t len)
{
	crp_value v;
	CRP_TRY(crp__ar_value_str(rd, s, len, &v));
	return crp__ar_add(rd, l, static_key(key), &v);
}

int crp__ar_add_u64(ar_reader *rd, ar_list *l, const char *key, uint64_t u)
{
	crp_value v;
	CRP_TRY(crp__ar_value_u64(rd, u, &v));
	return crp__ar_add(rd, l, static_key(key), &v);
}

int crp__ar_add_stray(ar_reader *rd, ar_list *l, size_t index, const crp_value *v)
{
	CRP_TRY(crp__ar_add(rd, l, (crp_span){NULL, 0}, v));
	l->tail->index = index;
	return CRP_OK;
}

int crp__ar_flatten(ar_reader *rd, ar_list *l, crp_extras *out)
{
	if (!l->count)
		return CRP_OK;
	crp_member *m = crp__arena_alloc(rd->arena, (out->count + l->count) * sizeof *m);
	if (!m)
		return crp__ar_oom(rd);
	if (out->count)
		memcpy(m, out->members, out->count * sizeof *m);
	size_t i = out->count;
	for (ar_node *n = l->head; n; n = n->next)
		m[i++] = n->m;
	out->members = m;
	out->count = i;
	*l = (ar_list){NULL, NULL, 0};
	return CRP_OK;
}

int crp__ar_object(ar_reader *rd, ar_list *l, crp_value *out)
{
	crp_extras e = {NULL, 0};
	CRP_TRY(crp__ar_flatten(rd, l, &e));
	memset(out, 0, sizeof *out);
	out->type = CRP_VALUE_OBJECT;
	out->u.obj.members = e.members;
	out->u.obj.count = e.count;
	return CRP_OK;
}

int crp__ar_strays(ar_reader *rd, ar_list *l, crp_strays *out)
{
	if (!l->count)
		return CRP_OK;
	crp_stray *s = crp__arena_alloc(rd->arena, l->count * sizeof *s);
	if (!s)
		return crp__ar_oom(rd);
	size_t i = 0;
	for (ar_node *n = l->head; n; n = n->next, i++) {
		s[i].index = n->index;
		s[i].value = n->m.value;
	}
	out->items = s;
	out->count = i;
	*l = (ar_list){NULL, NULL, 0};
	return CRP_OK;
}

void *crp__ar_take(ar_reader *rd, crp_scratch_mark m, size_t size, size_t *count)
{
	size_t bytes = crp__scratch_size_since(&rd->scratch, m);
	size_t stride = (size + 7) & ~(size_t)7;
	*count = 0;
	if (!bytes)
		return NULL;
	void *items = crp__arena_alloc(rd->arena, bytes);
	if (!items)
		return crp__ar_oom(rd), NULL;
	crp__scratch_copy(&rd->scratch, m, items);
	crp__scratch_pop(&rd->scratch, m);
	*count = bytes / stride;
	return items;
}

/* -- facts spelled the same way in both bodies -------------------------------------------- */

/* "2022-08-03 20:36:44.3125 +0900": the instant, and the zone it was written in. */
bool crp__ar_time(const char *s, size_t len, crp_time *t, int *tz_minutes)
{
	char b[64];
	bool frac;
	while (len && s[len - 1] == ' ')
		len--;
	const char *sp = len > 6 ? s + len - 6 : NULL;
	if (!sp || sp[0] != ' ' || (sp[1] != '+' && sp[1] != '-') || len - 1 >= sizeof b)
		return false;
	size_t head = (size_t)(sp - s);
	memcpy(b, s, head);
	memcpy(b + head, sp + 1, 5);
	if (crp__parse_time(b, head + 5, &t->usec, &frac) != 0)
		return false;
	t->form = frac ? CRP_TIME_TEXT_FRACTION : CRP_TIME_TEXT;
	int hh = (sp[2] - '0') * 10 + (sp[3] - '0'), mm = (sp[4] - '0') * 10 + (sp[5] - '0');
	*tz_minutes = (sp[1] == '-' ? -1 : 1) * (hh * 60 + mm);
	return true;
}

/* The zone as the model keeps one ("GMT+0900"), so the writers show times as they were. */
int crp__ar_set_time_zone(ar_reader *rd, int minutes)
{
	crp_system *s = &rd->report->body.system;
	char b[16];
	unsigned m = (unsigned)(minutes < 0 ? -minutes : minutes);
	if (CRP_HAS(s, CRP_SYSTEM_TIME_ZONE))
		return CRP_OK;
	int n = snprintf(b, sizeof b, "GMT%c%02u%02u", minutes < 0 ? '-' : '+', m / 60 % 100, m % 60);
	s->time_zone = crp__arena_strndup(rd->arena, b, (size_t)n);
	if (!s->time_zone)
		return crp__ar_oom(rd);
	s->has |= CRP_SYSTEM_TIME_ZONE;
	return CRP_OK;
}

static bool span_is(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* "ARM-64", "X86-64" (and KSCrash's "X86_64"), "ARM", "X86", "ARM64_32". */
bool crp__ar_cpu_type(const char *s, size_t len, int32_t *type)
{
	static const struct { const char *name; int32_t type; } t[] = {
		{"ARM-64", 0x0100000c}, {"ARM64", 0x0100000c}, {"X86-64", 0x01000007}, {"X86_64", 0x01000007},
		{"ARM", 12}, {"X86", 7}, {"ARM64_32", 0x0200000c}, {"PPC", 18}, {"PPC-64", 0x01000012}};
	for (size_t i = 0; i < CRP_ARRAY_LEN(t); i++)
		if (span_is(s, len, t[i].name)) {
			*type = t[i].type;
			return true;
		}
	return false;
}

/* Every name crp_arch_name() gives the CPU types of Apple's reports, with the first type and
 * subtype that give it (x86_64: subtype 3, CPU_SUBTYPE_X86_64_ALL). A table, not a search
 * through crp_arch_name(): it is asked for every image line (tests/unit/check_apple_read.c
 * checks the two agree). */
static const struct { const char *name; int32_t type, sub; } arch_names[] = {
	{"arm64", 0x0100000c, 0}, {"arm64e", 0x0100000c, 2}, {"x86_64", 0x01000007, 3},
	{"x86_64h", 0x01000007, 8}, {"arm64_32", 0x0200000c, 0}, {"armv7", 12, 9}, {"armv7s", 12, 11},
	{"armv7k", 12, 12}, {"armv7f", 12, 10}, {"armv6", 12, 6}, {"arm", 12, 0}, {"armv4t", 12, 5},
	{"armv5", 12, 7}, {"xscale", 12, 8}, {"armv8", 12, 13}, {"armv6m", 12, 14}, {"armv7m", 12, 15},
	{"armv7em", 12, 16}, {"i386", 7, 0}, {"ppc", 18, 0}, {"ppc64", 0x01000012, 0}};

bool crp__ar_arch(const char *s, size_t len, int32_t *type, int32_t *subtype)
{
	if (len < 3 || len > 8)
		return false;
	for (size_t i = 0; i < CRP_ARRAY_LEN(arch_names); i++)
		if (arch_names[i].name[0] == s[0] && span_is(s, len, arch_names[i].name)) {
			*type = arch_names[i].type;
			*subtype = arch_names[i].sub;
			return true;
		}
	return false;
}

bool crp__apple_arch_word(const char *s, size_t n)
{
	int32_t t, st;
	return crp__ar_arch(s, n, &t, &st) || (n == 6 && memcmp(s, "x86-64", 6) == 0);
}

bool crp__apple_codes_pair(const char *s, size_t n, uint64_t *code, uint64_t *subcode)
{
	const char *comma = memchr(s, ',', n);
	if (!comma || n < 2 || memcmp(s, "0x", 2) != 0)
		return false;
	size_t a = (size_t)(comma - s), b = a + 1;
	while (b < n && s[b] == ' ')
		b++;
	return n > b + 2 && s[b] == '0' && s[b + 1] == 'x' && crp__ar_hex(s + 2, a - 2, code) &&
	       crp__ar_hex(s + b + 2, n - b - 2, subcode);
}

/* Names are looked up as the model keeps them: up to a NUL. */
static int lookup_name(const char *(*fn)(uint64_t), uint64_t max, const char *s, size_t len, uint64_t *out)
{
	for (uint64_t i = 0; i <= max; i++) {
		const char *name = fn(i);
		if (name && span_is(s, len, name)) {
			*out = i;
			return 1;
		}
	}
	return 0;
}

static crp_crash_error *error_of(ar_reader *rd)
{
	crp_body *b = &rd->report->body;
	b->crash.has |= CRP_CRASH_ERROR;
	b->has |= CRP_SECTION_CRASH;
	return &b->crash.error;
}

void crp__ar_exception_type(ar_reader *rd, const char *s, size_t len)
{
	crp_crash_error *e = error_of(rd);
	crp_mach *m = &e->mach;
	uint64_t n;
	const char *copy = crp__ar_text(rd, s, len);
	if (!copy)
		return;
	e->has |= CRP_ERROR_MACH;
	m->exception_name = copy;
	m->has |= CRP_MACH_EXCEPTION_NAME;
	if (lookup_name(crp_mach_exception_name, 64, copy, strlen(copy), &n)) {
		m->exception = n;
		m->has |= CRP_MACH_EXCEPTION;
	}
}

void crp__ar_signal(ar_reader *rd, const char *s, size_t len)
{
	crp_crash_error *e = error_of(rd);
	crp_signal *sg = &e->signal;
	uint64_t n;
	const char *copy = crp__ar_text(rd, s, len);
	if (!copy)
		return;
	e->has |= CRP_ERROR_SIGNAL;
	sg->name = copy;
	sg->has |= CRP_SIGNAL_NAME;
	if (lookup_name(crp_signal_name, 64, copy, strlen(copy), &n)) {
		sg->signal = n;
		sg->has |= CRP_SIGNAL_SIGNAL;
	}
}

/* A signal code name: the signal it belongs to and its number. */
static bool lookup_signal_code(const char *s, size_t len, uint64_t *signal, uint64_t *code)
{
	static const uint64_t signals[] = {4, 5, 8, 10, 11};
	for (size_t i = 0; i < CRP_ARRAY_LEN(signals); i++)
		for (uint64_t c = 0; c < 16; c++) {
			const char *name = crp_signal_code_name(signals[i], c);
			if (name && span_is(s, len, name)) {
				*signal = signals[i];
				*code = c;
				return true;
			}
		}
	return false;
}

void crp__ar_code_at(ar_reader *rd, const char *s, size_t len)
{
	const char *at = NULL;
	for (size_t i = 0; i + 4 <= len; i++)
		if (memcmp(s + i, " at ", 4) == 0) {
			at = s + i;
			break;
		}
	uint64_t addr, n, sig;
	size_t name_len = at ? (size_t)(at - s) : len;
	const char *a = at ? at + 4 : NULL;
	size_t alen = at ? len - (size_t)(a - s) : 0;
	while (alen && a[alen - 1] == ' ')
		alen--;
	if (!at || crp__str_to_u64(a, alen, &addr) != CRP_NUM_OK || alen < 3 || a[1] != 'x')
		return;
	crp_crash_error *e = error_of(rd);
	const char *name = crp__ar_text(rd, s, name_len);
	if (!name)
		return;
	e->address = addr;
	e->has |= CRP_ERROR_ADDRESS;
	if (lookup_signal_code(name, strlen(name), &sig, &n)) {
		e->has |= CRP_ERROR_SIGNAL;
		e->signal.code = n;
		e->signal.code_name = name;
		e->signal.has |= CRP_SIGNAL_CODE | CRP_SIGNAL_CODE_NAME;
		return;
	}
	e->has |= CRP_ERROR_MACH;
	e->mach.code_name = name;
	e->mach.has |= CRP_MACH_CODE_NAME;
	if (!(e->mach.has & CRP_MACH_CODE) && lookup_name(crp_kern_return_name, 64, name, strlen(name), &n)) {
		e->mach.code = n;
		e->mach.has |= CRP_MACH_CODE;
	}
}

/* "iPhone OS 15.5": the system's name and its version (split at the last space); "??? 15.5"
 * is a version without a name, as the writers write it. */
void crp__ar_train(ar_reader *rd, const char *s, size_t len)
{
	crp_system *sys = &rd->report->body.system;
	const char *nul = memchr(s, '\0', len);
	len = nul ? (size_t)(nul - s) : len; /* the model's texts end at a NUL: so does the train */
	size_t sp = len;
	while (sp && s[sp - 1] != ' ')
		sp--;
	rd->report->body.has |= CRP_SECTION_SYSTEM;
	if (sp == 0)
		sp = len + 1; /* one word is a name, as the writers write one without a version */
	if (sp > 1 && !span_is(s, sp - 1, "???")) {
		if (!(sys->system_name = crp__ar_text(rd, s, sp - 1)))
			return;
		sys->has |= CRP_SYSTEM_SYSTEM_NAME;
	}
	if (sp < len && (sys->system_version = crp__ar_text(rd, s + sp, len - sp)) != NULL)
		sys->has |= CRP_SYSTEM_SYSTEM_VERSION;
}

/* Apple's register names as KSCrash writes them, and which of its two sets each is in. */
const char *crp__ar_reg_name(ar_reader *rd, const char *s, size_t len, bool *exception)
{
	static const struct { const char *apple, *ks; bool exc; } names[] = {
		{"cr2", "faultvaddr", true}, {"trap", "trapno", true}, {"err", "err", true},
		{"cpu", "cpu", true}, {"far", "far", true}, {"esr", "esr", true},
		{"exception", "exception", true}, {"fsr", "fsr", true}, {"rfl", "rflags", false},
		{"efl", "eflags", false}};
	*exception = false;
	for (size_t i = 0; len && i < CRP_ARRAY_LEN(names); i++)
		if (names[i].apple[0] == s[0] && span_is(s, len, names[i].apple)) {
			*exception = names[i].exc;
			return names[i].ks;
		}
	return crp__ar_text(rd, s, len);
}
