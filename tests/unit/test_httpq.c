/* Unit tests for httpq: request heads, path segments, query parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "httpq.h"
#include "pd_err.h"

static struct httpq_target tgt;
static char tbuf[HTTPQ_URI_MAX + 64];

/* Parses a copy of s as a request-target. */
static int target(const char *s)
{
	const char *why;
	size_t n = strlen(s);
	assert_true(n < sizeof(tbuf));
	memcpy(tbuf, s, n + 1);
	return httpq_parse_target(&tgt, tbuf, n, &why);
}

static void assert_segs(unsigned n, const char *const *want)
{
	assert_int_equal(tgt.n_seg, n);
	for (unsigned i = 0; i < n; i++) {
		assert_string_equal(tgt.seg[i].s, want[i]);
		assert_int_equal(tgt.seg[i].len, strlen(want[i]));
	}
}

static void test_head_len(void **state)
{
	(void)state;
	struct httpq_scan st = { 0, 0 };
	size_t hl = 0;
	const char *r = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";
	assert_int_equal(httpq_head_len(r, strlen(r), &st, &hl), 1);
	assert_int_equal(hl, strlen("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
	/* Bare LF line ends. */
	st = (struct httpq_scan){ 0, 0 };
	assert_int_equal(httpq_head_len("GET / HTTP/1.1\nA: b\n\nrest", 25, &st, &hl), 1);
	assert_int_equal(hl, 21);
	/* Fed one byte at a time: the same end, each byte looked at once. */
	const char *full = "\r\nGET /x HTTP/1.1\r\nA: 1\r\n\r\n";
	st = (struct httpq_scan){ 0, 0 };
	int rc = 0;
	size_t i;
	for (i = 1; i <= strlen(full) && rc == 0; i++)
		rc = httpq_head_len(full, i, &st, &hl);
	assert_int_equal(rc, 1);
	assert_int_equal(hl, strlen(full));
	assert_int_equal(i - 1, strlen(full));
	/* Empty lines alone are not a head. */
	st = (struct httpq_scan){ 0, 0 };
	assert_int_equal(httpq_head_len("\r\n\r\n\r\n", 6, &st, &hl), 0);
}

static void test_head_len_limit(void **state)
{
	(void)state;
	static char big[HTTPQ_HEAD_MAX + 10];
	memset(big, 'a', sizeof(big));
	struct httpq_scan st = { 0, 0 };
	size_t hl;
	assert_int_equal(httpq_head_len(big, HTTPQ_HEAD_MAX - 1, &st, &hl), 0);
	assert_int_equal(httpq_head_len(big, HTTPQ_HEAD_MAX, &st, &hl), PD_ELIMIT);
	/* A head that ends past the cap is refused even when it is complete. */
	memcpy(big + HTTPQ_HEAD_MAX, "\r\n\r\n", 4);
	st = (struct httpq_scan){ 0, 0 };
	assert_int_equal(httpq_head_len(big, HTTPQ_HEAD_MAX + 4, &st, &hl), PD_ELIMIT);
}

static int head(const char *s, struct httpq_head *h, char *buf)
{
	const char *why;
	strcpy(buf, s);
	return httpq_parse_head(buf, strlen(buf), h, &why);
}

static void test_parse_head(void **state)
{
	(void)state;
	struct httpq_head h;
	char buf[512];
	assert_int_equal(head("\r\nGET /a?b=1 HTTP/1.1\r\nHost: x \r\nX-API-Key:\tk1 \r\n"
	                      "x-api-key: k2\r\nEmpty:\r\n\r\n", &h, buf), 0);
	assert_string_equal(h.method, "GET");
	assert_string_equal(h.target, "/a?b=1");
	assert_int_equal(h.target_len, 6);
	assert_int_equal(h.version_minor, 1);
	assert_int_equal(h.n_hdr, 4);
	assert_string_equal(httpq_head_get(&h, "host"), "x");
	assert_string_equal(httpq_head_get(&h, "X-Api-Key"), "k1"); /* the first */
	assert_string_equal(httpq_head_get(&h, "Empty"), "");
	assert_null(httpq_head_get(&h, "Absent"));
	assert_int_equal(head("HEAD / HTTP/1.0\n\n", &h, buf), 0);
	assert_int_equal(h.version_minor, 0);
	assert_string_equal(h.method, "HEAD");
}

static void test_parse_head_bad(void **state)
{
	(void)state;
	struct httpq_head h;
	char buf[512];
	const char *bad[] = {
		"GET /\r\n\r\n",                      /* no version */
		"GET  / HTTP/1.1\r\n\r\n",            /* two spaces */
		"GET / HTTP/1.1 \r\n\r\n",            /* trailing space */
		"G(T / HTTP/1.1\r\n\r\n",             /* not a token */
		"GET / HTTP/1.1\r\nA : b\r\n\r\n",    /* space before colon */
		"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", /* folded */
		"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", /* control byte */
		"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",  /* bare CR */
		"GET / HTTP/1.1\r\nA: b\r\n",         /* incomplete */
		"GET /\x7f HTTP/1.1\r\n\r\n",
		"GET / XTTP/1.1\r\n\r\n",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(head(bad[i], &h, buf), PD_EMALF);
	assert_int_equal(head("GET / HTTP/2.0\r\n\r\n", &h, buf), PD_EVERSION);
	assert_int_equal(head("GET / HTTP/0.9\r\n\r\n", &h, buf), PD_EVERSION);
}

static void test_parse_head_caps(void **state)
{
	(void)state;
	struct httpq_head h;
	static char buf[HTTPQ_HEAD_MAX * 2];
	const char *why;
	size_t n = (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'a', HTTPQ_URI_MAX);
	n += HTTPQ_URI_MAX;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\n\r\n");
	assert_int_equal(httpq_parse_head(buf, n, &h, &why), PD_ELIMIT);
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
	for (int i = 0; i < HTTPQ_HDR_MAX; i++)
		n += (size_t)sprintf(buf + n, "H%d: v\r\n", i);
	memcpy(buf + n, "\r\n", 3);
	assert_int_equal(httpq_parse_head(buf, n + 2, &h, &why), 0);
	assert_int_equal(h.n_hdr, HTTPQ_HDR_MAX);
	n = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= HTTPQ_HDR_MAX; i++)
		n += (size_t)sprintf(buf + n, "H%d: v\r\n", i);
	memcpy(buf + n, "\r\n", 3);
	assert_int_equal(httpq_parse_head(buf, n + 2, &h, &why), PD_ELIMIT);
}

static void test_tokens(void **state)
{
	(void)state;
	assert_true(httpq_has_token("close", "close"));
	assert_true(httpq_has_token("Keep-Alive, Upgrade", "keep-alive"));
	assert_true(httpq_has_token(" upgrade ,CLOSE ", "close"));
	assert_false(httpq_has_token("closed", "close"));
	assert_false(httpq_has_token("", "close"));
}

static void test_path_split(void **state)
{
	(void)state;
	assert_int_equal(target("/"), 0);
	assert_int_equal(tgt.n_seg, 0);
	assert_string_equal(tgt.path, "/");
	assert_string_equal(tgt.query, "");
	assert_int_equal(target("/api/v1/rrset/www.example.com./A"), 0);
	assert_segs(5, (const char *[]){ "api", "v1", "rrset", "www.example.com.", "A" });
	/* Empty segments are kept. */
	assert_int_equal(target("/a//b/"), 0);
	assert_segs(4, (const char *[]){ "a", "", "b", "" });
}

static void test_path_decode(void **state)
{
	(void)state;
	/* %2F stays inside its segment; '+' is not a space in the path. */
	assert_int_equal(target("/rdata/name/a%2Fb/c+d%20e"), 0);
	assert_segs(4, (const char *[]){ "rdata", "name", "a/b", "c+d e" });
	assert_string_equal(tgt.path, "/rdata/name/a%2Fb/c+d%20e");
	assert_int_equal(target("/%41%62%2a%C3%a9"), 0);
	assert_segs(1, (const char *[]){ "Ab*\xc3\xa9" });
	assert_int_equal(target("/a%00b"), PD_EMALF);
	assert_int_equal(target("/a%0"), PD_EMALF);
	assert_int_equal(target("/a%"), PD_EMALF);
	assert_int_equal(target("/a%zz"), PD_EMALF);
	assert_int_equal(target("/a%g1"), PD_EMALF);
	assert_int_equal(target("/a?x=%0g"), PD_EMALF);
	assert_int_equal(target("/a?x=%00"), PD_EMALF);
	assert_int_equal(target("/a#frag"), PD_EMALF);
	assert_int_equal(target("/a\x80"), PD_EMALF);
	assert_int_equal(target("/a\x01"), PD_EMALF);
	assert_int_equal(target("*"), PD_EMALF);
	assert_int_equal(target("a/b"), PD_EMALF);
	assert_int_equal(target(""), PD_EMALF);
}

static void test_absolute_form(void **state)
{
	(void)state;
	assert_int_equal(target("http://example.com:8080/a/b?x=1"), 0);
	assert_segs(2, (const char *[]){ "a", "b" });
	assert_string_equal(tgt.path, "/a/b");
	assert_string_equal(tgt.query, "x=1");
	assert_int_equal(target("HTTPS://h?x=1"), 0);
	assert_string_equal(tgt.path, "/");
	assert_int_equal(tgt.n_seg, 0);
	assert_int_equal(tgt.n_param, 1);
	assert_int_equal(target("http:///a"), PD_EMALF);
}

static void test_query(void **state)
{
	(void)state;
	assert_int_equal(target("/p?limit=10&a=1&a=2&&flag&=v&q=a+b%2Bc&r=x?y=z"), 0);
	assert_int_equal(tgt.n_param, 7);
	assert_string_equal(tgt.query, "limit=10&a=1&a=2&&flag&=v&q=a+b%2Bc&r=x?y=z");
	/* Repeated keys: all kept in order, lookups answer the first. */
	assert_string_equal(httpq_param_get(&tgt, "a"), "1");
	assert_string_equal(tgt.param[2].val.s, "2");
	assert_string_equal(httpq_param_get(&tgt, "flag"), "");
	assert_string_equal(httpq_param_get(&tgt, ""), "v");
	/* '+' is a space in the query, %2B a plus. */
	assert_string_equal(httpq_param_get(&tgt, "q"), "a b+c");
	assert_string_equal(httpq_param_get(&tgt, "r"), "x?y=z");
	assert_null(httpq_param_get(&tgt, "absent"));
	assert_int_equal(target("/p?k%3D=v%26w"), 0);
	assert_string_equal(httpq_param_get(&tgt, "k="), "v&w");
	assert_int_equal(target("/p?"), 0);
	assert_int_equal(tgt.n_param, 0);
}

static void test_caps(void **state)
{
	(void)state;
	char s[HTTPQ_URI_MAX + 16];
	size_t n = 0;
	for (int i = 0; i < HTTPQ_SEG_MAX; i++)
		n += (size_t)sprintf(s + n, "/s");
	assert_int_equal(target(s), 0);
	assert_int_equal(tgt.n_seg, HTTPQ_SEG_MAX);
	sprintf(s + n, "/s");
	assert_int_equal(target(s), PD_ELIMIT);
	n = (size_t)sprintf(s, "/p?");
	for (int i = 0; i < HTTPQ_PARAM_MAX; i++)
		n += (size_t)sprintf(s + n, "k%d=v&", i);
	assert_int_equal(target(s), 0);
	assert_int_equal(tgt.n_param, HTTPQ_PARAM_MAX);
	sprintf(s + n, "x=y");
	assert_int_equal(target(s), PD_ELIMIT);
	/* The longest target decodes within the struct's storage. */
	memset(s, 'a', HTTPQ_URI_MAX);
	s[0] = '/';
	s[HTTPQ_URI_MAX] = 0;
	assert_int_equal(target(s), 0);
	assert_int_equal(tgt.seg[0].len, HTTPQ_URI_MAX - 1);
	s[HTTPQ_URI_MAX] = 'a';
	s[HTTPQ_URI_MAX + 1] = 0;
	assert_int_equal(target(s), PD_ELIMIT);
}

static void test_decode(void **state)
{
	(void)state;
	char out[8];
	size_t n;
	assert_int_equal(httpq_decode("a+%41", 5, 1, out, sizeof(out), &n), 0);
	assert_string_equal(out, "a A");
	assert_int_equal(n, 3);
	assert_int_equal(httpq_decode("a+%41", 5, 0, out, sizeof(out), &n), 0);
	assert_string_equal(out, "a+A");
	assert_int_equal(httpq_decode("12345678", 8, 0, out, sizeof(out), &n), PD_ESPACE);
	assert_int_equal(httpq_decode("1234567", 7, 0, out, sizeof(out), &n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_head_len),
		cmocka_unit_test(test_head_len_limit),
		cmocka_unit_test(test_parse_head),
		cmocka_unit_test(test_parse_head_bad),
		cmocka_unit_test(test_parse_head_caps),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_path_split),
		cmocka_unit_test(test_path_decode),
		cmocka_unit_test(test_absolute_form),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
