#include "pd_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/md.h>
#include <mbedtls/oid.h>
#include <mbedtls/pk.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/x509_crl.h>
#include <mbedtls/x509_crt.h>

#include "pd_err.h"
#include "pd_file.h"
#include "pd_sha256.h"

_Static_assert(PD_SIGN_SIG_MAX >= MBEDTLS_PK_SIGNATURE_MAX_SIZE, "signature buffer");

#define KEY_FILE_MAX (64 * 1024)
#define PUBKEY_MAX 1200 /* SubjectPublicKeyInfo of RSA-8192 (MBEDTLS_MPI_MAX_SIZE) */
#define WAYS 4

static const char *const reason_text[PD_SIGN_NREASONS] = {
	[PD_SIGN_OK] = "ok",
	[PD_SIGN_MALFORMED] = "malformed certificate",
	[PD_SIGN_UNKNOWN_CA] = "unknown CA",
	[PD_SIGN_EXPIRED] = "certificate expired or not yet valid",
	[PD_SIGN_REVOKED] = "certificate revoked",
	[PD_SIGN_CRL] = "CRL not trusted or out of date",
	[PD_SIGN_POLICY] = "certificate refused by policy (key, hash or key usage)",
	[PD_SIGN_WRONG_ROLE] = "wrong role (subject O)",
	[PD_SIGN_BAD_IDENTITY] = "bad identity (subject CN or OU)",
	[PD_SIGN_BAD_SIG] = "bad signature",
	[PD_SIGN_INTERNAL] = "internal error",
};

const char *pd_sign_reason_str(enum pd_sign_reason why)
{
	if ((unsigned)why >= PD_SIGN_NREASONS)
		return "unknown reason";
	return reason_text[why];
}

/* mbedTLS codes -> ours. High- and low-level parts are added together. */
static int tr(int rc)
{
	int low = -(-rc & 0x7f), high = -(-rc & 0xff80);
	if (rc == 0)
		return 0;
	if (low == MBEDTLS_ERR_MPI_ALLOC_FAILED || low == MBEDTLS_ERR_ASN1_ALLOC_FAILED ||
	    high == MBEDTLS_ERR_X509_ALLOC_FAILED || high == MBEDTLS_ERR_PK_ALLOC_FAILED ||
	    high == MBEDTLS_ERR_ECP_ALLOC_FAILED)
		return -ENOMEM;
	return PD_ECRYPTO;
}

