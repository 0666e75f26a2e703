/*
 * Unit tests for pd_batch: round trips, every malformation, bounded decoding.
 * PD_BATCH_CORPUS=DIR writes the fuzz seeds (tests/fuzz/corpus/batch);
 * PD_BENCH=1 prints encode/decode speed on 1000-obs batches.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "pd_batch.h"
#include "pd_err.h"
#include "pd_mpack.h"

static const uint8_t sid[PD_BATCH_STREAM_ID_LEN] = "0123456789abcdef";
static const uint8_t www[] = "\3www\7example\3com"; /* with its NUL: the root */
static uint8_t rdata_big[65535 + 64];

/* A varied observation i: positive or negative, rdata of several sizes. */
static void make_obs(struct pd_obs *o, size_t i)
{
	static const size_t rdlens[] = { 4, 16, 0, 300, 1 };
	memset(o, 0, sizeof(*o));
	o->name = www;
	o->name_len = sizeof(www);
	o->type = (uint16_t)(i * 37);
	if (i % 7 == 3) {
		o->flags = PD_OBS_NXDOMAIN;
	} else {
		o->rdlen = i == 500 ? 65535 : rdlens[i % 5];
		o->rdata = o->rdlen ? rdata_big + i % 64 : NULL;
	}
	o->count = i == 1 ? UINT64_MAX : i + 1;
	o->first_s = (int64_t)i * 1000 - 500000;
	o->last_s = i == 2 ? INT64_MAX : o->first_s + (int64_t)i;
}

static void encode(struct pd_buf *body, size_t n_obs, enum pd_batch_kind kind)
{
	struct pd_batch_enc e;
	pd_batch_enc_init(&e, 64u << 20, 0);
	assert_int_equal(pd_batch_enc_begin(&e, sid, 42, 40, -1700000000, kind), 0);
	assert_int_equal(pd_batch_enc_health_u64(&e, "packets_seen", 123456789012ull), 0);
	for (size_t i = 0; i < n_obs; i++) {
		struct pd_obs o;
		make_obs(&o, i);
		assert_int_equal(pd_batch_enc_obs(&e, &o), 0);
	}
	assert_int_equal(pd_batch_enc_health_str(&e, "version", "0.1.0", 5), 0);
	assert_int_equal(pd_batch_enc_health_str(&e, "empty", "", 0), 0);
	assert_int_equal(pd_batch_enc_health_u64(&e, "packets_seen", 7), 0); /* last wins */
	assert_true(pd_batch_enc_size(&e) >= e.obs.len + e.health.len);
	assert_int_equal(pd_batch_enc_end(&e, body), 0);
	assert_true(body->len <= pd_batch_enc_size(&e));
	pd_batch_enc_fini(&e);
}

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rdata_big); i++)
		rdata_big[i] = (uint8_t)(i * 131 + 7);
	struct pd_buf body;
	pd_buf_init(&body, 64u << 20);
	encode(&body, 1000, PD_BATCH_DATA);
	struct pd_batch b;
	pd_batch_init(&b);
	assert_int_equal(pd_batch_decode(body.data, body.len, NULL, &b), 0);
	assert_memory_equal(b.stream_id, sid, sizeof(sid));
	assert_true(b.seq == 42 && b.floor_seq == 40 && b.sent_at_s == -1700000000);
	assert_int_equal(b.kind, PD_BATCH_DATA);
	assert_int_equal(b.n_obs, 1000);
	for (size_t i = 0; i < b.n_obs; i++) {
		struct pd_obs want;
		const struct pd_obs *got = &b.obs[i];
		make_obs(&want, i);
		assert_int_equal(got->name_len, want.name_len);
		assert_memory_equal(got->name, want.name, want.name_len);
		assert_true(got->name >= body.data && got->name < body.data + body.len);
		assert_int_equal(got->type, want.type);
		assert_int_equal(got->flags, want.flags);
		assert_int_equal(got->rdlen, want.rdlen);
		if (want.rdlen)
			assert_memory_equal(got->rdata, want.rdata, want.rdlen);
		else
			assert_null(got->rdata);
		assert_true(got->count == want.count);
		assert_true(got->first_s == want.first_s && got->last_s == want.last_s);
	}
	assert_int_equal(b.n_health, 4);
	const struct pd_batch_health *h = pd_batch_health_find(&b, "packets_seen");
	assert_non_null(h);
	assert_false(h->is_str);
	assert_true(h->u == 7);
	h = pd_batch_health_find(&b, "version");
	assert_true(h && h->is_str && h->str_len == 5 && memcmp(h->str, "0.1.0", 5) == 0);
	h = pd_batch_health_find(&b, "empty");
	assert_true(h && h->is_str && h->str_len == 0);
	assert_null(pd_batch_health_find(&b, "missing"));

	/* The same struct decodes again without growing; a heartbeat has no obs. */
	struct pd_obs *arr = b.obs;
	pd_buf_reset(&body);
	encode(&body, 0, PD_BATCH_HEARTBEAT);
	assert_int_equal(pd_batch_decode(body.data, body.len, NULL, &b), 0);
	assert_int_equal(b.kind, PD_BATCH_HEARTBEAT);
	assert_int_equal(b.n_obs, 0);
	assert_ptr_equal(b.obs, arr);
	pd_batch_fini(&b);
	pd_buf_fini(&body);
}

