#include "apiout.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cofline.h"
#include "pd_cof.h"
#include "pd_rr.h"

void apiout_init(struct apiout *ao, struct api_resp *rs, struct sites *sites,
                 const struct query *q, int dnsdb, int humantime, size_t max_body)
{
	memset(ao, 0, sizeof(*ao));
	ao->rs = rs;
	ao->sites = sites;
	ao->q = q;
	ao->dnsdb = dnsdb;
	ao->humantime = humantime;
	ao->group_rrsets = dnsdb && q->kind == Q_RRSET;
	ao->max_body = max_body;
	pd_buf_init(&ao->rdata, 64u << 20);
	rs->status = 200;
	rs->content_type = "application/x-ndjson";
	if (dnsdb)
		pd_buf_adds(rs->body, "{\"cond\":\"begin\"}\n");
}

void apiout_fini(struct apiout *ao)
{
	pd_buf_fini(&ao->rdata);
}

void apiout_window(struct apiout *ao, uint64_t offset, uint64_t limit)
{
	ao->g_offset = offset;
	ao->g_limit = limit;
}

static void add_time(struct pd_buf *b, const char *key, int64_t t, int human)
{
	pd_buf_addf(b, ",\"%s\":", key);
	if (!human) {
		pd_buf_add_i64(b, t);
		return;
	}
	char s[32];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(s, sizeof(s), "\"%Y-%m-%d %H:%M:%S\"", &tm);
	pd_buf_adds(b, s);
}

/* The parent of the owner name: what Almanac reports as bailiwick. */
static void add_bailiwick(struct pd_buf *b, const uint8_t *name, size_t len)
{
	pd_buf_adds(b, ",\"bailiwick\":");
	if (len <= 1)
		pd_cof_name_json(b, name, len, PD_RR_FQDN);
	else
		pd_cof_name_json(b, name + 1 + name[0], len - 1 - name[0], PD_RR_FQDN);
}

/* A DNSDB object's opening: {"obj":{count, times, rrname, rrtype. */
static void obj_head(struct apiout *ao, const uint8_t *name, size_t name_len, uint16_t type,
                     uint64_t count, int64_t first_s, int64_t last_s)
{
	struct pd_buf *b = ao->rs->body;
	char tn[16];
	pd_rr_type_name(type, tn);
	pd_buf_addf(b, "{\"obj\":{\"count\":%llu", (unsigned long long)count);
	add_time(b, "time_first", first_s, ao->humantime);
	add_time(b, "time_last", last_s, ao->humantime);
	pd_buf_adds(b, ",\"rrname\":");
	pd_cof_name_json(b, name, name_len, PD_RR_FQDN);
	pd_buf_addf(b, ",\"rrtype\":\"%s\"", tn);
}

static void close_group(struct apiout *ao)
{
	struct pd_buf *b = ao->rs->body;
	if (!ao->open || ao->skip) {
		ao->open = 0;
		return;
	}
	obj_head(ao, ao->name, ao->name_len, ao->type, ao->count, ao->first_s, ao->last_s);
	add_bailiwick(b, ao->name, ao->name_len);
	pd_buf_adds(b, ",\"rdata\":[");
	pd_buf_add(b, ao->rdata.data + 1, ao->rdata.len ? ao->rdata.len - 1 : 0);
	pd_buf_adds(b, "]}}\n");
	ao->open = 0;
}

/* DNSDB rrset objects: tuples arrive sorted by name then type. The RRset's
 * count is its most-seen tuple's (Almanac counts tuples, not RRsets).
 * Returns 1 to refuse the first tuple of a group past the window. */
static int group_row(struct apiout *ao, const struct pd_obs *o)
{
	if (ao->open && (o->type != ao->type || o->name_len != ao->name_len ||
	                 memcmp(o->name, ao->name, o->name_len) != 0))
		close_group(ao);
	if (ao->rs->body->len + ao->rdata.len >= ao->max_body) {
		ao->full = 1;
		ao->skip = 1; /* an RRset cut short is left out */
		return 1;
	}
	if (!ao->open) {
		if (ao->g_limit && ao->groups >= ao->g_offset + ao->g_limit)
			return 1;
		ao->skip = ao->groups++ < ao->g_offset;
		memcpy(ao->name, o->name, o->name_len);
		ao->name_len = o->name_len;
		ao->type = o->type;
		ao->count = 0;
		ao->first_s = o->first_s;
		ao->last_s = o->last_s;
		pd_buf_reset(&ao->rdata);
		ao->open = 1;
	}
	if (o->count > ao->count)
		ao->count = o->count;
	if (o->first_s < ao->first_s)
		ao->first_s = o->first_s;
	if (o->last_s > ao->last_s)
		ao->last_s = o->last_s;
	if (!ao->skip) {
		pd_buf_addc(&ao->rdata, ',');
		pd_cof_rdata_json(&ao->rdata, o, PD_RR_FQDN);
	}
	return 0;
}

