/* Unit tests for kvmap: get/put, replacement by shorter and longer values,
 * iteration order and replaced entries, binary and empty keys, the entry
 * and arena caps (refusals leave the map as it was), reset, and a random
 * workload against a reference table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmap.h"
#include "pd_err.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int put_s(struct kvmap *m, const char *k, const char *v)
{
	return kvmap_put(m, (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v));
}

static void assert_get(struct kvmap *m, const char *k, const char *want)
{
	const uint8_t *v = NULL;
	size_t vl = 0;
	int found = kvmap_get(m, (const uint8_t *)k, strlen(k), &v, &vl);
	if (!want) {
		assert_int_equal(found, 0);
		return;
	}
	if (!found)
		fail_msg("key %s missing", k);
	assert_int_equal(vl, strlen(want));
	assert_memory_equal(v, want, vl);
}

/* Iterates and checks the entries are exactly keys[i] -> vals[i], in order. */
static void assert_iter(const struct kvmap *m, const char *const *keys,
                        const char *const *vals, size_t n)
{
	size_t cur = 0, kl, vl, i = 0;
	const uint8_t *k, *v;
	while (kvmap_next(m, &cur, &k, &kl, &v, &vl)) {
		assert_true(i < n);
		assert_int_equal(kl, strlen(keys[i]));
		assert_memory_equal(k, keys[i], kl);
		assert_int_equal(vl, strlen(vals[i]));
		assert_memory_equal(v, vals[i], vl);
		i++;
	}
	assert_int_equal(i, n);
	/* The end is sticky. */
	assert_int_equal(kvmap_next(m, &cur, &k, &kl, &v, &vl), 0);
}

static void test_get_put(void **state)
{
	(void)state;
	struct kvmap *m = kvmap_new(100, 1 << 16, 1);
	assert_non_null(m);
	assert_int_equal(kvmap_count(m), 0);
	assert_get(m, "a", NULL);
	assert_int_equal(put_s(m, "a", "alpha"), 0);
	assert_int_equal(put_s(m, "ab", "alpha-beta"), 0);
	assert_int_equal(put_s(m, "abc", ""), 0);
	assert_int_equal(kvmap_count(m), 3);
	assert_get(m, "a", "alpha");
	assert_get(m, "ab", "alpha-beta");
	assert_get(m, "abc", "");
	assert_get(m, "abcd", NULL);
	assert_get(m, "b", NULL);

	/* Binary keys: NULs inside, an empty key, keys differing in the last byte. */
	const uint8_t k1[] = { 0, 0, 1 }, k2[] = { 0, 0, 2 }, v1[] = { 9, 0, 9 };
	assert_int_equal(kvmap_put(m, k1, 3, v1, 3), 0);
	assert_int_equal(kvmap_put(m, k2, 3, v1, 1), 0);
	assert_int_equal(kvmap_put(m, k1, 0, v1, 2), 0);
	const uint8_t *v;
	size_t vl;
	assert_int_equal(kvmap_get(m, k1, 3, &v, &vl), 1);
	assert_int_equal(vl, 3);
	assert_memory_equal(v, v1, 3);
	assert_int_equal(kvmap_get(m, k2, 3, &v, &vl), 1);
	assert_int_equal(vl, 1);
	assert_int_equal(kvmap_get(m, k1, 0, &v, &vl), 1);
	assert_int_equal(vl, 2);
	assert_int_equal(kvmap_get(m, k1, 2, &v, &vl), 0);
	assert_int_equal(kvmap_count(m), 6);

	/* Another seed: the same contents behave the same. */
	struct kvmap *m2 = kvmap_new(100, 1 << 16, 0xdeadbeef);
	assert_non_null(m2);
	assert_int_equal(put_s(m2, "a", "alpha"), 0);
	assert_get(m2, "a", "alpha");
	assert_get(m2, "ab", NULL);
	kvmap_free(m2);
	kvmap_free(m);
	kvmap_free(NULL);
}

