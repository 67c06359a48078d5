/* The report handle's private layout and the field descriptors that drive reading, writing and
 * comparing the model. One table per record type (schema.c) is the single source of truth: the
 * reader dispatches keys through it, the JSON writer emits fields in its order, and the
 * comparator walks it. */
#ifndef CRP_MODEL_H
#define CRP_MODEL_H

#include "mem/arena.h"
#include "common/internal.h"

/* Field kinds. */
enum crp_kind {
	CRP_K_U64,       /* uint64_t */
	CRP_K_I64,       /* int64_t */
	CRP_K_I32,       /* int32_t */
	CRP_K_F64,       /* double */
	CRP_K_BOOL,      /* bool */
	CRP_K_STR,       /* const char * */
	CRP_K_TIME,      /* crp_time */
	CRP_K_UUID,      /* crp_uuid */
	CRP_K_HEX,       /* crp_bytes, written as a hex string */
	CRP_K_VALUE,     /* const crp_value * */
	CRP_K_RECORD,    /* embedded record (sub) */
	CRP_K_RECPTR,    /* pointer to a record (sub), allocated when present */
	CRP_K_ARRAY,     /* crp_array_slot of records (sub) */
	CRP_K_STRLIST,   /* crp_array_slot of const char * */
	CRP_K_REGSET,    /* crp_regset */
	CRP_K_VERSION,   /* crp_version: a string or an object */
	CRP_K_BACKTRACE, /* crp_backtrace: an object or (2012) a bare array of frames */
	CRP_K_REPORT,    /* crp_report * (recrash_report) */
	CRP_K_USER,      /* const crp_value *, objects merge (user_atcrash) */
	CRP_K_NONE = 0xff
};

/* Field flags. */
#define CRP_FF_ALIAS 0x01u   /* another spelling of a canonical field: read, never written */
#define CRP_FF_MERGE 0x02u   /* a second occurrence merges into the first (system_atcrash) */
#define CRP_FF_LEGACY 0x04u  /* marks the report as 2012 layout */
#define CRP_FF_BODY 0x08u    /* off is relative to the report body, not the record */

typedef struct crp_rdesc crp_rdesc;

typedef struct crp_fdesc {
	const char *key;
	uint8_t key_len;
	uint8_t kind;
	uint8_t flags;
	uint8_t plain_kind;    /* kind for plain fields (no flags, not nested), else CRP_K_NONE */
	uint16_t off;          /* of the field in its record (or in the nested record, see nest) */
	uint64_t bit;          /* presence bit in the record holding the field */
	const crp_rdesc *sub;  /* records: their descriptor */
	/* Aliases into a nested record (2012 flat keys): the field lives in the record at
	 * nest_off of this one, whose presence bit here is nest_bit. nest_off 0 means none. */
	uint16_t nest_off;
	uint64_t nest_bit;
} crp_fdesc;

/* Record tables, numbered: the reader keeps learned key orders per table. */
enum crp_rdesc_id {
	CRP_RD_VERSION, CRP_RD_INFO, CRP_RD_MEMORY, CRP_RD_STATS, CRP_RD_APPMEM, CRP_RD_SYSTEM,
	CRP_RD_IMAGE, CRP_RD_FRAME, CRP_RD_BACKTRACE, CRP_RD_REGSET, CRP_RD_REGISTERS, CRP_RD_STACK,
	CRP_RD_THREAD, CRP_RD_MACH, CRP_RD_SIGNAL, CRP_RD_NSEXCEPTION, CRP_RD_CPP, CRP_RD_USER_EXC,
	CRP_RD_HANG, CRP_RD_EXIT_REASON, CRP_RD_ERROR, CRP_RD_CRASH, CRP_RD_PROCESS, CRP_RD_DEBUG,
	CRP_RD_BODY, CRP_RD_COUNT
};

struct crp_rdesc {
	uint8_t id;              /* enum crp_rdesc_id */
	const char *name;
	size_t size;
	const crp_fdesc *fields;
	size_t field_count;
	/* Record whose scalar form means one of its fields (2012: "signal": 6). */
	const char *scalar_key;
};

/* Common head of every record. */
typedef struct crp_record_head {
	uint64_t has;
	crp_extras extras;
} crp_record_head;

/* Common shape of typed arrays inside records: items, count, strays. */
typedef struct crp_array_slot {
	const void *items;
	size_t count;
	crp_strays strays;
} crp_array_slot;

/* The content of one report document (also of an embedded recrash_report). */
typedef struct crp_body {
	uint64_t has;            /* CRP_SECTION_* */
	crp_extras extras;
	crp_info info;
	const crp_image *images;
	size_t image_count;
	crp_strays image_strays;
	crp_process process;
	crp_system system;
	crp_crash crash;
	const crp_value *user;
	crp_debug debug;
	crp_report *recrash;
	bool incomplete;
} crp_body;

typedef struct crp_warning_node crp_warning_node;

struct crp_report {
	crp_body body;
	crp_report *owner;       /* NULL for a top-level report; else the one owning the arena */
	crp_arena arena;         /* used only when owner is NULL */
	unsigned provenance;
	const crp_diag *warnings;
	size_t warning_count;
	size_t warnings_dropped;
};

extern const crp_rdesc crp__body_desc;
extern const crp_rdesc crp__info_desc;
extern const crp_rdesc crp__version_desc;
extern const crp_rdesc crp__system_desc;
extern const crp_rdesc crp__image_desc;
extern const crp_rdesc crp__crash_desc;
extern const crp_rdesc crp__error_desc;
extern const crp_rdesc crp__thread_desc;
extern const crp_rdesc crp__frame_desc;
extern const crp_rdesc crp__backtrace_desc;
extern const crp_rdesc crp__registers_desc;
extern const crp_rdesc crp__regset_desc;
extern const crp_rdesc crp__debug_desc;
/* Every record table by its id (enum crp_rdesc_id). */
extern const crp_rdesc *const crp__rdescs[CRP_RD_COUNT];

/* Field lookup by key; `hint` is the index after the previous match (keys usually repeat in
 * the same order). Returns the index or -1. */
int crp__rdesc_find(const crp_rdesc *rd, const char *key, size_t len, size_t hint);

static inline crp_record_head *crp__head(void *rec) { return (crp_record_head *)rec; }
static inline void *crp__field_ptr(void *rec, const crp_fdesc *f) { return (char *)rec + f->off; }

#endif
