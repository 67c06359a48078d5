/* Progress on stderr (a redrawn bar on a terminal, or periodic plain lines) and the summary. */
#ifndef CRASHPORT_PROGRESS_H
#define CRASHPORT_PROGRESS_H

#include "batch.h"

typedef struct progress progress;

/* AUTO draws a bar when stderr is a terminal and there is more than one input. */
progress *progress_new(progress_mode mode, size_t total, double start_seconds);
/* Redraw if due (bar: 10 times a second; plain: every PLAIN_INTERVAL seconds). */
void progress_update(progress *p, size_t finished, size_t failed);
/* Erase the bar before other text goes to stderr; it comes back at the next update. */
void progress_clear(progress *p);
void progress_free(progress *p);

typedef struct batch_totals {
	size_t converted, failed, skipped, cancelled, interrupted_inputs;
	size_t reports, warnings;
	uint64_t bytes_in, bytes_out;
	double seconds;
	bool interrupted;
} batch_totals;

void batch_totals_add(batch_totals *t, const batch_result *res);
/* "crashport: 998 converted, 2 failed (1000 inputs, ...) ..." on stderr. */
void batch_print_summary(const batch_totals *t, const char *verb);

#endif
