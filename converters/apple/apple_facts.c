/* Facts the Apple emitters derive from a report once: CPU and word size (from the report, never
 * the host), the image index for frame lookups, time zone, event kind, and the exception block
 * and Application Specific Information every output shares. */
#include "apple.h"
#include "demangle/demangle.h"

#define CPU_ARCH_ABI64 0x01000000
#define CPU_ARCH_ABI64_32 0x02000000
#define CPU_TYPE_X86 7
#define CPU_TYPE_ARM 12

#define EXC_BAD_ACCESS 1
#define EXC_BAD_INSTRUCTION 2
#define EXC_ARITHMETIC 3
#define EXC_BREAKPOINT 6
#define EXC_CRASH 10
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGFPE 8
#define SIGKILL 9
#define SIGBUS 10
#define SIGSEGV 11

const char *crp__apple_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool streq(const char *a, const char *b)
{
	return a && strcmp(a, b) == 0;
}

/* -- CPU ---------------------------------------------------------------------------------- */

static bool cpu_from_type(int32_t t, enum apple_cpu *cpu, bool *is64)
{
	switch (t) {
	case CPU_TYPE_ARM: *cpu = APPLE_CPU_ARM; *is64 = false; return true;
	case CPU_TYPE_ARM | CPU_ARCH_ABI64: *cpu = APPLE_CPU_ARM64; *is64 = true; return true;
	case CPU_TYPE_ARM | CPU_ARCH_ABI64_32: *cpu = APPLE_CPU_ARM64; *is64 = false; return true;
	case CPU_TYPE_X86: *cpu = APPLE_CPU_X86; *is64 = false; return true;
	case CPU_TYPE_X86 | CPU_ARCH_ABI64: *cpu = APPLE_CPU_X86_64; *is64 = true; return true;
	default: return false;
	}
}

/* cpu_arch as KSCrash writes it; "x86" names every Intel host, so it is the last resort. */
static bool cpu_from_name(const char *a, enum apple_cpu *cpu, bool *is64)
{
	if (!a)
		return false;
	if (strncmp(a, "arm64_32", 8) == 0)
		return cpu_from_type(CPU_TYPE_ARM | CPU_ARCH_ABI64_32, cpu, is64);
	if (strncmp(a, "arm64", 5) == 0)
		return cpu_from_type(CPU_TYPE_ARM | CPU_ARCH_ABI64, cpu, is64);
	if (strncmp(a, "arm", 3) == 0)
		return cpu_from_type(CPU_TYPE_ARM, cpu, is64);
	if (strncmp(a, "x86_64", 6) == 0)
		return cpu_from_type(CPU_TYPE_X86 | CPU_ARCH_ABI64, cpu, is64);
	if (strcmp(a, "i386") == 0 || strcmp(a, "x86") == 0)
		return cpu_from_type(CPU_TYPE_X86, cpu, is64);
	return false;
}

/* The process's CPU: the binary's type, else the main image's, else the recorded arch name,
 * else any image's, else the hardware type. Unknown reports print 64-bit widths. */
static void find_cpu(apple_facts *f)
{
	const crp_system *s = f->sys;
	const crp_image *m = f->main_image;
	f->cpu = APPLE_CPU_UNKNOWN;
	f->is64 = true;
	f->arch = NULL;
	if (CRP_HAS(s, CRP_SYSTEM_BINARY_CPU_TYPE) && cpu_from_type(s->binary_cpu_type, &f->cpu, &f->is64)) {
		f->arch = crp_arch_name(s->binary_cpu_type,
					CRP_HAS(s, CRP_SYSTEM_BINARY_CPU_SUBTYPE) ? s->binary_cpu_subtype : 0);
		return;
	}
	if (m && CRP_HAS(m, CRP_IMAGE_CPU_TYPE) && cpu_from_type(m->cpu_type, &f->cpu, &f->is64)) {
		f->arch = crp_arch_name(m->cpu_type, CRP_HAS(m, CRP_IMAGE_CPU_SUBTYPE) ? m->cpu_subtype : 0);
		return;
	}
	if (s->cpu_arch && strcmp(s->cpu_arch, "x86") != 0 && cpu_from_name(s->cpu_arch, &f->cpu, &f->is64)) {
		f->arch = s->cpu_arch;
		return;
	}
	for (size_t i = 0; i < f->image_count; i++) {
		const crp_image *im = &f->images[i];
		if (CRP_HAS(im, CRP_IMAGE_CPU_TYPE) && cpu_from_type(im->cpu_type, &f->cpu, &f->is64)) {
			f->arch = crp_arch_name(im->cpu_type, CRP_HAS(im, CRP_IMAGE_CPU_SUBTYPE) ? im->cpu_subtype : 0);
			return;
		}
	}
	if (cpu_from_name(s->cpu_arch, &f->cpu, &f->is64))
		f->arch = s->cpu_arch;
	else if (CRP_HAS(s, CRP_SYSTEM_CPU_TYPE) && cpu_from_type(s->cpu_type, &f->cpu, &f->is64))
		f->arch = crp_arch_name(s->cpu_type, CRP_HAS(s, CRP_SYSTEM_CPU_SUBTYPE) ? s->cpu_subtype : 0);
}

const char *crp__apple_code_type(const apple_facts *f)
{
	switch (f->cpu) {
	case APPLE_CPU_ARM: return "ARM";
	case APPLE_CPU_ARM64: return f->is64 ? "ARM-64" : "ARM64_32";
	case APPLE_CPU_X86: return "X86";
	case APPLE_CPU_X86_64: return "X86-64";
	default: return NULL;
	}
}

/* -- image index -------------------------------------------------------------------------- */

