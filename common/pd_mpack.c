#include "pd_mpack.h"

#include <string.h>

#include "pd_err.h"

void pd_mpack_rd_init(struct pd_mpack_rd *r, const void *base, size_t len)
{
	r->base = (const uint8_t *)base;
	r->len = len;
	r->pos = 0;
	r->err = 0;
}

size_t pd_mpack_rd_left(const struct pd_mpack_rd *r)
{
	return r->err ? 0 : r->len - r->pos;
}

int pd_mpack_rd_fail(struct pd_mpack_rd *r, int err)
{
	if (!r->err)
		r->err = err;
	return r->err;
}

static inline int need(struct pd_mpack_rd *r, size_t n)
{
	if (r->err)
		return 0;
	if (r->len - r->pos < n) {
		r->err = PD_ETRUNC;
		return 0;
	}
	return 1;
}

static inline uint64_t load_be(const uint8_t *p, unsigned w)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < w; i++)
		v = v << 8 | p[i];
	return v;
}

enum pd_mpack_type pd_mpack_peek(const struct pd_mpack_rd *r)
{
	if (r->err || r->pos >= r->len)
		return PD_MPACK_NONE;
	uint8_t b = r->base[r->pos];
	if (b <= 0x7f)
		return PD_MPACK_UINT;
	if (b >= 0xe0)
		return PD_MPACK_INT;
	if (b <= 0x8f)
		return PD_MPACK_MAP;
	if (b <= 0x9f)
		return PD_MPACK_ARRAY;
	if (b <= 0xbf)
		return PD_MPACK_STR;
	switch (b) {
	case 0xc0: return PD_MPACK_NIL;
	case 0xc2: case 0xc3: return PD_MPACK_BOOL;
	case 0xc4: case 0xc5: case 0xc6: return PD_MPACK_BIN;
	case 0xc7: case 0xc8: case 0xc9: return PD_MPACK_EXT;
	case 0xca: case 0xcb: return PD_MPACK_FLOAT;
	case 0xcc: case 0xcd: case 0xce: case 0xcf: return PD_MPACK_UINT;
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: return PD_MPACK_EXT;
	case 0xd9: case 0xda: case 0xdb: return PD_MPACK_STR;
	case 0xdc: case 0xdd: return PD_MPACK_ARRAY;
	case 0xde: case 0xdf: return PD_MPACK_MAP;
	case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
		/* Signed encodings may hold non-negative values. */
		unsigned w = 1u << (b - 0xd0);
		if (r->len - r->pos < 1 + w)
			return PD_MPACK_INT;
		return (r->base[r->pos + 1] & 0x80) ? PD_MPACK_INT : PD_MPACK_UINT;
	}
	default: return PD_MPACK_NONE; /* 0xc1 */
	}
}

/*
 * Reads a container header whose fixed form is fix_tag|n (n < 16) and whose
 * 16- and 32-bit forms are tag16 and tag16 + 1. Each item needs per_item
 * bytes at least, so a count the input cannot hold is refused here.
 */
static int read_container(struct pd_mpack_rd *r, uint8_t fix_tag, uint8_t tag16,
                          unsigned per_item, uint32_t *n)
{
	*n = 0;
	if (!need(r, 1))
		return r->err;
	uint8_t b = r->base[r->pos];
	uint32_t c;
	if ((b & 0xf0) == fix_tag) {
		c = b & 0x0f;
		r->pos += 1;
	} else if (b == tag16 || b == tag16 + 1) {
		unsigned w = b == tag16 ? 2 : 4;
		if (!need(r, 1 + w))
			return r->err;
		c = (uint32_t)load_be(r->base + r->pos + 1, w);
		r->pos += 1 + w;
	} else {
		return pd_mpack_rd_fail(r, PD_EMALF);
	}
	if ((uint64_t)c * per_item > r->len - r->pos)
		return pd_mpack_rd_fail(r, PD_ETRUNC);
	*n = c;
	return 0;
}

int pd_mpack_read_array(struct pd_mpack_rd *r, uint32_t *n)
{
	return read_container(r, 0x90, 0xdc, 1, n);
}

int pd_mpack_read_map(struct pd_mpack_rd *r, uint32_t *n)
{
	return read_container(r, 0x80, 0xde, 2, n);
}

