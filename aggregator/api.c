#include "api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apiout.h"
#include "index.h"
#include "pd_codec.h"
#include "pd_dns.h"
#include "pd_err.h"
#include "pd_rr.h"
#include "query.h"

struct api {
	struct store *store;
	struct sites *sites;
	struct api_opts o;
};

struct api *api_new(struct store *st, struct sites *sites, const struct api_opts *o)
{
	struct api *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->store = st;
	a->sites = sites;
	a->o = *o;
	if (!a->o.default_limit)
		a->o.default_limit = 10000;
	if (!a->o.max_limit)
		a->o.max_limit = 1000000;
	if (!a->o.budget_ms)
		a->o.budget_ms = 10000;
	if (!a->o.max_body)
		a->o.max_body = 256u << 20;
	return a;
}

void api_free(struct api *a)
{
	free(a);
}

void api_error(struct api_resp *rs, int status, int dnsdb, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rs->status = status;
	rs->content_type = dnsdb ? "application/x-ndjson" : "application/json";
	pd_buf_reset(rs->body);
	if (dnsdb) {
		pd_buf_adds(rs->body, "{\"cond\":\"failed\",\"msg\":");
		pd_buf_add_json_str(rs->body, msg, strlen(msg));
		pd_buf_adds(rs->body, "}\n");
	} else {
		pd_buf_adds(rs->body, "{\"error\":");
		pd_buf_add_json_str(rs->body, msg, strlen(msg));
		pd_buf_adds(rs->body, "}\n");
	}
}

static const char *param(const struct api_req *rq, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < rq->nparam; i++)
		if (strcmp(rq->key[i], name) == 0)
			v = rq->val[i]; /* the last one wins */
	return v;
}

/* Decimal digits with an optional '-': no spaces, no '+', no overflow. */
static int parse_i64(const char *s, int64_t *out)
{
	char *end;
	const char *d = s && *s == '-' ? s + 1 : s;
	if (!d || *d < '0' || *d > '9')
		return PD_EMALF;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno == ERANGE)
		return PD_EMALF;
	*out = v;
	return 0;
}

/* DNSDB's booleans: true/false (or 1/0), absent means dflt. */
static int parse_bool(const char *s, int dflt, int *out)
{
	if (!s)
		*out = dflt;
	else if (!strcasecmp(s, "true") || !strcmp(s, "1"))
		*out = 1;
	else if (!strcasecmp(s, "false") || !strcmp(s, "0"))
		*out = 0;
	else
		return PD_EMALF;
	return 0;
}

/* NAME, *.ZONE or LABELS.* with an optional trailing dot. */
static int parse_name(const char *text, struct query *q)
{
	size_t n = strlen(text);
	const char *p = text;
	q->wild = QW_NONE;
	if (n >= 2 && p[0] == '*' && p[1] == '.') {
		q->wild = QW_LEFT;
		p += 2;
		n -= 2;
	} else if (n >= 2 && p[n - 1] == '*' && p[n - 2] == '.') {
		q->wild = QW_RIGHT;
		n -= 2;
	} else if (n >= 3 && p[n - 1] == '.' && p[n - 2] == '*' && p[n - 3] == '.') {
		q->wild = QW_RIGHT;
		n -= 3;
	}
	if (n == 0 || memchr(p, '*', n))
		return PD_EMALF;
	int l = pd_dns_name_from_text(p, n, q->name);
	if (l < 0 || (q->wild != QW_NONE && l == 1))
		return PD_EMALF;
	q->name_len = (size_t)l;
	return 0;
}

static int parse_type(const char *text, int32_t *type)
{
	uint16_t t;
	if (!text || !strcasecmp(text, "ANY"))
		*type = Q_TYPE_ANY;
	else if (!strcasecmp(text, "ANY-DNSSEC"))
		*type = Q_TYPE_ANY_DNSSEC;
	else if (pd_rr_type_from_name(text, strlen(text), &t) == 0)
		*type = t;
	else
		return PD_EMALF;
	return 0;
}

/* ADDR, ADDR + prefix length, or ADDR-ADDR into the query's range;
 * IPv4-mapped IPv6 counts as IPv4. */

static int parse_addr(const char *text, uint8_t *fam, uint8_t *out)
{
	uint8_t a6[16];
	if (inet_pton(AF_INET, text, out) == 1) {
		*fam = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a6) != 1)
		return PD_EMALF;
	if (memcmp(a6, index_v4mapped, 12) == 0) {
		memcpy(out, a6 + 12, 4);
		*fam = 4;
	} else {
		memcpy(out, a6, 16);
		*fam = 6;
	}
	return 0;
}

