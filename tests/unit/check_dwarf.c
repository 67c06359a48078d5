/* The DWARF reader on synthetic dSYMs built byte by byte: DWARF 5 (strx, addrx, rnglistx,
 * line_strp, v5 line tables) and 64-bit DWARF 4, checked against fixed answers and, when
 * llvm-symbolizer is installed, against its answers for every address; then damaged DWARF
 * (truncations, mutations, cycles, deep nesting) that must never crash or hang. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../../fuzz/machobuild.h"
#include "crashport/symbols.h"
#include "macho/dwarf.h"
#include "testutil.h"

enum { S_INFO, S_ABBREV, S_LINE, S_STR, S_LINE_STR, S_STR_OFFS, S_ADDR, S_RNGLISTS, S_COUNT };
static const char *const sec_names[S_COUNT] = {"__debug_info", "__debug_abbrev", "__debug_line",
					       "__debug_str", "__debug_line_str", "__debug_str_offs",
					       "__debug_addr", "__debug_rnglists"};

typedef struct dwarf_set {
	mb_buf s[S_COUNT];
} dwarf_set;

static void free_set(dwarf_set *d)
{
	for (int i = 0; i < S_COUNT; i++)
		free(d->s[i].p);
}

static const uint8_t test_uuid[16] = {0xd5, 0xd5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};

static mb_buf image_of(const dwarf_set *d)
{
	mb_section secs[S_COUNT];
	for (int i = 0; i < S_COUNT; i++)
		secs[i] = (mb_section){sec_names[i], d->s[i].p, d->s[i].n};
	return mb_dsym(test_uuid, 0x1000, 0x200, secs, S_COUNT);
}

/* -- DWARF 5 ----------------------------------------------------------------------------- */

/* Strings: .debug_str via .debug_str_offsets (strx); paths via .debug_line_str. */
enum { STR_CU, STR_DIR, STR_OUTER, STR_OUTER_LINKAGE, STR_INL, STR_COUNT };

static void v5_strings(dwarf_set *d)
{
	static const char *const strs[STR_COUNT] = {"d5.c", "/src", "outer", "_ZN2ns5outerEi", "inl"};
	mb_buf *offs = &d->s[S_STR_OFFS];
	mb_u32(offs, 4 + 4 * STR_COUNT);
	mb_u16(offs, 5);
	mb_u16(offs, 0);
	for (int i = 0; i < STR_COUNT; i++) {
		mb_u32(offs, d->s[S_STR].n);
		mb_str(&d->s[S_STR], strs[i]);
	}
	mb_str(&d->s[S_LINE_STR], "/src");  /* 0 */
	mb_str(&d->s[S_LINE_STR], "d5.c");  /* 5 */
	mb_str(&d->s[S_LINE_STR], "inc.h"); /* 10 */
}

static void v5_addrs(dwarf_set *d)
{
	mb_buf *a = &d->s[S_ADDR];
	mb_u32(a, 4 + 3 * 8);
	mb_u16(a, 5);
	mb_u8(a, 8);
	mb_u8(a, 0);
	mb_u64(a, 0x1000); /* 0: the unit's base */
	mb_u64(a, 0x1010); /* 1: the inlined call */
	mb_u64(a, 0x1180); /* 2: a stray range */
}

/* List 0: the function's two ranges [0x1000, 0x1040) and [0x1100, 0x1120); list 1 adds a
 * startx_endx range for the unit. */
static void v5_rnglists(dwarf_set *d)
{
	mb_buf *r = &d->s[S_RNGLISTS], body = {0};
	mb_u8(&body, 3), mb_uleb(&body, 0), mb_uleb(&body, 0x40);     /* startx_length */
	mb_u8(&body, 4), mb_uleb(&body, 0x100), mb_uleb(&body, 0x120); /* offset_pair */
	mb_u8(&body, 0);
	size_t second = body.n;
	mb_u8(&body, 6), mb_u64(&body, 0x1000), mb_u64(&body, 0x1040); /* start_end */
	mb_u8(&body, 5), mb_u64(&body, 0x1100);                        /* base_address */
	mb_u8(&body, 7), mb_u64(&body, 0x1100), mb_uleb(&body, 0x20);  /* start_length */
	mb_u8(&body, 2), mb_uleb(&body, 2), mb_uleb(&body, 2);         /* startx_endx: empty */
	mb_u8(&body, 0);
	mb_u32(r, 8 + 8 + body.n);
	mb_u16(r, 5);
	mb_u8(r, 8);
	mb_u8(r, 0);
	mb_u32(r, 2);    /* offset entries */
	mb_u32(r, 8);    /* list 0, relative to the table after the header (rnglists_base 12) */
	mb_u32(r, 8 + second);
	mb_bytes(r, body.p, body.n);
	free(body.p);
}

