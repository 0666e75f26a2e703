/*
 * tcpreasm: DNS-over-TCP stream reassembly (RFC 1035 4.2.2, RFC 7766).
 *
 * One stream per direction, keyed by addresses and ports. Bytes are put in
 * sequence order: a message split over several segments, several messages
 * in one segment, out-of-order segments and retransmissions all deliver each
 * message exactly once through the callback. Streams start at the SYN, or at
 * the first data seen when the capture began mid-connection.
 *
 * Caps: number of streams (oldest evicted: tcp_streams_evicted), bytes held
 * in all buffers (oldest streams evicted to make room), and out-of-order
 * bytes per stream (excess dropped: tcp_ooo_dropped, and the stream resyncs).
 * Idle streams expire after timeout_s of packet time (tcp_streams_timeout
 * when they still held data). Not thread-safe.
 */
#ifndef SENSOR_TCPREASM_H
#define SENSOR_TCPREASM_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04

struct tcpreasm;

struct tcp_key {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t family;
	uint8_t pad[3]; /* zeroed: keys are compared as bytes */
};

/* Receives each complete DNS message (without its length prefix). */
typedef void (*tcpreasm_msg_fn)(void *ctx, const uint8_t *msg, size_t len);

struct tcpreasm *tcpreasm_new(unsigned max_streams, size_t max_bytes, unsigned timeout_s,
                              uint64_t seed, struct sensor_stats *st,
                              tcpreasm_msg_fn fn, void *ctx);
void tcpreasm_free(struct tcpreasm *r);

void tcpreasm_segment(struct tcpreasm *r, const struct tcp_key *key, uint32_t seq,
                      uint8_t flags, const uint8_t *data, size_t len, int64_t now_s);

/* Drops streams idle for the timeout at packet time now_s. */
void tcpreasm_expire(struct tcpreasm *r, int64_t now_s);

size_t tcpreasm_bytes(const struct tcpreasm *r);

#endif
