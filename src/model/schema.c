/* Field tables of the KSCrash report model. Order is the order the JSON writer emits, which
 * follows KSCrash's own C writer. Aliases (CRP_FF_ALIAS) are older spellings: read, never
 * written. schema/kscrash-fields.md documents the same table for humans. */
#include "model.h"

#define KEY(k) k, (uint8_t)(sizeof(k) - 1)
#define FLD(T, k, kind, m, bit) {KEY(k), kind, 0, kind, (uint16_t)offsetof(T, m), bit, NULL, 0, 0}
#define SUB(T, k, kind, m, bit, sub) {KEY(k), kind, 0, kind, (uint16_t)offsetof(T, m), bit, &sub, 0, 0}
/* A flat 2012 key stored in nested record NT (at member nm of T, presence bit nb). */
#define NEST(T, k, kind, nm, nb, NT, m, bit)                                                       \
	{KEY(k), kind, CRP_FF_ALIAS, CRP_K_NONE, (uint16_t)offsetof(NT, m), bit, NULL,                 \
	 (uint16_t)offsetof(T, nm), nb}
#define ALIAS(T, k, kind, m, bit)                                                                  \
	{KEY(k), kind, CRP_FF_ALIAS, CRP_K_NONE, (uint16_t)offsetof(T, m), bit, NULL, 0, 0}
#define RD(id, name, T, fields) {id, name, sizeof(T), fields, CRP_ARRAY_LEN(fields), NULL}

/* -- report ------------------------------------------------------------------------------- */

static const crp_fdesc version_fields[] = {
	FLD(crp_version, "major", CRP_K_U64, major, CRP_VER_MAJOR),
	FLD(crp_version, "minor", CRP_K_U64, minor, CRP_VER_MINOR),
	FLD(crp_version, "patch", CRP_K_U64, patch, CRP_VER_PATCH),
};
const crp_rdesc crp__version_desc = RD(CRP_RD_VERSION, "version", crp_version, version_fields);

static const crp_fdesc info_fields[] = {
	SUB(crp_info, "version", CRP_K_VERSION, version, CRP_INFO_VERSION, crp__version_desc),
	FLD(crp_info, "id", CRP_K_STR, id, CRP_INFO_ID),
	FLD(crp_info, "process_name", CRP_K_STR, process_name, CRP_INFO_PROCESS_NAME),
	FLD(crp_info, "timestamp", CRP_K_TIME, timestamp, CRP_INFO_TIMESTAMP),
	FLD(crp_info, "type", CRP_K_STR, type, CRP_INFO_TYPE),
	FLD(crp_info, "run_id", CRP_K_STR, run_id, CRP_INFO_RUN_ID),
	FLD(crp_info, "monitor_id", CRP_K_STR, monitor_id, CRP_INFO_MONITOR_ID),
	FLD(crp_info, "timestamp_millis", CRP_K_U64, timestamp_millis, CRP_INFO_TIMESTAMP_MILLIS),
};
const crp_rdesc crp__info_desc = RD(CRP_RD_INFO, "report", crp_info, info_fields);

/* -- system ------------------------------------------------------------------------------- */

static const crp_fdesc memory_fields[] = {
	FLD(crp_memory, "size", CRP_K_U64, size, CRP_MEMORY_SIZE),
	FLD(crp_memory, "usable", CRP_K_U64, usable, CRP_MEMORY_USABLE),
	FLD(crp_memory, "free", CRP_K_U64, free, CRP_MEMORY_FREE),
};
static const crp_rdesc memory_desc = RD(CRP_RD_MEMORY, "memory", crp_memory, memory_fields);

#define STATS(k, kind, m, bit) FLD(crp_app_stats, k, kind, m, bit)
static const crp_fdesc stats_fields[] = {
	STATS("application_active", CRP_K_BOOL, application_active, CRP_STATS_APPLICATION_ACTIVE),
	STATS("application_in_foreground", CRP_K_BOOL, application_in_foreground,
	      CRP_STATS_APPLICATION_IN_FOREGROUND),
	STATS("launches_since_last_crash", CRP_K_U64, launches_since_last_crash,
	      CRP_STATS_LAUNCHES_SINCE_LAST_CRASH),
	STATS("sessions_since_last_crash", CRP_K_U64, sessions_since_last_crash,
	      CRP_STATS_SESSIONS_SINCE_LAST_CRASH),
	STATS("active_time_since_last_crash", CRP_K_F64, active_time_since_last_crash,
	      CRP_STATS_ACTIVE_TIME_SINCE_LAST_CRASH),
	STATS("background_time_since_last_crash", CRP_K_F64, background_time_since_last_crash,
	      CRP_STATS_BACKGROUND_TIME_SINCE_LAST_CRASH),
	STATS("sessions_since_launch", CRP_K_U64, sessions_since_launch, CRP_STATS_SESSIONS_SINCE_LAUNCH),
	STATS("active_time_since_launch", CRP_K_F64, active_time_since_launch,
	      CRP_STATS_ACTIVE_TIME_SINCE_LAUNCH),
	STATS("background_time_since_launch", CRP_K_F64, background_time_since_launch,
	      CRP_STATS_BACKGROUND_TIME_SINCE_LAUNCH),
};
static const crp_rdesc stats_desc = RD(CRP_RD_STATS, "application_stats", crp_app_stats, stats_fields);

