/* Unit tests for kvlist: key order (shared prefixes, keys that are
 * prefixes of others, keys equal in their first 8 differing bytes, binary
 * keys, the empty key), equal keys in the order they were added, adding
 * after a sort, clearing, growth far past the first allocation, and random
 * binary keys against qsort. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvlist.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void add_s(struct kvlist *l, const char *k, const char *v)
{
	assert_int_equal(kvlist_add(l, (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v)),
	                 0);
}

/* Iterates and checks the pairs are exactly keys[i] -> vals[i] (vals NULL:
 * keys only), in order. */
static void assert_sorted(const struct kvlist *l, const char *const *keys,
                          const char *const *vals, size_t n)
{
	size_t cur = 0, kl, vl, i = 0;
	const uint8_t *k, *v;
	while (kvlist_next(l, &cur, &k, &kl, &v, &vl)) {
		assert_true(i < n);
		assert_int_equal(kl, strlen(keys[i]));
		assert_memory_equal(k, keys[i], kl);
		if (vals) {
			assert_int_equal(vl, strlen(vals[i]));
			assert_memory_equal(v, vals[i], vl);
		}
		i++;
	}
	assert_int_equal(i, n);
	/* The end is sticky. */
	assert_int_equal(kvlist_next(l, &cur, &k, &kl, &v, &vl), 0);
}

static void test_order(void **state)
{
	(void)state;
	struct kvlist *l = kvlist_new();
	assert_non_null(l);
	kvlist_sort(l);
	assert_sorted(l, NULL, NULL, 0);
	add_s(l, "zz", "v");
	kvlist_sort(l);
	const char *one[] = { "zz" };
	assert_sorted(l, one, NULL, 1);

	kvlist_clear(l);
	assert_int_equal(kvlist_count(l), 0);
	kvlist_sort(l);
	assert_sorted(l, NULL, NULL, 0);
	const char *in[] = { "com.example.www.12345678b", "com.example.www.12345678a",
		             "com.example.www.12345678", "com.example.www.1234567",
		             "com.example.", "com.example.www.22", "com.example.www.1",
		             "com.example.mail", "com.example.www.12345678ab" };
	for (size_t i = 0; i < 9; i++)
		add_s(l, in[i], in[i] + 12);
	assert_int_equal(kvlist_count(l), 9);
	kvlist_sort(l);
	const char *want[] = { "com.example.", "com.example.mail", "com.example.www.1",
		               "com.example.www.1234567", "com.example.www.12345678",
		               "com.example.www.12345678a", "com.example.www.12345678ab",
		               "com.example.www.12345678b", "com.example.www.22" };
	const char *wantv[] = { "", "mail", "www.1", "www.1234567", "www.12345678",
		                "www.12345678a", "www.12345678ab", "www.12345678b", "www.22" };
	assert_sorted(l, want, wantv, 9);

	/* An add needs a new sort. */
	add_s(l, "com.", "");
	assert_sorted(l, NULL, NULL, 0);
	kvlist_sort(l);
	const char *want2[] = { "com.", "com.example.", "com.example.mail", "com.example.www.1",
		                "com.example.www.1234567", "com.example.www.12345678",
		                "com.example.www.12345678a", "com.example.www.12345678ab",
		                "com.example.www.12345678b", "com.example.www.22" };
	assert_sorted(l, want2, NULL, 10);
	/* A second sort without adds gives the same. */
	kvlist_sort(l);
	assert_sorted(l, want2, NULL, 10);
	kvlist_free(l);
	kvlist_free(NULL);
}

/* Equal keys come out in the order they were added, however many there
 * are among others (LevelDB applies a batch in order: the last put wins). */
static void test_equal_keys_keep_their_order(void **state)
{
	(void)state;
	struct kvlist *l = kvlist_new();
	assert_non_null(l);
	uint64_t rs = 5;
	char k[16], v[16];
	for (int i = 0; i < 3000; i++) {
		snprintf(k, sizeof(k), "k%02d", (int)(rng_next(&rs) % 40));
		snprintf(v, sizeof(v), "%d", i);
		add_s(l, k, v);
	}
	kvlist_sort(l);
	size_t cur = 0, kl, vl, n = 0;
	const uint8_t *kp, *vp;
	char last_k[16] = "", vs[16];
	int last_v = -1;
	while (kvlist_next(l, &cur, &kp, &kl, &vp, &vl)) {
		assert_true(kl == 3 && vl < sizeof(vs));
		memcpy(vs, vp, vl);
		vs[vl] = 0;
		int val = atoi(vs);
		int c = memcmp(kp, last_k, 3);
		assert_true(c >= 0);
		if (c == 0)
			assert_true(val > last_v);
		memcpy(last_k, kp, 3);
		last_v = val;
		n++;
	}
	assert_int_equal(n, 3000);
	kvlist_free(l);
}

/* A cleared list sorts what was added since, whatever an earlier sort of
 * other keys left behind. */
