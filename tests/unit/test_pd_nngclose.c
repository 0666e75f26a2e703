/* Unit tests for pd_nngclose: a bounded close of a socket, and of one
 * dialer, closes it (the socket, or only that dialer and its connection)
 * and reports it in time. Real NNG sockets over TCP on loopback. The NNG
 * 1.5.2 hang the bound is for cannot be produced on demand, so the
 * PD_ETIMEOUT path is not exercised here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pd_nngclose.h"

static void test_socket_closes(void **state)
{
	(void)state;
	nng_socket s;
	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(pd_nng_close_bounded(s, 5000), 0);
	assert_int_equal(nng_send(s, "x", 1, NNG_FLAG_NONBLOCK), NNG_ECLOSED);
}

/* The closed dialer is gone, and the socket works through a new one. */
static void test_dialer_closes_alone(void **state)
{
	(void)state;
	nng_socket rep, req;
	nng_listener l;
	nng_dialer d, d2;
	char url[64];
	assert_int_equal(nng_rep0_open(&rep), 0);
	assert_int_equal(nng_req0_open(&req), 0);
	assert_int_equal(nng_listen(rep, "tcp://127.0.0.1:0", &l, 0), 0);
	int port;
	assert_int_equal(nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port), 0);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(nng_dial(req, url, &d, 0), 0);
	assert_int_equal(pd_nng_dialer_close_bounded(d, 5000), 0);
	int v;
	assert_int_equal(nng_dialer_get_int(d, NNG_OPT_RECONNMINT, &v), NNG_ENOENT);
	/* The socket still works through another dialer. */
	assert_int_equal(nng_dial(req, url, &d2, 0), 0);
	assert_int_equal(nng_socket_set_ms(req, NNG_OPT_SENDTIMEO, 5000), 0);
	assert_int_equal(nng_socket_set_ms(rep, NNG_OPT_RECVTIMEO, 5000), 0);
	assert_int_equal(nng_send(req, "ping", 4, 0), 0);
	char buf[8];
	size_t n = sizeof(buf);
	assert_int_equal(nng_recv(rep, buf, &n, 0), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "ping", 4);
	assert_int_equal(pd_nng_close_bounded(req, 5000), 0);
	assert_int_equal(pd_nng_close_bounded(rep, 5000), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_closes),
		cmocka_unit_test(test_dialer_closes_alone),
	};
	alarm(60); /* a close that hangs fails the test, not the run */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
