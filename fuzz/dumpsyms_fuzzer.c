/* The Breakpad symbol file writer on arbitrary bytes taken as a Mach-O file (thin or universal,
 * binary or dSYM): headers, slices, symbol table, DWARF units, line programs and inline trees.
 * Must never crash, hang or leak; the same input must give the same bytes twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crashport/breakpad.h"
#include "crashport/emit.h"

static int discard(void *ctx, const void *buf, size_t len)
{
	(void)buf;
	*(size_t *)ctx += len;
	return 0;
}

/* One slice: the only one, else each architecture a universal file is likely to hold. */
static void dump(const uint8_t *data, size_t size, const char *arch, unsigned flags)
{
	crp_breakpad_options o = CRP_BREAKPAD_OPTIONS_INIT;
	o.arch = arch;
	o.flags = flags;
	crp_buffer a = CRP_BUFFER_INIT, b = CRP_BUFFER_INIT;
	crp_sink sa, sb;
	crp_sink_init_buffer(&sa, &a);
	crp_sink_init_buffer(&sb, &b);
	int ra = crp_breakpad_dump_syms_memory(NULL, &sa, data, size, NULL, 0, "fuzz", &o, NULL);
	int rb = crp_breakpad_dump_syms_memory(NULL, &sb, data, size, NULL, 0, "fuzz", &o, NULL);
	if (ra != rb || a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
		abort(); /* output must not depend on anything but the input */
	crp_buffer_dispose(&a);
	crp_buffer_dispose(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const arches[] = {"x86_64", "arm64", "arm64e", "armv7"};
	size_t seen = 0;
	crp_sink count = {discard, &seen};
	crp_breakpad_options o = CRP_BREAKPAD_OPTIONS_INIT;
	o.flags = CRP_BREAKPAD_MULTIPLE;
	/* the dSYM role too: the same bytes as both inputs must agree with themselves */
	crp_breakpad_dump_syms_memory(NULL, &count, data, size, data, size, "fuzz", &o, NULL);
	if (crp_breakpad_dump_syms_memory(NULL, &count, data, size, NULL, 0, NULL, NULL, NULL) != CRP_EINVAL) {
		dump(data, size, NULL, 0);
		return 0;
	}
	for (size_t i = 0; i < sizeof arches / sizeof *arches; i++)
		dump(data, size, arches[i], CRP_BREAKPAD_NO_INLINES);
	return 0;
}
