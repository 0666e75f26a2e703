/*
 * Unit tests of pd_rr: type names, canonical rdata (shape checks, names
 * decompressed and lower-cased out of real messages) and presentation, each
 * string written out by hand from docs/observations.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "pd_dns.h"
#include "pd_err.h"
#include "pd_rr.h"

/* Rdata or message under construction. */
struct rb {
	uint8_t b[4096];
	size_t n;
};

static void rb_bytes(struct rb *r, const void *p, size_t n)
{
	assert_true(r->n + n <= sizeof(r->b));
	if (n)
		memcpy(r->b + r->n, p, n);
	r->n += n;
}

static void rb_u8(struct rb *r, unsigned v)
{
	uint8_t b = (uint8_t)v;
	rb_bytes(r, &b, 1);
}

static void rb_u16(struct rb *r, unsigned v)
{
	rb_u8(r, v >> 8);
	rb_u8(r, v & 0xff);
}

static void rb_u32(struct rb *r, uint32_t v)
{
	rb_u16(r, v >> 16);
	rb_u16(r, v & 0xffff);
}

/* Text literal with its length (literals may hold NUL bytes). */
#define RB_LIT(r, s) rb_bytes((r), (s), sizeof(s) - 1)

static void rb_name(struct rb *r, const char *text)
{
	uint8_t w[PD_DNS_NAME_MAX];
	int n = pd_dns_name_from_text(text, strlen(text), w);
	assert_true(n > 0);
	rb_bytes(r, w, (size_t)n);
}

/* A character-string: length octet and the bytes. */
static void rb_cstr(struct rb *r, const char *s)
{
	rb_u8(r, (unsigned)strlen(s));
	rb_bytes(r, s, strlen(s));
}

static void rb_hex(struct rb *r, const char *hex)
{
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;
		assert_int_equal(sscanf(hex, "%2x", &v), 1);
		rb_u8(r, v);
	}
}

static void rb_header(struct rb *r)
{
	static const uint8_t hdr[12] = {0x12, 0x34, 0x81, 0x80, 0, 0, 0, 1, 0, 0, 0, 0};
	rb_bytes(r, hdr, sizeof(hdr));
}

static uint8_t g_canon[PD_RR_CANON_MAX];
static char g_text[1 << 16];

static void expect_fmt(uint16_t type, const uint8_t *rd, size_t n, unsigned flags, const char *want)
{
	int rc = pd_rr_format(type, rd, n, flags, g_text, sizeof(g_text));
	if (rc < 0)
		fail_msg("type %u: format failed (%s), want \"%s\"", type, pd_strerror(rc), want);
	assert_string_equal(g_text, want);
	assert_int_equal(rc, strlen(want));
}

/* r is canonical rdata: canon leaves it unchanged and it prints as want. */
static void expect_rr(uint16_t type, const struct rb *r, const char *want)
{
	int rc = pd_rr_canon(type, r->b, r->n, 0, r->n, g_canon, sizeof(g_canon));
	if (rc < 0)
		fail_msg("type %u: canon failed (%s), want \"%s\"", type, pd_strerror(rc), want);
	assert_int_equal(rc, r->n);
	if (r->n)
		assert_memory_equal(g_canon, r->b, r->n);
	expect_fmt(type, r->b, r->n, 0, want);
}

static void expect_rr_fqdn(uint16_t type, const struct rb *r, const char *want)
{
	expect_fmt(type, r->b, r->n, PD_RR_FQDN, want);
}

/* Shape error: both canonicalization and presentation refuse it. */
static void expect_bad(uint16_t type, const struct rb *r)
{
	int rc = pd_rr_canon(type, r->b, r->n, 0, r->n, g_canon, sizeof(g_canon));
	if (rc != PD_EMALF)
		fail_msg("type %u (%zu bytes): canon gave %d, want PD_EMALF", type, r->n, rc);
	rc = pd_rr_format(type, r->b, r->n, 0, g_text, sizeof(g_text));
	if (rc != PD_EMALF)
		fail_msg("type %u (%zu bytes): format gave %d (%s)", type, r->n, rc, g_text);
	assert_string_equal(g_text, "");
}

/* Canonical form of the rdata at msg[off..off+rdlen), formatted. */
static void expect_msg_rr(uint16_t type, const struct rb *m, size_t off, size_t rdlen,
                          const char *want)
{
	int rc = pd_rr_canon(type, m->b, m->n, off, rdlen, g_canon, sizeof(g_canon));
	if (rc < 0)
		fail_msg("type %u: canon failed (%s), want \"%s\"", type, pd_strerror(rc), want);
	expect_fmt(type, g_canon, (size_t)rc, 0, want);
}

static int canon_msg(uint16_t type, const struct rb *m, size_t off, size_t rdlen)
{
	return pd_rr_canon(type, m->b, m->n, off, rdlen, g_canon, sizeof(g_canon));
}

/* ------------------------------------------------------------------------ */

static const struct {
	uint16_t type;
	const char *name;
} mnemonics[] = {
	{1, "A"}, {2, "NS"}, {3, "MD"}, {4, "MF"}, {5, "CNAME"}, {6, "SOA"}, {7, "MB"},
	{8, "MG"}, {9, "MR"}, {10, "NULL"}, {11, "WKS"}, {12, "PTR"}, {13, "HINFO"},
	{14, "MINFO"}, {15, "MX"}, {16, "TXT"}, {17, "RP"}, {18, "AFSDB"}, {21, "RT"},
	{26, "PX"}, {28, "AAAA"}, {29, "LOC"}, {33, "SRV"}, {35, "NAPTR"}, {36, "KX"},
	{37, "CERT"}, {39, "DNAME"}, {41, "OPT"}, {42, "APL"}, {43, "DS"}, {44, "SSHFP"},
	{45, "IPSECKEY"}, {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"}, {49, "DHCID"},
	{50, "NSEC3"}, {51, "NSEC3PARAM"}, {52, "TLSA"}, {53, "SMIMEA"}, {55, "HIP"},
	{59, "CDS"}, {60, "CDNSKEY"}, {61, "OPENPGPKEY"}, {62, "CSYNC"}, {63, "ZONEMD"},
	{64, "SVCB"}, {65, "HTTPS"}, {99, "SPF"}, {108, "EUI48"}, {109, "EUI64"},
	{249, "TKEY"}, {250, "TSIG"}, {251, "IXFR"}, {252, "AXFR"}, {255, "ANY"},
	{256, "URI"}, {257, "CAA"},
};

#define NMNEMONICS (sizeof(mnemonics) / sizeof(mnemonics[0]))

static void test_type_name(void **state)
{
	char s[16];
	(void)state;
	for (size_t i = 0; i < NMNEMONICS; i++) {
		assert_int_equal(pd_rr_type_name(mnemonics[i].type, s), strlen(mnemonics[i].name));
		assert_string_equal(s, mnemonics[i].name);
	}
	static const struct {
		uint16_t type;
		const char *name;
	} generic[] = {
		{0, "TYPE0"}, {19, "TYPE19"}, {54, "TYPE54"}, {100, "TYPE100"}, {258, "TYPE258"},
		{32768, "TYPE32768"}, {65280, "TYPE65280"}, {65535, "TYPE65535"},
	};
	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++) {
		assert_int_equal(pd_rr_type_name(generic[i].type, s), strlen(generic[i].name));
		assert_string_equal(s, generic[i].name);
	}
}

static void test_type_roundtrip(void **state)
{
	char s[16];
	uint16_t t;
	(void)state;
	for (unsigned type = 0; type <= 65535; type++) {
		size_t n = pd_rr_type_name((uint16_t)type, s);
		assert_true(n < 16);
		assert_int_equal(pd_rr_type_from_name(s, n, &t), 0);
		assert_int_equal(t, type);
	}
	for (size_t i = 0; i < NMNEMONICS; i++) {
		/* The generic form parses to the same number for named types too. */
		snprintf(s, sizeof(s), "TYPE%u", mnemonics[i].type);
		assert_int_equal(pd_rr_type_from_name(s, strlen(s), &t), 0);
		assert_int_equal(t, mnemonics[i].type);
	}
}

