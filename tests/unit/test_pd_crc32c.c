/* Unit tests for pd_crc32c: RFC 3720 B.4 vectors, every table entry against a
 * bitwise reference, chaining, lengths and alignments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pd_crc32c.h"

/* One bit at a time, straight from the definition. */
static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0x82f63b78u : 0);
	}
	return ~crc;
}

static void test_rfc3720(void **state)
{
	(void)state;
	uint8_t buf[32];

	memset(buf, 0, sizeof(buf));
	assert_int_equal(pd_crc32c(0, buf, sizeof(buf)), 0x8a9136aa);
	memset(buf, 0xff, sizeof(buf));
	assert_int_equal(pd_crc32c(0, buf, sizeof(buf)), 0x62a8ab43);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(pd_crc32c(0, buf, sizeof(buf)), 0x46dd794e);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(pd_crc32c(0, buf, sizeof(buf)), 0x113fdb5c);

	/* An iSCSI Read (10) command PDU. */
	static const uint8_t pdu[48] = {
		0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
		0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
		0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	assert_int_equal(pd_crc32c(0, pdu, sizeof(pdu)), 0xd9963a56);

	assert_int_equal(pd_crc32c(0, "123456789", 9), 0xe3069283);
	assert_int_equal(pd_crc32c(0, NULL, 0), 0);
}

/* Byte b at position k of an 8-byte word goes through slice 7 - k (or the
 * tail loop), so this visits every entry of every table. */
static void test_every_table_entry(void **state)
{
	(void)state;
	uint8_t w[9];
	for (size_t k = 0; k < 8; k++)
		for (unsigned b = 0; b < 256; b++)
			for (uint32_t seed = 0; seed < 2; seed++) {
				memset(w, 0, sizeof(w));
				w[k] = (uint8_t)b;
				assert_int_equal(pd_crc32c(seed, w, 8), crc_bitwise(seed, w, 8));
				assert_int_equal(pd_crc32c(seed, w, 9), crc_bitwise(seed, w, 9));
			}
}

static void test_lengths_alignment_chaining(void **state)
{
	(void)state;
	uint8_t buf[600];
	uint32_t x = 12345;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t n = 0; n + off <= 300; n++)
			assert_int_equal(pd_crc32c(0, buf + off, n), crc_bitwise(0, buf + off, n));
	uint32_t whole = pd_crc32c(0, buf, sizeof(buf));
	for (size_t cut = 0; cut <= sizeof(buf); cut += 37)
		assert_int_equal(pd_crc32c(pd_crc32c(0, buf, cut), buf + cut, sizeof(buf) - cut),
		                 whole);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3720),
		cmocka_unit_test(test_every_table_entry),
		cmocka_unit_test(test_lengths_alignment_chaining),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
