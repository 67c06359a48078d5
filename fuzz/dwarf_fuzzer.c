/* The DWARF reader and index on arbitrary section contents. The input is ten little-endian
 * 16-bit section sizes, then the sections one after the other (cut short where the input
 * ends), in this order: .debug_info, _abbrev, _line, _str, _line_str, _ranges, _rnglists,
 * _addr, _str_offsets, _aranges. They are wrapped in a synthetic dSYM and every 16th address
 * of [0x1000, 0x2000) is looked up. Must never crash, hang or leak. */
#include <stdint.h>
#include <string.h>

#include "crashport/crashport.h"
#include "crashport/symbols.h"
#include "machobuild.h"

#define NSECT 10

static const char *const names[NSECT] = {"__debug_info", "__debug_abbrev", "__debug_line",
					  "__debug_str", "__debug_line_str", "__debug_ranges",
					  "__debug_rnglists", "__debug_addr", "__debug_str_offs",
					  "__debug_aranges"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t uuid[16] = {0xf0, 0x22};
	if (size < 2 * NSECT)
		return 0;
	mb_section secs[NSECT];
	size_t off = 2 * NSECT;
	for (int i = 0; i < NSECT; i++) {
		size_t want = (size_t)data[2 * i] | (size_t)data[2 * i + 1] << 8;
		size_t n = want < size - off ? want : size - off;
		secs[i] = (mb_section){names[i], data + off, n};
		off += n;
	}
	mb_buf img = mb_dsym(uuid, 0x1000, 0x1000, secs, NSECT);
	crp_symbolicator *s;
	if (crp_symbolicator_new(&s, NULL) == CRP_OK) {
		if (crp_symbolicator_add_memory(s, img.p, img.n, "fuzz.dSYM", NULL) == CRP_OK)
			for (uint64_t a = 0x1000; a < 0x2000; a += 16) {
				const crp_symbolication *sym;
				if (crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0), a, NULL) != CRP_OK)
					break;
			}
		crp_symbolicator_free(s);
	}
	free(img.p);
	return 0;
}
