/*
 * httpd: the HTTP/1.1 transport of the query API (docs/api.md "Access").
 *
 * It owns the listening socket (plain or TLS), the connections, the API
 * keys and a pool of worker threads; the caller owns what the requests
 * mean (a handler function). Built on NNG streams, not on NNG's HTTP
 * server, whose 1.5.2 version holds connections without a cap or a timeout
 * until their first request, decodes paths wrongly and answers errors in
 * several sends (PLATFORM-NOTES.md):
 *
 *   - NNG's threads only receive, parse (httpq), check the key and answer
 *     the transport's own errors; each parsed request goes to a bounded
 *     queue of the worker threads, which run the handler. A full queue is
 *     answered 503 at once.
 *   - Every response is one buffer handed to one nng_stream_send: status
 *     line, headers (Content-Length always) and, up to HTTPD_COPY_MAX
 *     bytes, the body. Larger bodies follow as a second buffer of the same
 *     send. TCP_NODELAY is on as well, so no response waits for a delayed
 *     ACK whatever its size.
 *   - Keep-alive and pipelining: one request per connection is in work at a
 *     time; bytes already received wait in the connection's buffer, and
 *     responses leave in request order. HTTP/1.0 closes unless the client
 *     asks for keep-alive; "Connection: close" closes after the response.
 *   - Limits: max_connections served at once (a few more get a 503 and are
 *     closed, the rest are closed at once); a request head within
 *     HTTPQ_HEAD_MAX bytes and idle_timeout_ms of the previous response (or
 *     of the connection); a response must make progress every
 *     idle_timeout_ms. Only GET and HEAD; request bodies are refused.
 *   - Errors the transport answers itself (400, 401, 405, 503) carry a JSON
 *     body: {"error":"..."}, or {"cond":"failed","msg":"..."} under
 *     /dnsdb/ (httpd_resp_error, which handlers may use too).
 *
 * Thread safety: httpd_start, httpd_stop and httpd_reload_keys are called
 * by one controlling thread. httpd_reload_keys may run while requests are
 * served (the key table is swapped under a lock). httpd_stats and
 * httpd_port may be called from any thread at any time between start and
 * stop. The handler runs concurrently on up to `workers` threads, with a
 * request and a response that belong to that call only.
 */
#ifndef AGG_HTTPD_H
#define AGG_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "httpq.h"
#include "pd_buf.h"

#define HTTPD_RESP_HDR_MAX 8          /* extra response headers */
#define HTTPD_RESP_HDR_NAME_MAX 64    /* bytes, NUL included */
#define HTTPD_RESP_HDR_VALUE_MAX 2048 /* bytes, NUL included */
#define HTTPD_COPY_MAX (64u << 10)    /* bodies up to this share the headers' buffer */

struct httpd_req {
	const char *method; /* "GET" or "HEAD" */
	const char *path;   /* raw path, before decoding, without the query */
	const char *query;  /* raw query string without '?', "" when none */
	unsigned n_seg;     /* decoded path segments: "/a/b%2Fc" is "a", "b/c" */
	const struct httpq_str *seg;
	unsigned n_param;   /* decoded query parameters, in request order */
	const struct httpq_param *param;
	const char *remote;   /* "192.0.2.1:40000" or "[2001:db8::1]:40000" */
	const char *key_name; /* name of the API key used ("" without keys) */
	bool tls;             /* came over HTTPS */
	bool tls_verified;    /* the client presented a certificate our CA signed */
	const struct httpq_head *head_; /* for httpd_req_header */
};

/* Value of the request's first header field `name` (case-insensitive). */
const char *httpd_req_header(const struct httpd_req *r, const char *name);
/* Value of the FIRST query parameter named key (a repeated key's later
 * values are only in param[]), or NULL. */
const char *httpd_req_param(const struct httpd_req *r, const char *key);

