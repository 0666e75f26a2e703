/* Unit tests for the analyst client's pure parts: time parsing, options to
 * query parameters, percent-encoding, table/CSV/JSON output, sites exit
 * codes, chunked decoding and server error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cli_cmd.h"
#include "cli_conf.h"
#include "cli_http.h"
#include "cli_json.h"
#include "cli_out.h"
#include "cli_req.h"
#include "cli_sites.h"
#include "cli_time.h"
#include "pd_err.h"

#define NOW 1706702400 /* 2024-01-31 12:00:00 UTC */

/* ---- helpers ----------------------------------------------------------------- */

struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static void mem_open(struct mem *m)
{
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
}

/* Closes the stream; the text stays in m->buf (free it). */
static const char *mem_text(struct mem *m)
{
	fclose(m->f);
	m->f = NULL;
	return m->buf;
}

static int64_t t_parse(const char *s)
{
	int64_t t = -1;
	assert_int_equal(cli_time_parse(s, NOW, &t), 0);
	return t;
}

/* Loads argv (NULL-terminated) into c and builds its query. */
static int load_query(struct cli_conf *c, struct cli_query *q, const char **argv, char *err,
                      size_t errlen)
{
	int argc = 0, nargs;
	char **args;
	while (argv[argc])
		argc++;
	int rc = cli_conf_load(c, argc, (char **)argv, NULL, &args, &nargs, err, errlen);
	if (rc == 0)
		rc = cli_cmd_parse(c, args, nargs, NOW, q, err, errlen);
	return rc;
}

/* The request target of a command line, or NULL after a usage error. */
static char *target_of(const char **argv)
{
	struct cli_conf c;
	struct cli_query q;
	char err[256];
	struct pd_buf b;
	char *out = NULL;
	pd_buf_init(&b, 1 << 16);
	if (load_query(&c, &q, argv, err, sizeof(err)) == 0 && cli_req_target(&b, &q) == 0)
		out = strdup(pd_buf_cstr(&b));
	pd_buf_fini(&b);
	cli_conf_free(&c);
	return out;
}

