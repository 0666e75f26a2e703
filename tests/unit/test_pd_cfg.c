/* Unit tests for pd_cfg: defaults, files, precedence, errors with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pd_cfg.h"
#include "pd_err.h"

struct conf {
	char *name;
	uint64_t interval, size;
	int flag;
	struct pd_cfg_list peers;
};

static const struct pd_cfg_opt opts[] = {
	{ "name", 'N', "main", PD_CFG_STR, offsetof(struct conf, name), 0, 0, "dflt", "S", "a name" },
	{ "interval", 0, "main", PD_CFG_UINT, offsetof(struct conf, interval), 1, 3600, "60", "S",
	  "seconds" },
	{ "size", 0, "store", PD_CFG_SIZE, offsetof(struct conf, size), 1024, 1ull << 40, "1M", "B",
	  "bytes" },
	{ "flag", 'f', NULL, PD_CFG_BOOL, offsetof(struct conf, flag), 0, 0, "no", NULL, "a flag" },
	{ "peer", 0, "main", PD_CFG_LIST, offsetof(struct conf, peers), 0, 0, NULL, "URL", "peers" },
	PD_CFG_END
};

static char path[64];

static void write_file(const char *text)
{
	strcpy(path, "/tmp/test_pd_cfg.XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int load(struct conf *c, char **argv, int argc, char *err, size_t errlen)
{
	int first;
	memset(c, 0, sizeof(*c));
	return pd_cfg_load(opts, c, argc, argv, &first, err, errlen);
}

static void test_defaults_and_cli(void **state)
{
	(void)state;
	struct conf c;
	char err[256];
	char *argv[] = { "prog", "-N", "x", "--interval=5m", "-f", "--peer", "a", "--peer", "b" };
	assert_int_equal(load(&c, argv, 9, err, sizeof(err)), 0);
	assert_string_equal(c.name, "x");
	assert_int_equal(c.interval, 300);
	assert_int_equal(c.size, 1 << 20);
	assert_int_equal(c.flag, 1);
	assert_int_equal(c.peers.n, 2);
	assert_string_equal(c.peers.v[1], "b");
	pd_cfg_free(opts, &c);
}

static void test_file_then_cli(void **state)
{
	(void)state;
	struct conf c;
	char err[256];
	write_file("# comment\nflag = yes\n[main]\nname = \"from file\"\ninterval = 10\n"
	           "peer = p1\npeer = p2\n[store]\nsize = 2G\n");
	char *argv[] = { "prog", "-c", path, "--interval", "20" };
	assert_int_equal(load(&c, argv, 5, err, sizeof(err)), 0);
	assert_string_equal(c.name, "from file");
	assert_int_equal(c.interval, 20);
	assert_int_equal(c.size, 2ull << 30);
	assert_int_equal(c.flag, 1);
	assert_int_equal(c.peers.n, 2);
	pd_cfg_free(opts, &c);
	/* A list on the command line replaces the file's. */
	char *argv2[] = { "prog", "-c", path, "--peer", "p9" };
	assert_int_equal(load(&c, argv2, 5, err, sizeof(err)), 0);
	assert_int_equal(c.peers.n, 1);
	assert_string_equal(c.peers.v[0], "p9");
	pd_cfg_free(opts, &c);
	unlink(path);
}

static void expect_file_error(const char *text, const char *needle)
{
	struct conf c;
	char err[256];
	write_file(text);
	char *argv[] = { "prog", "-c", path };
	assert_int_equal(load(&c, argv, 3, err, sizeof(err)), PD_ECONFIG);
	if (!strstr(err, needle))
		fail_msg("error '%s' lacks '%s'", err, needle);
	pd_cfg_free(opts, &c);
	unlink(path);
}

