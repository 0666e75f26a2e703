/*
 * cli_http: the analyst client's HTTP/1.1 GET over NNG's HTTP client
 * (http:// or https://), one connection per request.
 *
 * NNG's nng_http_client_transact allocates whatever Content-Length a
 * server declares, reads chunked bodies without a cap and drops a body
 * that is delimited by the end of the connection. So requests go through
 * nng_http_client_connect and nng_http_conn_write_req / read_res, and the
 * body is read here: Content-Length, chunked, or up to the close, always
 * into a buffer capped at max_body. Each step has a deadline: connect_ms
 * for the TCP connection, io_ms for every later read or write (an idle
 * timeout, so a long body that keeps coming is not cut off).
 *
 * Failures come back as one sentence for the analyst in err: connection
 * refused, timeouts, TLS problems (diagnosed by cli_tls), answers that
 * are not HTTP or too large. A struct cli_http is used by one thread.
 */
#ifndef AGG_CLI_HTTP_H
#define AGG_CLI_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "cli_tls.h"
#include "pd_buf.h"

struct cli_http_opts {
	const char *url;          /* http[s]://HOST[:PORT][/PREFIX] */
	const char *server_name;  /* https: the certificate's name when HOST is an IP */
	struct cli_tls_files tls;
	const char *api_key;      /* sent as X-API-Key, or NULL */
	unsigned connect_ms, io_ms;
	size_t max_body;
};

struct cli_http_res {
	uint16_t status;
	char reason[64];
	char content_type[96];
	char result[32];  /* X-Almanac-Result, "" when absent */
	char *cursor;     /* X-Almanac-Cursor (heap), or NULL */
	struct pd_buf body;
};

struct cli_http;

/* Parses the URL and prepares TLS. Returns 0 or PD_ECONFIG / PD_EUSAGE
 * with a message. */
int cli_http_new(struct cli_http **out, const struct cli_http_opts *o, char *err,
                 size_t errlen);
void cli_http_free(struct cli_http *h);

/* "HOST:PORT" of the server, for messages. */
const char *cli_http_where(const struct cli_http *h);

/*
 * GET target (an origin-form path and query, appended to the URL's path
 * prefix). Fills res (initialise it with cli_http_res_init, free it with
 * cli_http_res_fini); any HTTP status is a success here. Returns 0, or a
 * negative code with a message in err.
 */
int cli_http_get(struct cli_http *h, const char *target, struct cli_http_res *res, char *err,
                 size_t errlen);

void cli_http_res_init(struct cli_http_res *r, size_t max_body);
void cli_http_res_fini(struct cli_http_res *r);

/*
 * Chunked transfer coding (RFC 9112 7.1), incrementally: feed the bytes
 * as they arrive; decoded data is appended to out (capped by out->max).
 * Returns 1 once the last chunk and trailers are in (*used: bytes of in
 * consumed), 0 when more is needed, PD_EMALF or PD_ELIMIT.
 */
struct cli_chunked {
	int state;
	uint64_t left; /* data bytes left in this chunk */
	size_t line;   /* length of the size or trailer line so far */
};
int cli_chunked_feed(struct cli_chunked *c, const uint8_t *in, size_t n, size_t *used,
                     struct pd_buf *out);

#endif
