/* Unit tests for record: tuple keys (round trips, the root, the longest
 * names and rdata, reversed labels so a zone is one key prefix, malformed
 * keys) and record values (the observation merge rule overall and per site,
 * site order, grouping- and order-independence on random sequences, corrupt
 * values, decode round trips at the extremes of the figures, the size bound
 * and the cap on sites). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_obs.h"
#include "pd_varint.h"
#include "record.h"

/* splitmix64: fixed seeds keep every run the same. */
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

/* "www.example.com" -> "\3www\7example\3com\0"; "." or "" is the root. */
static size_t wire_name(const char *dotted, uint8_t *out)
{
	size_t w = 0;
	const char *p = dotted;
	while (*p && strcmp(p, ".") != 0) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		assert_true(l >= 1 && l <= 63);
		out[w++] = (uint8_t)l;
		memcpy(out + w, p, l);
		w += l;
		p += l;
		if (*p == '.')
			p++;
	}
	out[w++] = 0;
	assert_true(w <= 255);
	return w;
}

static struct pd_obs tuple(const uint8_t *name, size_t nlen, uint16_t type, const uint8_t *rd,
                           size_t rdlen, uint8_t flags)
{
	struct pd_obs o;
	memset(&o, 0, sizeof(o));
	o.name = name;
	o.name_len = nlen;
	o.type = type;
	o.rdata = rd;
	o.rdlen = rdlen;
	o.flags = flags;
	return o;
}

/* Parses key and checks it gives back exactly the tuple o. */
static void assert_parses_to(const uint8_t *key, size_t kl, const struct pd_obs *o)
{
	struct pd_obs p;
	uint8_t namebuf[255];
	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(rec_key_parse(key, kl, &p, namebuf), 0);
	assert_ptr_equal(p.name, namebuf);
	assert_int_equal(p.name_len, o->name_len);
	assert_memory_equal(p.name, o->name, o->name_len);
	assert_int_equal(p.type, o->type);
	assert_int_equal(p.flags, o->flags);
	assert_int_equal(p.rdlen, o->rdlen);
	if (o->rdlen) {
		/* rdata is a view into the key, after family, name and type. */
		assert_ptr_equal(p.rdata, key + 1 + o->name_len + 2);
		assert_memory_equal(p.rdata, o->rdata, o->rdlen);
	} else {
		assert_null(p.rdata);
	}
	assert_int_equal(p.count, 0);
}

/* Keys */

static void test_key_positive_round_trip(void **state)
{
	(void)state;
	uint8_t name[255], key[512];
	size_t nl = wire_name("www.example.com", name);
	const uint8_t rd[4] = { 192, 0, 2, 1 };
	struct pd_obs o = tuple(name, nl, 1, rd, sizeof(rd), 0);
	size_t kl = rec_key_tuple(key, &o);

	static const uint8_t want[] = { REC_RRSET, 3, 'c', 'o', 'm', 7, 'e', 'x', 'a', 'm', 'p',
	                                'l', 'e', 3, 'w', 'w', 'w', 0, 0x00, 0x01, 192, 0, 2, 1 };
	assert_int_equal(kl, sizeof(want));
	assert_memory_equal(key, want, sizeof(want));
	assert_parses_to(key, kl, &o);

	/* A big type and rdata with NULs and high bytes. */
	uint8_t rd2[300];
	for (size_t i = 0; i < sizeof(rd2); i++)
		rd2[i] = (uint8_t)(i * 7);
	o = tuple(name, nl, 0xfffe, rd2, sizeof(rd2), 0);
	kl = rec_key_tuple(key, &o);
	assert_int_equal(kl, 1 + nl + 2 + sizeof(rd2));
	assert_int_equal(key[1 + nl], 0xff);
	assert_int_equal(key[2 + nl], 0xfe);
	assert_parses_to(key, kl, &o);

	/* Empty rdata on a positive tuple is kept as such. */
	o = tuple(name, nl, 10, NULL, 0, 0);
	kl = rec_key_tuple(key, &o);
	assert_int_equal(kl, 1 + nl + 2);
	assert_int_equal(key[0], REC_RRSET);
	assert_parses_to(key, kl, &o);
}

static void test_key_nxdomain_round_trip(void **state)
{
	(void)state;
	uint8_t name[255], key[512];
	size_t nl = wire_name("nope.example.org", name);
	struct pd_obs o = tuple(name, nl, 28, NULL, 0, PD_OBS_NXDOMAIN);
	size_t kl = rec_key_tuple(key, &o);
	static const uint8_t want[] = { REC_NEG, 3, 'o', 'r', 'g', 7, 'e', 'x', 'a', 'm', 'p',
	                                'l', 'e', 4, 'n', 'o', 'p', 'e', 0, 0x00, 28 };
	assert_int_equal(kl, sizeof(want));
	assert_memory_equal(key, want, sizeof(want));
	assert_parses_to(key, kl, &o);

	/* The same name and type, positive, is another key. */
	uint8_t key2[512];
	struct pd_obs p = tuple(name, nl, 28, NULL, 0, 0);
	size_t kl2 = rec_key_tuple(key2, &p);
	assert_int_equal(kl2, kl);
	assert_int_equal(key2[0], REC_RRSET);
	assert_memory_equal(key2 + 1, key + 1, kl - 1);
}

static void test_key_root_name(void **state)
{
	(void)state;
	uint8_t name[1] = { 0 }, key[64];
	const uint8_t rd[] = { 1, 'a', 12, 'r', 'o', 'o', 't', '-', 's', 'e', 'r', 'v', 'e', 'r',
	                       's', 3, 'n', 'e', 't', 0 };
	assert_int_equal(wire_name(".", name), 1);
	struct pd_obs o = tuple(name, 1, 2, rd, sizeof(rd), 0);
	size_t kl = rec_key_tuple(key, &o);
	assert_int_equal(kl, 1 + 1 + 2 + sizeof(rd));
	assert_int_equal(key[0], REC_RRSET);
	assert_int_equal(key[1], 0);
	assert_int_equal(key[2], 0);
	assert_int_equal(key[3], 2);
	assert_parses_to(key, kl, &o);

	o = tuple(name, 1, 6, NULL, 0, PD_OBS_NXDOMAIN);
	kl = rec_key_tuple(key, &o);
	const uint8_t want[] = { REC_NEG, 0, 0, 6 };
	assert_int_equal(kl, 4);
	assert_memory_equal(key, want, 4);
	assert_parses_to(key, kl, &o);

	uint8_t out[1] = { 0xff };
	assert_int_equal(rec_name_reverse(name, 1, out), 1);
	assert_int_equal(out[0], 0);
}

