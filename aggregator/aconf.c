#include "aconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_log.h"

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
	{ "http", 0, "http", PD_CFG_STR, OFF(http), 0, 0, NULL, "HOST:PORT",
	  "answer queries, health and metrics over HTTP (loopback unless --api-keys)" },
	{ "api-keys", 0, "http", PD_CFG_STR, OFF(api_keys), 0, 0, NULL, "FILE",
	  "require X-API-Key from this file ('KEY [name]' lines, mode 0600; reloaded on SIGHUP)" },
	{ "http-cert", 0, "http", PD_CFG_STR, OFF(http_cert), 0, 0, NULL, "FILE",
	  "serve HTTPS with this certificate (PEM)" },
	{ "http-key", 0, "http", PD_CFG_STR, OFF(http_key), 0, 0, NULL, "FILE",
	  "the HTTPS certificate's key (PEM, mode 0600)" },
	{ "http-ca", 0, "http", PD_CFG_STR, OFF(http_ca), 0, 0, NULL, "FILE",
	  "require HTTPS client certificates issued by this CA (almanac-pki analyst)" },
	{ "http-workers", 0, "http", PD_CFG_UINT, OFF(http_workers), 1, 256, "8", "N",
	  "threads answering queries" },
	{ "http-max-connections", 0, "http", PD_CFG_UINT, OFF(http_max_conns), 1, 100000, "512",
	  "N", "HTTP connections served at once" },
	{ "http-idle-timeout", 0, "http", PD_CFG_UINT, OFF(http_idle_s), 1, 3600, "30", "SECONDS",
	  "close HTTP connections idle or stalled this long" },
	{ "default-limit", 0, "query", PD_CFG_UINT, OFF(default_limit), 1, 100000000, "10000", "N",
	  "records per answer when the query gives no limit" },
	{ "max-limit", 0, "query", PD_CFG_UINT, OFF(max_limit), 1, 100000000, "1000000", "N",
	  "largest limit a query may ask for" },
	{ "query-timeout", 0, "query", PD_CFG_UINT, OFF(query_timeout_s), 1, 3600, "10",
	  "SECONDS", "time budget of one query (answers 'limited' when spent)" },
	{ "max-answer-bytes", 0, "query", PD_CFG_SIZE, OFF(max_answer_bytes), 64 * 1024, 4 * GiB,
	  "256M", "SIZE", "largest answer body (answers 'limited' when reached)" },
	{ "stale-after", 0, "health", PD_CFG_UINT, OFF(stale_after), 1, 30 * 86400, "90",
	  "SECONDS", "a sensor silent this long is stale" },
	{ "down-after", 0, "health", PD_CFG_UINT, OFF(down_after), 1, 30 * 86400, "300",
	  "SECONDS", "a sensor silent this long is down" },
	{ "max-drop-pct", 0, "health", PD_CFG_STR, OFF(max_drop_pct), 0, 0, "1", "PERCENT",
	  "degraded above this share of packets dropped by the capture" },
	{ "max-malformed-pct", 0, "health", PD_CFG_STR, OFF(max_malformed_pct), 0, 0, "5",
	  "PERCENT", "degraded above this share of malformed packets" },
	{ "max-spool-age", 0, "health", PD_CFG_UINT, OFF(max_spool_age), 1, 30 * 86400, "300",
	  "SECONDS", "degraded when the oldest unsent batch is older" },
	{ "max-clock-skew", 0, "health", PD_CFG_UINT, OFF(max_clock_skew), 1, 86400, "30",
	  "SECONDS", "degraded when a sensor's clock is further off" },
	{ "db", 0, "store", PD_CFG_STR, OFF(db), 0, 0, NULL, "DIR", "the LevelDB store" },
	{ "cache-size", 0, "store", PD_CFG_SIZE, OFF(cache_bytes), 1 * MiB, 64 * GiB, "64M",
	  "SIZE", "LevelDB block cache" },
	{ "write-buffer", 0, "store", PD_CFG_SIZE, OFF(write_buffer_bytes), 1 * MiB, 1 * GiB, "4M",
	  "SIZE", "LevelDB memtable: writes gathered in memory before they go to a file" },
	{ "table-size", 0, "store", PD_CFG_SIZE, OFF(table_bytes), 1 * MiB, 1 * GiB, "8M", "SIZE",
	  "LevelDB table files written from now on, at most" },
	{ "open-tables", 0, "store", PD_CFG_UINT, OFF(open_tables), 64, 1000000, "512", "N",
	  "LevelDB tables kept open, each holding its index and bloom filter in memory (about "
	  "a tenth of the table's size); a store with more tables reopens them as reads need "
	  "them" },
	{ "value-cache", 0, "store", PD_CFG_UINT, OFF(value_cache), 1024, 1u << 28, "1048576", "N",
	  "recently written tuple values kept in memory (spares LevelDB reads on repeats)" },
	{ "compression", 0, "store", PD_CFG_STR, OFF(compression), 0, 0, "snappy", "NAME",
	  "snappy or none, for store files written from now on (none: about twice the "
	  "disk, less CPU per merged observation)" },
	{ "group-batches", 0, "store", PD_CFG_UINT, OFF(group_batches), 1, 4096, "64", "N",
	  "batches merged per synced write at most" },
	{ "group-obs", 0, "store", PD_CFG_UINT, OFF(group_obs), 1000, 10000000, "200000", "N",
	  "observations merged per synced write at most" },
	{ "group-wait", 0, "store", PD_CFG_UINT, OFF(group_wait_ms), 0, 10000, "0", "MS",
	  "how long a synced write waits for more batches to share it (0: it takes those "
	  "queued when it began; more: fewer syncs when batches trickle in)" },
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

