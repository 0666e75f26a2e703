/*
 * pd_rr_parse_int: internals shared by pd_rr_parse.c (fields, driver,
 * generic form) and pd_rr_parse_svc.c (SvcParams, type bitmaps). Not for
 * use outside those two files.
 *
 * A parse keeps one cursor over the text and one writer into the caller's
 * buffer. Every function returns 0 or a negative PD_E* code, and fails
 * through pd_rp_fail so that the first reason found is the one reported.
 */
#ifndef PD_RR_PARSE_INT_H
#define PD_RR_PARSE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pd_rr_parse.h"

struct pd_rp {
	const char *t;
	size_t n, pos;   /* text and cursor */
	uint8_t *out;
	size_t cap, len; /* cap is at most PD_RR_CANON_MAX */
	int short_cap;   /* the caller's cap is below PD_RR_CANON_MAX */
	struct pd_rr_perr *err;
};

/* One field of text: unquoted (escapes still in place) or the inside of a
 * double-quoted string; off is where it starts in the text. */
struct pd_rp_tok {
	const char *s;
	size_t len, off;
	int quoted;
};

/* Records the reason (printf-style) at text offset off; returns PD_EMALF. */
int pd_rp_fail(struct pd_rp *p, size_t off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* n more bytes of output at *dst, or PD_ESPACE / PD_EMALF (too long). */
int pd_rp_room(struct pd_rp *p, size_t n, uint8_t **dst);
int pd_rp_put(struct pd_rp *p, const void *src, size_t n);

int pd_rp_blank(char c);

/* The next field: 1 and *tk, 0 at the end of the text, or PD_EMALF. */
int pd_rp_token(struct pd_rp *p, struct pd_rp_tok *tk);

/* The next field, which must exist ("expected <what>" otherwise). */
int pd_rp_need(struct pd_rp *p, struct pd_rp_tok *tk, const char *what);

/*
 * Appends the bytes of a character-string token with \X and \DDD resolved;
 * at most max of them ("character-string longer than 255 octets").
 * *n gets their count.
 */
int pd_rp_text(struct pd_rp *p, const struct pd_rp_tok *tk, size_t max, size_t *n);

/* A \DDD escape at s[i] == '\\' (s[0..n)): its value, or -1. */
int pd_rp_ddd(const char *s, size_t i, size_t n);

/* Decimal 0..max, leading zeros allowed: 0 and *v, or -1. */
int pd_rp_uint(const char *s, size_t n, uint32_t max, uint32_t *v);

/* An IPv4 or IPv6 address s[0..n) in its presentation: 0 or -1. */
int pd_rp_ipv4(const char *s, size_t n, uint8_t out[4]);
int pd_rp_ipv6(const char *s, size_t n, uint8_t out[16]);

/* Base64 of s[0..n) as one field (no spaces); "-" is empty. */
int pd_rp_b64_field(struct pd_rp *p, const struct pd_rp_tok *tk);

/* The rest of the text as an NSEC type list, or as SvcParams of a record
 * whose canonical params start at output offset p->len. */
int pd_rp_bitmap(struct pd_rp *p);
int pd_rp_svc(struct pd_rp *p);

#endif
