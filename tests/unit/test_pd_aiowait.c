/* Unit tests for pd_aiowait: an operation that ends in time is waited for
 * as it is; one that nothing ends (a REQ send with no peer, the state in
 * which NNG 1.5.2 was seen to miss the aio's timeout) is cancelled at our
 * deadline, gives its message back, and leaves the aio reusable. Real NNG
 * sockets over inproc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pd_aiowait.h"
#include "pd_err.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static nng_msg *msg_of(const char *text)
{
	nng_msg *m;
	assert_int_equal(nng_msg_alloc(&m, 0), 0);
	assert_int_equal(nng_msg_append(m, text, strlen(text)), 0);
	return m;
}

static void test_in_time_is_waited_for(void **state)
{
	(void)state;
	struct pd_aiowait w;
	assert_int_equal(pd_aiowait_init(&w), 0);
	for (int i = 0; i < 3; i++) {
		uint64_t t0 = now_ms();
		nng_sleep_aio(50, w.aio);
		assert_int_equal(pd_aiowait_wait(&w, 10000), 0);
		uint64_t took = now_ms() - t0;
		assert_true(took >= 45 && took < 5000);
		assert_int_equal(nng_aio_result(w.aio), 0);
	}
	pd_aiowait_fini(&w);
	pd_aiowait_fini(&w); /* twice is harmless */
}

/* A REQ context send with no peer waits in the socket's queue; with an
 * infinite aio timeout only our deadline ends it. */
static void test_past_the_deadline_is_cancelled(void **state)
{
	(void)state;
	nng_socket req;
	nng_ctx ctx;
	struct pd_aiowait w;
	assert_int_equal(nng_req0_open(&req), 0);
	assert_int_equal(nng_ctx_open(&ctx, req), 0);
	assert_int_equal(pd_aiowait_init(&w), 0);
	for (int i = 0; i < 3; i++) {
		nng_aio_set_msg(w.aio, msg_of("hello"));
		nng_aio_set_timeout(w.aio, NNG_DURATION_INFINITE);
		uint64_t t0 = now_ms();
		nng_ctx_send(ctx, w.aio);
		assert_int_equal(pd_aiowait_wait(&w, 200), PD_ETIMEOUT);
		uint64_t took = now_ms() - t0;
		assert_true(took >= 195 && took < 5000);
		assert_int_equal(nng_aio_result(w.aio), NNG_ECANCELED);
		nng_msg *back = nng_aio_get_msg(w.aio);
		assert_non_null(back);
		assert_int_equal(nng_msg_len(back), 5);
		assert_memory_equal(nng_msg_body(back), "hello", 5);
		nng_msg_free(back);
		nng_aio_set_msg(w.aio, NULL);
	}
	/* NNG's own timeout, when it fires, ends the wait before ours. */
	nng_aio_set_msg(w.aio, msg_of("again"));
	nng_aio_set_timeout(w.aio, 100);
	nng_ctx_send(ctx, w.aio);
	assert_int_equal(pd_aiowait_wait(&w, 10000), 0);
	assert_int_equal(nng_aio_result(w.aio), NNG_ETIMEDOUT);
	nng_msg_free(nng_aio_get_msg(w.aio));
	pd_aiowait_fini(&w);
	nng_close(req);
}

