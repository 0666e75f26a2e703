/*
 * Unit tests of pd_rr_parse: presentation text back to canonical rdata.
 *
 * The property: for canonical rdata x of every type, parse(format(x)) == x,
 * with and without PD_RR_FQDN, over the formatter's own examples and over
 * random canonical rdata built field by field from the shapes. Then the
 * other spellings people paste (dig, zone files) and every rejection with
 * its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pd_dns.h"
#include "pd_err.h"
#include "pd_rr.h"
#include "pd_rr_parse.h"

static uint8_t g_out[PD_RR_CANON_MAX];
static uint8_t g_again[PD_RR_CANON_MAX];
static char g_text[1 << 20];

/* Every type with a presentation row of docs/observations.md. */
static const uint16_t typed[] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 21, 26, 28, 33, 35, 36, 39,
	43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 59, 60, 61, 64, 65, 99, 256, 257,
};

#define NTYPED (sizeof(typed) / sizeof(typed[0]))

static int parse(uint16_t type, const char *text, struct pd_rr_perr *err)
{
	return pd_rr_parse_err(type, text, strlen(text), g_out, sizeof(g_out), err);
}

/* text parses, and the result prints as want (NULL: as text itself). */
static void expect_parse(uint16_t type, const char *text, const char *want)
{
	struct pd_rr_perr err;
	int n = parse(type, text, &err);
	if (n < 0)
		fail_msg("type %u: \"%s\" refused at %zu: %s", type, text, err.off, err.why);
	int c = pd_rr_canon(type, g_out, (size_t)n, 0, (size_t)n, g_again, sizeof(g_again));
	assert_int_equal(c, n);
	if (n)
		assert_memory_equal(g_again, g_out, (size_t)n);
	const char *w = want ? want : text;
	/* The text may be either style: it must match one of them. */
	assert_true(pd_rr_format(type, g_out, (size_t)n, 0, g_text, sizeof(g_text)) >= 0);
	if (strcmp(g_text, w) != 0)
		assert_true(pd_rr_format(type, g_out, (size_t)n, PD_RR_FQDN, g_text,
		                         sizeof(g_text)) >= 0);
	if (strcmp(g_text, w) != 0)
		fail_msg("type %u: \"%s\" prints as \"%s\", want \"%s\"", type, text, g_text,
		         want ? want : text);
}

/* text is refused with PD_EMALF and a reason containing why, found at off
 * (SIZE_MAX: anywhere). */
static void expect_reject(uint16_t type, const char *text, const char *why, size_t off)
{
	struct pd_rr_perr err;
	int n = parse(type, text, &err);
	if (n != PD_EMALF)
		fail_msg("type %u: \"%s\" gave %d, want PD_EMALF (%s)", type, text, n, why);
	if (!strstr(err.why, why))
		fail_msg("type %u: \"%s\": reason \"%s\", want \"%s\"", type, text, err.why, why);
	if (off != SIZE_MAX && err.off != off)
		fail_msg("type %u: \"%s\": offset %zu, want %zu", type, text, err.off, off);
}

/* ------------------------------------------------------------------------ */

