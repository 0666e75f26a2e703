/*
 * dnsobs: turns one DNS message into observations (docs/observations.md).
 *
 * A message is parsed completely (every RR the chosen sections need) into a
 * scratch area before anything is folded, so a message that is malformed
 * anywhere yields nothing and counts one malformed_* reason. Accepted tuples
 * go to the fold window one message later (see struct pending); when the
 * window is full, the owner's callback flushes it and the tuple is added
 * again. Not thread-safe.
 */
#ifndef SENSOR_DNSOBS_H
#define SENSOR_DNSOBS_H

#include <stddef.h>
#include <stdint.h>

#include "fold.h"
#include "stats.h"

#define DNSOBS_ANSWER 0x1
#define DNSOBS_AUTHORITY 0x2
#define DNSOBS_ADDITIONAL 0x4

struct dnsobs;

/* Called when the fold window is full: must flush the fold window only
 * (not call dnsobs_drain, which is what is running). */
typedef void (*dnsobs_full_fn)(void *ctx);

struct dnsobs *dnsobs_new(struct fold *fold, unsigned sections, struct sensor_stats *st,
                          dnsobs_full_fn full, void *ctx);
void dnsobs_free(struct dnsobs *o);

/* Handles one DNS message (UDP payload or TCP message) seen at ts_s. Its
 * tuples reach the fold window by the next message or dnsobs_drain(). */
void dnsobs_message(struct dnsobs *o, const uint8_t *msg, size_t len, int64_t ts_s);

/* Folds what is still pending: call before flushing the window. */
void dnsobs_drain(struct dnsobs *o);

/* Parses "answer,authority,additional" into DNSOBS_* bits; 0 or PD_ECONFIG. */
int dnsobs_parse_sections(const char *text, unsigned *out);

#endif
