/* Unit tests for query: the cursor codec (short keys whole, long keys as a
 * prefix and a hash, strict decoding), "limited" only when another
 * matching row exists, a refused row staying after the cursor, max_count,
 * one row per tuple in wildcard rdata-name scans, and walks page by page
 * over keys longer than a cursor carries, and a spent time budget:
 * "timeout" with a cursor that resumes without loss or repeat, said as
 * such in both APIs' framing. Each store lives in its own
 * mkdtemp directory and is filled the way merge.c fills it. */
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
#include <time.h>

#include "apiout.h"
#include "index.h"
#include "pd_dns.h"
#include "pd_err.h"
#include "pd_rr.h"
#include "query.h"
#include "record.h"
#include "store.h"

struct fx {
	char base[64], dir[96];
	struct store *st;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[512];
	struct store_opts o = { .block_cache_bytes = 1u << 20, .write_buffer_bytes = 1u << 20,
	                        .create = 1 };
	snprintf(f->base, sizeof(f->base), "/tmp/test_query.XXXXXX");
	assert_non_null(mkdtemp(f->base));
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->base);
	if (store_open(&f->st, f->dir, &o, err, sizeof(err)) != 0)
		fail_msg("store_open: %s", err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	store_close(f->st);
	nftw(f->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Stores one new tuple (name in text, rdata bytes) with its index entries. */
static void put(struct fx *f, const char *name, uint16_t type, const uint8_t *rd, size_t rdlen,
                uint64_t count)
{
	static uint8_t key[REC_KEY_MAX], ikey[INDEX_KEY_MAX];
	uint8_t wire[255], val[REC_VAL_FIXED + REC_VAL_PER_SITE];
	char err[256];
	int nl = pd_dns_name_from_text(name, strlen(name), wire);
	assert_true(nl > 0);
	struct pd_obs o = { .name = wire, .name_len = (size_t)nl, .rdata = rd, .rdlen = rdlen,
		.type = type, .count = count, .first_s = 1000, .last_s = 2000 };
	struct store_batch *b = store_batch_new();
	size_t kl = rec_key_tuple(key, &o);
	int vl = rec_val_merge(NULL, 0, 1, count, 1000, 2000, val, sizeof(val));
	assert_true(vl > 0);
	store_batch_put(b, key, kl, val, (size_t)vl);
	index_add(b, &o, ikey);
	assert_int_equal(store_write(f->st, b, 0, err, sizeof(err)), 0);
	store_batch_free(b);
}

static void put_a(struct fx *f, const char *name, uint8_t last_octet, uint64_t count)
{
	uint8_t a[4] = { 192, 0, 2, last_octet };
	put(f, name, PD_T_A, a, 4, count);
}

static void query_init(struct query *q, enum query_kind kind, const char *zone)
{
	memset(q, 0, sizeof(*q));
	q->kind = kind;
	q->wild = QW_LEFT;
	q->type = Q_TYPE_ANY;
	int n = pd_dns_name_from_text(zone, strlen(zone), q->name);
	assert_true(n > 0);
	q->name_len = (size_t)n;
}

struct rows {
	int n, refuse_at;
	uint64_t counts[64];
};

static int collect(void *ctx, const struct pd_obs *o, const struct rec_val *v)
{
	struct rows *r = ctx;
	(void)v;
	if (r->refuse_at && r->n + 1 == r->refuse_at)
		return 1;
	r->counts[r->n++] = o->count;
	return 0;
}

static void cursor_short_and_long_round_trip(void **state)
{
	(void)state;
	static struct query_outcome out;
	struct query_cursor c;
	char text[QUERY_CURSOR_TEXT];
	for (size_t len = 1; len < 2000; len += 97) {
		memset(&out, 0, sizeof(out));
		for (size_t i = 0; i < len; i++)
			out.cursor[i] = (uint8_t)(i * 7 + len);
		out.cursor_len = len;
		int n = query_cursor_encode(&out, text, sizeof(text));
		assert_true(n > 0 && (size_t)n == strlen(text) && (size_t)n < sizeof(text));
		assert_null(strpbrk(text, "+/="));
		assert_int_equal(query_cursor_decode(text, (size_t)n, &c), 0);
		assert_int_equal(c.hashed, len > QUERY_CURSOR_KEY);
		assert_int_equal(c.len, len > QUERY_CURSOR_KEY ? QUERY_CURSOR_KEY : len);
		assert_memory_equal(c.key, out.cursor, c.len);
		if (c.hashed) { /* another key with the same prefix: another hash */
			struct query_cursor c2;
			out.cursor[len - 1] ^= 1;
			query_cursor_encode(&out, text, sizeof(text));
			assert_int_equal(query_cursor_decode(text, strlen(text), &c2), 0);
			assert_true(c2.hash != c.hash);
		}
	}
	assert_int_equal(query_cursor_encode(&out, text, 10), PD_ESPACE);
}

static void cursor_decode_is_strict(void **state)
{
	(void)state;
	struct query_cursor c;
	static const char *const bad[] = { "", "A", "!!!!", "AQAB=", "AQA+", "AQA/", "AgAB",
		"AQIB", "AA", "AQ" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(query_cursor_decode(bad[i], strlen(bad[i]), &c), PD_EMALF);
	assert_int_equal(query_cursor_decode("AQAB", 4, &c), 0);
	assert_int_equal(c.len, 1);
	char longtext[2000];
	memset(longtext, 'A', sizeof(longtext));
	assert_int_equal(query_cursor_decode(longtext, sizeof(longtext), &c), PD_EMALF);
}

static void limited_only_when_more_rows_match(void **state)
{
	struct fx *f = *state;
	static struct query q;
	static struct query_outcome out;
	put_a(f, "a.zone.test", 1, 1);
	put_a(f, "b.zone.test", 2, 2);
	put_a(f, "c.zone.test", 3, 3);
	put(f, "d.zone.test", PD_T_TXT, (const uint8_t *)"\003abc", 4, 4);
	query_init(&q, Q_RRSET, "zone.test");
	q.type = PD_T_A;
	q.limit = 3;
	struct rows r = { 0 };
	assert_int_equal(query_run(f->st, &q, collect, &r, &out), 0);
	assert_int_equal(out.result, QR_COMPLETE); /* the TXT after them does not match */
	assert_int_equal(r.n, 3);
	assert_int_equal(out.cursor_len, 0);
	q.limit = 2;
	memset(&r, 0, sizeof(r));
	assert_int_equal(query_run(f->st, &q, collect, &r, &out), 0);
	assert_int_equal(out.result, QR_LIMITED);
	assert_int_equal(r.n, 2);
	/* max_count: 1 + 2 reaches 3 */
	q.limit = 0;
	q.max_count = 3;
	assert_int_equal(query_run(f->st, &q, NULL, NULL, &out), 0);
	assert_int_equal(out.result, QR_LIMITED);
	assert_int_equal(out.count, 3);
	assert_int_equal(out.rows, 2);
	q.max_count = 7;
	assert_int_equal(query_run(f->st, &q, NULL, NULL, &out), 0);
	assert_int_equal(out.result, QR_COMPLETE);
	assert_int_equal(out.count, 6);
}

static void refused_row_comes_on_the_next_page(void **state)
{
	struct fx *f = *state;
	static struct query q;
	static struct query_outcome out;
	struct query_cursor c;
	char text[QUERY_CURSOR_TEXT];
	for (int i = 0; i < 5; i++) {
		char name[32];
		snprintf(name, sizeof(name), "h%d.zone.test", i);
		put_a(f, name, (uint8_t)i, (uint64_t)i + 1);
	}
	query_init(&q, Q_RRSET, "zone.test");
	struct rows r = { .refuse_at = 3 };
	assert_int_equal(query_run(f->st, &q, collect, &r, &out), 0);
	assert_int_equal(out.result, QR_LIMITED);
	assert_int_equal(r.n, 2);
	assert_true(query_cursor_encode(&out, text, sizeof(text)) > 0);
	assert_int_equal(query_cursor_decode(text, strlen(text), &c), 0);
	q.cursor = &c;
	struct rows r2 = { 0 };
	assert_int_equal(query_run(f->st, &q, collect, &r2, &out), 0);
	assert_int_equal(out.result, QR_COMPLETE);
	assert_int_equal(r2.n, 3);
	assert_int_equal(r2.counts[0], 3); /* the refused row, not the one after it */
}

static void rdata_name_scan_reports_a_tuple_once(void **state)
{
	struct fx *f = *state;
	static struct query q;
	static struct query_outcome out;
	uint8_t soa[600];
	size_t n = 0;
	int l = pd_dns_name_from_text("ns1.zone.test", 13, soa);
	n += (size_t)l;
	l = pd_dns_name_from_text("hostmaster.zone.test", 20, soa + n);
	n += (size_t)l;
	memset(soa + n, 0, 20);
	n += 20;
	put(f, "zone.test", PD_T_SOA, soa, n, 1);
	uint8_t other[600];
	size_t m = 0;
	l = pd_dns_name_from_text("ns1.zone.test", 13, other);
	m += (size_t)l;
	l = pd_dns_name_from_text("hostmaster.elsewhere.test", 25, other + m);
	m += (size_t)l;
	memset(other + m, 0, 20);
	m += 20;
	put(f, "elsewhere.test", PD_T_SOA, other, m, 2);
	query_init(&q, Q_RDATA_NAME, "zone.test");
	struct rows r = { 0 };
	assert_int_equal(query_run(f->st, &q, collect, &r, &out), 0);
	assert_int_equal(r.n, 2);
	/* walked one row per page: the same two */
	struct query_cursor c;
	char text[QUERY_CURSOR_TEXT];
	q.limit = 1;
	int pages = 0, rows = 0;
	do {
		struct rows p = { 0 };
		assert_int_equal(query_run(f->st, &q, collect, &p, &out), 0);
		rows += p.n;
		pages++;
		if (out.result == QR_LIMITED) {
			query_cursor_encode(&out, text, sizeof(text));
			assert_int_equal(query_cursor_decode(text, strlen(text), &c), 0);
			q.cursor = &c;
		}
	} while (out.result == QR_LIMITED && pages < 10);
	assert_int_equal(rows, 2);
	assert_int_equal(pages, 2);
	/* exact names do not need it: one entry per distinct name */
	q.wild = QW_NONE;
	q.cursor = NULL;
	q.limit = 0;
	memset(&r, 0, sizeof(r));
	assert_int_equal(query_run(f->st, &q, collect, &r, &out), 0);
	assert_int_equal(r.n, 0); /* nothing names zone.test itself */
}

static void walk_over_long_keys(void **state)
{
	struct fx *f = *state;
	static struct query q;
	static struct query_outcome out;
	static uint8_t rd[800];
	/* six tuples sharing their first 700 rdata bytes, around two others */
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = i % 256 == 0 ? 255 : 'x';
	put_a(f, "aaaa.zone.test", 1, 1);
	for (int i = 0; i < 6; i++) {
		rd[sizeof(rd) - 1] = (uint8_t)('a' + i);
		put(f, "long.zone.test", 65280, rd, sizeof(rd), (uint64_t)i + 10);
	}
	put_a(f, "zzzz.zone.test", 2, 99);
	query_init(&q, Q_RRSET, "zone.test");
	struct query_cursor c;
	char text[QUERY_CURSOR_TEXT];
	uint64_t seen[16];
	int rows = 0;
	for (uint64_t limit = 1; limit <= 3; limit++) {
		q.limit = limit;
		q.cursor = NULL;
		rows = 0;
		do {
			struct rows p = { 0 };
			assert_int_equal(query_run(f->st, &q, collect, &p, &out), 0);
			for (int i = 0; i < p.n && rows < 16; i++)
				seen[rows++] = p.counts[i];
			if (out.result == QR_LIMITED) {
				assert_true(query_cursor_encode(&out, text, sizeof(text)) > 0);
				assert_int_equal(query_cursor_decode(text, strlen(text), &c), 0);
				q.cursor = &c;
			}
		} while (out.result == QR_LIMITED && rows < 16);
		assert_int_equal(rows, 8);
		assert_int_equal(seen[0], 1);
		for (int i = 0; i < 6; i++)
			assert_int_equal(seen[1 + i], 10 + (uint64_t)i);
		assert_int_equal(seen[7], 99);
	}
}

/* Rows that take their time: 50 us each. */
struct slow_rows {
	int n;
	uint8_t seen[2048];
};

static int collect_slowly(void *ctx, const struct pd_obs *o, const struct rec_val *v)
{
	struct slow_rows *r = ctx;
	(void)v;
	struct timespec ts = { 0, 50000 };
	nanosleep(&ts, NULL);
	assert_true(o->count >= 1 && o->count <= sizeof(r->seen));
	r->seen[o->count - 1]++;
	r->n++;
	return 0;
}

static void spent_budget_says_timeout_and_resumes(void **state)
{
	struct fx *f = *state;
	static struct query q;
	static struct query_outcome out;
	enum { N = 1000 };
	for (int i = 0; i < N; i++) {
		char name[32];
		snprintf(name, sizeof(name), "h%04d.zone.test", i);
		put_a(f, name, (uint8_t)i, (uint64_t)i + 1);
	}
	query_init(&q, Q_RRSET, "zone.test");
	q.budget_ms = 1;
	struct query_cursor c;
	char text[QUERY_CURSOR_TEXT];
	static struct slow_rows r;
	int pages = 0, timeouts = 0;
	do {
		int before = r.n;
		assert_int_equal(query_run(f->st, &q, collect_slowly, &r, &out), 0);
		assert_true(r.n > before); /* every page moves on */
		pages++;
		if (out.result == QR_TIMEOUT) {
			timeouts++;
			assert_true(query_cursor_encode(&out, text, sizeof(text)) > 0);
			assert_int_equal(query_cursor_decode(text, strlen(text), &c), 0);
			q.cursor = &c;
		}
	} while (out.result == QR_TIMEOUT && pages < N);
	assert_int_equal(out.result, QR_COMPLETE);
	assert_true(timeouts >= 2);
	assert_int_equal(r.n, N);
	for (int i = 0; i < N; i++)
		assert_int_equal(r.seen[i], 1);
}

/* How each API says a spent budget: a header, and DNSDB's SAF line. */
static void timeout_is_said_in_both_framings(void **state)
{
	(void)state;
	static struct query q;
	static struct query_outcome out;
	query_init(&q, Q_RRSET, "zone.test");
	out.result = QR_TIMEOUT;
	out.cursor_len = 3;
	memcpy(out.cursor, "abc", 3);
	for (int dnsdb = 0; dnsdb <= 1; dnsdb++) {
		struct pd_buf body;
		static struct api_resp rs;
		struct apiout ao;
		memset(&rs, 0, sizeof(rs));
		pd_buf_init(&body, 1u << 20);
		rs.body = &body;
		apiout_init(&ao, &rs, NULL, &q, dnsdb, 0, 1u << 20);
		apiout_end(&ao, &out);
		apiout_fini(&ao);
		int result = 0, cursor = 0;
		for (size_t i = 0; i < rs.nhdr; i++) {
			if (strcmp(rs.hdr_name[i], "X-Almanac-Result") == 0)
				result = strcmp(rs.hdr_value[i], "timeout") == 0;
			if (strcmp(rs.hdr_name[i], "X-Almanac-Cursor") == 0)
				cursor = 1;
		}
		assert_true(result);
		assert_int_equal(cursor, !dnsdb); /* DNSDB clients page with offset */
		pd_buf_addc(&body, 0);
		if (dnsdb)
			assert_string_equal((const char *)body.data,
			                    "{\"cond\":\"begin\"}\n"
			                    "{\"cond\":\"limited\",\"msg\":\"Query time limit exceeded\"}\n");
		else
			assert_string_equal((const char *)body.data, "");
		pd_buf_fini(&body);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cursor_short_and_long_round_trip),
		cmocka_unit_test(cursor_decode_is_strict),
		cmocka_unit_test_setup_teardown(limited_only_when_more_rows_match, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_row_comes_on_the_next_page, setup, teardown),
		cmocka_unit_test_setup_teardown(rdata_name_scan_reports_a_tuple_once, setup, teardown),
		cmocka_unit_test_setup_teardown(walk_over_long_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(spent_budget_says_timeout_and_resumes, setup, teardown),
		cmocka_unit_test(timeout_is_said_in_both_framings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
