#include "health.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "health_int.h"
#include "pd_log.h"
#include "record.h"

#define HEALTH_MAX_SENSORS 100000

const char *health_status_name(enum health_status s)
{
	static const char *const n[] = { "ok", "degraded", "stale", "down" };
	return n[s];
}

static struct hsensor *health_find(struct health *h, const char *sensor, const char *site,
                                   int create)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->s[i].sensor, sensor) && !strcmp(h->s[i].site, site))
			return &h->s[i];
	if (!create || h->n == HEALTH_MAX_SENSORS)
		return NULL;
	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 16;
		struct hsensor *ns = realloc(h->s, ncap * sizeof(*ns));
		if (!ns)
			return NULL;
		h->s = ns;
		h->cap = ncap;
	}
	struct hsensor *s = &h->s[h->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->sensor, sizeof(s->sensor), "%s", sensor);
	snprintf(s->site, sizeof(s->site), "%s", site);
	s->last_contact = h->started;
	snprintf(s->capture_state, sizeof(s->capture_state), "unknown");
	return s;
}

/* Sensors the store knows (they sent batches before): listed from the
 * start so that one that never comes back shows up as down. */
static void health_load_known(struct health *h, struct store *st)
{
	struct store_iter *it = st ? store_iter_new(st, NULL, STORE_SCAN) : NULL;
	if (!it)
		return;
	const uint8_t first[1] = { REC_STREAM };
	for (store_iter_seek(it, first, 1); store_iter_valid(it); store_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = store_iter_key(it, &kl), *v = store_iter_value(it, &vl);
		if (k[0] != REC_STREAM)
			break;
		char f[2][HEALTH_NAME];
		size_t pos = 0;
		int ok = 1;
		for (int i = 0; i < 2 && ok; i++) {
			ok = pos < vl && v[pos] < HEALTH_NAME && vl - pos - 1 >= v[pos];
			if (ok) {
				memcpy(f[i], v + pos + 1, v[pos]);
				f[i][v[pos]] = 0;
				pos += 1u + v[pos];
			}
		}
		if (ok && f[0][0])
			health_find(h, f[0], f[1], 1);
	}
	store_iter_free(it);
}

int health_new(struct health **out, const struct health_opts *o, struct store *known)
{
	struct health *h = calloc(1, sizeof(*h));
	if (!h)
		return -12;
	h->o = *o;
	if (!h->o.stale_after_s)
		h->o.stale_after_s = 90;
	if (!h->o.down_after_s)
		h->o.down_after_s = 300;
	if (h->o.max_drop_pct < 0)
		h->o.max_drop_pct = 1.0;
	if (h->o.max_malformed_pct < 0)
		h->o.max_malformed_pct = 5.0;
	if (!h->o.max_spool_age_s)
		h->o.max_spool_age_s = 300;
	if (!h->o.max_clock_skew_s)
		h->o.max_clock_skew_s = 30;
	if (!h->o.rate_window_s)
		h->o.rate_window_s = 300;
	pthread_mutex_init(&h->mu, NULL);
	h->started = (int64_t)time(NULL);
	health_load_known(h, known);
	*out = h;
	return 0;
}

void health_free(struct health *h)
{
	if (!h)
		return;
	pthread_mutex_destroy(&h->mu);
	free(h->s);
	free(h->logged);
	free(h);
}

static const struct {
	const char *key;
	size_t off;
} counter_keys[] = {
#define HK(n) { #n, offsetof(struct hcounters, n) }
	HK(uptime_s), HK(packets_seen), HK(pcap_drop), HK(pcap_ifdrop), HK(dns_messages),
	HK(malformed), HK(reassembly_evicted), HK(observations_emitted), HK(batches_sent),
	HK(batches_acked), HK(batches_dropped), HK(observations_dropped), HK(spool_bytes),
	HK(spool_batches), HK(spool_oldest_age_s),
#undef HK
};

static void copy_str(char *dst, size_t cap, const struct pd_batch_health *e)
{
	size_t n = e->str_len < cap - 1 ? e->str_len : cap - 1;
	if (n)
		memcpy(dst, e->str, n);
	dst[n] = 0;
}

