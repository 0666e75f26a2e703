/*
 * pd_rr: the RR type table, canonical rdata and the shape validators shared
 * with presentation (pd_rr_fmt.c).
 *
 * pd_rr_canon runs for every answer RR the sensor sees, so the common types
 * have their own cases; the rest are walked through their shape descriptor
 * (pd_rr_int.h). Nothing here allocates or keeps state.
 */
#include "pd_rr.h"

#include <string.h>

#include "pd_dns.h"
#include "pd_err.h"
#include "pd_rr_int.h"
#include "pd_wire.h"

#define PD_RR_NAMED_MAX 257

/* Mnemonics of docs/observations.md; the array ends at the last one. */
static const char *const pd_rr_names[PD_RR_NAMED_MAX + 1] = {
	[1] = "A", [2] = "NS", [3] = "MD", [4] = "MF", [5] = "CNAME", [6] = "SOA",
	[7] = "MB", [8] = "MG", [9] = "MR", [10] = "NULL", [11] = "WKS", [12] = "PTR",
	[13] = "HINFO", [14] = "MINFO", [15] = "MX", [16] = "TXT", [17] = "RP",
	[18] = "AFSDB", [21] = "RT", [26] = "PX", [28] = "AAAA", [29] = "LOC",
	[33] = "SRV", [35] = "NAPTR", [36] = "KX", [37] = "CERT", [39] = "DNAME",
	[41] = "OPT", [42] = "APL", [43] = "DS", [44] = "SSHFP", [45] = "IPSECKEY",
	[46] = "RRSIG", [47] = "NSEC", [48] = "DNSKEY", [49] = "DHCID", [50] = "NSEC3",
	[51] = "NSEC3PARAM", [52] = "TLSA", [53] = "SMIMEA", [55] = "HIP", [59] = "CDS",
	[60] = "CDNSKEY", [61] = "OPENPGPKEY", [62] = "CSYNC", [63] = "ZONEMD",
	[64] = "SVCB", [65] = "HTTPS", [99] = "SPF", [108] = "EUI48", [109] = "EUI64",
	[249] = "TKEY", [250] = "TSIG", [251] = "IXFR", [252] = "AXFR", [255] = "ANY",
	[256] = "URI", [257] = "CAA",
};

