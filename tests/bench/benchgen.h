/*
 * benchgen: what the ingest benchmarks share: a monotonic clock, a
 * xorshift generator, and the tuple stream ("t<i>.z<i mod 5000>.bench" A
 * 10.x.y.z) in which a share of observations repeats earlier tuples,
 * skewed towards the first (popular) ones.
 */
#ifndef BENCHGEN_H
#define BENCHGEN_H

#include <stdint.h>
#include <stdio.h>
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

/* Tuple i: its wire name into name (64 bytes suffice), 4 rdata bytes into
 * rd; returns the name's length. */
static inline size_t bench_tuple(uint64_t i, uint8_t *name, uint8_t *rd)
{
	char a[24], b[24];
	int la = snprintf(a, sizeof(a), "t%llu", (unsigned long long)i);
	int lb = snprintf(b, sizeof(b), "z%llu", (unsigned long long)(i % 5000));
	size_t n = 0;
	name[n++] = (uint8_t)la;
	memcpy(name + n, a, (size_t)la);
	n += (size_t)la;
	name[n++] = (uint8_t)lb;
	memcpy(name + n, b, (size_t)lb);
	n += (size_t)lb;
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
