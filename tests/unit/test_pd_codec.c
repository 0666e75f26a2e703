/* Unit tests of pd_codec: RFC 4648 section 10 vectors and strict decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pd_codec.h"
#include "pd_err.h"

static const char *const rfc4648_in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};

static void expect_enc(int (*enc)(const uint8_t *, size_t, char *, size_t), const char *in,
                       const char *want)
{
	char out[64];
	size_t n = strlen(in);
	int rc = enc((const uint8_t *)in, n, out, sizeof(out));
	assert_int_equal(rc, (int)strlen(want));
	out[rc] = '\0';
	assert_string_equal(out, want);
	/* Exactly the advertised length is enough; one less is not. */
	if (rc > 0) {
		assert_int_equal(enc((const uint8_t *)in, n, out, (size_t)rc), rc);
		assert_int_equal(enc((const uint8_t *)in, n, out, (size_t)rc - 1), PD_ESPACE);
	}
}

static void test_base64_vectors(void **state)
{
	static const char *const want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
	                                   "Zm9vYmFy"};
	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		expect_enc(pd_b64_encode, rfc4648_in[i], want[i]);
		assert_int_equal(pd_b64_len(strlen(rfc4648_in[i])), strlen(want[i]));
		uint8_t out[16];
		int rc = pd_b64_decode(want[i], strlen(want[i]), out, sizeof(out));
		assert_int_equal(rc, (int)strlen(rfc4648_in[i]));
		if (rc > 0)
			assert_memory_equal(out, rfc4648_in[i], (size_t)rc);
	}
}

static void test_base32hex_vectors(void **state)
{
	/* RFC 4648 section 10 with the padding removed. */
	static const char *const want[] = {"", "CO", "CPNG", "CPNMU", "CPNMUOG", "CPNMUOJ1",
	                                   "CPNMUOJ1E8"};
	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		expect_enc(pd_b32hex_encode, rfc4648_in[i], want[i]);
		assert_int_equal(pd_b32hex_len(strlen(rfc4648_in[i])), strlen(want[i]));
	}
	expect_enc(pd_b32hex_encode, "\xff", "VS");
}

static void test_hex(void **state)
{
	(void)state;
	expect_enc(pd_hex_encode, "", "");
	expect_enc(pd_hex_encode, "\x01\xab\xff\x7f", "01ABFF7F");
	uint8_t out[8];
	assert_int_equal(pd_hex_decode("01abFF7f", 8, out, sizeof(out)), 4);
	assert_memory_equal(out, "\x01\xab\xff\x7f", 4);
	assert_int_equal(pd_hex_decode("", 0, out, sizeof(out)), 0);
	assert_int_equal(pd_hex_decode("abc", 3, out, sizeof(out)), PD_EMALF);
	assert_int_equal(pd_hex_decode("0g", 2, out, sizeof(out)), PD_EMALF);
	assert_int_equal(pd_hex_decode(" 1", 2, out, sizeof(out)), PD_EMALF);
	assert_int_equal(pd_hex_decode("0102", 4, out, 1), PD_ESPACE);
}

static void test_base64_strict(void **state)
{
	static const char *const bad[] = {
		"Zg=", "Zg", "Z===", "====", "Zh==", "Zm9=", "Zg==Zg==", "Zm 9v", "Zm9v\n",
		"Zm-v", "Zm_v", "=Zm9",
	};
	uint8_t out[16];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pd_b64_decode(bad[i], strlen(bad[i]), out, sizeof(out)), PD_EMALF);
	assert_int_equal(pd_b64_decode("+/+/", 4, out, sizeof(out)), 3);
	assert_memory_equal(out, "\xfb\xff\xbf", 3);
	assert_int_equal(pd_b64_decode("Zm9vYmFy", 8, out, 5), PD_ESPACE);
	assert_int_equal(pd_b64_decode("Zm9vYmE=", 8, out, 5), 5);
}

static void test_roundtrip_all_lengths(void **state)
{
	uint8_t in[300], back[300];
	char text[1024];
	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 151 + 7);
	for (size_t n = 0; n <= sizeof(in); n++) {
		int t = pd_b64_encode(in, n, text, sizeof(text));
		assert_int_equal(t, (int)pd_b64_len(n));
		assert_int_equal(pd_b64_decode(text, (size_t)t, back, sizeof(back)), (int)n);
		if (n)
			assert_memory_equal(back, in, n);
		t = pd_hex_encode(in, n, text, sizeof(text));
		assert_int_equal(t, (int)(2 * n));
		assert_int_equal(pd_hex_decode(text, (size_t)t, back, sizeof(back)), (int)n);
		if (n)
			assert_memory_equal(back, in, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base32hex_vectors),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_base64_strict),
		cmocka_unit_test(test_roundtrip_all_lengths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
