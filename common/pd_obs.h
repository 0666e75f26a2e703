/*
 * pd_obs: the observation model and its merge rule (docs/observations.md).
 *
 * A tuple is (rrname, rrtype, rdata) in canonical form, or for a negative
 * observation (qname, qtype) with PD_OBS_NXDOMAIN set and no rdata. Its
 * figures merge associatively: count summed, first = min, last = max; so
 * folding at the sensor, batching and merging at the aggregator commute.
 *
 * The packed tuple key is the byte string [flags][type be16][namelen]
 * [rdlen be16][name][rdata]: equal tuples have equal keys, so tables hash
 * and compare keys as bytes.
 */
#ifndef PD_OBS_H
#define PD_OBS_H

#include <stddef.h>
#include <stdint.h>

#define PD_OBS_NXDOMAIN 0x01
#define PD_OBS_KEY_HDR 6
#define PD_OBS_KEY_MAX (PD_OBS_KEY_HDR + 255 + 65535)

struct pd_obs {
	const uint8_t *name; /* canonical wire name */
	size_t name_len;
	const uint8_t *rdata; /* canonical rdata; NULL for negative */
	size_t rdlen;
	uint16_t type;
	uint8_t flags;
	uint64_t count;
	int64_t first_s, last_s;
};

/* Merges the figures of src into dst (same tuple). */
static inline void pd_obs_merge(struct pd_obs *dst, const struct pd_obs *src)
{
	dst->count += src->count;
	if (src->first_s < dst->first_s)
		dst->first_s = src->first_s;
	if (src->last_s > dst->last_s)
		dst->last_s = src->last_s;
}

/* Packs the tuple of o into out (cap bytes); returns the key length or PD_ESPACE. */
int pd_obs_key_pack(const struct pd_obs *o, uint8_t *out, size_t cap);

/* Points o's tuple fields into key (borrowed); returns 0 or PD_EMALF. */
int pd_obs_key_unpack(struct pd_obs *o, const uint8_t *key, size_t len);

#endif
