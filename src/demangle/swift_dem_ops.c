/* Operators of the current mangling with a second letter: thunks and specializations (T),
 * witnesses (W), metadata (M), special types (X), implementation function types (I),
 * function-like entities (f) and value witnesses (w). */
#include "swift_dem.h"

static bool is_entity_kind(sw_kind k) { return k == SW_Type || sw_is_context(k); }

static sw_node *pop_with(dm *d, sw_kind k, sw_kind child) { return sw_with(d->m, k, dm_pop_kind(d, child)); }
static sw_node *pop_entity_with(dm *d, sw_kind k) { return sw_with(d->m, k, dm_pop_if(d, is_entity_kind)); }

/* ---- specializations ---- */

static sw_node *spec_attrs(dm *d, sw_kind k)
{
	bool serialized = dm_nextif(d, 'q');
	int pass = dm_next(d) - '0';
	if (pass < 0 || pass > 9)
		return NULL;
	sw_node *spec = sw_node_new(d->m, k);
	if (serialized)
		sw_add(d->m, spec, sw_node_new(d->m, SW_IsSerialized));
	return sw_add(d->m, spec, sw_node_index(d->m, SW_SpecializationPassID, (uint64_t)pass));
}

static sw_node *generic_spec(dm *d, sw_kind k)
{
	sw_node *spec = spec_attrs(d, k);
	sw_node *list = spec ? dm_pop_type_list(d) : NULL;
	if (!list)
		return NULL;
	for (size_t i = 0; i < list->n; i++)
		if (!sw_add(d->m, spec, sw_with(d->m, SW_GenericSpecializationParam, list->kids[i])))
			return NULL;
	return spec;
}

static sw_node *partial_spec(dm *d, sw_kind k)
{
	sw_node *spec = spec_attrs(d, k);
	return sw_add(d->m, spec, pop_with(d, SW_GenericSpecializationParam, SW_Type));
}

enum { FS_CPFUNC, FS_CPGLOBAL, FS_CPINT, FS_CPFLOAT, FS_CPSTRING, FS_CLOSURE, FS_BOX2VALUE,
       FS_BOX2STACK, FS_INOUT2OUT, FS_CPKEYPATH, FS_DEAD = 1 << 6, FS_O2G = 1 << 7,
       FS_SROA = 1 << 8, FS_G2O = 1 << 9, FS_E2G = 1 << 10 };

static sw_node *fs_kind(dm *d, sw_node *p, unsigned v)
{
	return sw_add(d->m, p, sw_node_index(d->m, SW_FunctionSignatureSpecializationParamKind, v));
}

static unsigned fs_flags(dm *d, unsigned v, const char *allowed)
{
	static const struct { char c; unsigned v; } f[] = {
		{'D', FS_DEAD}, {'G', FS_O2G}, {'O', FS_G2O}, {'X', FS_SROA}};
	for (size_t i = 0; i < CRP_ARRAY_LEN(f); i++)
		if (strchr(allowed, f[i].c) && dm_nextif(d, f[i].c))
			v |= f[i].v;
	return v;
}

static sw_node *fs_const_prop(dm *d, sw_node *p)
{
	char c = dm_next(d);
	if (c == 'f')
		return fs_kind(d, p, FS_CPFUNC);
	if (c == 'g')
		return fs_kind(d, p, FS_CPGLOBAL);
	if (c == 'k')
		return fs_kind(d, p, FS_CPKEYPATH);
	if (c == 'i' || c == 'd') {
		size_t start = d->pos;
		while (dm_digit(dm_peek(d)))
			d->pos++;
		if (d->pos == start)
			return NULL;
		p = fs_kind(d, p, c == 'i' ? FS_CPINT : FS_CPFLOAT);
		return sw_add(d->m, p, sw_node_text(d->m, SW_FunctionSignatureSpecializationParamPayload,
						     (const char *)d->t + start, d->pos - start));
	}
	if (c != 's')
		return NULL;
	const char *enc;
	switch (dm_next(d)) {
	case 'b': enc = "u8"; break;
	case 'w': enc = "u16"; break;
	case 'c': enc = "objc"; break;
	default: return NULL;
	}
	p = fs_kind(d, p, FS_CPSTRING);
	return sw_add(d->m, p, sw_node_text(d->m, SW_FunctionSignatureSpecializationParamPayload,
					     enc, strlen(enc)));
}

static sw_node *fs_param(dm *d, sw_kind k)
{
	sw_node *p = sw_node_new(d->m, k);
	switch (dm_next(d)) {
	case 'n': return p;
	case 'c': return fs_kind(d, p, FS_CLOSURE);
	case 'p': return fs_const_prop(d, p);
	case 'e': return fs_kind(d, p, fs_flags(d, FS_E2G, "DGOX"));
	case 'd': return fs_kind(d, p, fs_flags(d, FS_DEAD, "GOX"));
	case 'g': return fs_kind(d, p, fs_flags(d, FS_O2G, "X"));
	case 'o': return fs_kind(d, p, fs_flags(d, FS_G2O, "X"));
	case 'x': return fs_kind(d, p, FS_SROA);
	case 'i': return fs_kind(d, p, FS_BOX2VALUE);
	case 's': return fs_kind(d, p, FS_BOX2STACK);
	case 'r': return fs_kind(d, p, FS_INOUT2OUT);
	default: return NULL;
	}
}

