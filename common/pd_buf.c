#include "pd_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"

void pd_buf_init(struct pd_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void pd_buf_fini(struct pd_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void pd_buf_reset(struct pd_buf *b)
{
	b->len = 0;
}

int pd_buf_grow(struct pd_buf *b, size_t more)
{
	if (more > b->max || b->len > b->max - more)
		return PD_ELIMIT;
	size_t need = b->len + more + 1; /* room for pd_buf_cstr's NUL */
	if (need <= b->cap)
		return 0;
	size_t ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	uint8_t *nd = realloc(b->data, ncap);
	if (!nd)
		return -12; /* -ENOMEM */
	b->data = nd;
	b->cap = ncap;
	return 0;
}

int pd_buf_add(struct pd_buf *b, const void *p, size_t n)
{
	int rc = pd_buf_reserve(b, n);
	if (rc < 0)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int pd_buf_addc(struct pd_buf *b, char c)
{
	return pd_buf_add(b, &c, 1);
}

int pd_buf_adds(struct pd_buf *b, const char *s)
{
	return pd_buf_add(b, s, strlen(s));
}

int pd_buf_addf(struct pd_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return PD_EMALF;
	int rc = pd_buf_reserve(b, (size_t)n);
	if (rc < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

size_t pd_fmt_u64(char *out, uint64_t v)
{
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char tmp[24];
	size_t i = sizeof(tmp);
	while (v > UINT32_MAX) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		tmp[--i] = pairs[r * 2 + 1];
		tmp[--i] = pairs[r * 2];
	}
	/* Counts and times fit 32 bits: cheaper divisions from here. */
	uint32_t w = (uint32_t)v;
	while (w >= 100) {
		unsigned r = w % 100;
		w /= 100;
		tmp[--i] = pairs[r * 2 + 1];
		tmp[--i] = pairs[r * 2];
	}
	v = w;
	if (v >= 10) {
		tmp[--i] = pairs[v * 2 + 1];
		tmp[--i] = pairs[v * 2];
	} else {
		tmp[--i] = (char)('0' + v);
	}
	size_t n = sizeof(tmp) - i;
	memcpy(out, tmp + i, n);
	return n;
}

int pd_buf_add_u64(struct pd_buf *b, uint64_t v)
{
	char tmp[24];
	return pd_buf_add(b, tmp, pd_fmt_u64(tmp, v));
}

int pd_buf_add_i64(struct pd_buf *b, int64_t v)
{
	char tmp[24];
	size_t n = 0;
	uint64_t u = (uint64_t)v;
	if (v < 0) {
		tmp[n++] = '-';
		u = 0 - u;
	}
	n += pd_fmt_u64(tmp + n, u);
	return pd_buf_add(b, tmp, n);
}

/* 1 for bytes a JSON string can hold as they are. */
static const uint8_t json_plain[256] = {
	[0x20] = 1, [0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0x7e] = 1,
};

int pd_buf_add_json_str(struct pd_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	/* Worst case every byte becomes \u00XX. */
	int rc = pd_buf_reserve(b, n * 6 + 2);
	if (rc < 0)
		return rc;
	char *o = (char *)b->data + b->len;
	const unsigned char *u = (const unsigned char *)s;
	*o++ = '"';
	size_t i = 0;
	while (i < n) {
		size_t run = i;
		while (run < n && json_plain[u[run]])
			run++;
		memcpy(o, s + i, run - i);
		o += run - i;
		if (run == n)
			break;
		unsigned char c = u[run];
		*o++ = '\\';
		if (c == '"' || c == '\\') {
			*o++ = (char)c;
		} else {
			/* Presentation text is ASCII; anything else is escaped so
			 * the output is always valid JSON (and valid UTF-8). */
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
		i = run + 1;
	}
	*o++ = '"';
	b->len = (size_t)(o - (char *)b->data);
	return 0;
}

const char *pd_buf_cstr(struct pd_buf *b)
{
	if (pd_buf_reserve(b, 0) < 0 || !b->data)
		return "";
	b->data[b->len] = 0;
	return (const char *)b->data;
}
