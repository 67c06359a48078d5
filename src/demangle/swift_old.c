/* The Swift 1-3 mangling (_T, and _Tt type names that Objective-C metadata still carries):
 * a prefix grammar read by recursive descent, depth-bounded. */
#include "swift_int.h"

typedef struct od {
	sw_mem *m;
	const char *t;
	size_t n, pos;
	sw_node **subs;
	size_t nsubs, capsubs;
	unsigned depth;
} od;

static char peek(const od *o) { return o->pos < o->n ? o->t[o->pos] : '.'; }
static bool empty(const od *o) { return o->pos >= o->n; }
static char next(od *o)
{
	char c = peek(o);
	if (o->pos < o->n)
		o->pos++;
	return c;
}
static bool nextif(od *o, char c)
{
	if (o->pos < o->n && o->t[o->pos] == c) {
		o->pos++;
		return true;
	}
	return false;
}
static bool nextifs(od *o, const char *s)
{
	size_t n = strlen(s);
	if (o->n - o->pos < n || memcmp(o->t + o->pos, s, n))
		return false;
	o->pos += n;
	return true;
}
static bool isdig(char c) { return c >= '0' && c <= '9'; }

static bool push_subst(od *o, sw_node *n)
{
	if (!n)
		return false;
	if (o->nsubs == o->capsubs) {
		size_t cap = o->capsubs ? o->capsubs * 2 : 16;
		if (o->capsubs >= SW_MAX_SUBSTITUTIONS)
			return false;
		sw_node **v = sw_alloc(o->m, cap * sizeof *v);
		if (!v)
			return false;
		if (o->nsubs)
			memcpy(v, o->subs, o->nsubs * sizeof *v);
		o->subs = v;
		o->capsubs = cap;
	}
	o->subs[o->nsubs++] = n;
	return true;
}

#define ENTER(o)                                                                                   \
	do {                                                                                       \
		if ((o)->depth >= SW_MAX_DEPTH * 2)                                                \
			return NULL;                                                               \
	} while (0)

static sw_node *type(od *o);
static sw_node *type_impl(od *o);
static sw_node *context(od *o);
static sw_node *entity(od *o);
static sw_node *global(od *o);
static sw_node *protocol_name(od *o);
static sw_node *generic_signature(od *o, bool pseudo);

static sw_node *type(od *o)
{
	return sw_with(o->m, SW_Type, type_impl(o));
}

/* Wraps around as swift-demangle does: a huge generic parameter count still prints (cut
 * at 128), a huge length or index fails its bounds check. */
static bool natural(od *o, uint64_t *v)
{
	if (!isdig(peek(o)) || empty(o))
		return false;
	*v = 0;
	while (!empty(o) && isdig(peek(o)))
		*v = *v * 10 + (uint64_t)(next(o) - '0');
	return true;
}

static bool index_(od *o, uint64_t *v)
{
	if (nextif(o, '_')) {
		*v = 0;
		return true;
	}
	if (natural(o, v) && nextif(o, '_')) {
		++*v;
		return true;
	}
	return false;
}

static sw_node *index_node(od *o, sw_kind k)
{
	uint64_t v;
	return index_(o, &v) ? sw_node_index(o->m, k, v) : NULL;
}

static const char op_chars[] = "& @/= >    <*!|+?%-~   ^ .";

static sw_node *operator_text(od *o, sw_kind k, const char *s, size_t n)
{
	char *d = sw_alloc(o->m, n + 1);
	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80)
			d[i] = (char)c;
		else if (c < 'a' || c > 'z' || op_chars[c - 'a'] == ' ')
			return NULL;
		else
			d[i] = op_chars[c - 'a'];
	}
	return sw_node_text(o->m, k, d, n);
}

/* kind SW_KIND_COUNT: an identifier or an operator, as the text says */
static sw_node *identifier(od *o, sw_kind kind)
{
	bool puny = nextif(o, 'X'), op = false;
	if (nextif(o, 'o')) {
		if (kind != SW_KIND_COUNT)
			return NULL;
		op = true;
		switch (next(o)) {
		case 'p': kind = SW_PrefixOperator; break;
		case 'P': kind = SW_PostfixOperator; break;
		case 'i': kind = SW_InfixOperator; break;
		default: return NULL;
		}
	}
	if (kind == SW_KIND_COUNT)
		kind = SW_Identifier;
	uint64_t len;
	if (!natural(o, &len) || len > o->n - o->pos)
		return NULL;
	const char *s = o->t + o->pos;
	size_t n = (size_t)len;
	o->pos += n;
	if (memchr(s, 0, n))
		return NULL; /* names are C strings wherever they are printed */
	if (puny && !(s = sw_punycode(o->m, s, n, &n)))
		return NULL;
	if (!n)
		return NULL;
	return op ? operator_text(o, kind, s, n) : sw_node_text(o->m, kind, s, n);
}

static sw_node *swift_type(od *o, sw_kind k, const char *name)
{
	return sw_with2(o->m, k, sw_node_text(o->m, SW_Module, "Swift", 5),
			sw_node_text(o->m, SW_Identifier, name, strlen(name)));
}

