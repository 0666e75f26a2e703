/*
 * astats: the aggregator's counters. One table (the X-macro below) names
 * them for logs, /metrics and tests. Several threads update them, so they
 * are relaxed atomics: each counter is exact, a reader may see one counter
 * a moment ahead of another.
 */
#ifndef AGG_ASTATS_H
#define AGG_ASTATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "pd_buf.h"
#include "pd_sign.h"

#define AGG_STATS(X) \
	X(batches_received, "Messages received from sensors, before any check.") \
	X(batches_applied, "Batches merged into the store.") \
	X(batches_duplicate, "Batches already applied (acknowledged again, not merged).") \
	X(heartbeats_received, "Heartbeats received.") \
	X(observations_applied, "Observations merged into the store.") \
	X(observations_unmergeable, "Observations refused inside accepted batches.") \
	X(refused_malformed, "Batches refused as malformed.") \
	X(refused_oversize, "Batches refused as larger than max-batch-bytes.") \
	X(refused_version, "Batches refused for an unknown format version.") \
	X(refused_auth, "Batches refused at authentication.") \
	X(refused_registry, "Batches from sensors the registry does not list.") \
	X(refused_stream_owner, "Batches on a stream another sensor owns.") \
	X(refused_busy, "Batches refused because the writer queue was full.") \
	X(refused_store, "Batches refused because the store failed.") \
	X(store_commits, "Synced writes to the store.") \
	X(store_commit_batches, "Batches in those writes.") \
	X(store_write_errors, "Failed writes to the store.") \
	X(merge_in_group, "Observations of a tuple already in the same write group.") \
	X(merge_filter_new, "Observations of tuples the key filter proved new (no read).") \
	X(merge_in_cache, "Observations whose tuple's value came from the value cache.") \
	X(merge_store_reads, "Observations that read their tuple's value from LevelDB.") \
	X(merge_read_new, "Of those reads, tuples not stored yet (key filter false positives).") \
	X(tls_handshakes_refused, "TLS handshakes refused on the sensor listener.") \
	X(pipes_opened, "Sensor connections opened.") \
	X(pipes_closed, "Sensor connections closed.") \
	X(listener_probes, "Checks that the sensor listener still takes connections.") \
	X(listener_restarts, "Times the sensor listener had stopped and was opened anew.")

enum agg_stat {
#define AGG_STAT_ENUM(n, help) AS_##n,
	AGG_STATS(AGG_STAT_ENUM)
#undef AGG_STAT_ENUM
	AS__COUNT
};

struct agg_stats {
	_Atomic uint64_t v[AS__COUNT];
	_Atomic uint64_t auth[PD_SIGN_NREASONS]; /* refusals by reason */
};

extern const char *const agg_stat_names[AS__COUNT];
extern const char *const agg_stat_help[AS__COUNT];
/* Short names of pd_sign refusal reasons, for counters. */
extern const char *const agg_auth_names[PD_SIGN_NREASONS];

#define ASTAT_ADD(st, name, n) \
	atomic_fetch_add_explicit(&(st)->v[AS_##name], (uint64_t)(n), memory_order_relaxed)
#define ASTAT_INC(st, name) ASTAT_ADD(st, name, 1)

static inline uint64_t astat_get(const struct agg_stats *st, enum agg_stat i)
{
	return atomic_load_explicit(&st->v[i], memory_order_relaxed);
}

/* Writes "  name value" lines (auth refusals as refused_auth_<reason>). */
void astats_print(const struct agg_stats *st, FILE *f, const char *heading);

/* Prometheus text: almanac_aggregator_<name>_total counters, and
 * almanac_aggregator_auth_refusals_total{reason}. 0 or PD_ELIMIT. */
int astats_metrics(const struct agg_stats *st, struct pd_buf *b);

#endif
