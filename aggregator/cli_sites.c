#include "cli_sites.h"

#include <string.h>

#include "cli_json.h"
#include "cli_time.h"
#include "pd_err.h"

enum col_kind { K_STR, K_AGO, K_RATE, K_PCT, K_BYTES, K_INT };

/* The columns after SITE: JSON member, table header, rendering. */
static const struct site_col {
	const char *key, *head;
	enum col_kind kind;
} cols[] = {
	{ "status", "STATUS", K_STR },
	{ "last_contact", "LAST CONTACT", K_AGO },
	{ "packets_per_s", "PKTS/S", K_RATE },
	{ "drop_pct", "DROP%", K_PCT },
	{ "spool_bytes", "SPOOL", K_BYTES },
	{ "spool_batches", "BATCHES", K_INT },
	{ "observations_per_s", "OBS/S", K_RATE },
	{ "reason", "REASON", K_STR },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

int cli_sites_level(const char *status)
{
	if (!strcmp(status, "ok"))
		return 0;
	if (!strcmp(status, "degraded"))
		return 1;
	return 2;
}

static int human_bytes(struct pd_buf *b, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	return u ? pd_buf_addf(b, "%.1f %s", v, units[u]) : pd_buf_addf(b, "%.0f B", v);
}

/* Table cell for column c of object obj (nothing appended when absent). */
static int table_cell(const struct cli_json *j, int obj, const struct site_col *c,
                      int64_t now, struct pd_buf *b)
{
	double d;
	int64_t t;
	switch (c->kind) {
	case K_AGO:
		if (cli_json_member_i64(j, obj, c->key, &t) == 0 && t <= 0)
			return pd_buf_adds(b, "never");
		if (cli_json_member_i64(j, obj, c->key, &t) == 0) {
			char s[CLI_TIME_LEN], age[32];
			cli_time_fmt(t, s);
			cli_age_fmt(now - t, age, sizeof(age));
			return pd_buf_addf(b, "%s (%s ago)", s, age);
		}
		break;
	case K_RATE:
		if (cli_json_member_double(j, obj, c->key, &d) == 0)
			return pd_buf_addf(b, d < 100 ? "%.1f" : "%.0f", d);
		break;
	case K_PCT:
		if (cli_json_member_double(j, obj, c->key, &d) == 0)
			return pd_buf_addf(b, "%.2f", d);
		break;
	case K_BYTES:
		if (cli_json_member_double(j, obj, c->key, &d) == 0)
			return human_bytes(b, d);
		break;
	case K_STR:
	case K_INT:
		break;
	}
	int rc = cli_json_member_text(j, obj, c->key, b);
	return rc < 0 ? rc : 0;
}

/* CSV cell: times as in the table (UTC; empty for never), the rest as sent. */
static int csv_cell(const struct cli_json *j, int obj, const struct site_col *c,
                    struct pd_buf *b)
{
	int64_t t;
	if (c->kind == K_AGO && cli_json_member_i64(j, obj, c->key, &t) == 0) {
		char s[CLI_TIME_LEN];
		if (t <= 0)
			return 0; /* never */
		cli_time_fmt(t, s);
		return pd_buf_adds(b, s);
	}
	int rc = cli_json_member_text(j, obj, c->key, b);
	return rc < 0 ? rc : 0;
}

struct view {
	enum cli_fmt fmt;
	FILE *f;
	const struct cli_json *j;
	int64_t now;
	struct cli_table table;
	struct pd_buf cells;
};

/* One row: a site (sensor < 0) or one of its sensors. */
static int row(struct view *v, int site, int sensor)
{
	const struct cli_json *j = v->j;
	int obj = sensor >= 0 ? sensor : site;
	struct pd_buf *b = &v->cells;
	pd_buf_reset(b);
	int rc = 0;
	if (v->fmt == CLI_FMT_TABLE && sensor >= 0)
		rc = pd_buf_adds(b, "  ");
	if (rc == 0)
		rc = cli_json_member_text(j, site, "site", b);
	if (rc >= 0 && v->fmt == CLI_FMT_TABLE && sensor >= 0)
		rc = pd_buf_addc(b, '/');
	if (rc >= 0 && v->fmt == CLI_FMT_CSV)
		rc = pd_buf_addc(b, 0);
	if (rc >= 0 && sensor >= 0)
		rc = cli_json_member_text(j, sensor, "sensor", b);
	if (rc >= 0)
		rc = pd_buf_addc(b, 0);
	for (size_t c = 0; rc >= 0 && c < NCOLS; c++) {
		rc = v->fmt == CLI_FMT_CSV ? csv_cell(j, obj, &cols[c], b)
		                           : table_cell(j, obj, &cols[c], v->now, b);
		if (rc == 0)
			rc = pd_buf_addc(b, 0);
	}
	if (rc < 0)
		return rc;
	if (v->fmt == CLI_FMT_CSV)
		return cli_csv_row(v->f, (const char *)b->data, NCOLS + 2);
	return cli_table_add(&v->table, (const char *)b->data, b->len);
}

static int site_rows(struct view *v, int site)
{
	int rc = row(v, site, -1);
	int sensors = cli_json_get(v->j, site, "sensors");
	if (sensors < 0 || v->j->t[sensors].type != PD_JSON_ARRAY)
		return rc;
	for (int s = pd_json_child(v->j->t, v->j->n, sensors); rc == 0 && s >= 0;
	     s = pd_json_next(v->j->t, v->j->n, s))
		if (v->j->t[s].type == PD_JSON_OBJECT)
			rc = row(v, site, s);
	return rc;
}

static int member_is(const struct cli_json *j, int obj, const char *key, const char *want)
{
	int i = cli_json_get(j, obj, key);
	return i >= 0 && j->t[i].type == PD_JSON_STRING && pd_json_str_eq(j->s, &j->t[i], want);
}

static int site_level(const struct cli_json *j, int site)
{
	struct pd_buf st;
	pd_buf_init(&st, 256);
	int got = cli_json_member_text(j, site, "status", &st);
	int level = got > 0 ? cli_sites_level(pd_buf_cstr(&st)) : 2;
	pd_buf_fini(&st);
	return level;
}

static void json_one(FILE *f, const struct cli_json *j, int site)
{
	int gen = cli_json_get(j, 0, "generated");
	fputc('{', f);
	if (gen >= 0)
		fprintf(f, "\"generated\":%.*s,", (int)(j->t[gen].end - j->t[gen].start),
		        j->s + j->t[gen].start);
	fprintf(f, "\"sites\":[%.*s]}\n", (int)(j->t[site].end - j->t[site].start),
	        j->s + j->t[site].start);
}

static int walk(struct view *v, int arr, const char *only_site, const char *body, size_t len,
                char *err, size_t errlen)
{
	const struct cli_json *j = v->j;
	int level = 0, found = 0, rc = 0;
	for (int s = pd_json_child(j->t, j->n, arr); rc == 0 && s >= 0;
	     s = pd_json_next(j->t, j->n, s)) {
		if (j->t[s].type != PD_JSON_OBJECT)
			continue;
		if (only_site && !member_is(j, s, "site", only_site))
			continue;
		found++;
		int l = site_level(j, s);
		level = l > level ? l : level;
		if (v->fmt == CLI_FMT_JSON && only_site)
			json_one(v->f, j, s);
		else if (v->fmt != CLI_FMT_JSON)
			rc = site_rows(v, s);
	}
	if (rc < 0) {
		snprintf(err, errlen, "sites: %s", pd_strerror(rc));
		return rc;
	}
	if (only_site && !found) {
		snprintf(err, errlen, "site '%s' is not in the server's list", only_site);
		return PD_ENOTFOUND;
	}
	if (v->fmt == CLI_FMT_JSON && !only_site) {
		fwrite(body, 1, len, v->f);
		if (len && body[len - 1] != '\n')
			fputc('\n', v->f);
	}
	if (v->fmt == CLI_FMT_TABLE)
		cli_table_flush(&v->table, v->f);
	return level;
}

int cli_sites_print(enum cli_fmt fmt, FILE *f, const char *body, size_t len,
                    const char *only_site, int64_t now, char *err, size_t errlen)
{
	const char *heads[NCOLS + 1];
	struct cli_json j;
	struct view v = { fmt, f, &j, now, { 0 }, { 0 } };
	int64_t gen;
	cli_json_init(&j);
	int rc = cli_json_parse(&j, body, len), arr = -1;
	if (rc == 0 && j.t[0].type == PD_JSON_OBJECT)
		arr = cli_json_get(&j, 0, "sites");
	if (arr < 0 || j.t[arr].type != PD_JSON_ARRAY) {
		snprintf(err, errlen, "the answer is not a JSON object with a \"sites\" array");
		cli_json_fini(&j);
		return PD_EMALF;
	}
	if (cli_json_member_i64(&j, 0, "generated", &gen) == 0)
		v.now = gen;
	heads[0] = "SITE";
	for (size_t c = 0; c < NCOLS; c++)
		heads[c + 1] = cols[c].head;
	unsigned char right[NCOLS + 1] = { 0 };
	for (size_t c = 0; c < NCOLS; c++)
		right[c + 1] = cols[c].kind != K_STR && cols[c].kind != K_AGO;
	cli_table_init(&v.table, NCOLS + 1, heads, right);
	pd_buf_init(&v.cells, 1u << 20);
	if (fmt == CLI_FMT_CSV) {
		pd_buf_add(&v.cells, "site\0sensor", 12);
		for (size_t c = 0; c < NCOLS; c++)
			pd_buf_add(&v.cells, cols[c].key, strlen(cols[c].key) + 1);
		cli_csv_row(f, (const char *)v.cells.data, NCOLS + 2);
	}
	rc = walk(&v, arr, only_site, body, len, err, errlen);
	fflush(f);
	cli_table_fini(&v.table);
	pd_buf_fini(&v.cells);
	cli_json_fini(&j);
	return rc;
}