static void test_replace(void **state)
{
	(void)state;
	struct kvmap *m = kvmap_new(10, 1 << 16, 7);
	assert_non_null(m);
	assert_int_equal(put_s(m, "k", "0123456789"), 0);
	/* Shorter, then longer within the room, then far longer. */
	assert_int_equal(put_s(m, "k", "xy"), 0);
	assert_get(m, "k", "xy");
	assert_int_equal(put_s(m, "k", "0123456789abcdefghij"), 0);
	assert_get(m, "k", "0123456789abcdefghij");
	char big[1001];
	memset(big, 'B', 1000);
	big[1000] = 0;
	assert_int_equal(put_s(m, "k", big), 0);
	assert_get(m, "k", big);
	assert_int_equal(kvmap_count(m), 1);
	/* Back to short: still one entry, the last value. */
	assert_int_equal(put_s(m, "k", "z"), 0);
	assert_get(m, "k", "z");
	assert_int_equal(put_s(m, "k", ""), 0);
	assert_get(m, "k", "");
	assert_int_equal(kvmap_count(m), 1);
	const char *keys[] = { "k" }, *vals[] = { "" };
	assert_iter(m, keys, vals, 1);
	kvmap_free(m);
}

/*
 * Entries come out in insertion order, each once with its latest value. A
 * value that outgrew its room was stored again at the end of the arena, so
 * it comes out where that happened; the copy it replaced is skipped.
 */
static void test_iteration_order(void **state)
{
	(void)state;
	struct kvmap *m = kvmap_new(64, 1 << 16, 3);
	assert_non_null(m);
	const char *k[] = { "k0", "k1", "k2", "k3", "k4", "k5", "k6" };
	for (int i = 0; i < 7; i++)
		assert_int_equal(put_s(m, k[i], "v"), 0);
	const char *v7[] = { "v", "v", "v", "v", "v", "v", "v" };
	assert_iter(m, k, v7, 7);

	/* k2 in place (shorter/equal), k4 grown (moves), k0 grown twice. */
	assert_int_equal(put_s(m, "k2", "w"), 0);
	char grown[200];
	memset(grown, 'g', 199);
	grown[199] = 0;
	assert_int_equal(put_s(m, "k4", grown), 0);
	assert_int_equal(put_s(m, "k0", "this value is longer than the room of v"), 0);
	assert_int_equal(put_s(m, "k0", grown), 0);
	const char *ko[] = { "k1", "k2", "k3", "k5", "k6", "k4", "k0" };
	const char *vo[] = { "v", "w", "v", "v", "v", grown, grown };
	assert_iter(m, ko, vo, 7);
	assert_int_equal(kvmap_count(m), 7);

	/* New keys after that come last. */
	assert_int_equal(put_s(m, "k7", "n"), 0);
	const char *kn[] = { "k1", "k2", "k3", "k5", "k6", "k4", "k0", "k7" };
	const char *vn[] = { "v", "w", "v", "v", "v", grown, grown, "n" };
	assert_iter(m, kn, vn, 8);

	/* An empty map iterates nothing. */
	kvmap_reset(m);
	assert_iter(m, NULL, NULL, 0);
	kvmap_free(m);
}

static void test_entry_cap(void **state)
{
	(void)state;
	struct kvmap *m = kvmap_new(4, 1 << 16, 11);
	assert_non_null(m);
	const char *k[] = { "a", "b", "c", "d" }, *v[] = { "1", "2", "3", "4" };
	for (int i = 0; i < 4; i++)
		assert_int_equal(put_s(m, k[i], v[i]), 0);
	assert_int_equal(put_s(m, "e", "5"), PD_ELIMIT);
	assert_int_equal(put_s(m, "f", ""), PD_ELIMIT);
	assert_int_equal(kvmap_count(m), 4);
	assert_get(m, "e", NULL);
	for (int i = 0; i < 4; i++)
		assert_get(m, k[i], v[i]);
	assert_iter(m, k, v, 4);

	/* Replacing existing keys still works at the entry cap, in place and grown. */
	assert_int_equal(put_s(m, "b", "x"), 0);
	assert_int_equal(put_s(m, "c", "a much longer value than before, it moves"), 0);
	assert_int_equal(kvmap_count(m), 4);
	assert_get(m, "b", "x");
	assert_get(m, "c", "a much longer value than before, it moves");
	const char *k2[] = { "a", "b", "d", "c" };
	const char *v2[] = { "1", "x", "4", "a much longer value than before, it moves" };
	assert_iter(m, k2, v2, 4);
	assert_int_equal(put_s(m, "e", "5"), PD_ELIMIT);

	/* A cap of zero entries refuses everything. */
	struct kvmap *z = kvmap_new(0, 1024, 1);
	assert_non_null(z);
	assert_int_equal(put_s(z, "a", "1"), PD_ELIMIT);
	assert_int_equal(kvmap_count(z), 0);
	assert_get(z, "a", NULL);
	kvmap_free(z);
	kvmap_free(m);
}

