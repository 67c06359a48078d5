/* The minidump emitter's private plan: what goes into the file, decided before any byte is
 * written (md_plan.c and friends), then laid out and written in one pass (md_emit.c). */
#ifndef CRP_MD_INTERNAL_H
#define CRP_MD_INTERNAL_H

#include "common/internal.h"
#include "md_format.h"
#include "crashport/sys/emitter.h"

/* Limits: Breakpad refuses larger lists, so a report beyond them is a CRP_ELIMIT error. */
#define MD_MAX_THREADS 4096u
#define MD_MAX_MODULES 2048u
#define MD_MAX_REGION (64u * 1024 * 1024)   /* Breakpad's cap on one memory region */
#define MD_MAX_MDSTRING_UNITS 1024u         /* UTF-16 units Breakpad reads in an MDString */
#define MD_MAX_UTF8_STRING 1024u            /* bytes Breakpad reads in a Crashpad string */
#define MD_MAX_ANNOTATION_VALUE 20480u      /* Crashpad's own cap on an annotation value */
/* Where frame records go when a thread's own frame pointer cannot host them. */
#define MD_SYNTHETIC_BASE 0x10000u

typedef enum md_stack_mode { MD_STACK_HYBRID = 0, MD_STACK_REAL = 1 } md_stack_mode;

/* -- CPU ---------------------------------------------------------------------------------- */

typedef enum md_arch_kind { MDA_NONE, MDA_ARM64, MDA_AMD64, MDA_ARM, MDA_X86 } md_arch_kind;

/* One register slot of a context: where KSCrash's name for it goes in the struct. */
typedef struct md_reg_desc {
	const char *name;
	uint16_t off;
	uint8_t width;
} md_reg_desc;

typedef struct md_arch {
	md_arch_kind kind;
	uint16_t cpu;                 /* SystemInfo processor_architecture */
	unsigned word;                /* pointer size: 8 or 4 */
	bool link_register;           /* frame 1 comes from lr (ARM), else from [fp + word] */
	uint32_t context_size;
	uint32_t context_flags;
	uint16_t flags_off;
	const md_reg_desc *regs;      /* slot table; aliases after the canonical names */
	size_t nregs;                 /* canonical slots */
	size_t nnames;                /* canonical slots + aliases */
	int pc, sp, fp, lr;           /* slot indices; lr is -1 without a link register */
} md_arch;

#define MD_MAX_SLOTS 40

/* A register file in context slot order; `have` says which slots the report gave. */
typedef struct md_regs {
	uint64_t v[MD_MAX_SLOTS];
	uint64_t have;
} md_regs;

/* The table entries the previous thread's registers matched, by position (0xFF: none yet).
 * The threads of a report list their registers in one order, whatever that order is, so a
 * name is first compared with the entry its position matched before. */
#define MD_ORDER_MEMO 64
typedef struct md_reg_order {
	uint8_t entry[MD_ORDER_MEMO];
} md_reg_order;

static inline void crp__md_reg_order_init(md_reg_order *o)
{
	memset(o->entry, 0xFF, sizeof o->entry);
}

/* `sys` gives the system section, `img` the binary images (md_plan: sys_r, img_r). */
const md_arch *crp__md_arch_detect(const crp_report *sys, const crp_report *img,
				   const crp_thread *const *threads, size_t n);
/* Read a thread's reported registers (basic set) into slots. True when any was known.
 * `order` is shared by the threads of one report (see md_reg_order). */
bool crp__md_regs_read(const md_arch *a, const crp_thread *t, md_regs *out, md_reg_order *order);
/* Serialise a context. `buf` holds a->context_size bytes. */
void crp__md_context(const md_arch *a, const md_regs *regs, uint8_t *buf);

/* -- threads and stacks ------------------------------------------------------------------- */

/* The changes a plan makes to what the report said, for the declaration annotation. */
#define MD_SYN_REGISTERS 0x01u   /* the report had no registers for this thread */
#define MD_SYN_AT_FP 0x02u       /* records sit at the reported frame pointer */
#define MD_SYN_AFTER_REAL 0x04u  /* records continue the real stack window */
#define MD_SYN_PATCHED 0x08u     /* one saved-fp slot of the real window was redirected */
#define MD_SYN_RECORDS 0x10u     /* synthetic frame records were written */
#define MD_SYN_PLACEHOLDER 0x20u /* the report has no thread: one for the exception to name */

typedef struct md_thread_plan {
	const crp_thread *t;
	uint32_t tid;
	md_regs real;                 /* as reported (pc from frame 0 when missing) */
	md_regs walk;                 /* what the stack walker starts from */
	bool walk_differs;            /* crashed thread: the Exception context is `walk` */
	const char *name;             /* pthread name, else dispatch queue, else NULL */
	/* memory: [mem_start, mem_start + mem_size) = real window, padding, records */
	uint64_t mem_start;
	uint32_t mem_size;
	const uint8_t *real_bytes;
	uint32_t real_len;
	uint32_t syn_off;             /* offset of the first record in the region */
	uint32_t syn_first;           /* backtrace index the first record returns to */
	uint32_t syn_count;           /* records carrying frames (a terminator follows) */
	uint64_t patch_addr;          /* MD_SYN_PATCHED: the slot and its new and old values */
	uint64_t patch_old;
	unsigned syn;                 /* MD_SYN_* */
	/* RVAs (layout pass) */
	uint32_t ctx_rva, walk_rva, mem_rva, name_rva;
} md_thread_plan;

