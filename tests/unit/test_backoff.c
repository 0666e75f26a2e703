/* Unit tests for the sensor's send back-off: one round of failures per
 * outage however many sends were in flight, doubling per round up to the
 * cap, a floor for refusals, and a success ending it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "backoff.h"

/* 16 sends in flight fail together: the wait is one round's, 200 ms. */
static void test_failures_in_flight_are_one_round(void **state)
{
	(void)state;
	struct backoff b = { 0 };
	for (int i = 0; i < 16; i++)
		backoff_failed(&b, 1000, 5000 + (uint64_t)i, 0);
	assert_int_equal(b.wait_ms, BACKOFF_MIN_MS);
	assert_int_equal(b.retry_at_ms, 5000 + BACKOFF_MIN_MS);
}

/* Each round of sends made after the last wait doubles it, up to 30 s. */
static void test_rounds_double_up_to_the_cap(void **state)
{
	(void)state;
	struct backoff b = { 0 };
	uint64_t now = 1000;
	unsigned want = BACKOFF_MIN_MS;
	for (int round = 0; round < 12; round++) {
		uint64_t sent = b.retry_at_ms ? b.retry_at_ms : now;
		now = sent + 50;
		backoff_failed(&b, sent, now, 0);
		backoff_failed(&b, sent, now + 1, 0); /* a second send of the same round */
		assert_int_equal(b.wait_ms, want);
		assert_int_equal(b.retry_at_ms, now + want);
		want = want * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : want * 2;
	}
	assert_int_equal(b.wait_ms, BACKOFF_MAX_MS);
}

/* A refusal keeps sends back at least min_ms, even within a round. */
static void test_min_wait_holds(void **state)
{
	(void)state;
	struct backoff b = { 0 };
	backoff_failed(&b, 10, 100, 0);
	backoff_failed(&b, 10, 120, 60000);
	assert_int_equal(b.wait_ms, BACKOFF_MIN_MS);
	assert_int_equal(b.retry_at_ms, 120 + 60000);
	backoff_failed(&b, 20, 130, 0); /* a shorter later failure does not undo it */
	assert_int_equal(b.retry_at_ms, 120 + 60000);
}

/* A success ends the back-off; the next failure starts again at 200 ms. */
static void test_success_resets(void **state)
{
	(void)state;
	struct backoff b = { 0 };
	backoff_failed(&b, 0, 10, 0);
	backoff_failed(&b, 300, 310, 0);
	assert_int_equal(b.wait_ms, 2 * BACKOFF_MIN_MS);
	backoff_reset(&b);
	assert_int_equal(b.wait_ms, 0);
	assert_int_equal(b.retry_at_ms, 0);
	backoff_failed(&b, 200, 900, 0); /* sent before the last wait, but a new outage */
	assert_int_equal(b.wait_ms, BACKOFF_MIN_MS);
	assert_int_equal(b.retry_at_ms, 900 + BACKOFF_MIN_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failures_in_flight_are_one_round),
		cmocka_unit_test(test_rounds_double_up_to_the_cap),
		cmocka_unit_test(test_min_wait_holds),
		cmocka_unit_test(test_success_resets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
