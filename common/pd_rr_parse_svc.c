/*
 * pd_rr_parse_svc: the two fields of pd_rr_parse whose presentation order
 * is free but whose wire order is not: NSEC type lists and SVCB/HTTPS
 * parameters (RFC 9460 2.1: "MAY appear in any order").
 *
 * Type lists and mandatory key lists go through a 65536-bit set on the
 * stack (8 KiB), which also finds repeats. SvcParams are written as they
 * come and rotated into key order in place; that costs a pass over the
 * params per misplaced one, so it is allowed only for records of at most
 * PD_RP_SVC_REORDER params (real ones have a handful).
 */
#include <string.h>

#include "pd_err.h"
#include "pd_rr.h"
#include "pd_rr_int.h"
#include "pd_rr_parse_int.h"
#include "pd_wire.h"

#define PD_RP_SVC_REORDER 64

struct pd_rp_bits {
	uint8_t b[8192];
};

/* 1 when bit v was already set. */
static int pd_rp_bit_set(struct pd_rp_bits *s, unsigned v)
{
	uint8_t m = (uint8_t)(0x80u >> (v & 7));
	int had = (s->b[v >> 3] & m) != 0;
	s->b[v >> 3] |= m;
	return had;
}

int pd_rp_bitmap(struct pd_rp *p)
{
	struct pd_rp_bits set;
	struct pd_rp_tok tk;
	uint16_t type;
	int rc;

	memset(&set, 0, sizeof(set));
	while ((rc = pd_rp_token(p, &tk)) > 0) {
		if (tk.quoted || pd_rr_type_from_name(tk.s, tk.len, &type) < 0)
			return pd_rp_fail(p, tk.off, "unknown type");
		pd_rp_bit_set(&set, type); /* a repeat says nothing new */
	}
	if (rc < 0)
		return rc;
	/* RFC 4034 4.1.2: windows in order, each cut after its last type. */
	for (unsigned win = 0; win < 256; win++) {
		const uint8_t *w = set.b + win * 32;
		size_t len = 32;
		while (len > 0 && w[len - 1] == 0)
			len--;
		if (len == 0)
			continue;
		uint8_t hdr[2] = {(uint8_t)win, (uint8_t)len};
		if ((rc = pd_rp_put(p, hdr, 2)) < 0 || (rc = pd_rp_put(p, w, len)) < 0)
			return rc;
	}
	return 0;
}

static const char *const pd_rp_svc_names[] = {
	"mandatory", "alpn", "no-default-alpn", "port", "ipv4hint", "ech", "ipv6hint",
};

/* A key by name or as keyNNN (ASCII case ignored): 0 and *key, or -1. */
static int pd_rp_svc_key(const char *s, size_t n, unsigned *key)
{
	char low[16];
	uint32_t v;

	if (n == 0 || n >= sizeof(low))
		return -1;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	for (unsigned k = 0; k < sizeof(pd_rp_svc_names) / sizeof(pd_rp_svc_names[0]); k++) {
		if (strlen(pd_rp_svc_names[k]) == n && memcmp(low, pd_rp_svc_names[k], n) == 0) {
			*key = k;
			return 0;
		}
	}
	if (n < 4 || memcmp(low, "key", 3) != 0 || pd_rp_uint(low + 3, n - 3, 65535, &v) < 0)
		return -1;
	*key = v;
	return 0;
}

/* One "key" or "key=value" (the value maybe quoted). */
struct pd_rp_param {
	const char *key;
	size_t klen, koff;
	int has_value;
	struct pd_rp_tok val;
};

static int pd_rp_param_scan(struct pd_rp *p, struct pd_rp_param *pm)
{
	while (p->pos < p->n && pd_rp_blank(p->t[p->pos]))
		p->pos++;
	if (p->pos == p->n)
		return 0;
	pm->koff = p->pos;
	pm->key = p->t + p->pos;
	while (p->pos < p->n && !pd_rp_blank(p->t[p->pos]) && p->t[p->pos] != '=')
		p->pos++;
	pm->klen = p->pos - pm->koff;
	pm->has_value = p->pos < p->n && p->t[p->pos] == '=';
	if (pm->klen == 0)
		return pd_rp_fail(p, pm->koff, "expected a SvcParam key");
	if (!pm->has_value)
		return 1;
	p->pos++;
	pm->val.s = p->t + p->pos;
	pm->val.len = 0;
	pm->val.off = p->pos;
	pm->val.quoted = 0;
	if (p->pos == p->n || pd_rp_blank(p->t[p->pos]))
		return 1; /* "key=": an empty value */
	int rc = pd_rp_token(p, &pm->val);
	return rc < 0 ? rc : 1;
}

