/* Unit tests for the writer with a real store: many small groups in a
 * row over the same tuples, with a value cache far too small to hold a
 * group, so that most merges read the value the group before wrote;
 * duplicates split across consecutive groups; real failed writes (a file
 * size limit); and writer_stop answering and writing everything queued.
 * Each store lives in its own mkdtemp directory. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "astats.h"
#include "merge.h"
#include "pd_buf.h"
#include "valcache.h"
#include "pd_err.h"
#include "record.h"
#include "sites.h"
#include "store.h"
#include "writer.h"

#define TUPLES 500
#define BATCHES 120

struct fx {
	char dir[64];
	struct store *st;
	struct sites *sites;
	struct agg_stats stats;
	struct writer *w;
	pthread_mutex_t mu;
	unsigned answered;
	char err[512];
	uint8_t stream[PD_BATCH_STREAM_ID_LEN];
	uint8_t names[TUPLES][16];
	uint8_t rdata[TUPLES][4];
	struct pd_obs obs[BATCHES][TUPLES];
	struct pd_batch batch[BATCHES];
	struct wjob job[BATCHES];
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void job_done(struct wjob *j)
{
	struct fx *f = j->ctx;
	pthread_mutex_lock(&f->mu);
	f->answered++;
	pthread_mutex_unlock(&f->mu);
}

/* Batch b (sequence number seq) observes every tuple once, at time
 * 1000 + b. */
static void make_batch(struct fx *f, unsigned b, uint64_t seq)
{
	for (unsigned t = 0; t < TUPLES; t++)
		f->obs[b][t] = (struct pd_obs){ .name = f->names[t], .name_len = 10, .type = 1,
		                                .rdata = f->rdata[t], .rdlen = 4, .count = 1,
		                                .first_s = 1000 + b, .last_s = 1000 + b };
	f->batch[b] = (struct pd_batch){ .stream_id = f->stream, .seq = seq, .kind = PD_BATCH_DATA,
	                                 .obs = f->obs[b], .n_obs = TUPLES, .obs_cap = TUPLES };
	f->job[b] = (struct wjob){ .batch = &f->batch[b], .body_len = TUPLES * 30,
	                           .done = job_done, .ctx = f };
	strcpy(f->job[b].id.sensor_id, "s1");
	strcpy(f->job[b].id.site, "site1");
}

