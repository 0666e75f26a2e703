#include "pd_batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_mpack.h"

#define BODY_ARITY 7
#define OBS_ARITY 7
#define ENV_ARITY 4
#define REPLY_ARITY 4
/*
 * The smallest encoded obs: fixarray, bin8 root name (3), type, flags, empty
 * bin8 (2), count, first, last.
 */
#define OBS_MIN_WIRE 11
/* Worst case of one obs's framing besides name and rdata bytes. */
#define OBS_MAX_FRAMING (1 + 2 + 3 + 2 + 3 + 3 * PD_MPACK_INT_MAX_LEN)

/* 1 for the bytes a health key may hold: [a-z0-9_]. */
static const uint8_t key_char[256] = {
	['0' ... '9'] = 1, ['a' ... 'z'] = 1, ['_'] = 1,
};

static int name_ok(const uint8_t *name, size_t len)
{
	if (len < 1 || len > 255)
		return 0;
	size_t pos = 0;
	for (;;) {
		size_t l = name[pos];
		if (l == 0)
			return pos + 1 == len;
		/* The label and at least the root's length byte must fit. */
		if (l > 63 || l >= len - pos - 1)
			return 0;
		for (size_t i = pos + 1; i <= pos + l; i++)
			if (name[i] >= 'A' && name[i] <= 'Z')
				return 0;
		pos += 1 + l;
	}
}

static int key_ok(const char *k, size_t len)
{
	if (len < 1 || len > PD_BATCH_HEALTH_KEY_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!key_char[(uint8_t)k[i]])
			return 0;
	return 1;
}

int pd_batch_check_obs(const struct pd_obs *o)
{
	if (!name_ok(o->name, o->name_len) || o->rdlen > 65535)
		return PD_EMALF;
	if (o->flags & ~PD_OBS_NXDOMAIN)
		return PD_EMALF;
	if ((o->flags & PD_OBS_NXDOMAIN) && o->rdlen)
		return PD_EMALF;
	if (o->count < 1 || o->first_s > o->last_s)
		return PD_EMALF;
	return 0;
}

/* Encoder */

void pd_batch_enc_init(struct pd_batch_enc *e, size_t max_body, size_t max_obs)
{
	memset(e, 0, sizeof(*e));
	pd_buf_init(&e->obs, max_body);
	/* Health is bounded by its own caps. */
	pd_buf_init(&e->health, PD_BATCH_HEALTH_MAX *
	            (PD_BATCH_HEALTH_KEY_MAX + PD_BATCH_HEALTH_STR_MAX + 8));
	e->max_obs = max_obs ? max_obs : PD_BATCH_MAX_OBS;
}

void pd_batch_enc_fini(struct pd_batch_enc *e)
{
	pd_buf_fini(&e->obs);
	pd_buf_fini(&e->health);
}

int pd_batch_enc_begin(struct pd_batch_enc *e, const uint8_t *stream_id, uint64_t seq,
                       uint64_t floor_seq, int64_t sent_at_s, enum pd_batch_kind kind)
{
	if (seq < 1 || floor_seq < 1 || floor_seq > seq ||
	    (kind != PD_BATCH_DATA && kind != PD_BATCH_HEARTBEAT))
		return PD_EMALF;
	pd_buf_reset(&e->obs);
	pd_buf_reset(&e->health);
	e->n_obs = e->n_health = 0;
	memcpy(e->stream_id, stream_id, PD_BATCH_STREAM_ID_LEN);
	e->seq = seq;
	e->floor_seq = floor_seq;
	e->sent_at_s = sent_at_s;
	e->kind = kind;
	return 0;
}

int pd_batch_enc_obs(struct pd_batch_enc *e, const struct pd_obs *o)
{
	if (pd_batch_check_obs(o) < 0 || e->kind == PD_BATCH_HEARTBEAT)
		return PD_EMALF;
	if (e->n_obs >= e->max_obs)
		return PD_ELIMIT;
	struct pd_buf *b = &e->obs;
	/* One reservation makes the appends below infallible. */
	int rc = pd_buf_reserve(b, OBS_MAX_FRAMING + o->name_len + o->rdlen);
	if (rc < 0)
		return rc;
	pd_mpack_write_array(b, OBS_ARITY);
	pd_mpack_write_bin(b, o->name, o->name_len);
	pd_mpack_write_uint(b, o->type);
	pd_mpack_write_uint(b, o->flags);
	pd_mpack_write_bin(b, o->rdata, o->rdlen);
	pd_mpack_write_uint(b, o->count);
	pd_mpack_write_int(b, o->first_s);
	pd_mpack_write_int(b, o->last_s);
	e->n_obs++;
	return 0;
}

