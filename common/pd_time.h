/* pd_time: deadlines for pthread_cond_timedwait. */
#ifndef PD_TIME_H
#define PD_TIME_H

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

#endif
