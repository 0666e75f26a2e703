/*
 * pd_batch: the versioned sensor -> aggregator batch codec (DESIGN.md,
 * "Sensor -> aggregator wire"), on pd_mpack.
 *
 * Wire format, version 1 (MessagePack; "uint"/"int" accept any integer
 * encoding whose value fits, and are written in the smallest one):
 *
 *   envelope = array(4) [ uint version = 1, bin body, bin cert, bin sig ]
 *     cert: DER of the sensor certificate (1..PD_BATCH_CERT_MAX bytes)
 *     sig:  the sensor key's signature over SHA-256("almanac-batch-v1" NUL
 *           || body bytes) (1..PD_BATCH_SIG_MAX bytes; made and checked by
 *           pd_sign)
 *
 *   body = array(7) [ bin stream_id (16 bytes), uint seq (>= 1),
 *                     uint floor_seq (1..seq: the lowest seq of this stream
 *                       the sensor may still send; all below is acked or
 *                       dropped), int sent_at_s, uint kind (0 = data,
 *                     1 = heartbeat, which carries no obs), array obs,
 *                     map health ]
 *
 *   obs element = array(7) [ bin name, uint type (<= 65535),
 *                     uint flags (only PD_OBS_NXDOMAIN), bin rdata
 *                     (0..65535 bytes; empty when NXDOMAIN), uint count
 *                     (>= 1), int first_s, int last_s (>= first_s) ]
 *     name: canonical uncompressed wire name, 1..255 bytes, labels of
 *           1..63 bytes without upper-case ASCII, ending with the root label
 *
 *   health = map (at most 256 pairs): str key (1..64 bytes of [a-z0-9_]) ->
 *            uint or str (at most 256 bytes). Keys may repeat; the last
 *            one wins (pd_batch_health_find).
 *
 *   reply = array(4) [ uint version = 1, uint seq, int status, str message ]
 *     status: 0 = applied or already applied; < 0 = a pd_err.h code (PD_EAUTH,
 *     PD_EMALF, ...; PD_ESTORE and PD_EBUSY mean "try later")
 *     message: at most PD_BATCH_MSG_MAX bytes
 *
 * Every element count is exact and nothing may follow the top-level value.
 * Decoders return PD_EVERSION for another version, PD_ELIMIT when a count or
 * length exceeds a cap, and PD_EMALF for anything else that is wrong; they
 * never allocate more than the input justifies (see pd_batch_decode).
 * Decoded strings, bins and obs fields are views into the caller's input.
 *
 * Thread-safety: no shared state; an encoder or decoded batch belongs to one
 * thread at a time.
 */
#ifndef PD_BATCH_H
#define PD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pd_buf.h"
#include "pd_obs.h"

#define PD_BATCH_VERSION 1
#define PD_BATCH_STREAM_ID_LEN 16
#define PD_BATCH_MAX_OBS 200000     /* default cap on obs per batch */
#define PD_BATCH_HEALTH_MAX 256
#define PD_BATCH_HEALTH_KEY_MAX 64
#define PD_BATCH_HEALTH_STR_MAX 256
#define PD_BATCH_MSG_MAX 256
#define PD_BATCH_CERT_MAX 16384
#define PD_BATCH_SIG_MAX 1024

enum pd_batch_kind { PD_BATCH_DATA = 0, PD_BATCH_HEARTBEAT = 1 };

/* Envelope views (pd_batch_open). */
struct pd_batch_env {
	const uint8_t *body, *cert, *sig;
	size_t body_len, cert_len, sig_len;
};

struct pd_batch_health {
	const char *key;
	size_t key_len;
	bool is_str;
	uint64_t u;      /* when !is_str */
	const char *str; /* when is_str (NULL if empty) */
	size_t str_len;
};

/*
 * A decoded body. The obs array belongs to the struct: pd_batch_decode grows
 * it as needed (so one struct reused across batches stops allocating) and
 * pd_batch_fini frees it. All pointers inside are views into the body bytes.
 */
