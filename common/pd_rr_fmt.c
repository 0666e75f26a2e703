/*
 * pd_rr_fmt: presentation of canonical rdata and names, exactly as
 * docs/observations.md specifies (it is compared byte for byte with an
 * independent implementation of the same document).
 *
 * The input is untrusted here too (it is fuzzed, and the aggregator prints
 * what peers sent): every read goes through a pd_wire reader, and rdata that
 * does not have its type's shape is PD_EMALF, never a partial guess.
 * Output goes through a sticky-error writer; the walk over the rdata goes on
 * after the output is full so that PD_EMALF wins over PD_ESPACE.
 */
#include "pd_rr.h"

#include <string.h>

#include "pd_codec.h"
#include "pd_dns.h"
#include "pd_err.h"
#include "pd_rr_int.h"
#include "pd_wire.h"

/* Text output into a caller buffer, always leaving room for the NUL. */
struct pd_out {
	char *buf;
	size_t cap, len;
	int err;
};

static void pd_out_init(struct pd_out *o, char *buf, size_t cap)
{
	o->buf = buf;
	o->cap = cap;
	o->len = 0;
	o->err = cap == 0 ? PD_ESPACE : 0;
}

/* Room for n more characters, or NULL (and a sticky PD_ESPACE). */
static char *pd_out_reserve(struct pd_out *o, size_t n)
{
	if (o->err)
		return NULL;
	if (o->cap - o->len <= n) {
		o->err = PD_ESPACE;
		return NULL;
	}
	char *p = o->buf + o->len;
	o->len += n;
	return p;
}

static void pd_out_mem(struct pd_out *o, const void *s, size_t n)
{
	char *p = pd_out_reserve(o, n);
	if (p && n <= 64)
		pd_copy_small((uint8_t *)p, s, n); /* numbers, labels: no rep movs */
	else if (p)
		memcpy(p, s, n);
}

static void pd_out_str(struct pd_out *o, const char *s)
{
	pd_out_mem(o, s, strlen(s));
}

static void pd_out_c(struct pd_out *o, char c)
{
	char *p = pd_out_reserve(o, 1);
	if (p)
		*p = c;
}

