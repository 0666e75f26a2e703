#include "cli_cmd.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "cli_json.h"
#include "cli_sites.h"
#include "cli_time.h"
#include "pd_err.h"
#include "pd_log.h"

#define NAME_MAX_LEN 2048 /* presentation escapes (\DDD) quadruple a name */

static int usage(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int usage(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return PD_EUSAGE;
}

/* ---- the command line ----------------------------------------------------- */

/* Checks q->type and points it at an upper-cased copy in q->type_buf. */
static int check_type(struct cli_query *q, char *err, size_t errlen)
{
	const char *t = q->type;
	size_t n = strlen(t);
	int ok = n > 0 && n < sizeof(q->type_buf);
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)t[i]) || t[i] == '-';
	if (!ok)
		return usage(err, errlen, "'%s' is not a record type (A, MX, TYPE65280, ANY, "
		             "ANY-DNSSEC)", t);
	for (size_t i = 0; i <= n; i++)
		q->type_buf[i] = (char)toupper((unsigned char)t[i]);
	q->type = q->type_buf;
	return 0;
}

/* 4 or 6 for an address, 0 for none. */
static int family(const char *s, size_t n)
{
	char a[64];
	unsigned char bin[16];
	if (n >= sizeof(a))
		return 0;
	memcpy(a, s, n);
	a[n] = 0;
	if (inet_pton(AF_INET, a, bin) == 1)
		return 4;
	return inet_pton(AF_INET6, a, bin) == 1 ? 6 : 0;
}

static int check_ip(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s), cut = strcspn(s, "/-");
	int fam = family(s, cut), ok = fam != 0;
	if (ok && s[cut] == '/') {
		const char *p = s + cut + 1;
		char *end;
		unsigned long len = strtoul(p, &end, 10);
		ok = *p >= '0' && *p <= '9' && !*end && len <= (fam == 4 ? 32u : 128u);
	} else if (ok && s[cut] == '-') {
		ok = family(s + cut + 1, n - cut - 1) == fam;
	}
	if (!ok)
		return usage(err, errlen, "'%s' is not ADDR, ADDR/LEN or ADDR-ADDR (IPv4 or IPv6)", s);
	return 0;
}

static int check_name(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);
	if (n == 0 || n > NAME_MAX_LEN)
		return usage(err, errlen, "the name is %s", n ? "too long" : "empty");
	return 0;
}

static int check_hex(const char *s, char *err, size_t errlen)
{
	size_t n = strlen(s);
	if (n == 0 || n % 2 || strspn(s, "0123456789abcdefABCDEF") != n || n > 8000)
		return usage(err, errlen, "'%.40s' is not rdata in hex (an even number of hex digits)",
		             s);
	return 0;
}

static int parse_time(const char *opt, const char *s, int64_t now, int64_t *out, char *err,
                      size_t errlen)
{
	int rc = cli_time_parse(s, now, out);
	if (rc == PD_ELIMIT)
		return usage(err, errlen, "--%s: '%s' is outside 1970..9999", opt, s);
	if (rc < 0)
		return usage(err, errlen, "--%s: '%s' is not a time (YYYY-MM-DD[THH:MM[:SS]][Z], "
		             "epoch seconds, or an age: 45s, 30m, 12h, 7d, 2w)", opt, s);
	return 0;
}

/* Which lookup options a sites or summarize command cannot take. */
static int check_options(const struct cli_conf *c, const struct cli_query *q, char *err,
                         size_t errlen)
{
	const char *bad = NULL;
	if (q->kind == CLI_SITES)
		bad = c->after ? "--after" : c->before ? "--before" : c->type ? "--type"
		    : c->limit ? "--limit" : c->offset ? "--offset" : c->all ? "--all"
		    : c->strict ? "--strict" : NULL;
	else if (q->summarize)
		bad = c->all ? "--all" : c->offset ? "--offset" : NULL;
	if (bad)
		return usage(err, errlen, "%s does not apply to %s", bad,
		             q->kind == CLI_SITES ? "sites" : "summarize");
	if (q->kind == CLI_RDATA_IP && c->type)
		return usage(err, errlen, "rdata ip takes no record type");
	return 0;
}

