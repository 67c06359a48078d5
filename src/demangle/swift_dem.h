/* State of the stack-machine parser for the current manglings ($s, $S, _T0), shared by its
 * source files. */
#ifndef CRP_SWIFT_DEM_H
#define CRP_SWIFT_DEM_H

#include "swift_int.h"

typedef struct dm {
	sw_mem *m;
	const unsigned char *t;
	size_t n, pos;
	sw_node **stk;
	size_t nstk, capstk;
	sw_node **subs;
	size_t nsubs, capsubs;
	const char *words[26];
	uint32_t wordlen[26];
	int nwords;
	/* Identifier pieces not yet split into words: most names never use a word substitution,
	 * so words are found only when one is asked for. */
	const char *pending[32];
	uint32_t pendlen[32];
	int npending;
	bool oldfn; /* _T0: labels inside the argument tuple */
	unsigned depth;
} dm;

typedef bool (*dm_pred)(sw_kind k);

#define DM_MAX_STACK 8192u
#define DM_MAX_REPEAT 2048

static inline char dm_peek(const dm *d) { return d->pos < d->n ? (char)d->t[d->pos] : 0; }
static inline char dm_next(dm *d) { return d->pos < d->n ? (char)d->t[d->pos++] : 0; }
static inline void dm_back(dm *d)
{
	if (d->pos)
		d->pos--;
}
static inline bool dm_nextif(dm *d, char c)
{
	if (d->pos < d->n && d->t[d->pos] == (unsigned char)c) {
		d->pos++;
		return true;
	}
	return false;
}
static inline bool dm_digit(char c) { return c >= '0' && c <= '9'; }
static inline bool dm_lower(char c) { return c >= 'a' && c <= 'z'; }
static inline bool dm_upper(char c) { return c >= 'A' && c <= 'Z'; }

bool dm_push(dm *d, sw_node *n);
bool dm_is_decl_name(sw_kind k);
sw_node *dm_entity(dm *d, sw_kind k);
sw_node *dm_pop(dm *d);
sw_node *dm_pop_kind(dm *d, sw_kind k);
sw_node *dm_pop_if(dm *d, dm_pred p);
bool dm_add_subst(dm *d, sw_node *n);
int dm_natural(dm *d);
int dm_index(dm *d);
sw_node *dm_index_node(dm *d);
sw_node *dm_type(dm *d, sw_node *child);
sw_node *dm_pop_type_child(dm *d);
sw_node *dm_pop_module(dm *d);
sw_node *dm_pop_context(dm *d);
sw_node *dm_pop_protocol(dm *d);
sw_node *dm_pop_type_list(dm *d);
sw_node *dm_pop_tuple(dm *d);
sw_node *dm_pop_function_type(dm *d, sw_kind k, bool clang);
sw_node *dm_pop_labels(dm *d, sw_node *type);
sw_node *dm_pop_conformance(dm *d);
sw_node *dm_pop_any_conformance(dm *d);
sw_node *dm_pop_assoc_name(dm *d);
sw_node *dm_pop_assoc_path(dm *d);
sw_node *dm_param_index(dm *d);
sw_node *dm_param_type(dm *d, int depth, int index);
sw_node *dm_assoc_simple(dm *d, sw_node *base);
sw_node *dm_assoc_compound(dm *d, sw_node *base);
sw_node *dm_protocol_list(dm *d);
sw_node *dm_clang_type(dm *d);
bool dm_bound_generics(dm *d, sw_node **lists, size_t *nlists, size_t max, sw_node **retro);
sw_node *dm_bound_generic_args(dm *d, sw_node *nominal, sw_node **lists, size_t nlists, size_t idx);
sw_node *dm_operator(dm *d);

/* swift_dem_ops.c */
sw_node *dm_thunk_or_spec(dm *d);
sw_node *dm_witness(dm *d);
sw_node *dm_metatype(dm *d);
sw_node *dm_special(dm *d);
sw_node *dm_impl_function(dm *d);
sw_node *dm_function_entity(dm *d);
sw_node *dm_value_witness(dm *d);

#endif