/* Splits v at commas: the next item [*i, end) and *i past its comma.
 * Returns 0 at the end of v. */
static int pd_rp_item(const struct pd_rp_tok *v, size_t *i, size_t *from, size_t *to)
{
	if (*i > v->len)
		return 0;
	*from = *i;
	while (*i < v->len && v->s[*i] != ',')
		(*i)++;
	*to = *i;
	(*i)++;
	return 1;
}

/* mandatory=key,key: the keys as a sorted list of 16-bit numbers. */
static int pd_rp_mandatory(struct pd_rp *p, const struct pd_rp_tok *v)
{
	struct pd_rp_bits set;
	size_t i = 0, from, to;
	unsigned key;
	int rc;

	memset(&set, 0, sizeof(set));
	while (pd_rp_item(v, &i, &from, &to)) {
		if (pd_rp_svc_key(v->s + from, to - from, &key) < 0)
			return pd_rp_fail(p, v->off, "unknown SvcParam key in mandatory");
		if (pd_rp_bit_set(&set, key))
			return pd_rp_fail(p, v->off, "key repeated in mandatory");
	}
	for (unsigned k = 0; k < 65536; k++) {
		if (!(set.b[k >> 3] & (0x80u >> (k & 7))))
			continue;
		uint8_t b[2];
		pd_put_be16(b, (uint16_t)k);
		if ((rc = pd_rp_put(p, b, 2)) < 0)
			return rc;
	}
	return 0;
}

/* alpn=h2,h3: ids split at unescaped commas; "\," "\\" "\DDD" as the
 * formatter writes them, any other "\X" as X. */
static int pd_rp_alpn(struct pd_rp *p, const struct pd_rp_tok *v)
{
	size_t i = 0;
	int rc;

	for (;;) {
		size_t at = p->len, cnt = 0;
		uint8_t b = 0;
		if ((rc = pd_rp_put(p, &b, 1)) < 0)
			return rc;
		while (i < v->len && v->s[i] != ',') {
			b = (uint8_t)v->s[i++];
			if (b == '\\') {
				int d = pd_rp_ddd(v->s, i - 1, v->len);
				if (i == v->len || (v->s[i] >= '0' && v->s[i] <= '9' && d < 0))
					return pd_rp_fail(p, v->off, "bad escape in alpn");
				b = d >= 0 ? (uint8_t)d : (uint8_t)v->s[i];
				i += d >= 0 ? 3 : 1;
			}
			if (++cnt > 255)
				return pd_rp_fail(p, v->off, "alpn id longer than 255 octets");
			if ((rc = pd_rp_put(p, &b, 1)) < 0)
				return rc;
		}
		if (cnt == 0)
			return pd_rp_fail(p, v->off, "empty alpn id");
		p->out[at] = (uint8_t)cnt;
		if (i == v->len)
			return 0;
		i++;
	}
}

/* ipv4hint / ipv6hint: comma-separated addresses. */
static int pd_rp_hints(struct pd_rp *p, const struct pd_rp_tok *v, int v6)
{
	size_t i = 0, from, to;
	uint8_t a[16];
	int rc;

	while (pd_rp_item(v, &i, &from, &to)) {
		int bad = v6 ? pd_rp_ipv6(v->s + from, to - from, a)
		             : pd_rp_ipv4(v->s + from, to - from, a);
		if (bad < 0)
			return pd_rp_fail(p, (size_t)(v->s + from - p->t),
			                  v6 ? "bad IPv6 address" : "bad IPv4 address");
		if ((rc = pd_rp_put(p, a, v6 ? 16 : 4)) < 0)
			return rc;
	}
	return 0;
}

