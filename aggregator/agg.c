#include "agg.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aggweb.h"
#include "api.h"
#include "astats.h"
#include "cofio.h"
#include "health.h"
#include "ingest.h"
#include "migrate.h"
#include "pd_err.h"
#include "pd_file.h"
#include "pd_log.h"
#include "pd_proc.h"
#include "pd_sign.h"
#include "registry.h"
#include "sites.h"
#include "store.h"
#include "writer.h"

struct agg {
	const struct agg_conf *c;
	struct agg_stats stats;
	struct store *store;
	struct sites *sites;
	struct pd_verifier *verifier;
	struct registry *registry;
	struct writer *writer;
	struct ingest *ingest;
	struct health *health;
	struct api *api;
	struct aggweb *web;
	struct pd_sigflags sig;
};

static int agg_open_store(struct agg *a, int create)
{
	char err[512];
	struct store_opts so = { .block_cache_bytes = a->c->cache_bytes, .create = create,
		.compression = a->c->store_compression,
		.write_buffer_bytes = a->c->write_buffer_bytes,
		.max_file_bytes = a->c->table_bytes, .open_tables = (unsigned)a->c->open_tables };
	/* LevelDB keeps a fifth of the open-file limit for tables past the
	 * 1000 it maps (it reopens the others on every read), so the limit is
	 * raised before the store opens. */
	uint64_t was, nofile = pd_proc_raise_nofile(&was);
	if (nofile != was)
		log_info("store: open-file limit raised from %llu to %llu", (unsigned long long)was,
		         (unsigned long long)nofile);
	int rc = store_open(&a->store, a->c->db, &so, err, sizeof(err));
	if (rc == 0)
		rc = migrate_store(a->store, a->c->db, err, sizeof(err));
	if (rc == 0)
		rc = sites_load(&a->sites, a->store, err, sizeof(err));
	if (rc < 0)
		log_warnx("store: %s", err);
	return rc;
}

/* The query API, health and metrics over HTTP (before the sensors'
 * listener, so that health shows from the first batch on). */
static int agg_open_web(struct agg *a)
{
	char err[512];
	const struct agg_conf *c = a->c;
	size_t body = (size_t)c->max_answer_bytes;
	struct api_opts ao = { .default_limit = c->default_limit, .max_limit = c->max_limit,
		.budget_ms = c->query_timeout_s * 1000, .max_body = body };
	if (!(a->api = api_new(a->store, a->sites, &ao))) {
		log_warnx("http: out of memory");
		return -ENOMEM;
	}
	/* Room past the API's own cap for the line that says it was reached. */
	struct httpd_opts wo = { .listen = c->http, .tls_cert = c->http_cert,
		.tls_key = c->http_key, .tls_ca = c->http_ca, .tls_crl = c->http_ca ? c->crl : NULL,
		.api_keys_file = c->api_keys, .workers = (unsigned)c->http_workers,
		.max_body_bytes = body + 64 * 1024, .max_connections = (unsigned)c->http_max_conns,
		.idle_timeout_ms = (unsigned)(c->http_idle_s * 1000),
		.stop_timeout_ms = (unsigned)(c->query_timeout_s * 1000 + 5000) };
	int rc = aggweb_start(&a->web, &wo, a->api, a->health, a->store, &a->stats, err, sizeof(err));
	if (rc < 0) {
		log_warnx("http: %s", err);
		return rc;
	}
	return 0;
}

/* Health shows the registry's sensors (without a registry: all known). */
static void agg_expect_registry(struct agg *a)
{
	if (!a->registry)
		return;
	health_expect_begin(a->health);
	registry_each(a->registry, health_expect, a->health);
	health_expect_end(a->health);
}

static int agg_open(struct agg *a)
{
	char err[512];
	int rc = agg_open_store(a, 1);
	if (rc < 0)
		return rc;
	struct pd_verifier_cfg vc = { .ca_path = a->c->ca, .crl_path = a->c->crl };
	if ((rc = pd_verifier_new(&a->verifier, &vc, err, sizeof(err))) < 0 ||
	    (a->c->registry && (rc = registry_load(&a->registry, a->c->registry, err,
	                                           sizeof(err))) < 0)) {
		log_warnx("%s", err);
		return rc;
	}
	struct writer_opts wo = { .group_batches = (unsigned)a->c->group_batches,
		.group_obs = a->c->group_obs, .group_wait_ms = (unsigned)a->c->group_wait_ms,
		.max_batch_bytes = a->c->max_batch_bytes,
		.cache_entries = a->c->value_cache,
		.no_sync = a->c->no_sync };
	if ((rc = writer_start(&a->writer, a->store, a->sites, &wo, &a->stats, err,
	                       sizeof(err))) < 0) {
		log_warnx("%s", err);
		return rc;
	}
	struct health_opts ho = { .stale_after_s = a->c->stale_after,
		.down_after_s = a->c->down_after, .max_drop_pct = a->c->drop_pct,
		.max_malformed_pct = a->c->malformed_pct, .max_spool_age_s = a->c->max_spool_age,
		.max_clock_skew_s = a->c->max_clock_skew };
	if ((rc = health_new(&a->health, &ho, a->store)) < 0) {
		log_warnx("health: %s", pd_strerror(rc));
		return rc;
	}
	agg_expect_registry(a);
	if (a->c->http && (rc = agg_open_web(a)) < 0)
		return rc;
	struct ingest_opts io = { .listen_url = a->c->listen,
		.tls = { .ca = a->c->ca, .crl = a->c->crl, .cert = a->c->cert, .key = a->c->key },
		.contexts = (unsigned)a->c->contexts, .workers = (unsigned)a->c->workers,
		.max_batch_bytes = a->c->max_batch_bytes };
	if ((rc = ingest_start(&a->ingest, &io, a->verifier, a->registry, a->writer, &a->stats,
	                       health_seen, a->health, err, sizeof(err))) < 0) {
		log_warnx("%s", err);
		return rc;
	}
	return 0;
}

