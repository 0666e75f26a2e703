#include "pd_nngclose.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "pd_err.h"
#include "pd_time.h"

struct closer {
	nng_socket sock; /* closed when dialer.id is 0 */
	nng_dialer dialer;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done, refs; /* the waiter and the helper each hold one */
};

static void closer_put(struct closer *c)
{
	pthread_mutex_lock(&c->mu);
	int last = --c->refs == 0;
	pthread_mutex_unlock(&c->mu);
	if (last) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		free(c);
	}
}

static void close_now(nng_socket sock, nng_dialer dialer)
{
	if (dialer.id > 0)
		nng_dialer_close(dialer);
	else
		nng_close(sock);
}

static void *closer_run(void *arg)
{
	struct closer *c = arg;
	close_now(c->sock, c->dialer);
	pthread_mutex_lock(&c->mu);
	c->done = 1;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	closer_put(c);
	return NULL;
}

static int close_bounded(nng_socket sock, nng_dialer dialer, unsigned timeout_ms)
{
	struct closer *c = calloc(1, sizeof(*c));
	pthread_t t;
	if (!c) {
		close_now(sock, dialer);
		return 0;
	}
	c->sock = sock;
	c->dialer = dialer;
	c->refs = 2;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&t, NULL, closer_run, c) != 0) {
		c->refs = 1;
		closer_run(c);
		return 0;
	}
	pthread_detach(t);
	struct timespec until = pd_deadline(CLOCK_REALTIME, timeout_ms);
	pthread_mutex_lock(&c->mu);
	while (!c->done && pthread_cond_timedwait(&c->cv, &c->mu, &until) == 0)
		;
	int done = c->done;
	pthread_mutex_unlock(&c->mu);
	closer_put(c);
	return done ? 0 : PD_ETIMEOUT;
}

int pd_nng_close_bounded(nng_socket sock, unsigned timeout_ms)
{
	nng_dialer none = NNG_DIALER_INITIALIZER;
	return close_bounded(sock, none, timeout_ms);
}

int pd_nng_dialer_close_bounded(nng_dialer d, unsigned timeout_ms)
{
	nng_socket none = NNG_SOCKET_INITIALIZER;
	return close_bounded(none, d, timeout_ms);
}

/* Reachable from here, memory left to a socket that would not close is not
 * a leak (LeakSanitizer, valgrind); a few are all a process ever leaves. */
static void *abandoned[16];
static unsigned nabandoned;

void pd_nng_abandon(void *p)
{
	if (nabandoned < sizeof(abandoned) / sizeof(abandoned[0]))
		abandoned[nabandoned++] = p;
}
