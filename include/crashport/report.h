/**
 * @file crashport/report.h
 * @brief The typed report model.
 *
 * A crp_report is an opaque handle that owns one arena holding every struct and string
 * reachable from it; crp_report_free() releases all of it at once. The leaf structs below are
 * public so they can be read directly. They are only ever allocated by the library, and fields
 * are only ever appended, so reading them is ABI-safe across minor releases.
 *
 * Every record starts with @c has (presence bits: a field is meaningful only when its bit is
 * set; string fields are also NULL when absent) and @c extras (members the model does not type,
 * in document order). Nothing the input carried is dropped: a key the model does not know, or a
 * known key with a value of an unexpected type, lands in @c extras; a non-object element of a
 * typed array lands in the owning record's @c *_strays.
 *
 * Numbers are stored as written, normalised only in representation: negative values of unsigned
 * fields are two's complement, hex strings ("0x1") are numbers, floats are truncated toward zero
 * (with a warning when that loses anything).
 *
 * Thread safety: a finished report is immutable (until symbolicated), so any number of threads
 * may read it concurrently.
 */
#ifndef CRP_REPORT_H
#define CRP_REPORT_H

#include "crashport/common.h"
#include "crashport/error.h"
#include "crashport/value.h"

CRP_BEGIN_DECL

typedef struct crp_report crp_report;

/** True when presence bit @p bit is set on record @p rec. */
#define CRP_HAS(rec, bit) (((rec)->has & (bit)) != 0)
#define CRP_BIT_(n) (UINT64_C(1) << (n))

/** How a time value was written. Added in 0.1. */
typedef enum crp_time_form {
	CRP_TIME_UNIX_SECONDS = 1,  /**< integer seconds since 1970 (raw reports < 3.3.0) */
	CRP_TIME_UNIX_MICROS = 2,   /**< integer microseconds since 1970 (raw reports >= 3.3.0) */
	CRP_TIME_TEXT = 3,          /**< "YYYY-MM-DDTHH:MM:SSZ" */
	CRP_TIME_TEXT_FRACTION = 4, /**< "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
	CRP_TIME_EMPTY = 5          /**< "" (KSCrash's fixer writes this for times in the future) */
} crp_time_form;

/** A point in time, UTC, microseconds since 1970-01-01T00:00:00Z. */
typedef struct crp_time {
	int64_t usec;        /**< meaningless when form is CRP_TIME_EMPTY */
	crp_time_form form;
} crp_time;

/** A Mach-O UUID, 16 bytes in the order they are printed. */
typedef struct crp_uuid {
	uint8_t bytes[16];
} crp_uuid;

/** Bytes decoded from a hex string (stack dumps). */
typedef struct crp_bytes {
	const uint8_t *data;
	size_t len;
} crp_bytes;

/* ------------------------------------------------------------------------------------------ */
/* report: identity and version                                                                */

/** How report.version was written. */
typedef enum crp_version_form {
	CRP_VERSION_FORM_STRING = 1,  /**< "3.2.0" (1.2.0 and later) */
	CRP_VERSION_FORM_OBJECT = 2,  /**< {"major": 3, "minor": 0} (2013 - 2016) */
	CRP_VERSION_FORM_LEGACY = 3   /**< top-level report_version_major/minor (2012 layout) */
} crp_version_form;

#define CRP_VER_MAJOR CRP_BIT_(0)
#define CRP_VER_MINOR CRP_BIT_(1)
#define CRP_VER_PATCH CRP_BIT_(2)
typedef struct crp_version {
	uint64_t has;
	crp_extras extras;
	uint64_t major;
	uint64_t minor;
	uint64_t patch;
	crp_version_form form;
	const char *text;        /**< the string as written (CRP_VERSION_STRING), else NULL */
} crp_version;

#define CRP_INFO_VERSION CRP_BIT_(0)
#define CRP_INFO_ID CRP_BIT_(1)
#define CRP_INFO_PROCESS_NAME CRP_BIT_(2)
#define CRP_INFO_TIMESTAMP CRP_BIT_(3)
#define CRP_INFO_TYPE CRP_BIT_(4)
#define CRP_INFO_RUN_ID CRP_BIT_(5)
#define CRP_INFO_MONITOR_ID CRP_BIT_(6)
#define CRP_INFO_TIMESTAMP_MILLIS CRP_BIT_(7)
/** The "report" object. */
typedef struct crp_info {
	uint64_t has;
	crp_extras extras;
	crp_version version;
	const char *id;             /**< event id, "Incident Identifier" */
	const char *process_name;
	crp_time timestamp;         /**< normalised to UTC microseconds whatever the input form */
	const char *type;           /**< "standard", "minimal", "custom", ... as written */
	const char *run_id;         /**< KSCrash 2.6+ */
	const char *monitor_id;     /**< KSCrash 2.6+ */
	uint64_t timestamp_millis;  /**< Bugsnag fork */
} crp_info;

