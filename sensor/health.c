#include "health.h"

#include <string.h>
#include <time.h>

#ifndef ALMANAC_VERSION
#define ALMANAC_VERSION "0.1.0"
#endif

static uint64_t hstat(const struct health_src *h, enum sensor_stat i)
{
	return stat_get(h->st, i);
}

int health_add(const struct health_src *h, struct pd_batch_enc *e)
{
	uint64_t malformed = 0, bytes = 0, batches = 0, oldest_seq;
	int64_t created = 0, now = (int64_t)time(NULL);
	for (int i = ST_malformed_link; i <= ST_malformed_dns_other; i++)
		malformed += hstat(h, (enum sensor_stat)i);
	spool_depth(h->spool, &bytes, &batches);
	int have_oldest = spool_oldest(h->spool, &oldest_seq, &created) == 0;
	const struct { const char *key; uint64_t v; } u[] = {
		{ "uptime_s", (uint64_t)(now - h->started_s) },
		{ "packets_seen", hstat(h, ST_packets_seen) },
		{ "pcap_drop", hstat(h, ST_pcap_drop) },
		{ "pcap_ifdrop", hstat(h, ST_pcap_ifdrop) },
		{ "dns_messages", hstat(h, ST_dns_queries) + hstat(h, ST_dns_responses) },
		{ "dns_responses", hstat(h, ST_dns_responses) },
		{ "malformed", malformed },
		{ "reassembly_evicted", hstat(h, ST_frag_evicted) + hstat(h, ST_frag_timeout) +
		                        hstat(h, ST_tcp_streams_evicted) + hstat(h, ST_tcp_ooo_dropped) },
		{ "observations_emitted", hstat(h, ST_observations_emitted) +
		                          hstat(h, ST_negative_emitted) },
		{ "batches_sent", hstat(h, ST_batches_sent) },
		{ "batches_acked", hstat(h, ST_batches_acked) },
		{ "batches_dropped", hstat(h, ST_spool_dropped_batches) + hstat(h, ST_batches_lost) },
		{ "observations_dropped", hstat(h, ST_spool_dropped_observations) +
		                          hstat(h, ST_observations_lost) },
		{ "spool_bytes", bytes },
		{ "spool_batches", batches },
		{ "spool_oldest_age_s", have_oldest && now > created ? (uint64_t)(now - created) : 0 },
	};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < sizeof(u) / sizeof(u[0]); i++)
		rc = pd_batch_enc_health_u64(e, u[i].key, u[i].v);
	/* Malformed by reason: the stat names ("malformed_dns_label", ...). */
	for (int i = ST_malformed_link; rc == 0 && i <= ST_malformed_dns_other; i++)
		rc = pd_batch_enc_health_u64(e, sensor_stat_names[i], hstat(h, (enum sensor_stat)i));
	if (rc == 0)
		rc = pd_batch_enc_health_str(e, "version", ALMANAC_VERSION, strlen(ALMANAC_VERSION));
	if (rc == 0)
		rc = pd_batch_enc_health_str(e, "capture", h->source, strlen(h->source));
	const char *state = h->capture_ok ? "ok" : "error";
	if (rc == 0)
		rc = pd_batch_enc_health_str(e, "capture_state", state, strlen(state));
	return rc;
}
