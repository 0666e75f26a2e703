/*
 * decode: one captured frame down to DNS messages. Link layer (link.c),
 * IPv4 and IPv6 (extension headers walked, fragments reassembled through
 * ipreasm), UDP and TCP (streams through tcpreasm) on the configured DNS
 * ports, then each message to dnsobs. Every frame that yields no message is
 * counted under one reason. Not thread-safe: one capture thread.
 */
#ifndef SENSOR_DECODE_H
#define SENSOR_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "dnsobs.h"
#include "stats.h"

struct decode;

struct decode_limits {
	unsigned frag_datagrams; /* pending fragmented datagrams */
	size_t frag_bytes;
	unsigned frag_timeout_s;
	unsigned tcp_streams;
	size_t tcp_bytes;
	unsigned tcp_timeout_s;
};

/* ports: DNS ports (at least one); the decoder copies them. */
struct decode *decode_new(int dlt, const uint16_t *ports, size_t nports,
                          const struct decode_limits *lim, uint64_t seed,
                          struct dnsobs *obs, struct sensor_stats *st);
void decode_free(struct decode *d);

/* Decodes one frame: caplen bytes captured of a wirelen-byte frame. */
void decode_frame(struct decode *d, const uint8_t *frame, size_t caplen, size_t wirelen,
                  int64_t ts_s);

/* Expires reassembly state older than its timeout at time now_s. */
void decode_expire(struct decode *d, int64_t now_s);

#endif
