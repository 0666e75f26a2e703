/*
 * Unit tests of pd_json: token layout, navigation, every error class with
 * its offset, caps, string decoding (escapes, surrogates, UTF-8) and the
 * number getters at their edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "pd_err.h"
#include "pd_json.h"

#define MAXTOK 256

static struct pd_json_tok g_toks[MAXTOK];

static int parse(const char *s)
{
	return pd_json_parse(s, strlen(s), g_toks, MAXTOK, 32);
}

/* s is valid JSON of ntok tokens. */
static void expect_ok(const char *s, int ntok)
{
	struct pd_json_err err = {0, NULL};
	int n = pd_json_parse_err(s, strlen(s), g_toks, MAXTOK, 32, &err);
	if (n != ntok)
		fail_msg("\"%s\": %d tokens (%s at %zu), want %d", s, n, n < 0 ? err.what : "",
		         err.off, ntok);
}

/* s fails with rc at byte off, for the reason what. */
static void expect_err(const char *s, size_t len, int rc, size_t off, const char *what)
{
	struct pd_json_err err = {12345, NULL};
	int n = pd_json_parse_err(s, len, g_toks, MAXTOK, 32, &err);
	if (n != rc)
		fail_msg("\"%.*s\": %d, want %d", (int)len, s, n, rc);
	if (err.off != off || strcmp(err.what, what) != 0)
		fail_msg("\"%.*s\": \"%s\" at %zu, want \"%s\" at %zu", (int)len, s, err.what,
		         err.off, what, off);
}

#define EXPECT_ERR(lit, rc, off, what) expect_err((lit), sizeof(lit) - 1, (rc), (off), (what))

static void test_layout(void **state)
{
	static const char doc[] = " {\"a\": [1, \"x\", {\"b\": null}], \"c\": true, \"d\": {}} ";
	(void)state;
	int n = parse(doc);
	assert_int_equal(n, 12);
	static const struct {
		uint8_t type;
		int parent;
		uint32_t size, next;
		const char *text;
	} want[] = {
		{PD_JSON_OBJECT, -1, 3, 12, "{\"a\": [1, \"x\", {\"b\": null}], \"c\": true, \"d\": {}}"},
		{PD_JSON_STRING, 0, 0, 2, "a"},
		{PD_JSON_ARRAY, 0, 3, 8, "[1, \"x\", {\"b\": null}]"},
		{PD_JSON_NUMBER, 2, 0, 4, "1"},
		{PD_JSON_STRING, 2, 0, 5, "x"},
		{PD_JSON_OBJECT, 2, 1, 8, "{\"b\": null}"},
		{PD_JSON_STRING, 5, 0, 7, "b"},
		{PD_JSON_NULL, 5, 0, 8, "null"},
		{PD_JSON_STRING, 0, 0, 9, "c"},
		{PD_JSON_TRUE, 0, 0, 10, "true"},
		{PD_JSON_STRING, 0, 0, 11, "d"},
		{PD_JSON_OBJECT, 0, 0, 12, "{}"},
	};
	for (int i = 0; i < n; i++) {
		assert_int_equal(g_toks[i].type, want[i].type);
		assert_int_equal(g_toks[i].parent, want[i].parent);
		assert_int_equal(g_toks[i].size, want[i].size);
		assert_int_equal(g_toks[i].next, want[i].next);
		assert_int_equal(g_toks[i].end - g_toks[i].start, strlen(want[i].text));
		assert_memory_equal(doc + g_toks[i].start, want[i].text, strlen(want[i].text));
	}
	/* Navigation. */
	assert_int_equal(pd_json_get(doc, g_toks, n, 0, "a"), 2);
	assert_int_equal(pd_json_get(doc, g_toks, n, 0, "c"), 9);
	assert_int_equal(pd_json_get(doc, g_toks, n, 0, "d"), 11);
	assert_int_equal(pd_json_get(doc, g_toks, n, 0, "x"), -1);
	assert_int_equal(pd_json_get(doc, g_toks, n, 0, ""), -1);
	assert_int_equal(pd_json_get(doc, g_toks, n, 2, "a"), -1); /* not an object */
	assert_int_equal(pd_json_get(doc, g_toks, n, 5, "b"), 7);
	assert_int_equal(pd_json_get(doc, g_toks, n, 11, "b"), -1);
	assert_int_equal(pd_json_get(doc, g_toks, n, -1, "a"), -1);
	assert_int_equal(pd_json_get(doc, g_toks, n, n, "a"), -1);
	int elems[4], ne = 0;
	for (int i = pd_json_child(g_toks, n, 2); i >= 0; i = pd_json_next(g_toks, n, i))
		elems[ne++] = i;
	assert_int_equal(ne, 3);
	assert_int_equal(elems[0], 3);
	assert_int_equal(elems[1], 4);
	assert_int_equal(elems[2], 5);
	int keys = 0;
	for (int k = pd_json_child(g_toks, n, 0); k >= 0; k = pd_json_next(g_toks, n, k + 1))
		keys++;
	assert_int_equal(keys, 3);
	assert_int_equal(pd_json_child(g_toks, n, 11), -1);
	assert_int_equal(pd_json_child(g_toks, n, 3), -1);
	assert_int_equal(pd_json_next(g_toks, n, 0), -1);
	assert_int_equal(pd_json_next(g_toks, n, 7), -1);
	assert_int_equal(pd_json_next(g_toks, n, 1), 2); /* a key's sibling is its value */
}

