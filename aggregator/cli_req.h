/*
 * cli_req: an analyst's question as an API request target (path and query
 * string, see docs/api.md), with every user-supplied byte percent-encoded.
 *
 * Path segments keep RFC 3986 unreserved characters, '*' (wildcards) and
 * ':' (IPv6 addresses) and encode everything else, so presentation escapes
 * such as "a\032b" travel as "a%5C032b" and a '/' inside a name cannot
 * split the path. A segment of dots only ("." the root, "..") is encoded
 * whole so no HTTP stack removes it as a dot-segment. Query values keep
 * unreserved characters only. Pure; strings are borrowed.
 */
#ifndef AGG_CLI_REQ_H
#define AGG_CLI_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "pd_buf.h"

enum cli_kind { CLI_RRSET, CLI_RDATA_NAME, CLI_RDATA_IP, CLI_RDATA_RAW, CLI_NXDOMAIN, CLI_SITES };

struct cli_query {
	enum cli_kind kind;
	int summarize;
	const char *name;   /* NAME; ADDR, ADDR/LEN, ADDR-ADDR (CLI_RDATA_IP); HEX (CLI_RDATA_RAW) */
	const char *type;   /* NULL: the server's default (ANY) */
	char type_buf[40];  /* cli_cmd_parse's upper-cased copy (type points here) */
	int has_after, has_before;
	int64_t after, before; /* epoch seconds */
	int strict;         /* containment instead of overlap */
	const char *site;   /* NULL: every site */
	uint64_t limit;     /* 0: the server's default */
	uint64_t offset;    /* 0: none */
	int no_federate;
	const char *cursor; /* NULL on the first page */
};

/* Appends s[0..n) percent-encoded; bytes in keep (besides the unreserved
 * ones) stay as they are. */
int cli_pct_encode(struct pd_buf *b, const char *s, size_t n, const char *keep);

/* Appends one path segment: "/" and s encoded as the header says. */
int cli_req_segment(struct pd_buf *b, const char *s, size_t n);

/* Appends the query string of q ("?a=1&b=2", nothing when q has no
 * parameters): time fences (overlap: after -> time_last_after, before ->
 * time_first_before; strict: after -> time_first_after, before ->
 * time_last_before), site, limit, offset, cursor, federate. */
int cli_req_query(struct pd_buf *b, const struct cli_query *q);

/* Appends "/api/v1/..." and the query string for q. */
int cli_req_target(struct pd_buf *b, const struct cli_query *q);

#endif