static int parse_kind(char **args, int nargs, int *i, struct cli_query *q, char *err,
                      size_t errlen)
{
	const char *cmd = args[(*i)++];
	if (!strcmp(cmd, "summarize")) {
		q->summarize = 1;
		if (*i == nargs)
			return usage(err, errlen, "summarize what? rrset, rdata name, rdata ip, "
			             "rdata raw or nxdomain");
		cmd = args[(*i)++];
	}
	if (!strcmp(cmd, "rrset")) {
		q->kind = CLI_RRSET;
	} else if (!strcmp(cmd, "nxdomain")) {
		q->kind = CLI_NXDOMAIN;
	} else if (!strcmp(cmd, "sites") && !q->summarize) {
		q->kind = CLI_SITES;
	} else if (!strcmp(cmd, "rdata")) {
		const char *how = *i < nargs ? args[(*i)++] : "";
		if (!strcmp(how, "name"))
			q->kind = CLI_RDATA_NAME;
		else if (!strcmp(how, "ip"))
			q->kind = CLI_RDATA_IP;
		else if (!strcmp(how, "raw"))
			q->kind = CLI_RDATA_RAW;
		else
			return usage(err, errlen, "rdata name NAME [TYPE], rdata ip ADDR[/LEN|-ADDR] or "
			             "rdata raw HEX [TYPE]");
	} else {
		return usage(err, errlen, "unknown command '%s' (rrset, rdata, nxdomain, summarize, "
		             "sites)", cmd);
	}
	return 0;
}

static int parse_words(const struct cli_conf *c, char **args, int nargs, struct cli_query *q,
                       char *err, size_t errlen)
{
	int i = 0, rc;
	if (nargs == 0)
		return usage(err, errlen, "give a command: rrset, rdata, nxdomain, summarize or sites");
	if ((rc = parse_kind(args, nargs, &i, q, err, errlen)) < 0)
		return rc;
	if (q->kind != CLI_SITES) {
		if (i == nargs)
			return usage(err, errlen, "give the %s to look up",
			             q->kind == CLI_RDATA_IP ? "address" : q->kind == CLI_RDATA_RAW
			             ? "rdata (wire format in hex)" : "name");
		q->name = args[i++];
		if (q->kind != CLI_RDATA_IP && i < nargs)
			q->type = args[i++];
	}
	if (i < nargs)
		return usage(err, errlen, "unexpected argument '%s'", args[i]);
	if (q->type && c->type && strcasecmp(q->type, c->type))
		return usage(err, errlen, "two record types: '%s' and --type %s", q->type, c->type);
	if (!q->type && c->type && q->kind != CLI_SITES)
		q->type = c->type;
	if (q->type && (rc = check_type(q, err, errlen)) < 0)
		return rc;
	if (q->kind == CLI_RDATA_IP)
		return check_ip(q->name, err, errlen);
	if (q->kind == CLI_RDATA_RAW)
		return check_hex(q->name, err, errlen);
	return q->kind == CLI_SITES ? 0 : check_name(q->name, err, errlen);
}

int cli_cmd_parse(const struct cli_conf *c, char **args, int nargs, int64_t now,
                  struct cli_query *q, char *err, size_t errlen)
{
	memset(q, 0, sizeof(*q));
	int rc = parse_words(c, args, nargs, q, err, errlen);
	if (rc == 0)
		rc = check_options(c, q, err, errlen);
	if (rc == 0 && c->after && (rc = parse_time("after", c->after, now, &q->after, err,
	                                            errlen)) == 0)
		q->has_after = 1;
	if (rc == 0 && c->before && (rc = parse_time("before", c->before, now, &q->before, err,
	                                             errlen)) == 0)
		q->has_before = 1;
	if (rc < 0)
		return rc;
	q->strict = c->strict;
	q->site = q->kind == CLI_SITES ? NULL : c->site;
	q->limit = c->limit;
	q->offset = c->offset;
	q->no_federate = c->no_federate;
	return 0;
}

/* ---- talking to the server --------------------------------------------------- */

int cli_cmd_exit_for(uint64_t n)
{
	return n ? CLI_EXIT_OK : CLI_EXIT_NONE;
}

void cli_cmd_server_error(const struct cli_http_res *res, int have_key, char *out, size_t cap)
{
	struct cli_json j;
	struct pd_buf text;
	cli_json_init(&j);
	pd_buf_init(&text, 2048);
	const char *body = (const char *)res->body.data;
	int got = 0;
	if (res->body.len && cli_json_parse(&j, body, res->body.len) == 0 &&
	    j.t[0].type == PD_JSON_OBJECT)
		got = cli_json_member_text(&j, 0, "error", &text);
	if (got <= 0 && text.len)
		pd_buf_reset(&text);
	if (got > 0)
		snprintf(out, cap, "%u %s: %s", res->status, res->reason, pd_buf_cstr(&text));
	else if (!res->body.len)
		snprintf(out, cap, "%u %s", res->status, res->reason);
	else
		snprintf(out, cap, "%u %s (and a body that is not a JSON error: %s)", res->status,
		         res->reason, res->content_type[0] ? res->content_type : "no Content-Type");
	if (res->status == 401) {
		size_t n = strlen(out);
		snprintf(out + n, cap - n, "%s", have_key ? " (the API key was refused)"
		         : " (give an API key: $ALMANAC_API_KEY or --api-key-file FILE)");
	}
	pd_buf_fini(&text);
	cli_json_fini(&j);
}