#define APPMEM(k, kind, m, bit) FLD(crp_app_memory, k, kind, m, bit)
static const crp_fdesc appmem_fields[] = {
	APPMEM("memory_footprint", CRP_K_U64, memory_footprint, CRP_APPMEM_MEMORY_FOOTPRINT),
	APPMEM("memory_remaining", CRP_K_U64, memory_remaining, CRP_APPMEM_MEMORY_REMAINING),
	APPMEM("memory_pressure", CRP_K_STR, memory_pressure, CRP_APPMEM_MEMORY_PRESSURE),
	APPMEM("memory_level", CRP_K_STR, memory_level, CRP_APPMEM_MEMORY_LEVEL),
	APPMEM("memory_limit", CRP_K_U64, memory_limit, CRP_APPMEM_MEMORY_LIMIT),
	APPMEM("app_transition_state", CRP_K_STR, app_transition_state, CRP_APPMEM_APP_TRANSITION_STATE),
	APPMEM("timestamp", CRP_K_U64, timestamp, CRP_APPMEM_TIMESTAMP),
};
static const crp_rdesc appmem_desc = RD(CRP_RD_APPMEM, "app_memory", crp_app_memory, appmem_fields);

#define SYS(k, kind, m, bit) FLD(crp_system, k, kind, m, bit)
#define SYS_STATS(k, kind, m, bit)                                                                 \
	NEST(crp_system, k, kind, application_stats, CRP_SYSTEM_APPLICATION_STATS, crp_app_stats, m, bit)
