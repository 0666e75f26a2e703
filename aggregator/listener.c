#define _GNU_SOURCE /* pthread_setname_np */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_log.h"
#include "pd_nngclose.h"
#include "pd_time.h"

/* How long the check's own dial may take before it gives up undecided. */
#define LISTENER_DIAL_MS 10000

struct listener {
	nng_socket sock;
	const char *url;
	nng_tls_config *tls;
	nng_tls_config *probe_tls; /* the check's, made at start: files may be
	                              unreadable once privileges are dropped */
	struct agg_stats *st;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	nng_listener lst;      /* under mu; id 0 while closed and not open again */
	uint64_t refused_base; /* "auth" of the listeners closed before */
	uint64_t errors_seen;  /* "other" + "canceled" of lst already looked into */
	int probe_up;          /* the check's connection is up (its pipe callback) */
	int stopping;
	int watching;
	int reopen_failing; /* logged once until it succeeds */
	int abandoned; /* a check's socket did not close: NNG may still call us */
	pthread_t watch;
};

/* The listener's statistics: errors that may be NNG_ECLOSED, and refused
 * TLS handshakes. */
static void listener_read(nng_listener lst, uint64_t *suspect, uint64_t *auth)
{
	nng_stat *root, *l, *s;
	*suspect = *auth = 0;
	if (lst.id == 0 || nng_stats_get(&root) != 0)
		return;
	if ((l = nng_stat_find_listener(root, lst)) != NULL) {
		if ((s = nng_stat_find(l, "other")) != NULL)
			*suspect += nng_stat_value(s);
		if ((s = nng_stat_find(l, "canceled")) != NULL)
			*suspect += nng_stat_value(s);
		if ((s = nng_stat_find(l, "auth")) != NULL)
			*auth = nng_stat_value(s);
	}
	nng_stats_free(root);
}

/* Opens the listener (under mu, or before the watch starts). NNG error. */
static int listener_open(struct listener *l)
{
	nng_listener n;
	int rv = nng_listener_create(&n, l->sock, l->url);
	if (rv != 0)
		return rv;
	if ((rv = nng_listener_set_ptr(n, NNG_OPT_TLS_CONFIG, l->tls)) != 0 ||
	    (rv = nng_listener_start(n, 0)) != 0) {
		nng_listener_close(n);
		return rv;
	}
	l->lst = n;
	l->errors_seen = 0;
	return 0;
}

/* Where the check dials: the listener's bound address, loopback for a
 * wildcard one. 0, or -1 when it cannot tell. */
static int listener_probe_url(nng_listener lst, char *url, size_t cap)
{
	nng_sockaddr sa;
	char host[INET6_ADDRSTRLEN];
	if (nng_listener_get_addr(lst, NNG_OPT_LOCADDR, &sa) != 0)
		return -1;
	if (sa.s_family == NNG_AF_INET) {
		struct in_addr a = { sa.s_in.sa_addr };
		if (a.s_addr == htonl(INADDR_ANY))
			a.s_addr = htonl(INADDR_LOOPBACK);
		inet_ntop(AF_INET, &a, host, sizeof(host));
		snprintf(url, cap, "tls+tcp://%s:%u", host, ntohs(sa.s_in.sa_port));
		return 0;
	}
	if (sa.s_family == NNG_AF_INET6) {
		struct in6_addr a;
		memcpy(&a, sa.s_in6.sa_addr, sizeof(a));
		if (IN6_IS_ADDR_UNSPECIFIED(&a))
			a = in6addr_loopback;
		inet_ntop(AF_INET6, &a, host, sizeof(host));
		snprintf(url, cap, "tls+tcp://[%s]:%u", host, ntohs(sa.s_in6.sa_port));
		return 0;
	}
	return -1;
}

static void listener_probe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct listener *l = arg;
	(void)p;
	(void)ev;
	pthread_mutex_lock(&l->mu);
	l->probe_up = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
}

/*
 * Dials url with the aggregator's own certificate (called with mu held;
 * waits with it released). 1: the listener made a pipe of it (or of some
 * other connection) within wait_ms of its being up on this side; 0: it
 * made none; -1: undecided (no connection, or stopping, whenever that
 * came).
 */
