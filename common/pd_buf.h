/*
 * pd_buf: a growable byte buffer with a hard cap (after curl's dynbuf).
 * Appends fail with PD_ELIMIT instead of growing past max; the buffer stays
 * valid and unchanged on failure. Contents are not NUL-terminated unless
 * pd_buf_cstr() is called.
 */
#ifndef PD_BUF_H
#define PD_BUF_H

#include <stddef.h>
#include <stdint.h>

struct pd_buf {
	uint8_t *data;
	size_t len, cap, max;
};

void pd_buf_init(struct pd_buf *b, size_t max);
void pd_buf_fini(struct pd_buf *b);
void pd_buf_reset(struct pd_buf *b);
int pd_buf_grow(struct pd_buf *b, size_t more);

/* Makes room for more bytes (plus a NUL). Inline: the usual case is a
 * comparison; cap never exceeds max + 1, so it also respects the cap. */
static inline int pd_buf_reserve(struct pd_buf *b, size_t more)
{
	if (b->cap - b->len > more)
		return 0;
	return pd_buf_grow(b, more);
}
int pd_buf_add(struct pd_buf *b, const void *p, size_t n);
int pd_buf_addc(struct pd_buf *b, char c);
int pd_buf_adds(struct pd_buf *b, const char *s);
int pd_buf_addf(struct pd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pd_buf_add_u64(struct pd_buf *b, uint64_t v);
int pd_buf_add_i64(struct pd_buf *b, int64_t v);
/* Appends s as a JSON string literal (with quotes), escaping as RFC 8259. */
int pd_buf_add_json_str(struct pd_buf *b, const char *s, size_t n);
/* NUL-terminates (not counted in len) and returns the data as a string. */
const char *pd_buf_cstr(struct pd_buf *b);

/* Writes v in decimal to out (>= 21 bytes); returns the length. */
size_t pd_fmt_u64(char *out, uint64_t v);

#endif