#define SYS_MEM(k, m, bit) NEST(crp_system, k, CRP_K_U64, memory, CRP_SYSTEM_MEMORY, crp_memory, m, bit)
static const crp_fdesc system_fields[] = {
	SYS("system_name", CRP_K_STR, system_name, CRP_SYSTEM_SYSTEM_NAME),
	SYS("system_version", CRP_K_STR, system_version, CRP_SYSTEM_SYSTEM_VERSION),
	SYS("machine", CRP_K_STR, machine, CRP_SYSTEM_MACHINE),
	SYS("model", CRP_K_STR, model, CRP_SYSTEM_MODEL),
	SYS("kernel_version", CRP_K_STR, kernel_version, CRP_SYSTEM_KERNEL_VERSION),
	SYS("os_version", CRP_K_STR, os_version, CRP_SYSTEM_OS_VERSION),
	SYS("jailbroken", CRP_K_BOOL, jailbroken, CRP_SYSTEM_JAILBROKEN),
	SYS("proc_translated", CRP_K_BOOL, proc_translated, CRP_SYSTEM_PROC_TRANSLATED),
	SYS("boot_time", CRP_K_TIME, boot_time, CRP_SYSTEM_BOOT_TIME),
	SYS("app_start_time", CRP_K_TIME, app_start_time, CRP_SYSTEM_APP_START_TIME),
	SYS("CFBundleExecutablePath", CRP_K_STR, executable_path, CRP_SYSTEM_EXECUTABLE_PATH),
	SYS("CFBundleExecutable", CRP_K_STR, executable, CRP_SYSTEM_EXECUTABLE),
	SYS("CFBundleIdentifier", CRP_K_STR, bundle_id, CRP_SYSTEM_BUNDLE_ID),
	SYS("CFBundleName", CRP_K_STR, bundle_name, CRP_SYSTEM_BUNDLE_NAME),
	SYS("CFBundleVersion", CRP_K_STR, bundle_version, CRP_SYSTEM_BUNDLE_VERSION),
	SYS("CFBundleShortVersionString", CRP_K_STR, bundle_short_version,
	    CRP_SYSTEM_BUNDLE_SHORT_VERSION),
	SYS("app_uuid", CRP_K_STR, app_uuid, CRP_SYSTEM_APP_UUID),
	SYS("cpu_arch", CRP_K_STR, cpu_arch, CRP_SYSTEM_CPU_ARCH),
	SYS("binary_arch", CRP_K_STR, binary_arch, CRP_SYSTEM_BINARY_ARCH),
	SYS("cpu_type", CRP_K_I32, cpu_type, CRP_SYSTEM_CPU_TYPE),
	SYS("cpu_subtype", CRP_K_I32, cpu_subtype, CRP_SYSTEM_CPU_SUBTYPE),
	SYS("binary_cpu_type", CRP_K_I32, binary_cpu_type, CRP_SYSTEM_BINARY_CPU_TYPE),
	SYS("binary_cpu_subtype", CRP_K_I32, binary_cpu_subtype, CRP_SYSTEM_BINARY_CPU_SUBTYPE),
	SYS("clang_version", CRP_K_STR, clang_version, CRP_SYSTEM_CLANG_VERSION),
	SYS("time_zone", CRP_K_STR, time_zone, CRP_SYSTEM_TIME_ZONE),
	SYS("process_name", CRP_K_STR, process_name, CRP_SYSTEM_PROCESS_NAME),
	SYS("process_id", CRP_K_I64, process_id, CRP_SYSTEM_PROCESS_ID),
	SYS("parent_process_id", CRP_K_I64, parent_process_id, CRP_SYSTEM_PARENT_PROCESS_ID),
	SYS("parent_process_name", CRP_K_STR, parent_process_name, CRP_SYSTEM_PARENT_PROCESS_NAME),
	SYS("device_app_hash", CRP_K_STR, device_app_hash, CRP_SYSTEM_DEVICE_APP_HASH),
	SYS("build_type", CRP_K_STR, build_type, CRP_SYSTEM_BUILD_TYPE),
	SYS("storage", CRP_K_U64, storage, CRP_SYSTEM_STORAGE),
	SYS("freeStorage", CRP_K_U64, free_storage, CRP_SYSTEM_FREE_STORAGE),
	SUB(crp_system, "memory", CRP_K_RECORD, memory, CRP_SYSTEM_MEMORY, memory_desc),
	SUB(crp_system, "application_stats", CRP_K_RECORD, application_stats,
	    CRP_SYSTEM_APPLICATION_STATS, stats_desc),
	SUB(crp_system, "app_memory", CRP_K_RECORD, app_memory, CRP_SYSTEM_APP_MEMORY, appmem_desc),
	/* 2012 layout: flat memory and application stats. */
	SYS_MEM("mem_size", size, CRP_MEMORY_SIZE),
	SYS_MEM("usable_memory", usable, CRP_MEMORY_USABLE),
	SYS_MEM("free_memory", free, CRP_MEMORY_FREE),
	SYS_STATS("application_active", CRP_K_BOOL, application_active, CRP_STATS_APPLICATION_ACTIVE),
	SYS_STATS("application_in_foreground", CRP_K_BOOL, application_in_foreground,
		  CRP_STATS_APPLICATION_IN_FOREGROUND),
	SYS_STATS("launches_since_last_crash", CRP_K_U64, launches_since_last_crash,
		  CRP_STATS_LAUNCHES_SINCE_LAST_CRASH),
	SYS_STATS("sessions_since_last_crash", CRP_K_U64, sessions_since_last_crash,
		  CRP_STATS_SESSIONS_SINCE_LAST_CRASH),
	SYS_STATS("active_time_since_last_crash", CRP_K_F64, active_time_since_last_crash,
		  CRP_STATS_ACTIVE_TIME_SINCE_LAST_CRASH),
	SYS_STATS("background_time_since_last_crash", CRP_K_F64, background_time_since_last_crash,
		  CRP_STATS_BACKGROUND_TIME_SINCE_LAST_CRASH),
	SYS_STATS("sessions_since_launch", CRP_K_U64, sessions_since_launch,
		  CRP_STATS_SESSIONS_SINCE_LAUNCH),
	SYS_STATS("active_time_since_launch", CRP_K_F64, active_time_since_launch,
		  CRP_STATS_ACTIVE_TIME_SINCE_LAUNCH),
	SYS_STATS("background_time_since_launch", CRP_K_F64, background_time_since_launch,
		  CRP_STATS_BACKGROUND_TIME_SINCE_LAUNCH),
};
const crp_rdesc crp__system_desc = RD(CRP_RD_SYSTEM, "system", crp_system, system_fields);

/* -- binary images ------------------------------------------------------------------------ */

