/* The CRPB wire schema (schema/crpb-format.md §5): its text is derived from the model's field
 * tables, so a field added to a table is written without any change here; parsing binds the
 * text back to the tables by key, so a reader maps fields by name, not by position. */
#include <stdio.h>

#include "crpb.h"

static const char *const kind_names[CRPB_W_KIND_COUNT] = {
	"u64", "i64", "i32", "f64", "bool", "str", "time", "uuid", "hex", "value", "record",
	"array", "strlist", "regset", "version", "report", "symbolication"};

static bool kind_takes_record(uint8_t k)
{
	return k == CRPB_W_RECORD || k == CRPB_W_ARRAY || k == CRPB_W_VERSION;
}

/* The wire kind of a model field kind. */
static uint8_t wire_kind(uint8_t local)
{
	switch (local) {
	case CRP_K_U64: return CRPB_W_U64;
	case CRP_K_I64: return CRPB_W_I64;
	case CRP_K_I32: return CRPB_W_I32;
	case CRP_K_F64: return CRPB_W_F64;
	case CRP_K_BOOL: return CRPB_W_BOOL;
	case CRP_K_STR: return CRPB_W_STR;
	case CRP_K_TIME: return CRPB_W_TIME;
	case CRP_K_UUID: return CRPB_W_UUID;
	case CRP_K_HEX: return CRPB_W_HEX;
	case CRP_K_VALUE:
	case CRP_K_USER: return CRPB_W_VALUE;
	case CRP_K_RECORD:
	case CRP_K_RECPTR:
	case CRP_K_BACKTRACE: return CRPB_W_RECORD;
	case CRP_K_ARRAY: return CRPB_W_ARRAY;
	case CRP_K_STRLIST: return CRPB_W_STRLIST;
	case CRP_K_REGSET: return CRPB_W_REGSET;
	case CRP_K_VERSION: return CRPB_W_VERSION;
	case CRP_K_REPORT: return CRPB_W_REPORT;
	default: return CRPB_W_KIND_COUNT;
	}
}

/* Fields of the format that the model tables do not list (§6.17). */
static const struct virtual_field {
	const crp_rdesc *rd;
	const char *key;
	uint8_t kind;
	uint16_t off;
} virtuals[] = {
	{&crp__frame_desc, "symbolicated", CRPB_W_SYMBOLICATION, (uint16_t)offsetof(crp_frame, symbolicated)},
};

/* Integer codings the writer picks (§6.1): they only make files smaller. */
static const struct hint {
	const crp_rdesc *rd;
	const char *key;
	const char *coding;
} hints[] = {
	{&crp__image_desc, "image_addr", "delta"},
	{&crp__image_desc, "image_vmaddr", "rel=image_addr"},
	{&crp__image_desc, "name", "delta"},
	{&crp__image_desc, "cpu_type", "delta"},
	{&crp__image_desc, "cpu_subtype", "delta"},
	{&crp__thread_desc, "index", "delta"},
	{&crp__frame_desc, "object_addr", "delta"},
	{&crp__frame_desc, "symbol_addr", "rel=object_addr"},
	{&crp__frame_desc, "instruction_addr", "rel=symbol_addr,object_addr"},
};

/* -- the text this build writes ---------------------------------------------------------- */

