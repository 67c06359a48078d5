/* The Mach-O reader on crashport's own fixtures (fixtures/macho), and on damaged copies of
 * them: every field it reads is checked against the file's size, every damage is a
 * CRP_ECORRUPT naming what is wrong, never a crash. */
#include <stdlib.h>
#include <string.h>

#include "common/bytes.h"
#include "macho/macho.h"
#include "testutil.h"

static uint8_t *fixture(const char *rel, size_t *len)
{
	char *dir = tu_path(tu_fixtures_dir(), "macho");
	char *p = tu_path(dir, rel);
	uint8_t *d = (uint8_t *)tu_read_file(p, len);
	ck_assert_msg(d != NULL, "cannot read %s", p);
	free(dir);
	free(p);
	return d;
}

static int parse(const uint8_t *d, size_t n, crp_error *err)
{
	crp_macho m;
	int rc = crp__macho_parse(&m, d, n, NULL, err);
	crp__macho_dispose(&m);
	return rc;
}

static bool has_symbol(const crp_macho *m, const char *name, uint64_t *value)
{
	for (uint32_t i = 0; i < m->nsyms; i++) {
		crp_macho_nlist s;
		crp__macho_symbol(m, i, &s);
		if (strcmp(s.name, name) == 0 && (s.type & CRP_N_TYPE) == CRP_N_SECT && !(s.type & CRP_N_STAB)) {
			*value = s.value;
			return true;
		}
	}
	return false;
}

START_TEST(executable)
{
	size_t n;
	uint8_t *d = fixture("x86_64/Demo", &n);
	crp_macho m;
	crp_error err;
	ck_assert_int_eq(crp__macho_sniff(d, n), 1);
	ck_assert_int_eq(crp__macho_parse(&m, d, n, NULL, &err), CRP_OK);
	ck_assert(m.is64 && m.has_uuid && m.has_symtab && m.has_function_starts);
	ck_assert_int_eq(m.cputype, CRP_CPU_TYPE_X86_64);
	ck_assert_uint_eq(m.filetype, CRP_MH_EXECUTE);
	ck_assert_ptr_nonnull(m.text);
	ck_assert_uint_eq(m.text->vmaddr, 0x100000000u);
	ck_assert_ptr_null(m.id_dylib);
	const crp_macho_section *text = crp__macho_find_section(&m, "__TEXT", "__text");
	size_t tl;
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(crp__macho_section_data(&m, text, &tl));
	ck_assert_uint_eq(tl, text->size);
	ck_assert_ptr_null(crp__macho_find_section(&m, "__DWARF", "__debug_info"));
	uint64_t crash_here;
	ck_assert(has_symbol(&m, "_crash_here", &crash_here));
	uint64_t *starts;
	size_t count;
	ck_assert_int_eq(crp__macho_function_starts(&m, &starts, &count, &err), CRP_OK);
	ck_assert_uint_gt(count, 5);
	bool found = false;
	for (size_t i = 0; i < count; i++) {
		found |= starts[i] == crash_here;
		if (i)
			ck_assert_uint_gt(starts[i], starts[i - 1]);
		ck_assert(starts[i] >= text->addr && starts[i] < text->addr + text->size);
	}
	ck_assert(found);
	free(starts);
	crp__macho_dispose(&m);
	free(d);
}
END_TEST

START_TEST(dylib_and_dsym)
{
	size_t n;
	uint8_t *d = fixture("x86_64/libdemo.dylib", &n);
	crp_macho m;
	ck_assert_int_eq(crp__macho_parse(&m, d, n, NULL, NULL), CRP_OK);
	ck_assert_uint_eq(m.filetype, CRP_MH_DYLIB);
	ck_assert_str_eq(m.id_dylib, "@rpath/libdemo.dylib");
	ck_assert_uint_eq(m.text->vmaddr, 0);
	crp_uuid uuid = m.uuid;
	crp__macho_dispose(&m);
	free(d);
	d = fixture("x86_64/libdemo.dylib.dSYM/Contents/Resources/DWARF/libdemo.dylib", &n);
	ck_assert_int_eq(crp__macho_parse(&m, d, n, NULL, NULL), CRP_OK);
	ck_assert_uint_eq(m.filetype, CRP_MH_DSYM);
	ck_assert(memcmp(m.uuid.bytes, uuid.bytes, 16) == 0);
	size_t len;
	ck_assert_ptr_null(crp__macho_section_data(&m, crp__macho_find_section(&m, "__TEXT", "__text"), &len));
	ck_assert_uint_eq(len, 0);
	ck_assert_ptr_nonnull(crp__macho_section_data(&m, crp__macho_find_section(&m, "__DWARF", "__debug_info"), &len));
	ck_assert_uint_gt(len, 0);
	crp__macho_dispose(&m);
	free(d);
}
END_TEST

