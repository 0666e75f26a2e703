#include "batcher.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "pd_batch.h"
#include "pd_err.h"
#include "pd_log.h"

struct batcher {
	struct state *state;
	struct spool *spool;
	struct pd_signer *signer;
	struct batcher_opts o;
	struct sensor_stats *st;
	const struct health_src *health;
	pthread_mutex_t sign_mu; /* the capture and heartbeat threads both seal */
	struct pd_batch_enc hb;
	struct pd_buf hb_body;
	batcher_spooled_fn spooled;
	void *ctx;
	struct pd_batch_enc enc;
	int open;
	struct pd_buf body, env;
	int lost_logged;
};

int batcher_new(struct batcher **out, struct state *st, struct spool *sp,
                struct pd_signer *signer, const struct batcher_opts *o,
                struct sensor_stats *stats, const struct health_src *health,
                batcher_spooled_fn spooled, void *ctx)
{
	struct batcher *b = calloc(1, sizeof(*b));
	if (!b)
		return -12;
	b->health = health;
	pthread_mutex_init(&b->sign_mu, NULL);
	pd_batch_enc_init(&b->hb, 64u << 10, 1);
	pd_buf_init(&b->hb_body, 64u << 10);
	b->state = st;
	b->spool = sp;
	b->signer = signer;
	b->o = *o;
	b->st = stats;
	b->spooled = spooled;
	b->ctx = ctx;
	pd_batch_enc_init(&b->enc, o->max_bytes, o->max_obs);
	/* A sealed envelope adds the certificate and the signature. */
	pd_buf_init(&b->body, o->max_bytes + 64);
	pd_buf_init(&b->env, o->max_bytes + PD_BATCH_CERT_MAX + PD_BATCH_SIG_MAX + 64);
	*out = b;
	return 0;
}

void batcher_free(struct batcher *b)
{
	if (!b)
		return;
	pd_batch_enc_fini(&b->enc);
	pd_batch_enc_fini(&b->hb);
	pd_buf_fini(&b->body);
	pd_buf_fini(&b->hb_body);
	pd_buf_fini(&b->env);
	pthread_mutex_destroy(&b->sign_mu);
	free(b);
}

static int batcher_begin(struct batcher *b)
{
	uint64_t seq, floor;
	int64_t created;
	int rc = state_next_seq(b->state, &seq);
	if (rc < 0)
		return rc;
	if (spool_oldest(b->spool, &floor, &created) < 0 || floor > seq)
		floor = seq;
	rc = pd_batch_enc_begin(&b->enc, b->state->stream_id, seq, floor, (int64_t)time(NULL),
	                        PD_BATCH_DATA);
	if (rc == 0)
		b->open = 1;
	return rc;
}

static void batcher_lost(struct batcher *b, size_t n_obs, int rc)
{
	STAT_INC(b->st, batches_lost);
	STAT_ADD(b->st, observations_lost, n_obs);
	if (!b->lost_logged)
		log_warnx("batcher: cannot spool a batch of %zu observations (%s); counting "
		          "losses in batches_lost until it works again", n_obs, pd_strerror(rc));
	b->lost_logged = 1;
}

void batcher_seal(struct batcher *b)
{
	if (!b->open)
		return;
	size_t n_obs = b->enc.n_obs;
	uint64_t seq = b->enc.seq;
	uint8_t sig[PD_SIGN_SIG_MAX];
	size_t sig_len = 0, cert_len = 0;
	const uint8_t *cert = pd_signer_cert(b->signer, &cert_len);
	b->open = 0;
	pd_buf_reset(&b->body);
	pd_buf_reset(&b->env);
	int rc = b->health ? health_add(b->health, &b->enc) : 0;
	if (rc == 0)
		rc = pd_batch_enc_end(&b->enc, &b->body);
	if (rc == 0)
		rc = pd_signer_sign(b->signer, b->body.data, b->body.len, sig, sizeof(sig), &sig_len);
	if (rc == 0)
		rc = pd_batch_seal(&b->env, b->body.data, b->body.len, cert, cert_len, sig, sig_len);
	if (rc == 0)
		rc = spool_put(b->spool, seq, b->env.data, b->env.len, (uint32_t)n_obs,
		               (int64_t)time(NULL));
	if (rc < 0) {
		batcher_lost(b, n_obs, rc);
		return;
	}
	b->lost_logged = 0;
	STAT_INC(b->st, batches_spooled);
	if (b->spooled)
		b->spooled(b->ctx);
}

void batcher_obs(void *ctx, const struct pd_obs *o)
{
	struct batcher *b = ctx;
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!b->open) {
			int rc = batcher_begin(b);
			if (rc < 0) {
				batcher_lost(b, 1, rc);
				return;
			}
		}
		int rc = pd_batch_enc_obs(&b->enc, o);
		if (rc == 0)
			return;
		if (rc != PD_ELIMIT || b->enc.n_obs == 0) {
			batcher_lost(b, 1, rc); /* cannot happen for a decoded tuple */
			return;
		}
		batcher_seal(b);
	}
}

int batcher_heartbeat(struct batcher *b, struct pd_buf *out)
{
	uint8_t sig[PD_SIGN_SIG_MAX];
	size_t sig_len = 0, cert_len = 0;
	const uint8_t *cert = pd_signer_cert(b->signer, &cert_len);
	/* The last sequence number handed out (heartbeats use none of their
	 * own: the aggregator does not record them as batches). */
	uint64_t seq = b->state->next_seq > 1 ? b->state->next_seq - 1 : 1;
	pthread_mutex_lock(&b->sign_mu);
	pd_buf_reset(&b->hb_body);
	pd_buf_reset(out);
	int rc = pd_batch_enc_begin(&b->hb, b->state->stream_id, seq, seq, (int64_t)time(NULL),
	                            PD_BATCH_HEARTBEAT);
	if (rc == 0 && b->health)
		rc = health_add(b->health, &b->hb);
	if (rc == 0)
		rc = pd_batch_enc_end(&b->hb, &b->hb_body);
	if (rc == 0)
		rc = pd_signer_sign(b->signer, b->hb_body.data, b->hb_body.len, sig, sizeof(sig),
		                    &sig_len);
	if (rc == 0)
		rc = pd_batch_seal(out, b->hb_body.data, b->hb_body.len, cert, cert_len, sig, sig_len);
	pthread_mutex_unlock(&b->sign_mu);
	return rc;
}
