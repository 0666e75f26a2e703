#include "qmetrics.h"

#include <string.h>

#include "pd_err.h"
#include "promtext.h"

static const char *const api_names[QM__API] = { "native", "dnsdb" };
static const char *const kind_names[QM__KIND] = { "rrset", "rdata", "nxdomain", "summarize",
	                                          "other" };
static const char *const outcome_names[QM__OUTCOME] = { "complete", "limited", "timeout",
	                                                "client_error", "server_error" };
/* Bucket upper bounds in microseconds; the last is +Inf. */
static const uint64_t bucket_us[QM_BUCKETS - 1] = { 250, 500, 1000, 2500, 5000, 10000,
	25000, 50000, 100000, 250000, 500000, 1000000, 10000000 };

static enum qm_kind kind_of(const char *s)
{
	if (!strcmp(s, "rrset"))
		return QM_RRSET;
	if (!strcmp(s, "rdata"))
		return QM_RDATA;
	if (!strcmp(s, "nxdomain"))
		return QM_NXDOMAIN;
	return QM_OTHER;
}

void qmetrics_classify(const char *const *seg, unsigned nseg, enum qm_api *api,
                       enum qm_kind *kind)
{
	*api = QM_NATIVE;
	*kind = QM_OTHER;
	if (nseg >= 3 && !strcmp(seg[0], "dnsdb") && !strcmp(seg[1], "v2")) {
		*api = QM_DNSDB;
		if (!strcmp(seg[2], "summarize"))
			*kind = QM_SUMMARIZE;
		else if (!strcmp(seg[2], "lookup") && nseg >= 4)
			*kind = kind_of(seg[3]);
	} else if (nseg >= 3 && !strcmp(seg[0], "api") && !strcmp(seg[1], "v1")) {
		*kind = !strcmp(seg[2], "summarize") ? QM_SUMMARIZE : kind_of(seg[2]);
	}
}

void qmetrics_record(struct qmetrics *m, enum qm_api api, enum qm_kind kind,
                     enum qm_outcome out, uint64_t micros, uint64_t bytes)
{
	atomic_fetch_add_explicit(&m->requests[api][kind][out], 1, memory_order_relaxed);
	unsigned b = 0;
	while (b < QM_BUCKETS - 1 && micros > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&m->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->micros_sum, micros, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->bytes_sum, bytes, memory_order_relaxed);
}

static uint64_t get(const _Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

int qmetrics_render(const struct qmetrics *m, struct pd_buf *b)
{
	int rc = prom_head(b, "almanac_query_requests_total", "counter",
	                   "Query API requests by API, kind and outcome.");
	for (int a = 0; a < QM__API; a++)
		for (int k = 0; k < QM__KIND; k++)
			for (int o = 0; o < QM__OUTCOME; o++)
				rc |= pd_buf_addf(b, "almanac_query_requests_total{api=\"%s\",kind=\"%s\","
				                  "outcome=\"%s\"} %llu\n", api_names[a], kind_names[k],
				                  outcome_names[o],
				                  (unsigned long long)get(&m->requests[a][k][o]));
	rc |= prom_head(b, "almanac_query_duration_seconds", "histogram",
	                "Time to answer a query API request, from parsed request to body.");
	uint64_t cum = 0;
	for (int i = 0; i < QM_BUCKETS; i++) {
		cum += get(&m->bucket[i]);
		if (i < QM_BUCKETS - 1)
			rc |= pd_buf_addf(b, "almanac_query_duration_seconds_bucket{le=\"%g\"} %llu\n",
			                  (double)bucket_us[i] / 1e6, (unsigned long long)cum);
		else
			rc |= pd_buf_addf(b, "almanac_query_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
			                  (unsigned long long)cum);
	}
	rc |= pd_buf_addf(b, "almanac_query_duration_seconds_sum %.6f\n"
	                  "almanac_query_duration_seconds_count %llu\n",
	                  (double)get(&m->micros_sum) / 1e6, (unsigned long long)cum);
	rc |= prom_head(b, "almanac_query_sent_bytes_total", "counter",
	                "Bytes of query answers (bodies).");
	rc |= pd_buf_addf(b, "almanac_query_sent_bytes_total %llu\n",
	                  (unsigned long long)get(&m->bytes_sum));
	return rc < 0 ? PD_ELIMIT : 0;
}
