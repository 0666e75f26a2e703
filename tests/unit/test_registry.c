/* Unit tests for registry: the file format (comments, blank lines, white
 * space, CRLF), errors naming file:line, lookups (exact pairs only, no
 * prefix matches), reload replacing the list, a failed reload keeping the
 * old one, and the NULL registry. Files live in a mkdtemp directory. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pd_err.h"
#include "registry.h"

struct fx {
	char dir[64], path[128];
	char err[512];
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_registry.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sensors.list", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void write_file(const struct fx *f, const char *text)
{
	/* Through a rename, as an operator's editor or deploy tool would. */
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	FILE *fp = fopen(tmp, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(rename(tmp, f->path), 0);
}

static struct registry *load_ok(struct fx *f, const char *text)
{
	write_file(f, text);
	struct registry *r = NULL;
	f->err[0] = 0;
	int rc = registry_load(&r, f->path, f->err, sizeof(f->err));
	if (rc != 0)
		fail_msg("registry_load: %d %s", rc, f->err);
	assert_non_null(r);
	return r;
}

/* Loading text fails with PD_ECONFIG and a message naming path:line. */
static void load_fails_at(struct fx *f, const char *text, int line)
{
	write_file(f, text);
	struct registry *r = (struct registry *)(uintptr_t)1;
	f->err[0] = 0;
	int rc = registry_load(&r, f->path, f->err, sizeof(f->err));
	assert_int_equal(rc, PD_ECONFIG);
	assert_ptr_equal(r, (struct registry *)(uintptr_t)1); /* not set */
	char where[200];
	snprintf(where, sizeof(where), "%s:%d:", f->path, line);
	if (!strstr(f->err, where))
		fail_msg("expected '%s' in '%s'", where, f->err);
}

static void test_parse(void **state)
{
	struct fx *f = *state;
	struct registry *r = load_ok(f,
		"# sensors of the deployment\n"
		"\n"
		"sensor-1 site-a\n"
		"   sensor-2\t\tsite-a   \n"
		"\t\n"
		"sensor.3 site_b # the lab\n"
		"#sensor-9 site-z\n"
		"   # indented comment\n"
		"sensor-4 site-c\r\n"
		"SENSOR-1 Site-A\n"
		"x y"); /* no final newline */
	assert_int_equal(registry_count(r), 6);
	assert_true(registry_allows(r, "sensor-1", "site-a"));
	assert_true(registry_allows(r, "sensor-2", "site-a"));
	assert_true(registry_allows(r, "sensor.3", "site_b"));
	assert_true(registry_allows(r, "sensor-4", "site-c"));
	assert_true(registry_allows(r, "SENSOR-1", "Site-A"));
	assert_true(registry_allows(r, "x", "y"));

	/* Exact pairs only. */
	assert_false(registry_allows(r, "sensor-1", "site-b"));
	assert_false(registry_allows(r, "sensor-3", "site_b"));
	assert_false(registry_allows(r, "site-a", "sensor-1"));
	assert_false(registry_allows(r, "sensor-9", "site-z"));
	assert_false(registry_allows(r, "Sensor-1", "site-a"));
	assert_false(registry_allows(r, "sensor-1", "Site-A"));
	assert_false(registry_allows(r, "sensor-", "site-a"));
	assert_false(registry_allows(r, "sensor-1 ", "site-a"));
	assert_false(registry_allows(r, "sensor-1", "site-a "));
	assert_false(registry_allows(r, "", ""));
	assert_false(registry_allows(r, "x", ""));
	registry_free(r);

	/* Only comments: a list of nobody. */
	r = load_ok(f, "# nobody yet\n\n   \n");
	assert_int_equal(registry_count(r), 0);
	assert_false(registry_allows(r, "sensor-1", "site-a"));
	registry_free(r);
	registry_free(NULL);
}

/* Names of 64 characters are the longest; a longer identity presented to
 * the registry must not match a listed one that it merely starts with. */
static void test_long_names(void **state)
{
	struct fx *f = *state;
	char s64[65], t64[65], text[256], longer[80];
	memset(s64, 's', 64);
	s64[64] = 0;
	memset(t64, 't', 64);
	t64[64] = 0;
	snprintf(text, sizeof(text), "%s %s\n", s64, t64);
	struct registry *r = load_ok(f, text);
	assert_int_equal(registry_count(r), 1);
	assert_true(registry_allows(r, s64, t64));

	snprintf(longer, sizeof(longer), "%sX", s64);
	assert_false(registry_allows(r, longer, t64));
	snprintf(longer, sizeof(longer), "%sX", t64);
	assert_false(registry_allows(r, s64, longer));
	char s63[64];
	memcpy(s63, s64, 63);
	s63[63] = 0;
	assert_false(registry_allows(r, s63, t64));
	registry_free(r);

	/* 65 characters in the file: an error on that line. */
	char s65[66];
	memset(s65, 's', 65);
	s65[65] = 0;
	snprintf(text, sizeof(text), "a b\n%s site\n", s65);
	load_fails_at(f, text, 2);
	snprintf(text, sizeof(text), "a b\nc d\nsensor %s\n", s65);
	load_fails_at(f, text, 3);
}