static void test_envelope(void **state)
{
	(void)state;
	struct pd_buf body, env;
	pd_buf_init(&body, 1 << 20);
	pd_buf_init(&env, 1 << 20);
	encode(&body, 3, PD_BATCH_DATA);
	static const uint8_t cert[] = "CERT", sig[] = "SIGNATURE";
	assert_int_equal(pd_batch_seal(&env, body.data, body.len, cert, 4, sig, 9), 0);
	struct pd_batch_env v;
	assert_int_equal(pd_batch_open(env.data, env.len, &v), 0);
	assert_int_equal(v.body_len, body.len);
	assert_memory_equal(v.body, body.data, body.len);
	assert_true(v.cert_len == 4 && memcmp(v.cert, cert, 4) == 0);
	assert_true(v.sig_len == 9 && memcmp(v.sig, sig, 9) == 0);
	/* Seal refuses what open would refuse. */
	assert_int_equal(pd_batch_seal(&env, body.data, body.len, cert, 0, sig, 9), PD_ELIMIT);
	assert_int_equal(pd_batch_seal(&env, body.data, body.len, cert, 4, sig,
	                               PD_BATCH_SIG_MAX + 1), PD_ELIMIT);
	/* Every truncation and one trailing byte are malformed. */
	for (size_t cut = 0; cut < env.len; cut++)
		assert_int_equal(pd_batch_open(env.data, cut, &v), PD_EMALF);
	pd_buf_addc(&env, 0);
	assert_int_equal(pd_batch_open(env.data, env.len, &v), PD_EMALF);
	assert_null(v.body);
	pd_buf_fini(&body);
	pd_buf_fini(&env);
}

static void test_envelope_bad(void **state)
{
	(void)state;
	struct pd_buf m;
	struct pd_batch_env v;
	pd_buf_init(&m, 1 << 20);
	/* version 2 with another shape: PD_EVERSION, not PD_EMALF */
	pd_mpack_write_array(&m, 2);
	pd_mpack_write_uint(&m, 2);
	pd_mpack_write_str(&m, "future", 6);
	assert_int_equal(pd_batch_open(m.data, m.len, &v), PD_EVERSION);
	/* version 1 with 3 elements */
	pd_buf_reset(&m);
	pd_mpack_write_array(&m, 3);
	pd_mpack_write_uint(&m, 1);
	pd_mpack_write_bin(&m, "b", 1);
	pd_mpack_write_bin(&m, "c", 1);
	assert_int_equal(pd_batch_open(m.data, m.len, &v), PD_EMALF);
	/* version as a string, empty array, empty signature, oversized cert */
	static const uint8_t strver[] = { 0x94, 0xa1, '1', 0xc4, 0, 0xc4, 1, 'c', 0xc4, 1, 's' };
	static const uint8_t empty[] = { 0x90 };
	static const uint8_t nosig[] = { 0x94, 0x01, 0xc4, 0, 0xc4, 1, 'c', 0xc4, 0 };
	assert_int_equal(pd_batch_open(strver, sizeof(strver), &v), PD_EMALF);
	assert_int_equal(pd_batch_open(empty, sizeof(empty), &v), PD_EMALF);
	assert_int_equal(pd_batch_open(nosig, sizeof(nosig), &v), PD_EMALF);
	pd_buf_reset(&m);
	static uint8_t bigcert[PD_BATCH_CERT_MAX + 1];
	pd_mpack_write_array(&m, 4);
	pd_mpack_write_uint(&m, 1);
	pd_mpack_write_bin(&m, "", 0);
	pd_mpack_write_bin(&m, bigcert, sizeof(bigcert));
	pd_mpack_write_bin(&m, "s", 1);
	assert_int_equal(pd_batch_open(m.data, m.len, &v), PD_ELIMIT);
	/* a bin header declaring 4 GiB in a 12-byte message */
	static const uint8_t huge[] = { 0x94, 0x01, 0xc6, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0 };
	assert_int_equal(pd_batch_open(huge, sizeof(huge), &v), PD_EMALF);
	pd_buf_fini(&m);
}

