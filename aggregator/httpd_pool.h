/*
 * httpd_pool: worker threads behind a bounded FIFO queue of pointers.
 *
 * httpd queues connections with a parsed request here so that handlers
 * (queries taking up to seconds) never run on NNG's threads. A full queue
 * refuses at once instead of growing: the caller answers 503.
 *
 * httpd_pool_push may be called from any thread; start and stop from one
 * controlling thread. run is called on the pool's threads, one item per
 * call, concurrently on up to `threads` threads.
 */
#ifndef AGG_HTTPD_POOL_H
#define AGG_HTTPD_POOL_H

#include <stdbool.h>

typedef void (*httpd_pool_fn)(void *ctx, void *item);

struct httpd_pool;

/* Returns 0 or a negative errno (threads that started are stopped). */
int httpd_pool_start(struct httpd_pool **out, unsigned threads, unsigned queue_max,
                     httpd_pool_fn run, void *ctx);
/* Queues item; false when the queue is full or the pool is stopping. */
bool httpd_pool_push(struct httpd_pool *p, void *item);
/*
 * Stops taking items, passes those still queued to drop (on the pool's
 * threads), waits up to timeout_ms for the items being run, then frees the
 * pool. Returns 0, or -1 when some run() had not returned in time: the
 * threads are then detached rather than hang the caller, and the last one
 * to finish frees the pool (ctx must stay valid until then).
 */
int httpd_pool_stop(struct httpd_pool *p, httpd_pool_fn drop, unsigned timeout_ms);

#endif
