#include <stdio.h>
#include <yajl/yajl_version.h>
#include <zlib.h>

#include "internal.h"

unsigned crp_version_number(void) { return CRP_VERSION_NUMBER; }
const char *crp_version_string(void) { return CRP_VERSION_STRING; }

const char *crp_version_details(void)
{
	/* Both versions are fixed at build time, so the text can be too. */
#define STR_(x) #x
#define STR(x) STR_(x)
	return "crashport " CRP_VERSION_STRING " (yajl " STR(YAJL_MAJOR) "." STR(YAJL_MINOR) "." STR(
		YAJL_MICRO) ", zlib " ZLIB_VERSION ")";
#undef STR
#undef STR_
}
