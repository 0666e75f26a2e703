/*
 * httpd internals, shared by httpd.c (start, stop, keys, counters),
 * httpd_conn.c (connections) and httpd_util.c (response text, listen
 * addresses, TLS configuration).
 */
#ifndef AGG_HTTPD_INT_H
#define AGG_HTTPD_INT_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "httpd.h"
#include "httpd_keys.h"
#include "pd_buf.h"

#define REFUSE_MAX 16       /* connections answered 503 at once beyond the cap */
#define ACCEPT_RETRY_MS 100 /* after an accept error (EMFILE and the like) */
#define OUT_MAX (HTTPD_COPY_MAX + (64u << 10))

/*
 * A connection is owned by exactly one party at a time: the callback of
 * its one pending aio (receive or send), or the worker running its
 * request. Every path ends by handing it on (start a receive or a send,
 * queue it, kill it) and touches it no more: the next owner may already
 * be running, and a killed connection is freed by the reaper thread once
 * both aio callbacks have returned (nng_aio_free waits for them).
 */
struct conn {
	struct httpd *h;
	nng_stream *s;
	nng_aio *rx, *tx;
	struct conn *prev, *next; /* h->conns, under h->mtx */
	struct conn *dead_next;
	bool refusing, tls_checked, tls_verified;
	bool close_after, keep_alive_10, is_head;
	nng_time deadline; /* for the next request head */
	char remote[64];
	char key_name[HTTPD_KEY_NAME_MAX];
	/* input: bytes received, the head being served */
	size_t in_len, head_len;
	struct httpq_scan scan;
	struct httpq_head head;
	struct httpq_target tgt;
	/* output: headers (and a small body), then a large body */
	struct pd_buf out, body;
	size_t out_off, body_off;
	char in[HTTPQ_HEAD_MAX];
};

struct counters {
	_Atomic uint64_t requests, s2xx, s3xx, s4xx, s5xx, unauthorized, bad_requests, busy;
	_Atomic uint64_t accepted, refused, timed_out, bytes_out, active;
};

struct httpd {
	httpd_handler_fn fn;
	void *ctx;
	char *keys_path;
	unsigned workers, queue_max, max_conns, idle_ms, stop_ms;
	size_t max_body;
	bool tls;
	int port;
	nng_tls_config *tls_cfg;
	nng_stream_listener *l;
	nng_aio *acc;
	bool acc_sleeping; /* acc runs nng_sleep_aio, not an accept */

	pthread_mutex_t mtx; /* conns, counts, dead list, stopping */
	pthread_cond_t reap_cv, gone_cv;
	struct conn *conns, *dead;
	unsigned n_serving, n_refusing, n_objs;
	bool stopping, reaper_quit;
	pthread_t reaper;
	bool reaper_started;

	struct httpd_pool *pool;

	pthread_rwlock_t klock;
	struct httpd_keys *keys;

	struct counters c;
};

#define INC(h, f) atomic_fetch_add_explicit(&(h)->c.f, 1, memory_order_relaxed)

/* httpd_conn.c: the listener's accept callback; the reaper thread; the
 * worker pool's run and drop functions (ctx is the server, item a
 * connection). */
void httpd_accept_cb(void *arg);
void *httpd_reaper_main(void *arg);
void httpd_serve(void *ctx, void *item);
void httpd_unserve(void *ctx, void *item);

/*
 * Appends a status line and headers, up to and including the empty line,
 * to out: Content-Type (when ctype), Content-Length (except 204 and 304),
 * Connection (close, or keep-alive for an HTTP/1.0 client that asked),
 * Allow (when allow), then r's extra headers (when r).
 */
struct httpd_head_args {
	int status;
	const char *ctype;
	size_t body_len;
	bool close;
	bool keep_alive_10;
	const char *allow;
	const struct httpd_resp *r;
};
int httpd_head_build(struct pd_buf *out, const struct httpd_head_args *a);

/* The JSON error body for path (see httpd_resp_error); *ctype gets its
 * type. */
int httpd_error_body(struct pd_buf *b, const char *path, const char *msg, const char **ctype);

/* "HOST:PORT" as an NNG URL (tcp:// or tls+tcp://). */
int httpd_listen_url(const char *listen, bool tls, char *url, size_t cap);

/* The server TLS configuration of o (cert, key, optional CA and CRL). */
int httpd_tls_config(nng_tls_config **out, const struct httpd_opts *o, char *err,
                     size_t errlen);

/* A remote address as text: "192.0.2.1:40000", "[2001:db8::1]:40000". */
void httpd_addr_text(const nng_sockaddr *sa, char *out, size_t cap);

#endif
