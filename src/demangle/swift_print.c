/* Printing a Swift node tree: the full style of swift-demangle, or the simplified style of
 * Apple's crash reports (swift-demangle -simplified): no modules, no types, no specialization
 * or conformance details, parameter labels only. */
#include <stdio.h>

#include "swift_int.h"

#define SIMPLE(o) (((o)->flags & SW_OPT_SIMPLIFIED) != 0)

typedef enum { TP_NONE, TP_COLON, TP_FUNCTION } type_printing;

static sw_node *pr(sw_out *o, sw_node *n, bool prefix);
static void print_fs_kind(sw_out *o, uint64_t v);
static void print_fs_payload(sw_out *o, const sw_node *n);

/* ---- output ---- */

static void put(sw_out *o, const char *s, size_t n)
{
	if (o->overflow || n >= o->cap - o->n) {
		o->overflow = true;
		return;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void puts_(sw_out *o, const char *s) { put(o, s, strlen(s)); }
static void putc_(sw_out *o, char c) { put(o, &c, 1); }
static void put_text(sw_out *o, const sw_node *n)
{
	if (n && n->payload == SW_TEXT)
		put(o, n->text, (size_t)n->index);
}
static void put_u(sw_out *o, uint64_t v)
{
	char b[24], *p = b + sizeof b;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	put(o, p, (size_t)(b + sizeof b - p));
}

static void print(sw_out *o, sw_node *n) { pr(o, n, false); }

static void print_children(sw_out *o, sw_node *n, const char *sep)
{
	for (size_t i = 0; n && i < n->n; i++) {
		if (i && sep)
			puts_(o, sep);
		print(o, n->kids[i]);
	}
}

static sw_node *child_of(const sw_node *n, sw_kind k)
{
	for (size_t i = 0; n && i < n->n; i++)
		if (n->kids[i]->kind == k)
			return n->kids[i];
	return NULL;
}

static void param_name(sw_out *o, uint64_t depth, uint64_t index)
{
	char b[24];
	size_t len = 0;
	do {
		b[len++] = (char)('A' + index % 26);
		index /= 26;
	} while (index && len < 16);
	put(o, b, len);
	if (depth)
		put_u(o, depth);
}

/* ---- types ---- */

static bool is_simple_type(const sw_node *n)
{
	switch (n ? n->kind : SW_KIND_COUNT) {
	case SW_Type: /* as swift-demangle: an optional's argument is always "simple" */
	case SW_AssociatedType: case SW_AssociatedTypeRef: case SW_BoundGenericClass:
	case SW_BoundGenericEnum: case SW_BoundGenericStructure: case SW_BoundGenericProtocol:
	case SW_BoundGenericOtherNominalType: case SW_BoundGenericTypeAlias: case SW_BuiltinTypeName:
	case SW_Class: case SW_DependentGenericType: case SW_DependentMemberType:
	case SW_DependentGenericParamType: case SW_DynamicSelf: case SW_Enum: case SW_ErrorType:
	case SW_ExistentialMetatype: case SW_Metatype: case SW_MetatypeRepresentation:
	case SW_Module: case SW_Tuple: case SW_Protocol: case SW_ProtocolSymbolicReference:
	case SW_ReturnType: case SW_SILBoxType: case SW_SILBoxTypeWithLayout: case SW_Structure:
	case SW_OtherNominalType: case SW_TupleElementName: case SW_TypeAlias: case SW_TypeList:
	case SW_LabelList: case SW_TypeSymbolicReference: case SW_SugaredOptional:
	case SW_SugaredArray: case SW_SugaredDictionary: case SW_SugaredParen: case SW_OpaqueType:
		return true;
	case SW_ProtocolList:
		return sw_kid(n, 0) && n->kids[0]->n <= 1;
	case SW_ProtocolListWithAnyObject:
		return sw_kid(sw_kid(n, 0), 0) && n->kids[0]->kids[0]->n == 0;
	default:
		return false;
	}
}

static bool need_space_before_type(const sw_node *n)
{
	switch (n ? n->kind : SW_KIND_COUNT) {
	case SW_Type: return need_space_before_type(sw_kid(n, 0));
	case SW_FunctionType: case SW_NoEscapeFunctionType: case SW_UncurriedFunctionType:
	case SW_DependentGenericType:
		return false;
	default:
		return true;
	}
}

static void print_parens_if(sw_out *o, sw_node *t)
{
	bool parens = !is_simple_type(t);
	if (parens)
		putc_(o, '(');
	print(o, t);
	if (parens)
		putc_(o, ')');
}

static bool is_swift_named(const sw_node *nominal, const char *name)
{
	return nominal && nominal->n >= 2 && sw_is(nominal->kids[0], SW_Module) &&
	       sw_text_is(nominal->kids[0], "Swift") && sw_text_is(nominal->kids[1], name);
}

static void print_bound_generic(sw_out *o, sw_node *n)
{
	if (n->n < 2)
		return;
	sw_node *args = n->kids[1], *nominal = sw_kid(n->kids[0], 0);
	if (n->n == 2 && (n->kind == SW_BoundGenericEnum || n->kind == SW_BoundGenericStructure)) {
		if (args->n == 1 && n->kind == SW_BoundGenericEnum && is_swift_named(nominal, "Optional")) {
			print_parens_if(o, args->kids[0]);
			putc_(o, '?');
			return;
		}
		if (args->n == 1 && is_swift_named(nominal, "Array")) {
			putc_(o, '[');
			print(o, args->kids[0]);
			putc_(o, ']');
			return;
		}
		if (args->n == 2 && is_swift_named(nominal, "Dictionary")) {
			putc_(o, '[');
			print(o, args->kids[0]);
			puts_(o, " : ");
			print(o, args->kids[1]);
			putc_(o, ']');
			return;
		}
	}
	if (n->kind == SW_BoundGenericProtocol) {
		print_children(o, args, NULL);
		puts_(o, " as ");
		print(o, n->kids[0]);
		return;
	}
	print(o, n->kids[0]);
	putc_(o, '<');
	print_children(o, args, ", ");
	putc_(o, '>');
}

static void print_params(sw_out *o, sw_node *labels, sw_node *arg, bool types)
{
	sw_node *params = sw_kid(sw_kid(arg, 0), 0);
	if (!sw_is(arg, SW_ArgumentTuple) || !params) {
		o->invalid = true;
		return;
	}
	if (params->kind != SW_Tuple) {
		puts_(o, types ? "(" : "(_:)");
		if (types) {
			print(o, params);
			putc_(o, ')');
		}
		return;
	}
	bool labelled = labels && labels->n > 0;
	putc_(o, '(');
	for (size_t i = 0; i < params->n; i++) {
		sw_node *p = params->kids[i], *tn;
		if (i && types)
			puts_(o, ", ");
		if (labelled) {
			sw_node *l = sw_kid(labels, i);
			if (!l) {
				o->invalid = true;
				return;
			}
			if (l->kind == SW_Identifier)
				put_text(o, l);
			else
				putc_(o, '_');
			putc_(o, ':');
			if (types)
				putc_(o, ' ');
		} else if (!types) {
			if ((tn = child_of(p, SW_TupleElementName)))
				put_text(o, tn);
			else
				putc_(o, '_');
			putc_(o, ':');
		}
		if (types)
			print(o, p);
	}
	putc_(o, ')');
}

static void print_diff_kind(sw_out *o, uint64_t k, bool impl)
{
	puts_(o, "@differentiable");
	switch (k) {
	case 'f': puts_(o, "(_forward)"); break;
	case 'r': puts_(o, "(reverse)"); break;
	case 'l': puts_(o, "(_linear)"); break;
	default: break;
	}
	if (!impl)
		putc_(o, ' ');
}

static void print_convention(sw_out *o, const char *conv, sw_node *fn)
{
	puts_(o, "@convention(");
	puts_(o, conv);
	if (sw_is(sw_kid(fn, 0), SW_ClangType)) {
		puts_(o, ", mangledCType: \"");
		put_text(o, fn->kids[0]);
		putc_(o, '"');
	}
	puts_(o, ") ");
}

static void print_fn_prefix(sw_out *o, sw_node *fn)
{
	switch (fn->kind) {
	case SW_AutoClosureType: case SW_EscapingAutoClosureType: puts_(o, "@autoclosure "); break;
	case SW_ThinFunctionType: puts_(o, "@convention(thin) "); break;
	case SW_CFunctionPointer: print_convention(o, "c", fn); break;
	case SW_EscapingObjCBlock: puts_(o, "@escaping "); print_convention(o, "block", fn); break;
	case SW_ObjCBlock: print_convention(o, "block", fn); break;
	default: break;
	}
}

static void print_function_type(sw_out *o, sw_node *labels, sw_node *fn)
{
	if (!fn || fn->n < 2) {
		o->invalid = true;
		return;
	}
	print_fn_prefix(o, fn);
	size_t arg = fn->n - 2;
	sw_node *throws = NULL, *async = NULL, *conc = NULL, *diff = NULL;
	for (size_t i = 0; i < arg; i++) {
		sw_node *c = fn->kids[i];
		switch (c->kind) {
		case SW_ThrowsAnnotation: case SW_TypedThrowsAnnotation: throws = c; break;
		case SW_AsyncAnnotation: async = c; break;
		case SW_ConcurrentFunctionType: conc = c; break;
		case SW_DifferentiableFunctionType: diff = c; break;
		case SW_GlobalActorFunctionType: case SW_IsolatedAnyFunctionType: print(o, c); break;
		default: break;
		}
	}
	if (diff)
		print_diff_kind(o, diff->index, false);
	if (conc)
		puts_(o, conc->index == 1 ? "@concurrent " : "@Sendable ");
	bool types = !SIMPLE(o);
	print_params(o, labels, fn->kids[arg], types);
	if (!types)
		return;
	if (async)
		puts_(o, " async");
	if (throws)
		print(o, throws);
	print(o, fn->kids[arg + 1]);
}

static void print_impl_function(sw_out *o, sw_node *fn)
{
	sw_node *pattern = NULL, *invocation = NULL;
	int state = 0; /* 0 attributes, 1 parameters, 2 results */
	for (size_t i = 0; i < fn->n; i++) {
		sw_node *c = fn->kids[i];
		int want = c->kind == SW_ImplParameter ? 1
			 : (c->kind == SW_ImplResult || c->kind == SW_ImplYield ||
			    c->kind == SW_ImplErrorResult) ? 2 : 0;
		if (c->kind == SW_ImplPatternSubstitutions) {
			pattern = c;
			continue;
		}
		if (c->kind == SW_ImplInvocationSubstitutions) {
			invocation = c;
			continue;
		}
		if (!want) {
			print(o, c);
			putc_(o, ' ');
			continue;
		}
		if (state == want)
			puts_(o, ", ");
		for (; state < want; state++) {
			if (state == 0 && pattern) {
				puts_(o, "@substituted ");
				print(o, sw_kid(pattern, 0));
				putc_(o, ' ');
			}
			puts_(o, state == 0 ? "(" : ") -> (");
		}
		print(o, c);
	}
	for (; state < 2; state++) {
		if (state == 0 && pattern) {
			puts_(o, "@substituted ");
			print(o, sw_kid(pattern, 0));
			putc_(o, ' ');
		}
		puts_(o, state == 0 ? "(" : ") -> (");
	}
	putc_(o, ')');
	sw_node *subs = pattern ? sw_kid(pattern, 1) : invocation ? sw_kid(invocation, 0) : NULL;
	if (subs) {
		puts_(o, " for <");
		print_children(o, subs, NULL);
		putc_(o, '>');
	}
}

static bool is_pack_param(const sw_node *sig, size_t from, uint64_t depth, uint64_t index)
{
	for (size_t i = from; i < sig->n; i++) {
		const sw_node *m = sig->kids[i], *p = sw_kid(sw_kid(m, 0), 0);
		if (m->kind == SW_DependentGenericParamPackMarker && p && p->n == 2 &&
		    p->kids[0]->index == depth && p->kids[1]->index == index)
			return true;
	}
	return false;
}

static void print_generic_params(sw_out *o, sw_node *n, size_t counts)
{
	for (size_t depth = 0; depth < counts; depth++) {
		if (depth)
			puts_(o, "><");
		uint64_t count = n->kids[depth]->index;
		for (uint64_t i = 0; i < count; i++) {
			if (i)
				puts_(o, ", ");
			if (i >= 128) {
				puts_(o, "...");
				break;
			}
			if (is_pack_param(n, counts, depth, i))
				puts_(o, "each ");
			param_name(o, depth, i);
		}
	}
}

static void print_generic_signature(sw_out *o, sw_node *n)
{
	size_t counts = 0, first = 0;
	putc_(o, '<');
	while (counts < n->n && n->kids[counts]->kind == SW_DependentGenericParamCount)
		counts++;
	print_generic_params(o, n, counts);
	for (size_t i = counts; i < n->n; i++) {
		if (SIMPLE(o) || n->kids[i]->kind == SW_DependentGenericParamPackMarker)
			continue;
		puts_(o, first++ ? ", " : " where ");
		print(o, n->kids[i]);
	}
	putc_(o, '>');
}

static void print_layout(sw_out *o, sw_node *n)
{
	static const char codes[] = "URNCDTEeMmBS";
	static const char *const names[] = {"_UnknownLayout", "_RefCountedObject",
		"_NativeRefCountedObject", "AnyObject", "_NativeClass", "_Trivial", "_Trivial",
		"_Trivial", "_TrivialAtMost", "_TrivialAtMost", "_BridgeObject", "_TrivialStride"};
	sw_node *l = sw_kid(n, 1);
	print(o, sw_kid(n, 0));
	puts_(o, ": ");
	bool one = l && l->payload == SW_TEXT && l->index == 1 && l->text[0];
	const char *at = one ? strchr(codes, l->text[0]) : NULL;
	if (!at) {
		o->invalid = true;
		return;
	}
	puts_(o, names[at - codes]);
	if (n->n > 2) {
		putc_(o, '(');
		print(o, n->kids[2]);
		if (n->n > 3) {
			puts_(o, ", ");
			print(o, n->kids[3]);
		}
		putc_(o, ')');
	}
}

/* ---- entities ---- */

static void print_entity_type(sw_out *o, sw_node *entity, sw_node *type, sw_node *generic_args)
{
	sw_node *labels = child_of(entity, SW_LabelList);
	if (!labels && !generic_args) {
		print(o, type);
		return;
	}
	if (generic_args) {
		putc_(o, '<');
		print_children(o, generic_args, ", ");
		putc_(o, '>');
	}
	if (type->kind == SW_DependentGenericType) {
		if (!generic_args)
			print(o, sw_kid(type, 0));
		sw_node *dep = sw_kid(type, 1);
		if (need_space_before_type(dep))
			putc_(o, ' ');
		type = sw_kid(dep, 0);
	}
	print_function_type(o, labels, type);
}

static bool is_function_like(const sw_node *t)
{
	while (sw_is(t, SW_DependentGenericType))
		t = sw_kid(sw_kid(t, 1), 0);
	return sw_is(t, SW_FunctionType) || sw_is(t, SW_NoEscapeFunctionType) ||
	       sw_is(t, SW_UncurriedFunctionType) || sw_is(t, SW_CFunctionPointer) ||
	       sw_is(t, SW_ThinFunctionType);
}

typedef struct entity_args {
	type_printing tp;
	bool has_name;
	const char *extra;
	int extra_index;
	const char *overwrite;
} entity_args;

static void print_entity_name(sw_out *o, sw_node *e, const entity_args *a, bool multi, const char **extra)
{
	if (*extra && **extra && multi) {
		puts_(o, *extra);
		if (a->extra_index >= 0)
			put_u(o, (uint64_t)a->extra_index);
		puts_(o, " of ");
		*extra = NULL;
	}
	size_t at = o->n;
	if (a->overwrite) {
		puts_(o, a->overwrite);
	} else {
		sw_node *name = sw_kid(e, 1), *priv;
		if (name && name->kind != SW_PrivateDeclName)
			print(o, name);
		if ((priv = child_of(e, SW_PrivateDeclName)))
			print(o, priv);
	}
	if (o->n != at && *extra && **extra)
		putc_(o, '.');
}

static void print_entity_typed(sw_out *o, sw_node *e, type_printing tp, bool multi, sw_node *gargs)
{
	sw_node *type = sw_kid(child_of(e, SW_Type), 0);
	if (!type) {
		o->invalid = true;
		return;
	}
	if (tp == TP_FUNCTION && !is_function_like(type))
		tp = TP_COLON;
	if (tp == TP_COLON) {
		if (!SIMPLE(o)) {
			puts_(o, " : ");
			print_entity_type(o, e, type, gargs);
		}
		return;
	}
	if (multi || need_space_before_type(type))
		putc_(o, ' ');
	print_entity_type(o, e, type, gargs);
}

static sw_node *print_entity(sw_out *o, sw_node *e, bool prefix, const entity_args *a)
{
	sw_node *gargs = NULL;
	if (e->kind == SW_BoundGenericFunction) {
		gargs = sw_kid(e, 1);
		e = sw_kid(e, 0);
	}
	const char *extra = a->extra;
	bool multi = extra && strchr(extra, ' ');
	if (a->has_name && sw_is(sw_kid(e, 1), SW_LocalDeclName))
		multi = true;
	if (prefix && (a->tp != TP_NONE || multi))
		return e;
	sw_node *post = NULL, *ctx = sw_kid(e, 0);
	if (!ctx) {
		o->invalid = true;
		return NULL;
	}
	if (multi) {
		post = ctx;
	} else {
		size_t at = o->n;
		post = pr(o, ctx, true);
		if (o->n != at)
			putc_(o, '.');
	}
	if (a->has_name || a->overwrite)
		print_entity_name(o, e, a, multi, &extra);
	if (extra && *extra) {
		puts_(o, extra);
		if (a->extra_index >= 0)
			put_u(o, (uint64_t)a->extra_index);
	}
	if (a->tp != TP_NONE)
		print_entity_typed(o, e, a->tp, multi, gargs);
	if (!prefix && post) {
		bool of = e->kind == SW_DefaultArgumentInitializer || e->kind == SW_Initializer ||
			  e->kind == SW_PropertyWrapperBackingInitializer ||
			  e->kind == SW_PropertyWrapperInitFromProjectedValue;
		puts_(o, of ? " of " : " in ");
		print(o, post);
		post = NULL;
	}
	return post;
}

static sw_node *entity(sw_out *o, sw_node *n, bool prefix, type_printing tp, bool has_name,
		       const char *extra, int index, const char *overwrite)
{
	entity_args a = {tp, has_name, extra, index, overwrite};
	return print_entity(o, n, prefix, &a);
}

static sw_node *print_storage(sw_out *o, sw_node *n, bool prefix, const char *extra)
{
	if (sw_is(n, SW_Variable))
		return entity(o, n, prefix, TP_COLON, true, extra, -1, NULL);
	if (sw_is(n, SW_Subscript))
		return entity(o, n, prefix, TP_COLON, false, extra, -1, "subscript");
	o->invalid = true;
	return NULL;
}

static const char *accessor_name(sw_kind k)
{
	switch (k) {
	case SW_OwningAddressor: return "owningAddressor";
	case SW_OwningMutableAddressor: return "owningMutableAddressor";
	case SW_NativeOwningAddressor: return "nativeOwningAddressor";
	case SW_NativeOwningMutableAddressor: return "nativeOwningMutableAddressor";
	case SW_NativePinningAddressor: return "nativePinningAddressor";
	case SW_NativePinningMutableAddressor: return "nativePinningMutableAddressor";
	case SW_UnsafeAddressor: return "unsafeAddressor";
	case SW_UnsafeMutableAddressor: return "unsafeMutableAddressor";
	case SW_GlobalGetter: case SW_Getter: return "getter";
	case SW_Setter: return "setter";
	case SW_MaterializeForSet: return "materializeForSet";
	case SW_WillSet: return "willset";
	case SW_DidSet: return "didset";
	case SW_ReadAccessor: return "read";
	case SW_ModifyAccessor: return "modify";
	case SW_InitAccessor: return "init";
	default: return NULL;
	}
}

static const char *macro_role(sw_kind k)
{
	switch (k) {
	case SW_AccessorAttachedMacroExpansion: return "accessor";
	case SW_MemberAttributeAttachedMacroExpansion: return "member attribute";
	case SW_MemberAttachedMacroExpansion: return "member";
	case SW_PeerAttachedMacroExpansion: return "peer";
	case SW_ConformanceAttachedMacroExpansion: return "conformance";
	case SW_ExtensionAttachedMacroExpansion: return "extension";
	case SW_BodyAttachedMacroExpansion: return "body";
	case SW_PreambleAttachedMacroExpansion: return "preamble";
	default: return NULL;
	}
}

static sw_node *print_macro(sw_out *o, sw_node *n, bool prefix)
{
	char extra[160];
	sw_node *disc = sw_kid(n, n->n - 1);
	int idx = disc ? (int)(disc->index & 0x7fffffff) + 1 : 0;
	if (n->kind == SW_FreestandingMacroExpansion)
		return entity(o, n, prefix, TP_NONE, true, "freestanding macro expansion #", idx, NULL);
	if (n->kind == SW_MacroExpansionUniqueName)
		return entity(o, n, prefix, TP_NONE, true, "unique name #", idx, NULL);
	sw_node *macro = sw_kid(n, 2);
	if (!macro || macro->payload != SW_TEXT || macro->index > 100) {
		o->invalid = true;
		return NULL;
	}
	snprintf(extra, sizeof extra, "%s macro @%.*s expansion #", macro_role((sw_kind)n->kind),
		 (int)macro->index, macro->text);
	return entity(o, n, prefix, TP_NONE, true, extra, idx, NULL);
}

/* Accessors and macro expansions: the entity kinds found by table rather than by case. */
static sw_node *print_entity_other(sw_out *o, sw_node *n, bool prefix, bool *done)
{
	const char *acc = accessor_name((sw_kind)n->kind);
	*done = true;
	if (acc)
		return print_storage(o, sw_kid(n, 0), prefix, acc);
	if (macro_role((sw_kind)n->kind) || n->kind == SW_FreestandingMacroExpansion ||
	    n->kind == SW_MacroExpansionUniqueName)
		return print_macro(o, n, prefix);
	*done = false;
	return NULL;
}

static sw_node *print_entity_kind(sw_out *o, sw_node *n, bool prefix, bool *done)
{
	bool types = !SIMPLE(o);
#define IDX (sw_kid(n, 1) ? (int)(n->kids[1]->index & 0x7fffffff) : 0)
#define IS_CLASS (sw_is(sw_kid(n, 0), SW_Class))
	*done = true;
	switch (n->kind) {
	case SW_Variable: return entity(o, n, prefix, TP_COLON, true, NULL, -1, NULL);
	case SW_Macro:
		return entity(o, n, prefix, n->n == 3 ? TP_COLON : TP_FUNCTION, true, NULL, -1, NULL);
	case SW_Function: case SW_BoundGenericFunction:
		return entity(o, n, prefix, TP_FUNCTION, true, NULL, -1, NULL);
	case SW_Subscript: return entity(o, n, prefix, TP_FUNCTION, false, NULL, -1, "subscript");
	case SW_GenericTypeParamDecl: return entity(o, n, prefix, TP_NONE, true, NULL, -1, NULL);
	case SW_ExplicitClosure:
		return entity(o, n, prefix, types ? TP_FUNCTION : TP_NONE, false, "closure #", IDX + 1, NULL);
	case SW_ImplicitClosure:
		return entity(o, n, prefix, types ? TP_FUNCTION : TP_NONE, false, "implicit closure #", IDX + 1, NULL);
	case SW_Initializer:
		return entity(o, n, prefix, TP_NONE, false, "variable initialization expression", -1, NULL);
	case SW_PropertyWrapperBackingInitializer:
		return entity(o, n, prefix, TP_NONE, false, "property wrapper backing initializer", -1, NULL);
	case SW_PropertyWrapperInitFromProjectedValue:
		return entity(o, n, prefix, TP_NONE, false, "property wrapper init from projected value", -1, NULL);
	case SW_DefaultArgumentInitializer:
		return entity(o, n, prefix, TP_NONE, false, "default argument ", IDX, NULL);
	case SW_Class: case SW_Structure: case SW_Enum: case SW_Protocol: case SW_TypeAlias:
	case SW_OtherNominalType:
		return entity(o, n, prefix, TP_NONE, true, NULL, -1, NULL);
	case SW_Allocator:
		return entity(o, n, prefix, TP_FUNCTION, false, IS_CLASS ? "__allocating_init" : "init", -1, NULL);
	case SW_Constructor: return entity(o, n, prefix, TP_FUNCTION, n->n > 2, "init", -1, NULL);
	case SW_Destructor: return entity(o, n, prefix, TP_NONE, false, "deinit", -1, NULL);
	case SW_Deallocator:
		return entity(o, n, prefix, TP_NONE, false, IS_CLASS ? "__deallocating_deinit" : "deinit", -1, NULL);
	case SW_IVarInitializer: return entity(o, n, prefix, TP_NONE, false, "__ivar_initializer", -1, NULL);
	case SW_IVarDestroyer: return entity(o, n, prefix, TP_NONE, false, "__ivar_destroyer", -1, NULL);
	default: *done = false; return NULL;
	}
#undef IDX
#undef IS_CLASS
}

/* ---- "<text> <child 0>" kinds ---- */

static const char *const prefixed[SW_KIND_COUNT] = {
	[SW_CurryThunk] = "curry thunk of ",
	[SW_DispatchThunk] = "dispatch thunk of ",
	[SW_MethodDescriptor] = "method descriptor for ",
	[SW_MethodLookupFunction] = "method lookup function for ",
	[SW_ObjCMetadataUpdateFunction] = "ObjC metadata update function for ",
	[SW_ObjCResilientClassStub] = "ObjC resilient class stub for ",
	[SW_FullObjCResilientClassStub] = "full ObjC resilient class stub for ",
	[SW_OutlinedCopy] = "outlined copy of ",
	[SW_OutlinedConsume] = "outlined consume of ",
	[SW_OutlinedRetain] = "outlined retain of ",
	[SW_OutlinedRelease] = "outlined release of ",
	[SW_OutlinedInitializeWithTake] = "outlined init with take of ",
	[SW_OutlinedInitializeWithCopy] = "outlined init with copy of ",
	[SW_OutlinedAssignWithTake] = "outlined assign with take of ",
	[SW_OutlinedAssignWithCopy] = "outlined assign with copy of ",
	[SW_OutlinedDestroy] = "outlined destroy of ",
	[SW_ProtocolWitnessTableAccessor] = "protocol witness table accessor for ",
	[SW_ProtocolWitnessTable] = "protocol witness table for ",
	[SW_ProtocolWitnessTablePattern] = "protocol witness table pattern for ",
	[SW_GenericProtocolWitnessTable] = "generic protocol witness table for ",
	[SW_GenericProtocolWitnessTableInstantiationFunction] =
		"instantiation function for generic protocol witness table for ",
	[SW_ResilientProtocolWitnessTable] = "resilient protocol witness table for ",
	[SW_ProtocolSelfConformanceWitnessTable] = "protocol self-conformance witness table for ",
	[SW_ProtocolSelfConformanceWitness] = "protocol self-conformance witness for ",
	[SW_GenericTypeMetadataPattern] = "generic type metadata pattern for ",
	[SW_Metaclass] = "metaclass for ",
	[SW_ProtocolSelfConformanceDescriptor] = "protocol self-conformance descriptor for ",
	[SW_ProtocolConformanceDescriptor] = "protocol conformance descriptor for ",
	[SW_ProtocolDescriptor] = "protocol descriptor for ",
	[SW_ProtocolRequirementsBaseDescriptor] = "protocol requirements base descriptor for ",
	[SW_FullTypeMetadata] = "full type metadata for ",
	[SW_TypeMetadata] = "type metadata for ",
	[SW_TypeMetadataAccessFunction] = "type metadata accessor for ",
	[SW_TypeMetadataInstantiationCache] = "type metadata instantiation cache for ",
	[SW_TypeMetadataInstantiationFunction] = "type metadata instantiation function for ",
	[SW_TypeMetadataSingletonInitializationCache] =
		"type metadata singleton initialization cache for ",
	[SW_TypeMetadataCompletionFunction] = "type metadata completion function for ",
	[SW_TypeMetadataDemanglingCache] = "demangling cache variable for type metadata for ",
	[SW_TypeMetadataLazyCache] = "lazy cache variable for type metadata for ",
	[SW_ClassMetadataBaseOffset] = "class metadata base offset for ",
	[SW_PropertyDescriptor] = "property descriptor for ",
	[SW_NominalTypeDescriptor] = "nominal type descriptor for ",
	[SW_OpaqueTypeDescriptor] = "opaque type descriptor for ",
	[SW_OpaqueTypeDescriptorAccessor] = "opaque type descriptor accessor for ",
	[SW_OpaqueTypeDescriptorAccessorImpl] = "opaque type descriptor accessor impl for ",
	[SW_OpaqueTypeDescriptorAccessorKey] = "opaque type descriptor accessor key for ",
	[SW_OpaqueTypeDescriptorAccessorVar] = "opaque type descriptor accessor var for ",
	[SW_CoroutineContinuationPrototype] = "coroutine continuation prototype for ",
	[SW_ValueWitnessTable] = "value witness table for ",
	[SW_EnumCase] = "enum case for ",
	[SW_ReflectionMetadataBuiltinDescriptor] = "reflection metadata builtin descriptor ",
	[SW_ReflectionMetadataFieldDescriptor] = "reflection metadata field descriptor ",
	[SW_ReflectionMetadataAssocTypeDescriptor] = "reflection metadata associated type descriptor ",
	[SW_ReflectionMetadataSuperclassDescriptor] = "reflection metadata superclass descriptor ",
	[SW_ModuleDescriptor] = "module descriptor ",
	[SW_AnonymousDescriptor] = "anonymous descriptor ",
	[SW_ExtensionDescriptor] = "extension descriptor ",
	[SW_AssociatedTypeDescriptor] = "associated type descriptor for ",
	[SW_DefaultAssociatedTypeMetadataAccessor] = "default associated type metadata accessor for ",
	[SW_NominalTypeDescriptorRecord] = "nominal type descriptor runtime record for ",
	[SW_ProtocolConformanceDescriptorRecord] = "protocol conformance descriptor runtime record for ",
	[SW_OpaqueTypeDescriptorRecord] = "opaque type descriptor runtime record for ",
	[SW_ProtocolDescriptorRecord] = "protocol descriptor runtime record for ",
	[SW_CanonicalSpecializedGenericMetaclass] = "specialized generic metaclass for ",
	[SW_CanonicalSpecializedGenericTypeMetadataAccessFunction] =
		"canonical specialized generic type metadata accessor for ",
	[SW_MetadataInstantiationCache] = "metadata instantiation cache for ",
	[SW_NoncanonicalSpecializedGenericTypeMetadata] =
		"noncanonical specialized generic type metadata for ",
	[SW_NoncanonicalSpecializedGenericTypeMetadataCache] =
		"cache variable for noncanonical specialized generic type metadata for ",
	[SW_CanonicalPrespecializedGenericTypeCachingOnceToken] =
		"flag for loading of canonical specialized generic type metadata for ",
	[SW_Static] = "static ",
	[SW_Weak] = "weak ",
	[SW_Unowned] = "unowned ",
	[SW_Unmanaged] = "unowned(unsafe) ",
	[SW_InOut] = "inout ",
	[SW_Shared] = "__shared ",
	[SW_Owned] = "__owned ",
	[SW_Isolated] = "isolated ",
	[SW_CompileTimeConst] = "_const ",
	[SW_NoDerivative] = "@noDerivative ",
	[SW_Sending] = "sending ",
	[SW_SILBoxType] = "@box ",
	[SW_PackExpansion] = "repeat ",
};

/* Attributes of the global symbol, printed before the entity that follows them. */
static const char *const attributes[SW_KIND_COUNT] = {
	[SW_ObjCAttribute] = "@objc ",
	[SW_NonObjCAttribute] = "@nonobjc ",
	[SW_DynamicAttribute] = "dynamic ",
	[SW_DirectMethodReferenceAttribute] = "super ",
	[SW_VTableAttribute] = "override ",
	[SW_DistributedThunk] = "distributed thunk ",
	[SW_DistributedAccessor] = "distributed accessor for ",
	[SW_DynamicallyReplaceableFunctionImpl] = "dynamically replaceable thunk for ",
	[SW_DynamicallyReplaceableFunctionKey] = "dynamically replaceable key for ",
	[SW_DynamicallyReplaceableFunctionVar] = "dynamically replaceable variable for ",
	[SW_AsyncFunctionPointer] = "async function pointer to ",
	[SW_AccessibleFunctionRecord] = "accessible function runtime record for ",
	[SW_BackDeploymentThunk] = "back deployment thunk for ",
	[SW_BackDeploymentFallback] = "back deployment fallback for ",
	[SW_HasSymbolQuery] = "#_hasSymbol query for ",
	[SW_NonConstPartialApplyThunk] = "thunk for non-constant partial apply in ",
	[SW_ErrorType] = "<ERROR TYPE>",
	[SW_DynamicSelf] = "Self",
	[SW_OpaqueReturnType] = "some",
	[SW_OpaqueReturnTypeIndexed] = "some",
	[SW_IsSerialized] = "serialized",
	[SW_ImplEscaping] = "@escaping",
	[SW_ThrowsAnnotation] = " throws",
	[SW_AsyncAnnotation] = " async",
	[SW_UnknownIndex] = "unknown index",
	[SW_IsolatedAnyFunctionType] = "@isolated(any) ",
};

static bool print_table(sw_out *o, sw_node *n)
{
	if (prefixed[n->kind]) {
		puts_(o, prefixed[n->kind]);
		print(o, sw_kid(n, 0));
		return true;
	}
	if (attributes[n->kind]) {
		puts_(o, attributes[n->kind]);
		return true;
	}
	return false;
}

/* ---- specializations ---- */

static void print_fs_payload(sw_out *o, const sw_node *n)
{
	char buf[1024];
	size_t len = 0;
	if (n && n->payload == SW_TEXT && o->nested < SW_MAX_NESTED)
		len = sw_demangle_to(n->text, (size_t)n->index, buf, sizeof buf, 0, o->alloc, o->nested + 1);
	if (len)
		put(o, buf, len);
	else
		put_text(o, n);
}

static void print_fs_kind(sw_out *o, uint64_t v)
{
	static const char *const plain[] = {
		"Constant Propagated Function", "Constant Propagated Global", "Constant Propagated Integer",
		"Constant Propagated Float", "Constant Propagated String", "Closure Propagated",
		"Value Promoted from Box", "Stack Promoted from Box", "InOut Converted to Out",
		"Constant Propagated KeyPath"};
	static const struct { uint64_t bit; const char *text; } flags[] = {
		{1u << 6, "Dead"}, {1u << 7, "Owned To Guaranteed"}, {1u << 9, "Guaranteed To Owned"},
		{1u << 10, "Existential To Protocol Constrained Generic"}, {1u << 8, "Exploded"}};
	bool any = false;
	for (size_t i = 0; i < CRP_ARRAY_LEN(flags); i++)
		if (v & flags[i].bit) {
			if (any)
				puts_(o, " and ");
			puts_(o, flags[i].text);
			any = true;
		}
	if (!any && v < CRP_ARRAY_LEN(plain))
		puts_(o, plain[v]);
}

static size_t print_fs_closure(sw_out *o, sw_node *n, size_t i)
{
	puts_(o, ", Argument Types : [");
	while (i < n->n && n->kids[i]->kind == SW_Type) {
		print(o, n->kids[i++]);
		/* as swift-demangle: a comma only before a node with text */
		if (i < n->n && n->kids[i]->payload == SW_TEXT)
			puts_(o, ", ");
	}
	putc_(o, ']');
	return i;
}

static void print_fs_params(sw_out *o, sw_node *n)
{
	size_t i = 0;
	while (i < n->n && !o->overflow) {
		sw_node *k = n->kids[i];
		uint64_t v = k->index;
		if (k->kind != SW_FunctionSignatureSpecializationParamKind || v > 9) {
			print(o, n->kids[i++]);
			continue;
		}
		if (v >= 6 && v <= 8) {
			print(o, n->kids[i++]);
			continue;
		}
		putc_(o, '[');
		print(o, n->kids[i++]);
		puts_(o, " : ");
		print_fs_payload(o, sw_kid(n, i++));
		if (v == 4) {
			putc_(o, '\'');
			print_fs_payload(o, sw_kid(n, i++));
			putc_(o, '\'');
		} else if (v == 9) {
			putc_(o, '<');
			print(o, sw_kid(n, i++));
			putc_(o, ',');
			print(o, sw_kid(n, i++));
			putc_(o, '>');
		} else if (v == 5) {
			i = print_fs_closure(o, n, i);
			continue; /* swift-demangle leaves this bracket open */
		}
		putc_(o, ']');
	}
}

static void print_spec_prefix(sw_out *o, sw_node *n, const char *desc, const char *param_prefix)
{
	if (SIMPLE(o)) {
		if (!o->spec_prefix_done)
			puts_(o, "specialized ");
		o->spec_prefix_done = true;
		return;
	}
	puts_(o, desc);
	puts_(o, " <");
	const char *sep = "";
	uint64_t arg = 0;
	for (size_t i = 0; i < n->n; i++) {
		sw_node *c = n->kids[i];
		if (c->kind == SW_SpecializationPassID)
			continue;
		if (c->kind == SW_IsSerialized) {
			puts_(o, sep);
			sep = ", ";
			print(o, c);
			continue;
		}
		if (c->n) {
			puts_(o, sep);
			puts_(o, param_prefix);
			sep = ", ";
			if (c->kind == SW_FunctionSignatureSpecializationParam) {
				puts_(o, "Arg[");
				put_u(o, arg);
				puts_(o, "] = ");
				print_fs_params(o, c);
			} else if (c->kind == SW_FunctionSignatureSpecializationReturn) {
				puts_(o, "Return = ");
				print_fs_params(o, c);
			} else {
				print(o, c);
			}
		}
		arg++;
	}
	puts_(o, "> of ");
}

static bool print_specialization(sw_out *o, sw_node *n)
{
	switch (n->kind) {
	case SW_FunctionSignatureSpecialization:
		print_spec_prefix(o, n, "function signature specialization", ""); return true;
	case SW_GenericPartialSpecialization:
		print_spec_prefix(o, n, "generic partial specialization", "Signature = "); return true;
	case SW_GenericPartialSpecializationNotReAbstracted:
		print_spec_prefix(o, n, "generic not-reabstracted partial specialization", "Signature = ");
		return true;
	case SW_GenericSpecialization: case SW_GenericSpecializationInResilienceDomain:
		print_spec_prefix(o, n, "generic specialization", ""); return true;
	case SW_GenericSpecializationPrespecialized:
		print_spec_prefix(o, n, "generic pre-specialization", ""); return true;
	case SW_GenericSpecializationNotReAbstracted:
		print_spec_prefix(o, n, "generic not re-abstracted specialization", ""); return true;
	case SW_InlinedGenericFunction:
		print_spec_prefix(o, n, "inlined generic function", ""); return true;
	case SW_GenericSpecializationParam:
		print(o, sw_kid(n, 0));
		for (size_t i = 1; i < n->n; i++) {
			puts_(o, i == 1 ? " with " : " and ");
			print(o, n->kids[i]);
		}
		return true;
	default:
		return false;
	}
}

/* ---- thunks ---- */

static void print_reabstraction(sw_out *o, sw_node *n)
{
	if (SIMPLE(o)) {
		puts_(o, "thunk for ");
		print(o, sw_kid(n, n->n - 1));
		return;
	}
	puts_(o, n->kind == SW_ReabstractionThunkHelper ? "reabstraction thunk helper "
						       : "reabstraction thunk ");
	size_t idx = 0;
	if (n->n == 3) {
		print(o, n->kids[0]);
		putc_(o, ' ');
		idx = 1;
	}
	puts_(o, "from ");
	print(o, sw_kid(n, idx + 1));
	puts_(o, " to ");
	print(o, sw_kid(n, idx));
}

static void print_reabstraction_self(sw_out *o, sw_node *n)
{
	size_t idx = 0;
	puts_(o, "reabstraction thunk ");
	if (n->n == 4) {
		print(o, n->kids[0]);
		putc_(o, ' ');
		idx = 1;
	}
	puts_(o, "from ");
	print(o, sw_kid(n, idx + 2));
	puts_(o, " to ");
	print(o, sw_kid(n, idx + 1));
	puts_(o, " self ");
	print(o, sw_kid(n, idx));
}

static void print_keypath_accessor(sw_out *o, sw_node *n)
{
	puts_(o, n->kind == SW_KeyPathGetterThunkHelper ? "key path getter for "
							: "key path setter for ");
	print(o, sw_kid(n, 0));
	puts_(o, " : ");
	for (size_t i = 1; i < n->n; i++) {
		if (n->kids[i]->kind == SW_IsSerialized)
			puts_(o, ", ");
		print(o, n->kids[i]);
	}
}

static void print_keypath_index(sw_out *o, sw_node *n)
{
	puts_(o, n->kind == SW_KeyPathEqualsThunkHelper ? "key path index equality operator for "
							: "key path index hash operator for ");
	size_t last = n->n;
	bool serialized = last && n->kids[last - 1]->kind == SW_IsSerialized;
	if (serialized)
		last--;
	if (last && n->kids[last - 1]->kind == SW_DependentGenericSignature)
		print(o, n->kids[--last]);
	putc_(o, '(');
	for (size_t i = 0; i < last; i++) {
		if (i)
			puts_(o, ", ");
		print(o, n->kids[i]);
	}
	putc_(o, ')');
	if (serialized)
		puts_(o, ", serialized");
}

static void print_forwarder(sw_out *o, sw_node *n)
{
	if (SIMPLE(o))
		puts_(o, "partial apply");
	else
		puts_(o, n->kind == SW_PartialApplyForwarder ? "partial apply forwarder"
							     : "partial apply ObjC forwarder");
	if (n->n) {
		puts_(o, " for ");
		print_children(o, n, NULL);
	}
}

static void print_two(sw_out *o, const char *a, sw_node *x, const char *b, sw_node *y)
{
	puts_(o, a);
	print(o, x);
	puts_(o, b);
	print(o, y);
}

static bool print_thunk(sw_out *o, sw_node *n)
{
	switch (n->kind) {
	case SW_ReabstractionThunk: case SW_ReabstractionThunkHelper: print_reabstraction(o, n); return true;
	case SW_ReabstractionThunkHelperWithSelf: print_reabstraction_self(o, n); return true;
	case SW_ReabstractionThunkHelperWithGlobalActor:
		print_two(o, "", sw_kid(n, 0), " with global actor constraint ", sw_kid(n, 1));
		return true;
	case SW_KeyPathGetterThunkHelper: case SW_KeyPathSetterThunkHelper:
		print_keypath_accessor(o, n); return true;
	case SW_KeyPathEqualsThunkHelper: case SW_KeyPathHashThunkHelper:
		print_keypath_index(o, n); return true;
	case SW_PartialApplyForwarder: case SW_PartialApplyObjCForwarder: print_forwarder(o, n); return true;
	case SW_ProtocolWitness:
		print_two(o, "protocol witness for ", sw_kid(n, 1), " in conformance ", sw_kid(n, 0));
		return true;
	case SW_VTableThunk:
		print_two(o, "vtable thunk for ", sw_kid(n, 1), " dispatching to ", sw_kid(n, 0));
		return true;
	case SW_MergedFunction:
		if (!SIMPLE(o))
			puts_(o, "merged ");
		return true;
	case SW_OutlinedBridgedMethod:
		puts_(o, "outlined bridged method (");
		put_text(o, n);
		puts_(o, ") of ");
		return true;
	case SW_OutlinedVariable:
		puts_(o, "outlined variable #");
		put_u(o, n->index);
		puts_(o, " of ");
		return true;
	case SW_AsyncAwaitResumePartialFunction: case SW_AsyncSuspendResumePartialFunction:
		if (!SIMPLE(o)) {
			putc_(o, '(');
			print(o, sw_kid(n, 0));
			puts_(o, n->kind == SW_AsyncAwaitResumePartialFunction
					 ? ") await resume partial function for "
					 : ") suspend resume partial function for ");
		}
		return true;
	default:
		return false;
	}
}

/* ---- automatic differentiation ---- */

static void print_autodiff_kind(sw_out *o, uint64_t k)
{
	puts_(o, k == 'f' ? "forward-mode derivative" : k == 'r' ? "reverse-mode derivative"
		 : k == 'd' ? "differential" : k == 'p' ? "pullback" : "");
}

static void print_index_subset(sw_out *o, const sw_node *n)
{
	bool first = true;
	putc_(o, '{');
	for (size_t i = 0; n && n->payload == SW_TEXT && i < n->index; i++)
		if (n->text[i] == 'S') {
			if (!first)
				puts_(o, ", ");
			put_u(o, i);
			first = false;
		}
	putc_(o, '}');
}

static size_t kind_at(const sw_node *n, sw_kind k)
{
	size_t i = 0;
	while (i < n->n && n->kids[i]->kind != k)
		i++;
	return i;
}

static void print_autodiff_function(sw_out *o, sw_node *n)
{
	size_t end = kind_at(n, SW_AutoDiffFunctionKind);
	sw_node *sig = NULL;
	if (end + 2 >= n->n) {
		o->invalid = true;
		return;
	}
	if (n->kind == SW_AutoDiffDerivativeVTableThunk)
		puts_(o, "vtable thunk for ");
	print_autodiff_kind(o, n->kids[end]->index);
	puts_(o, " of ");
	for (size_t i = 0; i < end; i++) {
		if (i == end - 1 && n->kids[i]->kind == SW_DependentGenericSignature)
			sig = n->kids[i];
		else
			print(o, n->kids[i]);
	}
	if (SIMPLE(o))
		return;
	puts_(o, " with respect to parameters ");
	print_index_subset(o, n->kids[end + 1]);
	puts_(o, " and results ");
	print_index_subset(o, n->kids[end + 2]);
	if (sig) {
		puts_(o, " with ");
		print(o, sig);
	}
}

static void print_autodiff_subset(sw_out *o, sw_node *n)
{
	size_t k = kind_at(n, SW_AutoDiffFunctionKind);
	if (k + 3 >= n->n) {
		o->invalid = true;
		return;
	}
	puts_(o, "autodiff subset parameters thunk for ");
	print_autodiff_kind(o, n->kids[k]->index);
	puts_(o, " from ");
	for (size_t i = 0; i + 1 < k || (k == 1 && i == 0); i++)
		print(o, n->kids[i]);
	puts_(o, " with respect to parameters ");
	print_index_subset(o, n->kids[k + 1]);
	puts_(o, " and results ");
	print_index_subset(o, n->kids[k + 2]);
	puts_(o, " to parameters ");
	print_index_subset(o, n->kids[k + 3]);
	if (k >= 2) {
		puts_(o, " of type ");
		print(o, n->kids[k - 1]);
	}
}

static void print_autodiff_reorder(sw_out *o, sw_node *n)
{
	size_t k = kind_at(n, SW_AutoDiffFunctionKind);
	if (k < 2 || k >= n->n) {
		o->invalid = true;
		return;
	}
	puts_(o, "autodiff self-reordering reabstraction thunk for ");
	print_autodiff_kind(o, n->kids[k]->index);
	if (k == 3) {
		putc_(o, ' ');
		print(o, n->kids[2]);
	}
	print_two(o, " from ", n->kids[0], " to ", n->kids[1]);
}

static void print_diff_witness(sw_out *o, sw_node *n)
{
	size_t k = kind_at(n, SW_Index);
	if (k + 2 >= n->n) {
		o->invalid = true;
		return;
	}
	uint64_t kind = n->kids[k]->index;
	puts_(o, kind == 'f' ? "forward-mode" : kind == 'r' ? "reverse-mode" : kind == 'd' ? "normal" : "linear");
	puts_(o, " differentiability witness for ");
	for (size_t i = 0; i < k; i++)
		print(o, n->kids[i]);
	puts_(o, " with respect to parameters ");
	print_index_subset(o, n->kids[k + 1]);
	puts_(o, " and results ");
	print_index_subset(o, n->kids[k + 2]);
	if (k + 3 < n->n) {
		puts_(o, " with ");
		print(o, n->kids[k + 3]);
	}
}

static bool print_autodiff(sw_out *o, sw_node *n)
{
	switch (n->kind) {
	case SW_AutoDiffFunction: case SW_AutoDiffDerivativeVTableThunk:
		print_autodiff_function(o, n); return true;
	case SW_AutoDiffSubsetParametersThunk: print_autodiff_subset(o, n); return true;
	case SW_AutoDiffSelfReorderingReabstractionThunk: print_autodiff_reorder(o, n); return true;
	case SW_DifferentiabilityWitness: print_diff_witness(o, n); return true;
	case SW_AutoDiffFunctionKind: print_autodiff_kind(o, n->index); return true;
	case SW_IndexSubset: print_index_subset(o, n); return true;
	default: return false;
	}
}

/* ---- witnesses and conformances ---- */

static const char *const value_witnesses[] = {
	"allocateBuffer", "assignWithCopy", "assignWithTake", "deallocateBuffer", "destroy",
	"destroyBuffer", "destroyArray", "initializeBufferWithCopyOfBuffer",
	"initializeBufferWithCopy", "initializeWithCopy", "initializeBufferWithTake",
	"initializeWithTake", "projectBuffer", "initializeBufferWithTakeOfBuffer",
	"initializeArrayWithCopy", "initializeArrayWithTakeFrontToBack",
	"initializeArrayWithTakeBackToFront", "storeExtraInhabitant", "getExtraInhabitantIndex",
	"getEnumTag", "destructiveProjectEnumData", "destructiveInjectEnumTag",
	"getEnumTagSinglePayload", "storeEnumTagSinglePayload"};

static void print_conformance(sw_out *o, sw_node *n)
{
	if (n->n == 4) {
		print_two(o, "property behavior storage of ", sw_kid(n, 2), " in ", sw_kid(n, 0));
		puts_(o, " : ");
		print(o, sw_kid(n, 1));
		return;
	}
	print(o, sw_kid(n, 0));
	if (!SIMPLE(o))
		print_two(o, " : ", sw_kid(n, 1), " in ", sw_kid(n, 2));
}

static bool print_witness(sw_out *o, sw_node *n)
{
	sw_node *a = sw_kid(n, 0), *b = sw_kid(n, 1), *c = sw_kid(n, 2);
	switch (n->kind) {
	case SW_ValueWitness:
		if (!a || a->index >= CRP_ARRAY_LEN(value_witnesses)) {
			o->invalid = true;
			return true;
		}
		puts_(o, value_witnesses[a->index]);
		puts_(o, SIMPLE(o) ? " for " : " value witness for ");
		print(o, b);
		return true;
	case SW_LazyProtocolWitnessTableAccessor:
		print_two(o, "lazy protocol witness table accessor for type ", a, " and conformance ", b);
		return true;
	case SW_LazyProtocolWitnessTableCacheVariable:
		print_two(o, "lazy protocol witness table cache variable for type ", a, " and conformance ", b);
		return true;
	case SW_AssociatedTypeMetadataAccessor:
		print_two(o, "associated type metadata accessor for ", b, " in ", a);
		return true;
	case SW_AssociatedTypeWitnessTableAccessor:
		print_two(o, "associated type witness table accessor for ", b, " : ", c);
		print_two(o, "", NULL, " in ", a);
		return true;
	case SW_BaseWitnessTableAccessor:
		print_two(o, "base witness table accessor for ", b, " in ", a);
		return true;
	case SW_AssociatedConformanceDescriptor: case SW_DefaultAssociatedConformanceAccessor:
		puts_(o, n->kind == SW_AssociatedConformanceDescriptor
				 ? "associated conformance descriptor for "
				 : "default associated conformance accessor for ");
		print_two(o, "", a, ".", b);
		print_two(o, ": ", c, "", NULL);
		return true;
	case SW_BaseConformanceDescriptor:
		print_two(o, "base conformance descriptor for ", a, ": ", b);
		return true;
	case SW_FieldOffset:
		print(o, a);
		print_two(o, "field offset for ", b, "", NULL);
		return true;
	case SW_Directness: puts_(o, n->index ? "indirect " : "direct "); return true;
	case SW_ProtocolConformance: print_conformance(o, n); return true;
	case SW_ConcreteProtocolConformance:
		print_two(o, "concrete protocol conformance ", a, " to ", b);
		if (c && c->n)
			print_two(o, " with conditional requirements: ", c, "", NULL);
		return true;
	case SW_ProtocolConformanceRefInTypeModule:
		print_two(o, "protocol conformance ref (type's module) ", a, "", NULL); return true;
	case SW_ProtocolConformanceRefInProtocolModule:
		print_two(o, "protocol conformance ref (protocol's module) ", a, "", NULL); return true;
	case SW_ProtocolConformanceRefInOtherModule:
		print_two(o, "protocol conformance ref (retroactive) ", a, "", NULL); return true;
	default:
		return false;
	}
}

/* ---- everything else ---- */

static void print_tuple_element(sw_out *o, sw_node *n)
{
	sw_node *label = child_of(n, SW_TupleElementName);
	if (label) {
		put_text(o, label);
		puts_(o, ": ");
	}
	print(o, child_of(n, SW_Type));
	if (child_of(n, SW_VariadicMarker))
		puts_(o, "...");
}

static void print_metatype(sw_out *o, sw_node *n, bool existential)
{
	size_t idx = 0;
	if (n->n == 2) {
		print(o, n->kids[0]);
		putc_(o, ' ');
		idx = 1;
	}
	sw_node *t = sw_kid(n, idx);
	if (!existential)
		t = sw_kid(t, 0);
	if (existential) {
		print(o, t);
		puts_(o, ".Type");
		return;
	}
	print_parens_if(o, t);
	sw_kind k = t ? (sw_kind)t->kind : SW_KIND_COUNT;
	bool proto = k == SW_ExistentialMetatype || k == SW_ProtocolList ||
		     k == SW_ProtocolListWithClass || k == SW_ProtocolListWithAnyObject;
	puts_(o, proto ? ".Protocol" : ".Type");
}

static void print_protocol_list(sw_out *o, sw_node *n)
{
	sw_node *list = sw_kid(sw_kid(n, 0), 0);
	if (n->kind == SW_ProtocolList) {
		list = sw_kid(n, 0);
		if (list && !list->n)
			puts_(o, "Any");
		else
			print_children(o, list, " & ");
		return;
	}
	if (n->kind == SW_ProtocolListWithClass) {
		print(o, sw_kid(n, 1));
		puts_(o, " & ");
		print_children(o, list, " & ");
		return;
	}
	if (list && list->n) {
		print_children(o, list, " & ");
		puts_(o, " & ");
	}
	puts_(o, "Swift.AnyObject");
}

static void print_quoted(sw_out *o, const sw_node *n)
{
	putc_(o, '"');
	for (size_t i = 0; n && n->payload == SW_TEXT && i < n->index; i++) {
		unsigned char c = (unsigned char)n->text[i];
		char esc[8];
		if (c == '\\' || c == '"') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(o, esc, 2);
		} else if (c == '\n' || c == '\t' || c == '\r') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			put(o, esc, 2);
		} else if (c == 0) {
			puts_(o, "\\0");
		} else if (c < 0x20 || c == 0x7F) {
			snprintf(esc, sizeof esc, "\\x%02X", c);
			puts_(o, esc);
		} else {
			putc_(o, (char)c);
		}
	}
	putc_(o, '"');
}

