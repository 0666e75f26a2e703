/*
 * query_bench: an HTTP load client for the query API.
 *
 *   query_bench HOST:PORT PATHS CONNS SECONDS
 *
 * PATHS is a file of request paths, one per line. CONNS client threads
 * each open one keep-alive connection (blocking socket, TCP_NODELAY) and
 * keep one GET in flight, reading each response by its Content-Length;
 * thread k starts at path k*N/CONNS of the N paths and cycles through
 * them. The clock starts when every connection is up and stops at SECONDS
 * (a request under way then is finished and counted). Prints one line:
 *
 *   requests=R seconds=S rps=.. p50_ms=.. p90_ms=.. p99_ms=.. p999_ms=..
 *   max_ms=.. non200=.. errors=.. bytes=.. lines=..
 *
 * bytes: response bodies; lines: newlines in them (results, for the
 * ndjson answers); errors: connections lost (each one reconnects).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 16384
#define IOBUF (256u * 1024u)

struct req {
	char *text;
	size_t len;
};

struct run {
	struct sockaddr_in addr;
	struct req *reqs;
	size_t nreqs;
	unsigned conns;
	double seconds, t0;
	pthread_barrier_t ready, start; /* all connected; the clock started */
};

struct client {
	struct run *run;
	size_t first;
	float *lat; /* seconds */
	size_t n, cap;
	uint64_t non200, errors, bytes, lines;
	int failed;
};

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int dial(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static uint64_t count_nl(const char *p, size_t len)
{
	uint64_t n = 0;
	const char *end = p + len;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* The status and Content-Length of a complete head; -1 if malformed. */
static int parse_head(const char *h, size_t hl, int *status, size_t *clen)
{
	if (hl < 12 || strncmp(h, "HTTP/1.", 7) != 0)
		return -1;
	*status = atoi(h + 9);
	const char *p = h, *end = h + hl;
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if (end - p > 15 && !strncasecmp(p, "Content-Length:", 15)) {
			*clen = (size_t)strtoull(p + 15, NULL, 10);
			return 0;
		}
	}
	return -1;
}

/* Reads one response; the body is counted, not kept. 0 or -1. */
static int read_response(struct client *c, int fd, char *buf, int *status)
{
	size_t have = 0, hl = 0, clen = 0;
	for (;;) {
		ssize_t r = read(fd, buf + have, HEAD_MAX - have);
		if (r <= 0)
			return -1;
		size_t from = have > 3 ? have - 3 : 0;
		have += (size_t)r;
		for (size_t i = from; i + 4 <= have && !hl; i++)
			if (!memcmp(buf + i, "\r\n\r\n", 4))
				hl = i + 4;
		if (hl)
			break;
		if (have == HEAD_MAX)
			return -1;
	}
	if (parse_head(buf, hl, status, &clen) < 0 || have - hl > clen)
		return -1;
	size_t got = have - hl;
	c->lines += count_nl(buf + hl, got);
	while (got < clen) {
		size_t want = clen - got < IOBUF ? clen - got : IOBUF;
		ssize_t r = read(fd, buf, want);
		if (r <= 0)
			return -1;
		c->lines += count_nl(buf, (size_t)r);
		got += (size_t)r;
	}
	c->bytes += clen;
	return 0;
}

static int record(struct client *c, float v)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 65536;
		float *l = realloc(c->lat, cap * sizeof(*l));
		if (!l)
			return -1;
		c->lat = l;
		c->cap = cap;
	}
	c->lat[c->n++] = v;
	return 0;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	struct run *run = c->run;
	char *buf = malloc(IOBUF > HEAD_MAX ? IOBUF : HEAD_MAX);
	int fd = dial(&run->addr);
	if (fd < 0 || !buf)
		c->failed = 1;
	pthread_barrier_wait(&run->ready);
	pthread_barrier_wait(&run->start);
	size_t k = c->first;
	double until = run->t0 + run->seconds;
	while (!c->failed) {
		double t0 = now_s();
		if (t0 >= until)
			break;
		const struct req *q = &run->reqs[k];
		int status = 0;
		if (write_all(fd, q->text, q->len) < 0 || read_response(c, fd, buf, &status) < 0) {
			c->errors++;
			close(fd);
			if ((fd = dial(&run->addr)) < 0)
				c->failed = 1;
			continue;
		}
		if (record(c, (float)(now_s() - t0)) < 0)
			c->failed = 1;
		if (status != 200)
			c->non200++;
		if (++k == run->nreqs)
			k = 0;
	}
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static int load_paths(struct run *run, const char *path, const char *host)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char *line = NULL;
	size_t cap = 0, n = 0, max = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len)
			continue;
		if (n == max) {
			max = max ? max * 2 : 1024;
			struct req *r = realloc(run->reqs, max * sizeof(*r));
			if (!r)
				break;
			run->reqs = r;
		}
		size_t tl = (size_t)len + strlen(host) + 64;
		char *t = malloc(tl);
		if (!t)
			break;
		int w = snprintf(t, tl, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", line, host);
		run->reqs[n++] = (struct req){ t, (size_t)w };
	}
	free(line);
	fclose(f);
	run->nreqs = n;
	return n ? 0 : -1;
}

