
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "cli.h"

const char *cli_progname = "crashport";
static mode_t file_umask = 022;
static atomic_bool stdout_gone;

void cli_stdout_closed(void)
{
	atomic_store(&stdout_gone, true);
}

int cli_exit_status(int status)
{
	if (!atomic_load(&stdout_gone))
		return status;
	/* the reader of stdout went away: end as a filter does, killed by SIGPIPE, quietly */
	fflush(stderr);
	signal(SIGPIPE, SIG_DFL);
	raise(SIGPIPE);
	return status;
}

int cli_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR && !batch_interrupted())
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void cli_init(void)
{
	/* umask() can only be read by setting it: done once, before any thread creates files */
	file_umask = umask(022);
	umask(file_umask);
}

void cli_msg(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cli_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_fprint_error(FILE *f, const char *file, const crp_error *e, const char *kind)
{
	fprintf(f, "%s: %s", cli_progname, file);
	if (e->line)
		fprintf(f, ":%llu:%llu", (unsigned long long)e->line, (unsigned long long)e->column);
	fputs(": ", f);
	if (e->json_path[0])
		fprintf(f, "%s: ", e->json_path);
	if (kind)
		fprintf(f, "%s: ", kind);
	fprintf(f, "%s\n", e->message[0] ? e->message : crp_status_str(e->code));
}

void cli_print_error(const char *file, const crp_error *e, const char *prefix)
{
	cli_fprint_error(stderr, file, e, prefix);
}

void cli_print_warnings(const char *file, const crp_report *r)
{
	for (size_t i = 0; i < crp_report_warning_count(r); i++)
		cli_fprint_error(stderr, file, crp_report_warning(r, i), "warning");
}

/* Hand every finished report to fn until it asks to stop. */
static void drain(crp_reader *rd, cli_report_fn fn, void *ctx, int *stopped)
{
	crp_report *r;
	while (!*stopped && crp_reader_next(rd, &r) == CRP_OK)
		if (fn(r, ctx) != 0)
			*stopped = 1;
}

static void set_errno_error(crp_error *err, const char *what)
{
	err->code = CRP_EIO;
	snprintf(err->message, sizeof err->message, "%s%s", what, strerror(errno));
}

/* The read loop: every chunk to the reader, reports to fn as they complete; *bytes counts
 * what was read. */
static int pump(int fd, crp_reader *rd, cli_report_fn fn, void *ctx, crp_error *err, uint64_t *bytes)
{
	static const size_t chunk = 1 << 16;
	char *buf = cli_xmalloc(chunk);
	int stopped = 0, rc = CRP_OK;
	for (;;) {
		ssize_t n = read(fd, buf, chunk);
		if (n < 0 && errno == EINTR && !batch_interrupted())
			continue;
		if (n < 0) {
			set_errno_error(err, "read error: ");
			rc = CRP_EIO;
			break;
		}
		if (n == 0) {
			rc = crp_reader_finish(rd);
			drain(rd, fn, ctx, &stopped);
			break;
		}
		*bytes += (uint64_t)n;
		rc = crp_reader_feed(rd, buf, (size_t)n);
		drain(rd, fn, ctx, &stopped);
		if (rc != CRP_OK || stopped)
			break;
	}
	free(buf);
	return rc;
}

int cli_read_reports(const char *path, const crp_format *from, const crp_parse_options *opts,
		     cli_report_fn fn, void *ctx, crp_error *err, uint64_t *bytes_read)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	uint64_t unused;
	bytes_read = bytes_read ? bytes_read : &unused;
	*bytes_read = 0;
	memset(err, 0, sizeof *err);
	if (fd < 0) {
		set_errno_error(err, "cannot open: ");
		return CRP_EIO;
	}
	crp_reader *rd;
	int rc = crp_reader_new(&rd, from, opts);
	if (rc != CRP_OK) {
		err->code = rc;
		snprintf(err->message, sizeof err->message, "%s", crp_status_str(rc));
	} else {
		rc = pump(fd, rd, fn, ctx, err, bytes_read);
		if (rc != CRP_OK && err->code == CRP_OK)
			*err = *crp_reader_error(rd);
		crp_reader_free(rd);
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

const crp_format *cli_parse_from(const char *name)
{
	const crp_format *f = crp_format_lookup(name);
	if (f && crp_format_readable(f))
		return f;
	cli_msg("unknown input format '%s' (readable:%s)", name, cli_readable_formats());
	return NULL;
}

const char *cli_readable_formats(void)
{
	static char list[256];
	size_t at = 0;
	for (size_t i = 0; crp_format_at(i) && at < sizeof list; i++)
		if (crp_format_readable(crp_format_at(i)))
			at += (size_t)snprintf(list + at, sizeof list - at, " %s",
					       crp_format_name(crp_format_at(i)));
	return list;
}

bool cli_known_input_name(const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; crp_format_at(i); i++)
		for (const char *const *e = crp_format_extensions(crp_format_at(i)); *e; e++) {
			size_t n = strlen(*e);
			if (len > n && memcmp(name + len - n, *e, n) == 0)
				return true;
		}
	return false;
}

void cli_print_input_patterns(FILE *f)
{
	const char *sep = "";
	for (size_t i = 0; crp_format_at(i); i++)
		for (const char *const *e = crp_format_extensions(crp_format_at(i)); *e; e++) {
			fprintf(f, "%s*%s", sep, *e);
			sep = " ";
		}
}

/* An existing device, FIFO or socket is written in place: renaming a file over it would
 * replace /dev/stdout or a named pipe with a regular file. */
static bool special_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

int cli_output_open(cli_output *o, const char *final_path)
{
	bool dash = strcmp(final_path, "-") == 0; /* "-": stdout */
	if (dash || special_file(final_path)) {
		fflush(stdout); /* what was printed comes first */
		o->fd = dash ? fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 0) : open(final_path, O_WRONLY | O_CLOEXEC);
		o->final_path = o->fd >= 0 ? cli_xstrdup(final_path) : NULL;
		o->tmp_path = NULL;
		return o->fd >= 0 ? 0 : -1;
	}
	const char *slash = strrchr(final_path, '/');
	size_t dirlen = slash ? (size_t)(slash - final_path + 1) : 0;
	const char *base = slash ? slash + 1 : final_path;
	o->final_path = cli_xstrdup(final_path);
	o->tmp_path = cli_xmalloc(dirlen + strlen(base) + 16);
	sprintf(o->tmp_path, "%.*s.%s.XXXXXX", (int)dirlen, final_path, base);
	o->fd = mkostemp(o->tmp_path, O_CLOEXEC);
	if (o->fd < 0) {
		int e = errno;
		free(o->final_path);
		free(o->tmp_path);
		o->final_path = o->tmp_path = NULL;
		errno = e;
		return -1;
	}
	fchmod(o->fd, 0666 & ~file_umask); /* mkostemp made it 0600; an output is an ordinary file */
	batch_track_temp(o->tmp_path);
	return 0;
}

