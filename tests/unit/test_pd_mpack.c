/* Unit tests for pd_mpack: every encoding width both ways, every rejection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pd_err.h"
#include "pd_mpack.h"

static void rd(struct pd_mpack_rd *r, const struct pd_buf *b)
{
	pd_mpack_rd_init(r, b->data, b->len);
}

static void test_uint_widths(void **state)
{
	(void)state;
	static const struct { uint64_t v; size_t len; uint8_t tag; } cases[] = {
		{ 0, 1, 0x00 }, { 0x7f, 1, 0x7f }, { 0x80, 2, 0xcc }, { 0xff, 2, 0xcc },
		{ 0x100, 3, 0xcd }, { 0xffff, 3, 0xcd }, { 0x10000, 5, 0xce },
		{ 0xffffffff, 5, 0xce }, { 0x100000000, 9, 0xcf }, { UINT64_MAX, 9, 0xcf },
	};
	struct pd_buf b;
	pd_buf_init(&b, 64);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pd_buf_reset(&b);
		assert_int_equal(pd_mpack_write_uint(&b, cases[i].v), 0);
		assert_int_equal(b.len, cases[i].len);
		assert_int_equal(b.data[0], cases[i].tag);
		struct pd_mpack_rd r;
		uint64_t u;
		rd(&r, &b);
		assert_int_equal(pd_mpack_peek(&r), PD_MPACK_UINT);
		assert_int_equal(pd_mpack_read_u64(&r, &u), 0);
		assert_true(u == cases[i].v);
		assert_int_equal(pd_mpack_rd_left(&r), 0);
		/* write_int of a non-negative value is the same bytes */
		if (cases[i].v <= INT64_MAX) {
			struct pd_buf c;
			pd_buf_init(&c, 64);
			pd_mpack_write_int(&c, (int64_t)cases[i].v);
			assert_int_equal(c.len, b.len);
			assert_memory_equal(c.data, b.data, b.len);
			pd_buf_fini(&c);
		}
	}
	pd_buf_fini(&b);
}

static void test_int_widths(void **state)
{
	(void)state;
	static const struct { int64_t v; size_t len; uint8_t tag; } cases[] = {
		{ -1, 1, 0xff }, { -32, 1, 0xe0 }, { -33, 2, 0xd0 }, { -128, 2, 0xd0 },
		{ -129, 3, 0xd1 }, { -32768, 3, 0xd1 }, { -32769, 5, 0xd2 },
		{ INT32_MIN, 5, 0xd2 }, { (int64_t)INT32_MIN - 1, 9, 0xd3 },
		{ INT64_MIN, 9, 0xd3 }, { 5, 1, 0x05 }, { INT64_MAX, 9, 0xcf },
	};
	struct pd_buf b;
	pd_buf_init(&b, 64);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pd_buf_reset(&b);
		assert_int_equal(pd_mpack_write_int(&b, cases[i].v), 0);
		assert_int_equal(b.len, cases[i].len);
		assert_int_equal(b.data[0], cases[i].tag);
		struct pd_mpack_rd r;
		int64_t s;
		rd(&r, &b);
		assert_int_equal(pd_mpack_peek(&r), cases[i].v < 0 ? PD_MPACK_INT : PD_MPACK_UINT);
		assert_int_equal(pd_mpack_read_i64(&r, &s), 0);
		assert_true(s == cases[i].v);
		assert_int_equal(pd_mpack_rd_left(&r), 0);
	}
	pd_buf_fini(&b);
}