int pd_mpack_read_nil(struct pd_mpack_rd *r)
{
	if (!need(r, 1))
		return r->err;
	if (r->base[r->pos] != 0xc0)
		return pd_mpack_rd_fail(r, PD_EMALF);
	r->pos++;
	return 0;
}

int pd_mpack_read_bool(struct pd_mpack_rd *r, bool *v)
{
	*v = false;
	if (!need(r, 1))
		return r->err;
	uint8_t b = r->base[r->pos];
	if (b != 0xc2 && b != 0xc3)
		return pd_mpack_rd_fail(r, PD_EMALF);
	r->pos++;
	*v = b == 0xc3;
	return 0;
}

/*
 * Reads any integer encoding. *neg is set for a negative value, which *u
 * then holds in two's complement.
 */
static int read_int_any(struct pd_mpack_rd *r, int *neg, uint64_t *u)
{
	*neg = 0;
	*u = 0;
	if (!need(r, 1))
		return r->err;
	uint8_t b = r->base[r->pos];
	if (b <= 0x7f || b >= 0xe0) {
		r->pos++;
		*neg = b >= 0xe0;
		*u = *neg ? (uint64_t)b | ~(uint64_t)0xff : b;
		return 0;
	}
	int is_signed;
	if (b >= 0xcc && b <= 0xcf)
		is_signed = 0;
	else if (b >= 0xd0 && b <= 0xd3)
		is_signed = 1;
	else
		return pd_mpack_rd_fail(r, PD_EMALF);
	unsigned w = 1u << (b & 3);
	if (!need(r, 1 + w))
		return r->err;
	uint64_t v = load_be(r->base + r->pos + 1, w);
	r->pos += 1 + w;
	if (is_signed && (v >> (w * 8 - 1)) & 1) {
		if (w < 8)
			v |= ~(uint64_t)0 << (w * 8);
		*neg = 1;
	}
	*u = v;
	return 0;
}

int pd_mpack_read_u64(struct pd_mpack_rd *r, uint64_t *v)
{
	int neg;
	*v = 0;
	if (read_int_any(r, &neg, v))
		return r->err;
	if (neg) {
		*v = 0;
		return pd_mpack_rd_fail(r, PD_EMALF);
	}
	return 0;
}

int pd_mpack_read_i64(struct pd_mpack_rd *r, int64_t *v)
{
	int neg;
	uint64_t u;
	*v = 0;
	if (read_int_any(r, &neg, &u))
		return r->err;
	if (neg)
		*v = -(int64_t)~u - 1; /* ~u = -v - 1 fits in int64 */
	else if (u <= INT64_MAX)
		*v = (int64_t)u;
	else
		return pd_mpack_rd_fail(r, PD_EMALF);
	return 0;
}

#define PD_MPACK_READ_UINT(name, type, max)                         \
	int name(struct pd_mpack_rd *r, type *v)                    \
	{                                                           \
		uint64_t u;                                         \
		*v = 0;                                             \
		if (pd_mpack_read_u64(r, &u))                       \
			return r->err;                              \
		if (u > (max))                                      \
			return pd_mpack_rd_fail(r, PD_EMALF);       \
		*v = (type)u;                                       \
		return 0;                                           \
	}

#define PD_MPACK_READ_INT(name, type, min, max)                     \
	int name(struct pd_mpack_rd *r, type *v)                    \
	{                                                           \
		int64_t s;                                          \
		*v = 0;                                             \
		if (pd_mpack_read_i64(r, &s))                       \
			return r->err;                              \
		if (s < (min) || s > (max))                         \
			return pd_mpack_rd_fail(r, PD_EMALF);       \
		*v = (type)s;                                       \
		return 0;                                           \
	}

PD_MPACK_READ_UINT(pd_mpack_read_u8, uint8_t, UINT8_MAX)
PD_MPACK_READ_UINT(pd_mpack_read_u16, uint16_t, UINT16_MAX)
PD_MPACK_READ_UINT(pd_mpack_read_u32, uint32_t, UINT32_MAX)
PD_MPACK_READ_INT(pd_mpack_read_i8, int8_t, INT8_MIN, INT8_MAX)
PD_MPACK_READ_INT(pd_mpack_read_i16, int16_t, INT16_MIN, INT16_MAX)
PD_MPACK_READ_INT(pd_mpack_read_i32, int32_t, INT32_MIN, INT32_MAX)

/*
 * Reads a bin (tag8 = 0xc4) or str (tag8 = 0xd9, plus fixstr) as a view;
 * the 16- and 32-bit length forms follow tag8.
 */
