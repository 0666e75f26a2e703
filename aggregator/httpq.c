#include "httpq.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "pd_err.h"

/* RFC 9110 tchar: the bytes of methods and field names. */
static const uint8_t tchar[256] = {
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
	['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1,
	['~'] = 1, ['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1,
};

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int httpq_head_len(const char *buf, size_t len, struct httpq_scan *st, size_t *head_len)
{
	size_t i = st->pos;
	/* Empty lines before the request line do not end the head. */
	while (!st->started && i < len) {
		st->started = buf[i] != '\r' && buf[i] != '\n';
		i++;
	}
	while (i < len) {
		const char *lf = memchr(buf + i, '\n', len - i);
		if (!lf) {
			i = len;
			break;
		}
		i = (size_t)(lf - buf);
		if (i + 1 >= len)
			break;
		size_t end = 0;
		if (buf[i + 1] == '\n')
			end = i + 2;
		else if (buf[i + 1] == '\r' && i + 2 >= len)
			break;
		else if (buf[i + 1] == '\r' && buf[i + 2] == '\n')
			end = i + 3;
		if (end) {
			st->pos = i;
			if (end > HTTPQ_HEAD_MAX)
				return PD_ELIMIT;
			*head_len = end;
			return 1;
		}
		i++;
	}
	st->pos = i;
	return len >= HTTPQ_HEAD_MAX ? PD_ELIMIT : 0;
}

/* The line starting at *pos within buf[0..len): its end (LF excluded, a CR
 * before it excluded) in *end; *pos moves past the LF. -1 without LF. */
static int next_line(char *buf, size_t len, size_t *pos, size_t *end)
{
	char *lf = memchr(buf + *pos, '\n', len - *pos);
	if (!lf)
		return -1;
	size_t e = (size_t)(lf - buf);
	*pos = e + 1;
	if (e > 0 && buf[e - 1] == '\r')
		e--;
	*end = e;
	return 0;
}

static int fail(const char **why, const char *text, int code)
{
	*why = text;
	return code;
}

static int parse_request_line(char *l, size_t n, struct httpq_head *h, const char **why)
{
	size_t m = 0;
	while (m < n && tchar[(uint8_t)l[m]])
		m++;
	if (m == 0 || m > 32 || m >= n || l[m] != ' ')
		return fail(why, "malformed request line", PD_EMALF);
	l[m] = 0;
	h->method = l;
	char *t = l + m + 1;
	size_t rest = n - m - 1;
	char *sp = memchr(t, ' ', rest);
	if (!sp || sp == t)
		return fail(why, "malformed request line", PD_EMALF);
	size_t tl = (size_t)(sp - t);
	for (size_t i = 0; i < tl; i++)
		if ((uint8_t)t[i] < 0x21 || t[i] == 0x7f)
			return fail(why, "control byte in the request target", PD_EMALF);
	if (tl > HTTPQ_URI_MAX)
		return fail(why, "request target longer than 8192 bytes", PD_ELIMIT);
	*sp = 0;
	h->target = t;
	h->target_len = tl;
	const char *v = sp + 1;
	size_t vl = rest - tl - 1;
	if (vl != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
	    v[7] < '0' || v[7] > '9')
		return fail(why, "malformed request line", PD_EMALF);
	if (v[5] != '1')
		return fail(why, "HTTP version not supported", PD_EVERSION);
	h->version_minor = (unsigned)(v[7] - '0');
	return 0;
}

/* Valid bytes of a field value: HT, SP, VCHAR, obs-text. */
static int field_byte_ok(uint8_t c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int parse_field(char *l, size_t n, struct httpq_head *h, const char **why)
{
	if (l[0] == ' ' || l[0] == '\t')
		return fail(why, "folded header field", PD_EMALF);
	size_t m = 0;
	while (m < n && tchar[(uint8_t)l[m]])
		m++;
	if (m == 0 || m >= n || l[m] != ':')
		return fail(why, "malformed header field", PD_EMALF);
	if (h->n_hdr == HTTPQ_HDR_MAX)
		return fail(why, "too many header fields", PD_ELIMIT);
	l[m] = 0;
	size_t b = m + 1, e = n;
	for (size_t i = b; i < e; i++)
		if (!field_byte_ok((uint8_t)l[i]))
			return fail(why, "control byte in a header field", PD_EMALF);
	while (b < e && (l[b] == ' ' || l[b] == '\t'))
		b++;
	while (e > b && (l[e - 1] == ' ' || l[e - 1] == '\t'))
		e--;
	l[e] = 0;
	h->hdr[h->n_hdr].name = l;
	h->hdr[h->n_hdr].value = l + b;
	h->n_hdr++;
	return 0;
}

int httpq_parse_head(char *buf, size_t len, struct httpq_head *h, const char **why)
{
	memset(h, 0, sizeof(*h));
	*why = "";
	size_t pos = 0, end;
	while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n'))
		pos++;
	size_t start = pos;
	if (next_line(buf, len, &pos, &end) < 0)
		return fail(why, "incomplete request head", PD_EMALF);
	if (memchr(buf + start, '\r', end - start))
		return fail(why, "malformed request line", PD_EMALF);
	int rc = parse_request_line(buf + start, end - start, h, why);
	if (rc < 0)
		return rc;
	for (;;) {
		start = pos;
		if (next_line(buf, len, &pos, &end) < 0)
			return fail(why, "incomplete request head", PD_EMALF);
		if (end == start)
			return 0;
		if (memchr(buf + start, '\r', end - start))
			return fail(why, "malformed header field", PD_EMALF);
		if ((rc = parse_field(buf + start, end - start, h, why)) < 0)
			return rc;
	}
}

const char *httpq_head_get(const struct httpq_head *h, const char *name)
{
	for (unsigned i = 0; i < h->n_hdr; i++)
		if (strcasecmp(h->hdr[i].name, name) == 0)
			return h->hdr[i].value;
	return NULL;
}

int httpq_has_token(const char *v, const char *tok)
{
	size_t tl = strlen(tok);
	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		size_t n = strcspn(v, ",");
		size_t m = n;
		while (m > 0 && (v[m - 1] == ' ' || v[m - 1] == '\t'))
			m--;
		if (m == tl && strncasecmp(v, tok, tl) == 0)
			return 1;
		v += n;
	}
	return 0;
}

int httpq_decode(const char *s, size_t n, int plus_is_space, char *out, size_t cap,
                 size_t *outlen)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3)
				return PD_EMALF;
			int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return PD_EMALF;
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0)
				return PD_EMALF;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		}
		if (o + 1 >= cap)
			return PD_ESPACE;
		out[o++] = (char)c;
	}
	if (o >= cap)
		return PD_ESPACE;
	out[o] = 0;
	*outlen = o;
	return 0;
}

