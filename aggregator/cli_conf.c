#include "cli_conf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_file.h"

#define OFF(f) offsetof(struct cli_conf, f)
#define GiB (1024ull * 1024 * 1024)

const struct pd_cfg_opt cli_opts[] = {
	{ "server", 0, "server", PD_CFG_STR, OFF(server), 0, 0, CLI_DEFAULT_SERVER, "URL",
	  "the aggregator's API, http://HOST:PORT or https://HOST:PORT ($ALMANAC_SERVER)" },
	{ "server-name", 0, "server", PD_CFG_STR, OFF(server_name), 0, 0, NULL, "NAME",
	  "https: the name the server's certificate carries (when --server gives an IP)" },
	{ "api-key-file", 0, "server", PD_CFG_STR, OFF(api_key_file), 0, 0, NULL, "FILE",
	  "file (mode 0600) holding the API key (else $ALMANAC_API_KEY)" },
	{ "timeout", 0, "server", PD_CFG_UINT, OFF(timeout_s), 1, 86400, "300", "SECONDS",
	  "give up when the server sends nothing for this long" },
	{ "connect-timeout", 0, "server", PD_CFG_UINT, OFF(connect_timeout_s), 1, 3600, "10",
	  "SECONDS", "give up connecting after this long" },
	{ "max-response", 0, "server", PD_CFG_SIZE, OFF(max_response), 1024 * 1024, 64 * GiB,
	  "1G", "SIZE", "largest answer (one page) accepted" },
	{ "cacert", 0, "tls", PD_CFG_STR, OFF(cacert), 0, 0, NULL, "FILE",
	  "https: CA certificate(s) to verify the server with (default: the system's)" },
	{ "cert", 0, "tls", PD_CFG_STR, OFF(cert), 0, 0, NULL, "FILE",
	  "https: client certificate (almanac-pki analyst NAME), for servers requiring one" },
	{ "key", 0, "tls", PD_CFG_STR, OFF(key), 0, 0, NULL, "FILE",
	  "https: the client certificate's key (mode 0600)" },
	{ "after", 0, NULL, PD_CFG_STR, OFF(after), 0, 0, NULL, "TIME",
	  "seen after TIME (see TIMES below)" },
	{ "before", 0, NULL, PD_CFG_STR, OFF(before), 0, 0, NULL, "TIME", "seen before TIME" },
	{ "strict", 0, NULL, PD_CFG_BOOL, OFF(strict), 0, 0, "no", NULL,
	  "--after/--before bound first and last sighting (containment, not overlap)" },
	{ "site", 0, NULL, PD_CFG_STR, OFF(site), 0, 0, NULL, "SITE",
	  "only what SITE saw (sites: show only SITE)" },
	{ "type", 0, NULL, PD_CFG_STR, OFF(type), 0, 0, NULL, "TYPE",
	  "record type (A, TYPE65280, ANY, ANY-DNSSEC), instead of the TYPE argument" },
	{ "limit", 0, NULL, PD_CFG_UINT, OFF(limit), 1, 1000000000, NULL, "N",
	  "at most N results (with --all: per page)" },
	{ "offset", 0, NULL, PD_CFG_UINT, OFF(offset), 0, 1000000000, NULL, "N",
	  "skip the first N results" },
	{ "all", 0, NULL, PD_CFG_BOOL, OFF(all), 0, 0, "no", NULL,
	  "fetch every page (follow X-Almanac-Cursor)" },
	{ "no-federate", 0, NULL, PD_CFG_BOOL, OFF(no_federate), 0, 0, "no", NULL,
	  "ask this aggregator only, not its peers" },
	{ "json", 0, NULL, PD_CFG_BOOL, OFF(json), 0, 0, "no", NULL,
	  "output JSON lines as the server sends them" },
	{ "csv", 0, NULL, PD_CFG_BOOL, OFF(csv), 0, 0, "no", NULL, "output CSV" },
	{ "table", 0, NULL, PD_CFG_BOOL, OFF(table), 0, 0, "no", NULL,
	  "output an aligned table (the default on a terminal)" },
	{ "check", 'n', NULL, PD_CFG_BOOL, OFF(check_only), 0, 0, NULL, NULL,
	  "check the configuration (files, URL, command) and exit" },
	{ "help", 'h', NULL, PD_CFG_BOOL, OFF(help), 0, 0, NULL, NULL, "show this help" },
	{ "version", 0, NULL, PD_CFG_BOOL, OFF(version), 0, 0, NULL, NULL, "show the version" },
	PD_CFG_END
};

#define NOPTS (sizeof(cli_opts) / sizeof(cli_opts[0]))

