/* KSCrash-format JSON writer (current 3.x layout). Walks the same field tables the reader
 * uses, so every typed field is written in KSCrash's writer order, followed by the record's
 * untyped extras in document order; strays are put back at their original array positions.
 *
 * Normalisations (documented in converters/README.md): the version is always a "M.m.p"
 * string; times are RFC 3339 UTC strings (with microseconds when the input had sub-second
 * precision or was written in microseconds); the 2012 layout, flat registers, *_atcrash
 * sections and the old recrash layout come out in the current shape. */
#include <stdio.h>

#include "common/convert.h"
#include "demangle/demangle.h"
#include "model/model.h"
#include "crashport/sys/emitter.h"

typedef struct json_state {
	unsigned indent;   /* spaces per level; 0 writes one line per report */
	bool indent_set;
} json_state;

typedef struct jw {
	crp_emit_ctx *c;
	unsigned indent;
} jw;

typedef struct jcont {
	jw *w;
	unsigned depth;
	bool first;
} jcont;

static const char spaces[] = "                                                                ";

static void newline(jw *w, unsigned depth)
{
	if (!w->indent)
		return;
	crp_emit_write(w->c, "\n", 1);
	size_t n = (size_t)depth * w->indent;
	while (n) {
		size_t k = n < sizeof spaces - 1 ? n : sizeof spaces - 1;
		crp_emit_write(w->c, spaces, k);
		n -= k;
	}
}

static void open_cont(jw *w, jcont *o, unsigned depth, char bracket)
{
	o->w = w;
	o->depth = depth + 1;
	o->first = true;
	crp_emit_write(w->c, &bracket, 1);
}

static void next_item(jcont *o)
{
	if (!o->first)
		crp_emit_write(o->w->c, ",", 1);
	o->first = false;
	newline(o->w, o->depth);
}

static void close_cont(jcont *o, char bracket)
{
	if (!o->first)
		newline(o->w, o->depth - 1);
	crp_emit_write(o->w->c, &bracket, 1);
}

static void write_string(jw *w, const char *s, size_t len)
{
	crp_emit_ctx *c = w->c;
	size_t run = 0;
	crp_emit_write(c, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (CRP_LIKELY(ch >= 0x20 && ch != '"' && ch != '\\'))
			continue;
		crp_emit_write(c, s + run, i - run);
		run = i + 1;
		char esc[6];
		crp_emit_write(c, esc, crp__json_escape(ch, esc));
	}
	crp_emit_write(c, s + run, len - run);
	crp_emit_write(c, "\"", 1);
}

static void write_key(jcont *o, const char *k, size_t len)
{
	next_item(o);
	write_string(o->w, k, len);
	crp_emit_write(o->w->c, o->w->indent ? ": " : ":", o->w->indent ? 2 : 1);
}

static void write_value(jw *w, const crp_value *v, unsigned depth)
{
	jcont o;
	switch (v->type) {
	case CRP_VALUE_NULL: crp_emit_write(w->c, "null", 4); break;
	case CRP_VALUE_BOOL: crp_emit_puts(w->c, v->u.boolean ? "true" : "false"); break;
	case CRP_VALUE_NUMBER: crp_emit_write(w->c, v->u.num.ptr, v->u.num.len); break;
	case CRP_VALUE_STRING: write_string(w, v->u.str.ptr, v->u.str.len); break;
	case CRP_VALUE_ARRAY:
		open_cont(w, &o, depth, '[');
		for (size_t i = 0; i < v->u.arr.count; i++) {
			next_item(&o);
			write_value(w, &v->u.arr.items[i], o.depth);
		}
		close_cont(&o, ']');
		break;
	case CRP_VALUE_OBJECT:
		open_cont(w, &o, depth, '{');
		for (size_t i = 0; i < v->u.obj.count; i++) {
			const crp_member *m = &v->u.obj.members[i];
			write_key(&o, m->key.ptr, m->key.len);
			write_value(w, &m->value, o.depth);
		}
		close_cont(&o, '}');
		break;
	}
}

static void write_time(jw *w, const crp_time *t)
{
	char buf[40];
	if (t->form == CRP_TIME_EMPTY) {
		crp_emit_write(w->c, "\"\"", 2);
		return;
	}
	bool whole = t->form == CRP_TIME_TEXT || t->form == CRP_TIME_UNIX_SECONDS;
	size_t n = crp_time_format(t->usec, whole && t->usec % 1000000 == 0 ? 0 : 6, buf);
	write_string(w, buf, n);
}

static void write_hex(jw *w, const crp_bytes *b)
{
	static const char hex[] = "0123456789ABCDEF";
	char buf[256];
	size_t n = 0;
	crp_emit_write(w->c, "\"", 1);
	for (size_t i = 0; i < b->len; i++) {
		buf[n++] = hex[b->data[i] >> 4];
		buf[n++] = hex[b->data[i] & 15];
		if (n == sizeof buf) {
			crp_emit_write(w->c, buf, n);
			n = 0;
		}
	}
	crp_emit_write(w->c, buf, n);
	crp_emit_write(w->c, "\"", 1);
}

