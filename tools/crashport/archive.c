/* The index of a CRPB archive, for `crashport info`: read through the archive's index, without
 * decoding any report. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return NULL;
	}
	char *d = cli_xmalloc((size_t)st.st_size + 1);
	*len = fread(d, 1, (size_t)st.st_size, f);
	fclose(f);
	return d;
}

int cli_archive_load(const char *path, cli_archive *a, crp_error *err)
{
	memset(a, 0, sizeof *a);
	if (strcmp(path, "-") == 0)
		return 0; /* a stream is read once, report by report */
	size_t len = 0;
	char *buf = slurp(path, &len);
	if (!buf || !crp_crpb_detect(buf, len)) {
		free(buf);
		return 0;
	}
	crp_crpb *ar;
	if (crp_crpb_open(&ar, buf, len, NULL, err) != CRP_OK) {
		free(buf);
		return -1;
	}
	a->count = crp_crpb_count(ar);
	a->entries = cli_xmalloc((a->count + 1) * sizeof *a->entries);
	for (size_t i = 0; i < a->count; i++) {
		a->entries[i] = *crp_crpb_entry_at(ar, i);
		a->entries[i].id = a->entries[i].id ? cli_xstrdup(a->entries[i].id) : NULL;
	}
	crp_crpb_close(ar);
	free(buf);
	return 1;
}

void cli_archive_print(const char *path, const cli_archive *a)
{
	printf("%s: CRPB archive, %zu report%s\n", path, a->count, a->count == 1 ? "" : "s");
	printf("  %-4s %10s %8s  %-36s  %s\n", "#", "offset", "bytes", "id", "time");
	for (size_t i = 0; i < a->count; i++) {
		const crp_crpb_entry *e = &a->entries[i];
		char when[40] = "-";
		if (e->has_timestamp && e->timestamp.form != CRP_TIME_EMPTY)
			crp_time_format(e->timestamp.usec, 6, when);
		printf("  %-4zu %10" PRIu64 " %8" PRIu64 "  %-36s  %s\n", i + 1, e->offset, e->size,
		       e->id ? e->id : "-", when);
	}
}

void cli_archive_free(cli_archive *a)
{
	for (size_t i = 0; i < a->count; i++)
		free((char *)a->entries[i].id);
	free(a->entries);
	memset(a, 0, sizeof *a);
}
