#include "pd_aiowait.h"

#include <string.h>
#include <time.h>

#include "pd_err.h"
#include "pd_time.h"
#include "pd_tls.h"

static void aiowait_done(void *arg)
{
	struct pd_aiowait *w = arg;
	pthread_mutex_lock(&w->mu);
	w->done = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int pd_aiowait_init(struct pd_aiowait *w)
{
	pthread_condattr_t ca;
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cv, &ca);
	pthread_condattr_destroy(&ca);
	int rv = nng_aio_alloc(&w->aio, aiowait_done, w);
	if (rv != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		w->aio = NULL;
		return pd_nng_err(rv);
	}
	return 0;
}

void pd_aiowait_fini(struct pd_aiowait *w)
{
	if (!w->aio)
		return;
	nng_aio_free(w->aio);
	w->aio = NULL;
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
}

int pd_aiowait_wait(struct pd_aiowait *w, unsigned ms)
{
	struct timespec until = pd_deadline(CLOCK_MONOTONIC, ms);
	int rc = 0;
	pthread_mutex_lock(&w->mu);
	while (!w->done && !w->stopped && rc == 0)
		rc = pthread_cond_timedwait(&w->cv, &w->mu, &until);
	int late = !w->done && !w->stopped;
	pthread_mutex_unlock(&w->mu);
	if (late)
		nng_aio_cancel(w->aio);
	/* Returns once the callback has returned, so the aio can be reused;
	 * done is then cleared for the next operation. */
	nng_aio_wait(w->aio);
	pthread_mutex_lock(&w->mu);
	w->done = 0;
	pthread_mutex_unlock(&w->mu);
	/* An operation that ended on its own just as it was cancelled was not
	 * late after all. */
	return late && nng_aio_result(w->aio) == NNG_ECANCELED ? PD_ETIMEOUT : 0;
}

void pd_aiowait_stop(struct pd_aiowait *w)
{
	if (!w->aio)
		return;
	/* NNG 1.5.2 fails an operation started on a stopped aio without
	 * running the callback, so done would never be set: the flag ends
	 * such waits, and nng_aio_wait then returns at once. */
	pthread_mutex_lock(&w->mu);
	w->stopped = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	nng_aio_stop(w->aio);
}
