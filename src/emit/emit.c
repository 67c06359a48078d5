/* Emission driver: one session per output, buffered writes into a sink, the emitter's state
 * allocated and released around it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/internal.h"
#include "crashport/sys/emitter.h"

#define EMIT_BUFFER 65536

struct crp_emit_ctx {
	crp_allocator alloc;
	crp_sink sink;
	const crp_emitter *emitter;
	void *state;
	unsigned char *buf;
	size_t used;
	uint64_t flushed;
	crp_error err;
	bool begun;
	bool ended;
};

struct crp_emit_session {
	crp_emit_ctx ctx;
};

/* -- sinks -------------------------------------------------------------------------------- */

static int file_write(void *ctx, const void *buf, size_t len)
{
	return fwrite(buf, 1, len, (FILE *)ctx) == len ? 0 : -1;
}

void crp_sink_init_file(crp_sink *sink, FILE *f)
{
	sink->write = file_write;
	sink->ctx = f;
}

static int fd_write(void *ctx, const void *buf, size_t len)
{
	int fd = (int)(intptr_t)ctx;
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void crp_sink_init_fd(crp_sink *sink, int fd)
{
	sink->write = fd_write;
	sink->ctx = (void *)(intptr_t)fd;
}

static int buffer_write(void *ctx, const void *data, size_t len)
{
	crp_buffer *b = ctx;
	crp_allocator a;
	crp__allocator_init(&a, b->allocator);
	if (len > SIZE_MAX - b->len - 1 || (b->max && b->len + len > b->max))
		return -1;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len + 1)
			cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
		char *d = crp__realloc(&a, b->data, cap);
		if (!d)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

void crp_sink_init_buffer(crp_sink *sink, crp_buffer *buf)
{
	sink->write = buffer_write;
	sink->ctx = buf;
}

void crp_buffer_dispose(crp_buffer *buf)
{
	crp_allocator a;
	crp__allocator_init(&a, buf->allocator);
	crp__free(&a, buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

/* -- writing ------------------------------------------------------------------------------ */

/* Hand bytes to the sink; a failure says why when the sink left errno set. */
static int sink_write(crp_emit_ctx *c, const void *data, size_t len)
{
	errno = 0;
	if (c->sink.write(c->sink.ctx, data, len) == 0) {
		c->flushed += len;
		return CRP_OK;
	}
	int e = errno;
	if (e)
		crp__error_set(&c->err, CRP_EIO, "cannot write output: %s", strerror(e));
	else
		crp__error_set(&c->err, CRP_EIO, "cannot write output");
	return CRP_EIO;
}

static int flush(crp_emit_ctx *c)
{
	if (c->used && c->err.code == CRP_OK)
		sink_write(c, c->buf, c->used);
	c->used = 0;
	return c->err.code;
}

int crp_emit_write(crp_emit_ctx *c, const void *data, size_t len)
{
	if (CRP_LIKELY(len <= EMIT_BUFFER - c->used)) {
		memcpy(c->buf + c->used, data, len);
		c->used += len;
		return c->err.code;
	}
	CRP_TRY(flush(c));
	if (len >= EMIT_BUFFER)
		return sink_write(c, data, len);
	memcpy(c->buf, data, len);
	c->used = len;
	return CRP_OK;
}

int crp_emit_puts(crp_emit_ctx *c, const char *s)
{
	return crp_emit_write(c, s, strlen(s));
}

int crp_emit_printf(crp_emit_ctx *c, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return crp_emit_fail(c, CRP_ERROR, "formatting failed");
	if ((size_t)n < sizeof small)
		return crp_emit_write(c, small, (size_t)n);
	char *big = crp__malloc(&c->alloc, (size_t)n + 1);
	if (!big)
		return crp_emit_fail(c, CRP_ENOMEM, "out of memory");
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	int rc = crp_emit_write(c, big, (size_t)n);
	crp__free(&c->alloc, big);
	return rc;
}

int crp_emit_u64(crp_emit_ctx *c, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return crp_emit_write(c, tmp + i, sizeof tmp - i);
}

int crp_emit_i64(crp_emit_ctx *c, int64_t v)
{
	if (v < 0) {
		CRP_TRY(crp_emit_write(c, "-", 1));
		return crp_emit_u64(c, (uint64_t)0 - (uint64_t)v);
	}
	return crp_emit_u64(c, (uint64_t)v);
}

int crp_emit_fail(crp_emit_ctx *c, int code, const char *fmt, ...)
{
	if (c->err.code == CRP_OK) {
		va_list ap;
		va_start(ap, fmt);
		crp__error_setv(&c->err, code, fmt, ap);
		va_end(ap);
	}
	return code;
}

void *crp_emit_alloc(crp_emit_ctx *c, size_t size) { return crp__malloc(&c->alloc, size); }
void *crp_emit_realloc(crp_emit_ctx *c, void *p, size_t size) { return crp__realloc(&c->alloc, p, size); }
void crp_emit_dealloc(crp_emit_ctx *c, void *p) { crp__free(&c->alloc, p); }

/* -- sessions ----------------------------------------------------------------------------- */

static int set_params(crp_emit_ctx *c, const char *const *params)
{
	for (size_t i = 0; params && params[i]; i++) {
		const char *eq = strchr(params[i], '=');
		char key[64];
		size_t klen = eq ? (size_t)(eq - params[i]) : strlen(params[i]);
		if (klen >= sizeof key)
			return crp_emit_fail(c, CRP_EUNSUPPORTED, "option name too long");
		memcpy(key, params[i], klen);
		key[klen] = '\0';
		const char *value = eq ? eq + 1 : "";
		int rc = c->emitter->set_param ? c->emitter->set_param(c, c->state, key, value)
					       : CRP_EUNSUPPORTED;
		if (rc != CRP_OK)
			return crp_emit_fail(c, rc, "%s: unsupported option '%s'", c->emitter->name, params[i]);
	}
	return CRP_OK;
}

static void report_error(const crp_emit_ctx *c, crp_error *err)
{
	if (err)
		*err = c->err;
}

int crp_emit_begin(crp_emit_session **out, const crp_emitter *e, const crp_sink *sink,
		   const crp_emit_options *opts, crp_error *err)
{
	crp_allocator a;
	if (err)
		crp__error_clear(err);
	if (!out || !e || !sink || !sink->write)
		return CRP_EINVAL;
	*out = NULL;
	if (e->version != CRP_EMITTER_VERSION || (opts && opts->version != CRP_EMIT_OPTIONS_VERSION)) {
		if (err)
			crp__error_set(err, CRP_EINVAL, "emitter or options of an unknown version");
		return CRP_EINVAL;
	}
	crp__allocator_init(&a, opts ? opts->allocator : NULL);
	crp_emit_session *s = crp__malloc(&a, sizeof *s);
	if (!s)
		return CRP_ENOMEM;
	memset(s, 0, sizeof *s);
	crp_emit_ctx *c = &s->ctx;
	c->alloc = a;
	c->sink = *sink;
	c->emitter = e;
	c->buf = crp__malloc(&a, EMIT_BUFFER);
	c->state = crp__malloc(&a, e->state_size ? e->state_size : 1);
	if (!c->buf || !c->state) {
		crp_emit_free(s);
		return CRP_ENOMEM;
	}
	memset(c->state, 0, e->state_size ? e->state_size : 1);
	int rc = set_params(c, opts ? opts->params : NULL);
	if (rc == CRP_OK && e->begin)
		rc = e->begin(c, c->state);
	c->begun = true;
	if (rc != CRP_OK) {
		if (c->err.code == CRP_OK)
			crp__error_set(&c->err, rc, "%s", crp_status_str(rc));
		report_error(c, err);
		crp_emit_free(s);
		return rc;
	}
	*out = s;
	return CRP_OK;
}

int crp_emit_report(crp_emit_session *s, const crp_report *r)
{
	if (!s || !r)
		return CRP_EINVAL;
	crp_emit_ctx *c = &s->ctx;
	if (c->err.code != CRP_OK)
		return c->err.code;
	int rc = c->emitter->write_report(c, c->state, r);
	if (rc != CRP_OK && c->err.code == CRP_OK)
		crp__error_set(&c->err, rc, "%s", crp_status_str(rc));
	return c->err.code;
}

int crp_emit_end(crp_emit_session *s)
{
	if (!s)
		return CRP_EINVAL;
	crp_emit_ctx *c = &s->ctx;
	if (c->err.code != CRP_OK)
		return c->err.code;
	if (!c->ended && c->emitter->end) {
		int rc = c->emitter->end(c, c->state);
		if (rc != CRP_OK && c->err.code == CRP_OK)
			crp__error_set(&c->err, rc, "%s", crp_status_str(rc));
	}
	c->ended = true;
	return flush(c);
}

const crp_error *crp_emit_error(const crp_emit_session *s) { return &s->ctx.err; }
uint64_t crp_emit_bytes(const crp_emit_session *s) { return s->ctx.flushed + s->ctx.used; }

void crp_emit_free(crp_emit_session *s)
{
	if (!s)
		return;
	crp_emit_ctx *c = &s->ctx;
	crp_allocator a = c->alloc;
	if (c->begun && c->emitter->cleanup)
		c->emitter->cleanup(c, c->state);
	crp__free(&a, c->state);
	crp__free(&a, c->buf);
	crp__free(&a, s);
}

int crp_emit(const crp_emitter *e, const crp_report *r, const crp_sink *sink,
	     const crp_emit_options *opts, crp_error *err)
{
	crp_emit_session *s;
	int rc = crp_emit_begin(&s, e, sink, opts, err);
	if (rc != CRP_OK)
		return rc;
	rc = crp_emit_report(s, r);
	if (rc == CRP_OK)
		rc = crp_emit_end(s);
	report_error(&s->ctx, err);
	crp_emit_free(s);
	return rc;
}
