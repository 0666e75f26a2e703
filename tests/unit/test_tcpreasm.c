/* Unit tests for tcpreasm: splits, coalescing, reordering, retransmission,
 * caps and timeouts; each DNS message must come out exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tcpreasm.h"

#define MAXMSG 16

struct sink {
	size_t n;
	size_t len[MAXMSG];
	uint8_t first[MAXMSG];
};

static void on_msg(void *ctx, const uint8_t *msg, size_t len)
{
	struct sink *s = ctx;
	if (s->n < MAXMSG) {
		s->len[s->n] = len;
		s->first[s->n] = len ? msg[0] : 0;
	}
	s->n++;
}

/* A stream of three length-prefixed messages of 30, 300 and 5 bytes whose
 * bytes all equal the message number. */
static uint8_t stream[2 + 30 + 2 + 300 + 2 + 5];

static int setup(void **state)
{
	size_t p = 0;
	const size_t lens[] = { 30, 300, 5 };
	for (int m = 0; m < 3; m++) {
		stream[p++] = (uint8_t)(lens[m] >> 8);
		stream[p++] = (uint8_t)lens[m];
		memset(stream + p, m + 1, lens[m]);
		p += lens[m];
	}
	*state = NULL;
	return 0;
}

static struct tcp_key key(uint16_t sport)
{
	struct tcp_key k;
	memset(&k, 0, sizeof(k));
	k.family = 4;
	k.sport = sport;
	k.dport = 40000;
	return k;
}

#define ISN 0xfffffff0u /* wraps during the test */

static void seg(struct tcpreasm *r, uint16_t sport, size_t off, size_t len, uint8_t flags,
                int64_t t)
{
	struct tcp_key k = key(sport);
	tcpreasm_segment(r, &k, ISN + 1 + (uint32_t)off, flags, stream + off, len, t);
}

static void syn(struct tcpreasm *r, uint16_t sport)
{
	struct tcp_key k = key(sport);
	tcpreasm_segment(r, &k, ISN, TCP_SYN, NULL, 0, 1);
}

static void assert_three(const struct sink *s)
{
	assert_int_equal(s->n, 3);
	assert_int_equal(s->len[0], 30);
	assert_int_equal(s->first[0], 1);
	assert_int_equal(s->len[1], 300);
	assert_int_equal(s->first[1], 2);
	assert_int_equal(s->len[2], 5);
	assert_int_equal(s->first[2], 3);
}

static void test_one_segment_many_messages(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct sensor_stats st = { 0 };
	struct tcpreasm *r = tcpreasm_new(8, 1 << 20, 60, 1, &st, on_msg, &s);
	syn(r, 53);
	seg(r, 53, 0, sizeof(stream), 0, 1);
	assert_three(&s);
	assert_int_equal(st.v[ST_tcp_messages], 3);
	tcpreasm_free(r);
}

static void test_byte_by_byte(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct sensor_stats st = { 0 };
	struct tcpreasm *r = tcpreasm_new(8, 1 << 20, 60, 1, &st, on_msg, &s);
	syn(r, 53);
	for (size_t i = 0; i < sizeof(stream); i++)
		seg(r, 53, i, 1, 0, 1);
	assert_three(&s);
	tcpreasm_free(r);
}

static void test_reordered_and_retransmitted(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct sensor_stats st = { 0 };
	struct tcpreasm *r = tcpreasm_new(8, 1 << 20, 60, 1, &st, on_msg, &s);
	syn(r, 53);
	/* Segments: A=[0,100) B=[100,200) C=[200,end) sent C, A, A again, B, C again. */
	seg(r, 53, 200, sizeof(stream) - 200, 0, 1);
	assert_int_equal(s.n, 0);
	seg(r, 53, 0, 100, 0, 1);
	assert_int_equal(s.n, 1);
	seg(r, 53, 0, 100, 0, 1);
	seg(r, 53, 100, 100, 0, 1);
	seg(r, 53, 200, sizeof(stream) - 200, 0, 1);
	/* A retransmission overlapping new data: only the new part counts. */
	assert_three(&s);
	assert_int_equal(st.v[ST_tcp_retransmitted_bytes], 100 + sizeof(stream) - 200);
	tcpreasm_free(r);
}

