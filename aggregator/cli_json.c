#include "cli_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"

void cli_json_init(struct cli_json *j)
{
	memset(j, 0, sizeof(*j));
}

void cli_json_fini(struct cli_json *j)
{
	free(j->t);
	memset(j, 0, sizeof(*j));
}

int cli_json_parse(struct cli_json *j, const char *s, size_t len)
{
	j->n = 0;
	j->s = s;
	if (!j->cap) {
		if (!(j->t = malloc(256 * sizeof(*j->t))))
			return -ENOMEM;
		j->cap = 256;
	}
	for (;;) {
		int rc = pd_json_parse_err(s, len, j->t, j->cap, CLI_JSON_MAX_DEPTH, &j->err);
		if (rc > 0) {
			j->n = rc;
			return 0;
		}
		/* PD_ELIMIT is also the depth and length caps: grow only while
		 * growing can help. */
		if (rc != PD_ELIMIT || j->cap >= CLI_JSON_MAX_TOKS || j->cap > len + 1)
			return rc;
		size_t ncap = j->cap * 4 > CLI_JSON_MAX_TOKS ? CLI_JSON_MAX_TOKS : j->cap * 4;
		struct pd_json_tok *t = realloc(j->t, ncap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		j->t = t;
		j->cap = ncap;
	}
}

int cli_json_get(const struct cli_json *j, int obj, const char *key)
{
	if (obj < 0 || obj >= j->n)
		return -1;
	return pd_json_get(j->s, j->t, j->n, obj, key);
}

int cli_safe_text(struct pd_buf *out, const char *s, size_t n)
{
	int rc = pd_buf_reserve(out, n);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		/* U+0080..U+009F are C2 80..C2 9F in UTF-8. */
		int c1 = c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		         (unsigned char)s[i + 1] <= 0x9f;
		if (c < 0x20 || c == 0x7f) {
			rc = pd_buf_addf(out, "\\%03u", c);
		} else if (c1) {
			rc = pd_buf_addf(out, "\\%03u\\%03u", c, (unsigned char)s[i + 1]);
			i++;
		} else {
			rc = pd_buf_addc(out, (char)c);
		}
	}
	return rc;
}

int cli_json_text(const struct cli_json *j, int i, struct pd_buf *out)
{
	if (i < 0 || i >= j->n)
		return PD_EMALF;
	const struct pd_json_tok *t = &j->t[i];
	if (t->type == PD_JSON_OBJECT || t->type == PD_JSON_ARRAY) {
		/* Arrays of strings (rdata sets) read as "a, b"; anything else
		 * shows as its JSON text, made safe. */
		int rc = 0, first = 1;
		if (t->type == PD_JSON_ARRAY) {
			for (int k = pd_json_child(j->t, j->n, i); rc == 0 && k >= 0;
			     k = pd_json_next(j->t, j->n, k)) {
				if (!first)
					rc = pd_buf_adds(out, ", ");
				first = 0;
				if (rc == 0)
					rc = cli_json_text(j, k, out);
			}
			return rc;
		}
		return cli_safe_text(out, j->s + t->start, t->end - t->start);
	}
	if (t->type != PD_JSON_STRING)
		return pd_buf_add(out, j->s + t->start, t->end - t->start);
	if (!t->escaped)
		return cli_safe_text(out, j->s + t->start, t->end - t->start);
	size_t cap = t->end - t->start + 1; /* decoding never lengthens */
	char *tmp = malloc(cap);
	if (!tmp)
		return -ENOMEM;
	int n = pd_json_str(j->s, t, tmp, cap);
	int rc = n < 0 ? n : cli_safe_text(out, tmp, (size_t)n);
	free(tmp);
	return rc;
}

int cli_json_member_text(const struct cli_json *j, int obj, const char *key,
                         struct pd_buf *out)
{
	int v = cli_json_get(j, obj, key);
	if (v < 0 || j->t[v].type == PD_JSON_NULL)
		return 0;
	int rc = cli_json_text(j, v, out);
	return rc < 0 ? rc : 1;
}

int cli_json_member_i64(const struct cli_json *j, int obj, const char *key, int64_t *v)
{
	int i = cli_json_get(j, obj, key);
	if (i < 0 || j->t[i].type == PD_JSON_NULL)
		return PD_ENOTFOUND;
	return pd_json_i64(j->s, &j->t[i], v);
}

int cli_json_member_double(const struct cli_json *j, int obj, const char *key, double *v)
{
	int i = cli_json_get(j, obj, key);
	if (i < 0 || j->t[i].type == PD_JSON_NULL)
		return PD_ENOTFOUND;
	return pd_json_double(j->s, &j->t[i], v);
}
