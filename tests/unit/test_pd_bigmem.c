/* Unit tests for pd_bigmem: zero-filled, aligned, writable end to end
 * (several huge pages' worth and a tiny one), and freeing NULL. Whether
 * the kernel backs a table with huge pages is its choice, so that is not
 * asserted. Trimming gives back what is past a point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pd_bigmem.h"

static void check(size_t n)
{
	uint8_t *p = pd_bigmem_alloc(n);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % 64, 0);
	size_t nonzero = 0;
	for (size_t i = 0; i < n; i++)
		nonzero += p[i] != 0;
	assert_int_equal(nonzero, 0);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7);
	assert_int_equal(p[n - 1], (uint8_t)((n - 1) * 7));
	pd_bigmem_free(p, n);
}

static void test_sizes(void **state)
{
	(void)state;
	check(1);
	check(4096 + 1);
	check((size_t)5 << 20);
	/* A zero-byte table still gets a distinct mapping. */
	void *z = pd_bigmem_alloc(0);
	assert_non_null(z);
	pd_bigmem_free(z, 0);
	pd_bigmem_free(NULL, 123);
}

/* Trimming keeps what is below keep (rounded up to a page) and gives
 * back the rest, which reads as zero and can be written again. */
static void test_trim(void **state)
{
	(void)state;
	size_t n = (size_t)3 << 20, keep = 10000, kept = 12288;
	uint8_t *p = pd_bigmem_alloc(n);
	assert_non_null(p);
	memset(p, 0xab, n);
	pd_bigmem_trim(p, keep, n);
	for (size_t i = 0; i < kept; i++)
		if (p[i] != 0xab)
			fail_msg("byte %zu lost", i);
	for (size_t i = kept; i < n; i++)
		if (p[i] != 0)
			fail_msg("byte %zu kept", i);
	p[n - 1] = 7;
	assert_int_equal(p[n - 1], 7);
	pd_bigmem_trim(p, n, n); /* nothing to give back */
	pd_bigmem_trim(NULL, 0, n);
	assert_int_equal(p[n - 1], 7);
	pd_bigmem_free(p, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_trim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
