#include "common/internal.h"

static const crp_value *find_member(const crp_member *m, size_t n, const char *key)
{
	size_t len = strlen(key);
	for (size_t i = 0; i < n; i++)
		if (m[i].key.len == len && memcmp(m[i].key.ptr, key, len) == 0)
			return &m[i].value;
	return NULL;
}

const crp_value *crp_value_get(const crp_value *v, const char *key)
{
	if (!v || v->type != CRP_VALUE_OBJECT || !key)
		return NULL;
	return find_member(v->u.obj.members, v->u.obj.count, key);
}

const crp_value *crp_extras_get(const crp_extras *extras, const char *key)
{
	if (!extras || !key)
		return NULL;
	return find_member(extras->members, extras->count, key);
}