/* GET for q; 0 with a 200 answer in res, or -1 after saying why. */
static int fetch(const struct cli_run *r, const struct cli_query *q, struct cli_http_res *res)
{
	struct pd_buf target;
	char err[1024];
	pd_buf_init(&target, 1u << 20);
	int rc = cli_req_target(&target, q);
	if (rc < 0)
		snprintf(err, sizeof(err), "the request is too long");
	else
		rc = cli_http_get(r->http, pd_buf_cstr(&target), res, err, sizeof(err));
	pd_buf_fini(&target);
	if (rc < 0) {
		log_warnx("%s", err);
		return -1;
	}
	if (res->status != 200) {
		cli_cmd_server_error(res, r->have_key, err, sizeof(err));
		log_warnx("server: %s", err);
		return -1;
	}
	return 0;
}

static void not_json(const struct cli_run *r, const struct cli_http_res *res, const char *why)
{
	log_warnx("the answer from %s is not what the API sends (Content-Type %s): %s",
	          cli_http_where(r->http), res->content_type[0] ? res->content_type : "none", why);
}

/* After one page: 1 to fetch the next (cursor moved to *cursor), 0 to stop,
 * -1 on a protocol error. */
static int next_page(const struct cli_run *r, struct cli_http_res *res, char **cursor)
{
	int limited = !strcmp(res->result, "limited"), timeout = !strcmp(res->result, "timeout");
	if (!r->all) {
		if (limited)
			log_warnx("more results: use --all or --limit");
		else if (timeout)
			log_warnx("the server's time budget ran out: the results are incomplete%s",
			          res->cursor ? " (--all continues where it stopped)" : "");
		return 0;
	}
	if (!res->cursor || !strcmp(res->result, "complete")) {
		if (limited || timeout)
			log_warnx("the server answered '%s' without a cursor: the results are "
			          "incomplete", res->result);
		return 0;
	}
	if (*cursor && !strcmp(*cursor, res->cursor)) {
		log_warnx("the server sent the same cursor twice; stopping");
		return -1;
	}
	free(*cursor);
	*cursor = res->cursor;
	res->cursor = NULL;
	return 1;
}

static int run_lookup(const struct cli_run *r, const struct cli_query *q0)
{
	struct cli_query q = *q0;
	struct cli_out out;
	char *cursor = NULL, err[512];
	int code = -1;
	cli_out_init(&out, r->fmt, r->out);
	while (code < 0) {
		struct cli_http_res res;
		cli_http_res_init(&res, r->max_body);
		if (fetch(r, &q, &res) < 0) {
			code = CLI_EXIT_ERROR;
		} else if (cli_out_body(&out, (const char *)res.body.data, res.body.len, err,
		                        sizeof(err)) < 0) {
			not_json(r, &res, err);
			code = CLI_EXIT_ERROR;
		} else {
			int more = next_page(r, &res, &cursor);
			if (more <= 0)
				code = more < 0 ? CLI_EXIT_ERROR : cli_cmd_exit_for(out.results);
			q.cursor = cursor;
			q.offset = 0;
		}
		cli_http_res_fini(&res);
	}
	cli_out_flush(&out);
	if (code == CLI_EXIT_NONE && r->fmt == CLI_FMT_TABLE)
		log_warnx("no results");
	cli_out_fini(&out);
	free(cursor);
	return code;
}

static int run_summary(const struct cli_run *r, const struct cli_query *q)
{
	struct cli_http_res res;
	char err[512];
	uint64_t n = 0;
	int code = CLI_EXIT_ERROR;
	cli_http_res_init(&res, r->max_body);
	if (fetch(r, q, &res) == 0) {
		int rc = cli_out_summary(r->fmt, r->out, (const char *)res.body.data, res.body.len,
		                         &n, err, sizeof(err));
		if (rc == PD_EMALF)
			not_json(r, &res, err);
		else if (rc == 0)
			code = cli_cmd_exit_for(n);
	}
	cli_http_res_fini(&res);
	return code;
}

static int run_sites(const struct cli_run *r, const struct cli_query *q)
{
	struct cli_http_res res;
	char err[512];
	int code = CLI_EXIT_ERROR;
	cli_http_res_init(&res, r->max_body);
	if (fetch(r, q, &res) == 0) {
		int rc = cli_sites_print(r->fmt, r->out, (const char *)res.body.data, res.body.len,
		                         r->site, r->now, err, sizeof(err));
		if (rc == PD_EMALF)
			not_json(r, &res, err);
		else if (rc < 0)
			log_warnx("%s", err);
		else
			code = rc;
	}
	cli_http_res_fini(&res);
	return code;
}

int cli_cmd_run(const struct cli_run *r, const struct cli_query *q)
{
	int code;
	if (q->kind == CLI_SITES)
		code = run_sites(r, q);
	else
		code = q->summarize ? run_summary(r, q) : run_lookup(r, q);
	if (fflush(r->out) != 0 || ferror(r->out)) {
		log_warn("cannot write the output");
		code = CLI_EXIT_ERROR;
	}
	return code;
}
