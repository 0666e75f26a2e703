#include "httpd.h"

#include <errno.h>
#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpd_int.h"
#include "httpd_keys.h"
#include "httpd_pool.h"
#include "pd_err.h"
#include "pd_log.h"
#include "pd_tls.h"
#include "pd_time.h"

static void sync_init(struct httpd *h)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&h->mtx, NULL);
	pthread_cond_init(&h->reap_cv, &ca);
	pthread_cond_init(&h->gone_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_rwlock_init(&h->klock, NULL);
}

static int opts_apply(struct httpd *h, const struct httpd_opts *o, char *err, size_t errlen)
{
	if (!o->listen) {
		snprintf(err, errlen, "httpd: no listen address");
		return PD_ECONFIG;
	}
	if (!o->api_keys_file && !httpd_listen_is_loopback(o->listen)) {
		snprintf(err, errlen, "httpd: refusing to serve queries on %s without --api-keys "
		         "(only a loopback address may go without keys)", o->listen);
		return PD_ECONFIG;
	}
	h->workers = o->workers ? o->workers : 4;
	h->queue_max = o->queue_max ? o->queue_max : 16 * h->workers;
	h->max_body = o->max_body_bytes ? o->max_body_bytes : (size_t)256 << 20;
	h->max_conns = o->max_connections ? o->max_connections : 512;
	h->idle_ms = o->idle_timeout_ms ? o->idle_timeout_ms : 30000;
	if (h->idle_ms > 86400000u)
		h->idle_ms = 86400000u; /* NNG durations are int32 milliseconds */
	h->stop_ms = o->stop_timeout_ms ? o->stop_timeout_ms : 5000;
	h->tls = o->tls_cert || o->tls_key || o->tls_ca;
	if (o->api_keys_file && !(h->keys_path = strdup(o->api_keys_file)))
		return -ENOMEM;
	if (h->keys_path) {
		int rc = httpd_keys_load(&h->keys, h->keys_path, err, errlen);
		if (rc < 0)
			return rc;
	}
	if (h->tls)
		return httpd_tls_config(&h->tls_cfg, o, err, errlen);
	return 0;
}

static int nng_fail(char *err, size_t errlen, const char *what, const char *url, int rv)
{
	snprintf(err, errlen, "httpd: cannot %s %s (%s)", what, url, pd_nng_strerror(rv));
	return pd_nng_err(rv);
}

static int listen_start(struct httpd *h, const char *listen, char *err, size_t errlen)
{
	char url[300];
	if (httpd_listen_url(listen, h->tls, url, sizeof(url)) < 0) {
		snprintf(err, errlen, "httpd: bad listen address %s (want HOST:PORT or [V6]:PORT)",
		         listen);
		return PD_ECONFIG;
	}
	int rv = nng_stream_listener_alloc(&h->l, url);
	if (rv != 0)
		return nng_fail(err, errlen, "listen on", url, rv);
	if (h->tls && (rv = nng_stream_listener_set_ptr(h->l, NNG_OPT_TLS_CONFIG, h->tls_cfg)))
		return nng_fail(err, errlen, "set the TLS configuration of", url, rv);
	/* NNG's TCP default, but say it: responses must never wait for ACKs. */
	if ((rv = nng_stream_listener_set_bool(h->l, NNG_OPT_TCP_NODELAY, true)) != 0)
		return nng_fail(err, errlen, "set TCP_NODELAY on", url, rv);
	if ((rv = nng_stream_listener_listen(h->l)) != 0)
		return nng_fail(err, errlen, "listen on", url, rv);
	if ((rv = nng_stream_listener_get_int(h->l, NNG_OPT_TCP_BOUND_PORT, &h->port)) != 0)
		return nng_fail(err, errlen, "read the port of", url, rv);
	if ((rv = nng_aio_alloc(&h->acc, httpd_accept_cb, h)) != 0)
		return nng_fail(err, errlen, "accept on", url, rv);
	return 0;
}

static int threads_start(struct httpd *h, char *err, size_t errlen)
{
	int e = pthread_create(&h->reaper, NULL, httpd_reaper_main, h);
	h->reaper_started = e == 0;
	if (e == 0)
		e = -httpd_pool_start(&h->pool, h->workers, h->queue_max, httpd_serve, h);
	if (e != 0) {
		snprintf(err, errlen, "httpd: cannot start threads (%s)", strerror(e));
		return -e;
	}
	return 0;
}

/* Frees what start made; threads must have stopped (or never started). */
static void httpd_free(struct httpd *h)
{
	if (h->acc)
		nng_aio_free(h->acc);
	if (h->l)
		nng_stream_listener_free(h->l);
	if (h->tls_cfg)
		nng_tls_config_free(h->tls_cfg);
	httpd_keys_free(h->keys);
	free(h->keys_path);
	pthread_rwlock_destroy(&h->klock);
	pthread_mutex_destroy(&h->mtx);
	pthread_cond_destroy(&h->reap_cv);
	pthread_cond_destroy(&h->gone_cv);
	free(h);
}