/* Narrow reads accept any encoding whose value fits, and nothing else. */
static void test_int_ranges(void **state)
{
	(void)state;
	struct pd_mpack_rd r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	int8_t i8;
	int16_t i16;
	int32_t i32;
	int64_t i64;
	static const uint8_t d0_pos[] = { 0xd0, 0x05 }, cd_small[] = { 0xcd, 0x00, 0x07 };
	pd_mpack_rd_init(&r, d0_pos, sizeof(d0_pos));
	assert_int_equal(pd_mpack_peek(&r), PD_MPACK_UINT);
	assert_int_equal(pd_mpack_read_u8(&r, &u8), 0);
	assert_int_equal(u8, 5);
	pd_mpack_rd_init(&r, cd_small, sizeof(cd_small));
	assert_int_equal(pd_mpack_read_i8(&r, &i8), 0);
	assert_int_equal(i8, 7);

	struct pd_buf b;
	pd_buf_init(&b, 64);
#define REJECT(write, val, read, var)                                   \
	do {                                                            \
		pd_buf_reset(&b);                                       \
		write(&b, val);                                         \
		rd(&r, &b);                                             \
		assert_int_equal(read(&r, &var), PD_EMALF);             \
		assert_true(var == 0);                                  \
	} while (0)
#define ACCEPT(write, val, read, var)                                   \
	do {                                                            \
		pd_buf_reset(&b);                                       \
		write(&b, val);                                         \
		rd(&r, &b);                                             \
		assert_int_equal(read(&r, &var), 0);                    \
		assert_true(var == val);                                \
	} while (0)
	ACCEPT(pd_mpack_write_uint, 255, pd_mpack_read_u8, u8);
	REJECT(pd_mpack_write_uint, 256, pd_mpack_read_u8, u8);
	REJECT(pd_mpack_write_int, -1, pd_mpack_read_u8, u8);
	ACCEPT(pd_mpack_write_uint, 65535, pd_mpack_read_u16, u16);
	REJECT(pd_mpack_write_uint, 65536, pd_mpack_read_u16, u16);
	ACCEPT(pd_mpack_write_uint, UINT32_MAX, pd_mpack_read_u32, u32);
	REJECT(pd_mpack_write_uint, (uint64_t)UINT32_MAX + 1, pd_mpack_read_u32, u32);
	REJECT(pd_mpack_write_int, INT64_MIN, pd_mpack_read_u64, u64);
	ACCEPT(pd_mpack_write_int, -128, pd_mpack_read_i8, i8);
	REJECT(pd_mpack_write_int, -129, pd_mpack_read_i8, i8);
	REJECT(pd_mpack_write_uint, 128, pd_mpack_read_i8, i8);
	ACCEPT(pd_mpack_write_int, INT16_MIN, pd_mpack_read_i16, i16);
	REJECT(pd_mpack_write_int, INT16_MIN - 1, pd_mpack_read_i16, i16);
	ACCEPT(pd_mpack_write_int, INT32_MAX, pd_mpack_read_i32, i32);
	REJECT(pd_mpack_write_uint, (uint64_t)INT32_MAX + 1, pd_mpack_read_i32, i32);
	REJECT(pd_mpack_write_int, (int64_t)INT32_MIN - 1, pd_mpack_read_i32, i32);
	REJECT(pd_mpack_write_uint, (uint64_t)INT64_MAX + 1, pd_mpack_read_i64, i64);
#undef REJECT
#undef ACCEPT
	pd_buf_fini(&b);
}

static void blob_round_trip(size_t n, int str, size_t hdr, uint8_t tag)
{
	struct pd_buf b;
	uint8_t *src = malloc(n ? n : 1);
	assert_non_null(src);
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)(i * 7);
	pd_buf_init(&b, n + 16);
	if (str)
		assert_int_equal(pd_mpack_write_str(&b, (const char *)src, n), 0);
	else
		assert_int_equal(pd_mpack_write_bin(&b, src, n), 0);
	assert_int_equal(b.len, hdr + n);
	assert_int_equal(b.data[0], tag);
	struct pd_mpack_rd r;
	const uint8_t *p;
	const char *s;
	size_t len;
	rd(&r, &b);
	assert_int_equal(pd_mpack_peek(&r), str ? PD_MPACK_STR : PD_MPACK_BIN);
	if (str) {
		assert_int_equal(pd_mpack_read_str(&r, &s, &len), 0);
		p = (const uint8_t *)s;
	} else {
		assert_int_equal(pd_mpack_read_bin(&r, &p, &len), 0);
	}
	assert_int_equal(len, n);
	if (n) {
		assert_ptr_equal(p, b.data + hdr); /* a view, not a copy */
		assert_memory_equal(p, src, n);
	} else {
		assert_null(p);
	}
	/* The other kind is a type mismatch. */
	rd(&r, &b);
	assert_int_equal(str ? pd_mpack_read_bin(&r, &p, &len) : pd_mpack_read_str(&r, &s, &len),
	                 PD_EMALF);
	rd(&r, &b);
	assert_int_equal(pd_mpack_skip(&r, 0), 0);
	assert_int_equal(pd_mpack_rd_left(&r), 0);
	pd_buf_fini(&b);
	free(src);
}

