/*
 * The floor for file-mode speed: read a capture with libpcap and touch each
 * packet's length, nothing else. make bench reports the sensor against it.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	uint64_t *sum = (uint64_t *)(void *)user;
	*sum += h->caplen + bytes[0];
}

int main(int argc, char **argv)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	if (argc != 2) {
		fprintf(stderr, "usage: pcap_floor FILE\n");
		return 2;
	}
	pcap_t *p = pcap_open_offline(argv[1], ebuf);
	if (!p) {
		fprintf(stderr, "pcap_floor: %s\n", ebuf);
		return 1;
	}
	uint64_t sum = 0;
	int n;
	while ((n = pcap_dispatch(p, 4096, on_packet, (u_char *)&sum)) > 0)
		;
	pcap_close(p);
	printf("%llu\n", (unsigned long long)sum);
	return n < 0;
}