static void print_sil_box(sw_out *o, sw_node *n)
{
	if (n->kind == SW_SILBoxLayout) {
		putc_(o, '{');
		for (size_t i = 0; i < n->n; i++) {
			puts_(o, i ? ", " : " ");
			print(o, n->kids[i]);
		}
		puts_(o, " }");
		return;
	}
	if (n->n == 3) {
		print(o, n->kids[1]);
		putc_(o, ' ');
	}
	print(o, sw_kid(n, 0));
	if (n->n == 3) {
		puts_(o, " <");
		print_children(o, n->kids[2], ", ");
		putc_(o, '>');
	}
}

static bool print_misc_type(sw_out *o, sw_node *n)
{
	switch (n->kind) {
	case SW_SugaredOptional: print_parens_if(o, sw_kid(n, 0)); putc_(o, '?'); return true;
	case SW_SugaredArray: print_two(o, "[", sw_kid(n, 0), "]", NULL); return true;
	case SW_SugaredDictionary:
		print_two(o, "[", sw_kid(n, 0), " : ", sw_kid(n, 1));
		putc_(o, ']');
		return true;
	case SW_SugaredParen: print_two(o, "(", sw_kid(n, 0), ")", NULL); return true;
	case SW_OpaqueReturnTypeOf: print_two(o, "<<opaque return type of ", sw_kid(n, 0), ">>", NULL); return true;
	case SW_OpaqueType: print_two(o, "", sw_kid(n, 0), ".", sw_kid(n, 1)); return true;
	case SW_AssociatedTypeRef:
		print_two(o, "", sw_kid(n, 0), ".", NULL);
		put_text(o, sw_kid(n, 1));
		return true;
	case SW_DependentMemberType: print_two(o, "", sw_kid(n, 0), ".", sw_kid(n, 1)); return true;
	case SW_DependentAssociatedTypeRef:
		if (n->n > 1)
			print_two(o, "", n->kids[1], ".", NULL);
		print(o, sw_kid(n, 0));
		return true;
	case SW_DependentGenericType:
		print(o, sw_kid(n, 0));
		if (need_space_before_type(sw_kid(n, 1)))
			putc_(o, ' ');
		print(o, sw_kid(n, 1));
		return true;
	case SW_DependentGenericParamType:
		if (n->n < 2)
			o->invalid = true;
		else
			param_name(o, n->kids[0]->index, n->kids[1]->index);
		return true;
	case SW_DependentGenericConformanceRequirement:
		print_two(o, "", sw_kid(n, 0), ": ", sw_kid(n, 1)); return true;
	case SW_DependentGenericSameTypeRequirement:
		print_two(o, "", sw_kid(n, 0), " == ", sw_kid(n, 1)); return true;
	case SW_DependentGenericInverseConformanceRequirement:
		print_two(o, "", sw_kid(n, 0), ": ~", NULL);
		puts_(o, !sw_kid(n, 1) ? "" : n->kids[1]->index == 0 ? "Swift.Copyable"
			 : n->kids[1]->index == 1 ? "Swift.Escapable" : "Swift.Invertible");
		return true;
	case SW_DependentGenericLayoutRequirement: print_layout(o, n); return true;
	case SW_DependentGenericSignature: case SW_DependentPseudogenericSignature:
		print_generic_signature(o, n); return true;
	case SW_Metatype: print_metatype(o, n, false); return true;
	case SW_ExistentialMetatype: print_metatype(o, n, true); return true;
	case SW_ProtocolList: case SW_ProtocolListWithClass: case SW_ProtocolListWithAnyObject:
		print_protocol_list(o, n); return true;
	case SW_SILBoxTypeWithLayout: case SW_SILBoxLayout: print_sil_box(o, n); return true;
	case SW_SILBoxImmutableField: case SW_SILBoxMutableField:
		print_two(o, n->kind == SW_SILBoxImmutableField ? "let " : "var ", sw_kid(n, 0), "", NULL);
		return true;
	default: return false;
	}
}