/* ------------------------------------------------------------------------------------------ */
/* system                                                                                      */

#define CRP_MEMORY_SIZE CRP_BIT_(0)
#define CRP_MEMORY_USABLE CRP_BIT_(1)
#define CRP_MEMORY_FREE CRP_BIT_(2)
typedef struct crp_memory {
	uint64_t has;
	crp_extras extras;
	uint64_t size;
	uint64_t usable;
	uint64_t free;
} crp_memory;

#define CRP_STATS_APPLICATION_ACTIVE CRP_BIT_(0)
#define CRP_STATS_APPLICATION_IN_FOREGROUND CRP_BIT_(1)
#define CRP_STATS_LAUNCHES_SINCE_LAST_CRASH CRP_BIT_(2)
#define CRP_STATS_SESSIONS_SINCE_LAST_CRASH CRP_BIT_(3)
#define CRP_STATS_ACTIVE_TIME_SINCE_LAST_CRASH CRP_BIT_(4)
#define CRP_STATS_BACKGROUND_TIME_SINCE_LAST_CRASH CRP_BIT_(5)
#define CRP_STATS_SESSIONS_SINCE_LAUNCH CRP_BIT_(6)
#define CRP_STATS_ACTIVE_TIME_SINCE_LAUNCH CRP_BIT_(7)
#define CRP_STATS_BACKGROUND_TIME_SINCE_LAUNCH CRP_BIT_(8)
/** system.application_stats */
typedef struct crp_app_stats {
	uint64_t has;
	crp_extras extras;
	bool application_active;
	bool application_in_foreground;
	uint64_t launches_since_last_crash;
	uint64_t sessions_since_last_crash;
	double active_time_since_last_crash;
	double background_time_since_last_crash;
	uint64_t sessions_since_launch;
	double active_time_since_launch;
	double background_time_since_launch;
} crp_app_stats;

#define CRP_APPMEM_MEMORY_FOOTPRINT CRP_BIT_(0)
#define CRP_APPMEM_MEMORY_REMAINING CRP_BIT_(1)
#define CRP_APPMEM_MEMORY_PRESSURE CRP_BIT_(2)
#define CRP_APPMEM_MEMORY_LEVEL CRP_BIT_(3)
#define CRP_APPMEM_MEMORY_LIMIT CRP_BIT_(4)
#define CRP_APPMEM_APP_TRANSITION_STATE CRP_BIT_(5)
#define CRP_APPMEM_TIMESTAMP CRP_BIT_(6)
/** system.app_memory and crash.error.memory_termination (same shape). */
typedef struct crp_app_memory {
	uint64_t has;
	crp_extras extras;
	uint64_t memory_footprint;
	uint64_t memory_remaining;
	const char *memory_pressure;      /**< "normal", "warn", "urgent", "critical", "terminal" */
	const char *memory_level;
	uint64_t memory_limit;
	const char *app_transition_state;
	uint64_t timestamp;               /**< microseconds since 1970, as written */
} crp_app_memory;

