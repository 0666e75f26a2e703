/*
 * pd_sha256: SHA-256 for batch signatures, where the hash of every batch
 * body costs as much CPU as the TLS that carries it. On x86-64 CPUs with
 * the SHA extensions (SHA-NI) the blocks are hashed with them, several
 * times faster than mbedTLS's portable code; elsewhere mbedTLS hashes.
 * Both give the same digest (FIPS 180-4); tests/unit/test_pd_sha256.c
 * checks the two against each other and against the standard's vectors.
 */
#ifndef PD_SHA256_H
#define PD_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 of a followed by b (either may be empty). */
void pd_sha256_cat(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32]);

/*
 * Whether pd_sha256_cat uses the CPU's SHA extensions. allow 0 makes it
 * use mbedTLS from now on, allow 1 lets it use the extensions again if
 * the CPU has them (the default). For tests and benchmarks: a hash
 * running in another thread meanwhile uses either path (both are right).
 */
int pd_sha256_use_cpu(int allow);

#endif