static void print_impl_param(sw_out *o, sw_node *n)
{
	if (n->kind == SW_ImplErrorResult) {
		puts_(o, "@error ");
		print_children(o, n, " ");
		return;
	}
	if (n->kind == SW_ImplYield)
		puts_(o, "@yields ");
	print(o, sw_kid(n, 0));
	putc_(o, ' ');
	if (n->n == 3)
		print(o, n->kids[1]);
	print(o, sw_kid(n, n->n - 1));
}

static bool print_impl(sw_out *o, sw_node *n)
{
	switch (n->kind) {
	case SW_ImplFunctionType: print_impl_function(o, n); return true;
	case SW_ImplParameter: case SW_ImplResult: case SW_ImplErrorResult: case SW_ImplYield:
		print_impl_param(o, n); return true;
	case SW_ImplConvention: case SW_ImplFunctionAttribute: case SW_ImplFunctionConventionName:
	case SW_MetatypeRepresentation: case SW_BuiltinTypeName: case SW_ClangType:
		put_text(o, n); return true;
	case SW_ImplParameterResultDifferentiability:
		if (n->index) {
			put_text(o, n);
			putc_(o, ' ');
		}
		return true;
	case SW_ImplDifferentiabilityKind: print_diff_kind(o, n->index, true); return true;
	case SW_ImplFunctionConvention:
		print_two(o, "@convention(", sw_kid(n, 0), "", NULL);
		if (n->n > 1)
			print_two(o, ", mangledCType: \"", n->kids[1], "\"", NULL);
		putc_(o, ')');
		return true;
	default: return false;
	}
}