static void test_reply(void **state)
{
	(void)state;
	struct pd_buf m;
	struct pd_batch_reply r;
	pd_buf_init(&m, 4096);
	assert_int_equal(pd_batch_reply_encode(&m, 42, 0, NULL), 0);
	assert_int_equal(pd_batch_reply_decode(m.data, m.len, &r), 0);
	assert_true(r.seq == 42 && r.status == 0 && r.msg == NULL && r.msg_len == 0);
	pd_buf_reset(&m);
	char longmsg[400];
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = 0;
	assert_int_equal(pd_batch_reply_encode(&m, UINT64_MAX, PD_EAUTH, longmsg), 0);
	assert_int_equal(pd_batch_reply_decode(m.data, m.len, &r), 0);
	assert_true(r.seq == UINT64_MAX && r.status == PD_EAUTH);
	assert_int_equal(r.msg_len, PD_BATCH_MSG_MAX);
	for (size_t cut = 0; cut < m.len; cut++)
		assert_int_equal(pd_batch_reply_decode(m.data, cut, &r), PD_EMALF);
	assert_int_equal(pd_batch_reply_encode(&m, 1, 5, "x"), PD_EUSAGE);

	static const uint8_t positive[] = { 0x94, 0x01, 0x01, 0x05, 0xa0 };
	static const uint8_t v2[] = { 0x92, 0x02, 0x01 };
	static const uint8_t arity3[] = { 0x93, 0x01, 0x01, 0x00 };
	static const uint8_t big_status[] = { 0x94, 0x01, 0x01, 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0,
		0xa0 };
	static const uint8_t bin_msg[] = { 0x94, 0x01, 0x01, 0x00, 0xc4, 0x00 };
	assert_int_equal(pd_batch_reply_decode(positive, sizeof(positive), &r), PD_EMALF);
	assert_int_equal(pd_batch_reply_decode(v2, sizeof(v2), &r), PD_EVERSION);
	assert_int_equal(pd_batch_reply_decode(arity3, sizeof(arity3), &r), PD_EMALF);
	assert_int_equal(pd_batch_reply_decode(big_status, sizeof(big_status), &r), PD_EMALF);
	assert_int_equal(pd_batch_reply_decode(bin_msg, sizeof(bin_msg), &r), PD_EMALF);
	pd_buf_reset(&m);
	pd_mpack_write_array(&m, 4);
	pd_mpack_write_uint(&m, 1);
	pd_mpack_write_uint(&m, 1);
	pd_mpack_write_int(&m, 0);
	pd_mpack_write_str(&m, longmsg, PD_BATCH_MSG_MAX + 1);
	assert_int_equal(pd_batch_reply_decode(m.data, m.len, &r), PD_ELIMIT);
	pd_buf_fini(&m);
}

/* Hand-built bodies, each wrong in exactly one place. */
enum variant {
	V_OK, V_ARITY6, V_ARITY8, V_SID15, V_SEQ0, V_SEQ_NEG, V_FLOOR0, V_FLOOR_GT_SEQ,
	V_SENT_STR, V_KIND2, V_HEARTBEAT_OBS, V_OBS_MAP, V_OBS_ARITY6, V_OBS_ARITY8,
	V_NAME_EMPTY, V_NAME_NOROOT, V_NAME_LABEL64, V_NAME_UPPER, V_NAME_AFTER_ROOT,
	V_NAME_256, V_NAME_STR, V_NAME_NESTED, V_TYPE_65536, V_FLAGS_2, V_NX_RDATA,
	V_RDATA_65536, V_COUNT0, V_FIRST_GT_LAST, V_LAST_U64, V_HEALTH_ARRAY, V_HKEY_EMPTY,
	V_HKEY_UPPER, V_HKEY_65, V_HKEY_BIN, V_HVAL_NEG, V_HVAL_NIL, V_HVAL_STR257,
	V_HEALTH_257, V_TRAILING, V_OBS_OVER_LIMIT, V_COUNT
};

