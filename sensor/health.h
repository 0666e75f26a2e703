/*
 * health: the sensor's own health, as the counters every batch and every
 * heartbeat carry (DESIGN.md "Health"): packets seen, libpcap drops, DNS
 * messages, malformed, reassembly evictions, observations, batches sent,
 * acked and dropped, spool depth and age, capture source and state,
 * version, uptime. The sensor's clock travels in the batch header.
 * Counters are read without locks (each has one writer; see stats.h).
 */
#ifndef SENSOR_HEALTH_H
#define SENSOR_HEALTH_H

#include <stdint.h>

#include "pd_batch.h"
#include "spool.h"
#include "stats.h"

struct health_src {
	const struct sensor_stats *st;
	struct spool *spool;
	char source[128];       /* "eth0" or "file capture.pcap" */
	volatile int capture_ok; /* cleared by the capture thread on errors */
	int64_t started_s;
};

/* Adds the health map to an open batch; 0 or PD_ELIMIT. */
int health_add(const struct health_src *h, struct pd_batch_enc *e);

#endif