static bool has_address(const crp_image *im)
{
	/* one at UINT64_MAX cannot hold code; it goes with the images without an address */
	return CRP_HAS(im, CRP_IMAGE_ADDR) && im->image_addr != UINT64_MAX;
}

/* The images with an address first, those without after them (key UINT64_MAX), each in report
 * order: what a stable sort by address would end with, with the unknown ones kept out of the
 * sort so that they do not make it look at every byte. Returns the number with an address. */
static size_t make_keys(const apple_facts *f, crp_sort_key *keys)
{
	size_t known = 0, unknown = f->image_count;
	for (size_t i = f->image_count; i-- > 0;)
		if (!has_address(&f->images[i]))
			keys[--unknown] = (crp_sort_key){UINT64_MAX, i};
	for (size_t i = 0; i < f->image_count; i++)
		if (has_address(&f->images[i]))
			keys[known++] = (crp_sort_key){f->images[i].image_addr, i};
	return known;
}

static int build_index(apple_facts *f, crp_emit_ctx *c, apple_scratch *s)
{
	size_t n = f->image_count;
	f->sorted = s->img;
	f->sorted_count = f->lookup_count = 0;
	if (!n)
		return CRP_OK;
	if (n > s->img_cap) { /* the index and the sort's keys, in one block */
		size_t each = sizeof *s->img + 2 * sizeof(crp_sort_key);
		if (n > SIZE_MAX / each)
			return crp_emit_fail(c, CRP_ENOMEM, "out of memory");
		apple_image *p = crp_emit_realloc(c, s->img, n * each);
		if (!p)
			return crp_emit_fail(c, CRP_ENOMEM, "out of memory");
		s->img = p;
		s->img_cap = n;
	}
	crp_sort_key *keys = (crp_sort_key *)(s->img + s->img_cap), *tmp = keys + s->img_cap;
	size_t known = make_keys(f, keys);
	crp__sort_keys(keys, tmp, known);
	for (size_t i = 0; i < n; i++) {
		const crp_image *im = &f->images[keys[i].pos];
		apple_image *e = &s->img[i];
		e->im = im;
		e->pos = keys[i].pos;
		e->lo = e->hi = keys[i].key;
		if (i < known && CRP_HAS(im, CRP_IMAGE_SIZE))
			e->hi = im->image_size > UINT64_MAX - e->lo ? UINT64_MAX : e->lo + im->image_size;
	}
	f->sorted = s->img;
	f->sorted_count = n;
	f->lookup_count = known;
	return CRP_OK;
}

/* Overlapping images are not expected; a few neighbours are checked so that one zero-sized or
 * nested entry cannot hide the image around it. */
#define LOOKBACK 8

