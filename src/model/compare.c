#include <stdio.h>

#include "compare.h"
#include "model.h"

typedef struct cmp {
	char *where;
	size_t cap;
	bool found;
} cmp;

static int differ(cmp *c, const char *path)
{
	if (!c->found && c->where && c->cap) {
		snprintf(c->where, c->cap, "%s", path);
		c->found = true;
	}
	return 1;
}

static bool span_eq(crp_span a, crp_span b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

int crp__value_compare(const crp_value *a, const crp_value *b)
{
	if (!a || !b)
		return a != b;
	if (a->type != b->type)
		return 1;
	switch (a->type) {
	case CRP_VALUE_NULL: return 0;
	case CRP_VALUE_BOOL: return a->u.boolean != b->u.boolean;
	case CRP_VALUE_NUMBER: return !span_eq(a->u.num, b->u.num);
	case CRP_VALUE_STRING: return !span_eq(a->u.str, b->u.str);
	case CRP_VALUE_ARRAY:
		if (a->u.arr.count != b->u.arr.count)
			return 1;
		for (size_t i = 0; i < a->u.arr.count; i++)
			if (crp__value_compare(&a->u.arr.items[i], &b->u.arr.items[i]))
				return 1;
		return 0;
	case CRP_VALUE_OBJECT:
		if (a->u.obj.count != b->u.obj.count)
			return 1;
		for (size_t i = 0; i < a->u.obj.count; i++)
			if (!span_eq(a->u.obj.members[i].key, b->u.obj.members[i].key) ||
			    crp__value_compare(&a->u.obj.members[i].value, &b->u.obj.members[i].value))
				return 1;
		return 0;
	}
	return 1;
}

static int record(cmp *c, const crp_rdesc *rd, const void *a, const void *b, const char *path);

static int extras(cmp *c, const crp_extras *a, const crp_extras *b, const char *path)
{
	crp_value va = {CRP_VALUE_OBJECT, {0}}, vb = {CRP_VALUE_OBJECT, {0}};
	va.u.obj.members = a->members;
	va.u.obj.count = a->count;
	vb.u.obj.members = b->members;
	vb.u.obj.count = b->count;
	return crp__value_compare(&va, &vb) ? differ(c, path) : 0;
}

static int strays(cmp *c, const crp_strays *a, const crp_strays *b, const char *path)
{
	if (a->count != b->count)
		return differ(c, path);
	for (size_t i = 0; i < a->count; i++)
		if (a->items[i].index != b->items[i].index ||
		    crp__value_compare(&a->items[i].value, &b->items[i].value))
			return differ(c, path);
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static int array(cmp *c, const crp_array_slot *a, const crp_array_slot *b, const crp_rdesc *sub,
		 const char *path)
{
	char sp[512];
	if (a->count != b->count)
		return differ(c, path);
	for (size_t i = 0; i < a->count; i++) {
		snprintf(sp, sizeof sp, "%s[%zu]", path, i);
		if (sub ? record(c, sub, (const char *)a->items + i * sub->size,
				 (const char *)b->items + i * sub->size, sp)
			: !str_eq(((const char *const *)a->items)[i], ((const char *const *)b->items)[i]))
			return differ(c, sp);
	}
	return strays(c, &a->strays, &b->strays, path);
}

static int regset(cmp *c, const crp_regset *a, const crp_regset *b, const char *path)
{
	if (a->count != b->count)
		return differ(c, path);
	for (size_t i = 0; i < a->count; i++)
		if (!str_eq(a->regs[i].name, b->regs[i].name) || a->regs[i].value != b->regs[i].value)
			return differ(c, path);
	return extras(c, &a->extras, &b->extras, path);
}

static bool time_eq(const crp_time *a, const crp_time *b)
{
	bool ea = a->form == CRP_TIME_EMPTY, eb = b->form == CRP_TIME_EMPTY;
	return ea == eb && (ea || a->usec == b->usec);
}

static int field(cmp *c, const crp_fdesc *f, const void *a, const void *b, const char *path)
{
	switch (f->kind) {
	case CRP_K_U64: return *(const uint64_t *)a != *(const uint64_t *)b;
	case CRP_K_I64: return *(const int64_t *)a != *(const int64_t *)b;
	case CRP_K_I32: return *(const int32_t *)a != *(const int32_t *)b;
	case CRP_K_F64: return *(const double *)a != *(const double *)b;
	case CRP_K_BOOL: return *(const bool *)a != *(const bool *)b;
	case CRP_K_STR: return !str_eq(*(const char *const *)a, *(const char *const *)b);
	case CRP_K_TIME: return !time_eq(a, b);
	case CRP_K_UUID: return memcmp(a, b, sizeof(crp_uuid)) != 0;
	case CRP_K_HEX: {
		const crp_bytes *x = a, *y = b;
		return x->len != y->len || (x->len && memcmp(x->data, y->data, x->len) != 0);
	}
	case CRP_K_VALUE:
	case CRP_K_USER: return crp__value_compare(*(const crp_value *const *)a, *(const crp_value *const *)b);
	case CRP_K_RECORD:
	case CRP_K_BACKTRACE: return record(c, f->sub, a, b, path);
	case CRP_K_RECPTR: return record(c, f->sub, *(const void *const *)a, *(const void *const *)b, path);
	case CRP_K_ARRAY: return array(c, a, b, f->sub, path);
	case CRP_K_STRLIST: return array(c, a, b, NULL, path);
	case CRP_K_REGSET: return regset(c, a, b, path);
	case CRP_K_VERSION: {
		/* the form (string, object, 2012 keys) is provenance; what it says is content */
		const crp_version *x = a, *y = b;
		return x->major != y->major || x->minor != y->minor || x->patch != y->patch ||
		       !str_eq(x->text, y->text);
	}
	case CRP_K_REPORT: {
		const crp_report *x = *(const crp_report *const *)a, *y = *(const crp_report *const *)b;
		return record(c, &crp__body_desc, &x->body, &y->body, path);
	}
	}
	return 1;
}

/* frame.symbolicated: added by symbolication, not read from the input */
static int symbolication(cmp *c, const crp_symbolication *a, const crp_symbolication *b,
			 const char *path)
{
	char sp[512];
	snprintf(sp, sizeof sp, "%s.symbolicated", path);
	if (!a || !b)
		return a != b ? differ(c, sp) : 0;
	if (a->source != b->source || a->flags != b->flags || a->lookup_addr != b->lookup_addr ||
	    a->function_addr != b->function_addr || a->offset != b->offset || !str_eq(a->image, b->image) ||
	    !str_eq(a->linkage_name, b->linkage_name) || a->count != b->count)
		return differ(c, sp);
	for (size_t i = 0; i < a->count; i++) {
		const crp_symloc *x = &a->locs[i], *y = &b->locs[i];
		if (!str_eq(x->function, y->function) || !str_eq(x->file, y->file) ||
		    x->line != y->line || x->column != y->column)
			return differ(c, sp);
	}
	return 0;
}

static int record(cmp *c, const crp_rdesc *rd, const void *a, const void *b, const char *path)
{
	const crp_record_head *ha = a, *hb = b;
	char sp[512];
	if (ha->has != hb->has)
		return differ(c, path[0] ? path : "(report)");
	for (size_t i = 0; i < rd->field_count; i++) {
		const crp_fdesc *f = &rd->fields[i];
		if ((f->flags & CRP_FF_ALIAS) || !(ha->has & f->bit))
			continue;
		snprintf(sp, sizeof sp, "%s%s%s", path, path[0] ? "." : "", f->key);
		if (field(c, f, (const char *)a + f->off, (const char *)b + f->off, sp))
			return differ(c, sp);
	}
	if (rd == &crp__frame_desc &&
	    symbolication(c, ((const crp_frame *)a)->symbolicated, ((const crp_frame *)b)->symbolicated, path))
		return 1;
	return extras(c, &ha->extras, &hb->extras, path);
}

int crp__report_compare(const crp_report *a, const crp_report *b, char *where, size_t cap)
{
	cmp c = {where, cap, false};
	if (where && cap)
		where[0] = '\0';
	return record(&c, &crp__body_desc, &a->body, &b->body, "");
}
