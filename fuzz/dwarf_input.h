/* The input layout of the DWARF targets (dwarf_fuzzer, symcache_roundtrip_fuzzer): ten
 * little-endian 16-bit section sizes, then the sections one after the other (cut short where
 * the input ends), in this order: .debug_info, _abbrev, _line, _str, _line_str, _ranges,
 * _rnglists, _addr, _str_offsets, _aranges; wrapped in a synthetic dSYM whose __TEXT is
 * [0x1000, 0x2000). */
#ifndef CRP_FUZZ_DWARF_INPUT_H
#define CRP_FUZZ_DWARF_INPUT_H

#include "machobuild.h"

#define DWARF_INPUT_SECTIONS 10
#define DWARF_INPUT_TEXT_LO 0x1000u
#define DWARF_INPUT_TEXT_HI 0x2000u

/* The dSYM of the input (the caller frees .p), or one with p NULL when the input is too short. */
static inline mb_buf dwarf_input_dsym(const uint8_t *data, size_t size, const uint8_t uuid[16])
{
	static const char *const names[DWARF_INPUT_SECTIONS] = {
		"__debug_info",   "__debug_abbrev",   "__debug_line", "__debug_str",      "__debug_line_str",
		"__debug_ranges", "__debug_rnglists", "__debug_addr", "__debug_str_offs", "__debug_aranges"};
	mb_section secs[DWARF_INPUT_SECTIONS];
	size_t off = 2 * DWARF_INPUT_SECTIONS;
	if (size < off)
		return (mb_buf){NULL, 0, 0};
	for (int i = 0; i < DWARF_INPUT_SECTIONS; i++) {
		size_t want = (size_t)data[2 * i] | (size_t)data[2 * i + 1] << 8;
		size_t n = want < size - off ? want : size - off;
		secs[i] = (mb_section){names[i], data + off, n};
		off += n;
	}
	return mb_dsym(uuid, DWARF_INPUT_TEXT_LO, DWARF_INPUT_TEXT_HI - DWARF_INPUT_TEXT_LO, secs, DWARF_INPUT_SECTIONS);
}

#endif
