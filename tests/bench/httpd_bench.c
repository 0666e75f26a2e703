/*
 * httpd_bench: the query API's transport alone.
 *
 *   httpd_bench [SECONDS [CONNS]]        (defaults 5 and 32)
 *
 * "parse": a typical DNSDB request head through httpq (head end, request
 * line and fields, target split and decoded), in ns per request.
 * "serve": an in-process httpd on 127.0.0.1 whose handler answers a 2-byte
 * body, driven by CONNS keep-alive client threads (blocking sockets, one
 * request in flight each) for SECONDS: requests/s and latency percentiles.
 * A response written in two sends would show as a p50 near 40 ms (the
 * client's delayed ACK); here every response is one send.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"
#include "httpq.h"

#define LAT_MAX (1u << 22) /* latency samples kept per thread */

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char REQ[] =
	"GET /dnsdb/v2/lookup/rrset/name/%2A.example.com./A?limit=100&time_last_after=-86400"
	"&humantime=true HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: dnsdbq/2.6.4\r\n"
	"Accept: application/x-ndjson\r\nX-API-Key: 0123456789abcdef0123456789abcdef\r\n\r\n";

static void bench_parse(void)
{
	static struct httpq_target t;
	char buf[sizeof(REQ)];
	const unsigned n = 2000000;
	unsigned ok = 0;
	double t0 = now_s();
	for (unsigned i = 0; i < n; i++) {
		struct httpq_scan st = { 0, 0 };
		struct httpq_head h;
		size_t hl;
		const char *why;
		memcpy(buf, REQ, sizeof(REQ));
		if (httpq_head_len(buf, sizeof(REQ) - 1, &st, &hl) == 1 &&
		    httpq_parse_head(buf, hl, &h, &why) == 0 &&
		    httpq_parse_target(&t, h.target, h.target_len, &why) == 0 &&
		    httpq_head_get(&h, "X-API-Key"))
			ok++;
	}
	double dt = now_s() - t0;
	printf("parse: %.0f ns/request (%u of %u parsed, %zu-byte head)\n", dt * 1e9 / n, ok, n,
	       sizeof(REQ) - 1);
}

static void handle(void *ctx, const struct httpd_req *q, struct httpd_resp *r)
{
	(void)ctx;
	(void)q;
	r->content_type = "text/plain";
	pd_buf_adds(&r->body, "ok");
}

struct client {
	int port;
	double until;
	unsigned n;
	float *lat; /* seconds */
	int failed;
};

/* Reads one response (headers and Content-Length body) from fd. */
static int read_response(int fd, char *buf, size_t cap)
{
	size_t have = 0;
	for (;;) {
		ssize_t r = read(fd, buf + have, cap - have - 1);
		if (r <= 0)
			return -1;
		have += (size_t)r;
		buf[have] = 0;
		char *end = strstr(buf, "\r\n\r\n");
		char *cl = strstr(buf, "Content-Length: ");
		if (end && cl && have >= (size_t)(end + 4 - buf) + (size_t)atol(cl + 16))
			return 0;
		if (have + 1 >= cap)
			return -1;
	}
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)c->port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		c->failed = 1;
		return NULL;
	}
	static const char req[] = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[4096];
	while (c->n < LAT_MAX) {
		double t0 = now_s();
		if (t0 > c->until)
			break;
		if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1 ||
		    read_response(fd, buf, sizeof(buf)) < 0) {
			c->failed = 1;
			break;
		}
		c->lat[c->n++] = (float)(now_s() - t0);
	}
	close(fd);
	return NULL;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

static int bench_serve(double seconds, unsigned conns)
{
	struct httpd_opts o = { .listen = "127.0.0.1:0", .max_connections = conns + 16 };
	struct httpd *h;
	char err[256];
	if (httpd_start(&h, &o, handle, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "httpd_bench: %s\n", err);
		return 1;
	}
	struct client *cl = calloc(conns, sizeof(*cl));
	pthread_t *t = calloc(conns, sizeof(*t));
	double t0 = now_s();
	for (unsigned i = 0; i < conns; i++) {
		cl[i] = (struct client){ .port = httpd_port(h), .until = t0 + seconds,
			.lat = malloc(LAT_MAX * sizeof(float)) };
		pthread_create(&t[i], NULL, client_main, &cl[i]);
	}
	size_t total = 0;
	int failed = 0;
	for (unsigned i = 0; i < conns; i++) {
		pthread_join(t[i], NULL);
		total += cl[i].n;
		failed |= cl[i].failed;
	}
	double dt = now_s() - t0;
	float *all = malloc((total ? total : 1) * sizeof(float));
	size_t k = 0;
	for (unsigned i = 0; i < conns; i++) {
		memcpy(all + k, cl[i].lat, cl[i].n * sizeof(float));
		k += cl[i].n;
		free(cl[i].lat);
	}
	qsort(all, total, sizeof(float), cmp_float);
	struct httpd_stats st;
	httpd_stats(h, &st);
	httpd_stop(h);
	if (failed || !total) {
		fprintf(stderr, "httpd_bench: a client failed\n");
		return 1;
	}
	printf("serve: %u connections, %.0f requests/s, latency p50 %.3f ms, p99 %.3f ms, "
	       "max %.3f ms (%zu requests, %llu answered by the server)\n", conns,
	       (double)total / dt, all[total / 2] * 1e3, all[total * 99 / 100] * 1e3,
	       all[total - 1] * 1e3, total, (unsigned long long)st.requests);
	free(all);
	free(cl);
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 5;
	unsigned conns = argc > 2 ? (unsigned)atoi(argv[2]) : 32;
	bench_parse();
	return bench_serve(seconds, conns);
}