enum { F_strx1 = 0x25, F_addrx = 0x1b, F_data1 = 0x0b, F_data2 = 0x05, F_data4 = 0x06,
       F_sec_offset = 0x17, F_rnglistx = 0x23, F_ref4 = 0x13, F_flag_present = 0x19,
       F_line_strp = 0x1f, F_udata = 0x0f, F_implicit_const = 0x21, F_strp = 0x0e, F_addr = 0x01 };

static void abbrev(mb_buf *a, unsigned code, unsigned tag, bool children, const unsigned *attrs)
{
	mb_uleb(a, code);
	mb_uleb(a, tag);
	mb_u8(a, children);
	for (; attrs[0]; attrs += 2) {
		mb_uleb(a, attrs[0]);
		mb_uleb(a, attrs[1]);
		if (attrs[1] == F_implicit_const)
			mb_sleb(a, 4); /* every implicit constant here is 4 */
	}
	mb_u8(a, 0);
	mb_u8(a, 0);
}

static void v5_abbrevs(dwarf_set *d)
{
	mb_buf *a = &d->s[S_ABBREV];
	abbrev(a, 1, 0x11, true, (const unsigned[]){0x03, F_strx1, 0x1b, F_strx1, 0x10, F_sec_offset,
		0x72, F_sec_offset, 0x73, F_sec_offset, 0x74, F_sec_offset, 0x11, F_addrx, 0x55, F_rnglistx, 0});
	abbrev(a, 2, 0x2e, false, (const unsigned[]){0x03, F_strx1, 0x20, F_implicit_const, 0});
	abbrev(a, 3, 0x2e, true, (const unsigned[]){0x6e, F_strx1, 0x03, F_strx1, 0x55, F_rnglistx, 0});
	abbrev(a, 4, 0x1d, false, (const unsigned[]){0x31, F_ref4, 0x11, F_addrx, 0x12, F_data4,
		0x58, F_data1, 0x59, F_data2, 0x57, F_data1, 0});
	abbrev(a, 5, 0x0b, true, (const unsigned[]){0x11, F_addrx, 0x12, F_data4, 0}); /* lexical block */
	mb_u8(a, 0);
}

/* unit: [abstract "inl"] [outer: ranges list 0 { lexical block { inlined inl at 0x1010+0x10,
 * called from file 0 line 7 column 3 } }] */
static void v5_info(dwarf_set *d)
{
	mb_buf *i = &d->s[S_INFO];
	mb_u32(i, 0); /* patched */
	mb_u16(i, 5);
	mb_u8(i, 1); /* DW_UT_compile */
	mb_u8(i, 8);
	mb_u32(i, 0);
	mb_uleb(i, 1);
	mb_u8(i, STR_CU), mb_u8(i, STR_DIR), mb_u32(i, 0), mb_u32(i, 8), mb_u32(i, 8), mb_u32(i, 12);
	mb_uleb(i, 0), mb_uleb(i, 1); /* low_pc addrx 0, ranges rnglistx 1 */
	size_t abstract = i->n;
	mb_uleb(i, 2), mb_u8(i, STR_INL);
	mb_uleb(i, 3), mb_u8(i, STR_OUTER_LINKAGE), mb_u8(i, STR_OUTER), mb_uleb(i, 0);
	mb_uleb(i, 5), mb_uleb(i, 1), mb_u32(i, 0x10);
	mb_uleb(i, 4), mb_u32(i, abstract), mb_uleb(i, 1), mb_u32(i, 0x10), mb_u8(i, 0), mb_u16(i, 7), mb_u8(i, 3);
	mb_u8(i, 0); /* end of the lexical block */
	mb_u8(i, 0); /* end of outer */
	mb_u8(i, 0); /* end of the unit */
	mb_patch(i, 0, i->n - 4, 4);
}

static void line_opcode_lengths(mb_buf *l)
{
	static const uint8_t lens[12] = {0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1};
	mb_bytes(l, lens, sizeof lens);
}

static void set_address(mb_buf *l, uint64_t a)
{
	mb_u8(l, 0), mb_uleb(l, 9), mb_u8(l, 2), mb_u64(l, a);
}

static void end_sequence(mb_buf *l)
{
	mb_u8(l, 0), mb_uleb(l, 1), mb_u8(l, 1);
}

/* The column of the 0x1100 row: 4096 and more makes a symbol cache's line rows wide. */
static unsigned last_column = 1;

/* Rows: 0x1000 d5.c:10, 0x1010 inc.h:3:5, 0x1020 d5.c:12, end 0x1040; 0x1100 d5.c:20:1
 * (last_column), end 0x1120 */
