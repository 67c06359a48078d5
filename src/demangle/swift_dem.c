/* The current Swift mangling ($s since Swift 5, $S in 4.2, _T0 in 4.0): a postfix language read
 * by a stack machine. Operators pop their operands from the node stack and push the result;
 * names and types register as substitutions that later operators refer to by index. */
#include "swift_dem.h"

static bool grow(dm *d, sw_node ***v, size_t *cap, size_t limit)
{
	size_t ncap = *cap ? *cap * 2 : 32;
	if (*cap >= limit)
		return false;
	sw_node **nv = sw_alloc(d->m, ncap * sizeof *nv);
	if (!nv)
		return false;
	if (*cap)
		memcpy(nv, *v, *cap * sizeof *nv);
	*v = nv;
	*cap = ncap;
	return true;
}

bool dm_push(dm *d, sw_node *n)
{
	if (!n || (d->nstk == d->capstk && !grow(d, &d->stk, &d->capstk, DM_MAX_STACK)))
		return false;
	d->stk[d->nstk++] = n;
	return true;
}

sw_node *dm_pop(dm *d) { return d->nstk ? d->stk[--d->nstk] : NULL; }

sw_node *dm_pop_kind(dm *d, sw_kind k)
{
	return d->nstk && d->stk[d->nstk - 1]->kind == k ? d->stk[--d->nstk] : NULL;
}

sw_node *dm_pop_if(dm *d, dm_pred p)
{
	return d->nstk && p((sw_kind)d->stk[d->nstk - 1]->kind) ? d->stk[--d->nstk] : NULL;
}

bool dm_add_subst(dm *d, sw_node *n)
{
	if (!n || (d->nsubs == d->capsubs &&
		   !grow(d, &d->subs, &d->capsubs, SW_MAX_SUBSTITUTIONS)))
		return false;
	d->subs[d->nsubs++] = n;
	return true;
}

int dm_natural(dm *d)
{
	if (!dm_digit(dm_peek(d)))
		return -1;
	int v = 0;
	while (dm_digit(dm_peek(d))) {
		int c = dm_next(d) - '0';
		if (v > (INT32_MAX - c) / 10)
			return -1;
		v = v * 10 + c;
	}
	return v;
}

int dm_index(dm *d)
{
	if (dm_nextif(d, '_'))
		return 0;
	int v = dm_natural(d);
	if (v >= 0 && v < INT32_MAX && dm_nextif(d, '_'))
		return v + 1;
	return -1;
}

sw_node *dm_index_node(dm *d)
{
	int i = dm_index(d);
	return i >= 0 ? sw_node_index(d->m, SW_Number, (uint64_t)i) : NULL;
}

sw_node *dm_type(dm *d, sw_node *child) { return sw_with(d->m, SW_Type, child); }

/* ---- predicates ---- */

bool dm_is_decl_name(sw_kind k)
{
	switch (k) {
	case SW_Identifier: case SW_LocalDeclName: case SW_PrivateDeclName:
	case SW_RelatedEntityDeclName: case SW_PrefixOperator: case SW_PostfixOperator:
	case SW_InfixOperator: case SW_TypeSymbolicReference: case SW_ProtocolSymbolicReference:
		return true;
	default:
		return false;
	}
}

static bool is_any_generic(sw_kind k)
{
	switch (k) {
	case SW_Structure: case SW_Class: case SW_Enum: case SW_Protocol:
	case SW_ProtocolSymbolicReference: case SW_OtherNominalType: case SW_TypeAlias:
	case SW_TypeSymbolicReference:
		return true;
	default:
		return false;
	}
}

static bool is_entity(sw_kind k) { return k == SW_Type || sw_is_context(k); }

static bool is_requirement(sw_kind k)
{
	return k == SW_DependentGenericSameTypeRequirement ||
	       k == SW_DependentGenericLayoutRequirement ||
	       k == SW_DependentGenericConformanceRequirement ||
	       k == SW_DependentGenericInverseConformanceRequirement ||
	       k == SW_DependentGenericParamPackMarker;
}

static bool is_context_kind(sw_kind k) { return sw_is_context(k); }

/* ---- names ---- */

static void add_words(dm *d, const char *s, size_t n)
{
	int start = -1;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : 0;
		if (start >= 0 && (c == '_' || c == 0 || (!dm_upper(s[i - 1]) && dm_upper(c)))) {
			if (i - (size_t)start >= 2 && d->nwords < 26) {
				d->words[d->nwords] = s + start;
				d->wordlen[d->nwords++] = (uint32_t)(i - (size_t)start);
			}
			start = -1;
		}
		if (start < 0 && c && !dm_digit(c) && c != '_')
			start = (int)i;
	}
}

static void flush_words(dm *d)
{
	for (int i = 0; i < d->npending; i++)
		add_words(d, d->pending[i], d->pendlen[i]);
	d->npending = 0;
}

static void note_words(dm *d, const char *s, size_t n)
{
	if (d->nwords >= 26)
		return;
	if (d->npending == (int)CRP_ARRAY_LEN(d->pending))
		flush_words(d);
	d->pending[d->npending] = s;
	d->pendlen[d->npending++] = (uint32_t)n;
}

/* Appends to a growing identifier built in the bump memory (pieces are few and short). */
static bool ident_append(dm *d, char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n > *cap) {
		size_t ncap = (*len + n) * 2;
		char *nb = sw_alloc(d->m, ncap);
		if (!nb)
			return false;
		if (*len)
			memcpy(nb, *buf, *len);
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	return true;
}

static bool ident_words(dm *d, char **buf, size_t *len, size_t *cap, bool *more)
{
	if (*more)
		flush_words(d);
	while (*more && (dm_lower(dm_peek(d)) || dm_upper(dm_peek(d)))) {
		char c = dm_next(d);
		int w = dm_lower(c) ? c - 'a' : c - 'A';
		if (dm_upper(c))
			*more = false;
		if (w >= d->nwords || !ident_append(d, buf, len, cap, d->words[w], d->wordlen[w]))
			return false;
	}
	return true;
}

