#include "fold.h"

#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_hash.h"

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
	size_t mask, count, max_tuples;
	uint8_t *arena;
	size_t used, arena_bytes;
	uint64_t seed;
};

static size_t fold_entry_size(size_t klen)
{
	return (sizeof(struct fold_entry) + klen + 7) & ~(size_t)7;
}

struct fold *fold_new(size_t max_tuples, size_t arena_bytes, uint64_t seed)
{
	struct fold *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	size_t n = 16;
	while (n < max_tuples * 2)
		n <<= 1;
	f->slots = calloc(n, sizeof(uint64_t));
	f->arena = malloc(arena_bytes);
	if (!f->slots || !f->arena || arena_bytes / 8 >= UINT32_MAX) {
		fold_free(f);
		return NULL;
	}
	f->mask = n - 1;
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
	free(f->arena);
	free(f);
}

static struct fold_entry *fold_at(const struct fold *f, uint64_t slot)
{
	return (struct fold_entry *)(void *)(f->arena + ((slot & 0xffffffffu) - 1) * 8);
}

int fold_add(struct fold *f, const uint8_t *key, size_t klen, int64_t ts_s, uint32_t stamp)
{
	uint64_t h = pd_hash(key, klen, f->seed);
	uint64_t tag = h & 0xffffffff00000000ull;
	size_t i = (size_t)h & f->mask;

	for (;; i = (i + 1) & f->mask) {
		uint64_t s = f->slots[i];
		if (s == 0)
			break;
		if ((s & 0xffffffff00000000ull) != tag)
			continue;
		struct fold_entry *e = fold_at(f, s);
		if (e->klen != klen || memcmp(e->key, key, klen) != 0)
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
