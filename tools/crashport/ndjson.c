/* Pipeline mode (convert --ndjson): each stdin line is one report, each stdout line its result,
 * in input order, so the tool can be the command of GNU parallel --pipe, Spark's RDD.pipe or
 * Hadoop Streaming. Memory is bounded: at most a ring of lines is in flight, each no longer
 * than max_report_bytes (a longer line becomes an error line without being buffered). A report
 * that fails is an error line, not an exit status: engines fail a whole task on a non-zero exit. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"

#define WARNINGS_PER_LINE 100 /* listed per line; all are counted */
#define SLOTS_PER_WORKER 4

typedef struct strbuf {
	char *data;
	size_t len, cap;
} strbuf;

static void sb_reserve(strbuf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	b->data = cli_xrealloc(b->data, cap);
	b->cap = cap;
}

static void sb_add(strbuf *b, const void *p, size_t n)
{
	if (!n)
		return;
	sb_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void sb_str(strbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	sb_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* A JSON string of n bytes; invalid UTF-8 becomes U+FFFD so the line stays valid JSON. */
static void sb_json(strbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sb_reserve(b, n + 2);
	b->data[b->len++] = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t run = i;
		while (run < n && (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x80 && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) {
			sb_add(b, s + i, run - i);
			i = run;
			continue;
		}
		size_t u = c >= 0x80 ? cli_utf8_len(s + i, n - i) : 0;
		if (u) {
			sb_add(b, s + i, u);
			i += u;
		} else if (c >= 0x80) {
			sb_str(b, "\\ufffd");
			i++;
		} else {
			char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
			sb_str(b, c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\t' ? "\\t" : esc);
			i++;
		}
	}
	sb_add(b, "\"", 1);
}

static void sb_base64(strbuf *b, const unsigned char *p, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	sb_reserve(b, (n + 2) / 3 * 4 + 2);
	char *o = b->data + b->len;
	*o++ = '"';
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = tab[v >> 18];
		*o++ = tab[v >> 12 & 63];
		*o++ = tab[v >> 6 & 63];
		*o++ = tab[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = tab[v >> 18];
		*o++ = tab[v >> 12 & 63];
		*o++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
}

static void sb_diag(strbuf *b, const crp_error *e, uint64_t line)
{
	const char *msg = e->message[0] ? e->message : crp_status_str(e->code);
	sb_printf(b, "{\"code\":\"%s\",\"message\":", crp_code_name(e->code));
	sb_json(b, msg, strlen(msg));
	sb_str(b, ",\"path\":");
	sb_json(b, e->json_path, strlen(e->json_path));
	sb_printf(b, ",\"line\":%llu,\"column\":%llu}", (unsigned long long)line, (unsigned long long)e->column);
}

typedef struct nd_config {
	const crp_emitter *emitter;
	crp_emit_options emit;
	const crp_parse_options *parse;
	const crp_symbolicator *symbols;  /* NULL: none; shared by the workers without a lock */
	enum { PAYLOAD_REPORT, PAYLOAD_TEXT, PAYLOAD_BASE64 } payload;
	size_t max_line;
} nd_config;

/* One input line and, once converted, its output line. */
typedef struct nd_slot {
	strbuf in, out;
	uint64_t lineno;
	bool too_long;
	enum { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE } state;
} nd_slot;

static void error_line(strbuf *out, uint64_t lineno, const crp_error *e, const crp_report *r)
{
	sb_printf(out, "{\"line\":%llu,\"status\":\"error\",\"error\":", (unsigned long long)lineno);
	sb_diag(out, e, lineno);
	sb_str(out, ",\"warnings\":[");
	for (size_t i = 0; r && i < crp_report_warning_count(r) && i < WARNINGS_PER_LINE; i++) {
		if (i)
			sb_add(out, ",", 1);
		sb_diag(out, crp_report_warning(r, i), lineno);
	}
	sb_str(out, "]}\n");
}

static void ok_line(const nd_config *c, strbuf *out, uint64_t lineno, const crp_report *r, const crp_buffer *data)
{
	static const char *const keys[] = {"report", "text", "base64"};
	sb_printf(out, "{\"line\":%llu,\"status\":\"ok\",\"warnings\":[", (unsigned long long)lineno);
	for (size_t i = 0; i < crp_report_warning_count(r) && i < WARNINGS_PER_LINE; i++) {
		if (i)
			sb_add(out, ",", 1);
		sb_diag(out, crp_report_warning(r, i), lineno);
	}
	sb_printf(out, "],\"%s\":", keys[c->payload]);
	size_t n = data->len;
	if (c->payload == PAYLOAD_REPORT) {
		while (n && data->data[n - 1] == '\n')
			n--;
		sb_add(out, data->data, n);
	} else if (c->payload == PAYLOAD_TEXT) {
		sb_json(out, data->data, n);
	} else {
		sb_base64(out, (const unsigned char *)data->data, n);
	}
	sb_str(out, "}\n");
}

static void convert_line(const nd_config *c, nd_slot *s, crp_buffer *scratch)
{
	crp_error e = {0};
	crp_report *r = NULL;
	s->out.len = 0;
	scratch->len = 0;
	if (s->too_long) {
		e.code = CRP_ELIMIT;
		snprintf(e.message, sizeof e.message, "line longer than max_report_bytes (%zu bytes)", c->max_line);
	} else if (s->in.len == 0) {
		e.code = CRP_EEMPTY;
		snprintf(e.message, sizeof e.message, "empty line");
	} else if (crp_report_parse(&r, s->in.data, s->in.len, c->parse, &e) == CRP_OK) {
		crp_sink sink;
		if (c->symbols) {
			crp_error ignored; /* failures leave the report unsymbolicated, which still converts */
			crp_report_symbolicate(r, c->symbols, NULL, NULL, &ignored);
		}
		crp_sink_init_buffer(&sink, scratch);
		if (crp_emit(c->emitter, r, &sink, &c->emit, &e) == CRP_OK) {
			ok_line(c, &s->out, s->lineno, r, scratch);
			crp_report_free(r);
			return;
		}
	}
	error_line(&s->out, s->lineno, &e, r);
	crp_report_free(r);
}

/* Reads lines from fd into slots, keeping at most max_line bytes of each. */
typedef struct line_reader {
	int fd;
	char buf[1 << 16];
	size_t pos, len;
	bool eof;
	int error;     /* errno of a failed read */
	uint64_t lineno;
} line_reader;

/* Fill s with the next line; false at end of input (or on error or interruption). */
static bool read_line(line_reader *lr, nd_slot *s, size_t max_line, void (*before_block)(void *), void *ctx)
{
	bool started = false;
	s->in.len = 0;
	s->too_long = false;
	for (;;) {
		if (lr->pos == lr->len) {
			if (lr->eof)
				break;
			if (before_block)
				before_block(ctx);
			ssize_t n = read(lr->fd, lr->buf, sizeof lr->buf);
			if (n < 0 && errno == EINTR) {
				if (!batch_interrupted())
					continue;
				lr->eof = true;
				break;
			}
			if (n <= 0) {
				lr->error = n < 0 ? errno : 0;
				lr->eof = true;
				break;
			}
			lr->pos = 0;
			lr->len = (size_t)n;
		}
		started = true;
		char *start = lr->buf + lr->pos;
		char *nl = memchr(start, '\n', lr->len - lr->pos);
		size_t take = nl ? (size_t)(nl - start) : lr->len - lr->pos;
		if (!s->too_long && s->in.len + take > max_line)
			s->too_long = true;
		if (!s->too_long)
			sb_add(&s->in, start, take);
		lr->pos += take + (nl != NULL);
		if (nl)
			break;
	}
	if (!started || lr->error || batch_interrupted())
		return false;
	if (s->in.len && s->in.data[s->in.len - 1] == '\r')
		s->in.len--;
	s->lineno = ++lr->lineno;
	return true;
}

/* 0, or -1 with the cause in *err (kept: errno does not survive to the final message). */
static int write_out(const strbuf *b, int *err)
{
	if (fwrite(b->data, 1, b->len, stdout) == b->len)
		return 0;
	*err = errno;
	return -1;
}

static void flush_stdout(void *ctx)
{
	(void)ctx;
	fflush(stdout);
}

static int run_serial(const nd_config *c, line_reader *lr, int *err)
{
	nd_slot s = {0};
	crp_buffer scratch = CRP_BUFFER_INIT;
	int rc = 0;
	while (rc == 0 && read_line(lr, &s, c->max_line, flush_stdout, NULL)) {
		convert_line(c, &s, &scratch);
		rc = write_out(&s.out, err);
	}
	free(s.in.data);
	free(s.out.data);
	crp_buffer_dispose(&scratch);
	return rc;
}

/* Parallel: the main thread reads into a ring of slots, workers convert, a writer thread prints
 * the slots in order and hands them back. */
typedef struct nd_pool {
	const nd_config *c;
	nd_slot *ring;
	size_t n_slots;
	uint64_t next_work, read_count;   /* sequence numbers; guarded by mu */
	bool input_done, write_failed;
	int write_errno;                  /* the writer's; read after it is joined */
	pthread_mutex_t mu;
	pthread_cond_t changed;
} nd_pool;

static void *nd_worker(void *arg)
{
	nd_pool *p = arg;
	crp_buffer scratch = CRP_BUFFER_INIT;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->next_work == p->read_count && !p->input_done)
			pthread_cond_wait(&p->changed, &p->mu);
		if (p->next_work == p->read_count)
			break;
		nd_slot *s = &p->ring[p->next_work++ % p->n_slots];
		s->state = SLOT_BUSY;
		pthread_mutex_unlock(&p->mu);
		convert_line(p->c, s, &scratch);
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->changed);
	}
	pthread_mutex_unlock(&p->mu);
	crp_buffer_dispose(&scratch);
	return NULL;
}

static void *nd_writer(void *arg)
{
	nd_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	for (uint64_t seq = 0;; seq++) {
		nd_slot *s = &p->ring[seq % p->n_slots];
		while (!(seq < p->read_count && s->state == SLOT_DONE) && !(p->input_done && seq == p->read_count)) {
			pthread_mutex_unlock(&p->mu);
			fflush(stdout); /* nothing ready: let the consumer see what is written */
			pthread_mutex_lock(&p->mu);
			if (!(seq < p->read_count && s->state == SLOT_DONE) && !(p->input_done && seq == p->read_count))
				pthread_cond_wait(&p->changed, &p->mu);
		}
		if (seq == p->read_count)
			break;
		pthread_mutex_unlock(&p->mu);
		int rc = p->write_failed ? -1 : write_out(&s->out, &p->write_errno);
		pthread_mutex_lock(&p->mu);
		p->write_failed |= rc != 0;
		s->state = SLOT_FREE;
		pthread_cond_broadcast(&p->changed);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void read_into_ring(nd_pool *p, line_reader *lr)
{
	for (uint64_t seq = 0;; seq++) {
		nd_slot *s = &p->ring[seq % p->n_slots];
		pthread_mutex_lock(&p->mu);
		while (s->state != SLOT_FREE)
			pthread_cond_wait(&p->changed, &p->mu);
		bool stop = p->write_failed;
		pthread_mutex_unlock(&p->mu);
		if (stop || !read_line(lr, s, p->c->max_line, NULL, NULL))
			break;
		pthread_mutex_lock(&p->mu);
		s->state = SLOT_READY;
		p->read_count = seq + 1;
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->input_done = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->mu);
}

static int run_parallel(const nd_config *c, line_reader *lr, unsigned jobs, int *err)
{
	nd_pool p = {.c = c, .n_slots = (size_t)jobs * SLOTS_PER_WORKER};
	p.ring = cli_xmalloc(p.n_slots * sizeof *p.ring);
	memset(p.ring, 0, p.n_slots * sizeof *p.ring);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.changed, NULL);
	pthread_t *threads = cli_xmalloc((jobs + 1) * sizeof *threads);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned i = 0; i <= jobs; i++)
		if (pthread_create(&threads[i], NULL, i == jobs ? nd_writer : nd_worker, &p) != 0) {
			cli_msg("cannot start a worker thread: %s", strerror(errno));
			_exit(EXIT_SOME_FAILED);
		}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	read_into_ring(&p, lr);
	for (unsigned i = 0; i <= jobs; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = 0; i < p.n_slots; i++) {
		free(p.ring[i].in.data);
		free(p.ring[i].out.data);
	}
	free(p.ring);
	free(threads);
	pthread_cond_destroy(&p.changed);
	pthread_mutex_destroy(&p.mu);
	*err = p.write_errno;
	return p.write_failed ? -1 : 0;
}

int cli_ndjson_convert(const crp_emitter *e, const char *const *params, const crp_parse_options *parse,
		       unsigned jobs, const crp_symbolicator *symbols)
{
	size_t n = 0;
	while (params[n])
		n++;
	const char **all = cli_xmalloc((n + 2) * sizeof *all);
	memcpy(all, params, n * sizeof *all);
	bool is_json = strcmp(crp_emitter_name(e), "json") == 0;
	all[n] = is_json ? "compact" : NULL; /* one line per report, whatever -O said */
	all[n + 1] = NULL;
	nd_config c = {.emitter = e, .emit = CRP_EMIT_OPTIONS_INIT, .parse = parse, .symbols = symbols,
		       .payload = is_json ? PAYLOAD_REPORT : crp_emitter_is_binary(e) ? PAYLOAD_BASE64 : PAYLOAD_TEXT,
		       .max_line = parse->max_report_bytes ? parse->max_report_bytes : CRP_DEFAULT_MAX_REPORT_BYTES};
	c.emit.params = all;
	line_reader *lr = cli_xmalloc(sizeof *lr);
	memset(lr, 0, sizeof *lr);
	lr->fd = STDIN_FILENO;
	batch_catch_signals(true);
	int werr = 0;
	int rc = jobs > 1 ? run_parallel(&c, lr, jobs, &werr) : run_serial(&c, lr, &werr);
	if (fflush(stdout) != 0 && rc == 0) {
		werr = errno;
		rc = -1;
	}
	batch_catch_signals(false);
	int status = EXIT_ALL_OK;
	if (rc != 0 && werr == EPIPE) {
		cli_stdout_closed(); /* the consumer stopped reading: end quietly, as a filter */
		status = EXIT_SOME_FAILED;
	} else if (rc != 0) {
		cli_msg("--ndjson: cannot write stdout: %s", strerror(werr));
		status = EXIT_SOME_FAILED;
	} else if (lr->error) {
		cli_msg("--ndjson: cannot read stdin: %s", strerror(lr->error));
		status = EXIT_SOME_FAILED;
	} else if (batch_interrupted()) {
		status = 128 + batch_signal();
	}
	free(lr);
	free(all);
	return status;
}
