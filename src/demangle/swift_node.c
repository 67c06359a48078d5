/* Memory and nodes of the Swift demangler, and Swift's Punycode. */
#include "swift_int.h"

typedef struct sw_block {
	struct sw_block *next;
	max_align_t data[];
} sw_block;

void sw_mem_init(sw_mem *m, void *first, size_t cap, const crp_allocator *a)
{
	m->alloc = a;
	m->cur = first;
	m->end = (unsigned char *)first + cap;
	m->blocks = NULL;
	m->used = 0;
	m->budget = SW_MEM_BUDGET;
	m->failed = false;
	m->oom = false;
}

void sw_mem_dispose(sw_mem *m)
{
	sw_block *b = m->blocks;
	while (b) {
		sw_block *next = b->next;
		crp__free(m->alloc, b);
		b = next;
	}
	m->blocks = NULL;
}

static void *alloc_slow(sw_mem *m, size_t n)
{
	size_t size = n + sizeof(sw_block) > 16384 ? n + sizeof(sw_block) : 16384;
	if (!m->alloc || m->failed || m->used + size > m->budget) {
		m->failed = true;
		return NULL;
	}
	sw_block *b = crp__malloc(m->alloc, size);
	if (!b) {
		m->failed = m->oom = true;
		return NULL;
	}
	m->used += size;
	b->next = m->blocks;
	m->blocks = b;
	m->cur = (unsigned char *)b->data + n;
	m->end = (unsigned char *)b + size;
	return b->data;
}

void *sw_alloc(sw_mem *m, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	if (CRP_UNLIKELY((size_t)(m->end - m->cur) < n))
		return alloc_slow(m, n);
	void *p = m->cur;
	m->cur += n;
	return p;
}

sw_node *sw_node_new(sw_mem *m, sw_kind k)
{
	sw_node *n = sw_alloc(m, sizeof *n);
	if (n) {
		memset(n, 0, sizeof *n);
		n->kind = (uint16_t)k;
		n->kids = n->inl;
		n->cap = 2;
	}
	return n;
}

sw_node *sw_node_text(sw_mem *m, sw_kind k, const char *s, size_t len)
{
	sw_node *n = sw_node_new(m, k);
	if (n) {
		n->payload = SW_TEXT;
		n->text = s;
		n->index = len;
	}
	return n;
}

sw_node *sw_node_index(sw_mem *m, sw_kind k, uint64_t i)
{
	sw_node *n = sw_node_new(m, k);
	if (n) {
		n->payload = SW_INDEX;
		n->index = i;
	}
	return n;
}

sw_node *sw_add(sw_mem *m, sw_node *parent, sw_node *child)
{
	if (!parent || !child)
		return NULL;
	if (parent->n == parent->cap) {
		uint32_t cap = parent->cap * 2;
		sw_node **kids = sw_alloc(m, cap * sizeof *kids);
		if (!kids)
			return NULL;
		if (parent->n)
			memcpy(kids, parent->kids, parent->n * sizeof *kids);
		parent->kids = kids;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = child;
	return parent;
}

sw_node *sw_with(sw_mem *m, sw_kind k, sw_node *c0)
{
	return c0 ? sw_add(m, sw_node_new(m, k), c0) : NULL;
}

sw_node *sw_with2(sw_mem *m, sw_kind k, sw_node *c0, sw_node *c1)
{
	return c0 && c1 ? sw_add(m, sw_with(m, k, c0), c1) : NULL;
}

sw_node *sw_with3(sw_mem *m, sw_kind k, sw_node *c0, sw_node *c1, sw_node *c2)
{
	return c0 && c1 && c2 ? sw_add(m, sw_with2(m, k, c0, c1), c2) : NULL;
}

void sw_reverse(sw_node *n, size_t from)
{
	if (!n || n->n < 2)
		return;
	for (size_t i = from, j = n->n - 1; i < j; i++, j--) {
		sw_node *t = n->kids[i];
		n->kids[i] = n->kids[j];
		n->kids[j] = t;
	}
}

void sw_remove(sw_node *n, size_t at)
{
	if (!n || at >= n->n)
		return;
	memmove(n->kids + at, n->kids + at + 1, (n->n - at - 1) * sizeof *n->kids);
	n->n--;
}

bool sw_text_is(const sw_node *n, const char *s)
{
	size_t len = strlen(s);
	return n && n->payload == SW_TEXT && n->index == len && memcmp(n->text, s, len) == 0;
}

bool sw_is_context(sw_kind k)
{
	static const unsigned char ctx[SW_KIND_COUNT] = {
#define SW_CTX_(k, c) c,
		SW_KINDS(SW_CTX_)
#undef SW_CTX_
	};
	return (unsigned)k < SW_KIND_COUNT && ctx[k];
}

/* ---- Punycode (RFC 3492 with Swift's digit alphabet) ---- */

enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38, PC_DAMP = 700 };

