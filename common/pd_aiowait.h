/*
 * pd_aiowait: waiting for an nng_aio with a deadline of our own.
 *
 * An aio's timeout should end any operation, but NNG 1.5.2 sometimes never
 * fires it: a sensor's REQ context send with a 60 s timeout was found still
 * in nng_aio_wait minutes later, twice (a heartbeat at exit; senders after
 * the aggregator restarted). pd_aiowait_wait waits up to a deadline of its
 * own and, past it, cancels the operation, which ends it through the
 * protocol's cancel path.
 */
#ifndef PD_AIOWAIT_H
#define PD_AIOWAIT_H

#include <nng/nng.h>
#include <pthread.h>

struct pd_aiowait {
	nng_aio *aio; /* start operations on this one */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done; /* the aio's callback has run */
	int stopped; /* pd_aiowait_stop was called */
};

/* 0, or a negative PD_E* code (then nothing to fini). */
int pd_aiowait_init(struct pd_aiowait *w);
/* Safe on a zeroed struct; no operation may be in flight. */
void pd_aiowait_fini(struct pd_aiowait *w);
/*
 * Waits for the operation started on w->aio, ms at most; past that it is
 * cancelled and waited for. Returns 0 if it ended in time, PD_ETIMEOUT if
 * it had to be cancelled. Either way the operation is over: its result is
 * in nng_aio_result(w->aio) and w->aio is free for the next one. One
 * thread waits on a given w at a time.
 */
int pd_aiowait_wait(struct pd_aiowait *w, unsigned ms);
/*
 * Ends the operation in flight on w, if any, and makes every operation
 * started on w->aio later fail at once (NNG_ECANCELED): a thread in or
 * about to enter pd_aiowait_wait returns promptly. Any thread; for good.
 */
void pd_aiowait_stop(struct pd_aiowait *w);

#endif
