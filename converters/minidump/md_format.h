/* The minidump file format as crashport writes it: on-disk structures, constants and
 * little-endian stores. Layouts follow ../shared/docs/minidump.md (offsets checked against
 * Breakpad's and rust-minidump's readers).
 *
 * Every multi-byte field is a byte array (md_u16/md_u32/md_u64), so the structs have
 * alignment 1, no padding and exactly their on-disk size on every compiler, and are filled
 * with md_put*() in little-endian order whatever the host. Sizes are asserted below. */
#ifndef CRP_MD_FORMAT_H
#define CRP_MD_FORMAT_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint8_t md_u16[2];
typedef uint8_t md_u32[4];
typedef uint8_t md_u64[8];

/* On a little-endian host a store is the on-disk order already: one memcpy, which compilers
 * turn into a single move (the byte loop is left as it is by GCC at -O2). */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MD_HOST_LE 1
#else
#define MD_HOST_LE 0
#endif

static inline void md_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void md_put32(uint8_t *p, uint32_t v)
{
#if MD_HOST_LE
	memcpy(p, &v, 4);
#else
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
#endif
}

static inline void md_put64(uint8_t *p, uint64_t v)
{
#if MD_HOST_LE
	memcpy(p, &v, 8);
#else
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
#endif
}

static inline uint64_t md_get64(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* -- framing ------------------------------------------------------------------------------ */

#define MD_SIGNATURE 0x504D444Du /* "MDMP" */
#define MD_VERSION 0x0000A793u

typedef struct md_location {
	md_u32 data_size;
	md_u32 rva;
} md_location;

typedef struct md_memory_descriptor {
	md_u64 start;
	md_location memory;
} md_memory_descriptor;

typedef struct md_header {
	md_u32 signature;
	md_u32 version;
	md_u32 stream_count;
	md_u32 stream_directory_rva;
	md_u32 checksum;
	md_u32 time_date_stamp;
	md_u64 flags;
} md_header;

typedef struct md_directory {
	md_u32 stream_type;
	md_location location;
} md_directory;

enum md_stream_type {
	MD_THREAD_LIST_STREAM = 3,
	MD_MODULE_LIST_STREAM = 4,
	MD_MEMORY_LIST_STREAM = 5,
	MD_EXCEPTION_STREAM = 6,
	MD_SYSTEM_INFO_STREAM = 7,
	MD_MISC_INFO_STREAM = 15,
	MD_MEMORY_INFO_LIST_STREAM = 16,
	MD_THREAD_NAME_LIST_STREAM = 24,
	MD_BREAKPAD_INFO_STREAM = 0x47670001,
	MD_CRASHPAD_INFO_STREAM = 0x43500001
};

/* -- SystemInfo (stream 7) ---------------------------------------------------------------- */

enum md_cpu_arch {
	MD_CPU_X86 = 0,
	MD_CPU_ARM = 5,
	MD_CPU_AMD64 = 9,
	MD_CPU_ARM64 = 12,
	MD_CPU_UNKNOWN = 0xFFFF
};

#define MD_OS_MAC_OS_X 0x8101u
#define MD_OS_IOS 0x8102u

typedef struct md_system_info {
	md_u16 processor_architecture;
	md_u16 processor_level;
	md_u16 processor_revision;
	uint8_t number_of_processors;
	uint8_t product_type;
	md_u32 major_version;
	md_u32 minor_version;
	md_u32 build_number;
	md_u32 platform_id;
	md_u32 csd_version_rva;
	md_u16 suite_mask;
	md_u16 reserved2;
	uint8_t cpu[24]; /* CPU-specific union; zero: crashport knows no CPUID */
} md_system_info;

/* -- MiscInfo (stream 15), the 24-byte version -------------------------------------------- */

#define MD_MISCINFO_PROCESS_ID 0x1u
#define MD_MISCINFO_PROCESS_TIMES 0x2u

typedef struct md_misc_info {
	md_u32 size_of_info;
	md_u32 flags1;
	md_u32 process_id;
	md_u32 process_create_time;
	md_u32 process_user_time;
	md_u32 process_kernel_time;
} md_misc_info;

/* -- ThreadList (3), ThreadNameList (24), BreakpadInfo ------------------------------------ */

typedef struct md_thread {
	md_u32 thread_id;
	md_u32 suspend_count;
	md_u32 priority_class;
	md_u32 priority;
	md_u64 teb;
	md_memory_descriptor stack;
	md_location thread_context;
} md_thread;

typedef struct md_thread_name {
	md_u32 thread_id;
	md_u64 thread_name_rva; /* 64-bit RVA of an MDString */
} md_thread_name;

#define MD_BREAKPAD_INFO_REQUESTING_THREAD_VALID 0x2u

typedef struct md_breakpad_info {
	md_u32 validity;
	md_u32 dump_thread_id;
	md_u32 requesting_thread_id;
} md_breakpad_info;

/* -- ModuleList (4) and the CodeView record ----------------------------------------------- */

#define MD_VSFIXEDFILEINFO_SIGNATURE 0xFEEF04BDu
#define MD_VSFIXEDFILEINFO_VERSION 0x00010000u

typedef struct md_version_info {
	md_u32 signature;
	md_u32 struct_version;
	md_u32 file_version_hi;
	md_u32 file_version_lo;
	md_u32 product_version_hi;
	md_u32 product_version_lo;
	md_u32 file_flags_mask;
	md_u32 file_flags;
	md_u32 file_os;
	md_u32 file_type;
	md_u32 file_subtype;
	md_u32 file_date_hi;
	md_u32 file_date_lo;
} md_version_info;

typedef struct md_module {
	md_u64 base_of_image;
	md_u32 size_of_image;
	md_u32 checksum;
	md_u32 time_date_stamp;
	md_u32 module_name_rva;
	md_version_info version_info;
	md_location cv_record;
	md_location misc_record;
	md_u64 reserved0;
	md_u64 reserved1; /* 108 bytes: C compilers would pad a u64-aligned struct to 112 */
} md_module;

#define MD_CVINFOPDB70_SIGNATURE 0x53445352u /* "RSDS" */

/* Followed by the NUL-terminated pdb_file_name. */
typedef struct md_cv_pdb70 {
	md_u32 cv_signature;
	uint8_t guid[16]; /* MDGUID: u32 data1, u16 data2, u16 data3 little-endian, data4[8] */
	md_u32 age;
} md_cv_pdb70;

/* -- Exception (6) ------------------------------------------------------------------------ */

#define MD_EXCEPTION_MAXIMUM_PARAMETERS 15

typedef struct md_exception_stream {
	md_u32 thread_id;
	md_u32 align0;
	md_u32 exception_code;
	md_u32 exception_flags;
	md_u64 exception_record;
	md_u64 exception_address;
	md_u32 number_parameters;
	md_u32 align1;
	md_u64 exception_information[MD_EXCEPTION_MAXIMUM_PARAMETERS];
	md_location thread_context;
} md_exception_stream;

/* Mach exception types and the EXC_SOFTWARE codes Breakpad names. */
enum md_mac_exception {
	MD_EXC_BAD_ACCESS = 1,
	MD_EXC_BAD_INSTRUCTION = 2,
	MD_EXC_ARITHMETIC = 3,
	MD_EXC_EMULATION = 4,
	MD_EXC_SOFTWARE = 5,
	MD_EXC_BREAKPOINT = 6,
	MD_EXC_CRASH = 10,
	MD_EXC_RESOURCE = 11,
	MD_EXC_GUARD = 12
};
#define MD_EXC_SOFTWARE_SIGSYS 0x00010000u
#define MD_EXC_SOFTWARE_SIGPIPE 0x00010001u
#define MD_EXC_SOFTWARE_SIGABRT 0x00010002u
#define MD_EXC_SOFTWARE_NSEXCEPTION 0xDEADC0DEu
/* Crashpad's code for a dump taken without a crash ("Simulated Exception" in Breakpad). */
#define MD_EXC_CRASHPAD_SIMULATED 0x43507378u

/* -- MemoryList (5), MemoryInfoList (16) -------------------------------------------------- */

typedef struct md_memory_info_list {
	md_u32 size_of_header;
	md_u32 size_of_entry;
	md_u64 number_of_entries;
} md_memory_info_list;

typedef struct md_memory_info {
	md_u64 base_address;
	md_u64 allocation_base;
	md_u32 allocation_protection;
	md_u32 align1;
	md_u64 region_size;
	md_u32 state;
	md_u32 protection;
	md_u32 type;
	md_u32 align2;
} md_memory_info;

#define MD_MEMORY_STATE_COMMIT 0x1000u
#define MD_MEMORY_PROTECT_READWRITE 0x04u
#define MD_MEMORY_TYPE_PRIVATE 0x20000u
#define MD_MEMORY_PROTECT_EXECUTE_READ 0x20u
#define MD_MEMORY_TYPE_IMAGE 0x1000000u

/* -- CrashpadInfo (0x43500001) ------------------------------------------------------------ */

typedef struct md_crashpad_info {
	md_u32 version;
	uint8_t report_id[16];
	uint8_t client_id[16];
	md_location simple_annotations;
	md_location module_list;
	md_u32 reserved;
	md_u64 address_mask;
} md_crashpad_info;

typedef struct md_string_entry { /* SimpleStringDictionary entry: RVAs of UTF-8 strings */
	md_u32 key;
	md_u32 value;
} md_string_entry;

typedef struct md_module_crashpad_link {
	md_u32 minidump_module_list_index;
	md_location location;
} md_module_crashpad_link;

typedef struct md_module_crashpad_info {
	md_u32 version;
	md_location list_annotations;
	md_location simple_annotations;
	md_location annotation_objects;
} md_module_crashpad_info;

#define MD_CRASHPAD_ANNOTATION_STRING 1u

typedef struct md_crashpad_annotation {
	md_u32 name;  /* RVA of a UTF-8 string */
	md_u16 type;
	md_u16 reserved;
	md_u32 value; /* RVA of u32 length + bytes */
} md_crashpad_annotation;

/* -- CPU contexts ------------------------------------------------------------------------- */

#define MD_CONTEXT_ARM64_FULL 0x00400007u /* ARM64 | CONTROL | INTEGER | FLOATING_POINT */
#define MD_CONTEXT_AMD64_FULL 0x0010000Bu /* AMD64 | CONTROL | INTEGER | FLOATING_POINT */
#define MD_CONTEXT_ARM_FULL 0x40000006u   /* ARM | INTEGER | FLOATING_POINT */
#define MD_CONTEXT_X86_FULL 0x00010007u   /* X86 | CONTROL | INTEGER | SEGMENTS */

typedef struct md_context_arm64 {
	md_u32 context_flags;
	md_u32 cpsr;
	md_u64 iregs[33]; /* x0..x28, fp (x29), lr (x30), sp, pc */
	uint8_t fp_regs[32][16];
	md_u32 fpcr;
	md_u32 fpsr;
	md_u32 bcr[8];
	md_u64 bvr[8];
	md_u32 wcr[2];
	md_u64 wvr[2];
} md_context_arm64;

typedef struct md_context_amd64 {
	md_u64 p_home[6];
	md_u32 context_flags;
	md_u32 mx_csr;
	md_u16 cs, ds, es, fs, gs, ss;
	md_u32 eflags;
	md_u64 dr[6]; /* dr0..dr3, dr6, dr7 */
	md_u64 rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	md_u64 r[8]; /* r8..r15 */
	md_u64 rip;
	uint8_t flt_save[512];
	uint8_t vector_register[26][16];
	md_u64 vector_control;
	md_u64 debug_control;
	md_u64 last_branch_to_rip;
	md_u64 last_branch_from_rip;
	md_u64 last_exception_to_rip;
	md_u64 last_exception_from_rip;
} md_context_amd64;

typedef struct md_context_arm {
	md_u32 context_flags;
	md_u32 iregs[16]; /* r0..r12, sp (r13), lr (r14), pc (r15) */
	md_u32 cpsr;
	md_u64 fpscr;
	md_u64 fp_regs[32];
	md_u32 extra[8];
} md_context_arm;

typedef struct md_context_x86 {
	md_u32 context_flags;
	md_u32 dr[6];
	uint8_t float_save[112];
	md_u32 gs, fs, es, ds;
	md_u32 edi, esi, ebx, edx, ecx, eax;
	md_u32 ebp, eip, cs, eflags, esp, ss;
	uint8_t extended_registers[512];
} md_context_x86;

/* -- sizes and offsets readers depend on -------------------------------------------------- */

_Static_assert(sizeof(md_location) == 8, "location descriptor");
_Static_assert(sizeof(md_memory_descriptor) == 16, "memory descriptor");
_Static_assert(sizeof(md_header) == 32, "header");
_Static_assert(sizeof(md_directory) == 12, "directory entry");
_Static_assert(sizeof(md_system_info) == 56, "SystemInfo");
_Static_assert(offsetof(md_system_info, cpu) == 32, "SystemInfo.cpu");
_Static_assert(sizeof(md_misc_info) == 24, "MiscInfo");
_Static_assert(sizeof(md_thread) == 48, "thread");
_Static_assert(offsetof(md_thread, stack) == 24, "thread.stack");
_Static_assert(sizeof(md_thread_name) == 12, "thread name");
_Static_assert(sizeof(md_breakpad_info) == 12, "BreakpadInfo");
_Static_assert(sizeof(md_version_info) == 52, "VS_FIXEDFILEINFO");
_Static_assert(sizeof(md_module) == 108, "module");
_Static_assert(offsetof(md_module, cv_record) == 76, "module.cv_record");
_Static_assert(sizeof(md_cv_pdb70) == 24, "CodeView RSDS header");
_Static_assert(sizeof(md_exception_stream) == 168, "Exception");
_Static_assert(offsetof(md_exception_stream, exception_information) == 40, "Exception.info");
_Static_assert(sizeof(md_memory_info_list) == 16, "MemoryInfoList header");
_Static_assert(sizeof(md_memory_info) == 48, "MemoryInfo");
_Static_assert(sizeof(md_crashpad_info) == 64, "CrashpadInfo");
_Static_assert(offsetof(md_crashpad_info, address_mask) == 56, "CrashpadInfo.address_mask");
_Static_assert(sizeof(md_string_entry) == 8, "dictionary entry");
_Static_assert(sizeof(md_module_crashpad_link) == 12, "module Crashpad link");
_Static_assert(sizeof(md_module_crashpad_info) == 28, "module Crashpad info");
_Static_assert(sizeof(md_crashpad_annotation) == 12, "annotation object");
_Static_assert(sizeof(md_context_arm64) == 912, "ARM64 context");
_Static_assert(offsetof(md_context_arm64, iregs[29]) == 240, "ARM64 fp");
_Static_assert(offsetof(md_context_arm64, iregs[32]) == 264, "ARM64 pc");
_Static_assert(offsetof(md_context_arm64, fpcr) == 784, "ARM64 fpcr");
_Static_assert(offsetof(md_context_arm64, wvr) == 896, "ARM64 wvr");
_Static_assert(sizeof(md_context_amd64) == 1232, "AMD64 context");
_Static_assert(offsetof(md_context_amd64, context_flags) == 48, "AMD64 flags");
_Static_assert(offsetof(md_context_amd64, rsp) == 152, "AMD64 rsp");
_Static_assert(offsetof(md_context_amd64, rip) == 248, "AMD64 rip");
_Static_assert(offsetof(md_context_amd64, vector_control) == 1184, "AMD64 vector_control");
_Static_assert(sizeof(md_context_arm) == 368, "ARM context");
_Static_assert(offsetof(md_context_arm, fpscr) == 72, "ARM fpscr");
_Static_assert(sizeof(md_context_x86) == 716, "x86 context");
_Static_assert(offsetof(md_context_x86, gs) == 140, "x86 gs");
_Static_assert(offsetof(md_context_x86, eip) == 184, "x86 eip");

#endif
