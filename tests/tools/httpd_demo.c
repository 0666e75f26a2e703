/*
 * httpd_demo: aggregator/httpd with a handler that echoes the parsed
 * request, for tests/integration/test_httpd.py and load measurements.
 *
 *   httpd_demo --listen HOST:PORT [--cert F --key F [--ca F [--crl F]]]
 *              [--api-keys F] [--workers N] [--queue N] [--max-conns N]
 *              [--idle-ms N] [--stop-ms N]
 *
 * Prints "port N" then "ready" on stdout once listening. SIGHUP reloads the
 * keys ("reloaded" or "reload failed: ..."), SIGUSR1 prints the counters
 * ("  name value" lines after "stats"), SIGTERM/SIGINT stop it (exit 0).
 *
 * Paths: /echo/... the request as JSON; /ping a 2-byte body; /sleep/MS
 * sleeps MS ms first; /big/N an N-byte body; /cursor sets
 * X-Almanac-Cursor; /dnsdb/v2/ping {"ping":"ok"}; /bad-status answers
 * status 99 (becomes 500); anything else 404 through httpd_resp_error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"
#include "pd_buf.h"
#include "pd_log.h"
#include "pd_proc.h"

static void add_str(struct pd_buf *b, const char *k, const char *v)
{
	pd_buf_addf(b, "\"%s\":", k);
	if (v)
		pd_buf_add_json_str(b, v, strlen(v));
	else
		pd_buf_adds(b, "null");
	pd_buf_addc(b, ',');
}

static void echo(const struct httpd_req *q, struct httpd_resp *r)
{
	struct pd_buf *b = &r->body;
	pd_buf_addc(b, '{');
	add_str(b, "method", q->method);
	add_str(b, "path", q->path);
	add_str(b, "query", q->query);
	add_str(b, "remote", q->remote);
	add_str(b, "key_name", q->key_name);
	add_str(b, "x_test", httpd_req_header(q, "X-Test"));
	add_str(b, "first_a", httpd_req_param(q, "a"));
	pd_buf_addf(b, "\"tls\":%s,\"tls_verified\":%s,\"seg\":[", q->tls ? "true" : "false",
	            q->tls_verified ? "true" : "false");
	for (unsigned i = 0; i < q->n_seg; i++) {
		if (i)
			pd_buf_addc(b, ',');
		pd_buf_add_json_str(b, q->seg[i].s, q->seg[i].len);
	}
	pd_buf_adds(b, "],\"param\":[");
	for (unsigned i = 0; i < q->n_param; i++) {
		if (i)
			pd_buf_addc(b, ',');
		pd_buf_addc(b, '[');
		pd_buf_add_json_str(b, q->param[i].key.s, q->param[i].key.len);
		pd_buf_addc(b, ',');
		pd_buf_add_json_str(b, q->param[i].val.s, q->param[i].val.len);
		pd_buf_addc(b, ']');
	}
	pd_buf_adds(b, "]}\n");
}

static int seg_is(const struct httpd_req *q, unsigned i, const char *s)
{
	return i < q->n_seg && strcmp(q->seg[i].s, s) == 0;
}

static void handle(void *ctx, const struct httpd_req *q, struct httpd_resp *r)
{
	(void)ctx;
	if (seg_is(q, 0, "echo")) {
		echo(q, r);
	} else if (seg_is(q, 0, "ping") && q->n_seg == 1) {
		r->content_type = "text/plain";
		pd_buf_adds(&r->body, "ok");
	} else if (seg_is(q, 0, "sleep") && q->n_seg == 2) {
		long ms = atol(q->seg[1].s);
		struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&t, NULL);
		pd_buf_adds(&r->body, "{\"slept\":true}\n");
	} else if (seg_is(q, 0, "big") && q->n_seg == 2) {
		size_t n = (size_t)atol(q->seg[1].s);
		r->content_type = "application/octet-stream";
		if (pd_buf_reserve(&r->body, n) == 0) {
			for (size_t i = 0; i < n; i++)
				r->body.data[i] = (uint8_t)('a' + i % 26);
			r->body.len = n;
		} else {
			httpd_resp_error(r, q->path, 500, "body over the cap");
		}
	} else if (seg_is(q, 0, "cursor")) {
		httpd_resp_header(r, "X-Almanac-Cursor", "abc123");
		httpd_resp_header(r, "X-Almanac-Result", "limited");
		pd_buf_adds(&r->body, "{}\n");
	} else if (seg_is(q, 0, "dnsdb") && seg_is(q, 1, "v2") && seg_is(q, 2, "ping")) {
		r->content_type = "application/x-ndjson";
		pd_buf_adds(&r->body, "{\"ping\":\"ok\"}\n");
	} else if (seg_is(q, 0, "bad-status")) {
		r->status = 99;
	} else {
		httpd_resp_error(r, q->path, 404, "no such path");
	}
}

static void print_stats(struct httpd *h)
{
	struct httpd_stats s;
	httpd_stats(h, &s);
	printf("stats\n  requests %llu\n  status_2xx %llu\n  status_4xx %llu\n"
	       "  status_5xx %llu\n  unauthorized %llu\n  bad_requests %llu\n  busy %llu\n"
	       "  conns_accepted %llu\n  conns_refused %llu\n  conns_timed_out %llu\n"
	       "  conns_active %llu\n  bytes_out %llu\nend\n",
	       (unsigned long long)s.requests, (unsigned long long)s.status_2xx,
	       (unsigned long long)s.status_4xx, (unsigned long long)s.status_5xx,
	       (unsigned long long)s.unauthorized, (unsigned long long)s.bad_requests,
	       (unsigned long long)s.busy, (unsigned long long)s.conns_accepted,
	       (unsigned long long)s.conns_refused, (unsigned long long)s.conns_timed_out,
	       (unsigned long long)s.conns_active, (unsigned long long)s.bytes_out);
	fflush(stdout);
}

static int parse_args(int argc, char **argv, struct httpd_opts *o)
{
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--listen")) o->listen = v;
		else if (!strcmp(k, "--cert")) o->tls_cert = v;
		else if (!strcmp(k, "--key")) o->tls_key = v;
		else if (!strcmp(k, "--ca")) o->tls_ca = v;
		else if (!strcmp(k, "--crl")) o->tls_crl = v;
		else if (!strcmp(k, "--api-keys")) o->api_keys_file = v;
		else if (!strcmp(k, "--workers")) o->workers = (unsigned)atoi(v);
		else if (!strcmp(k, "--queue")) o->queue_max = (unsigned)atoi(v);
		else if (!strcmp(k, "--max-conns")) o->max_connections = (unsigned)atoi(v);
		else if (!strcmp(k, "--idle-ms")) o->idle_timeout_ms = (unsigned)atoi(v);
		else if (!strcmp(k, "--stop-ms")) o->stop_timeout_ms = (unsigned)atoi(v);
		else return -1;
	}
	return argc % 2 == 1 && o->listen ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct httpd_opts o = { 0 };
	if (parse_args(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: httpd_demo --listen HOST:PORT [options] (see the source)\n");
		return 2;
	}
	pd_log_init("httpd_demo", PD_LOG_INFO);
	struct pd_sigflags sig = { 0 };
	pd_proc_signals(&sig);
	struct httpd *h;
	char err[512];
	if (httpd_start(&h, &o, handle, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "httpd_demo: %s\n", err);
		return 1;
	}
	printf("port %d\nready\n", httpd_port(h));
	fflush(stdout);
	while (!sig.stop) {
		pause();
		if (sig.reload) {
			sig.reload = 0;
			if (httpd_reload_keys(h, err, sizeof(err)) < 0)
				printf("reload failed: %s\n", err);
			else
				printf("reloaded\n");
			fflush(stdout);
		}
		if (sig.report) {
			sig.report = 0;
			print_stats(h);
		}
	}
	print_stats(h);
	httpd_stop(h);
	return 0;
}
