/* The DWARF reader and index on arbitrary section contents (the layout in dwarf_input.h),
 * every 16th address of the synthetic dSYM's __TEXT looked up. Must never crash, hang or
 * leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crashport/crashport.h"
#include "crashport/symbols.h"
#include "dwarf_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t uuid[16] = {0xf0, 0x22};
	mb_buf img = dwarf_input_dsym(data, size, uuid);
	if (!img.p)
		return 0;
	crp_symbolicator *s;
	if (crp_symbolicator_new(&s, NULL) == CRP_OK) {
		if (crp_symbolicator_add_memory(s, img.p, img.n, "fuzz.dSYM", NULL) == CRP_OK)
			for (uint64_t a = DWARF_INPUT_TEXT_LO; a < DWARF_INPUT_TEXT_HI; a += 16) {
				const crp_symbolication *sym;
				if (crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0), a, NULL) != CRP_OK)
					break;
			}
		crp_symbolicator_free(s);
	}
	free(img.p);
	return 0;
}
