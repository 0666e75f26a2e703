/*
 * pd_sign: batch signatures with mbedTLS 2.28 (DESIGN.md, "Sensor ->
 * aggregator wire", Identity); the only module that sees mbedTLS error codes.
 *
 * What is signed: SHA-256 over PD_SIGN_DOMAIN (the 16 bytes
 * "almanac-batch-v1" and a NUL) followed by the body bytes, so a signature
 * made for a batch can never be replayed as anything else.
 *
 * Signer (sensor side): the sensor's certificate and private key (EC or RSA,
 * PEM or DER, unencrypted) loaded from files. The key must match the
 * certificate, and the key file must not be accessible by group or others.
 * Signing goes through a CTR-DRBG seeded from the system's entropy, kept
 * inside the signer; ECDSA is deterministic (RFC 6979) in Debian's build.
 *
 * Verifier (aggregator side): a CA file and an optional CRL. pd_verifier_
 * verify checks the sensor's certificate against the CA (validity times,
 * CRL, keyUsage), requires subject O = role ("almanac-sensor" by default) so
 * that analyst or aggregator certificates from the same CA are refused,
 * takes CN (sensor id) and OU (site) as the identity, then checks the
 * signature. Certificates whose chain was already checked are remembered in
 * a bounded cache keyed by SHA-256 of the DER (4-way set-associative, LRU in
 * each set); an entry expires with the earliest notAfter of its chain and
 * all entries go when the CRL is reloaded.
 *
 * Errors: loading returns PD_ECONFIG (with a message in err) or -errno;
 * verification returns PD_EAUTH with the reason in *why, or -ENOMEM /
 * PD_ECRYPTO (reason PD_SIGN_INTERNAL).
 *
 * Thread-safety: pd_signer_sign, pd_verifier_verify, pd_verifier_reload_crl
 * and pd_verifier_stats may be called from any number of threads at once;
 * new and free may not race with anything.
 */
#ifndef PD_SIGN_H
#define PD_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define PD_SIGN_DOMAIN "almanac-batch-v1" /* hashed with its NUL */
#define PD_SIGN_ROLE_SENSOR "almanac-sensor"
#define PD_SIGN_SIG_MAX 1024    /* >= MBEDTLS_PK_SIGNATURE_MAX_SIZE */
#define PD_SIGN_CERT_MAX 16384  /* same as PD_BATCH_CERT_MAX */
#define PD_SIGN_CACHE_DEFAULT 1024
#define PD_SIGN_ERR_MAX 256     /* a useful size for err buffers */
#define PD_IDENTITY_MAX 64

/* Identity from a verified certificate: 1..64 bytes of [A-Za-z0-9._-]. */
struct pd_identity {
	char sensor_id[PD_IDENTITY_MAX + 1]; /* subject CN */
	char site[PD_IDENTITY_MAX + 1];      /* subject OU */
};

enum pd_sign_reason {
	PD_SIGN_OK = 0,
	PD_SIGN_MALFORMED,    /* not one well-formed DER X.509 certificate */
	PD_SIGN_UNKNOWN_CA,   /* does not chain to the configured CA */
	PD_SIGN_EXPIRED,      /* expired or not yet valid (itself or its chain) */
	PD_SIGN_REVOKED,      /* listed in the CRL */
	PD_SIGN_CRL,          /* the CRL is not signed by the CA or out of date */
	PD_SIGN_POLICY,       /* weak key or hash, keyUsage without signing */
	PD_SIGN_WRONG_ROLE,   /* subject O is not the required role */
	PD_SIGN_BAD_IDENTITY, /* CN or OU missing, repeated or not allowed */
	PD_SIGN_BAD_SIG,      /* signature does not match body and key */
	PD_SIGN_INTERNAL,     /* out of memory or a library failure */
	PD_SIGN_NREASONS
};

/* Short lower-case text for a reason ("unknown CA", "revoked", ...). */
const char *pd_sign_reason_str(enum pd_sign_reason why);

struct pd_signer;

/*
 * Loads cert_path (first certificate of a PEM or DER file) and key_path.
 * On failure returns a negative code and writes a message naming the file
 * to err (errlen bytes, may be 0).
 */
int pd_signer_new(struct pd_signer **out, const char *cert_path, const char *key_path,
                  char *err, size_t errlen);
void pd_signer_free(struct pd_signer *s);

/* Signs body into sig (cap bytes; PD_SIGN_SIG_MAX always suffices). */
int pd_signer_sign(struct pd_signer *s, const uint8_t *body, size_t len, uint8_t *sig,
                   size_t cap, size_t *sig_len);

/* The certificate's DER, owned by the signer. */
const uint8_t *pd_signer_cert(const struct pd_signer *s, size_t *len);

struct pd_verifier_cfg {
	const char *ca_path;  /* PEM or DER, one or more certificates */
	const char *crl_path; /* NULL: no revocation checks */
	const char *role;     /* NULL: PD_SIGN_ROLE_SENSOR */
	size_t cache_entries; /* 0: PD_SIGN_CACHE_DEFAULT; rounded up */
};

struct pd_verifier_stats {
	uint64_t cache_hits, cache_misses, cache_evictions, cache_expired;
	uint64_t crl_reloads;
};

struct pd_verifier;

int pd_verifier_new(struct pd_verifier **out, const struct pd_verifier_cfg *cfg, char *err,
                    size_t errlen);
void pd_verifier_free(struct pd_verifier *v);

/*
 * Replaces the CRL with crl_path's contents and empties the cache. On error
 * the old CRL stays in force.
 */
int pd_verifier_reload_crl(struct pd_verifier *v, const char *crl_path, char *err,
                           size_t errlen);

/*
 * Verifies that sig is cert's key's signature over body and that cert is a
 * valid certificate of the configured role. On success fills *id; *why is
 * always set (PD_SIGN_OK on success). cert, body and sig are borrowed.
 */
int pd_verifier_verify(struct pd_verifier *v, const uint8_t *cert, size_t cert_len,
                       const uint8_t *body, size_t body_len, const uint8_t *sig,
                       size_t sig_len, struct pd_identity *id, enum pd_sign_reason *why);

void pd_verifier_stats(struct pd_verifier *v, struct pd_verifier_stats *st);

#endif