const apple_image *crp__apple_image_at(const apple_facts *f, uint64_t addr)
{
	size_t lo = 0, hi = f->lookup_count;
	while (lo < hi) { /* first entry with lo > addr */
		size_t mid = lo + (hi - lo) / 2;
		if (f->sorted[mid].lo <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = 0; k < LOOKBACK && lo > 0; k++, lo--) {
		const apple_image *e = &f->sorted[lo - 1];
		if (addr < e->hi)
			return e;
	}
	return NULL;
}

uint64_t crp__apple_strip(const apple_facts *f, uint64_t addr)
{
	if (f->cpu != APPLE_CPU_ARM64 || !(addr & ~CRP_PAC_CODE_MASK) || crp__apple_image_at(f, addr))
		return addr;
	uint64_t s = addr & CRP_PAC_CODE_MASK;
	/* beyond the 47-bit user address space nothing is real code; below it, only take the
	 * stripped form when it lands in an image */
	return (addr >> 47) || crp__apple_image_at(f, s) ? s : addr;
}

/* -- time zones --------------------------------------------------------------------------- */

/* Abbreviations KSCrash records (NSTimeZone's abbreviations): offsets in minutes. Ambiguous ones
 * follow Foundation's abbreviation table (CST: Chicago, IST: India, BST: London). */
static const struct {
	char name[6];
	short minutes;
} zones[] = {
	{"ACDT", 630}, {"ACST", 570}, {"ADT", -180}, {"AEDT", 660}, {"AEST", 600}, {"AKDT", -480},
	{"AKST", -540}, {"ART", -180}, {"AST", -240}, {"AWST", 480}, {"BDT", 360}, {"BRST", -120},
	{"BRT", -180}, {"BST", 60}, {"CAT", 120}, {"CDT", -300}, {"CEST", 120}, {"CET", 60},
	{"CLST", -180}, {"CLT", -240}, {"COT", -300}, {"CST", -360}, {"EAT", 180}, {"EDT", -240},
	{"EEST", 180}, {"EET", 120}, {"EST", -300}, {"GMT", 0}, {"GST", 240}, {"HKT", 480},
	{"HST", -600}, {"ICT", 420}, {"IRST", 210}, {"IST", 330}, {"JST", 540}, {"KST", 540},
	{"MDT", -360}, {"MSD", 240}, {"MSK", 180}, {"MST", -420}, {"NDT", -150}, {"NST", -210},
	{"NZDT", 780}, {"NZST", 720}, {"PDT", -420}, {"PET", -300}, {"PHT", 480}, {"PKT", 300},
	{"PST", -480}, {"SAST", 120}, {"SGT", 480}, {"TRT", 180}, {"UTC", 0}, {"WAT", 60},
	{"WEST", 60}, {"WET", 0}, {"WIT", 420},
};

static int two_digits(const char *s, unsigned *v)
{
	if (s[0] < '0' || s[0] > '9')
		return 0;
	if (s[1] < '0' || s[1] > '9') {
		*v = (unsigned)(s[0] - '0');
		return 1;
	}
	*v = (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
	return 2;
}

/* "GMT+1", "GMT-03", "UTC+5:30", "GMT+0530". */
static bool tz_numeric(const char *s, int *minutes)
{
	unsigned h, m = 0;
	int n;
	if (s[0] != '+' && s[0] != '-')
		return false;
	int sign = s[0] == '-' ? -1 : 1;
	if (!(n = two_digits(s + 1, &h)))
		return false;
	const char *p = s + 1 + n;
	if (*p == ':')
		p++;
	if (*p) {
		if (two_digits(p, &m) != 2 || p[2])
			return false;
	}
	if (h > 14 || m > 59)
		return false;
	*minutes = sign * (int)(h * 60 + m);
	return true;
}

bool crp__apple_tz(const char *name, int *minutes)
{
	if (!name)
		return false;
	if ((strncmp(name, "GMT", 3) == 0 || strncmp(name, "UTC", 3) == 0) && name[3])
		return tz_numeric(name + 3, minutes);
	size_t lo = 0, hi = CRP_ARRAY_LEN(zones);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, zones[mid].name);
		if (c == 0) {
			*minutes = zones[mid].minutes;
			return true;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* -- the facts ---------------------------------------------------------------------------- */

static bool is_memory_reason(const char *r)
{
	return streq(r, "memory_limit") || streq(r, "memory_pressure");
}

static enum apple_event find_event(const crp_crash_error *e)
{
	const char *type = CRP_HAS(e, CRP_ERROR_TYPE) ? e->type : NULL;
	if (streq(type, "memory_termination") || (streq(type, "termination") && is_memory_reason(e->termination_reason)))
		return APPLE_EV_MEMORY;
	if (streq(type, "termination"))
		return APPLE_EV_TERMINATION;
	if (CRP_HAS(e, CRP_ERROR_EXIT_REASON) && CRP_HAS(&e->exit_reason, CRP_EXIT_REASON_CODE))
		return APPLE_EV_WATCHDOG;
	if (streq(type, "hang"))
		return APPLE_EV_HANG;
	return APPLE_EV_CRASH;
}

/* -- what Apple input left in the "apple" extras ------------------------------------------ */

const crp_value *crp__apple_x(const apple_facts *f, const char *key)
{
	return f->x ? crp_value_get(f->x, key) : NULL;
}

const crp_value *crp__apple_xx(const apple_facts *f, const char *obj, const char *key)
{
	const crp_value *o = crp__apple_x(f, obj);
	return o ? crp_value_get(o, key) : NULL;
}

const char *crp__apple_xstr(const crp_value *v, size_t *len)
{
	if (!v || (v->type != CRP_VALUE_STRING && v->type != CRP_VALUE_NUMBER))
		return NULL;
	*len = v->type == CRP_VALUE_STRING ? v->u.str.len : v->u.num.len;
	return v->type == CRP_VALUE_STRING ? v->u.str.ptr : v->u.num.ptr;
}

bool crp__apple_xu64(const crp_value *v, uint64_t *out)
{
	uint64_t u = 0;
	if (!v || v->type != CRP_VALUE_NUMBER || !v->u.num.len || v->u.num.len > 20)
		return false;
	for (size_t i = 0; i < v->u.num.len; i++) {
		unsigned d = (unsigned)(unsigned char)v->u.num.ptr[i] - '0';
		if (d > 9 || u > (UINT64_MAX - d) / 10)
			return false;
		u = u * 10 + d;
	}
	*out = u;
	return true;
}

static bool is_macos(const apple_facts *f)
{
	static const char *const names[] = {"macOS", "Mac OS", "OS X"};
	const char *n = f->sys->system_name;
	uint64_t platform;
	for (size_t i = 0; n && i < CRP_ARRAY_LEN(names); i++)
		if (strncmp(n, names[i], strlen(names[i])) == 0)
			return true;
	return !n && crp__apple_xu64(crp__apple_xx(f, "metadata", "platform"), &platform) && platform == 1;
}

/* macOS reports as macOS writes them; reports read from Apple input as Apple translates an
 * .ips, unless they were read from the older text; KSCrash's iOS reports in the layout every
 * parser reads. */
static enum apple_layout find_layout(const apple_facts *f)
{
	size_t n = 0;
	const char *l = crp__apple_xstr(crp__apple_x(f, "layout"), &n);
	if (is_macos(f) || (l && n == 5 && memcmp(l, "macos", 5) == 0))
		return APPLE_LAYOUT_MACOS;
	if (!f->x || (l && n == 6 && memcmp(l, "legacy", 6) == 0))
		return APPLE_LAYOUT_LEGACY;
	return APPLE_LAYOUT_IOS;
}

static const crp_image *find_placeholder(const apple_facts *f)
{
	static const crp_uuid nil;
	for (size_t i = 0; i < f->image_count; i++) {
		const crp_image *im = &f->images[i];
		if (CRP_HAS(im, CRP_IMAGE_ADDR) && !im->image_addr && CRP_HAS(im, CRP_IMAGE_SIZE) && !im->image_size &&
		    !CRP_HAS(im, CRP_IMAGE_NAME) && (!CRP_HAS(im, CRP_IMAGE_UUID) || !memcmp(&im->uuid, &nil, 16)))
			return im;
	}
	return NULL;
}

const char *crp__apple_system_name(const crp_system *s)
{
	return s->system_name && strcmp(s->system_name, "iOS") == 0 ? "iPhone OS" : s->system_name;
}

const char *crp__apple_process(const apple_facts *f)
{
	if (CRP_HAS(f->sys, CRP_SYSTEM_PROCESS_NAME) && f->sys->process_name[0])
		return f->sys->process_name;
	if (CRP_HAS(f->info, CRP_INFO_PROCESS_NAME) && f->info->process_name[0])
		return f->info->process_name;
	if (CRP_HAS(f->sys, CRP_SYSTEM_EXECUTABLE) && f->sys->executable[0])
		return f->sys->executable;
	return NULL;
}

/* -- a derived incident identifier -------------------------------------------------------- */

bool crp__apple_is_uuid(const char *s)
{
	static const char hexd[] = "0123456789abcdefABCDEF";
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !strchr(hexd, s[i]))
			return false;
	}
	return true;
}

typedef struct fnv {
	uint64_t a, b;
} fnv;

static void mix(fnv *h, const void *p, size_t n)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < n; i++) {
		h->a = (h->a ^ s[i]) * UINT64_C(0x100000001b3);
		h->b = (h->b ^ s[i]) * UINT64_C(0x100000001b3);
	}
}