START_TEST(universal)
{
	size_t n, count;
	uint8_t *d = fixture("universal/Demo", &n);
	crp_macho_slice sl[CRP_MACHO_MAX_SLICES];
	ck_assert_int_eq(crp__macho_sniff(d, n), 2);
	ck_assert_int_eq(crp__macho_slices(sl, &count, d, n, NULL), CRP_OK);
	ck_assert_uint_eq(count, 2);
	bool arm = false, x86 = false;
	for (size_t i = 0; i < count; i++) {
		crp_macho m;
		ck_assert_int_eq(crp__macho_parse(&m, d + sl[i].offset, (size_t)sl[i].size, NULL, NULL), CRP_OK);
		ck_assert_int_eq(m.cputype, sl[i].cputype);
		if (m.cputype == CRP_CPU_TYPE_ARM) {
			arm = true;
			ck_assert(!m.is64);
			ck_assert_uint_eq(m.text->vmaddr, 0x1000);
			uint64_t *starts;
			size_t k;
			ck_assert_int_eq(crp__macho_function_starts(&m, &starts, &k, NULL), CRP_OK);
			ck_assert_uint_gt(k, 0);
			ck_assert_uint_eq(starts[0] & 1, 0);
			free(starts);
		}
		x86 |= m.cputype == CRP_CPU_TYPE_X86_64;
		crp__macho_dispose(&m);
	}
	ck_assert(arm && x86);
	free(d);
}
END_TEST

/* Every prefix of a real file: an error or success, never an out-of-bounds read (ASan and
 * valgrind runs check that). */
START_TEST(every_truncation)
{
	size_t n;
	uint8_t *d = fixture("universal/Demo", &n);
	size_t step = getenv("CRP_TEST_QUICK") ? 97 : 1;
	for (size_t len = 0; len <= n; len += step) {
		uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
		memcpy(copy, d, len);
		crp_macho_slice sl[CRP_MACHO_MAX_SLICES];
		size_t count;
		if (crp__macho_slices(sl, &count, copy, len, NULL) == CRP_OK)
			for (size_t i = 0; i < count; i++)
				parse(copy + sl[i].offset, (size_t)sl[i].size, NULL);
		parse(copy, len, NULL);
		free(copy);
	}
	free(d);
}
END_TEST

/* Offset of the first load command `cmd` in a thin 64-bit image, or 0. */
static size_t find_cmd(const uint8_t *d, uint32_t cmd)
{
	uint32_t ncmds = crp__le32(d + 16);
	size_t off = 32;
	for (uint32_t i = 0; i < ncmds; i++) {
		if (crp__le32(d + off) == cmd)
			return off;
		off += crp__le32(d + off + 4);
	}
	return 0;
}

