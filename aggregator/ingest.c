#define _GNU_SOURCE /* pthread_setname_np */
#include "ingest.h"

#include <nng/protocol/reqrep0/rep.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "listener.h"
#include "pd_batch.h"
#include "pd_err.h"
#include "pd_log.h"
#include "pd_nngclose.h"

enum ictx_state { IC_RECV, IC_WORK, IC_SEND, IC_DONE };

struct ictx {
	struct ingest *in;
	nng_ctx ctx;
	nng_aio *aio;
	enum ictx_state state;
	nng_msg *msg;
	struct pd_batch batch;
	struct wjob job;
	struct pd_identity id;
	struct ictx *qnext;
	struct pd_buf reply;
};

struct ingest {
	struct ingest_opts o;
	nng_socket sock;
	struct listener *lsn;
	nng_tls_config *tls;
	struct pd_verifier *verifier;
	struct registry *reg;
	struct writer *writer;
	struct agg_stats *stats;
	ingest_seen_fn seen;
	void *seen_ctx;
	struct ictx *ctxs;
	pthread_t *workers;
	unsigned nworkers;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ictx *qhead, *qtail;
	unsigned busy;  /* contexts between receive and reply sent */
	unsigned calls; /* NNG calls on a context under way (ictx_call) */
	int stopping;
};

/*
 * An NNG call on a context, from whichever thread: counted, so that
 * ingest_stop frees the contexts only once no call is under way. A reply's
 * send can complete (and its callback count the context idle) before
 * nng_ctx_send has returned in the thread that called it, and ingest_stop
 * then closed the socket and freed the aio under that call: the likely
 * cause of NNG's "panic: pthread_mutex_lock: Invalid argument" inside
 * nng_ctx_send from the writer's answer, seen once at SIGTERM in CI. Once
 * stopping, only replies start (receives do not).
 */
static int ictx_call_begin(struct ingest *in, int reply)
{
	pthread_mutex_lock(&in->mu);
	int ok = reply || !in->stopping;
	if (ok)
		in->calls++;
	pthread_mutex_unlock(&in->mu);
	return ok;
}

static void ictx_call_end(struct ingest *in)
{
	pthread_mutex_lock(&in->mu);
	in->calls--;
	pthread_cond_broadcast(&in->cv);
	pthread_mutex_unlock(&in->mu);
}

/* The context is done with a batch: free it and receive the next one. */
static void ictx_next(struct ictx *c)
{
	struct ingest *in = c->in;
	if (c->msg) {
		nng_msg_free(c->msg);
		c->msg = NULL;
	}
	pthread_mutex_lock(&in->mu);
	in->busy--;
	int stop = in->stopping;
	c->state = stop ? IC_DONE : IC_RECV;
	if (!stop)
		in->calls++;
	pthread_cond_broadcast(&in->cv);
	pthread_mutex_unlock(&in->mu);
	if (!stop) {
		nng_ctx_recv(c->ctx, c->aio);
		ictx_call_end(in);
	}
}

/* Sends the reply for the context's batch (any thread). */
static void ictx_reply(struct ictx *c, uint64_t seq, int status, const char *msg)
{
	nng_msg *m = NULL;
	pd_buf_reset(&c->reply);
	if (pd_batch_reply_encode(&c->reply, seq, status, msg) < 0 ||
	    nng_msg_alloc(&m, 0) != 0 || nng_msg_append(m, c->reply.data, c->reply.len) != 0) {
		/* Out of memory: no reply; the sensor's request times out and
		 * is sent again. */
		if (m)
			nng_msg_free(m);
		ictx_next(c);
		return;
	}
	if (c->msg) {
		nng_msg_free(c->msg);
		c->msg = NULL;
	}
	c->state = IC_SEND;
	nng_aio_set_msg(c->aio, m);
	ictx_call_begin(c->in, 1);
	nng_ctx_send(c->ctx, c->aio);
	ictx_call_end(c->in);
}

