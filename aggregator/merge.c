#include "merge.h"

#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "keyfilter.h"
#include "kvmap.h"
#include "pd_err.h"
#include "pd_hash.h"
#include "pd_proc.h"
#include "record.h"
#include "valcache.h"

/* A tuple's key, made once, a few observations before it is merged: its
 * bytes and hashes. */
struct mkey {
	uint64_t h;  /* for pending and the cache, which share one seed */
	uint64_t fh; /* the key filter's, when has_fh */
	int has_fh;
	size_t kl;
	uint8_t *k;
};

/* How many observations ahead merge_run starts loading the memory their
 * lookups will touch: enough for it to arrive before it is needed, not so
 * many that it is evicted again. Half way, it loads the cache entry whose
 * set has arrived by then. With each key made and hashed once for all of
 * this (it was made twice and hashed up to seven times), that second step
 * took tests/bench/store_bench.c at 90% repeats from 489k-533k to
 * 666k-686k obs/s (CPU per observation 3.2-3.3 us to 2.5-2.6 us); made
 * anew for it, it had measured slower. */
#define AHEAD 8
#define RING 16 /* keys made and not yet merged: more than AHEAD, a power of two */

/* The group map's room in all, and per observation where that much is
 * refused (merge_new). */
#define MERGE_OBS_ROOM ((size_t)4096)
#define MERGE_ROOM_MAX ((size_t)16 << 30)

struct merge {
	struct store *store;
	struct keyfilter *kf;
	struct valcache *vc;
	struct kvmap *pending;
	struct store_batch *batch;
	struct pd_buf val;
	uint8_t *key, *merged, *ikey;
	uint64_t seed;
	struct mkey ring[RING];
	uint8_t *ringbuf;
	/* The run merge_run is in, and the index it expects next (never 0,
	 * so a run's first call always starts anew): a call out of that order
	 * makes the ring's keys anew. */
	const struct pd_obs *run;
	size_t run_next;
	struct merge_counts n;
	/* This group's observations, and those that needed the key filter
	 * (not in the group or the cache); from the last group's share,
	 * whether merge_run loads filter blocks ahead. */
	size_t group_obs, group_filtered;
	int filter_ahead;
};

struct merge *merge_new(struct store *st, size_t max_obs, size_t max_bytes,
                        struct keyfilter *kf, struct valcache *vc)
{
	struct merge *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->store = st;
	m->kf = kf;
	m->vc = vc;
	m->seed = vc ? valcache_seed(vc) : pd_random_u64();
	/* Each observation adds at most its tuple's key and a value with one
	 * more site than it had, kept with room to grow: for a tuple of many
	 * sites that is kilobytes (about 10 bytes a site). Only what a group
	 * writes takes memory, so the arena is address space for the worst a
	 * deployment of many sites brings: MERGE_ROOM_MAX in all (80 KiB an
	 * observation in a group of 200,000, values of thousands of sites).
	 * Where that much is refused, MERGE_OBS_ROOM per observation (values
	 * of some 250 sites), then 192 bytes (some 30 sites); past its room a
	 * group counts the rest of its observations unmergeable. */
	static const size_t per_obs[] = { MERGE_OBS_ROOM, 192 };
	size_t entries = max_obs + 1024;
	m->pending = kvmap_new(entries, max_bytes + MERGE_ROOM_MAX, m->seed);
	for (size_t i = 0; !m->pending && i < sizeof(per_obs) / sizeof(per_obs[0]); i++)
		if (max_obs < MERGE_ROOM_MAX / per_obs[i]) /* less than what was refused */
			m->pending = kvmap_new(entries, max_bytes + max_obs * per_obs[i], m->seed);
	m->batch = store_batch_new();
	size_t vmax = REC_VAL_FIXED + (size_t)REC_SITES_MAX * REC_VAL_PER_SITE;
	pd_buf_init(&m->val, vmax);
	m->key = malloc(REC_KEY_MAX);
	m->merged = malloc(rec_val_bound(vmax));
	m->ikey = malloc(INDEX_KEY_MAX);
	m->ringbuf = malloc((size_t)RING * REC_KEY_MAX);
	for (size_t i = 0; m->ringbuf && i < RING; i++)
		m->ring[i].k = m->ringbuf + i * REC_KEY_MAX;
	if (!m->pending || !m->batch || !m->key || !m->merged || !m->ikey || !m->ringbuf) {
		merge_free(m);
		return NULL;
	}
	return m;
}

void merge_free(struct merge *m)
{
	if (!m)
		return;
	kvmap_free(m->pending);
	store_batch_free(m->batch);
	pd_buf_fini(&m->val);
	free(m->key);
	free(m->merged);
	free(m->ikey);
	free(m->ringbuf);
	free(m);
}

void merge_begin(struct merge *m)
{
	kvmap_reset(m->pending);
	store_batch_clear(m->batch);
	/* Loading a filter block that the cache then makes unneeded takes
	 * one of the few loads the CPU can have in flight; with most tuples
	 * in the cache (repeats), those blocks are better left alone. */
	m->filter_ahead = m->group_obs == 0 || m->group_filtered * 4 >= m->group_obs;
	m->group_obs = m->group_filtered = 0;
}

