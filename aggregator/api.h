/*
 * api: the query APIs of docs/api.md on top of the query engine: routes a
 * parsed request (path segments, query parameters) to a query, runs it and
 * writes the answer: COF JSON lines (native) or SAF-framed DNSDB objects.
 * Independent of the HTTP transport (httpd.c hands requests in).
 * Thread-safe: any number of requests at once.
 */
#ifndef AGG_API_H
#define AGG_API_H

#include <stddef.h>
#include <stdint.h>

#include "pd_buf.h"
#include "sites.h"
#include "store.h"

struct api_opts {
	uint64_t default_limit; /* 0: 10000 */
	uint64_t max_limit;     /* 0: 1000000 */
	uint64_t budget_ms;     /* per query; 0: 10000 */
	size_t max_body;        /* answer bytes; 0: 256 MiB */
};

struct api_req {
	const char *const *seg; /* decoded path segments ("api", "v1", ...) */
	size_t nseg;
	const char *const *key, *const *val; /* decoded query parameters */
	size_t nparam;
};

#define API_HDR_MAX 4

struct api_resp {
	int status;
	const char *content_type;
	struct pd_buf *body;                /* the caller's, empty on entry */
	const char *hdr_name[API_HDR_MAX];  /* extra headers (static names) */
	char hdr_value[API_HDR_MAX][1024];
	size_t nhdr;
};

struct api;

struct api *api_new(struct store *st, struct sites *sites, const struct api_opts *o);
void api_free(struct api *a);

void api_handle(struct api *a, const struct api_req *rq, struct api_resp *rs);

/* Sets a JSON error answer: {"error":...} (or SAF failed under /dnsdb/). */
void api_error(struct api_resp *rs, int status, int dnsdb, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