static void test_type_from_name(void **state)
{
	static const struct {
		const char *text;
		uint16_t type;
	} good[] = {
		{"aaaa", 28}, {"AaAa", 28}, {"nsec3param", 51}, {"Https", 65}, {"caa", 257},
		{"type1", 1}, {"TyPe65535", 65535}, {"TYPE0", 0}, {"TYPE007", 7}, {"any", 255},
	};
	static const char *const bad[] = {
		"", "TYPE", "type", "TYPE65536", "TYPE99999", "TYPE1x", "TYPEx1", "TYPE-1",
		"TYPE+1", "TYPE 1", " A", "A ", "AA", "NSEC4", "TYPE4294967297", "X", "A.",
	};
	uint16_t t = 0;
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(pd_rr_type_from_name(good[i].text, strlen(good[i].text), &t), 0);
		assert_int_equal(t, good[i].type);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 4242;
		if (pd_rr_type_from_name(bad[i], strlen(bad[i]), &t) != PD_EMALF)
			fail_msg("\"%s\" accepted", bad[i]);
		assert_int_equal(t, 4242);
	}
	/* Length, not NUL, ends the text. */
	assert_int_equal(pd_rr_type_from_name("MXX", 2, &t), 0);
	assert_int_equal(t, 15);
	assert_int_equal(pd_rr_type_from_name("A\0", 2, &t), PD_EMALF);
	assert_int_equal(pd_rr_type_from_name("TYPE1\0", 6, &t), PD_EMALF);
}

static void test_has_names(void **state)
{
	static const uint16_t with[] = {
		PD_T_NS, PD_T_CNAME, PD_T_DNAME, PD_T_SOA, PD_T_PTR, PD_T_MX, PD_T_SRV,
		PD_T_NAPTR, PD_T_RRSIG, PD_T_NSEC, PD_T_SVCB, PD_T_HTTPS, PD_T_MB, PD_T_MD,
		PD_T_MF, PD_T_MG, PD_T_MR, PD_T_MINFO, PD_T_RP, PD_T_AFSDB, PD_T_RT, PD_T_KX,
		PD_T_PX,
	};
	(void)state;
	unsigned count = 0;
	for (unsigned t = 0; t <= 65535; t++)
		count += (unsigned)pd_rr_has_names((uint16_t)t);
	assert_int_equal(count, sizeof(with) / sizeof(with[0]));
	for (size_t i = 0; i < sizeof(with) / sizeof(with[0]); i++)
		assert_true(pd_rr_has_names(with[i]));
	assert_false(pd_rr_has_names(PD_T_A));
	assert_false(pd_rr_has_names(PD_T_TXT));
	assert_false(pd_rr_has_names(PD_T_NSEC3));
	assert_false(pd_rr_has_names(29));
}

/* ------------------------------------------------------------------------ */

static void test_a(void **state)
{
	struct rb r = {0};
	(void)state;
	rb_hex(&r, "c0000201");
	expect_rr(PD_T_A, &r, "192.0.2.1");
	r.n = 0;
	rb_hex(&r, "00000000");
	expect_rr(PD_T_A, &r, "0.0.0.0");
	r.n = 0;
	rb_hex(&r, "ffffffff");
	expect_rr(PD_T_A, &r, "255.255.255.255");
	r.n = 0;
	rb_hex(&r, "0a0b0c64");
	expect_rr(PD_T_A, &r, "10.11.12.100");
	for (size_t n = 0; n <= 8; n++) {
		if (n == 4)
			continue;
		r.n = n;
		expect_bad(PD_T_A, &r);
	}
}

static void test_aaaa(void **state)
{
	static const struct {
		const char *hex, *text;
	} v[] = {
		{"20010db8000000000000000000000001", "2001:db8::1"},
		{"00000000000000000000ffffc0000201", "::ffff:192.0.2.1"},
		{"00000000000000000000000000000000", "::"},
		{"00000000000000000000000000000001", "::1"},
		{"20010db8000000010001000100010001", "2001:db8:0:1:1:1:1:1"},
		{"20010db8000000000001000000000001", "2001:db8::1:0:0:1"},
		{"00010002000300040005000600070008", "1:2:3:4:5:6:7:8"},
		{"fe800000000000000000abcdef012345", "fe80::abcd:ef01:2345"},
	};
	struct rb r = {0};
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		r.n = 0;
		rb_hex(&r, v[i].hex);
		expect_rr(PD_T_AAAA, &r, v[i].text);
	}
	for (size_t n = 0; n <= 20; n++) {
		if (n == 16)
			continue;
		r.n = n;
		expect_bad(PD_T_AAAA, &r);
	}
}

static void test_single_name_types(void **state)
{
	static const uint16_t types[] = {
		PD_T_NS, PD_T_CNAME, PD_T_DNAME, PD_T_PTR, PD_T_MB, PD_T_MD, PD_T_MF, PD_T_MG,
		PD_T_MR,
	};
	struct rb r = {0};
	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		r.n = 0;
		rb_name(&r, "target.example.com");
		expect_rr(types[i], &r, "target.example.com");
		expect_rr_fqdn(types[i], &r, "target.example.com.");
		rb_u8(&r, 0); /* a byte left over */
		expect_bad(types[i], &r);
		r.n = 0;
		rb_name(&r, ".");
		expect_rr(types[i], &r, ".");
		expect_rr_fqdn(types[i], &r, ".");
		r.n = 0;
		expect_bad(types[i], &r);
		/* Labels that run to the end without the root label. */
		RB_LIT(&r, "\x03" "abc");
		expect_bad(types[i], &r);
		/* A label longer than the rest of the rdata. */
		r.n = 0;
		RB_LIT(&r, "\x05" "abc");
		expect_bad(types[i], &r);
	}
}

static void test_soa(void **state)
{
	struct rb r = {0};
	(void)state;
	rb_name(&r, "ns1.example.com");
	rb_name(&r, "hostmaster.example.com");
	rb_u32(&r, 2024010101);
	rb_u32(&r, 7200);
	rb_u32(&r, 3600);
	rb_u32(&r, 1209600);
	rb_u32(&r, 4294967295u);
	expect_rr(PD_T_SOA, &r,
	          "ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 4294967295");
	expect_rr_fqdn(PD_T_SOA, &r,
	               "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 "
	               "4294967295");
	r.n--;
	expect_bad(PD_T_SOA, &r);
	r.n += 2;
	expect_bad(PD_T_SOA, &r);
	r.n = 0;
	rb_name(&r, ".");
	rb_name(&r, ".");
	for (int i = 0; i < 5; i++)
		rb_u32(&r, 0);
	expect_rr(PD_T_SOA, &r, ". . 0 0 0 0 0");
	r.n = 0;
	rb_name(&r, "ns1.example.com");
	expect_bad(PD_T_SOA, &r);
}

static void test_pref_name_types(void **state)
{
	static const uint16_t types[] = {PD_T_MX, PD_T_KX, PD_T_RT, PD_T_AFSDB};
	struct rb r = {0};
	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		r.n = 0;
		rb_u16(&r, 10);
		rb_name(&r, "mail.example.com");
		expect_rr(types[i], &r, "10 mail.example.com");
		expect_rr_fqdn(types[i], &r, "10 mail.example.com.");
		rb_u8(&r, 1);
		expect_bad(types[i], &r);
		r.n = 0;
		rb_u16(&r, 0);
		rb_name(&r, ".");
		expect_rr(types[i], &r, "0 .");
		r.n = 0;
		rb_u16(&r, 65535);
		rb_name(&r, "x");
		expect_rr(types[i], &r, "65535 x");
		r.n = 1;
		expect_bad(types[i], &r);
		r.n = 2;
		expect_bad(types[i], &r);
	}
}

static void test_two_name_types(void **state)
{
	static const uint16_t types[] = {PD_T_MINFO, PD_T_RP};
	struct rb r = {0};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		r.n = 0;
		rb_name(&r, "admin.example.com");
		rb_name(&r, "txt.example.com");
		expect_rr(types[i], &r, "admin.example.com txt.example.com");
		expect_rr_fqdn(types[i], &r, "admin.example.com. txt.example.com.");
		r.n--;
		expect_bad(types[i], &r);
		r.n = 0;
		rb_name(&r, "admin.example.com");
		rb_name(&r, ".");
		expect_rr(types[i], &r, "admin.example.com .");
		r.n--;
		expect_bad(types[i], &r);
	}
	r.n = 0;
	rb_u16(&r, 10);
	rb_name(&r, "net2.it");
	rb_name(&r, "PRMD-net2.ADMD-p400.C-it");
	expect_rr(PD_T_PX, &r, "10 net2.it prmd-net2.admd-p400.c-it");
	expect_rr_fqdn(PD_T_PX, &r, "10 net2.it. prmd-net2.admd-p400.c-it.");
	rb_u8(&r, 0);
	expect_bad(PD_T_PX, &r);
	r.n = 0;
	rb_u16(&r, 10);
	rb_name(&r, "net2.it");
	expect_bad(PD_T_PX, &r);
}