typedef struct sbuf {
	const crp_allocator *a;
	char *p;
	size_t len, cap;
	bool failed;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *q = crp__realloc(b->a, b->p, cap);
		if (!q) {
			b->failed = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

typedef struct queue {
	const crp_rdesc *rd[CRPB_MAX_RECORDS];
	size_t n;
} queue;

static size_t record_id(queue *q, const crp_rdesc *rd)
{
	for (size_t i = 0; i < q->n; i++)
		if (q->rd[i] == rd)
			return i;
	q->rd[q->n] = rd; /* the model has a few dozen tables: never near the cap */
	return q->n++;
}

static void put_field(sbuf *b, queue *q, const crp_rdesc *rd, const crp_fdesc *f)
{
	char num[32];
	uint8_t k = wire_kind(f->kind);
	puts_(b, "  ");
	put(b, f->key, f->key_len);
	puts_(b, " ");
	puts_(b, kind_names[k]);
	if (kind_takes_record(k)) {
		const crp_rdesc *sub = f->kind == CRP_K_VERSION ? &crp__version_desc : f->sub;
		snprintf(num, sizeof num, "=%zu", record_id(q, sub));
		puts_(b, num);
	}
	for (size_t i = 0; i < CRP_ARRAY_LEN(hints); i++)
		if (hints[i].rd == rd && strcmp(hints[i].key, f->key) == 0) {
			puts_(b, " ");
			puts_(b, hints[i].coding);
		}
	puts_(b, "\n");
}

int crp__crpb_schema_text(char **out, size_t *len, const crp_allocator *a)
{
	queue q = {{&crp__body_desc}, 1};
	sbuf b = {a, NULL, 0, 0, false};
	puts_(&b, "crpb-schema\n");
	for (size_t r = 0; r < q.n; r++) {
		const crp_rdesc *rd = q.rd[r];
		puts_(&b, "record ");
		puts_(&b, rd->name);
		puts_(&b, "\n");
		for (size_t i = 0; i < rd->field_count; i++)
			if (!(rd->fields[i].flags & CRP_FF_ALIAS))
				put_field(&b, &q, rd, &rd->fields[i]);
		for (size_t i = 0; i < CRP_ARRAY_LEN(virtuals); i++)
			if (virtuals[i].rd == rd) {
				puts_(&b, "  ");
				puts_(&b, virtuals[i].key);
				puts_(&b, " ");
				puts_(&b, kind_names[virtuals[i].kind]);
				puts_(&b, "\n");
			}
	}
	if (b.failed) {
		crp__free(a, b.p);
		return CRP_ENOMEM;
	}
	*out = b.p;
	*len = b.len;
	return CRP_OK;
}

/* -- builtin schemas (Appendix A) -------------------------------------------------------- */

static const char schema1[] =
#include "crpb_schema1.inc"
	;

const char *crp__crpb_builtin_schema(unsigned n, size_t *len)
{
	if (n != 1)
		return NULL;
	*len = sizeof schema1 - 1;
	return schema1;
}

/* -- parsing ----------------------------------------------------------------------------- */

typedef struct parser {
	const char *p, *end;
	size_t line;
	crp_error *err;
} parser;

static int fail(parser *ps, const char *what)
{
	crp__error_set(ps->err, CRP_ECORRUPT, "schema line %zu: %s", ps->line, what);
	return CRP_ECORRUPT;
}

/* Next line without its newline; false at the end. */
static bool next_line(parser *ps, const char **s, size_t *n)
{
	if (ps->p == ps->end)
		return false;
	const char *nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	*s = ps->p;
	*n = nl ? (size_t)(nl - ps->p) : (size_t)(ps->end - ps->p);
	ps->p = nl ? nl + 1 : ps->end;
	ps->line++;
	return true;
}

/* Split off the next space-separated word. */
static bool word(const char **s, size_t *n, const char **w, size_t *wn)
{
	if (*n == 0)
		return false;
	const char *sp = memchr(*s, ' ', *n);
	*w = *s;
	*wn = sp ? (size_t)(sp - *s) : *n;
	*s += *wn + (sp ? 1 : 0);
	*n -= *wn + (sp ? 1 : 0);
	return *wn > 0;
}

static bool valid_name(const char *s, size_t n)
{
	if (n == 0 || n > CRPB_MAX_KEY)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '!' || s[i] > '~')
			return false;
	return true;
}

static bool parse_uint(const char *s, size_t n, size_t max, size_t *out)
{
	size_t v = 0;
	if (n == 0 || n > 6 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (size_t)(s[i] - '0');
	}
	*out = v;
	return v < max;
}

/* Counts records and fields so everything is allocated at once. */
static int count_lines(parser *ps, size_t *records, size_t *fields)
{
	const char *s;
	size_t n;
	*records = *fields = 0;
	if (!next_line(ps, &s, &n) || n != 11 || memcmp(s, "crpb-schema", 11) != 0)
		return fail(ps, "expected \"crpb-schema\"");
	while (next_line(ps, &s, &n)) {
		if (n >= 7 && memcmp(s, "record ", 7) == 0)
			++*records;
		else if (n >= 2 && s[0] == ' ' && s[1] == ' ' && *records)
			++*fields;
		else
			return fail(ps, "expected \"record NAME\" or a field");
	}
	if (ps->end[-1] != '\n')
		return fail(ps, "text does not end with a newline");
	if (*records == 0 || *records > CRPB_MAX_RECORDS)
		return fail(ps, "no records, or too many");
	return CRP_OK;
}

static int find_field(const crpb_record *r, size_t before, const char *key, size_t n)
{
	for (size_t i = 0; i < before; i++)
		if (r->fields[i].key_len == n && memcmp(r->fields[i].key, key, n) == 0)
			return (int)i;
	return -1;
}

static int parse_coding(parser *ps, crpb_record *r, crpb_field *f, const char *s, size_t n)
{
	if (n == 5 && memcmp(s, "delta", 5) == 0 &&
	    (f->kind == CRPB_W_U64 || f->kind == CRPB_W_I64 || f->kind == CRPB_W_I32 || f->kind == CRPB_W_STR)) {
		f->coding = CRPB_C_DELTA;
		return CRP_OK;
	}
	if (n < 5 || memcmp(s, "rel=", 4) != 0 || f->kind != CRPB_W_U64)
		return fail(ps, "unknown coding for this kind");
	f->coding = CRPB_C_REL;
	s += 4;
	n -= 4;
	for (int k = 0; k < 2 && n; k++) {
		const char *comma = memchr(s, ',', n);
		size_t kn = comma ? (size_t)(comma - s) : n;
		int i = find_field(r, r->count, s, kn);
		if (i < 0 || r->fields[i].kind != CRPB_W_U64 || (k == 1 && (uint8_t)i == f->base[0]))
			return fail(ps, "rel= names an earlier u64 field");
		f->base[k] = (uint8_t)i;
		s += kn + (comma ? 1 : 0);
		n -= kn + (comma ? 1 : 0);
		if (comma && !n)
			return fail(ps, "rel= names an earlier u64 field");
	}
	return n ? fail(ps, "rel= names at most two fields") : CRP_OK;
}

static int parse_kind(parser *ps, crpb_field *f, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	size_t kn = eq ? (size_t)(eq - s) : n;
	for (uint8_t k = 0; k < CRPB_W_KIND_COUNT; k++) {
		if (strlen(kind_names[k]) != kn || memcmp(kind_names[k], s, kn) != 0)
			continue;
		f->kind = k;
		size_t sub = 0;
		if (kind_takes_record(k) != (eq != NULL) ||
		    (eq && !parse_uint(eq + 1, n - kn - 1, CRPB_MAX_RECORDS, &sub)))
			return fail(ps, "kind needs \"=RECORD\" exactly when it is record, array or version");
		f->sub = (uint32_t)sub;
		return CRP_OK;
	}
	return fail(ps, "unknown kind");
}

static int parse_field(parser *ps, crpb_record *r, const char *s, size_t n)
{
	const char *w;
	size_t wn;
	crpb_field *f = &r->fields[r->count];
	memset(f, 0, sizeof *f);
	f->base[0] = f->base[1] = CRPB_NO_FIELD;
	if (s[n - 1] == ' ')
		return fail(ps, "trailing space");
	s += 2;
	n -= 2;
	if (!word(&s, &n, &w, &wn) || !valid_name(w, wn))
		return fail(ps, "bad field key");
	if (r->count == CRPB_MAX_FIELDS)
		return fail(ps, "more than 63 fields in a record");
	if (find_field(r, r->count, w, wn) >= 0)
		return fail(ps, "duplicate field key");
	f->key = w;
	f->key_len = (uint8_t)wn;
	if (!word(&s, &n, &w, &wn))
		return fail(ps, "field without a kind");
	CRP_TRY(parse_kind(ps, f, w, wn));
	if (word(&s, &n, &w, &wn))
		CRP_TRY(parse_coding(ps, r, f, w, wn));
	if (n)
		return fail(ps, "unexpected text after the field");
	r->count++;
	return CRP_OK;
}

static int parse_records(parser *ps, crpb_schema *sc, crpb_field *fields)
{
	const char *s;
	size_t n;
	crpb_record *r = NULL;
	next_line(ps, &s, &n);
	while (next_line(ps, &s, &n)) {
		if (s[0] == 'r') {
			r = &sc->records[sc->count++];
			r->name = s + 7;
			r->name_len = (uint8_t)(n - 7);
			r->fields = fields;
			if (!valid_name(r->name, n - 7))
				return fail(ps, "bad record name");
			continue;
		}
		CRP_TRY(parse_field(ps, r, s, n));
		fields++;
	}
	return CRP_OK;
}

/* -- binding to the model tables --------------------------------------------------------- */

static const crp_rdesc *expected_sub(const crp_fdesc *lf)
{
	return lf->kind == CRP_K_VERSION ? &crp__version_desc : lf->sub;
}

static bool bind_record(crpb_schema *sc, uint32_t id, const crp_rdesc *rd);

static void bind_field(crpb_schema *sc, crpb_record *r, crpb_field *f)
{
	const crp_rdesc *rd = r->local;
	for (size_t i = 0; i < CRP_ARRAY_LEN(virtuals); i++)
		if (virtuals[i].rd == rd && virtuals[i].kind == f->kind &&
		    strlen(virtuals[i].key) == f->key_len && memcmp(virtuals[i].key, f->key, f->key_len) == 0) {
			f->virt = true;
			f->off = virtuals[i].off;
			return;
		}
	for (size_t i = 0; i < rd->field_count; i++) {
		const crp_fdesc *lf = &rd->fields[i];
		if ((lf->flags & CRP_FF_ALIAS) || lf->key_len != f->key_len ||
		    memcmp(lf->key, f->key, f->key_len) != 0)
			continue;
		if (wire_kind(lf->kind) != f->kind)
			return; /* the same key with another type: read generically */
		if (kind_takes_record(f->kind) && !bind_record(sc, f->sub, expected_sub(lf)))
			return;
		f->local = lf;
		f->off = lf->off;
		f->bit = lf->bit;
		r->covered |= lf->bit;
		return;
	}
}

/* Bind wire record `id` to table rd; false when it is already bound to another table. */
static bool bind_record(crpb_schema *sc, uint32_t id, const crp_rdesc *rd)
{
	crpb_record *r = &sc->records[id];
	if (r->local)
		return r->local == rd;
	r->local = rd;
	for (size_t i = 0; i < r->count; i++)
		bind_field(sc, r, &r->fields[i]);
	return true;
}

static uint8_t field_op(const crpb_field *f)
{
	if (!f->local)
		return f->virt ? CRPB_OP_OTHER : CRPB_OP_UNKNOWN;
	switch (f->kind) {
	case CRPB_W_U64: return f->coding == CRPB_C_PLAIN ? CRPB_OP_U64 : CRPB_OP_U64_CODED;
	case CRPB_W_STR: return f->coding == CRPB_C_PLAIN ? CRPB_OP_STR : CRPB_OP_OTHER;
	case CRPB_W_I64: return CRPB_OP_I64;
	default: return CRPB_OP_OTHER;
	}
}

/* Kinds whose value is read from the field's own stream alone: no record of another type
 * (whose presence stream other fields share) is read inside. */
static bool self_contained(const crpb_field *f)
{
	switch (f->kind) {
	case CRPB_W_RECORD:
	case CRPB_W_ARRAY:
	case CRPB_W_VERSION:
	case CRPB_W_REPORT: return false;
	default: return f->op != CRPB_OP_UNKNOWN;
	}
}

/* After binding: how the decoder reads each field (enum crpb_op), and which records it may
 * read a column at a time (each field for every element of an array before the next field:
 * the same values from the same streams in the same order per stream). */
static void plan_ops(crpb_schema *sc)
{
	for (size_t i = 0; i < sc->count; i++) {
		crpb_record *r = &sc->records[i];
		r->columnar = r->local != NULL;
		for (size_t k = 0; k < r->count; k++) {
			r->fields[k].op = field_op(&r->fields[k]);
			r->columnar &= self_contained(&r->fields[k]);
		}
	}
}

static void number_streams(crpb_schema *sc)
{
	uint32_t s = 0;
	for (size_t i = 0; i < sc->count; i++) {
		crpb_record *r = &sc->records[i];
		r->presence = s++;
		for (size_t k = 0; k < r->count; k++)
			r->fields[k].stream = s++;
	}
	sc->streams = s;
}

static int check_subs(parser *ps, const crpb_schema *sc)
{
	for (size_t i = 0; i < sc->count; i++)
		for (size_t k = 0; k < sc->records[i].count; k++)
			if (sc->records[i].fields[k].sub >= sc->count) {
				ps->line = 0;
				return fail(ps, "a field names a record that does not exist");
			}
	return CRP_OK;
}

int crp__crpb_schema_parse(crpb_schema **out, const char *text, size_t len, const crp_allocator *a,
			   crp_error *err)
{
	parser ps = {text, text + len, 0, err};
	size_t nrec, nfield;
	*out = NULL;
	if (len == 0 || len > CRPB_MAX_SCHEMA_TEXT)
		return fail(&ps, "empty or too long");
	CRP_TRY(count_lines(&ps, &nrec, &nfield));
	size_t bytes = sizeof(crpb_schema) + nrec * sizeof(crpb_record) + nfield * sizeof(crpb_field) + len;
	crpb_schema *sc = crp__malloc(a, bytes);
	if (!sc)
		return CRP_ENOMEM;
	memset(sc, 0, bytes);
	sc->alloc = *a;
	sc->records = (crpb_record *)(sc + 1);
	crpb_field *fields = (crpb_field *)(sc->records + nrec);
	sc->text = (char *)(fields + nfield);
	memcpy(sc->text, text, len);
	sc->text_len = len;
	ps = (parser){sc->text, sc->text + len, 0, err};
	int rc = parse_records(&ps, sc, fields);
	if (rc == CRP_OK)
		rc = check_subs(&ps, sc);
	if (rc != CRP_OK) {
		crp__free(a, sc);
		return rc;
	}
	number_streams(sc);
	bind_record(sc, 0, &crp__body_desc);
	plan_ops(sc);
	size_t blen;
	const char *b = crp__crpb_builtin_schema(1, &blen);
	sc->builtin = b && blen == len && memcmp(b, text, len) == 0 ? 1 : 0;
	*out = sc;
	return CRP_OK;
}

void crp__crpb_schema_free(crpb_schema *s)
{
	if (s) {
		crp_allocator a = s->alloc;
		crp__free(&a, s);
	}
}

/* -- number texts ------------------------------------------------------------------------ */

bool crp__crpb_canonical_int(const char *s, size_t len, bool *neg, uint64_t *mag)
{
	size_t i = 0;
	uint64_t v = 0;
	*neg = len > 0 && s[0] == '-';
	i = *neg;
	if (i == len || len - i > 20 || (s[i] == '0' && len - i > 1) || (*neg && s[i] == '0'))
		return false;
	for (; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*mag = v;
	return true;
}

bool crp__crpb_json_number(const char *s, size_t len)
{
	size_t i = 0;
#define DIGITS(min)                                                                                \
	do {                                                                                       \
		size_t start_ = i;                                                                 \
		while (i < len && s[i] >= '0' && s[i] <= '9')                                      \
			i++;                                                                       \
		if (i - start_ < (min))                                                            \
			return false;                                                              \
	} while (0)
	if (i < len && s[i] == '-')
		i++;
	if (i < len && s[i] == '0')
		i++;
	else
		DIGITS(1);
	if (i < len && s[i] == '.') {
		i++;
		DIGITS(1);
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		DIGITS(1);
	}
#undef DIGITS
	return i == len;
}