/* Counters kept elsewhere, copied into the table that reports show. */
static void agg_sync_stats(struct agg *a)
{
	if (a->ingest)
		atomic_store(&a->stats.v[AS_tls_handshakes_refused],
		             ingest_tls_refused(a->ingest));
}

/* Stops taking work and finishes what was taken: afterwards the counters
 * account for every batch received. */
static void agg_drain(struct agg *a)
{
	aggweb_stop(a->web);     /* no new queries; those running finish */
	a->web = NULL;
	agg_sync_stats(a);       /* the listener's own counters, before it goes */
	ingest_stop(a->ingest);  /* answers what is in flight (the writer runs) */
	a->ingest = NULL;
	writer_stop(a->writer);  /* applies what is queued */
	a->writer = NULL;
}

static void agg_close(struct agg *a)
{
	agg_drain(a);
	api_free(a->api);
	health_free(a->health);
	registry_free(a->registry);
	pd_verifier_free(a->verifier);
	sites_free(a->sites);
	store_close(a->store);   /* a clean LevelDB close */
}

static void agg_report(struct agg *a, const char *heading)
{
	agg_sync_stats(a);
	astats_print(&a->stats, stderr, heading);
}

static void agg_reload(struct agg *a)
{
	char err[512];
	if (a->c->crl && pd_verifier_reload_crl(a->verifier, a->c->crl, err, sizeof(err)) < 0)
		log_warnx("reload: %s (the old CRL stays in force)", err);
	if (a->registry && registry_reload(a->registry, err, sizeof(err)) < 0)
		log_warnx("reload: %s (the old registry stays in force)", err);
	agg_expect_registry(a);
	if (a->web && aggweb_reload(a->web, err, sizeof(err)) < 0)
		log_warnx("reload: %s (the old API keys stay in force)", err);
	log_info("reloaded the CRL, the registry and the API keys");
}

/* Started as root with --user: the store becomes the user's, so that the
 * files LevelDB made as root stay usable by the user after the switch and
 * when the aggregator is next started as that user. */
static int agg_hand_store_to(const struct agg_conf *c)
{
	if (geteuid() != 0)
		return 0;
	struct passwd *pw = getpwnam(c->user);
	if (!pw)
		return 0; /* pd_proc_drop_privileges says so */
	if (pd_file_chown_tree(c->db, pw->pw_uid, pw->pw_gid, 2) < 0) {
		log_warn("store %s: cannot hand it to user %s", c->db, c->user);
		return -1;
	}
	return 0;
}

int agg_serve(const struct agg_conf *c)
{
	struct agg a;
	memset(&a, 0, sizeof(a));
	a.c = c;
	pd_proc_signals(&a.sig);
	if (agg_open(&a) < 0) {
		agg_close(&a);
		return 1;
	}
	const char *why = "";
	if (c->user && agg_hand_store_to(c) < 0) {
		agg_close(&a);
		return 1;
	}
	if (c->user && pd_proc_drop_privileges(c->user, &why) < 0) {
		log_warnx("cannot switch to user %s: %s", c->user, why);
		agg_close(&a);
		return 1;
	}
	log_info("listening for sensors on %s, store %s", c->listen, c->db);
	fprintf(stderr, "ready\n");
	fflush(stderr);
	pd_proc_notify("READY=1");
	time_t last_tick = 0;
	while (!a.sig.stop) {
		struct timespec ts = { 0, 200 * 1000000L };
		nanosleep(&ts, NULL);
		time_t now = time(NULL);
		if (now != last_tick) {
			last_tick = now;
			health_tick(a.health);
			agg_sync_stats(&a);
		}
		if (a.sig.report) {
			a.sig.report = 0;
			agg_report(&a, "stats");
		}
		if (a.sig.reload) {
			a.sig.reload = 0;
			agg_reload(&a);
		}
	}
	pd_proc_notify("STOPPING=1");
	log_info("stopping: answering the batches in flight, closing the store");
	agg_drain(&a);
	agg_report(&a, "stats (final)");
	agg_close(&a);
	return 0;
}

int agg_maintain(const struct agg_conf *c)
{
	struct agg a;
	char err[512] = "";
	struct cofio_stats cs = { 0 };
	memset(&a, 0, sizeof(a));
	a.c = c;
	if (agg_open_store(&a, c->import_path != NULL) < 0)
		return 1;
	int rc = 0;
	if (c->compact) {
		store_compact(a.store);
		log_info("compacted %s", c->db);
	} else if (c->export_path) {
		FILE *f = strcmp(c->export_path, "-") ? fopen(c->export_path, "w") : stdout;
		if (!f) {
			log_warn("export: cannot open %s", c->export_path);
			rc = -errno;
		} else {
			rc = cofio_export(a.store, a.sites, f, &cs, err, sizeof(err));
			if (f != stdout && fclose(f) != 0 && rc == 0)
				rc = -errno;
		}
		if (rc == 0)
			log_info("exported %llu tuples", (unsigned long long)cs.tuples);
	} else {
		rc = cofio_import(a.store, a.sites, c->import_path, c->import_site, &cs, err,
		                  sizeof(err));
		if (rc == 0)
			log_info("imported %llu lines (%llu tuples), skipped %llu",
			         (unsigned long long)cs.lines, (unsigned long long)cs.tuples,
			         (unsigned long long)cs.skipped);
	}
	if (rc < 0 && err[0])
		log_warnx("%s", err);
	sites_free(a.sites);
	store_close(a.store);
	return rc < 0 ? 1 : 0;
}
