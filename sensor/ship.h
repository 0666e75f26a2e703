/*
 * ship: sends spooled batches to the aggregator and deletes each one only
 * after its acknowledgement (DESIGN.md "Sensor -> aggregator wire").
 *
 * An NNG req0 socket dials tls+tcp with mutual TLS and reconnects by
 * itself. A few sender threads, each with its own context, take the oldest
 * spooled batches not already in flight, so the spool drains in order with
 * several requests outstanding. Replies:
 *   ack (0)                      -> the batch leaves the spool
 *   busy / store error / timeout -> sent again later (backing off)
 *   refused (PD_EAUTH)           -> kept; sent again much later; logged
 *   malformed / version / limit  -> set aside (spool/rejected), counted
 * Duplicates are harmless: the aggregator applies each sequence number once.
 */
#ifndef SENSOR_SHIP_H
#define SENSOR_SHIP_H

#include <stdint.h>

#include "pd_tls.h"
#include "spool.h"
#include "stats.h"

struct ship_opts {
	const char *url;          /* tls+tcp://HOST:PORT */
	const char *server_name;  /* name the aggregator's certificate carries */
	struct pd_tls_files tls;
	unsigned inflight;        /* batches outstanding; 0: 4 */
	unsigned reply_timeout_ms;/* 0: 60000 */
};

struct ship;

int ship_start(struct ship **out, const struct ship_opts *o, struct spool *sp,
               struct sensor_stats *st, char *err, size_t errlen);
/* A batch was spooled: wake a sender. Any thread. */
void ship_wake(struct ship *s);
/* Waits until the spool is empty (0) or timeout_ms passes (PD_ETIMEOUT),
 * or stop_flag becomes non-zero (PD_ESTALE). */
int ship_drain(struct ship *s, uint64_t timeout_ms, volatile int *stop_flag);
/* Milliseconds since the aggregator last answered anything. */
uint64_t ship_idle_ms(struct ship *s);
/* Sends one heartbeat (a sealed batch of kind heartbeat, never spooled)
 * and waits for its answer: 0 or a negative code. */
int ship_heartbeat(struct ship *s, const uint8_t *msg, size_t len);

/* Ends every exchange in flight, the heartbeat's too, refuses new ones
 * (the batches stay spooled), joins the senders and closes the socket; s
 * stays valid for ship_stop. 0, or -1 when NNG did not close the socket
 * in time: then NNG may still use s, which must be left alone (ship_stop
 * does). A thread inside ship_heartbeat returns promptly either way. */
int ship_halt(struct ship *s);
/* ship_halt, then waits for the senders and frees s. */
void ship_stop(struct ship *s);

#endif
