#include "cli_tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "pd_err.h"
#include "pd_file.h"
#include "pd_tls.h"

#define CLI_TLS_FILE_MAX (4u << 20) /* the system bundle is ~200 KiB */

static int tls_fail(char *err, size_t errlen, const char *what, int rv)
{
	snprintf(err, errlen, "tls: %s (%s)", what, pd_nng_strerror(rv));
	return pd_nng_err(rv);
}

static int tls_own_cert(nng_tls_config *cfg, const struct cli_tls_files *f, char *err,
                        size_t errlen)
{
	char *cert = NULL, *key = NULL;
	size_t certl, keyl = 0;
	int rv, rc = pd_file_read("tls: certificate", f->cert, CLI_TLS_FILE_MAX, 0, &cert,
	                          &certl, err, errlen);
	if (rc == 0)
		rc = pd_file_read("tls: key", f->key, CLI_TLS_FILE_MAX, 1, &key, &keyl, err, errlen);
	if (rc == 0 && (rv = nng_tls_config_own_cert(cfg, cert, key, NULL)) != 0)
		rc = tls_fail(err, errlen, "cannot use the certificate and key (do they match?)", rv);
	free(cert);
	pd_file_free_secret(key, keyl);
	return rc;
}

static int tls_load(nng_tls_config *cfg, const struct cli_tls_files *f,
                    const char *server_name, char *err, size_t errlen)
{
	const char *ca_path = f->cacert ? f->cacert : CLI_TLS_SYSTEM_CA;
	char *ca = NULL;
	size_t cal;
	int rv, rc = pd_file_read("tls: CA", ca_path, CLI_TLS_FILE_MAX, 0, &ca, &cal, err, errlen);
	if (rc == 0 && (rv = nng_tls_config_ca_chain(cfg, ca, NULL)) != 0)
		rc = tls_fail(err, errlen, "cannot use the CA certificates", rv);
	free(ca);
	if (rc == 0 && f->cert)
		rc = tls_own_cert(cfg, f, err, errlen);
	if (rc == 0 && (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) != 0)
		rc = tls_fail(err, errlen, "cannot require server verification", rv);
	if (rc == 0 && (rv = nng_tls_config_version(cfg, NNG_TLS_1_2, NNG_TLS_1_2)) != 0)
		rc = tls_fail(err, errlen, "cannot select TLS 1.2", rv);
	if (rc == 0 && (rv = nng_tls_config_server_name(cfg, server_name)) != 0)
		rc = tls_fail(err, errlen, "cannot set the server name", rv);
	return rc;
}

