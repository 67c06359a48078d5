/* Style `apple`, layouts IOS and MACOS: the .crash text Apple makes of an .ips (Xcode, Console,
 * Finder) for iOS 15+ and macOS 12+. Header blocks, the exception block, the text blocks
 * (Kernel Triage, VM Region Info, Application Specific Information), threads with their frames
 * right-aligned, the thread state, the instruction stream (macOS), binary images in report
 * order with iOS's or macOS's image line, EOF (iOS) or the modification and VM summaries
 * (macOS). What the .ips said in its own words (the "apple" extras) is printed as it was;
 * everything else is derived as the legacy layout derives it. README "Layouts" has the rules. */
#include "apple.h"

typedef struct tw {
	ao *o;
	apple_facts *f;
	const crp_report *handler;  /* a recrash report's own crash, or NULL */
	bool incomplete;
	bool mac;
	bool legacy;            /* the older iOS text (Report Version 104 as iOS 13-14 wrote it) */
	unsigned width;         /* header values start after this many columns */
	char *demangled;
	size_t demangled_cap;
} tw;

static void vm_region_info(tw *w);
static void other_header(tw *w, int slot);

/* -- text helpers ------------------------------------------------------------------------- */

/* "0x%llx" right-aligned in width: unlike printf's "%#llx", zero is "0x0", as Apple prints it. */
static void hex_right(ao *o, uint64_t v, unsigned width)
{
	if (v) {
		crp__ao_hex_right(o, v, width);
		return;
	}
	crp__ao_spaces(o, width > 3 ? width - 3 : 0);
	AO_LIT(o, "0x0");
}

static void label(tw *w, const char *l)
{
	size_t n = strlen(l);
	crp__ao_write(w->o, l, n);
	crp__ao_spaces(w->o, n < w->width ? w->width - n : 1);
}

static void text_or_unknown(ao *o, const char *s)
{
	crp__ao_text(o, s && s[0] ? s : "???");
}

/* Text without the blanks at either end (a reader skips them), "???" when nothing is left. */
static void trimmed_or_unknown(ao *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	s = s ? crp__ao_trim(s, &n) : NULL;
	if (n)
		crp__ao_textn(o, s, n);
	else
		AO_LIT(o, "???");
}

/* A value the reader keeps: "???" and nothing stand for a value the report lacks. */
static bool known_text(const char *s)
{
	return s && s[0] && strcmp(s, "???") != 0;
}

/* A header line; the value's spaces at either end are left out (a reader skips them after
 * the label and trims a line's end), and one of spaces only is unknown. */
static void field(tw *w, const char *l, const char *value)
{
	label(w, l);
	trimmed_or_unknown(w->o, value);
	ao_ch(w->o, '\n');
}

/* An "apple" extra printed as it is (a string, or a number's digits), without blanks at either
 * end: it ends a line or follows a label, where a reader skips them. */
static bool xtext(tw *w, const crp_value *v)
{
	size_t n;
	const char *s = crp__apple_xstr(v, &n);
	if (s) {
		s = crp__ao_trim(s, &n);
		crp__ao_textn(w->o, s, n);
	}
	return s != NULL;
}

static void xfield(tw *w, const char *l, const crp_value *v)
{
	if (!crp__apple_xstr(v, &(size_t){0}))
		return;
	label(w, l);
	xtext(w, v);
	ao_ch(w->o, '\n');
}

/* Multi-line text as written: its newlines stay, other control characters are escaped. */
static void lines(tw *w, const char *s, size_t n)
{
	bool raw = w->o->raw_lines;
	w->o->raw_lines = true;
	for (size_t i = 0; i < n; i++) {
		size_t k = i;
		while (k < n && s[k] != '\t')
			k++;
		crp__ao_textn(w->o, s + i, k - i);
		if (k < n)
			AO_LIT(w->o, "\\t");
		i = k;
	}
	w->o->raw_lines = raw;
}

/* Would a reader take this line, after an empty one, for the start of the next report? */
static bool starts_report(const char *s, size_t n)
{
	return (n >= 8 && memcmp(s, "Process:", 8) == 0) || (n >= 20 && memcmp(s, "Incident Identifier:", 20) == 0) ||
	       (n && s[0] == '{');
}

/* The text of a block that runs to the end of its report (VM Region Summary, Extra
 * Information): empty lines stay, but not before a line that starts a report, where a reader
 * ends the block (and the report). */
static void run_lines(tw *w, const char *s, size_t n)
{
	size_t i = 0, blanks = 0;
	while (i <= n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - s) : n;
		if (end == i && nl) {
			blanks++;
		} else {
			if (!blanks || !starts_report(s + i, end - i))
				for (; blanks; blanks--)
					ao_ch(w->o, '\n');
			blanks = 0;
			lines(w, s + i, end - i + (nl != NULL));
		}
		i = end + 1;
	}
	for (; blanks; blanks--)
		ao_ch(w->o, '\n');
}

/* The text of a block that ends at an empty line: its own empty lines (and the newlines around
 * it) are left out, having no place in it — read back, the first would end the block early.
 * Returns whether anything was written. */
static bool block_text(tw *w, const char *s, size_t n)
{
	size_t i = 0;
	bool any = false;
	while (i < n && s[i] == '\n')
		i++;
	while (i < n) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) : n;
		if (any)
			ao_ch(w->o, '\n');
		lines(w, s + i, e - i);
		any = true;
		for (i = e; i < n && s[i] == '\n'; i++)
			;
	}
	return any;
}

static void name_pid(tw *w, const char *name, const crp_value *pid_v, bool has_pid, int64_t pid)
{
	uint64_t u;
	size_t n = name ? strlen(name) : 0;
	name = name ? crp__ao_trim(name, &n) : NULL; /* a reader skips the blanks at either end */
	if (n)
		crp__ao_textn(w->o, name, n);
	else
		AO_LIT(w->o, "???");
	AO_LIT(w->o, " [");
	if (has_pid)
		crp__ao_sdec(w->o, pid);
	else if (crp__apple_xu64(pid_v, &u))
		crp__ao_dec(w->o, u);
	else
		ao_ch(w->o, '0'); /* Apple always writes a number; lldb's parser needs one */
	AO_LIT(w->o, "]\n");
}

/* "Coalition:", "Responsible:": a name and a number from two "apple" extras. */
static void x_name_pid(tw *w, const char *l, const char *name_key, const char *id_key)
{
	size_t n;
	const char *name = crp__apple_xstr(crp__apple_x(w->f, name_key), &n);
	if (!name)
		return;
	label(w, l);
	name = crp__ao_trim(name, &n);
	crp__ao_textn(w->o, name, n);
	AO_LIT(w->o, " [");
	if (!xtext(w, crp__apple_x(w->f, id_key)))
		ao_ch(w->o, '0');
	AO_LIT(w->o, "]\n");
}

/* -- header ------------------------------------------------------------------------------- */

