/* Apple crash report output (.crash text, .ips JSON): the pieces the emitters of this folder
 * share. Nothing here is public API; see converters/apple/README.md for the rules. */
#ifndef CRP_APPLE_H
#define CRP_APPLE_H

#include "common/internal.h"
#include "crashport/sys/emitter.h"

/* -- output: lines are assembled in a buffer in front of crp_emit_write (apple_out.c) ----- */

#define AO_CAP 8192

typedef struct ao {
	crp_emit_ctx *c;
	size_t n;
	bool raw_lines;     /* report text keeps its newlines and tabs (KSCrash's own output does) */
	char b[AO_CAP];
} ao;

void crp__ao_flush(ao *o);
void crp__ao_write_slow(ao *o, const void *p, size_t n);

/* Any length; long runs bypass the buffer. Inline so that the many short literals of a line
 * are copied with a fixed-size move rather than a call to memcpy. */
static inline void crp__ao_write(ao *o, const void *p, size_t n)
{
	if (CRP_LIKELY(n <= AO_CAP - o->n)) {
		memcpy(o->b + o->n, p, n);
		o->n += n;
		return;
	}
	crp__ao_write_slow(o, p, n);
}

static inline void ao_room(ao *o, size_t k)
{
	if (CRP_UNLIKELY(AO_CAP - o->n < k))
		crp__ao_flush(o);
}

static inline void ao_ch(ao *o, char ch)
{
	ao_room(o, 1);
	o->b[o->n++] = ch;
}

/* A string literal (anything else does not compile: "" s only joins literals). */
#define AO_LIT(o, s) crp__ao_write((o), "" s, sizeof(s) - 1)

static inline void ao_str(ao *o, const char *s)
{
	crp__ao_write(o, s, strlen(s));
}

/* Report text on one line: control characters become \n, \t, \r or \xHH so that no value can
 * break the line structure (newlines and tabs stay when raw_lines is set). Returns the number
 * of bytes written. */
size_t crp__ao_text(ao *o, const char *s);
size_t crp__ao_textn(ao *o, const char *s, size_t n);
/* How crp__ao_textn writes one byte (a control character escaped): its length in out. */
size_t crp__ao_escape(unsigned char ch, char out[4]);
void crp__ao_spaces(ao *o, size_t n);
/* s padded with spaces to width (left-aligned, like %-*s); s is report text. */
void crp__ao_text_pad(ao *o, const char *s, size_t width);
/* s[0, *n) without the blanks (spaces, tabs) at either end, which readers skip; *n shortened. */
const char *crp__ao_trim(const char *s, size_t *n);
/* A frame line's image column: the name without the blanks at either end (a reader skips
 * them), "???" for none or a blank one, padded to width. */
void crp__ao_image_column(ao *o, const char *image, size_t width);
/* "0x" + lower-case hex, zero-padded to digits (1 for the minimal form). */
void crp__ao_hex(ao *o, uint64_t v, unsigned digits);
/* printf's "%#*llx": minimal hex with 0x (plain "0" for zero), right-aligned in width. */
void crp__ao_hex_right(ao *o, uint64_t v, unsigned width);
void crp__ao_dec(ao *o, uint64_t v);
void crp__ao_sdec(ao *o, int64_t v);
/* Decimal right-aligned (%*llu) or left-aligned (%-*llu) in width. */
void crp__ao_dec_pad(ao *o, uint64_t v, unsigned width, bool left);
/* Lower-case UUID, 32 digits (dashes false) or 36 with dashes. */
void crp__ao_uuid(ao *o, const crp_uuid *u, bool upper, bool dashes);

/* -- what a report says, derived once per report (apple_facts.c) ------------------------ */

enum apple_cpu { APPLE_CPU_UNKNOWN, APPLE_CPU_ARM, APPLE_CPU_ARM64, APPLE_CPU_X86, APPLE_CPU_X86_64 };

/* What kind of event the report describes. */
enum apple_event {
	APPLE_EV_CRASH,       /* mach exception, signal, language exception, user report, deadlock */
	APPLE_EV_MEMORY,      /* memory termination detected at the next launch (OOM) */
	APPLE_EV_TERMINATION, /* other terminations detected at the next launch (KSCrash 2.6) */
	APPLE_EV_WATCHDOG,    /* killed by the system watchdog (exit_reason) */
	APPLE_EV_HANG         /* a main-thread hang the app recovered from */
};

/* Which text a .crash is written as (README "Layouts"). */
enum apple_layout {
	APPLE_LAYOUT_LEGACY,  /* iOS Report Version 104 as ReportCrash wrote it (iOS 13-14) */
	APPLE_LAYOUT_IOS,     /* iOS 15+: Apple's translation of an .ips */
	APPLE_LAYOUT_MACOS    /* macOS 12+: Apple's translation of an .ips (Report Version 12) */
};