static sw_node *substitution(od *o)
{
	static const struct { char c; uint16_t k; const char *name; } std[] = {
		{'a', SW_Structure, "Array"}, {'b', SW_Structure, "Bool"},
		{'c', SW_Structure, "UnicodeScalar"}, {'d', SW_Structure, "Double"},
		{'f', SW_Structure, "Float"}, {'i', SW_Structure, "Int"},
		{'V', SW_Structure, "UnsafeRawPointer"}, {'v', SW_Structure, "UnsafeMutableRawPointer"},
		{'P', SW_Structure, "UnsafePointer"}, {'p', SW_Structure, "UnsafeMutablePointer"},
		{'q', SW_Enum, "Optional"}, {'Q', SW_Enum, "ImplicitlyUnwrappedOptional"},
		{'R', SW_Structure, "UnsafeBufferPointer"},
		{'r', SW_Structure, "UnsafeMutableBufferPointer"}, {'S', SW_Structure, "String"},
		{'u', SW_Structure, "UInt"},
	};
	if (empty(o))
		return NULL;
	if (nextif(o, 'o'))
		return sw_node_text(o->m, SW_Module, "__C", 3);
	if (nextif(o, 'C'))
		return sw_node_text(o->m, SW_Module, "__C_Synthesized", 15);
	for (size_t i = 0; i < CRP_ARRAY_LEN(std); i++)
		if (nextif(o, std[i].c))
			return swift_type(o, (sw_kind)std[i].k, std[i].name);
	uint64_t i;
	if (!index_(o, &i) || i >= o->nsubs)
		return NULL;
	return o->subs[i];
}

static sw_node *module(od *o)
{
	if (nextif(o, 's'))
		return sw_node_text(o->m, SW_Module, "Swift", 5);
	if (nextif(o, 'S')) {
		sw_node *m = substitution(o);
		return sw_is(m, SW_Module) ? m : NULL;
	}
	sw_node *m = identifier(o, SW_Module);
	return push_subst(o, m) ? m : NULL;
}

static sw_node *decl_name(od *o)
{
	if (nextif(o, 'L')) {
		sw_node *disc = index_node(o, SW_Number);
		return sw_with2(o->m, SW_LocalDeclName, disc, disc ? identifier(o, SW_KIND_COUNT) : NULL);
	}
	if (nextif(o, 'P')) {
		sw_node *disc = identifier(o, SW_KIND_COUNT);
		return sw_with2(o->m, SW_PrivateDeclName, disc, disc ? identifier(o, SW_KIND_COUNT) : NULL);
	}
	return identifier(o, SW_KIND_COUNT);
}

static sw_node *declaration(od *o, sw_kind k)
{
	sw_node *ctx = context(o);
	sw_node *d = sw_with2(o->m, k, ctx, ctx ? decl_name(o) : NULL);
	return push_subst(o, d) ? d : NULL;
}

static sw_node *protocol_given_context(od *o, sw_node *ctx)
{
	sw_node *p = sw_with2(o->m, SW_Protocol, ctx, decl_name(o));
	return push_subst(o, p) ? p : NULL;
}

static sw_node *protocol_impl(od *o)
{
	if (nextif(o, 'S')) {
		sw_node *sub = substitution(o);
		if (sw_is(sub, SW_Protocol))
			return sub;
		return sw_is(sub, SW_Module) ? protocol_given_context(o, sub) : NULL;
	}
	if (nextif(o, 's'))
		return protocol_given_context(o, sw_node_text(o->m, SW_Module, "Swift", 5));
	return declaration(o, SW_Protocol);
}

static sw_node *protocol_name(od *o)
{
	ENTER(o);
	o->depth++;
	sw_node *p = sw_with(o->m, SW_Type, protocol_impl(o));
	o->depth--;
	return p;
}

static sw_node *nominal_type(od *o)
{
	if (nextif(o, 'S'))
		return substitution(o);
	if (nextif(o, 'V'))
		return declaration(o, SW_Structure);
	if (nextif(o, 'O'))
		return declaration(o, SW_Enum);
	if (nextif(o, 'C'))
		return declaration(o, SW_Class);
	if (nextif(o, 'P'))
		return declaration(o, SW_Protocol);
	return NULL;
}

static sw_node *bound_generic_args(od *o, sw_node *nominal)
{
	ENTER(o);
	if (!nominal || !nominal->n)
		return NULL;
	sw_node *parent = nominal->kids[0];
	if (parent->kind != SW_Module && parent->kind != SW_Function && parent->kind != SW_Extension) {
		o->depth++;
		parent = bound_generic_args(o, parent);
		o->depth--;
		sw_node *r = sw_with(o->m, (sw_kind)nominal->kind, parent);
		for (size_t i = 1; r && i < nominal->n; i++)
			r = sw_add(o->m, r, nominal->kids[i]);
		if (!(nominal = r))
			return NULL;
	}
	sw_node *args = sw_node_new(o->m, SW_TypeList);
	while (!nextif(o, '_')) {
		if (!sw_add(o->m, args, type(o)) || empty(o))
			return NULL;
	}
	if (!args || !args->n)
		return args ? nominal : NULL;
	sw_kind k = nominal->kind == SW_Class ? SW_BoundGenericClass
		  : nominal->kind == SW_Structure ? SW_BoundGenericStructure
		  : nominal->kind == SW_Enum ? SW_BoundGenericEnum : SW_KIND_COUNT;
	if (k == SW_KIND_COUNT)
		return NULL;
	return sw_with2(o->m, k, sw_with(o->m, SW_Type, nominal), args);
}

static sw_node *context(od *o)
{
	ENTER(o);
	if (empty(o))
		return NULL;
	o->depth++;
	sw_node *r = NULL;
	if (nextif(o, 'E')) {
		sw_node *mod = module(o);
		r = sw_with2(o->m, SW_Extension, mod, mod ? context(o) : NULL);
	} else if (nextif(o, 'e')) {
		sw_node *mod = module(o);
		sw_node *sig = mod ? generic_signature(o, false) : NULL;
		sw_node *t = sig ? context(o) : NULL;
		r = sw_with3(o->m, SW_Extension, mod, t, sig);
	} else if (nextif(o, 'S')) {
		r = substitution(o);
	} else if (nextif(o, 's')) {
		r = sw_node_text(o->m, SW_Module, "Swift", 5);
	} else if (nextif(o, 'G')) {
		r = bound_generic_args(o, nominal_type(o));
	} else if (!empty(o) && peek(o) && strchr("FIvPsZCVO", peek(o))) {
		r = entity(o);
	} else {
		r = module(o);
	}
	o->depth--;
	return r;
}

