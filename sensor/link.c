#include "link.h"

#include <pcap/dlt.h>
#include <string.h>

#include "pd_wire.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
#define ETH_PPPOE_SESSION 0x8864
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define LINK_MAX_TAGS 8

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_NFLOG
#define DLT_NFLOG 239
#endif
#define NFULA_PAYLOAD 9
#ifndef DLT_PPP_WITH_DIR
#define DLT_PPP_WITH_DIR 204
#endif

int link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_RAW:
	case DLT_IPV4: case DLT_IPV6: case DLT_NULL: case DLT_LOOP:
	case DLT_PPP: case DLT_PPP_SERIAL: case DLT_PPP_WITH_DIR: case DLT_C_HDLC:
	case DLT_NFLOG:
		return 1;
	default:
		return 0;
	}
}

static int link_ppp(const uint8_t *p, size_t caplen, size_t off, const uint8_t **l3,
                    size_t *l3len);

/* Walks VLAN tags from an ethertype at p[off-2..off). */
static int link_ethertype(const uint8_t *p, size_t caplen, size_t off, uint16_t type,
                          const uint8_t **l3, size_t *l3len)
{
	for (int tags = 0; type == ETH_VLAN || type == ETH_QINQ || type == ETH_QINQ_OLD; tags++) {
		if (tags == LINK_MAX_TAGS || caplen - off < 4)
			return LINK_MALFORMED;
		type = pd_be16(p + off + 2);
		off += 4;
	}
	if (type == ETH_PPPOE_SESSION) {
		if (caplen - off < 6)
			return LINK_MALFORMED;
		return link_ppp(p, caplen, off + 6, l3, l3len);
	}
	if (type != ETH_IPV4 && type != ETH_IPV6)
		return LINK_OTHER;
	*l3 = p + off;
	*l3len = caplen - off;
	return type == ETH_IPV4 ? LINK_IPV4 : LINK_IPV6;
}

static int link_by_version(const uint8_t *p, size_t caplen, size_t off,
                           const uint8_t **l3, size_t *l3len)
{
	if (caplen <= off)
		return LINK_MALFORMED;
	*l3 = p + off;
	*l3len = caplen - off;
	switch (p[off] >> 4) {
	case 4: return LINK_IPV4;
	case 6: return LINK_IPV6;
	default: return LINK_OTHER;
	}
}

/* PPP (RFC 1661/1662): optional address and control bytes ff 03, then a
 * protocol field of one byte (when compressed, odd) or two. */
static int link_ppp(const uint8_t *p, size_t caplen, size_t off, const uint8_t **l3,
                    size_t *l3len)
{
	if (caplen - off >= 2 && p[off] == 0xff && p[off + 1] == 0x03)
		off += 2;
	if (caplen <= off)
		return LINK_MALFORMED;
	uint16_t proto;
	if (p[off] & 1) {
		proto = p[off];
		off += 1;
	} else {
		if (caplen - off < 2)
			return LINK_MALFORMED;
		proto = pd_be16(p + off);
		off += 2;
	}
	if (proto != PPP_IPV4 && proto != PPP_IPV6)
		return LINK_OTHER;
	*l3 = p + off;
	*l3len = caplen - off;
	return proto == PPP_IPV4 ? LINK_IPV4 : LINK_IPV6;
}

/*
 * Linux NFLOG: a 4-byte header (address family, version, resource id) then
 * TLVs whose length and type are in host byte order (libpcap swaps them
 * when a file comes from a host of the other order). The packet is the
 * NFULA_PAYLOAD TLV.
 */
static int link_nflog(const uint8_t *p, size_t caplen, const uint8_t **l3, size_t *l3len)
{
	if (caplen < 4)
		return LINK_MALFORMED;
	uint8_t family = p[0];
	for (size_t off = 4; caplen - off >= 4;) {
		uint16_t tlen, type;
		memcpy(&tlen, p + off, 2);
		memcpy(&type, p + off + 2, 2);
		if (tlen < 4 || tlen > caplen - off)
			return LINK_MALFORMED;
		if (type == NFULA_PAYLOAD) {
			*l3 = p + off + 4;
			*l3len = tlen - 4u;
			return family == 2 ? LINK_IPV4 : family == 10 ? LINK_IPV6 : LINK_OTHER;
		}
		off += ((size_t)tlen + 3) & ~(size_t)3;
		if (off > caplen)
			break;
	}
	return LINK_OTHER;
}

/* BSD address families: IPv4 is 2 everywhere, IPv6 is 24, 28 or 30. */
static int link_bsd_af(uint32_t af)
{
	if (af == 2)
		return LINK_IPV4;
	if (af == 24 || af == 28 || af == 30)
		return LINK_IPV6;
	return LINK_OTHER;
}

int link_decode(int dlt, const uint8_t *p, size_t caplen, const uint8_t **l3, size_t *l3len)
{
	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return LINK_MALFORMED;
		return link_ethertype(p, caplen, 14, pd_be16(p + 12), l3, l3len);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return LINK_MALFORMED;
		return link_ethertype(p, caplen, 16, pd_be16(p + 14), l3, l3len);
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return LINK_MALFORMED;
		return link_ethertype(p, caplen, 20, pd_be16(p), l3, l3len);
	case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
		return link_by_version(p, caplen, 0, l3, l3len);
	case DLT_PPP: case DLT_PPP_SERIAL:
		return link_ppp(p, caplen, 0, l3, l3len);
	case DLT_NFLOG:
		return link_nflog(p, caplen, l3, l3len);
	case DLT_PPP_WITH_DIR:
		if (caplen < 1)
			return LINK_MALFORMED;
		return link_ppp(p, caplen, 1, l3, l3len);
	case DLT_C_HDLC:
		/* Cisco HDLC: address, control, then an ethertype. */
		if (caplen < 4)
			return LINK_MALFORMED;
		return link_ethertype(p, caplen, 4, pd_be16(p + 2), l3, l3len);
	case DLT_NULL: case DLT_LOOP: {
		if (caplen < 4)
			return LINK_MALFORMED;
		/* DLT_NULL is in the capturing host's order: accept both. */
		uint32_t be = pd_be32(p);
		uint32_t le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
		int r = link_bsd_af(be);
		if (r == LINK_OTHER && dlt == DLT_NULL)
			r = link_bsd_af(le);
		if (r == LINK_OTHER)
			return LINK_OTHER;
		*l3 = p + 4;
		*l3len = caplen - 4;
		return r;
	}
	default:
		return LINK_UNSUPPORTED;
	}
}