static void dnsdb_row(struct apiout *ao, const struct pd_obs *o)
{
	struct pd_buf *b = ao->rs->body;
	obj_head(ao, o->name, o->name_len, o->type, o->count, o->first_s, o->last_s);
	if (o->flags & PD_OBS_NXDOMAIN)
		pd_buf_adds(b, ",\"rcode\":\"NXDOMAIN\"");
	else {
		pd_buf_adds(b, ",\"rdata\":");
		pd_cof_rdata_json(b, o, PD_RR_FQDN);
	}
	pd_buf_adds(b, "}}\n");
}

int apiout_row(void *ctx, const struct pd_obs *o, const struct rec_val *v)
{
	struct apiout *ao = ctx;
	if (ao->group_rrsets)
		return group_row(ao, o);
	if (ao->rs->body->len >= ao->max_body) {
		ao->full = 1;
		return 1;
	}
	if (ao->dnsdb) {
		dnsdb_row(ao, o);
	} else if (ao->q->has_site) {
		/* Only the chosen site's figures, top level and in "sites". */
		struct rec_site one = { ao->q->site, o->count, o->first_s, o->last_s };
		struct rec_val sv = { o->count, o->first_s, o->last_s, 1, &one };
		cofline_write(ao->rs->body, o, &sv, ao->sites, COFLINE_SITES);
	} else {
		cofline_write(ao->rs->body, o, v, ao->sites, COFLINE_SITES);
	}
	return 0;
}

_Static_assert(QUERY_CURSOR_TEXT <= sizeof(((struct api_resp *)0)->hdr_value[0]),
               "a cursor fits in a header value");

static const char *result_text(const struct query_outcome *out)
{
	return out->result == QR_COMPLETE ? "complete" : out->result == QR_TIMEOUT ? "timeout"
	                                                                          : "limited";
}

static void add_header(struct api_resp *rs, const char *name, const char *value)
{
	if (rs->nhdr == API_HDR_MAX)
		return;
	rs->hdr_name[rs->nhdr] = name;
	snprintf(rs->hdr_value[rs->nhdr], sizeof(rs->hdr_value[0]), "%s", value);
	rs->nhdr++;
}

static void add_outcome_headers(struct apiout *ao, const struct query_outcome *out)
{
	add_header(ao->rs, "X-Almanac-Result", result_text(out));
	if (out->cursor_len && !ao->dnsdb) {
		char c[QUERY_CURSOR_TEXT];
		if (query_cursor_encode(out, c, sizeof(c)) > 0)
			add_header(ao->rs, "X-Almanac-Cursor", c);
	}
}

static void saf_end(struct apiout *ao, const struct query_outcome *out)
{
	struct pd_buf *b = ao->rs->body;
	if (out->result == QR_COMPLETE)
		pd_buf_adds(b, "{\"cond\":\"succeeded\"}\n");
	else
		pd_buf_addf(b, "{\"cond\":\"limited\",\"msg\":\"%s\"}\n",
		            out->result == QR_TIMEOUT ? "Query time limit exceeded"
		                                      : "Result limit reached");
}

void apiout_end(struct apiout *ao, const struct query_outcome *out)
{
	close_group(ao);
	add_outcome_headers(ao, out);
	if (ao->dnsdb)
		saf_end(ao, out);
}

static void summary_figures(struct apiout *ao, const struct query_outcome *out)
{
	struct pd_buf *b = ao->rs->body;
	pd_buf_addf(b, "\"count\":%llu,\"num_results\":%llu", (unsigned long long)out->count,
	            (unsigned long long)out->rows);
	if (out->rows) {
		add_time(b, "time_first", out->first_s, ao->humantime);
		add_time(b, "time_last", out->last_s, ao->humantime);
	}
}

void apiout_summary(struct apiout *ao, const struct query_outcome *out)
{
	struct pd_buf *b = ao->rs->body;
	add_outcome_headers(ao, out);
	if (ao->dnsdb) {
		pd_buf_adds(b, "{\"obj\":{");
		summary_figures(ao, out);
		pd_buf_adds(b, "}}\n");
		saf_end(ao, out);
		return;
	}
	pd_buf_reset(b);
	pd_buf_addc(b, '{');
	summary_figures(ao, out);
	pd_buf_addf(b, ",\"result\":\"%s\"}\n", result_text(out));
	ao->rs->content_type = "application/json";
}