static void test_blob_widths(void **state)
{
	(void)state;
	blob_round_trip(0, 0, 2, 0xc4);
	blob_round_trip(255, 0, 2, 0xc4);
	blob_round_trip(256, 0, 3, 0xc5);
	blob_round_trip(65535, 0, 3, 0xc5);
	blob_round_trip(65536, 0, 5, 0xc6);
	blob_round_trip(0, 1, 1, 0xa0);
	blob_round_trip(31, 1, 1, 0xbf);
	blob_round_trip(32, 1, 2, 0xd9);
	blob_round_trip(255, 1, 2, 0xd9);
	blob_round_trip(256, 1, 3, 0xda);
	blob_round_trip(65535, 1, 3, 0xda);
	blob_round_trip(65536, 1, 5, 0xdb);
}

static void container_round_trip(uint32_t n, int map, size_t hdr, uint8_t tag)
{
	struct pd_buf b;
	pd_buf_init(&b, 2 * (size_t)n + 16);
	assert_int_equal(map ? pd_mpack_write_map(&b, n) : pd_mpack_write_array(&b, n), 0);
	assert_int_equal(b.len, hdr);
	assert_int_equal(b.data[0], tag);
	for (uint32_t i = 0; i < n * (map ? 2u : 1u); i++)
		pd_mpack_write_nil(&b);
	struct pd_mpack_rd r;
	uint32_t got;
	rd(&r, &b);
	assert_int_equal(pd_mpack_peek(&r), map ? PD_MPACK_MAP : PD_MPACK_ARRAY);
	assert_int_equal(map ? pd_mpack_read_map(&r, &got) : pd_mpack_read_array(&r, &got), 0);
	assert_int_equal(got, n);
	for (uint32_t i = 0; i < n * (map ? 2u : 1u); i++)
		assert_int_equal(pd_mpack_read_nil(&r), 0);
	assert_int_equal(pd_mpack_rd_left(&r), 0);
	rd(&r, &b);
	assert_int_equal(pd_mpack_skip(&r, 1), 0);
	assert_int_equal(pd_mpack_rd_left(&r), 0);
	/* One element short: the count no longer fits the bytes. */
	if (n) {
		pd_mpack_rd_init(&r, b.data, b.len - 1);
		assert_int_equal(map ? pd_mpack_read_map(&r, &got) : pd_mpack_read_array(&r, &got),
		                 PD_ETRUNC);
		assert_int_equal(got, 0);
	}
	pd_buf_fini(&b);
}

static void test_container_widths(void **state)
{
	(void)state;
	container_round_trip(0, 0, 1, 0x90);
	container_round_trip(15, 0, 1, 0x9f);
	container_round_trip(16, 0, 3, 0xdc);
	container_round_trip(65535, 0, 3, 0xdc);
	container_round_trip(65536, 0, 5, 0xdd);
	container_round_trip(0, 1, 1, 0x80);
	container_round_trip(15, 1, 1, 0x8f);
	container_round_trip(16, 1, 3, 0xde);
	container_round_trip(65536, 1, 5, 0xdf);
}

