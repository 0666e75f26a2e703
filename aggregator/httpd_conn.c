/*
 * httpd connections: accept, receive and parse, answer the transport's own
 * errors, hand requests to the workers, send responses (httpd.h).
 */
#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpd_int.h"
#include "httpd_keys.h"
#include "httpd_pool.h"
#include "pd_err.h"

static void conn_next(struct conn *c);

static void conn_kill(struct conn *c)
{
	struct httpd *h = c->h;
	nng_stream_close(c->s);
	pthread_mutex_lock(&h->mtx);
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->dead_next = h->dead;
	h->dead = c;
	pthread_cond_signal(&h->reap_cv);
	pthread_mutex_unlock(&h->mtx);
}

static void conn_free(struct conn *c)
{
	nng_aio_free(c->rx);
	nng_aio_free(c->tx);
	nng_stream_free(c->s);
	pd_buf_fini(&c->out);
	pd_buf_fini(&c->body);
	free(c);
}

/* The reaper frees dead connections off NNG's threads (an aio cannot be
 * freed from its own callback) and keeps the connection counts. */
void *httpd_reaper_main(void *arg)
{
	struct httpd *h = arg;
	pthread_mutex_lock(&h->mtx);
	for (;;) {
		while (!h->dead && !h->reaper_quit)
			pthread_cond_wait(&h->reap_cv, &h->mtx);
		struct conn *c = h->dead;
		if (!c)
			break;
		h->dead = c->dead_next;
		pthread_mutex_unlock(&h->mtx);
		bool refusing = c->refusing;
		conn_free(c);
		pthread_mutex_lock(&h->mtx);
		if (refusing) {
			h->n_refusing--;
		} else {
			h->n_serving--;
			atomic_fetch_sub_explicit(&h->c.active, 1, memory_order_relaxed);
		}
		if (--h->n_objs == 0)
			pthread_cond_broadcast(&h->gone_cv);
	}
	pthread_mutex_unlock(&h->mtx);
	return NULL;
}

static void conn_send(struct conn *c)
{
	nng_iov iov[2];
	unsigned n = 0;
	if (c->out_off < c->out.len)
		iov[n++] = (nng_iov){ c->out.data + c->out_off, c->out.len - c->out_off };
	if (c->body_off < c->body.len)
		iov[n++] = (nng_iov){ c->body.data + c->body_off, c->body.len - c->body_off };
	nng_aio_set_iov(c->tx, n, iov);
	nng_aio_set_timeout(c->tx, (nng_duration)c->h->idle_ms);
	nng_stream_send(c->s, c->tx);
}

static void count_status(struct httpd *h, int status)
{
	INC(h, requests);
	if (status < 300)
		INC(h, s2xx);
	else if (status < 400)
		INC(h, s3xx);
	else if (status < 500)
		INC(h, s4xx);
	else
		INC(h, s5xx);
}

/*
 * Puts the response in c->out: headers, then the body (moved into c->body
 * instead when larger than HTTPD_COPY_MAX), and sends it. r is the
 * handler's response, or NULL for the transport's own answers (body in
 * c->body already). The caller's last use of c.
 */
static void conn_reply(struct conn *c, int status, const char *ctype, struct pd_buf *body,
                       const struct httpd_resp *r, const char *allow)
{
	struct httpd *h = c->h;
	struct httpd_head_args a = { .status = status, .ctype = ctype, .body_len = body->len,
		.close = c->close_after, .keep_alive_10 = c->keep_alive_10,
		.allow = allow, .r = r };
	pd_buf_reset(&c->out);
	c->out_off = c->body_off = 0;
	int rc = httpd_head_build(&c->out, &a);
	bool send_body = !c->is_head && status != 204 && status != 304;
	if (rc == 0 && send_body && body->len <= HTTPD_COPY_MAX)
		rc = pd_buf_add(&c->out, body->data, body->len);
	if (rc < 0) {
		conn_kill(c);
		return;
	}
	if (body != &c->body) {
		pd_buf_reset(&c->body);
		if (send_body && body->len > HTTPD_COPY_MAX) {
			struct pd_buf t = c->body;
			c->body = *body;
			*body = t;
		}
	} else if (!send_body || body->len <= HTTPD_COPY_MAX) {
		pd_buf_reset(&c->body);
	}
	count_status(h, status);
	conn_send(c);
}

