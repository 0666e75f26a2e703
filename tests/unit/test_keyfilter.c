/* Unit tests for keyfilter: no false negatives, the false-positive rate at
 * 1M keys and at full capacity, building and rebuilding from a real
 * LevelDB store holding every key family (only the tuple families count),
 * keyfilter_full past capacity and the rebuild that doubles it. Each store
 * lives in its own mkdtemp directory. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "keyfilter.h"
#include "pd_err.h"
#include "pd_obs.h"
#include "record.h"
#include "store.h"

struct fx {
	char dir[64];
	struct store *st;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void fx_open(struct fx *f)
{
	char err[512] = "";
	struct store_opts o = { .block_cache_bytes = 1u << 20, .write_buffer_bytes = 1u << 20,
	                        .create = 1 };
	int rc = store_open(&f->st, f->dir, &o, err, sizeof(err));
	if (rc != 0)
		fail_msg("store_open: %d %s", rc, err);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_keyfilter.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	fx_open(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A tuple-like key: family, a tag that separates key sets, random bytes. */
static size_t rand_key(uint64_t *rs, uint8_t tag, uint8_t *k)
{
	size_t len = 8 + (size_t)(rng_next(rs) % 40);
	k[0] = REC_RRSET;
	k[1] = tag;
	for (size_t i = 2; i < len; i += 8) {
		uint64_t r = rng_next(rs);
		memcpy(k + i, &r, len - i < 8 ? len - i : 8);
	}
	return len;
}

static struct keyfilter *build(struct store *st, uint64_t min_keys)
{
	char err[512] = "";
	struct keyfilter *kf = NULL;
	int rc = keyfilter_build(&kf, st, min_keys, err, sizeof(err));
	if (rc != 0)
		fail_msg("keyfilter_build: %d %s", rc, err);
	assert_non_null(kf);
	return kf;
}

/* False positives among n keys that were never added. */
static double fp_rate(const struct keyfilter *kf, uint64_t seed, size_t n)
{
	uint64_t rs = seed;
	uint8_t k[64];
	size_t fp = 0;
	for (size_t i = 0; i < n; i++) {
		size_t kl = rand_key(&rs, 0xbb, k);
		fp += (size_t)keyfilter_maybe(kf, k, kl);
	}
	return (double)fp / (double)n;
}

/* 1M keys: every one reported, under 2% of 1M absent ones. */
static void test_million_keys(void **state)
{
	struct fx *f = *state;
	struct keyfilter *kf = build(f->st, 1000000);
	assert_int_equal(keyfilter_keys(kf), 0);
	/* 10 bits a key, rounded up to a power of two. */
	assert_true(keyfilter_bytes(kf) >= 1000000 * 10 / 8);
	assert_true(keyfilter_bytes(kf) <= 2 * 1000000 * 10 / 8);

	uint64_t rs = 1;
	uint8_t k[64];
	/* Half the keys go in with the hash computed by the caller, and each
	 * is looked up the other way. */
	for (int i = 0; i < 1000000; i++) {
		size_t kl = rand_key(&rs, 0xaa, k);
		if (i & 1)
			keyfilter_add_h(kf, keyfilter_hash(k, kl));
		else
			keyfilter_add(kf, k, kl);
	}
	assert_int_equal(keyfilter_keys(kf), 1000000);
	assert_false(keyfilter_full(kf));
	rs = 1;
	for (int i = 0; i < 1000000; i++) {
		size_t kl = rand_key(&rs, 0xaa, k);
		uint64_t h = keyfilter_hash(k, kl);
		keyfilter_prefetch_h(kf, h);
		if (!((i & 1) ? keyfilter_maybe(kf, k, kl) : keyfilter_maybe_h(kf, h)))
			fail_msg("false negative for key %d", i);
	}
	double fpr = fp_rate(kf, 2, 1000000);
	print_message("keyfilter: false positives at 1M keys: %.3f%%\n", fpr * 100);
	assert_true(fpr < 0.02);
	keyfilter_free(kf);
	keyfilter_free(NULL);
}

/* Filled to its capacity (10 bits a key) the rate still stays under 2%;
 * one key more and it asks to be rebuilt. */
