#include <stdio.h>

#include "common/bytes.h"
#include "macho.h"

#define MH_MAGIC 0xfeedfaceu
#define MH_MAGIC_64 0xfeedfacfu
#define MH_CIGAM 0xcefaedfeu
#define MH_CIGAM_64 0xcffaedfeu
#define FAT_MAGIC 0xcafebabeu
#define FAT_MAGIC_64 0xcafebabfu

#define LC_SEGMENT 0x1u
#define LC_SYMTAB 0x2u
#define LC_ID_DYLIB 0xdu
#define LC_SEGMENT_64 0x19u
#define LC_UUID 0x1bu
#define LC_FUNCTION_STARTS 0x26u

static int corrupt(crp_error *err, uint64_t off, const char *fmt, ...) CRP_PRINTF(3, 4);
static int corrupt(crp_error *err, uint64_t off, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		crp__error_clear(err);
		crp__error_setv(err, CRP_ECORRUPT, fmt, ap);
		err->byte_offset = off;
		va_end(ap);
	}
	return CRP_ECORRUPT;
}

static int fail(crp_error *err, int code, const char *msg)
{
	if (err) {
		crp__error_clear(err);
		crp__error_set(err, code, "%s", msg);
	}
	return code;
}

int crp__macho_sniff(const uint8_t *data, size_t len)
{
	if (len < 4)
		return 0;
	uint32_t le = crp__le32(data), be = crp__be32(data);
	if (le == MH_MAGIC || le == MH_MAGIC_64 || le == MH_CIGAM || le == MH_CIGAM_64)
		return 1;
	return be == FAT_MAGIC || be == FAT_MAGIC_64 ? 2 : 0;
}

/* -- universal headers ------------------------------------------------------------------- */

static int check_slices(crp_macho_slice *s, size_t n, crp_error *err)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			if (s[i].offset < s[j].offset + s[j].size && s[j].offset < s[i].offset + s[i].size)
				return corrupt(err, 0, "universal header: slices %zu and %zu overlap", i, j);
	return CRP_OK;
}

int crp__macho_slices(crp_macho_slice *out, size_t *count, const uint8_t *data, size_t len,
		      crp_error *err)
{
	*count = 0;
	int kind = crp__macho_sniff(data, len);
	if (kind == 0)
		return fail(err, CRP_EUNSUPPORTED, "not a Mach-O file (unknown magic)");
	if (kind == 1) {
		if (len < 28)
			return corrupt(err, 0, "Mach-O header truncated (%zu bytes)", len);
		out[0].cputype = (int32_t)crp__le32(data + 4);
		out[0].cpusubtype = (int32_t)crp__le32(data + 8);
		out[0].offset = 0;
		out[0].size = len;
		*count = 1;
		return CRP_OK;
	}
	bool is64 = crp__be32(data) == FAT_MAGIC_64;
	size_t entsize = is64 ? 32 : 20;
	uint32_t n = len >= 8 ? crp__be32(data + 4) : 0;
	if (len < 8)
		return corrupt(err, 0, "universal header truncated");
	if (n == 0 || n > CRP_MACHO_MAX_SLICES)
		return corrupt(err, 4, "universal header claims %u slices (1 to %u allowed; a Java class "
				       "file has the same magic)", n, CRP_MACHO_MAX_SLICES);
	if (!crp__in_bounds(8, (uint64_t)n * entsize, len))
		return corrupt(err, 8, "universal header: %u slice entries do not fit in the file", n);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = data + 8 + (size_t)i * entsize;
		crp_macho_slice *s = &out[i];
		s->cputype = (int32_t)crp__be32(e);
		s->cpusubtype = (int32_t)crp__be32(e + 4);
		s->offset = is64 ? crp__be64(e + 8) : crp__be32(e + 8);
		s->size = is64 ? crp__be64(e + 16) : crp__be32(e + 12);
		if (s->size == 0 || !crp__in_bounds(s->offset, s->size, len))
			return corrupt(err, 8 + (uint64_t)i * entsize,
				       "universal header: slice %u [0x%llx, +0x%llx) lies outside the file "
				       "(%zu bytes)", i, (unsigned long long)s->offset,
				       (unsigned long long)s->size, len);
		if (s->offset < 8 + (uint64_t)n * entsize)
			return corrupt(err, 8 + (uint64_t)i * entsize,
				       "universal header: slice %u overlaps the header", i);
	}
	CRP_TRY(check_slices(out, n, err));
	*count = n;
	return CRP_OK;
}