static int pd_rp_svc_value(struct pd_rp *p, unsigned key, const struct pd_rp_param *pm)
{
	const struct pd_rp_tok *v = &pm->val;
	uint32_t port;
	uint8_t b[2];
	size_t n;

	if (key <= PD_SVC_IPV6HINT && key != PD_SVC_NO_DEFAULT_ALPN && key != PD_SVC_ECH &&
	    (!pm->has_value || v->len == 0))
		return pd_rp_fail(p, pm->koff, "SvcParam %s needs a value", pd_rp_svc_names[key]);
	switch (key) {
	case PD_SVC_MANDATORY:
		return pd_rp_mandatory(p, v);
	case PD_SVC_ALPN:
		return pd_rp_alpn(p, v);
	case PD_SVC_NO_DEFAULT_ALPN:
		if (pm->has_value && v->len)
			return pd_rp_fail(p, v->off, "no-default-alpn takes no value");
		return 0;
	case PD_SVC_PORT:
		if (pd_rp_uint(v->s, v->len, 65535, &port) < 0)
			return pd_rp_fail(p, v->off, "expected a port from 0 to 65535");
		pd_put_be16(b, (uint16_t)port);
		return pd_rp_put(p, b, 2);
	case PD_SVC_IPV4HINT: case PD_SVC_IPV6HINT:
		return pd_rp_hints(p, v, key == PD_SVC_IPV6HINT);
	case PD_SVC_ECH:
		return pm->has_value && v->len ? pd_rp_b64_field(p, v) : 0;
	default:
		return pm->has_value ? pd_rp_text(p, v, SIZE_MAX, &n) : 0;
	}
}

/* Reverses r[0..n). */
static void pd_rp_reverse(uint8_t *r, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		uint8_t x = r[i];
		r[i] = r[n - 1 - i];
		r[n - 1 - i] = x;
	}
}

/*
 * The param just written at [start, p->len) with this key goes into key
 * order among those at [base, start). last is the largest key so far.
 */
static int pd_rp_svc_place(struct pd_rp *p, size_t base, size_t start, unsigned key,
                           long *last, unsigned nparams, size_t off)
{
	if ((long)key > *last) {
		*last = (long)key;
		return 0;
	}
	if ((long)key == *last)
		return pd_rp_fail(p, off, "SvcParam key repeated");
	if (nparams >= PD_RP_SVC_REORDER)
		return pd_rp_fail(p, off, "more than %d SvcParams out of key order",
		                  PD_RP_SVC_REORDER);
	size_t q = base;
	while (q < start) {
		unsigned k = pd_be16(p->out + q);
		if (k == key)
			return pd_rp_fail(p, off, "SvcParam key repeated");
		if (k > key)
			break;
		q += 4u + pd_be16(p->out + q + 2);
	}
	pd_rp_reverse(p->out + q, start - q);
	pd_rp_reverse(p->out + start, p->len - start);
	pd_rp_reverse(p->out + q, p->len - q);
	return 0;
}

int pd_rp_svc(struct pd_rp *p)
{
	struct pd_rp_param pm;
	size_t base = p->len;
	unsigned nparams = 0, key;
	long last = -1;
	uint8_t *hdr = NULL;
	int rc;

	while ((rc = pd_rp_param_scan(p, &pm)) > 0) {
		if (pd_rp_svc_key(pm.key, pm.klen, &key) < 0)
			return pd_rp_fail(p, pm.koff, "unknown SvcParam key \"%.*s\"",
			                  (int)(pm.klen < 20 ? pm.klen : 20), pm.key);
		size_t start = p->len;
		if ((rc = pd_rp_room(p, 4, &hdr)) < 0)
			return rc;
		pd_put_be16(hdr, (uint16_t)key);
		if ((rc = pd_rp_svc_value(p, key, &pm)) < 0)
			return rc;
		pd_put_be16(p->out + start + 2, (uint16_t)(p->len - start - 4));
		rc = pd_rp_svc_place(p, base, start, key, &last, nparams++, pm.koff);
		if (rc < 0)
			return rc;
	}
	return rc;
}