int cli_output_commit(cli_output *o)
{
	int rc = o->fd >= 0 ? close(o->fd) : 0;
	o->fd = -1;
	if (rc == 0 && o->tmp_path)
		rc = rename(o->tmp_path, o->final_path);
	if (rc != 0 && o->tmp_path) {
		int e = errno;
		unlink(o->tmp_path);
		errno = e;
	}
	if (o->tmp_path)
		batch_track_temp(NULL);
	free(o->final_path);
	free(o->tmp_path);
	o->final_path = o->tmp_path = NULL;
	return rc;
}

void cli_output_abort(cli_output *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->tmp_path) {
		unlink(o->tmp_path);
		batch_track_temp(NULL);
	}
	free(o->final_path);
	free(o->tmp_path);
	o->final_path = o->tmp_path = NULL;
}

void *cli_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		cli_msg("out of memory");
		exit(EXIT_SOME_FAILED);
	}
	return p;
}

void *cli_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p) {
		cli_msg("out of memory");
		exit(EXIT_SOME_FAILED);
	}
	return p;
}

char *cli_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(cli_xmalloc(n), s, n);
}

char *cli_path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	char *p = cli_xmalloc(dl + strlen(name) + 2);
	sprintf(p, "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/", name);
	return p;
}

char *cli_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char *s = cli_xstrdup(base);
	char *dot = strrchr(s, '.');
	if (dot && dot != s)
		*dot = '\0';
	return s;
}