static void test_hinfo(void **state)
{
	struct rb r = {0};
	(void)state;
	rb_cstr(&r, "INTEL-386");
	rb_cstr(&r, "Unix");
	expect_rr(PD_T_HINFO, &r, "\"INTEL-386\" \"Unix\"");
	r.n = 0;
	rb_cstr(&r, "a \"b\"");
	rb_cstr(&r, "");
	expect_rr(PD_T_HINFO, &r, "\"a \\\"b\\\"\" \"\"");
	r.n = 0;
	rb_cstr(&r, "only");
	expect_bad(PD_T_HINFO, &r);
	rb_cstr(&r, "two");
	rb_cstr(&r, "three");
	expect_bad(PD_T_HINFO, &r);
	r.n = 0;
	rb_cstr(&r, "cpu");
	RB_LIT(&r, "\x03" "os");
	expect_bad(PD_T_HINFO, &r);
	r.n = 0;
	expect_bad(PD_T_HINFO, &r);
}

static void test_txt(void **state)
{
	static const uint16_t types[] = {PD_T_TXT, PD_T_SPF};
	struct rb r = {0};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		uint16_t t = types[i];
		r.n = 0;
		rb_cstr(&r, "v=spf1 -all");
		expect_rr(t, &r, "\"v=spf1 -all\"");
		rb_cstr(&r, "second");
		rb_cstr(&r, "");
		expect_rr(t, &r, "\"v=spf1 -all\" \"second\" \"\"");
		r.n = 0;
		rb_cstr(&r, "");
		expect_rr(t, &r, "\"\"");
		/* Only '"' and '\' are escaped; printable specials stay. */
		r.n = 0;
		rb_cstr(&r, "say \"hi\" \\o/ ;()@$.~!");
		expect_rr(t, &r, "\"say \\\"hi\\\" \\\\o/ ;()@$.~!\"");
		r.n = 0;
		RB_LIT(&r, "\x08" "\x00\x1f\x20\x7e\x7f\x80\xff" "A");
		expect_rr(t, &r, "\"\\000\\031 ~\\127\\128\\255A\"");
		r.n = 0;
		rb_u8(&r, 255);
		for (int k = 0; k < 255; k++)
			rb_u8(&r, 'x');
		rb_cstr(&r, "y");
		int rc = pd_rr_format(t, r.b, r.n, 0, g_text, sizeof(g_text));
		assert_int_equal(rc, 1 + 255 + 1 + 1 + 3);
		assert_memory_equal(g_text + 250, "xxxxxx\" \"y\"", 12);
		/* Rejections: length octet past the end, nothing at all. */
		r.n = 0;
		rb_cstr(&r, "abc");
		rb_u8(&r, 4);
		rb_bytes(&r, "abc", 3);
		expect_bad(t, &r);
		r.n = 0;
		rb_u8(&r, 1);
		expect_bad(t, &r);
		r.n = 0;
		expect_bad(t, &r);
	}
}

static void test_srv(void **state)
{
	struct rb r = {0};
	(void)state;
	rb_u16(&r, 10);
	rb_u16(&r, 60);
	rb_u16(&r, 5060);
	rb_name(&r, "SIP.Example.com");
	expect_rr(PD_T_SRV, &r, "10 60 5060 sip.example.com");
	expect_rr_fqdn(PD_T_SRV, &r, "10 60 5060 sip.example.com.");
	r.n = 0;
	rb_u16(&r, 0);
	rb_u16(&r, 0);
	rb_u16(&r, 0);
	rb_name(&r, ".");
	expect_rr(PD_T_SRV, &r, "0 0 0 .");
	r.n = 6;
	expect_bad(PD_T_SRV, &r);
	r.n = 5;
	expect_bad(PD_T_SRV, &r);
}

static void test_naptr(void **state)
{
	struct rb r = {0};
	(void)state;
	rb_u16(&r, 100);
	rb_u16(&r, 10);
	rb_cstr(&r, "S");
	rb_cstr(&r, "SIP+D2U");
	rb_cstr(&r, "");
	rb_name(&r, "_sip._udp.example.com");
	expect_rr(PD_T_NAPTR, &r, "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com");
	expect_rr_fqdn(PD_T_NAPTR, &r, "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com.");
	r.n = 0;
	rb_u16(&r, 100);
	rb_u16(&r, 50);
	rb_cstr(&r, "u");
	rb_cstr(&r, "E2U+sip");
	rb_cstr(&r, "!^\\+1(.*)$!sip:\\1@example.com!");
	rb_name(&r, ".");
	expect_rr(PD_T_NAPTR, &r,
	          "100 50 \"u\" \"E2U+sip\" \"!^\\\\+1(.*)$!sip:\\\\1@example.com!\" .");
	/* Missing replacement; a string running past the end. */
	r.n--;
	expect_bad(PD_T_NAPTR, &r);
	r.n = 0;
	rb_u16(&r, 1);
	rb_u16(&r, 2);
	rb_cstr(&r, "a");
	rb_u8(&r, 200);
	expect_bad(PD_T_NAPTR, &r);
	r.n = 3;
	expect_bad(PD_T_NAPTR, &r);
}

static void test_ds(void **state)
{
	static const uint16_t types[] = {PD_T_DS, PD_T_CDS};
	struct rb r = {0};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		r.n = 0;
		rb_u16(&r, 60485);
		rb_u8(&r, 5);
		rb_u8(&r, 1);
		rb_hex(&r, "2bb183af5f22588179a53b0a98631fad1a292118");
		expect_rr(types[i], &r, "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118");
		r.n = 4;
		expect_rr(types[i], &r, "60485 5 1 -");
		r.n = 3;
		expect_bad(types[i], &r);
		r.n = 0;
		expect_bad(types[i], &r);
	}
}

static void test_dnskey(void **state)
{
	static const uint16_t types[] = {PD_T_DNSKEY, PD_T_CDNSKEY};
	struct rb r = {0};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		r.n = 0;
		rb_u16(&r, 257);
		rb_u8(&r, 3);
		rb_u8(&r, 8);
		rb_hex(&r, "03010001");
		expect_rr(types[i], &r, "257 3 8 AwEAAQ==");
		r.n = 7;
		expect_rr(types[i], &r, "257 3 8 AwEA");
		r.n = 6;
		expect_rr(types[i], &r, "257 3 8 AwE=");
		r.n = 4;
		expect_rr(types[i], &r, "257 3 8 -");
		r.n = 3;
		expect_bad(types[i], &r);
	}
}

static void rb_rrsig_fixed(struct rb *r, uint16_t covered, uint32_t exp, uint32_t inc)
{
	rb_u16(r, covered);
	rb_u8(r, 8);
	rb_u8(r, 2);
	rb_u32(r, 3600);
	rb_u32(r, exp);
	rb_u32(r, inc);
	rb_u16(r, 12345);
}

static void test_rrsig(void **state)
{
	struct rb r = {0};
	(void)state;
	rb_rrsig_fixed(&r, PD_T_A, 1704067200, 951782400);
	rb_name(&r, "example.com");
	rb_hex(&r, "0001020304");
	expect_rr(PD_T_RRSIG, &r,
	          "A 8 2 3600 20240101000000 20000229000000 12345 example.com AAECAwQ=");
	expect_rr_fqdn(PD_T_RRSIG, &r,
	               "A 8 2 3600 20240101000000 20000229000000 12345 example.com. AAECAwQ=");
	r.n = 0;
	rb_rrsig_fixed(&r, 65280, 0, 4294967295u);
	rb_name(&r, ".");
	expect_rr(PD_T_RRSIG, &r, "TYPE65280 8 2 3600 19700101000000 21060207062815 12345 . -");
	r.n = 0;
	rb_rrsig_fixed(&r, PD_T_NSEC3PARAM, 1234567890, 951868799);
	rb_name(&r, "x");
	rb_u8(&r, 0xff);
	expect_rr(PD_T_RRSIG, &r,
	          "NSEC3PARAM 8 2 3600 20090213233130 20000229235959 12345 x /w==");
	r.n = 18;
	expect_bad(PD_T_RRSIG, &r);
	r.n = 17;
	expect_bad(PD_T_RRSIG, &r);
	r.n = 18;
	RB_LIT(&r, "\x07" "example");
	expect_bad(PD_T_RRSIG, &r);
}

