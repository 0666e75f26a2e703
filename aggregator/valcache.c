#include "valcache.h"

#include <stdlib.h>
#include <string.h>

#include "pd_bigmem.h"
#include "pd_hash.h"

#define VC_WAYS 8

struct vc_ent {
	uint32_t klen, vlen, vcap;
	uint8_t data[];
};

/*
 * One set is two cache lines, side by side in one huge-page table: a
 * lookup reads the tags, then touches only the entry whose tag matches.
 * The tag is the hash's high half (the set comes from its low bits).
 */
struct vc_set {
	uint32_t tag[VC_WAYS];
	uint32_t age[VC_WAYS]; /* put/get stamp: the smallest is evicted */
	struct vc_ent *e[VC_WAYS];
};

struct valcache {
	struct vc_set *sets;
	size_t nsets;
	uint64_t seed;
	uint32_t clock;
	struct valcache_stats st;
};

struct valcache *valcache_new(size_t max_entries, uint64_t seed)
{
	struct valcache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->nsets = 1;
	while (c->nsets * VC_WAYS < max_entries)
		c->nsets <<= 1;
	c->sets = pd_bigmem_alloc(c->nsets * sizeof(*c->sets));
	if (!c->sets) {
		free(c);
		return NULL;
	}
	c->seed = seed;
	return c;
}

void valcache_clear(struct valcache *c)
{
	for (size_t i = 0; i < c->nsets; i++) {
		for (int w = 0; w < VC_WAYS; w++) {
			free(c->sets[i].e[w]);
			c->sets[i].e[w] = NULL;
		}
	}
	c->st.entries = c->st.bytes = 0;
}

void valcache_free(struct valcache *c)
{
	if (!c)
		return;
	valcache_clear(c);
	pd_bigmem_free(c->sets, c->nsets * sizeof(*c->sets));
	free(c);
}

static struct vc_set *vc_set_of(const struct valcache *c, uint64_t h)
{
	return &c->sets[(size_t)h & (c->nsets - 1)];
}

/* The way of set s holding key k, or -1. */
static int vc_find(const struct vc_set *s, uint64_t h, const uint8_t *k, size_t kl)
{
	uint32_t tag = (uint32_t)(h >> 32);
	for (int i = 0; i < VC_WAYS; i++) {
		const struct vc_ent *e = s->e[i];
		if (s->tag[i] == tag && e && e->klen == kl && pd_mem_equal(e->data, k, kl))
			return i;
	}
	return -1;
}

uint64_t valcache_seed(const struct valcache *c)
{
	return c->seed;
}

int valcache_get_h(struct valcache *c, uint64_t h, const uint8_t *k, size_t kl,
                   const uint8_t **v, size_t *vl)
{
	struct vc_set *s = vc_set_of(c, h);
	int i = vc_find(s, h, k, kl);
	if (i < 0) {
		c->st.misses++;
		return 0;
	}
	c->st.hits++;
	s->age[i] = ++c->clock;
	*v = s->e[i]->data + s->e[i]->klen;
	*vl = s->e[i]->vlen;
	return 1;
}

int valcache_get(struct valcache *c, const uint8_t *k, size_t kl, const uint8_t **v,
                 size_t *vl)
{
	return valcache_get_h(c, pd_hash(k, kl, c->seed), k, kl, v, vl);
}

void valcache_prefetch_h(const struct valcache *c, uint64_t h)
{
	const struct vc_set *s = vc_set_of(c, h);
	__builtin_prefetch(s);
	__builtin_prefetch((const uint8_t *)s + 64);
}

void valcache_prefetch_entry_h(const struct valcache *c, uint64_t h)
{
	const struct vc_set *s = vc_set_of(c, h);
	uint32_t tag = (uint32_t)(h >> 32);
	for (int i = 0; i < VC_WAYS; i++) {
		if (s->tag[i] == tag && s->e[i]) {
			/* An entry is a key and a value (about 40 to 100 bytes):
			 * often two lines. */
			__builtin_prefetch(s->e[i]);
			__builtin_prefetch((const void *)((uintptr_t)s->e[i] + 64));
		}
	}
}

static void vc_drop(struct valcache *c, struct vc_set *s, int i)
{
	c->st.entries--;
	c->st.bytes -= sizeof(*s->e[i]) + s->e[i]->klen + s->e[i]->vcap;
	free(s->e[i]);
	s->e[i] = NULL;
}

static void vc_put(struct valcache *c, uint64_t h, const uint8_t *k, size_t kl, const uint8_t *v,
                   size_t vl, int evict)
{
	struct vc_set *s = vc_set_of(c, h);
	int i = vc_find(s, h, k, kl);
	if (i >= 0 && s->e[i]->vcap >= vl) {
		memcpy(s->e[i]->data + kl, v, vl);
		s->e[i]->vlen = (uint32_t)vl;
		s->age[i] = ++c->clock;
		return;
	}
	if (i < 0) { /* a free way, or the oldest one makes room */
		i = 0;
		for (int j = 1; j < VC_WAYS; j++)
			if (!s->e[j] || (s->e[i] && (int32_t)(s->age[j] - s->age[i]) < 0))
				i = j;
		if (s->e[i] && !evict)
			return;
	}
	size_t vcap = vl + 16;
	struct vc_ent *e = malloc(sizeof(*e) + kl + vcap);
	if (s->e[i])
		vc_drop(c, s, i);
	/* Without memory the cache misses the entry; it never holds a stale
	 * one (the old value of k was dropped above). */
	if (!e)
		return;
	e->klen = (uint32_t)kl;
	e->vlen = (uint32_t)vl;
	e->vcap = (uint32_t)vcap;
	memcpy(e->data, k, kl);
	memcpy(e->data + kl, v, vl);
	s->e[i] = e;
	s->tag[i] = (uint32_t)(h >> 32);
	s->age[i] = ++c->clock;
	c->st.entries++;
	c->st.bytes += sizeof(*e) + kl + vcap;
}

void valcache_put_h(struct valcache *c, uint64_t h, const uint8_t *k, size_t kl,
                    const uint8_t *v, size_t vl)
{
	vc_put(c, h, k, kl, v, vl, 1);
}

void valcache_offer_h(struct valcache *c, uint64_t h, const uint8_t *k, size_t kl,
                      const uint8_t *v, size_t vl)
{
	vc_put(c, h, k, kl, v, vl, 0);
}

void valcache_put(struct valcache *c, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	vc_put(c, pd_hash(k, kl, c->seed), k, kl, v, vl, 1);
}

void valcache_offer(struct valcache *c, const uint8_t *k, size_t kl, const uint8_t *v,
                    size_t vl)
{
	vc_put(c, pd_hash(k, kl, c->seed), k, kl, v, vl, 0);
}

void valcache_stats(const struct valcache *c, struct valcache_stats *st)
{
	*st = c->st;
}