/* -- thin images ------------------------------------------------------------------------- */

typedef struct lc {
	uint32_t index;
	uint32_t cmd;
	uint64_t off;        /* of the command in the slice */
	const uint8_t *p;
	uint32_t size;
} lc;

static void name16(char dst[17], const uint8_t *src)
{
	memcpy(dst, src, 16);
	dst[16] = '\0';
}

static bool zerofill(uint32_t flags)
{
	uint32_t t = flags & CRP_SECTION_TYPE;
	return t == CRP_S_ZEROFILL || t == CRP_S_GB_ZEROFILL || t == CRP_S_THREAD_LOCAL_ZEROFILL;
}

static int read_section(crp_macho *m, const lc *c, const uint8_t *p, crp_macho_section *s,
			crp_error *err)
{
	name16(s->sectname, p);
	name16(s->segname, p + 16);
	s->addr = m->is64 ? crp__le64(p + 32) : crp__le32(p + 32);
	s->size = m->is64 ? crp__le64(p + 40) : crp__le32(p + 36);
	s->offset = crp__le32(p + (m->is64 ? 48 : 40));
	s->flags = crp__le32(p + (m->is64 ? 64 : 56));
	if (s->offset && !zerofill(s->flags) && !crp__in_bounds(s->offset, s->size, m->size))
		return corrupt(err, c->off, "load command %u: section %s,%s [0x%x, +0x%llx) extends past "
					    "the end of the file (%zu bytes)", c->index, s->segname,
			       s->sectname, s->offset, (unsigned long long)s->size, m->size);
	return CRP_OK;
}

static int read_segment(crp_macho *m, const lc *c, crp_error *err)
{
	size_t hdr = m->is64 ? 72 : 56, secsize = m->is64 ? 80 : 68;
	if (c->size < hdr)
		return corrupt(err, c->off, "load command %u: segment command too small (%u bytes)",
			       c->index, c->size);
	const uint8_t *p = c->p;
	crp_macho_segment seg;
	name16(seg.name, p + 8);
	seg.vmaddr = m->is64 ? crp__le64(p + 24) : crp__le32(p + 24);
	seg.vmsize = m->is64 ? crp__le64(p + 32) : crp__le32(p + 28);
	seg.fileoff = m->is64 ? crp__le64(p + 40) : crp__le32(p + 32);
	seg.filesize = m->is64 ? crp__le64(p + 48) : crp__le32(p + 36);
	seg.nsects = crp__le32(p + (m->is64 ? 64 : 48));
	seg.first_section = (uint32_t)m->section_count;
	if (seg.filesize && !crp__in_bounds(seg.fileoff, seg.filesize, m->size))
		return corrupt(err, c->off, "load command %u: segment %s [0x%llx, +0x%llx) extends past "
					    "the end of the file (%zu bytes)", c->index, seg.name,
			       (unsigned long long)seg.fileoff, (unsigned long long)seg.filesize, m->size);
	if (seg.nsects > (c->size - hdr) / secsize)
		return corrupt(err, c->off, "load command %u: segment %s claims %u sections, its command "
					    "holds %zu", c->index, seg.name, seg.nsects,
			       (c->size - hdr) / secsize);
	if (m->section_count + seg.nsects > CRP_MACHO_MAX_SECTIONS)
		return corrupt(err, c->off, "more than %u sections", CRP_MACHO_MAX_SECTIONS);
	for (uint32_t i = 0; i < seg.nsects; i++)
		CRP_TRY(read_section(m, c, p + hdr + (size_t)i * secsize,
				     &m->sections[m->section_count++], err));
	m->segments[m->segment_count++] = seg;
	return CRP_OK;
}