/* One binary image in the sorted index. */
typedef struct apple_image {
	uint64_t lo;          /* load address (UINT64_MAX when unknown: sorts last) */
	uint64_t hi;          /* one past the end; lo when the size is unknown */
	const crp_image *im;
	size_t pos;           /* position in the report's binary_images */
} apple_image;

/* Emitter-owned scratch reused across reports (freed in cleanup). */
typedef struct apple_scratch {
	apple_image *img;
	size_t img_cap;
} apple_scratch;

typedef struct apple_facts {
	const crp_report *r;
	const crp_info *info;
	const crp_system *sys;
	const crp_crash *crash;
	const crp_crash_error *err;
	const crp_image *images;       /* report order */
	size_t image_count;
	enum apple_cpu cpu;
	bool is64;
	const char *arch;              /* architecture name of the process, or NULL */
	const crp_image *main_image;
	const crp_thread *crashed;
	size_t crashed_pos;            /* position in crash.threads, SIZE_MAX if not there */
	enum apple_event event;
	int tz_minutes;                /* offset of the report's own time zone */
	bool tz_known;
	apple_image *sorted;           /* every image, by load address; unknown addresses last */
	size_t sorted_count;
	size_t lookup_count;           /* the first lookup_count entries have an address */
	const crp_value *x;            /* the "apple" extras of a report read from Apple input */
	enum apple_layout layout;
	const crp_image *placeholder;  /* an .ips "A" image (base 0, size 0) frames in no image use */
} apple_facts;

/* Derive the facts; the image index lives in s. CRP_OK or CRP_ENOMEM (reported on c). */
int crp__apple_facts(apple_facts *f, crp_emit_ctx *c, apple_scratch *s, const crp_report *r);
void crp__apple_scratch_free(crp_emit_ctx *c, apple_scratch *s);

/* The number a .crash shows a thread with: for a report read from Apple text, the number it
 * had there (a report may lack some threads); else its position, as KSCrash's own Apple
 * format does. */
size_t crp__apple_thread_number(const apple_facts *f, const crp_thread *t, size_t pos);
/* The number the crashed thread is shown with (0 when none). */
size_t crp__apple_crashed_number(const apple_facts *f);

/* A member of the report's "apple" extras (or of one of its objects), or NULL. */
const crp_value *crp__apple_x(const apple_facts *f, const char *key);
const crp_value *crp__apple_xx(const apple_facts *f, const char *obj, const char *key);
/* A string value's text (NULL when v is not a string); a number value's text too. */
const char *crp__apple_xstr(const crp_value *v, size_t *len);
bool crp__apple_xu64(const crp_value *v, uint64_t *out);
/* The report's id, or (none, or not a UUID) a UUID derived from what the report says: the
 * same report always gets the same one (README "Incident Identifier"). */
void crp__apple_incident(const apple_facts *f, char out[37]);
bool crp__apple_is_uuid(const char *s);
/* The system's name as Apple's reports write it ("iPhone OS" for iOS), or NULL. */
const char *crp__apple_system_name(const crp_system *s);
/* The process name the headers show: system, report, or executable name; NULL if none. */
const char *crp__apple_process(const apple_facts *f);

/* The image containing addr (binary search), or NULL. */
const apple_image *crp__apple_image_at(const apple_facts *f, uint64_t addr);
const char *crp__apple_basename(const char *path);
/* A word the .crash reader takes for an image line's arch: a name crp_arch_name() gives, or
 * "x86-64". */
bool crp__apple_arch_word(const char *s, size_t n);
/* "0x<hex>, 0x<hex>" (1 to 16 digits each, any spaces after the comma), as the .crash reader
 * reads Exception Codes: the Mach code and subcode. */
bool crp__apple_codes_pair(const char *s, size_t n, uint64_t *code, uint64_t *subcode);
/* "ARM-64", "X86-64", ... as Apple's Code Type line names the process's CPU, or NULL. */
const char *crp__apple_code_type(const apple_facts *f);
/* Pointer-authentication bits removed from a code address of a 64-bit ARM report. */
uint64_t crp__apple_strip(const apple_facts *f, uint64_t addr);

/* A frame as printed: address, image and symbol. */
typedef struct apple_frame {
	uint64_t addr;            /* PAC-stripped instruction address */
	const char *image;        /* image file name, NULL when unknown */
	const apple_image *img;   /* the image found in the index, or NULL */
	uint64_t base;            /* image load address (0 when unknown) */
	bool have_base;
	const char *symbol;       /* symbol from the report, NULL when none is usable */
	uint64_t sym_off;
} apple_frame;

