/*
 * pd_wire: a bounds-checked reader over a borrowed byte range, with a sticky
 * error (after Knot's wire_ctx). Every read past the end sets err to
 * PD_ETRUNC and returns zeroes; callers check err once after a run of reads.
 * Header-only so the hot paths inline it.
 */
#ifndef PD_WIRE_H
#define PD_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pd_err.h"

struct pd_wire {
	const uint8_t *base;
	size_t len;
	size_t pos;
	int err;
};

static inline void pd_wire_init(struct pd_wire *w, const void *base, size_t len)
{
	w->base = (const uint8_t *)base;
	w->len = len;
	w->pos = 0;
	w->err = 0;
}

static inline size_t pd_wire_left(const struct pd_wire *w)
{
	return w->err ? 0 : w->len - w->pos;
}

static inline const uint8_t *pd_wire_ptr(const struct pd_wire *w)
{
	return w->base + w->pos;
}

static inline int pd_wire_need(struct pd_wire *w, size_t n)
{
	if (w->err)
		return 0;
	if (w->len - w->pos < n) {
		w->err = PD_ETRUNC;
		return 0;
	}
	return 1;
}

static inline uint8_t pd_wire_u8(struct pd_wire *w)
{
	if (!pd_wire_need(w, 1))
		return 0;
	return w->base[w->pos++];
}

static inline uint16_t pd_wire_u16(struct pd_wire *w)
{
	if (!pd_wire_need(w, 2))
		return 0;
	const uint8_t *p = w->base + w->pos;
	w->pos += 2;
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t pd_wire_u32(struct pd_wire *w)
{
	if (!pd_wire_need(w, 4))
		return 0;
	const uint8_t *p = w->base + w->pos;
	w->pos += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pd_wire_skip(struct pd_wire *w, size_t n)
{
	if (pd_wire_need(w, n))
		w->pos += n;
}

/* Returns a pointer to the next n bytes and advances, or NULL (sticky error). */
static inline const uint8_t *pd_wire_take(struct pd_wire *w, size_t n)
{
	if (!pd_wire_need(w, n))
		return NULL;
	const uint8_t *p = w->base + w->pos;
	w->pos += n;
	return p;
}

/*
 * Copies n bytes (short: names, labels, keys) without a call or GCC's
 * "rep movsq" expansion, which costs tens of cycles to start.
 */
static inline void pd_copy_small(uint8_t *dst, const uint8_t *src, size_t n)
{
	while (n >= 8) {
		memcpy(dst, src, 8);
		dst += 8;
		src += 8;
		n -= 8;
	}
	if (n >= 4) {
		memcpy(dst, src, 4);
		memcpy(dst + n - 4, src + n - 4, 4);
	} else if (n >= 2) {
		memcpy(dst, src, 2);
		memcpy(dst + n - 2, src + n - 2, 2);
	} else if (n) {
		*dst = *src;
	}
}

static inline uint16_t pd_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t pd_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pd_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pd_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
