#include "aggweb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pd_err.h"
#include "promtext.h"
#include "qmetrics.h"


struct aggweb {
	struct httpd *httpd;
	struct api *api;
	struct health *health;
	struct store *store;
	const struct agg_stats *stats;
	struct qmetrics qm;
};

static int http_metrics(struct pd_buf *b, const struct httpd_stats *s)
{
	int rc = 0;
	prom_head(b, "almanac_http_responses_total", "counter", "HTTP responses by status class.");
	const uint64_t by[] = { s->status_2xx, s->status_3xx, s->status_4xx, s->status_5xx };
	for (int i = 0; i < 4; i++)
		rc |= pd_buf_addf(b, "almanac_http_responses_total{code=\"%dxx\"} %llu\n", i + 2,
		                  (unsigned long long)by[i]);
	const struct { const char *name, *type, *help; uint64_t v; } m[] = {
		{ "almanac_http_requests_total", "counter", "HTTP requests answered.", s->requests },
		{ "almanac_http_unauthorized_total", "counter",
		  "Requests refused for a missing or unknown API key.", s->unauthorized },
		{ "almanac_http_bad_requests_total", "counter",
		  "Malformed requests the transport refused (400, 405).", s->bad_requests },
		{ "almanac_http_busy_total", "counter",
		  "Requests answered 503 because the workers' queue was full.", s->busy },
		{ "almanac_http_connections_accepted_total", "counter", "Connections accepted.",
		  s->conns_accepted },
		{ "almanac_http_connections_refused_total", "counter",
		  "Connections refused over the connection cap.", s->conns_refused },
		{ "almanac_http_connections_timed_out_total", "counter",
		  "Connections closed for idleness or a stalled client.", s->conns_timed_out },
		{ "almanac_http_connections", "gauge", "Connections open.", s->conns_active },
		{ "almanac_http_sent_bytes_total", "counter", "Bytes sent.", s->bytes_out },
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		prom_head(b, m[i].name, m[i].type, m[i].help);
		rc |= pd_buf_addf(b, "%s %llu\n", m[i].name, (unsigned long long)m[i].v);
	}
	return rc < 0 ? PD_ELIMIT : 0;
}

static int store_metrics(struct store *st, struct pd_buf *b)
{
	static const uint8_t lo[1] = { 0 }, hi[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		                                      0xff };
	struct pd_buf prop;
	pd_buf_init(&prop, 64);
	unsigned long long mem = 0;
	if (store_property(st, "leveldb.approximate-memory-usage", &prop) == 0)
		mem = strtoull(pd_buf_cstr(&prop), NULL, 10);
	pd_buf_fini(&prop);
	prom_head(b, "almanac_store_disk_bytes", "gauge",
	          "Approximate bytes the store takes on disk (LevelDB's estimate).");
	int rc = pd_buf_addf(b, "almanac_store_disk_bytes %llu\n",
	                     (unsigned long long)store_approximate_size(st, lo, 0, hi, sizeof(hi)));
	prom_head(b, "almanac_store_memory_bytes", "gauge",
	          "LevelDB's memtables and block cache in use.");
	rc |= pd_buf_addf(b, "almanac_store_memory_bytes %llu\n", mem);
	return rc < 0 ? PD_ELIMIT : 0;
}

static int web_metrics(struct aggweb *w, struct pd_buf *b, int64_t now)
{
	struct httpd_stats hs;
	httpd_stats(w->httpd, &hs);
	int rc = health_metrics(w->health, b, now);
	if (rc == 0)
		rc = astats_metrics(w->stats, b);
	if (rc == 0)
		rc = store_metrics(w->store, b);
	if (rc == 0)
		rc = qmetrics_render(&w->qm, b);
	return rc < 0 ? rc : http_metrics(b, &hs);
}

/* The paths health answers; 0 when the path is not one of them. */
static int web_health(struct aggweb *w, const struct httpd_req *rq, struct httpd_resp *rs)
{
	const struct httpq_str *seg = rq->seg;
	int64_t now = (int64_t)time(NULL);
	int rc;
	if (rq->n_seg == 0) {
		rs->content_type = "text/html; charset=utf-8";
		rc = health_page(w->health, &rs->body, now);
	} else if (rq->n_seg == 1 && !strcmp(seg[0].s, "metrics")) {
		rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
		rc = web_metrics(w, &rs->body, now);
	} else if (rq->n_seg == 3 && !strcmp(seg[0].s, "api") && !strcmp(seg[1].s, "v1") &&
	           !strcmp(seg[2].s, "sites")) {
		rc = health_sites_json(w->health, &rs->body, now);
	} else {
		return 0;
	}
	httpd_resp_header(rs, "Cache-Control", "no-store");
	if (rc < 0) {
		pd_buf_reset(&rs->body);
		httpd_resp_error(rs, rq->path, 500, "cannot render the health report");
	}
	return 1;
}

static void web_handle(void *ctx, const struct httpd_req *rq, struct httpd_resp *rs)
{
	struct aggweb *w = ctx;
	if (web_health(w, rq, rs))
		return;
	const char *seg[HTTPQ_SEG_MAX], *key[HTTPQ_PARAM_MAX], *val[HTTPQ_PARAM_MAX];
	for (unsigned i = 0; i < rq->n_seg && i < HTTPQ_SEG_MAX; i++)
		seg[i] = rq->seg[i].s;
	for (unsigned i = 0; i < rq->n_param && i < HTTPQ_PARAM_MAX; i++) {
		key[i] = rq->param[i].key.s;
		val[i] = rq->param[i].val.s;
	}
	struct api_req ar = { .seg = seg, .nseg = rq->n_seg, .key = key, .val = val,
		.nparam = rq->n_param };
	struct api_resp as = { .body = &rs->body };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	api_handle(w->api, &ar, &as);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	rs->status = as.status;
	if (as.content_type)
		rs->content_type = as.content_type;
	enum qm_outcome out = as.status >= 500 ? QM_SERVER_ERR
	                    : as.status >= 400 ? QM_CLIENT_ERR : QM_COMPLETE;
	for (size_t i = 0; i < as.nhdr; i++) {
		httpd_resp_header(rs, as.hdr_name[i], as.hdr_value[i]);
		if (out == QM_COMPLETE && !strcmp(as.hdr_name[i], "X-Almanac-Result"))
			out = !strcmp(as.hdr_value[i], "timeout") ? QM_TIMEOUT
			    : !strcmp(as.hdr_value[i], "limited") ? QM_LIMITED : QM_COMPLETE;
	}
	enum qm_api api;
	enum qm_kind kind;
	qmetrics_classify(seg, rq->n_seg, &api, &kind);
	int64_t us = (t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
	qmetrics_record(&w->qm, api, kind, out, (uint64_t)us, rs->body.len);
}

int aggweb_start(struct aggweb **out, const struct httpd_opts *o, struct api *api,
                 struct health *health, struct store *store, const struct agg_stats *stats,
                 char *err, size_t errlen)
{
	struct aggweb *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	w->api = api;
	w->health = health;
	w->store = store;
	w->stats = stats;
	int rc = httpd_start(&w->httpd, o, web_handle, w, err, errlen);
	if (rc < 0) {
		free(w);
		return rc;
	}
	*out = w;
	return 0;
}

int aggweb_reload(struct aggweb *w, char *err, size_t errlen)
{
	return httpd_reload_keys(w->httpd, err, errlen);
}

int aggweb_port(const struct aggweb *w)
{
	return httpd_port(w->httpd);
}

void aggweb_stop(struct aggweb *w)
{
	if (!w)
		return;
	httpd_stop(w->httpd);
	free(w);
}