static int parse_ip(const char *addr, const char *plen, struct query *q)
{
	char buf[128];
	const char *dash = strchr(addr, '-');
	if (dash) {
		uint8_t f2;
		size_t n = (size_t)(dash - addr);
		if (n >= sizeof(buf) || plen)
			return PD_EMALF;
		memcpy(buf, addr, n);
		buf[n] = 0;
		if (parse_addr(buf, &q->ip_family, q->ip_lo) < 0 ||
		    parse_addr(dash + 1, &f2, q->ip_hi) < 0 || f2 != q->ip_family)
			return PD_EMALF;
		return memcmp(q->ip_lo, q->ip_hi, q->ip_family == 4 ? 4 : 16) <= 0 ? 0 : PD_EMALF;
	}
	if (parse_addr(addr, &q->ip_family, q->ip_lo) < 0)
		return PD_EMALF;
	int bits = q->ip_family == 4 ? 32 : 128;
	int64_t pl = bits;
	if (plen && (parse_i64(plen, &pl) < 0 || pl < 0 || pl > 128))
		return PD_EMALF;
	if (plen && q->ip_family == 4 && strchr(addr, ':')) {
		/* A mapped address's prefix counts in IPv6 bits: ::ffff:10.0.0.0/104
		 * is 10/8; one shorter than /96 reaches past the mapped block and
		 * is an IPv6 prefix. */
		if (pl >= 96) {
			pl -= 96;
		} else {
			memmove(q->ip_lo + 12, q->ip_lo, 4);
			memcpy(q->ip_lo, index_v4mapped, 12);
			q->ip_family = 6;
			bits = 128;
		}
	}
	if (pl > bits)
		return PD_EMALF;
	size_t alen = (size_t)bits / 8;
	for (size_t i = 0; i < alen; i++) {
		int keep = (int)pl - (int)i * 8;
		unsigned mask = keep >= 8 ? 0xffu : keep <= 0 ? 0u : (0xffu << (8 - keep)) & 0xffu;
		q->ip_hi[i] = (uint8_t)(q->ip_lo[i] | (~mask & 0xffu));
		q->ip_lo[i] = (uint8_t)(q->ip_lo[i] & mask);
	}
	return 0;
}

static const char *const fence_names[QF__COUNT] = {
	[QF_FIRST_BEFORE] = "time_first_before", [QF_FIRST_AFTER] = "time_first_after",
	[QF_LAST_BEFORE] = "time_last_before", [QF_LAST_AFTER] = "time_last_after",
};

/* limit, offset and (summaries) max_count. Writes the error for a bad one. */
static int parse_counts(struct api *a, const struct api_req *rq, struct query *q, int dnsdb,
                        int summarize, struct api_resp *rs)
{
	static const char *const names[] = { "limit", "offset", "max_count" };
	int64_t v[3] = { (int64_t)a->o.default_limit, 0, 0 };
	for (int i = 0; i < (summarize ? 3 : 2); i++) {
		const char *t = param(rq, names[i]);
		if (t && (parse_i64(t, &v[i]) < 0 || v[i] < 0)) {
			api_error(rs, 400, dnsdb, "%s: '%s' is not a count", names[i], t);
			return PD_EMALF;
		}
	}
	/* 0 asks for the most the server gives (DNSDB's convention) */
	if (v[0] == 0 || (uint64_t)v[0] > a->o.max_limit)
		v[0] = (int64_t)a->o.max_limit;
	q->limit = (uint64_t)v[0];
	q->offset = (uint64_t)v[1];
	q->max_count = (uint64_t)v[2];
	return 0;
}

/* The parameters every lookup shares. Writes the error for a bad one. */
static int parse_common(struct api *a, const struct api_req *rq, struct query *q, int dnsdb,
                        int summarize, struct api_resp *rs, struct query_cursor *cursor)
{
	int64_t now = (int64_t)time(NULL), v;
	for (int f = 0; f < QF__COUNT; f++) {
		const char *t = param(rq, fence_names[f]);
		if (!t)
			continue;
		if (parse_i64(t, &v) < 0) {
			api_error(rs, 400, dnsdb, "%s: '%s' is not epoch seconds", fence_names[f], t);
			return PD_EMALF;
		}
		q->has_fence[f] = 1;
		q->fence[f] = v < 0 ? now + v : v;
	}
	const char *site = param(rq, "site");
	if (site && !sites_lookup(a->sites, site, &q->site)) {
		api_error(rs, 400, dnsdb, "unknown site '%s'", site);
		return PD_EMALF;
	}
	q->has_site = site != NULL;
	if (parse_counts(a, rq, q, dnsdb, summarize, rs) < 0)
		return PD_EMALF;
	q->budget_ms = a->o.budget_ms;
	const char *c = param(rq, "cursor");
	if (c && query_cursor_decode(c, strlen(c), cursor) < 0) {
		api_error(rs, 400, dnsdb, "cursor: not one this server gave");
		return PD_EMALF;
	}
	q->cursor = c ? cursor : NULL;
	return 0;
}