/* "malformed_<reason>" counters: kept by name, as many as fit. */
static int read_reason(struct hsensor *s, const struct pd_batch_health *e)
{
	static const char pfx[] = "malformed_";
	size_t pl = sizeof(pfx) - 1;
	if (e->key_len <= pl || e->key_len - pl >= sizeof(s->malformed_by[0].name) ||
	    memcmp(e->key, pfx, pl) != 0)
		return 0;
	const char *name = (const char *)e->key + pl;
	size_t nl = e->key_len - pl;
	unsigned i = 0;
	while (i < s->nmalformed_by &&
	       (strlen(s->malformed_by[i].name) != nl || memcmp(s->malformed_by[i].name, name, nl)))
		i++;
	if (i == HEALTH_REASONS)
		return 1;
	if (i == s->nmalformed_by) {
		memcpy(s->malformed_by[i].name, name, nl);
		s->malformed_by[i].name[nl] = 0;
		s->nmalformed_by++;
	}
	s->malformed_by[i].n = e->u;
	return 1;
}

static void read_health(struct hsensor *s, const struct pd_batch *b)
{
	for (size_t i = 0; i < b->n_health; i++) {
		const struct pd_batch_health *e = &b->health[i];
		if (e->is_str) {
			if (e->key_len == 7 && !memcmp(e->key, "version", 7))
				copy_str(s->version, sizeof(s->version), e);
			else if (e->key_len == 7 && !memcmp(e->key, "capture", 7))
				copy_str(s->capture, sizeof(s->capture), e);
			else if (e->key_len == 13 && !memcmp(e->key, "capture_state", 13))
				copy_str(s->capture_state, sizeof(s->capture_state), e);
			continue;
		}
		if (read_reason(s, e))
			continue;
		for (size_t k = 0; k < sizeof(counter_keys) / sizeof(counter_keys[0]); k++) {
			if (strlen(counter_keys[k].key) == e->key_len &&
			    !memcmp(counter_keys[k].key, e->key, e->key_len)) {
				memcpy((char *)&s->c + counter_keys[k].off, &e->u, sizeof(uint64_t));
				break;
			}
		}
	}
}

static struct hsample *last_sample(struct hsensor *s)
{
	return s->nrecent ? &s->recent[(s->head + HEALTH_RECENT - 1) % HEALTH_RECENT] : NULL;
}

static void add_sample(struct hsensor *s, int64_t now)
{
	struct hsample x = { now, s->c.packets_seen, s->c.pcap_drop + s->c.pcap_ifdrop,
		s->c.dns_messages, s->c.malformed, s->c.observations_emitted };
	struct hsample *last = last_sample(s);
	if (last && (x.packets < last->packets || x.obs < last->obs))
		s->nrecent = 0; /* the sensor restarted: its counters began again */
	else if (last && now - last->t < HEALTH_SAMPLE_EVERY)
		return;
	s->recent[s->head] = x;
	s->head = (s->head + 1) % HEALTH_RECENT;
	if (s->nrecent < HEALTH_RECENT)
		s->nrecent++;
}

void health_expect_begin(struct health *h)
{
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->n; i++)
		h->s[i].expected = 0;
	pthread_mutex_unlock(&h->mu);
}

void health_expect(void *ctx, const char *sensor_id, const char *site)
{
	struct health *h = ctx;
	pthread_mutex_lock(&h->mu);
	struct hsensor *s = health_find(h, sensor_id, site, 0);
	if (!s && (s = health_find(h, sensor_id, site, 1)))
		s->last_contact = (int64_t)time(NULL); /* silent from now, not from the start */
	if (s) {
		s->expected = 1;
		if (s->retired) /* listed again */
			s->last_contact = (int64_t)time(NULL);
		s->retired = 0;
	}
	pthread_mutex_unlock(&h->mu);
}

