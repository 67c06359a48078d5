/* crp_breakpad_dump_syms(): the inputs (files mapped, .dSYM bundles opened, the slice of a
 * universal file chosen, binary and dSYM matched) and the MODULE line. The records are made in
 * breakpad_dwarf.c and breakpad_write.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "breakpad_int.h"

#define MAX_BUNDLE_ENTRIES 64u  /* DWARF files looked at in a bundle */

/* One input: a file or caller memory, and the slice chosen from it. */
typedef struct source {
	const char *label;       /* for messages */
	char *path;              /* the file read (inside a bundle for a .dSYM); NULL for memory */
	const uint8_t *data;
	size_t size;
	bool mapped;
	crp_macho m;
	bool parsed;
} source;

static int set_err(crp_error *err, int code, const char *fmt, ...) CRP_PRINTF(3, 4);
static int set_err(crp_error *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		crp__error_clear(err);
		crp__error_setv(err, code, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* "LABEL: message" for errors the Mach-O reader described without knowing the file. */
static int with_label(crp_error *err, int code, const char *label)
{
	if (err) {
		char msg[CRP_ERROR_MESSAGE_SIZE];
		snprintf(msg, sizeof msg, "%s", err->message);
		uint64_t off = err->byte_offset;
		set_err(err, code, "%s: %s", label, msg);
		err->byte_offset = off;
	}
	return code;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static char *join(const crp_allocator *a, const char *dir, const char *name)
{
	size_t n = strlen(dir), k = strlen(name);
	char *p = crp__malloc(a, n + k + 2);
	if (p)
		snprintf(p, n + k + 2, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
	return p;
}

static char *dup_str(const crp_allocator *a, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = crp__malloc(a, n);
	return p ? memcpy(p, s, n) : NULL;
}

/* -- files --------------------------------------------------------------------------------- */

static int cmp_cstr(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A .dSYM bundle holds its DWARF file in Contents/Resources/DWARF: the one named @p want, else
 * the only one. */
static int bundle_file(const crp_allocator *a, const char *bundle, const char *want, char **out,
		       crp_error *err)
{
	char *dir = join(a, bundle, "Contents/Resources/DWARF");
	if (!dir)
		return set_err(err, CRP_ENOMEM, "out of memory");
	DIR *d = opendir(dir);
	if (!d) {
		crp__free(a, dir);
		return set_err(err, CRP_ENOTFOUND, "%s: a directory, but not a .dSYM bundle (no "
						   "Contents/Resources/DWARF)", bundle);
	}
	char *names[MAX_BUNDLE_ENTRIES];
	size_t n = 0;
	int rc = CRP_OK;
	for (struct dirent *e; rc == CRP_OK && (e = readdir(d));) {
		if (e->d_name[0] == '.' || n == MAX_BUNDLE_ENTRIES)
			continue;
		if (!(names[n] = dup_str(a, e->d_name)))
			rc = set_err(err, CRP_ENOMEM, "out of memory");
		else
			n++;
	}
	closedir(d);
	crp__bp_sort(names, n, sizeof *names, cmp_cstr);
	size_t pick = n;
	for (size_t i = 0; want && i < n; i++)
		if (strcmp(names[i], want) == 0)
			pick = i;
	if (rc == CRP_OK && pick == n && n == 1)
		pick = 0;
	if (rc == CRP_OK && n == 0)
		rc = set_err(err, CRP_ENOTFOUND, "%s: no DWARF file in Contents/Resources/DWARF", bundle);
	else if (rc == CRP_OK && pick == n)
		rc = set_err(err, CRP_EINVAL, "%s holds %zu DWARF files and none is named like the "
					      "binary", bundle, n);
	if (rc == CRP_OK && !(*out = join(a, dir, names[pick])))
		rc = set_err(err, CRP_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		crp__free(a, names[i]);
	crp__free(a, dir);
	return rc;
}

static int map_checked(source *s, int fd, uint64_t max_bytes, crp_error *err)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		return set_err(err, CRP_EIO, "%s is not a regular file", s->path);
	if ((uint64_t)st.st_size > max_bytes || (uint64_t)st.st_size > SIZE_MAX)
		return set_err(err, CRP_ELIMIT, "%s: %llu bytes is more than the limit (%llu)", s->path,
			       (unsigned long long)st.st_size, (unsigned long long)max_bytes);
	if (st.st_size < 4)
		return set_err(err, CRP_EUNSUPPORTED, "%s: not a Mach-O file (%lld bytes)", s->path,
			       (long long)st.st_size);
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		return set_err(err, CRP_EIO, "cannot map %s: %s", s->path, strerror(errno));
	s->data = p;
	s->size = (size_t)st.st_size;
	s->mapped = true;
	return CRP_OK;
}

/* Maps @p path, or the DWARF file of the bundle it names. */
static int open_path(source *s, const crp_allocator *a, const char *path, const char *want,
		     uint64_t max_bytes, crp_error *err)
{
	struct stat st;
	s->label = path;
	if (stat(path, &st) != 0)
		return set_err(err, errno == ENOENT ? CRP_ENOTFOUND : CRP_EIO, "cannot open %s: %s", path,
			       strerror(errno));
	if (S_ISDIR(st.st_mode))
		CRP_TRY(bundle_file(a, path, want, &s->path, err));
	else if (!(s->path = dup_str(a, path)))
		return set_err(err, CRP_ENOMEM, "out of memory");
	int fd = open(s->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return set_err(err, errno == ENOENT ? CRP_ENOTFOUND : CRP_EIO, "cannot open %s: %s",
			       s->path, strerror(errno));
	int rc = map_checked(s, fd, max_bytes, err);
	close(fd);
	return rc;
}

static void source_dispose(source *s, const crp_allocator *a)
{
	if (s->parsed)
		crp__macho_dispose(&s->m);
	if (s->mapped)
		munmap((void *)(uintptr_t)s->data, s->size);
	crp__free(a, s->path);
}

/* -- slices -------------------------------------------------------------------------------- */

static const char *arch_of(int32_t cputype, int32_t cpusubtype)
{
	const char *a = crp_arch_name(cputype, cpusubtype);
	return a ? a : "?";
}

static void list_arches(char *buf, size_t cap, const crp_macho_slice *sl, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? " " : "",
					arch_of(sl[i].cputype, sl[i].cpusubtype));
}

static bool same_cpu(const crp_macho_slice *s, int32_t type, int32_t sub)
{
	return s->cputype == type && (s->cpusubtype & CRP_CPU_SUBTYPE_MASK) == (sub & CRP_CPU_SUBTYPE_MASK);
}

/* The slice named @p arch, else the one of CPU @p like (when given), else the only one. */
static int choose(const source *s, const crp_macho_slice *sl, size_t n, const char *arch,
		  const crp_macho *like, size_t *out, crp_error *err)
{
	char names[160];
	list_arches(names, sizeof names, sl, n);
	for (size_t i = 0; i < n; i++)
		if (arch ? strcmp(arch_of(sl[i].cputype, sl[i].cpusubtype), arch) == 0
			 : like ? same_cpu(&sl[i], like->cputype, like->cpusubtype) : n == 1) {
			*out = i;
			return CRP_OK;
		}
	if (arch)
		return set_err(err, CRP_EINVAL, "%s has no %s slice (it holds: %s)", s->label, arch, names);
	if (like)
		return set_err(err, CRP_EINVAL, "%s has no %s slice (it holds: %s)", s->label,
			       arch_of(like->cputype, like->cpusubtype), names);
	return set_err(err, CRP_EINVAL, "%s holds several architectures (%s): choose one", s->label, names);
}

static int parse_slice(source *s, const crp_allocator *a, const char *arch, const crp_macho *like,
		       crp_error *err)
{
	crp_macho_slice sl[CRP_MACHO_MAX_SLICES];
	size_t n = 0, pick = 0;
	int rc = crp__macho_slices(sl, &n, s->data, s->size, err);
	if (rc != CRP_OK)
		return with_label(err, rc, s->label);
	CRP_TRY(choose(s, sl, n, arch, like, &pick, err));
	s->parsed = true;
	rc = crp__macho_parse(&s->m, s->data + sl[pick].offset, (size_t)sl[pick].size, a, err);
	if (rc != CRP_OK)
		return with_label(err, rc, s->label);
	if (!s->m.has_uuid)
		return set_err(err, CRP_EUNSUPPORTED, "%s has no LC_UUID: Breakpad identifies Mach-O "
						      "images by it", s->label);
	if (!crp_arch_name(s->m.cputype, s->m.cpusubtype))
		return set_err(err, CRP_EUNSUPPORTED, "%s: unknown CPU type %d, subtype %d", s->label,
			       s->m.cputype, s->m.cpusubtype);
	return CRP_OK;
}

/* -- the module ---------------------------------------------------------------------------- */

static int check_name(const char *name, crp_error *err)
{
	size_t n = strlen(name);
	bool bad = n == 0 || n > CRP_BREAKPAD_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
	for (size_t i = 0; i < n && !bad; i++)
		bad = name[i] == '/' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f;
	/* the name is the rest of the MODULE line and a directory of a symbol store */
	return bad ? set_err(err, CRP_EINVAL, "'%.64s' cannot be a module name", name) : CRP_OK;
}

static void describe(crp_breakpad_module *mod, const crp_macho *m, const char *name)
{
	memset(mod, 0, sizeof *mod);
	strcpy(mod->os, "mac");
	snprintf(mod->arch, sizeof mod->arch, "%s", crp_arch_name(m->cputype, m->cpusubtype));
	for (int i = 0; i < 16; i++)
		snprintf(mod->debug_id + 2 * i, 3, "%02X", m->uuid.bytes[i]);
	mod->debug_id[32] = '0'; /* the age: always 0 for Mach-O */
	mod->debug_id[33] = '\0';
	snprintf(mod->name, sizeof mod->name, "%s", name);
}

static int check_pair(const source *bin, const source *dsym, crp_error *err)
{
	if (memcmp(bin->m.uuid.bytes, dsym->m.uuid.bytes, 16) == 0)
		return CRP_OK;
	char u1[37], u2[37];
	crp_uuid_format(&bin->m.uuid, u1);
	crp_uuid_format(&dsym->m.uuid, u2);
	return set_err(err, CRP_EINVAL, "%s (UUID %s) does not belong to %s (UUID %s)", dsym->label, u2,
		       bin->label, u1);
}

/* Everything collected first, then written: damage never leaves half a file in the sink. */
static int dump(crp_breakpad_module *out, const crp_sink *sink, source *bin, source *dsym,
		const char *name, unsigned flags, const crp_allocator *a, crp_error *err)
{
	const crp_macho *main = bin ? &bin->m : &dsym->m;
	const crp_macho *debug = dsym ? &dsym->m : &bin->m;
	const crp_macho *syms = bin && bin->m.has_symtab ? &bin->m : debug;
	uint64_t base = main->text ? main->text->vmaddr : debug->text ? debug->text->vmaddr : 0;
	size_t bytes = (bin ? bin->m.size : 0) + (dsym ? dsym->m.size : 0);
	bp_dump b;
	crp_breakpad_module mod;
	describe(&mod, main, name);
	int rc = crp__bp_init(&b, a, flags, base, bytes, err);
	if (rc == CRP_OK)
		rc = crp__bp_add_dwarf(&b, debug);
	if (rc == CRP_OK)
		rc = crp__bp_add_symbols(&b, syms);
	if (rc == CRP_OK)
		rc = crp__bp_finish(&b);
	if (rc == CRP_OK)
		rc = crp__bp_write(&b, sink, &mod);
	mod.units_damaged = b.units_damaged;
	crp__bp_dispose(&b);
	if (rc == CRP_OK && out)
		*out = mod;
	return rc;
}

static int check_options(const crp_breakpad_options *opts, const crp_sink *sink, crp_error *err)
{
	if (opts && opts->version != CRP_BREAKPAD_OPTIONS_VERSION)
		return set_err(err, CRP_EINVAL, "unknown crp_breakpad_options version %u", opts->version);
	if (!sink || !sink->write)
		return set_err(err, CRP_EINVAL, "no sink to write to");
	return CRP_OK;
}

/* Parses the slices (the dSYM's after the binary's, to match its CPU) and dumps. */
static int run(crp_breakpad_module *out, const crp_sink *sink, source *bin, source *dsym,
	       const char *name, const crp_breakpad_options *o, const crp_allocator *a, crp_error *err)
{
	CRP_TRY(check_name(name, err));
	if (bin)
		CRP_TRY(parse_slice(bin, a, o->arch, NULL, err));
	if (dsym)
		CRP_TRY(parse_slice(dsym, a, o->arch, bin ? &bin->m : NULL, err));
	if (bin && dsym)
		CRP_TRY(check_pair(bin, dsym, err));
	return dump(out, sink, bin, dsym, name, o->flags, a, err);
}

int crp_breakpad_dump_syms(crp_breakpad_module *out, const crp_sink *sink, const char *binary,
			   const char *dsym, const crp_breakpad_options *opts, crp_error *err)
{
	static const crp_breakpad_options defaults = CRP_BREAKPAD_OPTIONS_INIT;
	CRP_TRY(check_options(opts, sink, err));
	if (!binary && !dsym)
		return set_err(err, CRP_EINVAL, "no Mach-O file to dump");
	const crp_breakpad_options *o = opts ? opts : &defaults;
	uint64_t max = o->max_file_bytes ? o->max_file_bytes : CRP_BREAKPAD_DEFAULT_MAX_FILE_BYTES;
	crp_allocator a;
	crp__allocator_init(&a, o->allocator);
	source bs, ds;
	memset(&bs, 0, sizeof bs);
	memset(&ds, 0, sizeof ds);
	int rc = binary ? open_path(&bs, &a, binary, NULL, max, err) : CRP_OK;
	/* the bundle's DWARF file carries the binary's name */
	const char *want = binary && bs.path ? base_name(bs.path) : NULL;
	if (rc == CRP_OK && dsym)
		rc = open_path(&ds, &a, dsym, want, max, err);
	if (rc == CRP_OK) {
		const char *name = o->module_name ? o->module_name : base_name(binary ? bs.path : ds.path);
		rc = run(out, sink, binary ? &bs : NULL, dsym ? &ds : NULL, name, o, &a, err);
	}
	source_dispose(&bs, &a);
	source_dispose(&ds, &a);
	return rc;
}

int crp_breakpad_dump_syms_memory(crp_breakpad_module *out, const crp_sink *sink, const void *binary,
				  size_t binary_len, const void *dsym, size_t dsym_len, const char *name,
				  const crp_breakpad_options *opts, crp_error *err)
{
	static const crp_breakpad_options defaults = CRP_BREAKPAD_OPTIONS_INIT;
	CRP_TRY(check_options(opts, sink, err));
	if (!binary && !dsym)
		return set_err(err, CRP_EINVAL, "no Mach-O file to dump");
	const crp_breakpad_options *o = opts ? opts : &defaults;
	crp_allocator a;
	crp__allocator_init(&a, o->allocator);
	source bs = {"binary", NULL, binary, binary_len, false, {0}, false};
	source ds = {"dSYM", NULL, dsym, dsym_len, false, {0}, false};
	const char *n = o->module_name ? o->module_name : name ? name : "unknown";
	int rc = run(out, sink, binary ? &bs : NULL, dsym ? &ds : NULL, n, o, &a, err);
	source_dispose(&bs, &a);
	source_dispose(&ds, &a);
	return rc;
}