static int pc_digit(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'J')
		return c - 'A' + 26;
	return -1;
}

static uint32_t pc_adapt(uint32_t delta, uint32_t points, bool first)
{
	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / points;
	uint32_t k = 0;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

/* One variable-length integer; false on bad digits or overflow. */
static bool pc_varint(const char *s, size_t n, size_t *pos, uint32_t *i, uint32_t bias)
{
	uint32_t w = 1;
	for (uint32_t k = PC_BASE;; k += PC_BASE) {
		int d = *pos < n ? pc_digit(s[(*pos)++]) : -1;
		if (d < 0 || (uint32_t)d > (UINT32_MAX / 2 - *i) / w)
			return false;
		*i += (uint32_t)d * w;
		uint32_t t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ? PC_TMAX : k - bias;
		if ((uint32_t)d < t)
			return true;
		if (w > UINT32_MAX / 2 / (PC_BASE - t))
			return false;
		w *= PC_BASE - t;
	}
}

static size_t pc_decode(const char *s, size_t n, uint32_t *cp)
{
	size_t basic = 0, out = 0, pos = 0;
	for (size_t j = n; j-- > 0;)
		if (s[j] == '_') {
			basic = j;
			pos = j + 1;
			break;
		}
	for (size_t j = 0; j < basic; j++) {
		if ((unsigned char)s[j] >= 0x80)
			return SIZE_MAX;
		cp[out++] = (unsigned char)s[j];
	}
	uint32_t cur = 128, i = 0, bias = 72;
	while (pos < n) {
		uint32_t old = i;
		if (!pc_varint(s, n, &pos, &i, bias))
			return SIZE_MAX;
		bias = pc_adapt(i - old, (uint32_t)out + 1, old == 0);
		if (i / (out + 1) > 0x10FFFF - cur)
			return SIZE_MAX;
		cur += i / (uint32_t)(out + 1);
		i %= (uint32_t)(out + 1);
		memmove(cp + i + 1, cp + i, (out - i) * sizeof *cp);
		cp[i++] = cur;
		out++;
	}
	return out;
}

static size_t utf8_put(char *d, uint32_t c)
{
	if (c >= 0xD800 && c < 0xD880)
		c -= 0xD800; /* Swift encodes ASCII that is not a symbol character up there */
	if (c < 0x80) {
		d[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		d[0] = (char)(0xC0 | c >> 6);
		d[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		d[0] = (char)(0xE0 | c >> 12);
		d[1] = (char)(0x80 | (c >> 6 & 0x3F));
		d[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	d[0] = (char)(0xF0 | c >> 18);
	d[1] = (char)(0x80 | (c >> 12 & 0x3F));
	d[2] = (char)(0x80 | (c >> 6 & 0x3F));
	d[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

char *sw_punycode(sw_mem *m, const char *s, size_t n, size_t *out_len)
{
	uint32_t *cp = sw_alloc(m, (n + 1) * sizeof *cp);
	if (!cp)
		return NULL;
	size_t count = pc_decode(s, n, cp);
	if (count == SIZE_MAX || count == 0)
		return NULL;
	char *d = sw_alloc(m, count * 4 + 1);
	if (!d)
		return NULL;
	size_t len = 0;
	for (size_t j = 0; j < count; j++) {
		if (cp[j] > 0x10FFFF || (cp[j] >= 0xD880 && cp[j] <= 0xDFFF) || cp[j] == 0xD800)
			return NULL; /* not a scalar, or a NUL in disguise */
		len += utf8_put(d + len, cp[j]);
	}
	*out_len = len;
	return d;
}
