/*
 * flowtab: a fixed-capacity hash table of flows with LRU order, shared by
 * IP fragment reassembly and TCP stream reassembly.
 *
 * Each slot holds a key of keylen bytes and a value of valsize bytes, both
 * inside the table's own storage (no per-flow allocation). The capacity is
 * fixed at creation; when it is full the caller evicts flowtab_oldest()
 * (and counts it) before inserting. Lookups move a flow to the
 * most-recently-used end. Not thread-safe: one owner.
 */
#ifndef SENSOR_FLOWTAB_H
#define SENSOR_FLOWTAB_H

#include <stddef.h>
#include <stdint.h>

struct flowtab;

/* seed: per-process random value, so flooders cannot aim at one bucket. */
struct flowtab *flowtab_new(unsigned cap, size_t keylen, size_t valsize, uint64_t seed);
void flowtab_free(struct flowtab *t);

/* The value of key, moved to most-recently-used, or NULL. */
void *flowtab_find(struct flowtab *t, const void *key);

/* Inserts key (absent) with a zeroed value; NULL when the table is full. */
void *flowtab_insert(struct flowtab *t, const void *key);

/* Removes the flow whose value is val. */
void flowtab_remove(struct flowtab *t, void *val);

/* Least-recently-used value, or NULL when empty. */
void *flowtab_oldest(struct flowtab *t);

/* The key stored for value val. */
const void *flowtab_key(const struct flowtab *t, const void *val);

unsigned flowtab_count(const struct flowtab *t);

#endif