static void test_full_capacity(void **state)
{
	struct fx *f = *state;
	struct keyfilter *kf = build(f->st, 0);
	uint64_t cap = keyfilter_bytes(kf) * 8 / 10;
	assert_true(cap >= 1000);
	uint64_t rs = 3;
	uint8_t k[64];
	for (uint64_t i = 0; i < cap; i++) {
		size_t kl = rand_key(&rs, 0xaa, k);
		keyfilter_add(kf, k, kl);
	}
	assert_false(keyfilter_full(kf));
	double fpr = fp_rate(kf, 4, 200000);
	print_message("keyfilter: false positives at capacity: %.3f%%\n", fpr * 100);
	assert_true(fpr < 0.02);
	size_t kl = rand_key(&rs, 0xaa, k);
	keyfilter_add(kf, k, kl);
	assert_true(keyfilter_full(kf));
	assert_int_equal(keyfilter_keys(kf), cap + 1);
	rs = 3;
	for (uint64_t i = 0; i <= cap; i++) {
		kl = rand_key(&rs, 0xaa, k);
		assert_true(keyfilter_maybe(kf, k, kl));
	}
	keyfilter_free(kf);
}

static void write_batch(struct store *st, struct store_batch *b)
{
	char err[512] = "";
	int rc = store_write(st, b, 0, err, sizeof(err));
	if (rc != 0)
		fail_msg("store_write: %d %s", rc, err);
	store_batch_clear(b);
}

