/* Unit tests for sites with a real store: assign, commit and rollback (a
 * rolled-back site is forgotten and its id reused), what survives closing
 * and opening the store, sites_name and sites_lookup, sites_reload, name
 * limits, the id cap, and a corrupt table. Each store lives in its own
 * mkdtemp directory. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pd_buf.h"
#include "pd_err.h"
#include "record.h"
#include "sites.h"
#include "store.h"

struct fx {
	char dir[64];
	struct store *st;
	struct sites *s;
	struct store_batch *b;
	char err[512];
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void open_store(struct fx *f)
{
	struct store_opts o = { .block_cache_bytes = 1u << 20, .write_buffer_bytes = 1u << 20,
	                        .create = 1 };
	int rc = store_open(&f->st, f->dir, &o, f->err, sizeof(f->err));
	if (rc != 0)
		fail_msg("store_open: %d %s", rc, f->err);
}

static struct sites *load(struct fx *f)
{
	struct sites *s = NULL;
	int rc = sites_load(&s, f->st, f->err, sizeof(f->err));
	if (rc != 0)
		fail_msg("sites_load: %d %s", rc, f->err);
	assert_non_null(s);
	return s;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_sites.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	open_store(f);
	f->s = load(f);
	f->b = store_batch_new();
	assert_non_null(f->b);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	sites_free(f->s);
	store_batch_free(f->b);
	store_close(f->st);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void write_batch(struct fx *f)
{
	int rc = store_write(f->st, f->b, 1, f->err, sizeof(f->err));
	if (rc != 0)
		fail_msg("store_write: %d %s", rc, f->err);
	store_batch_clear(f->b);
}

static uint32_t assign(struct fx *f, const char *name)
{
	uint32_t id = 0;
	int rc = sites_assign(f->s, name, &id, f->b);
	if (rc != 0)
		fail_msg("sites_assign %s: %s", name, pd_strerror(rc));
	assert_true(id >= 1);
	return id;
}

static void assert_known(struct sites *s, const char *name, uint32_t id)
{
	uint32_t got = 0;
	if (!sites_lookup(s, name, &got))
		fail_msg("site %s unknown", name);
	assert_int_equal(got, id);
	char out[SITE_NAME_MAX + 1];
	memset(out, 'x', sizeof(out));
	assert_int_equal(sites_name(s, id, out), 0);
	assert_string_equal(out, name);
}

static void assert_unknown(struct sites *s, const char *name)
{
	uint32_t got = 12345;
	assert_int_equal(sites_lookup(s, name, &got), 0);
	assert_int_equal(got, 12345);
}

/* The stored form: "site/NAME" -> id be32 and "sid/" id -> NAME. */
static void assert_stored(struct fx *f, const char *name, uint32_t id)
{
	uint8_t k[80] = { REC_META };
	size_t nl = strlen(name);
	memcpy(k + 1, "site/", 5);
	memcpy(k + 6, name, nl);
	struct pd_buf v;
	pd_buf_init(&v, 1024);
	assert_int_equal(store_get(f->st, NULL, k, 6 + nl, &v), 1);
	assert_int_equal(v.len, 4);
	assert_int_equal(((uint32_t)v.data[0] << 24) | ((uint32_t)v.data[1] << 16) |
	                 ((uint32_t)v.data[2] << 8) | v.data[3], id);
	uint8_t k2[9] = { REC_META, 's', 'i', 'd', '/', (uint8_t)(id >> 24), (uint8_t)(id >> 16),
		          (uint8_t)(id >> 8), (uint8_t)id };
	assert_int_equal(store_get(f->st, NULL, k2, sizeof(k2), &v), 1);
	assert_int_equal(v.len, nl);
	assert_memory_equal(v.data, name, nl);
	pd_buf_fini(&v);
}

static void reopen(struct fx *f)
{
	sites_free(f->s);
	store_close(f->st);
	open_store(f);
	f->s = load(f);
}