static void test_nil_bool(void **state)
{
	(void)state;
	struct pd_buf b;
	pd_buf_init(&b, 16);
	pd_mpack_write_nil(&b);
	pd_mpack_write_bool(&b, true);
	pd_mpack_write_bool(&b, false);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "\xc0\xc3\xc2", 3);
	struct pd_mpack_rd r;
	bool v;
	rd(&r, &b);
	assert_int_equal(pd_mpack_peek(&r), PD_MPACK_NIL);
	assert_int_equal(pd_mpack_read_nil(&r), 0);
	assert_int_equal(pd_mpack_peek(&r), PD_MPACK_BOOL);
	assert_int_equal(pd_mpack_read_bool(&r, &v), 0);
	assert_true(v);
	assert_int_equal(pd_mpack_read_bool(&r, &v), 0);
	assert_false(v);
	rd(&r, &b);
	assert_int_equal(pd_mpack_read_bool(&r, &v), PD_EMALF);
	rd(&r, &b);
	r.pos = 1;
	assert_int_equal(pd_mpack_read_nil(&r), PD_EMALF);
	pd_buf_fini(&b);
}

/* Every proper prefix of a multi-value encoding is PD_ETRUNC, never a crash. */
static void test_truncated(void **state)
{
	(void)state;
	struct pd_buf b;
	pd_buf_init(&b, 1024);
	pd_mpack_write_array(&b, 6);
	pd_mpack_write_uint(&b, UINT64_MAX);
	pd_mpack_write_int(&b, INT32_MIN);
	pd_mpack_write_bin(&b, "abcdef", 6);
	pd_mpack_write_str(&b, "0123456789012345678901234567890123456789", 40);
	pd_mpack_write_map(&b, 1);
	pd_mpack_write_str(&b, "k", 1);
	pd_mpack_write_bool(&b, true);
	pd_mpack_write_nil(&b);
	for (size_t cut = 0; cut < b.len; cut++) {
		uint8_t *exact = malloc(cut ? cut : 1); /* so ASan sees overreads */
		assert_non_null(exact);
		memcpy(exact, b.data, cut);
		struct pd_mpack_rd r;
		pd_mpack_rd_init(&r, exact, cut);
		assert_int_equal(pd_mpack_skip(&r, 4), PD_ETRUNC);
		pd_mpack_rd_init(&r, exact, cut);
		uint32_t n;
		uint64_t u;
		int32_t i;
		const uint8_t *p;
		const char *s;
		size_t len;
		pd_mpack_read_array(&r, &n);
		pd_mpack_read_u64(&r, &u);
		pd_mpack_read_i32(&r, &i);
		pd_mpack_read_bin(&r, &p, &len);
		pd_mpack_read_str(&r, &s, &len);
		pd_mpack_read_map(&r, &n);
		pd_mpack_read_str(&r, &s, &len);
		bool v;
		pd_mpack_read_bool(&r, &v);
		assert_int_equal(pd_mpack_read_nil(&r), PD_ETRUNC);
		assert_int_equal(r.err, PD_ETRUNC);
		free(exact);
	}
	pd_buf_fini(&b);
}

/* Headers that declare more than the input holds are refused before use. */
static void test_count_larger_than_bytes(void **state)
{
	(void)state;
	static const uint8_t arr32[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0 };
	static const uint8_t map16[] = { 0xde, 0x00, 0x03, 1, 2, 3, 4, 5 }; /* needs 6 */
	static const uint8_t bin32[] = { 0xc6, 0x7f, 0xff, 0xff, 0xff, 'x' };
	static const uint8_t str8[] = { 0xd9, 0x05, 'a', 'b' };
	static const uint8_t ext32[] = { 0xc9, 0xff, 0xff, 0xff, 0xff, 1, 'x' };
	struct pd_mpack_rd r;
	uint32_t n = 1;
	const uint8_t *p;
	const char *s;
	size_t len;
	pd_mpack_rd_init(&r, arr32, sizeof(arr32));
	assert_int_equal(pd_mpack_read_array(&r, &n), PD_ETRUNC);
	assert_int_equal(n, 0);
	pd_mpack_rd_init(&r, arr32, sizeof(arr32));
	assert_int_equal(pd_mpack_skip(&r, 8), PD_ETRUNC);
	pd_mpack_rd_init(&r, map16, sizeof(map16));
	assert_int_equal(pd_mpack_read_map(&r, &n), PD_ETRUNC);
	pd_mpack_rd_init(&r, bin32, sizeof(bin32));
	assert_int_equal(pd_mpack_read_bin(&r, &p, &len), PD_ETRUNC);
	assert_null(p);
	assert_int_equal(len, 0);
	pd_mpack_rd_init(&r, str8, sizeof(str8));
	assert_int_equal(pd_mpack_read_str(&r, &s, &len), PD_ETRUNC);
	pd_mpack_rd_init(&r, ext32, sizeof(ext32));
	assert_int_equal(pd_mpack_skip(&r, 0), PD_ETRUNC);
}