static void test_valid(void **state)
{
	(void)state;
	expect_ok("0", 1);
	expect_ok("-0", 1);
	expect_ok(" \t\r\n\"\" \t\r\n", 1);
	expect_ok("[]", 1);
	expect_ok("{}", 1);
	expect_ok("[[[]]]", 3);
	expect_ok("[1,2 , 3]", 4);
	expect_ok("{\"a\":{\"a\":{\"a\":[]}}}", 7);
	expect_ok("[true,false,null]", 4);
	expect_ok("[-0.0e+0, 1E-5, 12.5e10, 0.1, 1e400]", 6);
	expect_ok("{\"\":\"\"}", 3);
	expect_ok("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\ud83d\\ude00\"", 1);
	expect_ok("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbf\xf4\x8f\xbf\xbf\"", 1);
	expect_ok("{\"a\":1,\"a\":2}", 5); /* repeated keys are legal JSON */
}

/* Nesting to exactly the cap, and one more. */
static void test_depth(void **state)
{
	static char doc[2 * 300 + 1];
	(void)state;
	for (unsigned depth = 1; depth <= 200; depth += 199) {
		memset(doc, '[', depth);
		memset(doc + depth, ']', depth);
		assert_int_equal(pd_json_parse(doc, 2 * depth, g_toks, MAXTOK, depth), (int)depth);
		struct pd_json_err err;
		assert_int_equal(pd_json_parse_err(doc, 2 * depth, g_toks, MAXTOK, depth - 1, &err),
		                 PD_ELIMIT);
		assert_int_equal(err.off, depth - 1);
		assert_string_equal(err.what, "nested too deeply");
	}
	assert_int_equal(pd_json_parse("1", 1, g_toks, MAXTOK, 0), 1);
	assert_int_equal(pd_json_parse("{}", 2, g_toks, MAXTOK, 0), PD_ELIMIT);
	/* Objects count too, and closing frees the level again. */
	assert_int_equal(pd_json_parse("[{},[],{\"a\":[]}]", 16, g_toks, MAXTOK, 3), 6);
	assert_int_equal(pd_json_parse("[{\"a\":[{}]}]", 12, g_toks, MAXTOK, 3), PD_ELIMIT);
	/* Deep documents need no stack: a million levels. */
	size_t deep = 1000000;
	char *big = malloc(2 * deep);
	struct pd_json_tok *toks = malloc(deep * sizeof(*toks));
	assert_non_null(big);
	assert_non_null(toks);
	memset(big, '[', deep);
	memset(big + deep, ']', deep);
	assert_int_equal(pd_json_parse(big, 2 * deep, toks, deep, (unsigned)deep), (int)deep);
	assert_int_equal(toks[deep - 1].parent, (int)deep - 2);
	assert_int_equal(toks[0].next, deep);
	free(big);
	free(toks);
}