static int read_blob(struct pd_mpack_rd *r, uint8_t tag8, int fixstr,
                     const uint8_t **p, size_t *n)
{
	*p = NULL;
	*n = 0;
	if (!need(r, 1))
		return r->err;
	uint8_t b = r->base[r->pos];
	size_t len;
	if (fixstr && (b & 0xe0) == 0xa0) {
		len = b & 0x1f;
		r->pos += 1;
	} else if (b >= tag8 && b <= tag8 + 2) {
		unsigned w = 1u << (b - tag8);
		if (!need(r, 1 + w))
			return r->err;
		len = (size_t)load_be(r->base + r->pos + 1, w);
		r->pos += 1 + w;
	} else {
		return pd_mpack_rd_fail(r, PD_EMALF);
	}
	if (len > r->len - r->pos)
		return pd_mpack_rd_fail(r, PD_ETRUNC);
	*p = len ? r->base + r->pos : NULL;
	*n = len;
	r->pos += len;
	return 0;
}

int pd_mpack_read_bin(struct pd_mpack_rd *r, const uint8_t **p, size_t *n)
{
	return read_blob(r, 0xc4, 0, p, n);
}

int pd_mpack_read_str(struct pd_mpack_rd *r, const char **p, size_t *n)
{
	const uint8_t *u;
	int rc = read_blob(r, 0xd9, 1, &u, n);
	*p = (const char *)u;
	return rc;
}

/*
 * Consumes one value's header and any payload it carries. For a container
 * *items is the number of values that follow inside it (2n for a map) and
 * *container is set; scalars are consumed whole.
 */
static int skip_head(struct pd_mpack_rd *r, uint64_t *items, int *container)
{
	*items = 0;
	*container = 0;
	uint32_t n;
	const uint8_t *p;
	size_t len;
	switch (pd_mpack_peek(r)) {
	case PD_MPACK_ARRAY:
		*container = 1;
		pd_mpack_read_array(r, &n);
		*items = n;
		return r->err;
	case PD_MPACK_MAP:
		*container = 1;
		pd_mpack_read_map(r, &n);
		*items = (uint64_t)n * 2;
		return r->err;
	case PD_MPACK_STR:
		return read_blob(r, 0xd9, 1, &p, &len);
	case PD_MPACK_BIN:
		return read_blob(r, 0xc4, 0, &p, &len);
	case PD_MPACK_NONE:
		return need(r, 1) ? pd_mpack_rd_fail(r, PD_EMALF) : r->err;
	default:
		break;
	}
	uint8_t b = r->base[r->pos];
	size_t size;
	if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
		size = 1;
	else if (b == 0xca || b == 0xcb)
		size = b == 0xca ? 5 : 9;
	else if ((b >= 0xcc && b <= 0xcf) || (b >= 0xd0 && b <= 0xd3))
		size = 1 + (1u << (b & 3));
	else if (b >= 0xd4 && b <= 0xd8)
		size = 2 + (1u << (b - 0xd4)); /* fixext: type byte + data */
	else { /* ext8/16/32: length, type byte, data */
		unsigned w = 1u << (b - 0xc7);
		if (!need(r, 1 + w))
			return r->err;
		size = 2 + w + (size_t)load_be(r->base + r->pos + 1, w);
		if (size < 2 + w) /* overflow on 32-bit size_t */
			return pd_mpack_rd_fail(r, PD_ETRUNC);
	}
	if (!need(r, size))
		return r->err;
	r->pos += size;
	return 0;
}

int pd_mpack_skip(struct pd_mpack_rd *r, unsigned max_depth)
{
	uint64_t outer[PD_MPACK_DEPTH_MAX];
	unsigned depth = 0; /* containers currently open */
	uint64_t pending = 1; /* values left at the current level */
	if (max_depth > PD_MPACK_DEPTH_MAX)
		max_depth = PD_MPACK_DEPTH_MAX;
	for (;;) {
		while (pending == 0) {
			if (depth == 0)
				return 0;
			pending = outer[--depth];
		}
		pending--;
		uint64_t items;
		int container;
		if (skip_head(r, &items, &container))
			return r->err;
		if (!container)
			continue;
		if (depth >= max_depth)
			return pd_mpack_rd_fail(r, PD_ELIMIT);
		outer[depth++] = pending;
		pending = items;
	}
}