/* Every day the 32-bit clock reaches, against the C library's gmtime_r. */
static void test_rrsig_time_all_days(void **state)
{
	struct rb r = {0};
	char want[32];
	(void)state;
	for (uint64_t day = 0; day * 86400 <= 0xffffffffu; day++) {
		uint64_t t = day * 86400 + day * 7919 % 86400;
		if (t > 0xffffffffu)
			t = 0xffffffffu;
		time_t tt = (time_t)t;
		struct tm tm;
		assert_non_null(gmtime_r(&tt, &tm));
		assert_int_equal(strftime(want, sizeof(want), "%Y%m%d%H%M%S", &tm), 14);
		r.n = 0;
		rb_rrsig_fixed(&r, PD_T_A, (uint32_t)t, (uint32_t)t);
		rb_name(&r, ".");
		int rc = pd_rr_format(PD_T_RRSIG, r.b, r.n, 0, g_text, sizeof(g_text));
		assert_int_equal(rc, 50);
		if (memcmp(g_text + 11, want, 14) != 0 || memcmp(g_text + 26, want, 14) != 0)
			fail_msg("t=%llu: \"%s\", want %s", (unsigned long long)t, g_text, want);
	}
}

/* Window 0: A MX RRSIG NSEC; window 1: URI CAA; window 4: TYPE1234. */
static void rb_bitmap(struct rb *r)
{
	rb_hex(r, "0006400100000003");
	rb_hex(r, "0101c0");
	rb_u8(r, 4);
	rb_u8(r, 27);
	for (int i = 0; i < 26; i++)
		rb_u8(r, 0);
	rb_u8(r, 0x20);
}

static void expect_bad_bitmaps(uint16_t type, const struct rb *prefix)
{
	static const char *const bad[] = {
		"010140000140",       /* windows descending */
		"000140000140",       /* window repeated */
		"0000",               /* empty block */
		"000240",             /* block running past the end */
		"00",                 /* lone window number */
		"000140ff",           /* lone byte after a block */
	};
	struct rb r;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = *prefix;
		rb_hex(&r, bad[i]);
		expect_bad(type, &r);
	}
	r = *prefix;
	rb_u8(&r, 0);
	rb_u8(&r, 33);
	for (int i = 0; i < 33; i++)
		rb_u8(&r, 0xff);
	expect_bad(type, &r);
	/* 32 octets is the most a block may have. */
	r = *prefix;
	rb_u8(&r, 255);
	rb_u8(&r, 32);
	for (int i = 0; i < 32; i++)
		rb_u8(&r, i == 31 ? 1 : 0);
	assert_true(pd_rr_canon(type, r.b, r.n, 0, r.n, g_canon, sizeof(g_canon)) > 0);
	assert_true(pd_rr_format(type, r.b, r.n, 0, g_text, sizeof(g_text)) > 0);
	assert_non_null(strstr(g_text, " TYPE65535"));
}

static void test_nsec(void **state)
{
	struct rb r = {0}, prefix = {0};
	(void)state;
	rb_name(&r, "host.example.com");
	prefix = r;
	rb_bitmap(&r);
	expect_rr(PD_T_NSEC, &r, "host.example.com A MX RRSIG NSEC URI CAA TYPE1234");
	expect_rr_fqdn(PD_T_NSEC, &r, "host.example.com. A MX RRSIG NSEC URI CAA TYPE1234");
	expect_rr(PD_T_NSEC, &prefix, "host.example.com");
	/* Bit 0 of window 0 is type 0; trailing zero octets are tolerated. */
	r = prefix;
	rb_hex(&r, "0003800000");
	expect_rr(PD_T_NSEC, &r, "host.example.com TYPE0");
	r = prefix;
	rb_hex(&r, "00020000");
	expect_rr(PD_T_NSEC, &r, "host.example.com");
	expect_bad_bitmaps(PD_T_NSEC, &prefix);
	r.n = 0;
	expect_bad(PD_T_NSEC, &r);
}

static void test_nsec3(void **state)
{
	static const char hash[] = "0102030405060708090a0b0c0d0e0f1011121314";
	static const char hash32[] = "041061050O3GG28A1C60Q3GF208H44OK";
	struct rb r = {0}, prefix;
	char want[128];
	(void)state;
	rb_hex(&r, "0101000c04aabbccdd14");
	rb_hex(&r, hash);
	prefix = r;
	rb_hex(&r, "0006400000000002");
	snprintf(want, sizeof(want), "1 1 12 AABBCCDD %s A RRSIG", hash32);
	expect_rr(PD_T_NSEC3, &r, want);
	expect_rr_fqdn(PD_T_NSEC3, &r, want);
	snprintf(want, sizeof(want), "1 1 12 AABBCCDD %s", hash32);
	expect_rr(PD_T_NSEC3, &prefix, want);
	expect_bad_bitmaps(PD_T_NSEC3, &prefix);
	r.n = 0;
	rb_hex(&r, "010000000001ff");
	expect_rr(PD_T_NSEC3, &r, "1 0 0 - VS");
	rb_hex(&r, "000240");
	expect_bad(PD_T_NSEC3, &r);
	/* A hash of zero octets, a salt or hash running past the end. */
	r.n = 0;
	rb_hex(&r, "010000000000");
	expect_bad(PD_T_NSEC3, &r);
	rb_hex(&r, "000140");
	expect_bad(PD_T_NSEC3, &r);
	r.n = 0;
	rb_hex(&r, "0100000005aabb");
	expect_bad(PD_T_NSEC3, &r);
	r.n = 0;
	rb_hex(&r, "010000000003aabb");
	expect_bad(PD_T_NSEC3, &r);
	r.n = 4;
	expect_bad(PD_T_NSEC3, &r);
}

static void test_nsec3param(void **state)
{
	struct rb r = {0};
	(void)state;
	rb_hex(&r, "0100000a04aabbccdd");
	expect_rr(PD_T_NSEC3PARAM, &r, "1 0 10 AABBCCDD");
	r.n = 0;
	rb_hex(&r, "01ff000000");
	expect_rr(PD_T_NSEC3PARAM, &r, "1 255 0 -");
	rb_u8(&r, 0);
	expect_bad(PD_T_NSEC3PARAM, &r);
	r.n = 0;
	rb_hex(&r, "0100000a05aabbccdd");
	expect_bad(PD_T_NSEC3PARAM, &r);
	r.n = 4;
	expect_bad(PD_T_NSEC3PARAM, &r);
}

static void test_sshfp_tlsa(void **state)
{
	struct rb r = {0};
	(void)state;
	rb_hex(&r, "0101123456789abcdef67890123456789abcdef67890");
	expect_rr(PD_T_SSHFP, &r, "1 1 123456789ABCDEF67890123456789ABCDEF67890");
	r.n = 2;
	expect_rr(PD_T_SSHFP, &r, "1 1 -");
	r.n = 1;
	expect_bad(PD_T_SSHFP, &r);
	static const uint16_t types[] = {PD_T_TLSA, PD_T_SMIMEA};
	for (size_t i = 0; i < 2; i++) {
		r.n = 0;
		rb_hex(&r, "0301010102abff");
		expect_rr(types[i], &r, "3 1 1 0102ABFF");
		r.n = 3;
		expect_rr(types[i], &r, "3 1 1 -");
		r.n = 2;
		expect_bad(types[i], &r);
	}
}

static void test_caa(void **state)
{
	struct rb r = {0};
	(void)state;
	rb_u8(&r, 0);
	rb_cstr(&r, "issue");
	RB_LIT(&r, "letsencrypt.org");
	expect_rr(PD_T_CAA, &r, "0 issue \"letsencrypt.org\"");
	r.n = 7;
	expect_rr(PD_T_CAA, &r, "0 issue \"\"");
	r.n = 0;
	rb_u8(&r, 128);
	rb_cstr(&r, "TBS1");
	RB_LIT(&r, "a\"b\\c\n; d");
	expect_rr(PD_T_CAA, &r, "128 TBS1 \"a\\\"b\\\\c\\010; d\"");
	/* Tags: empty, not letters and digits, longer than the rdata. */
	static const char *const bad[] = {"00", "0000", "000569737375", "00022d61", "000120"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r.n = 0;
		rb_hex(&r, bad[i]);
		expect_bad(PD_T_CAA, &r);
	}
	r.n = 0;
	rb_u8(&r, 0);
	RB_LIT(&r, "\x05" "is.ue");
	expect_bad(PD_T_CAA, &r);
	r.n = 0;
	expect_bad(PD_T_CAA, &r);
}