static void test_token_cap(void **state)
{
	struct pd_json_err err;
	(void)state;
	assert_int_equal(pd_json_parse("[1,2,3]", 7, g_toks, 4, 8), 4);
	assert_int_equal(pd_json_parse_err("[1,2,3]", 7, g_toks, 3, 8, &err), PD_ELIMIT);
	assert_int_equal(err.off, 5);
	assert_string_equal(err.what, "too many tokens");
	assert_int_equal(pd_json_parse("1", 1, g_toks, 0, 8), PD_ELIMIT);
	assert_int_equal(pd_json_parse("{\"a\":1}", 7, g_toks, 2, 8), PD_ELIMIT);
}

static void test_errors(void **state)
{
	(void)state;
	EXPECT_ERR("", PD_EMALF, 0, "expected a value");
	EXPECT_ERR("   ", PD_EMALF, 3, "expected a value");
	EXPECT_ERR("[", PD_EMALF, 1, "unexpected end of input");
	EXPECT_ERR("{\"a\"", PD_EMALF, 4, "unexpected end of input");
	EXPECT_ERR("{\"a\" 1}", PD_EMALF, 5, "expected ':'");
	EXPECT_ERR("{\n\"a\":1,\n\"b\" 2}", PD_EMALF, 13, "expected ':'");
	EXPECT_ERR("{1:2}", PD_EMALF, 1, "expected a string key");
	EXPECT_ERR("{\"a\":1,}", PD_EMALF, 7, "expected a string key");
	EXPECT_ERR("[1,]", PD_EMALF, 3, "expected a value");
	EXPECT_ERR("[,1]", PD_EMALF, 1, "expected a value");
	EXPECT_ERR("[1 2]", PD_EMALF, 3, "expected ',' or ']'");
	EXPECT_ERR("{\"a\":1 \"b\":2}", PD_EMALF, 7, "expected ',' or '}'");
	EXPECT_ERR("[1}", PD_EMALF, 2, "expected ',' or ']'");
	EXPECT_ERR("{\"a\":1]", PD_EMALF, 6, "expected ',' or '}'");
	EXPECT_ERR("1 2", PD_EMALF, 2, "unexpected text after the value");
	EXPECT_ERR("{}}", PD_EMALF, 2, "unexpected text after the value");
	EXPECT_ERR("truex", PD_EMALF, 4, "unexpected text after the value");
	EXPECT_ERR("[tru]", PD_EMALF, 1, "invalid literal");
	EXPECT_ERR("nul", PD_EMALF, 0, "invalid literal");
	EXPECT_ERR("True", PD_EMALF, 0, "expected a value");
	EXPECT_ERR("'a'", PD_EMALF, 0, "expected a value");
	EXPECT_ERR("\xef\xbb\xbf{}", PD_EMALF, 0, "expected a value"); /* BOM */
	EXPECT_ERR("[1]\0", PD_EMALF, 3, "unexpected text after the value");
	/* Numbers. */
	EXPECT_ERR("01", PD_EMALF, 0, "leading zero in number");
	EXPECT_ERR("-01", PD_EMALF, 1, "leading zero in number");
	EXPECT_ERR("[00]", PD_EMALF, 1, "leading zero in number");
	EXPECT_ERR("-", PD_EMALF, 1, "invalid number");
	EXPECT_ERR("-a", PD_EMALF, 1, "invalid number");
	EXPECT_ERR("+1", PD_EMALF, 0, "expected a value");
	EXPECT_ERR(".5", PD_EMALF, 0, "expected a value");
	EXPECT_ERR("1.", PD_EMALF, 2, "expected a digit after '.'");
	EXPECT_ERR("1.e5", PD_EMALF, 2, "expected a digit after '.'");
	EXPECT_ERR("1e", PD_EMALF, 2, "expected a digit in the exponent");
	EXPECT_ERR("1e+", PD_EMALF, 3, "expected a digit in the exponent");
	EXPECT_ERR("1E-x", PD_EMALF, 3, "expected a digit in the exponent");
	EXPECT_ERR("0x10", PD_EMALF, 1, "unexpected text after the value");
	EXPECT_ERR("Infinity", PD_EMALF, 0, "expected a value");
	EXPECT_ERR("NaN", PD_EMALF, 0, "expected a value");
	/* Strings. */
	EXPECT_ERR("\"abc", PD_EMALF, 0, "unterminated string");
	EXPECT_ERR("[\"a\\\"]", PD_EMALF, 1, "unterminated string");
	EXPECT_ERR("\"a\\", PD_EMALF, 2, "unterminated string");
	EXPECT_ERR("\"\\x\"", PD_EMALF, 1, "invalid escape");
	EXPECT_ERR("\"\\'\"", PD_EMALF, 1, "invalid escape");
	EXPECT_ERR("\"\\u12\"", PD_EMALF, 1, "invalid \\u escape");
	EXPECT_ERR("\"\\u12G4\"", PD_EMALF, 1, "invalid \\u escape");
	EXPECT_ERR("\"\\U0041\"", PD_EMALF, 1, "invalid escape");
	EXPECT_ERR("\"ab\\udc00\"", PD_EMALF, 3, "unpaired low surrogate");
	EXPECT_ERR("\"\\ud800\"", PD_EMALF, 1, "unpaired high surrogate");
	EXPECT_ERR("\"\\ud800x\\udc00\"", PD_EMALF, 1, "unpaired high surrogate");
	EXPECT_ERR("\"\\ud800\\u0041\"", PD_EMALF, 1, "unpaired high surrogate");
	EXPECT_ERR("\"\\ud800\\ud800\"", PD_EMALF, 1, "unpaired high surrogate");
	EXPECT_ERR("\"a\tb\"", PD_EMALF, 2, "control character in string");
	EXPECT_ERR("\"a\nb\"", PD_EMALF, 2, "control character in string");
	EXPECT_ERR("\"\0\"", PD_EMALF, 1, "control character in string");
	EXPECT_ERR("\"\x1f\"", PD_EMALF, 1, "control character in string");
}

