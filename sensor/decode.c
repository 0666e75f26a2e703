#include "decode.h"

#include <stdlib.h>
#include <string.h>

#include "ipreasm.h"
#include "link.h"
#include "pd_wire.h"
#include "tcpreasm.h"

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_AH_ 51
#define IPPROTO_DSTOPTS_ 60
#define IP6_MAX_EXT 16

struct decode {
	int dlt;
	uint8_t port_bits[65536 / 8];
	struct ipreasm *frag;
	struct tcpreasm *tcp;
	struct dnsobs *obs;
	struct sensor_stats *st;
	int64_t now_s;
};

/* The network layer's view of one packet, enough for the transport. */
struct l3 {
	uint8_t family;
	uint8_t src[16], dst[16];
};

static void decode_tcp_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct decode *d = ctx;
	dnsobs_message(d->obs, msg, len, d->now_s);
}

struct decode *decode_new(int dlt, const uint16_t *ports, size_t nports,
                          const struct decode_limits *lim, uint64_t seed,
                          struct dnsobs *obs, struct sensor_stats *st)
{
	struct decode *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->dlt = dlt;
	d->obs = obs;
	d->st = st;
	for (size_t i = 0; i < nports; i++)
		d->port_bits[ports[i] >> 3] |= (uint8_t)(1u << (ports[i] & 7));
	d->frag = ipreasm_new(lim->frag_datagrams, lim->frag_bytes, lim->frag_timeout_s, seed, st);
	d->tcp = tcpreasm_new(lim->tcp_streams, lim->tcp_bytes, lim->tcp_timeout_s, seed ^ 1,
	                      st, decode_tcp_msg, d);
	if (!d->frag || !d->tcp) {
		decode_free(d);
		return NULL;
	}
	return d;
}

void decode_free(struct decode *d)
{
	if (!d)
		return;
	ipreasm_free(d->frag);
	tcpreasm_free(d->tcp);
	free(d);
}

void decode_expire(struct decode *d, int64_t now_s)
{
	ipreasm_expire(d->frag, now_s);
	tcpreasm_expire(d->tcp, now_s);
}

static int decode_is_dns_port(const struct decode *d, uint16_t port)
{
	return d->port_bits[port >> 3] & (1u << (port & 7));
}

static void decode_udp(struct decode *d, const uint8_t *p, size_t len)
{
	if (len < 8) {
		STAT_INC(d->st, malformed_udp);
		return;
	}
	uint16_t sport = pd_be16(p), dport = pd_be16(p + 2), ulen = pd_be16(p + 4);
	if (ulen < 8 || ulen > len) {
		STAT_INC(d->st, malformed_udp);
		return;
	}
	if (!decode_is_dns_port(d, sport) && !decode_is_dns_port(d, dport)) {
		STAT_INC(d->st, packets_not_dns);
		return;
	}
	dnsobs_message(d->obs, p + 8, (size_t)ulen - 8, d->now_s);
}

static void decode_tcp(struct decode *d, const struct l3 *ip, const uint8_t *p, size_t len)
{
	if (len < 20 || (size_t)(p[12] >> 4) * 4 < 20 || (size_t)(p[12] >> 4) * 4 > len) {
		STAT_INC(d->st, malformed_tcp);
		return;
	}
	struct tcp_key k;
	memset(&k, 0, sizeof(k));
	k.sport = pd_be16(p);
	k.dport = pd_be16(p + 2);
	if (!decode_is_dns_port(d, k.sport) && !decode_is_dns_port(d, k.dport)) {
		STAT_INC(d->st, packets_not_dns);
		return;
	}
	size_t hlen = (size_t)(p[12] >> 4) * 4;
	k.family = ip->family;
	memcpy(k.src, ip->src, 16);
	memcpy(k.dst, ip->dst, 16);
	tcpreasm_segment(d->tcp, &k, pd_be32(p + 4), p[13] & (TCP_FIN | TCP_SYN | TCP_RST),
	                 p + hlen, len - hlen, d->now_s);
}

static void decode_transport(struct decode *d, const struct l3 *ip, uint8_t proto,
                             const uint8_t *p, size_t len)
{
	if (proto == IPPROTO_UDP_)
		decode_udp(d, p, len);
	else if (proto == IPPROTO_TCP_)
		decode_tcp(d, ip, p, len);
	else
		STAT_INC(d->st, packets_not_dns);
}

static void decode_fragment(struct decode *d, struct l3 *ip, const struct frag_key *k,
                            const struct frag *f);

