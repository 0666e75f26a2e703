#include "pd_dns.h"

#include <string.h>

#include "pd_err.h"
#include "pd_wire.h"

static inline uint8_t pd_lower(uint8_t c)
{
	return (uint8_t)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
}

/*
 * Lower-cases A-Z in place, eight bytes at a time. Safe on a whole wire
 * name: length octets are at most 63, below 'A'.
 */
static void pd_lower_run(uint8_t *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		memcpy(&x, p + i, 8);
		uint64_t low7 = x & ~high;
		uint64_t ge_a = low7 + ones * (0x80 - 'A');     /* high bit: byte >= 'A' */
		uint64_t gt_z = low7 + ones * (0x80 - 'Z' - 1); /* high bit: byte > 'Z' */
		uint64_t upper = (ge_a ^ gt_z) & ~x & high;
		x |= upper >> 2;
		memcpy(p + i, &x, 8);
	}
	for (; i < n; i++)
		p[i] = pd_lower(p[i]);
}

/*
 * Walks a name. Each pointer must point before the start of the run of
 * labels it ends, so every jump strictly moves backwards and the walk ends.
 */
static int pd_dns_name_walk(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out)
{
	size_t p = *pos, run_start = *pos, after = 0, olen = 0;
	int jumped = 0;

	for (;;) {
		/* A run of plain labels is only measured here and copied in one
		 * go below: most names are one run ending in the root or in a
		 * pointer. */
		size_t q = p, base = olen;
		uint8_t c;
		while (q < len && (c = msg[q]) != 0 && c <= 63) {
			if (q + 1 + c > len)
				return PD_ETRUNC;
			if (olen + 1 + c + 1 > PD_DNS_NAME_MAX)
				return PD_ENAME;
			olen += 1u + c;
			q += 1u + c;
		}
		if (q >= len)
			return PD_ETRUNC;
		if (out && q > p)
			memcpy(out + base, msg + p, q - p);
		c = msg[q];
		if (c == 0) {
			if (olen + 1 > PD_DNS_NAME_MAX)
				return PD_ENAME;
			if (out) {
				out[olen] = 0;
				pd_lower_run(out, olen);
			}
			olen++;
			*pos = jumped ? after : q + 1;
			return (int)olen;
		}
		if ((c & 0xc0) != 0xc0)
			return PD_ELABEL;
		if (q + 1 >= len)
			return PD_ETRUNC;
		size_t target = (size_t)(c & 0x3f) << 8 | msg[q + 1];
		if (target >= run_start || target < PD_DNS_HDR_LEN)
			return PD_ELOOP;
		if (!jumped) {
			after = q + 2;
			jumped = 1;
		}
		p = run_start = target;
	}
}

int pd_dns_name_unpack(const uint8_t *msg, size_t len, size_t *pos, uint8_t *out)
{
	return pd_dns_name_walk(msg, len, pos, out);
}

int pd_dns_name_skip(const uint8_t *msg, size_t len, size_t *pos)
{
	return pd_dns_name_walk(msg, len, pos, NULL);
}

int pd_dns_parse_header(struct pd_dns_hdr *h, const uint8_t *wire, size_t len)
{
	if (len < PD_DNS_HDR_LEN)
		return PD_ETRUNC;
	h->id = pd_be16(wire);
	h->flags = pd_be16(wire + 2);
	h->qdcount = pd_be16(wire + 4);
	h->ancount = pd_be16(wire + 6);
	h->nscount = pd_be16(wire + 8);
	h->arcount = pd_be16(wire + 10);
	return 0;
}

int pd_dns_parse(struct pd_dns_msg *m, const uint8_t *wire, size_t len)
{
	int rc = pd_dns_parse_header(&m->hdr, wire, len);
	if (rc < 0)
		return rc;
	m->wire = wire;
	m->len = len;
	m->pos = PD_DNS_HDR_LEN;
	m->rr_index = 0;
	m->qname_len = 0;
	m->qtype = m->qclass = 0;
	for (unsigned i = 0; i < m->hdr.qdcount; i++) {
		if (i == 0) {
			rc = pd_dns_name_unpack(wire, len, &m->pos, m->qname);
			if (rc < 0)
				return rc;
			m->qname_len = (uint8_t)rc;
		} else {
			rc = pd_dns_name_skip(wire, len, &m->pos);
			if (rc < 0)
				return rc;
		}
		if (len - m->pos < 4)
			return PD_ETRUNC;
		if (i == 0) {
			m->qtype = pd_be16(wire + m->pos);
			m->qclass = pd_be16(wire + m->pos + 2);
		}
		m->pos += 4;
	}
	return 0;
}

