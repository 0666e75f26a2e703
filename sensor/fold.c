#include "fold.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pd_err.h"
#include "pd_hash.h"

/* The slot table starts small (so it stays in cache for ordinary windows)
 * and doubles at half load up to what max_tuples needs. */
#define FOLD_MIN_SLOTS 16384u

struct fold_entry {
	uint64_t count;
	int64_t first_s, last_s;
	uint32_t stamp;
	uint32_t klen;
	uint8_t key[];
};

/* A slot packs the hash's high half (to skip most key compares without
 * touching the entry) and the entry's arena offset in 8-byte units plus 1. */
struct fold {
	uint64_t *slots;
	size_t mask, max_mask, count, max_tuples;
	uint8_t *arena;
	size_t used, arena_bytes;
	uint64_t seed;
};

/* Large, randomly accessed memory: ask for huge pages to spare the TLB. */
static void *fold_map(size_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static size_t fold_entry_size(size_t klen)
{
	return (sizeof(struct fold_entry) + klen + 7) & ~(size_t)7;
}

struct fold *fold_new(size_t max_tuples, size_t arena_bytes, uint64_t seed)
{
	struct fold *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	size_t max = FOLD_MIN_SLOTS;
	while (max < max_tuples * 2)
		max <<= 1;
	f->max_mask = max - 1;
	f->mask = (max < FOLD_MIN_SLOTS * 4 ? max : FOLD_MIN_SLOTS * 4) - 1;
	f->slots = calloc(f->mask + 1, sizeof(uint64_t));
	f->arena = fold_map(arena_bytes);
	if (!f->slots || !f->arena || arena_bytes / 8 >= UINT32_MAX) {
		fold_free(f);
		return NULL;
	}
	f->max_tuples = max_tuples;
	f->arena_bytes = arena_bytes;
	f->seed = seed;
	return f;
}

void fold_free(struct fold *f)
{
	if (!f)
		return;
	free(f->slots);
	if (f->arena)
		munmap(f->arena, f->arena_bytes);
	free(f);
}

static struct fold_entry *fold_at(const struct fold *f, uint64_t slot)
{
	return (struct fold_entry *)(void *)(f->arena + ((slot & 0xffffffffu) - 1) * 8);
}

static void fold_place(uint64_t *slots, size_t mask, uint64_t h, uint64_t slot)
{
	size_t i = (size_t)h & mask;
	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = slot;
}

/* Doubles the slot table, re-placing every entry of the arena. */
static void fold_grow(struct fold *f)
{
	size_t nmask = f->mask * 2 + 1;
	uint64_t *ns = calloc(nmask + 1, sizeof(uint64_t));
	if (!ns)
		return; /* keep probing the fuller table: still correct */
	for (size_t off = 0; off < f->used;) {
		struct fold_entry *e = (struct fold_entry *)(void *)(f->arena + off);
		uint64_t h = pd_hash(e->key, e->klen, f->seed);
		fold_place(ns, nmask, h, (h & 0xffffffff00000000ull) | (off / 8 + 1));
		off += fold_entry_size(e->klen);
	}
	free(f->slots);
	f->slots = ns;
	f->mask = nmask;
}

uint64_t fold_hash(const struct fold *f, const uint8_t *key, size_t klen)
{
	return pd_hash(key, klen, f->seed);
}

void fold_prefetch(const struct fold *f, uint64_t hash)
{
	__builtin_prefetch(&f->slots[(size_t)hash & f->mask]);
}

int fold_add(struct fold *f, const uint8_t *key, size_t klen, int64_t ts_s, uint32_t stamp)
{
	return fold_add_hashed(f, key, klen, fold_hash(f, key, klen), ts_s, stamp);
}

int fold_add_hashed(struct fold *f, const uint8_t *key, size_t klen, uint64_t h,
                    int64_t ts_s, uint32_t stamp)
{
	uint64_t tag = h & 0xffffffff00000000ull;
	size_t i = (size_t)h & f->mask;

	for (;; i = (i + 1) & f->mask) {
		uint64_t s = f->slots[i];
		if (s == 0)
			break;
		if ((s & 0xffffffff00000000ull) != tag)
			continue;
		struct fold_entry *e = fold_at(f, s);
		if (e->klen != klen || !pd_mem_equal(e->key, key, klen))
			continue;
		if (e->stamp != stamp) {
			e->stamp = stamp;
			e->count++;
		}
		if (ts_s < e->first_s)
			e->first_s = ts_s;
		if (ts_s > e->last_s)
			e->last_s = ts_s;
		return 0;
	}
	size_t sz = fold_entry_size(klen);
	if (f->count >= f->max_tuples || sz > f->arena_bytes - f->used)
		return PD_ELIMIT;
	struct fold_entry *e = (struct fold_entry *)(void *)(f->arena + f->used);
	e->count = 1;
	e->first_s = e->last_s = ts_s;
	e->stamp = stamp;
	e->klen = (uint32_t)klen;
	memcpy(e->key, key, klen);
	f->slots[i] = tag | (f->used / 8 + 1);
	f->used += sz;
	f->count++;
	if (f->count * 2 > f->mask && f->mask < f->max_mask)
		fold_grow(f);
	return 0;
}

size_t fold_flush(struct fold *f, fold_emit_fn fn, void *ctx)
{
	size_t n = 0;
	for (size_t off = 0; off < f->used;) {
		struct fold_entry *e = (struct fold_entry *)(void *)(f->arena + off);
		struct pd_obs o;
		off += fold_entry_size(e->klen);
		if (pd_obs_key_unpack(&o, e->key, e->klen) < 0)
			continue; /* cannot happen: keys are packed by the decoder */
		o.count = e->count;
		o.first_s = e->first_s;
		o.last_s = e->last_s;
		n++;
		fn(ctx, &o);
	}
	memset(f->slots, 0, (f->mask + 1) * sizeof(uint64_t));
	f->used = 0;
	f->count = 0;
	return n;
}

size_t fold_count(const struct fold *f)
{
	return f->count;
}