/* Walks IPv6 extension headers from next header nh over p[0..len). */
static void decode_ip6_payload(struct decode *d, struct l3 *ip, uint8_t nh, const uint8_t *p,
                               size_t len, int reassembled)
{
	for (int n = 0; n < IP6_MAX_EXT; n++) {
		size_t hl;
		switch (nh) {
		case IPPROTO_HOPOPTS_: case IPPROTO_ROUTING_: case IPPROTO_DSTOPTS_:
			if (len < 8 || (hl = ((size_t)p[1] + 1) * 8) > len)
				goto malformed;
			break;
		case IPPROTO_AH_:
			if (len < 8 || (hl = ((size_t)p[1] + 2) * 4) > len)
				goto malformed;
			break;
		case IPPROTO_FRAGMENT_: {
			if (len < 8 || reassembled)
				goto malformed;
			struct frag_key k;
			memset(&k, 0, sizeof(k));
			memcpy(k.src, ip->src, 16);
			memcpy(k.dst, ip->dst, 16);
			k.family = 6;
			k.id = pd_be32(p + 4);
			uint16_t offm = pd_be16(p + 2);
			struct frag f = { .off = offm & 0xfff8u, .len = (uint32_t)(len - 8),
				.more = offm & 1, .proto = p[0], .data = p + 8 };
			if (f.off == 0 && !f.more) { /* atomic fragment (RFC 6946) */
				nh = p[0];
				p += 8;
				len -= 8;
				continue;
			}
			decode_fragment(d, ip, &k, &f);
			return;
		}
		default:
			decode_transport(d, ip, nh, p, len);
			return;
		}
		nh = p[0];
		p += hl;
		len -= hl;
	}
malformed:
	STAT_INC(d->st, malformed_ip);
}

static void decode_fragment(struct decode *d, struct l3 *ip, const struct frag_key *k,
                            const struct frag *f)
{
	const uint8_t *data;
	size_t dlen;
	uint8_t proto;
	if (ipreasm_add(d->frag, k, f, d->now_s, &data, &dlen, &proto) != 1)
		return;
	if (ip->family == 6)
		decode_ip6_payload(d, ip, proto, data, dlen, 1);
	else
		decode_transport(d, ip, proto, data, dlen);
}

static void decode_ip4(struct decode *d, const uint8_t *p, size_t len)
{
	if (len < 20 || (p[0] >> 4) != 4) {
		STAT_INC(d->st, malformed_ip);
		return;
	}
	size_t hl = (size_t)(p[0] & 0x0f) * 4, tot = pd_be16(p + 2);
	if (hl < 20 || tot < hl || tot > len) {
		STAT_INC(d->st, malformed_ip);
		return;
	}
	struct l3 ip;
	memset(&ip, 0, sizeof(ip));
	ip.family = 4;
	memcpy(ip.src, p + 12, 4);
	memcpy(ip.dst, p + 16, 4);
	uint16_t fl = pd_be16(p + 6);
	uint8_t proto = p[9];
	if (fl & 0x3fffu) { /* MF set or a non-zero offset */
		struct frag_key k;
		memset(&k, 0, sizeof(k));
		memcpy(k.src, ip.src, 4);
		memcpy(k.dst, ip.dst, 4);
		k.id = pd_be16(p + 4);
		k.family = 4;
		k.proto = proto;
		struct frag f = { .off = (uint32_t)(fl & 0x1fffu) * 8, .len = (uint32_t)(tot - hl),
			.more = (fl & 0x2000u) != 0, .proto = proto, .data = p + hl };
		decode_fragment(d, &ip, &k, &f);
		return;
	}
	decode_transport(d, &ip, proto, p + hl, tot - hl);
}

static void decode_ip6(struct decode *d, const uint8_t *p, size_t len)
{
	if (len < 40 || (p[0] >> 4) != 6) {
		STAT_INC(d->st, malformed_ip);
		return;
	}
	size_t plen = pd_be16(p + 4);
	if (plen == 0 || plen > len - 40) { /* 0: jumbogram, not DNS */
		STAT_INC(d->st, malformed_ip);
		return;
	}
	struct l3 ip;
	ip.family = 6;
	memcpy(ip.src, p + 8, 16);
	memcpy(ip.dst, p + 24, 16);
	decode_ip6_payload(d, &ip, p[6], p + 40, plen, 0);
}

void decode_frame(struct decode *d, const uint8_t *frame, size_t caplen, size_t wirelen,
                  int64_t ts_s)
{
	const uint8_t *l3;
	size_t l3len;

	STAT_INC(d->st, packets_seen);
	d->now_s = ts_s;
	if (caplen < wirelen) {
		STAT_INC(d->st, packets_short_capture);
		return;
	}
	switch (link_decode(d->dlt, frame, caplen, &l3, &l3len)) {
	case LINK_IPV4:
		decode_ip4(d, l3, l3len);
		break;
	case LINK_IPV6:
		decode_ip6(d, l3, l3len);
		break;
	case LINK_OTHER:
		STAT_INC(d->st, packets_not_ip);
		break;
	default:
		STAT_INC(d->st, malformed_link);
		break;
	}
}