static int enc_health_key(struct pd_batch_enc *e, const char *key, size_t more)
{
	size_t klen = strlen(key);
	if (!key_ok(key, klen))
		return PD_EMALF;
	if (e->n_health >= PD_BATCH_HEALTH_MAX)
		return PD_ELIMIT;
	int rc = pd_buf_reserve(&e->health, PD_MPACK_HDR_MAX_LEN + klen + more);
	if (rc < 0)
		return rc;
	pd_mpack_write_str(&e->health, key, klen);
	e->n_health++;
	return 0;
}

int pd_batch_enc_health_u64(struct pd_batch_enc *e, const char *key, uint64_t v)
{
	int rc = enc_health_key(e, key, PD_MPACK_INT_MAX_LEN);
	if (rc < 0)
		return rc;
	return pd_mpack_write_uint(&e->health, v);
}

int pd_batch_enc_health_str(struct pd_batch_enc *e, const char *key, const char *v,
                            size_t len)
{
	if (len > PD_BATCH_HEALTH_STR_MAX)
		return PD_ELIMIT;
	int rc = enc_health_key(e, key, PD_MPACK_HDR_MAX_LEN + len);
	if (rc < 0)
		return rc;
	return pd_mpack_write_str(&e->health, v, len);
}

size_t pd_batch_enc_size(const struct pd_batch_enc *e)
{
	/* Header fields at their widest, then the two containers. */
	return 1 + (2 + PD_BATCH_STREAM_ID_LEN) + 4 * PD_MPACK_INT_MAX_LEN +
	       2 * PD_MPACK_HDR_MAX_LEN + e->obs.len + e->health.len;
}

int pd_batch_enc_end(struct pd_batch_enc *e, struct pd_buf *out)
{
	size_t mark = out->len;
	int rc = pd_buf_reserve(out, pd_batch_enc_size(e));
	if (rc < 0)
		return rc;
	pd_mpack_write_array(out, BODY_ARITY);
	pd_mpack_write_bin(out, e->stream_id, PD_BATCH_STREAM_ID_LEN);
	pd_mpack_write_uint(out, e->seq);
	pd_mpack_write_uint(out, e->floor_seq);
	pd_mpack_write_int(out, e->sent_at_s);
	pd_mpack_write_uint(out, (uint64_t)e->kind);
	pd_mpack_write_array(out, (uint32_t)e->n_obs);
	pd_buf_add(out, e->obs.data, e->obs.len);
	pd_mpack_write_map(out, (uint32_t)e->n_health);
	rc = pd_buf_add(out, e->health.data, e->health.len);
	if (rc < 0) /* cannot happen after the reservation; keep out unchanged */
		out->len = mark;
	return rc;
}

/* Envelope */

int pd_batch_seal(struct pd_buf *out, const uint8_t *body, size_t body_len,
                  const uint8_t *cert, size_t cert_len, const uint8_t *sig, size_t sig_len)
{
	if (cert_len < 1 || cert_len > PD_BATCH_CERT_MAX || sig_len < 1 ||
	    sig_len > PD_BATCH_SIG_MAX)
		return PD_ELIMIT;
	size_t mark = out->len;
	int rc = pd_buf_reserve(out, 1 + PD_MPACK_INT_MAX_LEN + 3 * PD_MPACK_HDR_MAX_LEN +
	                             body_len + cert_len + sig_len);
	if (rc < 0)
		return rc;
	pd_mpack_write_array(out, ENV_ARITY);
	pd_mpack_write_uint(out, PD_BATCH_VERSION);
	pd_mpack_write_bin(out, body, body_len);
	pd_mpack_write_bin(out, cert, cert_len);
	rc = pd_mpack_write_bin(out, sig, sig_len);
	if (rc < 0) /* only a body over 4 GiB gets here */
		out->len = mark;
	return rc;
}

/* Reads an array header of exactly n elements whose first is version 1. */
static int read_versioned(struct pd_mpack_rd *r, uint32_t arity)
{
	uint32_t n;
	uint64_t version;
	if (pd_mpack_read_array(r, &n) || n < 1 || pd_mpack_read_u64(r, &version))
		return PD_EMALF;
	if (version != PD_BATCH_VERSION)
		return PD_EVERSION;
	return n == arity ? 0 : PD_EMALF;
}

