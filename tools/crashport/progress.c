/* Progress display and the batch summary (progress.h). Everything goes to stderr, so stdout
 * carries nothing but output. */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"

#define BAR_INTERVAL 0.1
#define PLAIN_INTERVAL 5.0

struct progress {
	progress_mode mode;   /* BAR or PLAIN */
	size_t total;
	double start, last_draw;
	bool shown;           /* a bar is on the screen */
};

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

progress *progress_new(progress_mode mode, size_t total, double start_seconds)
{
	if (mode == PROGRESS_AUTO)
		mode = isatty(STDERR_FILENO) && total > 1 ? PROGRESS_BAR : PROGRESS_NONE;
	if (mode == PROGRESS_NONE)
		return NULL;
	progress *p = cli_xmalloc(sizeof *p);
	*p = (progress){.mode = mode, .total = total, .start = start_seconds, .last_draw = start_seconds};
	return p;
}

static void format_duration(char *buf, size_t n, double s)
{
	unsigned long t = s > 0 ? (unsigned long)(s + 0.5) : 0;
	if (t >= 3600)
		snprintf(buf, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, n, "%lu:%02lu", t / 60, t % 60);
}

/* "1234/5000  24%  812/s  ETA 0:04  2 failed" */
static void format_status(char *buf, size_t n, const progress *p, size_t finished, size_t failed, double now)
{
	double elapsed = now - p->start;
	double rate = elapsed > 0 ? (double)finished / elapsed : 0;
	char eta[32] = "--:--";
	if (finished && rate > 0)
		format_duration(eta, sizeof eta, (double)(p->total - finished) / rate);
	char total[24], speed[24];
	int width = snprintf(total, sizeof total, "%zu", p->total);
	snprintf(speed, sizeof speed, "%.*f/s", rate < 10 ? 1 : 0, rate);
	int len = snprintf(buf, n, "%*zu/%s %3u%%  %8s  ETA %5s", width, finished, total,
			   (unsigned)(p->total ? finished * 100 / p->total : 100), speed, eta);
	if (failed && len > 0 && (size_t)len < n)
		snprintf(buf + len, n - (size_t)len, "  %zu failed", failed);
}

static int terminal_width(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

static void draw_bar(progress *p, size_t finished, size_t failed, double now)
{
	char status[160];
	format_status(status, sizeof status, p, finished, failed, now);
	int room = terminal_width() - (int)strlen(status) - 4;
	fputc('\r', stderr);
	if (room >= 10) {
		int filled = p->total ? (int)((double)room * (double)finished / (double)p->total) : room;
		fputc('[', stderr);
		for (int i = 0; i < room; i++)
			fputc(i < filled ? '#' : '-', stderr);
		fputs("] ", stderr);
	}
	fputs(status, stderr);
	fputs("\033[K", stderr);
	fflush(stderr);
	p->shown = true;
}

void progress_update(progress *p, size_t finished, size_t failed)
{
	if (!p)
		return;
	double now = now_seconds();
	if (p->mode == PROGRESS_BAR && (now - p->last_draw >= BAR_INTERVAL || !p->shown)) {
		draw_bar(p, finished, failed, now);
		p->last_draw = now;
	} else if (p->mode == PROGRESS_PLAIN && now - p->last_draw >= PLAIN_INTERVAL) {
		char status[160];
		format_status(status, sizeof status, p, finished, failed, now);
		cli_msg("progress %s", status);
		p->last_draw = now;
	}
}

void progress_clear(progress *p)
{
	if (p && p->shown) {
		fputs("\r\033[K", stderr);
		p->shown = false;
	}
}

void progress_free(progress *p)
{
	progress_clear(p);
	free(p);
}

void batch_totals_add(batch_totals *t, const batch_result *res)
{
	switch (res->status) {
	case BATCH_CONVERTED: t->converted++; break;
	case BATCH_FAILED: t->failed++; break;
	case BATCH_SKIPPED: t->skipped++; break;
	case BATCH_CANCELLED: t->cancelled++; break;
	case BATCH_INTERRUPTED: t->interrupted_inputs++; break;
	}
	t->reports += res->reports;
	t->warnings += res->warnings;
	t->bytes_in += res->bytes_in;
	t->bytes_out += res->bytes_out;
}

static void format_bytes(char *buf, size_t n, uint64_t b)
{
	if (b < 10000)
		snprintf(buf, n, "%llu bytes", (unsigned long long)b);
	else if (b < 10000000)
		snprintf(buf, n, "%.1f kB", (double)b / 1e3);
	else
		snprintf(buf, n, "%.1f MB", (double)b / 1e6);
}

void batch_print_summary(const batch_totals *t, const char *verb)
{
	size_t inputs = t->converted + t->failed + t->skipped + t->cancelled + t->interrupted_inputs;
	char in[32], out[32], took[32];
	format_bytes(in, sizeof in, t->bytes_in);
	format_bytes(out, sizeof out, t->bytes_out);
	snprintf(took, sizeof took, "%.2f s", t->seconds);
	fprintf(stderr, "%s: %s%zu %s, %zu failed", cli_progname, t->interrupted ? "interrupted: " : "", t->converted,
		verb, t->failed);
	if (t->skipped)
		fprintf(stderr, ", %zu skipped (output exists; --force replaces)", t->skipped);
	if (t->interrupted_inputs)
		fprintf(stderr, ", %zu abandoned", t->interrupted_inputs);
	if (t->cancelled)
		fprintf(stderr, ", %zu not started", t->cancelled);
	fprintf(stderr, " of %zu inputs; %zu reports, %zu warnings; %s read, %s written in %s", inputs,
		t->reports, t->warnings, in, out, took);
	if (t->seconds > 0)
		fprintf(stderr, " (%.0f inputs/s)", (double)(t->converted + t->failed) / t->seconds);
	fputc('\n', stderr);
}