static int parse_addr(const char *hp, struct sockaddr_in *sa)
{
	char host[256];
	const char *colon = strrchr(hp, ':');
	if (!colon || (size_t)(colon - hp) >= sizeof(host))
		return -1;
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = 0;
	*sa = (struct sockaddr_in){ .sin_family = AF_INET,
		.sin_port = htons((uint16_t)atoi(colon + 1)) };
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static double pct(const float *v, size_t n, double p)
{
	size_t i = (size_t)((double)n * p);
	return (double)v[i < n ? i : n - 1] * 1e3;
}

int main(int argc, char **argv)
{
	struct run run = { 0 };
	if (argc != 5) {
		fprintf(stderr, "usage: query_bench HOST:PORT PATHS CONNS SECONDS\n");
		return 2;
	}
	run.conns = (unsigned)atoi(argv[3]);
	run.seconds = atof(argv[4]);
	if (parse_addr(argv[1], &run.addr) < 0 || run.conns == 0 || run.seconds <= 0) {
		fprintf(stderr, "query_bench: bad address, connection count or duration\n");
		return 2;
	}
	if (load_paths(&run, argv[2], argv[1]) < 0) {
		fprintf(stderr, "query_bench: no request paths in %s\n", argv[2]);
		return 2;
	}
	struct client *cl = calloc(run.conns, sizeof(*cl));
	pthread_t *t = calloc(run.conns, sizeof(*t));
	if (!cl || !t)
		return 1;
	pthread_barrier_init(&run.ready, NULL, run.conns + 1);
	pthread_barrier_init(&run.start, NULL, run.conns + 1);
	for (unsigned i = 0; i < run.conns; i++) {
		cl[i] = (struct client){ .run = &run, .first = (size_t)i * run.nreqs / run.conns };
		if (pthread_create(&t[i], NULL, client_main, &cl[i]) != 0)
			return 1;
	}
	pthread_barrier_wait(&run.ready);
	run.t0 = now_s();
	pthread_barrier_wait(&run.start);
	size_t total = 0;
	uint64_t non200 = 0, errors = 0, bytes = 0, lines = 0;
	int failed = 0;
	for (unsigned i = 0; i < run.conns; i++) {
		pthread_join(t[i], NULL);
		total += cl[i].n;
		non200 += cl[i].non200;
		errors += cl[i].errors;
		bytes += cl[i].bytes;
		lines += cl[i].lines;
		failed |= cl[i].failed;
	}
	double dt = now_s() - run.t0;
	if (failed || !total) {
		fprintf(stderr, "query_bench: %s\n", failed ? "cannot connect or out of memory"
		                                            : "no request completed");
		return 1;
	}
	float *all = malloc(total * sizeof(*all));
	if (!all)
		return 1;
	size_t k = 0;
	for (unsigned i = 0; i < run.conns; i++) {
		memcpy(all + k, cl[i].lat, cl[i].n * sizeof(float));
		k += cl[i].n;
		free(cl[i].lat);
	}
	qsort(all, total, sizeof(*all), cmp_float);
	printf("requests=%zu seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
	       "p999_ms=%.3f max_ms=%.3f non200=%llu errors=%llu bytes=%llu lines=%llu\n",
	       total, dt, (double)total / dt, pct(all, total, 0.5), pct(all, total, 0.9),
	       pct(all, total, 0.99), pct(all, total, 0.999), (double)all[total - 1] * 1e3,
	       (unsigned long long)non200, (unsigned long long)errors,
	       (unsigned long long)bytes, (unsigned long long)lines);
	free(all);
	free(cl);
	free(t);
	for (size_t i = 0; i < run.nreqs; i++)
		free(run.reqs[i].text);
	free(run.reqs);
	return 0;
}