static void test_base64_types(void **state)
{
	static const uint16_t types[] = {PD_T_OPENPGPKEY, PD_T_DHCID};
	struct rb r = {0};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		r.n = 0;
		rb_hex(&r, "000102030405fbff");
		expect_rr(types[i], &r, "AAECAwQF+/8=");
		r.n = 0;
		expect_rr(types[i], &r, "-");
	}
}

static void test_uri(void **state)
{
	struct rb r = {0};
	(void)state;
	rb_u16(&r, 10);
	rb_u16(&r, 1);
	RB_LIT(&r, "ftp://ftp1.example.com/public");
	expect_rr(PD_T_URI, &r, "10 1 \"ftp://ftp1.example.com/public\"");
	r.n = 4;
	RB_LIT(&r, "http://x/\"q\"\x7f");
	expect_rr(PD_T_URI, &r, "10 1 \"http://x/\\\"q\\\"\\127\"");
	r.n = 4;
	expect_rr(PD_T_URI, &r, "10 1 \"\"");
	r.n = 3;
	expect_bad(PD_T_URI, &r);
}

static void rb_svc_param(struct rb *r, unsigned key, const char *hex)
{
	rb_u16(r, key);
	rb_u16(r, (unsigned)strlen(hex) / 2);
	rb_hex(r, hex);
}

static void test_svcb(void **state)
{
	static const uint16_t types[] = {PD_T_SVCB, PD_T_HTTPS};
	struct rb r = {0};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		uint16_t t = types[i];
		r.n = 0;
		rb_u16(&r, 1);
		rb_name(&r, ".");
		rb_svc_param(&r, 1, "026832026833");
		rb_svc_param(&r, 2, "");
		rb_svc_param(&r, 3, "20fb");
		rb_svc_param(&r, 4, "c0000201c0000202");
		rb_svc_param(&r, 5, "0045fe");
		rb_svc_param(&r, 6, "20010db800000000000000000000000120010db8000000000000000000000002");
		expect_rr(t, &r,
		          "1 . alpn=h2,h3 no-default-alpn port=8443 ipv4hint=192.0.2.1,192.0.2.2 "
		          "ech=AEX+ ipv6hint=2001:db8::1,2001:db8::2");
		expect_rr_fqdn(t, &r,
		               "1 . alpn=h2,h3 no-default-alpn port=8443 ipv4hint=192.0.2.1,192.0.2.2 "
		               "ech=AEX+ ipv6hint=2001:db8::1,2001:db8::2");
		r.n = 0;
		rb_u16(&r, 1);
		rb_name(&r, "svc.example.com");
		rb_svc_param(&r, 0, "00010003");
		rb_svc_param(&r, 1, "026832");
		rb_svc_param(&r, 3, "01bb");
		expect_rr(t, &r, "1 svc.example.com mandatory=alpn,port alpn=h2 port=443");
		expect_rr_fqdn(t, &r, "1 svc.example.com. mandatory=alpn,port alpn=h2 port=443");
		/* Escapes inside alpn ids: "a,b" "c\d" "e\1" "f g". */
		r.n = 0;
		rb_u16(&r, 2);
		rb_name(&r, "x");
		rb_svc_param(&r, 0, "0001029b");
		rb_svc_param(&r, 1, "03612c6203635c6402650103662067");
		rb_svc_param(&r, 667, "68656c6c6f");
		rb_svc_param(&r, 668, "");
		rb_svc_param(&r, 65535, "61226207");
		expect_rr(t, &r,
		          "2 x mandatory=alpn,key667 alpn=a\\,b,c\\\\d,e\\001,f\\032g key667=\"hello\" "
		          "key668 key65535=\"a\\\"b\\007\"");
		/* An empty ech prints as an empty base64 field. */
		r.n = 0;
		rb_u16(&r, 1);
		rb_name(&r, ".");
		rb_svc_param(&r, 5, "");
		expect_rr(t, &r, "1 . ech=-");
		/* Priority 0, the alias form, prints only the target. */
		r.n = 0;
		rb_u16(&r, 0);
		rb_name(&r, "foo.example.com");
		expect_rr(t, &r, "0 foo.example.com");
		expect_rr_fqdn(t, &r, "0 foo.example.com.");
		rb_svc_param(&r, 3, "01bb");
		expect_rr(t, &r, "0 foo.example.com");
		rb_svc_param(&r, 3, "01bb"); /* still validated */
		expect_bad(t, &r);
		r.n = 0;
		rb_u16(&r, 0);
		rb_name(&r, ".");
		expect_rr(t, &r, "0 .");
		expect_rr_fqdn(t, &r, "0 .");
		r.n = 0;
		rb_u16(&r, 1);
		rb_name(&r, ".");
		expect_rr(t, &r, "1 .");
	}
}

static void test_svcb_bad(void **state)
{
	static const char *const bad[] = {
		"000300",                   /* parameter header cut short */
		"00030002",                 /* value missing */
		"0003000301bb",             /* value running past the end */
		"00030002005000010003026832", /* keys descending */
		"0003000201bb0003000201bb", /* key repeated */
		"000300030001bb",           /* port of 3 octets */
		"0003000101",               /* port of 1 octet */
		"000400050102030405",       /* ipv4hint not a multiple of 4 */
		"00040000",                 /* ipv4hint empty */
		"0006000f000000000000000000000000000000", /* ipv6hint of 15 */
		"00060000",                 /* ipv6hint empty */
		"0001000100",               /* alpn id empty */
		"00010003036832",           /* alpn id running past the value */
		"00010000",                 /* alpn empty */
		"0002000100",               /* no-default-alpn with a value */
		"000000030001ff",           /* mandatory of odd length */
		"00000000",                 /* mandatory empty */
		"0000000400030001",         /* mandatory not ascending */
		"0000000400010001",         /* mandatory repeated */
	};
	static const uint16_t types[] = {PD_T_SVCB, PD_T_HTTPS};
	struct rb r;
	(void)state;
	for (size_t t = 0; t < 2; t++) {
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			r.n = 0;
			rb_u16(&r, 1);
			rb_name(&r, "svc.example");
			rb_hex(&r, bad[i]);
			expect_bad(types[t], &r);
		}
		r.n = 0;
		rb_u16(&r, 1);
		RB_LIT(&r, "\x03" "svc");
		expect_bad(types[t], &r);
		r.n = 1;
		expect_bad(types[t], &r);
		r.n = 0;
		expect_bad(types[t], &r);
	}
}

/* Types in the mnemonic list without a presentation row, and unknown ones. */
static void test_generic(void **state)
{
	static const uint16_t opaque[] = {
		10, 11, 29, 37, 41, 42, 45, 55, 62, 63, 108, 109, 249, 250, 251, 252, 255,
		0, 19, 54, 258, 32768, 65280, 65535,
	};
	struct rb r = {0};
	(void)state;
	for (size_t i = 0; i < sizeof(opaque) / sizeof(opaque[0]); i++) {
		assert_false(pd_rr_has_names(opaque[i]));
		r.n = 0;
		rb_hex(&r, "0a000001");
		expect_rr(opaque[i], &r, "\\# 4 0A000001");
		r.n = 0;
		expect_rr(opaque[i], &r, "\\# 0");
		/* Verbatim: no lower-casing, nothing read as a name. */
		r.n = 0;
		rb_hex(&r, "03414243c00c00ff");
		expect_rr(opaque[i], &r, "\\# 8 03414243C00C00FF");
	}
	r.n = 0;
	rb_hex(&r, "0012161300000000000000000000000000000000");
	r.n = 16;
	expect_rr(29, &r, "\\# 16 00121613000000000000000000000000");
	r.n = 0;
	for (int i = 0; i < 1000; i++)
		rb_u8(&r, (unsigned)i);
	int rc = pd_rr_format(65280, r.b, r.n, 0, g_text, sizeof(g_text));
	assert_int_equal(rc, 8 + 2000);
	assert_memory_equal(g_text, "\\# 1000 000102", 14);
	assert_memory_equal(g_text + rc - 4, "E6E7", 5);
	/* Empty rdata may come as NULL; so may out with cap 0. */
	assert_int_equal(pd_rr_format(65280, NULL, 0, 0, g_text, sizeof(g_text)), 4);
	assert_int_equal(pd_rr_format(PD_T_OPENPGPKEY, NULL, 0, 0, g_text, sizeof(g_text)), 1);
	assert_int_equal(pd_rr_format(PD_T_NS, NULL, 0, 0, g_text, sizeof(g_text)), PD_EMALF);
	assert_int_equal(pd_rr_format(65280, NULL, 0, 0, NULL, 0), PD_ESPACE);
	assert_int_equal(pd_rr_canon(65280, NULL, 0, 0, 0, NULL, 0), 0);
	assert_int_equal(pd_rr_canon(PD_T_DHCID, NULL, 0, 0, 0, NULL, 0), 0);
	assert_int_equal(pd_rr_canon(PD_T_CNAME, NULL, 0, 0, 0, NULL, 0), PD_EMALF);
}

