/*
 * batcher: observations into sealed, spooled batches (DESIGN.md "Sensor ->
 * aggregator wire").
 *
 * It is a fold sink: each observation goes into the open batch; a batch is
 * sealed when it reaches its size caps and at the end of every flush
 * (batcher_seal). Sealing takes the stream's next sequence number, records
 * the floor (the oldest batch still spooled: everything below it was acked
 * or dropped), signs the body with the sensor's key and writes the batch
 * to the spool with fsync; only then may the shipper send it. A batch that
 * cannot be spooled (disk full) is counted (batches_lost) and logged.
 * Called from the capture thread only.
 */
#ifndef SENSOR_BATCHER_H
#define SENSOR_BATCHER_H

#include <stddef.h>
#include <stdint.h>

#include "pd_obs.h"
#include "health.h"
#include "pd_sign.h"
#include "spool.h"
#include "state.h"
#include "stats.h"

struct batcher;

struct batcher_opts {
	size_t max_obs;   /* observations per batch */
	size_t max_bytes; /* encoded body bytes per batch */
};

/* Called after a batch is spooled (to wake the shipper). */
typedef void (*batcher_spooled_fn)(void *ctx);

/* health (borrowed) adds the sensor's counters to every batch. */
int batcher_new(struct batcher **out, struct state *st, struct spool *sp,
                struct pd_signer *signer, const struct batcher_opts *o,
                struct sensor_stats *stats, const struct health_src *health,
                batcher_spooled_fn spooled, void *ctx);

/* Seals a heartbeat (no observations, never spooled) into out. */
int batcher_heartbeat(struct batcher *b, struct pd_buf *out);
void batcher_free(struct batcher *b);

/* A fold sink (fold_emit_fn). */
void batcher_obs(void *ctx, const struct pd_obs *o);
/* Seals and spools the open batch, if it holds anything. */
void batcher_seal(struct batcher *b);

#endif