static bool print_function_types(sw_out *o, sw_node *n)
{
	switch (n->kind) {
	case SW_FunctionType: case SW_UncurriedFunctionType: case SW_NoEscapeFunctionType:
	case SW_AutoClosureType: case SW_EscapingAutoClosureType: case SW_ThinFunctionType:
	case SW_CFunctionPointer: case SW_ObjCBlock: case SW_EscapingObjCBlock:
		print_function_type(o, NULL, n); return true;
	case SW_ArgumentTuple: print_params(o, NULL, n, !SIMPLE(o)); return true;
	case SW_ReturnType:
		puts_(o, " -> ");
		if (n->n)
			print_children(o, n, NULL);
		else
			put_text(o, n);
		return true;
	case SW_TypedThrowsAnnotation: print_two(o, " throws(", sw_kid(n, 0), ")", NULL); return true;
	case SW_ConcurrentFunctionType: puts_(o, n->index == 1 ? "@concurrent " : "@Sendable "); return true;
	case SW_DifferentiableFunctionType: print_diff_kind(o, n->index, false); return true;
	case SW_GlobalActorFunctionType:
		if (n->n)
			print_two(o, "@", n->kids[0], " ", NULL);
		return true;
	case SW_TypeMangling:
		if (sw_is(sw_kid(n, 0), SW_LabelList))
			print_function_type(o, n->kids[0], sw_kid(sw_kid(n, 1), 0));
		else
			print(o, sw_kid(n, 0));
		return true;
	default: return false;
	}
}