/* ---- entities ---- */

static const struct {
	char c[3];
	uint16_t kind;
} accessors[] = {
	{"aO", SW_OwningMutableAddressor}, {"ao", SW_NativeOwningMutableAddressor},
	{"ap", SW_NativePinningMutableAddressor}, {"au", SW_UnsafeMutableAddressor},
	{"lO", SW_OwningAddressor}, {"lo", SW_NativeOwningAddressor},
	{"lp", SW_NativePinningAddressor}, {"lu", SW_UnsafeAddressor}, {"g", SW_Getter},
	{"G", SW_GlobalGetter}, {"s", SW_Setter}, {"m", SW_MaterializeForSet}, {"w", SW_WillSet},
	{"W", SW_DidSet}, {"r", SW_ReadAccessor}, {"M", SW_ModifyAccessor},
};

static int accessor_kind(od *o)
{
	for (size_t i = 0; i < CRP_ARRAY_LEN(accessors); i++) {
		size_t n = accessors[i].c[1] ? 2 : 1;
		if (o->n - o->pos >= n && !memcmp(o->t + o->pos, accessors[i].c, n)) {
			o->pos += n;
			return accessors[i].kind;
		}
	}
	if (peek(o) == 'a' || peek(o) == 'l')
		return -2; /* an addressor of an unknown kind */
	return -1;
}

/* An accessor wraps a variable, or a subscript when the name says "subscript". */
static sw_node *wrapped(od *o, sw_kind k, sw_node *ctx, sw_node *name)
{
	bool sub = false;
	if (sw_text_is(name, "subscript")) {
		sub = true;
		name = NULL;
	} else if (sw_is(name, SW_PrivateDeclName) && name->n > 1 &&
		   sw_text_is(name->kids[1], "subscript")) {
		sub = true;
		name = sw_with(o->m, SW_PrivateDeclName, name->kids[0]);
		if (!name)
			return NULL;
	}
	sw_node *w = sw_with(o->m, sub ? SW_Subscript : SW_Variable, ctx);
	if (!sub)
		w = sw_add(o->m, w, name);
	w = sw_add(o->m, w, type(o));
	if (sub && name)
		w = sw_add(o->m, w, name);
	return sw_with(o->m, k, w);
}

static sw_node *entity_named(od *o, sw_kind basic, sw_node *ctx)
{
	sw_kind k;
	sw_node *name = NULL;
	bool typed = true;
	if (nextif(o, 'D')) k = SW_Deallocator, typed = false;
	else if (nextif(o, 'd')) k = SW_Destructor, typed = false;
	else if (nextif(o, 'e')) k = SW_IVarInitializer, typed = false;
	else if (nextif(o, 'E')) k = SW_IVarDestroyer, typed = false;
	else if (nextif(o, 'C')) k = SW_Allocator;
	else if (nextif(o, 'c')) k = SW_Constructor;
	else {
		int acc = accessor_kind(o);
		if (acc == -2)
			return NULL;
		if (acc >= 0)
			return (name = decl_name(o)) ? wrapped(o, (sw_kind)acc, ctx, name) : NULL;
		if (nextif(o, 'U') || nextif(o, 'u')) {
			k = o->t[o->pos - 1] == 'U' ? SW_ExplicitClosure : SW_ImplicitClosure;
			if (!(name = index_node(o, SW_Number)))
				return NULL;
		} else if (basic == SW_Initializer) {
			typed = false;
			if (nextif(o, 'A')) {
				k = SW_DefaultArgumentInitializer;
				if (!(name = index_node(o, SW_Number)))
					return NULL;
			} else if (nextif(o, 'i')) {
				k = SW_Initializer;
			} else {
				return NULL;
			}
		} else {
			k = basic;
			if (!(name = decl_name(o)))
				return NULL;
		}
	}
	sw_node *e = sw_with(o->m, k, ctx);
	if (name)
		e = sw_add(o->m, e, name);
	return typed ? sw_add(o->m, e, type(o)) : e;
}

static sw_node *entity(od *o)
{
	ENTER(o);
	bool is_static = nextif(o, 'Z');
	sw_kind basic;
	if (nextif(o, 'F')) basic = SW_Function;
	else if (nextif(o, 'v')) basic = SW_Variable;
	else if (nextif(o, 'I')) basic = SW_Initializer;
	else if (nextif(o, 'i')) basic = SW_Subscript;
	else return nominal_type(o);
	o->depth++;
	sw_node *ctx = context(o);
	sw_node *e = ctx ? entity_named(o, basic, ctx) : NULL;
	o->depth--;
	return is_static ? sw_with(o->m, SW_Static, e) : e;
}

/* ---- generics ---- */

static sw_node *param_type(od *o, uint64_t depth, uint64_t index)
{
	return sw_with2(o->m, SW_DependentGenericParamType, sw_node_index(o->m, SW_Index, depth),
			sw_node_index(o->m, SW_Index, index));
}

static sw_node *param_index(od *o)
{
	uint64_t depth, index;
	if (nextif(o, 'd')) {
		if (!index_(o, &depth) || !index_(o, &index))
			return NULL;
		return param_type(o, depth + 1, index);
	}
	if (nextif(o, 'x'))
		return param_type(o, 0, 0);
	if (!index_(o, &index))
		return NULL;
	return param_type(o, 0, index + 1);
}

