/*
 * aggweb: the aggregator's HTTP face (docs/api.md). Starts the HTTP
 * server (httpd) and routes its requests:
 *
 *   GET /               the status page of all sites (health)
 *   GET /api/v1/sites   the same as JSON
 *   GET /metrics        Prometheus text: sites, sensors, the aggregator's
 *                       ingest counters, the store, queries, HTTP
 *   anything else       the query APIs (api)
 *
 * Thread safety: aggweb_start, aggweb_reload and aggweb_stop from the
 * controlling thread; requests are answered on the server's workers.
 */
#ifndef AGG_AGGWEB_H
#define AGG_AGGWEB_H

#include <stddef.h>

#include "api.h"
#include "astats.h"
#include "health.h"
#include "store.h"
#include "httpd.h"

struct aggweb;

/* The server's options are the caller's (listen, TLS, keys); api, health,
 * store and stats stay the caller's and must outlive aggweb_stop. */
int aggweb_start(struct aggweb **out, const struct httpd_opts *o, struct api *api,
                 struct health *health, struct store *store, const struct agg_stats *stats,
                 char *err, size_t errlen);
/* SIGHUP: re-reads the API keys; on error keeps the old ones. */
int aggweb_reload(struct aggweb *w, char *err, size_t errlen);
int aggweb_port(const struct aggweb *w);
/* Stops the server (NULL: no-op). */
void aggweb_stop(struct aggweb *w);

#endif
