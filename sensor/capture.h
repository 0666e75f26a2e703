/*
 * capture: libpcap input, from a file (pcap or pcapng) or a live interface.
 *
 * Live captures use snaplen 65535, a settable kernel buffer, optional
 * promiscuous mode and a BPF filter that by default passes the DNS ports
 * (also inside one VLAN tag) and every non-first IP fragment, whose ports
 * are not visible. Files are read unfiltered unless a filter is given: the
 * decoder rejects non-DNS frames faster than BPF would.
 */
#ifndef SENSOR_CAPTURE_H
#define SENSOR_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <pcap/pcap.h>

struct capture_opts {
	const char *file;   /* -r; "-" for stdin */
	const char *iface;  /* -i */
	const char *filter; /* NULL: the default (live) or none (file) */
	const uint16_t *ports;
	size_t nports;
	int promisc;
	uint64_t buffer_bytes;
	int use_pcapread; /* classic pcap files through pcapread.c */
};

struct capture;

typedef void (*capture_fn)(void *ctx, const struct pcap_pkthdr *h, const uint8_t *frame);

/* Opens the source. On failure returns NULL with a message in err. */
struct capture *capture_open(const struct capture_opts *o, char *err, size_t errlen);
void capture_close(struct capture *c);

int capture_dlt(const struct capture *c);
int capture_is_live(const struct capture *c);
const char *capture_source(const struct capture *c);

/*
 * Delivers up to max frames. For live captures waits at most wait_ms for
 * the first one. Returns the number delivered (0: nothing yet), PD_ENOTFOUND
 * at the end of a file, or another negative code on a capture error (text in
 * err).
 */
int capture_next(struct capture *c, int max, int wait_ms, capture_fn fn, void *ctx,
                 char *err, size_t errlen);

/* libpcap's drop counters (live only; zeroes for files). */
void capture_drops(struct capture *c, uint64_t *drop, uint64_t *ifdrop);

/* The filter the live capture uses by default for these ports. */
int capture_default_filter(const uint16_t *ports, size_t nports, char *out, size_t cap);

#endif