size_t pd_rr_type_name(uint16_t type, char *out)
{
	const char *s = type <= PD_RR_NAMED_MAX ? pd_rr_names[type] : NULL;
	size_t n = 0;

	if (s) {
		n = strlen(s);
		memcpy(out, s, n + 1);
		return n;
	}
	char digits[5];
	size_t nd = 0;
	unsigned v = type;
	do {
		digits[nd++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(out, "TYPE", 4);
	n = 4;
	while (nd)
		out[n++] = digits[--nd];
	out[n] = '\0';
	return n;
}

static int pd_rr_ascii_ieq(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
		if ((unsigned)(x - 'a') < 26u)
			x = (unsigned char)(x - 32);
		if (x != y) /* table entries are upper case */
			return 0;
	}
	return 1;
}

int pd_rr_type_from_name(const char *name, size_t len, uint16_t *type)
{
	for (unsigned t = 0; t <= PD_RR_NAMED_MAX; t++) {
		const char *s = pd_rr_names[t];
		if (s && strlen(s) == len && pd_rr_ascii_ieq(name, s, len)) {
			*type = (uint16_t)t;
			return 0;
		}
	}
	if (len <= 4 || !pd_rr_ascii_ieq(name, "TYPE", 4))
		return PD_EMALF;
	unsigned long v = 0;
	for (size_t i = 4; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return PD_EMALF;
		v = v * 10 + (unsigned long)(name[i] - '0');
		if (v > 65535)
			return PD_EMALF;
	}
	*type = (uint16_t)v;
	return 0;
}

int pd_rr_has_names(uint16_t type)
{
	switch (type) {
	case PD_T_NS: case PD_T_MD: case PD_T_MF: case PD_T_CNAME: case PD_T_SOA:
	case PD_T_MB: case PD_T_MG: case PD_T_MR: case PD_T_PTR: case PD_T_MINFO:
	case PD_T_MX: case PD_T_RP: case PD_T_AFSDB: case PD_T_RT: case PD_T_PX:
	case PD_T_SRV: case PD_T_NAPTR: case PD_T_KX: case PD_T_DNAME:
	case PD_T_RRSIG: case PD_T_NSEC: case PD_T_SVCB: case PD_T_HTTPS:
		return 1;
	default:
		return 0;
	}
}

const char *pd_rr_shape(uint16_t type)
{
	switch (type) {
	case PD_T_A: return "a";
	case PD_T_AAAA: return "6";
	case PD_T_NS: case PD_T_CNAME: case PD_T_DNAME: case PD_T_PTR:
	case PD_T_MB: case PD_T_MD: case PD_T_MF: case PD_T_MG: case PD_T_MR:
		return "n";
	case PD_T_SOA: return "nn44444";
	case PD_T_MX: case PD_T_KX: case PD_T_RT: case PD_T_AFSDB: return "2n";
	case PD_T_MINFO: case PD_T_RP: return "nn";
	case PD_T_PX: return "2nn";
	case PD_T_HINFO: return "ss";
	case PD_T_TXT: case PD_T_SPF: return "z";
	case PD_T_SRV: return "222n";
	case PD_T_NAPTR: return "22sssn";
	case PD_T_DS: case PD_T_CDS: return "211x";
	case PD_T_DNSKEY: case PD_T_CDNSKEY: return "211b";
	case PD_T_RRSIG: return "t114TT2nb";
	case PD_T_NSEC: return "nm";
	case PD_T_NSEC3: return "112SHm";
	case PD_T_NSEC3PARAM: return "112S";
	case PD_T_SSHFP: return "11x";
	case PD_T_TLSA: case PD_T_SMIMEA: return "111x";
	case PD_T_CAA: return "1gq";
	case PD_T_OPENPGPKEY: case PD_T_DHCID: return "b";
	case PD_T_URI: return "22q";
	case PD_T_SVCB: case PD_T_HTTPS: return "2nv";
	default: return NULL;
	}
}

int pd_rr_check_strings(const uint8_t *p, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return PD_EMALF; /* RFC 1035 3.3.14: one or more */
	while (i < n)
		i += 1u + p[i];
	return i == n ? 0 : PD_EMALF;
}

int pd_rr_check_tag(const uint8_t *p, size_t n)
{
	if (n < 1 || p[0] < 1 || p[0] > n - 1)
		return PD_EMALF;
	/* RFC 8659 4.1: tags are ASCII letters and digits only. */
	for (size_t i = 1; i <= p[0]; i++) {
		uint8_t c = p[i];
		if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
			return PD_EMALF;
	}
	return 1 + p[0];
}

int pd_rr_check_bitmap(const uint8_t *p, size_t n)
{
	size_t i = 0;
	int prev = -1;

	while (i < n) {
		if (n - i < 2)
			return PD_EMALF;
		unsigned win = p[i], blen = p[i + 1];
		if ((int)win <= prev || blen < 1 || blen > 32 || n - i - 2 < blen)
			return PD_EMALF;
		prev = (int)win;
		i += 2 + blen;
	}
	return 0;
}

/* Value formats of the keys RFC 9460 defines; other keys take any bytes. */
static int pd_rr_check_svc_value(unsigned key, const uint8_t *v, size_t n)
{
	switch (key) {
	case PD_SVC_MANDATORY:
		if (n == 0 || n % 2)
			return PD_EMALF;
		for (size_t i = 2; i < n; i += 2)
			if (pd_be16(v + i) <= pd_be16(v + i - 2))
				return PD_EMALF; /* strictly increasing (RFC 9460 8) */
		return 0;
	case PD_SVC_ALPN:
		for (size_t i = 0; i < n; i += 1u + v[i])
			if (v[i] == 0)
				return PD_EMALF; /* alpn-ids are not empty */
		return pd_rr_check_strings(v, n);
	case PD_SVC_NO_DEFAULT_ALPN:
		return n == 0 ? 0 : PD_EMALF;
	case PD_SVC_PORT:
		return n == 2 ? 0 : PD_EMALF;
	case PD_SVC_IPV4HINT:
		return n > 0 && n % 4 == 0 ? 0 : PD_EMALF;
	case PD_SVC_IPV6HINT:
		return n > 0 && n % 16 == 0 ? 0 : PD_EMALF;
	default:
		return 0;
	}
}

int pd_rr_check_svc(const uint8_t *p, size_t n)
{
	size_t i = 0;
	long prev = -1;

	while (i < n) {
		if (n - i < 4)
			return PD_EMALF;
		unsigned key = pd_be16(p + i), vlen = pd_be16(p + i + 2);
		i += 4;
		if ((long)key <= prev || n - i < vlen)
			return PD_EMALF;
		if (pd_rr_check_svc_value(key, p + i, vlen) < 0)
			return PD_EMALF;
		prev = (long)key;
		i += vlen;
	}
	return 0;
}

/* Canonicalization: a cursor over the rdata in the message and the output. */
struct pd_rr_cx {
	const uint8_t *msg;
	size_t msglen;
	size_t pos, end; /* rdata cursor and end, offsets into msg */
	uint8_t *out;
	size_t olen, cap;
};

static int pd_rr_cx_copy(struct pd_rr_cx *c, size_t n)
{
	if (c->end - c->pos < n)
		return PD_EMALF;
	if (c->cap - c->olen < n)
		return PD_ESPACE;
	if (n == 0)
		return 0; /* out may be NULL when cap is 0 */
	memcpy(c->out + c->olen, c->msg + c->pos, n);
	c->pos += n;
	c->olen += n;
	return 0;
}

/*
 * The slow path of pd_rr_cx_name, taken when the walk bounded by the rdata
 * end ran past it: either the name's own bytes do (a shape error), or a
 * pointer inside the rdata leads to labels that cross the rdata end, which
 * is legal, so the name is then decoded again within the whole message.
 */
static int pd_rr_cx_name_slow(struct pd_rr_cx *c, size_t *pos, uint8_t *dst)
{
	size_t p = c->pos;

	for (;;) {
		if (p >= c->end)
			return PD_EMALF;
		uint8_t len = c->msg[p];
		if ((len & 0xc0) == 0xc0)
			break;
		if (len == 0 || (len & 0xc0))
			return PD_EMALF; /* unreachable: the bounded walk saw these */
		p += 1u + len;
	}
	if (c->end - p < 2)
		return PD_EMALF;
	*pos = c->pos;
	return pd_dns_name_unpack(c->msg, c->msglen, pos, dst);
}

/*
 * Decompresses the name at the cursor. Its bytes in place must end inside
 * the rdata; pointers may lead anywhere earlier in the message. Bounding
 * the walk by the rdata end keeps that check out of the common path.
 */
static int pd_rr_cx_name(struct pd_rr_cx *c)
{
	uint8_t tmp[PD_DNS_NAME_MAX];
	uint8_t *dst = c->cap - c->olen >= PD_DNS_NAME_MAX ? c->out + c->olen : tmp;
	size_t p = c->pos;

	int rc = pd_dns_name_unpack(c->msg, c->end, &p, dst);
	if (rc == PD_ETRUNC)
		rc = pd_rr_cx_name_slow(c, &p, dst);
	if (rc < 0)
		return rc;
	if (dst == tmp) {
		if (c->cap - c->olen < (size_t)rc)
			return PD_ESPACE;
		memcpy(c->out + c->olen, tmp, (size_t)rc);
	}
	c->olen += (size_t)rc;
	c->pos = p;
	return 0;
}

/* A field of a length octet and that many bytes; min is the least length. */
static int pd_rr_cx_counted(struct pd_rr_cx *c, unsigned min)
{
	if (c->pos >= c->end || c->msg[c->pos] < min)
		return PD_EMALF;
	return pd_rr_cx_copy(c, 1u + c->msg[c->pos]);
}

/* The fields that take the rest of the rdata: validate, then copy. */
static int pd_rr_cx_rest(struct pd_rr_cx *c, char field)
{
	const uint8_t *p = c->msg + c->pos;
	size_t n = c->end - c->pos;
	int rc = 0;

	if (field == 'm')
		rc = pd_rr_check_bitmap(p, n);
	else if (field == 'v')
		rc = pd_rr_check_svc(p, n);
	else if (field == 'z')
		rc = pd_rr_check_strings(p, n);
	if (rc < 0)
		return rc;
	return pd_rr_cx_copy(c, n);
}

static int pd_rr_cx_field(struct pd_rr_cx *c, char field)
{
	switch (field) {
	case '1':
		return pd_rr_cx_copy(c, 1);
	case '2': case 't':
		return pd_rr_cx_copy(c, 2);
	case '4': case 'T': case 'a':
		return pd_rr_cx_copy(c, 4);
	case '6':
		return pd_rr_cx_copy(c, 16);
	case 'n':
		return pd_rr_cx_name(c);
	case 's': case 'S':
		return pd_rr_cx_counted(c, 0);
	case 'H':
		return pd_rr_cx_counted(c, 1);
	case 'g': {
		int n = pd_rr_check_tag(c->msg + c->pos, c->end - c->pos);
		return n < 0 ? n : pd_rr_cx_copy(c, (size_t)n);
	}
	default:
		return pd_rr_cx_rest(c, field);
	}
}

static int pd_rr_cx_shape(struct pd_rr_cx *c, const char *shape)
{
	for (; *shape; shape++) {
		int rc = pd_rr_cx_field(c, *shape);
		if (rc < 0)
			return rc;
	}
	return c->pos == c->end ? 0 : PD_EMALF;
}

/* Common types first: one switch, no descriptor walk. */
static int pd_rr_cx_run(struct pd_rr_cx *c, uint16_t type)
{
	int rc;

	switch (type) {
	case PD_T_A:
		return c->end - c->pos == 4 ? pd_rr_cx_copy(c, 4) : PD_EMALF;
	case PD_T_AAAA:
		return c->end - c->pos == 16 ? pd_rr_cx_copy(c, 16) : PD_EMALF;
	case PD_T_NS: case PD_T_CNAME: case PD_T_PTR:
		rc = pd_rr_cx_name(c);
		break;
	case PD_T_MX:
		if ((rc = pd_rr_cx_copy(c, 2)) == 0)
			rc = pd_rr_cx_name(c);
		break;
	case PD_T_SOA:
		if ((rc = pd_rr_cx_name(c)) == 0 && (rc = pd_rr_cx_name(c)) == 0)
			rc = pd_rr_cx_copy(c, 20);
		break;
	case PD_T_TXT:
		rc = pd_rr_cx_rest(c, 'z');
		break;
	default: {
		const char *shape = pd_rr_shape(type);
		return shape ? pd_rr_cx_shape(c, shape) : pd_rr_cx_copy(c, c->end - c->pos);
	}
	}
	if (rc < 0)
		return rc;
	return c->pos == c->end ? 0 : PD_EMALF;
}

int pd_rr_canon(uint16_t type, const uint8_t *msg, size_t msglen, size_t off,
                size_t rdlen, uint8_t *out, size_t cap)
{
	static const uint8_t none[1];

	if (off > msglen || rdlen > msglen - off)
		return PD_ETRUNC;
	if (msglen == 0)
		msg = none; /* no pointer arithmetic on a NULL message */
	struct pd_rr_cx c = {
		.msg = msg, .msglen = msglen, .pos = off, .end = off + rdlen,
		.out = out, .olen = 0, .cap = cap,
	};
	int rc = pd_rr_cx_run(&c, type);
	return rc < 0 ? rc : (int)c.olen;
}

/* Length of a field of the shape at p[0..n), or PD_EMALF; rest fields
 * (which end the rdata) count as everything left. */
static long pd_rr_field_len(char f, const uint8_t *p, size_t n)
{
	size_t l;
	switch (f) {
	case '1': l = 1; break;
	case '2': case 't': l = 2; break;
	case '4': case 'T': case 'a': l = 4; break;
	case '6': l = 16; break;
	case 's': case 'S': case 'H': case 'g':
		if (n < 1)
			return PD_EMALF;
		l = 1u + p[0];
		break;
	case 'n':
		for (l = 0; l < n && p[l] != 0; l += 1u + p[l])
			if (p[l] > 63)
				return PD_EMALF;
		l++;
		break;
	default:
		return (long)n;
	}
	return l <= n ? (long)l : PD_EMALF;
}

int pd_rr_rdata_names(uint16_t type, const uint8_t *rdata, size_t rdlen, size_t *off,
                      size_t *len, size_t max)
{
	const char *shape = pd_rr_shape(type);
	if (!shape || !pd_rr_has_names(type) || type == PD_T_RRSIG || type == PD_T_NSEC)
		return 0;
	size_t pos = 0;
	int n = 0;
	for (const char *f = shape; *f; f++) {
		long l = pd_rr_field_len(*f, rdata + pos, rdlen - pos);
		if (l < 0)
			return PD_EMALF;
		if (*f == 'n' && (size_t)n < max) {
			off[n] = pos;
			len[n] = (size_t)l;
			n++;
		}
		pos += (size_t)l;
	}
	return n;
}
