#include "cli_req.h"

#include <stdio.h>
#include <string.h>

#include "pd_err.h"

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int cli_pct_encode(struct pd_buf *b, const char *s, size_t n, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = pd_buf_reserve(b, n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c) || (c && keep && strchr(keep, c))) {
			rc = pd_buf_addc(b, (char)c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = pd_buf_add(b, e, 3);
		}
	}
	return rc;
}

int cli_req_segment(struct pd_buf *b, const char *s, size_t n)
{
	int rc = pd_buf_addc(b, '/');
	if (rc < 0)
		return rc;
	size_t dots = 0;
	while (dots < n && s[dots] == '.')
		dots++;
	if (dots == n) {
		for (size_t i = 0; rc == 0 && i < n; i++)
			rc = pd_buf_adds(b, "%2E");
		return rc;
	}
	return cli_pct_encode(b, s, n, "*:");
}

/* The query string under construction: '?' before the first parameter. */
struct qs {
	struct pd_buf *b;
	char sep;
};

static int param(struct qs *q, const char *key, const char *val)
{
	int rc = pd_buf_addc(q->b, q->sep);
	q->sep = '&';
	if (rc == 0)
		rc = pd_buf_adds(q->b, key);
	if (rc == 0)
		rc = pd_buf_addc(q->b, '=');
	if (rc == 0)
		rc = cli_pct_encode(q->b, val, strlen(val), NULL);
	return rc;
}

static int param_i64(struct qs *q, const char *key, int64_t v)
{
	char num[24];
	snprintf(num, sizeof(num), "%lld", (long long)v);
	return param(q, key, num);
}

int cli_req_query(struct pd_buf *b, const struct cli_query *q)
{
	struct qs s = { b, '?' };
	int rc = 0;
	if (q->has_after)
		rc = param_i64(&s, q->strict ? "time_first_after" : "time_last_after", q->after);
	if (rc == 0 && q->has_before)
		rc = param_i64(&s, q->strict ? "time_last_before" : "time_first_before", q->before);
	if (rc == 0 && q->site)
		rc = param(&s, "site", q->site);
	if (rc == 0 && q->limit)
		rc = param_i64(&s, "limit", (int64_t)q->limit);
	if (rc == 0 && q->offset)
		rc = param_i64(&s, "offset", (int64_t)q->offset);
	if (rc == 0 && q->cursor)
		rc = param(&s, "cursor", q->cursor);
	if (rc == 0 && q->no_federate)
		rc = param(&s, "federate", "0");
	return rc;
}

static const char *kind_path(enum cli_kind k)
{
	switch (k) {
	case CLI_RRSET: return "rrset";
	case CLI_RDATA_NAME: return "rdata/name";
	case CLI_RDATA_IP: return "rdata/ip";
	case CLI_RDATA_RAW: return "rdata/raw";
	case CLI_NXDOMAIN: return "nxdomain";
	case CLI_SITES: return "sites";
	}
	return "";
}

int cli_req_target(struct pd_buf *b, const struct cli_query *q)
{
	int rc = pd_buf_adds(b, "/api/v1/");
	if (rc == 0 && q->summarize && q->kind != CLI_SITES)
		rc = pd_buf_adds(b, "summarize/");
	if (rc == 0)
		rc = pd_buf_adds(b, kind_path(q->kind));
	if (q->kind == CLI_SITES)
		return rc;
	const char *s = q->name;
	size_t n = strlen(s);
	/* ADDR/LEN is two segments; ADDR-ADDR stays one. */
	const char *slash = q->kind == CLI_RDATA_IP ? memchr(s, '/', n) : NULL;
	if (rc == 0)
		rc = cli_req_segment(b, s, slash ? (size_t)(slash - s) : n);
	if (rc == 0 && slash)
		rc = cli_req_segment(b, slash + 1, n - (size_t)(slash - s) - 1);
	if (rc == 0 && q->type && q->kind != CLI_RDATA_IP)
		rc = cli_req_segment(b, q->type, strlen(q->type));
	if (rc == 0)
		rc = cli_req_query(b, q);
	return rc;
}
