/* almanac: the analyst's command line, a client of the aggregator's query
 * and health API (docs/api.md). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "cli_cmd.h"
#include "cli_conf.h"
#include "cli_http.h"
#include "pd_err.h"
#include "pd_log.h"

#ifndef ALMANAC_VERSION
#define ALMANAC_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: almanac [options] COMMAND ARGS [options]\n\n"
	    "commands:\n"
	    "  rrset NAME [TYPE]              records owned by NAME (*.example.com, www.example.*)\n"
	    "  rdata name NAME [TYPE]         records whose data names NAME (CNAME, NS, MX, ...)\n"
	    "  rdata ip ADDR[/LEN|-ADDR]      A/AAAA records in an address, prefix or range\n"
	    "  rdata raw HEX [TYPE]           records whose rdata is these wire bytes (hex)\n"
	    "  nxdomain NAME [TYPE]           NXDOMAIN answers for NAME\n"
	    "  summarize rrset|rdata name|rdata ip|rdata raw|nxdomain ...\n"
	    "                                 count, results, first and last sighting\n"
	    "  sites                          health of every site (exit 0 ok, 1 degraded,\n"
	    "                                 2 stale or down)\n\n"
	    "options:\n");
	pd_cfg_usage(cli_opts, f);
	fprintf(f,
	    "\nTIMES: 2024-01-31, 2024-01-31T12:00:00[Z], \"2024-01-31 12:00:00\" (UTC unless\n"
	    "  +HH:MM is given), epoch seconds, or an age: 45s, 30m, 12h, 7d, 2w (that long ago).\n"
	    "  --after T matches what was still seen after T, --before T what was already\n"
	    "  seen before T (overlap); with --strict, first seen after and last seen before.\n"
	    "OUTPUT: a table with UTC times when stdout is a terminal, else JSON lines as the\n"
	    "  server sends them; --json, --csv or --table choose.\n"
	    "ENVIRONMENT: ALMANAC_SERVER (default %s), ALMANAC_API_KEY.\n"
	    "EXIT: 0 results, 1 no results, 2 usage or server error (sites: see above).\n",
	    CLI_DEFAULT_SERVER);
}

static int run(struct cli_conf *c, char **args, int nargs)
{
	struct cli_query q;
	struct cli_http *http = NULL;
	char err[1024], *key = NULL;
	int64_t now = (int64_t)time(NULL);
	int code = CLI_EXIT_ERROR;

	if ((nargs || !c->check_only) && cli_cmd_parse(c, args, nargs, now, &q, err,
	                                                 sizeof(err)) < 0) {
		fprintf(stderr, "almanac: %s\ntry 'almanac -h'\n", err);
		return CLI_EXIT_ERROR;
	}
	struct cli_http_opts o = {
		.url = c->server, .server_name = c->server_name,
		.tls = { c->cacert, c->cert, c->key },
		.connect_ms = (unsigned)(c->connect_timeout_s * 1000),
		.io_ms = (unsigned)(c->timeout_s * 1000),
		.max_body = (size_t)c->max_response,
	};
	if (cli_conf_api_key(c, getenv("ALMANAC_API_KEY"), &key, err, sizeof(err)) < 0 ||
	    (o.api_key = key, cli_http_new(&http, &o, err, sizeof(err))) < 0) {
		log_warnx("%s", err);
		goto out;
	}
	if (c->check_only) {
		log_warnx("configuration ok");
		code = CLI_EXIT_OK;
		goto out;
	}
	struct cli_run r = {
		.http = http, .fmt = cli_conf_format(c, isatty(STDOUT_FILENO)), .out = stdout,
		.all = c->all, .have_key = key != NULL, .site = c->site, .max_body = o.max_body,
		.now = now,
	};
	code = cli_cmd_run(&r, &q);
out:
	cli_http_free(http);
	free(key);
	return code;
}

int main(int argc, char **argv)
{
	struct cli_conf conf;
	char err[1024], **args = NULL;
	int nargs = 0, code;
	pd_log_init("almanac", PD_LOG_INFO);
	int rc = cli_conf_load(&conf, argc, argv, getenv("ALMANAC_SERVER"), &args, &nargs, err,
	                       sizeof(err));
	if (rc == 0 && conf.help) {
		usage(stdout);
		code = CLI_EXIT_OK;
	} else if (rc == 0 && conf.version) {
		printf("almanac %s\n", ALMANAC_VERSION);
		code = CLI_EXIT_OK;
	} else if (rc < 0) {
		fprintf(stderr, "almanac: %s\ntry 'almanac -h'\n", err);
		code = CLI_EXIT_ERROR;
	} else {
		code = run(&conf, args, nargs);
	}
	cli_conf_free(&conf);
	return code;
}
