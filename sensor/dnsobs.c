#include "dnsobs.h"

#include <stdlib.h>
#include <string.h>

#include "pd_dns.h"
#include "pd_err.h"
#include "pd_rr.h"
#include "pd_wire.h"

/* Canonical data can outgrow the message (decompressed names); a message
 * whose tuples need more than this is refused as malformed_dns_other. */
#define DNSOBS_SCRATCH (1u << 20)

/* Scratch record: [kind u8][klen u32][hash u64][key bytes], unaligned. */
#define REC_HDR 13
enum { REC_SKIP = 0, REC_FOLD = 1 };

/*
 * One message's tuples, parsed and hashed, waiting to be folded. Folding is
 * one message behind parsing: the fold table's slots for a message are
 * prefetched when it is parsed and touched when the next one is, which
 * hides most of the table's cache misses.
 */
struct pending {
	uint8_t *buf;
	size_t used;
	int64_t ts_s;
	uint32_t stamp;
	int live;
};

struct dnsobs {
	struct fold *fold;
	unsigned sections;
	struct sensor_stats *st;
	dnsobs_full_fn full;
	void *ctx;
	uint32_t stamp;
	struct pending p[2];
	int cur;
};

struct dnsobs *dnsobs_new(struct fold *fold, unsigned sections, struct sensor_stats *st,
                          dnsobs_full_fn full, void *ctx)
{
	struct dnsobs *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->p[0].buf = malloc(DNSOBS_SCRATCH);
	o->p[1].buf = malloc(DNSOBS_SCRATCH);
	if (!o->p[0].buf || !o->p[1].buf) {
		dnsobs_free(o);
		return NULL;
	}
	o->fold = fold;
	o->sections = sections;
	o->st = st;
	o->full = full;
	o->ctx = ctx;
	return o;
}

void dnsobs_free(struct dnsobs *o)
{
	if (!o)
		return;
	free(o->p[0].buf);
	free(o->p[1].buf);
	free(o);
}

static void dnsobs_malformed(struct dnsobs *o, int rc)
{
	switch (rc) {
	case PD_ETRUNC: STAT_INC(o->st, malformed_dns_truncated); break;
	case PD_ELOOP: STAT_INC(o->st, malformed_dns_pointer); break;
	case PD_ENAME: STAT_INC(o->st, malformed_dns_name_too_long); break;
	case PD_ELABEL: STAT_INC(o->st, malformed_dns_label); break;
	case PD_EMALF: STAT_INC(o->st, malformed_dns_rdata); break;
	default: STAT_INC(o->st, malformed_dns_other); break;
	}
}

static uint32_t rec_klen(const uint8_t *rec)
{
	uint32_t klen;
	memcpy(&klen, rec + 1, 4);
	return klen;
}

/* Folds a pending message's records into the window. */
static void dnsobs_commit(struct dnsobs *o, struct pending *p)
{
	for (size_t off = 0; off < p->used;) {
		const uint8_t *rec = p->buf + off;
		uint32_t klen = rec_klen(rec);
		off += REC_HDR + klen;
		if (rec[0] != REC_FOLD)
			continue;
		uint64_t h;
		memcpy(&h, rec + 5, 8);
		const uint8_t *key = rec + REC_HDR;
		if (fold_add_hashed(o->fold, key, klen, h, p->ts_s, p->stamp) == 0)
			continue;
		STAT_INC(o->st, fold_early_flushes);
		o->full(o->ctx);
		(void)fold_add_hashed(o->fold, key, klen, h, p->ts_s, p->stamp); /* fits now */
	}
	p->live = 0;
}

void dnsobs_drain(struct dnsobs *o)
{
	for (int i = 0; i < 2; i++)
		if (o->p[i].live)
			dnsobs_commit(o, &o->p[i]);
}

/* Appends a record for key (built by the caller at the end of p->buf). */
static void rec_close(struct pending *p, uint8_t kind, uint32_t klen)
{
	uint8_t *rec = p->buf + p->used;
	rec[0] = kind;
	memcpy(rec + 1, &klen, 4);
	p->used += REC_HDR + klen;
}

