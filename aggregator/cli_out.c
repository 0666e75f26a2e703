#include "cli_out.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli_time.h"
#include "pd_err.h"

/* ---- table ---------------------------------------------------------- */

void cli_table_init(struct cli_table *t, size_t ncols, const char *const *heads,
                    const unsigned char *right)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols > CLI_TABLE_MAXCOLS ? CLI_TABLE_MAXCOLS : ncols;
	t->heads = heads;
	t->right = right;
	for (size_t c = 0; c < t->ncols; c++)
		t->width[c] = strlen(heads[c]);
}

/* An empty cell shows as "-". */
static const char *cell_text(const char *s)
{
	return *s ? s : "-";
}

/* Terminal columns of a UTF-8 cell (one per code point). */
static size_t cell_width(const char *s)
{
	size_t w = 0;
	for (s = cell_text(s); *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

int cli_table_add(struct cli_table *t, const char *cells, size_t len)
{
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64;
		char **r = realloc(t->rows, ncap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		t->rows = r;
		t->cap = ncap;
	}
	size_t nuls = 0;
	for (size_t i = 0; i < len; i++)
		nuls += cells[i] == 0;
	if (!len || nuls < t->ncols || cells[len - 1])
		return PD_EMALF;
	char *row = malloc(len);
	if (!row)
		return -ENOMEM;
	memcpy(row, cells, len);
	const char *c = row;
	for (size_t i = 0; i < t->ncols; i++, c += strlen(c) + 1) {
		size_t w = cell_width(c);
		if (w > t->width[i] && w <= CLI_TABLE_PAD)
			t->width[i] = w;
	}
	t->rows[t->nrows++] = row;
	return 0;
}

static void table_line(const struct cli_table *t, FILE *f, const char *const *cells)
{
	for (size_t i = 0; i < t->ncols; i++) {
		int last = i + 1 == t->ncols;
		size_t w = cell_width(cells[i]);
		size_t pad = w < t->width[i] ? t->width[i] - w : 0;
		int right = t->right && t->right[i];
		if (i)
			fputs("  ", f);
		if (right)
			fprintf(f, "%*s", (int)pad, "");
		fputs(cell_text(cells[i]), f);
		if (!right && !last)
			fprintf(f, "%*s", (int)pad, "");
	}
	fputc('\n', f);
}

int cli_table_flush(struct cli_table *t, FILE *f)
{
	const char *cells[CLI_TABLE_MAXCOLS];
	if (!t->header_done && t->nrows) {
		table_line(t, f, t->heads);
		t->header_done = 1;
	}
	for (size_t r = 0; r < t->nrows; r++) {
		const char *c = t->rows[r];
		for (size_t i = 0; i < t->ncols; i++, c += strlen(c) + 1)
			cells[i] = c;
		table_line(t, f, cells);
		free(t->rows[r]);
	}
	t->nrows = 0;
	return ferror(f) ? -EIO : 0;
}

void cli_table_fini(struct cli_table *t)
{
	for (size_t r = 0; r < t->nrows; r++)
		free(t->rows[r]);
	free(t->rows);
	t->rows = NULL;
	t->nrows = t->cap = 0;
}

int cli_csv_row(FILE *f, const char *cells, size_t ncols)
{
	const char *c = cells;
	for (size_t i = 0; i < ncols; i++, c += strlen(c) + 1) {
		size_t n = strlen(c);
		int quote = strpbrk(c, ",\"\r\n") != NULL ||
		            (n && (c[0] == ' ' || c[n - 1] == ' '));
		if (i)
			fputc(',', f);
		if (!quote) {
			fputs(c, f);
			continue;
		}
		fputc('"', f);
		for (const char *p = c; *p; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	}
	fputs("\n", f);
	return ferror(f) ? -EIO : 0;
}

/* ---- COF lines -------------------------------------------------------- */

static const char *const cof_heads[] = {
	"RRNAME", "TYPE", "RDATA", "COUNT", "FIRST SEEN", "LAST SEEN", "SITES",
};
static const unsigned char cof_right[] = { 0, 0, 0, 1, 0, 0, 0 };
static const char cof_csv_header[] = "rrname\0rrtype\0rdata\0count\0time_first\0time_last\0sites";
#define COF_COLS 7

void cli_out_init(struct cli_out *o, enum cli_fmt fmt, FILE *f)
{
	memset(o, 0, sizeof(*o));
	o->fmt = fmt;
	o->f = f;
	cli_json_init(&o->j);
	cli_table_init(&o->table, COF_COLS, cof_heads, cof_right);
	pd_buf_init(&o->cells, 64u << 20);
}

void cli_out_fini(struct cli_out *o)
{
	cli_json_fini(&o->j);
	cli_table_fini(&o->table);
	pd_buf_fini(&o->cells);
}

static int time_cell(const struct cli_json *j, int obj, const char *key, struct pd_buf *b)
{
	int64_t t;
	if (cli_json_member_i64(j, obj, key, &t) == 0) {
		char s[CLI_TIME_LEN];
		cli_time_fmt(t, s);
		return pd_buf_adds(b, s);
	}
	int rc = cli_json_member_text(j, obj, key, b);
	return rc < 0 ? rc : 0;
}

/* "fra:10 ams:2" from {"fra":{"count":10,...},"ams":{...}}. */
static int sites_cell(const struct cli_json *j, int obj, struct pd_buf *b)
{
	int sites = cli_json_get(j, obj, "sites");
	if (sites < 0 || j->t[sites].type != PD_JSON_OBJECT)
		return 0;
	int rc = 0, first = 1;
	for (int k = pd_json_child(j->t, j->n, sites); rc == 0 && k >= 0;
	     k = pd_json_next(j->t, j->n, k + 1)) {
		if (!first)
			rc = pd_buf_addc(b, ' ');
		first = 0;
		if (rc == 0)
			rc = cli_json_text(j, k, b);
		int cnt = cli_json_get(j, k + 1, "count");
		if (rc == 0 && cnt >= 0 && j->t[cnt].type == PD_JSON_NUMBER) {
			rc = pd_buf_addc(b, ':');
			if (rc == 0)
				rc = cli_json_text(j, cnt, b);
		}
	}
	return rc;
}

int cli_out_cof_cells(const struct cli_json *j, int obj, struct pd_buf *cells)
{
	static const char *const text_keys[] = { "rrname", "rrtype", "rdata", "count" };
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < 4; i++) {
		int got = cli_json_member_text(j, obj, text_keys[i], cells);
		rc = got < 0 ? got : pd_buf_addc(cells, 0);
	}
	if (rc == 0)
		rc = time_cell(j, obj, "time_first", cells);
	if (rc == 0)
		rc = pd_buf_addc(cells, 0);
	if (rc == 0)
		rc = time_cell(j, obj, "time_last", cells);
	if (rc == 0)
		rc = pd_buf_addc(cells, 0);
	if (rc == 0)
		rc = sites_cell(j, obj, cells);
	if (rc == 0)
		rc = pd_buf_addc(cells, 0);
	return rc;
}

static int out_line(struct cli_out *o, const char *line, size_t n)
{
	if (o->fmt == CLI_FMT_JSON) {
		fwrite(line, 1, n, o->f);
		fputc('\n', o->f);
		return 0;
	}
	pd_buf_reset(&o->cells);
	int rc = cli_out_cof_cells(&o->j, 0, &o->cells);
	if (rc < 0)
		return rc;
	if (o->fmt == CLI_FMT_CSV) {
		if (!o->csv_header_done) {
			cli_csv_row(o->f, cof_csv_header, COF_COLS);
			o->csv_header_done = 1;
		}
		return cli_csv_row(o->f, (const char *)o->cells.data, COF_COLS);
	}
	if ((rc = cli_table_add(&o->table, (const char *)o->cells.data, o->cells.len)) < 0)
		return rc;
	return o->table.nrows >= CLI_TABLE_BATCH ? cli_table_flush(&o->table, o->f) : 0;
}

int cli_out_body(struct cli_out *o, const char *body, size_t len, char *err, size_t errlen)
{
	size_t lineno = 0;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(body + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - body) : len, n = end - pos;
		const char *line = body + pos;
		pos = nl ? end + 1 : len;
		lineno++;
		if (n && line[n - 1] == '\r')
			n--;
		size_t blank = 0;
		while (blank < n && (line[blank] == ' ' || line[blank] == '\t'))
			blank++;
		if (blank == n)
			continue;
		int rc = cli_json_parse(&o->j, line, n);
		if (rc == 0 && o->j.t[0].type != PD_JSON_OBJECT) {
			o->j.err.off = 0;
			o->j.err.what = "expected a JSON object";
			rc = PD_EMALF;
		}
		if (rc < 0) {
			size_t l, b;
			pd_json_where(line, o->j.err.off, &l, &b);
			snprintf(err, errlen, "line %zu, byte %zu: %s", lineno, b,
			         rc == PD_EMALF ? o->j.err.what : pd_strerror(rc));
			return PD_EMALF;
		}
		if ((rc = out_line(o, line, n)) < 0) {
			snprintf(err, errlen, "line %zu: %s", lineno, pd_strerror(rc));
			return rc;
		}
		o->results++;
	}
	return 0;
}

int cli_out_flush(struct cli_out *o)
{
	if (o->fmt == CLI_FMT_CSV && !o->csv_header_done) {
		cli_csv_row(o->f, cof_csv_header, COF_COLS);
		o->csv_header_done = 1;
	}
	if (o->fmt == CLI_FMT_TABLE)
		cli_table_flush(&o->table, o->f);
	fflush(o->f);
	return ferror(o->f) ? -EIO : 0;
}

/* ---- summarize -------------------------------------------------------- */

int cli_out_summary(enum cli_fmt fmt, FILE *f, const char *body, size_t len,
                    uint64_t *num_results, char *err, size_t errlen)
{
	static const char *const keys[] = { "count", "num_results", "time_first", "time_last" };
	static const char *const labels[] = { "count", "num_results", "first seen", "last seen" };
	struct cli_json j;
	struct pd_buf cells;
	cli_json_init(&j);
	pd_buf_init(&cells, 1u << 20);
	int rc = cli_json_parse(&j, body, len);
	if (rc == 0 && j.t[0].type != PD_JSON_OBJECT)
		rc = PD_EMALF;
	if (rc < 0) {
		snprintf(err, errlen, "the summary is not a JSON object");
		goto out;
	}
	int64_t v;
	*num_results = cli_json_member_i64(&j, 0, "num_results", &v) == 0 && v > 0
	                   ? (uint64_t)v : 0;
	for (size_t i = 0; rc == 0 && i < 4; i++) {
		rc = i >= 2 ? time_cell(&j, 0, keys[i], &cells)
		            : cli_json_member_text(&j, 0, keys[i], &cells);
		if (rc >= 0)
			rc = pd_buf_addc(&cells, 0);
	}
	if (rc < 0) {
		snprintf(err, errlen, "summary: %s", pd_strerror(rc));
		goto out;
	}
	if (fmt == CLI_FMT_JSON) {
		fwrite(body, 1, len, f);
		if (len && body[len - 1] != '\n')
			fputc('\n', f);
	} else if (fmt == CLI_FMT_CSV) {
		cli_csv_row(f, "count\0num_results\0time_first\0time_last", 4);
		cli_csv_row(f, (const char *)cells.data, 4);
	} else {
		const char *c = (const char *)cells.data;
		for (size_t i = 0; i < 4; i++, c += strlen(c) + 1)
			fprintf(f, "%-12s %s\n", labels[i], *c ? c : "-");
	}
	fflush(f);
	rc = ferror(f) ? -EIO : 0;
out:
	cli_json_fini(&j);
	pd_buf_fini(&cells);
	return rc;
}
