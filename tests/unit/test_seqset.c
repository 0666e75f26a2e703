/* Unit tests for seqset: exactly-once bookkeeping of a stream's sequence
 * numbers (in order, out of order, duplicates, gaps closed by the floor,
 * the cap above a gap), its encoding and corrupt encodings, and a
 * randomized comparison against a bitmap of applied numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_varint.h"
#include "seqset.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

/* The representation's invariants: sorted, strictly above contiguous, and
 * never starting right after it (that number would have been absorbed). */
static void assert_sane(const struct seqset *s)
{
	assert_true(s->n <= SEQSET_MAX);
	for (uint32_t i = 0; i < s->n; i++) {
		assert_true(s->above[i] > s->contiguous);
		if (i)
			assert_true(s->above[i] > s->above[i - 1]);
	}
	if (s->n)
		assert_true(s->above[0] > s->contiguous + 1);
}

static void assert_state(const struct seqset *s, uint64_t contiguous, const uint64_t *above,
                         uint32_t n)
{
	assert_sane(s);
	assert_int_equal(s->contiguous, contiguous);
	assert_int_equal(s->n, n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(s->above[i], above[i]);
}

static struct seqset *new_set(void)
{
	struct seqset *s = malloc(sizeof(*s));
	assert_non_null(s);
	memset(s, 0xee, sizeof(*s)); /* init must not rely on zeroed memory */
	seqset_init(s);
	return s;
}

static void test_init(void **state)
{
	(void)state;
	struct seqset *s = new_set();
	assert_state(s, 0, NULL, 0);
	/* Numbering starts at 1: 0 counts as settled, nothing else is. */
	assert_true(seqset_has(s, 0));
	assert_false(seqset_has(s, 1));
	assert_false(seqset_has(s, 2));
	assert_false(seqset_has(s, UINT64_MAX));
	free(s);
}

static void test_in_order(void **state)
{
	(void)state;
	struct seqset *s = new_set();
	for (uint64_t q = 1; q <= 5000; q++) {
		assert_false(seqset_has(s, q));
		assert_int_equal(seqset_add(s, q), 0);
		assert_true(seqset_has(s, q));
		assert_int_equal(s->contiguous, q);
		assert_int_equal(s->n, 0);
	}
	assert_false(seqset_has(s, 5001));
	free(s);
}

static void test_out_of_order(void **state)
{
	(void)state;
	struct seqset *s = new_set();
	assert_int_equal(seqset_add(s, 3), 0);
	assert_int_equal(seqset_add(s, 5), 0);
	assert_int_equal(seqset_add(s, 2), 0);
	const uint64_t a1[] = { 2, 3, 5 };
	assert_state(s, 0, a1, 3);
	assert_false(seqset_has(s, 1));
	assert_true(seqset_has(s, 2));
	assert_false(seqset_has(s, 4));
	assert_true(seqset_has(s, 5));
	assert_false(seqset_has(s, 6));

	/* 1 fills the first gap: the run 1..3 settles, 5 stays. */
	assert_int_equal(seqset_add(s, 1), 0);
	const uint64_t a2[] = { 5 };
	assert_state(s, 3, a2, 1);
	/* 4 fills the last one. */
	assert_int_equal(seqset_add(s, 4), 0);
	assert_state(s, 5, NULL, 0);

	/* Descending delivery: everything waits for the lowest. */
	struct seqset *d = new_set();
	for (uint64_t q = 100; q >= 2; q--)
		assert_int_equal(seqset_add(d, q), 0);
	assert_int_equal(d->contiguous, 0);
	assert_int_equal(d->n, 99);
	assert_sane(d);
	assert_int_equal(seqset_add(d, 1), 0);
	assert_state(d, 100, NULL, 0);
	free(d);
	free(s);
}

static void test_duplicates(void **state)
{
	(void)state;
	struct seqset *s = new_set();
	assert_int_equal(seqset_add(s, 1), 0);
	assert_int_equal(seqset_add(s, 2), 0);
	assert_int_equal(seqset_add(s, 7), 0);
	assert_int_equal(seqset_add(s, 9), 0);
	const uint64_t a[] = { 7, 9 };
	/* Again, and again: nothing changes. */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(seqset_add(s, 7), 0);
		assert_int_equal(seqset_add(s, 9), 0);
		assert_int_equal(seqset_add(s, 1), 0);
		assert_int_equal(seqset_add(s, 2), 0);
		assert_int_equal(seqset_add(s, 0), 0);
		assert_state(s, 2, a, 2);
	}
	free(s);
}