static void test_key_long_names_and_rdata(void **state)
{
	(void)state;
	uint8_t name[255], rev[255];
	uint8_t *key = malloc(REC_KEY_MAX), *rd = malloc(65535);
	assert_non_null(key);
	assert_non_null(rd);

	/* Three 63-byte labels and one of 61: exactly 255 bytes. */
	size_t w = 0;
	for (int l = 0; l < 4; l++) {
		size_t ll = l < 3 ? 63 : 61;
		name[w++] = (uint8_t)ll;
		memset(name + w, 'a' + l, ll);
		w += ll;
	}
	name[w++] = 0;
	assert_int_equal(w, 255);
	for (size_t i = 0; i < 65535; i++)
		rd[i] = (uint8_t)(i ^ (i >> 8));
	struct pd_obs o = tuple(name, 255, 16, rd, 65535, 0);
	size_t kl = rec_key_tuple(key, &o);
	assert_int_equal(kl, REC_KEY_MAX);
	assert_int_equal(key[1], 61);
	assert_int_equal(key[2], 'd');
	assert_int_equal(key[1 + 62], 63);
	assert_int_equal(key[1 + 62 + 1], 'c');
	assert_parses_to(key, kl, &o);

	/* 127 one-byte labels: the most labels a name can have. */
	w = 0;
	for (int l = 0; l < 127; l++) {
		name[w++] = 1;
		name[w++] = (uint8_t)('0' + l % 75);
	}
	name[w++] = 0;
	assert_int_equal(w, 255);
	assert_int_equal(rec_name_reverse(name, 255, rev), 255);
	for (int l = 0; l < 127; l++) {
		assert_int_equal(rev[2 * l], 1);
		assert_int_equal(rev[2 * l + 1], name[2 * (126 - l) + 1]);
	}
	assert_int_equal(rev[254], 0);
	o = tuple(name, 255, 1, rd, 4, 0);
	kl = rec_key_tuple(key, &o);
	assert_int_equal(kl, 1 + 255 + 2 + 4);
	assert_parses_to(key, kl, &o);
	o = tuple(name, 255, 1, NULL, 0, PD_OBS_NXDOMAIN);
	kl = rec_key_tuple(key, &o);
	assert_parses_to(key, kl, &o);
	free(key);
	free(rd);
}

/* Reversal is an involution on random names, and keeps each label whole. */
static void test_name_reverse_involution(void **state)
{
	(void)state;
	uint64_t rs = 1;
	for (int iter = 0; iter < 5000; iter++) {
		uint8_t name[255], rev[255], back[255];
		size_t w = 0, nlabels = 0, starts[128], lens[128];
		for (;;) {
			size_t ll = 1 + (size_t)rng_below(&rs, 63);
			if (w + 1 + ll + 1 > 255 || rng_below(&rs, 6) == 0)
				break;
			starts[nlabels] = w;
			lens[nlabels++] = ll;
			name[w++] = (uint8_t)ll;
			for (size_t i = 0; i < ll; i++)
				name[w++] = (uint8_t)rng_next(&rs);
		}
		name[w++] = 0;
		assert_int_equal(rec_name_reverse(name, w, rev), w);
		/* Label i of rev is label nlabels-1-i of name. */
		size_t r = 0;
		for (size_t i = 0; i < nlabels; i++) {
			size_t j = nlabels - 1 - i;
			assert_int_equal(rev[r], lens[j]);
			assert_memory_equal(rev + r, name + starts[j], 1 + lens[j]);
			r += 1 + lens[j];
		}
		assert_int_equal(r, w - 1);
		assert_int_equal(rev[r], 0);
		assert_int_equal(rec_name_reverse(rev, w, back), w);
		assert_memory_equal(back, name, w);
	}
}

static size_t key_of(const char *dotted, uint8_t *key)
{
	uint8_t name[255];
	const uint8_t rd[4] = { 198, 51, 100, 7 };
	size_t nl = wire_name(dotted, name);
	struct pd_obs o = tuple(name, nl, 1, rd, sizeof(rd), 0);
	return rec_key_tuple(key, &o);
}

static int starts_with(const uint8_t *k, size_t kl, const uint8_t *p, size_t pl)
{
	return kl >= pl && memcmp(k, p, pl) == 0;
}

static int key_cmp(const void *a, const void *b)
{
	const uint8_t *const *x = a, *const *y = b;
	/* Keys here are under 64 bytes, zero-padded: bytewise order as LevelDB's. */
	return memcmp(*x, *y, 64);
}

