/* Unit tests for pd_dns: names, header, question, RR walking, rejections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "pd_dns.h"
#include "pd_err.h"

/* A response for www.Example.COM A with two answers, the owner compressed
 * to the question and the second answer's owner a pointer too. */
static const uint8_t resp[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'C', 'O', 'M', 0,
	0, 1, 0, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 1,
	0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 2,
};

static void test_parse_response(void **state)
{
	(void)state;
	struct pd_dns_msg m;
	struct pd_dns_rr rr;
	static const uint8_t want[] = { 3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
		3, 'c', 'o', 'm', 0 };

	assert_int_equal(pd_dns_parse(&m, resp, sizeof(resp)), 0);
	assert_int_equal(m.hdr.id, 0x1234);
	assert_true(m.hdr.flags & PD_DNS_QR);
	assert_int_equal(m.hdr.ancount, 2);
	assert_int_equal(m.qname_len, sizeof(want));
	assert_memory_equal(m.qname, want, sizeof(want));
	assert_int_equal(m.qtype, 1);
	assert_int_equal(pd_dns_next_rr(&m, &rr), 1);
	assert_int_equal(rr.section, PD_SEC_ANSWER);
	assert_int_equal(rr.owner_len, sizeof(want));
	assert_memory_equal(rr.owner, want, sizeof(want));
	assert_int_equal(rr.type, 1);
	assert_int_equal(rr.ttl, 3600);
	assert_int_equal(rr.rdlen, 4);
	assert_int_equal(resp[rr.rdata_off + 3], 1);
	assert_int_equal(pd_dns_next_rr(&m, &rr), 1);
	assert_int_equal(resp[rr.rdata_off + 3], 2);
	assert_int_equal(pd_dns_next_rr(&m, &rr), 0);
}

static int unpack(const uint8_t *msg, size_t len, size_t pos, uint8_t *out)
{
	return pd_dns_name_unpack(msg, len, &pos, out);
}

static void test_pointer_loop_rejected(void **state)
{
	(void)state;
	uint8_t out[PD_DNS_NAME_MAX];
	uint8_t msg[32] = { 0 };
	/* At 12: a pointer to itself. */
	msg[12] = 0xc0;
	msg[13] = 12;
	assert_int_equal(unpack(msg, sizeof(msg), 12, out), PD_ELOOP);
	/* At 12: label "a", then at 14 a pointer back to 12: a two-step loop. */
	msg[12] = 1;
	msg[13] = 'a';
	msg[14] = 0xc0;
	msg[15] = 12;
	assert_int_equal(unpack(msg, sizeof(msg), 12, out), PD_ELOOP);
	/* A forward pointer. */
	msg[12] = 0xc0;
	msg[13] = 20;
	assert_int_equal(unpack(msg, sizeof(msg), 12, out), PD_ELOOP);
	/* A pointer into the header. */
	msg[20] = 0xc0;
	msg[21] = 2;
	assert_int_equal(unpack(msg, sizeof(msg), 20, out), PD_ELOOP);
}

static void test_pointer_chain_ok(void **state)
{
	(void)state;
	uint8_t out[PD_DNS_NAME_MAX];
	/* 12: "com" 0; 17: "b" -> 12; 21: "a" -> 17: a.b.com */
	uint8_t msg[32] = { 0 };
	memcpy(msg + 12, "\003com\000", 5);
	memcpy(msg + 17, "\001b\300\014", 4);
	memcpy(msg + 21, "\001A\300\021", 4);
	size_t pos = 21;
	int n = pd_dns_name_unpack(msg, sizeof(msg), &pos, out);
	assert_int_equal(n, 9);
	assert_memory_equal(out, "\001a\001b\003com\000", 9);
	assert_int_equal(pos, 25);
}

static void test_name_too_long(void **state)
{
	(void)state;
	uint8_t msg[400] = { 0 }, out[PD_DNS_NAME_MAX];
	size_t p = 12;
	/* 5 labels of 63 = 320 octets. */
	for (int i = 0; i < 5; i++) {
		msg[p++] = 63;
		memset(msg + p, 'x', 63);
		p += 63;
	}
	msg[p++] = 0;
	assert_int_equal(unpack(msg, p, 12, out), PD_ENAME);
	/* 3 labels of 63 + 1 of 61 = 255 octets exactly: accepted. */
	p = 12;
	for (int i = 0; i < 4; i++) {
		int l = i < 3 ? 63 : 61;
		msg[p++] = (uint8_t)l;
		memset(msg + p, 'y', (size_t)l);
		p += (size_t)l;
	}
	msg[p++] = 0;
	assert_int_equal(unpack(msg, p, 12, out), 255);
	/* One more octet: too long. */
	msg[12 + 3 * 64] = 62;
	memmove(msg + 12 + 3 * 64 + 63, msg + 12 + 3 * 64 + 62, 2);
	msg[12 + 3 * 64 + 62] = 'y';
	msg[12 + 3 * 64 + 63] = 0;
	assert_int_equal(unpack(msg, 12 + 3 * 64 + 64, 12, out), PD_ENAME);
}

static void test_label_types_rejected(void **state)
{
	(void)state;
	uint8_t out[PD_DNS_NAME_MAX];
	uint8_t msg[20] = { 0 };
	msg[12] = 0x40; /* extended label type */
	assert_int_equal(unpack(msg, sizeof(msg), 12, out), PD_ELABEL);
	msg[12] = 0x80;
	assert_int_equal(unpack(msg, sizeof(msg), 12, out), PD_ELABEL);
}