static void test_empty(void **state)
{
	struct fx *f = *state;
	assert_int_equal(sites_count(f->s), 0);
	assert_unknown(f->s, "alpha");
	char out[SITE_NAME_MAX + 1];
	assert_int_equal(sites_name(f->s, 0, out), PD_ENOTFOUND);
	assert_int_equal(sites_name(f->s, 1, out), PD_ENOTFOUND);
	assert_int_equal(sites_name(f->s, SITES_MAX, out), PD_ENOTFOUND);
	assert_int_equal(sites_name(f->s, UINT32_MAX, out), PD_ENOTFOUND);
	sites_free(NULL);
}

static void test_assign_commit(void **state)
{
	struct fx *f = *state;
	uint32_t a = assign(f, "alpha");
	assert_int_equal(a, 1);
	/* Pending: known to lookups (the writer's next batch may use it),
	 * not yet counted or named. */
	uint32_t got = 0;
	assert_int_equal(sites_lookup(f->s, "alpha", &got), 1);
	assert_int_equal(got, 1);
	assert_int_equal(sites_count(f->s), 0);
	char out[SITE_NAME_MAX + 1];
	assert_int_equal(sites_name(f->s, 1, out), PD_ENOTFOUND);

	uint32_t b = assign(f, "beta");
	assert_int_equal(b, 2);
	write_batch(f);
	sites_commit(f->s);
	assert_int_equal(sites_count(f->s), 2);
	assert_known(f->s, "alpha", 1);
	assert_known(f->s, "beta", 2);
	assert_stored(f, "alpha", 1);
	assert_stored(f, "beta", 2);
	assert_unknown(f->s, "gamma");
	assert_unknown(f->s, "alph");
	assert_unknown(f->s, "alphaa");
	assert_int_equal(sites_name(f->s, 3, out), PD_ENOTFOUND);

	/* Committing again, with nothing pending, changes nothing. */
	sites_commit(f->s);
	assert_int_equal(sites_count(f->s), 2);
	assert_int_equal(assign(f, "gamma"), 3);
}

static void test_rollback_forgets_and_reuses(void **state)
{
	struct fx *f = *state;
	assert_int_equal(assign(f, "alpha"), 1);
	write_batch(f);
	sites_commit(f->s);

	/* The write of beta and delta fails (it is never made). */
	assert_int_equal(assign(f, "beta"), 2);
	assert_int_equal(assign(f, "delta"), 3);
	store_batch_clear(f->b);
	sites_rollback(f->s);
	assert_unknown(f->s, "beta");
	assert_unknown(f->s, "delta");
	assert_int_equal(sites_count(f->s), 1);
	assert_known(f->s, "alpha", 1);
	char out[SITE_NAME_MAX + 1];
	assert_int_equal(sites_name(f->s, 2, out), PD_ENOTFOUND);

	/* The ids are reused by the next sites. */
	assert_int_equal(assign(f, "gamma"), 2);
	write_batch(f);
	sites_commit(f->s);
	assert_known(f->s, "gamma", 2);
	assert_unknown(f->s, "beta");
	/* A rollback with nothing pending keeps the committed ones. */
	sites_rollback(f->s);
	assert_known(f->s, "alpha", 1);
	assert_known(f->s, "gamma", 2);
	assert_int_equal(sites_count(f->s), 2);

	/* beta comes back later and gets a fresh id. */
	assert_int_equal(assign(f, "beta"), 3);
	write_batch(f);
	sites_commit(f->s);
	assert_known(f->s, "beta", 3);

	/* All of it as stored. */
	reopen(f);
	assert_int_equal(sites_count(f->s), 3);
	assert_known(f->s, "alpha", 1);
	assert_known(f->s, "gamma", 2);
	assert_known(f->s, "beta", 3);
	assert_unknown(f->s, "delta");
	assert_int_equal(sites_name(f->s, 4, out), PD_ENOTFOUND);
	/* And numbering continues after the stored ones. */
	assert_int_equal(assign(f, "epsilon"), 4);
}

