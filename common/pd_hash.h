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
	uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull);
	while (n >= 8) {
		uint64_t v;
		memcpy(&v, s, 8);
		h = (h ^ v) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
		s += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = 0;
		memcpy(&v, s, n);
		h = (h ^ v) * 0x94d049bb133111ebull;
	}
	return pd_hash_mix(h);
}

#endif