static void test_truncations(void **state)
{
	(void)state;
	struct pd_dns_msg m;
	struct pd_dns_rr rr;
	assert_int_equal(pd_dns_parse(&m, resp, 11), PD_ETRUNC);
	/* Cut inside the question name. */
	assert_int_equal(pd_dns_parse(&m, resp, 20), PD_ETRUNC);
	/* Cut inside the qtype. */
	assert_int_equal(pd_dns_parse(&m, resp, 31), PD_ETRUNC);
	/* Cut in the second RR's rdata: the first reads, the second fails. */
	assert_int_equal(pd_dns_parse(&m, resp, sizeof(resp) - 1), 0);
	assert_int_equal(pd_dns_next_rr(&m, &rr), 1);
	assert_int_equal(pd_dns_next_rr(&m, &rr), PD_ETRUNC);
	/* A count larger than the message holds. */
	uint8_t more[sizeof(resp)];
	memcpy(more, resp, sizeof(resp));
	more[7] = 3;
	assert_int_equal(pd_dns_parse(&m, more, sizeof(more)), 0);
	assert_int_equal(pd_dns_next_rr(&m, &rr), 1);
	assert_int_equal(pd_dns_next_rr(&m, &rr), 1);
	assert_int_equal(pd_dns_next_rr(&m, &rr), PD_ETRUNC);
}

static void test_rdlength_past_end(void **state)
{
	(void)state;
	struct pd_dns_msg m;
	struct pd_dns_rr rr;
	uint8_t bad[sizeof(resp)];
	memcpy(bad, resp, sizeof(resp));
	bad[sizeof(resp) - 5] = 5; /* second answer's rdlength 4 -> 5 */
	assert_int_equal(pd_dns_parse(&m, bad, sizeof(bad)), 0);
	assert_int_equal(pd_dns_next_rr(&m, &rr), 1);
	assert_int_equal(pd_dns_next_rr(&m, &rr), PD_ETRUNC);
}

static void test_sections(void **state)
{
	(void)state;
	struct pd_dns_msg m;
	struct pd_dns_rr rr;
	uint8_t msg[sizeof(resp)];
	memcpy(msg, resp, sizeof(resp));
	msg[7] = 1;  /* one answer */
	msg[11] = 1; /* one additional */
	assert_int_equal(pd_dns_parse(&m, msg, sizeof(msg)), 0);
	assert_int_equal(pd_dns_next_rr(&m, &rr), 1);
	assert_int_equal(rr.section, PD_SEC_ANSWER);
	assert_int_equal(pd_dns_next_rr(&m, &rr), 1);
	assert_int_equal(rr.section, PD_SEC_ADDITIONAL);
}

static void test_is_sub(void **state)
{
	(void)state;
	const uint8_t a[] = "\003www\007example\003com";  /* + NUL = root */
	const uint8_t b[] = "\007example\003com";
	const uint8_t c[] = "\003com";
	const uint8_t d[] = "\006ample\003com";
	assert_true(pd_dns_name_is_sub(a, sizeof(a), b, sizeof(b)));
	assert_true(pd_dns_name_is_sub(a, sizeof(a), c, sizeof(c)));
	assert_true(pd_dns_name_is_sub(a, sizeof(a), a, sizeof(a)));
	assert_true(pd_dns_name_is_sub(a, sizeof(a), (const uint8_t *)"", 1));
	assert_false(pd_dns_name_is_sub(b, sizeof(b), a, sizeof(a)));
	assert_false(pd_dns_name_is_sub(b, sizeof(b), d, sizeof(d)));
}

static void test_from_text(void **state)
{
	(void)state;
	uint8_t out[PD_DNS_NAME_MAX];
	assert_int_equal(pd_dns_name_from_text("WWW.example.com.", 16, out), 17);
	assert_memory_equal(out, "\003www\007example\003com", 17);
	assert_int_equal(pd_dns_name_from_text("www.example.com", 15, out), 17);
	assert_int_equal(pd_dns_name_from_text(".", 1, out), 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(pd_dns_name_from_text("a\\.b.c", 6, out), 7);
	assert_memory_equal(out, "\003a.b\001c", 7);
	assert_int_equal(pd_dns_name_from_text("a\\032b", 6, out), 5);
	assert_memory_equal(out, "\003a b", 5);
	assert_int_equal(pd_dns_name_from_text("a..b", 4, out), PD_EMALF);
	assert_int_equal(pd_dns_name_from_text(".a", 2, out), PD_EMALF);
	assert_int_equal(pd_dns_name_from_text("a\\256", 5, out), PD_EMALF);
	char l64[70];
	memset(l64, 'x', 64);
	assert_int_equal(pd_dns_name_from_text(l64, 64, out), PD_ELABEL);
	char longname[300];
	for (int i = 0; i < 300; i += 2) {
		longname[i] = 'a';
		longname[i + 1] = '.';
	}
	assert_int_equal(pd_dns_name_from_text(longname, 300, out), PD_ENAME);
	/* 127 labels "a." = 254 octets + root = 255: the longest name. */
	assert_int_equal(pd_dns_name_from_text(longname, 254, out), 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_response),
		cmocka_unit_test(test_pointer_loop_rejected),
		cmocka_unit_test(test_pointer_chain_ok),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_label_types_rejected),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_rdlength_past_end),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_is_sub),
		cmocka_unit_test(test_from_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