#define CRP_SYSTEM_SYSTEM_NAME CRP_BIT_(0)
#define CRP_SYSTEM_SYSTEM_VERSION CRP_BIT_(1)
#define CRP_SYSTEM_MACHINE CRP_BIT_(2)
#define CRP_SYSTEM_MODEL CRP_BIT_(3)
#define CRP_SYSTEM_KERNEL_VERSION CRP_BIT_(4)
#define CRP_SYSTEM_OS_VERSION CRP_BIT_(5)
#define CRP_SYSTEM_JAILBROKEN CRP_BIT_(6)
#define CRP_SYSTEM_PROC_TRANSLATED CRP_BIT_(7)
#define CRP_SYSTEM_BOOT_TIME CRP_BIT_(8)
#define CRP_SYSTEM_APP_START_TIME CRP_BIT_(9)
#define CRP_SYSTEM_EXECUTABLE_PATH CRP_BIT_(10)
#define CRP_SYSTEM_EXECUTABLE CRP_BIT_(11)
#define CRP_SYSTEM_BUNDLE_ID CRP_BIT_(12)
#define CRP_SYSTEM_BUNDLE_NAME CRP_BIT_(13)
#define CRP_SYSTEM_BUNDLE_VERSION CRP_BIT_(14)
#define CRP_SYSTEM_BUNDLE_SHORT_VERSION CRP_BIT_(15)
#define CRP_SYSTEM_APP_UUID CRP_BIT_(16)
#define CRP_SYSTEM_CPU_ARCH CRP_BIT_(17)
#define CRP_SYSTEM_BINARY_ARCH CRP_BIT_(18)
#define CRP_SYSTEM_CPU_TYPE CRP_BIT_(19)
#define CRP_SYSTEM_CPU_SUBTYPE CRP_BIT_(20)
#define CRP_SYSTEM_BINARY_CPU_TYPE CRP_BIT_(21)
#define CRP_SYSTEM_BINARY_CPU_SUBTYPE CRP_BIT_(22)
#define CRP_SYSTEM_CLANG_VERSION CRP_BIT_(23)
#define CRP_SYSTEM_TIME_ZONE CRP_BIT_(24)
#define CRP_SYSTEM_PROCESS_NAME CRP_BIT_(25)
#define CRP_SYSTEM_PROCESS_ID CRP_BIT_(26)
#define CRP_SYSTEM_PARENT_PROCESS_ID CRP_BIT_(27)
#define CRP_SYSTEM_PARENT_PROCESS_NAME CRP_BIT_(28)
#define CRP_SYSTEM_DEVICE_APP_HASH CRP_BIT_(29)
#define CRP_SYSTEM_BUILD_TYPE CRP_BIT_(30)
#define CRP_SYSTEM_STORAGE CRP_BIT_(31)
#define CRP_SYSTEM_FREE_STORAGE CRP_BIT_(32)
#define CRP_SYSTEM_MEMORY CRP_BIT_(33)
#define CRP_SYSTEM_APPLICATION_STATS CRP_BIT_(34)
#define CRP_SYSTEM_APP_MEMORY CRP_BIT_(35)
/** The "system" object (with system_atcrash merged in). Key names in comments. */
typedef struct crp_system {
	uint64_t has;
	crp_extras extras;
	const char *system_name;          /**< "iOS", "iPhone OS", "macOS", "visionOS", ... */
	const char *system_version;       /**< "16.3" */
	const char *machine;              /**< hw.machine: "iPhone12,5" */
	const char *model;                /**< hw.model: "N104AP", "simulator" */
	const char *kernel_version;
	const char *os_version;           /**< build: "20D47" */
	bool jailbroken;
	bool proc_translated;
	crp_time boot_time;
	crp_time app_start_time;
	const char *executable_path;      /**< CFBundleExecutablePath */
	const char *executable;           /**< CFBundleExecutable */
	const char *bundle_id;            /**< CFBundleIdentifier */
	const char *bundle_name;          /**< CFBundleName */
	const char *bundle_version;       /**< CFBundleVersion */
	const char *bundle_short_version; /**< CFBundleShortVersionString */
	const char *app_uuid;
	const char *cpu_arch;             /**< hardware arch as written ("x86" on every Intel host) */
	const char *binary_arch;
	int32_t cpu_type;
	int32_t cpu_subtype;
	int32_t binary_cpu_type;
	int32_t binary_cpu_subtype;
	const char *clang_version;
	const char *time_zone;
	const char *process_name;
	int64_t process_id;
	int64_t parent_process_id;
	const char *parent_process_name;  /**< 2012-2013 reports only */
	const char *device_app_hash;      /**< "CrashReporter Key" */
	const char *build_type;
	uint64_t storage;
	uint64_t free_storage;            /**< freeStorage */
	crp_memory memory;
	crp_app_stats application_stats;
	crp_app_memory app_memory;
} crp_system;

/* ------------------------------------------------------------------------------------------ */
/* binary images                                                                               */

