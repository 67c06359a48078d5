/* The symbolicator on arbitrary bytes taken as a Mach-O file (thin or universal): headers,
 * symbol table, function starts, DWARF if any, lookups across each image's __TEXT, and a
 * report symbolicated against it. Must never crash, hang or leak. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crashport/crashport.h"
#include "crashport/symbols.h"

#define LOOKUPS 64

static void lookups(crp_symbolicator *s, const crp_symbol_image *im, const crp_symbol_image_info *info)
{
	uint64_t step = info->text_vmsize / LOOKUPS ? info->text_vmsize / LOOKUPS : 1;
	for (uint64_t k = 0; k < LOOKUPS + 2; k++) {
		const crp_symbolication *sym;
		if (crp_symbolicator_lookup(&sym, s, im, info->text_vmaddr + k * step - 1, NULL) != CRP_OK)
			return;
	}
}

/* One thread of frames spread over the image, slid, as a KSCrash report. */
static void symbolicate(crp_symbolicator *s, const crp_symbol_image_info *info)
{
	char json[2048], uuid[37];
	crp_uuid_format(&info->uuid, uuid);
	uint64_t base = 0x10a000000, vm = info->text_vmaddr, size = info->text_vmsize;
	int n = snprintf(json, sizeof json,
			 "{\"report\":{\"version\":\"3.2.0\",\"id\":\"F\"},\"binary_images\":[{\"image_addr\":%llu,"
			 "\"image_vmaddr\":%llu,\"image_size\":%llu,\"uuid\":\"%s\",\"cpu_type\":%d,\"cpu_subtype\":%d}],"
			 "\"crash\":{\"threads\":[{\"backtrace\":{\"contents\":[",
			 (unsigned long long)base, (unsigned long long)vm, (unsigned long long)size, uuid,
			 info->cpu_type, info->cpu_subtype);
	for (int k = 0; k < 8 && n < (int)sizeof json - 64; k++)
		n += snprintf(json + n, sizeof json - (size_t)n, "%s{\"instruction_addr\":%llu}", k ? "," : "",
			      (unsigned long long)(base + size / 8 * (uint64_t)k));
	if (n >= (int)sizeof json - 16)
		return;
	snprintf(json + n, sizeof json - (size_t)n, "]}}]}}");
	crp_report *r;
	if (crp_report_parse(&r, json, strlen(json), NULL, NULL) != CRP_OK)
		return;
	crp_report_symbolicate(r, s, NULL, NULL, NULL);
	crp_report_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crp_symbolicator *s;
	if (crp_symbolicator_new(&s, NULL) != CRP_OK)
		return 0;
	if (crp_symbolicator_add_memory(s, data, size, "fuzz", NULL) == CRP_OK) {
		for (size_t i = 0; i < crp_symbolicator_image_count(s); i++) {
			crp_symbol_image_info info;
			crp_symbol_image_get_info(crp_symbolicator_image(s, i), &info);
			lookups(s, crp_symbolicator_image(s, i), &info);
			if (info.has_uuid)
				symbolicate(s, &info);
		}
	}
	crp_symbolicator_free(s);
	return 0;
}