static void test_file_errors(void **state)
{
	(void)state;
	expect_file_error("[main]\nnmae = x\n", ":2: unknown key 'nmae' in [main]");
	expect_file_error("[main]\nsize = 1M\n", ":2: key 'size' belongs in [store]");
	expect_file_error("name = x\n", ":1: key 'name' belongs in [main]");
	expect_file_error("[main]\nflag = yes\n", ":2: key 'flag' belongs before any section");
	expect_file_error("[mian]\n", ":1: unknown section [mian]");
	expect_file_error("[main]\ninterval = 0\n", ":2: interval: 0 is out of range");
	expect_file_error("[main]\ninterval = ten\n", ":2: interval: 'ten' is not a number");
	expect_file_error("flag = maybe\n", ":1: flag: 'maybe' is not yes or no");
	expect_file_error("\n\n[main]\njust words\n", ":4: expected 'key = value'");
}

static void test_cli_errors(void **state)
{
	(void)state;
	struct conf c;
	char err[256];
	char *a1[] = { "prog", "--bogus" };
	assert_int_equal(load(&c, a1, 2, err, sizeof(err)), PD_EUSAGE);
	assert_non_null(strstr(err, "unknown option --bogus"));
	pd_cfg_free(opts, &c);
	char *a2[] = { "prog", "--interval" };
	assert_int_equal(load(&c, a2, 2, err, sizeof(err)), PD_EUSAGE);
	assert_non_null(strstr(err, "needs a value"));
	pd_cfg_free(opts, &c);
	char *a3[] = { "prog", "-c", "/nonexistent/almanac.conf" };
	assert_int_equal(load(&c, a3, 3, err, sizeof(err)), PD_ECONFIG);
	assert_non_null(strstr(err, "No such file"));
	pd_cfg_free(opts, &c);
	/* A program without positional arguments passes no first_arg. */
	char *a4[] = { "prog", "-f", "stray" };
	memset(&c, 0, sizeof(c));
	assert_int_equal(pd_cfg_load(opts, &c, 3, a4, NULL, err, sizeof(err)), PD_EUSAGE);
	assert_string_equal(err, "unexpected argument 'stray'");
	pd_cfg_free(opts, &c);
}

static void test_on_cli(void **state)
{
	(void)state;
	char *argv[] = { "prog", "-c", "--flag", "--interval", "-N", "--size=9", "-f", "--",
		"--peer", NULL };
	int argc = 9;
	/* "--flag" is -c's value and "-N" --interval's; after "--" nothing counts */
	assert_false(pd_cfg_on_cli(opts, "name", argc, argv));
	assert_true(pd_cfg_on_cli(opts, "interval", argc, argv));
	assert_true(pd_cfg_on_cli(opts, "size", argc, argv));
	assert_true(pd_cfg_on_cli(opts, "flag", argc, argv));
	assert_false(pd_cfg_on_cli(opts, "peer", argc, argv));
	char *argv2[] = { "prog", "-N", "x", "positional", "--size", "1k", NULL };
	assert_true(pd_cfg_on_cli(opts, "name", 6, argv2));
	assert_false(pd_cfg_on_cli(opts, "size", 6, argv2)); /* after a positional */
}

static void test_parsers(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(pd_cfg_parse_duration("2h", &v), 0);
	assert_int_equal(v, 7200);
	assert_int_equal(pd_cfg_parse_duration("1d", &v), 0);
	assert_int_equal(v, 86400);
	assert_int_equal(pd_cfg_parse_duration("-1", &v), PD_ECONFIG);
	assert_int_equal(pd_cfg_parse_duration("5x", &v), PD_ECONFIG);
	assert_int_equal(pd_cfg_parse_size("64k", &v), 0);
	assert_int_equal(v, 65536);
	assert_int_equal(pd_cfg_parse_size("99999999999999999999G", &v), PD_ECONFIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_cli),
		cmocka_unit_test(test_file_then_cli),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_cli_errors),
		cmocka_unit_test(test_on_cli),
		cmocka_unit_test(test_parsers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
