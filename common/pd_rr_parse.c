/*
 * pd_rr_parse: the text cursor, the fields of the shape descriptors
 * (pd_rr_int.h), the driver and RFC 3597's generic form. SvcParams and type
 * bitmaps are in pd_rr_parse_svc.c.
 *
 * The parser walks the same shape descriptors as canonicalization and
 * presentation, so each field here is the inverse of one field there. The
 * result is checked once more by pd_rr_format (with no room to print, it
 * only validates), which keeps "parses" a subset of "prints".
 */
#include "pd_rr_parse.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pd_codec.h"
#include "pd_dns.h"
#include "pd_err.h"
#include "pd_rr.h"
#include "pd_rr_int.h"
#include "pd_rr_parse_int.h"
#include "pd_wire.h"

int pd_rp_fail(struct pd_rp *p, size_t off, const char *fmt, ...)
{
	if (p->err) {
		va_list ap;
		va_start(ap, fmt);
		p->err->off = off;
		vsnprintf(p->err->why, sizeof(p->err->why), fmt, ap);
		va_end(ap);
	}
	return PD_EMALF;
}

int pd_rp_room(struct pd_rp *p, size_t n, uint8_t **dst)
{
	if (p->cap - p->len < n) {
		if (!p->short_cap)
			return pd_rp_fail(p, p->pos, "rdata longer than 65535 octets");
		if (p->err) {
			p->err->off = p->pos;
			snprintf(p->err->why, sizeof(p->err->why), "output buffer too small");
		}
		return PD_ESPACE;
	}
	*dst = n ? p->out + p->len : NULL;
	p->len += n;
	return 0;
}

int pd_rp_put(struct pd_rp *p, const void *src, size_t n)
{
	uint8_t *dst = NULL;
	int rc = pd_rp_room(p, n, &dst);
	if (rc == 0 && n)
		memcpy(dst, src, n);
	return rc;
}

int pd_rp_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Offset of s (a pointer into the text) from its start. */
static size_t pd_rp_off(const struct pd_rp *p, const char *s)
{
	return (size_t)(s - p->t);
}

int pd_rp_token(struct pd_rp *p, struct pd_rp_tok *tk)
{
	const char *t = p->t;
	size_t i;

	while (p->pos < p->n && pd_rp_blank(t[p->pos]))
		p->pos++;
	if (p->pos == p->n)
		return 0;
	tk->off = p->pos;
	tk->quoted = t[p->pos] == '"';
	i = p->pos + (size_t)tk->quoted;
	while (i < p->n && (tk->quoted ? t[i] != '"' : !pd_rp_blank(t[i])))
		i += t[i] == '\\' && i + 1 < p->n ? 2 : 1;
	tk->s = t + p->pos + (size_t)tk->quoted;
	tk->len = (size_t)(t + i - tk->s);
	if (tk->quoted) {
		if (i >= p->n)
			return pd_rp_fail(p, tk->off, "unterminated quoted string");
		i++;
		if (i < p->n && !pd_rp_blank(t[i]))
			return pd_rp_fail(p, i, "expected a space after the closing quote");
	}
	p->pos = i;
	return 1;
}

int pd_rp_need(struct pd_rp *p, struct pd_rp_tok *tk, const char *what)
{
	int rc = pd_rp_token(p, tk);
	if (rc == 0)
		return pd_rp_fail(p, p->n, "expected %s", what);
	return rc < 0 ? rc : 0;
}

int pd_rp_ddd(const char *s, size_t i, size_t n)
{
	if (n - i < 4)
		return -1;
	int v = 0;
	for (size_t k = 1; k <= 3; k++) {
		if (s[i + k] < '0' || s[i + k] > '9')
			return -1;
		v = v * 10 + (s[i + k] - '0');
	}
	return v <= 255 ? v : -1;
}

