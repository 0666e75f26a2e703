/* Unit tests for the health model (aggregator/health.c, healthout.c):
 * renderings of an empty model, stale and down by silence, a site as bad
 * as its worst sensor, every degraded reason and their order, malformed
 * counts by reason, rates from samples, and renderings that parse as JSON.
 * Time passes by rendering at a later "now" (health_snapshot takes it);
 * health_eval is driven directly where rates need samples in the past. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "health.h"
#include "health_int.h"
#include "pd_buf.h"
#include "pd_json.h"

static struct health *new_health(void)
{
	struct health_opts o = { .stale_after_s = 90, .down_after_s = 300, .max_drop_pct = -1,
		.max_malformed_pct = -1 };
	struct health *h = NULL;
	assert_int_equal(health_new(&h, &o, NULL), 0);
	return h;
}

/* A batch carrying the given "key=value" health entries (numbers). */
struct hb {
	struct pd_batch b;
	char keys[16][64];
};

static void hb_init(struct hb *x, enum pd_batch_kind kind, int64_t sent_at, ...)
{
	memset(x, 0, sizeof(*x));
	x->b.kind = kind;
	x->b.sent_at_s = sent_at;
	va_list ap;
	va_start(ap, sent_at);
	const char *k;
	while ((k = va_arg(ap, const char *)) != NULL) {
		struct pd_batch_health *e = &x->b.health[x->b.n_health];
		snprintf(x->keys[x->b.n_health], sizeof(x->keys[0]), "%s", k);
		e->key = x->keys[x->b.n_health];
		e->key_len = strlen(k);
		e->u = va_arg(ap, uint64_t);
		x->b.n_health++;
	}
	va_end(ap);
}

static void seen(struct health *h, const char *sensor, const char *site, struct hb *x)
{
	struct pd_identity id;
	snprintf(id.sensor_id, sizeof(id.sensor_id), "%s", sensor);
	snprintf(id.site, sizeof(id.site), "%s", site);
	health_seen(h, &id, &x->b);
}

static const struct hsite *site_of(const struct health_view *v, const char *site)
{
	for (size_t i = 0; i < v->nsites; i++)
		if (!strcmp(v->sites[i].site, site))
			return &v->sites[i];
	fail_msg("no site %s", site);
	return NULL;
}

static void assert_json(struct pd_buf *b)
{
	static struct pd_json_tok t[4096];
	int n = pd_json_parse((const char *)b->data, b->len, t, 4096, 16);
	if (n < 1)
		fail_msg("not JSON (%d): %.*s", n, (int)b->len, (const char *)b->data);
}

static void test_empty_model_renders(void **state)
{
	(void)state;
	struct health *h = new_health();
	struct pd_buf b;
	pd_buf_init(&b, 1 << 20);
	int64_t now = (int64_t)time(NULL);
	health_tick(h);
	assert_int_equal(health_sites_json(h, &b, now), 0);
	assert_json(&b);
	assert_non_null(strstr(pd_buf_cstr(&b), "\"sites\":[]"));
	pd_buf_reset(&b);
	assert_int_equal(health_metrics(h, &b, now), 0);
	pd_buf_reset(&b);
	assert_int_equal(health_page(h, &b, now), 0);
	assert_non_null(strstr(pd_buf_cstr(&b), "0 sites"));
	pd_buf_fini(&b);
	health_free(h);
}

static void test_silence_turns_stale_then_down(void **state)
{
	(void)state;
	struct health *h = new_health();
	struct hb x;
	int64_t t0 = (int64_t)time(NULL);
	hb_init(&x, PD_BATCH_HEARTBEAT, t0, "packets_seen", (uint64_t)10, NULL);
	seen(h, "s1", "fra", &x);
	const struct { int64_t after; enum health_status want; const char *reason; } steps[] = {
		{ 0, HS_OK, "reporting" },
		{ 89, HS_OK, "reporting" },
		{ 90, HS_STALE, "no contact for 90s" },
		{ 299, HS_STALE, "no contact for 4m59s" },
		{ 300, HS_DOWN, "no contact for 5m00s" },
		{ 3 * 86400, HS_DOWN, "no contact for 3d" },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct health_view *v = health_snapshot(h, t0 + steps[i].after);
		assert_non_null(v);
		const struct hsite *s = site_of(v, "fra");
		assert_int_equal(s->status, steps[i].want);
		assert_string_equal(s->reason, steps[i].reason);
		health_view_free(v);
	}
	/* Contact again: ok at once. */
	seen(h, "s1", "fra", &x);
	struct health_view *v = health_snapshot(h, (int64_t)time(NULL));
	assert_int_equal(site_of(v, "fra")->status, HS_OK);
	health_view_free(v);
	health_free(h);
}

static int has_site(const struct health_view *v, const char *site)
{
	for (size_t i = 0; i < v->nsites; i++)
		if (!strcmp(v->sites[i].site, site))
			return 1;
	return 0;
}