static void v5_program(mb_buf *l)
{
	/* the file register starts at 1, the second entry in DWARF 5: name file 0 first */
	set_address(l, 0x1000);
	mb_u8(l, 4), mb_uleb(l, 0), mb_u8(l, 3), mb_sleb(l, 9), mb_u8(l, 1); /* d5.c:10, copy */
	mb_u8(l, 2), mb_uleb(l, 0x10), mb_u8(l, 4), mb_uleb(l, 1);          /* +0x10, inc.h */
	mb_u8(l, 3), mb_sleb(l, -7), mb_u8(l, 5), mb_uleb(l, 5), mb_u8(l, 1);
	mb_u8(l, 2), mb_uleb(l, 0x10), mb_u8(l, 4), mb_uleb(l, 0), mb_u8(l, 5), mb_uleb(l, 0);
	mb_u8(l, 3), mb_sleb(l, 9), mb_u8(l, 1);
	mb_u8(l, 2), mb_uleb(l, 0x20);
	end_sequence(l);
	set_address(l, 0x1100);
	mb_u8(l, 4), mb_uleb(l, 0);
	mb_u8(l, 3), mb_sleb(l, 19), mb_u8(l, 5), mb_uleb(l, last_column), mb_u8(l, 1);
	mb_u8(l, 2), mb_uleb(l, 0x20);
	end_sequence(l);
}

static void v5_line(dwarf_set *d)
{
	mb_buf *l = &d->s[S_LINE];
	mb_u32(l, 0);
	mb_u16(l, 5);
	mb_u8(l, 8), mb_u8(l, 0);
	size_t hl = l->n;
	mb_u32(l, 0);
	size_t hstart = l->n;
	mb_u8(l, 1), mb_u8(l, 1), mb_u8(l, 1), mb_u8(l, (uint8_t)-5), mb_u8(l, 14), mb_u8(l, 13);
	line_opcode_lengths(l);
	mb_u8(l, 1), mb_uleb(l, 1), mb_uleb(l, F_line_strp); /* directories: path */
	mb_uleb(l, 1), mb_u32(l, 0);
	mb_u8(l, 2), mb_uleb(l, 1), mb_uleb(l, F_line_strp), mb_uleb(l, 2), mb_uleb(l, F_udata);
	mb_uleb(l, 2), mb_u32(l, 5), mb_uleb(l, 0), mb_u32(l, 10), mb_uleb(l, 0);
	mb_patch(l, hl, l->n - hstart, 4);
	v5_program(l);
	mb_patch(l, 0, l->n - 4, 4);
}

static dwarf_set build_v5(void)
{
	dwarf_set d;
	memset(&d, 0, sizeof d);
	v5_strings(&d);
	v5_addrs(&d);
	v5_rnglists(&d);
	v5_abbrevs(&d);
	v5_info(&d);
	v5_line(&d);
	return d;
}

/* -- 64-bit DWARF 4 ---------------------------------------------------------------------- */

static dwarf_set build_v4_64(void)
{
	dwarf_set d;
	memset(&d, 0, sizeof d);
	mb_str(&d.s[S_STR], "c64.c"), mb_str(&d.s[S_STR], "/w"), mb_str(&d.s[S_STR], "wide");
	mb_buf *a = &d.s[S_ABBREV];
	abbrev(a, 1, 0x11, true, (const unsigned[]){0x03, F_strp, 0x1b, F_strp, 0x10, F_sec_offset,
		0x11, F_addr, 0x12, 0x07, 0});
	abbrev(a, 2, 0x2e, false, (const unsigned[]){0x03, F_strp, 0x11, F_addr, 0x12, 0x07, 0});
	mb_u8(a, 0);
	mb_buf *i = &d.s[S_INFO];
	mb_u32(i, 0xffffffff), mb_u64(i, 0), mb_u16(i, 4), mb_u64(i, 0), mb_u8(i, 8);
	mb_uleb(i, 1), mb_u64(i, 0), mb_u64(i, 6), mb_u64(i, 0), mb_u64(i, 0x1000), mb_u64(i, 0x80);
	mb_uleb(i, 2), mb_u64(i, 9), mb_u64(i, 0x1000), mb_u64(i, 0x80);
	mb_u8(i, 0);
	mb_patch(i, 4, i->n - 12, 8);
	mb_buf *l = &d.s[S_LINE];
	mb_u32(l, 0xffffffff), mb_u64(l, 0), mb_u16(l, 4);
	size_t hl = l->n;
	mb_u64(l, 0);
	size_t hstart = l->n;
	mb_u8(l, 1), mb_u8(l, 1), mb_u8(l, 1), mb_u8(l, (uint8_t)-5), mb_u8(l, 14), mb_u8(l, 13);
	line_opcode_lengths(l);
	mb_str(l, "sub"), mb_u8(l, 0);                                 /* include dirs */
	mb_str(l, "c64.c"), mb_uleb(l, 1), mb_uleb(l, 0), mb_uleb(l, 0), mb_u8(l, 0);
	mb_patch(l, hl, l->n - hstart, 8);
	set_address(l, 0x1000);
	mb_u8(l, 3), mb_sleb(l, 41), mb_u8(l, 1);
	mb_u8(l, 0x21);  /* special opcode 33: address + 20 / 14 = 1, line + 20 % 14 - 5 = 1 */
	mb_u8(l, 8);     /* const_add_pc: + (255 - 13) / 14 = 17 */
	mb_u8(l, 9), mb_u16(l, 0x10), mb_u8(l, 1);
	mb_u8(l, 2), mb_uleb(l, 0x5e);
	end_sequence(l);
	mb_patch(l, 4, l->n - 12, 8);
	return d;
}

