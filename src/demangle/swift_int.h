/* Swift demangler internals: the node tree both parsers build and the printer reads.
 * Node kinds keep the names of the Swift project's demangler tree so that its grammar notes
 * (docs/ABI/Mangling.rst) map onto this code one to one. */
#ifndef CRP_SWIFT_INT_H
#define CRP_SWIFT_INT_H

#include "common/internal.h"

/* X(kind, is_context) */
#define SW_KINDS(X)                                                                                \
	X(Allocator, 1) X(AnonymousContext, 1) X(AnonymousDescriptor, 0) X(ArgumentTuple, 0)       \
	X(AssociatedConformanceDescriptor, 0) X(AssociatedType, 0) X(AssociatedTypeDescriptor, 0)  \
	X(AssociatedTypeGenericParamRef, 0) X(AssociatedTypeMetadataAccessor, 0)                   \
	X(AssociatedTypeRef, 0) X(AssociatedTypeWitnessTableAccessor, 0) X(AssocTypePath, 0)       \
	X(AsyncAnnotation, 0) X(AsyncAwaitResumePartialFunction, 0) X(AsyncFunctionPointer, 0)     \
	X(AsyncSuspendResumePartialFunction, 0) X(AutoClosureType, 0) X(AutoDiffFunction, 1)       \
	X(AutoDiffFunctionKind, 0) X(AutoDiffDerivativeVTableThunk, 0)                             \
	X(AutoDiffSelfReorderingReabstractionThunk, 0) X(AutoDiffSubsetParametersThunk, 0)         \
	X(BaseConformanceDescriptor, 0) X(BaseWitnessTableAccessor, 0) X(BoundGenericClass, 0)     \
	X(BoundGenericEnum, 0) X(BoundGenericFunction, 0) X(BoundGenericOtherNominalType, 0)       \
	X(BoundGenericProtocol, 0) X(BoundGenericStructure, 0) X(BoundGenericTypeAlias, 0)         \
	X(BuiltinTypeName, 0) X(CFunctionPointer, 0) X(ClangType, 0) X(Class, 1)                   \
	X(ClassMetadataBaseOffset, 0) X(CompileTimeConst, 0) X(ConcreteProtocolConformance, 0)     \
	X(ConcurrentFunctionType, 0) X(Constructor, 1) X(CoroutineContinuationPrototype, 0)        \
	X(CurryThunk, 0) X(Deallocator, 1) X(DefaultArgumentInitializer, 1)                        \
	X(DefaultAssociatedConformanceAccessor, 0) X(DefaultAssociatedTypeMetadataAccessor, 0)     \
	X(DependentAssociatedConformance, 0) X(DependentAssociatedTypeRef, 0)                      \
	X(DependentGenericConformanceRequirement, 0) X(DependentGenericLayoutRequirement, 0)       \
	X(DependentGenericParamCount, 0) X(DependentGenericParamType, 0)                           \
	X(DependentGenericSameTypeRequirement, 0) X(DependentGenericSignature, 0)                  \
	X(DependentGenericType, 0) X(DependentMemberType, 0) X(DependentProtocolConformanceAssociated, 0) \
	X(DependentProtocolConformanceInherited, 0) X(DependentProtocolConformanceRoot, 0)         \
	X(DependentPseudogenericSignature, 0) X(Destructor, 1) X(DidSet, 1)                        \
	X(DifferentiabilityWitness, 0) X(DifferentiableFunctionType, 0)                            \
	X(DirectMethodReferenceAttribute, 0) X(Directness, 0) X(DispatchThunk, 0)                  \
	X(DistributedAccessor, 0) X(DistributedThunk, 0) X(DynamicAttribute, 0)                    \
	X(DynamicallyReplaceableFunctionImpl, 0) X(DynamicallyReplaceableFunctionKey, 0)           \
	X(DynamicallyReplaceableFunctionVar, 0) X(DynamicSelf, 0) X(EmptyList, 0) X(Enum, 1)       \
	X(EnumCase, 0) X(ErrorType, 0) X(EscapingAutoClosureType, 0) X(EscapingObjCBlock, 0)       \
	X(ExistentialMetatype, 0) X(ExplicitClosure, 1) X(Extension, 1) X(ExtensionDescriptor, 0)  \
	X(FieldOffset, 0) X(FirstElementMarker, 0) X(FullObjCResilientClassStub, 0)                \
	X(FullTypeMetadata, 0) X(Function, 1) X(FunctionSignatureSpecialization, 0)                \
	X(FunctionSignatureSpecializationParam, 0) X(FunctionSignatureSpecializationParamKind, 0)  \
	X(FunctionSignatureSpecializationParamPayload, 0) X(FunctionSignatureSpecializationReturn, 0) \
	X(FunctionType, 0) X(GenericPartialSpecialization, 0)                                      \
	X(GenericPartialSpecializationNotReAbstracted, 0) X(GenericProtocolWitnessTable, 0)        \
	X(GenericProtocolWitnessTableInstantiationFunction, 0) X(GenericSpecialization, 0)         \
	X(GenericSpecializationInResilienceDomain, 0) X(GenericSpecializationNotReAbstracted, 0)   \
	X(GenericSpecializationParam, 0) X(GenericSpecializationPrespecialized, 0)                 \
	X(GenericTypeMetadataPattern, 0) X(GenericTypeParamDecl, 1) X(Getter, 1) X(Global, 0)      \
	X(GlobalActorFunctionType, 0) X(GlobalGetter, 1) X(GlobalVariableOnceDeclList, 0)          \
	X(GlobalVariableOnceFunction, 0) X(GlobalVariableOnceToken, 0) X(Identifier, 0)            \
	X(ImplConvention, 0) X(ImplDifferentiabilityKind, 0) X(ImplErrorResult, 0)                 \
	X(ImplEscaping, 0) X(ImplFunctionAttribute, 0) X(ImplFunctionConvention, 0)                \
	X(ImplFunctionConventionName, 0) X(ImplFunctionType, 0) X(ImplicitClosure, 1)              \
	X(ImplInvocationSubstitutions, 0) X(ImplParameter, 0) X(ImplParameterResultDifferentiability, 0) \
	X(ImplPatternSubstitutions, 0) X(ImplResult, 0) X(ImplYield, 0) X(Index, 0)                \
	X(IndexSubset, 0) X(InfixOperator, 0) X(Initializer, 1) X(InlinedGenericFunction, 0)       \
	X(InOut, 0) X(Isolated, 0) X(IsSerialized, 0) X(IVarDestroyer, 1) X(IVarInitializer, 1)    \
	X(KeyPathEqualsThunkHelper, 0) X(KeyPathGetterThunkHelper, 0) X(KeyPathHashThunkHelper, 0) \
	X(KeyPathSetterThunkHelper, 0) X(LabelList, 0) X(LazyProtocolWitnessTableAccessor, 0)      \
	X(LazyProtocolWitnessTableCacheVariable, 0) X(LocalDeclName, 0) X(MaterializeForSet, 1)    \
	X(MergedFunction, 0) X(Metaclass, 0) X(Metatype, 0) X(MetatypeRepresentation, 0)           \
	X(MethodDescriptor, 0) X(MethodLookupFunction, 0) X(ModifyAccessor, 1) X(Module, 1)        \
	X(ModuleDescriptor, 0) X(NativeOwningAddressor, 1) X(NativeOwningMutableAddressor, 1)      \
	X(NativePinningAddressor, 1) X(NativePinningMutableAddressor, 1) X(NoDerivative, 0)        \
	X(NoEscapeFunctionType, 0) X(NominalTypeDescriptor, 0) X(NonObjCAttribute, 0) X(Number, 0) \
	X(ObjCAttribute, 0) X(ObjCBlock, 0) X(ObjCMetadataUpdateFunction, 0)                       \
	X(ObjCResilientClassStub, 0) X(OpaqueReturnType, 0) X(OpaqueReturnTypeIndexed, 0)          \
	X(OpaqueReturnTypeOf, 1) X(OpaqueType, 0) X(OpaqueTypeDescriptor, 0)                       \
	X(OpaqueTypeDescriptorAccessor, 0) X(OpaqueTypeDescriptorAccessorImpl, 0)                  \
	X(OpaqueTypeDescriptorAccessorKey, 0) X(OpaqueTypeDescriptorAccessorVar, 0)                \
	X(OtherNominalType, 1) X(OutlinedAssignWithCopy, 0) X(OutlinedAssignWithTake, 0)           \
	X(OutlinedBridgedMethod, 0) X(OutlinedConsume, 0) X(OutlinedCopy, 0) X(OutlinedDestroy, 0) \
	X(OutlinedInitializeWithCopy, 0) X(OutlinedInitializeWithTake, 0) X(OutlinedRelease, 0)    \
	X(OutlinedRetain, 0) X(OutlinedVariable, 0) X(Owned, 0) X(OwningAddressor, 1)              \
	X(OwningMutableAddressor, 1) X(PartialApplyForwarder, 0) X(PartialApplyObjCForwarder, 0)   \
	X(PostfixOperator, 0) X(PrefixOperator, 0) X(PrivateDeclName, 0) X(PropertyDescriptor, 0)  \
	X(PropertyWrapperBackingInitializer, 1) X(PropertyWrapperInitFromProjectedValue, 1)        \
	X(Protocol, 1) X(ProtocolConformance, 0) X(ProtocolConformanceDescriptor, 0)               \
	X(ProtocolConformanceRefInOtherModule, 0) X(ProtocolConformanceRefInProtocolModule, 0)     \
	X(ProtocolConformanceRefInTypeModule, 0) X(ProtocolDescriptor, 0) X(ProtocolList, 0)       \
	X(ProtocolListWithAnyObject, 0) X(ProtocolListWithClass, 0)                                \
	X(ProtocolRequirementsBaseDescriptor, 0) X(ProtocolSelfConformanceDescriptor, 0)           \
	X(ProtocolSelfConformanceWitness, 0) X(ProtocolSelfConformanceWitnessTable, 0)             \
	X(ProtocolWitness, 0) X(ProtocolWitnessTable, 0) X(ProtocolWitnessTableAccessor, 0)        \
	X(ProtocolWitnessTablePattern, 0) X(ReabstractionThunk, 0) X(ReabstractionThunkHelper, 0)  \
	X(ReabstractionThunkHelperWithGlobalActor, 0) X(ReabstractionThunkHelperWithSelf, 0)       \
	X(ReadAccessor, 1) X(ReflectionMetadataAssocTypeDescriptor, 0)                             \
	X(ReflectionMetadataBuiltinDescriptor, 0) X(ReflectionMetadataFieldDescriptor, 0)          \
	X(ReflectionMetadataSuperclassDescriptor, 0) X(RelatedEntityDeclName, 0)                   \
	X(ResilientProtocolWitnessTable, 0) X(RetroactiveConformance, 0) X(ReturnType, 0)          \
	X(Setter, 1) X(Shared, 0) X(SILBoxImmutableField, 0) X(SILBoxLayout, 0)                    \
	X(SILBoxMutableField, 0) X(SILBoxType, 0) X(SILBoxTypeWithLayout, 0)                       \
	X(SpecializationPassID, 0) X(Static, 1) X(Structure, 1) X(Subscript, 1) X(Suffix, 0)       \
	X(SugaredArray, 0) X(SugaredDictionary, 0) X(SugaredOptional, 0) X(SugaredParen, 0)        \
	X(ThinFunctionType, 0) X(ThrowsAnnotation, 0) X(Tuple, 0) X(TupleElement, 0)               \
	X(TupleElementName, 0) X(Type, 0) X(TypeAlias, 1) X(TypeList, 0) X(TypeMangling, 0)        \
	X(TypeMetadata, 0) X(TypeMetadataAccessFunction, 0) X(TypeMetadataCompletionFunction, 0)   \
	X(TypeMetadataDemanglingCache, 0) X(TypeMetadataInstantiationCache, 0)                     \
	X(TypeMetadataInstantiationFunction, 0) X(TypeMetadataLazyCache, 0)                        \
	X(TypeMetadataSingletonInitializationCache, 0) X(UncurriedFunctionType, 0)                 \
	X(UnknownIndex, 0) X(Unmanaged, 0) X(Unowned, 0) X(UnsafeAddressor, 1)                     \
	X(UnsafeMutableAddressor, 1) X(ValueWitness, 0) X(ValueWitnessTable, 0) X(Variable, 1)     \
	X(VariadicMarker, 0) X(VTableAttribute, 0) X(VTableThunk, 0) X(Weak, 0) X(WillSet, 1)      \
	X(AccessibleFunctionRecord, 0) X(ProtocolConformanceDescriptorRecord, 0)                   \
	X(NominalTypeDescriptorRecord, 0) X(OpaqueTypeDescriptorRecord, 0)                         \
	X(ProtocolDescriptorRecord, 0) X(ObjCAsyncCompletionHandlerImpl, 0)                        \
	X(PredefinedObjCAsyncCompletionHandlerImpl, 0) X(CanonicalSpecializedGenericMetaclass, 0)  \
	X(CanonicalSpecializedGenericTypeMetadataAccessFunction, 0) X(MetadataInstantiationCache, 0) \
	X(NoncanonicalSpecializedGenericTypeMetadata, 0)                                           \
	X(NoncanonicalSpecializedGenericTypeMetadataCache, 0)                                      \
	X(CanonicalPrespecializedGenericTypeCachingOnceToken, 0) X(InitAccessor, 1)                \
	X(Pack, 0) X(PackExpansion, 0) X(PackElement, 0) X(PackElementLevel, 0) X(SILPackDirect, 0) \
	X(SILPackIndirect, 0) X(TypedThrowsAnnotation, 0) X(Sending, 0) X(SendingResultFunctionType, 0) \
	X(IsolatedAnyFunctionType, 0) X(NonIsolatedCallerFunctionType, 0)                          \
	X(ConstrainedExistential, 0) X(ConstrainedExistentialRequirementList, 0)                   \
	X(ConstrainedExistentialSelf, 0) X(ParameterizedProtocol, 0) X(HasSymbolQuery, 0)          \
	X(BackDeploymentThunk, 0) X(BackDeploymentFallback, 0) X(MacroExpansionUniqueName, 1)      \
	X(FreestandingMacroExpansion, 1) X(AccessorAttachedMacroExpansion, 1)                      \
	X(MemberAttributeAttachedMacroExpansion, 1) X(MemberAttachedMacroExpansion, 1)             \
	X(PeerAttachedMacroExpansion, 1) X(ConformanceAttachedMacroExpansion, 1)                   \
	X(ExtensionAttachedMacroExpansion, 1) X(BodyAttachedMacroExpansion, 1)                     \
	X(PreambleAttachedMacroExpansion, 1) X(MacroExpansionLoc, 1) X(Macro, 1)                   \
	X(AnyProtocolConformanceList, 0) X(ObjectiveCProtocolSymbolicReference, 0)                      \
	X(TypeSymbolicReference, 1) X(ProtocolSymbolicReference, 1) X(OpaqueReturnTypeParent, 0)   \
	X(DependentGenericParamPackMarker, 0) X(SymbolicExtendedExistentialType, 0)                \
	X(ExtendedExistentialTypeShape, 0) X(UniqueExtendedExistentialTypeShapeSymbolicReference, 0) \
	X(NonUniqueExtendedExistentialTypeShapeSymbolicReference, 0) X(Modify2Accessor, 1)         \
	X(Read2Accessor, 1) X(Isolated2, 0) X(AutoDiffFunctionKind2, 0) X(SugaredInlineArray, 0)   \
	X(Integer, 0) X(NegativeInteger, 0) X(DependentGenericInverseConformanceRequirement, 0)    \
	X(DependentGenericParamValueMarker, 0) X(OutlinedEnumTagStore, 0)                          \
	X(OutlinedEnumProjectDataForLoad, 0) X(OutlinedEnumGetTag, 0) X(CoroFunctionPointer, 0)    \
	X(DefaultOverride, 0) X(ConstValue, 0) X(NonConstPartialApplyThunk, 0)

