/* healthout: the health model as /api/v1/sites JSON, Prometheus text and
 * the HTML status page (health.h). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "health.h"
#include "health_int.h"
#include "promtext.h"

static void json_str(struct pd_buf *b, const char *s)
{
	pd_buf_add_json_str(b, s, strlen(s));
}

static void json_history(struct pd_buf *b, const struct hsite *site)
{
	pd_buf_adds(b, ",\"history\":[");
	int first = 1;
	for (unsigned i = 0; i < site->nhist; i++) {
		const struct hpoint *p = &site->hist[i];
		if (!p->t)
			continue;
		pd_buf_addf(b, "%s[%lld,%.2f,%.3f,%.2f,%llu]", first ? "" : ",", (long long)p->t,
		            p->pps, p->drop_pct, p->obs_s, (unsigned long long)p->spool_bytes);
		first = 0;
	}
	pd_buf_addc(b, ']');
}

static void json_sensor(struct pd_buf *b, const struct hsensor *s)
{
	pd_buf_adds(b, "{\"sensor\":");
	json_str(b, s->sensor);
	pd_buf_addf(b, ",\"status\":\"%s\",\"reason\":", health_status_name(s->status));
	json_str(b, s->reason);
	pd_buf_addf(b, ",\"last_contact\":%lld,\"contacted\":%s,\"capture\":",
	            (long long)s->last_contact, s->contacted ? "true" : "false");
	json_str(b, s->capture);
	pd_buf_adds(b, ",\"capture_state\":");
	json_str(b, s->capture_state);
	pd_buf_adds(b, ",\"version\":");
	json_str(b, s->version);
	pd_buf_addf(b, ",\"uptime_s\":%llu,\"packets_per_s\":%.2f,\"drop_pct\":%.3f,"
	            "\"malformed_pct\":%.3f,\"observations_per_s\":%.2f",
	            (unsigned long long)s->c.uptime_s, s->pps, s->drop_pct, s->malformed_pct,
	            s->obs_s);
	if (s->have_skew)
		pd_buf_addf(b, ",\"clock_skew_s\":%lld", (long long)s->skew_s);
	pd_buf_addf(b, ",\"spool_bytes\":%llu,\"spool_batches\":%llu,\"spool_oldest_age_s\":%llu,"
	            "\"counters\":{\"packets_seen\":%llu,\"pcap_drop\":%llu,\"pcap_ifdrop\":%llu,"
	            "\"dns_messages\":%llu,\"malformed\":%llu,\"reassembly_evicted\":%llu,"
	            "\"observations_emitted\":%llu,\"batches_sent\":%llu,\"batches_acked\":%llu,"
	            "\"batches_dropped\":%llu,\"observations_dropped\":%llu}",
	            (unsigned long long)s->c.spool_bytes, (unsigned long long)s->c.spool_batches,
	            (unsigned long long)s->c.spool_oldest_age_s,
	            (unsigned long long)s->c.packets_seen, (unsigned long long)s->c.pcap_drop,
	            (unsigned long long)s->c.pcap_ifdrop, (unsigned long long)s->c.dns_messages,
	            (unsigned long long)s->c.malformed, (unsigned long long)s->c.reassembly_evicted,
	            (unsigned long long)s->c.observations_emitted,
	            (unsigned long long)s->c.batches_sent, (unsigned long long)s->c.batches_acked,
	            (unsigned long long)s->c.batches_dropped,
	            (unsigned long long)s->c.observations_dropped);
	pd_buf_adds(b, ",\"malformed_by_reason\":{");
	for (unsigned r = 0; r < s->nmalformed_by; r++) {
		pd_buf_adds(b, r ? "," : "");
		json_str(b, s->malformed_by[r].name);
		pd_buf_addf(b, ":%llu", (unsigned long long)s->malformed_by[r].n);
	}
	pd_buf_adds(b, "}}");
}

int health_sites_json(struct health *h, struct pd_buf *b, int64_t now)
{
	struct health_view *v = health_snapshot(h, now);
	if (!v)
		return -12;
	pd_buf_addf(b, "{\"generated\":%lld,\"thresholds\":{\"stale_after_s\":%llu,"
	            "\"down_after_s\":%llu,\"max_drop_pct\":%.2f,\"max_malformed_pct\":%.2f,"
	            "\"max_spool_age_s\":%llu,\"max_clock_skew_s\":%llu},\"sites\":[",
	            (long long)now, (unsigned long long)v->o.stale_after_s,
	            (unsigned long long)v->o.down_after_s, v->o.max_drop_pct,
	            v->o.max_malformed_pct, (unsigned long long)v->o.max_spool_age_s,
	            (unsigned long long)v->o.max_clock_skew_s);
	size_t k = 0;
	for (size_t i = 0; i < v->nsites; i++) {
		const struct hsite *site = &v->sites[i];
		pd_buf_adds(b, i ? ",{\"site\":" : "{\"site\":");
		json_str(b, site->site);
		pd_buf_addf(b, ",\"status\":\"%s\",\"reason\":", health_status_name(site->status));
		json_str(b, site->reason);
		pd_buf_addf(b, ",\"last_contact\":%lld,\"sensors_total\":%u,\"sensors_ok\":%u,"
		            "\"packets_per_s\":%.2f,\"drop_pct\":%.3f,\"observations_per_s\":%.2f,"
		            "\"spool_bytes\":%llu,\"spool_batches\":%llu,\"spool_oldest_age_s\":%llu",
		            (long long)site->last_contact, site->nsensors, site->nok, site->pps,
		            site->drop_pct, site->obs_s, (unsigned long long)site->spool_bytes,
		            (unsigned long long)site->spool_batches,
		            (unsigned long long)site->spool_oldest_age_s);
		pd_buf_adds(b, ",\"sensors\":[");
		for (unsigned j = 0; j < site->nsensors; j++, k++) {
			if (j)
				pd_buf_addc(b, ',');
			json_sensor(b, &v->s[k]);
		}
		pd_buf_addc(b, ']');
		json_history(b, site);
		pd_buf_addc(b, '}');
	}
	int rc = pd_buf_adds(b, "]}\n");
	health_view_free(v);
	return rc;
}

/* Per-site gauges: one family at a time, as the text format wants. */
static void site_metrics(struct pd_buf *b, const struct health_view *v)
{
	static const char *const states[] = { "ok", "degraded", "stale", "down" };
	prom_head(b, "almanac_site_status", "gauge",
	            "Site status: 0 ok, 1 degraded, 2 stale, 3 down.");
	for (size_t i = 0; i < v->nsites; i++)
		pd_buf_addf(b, "almanac_site_status{site=\"%s\"} %d\n", v->sites[i].site,
		            (int)v->sites[i].status);
	prom_head(b, "almanac_site_state", "gauge", "1 for the site's current state.");
	for (size_t i = 0; i < v->nsites; i++)
		for (int s = 0; s < 4; s++)
			pd_buf_addf(b, "almanac_site_state{site=\"%s\",state=\"%s\"} %d\n",
			            v->sites[i].site, states[s], (int)v->sites[i].status == s);
	struct { const char *name, *help; int which; } g[] = {
		{ "almanac_site_last_contact_seconds", "Unix time of the last batch or heartbeat.", 0 },
		{ "almanac_site_packets_per_second", "Packets captured per second (last minutes).", 1 },
		{ "almanac_site_drop_ratio", "Share of packets libpcap dropped (worst sensor).", 2 },
		{ "almanac_site_observations_per_second", "Observations emitted per second.", 3 },
		{ "almanac_site_spool_bytes", "Bytes waiting in the sensors' spools.", 4 },
	};
	for (size_t m = 0; m < sizeof(g) / sizeof(g[0]); m++) {
		prom_head(b, g[m].name, "gauge", g[m].help);
		for (size_t i = 0; i < v->nsites; i++) {
			const struct hsite *s = &v->sites[i];
			double x = g[m].which == 0 ? (double)s->last_contact : g[m].which == 1 ? s->pps
			         : g[m].which == 2 ? s->drop_pct / 100 : g[m].which == 3 ? s->obs_s
			                                                            : (double)s->spool_bytes;
			pd_buf_addf(b, "%s{site=\"%s\"} %.15g\n", g[m].name, s->site, x);
		}
	}
}