void health_expect_end(struct health *h)
{
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->n; i++) {
		struct hsensor *s = &h->s[i];
		if (!s->expected && !s->retired)
			log_info("health: sensor %s of site %s is not in the registry: no longer shown",
			         s->sensor, s->site);
		s->retired = !s->expected;
	}
	pthread_mutex_unlock(&h->mu);
}

void health_seen(void *ctx, const struct pd_identity *id, const struct pd_batch *b)
{
	struct health *h = ctx;
	int64_t now = (int64_t)time(NULL);
	pthread_mutex_lock(&h->mu);
	struct hsensor *s = health_find(h, id->sensor_id, id->site, 1);
	if (s) {
		s->last_contact = now;
		s->contacted = 1;
		if (b->n_health)
			read_health(s, b);
		/* A heartbeat is sent when made: its clock is the sensor's now.
		 * (A data batch may have waited in the spool.) */
		if (b->kind == PD_BATCH_HEARTBEAT) {
			s->skew_s = b->sent_at_s - now;
			s->have_skew = 1;
		}
		add_sample(s, now);
	}
	pthread_mutex_unlock(&h->mu);
}

static void fmt_age(char *out, size_t cap, int64_t s)
{
	if (s < 120)
		snprintf(out, cap, "%llds", (long long)s);
	else if (s < 7200)
		snprintf(out, cap, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 172800)
		snprintf(out, cap, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(out, cap, "%lldd", (long long)(s / 86400));
}

/* Rates between the newest sample and the oldest one inside the window. */
static void eval_rates(const struct health_opts *o, struct hsensor *s, int64_t now)
{
	s->pps = s->drop_pct = s->malformed_pct = s->obs_s = 0;
	if (s->nrecent < 2)
		return;
	const struct hsample *n = &s->recent[(s->head + HEALTH_RECENT - 1) % HEALTH_RECENT];
	const struct hsample *a = NULL;
	for (unsigned i = 0; i < s->nrecent - 1; i++) {
		const struct hsample *x = &s->recent[(s->head + HEALTH_RECENT - s->nrecent + i) %
		                                     HEALTH_RECENT];
		if (now - x->t <= (int64_t)o->rate_window_s) {
			a = x;
			break;
		}
	}
	if (!a || n->t <= a->t)
		return;
	double dt = (double)(n->t - a->t);
	double dp = (double)(n->packets - a->packets), dd = (double)(n->drops - a->drops);
	s->pps = dp / dt;
	s->obs_s = (double)(n->obs - a->obs) / dt;
	s->drop_pct = dp + dd > 0 ? 100.0 * dd / (dp + dd) : 0;
	double dm = (double)(n->dns - a->dns);
	s->malformed_pct = dm > 0 ? 100.0 * (double)(n->malformed - a->malformed) / dm : 0;
}

/* The malformed reason with the highest count so far, or NULL. */
static const char *top_reason(const struct hsensor *s)
{
	const struct hreason *top = NULL;
	for (unsigned i = 0; i < s->nmalformed_by; i++)
		if (s->malformed_by[i].n && (!top || s->malformed_by[i].n > top->n))
			top = &s->malformed_by[i];
	return top ? top->name : NULL;
}

void health_eval(const struct health_opts *o, struct hsensor *s, int64_t now)
{
	char age[32];
	int64_t quiet = now - s->last_contact;
	eval_rates(o, s, now);
	fmt_age(age, sizeof(age), quiet);
	const char *since = s->contacted ? "" : " (none since the aggregator started)";
	if (quiet >= (int64_t)o->down_after_s || quiet >= (int64_t)o->stale_after_s) {
		s->status = quiet >= (int64_t)o->down_after_s ? HS_DOWN : HS_STALE;
		snprintf(s->reason, sizeof(s->reason), "no contact for %s%s%s", age, since,
		         strcmp(s->capture_state, "error") ? "" : "; last report: capture failing");
		return;
	}
	s->status = HS_DEGRADED;
	if (!strcmp(s->capture_state, "error"))
		snprintf(s->reason, sizeof(s->reason), "capture failing on %s", s->capture);
	else if (s->drop_pct > o->max_drop_pct)
		snprintf(s->reason, sizeof(s->reason), "dropping %.1f%% of packets (threshold %.1f%%)",
		         s->drop_pct, o->max_drop_pct);
	else if (s->malformed_pct > o->max_malformed_pct)
		snprintf(s->reason, sizeof(s->reason),
		         "%.1f%% of DNS messages malformed (threshold %.1f%%)%s%s", s->malformed_pct,
		         o->max_malformed_pct, top_reason(s) ? ", mostly " : "",
		         top_reason(s) ? top_reason(s) : "");
	else if (s->c.spool_oldest_age_s > o->max_spool_age_s) {
		fmt_age(age, sizeof(age), (int64_t)s->c.spool_oldest_age_s);
		snprintf(s->reason, sizeof(s->reason),
		         "spool holds %llu batches, the oldest %s old (threshold %llus)",
		         (unsigned long long)s->c.spool_batches, age,
		         (unsigned long long)o->max_spool_age_s);
	} else if (s->have_skew && (uint64_t)llabs((long long)s->skew_s) > o->max_clock_skew_s)
		snprintf(s->reason, sizeof(s->reason), "clock %llds %s (threshold %llus)",
		         llabs((long long)s->skew_s), s->skew_s > 0 ? "ahead" : "behind",
		         (unsigned long long)o->max_clock_skew_s);
	else if (!s->contacted) {
		s->status = HS_OK;
		snprintf(s->reason, sizeof(s->reason),
		         "waiting for first contact (%s so far)", age);
	} else {
		s->status = HS_OK;
		snprintf(s->reason, sizeof(s->reason), "reporting");
	}
}

/* The history point of this minute: added at its first tick, then kept
 * to the latest rates until the minute ends. */
static void record_point(struct hsensor *s, int64_t minute)
{
	struct hpoint p = { minute, (float)s->pps, (float)s->drop_pct, (float)s->obs_s,
		s->c.spool_bytes };
	struct hpoint *last = s->nhist ? &s->hist[(s->hhead + HEALTH_HISTORY - 1) % HEALTH_HISTORY]
	                               : NULL;
	if (last && last->t == minute) {
		*last = p;
		return;
	}
	s->hist[s->hhead] = p;
	s->hhead = (s->hhead + 1) % HEALTH_HISTORY;
	if (s->nhist < HEALTH_HISTORY)
		s->nhist++;
}

/* Logs a site's status when it differs from the last one logged. Every
 * view (a tick's or a reader's) goes through here, so whoever sees a
 * change first logs it, once; a view older than the last one logged is
 * ignored, so concurrent readers cannot make it flap. Under h->mu. */
static void log_site_change(struct health *h, const struct hsite *site, int64_t at)
{
	struct hlogged *l = NULL;
	for (size_t i = 0; i < h->nlogged && !l; i++)
		if (!strcmp(h->logged[i].site, site->site))
			l = &h->logged[i];
	if (!l) {
		struct hlogged *nl = realloc(h->logged, (h->nlogged + 1) * sizeof(*nl));
		if (!nl)
			return;
		h->logged = nl;
		l = &nl[h->nlogged++];
		snprintf(l->site, HEALTH_NAME, "%s", site->site);
		l->status = (enum health_status)-1;
		l->at = at;
	}
	if (at < l->at || l->status == site->status)
		return;
	l->status = site->status;
	l->at = at;
	log_info("health: site %s is %s: %s", site->site, health_status_name(site->status),
	         site->reason);
}

void health_tick(struct health *h)
{
	int64_t now = (int64_t)time(NULL), minute = now / 60 * 60;
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < h->n; i++) {
		struct hsensor *s = &h->s[i];
		health_eval(&h->o, s, now);
		record_point(s, minute);
	}
	pthread_mutex_unlock(&h->mu);
	health_view_free(health_snapshot(h, now)); /* logs the changes */
}

