/* Unit tests for fold: the merge rule, per-response counting, caps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fold.h"
#include "pd_err.h"

struct got {
	size_t n;
	struct pd_obs o[8];
	uint8_t keys[8][64];
};

static void collect(void *ctx, const struct pd_obs *o)
{
	struct got *g = ctx;
	if (g->n < 8) {
		g->o[g->n] = *o;
		g->n++;
	}
}

static size_t key_of(uint8_t *out, const char *name, uint16_t type, uint8_t last_octet)
{
	uint8_t wire[32];
	size_t nl = strlen(name);
	wire[0] = (uint8_t)nl;
	memcpy(wire + 1, name, nl);
	wire[nl + 1] = 0;
	uint8_t rd[4] = { 192, 0, 2, last_octet };
	struct pd_obs o = { .name = wire, .name_len = nl + 2, .rdata = rd, .rdlen = 4, .type = type };
	return (size_t)pd_obs_key_pack(&o, out, 64);
}

static void test_merge_rule(void **state)
{
	(void)state;
	struct fold *f = fold_new(16, 4096, 7);
	uint8_t k1[64], k2[64];
	size_t l1 = key_of(k1, "a", 1, 1), l2 = key_of(k2, "a", 1, 2);
	assert_int_equal(fold_add(f, k1, l1, 105, 1), 0);
	assert_int_equal(fold_add(f, k2, l2, 105, 1), 0);
	assert_int_equal(fold_add(f, k1, l1, 100, 2), 0);
	assert_int_equal(fold_add(f, k1, l1, 110, 3), 0);
	/* Same response (stamp 3) carrying the tuple twice: counts once. */
	assert_int_equal(fold_add(f, k1, l1, 110, 3), 0);
	assert_int_equal(fold_count(f), 2);
	struct got g = { 0 };
	assert_int_equal(fold_flush(f, collect, &g), 2);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.o[0].count, 3);
	assert_int_equal(g.o[0].first_s, 100);
	assert_int_equal(g.o[0].last_s, 110);
	assert_int_equal(g.o[0].rdata[3], 1);
	assert_int_equal(g.o[1].count, 1);
	assert_int_equal(fold_count(f), 0);
	/* After a flush the window is empty and reusable. */
	assert_int_equal(fold_add(f, k1, l1, 200, 4), 0);
	g.n = 0;
	assert_int_equal(fold_flush(f, collect, &g), 1);
	assert_int_equal(g.o[0].count, 1);
	assert_int_equal(g.o[0].first_s, 200);
	fold_free(f);
}

static void test_caps(void **state)
{
	(void)state;
	struct fold *f = fold_new(16, 4096, 7);
	uint8_t k[64];
	for (int i = 0; i < 16; i++) {
		size_t l = key_of(k, "b", 1, (uint8_t)i);
		assert_int_equal(fold_add(f, k, l, 1, (uint32_t)i + 1), 0);
	}
	size_t l = key_of(k, "b", 1, 200);
	assert_int_equal(fold_add(f, k, l, 1, 100), PD_ELIMIT);
	/* A known tuple still folds when the window is full. */
	l = key_of(k, "b", 1, 3);
	assert_int_equal(fold_add(f, k, l, 1, 101), 0);
	fold_free(f);

	/* Arena cap: entries of ~60 bytes in 256 bytes. */
	f = fold_new(1000, 256, 7);
	int added = 0;
	for (int i = 0; i < 100; i++) {
		l = key_of(k, "c", 1, (uint8_t)i);
		if (fold_add(f, k, l, 1, (uint32_t)i + 1) == 0)
			added++;
	}
	assert_true(added > 0 && added < 10);
	assert_int_equal(fold_count(f), (size_t)added);
	fold_free(f);
}

static void test_types_and_negative_distinct(void **state)
{
	(void)state;
	struct fold *f = fold_new(16, 4096, 7);
	uint8_t k1[64], k2[64], k3[64];
	size_t l1 = key_of(k1, "d", 1, 1);
	size_t l2 = key_of(k2, "d", 28, 1);
	uint8_t name[] = { 1, 'd', 0 };
	struct pd_obs neg = { .name = name, .name_len = 3, .type = 1, .flags = PD_OBS_NXDOMAIN };
	size_t l3 = (size_t)pd_obs_key_pack(&neg, k3, sizeof(k3));
	assert_int_equal(fold_add(f, k1, l1, 1, 1), 0);
	assert_int_equal(fold_add(f, k2, l2, 1, 2), 0);
	assert_int_equal(fold_add(f, k3, l3, 1, 3), 0);
	assert_int_equal(fold_count(f), 3);
	struct got g = { 0 };
	fold_flush(f, collect, &g);
	assert_int_equal(g.o[2].flags, PD_OBS_NXDOMAIN);
	assert_null(g.o[2].rdata);
	fold_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_rule),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_types_and_negative_distinct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
