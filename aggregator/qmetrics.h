/*
 * qmetrics: what the query APIs did, for /metrics: requests by API, kind
 * and outcome, and a latency histogram. Relaxed atomics: any thread
 * records, any thread renders; each counter is exact.
 */
#ifndef AGG_QMETRICS_H
#define AGG_QMETRICS_H

#include <stdatomic.h>
#include <stdint.h>

#include "pd_buf.h"

enum qm_api { QM_NATIVE, QM_DNSDB, QM__API };
enum qm_kind { QM_RRSET, QM_RDATA, QM_NXDOMAIN, QM_SUMMARIZE, QM_OTHER, QM__KIND };
/* complete, limited (limit or size), timeout (budget), client error, server error */
enum qm_outcome { QM_COMPLETE, QM_LIMITED, QM_TIMEOUT, QM_CLIENT_ERR, QM_SERVER_ERR,
                  QM__OUTCOME };

#define QM_BUCKETS 14 /* upper bounds in qmetrics.c, +Inf last */

struct qmetrics {
	_Atomic uint64_t requests[QM__API][QM__KIND][QM__OUTCOME];
	_Atomic uint64_t bucket[QM_BUCKETS]; /* not cumulative; rendering sums */
	_Atomic uint64_t micros_sum;
	_Atomic uint64_t bytes_sum;
};

/* Classifies a request by its decoded path segments. */
void qmetrics_classify(const char *const *seg, unsigned nseg, enum qm_api *api,
                       enum qm_kind *kind);
void qmetrics_record(struct qmetrics *m, enum qm_api api, enum qm_kind kind,
                     enum qm_outcome out, uint64_t micros, uint64_t bytes);
/* Prometheus text: almanac_query_requests_total{api,kind,outcome},
 * almanac_query_duration_seconds (histogram), almanac_query_sent_bytes_total. */
int qmetrics_render(const struct qmetrics *m, struct pd_buf *b);

#endif
