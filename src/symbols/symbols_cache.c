/* Symbol caches in the symbolicator: cache files added like Mach-O files (filed by their UUID and
 * CPU), the cache directory (DIR/UUID/ARCH.symcache, written on first use), freshness against
 * the files a cache was written from, and crp_symbol_image_write_cache(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "symbols_int.h"

/* -- caches as symbol files -------------------------------------------------------------- */

static char *dup_or_null(crp_symbolicator *s, const char *str)
{
	if (!str)
		return NULL;
	size_t n = strlen(str) + 1;
	char *p = crp__malloc(&s->alloc, n);
	return p ? memcpy(p, str, n) : NULL;
}

/* What crp_symbol_image_get_info() says of a cache-only image, read now: the file is mapped
 * only while it is being added. */
static int read_meta(crp_symbolicator *s, sym_object *o, const sym_file *f, crp_error *err)
{
	crp_symcache *c;
	CRP_TRY(crp__symcache_open(&c, f->data, f->size, &s->alloc, err));
	int rc = CRP_OK;
	for (unsigned i = 0; i < 3 && rc == CRP_OK; i++) {
		const char *m = crp__symcache_meta_string(c, i);
		if (m && !(o->cache_meta[i] = dup_or_null(s, m)))
			rc = crp__symbols_set_err(err, CRP_ENOMEM, "out of memory");
	}
	o->cache_flags = crp__symcache_meta_flags(c);
	if (rc == CRP_OK && !o->cache_meta[0])
		rc = crp__symbols_set_err(err, CRP_ECORRUPT, "damaged symbol cache: no image name");
	crp__symcache_close(c);
	return rc;
}

int crp__symbols_add_cache(crp_symbolicator *s, uint32_t file, crp_error *err)
{
	const sym_file *f = &s->files[file];
	crp_symcache_header h;
	CRP_TRY(crp__symcache_header(&h, f->data, f->size, err));
	if (s->object_count == s->object_cap) {
		size_t cap = s->object_cap ? 2 * s->object_cap : 16;
		sym_object *o = crp__realloc(&s->alloc, s->objects, cap * sizeof *o);
		if (!o)
			return crp__symbols_set_err(err, CRP_ENOMEM, "out of memory");
		s->objects = o;
		s->object_cap = cap;
	}
	sym_object *o = &s->objects[s->object_count];
	memset(o, 0, sizeof *o);
	*o = (sym_object){.file = file, .size = f->size, .has_uuid = true, .uuid = h.uuid, .cputype = h.cputype,
			  .cpusubtype = h.cpusubtype, .text_vmaddr = h.text_vmaddr, .text_vmsize = h.text_vmsize,
			  .is_cache = true, .cache = h};
	s->object_count++; /* counted first: a failure below drops it with its strings */
	CRP_TRY(read_meta(s, o, f, err));
	return crp__symbols_file_object(s, (uint32_t)(s->object_count - 1));
}

void crp__symbols_cache_info(const crp_symbolicator *s, const sym_object *c, crp_symbol_image_info *out)
{
	CRP_UNUSED(s);
	out->name = c->cache_meta[0];
	out->binary_path = c->cache_meta[1];
	out->debug_path = c->cache_meta[2];
	out->text_vmaddr = c->text_vmaddr;
	out->text_vmsize = c->text_vmsize;
	out->has_symtab = c->cache_flags & CRP_SC_HAS_SYMTAB;
	out->has_dwarf = c->cache_flags & CRP_SC_HAS_DWARF;
	out->has_function_starts = c->cache_flags & CRP_SC_HAS_STARTS;
}

/* -- freshness --------------------------------------------------------------------------- */

static void source_of(const crp_symbolicator *s, uint32_t obj, uint64_t *size, int64_t *mtime)
{
	*size = 0, *mtime = 0;
	if (obj != NO_OBJECT)
		*size = s->files[s->objects[obj].file].size, *mtime = s->files[s->objects[obj].file].mtime;
}

/* A cache is used only when it was written from exactly the files the image has now. */
static bool fresh(const crp_symbolicator *s, const crp_symbol_image *im, const crp_symcache_header *h)
{
	uint64_t bs, ds;
	int64_t bt, dt;
	if (im->binary == NO_OBJECT && im->debug == NO_OBJECT)
		return h->names_revision == CRP_SYMBOLS_NAMES_REVISION; /* nothing to compare with */
	source_of(s, im->binary, &bs, &bt);
	source_of(s, im->debug, &ds, &dt);
	return h->binary_size == bs && h->binary_mtime == bt && h->debug_size == ds && h->debug_mtime == dt &&
	       h->names_revision == CRP_SYMBOLS_NAMES_REVISION;
}

static void skipped(const crp_symbolicator *s, const char *path, int code, const char *what)
{
	if (!s->opts.on_skip)
		return;
	crp_error e;
	crp__error_clear(&e);
	crp__error_set(&e, code, "%s", what);
	s->opts.on_skip(s->opts.on_skip_ctx, path, &e);
}

/* -- the cache directory ----------------------------------------------------------------- */