int cli_mkdirs(const char *dir)
{
	char *p = cli_xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST)
			rc = -1;
		*s = c;
		if (!c)
			break;
	}
	int e = errno;
	free(p);
	errno = e;
	return rc == 0 && cli_is_dir(dir) ? 0 : -1;
}

int cli_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

size_t cli_utf8_len(const char *str, size_t avail)
{
	const unsigned char *s = (const unsigned char *)str;
	if (avail == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
	if (n == 0 || n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

void cli_json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t left = strlen((const char *)s);
	fputc('"', f);
	while (*s) {
		unsigned char c = *s;
		size_t n = cli_utf8_len((const char *)s, left);
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else if (n == 0)
			fputs("\\ufffd", f);
		else
			fwrite(s, 1, n, f);
		s += n ? n : 1;
		left -= n ? n : 1;
	}
	fputc('"', f);
}

void cli_json_diag(FILE *f, const crp_error *e)
{
	fprintf(f, "{\"code\":\"%s\",\"message\":", crp_code_name(e->code));
	cli_json_string(f, e->message[0] ? e->message : crp_status_str(e->code));
	fputs(",\"path\":", f);
	cli_json_string(f, e->json_path);
	fprintf(f, ",\"line\":%llu,\"column\":%llu}", (unsigned long long)e->line, (unsigned long long)e->column);
}

/* N, N k, N M or N G (binary units), above 0; false when it is not that. */
static bool parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned long long unit = *end == 'k' ? 1024ULL : *end == 'M' ? 1024ULL * 1024 : *end == 'G' ? 1ULL << 30 : 1;
	end += unit != 1;
	if (errno || *end || end == s || *s == '-' || v == 0 || v > SIZE_MAX / unit)
		return false;
	*out = (size_t)(v * unit);
	return true;
}

int cli_parse_jobs(const char *cmd, const char *arg, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || v == 0 || v > 256 || arg[0] == '-') {
		cli_msg("%s: --jobs takes a number from 1 to 256, not '%s'", cmd, arg);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

unsigned cli_threads(unsigned jobs)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return jobs ? jobs : cpus > 256 ? 256 : cpus > 0 ? (unsigned)cpus : 1;
}

int cli_parse_size(const char *option, const char *arg, size_t *out)
{
	if (parse_size(arg, out))
		return 0;
	cli_msg("%s takes N > 0 (suffix k, M or G allowed), not '%s'", option, arg);
	return -1;
}

int cli_parse_limit(crp_parse_options *po, const char *arg)
{
	static const struct {
		const char *name;
		size_t offset;
	} limits[] = {
		{"report-bytes", offsetof(crp_parse_options, max_report_bytes)},
		{"depth", offsetof(crp_parse_options, max_depth)},
		{"string-bytes", offsetof(crp_parse_options, max_string_bytes)},
		{"items", offsetof(crp_parse_options, max_items)},
		{"memory", offsetof(crp_parse_options, max_memory)},
		{"warnings", offsetof(crp_parse_options, max_warnings)},
	};
	const char *eq = strchr(arg, '=');
	for (size_t i = 0; eq && i < sizeof limits / sizeof *limits; i++) {
		if (strlen(limits[i].name) != (size_t)(eq - arg) || strncmp(arg, limits[i].name, (size_t)(eq - arg)) != 0)
			continue;
		if (!parse_size(eq + 1, (size_t *)((char *)po + limits[i].offset)))
			break;
		return 0;
	}
	cli_msg("--limit takes NAME=N (N > 0, suffix k, M or G allowed) with NAME one of report-bytes, depth, "
		"string-bytes, items, memory, warnings; not '%s'", arg);
	return -1;
}

const char *cli_demangle(const char *name, char *buf, size_t cap)
{
	return crp_demangle(buf, cap, NULL, name, NULL) == CRP_OK ? buf : name;
}