#define IMG(k, kind, m, bit) FLD(crp_image, k, kind, m, bit)
static const crp_fdesc image_fields[] = {
	IMG("image_addr", CRP_K_U64, image_addr, CRP_IMAGE_ADDR),
	IMG("image_vmaddr", CRP_K_U64, image_vmaddr, CRP_IMAGE_VMADDR),
	IMG("image_size", CRP_K_U64, image_size, CRP_IMAGE_SIZE),
	IMG("name", CRP_K_STR, name, CRP_IMAGE_NAME),
	IMG("uuid", CRP_K_UUID, uuid, CRP_IMAGE_UUID),
	IMG("cpu_type", CRP_K_I32, cpu_type, CRP_IMAGE_CPU_TYPE),
	IMG("cpu_subtype", CRP_K_I32, cpu_subtype, CRP_IMAGE_CPU_SUBTYPE),
	IMG("major_version", CRP_K_U64, major_version, CRP_IMAGE_MAJOR_VERSION),
	IMG("minor_version", CRP_K_U64, minor_version, CRP_IMAGE_MINOR_VERSION),
	IMG("revision_version", CRP_K_U64, revision_version, CRP_IMAGE_REVISION_VERSION),
	IMG("crash_info_message", CRP_K_STR, crash_info_message, CRP_IMAGE_CRASH_INFO_MESSAGE),
	IMG("crash_info_message2", CRP_K_STR, crash_info_message2, CRP_IMAGE_CRASH_INFO_MESSAGE2),
	IMG("crash_info_backtrace", CRP_K_STR, crash_info_backtrace, CRP_IMAGE_CRASH_INFO_BACKTRACE),
	IMG("crash_info_signature", CRP_K_STR, crash_info_signature, CRP_IMAGE_CRASH_INFO_SIGNATURE),
};
const crp_rdesc crp__image_desc = RD(CRP_RD_IMAGE, "binary_image", crp_image, image_fields);

/* -- threads ------------------------------------------------------------------------------ */

#define FRM(k, kind, m, bit) FLD(crp_frame, k, kind, m, bit)
static const crp_fdesc frame_fields[] = {
	FRM("object_name", CRP_K_STR, object_name, CRP_FRAME_OBJECT_NAME),
	FRM("object_addr", CRP_K_U64, object_addr, CRP_FRAME_OBJECT_ADDR),
	FRM("symbol_name", CRP_K_STR, symbol_name, CRP_FRAME_SYMBOL_NAME),
	FRM("symbol_addr", CRP_K_U64, symbol_addr, CRP_FRAME_SYMBOL_ADDR),
	FRM("instruction_addr", CRP_K_U64, instruction_addr, CRP_FRAME_INSTRUCTION_ADDR),
	FRM("object_uuid", CRP_K_UUID, object_uuid, CRP_FRAME_OBJECT_UUID),
};
const crp_rdesc crp__frame_desc = RD(CRP_RD_FRAME, "frame", crp_frame, frame_fields);

static const crp_fdesc backtrace_fields[] = {
	SUB(crp_backtrace, "contents", CRP_K_ARRAY, frames, CRP_BACKTRACE_CONTENTS, crp__frame_desc),
	FLD(crp_backtrace, "skipped", CRP_K_U64, skipped, CRP_BACKTRACE_SKIPPED),
};
const crp_rdesc crp__backtrace_desc = RD(CRP_RD_BACKTRACE, "backtrace", crp_backtrace, backtrace_fields);

static const crp_fdesc regset_fields[] = {{NULL, 0, 0, 0, CRP_K_NONE, 0, 0, NULL, 0, 0}};
const crp_rdesc crp__regset_desc = {CRP_RD_REGSET, "registers", sizeof(crp_regset), regset_fields, 0, NULL};

static const crp_fdesc registers_fields[] = {
	SUB(crp_registers, "basic", CRP_K_REGSET, basic, CRP_REGISTERS_BASIC, crp__regset_desc),
	SUB(crp_registers, "exception", CRP_K_REGSET, exception, CRP_REGISTERS_EXCEPTION,
	    crp__regset_desc),
};
const crp_rdesc crp__registers_desc = RD(CRP_RD_REGISTERS, "registers", crp_registers, registers_fields);

#define STK(k, kind, m, bit) FLD(crp_stack, k, kind, m, bit)
static const crp_fdesc stack_fields[] = {
	STK("grow_direction", CRP_K_STR, grow_direction, CRP_STACK_GROW_DIRECTION),
	STK("dump_start", CRP_K_U64, dump_start, CRP_STACK_DUMP_START),
	STK("dump_end", CRP_K_U64, dump_end, CRP_STACK_DUMP_END),
	STK("stack_pointer", CRP_K_U64, stack_pointer, CRP_STACK_STACK_POINTER),
	STK("overflow", CRP_K_BOOL, overflow, CRP_STACK_OVERFLOW),
	STK("contents", CRP_K_HEX, contents, CRP_STACK_CONTENTS),
	STK("error", CRP_K_STR, error, CRP_STACK_ERROR),
};
static const crp_rdesc stack_desc = RD(CRP_RD_STACK, "stack", crp_stack, stack_fields);