/* ------------------------------------------------------------------------ */

static void expect_name(const char *wire, size_t len, unsigned flags, const char *want)
{
	char out[1200];
	int rc = pd_rr_name_format((const uint8_t *)wire, len, flags, out, sizeof(out));
	if (rc < 0)
		fail_msg("name format failed (%s), want \"%s\"", pd_strerror(rc), want);
	assert_string_equal(out, want);
	assert_int_equal(rc, strlen(want));
}

#define EXPECT_NAME(wire, flags, want) expect_name((wire), sizeof(wire) - 1, (flags), (want))

static void test_name_format(void **state)
{
	(void)state;
	EXPECT_NAME("\x03" "www" "\x07" "example" "\x03" "com" "\x00", 0, "www.example.com");
	EXPECT_NAME("\x03" "www" "\x07" "example" "\x03" "com" "\x00", PD_RR_FQDN,
	            "www.example.com.");
	EXPECT_NAME("\x00", 0, ".");
	EXPECT_NAME("\x00", PD_RR_FQDN, ".");
	EXPECT_NAME("\x03" "a.b" "\x00", 0, "a\\.b");
	EXPECT_NAME("\x08" ".\\\"();@$" "\x00", 0, "\\.\\\\\\\"\\(\\)\\;\\@\\$");
	EXPECT_NAME("\x05" " \x00\x7f\x80\xff" "\x00", 0, "\\032\\000\\127\\128\\255");
	EXPECT_NAME("\x05" "!~_-*" "\x00", PD_RR_FQDN, "!~_-*.");
	EXPECT_NAME("\x01" "\\" "\x01" "." "\x00", PD_RR_FQDN, "\\\\.\\..");
	/* Format does not change case: canonical names are already lower. */
	EXPECT_NAME("\x01" "A" "\x00", 0, "A");
	/* The longest name, four labels of \DDD escapes. */
	uint8_t big[PD_DNS_NAME_MAX];
	size_t n = 0;
	for (int l = 0; l < 4; l++) {
		unsigned len = l < 3 ? 63 : 61;
		big[n++] = (uint8_t)len;
		memset(big + n, 0xff, len);
		n += len;
	}
	big[n++] = 0;
	assert_int_equal(n, 255);
	char out[1100];
	int rc = pd_rr_name_format(big, n, PD_RR_FQDN, out, sizeof(out));
	assert_int_equal(rc, 250 * 4 + 4);
	assert_int_equal(pd_rr_name_format(big, n, PD_RR_FQDN, out, (size_t)rc), PD_ESPACE);
	assert_int_equal(pd_rr_name_format(big, n, PD_RR_FQDN, out, (size_t)rc + 1), rc);
	assert_int_equal(pd_rr_name_format((const uint8_t *)"\x00", 1, 0, out, 1), PD_ESPACE);
	assert_int_equal(pd_rr_name_format((const uint8_t *)"\x00", 1, 0, out, 0), PD_ESPACE);
	assert_int_equal(pd_rr_name_format((const uint8_t *)"\x00", 1, 0, out, 2), 1);
}

static void test_name_format_bad(void **state)
{
	static const struct {
		const char *wire;
		size_t len;
	} bad[] = {
		{"", 0},                        /* nothing */
		{"\x01" "a", 2},                /* no root label */
		{"\x01" "a" "\x00" "x", 4},     /* bytes after the root */
		{"\x00\x00", 2},
		{"\x05" "ab" "\x00", 4},        /* label past the end */
		{"\x40" "a", 2},                /* label type 01 */
		{"\xc0\x0c", 2},                /* a pointer is not canonical */
		{"\x80" "a", 2},
	};
	char out[64];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out[0] = 'x';
		assert_int_equal(pd_rr_name_format((const uint8_t *)bad[i].wire, bad[i].len, 0, out,
		                                   sizeof(out)),
		                 PD_EMALF);
		assert_string_equal(out, "");
	}
	/* 256 octets: five labels. */
	uint8_t big[300];
	size_t n = 0;
	for (int l = 0; l < 4; l++) {
		big[n++] = 62;
		memset(big + n, 'a', 62);
		n += 62;
	}
	big[n++] = 2;
	big[n++] = 'a';
	big[n++] = 'a';
	big[n++] = 0;
	assert_int_equal(n, 256);
	char wide[2048];
	assert_int_equal(pd_rr_name_format(big, n, 0, wide, sizeof(wide)), PD_EMALF);
	/* ... while 255 octets pass. */
	big[n - 4] = 1;
	big[n - 2] = 0;
	assert_int_equal(pd_rr_name_format(big, n - 1, 0, wide, sizeof(wide)), 4 * 63 + 1);
}

/* Names decoded into rdata: uppercase lowered, escapes kept. */
static void test_rdata_name_case_and_escapes(void **state)
{
	struct rb r = {0};
	(void)state;
	RB_LIT(&r, "\x03" "WwW" "\x07" "ExAmPlE" "\x00");
	int rc = pd_rr_canon(PD_T_CNAME, r.b, r.n, 0, r.n, g_canon, sizeof(g_canon));
	assert_int_equal(rc, 13);
	assert_memory_equal(g_canon, "\x03" "www" "\x07" "example" "\x00", 13);
	expect_fmt(PD_T_CNAME, g_canon, 13, 0, "www.example");
	r.n = 0;
	RB_LIT(&r, "\x04" "A.B\\" "\x03" "\xc9 \"" "\x00");
	rc = pd_rr_canon(PD_T_NS, r.b, r.n, 0, r.n, g_canon, sizeof(g_canon));
	assert_int_equal(rc, (int)r.n);
	expect_fmt(PD_T_NS, g_canon, r.n, 0, "a\\.b\\\\.\\201\\032\\\"");
	expect_fmt(PD_T_NS, g_canon, r.n, PD_RR_FQDN, "a\\.b\\\\.\\201\\032\\\".");
	/* Bytes above 0x7f are not letters: left as they are. */
	assert_int_equal(g_canon[5], 0x03);
	assert_int_equal(g_canon[6], 0xc9);
}

/* ------------------------------------------------------------------------ */

/*
 * A response whose first name, at offset 12, is "Example.COM"; then
 * "WWW" + pointer (www.example.com) at offset 25. Returns the message.
 */
static void build_msg(struct rb *m)
{
	m->n = 0;
	rb_header(m);
	RB_LIT(m, "\x07" "Example" "\x03" "COM" "\x00");
	assert_int_equal(m->n, 25);
	RB_LIT(m, "\x03" "WWW" "\xc0\x0c");
	assert_int_equal(m->n, 31);
}