/* Constant and closure propagation take their payload (and types) from the stack. */
static bool fs_payload(dm *d, sw_node *param)
{
	if (!param->n)
		return true;
	unsigned kind = (unsigned)param->kids[0]->index;
	if (kind != FS_CPFUNC && kind != FS_CPGLOBAL && kind != FS_CPSTRING &&
	    kind != FS_CPKEYPATH && kind != FS_CLOSURE)
		return true;
	size_t fixed = param->n;
	sw_node *t;
	while ((t = dm_pop_kind(d, SW_Type))) {
		if (kind != FS_CLOSURE && kind != FS_CPKEYPATH)
			return false;
		if (!sw_add(d->m, param, t))
			return false;
	}
	sw_node *name = dm_pop_kind(d, SW_Identifier);
	if (!name)
		return false;
	const char *s = name->text;
	size_t n = (size_t)name->index;
	if (kind == FS_CPSTRING && n && s[0] == '_')
		s++, n--; /* escapes a leading digit or '_' of the string */
	if (!sw_add(d->m, param, sw_node_text(d->m, SW_FunctionSignatureSpecializationParamPayload, s, n)))
		return false;
	sw_reverse(param, fixed);
	return true;
}

static sw_node *function_spec(dm *d)
{
	sw_node *spec = spec_attrs(d, SW_FunctionSignatureSpecialization);
	while (spec && !dm_nextif(d, '_')) {
		if (d->pos >= d->n)
			return NULL;
		spec = sw_add(d->m, spec, fs_param(d, SW_FunctionSignatureSpecializationParam));
	}
	if (spec && !dm_nextif(d, 'n'))
		spec = sw_add(d->m, spec, fs_param(d, SW_FunctionSignatureSpecializationReturn));
	if (!spec)
		return NULL;
	for (size_t i = spec->n; i-- > 0;)
		if (spec->kids[i]->kind == SW_FunctionSignatureSpecializationParam &&
		    !fs_payload(d, spec->kids[i]))
			return NULL;
	return spec;
}

/* ---- key paths, autodiff, reabstraction ---- */

static sw_node *keypath_accessor(dm *d, sw_kind k)
{
	bool serialized = dm_nextif(d, 'q');
	sw_node *types[64], *n = dm_pop(d);
	size_t nt = 0;
	if (!sw_is(n, SW_Type))
		return NULL;
	do {
		if (nt == CRP_ARRAY_LEN(types))
			return NULL;
		types[nt++] = n;
		n = dm_pop(d);
	} while (sw_is(n, SW_Type));
	if (!n)
		return NULL;
	sw_node *r = n->kind == SW_DependentGenericSignature ? sw_with2(d->m, k, dm_pop(d), n)
							      : sw_with(d->m, k, n);
	while (r && nt)
		r = sw_add(d->m, r, types[--nt]);
	return r && serialized ? sw_add(d->m, r, sw_node_new(d->m, SW_IsSerialized)) : r;
}

static sw_node *keypath_index(dm *d, sw_kind k)
{
	bool serialized = dm_nextif(d, 'q');
	sw_node *types[64], *sig = NULL, *n;
	size_t nt = 0;
	while ((n = dm_pop(d))) {
		if (n->kind == SW_DependentGenericSignature && !nt && !sig)
			sig = n;
		else if (n->kind != SW_Type || nt == CRP_ARRAY_LEN(types))
			return NULL;
		else
			types[nt++] = n;
	}
	if (!nt && !sig)
		return NULL;
	sw_node *r = sw_node_new(d->m, k);
	while (r && nt)
		r = sw_add(d->m, r, types[--nt]);
	if (r && sig)
		r = sw_add(d->m, r, sig);
	return r && serialized ? sw_add(d->m, r, sw_node_new(d->m, SW_IsSerialized)) : r;
}

static sw_node *index_subset(dm *d)
{
	size_t start = d->pos;
	while (dm_peek(d) == 'S' || dm_peek(d) == 'U')
		d->pos++;
	return d->pos == start ? NULL
			       : sw_node_text(d->m, SW_IndexSubset, (const char *)d->t + start, d->pos - start);
}

static sw_node *autodiff_kind(dm *d)
{
	char k = dm_next(d);
	if (!k || !strchr("frdp", k))
		return NULL;
	return sw_node_index(d->m, SW_AutoDiffFunctionKind, (uint64_t)(unsigned char)k);
}

static sw_node *pop_all_reversed(dm *d, sw_node *r)
{
	sw_node *n;
	while (r && (n = dm_pop(d)))
		r = sw_add(d->m, r, n);
	sw_reverse(r, 0);
	return r;
}

/* kind, then index subsets: parameters 'p' results 'r' [to-parameters 'P'] */
static sw_node *autodiff_tail(dm *d, sw_node *r, bool subset)
{
	r = sw_add(d->m, r, autodiff_kind(d));
	r = sw_add(d->m, r, index_subset(d));
	if (!dm_nextif(d, 'p'))
		return NULL;
	r = sw_add(d->m, r, index_subset(d));
	if (!dm_nextif(d, 'r'))
		return NULL;
	if (!subset)
		return r;
	r = sw_add(d->m, r, index_subset(d));
	return dm_nextif(d, 'P') ? r : NULL;
}

static sw_node *autodiff_thunk(dm *d)
{
	switch (dm_peek(d)) {
	case 'S':
		d->pos++;
		return autodiff_tail(d, pop_all_reversed(d, sw_node_new(d->m, SW_AutoDiffSubsetParametersThunk)), true);
	case 'O': {
		d->pos++;
		sw_node *r = sw_node_new(d->m, SW_AutoDiffSelfReorderingReabstractionThunk);
		sw_node *sig = dm_pop_kind(d, SW_DependentGenericSignature);
		if (sig)
			sw_add(d->m, r, sig);
		r = sw_add(d->m, r, dm_pop_kind(d, SW_Type));
		r = sw_add(d->m, r, dm_pop_kind(d, SW_Type));
		sw_reverse(r, 0);
		return sw_add(d->m, r, autodiff_kind(d));
	}
	case 'V':
		d->pos++;
		return autodiff_tail(d, pop_all_reversed(d, sw_node_new(d->m, SW_AutoDiffDerivativeVTableThunk)), false);
	default:
		return autodiff_tail(d, pop_all_reversed(d, sw_node_new(d->m, SW_AutoDiffFunction)), false);
	}
}