#define THR(k, kind, m, bit) FLD(crp_thread, k, kind, m, bit)
static const crp_fdesc thread_fields[] = {
	SUB(crp_thread, "backtrace", CRP_K_BACKTRACE, backtrace, CRP_THREAD_BACKTRACE,
	    crp__backtrace_desc),
	SUB(crp_thread, "registers", CRP_K_RECORD, registers, CRP_THREAD_REGISTERS,
	    crp__registers_desc),
	THR("index", CRP_K_U64, index, CRP_THREAD_INDEX),
	THR("name", CRP_K_STR, name, CRP_THREAD_NAME),
	THR("dispatch_queue", CRP_K_STR, dispatch_queue, CRP_THREAD_DISPATCH_QUEUE),
	THR("state", CRP_K_STR, state, CRP_THREAD_STATE),
	THR("crashed", CRP_K_BOOL, crashed, CRP_THREAD_CRASHED),
	THR("current_thread", CRP_K_BOOL, current_thread, CRP_THREAD_CURRENT_THREAD),
	SUB(crp_thread, "stack", CRP_K_RECORD, stack, CRP_THREAD_STACK, stack_desc),
	THR("notable_addresses", CRP_K_VALUE, notable_addresses, CRP_THREAD_NOTABLE_ADDRESSES),
	/* 2012 layout */
	NEST(crp_thread, "backtrace_skipped", CRP_K_U64, backtrace, CRP_THREAD_BACKTRACE,
	     crp_backtrace, skipped, CRP_BACKTRACE_SKIPPED),
};
const crp_rdesc crp__thread_desc = RD(CRP_RD_THREAD, "thread", crp_thread, thread_fields);

/* -- crash.error -------------------------------------------------------------------------- */

static const crp_fdesc mach_fields[] = {
	FLD(crp_mach, "exception", CRP_K_U64, exception, CRP_MACH_EXCEPTION),
	FLD(crp_mach, "exception_name", CRP_K_STR, exception_name, CRP_MACH_EXCEPTION_NAME),
	FLD(crp_mach, "code", CRP_K_U64, code, CRP_MACH_CODE),
	FLD(crp_mach, "code_name", CRP_K_STR, code_name, CRP_MACH_CODE_NAME),
	FLD(crp_mach, "subcode", CRP_K_U64, subcode, CRP_MACH_SUBCODE),
};
static const crp_rdesc mach_desc = RD(CRP_RD_MACH, "mach", crp_mach, mach_fields);

static const crp_fdesc signal_fields[] = {
	FLD(crp_signal, "signal", CRP_K_U64, signal, CRP_SIGNAL_SIGNAL),
	FLD(crp_signal, "name", CRP_K_STR, name, CRP_SIGNAL_NAME),
	FLD(crp_signal, "code", CRP_K_U64, code, CRP_SIGNAL_CODE),
	FLD(crp_signal, "code_name", CRP_K_STR, code_name, CRP_SIGNAL_CODE_NAME),
};
/* 2012 reports write "signal": 6 in the error object itself. */
static const crp_rdesc signal_desc = {CRP_RD_SIGNAL, "signal", sizeof(crp_signal), signal_fields,
				      CRP_ARRAY_LEN(signal_fields), "signal"};

#define NSX(k, kind, m, bit) FLD(crp_nsexception, k, kind, m, bit)
static const crp_fdesc nsexception_fields[] = {
	NSX("name", CRP_K_STR, name, CRP_NSEXC_NAME),
	NSX("userInfo", CRP_K_STR, user_info, CRP_NSEXC_USER_INFO),
	NSX("reason", CRP_K_STR, reason, CRP_NSEXC_REASON),
	NSX("address", CRP_K_U64, address, CRP_NSEXC_ADDRESS),
	NSX("referenced_object", CRP_K_VALUE, referenced_object, CRP_NSEXC_REFERENCED_OBJECT),
	SUB(crp_nsexception, "backtrace", CRP_K_BACKTRACE, backtrace, CRP_NSEXC_BACKTRACE,
	    crp__backtrace_desc),
};
static const crp_rdesc nsexception_desc = RD(CRP_RD_NSEXCEPTION, "nsexception", crp_nsexception, nsexception_fields);