static void test_floor(void **state)
{
	(void)state;
	struct seqset *s = new_set();
	for (uint64_t q = 1; q <= 10; q++)
		assert_int_equal(seqset_add(s, q), 0);
	assert_int_equal(seqset_add(s, 15), 0);
	assert_int_equal(seqset_add(s, 16), 0);
	assert_int_equal(seqset_add(s, 20), 0);
	const uint64_t a[] = { 15, 16, 20 };
	assert_state(s, 10, a, 3);

	/* Floor 0, below contiguous, and at contiguous + 1 settle nothing new. */
	seqset_floor(s, 0);
	assert_state(s, 10, a, 3);
	seqset_floor(s, 5);
	assert_state(s, 10, a, 3);
	seqset_floor(s, 10);
	assert_state(s, 10, a, 3);
	seqset_floor(s, 11);
	assert_state(s, 10, a, 3);
	assert_false(seqset_has(s, 11));

	/* Floor 12: 11 is settled (it will not come), 12..14 still may. */
	seqset_floor(s, 12);
	assert_state(s, 11, a, 3);
	assert_true(seqset_has(s, 11));
	assert_false(seqset_has(s, 12));

	/* Floor 15 closes the gap and absorbs the run 15, 16. */
	seqset_floor(s, 15);
	const uint64_t b[] = { 20 };
	assert_state(s, 16, b, 1);
	for (uint64_t q = 0; q <= 16; q++)
		assert_true(seqset_has(s, q));
	assert_false(seqset_has(s, 17));

	/* A floor landing inside the set: numbers at and below it are
	 * settled, the run continuing from it is absorbed. */
	struct seqset *t = new_set();
	const uint64_t in[] = { 12, 13, 14, 20, 21, 30 };
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(seqset_add(t, in[i]), 0);
	seqset_floor(t, 13);
	const uint64_t c[] = { 20, 21, 30 };
	assert_state(t, 14, c, 3);

	/* A floor past everything empties the set. */
	seqset_floor(t, 1000);
	assert_state(t, 999, NULL, 0);
	assert_true(seqset_has(t, 999));
	assert_false(seqset_has(t, 1000));
	/* Numbers below the floor arriving late are duplicates. */
	assert_int_equal(seqset_add(t, 500), 0);
	assert_state(t, 999, NULL, 0);
	/* And the floor never moves back. */
	seqset_floor(t, 10);
	assert_state(t, 999, NULL, 0);

	/* The largest floor. */
	seqset_floor(t, UINT64_MAX);
	assert_state(t, UINT64_MAX - 1, NULL, 0);
	assert_false(seqset_has(t, UINT64_MAX));
	assert_int_equal(seqset_add(t, UINT64_MAX), 0);
	assert_true(seqset_has(t, UINT64_MAX));
	assert_int_equal(t->contiguous, UINT64_MAX);
	free(t);
	free(s);
}

static void test_cap(void **state)
{
	(void)state;
	struct seqset *s = new_set();
	/* 1 is missing; SEQSET_MAX numbers above it fit. */
	for (uint64_t q = 2; q < 2 + SEQSET_MAX; q++)
		assert_int_equal(seqset_add(s, q), 0);
	assert_int_equal(s->n, SEQSET_MAX);
	assert_int_equal(s->contiguous, 0);
	assert_sane(s);

	/* One more is refused, above or inside a gap, and leaves no trace. */
	uint64_t top = 1 + SEQSET_MAX;
	assert_int_equal(seqset_add(s, top + 1), PD_ELIMIT);
	assert_int_equal(seqset_add(s, top + 1000), PD_ELIMIT);
	assert_false(seqset_has(s, top + 1));
	assert_int_equal(s->n, SEQSET_MAX);
	assert_int_equal(s->above[SEQSET_MAX - 1], top);
	/* A duplicate is still recognised while full. */
	assert_int_equal(seqset_add(s, 2), 0);
	assert_int_equal(seqset_add(s, top), 0);
	assert_int_equal(s->n, SEQSET_MAX);

	/* Filling the gap collapses the whole set. */
	assert_int_equal(seqset_add(s, 1), 0);
	assert_state(s, top, NULL, 0);
	assert_int_equal(seqset_add(s, top + 1), 0);
	assert_state(s, top + 1, NULL, 0);

	/* A full set with holes: filling the lowest gap only settles the run
	 * after it, and frees that many entries. */
	seqset_init(s);
	for (uint32_t i = 0; i < SEQSET_MAX; i++)
		assert_int_equal(seqset_add(s, i < 10 ? 2 + i : 20 + i), 0);
	assert_int_equal(seqset_add(s, 15), PD_ELIMIT);
	assert_int_equal(seqset_add(s, 1), 0);
	assert_int_equal(s->contiguous, 11);
	assert_int_equal(s->n, SEQSET_MAX - 10);
	assert_sane(s);
	assert_int_equal(seqset_add(s, 15), 0);
	assert_int_equal(s->n, SEQSET_MAX - 9);

	/* A floor frees a full set too. */
	seqset_init(s);
	for (uint64_t q = 3; q < 3 + SEQSET_MAX; q++)
		assert_int_equal(seqset_add(s, q), 0);
	assert_int_equal(seqset_add(s, 5000), PD_ELIMIT);
	seqset_floor(s, 2); /* 1 settled, 2 still missing */
	assert_int_equal(s->contiguous, 1);
	assert_int_equal(s->n, SEQSET_MAX);
	seqset_floor(s, 3);
	assert_state(s, 2 + SEQSET_MAX, NULL, 0);
	assert_int_equal(seqset_add(s, 5000), 0);
	free(s);
}