#define CRP_IMAGE_ADDR CRP_BIT_(0)
#define CRP_IMAGE_VMADDR CRP_BIT_(1)
#define CRP_IMAGE_SIZE CRP_BIT_(2)
#define CRP_IMAGE_NAME CRP_BIT_(3)
#define CRP_IMAGE_UUID CRP_BIT_(4)
#define CRP_IMAGE_CPU_TYPE CRP_BIT_(5)
#define CRP_IMAGE_CPU_SUBTYPE CRP_BIT_(6)
#define CRP_IMAGE_MAJOR_VERSION CRP_BIT_(7)
#define CRP_IMAGE_MINOR_VERSION CRP_BIT_(8)
#define CRP_IMAGE_REVISION_VERSION CRP_BIT_(9)
#define CRP_IMAGE_CRASH_INFO_MESSAGE CRP_BIT_(10)
#define CRP_IMAGE_CRASH_INFO_MESSAGE2 CRP_BIT_(11)
#define CRP_IMAGE_CRASH_INFO_BACKTRACE CRP_BIT_(12)
#define CRP_IMAGE_CRASH_INFO_SIGNATURE CRP_BIT_(13)
/** One entry of "binary_images". */
typedef struct crp_image {
	uint64_t has;
	crp_extras extras;
	uint64_t image_addr;     /**< load address */
	uint64_t image_vmaddr;   /**< __TEXT vmaddr in the file */
	uint64_t image_size;
	const char *name;        /**< full path */
	crp_uuid uuid;
	int32_t cpu_type;
	int32_t cpu_subtype;     /**< may carry ABI bits (0x80000002 = arm64e + ptrauth) */
	uint64_t major_version;
	uint64_t minor_version;
	uint64_t revision_version;
	const char *crash_info_message;
	const char *crash_info_message2;
	const char *crash_info_backtrace;
	const char *crash_info_signature;
} crp_image;

/* ------------------------------------------------------------------------------------------ */
/* threads                                                                                     */

/** Where a frame's symbol information came from. */
typedef enum crp_symbol_source {
	CRP_SYMSRC_NONE = 0,
	CRP_SYMSRC_SYMTAB = 1,          /**< the Mach-O symbol table */
	CRP_SYMSRC_DWARF = 2,           /**< debug information (dSYM, or DWARF in the binary) */
	CRP_SYMSRC_FUNCTION_STARTS = 3, /**< stripped image: only LC_FUNCTION_STARTS bounds */
	/** The report itself: an Apple report symbolicated before it was read (a source file and
	 * line, or inlined levels). crp_report_symbolicate() leaves such frames as they are.
	 * Added in 0.1. */
	CRP_SYMSRC_REPORT = 4
} crp_symbol_source;

/** Symbolication flags. */
#define CRP_SYM_ADJUSTED 0x01u      /**< looked up at the return address minus one instruction */
#define CRP_SYM_PAC_STRIPPED 0x02u  /**< pointer-authentication bits were removed first */
#define CRP_SYM_SWIFT 0x04u         /**< a Swift name, left mangled: crp_demangle() it in the
					 style wanted (the writers do) */
#define CRP_SYM_DEMANGLED 0x08u     /**< the C++ name was demangled */

/** One level of a location: a function and where in the source the address is. */
typedef struct crp_symloc {
	const char *function;  /**< demangled where possible; NULL if unknown */
	const char *file;      /**< source file as the debug information names it, or NULL */
	uint32_t line;         /**< 0: unknown */
	uint32_t column;       /**< 0: unknown */
} crp_symloc;

/**
 * What symbolication found for a frame. locs[0] is the innermost code at the address (an
 * inlined function when there is inlining), locs[count - 1] the function the frame really is
 * in; count is at least 1. Added in 0.1; set by crp_report_symbolicate().
 */
typedef struct crp_symbolication {
	crp_symbol_source source;
	unsigned flags;              /**< CRP_SYM_* */
	const char *image;           /**< path of the symbol file that answered */
	uint64_t lookup_addr;        /**< the file (vm) address that was looked up */
	uint64_t function_addr;      /**< runtime address of the outermost function's start */
	const char *linkage_name;    /**< mangled name of the outermost function, if different */
	const crp_symloc *locs;
	size_t count;
	/** The frame's address (pointer-authentication bits removed, not adjusted) minus
	 * function_addr: the "+ offset" crash reports print. 0 when function_addr is. Added in 0.1. */
	uint64_t offset;
} crp_symbolication;