static const crp_fdesc cpp_fields[] = {
	FLD(crp_cpp_exception, "name", CRP_K_STR, name, CRP_CPPEXC_NAME),
};
static const crp_rdesc cpp_desc = RD(CRP_RD_CPP, "cpp_exception", crp_cpp_exception, cpp_fields);

static const crp_fdesc user_exc_fields[] = {
	FLD(crp_user_exception, "name", CRP_K_STR, name, CRP_USEREXC_NAME),
	FLD(crp_user_exception, "language", CRP_K_STR, language, CRP_USEREXC_LANGUAGE),
	FLD(crp_user_exception, "line_of_code", CRP_K_STR, line_of_code, CRP_USEREXC_LINE_OF_CODE),
	FLD(crp_user_exception, "backtrace", CRP_K_VALUE, backtrace, CRP_USEREXC_BACKTRACE),
};
static const crp_rdesc user_exc_desc = RD(CRP_RD_USER_EXC, "user_reported", crp_user_exception, user_exc_fields);

static const crp_fdesc hang_fields[] = {
	FLD(crp_hang, "hang_start_nanos", CRP_K_U64, hang_start_nanos, CRP_HANG_START_NANOS),
	FLD(crp_hang, "hang_start_role", CRP_K_STR, hang_start_role, CRP_HANG_START_ROLE),
	FLD(crp_hang, "hang_end_nanos", CRP_K_U64, hang_end_nanos, CRP_HANG_END_NANOS),
	FLD(crp_hang, "hang_end_role", CRP_K_STR, hang_end_role, CRP_HANG_END_ROLE),
};
static const crp_rdesc hang_desc = RD(CRP_RD_HANG, "hang", crp_hang, hang_fields);

static const crp_fdesc exit_reason_fields[] = {
	FLD(crp_exit_reason, "code", CRP_K_U64, code, CRP_EXIT_REASON_CODE),
};
static const crp_rdesc exit_reason_desc = RD(CRP_RD_EXIT_REASON, "exit_reason", crp_exit_reason, exit_reason_fields);

#define ERR(k, kind, m, bit) FLD(crp_crash_error, k, kind, m, bit)
#define ERR_SUB(k, m, bit, sub) SUB(crp_crash_error, k, CRP_K_RECORD, m, bit, sub)
#define ERR_MACH(k, kind, m, bit) NEST(crp_crash_error, k, kind, mach, CRP_ERROR_MACH, crp_mach, m, bit)
#define ERR_SIG(k, kind, m, bit)                                                                   \
	NEST(crp_crash_error, k, kind, signal, CRP_ERROR_SIGNAL, crp_signal, m, bit)
static const crp_fdesc error_fields[] = {
	ERR_SUB("mach", mach, CRP_ERROR_MACH, mach_desc),
	ERR_SUB("signal", signal, CRP_ERROR_SIGNAL, signal_desc),
	ERR("address", CRP_K_U64, address, CRP_ERROR_ADDRESS),
	ERR("reason", CRP_K_STR, reason, CRP_ERROR_REASON),
	ERR("type", CRP_K_STR, type, CRP_ERROR_TYPE),
	ERR_SUB("nsexception", nsexception, CRP_ERROR_NSEXCEPTION, nsexception_desc),
	ERR_SUB("cpp_exception", cpp_exception, CRP_ERROR_CPP_EXCEPTION, cpp_desc),
	ERR_SUB("user_reported", user_reported, CRP_ERROR_USER_REPORTED, user_exc_desc),
	ERR_SUB("memory_termination", memory_termination, CRP_ERROR_MEMORY_TERMINATION, appmem_desc),
	ERR_SUB("hang", hang, CRP_ERROR_HANG, hang_desc),
	ERR_SUB("exit_reason", exit_reason, CRP_ERROR_EXIT_REASON, exit_reason_desc),
	ERR("profile", CRP_K_VALUE, profile, CRP_ERROR_PROFILE),
	ERR("termination_reason", CRP_K_STR, termination_reason, CRP_ERROR_TERMINATION_REASON),
	ERR("is_fatal", CRP_K_BOOL, is_fatal, CRP_ERROR_IS_FATAL),
	ERR("is_clean_exit", CRP_K_BOOL, is_clean_exit, CRP_ERROR_IS_CLEAN_EXIT),
	/* 2012 layout: flat keys. */
	ERR_MACH("mach_exception", CRP_K_STR, exception_name, CRP_MACH_EXCEPTION_NAME),
	ERR_MACH("mach_code", CRP_K_U64, code, CRP_MACH_CODE),
	ERR_MACH("mach_code_name", CRP_K_STR, code_name, CRP_MACH_CODE_NAME),
	ERR_MACH("mach_subcode", CRP_K_U64, subcode, CRP_MACH_SUBCODE),
	ERR_SIG("signal_name", CRP_K_STR, name, CRP_SIGNAL_NAME),
	ERR_SIG("signal_code", CRP_K_U64, code, CRP_SIGNAL_CODE),
	ERR_SIG("signal_code_name", CRP_K_STR, code_name, CRP_SIGNAL_CODE_NAME),
	NEST(crp_crash_error, "nsexception_name", CRP_K_STR, nsexception, CRP_ERROR_NSEXCEPTION,
	     crp_nsexception, name, CRP_NSEXC_NAME),
	ALIAS(crp_crash_error, "nsexception_reason", CRP_K_STR, reason, CRP_ERROR_REASON),
};
const crp_rdesc crp__error_desc = RD(CRP_RD_ERROR, "error", crp_crash_error, error_fields);