static sw_node *reabstraction(dm *d, char c)
{
	sw_kind k = c == 'R' ? SW_ReabstractionThunkHelper
		  : c == 'y' ? SW_ReabstractionThunkHelperWithSelf : SW_ReabstractionThunk;
	sw_node *t = sw_node_new(d->m, k);
	sw_node *sig = dm_pop_kind(d, SW_DependentGenericSignature);
	if (sig)
		sw_add(d->m, t, sig);
	if (k == SW_ReabstractionThunkHelperWithSelf)
		t = sw_add(d->m, t, dm_pop_kind(d, SW_Type));
	t = sw_add(d->m, t, dm_pop_kind(d, SW_Type));
	return sw_add(d->m, t, dm_pop_kind(d, SW_Type));
}

static sw_node *bridged_method(dm *d)
{
	size_t start = d->pos;
	char k = dm_next(d);
	if (k != 'p' && k != 'a' && k != 'm')
		return NULL;
	while (!dm_nextif(d, '_')) {
		char c = dm_next(d);
		if (c != 'n' && c != 'b' && c != 'g')
			return NULL;
	}
	return sw_node_text(d->m, SW_OutlinedBridgedMethod, (const char *)d->t + start, d->pos - start - 1);
}

static sw_node *completion_handler(dm *d, char c)
{
	sw_node *flag = dm_index_node(d);
	sw_node *sig = dm_pop_kind(d, SW_DependentGenericSignature);
	sw_node *result = dm_pop_kind(d, SW_Type);
	sw_node *impl = dm_pop_kind(d, SW_Type);
	sw_node *r = sw_with3(d->m, c == 'z' ? SW_ObjCAsyncCompletionHandlerImpl
					   : SW_PredefinedObjCAsyncCompletionHandlerImpl, impl, result, flag);
	return sig ? sw_add(d->m, r, sig) : r;
}

static sw_node *conformance_descriptor(dm *d, char c)
{
	sw_node *req = dm_pop_protocol(d);
	if (c == 'b')
		return sw_with2(d->m, SW_BaseConformanceDescriptor, dm_pop_kind(d, SW_Type), req);
	sw_node *path = dm_pop_assoc_path(d);
	sw_node *proto = dm_pop_kind(d, SW_Type);
	return sw_with3(d->m, c == 'n' ? SW_AssociatedConformanceDescriptor
				       : SW_DefaultAssociatedConformanceAccessor, proto, path, req);
}

static sw_node *thunk_simple(dm *d, char c)
{
	static const struct { char c; uint16_t k; } simple[] = {
		{'o', SW_ObjCAttribute}, {'O', SW_NonObjCAttribute}, {'D', SW_DynamicAttribute},
		{'d', SW_DirectMethodReferenceAttribute}, {'E', SW_DistributedThunk},
		{'F', SW_DistributedAccessor}, {'a', SW_PartialApplyObjCForwarder},
		{'A', SW_PartialApplyForwarder}, {'m', SW_MergedFunction},
		{'X', SW_DynamicallyReplaceableFunctionVar}, {'x', SW_DynamicallyReplaceableFunctionKey},
		{'I', SW_DynamicallyReplaceableFunctionImpl}, {'u', SW_AsyncFunctionPointer},
	};
	if (c == 'w') {
		/* 'Twb' and 'TwB' since Swift 5.8; a lone 'Tw' before */
		if (dm_nextif(d, 'b'))
			return sw_node_new(d->m, SW_BackDeploymentThunk);
		if (dm_nextif(d, 'B'))
			return sw_node_new(d->m, SW_BackDeploymentFallback);
		return sw_node_new(d->m, SW_NonConstPartialApplyThunk);
	}
	for (size_t i = 0; i < CRP_ARRAY_LEN(simple); i++)
		if (simple[i].c == c)
			return sw_node_new(d->m, (sw_kind)simple[i].k);
	return NULL;
}

static sw_node *thunk_entity(dm *d, char c)
{
	switch (c) {
	case 'c': return pop_entity_with(d, SW_CurryThunk);
	case 'j': return pop_entity_with(d, SW_DispatchThunk);
	case 'q': return pop_entity_with(d, SW_MethodDescriptor);
	case 'S': return pop_entity_with(d, SW_ProtocolSelfConformanceWitness);
	case 'V': {
		sw_node *base = dm_pop_if(d, is_entity_kind);
		sw_node *derived = dm_pop_if(d, is_entity_kind);
		return sw_with2(d->m, SW_VTableThunk, derived, base);
	}
	case 'W': {
		sw_node *e = dm_pop_if(d, is_entity_kind);
		return sw_with2(d->m, SW_ProtocolWitness, dm_pop_conformance(d), e);
	}
	case 'l': return sw_with(d->m, SW_AssociatedTypeDescriptor, dm_pop_assoc_name(d));
	case 'L': return sw_with(d->m, SW_ProtocolRequirementsBaseDescriptor, dm_pop_protocol(d));
	case 'M': return sw_with(d->m, SW_DefaultAssociatedTypeMetadataAccessor, dm_pop_assoc_name(d));
	case 'C': return pop_with(d, SW_CoroutineContinuationPrototype, SW_Type);
	default: return NULL;
	}
}

