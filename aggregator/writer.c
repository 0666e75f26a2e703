#define _GNU_SOURCE /* pthread_setname_np */
#include "writer.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keyfilter.h"
#include "merge.h"
#include "valcache.h"
#include "pd_err.h"
#include "pd_hash.h"
#include "pd_log.h"
#include "pd_time.h"
#include "pd_proc.h"
#include "pd_varint.h"
#include "record.h"
#include "seqset.h"

#define WRITER_STREAMS_MAX 65536
#define WRITER_RETRY_MS 1000

/* A stream's committed state. */
struct wstream {
	uint8_t id[PD_BATCH_STREAM_ID_LEN];
	struct pd_identity owner;
	struct seqset seqs;
	int used;
};

/* What the group being written holds, against the group limits. */
struct wroom {
	unsigned batches;
	size_t obs, bytes;
};

/* A stream touched by the group being written: its working copy. */
struct wtouch {
	struct wstream *st;
	struct seqset work;
};

struct writer {
	struct store *store;
	struct sites *sites;
	struct agg_stats *stats;
	struct writer_opts o;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct wjob *head, *tail;
	unsigned queued;
	int stopping, failing;
	int unmergeable_logged;
	/* writer thread only */
	int reopen_failing; /* the last reopen failed (logged once until one works) */
	struct wstream *streams; /* open addressing on the stream id */
	size_t nstreams;
	struct wtouch *touched;
	unsigned ntouched;
	struct merge *merge;
	struct keyfilter *kf;
	struct valcache *vc;
	struct store_batch *batch; /* the merge group's */
	struct pd_buf val;         /* stream records */
	uint8_t *streambuf;
};

static struct wstream *writer_stream_slot(struct writer *w, const uint8_t *id)
{
	size_t mask = WRITER_STREAMS_MAX - 1;
	for (size_t i = (size_t)pd_hash(id, PD_BATCH_STREAM_ID_LEN, 0) & mask;; i = (i + 1) & mask) {
		struct wstream *s = &w->streams[i];
		if (!s->used || memcmp(s->id, id, PD_BATCH_STREAM_ID_LEN) == 0)
			return s;
	}
}

/* Stream record value: [idlen][sensor id][sitelen][site][seqset] */
static int writer_stream_load(struct writer *w, struct wstream *s, const uint8_t *id)
{
	uint8_t key[1 + PD_BATCH_STREAM_ID_LEN] = { REC_STREAM };
	memcpy(key + 1, id, PD_BATCH_STREAM_ID_LEN);
	memcpy(s->id, id, PD_BATCH_STREAM_ID_LEN);
	seqset_init(&s->seqs);
	memset(&s->owner, 0, sizeof(s->owner));
	int rc = store_get(w->store, NULL, key, sizeof(key), &w->val);
	if (rc <= 0)
		return rc; /* 0: a new stream */
	const uint8_t *v = w->val.data;
	size_t len = w->val.len, pos = 0, used;
	for (int f = 0; f < 2; f++) {
		if (pos >= len || v[pos] > PD_IDENTITY_MAX || len - pos - 1 < v[pos])
			return PD_EMALF;
		char *dst = f == 0 ? s->owner.sensor_id : s->owner.site;
		memcpy(dst, v + pos + 1, v[pos]);
		dst[v[pos]] = 0;
		pos += 1u + v[pos];
	}
	if (seqset_decode(&s->seqs, v + pos, len - pos, &used) < 0)
		return PD_EMALF;
	return 1;
}

static void writer_stream_put(struct writer *w, const struct wtouch *t)
{
	uint8_t key[1 + PD_BATCH_STREAM_ID_LEN] = { REC_STREAM };
	uint8_t *val = w->streambuf;
	memcpy(key + 1, t->st->id, PD_BATCH_STREAM_ID_LEN);
	size_t n = 0;
	const char *f[2] = { t->st->owner.sensor_id, t->st->owner.site };
	for (int i = 0; i < 2; i++) {
		size_t l = strlen(f[i]);
		val[n++] = (uint8_t)l;
		memcpy(val + n, f[i], l);
		n += l;
	}
	n += seqset_encode(&t->work, val + n);
	store_batch_put(w->batch, key, sizeof(key), val, n);
}