int pd_batch_open(const uint8_t *msg, size_t len, struct pd_batch_env *env)
{
	struct pd_mpack_rd r;
	memset(env, 0, sizeof(*env));
	pd_mpack_rd_init(&r, msg, len);
	int rc = read_versioned(&r, ENV_ARITY);
	if (rc < 0)
		return rc;
	pd_mpack_read_bin(&r, &env->body, &env->body_len);
	pd_mpack_read_bin(&r, &env->cert, &env->cert_len);
	pd_mpack_read_bin(&r, &env->sig, &env->sig_len);
	if (r.err || r.pos != r.len || env->cert_len < 1 || env->sig_len < 1)
		rc = PD_EMALF;
	else if (env->cert_len > PD_BATCH_CERT_MAX || env->sig_len > PD_BATCH_SIG_MAX)
		rc = PD_ELIMIT;
	if (rc < 0)
		memset(env, 0, sizeof(*env));
	return rc;
}

/* Body */

void pd_batch_init(struct pd_batch *b)
{
	b->obs = NULL;
	b->n_obs = b->obs_cap = 0;
	b->n_health = 0;
}

void pd_batch_fini(struct pd_batch *b)
{
	free(b->obs);
	pd_batch_init(b);
}

static int decode_obs(struct pd_mpack_rd *r, struct pd_obs *o)
{
	uint32_t n;
	if (pd_mpack_read_array(r, &n) || n != OBS_ARITY)
		return PD_EMALF;
	pd_mpack_read_bin(r, &o->name, &o->name_len);
	pd_mpack_read_u16(r, &o->type);
	pd_mpack_read_u8(r, &o->flags);
	pd_mpack_read_bin(r, &o->rdata, &o->rdlen);
	pd_mpack_read_u64(r, &o->count);
	pd_mpack_read_i64(r, &o->first_s);
	pd_mpack_read_i64(r, &o->last_s);
	/* Any reader error (truncation, wrong type, range) is a malformation. */
	if (r->err)
		return PD_EMALF;
	return pd_batch_check_obs(o);
}

/*
 * Makes room for n obs. Only a growing array needs the structural walk:
 * before memory is sized from n, every element must be present as an
 * array of 7 scalars, so the allocation is bounded by the input's length.
 */
static int obs_reserve(struct pd_batch *b, const struct pd_mpack_rd *r, uint32_t n)
{
	if (n <= b->obs_cap)
		return 0;
	if ((uint64_t)n * OBS_MIN_WIRE > pd_mpack_rd_left(r))
		return PD_EMALF;
	struct pd_mpack_rd walk = *r;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t arity;
		if (pd_mpack_read_array(&walk, &arity) || arity != OBS_ARITY)
			return PD_EMALF;
		for (unsigned j = 0; j < OBS_ARITY; j++)
			if (pd_mpack_skip(&walk, 0))
				return PD_EMALF;
	}
	struct pd_obs *p = realloc(b->obs, (size_t)n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	b->obs = p;
	b->obs_cap = n;
	return 0;
}

static int decode_obs_array(struct pd_mpack_rd *r, size_t max_obs, struct pd_batch *b)
{
	uint32_t n;
	if (pd_mpack_read_array(r, &n))
		return PD_EMALF;
	if (n > max_obs)
		return PD_ELIMIT;
	if (n && b->kind == PD_BATCH_HEARTBEAT)
		return PD_EMALF;
	int rc = obs_reserve(b, r, n);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; i < n; i++) {
		rc = decode_obs(r, &b->obs[i]);
		if (rc < 0)
			return rc;
	}
	b->n_obs = n;
	return 0;
}