static int dnsobs_negative(struct pending *p, const struct pd_dns_msg *m)
{
	struct pd_obs ob = { .name = m->qname, .name_len = m->qname_len, .type = m->qtype,
		.flags = PD_OBS_NXDOMAIN };
	if (m->qname_len == 0)
		return 0;
	int klen = pd_obs_key_pack(&ob, p->buf + REC_HDR, DNSOBS_SCRATCH - REC_HDR);
	if (klen < 0)
		return klen;
	rec_close(p, REC_FOLD, (uint32_t)klen);
	return 0;
}

static unsigned dnsobs_last_section(unsigned sections)
{
	return sections & DNSOBS_ADDITIONAL ? PD_SEC_ADDITIONAL
	     : sections & DNSOBS_AUTHORITY ? PD_SEC_AUTHORITY : PD_SEC_ANSWER;
}

/* Writes one RR's tuple key at the end of p->buf; returns its length. */
static int dnsobs_key(struct pending *p, const struct pd_dns_msg *m, const struct pd_dns_rr *rr)
{
	size_t room = DNSOBS_SCRATCH - p->used;
	if (room < (size_t)REC_HDR + PD_OBS_KEY_HDR + rr->owner_len)
		return PD_ELIMIT;
	uint8_t *key = p->buf + p->used + REC_HDR;
	uint8_t *rd = key + PD_OBS_KEY_HDR + rr->owner_len;
	size_t rdcap = room - REC_HDR - PD_OBS_KEY_HDR - rr->owner_len;
	if (rdcap > 65535)
		rdcap = 65535;
	int rc = pd_rr_canon(rr->type, m->wire, m->len, rr->rdata_off, rr->rdlen, rd, rdcap);
	if (rc < 0)
		return rc == PD_ESPACE ? PD_ELIMIT : rc;
	key[0] = 0;
	pd_put_be16(key + 1, rr->type);
	key[3] = rr->owner_len;
	pd_put_be16(key + 4, (uint16_t)rc);
	pd_copy_small(key + PD_OBS_KEY_HDR, rr->owner, rr->owner_len);
	return PD_OBS_KEY_HDR + rr->owner_len + rc;
}

/*
 * Parses and canonicalizes every needed RR into p. Authority RRs are read
 * (as REC_SKIP) even when not recorded, to find the bailiwick: the deepest
 * NS/SOA owner at or above the question name. Returns its record offset
 * plus 1 (0: none), or a negative PD_E* code.
 */
static long dnsobs_collect(struct dnsobs *o, struct pending *p, struct pd_dns_msg *m)
{
	unsigned last = dnsobs_last_section(o->sections);
	struct pd_dns_rr rr;
	size_t zone_len = 0;
	long zone = 0;
	int rc;

	while ((rc = pd_dns_next_rr(m, &rr)) == 1) {
		if (rr.section > last)
			break;
		int wanted = (o->sections >> (rr.section - 1)) & 1;
		if (!wanted && rr.section != PD_SEC_AUTHORITY)
			continue;
		if (rr.type == PD_T_OPT || rr.type == PD_T_TSIG || rr.type == PD_T_TKEY) {
			STAT_INC(o->st, rrs_skipped_pseudo);
			continue;
		}
		if (rr.rclass != 1) {
			STAT_INC(o->st, rrs_skipped_class);
			continue;
		}
		int klen = dnsobs_key(p, m, &rr);
		if (klen < 0)
			return klen;
		if (rr.section == PD_SEC_AUTHORITY && (rr.type == PD_T_NS || rr.type == PD_T_SOA) &&
		    rr.owner_len > zone_len &&
		    pd_dns_name_is_sub(m->qname, m->qname_len, rr.owner, rr.owner_len)) {
			zone_len = rr.owner_len;
			zone = (long)p->used + 1;
		}
		rec_close(p, (uint8_t)(wanted ? REC_FOLD | rr.section << 1 : REC_SKIP),
		          (uint32_t)klen);
	}
	return rc < 0 ? rc : zone;
}

/* Applies the bailiwick to authority/additional records, then hashes and
 * prefetches what will be folded. */