static void test_survives_reopen(void **state)
{
	struct fx *f = *state;
	char name[SITE_NAME_MAX + 1];
	for (uint32_t i = 1; i <= 300; i++) {
		snprintf(name, sizeof(name), "site-%u", i);
		assert_int_equal(assign(f, name), i);
		if (i % 50 == 0) {
			write_batch(f);
			sites_commit(f->s);
		}
	}
	/* One pending site, never written, lost with the process. */
	assert_int_equal(assign(f, "pending"), 301);
	reopen(f);
	assert_int_equal(sites_count(f->s), 300);
	for (uint32_t i = 1; i <= 300; i++) {
		snprintf(name, sizeof(name), "site-%u", i);
		assert_known(f->s, name, i);
	}
	assert_unknown(f->s, "pending");
	assert_int_equal(assign(f, "pending"), 301);
}

static void test_reload(void **state)
{
	struct fx *f = *state;
	assert_int_equal(assign(f, "alpha"), 1);
	write_batch(f);
	sites_commit(f->s);

	/* Another table over the same store (import, say) adds a site. */
	struct sites *other = load(f);
	assert_known(other, "alpha", 1);
	uint32_t id = 0;
	assert_int_equal(sites_assign(other, "beta", &id, f->b), 0);
	assert_int_equal(id, 2);
	write_batch(f);
	sites_commit(other);
	sites_free(other);

	assert_unknown(f->s, "beta");
	assert_int_equal(sites_reload(f->s, f->st, f->err, sizeof(f->err)), 0);
	assert_known(f->s, "beta", 2);
	assert_int_equal(sites_count(f->s), 2);

	/* A reload drops what was pending. */
	assert_int_equal(assign(f, "gamma"), 3);
	assert_int_equal(sites_reload(f->s, f->st, f->err, sizeof(f->err)), 0);
	assert_unknown(f->s, "gamma");
	assert_int_equal(sites_count(f->s), 2);
	store_batch_clear(f->b);

	/* After the store was reopened, as the writer does. */
	assert_int_equal(store_reopen(f->st, f->err, sizeof(f->err)), 0);
	assert_int_equal(sites_reload(f->s, f->st, f->err, sizeof(f->err)), 0);
	assert_known(f->s, "alpha", 1);
	assert_known(f->s, "beta", 2);
	assert_int_equal(assign(f, "gamma"), 3);
}

static void test_names(void **state)
{
	struct fx *f = *state;
	uint32_t id = 0;
	assert_int_equal(sites_assign(f->s, "", &id, f->b), PD_EMALF);
	char n65[SITE_NAME_MAX + 2], n64[SITE_NAME_MAX + 1];
	memset(n65, 'n', SITE_NAME_MAX + 1);
	n65[SITE_NAME_MAX + 1] = 0;
	assert_int_equal(sites_assign(f->s, n65, &id, f->b), PD_EMALF);
	assert_int_equal(sites_count(f->s), 0);

	memset(n64, 'm', SITE_NAME_MAX);
	n64[SITE_NAME_MAX] = 0;
	assert_int_equal(assign(f, n64), 1);
	assert_int_equal(assign(f, "m"), 2);
	write_batch(f);
	sites_commit(f->s);
	assert_known(f->s, n64, 1);
	assert_known(f->s, "m", 2);
	assert_unknown(f->s, n65);
	reopen(f);
	assert_known(f->s, n64, 1);
	assert_known(f->s, "m", 2);
	assert_stored(f, n64, 1);
}

