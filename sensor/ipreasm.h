/*
 * ipreasm: IPv4 and IPv6 fragment reassembly with hard caps.
 *
 * Pending datagrams live in a flowtab keyed by (family, src, dst, id,
 * proto). Memory is capped twice: the number of pending datagrams and the
 * bytes their buffers hold; the oldest datagram is evicted to make room
 * (frag_evicted). Datagrams not completed within timeout_s of packet time
 * are dropped (frag_timeout). Overlapping fragments whose bytes disagree drop
 * the whole datagram (frag_overlap, as RFC 5722 requires for IPv6); exact
 * duplicates are ignored. Not thread-safe.
 */
#ifndef SENSOR_IPREASM_H
#define SENSOR_IPREASM_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct ipreasm;

struct frag_key {
	uint8_t src[16], dst[16];
	uint32_t id;
	uint8_t family, proto; /* proto is 0 for IPv6: its id alone is unique */
	uint8_t pad[2];        /* zeroed: keys are compared as bytes */
};

struct frag {
	uint32_t off, len; /* byte offset and length in the fragmentable part */
	int more;          /* MF bit */
	uint8_t proto;     /* next protocol as this fragment states it */
	const uint8_t *data;
};

struct ipreasm *ipreasm_new(unsigned max_datagrams, size_t max_bytes, unsigned timeout_s,
                            uint64_t seed, struct sensor_stats *st);
void ipreasm_free(struct ipreasm *r);

/*
 * Adds one fragment seen at packet time now_s. Returns 1 when it completed
 * its datagram: *out, *outlen and *proto then describe the reassembled
 * payload, valid until the next call. Returns 0 while incomplete, or a
 * negative code when the fragment was dropped (already counted).
 */
int ipreasm_add(struct ipreasm *r, const struct frag_key *key, const struct frag *f,
                int64_t now_s, const uint8_t **out, size_t *outlen, uint8_t *proto);

/* Drops datagrams older than the timeout at packet time now_s. */
void ipreasm_expire(struct ipreasm *r, int64_t now_s);

/* Bytes currently held by pending datagrams. */
size_t ipreasm_bytes(const struct ipreasm *r);

#endif