static void test_errors_name_file_and_line(void **state)
{
	struct fx *f = *state;
	/* One field. */
	load_fails_at(f, "sensor-1\n", 1);
	load_fails_at(f, "# c\n\nsensor-1 site-a\nsensor-2\nsensor-3 site-c\n", 4);
	load_fails_at(f, "sensor-1 # site-a\n", 1);
	/* Three fields. */
	load_fails_at(f, "sensor-1 site-a extra\n", 1);
	load_fails_at(f, "a b\nc d\n\ne f g h\n", 4);
	/* Characters outside [A-Za-z0-9._-]. */
	load_fails_at(f, "sensor/1 site-a\n", 1);
	load_fails_at(f, "ok ok\nsensor-1 site:a\n", 2);
	load_fails_at(f, "sens@r site\n", 1);
	load_fails_at(f, "sensor,1 site\n", 1);
	load_fails_at(f, "s\xc3\xa9nsor site\n", 1);
	load_fails_at(f, "sensor\vx site\n", 1);
	/* The message says what a line should look like. */
	assert_non_null(strstr(f->err, "SENSOR_ID SITE"));

	/* A missing file: the error names it. */
	struct registry *r = NULL;
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/nope.list", f->dir);
	int rc = registry_load(&r, missing, f->err, sizeof(f->err));
	assert_int_equal(rc, -ENOENT);
	assert_null(r);
	assert_non_null(strstr(f->err, missing));
}

static void test_reload(void **state)
{
	struct fx *f = *state;
	struct registry *r = load_ok(f, "s1 a\ns2 a\n");
	assert_int_equal(registry_count(r), 2);

	/* A new list replaces the old one entirely. */
	write_file(f, "s2 a\ns3 b\ns4 b\n");
	assert_int_equal(registry_reload(r, f->err, sizeof(f->err)), 0);
	assert_int_equal(registry_count(r), 3);
	assert_false(registry_allows(r, "s1", "a"));
	assert_true(registry_allows(r, "s2", "a"));
	assert_true(registry_allows(r, "s3", "b"));
	assert_true(registry_allows(r, "s4", "b"));

	/* A bad file: the error, and the list in force stays. */
	write_file(f, "s5 c\ns6\n");
	f->err[0] = 0;
	assert_int_equal(registry_reload(r, f->err, sizeof(f->err)), PD_ECONFIG);
	char where[200];
	snprintf(where, sizeof(where), "%s:2:", f->path);
	assert_non_null(strstr(f->err, where));
	assert_int_equal(registry_count(r), 3);
	assert_true(registry_allows(r, "s3", "b"));
	assert_false(registry_allows(r, "s5", "c"));

	/* A vanished file: the same. */
	assert_int_equal(unlink(f->path), 0);
	assert_true(registry_reload(r, f->err, sizeof(f->err)) < 0);
	assert_int_equal(registry_count(r), 3);
	assert_true(registry_allows(r, "s4", "b"));

	/* Fixed again: reload picks it up. */
	write_file(f, "s5 c\n");
	assert_int_equal(registry_reload(r, f->err, sizeof(f->err)), 0);
	assert_int_equal(registry_count(r), 1);
	assert_true(registry_allows(r, "s5", "c"));
	assert_false(registry_allows(r, "s3", "b"));

	/* A reload to an empty list (comments only) locks everyone out. */
	write_file(f, "# all gone\n");
	assert_int_equal(registry_reload(r, f->err, sizeof(f->err)), 0);
	assert_int_equal(registry_count(r), 0);
	assert_false(registry_allows(r, "s5", "c"));
	registry_free(r);
}

/* Larger lists stay sorted and searchable (the lookup is a binary search). */
static void test_many_entries(void **state)
{
	struct fx *f = *state;
	size_t cap = 1000 * 64;
	char *text = malloc(cap);
	assert_non_null(text);
	size_t w = 0;
	/* Written in descending order, with each sensor at two sites. */
	for (int i = 999; i >= 0; i--)
		w += (size_t)snprintf(text + w, cap - w, "sensor%03d site%d\nsensor%03d site%d\n", i,
		                      i % 7, i, i % 7 + 100);
	struct registry *r = load_ok(f, text);
	free(text);
	assert_int_equal(registry_count(r), 2000);
	char s[32], t[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(s, sizeof(s), "sensor%03d", i);
		snprintf(t, sizeof(t), "site%d", i % 7);
		assert_true(registry_allows(r, s, t));
		snprintf(t, sizeof(t), "site%d", i % 7 + 100);
		assert_true(registry_allows(r, s, t));
		snprintf(t, sizeof(t), "site%d", (i + 1) % 7);
		assert_false(registry_allows(r, s, t));
	}
	assert_false(registry_allows(r, "sensor1000", "site0"));
	registry_free(r);
}

static void test_null_registry(void **state)
{
	(void)state;
	assert_true(registry_allows(NULL, "anyone", "anywhere"));
	assert_true(registry_allows(NULL, "", ""));
	assert_int_equal(registry_count(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_file_and_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_entries, setup, teardown),
		cmocka_unit_test(test_null_registry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
