/*
 * uplink: everything between the fold window and the aggregator: the state
 * directory (stream id, sequence numbers), the spool, the signer, the
 * batcher and the shipper, opened together from the configuration.
 * The capture thread feeds observations (uplink_obs, a fold sink) and
 * seals at the end of each flush; the shipper's threads do the rest.
 */
#ifndef SENSOR_UPLINK_H
#define SENSOR_UPLINK_H

#include <stdint.h>

#include "conf.h"
#include "pd_obs.h"
#include "stats.h"

struct uplink;

int uplink_open(struct uplink **out, const struct sensor_conf *c, struct sensor_stats *st,
                char *err, size_t errlen);
/* Hands the state directory to uid/gid (before the sensor drops root). */
int uplink_chown(struct uplink *u, unsigned uid, unsigned gid, char *err, size_t errlen);
void uplink_obs(void *ctx, const struct pd_obs *o);
void uplink_seal(struct uplink *u);
/* Waits until every spooled batch is acked: 0, PD_ETIMEOUT, PD_ESTALE (stop). */
int uplink_drain(struct uplink *u, uint64_t timeout_ms, volatile int *stop);
/* Spool depth, for logs and health. */
void uplink_depth(struct uplink *u, uint64_t *bytes, uint64_t *batches);
/* The capture works (1) or failed (0): reported in health. */
void uplink_capture_state(struct uplink *u, int ok);
/* Sends a heartbeat now and waits for its answer (bounded by the reply
 * timeout). */
void uplink_heartbeat_now(struct uplink *u);
void uplink_close(struct uplink *u);

#endif
