/* The symbolicator: symbol files by path or from memory, images by UUID and CPU type, indexes
 * built on first use (once, whichever thread needs them first: see symbols_int.h), and
 * single-address lookups. Reports are in symbolicate.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols_int.h"

int crp__symbols_set_err(crp_error *err, int code, const char *fmt, ...)
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

static int grow(crp_symbolicator *s, void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return CRP_OK;
	size_t n = *cap ? *cap * 2 : 16;
	if (n < need || n > SIZE_MAX / elem)
		return CRP_ENOMEM;
	void *q = crp__realloc(&s->alloc, *p, n * elem);
	if (!q)
		return CRP_ENOMEM;
	*p = q;
	*cap = n;
	return CRP_OK;
}

static char *dup_str_with(const crp_allocator *a, const char *str)
{
	size_t n = strlen(str) + 1;
	char *p = crp__malloc(a, n);
	return p ? memcpy(p, str, n) : NULL;
}

static char *dup_str(crp_symbolicator *s, const char *str)
{
	return dup_str_with(&s->alloc, str);
}

int crp_symbolicator_new(crp_symbolicator **out, const crp_symbolicator_options *opts)
{
	crp_symbolicator_options o = CRP_SYMBOLICATOR_OPTIONS_INIT;
	*out = NULL;
	if (opts) {
		if (opts->version < 1 || opts->version > CRP_SYMBOLICATOR_OPTIONS_VERSION)
			return CRP_EINVAL;
		/* an earlier version's struct ends before the fields added since: only that is read */
		static const size_t size_of[] = {0, offsetof(crp_symbolicator_options, cache_dir),
						 offsetof(crp_symbolicator_options, flags),
						 offsetof(crp_symbolicator_options, cache_build_threads), sizeof o};
		memcpy(&o, opts, size_of[opts->version]);
		o.version = CRP_SYMBOLICATOR_OPTIONS_VERSION;
	}
	crp_allocator a;
	crp__allocator_init(&a, o.allocator);
	crp_symbolicator *s = crp__malloc(&a, sizeof *s);
	if (!s)
		return CRP_ENOMEM;
	memset(s, 0, sizeof *s);
	if (pthread_mutex_init(&s->map_lock, NULL) != 0) {
		crp__free(&a, s);
		return CRP_ENOMEM;
	}
	if (pthread_mutex_init(&s->evict_lock, NULL) != 0) {
		pthread_mutex_destroy(&s->map_lock);
		crp__free(&a, s);
		return CRP_ENOMEM;
	}
	s->cap = o.max_index_bytes;
	s->windows = o.flags & CRP_SYMBOLICATOR_WHOLE_UNITS ? 0 : SYM_WINDOWS;
	atomic_init(&s->clock, 1);
	atomic_init(&s->epoch, 1);
	s->alloc = a;
	o.max_file_bytes = o.max_file_bytes ? o.max_file_bytes : CRP_DEFAULT_MAX_SYMBOL_FILE_BYTES;
	o.max_files = o.max_files ? o.max_files : CRP_DEFAULT_MAX_SYMBOL_FILES;
	o.max_depth = o.max_depth ? o.max_depth : CRP_DEFAULT_MAX_SYMBOL_DIR_DEPTH;
	o.allocator = NULL;
	if (o.cache_dir && !(o.cache_dir = dup_str_with(&a, o.cache_dir))) {
		pthread_mutex_destroy(&s->map_lock);
		pthread_mutex_destroy(&s->evict_lock);
		crp__free(&a, s);
		return CRP_ENOMEM;
	}
	s->opts = o;
	*out = s;
	return CRP_OK;
}

static void unmap(crp_symbolicator *s, sym_file *f)
{
	CRP_UNUSED(s);
	if (f->data && !f->in_memory)
		munmap((void *)(uintptr_t)f->data, f->size);
	if (!f->in_memory)
		f->data = NULL;
}

static void drop_object(crp_symbolicator *s, sym_object *o)
{
	crp__macho_dispose(&o->macho);
	for (int i = 0; i < 3; i++)
		crp__free(&s->alloc, o->cache_meta[i]);
}

static void free_image(crp_symbolicator *s, crp_symbol_image *im)
{
	crp__symbols_backend_free(atomic_load(&im->backend), &s->alloc);
	pthread_mutex_destroy(&im->build_lock);
	crp__free(&s->alloc, im);
}