static void expect_only(struct health *h, const char *const *pairs)
{
	health_expect_begin(h);
	for (; *pairs; pairs += 2)
		health_expect(h, pairs[0], pairs[1]);
	health_expect_end(h);
}

static void test_registry_retires_and_lists_again(void **state)
{
	(void)state;
	struct health *h = new_health();
	struct hb x;
	int64_t t0 = (int64_t)time(NULL);
	hb_init(&x, PD_BATCH_HEARTBEAT, t0, "packets_seen", (uint64_t)10, NULL);
	seen(h, "old", "gone", &x); /* known, then left out of the registry */
	expect_only(h, (const char *const[]){ "s1", "fra", "s2", "ams", NULL });
	struct health_view *v = health_snapshot(h, t0 + 400);
	assert_int_equal(v->n, 2);
	assert_false(has_site(v, "gone"));
	assert_int_equal(site_of(v, "ams")->status, HS_DOWN); /* never called */
	health_view_free(v);
	/* a reload drops ams; a later one lists it again, silent from then */
	expect_only(h, (const char *const[]){ "s1", "fra", NULL });
	v = health_snapshot(h, t0 + 400);
	assert_int_equal(v->n, 1);
	assert_false(has_site(v, "ams"));
	health_view_free(v);
	expect_only(h, (const char *const[]){ "s1", "fra", "s2", "ams", "old", "gone", NULL });
	int64_t now = (int64_t)time(NULL);
	v = health_snapshot(h, now);
	assert_int_equal(v->n, 3);
	assert_int_equal(site_of(v, "ams")->status, HS_OK);
	assert_int_equal(site_of(v, "gone")->status, HS_OK);
	health_view_free(v);
	health_free(h);
}

static void test_site_is_as_bad_as_its_worst_sensor(void **state)
{
	(void)state;
	struct health *h = new_health();
	struct hb ok, skewed;
	int64_t t0 = (int64_t)time(NULL);
	hb_init(&ok, PD_BATCH_HEARTBEAT, t0, NULL);
	hb_init(&skewed, PD_BATCH_HEARTBEAT, t0 + 100, NULL);
	seen(h, "a1", "ams", &ok);
	seen(h, "a2", "ams", &skewed);
	seen(h, "f1", "fra", &ok);
	struct health_view *v = health_snapshot(h, t0);
	assert_int_equal(v->nsites, 2);
	const struct hsite *ams = site_of(v, "ams");
	assert_int_equal(ams->status, HS_DEGRADED);
	assert_int_equal(ams->nsensors, 2);
	assert_int_equal(ams->nok, 1);
	assert_non_null(strstr(ams->reason, "a2"));
	assert_non_null(strstr(ams->reason, "clock 100s ahead"));
	assert_int_equal(site_of(v, "fra")->status, HS_OK);
	health_view_free(v);
	/* fra's only sensor silent for 100 s: stale, ams degraded still. */
	v = health_snapshot(h, t0 + 95);
	assert_int_equal(site_of(v, "fra")->status, HS_STALE);
	assert_int_equal(site_of(v, "ams")->status, HS_STALE);
	health_view_free(v);
	health_free(h);
}

/* A sensor with two rate samples, 60 s apart, ending at now. */
static void two_samples(struct hsensor *s, int64_t now, uint64_t packets, uint64_t drops,
                        uint64_t dns, uint64_t malformed)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->sensor, sizeof(s->sensor), "s1");
	snprintf(s->site, sizeof(s->site), "fra");
	snprintf(s->capture_state, sizeof(s->capture_state), "ok");
	s->contacted = 1;
	s->last_contact = now;
	s->recent[0] = (struct hsample){ now - 60, 1000, 0, 1000, 0, 0 };
	s->recent[1] = (struct hsample){ now, 1000 + packets, drops, 1000 + dns, malformed, 0 };
	s->nrecent = 2;
	s->head = 2;
}