/* The transport's own error answer (400, 401, 405, 503, 505). */
static void conn_error(struct conn *c, int status, const char *msg, const char *allow)
{
	const char *path = c->tgt.path[0] ? c->tgt.path : c->head.target;
	const char *ctype;
	pd_buf_reset(&c->body);
	if (httpd_error_body(&c->body, path, msg, &ctype) < 0) {
		conn_kill(c);
		return;
	}
	conn_reply(c, status, ctype, &c->body, NULL, allow);
}

static void conn_recv(struct conn *c)
{
	nng_time now = nng_clock();
	if (now >= c->deadline) {
		INC(c->h, timed_out);
		conn_kill(c);
		return;
	}
	nng_iov iov = { c->in + c->in_len, sizeof(c->in) - c->in_len };
	nng_aio_set_iov(c->rx, 1, &iov);
	nng_aio_set_timeout(c->rx, (nng_duration)(c->deadline - now));
	nng_stream_recv(c->s, c->rx);
}

/* 1 when the request announces a body (which GET and HEAD do not take). */
static int has_body(const struct httpq_head *hd)
{
	const char *cl = httpq_head_get(hd, "Content-Length");
	return httpq_head_get(hd, "Transfer-Encoding") != NULL ||
	       (cl && strspn(cl, "0") != strlen(cl)) || (cl && !cl[0]);
}

/* Checks the API key; 0 when the request may go on (c->key_name set). */
static int conn_auth(struct conn *c)
{
	struct httpd *h = c->h;
	c->key_name[0] = 0;
	if (!h->keys_path)
		return 0;
	const char *k = httpq_head_get(&c->head, "X-API-Key");
	pthread_rwlock_rdlock(&h->klock);
	const char *name = k ? httpd_keys_match(h->keys, k, strlen(k)) : NULL;
	/* Names live as long as their table, which a reload replaces. */
	if (name)
		snprintf(c->key_name, sizeof(c->key_name), "%s", name);
	pthread_rwlock_unlock(&h->klock);
	if (!name) {
		INC(h, unauthorized);
		conn_error(c, 401, k ? "unknown API key" : "missing X-API-Key header", NULL);
		return -1;
	}
	return 0;
}

/* When a head is refused, the form of the error follows the start of the
 * path as sent (parsing writes NULs into the buffer: ask before). */
static bool raw_is_dnsdb(const struct conn *c)
{
	size_t n = c->head_len ? c->head_len : c->in_len;
	const char *sp = memchr(c->in, ' ', n);
	return sp && (size_t)(sp - c->in) + 8 <= n && !memcmp(sp + 1, "/dnsdb/", 7);
}

/* A complete head is in c->in[0..head_len): check it, answer or queue it. */
static void conn_request(struct conn *c)
{
	struct httpd *h = c->h;
	const char *why;
	c->tgt.path = "";
	c->close_after = c->keep_alive_10 = c->is_head = false;
	bool dnsdb = raw_is_dnsdb(c);
	int rc = httpq_parse_head(c->in, c->head_len, &c->head, &why);
	if (rc < 0) {
		INC(h, bad_requests);
		c->close_after = true;
		c->head.target = (char *)(dnsdb ? "/dnsdb/" : "");
		conn_error(c, rc == PD_EVERSION ? 505 : 400, why, NULL);
		return;
	}
	const char *conn_hdr = httpq_head_get(&c->head, "Connection");
	if (c->head.version_minor == 0)
		c->keep_alive_10 = conn_hdr && httpq_has_token(conn_hdr, "keep-alive");
	c->close_after = (c->head.version_minor == 0 && !c->keep_alive_10) ||
	                 (conn_hdr && httpq_has_token(conn_hdr, "close"));
	c->is_head = strcmp(c->head.method, "HEAD") == 0;
	if (!c->is_head && strcmp(c->head.method, "GET") != 0) {
		INC(h, bad_requests);
		c->close_after = true; /* a body may follow that we will not read */
		conn_error(c, 405, "only GET and HEAD are allowed", "GET, HEAD");
		return;
	}
	if (has_body(&c->head)) {
		INC(h, bad_requests);
		c->close_after = true;
		conn_error(c, 400, "request bodies are not accepted", NULL);
		return;
	}
	rc = httpq_parse_target(&c->tgt, c->head.target, c->head.target_len, &why);
	if (rc < 0) {
		INC(h, bad_requests);
		c->tgt.path = "";
		conn_error(c, 400, why, NULL);
		return;
	}
	if (conn_auth(c) < 0)
		return;
	if (!httpd_pool_push(h->pool, c)) {
		INC(h, busy);
		conn_error(c, 503, "server busy, try again", NULL);
	}
}

