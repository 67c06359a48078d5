/* What happened, in the terms minidump readers decode for Apple platforms: the Exception
 * stream's code (a Mach exception type) and flags (its code), and the SystemInfo facts.
 *
 * Mapping (README "minidump"): the report's type decides first: an uncaught NSException is
 * EXC_SOFTWARE / 0xDEADC0DE (UNCAUGHT_NS_EXCEPTION), a C++ exception EXC_SOFTWARE / SIGABRT
 * (std::terminate aborts), a user-reported event or a hang Crashpad's "simulated" code; else
 * the Mach exception when there is one (EXC_CRASH unwrapped to the exception it wraps, as
 * Crashpad does; EXC_RESOURCE/EXC_GUARD flags are code >> 32), else the signal mapped to the
 * Mach exception the kernel would have raised; else "simulated". */
#include <stdlib.h>

#include "md_internal.h"

enum { SIG_ILL = 4, SIG_TRAP = 5, SIG_ABRT = 6, SIG_EMT = 7, SIG_FPE = 8, SIG_BUS = 10,
       SIG_SEGV = 11, SIG_SYS = 12, SIG_PIPE = 13 };
#define KERN_INVALID_ADDRESS 1u
#define KERN_PROTECTION_FAILURE 2u
#define SEGV_ACCERR 2u

static bool type_is(const crp_crash_error *e, const char *type)
{
	return CRP_HAS(e, CRP_ERROR_TYPE) && e->type && strcmp(e->type, type) == 0;
}

/* A signal death as the Mach exception the kernel would have raised for it. */
static void from_signal(const md_arch *a, uint64_t sig, uint64_t si_code, md_crash *c)
{
	bool x86 = a && (a->kind == MDA_X86 || a->kind == MDA_AMD64);
	switch (sig) {
	case SIG_SEGV:
		c->code = MD_EXC_BAD_ACCESS;
		c->flags = si_code == SEGV_ACCERR ? KERN_PROTECTION_FAILURE : KERN_INVALID_ADDRESS;
		break;
	case SIG_BUS: c->code = MD_EXC_BAD_ACCESS; c->flags = KERN_PROTECTION_FAILURE; break;
	case SIG_ILL: c->code = MD_EXC_BAD_INSTRUCTION; c->flags = 1; break;
	case SIG_FPE: c->code = MD_EXC_ARITHMETIC; c->flags = x86 ? 1 : 0; break;
	case SIG_TRAP: c->code = MD_EXC_BREAKPOINT; c->flags = x86 ? 2 : 1; break;
	case SIG_EMT: c->code = MD_EXC_EMULATION; c->flags = 0; break;
	case SIG_ABRT: c->code = MD_EXC_SOFTWARE; c->flags = MD_EXC_SOFTWARE_SIGABRT; break;
	case SIG_SYS: c->code = MD_EXC_SOFTWARE; c->flags = MD_EXC_SOFTWARE_SIGSYS; break;
	case SIG_PIPE: c->code = MD_EXC_SOFTWARE; c->flags = MD_EXC_SOFTWARE_SIGPIPE; break;
	default: /* no Mach counterpart: EXC_CRASH carrying the signal, as XNU encodes it */
		c->code = MD_EXC_CRASH;
		c->flags = (uint32_t)(sig & 0xFF) << 24;
	}
}

static void from_mach(const md_arch *a, const crp_crash_error *e, md_crash *c)
{
	const crp_mach *m = &e->mach;
	uint64_t code = CRP_HAS(m, CRP_MACH_CODE) ? m->code : 0;
	if (m->exception == MD_EXC_CRASH) {
		uint32_t wrapped = (uint32_t)(code >> 20) & 0xF;
		uint64_t sig = (code >> 24) & 0xFF;
		if (!sig && CRP_HAS(&e->signal, CRP_SIGNAL_SIGNAL))
			sig = e->signal.signal;
		if (wrapped) {
			c->code = wrapped;
			c->flags = (uint32_t)code & 0xFFFFF;
		} else if (sig) {
			from_signal(a, sig, 0, c);
		} else {
			c->code = MD_EXC_CRASH;
			c->flags = (uint32_t)code;
		}
		return;
	}
	c->code = (uint32_t)m->exception;
	c->flags = m->exception == MD_EXC_RESOURCE || m->exception == MD_EXC_GUARD
			   ? (uint32_t)(code >> 32)
			   : (uint32_t)code;
}

bool crp__md_error_known(const crp_report *r)
{
	const crp_crash_error *e = &crp_report_crash(r)->error;
	return CRP_HAS(e, CRP_ERROR_TYPE) || CRP_HAS(e, CRP_ERROR_MACH) || CRP_HAS(e, CRP_ERROR_SIGNAL);
}

