/*
 * pd_codec: text encodings of binary data: hex, base64 (RFC 4648 section 4,
 * with padding) and base32hex (RFC 4648 section 7, upper case, no padding,
 * as NSEC3 presents hashed owner names).
 *
 * Pure and thread-safe; buffers are the caller's. Encoders write exactly
 * pd_*_len(n) characters and no NUL. All functions return the number of
 * bytes or characters written, PD_ESPACE when cap is too small, PD_ELIMIT
 * when the result would not fit in an int, or (decoders) PD_EMALF.
 */
#ifndef PD_CODEC_H
#define PD_CODEC_H

#include <stddef.h>
#include <stdint.h>

static inline size_t pd_hex_len(size_t n)
{
	return n * 2;
}

static inline size_t pd_b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

static inline size_t pd_b32hex_len(size_t n)
{
	return (n * 8 + 4) / 5;
}

/* Upper-case hex. */
int pd_hex_encode(const uint8_t *src, size_t n, char *dst, size_t cap);

/* Hex of either case; an odd length or a non-hex character is PD_EMALF. */
int pd_hex_decode(const char *src, size_t n, uint8_t *dst, size_t cap);

int pd_b64_encode(const uint8_t *src, size_t n, char *dst, size_t cap);

/*
 * Strict base64: the length must be a multiple of 4, '=' only as padding at
 * the end, no whitespace, and the bits that padding leaves over must be
 * zero, so that each byte string has exactly one accepted text form.
 */
int pd_b64_decode(const char *src, size_t n, uint8_t *dst, size_t cap);

int pd_b32hex_encode(const uint8_t *src, size_t n, char *dst, size_t cap);

#endif
