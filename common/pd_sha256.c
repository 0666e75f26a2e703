#include "pd_sha256.h"

#include <stdatomic.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "pd_wire.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define PD_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static _Atomic int use_cpu = -1; /* -1: not yet detected */

#ifdef PD_SHA_NI

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static int cpu_has_sha(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSSE3) || !(c & bit_SSE4_1))
		return 0;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & bit_SHA) != 0;
}

/*
 * Hashes n 64-byte blocks into h with SHA256RNDS2 (two rounds each) and
 * SHA256MSG1/MSG2 (the message schedule). The instructions keep the state
 * as ABEF and CDGH; it is rearranged from and back to h's A..H order.
 */
__attribute__((target("sha,sse4.1,ssse3")))
static void blocks_ni(uint32_t h[8], const uint8_t *p, size_t n)
{
	const __m128i swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);
	__m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B);
	__m128i abef = _mm_alignr_epi8(dcba, efgh, 8);
	__m128i cdgh = _mm_blend_epi16(efgh, dcba, 0xF0);
	for (; n > 0; n--, p += 64) {
		__m128i abef0 = abef, cdgh0 = cdgh, w[4];
		for (int i = 0; i < 16; i++) {
			__m128i m;
			if (i < 4) {
				m = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * i)), swap);
			} else {
				/* w[t] = s1(w[t-2]) + w[t-7] + s0(w[t-15]) + w[t-16], four at a time */
				m = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
				m = _mm_add_epi32(m, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
				m = _mm_sha256msg2_epu32(m, w[(i + 3) & 3]);
			}
			w[i & 3] = m;
			__m128i wk = _mm_add_epi32(m, _mm_loadu_si128((const __m128i *)&K[4 * i]));
			/* Two rounds make the old ABEF the new CDGH, so each call
			 * returns the new ABEF into the other's place. */
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
		}
		abef = _mm_add_epi32(abef, abef0);
		cdgh = _mm_add_epi32(cdgh, cdgh0);
	}
	__m128i feba = _mm_shuffle_epi32(abef, 0x1B);
	__m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
	_mm_storeu_si128((__m128i *)&h[0], _mm_blend_epi16(feba, dchg, 0xF0));
	_mm_storeu_si128((__m128i *)&h[4], _mm_alignr_epi8(dchg, feba, 8));
}

static void cat_ni(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	uint8_t buf[128];
	size_t have = 0;
	const uint8_t *part[2] = { a, b };
	size_t len[2] = { alen, blen };
	for (int k = 0; k < 2; k++) {
		const uint8_t *q = part[k];
		size_t left = len[k];
		if (have > 0 && left > 0) {
			size_t take = 64 - have < left ? 64 - have : left;
			memcpy(buf + have, q, take);
			have += take, q += take, left -= take;
			if (have == 64) {
				blocks_ni(h, buf, 1);
				have = 0;
			}
		}
		if (left >= 64) {
			blocks_ni(h, q, left / 64);
			q += left / 64 * 64;
			left %= 64;
		}
		if (left > 0)
			memcpy(buf + have, q, left);
		have += left;
	}
	/* Padding: 0x80, zeros, the length in bits (big-endian), to a block end. */
	uint64_t bits = ((uint64_t)alen + blen) * 8;
	buf[have++] = 0x80;
	size_t end = have <= 56 ? 64 : 128;
	memset(buf + have, 0, end - have);
	pd_put_be32(buf + end - 8, (uint32_t)(bits >> 32));
	pd_put_be32(buf + end - 4, (uint32_t)bits);
	blocks_ni(h, buf, end / 64);
	for (int i = 0; i < 8; i++)
		pd_put_be32(out + 4 * i, h[i]);
}

#endif /* PD_SHA_NI */

static void cat_mbedtls(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                        uint8_t out[32])
{
	mbedtls_sha256_context c;
	mbedtls_sha256_init(&c);
	/* SHA-256 cannot fail in software; the _ret forms only report hardware faults. */
	(void)mbedtls_sha256_starts_ret(&c, 0);
	(void)mbedtls_sha256_update_ret(&c, a, alen);
	(void)mbedtls_sha256_update_ret(&c, b, blen);
	(void)mbedtls_sha256_finish_ret(&c, out);
	mbedtls_sha256_free(&c);
}

int pd_sha256_use_cpu(int allow)
{
#ifdef PD_SHA_NI
	int on = allow && cpu_has_sha();
#else
	int on = 0;
	(void)allow;
#endif
	atomic_store_explicit(&use_cpu, on, memory_order_relaxed);
	return on;
}

void pd_sha256_cat(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
	int on = atomic_load_explicit(&use_cpu, memory_order_relaxed);
	if (on < 0)
		on = pd_sha256_use_cpu(1);
#ifdef PD_SHA_NI
	if (on) {
		cat_ni(a, alen, b, blen, out);
		return;
	}
#endif
	cat_mbedtls(a, alen, b, blen, out);
}
