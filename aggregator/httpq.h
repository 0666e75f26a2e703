/*
 * httpq: HTTP/1.1 request parsing for the query API, with no allocation.
 *
 * Three steps, each bounded by the caps below:
 *   httpq_head_len     where the request head (request line + header fields
 *                      + empty line) ends in the bytes received so far;
 *   httpq_parse_head   the request line and header fields, in place;
 *   httpq_parse_target the request-target: path split into segments and
 *                      query string into parameters, both %XX-decoded.
 *
 * Results are views: httpq_parse_head writes NULs into the caller's buffer
 * and points into it; httpq_parse_target writes a NUL over the '?' of the
 * target and decodes into the storage inside struct httpq_target. Nothing
 * stays valid after the buffer or the struct is reused.
 *
 * Decoding rules (the API's names and addresses are ASCII; anything the
 * decoder lets through is the handler's to judge):
 *   - %XX needs two hex digits; %00 and a bad or truncated escape are
 *     refused (PD_EMALF), so decoded strings never hold a NUL.
 *   - A decoded %2F stays inside its segment: "/a%2Fb/c" is "a/b", "c".
 *   - '+' is a space in the query string only; in the path it is '+'.
 *   - Bytes below 0x21, 0x7f and above, and '#' are refused in the target.
 *   - Empty path segments are kept ("/a//b/" is "a", "", "b", ""); "/" has
 *     no segment.
 *   - Query: pieces split on '&', empty pieces skipped; "k" alone is k="".
 *     Every piece is kept in request order; httpq_param_get returns the
 *     FIRST one with the key (as Go's url.Values.Get and Flask do).
 *   - Absolute-form targets ("http://host/path?q") are reduced to their
 *     path and query; any other form not starting with '/' is refused.
 *
 * Every function is reentrant: no globals, no locks.
 */
#ifndef AGG_HTTPQ_H
#define AGG_HTTPQ_H

#include <stddef.h>

#define HTTPQ_HEAD_MAX 16384 /* request line and header fields, bytes */
#define HTTPQ_URI_MAX 8192   /* request-target, bytes */
#define HTTPQ_HDR_MAX 48     /* header fields */
#define HTTPQ_SEG_MAX 16     /* path segments */
#define HTTPQ_PARAM_MAX 32   /* query parameters */

struct httpq_str {
	const char *s; /* NUL-terminated */
	size_t len;    /* without the NUL */
};

struct httpq_hdr {
	const char *name, *value; /* value without surrounding blanks */
};

struct httpq_head {
	const char *method;
	char *target; /* as sent; httpq_parse_target may cut it at '?' */
	size_t target_len;
	unsigned version_minor; /* HTTP/1.x */
	unsigned n_hdr;
	struct httpq_hdr hdr[HTTPQ_HDR_MAX];
};

struct httpq_param {
	struct httpq_str key, val;
};

struct httpq_target {
	const char *path;  /* raw (undecoded) path, NUL-terminated */
	const char *query; /* raw query without '?', "" when none */
	unsigned n_seg, n_param;
	struct httpq_str seg[HTTPQ_SEG_MAX];
	struct httpq_param param[HTTPQ_PARAM_MAX];
	/* Decoded text: never longer than the target, plus one NUL per item. */
	char store[HTTPQ_URI_MAX + HTTPQ_SEG_MAX + 2 * HTTPQ_PARAM_MAX];
};

/* Search state of httpq_head_len on a growing buffer; zero it per head. */
struct httpq_scan {
	size_t pos;
	int started; /* a byte other than CR or LF was seen */
};

/*
 * Looks for the end of a request head in buf[0..len). *st carries the
 * search between calls on a growing buffer, so each byte is looked at once.
 * Returns 1 and the head's length (empty line included) in *head_len when
 * it is complete, 0 when more bytes are needed, PD_ELIMIT when
 * HTTPQ_HEAD_MAX bytes hold no complete head. Bare LF line ends are
 * accepted (RFC 9112 2.2).
 */
int httpq_head_len(const char *buf, size_t len, struct httpq_scan *st, size_t *head_len);

/*
 * Parses the complete head buf[0..len) (as measured by httpq_head_len;
 * empty lines before the request line are skipped), writing NULs into buf.
 * Returns 0; PD_EMALF for a malformed request line or field (line folding
 * included); PD_EVERSION for a version other than HTTP/1.x; PD_ELIMIT for
 * a target longer than HTTPQ_URI_MAX or more than HTTPQ_HDR_MAX fields.
 * *why gets a short constant text for the error answer.
 */
int httpq_parse_head(char *buf, size_t len, struct httpq_head *h, const char **why);

/* Value of the first field named name (case-insensitive), or NULL. */
const char *httpq_head_get(const struct httpq_head *h, const char *name);

/*
 * 1 when the comma-separated field value v holds token tok (case-
 * insensitive): for Connection: close / keep-alive.
 */
int httpq_has_token(const char *v, const char *tok);

/*
 * Splits and decodes target[0..len) (NUL-terminated at len; modified: the
 * '?' becomes a NUL). Returns 0; PD_EMALF (bad escape, %00, refused byte,
 * not origin- or absolute-form); PD_ELIMIT (more than HTTPQ_SEG_MAX
 * segments or HTTPQ_PARAM_MAX parameters, or len > HTTPQ_URI_MAX). *why
 * gets a short constant text.
 */
int httpq_parse_target(struct httpq_target *t, char *target, size_t len, const char **why);

/* Value of the first parameter named key (exact, after decoding), or NULL. */
const char *httpq_param_get(const struct httpq_target *t, const char *key);

/*
 * %XX-decodes s[0..n) into out (cap bytes, NUL included), '+' becoming a
 * space when plus_is_space. Returns 0, PD_EMALF (bad escape, %00) or
 * PD_ESPACE.
 */
int httpq_decode(const char *s, size_t n, int plus_is_space, char *out, size_t cap,
                 size_t *outlen);

#endif