/* The formatter's own examples (test_pd_rr.c and the document). */
static const struct {
	uint16_t type;
	const char *text;
} canonical[] = {
	{1, "192.0.2.1"}, {1, "0.0.0.0"}, {1, "255.255.255.255"}, {1, "10.11.12.100"},
	{28, "2001:db8::1"}, {28, "::ffff:192.0.2.1"}, {28, "::"}, {28, "::1"},
	{28, "2001:db8:0:1:1:1:1:1"}, {28, "fe80::abcd:ef01:2345"}, {28, "1:2:3:4:5:6:7:8"},
	{2, "target.example.com"}, {2, "target.example.com."}, {5, "."}, {39, "a.b"},
	{12, "1.2.0.192.in-addr.arpa"}, {7, "x"}, {3, "x"}, {4, "x"}, {8, "x"}, {9, "x"},
	{6, "ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 4294967295"},
	{6, "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 4294967295"},
	{6, ". . 0 0 0 0 0"},
	{15, "10 mail.example.com"}, {15, "10 mail.example.com."}, {36, "0 ."}, {21, "65535 x"},
	{18, "1 afs.example.com"},
	{14, "admin.example.com txt.example.com"}, {17, "admin.example.com ."},
	{26, "10 net2.it prmd-net2.admd-p400.c-it"}, {26, "10 net2.it. prmd-net2.admd-p400.c-it."},
	{13, "\"INTEL-386\" \"Unix\""}, {13, "\"a \\\"b\\\"\" \"\""},
	{16, "\"v=spf1 -all\""}, {16, "\"v=spf1 -all\" \"second\" \"\""}, {16, "\"\""},
	{16, "\"say \\\"hi\\\" \\\\o/ ;()@$.~!\""}, {99, "\"\\000\\031 ~\\127\\128\\255A\""},
	{33, "10 60 5060 sip.example.com"}, {33, "0 0 0 ."},
	{35, "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com"},
	{35, "100 50 \"u\" \"E2U+sip\" \"!^\\\\+1(.*)$!sip:\\\\1@example.com!\" ."},
	{43, "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"}, {59, "60485 5 1 -"},
	{48, "257 3 8 AwEAAQ=="}, {48, "257 3 8 AwEA"}, {60, "257 3 8 AwE="}, {48, "257 3 8 -"},
	{46, "A 8 2 3600 20240101000000 20000229000000 12345 example.com AAECAwQ="},
	{46, "TYPE65280 8 2 3600 19700101000000 21060207062815 12345 . -"},
	{46, "NSEC3PARAM 8 2 3600 20090213233130 20000229235959 12345 x /w=="},
	{47, "host.example.com A MX RRSIG NSEC URI CAA TYPE1234"}, {47, "host.example.com"},
	{47, "host.example.com TYPE0"},
	{50, "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG"}, {50, "1 0 0 - VS"},
	{51, "1 0 10 AABBCCDD"}, {51, "1 255 0 -"},
	{44, "1 1 123456789ABCDEF67890123456789ABCDEF67890"}, {44, "1 1 -"},
	{52, "3 1 1 0102ABFF"}, {53, "3 1 1 -"},
	{257, "0 issue \"letsencrypt.org\""}, {257, "0 issue \"\""},
	{257, "128 TBS1 \"a\\\"b\\\\c\\010; d\""},
	{61, "AAECAwQF+/8="}, {49, "-"},
	{256, "10 1 \"ftp://ftp1.example.com/public\""}, {256, "10 1 \"\""},
	{256, "10 1 \"http://x/\\\"q\\\"\\127\""},
	{64, "1 . alpn=h2,h3 no-default-alpn port=8443 ipv4hint=192.0.2.1,192.0.2.2 ech=AEX+ "
	     "ipv6hint=2001:db8::1,2001:db8::2"},
	{65, "1 svc.example.com mandatory=alpn,port alpn=h2 port=443"},
	{65, "1 svc.example.com. mandatory=alpn,port alpn=h2 port=443"},
	{64, "2 x mandatory=alpn,key667 alpn=a\\,b,c\\\\d,e\\001 key667=\"hello\" key668 "
	     "key65535=\"a\\\"b\\007\""},
	{64, "1 . ech=-"}, {65, "0 foo.example.com"}, {65, "0 ."}, {64, "1 ."},
	{2, "a\\.b.c\\\\d.\\\"\\(\\)\\;\\@\\$.\\000\\032\\127\\255"},
	{29, "\\# 16 00121613000000000000000000000000"}, {10, "\\# 0"},
	{65280, "\\# 8 03414243C00C00FF"},
};

static void test_canonical_examples(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++)
		expect_parse(canonical[i].type, canonical[i].text, NULL);
}

/* ------------------------------------------------------------------------ */

static uint64_t g_rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(uint32_t n)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return n ? (uint32_t)(g_rng >> 32) % n : 0;
}

struct rb {
	uint8_t b[PD_RR_CANON_MAX];
	size_t n;
};

static void rb_u8(struct rb *r, unsigned v)
{
	r->b[r->n++] = (uint8_t)v;
}

static void rb_u16(struct rb *r, unsigned v)
{
	rb_u8(r, v >> 8 & 0xff);
	rb_u8(r, v & 0xff);
}

/* Mostly small values, sometimes any byte. */
static void rb_bytes(struct rb *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rb_u8(r, rnd(4) ? 'a' + rnd(26) : rnd(256));
}

static size_t rnd_len(size_t max)
{
	return rnd(3) ? rnd((uint32_t)(max < 12 ? max + 1 : 13)) : rnd((uint32_t)max + 1);
}

