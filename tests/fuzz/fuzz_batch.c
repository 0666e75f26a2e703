/*
 * Fuzz target: one message as the aggregator and the sensor receive them.
 * The input is opened as an envelope and its body decoded; it is also
 * decoded as a bare body (so mutations reach the body without first having
 * to keep the envelope intact) and as a reply. Whatever decodes must
 * re-encode to something that decodes to the same values.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pd_batch.h"
#include "pd_buf.h"
#include "pd_mpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pd_batch batch, again;
static struct pd_buf out;

/* Re-encodes b and checks that the result decodes to the same batch. */
static void round_trip(const struct pd_batch *b)
{
	struct pd_batch_enc e;
	pd_batch_enc_init(&e, 64u << 20, 0);
	if (pd_batch_enc_begin(&e, b->stream_id, b->seq, b->floor_seq, b->sent_at_s, b->kind))
		abort();
	for (size_t i = 0; i < b->n_obs; i++)
		if (pd_batch_enc_obs(&e, &b->obs[i]))
			abort();
	for (size_t i = 0; i < b->n_health; i++) {
		const struct pd_batch_health *h = &b->health[i];
		char key[PD_BATCH_HEALTH_KEY_MAX + 1];
		memcpy(key, h->key, h->key_len);
		key[h->key_len] = 0;
		int rc = h->is_str ? pd_batch_enc_health_str(&e, key, h->str, h->str_len)
		                   : pd_batch_enc_health_u64(&e, key, h->u);
		if (rc)
			abort();
	}
	pd_buf_reset(&out);
	if (pd_batch_enc_end(&e, &out) || pd_batch_decode(out.data, out.len, NULL, &again))
		abort();
	if (again.n_obs != b->n_obs || again.n_health != b->n_health || again.seq != b->seq)
		abort();
	for (size_t i = 0; i < b->n_obs; i++) {
		const struct pd_obs *x = &b->obs[i], *y = &again.obs[i];
		if (x->name_len != y->name_len || memcmp(x->name, y->name, x->name_len) ||
		    x->rdlen != y->rdlen || (x->rdlen && memcmp(x->rdata, y->rdata, x->rdlen)) ||
		    x->type != y->type || x->flags != y->flags || x->count != y->count ||
		    x->first_s != y->first_s || x->last_s != y->last_s)
			abort();
	}
	pd_batch_enc_fini(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!out.max)
		pd_buf_init(&out, 128u << 20);
	/* Keep the obs arrays from growing across runs, so leaks show per input. */
	pd_batch_fini(&batch);
	pd_batch_fini(&again);

	struct pd_batch_env env;
	struct pd_batch_limits lim = { .max_obs = 20000 };
	if (pd_batch_open(data, size, &env) == 0 &&
	    pd_batch_decode(env.body, env.body_len, &lim, &batch) == 0)
		round_trip(&batch);
	if (pd_batch_decode(data, size, &lim, &batch) == 0)
		round_trip(&batch);

	struct pd_batch_reply r;
	if (pd_batch_reply_decode(data, size, &r) == 0) {
		char msg[PD_BATCH_MSG_MAX + 1];
		memcpy(msg, r.msg ? r.msg : "", r.msg_len);
		msg[r.msg_len] = 0;
		struct pd_batch_reply r2;
		pd_buf_reset(&out);
		/* A message with a NUL inside re-encodes shorter; the rest must match. */
		if (pd_batch_reply_encode(&out, r.seq, r.status, msg) ||
		    pd_batch_reply_decode(out.data, out.len, &r2) || r2.seq != r.seq ||
		    r2.status != r.status)
			abort();
	}

	/* The generic reader: skip whatever is there, at the deepest cap. */
	struct pd_mpack_rd rd;
	pd_mpack_rd_init(&rd, data, size);
	while (pd_mpack_rd_left(&rd) && pd_mpack_skip(&rd, PD_MPACK_DEPTH_MAX) == 0)
		;
	return 0;
}