/* -- lookups ------------------------------------------------------------------------------ */

typedef struct answer {
	char text[1024];
} answer;

/* "function file:line:col ; outer file:line:col ..." innermost first, "??" when unknown. */
static void describe(answer *a, const crp_symbolication *s)
{
	size_t n = 0;
	a->text[0] = '\0';
	if (!s) {
		snprintf(a->text, sizeof a->text, "?? ??:0:0");
		return;
	}
	for (size_t i = 0; i < s->count; i++) {
		const crp_symloc *l = &s->locs[i];
		n += (size_t)snprintf(a->text + n, sizeof a->text - n, "%s%s %s:%u:%u", i ? " ; " : "",
				      l->function ? l->function : "??", l->file ? l->file : "??", l->line, l->column);
	}
}

static crp_symbolicator *load(const mb_buf *img)
{
	crp_symbolicator *s;
	crp_error err;
	ck_assert_int_eq(crp_symbolicator_new(&s, NULL), CRP_OK);
	ck_assert_msg(crp_symbolicator_add_memory(s, img->p, img->n, "synthetic.dSYM", &err) == CRP_OK, "%s",
		      err.message);
	return s;
}

static void expect_at(crp_symbolicator *s, uint64_t addr, const char *want)
{
	const crp_symbolication *sym;
	answer a;
	ck_assert_int_eq(crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0), addr, NULL), CRP_OK);
	describe(&a, sym);
	ck_assert_msg(strcmp(a.text, want) == 0, "0x%llx: want '%s', got '%s'", (unsigned long long)addr, want,
		      a.text);
}

START_TEST(dwarf5_unit)
{
	dwarf_set d = build_v5();
	mb_buf img = image_of(&d);
	crp_symbolicator *s = load(&img);
	expect_at(s, 0x1000, "ns::outer(int) /src/d5.c:10:0");
	expect_at(s, 0x100f, "ns::outer(int) /src/d5.c:10:0");
	expect_at(s, 0x1010, "inl /src/inc.h:3:5 ; ns::outer(int) /src/d5.c:7:3");
	expect_at(s, 0x101f, "inl /src/inc.h:3:5 ; ns::outer(int) /src/d5.c:7:3");
	expect_at(s, 0x1020, "ns::outer(int) /src/d5.c:12:0");
	expect_at(s, 0x103f, "ns::outer(int) /src/d5.c:12:0");
	expect_at(s, 0x1040, "?? ??:0:0");
	expect_at(s, 0x1110, "ns::outer(int) /src/d5.c:20:1");
	expect_at(s, 0x1120, "?? ??:0:0");
	const crp_symbolication *sym;
	crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0), 0x1110, NULL);
	ck_assert_uint_eq(sym->function_addr, 0x1000);
	ck_assert_str_eq(sym->linkage_name, "_ZN2ns5outerEi");
	ck_assert_uint_eq(sym->flags, CRP_SYM_DEMANGLED);
	crp_symbolicator_free(s);
	free(img.p);
	free_set(&d);
}
END_TEST

/* A column past 4095 makes the cache's line rows wide while its scopes stay narrow: the header
 * said the opposite (the two flags were swapped), and such a cache did not open
 * (symcache_roundtrip fuzz finding). */