static void mix_str(fnv *h, const char *s)
{
	mix(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static void mix_u64(fnv *h, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	mix(h, b, 8);
}

static void mix_backtrace(fnv *h, const crp_backtrace *bt)
{
	for (size_t i = 0; i < bt->frame_count; i++)
		mix_u64(h, bt->frames[i].instruction_addr);
}

/* Two FNV-1a streams over the report's identity, exception, frames and images: what makes one
 * report differ from another, and nothing that changes when it is converted. */
void crp__apple_incident(const apple_facts *f, char out[37])
{
	static const char hexd[] = "0123456789ABCDEF";
	fnv h = {UINT64_C(0xcbf29ce484222325), UINT64_C(0x84222325cbf29ce4)};
	const crp_crash_error *e = f->err;
	if (CRP_HAS(f->info, CRP_INFO_ID) && crp__apple_is_uuid(f->info->id)) {
		memcpy(out, f->info->id, 37);
		return;
	}
	mix_str(&h, CRP_HAS(f->info, CRP_INFO_ID) ? f->info->id : NULL);
	mix_str(&h, crp__apple_process(f));
	mix_u64(&h, CRP_HAS(f->sys, CRP_SYSTEM_PROCESS_ID) ? (uint64_t)f->sys->process_id : 0);
	mix_u64(&h, CRP_HAS(f->info, CRP_INFO_TIMESTAMP) ? (uint64_t)f->info->timestamp.usec : 0);
	mix_u64(&h, e->mach.exception ^ e->mach.code << 8 ^ e->signal.signal << 16);
	mix_u64(&h, e->mach.subcode ^ e->address);
	mix_str(&h, CRP_HAS(e, CRP_ERROR_TYPE) ? e->type : NULL);
	mix_str(&h, CRP_HAS(e, CRP_ERROR_REASON) ? e->reason : NULL);
	for (size_t i = 0; i < f->crash->thread_count; i++)
		mix_backtrace(&h, &f->crash->threads[i].backtrace);
	for (size_t i = 0; i < f->image_count; i++) {
		mix_u64(&h, f->images[i].image_addr);
		mix(&h, f->images[i].uuid.bytes, 16);
	}
	unsigned char b[16];
	for (int i = 0; i < 8; i++) {
		b[i] = (unsigned char)(h.a >> (8 * i));
		b[8 + i] = (unsigned char)(h.b >> (8 * i));
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x80); /* RFC 9562 version 8: custom */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (int i = 0, o = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hexd[b[i] >> 4];
		out[o++] = hexd[b[i] & 15];
	}
	out[36] = '\0';
}

int crp__apple_facts(apple_facts *f, crp_emit_ctx *c, apple_scratch *s, const crp_report *r)
{
	memset(f, 0, sizeof *f);
	f->r = r;
	f->info = crp_report_info(r);
	f->sys = crp_report_system(r);
	f->crash = crp_report_crash(r);
	f->err = &f->crash->error;
	f->images = crp_report_images(r, &f->image_count);
	f->main_image = crp_report_main_image(r);
	f->crashed = crp_report_crashed_thread(r, &f->crashed_pos);
	f->event = find_event(f->err);
	f->tz_known = crp__apple_tz(f->sys->time_zone, &f->tz_minutes);
	if (!f->tz_known)
		f->tz_minutes = 0;
	find_cpu(f);
	f->x = crp_extras_get(crp_report_extras(r), "apple");
	if (f->x && f->x->type != CRP_VALUE_OBJECT)
		f->x = NULL;
	f->layout = find_layout(f);
	f->placeholder = find_placeholder(f);
	return build_index(f, c, s);
}

void crp__apple_scratch_free(crp_emit_ctx *c, apple_scratch *s)
{
	crp_emit_dealloc(c, s->img);
	s->img = NULL;
	s->img_cap = 0;
}

/* -- frames ------------------------------------------------------------------------------- */

void crp__apple_frame(const apple_facts *f, const crp_frame *fr, apple_frame *out)
{
	uint64_t raw = CRP_HAS(fr, CRP_FRAME_INSTRUCTION_ADDR) ? fr->instruction_addr : 0;
	out->addr = crp__apple_strip(f, raw);
	out->img = crp__apple_image_at(f, out->addr);
	out->image = NULL;
	/* a name ending in '/' names no file: the image found for the address does */
	if (CRP_HAS(fr, CRP_FRAME_OBJECT_NAME) && crp__apple_basename(fr->object_name)[0])
		out->image = crp__apple_basename(fr->object_name);
	else if (out->img && CRP_HAS(out->img->im, CRP_IMAGE_NAME) && crp__apple_basename(out->img->im->name)[0])
		out->image = crp__apple_basename(out->img->im->name);
	out->have_base = true;
	/* an image cannot start above an address inside it: such a base (spliced text) gives way to
	 * the image found for the address, as it would when read back */
	if (CRP_HAS(fr, CRP_FRAME_OBJECT_ADDR) && fr->object_addr <= out->addr)
		out->base = fr->object_addr;
	else if (out->img)
		out->base = out->img->lo;
	else
		out->base = 0, out->have_base = false;
	out->symbol = NULL;
	out->sym_off = 0;
	if (CRP_HAS(fr, CRP_FRAME_SYMBOL_NAME) && fr->symbol_name[0] && CRP_HAS(fr, CRP_FRAME_SYMBOL_ADDR) &&
	    strcmp(fr->symbol_name, "<redacted>") != 0 && out->addr >= fr->symbol_addr) {
		out->symbol = fr->symbol_name;
		out->sym_off = out->addr - fr->symbol_addr;
	}
}

/* Swift names as Apple's reports print them (simplified: ViewController.crashTapped()). No
 * allocator here: the demangler's stack memory fits every real name; one that does not fit
 * stays mangled. */
const char *crp__apple_demangle(const char *sym, char *buf, size_t cap)
{
	return crp__demangle(sym, buf, cap, CRP__DM_SIMPLIFIED, NULL) ? buf : sym;
}

/* -- exception ---------------------------------------------------------------------------- */

const char *crp__apple_signal_text(uint64_t signo)
{
	static const char *const text[] = {
		NULL, "Hangup", "Interrupt", "Quit", "Illegal instruction", "Trace/BPT trap",
		"Abort trap", "EMT trap", "Floating point exception", "Killed", "Bus error",
		"Segmentation fault", "Bad system call", "Broken pipe", "Alarm clock", "Terminated",
		"Urgent I/O condition", "Suspended (signal)", "Suspended", "Continued", "Child exited",
		"Stopped (tty input)", "Stopped (tty output)", "I/O possible", "Cputime limit exceeded",
		"Filesize limit exceeded", "Virtual timer expired", "Profiling timer expired",
		"Window size changes", "Information request", "User defined signal 1",
		"User defined signal 2"};
	return signo < CRP_ARRAY_LEN(text) ? text[signo] : NULL;
}

/* The exception KSCrash derives from a signal, and back. */
static uint64_t exception_for_signal(uint64_t sig)
{
	switch (sig) {
	case SIGSEGV: case SIGBUS: return EXC_BAD_ACCESS;
	case SIGILL: return EXC_BAD_INSTRUCTION;
	case SIGFPE: return EXC_ARITHMETIC;
	case SIGTRAP: return EXC_BREAKPOINT;
	default: return EXC_CRASH;
	}
}

static uint64_t signal_for_exception(uint64_t exc, uint64_t code)
{
	switch (exc) {
	case EXC_BAD_ACCESS: return code == 1 ? SIGSEGV : SIGBUS;
	case EXC_BAD_INSTRUCTION: return SIGILL;
	case EXC_ARITHMETIC: return SIGFPE;
	case EXC_BREAKPOINT: return SIGTRAP;
	case EXC_CRASH: return SIGABRT;
	default: return 0;
	}
}

static const char *bad_access_name(const crp_mach *m, uint64_t code)
{
	if (code == 0) /* KERN_SUCCESS: no fault kind to name */
		return NULL;
	if (code <= 52)
		return crp_kern_return_name(code);
	if (code == 0x101)
		return "EXC_ARM_DA_ALIGN";
	if (code == 0x102)
		return "EXC_ARM_DA_DEBUG";
	return CRP_HAS(m, CRP_MACH_CODE_NAME) ? m->code_name : NULL;
}

/* Mach exception and signal as the report gives them, filling the gaps the way KSCrash's own
 * monitors would: software events (language exceptions, user reports, deadlocks) are
 * EXC_CRASH (SIGABRT). */
static void exception_and_signal(const apple_facts *f, apple_exc *e)
{
	const crp_crash_error *err = f->err;
	const crp_mach *m = &err->mach;
	const crp_signal *sg = &err->signal;
	bool has_m = CRP_HAS(err, CRP_ERROR_MACH), has_s = CRP_HAS(err, CRP_ERROR_SIGNAL);
	uint64_t exc = has_m && CRP_HAS(m, CRP_MACH_EXCEPTION) ? m->exception : 0;
	uint64_t code = has_m && CRP_HAS(m, CRP_MACH_CODE) ? m->code : 0;
	e->signo = has_s && CRP_HAS(sg, CRP_SIGNAL_SIGNAL) ? sg->signal : 0;
	e->type = crp_mach_exception_name(exc);
	if (!e->type && has_m && CRP_HAS(m, CRP_MACH_EXCEPTION_NAME) && m->exception_name[0])
		e->type = m->exception_name;
	if (!e->type) {
		exc = e->signo ? exception_for_signal(e->signo) : EXC_CRASH;
		e->type = crp_mach_exception_name(exc);
	}
	if (!e->signo && !(has_s && CRP_HAS(sg, CRP_SIGNAL_NAME)))
		e->signo = signal_for_exception(exc, code);
	e->signal = crp_signal_name(e->signo);
	if (!e->signal && has_s && CRP_HAS(sg, CRP_SIGNAL_NAME) && sg->name[0])
		e->signal = sg->name;
	e->have_codes = true;
	e->code = code;
	e->subcode = has_m && CRP_HAS(m, CRP_MACH_SUBCODE) ? m->subcode
		   : exc == EXC_BAD_ACCESS && CRP_HAS(err, CRP_ERROR_ADDRESS) ? err->address : 0;
	if (exc == EXC_BAD_ACCESS && (e->subtype = bad_access_name(m, code)) != NULL) {
		e->subtype_at = true;
		e->subtype_addr = CRP_HAS(err, CRP_ERROR_ADDRESS) ? err->address : e->subcode;
		uint64_t top = e->subtype_addr >> 47;
		e->pac_suspect = f->cpu == APPLE_CPU_ARM64 && top && top != 0x1ffff;
	}
}

void crp__apple_exception(const apple_facts *f, apple_exc *e)
{
	memset(e, 0, sizeof *e);
	switch (f->event) {
	case APPLE_EV_MEMORY:
	case APPLE_EV_TERMINATION: {
		const crp_signal *sg = &f->err->signal;
		e->signo = CRP_HAS(f->err, CRP_ERROR_SIGNAL) && CRP_HAS(sg, CRP_SIGNAL_SIGNAL) ? sg->signal : 0;
		if (f->event == APPLE_EV_MEMORY) {
			e->type = "EXC_RESOURCE";
			e->resource = "MEMORY";
			e->signo = e->signo ? e->signo : SIGKILL;
		} else {
			e->type = "EXC_CRASH";
		}
		e->signal = crp_signal_name(e->signo);
		return;
	}
	case APPLE_EV_HANG:
		e->type = "EXC_RESOURCE";
		e->resource = "HANG";
		e->note = "NON-FATAL CONDITION (this is NOT a crash)";
		return;
	case APPLE_EV_WATCHDOG:
		exception_and_signal(f, e);
		e->term_code = f->err->exit_reason.code;
		e->term_ns = e->term_code == 0x8badf00d ? "FRONTBOARD" : "RUNNINGBOARD";
		return;
	case APPLE_EV_CRASH:
		exception_and_signal(f, e);
		if (e->signo && crp__apple_signal_text(e->signo)) {
			e->term_ns = "SIGNAL";
			e->term_code = e->signo;
			e->term_indicator = crp__apple_signal_text(e->signo);
		}
		return;
	}
}

/* -- message and Application Specific Information ---------------------------------------- */

#define SPAN(s) ((apple_span){(s), strlen(s)})
#define LIT(s) ((apple_span){(s), sizeof(s) - 1})

/* Decimal text of v into buf; returns a span over it. */
static apple_span num(char buf[24], uint64_t v)
{
	size_t n = 24;
	do {
		buf[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return (apple_span){buf + n, 24 - n};
}

/* Nanoseconds as seconds with three decimals. */
static apple_span seconds(char buf[32], uint64_t ns)
{
	uint64_t ms = ns / 1000000;
	char tmp[24];
	apple_span whole = num(tmp, ms / 1000);
	memcpy(buf, whole.p, whole.n);
	buf[whole.n] = '.';
	buf[whole.n + 1] = (char)('0' + ms / 100 % 10);
	buf[whole.n + 2] = (char)('0' + ms / 10 % 10);
	buf[whole.n + 3] = (char)('0' + ms % 10);
	memcpy(buf + whole.n + 4, " s", 2);
	return (apple_span){buf, whole.n + 6};
}

/* "termination reason R, memory footprint F bytes of limit L bytes, remaining N, level ..."
 * with whatever the report carries. */
static void memory_message(const crp_app_memory *m, const char *reason, apple_line_fn fn, void *arg)
{
	apple_span p[24];
	char nb[3][24];
	size_t n = 0;
#define SEP() do { if (n) p[n++] = LIT(", "); } while (0)
	if (reason) { /* KSCrash 2.6 termination events say why */
		p[n++] = LIT("termination reason ");
		p[n++] = SPAN(reason);
	}
	bool fp = CRP_HAS(m, CRP_APPMEM_MEMORY_FOOTPRINT);
	if (fp) {
		SEP();
		p[n++] = LIT("memory footprint ");
		p[n++] = num(nb[0], m->memory_footprint);
		p[n++] = LIT(" bytes");
	}
	if (CRP_HAS(m, CRP_APPMEM_MEMORY_LIMIT)) {
		if (fp) {
			p[n++] = LIT(" of limit ");
		} else {
			SEP();
			p[n++] = LIT("memory limit ");
		}
		p[n++] = num(nb[1], m->memory_limit);
		p[n++] = LIT(" bytes");
	}
	if (CRP_HAS(m, CRP_APPMEM_MEMORY_REMAINING)) {
		SEP();
		p[n++] = LIT("remaining ");
		p[n++] = num(nb[2], m->memory_remaining);
	}
	static const struct { uint64_t bit; const char *label; } words[] = {
		{CRP_APPMEM_MEMORY_LEVEL, "level "}, {CRP_APPMEM_MEMORY_PRESSURE, "pressure "},
		{CRP_APPMEM_APP_TRANSITION_STATE, "app state "}};
	const char *val[] = {m->memory_level, m->memory_pressure, m->app_transition_state};
	for (size_t i = 0; i < 3; i++) {
		if (!CRP_HAS(m, words[i].bit))
			continue;
		SEP();
		p[n++] = SPAN(words[i].label);
		p[n++] = SPAN(val[i]);
	}
#undef SEP
	if (n)
		fn(arg, p, n);
}

static void hang_message(const crp_hang *h, const char *what, apple_line_fn fn, void *arg)
{
	apple_span p[8];
	char b[32];
	size_t n = 0;
	p[n++] = SPAN(what);
	if (CRP_HAS(h, CRP_HANG_START_NANOS) && CRP_HAS(h, CRP_HANG_END_NANOS) &&
	    h->hang_end_nanos >= h->hang_start_nanos) {
		p[n++] = LIT(" for ");
		p[n++] = seconds(b, h->hang_end_nanos - h->hang_start_nanos);
	}
	const char *role = CRP_HAS(h, CRP_HANG_END_ROLE) ? h->hang_end_role
			 : CRP_HAS(h, CRP_HANG_START_ROLE) ? h->hang_start_role : NULL;
	if (role) {
		p[n++] = LIT(" (");
		p[n++] = SPAN(role);
		p[n++] = LIT(")");
	}
	fn(arg, p, n);
}

void crp__apple_message(const apple_facts *f, apple_line_fn fn, void *arg)
{
	const crp_crash_error *e = f->err;
	switch (f->event) {
	case APPLE_EV_MEMORY:
		memory_message(CRP_HAS(e, CRP_ERROR_MEMORY_TERMINATION) ? &e->memory_termination : &f->sys->app_memory,
			       CRP_HAS(e, CRP_ERROR_TERMINATION_REASON) ? e->termination_reason : NULL, fn, arg);
		return;
	case APPLE_EV_HANG:
		hang_message(&e->hang, "main thread unresponsive", fn, arg);
		return;
	case APPLE_EV_WATCHDOG:
		if (CRP_HAS(e, CRP_ERROR_HANG))
			hang_message(&e->hang, "watchdog: main thread unresponsive", fn, arg);
		return;
	case APPLE_EV_TERMINATION:
		if (CRP_HAS(e, CRP_ERROR_TERMINATION_REASON)) {
			apple_span p[3] = {LIT("termination reason: "), SPAN(e->termination_reason)};
			fn(arg, p, 2);
		}
		return;
	case APPLE_EV_CRASH:
		return;
	}
}

const crp_nsexception *crp__apple_zombie(const apple_facts *f)
{
	const crp_process *p = crp_report_process(f->r);
	const crp_nsexception *z = &p->last_dealloced_nsexception;
	const crp_mach *m = &f->err->mach;
	if (!CRP_HAS(p, CRP_PROCESS_LAST_DEALLOCED_NSEXCEPTION) || !CRP_HAS(z, CRP_NSEXC_ADDRESS) ||
	    !streq(CRP_HAS(m, CRP_MACH_EXCEPTION_NAME) ? m->exception_name : NULL, "EXC_BAD_ACCESS") ||
	    !streq(CRP_HAS(m, CRP_MACH_CODE_NAME) ? m->code_name : NULL, "KERN_INVALID_ADDRESS") || !f->crashed)
		return NULL;
	const crp_regset *rs = &f->crashed->registers.basic;
	for (size_t i = 0; CRP_HAS(f->crashed, CRP_THREAD_REGISTERS) && i < rs->count; i++)
		if (rs->regs[i].value == z->address)
			return z;
	return NULL;
}

static const char *reason_of(const crp_crash_error *e)
{
	if (CRP_HAS(e, CRP_ERROR_REASON))
		return e->reason;
	if (CRP_HAS(e, CRP_ERROR_NSEXCEPTION) && CRP_HAS(&e->nsexception, CRP_NSEXC_REASON))
		return e->nsexception.reason;
	return NULL;
}

static void uncaught(const char *name, const char *reason, apple_line_fn fn, void *arg)
{
	apple_span p[5] = {LIT("*** Terminating app due to uncaught exception '"),
			   SPAN(name ? name : "NSException"), LIT("', reason: '"), {"", 0}, LIT("'")};
	if (reason) {
		p[3] = SPAN(reason);
		fn(arg, p, 5);
	} else {
		p[2] = LIT("'");
		fn(arg, p, 3);
	}
}

static void user_reported(const crp_crash_error *e, apple_line_fn fn, void *arg)
{
	const crp_user_exception *u = &e->user_reported;
	const char *reason = reason_of(e);
	apple_span p[9];
	size_t n = 0;
	p[n++] = LIT("User-reported exception '");
	p[n++] = SPAN(CRP_HAS(u, CRP_USEREXC_NAME) ? u->name : "");
	p[n++] = LIT("'");
	if (CRP_HAS(u, CRP_USEREXC_LANGUAGE)) {
		p[n++] = LIT(" (");
		p[n++] = SPAN(u->language);
		p[n++] = LIT(")");
	}
	if (reason) {
		p[n++] = LIT(", reason: '");
		p[n++] = SPAN(reason);
		p[n++] = LIT("'");
	}
	fn(arg, p, n);
	if (CRP_HAS(u, CRP_USEREXC_LINE_OF_CODE)) {
		apple_span l[2] = {LIT("Line: "), SPAN(u->line_of_code)};
		fn(arg, l, 2);
	}
	const crp_value *bt = CRP_HAS(u, CRP_USEREXC_BACKTRACE) ? u->backtrace : NULL;
	for (size_t i = 0; bt && bt->type == CRP_VALUE_ARRAY && i < bt->u.arr.count; i++) {
		const crp_value *v = &bt->u.arr.items[i];
		if (v->type == CRP_VALUE_STRING)
			fn(arg, &(apple_span){v->u.str.ptr, strlen(v->u.str.ptr)}, 1);
	}
}

static void image_messages(const apple_facts *f, apple_line_fn fn, void *arg)
{
	for (size_t i = 0; i < f->image_count; i++) {
		const crp_image *im = &f->images[i];
		if (CRP_HAS(im, CRP_IMAGE_CRASH_INFO_MESSAGE) && im->crash_info_message[0])
			fn(arg, &(apple_span){im->crash_info_message, strlen(im->crash_info_message)}, 1);
		if (CRP_HAS(im, CRP_IMAGE_CRASH_INFO_MESSAGE2) && im->crash_info_message2[0])
			fn(arg, &(apple_span){im->crash_info_message2, strlen(im->crash_info_message2)}, 1);
		if (CRP_HAS(im, CRP_IMAGE_CRASH_INFO_SIGNATURE) && im->crash_info_signature[0])
			fn(arg, &(apple_span){im->crash_info_signature, strlen(im->crash_info_signature)}, 1);
	}
}

void crp__apple_asi(const apple_facts *f, apple_line_fn fn, void *arg)
{
	const crp_crash_error *e = f->err;
	const crp_nsexception *z;
	if (CRP_HAS(e, CRP_ERROR_NSEXCEPTION)) {
		uncaught(CRP_HAS(&e->nsexception, CRP_NSEXC_NAME) ? e->nsexception.name : NULL, reason_of(e), fn, arg);
	} else if ((z = crp__apple_zombie(f)) != NULL) {
		uncaught(CRP_HAS(z, CRP_NSEXC_NAME) ? z->name : NULL, CRP_HAS(z, CRP_NSEXC_REASON) ? z->reason : NULL,
			 fn, arg);
		fn(arg, &LIT("The exception object had already been deallocated: the crash comes from "
			     "accessing it (zombie NSException)."), 1);
	} else if (CRP_HAS(e, CRP_ERROR_USER_REPORTED)) {
		user_reported(e, fn, arg);
	} else if (CRP_HAS(e, CRP_ERROR_CPP_EXCEPTION)) {
		const char *reason = reason_of(e);
		apple_span p[4] = {LIT("libc++abi: terminating due to uncaught exception of type "),
				   SPAN(CRP_HAS(&e->cpp_exception, CRP_CPPEXC_NAME) ? e->cpp_exception.name
										   : "(unknown)"),
				   LIT(": "), SPAN(reason ? reason : "")};
		fn(arg, p, reason ? 4 : 2);
	}
	if (CRP_HAS(e, CRP_ERROR_TYPE) && streq(e->type, "deadlock"))
		fn(arg, &LIT("Application main thread deadlocked (detected by the crash reporter's watchdog)"), 1);
	if (f->event == APPLE_EV_MEMORY || f->event == APPLE_EV_TERMINATION)
		fn(arg, &LIT("Termination detected by the crash reporter at the next launch; the system "
			     "writes no crash report for it."), 1);
	image_messages(f, fn, arg);
	if (CRP_HAS(f->crash, CRP_CRASH_DIAGNOSIS) && f->crash->diagnosis[0]) {
		apple_span p[2] = {LIT("CrashDoctor Diagnosis: "), SPAN(f->crash->diagnosis)};
		fn(arg, p, 2);
	}
}

/* -- register descriptions ---------------------------------------------------------------- */

static size_t put(char *b, size_t n, size_t cap, const char *s)
{
	size_t k = strlen(s);
	if (n + k >= cap)
		k = n < cap ? cap - 1 - n : 0;
	memcpy(b + n, s, k);
	b[n + k] = '\0';
	return n + k;
}

size_t crp__apple_esr_text(uint64_t esr, char *b, size_t cap)
{
	static const char *const fsc[] = {"Address size fault", "Translation fault", "Access flag fault",
					  "Permission fault"};
	unsigned ec = (unsigned)(esr >> 26) & 0x3f, iss = (unsigned)esr & 0x1ffffff;
	size_t n = 0;
	b[0] = '\0';
	switch (ec) {
	case 0x3c: {
		char num[8];
		unsigned imm = iss & 0xffff, k = sizeof num - 1;
		num[k] = '\0';
		do {
			num[--k] = (char)('0' + imm % 10);
			imm /= 10;
		} while (imm);
		n = put(b, n, cap, "(Breakpoint) brk ");
		return put(b, n, cap, num + k);
	}
	case 0x20: case 0x21: n = put(b, n, cap, "(Instruction Abort) "); break;
	case 0x24: case 0x25:
		n = put(b, n, cap, "(Data Abort) byte ");
		n = put(b, n, cap, iss & 0x40 ? "write " : "read ");
		break;
	case 0x22: return put(b, n, cap, "(PC alignment)");
	case 0x26: return put(b, n, cap, "(SP alignment)");
	case 0x0e: return put(b, n, cap, "(Illegal execution state)");
	default: return 0;
	}
	unsigned dfsc = iss & 0x3f;
	return put(b, n, cap, dfsc < 16 ? fsc[dfsc >> 2] : dfsc == 0x21 ? "Alignment fault"
				      : dfsc == 0x10 ? "Synchronous external abort" : "fault");
}

size_t crp__apple_pagefault_text(uint64_t err, char *b, size_t cap)
{
	size_t n = put(b, 0, cap, err & 1 ? "protection violation" : "no mapping");
	n = put(b, n, cap, err & 4 ? " for user " : " for kernel ");
	return put(b, n, cap, err & 16 ? "instruction fetch" : err & 2 ? "data write" : "data read");
}

size_t crp__apple_thread_number(const apple_facts *f, const crp_thread *t, size_t pos)
{
	bool apple_input = crp_report_provenance(f->r) & CRP_PROV_APPLE;
	return apple_input && CRP_HAS(t, CRP_THREAD_INDEX) && t->index <= SIZE_MAX ? (size_t)t->index : pos;
}

size_t crp__apple_crashed_number(const apple_facts *f)
{
	size_t pos = f->crashed_pos == SIZE_MAX ? 0 : f->crashed_pos;
	return f->crashed ? crp__apple_thread_number(f, f->crashed, pos) : pos;
}