static char *cache_path(crp_symbolicator *s, const crp_symbol_image *im, bool dir_only)
{
	char uuid[37], arch[32];
	const char *name = crp_arch_name(im->cputype, im->cpusubtype);
	crp_uuid_format(&im->uuid, uuid);
	if (name)
		snprintf(arch, sizeof arch, "%s", name);
	else
		snprintf(arch, sizeof arch, "cpu%d-%d", im->cputype, im->cpusubtype);
	size_t n = strlen(s->opts.cache_dir) + 80;
	char *p = crp__malloc(&s->alloc, n);
	if (p)
		snprintf(p, n, dir_only ? "%s/%s" : "%s/%s/%s.symcache", s->opts.cache_dir, uuid, arch);
	return p;
}

/* Maps a cache file for the image; CRP_ENOTFOUND when there is none, or a stale one. */
static int map_cache(crp_symbolicator *s, crp_symbol_image *im, sym_backend *b, const char *path, crp_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return errno == ENOENT ? CRP_ENOTFOUND : crp__symbols_set_err(err, CRP_EIO, "cannot open: %s", strerror(errno));
	void *p = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0
			  ? mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	if (p == MAP_FAILED)
		return crp__symbols_set_err(err, CRP_EIO, "cannot map the symbol cache");
	crp_symcache_header h;
	int rc = crp__symcache_header(&h, p, (size_t)st.st_size, err);
	if (rc == CRP_OK && (memcmp(h.uuid.bytes, im->uuid.bytes, 16) != 0 || h.cputype != im->cputype))
		rc = crp__symbols_set_err(err, CRP_ECORRUPT, "the symbol cache is another image's");
	if (rc == CRP_OK && !fresh(s, im, &h))
		rc = CRP_ENOTFOUND;
	if (rc == CRP_OK)
		rc = crp__symcache_open(&b->sc, p, (size_t)st.st_size, &s->alloc, err);
	if (rc != CRP_OK) {
		munmap(p, (size_t)st.st_size);
		return rc;
	}
	madvise(p, (size_t)st.st_size, MADV_RANDOM); /* lookups read a few pages: no read-around */
	b->sc_map = p;
	b->sc_size = b->bytes = (size_t)st.st_size;
	return CRP_OK;
}

static int sink_fd(void *ctx, const void *buf, size_t len)
{
	int fd = *(int *)ctx;
	for (const char *p = buf; len;) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n, len -= (size_t)n;
	}
	return 0;
}

static int write_cache(crp_symbolicator *s, crp_symbol_image *im, sym_backend *b, const char *dir, const char *path,
		       crp_error *err);

/* The directory's cache of the image: used when fresh; else written from the index (built
 * here) and then used. When it cannot be written, the index answers. */
static int dir_cache(crp_symbolicator *s, crp_symbol_image *im, sym_backend *b, crp_error *err)
{
	char *path = cache_path(s, im, false), *dir = cache_path(s, im, true);
	int rc = path && dir ? map_cache(s, im, b, path, err) : crp__symbols_set_err(err, CRP_ENOMEM, "out of memory");
	if (rc != CRP_OK && rc != CRP_ENOMEM) {
		if (rc != CRP_ENOTFOUND)
			skipped(s, path, rc, err->message);
		crp__error_clear(err);
		rc = write_cache(s, im, b, dir, path, err);
	}
	crp__free(&s->alloc, path);
	crp__free(&s->alloc, dir);
	return rc;
}

int crp__symbols_open_cache(crp_symbolicator *s, crp_symbol_image *im, sym_backend *b, crp_error *err)
{
	bool sources = im->binary != NO_OBJECT || im->debug != NO_OBJECT;
	if (im->cache != NO_OBJECT) {
		const sym_object *o = &s->objects[im->cache];
		sym_file *f = &s->files[o->file];
		if (fresh(s, im, &o->cache)) {
			CRP_TRY(crp__symbols_map_file(s, o->file, err));
			if (!f->in_memory)
				madvise((void *)(uintptr_t)f->data, f->size, MADV_RANDOM);
			b->bytes = f->size;
			return crp__symcache_open(&b->sc, f->data, f->size, &s->alloc, err);
		}
		skipped(s, f->path, CRP_ENOTFOUND, "older than the image's files, or made by another version");
	}
	if (s->opts.cache_dir && sources)
		return dir_cache(s, im, b, err);
	return CRP_ENOTFOUND;
}

void crp__symbols_backend_free(sym_backend *b, const crp_allocator *a)
{
	if (!b)
		return;
	crp__symcache_close(b->sc);
	if (b->sc_map)
		munmap((void *)(uintptr_t)b->sc_map, b->sc_size);
	crp__symindex_free(b->ix);
	crp__free(a, b);
}

/* -- writing ----------------------------------------------------------------------------- */

static const char *object_path(const crp_symbolicator *s, uint32_t obj)
{
	return obj == NO_OBJECT ? NULL : s->files[s->objects[obj].file].path;
}