/* The group's working copy of a job's stream, loading it on first use. */
static struct wtouch *writer_touch(struct writer *w, const struct wjob *j, int *rc)
{
	const uint8_t *id = j->batch->stream_id;
	for (unsigned i = 0; i < w->ntouched; i++)
		if (memcmp(w->touched[i].st->id, id, PD_BATCH_STREAM_ID_LEN) == 0)
			return &w->touched[i];
	struct wstream *s = writer_stream_slot(w, id);
	if (!s->used) {
		if (w->nstreams >= WRITER_STREAMS_MAX / 2) {
			*rc = PD_ELIMIT;
			return NULL;
		}
		*rc = writer_stream_load(w, s, id);
		if (*rc < 0)
			return NULL;
		if (*rc == 0)
			s->owner = j->id; /* a new stream: bound to its first sender */
		s->used = 1;
		w->nstreams++;
	}
	struct wtouch *t = &w->touched[w->ntouched++];
	t->st = s;
	t->work = s->seqs;
	return t;
}

static void job_result(struct wjob *j, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void job_result(struct wjob *j, int status, const char *fmt, ...)
{
	va_list ap;
	j->status = status;
	va_start(ap, fmt);
	vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
	va_end(ap);
}

/* Applies one job to the group; its status says what happened. Returns
 * a negative code only when the whole group must fail (store errors). */
static int writer_apply(struct writer *w, struct wjob *j)
{
	const struct pd_batch *b = j->batch;
	int rc = 0;
	struct wtouch *t = writer_touch(w, j, &rc);
	if (!t) {
		job_result(j, PD_EBUSY, "stream state unavailable (%s)", pd_strerror(rc));
		return rc == PD_ELIMIT ? 0 : rc;
	}
	if (strcmp(t->st->owner.sensor_id, j->id.sensor_id) != 0 ||
	    strcmp(t->st->owner.site, j->id.site) != 0) {
		ASTAT_INC(w->stats, refused_stream_owner);
		job_result(j, PD_EAUTH, "stream belongs to sensor %s of site %s",
		           t->st->owner.sensor_id, t->st->owner.site);
		return 0;
	}
	struct seqset before = t->work;
	/* The floor first: numbers below it will not come, which may close
	 * the gap that would otherwise keep a full set refusing batches. */
	seqset_floor(&t->work, b->floor_seq);
	if (seqset_has(&before, b->seq)) {
		ASTAT_INC(w->stats, batches_duplicate);
		job_result(j, 0, "duplicate of an applied batch");
		return 0;
	}
	if (seqset_add(&t->work, b->seq) < 0) {
		t->work = before;
		ASTAT_INC(w->stats, refused_busy);
		job_result(j, PD_EBUSY, "too many batches ahead of a missing one; send it first");
		return 0;
	}
	uint32_t site = 0;
	if (b->n_obs && !sites_lookup(w->sites, j->id.site, &site) &&
	    (rc = sites_assign(w->sites, j->id.site, &site, w->batch)) < 0) {
		t->work = before;
		job_result(j, PD_EBUSY, "cannot register site %s (%s)", j->id.site, pd_strerror(rc));
		return 0;
	}
	for (size_t i = 0; i < b->n_obs; i++) {
		rc = merge_run(w->merge, b->obs, b->n_obs, i, site);
		if (rc == PD_EMALF || rc == PD_ELIMIT) {
			/* This tuple's stored value is corrupt or full of sites: the
			 * observation cannot be merged; the rest of the batch can. */
			ASTAT_INC(w->stats, observations_unmergeable);
			if (!w->unmergeable_logged)
				log_warnx("writer: cannot merge an observation into its stored record (%s); "
				          "counting such losses in observations_unmergeable", pd_strerror(rc));
			w->unmergeable_logged = 1;
			continue;
		}
		if (rc < 0) {
			job_result(j, PD_ESTORE, "merge failed (%s)", pd_strerror(rc));
			return rc;
		}
	}
	job_result(j, 0, "applied");
	j->applied = 1;
	return 0;
}

/* Writes the group's values and stream states in one (synced) write. */
static int writer_commit(struct writer *w, char *err, size_t errlen)
{
	for (unsigned i = 0; i < w->ntouched; i++)
		writer_stream_put(w, &w->touched[i]);
	return merge_commit(w->merge, !w->o.no_sync, err, errlen);
}

/*
 * After a failed write: reopen LevelDB at once. A write that failed half
 * way can leave a torn record in LevelDB's log; every later write would
 * follow it, and the next open would drop them along with it while
 * replaying the log. Reopening now leaves the torn record last, where
 * replay ends harmlessly. (LevelDB also refuses all writes after a failed
 * sync until it is reopened.) The failed write may or may not be in the
 * reopened store, so what this process remembers of streams and sites is
 * read again: a batch whose write did land is then a duplicate, never
 * applied twice. While the disk is full the reopen itself may fail; it is
 * tried again with the next write.
 */
static void writer_recover(struct writer *w)
{
	char err[256];
	/* The cache holds the failed group's values (valcache.h). */
	valcache_clear(w->vc);
	if (store_reopen(w->store, err, sizeof(err)) < 0) {
		/* Tried again after each failed write, every second or so while
		 * the disk is full: said once. */
		if (!w->reopen_failing)
			log_warnx("writer: cannot reopen the store (%s); trying again with each write",
			          err);
		w->reopen_failing = 1;
		return;
	}
	w->reopen_failing = 0;
	memset(w->streams, 0, WRITER_STREAMS_MAX * sizeof(*w->streams));
	w->nstreams = 0;
	if (w->kf && keyfilter_rebuild(w->kf, w->store, err, sizeof(err)) < 0) {
		/* Without a trustworthy filter every tuple is looked up. */
		keyfilter_free(w->kf);
		w->kf = NULL;
		merge_free(w->merge);
		w->merge = merge_new(w->store, w->o.group_obs, w->o.max_batch_bytes, NULL, w->vc);
		w->batch = w->merge ? merge_batch(w->merge) : NULL;
	}
	if (sites_reload(w->sites, w->store, err, sizeof(err)) < 0)
		log_warnx("writer: cannot read the site table again (%s)", err);
	log_info("writer: reopened the store after failed writes");
}

/* Where the group's tuples were found, into the aggregator's counters. */
static void writer_count_merges(struct writer *w)
{
	struct merge_counts c = { 0 };
	merge_take_counts(w->merge, &c);
	ASTAT_ADD(w->stats, merge_in_group, c.in_group);
	ASTAT_ADD(w->stats, merge_filter_new, c.filter_new);
	ASTAT_ADD(w->stats, merge_in_cache, c.in_cache);
	ASTAT_ADD(w->stats, merge_store_reads, c.store_reads);
	ASTAT_ADD(w->stats, merge_read_new, c.read_new);
}

/* Takes jobs off the queue while the group has room for them; a new
 * group (empty room) always takes its first. NULL when none fits.
 * Called with the lock held. */
static struct wjob *writer_take(struct writer *w, struct wroom *r)
{
	struct wjob *first = w->head, *last = NULL;
	unsigned n = 0;
	for (struct wjob *j = first; j; j = j->next) {
		if (r->batches > 0 && (r->batches >= w->o.group_batches ||
		                       r->obs + j->batch->n_obs > w->o.group_obs ||
		                       r->bytes + j->body_len > w->o.group_bytes))
			break;
		r->batches++;
		r->obs += j->batch->n_obs;
		r->bytes += j->body_len;
		last = j;
		n++;
	}
	if (!last)
		return NULL;
	w->head = last->next;
	if (!w->head)
		w->tail = NULL;
	last->next = NULL;
	w->queued -= n;
	return first;
}

/* Applies a list of jobs; returns its last job, and a negative code in
 * *rc when the group must fail. */
static struct wjob *writer_apply_all(struct writer *w, struct wjob *jobs, int *rc)
{
	struct wjob *last = NULL;
	for (struct wjob *j = jobs; j; j = j->next) {
		j->applied = 0;
		if (*rc == 0)
			*rc = writer_apply(w, j);
		last = j;
	}
	return last;
}

/*
 * With group_wait_ms: the batches that come in while the group merges, or
 * within that time, join it (appended after last) while it has room.
 * Without, a write takes only what was queued when it began: taking late
 * arrivals too lengthened the slowest acks (p99 3.8 s to 5.1 s in
 * tests/bench/bench_ingest.py) for no gain in rate.
 */
static void writer_wait_more(struct writer *w, struct wjob *last, struct wroom *room, int *rc)
{
	struct timespec until = pd_deadline(CLOCK_MONOTONIC, w->o.group_wait_ms);
	pthread_mutex_lock(&w->mu);
	while (*rc == 0) {
		while (!w->head && !w->stopping &&
		       pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0)
			;
		struct wjob *more = w->head ? writer_take(w, room) : NULL;
		if (!more)
			break;
		pthread_mutex_unlock(&w->mu);
		last->next = more;
		last = writer_apply_all(w, more, rc);
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
}

static void writer_group(struct writer *w, struct wjob *jobs, struct wroom *room)
{
	char err[256] = "";
	int rc = 0;
	size_t applied = 0, obs = 0;
	merge_begin(w->merge);
	w->ntouched = 0;
	struct wjob *last = writer_apply_all(w, jobs, &rc);
	if (w->o.group_wait_ms && rc == 0 && !w->failing)
		writer_wait_more(w, last, room, &rc);
	if (rc == 0)
		rc = writer_commit(w, err, sizeof(err));
	writer_count_merges(w);
	if (rc < 0) {
		/* Nothing of this group is durable: its working copies of stream
		 * states are dropped and new sites forgotten; the sensors send
		 * the batches again. (A new stream stays bound to its owner in
		 * memory, which is what its next attempt will find.) */
		sites_rollback(w->sites);
		ASTAT_INC(w->stats, store_write_errors);
		if (!w->failing)
			log_warnx("writer: store write failed, not acknowledging until it works "
			          "again (%s)", err[0] ? err : pd_strerror(rc));
		w->failing = 1;
		writer_recover(w);
		for (struct wjob *j = jobs; j; j = j->next) {
			if (j->applied || j->status == 0) {
				ASTAT_INC(w->stats, refused_store);
				job_result(j, PD_ESTORE, "store write failed; try again later");
			}
		}
	} else {
		if (w->failing)
			log_info("writer: store writes work again");
		w->failing = 0;
		sites_commit(w->sites);
		for (unsigned i = 0; i < w->ntouched; i++)
			w->touched[i].st->seqs = w->touched[i].work;
		for (struct wjob *j = jobs; j; j = j->next) {
			if (!j->applied)
				continue;
			applied++;
			obs += j->batch->n_obs;
		}
		ASTAT_INC(w->stats, store_commits);
		ASTAT_ADD(w->stats, store_commit_batches, applied);
		ASTAT_ADD(w->stats, batches_applied, applied);
		ASTAT_ADD(w->stats, observations_applied, obs);
	}
	while (jobs) {
		struct wjob *next = jobs->next;
		jobs->done(jobs);
		jobs = next;
	}
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	pthread_setname_np(pthread_self(), "alm-writer");
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->head && !w->stopping)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->head)
			break;
		struct wroom room = { 0 };
		struct wjob *jobs = writer_take(w, &room);
		pthread_mutex_unlock(&w->mu);
		writer_group(w, jobs, &room);
		if (w->kf && keyfilter_full(w->kf)) {
			char err[256];
			log_info("writer: growing the key filter past %llu keys",
			         (unsigned long long)keyfilter_keys(w->kf));
			if (keyfilter_rebuild(w->kf, w->store, err, sizeof(err)) < 0)
				log_warnx("writer: %s", err);
		}
		if (w->failing) {
			/* Give the disk a moment; submitters get PD_EBUSY meanwhile. */
			struct timespec ts = { WRITER_RETRY_MS / 1000, (WRITER_RETRY_MS % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
		pthread_mutex_lock(&w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int writer_submit(struct writer *w, struct wjob *j)
{
	int rc = 0;
	j->next = NULL;
	pthread_mutex_lock(&w->mu);
	if (w->stopping)
		rc = PD_ESTALE;
	else if (w->queued >= w->o.queue_max)
		rc = PD_EBUSY;
	else if (w->failing && w->queued > 0)
		rc = PD_EBUSY; /* one probe at a time while the store fails */
	if (rc == 0) {
		if (w->tail)
			w->tail->next = j;
		else
			w->head = j;
		w->tail = j;
		w->queued++;
		pthread_cond_signal(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return rc;
}

int writer_failing(struct writer *w)
{
	pthread_mutex_lock(&w->mu);
	int f = w->failing;
	pthread_mutex_unlock(&w->mu);
	return f;
}

static void writer_free(struct writer *w)
{
	merge_free(w->merge);
	keyfilter_free(w->kf);
	valcache_free(w->vc);
	pd_buf_fini(&w->val);
	free(w->streambuf);
	free(w->streams);
	free(w->touched);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}

int writer_start(struct writer **out, struct store *st, struct sites *sites,
                 const struct writer_opts *o, struct agg_stats *stats, char *err, size_t errlen)
{
	struct writer *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -12;
	}
	w->o = *o;
	if (!w->o.queue_max)
		w->o.queue_max = 256;
	if (!w->o.group_batches)
		w->o.group_batches = 64;
	if (!w->o.group_obs)
		w->o.group_obs = 200000;
	if (!w->o.group_bytes) {
		/* Room for the observations of a full group, at 64 encoded
		 * bytes each (the wire's typical size is 30 to 60). */
		w->o.group_bytes = w->o.group_obs * 64;
		if (w->o.group_bytes < (16u << 20))
			w->o.group_bytes = 16u << 20;
	}
	if (w->o.max_batch_bytes < w->o.group_bytes)
		w->o.max_batch_bytes = w->o.group_bytes;
	w->store = st;
	w->sites = sites;
	w->stats = stats;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* group_wait_ms */
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	pd_buf_init(&w->val, 2 + 2 * PD_IDENTITY_MAX + SEQSET_ENC_MAX);
	char kerr[256];
	if (keyfilter_build(&w->kf, st, 1u << 24, kerr, sizeof(kerr)) < 0)
		log_warnx("writer: no key filter, every new tuple costs a lookup (%s)", kerr);
	w->vc = valcache_new(w->o.cache_entries ? w->o.cache_entries : 1u << 20, pd_random_u64());
	w->merge = merge_new(st, w->o.group_obs, w->o.max_batch_bytes, w->kf, w->vc);
	w->batch = w->merge ? merge_batch(w->merge) : NULL;
	w->streambuf = malloc(2 + 2 * PD_IDENTITY_MAX + SEQSET_ENC_MAX);
	w->streams = calloc(WRITER_STREAMS_MAX, sizeof(*w->streams));
	w->touched = calloc(w->o.group_batches, sizeof(*w->touched));
	if (!w->merge || !w->streambuf || !w->streams ||
	    !w->touched || pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		snprintf(err, errlen, "writer: out of memory");
		writer_free(w);
		return -12;
	}
	*out = w;
	return 0;
}

void writer_stop(struct writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	writer_free(w);
}
