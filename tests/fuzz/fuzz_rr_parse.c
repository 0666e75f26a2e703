/*
 * Fuzz target: pd_rr_parse. The first two bytes are the type (big-endian),
 * the rest is presentation text. Text that parses must be canonical rdata
 * (pd_rr_canon leaves it unchanged), must fail with PD_ESPACE in a buffer
 * one byte short, and must print (both name styles) to text that parses
 * back to the same bytes. Any disagreement aborts, except for the
 * formatter's known gaps below, which test_pd_rr_parse pins: rdata that
 * prints like other rdata (GAP_LOSSY: the text must still parse to rdata
 * that prints the same).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_rr.h"
#include "pd_rr_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { GAP_NONE, GAP_LOSSY };

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Length of the canonical name at r[0..n) (it was validated). */
static size_t name_len(const uint8_t *r, size_t n)
{
	size_t i = 0;
	while (i < n && r[i])
		i += 1u + r[i];
	return i + 1;
}

/* Bitmap windows with a zero last octet print like the minimal bitmap. */
static int bitmap_gap(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 2 <= n; i += 2u + p[i + 1])
		if (i + 2u + p[i + 1] <= n && p[i + 1 + p[i + 1]] == 0)
			return GAP_LOSSY;
	return GAP_NONE;
}

/* The alias form's params are not printed. */
static int svc_gap(const uint8_t *r, size_t n)
{
	size_t i = 2 + name_len(r + 2, n - 2);
	if (r[0] == 0 && r[1] == 0)
		return i < n ? GAP_LOSSY : GAP_NONE;
	return GAP_NONE;
}

static int known_gap(uint16_t type, const uint8_t *r, size_t n)
{
	switch (type) {
	case PD_T_SVCB: case PD_T_HTTPS:
		return svc_gap(r, n);
	case PD_T_NSEC: {
		size_t nl = name_len(r, n);
		return bitmap_gap(r + nl, n - nl);
	}
	case PD_T_NSEC3: {
		size_t i = 4 + 1 + r[4];
		i += 1u + r[i];
		return bitmap_gap(r + i, n - i);
	}
	default:
		return GAP_NONE;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[PD_RR_CANON_MAX], again[PD_RR_CANON_MAX];
	static char text[PD_RR_CANON_MAX * 90 + 64], text2[PD_RR_CANON_MAX * 90 + 64];
	struct pd_rr_perr err;

	if (size < 2)
		return 0;
	uint16_t type = (uint16_t)(data[0] << 8 | data[1]);
	const char *in = (const char *)data + 2;
	size_t len = size - 2;
	int n = pd_rr_parse_err(type, in, len, out, sizeof(out), &err);
	check(n >= 0 || (n == PD_EMALF && err.off <= len && err.why[0]));
	if (n < 0)
		return 0;
	size_t rn = (size_t)n;
	check(pd_rr_canon(type, out, rn, 0, rn, again, sizeof(again)) == n);
	check(rn == 0 || memcmp(again, out, rn) == 0);
	if (rn > 0)
		check(pd_rr_parse(type, in, len, again, rn - 1) == PD_ESPACE);
	for (unsigned flags = 0; flags <= PD_RR_FQDN; flags += PD_RR_FQDN) {
		int t = pd_rr_format(type, out, rn, flags, text, sizeof(text));
		check(t >= 0);
		int m = pd_rr_parse_err(type, text, (size_t)t, again, sizeof(again), &err);
		if (m == n && (rn == 0 || memcmp(again, out, rn) == 0))
			continue;
		int gap = known_gap(type, out, rn);
		check(gap == GAP_LOSSY);
		check(m >= 0);
		int t2 = pd_rr_format(type, again, (size_t)m, flags, text2, sizeof(text2));
		check(t2 == t && memcmp(text, text2, (size_t)t) == 0);
	}
	return 0;
}
