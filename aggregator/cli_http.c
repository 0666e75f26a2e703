#include "cli_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nng/nng.h>
#include <nng/supplemental/http/http.h>

#include "pd_aiowait.h"
#include "pd_err.h"
#include "pd_tls.h"

#define READ_CHUNK (64u * 1024)
#define LINE_MAX_LEN 4096
#define CURSOR_MAX 8192

struct cli_http {
	nng_url *url;
	nng_http_client *client;
	nng_tls_config *tls;
	struct cli_http_opts o;
	int https;
	char where[300];
	char server_name[256];
	char prefix[512]; /* the URL's path without its trailing '/' */
};

/* ---- chunked transfer coding ------------------------------------------- */

enum { CH_SIZE, CH_EXT, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_DONE };

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One byte of a size line or trailer line. 1: the body is complete. */
static int chunk_line_byte(struct cli_chunked *c, uint8_t b)
{
	if (++c->line > LINE_MAX_LEN)
		return PD_ELIMIT;
	if (c->state == CH_SIZE) {
		int v = hexval(b);
		if (v >= 0 && c->left >> 60 == 0) {
			c->left = c->left << 4 | (uint64_t)v;
			return 0;
		}
		if (v >= 0)
			return PD_ELIMIT;
		if (c->line == 1)
			return PD_EMALF; /* no digits */
		c->state = CH_EXT;
	}
	if (b != '\n')
		return 0; /* extensions, '\r', and trailer text are skipped */
	if (c->state == CH_TRAILER) {
		int empty = c->line <= 2; /* "\n" or "\r\n" */
		c->line = 0;
		if (empty)
			c->state = CH_DONE;
		return empty;
	}
	c->line = 0;
	c->state = c->left ? CH_DATA : CH_TRAILER;
	return 0;
}