static void print_extension(sw_out *o, sw_node *n)
{
	if (!SIMPLE(o)) {
		puts_(o, "(extension in ");
		pr(o, sw_kid(n, 0), true);
		puts_(o, "):");
	}
	print(o, sw_kid(n, 1));
	if (n->n == 3)
		print(o, n->kids[2]);
}

static void print_private_name(sw_out *o, sw_node *n)
{
	bool show = !SIMPLE(o);
	if (n->n > 1) {
		if (show)
			putc_(o, '(');
		print(o, n->kids[1]);
		if (show) {
			puts_(o, " in ");
			put_text(o, n->kids[0]);
			putc_(o, ')');
		}
	} else if (show) {
		puts_(o, "(in ");
		put_text(o, sw_kid(n, 0));
		putc_(o, ')');
	}
}

static void print_once(sw_out *o, sw_node *n)
{
	puts_(o, n->kind == SW_GlobalVariableOnceToken ? "one-time initialization token for "
						       : "one-time initialization function for ");
	sw_node *list = sw_kid(n, 1);
	if (list && list->n == 1) {
		print(o, list->kids[0]);
	} else {
		putc_(o, '(');
		print_children(o, list, ", ");
		putc_(o, ')');
	}
}

/* Contexts that are no declaration: anonymous ones, macro expansion sites, symbolic
 * references, one-time initializers. */