static const struct pd_cfg_opt *find_opt(const struct pd_cfg_opt *opts, const char *a)
{
	if (a[1] != '-') {
		for (const struct pd_cfg_opt *o = opts; o->name; o++)
			if (a[2] == 0 && o->short_name == a[1])
				return o;
		return NULL;
	}
	size_t n = strcspn(a + 2, "=");
	for (const struct pd_cfg_opt *o = opts; o->name; o++)
		if (strlen(o->name) == n && !strncmp(o->name, a + 2, n))
			return o;
	return NULL;
}

static int takes_value(const struct pd_cfg_opt *opts, const char *a)
{
	if (!strcmp(a, "-c") || !strcmp(a, "--config"))
		return 1;
	if (a[1] == '-' && strchr(a, '='))
		return 0;
	const struct pd_cfg_opt *o = find_opt(opts, a);
	return o && o->type != PD_CFG_BOOL;
}

/* Appends the options (want_pos 0) or the positionals (1) of argv to out. */
static int collect(const struct pd_cfg_opt *opts, int argc, char **argv, char **out, int n,
                   int want_pos)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			while (want_pos && ++i < argc)
				out[n++] = argv[i];
			break;
		}
		if (a[0] != '-' || a[1] == 0) {
			if (want_pos)
				out[n++] = argv[i];
			continue;
		}
		int with_value = takes_value(opts, a) && i + 1 < argc;
		if (!want_pos) {
			out[n++] = argv[i];
			if (with_value)
				out[n++] = argv[i + 1];
		}
		i += with_value;
	}
	return n;
}

int cli_args_permute(const struct pd_cfg_opt *opts, int argc, char **argv, char **out)
{
	int n = 0;
	out[n++] = argv[0];
	n = collect(opts, argc, argv, out, n, 0);
	out[n++] = "--";
	return collect(opts, argc, argv, out, n, 1);
}

static int check(const struct cli_conf *c, char *err, size_t errlen)
{
	if (c->json + c->csv + c->table > 1) {
		snprintf(err, errlen, "give one of --json, --csv, --table");
		return PD_EUSAGE;
	}
	if (!c->cert != !c->key) {
		snprintf(err, errlen, "give --cert FILE and --key FILE together");
		return PD_EUSAGE;
	}
	return 0;
}

int cli_conf_load(struct cli_conf *c, int argc, char **argv, const char *env_server,
                  char ***args, int *nargs, char *err, size_t errlen)
{
	struct pd_cfg_opt opts[NOPTS];
	memcpy(opts, cli_opts, sizeof(opts));
	for (size_t i = 0; opts[i].name; i++)
		if (!strcmp(opts[i].name, "server") && env_server && *env_server)
			opts[i].def = env_server;
	memset(c, 0, sizeof(*c));
	if (!(c->argv = calloc((size_t)argc + 2, sizeof(char *)))) {
		snprintf(err, errlen, "out of memory");
		return PD_ECONFIG;
	}
	int n = cli_args_permute(opts, argc, argv, c->argv), first;
	int rc = pd_cfg_load(opts, c, n, c->argv, &first, err, errlen);
	if (rc < 0)
		return rc;
	*args = c->argv + first;
	*nargs = n - first;
	return c->help || c->version ? 0 : check(c, err, errlen);
}

void cli_conf_free(struct cli_conf *c)
{
	pd_cfg_free(cli_opts, c);
	free(c->argv);
	c->argv = NULL;
}

enum cli_fmt cli_conf_format(const struct cli_conf *c, int stdout_is_tty)
{
	if (c->json)
		return CLI_FMT_JSON;
	if (c->csv)
		return CLI_FMT_CSV;
	if (c->table || stdout_is_tty)
		return CLI_FMT_TABLE;
	return CLI_FMT_JSON;
}

static int key_ok(const char *k)
{
	if (!*k)
		return 0;
	for (; *k; k++)
		if (*k <= 0x20 || *k >= 0x7f)
			return 0;
	return 1;
}

int cli_conf_api_key(const struct cli_conf *c, const char *env_key, char **key, char *err,
                     size_t errlen)
{
	*key = NULL;
	if (!c->api_key_file) {
		if (!env_key || !*env_key)
			return 0;
		if (!key_ok(env_key)) {
			snprintf(err, errlen, "$ALMANAC_API_KEY holds spaces or control characters");
			return PD_ECONFIG;
		}
		return (*key = strdup(env_key)) ? 0 : PD_ECONFIG;
	}
	char *data;
	size_t len;
	int rc = pd_file_read("api key file", c->api_key_file, 4096, 1, &data, &len, err, errlen);
	if (rc < 0)
		return rc;
	data[strcspn(data, "\r\n")] = 0;
	if (!key_ok(data)) {
		snprintf(err, errlen, "api key file %s: the first line is not a key (printable, "
		         "no spaces)", c->api_key_file);
		pd_file_free_secret(data, len);
		return PD_ECONFIG;
	}
	*key = strdup(data);
	pd_file_free_secret(data, len);
	return *key ? 0 : PD_ECONFIG;
}
