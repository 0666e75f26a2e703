/* Unit tests for store: create and open, the format version stamp and the
 * refusal of another version, get and put through batches, iterators and
 * snapshots (a snapshot does not see later writes), store_reopen keeping
 * the data, a second open of the same directory, properties, compression
 * on and off. Each store lives in its own mkdtemp directory. */
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
#include <unistd.h>

#include <leveldb/c.h>

#include "pd_buf.h"
#include "migrate.h"
#include "pd_err.h"
#include "record.h"
#include "store.h"

struct fx {
	char base[64], dir[96];
	struct store *st;
	struct pd_buf v;
	char err[1024];
};

static const uint8_t version_key[] = { REC_META, 'v', 'e', 'r', 's', 'i', 'o', 'n' };

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int open_at(struct fx *f, struct store **out, int create)
{
	struct store_opts o = { .block_cache_bytes = 1u << 20, .write_buffer_bytes = 1u << 20,
	                        .create = create };
	f->err[0] = 0;
	return store_open(out, f->dir, &o, f->err, sizeof(f->err));
}

static void open_ok(struct fx *f)
{
	int rc = open_at(f, &f->st, 1);
	if (rc != 0)
		fail_msg("store_open: %d %s", rc, f->err);
	assert_non_null(f->st);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->base, sizeof(f->base), "/tmp/test_store.XXXXXX");
	assert_non_null(mkdtemp(f->base));
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->base);
	pd_buf_init(&f->v, 1u << 20);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	pd_buf_fini(&f->v);
	nftw(f->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void put1(struct fx *f, const char *k, const char *v, int sync)
{
	struct store_batch *b = store_batch_new();
	assert_non_null(b);
	store_batch_put(b, (const uint8_t *)k, strlen(k), (const uint8_t *)v, strlen(v));
	int rc = store_write(f->st, b, sync, f->err, sizeof(f->err));
	if (rc != 0)
		fail_msg("store_write: %d %s", rc, f->err);
	store_batch_free(b);
}

/* Checks k's value through snap (NULL: the latest); want NULL: absent. */
static void assert_value(struct fx *f, const struct store_snap *snap, const char *k,
                         const char *want)
{
	pd_buf_reset(&f->v);
	int rc = store_get(f->st, snap, (const uint8_t *)k, strlen(k), &f->v);
	if (!want) {
		assert_int_equal(rc, 0);
		return;
	}
	if (rc != 1)
		fail_msg("store_get %s: %d", k, rc);
	assert_int_equal(f->v.len, strlen(want));
	assert_memory_equal(f->v.data, want, f->v.len);
}

/* Writes the version key behind the store's back (it refuses to open). */
static void set_version(struct fx *f, const char *ver)
{
	leveldb_options_t *o = leveldb_options_create();
	leveldb_writeoptions_t *wo = leveldb_writeoptions_create();
	leveldb_writeoptions_set_sync(wo, 1);
	char *lerr = NULL;
	leveldb_t *db = leveldb_open(o, f->dir, &lerr);
	if (!db)
		fail_msg("leveldb_open: %s", lerr);
	leveldb_put(db, wo, (const char *)version_key, sizeof(version_key), ver, strlen(ver), &lerr);
	if (lerr)
		fail_msg("leveldb_put: %s", lerr);
	leveldb_close(db);
	leveldb_writeoptions_destroy(wo);
	leveldb_options_destroy(o);
}

static void test_create_and_stamp(void **state)
{
	struct fx *f = *state;
	/* Without create, a missing store is an error naming the directory. */
	struct store *s = (struct store *)(uintptr_t)1;
	assert_int_equal(open_at(f, &s, 0), PD_ESTORE);
	assert_ptr_equal(s, (struct store *)(uintptr_t)1);
	assert_non_null(strstr(f->err, f->dir));

	open_ok(f);
	/* A new store is stamped with the format version. */
	pd_buf_reset(&f->v);
	assert_int_equal(store_get(f->st, NULL, version_key, sizeof(version_key), &f->v), 1);
	char want[16];
	snprintf(want, sizeof(want), "%d", STORE_FORMAT_VERSION);
	assert_int_equal(f->v.len, strlen(want));
	assert_memory_equal(f->v.data, want, f->v.len);
	store_close(f->st);
	f->st = NULL;

	/* It opens again, with or without create, and keeps its stamp. */
	assert_int_equal(open_at(f, &f->st, 0), 0);
	pd_buf_reset(&f->v);
	assert_int_equal(store_get(f->st, NULL, version_key, sizeof(version_key), &f->v), 1);
	assert_memory_equal(f->v.data, want, f->v.len);
	store_close(NULL);
}

/* A format 2 store: migration stamps the current format, and its values
 * (the full form even for one site) read and merge into the short form. */
static void test_format_2_store_migrates(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	assert_int_equal(store_set_version(f->st, 2, f->err, sizeof(f->err)), 0);
	const uint8_t key[] = { REC_RRSET, 1, 'x', 0, 0, 1, 10, 0, 0, 1 };
	const uint8_t full1[] = { 1, 2, 20, 5, 1, 7, 2, 20, 5 };
	struct store_batch *b = store_batch_new();
	assert_non_null(b);
	store_batch_put(b, key, sizeof(key), full1, sizeof(full1));
	assert_int_equal(store_write(f->st, b, 1, f->err, sizeof(f->err)), 0);
	store_batch_free(b);
	store_close(f->st);
	f->st = NULL;

	assert_int_equal(open_at(f, &f->st, 0), 0);
	assert_int_equal(store_version(f->st), 2);
	assert_int_equal(migrate_store(f->st, f->dir, f->err, sizeof(f->err)), 0);
	assert_int_equal(store_version(f->st), STORE_FORMAT_VERSION);
	pd_buf_reset(&f->v);
	assert_int_equal(store_get(f->st, NULL, key, sizeof(key), &f->v), 1);
	struct rec_site sites[4];
	struct rec_val rv;
	assert_int_equal(rec_val_decode(f->v.data, f->v.len, &rv, sites, 4), 0);
	assert_int_equal(rv.count, 2);
	assert_int_equal(rv.nsites, 1);
	assert_int_equal(sites[0].site, 7);
	uint8_t out[128];
	int n = rec_val_merge(f->v.data, f->v.len, 7, 1, 12, 12, out, sizeof(out));
	assert_true(n > 0);
	assert_int_equal(out[0], REC_VAL_ONE);
	store_close(f->st);
	f->st = NULL;
	/* Stamped: the next open has nothing to do. */
	assert_int_equal(open_at(f, &f->st, 0), 0);
	assert_int_equal(store_version(f->st), STORE_FORMAT_VERSION);
}

/* A store written by a newer aggregator: refused, with what to do. */
static void test_other_version_refused(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	put1(f, "data", "kept", 1);
	char newer[16];
	snprintf(newer, sizeof(newer), "%d", STORE_FORMAT_VERSION + 1);
	struct store_batch *b = store_batch_new();
	store_batch_put(b, version_key, sizeof(version_key), (const uint8_t *)newer,
	                strlen(newer));
	assert_int_equal(store_write(f->st, b, 1, f->err, sizeof(f->err)), 0);
	store_batch_free(b);
	store_close(f->st);
	f->st = NULL;

	struct store *s = (struct store *)(uintptr_t)1;
	assert_int_equal(open_at(f, &s, 1), PD_EVERSION);
	assert_ptr_equal(s, (struct store *)(uintptr_t)1); /* not set */
	/* The message says which version, where, and what to do about it. */
	char ver[64];
	snprintf(ver, sizeof(ver), "store format version %d,", STORE_FORMAT_VERSION + 1);
	if (!strstr(f->err, ver) || !strstr(f->err, "--export") || !strstr(f->err, "--import") ||
	    !strstr(f->err, f->dir))
		fail_msg("unhelpful message: %s", f->err);

	/* Refusing did not restamp the store: a second attempt (without
	 * create) is refused the same way. */
	assert_int_equal(open_at(f, &s, 0), PD_EVERSION);
	assert_ptr_equal(s, (struct store *)(uintptr_t)1);

	/* A version that is not a number is refused too. */
	set_version(f, "garbage");
	assert_int_equal(open_at(f, &s, 0), PD_EVERSION);
	assert_non_null(strstr(f->err, "--export"));

	/* With the current version back, it opens (the refusals released the
	 * lock) and the data is all there. */
	char want[16];
	snprintf(want, sizeof(want), "%d", STORE_FORMAT_VERSION);
	set_version(f, want);
	open_ok(f);
	assert_value(f, NULL, "data", "kept");
}

static void test_get_put_batches(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	assert_value(f, NULL, "a", NULL);
	put1(f, "a", "1", 0);
	assert_value(f, NULL, "a", "1");
	put1(f, "a", "one", 1);
	assert_value(f, NULL, "a", "one");

	/* A batch applies all of its puts; the last put of a key wins. */
	struct store_batch *b = store_batch_new();
	assert_non_null(b);
	store_batch_put(b, (const uint8_t *)"b", 1, (const uint8_t *)"2", 1);
	store_batch_put(b, (const uint8_t *)"c", 1, (const uint8_t *)"3", 1);
	store_batch_put(b, (const uint8_t *)"b", 1, (const uint8_t *)"two", 3);
	/* Nothing is visible before the write. */
	assert_value(f, NULL, "b", NULL);
	assert_int_equal(store_write(f->st, b, 0, f->err, sizeof(f->err)), 0);
	assert_value(f, NULL, "b", "two");
	assert_value(f, NULL, "c", "3");

	/* The batch goes to LevelDB in key order: a key put many times among
	 * others still ends with its last value. */
	store_batch_clear(b);
	char mk[16], mv[16];
	for (int i = 0; i < 500; i++) {
		snprintf(mk, sizeof(mk), "m%d", (i * 7) % 13);
		snprintf(mv, sizeof(mv), "%d", i);
		store_batch_put(b, (const uint8_t *)mk, strlen(mk), (const uint8_t *)mv, strlen(mv));
	}
	assert_int_equal(store_write(f->st, b, 0, f->err, sizeof(f->err)), 0);
	for (int key = 0; key < 13; key++) {
		int last = -1;
		for (int i = 0; i < 500; i++)
			if ((i * 7) % 13 == key)
				last = i;
		snprintf(mk, sizeof(mk), "m%d", key);
		snprintf(mv, sizeof(mv), "%d", last);
		assert_value(f, NULL, mk, mv);
	}

	/* A put that does not fit (here a value of 4 GiB, refused before it
	 * is read) fails the whole batch, with a reason, until it is cleared. */
	store_batch_clear(b);
	store_batch_put(b, (const uint8_t *)"x", 1, (const uint8_t *)"1", 1);
	store_batch_put(b, (const uint8_t *)"y", 1, (const uint8_t *)"1", (size_t)UINT32_MAX + 1);
	f->err[0] = 0;
	assert_int_equal(store_write(f->st, b, 0, f->err, sizeof(f->err)), PD_ESTORE);
	assert_non_null(strstr(f->err, "did not fit"));
	assert_value(f, NULL, "x", NULL);
	assert_value(f, NULL, "y", NULL);
	store_batch_clear(b);
	store_batch_put(b, (const uint8_t *)"x", 1, (const uint8_t *)"1", 1);
	assert_int_equal(store_write(f->st, b, 0, f->err, sizeof(f->err)), 0);
	assert_value(f, NULL, "x", "1");

	/* Cleared, a batch writes nothing; reused, only what was put since. */
	store_batch_put(b, (const uint8_t *)"d", 1, (const uint8_t *)"4", 1);
	store_batch_clear(b);
	assert_int_equal(store_write(f->st, b, 0, f->err, sizeof(f->err)), 0);
	assert_value(f, NULL, "d", NULL);
	store_batch_put(b, (const uint8_t *)"e", 1, (const uint8_t *)"5", 1);
	assert_int_equal(store_write(f->st, b, 1, f->err, sizeof(f->err)), 0);
	assert_value(f, NULL, "e", "5");
	assert_value(f, NULL, "d", NULL);
	store_batch_free(b);
	store_batch_free(NULL);

	/* Binary keys and values, empty values, a large value. */
	const uint8_t bk[] = { 0, 1, 0, 0xff }, bv[] = { 0, 0, 0 };
	b = store_batch_new();
	store_batch_put(b, bk, sizeof(bk), bv, sizeof(bv));
	store_batch_put(b, bk, 3, NULL, 0);
	size_t big_len = 300000;
	uint8_t *big = malloc(big_len);
	assert_non_null(big);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (uint8_t)(i * 31 + 7);
	store_batch_put(b, (const uint8_t *)"big", 3, big, big_len);
	assert_int_equal(store_write(f->st, b, 1, f->err, sizeof(f->err)), 0);
	store_batch_free(b);
	pd_buf_reset(&f->v);
	assert_int_equal(store_get(f->st, NULL, bk, sizeof(bk), &f->v), 1);
	assert_int_equal(f->v.len, 3);
	assert_memory_equal(f->v.data, bv, 3);
	assert_int_equal(store_get(f->st, NULL, bk, 3, &f->v), 1);
	assert_int_equal(f->v.len, 0);
	assert_int_equal(store_get(f->st, NULL, bk, 2, &f->v), 0);
	assert_int_equal(store_get(f->st, NULL, (const uint8_t *)"big", 3, &f->v), 1);
	assert_int_equal(f->v.len, big_len);
	assert_memory_equal(f->v.data, big, big_len);
	/* A value larger than the caller's buffer cap is an error, not a cut. */
	struct pd_buf small;
	pd_buf_init(&small, 1000);
	assert_true(store_get(f->st, NULL, (const uint8_t *)"big", 3, &small) < 0);
	pd_buf_fini(&small);
	free(big);
}

/* Collects the keys from seek position `from` onwards, at most max; checks
 * (with check) the values of text keys are the key upper-cased. The iterator is freed
 * before any check fails (a live iterator would hold the store open). */
static size_t scan(struct fx *f, const struct store_snap *snap, const char *from, char keys[][16],
                   size_t max, int check)
{
	char vals[16][16];
	size_t vlens[16], klens[16];
	assert_true(max <= 16);
	struct store_iter *it = store_iter_new(f->st, snap, STORE_SCAN);
	assert_non_null(it);
	size_t n = 0, toolong = 0;
	for (store_iter_seek(it, (const uint8_t *)from, strlen(from));
	     store_iter_valid(it) && n < max; store_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = store_iter_key(it, &kl);
		const uint8_t *v = store_iter_value(it, &vl);
		if (kl >= 16 || vl >= 16) {
			toolong++;
			continue;
		}
		memcpy(keys[n], k, kl);
		keys[n][kl] = 0;
		klens[n] = kl;
		memcpy(vals[n], v, vl);
		vlens[n++] = vl;
	}
	int rc = store_iter_status(it, f->err, sizeof(f->err));
	store_iter_free(it);
	assert_int_equal(rc, 0);
	assert_int_equal(toolong, 0);
	for (size_t j = 0; j < n; j++) {
		if (!check || keys[j][0] < 'a' || keys[j][0] > 'z')
			continue;
		assert_int_equal(vlens[j], klens[j]);
		for (size_t i = 0; i < klens[j]; i++)
			assert_int_equal(vals[j][i], keys[j][i] >= 'a' && keys[j][i] <= 'z'
			                                 ? keys[j][i] - 32 : keys[j][i]);
	}
	return n;
}

static void put_upper(struct fx *f, const char *k)
{
	char v[16];
	size_t i;
	for (i = 0; k[i]; i++)
		v[i] = k[i] >= 'a' && k[i] <= 'z' ? (char)(k[i] - 32) : k[i];
	v[i] = 0;
	put1(f, k, v, 0);
}

static void test_iterators(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	/* Written out of order: iteration is in bytewise key order. */
	const char *keys[] = { "m", "b", "ba", "bb", "a", "zz", "z", "b0" };
	for (size_t i = 0; i < 8; i++)
		put_upper(f, keys[i]);
	char got[16][16];
	size_t n = scan(f, NULL, "a", got, 16, 1);
	const char *order[] = { "a", "b", "b0", "ba", "bb", "m", "z", "zz" };
	assert_int_equal(n, 8);
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(got[i], order[i]);
	/* Seeking lands on the first key at or after the target. */
	n = scan(f, NULL, "b1", got, 16, 1);
	assert_int_equal(n, 5);
	assert_string_equal(got[0], "ba");
	n = scan(f, NULL, "ba", got, 2, 1);
	assert_string_equal(got[0], "ba");
	assert_string_equal(got[1], "bb");
	n = scan(f, NULL, "zzz", got, 16, 1);
	assert_int_equal(n, 0);
	/* From the very start: the version stamp under REC_META (0x11) sorts
	 * before the letters. */
	n = scan(f, NULL, "", got, 16, 1);
	assert_int_equal(n, 9);
	assert_int_equal(got[0][0], REC_META);
}

static void test_snapshots(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	put_upper(f, "k");
	put1(f, "x", "old", 0);
	struct store_snap *snap = store_snap_new(f->st);
	assert_non_null(snap);

	put1(f, "x", "new", 1);
	put_upper(f, "y");
	/* The snapshot sees the state when it was taken... */
	assert_value(f, snap, "x", "old");
	assert_value(f, snap, "y", NULL);
	assert_value(f, snap, "k", "K");
	/* ... the latest state sees the writes. */
	assert_value(f, NULL, "x", "new");
	assert_value(f, NULL, "y", "Y");

	/* Iterators over the snapshot and over the latest state. */
	char got[16][16];
	size_t n = scan(f, snap, "k", got, 16, 0);
	assert_int_equal(n, 2);
	assert_string_equal(got[0], "k");
	assert_string_equal(got[1], "x");
	n = scan(f, NULL, "k", got, 16, 0);
	assert_int_equal(n, 3);
	assert_string_equal(got[2], "y");

	/* An iterator opened without a snapshot is one itself: later writes
	 * do not show up in it. */
	struct store_iter *it = store_iter_new(f->st, NULL, STORE_SCAN);
	assert_non_null(it);
	put_upper(f, "w");
	store_iter_seek(it, (const uint8_t *)"k", 1);
	size_t count = 0;
	for (; store_iter_valid(it); store_iter_next(it))
		count++;
	store_iter_free(it);
	assert_int_equal(count, 3); /* k, x, y; not w */
	store_snap_free(f->st, snap);
	store_snap_free(f->st, NULL);

	/* Two snapshots at different times. */
	struct store_snap *s1 = store_snap_new(f->st);
	put1(f, "x", "newer", 0);
	struct store_snap *s2 = store_snap_new(f->st);
	put1(f, "x", "newest", 0);
	assert_value(f, s1, "x", "new");
	assert_value(f, s2, "x", "newer");
	assert_value(f, NULL, "x", "newest");
	store_snap_free(f->st, s2);
	store_snap_free(f->st, s1);
}

static void test_reopen_keeps_data(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	char k[32], v[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(k, sizeof(k), "key%05d", i);
		snprintf(v, sizeof(v), "value%d", i);
		put1(f, k, v, i % 500 == 0);
	}
	assert_int_equal(store_reopen(f->st, f->err, sizeof(f->err)), 0);
	for (int i = 0; i < 2000; i += 7) {
		snprintf(k, sizeof(k), "key%05d", i);
		snprintf(v, sizeof(v), "value%d", i);
		assert_value(f, NULL, k, v);
	}
	/* Writes and snapshots work after it. */
	put1(f, "after", "reopen", 1);
	assert_value(f, NULL, "after", "reopen");
	struct store_snap *snap = store_snap_new(f->st);
	assert_non_null(snap);
	assert_value(f, snap, "after", "reopen");
	store_snap_free(f->st, snap);
	/* Twice in a row. */
	assert_int_equal(store_reopen(f->st, f->err, sizeof(f->err)), 0);
	assert_value(f, NULL, "key01999", "value1999");

	/* And all of it across close and open. */
	store_close(f->st);
	f->st = NULL;
	open_ok(f);
	assert_value(f, NULL, "key00000", "value0");
	assert_value(f, NULL, "after", "reopen");
	struct store_iter *it = store_iter_new(f->st, NULL, STORE_SCAN);
	assert_non_null(it);
	int n = 0;
	for (store_iter_seek(it, (const uint8_t *)"key", 3); store_iter_valid(it);
	     store_iter_next(it)) {
		size_t kl;
		const uint8_t *kp = store_iter_key(it, &kl);
		if (kl < 3 || memcmp(kp, "key", 3) != 0)
			break;
		n++;
	}
	assert_int_equal(store_iter_status(it, f->err, sizeof(f->err)), 0);
	store_iter_free(it);
	assert_int_equal(n, 2000);
}

static void test_second_open_refused(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	put1(f, "a", "A", 1);
	struct store *s2 = (struct store *)(uintptr_t)1;
	assert_int_equal(open_at(f, &s2, 1), PD_ESTORE);
	assert_ptr_equal(s2, (struct store *)(uintptr_t)1);
	if (!strstr(f->err, "open in another process") || !strstr(f->err, f->dir))
		fail_msg("unhelpful message: %s", f->err);
	/* The first handle is unaffected. */
	assert_value(f, NULL, "a", "A");
	put1(f, "b", "B", 1);
	assert_value(f, NULL, "b", "B");
	/* Once it is closed, the directory opens again. */
	store_close(f->st);
	f->st = NULL;
	open_ok(f);
	assert_value(f, NULL, "b", "B");
}

static void test_properties(void **state)
{
	struct fx *f = *state;
	open_ok(f);
	char k[32];
	uint8_t v[512];
	memset(v, 0x5a, sizeof(v));
	struct store_batch *b = store_batch_new();
	for (int i = 0; i < 4000; i++) {
		int kl = snprintf(k, sizeof(k), "p%06d", i);
		store_batch_put(b, (const uint8_t *)k, (size_t)kl, v, sizeof(v));
	}
	assert_int_equal(store_write(f->st, b, 1, f->err, sizeof(f->err)), 0);
	store_batch_free(b);
	struct pd_buf out;
	pd_buf_init(&out, 1u << 20);
	assert_int_equal(store_property(f->st, "leveldb.stats", &out), 0);
	assert_true(out.len > 0);
	assert_non_null(strstr(pd_buf_cstr(&out), "Compactions"));
	assert_int_equal(store_property(f->st, "leveldb.no-such-property", &out), PD_ENOTFOUND);
	pd_buf_fini(&out);
	/* Once compacted into tables, the range has a size on disk. */
	store_compact(f->st);
	uint64_t sz = store_approximate_size(f->st, (const uint8_t *)"p", 1, (const uint8_t *)"q", 1);
	assert_true(sz > 0);
	uint64_t none = store_approximate_size(f->st, (const uint8_t *)"x", 1, (const uint8_t *)"y", 1);
	assert_true(none < sz);
	/* Compaction kept the data. */
	pd_buf_reset(&f->v);
	assert_int_equal(store_get(f->st, NULL, (const uint8_t *)"p000123", 7, &f->v), 1);
	assert_int_equal(f->v.len, sizeof(v));
	assert_memory_equal(f->v.data, v, sizeof(v));
}

/* Writes 4000 keys "c000000".. with 512 repetitive bytes each, and
 * returns their bytes on disk after a full compaction. */
static uint64_t put_compacted(struct fx *f, const uint8_t *v, size_t vl)
{
	char k[32];
	struct store_batch *b = store_batch_new();
	for (int i = 0; i < 4000; i++) {
		int kl = snprintf(k, sizeof(k), "c%06d", i);
		store_batch_put(b, (const uint8_t *)k, (size_t)kl, v, vl);
	}
	assert_int_equal(store_write(f->st, b, 1, f->err, sizeof(f->err)), 0);
	store_batch_free(b);
	store_compact(f->st);
	return store_approximate_size(f->st, (const uint8_t *)"c", 1, (const uint8_t *)"d", 1);
}

/* Without compression, 2 MB of repetitive values take 2 MB of tables.
 * Reopened with snappy, the tables written from then on are a fraction. */
static void test_compression_choice(void **state)
{
	struct fx *f = *state;
	struct store_opts o = { .block_cache_bytes = 1u << 20, .write_buffer_bytes = 1u << 20,
	                        .create = 1, .compression = -1 };
	uint8_t v[512];
	memset(v, 0x5a, sizeof(v));
	if (store_open(&f->st, f->dir, &o, f->err, sizeof(f->err)) != 0)
		fail_msg("store_open: %s", f->err);
	uint64_t plain = put_compacted(f, v, sizeof(v));
	assert_true(plain >= 4000u * sizeof(v));
	store_close(f->st);
	o.compression = 1;
	if (store_open(&f->st, f->dir, &o, f->err, sizeof(f->err)) != 0)
		fail_msg("store_open: %s", f->err);
	v[0] = 0x5b;
	uint64_t snappy = put_compacted(f, v, sizeof(v));
	assert_true(snappy > 0 && snappy < plain / 10);
	pd_buf_reset(&f->v);
	assert_int_equal(store_get(f->st, NULL, (const uint8_t *)"c003999", 7, &f->v), 1);
	assert_int_equal(f->v.len, sizeof(v));
	assert_memory_equal(f->v.data, v, sizeof(v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_and_stamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_2_store_migrates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_version_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_put_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iterators, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_open_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_properties, setup, teardown),
		cmocka_unit_test_setup_teardown(test_compression_choice, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
