/*
 * writer: the aggregator's single writer (DESIGN.md "Store").
 *
 * Verified, decoded batches (jobs) queue here. One thread takes several at
 * a time (those queued, and with group_wait_ms those that arrive while it
 * merges them or within that time, up to the group limits) and merges
 * them into LevelDB in one synced write: each tuple's
 * value is read, merged with the observation rule (per site too) and
 * written back, and in the same write each stream's applied sequence
 * numbers are recorded, so a batch is applied exactly once. A batch whose
 * number was already applied is acknowledged without being applied again.
 * Only after the write returns are the jobs' done callbacks called; a
 * failed write (disk full) answers every job of the group with PD_ESTORE
 * so the sensors keep their batches and send them again later.
 *
 * Streams are bound to the identity that first used them: a batch from
 * another certificate on the same stream id is refused (PD_EAUTH).
 * Thread-safety: writer_submit from any thread; done runs on the writer's.
 */
#ifndef AGG_WRITER_H
#define AGG_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "astats.h"
#include "pd_batch.h"
#include "pd_sign.h"
#include "sites.h"
#include "store.h"

struct wjob {
	struct wjob *next;
	const struct pd_batch *batch; /* borrowed until done */
	size_t body_len;              /* encoded size, for group sizing */
	struct pd_identity id;
	int status;      /* set by the writer: 0 or a PD_E* code */
	char msg[160];   /* set by the writer */
	int applied;     /* the writer's: merged into the group being written */
	void (*done)(struct wjob *j);
	void *ctx;
};

struct writer_opts {
	unsigned queue_max;      /* jobs waiting; 0: 256 */
	unsigned group_batches;  /* batches per write at most; 0: 64 */
	size_t group_obs;        /* observations per write at most; 0: 200000 */
	size_t group_bytes;      /* encoded batch bytes per write at most;
	                          * 0: 64 per group_obs, 16 MiB at least */
	unsigned group_wait_ms;  /* how long a write waits for more batches; 0: it
	                          * takes only those queued when it began */
	size_t max_batch_bytes;  /* the largest batch ingest accepts */
	size_t cache_entries;    /* values kept for repeated tuples; 0: 1048576 */
	int no_sync;             /* tests and benchmarks only */
};

struct writer;

int writer_start(struct writer **out, struct store *st, struct sites *sites,
                 const struct writer_opts *o, struct agg_stats *stats, char *err, size_t errlen);
/* Queues j; PD_EBUSY when the queue is full or the store is failing,
 * PD_ESTALE when stopping. On error j is not queued and done is not called. */
int writer_submit(struct writer *w, struct wjob *j);
/* Applies what is queued, then stops the thread. */
void writer_stop(struct writer *w);

/* 1 while the last store write failed and writes are paused. */
int writer_failing(struct writer *w);

#endif
