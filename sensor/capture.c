#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pcapread.h"
#include "pd_err.h"

struct capture {
	pcap_t *p;
	int live, fd;
	char source[256];
	/* libpcap's counters are 32-bit and wrap; keep 64-bit totals. */
	uint32_t last_drop, last_ifdrop;
	uint64_t drop, ifdrop;
	char *iobuf; /* stdio buffer of a file capture */
	struct pcapread pr;
	int use_pr;
};

#define CAPTURE_FILE_BUF (1u << 20)

int capture_default_filter(const uint16_t *ports, size_t nports, char *out, size_t cap)
{
	char ports_expr[512];
	size_t n = 0;
	for (size_t i = 0; i < nports; i++) {
		int w = snprintf(ports_expr + n, sizeof(ports_expr) - n, "%sport %u",
		                 i ? " or " : "", ports[i]);
		if (w < 0 || (size_t)w >= sizeof(ports_expr) - n)
			return PD_ESPACE;
		n += (size_t)w;
	}
	/* Non-first fragments carry no ports; IPv6 fragments are caught when
	 * the fragment header follows the fixed header (the common case). */
	const char *frag = "(ip[6:2] & 0x1fff != 0) or (ip6[6] = 44)";
	int w = snprintf(out, cap, "((udp or tcp) and (%s)) or %s or (vlan and (((udp or tcp) and (%s)) or %s))",
	                 ports_expr, frag, ports_expr, frag);
	return w < 0 || (size_t)w >= cap ? PD_ESPACE : 0;
}

static int capture_filter(struct capture *c, const char *expr, char *err, size_t errlen)
{
	struct bpf_program prog;
	if (pcap_compile(c->p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "bad filter '%s': %s", expr, pcap_geterr(c->p));
		return PD_ECONFIG;
	}
	int rc = pcap_setfilter(c->p, &prog);
	pcap_freecode(&prog);
	if (rc < 0) {
		snprintf(err, errlen, "cannot set filter: %s", pcap_geterr(c->p));
		return PD_ECONFIG;
	}
	return 0;
}

static int capture_open_live(struct capture *c, const struct capture_opts *o, char *err,
                             size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	c->p = pcap_create(o->iface, ebuf);
	if (!c->p) {
		snprintf(err, errlen, "%s: %s", o->iface, ebuf);
		return PD_ECONFIG;
	}
	pcap_set_snaplen(c->p, 65535);
	pcap_set_promisc(c->p, o->promisc);
	pcap_set_timeout(c->p, 100);
	if (o->buffer_bytes)
		pcap_set_buffer_size(c->p, o->buffer_bytes > INT32_MAX ? INT32_MAX : (int)o->buffer_bytes);
	int rc = pcap_activate(c->p);
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", o->iface,
		         rc == PCAP_ERROR ? pcap_geterr(c->p) : pcap_statustostr(rc));
		return PD_ECONFIG;
	}
	char def[2048];
	const char *expr = o->filter;
	if (!expr) {
		if (capture_default_filter(o->ports, o->nports, def, sizeof(def)) < 0) {
			snprintf(err, errlen, "too many ports for the default filter");
			return PD_ECONFIG;
		}
		expr = def;
	}
	if (capture_filter(c, expr, err, errlen) < 0)
		return PD_ECONFIG;
	if (pcap_setnonblock(c->p, 1, ebuf) < 0) {
		snprintf(err, errlen, "%s: %s", o->iface, ebuf);
		return PD_ECONFIG;
	}
	c->fd = pcap_get_selectable_fd(c->p);
	c->live = 1;
	return 0;
}

/*
 * Classic pcap in a regular file goes through pcapread (large reads, no
 * per-packet copy). Anything else goes to libpcap through a FILE with a
 * 1 MiB buffer and no per-call locking (this thread is the only reader).
 */