/* A percentage in [0, 100]. */
static int pct(const char *name, const char *v, double *out, char *err, size_t errlen)
{
	char *end;
	double d = strtod(v, &end);
	if (end == v || *end || !(d >= 0 && d <= 100)) {
		snprintf(err, errlen, "%s: '%s' is not a percentage from 0 to 100", name, v);
		return PD_ECONFIG;
	}
	*out = d;
	return 0;
}

static int http_check(struct agg_conf *c, char *err, size_t errlen)
{
	int rc;
	if ((rc = pct("max-drop-pct", c->max_drop_pct, &c->drop_pct, err, errlen)) < 0 ||
	    (rc = pct("max-malformed-pct", c->max_malformed_pct, &c->malformed_pct, err,
	              errlen)) < 0)
		return rc;
	if (c->down_after <= c->stale_after) {
		snprintf(err, errlen, "down-after (%llu s) must be longer than stale-after (%llu s)",
		         (unsigned long long)c->down_after, (unsigned long long)c->stale_after);
		return PD_ECONFIG;
	}
	if (c->default_limit > c->max_limit) {
		snprintf(err, errlen, "default-limit (%llu) is over max-limit (%llu)",
		         (unsigned long long)c->default_limit, (unsigned long long)c->max_limit);
		return PD_ECONFIG;
	}
	if (!c->http_cert != !c->http_key) {
		snprintf(err, errlen, "HTTPS needs both --http-cert and --http-key");
		return PD_EUSAGE;
	}
	if (c->http_ca && !c->http_cert) {
		snprintf(err, errlen, "--http-ca needs HTTPS (--http-cert and --http-key)");
		return PD_EUSAGE;
	}
	if (!c->http && (c->api_keys || c->http_cert)) {
		snprintf(err, errlen, "--api-keys and --http-cert need --http HOST:PORT");
		return PD_EUSAGE;
	}
	return 0;
}

int agg_conf_load(struct agg_conf *c, int argc, char **argv, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	int rc = pd_cfg_load(agg_opts, c, argc, argv, NULL, err, errlen);
	if (rc < 0)
		return rc;
	if (c->help || c->version)
		return 0;
	if ((rc = need(c->db, "give the store with --db DIR", err, errlen)) < 0)
		return rc;
	if (c->export_path && c->import_path) {
		snprintf(err, errlen, "--export and --import are separate runs");
		return PD_EUSAGE;
	}
	c->store_compression = strcmp(c->compression, "snappy") == 0 ? 1
	                       : strcmp(c->compression, "none") == 0 ? -1 : 0;
	if (!c->store_compression) {
		snprintf(err, errlen, "compression: '%s' is not snappy or none", c->compression);
		return PD_ECONFIG;
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
	if ((rc = http_check(c, err, errlen)) < 0)
		return rc;
	if (pd_log_level_parse(c->log_level) < 0) {
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
