#include "ship.h"

#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backoff.h"
#include "pd_aiowait.h"
#include "pd_batch.h"
#include "pd_err.h"
#include "pd_log.h"
#include "pd_nngclose.h"
#include "pd_time.h"

#define SHIP_MAX_INFLIGHT 64
#define SHIP_REFUSED_RETRY_MS 60000
#define SHIP_CLOSE_MS 5000 /* bound on closing the socket at exit */
#define SHIP_STALL_MS 5000 /* past an aio's own timeout: NNG missed it */
/* With no connection for this long, dial anew (ship_watch). */
#define SHIP_REDIAL_MS 15000

struct sender {
	struct ship *ship;
	pthread_t thread;
	nng_ctx ctx;
	struct pd_aiowait w;
	struct pd_buf buf;
	uint64_t seq;    /* in flight, 0 when idle */
	uint64_t sent_ms; /* when seq was sent */
};

struct ship {
	struct ship_opts o;
	struct spool *spool;
	struct sensor_stats *st;
	nng_socket sock;
	nng_dialer dialer;
	nng_tls_config *tls;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	int halted; /* 1: the socket is closed; -1: left to NNG (ship_halt) */
	struct sender senders[SHIP_MAX_INFLIGHT];
	unsigned nsenders;
	pthread_t watch;      /* the dial watchdog (ship_watch) */
	int watching;
	/* Connections, kept by NNG's pipe callbacks; under pipe_mu, never
	 * held across an NNG call (the callbacks run inside them). */
	pthread_mutex_t pipe_mu;
	int npipes;               /* ADD_PRE less REM_POST events */
	uint64_t nopipe_since_ms; /* when npipes last became 0 */
	uint64_t last_ack_ms;  /* the aggregator last answered (any reply) */
	uint64_t asked_ms;     /* first request since that answer; 0: none */
	struct sender hb;      /* the heartbeat's own context */
	pthread_mutex_t hb_mu;
	struct backoff backoff; /* after failed sends */
	int refused_logged, down_logged, stall_logged;
};

/* The oldest spooled batch nobody is sending; 0 when none. Under mu. */
static uint64_t ship_pick(struct ship *s)
{
	uint64_t seq = 0;
	while (spool_first(s->spool, seq, &seq) == 0) {
		unsigned i;
		for (i = 0; i < s->nsenders && s->senders[i].seq != seq; i++)
			;
		if (i == s->nsenders)
			return seq;
	}
	return 0;
}

static int ship_stopping(struct ship *s)
{
	pthread_mutex_lock(&s->mu);
	int stopping = s->stopping;
	pthread_mutex_unlock(&s->mu);
	return stopping;
}

static void ship_backoff(struct ship *s, const struct sender *d, unsigned min_ms)
{
	pthread_mutex_lock(&s->mu);
	backoff_failed(&s->backoff, d->sent_ms, pd_now_ms(), min_ms);
	pthread_mutex_unlock(&s->mu);
}

static int sender_init(struct sender *d, struct ship *s, size_t bufsize)
{
	d->ship = s;
	pd_buf_init(&d->buf, bufsize);
	int rc = pd_aiowait_init(&d->w);
	if (rc == 0 && nng_ctx_open(&d->ctx, s->sock) != 0)
		rc = PD_ENET;
	return rc;
}

static void sender_fini(struct sender *d)
{
	pd_aiowait_fini(&d->w);
	pd_buf_fini(&d->buf);
}

/* 1 the first time (the flag was clear; it is set now), else 0. The
 * senders share the flags, so they are read and set under mu. */
static int ship_first(struct ship *s, int *flag)
{
	pthread_mutex_lock(&s->mu);
	int first = !*flag;
	*flag = 1;
	pthread_mutex_unlock(&s->mu);
	return first;
}

/* Waits for the send or receive in flight on d. Its aio's timeout should
 * end it; when NNG misses that (pd_aiowait.h), it is cancelled
 * SHIP_STALL_MS later, counted and logged once. */