static void test_depth_cap(void **state)
{
	(void)state;
	uint8_t deep[PD_MPACK_DEPTH_MAX + 2];
	memset(deep, 0x91, sizeof(deep)); /* [[[[...]]]] */
	deep[sizeof(deep) - 1] = 0xc0;
	struct pd_mpack_rd r;
	/* 33 nested arrays: over any cap. */
	pd_mpack_rd_init(&r, deep, sizeof(deep));
	assert_int_equal(pd_mpack_skip(&r, PD_MPACK_DEPTH_MAX), PD_ELIMIT);
	pd_mpack_rd_init(&r, deep, sizeof(deep));
	assert_int_equal(pd_mpack_skip(&r, 1000), PD_ELIMIT); /* clamped */
	/* 32 nested arrays: exactly the cap. */
	pd_mpack_rd_init(&r, deep + 1, sizeof(deep) - 1);
	assert_int_equal(pd_mpack_skip(&r, PD_MPACK_DEPTH_MAX), 0);
	assert_int_equal(pd_mpack_rd_left(&r), 0);
	pd_mpack_rd_init(&r, deep + 1, sizeof(deep) - 1);
	assert_int_equal(pd_mpack_skip(&r, PD_MPACK_DEPTH_MAX - 1), PD_ELIMIT);
	/* An empty container counts as a level too; scalars need none. */
	static const uint8_t empty_in_map[] = { 0x81, 0x01, 0x90 };
	pd_mpack_rd_init(&r, empty_in_map, sizeof(empty_in_map));
	assert_int_equal(pd_mpack_skip(&r, 1), PD_ELIMIT);
	pd_mpack_rd_init(&r, empty_in_map, sizeof(empty_in_map));
	assert_int_equal(pd_mpack_skip(&r, 2), 0);
	pd_mpack_rd_init(&r, empty_in_map + 1, 1);
	assert_int_equal(pd_mpack_skip(&r, 0), 0);
}