static void test_canon_compressed(void **state)
{
	struct rb m;
	size_t off;
	(void)state;

	build_msg(&m);
	off = m.n;
	RB_LIT(&m, "\xc0\x19");
	int rc = canon_msg(PD_T_CNAME, &m, off, 2);
	assert_int_equal(rc, 17);
	assert_memory_equal(g_canon, "\x03" "www" "\x07" "example" "\x03" "com" "\x00", 17);
	expect_msg_rr(PD_T_CNAME, &m, off, 2, "www.example.com");

	build_msg(&m);
	off = m.n;
	RB_LIT(&m, "\x00\x0a" "\x04" "MAIL" "\xc0\x0c");
	expect_msg_rr(PD_T_MX, &m, off, m.n - off, "10 mail.example.com");

	/* SOA: rname points into the mname of the same rdata. */
	build_msg(&m);
	off = m.n;
	RB_LIT(&m, "\x03" "NS1" "\xc0\x0c" "\x0a" "HostMaster");
	rb_u8(&m, 0xc0);
	rb_u8(&m, (unsigned)off);
	for (int i = 0; i < 5; i++)
		rb_u32(&m, (uint32_t)i + 1);
	expect_msg_rr(PD_T_SOA, &m, off, m.n - off,
	              "ns1.example.com hostmaster.ns1.example.com 1 2 3 4 5");

	struct {
		uint16_t type;
		const char *pre, *post;
		size_t prelen, postlen;
		const char *want;
	} cases[] = {
		{PD_T_NS, "", "", 0, 0, "www.example.com"},
		{PD_T_PTR, "", "", 0, 0, "www.example.com"},
		{PD_T_DNAME, "", "", 0, 0, "www.example.com"},
		{PD_T_MB, "", "", 0, 0, "www.example.com"},
		{PD_T_MD, "", "", 0, 0, "www.example.com"},
		{PD_T_MF, "", "", 0, 0, "www.example.com"},
		{PD_T_MG, "", "", 0, 0, "www.example.com"},
		{PD_T_MR, "", "", 0, 0, "www.example.com"},
		{PD_T_KX, "\x00\x05", "", 2, 0, "5 www.example.com"},
		{PD_T_RT, "\x00\x05", "", 2, 0, "5 www.example.com"},
		{PD_T_AFSDB, "\x00\x01", "", 2, 0, "1 www.example.com"},
		{PD_T_SRV, "\x00\x01\x00\x02\x00\x35", "", 6, 0, "1 2 53 www.example.com"},
		{PD_T_NAPTR, "\x00\x01\x00\x02\x01" "S" "\x00\x00", "", 8, 0,
		 "1 2 \"S\" \"\" \"\" www.example.com"},
		{PD_T_RRSIG, "\x00\x01\x08\x03\x00\x00\x0e\x10\x65\x92\x00\x80\x65\x92\x00\x80\x30\x39",
		 "\x01\x02\x03", 18, 3, "A 8 3 3600 20240101000000 20240101000000 12345 "
		 "www.example.com AQID"},
		{PD_T_NSEC, "", "\x00\x01\x40", 0, 3, "www.example.com A"},
		{PD_T_SVCB, "\x00\x01", "\x00\x03\x00\x02\x01\xbb", 2, 6, "1 www.example.com port=443"},
		{PD_T_HTTPS, "\x00\x00", "", 2, 0, "0 www.example.com"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build_msg(&m);
		off = m.n;
		rb_bytes(&m, cases[i].pre, cases[i].prelen);
		RB_LIT(&m, "\xc0\x19");
		rb_bytes(&m, cases[i].post, cases[i].postlen);
		expect_msg_rr(cases[i].type, &m, off, m.n - off, cases[i].want);
		/* The same rdata one byte short or one byte long is malformed. */
		rc = canon_msg(cases[i].type, &m, off, m.n - off - 1);
		if (cases[i].postlen == 0 || cases[i].type == PD_T_NSEC || cases[i].type == PD_T_SVCB)
			assert_int_equal(rc, PD_EMALF);
		rb_u8(&m, 0);
		assert_int_equal(canon_msg(cases[i].type, &m, off, m.n - off),
		                 cases[i].type == PD_T_RRSIG ? 39 : PD_EMALF);
	}

	/* Two names, both compressed, each pointing at a different place. */
	build_msg(&m);
	off = m.n;
	RB_LIT(&m, "\x00\x0a" "\xc0\x0c" "\x02" "Gw" "\xc0\x19");
	expect_msg_rr(PD_T_PX, &m, off, m.n - off, "10 example.com gw.www.example.com");
	build_msg(&m);
	off = m.n;
	RB_LIT(&m, "\xc0\x0c" "\xc0\x19");
	expect_msg_rr(PD_T_RP, &m, off, m.n - off, "example.com www.example.com");
	expect_msg_rr(PD_T_MINFO, &m, off, m.n - off, "example.com www.example.com");
}

static void test_canon_name_errors(void **state)
{
	struct rb m;
	size_t off;
	(void)state;

	/* A pointer to itself, forwards, into the header. */
	build_msg(&m);
	off = m.n;
	rb_u8(&m, 0xc0);
	rb_u8(&m, (unsigned)off);
	assert_int_equal(canon_msg(PD_T_CNAME, &m, off, 2), PD_ELOOP);
	build_msg(&m);
	off = m.n;
	RB_LIT(&m, "\xc0\x30" "\x00");
	assert_int_equal(canon_msg(PD_T_CNAME, &m, off, 2), PD_ELOOP);
	build_msg(&m);
	off = m.n;
	RB_LIT(&m, "\xc0\x05");
	assert_int_equal(canon_msg(PD_T_CNAME, &m, off, 2), PD_ELOOP);

	/* The name's own bytes run past the rdata (the message goes on). */
	build_msg(&m);
	off = m.n;
	RB_LIT(&m, "\x03" "www" "\xc0\x0c" "\x00\x00\x00");
	for (size_t rdlen = 0; rdlen < 6; rdlen++)
		assert_int_equal(canon_msg(PD_T_CNAME, &m, off, rdlen), PD_EMALF);
	assert_int_equal(canon_msg(PD_T_CNAME, &m, off, 6), 17);
	assert_int_equal(canon_msg(PD_T_CNAME, &m, off, 7), PD_EMALF);

	/* Reserved label types. */
	build_msg(&m);
	off = m.n;
	RB_LIT(&m, "\x41" "a" "\x00");
	assert_int_equal(canon_msg(PD_T_CNAME, &m, off, 3), PD_ELABEL);
	build_msg(&m);
	off = m.n;
	RB_LIT(&m, "\x01" "a" "\x80" "\x00");
	assert_int_equal(canon_msg(PD_T_NS, &m, off, 4), PD_ELABEL);

	/* 257 octets through a chain of pointers. */
	m.n = 0;
	rb_header(&m);
	size_t prev = 0;
	for (int k = 0; k < 4; k++) {
		size_t here = m.n;
		rb_u8(&m, 63);
		for (int i = 0; i < 63; i++)
			rb_u8(&m, 'a');
		if (k == 0) {
			rb_u8(&m, 0);
		} else {
			rb_u8(&m, 0xc0 | (unsigned)(prev >> 8));
			rb_u8(&m, prev & 0xff);
		}
		prev = here;
	}
	/* The fourth name alone is 4 * 64 + 1 = 257 octets. */
	assert_int_equal(canon_msg(PD_T_CNAME, &m, prev, 66), PD_ENAME);
	/* The third is 193 octets: fine. */
	off = m.n;
	rb_u8(&m, 0xc0 | (unsigned)((prev - 66) >> 8));
	rb_u8(&m, (prev - 66) & 0xff);
	assert_int_equal(canon_msg(PD_T_CNAME, &m, off, 2), 193);

	/* A pointer target whose labels run past the end of the message. */
	m.n = 0;
	rb_header(&m);
	RB_LIT(&m, "\x3f" "abc");
	off = m.n;
	RB_LIT(&m, "\xc0\x0c");
	assert_int_equal(canon_msg(PD_T_CNAME, &m, off, 2), PD_ETRUNC);

	/* Rdata outside the message. */
	build_msg(&m);
	assert_int_equal(canon_msg(PD_T_A, &m, m.n - 3, 4), PD_ETRUNC);
	assert_int_equal(canon_msg(PD_T_A, &m, m.n + 1, 0), PD_ETRUNC);
	assert_int_equal(canon_msg(PD_T_A, &m, m.n - 4, 4), 4);
}

/*
 * Legal but odd: a pointer in the rdata leads to a label that spans the
 * rdata's own bytes and ends after them. Only the name's bytes in place
 * must end inside the rdata, so this decodes within the whole message.
 */
static void test_canon_pointer_target_crosses_rdata(void **state)
{
	struct rb m = {0};
	(void)state;
	rb_header(&m);
	rb_u8(&m, 20);
	RB_LIT(&m, "ABCDEFG");
	size_t off = m.n; /* 20: inside the label */
	RB_LIT(&m, "\xc0\x0c");
	RB_LIT(&m, "HIJKLMNOPQR");
	rb_u8(&m, 0);
	assert_int_equal(m.n, 34);
	int rc = canon_msg(PD_T_CNAME, &m, off, 2);
	assert_int_equal(rc, 22);
	assert_int_equal(g_canon[0], 20);
	assert_memory_equal(g_canon + 1, "abcdefg\xc0\x0chijklmnopqr", 20);
	assert_int_equal(g_canon[21], 0);
	/* The pointer's second octet outside the rdata is still a shape error. */
	assert_int_equal(canon_msg(PD_T_CNAME, &m, off, 1), PD_EMALF);
}

static void test_canon_space(void **state)
{
	struct rb m;
	uint8_t out[64];
	(void)state;
	build_msg(&m);
	size_t off = m.n;
	RB_LIT(&m, "\xc0\x19");
	assert_int_equal(pd_rr_canon(PD_T_CNAME, m.b, m.n, off, 2, out, 16), PD_ESPACE);
	assert_int_equal(pd_rr_canon(PD_T_CNAME, m.b, m.n, off, 2, out, 17), 17);
	assert_memory_equal(out, "\x03" "www" "\x07" "example" "\x03" "com" "\x00", 17);
	assert_int_equal(pd_rr_canon(PD_T_A, m.b, m.n, 0, 4, out, 3), PD_ESPACE);
	assert_int_equal(pd_rr_canon(65280, m.b, m.n, 0, 4, out, 3), PD_ESPACE);
	assert_int_equal(pd_rr_canon(PD_T_MX, m.b, m.n, 0, 4, out, 1), PD_ESPACE);
	/* Shape errors are found even when the output would not fit. */
	assert_int_equal(pd_rr_canon(PD_T_A, m.b, m.n, 0, 5, out, 3), PD_EMALF);
}

static void test_format_space(void **state)
{
	struct rb r = {0};
	char out[64];
	(void)state;
	rb_hex(&r, "c0000201");
	for (size_t cap = 0; cap < 10; cap++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(pd_rr_format(PD_T_A, r.b, r.n, 0, out, cap), PD_ESPACE);
		if (cap)
			assert_int_equal(out[0], '\0');
		assert_int_equal(out[cap], 'x');
	}
	assert_int_equal(pd_rr_format(PD_T_A, r.b, r.n, 0, out, 10), 9);
	/* Malformed wins over too small. */
	r.n = 5;
	assert_int_equal(pd_rr_format(PD_T_A, r.b, r.n, 0, out, 2), PD_EMALF);
	r.n = 0;
	rb_cstr(&r, "abc");
	rb_u8(&r, 9);
	assert_int_equal(pd_rr_format(PD_T_TXT, r.b, r.n, 0, out, 3), PD_EMALF);
}

/* The bound in pd_rr.h holds for the largest outputs per input byte. */
static void test_format_cap_bound(void **state)
{
	struct rb *r = calloc(1, sizeof(*r));
	(void)state;
	assert_non_null(r);
	/* Every type from 0 to 65535 in an NSEC bitmap is too big for rb; use
	 * windows 0..63 with all bits set. */
	rb_name(r, ".");
	for (unsigned w = 0; w < 64; w++) {
		rb_u8(r, w);
		rb_u8(r, 32);
		for (int i = 0; i < 32; i++)
			rb_u8(r, 0xff);
	}
	size_t cap = pd_rr_format_cap(r->n);
	char *out = malloc(cap);
	assert_non_null(out);
	int rc = pd_rr_format(PD_T_NSEC, r->b, r->n, 0, out, cap);
	assert_true(rc > 0 && (size_t)rc < cap);
	assert_int_equal(pd_rr_format(PD_T_NSEC, r->b, r->n, 0, out, (size_t)rc), PD_ESPACE);
	free(out);
	free(r);
}

/* ------------------------------------------------------------------------ */

static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/*
 * Mutated rdata for every type: format never fails other than PD_EMALF;
 * whatever format accepts canon accepts; canonical output formats and is
 * its own canonical form. Under ASan this also proves the reads stay in
 * bounds (each input sits at the end of a heap block).
 */
static void test_mutations(void **state)
{
	static const uint16_t types[] = {
		1, 2, 5, 6, 13, 14, 15, 16, 17, 26, 28, 33, 35, 39, 43, 44, 46, 47, 48, 49,
		50, 51, 52, 53, 59, 60, 61, 64, 65, 99, 256, 257, 29, 65280,
	};
	uint32_t seed = 42;
	uint8_t seedbuf[600];
	(void)state;
	for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
		uint16_t t = types[ti];
		for (int iter = 0; iter < 3000; iter++) {
			size_t n = lcg(&seed) % 64;
			for (size_t i = 0; i < n; i++) {
				uint32_t v = lcg(&seed);
				/* Mostly small bytes, so lengths often fit. */
				seedbuf[i] = (uint8_t)(v % 4 ? v % 12 : v >> 3);
			}
			uint8_t *in = malloc(n ? n : 1);
			assert_non_null(in);
			memcpy(in, seedbuf, n);
			int f = pd_rr_format(t, in, n, 0, g_text, sizeof(g_text));
			assert_true(f >= 0 || f == PD_EMALF);
			int c = pd_rr_canon(t, in, n, 0, n, g_canon, sizeof(g_canon));
			if (f >= 0 && c < 0)
				fail_msg("type %u: format accepts what canon refuses (%d)", t, c);
			if (c >= 0) {
				size_t cn = (size_t)c;
				uint8_t *again = malloc(cn ? cn : 1), *copy = malloc(cn ? cn : 1);
				assert_non_null(again);
				assert_non_null(copy);
				memcpy(copy, g_canon, cn);
				assert_int_equal(pd_rr_canon(t, copy, cn, 0, cn, again, cn), c);
				if (cn)
					assert_memory_equal(again, copy, cn);
				assert_true(pd_rr_format(t, copy, cn, 0, g_text, sizeof(g_text)) >= 0);
				free(again);
				free(copy);
			}
			free(in);
		}
	}
}

