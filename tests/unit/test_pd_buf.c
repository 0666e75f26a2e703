/* Unit tests for pd_buf: caps, numbers, JSON string escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pd_buf.h"
#include "pd_err.h"

static void test_cap(void **state)
{
	(void)state;
	struct pd_buf b;
	pd_buf_init(&b, 8);
	assert_int_equal(pd_buf_adds(&b, "12345678"), 0);
	assert_int_equal(pd_buf_addc(&b, '9'), PD_ELIMIT);
	assert_int_equal(b.len, 8);
	assert_string_equal(pd_buf_cstr(&b), "12345678");
	pd_buf_reset(&b);
	assert_int_equal(pd_buf_addf(&b, "%d-%s", 42, "x"), 0);
	assert_string_equal(pd_buf_cstr(&b), "42-x");
	assert_int_equal(pd_buf_addf(&b, "%s", "too long"), PD_ELIMIT);
	pd_buf_fini(&b);
}

static void test_numbers(void **state)
{
	(void)state;
	struct pd_buf b;
	pd_buf_init(&b, 1024);
	const uint64_t vals[] = { 0, 7, 10, 99, 100, 101, 1700000000, UINT64_MAX };
	const char *want[] = { "0", "7", "10", "99", "100", "101", "1700000000",
		"18446744073709551615" };
	for (size_t i = 0; i < 8; i++) {
		pd_buf_reset(&b);
		pd_buf_add_u64(&b, vals[i]);
		assert_string_equal(pd_buf_cstr(&b), want[i]);
	}
	pd_buf_reset(&b);
	pd_buf_add_i64(&b, -1);
	pd_buf_addc(&b, ' ');
	pd_buf_add_i64(&b, INT64_MIN);
	assert_string_equal(pd_buf_cstr(&b), "-1 -9223372036854775808");
	pd_buf_fini(&b);
}

static void test_json(void **state)
{
	(void)state;
	struct pd_buf b;
	pd_buf_init(&b, 1024);
	const char in[] = "a\"b\\c\n\x01\x7f\xc3z";
	pd_buf_add_json_str(&b, in, sizeof(in) - 1);
	assert_string_equal(pd_buf_cstr(&b), "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00c3z\"");
	pd_buf_reset(&b);
	pd_buf_add_json_str(&b, "", 0);
	assert_string_equal(pd_buf_cstr(&b), "\"\"");
	pd_buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