static int capture_open_file(struct capture *c, const char *path, int use_pcapread,
                             char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	int is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return PD_ECONFIG;
	}
	if (use_pcapread && S_ISREG(st.st_mode)) {
		int rc = pcapread_open(&c->pr, fd);
		if (rc == 0) {
			c->use_pr = 1;
			return 0;
		}
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			close(fd);
			return PD_ECONFIG;
		}
	}
	FILE *f = is_stdin ? stdin : fdopen(fd, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return PD_ECONFIG;
	}
	c->iobuf = malloc(CAPTURE_FILE_BUF);
	if (c->iobuf)
		setvbuf(f, c->iobuf, _IOFBF, CAPTURE_FILE_BUF);
	__fsetlocking(f, FSETLOCKING_BYCALLER);
	c->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!c->p) {
		snprintf(err, errlen, "%s: %s", path, ebuf);
		if (!is_stdin)
			fclose(f);
		return PD_ECONFIG;
	}
	return 0;
}

struct capture *capture_open(const struct capture_opts *o, char *err, size_t errlen)
{
	struct capture *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->fd = -1;
	int rc = 0;
	if (o->iface) {
		snprintf(c->source, sizeof(c->source), "interface %s", o->iface);
		rc = capture_open_live(c, o, err, errlen);
	} else {
		snprintf(c->source, sizeof(c->source), "file %s", o->file);
		rc = capture_open_file(c, o->file, o->use_pcapread && !o->filter, err, errlen);
		if (rc == 0 && o->filter) {
			rc = capture_filter(c, o->filter, err, errlen);
		}
	}
	if (rc < 0) {
		capture_close(c);
		return NULL;
	}
	return c;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p); /* closes the FILE too */
	if (c->use_pr)
		pcapread_close(&c->pr);
	free(c->iobuf);
	free(c);
}

int capture_dlt(const struct capture *c)
{
	return c->use_pr ? c->pr.dlt : pcap_datalink(c->p);
}

static int capture_next_pr(struct capture *c, int max, capture_fn fn, void *ctx, char *err,
                           size_t errlen)
{
	struct pcap_pkthdr h;
	const uint8_t *data;
	int n = 0;
	while (n < max && (data = pcapread_next(&c->pr, &h)) != NULL) {
		fn(ctx, &h, data);
		n++;
	}
	if (n > 0)
		return n;
	if (c->pr.err) {
		snprintf(err, errlen, "%s: %s", c->source, strerror(-c->pr.err));
		return c->pr.err;
	}
	if (c->pr.truncated) {
		c->pr.truncated = 0;
		snprintf(err, errlen, "%s: truncated dump file: the last record is cut short",
		         c->source);
		return PD_ETRUNC;
	}
	return PD_ENOTFOUND;
}

int capture_is_live(const struct capture *c)
{
	return c->live;
}

const char *capture_source(const struct capture *c)
{
	return c->source;
}

struct capture_cb {
	capture_fn fn;
	void *ctx;
};

static void capture_trampoline(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct capture_cb *cb = (struct capture_cb *)(void *)user;
	cb->fn(cb->ctx, h, bytes);
}

int capture_next(struct capture *c, int max, int wait_ms, capture_fn fn, void *ctx,
                 char *err, size_t errlen)
{
	struct capture_cb cb = { fn, ctx };
	if (c->use_pr)
		return capture_next_pr(c, max, fn, ctx, err, errlen);
	if (c->live && c->fd >= 0) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&pfd, 1, wait_ms);
		if (pr < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -errno;
		}
	}
	int n = pcap_dispatch(c->p, max, capture_trampoline, (u_char *)&cb);
	if (n == PCAP_ERROR) {
		snprintf(err, errlen, "%s: %s", c->source, pcap_geterr(c->p));
		return PD_ENET;
	}
	if (n == PCAP_ERROR_BREAK)
		return 0;
	if (n == 0 && !c->live)
		return PD_ENOTFOUND;
	return n;
}

void capture_drops(struct capture *c, uint64_t *drop, uint64_t *ifdrop)
{
	struct pcap_stat ps;
	if (c->live && pcap_stats(c->p, &ps) == 0) {
		c->drop += (uint32_t)(ps.ps_drop - c->last_drop);
		c->ifdrop += (uint32_t)(ps.ps_ifdrop - c->last_ifdrop);
		c->last_drop = ps.ps_drop;
		c->last_ifdrop = ps.ps_ifdrop;
	}
	*drop = c->drop;
	*ifdrop = c->ifdrop;
}