#define CRP_FRAME_INSTRUCTION_ADDR CRP_BIT_(0)
#define CRP_FRAME_OBJECT_NAME CRP_BIT_(1)
#define CRP_FRAME_OBJECT_ADDR CRP_BIT_(2)
#define CRP_FRAME_SYMBOL_NAME CRP_BIT_(3)
#define CRP_FRAME_SYMBOL_ADDR CRP_BIT_(4)
#define CRP_FRAME_OBJECT_UUID CRP_BIT_(5)
/** One backtrace entry. instruction_addr is the PC for frame 0, a return address otherwise. */
typedef struct crp_frame {
	uint64_t has;
	crp_extras extras;
	uint64_t instruction_addr;
	const char *object_name;  /**< image file name as found on the device */
	uint64_t object_addr;     /**< image load address */
	const char *symbol_name;  /**< as found on the device: may be mangled or "<redacted>" */
	uint64_t symbol_addr;
	crp_uuid object_uuid;     /**< KSCrash 2.6+ */
	const crp_symbolication *symbolicated; /**< NULL unless symbolicated (not from the input) */
} crp_frame;

#define CRP_BACKTRACE_CONTENTS CRP_BIT_(0)
#define CRP_BACKTRACE_SKIPPED CRP_BIT_(1)
/** {contents, skipped}; the 2012 layout's bare array reads into the same shape. */
typedef struct crp_backtrace {
	uint64_t has;
	crp_extras extras;
	const crp_frame *frames;
	size_t frame_count;
	crp_strays frame_strays;
	uint64_t skipped;
} crp_backtrace;

/** One register, name as written ("x0", "pc", "r<N>" for unknown numbers). */
typedef struct crp_register {
	const char *name;
	uint64_t value;
} crp_register;

/** A register object in report order; non-numeric members are in @c extras. */
typedef struct crp_regset {
	uint64_t has;
	crp_extras extras;
	const crp_register *regs;
	size_t count;
} crp_regset;

#define CRP_REGISTERS_BASIC CRP_BIT_(0)
#define CRP_REGISTERS_EXCEPTION CRP_BIT_(1)
typedef struct crp_registers {
	uint64_t has;
	crp_extras extras;
	crp_regset basic;
	crp_regset exception;
} crp_registers;

#define CRP_STACK_GROW_DIRECTION CRP_BIT_(0)
#define CRP_STACK_DUMP_START CRP_BIT_(1)
#define CRP_STACK_DUMP_END CRP_BIT_(2)
#define CRP_STACK_STACK_POINTER CRP_BIT_(3)
#define CRP_STACK_OVERFLOW CRP_BIT_(4)
#define CRP_STACK_CONTENTS CRP_BIT_(5)
#define CRP_STACK_ERROR CRP_BIT_(6)
/** thread.stack: the raw stack window around SP of the crashed thread. */
typedef struct crp_stack {
	uint64_t has;
	crp_extras extras;
	const char *grow_direction;  /**< "-" (down) or "+" */
	uint64_t dump_start;
	uint64_t dump_end;
	uint64_t stack_pointer;
	bool overflow;
	crp_bytes contents;          /**< decoded from the hex string */
	const char *error;           /**< "Stack contents not accessible" */
} crp_stack;

#define CRP_THREAD_INDEX CRP_BIT_(0)
#define CRP_THREAD_NAME CRP_BIT_(1)
#define CRP_THREAD_DISPATCH_QUEUE CRP_BIT_(2)
#define CRP_THREAD_STATE CRP_BIT_(3)
#define CRP_THREAD_CRASHED CRP_BIT_(4)
#define CRP_THREAD_CURRENT_THREAD CRP_BIT_(5)
#define CRP_THREAD_BACKTRACE CRP_BIT_(6)
#define CRP_THREAD_REGISTERS CRP_BIT_(7)
#define CRP_THREAD_STACK CRP_BIT_(8)
#define CRP_THREAD_NOTABLE_ADDRESSES CRP_BIT_(9)
typedef struct crp_thread {
	uint64_t has;
	crp_extras extras;
	uint64_t index;            /**< task_threads order; not always 0 for the crashed thread */
	const char *name;
	const char *dispatch_queue;
	const char *state;         /**< "TH_STATE_RUNNING", ... (3.5+) */
	bool crashed;
	bool current_thread;
	crp_backtrace backtrace;
	crp_registers registers;
	crp_stack stack;
	const crp_value *notable_addresses;  /**< {"x0": memobj, "stack@0x...": memobj} */
} crp_thread;