static void test_degraded_reasons_in_order(void **state)
{
	(void)state;
	struct health_opts o = { .stale_after_s = 90, .down_after_s = 300, .max_drop_pct = 1,
		.max_malformed_pct = 5, .max_spool_age_s = 300, .max_clock_skew_s = 30,
		.rate_window_s = 300 };
	struct hsensor s;
	int64_t now = 1700000000;

	two_samples(&s, now, 6000, 0, 6000, 0);
	health_eval(&o, &s, now);
	assert_int_equal(s.status, HS_OK);
	assert_true(s.pps > 99.9 && s.pps < 100.1);

	two_samples(&s, now, 9900, 100, 9000, 0); /* 100 of 10000: 1.0%, not over */
	health_eval(&o, &s, now);
	assert_int_equal(s.status, HS_OK);
	two_samples(&s, now, 9800, 200, 9000, 0);
	health_eval(&o, &s, now);
	assert_int_equal(s.status, HS_DEGRADED);
	assert_string_equal(s.reason, "dropping 2.0% of packets (threshold 1.0%)");

	two_samples(&s, now, 1000, 0, 1000, 100);
	s.malformed_by[0] = (struct hreason){ "udp", 10 };
	s.malformed_by[1] = (struct hreason){ "dns_label", 90 };
	s.nmalformed_by = 2;
	health_eval(&o, &s, now);
	assert_string_equal(s.reason, "10.0% of DNS messages malformed (threshold 5.0%), "
	                              "mostly dns_label");

	two_samples(&s, now, 1000, 0, 1000, 0);
	s.c.spool_batches = 3;
	s.c.spool_oldest_age_s = 7200;
	health_eval(&o, &s, now);
	assert_string_equal(s.reason, "spool holds 3 batches, the oldest 2h00m old "
	                              "(threshold 300s)");

	s.have_skew = 1;
	s.skew_s = -45;
	s.c.spool_oldest_age_s = 0;
	health_eval(&o, &s, now);
	assert_string_equal(s.reason, "clock 45s behind (threshold 30s)");

	/* A failing capture comes first, and a silent sensor before all. */
	snprintf(s.capture, sizeof(s.capture), "eth1");
	snprintf(s.capture_state, sizeof(s.capture_state), "error");
	health_eval(&o, &s, now);
	assert_string_equal(s.reason, "capture failing on eth1");
	health_eval(&o, &s, now + 100);
	assert_int_equal(s.status, HS_STALE);
	assert_string_equal(s.reason, "no contact for 100s; last report: capture failing");

	/* Samples outside the rate window give no rate. */
	two_samples(&s, now - 1000, 9800, 200, 9000, 0);
	s.last_contact = now;
	health_eval(&o, &s, now);
	assert_int_equal(s.status, HS_OK);
	assert_true(s.pps == 0);
}

static void test_malformed_by_reason_and_counters(void **state)
{
	(void)state;
	struct health *h = new_health();
	struct hb x;
	hb_init(&x, PD_BATCH_DATA, 0, "packets_seen", (uint64_t)500, "malformed", (uint64_t)7,
	        "malformed_udp", (uint64_t)3, "malformed_dns_label", (uint64_t)4, "malformed_",
	        (uint64_t)99, "unknown_key", (uint64_t)1, NULL);
	seen(h, "s1", "fra", &x);
	hb_init(&x, PD_BATCH_DATA, 0, "malformed_udp", (uint64_t)5, NULL);
	seen(h, "s1", "fra", &x);
	struct pd_buf b;
	pd_buf_init(&b, 1 << 20);
	assert_int_equal(health_sites_json(h, &b, (int64_t)time(NULL)), 0);
	assert_json(&b);
	const char *j = pd_buf_cstr(&b);
	assert_non_null(strstr(j, "\"malformed_by_reason\":{\"udp\":5,\"dns_label\":4}"));
	assert_non_null(strstr(j, "\"packets_seen\":500"));
	assert_null(strstr(j, "unknown_key"));
	pd_buf_reset(&b);
	assert_int_equal(health_metrics(h, &b, (int64_t)time(NULL)), 0);
	assert_non_null(strstr(pd_buf_cstr(&b), "almanac_sensor_malformed_by_reason_total{site=\"fra\","
	                                        "sensor=\"s1\",reason=\"udp\"} 5\n"));
	assert_non_null(strstr(pd_buf_cstr(&b), "almanac_sensor_packets_total{site=\"fra\","
	                                        "sensor=\"s1\"} 500\n"));
	pd_buf_fini(&b);
	health_free(h);
}

static void test_page_escapes_and_lists_sites(void **state)
{
	(void)state;
	struct health *h = new_health();
	struct hb x;
	hb_init(&x, PD_BATCH_HEARTBEAT, (int64_t)time(NULL), NULL);
	x.b.health[0] = (struct pd_batch_health){ .key = "capture", .key_len = 7, .is_str = true,
		.str = "<script>", .str_len = 8 };
	x.b.n_health = 1;
	seen(h, "s1", "fra", &x);
	seen(h, "s2", "ams", &x);
	struct pd_buf b;
	pd_buf_init(&b, 1 << 20);
	health_tick(h);
	assert_int_equal(health_page(h, &b, (int64_t)time(NULL)), 0);
	const char *p = pd_buf_cstr(&b);
	assert_null(strstr(p, "<script>"));
	assert_non_null(strstr(p, "&lt;script&gt;"));
	const char *ams = strstr(p, "data-site=\"ams\" data-status=\"ok\"");
	const char *fra = strstr(p, "data-site=\"fra\" data-status=\"ok\"");
	assert_non_null(ams);
	assert_non_null(fra);
	assert_true(ams < fra);
	pd_buf_fini(&b);
	health_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_model_renders),
		cmocka_unit_test(test_silence_turns_stale_then_down),
		cmocka_unit_test(test_site_is_as_bad_as_its_worst_sensor),
		cmocka_unit_test(test_registry_retires_and_lists_again),
		cmocka_unit_test(test_degraded_reasons_in_order),
		cmocka_unit_test(test_malformed_by_reason_and_counters),
		cmocka_unit_test(test_page_escapes_and_lists_sites),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
