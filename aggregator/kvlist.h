/*
 * kvlist: key/value pairs appended in any order and read back in key
 * order (bytewise, a prefix first: LevelDB's order); pairs with equal keys
 * keep the order they were added in. Grows as needed, with no cap of its
 * own: its owner bounds what goes in (store_batch: one write group, which
 * the writer caps). kvlist_clear keeps the memory for the next round. One
 * owner.
 */
#ifndef AGG_KVLIST_H
#define AGG_KVLIST_H

#include <stddef.h>
#include <stdint.h>

struct kvlist;

struct kvlist *kvlist_new(void);
void kvlist_free(struct kvlist *l);
void kvlist_clear(struct kvlist *l);
size_t kvlist_count(const struct kvlist *l);

/* Copies the pair in; 0, or PD_ELIMIT when memory ran out (the list is
 * then as it was). */
int kvlist_add(struct kvlist *l, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl);

/* Orders the pairs for kvlist_next; an add afterwards needs a new sort. */
void kvlist_sort(struct kvlist *l);
/* The pairs in key order: start with *cursor = 0; 1 per pair, 0 at the
 * end (or before any kvlist_sort since the last add). */
int kvlist_next(const struct kvlist *l, size_t *cursor, const uint8_t **k, size_t *kl,
                const uint8_t **v, size_t *vl);

#endif
