/* The batch runner (batch.h). Workers take inputs in order from a shared counter; the main
 * thread waits for results and releases them strictly in input order, so messages and report
 * lines do not depend on -j or timing. Signals are delivered to the main thread only. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"
#include "progress.h"

enum { MAX_WORKERS = 256, TEMP_PATH_MAX = 4096 };
#define WAKE_SIGNAL SIGUSR1 /* sent to workers after Ctrl-C to break blocking reads */
#define STOP_GRACE_SECONDS 3.0 /* after Ctrl-C, how long workers may take to abandon their input */

/* Temporary outputs being written, one slot per thread (0: the main thread), readable from a
 * signal handler: the path is complete before `active` is set. */
static struct temp_slot {
	atomic_int active;
	char path[TEMP_PATH_MAX];
} temps[MAX_WORKERS + 1];
static _Thread_local int my_slot;
static volatile sig_atomic_t stop_signal;

typedef struct runner {
	const batch_plan *plan;
	batch_result *results;
	atomic_size_t next;
	atomic_bool halt;          /* --fail-fast saw a failure: start nothing more */
	pthread_mutex_t mu;
	pthread_cond_t changed;
	size_t finished;           /* guarded by mu */
	size_t failed_so_far;      /* guarded by mu */
} runner;

typedef struct worker {
	runner *r;
	int slot;
	pthread_t thread;
} worker;

bool batch_interrupted(void)
{
	return stop_signal != 0;
}

void batch_track_temp(const char *path)
{
	struct temp_slot *t = &temps[my_slot];
	atomic_store_explicit(&t->active, 0, memory_order_release);
	if (path && strlen(path) < TEMP_PATH_MAX) {
		strcpy(t->path, path);
		atomic_store_explicit(&t->active, 1, memory_order_release);
	}
}

/* Async-signal-safe: unlink is, and the slots are read through lock-free atomics. */
static void remove_temps(void)
{
	for (int i = 0; i <= MAX_WORKERS; i++)
		if (atomic_load_explicit(&temps[i].active, memory_order_acquire))
			unlink(temps[i].path);
}

static void on_signal(int sig)
{
	if (stop_signal) { /* asked twice: leave now, without partial files */
		remove_temps();
		_exit(128 + sig);
	}
	stop_signal = sig;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_one(runner *r, size_t i)
{
	batch_result *res = &r->results[i];
	const batch_plan *p = r->plan;
	if (atomic_load(&r->halt) || stop_signal) {
		res->status = BATCH_CANCELLED;
		return;
	}
	res->log = open_memstream(&res->log_text, &res->log_len);
	res->warnings_json = open_memstream(&res->warnings_text, &res->warnings_len);
	if (!res->log || !res->warnings_json) {
		cli_msg("out of memory");
		_exit(EXIT_SOME_FAILED);
	}
	double t0 = now_seconds();
	p->run(p->ctx, i, res);
	res->seconds = now_seconds() - t0;
	fclose(res->log);
	fclose(res->warnings_json);
	res->log = res->warnings_json = NULL;
	if (res->status == BATCH_FAILED && p->fail_fast)
		atomic_store(&r->halt, true);
}

static void *worker_main(void *arg)
{
	worker *w = arg;
	runner *r = w->r;
	my_slot = w->slot;
	for (;;) {
		size_t i = atomic_fetch_add(&r->next, 1);
		if (i >= r->plan->count)
			break;
		run_one(r, i);
		pthread_mutex_lock(&r->mu);
		r->results[i].done = true;
		r->finished++;
		r->failed_so_far += r->results[i].status == BATCH_FAILED;
		pthread_cond_signal(&r->changed);
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

static unsigned worker_count(const batch_plan *p)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = p->jobs ? p->jobs : cpus > 0 ? (size_t)cpus : 1;
	if (n > p->count)
		n = p->count ? p->count : 1;
	return n > MAX_WORKERS ? MAX_WORKERS : (unsigned)n;
}

/* Start the workers with SIGINT and SIGTERM blocked, so that only the main thread sees them. */
static worker *start_workers(runner *r, unsigned n)
{
	worker *ws = cli_xmalloc(n * sizeof *ws);
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned i = 0; i < n; i++) {
		ws[i] = (worker){.r = r, .slot = (int)i + 1};
		if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
			cli_msg("cannot start a worker thread: %s", strerror(errno));
			_exit(EXIT_SOME_FAILED);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ws;
}

static void on_wake(int sig)
{
	(void)sig; /* only interrupts a blocking read or write in a worker */
}

void batch_catch_signals(bool on)
{
	static struct sigaction old_int, old_term, old_pipe, old_usr1;
	if (!on) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGPIPE, &old_pipe, NULL);
		sigaction(WAKE_SIGNAL, &old_usr1, NULL);
		return;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal; /* no SA_RESTART: a blocking read returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sa.sa_handler = on_wake;
	sigaction(WAKE_SIGNAL, &sa, &old_usr1);
	sa.sa_handler = SIG_IGN; /* a closed stdout becomes a write error */
	sigaction(SIGPIPE, &sa, &old_pipe);
}

int batch_signal(void)
{
	return stop_signal;
}

static const char *status_name(batch_status s)
{
	static const char *const names[] = {"converted", "failed", "skipped", "cancelled", "interrupted"};
	return names[s];
}

static void report_line(FILE *f, const char *path, const batch_result *res)
{
	fprintf(f, "{\"path\":");
	cli_json_string(f, path);
	fprintf(f, ",\"status\":\"%s\",\"output\":", status_name(res->status));
	if (res->output && res->status == BATCH_CONVERTED)
		cli_json_string(f, res->output);
	else
		fputs("null", f);
	fprintf(f, ",\"reports\":%zu,\"warning_count\":%zu,\"warnings\":[", res->reports, res->warnings);
	if (res->warnings_len)
		fwrite(res->warnings_text, 1, res->warnings_len, f);
	fputs("],\"error\":", f);
	if (res->status == BATCH_FAILED)
		cli_json_diag(f, &res->error);
	else
		fputs("null", f);
	fprintf(f, ",\"bytes_in\":%llu,\"bytes_out\":%llu,\"seconds\":%.6f}\n", (unsigned long long)res->bytes_in,
		(unsigned long long)res->bytes_out, res->seconds);
}

typedef struct outlet {
	const batch_plan *plan;
	progress *prog;
	FILE *report;
	batch_totals totals;
} outlet;

/* Print input i's messages, write its report line, count it; then forget its buffers. */
static void release(outlet *o, size_t i, batch_result *res)
{
	if (res->log_len) {
		progress_clear(o->prog);
		fwrite(res->log_text, 1, res->log_len, stderr);
		fflush(stderr);
	}
	if (o->report)
		report_line(o->report, o->plan->paths[i], res);
	batch_totals_add(&o->totals, res);
	free(res->log_text);
	free(res->warnings_text);
	res->log_text = res->warnings_text = NULL;
}

static void wait_a_little(runner *r, double seconds)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long ns = ts.tv_nsec + (long)(seconds * 1e9);
	ts.tv_sec += ns / 1000000000L;
	ts.tv_nsec = ns % 1000000000L;
	pthread_cond_timedwait(&r->changed, &r->mu, &ts);
}