static int read_symtab(crp_macho *m, const lc *c, crp_error *err)
{
	if (c->size < 24)
		return corrupt(err, c->off, "load command %u: LC_SYMTAB too small", c->index);
	if (m->has_symtab)
		return corrupt(err, c->off, "load command %u: second LC_SYMTAB", c->index);
	m->symoff = crp__le32(c->p + 8);
	m->nsyms = crp__le32(c->p + 12);
	m->stroff = crp__le32(c->p + 16);
	m->strsize = crp__le32(c->p + 20);
	uint64_t entsize = m->is64 ? 16 : 12;
	if (!crp__in_bounds(m->symoff, (uint64_t)m->nsyms * entsize, m->size))
		return corrupt(err, c->off, "load command %u: LC_SYMTAB: %u symbols at 0x%x extend past "
					    "the end of the file (%zu bytes)", c->index, m->nsyms,
			       m->symoff, m->size);
	if (!crp__in_bounds(m->stroff, m->strsize, m->size))
		return corrupt(err, c->off, "load command %u: LC_SYMTAB: string table [0x%x, +0x%x) "
					    "extends past the end of the file (%zu bytes)", c->index,
			       m->stroff, m->strsize, m->size);
	m->has_symtab = true;
	if (crp__strtab_init(&m->strtab, m->data + m->stroff, m->strsize, &m->alloc) != CRP_OK)
		return fail(err, CRP_ENOMEM, "out of memory");
	return CRP_OK;
}

static int read_linkedit(crp_macho *m, const lc *c, crp_error *err)
{
	if (c->size < 16)
		return corrupt(err, c->off, "load command %u: LC_FUNCTION_STARTS too small", c->index);
	if (m->has_function_starts)
		return corrupt(err, c->off, "load command %u: second LC_FUNCTION_STARTS", c->index);
	m->fstarts_off = crp__le32(c->p + 8);
	m->fstarts_size = crp__le32(c->p + 12);
	if (!crp__in_bounds(m->fstarts_off, m->fstarts_size, m->size))
		return corrupt(err, c->off, "load command %u: LC_FUNCTION_STARTS [0x%x, +0x%x) extends "
					    "past the end of the file", c->index, m->fstarts_off,
			       m->fstarts_size);
	m->has_function_starts = true;
	return CRP_OK;
}

static int read_uuid(crp_macho *m, const lc *c, crp_error *err)
{
	if (c->size < 24)
		return corrupt(err, c->off, "load command %u: LC_UUID too small", c->index);
	if (m->has_uuid)
		return corrupt(err, c->off, "load command %u: second LC_UUID", c->index);
	memcpy(m->uuid.bytes, c->p + 8, 16);
	m->has_uuid = true;
	return CRP_OK;
}

static int read_id_dylib(crp_macho *m, const lc *c, crp_error *err)
{
	uint32_t name_off = c->size >= 24 ? crp__le32(c->p + 8) : 0;
	if (c->size < 24 || name_off < 24 || name_off >= c->size ||
	    !memchr(c->p + name_off, 0, c->size - name_off))
		return corrupt(err, c->off, "load command %u: LC_ID_DYLIB name is not a string inside "
					    "the command", c->index);
	if (!m->id_dylib)
		m->id_dylib = (const char *)c->p + name_off;
	return CRP_OK;
}

static int read_command(crp_macho *m, const lc *c, crp_error *err)
{
	switch (c->cmd) {
	case LC_SEGMENT: return m->is64 ? CRP_OK : read_segment(m, c, err);
	case LC_SEGMENT_64: return m->is64 ? read_segment(m, c, err) : CRP_OK;
	case LC_SYMTAB: return read_symtab(m, c, err);
	case LC_FUNCTION_STARTS: return read_linkedit(m, c, err);
	case LC_UUID: return read_uuid(m, c, err);
	case LC_ID_DYLIB: return read_id_dylib(m, c, err);
	default: return CRP_OK;
	}
}

/* Counts segments and sections first so the arrays are allocated once. */
static int count_commands(crp_macho *m, size_t hdr, uint32_t ncmds, uint32_t sizeofcmds,
			  size_t *segs, size_t *sects, crp_error *err)
{
	uint64_t off = hdr;
	*segs = *sects = 0;
	for (uint32_t i = 0; i < ncmds; i++) {
		if (sizeofcmds - (off - hdr) < 8)
			return corrupt(err, off, "load command %u lies outside sizeofcmds (%u)", i, sizeofcmds);
		uint32_t cmd = crp__le32(m->data + off), size = crp__le32(m->data + off + 4);
		if (size < 8 || size > sizeofcmds - (off - hdr))
			return corrupt(err, off, "load command %u: cmdsize %u is out of range", i, size);
		uint32_t want = m->is64 ? LC_SEGMENT_64 : LC_SEGMENT;
		if (cmd == want && size >= (m->is64 ? 72u : 56u)) {
			(*segs)++;
			*sects += crp__le32(m->data + off + (m->is64 ? 64 : 48));
		}
		off += size;
	}
	return CRP_OK;
}

