/* The symbol cache reader on arbitrary bytes. The first byte chooses: odd, the rest is taken as
 * is (checksums catch most changes, so this explores the checks); even, the rest gets a valid
 * header and block checksums first, so the fuzzer reaches the tables and the lookups behind
 * them. Then lookups across the image and a report symbolicated against it. Must never crash,
 * hang or leak, whatever the tables say. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "crashport/crashport.h"
#include "crashport/symbols.h"

#define LOOKUPS 96

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Size, block table and CRCs made to agree with the bytes (schema/symcache-format.md §2). */
static void make_sound(uint8_t *p, size_t len)
{
	if (len < 128)
		return;
	uint32_t n = le32(p + 104) % 65;
	put32(p + 104, n);
	put32(p + 108, 4096);
	for (int i = 0; i < 8; i++)
		p[96 + i] = (uint8_t)((uint64_t)len >> (8 * i));
	size_t tables = 128 + 24 * (size_t)n, blocks = 0, start = 0;
	for (int round = 0; round < 4; round++) { /* the table's own size moves the data start */
		start = (tables + 4 * blocks + 7) & ~(size_t)7;
		blocks = start <= len ? (len - start + 4095) / 4096 : 0;
	}
	if (start > len)
		return;
	put32(p + 112, (uint32_t)blocks);
	if (tables + 4 * blocks > len)
		return;
	for (size_t b = 0; b < blocks; b++) {
		size_t at = start + 4096 * b, n_b = len - at < 4096 ? len - at : 4096;
		put32(p + tables + 4 * b, (uint32_t)crc32(0, p + at, (uInt)n_b));
	}
	uLong crc = crc32(0, p, 124);
	put32(p + 124, (uint32_t)crc32(crc, p + 128, (uInt)(24 * n + 4 * blocks)));
}

static void lookups(crp_symbolicator *s, const crp_symbol_image *im, const crp_symbol_image_info *info)
{
	uint64_t step = info->text_vmsize / LOOKUPS ? info->text_vmsize / LOOKUPS : 1;
	for (uint64_t k = 0; k < LOOKUPS + 2; k++) {
		const crp_symbolication *sym;
		if (crp_symbolicator_lookup(&sym, s, im, info->text_vmaddr + k * step - 1, NULL) != CRP_OK)
			return;
	}
}

static void symbolicate(crp_symbolicator *s, const crp_symbol_image_info *info)
{
	char json[1024], uuid[37];
	crp_uuid_format(&info->uuid, uuid);
	int n = snprintf(json, sizeof json,
			 "{\"report\":{\"version\":\"3.2.0\",\"id\":\"F\"},\"binary_images\":[{\"image_addr\":%llu,"
			 "\"image_size\":%llu,\"uuid\":\"%s\",\"cpu_type\":%d,\"cpu_subtype\":%d}],\"crash\":{\"threads\":"
			 "[{\"backtrace\":{\"contents\":[{\"instruction_addr\":%llu},{\"instruction_addr\":%llu}]}}]}}",
			 (unsigned long long)info->text_vmaddr, (unsigned long long)info->text_vmsize, uuid,
			 info->cpu_type, info->cpu_subtype, (unsigned long long)info->text_vmaddr + 4,
			 (unsigned long long)(info->text_vmaddr + info->text_vmsize / 2));
	crp_report *r;
	if (n > 0 && n < (int)sizeof json && crp_report_parse(&r, json, (size_t)n, NULL, NULL) == CRP_OK) {
		crp_report_symbolicate(r, s, NULL, NULL, NULL);
		crp_report_free(r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	uint8_t *p = malloc(size - 1 ? size - 1 : 1);
	if (!p)
		return 0;
	memcpy(p, data + 1, size - 1);
	if (!(data[0] & 1))
		make_sound(p, size - 1);
	crp_symbolicator *s;
	if (crp_symbolicator_new(&s, NULL) == CRP_OK &&
	    crp_symbolicator_add_memory(s, p, size - 1, "fuzz.symcache", NULL) == CRP_OK) {
		for (size_t i = 0; i < crp_symbolicator_image_count(s); i++) {
			crp_symbol_image_info info;
			crp_symbol_image_get_info(crp_symbolicator_image(s, i), &info);
			lookups(s, crp_symbolicator_image(s, i), &info);
			symbolicate(s, &info);
		}
	}
	crp_symbolicator_free(s);
	free(p);
	return 0;
}