/* The same aio, after a cancelled send, carries a full exchange. */
static void test_reusable_after_a_cancel(void **state)
{
	(void)state;
	nng_socket req, rep;
	nng_ctx ctx;
	struct pd_aiowait w;
	assert_int_equal(nng_req0_open(&req), 0);
	assert_int_equal(nng_rep0_open(&rep), 0);
	assert_int_equal(nng_ctx_open(&ctx, req), 0);
	assert_int_equal(pd_aiowait_init(&w), 0);
	nng_aio_set_msg(w.aio, msg_of("lost"));
	nng_aio_set_timeout(w.aio, NNG_DURATION_INFINITE);
	nng_ctx_send(ctx, w.aio);
	assert_int_equal(pd_aiowait_wait(&w, 100), PD_ETIMEOUT);
	nng_msg_free(nng_aio_get_msg(w.aio));

	assert_int_equal(nng_listen(rep, "inproc://pd_aiowait", NULL, 0), 0);
	assert_int_equal(nng_dial(req, "inproc://pd_aiowait", NULL, 0), 0);
	nng_aio_set_msg(w.aio, msg_of("ping"));
	nng_aio_set_timeout(w.aio, 5000);
	nng_ctx_send(ctx, w.aio);
	assert_int_equal(pd_aiowait_wait(&w, 10000), 0);
	assert_int_equal(nng_aio_result(w.aio), 0);
	nng_msg *in;
	assert_int_equal(nng_recvmsg(rep, &in, 0), 0);
	assert_memory_equal(nng_msg_body(in), "ping", 4);
	nng_msg_free(in);
	assert_int_equal(nng_sendmsg(rep, msg_of("pong"), 0), 0);
	nng_ctx_recv(ctx, w.aio);
	assert_int_equal(pd_aiowait_wait(&w, 10000), 0);
	assert_int_equal(nng_aio_result(w.aio), 0);
	nng_msg *out = nng_aio_get_msg(w.aio);
	assert_memory_equal(nng_msg_body(out), "pong", 4);
	nng_msg_free(out);
	pd_aiowait_fini(&w);
	nng_close(req);
	nng_close(rep);
}

struct stopper {
	struct pd_aiowait *w;
	unsigned after_ms;
};

static void *stop_later(void *arg)
{
	struct stopper *st = arg;
	struct timespec ts = { st->after_ms / 1000, (long)(st->after_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	pd_aiowait_stop(st->w);
	return NULL;
}

/* Another thread's stop ends a wait that only our deadline would end
 * (the sensor's shutdown), and every operation started afterwards fails
 * at once instead of waiting (a heartbeat sent after the stop). */
static void test_stop_ends_the_wait_and_refuses_later_operations(void **state)
{
	(void)state;
	nng_socket req;
	nng_ctx ctx;
	struct pd_aiowait w;
	pthread_t t;
	assert_int_equal(nng_req0_open(&req), 0);
	assert_int_equal(nng_ctx_open(&ctx, req), 0);
	assert_int_equal(pd_aiowait_init(&w), 0);
	nng_aio_set_msg(w.aio, msg_of("hello"));
	nng_aio_set_timeout(w.aio, NNG_DURATION_INFINITE);
	struct stopper st = { &w, 100 };
	uint64_t t0 = now_ms();
	nng_ctx_send(ctx, w.aio);
	assert_int_equal(pthread_create(&t, NULL, stop_later, &st), 0);
	assert_int_equal(pd_aiowait_wait(&w, 30000), 0);
	uint64_t took = now_ms() - t0;
	assert_true(took >= 95 && took < 10000);
	assert_int_equal(nng_aio_result(w.aio), NNG_ECANCELED);
	assert_int_equal(pthread_join(t, NULL), 0);
	nng_msg_free(nng_aio_get_msg(w.aio));
	nng_aio_set_msg(w.aio, NULL);
	for (int i = 0; i < 3; i++) {
		nng_aio_set_msg(w.aio, msg_of("later"));
		t0 = now_ms();
		nng_ctx_send(ctx, w.aio);
		assert_int_equal(pd_aiowait_wait(&w, 30000), 0);
		assert_true(now_ms() - t0 < 5000);
		assert_int_equal(nng_aio_result(w.aio), NNG_ECANCELED);
		nng_msg_free(nng_aio_get_msg(w.aio));
		nng_aio_set_msg(w.aio, NULL);
	}
	pd_aiowait_stop(&w); /* twice is harmless */
	pd_aiowait_fini(&w);
	pd_aiowait_stop(&w); /* and after fini */
	nng_close(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_time_is_waited_for),
		cmocka_unit_test(test_past_the_deadline_is_cancelled),
		cmocka_unit_test(test_reusable_after_a_cancel),
		cmocka_unit_test(test_stop_ends_the_wait_and_refuses_later_operations),
	};
	alarm(60); /* a wait that is never cancelled fails the test, not the run */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