typedef enum sw_kind {
#define SW_ENUM_(k, c) SW_##k,
	SW_KINDS(SW_ENUM_)
#undef SW_ENUM_
	SW_KIND_COUNT
} sw_kind;

enum { SW_NOPAYLOAD, SW_TEXT, SW_INDEX };

typedef struct sw_node sw_node;
struct sw_node {
	uint16_t kind;
	uint8_t payload;
	uint32_t n, cap;
	sw_node **kids;
	const char *text;
	uint64_t index; /* the text's length when payload is SW_TEXT */
	/* A type's text once printed, where it is in the output: substitutions share subtrees,
	 * and a shared type is copied rather than walked again. */
	uint32_t memo_at, memo_len;
	sw_node *inl[2]; /* the first two children: most nodes have no more */
};

/* Bump memory: a caller's first block (usually on its stack), then blocks from the
 * allocator, if any, up to a budget. */
typedef struct sw_mem {
	const crp_allocator *alloc; /* NULL: the first block only */
	unsigned char *cur, *end;
	void *blocks;               /* chain of allocated blocks */
	size_t used, budget;
	bool failed;
	bool oom; /* the allocator said no (not the budget) */
} sw_mem;

/* Hostile-input bounds. */
#define SW_MAX_DEPTH 256u          /* parser and printer recursion */
#define SW_MAX_SUBSTITUTIONS 4096u
#define SW_MAX_VISITS 100000u      /* printer steps: shared subtrees cannot blow up time */
#define SW_MEM_BUDGET (4u << 20)
#define SW_MAX_NESTED 3u           /* demangling inside a printed payload */

