/* pd_time: a monotonic clock in milliseconds, and deadlines for
 * pthread_cond_timedwait. */
#ifndef PD_TIME_H
#define PD_TIME_H

#include <stdint.h>
#include <time.h>

/* Now on clock clk (the condition variable's clock) plus ms. */
static inline struct timespec pd_deadline(clockid_t clk, unsigned long ms)
{
	struct timespec t;
	clock_gettime(clk, &t);
	t.tv_sec += (time_t)(ms / 1000);
	t.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

/* Milliseconds on CLOCK_MONOTONIC: for intervals, never for dates. */
static inline uint64_t pd_now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

#endif
