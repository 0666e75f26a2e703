/*
 * backoff: how long the sensor waits before sending again after failed
 * sends. Each round of failures doubles the wait (200 ms up to 30 s); a
 * successful send ends it. An outage fails every send in flight at once,
 * so failures of sends that began before the wait was last lengthened
 * belong to that round and do not lengthen it again: with 16 batches in
 * flight, one aggregator restart costs 200 ms, not the longest wait.
 * Times are milliseconds of a monotonic clock. Not thread-safe: the
 * caller locks.
 */
#ifndef SENSOR_BACKOFF_H
#define SENSOR_BACKOFF_H

#include <stdint.h>

#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 30000

struct backoff {
	unsigned wait_ms;     /* the current round's wait; 0: no failures */
	uint64_t since_ms;    /* when wait_ms was last lengthened */
	uint64_t retry_at_ms; /* no sends before this */
};

/* A send begun at sent_ms failed at now_ms; the next send waits at least
 * min_ms (0 for none) after now_ms. */
void backoff_failed(struct backoff *b, uint64_t sent_ms, uint64_t now_ms, unsigned min_ms);
/* A send succeeded: sends may go at once again. */
void backoff_reset(struct backoff *b);

#endif
