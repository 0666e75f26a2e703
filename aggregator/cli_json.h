/*
 * cli_json: the server's JSON documents for the analyst client, through
 * pd_json with a token array that grows (to a cap) with the document, and
 * the safe display text of values.
 *
 * Everything the server sends may come from hostile DNS traffic: display
 * text never carries control characters (C0, DEL, C1) to a terminal; they
 * become \DDD escapes of their bytes, as in DNS presentation format.
 * A struct cli_json borrows the text it parsed; one instance is reused for
 * many documents. Not thread-safe.
 */
#ifndef AGG_CLI_JSON_H
#define AGG_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "pd_buf.h"
#include "pd_json.h"

#define CLI_JSON_MAX_TOKS (1u << 22)
#define CLI_JSON_MAX_DEPTH 32

struct cli_json {
	struct pd_json_tok *t;
	size_t cap;    /* tokens allocated */
	int n;         /* tokens of the last document */
	const char *s; /* its text */
	struct pd_json_err err;
};

void cli_json_init(struct cli_json *j);
void cli_json_fini(struct cli_json *j);

/* Tokenizes s[0..len); on failure j->err says where. Returns 0, PD_EMALF,
 * PD_ELIMIT (over CLI_JSON_MAX_TOKS tokens) or -ENOMEM. */
int cli_json_parse(struct cli_json *j, const char *s, size_t len);

/* Member key of object obj, or -1. */
int cli_json_get(const struct cli_json *j, int obj, const char *key);

/* Appends the display text of token i: strings decoded and made safe,
 * numbers and literals as written. */
int cli_json_text(const struct cli_json *j, int i, struct pd_buf *out);

/* The same for member key of obj; appends nothing when it is absent or
 * null. Returns 1 when something was appended, 0 when not, or < 0. */
int cli_json_member_text(const struct cli_json *j, int obj, const char *key,
                         struct pd_buf *out);

/* Integer / number members; PD_ENOTFOUND when absent or null. */
int cli_json_member_i64(const struct cli_json *j, int obj, const char *key, int64_t *v);
int cli_json_member_double(const struct cli_json *j, int obj, const char *key, double *v);

/* Appends s[0..n) (UTF-8) with control characters escaped as \DDD. */
int cli_safe_text(struct pd_buf *out, const char *s, size_t n);

#endif
