/*
 * Fuzz target: bytes as a client sends them to the query API.
 *
 * The input is searched for a request head both at once and in chunks
 * (the answers must agree), the head is parsed, and its target split and
 * decoded; the input is also parsed as a bare request-target. Whatever
 * decodes must re-encode to a target that decodes to the same segments
 * and parameters, and every view must stay inside its buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpq.h"
#include "pd_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char buf[2 * HTTPQ_HEAD_MAX + 1];
static char again[3 * HTTPQ_URI_MAX + 1];
static struct httpq_target t1, t2;

static void check(int cond)
{
	if (!cond)
		abort();
}

/* Appends s[0..n) %XX-encoded except unreserved bytes; 0 if it won't fit. */
static size_t encode(char *o, size_t cap, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (k + 3 >= cap)
			return 0;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			o[k++] = (char)c;
		} else {
			o[k++] = '%';
			o[k++] = hex[c >> 4];
			o[k++] = hex[c & 15];
		}
	}
	return k;
}

static int in_store(const struct httpq_target *t, const struct httpq_str *s)
{
	return s->s >= t->store && s->s + s->len < t->store + sizeof(t->store) &&
	       strlen(s->s) == s->len;
}

/* Re-encodes t1 and checks the result parses to the same values. */
static void round_trip(void)
{
	size_t k = 0, m;
	const size_t cap = sizeof(again);
	if (t1.n_seg == 0)
		again[k++] = '/';
	for (unsigned i = 0; i < t1.n_seg; i++) {
		check(in_store(&t1, &t1.seg[i]));
		again[k++] = '/';
		if (!(m = encode(again + k, cap - k, t1.seg[i].s, t1.seg[i].len)) && t1.seg[i].len)
			return;
		k += m;
	}
	for (unsigned i = 0; i < t1.n_param; i++) {
		check(in_store(&t1, &t1.param[i].key) && in_store(&t1, &t1.param[i].val));
		again[k++] = i ? '&' : '?';
		if (!(m = encode(again + k, cap - k, t1.param[i].key.s, t1.param[i].key.len)) &&
		    t1.param[i].key.len)
			return;
		k += m;
		again[k++] = '=';
		if (!(m = encode(again + k, cap - k, t1.param[i].val.s, t1.param[i].val.len)) &&
		    t1.param[i].val.len)
			return;
		k += m;
		if (k + 4 >= cap)
			return;
	}
	again[k] = 0;
	if (k > HTTPQ_URI_MAX)
		return;
	const char *why;
	check(httpq_parse_target(&t2, again, k, &why) == 0);
	check(t2.n_seg == t1.n_seg && t2.n_param == t1.n_param);
	for (unsigned i = 0; i < t1.n_seg; i++)
		check(t2.seg[i].len == t1.seg[i].len &&
		      !memcmp(t2.seg[i].s, t1.seg[i].s, t1.seg[i].len));
	for (unsigned i = 0; i < t1.n_param; i++)
		check(!strcmp(t2.param[i].key.s, t1.param[i].key.s) &&
		      !strcmp(t2.param[i].val.s, t1.param[i].val.s));
}

static void fuzz_head(const uint8_t *data, size_t size)
{
	struct httpq_scan st = { 0, 0 }, st2 = { 0, 0 };
	size_t hl = 0, hl2 = 0;
	int r = httpq_head_len((const char *)data, size, &st, &hl);
	/* The same search in chunks of a size the input picks. */
	size_t step = size ? (size_t)data[0] % 13 + 1 : 1, have = 0;
	int r2 = 0;
	while (r2 == 0 && have < size) {
		have = have + step < size ? have + step : size;
		r2 = httpq_head_len((const char *)data, have, &st2, &hl2);
	}
	check(r == r2 || (r == PD_ELIMIT && r2 == PD_ELIMIT));
	if (r != 1)
		return;
	check(hl == hl2 && hl <= size && hl <= HTTPQ_HEAD_MAX);
	memcpy(buf, data, hl);
	buf[hl] = 0;
	struct httpq_head h;
	const char *why;
	if (httpq_parse_head(buf, hl, &h, &why) != 0)
		return;
	check(h.method[0] && strlen(h.target) == h.target_len && h.n_hdr <= HTTPQ_HDR_MAX);
	for (unsigned i = 0; i < h.n_hdr; i++)
		check(h.hdr[i].name[0] && h.hdr[i].value >= buf && h.hdr[i].value < buf + hl);
	(void)httpq_head_get(&h, "X-API-Key");
	(void)httpq_has_token(h.hdr[0].value ? h.hdr[0].value : "", "close");
	if (httpq_parse_target(&t1, h.target, h.target_len, &why) == 0)
		round_trip();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * HTTPQ_HEAD_MAX)
		return 0;
	fuzz_head(data, size);
	/* The input as a bare request-target. */
	if (size <= HTTPQ_URI_MAX + 16) {
		memcpy(buf, data, size);
		buf[size] = 0;
		const char *why;
		int rc = httpq_parse_target(&t1, buf, size, &why);
		check(rc == 0 || rc == PD_EMALF || rc == PD_ELIMIT);
		if (rc == 0) {
			check(t1.n_seg <= HTTPQ_SEG_MAX && t1.n_param <= HTTPQ_PARAM_MAX);
			round_trip();
		}
	}
	return 0;
}