struct pd_batch {
	const uint8_t *stream_id; /* PD_BATCH_STREAM_ID_LEN bytes */
	uint64_t seq, floor_seq;
	int64_t sent_at_s;
	enum pd_batch_kind kind;
	struct pd_obs *obs;
	size_t n_obs, obs_cap;
	size_t n_health;
	struct pd_batch_health health[PD_BATCH_HEALTH_MAX];
};

struct pd_batch_limits {
	size_t max_obs; /* 0: PD_BATCH_MAX_OBS */
};

struct pd_batch_reply {
	uint64_t seq;
	int status;
	const char *msg; /* view, not NUL-terminated; NULL if empty */
	size_t msg_len;
};

/*
 * The body encoder. Observations and health entries may be added in any
 * order between begin and end; each call is all-or-nothing, so after
 * PD_ELIMIT (body or obs cap reached) the caller ends this batch and puts
 * the rejected item into the next one. Inputs the decoder would refuse are
 * refused here with PD_EMALF.
 */
struct pd_batch_enc {
	struct pd_buf obs, health;
	size_t n_obs, n_health, max_obs;
	uint8_t stream_id[PD_BATCH_STREAM_ID_LEN];
	uint64_t seq, floor_seq;
	int64_t sent_at_s;
	enum pd_batch_kind kind;
};

/* max_body caps the encoded obs bytes; max_obs 0 means PD_BATCH_MAX_OBS. */
void pd_batch_enc_init(struct pd_batch_enc *e, size_t max_body, size_t max_obs);
void pd_batch_enc_fini(struct pd_batch_enc *e);
/* Starts a body (drops anything added since the last begin). */
int pd_batch_enc_begin(struct pd_batch_enc *e, const uint8_t *stream_id, uint64_t seq,
                       uint64_t floor_seq, int64_t sent_at_s, enum pd_batch_kind kind);
int pd_batch_enc_obs(struct pd_batch_enc *e, const struct pd_obs *o);
int pd_batch_enc_health_u64(struct pd_batch_enc *e, const char *key, uint64_t v);
int pd_batch_enc_health_str(struct pd_batch_enc *e, const char *key, const char *v,
                            size_t len);
/* Upper bound of the body's encoded size so far. */
size_t pd_batch_enc_size(const struct pd_batch_enc *e);
/* Appends the finished body to out. The encoder keeps its contents. */
int pd_batch_enc_end(struct pd_batch_enc *e, struct pd_buf *out);

/* Appends the envelope around body, cert and sig to out. */
int pd_batch_seal(struct pd_buf *out, const uint8_t *body, size_t body_len,
                  const uint8_t *cert, size_t cert_len, const uint8_t *sig, size_t sig_len);

/* Checks the envelope and points env's fields into msg. */
int pd_batch_open(const uint8_t *msg, size_t len, struct pd_batch_env *env);

void pd_batch_init(struct pd_batch *b);
void pd_batch_fini(struct pd_batch *b);

/*
 * Decodes and validates a body into b (views into body). Before the obs
 * array grows, the declared count is checked against the cap and a
 * structural walk proves that many elements are really present, so the
 * allocation is bounded by the input's length. On error b holds no obs
 * (n_obs = 0) but keeps its array for reuse. lim may be NULL.
 */
int pd_batch_decode(const uint8_t *body, size_t len, const struct pd_batch_limits *lim,
                    struct pd_batch *b);

/* The last health entry named key, or NULL. */
const struct pd_batch_health *pd_batch_health_find(const struct pd_batch *b, const char *key);

/* 0 if o may travel in a batch, PD_EMALF otherwise (the rules above). */
int pd_batch_check_obs(const struct pd_obs *o);

/* msg may be NULL; longer than PD_BATCH_MSG_MAX is cut. status must be <= 0. */
int pd_batch_reply_encode(struct pd_buf *out, uint64_t seq, int status, const char *msg);
int pd_batch_reply_decode(const uint8_t *p, size_t len, struct pd_batch_reply *r);

#endif
