/* Unit tests for valcache: hits and misses, replacement of the oldest way
 * of a full set (a cache of 8 entries is one set, so every key collides),
 * offers that never evict, values growing beyond an entry's room, clear,
 * the statistics, and a random workload where a hit must always be the
 * latest value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_hash.h"
#include "valcache.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void put_s(struct valcache *c, const char *k, const char *v)
{
	valcache_put(c, (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v));
}

/* 1 on a hit (checking the value when want is given), 0 on a miss. */
static int get_s(struct valcache *c, const char *k, const char *want)
{
	const uint8_t *v = NULL;
	size_t vl = 0;
	if (!valcache_get(c, (const uint8_t *)k, strlen(k), &v, &vl))
		return 0;
	if (want) {
		assert_int_equal(vl, strlen(want));
		assert_memory_equal(v, want, vl);
	}
	return 1;
}

static struct valcache_stats stats(const struct valcache *c)
{
	struct valcache_stats st;
	memset(&st, 0xff, sizeof(st));
	valcache_stats(c, &st);
	return st;
}

static void test_hit_miss(void **state)
{
	(void)state;
	struct valcache *c = valcache_new(1024, 42);
	assert_non_null(c);
	struct valcache_stats st = stats(c);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.misses, 0);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);

	assert_false(get_s(c, "a", NULL));
	put_s(c, "a", "value-a");
	put_s(c, "b", "value-b");
	assert_true(get_s(c, "a", "value-a"));
	assert_true(get_s(c, "b", "value-b"));
	assert_true(get_s(c, "a", "value-a"));
	assert_false(get_s(c, "c", NULL));
	assert_false(get_s(c, "ab", NULL));
	assert_false(get_s(c, "", NULL));
	st = stats(c);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.misses, 4);
	assert_int_equal(st.entries, 2);
	assert_true(st.bytes >= 2 * (1 + 7));

	/* Putting a key again replaces its value, no second entry. */
	put_s(c, "a", "A");
	assert_true(get_s(c, "a", "A"));
	put_s(c, "a", "");
	assert_true(get_s(c, "a", ""));
	assert_int_equal(stats(c).entries, 2);

	/* Binary keys with NULs; keys differing only in length. */
	const uint8_t k[] = { 0, 1, 0, 2 }, v[] = { 0xff, 0 };
	valcache_put(c, k, 4, v, 2);
	valcache_put(c, k, 3, v, 1);
	const uint8_t *p;
	size_t pl;
	assert_int_equal(valcache_get(c, k, 4, &p, &pl), 1);
	assert_int_equal(pl, 2);
	assert_memory_equal(p, v, 2);
	assert_int_equal(valcache_get(c, k, 3, &p, &pl), 1);
	assert_int_equal(pl, 1);
	assert_int_equal(valcache_get(c, k, 2, &p, &pl), 0);
	assert_int_equal(stats(c).entries, 4);
	valcache_free(c);
	valcache_free(NULL);
}

static void offer_s(struct valcache *c, const char *k, const char *v)
{
	valcache_offer(c, (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v));
}

/* Adds k0..k7 (values v0..v7) with add, in that order. */
static void fill_set(struct valcache *c, void (*add)(struct valcache *, const char *, const char *))
{
	char k[16], v[16];
	for (int i = 0; i < 8; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		add(c, k, v);
	}
}

/* Gets k0..k7 (refreshing them in that order) and checks their values. */
static void assert_set_filled(struct valcache *c)
{
	char k[16], v[16];
	for (int i = 0; i < 8; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		assert_true(get_s(c, k, v));
	}
}