static sw_node *dm_identifier(dm *d)
{
	bool words = false, puny = false;
	if (!dm_digit(dm_peek(d)))
		return NULL;
	if (dm_nextif(d, '0')) {
		if (dm_nextif(d, '0'))
			puny = true;
		else
			words = true;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	do {
		if (!ident_words(d, &buf, &len, &cap, &words))
			return NULL;
		if (dm_nextif(d, '0'))
			break;
		int nc = dm_natural(d);
		if (nc <= 0)
			return NULL;
		if (puny)
			dm_nextif(d, '_');
		if ((size_t)nc > d->n - d->pos)
			return NULL;
		const char *s = (const char *)d->t + d->pos;
		if (memchr(s, 0, (size_t)nc))
			return NULL; /* names are C strings wherever they are printed */
		if (puny) {
			size_t pl;
			char *p = sw_punycode(d->m, s, (size_t)nc, &pl);
			if (!p || !ident_append(d, &buf, &len, &cap, p, pl))
				return NULL;
		} else {
			if (!words && !len) {
				buf = (char *)s; /* the common case: the name is in the input as it is */
				len = (size_t)nc;
				cap = 0;
			} else if (!ident_append(d, &buf, &len, &cap, s, (size_t)nc)) {
				return NULL;
			}
			note_words(d, s, (size_t)nc);
		}
		d->pos += (size_t)nc;
	} while (words);
	if (!len)
		return NULL;
	sw_node *id = sw_node_text(d->m, SW_Identifier, buf, len);
	return dm_add_subst(d, id) ? id : NULL;
}

static const char op_chars[] = "& @/= >    <*!|+?%-~   ^ .";

static sw_node *dm_operator_ident(dm *d)
{
	sw_node *id = dm_pop_kind(d, SW_Identifier);
	if (!id)
		return NULL;
	char *s = sw_alloc(d->m, id->index + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < id->index; i++) {
		unsigned char c = (unsigned char)id->text[i];
		if (c >= 0x80) {
			s[i] = (char)c;
			continue;
		}
		if (!dm_lower((char)c) || op_chars[c - 'a'] == ' ')
			return NULL;
		s[i] = op_chars[c - 'a'];
	}
	switch (dm_next(d)) {
	case 'i': return sw_node_text(d->m, SW_InfixOperator, s, id->index);
	case 'p': return sw_node_text(d->m, SW_PrefixOperator, s, id->index);
	case 'P': return sw_node_text(d->m, SW_PostfixOperator, s, id->index);
	default: return NULL;
	}
}

static sw_node *dm_local_ident(dm *d)
{
	if (dm_nextif(d, 'L')) {
		sw_node *disc = dm_pop_kind(d, SW_Identifier);
		sw_node *name = dm_pop_if(d, dm_is_decl_name);
		return sw_with2(d->m, SW_PrivateDeclName, disc, name);
	}
	if (dm_nextif(d, 'l'))
		return sw_with(d->m, SW_PrivateDeclName, dm_pop_kind(d, SW_Identifier));
	char c = dm_peek(d);
	if ((c >= 'a' && c <= 'j') || (c >= 'A' && c <= 'J')) {
		const char *k = (const char *)d->t + d->pos++;
		sw_node *kind = sw_node_text(d->m, SW_Identifier, k, 1);
		return sw_with2(d->m, SW_RelatedEntityDeclName, kind, dm_pop(d));
	}
	sw_node *disc = dm_index_node(d);
	sw_node *name = dm_pop_if(d, dm_is_decl_name);
	return sw_with2(d->m, SW_LocalDeclName, disc, name);
}

sw_node *dm_pop_module(dm *d)
{
	sw_node *id = dm_pop_kind(d, SW_Identifier);
	if (id)
		return sw_node_text(d->m, SW_Module, id->text, id->index);
	return dm_pop_kind(d, SW_Module);
}

sw_node *dm_pop_context(dm *d)
{
	sw_node *n = dm_pop_module(d);
	if (n)
		return n;
	if ((n = dm_pop_kind(d, SW_Type))) {
		if (n->n != 1 || !sw_is_context((sw_kind)n->kids[0]->kind))
			return NULL;
		return n->kids[0];
	}
	return dm_pop_if(d, is_context_kind);
}

sw_node *dm_pop_type_child(dm *d)
{
	sw_node *t = dm_pop_kind(d, SW_Type);
	return t && t->n == 1 ? t->kids[0] : NULL;
}

static sw_node *pop_any_generic(dm *d)
{
	sw_node *c = dm_pop_type_child(d);
	return c && is_any_generic((sw_kind)c->kind) ? c : NULL;
}

/* ---- substitutions ---- */

static sw_node *push_multi(dm *d, int repeat, size_t idx)
{
	if (idx >= d->nsubs || repeat > DM_MAX_REPEAT)
		return NULL;
	sw_node *n = d->subs[idx];
	while (repeat-- > 1)
		if (!dm_push(d, n))
			return NULL;
	return n;
}

static sw_node *dm_multi_subst(dm *d)
{
	int repeat = -1;
	for (;;) {
		char c = dm_next(d);
		if (c == 0)
			return NULL;
		if (dm_lower(c)) {
			if (!dm_push(d, push_multi(d, repeat, (size_t)(c - 'a'))))
				return NULL;
			repeat = -1;
			continue;
		}
		if (dm_upper(c))
			return push_multi(d, repeat, (size_t)(c - 'A'));
		if (c == '_') {
			/* the number read was an index past 26, not a count: A_ is 26, A0_ 27 */
			size_t idx = (size_t)(repeat + 27);
			return idx < d->nsubs ? d->subs[idx] : NULL;
		}
		dm_back(d);
		if ((repeat = dm_natural(d)) < 0)
			return NULL;
	}
}

typedef struct std_type {
	char code;
	uint8_t kind;
	const char *name;
} std_type;

static const std_type std_types[] = {
	{'A', SW_Structure, "AutoreleasingUnsafeMutablePointer"}, {'a', SW_Structure, "Array"},
	{'b', SW_Structure, "Bool"}, {'D', SW_Structure, "Dictionary"},
	{'d', SW_Structure, "Double"}, {'f', SW_Structure, "Float"}, {'h', SW_Structure, "Set"},
	{'I', SW_Structure, "DefaultIndices"}, {'i', SW_Structure, "Int"},
	{'J', SW_Structure, "Character"}, {'N', SW_Structure, "ClosedRange"},
	{'n', SW_Structure, "Range"}, {'O', SW_Structure, "ObjectIdentifier"},
	{'P', SW_Structure, "UnsafePointer"}, {'p', SW_Structure, "UnsafeMutablePointer"},
	{'R', SW_Structure, "UnsafeBufferPointer"}, {'r', SW_Structure, "UnsafeMutableBufferPointer"},
	{'S', SW_Structure, "String"}, {'s', SW_Structure, "Substring"}, {'u', SW_Structure, "UInt"},
	{'V', SW_Structure, "UnsafeRawPointer"}, {'v', SW_Structure, "UnsafeMutableRawPointer"},
	{'W', SW_Structure, "UnsafeRawBufferPointer"},
	{'w', SW_Structure, "UnsafeMutableRawBufferPointer"}, {'q', SW_Enum, "Optional"},
	{'B', SW_Protocol, "BinaryFloatingPoint"}, {'E', SW_Protocol, "Encodable"},
	{'e', SW_Protocol, "Decodable"}, {'F', SW_Protocol, "FloatingPoint"},
	{'G', SW_Protocol, "RandomNumberGenerator"}, {'H', SW_Protocol, "Hashable"},
	{'j', SW_Protocol, "Numeric"}, {'K', SW_Protocol, "BidirectionalCollection"},
	{'k', SW_Protocol, "RandomAccessCollection"}, {'L', SW_Protocol, "Comparable"},
	{'l', SW_Protocol, "Collection"}, {'M', SW_Protocol, "MutableCollection"},
	{'m', SW_Protocol, "RangeReplaceableCollection"}, {'Q', SW_Protocol, "Equatable"},
	{'T', SW_Protocol, "Sequence"}, {'t', SW_Protocol, "IteratorProtocol"},
	{'U', SW_Protocol, "UnsignedInteger"}, {'X', SW_Protocol, "RangeExpression"},
	{'x', SW_Protocol, "Strideable"}, {'Y', SW_Protocol, "RawRepresentable"},
	{'y', SW_Protocol, "StringProtocol"}, {'Z', SW_Protocol, "SignedInteger"},
	{'z', SW_Protocol, "BinaryInteger"},
};

static const std_type std_concurrency[] = {
	{'A', SW_Protocol, "Actor"}, {'C', SW_Structure, "CheckedContinuation"},
	{'c', SW_Structure, "UnsafeContinuation"}, {'E', SW_Structure, "CancellationError"},
	{'e', SW_Structure, "UnownedSerialExecutor"}, {'F', SW_Protocol, "Executor"},
	{'f', SW_Protocol, "SerialExecutor"}, {'G', SW_Structure, "TaskGroup"},
	{'g', SW_Structure, "ThrowingTaskGroup"}, {'h', SW_Protocol, "TaskExecutor"},
	{'I', SW_Protocol, "AsyncIteratorProtocol"}, {'i', SW_Protocol, "AsyncSequence"},
	{'J', SW_Structure, "UnownedJob"}, {'M', SW_Class, "MainActor"},
	{'P', SW_Structure, "TaskPriority"}, {'S', SW_Structure, "AsyncStream"},
	{'s', SW_Structure, "AsyncThrowingStream"}, {'T', SW_Structure, "Task"},
	{'t', SW_Structure, "UnsafeCurrentTask"},
};

static sw_node *swift_type(dm *d, sw_kind k, const char *name)
{
	sw_node *mod = sw_node_text(d->m, SW_Module, "Swift", 5);
	sw_node *id = sw_node_text(d->m, SW_Identifier, name, strlen(name));
	return dm_type(d, sw_with2(d->m, k, mod, id));
}

static sw_node *std_subst(dm *d, char c, bool concurrency)
{
	const std_type *t = concurrency ? std_concurrency : std_types;
	size_t n = concurrency ? CRP_ARRAY_LEN(std_concurrency) : CRP_ARRAY_LEN(std_types);
	for (size_t i = 0; i < n; i++)
		if (t[i].code == c)
			return swift_type(d, (sw_kind)t[i].kind, t[i].name);
	return NULL;
}

static sw_node *dm_standard_subst(dm *d)
{
	char c = dm_next(d);
	if (c == 'o')
		return sw_node_text(d->m, SW_Module, "__C", 3);
	if (c == 'C')
		return sw_node_text(d->m, SW_Module, "__C_Synthesized", 15);
	if (c == 'g') {
		sw_node *opt = swift_type(d, SW_Enum, "Optional");
		sw_node *args = sw_with(d->m, SW_TypeList, dm_pop_kind(d, SW_Type));
		sw_node *t = dm_type(d, sw_with2(d->m, SW_BoundGenericEnum, opt, args));
		return dm_add_subst(d, t) ? t : NULL;
	}
	dm_back(d);
	int repeat = dm_natural(d);
	if (repeat > DM_MAX_REPEAT)
		return NULL;
	bool second = dm_nextif(d, 'c');
	sw_node *n = std_subst(d, dm_next(d), second);
	while (n && repeat-- > 1)
		if (!dm_push(d, n))
			return NULL;
	return n;
}

/* ---- types ---- */

static sw_node *builtin_sized(dm *d, const char *prefix)
{
	int size = dm_index(d) - 1;
	if (size <= 0 || size > 4096)
		return NULL;
	char *s = sw_alloc(d->m, 32);
	if (!s)
		return NULL;
	int len = snprintf(s, 32, "%s%d", prefix, size);
	return sw_node_text(d->m, SW_BuiltinTypeName, s, (size_t)len);
}

static sw_node *builtin_vec(dm *d)
{
	int elts = dm_index(d) - 1;
	if (elts <= 0 || elts > 4096)
		return NULL;
	sw_node *el = dm_pop_type_child(d);
	if (!sw_is(el, SW_BuiltinTypeName) || el->index < 8 || memcmp(el->text, "Builtin.", 8))
		return NULL;
	size_t cap = 40 + (size_t)el->index;
	char *s = sw_alloc(d->m, cap);
	if (!s)
		return NULL;
	int len = snprintf(s, cap, "Builtin.Vec%dx%.*s", elts, (int)el->index - 8, el->text + 8);
	return sw_node_text(d->m, SW_BuiltinTypeName, s, (size_t)len);
}

static sw_node *dm_builtin(dm *d)
{
	static const struct { char c; const char *name; } fixed[] = {
		{'b', "Builtin.BridgeObject"}, {'B', "Builtin.UnsafeValueBuffer"},
		{'e', "Builtin.Executor"}, {'I', "Builtin.IntLiteral"},
		{'O', "Builtin.UnknownObject"}, {'o', "Builtin.NativeObject"},
		{'p', "Builtin.RawPointer"}, {'j', "Builtin.Job"},
		{'D', "Builtin.DefaultActorStorage"}, {'d', "Builtin.NonDefaultDistributedActorStorage"},
		{'c', "Builtin.RawUnsafeContinuation"}, {'t', "Builtin.SILToken"},
		{'w', "Builtin.Word"}, {'P', "Builtin.PackIndex"},
	};
	char c = dm_next(d);
	sw_node *t = NULL;
	if (c == 'f')
		t = builtin_sized(d, "Builtin.FPIEEE");
	else if (c == 'i')
		t = builtin_sized(d, "Builtin.Int");
	else if (c == 'v')
		t = builtin_vec(d);
	for (size_t i = 0; !t && i < CRP_ARRAY_LEN(fixed); i++)
		if (fixed[i].c == c)
			t = sw_node_text(d->m, SW_BuiltinTypeName, fixed[i].name, strlen(fixed[i].name));
	return dm_type(d, t);
}

static sw_node *dm_any_generic(dm *d, sw_kind k)
{
	sw_node *name = dm_pop_if(d, dm_is_decl_name);
	sw_node *ctx = dm_pop_context(d);
	sw_node *t = dm_type(d, sw_with2(d->m, k, ctx, name));
	return dm_add_subst(d, t) ? t : NULL;
}

static sw_node *dm_extension(dm *d)
{
	sw_node *sig = dm_pop_kind(d, SW_DependentGenericSignature);
	sw_node *mod = dm_pop_module(d);
	sw_node *type = pop_any_generic(d);
	sw_node *ext = sw_with2(d->m, SW_Extension, mod, type);
	return sig ? sw_add(d->m, ext, sig) : ext;
}

static sw_node *dm_plain_function(dm *d)
{
	sw_node *sig = dm_pop_kind(d, SW_DependentGenericSignature);
	sw_node *type = dm_pop_function_type(d, SW_FunctionType, false);
	sw_node *labels = dm_pop_labels(d, type);
	if (sig)
		type = dm_type(d, sw_with2(d->m, SW_DependentGenericType, sig, type));
	sw_node *name = dm_pop_if(d, dm_is_decl_name);
	sw_node *ctx = dm_pop_context(d);
	sw_node *f = sw_with3(d->m, SW_Function, ctx, name, labels ? labels : type);
	return labels ? sw_add(d->m, f, type) : f;
}

static sw_node *pop_params(dm *d, sw_kind k)
{
	sw_node *t = dm_pop_kind(d, SW_EmptyList) ? dm_type(d, sw_node_new(d->m, SW_Tuple))
						  : dm_pop_kind(d, SW_Type);
	return sw_with(d->m, k, t);
}

sw_node *dm_pop_function_type(dm *d, sw_kind k, bool clang)
{
	static const sw_kind attrs[] = {
		SW_SendingResultFunctionType, SW_GlobalActorFunctionType, SW_IsolatedAnyFunctionType,
		SW_DifferentiableFunctionType,
		SW_ThrowsAnnotation, SW_TypedThrowsAnnotation, SW_ConcurrentFunctionType,
		SW_AsyncAnnotation,
	};
	sw_node *f = sw_node_new(d->m, k);
	if (clang && !sw_add(d->m, f, dm_clang_type(d)))
		return NULL;
	/* the attributes are pushed in the reverse of this order, so they pop in it */
	for (size_t i = 0; i < CRP_ARRAY_LEN(attrs); i++) {
		sw_node *a = dm_pop_kind(d, attrs[i]);
		if (a)
			sw_add(d->m, f, a);
	}
	f = sw_add(d->m, f, pop_params(d, SW_ArgumentTuple));
	f = sw_add(d->m, f, pop_params(d, SW_ReturnType));
	return dm_type(d, f);
}

static bool is_fn_attr_kind(sw_kind k)
{
	return k == SW_GlobalActorFunctionType || k == SW_IsolatedAnyFunctionType ||
	       k == SW_DifferentiableFunctionType || k == SW_ThrowsAnnotation ||
	       k == SW_TypedThrowsAnnotation || k == SW_ConcurrentFunctionType ||
	       k == SW_AsyncAnnotation || k == SW_SendingResultFunctionType || k == SW_ClangType;
}

static sw_node *label_for(dm *d, sw_node *tuple, size_t i)
{
	if (!d->oldfn)
		return dm_pop(d);
	sw_node *p = sw_kid(tuple, i);
	for (size_t j = 0; p && j < p->n; j++)
		if (p->kids[j]->kind == SW_TupleElementName) {
			sw_node *l = p->kids[j];
			sw_remove(p, j);
			return sw_node_text(d->m, SW_Identifier, l->text, l->index);
		}
	return sw_node_new(d->m, SW_FirstElementMarker);
}

sw_node *dm_pop_labels(dm *d, sw_node *type)
{
	if (!d->oldfn && dm_pop_kind(d, SW_EmptyList))
		return sw_node_new(d->m, SW_LabelList);
	if (!sw_is(type, SW_Type))
		return NULL;
	sw_node *f = sw_kid(type, 0);
	if (sw_is(f, SW_DependentGenericType))
		f = sw_kid(sw_kid(f, 1), 0);
	if (!sw_is(f, SW_FunctionType) && !sw_is(f, SW_NoEscapeFunctionType))
		return NULL;
	size_t first = 0;
	while (first < f->n && is_fn_attr_kind((sw_kind)f->kids[first]->kind))
		first++;
	sw_node *arg = sw_kid(f, first);
	sw_node *params = sw_kid(sw_kid(arg, 0), 0);
	if (!sw_is(arg, SW_ArgumentTuple) || !params)
		return NULL;
	size_t count = params->kind == SW_Tuple ? params->n : 1;
	if (count == 0)
		return NULL;
	sw_node *list = sw_node_new(d->m, SW_LabelList);
	if (d->oldfn && params->kind != SW_Tuple)
		return list;
	bool labelled = false;
	for (size_t i = 0; i < count; i++) {
		sw_node *l = label_for(d, params, i);
		if (!l || (l->kind != SW_Identifier && l->kind != SW_FirstElementMarker))
			return NULL;
		if (!sw_add(d->m, list, l))
			return NULL;
		labelled |= l->kind == SW_Identifier;
	}
	if (!labelled)
		return sw_node_new(d->m, SW_LabelList);
	if (!d->oldfn)
		sw_reverse(list, 0);
	return list;
}

sw_node *dm_pop_tuple(dm *d)
{
	sw_node *root = sw_node_new(d->m, SW_Tuple);
	if (!root)
		return NULL;
	if (!dm_pop_kind(d, SW_EmptyList)) {
		bool first;
		do {
			first = dm_pop_kind(d, SW_FirstElementMarker) != NULL;
			sw_node *el = sw_node_new(d->m, SW_TupleElement);
			sw_node *v = dm_pop_kind(d, SW_VariadicMarker);
			if (v)
				sw_add(d->m, el, v);
			sw_node *id = dm_pop_kind(d, SW_Identifier);
			if (id)
				sw_add(d->m, el, sw_node_text(d->m, SW_TupleElementName, id->text, id->index));
			if (!sw_add(d->m, root, sw_add(d->m, el, dm_pop_kind(d, SW_Type))))
				return NULL;
		} while (!first);
		sw_reverse(root, 0);
	}
	return dm_type(d, root);
}

sw_node *dm_pop_type_list(dm *d)
{
	sw_node *root = sw_node_new(d->m, SW_TypeList);
	if (root && !dm_pop_kind(d, SW_EmptyList)) {
		bool first;
		do {
			first = dm_pop_kind(d, SW_FirstElementMarker) != NULL;
			if (!sw_add(d->m, root, dm_pop_kind(d, SW_Type)))
				return NULL;
		} while (!first);
		sw_reverse(root, 0);
	}
	return root;
}

static bool is_protocol_node(const sw_node *n)
{
	while (sw_is(n, SW_Type))
		n = sw_kid(n, 0);
	return sw_is(n, SW_Protocol) || sw_is(n, SW_ProtocolSymbolicReference) ||
	       sw_is(n, SW_ObjectiveCProtocolSymbolicReference);
}

sw_node *dm_pop_protocol(dm *d)
{
	sw_node *t = dm_pop_kind(d, SW_Type);
	if (t)
		return t->n >= 1 && is_protocol_node(t) ? t : NULL;
	if ((t = dm_pop_kind(d, SW_ProtocolSymbolicReference)))
		return t;
	sw_node *name = dm_pop_if(d, dm_is_decl_name);
	sw_node *ctx = dm_pop_context(d);
	return dm_type(d, sw_with2(d->m, SW_Protocol, ctx, name));
}

sw_node *dm_protocol_list(dm *d)
{
	sw_node *list = sw_node_new(d->m, SW_TypeList);
	sw_node *pl = sw_with(d->m, SW_ProtocolList, list);
	if (pl && !dm_pop_kind(d, SW_EmptyList)) {
		bool first;
		do {
			first = dm_pop_kind(d, SW_FirstElementMarker) != NULL;
			if (!sw_add(d->m, list, dm_pop_protocol(d)))
				return NULL;
		} while (!first);
		sw_reverse(list, 0);
	}
	return pl;
}

sw_node *dm_clang_type(dm *d)
{
	int nc = dm_natural(d);
	if (nc <= 0 || (size_t)nc > d->n - d->pos || memchr(d->t + d->pos, 0, (size_t)nc))
		return NULL;
	sw_node *n = sw_node_text(d->m, SW_ClangType, (const char *)d->t + d->pos, (size_t)nc);
	d->pos += (size_t)nc;
	return n;
}

/* ---- generics ---- */

sw_node *dm_param_type(dm *d, int depth, int index)
{
	if (depth < 0 || index < 0)
		return NULL;
	return sw_with2(d->m, SW_DependentGenericParamType,
			sw_node_index(d->m, SW_Index, (uint64_t)depth),
			sw_node_index(d->m, SW_Index, (uint64_t)index));
}

sw_node *dm_param_index(dm *d)
{
	if (dm_nextif(d, 'd')) {
		int depth = dm_index(d);
		int index = dm_index(d);
		return dm_param_type(d, depth < 0 ? -1 : depth + 1, index);
	}
	if (dm_nextif(d, 'z'))
		return dm_param_type(d, 0, 0);
	int i = dm_index(d);
	return dm_param_type(d, 0, i < 0 ? -1 : i + 1);
}

sw_node *dm_pop_assoc_name(dm *d)
{
	sw_node *proto = dm_pop_kind(d, SW_Type);
	if (proto && !is_protocol_node(proto))
		return NULL;
	if (!proto)
		proto = dm_pop_kind(d, SW_ProtocolSymbolicReference);
	sw_node *id = dm_pop_kind(d, SW_Identifier);
	sw_node *at = sw_with(d->m, SW_DependentAssociatedTypeRef, id);
	if (proto)
		sw_add(d->m, at, proto);
	return at;
}

sw_node *dm_pop_assoc_path(dm *d)
{
	sw_node *path = sw_node_new(d->m, SW_AssocTypePath);
	bool first;
	do {
		first = dm_pop_kind(d, SW_FirstElementMarker) != NULL;
		if (!sw_add(d->m, path, dm_pop_assoc_name(d)))
			return NULL;
	} while (!first);
	sw_reverse(path, 0);
	return path;
}

sw_node *dm_assoc_simple(dm *d, sw_node *base)
{
	sw_node *name = dm_pop_assoc_name(d);
	sw_node *bt = base ? dm_type(d, base) : dm_pop_kind(d, SW_Type);
	return dm_type(d, sw_with2(d->m, SW_DependentMemberType, bt, name));
}

sw_node *dm_assoc_compound(dm *d, sw_node *base)
{
	sw_node *names[64];
	size_t n = 0;
	bool first;
	do {
		first = dm_pop_kind(d, SW_FirstElementMarker) != NULL;
		sw_node *name = dm_pop_assoc_name(d);
		if (!name || n == CRP_ARRAY_LEN(names))
			return NULL;
		names[n++] = name;
	} while (!first);
	sw_node *bt = base ? dm_type(d, base) : dm_pop_kind(d, SW_Type);
	while (n > 0)
		bt = dm_type(d, sw_with2(d->m, SW_DependentMemberType, bt, names[--n]));
	return bt;
}

static sw_node *dm_generic_signature(dm *d, bool counts)
{
	sw_node *sig = sw_node_new(d->m, SW_DependentGenericSignature);
	if (!sig)
		return NULL;
	if (counts) {
		while (!dm_nextif(d, 'l')) {
			int c = 0;
			if (!dm_nextif(d, 'z') && (c = dm_index(d) + 1) <= 0)
				return NULL;
			if (d->pos >= d->n ||
			    !sw_add(d->m, sig, sw_node_index(d->m, SW_DependentGenericParamCount, (uint64_t)c)))
				return NULL;
		}
	} else if (!sw_add(d->m, sig, sw_node_index(d->m, SW_DependentGenericParamCount, 1))) {
		return NULL;
	}
	size_t ncounts = sig->n;
	sw_node *req;
	while ((req = dm_pop_if(d, is_requirement)))
		if (!sw_add(d->m, sig, req))
			return NULL;
	sw_reverse(sig, ncounts);
	return sig;
}

static sw_node *layout_requirement(dm *d, sw_node *constr)
{
	static const char simple[] = "URNCDTBS";
	char c = dm_next(d);
	sw_node *size = NULL, *align = NULL;
	if (!c || !strchr(simple, c)) {
		if (c != 'E' && c != 'e' && c != 'M' && c != 'm')
			return NULL;
		if (!(size = dm_index_node(d)))
			return NULL;
		if ((c == 'E' || c == 'M') && !(align = dm_index_node(d)))
			return NULL;
	}
	const char *name = (const char *)d->t + d->pos - 1;
	sw_node *r = sw_with2(d->m, SW_DependentGenericLayoutRequirement, constr,
			      sw_node_text(d->m, SW_Identifier, name, 1));
	if (size)
		sw_add(d->m, r, size);
	if (align)
		sw_add(d->m, r, align);
	return r;
}

static sw_node *dm_generic_requirement(dm *d)
{
	/* the letter picks what is constrained and how; lower case: an associated type */
	static const char codes[] = "cCbBtTsSmMlLpPQiIjJ";
	static const char constraint[] = "bbbbssssllllpppiiii";
	static const char subject[] = "acgsacgsacgsacsgsac";
	char c = dm_next(d);
	if (c == 'v') /* a parameter pack: "each A" */
		return sw_with(d->m, SW_DependentGenericParamPackMarker, dm_type(d, dm_param_index(d)));
	const char *at = c ? strchr(codes, c) : NULL;
	char how = at ? constraint[at - codes] : 'p', what = at ? subject[at - codes] : 'g';
	int bit = how == 'i' ? dm_index(d) : 0; /* Swift 6 inverses: ~Copyable (0), ~Escapable (1) */
	if (!at)
		dm_back(d);
	if (bit < 0)
		return NULL;
	sw_node *t = NULL;
	if (what == 'g')
		t = dm_type(d, dm_param_index(d));
	else if (what == 'a' || what == 'c') {
		sw_node *base = dm_param_index(d);
		t = what == 'a' ? dm_assoc_simple(d, base) : dm_assoc_compound(d, base);
		if (!dm_add_subst(d, t))
			return NULL;
	} else
		t = dm_pop_kind(d, SW_Type);
	if (how == 'p')
		return sw_with2(d->m, SW_DependentGenericConformanceRequirement, t, dm_pop_protocol(d));
	if (how == 'b')
		return sw_with2(d->m, SW_DependentGenericConformanceRequirement, t,
				dm_pop_kind(d, SW_Type));
	if (how == 's')
		return sw_with2(d->m, SW_DependentGenericSameTypeRequirement, t,
				dm_pop_kind(d, SW_Type));
	if (how == 'i')
		return sw_with2(d->m, SW_DependentGenericInverseConformanceRequirement, t,
				sw_node_index(d->m, SW_Index, (uint64_t)bit));
	return t ? layout_requirement(d, t) : NULL;
}

static sw_node *dm_generic_type(dm *d)
{
	sw_node *sig = dm_pop_kind(d, SW_DependentGenericSignature);
	sw_node *t = dm_pop_kind(d, SW_Type);
	return dm_type(d, sw_with2(d->m, SW_DependentGenericType, sig, t));
}

/* ---- conformances ---- */

static bool is_any_conformance(sw_kind k)
{
	return k == SW_ConcreteProtocolConformance || k == SW_DependentProtocolConformanceRoot ||
	       k == SW_DependentProtocolConformanceInherited ||
	       k == SW_DependentProtocolConformanceAssociated;
}

static bool is_dependent_conformance(sw_kind k)
{
	return k != SW_ConcreteProtocolConformance && is_any_conformance(k);
}

sw_node *dm_pop_any_conformance(dm *d) { return dm_pop_if(d, is_any_conformance); }

static sw_node *pop_conformance_list(dm *d)
{
	sw_node *list = sw_node_new(d->m, SW_AnyProtocolConformanceList);
	if (list && !dm_pop_kind(d, SW_EmptyList)) {
		bool first;
		do {
			first = dm_pop_kind(d, SW_FirstElementMarker) != NULL;
			if (!sw_add(d->m, list, dm_pop_any_conformance(d)))
				return NULL;
		} while (!first);
		sw_reverse(list, 0);
	}
	return list;
}

static sw_node *dm_concrete_conformance(dm *d)
{
	sw_node *cond = pop_conformance_list(d);
	sw_node *ref = dm_pop_kind(d, SW_ProtocolConformanceRefInTypeModule);
	if (!ref)
		ref = dm_pop_kind(d, SW_ProtocolConformanceRefInProtocolModule);
	if (!ref) {
		sw_node *mod = dm_pop_module(d);
		ref = sw_with2(d->m, SW_ProtocolConformanceRefInOtherModule, dm_pop_protocol(d), mod);
	}
	sw_node *type = dm_pop_kind(d, SW_Type);
	return sw_with3(d->m, SW_ConcreteProtocolConformance, type, ref, cond);
}

static sw_node *dm_conformance_index(dm *d)
{
	int i = dm_index(d);
	if (i <= 0)
		return NULL;
	if (i == 1)
		return sw_node_new(d->m, SW_UnknownIndex);
	return sw_node_index(d->m, SW_Index, (uint64_t)i - 2);
}

static sw_node *dm_dependent_conformance(dm *d, char c)
{
	sw_node *index = dm_conformance_index(d);
	if (c == 'D') {
		sw_node *proto = dm_pop_protocol(d);
		sw_node *type = dm_pop_kind(d, SW_Type);
		return sw_with3(d->m, SW_DependentProtocolConformanceRoot, type, proto, index);
	}
	if (c == 'I') {
		sw_node *proto = dm_pop_protocol(d);
		sw_node *nested = dm_pop_if(d, is_dependent_conformance);
		return sw_with3(d->m, SW_DependentProtocolConformanceInherited, nested, proto, index);
	}
	sw_node *proto = dm_pop_protocol(d);
	sw_node *type = dm_pop_kind(d, SW_Type);
	sw_node *assoc = sw_with2(d->m, SW_DependentAssociatedConformance, type, proto);
	sw_node *nested = dm_pop_if(d, is_dependent_conformance);
	return sw_with3(d->m, SW_DependentProtocolConformanceAssociated, nested, assoc, index);
}

sw_node *dm_pop_conformance(dm *d)
{
	sw_node *sig = dm_pop_kind(d, SW_DependentGenericSignature);
	sw_node *mod = dm_pop_module(d);
	sw_node *proto = dm_pop_protocol(d);
	sw_node *type = dm_pop_kind(d, SW_Type);
	sw_node *ident = NULL;
	if (!type) {
		ident = dm_pop_kind(d, SW_Identifier);
		type = dm_pop_kind(d, SW_Type);
	}
	if (sig)
		type = dm_type(d, sw_with2(d->m, SW_DependentGenericType, sig, type));
	sw_node *conf = sw_with3(d->m, SW_ProtocolConformance, type, proto, mod);
	return ident ? sw_add(d->m, conf, ident) : conf;
}

static sw_node *dm_conformance_op(dm *d)
{
	char c = dm_next(d);
	switch (c) {
	case 'A': case 'D': case 'I': return dm_dependent_conformance(d, c);
	case 'C': return dm_concrete_conformance(d);
	case 'P': return sw_with(d->m, SW_ProtocolConformanceRefInTypeModule, dm_pop_protocol(d));
	case 'p': return sw_with(d->m, SW_ProtocolConformanceRefInProtocolModule, dm_pop_protocol(d));
	case 'c': return sw_with(d->m, SW_ProtocolConformanceDescriptorRecord, dm_pop_conformance(d));
	case 'n': return sw_with(d->m, SW_NominalTypeDescriptorRecord, dm_pop_kind(d, SW_Type));
	case 'o': return sw_with(d->m, SW_OpaqueTypeDescriptorRecord, dm_pop(d));
	case 'r': return sw_with(d->m, SW_ProtocolDescriptorRecord, dm_pop_protocol(d));
	case 'F': return sw_node_new(d->m, SW_AccessibleFunctionRecord);
	default:
		d->pos -= c ? 2 : 1;
		return dm_identifier(d);
	}
}

static sw_node *dm_retroactive(dm *d)
{
	sw_node *index = dm_index_node(d);
	sw_node *conf = dm_pop_any_conformance(d);
	return sw_with2(d->m, SW_RetroactiveConformance, index, conf);
}

/* ---- bound generics ---- */

bool dm_bound_generics(dm *d, sw_node **lists, size_t *nlists, size_t max, sw_node **retro)
{
	sw_node *rc;
	*retro = NULL;
	*nlists = 0;
	while ((rc = dm_pop_kind(d, SW_RetroactiveConformance))) {
		if (!*retro)
			*retro = sw_node_new(d->m, SW_TypeList);
		if (!sw_add(d->m, *retro, rc))
			return false;
	}
	sw_reverse(*retro, 0);
	for (;;) {
		sw_node *list = sw_node_new(d->m, SW_TypeList), *t;
		if (!list || *nlists == max)
			return false;
		lists[(*nlists)++] = list;
		while ((t = dm_pop_kind(d, SW_Type)))
			if (!sw_add(d->m, list, t))
				return false;
		sw_reverse(list, 0);
		if (dm_pop_kind(d, SW_EmptyList))
			return true;
		if (!dm_pop_kind(d, SW_FirstElementMarker))
			return false;
	}
}

static bool consumes_generic_args(sw_kind k)
{
	switch (k) {
	case SW_Variable: case SW_Subscript: case SW_ImplicitClosure: case SW_ExplicitClosure:
	case SW_DefaultArgumentInitializer: case SW_Initializer:
	case SW_PropertyWrapperBackingInitializer: case SW_PropertyWrapperInitFromProjectedValue:
	case SW_Static:
		return false;
	default:
		return true;
	}
}

static sw_kind bound_kind(sw_kind k)
{
	switch (k) {
	case SW_Class: return SW_BoundGenericClass;
	case SW_Structure: return SW_BoundGenericStructure;
	case SW_Enum: return SW_BoundGenericEnum;
	case SW_Protocol: return SW_BoundGenericProtocol;
	case SW_OtherNominalType: return SW_BoundGenericOtherNominalType;
	case SW_TypeAlias: return SW_BoundGenericTypeAlias;
	case SW_Function: case SW_Constructor: return SW_BoundGenericFunction;
	default: return SW_KIND_COUNT;
	}
}

static sw_node *bind_parent(dm *d, sw_node *ctx, sw_node **lists, size_t nlists, size_t idx)
{
	if (!sw_is(ctx, SW_Extension))
		return dm_bound_generic_args(d, ctx, lists, nlists, idx);
	sw_node *p = dm_bound_generic_args(d, sw_kid(ctx, 1), lists, nlists, idx);
	p = sw_with2(d->m, SW_Extension, sw_kid(ctx, 0), p);
	return ctx->n == 3 ? sw_add(d->m, p, ctx->kids[2]) : p;
}

sw_node *dm_bound_generic_args(dm *d, sw_node *nominal, sw_node **lists, size_t nlists, size_t idx)
{
	if (!nominal || idx >= nlists || ++d->depth > SW_MAX_DEPTH)
		return NULL;
	sw_node *res = NULL;
	if (nominal->kind == SW_TypeSymbolicReference || nominal->kind == SW_ProtocolSymbolicReference) {
		sw_node *rest = sw_node_new(d->m, SW_TypeList);
		for (size_t i = nlists; i-- > idx;)
			for (size_t j = 0; j < lists[i]->n; j++)
				sw_add(d->m, rest, lists[i]->kids[j]);
		res = sw_with2(d->m, SW_BoundGenericOtherNominalType, dm_type(d, nominal), rest);
		goto out;
	}
	if (!nominal->n)
		goto out;
	bool consumes = consumes_generic_args((sw_kind)nominal->kind);
	sw_node *args = lists[idx];
	if (consumes)
		idx++;
	if (idx < nlists) {
		sw_node *nn = sw_with(d->m, (sw_kind)nominal->kind,
				      bind_parent(d, nominal->kids[0], lists, nlists, idx));
		for (size_t i = 1; nn && i < nominal->n; i++)
			sw_add(d->m, nn, nominal->kids[i]);
		if (!(nominal = nn))
			goto out;
	}
	if (!consumes || args->n == 0) {
		res = nominal;
		goto out;
	}
	sw_kind bk = bound_kind((sw_kind)nominal->kind);
	if (bk == SW_BoundGenericFunction)
		res = sw_with2(d->m, bk, nominal, args);
	else if (bk != SW_KIND_COUNT)
		res = sw_with2(d->m, bk, dm_type(d, nominal), args);
out:
	d->depth--;
	return res;
}

static sw_node *dm_bound_generic_type(dm *d)
{
	sw_node *lists[64], *retro;
	size_t n;
	if (!dm_bound_generics(d, lists, &n, CRP_ARRAY_LEN(lists), &retro))
		return NULL;
	sw_node *bound = dm_bound_generic_args(d, pop_any_generic(d), lists, n, 0);
	if (!bound)
		return NULL;
	if (retro)
		sw_add(d->m, bound, retro);
	sw_node *t = dm_type(d, bound);
	return dm_add_subst(d, t) ? t : NULL;
}

/* ---- archetypes and opaque types ---- */

static sw_node *subst_type(dm *d, sw_node *t) { return dm_add_subst(d, t) ? t : NULL; }

static sw_node *dm_opaque(dm *d)
{
	int index = dm_index(d);
	sw_node *lists[64], *retro;
	size_t n;
	if (index < 0 || !dm_bound_generics(d, lists, &n, CRP_ARRAY_LEN(lists), &retro))
		return NULL;
	sw_node *name = dm_pop(d);
	sw_node *op = sw_with2(d->m, SW_OpaqueType, name,
			       sw_node_index(d->m, SW_Index, (uint64_t)index));
	sw_node *bound = sw_node_new(d->m, SW_TypeList);
	for (size_t i = n; i-- > 0;)
		sw_add(d->m, bound, lists[i]);
	op = sw_add(d->m, op, bound);
	if (retro)
		sw_add(d->m, op, retro);
	return subst_type(d, dm_type(d, op));
}

static sw_node *dm_archetype(dm *d)
{
	switch (dm_next(d)) {
	case 'a': {
		sw_node *id = dm_pop_kind(d, SW_Identifier);
		sw_node *base = dm_pop_type_child(d);
		return subst_type(d, dm_type(d, sw_with2(d->m, SW_AssociatedTypeRef, base, id)));
	}
	case 'O': return sw_with(d->m, SW_OpaqueReturnTypeOf, dm_pop_context(d));
	case 'o': return dm_opaque(d);
	case 'r': return dm_type(d, sw_node_new(d->m, SW_OpaqueReturnType));
	case 'R': {
		int i = dm_index(d);
		return i < 0 ? NULL : dm_type(d, sw_node_index(d->m, SW_OpaqueReturnTypeIndexed, (uint64_t)i));
	}
	case 'x': return subst_type(d, dm_assoc_simple(d, NULL));
	case 'X': return subst_type(d, dm_assoc_compound(d, NULL));
	case 'y': return subst_type(d, dm_assoc_simple(d, dm_param_index(d)));
	case 'Y': return subst_type(d, dm_assoc_compound(d, dm_param_index(d)));
	case 'z': return subst_type(d, dm_assoc_simple(d, dm_param_type(d, 0, 0)));
	case 'Z': return subst_type(d, dm_assoc_compound(d, dm_param_type(d, 0, 0)));
	case 'p': return dm_type(d, sw_with(d->m, SW_PackExpansion, dm_pop_kind(d, SW_Type)));
	default: return NULL;
	}
}

/* ---- entities ---- */

static sw_node *dm_accessor(dm *d, sw_node *child)
{
	static const struct { char c[3]; uint16_t kind; } acc[] = {
		{"m", SW_MaterializeForSet}, {"s", SW_Setter}, {"g", SW_Getter},
		{"G", SW_GlobalGetter}, {"w", SW_WillSet}, {"W", SW_DidSet},
		{"r", SW_ReadAccessor}, {"M", SW_ModifyAccessor}, {"i", SW_InitAccessor},
		{"aO", SW_OwningMutableAddressor}, {"ao", SW_NativeOwningMutableAddressor},
		{"aP", SW_NativePinningMutableAddressor}, {"au", SW_UnsafeMutableAddressor},
		{"lO", SW_OwningAddressor}, {"lo", SW_NativeOwningAddressor},
		{"lp", SW_NativePinningAddressor}, {"lu", SW_UnsafeAddressor},
	};
	char c = dm_next(d);
	if (c == 'p')
		return child;
	char c2 = (c == 'a' || c == 'l') ? dm_next(d) : 0;
	for (size_t i = 0; i < CRP_ARRAY_LEN(acc); i++)
		if (acc[i].c[0] == c && acc[i].c[1] == c2)
			return sw_with(d->m, (sw_kind)acc[i].kind, child);
	return NULL;
}

sw_node *dm_entity(dm *d, sw_kind k)
{
	sw_node *type = dm_pop_kind(d, SW_Type);
	sw_node *labels = dm_pop_labels(d, type);
	sw_node *name = dm_pop_if(d, dm_is_decl_name);
	sw_node *ctx = dm_pop_context(d);
	sw_node *e = sw_with3(d->m, k, ctx, name, labels ? labels : type);
	return labels ? sw_add(d->m, e, type) : e;
}

static sw_node *dm_subscript(dm *d)
{
	sw_node *priv = dm_pop_kind(d, SW_PrivateDeclName);
	sw_node *type = dm_pop_kind(d, SW_Type);
	sw_node *labels = dm_pop_labels(d, type);
	sw_node *ctx = dm_pop_context(d);
	if (!type)
		return NULL;
	sw_node *s = sw_with(d->m, SW_Subscript, ctx);
	if (labels)
		sw_add(d->m, s, labels);
	s = sw_add(d->m, s, type);
	if (priv)
		sw_add(d->m, s, priv);
	return dm_accessor(d, s);
}

static sw_node *dm_type_mangling(dm *d)
{
	sw_node *type = dm_pop_kind(d, SW_Type);
	sw_node *labels = dm_pop_labels(d, type);
	sw_node *tm = sw_node_new(d->m, SW_TypeMangling);
	if (labels)
		sw_add(d->m, tm, labels);
	return sw_add(d->m, tm, type);
}

static sw_node *dm_symbolic_ref(dm *d, unsigned char kind)
{
	if (d->n - d->pos < 4 || (kind != 1 && kind != 2 && kind != 9))
		return NULL;
	int32_t v;
	memcpy(&v, d->t + d->pos, 4);
	d->pos += 4;
	/* Without the image the reference points into, keep its offset (as swift-demangle
	 * prints "type symbolic reference 0x..."). */
	sw_node *n = sw_node_index(d->m, SW_TypeSymbolicReference, (uint64_t)(uint32_t)v);
	return kind != 9 && !dm_add_subst(d, n) ? NULL : n;
}

static sw_node *dm_type_annotation(dm *d)
{
	switch (dm_next(d)) {
	case 'a': return sw_node_new(d->m, SW_AsyncAnnotation);
	case 'A': return sw_node_new(d->m, SW_IsolatedAnyFunctionType);
	case 'b': return sw_node_new(d->m, SW_ConcurrentFunctionType);
	case 'c': return sw_with(d->m, SW_GlobalActorFunctionType, dm_pop_type_child(d));
	case 'i': return dm_type(d, sw_with(d->m, SW_Isolated, dm_pop_type_child(d)));
	case 'j': {
		char k = dm_next(d);
		if (!k || !strchr("frdl", k))
			return NULL;
		return sw_node_index(d->m, SW_DifferentiableFunctionType, (uint64_t)(unsigned char)k);
	}
	case 'k': return dm_type(d, sw_with(d->m, SW_NoDerivative, dm_pop_type_child(d)));
	case 'K': return sw_with(d->m, SW_TypedThrowsAnnotation, dm_pop_kind(d, SW_Type));
	case 't': return dm_type(d, sw_with(d->m, SW_CompileTimeConst, dm_pop_type_child(d)));
	case 'T': return sw_node_new(d->m, SW_SendingResultFunctionType);
	case 'u': return dm_type(d, sw_with(d->m, SW_Sending, dm_pop_type_child(d)));
	default:
		/* Swift 5.5 betas wrote a lone 'Y' for async */
		dm_back(d);
		return sw_node_new(d->m, SW_AsyncAnnotation);
	}
}

static sw_node *dm_op_upper(dm *d, char c)
{
	switch (c) {
	case 'A': return dm_multi_subst(d);
	case 'B': return dm_builtin(d);
	case 'C': return dm_any_generic(d, SW_Class);
	case 'D': return dm_type_mangling(d);
	case 'E': return dm_extension(d);
	case 'F': return dm_plain_function(d);
	case 'G': return dm_bound_generic_type(d);
	case 'H': return dm_conformance_op(d);
	case 'I': return dm_impl_function(d);
	case 'J': /* the first concurrency mangling, since replaced by 'Yb' */
		return sw_node_index(d->m, SW_ConcurrentFunctionType, 1);
	case 'K': return sw_node_new(d->m, SW_ThrowsAnnotation);
	case 'L': return dm_local_ident(d);
	case 'M': return dm_metatype(d);
	case 'N': return sw_with(d->m, SW_TypeMetadata, dm_pop_kind(d, SW_Type));
	case 'O': return dm_any_generic(d, SW_Enum);
	case 'P': return dm_any_generic(d, SW_Protocol);
	case 'Q': return dm_archetype(d);
	case 'R': return dm_generic_requirement(d);
	case 'S': return dm_standard_subst(d);
	case 'T': return dm_thunk_or_spec(d);
	case 'V': return dm_any_generic(d, SW_Structure);
	case 'W': return dm_witness(d);
	case 'X': return dm_special(d);
	case 'Y': return dm_type_annotation(d);
	case 'Z': return sw_with(d->m, SW_Static, dm_pop_if(d, is_entity));
	default: dm_back(d); return dm_identifier(d);
	}
}

static sw_node *dm_op_lower(dm *d, char c)
{
	switch (c) {
	case 'a': return dm_any_generic(d, SW_TypeAlias);
	case 'c': return dm_pop_function_type(d, SW_FunctionType, false);
	case 'd': return sw_node_new(d->m, SW_VariadicMarker);
	case 'f': return dm_function_entity(d);
	case 'g': return dm_retroactive(d);
	case 'h': return dm_type(d, sw_with(d->m, SW_Shared, dm_pop_type_child(d)));
	case 'i': return dm_subscript(d);
	case 'l': return dm_generic_signature(d, false);
	case 'm': return dm_type(d, sw_with(d->m, SW_Metatype, dm_pop_kind(d, SW_Type)));
	case 'n': return dm_type(d, sw_with(d->m, SW_Owned, dm_pop_type_child(d)));
	case 'o': return dm_operator_ident(d);
	case 'p': return dm_type(d, dm_protocol_list(d));
	case 'q': return dm_type(d, dm_param_index(d));
	case 'r': return dm_generic_signature(d, true);
	case 's': return sw_node_text(d->m, SW_Module, "Swift", 5);
	case 't': return dm_pop_tuple(d);
	case 'u': return dm_generic_type(d);
	case 'v': return dm_accessor(d, dm_entity(d, SW_Variable));
	case 'w': return dm_value_witness(d);
	case 'x': return dm_type(d, dm_param_type(d, 0, 0));
	case 'y': return sw_node_new(d->m, SW_EmptyList);
	case 'z': return dm_type(d, sw_with(d->m, SW_InOut, dm_pop_type_child(d)));
	default: dm_back(d); return dm_identifier(d);
	}
}

sw_node *dm_operator(dm *d)
{
	unsigned char c;
	do
		c = (unsigned char)dm_next(d);
	while (c == 0xFF); /* alignment padding before a symbolic reference */
	if (c >= 1 && c <= 0x17)
		return dm_symbolic_ref(d, c);
	if (c == '_')
		return sw_node_new(d->m, SW_FirstElementMarker);
	if (c == '.') {
		dm_back(d);
		if (memchr(d->t + d->pos, 0, d->n - d->pos))
			return NULL;
		sw_node *s = sw_node_text(d->m, SW_Suffix, (const char *)d->t + d->pos, d->n - d->pos);
		d->pos = d->n;
		return s;
	}
	if (dm_upper((char)c))
		return dm_op_upper(d, (char)c);
	if (dm_lower((char)c))
		return dm_op_lower(d, (char)c);
	dm_back(d);
	return dm_identifier(d);
}

static bool is_function_attr(sw_kind k)
{
	switch (k) {
	case SW_FunctionSignatureSpecialization: case SW_GenericSpecialization:
	case SW_GenericSpecializationPrespecialized: case SW_InlinedGenericFunction:
	case SW_GenericSpecializationNotReAbstracted: case SW_GenericPartialSpecialization:
	case SW_GenericPartialSpecializationNotReAbstracted:
	case SW_GenericSpecializationInResilienceDomain: case SW_ObjCAttribute:
	case SW_NonObjCAttribute: case SW_DynamicAttribute: case SW_DirectMethodReferenceAttribute:
	case SW_VTableAttribute: case SW_PartialApplyForwarder: case SW_PartialApplyObjCForwarder:
	case SW_OutlinedVariable: case SW_OutlinedBridgedMethod: case SW_MergedFunction:
	case SW_DistributedThunk: case SW_DistributedAccessor:
	case SW_DynamicallyReplaceableFunctionImpl: case SW_DynamicallyReplaceableFunctionKey:
	case SW_DynamicallyReplaceableFunctionVar: case SW_AsyncFunctionPointer:
	case SW_AsyncAwaitResumePartialFunction: case SW_AsyncSuspendResumePartialFunction:
	case SW_AccessibleFunctionRecord: case SW_BackDeploymentThunk:
	case SW_BackDeploymentFallback: case SW_HasSymbolQuery: case SW_CoroFunctionPointer:
	case SW_DefaultOverride: case SW_NonConstPartialApplyThunk:
		return true;
	default:
		return false;
	}
}

/* s holds the symbol without its prefix. */
static sw_node *parse(dm *d)
{
	while (d->pos < d->n)
		if (!dm_push(d, dm_operator(d)))
			return NULL;
	sw_node *top = sw_node_new(d->m, SW_Global), *parent = top, *attr;
	while (top && (attr = dm_pop_if(d, is_function_attr))) {
		if (!sw_add(d->m, parent, attr))
			return NULL;
		if (attr->kind == SW_PartialApplyForwarder || attr->kind == SW_PartialApplyObjCForwarder)
			parent = attr;
	}
	for (size_t i = 0; top && i < d->nstk; i++) {
		sw_node *n = d->stk[i];
		if (!sw_add(d->m, parent, n->kind == SW_Type ? sw_kid(n, 0) : n))
			return NULL;
	}
	return top && top->n ? top : NULL;
}

sw_node *sw_demangle_new(sw_mem *m, const char *s, size_t n)
{
	dm d;
	memset(&d, 0, sizeof d);
	d.m = m;
	size_t skip = 0;
	if (n >= 3 && !memcmp(s, "_T0", 3))
		skip = 3, d.oldfn = true;
	else if (n >= 2 && s[0] == '$' && (s[1] == 's' || s[1] == 'S' || s[1] == 'e'))
		skip = 2;
	else if (n >= 3 && s[0] == '_' && s[1] == '$' && (s[2] == 's' || s[2] == 'S' || s[2] == 'e'))
		skip = 3;
	if (!skip)
		return NULL;
	d.t = (const unsigned char *)s + skip;
	d.n = n - skip;
	return parse(&d);
}