/* ------------------------------------------------------------------------------------------ */
/* crash.error                                                                                 */

#define CRP_MACH_EXCEPTION CRP_BIT_(0)
#define CRP_MACH_EXCEPTION_NAME CRP_BIT_(1)
#define CRP_MACH_CODE CRP_BIT_(2)
#define CRP_MACH_CODE_NAME CRP_BIT_(3)
#define CRP_MACH_SUBCODE CRP_BIT_(4)
typedef struct crp_mach {
	uint64_t has;
	crp_extras extras;
	uint64_t exception;
	const char *exception_name;  /**< as written; see crp_mach_exception_name() */
	uint64_t code;
	const char *code_name;
	uint64_t subcode;
} crp_mach;

#define CRP_SIGNAL_SIGNAL CRP_BIT_(0)
#define CRP_SIGNAL_NAME CRP_BIT_(1)
#define CRP_SIGNAL_CODE CRP_BIT_(2)
#define CRP_SIGNAL_CODE_NAME CRP_BIT_(3)
typedef struct crp_signal {
	uint64_t has;
	crp_extras extras;
	uint64_t signal;
	const char *name;
	uint64_t code;
	const char *code_name;
} crp_signal;

#define CRP_NSEXC_NAME CRP_BIT_(0)
#define CRP_NSEXC_REASON CRP_BIT_(1)
#define CRP_NSEXC_USER_INFO CRP_BIT_(2)
#define CRP_NSEXC_REFERENCED_OBJECT CRP_BIT_(3)
#define CRP_NSEXC_BACKTRACE CRP_BIT_(4)
#define CRP_NSEXC_ADDRESS CRP_BIT_(5)
/** crash.error.nsexception, also process.last_dealloced_nsexception. */
typedef struct crp_nsexception {
	uint64_t has;
	crp_extras extras;
	const char *name;
	const char *reason;          /**< 2012 layout and zombies; later reports use error.reason */
	const char *user_info;       /**< userInfo */
	const crp_value *referenced_object;
	crp_backtrace backtrace;     /**< 2012 layout and zombies */
	uint64_t address;            /**< zombies */
} crp_nsexception;

#define CRP_CPPEXC_NAME CRP_BIT_(0)
typedef struct crp_cpp_exception {
	uint64_t has;
	crp_extras extras;
	const char *name;
} crp_cpp_exception;

#define CRP_USEREXC_NAME CRP_BIT_(0)
#define CRP_USEREXC_LANGUAGE CRP_BIT_(1)
#define CRP_USEREXC_LINE_OF_CODE CRP_BIT_(2)
#define CRP_USEREXC_BACKTRACE CRP_BIT_(3)
typedef struct crp_user_exception {
	uint64_t has;
	crp_extras extras;
	const char *name;
	const char *language;
	const char *line_of_code;
	const crp_value *backtrace;  /**< caller-supplied JSON, usually an array of strings */
} crp_user_exception;

#define CRP_HANG_START_NANOS CRP_BIT_(0)
#define CRP_HANG_START_ROLE CRP_BIT_(1)
#define CRP_HANG_END_NANOS CRP_BIT_(2)
#define CRP_HANG_END_ROLE CRP_BIT_(3)
typedef struct crp_hang {
	uint64_t has;
	crp_extras extras;
	uint64_t hang_start_nanos;
	const char *hang_start_role;
	uint64_t hang_end_nanos;
	const char *hang_end_role;
} crp_hang;

#define CRP_EXIT_REASON_CODE CRP_BIT_(0)
typedef struct crp_exit_reason {
	uint64_t has;
	crp_extras extras;
	uint64_t code;               /**< 0x8badf00d: watchdog */
} crp_exit_reason;

