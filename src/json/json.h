/* A streaming JSON event parser, for the .ips reader: the same events as yajl's callbacks
 * (numbers as text), fed in chunks of any size, stopping after one whole value.
 *
 * Why not yajl, which the KSCrash reader uses: an .ips body is compact JSON (few spaces, about
 * one event every 12 bytes), and yajl lexes byte by byte through a table; this parser scans
 * strings eight bytes at a time and spends little per token, so the reader's own work is
 * most of the time. A token cut by the end of a chunk is carried whole into the next, so a
 * token is always judged, and an error placed, the same way however the input is cut. */
#ifndef CRP_JSON_H
#define CRP_JSON_H

#include "common/internal.h"

/* Each returns nonzero to go on, 0 to stop the parser (CRP_JSON_STOPPED). Strings and keys are
 * the decoded bytes, not NUL-terminated, valid during the call only; bytes >= 0x80 are passed
 * through as they are (the caller validates UTF-8) and a lone \uD800-\uDFFF escape is
 * written as its three-byte form, which a UTF-8 check rejects. */
typedef struct crp_json_callbacks {
	int (*null_value)(void *ctx);
	int (*boolean)(void *ctx, int value);
	int (*number)(void *ctx, const char *text, size_t len);
	int (*string)(void *ctx, const unsigned char *s, size_t len);
	int (*start_map)(void *ctx);
	int (*map_key)(void *ctx, const unsigned char *s, size_t len);
	int (*end_map)(void *ctx);
	int (*start_array)(void *ctx);
	int (*end_array)(void *ctx);
} crp_json_callbacks;

typedef enum crp_json_status {
	CRP_JSON_MORE,    /* every byte taken; the value goes on in the next chunk */
	CRP_JSON_DONE,    /* one whole value read; it ends `consumed` bytes into the chunk */
	CRP_JSON_STOPPED, /* a callback returned 0 */
	CRP_JSON_INVALID, /* not JSON: `message`, at the token that ends `consumed` bytes in */
	CRP_JSON_NOMEM,
} crp_json_status;

typedef struct crp_json {
	const crp_json_callbacks *cb;
	void *ctx;
	const crp_allocator *alloc;
	size_t max_depth;
	uint8_t expect;          /* what may come next */
	uint8_t carry_kind;      /* the kind of token carried from the last chunk, or 0 */
	bool carry_escape;       /* a carried string ends in an unpaired backslash */
	uint8_t *stack;          /* 1 for an object, 0 for an array, outermost first */
	size_t depth, stack_cap;
	unsigned char *carry;    /* a token cut by the end of a chunk */
	size_t carry_len, carry_cap;
	unsigned char *text;     /* a string's decoded bytes, when it has escapes */
	size_t text_cap;
	/* The current token (in a callback, or the offending one): it ends `consumed` bytes into
	 * the chunk and is `token_len` bytes long, so it began in an earlier chunk when
	 * token_len > consumed. */
	size_t consumed, token_len;
	crp_json_status last;    /* once ended: what parse and finish return from then on */
	const char *message;
	char message_buf[96];
} crp_json;

/* Ready to read one value; nothing is allocated until needed. max_depth bounds the nesting. */
void crp__json_init(crp_json *j, const crp_json_callbacks *cb, void *ctx, const crp_allocator *alloc,
		    size_t max_depth);
/* The next chunk of the text. After DONE, INVALID or STOPPED the parser takes nothing more. */
crp_json_status crp__json_parse(crp_json *j, const unsigned char *p, size_t n);
/* The end of the input: a number or literal the last chunk ended in is delivered. DONE when
 * the value is whole, MORE when the input ended inside it. */
crp_json_status crp__json_finish(crp_json *j);
/* Frees what the parser allocated; j may be initialised again. */
void crp__json_dispose(crp_json *j);

#endif