/* A canonical name: labels of any bytes but upper-case ASCII. */
static void rb_name(struct rb *r)
{
	size_t total = 1, labels = rnd(5);
	if (rnd(8) == 0)
		labels = 127; /* as long as they come */
	for (size_t l = 0; l < labels; l++) {
		size_t len = 1 + (rnd(6) ? rnd(8) : rnd(63));
		if (total + 1 + len > PD_DNS_NAME_MAX)
			len = PD_DNS_NAME_MAX - total - 1;
		if (len == 0 || len > 63)
			break;
		rb_u8(r, (unsigned)len);
		for (size_t k = 0; k < len; k++) {
			unsigned c = rnd(3) ? 'a' + rnd(26) : rnd(256);
			rb_u8(r, c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		total += 1 + len;
	}
	rb_u8(r, 0);
}

static void rb_bitmap(struct rb *r)
{
	unsigned win = rnd(3) ? 0 : rnd(4);
	while (win < 256 && rnd(4)) {
		unsigned len = 1 + rnd(32);
		rb_u8(r, win);
		rb_u8(r, len);
		for (unsigned k = 0; k + 1 < len; k++)
			rb_u8(r, rnd(2) ? rnd(256) : 0);
		rb_u8(r, 1 + rnd(255)); /* the last octet of a window is not zero */
		win += 1 + (rnd(2) ? 0 : rnd(80));
	}
}

/* A valid value for SvcParam key. The formatter prints alpn ids with a
 * space, or a first id starting with '"', in a way no parser can read back
 * (see test_formatter_gaps), so those bytes are left out here. */
static void rb_svc_value(struct rb *r, unsigned key)
{
	size_t n;
	switch (key) {
	case 0: {
		unsigned k = rnd(4);
		for (size_t i = 1 + rnd(4); i > 0 && k < 65536; i--, k += 1 + rnd(300))
			rb_u16(r, k);
		break;
	}
	case 1:
		for (size_t i = 1 + rnd(3); i > 0; i--) {
			n = 1 + rnd_len(20);
			rb_u8(r, (unsigned)n);
			for (size_t k = 0; k < n; k++) {
				unsigned c = rnd(2) ? 'a' + rnd(26) : rnd(256);
				rb_u8(r, c == ' ' || c == '"' ? ',' : c);
			}
		}
		break;
	case 2:
		break;
	case 3:
		rb_u16(r, rnd(65536));
		break;
	case 4: case 6:
		for (size_t i = (1 + rnd(3)) * (key == 4 ? 4 : 16); i > 0; i--)
			rb_u8(r, rnd(2) ? 0 : rnd(256));
		break;
	default:
		rb_bytes(r, rnd_len(40));
	}
}

static void rb_svc(struct rb *r, int alias)
{
	unsigned key = rnd(3);
	if (alias)
		return; /* the alias form prints no params (test_formatter_gaps) */
	while (key < 65536 && rnd(5)) {
		size_t at = r->n;
		rb_u16(r, key);
		rb_u16(r, 0);
		rb_svc_value(r, key);
		r->b[at + 2] = (uint8_t)((r->n - at - 4) >> 8);
		r->b[at + 3] = (uint8_t)(r->n - at - 4);
		key += 1 + (key < 8 ? rnd(2) : rnd(3000));
	}
}

/* Random canonical rdata of the given shape. */
static void rb_shape(struct rb *r, const char *shape)
{
	int alias = 0;
	for (; *shape; shape++) {
		size_t n;
		switch (*shape) {
		case '1': rb_u8(r, rnd(256)); break;
		case '2': case 't':
			n = rnd(4) ? rnd(300) : rnd(65536);
			alias = n == 0;
			rb_u16(r, (unsigned)n);
			break;
		case '4': case 'T': rb_u16(r, rnd(65536)); rb_u16(r, rnd(65536)); break;
		case 'a': rb_bytes(r, 4); break;
		case '6':
			for (int i = 0; i < 16; i++)
				rb_u8(r, rnd(2) ? 0 : rnd(256));
			break;
		case 'n': rb_name(r); break;
		case 's': case 'S': n = rnd_len(255); rb_u8(r, (unsigned)n); rb_bytes(r, n); break;
		case 'H': n = 1 + rnd_len(254); rb_u8(r, (unsigned)n); rb_bytes(r, n); break;
		case 'g':
			n = 1 + rnd_len(14);
			rb_u8(r, (unsigned)n);
			for (size_t k = 0; k < n; k++)
				rb_u8(r, rnd(3) ? 'a' + rnd(26) : rnd(2) ? 'A' + rnd(26) : '0' + rnd(10));
			break;
		case 'x': case 'b': case 'q': rb_bytes(r, rnd_len(300)); break;
		case 'm': rb_bitmap(r); break;
		case 'v': rb_svc(r, alias); break;
		default: /* 'z' */
			for (size_t i = 1 + rnd(4); i > 0; i--) {
				n = rnd_len(255);
				rb_u8(r, (unsigned)n);
				rb_bytes(r, n);
			}
		}
	}
}

/* Shapes of the types, as pd_rr_int.h spells them (tests cannot see it). */
static const char *shape_of(uint16_t type)
{
	switch (type) {
	case 1: return "a";
	case 28: return "6";
	case 2: case 3: case 4: case 5: case 7: case 8: case 9: case 12: case 39: return "n";
	case 6: return "nn44444";
	case 15: case 18: case 21: case 36: return "2n";
	case 14: case 17: return "nn";
	case 26: return "2nn";
	case 13: return "ss";
	case 16: case 99: return "z";
	case 33: return "222n";
	case 35: return "22sssn";
	case 43: case 59: return "211x";
	case 48: case 60: return "211b";
	case 46: return "t114TT2nb";
	case 47: return "nm";
	case 50: return "112SHm";
	case 51: return "112S";
	case 44: return "11x";
	case 52: case 53: return "111x";
	case 257: return "1gq";
	case 49: case 61: return "b";
	case 256: return "22q";
	case 64: case 65: return "2nv";
	default: return NULL;
	}
}

static void roundtrip(uint16_t type, const struct rb *r, unsigned flags)
{
	struct pd_rr_perr err;
	int c = pd_rr_canon(type, r->b, r->n, 0, r->n, g_again, sizeof(g_again));
	if (c != (int)r->n || (r->n && memcmp(g_again, r->b, r->n) != 0))
		fail_msg("type %u: generated rdata is not canonical (%d)", type, c);
	int t = pd_rr_format(type, r->b, r->n, flags, g_text, sizeof(g_text));
	if (t < 0)
		fail_msg("type %u: format failed: %s", type, pd_strerror(t));
	int n = pd_rr_parse_err(type, g_text, (size_t)t, g_out, sizeof(g_out), &err);
	if (n < 0)
		fail_msg("type %u: \"%.300s\" refused at %zu: %s", type, g_text, err.off, err.why);
	if ((size_t)n != r->n || (n && memcmp(g_out, r->b, r->n) != 0))
		fail_msg("type %u: \"%.300s\" parsed to other rdata (%d octets, want %zu)", type,
		         g_text, n, r->n);
}

static void test_random_roundtrip(void **state)
{
	static struct rb r;
	(void)state;
	for (size_t ti = 0; ti < NTYPED; ti++) {
		for (int iter = 0; iter < 3000; iter++) {
			r.n = 0;
			rb_shape(&r, shape_of(typed[ti]));
			roundtrip(typed[ti], &r, 0);
			roundtrip(typed[ti], &r, PD_RR_FQDN);
		}
	}
	static const uint16_t opaque[] = {0, 10, 11, 29, 37, 41, 42, 45, 55, 62, 63, 108,
	                                  250, 258, 32768, 65280, 65535};
	for (size_t ti = 0; ti < sizeof(opaque) / sizeof(opaque[0]); ti++) {
		for (int iter = 0; iter < 300; iter++) {
			r.n = 0;
			rb_bytes(&r, rnd_len(400));
			roundtrip(opaque[ti], &r, 0);
		}
	}
	/* The largest rdata there is, as generic text. */
	r.n = 0;
	rb_bytes(&r, PD_RR_CANON_MAX);
	roundtrip(65280, &r, 0);
}

/* Every time of the 32-bit range that RRSIG can carry, sampled. */
static void test_rrsig_times(void **state)
{
	static struct rb r;
	(void)state;
	for (uint64_t t = 0; t <= UINT32_MAX; t += 86399 + rnd(3)) {
		r.n = 0;
		rb_u16(&r, 1);
		rb_u8(&r, 8);
		rb_u8(&r, 2);
		for (int k = 0; k < 3; k++) {
			rb_u16(&r, (unsigned)(t >> 16));
			rb_u16(&r, (unsigned)(t & 0xffff));
		}
		rb_u16(&r, 1);
		rb_u8(&r, 0);
		roundtrip(46, &r, 0);
	}
	expect_parse(46, "A 8 2 3600 4294967295 0 1 . -",
	             "A 8 2 3600 21060207062815 19700101000000 1 . -");
	expect_parse(46, "A 8 2 3600 20240229120000 1704067200 1 . -",
	             "A 8 2 3600 20240229120000 20240101000000 1 . -");
}

/* ------------------------------------------------------------------------ */

/* Other spellings of the same rdata, and what they print as. */
static const struct {
	uint16_t type;
	const char *text, *want;
} styles[] = {
	{1, "  192.0.2.1\t", "192.0.2.1"},
	{2, "Target.EXAMPLE.com.", "target.example.com"},
	{2, "\\084arget.example.com", "target.example.com"},
	{2, "a\\ b.example", "a\\032b.example"},
	{2, "@.", "\\@"},
	{6, "NS1.example.com.\t hostmaster.example.com. 0002024010101 7200 3600 1209600 0",
	 "ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 0"},
	{15, "10\t\tMAIL.example.com.", "10 mail.example.com"},
	{16, "v=spf1", "\"v=spf1\""},
	{16, "v=spf1 -all", "\"v=spf1\" \"-all\""},
	{16, "\"a\" b \"c d\"", "\"a\" \"b\" \"c d\""},
	{16, "\"\\065\\x\"", "\"Ax\""},
	{16, "\"tab\there\"", "\"tab\\009here\""},
	{16, "\"caf\xc3\xa9\"", "\"caf\\195\\169\""},
	{13, "INTEL-386 Unix", "\"INTEL-386\" \"Unix\""},
	{35, "100 10 S SIP+D2U \"\" _SIP._udp.example.com.",
	 "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.com"},
	{43, "60485 5 1 2BB183AF5F22588179A5 3B0A98631FAD1A292118",
	 "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"},
	{43, "60485 5 1 2bb183af 5f22588179a53b0a98631fad1a29211 8",
	 "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"},
	{48, "257 3 8 AwEA AQ==", "257 3 8 AwEAAQ=="},
	{48, "257 3 8 Aw EAA Q= =", "257 3 8 AwEAAQ=="},
	{46, "A 8 2 3600 1704067200 951782400 12345 EXAMPLE.com. AAEC AwQ=",
	 "A 8 2 3600 20240101000000 20000229000000 12345 example.com AAECAwQ="},
	{46, "a 8 2 3600 20240101000000 20000229000000 12345 . -",
	 "A 8 2 3600 20240101000000 20000229000000 12345 . -"},
	{47, "host.example.com. CAA A TYPE1234 mx nsec A RRSIG uri",
	 "host.example.com A MX RRSIG NSEC URI CAA TYPE1234"},
	{50, "1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr RRSIG a",
	 "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG"},
	{257, "0 issue letsencrypt.org", "0 issue \"letsencrypt.org\""},
	{257, "0 iodef \"mailto:a@b\"", "0 iodef \"mailto:a@b\""},
	{256, "10 1 ftp://ftp1.example.com/public", "10 1 \"ftp://ftp1.example.com/public\""},
	{64, "1 svc.example.com. port=443 alpn=h2 mandatory=port,alpn",
	 "1 svc.example.com mandatory=alpn,port alpn=h2 port=443"},
	{64, "1 . key3=443 key1=\"h2,h3\" KEY2 key7=\"x y\" key8=z\\\"",
	 "1 . alpn=h2,h3 no-default-alpn port=443 key7=\"x y\" key8=\"z\\\"\""},
	{65, "1 . alpn=\"h\\\\\\\"2\" no-default-alpn=\"\" ech=\"AEX+\" ipv4hint=\"192.0.2.1\"",
	 "1 . alpn=h\\\\\\\"2 no-default-alpn ipv4hint=192.0.2.1 ech=AEX+"},
	{65, "1 . alpn=a\\044b,\\099", "1 . alpn=a\\,b,c"},
	{65, "1 . ipv6hint=::ffff:192.0.2.1 key9= key10=\"\"",
	 "1 . ipv6hint=::ffff:192.0.2.1 key9 key10"},
	{65, "0 foo.example. port=443", "0 foo.example"},
	{5, "\\# 3 01 61 00", "a"},
	{15, "\\# 7 000A 0141 0142 00", "10 a.b"},
	{16, "\\# 4 03616263", "\"abc\""},
	{1, "\\# 4 C0000201", "192.0.2.1"},
	{29, "\\# 0", "\\# 0"},
	{65280, "\\#   3   a B c d e F", "\\# 3 ABCDEF"},
};

static void test_other_styles(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(styles) / sizeof(styles[0]); i++)
		expect_parse(styles[i].type, styles[i].text, styles[i].want);
}

/* Text that is refused, the reason, and where (SIZE_MAX: not checked). */
static const struct {
	uint16_t type;
	const char *text, *why;
	size_t off;
} rejects[] = {
	{1, "", "expected an IPv4 address", 0},
	{1, "192.0.2", "bad IPv4 address", 0},
	{1, "192.0.2.256", "bad IPv4 address", 0},
	{1, "192.0.2.01", "bad IPv4 address", 0},
	{1, "\"192.0.2.1\"", "bad IPv4 address", 0},
	{1, "192.0.2.1 x", "unexpected text after the rdata", 10},
	{1, "192.0.2.1\n", "control character", 9},
	{28, "2001:db8::1::2", "bad IPv6 address", 0},
	{28, "192.0.2.1", "bad IPv6 address", 0},
	{2, "a..b", "bad name", 0},
	{2, ".a", "bad name", 0},
	{2, "a\\", "bad name", 0},
	{2, "a\\256", "bad name", 0},
	{2, "\"a\"", "cannot be quoted", 0},
	{2, "@", "origin", 0},
	{2, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.b",
	 "label longer than 63", 0},
	{15, "10", "expected a name", 2},
	{15, "65536 a", "expected a number from 0 to 65535", 0},
	{15, "-1 a", "number", 0},
	{15, "0x10 a", "number", 0},
	{6, "a b 1 2 3 4 4294967296", "number from 0 to 4294967295", 12},
	{16, "", "expected a character-string", 0},
	{16, "\"abc", "unterminated quoted string", 0},
	{16, "\"a\"b", "expected a space after the closing quote", 3},
	{16, "\"a\\1b\"", "bad \\DDD escape", 2},
	{16, "\"a\\256\"", "bad \\DDD escape", 2},
	{16, "a\\", "backslash at the end", 1},
	{13, "\"only\"", "expected a character-string", 6},
	{43, "1 2 3 ABC", "odd number of hex digits", 9},
	{43, "1 2 3 ABCG", "bad hex digit", 9},
	{43, "1 2 3", "expected hex", 5},
	{43, "1 2 3 - AB", "unexpected text after the rdata", 8},
	{43, "1 2 3 \"AB\"", "hex cannot be quoted", 6},
	{48, "1 2 3 AwE", "base64 length not a multiple of 4", 6},
	{48, "1 2 3 AwE!", "bad base64", 6},
	{48, "1 2 3 AwF=", "bad base64", 6},
	{48, "1 2 3 AwE= AAAA", "base64 after its padding", 11},
	{48, "1 2 3", "expected base64", 5},
	{46, "A 8 2 3600 20240230000000 0 1 . -", "bad date or time", 11},
	{46, "A 8 2 3600 21060207062816 0 1 . -", "after 2106", 11},
	{46, "A 8 2 3600 19691231235959 0 1 . -", "bad date or time", 11},
	{46, "A 8 2 3600 4294967296 0 1 . -", "expected a time", 11},
	{46, "FOO 8 2 3600 0 0 1 . -", "unknown type", 0},
	{47, "a. A BOGUS", "unknown type", 5},
	{50, "1 0 0 - VSV", "bad base32hex hash length", 8},
	{50, "1 0 0 - VW", "bad base32hex digit", 9},
	{50, "1 0 0 - VV", "nonzero padding bits", 8},
	{50, "1 0 0 - -", "bad base32hex hash length", 8},
	{51, "1 0 0 ABC", "odd number of hex digits", 6},
	{257, "0 is-sue \"x\"", "letters and digits", 4},
	{257, "0 \"issue\" \"x\"", "cannot be quoted", 2},
	{256, "1 2", "expected a quoted string", 3},
	{64, "1 . foo=1", "unknown SvcParam key \"foo\"", 4},
	{64, "1 . key65536=1", "unknown SvcParam key", 4},
	{64, "1 . port=443 port=80", "SvcParam key repeated", 13},
	{64, "1 . port=80 alpn=h2 port=443", "SvcParam key repeated", 20},
	{64, "1 . port", "SvcParam port needs a value", 4},
	{64, "1 . port=65536", "expected a port", 9},
	{64, "1 . alpn=h2,,h3", "empty alpn id", 9},
	{64, "1 . alpn=h2\\", "bad escape in alpn", 9},
	{64, "1 . mandatory=alpn,alpn", "key repeated in mandatory", 14},
	{64, "1 . mandatory=bogus", "unknown SvcParam key in mandatory", 14},
	{64, "1 . no-default-alpn=x", "no-default-alpn takes no value", 20},
	{64, "1 . ipv4hint=192.0.2.1,x", "bad IPv4 address", 23},
	{64, "1 . ipv6hint=1::,", "bad IPv6 address", 17},
	{64, "1 . ech=AE", "base64 length", 8},
	{64, "1 . =1", "expected a SvcParam key", 4},
	{64, "1 . key7=\"x", "unterminated quoted string", 9},
	{29, "0 0 0 0", "presentation of LOC not supported, use \\# LEN HEX", 0},
	{37, "1 2 3 AAAA", "presentation of CERT not supported", 0},
	{65280, "x", "presentation of TYPE65280 not supported", 0},
	{29, "\\# 3 0102", "\\# length 3 does not match the 2 octets of hex", 3},
	{29, "\\# 1", "\\# length 1 does not match the 0 octets of hex", 3},
	{29, "\\# 65536 00", "expected a length from 0 to 65535", 3},
	{29, "\\#", "expected the rdata length", 2},
	{29, "\\# x", "expected a length", 3},
	{29, "\\# 1 0", "odd number of hex digits", 6},
	{1, "\\# 3 010203", "rdata does not have the shape of A", 5},
	{15, "\\# 4 000AC000", "does not have the shape of MX", 5},
	{15, "\\# 5 000A000000", "does not have the shape of MX", 5},
	{16, "\\# 0", "does not have the shape of TXT", 4},
};

static void test_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++)
		expect_reject(rejects[i].type, rejects[i].text, rejects[i].why, rejects[i].off);
}

