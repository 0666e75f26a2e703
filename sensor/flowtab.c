#include "flowtab.h"

#include <stdlib.h>
#include <string.h>

#include "pd_hash.h"

#define FT_NIL UINT32_MAX

/* Slot layout: header, then key, then value (aligned to 16). */
struct ft_slot {
	uint32_t hnext;      /* next slot in the same bucket */
	uint32_t prev, next; /* LRU list (free list reuses next) */
	uint32_t hash;
};

struct flowtab {
	unsigned cap, count, nbuckets;
	uint64_t seed;
	size_t keylen, valoff, slotsize;
	uint32_t lru_head, lru_tail, free_head; /* head = oldest */
	uint32_t *buckets;
	uint8_t *slots;
};

static size_t ft_align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

static struct ft_slot *ft_slot(const struct flowtab *t, uint32_t i)
{
	return (struct ft_slot *)(void *)(t->slots + (size_t)i * t->slotsize);
}

static uint32_t ft_index(const struct flowtab *t, const void *val)
{
	return (uint32_t)((size_t)((const uint8_t *)val - t->slots) / t->slotsize);
}

struct flowtab *flowtab_new(unsigned cap, size_t keylen, size_t valsize, uint64_t seed)
{
	struct flowtab *t = calloc(1, sizeof(*t));
	if (!t || cap == 0)
		goto fail;
	t->cap = cap;
	t->seed = seed;
	t->keylen = keylen;
	t->valoff = ft_align16(sizeof(struct ft_slot) + keylen);
	t->slotsize = ft_align16(t->valoff + valsize);
	t->nbuckets = 1;
	while (t->nbuckets < cap * 2)
		t->nbuckets <<= 1;
	t->buckets = malloc(t->nbuckets * sizeof(uint32_t));
	t->slots = aligned_alloc(16, t->slotsize * cap);
	if (!t->buckets || !t->slots)
		goto fail;
	for (unsigned i = 0; i < t->nbuckets; i++)
		t->buckets[i] = FT_NIL;
	for (unsigned i = 0; i < cap; i++)
		ft_slot(t, i)->next = i + 1 < cap ? i + 1 : FT_NIL;
	t->free_head = 0;
	t->lru_head = t->lru_tail = FT_NIL;
	return t;
fail:
	flowtab_free(t);
	return NULL;
}

void flowtab_free(struct flowtab *t)
{
	if (!t)
		return;
	free(t->buckets);
	free(t->slots);
	free(t);
}

static void ft_unlink_lru(struct flowtab *t, uint32_t i)
{
	struct ft_slot *s = ft_slot(t, i);
	if (s->prev != FT_NIL)
		ft_slot(t, s->prev)->next = s->next;
	else
		t->lru_head = s->next;
	if (s->next != FT_NIL)
		ft_slot(t, s->next)->prev = s->prev;
	else
		t->lru_tail = s->prev;
}

static void ft_push_mru(struct flowtab *t, uint32_t i)
{
	struct ft_slot *s = ft_slot(t, i);
	s->prev = t->lru_tail;
	s->next = FT_NIL;
	if (t->lru_tail != FT_NIL)
		ft_slot(t, t->lru_tail)->next = i;
	else
		t->lru_head = i;
	t->lru_tail = i;
}

void *flowtab_find(struct flowtab *t, const void *key)
{
	uint32_t h = (uint32_t)pd_hash(key, t->keylen, t->seed);
	for (uint32_t i = t->buckets[h & (t->nbuckets - 1)]; i != FT_NIL;) {
		struct ft_slot *s = ft_slot(t, i);
		if (s->hash == h && memcmp(s + 1, key, t->keylen) == 0) {
			if (t->lru_tail != i) {
				ft_unlink_lru(t, i);
				ft_push_mru(t, i);
			}
			return (uint8_t *)s + t->valoff;
		}
		i = s->hnext;
	}
	return NULL;
}

void *flowtab_insert(struct flowtab *t, const void *key)
{
	if (t->free_head == FT_NIL)
		return NULL;
	uint32_t i = t->free_head;
	struct ft_slot *s = ft_slot(t, i);
	t->free_head = s->next;
	s->hash = (uint32_t)pd_hash(key, t->keylen, t->seed);
	uint32_t *b = &t->buckets[s->hash & (t->nbuckets - 1)];
	s->hnext = *b;
	*b = i;
	memcpy(s + 1, key, t->keylen);
	uint8_t *val = (uint8_t *)s + t->valoff;
	memset(val, 0, t->slotsize - t->valoff);
	ft_push_mru(t, i);
	t->count++;
	return val;
}

void flowtab_remove(struct flowtab *t, void *val)
{
	uint32_t i = ft_index(t, val);
	struct ft_slot *s = ft_slot(t, i);
	uint32_t *p = &t->buckets[s->hash & (t->nbuckets - 1)];
	while (*p != i)
		p = &ft_slot(t, *p)->hnext;
	*p = s->hnext;
	ft_unlink_lru(t, i);
	s->next = t->free_head;
	t->free_head = i;
	t->count--;
}

void *flowtab_oldest(struct flowtab *t)
{
	if (t->lru_head == FT_NIL)
		return NULL;
	return (uint8_t *)ft_slot(t, t->lru_head) + t->valoff;
}

const void *flowtab_key(const struct flowtab *t, const void *val)
{
	return ft_slot(t, ft_index(t, val)) + 1;
}

unsigned flowtab_count(const struct flowtab *t)
{
	return t->count;
}
