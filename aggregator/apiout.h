/*
 * apiout: writes query answers: native COF JSON lines with per-site
 * provenance, DNSDB SAF framing with DNSDB's objects (rrset lookups group
 * consecutive tuples of one name and type into one object whose rdata is
 * an array; limit and offset then count those objects, and an RRset is
 * never cut: one that does not fit is left out and the answer is
 * limited), and the summaries of both. The cursor header is the native
 * API's (DNSDB pages with offset).
 */
#ifndef AGG_APIOUT_H
#define AGG_APIOUT_H

#include "api.h"
#include "query.h"

struct apiout {
	struct api_resp *rs;
	struct sites *sites;
	const struct query *q;
	int dnsdb, humantime, group_rrsets;
	size_t max_body;
	int full; /* the body reached max_body */
	/* DNSDB rrset grouping: the open object */
	int open, skip;         /* a group is open; it is before the offset */
	uint64_t groups;        /* groups started */
	uint64_t g_offset, g_limit; /* the window of groups (limit 0: none) */
	uint8_t name[255];
	size_t name_len;
	uint16_t type;
	uint64_t count;
	int64_t first_s, last_s;
	struct pd_buf rdata; /* ,"..." items */
};

void apiout_init(struct apiout *ao, struct api_resp *rs, struct sites *sites,
                 const struct query *q, int dnsdb, int humantime, size_t max_body);
void apiout_fini(struct apiout *ao);
/* Grouped answers: skip offset groups, then write limit groups at most. */
void apiout_window(struct apiout *ao, uint64_t offset, uint64_t limit);
/* A query_row_fn. */
int apiout_row(void *ctx, const struct pd_obs *o, const struct rec_val *v);
/* Finishes a lookup's answer: last group, SAF end line or native headers. */
void apiout_end(struct apiout *ao, const struct query_outcome *out);
/* The whole answer of a summarize query. */
void apiout_summary(struct apiout *ao, const struct query_outcome *out);

#endif