static void sensor_metrics(struct pd_buf *b, const struct health_view *v)
{
	struct { const char *name, *type, *help; size_t off; } m[] = {
#define SM(n, t, h, f) { n, t, h, offsetof(struct hcounters, f) }
		SM("almanac_sensor_packets_total", "counter", "Packets the sensor saw.", packets_seen),
		SM("almanac_sensor_pcap_drops_total", "counter", "Packets libpcap dropped (ps_drop).",
		   pcap_drop),
		SM("almanac_sensor_pcap_ifdrops_total", "counter",
		   "Packets the interface dropped (ps_ifdrop).", pcap_ifdrop),
		SM("almanac_sensor_dns_messages_total", "counter", "DNS messages decoded.", dns_messages),
		SM("almanac_sensor_malformed_total", "counter", "Malformed packets and messages.",
		   malformed),
		SM("almanac_sensor_reassembly_evicted_total", "counter",
		   "Fragments and TCP streams evicted or timed out.", reassembly_evicted),
		SM("almanac_sensor_observations_total", "counter", "Observations emitted.",
		   observations_emitted),
		SM("almanac_sensor_batches_sent_total", "counter", "Batches sent.", batches_sent),
		SM("almanac_sensor_batches_acked_total", "counter", "Batches acknowledged.",
		   batches_acked),
		SM("almanac_sensor_batches_dropped_total", "counter", "Batches dropped or lost.",
		   batches_dropped),
		SM("almanac_sensor_spool_bytes", "gauge", "Bytes in the spool.", spool_bytes),
		SM("almanac_sensor_spool_batches", "gauge", "Batches in the spool.", spool_batches),
		SM("almanac_sensor_spool_oldest_age_seconds", "gauge", "Age of the oldest spooled batch.",
		   spool_oldest_age_s),
		SM("almanac_sensor_uptime_seconds", "gauge", "Seconds since the sensor started.",
		   uptime_s),
#undef SM
	};
	prom_head(b, "almanac_sensor_status", "gauge",
	            "Sensor status: 0 ok, 1 degraded, 2 stale, 3 down.");
	for (size_t i = 0; i < v->n; i++)
		pd_buf_addf(b, "almanac_sensor_status{site=\"%s\",sensor=\"%s\"} %d\n", v->s[i].site,
		            v->s[i].sensor, (int)v->s[i].status);
	prom_head(b, "almanac_sensor_last_contact_seconds", "gauge",
	            "Unix time of the sensor's last batch or heartbeat.");
	for (size_t i = 0; i < v->n; i++)
		pd_buf_addf(b, "almanac_sensor_last_contact_seconds{site=\"%s\",sensor=\"%s\"} %lld\n",
		            v->s[i].site, v->s[i].sensor, (long long)v->s[i].last_contact);
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		prom_head(b, m[k].name, m[k].type, m[k].help);
		for (size_t i = 0; i < v->n; i++) {
			uint64_t x;
			memcpy(&x, (const char *)&v->s[i].c + m[k].off, sizeof(x));
			pd_buf_addf(b, "%s{site=\"%s\",sensor=\"%s\"} %llu\n", m[k].name, v->s[i].site,
			            v->s[i].sensor, (unsigned long long)x);
		}
	}
	prom_head(b, "almanac_sensor_malformed_by_reason_total", "counter",
	          "Malformed packets and messages by the sensor's reason.");
	for (size_t i = 0; i < v->n; i++)
		for (unsigned r = 0; r < v->s[i].nmalformed_by; r++)
			pd_buf_addf(b, "almanac_sensor_malformed_by_reason_total{site=\"%s\",sensor=\"%s\","
			            "reason=\"%s\"} %llu\n", v->s[i].site, v->s[i].sensor,
			            v->s[i].malformed_by[r].name,
			            (unsigned long long)v->s[i].malformed_by[r].n);
	prom_head(b, "almanac_sensor_clock_skew_seconds", "gauge",
	            "Sensor clock minus aggregator clock at the last heartbeat.");
	for (size_t i = 0; i < v->n; i++)
		if (v->s[i].have_skew)
			pd_buf_addf(b, "almanac_sensor_clock_skew_seconds{site=\"%s\",sensor=\"%s\"} %lld\n",
			            v->s[i].site, v->s[i].sensor, (long long)v->s[i].skew_s);
}

