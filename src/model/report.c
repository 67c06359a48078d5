/* The report handle: accessors, lifetime, and facts derived from the model. */
#include "model.h"

static const crp_body empty_body;

static const crp_body *body_of(const crp_report *r)
{
	return r ? &r->body : &empty_body;
}

void crp_report_free(crp_report *r)
{
	if (!r || r->owner)
		return;
	crp_allocator a = r->arena.alloc;
	crp__arena_dispose(&r->arena);
	crp__free(&a, r);
}

uint64_t crp_report_sections(const crp_report *r) { return body_of(r)->has; }
unsigned crp_report_provenance(const crp_report *r) { return r ? r->provenance : 0; }

bool crp_report_is_incomplete(const crp_report *r)
{
	const crp_body *b = body_of(r);
	return (r && (r->provenance & CRP_PROV_TRUNCATED)) ||
	       ((b->has & CRP_SECTION_INCOMPLETE) && b->incomplete);
}

const crp_info *crp_report_info(const crp_report *r) { return &body_of(r)->info; }
const crp_system *crp_report_system(const crp_report *r) { return &body_of(r)->system; }
const crp_process *crp_report_process(const crp_report *r) { return &body_of(r)->process; }
const crp_crash *crp_report_crash(const crp_report *r) { return &body_of(r)->crash; }
const crp_debug *crp_report_debug(const crp_report *r) { return &body_of(r)->debug; }
const crp_value *crp_report_user(const crp_report *r) { return body_of(r)->user; }
const crp_extras *crp_report_extras(const crp_report *r) { return &body_of(r)->extras; }
const crp_strays *crp_report_image_strays(const crp_report *r) { return &body_of(r)->image_strays; }
const crp_report *crp_report_recrash(const crp_report *r) { return body_of(r)->recrash; }

const crp_image *crp_report_images(const crp_report *r, size_t *count)
{
	const crp_body *b = body_of(r);
	if (count)
		*count = b->image_count;
	return b->images;
}

/* Warnings live on the top-level report (an embedded recrash report shares them). */
static const crp_report *root_of(const crp_report *r)
{
	return r && r->owner ? r->owner : r;
}

size_t crp_report_warning_count(const crp_report *r)
{
	r = root_of(r);
	return r ? r->warning_count : 0;
}

const crp_diag *crp_report_warning(const crp_report *r, size_t i)
{
	r = root_of(r);
	return r && i < r->warning_count ? &r->warnings[i] : NULL;
}

const crp_thread *crp_report_crashed_thread(const crp_report *r, size_t *index_out)
{
	const crp_crash *c = &body_of(r)->crash;
	if (index_out)
		*index_out = SIZE_MAX;
	for (size_t i = 0; i < c->thread_count; i++) {
		const crp_thread *t = &c->threads[i];
		if (CRP_HAS(t, CRP_THREAD_CRASHED) && t->crashed) {
			if (index_out)
				*index_out = i;
			return t;
		}
	}
	return c->crashed_thread;
}

