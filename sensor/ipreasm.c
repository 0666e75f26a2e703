#include "ipreasm.h"

#include <stdlib.h>
#include <string.h>

#include "flowtab.h"
#include "pd_err.h"

#define IPR_MAX_LEN 65535u
#define IPR_BLOCKS ((IPR_MAX_LEN + 7) / 8 + 1)

struct dgram {
	uint8_t *buf;
	uint32_t cap;            /* bytes allocated in buf */
	uint32_t total;          /* payload length once the last fragment is seen */
	uint32_t covered;        /* 8-byte blocks received */
	int64_t first_s;
	int have_first;          /* fragment at offset 0 seen: proto is final */
	uint8_t proto;
	uint8_t bitmap[(IPR_BLOCKS + 7) / 8];
};

struct ipreasm {
	struct flowtab *tab;
	size_t bytes, max_bytes;
	unsigned timeout_s;
	uint8_t *done;           /* buffer of the last completed datagram */
	struct sensor_stats *st;
};

struct ipreasm *ipreasm_new(unsigned max_datagrams, size_t max_bytes, unsigned timeout_s,
                            uint64_t seed, struct sensor_stats *st)
{
	struct ipreasm *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->tab = flowtab_new(max_datagrams, sizeof(struct frag_key), sizeof(struct dgram), seed);
	if (!r->tab) {
		free(r);
		return NULL;
	}
	r->max_bytes = max_bytes;
	r->timeout_s = timeout_s;
	r->st = st;
	return r;
}

static void ipr_drop(struct ipreasm *r, struct dgram *d)
{
	r->bytes -= d->cap;
	free(d->buf);
	flowtab_remove(r->tab, d);
}

void ipreasm_free(struct ipreasm *r)
{
	if (!r)
		return;
	struct dgram *d;
	while ((d = flowtab_oldest(r->tab)) != NULL)
		ipr_drop(r, d);
	flowtab_free(r->tab);
	free(r->done);
	free(r);
}

size_t ipreasm_bytes(const struct ipreasm *r)
{
	return r->bytes;
}

void ipreasm_expire(struct ipreasm *r, int64_t now_s)
{
	struct dgram *d;
	while ((d = flowtab_oldest(r->tab)) != NULL && now_s - d->first_s >= (int64_t)r->timeout_s) {
		STAT_INC(r->st, frag_timeout);
		ipr_drop(r, d);
	}
}

/* Grows d->buf to hold need bytes, evicting other datagrams over the cap. */
static int ipr_reserve(struct ipreasm *r, struct dgram *d, uint32_t need)
{
	if (need <= d->cap)
		return 0;
	uint32_t ncap = need < 2048 ? 2048 : need;
	if (ncap > IPR_MAX_LEN)
		ncap = IPR_MAX_LEN;
	struct dgram *old;
	while (r->bytes + (ncap - d->cap) > r->max_bytes &&
	       (old = flowtab_oldest(r->tab)) != NULL && old != d) {
		STAT_INC(r->st, frag_evicted);
		ipr_drop(r, old);
	}
	if (r->bytes + (ncap - d->cap) > r->max_bytes)
		return PD_ELIMIT;
	uint8_t *nb = realloc(d->buf, ncap);
	if (!nb)
		return -12; /* -ENOMEM */
	r->bytes += ncap - d->cap;
	d->buf = nb;
	d->cap = ncap;
	return 0;
}

/* Copies f into d block by block; an overlap with different bytes fails. */
static int ipr_merge(struct dgram *d, const struct frag *f)
{
	uint32_t end = f->off + f->len;
	for (uint32_t b = f->off / 8; b * 8 < end; b++) {
		uint32_t lo = b * 8, hi = lo + 8 < end ? lo + 8 : end;
		const uint8_t *src = f->data + (lo - f->off);
		uint8_t bit = (uint8_t)(1u << (b & 7));
		if (d->bitmap[b >> 3] & bit) {
			if (memcmp(d->buf + lo, src, hi - lo) != 0)
				return PD_EMALF;
			continue;
		}
		memcpy(d->buf + lo, src, hi - lo);
		d->bitmap[b >> 3] |= bit;
		d->covered++;
	}
	return 0;
}

static struct dgram *ipr_lookup(struct ipreasm *r, const struct frag_key *key, int64_t now_s)
{
	struct dgram *d = flowtab_find(r->tab, key);
	if (d)
		return d;
	d = flowtab_insert(r->tab, key);
	if (!d) {
		STAT_INC(r->st, frag_evicted);
		ipr_drop(r, flowtab_oldest(r->tab));
		d = flowtab_insert(r->tab, key);
	}
	d->first_s = now_s;
	return d;
}

int ipreasm_add(struct ipreasm *r, const struct frag_key *key, const struct frag *f,
                int64_t now_s, const uint8_t **out, size_t *outlen, uint8_t *proto)
{
	uint32_t end = f->off + f->len;

	STAT_INC(r->st, frag_seen);
	if (f->len == 0 || end > IPR_MAX_LEN || (f->more && f->len % 8 != 0)) {
		STAT_INC(r->st, malformed_ip);
		return PD_EMALF;
	}
	ipreasm_expire(r, now_s);
	struct dgram *d = ipr_lookup(r, key, now_s);
	/* A last fragment fixes the length; anything disagreeing is an overlap. */
	int bad = d->total && (end > d->total || (!f->more && end != d->total));
	if (!bad && !f->more) {
		for (uint32_t b = (end + 7) / 8; b * 8 < d->cap && !bad; b++)
			bad = d->bitmap[b >> 3] & (1u << (b & 7));
		d->total = end;
	}
	int rc = bad ? PD_EMALF : ipr_reserve(r, d, end);
	if (rc == 0)
		rc = ipr_merge(d, f);
	if (rc < 0) {
		if (rc == PD_EMALF)
			STAT_INC(r->st, frag_overlap);
		else
			STAT_INC(r->st, frag_evicted);
		ipr_drop(r, d);
		return rc;
	}
	if (f->off == 0) {
		d->proto = f->proto;
		d->have_first = 1;
	}
	if (!d->total || !d->have_first || d->covered != (d->total + 7) / 8)
		return 0;
	STAT_INC(r->st, frag_reassembled);
	free(r->done);
	r->done = d->buf;
	*out = d->buf;
	*outlen = d->total;
	*proto = d->proto;
	r->bytes -= d->cap;
	flowtab_remove(r->tab, d);
	return 1;
}