static void ictx_job_done(struct wjob *j)
{
	struct ictx *c = j->ctx;
	ictx_reply(c, c->batch.seq, j->status, j->msg);
}

/* NNG's callback: a receive or a send completed. */
static void ictx_cb(void *arg)
{
	struct ictx *c = arg;
	struct ingest *in = c->in;
	int rv = nng_aio_result(c->aio);
	if (c->state == IC_SEND) {
		if (rv != 0)
			nng_msg_free(nng_aio_get_msg(c->aio));
		ictx_next(c);
		return;
	}
	if (rv != 0) {
		if (rv == NNG_ECLOSED || rv == NNG_ECANCELED || !ictx_call_begin(in, 0)) {
			c->state = IC_DONE;
			return;
		}
		nng_ctx_recv(c->ctx, c->aio);
		ictx_call_end(in);
		return;
	}
	c->msg = nng_aio_get_msg(c->aio);
	pthread_mutex_lock(&in->mu);
	if (in->stopping) {
		/* Not answered: the sensor keeps the batch and sends it again. */
		pthread_mutex_unlock(&in->mu);
		nng_msg_free(c->msg);
		c->msg = NULL;
		c->state = IC_DONE;
		return;
	}
	in->busy++;
	c->state = IC_WORK;
	c->qnext = NULL;
	if (in->qtail)
		in->qtail->qnext = c;
	else
		in->qhead = c;
	in->qtail = c;
	pthread_cond_signal(&in->cv);
	pthread_mutex_unlock(&in->mu);
}