static void sender_wait(struct sender *d)
{
	struct ship *s = d->ship;
	if (pd_aiowait_wait(&d->w, s->o.reply_timeout_ms + SHIP_STALL_MS) < 0) {
		STAT_INC_SHARED(s->st, ship_stalls);
		if (ship_first(s, &s->stall_logged))
			log_warnx("ship: an exchange with %s outlived its %u s timeout (NNG missed "
			          "it); cancelled it, and it is tried again", s->o.url,
			          s->o.reply_timeout_ms / 1000);
	}
}

/* One request and its reply. Returns the reply's status or a transport
 * error (negative PD_E* code, PD_ENET / PD_ETIMEOUT). */
static int sender_exchange(struct sender *d, struct pd_batch_reply *r, nng_msg **reply)
{
	struct ship *s = d->ship;
	nng_msg *m;
	int rv = nng_msg_alloc(&m, 0);
	if (rv == 0 && (rv = nng_msg_append(m, d->buf.data, d->buf.len)) != 0)
		nng_msg_free(m);
	if (rv != 0)
		return pd_nng_err(rv);
	nng_aio *aio = d->w.aio;
	pthread_mutex_lock(&s->mu);
	if (!s->asked_ms)
		s->asked_ms = pd_now_ms();
	pthread_mutex_unlock(&s->mu);
	nng_aio_set_msg(aio, m);
	nng_aio_set_timeout(aio, (nng_duration)s->o.reply_timeout_ms);
	nng_ctx_send(d->ctx, aio);
	sender_wait(d);
	if ((rv = nng_aio_result(aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(aio));
		return pd_nng_err(rv);
	}
	nng_aio_set_timeout(aio, (nng_duration)s->o.reply_timeout_ms);
	nng_ctx_recv(d->ctx, aio);
	sender_wait(d);
	if ((rv = nng_aio_result(aio)) != 0)
		return pd_nng_err(rv);
	*reply = nng_aio_get_msg(aio);
	pthread_mutex_lock(&s->mu);
	s->last_ack_ms = pd_now_ms();
	s->asked_ms = 0;
	pthread_mutex_unlock(&s->mu);
	if (pd_batch_reply_decode(nng_msg_body(*reply), nng_msg_len(*reply), r) < 0)
		return PD_EPROTO;
	return r->status;
}

/* Acts on the outcome of sending batch seq. */
static void sender_outcome(struct sender *d, uint64_t seq, int rc, const struct pd_batch_reply *r)
{
	struct ship *s = d->ship;
	const char *text = r && r->msg ? r->msg : "";
	int tlen = r && r->msg ? (int)r->msg_len : 0;
	if (rc == 0) {
		STAT_INC_SHARED(s->st, batches_acked);
		spool_remove(s->spool, seq);
		pthread_mutex_lock(&s->mu);
		backoff_reset(&s->backoff);
		if (s->down_logged || s->refused_logged)
			log_info("ship: the aggregator accepts batches again");
		s->down_logged = s->refused_logged = 0;
		pthread_mutex_unlock(&s->mu);
		return;
	}
	if (rc == PD_EMALF || rc == PD_EVERSION || rc == PD_ELIMIT) {
		char why[PD_BATCH_MSG_MAX + 64];
		snprintf(why, sizeof(why), "the aggregator rejected it: %.*s", tlen, text);
		spool_set_aside(s->spool, seq, why);
		return;
	}
	STAT_INC_SHARED(s->st, batches_retried);
	if (rc == PD_EAUTH) {
		STAT_INC_SHARED(s->st, batches_refused);
		if (ship_first(s, &s->refused_logged))
			log_warnx("ship: the aggregator refuses this sensor (%.*s); keeping the "
			          "batches and trying again every %d s", tlen, text,
			          SHIP_REFUSED_RETRY_MS / 1000);
		ship_backoff(s, d, SHIP_REFUSED_RETRY_MS);
		return;
	}
	if (rc != PD_EBUSY && rc != PD_ESTORE && rc != PD_ESTALE) {
		STAT_INC_SHARED(s->st, ship_errors);
		if (ship_first(s, &s->down_logged))
			log_warnx("ship: cannot deliver to %s (%s); batches stay spooled and are "
			          "sent when it answers", s->o.url, pd_strerror(rc));
	}
	ship_backoff(s, d, 0);
}

static void *sender_main(void *arg)
{
	struct sender *d = arg;
	struct ship *s = d->ship;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		uint64_t now = pd_now_ms(), seq = 0;
		if (now >= s->backoff.retry_at_ms)
			seq = ship_pick(s);
		if (!seq) {
			uint64_t at = s->backoff.retry_at_ms;
			uint64_t wait = at > now ? at - now : 1000;
			struct timespec ts = pd_deadline(CLOCK_REALTIME, wait > 1000 ? 1000 : wait);
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
			continue;
		}
		d->seq = seq;
		d->sent_ms = now;
		pthread_mutex_unlock(&s->mu);
		struct pd_batch_reply r;
		nng_msg *reply = NULL;
		memset(&r, 0, sizeof(r));
		int rc = spool_read(s->spool, seq, &d->buf, NULL);
		if (rc == 0) {
			STAT_INC_SHARED(s->st, batches_sent);
			rc = sender_exchange(d, &r, &reply);
			if (rc == 0 || !ship_stopping(s))
				sender_outcome(d, seq, rc, &r);
		}
		if (reply)
			nng_msg_free(reply);
		pthread_mutex_lock(&s->mu);
		d->seq = 0;
		pthread_cond_broadcast(&s->cv);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void ship_pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct ship *s = arg;
	(void)p;
	/* NNG 1.5.2 posts REM_POST for every pipe that had ADD_PRE, rejected
	 * ones too, and can post it before ADD_POST; counting ADD_PRE keeps
	 * the pairs matched. */
	pthread_mutex_lock(&s->pipe_mu);
	if (ev == NNG_PIPE_EV_ADD_PRE)
		s->npipes++;
	else if (--s->npipes <= 0)
		s->nopipe_since_ms = pd_now_ms();
	pthread_mutex_unlock(&s->pipe_mu);
}

/* A dialer that connects, and reconnects, by itself. NNG error or 0. */
static int ship_dial(struct ship *s, nng_dialer *d)
{
	int rv = nng_dialer_create(d, s->sock, s->o.url);
	if (rv != 0)
		return rv;
	if ((rv = nng_dialer_set_ptr(*d, NNG_OPT_TLS_CONFIG, s->tls)) != 0 ||
	    (rv = nng_dialer_start(*d, NNG_FLAG_NONBLOCK)) != 0)
		nng_dialer_close(*d);
	return rv;
}

/* Milliseconds without a connection; 0 while there is one. */
static uint64_t ship_nopipe_ms(struct ship *s, uint64_t now)
{
	pthread_mutex_lock(&s->pipe_mu);
	uint64_t since = s->npipes > 0 ? 0 : s->nopipe_since_ms;
	pthread_mutex_unlock(&s->pipe_mu);
	return since && now > since ? now - since : 0;
}

/* Milliseconds since a request the aggregator has not answered, nor any
 * other since; 0 when there is none. */
static uint64_t ship_silent_ms(struct ship *s, uint64_t now)
{
	pthread_mutex_lock(&s->mu);
	uint64_t asked = s->asked_ms;
	pthread_mutex_unlock(&s->mu);
	return asked && now > asked ? now - asked : 0;
}

/* Replaces the dialer: 0, or NNG's error from dialling (the old one is
 * kept). A close of the old one that hangs leaves a thread behind for
 * good: one is enough, so *wedged is set and the caller stops there. */
static int ship_redial(struct ship *s, int *wedged)
{
	nng_dialer fresh;
	int rv = ship_dial(s, &fresh);
	if (rv != 0)
		return rv;
	if (pd_nng_dialer_close_bounded(s->dialer, SHIP_CLOSE_MS) < 0) {
		*wedged = 1;
		log_warnx("ship: the old connection did not close within %u s (an NNG 1.5.2 bug); "
		          "left to NNG, and no more redials", SHIP_CLOSE_MS / 1000);
	}
	s->dialer = fresh;
	STAT_INC_SHARED(s->st, ship_redials);
	return 0;
}

/*
 * The dial watchdog. NNG redials by itself, every 5 s at most, but 1.5.2
 * has been seen to stop for good after the aggregator restarted: once
 * with no connection left and the dialer idle, once with the connection
 * gone but a pipe still counted and every request queued behind it. So
 * when there has been no connection for SHIP_REDIAL_MS, or the aggregator
 * has answered nothing for a whole reply timeout since it was asked
 * something, the dialer is replaced: the new one dials at once, and closing
 * the old one closes its connection. At most once per SHIP_REDIAL_MS; an
 * aggregator that is really down costs one refused connection more then.
 */
static void *ship_watch(void *arg)
{
	struct ship *s = arg;
	uint64_t last_redial = pd_now_ms();
	int logged = 0, wedged = 0;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping) {
		struct timespec ts = pd_deadline(CLOCK_REALTIME, 1000);
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->mu);
		uint64_t now = pd_now_ms(), without = ship_nopipe_ms(s, now);
		/* A new connection gets a whole reply timeout of its own. */
		uint64_t silent = ship_silent_ms(s, now);
		if (silent > now - last_redial)
			silent = now - last_redial;
		int stuck = without >= SHIP_REDIAL_MS || silent >= s->o.reply_timeout_ms;
		if (!stuck)
			logged = 0; /* the next episode is logged again */
		if (stuck && !wedged && now - last_redial >= SHIP_REDIAL_MS) {
			last_redial = now;
			int rv = ship_redial(s, &wedged);
			if (!logged && rv != 0)
				log_warnx("ship: cannot dial %s anew (%s); trying again in %u s", s->o.url,
				          nng_strerror(rv), SHIP_REDIAL_MS / 1000);
			else if (!logged && without)
				log_info("ship: no connection to %s for %llu s; dialling anew (and every "
				         "%u s until one is up)", s->o.url,
				         (unsigned long long)without / 1000, SHIP_REDIAL_MS / 1000);
			else if (!logged)
				log_warnx("ship: %s has answered nothing for %llu s; closed the connection "
				          "and dialling anew", s->o.url, (unsigned long long)silent / 1000);
			logged = 1;
		}
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static int ship_socket(struct ship *s, char *err, size_t errlen)
{
	int rv = nng_req0_open(&s->sock);
	if (rv != 0) {
		snprintf(err, errlen, "ship: cannot open a socket (%s)", nng_strerror(rv));
		return pd_nng_err(rv);
	}
	int rc = pd_tls_config(&s->tls, 0, &s->o.tls, s->o.server_name, err, errlen);
	if (rc < 0)
		return rc;
	/* Our own timeouts decide when to send again; NNG's resend would only
	 * duplicate work on a slow aggregator. */
	nng_socket_set_ms(s->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_socket_set_ms(s->sock, NNG_OPT_RECONNMINT, 100);
	nng_socket_set_ms(s->sock, NNG_OPT_RECONNMAXT, 5000);
	nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, 65536);
	s->nopipe_since_ms = pd_now_ms();
	if ((rv = nng_pipe_notify(s->sock, NNG_PIPE_EV_ADD_PRE, ship_pipe_event, s)) != 0 ||
	    (rv = nng_pipe_notify(s->sock, NNG_PIPE_EV_REM_POST, ship_pipe_event, s)) != 0 ||
	    (rv = ship_dial(s, &s->dialer)) != 0) {
		snprintf(err, errlen, "ship: cannot dial %s (%s)", s->o.url, nng_strerror(rv));
		return pd_nng_err(rv);
	}
	return 0;
}

int ship_start(struct ship **out, const struct ship_opts *o, struct spool *sp,
               struct sensor_stats *st, char *err, size_t errlen)
{
	struct ship *s = calloc(1, sizeof(*s));
	if (!s)
		return -12;
	s->o = *o;
	if (!s->o.inflight)
		s->o.inflight = 4;
	if (s->o.inflight > SHIP_MAX_INFLIGHT)
		s->o.inflight = SHIP_MAX_INFLIGHT;
	if (!s->o.reply_timeout_ms)
		s->o.reply_timeout_ms = 60000;
	s->spool = sp;
	s->st = st;
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->hb_mu, NULL);
	pthread_mutex_init(&s->pipe_mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	int rc = ship_socket(s, err, errlen);
	if (rc == 0 && sender_init(&s->hb, s, 1u << 20) != 0) {
		snprintf(err, errlen, "ship: cannot open the heartbeat context");
		rc = PD_ENET;
	}
	for (unsigned i = 0; rc == 0 && i < s->o.inflight; i++) {
		struct sender *d = &s->senders[i];
		if (sender_init(d, s, SPOOL_MAX_PAYLOAD) != 0 ||
		    pthread_create(&d->thread, NULL, sender_main, d) != 0) {
			snprintf(err, errlen, "ship: cannot start senders");
			rc = PD_ENET;
			break;
		}
		s->nsenders++;
	}
	if (rc == 0 && pthread_create(&s->watch, NULL, ship_watch, s) != 0) {
		snprintf(err, errlen, "ship: cannot start the dial watchdog");
		rc = PD_ENET;
	}
	s->watching = rc == 0;
	if (rc < 0) {
		ship_stop(s);
		return rc;
	}
	*out = s;
	return 0;
}

void ship_wake(struct ship *s)
{
	pthread_mutex_lock(&s->mu);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int ship_drain(struct ship *s, uint64_t timeout_ms, volatile int *stop_flag)
{
	uint64_t until = pd_now_ms() + timeout_ms;
	for (;;) {
		uint64_t bytes, batches;
		spool_depth(s->spool, &bytes, &batches);
		if (batches == 0)
			return 0;
		if (stop_flag && *stop_flag)
			return PD_ESTALE;
		if (pd_now_ms() >= until)
			return PD_ETIMEOUT;
		struct timespec ts = { 0, 50 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

int ship_halt(struct ship *s)
{
	if (!s->halted) {
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		pthread_cond_broadcast(&s->cv);
		pthread_mutex_unlock(&s->mu);
		/* Every exchange in flight ends now, and any started later fails
		 * at once; the batches stay spooled. The socket closes only then:
		 * NNG 1.5.2's close can hang when it races a request in flight. */
		for (unsigned i = 0; i < SHIP_MAX_INFLIGHT; i++)
			pd_aiowait_stop(&s->senders[i].w);
		pd_aiowait_stop(&s->hb.w);
		for (unsigned i = 0; i < s->nsenders; i++)
			pthread_join(s->senders[i].thread, NULL);
		s->nsenders = 0;
		if (s->watching)
			pthread_join(s->watch, NULL);
		s->watching = 0;
		s->halted = 1;
		if (s->sock.id > 0 && pd_nng_close_bounded(s->sock, SHIP_CLOSE_MS) < 0) {
			log_warnx("ship: the connection did not close within %u s (an NNG 1.5.2 "
			          "bug); leaving it, the batches stay spooled", SHIP_CLOSE_MS / 1000);
			pd_nng_abandon(s);
			s->halted = -1; /* the process is about to exit; NNG may still use s */
		}
	}
	return s->halted > 0 ? 0 : -1;
}

void ship_stop(struct ship *s)
{
	if (!s || ship_halt(s) < 0)
		return;
	for (unsigned i = 0; i < SHIP_MAX_INFLIGHT; i++)
		sender_fini(&s->senders[i]);
	sender_fini(&s->hb);
	if (s->tls)
		nng_tls_config_free(s->tls);
	pthread_mutex_destroy(&s->hb_mu);
	pthread_mutex_destroy(&s->pipe_mu);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

uint64_t ship_idle_ms(struct ship *s)
{
	pthread_mutex_lock(&s->mu);
	uint64_t last = s->last_ack_ms;
	pthread_mutex_unlock(&s->mu);
	uint64_t now = pd_now_ms();
	return last && now > last ? now - last : now;
}

int ship_heartbeat(struct ship *s, const uint8_t *msg, size_t len)
{
	struct pd_batch_reply r;
	nng_msg *reply = NULL;
	pthread_mutex_lock(&s->hb_mu);
	pd_buf_reset(&s->hb.buf);
	int rc = pd_buf_add(&s->hb.buf, msg, len);
	if (rc == 0) {
		memset(&r, 0, sizeof(r));
		rc = sender_exchange(&s->hb, &r, &reply);
	}
	if (reply)
		nng_msg_free(reply);
	pthread_mutex_unlock(&s->hb_mu);
	if (rc == 0)
		STAT_INC_SHARED(s->st, heartbeats_acked);
	return rc;
}