/* Limits: names, character-strings, salts, rdata length. */
static void test_limits(void **state)
{
	static char t[PD_RR_CANON_MAX * 3];
	size_t n = 0;
	(void)state;
	/* A 255-octet name (four 62-octet labels and one of 1) is fine; one
	 * more octet is not. */
	for (int l = 0; l < 4; l++) {
		memset(t + n, 'a', 62);
		n += 62;
		t[n++] = '.';
	}
	memcpy(t + n, "b", 2);
	expect_parse(2, t, NULL);
	memcpy(t + n, "bb", 3);
	expect_reject(2, t, "name longer than 255 octets", 0);
	/* Character-strings of 255 and 256 octets. */
	t[0] = '"';
	memset(t + 1, 'x', 255);
	memcpy(t + 256, "\"", 2);
	expect_parse(16, t, NULL);
	memset(t + 1, 'x', 256);
	memcpy(t + 257, "\"", 2);
	expect_reject(16, t, "character-string longer than 255 octets", 0);
	memcpy(t, "1 2 3 ", 6);
	memset(t + 6, 'A', 512);
	t[518] = '\0';
	expect_reject(51, t, "salt longer than 255 octets", 6);
	/* Rdata over 65535 octets. */
	memcpy(t, "\"", 1);
	n = 0;
	for (int k = 0; k < 300; k++) {
		t[n++] = '"';
		memset(t + n, 'y', 255);
		n += 255;
		t[n++] = '"';
		t[n++] = ' ';
	}
	t[n] = '\0';
	expect_reject(16, t, "rdata longer than 65535 octets", SIZE_MAX);
}

