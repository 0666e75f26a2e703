/*
 * cli_cmd: almanac's commands, from the words on the command line to the
 * requests, the paging, the output and the exit code.
 *
 *   rrset NAME [TYPE]              rdata name NAME [TYPE]
 *   rdata ip ADDR[/LEN|-ADDR]      nxdomain NAME [TYPE]
 *   summarize rrset|rdata name|rdata ip|nxdomain ...
 *   sites
 *
 * Exit codes: lookups and summaries 0 results, 1 none, 2 usage or server
 * error; sites 0 all ok, 1 some degraded, 2 some stale or down, or error.
 * Messages go to stderr through pd_log.
 */
#ifndef AGG_CLI_CMD_H
#define AGG_CLI_CMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_conf.h"
#include "cli_http.h"
#include "cli_out.h"
#include "cli_req.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_NONE = 1, CLI_EXIT_ERROR = 2 };

/*
 * Builds the query for the positional arguments and the options of c
 * (times relative to now). q borrows the strings of args and c (the type
 * is an upper-cased copy inside q). Returns 0 or PD_EUSAGE with a message
 * in err.
 */
int cli_cmd_parse(const struct cli_conf *c, char **args, int nargs, int64_t now,
                  struct cli_query *q, char *err, size_t errlen);

struct cli_run {
	struct cli_http *http;
	enum cli_fmt fmt;
	FILE *out;
	int all;           /* follow cursors */
	int have_key;      /* an API key was sent (for the 401 hint) */
	const char *site;  /* sites: show only this one */
	size_t max_body;
	int64_t now;
};

/* Runs q; returns the exit code. */
int cli_cmd_run(const struct cli_run *r, const struct cli_query *q);

/* "400 Bad Request: text" from an answer that is not 200. */
void cli_cmd_server_error(const struct cli_http_res *res, int have_key, char *out, size_t cap);

/* The exit code for a lookup that printed n results. */
int cli_cmd_exit_for(uint64_t n);

#endif