struct health_view *health_snapshot(struct health *h, int64_t now)
{
	struct health_view *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	pthread_mutex_lock(&h->mu);
	v->now = now;
	v->o = h->o;
	v->s = h->n ? malloc(h->n * sizeof(*v->s)) : NULL;
	for (size_t i = 0; v->s && i < h->n; i++)
		if (!h->s[i].retired)
			v->s[v->n++] = h->s[i];
	int failed = h->n && !v->s;
	pthread_mutex_unlock(&h->mu);
	if (failed) {
		free(v);
		return NULL;
	}
	for (size_t i = 0; i < v->n; i++)
		health_eval(&v->o, &v->s[i], now);
	health_sites(v);
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < v->nsites; i++)
		log_site_change(h, &v->sites[i], now);
	pthread_mutex_unlock(&h->mu);
	return v;
}

void health_view_free(struct health_view *v)
{
	if (!v)
		return;
	free(v->s);
	free(v->sites);
	free(v);
}

static int cmp_sensor(const void *a, const void *b)
{
	const struct hsensor *x = a, *y = b;
	int c = strcmp(x->site, y->site);
	return c ? c : strcmp(x->sensor, y->sensor);
}

/* Adds a sensor's history into its site's: slot i is the minute
 * base + 60 i (t stays 0 where no sensor reported). */
