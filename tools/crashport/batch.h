/* Running a batch: worker threads convert inputs while the main thread prints their messages in
 * input order, draws progress, writes the --report lines and handles Ctrl-C. */
#ifndef CRASHPORT_BATCH_H
#define CRASHPORT_BATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "crashport/crashport.h"

typedef enum batch_status {
	BATCH_CONVERTED,
	BATCH_FAILED,
	BATCH_SKIPPED,     /* the output exists and --force was not given */
	BATCH_CANCELLED,   /* not started: --fail-fast or an interruption stopped the batch */
	BATCH_INTERRUPTED  /* started, then abandoned on Ctrl-C; its output was removed */
} batch_status;

typedef enum progress_mode { PROGRESS_AUTO, PROGRESS_BAR, PROGRESS_PLAIN, PROGRESS_NONE } progress_mode;

/* What one job did. The job fills it; `log` and `warnings` are the job's own streams. */
typedef struct batch_result {
	batch_status status;
	size_t reports, warnings;
	uint64_t bytes_in, bytes_out;
	const char *output;      /* path written, NULL for stdout */
	crp_error error;         /* when failed: code (crp_status), message, position, JSON path */
	FILE *log;               /* human-readable lines for stderr, printed in input order */
	FILE *warnings_json;     /* comma-separated JSON warning objects for --report */
	/* owned by the runner */
	char *log_text, *warnings_text;
	size_t log_len, warnings_len;
	double seconds;
	bool done;
} batch_result;

/* Convert input `index`, filling res. May be called from several threads at once. */
typedef void (*batch_job_fn)(void *ctx, size_t index, batch_result *res);

typedef struct batch_plan {
	size_t count;
	const char *const *paths;  /* paths[i]: input i, as shown in messages and the report */
	batch_job_fn run;
	void *ctx;
	unsigned jobs;             /* worker threads; 0: one per online CPU */
	progress_mode progress;
	bool quiet;                /* no progress, no summary (messages are the job's business) */
	bool summary;              /* print the summary line (batches, not single conversions) */
	bool fail_fast;
	const char *report_path;   /* --report FILE or NULL */
	const char *verb;          /* "converted", for the summary */
} batch_plan;

/* Runs the batch; returns the exit status (0, 1, or 128+signal when interrupted). */
int batch_run(const batch_plan *plan);

/* True once Ctrl-C (or SIGTERM) asked the batch to stop; jobs poll it between reports. */
bool batch_interrupted(void);

/* Catch SIGINT and SIGTERM (the first asks to stop, a second forces an exit that removes the
 * temporaries) and ignore SIGPIPE; false restores what was there. Call from the main thread. */
void batch_catch_signals(bool on);
/* The signal that interrupted, or 0. */
int batch_signal(void);

/* Register the temporary file the calling worker is writing, so that a forced exit (a second
 * Ctrl-C, or workers that do not stop in time) can remove it; NULL unregisters. */
void batch_track_temp(const char *path);

#endif