/* UTF-8 inside strings: RFC 3629's table, edge by edge. */
static void test_utf8(void **state)
{
	static const char *const good[] = {
		"\x7f", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xe0\xbf\xbf", "\xe1\x80\x80",
		"\xec\xbf\xbf", "\xed\x80\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
		"\xf0\x90\x80\x80", "\xf0\xbf\xbf\xbf", "\xf1\x80\x80\x80", "\xf3\xbf\xbf\xbf",
		"\xf4\x80\x80\x80", "\xf4\x8f\xbf\xbf",
	};
	static const char *const bad[] = {
		"\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xc2", "\xc2\x7f", "\xc2\xc0",
		"\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xe1\x80",
		"\xe1\x80\x7f", "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80",
		"\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff", "\xf1\x80\x80",
	};
	char doc[32];
	struct pd_json_err err;
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(doc, sizeof(doc), "\"a%s\"", good[i]);
		if (parse(doc) != 1)
			fail_msg("good UTF-8 #%zu refused", i);
		char out[8];
		assert_int_equal(pd_json_str(doc, &g_toks[0], out, sizeof(out)), 1 + strlen(good[i]));
		assert_string_equal(out + 1, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(doc, sizeof(doc), "\"a%s\"", bad[i]);
		int rc = pd_json_parse_err(doc, strlen(doc), g_toks, MAXTOK, 4, &err);
		if (rc != PD_EMALF || err.off != 2 || strcmp(err.what, "invalid UTF-8 in string") != 0)
			fail_msg("bad UTF-8 #%zu: %d %s at %zu", i, rc, err.what, err.off);
	}
	/* A sequence cut by the end of the text. */
	assert_int_equal(pd_json_parse("\"\xe2\x82", 3, g_toks, MAXTOK, 4), PD_EMALF);
}