static sw_node *member_name(od *o, sw_node *base)
{
	sw_node *at;
	if (nextif(o, 'S')) {
		at = substitution(o);
		if (!sw_is(at, SW_DependentAssociatedTypeRef))
			return NULL;
	} else {
		sw_node *proto = NULL;
		if (nextif(o, 'P') && !(proto = protocol_name(o)))
			return NULL;
		at = sw_with(o->m, SW_DependentAssociatedTypeRef, identifier(o, SW_KIND_COUNT));
		if (proto)
			at = sw_add(o->m, at, proto);
		if (!push_subst(o, at))
			return NULL;
	}
	return sw_with2(o->m, SW_DependentMemberType, base, at);
}

static sw_node *assoc_simple(od *o)
{
	sw_node *base = param_index(o);
	return base ? member_name(o, sw_with(o->m, SW_Type, base)) : NULL;
}

static sw_node *assoc_compound(od *o)
{
	sw_node *base = param_index(o);
	while (base && !nextif(o, '_')) {
		if (empty(o))
			return NULL;
		base = member_name(o, sw_with(o->m, SW_Type, base));
	}
	return base;
}

static sw_node *layout_constraint(od *o, sw_node *constrained)
{
	uint64_t size = UINT64_MAX, align = UINT64_MAX;
	char c = next(o);
	if (c == 'E' || c == 'M') {
		if (!natural(o, &size) || !nextif(o, '_') || !natural(o, &align))
			return NULL;
	} else if (c == 'e' || c == 'm') {
		if (!natural(o, &size))
			return NULL;
	} else if (c != 'U' && c != 'R' && c != 'N' && c != 'T') {
		return NULL;
	}
	static const char letters[] = "EMemURNT";
	sw_node *r = sw_with2(o->m, SW_DependentGenericLayoutRequirement, constrained,
			      sw_node_text(o->m, SW_Identifier, strchr(letters, c), 1));
	if (size != UINT64_MAX)
		r = sw_add(o->m, r, sw_node_index(o->m, SW_Number, size));
	if (r && align != UINT64_MAX)
		r = sw_add(o->m, r, sw_node_index(o->m, SW_Number, align));
	return r;
}

static sw_node *requirement(od *o)
{
	sw_node *ct = nextif(o, 'w') ? assoc_simple(o) : nextif(o, 'W') ? assoc_compound(o) : param_index(o);
	sw_node *constrained = sw_with(o->m, SW_Type, ct);
	if (!constrained)
		return NULL;
	if (nextif(o, 'z'))
		return sw_with2(o->m, SW_DependentGenericSameTypeRequirement, constrained, type(o));
	if (nextif(o, 'l'))
		return layout_constraint(o, constrained);
	sw_node *constraint;
	if (empty(o))
		return NULL;
	if (peek(o) == 'C') {
		constraint = type(o);
	} else if (nextif(o, 'S')) {
		sw_node *sub = substitution(o);
		if (sw_is(sub, SW_Module))
			sub = protocol_given_context(o, sub);
		else if (!sw_is(sub, SW_Protocol) && !sw_is(sub, SW_Class))
			return NULL;
		constraint = sw_with(o->m, SW_Type, sub);
	} else {
		constraint = protocol_name(o);
	}
	return sw_with2(o->m, SW_DependentGenericConformanceRequirement, constrained, constraint);
}

static sw_node *generic_signature(od *o, bool pseudo)
{
	sw_node *sig = sw_node_new(o->m, pseudo ? SW_DependentPseudogenericSignature
						: SW_DependentGenericSignature);
	uint64_t count = UINT64_MAX;
	while (sig && peek(o) != 'R' && peek(o) != 'r') {
		if (nextif(o, 'z'))
			count = 0;
		else if (index_(o, &count))
			count++;
		else
			return NULL;
		sig = sw_add(o->m, sig, sw_node_index(o->m, SW_DependentGenericParamCount, count));
	}
	if (sig && count == UINT64_MAX)
		sig = sw_add(o->m, sig, sw_node_index(o->m, SW_DependentGenericParamCount, 1));
	if (!sig || nextif(o, 'r'))
		return sig;
	if (!nextif(o, 'R'))
		return NULL;
	while (sig && !nextif(o, 'r')) {
		if (empty(o))
			return NULL;
		sig = sw_add(o->m, sig, requirement(o));
	}
	return sig;
}

/* ---- types ---- */

/* kind: 'f' float, 'i' int, 'p' vector of pointers, 'I'/'F' vector of ints/floats */
static sw_node *builtin_text(od *o, char kind, uint64_t a, uint64_t b)
{
	char *s = sw_alloc(o->m, 64);
	unsigned long long x = a, y = b;
	int n;
	if (!s)
		return NULL;
	switch (kind) {
	case 'f': n = snprintf(s, 64, "Builtin.FPIEEE%llu", x); break;
	case 'i': n = snprintf(s, 64, "Builtin.Int%llu", x); break;
	case 'p': n = snprintf(s, 64, "Builtin.Vec%lluxRawPointer", x); break;
	case 'I': n = snprintf(s, 64, "Builtin.Vec%lluxInt%llu", x, y); break;
	default: n = snprintf(s, 64, "Builtin.Vec%lluxFloat%llu", x, y); break;
	}
	return sw_node_text(o->m, SW_BuiltinTypeName, s, (size_t)n);
}