static void pd_out_u32(struct pd_out *o, uint32_t v)
{
	char d[10];
	size_t n = 0;
	do {
		d[sizeof(d) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	pd_out_mem(o, d + sizeof(d) - n, n);
}

/* Zero-padded decimal of exactly width digits (width <= 4). */
static void pd_out_pad(struct pd_out *o, unsigned v, size_t width)
{
	char d[4];
	for (size_t i = width; i > 0; i--) {
		d[i - 1] = (char)('0' + v % 10);
		v /= 10;
	}
	pd_out_mem(o, d, width);
}

static void pd_out_ddd(struct pd_out *o, uint8_t b)
{
	char d[4] = {'\\', (char)('0' + b / 100), (char)('0' + b / 10 % 10), (char)('0' + b % 10)};
	pd_out_mem(o, d, 4);
}

static void pd_out_type(struct pd_out *o, uint16_t type)
{
	char s[16];
	pd_out_mem(o, s, pd_rr_type_name(type, s));
}

static void pd_out_ipv4(struct pd_out *o, const uint8_t *p)
{
	char text[16], *w = text;
	for (int i = 0; i < 4; i++) {
		unsigned v = p[i];
		if (i)
			*w++ = '.';
		if (v >= 100)
			*w++ = (char)('0' + v / 100);
		if (v >= 10)
			*w++ = (char)('0' + v / 10 % 10);
		*w++ = (char)('0' + v % 10);
	}
	pd_out_mem(o, text, (size_t)(w - text));
}

static void pd_out_hex16(struct pd_out *o, unsigned w)
{
	static const char hex[] = "0123456789abcdef";
	char d[4];
	size_t n = 0;
	for (int shift = 12; shift >= 0; shift -= 4)
		if (n || (w >> shift) & 15 || shift == 0)
			d[n++] = hex[(w >> shift) & 15];
	pd_out_mem(o, d, n);
}

/*
 * AAAA as glibc's inet_ntop prints it (the document's reference), without
 * its sprintf: the longest run of two or more zero words (the first of
 * equal runs) becomes "::"; ::a.b.c.d and ::ffff:a.b.c.d end in dotted
 * quad. test_pd_rr compares it with inet_ntop.
 */
static void pd_out_ipv6(struct pd_out *o, const uint8_t *p)
{
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	for (int i = 0; i < 8; i++) {
		w[i] = (unsigned)p[2 * i] << 8 | p[2 * i + 1];
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, cur_len = 0;
			if (++cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				pd_out_c(o, ':');
			continue;
		}
		if (i)
			pd_out_c(o, ':');
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
			pd_out_ipv4(o, p + 12);
			return;
		}
		pd_out_hex16(o, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		pd_out_c(o, ':');
}

enum pd_enc { PD_ENC_HEX, PD_ENC_B64, PD_ENC_B32HEX };

/* Binary as text; an empty field prints as "-" (except base32hex, whose
 * only use, the NSEC3 hash, is never empty). */
static void pd_out_enc(struct pd_out *o, enum pd_enc enc, const uint8_t *p, size_t n)
{
	if (n == 0) {
		if (enc != PD_ENC_B32HEX)
			pd_out_c(o, '-');
		return;
	}
	size_t want = enc == PD_ENC_HEX ? pd_hex_len(n) : enc == PD_ENC_B64 ? pd_b64_len(n) : pd_b32hex_len(n);
	char *dst = pd_out_reserve(o, want);
	if (!dst)
		return;
	if (enc == PD_ENC_HEX)
		pd_hex_encode(p, n, dst, want);
	else if (enc == PD_ENC_B64)
		pd_b64_encode(p, n, dst, want);
	else
		pd_b32hex_encode(p, n, dst, want);
}

/* A character-string in double quotes (TXT rules). */
static void pd_out_quoted(struct pd_out *o, const uint8_t *p, size_t n)
{
	pd_out_c(o, '"');
	for (size_t i = 0; i < n && !o->err; i++) {
		uint8_t b = p[i];
		if (b == '"' || b == '\\') {
			pd_out_c(o, '\\');
			pd_out_c(o, (char)b);
		} else if (b < 0x20 || b > 0x7e) {
			pd_out_ddd(o, b);
		} else {
			pd_out_c(o, (char)b);
		}
	}
	pd_out_c(o, '"');
}

/*
 * Length of the canonical name at the start of p[0..n): plain labels of at
 * most 63 octets, at most PD_DNS_NAME_MAX in all, ending inside the range.
 */
static int pd_rr_name_len(const uint8_t *p, size_t n)
{
	size_t i = 0;

	for (;;) {
		if (i >= n || i >= PD_DNS_NAME_MAX)
			return PD_EMALF;
		uint8_t l = p[i];
		if (l == 0)
			return (int)i + 1;
		if (l > 63)
			return PD_EMALF; /* also compression pointers */
		i += 1u + l;
	}
}

static void pd_out_label_byte(struct pd_out *o, uint8_t b)
{
	switch (b) {
	case '.': case '\\': case '"': case '(': case ')': case ';': case '@': case '$':
		pd_out_c(o, '\\');
		pd_out_c(o, (char)b);
		return;
	default:
		if (b < 0x21 || b > 0x7e)
			pd_out_ddd(o, b);
		else
			pd_out_c(o, (char)b);
	}
}

/* Label bytes that print as themselves (0x21..0x7e but . \\ " ( ) ; @ $). */
static const uint8_t pd_label_plain[256] = {
	[0x21] = 1, [0x23] = 1, [0x25 ... 0x27] = 1, [0x2a ... 0x2d] = 1,
	[0x2f ... 0x3a] = 1, [0x3c ... 0x3f] = 1, [0x41 ... 0x5b] = 1, [0x5d ... 0x7e] = 1,
};

/* Prints a name that pd_rr_name_len accepted. */
static void pd_out_name(struct pd_out *o, const uint8_t *p, unsigned flags)
{
	if (p[0] == 0) {
		pd_out_c(o, '.');
		return;
	}
	/* The usual name needs no escape: its text is its wire form without
	 * the first length octet and the root, other length octets as dots. */
	size_t end = 0;
	int plain = 1;
	while (p[end] != 0) {
		for (size_t k = 1; k <= p[end]; k++)
			plain &= pd_label_plain[p[end + k]];
		end += 1u + p[end];
	}
	if (plain) {
		char *w = pd_out_reserve(o, end - 1 + ((flags & PD_RR_FQDN) != 0));
		if (!w)
			return;
		memcpy(w, p + 1, end - 1);
		for (size_t i = p[0] + 1u; i < end; i += 1u + p[i])
			w[i - 1] = '.';
		if (flags & PD_RR_FQDN)
			w[end - 1] = '.';
		return;
	}
	for (size_t i = 0; p[i] != 0 && !o->err; i += 1u + p[i]) {
		if (i)
			pd_out_c(o, '.');
		for (size_t k = 1; k <= p[i]; k++)
			pd_out_label_byte(o, p[i + k]);
	}
	if (flags & PD_RR_FQDN)
		pd_out_c(o, '.');
}

static int pd_out_finish(struct pd_out *o, int rc)
{
	if (rc == 0)
		rc = o->err;
	if (rc < 0) {
		if (o->cap)
			o->buf[0] = '\0';
		return rc;
	}
	o->buf[o->len] = '\0';
	return (int)o->len;
}

int pd_rr_name_format(const uint8_t *name, size_t len, unsigned flags, char *out, size_t cap)
{
	struct pd_out o;
	pd_out_init(&o, out, cap);
	int n = pd_rr_name_len(name, len);
	if (n < 0 || (size_t)n != len)
		return pd_out_finish(&o, PD_EMALF);
	pd_out_name(&o, name, flags);
	return pd_out_finish(&o, 0);
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil
 * inverse): no gmtime, no locale, no time zone, thread-safe. */
static void pd_civil_from_days(uint32_t days, unsigned *y, unsigned *m, unsigned *d)
{
	uint32_t z = days + 719468;
	uint32_t era = z / 146097;
	uint32_t doe = z - era * 146097;
	uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	uint32_t mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

/* RRSIG times: seconds since the epoch as YYYYMMDDHHMMSS (RFC 4034 3.2). */
static void pd_out_time(struct pd_out *o, uint32_t t)
{
	unsigned y, mo, d, s = t % 86400;
	pd_civil_from_days(t / 86400, &y, &mo, &d);
	pd_out_pad(o, y, 4);
	pd_out_pad(o, mo, 2);
	pd_out_pad(o, d, 2);
	pd_out_pad(o, s / 3600, 2);
	pd_out_pad(o, s / 60 % 60, 2);
	pd_out_pad(o, s % 60, 2);
}

/* NSEC/NSEC3 types, each preceded by a space; p was checked. */
static void pd_out_bitmap(struct pd_out *o, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 2 <= n && !o->err; i += 2u + p[i + 1]) {
		unsigned win = p[i], blen = p[i + 1];
		for (unsigned j = 0; j < blen && i + 2 + j < n; j++) {
			uint8_t bits = p[i + 2 + j];
			for (unsigned b = 0; b < 8; b++) {
				if (bits & (0x80u >> b)) {
					pd_out_c(o, ' ');
					pd_out_type(o, (uint16_t)(win << 8 | (j << 3) | b));
				}
			}
		}
	}
}

static void pd_out_svc_key(struct pd_out *o, unsigned key)
{
	static const char *const names[] = {
		"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint",
	};
	if (key < sizeof(names) / sizeof(names[0])) {
		pd_out_str(o, names[key]);
	} else {
		pd_out_str(o, "key");
		pd_out_u32(o, key);
	}
}

/* alpn=h2,h3: inside an id, , \ " ; ( ) are backslash-escaped, space and
 * other non-printables are \DDD (a space would end the value). v was
 * checked: length-prefixed ids filling n exactly. */
static void pd_out_alpn(struct pd_out *o, const uint8_t *v, size_t n)
{
	for (size_t i = 0; i < n; i += 1u + v[i]) {
		if (i)
			pd_out_c(o, ',');
		for (size_t k = 1; k <= v[i] && i + k < n; k++) {
			uint8_t b = v[i + k];
			if (b == ',' || b == '\\' || b == '"' || b == ';' || b == '(' || b == ')') {
				pd_out_c(o, '\\');
				pd_out_c(o, (char)b);
			} else if (b <= 0x20 || b > 0x7e) { /* a space would end the value */
				pd_out_ddd(o, b);
			} else {
				pd_out_c(o, (char)b);
			}
		}
	}
}

/* One SvcParam's " key=value"; the value was checked for its key. */
static void pd_out_svc_param(struct pd_out *o, unsigned key, const uint8_t *v, size_t n)
{
	pd_out_c(o, ' ');
	pd_out_svc_key(o, key);
	if (key == PD_SVC_NO_DEFAULT_ALPN || (key > PD_SVC_IPV6HINT && n == 0))
		return;
	pd_out_c(o, '=');
	switch (key) {
	case PD_SVC_MANDATORY:
		for (size_t i = 0; i + 2 <= n; i += 2) {
			if (i)
				pd_out_c(o, ',');
			pd_out_svc_key(o, pd_be16(v + i));
		}
		break;
	case PD_SVC_ALPN:
		pd_out_alpn(o, v, n);
		break;
	case PD_SVC_PORT:
		pd_out_u32(o, pd_be16(v));
		break;
	case PD_SVC_IPV4HINT: case PD_SVC_IPV6HINT: {
		size_t step = key == PD_SVC_IPV4HINT ? 4 : 16;
		for (size_t i = 0; i + step <= n; i += step) {
			if (i)
				pd_out_c(o, ',');
			if (step == 4)
				pd_out_ipv4(o, v + i);
			else
				pd_out_ipv6(o, v + i);
		}
		break;
	}
	case PD_SVC_ECH:
		pd_out_enc(o, PD_ENC_B64, v, n);
		break;
	default:
		pd_out_quoted(o, v, n);
	}
}

/* SvcParams in wire order; the alias form (priority 0) prints none. */
static int pd_out_svc(struct pd_out *o, uint16_t priority, const uint8_t *p, size_t n)
{
	if (pd_rr_check_svc(p, n) < 0)
		return PD_EMALF;
	if (priority == 0)
		return 0;
	for (size_t i = 0; i + 4 <= n && !o->err;) {
		unsigned key = pd_be16(p + i);
		size_t vlen = pd_be16(p + i + 2);
		if (n - i - 4 < vlen)
			return PD_EMALF; /* unreachable after the check */
		pd_out_svc_param(o, key, p + i + 4, vlen);
		i += 4 + vlen;
	}
	return 0;
}

/* TXT: each character-string quoted, separated by one space. */
static int pd_out_strings(struct pd_out *o, const uint8_t *p, size_t n)
{
	if (pd_rr_check_strings(p, n) < 0)
		return PD_EMALF;
	for (size_t i = 0; i < n; i += 1u + p[i]) {
		if (i)
			pd_out_c(o, ' ');
		pd_out_quoted(o, p + i + 1, p[i]);
	}
	return 0;
}

/* Fixed-size fields. Returns 1 when field is not one of them. */
static int pd_rr_fmt_fixed(struct pd_out *o, struct pd_wire *w, char field)
{
	const uint8_t *p;

	switch (field) {
	case '1':
		pd_out_u32(o, pd_wire_u8(w));
		return 0;
	case '2':
		pd_out_u32(o, pd_wire_u16(w));
		return 0;
	case '4':
		pd_out_u32(o, pd_wire_u32(w));
		return 0;
	case 't':
		pd_out_type(o, pd_wire_u16(w));
		return 0;
	case 'T':
		pd_out_time(o, pd_wire_u32(w));
		return 0;
	case 'a':
		if ((p = pd_wire_take(w, 4)) != NULL)
			pd_out_ipv4(o, p);
		return 0;
	case '6':
		if ((p = pd_wire_take(w, 16)) != NULL)
			pd_out_ipv6(o, p);
		return 0;
	default:
		return 1;
	}
}

/* Length-prefixed fields: 's' quoted, 'S' salt, 'H' hash, 'g' CAA tag. */
static int pd_rr_fmt_counted(struct pd_out *o, struct pd_wire *w, char field)
{
	if (field == 'g' && pd_rr_check_tag(pd_wire_ptr(w), pd_wire_left(w)) < 0)
		return PD_EMALF;
	uint8_t n = pd_wire_u8(w);
	const uint8_t *p = pd_wire_take(w, n);
	if (!p || (field == 'H' && n == 0))
		return PD_EMALF;
	if (field == 's')
		pd_out_quoted(o, p, n);
	else if (field == 'S')
		pd_out_enc(o, PD_ENC_HEX, p, n);
	else if (field == 'H')
		pd_out_enc(o, PD_ENC_B32HEX, p, n);
	else
		pd_out_mem(o, p, n);
	return 0;
}

/* Fields that take the rest of the rdata. */
static int pd_rr_fmt_rest(struct pd_out *o, struct pd_wire *w, char field)
{
	size_t n = pd_wire_left(w);
	const uint8_t *p = pd_wire_take(w, n);

	if (!p)
		return PD_EMALF;
	switch (field) {
	case 'x':
		pd_out_enc(o, PD_ENC_HEX, p, n);
		return 0;
	case 'b':
		pd_out_enc(o, PD_ENC_B64, p, n);
		return 0;
	case 'q':
		pd_out_quoted(o, p, n);
		return 0;
	case 'm':
		if (pd_rr_check_bitmap(p, n) < 0)
			return PD_EMALF;
		pd_out_bitmap(o, p, n);
		return 0;
	case 'v':
		/* Shape "2nv": the priority is the first field. */
		return pd_out_svc(o, pd_be16(w->base), p, n);
	case 'z':
		return pd_out_strings(o, p, n);
	default:
		return PD_EMALF;
	}
}

static int pd_rr_fmt_field(struct pd_out *o, struct pd_wire *w, char field, unsigned flags)
{
	int rc = pd_rr_fmt_fixed(o, w, field);
	if (rc == 0)
		return w->err ? PD_EMALF : 0;
	switch (field) {
	case 'n': {
		int n = pd_rr_name_len(pd_wire_ptr(w), pd_wire_left(w));
		if (n < 0)
			return PD_EMALF;
		pd_out_name(o, pd_wire_ptr(w), flags);
		pd_wire_skip(w, (size_t)n);
		return 0;
	}
	case 's': case 'S': case 'H': case 'g':
		return pd_rr_fmt_counted(o, w, field);
	default:
		return pd_rr_fmt_rest(o, w, field);
	}
}

/* RFC 3597 3.3: "\# LEN HEX", "\# 0" when empty. */
static void pd_out_generic(struct pd_out *o, const uint8_t *rdata, size_t rdlen)
{
	pd_out_mem(o, "\\# ", 3);
	pd_out_u32(o, (uint32_t)rdlen);
	if (rdlen) {
		pd_out_c(o, ' ');
		pd_out_enc(o, PD_ENC_HEX, rdata, rdlen);
	}
}

int pd_rr_format(uint16_t type, const uint8_t *rdata, size_t rdlen, unsigned flags,
                 char *out, size_t cap)
{
	static const uint8_t none[1];
	struct pd_out o;
	struct pd_wire w;
	const char *shape = pd_rr_shape(type);

	pd_out_init(&o, out, cap);
	if (rdlen == 0)
		rdata = none; /* no pointer arithmetic on a NULL rdata */
	if (rdlen > PD_RR_CANON_MAX + 253)
		return pd_out_finish(&o, PD_EMALF); /* keeps lengths within an int */
	if (!shape) {
		pd_out_generic(&o, rdata, rdlen);
		return pd_out_finish(&o, 0);
	}
	pd_wire_init(&w, rdata, rdlen);
	for (size_t i = 0; shape[i]; i++) {
		if (i > 0 && shape[i] != 'm' && shape[i] != 'v')
			pd_out_c(&o, ' ');
		int rc = pd_rr_fmt_field(&o, &w, shape[i], flags);
		if (rc < 0)
			return pd_out_finish(&o, rc);
	}
	if (w.err || pd_wire_left(&w) != 0)
		return pd_out_finish(&o, PD_EMALF);
	return pd_out_finish(&o, 0);
}
