/* Unit tests for ipreasm: order, duplicates, overlaps, caps, timeouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ipreasm.h"
#include "pd_err.h"

static uint8_t payload[3000];

static struct frag_key key_for(uint32_t id)
{
	struct frag_key k;
	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.proto = 17;
	k.src[0] = 10;
	k.dst[0] = 11;
	k.id = id;
	return k;
}

static int add(struct ipreasm *r, uint32_t id, uint32_t off, uint32_t len, int more, int64_t t,
               const uint8_t **out, size_t *outlen)
{
	struct frag_key k = key_for(id);
	struct frag f = { .off = off, .len = len, .more = more, .proto = 17, .data = payload + off };
	uint8_t proto;
	return ipreasm_add(r, &k, &f, t, out, outlen, &proto);
}

static int setup(void **state)
{
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	*state = NULL;
	return 0;
}

static void test_in_order_and_reverse(void **state)
{
	(void)state;
	struct sensor_stats st = { 0 };
	struct ipreasm *r = ipreasm_new(16, 1 << 20, 30, 1, &st);
	const uint8_t *out;
	size_t len;
	assert_int_equal(add(r, 1, 0, 1480, 1, 100, &out, &len), 0);
	assert_int_equal(add(r, 1, 1480, 1000, 0, 100, &out, &len), 1);
	assert_int_equal(len, 2480);
	assert_memory_equal(out, payload, 2480);
	/* Last fragment first, then a middle one, then the first. */
	assert_int_equal(add(r, 2, 1600, 400, 0, 100, &out, &len), 0);
	assert_int_equal(add(r, 2, 800, 800, 1, 100, &out, &len), 0);
	assert_int_equal(add(r, 2, 0, 800, 1, 100, &out, &len), 1);
	assert_int_equal(len, 2000);
	assert_memory_equal(out, payload, 2000);
	assert_int_equal(st.v[ST_frag_reassembled], 2);
	assert_int_equal(ipreasm_bytes(r), 0);
	ipreasm_free(r);
}

static void test_duplicate_ignored_conflict_dropped(void **state)
{
	(void)state;
	struct sensor_stats st = { 0 };
	struct ipreasm *r = ipreasm_new(16, 1 << 20, 30, 1, &st);
	const uint8_t *out;
	size_t len;
	assert_int_equal(add(r, 3, 0, 800, 1, 100, &out, &len), 0);
	assert_int_equal(add(r, 3, 0, 800, 1, 100, &out, &len), 0); /* exact duplicate */
	assert_int_equal(add(r, 3, 800, 200, 0, 100, &out, &len), 1);
	assert_int_equal(len, 1000);
	assert_memory_equal(out, payload, 1000);

	/* An overlap with different bytes drops the datagram. */
	assert_int_equal(add(r, 4, 0, 800, 1, 100, &out, &len), 0);
	struct frag_key k = key_for(4);
	uint8_t other[400];
	memset(other, 0xee, sizeof(other));
	struct frag f = { .off = 400, .len = 400, .more = 1, .proto = 17, .data = other };
	uint8_t proto;
	assert_int_equal(ipreasm_add(r, &k, &f, 100, &out, &len, &proto), PD_EMALF);
	assert_int_equal(st.v[ST_frag_overlap], 1);
	/* The rest of that datagram starts a new one that cannot complete. */
	assert_int_equal(add(r, 4, 800, 200, 0, 100, &out, &len), 0);
	/* Two different "last" lengths conflict too. */
	assert_int_equal(add(r, 4, 800, 208, 0, 100, &out, &len), PD_EMALF);
	assert_int_equal(st.v[ST_frag_overlap], 2);
	ipreasm_free(r);
}

static void test_bad_fragments(void **state)
{
	(void)state;
	struct sensor_stats st = { 0 };
	struct ipreasm *r = ipreasm_new(16, 1 << 20, 30, 1, &st);
	const uint8_t *out;
	size_t len;
	/* A non-final fragment must be a multiple of 8 bytes. */
	assert_int_equal(add(r, 5, 0, 801, 1, 100, &out, &len), PD_EMALF);
	/* Past 65535 bytes. */
	struct frag_key k = key_for(6);
	struct frag f = { .off = 65528, .len = 16, .more = 0, .proto = 17, .data = payload };
	uint8_t proto;
	assert_int_equal(ipreasm_add(r, &k, &f, 100, &out, &len, &proto), PD_EMALF);
	assert_int_equal(st.v[ST_malformed_ip], 2);
	ipreasm_free(r);
}

static void test_caps_and_timeout(void **state)
{
	(void)state;
	struct sensor_stats st = { 0 };
	/* Room for two pending datagrams. */
	struct ipreasm *r = ipreasm_new(2, 1 << 20, 30, 1, &st);
	const uint8_t *out;
	size_t len;
	assert_int_equal(add(r, 10, 0, 800, 1, 100, &out, &len), 0);
	assert_int_equal(add(r, 11, 0, 800, 1, 100, &out, &len), 0);
	assert_int_equal(add(r, 12, 0, 800, 1, 100, &out, &len), 0); /* evicts 10 */
	assert_int_equal(st.v[ST_frag_evicted], 1);
	assert_int_equal(add(r, 10, 800, 200, 0, 100, &out, &len), 0); /* 10 is gone; evicts 11 */
	assert_int_equal(add(r, 12, 800, 200, 0, 100, &out, &len), 1);
	/* Timeout: 30 s of packet time. */
	assert_int_equal(add(r, 13, 0, 800, 1, 200, &out, &len), 0);
	ipreasm_expire(r, 229);
	assert_int_equal(add(r, 13, 800, 200, 0, 229, &out, &len), 1);
	assert_int_equal(add(r, 14, 0, 800, 1, 300, &out, &len), 0);
	ipreasm_expire(r, 330);
	assert_int_equal(add(r, 14, 800, 200, 0, 330, &out, &len), 0);
	assert_true(st.v[ST_frag_timeout] >= 1);
	ipreasm_free(r);

	/* A byte cap smaller than two datagrams evicts the older one. */
	memset(&st, 0, sizeof(st));
	r = ipreasm_new(16, 4096, 30, 1, &st);
	assert_int_equal(add(r, 20, 0, 2400, 1, 100, &out, &len), 0);
	assert_int_equal(add(r, 21, 0, 2400, 1, 100, &out, &len), 0);
	assert_int_equal(st.v[ST_frag_evicted], 1);
	assert_true(ipreasm_bytes(r) <= 4096);
	ipreasm_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_and_reverse),
		cmocka_unit_test(test_duplicate_ignored_conflict_dropped),
		cmocka_unit_test(test_bad_fragments),
		cmocka_unit_test(test_caps_and_timeout),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