static void dnsobs_prepare(struct dnsobs *o, struct pending *p, long zone)
{
	const uint8_t *zname = NULL;
	size_t zlen = 0;
	if (zone > 0) {
		const uint8_t *zkey = p->buf + zone - 1 + REC_HDR;
		zname = zkey + PD_OBS_KEY_HDR;
		zlen = zkey[3];
	}
	for (size_t off = 0; off < p->used;) {
		uint8_t *rec = p->buf + off;
		uint32_t klen = rec_klen(rec);
		const uint8_t *key = rec + REC_HDR;
		off += REC_HDR + klen;
		if (rec[0] == REC_SKIP)
			continue;
		unsigned section = rec[0] >> 1;
		if (section > PD_SEC_ANSWER &&
		    (!zname || !pd_dns_name_is_sub(key + PD_OBS_KEY_HDR, key[3], zname, zlen))) {
			STAT_INC(o->st, rrs_out_of_bailiwick);
			rec[0] = REC_SKIP;
			continue;
		}
		rec[0] = REC_FOLD;
		if (!(key[0] & PD_OBS_NXDOMAIN))
			STAT_INC(o->st, rrs_folded);
		uint64_t h = fold_hash(o->fold, key, klen);
		memcpy(rec + 5, &h, 8);
		fold_prefetch(o->fold, h);
	}
}

/* Header checks that need no parsing; returns the rcode to record, or -1. */
static int dnsobs_classify(struct dnsobs *o, const struct pd_dns_hdr *h)
{
	if (!(h->flags & PD_DNS_QR)) {
		STAT_INC(o->st, dns_queries);
		return -1;
	}
	STAT_INC(o->st, dns_responses);
	if (PD_DNS_OPCODE(h->flags) != 0) {
		STAT_INC(o->st, responses_not_query_opcode);
		return -1;
	}
	if (h->flags & PD_DNS_TC) {
		STAT_INC(o->st, responses_truncated);
		return -1;
	}
	unsigned rcode = PD_DNS_RCODE(h->flags);
	if (rcode != PD_RCODE_NOERROR && rcode != PD_RCODE_NXDOMAIN) {
		STAT_INC(o->st, responses_error);
		return -1;
	}
	return (int)rcode;
}

void dnsobs_message(struct dnsobs *o, const uint8_t *msg, size_t len, int64_t ts_s)
{
	struct pd_dns_msg m;
	if (pd_dns_parse_header(&m.hdr, msg, len) < 0) {
		STAT_INC(o->st, malformed_dns_short);
		return;
	}
	int rcode = dnsobs_classify(o, &m.hdr);
	if (rcode < 0)
		return;
	int rc = pd_dns_parse(&m, msg, len);
	if (rc < 0) {
		dnsobs_malformed(o, rc);
		return;
	}
	struct pending *p = &o->p[o->cur];
	p->used = 0;
	long zone = 0;
	if (rcode == PD_RCODE_NXDOMAIN) {
		rc = dnsobs_negative(p, &m);
	} else {
		zone = dnsobs_collect(o, p, &m);
		rc = zone < 0 ? (int)zone : 0;
	}
	if (rc < 0) {
		dnsobs_malformed(o, rc);
		return;
	}
	if (rcode == PD_RCODE_NXDOMAIN)
		STAT_INC(o->st, responses_nxdomain);
	else
		STAT_INC(o->st, responses_noerror);
	if (++o->stamp == 0)
		o->stamp = 1;
	p->stamp = o->stamp;
	p->ts_s = ts_s;
	dnsobs_prepare(o, p, zone);
	/* Fold the previous message now that this one's slots are on their way. */
	struct pending *prev = &o->p[o->cur ^ 1];
	if (prev->live)
		dnsobs_commit(o, prev);
	p->live = 1;
	o->cur ^= 1;
}

int dnsobs_parse_sections(const char *text, unsigned *out)
{
	unsigned bits = 0;
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, ",");
		if (n == 6 && strncmp(p, "answer", n) == 0)
			bits |= DNSOBS_ANSWER;
		else if (n == 9 && strncmp(p, "authority", n) == 0)
			bits |= DNSOBS_AUTHORITY;
		else if (n == 10 && strncmp(p, "additional", n) == 0)
			bits |= DNSOBS_ADDITIONAL;
		else
			return PD_ECONFIG;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!bits)
		return PD_ECONFIG;
	*out = bits;
	return 0;
}