/* humantime (default false) and aggr (default true; both values give the
 * same objects here). Writes the error for a bad one. */
static int parse_flags(const struct api_req *rq, int dnsdb, struct api_resp *rs, int *human)
{
	static const char *const names[] = { "humantime", "aggr" };
	int v[2];
	for (int i = 0; i < 2; i++) {
		const char *t = param(rq, names[i]);
		if (parse_bool(t, i == 1, &v[i]) < 0) {
			api_error(rs, 400, dnsdb, "%s: '%s' is not true or false", names[i], t);
			return PD_EMALF;
		}
	}
	*human = v[0];
	return 0;
}

/* Runs a parsed lookup or summary and writes its answer. */
static void api_run(struct api *a, const struct api_req *rq, struct api_resp *rs,
                    struct query *q, int dnsdb, int summarize)
{
	struct query_cursor *cursor = malloc(sizeof(*cursor));
	struct query_outcome *out = malloc(sizeof(*out));
	int human;
	if (!cursor || !out) {
		api_error(rs, 503, dnsdb, "out of memory");
	} else if (parse_common(a, rq, q, dnsdb, summarize, rs, cursor) == 0 &&
	           parse_flags(rq, dnsdb, rs, &human) == 0) {
		struct apiout ao;
		apiout_init(&ao, rs, a->sites, q, dnsdb, human, a->o.max_body);
		if (ao.group_rrsets && !summarize) {
			/* DNSDB counts RRsets: apiout applies limit and offset to them */
			apiout_window(&ao, q->offset, q->limit);
			q->offset = q->limit = 0;
		}
		int rc = query_run(a->store, q, summarize ? NULL : apiout_row, &ao, out);
		if (rc == PD_EMALF)
			api_error(rs, 400, dnsdb, "the cursor belongs to another query");
		else if (rc < 0)
			api_error(rs, 503, dnsdb, "the store cannot answer now (%s)", pd_strerror(rc));
		else if (summarize)
			apiout_summary(&ao, out);
		else
			apiout_end(&ao, out);
		apiout_fini(&ao);
	}
	free(cursor);
	free(out);
}

/* [name NAME | ip ADDR...] [TYPE]: the shape shared by both APIs. */
static int parse_target(const char *const *seg, size_t n, struct query *q, int dnsdb,
                        struct api_resp *rs)
{
	const char *type = NULL;
	if (q->kind == Q_RDATA_IP) {
		const char *addr = seg[0], *plen = n > 1 ? seg[1] : NULL;
		char buf[128];
		const char *comma = dnsdb ? strchr(addr, ',') : NULL;
		if (comma && (size_t)(comma - addr) < sizeof(buf) && n == 1) {
			memcpy(buf, addr, (size_t)(comma - addr));
			buf[comma - addr] = 0;
			plen = comma + 1;
			addr = buf;
		}
		if (n > 2 || (dnsdb && n > 1) || parse_ip(addr, plen, q) < 0) {
			api_error(rs, 400, dnsdb, "expected an address, ADDR/LEN or ADDR-ADDR");
			return PD_EMALF;
		}
		q->type = Q_TYPE_ANY;
		return 0;
	}
	if (n == 0 || parse_name(seg[0], q) < 0) {
		api_error(rs, 400, dnsdb, "'%s' is not a name (NAME, *.ZONE or LABELS.*)",
		          n ? seg[0] : "");
		return PD_EMALF;
	}
	if (q->kind == Q_NXDOMAIN && q->wild == QW_RIGHT) {
		api_error(rs, 400, dnsdb, "negative lookups take NAME or *.ZONE");
		return PD_EMALF;
	}
	if (n > 1)
		type = seg[1];
	if (parse_type(type, &q->type) < 0) {
		api_error(rs, 400, dnsdb, "'%s' is not an RR type", type);
		return PD_EMALF;
	}
	if (n > 3 || (n > 2 && !(dnsdb && q->kind == Q_RRSET))) {
		api_error(rs, 400, dnsdb, "too many path segments");
		return PD_EMALF;
	}
	if (n > 2) {
		int l = pd_dns_name_from_text(seg[2], strlen(seg[2]), q->bailiwick);
		if (l < 0) {
			api_error(rs, 400, dnsdb, "'%s' is not a bailiwick", seg[2]);
			return PD_EMALF;
		}
		q->bailiwick_len = (size_t)l;
		q->has_bailiwick = 1;
	}
	return 0;
}