sw_node *dm_thunk_or_spec(dm *d)
{
	char c = dm_next(d);
	sw_node *n = thunk_simple(d, c);
	if (n || (n = thunk_entity(d, c)))
		return n;
	switch (c) {
	case 'Y': case 'Q':
		return sw_with(d->m, c == 'Q' ? SW_AsyncAwaitResumePartialFunction
					      : SW_AsyncSuspendResumePartialFunction, dm_index_node(d));
	case 'z': case 'Z': return completion_handler(d, c);
	case 'R': case 'r': case 'y': return reabstraction(d, c);
	case 'g': return generic_spec(d, SW_GenericSpecialization);
	case 'G': return generic_spec(d, SW_GenericSpecializationNotReAbstracted);
	case 'B': return generic_spec(d, SW_GenericSpecializationInResilienceDomain);
	case 's': return generic_spec(d, SW_GenericSpecializationPrespecialized);
	case 'i': return generic_spec(d, SW_InlinedGenericFunction);
	case 'p': return partial_spec(d, SW_GenericPartialSpecialization);
	case 'P': return partial_spec(d, SW_GenericPartialSpecializationNotReAbstracted);
	case 'f': return function_spec(d);
	case 'K': return keypath_accessor(d, SW_KeyPathGetterThunkHelper);
	case 'k': return keypath_accessor(d, SW_KeyPathSetterThunkHelper);
	case 'H': return keypath_index(d, SW_KeyPathEqualsThunkHelper);
	case 'h': return keypath_index(d, SW_KeyPathHashThunkHelper);
	case 'n': case 'N': case 'b': return conformance_descriptor(d, c);
	case 'v': {
		int i = dm_index(d);
		return i < 0 ? NULL : sw_node_index(d->m, SW_OutlinedVariable, (uint64_t)i);
	}
	case 'e': return bridged_method(d);
	case 'U': {
		sw_node *actor = dm_pop_kind(d, SW_Type);
		sw_node *re = actor ? dm_pop(d) : NULL;
		return sw_with2(d->m, SW_ReabstractionThunkHelperWithGlobalActor, re, actor);
	}
	case 'J': return autodiff_thunk(d);
	default: return NULL;
	}
}

/* ---- witnesses ---- */

static sw_node *outlined(dm *d, char c)
{
	static const struct { char c; uint16_t k; } ops[] = {
		{'y', SW_OutlinedCopy}, {'e', SW_OutlinedConsume}, {'r', SW_OutlinedRetain},
		{'s', SW_OutlinedRelease}, {'b', SW_OutlinedInitializeWithTake},
		{'c', SW_OutlinedInitializeWithCopy}, {'d', SW_OutlinedAssignWithTake},
		{'f', SW_OutlinedAssignWithCopy}, {'h', SW_OutlinedDestroy},
	};
	for (size_t i = 0; i < CRP_ARRAY_LEN(ops); i++)
		if (ops[i].c == c) {
			sw_node *sig = dm_pop_kind(d, SW_DependentGenericSignature);
			sw_node *r = pop_with(d, (sw_kind)ops[i].k, SW_Type);
			return sig ? sw_add(d->m, r, sig) : r;
		}
	return NULL;
}

static sw_node *global_once(dm *d, char c)
{
	sw_node *list = sw_node_new(d->m, SW_GlobalVariableOnceDeclList), *vars[64];
	size_t n = 0;
	while (dm_pop_kind(d, SW_FirstElementMarker)) {
		sw_node *id = dm_pop(d);
		if (!id || n == CRP_ARRAY_LEN(vars))
			return NULL;
		vars[n++] = id;
	}
	while (n)
		list = sw_add(d->m, list, vars[--n]);
	sw_node *ctx = dm_pop_context(d);
	return sw_with2(d->m, c == 'Z' ? SW_GlobalVariableOnceFunction : SW_GlobalVariableOnceToken,
			ctx, list);
}

static sw_node *differentiability_witness(dm *d)
{
	sw_node *r = sw_node_new(d->m, SW_DifferentiabilityWitness);
	sw_node *sig = dm_pop_kind(d, SW_DependentGenericSignature);
	r = pop_all_reversed(d, r);
	char k = dm_next(d);
	if (!k || !strchr("frdl", k))
		return NULL;
	r = sw_add(d->m, r, sw_node_index(d->m, SW_Index, (uint64_t)(unsigned char)k));
	r = sw_add(d->m, r, index_subset(d));
	if (!dm_nextif(d, 'p'))
		return NULL;
	r = sw_add(d->m, r, index_subset(d));
	if (!dm_nextif(d, 'r'))
		return NULL;
	return sig ? sw_add(d->m, r, sig) : r;
}

static sw_node *witness_conformance(dm *d, char c)
{
	static const struct { char c; uint16_t k; } ops[] = {
		{'P', SW_ProtocolWitnessTable}, {'p', SW_ProtocolWitnessTablePattern},
		{'G', SW_GenericProtocolWitnessTable},
		{'I', SW_GenericProtocolWitnessTableInstantiationFunction},
		{'r', SW_ResilientProtocolWitnessTable}, {'a', SW_ProtocolWitnessTableAccessor},
	};
	for (size_t i = 0; i < CRP_ARRAY_LEN(ops); i++)
		if (ops[i].c == c)
			return sw_with(d->m, (sw_kind)ops[i].k, dm_pop_conformance(d));
	return NULL;
}