/* skip consumes exactly one value of every type, siblings intact. */
static void test_skip_all_types(void **state)
{
	(void)state;
	static const uint8_t v[] = {
		0x93, 0xc0, 0xc2, 0xc3,                         /* [nil, false, true] */
		0xca, 0, 0, 0, 0, 0xcb, 1, 2, 3, 4, 5, 6, 7, 8, /* float32, float64 */
		0xd4, 1, 9, 0xd5, 1, 9, 9, 0xd6, 1, 1, 2, 3, 4,  /* fixext 1, 2, 4 */
		0xd7, 1, 1, 2, 3, 4, 5, 6, 7, 8,                /* fixext 8 */
		0xd8, 1, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,
		0xc7, 2, 5, 'a', 'b', 0xc8, 0, 1, 5, 'a', 0xc9, 0, 0, 0, 0, 5, /* ext */
		0x82, 0xa1, 'k', 0x92, 0x01, 0xe0, 0xd0, 0x80, 0xc4, 0, /* {k:[1,-32], -128: bin} */
		0xcf, 0, 0, 0, 0, 0, 0, 0, 1, 0xd3, 0, 0, 0, 0, 0, 0, 0, 1,
		0x2a, /* sentinel */
	};
	struct pd_mpack_rd r;
	pd_mpack_rd_init(&r, v, sizeof(v));
	unsigned values = 0;
	while (pd_mpack_rd_left(&r) > 1) {
		assert_int_equal(pd_mpack_skip(&r, 2), 0);
		values++;
	}
	assert_int_equal(values, 14);
	uint8_t last;
	assert_int_equal(pd_mpack_read_u8(&r, &last), 0);
	assert_int_equal(last, 0x2a);

	static const uint8_t reserved[] = { 0x91, 0xc1 };
	pd_mpack_rd_init(&r, reserved, sizeof(reserved));
	assert_int_equal(pd_mpack_skip(&r, 2), PD_EMALF);
	pd_mpack_rd_init(&r, reserved + 1, 1);
	assert_int_equal(pd_mpack_peek(&r), PD_MPACK_NONE);
	uint64_t u;
	assert_int_equal(pd_mpack_read_u64(&r, &u), PD_EMALF);
}

/* Wrong types are PD_EMALF; the error sticks and zeroes later outputs. */
static void test_type_mismatch_sticky(void **state)
{
	(void)state;
	static const uint8_t v[] = { 0xa1, 'x', 0x05, 0x91, 0x05 };
	struct pd_mpack_rd r;
	uint64_t u = 9;
	uint32_t n = 9;
	const uint8_t *p;
	size_t len;
	pd_mpack_rd_init(&r, v, sizeof(v));
	assert_int_equal(pd_mpack_read_u64(&r, &u), PD_EMALF);
	assert_int_equal(pd_mpack_read_u64(&r, &u), PD_EMALF);
	assert_true(u == 0);
	assert_int_equal(pd_mpack_rd_left(&r), 0);
	assert_int_equal(pd_mpack_peek(&r), PD_MPACK_NONE);
	pd_mpack_rd_init(&r, v + 2, sizeof(v) - 2);
	assert_int_equal(pd_mpack_read_array(&r, &n), PD_EMALF);
	assert_int_equal(n, 0);
	assert_int_equal(pd_mpack_rd_fail(&r, PD_ELIMIT), PD_EMALF); /* first error stays */
	pd_mpack_rd_init(&r, v + 3, sizeof(v) - 3);
	assert_int_equal(pd_mpack_read_map(&r, &n), PD_EMALF);
	pd_mpack_rd_init(&r, v + 3, sizeof(v) - 3);
	assert_int_equal(pd_mpack_read_bin(&r, &p, &len), PD_EMALF);
	assert_int_equal(pd_mpack_skip(&r, 4), PD_EMALF);
}

/* The writer refuses what would pass the buffer's cap and leaves it intact. */
static void test_writer_cap(void **state)
{
	(void)state;
	struct pd_buf b;
	pd_buf_init(&b, 4);
	assert_int_equal(pd_mpack_write_uint(&b, 1), 0);
	assert_int_equal(pd_mpack_write_uint(&b, UINT64_MAX), PD_ELIMIT);
	assert_int_equal(pd_mpack_write_bin(&b, "abc", 3), PD_ELIMIT);
	assert_int_equal(pd_mpack_write_str(&b, "ab", 2), 0);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\x01\xa2" "ab", 4);
	assert_int_equal(pd_mpack_write_nil(&b), PD_ELIMIT);
	pd_buf_fini(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint_widths),
		cmocka_unit_test(test_int_widths),
		cmocka_unit_test(test_int_ranges),
		cmocka_unit_test(test_blob_widths),
		cmocka_unit_test(test_container_widths),
		cmocka_unit_test(test_nil_bool),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_count_larger_than_bytes),
		cmocka_unit_test(test_depth_cap),
		cmocka_unit_test(test_skip_all_types),
		cmocka_unit_test(test_type_mismatch_sticky),
		cmocka_unit_test(test_writer_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
