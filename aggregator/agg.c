#include "agg.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "astats.h"
#include "cofio.h"
#include "ingest.h"
#include "migrate.h"
#include "pd_err.h"
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
	struct pd_sigflags sig;
};

static int agg_open_store(struct agg *a, int create)
{
	char err[512];
	struct store_opts so = { .block_cache_bytes = a->c->cache_bytes, .create = create };
	int rc = store_open(&a->store, a->c->db, &so, err, sizeof(err));
	if (rc == 0)
		rc = migrate_store(a->store, a->c->db, err, sizeof(err));
	if (rc == 0)
		rc = sites_load(&a->sites, a->store, err, sizeof(err));
	if (rc < 0)
		log_warnx("store: %s", err);
	return rc;
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
		.group_obs = a->c->group_obs, .max_batch_bytes = a->c->max_batch_bytes,
		.no_sync = a->c->no_sync };
	if ((rc = writer_start(&a->writer, a->store, a->sites, &wo, &a->stats, err,
	                       sizeof(err))) < 0) {
		log_warnx("%s", err);
		return rc;
	}
	struct ingest_opts io = { .listen_url = a->c->listen,
		.tls = { .ca = a->c->ca, .crl = a->c->crl, .cert = a->c->cert, .key = a->c->key },
		.contexts = (unsigned)a->c->contexts, .workers = (unsigned)a->c->workers,
		.max_batch_bytes = a->c->max_batch_bytes };
	if ((rc = ingest_start(&a->ingest, &io, a->verifier, a->registry, a->writer, &a->stats,
	                       NULL, NULL, err, sizeof(err))) < 0) {
		log_warnx("%s", err);
		return rc;
	}
	return 0;
}

static void agg_close(struct agg *a)
{
	ingest_stop(a->ingest);  /* answers what is in flight (the writer runs) */
	writer_stop(a->writer);  /* applies what is queued */
	registry_free(a->registry);
	pd_verifier_free(a->verifier);
	sites_free(a->sites);
	store_close(a->store);   /* a clean LevelDB close */
}

static void agg_report(struct agg *a, const char *heading)
{
	atomic_store(&a->stats.v[AS_tls_handshakes_refused],
	             a->ingest ? ingest_tls_refused(a->ingest) : 0);
	astats_print(&a->stats, stderr, heading);
}

static void agg_reload(struct agg *a)
{
	char err[512];
	if (a->c->crl && pd_verifier_reload_crl(a->verifier, a->c->crl, err, sizeof(err)) < 0)
		log_warnx("reload: %s (the old CRL stays in force)", err);
	if (a->registry && registry_reload(a->registry, err, sizeof(err)) < 0)
		log_warnx("reload: %s (the old registry stays in force)", err);
	log_info("reloaded the CRL and the registry");
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
	if (c->user && pd_proc_drop_privileges(c->user, &why) < 0) {
		log_warnx("cannot switch to user %s: %s", c->user, why);
		agg_close(&a);
		return 1;
	}
	log_info("listening for sensors on %s, store %s", c->listen, c->db);
	fprintf(stderr, "ready\n");
	fflush(stderr);
	pd_proc_notify("READY=1");
	while (!a.sig.stop) {
		struct timespec ts = { 0, 200 * 1000000L };
		nanosleep(&ts, NULL);
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
