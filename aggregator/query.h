/*
 * query: the engine behind the query APIs. Every question is one range
 * scan of one key family (record.h, index.h) inside a LevelDB snapshot:
 *
 *   rrset NAME          REC_RRSET   prefix [reversed NAME]
 *   rrset *.ZONE        REC_RRSET   prefix [reversed ZONE], strictly below
 *   rrset LABELS.*      REC_FWD     prefix [LABELS], strictly longer
 *   rdata name ...      REC_RDNAME / REC_RDNAMEF, the same three forms
 *   rdata ip A/L, A-B   REC_IP      [family][address] range
 *   nxdomain NAME, *.Z  REC_NEG     prefix
 *
 * Index entries are joined to their REC_RRSET record. Each candidate is
 * filtered (type, site, the four time fences, bailiwick), then offset and
 * limit apply. A wildcard rdata-name scan can meet one tuple under several
 * of its names (an SOA's mname and rname in one zone): it is a row only at
 * the first of them. The scan stops at the limit (or max_count, or when
 * the row callback refuses a row) and says "limited" only when another
 * matching row exists; it stops at the time budget saying "timeout". The
 * cursor is the last key consumed (a row given to the callback or a key
 * that did not match), so the next page starts right after it: no row
 * twice, none lost, stable while ingest goes on (keys only get added).
 * Thread-safe: each call has its own snapshot and iterator.
 */
#ifndef AGG_QUERY_H
#define AGG_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "pd_obs.h"
#include "record.h"
#include "store.h"

enum query_kind { Q_RRSET, Q_RDATA_NAME, Q_RDATA_IP, Q_NXDOMAIN };
enum query_wild { QW_NONE, QW_LEFT, QW_RIGHT };

#define Q_TYPE_ANY (-1)
#define Q_TYPE_ANY_DNSSEC (-2)
#define QUERY_CURSOR_MAX (REC_KEY_MAX + 520)
/* Cursor keys longer than this travel as this many bytes and a hash. */
#define QUERY_CURSOR_KEY 512
/* Text of an encoded cursor, with its NUL. */
#define QUERY_CURSOR_TEXT ((2 + QUERY_CURSOR_KEY + 8 + 2) / 3 * 4 + 1)

/* Where a page resumes: the previous page's last key, or for a long key
 * its first QUERY_CURSOR_KEY bytes and a hash of the whole key. */
struct query_cursor {
	uint8_t key[QUERY_CURSOR_KEY];
	size_t len;
	int hashed;
	uint64_t hash;
};

enum query_fence { QF_FIRST_BEFORE, QF_FIRST_AFTER, QF_LAST_BEFORE, QF_LAST_AFTER, QF__COUNT };

struct query {
	enum query_kind kind;
	enum query_wild wild;
	uint8_t name[255];      /* canonical wire name (zone for wildcards) */
	size_t name_len;
	int32_t type;           /* an RR type, Q_TYPE_ANY or Q_TYPE_ANY_DNSSEC */
	uint8_t ip_family;      /* 4 or 6 */
	uint8_t ip_lo[16], ip_hi[16];
	int has_fence[QF__COUNT];
	int64_t fence[QF__COUNT]; /* absolute epoch seconds */
	int has_site;
	uint32_t site;
	int has_bailiwick;      /* the owner's parent must equal bailiwick */
	uint8_t bailiwick[255];
	size_t bailiwick_len;
	const uint8_t *rdata_eq; /* raw lookups: the canonical rdata must be this */
	size_t rdata_eq_len;
	uint64_t limit, offset;  /* rows; limit 0: no limit */
	uint64_t max_count;     /* stop once the rows' counts sum to this (0: no cap) */
	const struct query_cursor *cursor; /* from query_cursor_decode, or NULL */
	uint64_t budget_ms;
};

enum query_result { QR_COMPLETE, QR_LIMITED, QR_TIMEOUT };

struct query_outcome {
	enum query_result result;
	uint64_t rows, examined;
	uint8_t cursor[QUERY_CURSOR_MAX]; /* set unless complete */
	size_t cursor_len;
	/* summary over the matching rows (summarize: limit is max_count) */
	uint64_t count;
	int64_t first_s, last_s;
};

/* A matching row: o holds the tuple and the (site-filtered) figures; v
 * the record's per-site figures. Return non-zero to refuse the row and
 * stop: the answer is limited and the cursor stays before this row. */
typedef int (*query_row_fn)(void *ctx, const struct pd_obs *o, const struct rec_val *v);

/* Runs q; fn may be NULL (summarize). Returns 0 or PD_ESTORE / PD_EMALF. */
int query_run(struct store *st, const struct query *q, query_row_fn fn, void *ctx,
              struct query_outcome *out);

/* The opaque cursor of an outcome as NUL-terminated text (base64url) into
 * out (cap, QUERY_CURSOR_TEXT suffices); returns its length or PD_ESPACE. */
int query_cursor_encode(const struct query_outcome *o, char *out, size_t cap);
/* Decodes a cursor given by a client: 0 or PD_EMALF. */
int query_cursor_decode(const char *text, size_t len, struct query_cursor *c);

#endif