int cli_tls_config(nng_tls_config **out, const struct cli_tls_files *f,
                   const char *server_name, char *err, size_t errlen)
{
	nng_tls_config *cfg;
	int rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT);
	if (rv != 0)
		return tls_fail(err, errlen, "cannot allocate a configuration", rv);
	int rc = tls_load(cfg, f, server_name, err, errlen);
	if (rc < 0) {
		nng_tls_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

/* ---- diagnosis ---------------------------------------------------------- */

struct diag {
	mbedtls_net_context net;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca, own;
	mbedtls_pk_context key;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

static void diag_init(struct diag *d)
{
	mbedtls_net_init(&d->net);
	mbedtls_ssl_init(&d->ssl);
	mbedtls_ssl_config_init(&d->conf);
	mbedtls_x509_crt_init(&d->ca);
	mbedtls_x509_crt_init(&d->own);
	mbedtls_pk_init(&d->key);
	mbedtls_entropy_init(&d->entropy);
	mbedtls_ctr_drbg_init(&d->drbg);
}

static void diag_fini(struct diag *d)
{
	mbedtls_net_free(&d->net);
	mbedtls_ssl_free(&d->ssl);
	mbedtls_ssl_config_free(&d->conf);
	mbedtls_x509_crt_free(&d->ca);
	mbedtls_x509_crt_free(&d->own);
	mbedtls_pk_free(&d->key);
	mbedtls_entropy_free(&d->entropy);
	mbedtls_ctr_drbg_free(&d->drbg);
}

/* The peer's certificate, also from a handshake that failed later on. */
static const mbedtls_x509_crt *peer_cert(const mbedtls_ssl_context *ssl)
{
#if defined(MBEDTLS_SSL_KEEP_PEER_CERTIFICATE)
	if (ssl->session && ssl->session->peer_cert)
		return ssl->session->peer_cert;
	if (ssl->session_negotiate)
		return ssl->session_negotiate->peer_cert;
#else
	(void)ssl;
#endif
	return NULL;
}

/* "a, b" from the certificate's DNS names (its CN when it has none). */
static void cert_names(const mbedtls_x509_crt *c, char *out, size_t cap)
{
	size_t n = 0;
	out[0] = 0;
	for (const mbedtls_x509_sequence *s = &c->subject_alt_names; s && s->buf.p && n < cap;
	     s = s->next) {
		if (s->buf.tag != (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 2))
			continue;
		int w = snprintf(out + n, cap - n, "%s%.*s", n ? ", " : "", (int)s->buf.len,
		                 (const char *)s->buf.p);
		n += w > 0 ? (size_t)w : 0;
	}
	if (!out[0] && mbedtls_x509_dn_gets(out, cap, &c->subject) < 0)
		snprintf(out, cap, "?");
}

static void verify_problem(const struct diag *d, uint32_t flags, const struct cli_tls_files *f,
                           const char *server_name, char *msg, size_t cap)
{
	const mbedtls_x509_crt *c = peer_cert(&d->ssl);
	char names[256] = "?", issuer[256] = "?";
	if (c) {
		cert_names(c, names, sizeof(names));
		if (mbedtls_x509_dn_gets(issuer, sizeof(issuer), &c->issuer) < 0)
			snprintf(issuer, sizeof(issuer), "?");
	}
	if (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
		snprintf(msg, cap, "the server's certificate (issuer %s) is not issued by a CA in %s%s",
		         issuer, f->cacert ? f->cacert : CLI_TLS_SYSTEM_CA,
		         f->cacert ? "" : " (give the server's CA with --cacert FILE)");
	else if (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		snprintf(msg, cap, "the server's certificate is not valid for the name '%s' (it names: "
		         "%s); use one of its names in --server or --server-name", server_name, names);
	else if (flags & MBEDTLS_X509_BADCERT_EXPIRED)
		snprintf(msg, cap, "the server's certificate (for %s) has expired", names);
	else if (flags & MBEDTLS_X509_BADCERT_FUTURE)
		snprintf(msg, cap, "the server's certificate (for %s) is not valid yet", names);
	else if (flags & MBEDTLS_X509_BADCERT_REVOKED)
		snprintf(msg, cap, "the server's certificate (for %s) is revoked", names);
	else {
		char info[256];
		if (mbedtls_x509_crt_verify_info(info, sizeof(info), "", flags) < 0)
			snprintf(info, sizeof(info), "flags %#x", (unsigned)flags);
		info[strcspn(info, "\n")] = 0;
		snprintf(msg, cap, "the server's certificate cannot be verified: %s", info);
	}
}

static int diag_setup(struct diag *d, const struct cli_tls_files *f, const char *server_name,
                      unsigned timeout_ms)
{
	static const unsigned char pers[] = "almanac-tls-diagnosis";
	const char *ca = f->cacert ? f->cacert : CLI_TLS_SYSTEM_CA;
	int rc = mbedtls_ctr_drbg_seed(&d->drbg, mbedtls_entropy_func, &d->entropy, pers,
	                               sizeof(pers) - 1);
	if (rc == 0)
		rc = mbedtls_x509_crt_parse_file(&d->ca, ca) < 0 ? -1 : 0;
	if (rc == 0 && f->cert)
		rc = mbedtls_x509_crt_parse_file(&d->own, f->cert) != 0 ||
		     mbedtls_pk_parse_keyfile(&d->key, f->key, NULL) != 0 ? -1 : 0;
	if (rc == 0)
		rc = mbedtls_ssl_config_defaults(&d->conf, MBEDTLS_SSL_IS_CLIENT,
		                                 MBEDTLS_SSL_TRANSPORT_STREAM,
		                                 MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc != 0)
		return rc;
	mbedtls_ssl_conf_authmode(&d->conf, MBEDTLS_SSL_VERIFY_OPTIONAL);
	mbedtls_ssl_conf_ca_chain(&d->conf, &d->ca, NULL);
	mbedtls_ssl_conf_rng(&d->conf, mbedtls_ctr_drbg_random, &d->drbg);
	mbedtls_ssl_conf_read_timeout(&d->conf, timeout_ms);
	mbedtls_ssl_conf_max_version(&d->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
	                             MBEDTLS_SSL_MINOR_VERSION_3);
	if (f->cert && (rc = mbedtls_ssl_conf_own_cert(&d->conf, &d->own, &d->key)) != 0)
		return rc;
	if ((rc = mbedtls_ssl_setup(&d->ssl, &d->conf)) != 0 ||
	    (rc = mbedtls_ssl_set_hostname(&d->ssl, server_name)) != 0)
		return rc;
	mbedtls_ssl_set_bio(&d->ssl, &d->net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
	return 0;
}

static void handshake_problem(const struct diag *d, int rc, const struct cli_tls_files *f,
                              char *msg, size_t cap)
{
	char e[160];
	mbedtls_strerror(rc, e, sizeof(e));
	int early = d->ssl.state <= MBEDTLS_SSL_SERVER_HELLO;
	if (rc == MBEDTLS_ERR_SSL_TIMEOUT)
		snprintf(msg, cap, "the TLS handshake timed out");
	else if (early && rc != MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE)
		snprintf(msg, cap, "the server does not answer with TLS 1.2 (%s); is it an http:// "
		         "server?", e);
	else if (rc == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE || rc == MBEDTLS_ERR_SSL_CONN_EOF ||
	         rc == MBEDTLS_ERR_NET_CONN_RESET || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY)
		snprintf(msg, cap, "the server refused the TLS handshake: %s", f->cert
		         ? "it did not accept the client certificate (is it issued by the server's "
		           "CA, valid and not revoked?)"
		         : "it probably requires a client certificate (give --cert FILE --key FILE)");
	else
		snprintf(msg, cap, "the TLS handshake failed (%s)", e);
}

int cli_tls_diagnose(const struct cli_tls_files *f, const char *host, const char *port,
                     const char *server_name, unsigned timeout_ms, char *msg, size_t cap)
{
	struct diag d;
	int found = 1;
	diag_init(&d);
	int rc = diag_setup(&d, f, server_name, timeout_ms);
	if (rc != 0) {
		snprintf(msg, cap, "the TLS handshake failed (and its diagnosis could not start)");
		goto out;
	}
	if (mbedtls_net_connect(&d.net, host, port, MBEDTLS_NET_PROTO_TCP) != 0) {
		snprintf(msg, cap, "the TLS handshake failed (and %s:%s no longer accepts "
		         "connections)", host, port);
		goto out;
	}
	do
		rc = mbedtls_ssl_handshake(&d.ssl);
	while (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE);
	uint32_t flags = d.ssl.state > MBEDTLS_SSL_SERVER_CERTIFICATE
	                     ? mbedtls_ssl_get_verify_result(&d.ssl) : 0;
	if (flags && flags != (uint32_t)-1)
		verify_problem(&d, flags, f, server_name, msg, cap);
	else if (rc != 0)
		handshake_problem(&d, rc, f, msg, cap);
	else
		found = 0;
	if (rc == 0)
		mbedtls_ssl_close_notify(&d.ssl);
out:
	diag_fini(&d);
	return found;
}