static void test_strings(void **state)
{
	static const struct {
		const char *json, *text;
		size_t len;
	} v[] = {
		{"\"\"", "", 0},
		{"\"plain\"", "plain", 5},
		{"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8},
		{"\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6},
		{"\"\\u0000x\"", "\0x", 2},
		{"\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"", "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 11},
		{"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4},
		{"\"\\uD800\\uDC00\\uDBFF\\uDFFF\"", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8},
		{"\"caf\xc3\xa9 \\u2603\"", "caf\xc3\xa9 \xe2\x98\x83", 9},
	};
	char out[64];
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(parse(v[i].json), 1);
		assert_int_equal(pd_json_str(v[i].json, &g_toks[0], out, sizeof(out)), v[i].len);
		assert_memory_equal(out, v[i].text, v[i].len);
		assert_int_equal(out[v[i].len], '\0');
		/* The cap counts the NUL. */
		assert_int_equal(pd_json_str(v[i].json, &g_toks[0], out, v[i].len + 1), v[i].len);
		assert_int_equal(pd_json_str(v[i].json, &g_toks[0], out, v[i].len), PD_ESPACE);
		if (memchr(v[i].text, 0, v[i].len) == NULL) {
			assert_true(pd_json_str_eq(v[i].json, &g_toks[0], v[i].text));
			char longer[80];
			snprintf(longer, sizeof(longer), "%sx", v[i].text);
			assert_false(pd_json_str_eq(v[i].json, &g_toks[0], longer));
		}
	}
	assert_int_equal(pd_json_str("\"a\"", &g_toks[0], NULL, 0), PD_ESPACE);
	assert_int_equal(parse("1"), 1);
	assert_int_equal(pd_json_str("1", &g_toks[0], out, sizeof(out)), PD_EMALF);
	assert_false(pd_json_str_eq("1", &g_toks[0], "1"));
	/* Keys with escapes match their decoded text. */
	static const char doc[] = "{\"k\\u0065y\":1,\"\\u00e9\":2,\"a\\\"b\":3}";
	int n = parse(doc);
	assert_int_equal(n, 7);
	assert_int_equal(pd_json_get(doc, g_toks, n, 0, "key"), 2);
	assert_int_equal(pd_json_get(doc, g_toks, n, 0, "\xc3\xa9"), 4);
	assert_int_equal(pd_json_get(doc, g_toks, n, 0, "a\"b"), 6);
	assert_int_equal(pd_json_get(doc, g_toks, n, 0, "ke"), -1);
	assert_int_equal(pd_json_get(doc, g_toks, n, 0, "keyy"), -1);
	assert_true(g_toks[1].escaped);
}

/* The first value of doc ("[x]") as the token under test. */
static const struct pd_json_tok *num(const char *doc)
{
	if (parse(doc) < 2)
		fail_msg("\"%s\" does not parse", doc);
	return &g_toks[1];
}

static void test_integers(void **state)
{
	int64_t i;
	uint64_t u;
	(void)state;
#define I64(doc, rc, v) do { i = 42; assert_int_equal(pd_json_i64((doc), num(doc), &i), (rc)); \
		if ((rc) == 0) assert_true(i == (v)); else assert_true(i == 42); } while (0)
#define U64(doc, rc, v) do { u = 42; assert_int_equal(pd_json_u64((doc), num(doc), &u), (rc)); \
		if ((rc) == 0) assert_true(u == (v)); else assert_true(u == 42); } while (0)
	I64("[0]", 0, 0);
	I64("[-0]", 0, 0);
	I64("[7]", 0, 7);
	I64("[-7]", 0, -7);
	I64("[9223372036854775807]", 0, INT64_MAX);
	I64("[9223372036854775808]", PD_ELIMIT, 0);
	I64("[-9223372036854775808]", 0, INT64_MIN);
	I64("[-9223372036854775809]", PD_ELIMIT, 0);
	I64("[99999999999999999999999]", PD_ELIMIT, 0);
	I64("[1.0]", PD_EMALF, 0);
	I64("[1e3]", PD_EMALF, 0);
	I64("[1E+0]", PD_EMALF, 0);
	I64("[\"1\"]", PD_EMALF, 0);
	I64("[true]", PD_EMALF, 0);
	U64("[0]", 0, 0);
	U64("[-0]", 0, 0);
	U64("[18446744073709551615]", 0, UINT64_MAX);
	U64("[18446744073709551616]", PD_ELIMIT, 0);
	U64("[9223372036854775808]", 0, (uint64_t)INT64_MAX + 1);
	U64("[-1]", PD_ELIMIT, 0);
	U64("[0.5]", PD_EMALF, 0);
	U64("[null]", PD_EMALF, 0);
	/* A number at the very end of the text (no delimiter after it). */
	assert_int_equal(pd_json_parse("123", 3, g_toks, MAXTOK, 1), 1);
	assert_int_equal(pd_json_u64("123", &g_toks[0], &u), 0);
	assert_true(u == 123);
}

