/*
 * benchgen: what the ingest benchmarks share: a monotonic clock, a
 * xorshift generator, and the tuple stream ("t<i>.z<i mod 5000>.bench" A
 * 10.x.y.z) in which a share of observations repeats earlier tuples,
 * skewed towards the first (popular) ones.
 */
#ifndef BENCHGEN_H
#define BENCHGEN_H

#include <stdint.h>
#include <string.h>
#include <time.h>

static inline double bench_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t bench_rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Writes label prefix followed by v in decimal at out, as a wire label
 * (length byte first); returns the bytes written. By hand: two snprintf
 * calls per tuple were a fifth of the load generator's CPU, taken from the
 * aggregator it measures on the same two cores. */
static inline size_t bench_label(uint8_t *out, char prefix, uint64_t v)
{
	char d[20];
	size_t n = 0;
	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out[0] = (uint8_t)(n + 1);
	out[1] = (uint8_t)prefix;
	for (size_t k = 0; k < n; k++)
		out[2 + k] = (uint8_t)d[n - 1 - k];
	return n + 2;
}

/* Tuple i: its wire name into name (64 bytes suffice), 4 rdata bytes into
 * rd; returns the name's length. */
static inline size_t bench_tuple(uint64_t i, uint8_t *name, uint8_t *rd)
{
	size_t n = bench_label(name, 't', i);
	n += bench_label(name + n, 'z', i % 5000);
	memcpy(name + n, "\005bench\0", 7);
	n += 7;
	rd[0] = 10;
	rd[1] = (uint8_t)(i >> 16);
	rd[2] = (uint8_t)(i >> 8);
	rd[3] = (uint8_t)i;
	return n;
}

/* Whether the next observation repeats a tuple, with made tuples out of
 * tuples made so far and repeat the share of repeats. */
static inline int bench_repeats(uint64_t made, uint64_t tuples, double repeat, uint64_t *rng)
{
	return made > 0 && (made >= tuples || (double)(bench_rnd(rng) % 10000) / 1e4 < repeat);
}

/* Which of the made tuples a repeat is: popular (early) ones more often. */
static inline uint64_t bench_repeat_of(uint64_t made, uint64_t *rng)
{
	double u = (double)(bench_rnd(rng) % 1000000) / 1e6;
	return (uint64_t)((double)made * u * u * u);
}

#endif