/* Decoded text goes into t->store at *used. */
static int store_decoded(struct httpq_target *t, size_t *used, const char *s, size_t n,
                         int plus_is_space, struct httpq_str *out, const char **why)
{
	size_t len;
	int rc = httpq_decode(s, n, plus_is_space, t->store + *used, sizeof(t->store) - *used,
	                      &len);
	if (rc == PD_ESPACE)
		return fail(why, "request target too long", PD_ELIMIT);
	if (rc < 0)
		return fail(why, "bad percent-encoding (or %00) in the request target", PD_EMALF);
	out->s = t->store + *used;
	out->len = len;
	*used += len + 1;
	return 0;
}

static int split_path(struct httpq_target *t, size_t *used, const char *p, size_t n,
                      const char **why)
{
	if (n <= 1)
		return 0; /* "/" */
	size_t i = 1;
	for (;;) {
		const char *slash = memchr(p + i, '/', n - i);
		size_t e = slash ? (size_t)(slash - p) : n;
		if (t->n_seg == HTTPQ_SEG_MAX)
			return fail(why, "too many path segments", PD_ELIMIT);
		int rc = store_decoded(t, used, p + i, e - i, 0, &t->seg[t->n_seg], why);
		if (rc < 0)
			return rc;
		t->n_seg++;
		if (!slash)
			return 0;
		i = e + 1;
	}
}

static int split_query(struct httpq_target *t, size_t *used, const char *q, size_t n,
                       const char **why)
{
	size_t i = 0;
	while (i < n) {
		const char *amp = memchr(q + i, '&', n - i);
		size_t e = amp ? (size_t)(amp - q) : n;
		if (e > i) {
			if (t->n_param == HTTPQ_PARAM_MAX)
				return fail(why, "too many query parameters", PD_ELIMIT);
			struct httpq_param *pa = &t->param[t->n_param];
			const char *eq = memchr(q + i, '=', e - i);
			size_t ke = eq ? (size_t)(eq - q) : e;
			int rc = store_decoded(t, used, q + i, ke - i, 1, &pa->key, why);
			if (rc == 0)
				rc = store_decoded(t, used, eq ? eq + 1 : q + e, eq ? e - ke - 1 : 0, 1,
				                   &pa->val, why);
			if (rc < 0)
				return rc;
			t->n_param++;
		}
		i = e + 1;
	}
	return 0;
}

/* Start of the path of an absolute-form target ("http://host/p"), or NULL
 * when the target is not one; *skip gets the offset of the path. */
static char *absolute_path(char *target, size_t len, size_t *skip)
{
	size_t s;
	if (len >= 7 && strncasecmp(target, "http://", 7) == 0)
		s = 7;
	else if (len >= 8 && strncasecmp(target, "https://", 8) == 0)
		s = 8;
	else
		return NULL;
	size_t a = s;
	while (a < len && target[a] != '/' && target[a] != '?')
		a++;
	if (a == s)
		return NULL;
	*skip = a;
	return target + a;
}

int httpq_parse_target(struct httpq_target *t, char *target, size_t len, const char **why)
{
	t->n_seg = t->n_param = 0;
	t->path = t->query = "";
	*why = "";
	if (len > HTTPQ_URI_MAX)
		return fail(why, "request target longer than 8192 bytes", PD_ELIMIT);
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)target[i];
		if (c < 0x21 || c >= 0x7f || c == '#')
			return fail(why, "control, non-ASCII or '#' byte in the request target",
			            PD_EMALF);
	}
	char *p = target;
	size_t skip = 0;
	if (len == 0 || (target[0] != '/' && !(p = absolute_path(target, len, &skip))))
		return fail(why, "request target is not a path", PD_EMALF);
	char *q = memchr(p, '?', len - skip);
	size_t plen = q ? (size_t)(q - p) : len - skip;
	size_t qlen = q ? len - skip - plen - 1 : 0;
	if (q) {
		*q = 0;
		t->query = q + 1;
	}
	/* An absolute-form target without a path ("http://h?x") has "/". */
	t->path = plen ? p : "/";
	size_t used = 0;
	int rc = split_path(t, &used, t->path, plen ? plen : 1, why);
	if (rc == 0 && q)
		rc = split_query(t, &used, t->query, qlen, why);
	return rc;
}

const char *httpq_param_get(const struct httpq_target *t, const char *key)
{
	for (unsigned i = 0; i < t->n_param; i++)
		if (strcmp(t->param[i].key.s, key) == 0)
			return t->param[i].val.s;
	return NULL;
}