const crp_image *crp_report_image_at(const crp_report *r, uint64_t addr)
{
	const crp_body *b = body_of(r);
	for (size_t i = 0; i < b->image_count; i++) {
		const crp_image *im = &b->images[i];
		if (CRP_HAS(im, CRP_IMAGE_ADDR) && CRP_HAS(im, CRP_IMAGE_SIZE) && addr >= im->image_addr &&
		    addr - im->image_addr < im->image_size)
			return im;
	}
	return NULL;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

const crp_image *crp_report_main_image(const crp_report *r)
{
	const crp_body *b = body_of(r);
	const char *path = b->system.executable_path;
	const char *name = b->system.executable ? b->system.executable : b->info.process_name;
	for (size_t i = 0; path && i < b->image_count; i++)
		if (b->images[i].name && strcmp(b->images[i].name, path) == 0)
			return &b->images[i];
	for (size_t i = 0; name && i < b->image_count; i++)
		if (b->images[i].name && strcmp(base_name(b->images[i].name), name) == 0)
			return &b->images[i];
	return NULL;
}

/* -- names -------------------------------------------------------------------------------- */

#define CPU_ARCH_ABI64 0x01000000
#define CPU_ARCH_ABI64_32 0x02000000
#define CPU_TYPE_X86 7
#define CPU_TYPE_ARM 12
#define CPU_TYPE_POWERPC 18

const char *crp_arch_name(int32_t cpu_type, int32_t cpu_subtype)
{
	static const char *const arm[] = {"arm", NULL, NULL, NULL, NULL, "armv4t", "armv6", "armv5",
					  "xscale", "armv7", "armv7f", "armv7s", "armv7k", "armv8",
					  "armv6m", "armv7m", "armv7em"};
	/* The top byte of the subtype holds capability bits (arm64e's pointer-auth ABI). */
	uint32_t sub = (uint32_t)cpu_subtype & 0x00ffffffu;
	switch (cpu_type) {
	case CPU_TYPE_ARM:
		return sub < CRP_ARRAY_LEN(arm) ? arm[sub] : NULL;
	case CPU_TYPE_ARM | CPU_ARCH_ABI64:
		return sub == 2 ? "arm64e" : sub <= 1 ? "arm64" : NULL;
	case CPU_TYPE_ARM | CPU_ARCH_ABI64_32:
		return sub <= 1 ? "arm64_32" : NULL;
	case CPU_TYPE_X86:
		return "i386";
	case CPU_TYPE_X86 | CPU_ARCH_ABI64:
		return sub == 8 ? "x86_64h" : "x86_64";
	case CPU_TYPE_POWERPC:
		return "ppc";
	case CPU_TYPE_POWERPC | CPU_ARCH_ABI64:
		return "ppc64";
	default:
		return NULL;
	}
}

bool crp_arch_is_64bit(int32_t cpu_type)
{
	return (cpu_type & CPU_ARCH_ABI64) != 0;
}

const char *crp_mach_exception_name(uint64_t exception)
{
	static const char *const names[] = {
		NULL, "EXC_BAD_ACCESS", "EXC_BAD_INSTRUCTION", "EXC_ARITHMETIC", "EXC_EMULATION",
		"EXC_SOFTWARE", "EXC_BREAKPOINT", "EXC_SYSCALL", "EXC_MACH_SYSCALL", "EXC_RPC_ALERT",
		"EXC_CRASH", "EXC_RESOURCE", "EXC_GUARD", "EXC_CORPSE_NOTIFY"};
	return exception < CRP_ARRAY_LEN(names) ? names[exception] : NULL;
}

const char *crp_kern_return_name(uint64_t code)
{
	static const char *const names[] = {
		"KERN_SUCCESS", "KERN_INVALID_ADDRESS", "KERN_PROTECTION_FAILURE", "KERN_NO_SPACE",
		"KERN_INVALID_ARGUMENT", "KERN_FAILURE", "KERN_RESOURCE_SHORTAGE", "KERN_NOT_RECEIVER",
		"KERN_NO_ACCESS", "KERN_MEMORY_FAILURE", "KERN_MEMORY_ERROR", "KERN_ALREADY_IN_SET",
		"KERN_NOT_IN_SET", "KERN_NAME_EXISTS", "KERN_ABORTED", "KERN_INVALID_NAME",
		"KERN_INVALID_TASK", "KERN_INVALID_RIGHT", "KERN_INVALID_VALUE", "KERN_UREFS_OVERFLOW",
		"KERN_INVALID_CAPABILITY", "KERN_RIGHT_EXISTS", "KERN_INVALID_HOST",
		"KERN_MEMORY_PRESENT", "KERN_MEMORY_DATA_MOVED", "KERN_MEMORY_RESTART_COPY",
		"KERN_INVALID_PROCESSOR_SET", "KERN_POLICY_LIMIT", "KERN_INVALID_POLICY",
		"KERN_INVALID_OBJECT", "KERN_ALREADY_WAITING", "KERN_DEFAULT_SET",
		"KERN_EXCEPTION_PROTECTED", "KERN_INVALID_LEDGER", "KERN_INVALID_MEMORY_CONTROL",
		"KERN_INVALID_SECURITY", "KERN_NOT_DEPRESSED", "KERN_TERMINATED",
		"KERN_LOCK_SET_DESTROYED", "KERN_LOCK_UNSTABLE", "KERN_LOCK_OWNED",
		"KERN_LOCK_OWNED_SELF", "KERN_SEMAPHORE_DESTROYED", "KERN_RPC_SERVER_TERMINATED",
		"KERN_RPC_TERMINATE_ORPHAN", "KERN_RPC_CONTINUE_ORPHAN", "KERN_NOT_SUPPORTED",
		"KERN_NODE_DOWN", "KERN_NOT_WAITING", "KERN_OPERATION_TIMED_OUT",
		"KERN_CODESIGN_ERROR", "KERN_POLICY_STATIC", "KERN_INSUFFICIENT_BUFFER_SIZE"};
	return code < CRP_ARRAY_LEN(names) ? names[code] : NULL;
}

/* Darwin signal numbers. */
const char *crp_signal_name(uint64_t signal)
{
	static const char *const names[] = {
		NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGEMT",
		"SIGFPE", "SIGKILL", "SIGBUS", "SIGSEGV", "SIGSYS", "SIGPIPE", "SIGALRM", "SIGTERM",
		"SIGURG", "SIGSTOP", "SIGTSTP", "SIGCONT", "SIGCHLD", "SIGTTIN", "SIGTTOU", "SIGIO",
		"SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGINFO", "SIGUSR1",
		"SIGUSR2"};
	return signal < CRP_ARRAY_LEN(names) ? names[signal] : NULL;
}

const char *crp_signal_code_name(uint64_t signal, uint64_t code)
{
	static const char *const ill[] = {"ILL_NOOP", "ILL_ILLOPC", "ILL_ILLTRP", "ILL_PRVOPC",
					  "ILL_ILLOPN", "ILL_ILLADR", "ILL_PRVREG", "ILL_COPROC",
					  "ILL_BADSTK"};
	static const char *const fpe[] = {"FPE_NOOP", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND",
					  "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB", "FPE_INTDIV",
					  "FPE_INTOVF"};
	static const char *const segv[] = {"SEGV_NOOP", "SEGV_MAPERR", "SEGV_ACCERR"};
	static const char *const bus[] = {"BUS_NOOP", "BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR"};
	static const char *const trap[] = {"TRAP_NOOP", "TRAP_BRKPT", "TRAP_TRACE"};
	static const char *const si[] = {"SI_USER", "SI_QUEUE", "SI_TIMER", "SI_ASYNCIO", "SI_MESGQ"};
#define PICK(t) return code < CRP_ARRAY_LEN(t) ? t[code] : NULL
	if (code >= 0x10001 && code <= 0x10005)
		return si[code - 0x10001];
	switch (signal) {
	case 4: PICK(ill);
	case 8: PICK(fpe);
	case 11: PICK(segv);
	case 10: PICK(bus);
	case 5: PICK(trap);
	default: return NULL;
	}
#undef PICK
}