static const int expect[V_COUNT] = {
	[V_HVAL_STR257] = PD_ELIMIT, [V_HEALTH_257] = PD_ELIMIT, [V_OBS_OVER_LIMIT] = PD_ELIMIT,
};

static void put_name(struct pd_buf *b, enum variant v)
{
	uint8_t n[300];
	size_t len = sizeof(www);
	memcpy(n, www, len);
	switch (v) {
	case V_NAME_EMPTY: len = 0; break;
	case V_NAME_NOROOT: len -= 1; break;
	case V_NAME_LABEL64:
		n[0] = 64;
		memset(n + 1, 'a', 64);
		n[65] = 0;
		len = 66;
		break;
	case V_NAME_UPPER: n[1] = 'W'; break;
	case V_NAME_AFTER_ROOT: n[len++] = 0; break;
	case V_NAME_256:
		for (len = 0; len < 250; len += 50) {
			n[len] = 49;
			memset(n + len + 1, 'a', 49);
		}
		memcpy(n + len, "\4abcd", 6); /* with the root: 256 bytes */
		len += 6;
		break;
	case V_NAME_STR: pd_mpack_write_str(b, "www", 3); return;
	case V_NAME_NESTED:
		pd_mpack_write_array(b, 1);
		pd_mpack_write_bin(b, n, len);
		return;
	default: break;
	}
	pd_mpack_write_bin(b, n, len);
}

static void put_obs(struct pd_buf *b, enum variant v)
{
	static uint8_t rd[65536];
	int nx = v == V_NX_RDATA;
	pd_mpack_write_array(b, v == V_OBS_ARITY6 ? 6 : v == V_OBS_ARITY8 ? 8 : 7);
	put_name(b, v);
	pd_mpack_write_uint(b, v == V_TYPE_65536 ? 65536 : 1);
	pd_mpack_write_uint(b, v == V_FLAGS_2 ? 2 : nx ? PD_OBS_NXDOMAIN : 0);
	pd_mpack_write_bin(b, rd, v == V_RDATA_65536 ? 65536 : 4);
	pd_mpack_write_uint(b, v == V_COUNT0 ? 0 : 3);
	pd_mpack_write_int(b, v == V_FIRST_GT_LAST ? 101 : 100);
	if (v == V_LAST_U64)
		pd_mpack_write_uint(b, (uint64_t)INT64_MAX + 1);
	else
		pd_mpack_write_int(b, 100);
	if (v == V_OBS_ARITY8)
		pd_mpack_write_nil(b);
}

static void put_health(struct pd_buf *b, enum variant v)
{
	static char s257[257];
	memset(s257, 'a', sizeof(s257));
	if (v == V_HEALTH_ARRAY) {
		pd_mpack_write_array(b, 0);
		return;
	}
	uint32_t n = v == V_HEALTH_257 ? 257 : 2;
	pd_mpack_write_map(b, n);
	for (uint32_t i = 0; i + 1 < n; i++) {
		pd_mpack_write_str(b, "packets_seen", 12);
		pd_mpack_write_uint(b, i);
	}
	switch (v) {
	case V_HKEY_EMPTY: pd_mpack_write_str(b, "", 0); break;
	case V_HKEY_UPPER: pd_mpack_write_str(b, "Version", 7); break;
	case V_HKEY_65: pd_mpack_write_str(b, s257, 65); break;
	case V_HKEY_BIN: pd_mpack_write_bin(b, "version", 7); break;
	default: pd_mpack_write_str(b, "version", 7); break;
	}
	switch (v) {
	case V_HVAL_NEG: pd_mpack_write_int(b, -1); break;
	case V_HVAL_NIL: pd_mpack_write_nil(b); break;
	case V_HVAL_STR257: pd_mpack_write_str(b, s257, 257); break;
	default: pd_mpack_write_str(b, s257, 256); break;
	}
}

