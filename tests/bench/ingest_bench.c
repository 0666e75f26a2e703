/*
 * ingest_bench: several sensors at once, over real mutual TLS, sending
 * signed batches of synthetic observations to a running aggregator.
 *
 *   ingest_bench URL CA PKIDIR SENSORS INFLIGHT TUPLES BATCH REPEAT
 *
 * Sensor k uses PKIDIR/bench<k>.crt/.key and its own stream. Observations
 * are A records of TUPLES distinct names in all; a fraction REPEAT of each
 * batch repeats tuples already sent (skewed towards the popular ones), the
 * rest are new, until TUPLES distinct tuples exist. Prints one line:
 * "obs=N batches=B distinct=T seconds=S obs_per_s=R tail_obs_per_s=R p50_ms=..
 * p99_ms=.. max_ms=..", where the tail rate is the one while the last tenth
 * of the tuples was made (the store at its largest).
 */
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchgen.h"
#include "pd_batch.h"
#include "pd_err.h"
#include "pd_sign.h"
#include "pd_tls.h"

struct bench {
	const char *url, *ca, *dir;
	unsigned sensors, inflight, batch;
	uint64_t tuples;
	double repeat;
	_Atomic uint64_t next_new;  /* distinct tuples handed out */
	_Atomic uint64_t obs_acked, batches_acked;
	pthread_mutex_t mu;
	double *lat;                /* per-batch latency, ms */
	size_t nlat, latcap;
	double tail_t;              /* when the last tenth of the tuples began */
	uint64_t tail_obs;          /* observations acked by then */
};

struct sender {
	struct bench *b;
	unsigned sensor;
	struct pd_signer *signer;
	nng_socket sock;
	uint8_t stream[16];
	_Atomic uint64_t *seq;
	uint64_t rng;
};

static int build(struct sender *s, struct pd_buf *env, size_t *n_obs)
{
	struct bench *b = s->b;
	struct pd_batch_enc e;
	struct pd_buf body;
	uint64_t seq = atomic_fetch_add(s->seq, 1) + 1;
	pd_batch_enc_init(&e, 48u << 20, b->batch);
	pd_buf_init(&body, 48u << 20);
	/* floor 1: the batches of a sensor are in flight out of order. */
	pd_batch_enc_begin(&e, s->stream, seq, 1, (int64_t)time(NULL), PD_BATCH_DATA);
	uint8_t name[64], rd[4];
	int64_t t = 1700000000 + (int64_t)(bench_rnd(&s->rng) % 86400);
	for (unsigned k = 0; k < b->batch; k++) {
		uint64_t made = atomic_load(&b->next_new);
		uint64_t i = bench_repeats(made, b->tuples, b->repeat, &s->rng)
		             ? bench_repeat_of(made, &s->rng) : atomic_fetch_add(&b->next_new, 1);
		struct pd_obs o = { .name = name, .name_len = bench_tuple(i, name, rd), .rdata = rd,
			.rdlen = 4, .type = 1, .count = 1 + (i % 3), .first_s = t, .last_s = t + 60 };
		if (pd_batch_enc_obs(&e, &o) < 0)
			break;
	}
	*n_obs = e.n_obs;
	uint8_t sig[PD_SIGN_SIG_MAX];
	size_t sl, cl;
	int rc = pd_batch_enc_end(&e, &body);
	if (rc == 0)
		rc = pd_signer_sign(s->signer, body.data, body.len, sig, sizeof(sig), &sl);
	const uint8_t *cert = pd_signer_cert(s->signer, &cl);
	pd_buf_reset(env);
	if (rc == 0)
		rc = pd_batch_seal(env, body.data, body.len, cert, cl, sig, sl);
	pd_batch_enc_fini(&e);
	pd_buf_fini(&body);
	return rc;
}

static void *send_loop(void *arg)
{
	struct sender *s = arg;
	struct bench *b = s->b;
	nng_ctx ctx;
	nng_aio *aio;
	struct pd_buf env;
	pd_buf_init(&env, 64u << 20);
	nng_ctx_open(&ctx, s->sock);
	nng_aio_alloc(&aio, NULL, NULL);
	for (;;) {
		uint64_t made = atomic_load(&b->next_new);
		if (made >= b->tuples)
			break;
		size_t n;
		if (build(s, &env, &n) < 0)
			break;
		double t0 = bench_now_s();
		for (;;) { /* until acked: busy or lost replies are sent again */
			nng_msg *m, *r;
			nng_msg_alloc(&m, 0);
			nng_msg_append(m, env.data, env.len);
			nng_aio_set_msg(aio, m);
			nng_aio_set_timeout(aio, 120000);
			nng_ctx_send(ctx, aio);
			nng_aio_wait(aio);
			if (nng_aio_result(aio) != 0) {
				nng_msg_free(nng_aio_get_msg(aio));
				continue;
			}
			nng_ctx_recv(ctx, aio);
			nng_aio_wait(aio);
			if (nng_aio_result(aio) != 0)
				continue;
			r = nng_aio_get_msg(aio);
			struct pd_batch_reply rep;
			int ok = pd_batch_reply_decode(nng_msg_body(r), nng_msg_len(r), &rep) == 0 &&
			         rep.status == 0;
			nng_msg_free(r);
			if (ok)
				break;
			struct timespec ts = { 0, 50 * 1000000L };
			nanosleep(&ts, NULL);
		}
		double ms = (bench_now_s() - t0) * 1000;
		atomic_fetch_add(&b->obs_acked, n);
		atomic_fetch_add(&b->batches_acked, 1);
		pthread_mutex_lock(&b->mu);
		if (b->nlat == b->latcap) {
			b->latcap = b->latcap ? b->latcap * 2 : 1024;
			b->lat = realloc(b->lat, b->latcap * sizeof(double));
		}
		b->lat[b->nlat++] = ms;
		if (b->tail_t == 0 && atomic_load(&b->next_new) >= b->tuples - b->tuples / 10) {
			b->tail_t = bench_now_s();
			b->tail_obs = atomic_load(&b->obs_acked);
		}
		pthread_mutex_unlock(&b->mu);
	}
	nng_aio_free(aio);
	nng_ctx_close(ctx);
	pd_buf_fini(&env);
	return NULL;
}