struct store_batch *merge_batch(struct merge *m)
{
	return m->batch;
}

size_t merge_count(const struct merge *m)
{
	return kvmap_count(m->pending);
}

static void mkey_make(const struct merge *m, struct mkey *mk, const struct pd_obs *o)
{
	mk->kl = rec_key_tuple(mk->k, o);
	mk->h = pd_hash(mk->k, mk->kl, m->seed);
	mk->has_fh = 0;
}

static uint64_t mkey_fh(struct mkey *mk)
{
	if (!mk->has_fh) {
		mk->fh = keyfilter_hash(mk->k, mk->kl);
		mk->has_fh = 1;
	}
	return mk->fh;
}

/* Makes run[j]'s key into the ring and starts loading what its lookups
 * will read. */
static void merge_prepare(struct merge *m, const struct pd_obs *run, size_t j)
{
	struct mkey *mk = &m->ring[j & (RING - 1)];
	mkey_make(m, mk, &run[j]);
	kvmap_prefetch_h(m->pending, mk->h);
	if (m->kf && m->filter_ahead)
		keyfilter_prefetch_h(m->kf, mkey_fh(mk));
	if (m->vc)
		valcache_prefetch_h(m->vc, mk->h);
}

static int merge_key(struct merge *m, const struct pd_obs *o, uint32_t site, struct mkey *mk)
{
	const uint8_t *old = NULL;
	size_t oldlen = 0;
	/* Where the current value is: this group, or the cache (which holds
	 * the latest value of every tuple in it), or (unless the filter says
	 * the tuple is new) LevelDB. */
	m->group_obs++;
	if (kvmap_get_h(m->pending, mk->h, mk->k, mk->kl, &old, &oldlen)) {
		m->n.in_group++;
	} else if (m->vc && valcache_get_h(m->vc, mk->h, mk->k, mk->kl, &old, &oldlen)) {
		m->n.in_cache++;
	} else {
		m->group_filtered++;
		int maybe = !m->kf || keyfilter_maybe_h(m->kf, mkey_fh(mk)), rc = 0;
		if (!maybe)
			m->n.filter_new++;
		else if ((rc = store_get(m->store, NULL, mk->k, mk->kl, &m->val)) >= 0) {
			m->n.store_reads++;
			m->n.read_new += rc == 0;
		}
		if (rc < 0)
			return rc;
		if (rc == 1) {
			old = m->val.data;
			oldlen = m->val.len;
		} else {
			/* A new tuple: its index entries are written with it. */
			if (m->kf)
				keyfilter_add_h(m->kf, mkey_fh(mk));
			index_add(m->batch, o, m->ikey);
		}
	}
	int n = rec_val_merge(old, oldlen, site, o->count, o->first_s, o->last_s, m->merged,
	                      rec_val_bound(oldlen));
	if (n < 0)
		return n;
	int rc = kvmap_put_h(m->pending, mk->h, mk->k, mk->kl, m->merged, (size_t)n);
	/* The cache takes the value now, while its set and entry are still in
	 * the CPU's cache: a second pass after the write missed on both again
	 * (see valcache.h for what a failed write then requires). A tuple seen
	 * for the first time (no old value) is only offered: it takes a free
	 * way but evicts nothing, so a full cache keeps the tuples that repeat
	 * (50% repeats into 10M tuples, 1M entries: LevelDB reads fell from
	 * 27.7% to 22.2% of observations in tests/bench/store_bench.c). */
	if (rc == 0 && m->vc)
		(old ? valcache_put_h : valcache_offer_h)(m->vc, mk->h, mk->k, mk->kl, m->merged,
		                                          (size_t)n);
	return rc;
}

int merge_obs(struct merge *m, const struct pd_obs *o, uint32_t site)
{
	struct mkey mk = { .k = m->key };
	mkey_make(m, &mk, o);
	return merge_key(m, o, site, &mk);
}

int merge_run(struct merge *m, const struct pd_obs *run, size_t n, size_t i, uint32_t site)
{
	if (run != m->run || i != m->run_next) {
		for (size_t j = i; j < i + AHEAD && j < n; j++)
			merge_prepare(m, run, j);
		m->run = run;
	}
	m->run_next = i + 1;
	if (i + AHEAD < n)
		merge_prepare(m, run, i + AHEAD);
	if (m->vc && i + AHEAD / 2 < n)
		valcache_prefetch_entry_h(m->vc, m->ring[(i + AHEAD / 2) & (RING - 1)].h);
	return merge_key(m, &run[i], site, &m->ring[i & (RING - 1)]);
}

int merge_commit(struct merge *m, int sync, char *err, size_t errlen)
{
	size_t cur = 0, kl, vl;
	const uint8_t *k, *v;
	while (kvmap_next(m->pending, &cur, &k, &kl, &v, &vl))
		store_batch_put(m->batch, k, kl, v, vl);
	return store_write(m->store, m->batch, sync, err, errlen);
}

void merge_take_counts(struct merge *m, struct merge_counts *c)
{
	c->in_group += m->n.in_group;
	c->filter_new += m->n.filter_new;
	c->in_cache += m->n.in_cache;
	c->store_reads += m->n.store_reads;
	c->read_new += m->n.read_new;
	memset(&m->n, 0, sizeof(m->n));
}