static int decode_health(struct pd_mpack_rd *r, struct pd_batch *b)
{
	uint32_t n;
	if (pd_mpack_read_map(r, &n))
		return PD_EMALF;
	if (n > PD_BATCH_HEALTH_MAX)
		return PD_ELIMIT;
	for (uint32_t i = 0; i < n; i++) {
		struct pd_batch_health *h = &b->health[i];
		memset(h, 0, sizeof(*h));
		if (pd_mpack_read_str(r, &h->key, &h->key_len) || !key_ok(h->key, h->key_len))
			return PD_EMALF;
		enum pd_mpack_type t = pd_mpack_peek(r);
		if (t == PD_MPACK_STR) {
			h->is_str = true;
			pd_mpack_read_str(r, &h->str, &h->str_len);
			if (h->str_len > PD_BATCH_HEALTH_STR_MAX)
				return PD_ELIMIT;
		} else if (t == PD_MPACK_UINT) {
			pd_mpack_read_u64(r, &h->u);
		} else {
			return PD_EMALF;
		}
		if (r->err)
			return PD_EMALF;
	}
	b->n_health = n;
	return 0;
}

static int decode_header(struct pd_mpack_rd *r, struct pd_batch *b)
{
	uint32_t n;
	size_t id_len;
	uint8_t kind;
	if (pd_mpack_read_array(r, &n) || n != BODY_ARITY)
		return PD_EMALF;
	pd_mpack_read_bin(r, &b->stream_id, &id_len);
	pd_mpack_read_u64(r, &b->seq);
	pd_mpack_read_u64(r, &b->floor_seq);
	pd_mpack_read_i64(r, &b->sent_at_s);
	pd_mpack_read_u8(r, &kind);
	if (r->err || id_len != PD_BATCH_STREAM_ID_LEN || b->seq < 1 || b->floor_seq < 1 ||
	    b->floor_seq > b->seq || kind > PD_BATCH_HEARTBEAT)
		return PD_EMALF;
	b->kind = (enum pd_batch_kind)kind;
	return 0;
}

int pd_batch_decode(const uint8_t *body, size_t len, const struct pd_batch_limits *lim,
                    struct pd_batch *b)
{
	struct pd_mpack_rd r;
	size_t max_obs = lim && lim->max_obs ? lim->max_obs : PD_BATCH_MAX_OBS;
	b->n_obs = b->n_health = 0;
	pd_mpack_rd_init(&r, body, len);
	int rc = decode_header(&r, b);
	if (rc == 0)
		rc = decode_obs_array(&r, max_obs, b);
	if (rc == 0)
		rc = decode_health(&r, b);
	if (rc == 0 && r.pos != r.len)
		rc = PD_EMALF;
	if (rc < 0)
		b->n_obs = b->n_health = 0;
	return rc;
}

const struct pd_batch_health *pd_batch_health_find(const struct pd_batch *b, const char *key)
{
	size_t klen = strlen(key);
	for (size_t i = b->n_health; i-- > 0;) {
		const struct pd_batch_health *h = &b->health[i];
		if (h->key_len == klen && memcmp(h->key, key, klen) == 0)
			return h;
	}
	return NULL;
}

/* Reply */

int pd_batch_reply_encode(struct pd_buf *out, uint64_t seq, int status, const char *msg)
{
	size_t mlen = msg ? strlen(msg) : 0;
	if (status > 0)
		return PD_EUSAGE;
	if (mlen > PD_BATCH_MSG_MAX)
		mlen = PD_BATCH_MSG_MAX;
	int rc = pd_buf_reserve(out, 1 + 3 * PD_MPACK_INT_MAX_LEN + PD_MPACK_HDR_MAX_LEN + mlen);
	if (rc < 0)
		return rc;
	pd_mpack_write_array(out, REPLY_ARITY);
	pd_mpack_write_uint(out, PD_BATCH_VERSION);
	pd_mpack_write_uint(out, seq);
	pd_mpack_write_int(out, status);
	return pd_mpack_write_str(out, msg, mlen);
}

int pd_batch_reply_decode(const uint8_t *p, size_t len, struct pd_batch_reply *r)
{
	struct pd_mpack_rd rd;
	int32_t status;
	memset(r, 0, sizeof(*r));
	pd_mpack_rd_init(&rd, p, len);
	int rc = read_versioned(&rd, REPLY_ARITY);
	if (rc < 0)
		return rc;
	pd_mpack_read_u64(&rd, &r->seq);
	pd_mpack_read_i32(&rd, &status);
	pd_mpack_read_str(&rd, &r->msg, &r->msg_len);
	if (rd.err || rd.pos != rd.len || status > 0)
		rc = PD_EMALF;
	else if (r->msg_len > PD_BATCH_MSG_MAX)
		rc = PD_ELIMIT;
	if (rc < 0) {
		memset(r, 0, sizeof(*r));
		return rc;
	}
	r->status = status;
	return 0;
}
