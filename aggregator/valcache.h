/*
 * valcache: the stored values of recently merged tuples, so repeated
 * tuples (the popular names) merge without a LevelDB lookup.
 *
 * Set-associative (8 ways per set, a small age per way): a put replaces the
 * oldest way of its set. Bounded by the number of entries given at
 * creation; each entry is one allocation. It holds each tuple's latest
 * merged value: merge puts it as soon as it has merged it, while the entry
 * is still in the CPU's cache, before the group is written. So when a
 * group's write fails, the cache holds values the store does not, and the
 * writer must clear it before merging anything else (writer_recover).
 * One owner thread.
 */
#ifndef AGG_VALCACHE_H
#define AGG_VALCACHE_H

#include <stddef.h>
#include <stdint.h>

struct valcache;

struct valcache *valcache_new(size_t max_entries, uint64_t seed);
void valcache_free(struct valcache *c);
void valcache_clear(struct valcache *c);

/* 1 with the cached value (valid until the next put or clear), or 0. */
int valcache_get(struct valcache *c, const uint8_t *k, size_t kl, const uint8_t **v,
                 size_t *vl);
void valcache_put(struct valcache *c, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl);
/* As valcache_put, but a key not in the cache only takes a free way: it
 * evicts nothing (for values less likely to be wanted again). */
void valcache_offer(struct valcache *c, const uint8_t *k, size_t kl, const uint8_t *v,
                    size_t vl);

/* The same with k's hash computed once by the caller: h is
 * pd_hash(k, kl, valcache_seed(c)). */
uint64_t valcache_seed(const struct valcache *c);
int valcache_get_h(struct valcache *c, uint64_t h, const uint8_t *k, size_t kl,
                   const uint8_t **v, size_t *vl);
void valcache_put_h(struct valcache *c, uint64_t h, const uint8_t *k, size_t kl,
                    const uint8_t *v, size_t vl);
void valcache_offer_h(struct valcache *c, uint64_t h, const uint8_t *k, size_t kl,
                      const uint8_t *v, size_t vl);
/* Starts loading k's set, for a get or put soon after... */
void valcache_prefetch_h(const struct valcache *c, uint64_t h);
/* ... and once that set has arrived, the entries whose tag matches k's. */
void valcache_prefetch_entry_h(const struct valcache *c, uint64_t h);

struct valcache_stats {
	uint64_t hits, misses, entries, bytes;
};
void valcache_stats(const struct valcache *c, struct valcache_stats *st);

#endif