void sw_mem_init(sw_mem *m, void *first, size_t cap, const crp_allocator *a);
void sw_mem_dispose(sw_mem *m);
void *sw_alloc(sw_mem *m, size_t n);

sw_node *sw_node_new(sw_mem *m, sw_kind k);
sw_node *sw_node_text(sw_mem *m, sw_kind k, const char *s, size_t n);
sw_node *sw_node_index(sw_mem *m, sw_kind k, uint64_t i);
/* Adds child to parent; NULL (and nothing added) when either is NULL or memory ran out. */
sw_node *sw_add(sw_mem *m, sw_node *parent, sw_node *child);
sw_node *sw_with(sw_mem *m, sw_kind k, sw_node *c0);
sw_node *sw_with2(sw_mem *m, sw_kind k, sw_node *c0, sw_node *c1);
sw_node *sw_with3(sw_mem *m, sw_kind k, sw_node *c0, sw_node *c1, sw_node *c2);
void sw_reverse(sw_node *n, size_t from);
void sw_remove(sw_node *n, size_t at);
static inline sw_node *sw_kid(const sw_node *n, size_t i) { return n && i < n->n ? n->kids[i] : NULL; }
static inline bool sw_is(const sw_node *n, sw_kind k) { return n && n->kind == k; }
bool sw_text_is(const sw_node *n, const char *s);
bool sw_is_context(sw_kind k);