static int alloc_tables(crp_macho *m, size_t segs, size_t sects, crp_error *err)
{
	if (sects > CRP_MACHO_MAX_SECTIONS)
		sects = CRP_MACHO_MAX_SECTIONS;
	m->segments = crp__malloc(&m->alloc, (segs ? segs : 1) * sizeof *m->segments);
	m->sections = crp__malloc(&m->alloc, (sects ? sects : 1) * sizeof *m->sections);
	if (!m->segments || !m->sections)
		return fail(err, CRP_ENOMEM, "out of memory");
	return CRP_OK;
}

static int read_header(crp_macho *m, uint32_t *ncmds, uint32_t *sizeofcmds, size_t *hdr,
		       crp_error *err)
{
	if (m->size < 4)
		return corrupt(err, 0, "Mach-O header truncated");
	uint32_t magic = crp__le32(m->data);
	if (magic == MH_CIGAM || magic == MH_CIGAM_64)
		return fail(err, CRP_EUNSUPPORTED, "big-endian Mach-O images are not supported");
	if (magic != MH_MAGIC && magic != MH_MAGIC_64)
		return fail(err, CRP_EUNSUPPORTED, "not a Mach-O image (unknown magic)");
	m->is64 = magic == MH_MAGIC_64;
	*hdr = m->is64 ? 32 : 28;
	if (m->size < *hdr)
		return corrupt(err, 0, "Mach-O header truncated (%zu bytes)", m->size);
	m->cputype = (int32_t)crp__le32(m->data + 4);
	m->cpusubtype = (int32_t)crp__le32(m->data + 8);
	m->filetype = crp__le32(m->data + 12);
	*ncmds = crp__le32(m->data + 16);
	*sizeofcmds = crp__le32(m->data + 20);
	if (!crp__in_bounds(*hdr, *sizeofcmds, m->size))
		return corrupt(err, 20, "sizeofcmds %u extends past the end of the file (%zu bytes)",
			       *sizeofcmds, m->size);
	if (*ncmds > *sizeofcmds / 8)
		return corrupt(err, 16, "ncmds %u cannot fit in sizeofcmds %u", *ncmds, *sizeofcmds);
	return CRP_OK;
}

int crp__macho_parse(crp_macho *m, const uint8_t *data, size_t size, const crp_allocator *alloc,
		     crp_error *err)
{
	memset(m, 0, sizeof *m);
	crp__allocator_init(&m->alloc, alloc);
	m->data = data;
	m->size = size;
	uint32_t ncmds = 0, sizeofcmds = 0;
	size_t hdr = 0, segs = 0, sects = 0;
	CRP_TRY(read_header(m, &ncmds, &sizeofcmds, &hdr, err));
	CRP_TRY(count_commands(m, hdr, ncmds, sizeofcmds, &segs, &sects, err));
	CRP_TRY(alloc_tables(m, segs, sects, err));
	uint64_t off = hdr;
	for (uint32_t i = 0; i < ncmds; i++) {
		lc c = {i, crp__le32(data + off), off, data + off, crp__le32(data + off + 4)};
		CRP_TRY(read_command(m, &c, err));
		off += c.size;
	}
	for (size_t i = 0; i < m->segment_count && !m->text; i++)
		if (strcmp(m->segments[i].name, "__TEXT") == 0)
			m->text = &m->segments[i];
	return CRP_OK;
}

void crp__macho_dispose(crp_macho *m)
{
	if (!m->alloc.free)
		return;
	crp__free(&m->alloc, m->segments);
	crp__free(&m->alloc, m->sections);
	crp__strtab_dispose(&m->strtab, &m->alloc);
	m->segments = NULL;
	m->sections = NULL;
	m->segment_count = m->section_count = 0;
}

