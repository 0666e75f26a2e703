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

/* Scratch record: [section u8][klen u32 native][key bytes] */
#define REC_HDR 5

struct dnsobs {
	struct fold *fold;
	unsigned sections;
	struct sensor_stats *st;
	dnsobs_full_fn full;
	void *ctx;
	uint32_t stamp;
	uint8_t *scratch;
};

struct dnsobs *dnsobs_new(struct fold *fold, unsigned sections, struct sensor_stats *st,
                          dnsobs_full_fn full, void *ctx)
{
	struct dnsobs *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->scratch = malloc(DNSOBS_SCRATCH);
	if (!o->scratch) {
		free(o);
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
	free(o->scratch);
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

static void dnsobs_fold(struct dnsobs *o, const uint8_t *key, size_t klen, int64_t ts_s)
{
	if (fold_add(o->fold, key, klen, ts_s, o->stamp) == 0)
		return;
	STAT_INC(o->st, fold_early_flushes);
	o->full(o->ctx);
	(void)fold_add(o->fold, key, klen, ts_s, o->stamp); /* empty window: fits */
}

static void dnsobs_negative(struct dnsobs *o, const struct pd_dns_msg *m, int64_t ts_s)
{
	uint8_t key[PD_OBS_KEY_HDR + PD_DNS_NAME_MAX];
	struct pd_obs ob = { .name = m->qname, .name_len = m->qname_len, .type = m->qtype,
		.flags = PD_OBS_NXDOMAIN };
	if (m->qname_len == 0)
		return;
	int klen = pd_obs_key_pack(&ob, key, sizeof(key));
	if (klen > 0)
		dnsobs_fold(o, key, (size_t)klen, ts_s);
}

/* Pass 1: parses and canonicalizes every needed RR into the scratch area.
 * Returns the bytes used, or a negative PD_E* code. */
static long dnsobs_collect(struct dnsobs *o, struct pd_dns_msg *m, size_t *zone_off)
{
	unsigned last = o->sections & DNSOBS_ADDITIONAL ? PD_SEC_ADDITIONAL
	              : o->sections & DNSOBS_AUTHORITY ? PD_SEC_AUTHORITY : PD_SEC_ANSWER;
	struct pd_dns_rr rr;
	size_t used = 0, zone_len = 0;
	int rc;

	*zone_off = 0;
	while ((rc = pd_dns_next_rr(m, &rr)) == 1) {
		if (rr.section > last)
			break;
		if (!(o->sections & (1u << (rr.section - 1))) && rr.section != PD_SEC_AUTHORITY)
			continue;
		if (rr.type == PD_T_OPT || rr.type == PD_T_TSIG || rr.type == PD_T_TKEY) {
			STAT_INC(o->st, rrs_skipped_pseudo);
			continue;
		}
		if (rr.rclass != 1) {
			STAT_INC(o->st, rrs_skipped_class);
			continue;
		}
		uint8_t *rec = o->scratch + used;
		size_t room = DNSOBS_SCRATCH - used;
		if (room < (size_t)REC_HDR + PD_OBS_KEY_HDR + rr.owner_len)
			return PD_ELIMIT;
		uint8_t *key = rec + REC_HDR;
		uint8_t *rd = key + PD_OBS_KEY_HDR + rr.owner_len;
		size_t rdcap = room - REC_HDR - PD_OBS_KEY_HDR - rr.owner_len;
		if (rdcap > 65535)
			rdcap = 65535;
		rc = pd_rr_canon(rr.type, m->wire, m->len, rr.rdata_off, rr.rdlen, rd, rdcap);
		if (rc < 0)
			return rc == PD_ESPACE ? PD_ELIMIT : rc;
		key[0] = 0;
		pd_put_be16(key + 1, rr.type);
		key[3] = rr.owner_len;
		pd_put_be16(key + 4, (uint16_t)rc);
		pd_copy_small(key + PD_OBS_KEY_HDR, rr.owner, rr.owner_len);
		uint32_t klen = (uint32_t)(PD_OBS_KEY_HDR + rr.owner_len + (size_t)rc);
		rec[0] = rr.section;
		memcpy(rec + 1, &klen, 4);
		/* The bailiwick: the deepest NS/SOA owner at or above the qname. */
		if (rr.section == PD_SEC_AUTHORITY && (rr.type == PD_T_NS || rr.type == PD_T_SOA) &&
		    rr.owner_len > zone_len &&
		    pd_dns_name_is_sub(m->qname, m->qname_len, rr.owner, rr.owner_len)) {
			zone_len = rr.owner_len;
			*zone_off = used + REC_HDR + PD_OBS_KEY_HDR;
		}
		used += REC_HDR + klen;
	}
	return rc < 0 ? rc : (long)used;
}

/* Pass 2: folds the accepted records. */
static void dnsobs_commit(struct dnsobs *o, size_t used, size_t zone_off, int64_t ts_s)
{
	const uint8_t *zone = zone_off ? o->scratch + zone_off : NULL;
	size_t zone_len = zone ? zone[-PD_OBS_KEY_HDR + 3] : 0;

	for (size_t off = 0; off < used;) {
		const uint8_t *rec = o->scratch + off;
		uint32_t klen;
		memcpy(&klen, rec + 1, 4);
		const uint8_t *key = rec + REC_HDR;
		off += REC_HDR + klen;
		if (!(o->sections & (1u << (rec[0] - 1))))
			continue; /* authority read only to find the bailiwick */
		if (rec[0] != PD_SEC_ANSWER &&
		    (!zone || !pd_dns_name_is_sub(key + PD_OBS_KEY_HDR, key[3], zone, zone_len))) {
			STAT_INC(o->st, rrs_out_of_bailiwick);
			continue;
		}
		STAT_INC(o->st, rrs_folded);
		dnsobs_fold(o, key, klen, ts_s);
	}
}

void dnsobs_message(struct dnsobs *o, const uint8_t *msg, size_t len, int64_t ts_s)
{
	struct pd_dns_msg m;
	int rc = pd_dns_parse_header(&m.hdr, msg, len);
	if (rc < 0) {
		STAT_INC(o->st, malformed_dns_short);
		return;
	}
	if (!(m.hdr.flags & PD_DNS_QR)) {
		STAT_INC(o->st, dns_queries);
		return;
	}
	STAT_INC(o->st, dns_responses);
	if (PD_DNS_OPCODE(m.hdr.flags) != 0) {
		STAT_INC(o->st, responses_not_query_opcode);
		return;
	}
	if (m.hdr.flags & PD_DNS_TC) {
		STAT_INC(o->st, responses_truncated);
		return;
	}
	unsigned rcode = PD_DNS_RCODE(m.hdr.flags);
	if (rcode != PD_RCODE_NOERROR && rcode != PD_RCODE_NXDOMAIN) {
		STAT_INC(o->st, responses_error);
		return;
	}
	rc = pd_dns_parse(&m, msg, len);
	if (rc < 0) {
		dnsobs_malformed(o, rc);
		return;
	}
	if (++o->stamp == 0)
		o->stamp = 1;
	if (rcode == PD_RCODE_NXDOMAIN) {
		STAT_INC(o->st, responses_nxdomain);
		dnsobs_negative(o, &m, ts_s);
		return;
	}
	size_t zone_off;
	long used = dnsobs_collect(o, &m, &zone_off);
	if (used < 0) {
		dnsobs_malformed(o, (int)used);
		return;
	}
	STAT_INC(o->st, responses_noerror);
	dnsobs_commit(o, (size_t)used, zone_off, ts_s);
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
