/*
 * pcapread: a reader for classic pcap files, in large read(2) chunks.
 *
 * libpcap reads a file with two stdio calls and an extra copy per packet,
 * which costs as much as the rest of the sensor's file path. For regular
 * files in the classic format (either byte order, micro- or nanosecond
 * stamps) with a link type the sensor decodes, this reader fills a 1 MiB
 * buffer at a time and hands out frames in place. Everything else (pcapng,
 * pipes, other link types, FCS annotations) goes through libpcap.
 * Record headers are checked against what was read: a record that runs
 * past the end of the file ends the walk, as libpcap's "truncated dump
 * file" does. Not thread-safe: one reader.
 */
#ifndef SENSOR_PCAPREAD_H
#define SENSOR_PCAPREAD_H

#include <stddef.h>
#include <stdint.h>
#include <pcap/pcap.h>

struct pcapread {
	int fd;
	uint8_t *buf;
	size_t start, end; /* unread bytes are buf[start..end) */
	int swapped, nsec;
	int dlt;
	uint32_t snaplen;
	int eof;
	int truncated; /* the file ended inside a record */
	int err;       /* -errno of a failed read */
};


/*
 * Reads the file header from fd (at offset 0). Returns 0 when this reader
 * takes the file, 1 when it does not (fd is rewound for libpcap), or -errno.
 * On 0 the reader owns fd.
 */
int pcapread_open(struct pcapread *r, int fd);
void pcapread_close(struct pcapread *r);

/*
 * The next record: fills h (timestamp in microseconds) and returns its bytes,
 * valid until the next call; NULL at the end (see truncated and err).
 */
const uint8_t *pcapread_next(struct pcapread *r, struct pcap_pkthdr *h);

#endif
