/* httpd: response text, listen addresses and TLS set-up (httpd_int.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpd_int.h"
#include "pd_err.h"
#include "pd_file.h"
#include "pd_tls.h"

#define TLS_FILE_MAX (1u << 20)

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 410: return "Gone";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Status";
	}
}

int httpd_head_build(struct pd_buf *out, const struct httpd_head_args *a)
{
	int rc = pd_buf_reserve(out, 256);
	if (rc < 0)
		return rc;
	rc = pd_buf_addf(out, "HTTP/1.1 %d %s\r\n", a->status, reason(a->status));
	if (rc == 0 && a->ctype)
		rc = pd_buf_addf(out, "Content-Type: %s\r\n", a->ctype);
	if (rc == 0 && a->status != 204 && a->status != 304) {
		rc = pd_buf_adds(out, "Content-Length: ");
		if (rc == 0)
			rc = pd_buf_add_u64(out, a->body_len);
		if (rc == 0)
			rc = pd_buf_adds(out, "\r\n");
	}
	if (rc == 0 && a->close)
		rc = pd_buf_adds(out, "Connection: close\r\n");
	else if (rc == 0 && a->keep_alive_10)
		rc = pd_buf_adds(out, "Connection: keep-alive\r\n");
	if (rc == 0 && a->allow)
		rc = pd_buf_addf(out, "Allow: %s\r\n", a->allow);
	for (unsigned i = 0; rc == 0 && a->r && i < a->r->n_hdr; i++)
		rc = pd_buf_addf(out, "%s: %s\r\n", a->r->hdr[i].name, a->r->hdr[i].value);
	if (rc == 0)
		rc = pd_buf_adds(out, "\r\n");
	return rc;
}

static int is_dnsdb(const char *path)
{
	return strncmp(path, "/dnsdb/", 7) == 0 || strcmp(path, "/dnsdb") == 0;
}

int httpd_error_body(struct pd_buf *b, const char *path, const char *msg, const char **ctype)
{
	int dnsdb = path && is_dnsdb(path);
	*ctype = dnsdb ? "application/x-ndjson" : "application/json";
	int rc = pd_buf_adds(b, dnsdb ? "{\"cond\":\"failed\",\"msg\":" : "{\"error\":");
	if (rc == 0)
		rc = pd_buf_add_json_str(b, msg, strlen(msg));
	if (rc == 0)
		rc = pd_buf_adds(b, "}\n");
	return rc;
}

void httpd_resp_error(struct httpd_resp *r, const char *path, int status, const char *msg)
{
	r->status = status;
	pd_buf_reset(&r->body);
	if (httpd_error_body(&r->body, path, msg, &r->content_type) < 0)
		pd_buf_reset(&r->body);
}

int httpd_resp_header(struct httpd_resp *r, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	if (r->n_hdr == HTTPD_RESP_HDR_MAX || nl >= HTTPD_RESP_HDR_NAME_MAX ||
	    vl >= HTTPD_RESP_HDR_VALUE_MAX)
		return PD_ELIMIT;
	if (nl == 0 || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                            "0123456789!#$%&'*+-.^_`|~") != nl)
		return PD_EMALF;
	for (size_t i = 0; i < vl; i++)
		if (((unsigned char)value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
			return PD_EMALF;
	memcpy(r->hdr[r->n_hdr].name, name, nl + 1);
	memcpy(r->hdr[r->n_hdr].value, value, vl + 1);
	r->n_hdr++;
	return 0;
}

const char *httpd_req_header(const struct httpd_req *r, const char *name)
{
	return httpq_head_get(r->head_, name);
}

const char *httpd_req_param(const struct httpd_req *r, const char *key)
{
	for (unsigned i = 0; i < r->n_param; i++)
		if (strcmp(r->param[i].key.s, key) == 0)
			return r->param[i].val.s;
	return NULL;
}

/* Splits "HOST:PORT" / "[V6]:PORT"; host may be empty (all addresses). */
static int split_listen(const char *listen, char *host, size_t hcap, unsigned *port, int *v6)
{
	const char *colon, *h = listen;
	size_t hl;
	*v6 = 0;
	if (listen[0] == '[') {
		const char *rb = strchr(listen, ']');
		if (!rb || rb[1] != ':')
			return PD_ECONFIG;
		h = listen + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
		*v6 = 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || memchr(listen, ':', (size_t)(colon - listen)))
			return PD_ECONFIG;
		hl = (size_t)(colon - listen);
	}
	if (hl >= hcap)
		return PD_ECONFIG;
	memcpy(host, h, hl);
	host[hl] = 0;
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || p > 65535)
		return PD_ECONFIG;
	*port = (unsigned)p;
	return 0;
}