#define CRP_ERROR_MACH CRP_BIT_(0)
#define CRP_ERROR_SIGNAL CRP_BIT_(1)
#define CRP_ERROR_ADDRESS CRP_BIT_(2)
#define CRP_ERROR_REASON CRP_BIT_(3)
#define CRP_ERROR_TYPE CRP_BIT_(4)
#define CRP_ERROR_NSEXCEPTION CRP_BIT_(5)
#define CRP_ERROR_CPP_EXCEPTION CRP_BIT_(6)
#define CRP_ERROR_USER_REPORTED CRP_BIT_(7)
#define CRP_ERROR_MEMORY_TERMINATION CRP_BIT_(8)
#define CRP_ERROR_HANG CRP_BIT_(9)
#define CRP_ERROR_EXIT_REASON CRP_BIT_(10)
#define CRP_ERROR_PROFILE CRP_BIT_(11)
#define CRP_ERROR_TERMINATION_REASON CRP_BIT_(12)
#define CRP_ERROR_IS_FATAL CRP_BIT_(13)
#define CRP_ERROR_IS_CLEAN_EXIT CRP_BIT_(14)
/** crash.error: what happened. @c type says which of the parts is the cause. */
typedef struct crp_crash_error {
	uint64_t has;
	crp_extras extras;
	crp_mach mach;
	crp_signal signal;
	uint64_t address;            /**< fault address (or PC for non-memory exceptions) */
	const char *reason;
	const char *type;            /**< "mach", "signal", "nsexception", "cpp_exception", "user",
	                                  "deadlock", "memory_termination", "hang", "termination"... */
	crp_nsexception nsexception;
	crp_cpp_exception cpp_exception;
	crp_user_exception user_reported;
	crp_app_memory memory_termination;
	crp_hang hang;
	crp_exit_reason exit_reason;
	const crp_value *profile;
	const char *termination_reason; /**< "memory_limit", "hang", "crash", ... (KSCrash 2.6) */
	bool is_fatal;
	bool is_clean_exit;
} crp_crash_error;

#define CRP_CRASH_ERROR CRP_BIT_(0)
#define CRP_CRASH_THREADS CRP_BIT_(1)
#define CRP_CRASH_CRASHED_THREAD CRP_BIT_(2)
#define CRP_CRASH_DIAGNOSIS CRP_BIT_(3)
#define CRP_CRASH_LAST_EXCEPTION_BACKTRACE CRP_BIT_(4)
/** The "crash" object. */
typedef struct crp_crash {
	uint64_t has;
	crp_extras extras;
	crp_crash_error error;
	const crp_thread *threads;
	size_t thread_count;
	crp_strays thread_strays;
	const crp_thread *crashed_thread;   /**< minimal (recrash) reports only, else NULL */
	const char *diagnosis;              /**< added by KSCrash's CrashDoctor filter */
	crp_backtrace last_exception_backtrace;
} crp_crash;

/* ------------------------------------------------------------------------------------------ */
/* process and debug                                                                           */

#define CRP_PROCESS_LAST_DEALLOCED_NSEXCEPTION CRP_BIT_(0)
typedef struct crp_process {
	uint64_t has;
	crp_extras extras;
	crp_nsexception last_dealloced_nsexception;  /**< zombie monitor */
} crp_process;

#define CRP_DEBUG_CONSOLE_LOG CRP_BIT_(0)
typedef struct crp_debug {
	uint64_t has;
	crp_extras extras;
	const char *const *console_log;
	size_t console_log_count;
	crp_strays console_log_strays;
} crp_debug;

/* ------------------------------------------------------------------------------------------ */
/* the report handle                                                                           */

/** Top-level sections present in the input (crp_report_sections()). */
#define CRP_SECTION_REPORT CRP_BIT_(0)
#define CRP_SECTION_BINARY_IMAGES CRP_BIT_(1)
#define CRP_SECTION_PROCESS CRP_BIT_(2)
#define CRP_SECTION_SYSTEM CRP_BIT_(3)
#define CRP_SECTION_CRASH CRP_BIT_(4)
#define CRP_SECTION_USER CRP_BIT_(5)
#define CRP_SECTION_DEBUG CRP_BIT_(6)
#define CRP_SECTION_RECRASH CRP_BIT_(7)
#define CRP_SECTION_INCOMPLETE CRP_BIT_(8)

/** Where a report came from; not part of its content (crp_report_provenance()). */
#define CRP_PROV_TRUNCATED 0x01u        /**< the input ended inside it; the rest was salvaged */
#define CRP_PROV_LEGACY_2012 0x02u      /**< read from the 2012 layout */
#define CRP_PROV_RECRASH_OLD 0x04u      /**< old recrash layout, normalised to the new one */
#define CRP_PROV_ATCRASH_MERGED 0x08u   /**< system_atcrash / user_atcrash were merged */
#define CRP_PROV_SALVAGED 0x10u         /**< a JSON syntax slip was repaired */
/** Read from Apple's own report (.ips, or .crash text), whose facts KSCrash's keys do not all
 * have: validation does not ask it for a report id. Added in 0.1. */