int health_metrics(struct health *h, struct pd_buf *b, int64_t now)
{
	struct health_view *v = health_snapshot(h, now);
	if (!v)
		return -12;
	site_metrics(b, v);
	sensor_metrics(b, v);
	health_view_free(v);
	return 0;
}

static void html_text(struct pd_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': pd_buf_adds(b, "&lt;"); break;
		case '>': pd_buf_adds(b, "&gt;"); break;
		case '&': pd_buf_adds(b, "&amp;"); break;
		case '"': pd_buf_adds(b, "&quot;"); break;
		default: pd_buf_addc(b, *s);
		}
	}
}

static void html_ago(struct pd_buf *b, int64_t now, int64_t t)
{
	int64_t d = now > t ? now - t : 0;
	if (d < 120)
		pd_buf_addf(b, "%llds ago", (long long)d);
	else if (d < 7200)
		pd_buf_addf(b, "%lldm ago", (long long)(d / 60));
	else
		pd_buf_addf(b, "%lldh ago", (long long)(d / 3600));
}

static void html_bytes(struct pd_buf *b, uint64_t n)
{
	if (n < 10240)
		pd_buf_addf(b, "%llu B", (unsigned long long)n);
	else if (n < 10u << 20)
		pd_buf_addf(b, "%.0f KiB", (double)n / 1024);
	else
		pd_buf_addf(b, "%.0f MiB", (double)n / 1048576);
}