static void version_field(tw *w)
{
	const crp_system *s = w->f->sys;
	label(w, "Version:");
	if (s->bundle_short_version && s->bundle_version) {
		crp__ao_text(w->o, s->bundle_short_version);
		AO_LIT(w->o, " (");
		crp__ao_text(w->o, s->bundle_version);
		ao_ch(w->o, ')');
	} else if (s->bundle_short_version || s->bundle_version) {
		if (!s->bundle_short_version)
			AO_LIT(w->o, "??? (");
		crp__ao_text(w->o, s->bundle_short_version ? s->bundle_short_version : s->bundle_version);
		if (!s->bundle_short_version)
			ao_ch(w->o, ')');
	} else {
		AO_LIT(w->o, "???");
	}
	ao_ch(w->o, '\n');
}

static void code_type(tw *w)
{
	const crp_system *s = w->f->sys;
	const char *ct = crp__apple_code_type(w->f);
	label(w, "Code Type:");
	if (ct) {
		ao_str(w->o, ct);
		ao_str(w->o, CRP_HAS(s, CRP_SYSTEM_PROC_TRANSLATED) && s->proc_translated ? " (Translated)" : " (Native)");
	} else if (!xtext(w, crp__apple_x(w->f, "cpuType"))) {
		AO_LIT(w->o, "???");
	}
	ao_ch(w->o, '\n');
}

static void process_lines(tw *w)
{
	const crp_system *s = w->f->sys;
	const char *proc = crp__apple_process(w->f);
	label(w, "Process:");
	name_pid(w, proc, NULL, CRP_HAS(s, CRP_SYSTEM_PROCESS_ID), s->process_id);
	field(w, "Path:", s->executable_path);
	field(w, "Identifier:", s->bundle_id ? s->bundle_id : proc); /* else by its name, as Apple does */
	version_field(w);
	other_header(w, 1);
}

static void role_and_parent(tw *w)
{
	const crp_system *s = w->f->sys;
	const crp_app_stats *st = &s->application_stats;
	if (!w->mac) {
		label(w, "Role:");
		if (CRP_HAS(s, CRP_SYSTEM_APPLICATION_STATS) && CRP_HAS(st, CRP_STATS_APPLICATION_IN_FOREGROUND))
			ao_str(w->o, st->application_in_foreground ? "Foreground" : "Background");
		else if (!xtext(w, crp__apple_x(w->f, "procRole")))
			AO_LIT(w->o, "Unspecified");
		ao_ch(w->o, '\n');
	}
	label(w, "Parent Process:");
	bool ppid = CRP_HAS(s, CRP_SYSTEM_PARENT_PROCESS_ID);
	const char *pname = known_text(s->parent_process_name) ? s->parent_process_name
			  : ppid && s->parent_process_id == 1 ? "launchd" : NULL; /* as a reader takes "???" [1] */
	name_pid(w, pname, NULL, ppid, s->parent_process_id);
}

/* Header lines the model has no field for, as they were read. */
/* Where a header line the model has no field for goes: after CrashReporter Key (0; macOS:
 * after Anonymous UUID), after Version (1), or at the end of the first block (2), as Apple's
 * older text has them; a second time line after the one the model holds (3), a second exception
 * line after the exception block's own (4), so that they stay the second when read back. */
static int header_slot(const crp_span *k)
{
	if ((k->len == 9 && memcmp(k->ptr, "Date/Time", 9) == 0) ||
	    (k->len == 11 && memcmp(k->ptr, "Launch Time", 11) == 0))
		return 3;
	if (k->len > 10 && memcmp(k->ptr, "Exception ", 10) == 0)
		return 4;
	/* a second device key follows the one the model holds, wherever the layout puts that */
	static const char *const after_key[] = {"Beta Identifier", "Anonymous UUID", "CrashReporter Key"};
	static const char *const after_version[] = {"Beta", "AppStoreTools", "AppVariant"};
	for (size_t i = 0; i < CRP_ARRAY_LEN(after_key); i++)
		if (strlen(after_key[i]) == k->len && memcmp(after_key[i], k->ptr, k->len) == 0)
			return 0;
	for (size_t i = 0; i < CRP_ARRAY_LEN(after_version); i++)
		if (strlen(after_version[i]) == k->len && memcmp(after_version[i], k->ptr, k->len) == 0)
			return 1;
	return 2;
}

static void other_header(tw *w, int slot)
{
	const crp_value *h = crp__apple_x(w->f, "header");
	for (size_t i = 0; h && h->type == CRP_VALUE_OBJECT && i < h->u.obj.count; i++) {
		const crp_member *m = &h->u.obj.members[i];
		if (m->value.type != CRP_VALUE_STRING || header_slot(&m->key) != slot)
			continue;
		crp__ao_textn(w->o, m->key.ptr, m->key.len);
		ao_ch(w->o, ':');
		crp__ao_spaces(w->o, m->key.len + 1 < w->width ? w->width - m->key.len - 1 : 1);
		crp__ao_textn(w->o, m->value.u.str.ptr, m->value.u.str.len);
		ao_ch(w->o, '\n');
	}
}

/* Whether a header line the model has no field for has this key. */
static bool other_header_has(tw *w, const char *key)
{
	const crp_value *h = crp__apple_x(w->f, "header");
	size_t n = strlen(key);
	for (size_t i = 0; h && h->type == CRP_VALUE_OBJECT && i < h->u.obj.count; i++)
		if (h->u.obj.members[i].key.len == n && memcmp(h->u.obj.members[i].key.ptr, key, n) == 0)
			return true;
	return false;
}

static void time_line(tw *w, const char *l, const crp_time *t)
{
	if (t->form == CRP_TIME_EMPTY)
		return;
	label(w, l);
	crp__ao_date(w->o, t->usec, w->f->tz_minutes, 4);
	ao_ch(w->o, '\n');
}

static void os_line(tw *w)
{
	const crp_system *s = w->f->sys;
	size_t v = s->system_version ? strlen(s->system_version) : 0;
	const char *version = s->system_version ? crp__ao_trim(s->system_version, &v) : NULL;
	label(w, "OS Version:");
	trimmed_or_unknown(w->o, crp__apple_system_name(s));
	if (v) {
		ao_ch(w->o, ' ');
		crp__ao_textn(w->o, version, v);
	}
	if (s->os_version) {
		AO_LIT(w->o, " (");
		crp__ao_text(w->o, s->os_version);
		ao_ch(w->o, ')');
	}
	ao_ch(w->o, '\n');
}

/* Ours, as in the legacy layout: a report the crash reporter did not finish. */
static void report_notes(tw *w)
{
	if (!w->incomplete)
		return;
	label(w, "Report Notes:");
	AO_LIT(w->o, "incomplete report: the crash reporter did not finish writing it, so parts may be "
		     "missing\n");
}

