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

#include "pd_sign.h"

#define AGG_STATS(X) \
	X(batches_received) \
	X(batches_applied) \
	X(batches_duplicate) \
	X(heartbeats_received) \
	X(observations_applied) \
	X(observations_unmergeable) \
	X(refused_malformed) \
	X(refused_oversize) \
	X(refused_version) \
	X(refused_auth) \
	X(refused_registry) \
	X(refused_stream_owner) \
	X(refused_busy) \
	X(refused_store) \
	X(store_commits) \
	X(store_commit_batches) \
	X(store_write_errors) \
	X(tls_handshakes_refused) \
	X(pipes_opened) \
	X(pipes_closed)

enum agg_stat {
#define AGG_STAT_ENUM(n) AS_##n,
	AGG_STATS(AGG_STAT_ENUM)
#undef AGG_STAT_ENUM
	AS__COUNT
};

struct agg_stats {
	_Atomic uint64_t v[AS__COUNT];
	_Atomic uint64_t auth[PD_SIGN_NREASONS]; /* refusals by reason */
};

extern const char *const agg_stat_names[AS__COUNT];
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

#endif