/* Serves what c->in holds: a complete head, or receives more. */
static void conn_next(struct conn *c)
{
	size_t hl;
	int r = httpq_head_len(c->in, c->in_len, &c->scan, &hl);
	if (r == 0) {
		conn_recv(c);
		return;
	}
	if (r < 0) {
		INC(c->h, bad_requests);
		c->close_after = true;
		c->head.target = (char *)(raw_is_dnsdb(c) ? "/dnsdb/" : "");
		c->tgt.path = "";
		conn_error(c, 400, "request head larger than 16384 bytes", NULL);
		return;
	}
	c->head_len = hl;
	conn_request(c);
}

static void rx_cb(void *arg)
{
	struct conn *c = arg;
	int rv = nng_aio_result(c->rx);
	if (rv != 0) {
		if (rv == NNG_ETIMEDOUT)
			INC(c->h, timed_out);
		conn_kill(c);
		return;
	}
	c->in_len += nng_aio_count(c->rx);
	if (c->h->tls && !c->tls_checked) {
		bool v = false;
		nng_stream_get_bool(c->s, NNG_OPT_TLS_VERIFIED, &v);
		c->tls_verified = v;
		c->tls_checked = true;
	}
	conn_next(c);
}

/* After a response: the next request (maybe already received). */
static void conn_done(struct conn *c)
{
	if (c->close_after || c->refusing) {
		conn_kill(c);
		return;
	}
	if (c->out.cap > OUT_MAX / 2) {
		pd_buf_fini(&c->out);
		pd_buf_init(&c->out, OUT_MAX);
	}
	pd_buf_fini(&c->body);
	pd_buf_init(&c->body, c->h->max_body);
	memmove(c->in, c->in + c->head_len, c->in_len - c->head_len);
	c->in_len -= c->head_len;
	c->head_len = 0;
	c->scan = (struct httpq_scan){ 0, 0 };
	c->deadline = nng_clock() + (nng_time)c->h->idle_ms;
	conn_next(c);
}

static void tx_cb(void *arg)
{
	struct conn *c = arg;
	int rv = nng_aio_result(c->tx);
	if (rv != 0) {
		if (rv == NNG_ETIMEDOUT)
			INC(c->h, timed_out);
		conn_kill(c);
		return;
	}
	size_t n = nng_aio_count(c->tx);
	atomic_fetch_add_explicit(&c->h->c.bytes_out, n, memory_order_relaxed);
	size_t o = c->out.len - c->out_off;
	if (n >= o) {
		c->out_off = c->out.len;
		c->body_off += n - o;
	} else {
		c->out_off += n;
	}
	if (c->out_off < c->out.len || c->body_off < c->body.len)
		conn_send(c);
	else
		conn_done(c);
}

/* Starts serving a new connection, or answers 503 when it is one too many. */
static void conn_start(struct conn *c)
{
	c->deadline = nng_clock() + (nng_time)c->h->idle_ms;
	if (!c->refusing) {
		conn_recv(c);
		return;
	}
	c->close_after = true;
	c->head.target = (char *)"";
	c->tgt.path = "";
	conn_error(c, 503, "too many connections, try again later", NULL);
}

