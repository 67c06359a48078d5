/* An independent, deliberately plain CRPB decoder written from schema/crpb-format.md alone
 * (zstd's educational decoder idea). It includes nothing from src/ and knows no model: it reads
 * the schema a file names and renders each report as JSON by §10 of the spec. Every sample must
 * render exactly as crashport's JSON writer renders the same reports parsed from JSON, so the
 * spec, the writer and the reader are checked against each other. Any violation of a MUST of the
 * spec fails the test. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "testutil.h"

#define NEED(cond, what) ck_assert_msg((cond), "spec violation: %s", (what))

/* -- bytes and integers (§1) -------------------------------------------------------------- */

typedef struct cur {
	const unsigned char *p, *end;
} cur;

static unsigned char byte(cur *c)
{
	NEED(c->p < c->end, "read past the end of a stream");
	return *c->p++;
}

static uint64_t varint(cur *c)
{
	uint64_t v = 0;
	for (int i = 0; i < 10; i++) {
		unsigned char b = byte(c);
		NEED(i < 9 || b <= 1, "varint over 64 bits");
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			NEED(b != 0 || i == 0, "varint not in its shortest form");
			return v;
		}
	}
	NEED(0, "varint longer than 10 bytes");
	return 0;
}

static int64_t svarint(cur *c)
{
	uint64_t u = varint(c);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* -- output ------------------------------------------------------------------------------- */

typedef struct out {
	char *p;
	size_t len, cap;
} out;

static void put(out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->p = realloc(o->p, o->cap);
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

__attribute__((format(printf, 2, 3))) static void putf(out *o, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	put(o, buf, (size_t)n);
}

static void json_string(out *o, const char *s, size_t n)
{
	put(o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		const char *esc = ch == '"' ? "\\\"" : ch == '\\' ? "\\\\" : ch == '\b' ? "\\b" : ch == '\f' ? "\\f"
				: ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : ch == '\t' ? "\\t" : NULL;
		if (esc)
			put(o, esc, 2);
		else if (ch < 0x20)
			putf(o, "\\u%04x", ch);
		else
			put(o, s + i, 1);
	}
	put(o, "\"", 1);
}

/* Containers laid out as crashport's writer does: 4 spaces per level. */
typedef struct box {
	out *o;
	int depth;
	int items;
} box;

static box open_box(out *o, int depth, char bracket)
{
	put(o, &bracket, 1);
	return (box){o, depth, 0};
}

static void item(box *b)
{
	if (b->items++)
		put(b->o, ",", 1);
	put(b->o, "\n", 1);
	for (int i = 0; i <= b->depth; i++)
		put(b->o, "    ", 4);
}

static void close_box(box *b, char bracket)
{
	if (b->items) {
		put(b->o, "\n", 1);
		for (int i = 0; i < b->depth; i++)
			put(b->o, "    ", 4);
	}
	put(b->o, &bracket, 1);
}

/* -- the schema (§5) ---------------------------------------------------------------------- */

enum { U64, I64, I32, F64, BOOL, STR, TIME, UUID, HEX, VALUE, STRLIST, REGSET, REPORT, SYMB, RECORD, ARRAY, VERSION };
static const char *const kinds[] = {"u64", "i64", "i32", "f64", "bool", "str", "time", "uuid", "hex",
				    "value", "strlist", "regset", "report", "symbolication", "record",
				    "array", "version"};
enum { PLAIN, DELTA, REL };

typedef struct sfield {
	char key[256];
	int kind, sub, coding, base[2], stream;
} sfield;

typedef struct srec {
	sfield f[63];
	int n, presence;
} srec;

typedef struct schema {
	srec r[1024];
	int n, streams;
} schema;

static void parse_field(srec *r, char *line)
{
	NEED(r->n < 63, "at most 63 fields");
	sfield *f = &r->f[r->n];
	char kind[64] = "", coding[600] = "";
	int got = sscanf(line, "  %255s %63s %599s", f->key, kind, coding);
	NEED(got >= 2, "a field line has a key and a kind");
	char *eq = strchr(kind, '=');
	if (eq)
		*eq = '\0';
	f->kind = -1;
	for (int k = 0; k < (int)(sizeof kinds / sizeof *kinds); k++)
		if (strcmp(kind, kinds[k]) == 0)
			f->kind = k;
	NEED(f->kind >= 0 && (f->kind >= RECORD) == (eq != NULL), "known kind, =R exactly for record, array, version");
	f->sub = eq ? atoi(eq + 1) : 0;
	f->base[0] = f->base[1] = -1;
	f->coding = PLAIN;
	if (got == 3 && strcmp(coding, "delta") == 0) {
		f->coding = DELTA;
	} else if (got == 3) {
		NEED(strncmp(coding, "rel=", 4) == 0 && f->kind == U64, "rel= on u64");
		f->coding = REL;
		char *tok = strtok(coding + 4, ",");
		for (int k = 0; tok; k++, tok = strtok(NULL, ","))
			for (int j = 0; j < r->n; j++)
				if (strcmp(r->f[j].key, tok) == 0)
					f->base[k] = j;
		NEED(f->base[0] >= 0, "rel= names earlier fields");
	}
	r->n++;
}

static void parse_schema(schema *s, const char *text, size_t len)
{
	char *t = malloc(len + 1), *save = NULL;
	memcpy(t, text, len);
	t[len] = '\0';
	NEED(len > 12 && strncmp(t, "crpb-schema\n", 12) == 0 && t[len - 1] == '\n', "schema text framing");
	memset(s, 0, sizeof *s);
	for (char *line = strtok_r(t + 12, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "record ", 7) == 0) {
			NEED(s->n < 1024, "at most 1024 records");
			s->n++;
		} else {
			NEED(s->n > 0 && line[0] == ' ' && line[1] == ' ', "fields come inside a record");
			parse_field(&s->r[s->n - 1], line);
		}
	}
	for (int i = 0; i < s->n; i++) {
		s->r[i].presence = s->streams++;
		for (int k = 0; k < s->r[i].n; k++) {
			s->r[i].f[k].stream = s->streams++;
			NEED(s->r[i].f[k].sub < s->n, "record numbers exist");
		}
	}
	free(t);
}

/* -- a report (§6-8, rendered by §10) ------------------------------------------------------ */

typedef struct str {
	const char *p;
	size_t len;
} str;

typedef struct rep {
	const schema *s;
	cur *st;          /* streams */
	uint64_t *prev;
	str *strs;
	uint64_t nstrs;
	out *o;
} rep;

static str string(rep *r, uint64_t id)
{
	NEED(id < r->nstrs, "string id in range");
	return r->strs[id];
}

static void json_str_id(rep *r, uint64_t id)
{
	str s = string(r, id);
	json_string(r->o, s.p, s.len);
}

static void value(rep *r, cur *c, int depth);

static void members(rep *r, cur *c, box *b)
{
	uint64_t k = varint(c);
	for (uint64_t i = 0; i < k; i++) {
		item(b);
		json_str_id(r, varint(c));
		put(r->o, ": ", 2);
		value(r, c, b->depth + 1);
	}
}

static void value(rep *r, cur *c, int depth)
{
	unsigned char tag = byte(c);
	uint64_t n;
	box b;
	switch (tag) {
	case 0: put(r->o, "null", 4); break;
	case 1: put(r->o, "false", 5); break;
	case 2: put(r->o, "true", 4); break;
	case 3: putf(r->o, "%llu", (unsigned long long)varint(c)); break;
	case 4:
		n = varint(c);
		NEED(n != UINT64_MAX, "negative integer in range");
		putf(r->o, "-%llu", (unsigned long long)(n + 1));
		break;
	case 5: {
		str s = string(r, varint(c));
		put(r->o, s.p, s.len);
		break;
	}
	case 6: json_str_id(r, varint(c)); break;
	case 7:
		n = varint(c);
		b = open_box(r->o, depth, '[');
		for (uint64_t i = 0; i < n; i++) {
			item(&b);
			value(r, c, depth + 1);
		}
		close_box(&b, ']');
		break;
	case 8:
		b = open_box(r->o, depth, '{');
		members(r, c, &b);
		close_box(&b, '}');
		break;
	default: NEED(0, "known value tag");
	}
}

static void record(rep *r, int rec, int depth);

/* Howard Hinnant's civil_from_days, for §10 times. */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void time_value(rep *r, cur *c)
{
	uint64_t form = varint(c);
	int64_t us = svarint(c);
	NEED((form >= 1 && form <= 5) || form == 100, "known time form");
	if (form == 5) {
		NEED(us == 0, "an empty time is 0");
		put(r->o, "\"\"", 2);
		return;
	}
	int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000), frac = us - secs * 1000000;
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400), rem = secs - days * 86400, y;
	unsigned mo, d;
	civil(days, &y, &mo, &d);
	putf(r->o, "\"%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, mo, d, (unsigned)(rem / 3600),
	     (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
	if (!((form == 1 || form == 3) && frac == 0))
		putf(r->o, ".%06u", (unsigned)frac);
	put(r->o, "Z\"", 2);
}

static void f64_value(rep *r, cur *c)
{
	uint64_t bits = 0;
	double d;
	char buf[40];
	for (int i = 0; i < 8; i++)
		bits |= (uint64_t)byte(c) << (8 * i);
	memcpy(&d, &bits, 8);
	NEED(d == d && d - d == 0, "finite f64");
	if (d == 0)
		d = 0; /* negative zero renders as 0 */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	put(r->o, buf, strlen(buf));
}

static void hex_bytes(rep *r, cur *c, size_t n, bool uuid)
{
	put(r->o, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		if (uuid && (i == 4 || i == 6 || i == 8 || i == 10))
			put(r->o, "-", 1);
		putf(r->o, "%02X", byte(c));
	}
	put(r->o, "\"", 1);
}

/* array=R / strlist: n items and the strays merged at their indices */
static void array(rep *r, cur *c, const sfield *f, int depth)
{
	uint64_t n = varint(c), k = varint(c), last = 0;
	cur strays = *c;
	for (uint64_t i = 0; i < k; i++) { /* skip over the strays to reach the items */
		uint64_t idx = varint(c);
		NEED(idx < n + k && (i == 0 || idx > last), "stray indices increase and fit");
		last = idx;
		out scratch = {0};
		out *saved = r->o;
		r->o = &scratch;
		value(r, c, 0);
		r->o = saved;
		free(scratch.p);
	}
	box b = open_box(r->o, depth, '[');
	uint64_t next = k ? varint(&strays) : UINT64_MAX, s = 0;
	for (uint64_t i = 0; i < n + k; i++) {
		item(&b);
		if (i == next) {
			value(r, &strays, depth + 1);
			next = ++s < k ? varint(&strays) : UINT64_MAX;
		} else if (f->kind == ARRAY) {
			record(r, f->sub, depth + 1);
		} else {
			json_str_id(r, varint(c));
		}
	}
	close_box(&b, ']');
}

static void regset(rep *r, cur *c, int depth)
{
	uint64_t n = varint(c);
	box b = open_box(r->o, depth, '{');
	for (uint64_t i = 0; i < n; i++) {
		item(&b);
		json_str_id(r, varint(c));
		putf(r->o, ": %llu", (unsigned long long)varint(c));
	}
	members(r, c, &b);
	close_box(&b, '}');
}

static void opt_string_id(rep *r, cur *c)
{
	uint64_t id = varint(c);
	NEED(id <= r->nstrs, "string id + 1 in range");
}

static void symbolication(rep *r, cur *c)
{
	NEED(varint(c) <= 3, "symbolication source");
	NEED(varint(c) < (UINT64_C(1) << 32), "symbolication flags");
	NEED(varint(c) < r->nstrs, "symbolication image");
	varint(c), varint(c);
	opt_string_id(r, c);
	uint64_t n = varint(c);
	NEED(n >= 1, "a symbolication has a location");
	for (uint64_t i = 0; i < n; i++) {
		opt_string_id(r, c);
		opt_string_id(r, c);
		NEED(varint(c) < (UINT64_C(1) << 32) && varint(c) < (UINT64_C(1) << 32), "line and column");
	}
	varint(c); /* offset */
}

static uint64_t rel_base(const srec *sr, const sfield *f, uint64_t mask, const uint64_t *vals)
{
	for (int k = 0; k < 2 && f->base[k] >= 0; k++)
		if (mask & (UINT64_C(2) << f->base[k]))
			return vals[f->base[k]];
	(void)sr;
	return 0;
}

static void field(rep *r, const srec *sr, int i, uint64_t mask, uint64_t *vals, box *b)
{
	const sfield *f = &sr->f[i];
	cur *c = &r->st[f->stream];
	uint64_t u;
	if (f->kind == SYMB) {
		symbolication(r, c);
		return;
	}
	item(b);
	json_string(r->o, f->key, strlen(f->key));
	put(r->o, ": ", 2);
	switch (f->kind) {
	case U64:
		u = varint(c);
		if (f->coding == DELTA)
			u = r->prev[f->stream] += (uint64_t)((int64_t)(u >> 1) ^ -(int64_t)(u & 1));
		else if (f->coding == REL)
			u = rel_base(sr, f, mask, vals) + (uint64_t)((int64_t)(u >> 1) ^ -(int64_t)(u & 1));
		vals[i] = u;
		putf(r->o, "%llu", (unsigned long long)u);
		break;
	case I64:
	case I32: {
		int64_t v = svarint(c);
		if (f->coding == DELTA)
			v = (int64_t)(r->prev[f->stream] += (uint64_t)v);
		NEED(f->kind == I64 || (v >= INT32_MIN && v <= INT32_MAX), "i32 fits");
		putf(r->o, "%lld", (long long)v);
		break;
	}
	case F64: f64_value(r, c); break;
	case BOOL:
		u = byte(c);
		NEED(u <= 1, "bool is 0 or 1");
		put(r->o, u ? "true" : "false", u ? 4 : 5);
		break;
	case STR:
		u = varint(c);
		if (f->coding == DELTA)
			u = r->prev[f->stream] += (uint64_t)((int64_t)(u >> 1) ^ -(int64_t)(u & 1));
		NEED(memchr(string(r, u).p, 0, string(r, u).len) == NULL, "typed strings hold no NUL");
		json_str_id(r, u);
		break;
	case TIME: time_value(r, c); break;
	case UUID: hex_bytes(r, c, 16, true); break;
	case HEX: hex_bytes(r, c, varint(c), false); break;
	case VALUE: value(r, c, b->depth + 1); break;
	case RECORD: record(r, f->sub, b->depth + 1); break;
	case ARRAY:
	case STRLIST: array(r, c, f, b->depth + 1); break;
	case REGSET: regset(r, c, b->depth + 1); break;
	case VERSION: {
		uint64_t form = varint(c), text = varint(c);
		NEED(form >= 1 && form <= 3, "version form");
		json_str_id(r, text);
		out scratch = {0}; /* the record is read, not rendered */
		out *saved = r->o;
		r->o = &scratch;
		record(r, f->sub, 0);
		r->o = saved;
		free(scratch.p);
		break;
	}
	case REPORT:
		varint(c); /* provenance */
		record(r, 0, b->depth + 1);
		break;
	}
}

static void record(rep *r, int rec, int depth)
{
	const srec *sr = &r->s->r[rec];
	cur *pc = &r->st[sr->presence];
	uint64_t mask = varint(pc), vals[63] = {0};
	NEED((mask >> 1) >> sr->n == 0, "presence bits only for fields");
	box b = open_box(r->o, depth, '{');
	for (int i = 0; i < sr->n; i++)
		if (mask & (UINT64_C(2) << i))
			field(r, sr, i, mask, vals, &b);
	if (mask & 1)
		members(r, pc, &b);
	close_box(&b, '}');
}

static void read_strings(rep *r, cur *c)
{
	r->nstrs = varint(c);
	uint64_t bytes = varint(c);
	NEED(bytes <= (uint64_t)(c->end - c->p) && r->nstrs <= bytes, "string table fits");
	const unsigned char *p = c->p, *end = p + bytes;
	c->p += bytes;
	r->strs = calloc(r->nstrs + 1, sizeof *r->strs);
	for (uint64_t i = 0; i < r->nstrs; i++) {
		const unsigned char *z = memchr(p, 0, (size_t)(end - p));
		NEED(z != NULL, "every string ends with a NUL");
		char *s = malloc((size_t)(z - p) + 1);
		size_t n = 0;
		for (const unsigned char *q = p; q < z; q++) {
			bool esc = q + 1 < z && q[0] == 0xC0 && q[1] == 0x80; /* U+0000 */
			s[n++] = esc ? '\0' : (char)*q;
			q += esc;
		}
		s[n] = '\0';
		r->strs[i] = (str){s, n};
		p = z + 1;
	}
	NEED(p == end, "the table holds exactly its strings");
}

static void render_report(const schema *s, const unsigned char *p, size_t n, out *o)
{
	cur c = {p, p + n};
	rep r = {s, NULL, NULL, NULL, 0, o};
	varint(&c); /* provenance: not JSON */
	read_strings(&r, &c);
	NEED(varint(&c) == (uint64_t)s->streams, "stream count matches the schema");
	r.st = calloc((size_t)s->streams, sizeof *r.st);
	r.prev = calloc((size_t)s->streams, sizeof *r.prev);
	uint64_t *lens = calloc((size_t)s->streams, sizeof *lens);
	for (int i = 0; i < s->streams; i++)
		lens[i] = varint(&c);
	for (int i = 0; i < s->streams; i++) {
		NEED(lens[i] <= (uint64_t)(c.end - c.p), "streams fit the payload");
		r.st[i] = (cur){c.p, c.p + lens[i]};
		c.p += lens[i];
	}
	NEED(c.p == c.end, "streams end with the payload");
	record(&r, 0, 0);
	put(o, "\n", 1);
	for (int i = 0; i < s->streams; i++)
		NEED(r.st[i].p == r.st[i].end, "every stream read to its end");
	for (uint64_t i = 0; i < r.nstrs; i++)
		free((void *)r.strs[i].p);
	free(r.strs);
	free(r.st);
	free(r.prev);
	free(lens);
}

/* -- the file (§2-4) ---------------------------------------------------------------------- */

static unsigned char *payload(const unsigned char *h, const unsigned char *p, size_t *n)
{
	uint32_t stored = le32(h + 2), size = le32(h + 6);
	NEED(crc32(crc32(0, h, 10), p, stored) == le32(h + 10), "section CRC");
	NEED((h[1] & ~7u) == 0 && (h[1] & 3) != 3, "known flags");
	unsigned char *raw = malloc(size + 1);
	*n = size;
	if ((h[1] & 3) == 0) {
		NEED(stored == size, "stored sizes agree");
		memcpy(raw, p, size);
	} else if ((h[1] & 3) == 1) {
		z_stream z = {0};
		inflateInit2(&z, -15);
		z.next_in = (unsigned char *)(uintptr_t)p;
		z.avail_in = stored;
		z.next_out = raw;
		z.avail_out = size;
		NEED(inflate(&z, Z_FINISH) == Z_STREAM_END && !z.avail_in && !z.avail_out, "DEFLATE to the size");
		inflateEnd(&z);
	} else {
		NEED(ZSTD_decompress(raw, size, p, stored) == size, "Zstandard to the size");
	}
	return raw;
}

/* Renders every report of a file; returns the number of reports. */
static size_t render_file(const unsigned char *f, size_t len, const char *builtin1, out *o)
{
	schema *s = calloc(1, sizeof *s);
	NEED(len >= 24 && memcmp(f, "\x89" "CRPB\r\n\x1a", 8) == 0, "magic");
	NEED(crc32(0, f, 12) == le32(f + 12) && f[8] == 1, "header CRC, major 1");
	unsigned schema_id = f[10] | (unsigned)f[11] << 8;
	NEED(schema_id <= 1, "a schema this decoder knows");
	if (schema_id == 1)
		parse_schema(s, builtin1, strlen(builtin1));
	size_t off = 16, reports = 0, offsets[256];
	for (;;) {
		NEED(len - off >= 14, "section header fits");
		const unsigned char *h = f + off;
		uint32_t stored = le32(h + 2);
		NEED(stored <= len - off - 14, "section fits");
		size_t n;
		unsigned char *p = payload(h, h + 14, &n);
		NEED((h[0] == 1) == (schema_id == 0 && off == 16), "schema section first, exactly when inline");
		if (h[0] == 1)
			parse_schema(s, (const char *)p, n);
		if (h[0] == 2) {
			NEED(reports < 256, "small samples");
			offsets[reports++] = off;
			render_report(s, p, n, o);
		}
		if (h[0] == 3) {
			cur c = {p, p + n};
			NEED(varint(&c) == reports, "the index lists every report");
			for (size_t i = 0; i < reports; i++) {
				NEED(varint(&c) == offsets[i], "index offsets");
				varint(&c);
				uint64_t idl = varint(&c);
				c.p += idl ? idl - 1 : 0;
				if (varint(&c))
					varint(&c);
			}
			NEED(c.p == c.end, "index ends with its entries");
			size_t total = 14 + stored;
			free(p);
			off += total;
			NEED(len - off == 8 && le32(f + off) == total && memcmp(f + off + 4, "BPRC", 4) == 0, "footer");
			break;
		}
		free(p);
		off += 14 + stored;
	}
	free(s);
	return reports;
}

/* -- the test ----------------------------------------------------------------------------- */

static char **names;
static size_t n_fix, n_all;
static char *builtin1;

static void load(void)
{
	char *dir = tu_path(tu_fixtures_dir(), "kscrash");
	char **fx, **co = NULL;
	n_fix = tu_list(dir, ".json,.ndjson", &fx);
	size_t n_co = tu_corpus_dir() ? tu_list(tu_corpus_dir(), ".json", &co) : 0;
	names = calloc(n_fix + n_co + 1, sizeof *names);
	for (size_t i = 0; i < n_fix; i++)
		names[i] = tu_path(dir, fx[i]);
	for (size_t i = 0; i < n_co; i++)
		names[n_fix + i] = tu_path(tu_corpus_dir(), co[i]);
	n_all = n_fix + n_co;
	tu_free_names(fx);
	tu_free_names(co);
	free(dir);
	/* builtin schema 1 from the spec's Appendix A, not from the library */
	size_t len;
	char *path = tu_path(CRP_SOURCE_DIR, "schema/crpb-format.md");
	char *spec = tu_read_file(path, &len);
	const char *a = spec ? strstr(spec, "## Appendix A.") : NULL;
	const char *start = a ? strstr(a, "```\n") : NULL;
	const char *end = start ? strstr(start + 4, "```\n") : NULL;
	if (end)
		builtin1 = strndup(start + 4, (size_t)(end - start - 4));
	free(spec);
	free(path);
}

static void unload(void)
{
	for (size_t i = 0; i < n_all; i++)
		free(names[i]);
	free(names);
	free(builtin1);
}

static void check_file(size_t i, const char *const *params)
{
	size_t len, n, clen, jlen;
	char *json = tu_read_file(names[i], &len);
	crp_report **r;
	ck_assert_ptr_nonnull(builtin1);
	ck_assert_int_eq(tu_parse(json, len, 0, NULL, &r, &n, NULL), CRP_OK);
	char *expected = tu_emit("json", r, n, NULL, &jlen);
	char *crpb = tu_emit("crpb", r, n, params, &clen);
	out o = {0};
	ck_assert_uint_eq(render_file((const unsigned char *)crpb, clen, builtin1, &o), n);
	ck_assert_msg(o.len == jlen && memcmp(o.p, expected, jlen) == 0, "%s: the spec decoder renders differently",
		      names[i]);
	free(o.p);
	free(crpb);
	free(expected);
	tu_free_reports(r, n);
	free(json);
}

START_TEST(spec_decoder_reads_every_sample)
{
	check_file((size_t)_i, NULL);
}
END_TEST

START_TEST(spec_decoder_reads_every_codec_and_inline_schemas)
{
	static const char *const sets[][3] = {{"codec=deflate", NULL}, {"codec=none", "schema=inline"},
					      {"codec=zstd", "schema=inline"}};
	for (size_t k = 0; k < 3; k++)
		check_file((size_t)_i, sets[k]);
}
END_TEST

Suite *suite_crpb_spec(void)
{
	Suite *s = suite_create("crpb_spec");
	TCase *tc = tcase_create("spec decoder");
	tcase_set_timeout(tc, 600);
	load();
	atexit(unload);
	tcase_add_loop_test(tc, spec_decoder_reads_every_sample, 0, (int)n_all);
	tcase_add_loop_test(tc, spec_decoder_reads_every_codec_and_inline_schemas, 0, (int)n_fix);
	suite_add_tcase(s, tc);
	return s;
}