static void test_doubles(void **state)
{
	double d;
	(void)state;
	assert_int_equal(pd_json_double("[-0]", num("[-0]"), &d), 0);
	assert_true(d == 0.0 && signbit(d));
	assert_int_equal(pd_json_double("[0.1]", num("[0.1]"), &d), 0);
	assert_true(d == 0.1);
	assert_int_equal(pd_json_double("[-12.5e-1]", num("[-12.5e-1]"), &d), 0);
	assert_true(d == -1.25);
	assert_int_equal(pd_json_double("[1E2]", num("[1E2]"), &d), 0);
	assert_true(d == 100.0);
	assert_int_equal(pd_json_double("[9223372036854775808]", num("[9223372036854775808]"), &d), 0);
	assert_true(d == 9223372036854775808.0);
	assert_int_equal(pd_json_double("[1.7976931348623157e308]", num("[1.7976931348623157e308]"), &d), 0);
	assert_true(isfinite(d));
	d = 42;
	assert_int_equal(pd_json_double("[1e400]", num("[1e400]"), &d), PD_ELIMIT);
	assert_int_equal(pd_json_double("[-1e400]", num("[-1e400]"), &d), PD_ELIMIT);
	assert_true(d == 42);
	assert_int_equal(pd_json_double("[1e-400]", num("[1e-400]"), &d), 0);
	assert_true(d == 0.0);
	assert_int_equal(pd_json_double("[\"1\"]", num("[\"1\"]"), &d), PD_EMALF);
	/* 500 characters are fine, 501 are not: "1000...0e-NNN" is 1. */
	static char doc[600];
	for (size_t len = 500; len <= 501; len++) {
		size_t z = len - 6;
		doc[0] = '[';
		doc[1] = '1';
		memset(doc + 2, '0', z);
		snprintf(doc + 2 + z, 8, "e-%zu]", z);
		const struct pd_json_tok *t = num(doc);
		assert_int_equal(t->end - t->start, len);
		d = 0;
		assert_int_equal(pd_json_double(doc, t, &d), len == 500 ? 0 : PD_ELIMIT);
		assert_true(d == (len == 500 ? 1.0 : 0.0));
	}
	/* A number that ends the text. */
	assert_int_equal(pd_json_parse("0.5", 3, g_toks, MAXTOK, 1), 1);
	assert_int_equal(pd_json_double("0.5", &g_toks[0], &d), 0);
	assert_true(d == 0.5);
}

static void test_where(void **state)
{
	static const char doc[] = "{\n  \"a\": 1,\n  \"b\" 2\n}";
	struct pd_json_err err;
	size_t line, byte;
	(void)state;
	assert_int_equal(pd_json_parse_err(doc, strlen(doc), g_toks, MAXTOK, 4, &err), PD_EMALF);
	assert_string_equal(err.what, "expected ':'");
	pd_json_where(doc, err.off, &line, &byte);
	assert_int_equal(line, 3);
	assert_int_equal(byte, 7);
	pd_json_where(doc, 0, &line, &byte);
	assert_int_equal(line, 1);
	assert_int_equal(byte, 1);
	pd_json_where(doc, strlen(doc), &line, &byte);
	assert_int_equal(line, 4);
	assert_int_equal(byte, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_token_cap),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_where),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