static void test_overlapping_segment(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct sensor_stats st = { 0 };
	struct tcpreasm *r = tcpreasm_new(8, 1 << 20, 60, 1, &st, on_msg, &s);
	syn(r, 53);
	seg(r, 53, 0, 150, 0, 1);
	seg(r, 53, 100, sizeof(stream) - 100, 0, 1); /* re-sends 50 bytes */
	assert_three(&s);
	assert_int_equal(st.v[ST_tcp_retransmitted_bytes], 50);
	tcpreasm_free(r);
}

static void test_midstream_start_and_fin(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct sensor_stats st = { 0 };
	struct tcpreasm *r = tcpreasm_new(8, 1 << 20, 60, 1, &st, on_msg, &s);
	/* No SYN seen: the first data starts the stream. */
	seg(r, 53, 0, 40, 0, 1);
	seg(r, 53, 40, sizeof(stream) - 40, TCP_FIN, 1);
	assert_three(&s);
	/* The FIN freed the stream: a new SYN on the same key starts afresh. */
	syn(r, 53);
	seg(r, 53, 0, 32, 0, 1);
	assert_int_equal(s.n, 4);
	tcpreasm_free(r);
}

static void test_directions_are_separate(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct sensor_stats st = { 0 };
	struct tcpreasm *r = tcpreasm_new(8, 1 << 20, 60, 1, &st, on_msg, &s);
	syn(r, 53);
	syn(r, 54);
	seg(r, 53, 0, 20, 0, 1);
	seg(r, 54, 0, 20, 0, 1);
	seg(r, 53, 20, 12, 0, 1);
	seg(r, 54, 20, 12, 0, 1);
	assert_int_equal(s.n, 2);
	tcpreasm_free(r);
}

static void test_stream_cap_evicts(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct sensor_stats st = { 0 };
	struct tcpreasm *r = tcpreasm_new(2, 1 << 20, 60, 1, &st, on_msg, &s);
	syn(r, 1);
	seg(r, 1, 0, 10, 0, 1);
	syn(r, 2);
	syn(r, 3); /* evicts stream 1 and its 10 pending bytes */
	assert_int_equal(st.v[ST_tcp_streams_evicted], 1);
	tcpreasm_free(r);
}

static void test_timeout_counts_pending(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct sensor_stats st = { 0 };
	struct tcpreasm *r = tcpreasm_new(8, 1 << 20, 60, 1, &st, on_msg, &s);
	syn(r, 53);
	seg(r, 53, 0, 10, 0, 1);
	tcpreasm_expire(r, 100);
	assert_int_equal(st.v[ST_tcp_streams_timeout], 1);
	assert_int_equal(tcpreasm_bytes(r), 0);
	tcpreasm_free(r);
}

static void test_memory_cap(void **state)
{
	(void)state;
	struct sink s = { 0 };
	struct sensor_stats st = { 0 };
	/* 64 KiB for everything: two streams each holding a pending big
	 * out-of-order segment cannot both stay. */
	static uint8_t big[40000];
	struct tcpreasm *r = tcpreasm_new(8, 64 * 1024, 60, 1, &st, on_msg, &s);
	struct tcp_key k1 = key(1), k2 = key(2);
	tcpreasm_segment(r, &k1, 100, TCP_SYN, NULL, 0, 1);
	tcpreasm_segment(r, &k2, 100, TCP_SYN, NULL, 0, 1);
	tcpreasm_segment(r, &k1, 1000, 0, big, sizeof(big), 1);
	tcpreasm_segment(r, &k2, 1000, 0, big, sizeof(big), 1);
	assert_true(tcpreasm_bytes(r) <= 64 * 1024);
	assert_true(st.v[ST_tcp_streams_evicted] + st.v[ST_tcp_ooo_dropped] >= 1);
	tcpreasm_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_segment_many_messages),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_reordered_and_retransmitted),
		cmocka_unit_test(test_overlapping_segment),
		cmocka_unit_test(test_midstream_start_and_fin),
		cmocka_unit_test(test_directions_are_separate),
		cmocka_unit_test(test_stream_cap_evicts),
		cmocka_unit_test(test_timeout_counts_pending),
		cmocka_unit_test(test_memory_cap),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
