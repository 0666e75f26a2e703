/*
 * pd_json: the tokenizer and its helpers.
 *
 * One loop with an explicit state; the open containers form a chain
 * through the tokens' parent indices, so nesting needs no stack of its
 * own. Strings and numbers are validated when tokenized, so the helpers
 * only decode what is known to be well formed (they still check bounds).
 */
#include "pd_json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pd_err.h"

enum pd_json_state {
	ST_VALUE,          /* top level, after ':' or after ',' in an array */
	ST_VALUE_OR_CLOSE, /* after '[' */
	ST_KEY,            /* after ',' in an object */
	ST_KEY_OR_CLOSE,   /* after '{' */
	ST_COLON,
	ST_COMMA_OR_CLOSE, /* after a value inside a container */
	ST_DONE,           /* after the top-level value */
};

struct pd_json_p {
	const char *s;
	size_t n, pos;
	struct pd_json_tok *toks;
	size_t max, ntok;
	unsigned depth, max_depth;
	int cur; /* innermost open container, -1 at the top */
	enum pd_json_state st;
	struct pd_json_err *err;
};

static int pd_json_fail(struct pd_json_p *p, int rc, size_t off, const char *what)
{
	if (p->err) {
		p->err->off = off;
		p->err->what = what;
	}
	return rc;
}

