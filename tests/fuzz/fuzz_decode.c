/*
 * Fuzz target: a whole capture file (pcap or pcapng, read by libpcap from
 * memory) through the sensor's decode path: link layer, IP, fragments, TCP
 * streams, DNS, folding and COF output. Caps are small so eviction paths
 * run too.
 */
#define _GNU_SOURCE /* fmemopen */
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decode.h"
#include "dnsobs.h"
#include "fold.h"
#include "link.h"
#include "pd_buf.h"
#include "pd_cof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct run {
	struct fold *fold;
	struct pd_buf line;
};

static void sink(void *ctx, const struct pd_obs *o)
{
	struct run *r = ctx;
	pd_buf_reset(&r->line);
	pd_cof_begin(&r->line, o, 0);
}

static void full(void *ctx)
{
	struct run *r = ctx;
	fold_flush(r->fold, sink, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	FILE *f = fmemopen((void *)(uintptr_t)data, size, "rb");
	if (!f)
		return 0;
	pcap_t *p = pcap_fopen_offline(f, ebuf); /* takes f */
	if (!p)
		return 0;
	static const uint16_t ports[] = { 53, 5353 };
	struct decode_limits lim = { .frag_datagrams = 4, .frag_bytes = 16384,
		.frag_timeout_s = 5, .tcp_streams = 4, .tcp_bytes = 65536, .tcp_timeout_s = 5 };
	struct sensor_stats st = { 0 };
	struct run r;
	pd_buf_init(&r.line, 1u << 24);
	r.fold = fold_new(64, 8192, 3);
	struct dnsobs *obs = dnsobs_new(r.fold, DNSOBS_ANSWER | DNSOBS_AUTHORITY, &st, full, &r);
	struct decode *d = NULL;
	if (obs && link_supported(pcap_datalink(p)))
		d = decode_new(pcap_datalink(p), ports, 2, &lim, 9, obs, &st);
	struct pcap_pkthdr *h;
	const u_char *pkt;
	while (d && pcap_next_ex(p, &h, &pkt) == 1)
		decode_frame(d, pkt, h->caplen, h->len, (int64_t)h->ts.tv_sec);
	if (obs)
		dnsobs_drain(obs);
	if (r.fold)
		fold_flush(r.fold, sink, &r);
	decode_free(d);
	dnsobs_free(obs);
	fold_free(r.fold);
	pd_buf_fini(&r.line);
	pcap_close(p);
	return 0;
}
