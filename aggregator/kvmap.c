#include "kvmap.h"

#include <stdlib.h>
#include <string.h>

#include "pd_bigmem.h"
#include "pd_err.h"
#include "pd_hash.h"

/* Arena entry: header, key, value (vcap bytes reserved), 8-byte aligned. */
struct kv_ent {
	uint32_t klen, vlen, vcap;
	uint32_t dead; /* replaced by a later entry */
	uint8_t data[];
};

struct kvmap {
	uint64_t *slots; /* hash tag (high 32) | entry offset / 8 + 1 */
	size_t mask, count, max_entries;
	uint8_t *arena;
	size_t used, arena_bytes;
	uint64_t seed;
};

static size_t kv_size(size_t kl, size_t vcap)
{
	return (sizeof(struct kv_ent) + kl + vcap + 7) & ~(size_t)7;
}

struct kvmap *kvmap_new(size_t max_entries, size_t arena_bytes, uint64_t seed)
{
	struct kvmap *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	size_t n = 64;
	while (n < max_entries * 2)
		n <<= 1;
	m->mask = n - 1;
	m->max_entries = max_entries;
	m->arena_bytes = arena_bytes;
	m->slots = pd_bigmem_alloc(n * sizeof(uint64_t));
	m->arena = pd_bigmem_alloc(arena_bytes);
	if (!m->slots || !m->arena || arena_bytes / 8 >= UINT32_MAX) {
		kvmap_free(m);
		return NULL;
	}
	m->seed = seed;
	return m;
}

void kvmap_free(struct kvmap *m)
{
	if (!m)
		return;
	pd_bigmem_free(m->slots, (m->mask + 1) * sizeof(uint64_t));
	pd_bigmem_free(m->arena, m->arena_bytes);
	free(m);
}

/* What an arena keeps of its memory between uses; the rest of what a big
 * use wrote goes back to the system. */
#define KV_KEEP_BYTES ((size_t)64 << 20)

void kvmap_reset(struct kvmap *m)
{
	if (m->count)
		memset(m->slots, 0, (m->mask + 1) * sizeof(uint64_t));
	if (m->used > KV_KEEP_BYTES)
		pd_bigmem_trim(m->arena, KV_KEEP_BYTES, m->used);
	m->count = 0;
	m->used = 0;
}

size_t kvmap_count(const struct kvmap *m)
{
	return m->count;
}

static struct kv_ent *kv_at(const struct kvmap *m, uint64_t slot)
{
	return (struct kv_ent *)(void *)(m->arena + ((slot & 0xffffffffu) - 1) * 8);
}

/* The slot index holding k, or the empty slot where it would go. */
static size_t kv_find(const struct kvmap *m, const uint8_t *k, size_t kl, uint64_t tag,
                      size_t i)
{
	for (;; i = (i + 1) & m->mask) {
		uint64_t s = m->slots[i];
		if (s == 0)
			return i;
		if ((s & 0xffffffff00000000ull) != tag)
			continue;
		struct kv_ent *e = kv_at(m, s);
		if (e->klen == kl && pd_mem_equal(e->data, k, kl))
			return i;
	}
}

uint64_t kvmap_hash(const struct kvmap *m, const uint8_t *k, size_t kl)
{
	return pd_hash(k, kl, m->seed);
}

void kvmap_prefetch_h(const struct kvmap *m, uint64_t h)
{
	__builtin_prefetch(&m->slots[(size_t)h & m->mask]);
}

int kvmap_get_h(struct kvmap *m, uint64_t h, const uint8_t *k, size_t kl, const uint8_t **v,
                size_t *vl)
{
	size_t i = kv_find(m, k, kl, h & 0xffffffff00000000ull, (size_t)h & m->mask);
	if (!m->slots[i])
		return 0;
	struct kv_ent *e = kv_at(m, m->slots[i]);
	*v = e->data + e->klen;
	*vl = e->vlen;
	return 1;
}

int kvmap_get(struct kvmap *m, const uint8_t *k, size_t kl, const uint8_t **v, size_t *vl)
{
	return kvmap_get_h(m, kvmap_hash(m, k, kl), k, kl, v, vl);
}

int kvmap_put_h(struct kvmap *m, uint64_t h, const uint8_t *k, size_t kl, const uint8_t *v,
                size_t vl)
{
	uint64_t tag = h & 0xffffffff00000000ull;
	size_t i = kv_find(m, k, kl, tag, (size_t)h & m->mask);
	struct kv_ent *old = m->slots[i] ? kv_at(m, m->slots[i]) : NULL;
	if (old && vl <= old->vcap) {
		memcpy(old->data + old->klen, v, vl);
		old->vlen = (uint32_t)vl;
		return 0;
	}
	/* Room for growth: values here gain a site entry now and then. */
	size_t vcap = vl + vl / 2 + 16;
	size_t sz = kv_size(kl, vcap);
	if ((!old && m->count >= m->max_entries) || sz > m->arena_bytes - m->used)
		return PD_ELIMIT;
	struct kv_ent *e = (struct kv_ent *)(void *)(m->arena + m->used);
	e->klen = (uint32_t)kl;
	e->vlen = (uint32_t)vl;
	e->vcap = (uint32_t)vcap;
	e->dead = 0;
	memcpy(e->data, k, kl);
	memcpy(e->data + kl, v, vl);
	if (old)
		old->dead = 1;
	else
		m->count++;
	m->slots[i] = tag | (m->used / 8 + 1);
	m->used += sz;
	return 0;
}

int kvmap_put(struct kvmap *m, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	return kvmap_put_h(m, kvmap_hash(m, k, kl), k, kl, v, vl);
}

int kvmap_next(const struct kvmap *m, size_t *cursor, const uint8_t **k, size_t *kl,
               const uint8_t **v, size_t *vl)
{
	while (*cursor < m->used) {
		const struct kv_ent *e = (const struct kv_ent *)(const void *)(m->arena + *cursor);
		*cursor += kv_size(e->klen, e->vcap);
		if (e->dead)
			continue;
		*k = e->data;
		*kl = e->klen;
		*v = e->data + e->klen;
		*vl = e->vlen;
		return 1;
	}
	return 0;
}