/* A small buffer is PD_ESPACE; the same text fits a bigger one. */
static void test_space(void **state)
{
	static const char *const texts[] = {
		"10 mail.example.com", "\"abc\" \"def\"", "1 . alpn=h2,h3 port=443",
		"\\# 4 01020304",
	};
	static const uint16_t types[] = {15, 16, 64, 65280};
	uint8_t small[64];
	struct pd_rr_perr err;
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		int full = pd_rr_parse(types[i], texts[i], strlen(texts[i]), g_out, sizeof(g_out));
		assert_true(full > 0);
		for (size_t cap = 0; cap < (size_t)full; cap++) {
			int rc = pd_rr_parse_err(types[i], texts[i], strlen(texts[i]),
			                         cap ? small : NULL, cap, &err);
			assert_int_equal(rc, PD_ESPACE);
			assert_string_equal(err.why, "output buffer too small");
		}
		assert_int_equal(pd_rr_parse(types[i], texts[i], strlen(texts[i]), small,
		                             (size_t)full), full);
		assert_memory_equal(small, g_out, (size_t)full);
	}
	/* Length, not NUL, ends the text; a NULL err is fine. */
	assert_int_equal(pd_rr_parse(1, "192.0.2.1x", 9, g_out, sizeof(g_out)), 4);
	assert_int_equal(pd_rr_parse(1, "1.2.3.4\0", 8, g_out, sizeof(g_out)), PD_EMALF);
}