/* -- crash, process, debug, body ---------------------------------------------------------- */

static const crp_fdesc crash_fields[] = {
	SUB(crp_crash, "error", CRP_K_RECORD, error, CRP_CRASH_ERROR, crp__error_desc),
	SUB(crp_crash, "threads", CRP_K_ARRAY, threads, CRP_CRASH_THREADS, crp__thread_desc),
	SUB(crp_crash, "crashed_thread", CRP_K_RECPTR, crashed_thread, CRP_CRASH_CRASHED_THREAD,
	    crp__thread_desc),
	FLD(crp_crash, "diagnosis", CRP_K_STR, diagnosis, CRP_CRASH_DIAGNOSIS),
	SUB(crp_crash, "last_exception_backtrace", CRP_K_BACKTRACE, last_exception_backtrace,
	    CRP_CRASH_LAST_EXCEPTION_BACKTRACE, crp__backtrace_desc),
	/* 2012 layout: images inside crash, stored in the body. */
	{KEY("binary_images"), CRP_K_ARRAY, CRP_FF_ALIAS | CRP_FF_LEGACY | CRP_FF_BODY, CRP_K_NONE,
	 (uint16_t)offsetof(crp_body, images), CRP_SECTION_BINARY_IMAGES, &crp__image_desc, 0, 0},
};
const crp_rdesc crp__crash_desc = RD(CRP_RD_CRASH, "crash", crp_crash, crash_fields);

static const crp_fdesc process_fields[] = {
	SUB(crp_process, "last_dealloced_nsexception", CRP_K_RECORD, last_dealloced_nsexception,
	    CRP_PROCESS_LAST_DEALLOCED_NSEXCEPTION, nsexception_desc),
};
static const crp_rdesc process_desc = RD(CRP_RD_PROCESS, "process", crp_process, process_fields);

static const crp_fdesc debug_fields[] = {
	FLD(crp_debug, "console_log", CRP_K_STRLIST, console_log, CRP_DEBUG_CONSOLE_LOG),
};
const crp_rdesc crp__debug_desc = RD(CRP_RD_DEBUG, "debug", crp_debug, debug_fields);

#define BODY(k, kind, m, bit) FLD(crp_body, k, kind, m, bit)
#define BODY_SUB(k, kind, m, bit, sub) SUB(crp_body, k, kind, m, bit, sub)
#define BODY_INFO(k, kind, m, bit)                                                                 \
	{KEY(k), kind, CRP_FF_ALIAS | CRP_FF_LEGACY, CRP_K_NONE, (uint16_t)(m), bit, NULL,         \
	 (uint16_t)offsetof(crp_body, info), CRP_SECTION_REPORT}
