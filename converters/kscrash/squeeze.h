/* Whitespace squeezer in front of yajl (see squeeze.c). */
#ifndef CRP_SQUEEZE_H
#define CRP_SQUEEZE_H

#include "common/internal.h"

/* Where the squeezer is in the text; carried from one chunk to the next. */
typedef struct crp_squeeze {
	bool in_string;
	bool escape;
	bool after_token;  /* the last byte kept outside strings belongs to a number or literal */
	bool pending;      /* whitespace followed such a byte: a space may be needed */
} crp_squeeze;

/* Instruction sets the squeezer can use, from the reference up. */
enum { CRP_SQUEEZE_SCALAR, CRP_SQUEEZE_SSSE3, CRP_SQUEEZE_AVX2, CRP_SQUEEZE_AVX512 };
/* The best one this CPU runs (asks the CPU: callers keep the answer). */
int crp__squeeze_best(void);
/* Copy src to dst without insignificant whitespace; returns the bytes written, and the newlines
 * in src in *newlines (positions are counted in the original text). dst must hold len + 16
 * bytes (the vector path stores whole blocks). */
size_t crp__squeeze(crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst,
		    size_t *newlines);
/* crp__squeeze with a given instruction set, which must not be above crp__squeeze_best(): the
 * tests run every one this CPU has. */
size_t crp__squeeze_isa(int isa, crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst,
			size_t *newlines);
/* The same, one byte at a time: the reference the vector path is tested against. */
size_t crp__squeeze_scalar(crp_squeeze *st, const unsigned char *src, size_t len, unsigned char *dst);
/* Replay from input offset `from` (output offset *f_pos, state *st) until the output reaches
 * f_target; returns the input offset of the byte that produces output byte f_target (or len),
 * updating *f_pos and *st to that point so a later call can resume; or CRP_SQUEEZE_BEFORE when
 * that byte is the backslash the previous piece ended with (held back, see crp__squeeze), and
 * *f_pos and *st are left as they were. */
#define CRP_SQUEEZE_BEFORE SIZE_MAX
size_t crp__squeeze_map(crp_squeeze *st, const unsigned char *src, size_t len, size_t *f_pos,
			size_t from, size_t f_target);

#endif