int pd_rp_text(struct pd_rp *p, const struct pd_rp_tok *tk, size_t max, size_t *n)
{
	const char *s = tk->s;
	size_t i = 0, cnt = 0;

	while (i < tk->len) {
		size_t run = i;
		while (run < tk->len && s[run] != '\\')
			run++;
		if (run - i > max - cnt)
			return pd_rp_fail(p, tk->off, "character-string longer than 255 octets");
		int rc = pd_rp_put(p, s + i, run - i);
		if (rc < 0)
			return rc;
		cnt += run - i;
		if (run == tk->len)
			break;
		uint8_t b;
		if (run + 1 >= tk->len)
			return pd_rp_fail(p, pd_rp_off(p, s + run), "backslash at the end of a field");
		if (s[run + 1] >= '0' && s[run + 1] <= '9') {
			int v = pd_rp_ddd(s, run, tk->len);
			if (v < 0)
				return pd_rp_fail(p, pd_rp_off(p, s + run), "bad \\DDD escape");
			b = (uint8_t)v;
			i = run + 4;
		} else {
			b = (uint8_t)s[run + 1];
			i = run + 2;
		}
		if (cnt == max)
			return pd_rp_fail(p, tk->off, "character-string longer than 255 octets");
		if ((rc = pd_rp_put(p, &b, 1)) < 0)
			return rc;
		cnt++;
	}
	*n = cnt;
	return 0;
}

int pd_rp_uint(const char *s, size_t n, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (n == 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
		if (x > max)
			return -1;
	}
	*v = (uint32_t)x;
	return 0;
}

static int pd_rp_inet(int af, const char *s, size_t n, void *out)
{
	char buf[INET6_ADDRSTRLEN];
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(af, buf, out) == 1 ? 0 : -1;
}

int pd_rp_ipv4(const char *s, size_t n, uint8_t out[4])
{
	return pd_rp_inet(AF_INET, s, n, out);
}

int pd_rp_ipv6(const char *s, size_t n, uint8_t out[16])
{
	return pd_rp_inet(AF_INET6, s, n, out);
}

/* Hex digits fed across fields (dig splits hex by spaces); hi holds a
 * first nibble waiting for its second, or -1. */