/* Tuple keys made the way the writer makes them. */
static size_t tuple_key(uint8_t *key, int i, int negative)
{
	uint8_t name[64];
	int n = snprintf((char *)name + 1, sizeof(name) - 1, "host%d", i);
	name[0] = (uint8_t)n;
	memcpy(name + 1 + n, "\7example\3com", 13); /* with the root's 0 */
	struct pd_obs o;
	memset(&o, 0, sizeof(o));
	o.name = name;
	o.name_len = (size_t)n + 1 + 13;
	o.type = negative ? 28 : 1;
	uint8_t rd[4] = { 10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
	o.rdata = negative ? NULL : rd;
	o.rdlen = negative ? 0 : 4;
	o.flags = negative ? PD_OBS_NXDOMAIN : 0;
	return rec_key_tuple(key, &o);
}

/* Puts tuples [from, to) of each kind, plus other families' keys. */
static void fill(struct store *st, int from, int to)
{
	struct store_batch *b = store_batch_new();
	assert_non_null(b);
	uint8_t key[600];
	const uint8_t val[] = { 1, 1, 2, 0, 0x81, 0x80, 0, 1, 1, 2, 0 };
	for (int i = from; i < to; i++) {
		size_t kl = tuple_key(key, i, 0);
		store_batch_put(b, key, kl, val, sizeof(val));
		kl = tuple_key(key, i, 1);
		store_batch_put(b, key, kl, val, sizeof(val));
		/* A stream state, a metadata key, and an index entry. */
		uint8_t sk[17] = { REC_STREAM };
		memcpy(sk + 1, &i, sizeof(i));
		store_batch_put(b, sk, sizeof(sk), val, 3);
		uint8_t mk[32] = { REC_META };
		int ml = snprintf((char *)mk + 1, sizeof(mk) - 1, "meta/%d", i);
		store_batch_put(b, mk, 1 + (size_t)ml, val, 3);
		uint8_t ik[16] = { 0x03 };
		memcpy(ik + 1, &i, sizeof(i));
		store_batch_put(b, ik, 1 + sizeof(i), NULL, 0);
		if ((i - from) % 1000 == 999)
			write_batch(st, b);
	}
	write_batch(st, b);
	store_batch_free(b);
}

/* The filter holds exactly the tuple keys of the store. */
static void assert_membership(const struct keyfilter *kf, int to)
{
	uint8_t key[600];
	for (int i = 0; i < to; i++) {
		size_t kl = tuple_key(key, i, 0);
		assert_true(keyfilter_maybe(kf, key, kl));
		kl = tuple_key(key, i, 1);
		assert_true(keyfilter_maybe(kf, key, kl));
	}
	/* The other families' keys were not added: at these fill levels a
	 * false positive among them would be a one-in-a-million event. */
	size_t others = 0;
	for (int i = 0; i < to; i++) {
		uint8_t sk[17] = { REC_STREAM };
		memcpy(sk + 1, &i, sizeof(i));
		others += (size_t)keyfilter_maybe(kf, sk, sizeof(sk));
		uint8_t mk[32] = { REC_META };
		int ml = snprintf((char *)mk + 1, sizeof(mk) - 1, "meta/%d", i);
		others += (size_t)keyfilter_maybe(kf, mk, 1 + (size_t)ml);
	}
	const uint8_t version[] = { REC_META, 'v', 'e', 'r', 's', 'i', 'o', 'n' };
	others += (size_t)keyfilter_maybe(kf, version, sizeof(version));
	assert_true(others <= (size_t)to / 200);
}

static void test_build_from_store(void **state)
{
	struct fx *f = *state;
	/* An empty store (but for its version stamp): no keys. */
	struct keyfilter *kf = build(f->st, 0);
	assert_int_equal(keyfilter_keys(kf), 0);
	assert_false(keyfilter_full(kf));
	keyfilter_free(kf);

	fill(f->st, 0, 1500);
	kf = build(f->st, 0);
	assert_int_equal(keyfilter_keys(kf), 2 * 1500);
	assert_false(keyfilter_full(kf));
	assert_membership(kf, 1500);
	/* Nothing of the other families: not their exact keys, nor anything
	 * from outside; the few absentees that hit are false positives. */
	assert_true(fp_rate(kf, 9, 20000) < 0.005);

	/* The capacity asked for is honoured, and twice the keys found. */
	struct keyfilter *big = build(f->st, 1000000);
	assert_true(keyfilter_bytes(big) >= 1000000 * 10 / 8);
	assert_int_equal(keyfilter_keys(big), 3000);
	keyfilter_free(big);
	keyfilter_free(kf);
}

/* The writer's life: keys go to the store and the filter; when the filter
 * is full it is rebuilt from the store, twice as large. */
static void test_full_and_rebuild(void **state)
{
	struct fx *f = *state;
	struct keyfilter *kf = build(f->st, 0);
	size_t bytes0 = keyfilter_bytes(kf);
	uint64_t cap = bytes0 * 8 / 10;
	int n = (int)(cap / 2); /* two tuple keys per step */
	fill(f->st, 0, n);
	uint8_t key[600];
	for (int i = 0; i < n; i++) {
		size_t kl = tuple_key(key, i, 0);
		keyfilter_add(kf, key, kl);
		kl = tuple_key(key, i, 1);
		keyfilter_add(kf, key, kl);
	}
	assert_false(keyfilter_full(kf));
	fill(f->st, n, n + 1);
	size_t kl = tuple_key(key, n, 0);
	keyfilter_add(kf, key, kl);
	kl = tuple_key(key, n, 1);
	keyfilter_add(kf, key, kl);
	assert_true(keyfilter_full(kf));

	char err[512] = "";
	int rc = keyfilter_rebuild(kf, f->st, err, sizeof(err));
	if (rc != 0)
		fail_msg("keyfilter_rebuild: %d %s", rc, err);
	assert_false(keyfilter_full(kf));
	assert_int_equal(keyfilter_keys(kf), 2 * (uint64_t)(n + 1));
	assert_true(keyfilter_bytes(kf) >= 2 * bytes0);
	assert_membership(kf, n + 1);

	/* A rebuild after the store was reopened finds the same keys, and
	 * does not shrink the filter. */
	size_t bytes1 = keyfilter_bytes(kf);
	assert_int_equal(store_reopen(f->st, err, sizeof(err)), 0);
	rc = keyfilter_rebuild(kf, f->st, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(keyfilter_keys(kf), 2 * (uint64_t)(n + 1));
	assert_int_equal(keyfilter_bytes(kf), bytes1);
	assert_membership(kf, n + 1);

	/* After close and open too. */
	store_close(f->st);
	f->st = NULL;
	fx_open(f);
	rc = keyfilter_rebuild(kf, f->st, err, sizeof(err));
	assert_int_equal(rc, 0);
	assert_int_equal(keyfilter_keys(kf), 2 * (uint64_t)(n + 1));
	assert_membership(kf, n + 1);
	keyfilter_free(kf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_million_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_from_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_and_rebuild, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
