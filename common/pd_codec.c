#include "pd_codec.h"

#include <limits.h>

#include "pd_err.h"

static const char pd_hex_digits[] = "0123456789ABCDEF";
static const char pd_b64_digits[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char pd_b32hex_digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

/* Checks that an output of want characters fits both cap and an int. */
static int pd_codec_room(size_t n, size_t want, size_t cap)
{
	if (n > (size_t)INT_MAX / 2 || want > (size_t)INT_MAX)
		return PD_ELIMIT;
	return want > cap ? PD_ESPACE : 0;
}

int pd_hex_encode(const uint8_t *src, size_t n, char *dst, size_t cap)
{
	int rc = pd_codec_room(n, pd_hex_len(n), cap);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		dst[2 * i] = pd_hex_digits[src[i] >> 4];
		dst[2 * i + 1] = pd_hex_digits[src[i] & 0xf];
	}
	return (int)pd_hex_len(n);
}

static int pd_hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int pd_hex_decode(const char *src, size_t n, uint8_t *dst, size_t cap)
{
	if (n % 2)
		return PD_EMALF;
	int rc = pd_codec_room(n, n / 2, cap);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = pd_hex_val(src[2 * i]), lo = pd_hex_val(src[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return PD_EMALF;
		dst[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

int pd_b64_encode(const uint8_t *src, size_t n, char *dst, size_t cap)
{
	int rc = pd_codec_room(n, pd_b64_len(n), cap);
	if (rc < 0)
		return rc;
	size_t i = 0, o = 0;
	for (; n - i >= 3; i += 3) {
		uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8 | src[i + 2];
		dst[o++] = pd_b64_digits[v >> 18];
		dst[o++] = pd_b64_digits[(v >> 12) & 0x3f];
		dst[o++] = pd_b64_digits[(v >> 6) & 0x3f];
		dst[o++] = pd_b64_digits[v & 0x3f];
	}
	if (n - i > 0) {
		uint32_t v = (uint32_t)src[i] << 16;
		if (n - i == 2)
			v |= (uint32_t)src[i + 1] << 8;
		dst[o++] = pd_b64_digits[v >> 18];
		dst[o++] = pd_b64_digits[(v >> 12) & 0x3f];
		dst[o++] = n - i == 2 ? pd_b64_digits[(v >> 6) & 0x3f] : '=';
		dst[o++] = '=';
	}
	return (int)o;
}

static int pd_b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int pd_b64_decode(const char *src, size_t n, uint8_t *dst, size_t cap)
{
	if (n % 4)
		return PD_EMALF;
	size_t pad = 0;
	if (n > 0 && src[n - 1] == '=')
		pad = src[n - 2] == '=' ? 2 : 1;
	size_t out = n / 4 * 3 - pad;
	int rc = pd_codec_room(n, out, cap);
	if (rc < 0)
		return rc;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		size_t gpad = i + 4 == n ? pad : 0, digits = 4 - gpad;
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			int d = k < digits ? pd_b64_val(src[i + k]) : 0;
			if (d < 0)
				return PD_EMALF;
			v = v << 6 | (uint32_t)d;
		}
		/* Bits that the padding leaves over must be zero. */
		if ((gpad == 1 && (v & 0xff)) || (gpad == 2 && (v & 0xffff)))
			return PD_EMALF;
		dst[o++] = (uint8_t)(v >> 16);
		if (digits > 2)
			dst[o++] = (uint8_t)(v >> 8);
		if (digits > 3)
			dst[o++] = (uint8_t)v;
	}
	return (int)o;
}

int pd_b32hex_encode(const uint8_t *src, size_t n, char *dst, size_t cap)
{
	size_t want = pd_b32hex_len(n);
	int rc = pd_codec_room(n, want, cap);
	if (rc < 0)
		return rc;
	/* A 5-bit window slides over the bits; the last group is zero-filled. */
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8 | src[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			dst[o++] = pd_b32hex_digits[(acc >> bits) & 0x1f];
		}
	}
	if (bits > 0)
		dst[o++] = pd_b32hex_digits[(acc << (5 - bits)) & 0x1f];
	return (int)o;
}