/* Stops f's writer, if any, and starts one with options wo. */
static void start_writer(struct fx *f, const struct writer_opts *wo)
{
	writer_stop(f->w);
	f->w = NULL;
	if (writer_start(&f->w, f->st, f->sites, wo, &f->stats, f->err, sizeof(f->err)) != 0)
		fail_msg("writer_start: %s", f->err);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_writer.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	struct store_opts o = { .block_cache_bytes = 1u << 20, .write_buffer_bytes = 1u << 20,
	                        .create = 1 };
	if (store_open(&f->st, f->dir, &o, f->err, sizeof(f->err)) != 0)
		fail_msg("store_open: %s", f->err);
	if (sites_load(&f->sites, f->st, f->err, sizeof(f->err)) != 0)
		fail_msg("sites_load: %s", f->err);
	pthread_mutex_init(&f->mu, NULL);
	memset(f->stream, 7, sizeof(f->stream));
	for (unsigned t = 0; t < TUPLES; t++) {
		/* "\x08tNNNNNNN\0": one label, 10 bytes in wire form */
		f->names[t][0] = 8;
		snprintf((char *)f->names[t] + 1, 15, "t%07u", t);
		f->names[t][9] = 0;
		memcpy(f->rdata[t], (uint8_t[]){ 10, 0, (uint8_t)(t >> 8), (uint8_t)t }, 4);
	}
	/* One batch per group; a cache of 64 values for 500 tuples; synced
	 * writes. */
	struct writer_opts wo = { .group_batches = 1, .cache_entries = 64 };
	start_writer(f, &wo);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	writer_stop(f->w);
	sites_free(f->sites);
	store_close(f->st);
	pthread_mutex_destroy(&f->mu);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* The stored value of o's tuple, which must be there, decoded into sites
 * (room for max). */
static struct rec_val stored(const struct fx *f, const struct pd_obs *o, struct rec_site *sites,
                             size_t max)
{
	struct pd_buf v;
	pd_buf_init(&v, 4096);
	uint8_t key[64];
	size_t kl = rec_key_tuple(key, o);
	assert_int_equal(store_get(f->st, NULL, key, kl, &v), 1);
	struct rec_val rv;
	assert_int_equal(rec_val_decode(v.data, v.len, &rv, sites, max), 0);
	pd_buf_fini(&v);
	return rv;
}

/* Stops the writer (it writes what is queued first) and checks that every
 * tuple was counted `count` times, first seen at 1000 and last at
 * 1000 + last_b. */
static void stop_and_check(struct fx *f, unsigned jobs, uint64_t count, unsigned last_b)
{
	writer_stop(f->w);
	f->w = NULL;
	assert_int_equal(f->answered, jobs);
	struct rec_site site[4];
	for (unsigned t = 0; t < TUPLES; t++) {
		struct rec_val rv = stored(f, &f->obs[0][t], site, 4);
		if (rv.count != count)
			fail_msg("tuple %u: count %llu, want %llu", t, (unsigned long long)rv.count,
			         (unsigned long long)count);
		assert_int_equal(rv.first_s, 1000);
		assert_int_equal(rv.last_s, 1000 + last_b);
		assert_int_equal(rv.nsites, 1);
	}
}

static void test_each_group_merges_on_the_one_before(void **state)
{
	struct fx *f = *state;
	for (unsigned b = 0; b < BATCHES; b++) {
		make_batch(f, b, b + 1);
		assert_int_equal(writer_submit(f->w, &f->job[b]), 0);
	}
	stop_and_check(f, BATCHES, BATCHES, BATCHES - 1);
	for (unsigned b = 0; b < BATCHES; b++) {
		assert_int_equal(f->job[b].status, 0);
		assert_string_equal(f->job[b].msg, "applied");
	}
	assert_int_equal(astat_get(&f->stats, AS_batches_applied), BATCHES);
	assert_int_equal(astat_get(&f->stats, AS_observations_applied), BATCHES * TUPLES);
	assert_int_equal(astat_get(&f->stats, AS_store_commits), BATCHES);
	assert_int_equal(astat_get(&f->stats, AS_store_write_errors), 0);
	/* The site, new in the first group, was committed with it. */
	assert_int_equal(sites_count(f->sites), 1);
}

static void test_duplicates_in_the_next_group_are_not_applied_twice(void **state)
{
	struct fx *f = *state;
	/* Sequence numbers 1, 1, 2, 2, ...: each second copy lands in the
	 * group after the first. */
	for (unsigned b = 0; b < BATCHES; b++) {
		make_batch(f, b, b / 2 + 1);
		assert_int_equal(writer_submit(f->w, &f->job[b]), 0);
	}
	/* Applied: the even batches, times 1000 + 0 ... 1000 + BATCHES - 2. */
	stop_and_check(f, BATCHES, BATCHES / 2, BATCHES - 2);
	for (unsigned b = 0; b < BATCHES; b++) {
		assert_int_equal(f->job[b].status, 0);
		assert_string_equal(f->job[b].msg, b % 2 ? "duplicate of an applied batch" : "applied");
	}
	assert_int_equal(astat_get(&f->stats, AS_batches_duplicate), BATCHES / 2);
	assert_int_equal(astat_get(&f->stats, AS_batches_applied), BATCHES / 2);
}

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static unsigned answered(struct fx *f)
{
	pthread_mutex_lock(&f->mu);
	unsigned n = f->answered;
	pthread_mutex_unlock(&f->mu);
	return n;
}

/* Whether n jobs in all were answered within a minute. */
static int wait_answered(struct fx *f, unsigned n)
{
	for (int waited = 0; answered(f) < n; waited++) {
		if (waited == 60000)
			return 0;
		nap_ms(1);
	}
	return 1;
}

/* Submits batch b (sequence number seq) once the writer takes it and
 * waits for its answer: its status. */
static int submit_and_wait(struct fx *f, unsigned b, uint64_t seq)
{
	for (int tries = 0;; tries++) {
		assert_true(tries < 3000);
		make_batch(f, b, seq);
		unsigned before = answered(f);
		int rc = writer_submit(f->w, &f->job[b]);
		if (rc == PD_EBUSY) { /* a failing store takes one probe at a time */
			nap_ms(10);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_true(wait_answered(f, before + 1));
		return f->job[b].status;
	}
}

/*
 * Writes that really fail (no file may grow: RLIMIT_FSIZE, which fails
 * LevelDB's writes as a full disk does, and its reopen too) for groups in
 * a row: every batch taken is refused. Sent again once files may grow,
 * each is applied exactly once: nothing of a failed group survived in the
 * writer (a value it left in the value cache, which here holds every
 * tuple, would count the batch twice).
 */
static void test_failed_writes_leave_nothing_behind(void **state)
{
	struct fx *f = *state;
	/* A cache that holds every tuple, so that a value left there by a
	 * failed group would be found. */
	struct writer_opts wo = { .group_batches = 1, .cache_entries = 4 * TUPLES };
	start_writer(f, &wo);
	/* The writer waits a second after each failed write. */
	enum { GOOD = 10, FAILED = 8 };
	for (unsigned b = 0; b < GOOD; b++)
		assert_int_equal(submit_and_wait(f, b, b + 1), 0);
	struct rlimit was, none = { 1, 1 };
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	none.rlim_max = was.rlim_max;
	void (*xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &none), 0);
	unsigned submitted = 0, before = answered(f);
	for (unsigned b = GOOD; b < GOOD + FAILED; b++) {
		make_batch(f, b, b + 1);
		if (writer_submit(f->w, &f->job[b]) == 0)
			submitted++;
		else
			f->job[b].status = 1; /* not taken: not checked below */
	}
	int all = wait_answered(f, before + submitted);
	/* Files may grow again before anything is asserted. */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
	signal(SIGXFSZ, xfsz);
	assert_true(all);
	assert_true(submitted >= 1);
	for (unsigned b = GOOD; b < GOOD + FAILED; b++)
		if (f->job[b].status != 1)
			assert_int_equal(f->job[b].status, PD_ESTORE);
	assert_true(astat_get(&f->stats, AS_store_write_errors) >= 1);
	assert_int_equal(astat_get(&f->stats, AS_batches_applied), GOOD);
	/* Sent again until the store works again, then once each. */
	for (unsigned b = GOOD; b < GOOD + FAILED; b++) {
		int st;
		for (int tries = 0; (st = submit_and_wait(f, b, b + 1)) == PD_ESTORE; tries++)
			assert_true(tries < 100);
		assert_int_equal(st, 0);
		assert_string_equal(f->job[b].msg, "applied");
	}
	stop_and_check(f, answered(f), GOOD + FAILED, GOOD + FAILED - 1);
	assert_int_equal(astat_get(&f->stats, AS_batches_applied), GOOD + FAILED);
	assert_int_equal(astat_get(&f->stats, AS_batches_duplicate), 0);
}

/* Batches of 1 to 500 observations in which tuples repeat at every
 * distance from 1 to 37: the writer makes each key a few observations
 * ahead of its merge, in a ring, and a repeat must still merge onto the
 * value its earlier copy in the same batch made. */
static void test_repeats_within_a_batch_merge_in_order(void **state)
{
	struct fx *f = *state;
	static const unsigned sizes[] = { 1, 3, 8, 9, 16, 17, 500 };
	const unsigned nb = sizeof(sizes) / sizeof(sizes[0]), kinds = 37;
	uint64_t count[37] = { 0 };
	int64_t first[37], last[37];
	for (unsigned b = 0; b < nb; b++) {
		for (unsigned i = 0; i < sizes[b]; i++) {
			unsigned t = (i * 7 + b) % kinds;
			int64_t ts = 5000 - (int64_t)(b * 600) + (int64_t)i;
			f->obs[b][i] = (struct pd_obs){ .name = f->names[t], .name_len = 10, .type = 1,
			                                .rdata = f->rdata[t], .rdlen = 4, .count = 1 + t % 3,
			                                .first_s = ts, .last_s = ts + (int64_t)t };
			if (count[t] == 0 || ts < first[t])
				first[t] = ts;
			if (count[t] == 0 || ts + (int64_t)t > last[t])
				last[t] = ts + (int64_t)t;
			count[t] += 1 + t % 3;
		}
		f->batch[b] = (struct pd_batch){ .stream_id = f->stream, .seq = b + 1,
		                                 .kind = PD_BATCH_DATA, .obs = f->obs[b],
		                                 .n_obs = sizes[b], .obs_cap = TUPLES };
		f->job[b] = (struct wjob){ .batch = &f->batch[b], .body_len = sizes[b] * 30,
		                           .done = job_done, .ctx = f };
		strcpy(f->job[b].id.sensor_id, "s1");
		strcpy(f->job[b].id.site, "site1");
		assert_int_equal(writer_submit(f->w, &f->job[b]), 0);
	}
	writer_stop(f->w);
	f->w = NULL;
	assert_int_equal(f->answered, nb);
	struct rec_site site[4];
	for (unsigned t = 0; t < kinds; t++) {
		struct pd_obs o = { .name = f->names[t], .name_len = 10, .type = 1,
		                    .rdata = f->rdata[t], .rdlen = 4 };
		struct rec_val rv = stored(f, &o, site, 4);
		if (rv.count != count[t] || rv.first_s != first[t] || rv.last_s != last[t])
			fail_msg("tuple %u: %llu %lld %lld, want %llu %lld %lld", t,
			         (unsigned long long)rv.count, (long long)rv.first_s, (long long)rv.last_s,
			         (unsigned long long)count[t], (long long)first[t], (long long)last[t]);
	}
	assert_int_equal(astat_get(&f->stats, AS_observations_applied), 554);
}

/*
 * Tuples seen by many sites have long values: a write group of them must
 * not run out of room for its values (it did: the observations past the
 * room were counted unmergeable and lost while their batches were
 * acknowledged). nsites sites, each with its own stream, one batch of the
 * first nobs tuples each, one batch per group, with groups given little
 * room; batch slots are reused once their batches are answered.
 */
static void many_sites_lose_nothing(struct fx *f, unsigned nsites, unsigned nobs,
                                    size_t group_bytes)
{
	struct writer_opts wo = { .group_batches = 1, .group_obs = nobs, .group_bytes = group_bytes,
		                  .max_batch_bytes = group_bytes, .cache_entries = 64,
		                  .no_sync = 1 };
	start_writer(f, &wo);
	static uint8_t streams[BATCHES][PD_BATCH_STREAM_ID_LEN];
	for (unsigned k = 0; k < nsites; k++) {
		unsigned b = k % BATCHES;
		make_batch(f, b, 1);
		f->batch[b].n_obs = nobs;
		f->job[b].body_len = nobs * 30;
		memset(streams[b], 0, sizeof(streams[b]));
		streams[b][0] = (uint8_t)(k >> 8);
		streams[b][1] = (uint8_t)k;
		f->batch[b].stream_id = streams[b];
		snprintf(f->job[b].id.sensor_id, sizeof(f->job[b].id.sensor_id), "s%u", k);
		snprintf(f->job[b].id.site, sizeof(f->job[b].id.site), "site%u", k);
		assert_int_equal(writer_submit(f->w, &f->job[b]), 0);
		if (b == BATCHES - 1 || k == nsites - 1)
			assert_true(wait_answered(f, k + 1));
	}
	writer_stop(f->w);
	f->w = NULL;
	assert_int_equal(f->answered, nsites);
	assert_int_equal(astat_get(&f->stats, AS_observations_unmergeable), 0);
	assert_int_equal(astat_get(&f->stats, AS_observations_applied), nsites * nobs);
	struct rec_site *site = calloc(nsites, sizeof(*site));
	assert_non_null(site);
	unsigned last = nsites < BATCHES ? nsites - 1 : BATCHES - 1;
	for (unsigned t = 0; t < nobs; t++) {
		struct rec_val rv = stored(f, &f->obs[0][t], site, nsites);
		if (rv.count != nsites || rv.nsites != nsites)
			fail_msg("tuple %u: count %llu in %zu sites, want %u in %u", t,
			         (unsigned long long)rv.count, rv.nsites, nsites, nsites);
		assert_int_equal(rv.first_s, 1000);
		assert_int_equal(rv.last_s, 1000 + last);
	}
	free(site);
}

/* Sixty sites, every tuple in each batch. */
static void test_many_sites_lose_nothing(void **state)
{
	many_sites_lose_nothing(*state, 60, TUPLES, 64 << 10);
}

/* Values of 800 sites (some 6 KiB with room to grow) in groups of 20
 * observations: more than the 4 KiB an observation the group map once had
 * room for, when these observations were counted unmergeable. */
static void test_values_of_hundreds_of_sites_lose_nothing(void **state)
{
	many_sites_lose_nothing(*state, 800, 20, 16 << 10);
}

/* merge_run called out of turn (skipping ahead, going back, switching
 * runs part way) merges each observation onto the right tuple. */
static void test_merge_run_out_of_turn(void **state)
{
	struct fx *f = *state;
	struct valcache *vc = valcache_new(1024, 5);
	struct merge *m = merge_new(f->st, 1000, 1u << 20, NULL, vc);
	assert_non_null(m);
	merge_begin(m);
	/* Run a: tuples 0..39; run b: tuples 100..139. */
	for (unsigned i = 0; i < 40; i++) {
		for (unsigned r = 0; r < 2; r++) {
			unsigned t = r * 100 + i;
			f->obs[r][i] = (struct pd_obs){ .name = f->names[t], .name_len = 10, .type = 1,
			                                .rdata = f->rdata[t], .rdlen = 4, .count = 1 + t,
			                                .first_s = 10, .last_s = 10 };
		}
	}
	static const size_t order_a[] = { 0, 1, 2, 9, 10, 3, 4, 5, 6, 7, 8, 20, 11, 12, 13,
		                          14, 15, 16, 17, 18, 19, 21, 22, 39, 23, 24, 25, 26,
		                          27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38 };
	for (size_t k = 0; k < 40; k++) {
		assert_int_equal(merge_run(m, f->obs[0], 40, order_a[k], 1), 0);
		if (k % 7 == 3) /* a few of run b in between */
			assert_int_equal(merge_run(m, f->obs[1], 40, k, 1), 0);
	}
	for (size_t k = 0; k < 40; k++)
		if (k % 7 != 3)
			assert_int_equal(merge_run(m, f->obs[1], 40, k, 1), 0);
	assert_int_equal(merge_commit(m, 1, f->err, sizeof(f->err)), 0);
	merge_free(m);
	valcache_free(vc);
	struct rec_site site[4];
	for (unsigned r = 0; r < 2; r++)
		for (unsigned i = 0; i < 40; i++)
			assert_int_equal(stored(f, &f->obs[r][i], site, 4).count, 1 + r * 100 + i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_group_merges_on_the_one_before,
		                                setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_writes_leave_nothing_behind, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_repeats_within_a_batch_merge_in_order, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_merge_run_out_of_turn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_sites_lose_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_values_of_hundreds_of_sites_lose_nothing, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_duplicates_in_the_next_group_are_not_applied_twice,
		                                setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