static void header_ios(tw *w)
{
	const apple_facts *f = w->f;
	char id[37];
	crp__apple_incident(f, id);
	ao_str(w->o, w->legacy ? "Incident Identifier: " : "\nIncident Identifier: ");
	ao_str(w->o, id);
	ao_ch(w->o, '\n');
	if (known_text(f->sys->device_app_hash))
		field(w, "CrashReporter Key:", f->sys->device_app_hash);
	other_header(w, 0);
	if (f->sys->machine)
		field(w, "Hardware Model:", f->sys->machine);
	process_lines(w);
	code_type(w);
	role_and_parent(w);
	x_name_pid(w, "Coalition:", "coalitionName", "coalitionID");
	other_header(w, 2);
	ao_ch(w->o, '\n');
	if (w->legacy && crp__apple_x(f, "coalitionName")) /* the older text left a second blank */
		ao_ch(w->o, '\n');
	if (CRP_HAS(f->info, CRP_INFO_TIMESTAMP))
		time_line(w, "Date/Time:", &f->info->timestamp);
	if (CRP_HAS(f->sys, CRP_SYSTEM_APP_START_TIME))
		time_line(w, "Launch Time:", &f->sys->app_start_time);
	other_header(w, 3);
	os_line(w);
	xfield(w, "Release Type:", crp__apple_xx(f, "osVersion", "releaseType"));
	xfield(w, "Baseband Version:", crp__apple_x(f, "basebandVersion"));
	AO_LIT(w->o, "Report Version:      104\n");
	report_notes(w);
	ao_ch(w->o, '\n');
}

