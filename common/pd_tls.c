#include "pd_tls.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_file.h"

#define PD_TLS_FILE_MAX (1u << 20)

static int tls_fail(char *err, size_t errlen, const char *what, int rv)
{
	snprintf(err, errlen, "tls: %s (%s)", what, nng_strerror(rv));
	return pd_nng_err(rv);
}

static int tls_load(nng_tls_config *cfg, int server, const struct pd_tls_files *f, char *err,
                    size_t errlen)
{
	char *ca = NULL, *crl = NULL, *cert = NULL, *key = NULL;
	size_t cal, crll = 0, certl, keyl = 0;
	int rc = pd_file_read("tls: CA", f->ca, PD_TLS_FILE_MAX, 0, &ca, &cal, err, errlen);
	if (rc == 0 && f->crl)
		rc = pd_file_read("tls: CRL", f->crl, PD_TLS_FILE_MAX, 0, &crl, &crll, err, errlen);
	if (rc == 0)
		rc = pd_file_read("tls: certificate", f->cert, PD_TLS_FILE_MAX, 0, &cert, &certl,
		                  err, errlen);
	if (rc == 0)
		rc = pd_file_read("tls: key", f->key, PD_TLS_FILE_MAX, 1, &key, &keyl, err, errlen);
	int rv;
	if (rc == 0 && (rv = nng_tls_config_ca_chain(cfg, ca, crl)) != 0)
		rc = tls_fail(err, errlen, "cannot use the CA or CRL", rv);
	if (rc == 0 && (rv = nng_tls_config_own_cert(cfg, cert, key, NULL)) != 0)
		rc = tls_fail(err, errlen, "cannot use the certificate and key (do they match?)", rv);
	if (rc == 0 && (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) != 0)
		rc = tls_fail(err, errlen, "cannot require peer certificates", rv);
	if (rc == 0 && (rv = nng_tls_config_version(cfg, NNG_TLS_1_2, NNG_TLS_1_2)) != 0)
		rc = tls_fail(err, errlen, "cannot select TLS 1.2", rv);
	(void)server;
	free(ca);
	free(crl);
	free(cert);
	pd_file_free_secret(key, keyl);
	return rc;
}

int pd_tls_config(nng_tls_config **out, int server, const struct pd_tls_files *f,
                  const char *server_name, char *err, size_t errlen)
{
	nng_tls_config *cfg;
	int rv = nng_tls_config_alloc(&cfg, server ? NNG_TLS_MODE_SERVER : NNG_TLS_MODE_CLIENT);
	if (rv != 0)
		return tls_fail(err, errlen, "cannot allocate a configuration", rv);
	int rc = tls_load(cfg, server, f, err, errlen);
	if (rc == 0 && !server && server_name &&
	    (rv = nng_tls_config_server_name(cfg, server_name)) != 0)
		rc = tls_fail(err, errlen, "cannot set the server name", rv);
	if (rc < 0) {
		nng_tls_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}

int pd_tls_server_name(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	if (!p)
		return PD_ECONFIG;
	p += 3;
	size_t n;
	if (*p == '[')
		return PD_ECONFIG; /* an IPv6 literal */
	n = strcspn(p, ":/");
	if (n == 0 || n >= cap)
		return PD_ECONFIG;
	memcpy(out, p, n);
	out[n] = 0;
	struct in_addr a4;
	if (inet_pton(AF_INET, out, &a4) == 1)
		return PD_ECONFIG;
	return 0;
}

int pd_nng_err(int rv)
{
	switch (rv) {
	case 0: return 0;
	case NNG_ENOMEM: return -12;
	case NNG_ETIMEDOUT: return PD_ETIMEOUT;
	case NNG_ECRYPTO: case NNG_EPEERAUTH: return PD_ECRYPTO;
	case NNG_EINVAL: case NNG_EADDRINVAL: case NNG_ENOTSUP: return PD_ECONFIG;
	case NNG_EBUSY: case NNG_EAGAIN: return PD_EBUSY;
	case NNG_EMSGSIZE: return PD_ELIMIT;
	case NNG_EPROTO: return PD_EPROTO;
	default: return PD_ENET;
	}
}

const char *pd_nng_strerror(int rv)
{
	return nng_strerror(rv);
}
