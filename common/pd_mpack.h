/*
 * pd_mpack: a small MessagePack reader and writer of our own.
 *
 * msgpack-c's unpacker allocates whatever a header declares (a 5-byte array32
 * header reserves gigabytes; see PLATFORM-NOTES.md), so bytes from the network
 * are read here instead, and written here too so that both directions agree
 * on every encoding. This module neither links nor includes msgpack-c.
 *
 * Reader: struct pd_mpack_rd walks a borrowed byte range with a sticky error
 * (after pd_wire). Every read returns 0 or the sticky error; once an error is
 * set every later read fails with it and leaves its outputs zeroed. Strings
 * and bins come back as views into the input, never copies. Every declared
 * count or length is checked against the bytes that remain before it is
 * returned (an array of n elements needs at least n bytes, a map of n pairs
 * 2n, a bin of n bytes n), so a caller that sizes anything from a count is
 * bounded by the input's length. Errors: PD_ETRUNC (the input ends before
 * the value, or a header declares more than remains), PD_EMALF (another type
 * than asked for, a reserved byte, an integer outside the caller's type),
 * PD_ELIMIT (pd_mpack_skip nested deeper than its cap).
 *
 * Writer: appends the smallest encoding of each value to a capped pd_buf.
 * Returns 0, PD_ELIMIT (buffer cap, or a length msgpack cannot express) or
 * -ENOMEM; on failure the buffer is unchanged.
 *
 * Pure functions over caller-owned memory: thread-safe as long as a reader or
 * buffer is not shared between threads.
 */
#ifndef PD_MPACK_H
#define PD_MPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pd_buf.h"

/* The deepest nesting pd_mpack_skip accepts as its cap. */
#define PD_MPACK_DEPTH_MAX 32

enum pd_mpack_type {
	PD_MPACK_NONE, /* end of input, reserved byte 0xc1, or sticky error */
	PD_MPACK_NIL,
	PD_MPACK_BOOL,
	PD_MPACK_UINT, /* any integer encoding holding a value >= 0 */
	PD_MPACK_INT,  /* any integer encoding holding a value < 0 */
	PD_MPACK_FLOAT,
	PD_MPACK_STR,
	PD_MPACK_BIN,
	PD_MPACK_ARRAY,
	PD_MPACK_MAP,
	PD_MPACK_EXT,
};

struct pd_mpack_rd {
	const uint8_t *base;
	size_t len;
	size_t pos;
	int err;
};

void pd_mpack_rd_init(struct pd_mpack_rd *r, const void *base, size_t len);

/* Bytes not yet read (0 after an error). */
size_t pd_mpack_rd_left(const struct pd_mpack_rd *r);

/* Sets the sticky error (if none is set yet) and returns the sticky error. */
int pd_mpack_rd_fail(struct pd_mpack_rd *r, int err);

/* The type of the next value without consuming it. */
enum pd_mpack_type pd_mpack_peek(const struct pd_mpack_rd *r);

/* Headers: *n elements (array) or *n key/value pairs (map). */
int pd_mpack_read_array(struct pd_mpack_rd *r, uint32_t *n);
int pd_mpack_read_map(struct pd_mpack_rd *r, uint32_t *n);

int pd_mpack_read_nil(struct pd_mpack_rd *r);
int pd_mpack_read_bool(struct pd_mpack_rd *r, bool *v);

/*
 * Integers: any msgpack integer encoding is accepted (fixint, uint8..64,
 * int8..64) if its value fits the destination type; otherwise PD_EMALF.
 */
int pd_mpack_read_u8(struct pd_mpack_rd *r, uint8_t *v);
int pd_mpack_read_u16(struct pd_mpack_rd *r, uint16_t *v);
int pd_mpack_read_u32(struct pd_mpack_rd *r, uint32_t *v);
int pd_mpack_read_u64(struct pd_mpack_rd *r, uint64_t *v);
int pd_mpack_read_i8(struct pd_mpack_rd *r, int8_t *v);
int pd_mpack_read_i16(struct pd_mpack_rd *r, int16_t *v);
int pd_mpack_read_i32(struct pd_mpack_rd *r, int32_t *v);
int pd_mpack_read_i64(struct pd_mpack_rd *r, int64_t *v);

/* Views into the input: *p points at *n bytes (*p is NULL when *n is 0). */
int pd_mpack_read_bin(struct pd_mpack_rd *r, const uint8_t **p, size_t *n);
int pd_mpack_read_str(struct pd_mpack_rd *r, const char **p, size_t *n);

/*
 * Skips one value of any type, containers included, iteratively (a stack of
 * pending counts, no recursion). max_depth is the deepest container nesting
 * allowed (0: scalars only; at most PD_MPACK_DEPTH_MAX); deeper is PD_ELIMIT.
 */
int pd_mpack_skip(struct pd_mpack_rd *r, unsigned max_depth);

int pd_mpack_write_array(struct pd_buf *b, uint32_t n);
int pd_mpack_write_map(struct pd_buf *b, uint32_t n);
int pd_mpack_write_nil(struct pd_buf *b);
int pd_mpack_write_bool(struct pd_buf *b, bool v);
int pd_mpack_write_uint(struct pd_buf *b, uint64_t v);
int pd_mpack_write_int(struct pd_buf *b, int64_t v);
int pd_mpack_write_bin(struct pd_buf *b, const void *p, size_t n);
int pd_mpack_write_str(struct pd_buf *b, const char *p, size_t n);

/* Upper bounds of the encoded size of a header or integer, for reservations. */
#define PD_MPACK_INT_MAX_LEN 9
#define PD_MPACK_HDR_MAX_LEN 5

#endif