static sw_node *builtin(od *o)
{
	static const struct { char c; const char *name; } fixed[] = {
		{'b', "Builtin.BridgeObject"}, {'B', "Builtin.UnsafeValueBuffer"},
		{'O', "Builtin.UnknownObject"}, {'o', "Builtin.NativeObject"},
		{'p', "Builtin.RawPointer"}, {'t', "Builtin.SILToken"}, {'w', "Builtin.Word"},
	};
	uint64_t size, elts;
	char c = next(o);
	if (c == 'f' || c == 'i') {
		if (!natural(o, &size) || !nextif(o, '_'))
			return NULL;
		return builtin_text(o, c, size, 0);
	}
	if (c == 'v') {
		if (!natural(o, &elts) || !nextif(o, 'B'))
			return NULL;
		if (nextif(o, 'p'))
			return builtin_text(o, 'p', elts, 0);
		char k = next(o);
		if ((k != 'i' && k != 'f') || !natural(o, &size) || !nextif(o, '_'))
			return NULL;
		return builtin_text(o, k == 'i' ? 'I' : 'F', elts, size);
	}
	for (size_t i = 0; i < CRP_ARRAY_LEN(fixed); i++)
		if (fixed[i].c == c)
			return sw_node_text(o->m, SW_BuiltinTypeName, fixed[i].name, strlen(fixed[i].name));
	return NULL;
}

static sw_node *function_type(od *o, sw_kind k)
{
	bool throws = nextif(o, 'z'), conc = nextif(o, 'y'), async = nextif(o, 'Z');
	sw_node *f = sw_node_new(o->m, k);
	if (throws)
		f = sw_add(o->m, f, sw_node_new(o->m, SW_ThrowsAnnotation));
	if (async)
		f = sw_add(o->m, f, sw_node_new(o->m, SW_AsyncAnnotation));
	if (conc)
		f = sw_add(o->m, f, sw_node_new(o->m, SW_ConcurrentFunctionType));
	sw_node *in = type(o);
	sw_node *out = in ? type(o) : NULL;
	f = sw_add(o->m, f, sw_with(o->m, SW_ArgumentTuple, in));
	return sw_add(o->m, f, sw_with(o->m, SW_ReturnType, out));
}

static sw_node *tuple(od *o, bool variadic)
{
	sw_node *t = sw_node_new(o->m, SW_Tuple), *el = NULL;
	while (t && !nextif(o, '_')) {
		if (empty(o))
			return NULL;
		el = sw_node_new(o->m, SW_TupleElement);
		if (isdig(peek(o)) || peek(o) == 'o')
			el = sw_add(o->m, el, identifier(o, SW_TupleElementName));
		t = sw_add(o->m, t, sw_add(o->m, el, type(o)));
	}
	if (t && variadic && el) {
		sw_reverse(el, 0);
		el = sw_add(o->m, el, sw_node_new(o->m, SW_VariadicMarker));
		sw_reverse(el, 0);
		if (!el)
			return NULL;
	}
	return t;
}

static sw_node *archetype(od *o)
{
	sw_node *root;
	if (nextif(o, 'Q')) {
		o->depth++;
		root = archetype(o);
		o->depth--;
	} else if (nextif(o, 'S')) {
		root = substitution(o);
	} else if (nextif(o, 's')) {
		root = sw_node_text(o->m, SW_Module, "Swift", 5);
	} else {
		return NULL;
	}
	if (!root || o->depth > SW_MAX_DEPTH * 2)
		return NULL;
	sw_node *at = sw_with2(o->m, SW_AssociatedTypeRef, root, identifier(o, SW_KIND_COUNT));
	return push_subst(o, at) ? at : NULL;
}

static const char *impl_convention(od *o, int ctx)
{
	/* columns: callee, parameter, result */
	static const struct { char c; const char *v[3]; } conv[] = {
		{'a', {NULL, NULL, "@autoreleased"}},
		{'d', {"@callee_unowned", "@unowned", "@unowned"}},
		{'D', {NULL, NULL, "@unowned_inner_pointer"}},
		{'g', {"@callee_guaranteed", "@guaranteed", NULL}},
		{'e', {NULL, "@deallocating", NULL}}, {'i', {NULL, "@in", "@out"}},
		{'l', {NULL, "@inout", NULL}}, {'o', {"@callee_owned", "@owned", "@owned"}},
	};
	for (size_t i = 0; i < CRP_ARRAY_LEN(conv); i++)
		if (nextif(o, conv[i].c))
			return conv[i].v[ctx];
	return NULL;
}

static sw_node *impl_param(od *o, sw_kind k)
{
	if (nextif(o, 'z')) {
		if (k != SW_ImplResult)
			return NULL;
		k = SW_ImplErrorResult;
	}
	const char *c = impl_convention(o, k == SW_ImplParameter ? 1 : 2);
	if (!c)
		return NULL;
	sw_node *t = type(o);
	return sw_with2(o->m, k, sw_node_text(o->m, SW_ImplConvention, c, strlen(c)), t);
}

static sw_node *impl_attr(od *o, sw_node *f, const char *text, sw_kind k)
{
	sw_node *a = sw_node_text(o->m, k, text, strlen(text));
	if (k == SW_ImplFunctionConventionName)
		a = sw_with(o->m, SW_ImplFunctionConvention, a);
	return sw_add(o->m, f, a);
}

static sw_node *impl_function(od *o)
{
	static const char codes[] = "bcmOw";
	static const char *const names[] = {"block", "c", "method", "objc_method", "witness_method"};
	sw_node *f = sw_node_new(o->m, SW_ImplFunctionType);
	const char *callee = nextif(o, 't') ? "@convention(thin)" : impl_convention(o, 0);
	if (!callee)
		return NULL;
	f = impl_attr(o, f, callee, SW_ImplConvention);
	if (nextif(o, 'C')) {
		char c = next(o);
		const char *at = c ? strchr(codes, c) : NULL;
		if (!at)
			return NULL;
		f = impl_attr(o, f, names[at - codes], SW_ImplFunctionConventionName);
	}
	if (f && nextif(o, 'h'))
		f = impl_attr(o, f, "@Sendable", SW_ImplFunctionAttribute);
	if (f && nextif(o, 'H'))
		f = impl_attr(o, f, "@async", SW_ImplFunctionAttribute);
	bool pseudo = false;
	if (f && (nextif(o, 'G') || (pseudo = nextif(o, 'g'))))
		f = sw_add(o->m, f, generic_signature(o, pseudo));
	if (!f || !nextif(o, '_'))
		return NULL;
	for (int pass = 0; pass < 2; pass++)
		while (f && !nextif(o, '_')) {
			if (empty(o))
				return NULL;
			f = sw_add(o->m, f, impl_param(o, pass ? SW_ImplResult : SW_ImplParameter));
		}
	return f;
}