/* One set of 8 ways: the 9th key replaces the least recently used one. */
static void test_replaces_oldest_way(void **state)
{
	(void)state;
	struct valcache *c = valcache_new(8, 1);
	assert_non_null(c);
	char k[16], v[16];
	fill_set(c, put_s);
	assert_int_equal(stats(c).entries, 8);
	/* All eight fit. */
	assert_set_filled(c);
	/* The gets refreshed k0..k7 in that order: k0 is the oldest. Touch it
	 * again, so k1 is. */
	assert_true(get_s(c, "k0", "v0"));
	put_s(c, "k8", "v8");
	assert_int_equal(stats(c).entries, 8);
	assert_false(get_s(c, "k1", NULL));
	/* Ages now: k0 k2 .. k8 (the probes below refresh in this order). */
	assert_true(get_s(c, "k0", "v0"));
	for (int i = 2; i <= 8; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		snprintf(v, sizeof(v), "v%d", i);
		assert_true(get_s(c, k, v));
	}
	put_s(c, "k9", "v9");
	assert_false(get_s(c, "k0", NULL));
	assert_true(get_s(c, "k9", "v9"));

	/* A put of a cached key refreshes it too: k2 is the oldest, until it is
	 * put again; then k3 goes. */
	put_s(c, "k2", "v2'");
	put_s(c, "k10", "v10");
	assert_false(get_s(c, "k3", NULL));
	assert_true(get_s(c, "k2", "v2'"));
	assert_true(get_s(c, "k10", "v10"));
	assert_int_equal(stats(c).entries, 8);

	/* Many more keys through one set: never more than 8 entries, and the
	 * last 8 put are the ones there. */
	for (int i = 100; i < 1100; i++) {
		snprintf(k, sizeof(k), "x%d", i);
		put_s(c, k, "x");
		assert_true(stats(c).entries <= 8);
	}
	for (int i = 1092; i < 1100; i++) {
		snprintf(k, sizeof(k), "x%d", i);
		assert_true(get_s(c, k, "x"));
	}
	assert_false(get_s(c, "x1091", NULL));
	assert_false(get_s(c, "k2", NULL));
	assert_int_equal(stats(c).entries, 8);

	/* Smaller sizes round up to one full set. */
	struct valcache *one = valcache_new(1, 1);
	assert_non_null(one);
	for (int i = 0; i < 8; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		put_s(one, k, "v");
	}
	for (int i = 0; i < 8; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		assert_true(get_s(one, k, "v"));
	}
	put_s(one, "k8", "v");
	assert_false(get_s(one, "k0", NULL));
	valcache_free(one);
	valcache_free(c);
}

/* An offer takes a free way, replaces the value of a cached key (growing
 * it if need be), and never evicts: in a full set a new key is dropped. */
static void test_offer_never_evicts(void **state)
{
	(void)state;
	struct valcache *c = valcache_new(8, 4);
	assert_non_null(c);
	fill_set(c, offer_s);
	assert_int_equal(stats(c).entries, 8);
	offer_s(c, "new", "n");
	assert_false(get_s(c, "new", NULL));
	assert_set_filled(c);
	offer_s(c, "k3", "v3'");
	offer_s(c, "k4", "a value much longer than the room the entry had");
	assert_true(get_s(c, "k3", "v3'"));
	assert_true(get_s(c, "k4", "a value much longer than the room the entry had"));
	assert_int_equal(stats(c).entries, 8);
	/* A put still evicts the oldest (k0, untouched since the gets above),
	 * and the way an eviction frees is not there for an offer. */
	put_s(c, "new", "n");
	assert_true(get_s(c, "new", "n"));
	assert_false(get_s(c, "k0", NULL));
	offer_s(c, "other", "o");
	assert_false(get_s(c, "other", NULL));
	valcache_clear(c);
	offer_s(c, "other", "o");
	assert_true(get_s(c, "other", "o"));
	valcache_free(c);
}

