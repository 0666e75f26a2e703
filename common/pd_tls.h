/*
 * pd_tls: NNG transport security for Almanac's links, and the one place
 * NNG's error numbers are translated.
 *
 * Every link is mutual TLS 1.2 with certificates of the deployment's CA:
 * the server requires a client certificate (NNG_TLS_AUTH_MODE_REQUIRED),
 * the client verifies the server's chain and name. mbedTLS 2.28 does not
 * match IP-address SANs, so a client must dial a DNS name or give the name
 * to expect (server_name); pd_tls_server_name() picks it from a URL.
 */
#ifndef PD_TLS_H
#define PD_TLS_H

#include <stddef.h>
#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

struct pd_tls_files {
	const char *ca;   /* PEM CA certificate(s) */
	const char *crl;  /* optional PEM CRL */
	const char *cert; /* PEM certificate (chain) */
	const char *key;  /* PEM private key, mode 0600 */
};

/*
 * Builds a TLS configuration for a server (server != 0) or a client. For
 * a client, server_name is the name the server's certificate must carry.
 * Returns 0 or a negative code with a message in err.
 */
int pd_tls_config(nng_tls_config **out, int server, const struct pd_tls_files *f,
                  const char *server_name, char *err, size_t errlen);

/*
 * The host name of a tls+tcp://HOST:PORT URL into out (cap bytes). Returns
 * 0, or PD_ECONFIG when the host is an IP address (which mbedTLS cannot
 * verify: configure the expected name instead) or the URL is malformed.
 */
int pd_tls_server_name(const char *url, char *out, size_t cap);

/* An NNG error number as a PD_E* code, and its text. */
int pd_nng_err(int nng_rv);
const char *pd_nng_strerror(int nng_rv);

#endif