void crp__md_crash_map(const crp_report *r, const md_arch *a, uint64_t pc, md_crash *c)
{
	const crp_crash_error *e = &crp_report_crash(r)->error;
	bool mach = CRP_HAS(e, CRP_ERROR_MACH) && CRP_HAS(&e->mach, CRP_MACH_EXCEPTION) &&
		    e->mach.exception != 0;
	bool sig = CRP_HAS(e, CRP_ERROR_SIGNAL) && CRP_HAS(&e->signal, CRP_SIGNAL_SIGNAL) &&
		   e->signal.signal != 0;
	memset(c, 0, sizeof *c);
	c->present = true;
	if (type_is(e, "nsexception")) {
		c->code = MD_EXC_SOFTWARE;
		c->flags = MD_EXC_SOFTWARE_NSEXCEPTION;
	} else if (type_is(e, "cpp_exception")) {
		c->code = MD_EXC_SOFTWARE;
		c->flags = MD_EXC_SOFTWARE_SIGABRT;
	} else if (type_is(e, "user") || type_is(e, "hang") || type_is(e, "profile")) {
		c->code = MD_EXC_CRASHPAD_SIMULATED;
	} else if (mach) {
		from_mach(a, e, c);
	} else if (sig) {
		from_signal(a, e->signal.signal,
			    CRP_HAS(&e->signal, CRP_SIGNAL_CODE) ? e->signal.code : 0, c);
	} else {
		c->code = MD_EXC_CRASHPAD_SIMULATED;
	}
	if (CRP_HAS(e, CRP_ERROR_ADDRESS))
		c->address = e->address;
	else if (mach && e->mach.exception == MD_EXC_BAD_ACCESS && CRP_HAS(&e->mach, CRP_MACH_SUBCODE))
		c->address = e->mach.subcode;
	else
		c->address = pc;
	/* nothing lost: the raw Mach triple when there is one, else what was derived */
	if (mach) {
		c->info[0] = e->mach.exception;
		c->info[1] = CRP_HAS(&e->mach, CRP_MACH_CODE) ? e->mach.code : 0;
		c->info[2] = CRP_HAS(&e->mach, CRP_MACH_SUBCODE) ? e->mach.subcode : 0;
	} else {
		c->info[0] = c->code;
		c->info[1] = c->flags;
		c->info[2] = c->address;
	}
}

/* -- SystemInfo and MiscInfo facts -------------------------------------------------------- */

static bool has_prefix_ci(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if ((*s | 0x20) != (*prefix | 0x20))
			return false;
	return true;
}

static uint16_t platform_of(const md_plan *p)
{
	const crp_system *s = crp_report_system(p->sys_r);
	if (CRP_HAS(s, CRP_SYSTEM_SYSTEM_NAME) && s->system_name) {
		if (has_prefix_ci(s->system_name, "mac") || strstr(s->system_name, "OS X"))
			return MD_OS_MAC_OS_X;
		return MD_OS_IOS; /* iOS, iPhone OS, iPadOS, tvOS, watchOS, visionOS */
	}
	const crp_image *main = crp_report_main_image(p->img_r);
	if (main && main->name && strstr(main->name, "/Contents/MacOS/"))
		return MD_OS_MAC_OS_X;
	return MD_OS_IOS;
}

static void parse_version(const char *v, uint32_t out[3])
{
	for (int i = 0; i < 3 && v && *v >= '0' && *v <= '9'; i++) {
		uint64_t n = 0;
		while (*v >= '0' && *v <= '9') {
			if (n <= UINT32_MAX)
				n = n * 10 + (uint64_t)(*v - '0');
			v++;
		}
		out[i] = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
		if (*v != '.')
			break;
		v++;
	}
}

static uint32_t seconds_of(const crp_time *t)
{
	if (t->form == CRP_TIME_EMPTY || t->usec < 0)
		return 0;
	int64_t s = t->usec / 1000000;
	return s > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

int crp__md_plan_system(md_plan *p)
{
	const crp_system *s = crp_report_system(p->sys_r);
	const crp_info *info = crp_report_info(p->info_r);
	p->platform = platform_of(p);
	if (CRP_HAS(s, CRP_SYSTEM_SYSTEM_VERSION))
		parse_version(s->system_version, p->os_version);
	p->os_build = CRP_HAS(s, CRP_SYSTEM_OS_VERSION) && s->os_version ? s->os_version : "";
	if (CRP_HAS(info, CRP_INFO_TIMESTAMP))
		p->time_stamp = seconds_of(&info->timestamp);
	if (CRP_HAS(s, CRP_SYSTEM_PROCESS_ID) && s->process_id >= 0 &&
	    s->process_id <= (int64_t)UINT32_MAX) {
		p->misc_flags |= MD_MISCINFO_PROCESS_ID;
		p->pid = (uint32_t)s->process_id;
	}
	if (CRP_HAS(s, CRP_SYSTEM_APP_START_TIME) && seconds_of(&s->app_start_time)) {
		p->misc_flags |= MD_MISCINFO_PROCESS_TIMES;
		p->create_time = seconds_of(&s->app_start_time);
	}
	return CRP_OK;
}
