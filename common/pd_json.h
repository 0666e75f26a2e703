/*
 * pd_json: a strict, bounded JSON tokenizer (RFC 8259) that allocates
 * nothing: the caller lends a token array and gets back a flat, pre-order
 * list of the document's values, with indices into the borrowed text.
 *
 * Strict: exactly one value, only whitespace around it, strings with valid
 * escapes (\u surrogates paired) and valid UTF-8 without raw control
 * characters, numbers exactly as the grammar says (no leading zeros, no
 * "+", no ".5"). Parsing is iterative: nesting costs no stack, and both the
 * number of tokens and the depth are capped by the caller (PD_ELIMIT).
 *
 * Tokens: an object's children are its members as (key, value) pairs, the
 * key a STRING token directly followed by the value's subtree; an array's
 * children are its elements. Every token records where its subtree ends
 * (next), so siblings are O(1) apart. Tokens point into the text, which
 * must outlive them; the helpers take the same text back. Pure and
 * thread-safe.
 */
#ifndef PD_JSON_H
#define PD_JSON_H

#include <stddef.h>
#include <stdint.h>

enum pd_json_type {
	PD_JSON_OBJECT = 1, PD_JSON_ARRAY, PD_JSON_STRING, PD_JSON_NUMBER,
	PD_JSON_TRUE, PD_JSON_FALSE, PD_JSON_NULL,
};

struct pd_json_tok {
	uint32_t start, end; /* strings: the bytes between the quotes, still
	                      * escaped; others: the value's whole text */
	uint32_t next;       /* index of the first token after this subtree */
	uint32_t size;       /* arrays: elements; objects: members; else 0 */
	int32_t parent;      /* index of the enclosing container, -1 at the top */
	uint8_t type;        /* enum pd_json_type */
	uint8_t escaped;     /* strings: 1 when the text holds a backslash */
};

/* Where and why parsing failed: off is a byte offset into the text, what a
 * static lower-case phrase ("expected ':'"). */
struct pd_json_err {
	size_t off;
	const char *what;
};

/*
 * Tokenizes s[0..n) into toks[0..max_toks). max_depth caps the nesting of
 * arrays and objects (a scalar document has depth 0, "[1]" depth 1).
 * Returns the number of tokens (>= 1), PD_EMALF for invalid JSON, or
 * PD_ELIMIT when the document needs more than max_toks tokens, nests deeper
 * than max_depth, or is longer than 4 GiB - 1. The token array's contents
 * are unspecified after an error.
 */
int pd_json_parse(const char *s, size_t n, struct pd_json_tok *toks, size_t max_toks,
                  unsigned max_depth);

/* The same, and on error also fills *err (when err is not NULL). */
int pd_json_parse_err(const char *s, size_t n, struct pd_json_tok *toks, size_t max_toks,
                      unsigned max_depth, struct pd_json_err *err);

/* Line and byte within the line (both from 1) of offset off in s, for
 * messages like "line 3, byte 17: expected ':'". */
void pd_json_where(const char *s, size_t off, size_t *line, size_t *byte);

/*
 * Navigation. Indices are ints; -1 means none. The member helpers work on
 * any token array that pd_json_parse returned for this s.
 *   pd_json_child: first element of an array, first key of an object.
 *   pd_json_next: next sibling (inside an object, a key's next sibling is
 *     its value, the value's is the following key).
 *   pd_json_get: value of the first member whose key decodes to key (a
 *     NUL-terminated string), or -1 (also when obj is not an object).
 * Iteration (n tokens in t):
 *   for (int i = pd_json_child(t, n, arr); i >= 0; i = pd_json_next(t, n, i))
 *       ... element i ...
 *   for (int k = pd_json_child(t, n, obj); k >= 0; k = pd_json_next(t, n, k + 1))
 *       ... key k, value k + 1 ...
 */
int pd_json_child(const struct pd_json_tok *toks, int ntoks, int i);
int pd_json_next(const struct pd_json_tok *toks, int ntoks, int i);
int pd_json_get(const char *s, const struct pd_json_tok *toks, int ntoks, int obj,
                const char *key);

/* 1 when string token t decodes to exactly the NUL-terminated lit. */
int pd_json_str_eq(const char *s, const struct pd_json_tok *t, const char *lit);

/*
 * Decodes string token t (escapes resolved, UTF-8 out) into out[0..cap),
 * NUL-terminated. Returns the decoded length (a "\u0000" escape gives a NUL
 * byte inside it: compare with strlen when that matters), PD_ESPACE when
 * cap is not larger than the length, or PD_EMALF when t is not a string.
 */
int pd_json_str(const char *s, const struct pd_json_tok *t, char *out, size_t cap);

/*
 * Numbers. The integer getters take only integers: a fraction or an
 * exponent is PD_EMALF (even "1.0"), a value out of range PD_ELIMIT; "-0"
 * is 0. pd_json_double rounds as strtod does (in the C locale, which no
 * Almanac program changes); a magnitude beyond double's range is
 * PD_ELIMIT, one below it becomes 0; over 500 characters is PD_ELIMIT.
 * Any other token type is PD_EMALF.
 */
int pd_json_i64(const char *s, const struct pd_json_tok *t, int64_t *v);
int pd_json_u64(const char *s, const struct pd_json_tok *t, uint64_t *v);
int pd_json_double(const char *s, const struct pd_json_tok *t, double *v);

#endif
