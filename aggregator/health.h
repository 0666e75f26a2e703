/*
 * health: what the aggregator knows about each sensor and site (DESIGN.md
 * "Health"): the counters of the last batch or heartbeat, rates over the
 * last minutes, last contact, and a status with its reason in words:
 *
 *   ok        all well
 *   degraded  drop rate, malformed rate, spool age or clock skew over its
 *             threshold, or the capture failing
 *   stale     no contact for stale_after seconds
 *   down      no contact for down_after seconds
 *
 * A site is as bad as its worst sensor. Status changes are logged once
 * each. A bounded history (one point a minute, 6 hours) feeds the status
 * page's charts. Sensors known from the store (their streams) or expected
 * (the registry) are listed from the start, so a site that never comes
 * back, or never came, shows as down.
 * Thread-safe: a mutex; ingest threads report, HTTP threads read.
 */
#ifndef AGG_HEALTH_H
#define AGG_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "pd_batch.h"
#include "pd_buf.h"
#include "pd_sign.h"
#include "store.h"

enum health_status { HS_OK, HS_DEGRADED, HS_STALE, HS_DOWN };

struct health_opts {
	uint64_t stale_after_s;   /* 0: 90 */
	uint64_t down_after_s;    /* 0: 300 */
	double max_drop_pct;      /* negative: 1.0 (0: any drop degrades) */
	double max_malformed_pct; /* negative: 5.0 */
	uint64_t max_spool_age_s; /* 0: 300 */
	uint64_t max_clock_skew_s;/* 0: 30 */
	uint64_t rate_window_s;   /* 0: 300 */
};

struct health;

int health_new(struct health **out, const struct health_opts *o, struct store *known);
void health_free(struct health *h);

/*
 * The registry's sensors, between health_expect_begin and _end (at start
 * and on each reload): each health_expect one (a registry_each callback) is
 * shown from now on, down if it never calls. With a registry, a sensor it
 * no longer lists is retired from the views (it could not send anyway);
 * without one (no begin/end), every sensor the store knows is shown.
 */
void health_expect_begin(struct health *h);
void health_expect(void *ctx, const char *sensor_id, const char *site);
void health_expect_end(struct health *h);
/* An authenticated batch or heartbeat arrived (an ingest_seen_fn). */
void health_seen(void *ctx, const struct pd_identity *id, const struct pd_batch *b);
/* Re-evaluates statuses (time passes) and logs changes; call every second. */
void health_tick(struct health *h);

const char *health_status_name(enum health_status s);

/* Renderings (healthout.c). now_s: the time to render at. */
int health_sites_json(struct health *h, struct pd_buf *out, int64_t now_s);
int health_metrics(struct health *h, struct pd_buf *out, int64_t now_s);
int health_page(struct health *h, struct pd_buf *out, int64_t now_s);

/* For renderings: a consistent copy of everything, taken under the lock. */
struct health_view;
struct health_view *health_snapshot(struct health *h, int64_t now_s);
void health_view_free(struct health_view *v);

#endif