static void ingest_refuse(struct ictx *c, uint64_t seq, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void ingest_refuse(struct ictx *c, uint64_t seq, int status, const char *fmt, ...)
{
	char msg[PD_BATCH_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ictx_reply(c, seq, status, msg);
}

/* Verification and decoding of one received batch (a worker thread). */
static void ingest_process(struct ingest *in, struct ictx *c)
{
	const uint8_t *msg = nng_msg_body(c->msg);
	size_t len = nng_msg_len(c->msg);
	struct pd_batch_env env;
	ASTAT_INC(in->stats, batches_received);
	if (len > in->o.max_batch_bytes) {
		/* Up to twice the limit arrives (NNG drops the connection beyond
		 * that, which only shows as a closed pipe) and is refused here. */
		ASTAT_INC(in->stats, refused_oversize);
		ingest_refuse(c, 0, PD_ELIMIT, "batch of %zu bytes is over the limit of %zu", len,
		              in->o.max_batch_bytes);
		return;
	}
	int rc = pd_batch_open(msg, len, &env);
	if (rc < 0) {
		if (rc == PD_EVERSION)
			ASTAT_INC(in->stats, refused_version);
		else
			ASTAT_INC(in->stats, refused_malformed);
		ingest_refuse(c, 0, rc, "%s", rc == PD_EVERSION ? "unsupported batch version"
		                                               : "malformed batch envelope");
		return;
	}
	enum pd_sign_reason why;
	rc = pd_verifier_verify(in->verifier, env.cert, env.cert_len, env.body, env.body_len,
	                        env.sig, env.sig_len, &c->id, &why);
	if (rc < 0) {
		ASTAT_INC(in->stats, refused_auth);
		atomic_fetch_add_explicit(&in->stats->auth[why], 1, memory_order_relaxed);
		ingest_refuse(c, 0, PD_EAUTH, "refused: %s", pd_sign_reason_str(why));
		return;
	}
	if (!registry_allows(in->reg, c->id.sensor_id, c->id.site)) {
		ASTAT_INC(in->stats, refused_registry);
		ingest_refuse(c, 0, PD_EAUTH, "refused: sensor %s of site %s is not registered",
		              c->id.sensor_id, c->id.site);
		return;
	}
	struct pd_batch_limits lim = { .max_obs = in->o.max_batch_obs };
	rc = pd_batch_decode(env.body, env.body_len, &lim, &c->batch);
	if (rc < 0) {
		ASTAT_INC(in->stats, refused_malformed);
		ingest_refuse(c, 0, rc, "malformed batch body (%s)", pd_strerror(rc));
		return;
	}
	if (in->seen)
		in->seen(in->seen_ctx, &c->id, &c->batch);
	if (c->batch.kind == PD_BATCH_HEARTBEAT) {
		ASTAT_INC(in->stats, heartbeats_received);
		ictx_reply(c, c->batch.seq, 0, "heartbeat");
		return;
	}
	memset(&c->job, 0, sizeof(c->job));
	c->job.batch = &c->batch;
	c->job.body_len = env.body_len;
	c->job.id = c->id;
	c->job.done = ictx_job_done;
	c->job.ctx = c;
	rc = writer_submit(in->writer, &c->job);
	if (rc < 0) {
		ASTAT_INC(in->stats, refused_busy);
		ingest_refuse(c, c->batch.seq, PD_EBUSY, "%s", rc == PD_ESTALE ? "shutting down"
		              : "busy: try again later");
	}
}

static void *ingest_worker(void *arg)
{
	struct ingest *in = arg;
	pthread_setname_np(pthread_self(), "alm-verify");
	pthread_mutex_lock(&in->mu);
	for (;;) {
		while (!in->qhead && !in->stopping)
			pthread_cond_wait(&in->cv, &in->mu);
		if (!in->qhead)
			break;
		struct ictx *c = in->qhead;
		in->qhead = c->qnext;
		if (!in->qhead)
			in->qtail = NULL;
		pthread_mutex_unlock(&in->mu);
		ingest_process(in, c);
		pthread_mutex_lock(&in->mu);
	}
	pthread_mutex_unlock(&in->mu);
	return NULL;
}

/* Connections come and go: counted, so churn is visible. */
static void ingest_pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct ingest *in = arg;
	(void)p;
	if (ev == NNG_PIPE_EV_ADD_POST)
		ASTAT_INC(in->stats, pipes_opened);
	else
		ASTAT_INC(in->stats, pipes_closed);
}

static int ingest_socket(struct ingest *in, char *err, size_t errlen)
{
	int rv = nng_rep0_open(&in->sock);
	if (rv != 0) {
		snprintf(err, errlen, "ingest: cannot open a socket (%s)", nng_strerror(rv));
		return pd_nng_err(rv);
	}
	int rc = pd_tls_config(&in->tls, 1, &in->o.tls, NULL, err, errlen);
	if (rc < 0)
		return rc;
	size_t hard = in->o.max_batch_bytes * 2;
	if ((rv = nng_socket_set_size(in->sock, NNG_OPT_RECVMAXSZ, hard)) != 0 ||
	    (rv = nng_pipe_notify(in->sock, NNG_PIPE_EV_ADD_POST, ingest_pipe_event, in)) != 0 ||
	    (rv = nng_pipe_notify(in->sock, NNG_PIPE_EV_REM_POST, ingest_pipe_event, in)) != 0) {
		snprintf(err, errlen, "ingest: cannot set up the socket (%s)", nng_strerror(rv));
		return pd_nng_err(rv);
	}
	return listener_start(&in->lsn, in->sock, in->o.listen_url, in->tls, &in->o.tls,
	                      in->stats, err, errlen);
}

static int ingest_contexts(struct ingest *in, char *err, size_t errlen)
{
	in->ctxs = calloc(in->o.contexts, sizeof(*in->ctxs));
	if (!in->ctxs)
		return -12;
	for (unsigned i = 0; i < in->o.contexts; i++) {
		struct ictx *c = &in->ctxs[i];
		c->in = in;
		pd_batch_init(&c->batch);
		pd_buf_init(&c->reply, 4096);
		int rv = nng_ctx_open(&c->ctx, in->sock);
		if (rv == 0)
			rv = nng_aio_alloc(&c->aio, ictx_cb, c);
		if (rv != 0) {
			snprintf(err, errlen, "ingest: cannot open contexts (%s)", nng_strerror(rv));
			return pd_nng_err(rv);
		}
	}
	for (unsigned i = 0; i < in->o.contexts; i++) {
		in->ctxs[i].state = IC_RECV;
		nng_ctx_recv(in->ctxs[i].ctx, in->ctxs[i].aio);
	}
	return 0;
}

int ingest_start(struct ingest **out, const struct ingest_opts *o, struct pd_verifier *v,
                 struct registry *reg, struct writer *w, struct agg_stats *stats,
                 ingest_seen_fn seen, void *seen_ctx, char *err, size_t errlen)
{
	struct ingest *in = calloc(1, sizeof(*in));
	if (!in)
		return -12;
	in->o = *o;
	if (!in->o.contexts)
		in->o.contexts = 32;
	if (!in->o.workers)
		in->o.workers = 2;
	if (!in->o.max_batch_bytes)
		in->o.max_batch_bytes = 64u << 20;
	in->verifier = v;
	in->reg = reg;
	in->writer = w;
	in->stats = stats;
	in->seen = seen;
	in->seen_ctx = seen_ctx;
	pthread_mutex_init(&in->mu, NULL);
	pthread_cond_init(&in->cv, NULL);
	int rc = ingest_socket(in, err, errlen);
	in->workers = calloc(in->o.workers, sizeof(pthread_t));
	for (unsigned i = 0; rc == 0 && in->workers && i < in->o.workers; i++) {
		if (pthread_create(&in->workers[i], NULL, ingest_worker, in) != 0)
			rc = -11;
		else
			in->nworkers++;
	}
	if (rc == 0)
		rc = ingest_contexts(in, err, errlen);
	if (rc < 0) {
		ingest_stop(in);
		return rc;
	}
	*out = in;
	return 0;
}

static int ingest_wait(struct ingest *in, int (*done)(struct ingest *), int seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	int ok = 1;
	pthread_mutex_lock(&in->mu);
	while (!done(in) && ok)
		ok = pthread_cond_timedwait(&in->cv, &in->mu, &until) == 0;
	ok = done(in);
	pthread_mutex_unlock(&in->mu);
	return ok;
}

static int ingest_idle(struct ingest *in)
{
	return in->busy == 0 && in->calls == 0;
}

void ingest_stop(struct ingest *in)
{
	if (!in)
		return;
	listener_stop(in->lsn);
	pthread_mutex_lock(&in->mu);
	in->stopping = 1;
	pthread_cond_broadcast(&in->cv);
	pthread_mutex_unlock(&in->mu);
	/* Batches already received are answered (the writer drains first). */
	int idle = ingest_wait(in, ingest_idle, 30);
	if (!idle)
		log_warnx("ingest: %u batches still in flight at shutdown", in->busy);
	for (unsigned i = 0; i < in->nworkers; i++)
		pthread_join(in->workers[i], NULL);
	if (in->sock.id > 0 && pd_nng_close_bounded(in->sock, 10000) < 0) {
		log_warnx("ingest: the socket did not close within 10 s (an NNG 1.5.2 bug); "
		          "leaving it");
		pd_nng_abandon(in);
		return; /* the process is about to exit; do not wait on NNG */
	}
	if (!idle) {
		/* The writer may still answer those batches: their contexts
		 * stay (their sends fail on the closed socket). */
		pd_nng_abandon(in);
		return;
	}
	for (unsigned i = 0; in->ctxs && i < in->o.contexts; i++) {
		struct ictx *c = &in->ctxs[i];
		if (c->aio)
			nng_aio_free(c->aio);
		if (c->msg)
			nng_msg_free(c->msg);
		pd_batch_fini(&c->batch);
		pd_buf_fini(&c->reply);
	}
	if (in->tls)
		nng_tls_config_free(in->tls);
	free(in->ctxs);
	free(in->workers);
	pthread_mutex_destroy(&in->mu);
	pthread_cond_destroy(&in->cv);
	free(in);
}

uint64_t ingest_tls_refused(struct ingest *in)
{
	return listener_tls_refused(in->lsn);
}