/* Generic rdata of a type with a row: shape checked, names lower-cased,
 * compression refused (a pointer has no message to point into). */
static void test_generic_known_types(void **state)
{
	(void)state;
	expect_parse(2, "\\# 5 0341424300", "abc");
	expect_parse(6, "\\# 26 0141000142000000000100000002000000030000000400000005",
	             "a b 1 2 3 4 5");
	expect_parse(46, "\\# 22 0001080200000E10000000000000000030390141 00 FF",
	             "A 8 2 3600 19700101000000 19700101000000 12345 a /w==");
	expect_parse(64, "\\# 11 0001 0141 00 0003 0002 01BB", "1 a port=443");
	expect_reject(2, "\\# 2 C000", "does not have the shape of NS", 5);
	expect_reject(2, "\\# 4 01C10000", "does not have the shape of NS", 5);
	expect_reject(2, "\\# 4 0141C000", "does not have the shape of NS", 5);
	expect_reject(64, "\\# 8 0001 00 0003 0001 01", "does not have the shape of SVCB", 5);
	expect_reject(47, "\\# 3 00 00 00", "does not have the shape of NSEC", 5);
	/* Upper case inside non-name fields stays as it is. */
	expect_parse(16, "\\# 2 0141", "\"A\"");
	expect_parse(257, "\\# 6 0003 414243 41", "0 ABC \"A\"");
}