static void describe_sources(const crp_symbolicator *s, const crp_symbol_image *im, const uint32_t ids[3],
			     crp_symcache_sources *src)
{
	crp_symbol_image_info info;
	crp_symbol_image_get_info(im, &info);
	memset(src, 0, sizeof *src);
	source_of(s, im->binary, &src->binary_size, &src->binary_mtime);
	source_of(s, im->debug, &src->debug_size, &src->debug_mtime);
	src->image_name = info.name;
	src->binary_path = object_path(s, im->binary);
	src->debug_path = object_path(s, im->debug);
	uint32_t fallback = im->binary != NO_OBJECT ? im->binary : im->debug;
	for (int i = 0; i < 3; i++) /* the file an answer names, as symbols_answer.c picks it */
		src->answering[i] = object_path(s, ids[i] != NO_OBJECT ? ids[i] : fallback);
	src->flags = (info.has_symtab ? CRP_SC_HAS_SYMTAB : 0) | (info.has_dwarf ? CRP_SC_HAS_DWARF : 0) |
		     (info.has_function_starts ? CRP_SC_HAS_STARTS : 0);
	src->text_vmaddr = info.text_vmaddr;
	src->text_vmsize = info.text_vmsize;
}

/* An index of the image with every unit built, what the cache records of its sources, and the
 * objects it was built from (ids). The caller holds the image's build lock: objects are parsed
 * once, whichever caller comes first. */
static int full_index(crp_symbolicator *s, crp_symbol_image *im, crp_symindex **ix, crp_symcache_sources *src,
		      uint32_t ids[3], crp_error *err)
{
	crp_symindex_sources from;
	CRP_TRY(crp__symbols_load_sources(s, im, err));
	crp__symbols_choose_sources(s, im, &from, ids);
	describe_sources(s, im, ids, src);
	int rc = crp__symindex_build(ix, &from, &s->alloc, NULL, NULL, err);
	if (rc == CRP_OK && (rc = crp__symindex_build_all(*ix, s->opts.cache_build_threads)) != CRP_OK) {
		crp__symindex_free(*ix);
		*ix = NULL;
		crp__symbols_set_err(err, rc, "%s while indexing symbols", crp_status_str(rc));
	}
	return rc;
}

int crp_symbol_image_write_cache(const crp_symbolicator *cs, const crp_symbol_image *cim, const crp_sink *sink,
				 crp_error *err)
{
	crp_symbolicator *s = (crp_symbolicator *)(uintptr_t)cs;
	crp_symbol_image *im = (crp_symbol_image *)(uintptr_t)cim;
	if (!s || !im || !sink)
		return crp__symbols_set_err(err, CRP_EINVAL, "no symbolicator, image or sink");
	if (im->binary == NO_OBJECT && im->debug == NO_OBJECT)
		return crp__symbols_set_err(err, CRP_EINVAL, "the image has no binary or dSYM to write a cache from");
	crp_symindex *ix;
	crp_symcache_sources src;
	uint32_t ids[3];
	pthread_mutex_lock(&im->build_lock);
	int rc = full_index(s, im, &ix, &src, ids, err);
	pthread_mutex_unlock(&im->build_lock);
	CRP_TRY(rc);
	rc = crp__symcache_write(ix, &im->uuid, im->cputype, im->cpusubtype, &src, sink, &s->alloc, err);
	crp__symindex_free(ix);
	return rc;
}

/* Under the image's build lock: the index built, its cache written to a temporary file in the
 * directory and renamed (readers never see a partial file; racing writers leave one whole
 * cache), then used. */
static int write_cache(crp_symbolicator *s, crp_symbol_image *im, sym_backend *b, const char *dir, const char *path,
		       crp_error *err)
{
	crp_symcache_sources src;
	CRP_TRY(full_index(s, im, &b->ix, &src, b->src, err));
	size_t n = strlen(path) + 16;
	char *tmp = crp__malloc(&s->alloc, n);
	if (!tmp)
		return CRP_OK; /* the index answers */
	snprintf(tmp, n, "%s.XXXXXX", path);
	mkdir(s->opts.cache_dir, 0777);
	mkdir(dir, 0777);
	int fd = mkostemp(tmp, O_CLOEXEC), rc = fd < 0 ? CRP_EIO : CRP_OK;
	crp_error werr;
	crp__error_clear(&werr);
	if (rc == CRP_OK) {
		fchmod(fd, 0644);
		crp_sink sink = {sink_fd, &fd};
		rc = crp__symcache_write(b->ix, &im->uuid, im->cputype, im->cpusubtype, &src, &sink, &s->alloc, &werr);
		rc = close(fd) != 0 && rc == CRP_OK ? CRP_EIO : rc;
		rc = rc == CRP_OK && rename(tmp, path) != 0 ? CRP_EIO : rc;
		if (rc != CRP_OK)
			unlink(tmp);
	}
	if (rc == CRP_OK && map_cache(s, im, b, path, &werr) == CRP_OK) {
		crp__symindex_free(b->ix); /* the cache answers from now on */
		b->ix = NULL;
	} else {
		skipped(s, path, rc != CRP_OK ? rc : werr.code, werr.message[0] ? werr.message : strerror(errno));
		b->bytes = crp__symindex_held(b->ix); /* the index answers, charged whole */
	}
	crp__free(&s->alloc, tmp);
	return CRP_OK;
}
