/*
 * Fuzz target: pd_json. Tokenizes the input twice, with roomy and with
 * tight caps; when it parses, checks the token invariants and runs every
 * helper over every token. The helpers must agree with the tokens: each
 * member found by iteration is found by pd_json_get, child counts match
 * size. Any disagreement aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"
#include "pd_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_TOKS 4096

static void check(int ok)
{
	if (!ok)
		abort();
}

static void walk_scalar(const char *s, const struct pd_json_tok *t)
{
	static char buf[65536];
	int64_t i;
	uint64_t u;
	double d;

	if (t->type == PD_JSON_STRING) {
		int n = pd_json_str(s, t, buf, sizeof(buf));
		check(n >= 0 || n == PD_ESPACE);
		check(n < 0 || (size_t)n <= (size_t)(t->end - t->start));
		if (n >= 0 && memchr(buf, 0, (size_t)n) == NULL)
			check(pd_json_str_eq(s, t, buf));
		if (n > 0)
			check(pd_json_str(s, t, buf, (size_t)n) == PD_ESPACE);
	} else if (t->type == PD_JSON_NUMBER) {
		int ri = pd_json_i64(s, t, &i), ru = pd_json_u64(s, t, &u);
		check(ri == 0 || ri == PD_EMALF || ri == PD_ELIMIT);
		check(ru == 0 || ru == PD_EMALF || ru == PD_ELIMIT);
		if (ri == 0 && ru == 0)
			check(i >= 0 && (uint64_t)i == u);
		int rd = pd_json_double(s, t, &d);
		check(rd == 0 || rd == PD_ELIMIT);
	} else {
		check(pd_json_i64(s, t, &i) == PD_EMALF && pd_json_str(s, t, buf, 8) == PD_EMALF);
	}
}

static void walk(const char *s, size_t n, const struct pd_json_tok *toks, int ntok)
{
	for (int i = 0; i < ntok; i++) {
		const struct pd_json_tok *t = &toks[i];
		check(t->start <= t->end && t->end <= n);
		check(t->next > (uint32_t)i && t->next <= (uint32_t)ntok);
		check(t->parent < i && (i == 0) == (t->parent < 0));
		check(t->parent < 0 || t->next <= toks[t->parent].next);
		walk_scalar(s, t);
		if (t->type != PD_JSON_OBJECT && t->type != PD_JSON_ARRAY) {
			check(t->next == (uint32_t)i + 1 && t->size == 0);
			continue;
		}
		uint32_t count = 0;
		int obj = t->type == PD_JSON_OBJECT;
		for (int c = pd_json_child(toks, ntok, i); c >= 0;
		     c = pd_json_next(toks, ntok, obj ? c + 1 : c)) {
			check(toks[c].parent == i);
			count++;
			if (!obj)
				continue;
			check(toks[c].type == PD_JSON_STRING && c + 1 < ntok);
			check(toks[c + 1].parent == i);
			int v = pd_json_get(s, toks, ntok, i, "k");
			check(v == -1 || (v > i && pd_json_str_eq(s, &toks[v - 1], "k")));
		}
		check(count == t->size);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pd_json_tok toks[FZ_TOKS];
	const char *s = (const char *)data;
	struct pd_json_err err;

	int n = pd_json_parse_err(s, size, toks, FZ_TOKS, 64, &err);
	check(n > 0 || n == PD_EMALF || n == PD_ELIMIT);
	if (n < 0) {
		size_t line, byte;
		check(err.off <= size && err.what != NULL);
		pd_json_where(s, err.off, &line, &byte);
		check(line >= 1 && byte >= 1 && byte <= err.off + 1);
		return 0;
	}
	walk(s, size, toks, n);
	/* Tight caps fail cleanly with PD_ELIMIT, or succeed identically. */
	int m = pd_json_parse(s, size, toks, (size_t)n - 1, 64);
	check(m == PD_ELIMIT);
	m = pd_json_parse(s, size, toks, (size_t)n, 2);
	check(m == n || m == PD_ELIMIT);
	return 0;
}