/*
 * Stops the workers (up to stop_ms for handlers in progress), then waits as
 * long again for the closed connections to be freed. 0 when all is done.
 */
static int threads_stop(struct httpd *h)
{
	if (h->pool && httpd_pool_stop(h->pool, httpd_unserve, h->stop_ms) < 0) {
		log_warnx("httpd: a handler is still running after %u ms; leaving it behind",
		          h->stop_ms);
		return -1;
	}
	h->pool = NULL;
	/*
	 * NNG 1.5.2 never completes a send or receive started on a stream
	 * after nng_stream_close() (until its timeout): a connection whose
	 * callback started one after the close is cancelled here, over and
	 * over until all are gone, since it may start one just after a pass.
	 */
	struct timespec dl = pd_deadline(CLOCK_MONOTONIC, h->stop_ms);
	pthread_mutex_lock(&h->mtx);
	while (h->n_objs) {
		for (struct conn *c = h->conns; c; c = c->next) {
			nng_aio_cancel(c->rx);
			nng_aio_cancel(c->tx);
		}
		struct timespec t = pd_deadline(CLOCK_MONOTONIC, 20);
		if (t.tv_sec > dl.tv_sec || (t.tv_sec == dl.tv_sec && t.tv_nsec >= dl.tv_nsec))
			break;
		pthread_cond_timedwait(&h->gone_cv, &h->mtx, &t);
	}
	unsigned left = h->n_objs;
	h->reaper_quit = true;
	pthread_cond_signal(&h->reap_cv);
	pthread_mutex_unlock(&h->mtx);
	if (left) {
		log_warnx("httpd: %u connections still open after %u ms; leaving them behind",
		          left, h->stop_ms);
		return -1;
	}
	if (h->reaper_started)
		pthread_join(h->reaper, NULL);
	return 0;
}

int httpd_start(struct httpd **out, const struct httpd_opts *o, httpd_handler_fn fn,
                void *ctx, char *err, size_t errlen)
{
	struct httpd *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "httpd: out of memory");
		return -ENOMEM;
	}
	sync_init(h);
	h->fn = fn;
	h->ctx = ctx;
	int rc = opts_apply(h, o, err, errlen);
	if (rc == 0)
		rc = listen_start(h, o->listen, err, errlen);
	if (rc == 0)
		rc = threads_start(h, err, errlen);
	if (rc < 0) {
		if (h->l)
			nng_stream_listener_close(h->l);
		if (threads_stop(h) == 0)
			httpd_free(h);
		return rc;
	}
	nng_stream_listener_accept(h->l, h->acc);
	log_info("httpd: serving %s on %s (port %d, %u workers%s)", h->tls ? "HTTPS" : "HTTP",
	         o->listen, h->port, h->workers, h->keys ? ", API keys" : "");
	*out = h;
	return 0;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mtx);
	h->stopping = true;
	pthread_mutex_unlock(&h->mtx);
	nng_stream_listener_close(h->l);
	nng_aio_stop(h->acc);
	pthread_mutex_lock(&h->mtx);
	for (struct conn *c = h->conns; c; c = c->next)
		nng_stream_close(c->s);
	pthread_mutex_unlock(&h->mtx);
	if (threads_stop(h) == 0)
		httpd_free(h);
}

int httpd_reload_keys(struct httpd *h, char *err, size_t errlen)
{
	if (!h->keys_path)
		return 0;
	struct httpd_keys *k;
	int rc = httpd_keys_load(&k, h->keys_path, err, errlen);
	if (rc < 0)
		return rc;
	pthread_rwlock_wrlock(&h->klock);
	struct httpd_keys *old = h->keys;
	h->keys = k;
	pthread_rwlock_unlock(&h->klock);
	httpd_keys_free(old);
	return 0;
}

int httpd_port(const struct httpd *h)
{
	return h->port;
}

#define LOAD(f) atomic_load_explicit(&h->c.f, memory_order_relaxed)

void httpd_stats(const struct httpd *h, struct httpd_stats *s)
{
	*s = (struct httpd_stats){
		.requests = LOAD(requests), .status_2xx = LOAD(s2xx), .status_3xx = LOAD(s3xx),
		.status_4xx = LOAD(s4xx), .status_5xx = LOAD(s5xx),
		.unauthorized = LOAD(unauthorized), .bad_requests = LOAD(bad_requests),
		.busy = LOAD(busy), .conns_accepted = LOAD(accepted), .conns_refused = LOAD(refused),
		.conns_timed_out = LOAD(timed_out), .conns_active = LOAD(active),
		.bytes_out = LOAD(bytes_out),
	};
}