/* A number as a reader writes it back: decimal digits, no leading zero, within 64 bits. */
static bool canonical_u64(const char *s, size_t n)
{
	if (!s || !n || n > 20 || (n > 1 && s[0] == '0') || (n == 20 && memcmp(s, "18446744073709551615", 20) > 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Only a count of seconds: other text (an .ips may hold "4e0000") would read back as another
 * header line, elsewhere. */
static void seconds_line(tw *w, const char *l, const char *key)
{
	const crp_value *v = crp__apple_x(w->f, key);
	size_t n = 0;
	const char *s = crp__apple_xstr(v, &n);
	if (!canonical_u64(s, n))
		return;
	label(w, l);
	xtext(w, v);
	AO_LIT(w->o, " seconds\n");
}

static void header_macos(tw *w)
{
	const apple_facts *f = w->f;
	ao_ch(w->o, '\n');
	process_lines(w);
	code_type(w);
	role_and_parent(w);
	x_name_pid(w, "Responsible:", "responsibleProc", "responsiblePid");
	xfield(w, "User ID:", crp__apple_x(f, "userID"));
	other_header(w, 2);
	ao_ch(w->o, '\n');
	if (CRP_HAS(f->info, CRP_INFO_TIMESTAMP))
		time_line(w, "Date/Time:", &f->info->timestamp);
	/* macOS's text has no Launch Time; a second one read from it comes after the first, which
	 * the reader would otherwise take the second for */
	if (CRP_HAS(f->sys, CRP_SYSTEM_APP_START_TIME) && other_header_has(w, "Launch Time"))
		time_line(w, "Launch Time:", &f->sys->app_start_time);
	other_header(w, 3);
	os_line(w);
	AO_LIT(w->o, "Report Version:        12\n");
	report_notes(w);
	xfield(w, "Bridge OS Version:", crp__apple_x(f, "bridgeVersion"));
	if (known_text(f->sys->device_app_hash))
		field(w, "Anonymous UUID:", f->sys->device_app_hash);
	other_header(w, 0);
	ao_ch(w->o, '\n');
	/* Apple's template keeps the blank line of a group it has nothing for; a report that is
	 * not Apple's has none of these groups and gets no empty lines for them */
	if (f->x || crp__apple_x(f, "sleepWakeUUID")) {
		xfield(w, "Sleep/Wake UUID:", crp__apple_x(f, "sleepWakeUUID"));
		ao_ch(w->o, '\n');
	}
	if (f->x) {
		seconds_line(w, "Time Awake Since Boot:", "uptime");
		seconds_line(w, "Time Since Wake:", "wakeTime");
		ao_ch(w->o, '\n');
		xfield(w, "System Integrity Protection:", crp__apple_x(f, "sip"));
		ao_ch(w->o, '\n');
	}
}

/* -- exception ---------------------------------------------------------------------------- */

static void exc_label(tw *w, const char *l, const char *ios_spacing)
{
	if (w->mac)
		label(w, l);
	else
		ao_str(w->o, ios_spacing);
}

static void subtype_line(tw *w, const apple_exc *e)
{
	const crp_value *x = crp__apple_xx(w->f, "exception", "subtype");
	if (!crp__apple_xstr(x, &(size_t){0})) /* an object or array there is not text */
		x = NULL;
	if (!x && !e->subtype && !e->resource)
		return;
	exc_label(w, w->mac ? "Exception Codes:" : "Exception Subtype:", "Exception Subtype: ");
	if (xtext(w, x)) {
		ao_ch(w->o, '\n');
		return;
	}
	if (e->resource) {
		ao_str(w->o, e->resource);
	} else {
		crp__ao_text(w->o, e->subtype);
		AO_LIT(w->o, " at ");
		crp__ao_hex(w->o, e->subtype_addr, w->f->is64 ? 16 : 8);
	}
	ao_ch(w->o, '\n');
}

static void message_part(void *arg, const apple_span *p, size_t n)
{
	tw *w = arg;
	for (size_t i = 0; i < n; i++)
		crp__ao_textn(w->o, p[i].p, p[i].n);
}

static void count_part(void *arg, const apple_span *p, size_t n)
{
	CRP_UNUSED(p);
	*(size_t *)arg += n;
}

static void message_line(tw *w)
{
	const crp_value *x = crp__apple_xx(w->f, "exception", "message");
	size_t parts = 0;
	crp__apple_message(w->f, count_part, &parts);
	if (!x && (!parts || w->f->event == APPLE_EV_WATCHDOG))
		return;
	exc_label(w, "Exception Message:", "Exception Message: ");
	if (!xtext(w, x))
		crp__apple_message(w->f, message_part, w);
	ao_ch(w->o, '\n');
}

/* Kept Codes text the .crash reader reads back as codes: the model's, where they tell the
 * exception's signal and subtype. */
static bool codes_agree(const crp_value *x, const apple_exc *e)
{
	size_t n;
	const char *s = crp__apple_xstr(x, &n);
	uint64_t code, subcode;
	return s && crp__apple_codes_pair(s, n, &code, &subcode) &&
	       (!e->have_codes || (code == e->code && subcode == e->subcode));
}

/* The codes as the report kept them; text that is not a pair of codes (an .ips may say anything)
 * would read back as a subtype, and other codes than the model's (an .ips whose rawCodes say
 * otherwise) as those, so the codes the model holds are written instead. */
static void codes_line(tw *w, const apple_exc *e)
{
	const crp_value *x = crp__apple_xx(w->f, "exception", "codes");
	if (x && !codes_agree(x, e))
		x = NULL;
	if (!x && !e->have_codes)
		return;
	exc_label(w, "Exception Codes:", "Exception Codes: ");
	if (!xtext(w, x)) {
		crp__ao_hex(w->o, e->code, w->f->is64 ? 16 : 8);
		AO_LIT(w->o, ", ");
		crp__ao_hex(w->o, e->subcode, w->f->is64 ? 16 : 8);
	}
	ao_ch(w->o, '\n');
}

static void note_line(tw *w, const apple_exc *e)
{
	static const struct { const char *key, *text; } notes[] = {
		{"isCorpse", "EXC_CORPSE_NOTIFY"}, {"isNonFatal", "NON-FATAL CONDITION (this is NOT a crash)"},
		{"isSimulated", "SIMULATED (this is NOT a crash)"}};
	uint64_t u;
	bool any = false;
	for (size_t i = 0; i < CRP_ARRAY_LEN(notes); i++) {
		if (!crp__apple_xu64(crp__apple_x(w->f, notes[i].key), &u) || !u)
			continue;
		exc_label(w, "Exception Note:", "Exception Note:  ");
		ao_str(w->o, notes[i].text);
		ao_ch(w->o, '\n');
		any = true;
	}
	const crp_value *x = crp__apple_xx(w->f, "exception", "note");
	if (x || (!any && e->note)) {
		exc_label(w, "Exception Note:", "Exception Note:  ");
		if (!xtext(w, x))
			ao_str(w->o, e->note);
		ao_ch(w->o, '\n');
	}
}

static void type_line(tw *w, const apple_exc *e)
{
	exc_label(w, "Exception Type:", "Exception Type:  ");
	trimmed_or_unknown(w->o, e->type);
	if (e->signal) {
		AO_LIT(w->o, " (");
		crp__ao_text(w->o, e->signal);
		ao_ch(w->o, ')');
	}
	ao_ch(w->o, '\n');
}

/* A kept namespace the .crash reader reads back as one: a word without a comma. */
static const crp_value *namespace_word(const crp_value *v)
{
	size_t n;
	const char *s = crp__apple_xstr(v, &n);
	s = s ? crp__ao_trim(s, &n) : NULL;
	return s && n && !memchr(s, ' ', n) && !memchr(s, ',', n) ? v : NULL;
}

/* A kept code the .crash reader reads back as the same text: a plain count. */
static const crp_value *code_count(const crp_value *v)
{
	size_t n;
	const char *s = crp__apple_xstr(v, &n);
	return canonical_u64(s, n) ? v : NULL;
}

/* "Namespace SIGNAL, Code 11 Segmentation fault: 11" (macOS), "SIGNAL 5 Trace/BPT trap: 5"
 * (iOS), from the .ips termination or from the signal (for what would not read back). */
static bool termination_reason(tw *w, const apple_exc *e)
{
	const crp_value *t = crp__apple_x(w->f, "termination");
	const crp_value *ns = namespace_word(crp_value_get(t, "namespace"));
	const crp_value *code = code_count(crp_value_get(t, "code"));
	if (!crp__apple_xstr(ns, &(size_t){0}) && !e->term_ns)
		return false;
	exc_label(w, "Termination Reason:", "Termination Reason: ");
	if (w->mac)
		AO_LIT(w->o, "Namespace ");
	if (!xtext(w, ns))
		ao_str(w->o, e->term_ns);
	ao_str(w->o, w->mac ? ", Code " : " ");
	if (!xtext(w, code))
		crp__ao_dec(w->o, e->term_code);
	const crp_value *ind = crp_value_get(t, "indicator");
	if (crp__apple_xstr(ind, &(size_t){0}) || !t) {
		ao_ch(w->o, ' ');
		if (!xtext(w, ind) && e->term_indicator) {
			ao_str(w->o, e->term_indicator);
			AO_LIT(w->o, ": ");
			crp__ao_dec(w->o, e->term_code);
		}
	} else if (!w->mac) {
		ao_ch(w->o, ' '); /* Apple's iOS line ends with the space before a missing indicator */
	}
	ao_ch(w->o, '\n');
	const crp_value *d = crp_value_get(t, "details");
	for (size_t i = 0; d && d->type == CRP_VALUE_ARRAY && i < d->u.arr.count; i++)
		if (xtext(w, &d->u.arr.items[i]))
			ao_ch(w->o, '\n');
	return true;
}

/* The older text: "Termination Signal: Trace/BPT trap: 5", then the reason with the code in
 * hex ("Namespace SIGNAL, Code 0x5"). */
static bool termination_legacy(tw *w, const apple_exc *e)
{
	const crp_value *t = crp__apple_x(w->f, "termination");
	const crp_value *ns = namespace_word(crp_value_get(t, "namespace")), *code = crp_value_get(t, "code");
	size_t n = 0;
	const char *nss = crp__apple_xstr(ns, &n);
	nss = nss ? crp__ao_trim(nss, &n) : NULL;
	uint64_t c = e->term_code;
	bool sig = nss ? n == 6 && memcmp(nss, "SIGNAL", 6) == 0 : e->term_indicator != NULL;
	if (sig && e->signo && crp__apple_signal_text(e->signo)) {
		AO_LIT(w->o, "Termination Signal: ");
		ao_str(w->o, crp__apple_signal_text(e->signo));
		AO_LIT(w->o, ": ");
		crp__ao_dec(w->o, e->signo);
		ao_ch(w->o, '\n');
	}
	if (!nss && !e->term_ns)
		return false;
	crp__apple_xu64(code, &c);
	AO_LIT(w->o, "Termination Reason: Namespace ");
	if (nss)
		crp__ao_textn(w->o, nss, n);
	else
		ao_str(w->o, e->term_ns);
	AO_LIT(w->o, ", Code ");
	crp__ao_hex(w->o, c, 1);
	ao_ch(w->o, '\n');
	return true;
}

static bool terminating_process(tw *w)
{
	const crp_value *t = crp__apple_x(w->f, "termination");
	size_t n;
	const char *by = crp__apple_xstr(crp_value_get(t, "byProc"), &n);
	if (!by)
		return false;
	exc_label(w, "Terminating Process:", "Terminating Process: ");
	crp__ao_textn(w->o, by, n);
	AO_LIT(w->o, " [");
	if (!xtext(w, crp_value_get(t, "byPid")))
		ao_ch(w->o, '0');
	AO_LIT(w->o, "]\n");
	return true;
}

static void crashed_line_macos(tw *w)
{
	const crp_thread *t = w->f->crashed;
	if (!t)
		return;
	label(w, "Crashed Thread:");
	crp__ao_dec(w->o, crp__apple_crashed_number(w->f));
	if (CRP_HAS(t, CRP_THREAD_DISPATCH_QUEUE)) {
		AO_LIT(w->o, "  Dispatch queue: ");
		crp__ao_text(w->o, t->dispatch_queue);
	}
	AO_LIT(w->o, "\n\n");
}

static void exception_block(tw *w)
{
	apple_exc e;
	crp__apple_exception(w->f, &e);
	if (w->mac)
		crashed_line_macos(w);
	type_line(w, &e);
	subtype_line(w, &e);
	if (!w->mac)
		message_line(w);
	codes_line(w, &e);
	if (w->legacy)
		vm_region_info(w);
	if (w->mac)
		message_line(w);
	note_line(w, &e);
	other_header(w, 4);
	if (w->mac)
		ao_ch(w->o, '\n');
	bool any = w->legacy ? termination_legacy(w, &e) : termination_reason(w, &e);
	any = terminating_process(w) || any;
	if (w->mac && any)
		ao_ch(w->o, '\n');
	if (!w->mac) {
		if (!w->legacy)
			ao_ch(w->o, '\n');
		if (w->f->crashed) {
			AO_LIT(w->o, "Triggered by Thread:  ");
			crp__ao_dec(w->o, crp__apple_crashed_number(w->f));
			AO_LIT(w->o, "\n\n");
		} else if (w->legacy) {
			ao_ch(w->o, '\n');
		}
	}
}

/* -- text blocks -------------------------------------------------------------------------- */

/* The crash reporter's own crash (a recrash report), told as the legacy layout tells it. */
static void recrash_note(tw *w)
{
	apple_facts hf = *w->f;
	apple_exc e;
	hf.r = w->handler;
	hf.crash = crp_report_crash(w->handler);
	hf.err = &hf.crash->error;
	hf.crashed = crp_report_crashed_thread(w->handler, &hf.crashed_pos);
	hf.event = APPLE_EV_CRASH;
	hf.x = NULL;
	crp__apple_exception(&hf, &e);
	AO_LIT(w->o, "The crash reporter crashed while writing this report: ");
	text_or_unknown(w->o, e.type);
	if (e.signal) {
		AO_LIT(w->o, " (");
		crp__ao_text(w->o, e.signal);
		ao_ch(w->o, ')');
	}
	if (e.subtype) {
		AO_LIT(w->o, ", ");
		crp__ao_text(w->o, e.subtype);
		AO_LIT(w->o, " at ");
		crp__ao_hex(w->o, e.subtype_addr, w->f->is64 ? 16 : 8);
	}
	if (hf.crashed)
		AO_LIT(w->o, "; its thread is Application Specific Backtrace 1");
	ao_ch(w->o, '\n');
}

static void asi_part(void *arg, const apple_span *p, size_t n)
{
	tw *w = arg;
	for (size_t i = 0; i < n; i++)
		lines(w, p[i].p, p[i].n);
	ao_ch(w->o, '\n');
}

/* The .ips's "asi" lines in its order: {"<process>": ["line", ...] or "line"}. Each string is
 * a block text (its empty lines would end the block); written only with `write`. Returns how
 * many strings have text. */
static size_t asi_lines(tw *w, const crp_value *asi, bool write)
{
	size_t count = 0;
	for (size_t i = 0; asi && asi->type == CRP_VALUE_OBJECT && i < asi->u.obj.count; i++) {
		const crp_value *v = &asi->u.obj.members[i].value;
		size_t k = v->type == CRP_VALUE_ARRAY ? v->u.arr.count : 1;
		for (size_t j = 0; j < k; j++) {
			const crp_value *s = v->type == CRP_VALUE_ARRAY ? &v->u.arr.items[j] : v;
			if (s->type != CRP_VALUE_STRING)
				continue;
			size_t e = 0;
			while (e < s->u.str.len && s->u.str.ptr[e] == '\n')
				e++;
			if (e == s->u.str.len)
				continue;
			count++;
			if (write && block_text(w, s->u.str.ptr, s->u.str.len))
				ao_ch(w->o, '\n');
		}
	}
	return count;
}

/* Application Specific Information: the .ips's lines in its order, or what the report says;
 * no block when nothing would be in it (read back, it would not be there). */
static void asi_block(tw *w)
{
	const crp_value *asi = crp__apple_x(w->f, "asi");
	size_t parts = 0;
	if (asi)
		parts = asi_lines(w, asi, false);
	else
		crp__apple_asi(w->f, count_part, &parts);
	if (!parts && !w->handler)
		return;
	AO_LIT(w->o, "Application Specific Information:\n");
	asi_lines(w, asi, true);
	if (!asi)
		crp__apple_asi(w->f, asi_part, w);
	if (w->handler)
		recrash_note(w);
	ao_ch(w->o, '\n');
}

static void sections(tw *w, bool after_images);

/* In the exception block of the older iOS text, after the blocks in translations. */
static void vm_region_info(tw *w)
{
	size_t n;
	const crp_value *vm = crp__apple_x(w->f, "vmregioninfo");
	const char *vt = crp__apple_xstr(vm ? vm : crp__apple_x(w->f, "vmRegionInfo"), &n);
	if (!vt)
		return;
	AO_LIT(w->o, "VM Region Info: ");
	block_text(w, vt, n);
	AO_LIT(w->o, "\n\n");
}

static void text_blocks(tw *w)
{
	size_t n;
	const char *kt = crp__apple_xstr(crp__apple_x(w->f, "ktriageinfo"), &n);
	if (kt) {
		AO_LIT(w->o, "Kernel Triage:\n");
		block_text(w, kt, n); /* Apple's ends with its one newline, the reader gives it that */
		AO_LIT(w->o, "\n\n\n");
	}
	if (!w->legacy)
		vm_region_info(w);
	asi_block(w);
	sections(w, false);
}

/* -- frames and threads ------------------------------------------------------------------- */

static void frame_head(tw *w, size_t number, const char *image, uint64_t addr)
{
	ao *o = w->o;
	crp__ao_dec_pad(o, number, 4, true);
	crp__ao_image_column(o, image, 30);
	ao_ch(o, '\t');
	if (w->legacy)
		crp__ao_hex(o, addr, w->f->is64 ? 16 : 8);
	else
		hex_right(o, addr, w->f->is64 ? 18 : 10);
	ao_ch(o, ' ');
}

static void unsymbolicated(tw *w, const apple_frame *a)
{
	bool based = a->have_base && a->addr >= a->base;
	crp__ao_hex(w->o, based ? a->base : 0, 1);
	AO_LIT(w->o, " + ");
	crp__ao_dec(w->o, based ? a->addr - a->base : a->addr);
}

static void source(ao *o, const crp_symloc *l)
{
	if (!l->file)
		return;
	AO_LIT(o, " (");
	crp__ao_text(o, crp__apple_basename(l->file));
	ao_ch(o, ':');
	crp__ao_dec(o, l->line);
	ao_ch(o, ')');
}

/* One level of a symbolicated frame. What Apple's symbolication gave keeps its words
 * ("symbol + offset (file:line)"); crashport's reads as Apple's symbolicated reports do:
 * atos's "function (in Image) (file:line)". */
static void level(tw *w, const apple_frame *a, const crp_symbolication *sy, const crp_symloc *l)
{
	ao *o = w->o;
	if (!l->function) { /* "(a(b.swift:3)" would read back as a symbol: no place then */
		unsymbolicated(w, a);
		if (l->file && !strchr(crp__apple_basename(l->file), '('))
			source(o, l);
		return;
	}
	bool report = sy->source == CRP_SYMSRC_REPORT; /* as the report wrote it */
	crp__ao_text(o, report ? l->function : crp__apple_demangle(l->function, w->demangled, w->demangled_cap));
	if (report) {
		if (sy->image) {
			AO_LIT(o, " (in ");
			crp__ao_text(o, sy->image);
			ao_ch(o, ')');
		}
		if (sy->function_addr) {
			AO_LIT(o, " + ");
			crp__ao_dec(o, a->addr >= sy->function_addr ? a->addr - sy->function_addr : 0);
		}
		source(o, l);
		return;
	}
	if (!w->f->x) { /* a KSCrash report: its symbolication reads as in the legacy layout */
		AO_LIT(o, " + ");
		crp__ao_dec(o, a->addr >= sy->function_addr ? a->addr - sy->function_addr : 0);
		source(o, l);
		return;
	}
	AO_LIT(o, " (in ");
	text_or_unknown(o, a->image);
	ao_ch(o, ')');
	if (l->file) {
		source(o, l);
	} else {
		AO_LIT(o, " + ");
		crp__ao_dec(o, sy->function_addr && a->addr >= sy->function_addr ? a->addr - sy->function_addr : 0);
	}
}

static size_t frame_line(tw *w, size_t number, const crp_frame *fr)
{
	apple_frame a;
	crp__apple_frame(w->f, fr, &a);
	const crp_symbolication *sy = fr->symbolicated;
	if (sy && sy->count && sy->locs) {
		for (size_t i = 0; i < sy->count; i++) {
			frame_head(w, number + i, a.image, a.addr);
			level(w, &a, sy, &sy->locs[i]);
			ao_ch(w->o, '\n');
		}
		return sy->count;
	}
	frame_head(w, number, a.image, a.addr);
	if (a.symbol) {
		crp__ao_text(w->o, w->f->x ? a.symbol : crp__apple_demangle(a.symbol, w->demangled, w->demangled_cap));
		AO_LIT(w->o, " + ");
		crp__ao_dec(w->o, a.sym_off);
	} else {
		unsymbolicated(w, &a);
	}
	ao_ch(w->o, '\n');
	return 1;
}

static void backtrace(tw *w, const crp_backtrace *bt)
{
	size_t number = 0;
	for (size_t i = 0; i < bt->frame_count; i++)
		number += frame_line(w, number, &bt->frames[i]);
}

/* iOS: "Thread N name:  <name>[ Dispatch queue: <q>]" then "Thread N[ Crashed]:"; macOS puts
 * the name on the thread's own line after "::". */
static void thread_title(tw *w, const crp_thread *t, size_t number)
{
	ao *o = w->o;
	bool named = CRP_HAS(t, CRP_THREAD_NAME), queued = CRP_HAS(t, CRP_THREAD_DISPATCH_QUEUE);
	if (!w->mac && (named || queued)) {
		AO_LIT(o, "Thread ");
		crp__ao_dec(o, number);
		AO_LIT(o, " name:  ");
	}
	if (w->mac) {
		AO_LIT(o, "Thread ");
		crp__ao_dec(o, number);
		if (t == w->f->crashed)
			AO_LIT(o, " Crashed");
		ao_str(o, named || queued ? ":: " : ":");
	}
	if (named || queued) {
		if (named)
			crp__ao_text(o, t->name);
		if (queued) {
			/* "name:   Dispatch queue:" in translations, "name:  Dispatch queue:" before */
			ao_str(o, w->legacy && !named ? "Dispatch queue: " : " Dispatch queue: ");
			crp__ao_text(o, t->dispatch_queue);
		}
		ao_ch(o, '\n');
	}
	if (w->mac) {
		if (!named && !queued)
			ao_ch(o, '\n');
		return;
	}
	AO_LIT(o, "Thread ");
	crp__ao_dec(o, number);
	ao_str(o, t == w->f->crashed ? " Crashed:\n" : ":\n");
}

static void threads(tw *w)
{
	const crp_crash *c = w->f->crash;
	const crp_backtrace *leb = &c->last_exception_backtrace;
	if (CRP_HAS(c, CRP_CRASH_LAST_EXCEPTION_BACKTRACE) && leb->frame_count) {
		AO_LIT(w->o, "Last Exception Backtrace:\n");
		backtrace(w, leb);
		ao_ch(w->o, '\n');
	}
	const crp_thread *ht = w->handler ? crp_report_crashed_thread(w->handler, NULL) : NULL;
	if (ht && CRP_HAS(ht, CRP_THREAD_BACKTRACE)) {
		AO_LIT(w->o, "Application Specific Backtrace 1:\n");
		backtrace(w, &ht->backtrace);
		ao_ch(w->o, '\n');
	}
	const crp_value *asb = crp__apple_x(w->f, "asiBacktraces");
	for (size_t i = 0; asb && asb->type == CRP_VALUE_ARRAY && i < asb->u.arr.count; i++) {
		const crp_value *v = &asb->u.arr.items[i];
		if (v->type != CRP_VALUE_STRING)
			continue;
		AO_LIT(w->o, "Application Specific Backtrace ");
		crp__ao_dec(w->o, i + 1);
		AO_LIT(w->o, ":\n");
		block_text(w, v->u.str.ptr, v->u.str.len);
		AO_LIT(w->o, "\n\n");
	}
	for (size_t i = 0; i < c->thread_count; i++) {
		const crp_thread *t = &c->threads[i];
		thread_title(w, t, crp__apple_thread_number(w->f, t, i));
		if (CRP_HAS(t, CRP_THREAD_BACKTRACE))
			backtrace(w, &t->backtrace);
		ao_ch(w->o, '\n');
	}
	if (!w->legacy)
		ao_ch(w->o, '\n');
}

/* -- the instruction stream (macOS) ------------------------------------------------------- */

static void dump_row(tw *w, const crp_value *bytes, size_t from, size_t n, uint64_t mark)
{
	static const char hexd[] = "0123456789abcdef";
	char ascii[16];
	ao *o = w->o;
	ao_ch(o, ' ');
	for (size_t i = 0; i < 16; i++) {
		uint64_t b = 0, at = from + i;
		if (at >= n) {
			AO_LIT(o, "   ");
			ascii[i] = ' ';
			continue;
		}
		crp__apple_xu64(&bytes->u.arr.items[at], &b);
		b &= 0xff; /* a dump holds bytes: a larger number is shown as its low byte, hex and text alike */
		char sep = i == 8 ? '-' : ' ';
		if (at == mark)
			sep = '[';
		else if (at && at - 1 == mark)
			sep = ']';
		ao_ch(o, sep);
		ao_ch(o, hexd[(b >> 4) & 15]);
		ao_ch(o, hexd[b & 15]);
		ascii[i] = b >= 0x20 && b < 0x7f ? (char)b : '.';
	}
	bool here = mark < n && mark >= from && mark < from + 16; /* an offset past the bytes marks none */
	ao_str(o, here && mark == from + 15 ? "] " : "  ");
	crp__ao_write(o, ascii, n - from < 16 ? n - from : 16);
	ao_str(o, here ? "\t<==\n" : "\n");
}

static void instruction_stream(tw *w)
{
	const crp_thread *t = w->f->crashed;
	const crp_value *is = t ? crp_extras_get(&t->extras, "instructionState") : NULL;
	const crp_value *st = crp_value_get(is, "instructionStream");
	const crp_value *bytes = crp_value_get(st, "bytes");
	uint64_t mark = UINT64_MAX;
	if (!bytes || bytes->type != CRP_VALUE_ARRAY)
		return;
	crp__apple_xu64(crp_value_get(st, "offset"), &mark);
	AO_LIT(w->o, "Thread ");
	crp__ao_dec(w->o, crp__apple_crashed_number(w->f));
	AO_LIT(w->o, " instruction stream:\n");
	for (size_t i = 0; i < bytes->u.arr.count; i += 16)
		dump_row(w, bytes, i, bytes->u.arr.count, mark);
	ao_ch(w->o, '\n');
}

/* -- binary images ------------------------------------------------------------------------ */

/* A name as the image column shows it: without blanks at either end (a reader skips them),
 * NULL when nothing is left or it is "???" (a reader takes that for no name). */
static const char *column_text(const char *s, size_t *n)
{
	s = crp__ao_trim(s, n);
	return *n && !(*n == 3 && memcmp(s, "???", 3) == 0) ? s : NULL;
}

static const char *image_name(const crp_image *im, size_t *n)
{
	const crp_value *v = crp_extras_get(&im->extras, "name");
	const char *s = NULL;
	if (v && v->type == CRP_VALUE_STRING) {
		*n = v->u.str.len;
		s = column_text(v->u.str.ptr, n);
	}
	if (!s && CRP_HAS(im, CRP_IMAGE_NAME)) {
		s = crp__apple_basename(im->name);
		*n = strlen(s);
		s = column_text(s, n);
	}
	return s;
}

/* A report from KSCrash says its bundle's identifier and version once, in system: macOS names
 * the app's executable by them, as it does every bundle's. */
static bool app_bundle(const tw *w, const crp_image *im, const char **id, const char **version)
{
	const crp_system *s = w->f->sys;
	if (w->f->x || im != w->f->main_image || !CRP_HAS(s, CRP_SYSTEM_BUNDLE_ID))
		return false;
	*id = s->bundle_id;
	*version = CRP_HAS(s, CRP_SYSTEM_BUNDLE_SHORT_VERSION) ? s->bundle_short_version
		   : CRP_HAS(s, CRP_SYSTEM_BUNDLE_VERSION)    ? s->bundle_version
							      : NULL;
	return true;
}

/* macOS's image line reads "NAME ARCH (VERSION)" as well as "NAME (VERSION)": a name whose
 * last word is an arch, or "???", would lose it to the arch column. */
static bool ends_in_arch_word(const char *s, size_t n)
{
	const char *sp = memrchr(s, ' ', n);
	size_t k = sp ? n - (size_t)(sp + 1 - s) : 0;
	return k && (crp__apple_arch_word(sp + 1, k) || (k == 3 && memcmp(sp + 1, "???", 3) == 0));
}

/* Written only after such a name, so that the arch column takes this word instead. */
static void arch_column_macos(tw *w, const crp_image *im)
{
	const char *arch = CRP_HAS(im, CRP_IMAGE_CPU_TYPE)
				   ? crp_arch_name(im->cpu_type, CRP_HAS(im, CRP_IMAGE_CPU_SUBTYPE) ? im->cpu_subtype : 0)
				   : NULL;
	ao_ch(w->o, ' ');
	if (arch && crp__apple_arch_word(arch, strlen(arch)))
		ao_str(w->o, arch);
	else
		AO_LIT(w->o, "???");
}

/* "(arm64)" reads as an arch: a version that is an arch word is written with its other half
 * unknown ("arm64 - ???"), which reads back as the same version. */
static void version_macos(tw *w, const char *v, size_t n, bool is_short)
{
	bool arch = crp__apple_arch_word(v, n);
	if (arch && !is_short)
		AO_LIT(w->o, "??? - ");
	crp__ao_textn(w->o, v, n);
	if (arch && is_short)
		AO_LIT(w->o, " - ???");
}

static void image_middle_macos(tw *w, const crp_image *im)
{
	size_t n = 0;
	const char *app_id, *app_version, *name = NULL;
	const crp_value *id = crp_extras_get(&im->extras, "CFBundleIdentifier");
	bool app = app_bundle(w, im, &app_id, &app_version);
	if (app) {
		n = strlen(app_id);
		name = column_text(app_id, &n);
	} else if (id && id->type == CRP_VALUE_STRING) {
		n = id->u.str.len;
		name = column_text(id->u.str.ptr, &n);
	}
	if (!name)
		name = image_name(im, &n);
	if (name)
		crp__ao_textn(w->o, name, n);
	else
		AO_LIT(w->o, "???");
	if (name && ends_in_arch_word(name, n))
		arch_column_macos(w, im);
	const crp_value *short_v = crp_extras_get(&im->extras, "CFBundleShortVersionString");
	const crp_value *v = short_v && short_v->type == CRP_VALUE_STRING ? short_v
			     : crp_extras_get(&im->extras, "CFBundleVersion");
	AO_LIT(w->o, " (");
	if (app && app_version)
		version_macos(w, app_version, strlen(app_version), true);
	else if (!v || v->type != CRP_VALUE_STRING)
		ao_ch(w->o, '*');
	else
		version_macos(w, v->u.str.ptr, v->u.str.len, v == short_v);
	AO_LIT(w->o, ") <");
	static const crp_uuid nil;
	crp__ao_uuid(w->o, CRP_HAS(im, CRP_IMAGE_UUID) ? &im->uuid : &nil, false, true);
}

/* An arch the model does not type (an .ips says "arm63e"), when it is one word the .crash
 * reader reads back as the arch: letters, digits, '_' and '-', not "???". */
static bool arch_word(tw *w, const crp_value *v)
{
	size_t n;
	const char *s = crp__apple_xstr(v, &n);
	if (!s || !n || (n == 3 && memcmp(s, "???", 3) == 0))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' || c == '-'))
			return false;
	}
	crp__ao_textn(w->o, s, n);
	return true;
}

static void image_middle_ios(tw *w, const crp_image *im)
{
	size_t n = 0;
	const char *name = image_name(im, &n);
	if (name)
		crp__ao_textn(w->o, name, n);
	else
		AO_LIT(w->o, "???");
	ao_ch(w->o, ' ');
	const char *arch = CRP_HAS(im, CRP_IMAGE_CPU_TYPE)
				   ? crp_arch_name(im->cpu_type, CRP_HAS(im, CRP_IMAGE_CPU_SUBTYPE) ? im->cpu_subtype : 0)
				   : NULL;
	if (arch)
		ao_str(w->o, arch);
	else if (!arch_word(w, crp_extras_get(&im->extras, "arch")))
		text_or_unknown(w->o, im == w->f->placeholder ? NULL : w->f->arch);
	AO_LIT(w->o, "  <");
	static const crp_uuid nil;
	crp__ao_uuid(w->o, CRP_HAS(im, CRP_IMAGE_UUID) ? &im->uuid : &nil, false, false);
}

static void binary_images(tw *w)
{
	unsigned width = w->f->is64 ? 18 : 10;
	AO_LIT(w->o, "Binary Images:\n");
	for (size_t i = 0; i < w->f->image_count; i++) {
		const crp_image *im = &w->f->images[i];
		uint64_t lo = CRP_HAS(im, CRP_IMAGE_ADDR) ? im->image_addr : 0;
		uint64_t size = CRP_HAS(im, CRP_IMAGE_SIZE) ? im->image_size : 1;
		if (w->legacy) { /* the older text: unpadded */
			crp__ao_hex(w->o, lo, 1);
			AO_LIT(w->o, " - ");
			crp__ao_hex(w->o, lo + size - 1, 1);
		} else {
			hex_right(w->o, lo, width);
			AO_LIT(w->o, " - ");
			hex_right(w->o, lo + size - 1, width); /* 0 - 1: Apple's placeholder spans all */
		}
		ao_ch(w->o, ' ');
		if (w->mac)
			image_middle_macos(w, im);
		else
			image_middle_ios(w, im);
		AO_LIT(w->o, "> ");
		text_or_unknown(w->o, CRP_HAS(im, CRP_IMAGE_NAME) ? im->name : NULL);
		ao_ch(w->o, '\n');
	}
	ao_ch(w->o, '\n');
}

/* -- macOS summaries ---------------------------------------------------------------------- */

/* A key as it is written, and so read back: without the blanks it starts with (a reader skips
 * them), control characters escaped. Keys are ordered in that form, so that what is read back
 * is written in the same order. */
typedef struct written {
	const unsigned char *s;
	size_t n, ei, ek;
	char esc[4];
} written;

static written written_key(const crp_span *k)
{
	written it = {(const unsigned char *)k->ptr, k->len, 0, 0, {0}};
	while (it.n && (*it.s == ' ' || *it.s == '\t'))
		it.s++, it.n--;
	return it;
}

static int written_next(written *it)
{
	if (it->ei == it->ek) {
		if (!it->n)
			return -1;
		it->ek = crp__ao_escape(*it->s++, it->esc);
		it->ei = 0;
		it->n--;
	}
	return (unsigned char)it->esc[it->ei++];
}

static int cmp_written(const crp_span *a, const crp_span *b)
{
	written x = written_key(a), y = written_key(b);
	for (;;) {
		int c = written_next(&x), d = written_next(&y);
		if (c != d || c < 0)
			return c - d;
	}
}

static void ext_group(tw *w, const crp_value *g, const char *title)
{
	if (!g || g->type != CRP_VALUE_OBJECT)
		return;
	ao_str(w->o, title);
	const crp_member *done = NULL;
	for (size_t k = 0; k < g->u.obj.count; k++) { /* members in key order, as Apple prints them */
		const crp_member *next = NULL;
		for (size_t i = 0; i < g->u.obj.count; i++) {
			const crp_member *m = &g->u.obj.members[i];
			bool after = !done || cmp_written(&m->key, &done->key) > 0;
			if (after && (!next || cmp_written(&m->key, &next->key) < 0))
				next = m;
		}
		if (!next)
			break;
		written key = written_key(&next->key);
		AO_LIT(w->o, "    ");
		crp__ao_textn(w->o, (const char *)key.s, key.n);
		AO_LIT(w->o, ": ");
		xtext(w, &next->value);
		ao_ch(w->o, '\n');
		done = next;
	}
}

static void summaries(tw *w)
{
	const crp_value *ext = crp__apple_x(w->f, "extMods");
	if (ext && ext->type == CRP_VALUE_OBJECT) {
		AO_LIT(w->o, "External Modification Summary:\n");
		ext_group(w, crp_value_get(ext, "targeted"), "  Calls made by other processes targeting this process:\n");
		ext_group(w, crp_value_get(ext, "caller"), "  Calls made by this process:\n");
		ext_group(w, crp_value_get(ext, "system"), "  Calls made by all processes on this machine:\n");
		ao_ch(w->o, '\n');
	}
}

static bool is_images_list(const crp_member *m)
{
	return m->key.len == 13 && memcmp(m->key.ptr, "Binary Images", 13) == 0;
}

/* Text blocks read from a .crash that the model has no field for, under their titles. A second
 * Binary Images list (the model holds the first) is written after the first (`after_images`),
 * so that it is still the second when read back; the two swapped on every trip. */
static void sections(tw *w, bool after_images)
{
	const crp_value *s = crp__apple_x(w->f, "sections");
	for (size_t i = 0; s && s->type == CRP_VALUE_OBJECT && i < s->u.obj.count; i++) {
		const crp_member *m = &s->u.obj.members[i];
		if (m->value.type != CRP_VALUE_STRING || is_images_list(m) != after_images)
			continue;
		crp__ao_textn(w->o, m->key.ptr, m->key.len);
		AO_LIT(w->o, ":\n");
		ao_str(w->o, block_text(w, m->value.u.str.ptr, m->value.u.str.len) ? "\n\n" : "\n");
	}
}

/* KSCrash's "Extra Information" trailer, after the report as KSCrash put it. */
static void trailer(tw *w)
{
	size_t n;
	const char *t = crp__apple_xstr(crp__apple_x(w->f, "trailer"), &n);
	if (!t)
		return;
	AO_LIT(w->o, "Extra Information:\n");
	run_lines(w, t, n);
	AO_LIT(w->o, "\n\n"); /* a blank line: a report written after it starts a report when read */
}

static void vm_summary(tw *w)
{
	size_t n;
	const char *v = crp__apple_xstr(crp__apple_x(w->f, "vmSummary"), &n);
	if (!v)
		return;
	/* Apple's summary ends with one newline, and the reader gives it exactly one: any number
	 * the .ips had is written as that one */
	while (n && v[n - 1] == '\n')
		n--;
	AO_LIT(w->o, "VM Region Summary:\n");
	run_lines(w, v, n);
	AO_LIT(w->o, "\n\n\n\n");
}

/* -- the report --------------------------------------------------------------------------- */

int crp__apple_translated(ao *o, apple_facts *f, const crp_report *handler, bool incomplete, char *demangled,
			  size_t cap)
{
	tw w = {o, f, handler, incomplete, f->layout == APPLE_LAYOUT_MACOS, f->layout == APPLE_LAYOUT_LEGACY,
		21, demangled, cap};
	if (w.mac) {
		w.width = 23;
		header_macos(&w);
	} else {
		header_ios(&w);
	}
	exception_block(&w);
	text_blocks(&w);
	threads(&w);
	crp__apple_thread_state(o, f, f->crashed, crp__apple_crashed_number(f), true);
	if (w.mac)
		instruction_stream(&w);
	binary_images(&w);
	sections(&w, true);
	if (w.mac) {
		summaries(&w);
		vm_summary(&w);
		trailer(&w);
	} else {
		AO_LIT(o, "EOF\n\n");
		trailer(&w);
	}
	return CRP_OK;
}