int httpd_listen_is_loopback(const char *listen)
{
	char host[256];
	unsigned port;
	int v6;
	if (split_listen(listen, host, sizeof(host), &port, &v6) < 0)
		return 0;
	struct in_addr a4;
	struct in6_addr a6;
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (!v6 && inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (v6 && inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

int httpd_listen_url(const char *listen, bool tls, char *url, size_t cap)
{
	char host[256];
	unsigned port;
	int v6;
	if (split_listen(listen, host, sizeof(host), &port, &v6) < 0)
		return PD_ECONFIG;
	int n = snprintf(url, cap, "%s://%s%s%s:%u", tls ? "tls+tcp" : "tcp", v6 ? "[" : "", host,
	                 v6 ? "]" : "", port);
	return n > 0 && (size_t)n < cap ? 0 : PD_ECONFIG;
}

void httpd_addr_text(const nng_sockaddr *sa, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];
	switch (sa->s_family) {
	case NNG_AF_INET:
		inet_ntop(AF_INET, &sa->s_in.sa_addr, ip, sizeof(ip));
		snprintf(out, cap, "%s:%u", ip, (unsigned)ntohs(sa->s_in.sa_port));
		break;
	case NNG_AF_INET6:
		inet_ntop(AF_INET6, sa->s_in6.sa_addr, ip, sizeof(ip));
		snprintf(out, cap, "[%s]:%u", ip, (unsigned)ntohs(sa->s_in6.sa_port));
		break;
	default:
		snprintf(out, cap, "?");
	}
}

struct tls_pem {
	char *cert, *key, *ca, *crl;
	size_t key_len;
};

static int tls_read(struct tls_pem *p, const struct httpd_opts *o, char *err, size_t errlen)
{
	size_t n;
	int rc = pd_file_read("httpd: certificate", o->tls_cert, TLS_FILE_MAX, 0, &p->cert, &n,
	                      err, errlen);
	if (rc == 0)
		rc = pd_file_read("httpd: key", o->tls_key, TLS_FILE_MAX, 1, &p->key, &p->key_len,
		                  err, errlen);
	if (rc == 0 && o->tls_ca)
		rc = pd_file_read("httpd: CA", o->tls_ca, TLS_FILE_MAX, 0, &p->ca, &n, err, errlen);
	if (rc == 0 && o->tls_crl)
		rc = pd_file_read("httpd: CRL", o->tls_crl, TLS_FILE_MAX, 0, &p->crl, &n, err,
		                  errlen);
	return rc;
}

static int tls_fail(char *err, size_t errlen, const char *what, int rv)
{
	snprintf(err, errlen, "httpd: %s (%s)", what, pd_nng_strerror(rv));
	return pd_nng_err(rv);
}

static int tls_apply(nng_tls_config *cfg, const struct tls_pem *p, char *err, size_t errlen)
{
	int rv;
	if ((rv = nng_tls_config_own_cert(cfg, p->cert, p->key, NULL)) != 0)
		return tls_fail(err, errlen, "cannot use the certificate and key (do they match?)", rv);
	if ((rv = nng_tls_config_version(cfg, NNG_TLS_1_2, NNG_TLS_1_2)) != 0)
		return tls_fail(err, errlen, "cannot select TLS 1.2", rv);
	if (!p->ca)
		return (rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE)) != 0
		               ? tls_fail(err, errlen, "cannot set the authentication mode", rv)
		               : 0;
	if ((rv = nng_tls_config_ca_chain(cfg, p->ca, p->crl)) != 0)
		return tls_fail(err, errlen, "cannot use the CA or CRL", rv);
	if ((rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED)) != 0)
		return tls_fail(err, errlen, "cannot require client certificates", rv);
	return 0;
}

int httpd_tls_config(nng_tls_config **out, const struct httpd_opts *o, char *err,
                     size_t errlen)
{
	if (!o->tls_cert || !o->tls_key) {
		snprintf(err, errlen, "httpd: HTTPS needs both a certificate and a key");
		return PD_ECONFIG;
	}
	if (o->tls_crl && !o->tls_ca) {
		snprintf(err, errlen, "httpd: a CRL needs a CA (client certificates)");
		return PD_ECONFIG;
	}
	struct tls_pem p = { 0 };
	nng_tls_config *cfg = NULL;
	int rc = tls_read(&p, o, err, errlen);
	int rv;
	if (rc == 0 && (rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER)) != 0)
		rc = tls_fail(err, errlen, "cannot allocate a TLS configuration", rv);
	if (rc == 0)
		rc = tls_apply(cfg, &p, err, errlen);
	free(p.cert);
	free(p.ca);
	free(p.crl);
	if (p.key)
		pd_file_free_secret(p.key, p.key_len);
	if (rc < 0 && cfg)
		nng_tls_config_free(cfg);
	else if (rc == 0)
		*out = cfg;
	return rc;
}