START_TEST(wide_lines_through_a_cache)
{
	last_column = 5000;
	dwarf_set d = build_v5();
	last_column = 1;
	mb_buf img = image_of(&d);
	crp_symbolicator *s = load(&img), *c;
	crp_buffer cache = CRP_BUFFER_INIT;
	crp_sink sink;
	crp_sink_init_buffer(&sink, &cache);
	ck_assert_int_eq(crp_symbol_image_write_cache(s, crp_symbolicator_image(s, 0), &sink, NULL), CRP_OK);
	mb_buf cimg = {(uint8_t *)cache.data, cache.len, 0};
	c = load(&cimg);
	expect_at(s, 0x1110, "ns::outer(int) /src/d5.c:20:5000");
	expect_at(c, 0x1110, "ns::outer(int) /src/d5.c:20:5000");
	expect_at(c, 0x1010, "inl /src/inc.h:3:5 ; ns::outer(int) /src/d5.c:7:3");
	crp_symbolicator_free(c);
	crp_symbolicator_free(s);
	crp_buffer_dispose(&cache);
	free(img.p);
	free_set(&d);
}
END_TEST

START_TEST(dwarf64_unit)
{
	dwarf_set d = build_v4_64();
	mb_buf img = image_of(&d);
	crp_symbolicator *s = load(&img);
	expect_at(s, 0x1000, "wide /w/sub/c64.c:42:0");
	expect_at(s, 0x1001, "wide /w/sub/c64.c:43:0");
	expect_at(s, 0x1012, "wide /w/sub/c64.c:43:0");
	expect_at(s, 0x1022, "wide /w/sub/c64.c:43:0");
	expect_at(s, 0x1062, "wide /w/sub/c64.c:43:0");
	expect_at(s, 0x1080, "?? ??:0:0");
	crp_symbolicator_free(s);
	free(img.p);
	free_set(&d);
}
END_TEST

/* llvm-symbolizer on the same file, when it is installed: every address must agree. */
static void compare_with_llvm(const mb_buf *img, const char *name, uint64_t lo, uint64_t hi)
{
	char path[512], addrs[512], cmd[2048];
	snprintf(path, sizeof path, "%s/%s", CRP_BUILD_DIR, name);
	snprintf(addrs, sizeof addrs, "%s/%s.addrs", CRP_BUILD_DIR, name);
	FILE *f = fopen(path, "wb"), *a = fopen(addrs, "w");
	ck_assert(f && a);
	fwrite(img->p, 1, img->n, f);
	fclose(f);
	for (uint64_t x = lo; x < hi; x++)
		fprintf(a, "0x%llx\n", (unsigned long long)x);
	fclose(a);
	snprintf(cmd, sizeof cmd, "llvm-symbolizer --obj='%s' <'%s' 2>/dev/null", path, addrs);
	FILE *p = popen(cmd, "r");
	char line[512];
	if (!p || !fgets(line, sizeof line, p)) { /* not installed */
		if (p)
			pclose(p);
		return;
	}
	crp_symbolicator *s = load(img);
	for (uint64_t x = lo; x < hi; x++) {
		char want[1024] = "";
		size_t n = 0;
		for (int k = 0; line[0] != '\n'; k++) {
			line[strcspn(line, "\n")] = '\0';
			n += (size_t)snprintf(want + n, sizeof want - n, "%s%s", k % 2 ? " " : k ? " ; " : "", line);
			if (!fgets(line, sizeof line, p))
				break;
		}
		const crp_symbolication *sym;
		answer ours;
		ck_assert_int_eq(crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0), x, NULL), CRP_OK);
		describe(&ours, sym);
		ck_assert_msg(strcmp(want, ours.text) == 0, "%s 0x%llx: llvm-symbolizer '%s', crashport '%s'", name,
			      (unsigned long long)x, want, ours.text);
		if (!fgets(line, sizeof line, p))
			break; /* the blank line after each address, then the next answer */
	}
	pclose(p);
	crp_symbolicator_free(s);
}

START_TEST(synthetic_units_agree_with_llvm_symbolizer)
{
	dwarf_set d = build_v5(), w = build_v4_64();
	mb_buf a = image_of(&d), b = image_of(&w);
	compare_with_llvm(&a, "synthetic-dwarf5", 0xff8, 0x1048);
	compare_with_llvm(&a, "synthetic-dwarf5", 0x10f8, 0x1128);
	compare_with_llvm(&b, "synthetic-dwarf64", 0xffe, 0x1082);
	free(a.p), free(b.p);
	free_set(&d), free_set(&w);
}
END_TEST

/* -- damage -------------------------------------------------------------------------------- */