/* A sparkline of packets/s over the last 6 hours, as inline SVG. */
/* Packets/s of the last 6 hours, one bar a minute (a lone minute shows
 * too), over a faint baseline; the peak in the label. */
static void html_chart(struct pd_buf *b, const struct hsite *site)
{
	double max = 0;
	for (unsigned i = 0; i < site->nhist; i++)
		if (site->hist[i].t && site->hist[i].pps > max)
			max = site->hist[i].pps;
	pd_buf_addf(b, "<svg class=\"spark\" viewBox=\"0 0 %u 40\" preserveAspectRatio=\"none\" "
	            "role=\"img\" aria-label=\"packets per second, last 6 hours, peak %.0f\">"
	            "<title>packets/s, last 6 hours (peak %.0f)</title>"
	            "<path d=\"M0,39.5H%u\" stroke=\"#ccc\" stroke-width=\"1\" "
	            "vector-effect=\"non-scaling-stroke\"/><path fill=\"currentColor\" d=\"",
	            HEALTH_HISTORY, max, max, HEALTH_HISTORY);
	for (unsigned i = 0; i < site->nhist; i++) {
		if (!site->hist[i].t)
			continue;
		/* At least 2 units high, so a quiet minute with data still shows. */
		double h = max > 0 ? 2 + 36 * site->hist[i].pps / max : 2;
		pd_buf_addf(b, "M%u,39V%.1fh1.6V39z", i, 39 - h);
	}
	pd_buf_adds(b, "\"/></svg>");
}

static const char page_head[] =
	"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	"<meta http-equiv=\"refresh\" content=\"15\"><title>Almanac sites</title><style>"
	"body{font:15px/1.4 system-ui,sans-serif;margin:1rem;color:#222;background:#fafafa}"
	"h1{font-size:1.3rem;margin:0 0 .2rem}p.meta{color:#666;margin:0 0 1rem}"
	"table{border-collapse:collapse;width:100%;background:#fff}"
	"th,td{padding:.45rem .6rem;border-bottom:1px solid #e3e3e3;text-align:left;vertical-align:top}"
	"th{font-size:.8rem;text-transform:uppercase;color:#555}td.num{text-align:right;white-space:nowrap}"
	".st{display:inline-block;min-width:5.5em;padding:.1rem .5rem;border-radius:1rem;color:#fff;"
	"font-weight:600;text-align:center}"
	".ok{background:#2e7d32}.degraded{background:#b26a00}.stale{background:#d84315}"
	".down{background:#b71c1c}svg.spark{width:180px;height:40px;color:#1565c0}"
	"details{margin-top:.3rem;font-size:.85rem;color:#444}"
	"@media (max-width:700px){table,thead,tbody,tr,td{display:block}thead{display:none}"
	"tr{margin-bottom:.8rem;border:1px solid #ddd;background:#fff}td{border:0;padding:.2rem .6rem}"
	"td.num{text-align:left}td[data-l]::before{content:attr(data-l) \": \";color:#777}"
	"svg.spark{width:100%}}</style></head><body>";