static void put32(uint8_t *d, size_t at, uint32_t v)
{
	d[at] = (uint8_t)v, d[at + 1] = (uint8_t)(v >> 8), d[at + 2] = (uint8_t)(v >> 16), d[at + 3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *d, size_t at, uint64_t v)
{
	put32(d, at, (uint32_t)v);
	put32(d, at + 4, (uint32_t)(v >> 32));
}

typedef void (*damage_fn)(uint8_t *d, size_t n);

static void expect_damage(damage_fn fn, int code, const char *what)
{
	size_t n;
	uint8_t *d = fixture("x86_64/Demo", &n);
	fn(d, n);
	crp_error err;
	ck_assert_int_eq(parse(d, n, &err), code);
	ck_assert_msg(strstr(err.message, what) != NULL, "message '%s' lacks '%s'", err.message, what);
	free(d);
}

static void big_sizeofcmds(uint8_t *d, size_t n) { put32(d, 20, (uint32_t)n); }
static void many_commands(uint8_t *d, size_t n) { (void)n; put32(d, 16, 0x7fffffff); }
static void zero_cmdsize(uint8_t *d, size_t n) { (void)n; put32(d, 36, 0); }
static void big_cmdsize(uint8_t *d, size_t n) { (void)n; put32(d, 36, 0x10000); }
static void big_endian(uint8_t *d, size_t n) { (void)n; put32(d, 0, 0xcffaedfe); }
static void not_macho(uint8_t *d, size_t n) { (void)n; put32(d, 0, 0x464c457f); }

static void many_sections(uint8_t *d, size_t n)
{
	(void)n;
	put32(d, find_cmd(d, 0x19) + 64, 0x1000);
}

static void section_past_end(uint8_t *d, size_t n)
{
	size_t seg = 0, off = 32;
	for (uint32_t i = 0; i < crp__le32(d + 16) && !seg; i++, off += crp__le32(d + off + 4))
		if (crp__le32(d + off) == 0x19 && memcmp(d + off + 8, "__TEXT", 7) == 0)
			seg = off;
	put32(d, seg + 72 + 48, (uint32_t)n - 8); /* __text's offset, its size is larger */
}

static void segment_past_end(uint8_t *d, size_t n)
{
	size_t at = find_cmd(d, 0x19);
	put64(d, at + 48, (uint64_t)n); /* __PAGEZERO now claims the whole file plus its offset */
	put64(d, at + 40, 1);
}

static void symbols_past_end(uint8_t *d, size_t n)
{
	put32(d, find_cmd(d, 0x2) + 12, (uint32_t)(n / 16));
}

static void strings_past_end(uint8_t *d, size_t n)
{
	put32(d, find_cmd(d, 0x2) + 20, (uint32_t)n);
}

static void starts_past_end(uint8_t *d, size_t n)
{
	put32(d, find_cmd(d, 0x26) + 12, (uint32_t)n);
}

/* the 24-byte LC_UUID after it becomes a copy of the (24-byte) LC_SYMTAB */
static void second_symtab(uint8_t *d, size_t n)
{
	(void)n;
	size_t sym = find_cmd(d, 0x2), uuid = find_cmd(d, 0x1b);
	ck_assert_uint_gt(uuid, sym);
	memcpy(d + uuid, d + sym, 24);
}

START_TEST(damaged_thin_images)
{
	expect_damage(big_sizeofcmds, CRP_ECORRUPT, "sizeofcmds");
	expect_damage(many_commands, CRP_ECORRUPT, "ncmds 2147483647 cannot fit");
	expect_damage(zero_cmdsize, CRP_ECORRUPT, "load command 0: cmdsize 0 is out of range");
	expect_damage(big_cmdsize, CRP_ECORRUPT, "cmdsize 65536 is out of range");
	expect_damage(big_endian, CRP_EUNSUPPORTED, "big-endian");
	expect_damage(not_macho, CRP_EUNSUPPORTED, "not a Mach-O image");
	expect_damage(many_sections, CRP_ECORRUPT, "claims 4096 sections");
	expect_damage(section_past_end, CRP_ECORRUPT, "section __TEXT,__text");
	expect_damage(segment_past_end, CRP_ECORRUPT, "segment __PAGEZERO");
	expect_damage(symbols_past_end, CRP_ECORRUPT, "LC_SYMTAB");
	expect_damage(strings_past_end, CRP_ECORRUPT, "string table");
	expect_damage(starts_past_end, CRP_ECORRUPT, "LC_FUNCTION_STARTS");
	expect_damage(second_symtab, CRP_ECORRUPT, "second LC_SYMTAB");
}
END_TEST

static size_t fat_header(uint8_t *d, uint32_t nslices)
{
	d[0] = 0xca, d[1] = 0xfe, d[2] = 0xba, d[3] = 0xbe;
	d[4] = 0, d[5] = 0, d[6] = (uint8_t)(nslices >> 8), d[7] = (uint8_t)nslices;
	return 8;
}

static void fat_entry(uint8_t *d, size_t i, uint32_t offset, uint32_t size)
{
	uint8_t *e = d + 8 + 20 * i;
	memset(e, 0, 20);
	e[3] = 7;  /* cputype x86 */
	e[8] = (uint8_t)(offset >> 24), e[9] = (uint8_t)(offset >> 16), e[10] = (uint8_t)(offset >> 8), e[11] = (uint8_t)offset;
	e[12] = (uint8_t)(size >> 24), e[13] = (uint8_t)(size >> 16), e[14] = (uint8_t)(size >> 8), e[15] = (uint8_t)size;
}

START_TEST(damaged_universal_headers)
{
	uint8_t d[256];
	crp_macho_slice sl[CRP_MACHO_MAX_SLICES];
	size_t n;
	crp_error err;
	memset(d, 0, sizeof d);
	fat_header(d, 0);
	ck_assert_int_eq(crp__macho_slices(sl, &n, d, sizeof d, &err), CRP_ECORRUPT);
	ck_assert(strstr(err.message, "claims 0 slices") != NULL);
	fat_header(d, 2);
	fat_entry(d, 0, 64, 64);
	fat_entry(d, 1, 100, 64);
	ck_assert_int_eq(crp__macho_slices(sl, &n, d, sizeof d, &err), CRP_ECORRUPT);
	ck_assert(strstr(err.message, "slices 0 and 1 overlap") != NULL);
	fat_entry(d, 1, 200, 64);
	ck_assert_int_eq(crp__macho_slices(sl, &n, d, sizeof d, &err), CRP_ECORRUPT);
	ck_assert(strstr(err.message, "slice 1 [0xc8, +0x40) lies outside the file") != NULL);
	fat_entry(d, 1, 8, 16);
	ck_assert_int_eq(crp__macho_slices(sl, &n, d, sizeof d, &err), CRP_ECORRUPT);
	ck_assert(strstr(err.message, "slice 1 overlaps the header") != NULL);
	fat_entry(d, 1, 128, 128);
	ck_assert_int_eq(crp__macho_slices(sl, &n, d, sizeof d, &err), CRP_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(crp__macho_slices(sl, &n, d, 20, &err), CRP_ECORRUPT); /* entries cut off */
	ck_assert_int_eq(crp__macho_slices(sl, &n, d, 3, &err), CRP_EUNSUPPORTED);
}
END_TEST

START_TEST(damaged_symbol_names)
{
	size_t n;
	uint8_t *d = fixture("x86_64/Demo", &n);
	crp_macho m;
	ck_assert_int_eq(crp__macho_parse(&m, d, n, NULL, NULL), CRP_OK);
	/* the string table's last byte is no NUL any more: names reaching it are damaged */
	d[m.stroff + m.strsize - 1] = 'x';
	put32(d, m.symoff, m.strsize - 1); /* first symbol's name: the last byte */
	put32(d, m.symoff + 16, m.strsize + 100); /* second: past the table */
	crp_macho_nlist s;
	crp__macho_symbol(&m, 0, &s);
	ck_assert(s.bad_name);
	ck_assert_str_eq(s.name, "");
	crp__macho_symbol(&m, 1, &s);
	ck_assert(s.bad_name);
	crp__macho_dispose(&m);
	free(d);
}
END_TEST

Suite *suite_macho(void)
{
	Suite *s = suite_create("macho");
	TCase *tc = tcase_create("macho");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, executable);
	tcase_add_test(tc, dylib_and_dsym);
	tcase_add_test(tc, universal);
	tcase_add_test(tc, every_truncation);
	tcase_add_test(tc, damaged_thin_images);
	tcase_add_test(tc, damaged_universal_headers);
	tcase_add_test(tc, damaged_symbol_names);
	suite_add_tcase(s, tc);
	return s;
}