static void assert_target(const char *want, const char **argv)
{
	char *got = target_of(argv);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void assert_usage(const char *msg, const char **argv)
{
	struct cli_conf c;
	struct cli_query q;
	char err[256] = "";
	assert_int_equal(load_query(&c, &q, argv, err, sizeof(err)), PD_EUSAGE);
	if (!strstr(err, msg))
		fail_msg("'%s' does not contain '%s'", err, msg);
	cli_conf_free(&c);
}

/* ---- time -------------------------------------------------------------------- */

static void test_time_forms(void **state)
{
	(void)state;
	assert_int_equal(t_parse("1700000000"), 1700000000);
	assert_int_equal(t_parse("0"), 0);
	assert_int_equal(t_parse("2024-01-01"), 1704067200);
	assert_int_equal(t_parse("2024-01-31T12:00:00"), NOW);
	assert_int_equal(t_parse("2024-01-31T12:00:00Z"), NOW);
	assert_int_equal(t_parse("2024-01-31 12:00:00"), NOW);
	assert_int_equal(t_parse("2024-01-31 12:00:00Z"), NOW);
	assert_int_equal(t_parse("2024-01-31T12:00"), NOW);
	assert_int_equal(t_parse("2024-01-31T14:00:00+02:00"), NOW);
	assert_int_equal(t_parse("2024-01-31T14:00:00+0200"), NOW);
	assert_int_equal(t_parse("2024-01-31T07:30:00-04:30"), NOW);
	assert_int_equal(t_parse("2024-02-29"), 1709164800);   /* leap day */
	assert_int_equal(t_parse("2000-02-29"), 951782400);    /* 400-year leap */
	assert_int_equal(t_parse("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(t_parse("9999-12-31T23:59:59Z"), 253402300799LL);
	assert_int_equal(t_parse("now"), NOW);
}

static void test_time_relative(void **state)
{
	(void)state;
	assert_int_equal(t_parse("45s"), NOW - 45);
	assert_int_equal(t_parse("30m"), NOW - 1800);
	assert_int_equal(t_parse("12h"), NOW - 43200);
	assert_int_equal(t_parse("7d"), NOW - 7 * 86400);
	assert_int_equal(t_parse("2w"), NOW - 14 * 86400);
	assert_int_equal(t_parse("0d"), NOW);
	assert_int_equal(t_parse("-7d"), NOW - 7 * 86400);
	assert_int_equal(t_parse("-86400"), NOW - 86400);
	assert_int_equal(t_parse("100000w"), 0); /* before 1970: clamped */
}

static void test_time_invalid(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "yesterday", "7x", "7dd", "d", "-", "--7d", "1.5h", " 7d", "7d ", "+7d",
		"2024-13-01", "2024-00-10", "2024-01-32", "2023-02-29", "1900-02-29",
		"2024-1-31", "2024-01-31T", "2024-01-31T25:00", "2024-01-31T12:60",
		"2024-01-31T12:00:60", "2024-01-31T12:00:00ZZ", "2024-01-31T12:00:00+24:00",
		"2024-01-31T12:00:00+02", "2024-01-31x", "2024/01/31", "12:00:00",
	};
	int64_t t;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cli_time_parse(bad[i], NOW, &t) != PD_EMALF)
			fail_msg("'%s' was accepted", bad[i]);
	assert_int_equal(cli_time_parse("1969-12-31", NOW, &t), PD_ELIMIT);
	assert_int_equal(cli_time_parse("1970-01-01T01:00+02:00", NOW, &t), PD_ELIMIT);
	assert_int_equal(cli_time_parse("99999999999999999999", NOW, &t), PD_ELIMIT);
	assert_int_equal(cli_time_parse("253402300800", NOW, &t), PD_ELIMIT);
	assert_int_equal(cli_time_parse("99999999999999w", NOW, &t), PD_ELIMIT);
	assert_int_equal(cli_time_parse(NULL, NOW, &t), PD_EMALF);
}

static void test_time_format(void **state)
{
	(void)state;
	char s[CLI_TIME_LEN];
	cli_time_fmt(NOW, s);
	assert_string_equal(s, "2024-01-31 12:00:00");
	cli_time_fmt(0, s);
	assert_string_equal(s, "1970-01-01 00:00:00");
	cli_time_fmt(951782400 + 86399, s);
	assert_string_equal(s, "2000-02-29 23:59:59");
	cli_time_fmt(253402300799LL, s);
	assert_string_equal(s, "9999-12-31 23:59:59");
	/* Round trip over a spread of days. */
	for (int64_t t = 0; t < 4000000000LL; t += 86400 * 37 + 3671) {
		int64_t back;
		cli_time_fmt(t, s);
		assert_int_equal(cli_time_parse(s, NOW, &back), 0);
		assert_int_equal(back, t);
	}
	assert_int_equal(cli_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(cli_days_from_civil(2024, 3, 1), 19783);

	char a[16];
	cli_age_fmt(-5, a, sizeof(a));
	assert_string_equal(a, "0s");
	cli_age_fmt(119, a, sizeof(a));
	assert_string_equal(a, "119s");
	cli_age_fmt(600, a, sizeof(a));
	assert_string_equal(a, "10m");
	cli_age_fmt(3 * 3600 + 5, a, sizeof(a));
	assert_string_equal(a, "3h");
	cli_age_fmt(9 * 86400, a, sizeof(a));
	assert_string_equal(a, "9d");
}

/* ---- options and requests ------------------------------------------------------- */

static void test_percent_encoding(void **state)
{
	(void)state;
	struct pd_buf b;
	pd_buf_init(&b, 1024);
	const char raw[] = "a\\032b c/d?e%f&g=h\x01\xff*:~-._";
	assert_int_equal(cli_pct_encode(&b, raw, sizeof(raw) - 1, NULL), 0);
	assert_string_equal(pd_buf_cstr(&b),
	                    "a%5C032b%20c%2Fd%3Fe%25f%26g%3Dh%01%FF%2A%3A~-._");
	pd_buf_reset(&b);
	assert_int_equal(cli_req_segment(&b, raw, sizeof(raw) - 1), 0);
	assert_string_equal(pd_buf_cstr(&b), "/a%5C032b%20c%2Fd%3Fe%25f%26g%3Dh%01%FF*:~-._");
	pd_buf_reset(&b);
	assert_int_equal(cli_req_segment(&b, ".", 1), 0);
	assert_int_equal(cli_req_segment(&b, "..", 2), 0);
	assert_int_equal(cli_req_segment(&b, "a.", 2), 0);
	assert_string_equal(pd_buf_cstr(&b), "/%2E/%2E%2E/a.");
	pd_buf_reset(&b);
	assert_int_equal(cli_pct_encode(&b, "a\0b", 3, "*"), 0); /* NUL is never kept */
	assert_string_equal(pd_buf_cstr(&b), "a%00b");
	pd_buf_fini(&b);
	/* The cap holds. */
	pd_buf_init(&b, 8);
	assert_int_equal(cli_pct_encode(&b, "\x01\x02\x03", 3, NULL), PD_ELIMIT);
	pd_buf_fini(&b);
}

static void test_paths(void **state)
{
	(void)state;
	assert_target("/api/v1/rrset/www.example.com",
	              (const char *[]){ "almanac", "rrset", "www.example.com", NULL });
	assert_target("/api/v1/rrset/www.example.com./AAAA",
	              (const char *[]){ "almanac", "rrset", "www.example.com.", "aaaa", NULL });
	assert_target("/api/v1/rrset/*.example.com/ANY-DNSSEC",
	              (const char *[]){ "almanac", "--type", "any-dnssec", "rrset", "*.example.com",
	                                NULL });
	assert_target("/api/v1/rrset/www.example.*",
	              (const char *[]){ "almanac", "rrset", "www.example.*", NULL });
	assert_target("/api/v1/rrset/a%5C032b.example",
	              (const char *[]){ "almanac", "rrset", "a\\032b.example", NULL });
	assert_target("/api/v1/rdata/name/ns1.example.net/NS",
	              (const char *[]){ "almanac", "rdata", "name", "ns1.example.net", "NS", NULL });
	assert_target("/api/v1/rdata/ip/192.0.2.0/24",
	              (const char *[]){ "almanac", "rdata", "ip", "192.0.2.0/24", NULL });
	assert_target("/api/v1/rdata/ip/2001:db8::/32",
	              (const char *[]){ "almanac", "rdata", "ip", "2001:db8::/32", NULL });
	assert_target("/api/v1/rdata/ip/192.0.2.1-192.0.2.9",
	              (const char *[]){ "almanac", "rdata", "ip", "192.0.2.1-192.0.2.9", NULL });
	assert_target("/api/v1/nxdomain/nx.example/MX",
	              (const char *[]){ "almanac", "nxdomain", "nx.example", "MX", NULL });
	assert_target("/api/v1/summarize/rrset/www.example.com/A",
	              (const char *[]){ "almanac", "summarize", "rrset", "www.example.com", "A",
	                                NULL });
	assert_target("/api/v1/summarize/rdata/ip/192.0.2.1",
	              (const char *[]){ "almanac", "summarize", "rdata", "ip", "192.0.2.1", NULL });
	assert_target("/api/v1/sites", (const char *[]){ "almanac", "sites", NULL });
}

static void test_time_parameters_overlap_and_strict(void **state)
{
	(void)state;
	assert_target("/api/v1/rrset/x?time_last_after=1704067200&time_first_before=1700000000",
	              (const char *[]){ "almanac", "rrset", "x", "--after", "2024-01-01",
	                                "--before", "1700000000", NULL });
	assert_target("/api/v1/rrset/x?time_first_after=1704067200&time_last_before=1700000000",
	              (const char *[]){ "almanac", "--strict", "rrset", "x", "--after",
	                                "2024-01-01", "--before", "1700000000", NULL });
	assert_target("/api/v1/rrset/x?time_last_after=1706097600",
	              (const char *[]){ "almanac", "rrset", "x", "--after", "7d", NULL });
	assert_target("/api/v1/rrset/x?time_last_before=1706659200",
	              (const char *[]){ "almanac", "rrset", "x", "--strict", "--before=12h", NULL });
	assert_target("/api/v1/rrset/x",
	              (const char *[]){ "almanac", "rrset", "x", "--strict", NULL });
}

static void test_other_parameters(void **state)
{
	(void)state;
	assert_target("/api/v1/rrset/x?site=fra%2Fb%20c&limit=5&offset=10&federate=0",
	              (const char *[]){ "almanac", "rrset", "x", "--site", "fra/b c", "--limit",
	                                "5", "--offset", "10", "--no-federate", NULL });
	/* --site filters the sites view on the client; nothing is sent. */
	assert_target("/api/v1/sites",
	              (const char *[]){ "almanac", "sites", "--site", "fra", NULL });

	struct cli_query q = { .kind = CLI_RRSET, .name = "x", .cursor = "a/b+c=",
	                       .limit = 2 };
	struct pd_buf b;
	pd_buf_init(&b, 1024);
	assert_int_equal(cli_req_target(&b, &q), 0);
	assert_string_equal(pd_buf_cstr(&b), "/api/v1/rrset/x?limit=2&cursor=a%2Fb%2Bc%3D");
	pd_buf_fini(&b);
}

static void test_usage_errors(void **state)
{
	(void)state;
	assert_usage("give a command", (const char *[]){ "almanac", NULL });
	assert_usage("unknown command 'lookup'", (const char *[]){ "almanac", "lookup", "x", NULL });
	assert_usage("give the name", (const char *[]){ "almanac", "rrset", NULL });
	assert_usage("give the address", (const char *[]){ "almanac", "rdata", "ip", NULL });
	assert_usage("rdata name NAME", (const char *[]){ "almanac", "rdata", "x", NULL });
	assert_usage("summarize what", (const char *[]){ "almanac", "summarize", NULL });
	assert_usage("unknown command 'sites'",
	             (const char *[]){ "almanac", "summarize", "sites", NULL });
	assert_usage("unexpected argument 'y'",
	             (const char *[]){ "almanac", "rrset", "x", "A", "y", NULL });
	assert_usage("unexpected argument 'A'",
	             (const char *[]){ "almanac", "rdata", "ip", "192.0.2.1", "A", NULL });
	assert_usage("not a record type", (const char *[]){ "almanac", "rrset", "x", "A_B", NULL });
	assert_usage("two record types",
	             (const char *[]){ "almanac", "rrset", "x", "A", "--type", "MX", NULL });
	assert_usage("the name is empty", (const char *[]){ "almanac", "rrset", "", NULL });
	assert_usage("is not ADDR", (const char *[]){ "almanac", "rdata", "ip", "192.0.2", NULL });
	assert_usage("is not ADDR",
	             (const char *[]){ "almanac", "rdata", "ip", "192.0.2.0/33", NULL });
	assert_usage("is not ADDR",
	             (const char *[]){ "almanac", "rdata", "ip", "192.0.2.1-2001:db8::1", NULL });
	assert_usage("is not ADDR", (const char *[]){ "almanac", "rdata", "ip", "::/129", NULL });
	assert_usage("is not ADDR", (const char *[]){ "almanac", "rdata", "ip", "1.2.3.4/", NULL });
	assert_usage("--before: 'soon' is not a time",
	             (const char *[]){ "almanac", "rrset", "x", "--before", "soon", NULL });
	assert_usage("--after: '1900-01-01' is outside",
	             (const char *[]){ "almanac", "rrset", "x", "--after", "1900-01-01", NULL });
	assert_usage("--limit does not apply to sites",
	             (const char *[]){ "almanac", "sites", "--limit", "3", NULL });
	assert_usage("--offset does not apply to summarize",
	             (const char *[]){ "almanac", "summarize", "rrset", "x", "--offset", "3", NULL });
	assert_usage("one of --json, --csv, --table",
	             (const char *[]){ "almanac", "rrset", "x", "--csv", "--table", NULL });
}

static void test_argument_order(void **state)
{
	(void)state;
	const char *argv[] = { "almanac", "rrset", "--limit", "3", "x", "--json", "A", "-c", "f",
	                       "--", "--weird", NULL };
	char *out[13];
	struct pd_cfg_opt none[] = { PD_CFG_END };
	int n = cli_args_permute(cli_opts, 11, (char **)argv, out);
	assert_int_equal(n, 11);
	const char *want[] = { "almanac", "--limit", "3", "--json", "-c", "f", "--", "rrset", "x",
	                       "A", "--weird" };
	for (int i = 0; i < 11; i++)
		assert_string_equal(out[i], want[i]);
	/* An option whose value is unknown to the table takes none. */
	n = cli_args_permute(none, 4, (char **)(const char *[]){ "p", "--x", "v", "w" }, out);
	assert_int_equal(n, 5);
	assert_string_equal(out[1], "--x");
	assert_string_equal(out[3], "v");
}

static void test_format_choice_and_server_default(void **state)
{
	(void)state;
	struct cli_conf c;
	char err[256], **args;
	int nargs;
	const char *argv[] = { "almanac", "sites", NULL };
	assert_int_equal(cli_conf_load(&c, 2, (char **)argv, "https://env.example:1", &args,
	                               &nargs, err, sizeof(err)), 0);
	assert_string_equal(c.server, "https://env.example:1");
	assert_int_equal(cli_conf_format(&c, 1), CLI_FMT_TABLE);
	assert_int_equal(cli_conf_format(&c, 0), CLI_FMT_JSON);
	c.csv = 1;
	assert_int_equal(cli_conf_format(&c, 1), CLI_FMT_CSV);
	c.csv = 0;
	c.table = 1;
	assert_int_equal(cli_conf_format(&c, 0), CLI_FMT_TABLE);
	cli_conf_free(&c);
	const char *argv2[] = { "almanac", "--server", "http://cli:2", "sites", NULL };
	assert_int_equal(cli_conf_load(&c, 4, (char **)argv2, "https://env.example:1", &args,
	                               &nargs, err, sizeof(err)), 0);
	assert_string_equal(c.server, "http://cli:2");
	char *key;
	assert_int_equal(cli_conf_api_key(&c, "k-1", &key, err, sizeof(err)), 0);
	assert_string_equal(key, "k-1");
	free(key);
	assert_int_equal(cli_conf_api_key(&c, "", &key, err, sizeof(err)), 0);
	assert_null(key);
	assert_int_equal(cli_conf_api_key(&c, "a b", &key, err, sizeof(err)), PD_ECONFIG);
	assert_int_equal(cli_conf_api_key(&c, "a\r\nX-Evil: 1", &key, err, sizeof(err)),
	                 PD_ECONFIG);
	cli_conf_free(&c);
}

/* ---- output -------------------------------------------------------------------------- */

static const char cof_body[] =
	"{\"rrname\":\"www.example.com\",\"rrtype\":\"A\",\"rdata\":\"192.0.2.1\",\"count\":12,"
	"\"time_first\":1700000000,\"time_last\":1700090000,\"sites\":{\"fra\":{\"count\":10,"
	"\"time_first\":1700000000,\"time_last\":1700090000},\"ams\":{\"count\":2,"
	"\"time_first\":1700003600,\"time_last\":1700007200}}}\n"
	"\n"
	"{\"rrname\":\"long-name.example.com\",\"rrtype\":\"TXT\","
	"\"rdata\":\"\\\"a, \\\\\\\"b\\\\\\\"\\\"\",\"count\":3,"
	"\"time_first\":1700000100,\"time_last\":1700000200,"
	"\"sites\":{\"fra\":{\"count\":3}}}\r\n"
	"{\"rrname\":\"nx.example\",\"rrtype\":\"AAAA\",\"rcode\":\"NXDOMAIN\",\"count\":1,"
	"\"time_first\":1700000000,\"time_last\":1700000000}\n"
	"{\"rrname\":\"esc\\u001b[2J.example\",\"rrtype\":\"A\",\"rdata\":\" 192.0.2.2\","
	"\"count\":1,\"time_first\":1700000000,\"time_last\":1700000000}";

static char *render(enum cli_fmt fmt, const char *body, uint64_t *results)
{
	struct mem m;
	struct cli_out o;
	char err[256];
	mem_open(&m);
	cli_out_init(&o, fmt, m.f);
	assert_int_equal(cli_out_body(&o, body, strlen(body), err, sizeof(err)), 0);
	assert_int_equal(cli_out_flush(&o), 0);
	*results = o.results;
	cli_out_fini(&o);
	mem_text(&m);
	return m.buf;
}

static void test_output_json(void **state)
{
	(void)state;
	uint64_t n;
	char *out = render(CLI_FMT_JSON, cof_body, &n);
	assert_int_equal(n, 4);
	/* As received: blank lines dropped, CR removed, a final newline added. */
	char want[sizeof(cof_body) + 8];
	const char *lines[4];
	const char *p = cof_body;
	for (int i = 0; i < 4; i++) {
		while (*p == '\n')
			p++;
		lines[i] = p;
		p += strcspn(p, "\n") + 1;
	}
	snprintf(want, sizeof(want), "%.*s\n%.*s\n%.*s\n%s\n",
	         (int)strcspn(lines[0], "\n"), lines[0], (int)strcspn(lines[1], "\r"), lines[1],
	         (int)strcspn(lines[2], "\n"), lines[2], lines[3]);
	assert_string_equal(out, want);
	free(out);
}

static void test_output_csv(void **state)
{
	(void)state;
	uint64_t n;
	char *out = render(CLI_FMT_CSV, cof_body, &n);
	assert_string_equal(out,
		"rrname,rrtype,rdata,count,time_first,time_last,sites\n"
		"www.example.com,A,192.0.2.1,12,2023-11-14 22:13:20,2023-11-15 23:13:20,"
		"fra:10 ams:2\n"
		"long-name.example.com,TXT,\"\"\"a, \\\"\"b\\\"\"\"\"\",3,2023-11-14 22:15:00,"
		"2023-11-14 22:16:40,fra:3\n"
		"nx.example,AAAA,,1,2023-11-14 22:13:20,2023-11-14 22:13:20,\n"
		"esc\\027[2J.example,A,\" 192.0.2.2\",1,2023-11-14 22:13:20,2023-11-14 22:13:20,\n");
	free(out);
	/* No results: the header alone. */
	out = render(CLI_FMT_CSV, "", &n);
	assert_int_equal(n, 0);
	assert_string_equal(out, "rrname,rrtype,rdata,count,time_first,time_last,sites\n");
	free(out);
}

static void test_output_table(void **state)
{
	(void)state;
	uint64_t n;
	char *out = render(CLI_FMT_TABLE, cof_body, &n);
	assert_string_equal(out,
		"RRNAME                 TYPE  RDATA       COUNT  FIRST SEEN           LAST SEEN"
		"            SITES\n"
		"www.example.com        A     192.0.2.1      12  2023-11-14 22:13:20  2023-11-15 23:13:20"
		"  fra:10 ams:2\n"
		"long-name.example.com  TXT   \"a, \\\"b\\\"\"      3  2023-11-14 22:15:00  "
		"2023-11-14 22:16:40  fra:3\n"
		"nx.example             AAAA  -               1  2023-11-14 22:13:20  2023-11-14 22:13:20"
		"  -\n"
		"esc\\027[2J.example     A      192.0.2.2      1  2023-11-14 22:13:20  "
		"2023-11-14 22:13:20  -\n");
	free(out);
	/* No results, no header. */
	out = render(CLI_FMT_TABLE, "\n\n", &n);
	assert_string_equal(out, "");
	free(out);
}

static void test_output_rejects_non_json(void **state)
{
	(void)state;
	struct mem m;
	struct cli_out o;
	char err[256];
	mem_open(&m);
	cli_out_init(&o, CLI_FMT_JSON, m.f);
	const char body[] = "{\"rrname\":\"a\"}\n[1,2]\n";
	assert_int_equal(cli_out_body(&o, body, strlen(body), err, sizeof(err)), PD_EMALF);
	assert_string_equal(err, "line 2, byte 1: expected a JSON object");
	const char html[] = "<html>";
	assert_int_equal(cli_out_body(&o, html, strlen(html), err, sizeof(err)), PD_EMALF);
	assert_string_equal(err, "line 1, byte 1: expected a value");
	assert_int_equal(o.results, 1);
	cli_out_fini(&o);
	free((char *)mem_text(&m));
}

static void test_table_widths(void **state)
{
	(void)state;
	static const char *const heads[] = { "A", "NUM", "LAST" };
	static const unsigned char right[] = { 0, 1, 0 };
	struct cli_table t;
	struct mem m;
	char longcell[CLI_TABLE_PAD + 11];
	memset(longcell, 'x', sizeof(longcell) - 1);
	longcell[sizeof(longcell) - 1] = 0;
	mem_open(&m);
	cli_table_init(&t, 3, heads, right);
	assert_int_equal(cli_table_add(&t, "ab\0" "7\0" "z", 7), 0);
	assert_int_equal(cli_table_add(&t, "ab\0" "7", 4), PD_EMALF); /* a cell short */
	/* Two UTF-8 code points, four bytes: two columns wide. */
	assert_int_equal(cli_table_add(&t, "\xc3\xa9\xc3\xa9\0" "123\0" "", 10), 0);
	char row[sizeof(longcell) + 8];
	memcpy(row, longcell, sizeof(longcell));
	memcpy(row + sizeof(longcell), "1\0q", 4);
	assert_int_equal(cli_table_add(&t, row, sizeof(longcell) + 4), 0);
	assert_int_equal(cli_table_flush(&t, m.f), 0);
	cli_table_fini(&t);
	const char *out = mem_text(&m);
	char want[512];
	snprintf(want, sizeof(want),
	         "A   NUM  LAST\n"
	         "ab    7  z\n"
	         "\xc3\xa9\xc3\xa9  123  -\n"
	         "%s    1  q\n", longcell);
	assert_string_equal(out, want);
	free((char *)out);
}

static void test_csv_quoting(void **state)
{
	(void)state;
	struct mem m;
	mem_open(&m);
	cli_csv_row(m.f, "plain\0a,b\0say \"hi\"\0 lead\0trail \0\0x\ny", 7);
	const char *out = mem_text(&m);
	assert_string_equal(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\" lead\",\"trail \",,\"x\ny\"\n");
	free((char *)out);
}

static void test_summary(void **state)
{
	(void)state;
	const char body[] = "{\"count\":15,\"num_results\":2,\"time_first\":1700000000,"
	                    "\"time_last\":1700090000}\n";
	struct mem m;
	uint64_t n = 99;
	char err[128];
	mem_open(&m);
	assert_int_equal(cli_out_summary(CLI_FMT_TABLE, m.f, body, strlen(body), &n, err,
	                                 sizeof(err)), 0);
	assert_int_equal(n, 2);
	const char *out = mem_text(&m);
	assert_string_equal(out, "count        15\nnum_results  2\n"
	                         "first seen   2023-11-14 22:13:20\nlast seen    2023-11-15 23:13:20\n");
	free((char *)out);
	mem_open(&m);
	assert_int_equal(cli_out_summary(CLI_FMT_CSV, m.f, "{\"count\":0,\"num_results\":0}", 27,
	                                 &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	out = mem_text(&m);
	assert_string_equal(out, "count,num_results,time_first,time_last\n0,0,,\n");
	free((char *)out);
	mem_open(&m);
	assert_int_equal(cli_out_summary(CLI_FMT_JSON, m.f, body, strlen(body), &n, err,
	                                 sizeof(err)), 0);
	out = mem_text(&m);
	assert_string_equal(out, body);
	free((char *)out);
	mem_open(&m);
	assert_int_equal(cli_out_summary(CLI_FMT_JSON, m.f, "[]", 2, &n, err, sizeof(err)),
	                 PD_EMALF);
	free((char *)mem_text(&m));
}

static void test_safe_text(void **state)
{
	(void)state;
	struct pd_buf b;
	pd_buf_init(&b, 256);
	const char s[] = "ok \x1b[1m\x07\x7f\xc2\x9b\xc2\xa0\xe2\x82\xac\\032";
	assert_int_equal(cli_safe_text(&b, s, sizeof(s) - 1), 0);
	assert_string_equal(pd_buf_cstr(&b),
	                    "ok \\027[1m\\007\\127\\194\\155\xc2\xa0\xe2\x82\xac\\032");
	pd_buf_reset(&b);
	assert_int_equal(cli_safe_text(&b, "a\0b", 3), 0);
	assert_string_equal(pd_buf_cstr(&b), "a\\000b");
	pd_buf_fini(&b);
}

/* ---- sites ---------------------------------------------------------------------------- */

#define SITE(name, status) \
	"{\"site\":\"" name "\",\"status\":\"" status "\",\"reason\":\"r\",\"last_contact\":" \
	"1700000000,\"packets_per_s\":10,\"drop_pct\":0,\"spool_bytes\":0,\"spool_batches\":0," \
	"\"observations_per_s\":1,\"sensors\":[]}"

static int sites_code(const char *doc, const char *only)
{
	struct mem m;
	char err[256];
	mem_open(&m);
	int rc = cli_sites_print(CLI_FMT_TABLE, m.f, doc, strlen(doc), only, 0, err, sizeof(err));
	free((char *)mem_text(&m));
	return rc;
}

static void test_sites_exit_codes(void **state)
{
	(void)state;
	assert_int_equal(cli_sites_level("ok"), 0);
	assert_int_equal(cli_sites_level("degraded"), 1);
	assert_int_equal(cli_sites_level("stale"), 2);
	assert_int_equal(cli_sites_level("down"), 2);
	assert_int_equal(cli_sites_level("OK"), 2);
	assert_int_equal(cli_sites_level("mysterious"), 2);

	assert_int_equal(sites_code("{\"sites\":[]}", NULL), 0);
	assert_int_equal(sites_code("{\"sites\":[" SITE("a", "ok") "," SITE("b", "ok") "]}", NULL),
	                 0);
	assert_int_equal(sites_code("{\"sites\":[" SITE("a", "ok") "," SITE("b", "degraded") "]}",
	                            NULL), 1);
	assert_int_equal(sites_code("{\"sites\":[" SITE("a", "stale") "," SITE("b", "degraded")
	                            "]}", NULL), 2);
	assert_int_equal(sites_code("{\"sites\":[" SITE("a", "down") "]}", NULL), 2);
	assert_int_equal(sites_code("{\"sites\":[" SITE("a", "new-word") "]}", NULL), 2);
	assert_int_equal(sites_code("{\"sites\":[{\"site\":\"a\"}]}", NULL), 2); /* no status */
	/* --site looks at that site only. */
	assert_int_equal(sites_code("{\"sites\":[" SITE("a", "down") "," SITE("b", "ok") "]}",
	                            "b"), 0);
	assert_int_equal(sites_code("{\"sites\":[" SITE("a", "down") "]}", "zz"), PD_ENOTFOUND);
	/* Not the expected shape. */
	assert_int_equal(sites_code("[]", NULL), PD_EMALF);
	assert_int_equal(sites_code("{\"sites\":{}}", NULL), PD_EMALF);
	assert_int_equal(sites_code("<html>", NULL), PD_EMALF);
}

static void test_sites_views(void **state)
{
	(void)state;
	const char doc[] =
		"{\"generated\":1700000100,\"sites\":[{\"site\":\"fra\",\"status\":\"degraded\","
		"\"reason\":\"drop 2%, over 1%\",\"last_contact\":1700000040,\"packets_per_s\":1520.5,"
		"\"drop_pct\":2.25,\"spool_bytes\":1572864,\"spool_batches\":3,"
		"\"observations_per_s\":310.25,\"sensors\":[{\"sensor\":\"s1\",\"status\":\"ok\","
		"\"last_contact\":0}]}]}";
	struct mem m;
	char err[256];
	mem_open(&m);
	assert_int_equal(cli_sites_print(CLI_FMT_TABLE, m.f, doc, strlen(doc), NULL, 5, err,
	                                 sizeof(err)), 1);
	const char *out = mem_text(&m);
	assert_string_equal(out,
		"SITE      STATUS    LAST CONTACT                   PKTS/S  DROP%    SPOOL  BATCHES  "
		"OBS/S  REASON\n"
		"fra       degraded  2023-11-14 22:14:00 (60s ago)    1520   2.25  1.5 MiB        3    "
		"310  drop 2%, over 1%\n"
		"  fra/s1  ok        never                               -      -        -        -      "
		"-  -\n");
	free((char *)out);
	mem_open(&m);
	assert_int_equal(cli_sites_print(CLI_FMT_CSV, m.f, doc, strlen(doc), NULL, 5, err,
	                                 sizeof(err)), 1);
	out = mem_text(&m);
	assert_string_equal(out,
		"site,sensor,status,last_contact,packets_per_s,drop_pct,spool_bytes,spool_batches,"
		"observations_per_s,reason\n"
		"fra,,degraded,2023-11-14 22:14:00,1520.5,2.25,1572864,3,310.25,\"drop 2%, over 1%\"\n"
		"fra,s1,ok,,,,,,,\n");
	free((char *)out);
	mem_open(&m);
	assert_int_equal(cli_sites_print(CLI_FMT_JSON, m.f, doc, strlen(doc), "fra", 5, err,
	                                 sizeof(err)), 1);
	out = mem_text(&m);
	assert_non_null(strstr(out, "{\"generated\":1700000100,\"sites\":[{\"site\":\"fra\""));
	free((char *)out);
}

/* ---- HTTP pieces ------------------------------------------------------------------------ */

static int chunked_all(const char *in, size_t n, size_t step, struct pd_buf *out)
{
	struct cli_chunked c = { 0 };
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0;) {
		size_t k = n - i < step ? n - i : step, used;
		rc = cli_chunked_feed(&c, (const uint8_t *)in + i, k, &used, out);
		i += used;
	}
	return rc;
}

static void test_chunked(void **state)
{
	(void)state;
	const char body[] = "5;name=v\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\n"
	                    "Trailer: x\r\n\r\n";
	struct pd_buf b;
	for (size_t step = 1; step <= sizeof(body); step++) {
		pd_buf_init(&b, 1024);
		assert_int_equal(chunked_all(body, sizeof(body) - 1, step, &b), 1);
		assert_string_equal(pd_buf_cstr(&b), "hello 0123456789");
		pd_buf_fini(&b);
	}
	pd_buf_init(&b, 1024);
	assert_int_equal(chunked_all("0\n\n", 3, 3, &b), 1); /* bare LFs */
	assert_int_equal(b.len, 0);
	assert_int_equal(chunked_all("5\r\nhel", 7, 7, &b), 0); /* needs more */
	assert_int_equal(chunked_all("\r\n", 2, 2, &b), PD_EMALF); /* no size */
	assert_int_equal(chunked_all("x\r\n", 3, 3, &b), PD_EMALF);
	assert_int_equal(chunked_all("1\r\nab\r\n", 7, 7, &b), PD_EMALF); /* data too long */
	assert_int_equal(chunked_all("fffffffffffffffff\r\n", 19, 19, &b), PD_ELIMIT);
	pd_buf_fini(&b);
	pd_buf_init(&b, 4);
	assert_int_equal(chunked_all("5\r\nhello\r\n0\r\n\r\n", 15, 15, &b), PD_ELIMIT);
	pd_buf_fini(&b);
	char longline[5000];
	memset(longline, '1', sizeof(longline));
	pd_buf_init(&b, 1024);
	assert_int_equal(chunked_all("1;", 2, 2, &b), 0);
	pd_buf_fini(&b);
	pd_buf_init(&b, 1024);
	assert_int_equal(chunked_all(longline, sizeof(longline), 100, &b), PD_ELIMIT);
	pd_buf_fini(&b);
}

static void test_server_error_messages(void **state)
{
	(void)state;
	struct cli_http_res r;
	char msg[256];
	cli_http_res_init(&r, 1024);
	r.status = 400;
	strcpy(r.reason, "Bad Request");
	pd_buf_adds(&r.body, "{\"error\":\"bad name \\u001b\"}\n");
	cli_cmd_server_error(&r, 0, msg, sizeof(msg));
	assert_string_equal(msg, "400 Bad Request: bad name \\027");
	pd_buf_reset(&r.body);
	r.status = 401;
	strcpy(r.reason, "Unauthorized");
	pd_buf_adds(&r.body, "{\"error\":\"no key\"}");
	cli_cmd_server_error(&r, 0, msg, sizeof(msg));
	assert_string_equal(msg, "401 Unauthorized: no key (give an API key: $ALMANAC_API_KEY "
	                         "or --api-key-file FILE)");
	cli_cmd_server_error(&r, 1, msg, sizeof(msg));
	assert_string_equal(msg, "401 Unauthorized: no key (the API key was refused)");
	pd_buf_reset(&r.body);
	r.status = 502;
	strcpy(r.reason, "Bad Gateway");
	strcpy(r.content_type, "text/html");
	pd_buf_adds(&r.body, "<html>");
	cli_cmd_server_error(&r, 0, msg, sizeof(msg));
	assert_string_equal(msg, "502 Bad Gateway (and a body that is not a JSON error: "
	                         "text/html)");
	pd_buf_reset(&r.body);
	r.status = 503;
	strcpy(r.reason, "Service Unavailable");
	cli_cmd_server_error(&r, 0, msg, sizeof(msg));
	assert_string_equal(msg, "503 Service Unavailable");
	cli_http_res_fini(&r);
	assert_int_equal(cli_cmd_exit_for(0), CLI_EXIT_NONE);
	assert_int_equal(cli_cmd_exit_for(3), CLI_EXIT_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_forms),
		cmocka_unit_test(test_time_relative),
		cmocka_unit_test(test_time_invalid),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_percent_encoding),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_time_parameters_overlap_and_strict),
		cmocka_unit_test(test_other_parameters),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_argument_order),
		cmocka_unit_test(test_format_choice_and_server_default),
		cmocka_unit_test(test_output_json),
		cmocka_unit_test(test_output_csv),
		cmocka_unit_test(test_output_table),
		cmocka_unit_test(test_output_rejects_non_json),
		cmocka_unit_test(test_table_widths),
		cmocka_unit_test(test_csv_quoting),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_safe_text),
		cmocka_unit_test(test_sites_exit_codes),
		cmocka_unit_test(test_sites_views),
		cmocka_unit_test(test_chunked),
		cmocka_unit_test(test_server_error_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