sw_node *dm_witness(dm *d)
{
	char c = dm_next(d);
	sw_node *n = witness_conformance(d, c);
	if (n)
		return n;
	switch (c) {
	case 'C': return pop_entity_with(d, SW_EnumCase);
	case 'V': return pop_with(d, SW_ValueWitnessTable, SW_Type);
	case 'v': {
		char k = dm_next(d);
		if (k != 'd' && k != 'i')
			return NULL;
		return sw_with2(d->m, SW_FieldOffset, sw_node_index(d->m, SW_Directness, k == 'i'),
				dm_pop_if(d, is_entity_kind));
	}
	case 'S': return sw_with(d->m, SW_ProtocolSelfConformanceWitnessTable, dm_pop_protocol(d));
	case 'l': case 'L': {
		sw_node *conf = dm_pop_conformance(d);
		sw_node *type = dm_pop_kind(d, SW_Type);
		return sw_with2(d->m, c == 'l' ? SW_LazyProtocolWitnessTableAccessor
					       : SW_LazyProtocolWitnessTableCacheVariable, type, conf);
	}
	case 't': {
		sw_node *decl = dm_pop_if(d, dm_is_decl_name);
		sw_node *conf = dm_pop_conformance(d);
		return sw_with2(d->m, SW_AssociatedTypeMetadataAccessor, conf, decl);
	}
	case 'T': {
		sw_node *proto = dm_pop_kind(d, SW_Type);
		sw_node *path = dm_pop_assoc_path(d);
		sw_node *conf = dm_pop_conformance(d);
		return sw_with3(d->m, SW_AssociatedTypeWitnessTableAccessor, conf, path, proto);
	}
	case 'b': {
		sw_node *proto = dm_pop_kind(d, SW_Type);
		return sw_with2(d->m, SW_BaseWitnessTableAccessor, dm_pop_conformance(d), proto);
	}
	case 'O': return outlined(d, dm_next(d));
	case 'Z': case 'z': return global_once(d, c);
	case 'J': return differentiability_witness(d);
	default: return NULL;
	}
}

/* ---- metadata ---- */

static sw_node *metatype_typed(dm *d, char c)
{
	static const struct { char c; uint16_t k; } ops[] = {
		{'a', SW_TypeMetadataAccessFunction},
		{'b', SW_CanonicalSpecializedGenericTypeMetadataAccessFunction},
		{'D', SW_TypeMetadataDemanglingCache}, {'f', SW_FullTypeMetadata},
		{'i', SW_TypeMetadataInstantiationFunction}, {'I', SW_TypeMetadataInstantiationCache},
		{'l', SW_TypeMetadataSingletonInitializationCache}, {'L', SW_TypeMetadataLazyCache},
		{'m', SW_Metaclass}, {'M', SW_CanonicalSpecializedGenericMetaclass},
		{'n', SW_NominalTypeDescriptor}, {'N', SW_NoncanonicalSpecializedGenericTypeMetadata},
		{'o', SW_ClassMetadataBaseOffset}, {'P', SW_GenericTypeMetadataPattern},
		{'r', SW_TypeMetadataCompletionFunction}, {'s', SW_ObjCResilientClassStub},
		{'t', SW_FullObjCResilientClassStub}, {'u', SW_MethodLookupFunction},
		{'U', SW_ObjCMetadataUpdateFunction}, {'B', SW_ReflectionMetadataBuiltinDescriptor},
		{'F', SW_ReflectionMetadataFieldDescriptor},
		{'z', SW_CanonicalPrespecializedGenericTypeCachingOnceToken},
	};
	for (size_t i = 0; i < CRP_ARRAY_LEN(ops); i++)
		if (ops[i].c == c)
			return pop_with(d, (sw_kind)ops[i].k, SW_Type);
	return NULL;
}

static sw_node *private_context_descriptor(dm *d)
{
	switch (dm_next(d)) {
	case 'E': return sw_with(d->m, SW_ExtensionDescriptor, dm_pop_context(d));
	case 'M': return sw_with(d->m, SW_ModuleDescriptor, dm_pop_module(d));
	case 'Y': {
		sw_node *disc = dm_pop(d);
		sw_node *ctx = disc ? dm_pop_context(d) : NULL;
		return sw_with2(d->m, SW_AnonymousDescriptor, ctx, disc);
	}
	case 'X': return sw_with(d->m, SW_AnonymousDescriptor, dm_pop_context(d));
	case 'A': {
		sw_node *path = dm_pop_assoc_path(d);
		sw_node *base = path ? dm_pop_kind(d, SW_Type) : NULL;
		return sw_with2(d->m, SW_AssociatedTypeGenericParamRef, base, path);
	}
	default: return NULL;
	}
}

sw_node *dm_metatype(dm *d)
{
	char c = dm_next(d);
	sw_node *n = metatype_typed(d, c);
	if (n)
		return n;
	switch (c) {
	case 'A': return sw_with(d->m, SW_ReflectionMetadataAssocTypeDescriptor, dm_pop_conformance(d));
	case 'c': return sw_with(d->m, SW_ProtocolConformanceDescriptor, dm_pop_conformance(d));
	case 'C': {
		sw_node *t = dm_pop_kind(d, SW_Type);
		sw_node *g = sw_kid(t, 0);
		if (!g || !(g->kind == SW_Class || g->kind == SW_Structure || g->kind == SW_Enum ||
			    g->kind == SW_Protocol || g->kind == SW_TypeAlias ||
			    g->kind == SW_OtherNominalType || g->kind == SW_TypeSymbolicReference))
			return NULL;
		return sw_with(d->m, SW_ReflectionMetadataSuperclassDescriptor, g);
	}
	case 'g': return sw_with(d->m, SW_OpaqueTypeDescriptorAccessor, dm_pop(d));
	case 'h': return sw_with(d->m, SW_OpaqueTypeDescriptorAccessorImpl, dm_pop(d));
	case 'j': return sw_with(d->m, SW_OpaqueTypeDescriptorAccessorKey, dm_pop(d));
	case 'J': return sw_with(d->m, SW_NoncanonicalSpecializedGenericTypeMetadataCache, dm_pop(d));
	case 'k': return sw_with(d->m, SW_OpaqueTypeDescriptorAccessorVar, dm_pop(d));
	case 'K': return sw_with(d->m, SW_MetadataInstantiationCache, dm_pop(d));
	case 'p': return sw_with(d->m, SW_ProtocolDescriptor, dm_pop_protocol(d));
	case 'Q': return sw_with(d->m, SW_OpaqueTypeDescriptor, dm_pop(d));
	case 'S': return sw_with(d->m, SW_ProtocolSelfConformanceDescriptor, dm_pop_protocol(d));
	case 'V': return pop_entity_with(d, SW_PropertyDescriptor);
	case 'X': return private_context_descriptor(d);
	default: return NULL;
	}
}