static void test_sort_after_clear(void **state)
{
	(void)state;
	struct kvlist *l = kvlist_new();
	assert_non_null(l);
	const char *first[] = { "a1", "b2", "c3", "d4", "e5", "f6", "g7", "h8" };
	for (size_t i = 0; i < 8; i++)
		add_s(l, first[i], "");
	kvlist_sort(l);
	assert_sorted(l, first, NULL, 8);
	kvlist_clear(l);
	const char *in[] = { "h", "g", "f", "e", "d", "c", "b", "a" };
	for (size_t i = 0; i < 8; i++)
		add_s(l, in[i], in[i]);
	kvlist_sort(l);
	const char *want[] = { "a", "b", "c", "d", "e", "f", "g", "h" };
	assert_sorted(l, want, want, 8);
	kvlist_free(l);
}

/* Empty keys and values, and a list that grows far past its first
 * allocation, then is cleared and used again. */
static void test_growth_and_clear(void **state)
{
	(void)state;
	struct kvlist *l = kvlist_new();
	assert_non_null(l);
	assert_int_equal(kvlist_add(l, NULL, 0, NULL, 0), 0);
	static uint8_t big[100000];
	memset(big, 'b', sizeof(big));
	assert_int_equal(kvlist_add(l, (const uint8_t *)"big", 3, big, sizeof(big)), 0);
	for (int round = 0; round < 2; round++) {
		char k[32];
		for (int i = 49999; i >= 0; i--) {
			snprintf(k, sizeof(k), "key%06d", i);
			add_s(l, k, k + 3);
		}
		kvlist_sort(l);
		size_t cur = 0, kl, vl;
		const uint8_t *kp, *vp;
		if (round == 0) {
			assert_int_equal(kvlist_next(l, &cur, &kp, &kl, &vp, &vl), 1);
			assert_int_equal(kl, 0);
			assert_int_equal(vl, 0);
			assert_int_equal(kvlist_next(l, &cur, &kp, &kl, &vp, &vl), 1);
			assert_int_equal(kl, 3);
			assert_int_equal(vl, sizeof(big));
			assert_memory_equal(vp, big, vl);
		}
		for (int i = 0; i < 50000; i++) {
			assert_int_equal(kvlist_next(l, &cur, &kp, &kl, &vp, &vl), 1);
			snprintf(k, sizeof(k), "key%06d", i);
			assert_int_equal(kl, strlen(k));
			assert_memory_equal(kp, k, kl);
			assert_int_equal(vl, 6);
			assert_memory_equal(vp, k + 3, 6);
		}
		assert_int_equal(kvlist_next(l, &cur, &kp, &kl, &vp, &vl), 0);
		kvlist_clear(l);
		assert_int_equal(kvlist_count(l), 0);
		kvlist_sort(l);
		cur = 0;
		assert_int_equal(kvlist_next(l, &cur, &kp, &kl, &vp, &vl), 0);
	}
	kvlist_free(l);
}

struct bkey {
	uint8_t b[72];
	size_t len, seq;
};

static int bkey_cmp(const void *a, const void *b)
{
	const struct bkey *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->b, y->b, n);
	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Random binary keys (NUL and 0xff bytes, empty keys, duplicates, a
 * shared prefix of random length, keys longer than the radix passes go)
 * against qsort of the same keys. */
static void test_random_against_qsort(void **state)
{
	(void)state;
	static const uint8_t alphabet[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 'a' };
	static struct bkey keys[1500];
	uint64_t rs = 4242;
	struct kvlist *l = kvlist_new();
	assert_non_null(l);
	for (int round = 0; round < 20; round++) {
		kvlist_clear(l);
		size_t shared = (size_t)(rng_next(&rs) % 48);
		uint8_t prefix[48];
		for (size_t j = 0; j < shared; j++)
			prefix[j] = alphabet[rng_next(&rs) % sizeof(alphabet)];
		for (size_t i = 0; i < 1500; i++) {
			struct bkey *x = &keys[i];
			/* Keys up to 71 bytes, some the shared prefix cut short
			 * or empty; one in 8 repeats an earlier key (ties beyond
			 * the 32 bytes sorted by radix). */
			if (i > 0 && rng_next(&rs) % 8 == 0) {
				*x = keys[rng_next(&rs) % i];
			} else {
				x->len = (size_t)(rng_next(&rs) % sizeof(x->b));
				for (size_t j = 0; j < x->len; j++)
					x->b[j] = j < shared ? prefix[j]
					                     : alphabet[rng_next(&rs) % sizeof(alphabet)];
			}
			x->seq = i;
			uint8_t v[8];
			memcpy(v, &x->seq, sizeof(v));
			assert_int_equal(kvlist_add(l, x->b, x->len, v, sizeof(v)), 0);
		}
		qsort(keys, 1500, sizeof(keys[0]), bkey_cmp);
		kvlist_sort(l);
		size_t cur = 0, kl, vl, i = 0;
		const uint8_t *k, *v;
		while (kvlist_next(l, &cur, &k, &kl, &v, &vl)) {
			assert_true(i < 1500);
			assert_int_equal(kl, keys[i].len);
			assert_memory_equal(k, keys[i].b, kl);
			size_t seq;
			assert_int_equal(vl, sizeof(seq));
			memcpy(&seq, v, sizeof(seq));
			assert_int_equal(seq, keys[i].seq);
			i++;
		}
		assert_int_equal(i, 1500);
	}
	kvlist_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_equal_keys_keep_their_order),
		cmocka_unit_test(test_sort_after_clear),
		cmocka_unit_test(test_growth_and_clear),
		cmocka_unit_test(test_random_against_qsort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