static void build(struct pd_buf *b, enum variant v)
{
	pd_buf_reset(b);
	pd_mpack_write_array(b, v == V_ARITY6 ? 6 : v == V_ARITY8 ? 8 : 7);
	pd_mpack_write_bin(b, sid, v == V_SID15 ? 15 : 16);
	if (v == V_SEQ_NEG)
		pd_mpack_write_int(b, -5);
	else
		pd_mpack_write_uint(b, v == V_SEQ0 ? 0 : 10);
	pd_mpack_write_uint(b, v == V_FLOOR0 ? 0 : v == V_FLOOR_GT_SEQ ? 11 : 10);
	if (v == V_SENT_STR)
		pd_mpack_write_str(b, "now", 3);
	else
		pd_mpack_write_int(b, 1700000000);
	pd_mpack_write_uint(b, v == V_KIND2 ? 2 : v == V_HEARTBEAT_OBS ? 1 : 0);
	if (v == V_OBS_MAP) {
		pd_mpack_write_map(b, 0);
	} else {
		pd_mpack_write_array(b, 2);
		put_obs(b, V_OK);
		put_obs(b, v);
	}
	if (v != V_ARITY6)
		put_health(b, v);
	if (v == V_ARITY8 || v == V_TRAILING)
		pd_mpack_write_nil(b);
}

static void test_malformed(void **state)
{
	(void)state;
	struct pd_buf body;
	struct pd_batch b;
	pd_buf_init(&body, 1 << 20);
	pd_batch_init(&b);
	for (int v = 0; v < V_COUNT; v++) {
		struct pd_batch_limits lim = { .max_obs = v == V_OBS_OVER_LIMIT ? 1 : 0 };
		int want = v == V_OK ? 0 : expect[v] ? expect[v] : PD_EMALF;
		build(&body, (enum variant)v);
		int rc = pd_batch_decode(body.data, body.len, &lim, &b);
		if (rc != want)
			fail_msg("variant %d: got %d (%s), want %d", v, rc, pd_strerror(rc), want);
		if (rc == 0)
			assert_int_equal(b.n_obs, 2);
		else
			assert_true(b.n_obs == 0 && b.n_health == 0);
	}
	/* Every proper prefix of the good body is malformed, with exact-size copies. */
	build(&body, V_OK);
	for (size_t cut = 0; cut < body.len; cut++) {
		uint8_t *exact = malloc(cut ? cut : 1);
		memcpy(exact, body.data, cut);
		assert_int_equal(pd_batch_decode(exact, cut, NULL, &b), PD_EMALF);
		free(exact);
	}
	pd_batch_fini(&b);
	pd_buf_fini(&body);
}

/* Declared counts are never trusted: nothing is allocated from a header. */
static void test_huge_counts(void **state)
{
	(void)state;
	struct pd_batch b;
	pd_batch_init(&b);
	/* 10 bytes declaring 2^32 - 1 elements, as a body and as its obs array */
	static const uint8_t tiny[10] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0 };
	assert_int_equal(pd_batch_decode(tiny, sizeof(tiny), NULL, &b), PD_EMALF);
	struct pd_buf m;
	pd_buf_init(&m, 1 << 20);
	pd_mpack_write_array(&m, 7);
	pd_mpack_write_bin(&m, sid, 16);
	pd_mpack_write_uint(&m, 1);
	pd_mpack_write_uint(&m, 1);
	pd_mpack_write_int(&m, 0);
	pd_mpack_write_uint(&m, 0);
	size_t head = m.len;
	pd_mpack_write_array(&m, UINT32_MAX);
	pd_buf_add(&m, tiny, sizeof(tiny));
	struct pd_batch_limits lim = { .max_obs = UINT32_MAX };
	clock_t t0 = clock();
	assert_int_equal(pd_batch_decode(m.data, m.len, &lim, &b), PD_EMALF);
	assert_int_equal(b.obs_cap, 0);
	/* A count the bytes could hold at 11 bytes per obs, but made of nils:
	 * the structural walk refuses it before anything is allocated. */
	m.len = head;
	pd_mpack_write_array(&m, 10000);
	for (int i = 0; i < 11 * 10000 + 100; i++)
		pd_mpack_write_nil(&m);
	assert_int_equal(pd_batch_decode(m.data, m.len, &lim, &b), PD_EMALF);
	assert_int_equal(b.obs_cap, 0);
	/* Elements that are arrays of 7 nested arrays are refused the same way. */
	m.len = head;
	pd_mpack_write_array(&m, 1000);
	for (int i = 0; i < 1000; i++) {
		pd_mpack_write_array(&m, 7);
		for (int j = 0; j < 7; j++) {
			pd_mpack_write_array(&m, 1);
			pd_mpack_write_nil(&m);
		}
	}
	pd_mpack_write_map(&m, 0);
	assert_int_equal(pd_batch_decode(m.data, m.len, &lim, &b), PD_EMALF);
	assert_int_equal(b.obs_cap, 0);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
	pd_buf_fini(&m);
	pd_batch_fini(&b);
}