static void test_value_growth(void **state)
{
	(void)state;
	struct valcache *c = valcache_new(8, 2);
	assert_non_null(c);
	char k[16];
	/* A full set around the key that grows. */
	for (int i = 0; i < 7; i++) {
		snprintf(k, sizeof(k), "o%d", i);
		put_s(c, k, "other");
	}
	put_s(c, "g", "0123456789");
	struct valcache_stats st0 = stats(c);
	assert_int_equal(st0.entries, 8);

	/* Within the entry's room: same bytes. */
	put_s(c, "g", "01234567890123456789");
	assert_true(get_s(c, "g", "01234567890123456789"));
	assert_int_equal(stats(c).bytes, st0.bytes);

	/* Beyond it: a new allocation, the accounting follows the sizes. */
	char big[101];
	memset(big, 'b', 100);
	big[100] = 0;
	put_s(c, "g", big);
	assert_true(get_s(c, "g", big));
	struct valcache_stats st1 = stats(c);
	assert_int_equal(st1.entries, 8);
	assert_int_equal(st1.bytes - st0.bytes, 100 - 10);
	/* Growing evicted nobody. */
	for (int i = 0; i < 7; i++) {
		snprintf(k, sizeof(k), "o%d", i);
		assert_true(get_s(c, k, "other"));
	}

	/* Much larger, then small again (fits in place: the room stays). */
	char *huge = malloc(70001);
	assert_non_null(huge);
	memset(huge, 'H', 70000);
	huge[70000] = 0;
	put_s(c, "g", huge);
	assert_true(get_s(c, "g", huge));
	struct valcache_stats st2 = stats(c);
	assert_int_equal(st2.bytes - st1.bytes, 70000 - 100);
	put_s(c, "g", "s");
	assert_true(get_s(c, "g", "s"));
	assert_int_equal(stats(c).bytes, st2.bytes);
	free(huge);

	/* Evicting the big entry gives its bytes back. */
	for (int i = 0; i < 7; i++) {
		snprintf(k, sizeof(k), "o%d", i);
		assert_true(get_s(c, k, "other"));
	}
	put_s(c, "new", "0123456789");
	assert_false(get_s(c, "g", NULL));
	assert_int_equal(stats(c).bytes, st0.bytes - 1 + 3);
	valcache_free(c);
}

static void test_clear_and_stats(void **state)
{
	(void)state;
	struct valcache *c = valcache_new(64, 3);
	assert_non_null(c);
	char k[16];
	for (int i = 0; i < 20; i++) {
		snprintf(k, sizeof(k), "key%02d", i);
		put_s(c, k, "0123456789");
	}
	int hits = 0;
	for (int i = 0; i < 20; i++) {
		snprintf(k, sizeof(k), "key%02d", i);
		hits += get_s(c, k, "0123456789");
	}
	struct valcache_stats st = stats(c);
	assert_int_equal(st.hits, (uint64_t)hits);
	assert_int_equal(st.misses, (uint64_t)(20 - hits));
	assert_int_equal(st.entries, (uint64_t)hits);
	/* Every entry costs the same here: bytes are entries times that. */
	assert_true(hits > 0);
	assert_int_equal(st.bytes % (uint64_t)hits, 0);
	uint64_t per = st.bytes / (uint64_t)hits;
	assert_true(per >= 5 + 10 + 16);

	valcache_clear(c);
	st = stats(c);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.bytes, 0);
	/* The counters of lookups carry on. */
	assert_int_equal(st.hits, (uint64_t)hits);
	for (int i = 0; i < 20; i++) {
		snprintf(k, sizeof(k), "key%02d", i);
		assert_false(get_s(c, k, NULL));
	}
	assert_int_equal(stats(c).misses, (uint64_t)(20 - hits + 20));
	/* Usable after a clear. */
	put_s(c, "key00", "again");
	assert_true(get_s(c, "key00", "again"));
	st = stats(c);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.bytes, per - 10 + 5);
	valcache_clear(c);
	valcache_clear(c);
	assert_int_equal(stats(c).entries, 0);
	valcache_free(c);
}

/* Random puts into a small cache: a hit is always the latest value of that
 * key, the entries never exceed the size, and stats.entries is the number
 * of keys that hit. */