/*
 * rrset/raw/HEX[/TYPE] and rdata/raw/HEX[/TYPE]: wire bytes in hex. An
 * owner is one uncompressed name. Rdata is answered from the indexes:
 * canonicalized as its type's, found under its address (A, AAAA) or under
 * the first name it carries (NS, CNAME, MX, SRV, ...), and matched whole.
 * Without TYPE, 4 and 16 bytes are an A and an AAAA address, anything else
 * must be one name (the rdata of NS, CNAME, PTR, DNAME and their kind).
 */
struct raw_bufs {
	uint8_t raw[4096]; /* what a request-target can carry in hex */
	uint8_t canon[PD_RR_CANON_MAX];
};

static int parse_raw(const char *const *seg, size_t n, struct query *q, struct raw_bufs *b,
                     int dnsdb, struct api_resp *rs)
{
	const char *type = n > 1 ? seg[1] : NULL;
	uint8_t *raw = b->raw, *canon = b->canon;
	int len = n > 2 ? PD_EMALF : pd_hex_decode(seg[0], strlen(seg[0]), raw, sizeof(b->raw));
	if (len <= 0) {
		api_error(rs, 400, dnsdb, n > 2 ? "too many path segments"
		                                : "expected wire bytes in hex (at most %zu bytes)",
		          sizeof(b->raw));
		return PD_EMALF;
	}
	if (parse_type(type, &q->type) < 0) {
		api_error(rs, 400, dnsdb, "'%s' is not an RR type", type);
		return PD_EMALF;
	}
	size_t pos = 0;
	q->wild = QW_NONE;
	if (q->kind == Q_RRSET) {
		int l = pd_dns_name_unpack(raw, (size_t)len, &pos, q->name);
		if (l < 0 || pos != (size_t)len) {
			api_error(rs, 400, dnsdb, "the bytes are not one uncompressed name");
			return PD_EMALF;
		}
		q->name_len = (size_t)l;
		return 0;
	}
	uint16_t t = q->type >= 0 ? (uint16_t)q->type : len == 4 ? PD_T_A : len == 16 ? PD_T_AAAA : 0;
	int cl;
	if (t == 0) {
		/* no type: one name, the rdata of the types that are just a name */
		cl = pd_dns_name_unpack(raw, (size_t)len, &pos, canon);
		if (cl < 0 || pos != (size_t)len) {
			api_error(rs, 400, dnsdb, "give the RR type of raw rdata that is not an address "
			                          "or one name");
			return PD_EMALF;
		}
	} else if ((cl = pd_rr_canon(t, raw, (size_t)len, 0, (size_t)len, canon,
	                             sizeof(b->canon))) < 0) {
		char tn[24];
		pd_rr_type_name(t, tn);
		api_error(rs, 400, dnsdb, "the bytes are not %s rdata", tn);
		return PD_EMALF;
	}
	if (q->type < 0 && t != 0)
		q->type = t; /* an address is only an address of its own type */
	q->rdata_eq = canon;
	q->rdata_eq_len = (size_t)cl;
	if ((t == PD_T_A && cl == 4) || (t == PD_T_AAAA && cl == 16)) {
		int v4 = cl == 4 || memcmp(canon, index_v4mapped, 12) == 0;
		q->kind = Q_RDATA_IP;
		q->ip_family = v4 ? 4 : 6;
		memcpy(q->ip_lo, canon + (cl == 16 && v4 ? 12 : 0), v4 ? 4 : 16);
		memcpy(q->ip_hi, q->ip_lo, 16);
		return 0;
	}
	size_t noff = 0, nlen = (size_t)cl;
	if (t != 0 && pd_rr_rdata_names(t, canon, (size_t)cl, &noff, &nlen, 1) < 1) {
		char tn[24];
		pd_rr_type_name(t, tn);
		api_error(rs, 501, dnsdb, "raw rdata of type %s is not indexed (raw lookups answer "
		                          "addresses and rdata that carries names)", tn);
		return PD_EMALF;
	}
	memcpy(q->name, canon + noff, nlen);
	q->name_len = nlen;
	return 0;
}

