/* Unit tests for pd_sha256: the FIPS 180-4 example vectors, and the CPU's
 * SHA extensions against mbedTLS for every length up to 1,100 bytes split
 * in every way around block edges, and for a large random message. On a
 * CPU without the extensions both sides are mbedTLS; the test says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_sha256.h"

static void hex(const uint8_t d[32], char out[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void check(const char *msg, size_t len, const char *want)
{
	uint8_t d[32];
	char got[65];
	for (int cpu = 0; cpu < 2; cpu++) {
		pd_sha256_use_cpu(cpu);
		pd_sha256_cat(msg, len, NULL, 0, d);
		hex(d, got);
		assert_string_equal(got, want);
		/* The same message split in two. */
		pd_sha256_cat(msg, len / 3, msg + len / 3, len - len / 3, d);
		hex(d, got);
		assert_string_equal(got, want);
	}
	pd_sha256_use_cpu(1);
}

static void test_fips_vectors(void **state)
{
	(void)state;
	check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	check(m448, strlen(m448),
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	                   "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	check(m896, strlen(m896),
	      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
	char *million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	check(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

static void test_cpu_matches_mbedtls(void **state)
{
	(void)state;
	if (!pd_sha256_use_cpu(1))
		print_message("note: this CPU has no SHA extensions; both sides are mbedTLS\n");
	uint8_t *m = malloc(1 << 20);
	assert_non_null(m);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < (1u << 20); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		m[i] = (uint8_t)x;
	}
	uint8_t a[32], b[32];
	for (size_t len = 0; len <= 1100; len++) {
		size_t cuts[] = { 0, 1, 55, 56, 63, 64, 65, 119, 128, len / 2, len };
		for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
			size_t cut = cuts[c] <= len ? cuts[c] : len;
			pd_sha256_use_cpu(0);
			pd_sha256_cat(m, cut, m + cut, len - cut, a);
			pd_sha256_use_cpu(1);
			pd_sha256_cat(m, cut, m + cut, len - cut, b);
			if (memcmp(a, b, 32) != 0)
				fail_msg("length %zu cut at %zu: digests differ", len, cut);
		}
	}
	pd_sha256_use_cpu(0);
	pd_sha256_cat(m, 17, m + 17, (1u << 20) - 17, a);
	pd_sha256_use_cpu(1);
	pd_sha256_cat(m, 17, m + 17, (1u << 20) - 17, b);
	assert_memory_equal(a, b, 32);
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_vectors),
		cmocka_unit_test(test_cpu_matches_mbedtls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
