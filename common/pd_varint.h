/*
 * pd_varint: LEB128 unsigned varints and zigzag signed ones, for compact
 * stored records. Decoding is bounds-checked and rejects over-long input.
 */
#ifndef PD_VARINT_H
#define PD_VARINT_H

#include <stddef.h>
#include <stdint.h>

#include "pd_err.h"

#define PD_VARINT_MAX 10

static inline size_t pd_put_var(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline int pd_get_var(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t r = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return PD_EMALF;
		uint8_t b = p[(*pos)++];
		if (shift == 63 && b > 1)
			return PD_EMALF; /* bits past 64 */
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return PD_EMALF;
}

static inline uint64_t pd_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t pd_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

#endif