struct httpd_resp {
	int status;               /* preset 200 */
	const char *content_type; /* preset "application/json"; must outlive the call */
	struct pd_buf body;       /* empty, capped at max_body_bytes */
	unsigned n_hdr;
	struct {
		char name[HTTPD_RESP_HDR_NAME_MAX];
		char value[HTTPD_RESP_HDR_VALUE_MAX];
	} hdr[HTTPD_RESP_HDR_MAX];
};

/* Adds a response header (copied). PD_ELIMIT when full or too long,
 * PD_EMALF when name is not a token or value holds CR, LF or NUL. */
int httpd_resp_header(struct httpd_resp *r, const char *name, const char *value);

/*
 * Makes r an error answer for a request to path: status, then
 * {"error":msg} (application/json) or, when path is under /dnsdb/,
 * {"cond":"failed","msg":msg} (application/x-ndjson), one line each.
 */
void httpd_resp_error(struct httpd_resp *r, const char *path, int status, const char *msg);

/*
 * The handler fills resp for req. It runs on one of the server's worker
 * threads (never on NNG's), may take seconds, and must not keep pointers
 * into req or resp after it returns. For HEAD the handler answers as for
 * GET: the transport sends the headers (Content-Length of that body) only.
 * A status outside 200..599 becomes 500.
 */
typedef void (*httpd_handler_fn)(void *ctx, const struct httpd_req *req,
                                 struct httpd_resp *resp);

struct httpd_opts {
	const char *listen;        /* "HOST:PORT" or "[V6]:PORT"; PORT 0: any */
	const char *tls_cert;      /* with tls_key: HTTPS (TLS 1.2) */
	const char *tls_key;       /* mode 0600 */
	const char *tls_ca;        /* optional: require client certificates from it */
	const char *tls_crl;       /* optional, with tls_ca */
	const char *api_keys_file; /* optional on loopback, required elsewhere */
	unsigned workers;          /* 0: 4 */
	unsigned queue_max;        /* queued requests; 0: 16 per worker */
	size_t max_body_bytes;     /* response body cap; 0: 256 MiB */
	unsigned max_connections;  /* 0: 512 */
	unsigned idle_timeout_ms;  /* 0: 30000 */
	unsigned stop_timeout_ms;  /* httpd_stop's wait for handlers; 0: 5000 */
};

/* Counters since start (relaxed atomics: each exact, not a snapshot). */
struct httpd_stats {
	uint64_t requests;     /* answered, whoever answered them */
	uint64_t status_2xx, status_3xx, status_4xx, status_5xx;
	uint64_t unauthorized; /* 401 */
	uint64_t bad_requests; /* 400 and 405 answered by the transport */
	uint64_t busy;         /* 503: worker queue full */
	uint64_t conns_accepted;
	uint64_t conns_refused; /* over max_connections */
	uint64_t conns_timed_out;
	uint64_t conns_active;  /* gauge */
	uint64_t bytes_out;
};

struct httpd;

/*
 * Loads the TLS files and keys, listens and starts the threads. Refuses a
 * non-loopback listen address without api_keys_file. Returns 0 or a
 * negative code with a message in err.
 */
int httpd_start(struct httpd **out, const struct httpd_opts *o, httpd_handler_fn fn,
                void *ctx, char *err, size_t errlen);
/*
 * Closes the listener and every connection, waits up to stop_timeout_ms
 * for handlers in progress (and as long again for connections to go),
 * frees everything. If a handler is still running then, logs it and
 * leaves the server's memory and that thread behind rather than hang: the
 * handler's ctx must then stay valid until the process exits. NULL is a
 * no-op.
 */
void httpd_stop(struct httpd *h);
/* Re-reads api_keys_file (SIGHUP); on error keeps the old keys. A server
 * started without keys returns 0 and changes nothing. */
int httpd_reload_keys(struct httpd *h, char *err, size_t errlen);
/* The bound TCP port (for PORT 0). */
int httpd_port(const struct httpd *h);
void httpd_stats(const struct httpd *h, struct httpd_stats *out);

/* 1 when the listen string's host is loopback (127.0.0.0/8, ::1,
 * localhost). Exposed for tests. */
int httpd_listen_is_loopback(const char *listen);

#endif