static bool print_other_contexts(sw_out *o, sw_node *n)
{
	switch (n->kind) {
	case SW_MacroExpansionLoc:
		puts_(o, "module ");
		put_text(o, sw_kid(n, 0)); /* named even where modules are not */
		print_two(o, " file ", sw_kid(n, 1), "", NULL);
		print_two(o, " line ", sw_kid(n, 2), " column ", sw_kid(n, 3));
		return true;
	case SW_Type: case SW_TypeList: print_children(o, n, NULL); return true;
	case SW_GlobalVariableOnceFunction: case SW_GlobalVariableOnceToken: print_once(o, n); return true;
	case SW_TypeSymbolicReference: case SW_ProtocolSymbolicReference: {
		char b[48];
		snprintf(b, sizeof b, "type symbolic reference 0x%llX", (unsigned long long)n->index);
		puts_(o, b);
		return true;
	}
	case SW_AnonymousContext:
		if (!SIMPLE(o)) {
			print_two(o, "", sw_kid(n, 1), ".(unknown context at ", NULL);
			put_text(o, sw_kid(n, 0));
			putc_(o, ')');
			if (sw_kid(n, 2) && n->kids[2]->n)
				print_two(o, "<", n->kids[2], ">", NULL);
		}
		return true;
	default: return false;
	}
}