#define CRP_PROV_APPLE 0x20u

/** Free a report and everything it owns. NULL is ignored; embedded reports are ignored. */
CRP_API void crp_report_free(crp_report *r);

/** Bitmask of CRP_SECTION_* present in the report. */
CRP_API uint64_t crp_report_sections(const crp_report *r);
/** Bitmask of CRP_PROV_*. */
CRP_API unsigned crp_report_provenance(const crp_report *r);
/** True when the report says it is incomplete or was salvaged from truncated input. */
CRP_API bool crp_report_is_incomplete(const crp_report *r);

/** Sections. Never NULL: absent sections read as all-zero records. Owned by @p r. */
CRP_API const crp_info *crp_report_info(const crp_report *r);
CRP_API const crp_system *crp_report_system(const crp_report *r);
CRP_API const crp_process *crp_report_process(const crp_report *r);
CRP_API const crp_crash *crp_report_crash(const crp_report *r);
CRP_API const crp_debug *crp_report_debug(const crp_report *r);
/** Binary images in report order; @p count receives their number. Owned by @p r. */
CRP_API const crp_image *crp_report_images(const crp_report *r, size_t *count);
/** Non-object elements of binary_images. */
CRP_API const crp_strays *crp_report_image_strays(const crp_report *r);
/** The "user" section (user_atcrash merged in), or NULL. Owned by @p r. */
CRP_API const crp_value *crp_report_user(const crp_report *r);
/** Top-level members the model does not type (e.g. sentry_sdk_scope). Owned by @p r. */
CRP_API const crp_extras *crp_report_extras(const crp_report *r);

/**
 * The embedded report of a recrash file (the original report that was being written when the
 * handler crashed), or NULL. Old-layout files are normalised so that @p r is always the minimal
 * report of the handler crash and this is the original. Owned by @p r: do not free.
 */
CRP_API const crp_report *crp_report_recrash(const crp_report *r);

/** Warnings collected while reading this report. Owned by @p r. */
CRP_API size_t crp_report_warning_count(const crp_report *r);
CRP_API const crp_diag *crp_report_warning(const crp_report *r, size_t i);

/* ------------------------------------------------------------------------------------------ */
/* derived facts                                                                               */

/**
 * The crashed thread: the first thread with "crashed": true, else crash.crashed_thread, else
 * NULL. @p index_out (may be NULL) receives its position in crash.threads, or SIZE_MAX.
 */
CRP_API const crp_thread *crp_report_crashed_thread(const crp_report *r, size_t *index_out);

/** The image containing @p addr (PAC bits not stripped here), or NULL. */
CRP_API const crp_image *crp_report_image_at(const crp_report *r, uint64_t addr);

/** The main executable's image (by path, else by name), or NULL. */
CRP_API const crp_image *crp_report_main_image(const crp_report *r);

/**
 * Architecture name for a Mach-O cpu type/subtype ("arm64e", "armv7s", "x86_64", ...).
 * The subtype is masked with 0x00ffffff first, so ABI bits never hide arm64e.
 * Unknown pairs give NULL.
 */
CRP_API const char *crp_arch_name(int32_t cpu_type, int32_t cpu_subtype);
/** True for 64-bit CPU types (the CPU_ARCH_ABI64 bit). */
CRP_API bool crp_arch_is_64bit(int32_t cpu_type);

/** Canonical names, or NULL when unknown. */
CRP_API const char *crp_mach_exception_name(uint64_t exception);
CRP_API const char *crp_kern_return_name(uint64_t code);
CRP_API const char *crp_signal_name(uint64_t signal);
CRP_API const char *crp_signal_code_name(uint64_t signal, uint64_t code);

/**
 * Format a UUID as 36 characters, upper-case with dashes, plus NUL.
 * @param out at least 37 bytes
 */
CRP_API void crp_uuid_format(const crp_uuid *uuid, char out[37]);

/**
 * Format a time as RFC 3339 UTC into @p out ("2024-05-20T17:36:04.474658Z").
 * @param fraction  0: whole seconds, 3: milliseconds, 6: microseconds
 * @return the length written (at most 32), excluding the NUL.
 */
CRP_API size_t crp_time_format(int64_t usec, int fraction, char out[40]);

CRP_END_DECL

#endif