static void write_record(jw *w, const crp_rdesc *rd, const void *rec, unsigned depth);

static void write_array(jw *w, const crp_array_slot *slot, const crp_rdesc *sub, unsigned depth)
{
	jcont o;
	size_t ti = 0, si = 0;
	const crp_strays *st = &slot->strays;
	open_cont(w, &o, depth, '[');
	while (ti < slot->count || si < st->count) {
		next_item(&o);
		if (si < st->count && (ti == slot->count || st->items[si].index <= ti + si)) {
			write_value(w, &st->items[si++].value, o.depth);
		} else if (sub) {
			write_record(w, sub, (const char *)slot->items + ti++ * sub->size, o.depth);
		} else {
			const char *s = ((const char *const *)slot->items)[ti++];
			write_string(w, s, strlen(s));
		}
	}
	close_cont(&o, ']');
}

static void write_extras(jcont *o, const crp_extras *x)
{
	for (size_t i = 0; i < x->count; i++) {
		write_key(o, x->members[i].key.ptr, x->members[i].key.len);
		write_value(o->w, &x->members[i].value, o->depth);
	}
}

static void write_regset(jw *w, const crp_regset *rs, unsigned depth)
{
	jcont o;
	open_cont(w, &o, depth, '{');
	for (size_t i = 0; i < rs->count; i++) {
		write_key(&o, rs->regs[i].name, strlen(rs->regs[i].name));
		crp_emit_u64(w->c, rs->regs[i].value);
	}
	write_extras(&o, &rs->extras);
	close_cont(&o, '}');
}

static void write_field(jw *w, const crp_fdesc *f, const void *p, unsigned depth)
{
	char buf[40];
	switch (f->kind) {
	case CRP_K_U64: crp_emit_u64(w->c, *(const uint64_t *)p); break;
	case CRP_K_I64: crp_emit_i64(w->c, *(const int64_t *)p); break;
	case CRP_K_I32: crp_emit_i64(w->c, *(const int32_t *)p); break;
	case CRP_K_F64: crp_emit_write(w->c, buf, crp__format_double(*(const double *)p, buf)); break;
	case CRP_K_BOOL: crp_emit_puts(w->c, *(const bool *)p ? "true" : "false"); break;
	case CRP_K_STR: write_string(w, *(const char *const *)p, strlen(*(const char *const *)p)); break;
	case CRP_K_TIME: write_time(w, p); break;
	case CRP_K_UUID:
		crp_uuid_format(p, buf);
		write_string(w, buf, 36);
		break;
	case CRP_K_HEX: write_hex(w, p); break;
	case CRP_K_VALUE:
	case CRP_K_USER: write_value(w, *(const crp_value *const *)p, depth); break;
	case CRP_K_RECORD:
	case CRP_K_BACKTRACE: write_record(w, f->sub, p, depth); break;
	case CRP_K_RECPTR: write_record(w, f->sub, *(const void *const *)p, depth); break;
	case CRP_K_ARRAY: write_array(w, p, f->sub, depth); break;
	case CRP_K_STRLIST: write_array(w, p, NULL, depth); break;
	case CRP_K_REGSET: write_regset(w, p, depth); break;
	case CRP_K_VERSION: {
		const char *t = ((const crp_version *)p)->text;
		write_string(w, t, strlen(t));
		break;
	}
	case CRP_K_REPORT:
		write_record(w, &crp__body_desc, &(*(const crp_report *const *)p)->body, depth);
		break;
	}
}

/* One entry of symbolicated.locations; a Swift function is written demangled, with its
 * mangled name as linkage_name. */
static void write_location(jw *w, jcont *a, const crp_symloc *loc, char *dm, size_t cap)
{
	jcont l;
	open_cont(w, &l, a->depth, '{');
	if (loc->function) {
		size_t n = crp__is_swift_mangled(loc->function)
				   ? crp__demangle_swift(loc->function, strlen(loc->function), dm, cap, 0, NULL)
				   : 0;
		write_key(&l, "function", 8);
		write_string(w, n ? dm : loc->function, n ? n : strlen(loc->function));
		if (n) {
			write_key(&l, "linkage_name", 12);
			write_string(w, loc->function, strlen(loc->function));
		}
	}
	if (loc->file) {
		write_key(&l, "file", 4);
		write_string(w, loc->file, strlen(loc->file));
	}
	if (loc->line) {
		write_key(&l, "line", 4);
		crp_emit_u64(w->c, loc->line);
	}
	if (loc->column) {
		write_key(&l, "column", 6);
		crp_emit_u64(w->c, loc->column);
	}
	close_cont(&l, '}');
}