void crp__apple_frame(const apple_facts *f, const crp_frame *fr, apple_frame *out);

/* Demangled name of sym into buf (C++; Swift simplified, as Apple prints it), or sym itself. */
const char *crp__apple_demangle(const char *sym, char *buf, size_t cap);

/* -- times -------------------------------------------------------------------------------- */

/* Offset in minutes for a time zone as KSCrash records it ("PDT", "GMT+1", "GMT+5:30").
 * Returns false when unknown. */
bool crp__apple_tz(const char *name, int *minutes);
/* "YYYY-MM-DD HH:MM:SS" + '.' and frac_digits digits (0: none) + " ±HHMM". */
void crp__ao_date(ao *o, int64_t usec, int tz_minutes, int frac_digits);

/* -- the exception block, shared by .crash and .ips --------------------------------------- */

typedef struct apple_exc {
	const char *type;          /* "EXC_BAD_ACCESS"; NULL only for an event with no exception */
	const char *signal;        /* "SIGSEGV" or NULL */
	uint64_t signo;
	bool have_codes;
	uint64_t code, subcode;
	const char *subtype;       /* "KERN_INVALID_ADDRESS" (followed by " at ADDR"), or NULL */
	bool subtype_at;           /* subtype is "<name> at <subtype_addr>" */
	uint64_t subtype_addr;
	bool pac_suspect;          /* the fault address carries pointer-authentication bits */
	const char *resource;      /* EXC_RESOURCE subtype ("MEMORY", "HANG"), or NULL */
	const char *note;          /* Exception Note, or NULL */
	const char *term_ns;       /* termination namespace ("SIGNAL", "FRONTBOARD"), or NULL */
	uint64_t term_code;
	const char *term_indicator;/* "Trace/BPT trap: 5" style text for SIGNAL, else NULL */
} apple_exc;

void crp__apple_exception(const apple_facts *f, apple_exc *e);
/* Darwin's description of a signal ("Segmentation fault"), or NULL. */
const char *crp__apple_signal_text(uint64_t signo);

/* ARMv8 ESR in Apple's words ("(Breakpoint) brk 1", "(Data Abort) byte read Translation
 * fault"), and an x86 page-fault error code ("no mapping for user data write"). Return the
 * length written into b (NUL-terminated; 0 when there is nothing to say). */
size_t crp__apple_esr_text(uint64_t esr, char *b, size_t cap);
size_t crp__apple_pagefault_text(uint64_t err, char *b, size_t cap);

/* Text pieces of one line (e.g. of Application Specific Information), joined as written. */
typedef struct apple_span {
	const char *p;
	size_t n;
} apple_span;
typedef void (*apple_line_fn)(void *arg, const apple_span *parts, size_t count);

/* Exception message (EXC_RESOURCE / hang details) as one line, or nothing. */
void crp__apple_message(const apple_facts *f, apple_line_fn fn, void *arg);
/* Lines of the Application Specific Information block. */
void crp__apple_asi(const apple_facts *f, apple_line_fn fn, void *arg);
/* The zombie NSException KSCrash blames, when the crash touched it (process section). */
const crp_nsexception *crp__apple_zombie(const apple_facts *f);

/* The crashed thread's register block ("Thread N crashed with ... Thread State"), nothing when
 * the thread has no registers (apple_state.c). */
void crp__apple_thread_state(ao *o, const apple_facts *f, const crp_thread *t, size_t number, bool translated);

/* -- emitters ------------------------------------------------------------------------------ */

/* Layouts IOS and MACOS of style apple (apple_translated.c); handler: the crash reporter's own
 * crash when f describes a recrash report's original, else NULL. */
int crp__apple_translated(ao *o, apple_facts *f, const crp_report *handler, bool incomplete, char *demangled,
			  size_t cap);

/* Style kscrash of the .crash emitter (apple_kscrash.c). */
enum ks_layout { KS_LAYOUT_AUTO, KS_LAYOUT_LEGACY, KS_LAYOUT_CURRENT, KS_LAYOUT_2012 };
enum ks_frames { KS_FRAMES_AUTO, KS_FRAMES_SYMBOLICATED, KS_FRAMES_SIDE_BY_SIDE,
		 KS_FRAMES_UNSYMBOLICATED, KS_FRAMES_PARTIAL };
int crp__apple_kscrash(ao *o, apple_scratch *s, const crp_report *r, enum ks_layout layout,
		       enum ks_frames frames);

#endif