static int __attribute__((format(printf, 4, 5)))
say(char *err, size_t errlen, int code, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* A load error with mbedTLS's text for rc. */
static int say_tls(char *err, size_t errlen, const char *what, const char *path, int rc)
{
	char msg[128];
	mbedtls_strerror(rc, msg, sizeof(msg));
	int code = tr(rc) == -ENOMEM ? -ENOMEM : PD_ECONFIG;
	return say(err, errlen, code, "sign: cannot load %s %s (%s)", what, path, msg);
}

static void domain_hash(const uint8_t *body, size_t len, uint8_t out[32])
{
	pd_sha256_cat(PD_SIGN_DOMAIN, sizeof(PD_SIGN_DOMAIN), body, len, out);
}

/* Signer */

struct pd_signer {
	pthread_mutex_t mu; /* mbedTLS contexts are not safe for concurrent use */
	mbedtls_x509_crt crt;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

/* Reads a private key file that only its owner may use; the bytes are
 * wiped once parsed. */
static int load_key(mbedtls_pk_context *key, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc = pd_file_read("sign: key", path, KEY_FILE_MAX, 1, &buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	/* mbedTLS parses PEM only when the NUL is counted in the length. */
	size_t plen = strstr(buf, "-----BEGIN ") ? len + 1 : len;
	int mrc = mbedtls_pk_parse_key(key, (const unsigned char *)buf, plen, NULL, 0);
	if (mrc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED)
		rc = say(err, errlen, PD_ECONFIG, "sign: key %s is encrypted; "
		         "an unencrypted key is required", path);
	else if (mrc)
		rc = say_tls(err, errlen, "key", path, mrc);
	pd_file_free_secret(buf, len);
	return rc;
}

static int signer_load(struct pd_signer *s, const char *cert_path, const char *key_path,
                       char *err, size_t errlen)
{
	int rc = mbedtls_x509_crt_parse_file(&s->crt, cert_path);
	if (rc)
		return say_tls(err, errlen, "certificate", cert_path, rc);
	if ((rc = load_key(&s->key, key_path, err, errlen)) < 0)
		return rc;
	if (mbedtls_pk_check_pair(&s->crt.pk, &s->key))
		return say(err, errlen, PD_ECONFIG, "sign: key %s does not belong to "
		           "certificate %s", key_path, cert_path);
	static const char pers[] = "almanac-sign";
	rc = mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy,
	                           (const unsigned char *)pers, sizeof(pers) - 1);
	if (rc)
		return say_tls(err, errlen, "random generator for", key_path, rc);
	return 0;
}

int pd_signer_new(struct pd_signer **out, const char *cert_path, const char *key_path,
                  char *err, size_t errlen)
{
	*out = NULL;
	struct pd_signer *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	mbedtls_x509_crt_init(&s->crt);
	mbedtls_pk_init(&s->key);
	mbedtls_entropy_init(&s->entropy);
	mbedtls_ctr_drbg_init(&s->drbg);
	int rc = signer_load(s, cert_path, key_path, err, errlen);
	if (rc < 0) {
		pd_signer_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void pd_signer_free(struct pd_signer *s)
{
	if (!s)
		return;
	mbedtls_ctr_drbg_free(&s->drbg);
	mbedtls_entropy_free(&s->entropy);
	mbedtls_pk_free(&s->key);
	mbedtls_x509_crt_free(&s->crt);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int pd_signer_sign(struct pd_signer *s, const uint8_t *body, size_t len, uint8_t *sig,
                   size_t cap, size_t *sig_len)
{
	uint8_t hash[32], tmp[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t n = 0;
	*sig_len = 0;
	domain_hash(body, len, hash);
	pthread_mutex_lock(&s->mu);
	int rc = mbedtls_pk_sign(&s->key, MBEDTLS_MD_SHA256, hash, sizeof(hash), tmp, &n,
	                         mbedtls_ctr_drbg_random, &s->drbg);
	pthread_mutex_unlock(&s->mu);
	if (rc)
		return tr(rc);
	if (n > cap)
		return PD_ESPACE;
	memcpy(sig, tmp, n);
	*sig_len = n;
	return 0;
}

const uint8_t *pd_signer_cert(const struct pd_signer *s, size_t *len)
{
	*len = s->crt.raw.len;
	return s->crt.raw.p;
}

/* Verifier */

struct cache_ent {
	uint8_t fp[32]; /* SHA-256 of the certificate DER */
	bool used;
	uint64_t tick;     /* last use, for LRU in the set */
	int64_t expires_s; /* earliest notAfter of the chain */
	struct pd_identity id;
	uint8_t *pk;       /* SubjectPublicKeyInfo DER */
	size_t pk_len;
};

struct pd_verifier {
	pthread_mutex_t trust_mu; /* ca, crl; serialises chain checks */
	mbedtls_x509_crt ca;
	mbedtls_x509_crl *crl;    /* NULL: no revocation checks */
	char role[PD_IDENTITY_MAX + 1];

	pthread_mutex_t cache_mu; /* everything below */
	struct cache_ent *ents;   /* n_sets * WAYS */
	size_t n_sets;
	uint64_t tick, gen;       /* gen counts CRL reloads */
	struct pd_verifier_stats st;
};

static int64_t x509_epoch(const mbedtls_x509_time *t)
{
	struct tm tm = {
		.tm_year = t->year - 1900, .tm_mon = t->mon - 1, .tm_mday = t->day,
		.tm_hour = t->hour, .tm_min = t->min, .tm_sec = t->sec,
	};
	return (int64_t)timegm(&tm);
}

/* 1 when a CA certificate of that name has signed the CRL. */
static int crl_signed_by(const mbedtls_x509_crl *c, mbedtls_x509_crt *ca)
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(c->sig_md);
	unsigned char hash[MBEDTLS_MD_MAX_SIZE];
	if (!md || mbedtls_md(md, c->tbs.p, c->tbs.len, hash))
		return 0;
	for (mbedtls_x509_crt *a = ca; a && a->raw.p; a = a->next)
		if (a->subject_raw.len == c->issuer_raw.len &&
		    memcmp(a->subject_raw.p, c->issuer_raw.p, c->issuer_raw.len) == 0 &&
		    mbedtls_pk_verify_ext(c->sig_pk, c->sig_opts, &a->pk, c->sig_md, hash,
		                          mbedtls_md_get_size(md), c->sig.p, c->sig.len) == 0)
			return 1;
	return 0;
}

static void free_crl(mbedtls_x509_crl *crl)
{
	if (crl)
		mbedtls_x509_crl_free(crl);
	free(crl);
}

/*
 * Loads a CRL file and checks that our CA signed it and that it is current:
 * mbedTLS would otherwise ignore a CRL of another issuer, or refuse every
 * certificate for a CRL that is not trusted or out of date.
 */
static int new_crl(mbedtls_x509_crl **out, mbedtls_x509_crt *ca, const char *path,
                   char *err, size_t errlen)
{
	mbedtls_x509_crl *crl = malloc(sizeof(*crl));
	int rc = 0;
	*out = NULL;
	if (!crl)
		return -ENOMEM;
	mbedtls_x509_crl_init(crl);
	if ((rc = mbedtls_x509_crl_parse_file(crl, path)) != 0)
		rc = say_tls(err, errlen, "CRL", path, rc);
	for (const mbedtls_x509_crl *c = crl; rc == 0 && c && c->version; c = c->next) {
		if (!crl_signed_by(c, ca))
			rc = say(err, errlen, PD_ECONFIG, "sign: CRL %s is not signed by the CA",
			         path);
		else if (mbedtls_x509_time_is_past(&c->next_update))
			rc = say(err, errlen, PD_ECONFIG, "sign: CRL %s is out of date (next "
			         "update %04d-%02d-%02d); issue a new one", path,
			         c->next_update.year, c->next_update.mon, c->next_update.day);
	}
	if (rc < 0)
		free_crl(crl);
	else
		*out = crl;
	return rc;
}

static int verifier_load(struct pd_verifier *v, const struct pd_verifier_cfg *cfg,
                         char *err, size_t errlen)
{
	const char *role = cfg->role ? cfg->role : PD_SIGN_ROLE_SENSOR;
	if (strlen(role) > PD_IDENTITY_MAX)
		return say(err, errlen, PD_ECONFIG, "sign: role name too long");
	strcpy(v->role, role);
	int rc = mbedtls_x509_crt_parse_file(&v->ca, cfg->ca_path);
	if (rc)
		return say_tls(err, errlen, "CA", cfg->ca_path, rc);
	if (cfg->crl_path && (rc = new_crl(&v->crl, &v->ca, cfg->crl_path, err, errlen)) < 0)
		return rc;
	size_t want = cfg->cache_entries ? cfg->cache_entries : PD_SIGN_CACHE_DEFAULT;
	v->n_sets = 1;
	while (v->n_sets * WAYS < want)
		v->n_sets *= 2;
	v->ents = calloc(v->n_sets * WAYS, sizeof(*v->ents));
	return v->ents ? 0 : -ENOMEM;
}

int pd_verifier_new(struct pd_verifier **out, const struct pd_verifier_cfg *cfg, char *err,
                    size_t errlen)
{
	*out = NULL;
	struct pd_verifier *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	pthread_mutex_init(&v->trust_mu, NULL);
	pthread_mutex_init(&v->cache_mu, NULL);
	mbedtls_x509_crt_init(&v->ca);
	int rc = verifier_load(v, cfg, err, errlen);
	if (rc < 0) {
		pd_verifier_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

static void cache_drop(struct cache_ent *e)
{
	free(e->pk);
	memset(e, 0, sizeof(*e));
}

void pd_verifier_free(struct pd_verifier *v)
{
	if (!v)
		return;
	for (size_t i = 0; v->ents && i < v->n_sets * WAYS; i++)
		cache_drop(&v->ents[i]);
	free(v->ents);
	free_crl(v->crl);
	mbedtls_x509_crt_free(&v->ca);
	pthread_mutex_destroy(&v->cache_mu);
	pthread_mutex_destroy(&v->trust_mu);
	free(v);
}

int pd_verifier_reload_crl(struct pd_verifier *v, const char *crl_path, char *err,
                           size_t errlen)
{
	mbedtls_x509_crl *crl, *old = NULL;
	/* Checking the CRL's signature uses the CA's key: hold the lock. */
	pthread_mutex_lock(&v->trust_mu);
	int rc = new_crl(&crl, &v->ca, crl_path, err, errlen);
	if (rc == 0) {
		old = v->crl;
		v->crl = crl;
	}
	pthread_mutex_unlock(&v->trust_mu);
	if (rc < 0)
		return rc;
	free_crl(old);

	pthread_mutex_lock(&v->cache_mu);
	for (size_t i = 0; i < v->n_sets * WAYS; i++)
		cache_drop(&v->ents[i]);
	v->gen++;
	v->st.crl_reloads++;
	pthread_mutex_unlock(&v->cache_mu);
	return 0;
}

void pd_verifier_stats(struct pd_verifier *v, struct pd_verifier_stats *st)
{
	pthread_mutex_lock(&v->cache_mu);
	*st = v->st;
	pthread_mutex_unlock(&v->cache_mu);
}

/* What a chain check yields, and what the cache keeps of it. */
struct checked {
	struct pd_identity id;
	int64_t expires_s;
	uint8_t pk[PUBKEY_MAX];
	size_t pk_len;
};

/* SHA-256 output is uniform, so its first bytes pick the set. */
static struct cache_ent *cache_set(struct pd_verifier *v, const uint8_t fp[32])
{
	size_t idx = ((size_t)fp[0] | (size_t)fp[1] << 8 | (size_t)fp[2] << 16) & (v->n_sets - 1);
	return &v->ents[idx * WAYS];
}

static struct cache_ent *cache_find(struct pd_verifier *v, const uint8_t fp[32])
{
	struct cache_ent *set = cache_set(v, fp);
	for (unsigned w = 0; w < WAYS; w++)
		if (set[w].used && memcmp(set[w].fp, fp, 32) == 0)
			return &set[w];
	return NULL;
}

/* Looks fp up; on a live hit copies the entry into *c. Returns 1 on a hit. */
static int cache_get(struct pd_verifier *v, const uint8_t fp[32], int64_t now,
                     struct checked *c, uint64_t *gen)
{
	int hit = 0;
	pthread_mutex_lock(&v->cache_mu);
	struct cache_ent *e = cache_find(v, fp);
	if (e && e->expires_s <= now) {
		cache_drop(e);
		v->st.cache_expired++;
		e = NULL;
	}
	if (e) {
		e->tick = ++v->tick;
		c->id = e->id;
		c->expires_s = e->expires_s;
		memcpy(c->pk, e->pk, e->pk_len);
		c->pk_len = e->pk_len;
		v->st.cache_hits++;
		hit = 1;
	} else {
		v->st.cache_misses++;
	}
	*gen = v->gen;
	pthread_mutex_unlock(&v->cache_mu);
	return hit;
}

/* Remembers a chain check made under CRL generation gen (a reload voids it). */
static void cache_put(struct pd_verifier *v, const uint8_t fp[32], const struct checked *c,
                      uint64_t gen)
{
	uint8_t *pk = malloc(c->pk_len);
	if (!pk)
		return; /* only a lost optimisation */
	memcpy(pk, c->pk, c->pk_len);
	pthread_mutex_lock(&v->cache_mu);
	struct cache_ent *e = gen == v->gen ? cache_find(v, fp) : NULL;
	if (gen == v->gen && !e) {
		struct cache_ent *set = cache_set(v, fp);
		e = &set[0];
		for (unsigned w = 0; w < WAYS && e->used; w++)
			if (!set[w].used || set[w].tick < e->tick)
				e = &set[w];
		if (e->used)
			v->st.cache_evictions++;
	}
	if (e) {
		cache_drop(e);
		memcpy(e->fp, fp, 32);
		e->used = true;
		e->tick = ++v->tick;
		e->expires_s = c->expires_s;
		e->id = c->id;
		e->pk = pk;
		e->pk_len = c->pk_len;
		pk = NULL;
	}
	pthread_mutex_unlock(&v->cache_mu);
	free(pk);
}

static int id_ok(const mbedtls_x509_buf *val)
{
	if (val->len < 1 || val->len > PD_IDENTITY_MAX)
		return 0;
	for (size_t i = 0; i < val->len; i++) {
		unsigned char ch = val->p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
			return 0;
	}
	return 1;
}

/* Takes one attribute value into out (size PD_IDENTITY_MAX + 1); 0 if repeated or bad. */
static int take_id(char *out, const mbedtls_x509_buf *val)
{
	if (out[0] || !id_ok(val))
		return 0;
	memcpy(out, val->p, val->len);
	out[val->len] = 0;
	return 1;
}

/* Subject O must be the role (every O, at least one); exactly one CN and OU. */
static enum pd_sign_reason subject_identity(const mbedtls_x509_crt *crt, const char *role,
                                            struct pd_identity *id)
{
	size_t rlen = strlen(role);
	int n_org = 0, id_bad = 0;
	memset(id, 0, sizeof(*id));
	for (const mbedtls_x509_name *n = &crt->subject; n && n->oid.p; n = n->next) {
		if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_ORGANIZATION, &n->oid) == 0) {
			if (n->val.len != rlen || memcmp(n->val.p, role, rlen))
				return PD_SIGN_WRONG_ROLE;
			n_org++;
		} else if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
			id_bad |= !take_id(id->sensor_id, &n->val);
		} else if (MBEDTLS_OID_CMP(MBEDTLS_OID_AT_ORG_UNIT, &n->oid) == 0) {
			id_bad |= !take_id(id->site, &n->val);
		}
	}
	if (n_org == 0)
		return PD_SIGN_WRONG_ROLE;
	if (id_bad || !id->sensor_id[0] || !id->site[0])
		return PD_SIGN_BAD_IDENTITY;
	return PD_SIGN_OK;
}

static enum pd_sign_reason flags_reason(uint32_t f)
{
	if (f & (MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_MISSING))
		return PD_SIGN_UNKNOWN_CA;
	if (f & MBEDTLS_X509_BADCERT_REVOKED)
		return PD_SIGN_REVOKED;
	if (f & (MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE))
		return PD_SIGN_EXPIRED;
	if (f & (MBEDTLS_X509_BADCRL_NOT_TRUSTED | MBEDTLS_X509_BADCRL_EXPIRED |
	         MBEDTLS_X509_BADCRL_FUTURE | MBEDTLS_X509_BADCRL_BAD_MD |
	         MBEDTLS_X509_BADCRL_BAD_PK | MBEDTLS_X509_BADCRL_BAD_KEY))
		return PD_SIGN_CRL;
	return PD_SIGN_POLICY;
}

/* Verify callback: notes the earliest notAfter along the chain. */
static int chain_expiry(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	int64_t *min = ctx, t = x509_epoch(&crt->valid_to);
	(void)depth;
	(void)flags;
	if (t < *min)
		*min = t;
	return 0;
}

/* Chain, role and identity of a parsed certificate; fills *c on success. */
static enum pd_sign_reason check_chain(struct pd_verifier *v, mbedtls_x509_crt *crt,
                                       struct checked *c, int *err)
{
	uint32_t flags = 0;
	c->expires_s = INT64_MAX;
	pthread_mutex_lock(&v->trust_mu);
	int rc = mbedtls_x509_crt_verify(crt, &v->ca, v->crl, NULL, &flags, chain_expiry,
	                                 &c->expires_s);
	/* Past its next update the CRL refuses everything: so must the cache. */
	for (const mbedtls_x509_crl *l = v->crl; l && l->version; l = l->next)
		if (l->next_update.year && x509_epoch(&l->next_update) < c->expires_s)
			c->expires_s = x509_epoch(&l->next_update);
	pthread_mutex_unlock(&v->trust_mu);
	if (rc && flags)
		return flags_reason(flags);
	if (rc) {
		*err = tr(rc);
		return PD_SIGN_INTERNAL;
	}
	if (mbedtls_x509_crt_check_key_usage(crt, MBEDTLS_X509_KU_DIGITAL_SIGNATURE))
		return PD_SIGN_POLICY;
	enum pd_sign_reason why = subject_identity(crt, v->role, &c->id);
	if (why != PD_SIGN_OK)
		return why;
	if (crt->pk_raw.len > sizeof(c->pk))
		return PD_SIGN_POLICY;
	memcpy(c->pk, crt->pk_raw.p, crt->pk_raw.len);
	c->pk_len = crt->pk_raw.len;
	return PD_SIGN_OK;
}

static int refuse(enum pd_sign_reason *why, enum pd_sign_reason r)
{
	*why = r;
	return PD_EAUTH;
}

static int check_sig(const struct checked *c, const uint8_t hash[32], const uint8_t *sig,
                     size_t sig_len, enum pd_sign_reason *why)
{
	mbedtls_pk_context pk; /* per call: mbedTLS contexts are not thread-safe */
	mbedtls_pk_init(&pk);
	int rc = mbedtls_pk_parse_public_key(&pk, c->pk, c->pk_len);
	if (rc) {
		mbedtls_pk_free(&pk);
		*why = PD_SIGN_INTERNAL;
		return tr(rc);
	}
	rc = mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, hash, 32, sig, sig_len);
	mbedtls_pk_free(&pk);
	if (rc == 0)
		return 0;
	if (tr(rc) == -ENOMEM) {
		*why = PD_SIGN_INTERNAL;
		return -ENOMEM;
	}
	return refuse(why, PD_SIGN_BAD_SIG);
}

int pd_verifier_verify(struct pd_verifier *v, const uint8_t *cert, size_t cert_len,
                       const uint8_t *body, size_t body_len, const uint8_t *sig,
                       size_t sig_len, struct pd_identity *id, enum pd_sign_reason *why)
{
	uint8_t fp[32], hash[32];
	struct checked c;
	uint64_t gen;
	*why = PD_SIGN_OK;
	memset(id, 0, sizeof(*id));
	if (cert_len < 1 || cert_len > PD_SIGN_CERT_MAX)
		return refuse(why, PD_SIGN_MALFORMED);
	if (sig_len < 1 || sig_len > PD_SIGN_SIG_MAX)
		return refuse(why, PD_SIGN_BAD_SIG);
	pd_sha256_cat(cert, cert_len, NULL, 0, fp);
	if (!cache_get(v, fp, (int64_t)time(NULL), &c, &gen)) {
		mbedtls_x509_crt crt;
		int err = PD_ECRYPTO;
		mbedtls_x509_crt_init(&crt);
		int rc = mbedtls_x509_crt_parse_der(&crt, cert, cert_len);
		enum pd_sign_reason r = PD_SIGN_MALFORMED;
		if (rc == 0 && crt.raw.len == cert_len) /* no trailing bytes */
			r = check_chain(v, &crt, &c, &err);
		else if ((err = tr(rc)) == -ENOMEM)
			r = PD_SIGN_INTERNAL;
		mbedtls_x509_crt_free(&crt);
		if (r != PD_SIGN_OK) {
			*why = r;
			return r == PD_SIGN_INTERNAL ? err : PD_EAUTH;
		}
		cache_put(v, fp, &c, gen);
	}
	domain_hash(body, body_len, hash);
	int rc = check_sig(&c, hash, sig, sig_len, why);
	if (rc == 0)
		*id = c.id;
	return rc;
}