/* Lookups over the whole range must work (or find nothing) whatever the bytes say. */
static void survive(const mb_buf *img)
{
	crp_symbolicator *s;
	ck_assert_int_eq(crp_symbolicator_new(&s, NULL), CRP_OK);
	if (crp_symbolicator_add_memory(s, img->p, img->n, "damaged", NULL) == CRP_OK) {
		for (uint64_t a = 0xff0; a < 0x1130; a += 7) {
			const crp_symbolication *sym;
			int rc = crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0), a, NULL);
			ck_assert(rc == CRP_OK || rc == CRP_ECORRUPT);
			answer t;
			if (rc == CRP_OK)
				describe(&t, sym);
		}
	}
	crp_symbolicator_free(s);
}

START_TEST(every_truncation_of_every_section)
{
	dwarf_set d = build_v5();
	for (int k = 0; k < S_COUNT; k++) {
		size_t full = d.s[k].n;
		for (size_t n = 0; n < full; n++) {
			d.s[k].n = n;
			mb_buf img = image_of(&d);
			survive(&img);
			free(img.p);
		}
		d.s[k].n = full;
	}
	free_set(&d);
}
END_TEST

START_TEST(random_byte_damage)
{
	dwarf_set d = build_v5();
	uint32_t seed = 12345;
	int rounds = getenv("CRP_TEST_QUICK") ? 300 : 3000;
	for (int r = 0; r < rounds; r++) {
		int k = r % S_COUNT;
		if (!d.s[k].n)
			continue;
		dwarf_set m;
		for (int i = 0; i < S_COUNT; i++) {
			m.s[i].n = m.s[i].cap = d.s[i].n;
			m.s[i].p = malloc(d.s[i].n ? d.s[i].n : 1);
			memcpy(m.s[i].p, d.s[i].p, d.s[i].n);
		}
		for (int flips = 0; flips < 1 + r % 4; flips++) {
			seed = seed * 1103515245u + 12345u;
			m.s[k].p[(seed >> 8) % m.s[k].n] ^= (uint8_t)(1u << (seed >> 29)) | (uint8_t)(seed >> 16);
		}
		mb_buf img = image_of(&m);
		survive(&img);
		free(img.p);
		free_set(&m);
	}
	free_set(&d);
}
END_TEST

/* abstract_origin chains that loop, and nesting far beyond any real program */
START_TEST(cycles_and_depth)
{
	dwarf_set d;
	memset(&d, 0, sizeof d);
	mb_str(&d.s[S_STR], "x");
	mb_buf *a = &d.s[S_ABBREV];
	abbrev(a, 1, 0x11, true, (const unsigned[]){0x11, F_addr, 0x12, F_data4, 0});
	abbrev(a, 2, 0x2e, true, (const unsigned[]){0x31, F_ref4, 0x11, F_addr, 0x12, F_data4, 0});
	abbrev(a, 3, 0x1d, true, (const unsigned[]){0x31, F_ref4, 0x11, F_addr, 0x12, F_data4, 0});
	abbrev(a, 4, 0x0b, true, (const unsigned[]){0});
	mb_u8(a, 0);
	mb_buf *i = &d.s[S_INFO];
	mb_u32(i, 0), mb_u16(i, 4), mb_u32(i, 0), mb_u8(i, 8);
	mb_uleb(i, 1), mb_u64(i, 0x1000), mb_u32(i, 0x100);
	size_t sub = i->n;
	mb_uleb(i, 2), mb_u32(i, sub), mb_u64(i, 0x1000), mb_u32(i, 0x100); /* its own origin */
	size_t inl = i->n;
	mb_uleb(i, 3), mb_u32(i, inl + 11), mb_u64(i, 0x1000), mb_u32(i, 0x80); /* origin: the next */
	mb_uleb(i, 3), mb_u32(i, inl), mb_u64(i, 0x1000), mb_u32(i, 0x40);      /* and back */
	for (int k = 0; k < 5000; k++)
		mb_uleb(i, 4); /* lexical blocks 5000 deep: over the nesting limit */
	mb_u8(i, 0);
	mb_patch(i, 0, i->n - 4, 4);
	mb_buf img = image_of(&d);
	crp_symbolicator *s = load(&img);
	const crp_symbolication *sym;
	ck_assert_int_eq(crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0), 0x1010, NULL), CRP_OK);
	ck_assert_ptr_nonnull(sym);
	ck_assert_uint_eq(sym->count, 3);
	ck_assert_ptr_null(sym->locs[0].function);
	crp_symbolicator_free(s);
	free(img.p);
	free_set(&d);
}
END_TEST

/* 3000 units share one line table: reading it for each would be quadratic in a crafted file,
 * so reading stops at the budget (4 times .debug_line plus 1 MiB): units are read when a lookup
 * lands in them, the first ones read have lines, the ones read once the budget is spent none,
 * and nothing hangs. */