static void site_history(struct hsite *site, const struct hsensor *s, int64_t base)
{
	for (unsigned i = 0; i < s->nhist; i++) {
		const struct hpoint *p = &s->hist[(s->hhead + HEALTH_HISTORY - s->nhist + i) %
		                                  HEALTH_HISTORY];
		if (p->t < base || (p->t - base) / 60 >= HEALTH_HISTORY)
			continue;
		struct hpoint *q = &site->hist[(p->t - base) / 60];
		q->t = p->t;
		q->pps += p->pps;
		q->obs_s += p->obs_s;
		q->spool_bytes += p->spool_bytes;
		if (p->drop_pct > q->drop_pct)
			q->drop_pct = p->drop_pct;
	}
	site->nhist = HEALTH_HISTORY;
}

static void site_add(struct hsite *site, const struct hsensor *s, const struct hsensor **worst,
                     int64_t base)
{
	site->nsensors++;
	site->nok += s->status == HS_OK;
	if (!*worst || s->status > (*worst)->status)
		*worst = s;
	if (s->last_contact > site->last_contact)
		site->last_contact = s->last_contact;
	site->pps += s->pps;
	site->obs_s += s->obs_s;
	if (s->drop_pct > site->drop_pct)
		site->drop_pct = s->drop_pct;
	site->spool_bytes += s->c.spool_bytes;
	site->spool_batches += s->c.spool_batches;
	if (s->c.spool_oldest_age_s > site->spool_oldest_age_s)
		site->spool_oldest_age_s = s->c.spool_oldest_age_s;
	site_history(site, s, base);
}

void health_sites(struct health_view *v)
{
	if (v->n)
		qsort(v->s, v->n, sizeof(*v->s), cmp_sensor);
	v->sites = calloc(v->n ? v->n : 1, sizeof(*v->sites));
	if (!v->sites)
		return;
	for (size_t i = 0; i < v->n;) {
		struct hsite *site = &v->sites[v->nsites++];
		const struct hsensor *worst = NULL;
		snprintf(site->site, sizeof(site->site), "%s", v->s[i].site);
		size_t j = i;
		int64_t base = v->now / 60 * 60 - (HEALTH_HISTORY - 1) * 60;
		for (; j < v->n && !strcmp(v->s[j].site, site->site); j++)
			site_add(site, &v->s[j], &worst, base);
		site->status = worst->status;
		if (site->nsensors == 1)
			snprintf(site->reason, sizeof(site->reason), "%s", worst->reason);
		else if (worst->status == HS_OK)
			snprintf(site->reason, sizeof(site->reason), "all %u sensors reporting",
			         site->nsensors);
		else
			snprintf(site->reason, sizeof(site->reason), "%u of %u sensors ok; %s: %s",
			         site->nok, site->nsensors, worst->sensor, worst->reason);
		i = j;
	}
}