static int listener_probe(struct listener *l, const char *url, unsigned wait_ms)
{
	nng_socket s;
	nng_dialer d;
	uint64_t before = astat_get(l->st, AS_pipes_opened);
	ASTAT_INC(l->st, listener_probes);
	l->probe_up = 0;
	if (nng_req0_open(&s) != 0)
		return -1;
	int verdict = -1;
	int rv = nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, listener_probe_event, l);
	if (rv == 0 && (rv = nng_dialer_create(&d, s, url)) == 0 &&
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, l->probe_tls)) == 0)
		rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK);
	uint64_t start = pd_now_ms(), up_at = 0;
	while (rv == 0 && !l->stopping) {
		uint64_t now = pd_now_ms();
		if (astat_get(l->st, AS_pipes_opened) > before) {
			verdict = 1;
			break;
		}
		if (l->probe_up && !up_at)
			up_at = now;
		if (up_at && now - up_at >= wait_ms) {
			verdict = 0;
			break;
		}
		if (!up_at && now - start >= LISTENER_DIAL_MS)
			break;
		struct timespec ts = pd_deadline(CLOCK_REALTIME, 50);
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
	}
	pthread_mutex_unlock(&l->mu);
	if (pd_nng_close_bounded(s, 10000) < 0) {
		log_warnx("listener: the check's socket did not close within 10 s (an NNG 1.5.2 "
		          "bug); leaving it");
		l->abandoned = 1;
	}
	pthread_mutex_lock(&l->mu);
	return l->stopping ? -1 : verdict;
}

/* Closes the listener and opens it anew (mu held). */
static void listener_reopen(struct listener *l)
{
	if (l->lst.id != 0) {
		uint64_t suspect, auth;
		listener_read(l->lst, &suspect, &auth);
		l->refused_base += auth;
		nng_listener_close(l->lst);
		l->lst.id = 0;
	}
	int rv = listener_open(l);
	if (rv != 0) {
		if (!l->reopen_failing)
			log_warnx("listener: cannot listen on %s anew (%s); trying again every second",
			          l->url, nng_strerror(rv));
		l->reopen_failing = 1;
		return;
	}
	l->reopen_failing = 0;
	ASTAT_INC(l->st, listener_restarts);
	log_warnx("listener: %s had stopped taking connections (an NNG 1.5.2 bug after a "
	          "peer left mid-handshake); opened it anew", l->url);
}

static void *listener_watch(void *arg)
{
	struct listener *l = arg;
	pthread_setname_np(pthread_self(), "alm-listen");
	pthread_mutex_lock(&l->mu);
	while (!l->stopping && !l->abandoned) {
		struct timespec ts = pd_deadline(CLOCK_REALTIME, 1000);
		pthread_cond_timedwait(&l->cv, &l->mu, &ts);
		if (l->stopping)
			break;
		if (l->lst.id == 0) {
			listener_reopen(l); /* the last attempt failed */
			continue;
		}
		uint64_t suspect, auth;
		char url[128];
		listener_read(l->lst, &suspect, &auth);
		if (suspect <= l->errors_seen)
			continue;
		l->errors_seen = suspect;
		if (listener_probe_url(l->lst, url, sizeof(url)) < 0)
			continue;
		if (listener_probe(l, url, LISTENER_PROBE_MS) == 0 &&
		    listener_probe(l, url, LISTENER_CONFIRM_MS) == 0)
			listener_reopen(l);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

int listener_start(struct listener **out, nng_socket sock, const char *url,
                   nng_tls_config *tls, const struct pd_tls_files *own, struct agg_stats *st,
                   char *err, size_t errlen)
{
	struct listener *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->sock = sock;
	l->url = url;
	l->tls = tls;
	l->st = st;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	int rc = pd_tls_config(&l->probe_tls, 0, own, NULL, err, errlen);
	if (rc < 0) {
		listener_stop(l);
		return rc;
	}
	int rv = listener_open(l);
	if (rv != 0) {
		snprintf(err, errlen, "ingest: cannot listen on %s (%s)", url, nng_strerror(rv));
		listener_stop(l);
		return pd_nng_err(rv);
	}
	if (pthread_create(&l->watch, NULL, listener_watch, l) != 0) {
		snprintf(err, errlen, "ingest: cannot start the listener's watch");
		listener_stop(l);
		return -EAGAIN;
	}
	l->watching = 1;
	*out = l;
	return 0;
}

uint64_t listener_tls_refused(struct listener *l)
{
	uint64_t suspect, auth;
	pthread_mutex_lock(&l->mu);
	listener_read(l->lst, &suspect, &auth);
	uint64_t v = l->refused_base + auth;
	pthread_mutex_unlock(&l->mu);
	return v;
}

void listener_stop(struct listener *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->mu);
	l->stopping = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	if (l->watching)
		pthread_join(l->watch, NULL);
	if (l->lst.id != 0)
		nng_listener_close(l->lst);
	if (l->abandoned) {
		pd_nng_abandon(l);
		return;
	}
	if (l->probe_tls)
		nng_tls_config_free(l->probe_tls);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}