/* Punycode as Swift spells it ('_' delimiter, 'A'-'J' for 26-35) into UTF-8. */
char *sw_punycode(sw_mem *m, const char *s, size_t n, size_t *out_len);

/* The two parsers: the whole symbol (after any platform '_') into a Global node, or NULL. */
sw_node *sw_demangle_new(sw_mem *m, const char *s, size_t n);
sw_node *sw_demangle_old(sw_mem *m, const char *s, size_t n);
/* Either parser, chosen by prefix; unknown prefixes give NULL. */
sw_node *sw_demangle_any(sw_mem *m, const char *s, size_t n);

/* printer options */
#define SW_OPT_SIMPLIFIED 0x01u

typedef struct sw_out {
	char *p;
	size_t n, cap;
	bool overflow;
	bool invalid;
	unsigned flags;
	unsigned depth, nested;
	size_t visits;
	const crp_allocator *alloc;
	bool spec_prefix_done;
} sw_out;

/* Prints root into o (NUL-terminated when it fits); false when it did not. */
bool sw_print(sw_out *o, sw_node *root);
/* Whole demangling of one name into o's buffer, used by the printer for nested payloads. */
size_t sw_demangle_to(const char *s, size_t n, char *out, size_t cap, unsigned flags,
		      const crp_allocator *a, unsigned nested);
/* The same, saying why it failed: CRP_ENOTFOUND (not a Swift symbol, malformed, or beyond the
 * bounds), CRP_ELIMIT (does not fit cap), CRP_ENOMEM. */
size_t sw_demangle_status(const char *s, size_t n, char *out, size_t cap, unsigned flags,
			  const crp_allocator *a, unsigned nested, int *status);

#endif