int pd_dns_next_rr(struct pd_dns_msg *m, struct pd_dns_rr *rr)
{
	unsigned an = m->hdr.ancount, ns = m->hdr.nscount, ar = m->hdr.arcount;
	unsigned i = m->rr_index;

	if (i >= an + ns + ar)
		return 0;
	rr->section = i < an ? PD_SEC_ANSWER : i < an + ns ? PD_SEC_AUTHORITY : PD_SEC_ADDITIONAL;
	if (m->qname_len && m->len - m->pos >= 2 && m->wire[m->pos] == 0xc0 &&
	    m->wire[m->pos + 1] == PD_DNS_HDR_LEN) {
		/* The usual owner: a pointer to the question name, already read. */
		pd_copy_small(rr->owner, m->qname, m->qname_len);
		rr->owner_len = m->qname_len;
		m->pos += 2;
	} else {
		int rc = pd_dns_name_unpack(m->wire, m->len, &m->pos, rr->owner);
		if (rc < 0)
			return rc;
		rr->owner_len = (uint8_t)rc;
	}
	if (m->len - m->pos < 10)
		return PD_ETRUNC;
	const uint8_t *p = m->wire + m->pos;
	rr->type = pd_be16(p);
	rr->rclass = pd_be16(p + 2);
	rr->ttl = pd_be32(p + 4);
	rr->rdlen = pd_be16(p + 8);
	m->pos += 10;
	if (m->len - m->pos < rr->rdlen)
		return PD_ETRUNC;
	rr->rdata_off = m->pos;
	m->pos += rr->rdlen;
	m->rr_index = i + 1;
	return 1;
}

int pd_dns_name_is_sub(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (blen > alen)
		return 0;
	/* b must be a suffix of a that starts on a label boundary. */
	size_t off = 0;
	while (off < alen && alen - off > blen)
		off += 1u + a[off];
	return off < alen && alen - off == blen && memcmp(a + off, b, blen) == 0;
}

static int pd_isdigit(int c)
{
	return c >= '0' && c <= '9';
}

int pd_dns_name_from_text(const char *text, size_t tlen, uint8_t *out)
{
	size_t olen = 0, i = 0;

	if (tlen == 1 && text[0] == '.') {
		out[0] = 0;
		return 1;
	}
	if (tlen == 0)
		return PD_EMALF;
	while (i < tlen) {
		size_t lenpos = olen++;
		uint8_t llen = 0;
		if (olen >= PD_DNS_NAME_MAX)
			return PD_ENAME;
		while (i < tlen && text[i] != '.') {
			uint8_t c = (uint8_t)text[i++];
			if (c == '\\') {
				if (i >= tlen)
					return PD_EMALF;
				if (pd_isdigit(text[i])) {
					if (i + 3 > tlen || !pd_isdigit(text[i + 1]) || !pd_isdigit(text[i + 2]))
						return PD_EMALF;
					int v = (text[i] - '0') * 100 + (text[i + 1] - '0') * 10 + (text[i + 2] - '0');
					if (v > 255)
						return PD_EMALF;
					c = (uint8_t)v;
					i += 3;
				} else {
					c = (uint8_t)text[i++];
				}
			}
			if (llen == 63)
				return PD_ELABEL;
			if (olen + 1 >= PD_DNS_NAME_MAX)
				return PD_ENAME;
			out[olen++] = pd_lower(c);
			llen++;
		}
		if (llen == 0)
			return PD_EMALF; /* empty label: ".." or leading dot */
		out[lenpos] = llen;
		if (i < tlen)
			i++; /* the dot; a trailing dot ends the loop */
	}
	out[olen++] = 0;
	return (int)olen;
}
