/*
 * stats: the sensor's counters, one per reason anything is seen, dropped or
 * evicted. The table below is the single list: names are printed in the
 * summary (exit, SIGUSR1), shipped in health counters, and asserted by tests.
 * Counters are plain uint64_t: the capture thread is the only writer, except
 * the spool_* counters, which the spool updates under its own mutex from the
 * capture and shipping threads. Readers (summary, health) take no lock and may
 * see slightly stale values.
 */
#ifndef SENSOR_STATS_H
#define SENSOR_STATS_H

#include <stdint.h>
#include <stdio.h>

#define SENSOR_STATS(X) \
	X(packets_seen) \
	X(packets_not_ip) \
	X(packets_not_dns) \
	X(packets_short_capture) \
	X(malformed_link) \
	X(malformed_ip) \
	X(malformed_udp) \
	X(malformed_tcp) \
	X(malformed_dns_short) \
	X(malformed_dns_truncated) \
	X(malformed_dns_pointer) \
	X(malformed_dns_name_too_long) \
	X(malformed_dns_label) \
	X(malformed_dns_rdata) \
	X(malformed_dns_other) \
	X(frag_seen) \
	X(frag_reassembled) \
	X(frag_overlap) \
	X(frag_evicted) \
	X(frag_timeout) \
	X(tcp_segments) \
	X(tcp_messages) \
	X(tcp_retransmitted_bytes) \
	X(tcp_streams_evicted) \
	X(tcp_streams_timeout) \
	X(tcp_ooo_dropped) \
	X(dns_queries) \
	X(dns_responses) \
	X(responses_noerror) \
	X(responses_nxdomain) \
	X(responses_truncated) \
	X(responses_error) \
	X(responses_not_query_opcode) \
	X(rrs_folded) \
	X(rrs_skipped_class) \
	X(rrs_skipped_pseudo) \
	X(rrs_out_of_bailiwick) \
	X(observations_emitted) \
	X(negative_emitted) \
	X(fold_early_flushes) \
	X(pcap_drop) \
	X(pcap_ifdrop) \
	X(spool_corrupt) \
	X(spool_dropped_batches) \
	X(spool_dropped_observations) \
	X(spool_rejected) \
	X(spool_write_errors) \
	X(batches_spooled) \
	X(batches_lost) \
	X(observations_lost) \
	X(batches_sent) \
	X(batches_acked) \
	X(batches_refused) \
	X(batches_retried) \
	X(heartbeats_sent) \
	X(heartbeats_acked) \
	X(ship_errors) \
	X(ship_redials) \
	X(ship_stalls)

enum sensor_stat {
#define SENSOR_STAT_ENUM(n) ST_##n,
	SENSOR_STATS(SENSOR_STAT_ENUM)
#undef SENSOR_STAT_ENUM
	ST__COUNT
};

struct sensor_stats {
	uint64_t v[ST__COUNT];
};

extern const char *const sensor_stat_names[ST__COUNT];

/*
 * Other threads read the counters at any time (heartbeats, SIGUSR1), so
 * they are accessed atomically. Most have one writer, which bumps them
 * with a relaxed load and store (no locked instruction on the capture
 * path); counters that several threads bump (the senders', the
 * heartbeats') take STAT_INC_SHARED, a relaxed fetch-and-add, or
 * increments would be lost.
 */
static inline void stat_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

static inline uint64_t stat_get(const struct sensor_stats *st, enum sensor_stat i)
{
	return __atomic_load_n(&st->v[i], __ATOMIC_RELAXED);
}

/* A counter kept elsewhere (libpcap's drops), published as it stands. */
static inline void stat_set(struct sensor_stats *st, enum sensor_stat i, uint64_t v)
{
	__atomic_store_n(&st->v[i], v, __ATOMIC_RELAXED);
}

#define STAT_INC(st, name) stat_add(&(st)->v[ST_##name], 1)
#define STAT_ADD(st, name, n) stat_add(&(st)->v[ST_##name], (uint64_t)(n))
#define STAT_INC_SHARED(st, name) \
	((void)__atomic_fetch_add(&(st)->v[ST_##name], 1, __ATOMIC_RELAXED))

/* Writes "  name value" lines under a heading to f. */
void stats_print(const struct sensor_stats *st, FILE *f, const char *heading);

#endif
