/*
 * keyfilter: a Bloom filter of every tuple key in the store, so the writer
 * can tell most new tuples from stored ones without asking LevelDB (whose
 * lookups were most of the writer's time: a memtable search each).
 *
 * Built at start by scanning the tuple families, then fed every key the
 * writer adds. 10 bits and 7 probes per key: about 1% of new tuples still
 * cost a lookup. When the keys outgrow the capacity the filter is rebuilt
 * twice as large (a scan; logged). Only the writer thread uses it.
 */
#ifndef AGG_KEYFILTER_H
#define AGG_KEYFILTER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct keyfilter;

/* Scans the store; capacity is at least min_keys and twice the keys found. */
int keyfilter_build(struct keyfilter **out, struct store *st, uint64_t min_keys, char *err,
                    size_t errlen);
void keyfilter_free(struct keyfilter *f);
/* Rebuilds from the store (after the store was reopened). */
int keyfilter_rebuild(struct keyfilter *f, struct store *st, char *err, size_t errlen);

/* 0 when key is certainly not in the store, 1 when it may be. */
int keyfilter_maybe(const struct keyfilter *f, const uint8_t *key, size_t len);
void keyfilter_add(struct keyfilter *f, const uint8_t *key, size_t len);
/* The same with the key's hash, keyfilter_hash(key, len), computed once. */
uint64_t keyfilter_hash(const uint8_t *key, size_t len);
/* Starts loading key's block, for a lookup soon after. */
void keyfilter_prefetch_h(const struct keyfilter *f, uint64_t h);
int keyfilter_maybe_h(const struct keyfilter *f, uint64_t h);
void keyfilter_add_h(struct keyfilter *f, uint64_t h);
/* 1 when the filter is over capacity and should be rebuilt larger. */
int keyfilter_full(const struct keyfilter *f);

uint64_t keyfilter_keys(const struct keyfilter *f);
size_t keyfilter_bytes(const struct keyfilter *f);

#endif