/* Writer */

static size_t put_be(uint8_t *out, uint8_t tag, uint64_t v, unsigned w)
{
	out[0] = tag;
	for (unsigned i = 0; i < w; i++)
		out[1 + i] = (uint8_t)(v >> (8 * (w - 1 - i)));
	return 1 + w;
}

/* Header with a fixed form (fix_tag|n below fix_lim) then 8/16/32-bit forms. */
static size_t head(uint8_t *out, uint8_t fix_tag, uint64_t fix_lim, uint8_t tag8,
                   uint8_t tag16, uint64_t n)
{
	if (n < fix_lim) {
		out[0] = (uint8_t)(fix_tag | n);
		return 1;
	}
	if (tag8 && n <= UINT8_MAX)
		return put_be(out, tag8, n, 1);
	if (n <= UINT16_MAX)
		return put_be(out, tag16, n, 2);
	return put_be(out, (uint8_t)(tag16 + 1), n, 4);
}

int pd_mpack_write_array(struct pd_buf *b, uint32_t n)
{
	uint8_t h[PD_MPACK_HDR_MAX_LEN];
	return pd_buf_add(b, h, head(h, 0x90, 16, 0, 0xdc, n));
}

int pd_mpack_write_map(struct pd_buf *b, uint32_t n)
{
	uint8_t h[PD_MPACK_HDR_MAX_LEN];
	return pd_buf_add(b, h, head(h, 0x80, 16, 0, 0xde, n));
}

int pd_mpack_write_nil(struct pd_buf *b)
{
	return pd_buf_addc(b, (char)0xc0);
}

int pd_mpack_write_bool(struct pd_buf *b, bool v)
{
	return pd_buf_addc(b, (char)(v ? 0xc3 : 0xc2));
}

int pd_mpack_write_uint(struct pd_buf *b, uint64_t v)
{
	uint8_t h[PD_MPACK_INT_MAX_LEN];
	size_t n;
	if (v <= 0x7f) {
		h[0] = (uint8_t)v;
		n = 1;
	} else if (v <= UINT8_MAX) {
		n = put_be(h, 0xcc, v, 1);
	} else if (v <= UINT16_MAX) {
		n = put_be(h, 0xcd, v, 2);
	} else if (v <= UINT32_MAX) {
		n = put_be(h, 0xce, v, 4);
	} else {
		n = put_be(h, 0xcf, v, 8);
	}
	return pd_buf_add(b, h, n);
}

int pd_mpack_write_int(struct pd_buf *b, int64_t v)
{
	if (v >= 0)
		return pd_mpack_write_uint(b, (uint64_t)v);
	uint8_t h[PD_MPACK_INT_MAX_LEN];
	uint64_t u = (uint64_t)v;
	size_t n;
	if (v >= -32) {
		h[0] = (uint8_t)u;
		n = 1;
	} else if (v >= INT8_MIN) {
		n = put_be(h, 0xd0, u, 1);
	} else if (v >= INT16_MIN) {
		n = put_be(h, 0xd1, u, 2);
	} else if (v >= INT32_MIN) {
		n = put_be(h, 0xd2, u, 4);
	} else {
		n = put_be(h, 0xd3, u, 8);
	}
	return pd_buf_add(b, h, n);
}

static int write_blob(struct pd_buf *b, size_t h_len, const uint8_t *h, const void *p,
                      size_t n)
{
	int rc = pd_buf_reserve(b, h_len + n);
	if (rc < 0)
		return rc;
	pd_buf_add(b, h, h_len);
	pd_buf_add(b, p, n);
	return 0;
}

int pd_mpack_write_bin(struct pd_buf *b, const void *p, size_t n)
{
	uint8_t h[PD_MPACK_HDR_MAX_LEN];
	if ((uint64_t)n > UINT32_MAX)
		return PD_ELIMIT;
	/* bin has no fixed form: a limit of 0 disables it. */
	return write_blob(b, head(h, 0, 0, 0xc4, 0xc5, n), h, p, n);
}

int pd_mpack_write_str(struct pd_buf *b, const char *p, size_t n)
{
	uint8_t h[PD_MPACK_HDR_MAX_LEN];
	if ((uint64_t)n > UINT32_MAX)
		return PD_ELIMIT;
	return write_blob(b, head(h, 0xa0, 32, 0xd9, 0xda, n), h, p, n);
}