static void test_encoder_rules(void **state)
{
	(void)state;
	struct pd_batch_enc e;
	struct pd_obs o;
	pd_batch_enc_init(&e, 100, 0);
	assert_int_equal(pd_batch_enc_begin(&e, sid, 5, 6, 0, PD_BATCH_DATA), PD_EMALF);
	assert_int_equal(pd_batch_enc_begin(&e, sid, 0, 0, 0, PD_BATCH_DATA), PD_EMALF);
	assert_int_equal(pd_batch_enc_begin(&e, sid, 5, 5, 0, (enum pd_batch_kind)2), PD_EMALF);
	assert_int_equal(pd_batch_enc_begin(&e, sid, 5, 1, 0, PD_BATCH_DATA), 0);
	make_obs(&o, 0);
	o.count = 0;
	assert_int_equal(pd_batch_enc_obs(&e, &o), PD_EMALF);
	make_obs(&o, 3); /* NXDOMAIN */
	o.rdlen = 1;
	o.rdata = www;
	assert_int_equal(pd_batch_enc_obs(&e, &o), PD_EMALF);
	assert_int_equal(pd_batch_enc_health_u64(&e, "Bad-Key", 1), PD_EMALF);
	assert_int_equal(pd_batch_enc_health_str(&e, "k", "x", 257), PD_ELIMIT);
	/* 100 bytes hold two obs of 39; the third is refused, not half-added. */
	make_obs(&o, 0);
	size_t added = 0;
	int rc;
	while ((rc = pd_batch_enc_obs(&e, &o)) == 0)
		added++;
	assert_int_equal(rc, PD_ELIMIT);
	assert_int_equal(added, 2);
	struct pd_buf body;
	struct pd_batch b;
	pd_buf_init(&body, 4096);
	pd_batch_init(&b);
	assert_int_equal(pd_batch_enc_end(&e, &body), 0);
	assert_int_equal(pd_batch_decode(body.data, body.len, NULL, &b), 0);
	assert_int_equal(b.n_obs, added);
	/* A heartbeat refuses obs; the health map stops at 256 entries. */
	assert_int_equal(pd_batch_enc_begin(&e, sid, 6, 1, 0, PD_BATCH_HEARTBEAT), 0);
	assert_int_equal(pd_batch_enc_obs(&e, &o), PD_EMALF);
	for (int i = 0; i < PD_BATCH_HEALTH_MAX; i++)
		assert_int_equal(pd_batch_enc_health_u64(&e, "k", (uint64_t)i), 0);
	assert_int_equal(pd_batch_enc_health_u64(&e, "k", 1), PD_ELIMIT);
	pd_buf_reset(&body);
	assert_int_equal(pd_batch_enc_end(&e, &body), 0);
	assert_int_equal(pd_batch_decode(body.data, body.len, NULL, &b), 0);
	assert_int_equal(b.n_health, PD_BATCH_HEALTH_MAX);
	assert_true(pd_batch_health_find(&b, "k")->u == PD_BATCH_HEALTH_MAX - 1);
	pd_batch_fini(&b);
	pd_buf_fini(&body);
	pd_batch_enc_fini(&e);
	/* The obs count cap. */
	pd_batch_enc_init(&e, 1 << 20, 3);
	assert_int_equal(pd_batch_enc_begin(&e, sid, 1, 1, 0, PD_BATCH_DATA), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pd_batch_enc_obs(&e, &o), 0);
	assert_int_equal(pd_batch_enc_obs(&e, &o), PD_ELIMIT);
	pd_batch_enc_fini(&e);
}

static void write_file(const char *dir, const char *name, const struct pd_buf *b)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
	fclose(f);
}