static bool print_names(sw_out *o, sw_node *n)
{
	switch (n->kind) {
	case SW_Global: print_children(o, n, NULL); return true;
	case SW_AssocTypePath: print_children(o, n, "."); return true;
	case SW_Suffix:
		if (!SIMPLE(o)) {
			puts_(o, " with unmangled suffix ");
			print_quoted(o, n);
		}
		return true;
	case SW_Extension: print_extension(o, n); return true;
	case SW_LocalDeclName:
		print(o, sw_kid(n, 1));
		puts_(o, " #");
		put_u(o, (sw_kid(n, 0) ? n->kids[0]->index : 0) + 1);
		return true;
	case SW_PrivateDeclName: print_private_name(o, n); return true;
	case SW_RelatedEntityDeclName:
		puts_(o, "related decl '");
		put_text(o, sw_kid(n, 0));
		print_two(o, "' for ", sw_kid(n, 1), "", NULL);
		return true;
	case SW_Module:
		if (!SIMPLE(o))
			put_text(o, n);
		return true;
	case SW_Identifier: put_text(o, n); return true;
	case SW_InfixOperator: put_text(o, n); puts_(o, " infix"); return true;
	case SW_PrefixOperator: put_text(o, n); puts_(o, " prefix"); return true;
	case SW_PostfixOperator: put_text(o, n); puts_(o, " postfix"); return true;
	case SW_Index: case SW_Number: case SW_SpecializationPassID: put_u(o, n->index); return true;
	case SW_Tuple: print_two(o, "(", NULL, "", NULL); print_children(o, n, ", "); putc_(o, ')'); return true;
	case SW_TupleElement: print_tuple_element(o, n); return true;
	case SW_TupleElementName: put_text(o, n); puts_(o, ": "); return true;
	case SW_BoundGenericClass: case SW_BoundGenericStructure: case SW_BoundGenericEnum:
	case SW_BoundGenericOtherNominalType: case SW_BoundGenericProtocol: case SW_BoundGenericTypeAlias:
		print_bound_generic(o, n); return true;
	case SW_LabelList: case SW_EmptyList: case SW_FirstElementMarker: case SW_VariadicMarker:
		return true;
	case SW_FunctionSignatureSpecializationParamKind: print_fs_kind(o, n->index); return true;
	case SW_FunctionSignatureSpecializationParamPayload: print_fs_payload(o, n); return true;
	default: return false;
	}
}

