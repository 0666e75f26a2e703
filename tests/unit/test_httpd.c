/* Unit tests for httpd's pieces that need no network: API keys, listen
 * addresses, response heads and error bodies, the worker pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "httpd.h"
#include "httpd_int.h"
#include "httpd_keys.h"
#include "httpd_pool.h"
#include "pd_err.h"

#define K1 "0123456789abcdef"
#define K2 "fedcba9876543210-long-key"

static int parse(struct httpd_keys **k, const char *text, char *err)
{
	return httpd_keys_parse(k, "keys", text, strlen(text), err, 256);
}

static void test_keys(void **state)
{
	(void)state;
	struct httpd_keys *k;
	char err[256];
	assert_int_equal(parse(&k, "# analysts\n\n" K1 " alice\n  " K2 "\t bob extra\r\n"
	                            "#" K1 "x\n", err), 0);
	assert_int_equal(httpd_keys_count(k), 2);
	assert_string_equal(httpd_keys_match(k, K1, strlen(K1)), "alice");
	assert_string_equal(httpd_keys_match(k, K2, strlen(K2)), "bob");
	assert_null(httpd_keys_match(k, K1 "x", strlen(K1) + 1));
	assert_null(httpd_keys_match(k, K1, strlen(K1) - 1));
	assert_null(httpd_keys_match(k, "", 0));
	httpd_keys_free(k);
	assert_int_equal(parse(&k, K1 "\n", err), 0);
	assert_string_equal(httpd_keys_match(k, K1, strlen(K1)), "");
	httpd_keys_free(k);
}

static void test_keys_bad(void **state)
{
	(void)state;
	struct httpd_keys *k;
	char err[256];
	assert_int_equal(parse(&k, "# nothing\n\n", err), PD_ECONFIG);
	assert_non_null(strstr(err, "no key"));
	assert_int_equal(parse(&k, K1 "\nshort\n", err), PD_ECONFIG);
	assert_non_null(strstr(err, "keys:2:"));
	assert_int_equal(parse(&k, K1 " a\n" K1 " b\n", err), PD_ECONFIG);
	assert_non_null(strstr(err, "twice"));
	assert_int_equal(parse(&k, "0123456789abcde\x80\n", err), PD_ECONFIG);
}

static void test_keys_file_mode(void **state)
{
	(void)state;
	char path[] = "/tmp/test_httpd_keysXXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, K1 " alice\n", strlen(K1) + 7), (ssize_t)strlen(K1) + 7);
	close(fd);
	struct httpd_keys *k;
	char err[256];
	chmod(path, 0644);
	assert_int_equal(httpd_keys_load(&k, path, err, sizeof(err)), PD_ECONFIG);
	assert_non_null(strstr(err, "chmod 600"));
	chmod(path, 0600);
	assert_int_equal(httpd_keys_load(&k, path, err, sizeof(err)), 0);
	assert_string_equal(httpd_keys_match(k, K1, strlen(K1)), "alice");
	httpd_keys_free(k);
	unlink(path);
}

static void test_listen(void **state)
{
	(void)state;
	const char *loop[] = { "127.0.0.1:8080", "127.9.8.7:0", "localhost:80", "LocalHost:1",
		"[::1]:8443" };
	const char *not_loop[] = { "0.0.0.0:8080", ":8080", "192.0.2.1:80", "[::]:80",
		"[2001:db8::1]:80", "example.com:80", "128.0.0.1:80", "127.0.0.1", "::1:80",
		"127.0.0.1:99999", "127.0.0.1:x" };
	for (size_t i = 0; i < sizeof(loop) / sizeof(loop[0]); i++)
		assert_true(httpd_listen_is_loopback(loop[i]));
	for (size_t i = 0; i < sizeof(not_loop) / sizeof(not_loop[0]); i++)
		assert_false(httpd_listen_is_loopback(not_loop[i]));
	char url[128];
	assert_int_equal(httpd_listen_url("[::1]:8443", true, url, sizeof(url)), 0);
	assert_string_equal(url, "tls+tcp://[::1]:8443");
	assert_int_equal(httpd_listen_url(":80", false, url, sizeof(url)), 0);
	assert_string_equal(url, "tcp://:80");
	assert_int_equal(httpd_listen_url("nohost", false, url, sizeof(url)), PD_ECONFIG);
}

static void test_start_refuses_without_keys(void **state)
{
	(void)state;
	struct httpd *h = NULL;
	char err[256];
	struct httpd_opts o = { .listen = "0.0.0.0:0" };
	assert_int_equal(httpd_start(&h, &o, NULL, NULL, err, sizeof(err)), PD_ECONFIG);
	assert_string_equal(err, "httpd: refusing to serve queries on 0.0.0.0:0 without "
	                         "--api-keys (only a loopback address may go without keys)");
	assert_null(h);
}

static void test_head_build(void **state)
{
	(void)state;
	struct pd_buf b;
	pd_buf_init(&b, 1 << 16);
	struct httpd_resp r = { 0 };
	assert_int_equal(httpd_resp_header(&r, "X-Almanac-Cursor", "c1"), 0);
	struct httpd_head_args a = { .status = 200, .ctype = "application/x-ndjson",
		.body_len = 12, .r = &r };
	assert_int_equal(httpd_head_build(&b, &a), 0);
	assert_string_equal(pd_buf_cstr(&b), "HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson"
	                    "\r\nContent-Length: 12\r\nX-Almanac-Cursor: c1\r\n\r\n");
	pd_buf_reset(&b);
	a = (struct httpd_head_args){ .status = 204, .close = true };
	assert_int_equal(httpd_head_build(&b, &a), 0);
	assert_string_equal(pd_buf_cstr(&b), "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	pd_buf_reset(&b);
	a = (struct httpd_head_args){ .status = 405, .keep_alive_10 = true, .allow = "GET, HEAD" };
	assert_int_equal(httpd_head_build(&b, &a), 0);
	assert_string_equal(pd_buf_cstr(&b), "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0"
	                    "\r\nConnection: keep-alive\r\nAllow: GET, HEAD\r\n\r\n");
	pd_buf_fini(&b);
}

static void test_resp_header(void **state)
{
	(void)state;
	struct httpd_resp r = { 0 };
	assert_int_equal(httpd_resp_header(&r, "Bad Name", "v"), PD_EMALF);
	assert_int_equal(httpd_resp_header(&r, "", "v"), PD_EMALF);
	assert_int_equal(httpd_resp_header(&r, "X", "a\r\nInjected: 1"), PD_EMALF);
	char big[HTTPD_RESP_HDR_VALUE_MAX + 1];
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_int_equal(httpd_resp_header(&r, "X", big), PD_ELIMIT);
	for (int i = 0; i < HTTPD_RESP_HDR_MAX; i++)
		assert_int_equal(httpd_resp_header(&r, "X", "v"), 0);
	assert_int_equal(httpd_resp_header(&r, "X", "v"), PD_ELIMIT);
}

static void test_resp_error(void **state)
{
	(void)state;
	struct httpd_resp r = { 0 };
	pd_buf_init(&r.body, 4096);
	httpd_resp_error(&r, "/api/v1/rrset/x", 404, "no \"such\" path");
	assert_int_equal(r.status, 404);
	assert_string_equal(r.content_type, "application/json");
	assert_string_equal(pd_buf_cstr(&r.body), "{\"error\":\"no \\\"such\\\" path\"}\n");
	httpd_resp_error(&r, "/dnsdb/v2/lookup/rrset/name/x", 401, "bad key");
	assert_string_equal(r.content_type, "application/x-ndjson");
	assert_string_equal(pd_buf_cstr(&r.body), "{\"cond\":\"failed\",\"msg\":\"bad key\"}\n");
	httpd_resp_error(&r, "/dnsdbx", 400, "m");
	assert_string_equal(r.content_type, "application/json");
	pd_buf_fini(&r.body);
}

static void add_one(void *ctx, void *item)
{
	(void)item;
	__atomic_add_fetch((int *)ctx, 1, __ATOMIC_RELAXED);
}

static void sleepy(void *ctx, void *item)
{
	(void)ctx;
	usleep((useconds_t)(uintptr_t)item);
}

static void test_pool(void **state)
{
	(void)state;
	int n = 0;
	struct httpd_pool *p;
	assert_int_equal(httpd_pool_start(&p, 2, 1000, add_one, &n), 0);
	for (int i = 0; i < 500; i++)
		assert_true(httpd_pool_push(p, &n));
	assert_int_equal(httpd_pool_stop(p, add_one, 5000), 0);
	assert_int_equal(n, 500); /* run or dropped: every item seen once */
	/* A full queue refuses; a stuck item does not hang stop. */
	assert_int_equal(httpd_pool_start(&p, 1, 1, sleepy, NULL), 0);
	assert_true(httpd_pool_push(p, (void *)(uintptr_t)400000));
	usleep(50000);
	assert_true(httpd_pool_push(p, (void *)(uintptr_t)1));
	assert_false(httpd_pool_push(p, (void *)(uintptr_t)1));
	assert_int_equal(httpd_pool_stop(p, sleepy, 100), -1);
	usleep(500000); /* let the detached thread finish before exit */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_keys_bad),
		cmocka_unit_test(test_keys_file_mode),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_start_refuses_without_keys),
		cmocka_unit_test(test_head_build),
		cmocka_unit_test(test_resp_header),
		cmocka_unit_test(test_resp_error),
		cmocka_unit_test(test_pool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