/* The main thread's loop: release finished inputs in order until all are, drawing progress. */
static void supervise(runner *r, outlet *o, const worker *ws, unsigned n_workers)
{
	const batch_plan *p = r->plan;
	size_t released = 0;
	double deadline = 0;
	pthread_mutex_lock(&r->mu);
	while (released < p->count) {
		while (released < p->count && r->results[released].done) {
			pthread_mutex_unlock(&r->mu);
			release(o, released, &r->results[released]);
			released++;
			pthread_mutex_lock(&r->mu);
		}
		if (released == p->count)
			break;
		if (stop_signal && !deadline)
			deadline = now_seconds() + STOP_GRACE_SECONDS;
		for (unsigned i = 0; deadline && i < n_workers; i++)
			pthread_kill(ws[i].thread, WAKE_SIGNAL); /* repeated: a worker may not be blocked yet */
		if (deadline && now_seconds() > deadline) {
			progress_clear(o->prog);
			cli_msg("workers did not stop in time; removing temporary files");
			remove_temps();
			_exit(128 + stop_signal);
		}
		size_t finished = r->finished, failed = r->failed_so_far;
		pthread_mutex_unlock(&r->mu);
		progress_update(o->prog, finished, failed);
		pthread_mutex_lock(&r->mu);
		if (r->finished == finished && !(released < p->count && r->results[released].done))
			wait_a_little(r, 0.1);
	}
	pthread_mutex_unlock(&r->mu);
}

int batch_run(const batch_plan *p)
{
	runner r = {.plan = p};
	outlet o = {.plan = p};
	cli_output report_out = {.fd = -1};
	r.results = cli_xmalloc((p->count ? p->count : 1) * sizeof *r.results);
	memset(r.results, 0, (p->count ? p->count : 1) * sizeof *r.results);
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.changed, NULL);
	if (p->report_path) {
		if (cli_output_open(&report_out, p->report_path) != 0 ||
		    !(o.report = fdopen(report_out.fd, "w"))) {
			cli_msg("cannot create report %s: %s", p->report_path, strerror(errno));
			free(r.results);
			return EXIT_USAGE;
		}
	}
	batch_catch_signals(true);
	double t0 = now_seconds();
	o.prog = progress_new(p->quiet ? PROGRESS_NONE : p->progress, p->count, t0);
	progress_update(o.prog, 0, 0);
	unsigned n = worker_count(p);
	worker *ws = start_workers(&r, n);
	supervise(&r, &o, ws, n);
	for (unsigned i = 0; i < n; i++)
		pthread_join(ws[i].thread, NULL);
	free(ws);
	progress_free(o.prog);
	o.totals.seconds = now_seconds() - t0;
	o.totals.interrupted = stop_signal != 0;
	if ((p->summary || stop_signal) && !p->quiet) /* an interruption says what it left */
		batch_print_summary(&o.totals, p->verb);
	if (o.report) {
		report_out.fd = -1; /* fclose closes it */
		bool written = fflush(o.report) == 0 && fsync(fileno(o.report)) == 0;
		if (fclose(o.report) != 0 || !written || cli_output_commit(&report_out) != 0) {
			cli_msg("cannot write report %s: %s", p->report_path, strerror(errno));
			cli_output_abort(&report_out);
			o.totals.failed++;
		}
	}
	batch_catch_signals(false);
	pthread_cond_destroy(&r.changed);
	pthread_mutex_destroy(&r.mu);
	free(r.results);
	if (stop_signal)
		return 128 + stop_signal;
	return o.totals.failed ? EXIT_SOME_FAILED : EXIT_ALL_OK;
}