START_TEST(shared_line_tables_are_budgeted)
{
	enum { UNITS = 3000 };
	dwarf_set d;
	memset(&d, 0, sizeof d);
	abbrev(&d.s[S_ABBREV], 1, 0x11, false, (const unsigned[]){0x10, F_sec_offset, 0x11, F_addr, 0x12, F_data4, 0});
	mb_u8(&d.s[S_ABBREV], 0);
	for (int k = 0; k < UNITS; k++) {
		mb_buf *i = &d.s[S_INFO];
		mb_u32(i, 7 + 1 + 4 + 8 + 4), mb_u16(i, 4), mb_u32(i, 0), mb_u8(i, 8);
		mb_uleb(i, 1), mb_u32(i, 0), mb_u64(i, 0x1000 + 16 * (uint64_t)k), mb_u32(i, 16);
	}
	mb_buf *l = &d.s[S_LINE];
	mb_u32(l, 0), mb_u16(l, 4);
	size_t hl = l->n;
	mb_u32(l, 0);
	size_t hstart = l->n;
	mb_u8(l, 1), mb_u8(l, 1), mb_u8(l, 1), mb_u8(l, (uint8_t)-5), mb_u8(l, 14), mb_u8(l, 13);
	line_opcode_lengths(l);
	mb_u8(l, 0), mb_str(l, "/shared.c"), mb_uleb(l, 0), mb_uleb(l, 0), mb_uleb(l, 0), mb_u8(l, 0);
	mb_patch(l, hl, l->n - hstart, 4);
	set_address(l, 0x1000);
	mb_u8(l, 1);
	for (int k = 0; k < 400; k++)
		mb_u8(l, 3), mb_sleb(l, 1), mb_u8(l, 2), mb_uleb(l, 120), mb_u8(l, 1);
	end_sequence(l);
	mb_patch(l, 0, l->n - 4, 4);
	mb_buf img = image_of(&d);
	crp_symbolicator *s = load(&img);
	const crp_symbolication *sym;
	ck_assert_int_eq(crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0), 0x1000, NULL), CRP_OK);
	ck_assert_ptr_nonnull(sym);
	ck_assert_str_eq(sym->locs[0].file, "/shared.c");
	size_t with_lines = 0;
	for (int k = 0; k < UNITS; k++) {
		ck_assert_int_eq(crp_symbolicator_lookup(&sym, s, crp_symbolicator_image(s, 0),
							 0x1000 + 16 * (uint64_t)k, NULL), CRP_OK);
		with_lines += sym != NULL;
	}
	ck_assert_uint_gt(with_lines, 1);
	ck_assert_uint_lt(with_lines, UNITS / 2);
	ck_assert_ptr_null(sym); /* the last unit read: the budget was spent long before */
	crp_symbolicator_free(s);
	free(img.p);
	free_set(&d);
}
END_TEST

START_TEST(reader_limits_and_units)
{
	/* an abbreviation with too many attributes is refused: the unit is unreadable */
	dwarf_set d;
	memset(&d, 0, sizeof d);
	mb_buf *a = &d.s[S_ABBREV];
	mb_uleb(a, 1), mb_uleb(a, 0x11), mb_u8(a, 0);
	for (int k = 0; k < 600; k++)
		mb_uleb(a, 0x3a), mb_uleb(a, F_data1);
	mb_u8(a, 0), mb_u8(a, 0), mb_u8(a, 0);
	mb_buf *i = &d.s[S_INFO];
	mb_u32(i, 7), mb_u16(i, 4), mb_u32(i, 0), mb_u8(i, 8);
	mb_u32(i, 7), mb_u16(i, 9), mb_u32(i, 0), mb_u8(i, 8); /* a unit of version 9 */
	crp_dwarf_sections secs;
	memset(&secs, 0, sizeof secs);
	secs.data[CRP_DW_SEC_INFO] = d.s[S_INFO].p, secs.size[CRP_DW_SEC_INFO] = d.s[S_INFO].n;
	secs.data[CRP_DW_SEC_ABBREV] = d.s[S_ABBREV].p, secs.size[CRP_DW_SEC_ABBREV] = d.s[S_ABBREV].n;
	crp_dwarf *dw;
	ck_assert_int_eq(crp__dwarf_open(&dw, &secs, NULL, NULL), CRP_OK);
	ck_assert_uint_eq(crp__dwarf_unit_count(dw), 2);
	ck_assert_int_eq(crp__dwarf_unit(dw, 0)->status, CRP_ECORRUPT);
	ck_assert_int_eq(crp__dwarf_unit(dw, 1)->status, CRP_EUNSUPPORTED);
	crp_dwarf_walk w;
	ck_assert_int_ne(crp__dwarf_walk_init(&w, dw, 0), CRP_OK);
	crp_dwarf_die die;
	ck_assert_int_eq(crp__dwarf_walk_next(&w, &die), CRP_ITEROVER);
	ck_assert_int_ne(crp__dwarf_die_at(dw, 11, &die), CRP_OK);
	crp__dwarf_close(dw);
	free_set(&d);
}
END_TEST