static sw_node *type_x(od *o)
{
	static const struct { char c; uint16_t k; } wrap[] = {
		{'b', SW_SILBoxType}, {'o', SW_Unowned}, {'u', SW_Unmanaged}, {'w', SW_Weak}};
	for (size_t i = 0; i < CRP_ARRAY_LEN(wrap); i++)
		if (nextif(o, wrap[i].c))
			return sw_with(o->m, (sw_kind)wrap[i].k, type(o));
	if (nextif(o, 'M') || nextif(o, 'P')) {
		bool exist = o->t[o->pos - 1] == 'P';
		if (exist && !nextif(o, 'M'))
			return NULL; /* XP: a protocol list, never seen in symbols */
		char r = next(o);
		const char *repr = r == 't' ? "@thin" : r == 'T' ? "@thick" : r == 'o' ? "@objc_metatype" : NULL;
		if (!repr)
			return NULL;
		sw_node *rn = sw_node_text(o->m, SW_MetatypeRepresentation, repr, strlen(repr));
		return sw_with2(o->m, exist ? SW_ExistentialMetatype : SW_Metatype, rn, type(o));
	}
	if (nextif(o, 'f'))
		return function_type(o, SW_ThinFunctionType);
	if (nextif(o, 'F'))
		return impl_function(o);
	return NULL;
}

static sw_node *type_upper(od *o, char c)
{
	switch (c) {
	case 'B': return builtin(o);
	case 'D': return sw_with(o->m, SW_DynamicSelf, type(o));
	case 'E':
		if (!nextif(o, 'R') || !nextif(o, 'R'))
			return NULL;
		return sw_node_new(o->m, SW_ErrorType);
	case 'F': return function_type(o, SW_FunctionType);
	case 'G': return bound_generic_args(o, nominal_type(o));
	case 'K': return function_type(o, SW_AutoClosureType);
	case 'M': return sw_with(o->m, SW_Metatype, type(o));
	case 'P':
		if (nextif(o, 'M'))
			return sw_with(o->m, SW_ExistentialMetatype, type(o));
		{
			sw_node *list = sw_node_new(o->m, SW_TypeList);
			sw_node *pl = sw_with(o->m, SW_ProtocolList, list);
			while (pl && !nextif(o, '_'))
				if (empty(o) || !sw_add(o->m, list, protocol_name(o)))
					return NULL;
			return pl;
		}
	case 'Q':
		if (nextif(o, 'u'))
			return sw_node_new(o->m, SW_OpaqueReturnType);
		if (nextif(o, 'U')) {
			uint64_t i;
			return index_(o, &i) ? sw_node_index(o->m, SW_OpaqueReturnTypeIndexed, i) : NULL;
		}
		return archetype(o);
	case 'R': return sw_with(o->m, SW_InOut, type_impl(o));
	case 'S': return substitution(o);
	case 'T': return tuple(o, false);
	case 'W': return assoc_compound(o);
	case 'X': return type_x(o);
	case 'C': case 'V': case 'O':
		return declaration(o, c == 'C' ? SW_Class : c == 'V' ? SW_Structure : SW_Enum);
	default: return NULL;
	}
}

static sw_node *dependent_type(od *o)
{
	char c = peek(o);
	if (empty(o))
		return NULL;
	if (c != 'd' && c != '_' && !isdig(c)) {
		sw_node *base = type(o);
		return base ? member_name(o, base) : NULL;
	}
	return param_index(o);
}

static sw_node *type_impl(od *o)
{
	ENTER(o);
	if (empty(o))
		return NULL;
	o->depth++;
	char c = next(o);
	sw_node *r = NULL;
	switch (c) {
	case 'a': r = declaration(o, SW_TypeAlias); break;
	case 'b': r = function_type(o, SW_ObjCBlock); break;
	case 'c': r = function_type(o, SW_CFunctionPointer); break;
	case 'f': r = function_type(o, SW_UncurriedFunctionType); break;
	case 'k': r = sw_with(o->m, SW_NoDerivative, type_impl(o)); break;
	case 'q': r = dependent_type(o); break;
	case 'x': r = param_type(o, 0, 0); break;
	case 'w': r = assoc_simple(o); break;
	case 't': r = tuple(o, true); break;
	case 'u': {
		sw_node *sig = generic_signature(o, false);
		r = sw_with2(o->m, SW_DependentGenericType, sig, sig ? type(o) : NULL);
		break;
	}
	default: r = type_upper(o, c); break;
	}
	o->depth--;
	return r;
}

/* ---- specializations and globals ---- */

static sw_node *fs_kind(od *o, sw_node *p, unsigned v)
{
	return sw_add(o->m, p, sw_node_index(o->m, SW_FunctionSignatureSpecializationParamKind, v));
}

static sw_node *fs_payload(od *o, sw_node *p, const char *s, size_t n)
{
	return sw_add(o->m, p, sw_node_text(o->m, SW_FunctionSignatureSpecializationParamPayload, s, n));
}