/* Splits text at single spaces outside quotes into at most max fields. */
static size_t split_fields(char *text, char **f, size_t max)
{
	size_t n = 0;
	int quoted = 0;
	f[n++] = text;
	for (char *c = text; *c && n < max; c++) {
		if (*c == '\\' && c[1]) {
			c++;
		} else if (*c == '"') {
			quoted = !quoted;
		} else if (*c == ' ' && !quoted) {
			*c = '\0';
			f[n++] = c + 1;
		}
	}
	return n;
}

/* SvcParams and NSEC types may come in any order: shuffled fields of the
 * printed text parse to the same rdata. */
static void test_any_order(void **state)
{
	static struct rb r;
	static char shuffled[1 << 16];
	static char *f[4096];
	struct pd_rr_perr err;
	(void)state;
	for (int iter = 0; iter < 4000; iter++) {
		uint16_t type = iter % 2 ? PD_T_NSEC : (iter % 4 ? PD_T_SVCB : PD_T_HTTPS);
		r.n = 0;
		rb_shape(&r, shape_of(type));
		int t = pd_rr_format(type, r.b, r.n, 0, g_text, sizeof(g_text));
		assert_true(t >= 0);
		size_t nf = split_fields(g_text, f, 4096), fixed = type == PD_T_NSEC ? 1 : 2;
		for (size_t i = nf; i > fixed + 1; i--) {
			size_t j = fixed + rnd((uint32_t)(i - fixed));
			char *x = f[i - 1];
			f[i - 1] = f[j];
			f[j] = x;
		}
		size_t len = 0;
		for (size_t i = 0; i < nf; i++)
			len += (size_t)snprintf(shuffled + len, sizeof(shuffled) - len, "%s%s",
			                        i ? &" \t "[rnd(3)] : "", f[i]);
		int n = pd_rr_parse_err(type, shuffled, len, g_out, sizeof(g_out), &err);
		if (n < 0)
			fail_msg("\"%s\" refused at %zu: %s", shuffled, err.off, err.why);
		assert_int_equal(n, r.n);
		assert_memory_equal(g_out, r.b, r.n);
	}
	/* 64 params in reverse order are sorted; 65 are refused. */
	for (unsigned count = 64; count <= 65; count++) {
		size_t len = (size_t)snprintf(shuffled, sizeof(shuffled), "1 .");
		for (unsigned k = count; k > 0; k--)
			len += (size_t)snprintf(shuffled + len, sizeof(shuffled) - len, " key%u=%u",
			                        1000 + k, k);
		int n = pd_rr_parse_err(PD_T_SVCB, shuffled, len, g_out, sizeof(g_out), &err);
		if (count == 64) {
			assert_true(n > 0);
			assert_true(pd_rr_format(PD_T_SVCB, g_out, (size_t)n, 0, g_text,
			                         sizeof(g_text)) > 0);
			assert_memory_equal(g_text, "1 . key1001=\"1\" key1002=\"2\" ", 28);
		} else {
			assert_int_equal(n, PD_EMALF);
			assert_string_equal(err.why, "more than 64 SvcParams out of key order");
		}
	}
	/* Repeats: NSEC types are a set, SvcParam keys may not repeat. */
	expect_parse(PD_T_NSEC, "a A A MX A", "a A MX");
	expect_reject(PD_T_SVCB, "1 . port=1 key3=2", "SvcParam key repeated", 11);
	expect_reject(PD_T_SVCB, "1 . port=1 alpn=x key3=2", "SvcParam key repeated", 18);
}