START_TEST(walking_and_names_through_the_internal_api)
{
	dwarf_set d = build_v5();
	crp_dwarf_sections secs;
	memset(&secs, 0, sizeof secs);
	static const int map[S_COUNT] = {CRP_DW_SEC_INFO, CRP_DW_SEC_ABBREV, CRP_DW_SEC_LINE, CRP_DW_SEC_STR,
					 CRP_DW_SEC_LINE_STR, CRP_DW_SEC_STR_OFFSETS, CRP_DW_SEC_ADDR,
					 CRP_DW_SEC_RNGLISTS};
	for (int k = 0; k < S_COUNT; k++)
		secs.data[map[k]] = d.s[k].p, secs.size[map[k]] = d.s[k].n;
	crp_dwarf *dw;
	ck_assert_int_eq(crp__dwarf_open(&dw, &secs, NULL, NULL), CRP_OK);
	const crp_dwarf_unit *u = crp__dwarf_unit(dw, 0);
	ck_assert_int_eq(u->version, 5);
	ck_assert_str_eq(u->name, "d5.c");
	ck_assert_str_eq(u->comp_dir, "/src");
	ck_assert_uint_eq(u->base_addr, 0x1000);
	crp_dwarf_walk w;
	crp_dwarf_die die;
	ck_assert_int_eq(crp__dwarf_walk_init(&w, dw, 0), CRP_OK);
	unsigned tags[8], depths[8];
	size_t n = 0;
	int rc;
	while ((rc = crp__dwarf_walk_next(&w, &die)) == CRP_OK && n < 8) {
		tags[n] = die.tag;
		depths[n++] = die.depth;
		if (die.tag == CRP_DW_TAG_inlined_subroutine) {
			const char *name, *link;
			crp__dwarf_die_names(dw, &die, &name, &link);
			ck_assert_str_eq(name, "inl");
			ck_assert_ptr_null(link);
			ck_assert_uint_eq(die.call_line, 7);
		}
	}
	ck_assert_int_eq(rc, CRP_ITEROVER);
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(tags[0], 0x11);
	ck_assert_uint_eq(depths[0], 0);
	ck_assert_uint_eq(tags[1], 0x2e);
	ck_assert_uint_eq(depths[1], 1);
	ck_assert_uint_eq(tags[2], 0x2e);
	ck_assert_uint_eq(depths[2], 1);
	ck_assert_uint_eq(tags[3], 0x0b);
	ck_assert_uint_eq(depths[3], 2);
	ck_assert_uint_eq(tags[4], 0x1d);
	ck_assert_uint_eq(depths[4], 3);
	/* file paths the way LLVM joins them */
	crp_dwarf_lines lt;
	char path[64];
	ck_assert_int_eq(crp__dwarf_lines_open(&lt, dw, u, NULL, NULL, NULL), CRP_OK);
	ck_assert(crp__dwarf_lines_has_file(&lt, 0) && crp__dwarf_lines_has_file(&lt, 1));
	ck_assert(!crp__dwarf_lines_has_file(&lt, 2));
	ck_assert_uint_eq(crp__dwarf_lines_path(&lt, 1, u->comp_dir, path, sizeof path), 10);
	ck_assert_str_eq(path, "/src/inc.h");
	ck_assert_uint_eq(crp__dwarf_lines_path(&lt, 1, u->comp_dir, path, 5), 10); /* cut, like snprintf */
	ck_assert_str_eq(path, "/src");
	crp__dwarf_lines_dispose(&lt);
	crp__dwarf_close(dw);
	free_set(&d);
}
END_TEST

Suite *suite_dwarf(void)
{
	Suite *s = suite_create("dwarf");
	TCase *tc = tcase_create("dwarf");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, dwarf5_unit);
	tcase_add_test(tc, wide_lines_through_a_cache);
	tcase_add_test(tc, dwarf64_unit);
	tcase_add_test(tc, synthetic_units_agree_with_llvm_symbolizer);
	tcase_add_test(tc, every_truncation_of_every_section);
	tcase_add_test(tc, random_byte_damage);
	tcase_add_test(tc, cycles_and_depth);
	tcase_add_test(tc, reader_limits_and_units);
	tcase_add_test(tc, shared_line_tables_are_budgeted);
	tcase_add_test(tc, walking_and_names_through_the_internal_api);
	suite_add_tcase(s, tc);
	return s;
}
