/*
 * pd_dns: DNS message parsing (RFC 1035), bounds-checked and allocation-free.
 *
 * The parser reads a borrowed message and fills caller-owned structures.
 * Names come out in canonical form: uncompressed wire format, ASCII letters
 * lower-cased, at most PD_DNS_NAME_MAX octets including the root label.
 * Compression pointers must point strictly backwards, which makes pointer
 * loops impossible; a pointer that does not is rejected as PD_ELOOP.
 * Rejections: PD_ETRUNC (runs past the message), PD_ELOOP, PD_ENAME (name
 * over 255 octets), PD_ELABEL (label over 63 or a reserved label type),
 * PD_EMALF (other structural errors). Thread-safe: no shared state.
 */
#ifndef PD_DNS_H
#define PD_DNS_H

#include <stddef.h>
#include <stdint.h>

#define PD_DNS_NAME_MAX 255
#define PD_DNS_HDR_LEN 12

/* Header flag bits (host order of the 16-bit flags word). */
#define PD_DNS_QR 0x8000u
#define PD_DNS_TC 0x0200u
#define PD_DNS_RCODE(flags) ((flags) & 0x000fu)
#define PD_DNS_OPCODE(flags) (((flags) >> 11) & 0x0fu)

enum pd_dns_rcode { PD_RCODE_NOERROR = 0, PD_RCODE_FORMERR = 1, PD_RCODE_SERVFAIL = 2,
	PD_RCODE_NXDOMAIN = 3, PD_RCODE_NOTIMP = 4, PD_RCODE_REFUSED = 5 };

enum pd_dns_section { PD_SEC_ANSWER = 1, PD_SEC_AUTHORITY = 2, PD_SEC_ADDITIONAL = 3 };

struct pd_dns_hdr {
	uint16_t id, flags, qdcount, ancount, nscount, arcount;
};

/* A parsed message: header, first question, and a cursor over the RRs. */
struct pd_dns_msg {
	const uint8_t *wire;
	size_t len;
	struct pd_dns_hdr hdr;
	uint8_t qname[PD_DNS_NAME_MAX];
	uint8_t qname_len; /* 0 when qdcount == 0 */
	uint16_t qtype, qclass;
	size_t pos;        /* next RR's offset */
	unsigned rr_index; /* RRs read so far (answer, authority, additional) */
};

/* One resource record; rdata is left in place (offset into the message). */
struct pd_dns_rr {
	uint8_t owner[PD_DNS_NAME_MAX];
	uint8_t owner_len;
	uint8_t section; /* enum pd_dns_section */
	uint16_t type, rclass;
	uint32_t ttl;
	uint16_t rdlen;
	size_t rdata_off;
};

/*
 * Reads the name at *pos of msg[0..len) into out (PD_DNS_NAME_MAX bytes) in
 * canonical form and advances *pos past the name as it is written in place.
 * Returns the canonical length (>= 1) or a negative PD_E* code.
 */
int pd_dns_name_unpack(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out);

/* Like pd_dns_name_unpack but only skips the name (no copy). */
int pd_dns_name_skip(const uint8_t *msg, size_t len, size_t *pos);

/*
 * Parses the header and the first question (further questions are skipped;
 * qdcount > 1 is legal but unused in practice). Returns 0 or PD_E*.
 * With header_only the question is not parsed (pos stays at 12): used to
 * classify queries cheaply.
 */
int pd_dns_parse(struct pd_dns_msg *m, const uint8_t *wire, size_t len);
int pd_dns_parse_header(struct pd_dns_hdr *h, const uint8_t *wire, size_t len);

/*
 * Reads the next RR of the answer, authority or additional section.
 * Returns 1 with *rr filled, 0 at the end, or a negative PD_E* code (the
 * rest of the message must then be ignored).
 */
int pd_dns_next_rr(struct pd_dns_msg *m, struct pd_dns_rr *rr);

/* 1 when name a equals or is below name b (both canonical). */
int pd_dns_name_is_sub(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);

/*
 * Converts a canonical name from presentation text ("www.example.com",
 * trailing dot optional, "\." and "\DDD" escapes, "." for the root) to
 * canonical wire form. Returns the wire length or a negative PD_E* code.
 */
int pd_dns_name_from_text(const char *text, size_t tlen, uint8_t *out);

#endif
