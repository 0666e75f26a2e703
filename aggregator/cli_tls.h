/*
 * cli_tls: TLS for the analyst client's HTTPS connections.
 *
 * The client verifies the server's chain and name (mbedTLS 2.28 matches
 * DNS names only, so the expected name is always a DNS name) and presents
 * a certificate only when it has one: unlike pd_tls_config, which every
 * other link uses, a client certificate is optional here.
 *
 * NNG reports every failed handshake as one error number, which cannot
 * tell an unknown CA from a wrong name or a refused client certificate.
 * cli_tls_diagnose repeats the handshake once with mbedTLS directly,
 * without enforcing verification, to say which it was. It is only called
 * after a failure, and reads the same files.
 */
#ifndef AGG_CLI_TLS_H
#define AGG_CLI_TLS_H

#include <stddef.h>
#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#define CLI_TLS_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"

struct cli_tls_files {
	const char *cacert; /* PEM CA certificate(s); NULL: CLI_TLS_SYSTEM_CA */
	const char *cert;   /* PEM client certificate, or NULL */
	const char *key;    /* its key (mode 0600), with cert */
};

/* A client configuration expecting server_name. Returns 0 or a negative
 * code with a message in err. */
int cli_tls_config(nng_tls_config **out, const struct cli_tls_files *f,
                   const char *server_name, char *err, size_t errlen);

/*
 * Why a handshake with host:port failed, in a sentence for the analyst
 * ("the server's certificate is not valid for the name 'x' (it names: y)",
 * "... is not issued by a CA in FILE", "the server refused the handshake:
 * ..."), into msg. Returns 1 with msg set, or 0 when a new handshake finds
 * nothing wrong (the failure was not TLS's). Blocks for at most about
 * timeout_ms once connected.
 */
int cli_tls_diagnose(const struct cli_tls_files *f, const char *host, const char *port,
                     const char *server_name, unsigned timeout_ms, char *msg, size_t cap);

#endif
