#include "pcapread.h"

#include <errno.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link.h"

#define MAGIC_USEC 0xa1b2c3d4u
#define MAGIC_NSEC 0xa1b23c4du
#define LINKTYPE_RAW 101
#define PCAPREAD_MAX_CAPLEN (256u * 1024u) /* libpcap's own bound */
#define PCAPREAD_BUF (1u << 20)
#define PCAPREAD_CHUNK 262144

static uint32_t rd32(const uint8_t *p, int swapped)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

/* LINKTYPE_ numbers equal DLT_ numbers for the types the sensor decodes,
 * except raw IP; 12 and 14 mean different things on different systems
 * and, like unknown types and FCS bits (> 0xffff), are left to libpcap. */
static int pcapread_dlt(uint32_t linktype)
{
	if (linktype == LINKTYPE_RAW)
		return DLT_RAW;
	if (linktype == 12 || linktype == 14 || linktype > 0xffff)
		return -1;
	return link_supported((int)linktype) ? (int)linktype : -1;
}

static ssize_t read_full(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(fd, p + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

int pcapread_open(struct pcapread *r, int fd)
{
	uint8_t h[24];
	memset(r, 0, sizeof(*r));
	ssize_t n = read_full(fd, h, sizeof(h));
	if (n < 0)
		return (int)n;
	uint32_t magic = rd32(h, 0), major = 0;
	int ok = n == (ssize_t)sizeof(h);
	if (ok && (magic == MAGIC_USEC || magic == MAGIC_NSEC)) {
		r->swapped = 0;
	} else if (ok && (__builtin_bswap32(magic) == MAGIC_USEC ||
	                  __builtin_bswap32(magic) == MAGIC_NSEC)) {
		r->swapped = 1;
		magic = __builtin_bswap32(magic);
	} else {
		ok = 0;
	}
	if (ok) {
		major = r->swapped ? (uint32_t)(h[4] << 8 | h[5]) : (uint32_t)(h[5] << 8 | h[4]);
		r->nsec = magic == MAGIC_NSEC;
		r->snaplen = rd32(h + 16, r->swapped);
		r->dlt = pcapread_dlt(rd32(h + 20, r->swapped));
	}
	if (!ok || major != 2 || r->dlt < 0 || !(r->buf = malloc(PCAPREAD_BUF))) {
		if (lseek(fd, 0, SEEK_SET) < 0)
			return -errno;
		return 1;
	}
	r->fd = fd;
	return 0;
}

void pcapread_close(struct pcapread *r)
{
	free(r->buf);
	r->buf = NULL;
	if (r->fd > 2)
		close(r->fd);
}

/* Makes at least need bytes available from start; 0, or -1 at the end. */
static int pcapread_fill(struct pcapread *r, size_t need)
{
	while (r->end - r->start < need) {
		if (r->eof)
			return -1;
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->start = 0;
		}
		size_t want = PCAPREAD_BUF - r->end;
		if (want > PCAPREAD_CHUNK && r->end - r->start + PCAPREAD_CHUNK >= need)
			want = PCAPREAD_CHUNK;
		ssize_t k = read_full(r->fd, r->buf + r->end, want);
		if (k < 0) {
			r->err = (int)k;
			r->eof = 1;
			return -1;
		}
		if ((size_t)k < want)
			r->eof = 1;
		r->end += (size_t)k;
	}
	return 0;
}

const uint8_t *pcapread_next(struct pcapread *r, struct pcap_pkthdr *hdr)
{
	if (pcapread_fill(r, 16) < 0) {
		r->truncated = r->end > r->start;
		return NULL;
	}
	const uint8_t *h = r->buf + r->start;
	uint32_t caplen = rd32(h + 8, r->swapped);
	if (caplen > PCAPREAD_MAX_CAPLEN || pcapread_fill(r, 16 + (size_t)caplen) < 0) {
		r->truncated = 1;
		return NULL;
	}
	h = r->buf + r->start; /* the fill may have moved it */
	uint32_t frac = rd32(h + 4, r->swapped);
	hdr->ts.tv_sec = (time_t)rd32(h, r->swapped);
	hdr->ts.tv_usec = (suseconds_t)(r->nsec ? frac / 1000 : frac);
	/* As libpcap: a record longer than the file's snapshot length shows
	 * only the snapshot length (and then counts as a short capture). */
	hdr->caplen = r->snaplen && caplen > r->snaplen ? r->snaplen : caplen;
	hdr->len = rd32(h + 12, r->swapped);
	r->start += 16 + (size_t)caplen;
	return h + 16;
}
