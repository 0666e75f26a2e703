/*
 * kvmap: a bytes -> bytes map in one arena, for short-lived working sets
 * (the values one write group touches). Values can be replaced by longer
 * ones; the old bytes stay in the arena until kvmap_reset. Fixed caps at
 * creation: puts fail with PD_ELIMIT when either is reached. One owner.
 */
#ifndef AGG_KVMAP_H
#define AGG_KVMAP_H

#include <stddef.h>
#include <stdint.h>

struct kvmap;

struct kvmap *kvmap_new(size_t max_entries, size_t arena_bytes, uint64_t seed);
void kvmap_free(struct kvmap *m);
void kvmap_reset(struct kvmap *m);
size_t kvmap_count(const struct kvmap *m);

/* 1 with *v, *vl set (valid until the next put or reset), or 0. */
int kvmap_get(struct kvmap *m, const uint8_t *k, size_t kl, const uint8_t **v, size_t *vl);
/* Inserts or replaces; 0 or PD_ELIMIT. */
int kvmap_put(struct kvmap *m, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl);

/* The same with k's hash, kvmap_hash(m, k, kl), computed once by the
 * caller: pd_hash with the seed the map was made with, so a caller whose
 * other tables share that seed hashes each key once. */
uint64_t kvmap_hash(const struct kvmap *m, const uint8_t *k, size_t kl);
/* Starts loading k's slot, for a get or put soon after. */
void kvmap_prefetch_h(const struct kvmap *m, uint64_t h);
int kvmap_get_h(struct kvmap *m, uint64_t h, const uint8_t *k, size_t kl, const uint8_t **v,
                size_t *vl);
int kvmap_put_h(struct kvmap *m, uint64_t h, const uint8_t *k, size_t kl, const uint8_t *v,
                size_t vl);

/* Iterates live entries in insertion order: start with *cursor = 0;
 * returns 1 per entry, 0 at the end. */
int kvmap_next(const struct kvmap *m, size_t *cursor, const uint8_t **k, size_t *kl,
               const uint8_t **v, size_t *vl);

#endif