/*
 * Formatter output that cannot be parsed back, pinned here so that a fix of
 * pd_rr_fmt.c shows up: each is canonical rdata that pd_rr_canon accepts.
 */
static void test_formatter_gaps(void **state)
{
	static const struct {
		uint16_t type;
		const char *hex, *printed;
	} gaps[] = {
		/* Params of the alias form are dropped (documented). */
		{65, "0000 00 0003 0002 01BB", "0 ."},
		/* Bitmaps with trailing zero octets or empty windows print like
		 * the minimal bitmap RFC 4034 4.1.2 requires. */
		{47, "00 00024000", ". A"},
		{47, "00 000140 010100", ". A"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(gaps) / sizeof(gaps[0]); i++) {
		char gen[200];
		size_t hexdigits = 0;
		for (const char *h = gaps[i].hex; *h; h++)
			hexdigits += *h != ' ';
		snprintf(gen, sizeof(gen), "\\# %zu %s", hexdigits / 2, gaps[i].hex);
		int n = parse(gaps[i].type, gen, NULL);
		assert_true(n > 0);
		int t = pd_rr_format(gaps[i].type, g_out, (size_t)n, 0, g_text, sizeof(g_text));
		assert_true(t >= 0);
		assert_string_equal(g_text, gaps[i].printed);
		memcpy(g_again, g_out, (size_t)n);
		int back = parse(gaps[i].type, gaps[i].printed, NULL);
		assert_false(back == n && memcmp(g_out, g_again, (size_t)n) == 0);
	}
}

/* alpn ids with a space, quotes and zone-file specials print escaped and
 * read back to the same rdata (they were formatter gaps once). */
static void test_alpn_escapes_roundtrip(void **state)
{
	static const struct {
		const char *hex, *printed;
	} cases[] = {
		{"0001 00 0001 0004 03662067", "1 . alpn=f\\032g"},
		{"0001 00 0001 0004 03226122", "1 . alpn=\\\"a\\\""},
		{"0001 00 0001 0007 033b2829 02682c", "1 . alpn=\\;\\(\\),h\\,"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char gen[200];
		size_t hexdigits = 0;
		for (const char *h = cases[i].hex; *h; h++)
			hexdigits += *h != ' ';
		snprintf(gen, sizeof(gen), "\\# %zu %s", hexdigits / 2, cases[i].hex);
		int n = parse(PD_T_SVCB, gen, NULL);
		assert_true(n > 0);
		int t = pd_rr_format(PD_T_SVCB, g_out, (size_t)n, 0, g_text, sizeof(g_text));
		assert_true(t >= 0);
		assert_string_equal(g_text, cases[i].printed);
		memcpy(g_again, g_out, (size_t)n);
		int back = parse(PD_T_SVCB, cases[i].printed, NULL);
		assert_int_equal(back, n);
		assert_memory_equal(g_out, g_again, (size_t)n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical_examples),
		cmocka_unit_test(test_random_roundtrip),
		cmocka_unit_test(test_rrsig_times),
		cmocka_unit_test(test_other_styles),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_space),
		cmocka_unit_test(test_generic_known_types),
		cmocka_unit_test(test_any_order),
		cmocka_unit_test(test_formatter_gaps),
		cmocka_unit_test(test_alpn_escapes_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
