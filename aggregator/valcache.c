#include "valcache.h"

#include <stdlib.h>
#include <string.h>

#include "pd_hash.h"

#define VC_WAYS 8

struct vc_ent {
	uint32_t klen, vlen, vcap;
	uint8_t data[];
};

/* A set's hashes share one cache line; entries and ages live apart. */
struct vc_set {
	uint64_t hash[VC_WAYS];
};

struct vc_way {
	struct vc_ent *e;
	uint32_t age; /* put/get stamp: the smallest is evicted */
};

struct valcache {
	struct vc_set *sets;
	struct vc_way *ways;
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
	c->ways = calloc(c->nsets * VC_WAYS, sizeof(*c->ways));
	c->sets = aligned_alloc(64, c->nsets * sizeof(*c->sets));
	if (!c->ways || !c->sets) {
		free(c->ways);
		free(c->sets);
		free(c);
		return NULL;
	}
	memset(c->sets, 0, c->nsets * sizeof(*c->sets));
	c->seed = seed;
	return c;
}

void valcache_clear(struct valcache *c)
{
	for (size_t i = 0; i < c->nsets * VC_WAYS; i++) {
		free(c->ways[i].e);
		c->ways[i].e = NULL;
	}
	c->st.entries = c->st.bytes = 0;
}

void valcache_free(struct valcache *c)
{
	if (!c)
		return;
	valcache_clear(c);
	free(c->ways);
	free(c->sets);
	free(c);
}

static size_t vc_set_index(const struct valcache *c, uint64_t h)
{
	return (size_t)h & (c->nsets - 1);
}

static struct vc_way *vc_find(struct valcache *c, uint64_t h, const uint8_t *k, size_t kl)
{
	size_t si = vc_set_index(c, h);
	const uint64_t *hs = c->sets[si].hash;
	for (int i = 0; i < VC_WAYS; i++) {
		if (hs[i] != h)
			continue;
		struct vc_way *w = &c->ways[si * VC_WAYS + (size_t)i];
		if (w->e && w->e->klen == kl && pd_mem_equal(w->e->data, k, kl))
			return w;
	}
	return NULL;
}

int valcache_get(struct valcache *c, const uint8_t *k, size_t kl, const uint8_t **v,
                 size_t *vl)
{
	uint64_t h = pd_hash(k, kl, c->seed);
	struct vc_way *w = vc_find(c, h, k, kl);
	if (!w) {
		c->st.misses++;
		return 0;
	}
	c->st.hits++;
	w->age = ++c->clock;
	*v = w->e->data + w->e->klen;
	*vl = w->e->vlen;
	return 1;
}

void valcache_put(struct valcache *c, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	uint64_t h = pd_hash(k, kl, c->seed);
	struct vc_way *w = vc_find(c, h, k, kl);
	if (w && w->e->vcap >= vl) {
		memcpy(w->e->data + kl, v, vl);
		w->e->vlen = (uint32_t)vl;
		w->age = ++c->clock;
		return;
	}
	size_t si = vc_set_index(c, h);
	if (!w) { /* the oldest way of the set makes room */
		struct vc_way *set = &c->ways[si * VC_WAYS];
		w = &set[0];
		for (int i = 1; i < VC_WAYS; i++)
			if (!set[i].e || (w->e && (int32_t)(set[i].age - w->age) < 0))
				w = &set[i];
	}
	size_t vcap = vl + 16;
	struct vc_ent *e = malloc(sizeof(*e) + kl + vcap);
	if (!e) {
		/* A cache may miss an entry, never hold a stale one. */
		if (w->e && w->e->klen == kl && pd_mem_equal(w->e->data, k, kl)) {
			c->st.entries--;
			c->st.bytes -= sizeof(*w->e) + w->e->klen + w->e->vcap;
			free(w->e);
			w->e = NULL;
		}
		return;
	}
	if (w->e) {
		c->st.entries--;
		c->st.bytes -= sizeof(*w->e) + w->e->klen + w->e->vcap;
		free(w->e);
	}
	e->klen = (uint32_t)kl;
	e->vlen = (uint32_t)vl;
	e->vcap = (uint32_t)vcap;
	memcpy(e->data, k, kl);
	memcpy(e->data + kl, v, vl);
	w->e = e;
	c->sets[si].hash[w - &c->ways[si * VC_WAYS]] = h;
	w->age = ++c->clock;
	c->st.entries++;
	c->st.bytes += sizeof(*e) + kl + vcap;
}

void valcache_stats(const struct valcache *c, struct valcache_stats *st)
{
	*st = c->st;
}