static struct conn *conn_alloc(struct httpd *h, nng_stream *s)
{
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (nng_aio_alloc(&c->rx, rx_cb, c) != 0 || nng_aio_alloc(&c->tx, tx_cb, c) != 0) {
		nng_aio_free(c->rx);
		free(c);
		return NULL;
	}
	c->h = h;
	c->s = s;
	pd_buf_init(&c->out, OUT_MAX);
	pd_buf_init(&c->body, h->max_body);
	nng_sockaddr sa;
	if (nng_stream_get_addr(s, NNG_OPT_REMADDR, &sa) == 0)
		httpd_addr_text(&sa, c->remote, sizeof(c->remote));
	else
		snprintf(c->remote, sizeof(c->remote), "?");
	return c;
}

static void conn_new(struct httpd *h, nng_stream *s)
{
	INC(h, accepted);
	struct conn *c = conn_alloc(h, s);
	if (!c) {
		nng_stream_free(s);
		return;
	}
	pthread_mutex_lock(&h->mtx);
	c->refusing = h->n_serving >= h->max_conns;
	bool drop = h->stopping || (c->refusing && h->n_refusing >= REFUSE_MAX);
	if (!drop) {
		if (c->refusing)
			h->n_refusing++;
		else
			h->n_serving++;
		h->n_objs++;
		c->next = h->conns;
		if (h->conns)
			h->conns->prev = c;
		h->conns = c;
	}
	pthread_mutex_unlock(&h->mtx);
	if (c->refusing)
		INC(h, refused);
	else if (!drop)
		INC(h, active);
	if (drop) {
		conn_free(c);
		return;
	}
	conn_start(c);
}

void httpd_accept_cb(void *arg)
{
	struct httpd *h = arg;
	int rv = nng_aio_result(h->acc);
	pthread_mutex_lock(&h->mtx);
	bool stopping = h->stopping;
	pthread_mutex_unlock(&h->mtx);
	if (stopping || rv == NNG_ECLOSED || rv == NNG_ECANCELED)
		return;
	if (h->acc_sleeping) {
		h->acc_sleeping = false;
		nng_stream_listener_accept(h->l, h->acc);
		return;
	}
	if (rv != 0) {
		/* Out of descriptors or the like: pause instead of spinning. */
		h->acc_sleeping = true;
		nng_sleep_aio(ACCEPT_RETRY_MS, h->acc);
		return;
	}
	conn_new(h, nng_aio_get_output(h->acc, 0));
	nng_stream_listener_accept(h->l, h->acc);
}

/* A worker runs the handler for a connection's request, then sends. */
void httpd_serve(void *ctx, void *item)
{
	struct httpd *h = ctx;
	struct conn *c = item;
	struct httpd_resp resp, *r = &resp;
	const struct httpd_req q = {
		.method = c->head.method, .path = c->tgt.path, .query = c->tgt.query,
		.n_seg = c->tgt.n_seg, .seg = c->tgt.seg,
		.n_param = c->tgt.n_param, .param = c->tgt.param,
		.remote = c->remote, .key_name = c->key_name,
		.tls = h->tls, .tls_verified = c->tls_verified, .head_ = &c->head,
	};
	r->status = 200;
	r->content_type = "application/json";
	r->n_hdr = 0;
	pd_buf_init(&r->body, h->max_body);
	h->fn(h->ctx, &q, r);
	if (r->status < 200 || r->status > 599 || !r->content_type ||
	    strpbrk(r->content_type, "\r\n")) {
		httpd_resp_error(r, c->tgt.path, 500, "internal error: malformed response");
		r->n_hdr = 0;
	}
	/* A large body moves into the connection; the rest is copied. */
	struct pd_buf body = r->body;
	conn_reply(c, r->status, r->content_type, &body, r, NULL);
	pd_buf_fini(&body);
}

/* Stopping: queued requests are dropped (their streams are closed). */
void httpd_unserve(void *ctx, void *item)
{
	(void)ctx;
	conn_kill(item);
}

