/*
 * fold: the sensor's window of observations. Identical tuples inside one
 * window fold into one entry (count summed, first min, last max); a flush
 * hands every entry to a sink in arrival order and empties the window.
 *
 * Memory is fixed at creation: at most max_tuples entries and arena_bytes of
 * key storage. fold_add() reports PD_ELIMIT when either is reached; the
 * caller flushes early (and counts it) and adds again. Tuple keys are
 * pd_obs packed keys. Not thread-safe.
 */
#ifndef SENSOR_FOLD_H
#define SENSOR_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "pd_obs.h"

struct fold;

/* Receives each folded observation; the sink handles (and counts) its own
 * failures, so a flush always hands over every entry. */
typedef void (*fold_emit_fn)(void *ctx, const struct pd_obs *o);

struct fold *fold_new(size_t max_tuples, size_t arena_bytes, uint64_t seed);
void fold_free(struct fold *f);

/*
 * Counts one response carrying the tuple key (at time ts_s). stamp names the
 * response: a tuple repeated within one response (same stamp) counts once.
 * Returns 0, or PD_ELIMIT when the window is full (nothing was changed).
 */
int fold_add(struct fold *f, const uint8_t *key, size_t klen, int64_t ts_s, uint32_t stamp);

/*
 * The same in two steps, so callers can hide the table's cache miss: hash
 * and prefetch a key early, add it (with that hash) a little later.
 */
uint64_t fold_hash(const struct fold *f, const uint8_t *key, size_t klen);
void fold_prefetch(const struct fold *f, uint64_t hash);
int fold_add_hashed(struct fold *f, const uint8_t *key, size_t klen, uint64_t hash,
                    int64_t ts_s, uint32_t stamp);

/* Emits every entry, then empties the window. Returns the number emitted. */
size_t fold_flush(struct fold *f, fold_emit_fn fn, void *ctx);

size_t fold_count(const struct fold *f);

#endif