const crp_macho_section *crp__macho_find_section(const crp_macho *m, const char *seg,
						  const char *sect)
{
	for (size_t i = 0; i < m->section_count; i++)
		if (strncmp(m->sections[i].segname, seg, 16) == 0 &&
		    strncmp(m->sections[i].sectname, sect, 16) == 0)
			return &m->sections[i];
	return NULL;
}

const uint8_t *crp__macho_section_data(const crp_macho *m, const crp_macho_section *s, size_t *len)
{
	*len = 0;
	if (!s || !s->offset || zerofill(s->flags) || !crp__in_bounds(s->offset, s->size, m->size))
		return NULL;
	*len = (size_t)s->size;
	return m->data + s->offset;
}

void crp__macho_symbol_head(const crp_macho *m, uint32_t i, crp_macho_nlist *out)
{
	const uint8_t *p = m->data + m->symoff + (size_t)i * (m->is64 ? 16 : 12);
	const crp_strtab *t = &m->strtab;
	out->strx = crp__le32(p);
	out->type = p[4];
	out->sect = p[5];
	out->desc = crp__le16(p + 6);
	out->value = m->is64 ? crp__le64(p + 8) : crp__le32(p + 8);
	out->name = NULL;
	/* a table ending in NUL terminates every string in it: no need to look */
	bool terminated = t->size && t->data[t->size - 1] == '\0';
	out->bad_name = out->strx && (out->strx >= t->size || (!terminated && !crp__strtab_get(t, out->strx)));
}

const char *crp__macho_symbol_name(const crp_macho *m, uint32_t strx)
{
	return strx ? crp__strtab_get(&m->strtab, strx) : "";
}

void crp__macho_symbol(const crp_macho *m, uint32_t i, crp_macho_nlist *out)
{
	crp__macho_symbol_head(m, i, out);
	out->name = out->bad_name ? "" : crp__macho_symbol_name(m, out->strx);
}

/* Entries before the terminating zero delta (or the end of the data). */
static size_t count_starts(const crp_macho *m)
{
	crp_cursor c = crp__cursor(m->data + m->fstarts_off, m->fstarts_size);
	size_t n = 0;
	while (crp__cur_left(&c) && crp__cur_uleb(&c) && !c.bad)
		n++;
	return n;
}

int crp__macho_function_starts(const crp_macho *m, uint64_t **out, size_t *count, crp_error *err)
{
	*out = NULL;
	*count = 0;
	if (!m->has_function_starts || !m->fstarts_size || !m->text)
		return CRP_OK;
	size_t n = count_starts(m); /* counted first: memory follows the entries, not the bytes */
	if (!n)
		return CRP_OK;
	uint64_t *v = crp__malloc(&m->alloc, n * sizeof *v);
	if (!v)
		return fail(err, CRP_ENOMEM, "out of memory");
	crp_cursor c = crp__cursor(m->data + m->fstarts_off, m->fstarts_size);
	uint64_t addr = m->text->vmaddr;
	for (size_t i = 0; i < n; i++) {
		uint64_t delta = crp__cur_uleb(&c);
		if (addr + delta < addr) {
			crp__free(&m->alloc, v);
			return corrupt(err, m->fstarts_off, "LC_FUNCTION_STARTS overflows the address space");
		}
		addr += delta;
		v[i] = (m->cputype == CRP_CPU_TYPE_ARM) ? addr & ~UINT64_C(1) : addr;
	}
	*out = v;
	*count = n;
	return CRP_OK;
}

void crp__macho_dwarf_sections(const crp_macho *m, crp_dwarf_sections *s)
{
	static const char *const names[CRP_DW_SEC_COUNT] = {
		"__debug_info", "__debug_abbrev", "__debug_line", "__debug_str", "__debug_line_str",
		"__debug_ranges", "__debug_rnglists", "__debug_addr", "__debug_str_offs",
		"__debug_aranges"};
	memset(s, 0, sizeof *s);
	for (int i = 0; i < CRP_DW_SEC_COUNT; i++)
		s->data[i] = crp__macho_section_data(m, crp__macho_find_section(m, "__DWARF", names[i]),
						     &s->size[i]);
}