static int pd_rp_hex_feed(struct pd_rp *p, const struct pd_rp_tok *tk, int *hi)
{
	for (size_t i = 0; i < tk->len; i++) {
		char c = tk->s[i];
		int d = c >= '0' && c <= '9' ? c - '0'
		      : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
		if (d < 0)
			return pd_rp_fail(p, pd_rp_off(p, tk->s + i), "bad hex digit");
		if (*hi < 0) {
			*hi = d;
			continue;
		}
		uint8_t b = (uint8_t)(*hi << 4 | d);
		*hi = -1;
		int rc = pd_rp_put(p, &b, 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The rest of the text as hex; with dash, a lone "-" is empty. *ntok gets
 * the number of fields (0: there was no hex at all). */
static int pd_rp_hex_rest(struct pd_rp *p, int dash, size_t *ntok)
{
	struct pd_rp_tok tk;
	int hi = -1, rc;

	*ntok = 0;
	while ((rc = pd_rp_token(p, &tk)) > 0) {
		if (tk.quoted)
			return pd_rp_fail(p, tk.off, "hex cannot be quoted");
		if (*ntok == 0 && dash && tk.len == 1 && tk.s[0] == '-') {
			*ntok = 1;
			return 0; /* anything after it is trailing text */
		}
		(*ntok)++;
		if ((rc = pd_rp_hex_feed(p, &tk, &hi)) < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (hi >= 0)
		return pd_rp_fail(p, p->n, "odd number of hex digits");
	return 0;
}

/* Base64 fed across fields in groups of four; padding ends it. */
struct pd_rp_b64 {
	char q[4];
	size_t nq, qoff;
	int done;
};

static int pd_rp_b64_feed(struct pd_rp *p, struct pd_rp_b64 *b, const struct pd_rp_tok *tk)
{
	for (size_t i = 0; i < tk->len; i++) {
		if (b->done)
			return pd_rp_fail(p, pd_rp_off(p, tk->s + i), "base64 after its padding");
		if (b->nq == 0)
			b->qoff = pd_rp_off(p, tk->s + i);
		b->q[b->nq++] = tk->s[i];
		if (b->nq < 4)
			continue;
		uint8_t bytes[3];
		int n = pd_b64_decode(b->q, 4, bytes, sizeof(bytes));
		if (n < 0)
			return pd_rp_fail(p, b->qoff, "bad base64");
		b->done = n < 3;
		b->nq = 0;
		int rc = pd_rp_put(p, bytes, (size_t)n);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int pd_rp_b64_end(struct pd_rp *p, const struct pd_rp_b64 *b)
{
	if (b->nq)
		return pd_rp_fail(p, b->qoff, "base64 length not a multiple of 4");
	return 0;
}

int pd_rp_b64_field(struct pd_rp *p, const struct pd_rp_tok *tk)
{
	struct pd_rp_b64 b = {.nq = 0, .qoff = tk->off, .done = 0};
	if (tk->len == 1 && tk->s[0] == '-')
		return 0;
	int rc = pd_rp_b64_feed(p, &b, tk);
	return rc < 0 ? rc : pd_rp_b64_end(p, &b);
}

static int pd_rp_b64_rest(struct pd_rp *p)
{
	struct pd_rp_b64 b = {.nq = 0, .qoff = p->pos, .done = 0};
	struct pd_rp_tok tk;
	int rc, first = 1;

	while ((rc = pd_rp_token(p, &tk)) > 0) {
		if (tk.quoted)
			return pd_rp_fail(p, tk.off, "base64 cannot be quoted");
		if (first && tk.len == 1 && tk.s[0] == '-')
			return 0;
		first = 0;
		if ((rc = pd_rp_b64_feed(p, &b, &tk)) < 0)
			return rc;
	}
	if (rc < 0)
		return rc;
	if (first)
		return pd_rp_fail(p, p->n, "expected base64 (or - for none)");
	return pd_rp_b64_end(p, &b);
}

/* Base32hex (RFC 4648 7) without padding, either case, 1..255 octets,
 * with the bits that the last digit leaves over zero (one text per hash). */
static int pd_rp_b32hex(struct pd_rp *p, const struct pd_rp_tok *tk)
{
	size_t nbytes = tk->len * 5 / 8;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (tk->quoted || nbytes == 0 || nbytes > 255 || pd_b32hex_len(nbytes) != tk->len)
		return pd_rp_fail(p, tk->off, "bad base32hex hash length");
	uint8_t len8 = (uint8_t)nbytes;
	int rc = pd_rp_put(p, &len8, 1);
	for (size_t i = 0; i < tk->len && rc == 0; i++) {
		char c = tk->s[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'v')
			d = (unsigned)((c | 0x20) - 'a' + 10);
		else
			return pd_rp_fail(p, tk->off + i, "bad base32hex digit");
		acc = (acc << 5 | d) & 0x1fff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			uint8_t b = (uint8_t)(acc >> bits);
			rc = pd_rp_put(p, &b, 1);
		}
	}
	if (rc == 0 && (acc & ((1u << bits) - 1)))
		return pd_rp_fail(p, tk->off, "base32hex with nonzero padding bits");
	return rc;
}

/* Days from 1970-01-01 to a civil date (H. Hinnant's days_from_civil). */
static uint64_t pd_rp_days(unsigned y, unsigned m, unsigned d)
{
	y -= m <= 2;
	unsigned era = y / 400, yoe = y - era * 400;
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)era * 146097 + doe - 719468;
}

/* An RRSIG time: YYYYMMDDHHMMSS (UTC) or seconds (RFC 4034 3.2). */
static int pd_rp_time(struct pd_rp *p, const struct pd_rp_tok *tk, uint32_t *t)
{
	static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	uint32_t f[6];
	static const size_t width[6] = {4, 2, 2, 2, 2, 2};
	size_t at = 0;

	if (!tk->quoted && tk->len != 14 && pd_rp_uint(tk->s, tk->len, UINT32_MAX, t) == 0)
		return 0;
	if (tk->quoted || tk->len != 14)
		return pd_rp_fail(p, tk->off, "expected a time as YYYYMMDDHHMMSS or seconds");
	for (size_t i = 0; i < 6; i++) {
		if (pd_rp_uint(tk->s + at, width[i], 9999, &f[i]) < 0)
			return pd_rp_fail(p, tk->off, "expected a time as YYYYMMDDHHMMSS or seconds");
		at += width[i];
	}
	int leap = f[0] % 4 == 0 && (f[0] % 100 != 0 || f[0] % 400 == 0);
	if (f[0] < 1970 || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > mdays[f[1] - 1] ||
	    (f[1] == 2 && f[2] == 29 && !leap) || f[3] > 23 || f[4] > 59 || f[5] > 59)
		return pd_rp_fail(p, tk->off, "bad date or time");
	uint64_t secs = pd_rp_days(f[0], f[1], f[2]) * 86400 + f[3] * 3600u + f[4] * 60u + f[5];
	if (secs > UINT32_MAX)
		return pd_rp_fail(p, tk->off, "time after 2106-02-07 06:28:15");
	*t = (uint32_t)secs;
	return 0;
}

static int pd_rp_name(struct pd_rp *p, const struct pd_rp_tok *tk)
{
	uint8_t w[PD_DNS_NAME_MAX];

	if (tk->quoted)
		return pd_rp_fail(p, tk->off, "a name cannot be quoted");
	if (tk->len == 1 && tk->s[0] == '@')
		return pd_rp_fail(p, tk->off, "@ (the origin) is not supported");
	int n = pd_dns_name_from_text(tk->s, tk->len, w);
	if (n == PD_ENAME)
		return pd_rp_fail(p, tk->off, "name longer than 255 octets");
	if (n == PD_ELABEL)
		return pd_rp_fail(p, tk->off, "label longer than 63 octets");
	if (n < 0)
		return pd_rp_fail(p, tk->off, "bad name (empty label or bad escape)");
	return pd_rp_put(p, w, (size_t)n);
}

/* Fields of fixed size: integers, type, time, addresses. */
static int pd_rp_fixed(struct pd_rp *p, char field, const struct pd_rp_tok *tk)
{
	uint8_t b[16];
	uint32_t v = 0;
	uint16_t type;

	switch (field) {
	case '1': case '2': case '4': {
		size_t w = (size_t)(field - '0');
		uint32_t max = w == 4 ? UINT32_MAX : (1u << (8 * w)) - 1;
		if (tk->quoted || pd_rp_uint(tk->s, tk->len, max, &v) < 0)
			return pd_rp_fail(p, tk->off, "expected a number from 0 to %lu", (unsigned long)max);
		pd_put_be32(b, v);
		return pd_rp_put(p, b + 4 - w, w);
	}
	case 't':
		if (tk->quoted || pd_rr_type_from_name(tk->s, tk->len, &type) < 0)
			return pd_rp_fail(p, tk->off, "unknown type");
		pd_put_be16(b, type);
		return pd_rp_put(p, b, 2);
	case 'T':
		if (pd_rp_time(p, tk, &v) < 0)
			return PD_EMALF;
		pd_put_be32(b, v);
		return pd_rp_put(p, b, 4);
	case 'a':
		if (tk->quoted || pd_rp_ipv4(tk->s, tk->len, b) < 0)
			return pd_rp_fail(p, tk->off, "bad IPv4 address");
		return pd_rp_put(p, b, 4);
	case '6':
		if (tk->quoted || pd_rp_ipv6(tk->s, tk->len, b) < 0)
			return pd_rp_fail(p, tk->off, "bad IPv6 address");
		return pd_rp_put(p, b, 16);
	default:
		return pd_rp_name(p, tk);
	}
}

/* Length-prefixed fields: 's' character-string, 'S' salt, 'H' hash, 'g'
 * CAA tag. The length octet is written first and patched. */
static int pd_rp_counted(struct pd_rp *p, char field, const struct pd_rp_tok *tk)
{
	size_t at = p->len, n = 0;
	uint8_t zero = 0;
	int rc;

	if (field == 'H')
		return pd_rp_b32hex(p, tk);
	if ((rc = pd_rp_put(p, &zero, 1)) < 0)
		return rc;
	if (field == 's') {
		if ((rc = pd_rp_text(p, tk, 255, &n)) < 0)
			return rc;
		p->out[at] = (uint8_t)n;
		return 0;
	}
	if (tk->quoted)
		return pd_rp_fail(p, tk->off, field == 'S' ? "a salt cannot be quoted"
		                                           : "a CAA tag cannot be quoted");
	if (field == 'S') {
		int hi = -1;
		if (tk->len == 1 && tk->s[0] == '-')
			return 0;
		if ((rc = pd_rp_hex_feed(p, tk, &hi)) < 0)
			return rc;
		if (hi >= 0 || tk->len > 510)
			return pd_rp_fail(p, tk->off, hi >= 0 ? "odd number of hex digits"
			                                      : "salt longer than 255 octets");
		p->out[at] = (uint8_t)(tk->len / 2);
		return 0;
	}
	for (size_t i = 0; i < tk->len; i++) {
		char c = tk->s[i];
		if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
			return pd_rp_fail(p, tk->off + i, "a CAA tag is letters and digits");
	}
	if (tk->len < 1 || tk->len > 255)
		return pd_rp_fail(p, tk->off, "a CAA tag is 1 to 255 characters");
	p->out[at] = (uint8_t)tk->len;
	return pd_rp_put(p, tk->s, tk->len);
}

/* Fields that take the rest of the text. */
static int pd_rp_rest(struct pd_rp *p, char field)
{
	struct pd_rp_tok tk;
	size_t n;
	int rc;

	switch (field) {
	case 'x':
		if ((rc = pd_rp_hex_rest(p, 1, &n)) == 0 && n == 0)
			return pd_rp_fail(p, p->n, "expected hex (or - for none)");
		return rc;
	case 'b':
		return pd_rp_b64_rest(p);
	case 'q':
		if ((rc = pd_rp_need(p, &tk, "a quoted string")) < 0)
			return rc;
		return pd_rp_text(p, &tk, SIZE_MAX, &n);
	case 'm':
		return pd_rp_bitmap(p);
	case 'v':
		return pd_rp_svc(p);
	default: /* 'z' */
		if ((rc = pd_rp_need(p, &tk, "a character-string")) < 0)
			return rc;
		do {
			if ((rc = pd_rp_counted(p, 's', &tk)) < 0)
				return rc;
		} while ((rc = pd_rp_token(p, &tk)) > 0);
		return rc;
	}
}

static int pd_rp_field(struct pd_rp *p, char field)
{
	static const char *const what[128] = {
		['1'] = "a number", ['2'] = "a number", ['4'] = "a number", ['t'] = "a type",
		['T'] = "a time", ['a'] = "an IPv4 address", ['6'] = "an IPv6 address",
		['n'] = "a name", ['s'] = "a character-string", ['S'] = "a salt (or -)",
		['H'] = "a base32hex hash", ['g'] = "a CAA tag",
	};
	struct pd_rp_tok tk;
	const char *w = what[field & 0x7f];
	int rc;

	if (!w)
		return pd_rp_rest(p, field);
	if ((rc = pd_rp_need(p, &tk, w)) < 0)
		return rc;
	if (strchr("sSHg", field))
		return pd_rp_counted(p, field, &tk);
	return pd_rp_fixed(p, field, &tk);
}

/* Lower-cases the names of rdata that pd_rr_format accepted. */
static void pd_rp_lower_names(const char *shape, uint8_t *r, size_t n)
{
	size_t i = 0;

	for (; *shape && i < n; shape++) {
		switch (*shape) {
		case '1':
			i += 1;
			break;
		case '2': case 't':
			i += 2;
			break;
		case '4': case 'T': case 'a':
			i += 4;
			break;
		case '6':
			i += 16;
			break;
		case 's': case 'S': case 'H': case 'g':
			i += 1u + r[i];
			break;
		case 'n':
			for (; i < n && r[i]; i += 1u + r[i])
				for (size_t k = i + 1; k <= i + r[i] && k < n; k++)
					if (r[k] >= 'A' && r[k] <= 'Z')
						r[k] = (uint8_t)(r[k] + 32);
			i++;
			break;
		default:
			return; /* rest fields hold no names */
		}
	}
}

/* RFC 3597 "\# LEN HEX" (after the "\#"). */
static int pd_rp_generic(struct pd_rp *p, uint16_t type, const char *shape)
{
	struct pd_rp_tok tk;
	uint32_t len;
	size_t n;
	int rc;

	if ((rc = pd_rp_need(p, &tk, "the rdata length after \\#")) < 0)
		return rc;
	if (tk.quoted || pd_rp_uint(tk.s, tk.len, 65535, &len) < 0)
		return pd_rp_fail(p, tk.off, "expected a length from 0 to 65535 after \\#");
	size_t hex_off = p->pos, start = p->len;
	while (hex_off < p->n && pd_rp_blank(p->t[hex_off]))
		hex_off++;
	if ((rc = pd_rp_hex_rest(p, 0, &n)) < 0)
		return rc;
	if (p->len - start != len)
		return pd_rp_fail(p, tk.off, "\\# length %u does not match the %zu octets of hex",
		                  (unsigned)len, p->len - start);
	if (!shape)
		return 0;
	if (pd_rr_format(type, p->out, p->len, 0, NULL, 0) == PD_EMALF) {
		char name[16];
		pd_rr_type_name(type, name);
		return pd_rp_fail(p, hex_off, "rdata does not have the shape of %s", name);
	}
	pd_rp_lower_names(shape, p->out, p->len);
	return 0;
}

static int pd_rp_run(struct pd_rp *p, uint16_t type)
{
	const char *shape = pd_rr_shape(type);
	struct pd_rp_tok tk;
	size_t save = p->pos;
	int rc;

	for (size_t i = 0; i < p->n; i++)
		if ((uint8_t)p->t[i] < 0x20 ? p->t[i] != '\t' : p->t[i] == 0x7f)
			return pd_rp_fail(p, i, "control character in text");
	if (pd_rp_token(p, &tk) > 0 && !tk.quoted && tk.len == 2 && memcmp(tk.s, "\\#", 2) == 0) {
		rc = pd_rp_generic(p, type, shape);
	} else if (!shape) {
		char name[16];
		pd_rr_type_name(type, name);
		return pd_rp_fail(p, 0, "presentation of %s not supported, use \\# LEN HEX", name);
	} else {
		p->pos = save;
		rc = 0;
		for (size_t i = 0; shape[i] && rc == 0; i++)
			rc = pd_rp_field(p, shape[i]);
	}
	if (rc < 0)
		return rc;
	if ((rc = pd_rp_token(p, &tk)) != 0)
		return rc < 0 ? rc : pd_rp_fail(p, tk.off, "unexpected text after the rdata");
	if (shape && pd_rr_format(type, p->out, p->len, 0, NULL, 0) == PD_EMALF)
		return pd_rp_fail(p, 0, "rdata not valid for its type");
	return 0;
}

int pd_rr_parse_err(uint16_t type, const char *text, size_t len, uint8_t *out, size_t cap,
                    struct pd_rr_perr *err)
{
	struct pd_rp p = {
		.t = text, .n = len, .pos = 0, .out = out,
		.cap = cap < PD_RR_CANON_MAX ? cap : PD_RR_CANON_MAX, .len = 0,
		.short_cap = cap < PD_RR_CANON_MAX, .err = err,
	};

	if (err) {
		err->off = 0;
		err->why[0] = '\0';
	}
	int rc = pd_rp_run(&p, type);
	return rc < 0 ? rc : (int)p.len;
}

int pd_rr_parse(uint16_t type, const char *text, size_t len, uint8_t *out, size_t cap)
{
	return pd_rr_parse_err(type, text, len, out, cap, NULL);
}
