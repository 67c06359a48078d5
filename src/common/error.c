#include <stdio.h>

#include "internal.h"
#include "crashport/validate.h"

const char *crp_status_str(int status)
{
	switch (status) {
	case CRP_OK: return "success";
	case CRP_ERROR: return "error";
	case CRP_ENOMEM: return "out of memory";
	case CRP_EINVAL: return "invalid argument";
	case CRP_ESYNTAX: return "invalid JSON";
	case CRP_ETRUNCATED: return "truncated input";
	case CRP_ESCHEMA: return "not a crash report";
	case CRP_ELIMIT: return "limit exceeded";
	case CRP_EIO: return "input/output error";
	case CRP_EUNSUPPORTED: return "unsupported";
	case CRP_ENOTFOUND: return "not found";
	case CRP_EUSER: return "stopped by callback";
	case CRP_EEMPTY: return "no report in input";
	case CRP_ECORRUPT: return "corrupt input";
	case CRP_ITEROVER: return "no more items";
	default: return "unknown status";
	}
}

const char *crp_code_name(int code)
{
	switch (code) {
	case CRP_OK: return "ok";
	case CRP_ERROR: return "error";
	case CRP_ENOMEM: return "nomem";
	case CRP_EINVAL: return "invalid-argument";
	case CRP_ESYNTAX: return "syntax";
	case CRP_ETRUNCATED: return "truncated";
	case CRP_ESCHEMA: return "schema";
	case CRP_ELIMIT: return "limit";
	case CRP_EIO: return "io";
	case CRP_EUNSUPPORTED: return "unsupported";
	case CRP_ENOTFOUND: return "not-found";
	case CRP_EUSER: return "stopped";
	case CRP_EEMPTY: return "empty";
	case CRP_ECORRUPT: return "corrupt";
	case CRP_ITEROVER: return "end";
	case CRP_W_TRUNCATED: return "truncated";
	case CRP_W_TYPE: return "type";
	case CRP_W_DUPLICATE: return "duplicate";
	case CRP_W_UTF8: return "utf8";
	case CRP_W_NUMBER: return "number";
	case CRP_W_SALVAGED: return "salvaged";
	case CRP_W_VALUE: return "value";
	case CRP_W_SUPPRESSED: return "suppressed";
	case CRP_W_SYMBOLS: return "symbols";
	case CRP_CHECK_MISSING: return "missing";
	case CRP_CHECK_RANGE: return "range";
	case CRP_CHECK_ADDRESS: return "address";
	case CRP_CHECK_CONSISTENCY: return "consistency";
	case CRP_CHECK_UNKNOWN: return "unknown-value";
	default: return "unknown";
	}
}

void crp__error_clear(crp_error *e)
{
	memset(e, 0, sizeof *e);
}

void crp__error_setv(crp_error *e, int code, const char *fmt, va_list ap)
{
	e->code = code;
	vsnprintf(e->message, sizeof e->message, fmt, ap);
}

void crp__error_set(crp_error *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	crp__error_setv(e, code, fmt, ap);
	va_end(ap);
}

void crp__error_set_path(crp_error *e, const char *path, size_t len)
{
	size_t cap = sizeof e->json_path - 1;
	if (len <= cap) {
		memcpy(e->json_path, path, len);
		e->json_path[len] = '\0';
		return;
	}
	memcpy(e->json_path, "...", 3);
	memcpy(e->json_path + 3, path + len - (cap - 3), cap - 3);
	e->json_path[cap] = '\0';
}