static int pd_json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int pd_json_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int pd_json_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at s[i..i+4) (the caller checked they exist), or -1. */
static long pd_json_hex4(const char *s, size_t i)
{
	long v = 0;
	for (size_t k = 0; k < 4; k++) {
		int d = pd_json_hexval(s[i + k]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* A new token of type at p->pos, child of the open container. */
static int pd_json_push(struct pd_json_p *p, enum pd_json_type type)
{
	if (p->ntok >= p->max)
		return pd_json_fail(p, PD_ELIMIT, p->pos, "too many tokens");
	struct pd_json_tok *t = &p->toks[p->ntok];
	t->start = t->end = (uint32_t)p->pos;
	t->next = (uint32_t)p->ntok + 1;
	t->size = 0;
	t->parent = p->cur;
	t->type = (uint8_t)type;
	t->escaped = 0;
	p->ntok++;
	return (int)p->ntok - 1;
}

/*
 * Length of the UTF-8 sequence at s[i..n) whose lead byte is >= 0x80
 * (RFC 3629 section 4: no overlongs, no surrogates, nothing past
 * U+10FFFF), or 0 when it is invalid.
 */
static size_t pd_json_utf8(const unsigned char *s, size_t i, size_t n)
{
	unsigned c = s[i];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
		return 0;
	for (size_t k = 2; k < len; k++)
		if (s[i + k] < 0x80 || s[i + k] > 0xbf)
			return 0;
	return len;
}

/* The escape at s[i] == '\\'; returns its length or 0 (error in *what). */
static size_t pd_json_escape(const char *s, size_t i, size_t n, const char **what)
{
	if (n - i < 2) {
		*what = "unterminated string";
		return 0;
	}
	switch (s[i + 1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
		return 2;
	case 'u':
		break;
	default:
		*what = "invalid escape";
		return 0;
	}
	long u = n - i >= 6 ? pd_json_hex4(s, i + 2) : -1;
	if (u < 0) {
		*what = "invalid \\u escape";
		return 0;
	}
	if (u >= 0xdc00 && u <= 0xdfff) {
		*what = "unpaired low surrogate";
		return 0;
	}
	if (u < 0xd800 || u > 0xdbff)
		return 6;
	long lo = n - i >= 12 && s[i + 6] == '\\' && s[i + 7] == 'u' ? pd_json_hex4(s, i + 8) : -1;
	if (lo < 0xdc00 || lo > 0xdfff) {
		*what = "unpaired high surrogate";
		return 0;
	}
	return 12;
}

/* The string whose opening quote is at p->pos: a token, pos past it. */
static int pd_json_string(struct pd_json_p *p)
{
	const unsigned char *u = (const unsigned char *)p->s;
	size_t i = p->pos + 1;
	int escaped = 0;

	for (;;) {
		while (i < p->n && u[i] >= 0x20 && u[i] < 0x80 && u[i] != '"' && u[i] != '\\')
			i++;
		if (i >= p->n)
			return pd_json_fail(p, PD_EMALF, p->pos, "unterminated string");
		if (u[i] == '"')
			break;
		const char *what = NULL;
		size_t len;
		if (u[i] == '\\') {
			len = pd_json_escape(p->s, i, p->n, &what);
			escaped = 1;
		} else if (u[i] < 0x20) {
			len = 0;
			what = "control character in string";
		} else {
			len = pd_json_utf8(u, i, p->n);
			what = "invalid UTF-8 in string";
		}
		if (len == 0)
			return pd_json_fail(p, PD_EMALF, i, what);
		i += len;
	}
	int t = pd_json_push(p, PD_JSON_STRING);
	if (t < 0)
		return t;
	p->toks[t].start = (uint32_t)p->pos + 1;
	p->toks[t].end = (uint32_t)i;
	p->toks[t].escaped = (uint8_t)escaped;
	p->pos = i + 1;
	return t;
}

/* Digits from s[i]; returns the index after them. */
static size_t pd_json_digits(const char *s, size_t i, size_t n)
{
	while (i < n && pd_json_digit(s[i]))
		i++;
	return i;
}

/* -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)? */
static int pd_json_number(struct pd_json_p *p)
{
	const char *s = p->s;
	size_t i = p->pos, n = p->n, d;

	if (s[i] == '-')
		i++;
	if (i >= n || !pd_json_digit(s[i]))
		return pd_json_fail(p, PD_EMALF, i, "invalid number");
	if (s[i] == '0' && i + 1 < n && pd_json_digit(s[i + 1]))
		return pd_json_fail(p, PD_EMALF, i, "leading zero in number");
	i = pd_json_digits(s, i, n);
	if (i < n && s[i] == '.') {
		d = pd_json_digits(s, i + 1, n);
		if (d == i + 1)
			return pd_json_fail(p, PD_EMALF, d, "expected a digit after '.'");
		i = d;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		d = pd_json_digits(s, i, n);
		if (d == i)
			return pd_json_fail(p, PD_EMALF, d, "expected a digit in the exponent");
		i = d;
	}
	int t = pd_json_push(p, PD_JSON_NUMBER);
	if (t < 0)
		return t;
	p->toks[t].end = (uint32_t)i;
	p->pos = i;
	return t;
}

static int pd_json_literal(struct pd_json_p *p, const char *word, enum pd_json_type type)
{
	size_t len = strlen(word);
	if (p->n - p->pos < len || memcmp(p->s + p->pos, word, len) != 0)
		return pd_json_fail(p, PD_EMALF, p->pos, "invalid literal");
	int t = pd_json_push(p, type);
	if (t < 0)
		return t;
	p->pos += len;
	p->toks[t].end = (uint32_t)p->pos;
	return t;
}

static void pd_json_after_value(struct pd_json_p *p)
{
	p->st = p->cur < 0 ? ST_DONE : ST_COMMA_OR_CLOSE;
}

static int pd_json_open(struct pd_json_p *p, enum pd_json_type type)
{
	if (p->depth >= p->max_depth)
		return pd_json_fail(p, PD_ELIMIT, p->pos, "nested too deeply");
	int t = pd_json_push(p, type);
	if (t < 0)
		return t;
	p->depth++;
	p->cur = t;
	p->pos++;
	p->st = type == PD_JSON_OBJECT ? ST_KEY_OR_CLOSE : ST_VALUE_OR_CLOSE;
	return 0;
}

static void pd_json_close(struct pd_json_p *p)
{
	struct pd_json_tok *t = &p->toks[p->cur];
	p->pos++;
	t->end = (uint32_t)p->pos;
	t->next = (uint32_t)p->ntok;
	p->cur = t->parent;
	p->depth--;
	pd_json_after_value(p);
}

/* A value starting at p->pos (not whitespace, not the end). */
static int pd_json_value(struct pd_json_p *p)
{
	char c = p->s[p->pos];
	int t;

	if (p->cur >= 0 && p->toks[p->cur].type == PD_JSON_ARRAY)
		p->toks[p->cur].size++;
	if (c == '{')
		return pd_json_open(p, PD_JSON_OBJECT);
	if (c == '[')
		return pd_json_open(p, PD_JSON_ARRAY);
	if (c == '"')
		t = pd_json_string(p);
	else if (c == '-' || pd_json_digit(c))
		t = pd_json_number(p);
	else if (c == 't')
		t = pd_json_literal(p, "true", PD_JSON_TRUE);
	else if (c == 'f')
		t = pd_json_literal(p, "false", PD_JSON_FALSE);
	else if (c == 'n')
		t = pd_json_literal(p, "null", PD_JSON_NULL);
	else
		return pd_json_fail(p, PD_EMALF, p->pos, "expected a value");
	if (t < 0)
		return t;
	pd_json_after_value(p);
	return 0;
}

static int pd_json_key(struct pd_json_p *p)
{
	if (p->s[p->pos] != '"')
		return pd_json_fail(p, PD_EMALF, p->pos, "expected a string key");
	int t = pd_json_string(p);
	if (t < 0)
		return t;
	p->toks[p->cur].size++;
	p->st = ST_COLON;
	return 0;
}

/* One step of the state machine at the non-blank character p->s[p->pos]. */
static int pd_json_step(struct pd_json_p *p)
{
	char c = p->s[p->pos];
	int in_obj = p->cur >= 0 && p->toks[p->cur].type == PD_JSON_OBJECT;

	switch (p->st) {
	case ST_VALUE_OR_CLOSE:
		if (c == ']') {
			pd_json_close(p);
			return 0;
		}
		return pd_json_value(p);
	case ST_VALUE:
		return pd_json_value(p);
	case ST_KEY_OR_CLOSE:
		if (c == '}') {
			pd_json_close(p);
			return 0;
		}
		return pd_json_key(p);
	case ST_KEY:
		return pd_json_key(p);
	case ST_COLON:
		if (c != ':')
			return pd_json_fail(p, PD_EMALF, p->pos, "expected ':'");
		p->pos++;
		p->st = ST_VALUE;
		return 0;
	case ST_COMMA_OR_CLOSE:
		if (c == ',') {
			p->pos++;
			p->st = in_obj ? ST_KEY : ST_VALUE;
		} else if (c == (in_obj ? '}' : ']')) {
			pd_json_close(p);
		} else {
			return pd_json_fail(p, PD_EMALF, p->pos,
			                    in_obj ? "expected ',' or '}'" : "expected ',' or ']'");
		}
		return 0;
	default:
		return pd_json_fail(p, PD_EMALF, p->pos, "unexpected text after the value");
	}
}

int pd_json_parse_err(const char *s, size_t n, struct pd_json_tok *toks, size_t max_toks,
                      unsigned max_depth, struct pd_json_err *err)
{
	struct pd_json_p p = {
		.s = s, .n = n, .pos = 0, .toks = toks,
		.max = max_toks < (size_t)INT_MAX ? max_toks : (size_t)INT_MAX, .ntok = 0,
		.depth = 0, .max_depth = max_depth, .cur = -1, .st = ST_VALUE, .err = err,
	};

	if (n >= UINT32_MAX)
		return pd_json_fail(&p, PD_ELIMIT, 0, "document too long");
	for (;;) {
		while (p.pos < n && pd_json_ws(s[p.pos]))
			p.pos++;
		if (p.pos == n)
			break;
		int rc = pd_json_step(&p);
		if (rc < 0)
			return rc;
	}
	if (p.st != ST_DONE)
		return pd_json_fail(&p, PD_EMALF, n, p.ntok ? "unexpected end of input" : "expected a value");
	return (int)p.ntok;
}

int pd_json_parse(const char *s, size_t n, struct pd_json_tok *toks, size_t max_toks,
                  unsigned max_depth)
{
	return pd_json_parse_err(s, n, toks, max_toks, max_depth, NULL);
}

void pd_json_where(const char *s, size_t off, size_t *line, size_t *byte)
{
	size_t l = 1, start = 0;
	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			l++;
			start = i + 1;
		}
	}
	*line = l;
	*byte = off - start + 1;
}

int pd_json_child(const struct pd_json_tok *toks, int ntoks, int i)
{
	if (i < 0 || i >= ntoks || toks[i].size == 0)
		return -1;
	if (toks[i].type != PD_JSON_OBJECT && toks[i].type != PD_JSON_ARRAY)
		return -1;
	return i + 1 < ntoks ? i + 1 : -1;
}

int pd_json_next(const struct pd_json_tok *toks, int ntoks, int i)
{
	if (i < 0 || i >= ntoks || toks[i].parent < 0)
		return -1;
	uint32_t j = toks[i].next, end = toks[toks[i].parent].next;
	return j < end && j < (uint32_t)ntoks ? (int)j : -1;
}

int pd_json_get(const char *s, const struct pd_json_tok *toks, int ntoks, int obj,
                const char *key)
{
	if (obj < 0 || obj >= ntoks || toks[obj].type != PD_JSON_OBJECT)
		return -1;
	for (int k = pd_json_child(toks, ntoks, obj); k >= 0 && k + 1 < ntoks;
	     k = pd_json_next(toks, ntoks, k + 1))
		if (pd_json_str_eq(s, &toks[k], key))
			return k + 1;
	return -1;
}

/*
 * Decodes one character of a string token at s[*i] (*i < end) into u[]
 * as UTF-8 and advances *i. Returns the byte count or PD_EMALF.
 */
static int pd_json_unit(const char *s, size_t end, size_t *i, char u[4])
{
	size_t k = *i;
	if (s[k] != '\\') {
		u[0] = s[k];
		*i = k + 1;
		return 1;
	}
	if (end - k < 2)
		return PD_EMALF;
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e = s[k + 1] ? strchr(from, s[k + 1]) : NULL;
	if (e) {
		u[0] = to[e - from];
		*i = k + 2;
		return 1;
	}
	long cp = s[k + 1] == 'u' && end - k >= 6 ? pd_json_hex4(s, k + 2) : -1;
	if (cp < 0)
		return PD_EMALF;
	k += 6;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		long lo = end - k >= 6 && s[k] == '\\' && s[k + 1] == 'u' ? pd_json_hex4(s, k + 2) : -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			return PD_EMALF;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		k += 6;
	}
	*i = k;
	if (cp < 0x80) {
		u[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		u[0] = (char)(0xc0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		u[0] = (char)(0xe0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	u[0] = (char)(0xf0 | cp >> 18);
	u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	u[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int pd_json_str_eq(const char *s, const struct pd_json_tok *t, const char *lit)
{
	if (t->type != PD_JSON_STRING)
		return 0;
	size_t llen = strlen(lit);
	if (!t->escaped)
		return t->end - t->start == llen && memcmp(s + t->start, lit, llen) == 0;
	size_t i = t->start, j = 0;
	char u[4];
	while (i < t->end) {
		int n = pd_json_unit(s, t->end, &i, u);
		if (n < 0 || llen - j < (size_t)n || memcmp(lit + j, u, (size_t)n) != 0)
			return 0;
		j += (size_t)n;
	}
	return j == llen;
}

int pd_json_str(const char *s, const struct pd_json_tok *t, char *out, size_t cap)
{
	size_t i = t->start, o = 0;
	char u[4];

	if (t->type != PD_JSON_STRING)
		return PD_EMALF;
	if (t->end - t->start > (size_t)INT_MAX)
		return PD_ELIMIT;
	while (i < t->end) {
		int n = pd_json_unit(s, t->end, &i, u);
		if (n < 0)
			return n;
		if (cap <= o + (size_t)n)
			return PD_ESPACE;
		memcpy(out + o, u, (size_t)n);
		o += (size_t)n;
	}
	if (cap == 0)
		return PD_ESPACE;
	out[o] = '\0';
	return (int)o;
}

/* The integer part of a number token: sign, digits; PD_EMALF otherwise. */
static int pd_json_int_text(const char *s, const struct pd_json_tok *t, int *neg,
                            size_t *from)
{
	if (t->type != PD_JSON_NUMBER)
		return PD_EMALF;
	size_t i = t->start;
	*neg = s[i] == '-';
	if (*neg)
		i++;
	*from = i;
	for (size_t k = i; k < t->end; k++)
		if (!pd_json_digit(s[k]))
			return PD_EMALF; /* fraction or exponent */
	return 0;
}

/* Magnitude of the digits s[i..end) if it is at most max. */
static int pd_json_mag(const char *s, size_t i, size_t end, uint64_t max, uint64_t *v)
{
	uint64_t m = 0;
	for (; i < end; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (d > max || m > (max - d) / 10)
			return PD_ELIMIT;
		m = m * 10 + d;
	}
	*v = m;
	return 0;
}

int pd_json_i64(const char *s, const struct pd_json_tok *t, int64_t *v)
{
	int neg;
	size_t i;
	uint64_t m = 0;
	int rc = pd_json_int_text(s, t, &neg, &i);
	if (rc == 0)
		rc = pd_json_mag(s, i, t->end, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &m);
	if (rc < 0)
		return rc;
	if (neg)
		*v = m == 0 ? 0 : -(int64_t)(m - 1) - 1;
	else
		*v = (int64_t)m;
	return 0;
}

int pd_json_u64(const char *s, const struct pd_json_tok *t, uint64_t *v)
{
	int neg;
	size_t i;
	uint64_t m = 0;
	int rc = pd_json_int_text(s, t, &neg, &i);
	if (rc == 0)
		rc = pd_json_mag(s, i, t->end, neg ? 0 : UINT64_MAX, &m);
	if (rc < 0)
		return rc;
	*v = m;
	return 0;
}

int pd_json_double(const char *s, const struct pd_json_tok *t, double *v)
{
	char buf[501];
	size_t len = t->end - t->start;

	if (t->type != PD_JSON_NUMBER)
		return PD_EMALF;
	if (len >= sizeof(buf))
		return PD_ELIMIT;
	/* A copy: the token is not NUL-terminated and may end the text. */
	memcpy(buf, s + t->start, len);
	buf[len] = '\0';
	errno = 0;
	char *endp;
	double d = strtod(buf, &endp);
	if (endp != buf + len)
		return PD_EMALF;
	if (errno == ERANGE && isinf(d))
		return PD_ELIMIT;
	*v = d;
	return 0;
}