void crp_symbolicator_free(crp_symbolicator *s)
{
	if (!s)
		return;
	crp__symbols_evict_dispose(s);
	for (size_t i = 0; i < s->image_count; i++)
		free_image(s, s->images[i]);
	for (size_t i = 0; i < s->object_count; i++)
		drop_object(s, &s->objects[i]);
	for (size_t i = 0; i < s->file_count; i++) {
		unmap(s, &s->files[i]);
		crp__free(&s->alloc, s->files[i].path);
	}
	crp__free(&s->alloc, s->images);
	crp__free(&s->alloc, s->objects);
	crp__free(&s->alloc, s->files);
	crp_symbol_answer_free(s->last);
	crp__free(&s->alloc, (void *)s->opts.cache_dir);
	pthread_mutex_destroy(&s->map_lock);
	pthread_mutex_destroy(&s->evict_lock);
	crp__free(&s->alloc, s);
}

/* -- files ------------------------------------------------------------------------------- */

static int map_file(crp_symbolicator *s, sym_file *f, crp_error *err)
{
	if (f->data)
		return CRP_OK;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return crp__symbols_set_err(err, errno == ENOENT ? CRP_ENOTFOUND : CRP_EIO, "cannot open %s: %s",
			       f->path, strerror(errno));
	struct stat st;
	int rc = CRP_OK;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = crp__symbols_set_err(err, CRP_EIO, "%s is not a regular file", f->path);
	else if ((uint64_t)st.st_size > s->opts.max_file_bytes || (uint64_t)st.st_size > SIZE_MAX)
		rc = crp__symbols_set_err(err, CRP_ELIMIT, "%s: %llu bytes is more than the symbol file limit (%llu)",
			     f->path, (unsigned long long)st.st_size,
			     (unsigned long long)s->opts.max_file_bytes);
	else if (st.st_size < 4)
		rc = crp__symbols_set_err(err, CRP_EUNSUPPORTED, "%s: not a Mach-O file (too short)", f->path);
	else if (f->size && (st.st_dev != f->dev || st.st_ino != f->ino || (size_t)st.st_size != f->size))
		rc = crp__symbols_set_err(err, CRP_ECORRUPT, "%s changed since it was added", f->path);
	if (rc == CRP_OK) {
		void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			rc = crp__symbols_set_err(err, CRP_EIO, "cannot map %s: %s", f->path, strerror(errno));
		else
			f->data = p, f->size = (size_t)st.st_size, f->dev = st.st_dev, f->ino = st.st_ino,
			f->mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
	close(fd);
	return rc;
}

static int new_file(crp_symbolicator *s, const char *path, uint32_t *idx)
{
	CRP_TRY(grow(s, (void **)&s->files, &s->file_cap, s->file_count + 1, sizeof *s->files));
	sym_file *f = &s->files[s->file_count];
	memset(f, 0, sizeof *f);
	if (!(f->path = dup_str(s, path)))
		return CRP_ENOMEM;
	*idx = (uint32_t)s->file_count++;
	return CRP_OK;
}

/* -- images ------------------------------------------------------------------------------ */

static bool same_arch(int32_t t1, int32_t s1, int32_t t2, int32_t s2)
{
	return t1 == t2 && (s1 & CRP_CPU_SUBTYPE_MASK) == (s2 & CRP_CPU_SUBTYPE_MASK);
}

/* A binary carrying DWARF is filed as a binary: its DWARF is used when no dSYM comes. */
static bool is_debug(const sym_object *o)
{
	return o->filetype == CRP_MH_DSYM;
}

static int new_image(crp_symbolicator *s, const sym_object *o, crp_symbol_image **out)
{
	CRP_TRY(grow(s, (void **)&s->images, &s->image_cap, s->image_count + 1, sizeof *s->images));
	crp_symbol_image *im = crp__malloc(&s->alloc, sizeof *im);
	if (!im)
		return CRP_ENOMEM;
	memset(im, 0, sizeof *im);
	if (pthread_mutex_init(&im->build_lock, NULL) != 0) {
		crp__free(&s->alloc, im);
		return CRP_ENOMEM;
	}
	atomic_init(&im->built, false);
	im->owner = s;
	im->has_uuid = o->has_uuid;
	im->uuid = o->uuid;
	im->cputype = o->cputype;
	im->cpusubtype = o->cpusubtype;
	im->binary = im->debug = im->cache = NO_OBJECT;
	s->images[s->image_count++] = im;
	*out = im;
	return CRP_OK;
}

/* Files an object under its (UUID, CPU): the first binary, dSYM and cache added win. */
int crp__symbols_file_object(crp_symbolicator *s, uint32_t idx)
{
	const sym_object *o = &s->objects[idx];
	crp_symbol_image *im = NULL;
	for (size_t i = 0; o->has_uuid && i < s->image_count && !im; i++) {
		crp_symbol_image *c = s->images[i];
		if (c->has_uuid && memcmp(c->uuid.bytes, o->uuid.bytes, 16) == 0 &&
		    same_arch(c->cputype, c->cpusubtype, o->cputype, o->cpusubtype))
			im = c;
	}
	if (!im)
		CRP_TRY(new_image(s, o, &im));
	uint32_t *slot = o->is_cache ? &im->cache : is_debug(o) ? &im->debug : &im->binary;
	if (*slot == NO_OBJECT && !atomic_load_explicit(&im->built, memory_order_relaxed))
		*slot = idx;
	return CRP_OK;
}

static uint32_t count_defined(const crp_macho *m)
{
	uint32_t n = 0;
	for (uint32_t i = 0; m->has_symtab && i < m->nsyms; i++) {
		crp_macho_nlist e;
		crp__macho_symbol_head(m, i, &e);
		n += !(e.type & CRP_N_STAB) && (e.type & CRP_N_TYPE) == CRP_N_SECT;
	}
	return n;
}

static void describe(sym_object *o, const crp_macho *m)
{
	o->has_uuid = m->has_uuid;
	o->uuid = m->uuid;
	o->cputype = m->cputype;
	o->cpusubtype = m->cpusubtype;
	o->filetype = m->filetype;
	o->has_dwarf = crp__macho_find_section(m, "__DWARF", "__debug_info") != NULL;
	o->has_symtab = m->has_symtab && m->nsyms;
	o->has_starts = m->has_function_starts && m->fstarts_size;
	o->defined_symbols = count_defined(m);
	if (m->text)
		o->text_vmaddr = m->text->vmaddr, o->text_vmsize = m->text->vmsize;
}

static int add_slice(crp_symbolicator *s, uint32_t file, const crp_macho_slice *sl, crp_error *err)
{
	const sym_file *f = &s->files[file];
	crp_macho m;
	int rc = crp__macho_parse(&m, f->data + sl->offset, (size_t)sl->size, &s->alloc, err);
	if (rc == CRP_OK)
		rc = grow(s, (void **)&s->objects, &s->object_cap, s->object_count + 1, sizeof *s->objects);
	if (rc == CRP_OK) {
		sym_object *o = &s->objects[s->object_count];
		memset(o, 0, sizeof *o);
		o->file = file;
		o->offset = sl->offset;
		o->size = sl->size;
		describe(o, &m);
		s->object_count++;
		rc = crp__symbols_file_object(s, (uint32_t)(s->object_count - 1));
	}
	crp__macho_dispose(&m);
	if (rc == CRP_ENOMEM)
		crp__symbols_set_err(err, rc, "out of memory");
	return rc;
}

/* "path: message", the message cut short when the whole does not fit. */
static void prefix_path(crp_error *err, const char *path)
{
	char msg[CRP_ERROR_MESSAGE_SIZE];
	memcpy(msg, err->message, sizeof msg);
	size_t pl = strlen(path), ml = strlen(msg), cap = sizeof err->message - 1;
	if (pl + 2 > cap)
		pl = 0;
	if (pl + 2 + ml > cap)
		ml = cap - pl - 2;
	if (pl) {
		memcpy(err->message, path, pl);
		memcpy(err->message + pl, ": ", 2);
		pl += 2;
	}
	memcpy(err->message + pl, msg, ml);
	err->message[pl + ml] = '\0';
}

/* Reads the headers of every slice; the mapping is dropped again (see crp__symbols_index). */
static int add_file_data(crp_symbolicator *s, uint32_t file, crp_error *err)
{
	sym_file *f = &s->files[file];
	crp_macho_slice sl[CRP_MACHO_MAX_SLICES];
	size_t n;
	size_t objects = s->object_count, images = s->image_count;
	int rc = CRP_OK;
	n = 0;
	if (crp__symcache_detect(f->data, f->size))
		rc = crp__symbols_add_cache(s, file, err);
	else
		rc = crp__macho_slices(sl, &n, f->data, f->size, err);
	for (size_t i = 0; rc == CRP_OK && i < n; i++)
		rc = add_slice(s, file, &sl[i], err);
	if (rc != CRP_OK) { /* all or nothing: forget the slices of this file */
		for (size_t i = images; i < s->image_count; i++)
			free_image(s, s->images[i]);
		s->image_count = images;
		while (s->object_count > objects)
			drop_object(s, &s->objects[--s->object_count]);
		for (size_t i = 0; i < s->image_count; i++) {
			crp_symbol_image *im = s->images[i];
			im->binary = im->binary >= objects && im->binary != NO_OBJECT ? NO_OBJECT : im->binary;
			im->debug = im->debug >= objects && im->debug != NO_OBJECT ? NO_OBJECT : im->debug;
			im->cache = im->cache >= objects && im->cache != NO_OBJECT ? NO_OBJECT : im->cache;
		}
	}
	if (rc != CRP_OK && err && rc != CRP_ENOMEM)
		prefix_path(err, f->path);
	return rc;
}

static void drop_file(crp_symbolicator *s)
{
	sym_file *f = &s->files[--s->file_count];
	unmap(s, f);
	crp__free(&s->alloc, f->path);
}

static int add_file(crp_symbolicator *s, const char *path, crp_error *err)
{
	if (s->files_examined >= s->opts.max_files)
		return crp__symbols_set_err(err, CRP_ELIMIT, "more than %zu symbol files", s->opts.max_files);
	s->files_examined++;
	uint32_t idx;
	if (new_file(s, path, &idx) != CRP_OK)
		return crp__symbols_set_err(err, CRP_ENOMEM, "out of memory");
	int rc = map_file(s, &s->files[idx], err);
	if (rc == CRP_OK)
		rc = add_file_data(s, idx, err);
	if (rc == CRP_OK) {
		unmap(s, &s->files[idx]);
		return CRP_OK;
	}
	drop_file(s);
	return rc;
}

/* -- directories ------------------------------------------------------------------------- */

static bool looks_like_symbols(const char *path)
{
	uint8_t magic[CRP_SYMCACHE_MAGIC_SIZE];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* let add_file say why it cannot be read */
	ssize_t n = read(fd, magic, sizeof magic);
	close(fd);
	return (n >= 4 && crp__macho_sniff(magic, 4) != 0) || crp__symcache_detect(magic, n > 0 ? (size_t)n : 0);
}

static int add_dir(crp_symbolicator *s, const char *dir, unsigned depth, crp_error *err);

static int add_entry(crp_symbolicator *s, const char *path, unsigned depth, crp_error *err)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return CRP_OK;
	if (S_ISDIR(st.st_mode))
		return depth < s->opts.max_depth ? add_dir(s, path, depth + 1, err) : CRP_OK;
	if (S_ISLNK(st.st_mode) && (stat(path, &st) != 0 || !S_ISREG(st.st_mode)))
		return CRP_OK; /* links to directories are not followed: no cycles */
	if (!S_ISREG(st.st_mode) || !looks_like_symbols(path))
		return CRP_OK;
	crp_error why;
	int rc = add_file(s, path, &why);
	if (rc == CRP_ENOMEM || rc == CRP_ELIMIT) {
		if (err)
			*err = why;
		return rc;
	}
	if (rc != CRP_OK && s->opts.on_skip)
		s->opts.on_skip(s->opts.on_skip_ctx, path, &why);
	return CRP_OK;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entries in name order, so images are filed the same way on every machine. */
static int list_dir(crp_symbolicator *s, const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	if (!d)
		return CRP_OK;
	struct dirent *e;
	int rc = CRP_OK;
	while (rc == CRP_OK && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		rc = grow(s, (void **)out, &cap, *n + 1, sizeof **out);
		if (rc == CRP_OK && !((*out)[*n] = dup_str(s, e->d_name)))
			rc = CRP_ENOMEM;
		if (rc == CRP_OK)
			(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(*out, *n, sizeof **out, cmp_names);
	return rc;
}

static int add_dir(crp_symbolicator *s, const char *dir, unsigned depth, crp_error *err)
{
	char **names;
	size_t n;
	int rc = list_dir(s, dir, &names, &n);
	size_t dl = strlen(dir);
	for (size_t i = 0; rc == CRP_OK && i < n; i++) {
		char *path = crp__malloc(&s->alloc, dl + strlen(names[i]) + 2);
		if (!path) {
			rc = CRP_ENOMEM;
			break;
		}
		sprintf(path, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", names[i]);
		rc = add_entry(s, path, depth, err);
		crp__free(&s->alloc, path);
	}
	for (size_t i = 0; i < n; i++)
		crp__free(&s->alloc, names[i]);
	crp__free(&s->alloc, names);
	if (rc == CRP_ENOMEM)
		crp__symbols_set_err(err, rc, "out of memory");
	return rc;
}

int crp_symbolicator_add_path(crp_symbolicator *s, const char *path, crp_error *err)
{
	struct stat st;
	if (!s || !path)
		return crp__symbols_set_err(err, CRP_EINVAL, "no symbolicator or path");
	if (stat(path, &st) != 0)
		return crp__symbols_set_err(err, errno == ENOENT ? CRP_ENOTFOUND : CRP_EIO, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return add_dir(s, path, 0, err);
	return add_file(s, path, err);
}

int crp_symbolicator_add_memory(crp_symbolicator *s, const void *data, size_t len,
				const char *name, crp_error *err)
{
	if (!s || (!data && len))
		return crp__symbols_set_err(err, CRP_EINVAL, "no symbolicator or data");
	uint32_t idx;
	if (new_file(s, name ? name : "(memory)", &idx) != CRP_OK)
		return crp__symbols_set_err(err, CRP_ENOMEM, "out of memory");
	sym_file *f = &s->files[idx];
	f->data = data;
	f->size = len;
	f->in_memory = true;
	int rc = len < 4 ? crp__symbols_set_err(err, CRP_EUNSUPPORTED, "%s: not a Mach-O file (too short)", f->path)
			 : add_file_data(s, idx, err);
	if (rc != CRP_OK)
		drop_file(s);
	return rc;
}

/* -- images, indexes --------------------------------------------------------------------- */

size_t crp_symbolicator_image_count(const crp_symbolicator *s) { return s ? s->image_count : 0; }

const crp_symbol_image *crp_symbolicator_image(const crp_symbolicator *s, size_t i)
{
	return s && i < s->image_count ? s->images[i] : NULL;
}

const crp_symbol_image *crp_symbolicator_find(const crp_symbolicator *s, const crp_uuid *uuid,
					      int32_t cpu_type, int32_t cpu_subtype)
{
	const crp_symbol_image *any = NULL;
	for (size_t i = 0; s && uuid && i < s->image_count; i++) {
		const crp_symbol_image *im = s->images[i];
		if (!im->has_uuid || memcmp(im->uuid.bytes, uuid->bytes, 16) != 0)
			continue;
		if (cpu_type == 0 || same_arch(im->cputype, im->cpusubtype, cpu_type, cpu_subtype))
			return im;
		if (!any)
			any = im;
	}
	return any;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static const sym_object *object_of(const crp_symbolicator *s, uint32_t i)
{
	return i == NO_OBJECT ? NULL : &s->objects[i];
}

void crp_symbol_image_get_info(const crp_symbol_image *im, crp_symbol_image_info *out)
{
	memset(out, 0, sizeof *out);
	if (!im)
		return;
	const crp_symbolicator *s = im->owner;
	const sym_object *b = object_of(s, im->binary), *d = object_of(s, im->debug), *c = object_of(s, im->cache);
	out->has_uuid = im->has_uuid;
	out->uuid = im->uuid;
	out->cpu_type = im->cputype;
	out->cpu_subtype = im->cpusubtype;
	out->arch = crp_arch_name(im->cputype, im->cpusubtype);
	if (!b && !d && c) { /* known from its cache alone */
		crp__symbols_cache_info(s, c, out);
		return;
	}
	out->binary_path = b ? s->files[b->file].path : NULL;
	out->debug_path = d ? s->files[d->file].path : (b && b->has_dwarf ? out->binary_path : NULL);
	out->name = base_name(b ? out->binary_path : d ? s->files[d->file].path : "");
	const sym_object *t = b ? b : d;
	out->text_vmaddr = t ? t->text_vmaddr : 0;
	out->text_vmsize = t ? t->text_vmsize : 0;
	out->has_symtab = (b && b->has_symtab) || (d && d->has_symtab);
	out->has_dwarf = (b && b->has_dwarf) || (d && d->has_dwarf);
	out->has_function_starts = b && b->has_starts;
}

uint64_t crp__symbols_text_vmaddr(const crp_symbolicator *s, const crp_symbol_image *im)
{
	const sym_object *b = object_of(s, im->binary), *d = object_of(s, im->debug), *c = object_of(s, im->cache);
	return b ? b->text_vmaddr : d ? d->text_vmaddr : c ? c->text_vmaddr : 0;
}

int crp__symbols_map_file(crp_symbolicator *s, uint32_t file, crp_error *err)
{
	pthread_mutex_lock(&s->map_lock); /* the file may hold other images' slices too */
	int rc = map_file(s, &s->files[file], err);
	pthread_mutex_unlock(&s->map_lock);
	return rc;
}

/* Maps the object's file and parses its slice again, checking it is what was added. */
int crp__symbols_load_object(crp_symbolicator *s, uint32_t i, crp_error *err)
{
	sym_object *o = &s->objects[i];
	if (o->macho_ready)
		return CRP_OK;
	sym_file *f = &s->files[o->file];
	CRP_TRY(crp__symbols_map_file(s, o->file, err));
	if (!crp__in_bounds(o->offset, o->size, f->size))
		return crp__symbols_set_err(err, CRP_ECORRUPT, "%s changed since it was added", f->path);
	int rc = crp__macho_parse(&o->macho, f->data + o->offset, (size_t)o->size, &s->alloc, err);
	if (rc == CRP_OK && (o->macho.has_uuid != o->has_uuid ||
			     memcmp(o->macho.uuid.bytes, o->uuid.bytes, 16) != 0))
		rc = crp__symbols_set_err(err, CRP_ECORRUPT, "%s changed since it was added", f->path);
	if (rc != CRP_OK) {
		crp__macho_dispose(&o->macho);
		return rc;
	}
	o->macho_ready = true;
	return CRP_OK;
}

/* dSYM DWARF first; the richer symbol table (a stripped binary's is poorer than its dSYM's);
 * function starts only from binaries. ids: the objects for dwarf, symtab and starts. */
void crp__symbols_choose_sources(const crp_symbolicator *s, const crp_symbol_image *im,
				 crp_symindex_sources *src, uint32_t ids[3])
{
	const sym_object *b = object_of(s, im->binary), *d = object_of(s, im->debug);
	ids[0] = d && d->has_dwarf ? im->debug : b && b->has_dwarf ? im->binary : NO_OBJECT;
	ids[1] = NO_OBJECT;
	if (d && d->has_symtab && (!b || !b->has_symtab || d->defined_symbols >= b->defined_symbols))
		ids[1] = im->debug;
	else if (b && b->has_symtab)
		ids[1] = im->binary;
	ids[2] = b && b->has_starts ? im->binary : NO_OBJECT;
	src->dwarf = ids[0] != NO_OBJECT ? &s->objects[ids[0]].macho : NULL;
	src->symtab = ids[1] != NO_OBJECT ? &s->objects[ids[1]].macho : NULL;
	src->starts = ids[2] != NO_OBJECT ? &s->objects[ids[2]].macho : NULL;
}

int crp__symbols_load_sources(crp_symbolicator *s, const crp_symbol_image *im, crp_error *err)
{
	if (im->binary != NO_OBJECT)
		CRP_TRY(crp__symbols_load_object(s, im->binary, err));
	if (im->debug != NO_OBJECT)
		CRP_TRY(crp__symbols_load_object(s, im->debug, err));
	return CRP_OK;
}

/* The index, lazy: units are built by lookups, and reported to the memory cap. */
static int build_index(crp_symbolicator *s, crp_symbol_image *im, sym_backend *b, crp_error *err)
{
	crp_symindex_sources src;
	CRP_TRY(crp__symbols_load_sources(s, im, err));
	crp__symbols_choose_sources(s, im, &src, b->src);
	crp_symindex_hooks hooks = crp__symbols_hooks(s);
	const sym_file *f = b->src[0] != NO_OBJECT ? &s->files[s->objects[b->src[0]].file] : NULL;
	if (f && !f->in_memory) /* indexed units give their DWARF pages back */
		hooks.mapped = f->data, hooks.mapped_size = f->size;

	crp_symindex_stats stats;
	CRP_TRY(crp__symindex_build(&b->ix, &src, &s->alloc, &hooks, &stats, err));
	b->hooked = true;
	b->bytes = stats.bytes;
	return CRP_OK;
}

/* A cache when there is one to use, else the index. */
static int make_backend(crp_symbolicator *s, crp_symbol_image *im, sym_backend **out, crp_error *err)
{
	sym_backend *b = crp__malloc(&s->alloc, sizeof *b);
	if (!b)
		return crp__symbols_set_err(err, CRP_ENOMEM, "out of memory");
	memset(b, 0, sizeof *b);
	b->src[0] = b->src[1] = b->src[2] = NO_OBJECT;
	int rc = crp__symbols_open_cache(s, im, b, err);
	if (rc == CRP_ENOTFOUND) {
		crp__error_clear(err);
		rc = build_index(s, im, b, err);
	}
	if (rc != CRP_OK) {
		crp__symbols_backend_free(b, &s->alloc);
		return rc;
	}
	*out = b;
	return CRP_OK;
}

/* Under the image's lock: the first thread builds (or, after the cap dropped it, builds
 * again), the others wait and find it built. A lasting error is kept; out of memory is not.
 * *out: the backend, NULL after a lasting error. */
static int build_once(crp_symbolicator *s, crp_symbol_image *im, sym_pass *pass, sym_backend **out,
		      crp_error *err)
{
	int rc = CRP_OK;
	crp__symbols_step_out(pass); /* waiting and building hold nothing the cap may drop */
	pthread_mutex_lock(&im->build_lock);
	crp__symbols_step_in(pass);
	sym_backend *b = atomic_load_explicit(&im->backend, memory_order_acquire);
	bool failed = atomic_load_explicit(&im->built, memory_order_relaxed) && im->ix_status != CRP_OK;
	if (!b && !failed) {
		crp_error why = {0};
		crp__symbols_step_out(pass);
		atomic_fetch_add(&s->building, 1);
		rc = make_backend(s, im, &b, &why);
		if (rc == CRP_OK) /* room made before it is published, holding nothing */
			crp__symbols_charge(s, b->bytes, b, pass->s->cap != 0);
		atomic_fetch_sub(&s->building, 1);
		crp__symbols_step_in(pass); /* before publishing: dropping it then waits for this pass */
		if (rc == CRP_OK) {
			atomic_store(&im->last_used, atomic_load(&s->clock));
			atomic_store_explicit(&im->backend, b, memory_order_release);
		} else if (rc != CRP_ENOMEM) {
			im->ix_status = rc, im->ix_error = why, rc = CRP_OK;
		} else if (err) {
			*err = why;
		}
		atomic_store_explicit(&im->built, true, memory_order_release);
	}
	pthread_mutex_unlock(&im->build_lock);
	*out = b;
	return rc;
}

/* The image's backend, made on first use. The pass has entered (crp__symbols_enter): what it
 * gets stays valid until it leaves, even if the cap drops it meanwhile. */
static int backend_of(crp_symbolicator *s, crp_symbol_image *im, sym_pass *pass, sym_backend **out,
		      crp_error *err)
{
	sym_backend *b = atomic_load_explicit(&im->backend, memory_order_acquire);
	if (!b) {
		bool failed = atomic_load_explicit(&im->built, memory_order_acquire) && im->ix_status != CRP_OK;
		if (!failed)
			CRP_TRY(build_once(s, im, pass, &b, err));
		if (!b) {
			if (err)
				*err = im->ix_error;
			return im->ix_status;
		}
	}
	*out = b;
	return CRP_OK;
}

int crp__symbols_prepare(const crp_symbolicator *cs, const crp_symbol_image *cim, crp_error *err)
{
	/* A shared symbolicator is const to its users; its build-once state is the exception. */
	crp_symbolicator *s = (crp_symbolicator *)(uintptr_t)cs;
	crp_symbol_image *im = (crp_symbol_image *)(uintptr_t)cim;
	sym_backend *b = NULL;
	sym_pass pass;
	crp__symbols_enter(s, &pass);
	int rc = backend_of(s, im, &pass, &b, err);
	crp__symbols_leave(&pass);
	return rc;
}

static int lookup_in(const crp_symbolication **out, crp_symbol_answer *room, const crp_symbolicator *s,
		     const crp_symbol_image *im, sym_pass *pass, uint64_t lookup_addr, uint64_t slide,
		     unsigned flags, uint64_t addr)
{
	const sym_backend *b = pass->using;
	if (b->sc)
		return crp__symcache_lookup(out, &room->sym, room->locs, CRP_SYMINDEX_MAX_FRAMES, b->sc, lookup_addr,
					    slide, flags, addr);
	crp_symindex_result res; /* about 4 KiB: on the stack, not allocated per lookup */
	CRP_TRY(crp__symindex_lookup(b->ix, lookup_addr, &res, pass));
	return crp__symbols_answer(out, room, s, im, b, &res, lookup_addr, slide, flags, addr);
}

/* Under a cap: the image was used now (least recently used images go first). */
static void touch(crp_symbolicator *s, crp_symbol_image *im)
{
	uint64_t now = atomic_load_explicit(&s->clock, memory_order_relaxed);
	if (atomic_load_explicit(&im->last_used, memory_order_relaxed) != now)
		atomic_store_explicit(&im->last_used, now, memory_order_relaxed);
}

int crp__symbols_lookup(const crp_symbolication **out, crp_symbol_answer *room, const crp_symbolicator *cs,
			const crp_symbol_image *cim, uint64_t lookup_addr, uint64_t slide, unsigned flags,
			uint64_t addr, crp_error *err)
{
	crp_symbolicator *s = (crp_symbolicator *)(uintptr_t)cs;
	crp_symbol_image *im = (crp_symbol_image *)(uintptr_t)cim;
	sym_pass pass;
	*out = NULL;
	crp__symbols_enter(s, &pass);
	int rc = backend_of(s, im, &pass, &pass.using, err);
	if (rc == CRP_OK) {
		if (s->cap)
			touch(s, im);
		rc = lookup_in(out, room, s, im, &pass, lookup_addr, slide, flags, addr);
		if (rc == CRP_OK && s->cap) /* the indexes may go once this lookup leaves */
			rc = crp__symbols_keep_answer(room, out);
		if (rc != CRP_OK)
			crp__symbols_set_err(err, rc, rc == CRP_ECORRUPT ? "%s: damaged symbol cache" : "%s",
					     crp_status_str(rc));
	}
	crp__symbols_leave(&pass);
	return rc;
}

static int lookup(const crp_symbolication **out, crp_symbol_answer *room, const crp_symbolicator *s,
		  const crp_symbol_image *im, uint64_t file_addr, crp_error *err)
{
	return crp__symbols_lookup(out, room, s, im, file_addr, 0, 0, file_addr, err);
}

int crp_symbol_answer_new(crp_symbol_answer **out, const crp_symbolicator *s)
{
	*out = NULL;
	if (!s)
		return CRP_EINVAL;
	crp_symbol_answer *a = crp__malloc(&s->alloc, sizeof *a);
	if (!a)
		return CRP_ENOMEM;
	a->alloc = s->alloc;
	a->text = NULL;
	a->text_cap = 0;
	*out = a;
	return CRP_OK;
}

void crp_symbol_answer_free(crp_symbol_answer *room)
{
	if (!room)
		return;
	crp__free(&room->alloc, room->text);
	crp__free(&room->alloc, room);
}

int crp_symbolicator_lookup_r(const crp_symbolication **out, crp_symbol_answer *room,
			      const crp_symbolicator *s, const crp_symbol_image *im, uint64_t file_addr,
			      crp_error *err)
{
	*out = NULL;
	if (!s || !im || !room)
		return crp__symbols_set_err(err, CRP_EINVAL, "no symbolicator, image or answer room");
	return lookup(out, room, s, im, file_addr, err);
}

int crp_symbolicator_lookup(const crp_symbolication **out, crp_symbolicator *s,
			    const crp_symbol_image *im, uint64_t file_addr, crp_error *err)
{
	*out = NULL;
	if (!s || !im)
		return crp__symbols_set_err(err, CRP_EINVAL, "no symbolicator or image");
	if (!s->last && crp_symbol_answer_new(&s->last, s) != CRP_OK)
		return crp__symbols_set_err(err, CRP_ENOMEM, "out of memory");
	return lookup(out, s->last, s, im, file_addr, err);
}

int crp_symbol_image_prepare(const crp_symbolicator *s, const crp_symbol_image *im, crp_error *err)
{
	if (!s || !im)
		return crp__symbols_set_err(err, CRP_EINVAL, "no symbolicator or image");
	return crp__symbols_prepare(s, im, err);
}

void crp__symbols_set_windows(crp_symbolicator *s, unsigned n)
{
	s->windows = n;
}