/* Stack-walk helper: the instruction address of frame i, PAC-stripped (0 when absent). */
uint64_t crp__md_frame_addr(const md_arch *a, const crp_thread *t, size_t i);
size_t crp__md_frame_count(const crp_thread *t);

/* -- modules ------------------------------------------------------------------------------ */

/* What writing a string as an MDString measures of it (UTF-16 units, bytes taken, the ASCII
 * prefix), kept with the string so that the write pass does not measure it again. */
typedef struct md_str_measure {
	bool done;
	size_t units, used, ascii;
} md_str_measure;

typedef struct md_module_plan {
	const crp_image *img;
	uint64_t base;
	uint32_t size;
	const char *path;             /* "" when the report has no name */
	size_t path_len;
	const char *basename;         /* within path */
	bool has_cv;
	md_str_measure path_measure;
	uint32_t name_rva, cv_rva, cv_size;
} md_module_plan;

/* -- the exception ------------------------------------------------------------------------ */

typedef struct md_range {
	uint64_t lo, hi; /* [lo, hi) */
} md_range;

typedef struct md_crash {
	bool present;
	uint32_t code, flags;
	uint64_t address;
	uint64_t info[3];
} md_crash;

void crp__md_crash_map(const crp_report *r, const md_arch *a, uint64_t pc, md_crash *out);
/* Does the report say what happened (error type, Mach exception or signal)? */
bool crp__md_error_known(const crp_report *r);

/* -- annotations -------------------------------------------------------------------------- */

typedef struct md_kv {
	const char *key;
	const char *value;
	size_t value_len;
	uint32_t key_rva, value_rva;
} md_kv;

typedef struct md_text {          /* an owned, NUL-terminated string built by the planner */
	char *s;
	size_t len;
} md_text;

/* -- the whole plan ----------------------------------------------------------------------- */

typedef struct md_plan {
	crp_emit_ctx *c;
	/* What the dump describes: the report, or the original of a recrash file. A recrash
	 * file's own report (the crash reporter's crash) is `handler`: its thread is listed
	 * last, and it stands in for any part the cut-short original lacks. */
	const crp_report *r;
	const crp_report *handler;    /* NULL unless a recrash file */
	const crp_report *info_r;     /* the report section (time, id): r, else handler */
	const crp_report *sys_r;      /* the system section: r, else handler */
	const crp_report *img_r;      /* the binary images: r, else handler */
	const crp_report *err_r;      /* the error and the crashed thread: r, else handler */
	md_stack_mode mode;
	const md_arch *arch;
	uint16_t platform;
	uint32_t os_version[3];
	const char *os_build;
	uint32_t time_stamp;
	uint32_t misc_flags, pid, create_time;

	md_thread_plan *threads;
	size_t nthreads;
	size_t crashed;               /* index in threads, or SIZE_MAX */
	size_t handler_thread;        /* index of the handler's thread, or SIZE_MAX */
	md_module_plan *modules;
	size_t nmodules;
	size_t *by_base;              /* module indices sorted by base address */
	size_t modules_dropped;       /* overlapping or sizeless images left out */
	uint64_t pac_mask;            /* Breakpad's arm64 pointer-auth mask for these modules */
	md_crash crash;
	size_t nregions;              /* threads with stack memory */
	md_range *code;               /* executable regions for MemoryInfoList (md_code.c) */
	size_t ncode;
	uint32_t csd_rva, simple_rva, links_rva;

	md_kv *simple;                /* global Crashpad simple annotations */
	size_t nsimple, simple_cap;
	md_kv *lists;                 /* main module: list annotations (key unused) */
	size_t nlists, lists_cap;
	md_kv *objects;               /* main module: string annotation objects */
	size_t nobjects, objects_cap;
	md_text *texts;               /* strings the planner built, freed with the plan */
	size_t ntexts, texts_cap;
	uint8_t report_id[16];

	/* per-module Crashpad info: ranges of `lists` and `objects` */
	struct md_modinfo {
		size_t module;
		size_t list_first, nlist, object_first, nobject;
		uint32_t rva, lists_rva, objects_rva;
	} *modinfo;
	size_t nmodinfo, modinfo_cap;
} md_plan;

int crp__md_plan_threads(md_plan *p);
int crp__md_plan_modules(md_plan *p);
int crp__md_plan_system(md_plan *p);
int crp__md_plan_annotations(md_plan *p);
int crp__md_plan_code(md_plan *p);
void crp__md_plan_free(md_plan *p);

/* Growable arrays of the plan (through the emit context's allocator). */
int crp__md_grow(md_plan *p, void **items, size_t *cap, size_t need, size_t size);
/* Keep a planner-built string alive until the plan is freed; NULL on ENOMEM. */
const char *crp__md_keep(md_plan *p, char *s, size_t len);
/* printf into a new kept string. */
const char *crp__md_fmt(md_plan *p, size_t *len, const char *fmt, ...) CRP_PRINTF(3, 4);
int crp__md_add_kv(md_plan *p, md_kv **arr, size_t *n, size_t *cap, const char *key,
		   const char *value, size_t len);

/* Module containing addr (binary search over the base-sorted copy), or NULL. */
const md_module_plan *crp__md_module_at(const md_plan *p, uint64_t addr);

#endif