static void test_arena_cap(void **state)
{
	(void)state;
	struct kvmap *m = kvmap_new(1000, 512, 5);
	assert_non_null(m);
	char key[32], val[64];
	int n = 0;
	/* Fill until the arena refuses. */
	for (;; n++) {
		snprintf(key, sizeof(key), "key%d", n);
		snprintf(val, sizeof(val), "value%d", n);
		int rc = put_s(m, key, val);
		if (rc == PD_ELIMIT)
			break;
		assert_int_equal(rc, 0);
		assert_true(n < 100);
	}
	assert_true(n >= 4);
	assert_int_equal(kvmap_count(m), (size_t)n);
	snprintf(key, sizeof(key), "key%d", n);
	assert_get(m, key, NULL);

	/* Growing a value past the arena is refused too; the old value stays. */
	char huge[600];
	memset(huge, 'h', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	assert_int_equal(put_s(m, "key0", huge), PD_ELIMIT);
	assert_get(m, "key0", "value0");
	/* In-place replacements need no arena. */
	assert_int_equal(put_s(m, "key0", "v0"), 0);
	assert_get(m, "key0", "v0");
	assert_int_equal(kvmap_count(m), (size_t)n);

	/* Everything that went in is intact, in order. */
	size_t cur = 0, kl, vl;
	const uint8_t *k, *v;
	int i = 0;
	while (kvmap_next(m, &cur, &k, &kl, &v, &vl)) {
		snprintf(key, sizeof(key), "key%d", i);
		if (i)
			snprintf(val, sizeof(val), "value%d", i);
		else
			snprintf(val, sizeof(val), "v0");
		assert_int_equal(kl, strlen(key));
		assert_memory_equal(k, key, kl);
		assert_int_equal(vl, strlen(val));
		assert_memory_equal(v, val, vl);
		i++;
	}
	assert_int_equal(i, n);

	/* An entry larger than the whole arena. */
	struct kvmap *t = kvmap_new(10, 64, 5);
	assert_non_null(t);
	assert_int_equal(put_s(t, "k", huge), PD_ELIMIT);
	assert_int_equal(kvmap_count(t), 0);
	assert_iter(t, NULL, NULL, 0);
	kvmap_free(t);
	kvmap_free(m);
}

static void test_reset(void **state)
{
	(void)state;
	struct kvmap *m = kvmap_new(8, 400, 9);
	assert_non_null(m);
	kvmap_reset(m); /* on an empty map */
	assert_int_equal(kvmap_count(m), 0);
	int filled = 0;
	char key[32];
	for (int round = 0; round < 5; round++) {
		int n = 0;
		for (;; n++) {
			snprintf(key, sizeof(key), "r%dk%d", round, n);
			if (put_s(m, key, "0123456789") < 0)
				break;
		}
		/* The same caps hold after each reset: the arena was reclaimed. */
		if (round == 0)
			filled = n;
		assert_int_equal(n, filled);
		assert_true(n > 0 && n <= 8);
		assert_int_equal(kvmap_count(m), (size_t)n);
		kvmap_reset(m);
		assert_int_equal(kvmap_count(m), 0);
		for (int i = 0; i < n; i++) {
			snprintf(key, sizeof(key), "r%dk%d", round, i);
			assert_get(m, key, NULL);
		}
		assert_iter(m, NULL, NULL, 0);
	}
	kvmap_free(m);
}

/* Random puts and gets against a plain table. */
#define RK 600
static void test_random_against_reference(void **state)
{
	(void)state;
	static uint8_t ref_val[RK][300];
	static size_t ref_len[RK];
	static int ref_live[RK];
	uint64_t rs = 77;
	struct kvmap *m = kvmap_new(RK, 8u << 20, rng_next(&rs));
	assert_non_null(m);
	memset(ref_live, 0, sizeof(ref_live));
	for (int op = 0; op < 40000; op++) {
		size_t i = (size_t)(rng_next(&rs) % RK);
		uint8_t key[24];
		size_t kl = (size_t)snprintf((char *)key, sizeof(key), "key-%zu", i * 7919);
		if (rng_next(&rs) % 3 == 0) {
			const uint8_t *v;
			size_t vl;
			int found = kvmap_get(m, key, kl, &v, &vl);
			assert_int_equal(found, ref_live[i]);
			if (found) {
				assert_int_equal(vl, ref_len[i]);
				assert_memory_equal(v, ref_val[i], vl);
			}
			continue;
		}
		size_t vl = (size_t)(rng_next(&rs) % 300);
		uint8_t val[300];
		for (size_t j = 0; j < vl; j++)
			val[j] = (uint8_t)rng_next(&rs);
		assert_int_equal(kvmap_put(m, key, kl, val, vl), 0);
		memcpy(ref_val[i], val, vl);
		ref_len[i] = vl;
		ref_live[i] = 1;
	}
	size_t live = 0;
	for (size_t i = 0; i < RK; i++)
		live += (size_t)ref_live[i];
	assert_int_equal(kvmap_count(m), live);
	/* Iteration: each live key once, with its latest value. */
	static int seen[RK];
	memset(seen, 0, sizeof(seen));
	size_t cur = 0, kl, vl, n = 0;
	const uint8_t *k, *v;
	while (kvmap_next(m, &cur, &k, &kl, &v, &vl)) {
		unsigned long x;
		char ks[32];
		assert_true(kl < sizeof(ks));
		memcpy(ks, k, kl);
		ks[kl] = 0;
		assert_int_equal(sscanf(ks, "key-%lu", &x), 1);
		size_t i = (size_t)(x / 7919);
		assert_true(i < RK && ref_live[i] && !seen[i]);
		seen[i] = 1;
		assert_int_equal(vl, ref_len[i]);
		assert_memory_equal(v, ref_val[i], vl);
		n++;
	}
	assert_int_equal(n, live);
	kvmap_free(m);
}

/* A use that wrote past what the arena keeps (64 MiB) is given back at
 * reset; the map then works as new over the whole arena. */
static void test_reset_after_big_use(void **state)
{
	(void)state;
	size_t vl = 70000;
	uint8_t *val = malloc(vl);
	assert_non_null(val);
	struct kvmap *m = kvmap_new(2000, (size_t)80 << 20, 13);
	assert_non_null(m);
	for (unsigned round = 0; round < 2; round++) {
		unsigned n = 0;
		for (;; n++) {
			char k[16];
			snprintf(k, sizeof(k), "k%u", n);
			memset(val, (int)(n + round), vl);
			if (kvmap_put(m, (const uint8_t *)k, strlen(k), val, vl) != 0)
				break;
		}
		assert_true(n > 700); /* more than 64 MiB went in */
		for (unsigned i = 0; i < n; i += 97) {
			char k[16];
			const uint8_t *v;
			size_t got;
			snprintf(k, sizeof(k), "k%u", i);
			assert_int_equal(kvmap_get(m, (const uint8_t *)k, strlen(k), &v, &got), 1);
			assert_int_equal(got, vl);
			assert_int_equal(v[0], (uint8_t)(i + round));
			assert_int_equal(v[vl - 1], (uint8_t)(i + round));
		}
		kvmap_reset(m);
		assert_int_equal(kvmap_count(m), 0);
	}
	kvmap_free(m);
	free(val);
}

/* The _h calls with kvmap_hash are the same map as the plain ones. */
static void test_hash_once_calls(void **state)
{
	(void)state;
	struct kvmap *m = kvmap_new(16, 1 << 12, 21);
	const uint8_t k[] = "key";
	uint64_t h = kvmap_hash(m, k, 3);
	const uint8_t *v;
	size_t vl;
	kvmap_prefetch_h(m, h);
	assert_int_equal(kvmap_get_h(m, h, k, 3, &v, &vl), 0);
	assert_int_equal(kvmap_put_h(m, h, k, 3, (const uint8_t *)"v1", 2), 0);
	assert_int_equal(kvmap_get(m, k, 3, &v, &vl), 1);
	assert_memory_equal(v, "v1", 2);
	assert_int_equal(kvmap_put(m, k, 3, (const uint8_t *)"value2", 6), 0);
	assert_int_equal(kvmap_get_h(m, h, k, 3, &v, &vl), 1);
	assert_int_equal(vl, 6);
	assert_memory_equal(v, "value2", 6);
	assert_int_equal(kvmap_count(m), 1);
	kvmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_put),
		cmocka_unit_test(test_replace),
		cmocka_unit_test(test_iteration_order),
		cmocka_unit_test(test_entry_cap),
		cmocka_unit_test(test_arena_cap),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_hash_once_calls),
		cmocka_unit_test(test_reset_after_big_use),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