static sw_node *pr(sw_out *o, sw_node *n, bool prefix)
{
	bool done;
	if (!n || o->overflow || o->invalid)
		return NULL;
	if (++o->visits > SW_MAX_VISITS || o->depth >= SW_MAX_DEPTH) {
		o->invalid = true;
		return NULL;
	}
	o->depth++;
	sw_node *post = NULL;
	switch (n->kind) { /* the commonest kinds first */
	case SW_Type: {
		size_t at = o->n;
		if (n->memo_len) {
			put(o, o->p + n->memo_at, n->memo_len);
			goto out;
		}
		print(o, sw_kid(n, 0));
		if (!o->overflow && !o->invalid && o->n > at && o->n - at < UINT32_MAX) {
			n->memo_at = (uint32_t)at;
			n->memo_len = (uint32_t)(o->n - at);
		}
		goto out;
	}
	case SW_Identifier: put_text(o, n); goto out;
	case SW_Module:
		if (!SIMPLE(o))
			put_text(o, n);
		goto out;
	default: break;
	}
	/* by how often each group's kinds occur in real names */
	if (print_names(o, n) || print_function_types(o, n))
		goto out;
	post = print_entity_kind(o, n, prefix, &done);
	if (!done)
		post = print_entity_other(o, n, prefix, &done);
	if (!done && !print_misc_type(o, n) && !print_table(o, n) && !print_other_contexts(o, n) &&
	    !print_impl(o, n) && !print_specialization(o, n) && !print_thunk(o, n) &&
	    !print_witness(o, n) && !print_autodiff(o, n))
		o->invalid = true; /* a node in a place the printer does not know */
out:
	o->depth--;
	return post;
}

bool sw_print(sw_out *o, sw_node *root)
{
	print(o, root);
	if (o->overflow || o->invalid || o->n >= o->cap)
		return false;
	o->p[o->n] = '\0';
	return true;
}