/* rrset NAME.., rdata name NAME.., rdata ip ADDR.., nxdomain NAME.. */
static void api_lookup(struct api *a, const struct api_req *rq, struct api_resp *rs,
                       const char *const *seg, size_t n, int dnsdb, int summarize)
{
	struct query *q = calloc(1, sizeof(*q));
	size_t used = 0;
	if (!q) {
		api_error(rs, 503, dnsdb, "out of memory");
		return;
	}
	if (n >= 2 && !strcmp(seg[0], "rrset") && dnsdb && !strcmp(seg[1], "name"))
		q->kind = Q_RRSET, used = 2;
	else if (n >= 1 && !strcmp(seg[0], "rrset") && !dnsdb)
		q->kind = Q_RRSET, used = 1;
	else if (n >= 2 && !strcmp(seg[0], "rdata") && !strcmp(seg[1], "name"))
		q->kind = Q_RDATA_NAME, used = 2;
	else if (n >= 2 && !strcmp(seg[0], "rdata") && !strcmp(seg[1], "ip"))
		q->kind = Q_RDATA_IP, used = 2;
	else if (n >= 1 && !strcmp(seg[0], "nxdomain") && !dnsdb)
		q->kind = Q_NXDOMAIN, used = 1;
	else
		used = 0;
	/* rrset/raw is DNSDB's only: the native rrset/raw/.. is a name "raw" */
	int rrset_raw = dnsdb && n >= 2 && !strcmp(seg[0], "rrset") && !strcmp(seg[1], "raw");
	int rdata_raw = n >= 2 && !strcmp(seg[0], "rdata") && !strcmp(seg[1], "raw");
	struct raw_bufs *rb = NULL;
	if (rrset_raw || rdata_raw) {
		q->kind = rrset_raw ? Q_RRSET : Q_RDATA_NAME;
		used = 2;
	}
	if (!used || n == used)
		api_error(rs, used ? 400 : 404, dnsdb, used ? "the path names nothing to look up"
		                                            : "no such lookup");
	else if ((rrset_raw || rdata_raw) && !(rb = malloc(sizeof(*rb))))
		api_error(rs, 503, dnsdb, "out of memory");
	else if ((rb ? parse_raw(seg + used, n - used, q, rb, dnsdb, rs)
	             : parse_target(seg + used, n - used, q, dnsdb, rs)) == 0)
		api_run(a, rq, rs, q, dnsdb, summarize);
	free(rb);
	free(q);
}

static void api_dnsdb(struct api *a, const struct api_req *rq, struct api_resp *rs)
{
	const char *const *seg = rq->seg + 2;
	size_t n = rq->nseg - 2;
	if (n == 1 && !strcmp(seg[0], "ping")) {
		rs->status = 200;
		rs->content_type = "application/json";
		pd_buf_adds(rs->body, "{\"ping\":\"ok\"}\n");
	} else if (n == 1 && !strcmp(seg[0], "rate_limit")) {
		rs->status = 200;
		rs->content_type = "application/json";
		pd_buf_adds(rs->body, "{\"rate\":{\"reset\":\"n/a\",\"limit\":\"unlimited\","
		                      "\"remaining\":\"n/a\"}}\n");
	} else if (n >= 1 && (!strcmp(seg[0], "lookup") || !strcmp(seg[0], "summarize"))) {
		api_lookup(a, rq, rs, seg + 1, n - 1, 1, !strcmp(seg[0], "summarize"));
	} else {
		api_error(rs, 404, 1, "no such DNSDB endpoint");
	}
}

void api_handle(struct api *a, const struct api_req *rq, struct api_resp *rs)
{
	rs->status = 0;
	rs->nhdr = 0;
	if (rq->nseg >= 2 && !strcmp(rq->seg[0], "dnsdb") && !strcmp(rq->seg[1], "v2")) {
		api_dnsdb(a, rq, rs);
	} else if (rq->nseg >= 3 && !strcmp(rq->seg[0], "api") && !strcmp(rq->seg[1], "v1")) {
		int summ = !strcmp(rq->seg[2], "summarize");
		api_lookup(a, rq, rs, rq->seg + 2 + summ, rq->nseg - 2 - (size_t)summ, 0, summ);
	} else {
		api_error(rs, 404, 0, "no such path");
	}
}