/* ---- special types ---- */

static sw_node *metatype_repr(dm *d)
{
	switch (dm_next(d)) {
	case 't': return sw_node_text(d->m, SW_MetatypeRepresentation, "@thin", 5);
	case 'T': return sw_node_text(d->m, SW_MetatypeRepresentation, "@thick", 6);
	case 'o': return sw_node_text(d->m, SW_MetatypeRepresentation, "@objc_metatype", 14);
	default: return NULL;
	}
}

static sw_node *sil_box(dm *d, bool generic)
{
	sw_node *sig = NULL, *args = NULL;
	if (generic) {
		if (!(sig = dm_pop_kind(d, SW_DependentGenericSignature)) || !(args = dm_pop_type_list(d)))
			return NULL;
	}
	sw_node *fields = dm_pop_type_list(d);
	sw_node *layout = sw_node_new(d->m, SW_SILBoxLayout);
	for (size_t i = 0; fields && layout && i < fields->n; i++) {
		sw_node *t = fields->kids[i];
		bool mut = sw_is(sw_kid(t, 0), SW_InOut);
		if (mut)
			t = dm_type(d, sw_kid(sw_kid(t, 0), 0));
		layout = sw_add(d->m, layout,
				sw_with(d->m, mut ? SW_SILBoxMutableField : SW_SILBoxImmutableField, t));
	}
	if (!fields)
		return NULL;
	sw_node *box = sw_with(d->m, SW_SILBoxTypeWithLayout, layout);
	if (sig)
		box = sw_add(d->m, sw_add(d->m, box, sig), args);
	return dm_type(d, box);
}

static sw_node *sugared(dm *d)
{
	switch (dm_next(d)) {
	case 'q': return dm_type(d, pop_with(d, SW_SugaredOptional, SW_Type));
	case 'a': return dm_type(d, pop_with(d, SW_SugaredArray, SW_Type));
	case 'p': return dm_type(d, pop_with(d, SW_SugaredParen, SW_Type));
	case 'D': {
		sw_node *value = dm_pop_kind(d, SW_Type);
		sw_node *key = dm_pop_kind(d, SW_Type);
		return dm_type(d, sw_with2(d->m, SW_SugaredDictionary, key, value));
	}
	default: return NULL;
	}
}

static sw_node *special_fn(dm *d, char c)
{
	static const struct { char c; uint16_t k; } fns[] = {
		{'E', SW_NoEscapeFunctionType}, {'A', SW_EscapingAutoClosureType},
		{'f', SW_ThinFunctionType}, {'K', SW_AutoClosureType}, {'U', SW_UncurriedFunctionType},
		{'L', SW_EscapingObjCBlock}, {'B', SW_ObjCBlock}, {'C', SW_CFunctionPointer},
	};
	for (size_t i = 0; i < CRP_ARRAY_LEN(fns); i++)
		if (fns[i].c == c)
			return dm_pop_function_type(d, (sw_kind)fns[i].k, false);
	if (c == 'z') {
		char k = dm_next(d);
		if (k == 'B' || k == 'C')
			return dm_pop_function_type(d, k == 'B' ? SW_ObjCBlock : SW_CFunctionPointer, true);
	}
	return NULL;
}

sw_node *dm_special(dm *d)
{
	char c = dm_next(d);
	sw_node *n = special_fn(d, c);
	if (n || c == 'z')
		return n;
	switch (c) {
	case 'o': return dm_type(d, pop_with(d, SW_Unowned, SW_Type));
	case 'u': return dm_type(d, pop_with(d, SW_Unmanaged, SW_Type));
	case 'w': return dm_type(d, pop_with(d, SW_Weak, SW_Type));
	case 'b': return dm_type(d, pop_with(d, SW_SILBoxType, SW_Type));
	case 'D': return dm_type(d, pop_with(d, SW_DynamicSelf, SW_Type));
	case 'M': case 'm': {
		sw_node *repr = metatype_repr(d);
		sw_node *t = dm_pop_kind(d, SW_Type);
		return dm_type(d, sw_with2(d->m, c == 'M' ? SW_Metatype : SW_ExistentialMetatype, repr, t));
	}
	case 'p': return dm_type(d, pop_with(d, SW_ExistentialMetatype, SW_Type));
	case 'c': {
		sw_node *super = dm_pop_kind(d, SW_Type);
		return dm_type(d, sw_with2(d->m, SW_ProtocolListWithClass, dm_protocol_list(d), super));
	}
	case 'l': return dm_type(d, sw_with(d->m, SW_ProtocolListWithAnyObject, dm_protocol_list(d)));
	case 'X': case 'x': return sil_box(d, c == 'X');
	case 'Y': {
		sw_node *name = dm_pop(d);
		sw_node *ctx = dm_pop_context(d);
		sw_node *t = dm_type(d, sw_with2(d->m, SW_OtherNominalType, ctx, name));
		return dm_add_subst(d, t) ? t : NULL;
	}
	case 'Z': {
		sw_node *types = dm_pop_type_list(d);
		sw_node *name = dm_pop_kind(d, SW_Identifier);
		sw_node *parent = dm_pop_context(d);
		return sw_with3(d->m, SW_AnonymousContext, name, parent, types);
	}
	case 'e': return dm_type(d, sw_node_new(d->m, SW_ErrorType));
	case 'S': return sugared(d);
	default: return NULL;
	}
}