/* The fuzz seeds: small valid envelopes, a bare body and replies. */
static void test_write_corpus(void **state)
{
	(void)state;
	const char *dir = getenv("PD_BATCH_CORPUS");
	if (!dir)
		skip();
	struct pd_buf body, m;
	pd_buf_init(&body, 1 << 20);
	pd_buf_init(&m, 1 << 20);
	static const uint8_t cert[] = { 0x30, 0x03, 0x02, 0x01, 0x01 }, sig[] = { 0x30, 0x00 };
	encode(&body, 8, PD_BATCH_DATA);
	write_file(dir, "body-8obs", &body);
	pd_batch_seal(&m, body.data, body.len, cert, sizeof(cert), sig, sizeof(sig));
	write_file(dir, "envelope-8obs", &m);
	pd_buf_reset(&body);
	pd_buf_reset(&m);
	encode(&body, 0, PD_BATCH_HEARTBEAT);
	pd_batch_seal(&m, body.data, body.len, cert, sizeof(cert), sig, sizeof(sig));
	write_file(dir, "envelope-heartbeat", &m);
	pd_buf_reset(&m);
	pd_batch_reply_encode(&m, 42, 0, "applied");
	write_file(dir, "reply-ok", &m);
	pd_buf_reset(&m);
	pd_batch_reply_encode(&m, 43, PD_ESTORE, "storage error, try later");
	write_file(dir, "reply-estore", &m);
	pd_buf_fini(&body);
	pd_buf_fini(&m);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_bench(void **state)
{
	(void)state;
	if (!getenv("PD_BENCH"))
		skip();
	enum { N = 1000, ROUNDS = 2000 };
	static uint8_t names[N][32];
	static struct pd_obs obs[N];
	for (size_t i = 0; i < N; i++) { /* like real traffic: distinct names, A records */
		int n = snprintf((char *)names[i] + 1, 30, "host%zu", i);
		names[i][0] = (uint8_t)n;
		memcpy(names[i] + 1 + n, "\7example\3com", 13);
		obs[i] = (struct pd_obs){ .name = names[i], .name_len = (size_t)n + 14,
			.rdata = (const uint8_t *)"\xc0\x00\x02\x01", .rdlen = 4, .type = 1,
			.count = i + 1, .first_s = 1700000000, .last_s = 1700000000 + (int64_t)i };
	}
	struct pd_batch_enc e;
	struct pd_buf body;
	struct pd_batch b;
	pd_batch_enc_init(&e, 64u << 20, 0);
	pd_buf_init(&body, 64u << 20);
	pd_batch_init(&b);
	double t0 = now_s();
	for (int r = 0; r < ROUNDS; r++) {
		pd_batch_enc_begin(&e, sid, (uint64_t)r + 1, 1, 0, PD_BATCH_DATA);
		for (size_t i = 0; i < N; i++)
			pd_batch_enc_obs(&e, &obs[i]);
		pd_batch_enc_health_u64(&e, "packets_seen", 1);
		pd_buf_reset(&body);
		pd_batch_enc_end(&e, &body);
	}
	double t1 = now_s();
	for (int r = 0; r < ROUNDS; r++) {
		pd_batch_fini(&b); /* worst case: the pre-walk and allocation every time */
		assert_int_equal(pd_batch_decode(body.data, body.len, NULL, &b), 0);
	}
	double t2 = now_s();
	for (int r = 0; r < ROUNDS; r++)
		assert_int_equal(pd_batch_decode(body.data, body.len, NULL, &b), 0);
	double t3 = now_s();
	printf("bench: %d obs, %zu bytes per body\n", N, body.len);
	printf("bench: encode %.2f M obs/s\n", N * ROUNDS / (t1 - t0) / 1e6);
	printf("bench: decode (fresh struct) %.2f M obs/s\n", N * ROUNDS / (t2 - t1) / 1e6);
	printf("bench: decode (reused struct) %.2f M obs/s\n", N * ROUNDS / (t3 - t2) / 1e6);
	pd_batch_fini(&b);
	pd_buf_fini(&body);
	pd_batch_enc_fini(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_envelope_bad),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_huge_counts),
		cmocka_unit_test(test_encoder_rules),
		cmocka_unit_test(test_write_corpus),
		cmocka_unit_test(test_bench),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