static sw_node *fs_until(od *o, sw_node *p, unsigned kind)
{
	size_t start = o->pos;
	while (!empty(o) && peek(o) != '_')
		o->pos++;
	if (!nextif(o, '_'))
		return NULL;
	return fs_payload(o, fs_kind(o, p, kind), o->t + start, o->pos - start - 1);
}

static sw_node *fs_const_prop(od *o, sw_node *p)
{
	sw_node *name;
	if (nextifs(o, "fr") || nextif(o, 'g')) {
		unsigned k = o->t[o->pos - 1] == 'g' ? 1 : 0;
		if (!(name = identifier(o, SW_KIND_COUNT)) || !nextif(o, '_'))
			return NULL;
		return fs_payload(o, fs_kind(o, p, k), name->text, (size_t)name->index);
	}
	if (nextif(o, 'i'))
		return fs_until(o, p, 2);
	if (nextifs(o, "fl"))
		return fs_until(o, p, 3);
	if (!nextifs(o, "se"))
		return NULL;
	char enc = next(o);
	if ((enc != '0' && enc != '1') || !nextif(o, 'v'))
		return NULL;
	if (!(name = identifier(o, SW_KIND_COUNT)) || !nextif(o, '_'))
		return NULL;
	p = fs_payload(o, fs_kind(o, p, 4), enc == '0' ? "u8" : "u16", enc == '0' ? 2 : 3);
	return fs_payload(o, p, name->text, (size_t)name->index);
}

static sw_node *fs_closure(od *o, sw_node *p)
{
	sw_node *name = identifier(o, SW_KIND_COUNT), *t;
	if (!name)
		return NULL;
	p = fs_payload(o, fs_kind(o, p, 5), name->text, (size_t)name->index);
	while (p && peek(o) != '_' && (t = type(o)))
		p = sw_add(o->m, p, t);
	return p && nextif(o, '_') ? p : NULL;
}

static sw_node *fs_option_set(od *o, sw_node *p)
{
	static const struct { char c; unsigned v; } f[] = {
		{'d', 1u << 6}, {'g', 1u << 7}, {'o', 1u << 9}, {'s', 1u << 8}};
	unsigned v = 0;
	for (size_t i = 0; i < CRP_ARRAY_LEN(f); i++)
		if (nextif(o, f[i].c))
			v |= f[i].v;
	if (!nextif(o, '_') || !v)
		return NULL;
	return fs_kind(o, p, v);
}

static sw_node *function_sig_spec(od *o, sw_node *spec)
{
	while (spec && !nextif(o, '_')) {
		if (empty(o))
			return NULL;
		sw_node *p = sw_node_new(o->m, SW_FunctionSignatureSpecializationParam);
		if (nextifs(o, "n_"))
			;
		else if (nextifs(o, "cp"))
			p = fs_const_prop(o, p);
		else if (nextifs(o, "cl"))
			p = fs_closure(o, p);
		else if (nextifs(o, "i_"))
			p = fs_kind(o, p, 6);
		else if (nextifs(o, "k_"))
			p = fs_kind(o, p, 7);
		else if (nextifs(o, "r_"))
			p = fs_kind(o, p, 8);
		else
			p = fs_option_set(o, p);
		spec = sw_add(o->m, spec, p);
	}
	return spec;
}

static sw_node *generic_spec(od *o, sw_node *spec)
{
	while (spec && !nextif(o, '_')) {
		sw_node *p = sw_with(o->m, SW_GenericSpecializationParam, type(o));
		while (p && !nextif(o, '_')) {
			if (empty(o))
				return NULL;
			sw_node *t = type(o);
			sw_node *proto = t ? protocol_name(o) : NULL;
			sw_node *ctx = proto ? context(o) : NULL;
			p = sw_add(o->m, p, sw_with3(o->m, SW_ProtocolConformance, t, proto, ctx));
		}
		spec = sw_add(o->m, spec, p);
	}
	return spec;
}

static sw_node *specialized_attr(od *o)
{
	bool g = nextif(o, 'g'), r = !g && nextif(o, 'r'), f = !g && !r && nextif(o, 'f');
	if (!g && !r && !f)
		return NULL;
	sw_node *spec = sw_node_new(o->m, g ? SW_GenericSpecialization
				      : r ? SW_GenericSpecializationNotReAbstracted
					  : SW_FunctionSignatureSpecialization);
	if (nextif(o, 'q'))
		spec = sw_add(o->m, spec, sw_node_new(o->m, SW_IsSerialized));
	uint64_t pass = (uint64_t)(unsigned char)(next(o) - '0');
	spec = sw_add(o->m, spec, sw_node_index(o->m, SW_SpecializationPassID, pass));
	return f ? function_sig_spec(o, spec) : generic_spec(o, spec);
}

static sw_node *global_metadata(od *o)
{
	static const struct { char c; uint16_t k; } kinds[] = {
		{'P', SW_GenericTypeMetadataPattern}, {'a', SW_TypeMetadataAccessFunction},
		{'L', SW_TypeMetadataLazyCache}, {'m', SW_Metaclass}, {'n', SW_NominalTypeDescriptor},
		{'f', SW_FullTypeMetadata},
	};
	if (nextif(o, 'p'))
		return sw_with(o->m, SW_ProtocolDescriptor, protocol_name(o));
	for (size_t i = 0; i < CRP_ARRAY_LEN(kinds); i++)
		if (nextif(o, kinds[i].c))
			return sw_with(o->m, (sw_kind)kinds[i].k, type(o));
	return sw_with(o->m, SW_TypeMetadata, type(o));
}

static sw_node *conformance(od *o)
{
	sw_node *t = type(o);
	sw_node *p = t ? protocol_name(o) : NULL;
	sw_node *c = p ? context(o) : NULL;
	return sw_with3(o->m, SW_ProtocolConformance, t, p, c);
}

