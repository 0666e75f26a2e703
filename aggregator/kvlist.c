#include "kvlist.h"

#include <stdlib.h>
#include <string.h>

#include "pd_err.h"

/* Arena entry: lengths, key, value, 8-byte aligned. */
struct kl_ent {
	uint32_t klen, vlen;
	uint8_t data[];
};

/* One pair in key order: 8 of its key's bytes (big-endian, zero-padded),
 * the ones kl_sort_range is sorting by, then the entry, whose place in the
 * arena also orders equal keys as they came. */
struct kl_ord {
	uint64_t head;
	const struct kl_ent *e;
};

struct kvlist {
	uint8_t *arena;
	size_t used, cap;
	struct kl_ord *order, *tmp; /* tmp: the radix sort's other buffer */
	size_t count, ord_cap, nsorted;
};

struct kvlist *kvlist_new(void)
{
	return calloc(1, sizeof(struct kvlist));
}

void kvlist_free(struct kvlist *l)
{
	if (!l)
		return;
	free(l->arena);
	free(l->order);
	free(l->tmp);
	free(l);
}

void kvlist_clear(struct kvlist *l)
{
	l->used = l->count = l->nsorted = 0;
}

size_t kvlist_count(const struct kvlist *l)
{
	return l->count;
}

static size_t kl_size(size_t kl, size_t vl)
{
	return (sizeof(struct kl_ent) + kl + vl + 7) & ~(size_t)7;
}

static const struct kl_ent *kl_at(const struct kvlist *l, size_t off)
{
	return (const struct kl_ent *)(const void *)(l->arena + off);
}

/* Makes room in *p (*cap elements of sz bytes, used of them taken) for
 * more elements, doubling; 0 or PD_ELIMIT. */
static int kl_reserve(void **p, size_t *cap, size_t used, size_t more, size_t sz)
{
	if (*cap - used >= more)
		return 0;
	size_t want = *cap ? *cap : 4096 / sz;
	while (want - used < more) {
		if (want > SIZE_MAX / 2 / sz)
			return PD_ELIMIT;
		want *= 2;
	}
	void *n = realloc(*p, want * sz);
	if (!n)
		return PD_ELIMIT;
	*p = n;
	*cap = want;
	return 0;
}

int kvlist_add(struct kvlist *l, const uint8_t *k, size_t kl, const uint8_t *v, size_t vl)
{
	if (kl > UINT32_MAX || vl > UINT32_MAX || kl + vl > SIZE_MAX / 2)
		return PD_ELIMIT;
	size_t sz = kl_size(kl, vl);
	if (kl_reserve((void **)&l->arena, &l->cap, l->used, sz, 1) < 0)
		return PD_ELIMIT;
	if (l->count == l->ord_cap) {
		size_t cap = l->ord_cap;
		if (kl_reserve((void **)&l->tmp, &cap, l->count, 1, sizeof(*l->tmp)) < 0 ||
		    kl_reserve((void **)&l->order, &l->ord_cap, l->count, 1, sizeof(*l->order)) < 0)
			return PD_ELIMIT;
	}
	struct kl_ent *e = (struct kl_ent *)(void *)(l->arena + l->used);
	e->klen = (uint32_t)kl;
	e->vlen = (uint32_t)vl;
	if (kl)
		memcpy(e->data, k, kl);
	if (vl)
		memcpy(e->data + kl, v, vl);
	l->count++;
	l->used += sz;
	l->nsorted = 0;
	return 0;
}

static uint64_t kl_head(const struct kl_ent *e, size_t depth)
{
	uint64_t h = 0;
	for (size_t i = depth; i < depth + 8; i++)
		h = h << 8 | (i < e->klen ? e->data[i] : 0);
	return h;
}

static int kl_cmp(const void *a, const void *b)
{
	const struct kl_ord *x = a, *y = b;
	if (x->head != y->head)
		return x->head < y->head ? -1 : 1;
	const struct kl_ent *ex = x->e, *ey = y->e;
	int c = memcmp(ex->data, ey->data, ex->klen < ey->klen ? ex->klen : ey->klen);
	if (c)
		return c;
	if (ex->klen != ey->klen)
		return ex->klen < ey->klen ? -1 : 1;
	return (ex > ey) - (ex < ey);
}

/* Sorts the n pairs at a by head, stably, through tmp: one counting pass
 * per head byte (least significant first), skipping bytes that all heads
 * share. */
static void kl_radix(struct kl_ord *a, struct kl_ord *tmp, size_t n)
{
	struct kl_ord *from = a, *to = tmp;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t pos[256] = { 0 };
		for (size_t i = 0; i < n; i++)
			pos[(from[i].head >> shift) & 0xff]++;
		if (pos[(from[0].head >> shift) & 0xff] == n)
			continue;
		for (size_t d = 0, sum = 0; d < 256; d++) {
			size_t c = pos[d];
			pos[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[pos[(from[i].head >> shift) & 0xff]++] = from[i];
		struct kl_ord *t = from;
		from = to;
		to = t;
	}
	if (from != a)
		memcpy(a, from, n * sizeof(*a));
}

/* How many 8-byte steps into the keys kl_sort_range goes before it leaves
 * what is still tied to qsort (keys can be 64 KiB long; this bounds the
 * recursion). */
#define KL_DEPTH_STEPS 4

/*
 * Sorts order[lo..hi), whose keys agree on their first depth bytes: by
 * the next 8 bytes, then each run still tied by the next 8, and so on. A
 * short run is sorted by insertion, which costs less than a qsort call.
 */
static void kl_sort_range(struct kvlist *l, size_t lo, size_t hi, size_t depth, int steps)
{
	struct kl_ord *o = l->order;
	for (size_t i = lo; i < hi; i++)
		o[i].head = kl_head(o[i].e, depth);
	if (hi - lo <= 16) {
		for (size_t k = lo + 1; k < hi; k++) {
			struct kl_ord x = o[k];
			size_t m = k;
			for (; m > lo && kl_cmp(&o[m - 1], &x) > 0; m--)
				o[m] = o[m - 1];
			o[m] = x;
		}
		return;
	}
	if (steps == 0) {
		qsort(o + lo, hi - lo, sizeof(*o), kl_cmp);
		return;
	}
	kl_radix(o + lo, l->tmp + lo, hi - lo);
	for (size_t i = lo, j; i < hi; i = j) {
		for (j = i + 1; j < hi && o[j].head == o[i].head; j++)
			;
		if (j - i > 1)
			kl_sort_range(l, i, j, depth + 8, steps - 1);
	}
}

void kvlist_sort(struct kvlist *l)
{
	size_t off = 0;
	for (size_t i = 0; i < l->count; i++) {
		l->order[i].e = kl_at(l, off);
		off += kl_size(l->order[i].e->klen, l->order[i].e->vlen);
	}
	kl_sort_range(l, 0, l->count, 0, KL_DEPTH_STEPS);
	l->nsorted = l->count;
}

int kvlist_next(const struct kvlist *l, size_t *cursor, const uint8_t **k, size_t *kl,
                const uint8_t **v, size_t *vl)
{
	if (*cursor >= l->nsorted)
		return 0;
	const struct kl_ent *e = l->order[(*cursor)++].e;
	*k = e->data;
	*kl = e->klen;
	*v = e->data + e->klen;
	*vl = e->vlen;
	return 1;
}
