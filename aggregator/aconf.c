#include "aconf.h"

#include <stdio.h>
#include <string.h>

#include "pd_err.h"

#define OFF(f) offsetof(struct agg_conf, f)
#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

const struct pd_cfg_opt agg_opts[] = {
	{ "listen", 0, "ingest", PD_CFG_STR, OFF(listen), 0, 0, NULL, "URL",
	  "accept sensors on tls+tcp://HOST:PORT" },
	{ "registry", 0, "ingest", PD_CFG_STR, OFF(registry), 0, 0, NULL, "FILE",
	  "accept only the sensors listed ('SENSOR_ID SITE' lines; reloaded on SIGHUP)" },
	{ "contexts", 0, "ingest", PD_CFG_UINT, OFF(contexts), 1, 4096, "32", "N",
	  "batches received concurrently" },
	{ "workers", 0, "ingest", PD_CFG_UINT, OFF(workers), 1, 256, "2", "N",
	  "threads verifying batches" },
	{ "max-batch-bytes", 0, "ingest", PD_CFG_SIZE, OFF(max_batch_bytes), 64 * 1024, 1 * GiB,
	  "64M", "SIZE", "largest batch accepted (NNG receive limit)" },
	{ "ca", 0, "tls", PD_CFG_STR, OFF(ca), 0, 0, NULL, "FILE", "the deployment's CA (PEM)" },
	{ "cert", 0, "tls", PD_CFG_STR, OFF(cert), 0, 0, NULL, "FILE",
	  "this aggregator's certificate (PEM)" },
	{ "key", 0, "tls", PD_CFG_STR, OFF(key), 0, 0, NULL, "FILE",
	  "this aggregator's key (PEM, mode 0600)" },
	{ "crl", 0, "tls", PD_CFG_STR, OFF(crl), 0, 0, NULL, "FILE",
	  "revoked certificates (PEM; reloaded on SIGHUP)" },
	{ "db", 0, "store", PD_CFG_STR, OFF(db), 0, 0, NULL, "DIR", "the LevelDB store" },
	{ "cache-size", 0, "store", PD_CFG_SIZE, OFF(cache_bytes), 1 * MiB, 64 * GiB, "64M",
	  "SIZE", "LevelDB block cache" },
	{ "group-batches", 0, "store", PD_CFG_UINT, OFF(group_batches), 1, 4096, "64", "N",
	  "batches merged per synced write at most" },
	{ "group-obs", 0, "store", PD_CFG_UINT, OFF(group_obs), 1000, 10000000, "200000", "N",
	  "observations merged per synced write at most" },
	{ "no-sync", 0, "store", PD_CFG_BOOL, OFF(no_sync), 0, 0, "no", NULL,
	  "do not sync writes (benchmarks only: loses acked data on power loss)" },
	{ "export", 0, NULL, PD_CFG_STR, OFF(export_path), 0, 0, NULL, "FILE",
	  "write the whole store as COF lines to FILE (- for stdout) and exit" },
	{ "import", 0, NULL, PD_CFG_STR, OFF(import_path), 0, 0, NULL, "FILE",
	  "merge COF lines from FILE into the store and exit (once per file)" },
	{ "compact", 0, NULL, PD_CFG_BOOL, OFF(compact), 0, 0, "no", NULL,
	  "compact the whole store and exit" },
	{ "import-site", 0, NULL, PD_CFG_STR, OFF(import_site), 0, 0, "import", "SITE",
	  "site for imported lines that name none" },
	{ "user", 0, "process", PD_CFG_STR, OFF(user), 0, 0, NULL, "USER",
	  "user to switch to after opening the store and the listener" },
	{ "log-level", 0, "process", PD_CFG_STR, OFF(log_level), 0, 0, "info", "LEVEL",
	  "error, warning, info or debug" },
	{ "check", 'n', NULL, PD_CFG_BOOL, OFF(check_only), 0, 0, NULL, NULL,
	  "check the configuration and exit" },
	{ "help", 'h', NULL, PD_CFG_BOOL, OFF(help), 0, 0, NULL, NULL, "show this help" },
	{ "version", 0, NULL, PD_CFG_BOOL, OFF(version), 0, 0, NULL, NULL, "show the version" },
	PD_CFG_END
};

static int need(const char *v, const char *what, char *err, size_t errlen)
{
	if (v)
		return 0;
	snprintf(err, errlen, "%s", what);
	return PD_EUSAGE;
}

int agg_conf_load(struct agg_conf *c, int argc, char **argv, char *err, size_t errlen)
{
	int first;
	memset(c, 0, sizeof(*c));
	int rc = pd_cfg_load(agg_opts, c, argc, argv, &first, err, errlen);
	if (rc < 0)
		return rc;
	if (first < argc) {
		snprintf(err, errlen, "unexpected argument '%s'", argv[first]);
		return PD_EUSAGE;
	}
	if (c->help || c->version)
		return 0;
	if ((rc = need(c->db, "give the store with --db DIR", err, errlen)) < 0)
		return rc;
	if (c->export_path && c->import_path) {
		snprintf(err, errlen, "--export and --import are separate runs");
		return PD_EUSAGE;
	}
	if (c->export_path || c->import_path || c->compact)
		return 0;
	if ((rc = need(c->listen, "give --listen tls+tcp://HOST:PORT (or --export/--import)",
	               err, errlen)) < 0 ||
	    (rc = need(c->ca, "give the CA with --ca FILE", err, errlen)) < 0 ||
	    (rc = need(c->cert, "give this aggregator's certificate with --cert FILE", err,
	               errlen)) < 0 ||
	    (rc = need(c->key, "give this aggregator's key with --key FILE", err, errlen)) < 0)
		return rc;
	if (strncmp(c->listen, "tls+tcp://", 10) != 0) {
		snprintf(err, errlen, "listen: '%s' is not a tls+tcp://HOST:PORT URL", c->listen);
		return PD_ECONFIG;
	}
	if (strcmp(c->log_level, "error") && strcmp(c->log_level, "warning") &&
	    strcmp(c->log_level, "info") && strcmp(c->log_level, "debug")) {
		snprintf(err, errlen, "log-level: '%s' is not error, warning, info or debug",
		         c->log_level);
		return PD_ECONFIG;
	}
	return 0;
}

void agg_conf_free(struct agg_conf *c)
{
	pd_cfg_free(agg_opts, c);
}
