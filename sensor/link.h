/*
 * link: strips the link-layer header of a captured frame and finds the IP
 * packet inside. Supports Ethernet with any stack of 802.1Q / 802.1ad (QinQ)
 * tags and PPPoE sessions, Linux cooked capture v1 and v2, raw IP (DLT_RAW,
 * DLT_IPV4, DLT_IPV6), BSD loopback (DLT_NULL in either byte order,
 * DLT_LOOP), PPP (plain, HDLC-framed, with direction), Cisco HDLC and
 * Linux NFLOG (-i nflog:GROUP).
 */
#ifndef SENSOR_LINK_H
#define SENSOR_LINK_H

#include <stddef.h>
#include <stdint.h>

enum link_result { LINK_IPV4 = 4, LINK_IPV6 = 6, LINK_OTHER = 0, LINK_MALFORMED = -1,
	LINK_UNSUPPORTED = -2 };

/* 1 when the sensor can decode frames of this DLT. */
int link_supported(int dlt);

/*
 * Finds the IP packet in frame[0..caplen). Returns LINK_IPV4 or LINK_IPV6
 * with *l3 and *l3len set, LINK_OTHER for non-IP frames, LINK_MALFORMED for
 * a frame shorter than its headers.
 */
int link_decode(int dlt, const uint8_t *frame, size_t caplen, const uint8_t **l3, size_t *l3len);

#endif