static void html_sensors(struct pd_buf *b, const struct health_view *v, size_t k, unsigned n)
{
	pd_buf_addf(b, "<details><summary>%u sensor%s</summary><ul>", n, n == 1 ? "" : "s");
	for (unsigned j = 0; j < n; j++) {
		const struct hsensor *s = &v->s[k + j];
		pd_buf_adds(b, "<li class=\"sensor\" data-sensor=\"");
		html_text(b, s->sensor);
		pd_buf_addf(b, "\" data-status=\"%s\"><b>", health_status_name(s->status));
		html_text(b, s->sensor);
		pd_buf_addf(b, "</b> %s: ", health_status_name(s->status));
		html_text(b, s->reason);
		pd_buf_adds(b, " (");
		html_text(b, s->capture[0] ? s->capture : "capture unknown");
		pd_buf_adds(b, ", ");
		html_ago(b, v->now, s->last_contact);
		pd_buf_adds(b, ")</li>");
	}
	pd_buf_adds(b, "</ul></details>");
}

int health_page(struct health *h, struct pd_buf *b, int64_t now)
{
	struct health_view *v = health_snapshot(h, now);
	if (!v)
		return -12;
	char when[32];
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	pd_buf_adds(b, page_head);
	pd_buf_addf(b, "<h1>Almanac: sites</h1><p class=\"meta\">%zu sites, updated %s, "
	            "refreshes every 15 s</p>", v->nsites, when);
	pd_buf_adds(b, "<table><thead><tr><th>Site</th><th>Status</th><th>Reason</th>"
	               "<th>Last contact</th><th>Packets/s</th><th>Drop</th><th>Spool</th>"
	               "<th>Obs/s</th><th>Packets/s, 6 h</th></tr></thead><tbody>");
	size_t k = 0;
	for (size_t i = 0; i < v->nsites; i++) {
		const struct hsite *s = &v->sites[i];
		const char *st = health_status_name(s->status);
		pd_buf_adds(b, "<tr class=\"site\" data-site=\"");
		html_text(b, s->site);
		pd_buf_addf(b, "\" data-status=\"%s\"><td data-l=\"Site\"><b>", st);
		html_text(b, s->site);
		pd_buf_addf(b, "</b></td><td data-l=\"Status\"><span class=\"st %s\">%s</span></td>"
		            "<td data-l=\"Reason\">", st, st);
		html_text(b, s->reason);
		html_sensors(b, v, k, s->nsensors);
		k += s->nsensors;
		pd_buf_adds(b, "</td><td data-l=\"Last contact\">");
		html_ago(b, now, s->last_contact);
		pd_buf_addf(b, "</td><td class=\"num\" data-l=\"Packets/s\">%.0f</td>"
		            "<td class=\"num\" data-l=\"Drop\">%.2f%%</td><td class=\"num\" "
		            "data-l=\"Spool\">", s->pps, s->drop_pct);
		html_bytes(b, s->spool_bytes);
		pd_buf_addf(b, "</td><td class=\"num\" data-l=\"Obs/s\">%.0f</td><td>", s->obs_s);
		html_chart(b, s);
		pd_buf_adds(b, "</td></tr>");
	}
	if (!v->nsites)
		pd_buf_adds(b, "<tr><td colspan=\"9\">No sensor has reported yet.</td></tr>");
	int rc = pd_buf_adds(b, "</tbody></table></body></html>\n");
	health_view_free(v);
	return rc;
}