static sw_node *global_witness(od *o)
{
	static const struct { char c; uint16_t k; } conf[] = {
		{'P', SW_ProtocolWitnessTable}, {'G', SW_GenericProtocolWitnessTable},
		{'I', SW_GenericProtocolWitnessTableInstantiationFunction},
		{'a', SW_ProtocolWitnessTableAccessor},
	};
	if (nextif(o, 'V'))
		return sw_with(o->m, SW_ValueWitnessTable, type(o));
	if (nextif(o, 'v')) {
		char c = next(o);
		if (c != 'd' && c != 'i')
			return NULL;
		return sw_with2(o->m, SW_FieldOffset, sw_node_index(o->m, SW_Directness, c == 'i'), entity(o));
	}
	for (size_t i = 0; i < CRP_ARRAY_LEN(conf); i++)
		if (nextif(o, conf[i].c))
			return sw_with(o->m, (sw_kind)conf[i].k, conformance(o));
	if (nextif(o, 'l') || nextif(o, 'L')) {
		sw_kind k = o->t[o->pos - 1] == 'l' ? SW_LazyProtocolWitnessTableAccessor
						     : SW_LazyProtocolWitnessTableCacheVariable;
		sw_node *t = type(o);
		return sw_with2(o->m, k, t, t ? conformance(o) : NULL);
	}
	if (nextif(o, 't')) {
		sw_node *c = conformance(o);
		return sw_with2(o->m, SW_AssociatedTypeMetadataAccessor, c, c ? decl_name(o) : NULL);
	}
	if (nextif(o, 'T')) {
		sw_node *c = conformance(o);
		sw_node *n = c ? decl_name(o) : NULL;
		return sw_with3(o->m, SW_AssociatedTypeWitnessTableAccessor, c, n, n ? protocol_name(o) : NULL);
	}
	return NULL;
}

static sw_node *global_thunk(od *o)
{
	if (nextif(o, 'R') || nextif(o, 'r')) {
		sw_node *t = sw_node_new(o->m, o->t[o->pos - 1] == 'R' ? SW_ReabstractionThunkHelper
								     : SW_ReabstractionThunk);
		if (nextif(o, 'G'))
			t = sw_add(o->m, t, generic_signature(o, false));
		t = sw_add(o->m, t, type(o));
		return sw_add(o->m, t, type(o));
	}
	if (nextif(o, 'W')) {
		sw_node *c = conformance(o);
		return sw_with2(o->m, SW_ProtocolWitness, c, c ? entity(o) : NULL);
	}
	return NULL;
}

static sw_node *value_witness(od *o)
{
	static const char codes[][3] = {
		"al", "ca", "ta", "de", "xx", "XX", "Xx", "CP", "Cp", "cp", "Tk", "tk", "pr", "TK",
		"Cc", "Tt", "tT", "xs", "xg", "ug", "up", "ui", "et", "st"};
	if (o->n - o->pos < 2)
		return NULL;
	const char *c = o->t + o->pos;
	o->pos += 2;
	for (size_t i = 0; i < CRP_ARRAY_LEN(codes); i++)
		if (codes[i][0] == c[0] && codes[i][1] == c[1])
			return sw_with2(o->m, SW_ValueWitness, sw_node_index(o->m, SW_Index, i), type(o));
	return NULL;
}

static sw_node *global(od *o)
{
	ENTER(o);
	if (empty(o))
		return NULL;
	o->depth++;
	sw_node *r;
	if (nextif(o, 'M'))
		r = global_metadata(o);
	else if (nextifs(o, "PA")) {
		r = sw_node_new(o->m, nextif(o, 'o') ? SW_PartialApplyObjCForwarder : SW_PartialApplyForwarder);
		if (nextifs(o, "__T"))
			r = sw_add(o->m, r, global(o));
	} else if (nextif(o, 't'))
		r = sw_with(o->m, SW_TypeMangling, type(o));
	else if (nextif(o, 'w'))
		r = value_witness(o);
	else if (nextif(o, 'W'))
		r = global_witness(o);
	else if (nextif(o, 'T'))
		r = global_thunk(o);
	else
		r = entity(o);
	o->depth--;
	return r;
}

static sw_node *top_attrs(od *o, sw_node *top)
{
	static const struct { char s[3]; uint16_t k; } attrs[] = {
		{"To", SW_ObjCAttribute}, {"TO", SW_NonObjCAttribute}, {"TD", SW_DynamicAttribute},
		{"Td", SW_DirectMethodReferenceAttribute}, {"TV", SW_VTableAttribute},
	};
	if (nextifs(o, "TS")) {
		do {
			top = sw_add(o->m, top, specialized_attr(o));
			o->nsubs = 0; /* the specialization header keeps its own substitutions */
		} while (top && nextifs(o, "_TTS"));
		return top && nextifs(o, "_T") ? top : NULL;
	}
	for (size_t i = 0; i < CRP_ARRAY_LEN(attrs); i++)
		if (nextifs(o, attrs[i].s))
			return sw_add(o->m, top, sw_node_new(o->m, (sw_kind)attrs[i].k));
	return top;
}

sw_node *sw_demangle_old(sw_mem *m, const char *s, size_t n)
{
	od o;
	memset(&o, 0, sizeof o);
	o.m = m;
	o.t = s;
	o.n = n;
	if (!nextifs(&o, "_T"))
		return NULL;
	sw_node *top = top_attrs(&o, sw_node_new(m, SW_Global));
	top = sw_add(m, top, global(&o));
	if (top && !empty(&o))
		top = memchr(o.t + o.pos, 0, o.n - o.pos)
			      ? NULL
			      : sw_add(m, top, sw_node_text(m, SW_Suffix, o.t + o.pos, o.n - o.pos));
	return top;
}
