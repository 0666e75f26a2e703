#include "pd_cof.h"

#include <string.h>

#include "pd_err.h"
#include "pd_rr.h"

/* Room reserved for a line's fixed parts: keys, three numbers, the type. */
#define COF_FIXED 192
/* First try for rdata text; larger rdata retries with the exact bound. */
#define COF_RDATA_FIRST 4096

/*
 * JSON-escapes b->data[start..len) in place. Presentation text is printable
 * ASCII (the formatter writes everything else as \DDD), so only '"' and
 * '\' need a backslash.
 */
static int cof_escape_tail(struct pd_buf *b, size_t start)
{
	size_t n = b->len - start, extra = 0;
	const uint8_t *p = b->data + start;
	if (!memchr(p, '"', n) && !memchr(p, '\\', n))
		return 0; /* the usual case, found by vectorized scans */
	for (size_t i = 0; i < n; i++)
		extra += p[i] == '"' || p[i] == '\\';
	int rc = pd_buf_reserve(b, extra);
	if (rc < 0)
		return rc;
	size_t r = b->len, w = b->len + extra;
	while (r > start) {
		uint8_t c = b->data[--r];
		b->data[--w] = c;
		if (c == '"' || c == '\\')
			b->data[--w] = '\\';
	}
	b->len += extra;
	return 0;
}

static void cof_lit(struct pd_buf *b, const char *s, size_t n)
{
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

#define COF_LIT(b, s) cof_lit((b), (s), sizeof(s) - 1)

static void cof_u64(struct pd_buf *b, uint64_t v)
{
	b->len += pd_fmt_u64((char *)b->data + b->len, v);
}

static void cof_i64(struct pd_buf *b, int64_t v)
{
	if (v < 0) {
		b->data[b->len++] = '-';
		cof_u64(b, 0 - (uint64_t)v);
	} else {
		cof_u64(b, (uint64_t)v);
	}
}

int pd_cof_name_json(struct pd_buf *b, const uint8_t *name, size_t len, unsigned flags)
{
	int rc = pd_buf_reserve(b, PD_DNS_TEXT_MAX + 2);
	if (rc < 0)
		return rc;
	b->data[b->len++] = '"';
	size_t start = b->len;
	int n = pd_rr_name_format(name, len, flags, (char *)b->data + b->len, PD_DNS_TEXT_MAX);
	if (n < 0) {
		b->len = start - 1;
		return n;
	}
	b->len += (size_t)n;
	rc = cof_escape_tail(b, start);
	if (rc == 0)
		rc = pd_buf_addc(b, '"');
	return rc;
}

int pd_cof_rdata_json(struct pd_buf *b, const struct pd_obs *o, unsigned flags)
{
	size_t first = COF_RDATA_FIRST, start = b->len + 1;
	int rc = pd_buf_reserve(b, first + 2);
	if (rc < 0)
		return rc;
	b->data[b->len++] = '"';
	int n = pd_rr_format(o->type, o->rdata, o->rdlen, flags, (char *)b->data + start, first);
	if (n == PD_ESPACE) {
		size_t cap = pd_rr_format_cap(o->rdlen);
		rc = pd_buf_reserve(b, cap + 2);
		if (rc < 0) {
			b->len = start - 1;
			return rc;
		}
		n = pd_rr_format(o->type, o->rdata, o->rdlen, flags, (char *)b->data + start, cap);
	}
	if (n < 0) {
		b->len = start - 1;
		return n;
	}
	b->len += (size_t)n;
	rc = cof_escape_tail(b, start);
	if (rc == 0)
		rc = pd_buf_addc(b, '"');
	return rc;
}

int pd_cof_begin(struct pd_buf *b, const struct pd_obs *o, unsigned flags)
{
	size_t mark = b->len;
	int rc = pd_buf_reserve(b, COF_FIXED);
	if (rc < 0)
		return rc;
	COF_LIT(b, "{\"rrname\":");
	rc = pd_cof_name_json(b, o->name, o->name_len, flags);
	if (rc == 0)
		rc = pd_buf_reserve(b, COF_FIXED);
	if (rc < 0)
		goto fail;
	COF_LIT(b, ",\"rrtype\":\"");
	b->len += pd_rr_type_name(o->type, (char *)b->data + b->len);
	if (o->flags & PD_OBS_NXDOMAIN) {
		COF_LIT(b, "\",\"rcode\":\"NXDOMAIN\"");
	} else {
		COF_LIT(b, "\",\"rdata\":");
		rc = pd_cof_rdata_json(b, o, flags);
		if (rc == 0)
			rc = pd_buf_reserve(b, COF_FIXED);
		if (rc < 0)
			goto fail;
	}
	COF_LIT(b, ",\"count\":");
	cof_u64(b, o->count);
	COF_LIT(b, ",\"time_first\":");
	cof_i64(b, o->first_s);
	COF_LIT(b, ",\"time_last\":");
	cof_i64(b, o->last_s);
	return 0;
fail:
	b->len = mark;
	return rc;
}

int pd_cof_end(struct pd_buf *b)
{
	return pd_buf_add(b, "}\n", 2);
}

int pd_cof_str_field(struct pd_buf *b, const char *key, const char *value)
{
	int rc = pd_buf_addc(b, ',');
	if (rc == 0)
		rc = pd_buf_add_json_str(b, key, strlen(key));
	if (rc == 0)
		rc = pd_buf_addc(b, ':');
	if (rc == 0)
		rc = pd_buf_add_json_str(b, value, strlen(value));
	return rc;
}
