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

int pd_buf_reserve(struct pd_buf *b, size_t more)
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
	char tmp[24];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
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

int pd_buf_add_json_str(struct pd_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	/* Worst case every byte becomes \u00XX. */
	int rc = pd_buf_reserve(b, n * 6 + 2);
	if (rc < 0)
		return rc;
	char *o = (char *)b->data + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			*o++ = '\\';
			*o++ = (char)c;
		} else if (c < 0x20 || c == 0x7f || c >= 0x80) {
			/* Presentation text is ASCII; anything else is escaped so
			 * the output is always valid JSON (and valid UTF-8). */
			*o++ = '\\';
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		} else {
			*o++ = (char)c;
		}
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