int cli_chunked_feed(struct cli_chunked *c, const uint8_t *in, size_t n, size_t *used,
                     struct pd_buf *out)
{
	size_t i = 0;
	int rc = 0;
	while (i < n && rc == 0 && c->state != CH_DONE) {
		switch (c->state) {
		case CH_DATA: {
			size_t take = n - i < c->left ? n - i : (size_t)c->left;
			if ((rc = pd_buf_add(out, in + i, take)) < 0)
				break;
			i += take;
			c->left -= take;
			if (!c->left)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			/* A bare LF is tolerated after data, as most clients do. */
			c->state = in[i] == '\r' ? CH_DATA_LF : CH_SIZE;
			if (in[i] != '\r' && in[i] != '\n')
				rc = PD_EMALF;
			i++;
			break;
		case CH_DATA_LF:
			rc = in[i++] == '\n' ? 0 : PD_EMALF;
			c->state = CH_SIZE;
			break;
		default:
			rc = chunk_line_byte(c, in[i++]);
			break;
		}
	}
	*used = i;
	return rc < 0 ? rc : c->state == CH_DONE;
}

/* ---- the client --------------------------------------------------------- */

const char *cli_http_where(const struct cli_http *h)
{
	return h->where;
}

static int setup_tls(struct cli_http *h, char *err, size_t errlen)
{
	const char *name = h->o.server_name;
	if (!name) {
		if (pd_tls_server_name(h->o.url, h->server_name, sizeof(h->server_name)) < 0) {
			snprintf(err, errlen, "server: %s names an IP address, which TLS cannot verify "
			         "here (mbedTLS matches DNS names only): use the server's DNS name in "
			         "the URL, or give the name its certificate carries with --server-name",
			         h->o.url);
			return PD_EUSAGE;
		}
		name = h->server_name;
	} else {
		snprintf(h->server_name, sizeof(h->server_name), "%s", name);
	}
	int rc = cli_tls_config(&h->tls, &h->o.tls, name, err, errlen);
	if (rc == 0 && (rc = nng_http_client_set_tls(h->client, h->tls)) != 0) {
		snprintf(err, errlen, "tls: %s", nng_strerror(rc));
		rc = PD_ECONFIG;
	}
	return rc;
}

int cli_http_new(struct cli_http **out, const struct cli_http_opts *o, char *err,
                 size_t errlen)
{
	struct cli_http *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	h->o = *o;
	int rc = 0, rv;
	if (nng_url_parse(&h->url, o->url) != 0 || !h->url->u_hostname[0] ||
	    (strcmp(h->url->u_scheme, "http") && strcmp(h->url->u_scheme, "https")) ||
	    h->url->u_userinfo || h->url->u_query || h->url->u_fragment) {
		snprintf(err, errlen, "server: '%s' is not an http://HOST[:PORT] or "
		         "https://HOST[:PORT] URL", o->url);
		rc = PD_EUSAGE;
		goto out;
	}
	h->https = !strcmp(h->url->u_scheme, "https");
	snprintf(h->where, sizeof(h->where), strchr(h->url->u_hostname, ':') ? "[%s]:%s" : "%s:%s",
	         h->url->u_hostname, h->url->u_port);
	size_t pl = strlen(h->url->u_path);
	while (pl && h->url->u_path[pl - 1] == '/')
		pl--;
	if (pl >= sizeof(h->prefix)) {
		snprintf(err, errlen, "server: the URL's path is too long");
		rc = PD_EUSAGE;
		goto out;
	}
	memcpy(h->prefix, h->url->u_path, pl);
	if ((rv = nng_http_client_alloc(&h->client, h->url)) != 0) {
		snprintf(err, errlen, "server: %s (%s)", o->url, nng_strerror(rv));
		rc = PD_ECONFIG;
		goto out;
	}
	if (h->https)
		rc = setup_tls(h, err, errlen);
out:
	if (rc < 0) {
		cli_http_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

void cli_http_free(struct cli_http *h)
{
	if (!h)
		return;
	if (h->client)
		nng_http_client_free(h->client);
	if (h->tls)
		nng_tls_config_free(h->tls);
	if (h->url)
		nng_url_free(h->url);
	free(h);
}

void cli_http_res_init(struct cli_http_res *r, size_t max_body)
{
	memset(r, 0, sizeof(*r));
	pd_buf_init(&r->body, max_body);
}

void cli_http_res_fini(struct cli_http_res *r)
{
	free(r->cursor);
	r->cursor = NULL;
	pd_buf_fini(&r->body);
}

/* Copies a header value for messages: printable ASCII only. */
static void copy_safe(char *out, size_t cap, const char *s)
{
	size_t i = 0;
	for (; s && s[i] && i + 1 < cap; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = 0;
}

/* Errors a failed TLS handshake shows up as in NNG. */
static int tls_trouble(int rv)
{
	return rv == NNG_ECRYPTO || rv == NNG_EPEERAUTH || rv == NNG_ECONNSHUT ||
	       rv == NNG_ECLOSED || rv == NNG_ECONNRESET;
}

/* A failure before the answer's headers arrived, as one sentence. */
static int fail_early(struct cli_http *h, int connecting, int rv, char *err, size_t errlen)
{
	unsigned ms = connecting ? h->o.connect_ms : h->o.io_ms;
	char why[512];
	if (rv == NNG_ECONNREFUSED) {
		snprintf(err, errlen, "cannot connect to %s: connection refused (is the aggregator's "
		         "HTTP listener there?)", h->where);
	} else if (rv == NNG_ETIMEDOUT) {
		snprintf(err, errlen, "%s: no %s within %u s", h->where,
		         connecting ? "connection" : "answer", (ms + 999) / 1000);
	} else if (connecting && rv == NNG_EADDRINVAL) {
		snprintf(err, errlen, "cannot connect to %s: unknown host or bad address", h->where);
	} else if (h->https && tls_trouble(rv) &&
	           cli_tls_diagnose(&h->o.tls, h->url->u_hostname, h->url->u_port,
	                            h->server_name, ms < 10000 ? ms : 10000, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", h->where, why);
		return PD_ECRYPTO;
	} else if (rv == NNG_ECONNSHUT || rv == NNG_ECLOSED || rv == NNG_ECONNRESET) {
		snprintf(err, errlen, "%s closed the connection without answering (is it an "
		         "https:// server?)", h->where);
	} else if (rv == NNG_EPROTO) {
		snprintf(err, errlen, "%s did not answer with HTTP (is it an https:// server?)",
		         h->where);
	} else {
		snprintf(err, errlen, "%s: %s%s", h->where, connecting ? "cannot connect: " : "",
		         nng_strerror(rv));
	}
	return pd_nng_err(rv);
}

/* Each step ends at NNG's timeout (ms); past that plus this margin it is
 * cancelled, for a step NNG never times out (pd_aiowait.h). */
#define WAIT_MARGIN_MS 5000

static int wait_aio(struct pd_aiowait *w, unsigned ms)
{
	if (pd_aiowait_wait(w, ms + WAIT_MARGIN_MS) == PD_ETIMEOUT)
		return NNG_ETIMEDOUT;
	return nng_aio_result(w->aio);
}

static int has_token(const char *s, const char *tok)
{
	size_t n = strlen(tok);
	for (; *s; s++)
		if (!strncasecmp(s, tok, n))
			return 1;
	return 0;
}

enum body_mode { BODY_NONE, BODY_LENGTH, BODY_CHUNKED, BODY_CLOSE };

static int body_mode(struct cli_http *h, nng_http_res *nres, uint64_t *len, char *err,
                     size_t errlen)
{
	uint16_t st = nng_http_res_get_status(nres);
	const char *te = nng_http_res_get_header(nres, "Transfer-Encoding");
	const char *cl = nng_http_res_get_header(nres, "Content-Length");
	if (st < 200 || st == 204 || st == 304)
		return BODY_NONE;
	if (te && has_token(te, "chunked"))
		return BODY_CHUNKED;
	if (!cl)
		return BODY_CLOSE;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(cl, &end, 10);
	if (errno || end == cl || *end || cl[0] == '-') {
		snprintf(err, errlen, "%s: bad Content-Length in the answer", h->where);
		return PD_EPROTO;
	}
	if (v > h->o.max_body) {
		snprintf(err, errlen, "%s: the answer is %llu bytes, over the --max-response cap of "
		         "%zu", h->where, v, h->o.max_body);
		return PD_ELIMIT;
	}
	*len = v;
	return v ? BODY_LENGTH : BODY_NONE;
}

static int read_body(struct cli_http *h, nng_http_conn *conn, struct pd_aiowait *w, int mode,
                     uint64_t len, struct pd_buf *body, char *err, size_t errlen)
{
	uint8_t *chunk = malloc(READ_CHUNK);
	struct cli_chunked ch = { 0 };
	int rc = chunk ? 0 : -ENOMEM;
	while (rc == 0) {
		size_t want = READ_CHUNK;
		if (mode == BODY_LENGTH && len - body->len < want)
			want = (size_t)(len - body->len);
		nng_iov iov = { chunk, want };
		nng_aio_set_iov(w->aio, 1, &iov);
		nng_http_conn_read(conn, w->aio);
		int rv = wait_aio(w, h->o.io_ms);
		if (rv == NNG_ECONNSHUT || rv == NNG_ECLOSED) {
			if (mode == BODY_CLOSE)
				break;
			snprintf(err, errlen, "%s closed the connection in the middle of the answer "
			         "(after %zu bytes)", h->where, body->len);
			rc = PD_ETRUNC;
		} else if (rv != 0) {
			snprintf(err, errlen, "%s: reading the answer: %s", h->where,
			         rv == NNG_ETIMEDOUT ? "no data within --timeout" : nng_strerror(rv));
			rc = pd_nng_err(rv);
		} else if (mode == BODY_CHUNKED) {
			size_t used;
			rc = cli_chunked_feed(&ch, chunk, nng_aio_count(w->aio), &used, body);
			if (rc == 1)
				break;
		} else {
			rc = pd_buf_add(body, chunk, nng_aio_count(w->aio));
			if (rc == 0 && mode == BODY_LENGTH && body->len == len)
				break;
		}
		if (rc == PD_ELIMIT)
			snprintf(err, errlen, "%s: the answer is over the --max-response cap of %zu "
			         "bytes", h->where, body->max);
		else if (rc == PD_EMALF)
			snprintf(err, errlen, "%s: malformed chunked encoding in the answer", h->where);
	}
	free(chunk);
	return rc < 0 ? rc : 0;
}

static int set_headers(struct cli_http *h, nng_http_req *req, const char *uri)
{
	int rv = nng_http_req_set_uri(req, uri);
	if (rv == 0)
		rv = nng_http_req_set_header(req, "Accept", "application/x-ndjson, application/json");
	if (rv == 0)
		rv = nng_http_req_set_header(req, "Connection", "close");
	if (rv == 0)
		rv = nng_http_req_set_header(req, "User-Agent", "almanac");
	if (rv == 0 && h->o.api_key)
		rv = nng_http_req_set_header(req, "X-API-Key", h->o.api_key);
	return rv;
}

static int send_req(struct cli_http *h, nng_http_conn *conn, struct pd_aiowait *w,
                    const char *target, char *err, size_t errlen)
{
	nng_http_req *req = NULL;
	struct pd_buf uri;
	pd_buf_init(&uri, 1u << 20);
	int rv = nng_http_req_alloc(&req, h->url);
	if (rv == 0 && (pd_buf_adds(&uri, h->prefix) < 0 || pd_buf_adds(&uri, target) < 0))
		rv = NNG_EMSGSIZE;
	if (rv == 0)
		rv = set_headers(h, req, pd_buf_cstr(&uri));
	pd_buf_fini(&uri);
	if (rv != 0) {
		snprintf(err, errlen, "cannot build the request (%s)", nng_strerror(rv));
		if (req)
			nng_http_req_free(req);
		return pd_nng_err(rv);
	}
	nng_aio_set_timeout(w->aio, (nng_duration)h->o.io_ms);
	nng_http_conn_write_req(conn, req, w->aio);
	rv = wait_aio(w, h->o.io_ms);
	nng_http_req_free(req);
	return rv ? fail_early(h, 0, rv, err, errlen) : 0;
}

static int read_res(struct cli_http *h, nng_http_conn *conn, struct pd_aiowait *w,
                    struct cli_http_res *res, char *err, size_t errlen)
{
	nng_http_res *nres;
	int rv = nng_http_res_alloc(&nres);
	if (rv != 0) {
		snprintf(err, errlen, "%s", nng_strerror(rv));
		return pd_nng_err(rv);
	}
	nng_http_conn_read_res(conn, nres, w->aio);
	if ((rv = wait_aio(w, h->o.io_ms)) != 0) {
		nng_http_res_free(nres);
		return fail_early(h, 0, rv, err, errlen);
	}
	res->status = nng_http_res_get_status(nres);
	copy_safe(res->reason, sizeof(res->reason), nng_http_res_get_reason(nres));
	copy_safe(res->content_type, sizeof(res->content_type),
	          nng_http_res_get_header(nres, "Content-Type"));
	copy_safe(res->result, sizeof(res->result),
	          nng_http_res_get_header(nres, "X-Almanac-Result"));
	const char *cur = nng_http_res_get_header(nres, "X-Almanac-Cursor");
	int rc = 0;
	if (cur && *cur) {
		if (strlen(cur) > CURSOR_MAX || !(res->cursor = strdup(cur))) {
			snprintf(err, errlen, "%s: unusable X-Almanac-Cursor", h->where);
			rc = PD_EPROTO;
		}
	}
	uint64_t len = 0;
	int mode = rc == 0 ? body_mode(h, nres, &len, err, errlen) : rc;
	nng_http_res_free(nres);
	if (mode < 0)
		return mode;
	if (mode == BODY_NONE)
		return 0;
	return read_body(h, conn, w, mode, len, &res->body, err, errlen);
}

int cli_http_get(struct cli_http *h, const char *target, struct cli_http_res *res, char *err,
                 size_t errlen)
{
	struct pd_aiowait w;
	int rc = pd_aiowait_init(&w);
	if (rc != 0) {
		snprintf(err, errlen, "%s", pd_strerror(rc));
		return rc;
	}
	nng_aio_set_timeout(w.aio, (nng_duration)h->o.connect_ms);
	nng_http_client_connect(h->client, w.aio);
	int rv = wait_aio(&w, h->o.connect_ms);
	if (rv != 0) {
		rc = fail_early(h, 1, rv, err, errlen);
		pd_aiowait_fini(&w);
		return rc;
	}
	nng_http_conn *conn = nng_aio_get_output(w.aio, 0);
	rc = send_req(h, conn, &w, target, err, errlen);
	if (rc == 0)
		rc = read_res(h, conn, &w, res, err, errlen);
	nng_http_conn_close(conn);
	pd_aiowait_fini(&w);
	return rc;
}