/* Our AAAA printer against glibc's inet_ntop, the document's reference:
 * every pattern of zero and non-zero words, with small and large values,
 * plus mapped and compatible IPv4 forms. */
static void test_aaaa_matches_inet_ntop(void **state)
{
	(void)state;
	uint8_t a[16];
	char want[INET6_ADDRSTRLEN], got[64];
	const uint16_t vals[] = { 1, 0xa, 0xff, 0x100, 0xffff, 0x1234 };
	for (unsigned mask = 0; mask < 256; mask++) {
		for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			for (int i = 0; i < 8; i++) {
				uint16_t w = (mask >> i) & 1 ? (uint16_t)(vals[v] + i) : 0;
				a[2 * i] = (uint8_t)(w >> 8);
				a[2 * i + 1] = (uint8_t)w;
			}
			assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
			assert_true(pd_rr_format(28, a, 16, 0, got, sizeof(got)) > 0);
			assert_string_equal(got, want);
		}
	}
	const char *special[] = { "::ffff:192.0.2.1", "::192.0.2.1", "::1", "::",
		"::ffff:0:1", "1::", "0:0:1::", "::1:0:0:0:1" };
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		assert_int_equal(inet_pton(AF_INET6, special[i], a), 1);
		assert_non_null(inet_ntop(AF_INET6, a, want, sizeof(want)));
		assert_true(pd_rr_format(28, a, 16, 0, got, sizeof(got)) > 0);
		assert_string_equal(got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_name),
		cmocka_unit_test(test_type_roundtrip),
		cmocka_unit_test(test_type_from_name),
		cmocka_unit_test(test_has_names),
		cmocka_unit_test(test_a),
		cmocka_unit_test(test_aaaa),
		cmocka_unit_test(test_single_name_types),
		cmocka_unit_test(test_soa),
		cmocka_unit_test(test_pref_name_types),
		cmocka_unit_test(test_two_name_types),
		cmocka_unit_test(test_hinfo),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_srv),
		cmocka_unit_test(test_naptr),
		cmocka_unit_test(test_ds),
		cmocka_unit_test(test_dnskey),
		cmocka_unit_test(test_rrsig),
		cmocka_unit_test(test_rrsig_time_all_days),
		cmocka_unit_test(test_nsec),
		cmocka_unit_test(test_nsec3),
		cmocka_unit_test(test_nsec3param),
		cmocka_unit_test(test_sshfp_tlsa),
		cmocka_unit_test(test_caa),
		cmocka_unit_test(test_base64_types),
		cmocka_unit_test(test_uri),
		cmocka_unit_test(test_svcb),
		cmocka_unit_test(test_svcb_bad),
		cmocka_unit_test(test_generic),
		cmocka_unit_test(test_name_format),
		cmocka_unit_test(test_name_format_bad),
		cmocka_unit_test(test_rdata_name_case_and_escapes),
		cmocka_unit_test(test_canon_compressed),
		cmocka_unit_test(test_canon_name_errors),
		cmocka_unit_test(test_canon_pointer_target_crosses_rdata),
		cmocka_unit_test(test_canon_space),
		cmocka_unit_test(test_format_space),
		cmocka_unit_test(test_format_cap_bound),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_aaaa_matches_inet_ntop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