static const crp_fdesc body_fields[] = {
	BODY("recrash_report", CRP_K_REPORT, recrash, CRP_SECTION_RECRASH),
	BODY_SUB("report", CRP_K_RECORD, info, CRP_SECTION_REPORT, crp__info_desc),
	BODY_SUB("binary_images", CRP_K_ARRAY, images, CRP_SECTION_BINARY_IMAGES, crp__image_desc),
	BODY_SUB("process", CRP_K_RECORD, process, CRP_SECTION_PROCESS, process_desc),
	BODY_SUB("system", CRP_K_RECORD, system, CRP_SECTION_SYSTEM, crp__system_desc),
	BODY_SUB("crash", CRP_K_RECORD, crash, CRP_SECTION_CRASH, crp__crash_desc),
	BODY("user", CRP_K_USER, user, CRP_SECTION_USER),
	BODY_SUB("debug", CRP_K_RECORD, debug, CRP_SECTION_DEBUG, crp__debug_desc),
	BODY("incomplete", CRP_K_BOOL, incomplete, CRP_SECTION_INCOMPLETE),
	/* 1.0 - 1.10 raw files: merged into system and user. */
	{KEY("system_atcrash"), CRP_K_RECORD, CRP_FF_ALIAS | CRP_FF_MERGE, CRP_K_NONE,
	 (uint16_t)offsetof(crp_body, system), CRP_SECTION_SYSTEM, &crp__system_desc, 0, 0},
	{KEY("user_atcrash"), CRP_K_USER, CRP_FF_ALIAS | CRP_FF_MERGE, CRP_K_NONE,
	 (uint16_t)offsetof(crp_body, user), CRP_SECTION_USER, NULL, 0, 0},
	/* 2012 layout: identity at the top level. */
	BODY_INFO("crash_id", CRP_K_STR, offsetof(crp_info, id), CRP_INFO_ID),
	BODY_INFO("timestamp", CRP_K_TIME, offsetof(crp_info, timestamp), CRP_INFO_TIMESTAMP),
	BODY_INFO("report_version_major", CRP_K_U64,
		  offsetof(crp_info, version) + offsetof(crp_version, major), CRP_INFO_VERSION),
	BODY_INFO("report_version_minor", CRP_K_U64,
		  offsetof(crp_info, version) + offsetof(crp_version, minor), CRP_INFO_VERSION),
};
const crp_rdesc crp__body_desc = RD(CRP_RD_BODY, "report", crp_body, body_fields);

const crp_rdesc *const crp__rdescs[CRP_RD_COUNT] = {
	[CRP_RD_VERSION] = &crp__version_desc, [CRP_RD_INFO] = &crp__info_desc,
	[CRP_RD_MEMORY] = &memory_desc, [CRP_RD_STATS] = &stats_desc, [CRP_RD_APPMEM] = &appmem_desc,
	[CRP_RD_SYSTEM] = &crp__system_desc, [CRP_RD_IMAGE] = &crp__image_desc,
	[CRP_RD_FRAME] = &crp__frame_desc, [CRP_RD_BACKTRACE] = &crp__backtrace_desc,
	[CRP_RD_REGSET] = &crp__regset_desc, [CRP_RD_REGISTERS] = &crp__registers_desc,
	[CRP_RD_STACK] = &stack_desc, [CRP_RD_THREAD] = &crp__thread_desc, [CRP_RD_MACH] = &mach_desc,
	[CRP_RD_SIGNAL] = &signal_desc, [CRP_RD_NSEXCEPTION] = &nsexception_desc, [CRP_RD_CPP] = &cpp_desc,
	[CRP_RD_USER_EXC] = &user_exc_desc, [CRP_RD_HANG] = &hang_desc,
	[CRP_RD_EXIT_REASON] = &exit_reason_desc, [CRP_RD_ERROR] = &crp__error_desc,
	[CRP_RD_CRASH] = &crp__crash_desc, [CRP_RD_PROCESS] = &process_desc,
	[CRP_RD_DEBUG] = &crp__debug_desc, [CRP_RD_BODY] = &crp__body_desc,
};

int crp__rdesc_find(const crp_rdesc *rd, const char *key, size_t len, size_t hint)
{
	size_t n = rd->field_count;
	for (size_t k = 0; k < n; k++) {
		size_t i = hint + k;
		if (i >= n)
			i -= n;
		const crp_fdesc *f = &rd->fields[i];
		if (f->key_len == len && memcmp(f->key, key, len) == 0)
			return (int)i;
	}
	return -1;
}

/* The reader's key-order table has room for this many fields per record. */
_Static_assert(CRP_ARRAY_LEN(system_fields) <= 64, "system has too many fields for the reader");

/* The typed-array slots must share crp_array_slot's layout. */
#define SLOT_OK(T, items_, count_, strays_)                                                        \
	_Static_assert(offsetof(T, count_) == offsetof(T, items_) + sizeof(void *) &&              \
			       offsetof(T, strays_) ==                                             \
				       offsetof(T, items_) + offsetof(crp_array_slot, strays),     \
		       #T "." #items_ " is not laid out as crp_array_slot")
SLOT_OK(crp_body, images, image_count, image_strays);
SLOT_OK(crp_crash, threads, thread_count, thread_strays);
SLOT_OK(crp_backtrace, frames, frame_count, frame_strays);
SLOT_OK(crp_debug, console_log, console_log_count, console_log_strays);