/* All names under a zone share the zone's key prefix; look-alikes do not. */
static void test_key_zone_prefix(void **state)
{
	(void)state;
	uint8_t zone[512], www[512], glued[512], evil[512], deep[512];
	size_t zl = key_of("example.com", zone);
	size_t wl = key_of("www.example.com", www);
	size_t gl = key_of("wwwexample.com", glued);
	size_t el = key_of("example.com.evil", evil);
	size_t dl = key_of("a.b.c.www.example.com", deep);

	/* The zone's prefix: family and its reversed labels, without the root. */
	const uint8_t prefix[] = { REC_RRSET, 3, 'c', 'o', 'm', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e' };
	size_t pl = sizeof(prefix);
	assert_true(starts_with(zone, zl, prefix, pl));
	assert_int_equal(zone[pl], 0); /* the apex itself ends right there */
	assert_true(starts_with(www, wl, prefix, pl));
	assert_int_equal(www[pl], 3); /* then the next label, "www" */
	assert_true(starts_with(deep, dl, prefix, pl));
	assert_false(starts_with(glued, gl, prefix, pl));
	assert_false(starts_with(evil, el, prefix, pl));
	/* Nor does a zone's sibling whose name it is a string prefix of. */
	uint8_t longer[512];
	size_t ll = key_of("www.example.community", longer);
	assert_false(starts_with(longer, ll, prefix, pl));
	/* The other way round: the apex is not under "www.example.com". */
	const uint8_t wprefix[] = { REC_RRSET, 3, 'c', 'o', 'm', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
	                            3, 'w', 'w', 'w' };
	assert_true(starts_with(www, wl, wprefix, sizeof(wprefix)));
	assert_true(starts_with(deep, dl, wprefix, sizeof(wprefix)));
	assert_false(starts_with(zone, zl, wprefix, sizeof(wprefix)));

	/* In key order, the zone's names are one contiguous range. */
	const char *names[] = { "example.com", "www.example.com", "wwwexample.com",
	                        "example.com.evil", "a.b.c.www.example.com", "example.net",
	                        "mail.example.com", "com", "zzz.example.co", "aexample.com",
	                        "example.comm", "x.example.com" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	uint8_t keys[N][64];
	const uint8_t *order[N];
	for (size_t i = 0; i < N; i++) {
		memset(keys[i], 0, sizeof(keys[i]));
		assert_true(key_of(names[i], keys[i]) < 64);
		order[i] = keys[i];
	}
	qsort(order, N, sizeof(order[0]), key_cmp);
	int in = 0, runs = 0, members = 0;
	for (size_t i = 0; i < N; i++) {
		int m = starts_with(order[i], 64, prefix, pl);
		if (m && !in)
			runs++;
		members += m;
		in = m;
	}
	assert_int_equal(members, 5);
	assert_int_equal(runs, 1);
}

static void test_key_parse_malformed(void **state)
{
	(void)state;
	uint8_t key[600], nb[255];
	struct pd_obs o;
	size_t kl = key_of("www.example.com", key);
	assert_int_equal(rec_key_parse(key, kl, &o, nb), 0);

	/* Too short for family, root and type. */
	const uint8_t short3[] = { REC_RRSET, 0, 0 };
	assert_int_equal(rec_key_parse(short3, 3, &o, nb), PD_EMALF);
	assert_int_equal(rec_key_parse(short3, 0, &o, nb), PD_EMALF);
	/* Another family. */
	uint8_t k2[600];
	memcpy(k2, key, kl);
	k2[0] = REC_META;
	assert_int_equal(rec_key_parse(k2, kl, &o, nb), PD_EMALF);
	k2[0] = REC_STREAM;
	assert_int_equal(rec_key_parse(k2, kl, &o, nb), PD_EMALF);
	k2[0] = 0;
	assert_int_equal(rec_key_parse(k2, kl, &o, nb), PD_EMALF);
	/* A label longer than 63 (or a compression pointer). */
	memcpy(k2, key, kl);
	k2[1] = 64;
	assert_int_equal(rec_key_parse(k2, kl, &o, nb), PD_EMALF);
	k2[1] = 0xc0;
	assert_int_equal(rec_key_parse(k2, kl, &o, nb), PD_EMALF);
	/* A label running past the end, or no root label at all. */
	memcpy(k2, key, kl);
	k2[1] = 63;
	assert_int_equal(rec_key_parse(k2, kl, &o, nb), PD_EMALF);
	const uint8_t noroot[] = { REC_RRSET, 3, 'c', 'o', 'm' };
	assert_int_equal(rec_key_parse(noroot, sizeof(noroot), &o, nb), PD_EMALF);
	/* The type cut short: every length up to the name's end plus one. */
	size_t nl = 17; /* www.example.com */
	for (size_t l = 0; l < 1 + nl + 2; l++)
		assert_int_equal(rec_key_parse(key, l, &o, nb), PD_EMALF);
	assert_int_equal(rec_key_parse(key, 1 + nl + 2, &o, nb), 0);
	assert_int_equal(o.rdlen, 0);
	/* A negative key with rdata. */
	uint8_t neg[64], name[255];
	size_t n2 = wire_name("x.test", name);
	struct pd_obs t = tuple(name, n2, 1, NULL, 0, PD_OBS_NXDOMAIN);
	size_t negl = rec_key_tuple(neg, &t);
	assert_int_equal(rec_key_parse(neg, negl, &o, nb), 0);
	neg[negl] = 1;
	assert_int_equal(rec_key_parse(neg, negl + 1, &o, nb), PD_EMALF);
	/* A name of 257 bytes (valid labels, too long). */
	size_t w = 0;
	k2[w++] = REC_RRSET;
	for (int l = 0; l < 4; l++) {
		k2[w++] = 63;
		memset(k2 + w, 'q', 63);
		w += 63;
	}
	k2[w++] = 0;
	k2[w++] = 0;
	k2[w++] = 1;
	assert_int_equal(rec_key_parse(k2, w, &o, nb), PD_EMALF);
	/* 255 bytes is fine. */
	k2[1 + 3 * 64] = 61;
	memmove(k2 + 1 + 3 * 64 + 62, k2 + 1 + 4 * 64, 3);
	assert_int_equal(rec_key_parse(k2, 1 + 255 + 2, &o, nb), 0);
	assert_int_equal(o.name_len, 255);
}

/* Values */

struct fig {
	uint32_t site;
	uint64_t count;
	int64_t first_s, last_s;
};

/* Merges figs[0..n) one by one from an empty value; returns the length. */
static size_t merge_seq(const struct fig *figs, size_t n, uint8_t **val)
{
	uint8_t *cur = NULL;
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t cap = rec_val_bound(len);
		uint8_t *out = malloc(cap); /* exact size: ASan sees any overrun */
		assert_non_null(out);
		int rc = rec_val_merge(cur, len, figs[i].site, figs[i].count, figs[i].first_s,
		                       figs[i].last_s, out, cap);
		if (rc < 0)
			fail_msg("merge %zu: %s", i, pd_strerror(rc));
		assert_true((size_t)rc <= cap);
		free(cur);
		cur = out;
		len = (size_t)rc;
	}
	*val = cur;
	return len;
}

static struct rec_site site_buf[REC_SITES_MAX + 8];

static void decode_ok(const uint8_t *v, size_t len, struct rec_val *rv)
{
	memset(rv, 0, sizeof(*rv));
	int rc = rec_val_decode(v, len, rv, site_buf, REC_SITES_MAX);
	if (rc != 0)
		fail_msg("decode: %s", pd_strerror(rc));
	assert_ptr_equal(rv->sites, site_buf);
}

static void assert_site(const struct rec_site *s, uint32_t id, uint64_t count, int64_t first,
                        int64_t last)
{
	assert_int_equal(s->site, id);
	assert_int_equal(s->count, count);
	assert_int_equal(s->first_s, first);
	assert_int_equal(s->last_s, last);
}

static void test_val_new_tuple(void **state)
{
	(void)state;
	uint8_t a[128], b[128];
	int na = rec_val_merge(NULL, 0, 5, 3, 100, 200, a, sizeof(a));
	assert_true(na > 0);
	/* NULL and empty both mean a new tuple. */
	int nb = rec_val_merge(b, 0, 5, 3, 100, 200, b, sizeof(b));
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	assert_int_equal(na, 6);
	assert_int_equal(a[0], REC_VAL_ONE); /* one site: the short form */

	struct rec_val rv;
	decode_ok(a, (size_t)na, &rv);
	assert_int_equal(rv.count, 3);
	assert_int_equal(rv.first_s, 100);
	assert_int_equal(rv.last_s, 200);
	assert_int_equal(rv.nsites, 1);
	assert_site(&rv.sites[0], 5, 3, 100, 200);
	/* The documented layout: [2][count][first zigzag][last-first][site]. */
	assert_int_equal(a[1], 3);
	assert_int_equal(a[2], (200 & 0x7f) | 0x80);
	assert_int_equal(a[3], 200 >> 7);
	assert_int_equal(a[4], 100);
	assert_int_equal(a[5], 5);
}

/*
 * The one-site form: kept while one site observes the tuple, the full form
 * once a second does (each site's figures intact), and written by merges
 * into format 2's full form of one site. A full-form value whose one site
 * disagrees with its totals keeps the full form: nothing is lost.
 */
static void test_val_one_site_form(void **state)
{
	(void)state;
	uint8_t a[256], b[256], c[256];
	int na = rec_val_merge(NULL, 0, 5, 3, 100, 200, a, sizeof(a));
	int nb = rec_val_merge(a, (size_t)na, 5, 2, 90, 150, b, sizeof(b));
	assert_true(nb > 0);
	assert_int_equal(b[0], REC_VAL_ONE);
	struct rec_val rv;
	decode_ok(b, (size_t)nb, &rv);
	assert_int_equal(rv.count, 5);
	assert_int_equal(rv.nsites, 1);
	assert_site(&rv.sites[0], 5, 5, 90, 200);

	/* A second site: a full form (the site-delta one), the first site's
	 * figures unchanged. */
	int nc = rec_val_merge(b, (size_t)nb, 2, 1, 50, 300, c, sizeof(c));
	assert_true(nc > 0);
	assert_int_equal(c[0], REC_VAL_DELTA);
	decode_ok(c, (size_t)nc, &rv);
	assert_int_equal(rv.count, 6);
	assert_int_equal(rv.first_s, 50);
	assert_int_equal(rv.last_s, 300);
	assert_int_equal(rv.nsites, 2);
	assert_site(&rv.sites[0], 2, 1, 50, 300);
	assert_site(&rv.sites[1], 5, 5, 90, 200);
	/* Same figures merged the other way round: the same bytes. */
	int nx = rec_val_merge(NULL, 0, 2, 1, 50, 300, a, sizeof(a));
	nx = rec_val_merge(a, (size_t)nx, 5, 5, 90, 200, b, sizeof(b));
	assert_int_equal(nx, nc);
	assert_memory_equal(b, c, (size_t)nc);

	/* Format 2's full form with one site becomes the short form. */
	const uint8_t full1[] = { 1, 2, 20, 5, 1, 7, 2, 20, 5 };
	decode_ok(full1, sizeof(full1), &rv);
	assert_site(&rv.sites[0], 7, 2, 10, 15);
	nb = rec_val_merge(full1, sizeof(full1), 7, 1, 12, 12, b, sizeof(b));
	assert_true(nb > 0);
	assert_int_equal(b[0], REC_VAL_ONE);
	decode_ok(b, (size_t)nb, &rv);
	assert_int_equal(rv.count, 3);
	assert_site(&rv.sites[0], 7, 3, 10, 15);

	/* Totals that disagree with the one site stay in a full form. */
	const uint8_t odd[] = { 1, 5, 20, 5, 1, 7, 2, 20, 5 };
	nb = rec_val_merge(odd, sizeof(odd), 7, 1, 12, 12, b, sizeof(b));
	assert_true(nb > 0);
	assert_int_equal(b[0], REC_VAL_DELTA);
	decode_ok(b, (size_t)nb, &rv);
	assert_int_equal(rv.count, 6);
	assert_site(&rv.sites[0], 7, 3, 10, 15);

	/* The largest short form gaining the largest site fits the bound. */
	na = rec_val_merge(NULL, 0, UINT32_MAX - 1, UINT64_MAX / 2, INT64_MIN, INT64_MAX, a,
	                   sizeof(a));
	assert_true(na > 0 && a[0] == REC_VAL_ONE);
	size_t cap = rec_val_bound((size_t)na);
	assert_true(cap <= sizeof(c));
	assert_int_equal(rec_val_merge(a, (size_t)na, UINT32_MAX, UINT64_MAX / 2, INT64_MIN,
	                               INT64_MAX, c, cap - 1),
	                 PD_ESPACE);
	nc = rec_val_merge(a, (size_t)na, UINT32_MAX, UINT64_MAX / 2, INT64_MIN, INT64_MAX, c, cap);
	assert_true(nc > 0 && (size_t)nc <= cap);
	decode_ok(c, (size_t)nc, &rv);
	assert_int_equal(rv.nsites, 2);
	assert_site(&rv.sites[0], UINT32_MAX - 1, UINT64_MAX / 2, INT64_MIN, INT64_MAX);
	assert_site(&rv.sites[1], UINT32_MAX, UINT64_MAX / 2, INT64_MIN, INT64_MAX);

	/* Short forms that are corrupt: truncated, trailing bytes, a site id
	 * beyond 32 bits. */
	na = rec_val_merge(NULL, 0, 300, 3, 100, 200, a, sizeof(a));
	for (int l = 1; l < na; l++) {
		assert_int_equal(rec_val_decode(a, (size_t)l, &rv, site_buf, 4), PD_EMALF);
		assert_int_equal(rec_val_merge(a, (size_t)l, 1, 1, 1, 1, c, sizeof(c)), PD_EMALF);
	}
	a[na] = 0;
	assert_int_equal(rec_val_decode(a, (size_t)na + 1, &rv, site_buf, 4), PD_EMALF);
	assert_int_equal(rec_val_merge(a, (size_t)na + 1, 1, 1, 1, 1, c, sizeof(c)), PD_EMALF);
	const uint8_t wide[] = { 2, 1, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10 };
	assert_int_equal(rec_val_decode(wide, sizeof(wide), &rv, site_buf, 4), PD_EMALF);
	assert_int_equal(rec_val_merge(wide, sizeof(wide), 1, 1, 1, 1, c, sizeof(c)), PD_EMALF);
	/* No room for even one site. */
	na = rec_val_merge(NULL, 0, 3, 3, 100, 200, a, sizeof(a));
	assert_int_equal(rec_val_decode(a, (size_t)na, &rv, site_buf, 0), PD_EMALF);
}

/* count summed, first min, last max: overall and per site; sites sorted. */
static void test_val_merge_rule(void **state)
{
	(void)state;
	const struct fig f[] = {
		{ 7, 2, 1000, 1500 },  { 3, 1, 1200, 1200 }, { 7, 5, 900, 1100 },
		{ 70000, 4, -50, 10 }, { 0, 1, 1300, 1400 }, { 3, 10, 1100, 2000 },
		{ UINT32_MAX, 1, 5, 6 }, { 7, 1, 1000, 1600 },
	};
	uint8_t *v;
	size_t len = merge_seq(f, sizeof(f) / sizeof(f[0]), &v);
	struct rec_val rv;
	decode_ok(v, len, &rv);
	assert_int_equal(rv.count, 2 + 1 + 5 + 4 + 1 + 10 + 1 + 1);
	assert_int_equal(rv.first_s, -50);
	assert_int_equal(rv.last_s, 2000);
	assert_int_equal(rv.nsites, 5);
	assert_site(&rv.sites[0], 0, 1, 1300, 1400);
	assert_site(&rv.sites[1], 3, 11, 1100, 2000);
	assert_site(&rv.sites[2], 7, 8, 900, 1600);
	assert_site(&rv.sites[3], 70000, 4, -50, 10);
	assert_site(&rv.sites[4], UINT32_MAX, 1, 5, 6);

	/* Figures inside the stored range change only the count. */
	uint8_t out[512];
	int n = rec_val_merge(v, len, 7, 1, 950, 1000, out, sizeof(out));
	assert_true(n > 0);
	decode_ok(out, (size_t)n, &rv);
	assert_int_equal(rv.count, 26);
	assert_int_equal(rv.first_s, -50);
	assert_int_equal(rv.last_s, 2000);
	assert_site(&rv.sites[2], 7, 9, 900, 1600);
	assert_site(&rv.sites[1], 3, 11, 1100, 2000);
	free(v);
}

/* Sites end up in ascending order whatever order they first appear in. */
static void test_val_sites_ascending(void **state)
{
	(void)state;
	uint64_t rs = 99;
	for (int iter = 0; iter < 200; iter++) {
		struct fig f[40];
		size_t n = 1 + (size_t)rng_below(&rs, 40);
		for (size_t i = 0; i < n; i++) {
			f[i].site = (uint32_t)rng_below(&rs, iter % 2 ? 8 : 1u << 31);
			f[i].count = 1;
			f[i].first_s = f[i].last_s = 1;
		}
		uint8_t *v;
		size_t len = merge_seq(f, n, &v);
		struct rec_val rv;
		decode_ok(v, len, &rv);
		for (size_t i = 1; i < rv.nsites; i++)
			assert_true(rv.sites[i - 1].site < rv.sites[i].site);
		/* Every site merged is there. */
		uint64_t total = 0;
		for (size_t i = 0; i < n; i++) {
			int found = 0;
			for (size_t j = 0; j < rv.nsites; j++)
				found |= rv.sites[j].site == f[i].site;
			assert_true(found);
		}
		for (size_t j = 0; j < rv.nsites; j++)
			total += rv.sites[j].count;
		assert_int_equal(total, n);
		assert_int_equal(rv.count, n);
		free(v);
	}
}

static void fig_combine(struct fig *dst, const struct fig *src)
{
	struct pd_obs a, b;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.count = dst->count, a.first_s = dst->first_s, a.last_s = dst->last_s;
	b.count = src->count, b.first_s = src->first_s, b.last_s = src->last_s;
	pd_obs_merge(&a, &b);
	dst->count = a.count, dst->first_s = a.first_s, dst->last_s = a.last_s;
}

static void random_fig(uint64_t *rs, struct fig *f)
{
	static const int64_t bases[] = { 0, 1700000000, -1000, INT64_MIN / 4, INT64_MAX / 4 };
	int64_t base = bases[rng_below(rs, 5)];
	f->site = (uint32_t)rng_below(rs, 6) * 1000u;
	f->count = 1 + rng_below(rs, rng_below(rs, 2) ? 3 : 1u << 20);
	f->first_s = base + (int64_t)rng_below(rs, 1u << 20);
	f->last_s = f->first_s + (int64_t)rng_below(rs, 1u << 16);
}

/*
 * The same figures applied in another order, or combined into groups first
 * (as the sensor's fold and batching do), give byte-identical values.
 */
static void test_val_order_and_grouping_property(void **state)
{
	(void)state;
	uint64_t rs = 0x5eed;
	for (int iter = 0; iter < 1500; iter++) {
		struct fig f[48], g[48], grouped[48];
		size_t n = 1 + (size_t)rng_below(&rs, 48);
		for (size_t i = 0; i < n; i++)
			random_fig(&rs, &f[i]);
		uint8_t *va, *vb, *vc;
		size_t la = merge_seq(f, n, &va);

		/* A random permutation. */
		memcpy(g, f, n * sizeof(f[0]));
		for (size_t i = n - 1; i > 0; i--) {
			size_t j = (size_t)rng_below(&rs, i + 1);
			struct fig t = g[i];
			g[i] = g[j];
			g[j] = t;
		}
		size_t lb = merge_seq(g, n, &vb);

		/* Random runs of the permuted order, each folded per site first. */
		size_t ng = 0;
		for (size_t i = 0; i < n;) {
			size_t run = 1 + (size_t)rng_below(&rs, 6);
			size_t start = ng;
			for (size_t j = i; j < i + run && j < n; j++) {
				size_t k;
				for (k = start; k < ng && grouped[k].site != g[j].site; k++)
					;
				if (k < ng)
					fig_combine(&grouped[k], &g[j]);
				else
					grouped[ng++] = g[j];
			}
			i += run;
		}
		size_t lc = merge_seq(grouped, ng, &vc);

		assert_int_equal(la, lb);
		assert_memory_equal(va, vb, la);
		assert_int_equal(la, lc);
		assert_memory_equal(va, vc, la);

		/* And the value holds what the rule says. */
		struct rec_val rv;
		decode_ok(va, la, &rv);
		struct fig all = f[0];
		for (size_t i = 1; i < n; i++)
			fig_combine(&all, &f[i]);
		assert_int_equal(rv.count, all.count);
		assert_int_equal(rv.first_s, all.first_s);
		assert_int_equal(rv.last_s, all.last_s);
		for (size_t s = 0; s < rv.nsites; s++) {
			struct fig per = { 0, 0, INT64_MAX, INT64_MIN };
			for (size_t i = 0; i < n; i++)
				if (f[i].site == rv.sites[s].site)
					fig_combine(&per, &f[i]);
			assert_int_equal(rv.sites[s].count, per.count);
			assert_int_equal(rv.sites[s].first_s, per.first_s);
			assert_int_equal(rv.sites[s].last_s, per.last_s);
		}
		free(va);
		free(vb);
		free(vc);
	}
}

/* Two merges of two values agree (the writer may merge into either copy). */
static void test_val_merge_into_grouped_values(void **state)
{
	(void)state;
	/* Merging a site's figures as one call equals merging them one by one
	 * into an existing multi-site value. */
	const struct fig base[] = { { 1, 4, 10, 20 }, { 9, 2, 5, 50 } };
	const struct fig more[] = { { 4, 1, 30, 31 }, { 4, 2, 25, 29 }, { 4, 1, 32, 40 } };
	struct fig seq[5];
	memcpy(seq, base, sizeof(base));
	memcpy(seq + 2, more, sizeof(more));
	uint8_t *one, *two;
	size_t l1 = merge_seq(seq, 5, &one);
	struct fig folded[3];
	memcpy(folded, base, sizeof(base));
	folded[2] = more[0];
	fig_combine(&folded[2], &more[1]);
	fig_combine(&folded[2], &more[2]);
	size_t l2 = merge_seq(folded, 3, &two);
	assert_int_equal(l1, l2);
	assert_memory_equal(one, two, l1);
	struct rec_val rv;
	decode_ok(one, l1, &rv);
	assert_int_equal(rv.nsites, 3);
	assert_site(&rv.sites[1], 4, 4, 25, 40);
	free(one);
	free(two);
}

static size_t sample_value(uint8_t **v)
{
	const struct fig f[] = { { 2, 300, 1700000000, 1700086400 },
		                 { 1, 1, -5, 5 },
		                 { 200000, 1ull << 40, 0, 1ull << 33 } };
	return merge_seq(f, 3, v);
}

static void test_val_corrupt_rejected(void **state)
{
	(void)state;
	uint8_t *v;
	size_t len = sample_value(&v);
	uint8_t *buf = malloc(len + 64), *out = malloc(rec_val_bound(len + 64));
	assert_non_null(buf);
	assert_non_null(out);
	size_t cap = rec_val_bound(len + 64);
	struct rec_val rv;

	/* Truncated at every length. */
	for (size_t l = 1; l < len; l++) {
		memcpy(buf, v, l);
		assert_int_equal(rec_val_merge(buf, l, 2, 1, 1, 1, out, cap), PD_EMALF);
		assert_int_equal(rec_val_decode(buf, l, &rv, site_buf, REC_SITES_MAX), PD_EMALF);
	}
	assert_int_equal(rec_val_decode(v, 0, &rv, site_buf, REC_SITES_MAX), PD_EMALF);

	/* Another version byte. */
	const uint8_t versions[] = { 0, 4, 0x81, 0xff };
	for (size_t i = 0; i < sizeof(versions); i++) {
		memcpy(buf, v, len);
		buf[0] = versions[i];
		assert_int_equal(rec_val_merge(buf, len, 2, 1, 1, 1, out, cap), PD_EMALF);
		assert_int_equal(rec_val_decode(buf, len, &rv, site_buf, REC_SITES_MAX), PD_EMALF);
	}

	/* Trailing bytes, whatever they are. */
	for (size_t extra = 1; extra <= 12; extra++) {
		memcpy(buf, v, len);
		memset(buf + len, extra == 1 ? 0 : 0x01, extra);
		assert_int_equal(rec_val_merge(buf, len + extra, 2, 1, 1, 1, out, cap), PD_EMALF);
		assert_int_equal(rec_val_decode(buf, len + extra, &rv, site_buf, REC_SITES_MAX),
		                 PD_EMALF);
	}

	/* An over-long varint (11 bytes) in the count, and in a site id. */
	size_t w = 0;
	buf[w++] = 1;
	for (int i = 0; i < 10; i++)
		buf[w++] = 0x80;
	buf[w++] = 0x01;
	buf[w++] = 2, buf[w++] = 0, buf[w++] = 0; /* first, last-first, nsites */
	assert_int_equal(rec_val_merge(buf, w, 2, 1, 1, 1, out, cap), PD_EMALF);
	assert_int_equal(rec_val_decode(buf, w, &rv, site_buf, REC_SITES_MAX), PD_EMALF);
	w = 0;
	buf[w++] = 1, buf[w++] = 1, buf[w++] = 2, buf[w++] = 0, buf[w++] = 1;
	for (int i = 0; i < 10; i++)
		buf[w++] = 0xff;
	buf[w++] = 0x00;
	buf[w++] = 1, buf[w++] = 2, buf[w++] = 0;
	assert_int_equal(rec_val_merge(buf, w, 2, 1, 1, 1, out, cap), PD_EMALF);
	assert_int_equal(rec_val_decode(buf, w, &rv, site_buf, REC_SITES_MAX), PD_EMALF);

	/* The same value with a well-formed one-byte site id is accepted: the
	 * rejections above are the varints'. */
	w = 0;
	buf[w++] = 1, buf[w++] = 1, buf[w++] = 2, buf[w++] = 0, buf[w++] = 1;
	buf[w++] = 9, buf[w++] = 1, buf[w++] = 2, buf[w++] = 0;
	assert_int_equal(rec_val_decode(buf, w, &rv, site_buf, REC_SITES_MAX), 0);
	assert_site(&rv.sites[0], 9, 1, 1, 1);
	assert_true(rec_val_merge(buf, w, 2, 1, 1, 1, out, cap) > 0);

	/* A site id beyond 32 bits. */
	w = 0;
	buf[w++] = 1, buf[w++] = 1, buf[w++] = 2, buf[w++] = 0, buf[w++] = 1;
	w += pd_put_var(buf + w, (uint64_t)UINT32_MAX + 1);
	buf[w++] = 1, buf[w++] = 2, buf[w++] = 0;
	assert_int_equal(rec_val_decode(buf, w, &rv, site_buf, REC_SITES_MAX), PD_EMALF);

	/* More sites than allowed. */
	w = 0;
	buf[w++] = 1, buf[w++] = 1, buf[w++] = 2, buf[w++] = 0;
	w += pd_put_var(buf + w, REC_SITES_MAX + 1);
	assert_int_equal(rec_val_merge(buf, w, 2, 1, 1, 1, out, cap), PD_EMALF);
	assert_int_equal(rec_val_decode(buf, w, &rv, site_buf, REC_SITES_MAX), PD_EMALF);
	/* ... or than the caller has room for. */
	assert_int_equal(rec_val_decode(v, len, &rv, site_buf, 2), PD_EMALF);
	assert_int_equal(rec_val_decode(v, len, &rv, site_buf, 3), 0);

	/* last = first + delta beyond INT64_MAX: no such figures exist. */
	w = 0;
	buf[w++] = 1, buf[w++] = 1;
	w += pd_put_var(buf + w, pd_zigzag(INT64_MAX - 10));
	w += pd_put_var(buf + w, 11);
	buf[w++] = 0;
	assert_int_equal(rec_val_decode(buf, w, &rv, site_buf, REC_SITES_MAX), PD_EMALF);
	assert_int_equal(rec_val_merge(buf, w, 2, 1, 1, 1, out, cap), PD_EMALF);
	w = 0;
	buf[w++] = 1, buf[w++] = 1;
	w += pd_put_var(buf + w, pd_zigzag(INT64_MIN));
	w += pd_put_var(buf + w, UINT64_MAX);
	buf[w++] = 0;
	assert_int_equal(rec_val_decode(buf, w, &rv, site_buf, REC_SITES_MAX), 0);
	assert_int_equal(rv.first_s, INT64_MIN);
	assert_int_equal(rv.last_s, INT64_MAX);

	/* The original still decodes: nothing above touched it. */
	decode_ok(v, len, &rv);
	assert_int_equal(rv.nsites, 3);
	free(v);
	free(buf);
	free(out);
}

/*
 * The site-delta form (store format 4): written for several sites when no
 * site's entry grows that way, with the documented layout; the full form
 * of format 3 reads and merges into it; a value whose site was first seen
 * before the tuple (corrupt), or whose deltas would be longer than the
 * times, keeps the full form; figures beyond int64 are refused.
 */
static void test_val_delta_form(void **state)
{
	(void)state;
	uint8_t a[256], b[256];
	struct rec_val rv;
	int na = rec_val_merge(NULL, 0, 3, 2, 1700000000, 1700000100, a, sizeof(a));
	na = rec_val_merge(a, (size_t)na, 9, 1, 1700000050, 1700000060, b, sizeof(b));
	assert_true(na > 0);
	/* [3][count 3][first zigzag][last-first 100][nsites 2]
	 * [3][2][0][100] [9][1][50][10] */
	uint8_t want[32];
	size_t w = 0;
	want[w++] = REC_VAL_DELTA;
	want[w++] = 3;
	w += pd_put_var(want + w, pd_zigzag(1700000000));
	want[w++] = 100;
	want[w++] = 2;
	want[w++] = 3, want[w++] = 2, want[w++] = 0, want[w++] = 100;
	want[w++] = 9, want[w++] = 1, want[w++] = 50, want[w++] = 10;
	assert_int_equal(na, w);
	assert_memory_equal(b, want, w);
	decode_ok(b, (size_t)na, &rv);
	assert_int_equal(rv.count, 3);
	assert_int_equal(rv.nsites, 2);
	assert_site(&rv.sites[0], 3, 2, 1700000000, 1700000100);
	assert_site(&rv.sites[1], 9, 1, 1700000050, 1700000060);

	/* Format 3's full form of the same figures: 10 bytes longer (the site
	 * count's fixed three bytes, and each site's first time in full), the
	 * same figures, and merged it becomes the site-delta form. */
	uint8_t full[40];
	w = 0;
	full[w++] = REC_VAL_SITES;
	full[w++] = 3;
	w += pd_put_var(full + w, pd_zigzag(1700000000));
	full[w++] = 100;
	full[w++] = 0x82, full[w++] = 0x80, full[w++] = 0x00;
	full[w++] = 3, full[w++] = 2;
	w += pd_put_var(full + w, pd_zigzag(1700000000));
	full[w++] = 100;
	full[w++] = 9, full[w++] = 1;
	w += pd_put_var(full + w, pd_zigzag(1700000050));
	full[w++] = 10;
	assert_int_equal(w, (size_t)na + 10);
	decode_ok(full, w, &rv);
	assert_site(&rv.sites[1], 9, 1, 1700000050, 1700000060);
	int nb = rec_val_merge(full, w, 9, 1, 1700000200, 1700000200, a, sizeof(a));
	assert_true(nb > 0);
	assert_int_equal(a[0], REC_VAL_DELTA);
	decode_ok(a, (size_t)nb, &rv);
	assert_int_equal(rv.count, 4);
	assert_int_equal(rv.last_s, 1700000200);
	assert_site(&rv.sites[1], 9, 2, 1700000050, 1700000200);

	/* A site first seen before its tuple: corrupt, but kept as it is. */
	const uint8_t early[] = { REC_VAL_SITES, 2, 20, 0, 0x82, 0x80, 0x00,
		                  1, 1, 18, 1, 2, 1, 20, 0 };
	decode_ok(early, sizeof(early), &rv);
	assert_site(&rv.sites[0], 1, 1, 9, 10);
	nb = rec_val_merge(early, sizeof(early), 2, 1, 10, 10, a, sizeof(a));
	assert_true(nb > 0);
	assert_int_equal(a[0], REC_VAL_SITES);
	decode_ok(a, (size_t)nb, &rv);
	assert_site(&rv.sites[0], 1, 1, 9, 10);
	assert_site(&rv.sites[1], 2, 2, 10, 10);

	/* Sites near zero, and one at INT64_MIN: their deltas would take ten
	 * bytes where their times take one; the full form stays. */
	na = rec_val_merge(NULL, 0, 1, 1, 5, 5, a, sizeof(a));
	na = rec_val_merge(a, (size_t)na, 2, 1, 6, 6, b, sizeof(b));
	assert_int_equal(b[0], REC_VAL_DELTA);
	nb = rec_val_merge(b, (size_t)na, 3, 1, INT64_MIN, 7, a, sizeof(a));
	assert_true(nb > 0);
	assert_int_equal(a[0], REC_VAL_SITES);
	decode_ok(a, (size_t)nb, &rv);
	assert_int_equal(rv.first_s, INT64_MIN);
	assert_site(&rv.sites[0], 1, 1, 5, 5);
	assert_site(&rv.sites[2], 3, 1, INT64_MIN, 7);

	/* A site's first (tuple's first + delta) or last beyond INT64_MAX. */
	w = 0;
	b[w++] = REC_VAL_DELTA, b[w++] = 1;
	w += pd_put_var(b + w, pd_zigzag(INT64_MAX - 10));
	b[w++] = 0, b[w++] = 1, b[w++] = 4, b[w++] = 1, b[w++] = 11, b[w++] = 0;
	assert_int_equal(rec_val_decode(b, w, &rv, site_buf, 4), PD_EMALF);
	assert_int_equal(rec_val_merge(b, w, 2, 1, 1, 1, a, sizeof(a)), PD_EMALF);
	b[w - 2] = 10; /* first = INT64_MAX: fine */
	assert_int_equal(rec_val_decode(b, w, &rv, site_buf, 4), 0);
	assert_site(&rv.sites[0], 4, 1, INT64_MAX, INT64_MAX);
	b[w - 1] = 1; /* last one past it */
	assert_int_equal(rec_val_decode(b, w, &rv, site_buf, 4), PD_EMALF);
	/* From INT64_MIN, a delta of UINT64_MAX reaches INT64_MAX exactly. */
	w = 0;
	b[w++] = REC_VAL_DELTA, b[w++] = 1;
	w += pd_put_var(b + w, pd_zigzag(INT64_MIN));
	w += pd_put_var(b + w, UINT64_MAX);
	b[w++] = 1, b[w++] = 4, b[w++] = 1;
	w += pd_put_var(b + w, UINT64_MAX);
	b[w++] = 0;
	decode_ok(b, w, &rv);
	assert_site(&rv.sites[0], 4, 1, INT64_MAX, INT64_MAX);
}

/* Decode gives back the figures merged, at the extremes of their ranges. */
static void test_val_decode_round_trip(void **state)
{
	(void)state;
	const struct fig f[] = {
		{ 0, 1, INT64_MIN, INT64_MAX },
		{ UINT32_MAX, UINT64_MAX / 4, -1, 0 },
		{ 12345, 1, INT64_MAX, INT64_MAX },
		{ 1, 1ull << 62, INT64_MIN, INT64_MIN },
		{ 77, 9, -1700000000, 1700000000 },
	};
	for (size_t n = 1; n <= 5; n++) {
		uint8_t *v;
		size_t len = merge_seq(f, n, &v);
		struct rec_val rv;
		decode_ok(v, len, &rv);
		assert_int_equal(rv.nsites, n);
		uint64_t total = 0;
		for (size_t i = 0; i < n; i++)
			total += f[i].count;
		assert_int_equal(rv.count, total);
		assert_int_equal(rv.first_s, INT64_MIN);
		assert_int_equal(rv.last_s, INT64_MAX);
		/* Sorted by site id: 0, 1, 77, 12345, UINT32_MAX (those present). */
		for (size_t s = 0; s < rv.nsites; s++) {
			size_t i;
			for (i = 0; i < n && f[i].site != rv.sites[s].site; i++)
				;
			assert_true(i < n);
			assert_site(&rv.sites[s], f[i].site, f[i].count, f[i].first_s, f[i].last_s);
		}
		/* Decoding into exactly nsites of storage is enough. */
		assert_int_equal(rec_val_decode(v, len, &rv, site_buf, n), 0);
		if (n > 1)
			assert_int_equal(rec_val_decode(v, len, &rv, site_buf, n - 1), PD_EMALF);
		free(v);
	}
}

/* The output never exceeds rec_val_bound(oldlen); a smaller cap is refused. */
static void test_val_bound(void **state)
{
	(void)state;
	uint64_t rs = 4242;
	uint8_t *cur = NULL;
	size_t len = 0;
	/* Small figures first, then the largest possible ones: the biggest growth. */
	for (int i = 0; i < 400; i++) {
		uint32_t site;
		uint64_t count;
		int64_t first, last;
		if (i < 200) {
			site = (uint32_t)rng_below(&rs, 100);
			count = 1;
			first = last = (int64_t)rng_below(&rs, 50);
		} else {
			site = i % 2 ? UINT32_MAX - (uint32_t)rng_below(&rs, 100)
			             : (uint32_t)rng_below(&rs, 100);
			count = UINT64_MAX / 1024;
			first = INT64_MIN + (int64_t)rng_below(&rs, 3);
			last = INT64_MAX - (int64_t)rng_below(&rs, 3);
		}
		size_t cap = rec_val_bound(len);
		assert_true(cap > len);
		uint8_t *small = malloc(cap - 1), *out = malloc(cap);
		assert_non_null(small);
		assert_non_null(out);
		assert_int_equal(rec_val_merge(cur, len, site, count, first, last, small, cap - 1),
		                 PD_ESPACE);
		int rc = rec_val_merge(cur, len, site, count, first, last, out, cap);
		assert_true(rc > 0);
		assert_true((size_t)rc <= cap);
		free(small);
		free(cur);
		cur = out;
		len = (size_t)rc;
	}
	/* The worst single step: a minimal value gaining the largest site. */
	uint8_t minimal[] = { 1, 1, 0, 0, 1, 0, 1, 0, 0 };
	struct rec_val rv;
	assert_int_equal(rec_val_decode(minimal, sizeof(minimal), &rv, site_buf, 4), 0);
	size_t cap = rec_val_bound(sizeof(minimal));
	uint8_t *out = malloc(cap);
	assert_non_null(out);
	int rc = rec_val_merge(minimal, sizeof(minimal), UINT32_MAX, UINT64_MAX - 1, INT64_MIN,
	                       INT64_MAX, out, cap);
	assert_true(rc > 0 && (size_t)rc <= cap);
	decode_ok(out, (size_t)rc, &rv);
	assert_int_equal(rv.count, UINT64_MAX);
	assert_int_equal(rv.nsites, 2);
	assert_site(&rv.sites[1], UINT32_MAX, UINT64_MAX - 1, INT64_MIN, INT64_MAX);
	free(out);
	free(cur);

	/* The worst for a site-delta value: 100 sites of four bytes each
	 * (times near INT64_MAX, one byte as deltas, ten in the full form it
	 * is merged through) gaining a site at INT64_MIN. */
	cur = NULL;
	len = 0;
	for (uint32_t s = 0; s < 100; s++) {
		cap = rec_val_bound(len);
		out = malloc(cap);
		assert_non_null(out);
		rc = rec_val_merge(cur, len, s, 1, INT64_MAX - 5, INT64_MAX - 5, out, cap);
		assert_true(rc > 0 && (size_t)rc <= cap);
		free(cur);
		cur = out;
		len = (size_t)rc;
	}
	assert_int_equal(cur[0], REC_VAL_DELTA);
	assert_true(len < 20 + 100 * 4);
	cap = rec_val_bound(len);
	out = malloc(cap); /* exact size: ASan sees any overrun */
	assert_non_null(out);
	rc = rec_val_merge(cur, len, 1000, 1, INT64_MIN, INT64_MIN, out, cap);
	assert_true(rc > 0 && (size_t)rc <= cap);
	decode_ok(out, (size_t)rc, &rv);
	assert_int_equal(rv.nsites, 101);
	assert_site(&rv.sites[99], 99, 1, INT64_MAX - 5, INT64_MAX - 5);
	assert_site(&rv.sites[100], 1000, 1, INT64_MIN, INT64_MIN);
	free(out);
	free(cur);
}

/*
 * A value holds at most REC_SITES_MAX sites: merge and decode reject more
 * as corrupt, so merge must not write more (it would make the tuple
 * unmergeable and unexportable from then on).
 */
static void test_val_sites_cap(void **state)
{
	(void)state;
	size_t cap = rec_val_bound(REC_VAL_FIXED + (size_t)REC_SITES_MAX * REC_VAL_PER_SITE);
	uint8_t *a = malloc(cap), *b = malloc(cap);
	assert_non_null(a);
	assert_non_null(b);
	size_t len = 0;
	for (uint32_t s = 0; s < REC_SITES_MAX; s++) {
		/* From the top down: each new site goes first, the costly case. */
		int rc = rec_val_merge(a, len, 3 * (REC_SITES_MAX - s), 1, 10, 20, b, cap);
		assert_true(rc > 0);
		len = (size_t)rc;
		uint8_t *t = a;
		a = b;
		b = t;
	}
	struct rec_val rv;
	decode_ok(a, len, &rv);
	assert_int_equal(rv.nsites, REC_SITES_MAX);
	assert_int_equal(rv.count, REC_SITES_MAX);

	/* One more site is refused, in front, between and after the others... */
	const uint32_t extra[] = { 1, 3 * 100 + 1, 3 * REC_SITES_MAX + 1 };
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(rec_val_merge(a, len, extra[i], 1, 10, 20, b, cap), PD_ELIMIT);
	/* ... but a site it holds still merges. */
	int rc = rec_val_merge(a, len, 300, 5, 1, 99, b, cap);
	assert_true(rc > 0);
	decode_ok(b, (size_t)rc, &rv);
	assert_int_equal(rv.nsites, REC_SITES_MAX);
	assert_int_equal(rv.count, REC_SITES_MAX + 5);
	assert_int_equal(rv.first_s, 1);
	assert_int_equal(rv.last_s, 99);
	assert_site(&rv.sites[99], 300, 6, 1, 99);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_positive_round_trip),
		cmocka_unit_test(test_key_nxdomain_round_trip),
		cmocka_unit_test(test_key_root_name),
		cmocka_unit_test(test_key_long_names_and_rdata),
		cmocka_unit_test(test_name_reverse_involution),
		cmocka_unit_test(test_key_zone_prefix),
		cmocka_unit_test(test_key_parse_malformed),
		cmocka_unit_test(test_val_new_tuple),
		cmocka_unit_test(test_val_one_site_form),
		cmocka_unit_test(test_val_merge_rule),
		cmocka_unit_test(test_val_sites_ascending),
		cmocka_unit_test(test_val_order_and_grouping_property),
		cmocka_unit_test(test_val_merge_into_grouped_values),
		cmocka_unit_test(test_val_corrupt_rejected),
		cmocka_unit_test(test_val_delta_form),
		cmocka_unit_test(test_val_decode_round_trip),
		cmocka_unit_test(test_val_bound),
		cmocka_unit_test(test_val_sites_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