#define NK 2000
static void test_random_latest_value(void **state)
{
	(void)state;
	static uint8_t ref[NK][64];
	static size_t ref_len[NK];
	static int ref_put[NK];
	uint64_t rs = 5;
	struct valcache *c = valcache_new(64, rng_next(&rs));
	assert_non_null(c);
	memset(ref_put, 0, sizeof(ref_put));
	uint64_t h = 0, m = 0;
	for (int op = 0; op < 50000; op++) {
		size_t i = (size_t)(rng_next(&rs) % NK);
		char key[16];
		size_t kl = (size_t)snprintf(key, sizeof(key), "t%zu", i);
		const uint8_t *v;
		size_t vl;
		if (rng_next(&rs) % 2) {
			vl = (size_t)(rng_next(&rs) % 64);
			for (size_t j = 0; j < vl; j++)
				ref[i][j] = (uint8_t)rng_next(&rs);
			ref_len[i] = vl;
			ref_put[i] = 1;
			valcache_put(c, (const uint8_t *)key, kl, ref[i], vl);
			assert_int_equal(valcache_get(c, (const uint8_t *)key, kl, &v, &vl), 1);
			h++;
		} else if (valcache_get(c, (const uint8_t *)key, kl, &v, &vl)) {
			h++;
			assert_true(ref_put[i]);
		} else {
			m++;
			continue;
		}
		assert_int_equal(vl, ref_len[i]);
		assert_memory_equal(v, ref[i], vl);
		assert_true(stats(c).entries <= 64);
	}
	struct valcache_stats st = stats(c);
	assert_int_equal(st.hits, h);
	assert_int_equal(st.misses, m);
	uint64_t present = 0;
	for (size_t i = 0; i < NK; i++) {
		char key[16];
		size_t kl = (size_t)snprintf(key, sizeof(key), "t%zu", i);
		const uint8_t *v;
		size_t vl;
		if (valcache_get(c, (const uint8_t *)key, kl, &v, &vl)) {
			present++;
			assert_int_equal(vl, ref_len[i]);
			assert_memory_equal(v, ref[i], vl);
		}
	}
	assert_int_equal(present, st.entries);
	assert_true(present > 32); /* the sets are used, not just a few ways */
	valcache_free(c);
}

/* The _h calls with pd_hash(k, kl, valcache_seed(c)) are the same cache
 * as the plain ones; prefetching an entry, present or not, changes
 * nothing. */
static void test_hash_once_calls(void **state)
{
	(void)state;
	struct valcache *c = valcache_new(64, 99);
	const uint8_t k1[] = "alpha", k2[] = "beta";
	uint64_t h1 = pd_hash(k1, 5, valcache_seed(c)), h2 = pd_hash(k2, 4, valcache_seed(c));
	valcache_prefetch_h(c, h1);
	valcache_prefetch_entry_h(c, h1);
	valcache_put_h(c, h1, k1, 5, (const uint8_t *)"one", 3);
	valcache_offer_h(c, h2, k2, 4, (const uint8_t *)"two", 3);
	valcache_prefetch_entry_h(c, h1);
	assert_true(get_s(c, "alpha", "one"));
	assert_true(get_s(c, "beta", "two"));
	put_s(c, "alpha", "uno");
	const uint8_t *v;
	size_t vl;
	assert_int_equal(valcache_get_h(c, h1, k1, 5, &v, &vl), 1);
	assert_int_equal(vl, 3);
	assert_memory_equal(v, "uno", 3);
	assert_int_equal(valcache_get_h(c, h2 ^ 1, k2, 4, &v, &vl), 0);
	assert_int_equal(stats(c).entries, 2);
	valcache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_miss),
		cmocka_unit_test(test_replaces_oldest_way),
		cmocka_unit_test(test_offer_never_evicts),
		cmocka_unit_test(test_value_growth),
		cmocka_unit_test(test_clear_and_stats),
		cmocka_unit_test(test_random_latest_value),
		cmocka_unit_test(test_hash_once_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
