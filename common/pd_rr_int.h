/*
 * pd_rr_int: internals shared by pd_rr.c (type table, canonicalization) and
 * pd_rr_fmt.c (presentation). Not for use outside those two files.
 *
 * Both files walk rdata with the same shape descriptors, so the set of
 * rdata that canonicalization accepts is exactly the set that presentation
 * can print. The validators take a byte range that holds no compressed
 * names and return 0 or PD_EMALF.
 */
#ifndef PD_RR_INT_H
#define PD_RR_INT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Shape of a type's rdata, one character per field, in wire order:
 *   '1' '2' '4'  unsigned integer of that many octets
 *   't'          RR type (2 octets, printed as mnemonic)
 *   'T'          time (4 octets, printed YYYYMMDDHHMMSS UTC)
 *   'a' '6'      IPv4 (4 octets), IPv6 (16 octets)
 *   'n'          domain name (compressible on the wire)
 *   's'          character-string (length octet + data)
 *   'S'          length octet + salt (hex, '-' when empty)
 *   'H'          length octet (1..255) + hash (base32hex)
 *   'g'          CAA tag: length octet (>= 1) + ASCII letters and digits
 *   'x' 'b' 'q'  the rest of the rdata as hex, base64, quoted string
 *   'm'          the rest: a type bitmap (NSEC, NSEC3)
 *   'v'          the rest: SVCB parameters
 *   'z'          the rest: one or more character-strings (TXT)
 * Rest fields come last. NULL: the type has no presentation row and its
 * rdata is opaque (copied verbatim, printed as RFC 3597 "\# LEN HEX").
 */
const char *pd_rr_shape(uint16_t type);

/* One or more character-strings filling p[0..n) exactly. */
int pd_rr_check_strings(const uint8_t *p, size_t n);

/* A CAA tag field (length octet included) at the start of p[0..n):
 * returns its total length or PD_EMALF. */
int pd_rr_check_tag(const uint8_t *p, size_t n);

/* RFC 4034 4.1.2 type bitmap filling p[0..n) exactly (may be empty). */
int pd_rr_check_bitmap(const uint8_t *p, size_t n);

/* RFC 9460 SvcParams filling p[0..n) exactly. */
int pd_rr_check_svc(const uint8_t *p, size_t n);

/* SvcParamKey numbers with a value format of their own (RFC 9460 7). */
enum {
	PD_SVC_MANDATORY = 0, PD_SVC_ALPN = 1, PD_SVC_NO_DEFAULT_ALPN = 2,
	PD_SVC_PORT = 3, PD_SVC_IPV4HINT = 4, PD_SVC_ECH = 5, PD_SVC_IPV6HINT = 6,
};

#endif
