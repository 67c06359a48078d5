/* Every public header, alone and together, compiles with -pedantic -Werror. */
#include "crashport/common.h"
#include "crashport/error.h"
#include "crashport/value.h"
#include "crashport/report.h"
#include "crashport/parse.h"
#include "crashport/emit.h"
#include "crashport/convert.h"
#include "crashport/format.h"
#include "crashport/crpb.h"
#include "crashport/symbols.h"
#include "crashport/validate.h"
#include "crashport/version.h"
#include "crashport/sys/emitter.h"
#include "crashport/crashport.h"

int crp_headertest(void);
int crp_headertest(void)
{
	crp_parse_options po = CRP_PARSE_OPTIONS_INIT;
	crp_emit_options eo = CRP_EMIT_OPTIONS_INIT;
	crp_buffer b = CRP_BUFFER_INIT;
	crp_symbolicator_options so = CRP_SYMBOLICATOR_OPTIONS_INIT;
	crp_symbolicate_options sy = CRP_SYMBOLICATE_OPTIONS_INIT;
	return (int)(po.version + eo.version + b.len + so.version + sy.version) + CRP_VERSION_NUMBER;
}