/* ---- implementation function types (SIL) ---- */

static sw_node *impl_conv(dm *d, sw_kind k, bool result)
{
	static const char pcodes[] = "iclbnxgey", rcodes[] = "rodua";
	static const char *const pnames[] = {"@in", "@in_constant", "@inout", "@inout_aliasable",
					     "@in_guaranteed", "@owned", "@guaranteed",
					     "@deallocating", "@unowned"};
	static const char *const rnames[] = {"@out", "@owned", "@unowned",
					     "@unowned_inner_pointer", "@autoreleased"};
	char c = dm_peek(d);
	const char *at = c ? strchr(result ? rcodes : pcodes, c) : NULL;
	if (!at)
		return NULL;
	d->pos++;
	const char *name = result ? rnames[at - rcodes] : pnames[at - pcodes];
	return sw_with(d->m, k, sw_node_text(d->m, SW_ImplConvention, name, strlen(name)));
}

static sw_node *impl_diff(dm *d)
{
	bool nd = dm_nextif(d, 'w');
	return sw_node_text(d->m, SW_ImplParameterResultDifferentiability, nd ? "@noDerivative" : "",
			    nd ? 13 : 0);
}

static sw_node *impl_subs(dm *d, sw_node *type, bool pattern)
{
	sw_node *lists[4], *retro;
	size_t n;
	if (!dm_bound_generics(d, lists, &n, CRP_ARRAY_LEN(lists), &retro) || n != 1)
		return NULL;
	sw_node *subs = sw_node_new(d->m, pattern ? SW_ImplPatternSubstitutions
						  : SW_ImplInvocationSubstitutions);
	if (pattern)
		subs = sw_add(d->m, subs, dm_pop_kind(d, SW_DependentGenericSignature));
	subs = sw_add(d->m, subs, lists[0]);
	if (retro)
		subs = sw_add(d->m, subs, retro);
	return sw_add(d->m, type, subs);
}

static sw_node *impl_convention(dm *d, sw_node *type)
{
	static const char callee[] = "ygxt";
	static const char *const cnames[] = {"@callee_unowned", "@callee_guaranteed",
					     "@callee_owned", "@convention(thin)"};
	char c = dm_next(d);
	const char *at = c ? strchr(callee, c) : NULL;
	if (!at)
		return NULL;
	const char *cn = cnames[at - callee];
	type = sw_add(d->m, type, sw_node_text(d->m, SW_ImplConvention, cn, strlen(cn)));
	static const char fconv[] = "BCMOKW";
	static const char *const fnames[] = {"block", "c", "method", "objc_method", "closure",
					     "witness_method"};
	bool clang = false;
	c = dm_next(d);
	if (c == 'z' && (dm_peek(d) == 'B' || dm_peek(d) == 'C')) {
		clang = true;
		c = dm_next(d);
	}
	at = c ? strchr(fconv, c) : NULL;
	if (!at) {
		dm_back(d);
		return type;
	}
	const char *fn = fnames[at - fconv];
	sw_node *conv = sw_with(d->m, SW_ImplFunctionConvention,
				sw_node_text(d->m, SW_ImplFunctionConventionName, fn, strlen(fn)));
	if (clang)
		conv = sw_add(d->m, conv, dm_clang_type(d));
	return sw_add(d->m, type, conv);
}

static sw_node *impl_attrs(dm *d, sw_node *type)
{
	const char *coro = dm_nextif(d, 'A') ? "@yield_once" : dm_nextif(d, 'G') ? "@yield_many" : NULL;
	if (coro)
		type = sw_add(d->m, type, sw_node_text(d->m, SW_ImplFunctionAttribute, coro, strlen(coro)));
	if (type && dm_nextif(d, 'h'))
		type = sw_add(d->m, type, sw_node_text(d->m, SW_ImplFunctionAttribute, "@Sendable", 9));
	if (type && dm_nextif(d, 'H'))
		type = sw_add(d->m, type, sw_node_text(d->m, SW_ImplFunctionAttribute, "@async", 6));
	return type;
}

static sw_node *impl_params(dm *d, sw_node *type, int *ntypes)
{
	sw_node *p;
	while (type && (p = impl_conv(d, SW_ImplParameter, false))) {
		type = sw_add(d->m, type, sw_add(d->m, p, impl_diff(d)));
		++*ntypes;
	}
	while (type && (p = impl_conv(d, SW_ImplResult, true))) {
		type = sw_add(d->m, type, sw_add(d->m, p, impl_diff(d)));
		++*ntypes;
	}
	while (type && dm_nextif(d, 'Y')) {
		type = sw_add(d->m, type, impl_conv(d, SW_ImplYield, false));
		++*ntypes;
	}
	if (type && dm_nextif(d, 'z')) {
		type = sw_add(d->m, type, impl_conv(d, SW_ImplErrorResult, true));
		++*ntypes;
	}
	return type;
}

sw_node *dm_impl_function(dm *d)
{
	sw_node *type = sw_node_new(d->m, SW_ImplFunctionType);
	if (type && dm_nextif(d, 's'))
		type = impl_subs(d, type, true);
	if (type && dm_nextif(d, 'I'))
		type = impl_subs(d, type, false);
	sw_node *sig = dm_pop_kind(d, SW_DependentGenericSignature);
	if (sig && dm_nextif(d, 'P'))
		sig->kind = SW_DependentPseudogenericSignature;
	if (type && dm_nextif(d, 'e'))
		type = sw_add(d->m, type, sw_node_new(d->m, SW_ImplEscaping));
	char dk = dm_peek(d);
	if (type && dk && strchr("dlfr", dk)) {
		d->pos++;
		type = sw_add(d->m, type, sw_node_index(d->m, SW_ImplDifferentiabilityKind, (uint64_t)(unsigned char)dk));
	}
	if (!type || !(type = impl_convention(d, type)) || !(type = impl_attrs(d, type)))
		return NULL;
	if (sig)
		type = sw_add(d->m, type, sig);
	int ntypes = 0;
	if (!(type = impl_params(d, type, &ntypes)) || !dm_nextif(d, '_'))
		return NULL;
	for (int i = 0; i < ntypes; i++) {
		sw_node *t = dm_pop_kind(d, SW_Type);
		if (!t || !sw_add(d->m, type->kids[type->n - (size_t)i - 1], t))
			return NULL;
	}
	return dm_type(d, type);
}

