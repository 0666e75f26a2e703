/*
 * pd_hash: a fast 64-bit hash for table lookups (not cryptographic).
 * Tables that hold attacker-influenced keys pass a per-process random seed
 * so collisions cannot be precomputed.
 */
#ifndef PD_HASH_H
#define PD_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t pd_hash_mix(uint64_t x)
{
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	x *= 0xd6e8feb86659fd93ull;
	x ^= x >> 32;
	return x;
}

static inline uint64_t pd_hash(const void *data, size_t n, uint64_t seed)
{
	const uint8_t *s = (const uint8_t *)data;
	uint64_t a = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull), b = seed + 0x632be59bd9b4e019ull;
	/* Two independent lanes, so the multiplies overlap. */
	while (n >= 16) {
		uint64_t v, w;
		memcpy(&v, s, 8);
		memcpy(&w, s + 8, 8);
		a = (a ^ v) * 0xbf58476d1ce4e5b9ull;
		b = (b ^ w) * 0x94d049bb133111ebull;
		a ^= a >> 31;
		b ^= b >> 29;
		s += 16;
		n -= 16;
	}
	if (n >= 8) {
		uint64_t v;
		memcpy(&v, s, 8);
		a = (a ^ v) * 0xbf58476d1ce4e5b9ull;
		a ^= a >> 31;
		s += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = 0;
		memcpy(&v, s, n);
		b = (b ^ v) * 0x94d049bb133111ebull;
	}
	return pd_hash_mix(a ^ (b * 0xd6e8feb86659fd93ull));
}

/* Byte equality for short keys without a call to memcmp. */
static inline int pd_mem_equal(const void *x, const void *y, size_t n)
{
	const uint8_t *p = (const uint8_t *)x, *q = (const uint8_t *)y;
	uint64_t diff = 0;
	while (n >= 8) {
		uint64_t u, v;
		memcpy(&u, p, 8);
		memcpy(&v, q, 8);
		diff |= u ^ v;
		p += 8;
		q += 8;
		n -= 8;
	}
	while (n--)
		diff |= (uint64_t)(*p++ ^ *q++);
	return diff == 0;
}

#endif
