#include "link.h"

#include <pcap/dlt.h>

#include "pd_wire.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100
#define ETH_QINQ 0x88a8
#define ETH_QINQ_OLD 0x9100
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

int link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2: case DLT_RAW:
	case DLT_IPV4: case DLT_IPV6: case DLT_NULL: case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

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