static void assert_same(const struct seqset *a, const struct seqset *b)
{
	assert_int_equal(a->contiguous, b->contiguous);
	assert_int_equal(a->n, b->n);
	for (uint32_t i = 0; i < a->n; i++)
		assert_int_equal(a->above[i], b->above[i]);
}

static void round_trip(const struct seqset *s)
{
	static uint8_t buf[SEQSET_ENC_MAX + 16];
	memset(buf, 0xcc, sizeof(buf));
	size_t n = seqset_encode(s, buf);
	assert_true(n >= 2 && n <= SEQSET_ENC_MAX);
	assert_int_equal(buf[n], 0xcc); /* wrote exactly n bytes */
	struct seqset *d = new_set();
	size_t used = 0;
	assert_int_equal(seqset_decode(d, buf, n, &used), 0);
	assert_int_equal(used, n);
	assert_same(s, d);
	/* Bytes after the encoding are not its business: used says where it ends. */
	buf[n] = 0x7f;
	used = 0;
	assert_int_equal(seqset_decode(d, buf, n + 1, &used), 0);
	assert_int_equal(used, n);
	assert_same(s, d);
	free(d);
}

static void test_encode_round_trip(void **state)
{
	(void)state;
	struct seqset *s = new_set();
	round_trip(s);
	/* The empty set is two bytes: contiguous 0, n 0. */
	uint8_t b[SEQSET_ENC_MAX];
	assert_int_equal(seqset_encode(s, b), 2);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[1], 0);

	for (uint64_t q = 1; q <= 300; q++)
		seqset_add(s, q);
	round_trip(s);
	seqset_add(s, 302);
	seqset_add(s, 1000000);
	seqset_add(s, 1ull << 40);
	round_trip(s);
	/* Deltas: 302 - 300, then the gaps. */
	size_t n = seqset_encode(s, b);
	size_t pos = 0;
	uint64_t v;
	assert_int_equal(pd_get_var(b, n, &pos, &v), 0);
	assert_int_equal(v, 300);
	assert_int_equal(pd_get_var(b, n, &pos, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(pd_get_var(b, n, &pos, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(pd_get_var(b, n, &pos, &v), 0);
	assert_int_equal(v, 1000000 - 302);

	/* The largest encoding: huge contiguous, a full set, huge gaps. */
	seqset_init(s);
	seqset_floor(s, 1ull << 62);
	for (uint32_t i = 0; i < SEQSET_MAX; i++)
		assert_int_equal(seqset_add(s, (1ull << 62) + 1 + (uint64_t)i * (1ull << 50)), 0);
	assert_int_equal(s->n, SEQSET_MAX);
	round_trip(s);
	/* The extremes of the number space. */
	seqset_init(s);
	seqset_floor(s, UINT64_MAX - 5);
	assert_int_equal(seqset_add(s, UINT64_MAX), 0);
	assert_int_equal(seqset_add(s, UINT64_MAX - 2), 0);
	round_trip(s);
	free(s);
}

static void test_decode_corrupt(void **state)
{
	(void)state;
	struct seqset *s = new_set(), *d = new_set();
	uint8_t buf[SEQSET_ENC_MAX + 64];
	size_t used;
	for (uint64_t q = 1; q <= 10; q++)
		seqset_add(s, q);
	seqset_add(s, 12);
	seqset_add(s, 300);
	seqset_add(s, 100000);
	size_t n = seqset_encode(s, buf);

	/* Truncated at every length. */
	for (size_t l = 0; l < n; l++)
		assert_int_equal(seqset_decode(d, buf, l, &used), PD_EMALF);
	assert_int_equal(seqset_decode(d, buf, n, &used), 0);

	/* A zero delta (a number twice, or one equal to contiguous). */
	size_t w = 0;
	w += pd_put_var(buf + w, 10);
	w += pd_put_var(buf + w, 2);
	w += pd_put_var(buf + w, 3);
	w += pd_put_var(buf + w, 0);
	assert_int_equal(seqset_decode(d, buf, w, &used), PD_EMALF);
	w = 0;
	w += pd_put_var(buf + w, 10);
	w += pd_put_var(buf + w, 1);
	w += pd_put_var(buf + w, 0);
	assert_int_equal(seqset_decode(d, buf, w, &used), PD_EMALF);

	/* Deltas that overflow 64 bits. */
	w = 0;
	w += pd_put_var(buf + w, UINT64_MAX - 1);
	w += pd_put_var(buf + w, 1);
	w += pd_put_var(buf + w, 5);
	assert_int_equal(seqset_decode(d, buf, w, &used), PD_EMALF);
	w = 0;
	w += pd_put_var(buf + w, 1);
	w += pd_put_var(buf + w, 2);
	w += pd_put_var(buf + w, UINT64_MAX - 1);
	w += pd_put_var(buf + w, 2);
	assert_int_equal(seqset_decode(d, buf, w, &used), PD_EMALF);
	/* ... while reaching exactly UINT64_MAX is fine. */
	w = 0;
	w += pd_put_var(buf + w, 1);
	w += pd_put_var(buf + w, 2);
	w += pd_put_var(buf + w, UINT64_MAX - 2);
	w += pd_put_var(buf + w, 1);
	assert_int_equal(seqset_decode(d, buf, w, &used), 0);
	assert_int_equal(d->above[1], UINT64_MAX);

	/* More entries than the cap, all of them present and valid. */
	w = 0;
	w += pd_put_var(buf + w, 0);
	w += pd_put_var(buf + w, SEQSET_MAX + 1);
	for (int i = 0; i <= SEQSET_MAX; i++)
		w += pd_put_var(buf + w, 2);
	assert_int_equal(seqset_decode(d, buf, w, &used), PD_EMALF);
	/* Exactly the cap is fine. */
	w = 0;
	w += pd_put_var(buf + w, 0);
	w += pd_put_var(buf + w, SEQSET_MAX);
	for (int i = 0; i < SEQSET_MAX; i++)
		w += pd_put_var(buf + w, 2);
	assert_int_equal(seqset_decode(d, buf, w, &used), 0);
	assert_int_equal(used, w);
	assert_int_equal(d->n, SEQSET_MAX);
	assert_int_equal(d->above[SEQSET_MAX - 1], 2 * SEQSET_MAX);
	/* A count beyond 32 bits. */
	w = 0;
	w += pd_put_var(buf + w, 0);
	w += pd_put_var(buf + w, 1ull << 32);
	w += pd_put_var(buf + w, 2);
	assert_int_equal(seqset_decode(d, buf, w, &used), PD_EMALF);

	/* An over-long varint. */
	w = 0;
	for (int i = 0; i < 10; i++)
		buf[w++] = 0x81;
	buf[w++] = 0;
	buf[w++] = 0;
	assert_int_equal(seqset_decode(d, buf, w, &used), PD_EMALF);
	free(s);
	free(d);
}

/*
 * The reference: a bitmap of numbers that are applied or settled. Numbers
 * 1..nseq are delivered in random orders, with duplicates, late arrivals
 * of settled numbers, refused deliveries retried later, and floors below
 * which the sender has given up on numbers (those are never delivered).
 */
struct model {
	uint8_t *applied; /* index = seq; [0] set */
	uint64_t nseq;
	uint64_t contiguous; /* the run from 0 */
	uint32_t nabove;     /* applied numbers beyond it */
};

static int model_has(const struct model *m, uint64_t q)
{
	return q <= m->nseq ? m->applied[q] : 0;
}

static void model_mark(struct model *m, uint64_t q)
{
	if (m->applied[q])
		return;
	m->applied[q] = 1;
	if (q > m->contiguous)
		m->nabove++;
	while (m->contiguous + 1 <= m->nseq && m->applied[m->contiguous + 1]) {
		m->contiguous++;
		m->nabove--;
	}
}

static void assert_matches(const struct seqset *s, const struct model *m, int full)
{
	assert_sane(s);
	assert_int_equal(s->contiguous, m->contiguous);
	assert_int_equal(s->n, m->nabove);
	/* Same count, every member in the model: the same set. */
	for (uint32_t i = 0; i < s->n; i++)
		assert_true(model_has(m, s->above[i]));
	if (full)
		for (uint64_t q = 0; q <= m->nseq + 1; q++)
			assert_int_equal(seqset_has(s, q), model_has(m, q));
}

static void run_trial(uint64_t *rs, uint64_t nseq, int dup_pct, int floor_pct)
{
	struct model m = { calloc(nseq + 2, 1), nseq, 0, 0 };
	assert_non_null(m.applied);
	m.applied[0] = 1;
	/* pending: numbers still to deliver (each once, until applied). */
	uint64_t *pending = malloc(nseq * sizeof(*pending));
	assert_non_null(pending);
	size_t npending = nseq;
	for (uint64_t i = 0; i < nseq; i++)
		pending[i] = i + 1;
	struct seqset *s = new_set();
	uint64_t floor = 0, ops = 0, refused = 0;

	while (npending) {
		ops++;
		uint64_t r = rng_below(rs, 100);
		if (r < (uint64_t)floor_pct) {
			/* The sender gives up on everything below a new floor: a
			 * little past the lowest number not yet applied, so some
			 * are dropped, never past the end of the stream. */
			uint64_t lowest = UINT64_MAX;
			for (size_t i = 0; i < npending; i++)
				if (pending[i] < lowest)
					lowest = pending[i];
			uint64_t hi = lowest + 3 < nseq + 1 ? lowest + 3 : nseq + 1;
			assert_true(hi >= floor);
			uint64_t f = floor + rng_below(rs, hi - floor + 1);
			if (rng_below(rs, 4) == 0)
				f = rng_below(rs, floor + 1); /* an old floor again */
			if (f > floor)
				floor = f;
			seqset_floor(s, f);
			for (uint64_t q = 1; q < f && q <= nseq; q++)
				model_mark(&m, q);
			/* Numbers below it are dropped by the sender... */
			for (size_t i = 0; i < npending;) {
				if (pending[i] < f)
					pending[i] = pending[--npending];
				else
					i++;
			}
		} else if (r < (uint64_t)(floor_pct + dup_pct)) {
			/* ... but a copy may still arrive: a duplicate. */
			uint64_t q = 1 + rng_below(rs, nseq);
			if (!m.applied[q])
				continue;
			assert_true(seqset_has(s, q));
			assert_int_equal(seqset_add(s, q), 0);
		} else {
			size_t i = (size_t)rng_below(rs, npending);
			uint64_t q = pending[i];
			assert_false(seqset_has(s, q));
			int rc = seqset_add(s, q);
			if (rc == PD_ELIMIT) {
				/* Only above a gap and with a full set; retried later.
				 * (Nothing changed: skip the checks below.) */
				refused++;
				assert_int_equal(s->n, SEQSET_MAX);
				assert_true(q > s->contiguous + 1);
				continue;
			} else {
				assert_int_equal(rc, 0);
				model_mark(&m, q);
				pending[i] = pending[--npending];
			}
		}
		if (nseq <= 400 || ops % 64 == 0)
			assert_matches(s, &m, ops % 512 == 0);
		/* Now and then the state goes through its encoding, as it does
		 * through the store; carry on with the decoded copy. */
		if (rng_below(rs, 50) == 0) {
			static uint8_t buf[SEQSET_ENC_MAX];
			size_t n = seqset_encode(s, buf), used = 0;
			struct seqset *d = new_set();
			assert_int_equal(seqset_decode(d, buf, n, &used), 0);
			assert_int_equal(used, n);
			assert_same(s, d);
			free(s);
			s = d;
		}
	}
	assert_matches(s, &m, 1);
	/* Everything was applied or settled: the set is one run. */
	assert_int_equal(s->contiguous, nseq);
	assert_int_equal(s->n, 0);
	if (nseq > 2 * SEQSET_MAX && floor_pct == 0)
		assert_true(refused > 0); /* the cap was exercised */
	free(s);
	free(pending);
	free(m.applied);
}

static void test_random_against_bitmap(void **state)
{
	(void)state;
	uint64_t rs = 20240601;
	for (int t = 0; t < 4000; t++) {
		uint64_t nseq = 1 + rng_below(&rs, t % 10 == 0 ? 400 : 60);
		int dup = (int)rng_below(&rs, 40);
		int fl = t % 3 == 0 ? 0 : (int)rng_below(&rs, 8);
		run_trial(&rs, nseq, dup, fl);
	}
	/* Long streams where random order overflows the cap above the gaps. */
	for (int t = 0; t < 4; t++)
		run_trial(&rs, 5 * SEQSET_MAX / 2, 10, t % 2 ? 1 : 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_encode_round_trip),
		cmocka_unit_test(test_decode_corrupt),
		cmocka_unit_test(test_random_against_bitmap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