/* frame.symbolicated (crp_report_symbolicate()); the shape is in schema/symbolication.md. */
static void write_symbolicated(jcont *fo, const crp_symbolication *sy)
{
	static const char *const sources[] = {"none", "symtab", "dwarf", "function_starts", "report"};
	static const char *const flags[] = {"adjusted", "pac_stripped", "swift", "demangled"};
	jw *w = fo->w;
	jcont o, a;
	write_key(fo, "symbolicated", 12);
	open_cont(w, &o, fo->depth, '{');
	write_key(&o, "source", 6);
	const char *src = (unsigned)sy->source < 5 ? sources[sy->source] : "none";
	write_string(w, src, strlen(src));
	if (sy->flags & 0xfu) {
		write_key(&o, "flags", 5);
		open_cont(w, &a, o.depth, '[');
		for (unsigned i = 0; i < 4; i++)
			if (sy->flags & (1u << i)) {
				next_item(&a);
				write_string(w, flags[i], strlen(flags[i]));
			}
		close_cont(&a, ']');
	}
	if (sy->image) {
		write_key(&o, "image", 5);
		write_string(w, sy->image, strlen(sy->image));
	}
	write_key(&o, "lookup_addr", 11);
	crp_emit_u64(w->c, sy->lookup_addr);
	if (sy->function_addr) {
		write_key(&o, "function_addr", 13);
		crp_emit_u64(w->c, sy->function_addr);
		write_key(&o, "offset", 6);
		crp_emit_u64(w->c, sy->offset);
	}
	/* Swift names are left mangled by the symbolicator: written demangled (full style),
	 * their mangled form kept beside them as for C++ (schema/symbolication.md). */
	char dm[CRP_DEMANGLE_BUFFER];
	const char *outer = sy->count ? sy->locs[sy->count - 1].function : NULL;
	const char *linkage = sy->linkage_name;
	if (!linkage && outer && crp__is_swift_mangled(outer) &&
	    crp__demangle_swift(outer, strlen(outer), dm, sizeof dm, 0, NULL))
		linkage = outer;
	if (linkage) {
		write_key(&o, "linkage_name", 12);
		write_string(w, linkage, strlen(linkage));
	}
	write_key(&o, "locations", 9);
	open_cont(w, &a, o.depth, '[');
	for (size_t i = 0; i < sy->count; i++) {
		next_item(&a);
		write_location(w, &a, &sy->locs[i], dm, sizeof dm);
	}
	close_cont(&a, ']');
	close_cont(&o, '}');
}

static void write_record(jw *w, const crp_rdesc *rd, const void *rec, unsigned depth)
{
	jcont o;
	const crp_record_head *h = rec;
	open_cont(w, &o, depth, '{');
	for (size_t i = 0; i < rd->field_count; i++) {
		const crp_fdesc *f = &rd->fields[i];
		if ((f->flags & CRP_FF_ALIAS) || !(h->has & f->bit))
			continue;
		write_key(&o, f->key, f->key_len);
		write_field(w, f, (const char *)rec + f->off, o.depth);
	}
	if (rd == &crp__frame_desc && ((const crp_frame *)rec)->symbolicated)
		write_symbolicated(&o, ((const crp_frame *)rec)->symbolicated);
	write_extras(&o, &h->extras);
	close_cont(&o, '}');
}

static int json_set_param(crp_emit_ctx *c, void *state, const char *key, const char *value)
{
	json_state *s = state;
	CRP_UNUSED(c);
	if (strcmp(key, "indent") == 0 && value[0] >= '0' && value[0] <= '8' && !value[1]) {
		s->indent = (unsigned)(value[0] - '0');
		s->indent_set = true;
		return CRP_OK;
	}
	if (strcmp(key, "compact") == 0 && !value[0]) {
		s->indent = 0;
		s->indent_set = true;
		return CRP_OK;
	}
	return CRP_EUNSUPPORTED;
}

static int json_begin(crp_emit_ctx *c, void *state)
{
	json_state *s = state;
	CRP_UNUSED(c);
	if (!s->indent_set)
		s->indent = 4; /* KSCrash's own pretty-printing */
	return CRP_OK;
}

static int json_write_report(crp_emit_ctx *c, void *state, const crp_report *r)
{
	json_state *s = state;
	jw w = {c, s->indent};
	write_record(&w, &crp__body_desc, &r->body, 0);
	return crp_emit_write(c, "\n", 1);
}

const crp_emitter crp__emitter_json = {
	CRP_EMITTER_VERSION, "json", ".json",
	"KSCrash JSON, current 3.x layout (options: indent=0..8, compact)", 0,
	sizeof(json_state), json_set_param, json_begin, json_write_report, NULL, NULL,
};