static void test_id_cap(void **state)
{
	struct fx *f = *state;
	char name[32];
	for (uint32_t i = 1; i <= SITES_MAX; i++) {
		snprintf(name, sizeof(name), "s%u", i);
		uint32_t id = 0;
		assert_int_equal(sites_assign(f->s, name, &id, f->b), 0);
		assert_int_equal(id, i);
	}
	uint32_t id = 0;
	assert_int_equal(sites_assign(f->s, "one-too-many", &id, f->b), PD_ELIMIT);
	assert_unknown(f->s, "one-too-many");
	uint32_t got = 0;
	assert_int_equal(sites_lookup(f->s, "s65535", &got), 1);
	assert_int_equal(got, SITES_MAX);
	/* Rolled back, there is room again. */
	sites_rollback(f->s);
	store_batch_clear(f->b);
	assert_int_equal(assign(f, "one"), 1);
}

/* A table entry that cannot be right fails the load with a message naming
 * it. (The store has no deletes: each case adds to the previous one.) */
static void test_corrupt_table(void **state)
{
	struct fx *f = *state;
	/* A name longer than any site's. */
	const uint8_t five[9] = { REC_META, 's', 'i', 'd', '/', 0, 0, 0, 5 };
	char longname[SITE_NAME_MAX + 1];
	memset(longname, 'l', sizeof(longname));
	store_batch_put(f->b, five, sizeof(five), (const uint8_t *)longname, sizeof(longname));
	write_batch(f);
	struct sites *s = (struct sites *)(uintptr_t)1;
	f->err[0] = 0;
	assert_int_equal(sites_load(&s, f->st, f->err, sizeof(f->err)), PD_ESTORE);
	assert_ptr_equal(s, (struct sites *)(uintptr_t)1); /* not set */
	assert_non_null(strstr(f->err, "corrupt site table entry 5"));
	/* A reload refuses it too. */
	assert_int_equal(sites_reload(f->s, f->st, f->err, sizeof(f->err)), PD_ESTORE);

	/* Id 0, which is never assigned. */
	const uint8_t zero[9] = { REC_META, 's', 'i', 'd', '/', 0, 0, 0, 0 };
	store_batch_put(f->b, zero, sizeof(zero), (const uint8_t *)"x", 1);
	write_batch(f);
	s = NULL;
	assert_int_equal(sites_load(&s, f->st, f->err, sizeof(f->err)), PD_ESTORE);
	assert_null(s);
	assert_non_null(strstr(f->err, "corrupt site table entry 0"));
}

/*
 * A reload that fails keeps the table in force. The writer carries on after
 * logging the failure; a half-read table would hand out ids the store
 * already gives to other sites, and their figures would be merged into
 * another site's.
 */
static void test_failed_reload_keeps_table(void **state)
{
	struct fx *f = *state;
	assert_int_equal(assign(f, "alpha"), 1);
	assert_int_equal(assign(f, "beta"), 2);
	assert_int_equal(assign(f, "gamma"), 3);
	write_batch(f);
	sites_commit(f->s);

	/* sid/2 is damaged: the scan stops there, after reading alpha. */
	const uint8_t two[9] = { REC_META, 's', 'i', 'd', '/', 0, 0, 0, 2 };
	char longname[SITE_NAME_MAX + 1];
	memset(longname, 'l', sizeof(longname));
	store_batch_put(f->b, two, sizeof(two), (const uint8_t *)longname, sizeof(longname));
	write_batch(f);
	f->err[0] = 0;
	assert_int_equal(sites_reload(f->s, f->st, f->err, sizeof(f->err)), PD_ESTORE);
	assert_non_null(strstr(f->err, "corrupt site table entry 2"));

	assert_int_equal(sites_count(f->s), 3);
	assert_known(f->s, "alpha", 1);
	assert_known(f->s, "beta", 2);
	assert_known(f->s, "gamma", 3);
	assert_int_equal(assign(f, "delta"), 4);
	sites_rollback(f->s);
	store_batch_clear(f->b);
	assert_int_equal(sites_count(f->s), 3);
	assert_known(f->s, "gamma", 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assign_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_forgets_and_reuses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_id_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_reload_keeps_table, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