/* ---- function-like entities ---- */

static sw_node *macro_expansion(dm *d)
{
	static const struct { char c; uint16_t k; } ops[] = {
		{'a', SW_AccessorAttachedMacroExpansion}, {'r', SW_MemberAttributeAttachedMacroExpansion},
		{'f', SW_FreestandingMacroExpansion}, {'m', SW_MemberAttachedMacroExpansion},
		{'p', SW_PeerAttachedMacroExpansion}, {'c', SW_ConformanceAttachedMacroExpansion},
		{'e', SW_ExtensionAttachedMacroExpansion}, {'b', SW_BodyAttachedMacroExpansion},
		{'q', SW_PreambleAttachedMacroExpansion}, {'u', SW_MacroExpansionUniqueName},
	};
	char c = dm_next(d);
	if (c == 'X') {
		/* where a macro expansion's buffer came from: module, file, line, column */
		int line = dm_index(d), col = line >= 0 ? dm_index(d) : -1;
		sw_node *file = dm_pop_kind(d, SW_Identifier);
		sw_node *mod = dm_pop_module(d);
		if (col < 0 || !file || !mod)
			return NULL;
		sw_node *loc = sw_with2(d->m, SW_MacroExpansionLoc, mod, file);
		loc = sw_add(d->m, loc, sw_node_index(d->m, SW_Index, (uint64_t)line));
		return sw_add(d->m, loc, sw_node_index(d->m, SW_Index, (uint64_t)col));
	}
	for (size_t i = 0; i < CRP_ARRAY_LEN(ops); i++) {
		if (ops[i].c != c)
			continue;
		sw_node *disc = dm_index_node(d);
		sw_node *macro = dm_pop_kind(d, SW_Identifier);
		dm_pop_kind(d, SW_PrivateDeclName); /* a file discriminator: not printed */
		sw_node *name = c == 'f' ? NULL : dm_pop(d);
		sw_node *r = sw_with(d->m, (sw_kind)ops[i].k, dm_pop_context(d));
		if (c != 'f')
			r = sw_add(d->m, r, name);
		return sw_add(d->m, sw_add(d->m, r, macro), disc);
	}
	return NULL;
}

sw_node *dm_function_entity(dm *d)
{
	sw_kind k;
	char args = 'n'; /* n: none, t: type and private name, i: type and index, x: index */
	switch (dm_next(d)) {
	case 'D': k = SW_Deallocator; break;
	case 'd': k = SW_Destructor; break;
	case 'E': k = SW_IVarDestroyer; break;
	case 'e': k = SW_IVarInitializer; break;
	case 'i': k = SW_Initializer; break;
	case 'C': k = SW_Allocator, args = 't'; break;
	case 'c': k = SW_Constructor, args = 't'; break;
	case 'U': k = SW_ExplicitClosure, args = 'i'; break;
	case 'u': k = SW_ImplicitClosure, args = 'i'; break;
	case 'A': k = SW_DefaultArgumentInitializer, args = 'x'; break;
	case 'p': return dm_entity(d, SW_GenericTypeParamDecl);
	case 'P': k = SW_PropertyWrapperBackingInitializer; break;
	case 'W': k = SW_PropertyWrapperInitFromProjectedValue; break;
	case 'M': return macro_expansion(d);
	case 'm': return dm_entity(d, SW_Macro);
	default: return NULL;
	}
	sw_node *name = NULL, *type = NULL, *labels = NULL;
	if (args == 't') {
		name = dm_pop_kind(d, SW_PrivateDeclName);
		type = dm_pop_kind(d, SW_Type);
		labels = dm_pop_labels(d, type);
	} else if (args == 'i') {
		name = dm_index_node(d);
		type = dm_pop_kind(d, SW_Type);
	} else if (args == 'x') {
		name = dm_index_node(d);
	}
	sw_node *e = sw_with(d->m, k, dm_pop_context(d));
	if (args == 'x')
		return sw_add(d->m, e, name);
	if (args == 'i')
		return sw_add(d->m, sw_add(d->m, e, name), type);
	if (args == 't') {
		if (labels)
			sw_add(d->m, e, labels);
		e = sw_add(d->m, e, type);
		if (name)
			sw_add(d->m, e, name);
	}
	return e;
}

sw_node *dm_value_witness(dm *d)
{
	static const char codes[][3] = {
		"al", "ca", "ta", "de", "xx", "XX", "Xx", "CP", "Cp", "cp", "Tk", "tk", "pr", "TK",
		"Cc", "Tt", "tT", "xs", "xg", "ug", "up", "ui", "et", "st"};
	char c[2] = {dm_next(d), dm_next(d)};
	for (size_t i = 0; i < CRP_ARRAY_LEN(codes); i++)
		if (codes[i][0] == c[0] && codes[i][1] == c[1]) {
			sw_node *vw = sw_with(d->m, SW_ValueWitness, sw_node_index(d->m, SW_Index, i));
			return sw_add(d->m, vw, dm_pop_kind(d, SW_Type));
		}
	return NULL;
}
