/*
 * seqset: which sequence numbers of one sensor stream are applied
 * (DESIGN.md "Idempotence"): every number up to `contiguous`, plus a sorted
 * set of numbers above it. A duplicate is recognised without being applied
 * again, and out-of-order delivery never loses a batch.
 *
 * The sensor's floor_seq (the lowest number it may still send) lets gaps
 * close: numbers below it were acked or dropped and will not come, so
 * `contiguous` moves up to floor - 1. The set above is capped; when it is
 * full, seqset_add refuses (PD_ELIMIT) and the batch is retried later, after
 * the sensor has delivered what fills the gap.
 */
#ifndef AGG_SEQSET_H
#define AGG_SEQSET_H

#include <stddef.h>
#include <stdint.h>

#define SEQSET_MAX 1024
#define SEQSET_ENC_MAX (2 + 10 + 10 + SEQSET_MAX * 10)

struct seqset {
	uint64_t contiguous;
	uint32_t n;
	uint64_t above[SEQSET_MAX]; /* ascending, all > contiguous */
};

void seqset_init(struct seqset *s);
int seqset_has(const struct seqset *s, uint64_t seq);
/* Records seq (absent) as applied; 0 or PD_ELIMIT. */
int seqset_add(struct seqset *s, uint64_t seq);
/* Everything below floor is settled. */
void seqset_floor(struct seqset *s, uint64_t floor);

size_t seqset_encode(const struct seqset *s, uint8_t *out);
int seqset_decode(struct seqset *s, const uint8_t *p, size_t len, size_t *used);

#endif