static int cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, c = *(const double *)y;
	return a < c ? -1 : a > c;
}

int main(int argc, char **argv)
{
	if (argc != 9) {
		fprintf(stderr, "usage: ingest_bench URL CA PKIDIR SENSORS INFLIGHT TUPLES BATCH REPEAT\n");
		return 2;
	}
	struct bench b = { .url = argv[1], .ca = argv[2], .dir = argv[3],
		.sensors = (unsigned)atoi(argv[4]), .inflight = (unsigned)atoi(argv[5]),
		.tuples = strtoull(argv[6], NULL, 10), .batch = (unsigned)atoi(argv[7]),
		.repeat = atof(argv[8]) };
	pthread_mutex_init(&b.mu, NULL);
	struct sender *ss = calloc(b.sensors, sizeof(*ss));
	_Atomic uint64_t *seqs = calloc(b.sensors, sizeof(*seqs));
	pthread_t *th = calloc((size_t)b.sensors * b.inflight, sizeof(pthread_t));
	struct sender *per = calloc((size_t)b.sensors * b.inflight, sizeof(*per));
	char err[512], crt[4096], key[4096];
	for (unsigned k = 0; k < b.sensors; k++) {
		snprintf(crt, sizeof(crt), "%s/bench%u.crt", b.dir, k + 1);
		snprintf(key, sizeof(key), "%s/bench%u.key", b.dir, k + 1);
		struct pd_tls_files f = { .ca = b.ca, .cert = crt, .key = key };
		nng_tls_config *tls;
		nng_dialer d;
		if (pd_signer_new(&ss[k].signer, crt, key, err, sizeof(err)) < 0 ||
		    pd_tls_config(&tls, 0, &f, "localhost", err, sizeof(err)) < 0) {
			fprintf(stderr, "ingest_bench: %s\n", err);
			return 1;
		}
		nng_req0_open(&ss[k].sock);
		nng_socket_set_ms(ss[k].sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
		nng_dialer_create(&d, ss[k].sock, b.url);
		nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls);
		if (nng_dialer_start(d, 0) != 0) {
			fprintf(stderr, "ingest_bench: cannot connect to %s\n", b.url);
			return 1;
		}
		ss[k].b = &b;
		ss[k].seq = &seqs[k];
		for (int i = 0; i < 16; i++)
			ss[k].stream[i] = (uint8_t)(k * 31 + (unsigned)i + 7);
		ss[k].stream[0] = (uint8_t)time(NULL);
	}
	double t0 = bench_now_s();
	for (unsigned k = 0; k < b.sensors; k++) {
		for (unsigned j = 0; j < b.inflight; j++) {
			struct sender *p = &per[k * b.inflight + j];
			*p = ss[k];
			p->rng = 0x9e3779b97f4a7c15ull * (k * 64 + j + 1);
			pthread_create(&th[k * b.inflight + j], NULL, send_loop, p);
		}
	}
	for (unsigned i = 0; i < b.sensors * b.inflight; i++)
		pthread_join(th[i], NULL);
	double t1 = bench_now_s(), secs = t1 - t0;
	double tail = b.tail_t > 0 && t1 > b.tail_t
	              ? (double)(b.obs_acked - b.tail_obs) / (t1 - b.tail_t) : 0;
	qsort(b.lat, b.nlat, sizeof(double), cmp_d);
	double p50 = b.nlat ? b.lat[b.nlat / 2] : 0, p99 = b.nlat ? b.lat[b.nlat * 99 / 100] : 0;
	double mx = b.nlat ? b.lat[b.nlat - 1] : 0;
	printf("obs=%llu batches=%llu distinct=%llu seconds=%.2f obs_per_s=%.0f "
	       "tail_obs_per_s=%.0f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
	       (unsigned long long)b.obs_acked, (unsigned long long)b.batches_acked,
	       (unsigned long long)b.tuples, secs, (double)b.obs_acked / secs, tail, p50, p99, mx);
	return 0;
}
