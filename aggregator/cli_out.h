/*
 * cli_out: what the analyst sees. Lookup results (COF lines) and summaries
 * as an aligned table, CSV or JSON lines; and the two building blocks the
 * sites view shares, a table and a CSV row writer.
 *
 * Table: columns padded to their widest cell (cells over CLI_TABLE_PAD
 * columns do not widen the column; the last column is never padded; empty
 * cells show as "-"), times
 * as "YYYY-MM-DD HH:MM:SS" UTC. Rows are held until cli_out_flush or until
 * CLI_TABLE_BATCH rows are waiting; widths only grow from one batch to the
 * next, so long answers stream with bounded memory.
 * CSV (RFC 4180 quoting; lines end in LF, for Unix tools): a header row,
 * then rrname,rrtype,rdata,count,time_first,time_last,sites; times as in
 * the table; sites as "fra:10 ams:2" (site and its count, in the server's
 * order); fields with commas, quotes, spaces at either end or line breaks
 * are quoted. Missing values are empty cells.
 * JSON: the server's lines as received (each checked to be a JSON object).
 *
 * Table and CSV cells are display text (cli_json_text): no control
 * characters reach the terminal. The FILE is borrowed; not thread-safe.
 */
#ifndef AGG_CLI_OUT_H
#define AGG_CLI_OUT_H

#include <stdint.h>
#include <stdio.h>

#include "cli_json.h"
#include "pd_buf.h"

enum cli_fmt { CLI_FMT_TABLE, CLI_FMT_JSON, CLI_FMT_CSV };

#define CLI_TABLE_MAXCOLS 16
#define CLI_TABLE_PAD 64
#define CLI_TABLE_BATCH 5000

struct cli_table {
	size_t ncols;
	const char *const *heads;
	const unsigned char *right; /* 1: right-aligned column; NULL: none */
	char **rows;                /* each ncols NUL-terminated cells */
	size_t nrows, cap;
	size_t width[CLI_TABLE_MAXCOLS];
	int header_done;
};

void cli_table_init(struct cli_table *t, size_t ncols, const char *const *heads,
                    const unsigned char *right);
/* Takes a copy of cells: ncols NUL-terminated strings back to back, len
 * bytes in all (PD_EMALF when they are not). */
int cli_table_add(struct cli_table *t, const char *cells, size_t len);
/* Writes the header (once) and the waiting rows. */
int cli_table_flush(struct cli_table *t, FILE *f);
void cli_table_fini(struct cli_table *t);

/* One CSV row from ncols NUL-terminated cells back to back. */
int cli_csv_row(FILE *f, const char *cells, size_t ncols);

struct cli_out {
	enum cli_fmt fmt;
	FILE *f;
	uint64_t results;
	int csv_header_done;
	struct cli_json j;
	struct cli_table table;
	struct pd_buf cells;
};

void cli_out_init(struct cli_out *o, enum cli_fmt fmt, FILE *f);
void cli_out_fini(struct cli_out *o);

/*
 * One response body of COF lines (blank lines skipped). Returns 0, or
 * PD_EMALF with "line N, byte B: what" in err when a line is not a JSON
 * object; lines before it have been written.
 */
int cli_out_body(struct cli_out *o, const char *body, size_t len, char *err, size_t errlen);

/* Writes what is waiting (and the CSV header if no row came). */
int cli_out_flush(struct cli_out *o);

/* Appends the display cells of one COF object (token obj of j). */
int cli_out_cof_cells(const struct cli_json *j, int obj, struct pd_buf *cells);

/*
 * A summarize answer (one object: count, num_results, time_first,
 * time_last). Table: "name  value" lines; CSV: header and one row; JSON:
 * as received. *num_results gets num_results (0 when absent). Returns 0 or
 * PD_EMALF with a message.
 */
int cli_out_summary(enum cli_fmt fmt, FILE *f, const char *body, size_t len,
                    uint64_t *num_results, char *err, size_t errlen);

#endif
