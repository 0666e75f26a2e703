#include "seqset.h"

#include <string.h>

#include "pd_err.h"
#include "pd_varint.h"

void seqset_init(struct seqset *s)
{
	s->contiguous = 0;
	s->n = 0;
}

/* Index of the first element >= seq. */
static uint32_t seqset_lower(const struct seqset *s, uint64_t seq)
{
	uint32_t lo = 0, hi = s->n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (s->above[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int seqset_has(const struct seqset *s, uint64_t seq)
{
	if (seq <= s->contiguous)
		return 1;
	uint32_t i = seqset_lower(s, seq);
	return i < s->n && s->above[i] == seq;
}

/* Moves contiguous over the set's head while it continues the run. */
static void seqset_settle(struct seqset *s)
{
	uint32_t k = 0;
	while (k < s->n && s->above[k] <= s->contiguous + 1) {
		if (s->above[k] == s->contiguous + 1)
			s->contiguous++;
		k++;
	}
	if (k) {
		memmove(s->above, s->above + k, (s->n - k) * sizeof(s->above[0]));
		s->n -= k;
	}
}

int seqset_add(struct seqset *s, uint64_t seq)
{
	if (seqset_has(s, seq))
		return 0;
	if (seq == s->contiguous + 1) {
		s->contiguous = seq;
		seqset_settle(s);
		return 0;
	}
	if (s->n == SEQSET_MAX)
		return PD_ELIMIT;
	uint32_t i = seqset_lower(s, seq);
	memmove(s->above + i + 1, s->above + i, (s->n - i) * sizeof(s->above[0]));
	s->above[i] = seq;
	s->n++;
	return 0;
}

void seqset_floor(struct seqset *s, uint64_t floor)
{
	if (floor > 0 && floor - 1 > s->contiguous) {
		s->contiguous = floor - 1;
		seqset_settle(s);
	}
}

size_t seqset_encode(const struct seqset *s, uint8_t *out)
{
	size_t n = pd_put_var(out, s->contiguous);
	n += pd_put_var(out + n, s->n);
	uint64_t prev = s->contiguous;
	for (uint32_t i = 0; i < s->n; i++) {
		n += pd_put_var(out + n, s->above[i] - prev);
		prev = s->above[i];
	}
	return n;
}

int seqset_decode(struct seqset *s, const uint8_t *p, size_t len, size_t *used)
{
	size_t pos = 0;
	uint64_t c, n;
	if (pd_get_var(p, len, &pos, &c) < 0 || pd_get_var(p, len, &pos, &n) < 0 || n > SEQSET_MAX)
		return PD_EMALF;
	s->contiguous = c;
	s->n = (uint32_t)n;
	uint64_t prev = c;
	for (uint32_t i = 0; i < s->n; i++) {
		uint64_t d;
		if (pd_get_var(p, len, &pos, &d) < 0 || d == 0 || prev + d < prev)
			return PD_EMALF;
		prev += d;
		s->above[i] = prev;
	}
	*used = pos;
	return 0;
}
