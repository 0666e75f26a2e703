#include "query.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index.h"
#include "pd_codec.h"
#include "pd_err.h"
#include "pd_hash.h"
#include "pd_rr.h"
#include "pd_time.h"
#include "pd_wire.h"

#define QUERY_CHECK_EVERY 64

/* The scan: keys from start while they keep prefix (or stay <= end). */
struct scan {
	uint8_t family;
	uint8_t start[2 + 255 + 2 + 16];
	size_t start_len, prefix_len;
	int strictly_below; /* the byte after the prefix must not be 0 */
	uint8_t end[2 + 16];  /* REC_IP: the last address */
	size_t end_len;
};

/* Name part of a scan prefix: reversed or forward, with its root octet
 * unless a wildcard continues below or after it. */
static size_t scan_name(uint8_t *out, const struct query *q, int forward)
{
	size_t n = forward ? (memcpy(out, q->name, q->name_len), q->name_len)
	                   : rec_name_reverse(q->name, q->name_len, out);
	return q->wild == QW_NONE ? n : n - 1;
}

static int scan_plan(const struct query *q, struct scan *s)
{
	memset(s, 0, sizeof(*s));
	int right = q->wild == QW_RIGHT;
	switch (q->kind) {
	case Q_RRSET: s->family = right ? REC_FWD : REC_RRSET; break;
	case Q_NXDOMAIN:
		if (right)
			return PD_EMALF;
		s->family = REC_NEG;
		break;
	case Q_RDATA_NAME: s->family = right ? REC_RDNAMEF : REC_RDNAME; break;
	case Q_RDATA_IP: {
		size_t alen = q->ip_family == 4 ? 4 : 16;
		s->family = REC_IP;
		s->start[0] = s->end[0] = REC_IP;
		s->start[1] = s->end[1] = q->ip_family;
		memcpy(s->start + 2, q->ip_lo, alen);
		memcpy(s->end + 2, q->ip_hi, alen);
		s->start_len = s->end_len = 2 + alen;
		s->prefix_len = 2;
		return 0;
	}
	}
	s->start[0] = s->family;
	s->start_len = 1 + scan_name(s->start + 1, q, right || s->family == REC_FWD);
	s->strictly_below = q->wild != QW_NONE;
	/* An exact name with one type narrows the prefix further (the type
	 * follows the name in rrset and negative keys). */
	if (q->wild == QW_NONE && q->type >= 0 &&
	    (s->family == REC_RRSET || s->family == REC_NEG)) {
		pd_put_be16(s->start + s->start_len, (uint16_t)q->type);
		s->start_len += 2;
	}
	s->prefix_len = s->start_len;
	return 0;
}

/* 1 while key is inside the scan. */
static int scan_in(const struct scan *s, const uint8_t *k, size_t kl)
{
	if (s->end_len) {
		size_t n = kl < s->end_len ? kl : s->end_len;
		return kl >= s->end_len && memcmp(k, s->start, s->prefix_len) == 0 &&
		       memcmp(k, s->end, n) <= 0;
	}
	if (kl < s->prefix_len || memcmp(k, s->start, s->prefix_len) != 0)
		return 0;
	return 1;
}

static int type_matches(int32_t want, uint16_t type)
{
	if (want >= 0)
		return type == want;
	if (want == Q_TYPE_ANY)
		return 1;
	switch (type) {
	case PD_T_RRSIG: case PD_T_NSEC: case PD_T_NSEC3: case PD_T_DNSKEY: case PD_T_DS:
	case PD_T_CDS: case PD_T_CDNSKEY: case PD_T_NSEC3PARAM:
		return 1;
	default:
		return 0;
	}
}

static int fences_match(const struct query *q, int64_t first, int64_t last)
{
	if (q->has_fence[QF_FIRST_BEFORE] && first > q->fence[QF_FIRST_BEFORE])
		return 0;
	if (q->has_fence[QF_FIRST_AFTER] && first < q->fence[QF_FIRST_AFTER])
		return 0;
	if (q->has_fence[QF_LAST_BEFORE] && last > q->fence[QF_LAST_BEFORE])
		return 0;
	if (q->has_fence[QF_LAST_AFTER] && last < q->fence[QF_LAST_AFTER])
		return 0;
	return 1;
}

/* The owner's parent (the bailiwick Almanac reports) equals q's. */
static int bailiwick_matches(const struct query *q, const struct pd_obs *o)
{
	if (!q->has_bailiwick)
		return 1;
	if (o->name_len <= 1)
		return 0;
	size_t skip = 1u + o->name[0];
	return o->name_len - skip == q->bailiwick_len &&
	       memcmp(o->name + skip, q->bailiwick, q->bailiwick_len) == 0;
}

/* Figures of the row: the whole record's, or the chosen site's. */
static int row_figures(const struct query *q, const struct rec_val *v, struct pd_obs *o)
{
	if (!q->has_site) {
		o->count = v->count;
		o->first_s = v->first_s;
		o->last_s = v->last_s;
		return 1;
	}
	for (size_t i = 0; i < v->nsites; i++) {
		if (v->sites[i].site == q->site) {
			o->count = v->sites[i].count;
			o->first_s = v->sites[i].first_s;
			o->last_s = v->sites[i].last_s;
			return 1;
		}
	}
	return 0;
}

struct qstate {
	const struct query *q;
	const struct scan *sc;
	struct store *st;
	struct store_snap *snap;
	struct pd_buf val;
	uint8_t *tkey, *scratch, name[255];
	struct rec_site *sites;
	uint64_t skipped;
	int resumed; /* the cursor's key is behind us (or there is no cursor) */
};

/* Examines one key of the scan; 1 when it is a matching row (o and v set). */
static int query_row(struct qstate *s, const uint8_t *k, size_t kl, const uint8_t *iv, size_t ivl,
                     struct pd_obs *o, struct rec_val *v)
{
	const struct query *q = s->q;
	const uint8_t *tk = k, *val = iv;
	size_t tkl = kl, vl = ivl;
	if (k[0] != REC_RRSET && k[0] != REC_NEG) {
		int n = index_target(k, kl, s->tkey);
		if (n < 0)
			return 0;
		tk = s->tkey;
		tkl = (size_t)n;
	}
	if (rec_key_parse(tk, tkl, o, s->name) < 0 || !type_matches(q->type, o->type) ||
	    !bailiwick_matches(q, o))
		return 0;
	if (q->rdata_eq && (o->rdlen != q->rdata_eq_len ||
	                    memcmp(o->rdata, q->rdata_eq, o->rdlen) != 0))
		return 0;
	if ((k[0] == REC_RDNAME || k[0] == REC_RDNAMEF) && q->wild != QW_NONE &&
	    !index_rdname_first(k, kl, o, s->sc->start, s->sc->prefix_len, s->sc->strictly_below,
	                        s->scratch))
		return 0; /* met (or to be met) under another of its names */
	if (tk != k) {
		if (store_get(s->st, s->snap, tk, tkl, &s->val) != 1)
			return 0; /* an index entry whose record is not in this snapshot */
		val = s->val.data;
		vl = s->val.len;
	}
	if (rec_val_decode(val, vl, v, s->sites, REC_SITES_MAX) < 0 || !row_figures(q, v, o) ||
	    !fences_match(q, o->first_s, o->last_s))
		return 0;
	if (s->skipped < q->offset) {
		s->skipped++;
		return 0;
	}
	return 1;
}

static void query_summary(struct query_outcome *out, const struct pd_obs *o)
{
	out->count += o->count;
	if (out->rows == 0 || o->first_s < out->first_s)
		out->first_s = o->first_s;
	if (out->rows == 0 || o->last_s > out->last_s)
		out->last_s = o->last_s;
	out->rows++;
}

/* 1 once the answer holds all it may: one more matching row makes it limited. */
static int query_full(const struct query *q, const struct query_outcome *out)
{
	return (q->limit && out->rows >= q->limit) || (q->max_count && out->count >= q->max_count);
}

static void query_save_cursor(struct query_outcome *out, const uint8_t *k, size_t kl)
{
	if (kl > sizeof(out->cursor))
		kl = sizeof(out->cursor);
	memcpy(out->cursor, k, kl);
	out->cursor_len = kl;
}

static uint64_t cursor_hash(const uint8_t *k, size_t kl)
{
	return pd_hash(k, kl, 0x616c6d616e6163ull);
}

/* 1 for keys a resumed scan skips: the previous page's last key, and for
 * a hashed cursor the keys sharing its prefix up to that key (those the
 * previous pages covered, or that came since and sort before it). */
static int cursor_skip(struct qstate *s, const uint8_t *k, size_t kl)
{
	const struct query_cursor *c = s->q->cursor;
	if (s->resumed)
		return 0;
	if (!c->hashed) {
		s->resumed = 1;
		return kl == c->len && memcmp(k, c->key, kl) == 0;
	}
	if (kl < c->len || memcmp(k, c->key, c->len) != 0) {
		s->resumed = 1; /* past the prefix: the key is gone, carry on */
		return 0;
	}
	if (cursor_hash(k, kl) == c->hash)
		s->resumed = 1;
	return 1;
}

static int query_scan(struct qstate *s, struct store_iter *it, const struct scan *sc,
                      query_row_fn fn, void *ctx, struct query_outcome *out)
{
	const struct query *q = s->q;
	uint64_t deadline = q->budget_ms ? pd_now_ms() + q->budget_ms : 0;
	struct pd_obs o;
	struct rec_val v;
	for (; store_iter_valid(it); store_iter_next(it)) {
		size_t kl, vl;
		const uint8_t *k = store_iter_key(it, &kl);
		if (!scan_in(sc, k, kl))
			return 0;
		if (sc->strictly_below && (kl <= sc->prefix_len || k[sc->prefix_len] == 0))
			continue; /* the zone itself, not below it */
		if (cursor_skip(s, k, kl)) {
			query_save_cursor(out, k, kl); /* covered by the previous pages */
			continue;
		}
		if (deadline && ++out->examined % QUERY_CHECK_EVERY == 0 && pd_now_ms() > deadline) {
			out->result = QR_TIMEOUT;
			return 0;
		}
		const uint8_t *iv = store_iter_value(it, &vl);
		if (query_row(s, k, kl, iv, vl, &o, &v)) {
			if (query_full(q, out) || (fn && fn(ctx, &o, &v) != 0)) {
				out->result = QR_LIMITED; /* the cursor stays before this row */
				return 0;
			}
			query_summary(out, &o);
		}
		query_save_cursor(out, k, kl);
	}
	return store_iter_status(it, NULL, 0);
}

/* A cursor fits the scan when its key lies inside it. */
static int cursor_fits(const struct scan *sc, const struct query_cursor *c)
{
	return c->len >= sc->prefix_len && scan_in(sc, c->key, c->len);
}

int query_run(struct store *st, const struct query *q, query_row_fn fn, void *ctx,
              struct query_outcome *out)
{
	struct scan sc;
	/* Not the cursor bytes (64 KiB): cursor_len says what is set. */
	out->result = QR_COMPLETE;
	out->rows = out->examined = out->count = 0;
	out->cursor_len = 0;
	out->first_s = out->last_s = 0;
	int rc = scan_plan(q, &sc);
	if (rc < 0)
		return rc;
	if (q->cursor && !cursor_fits(&sc, q->cursor))
		return PD_EMALF; /* a cursor from another query */
	struct qstate s = { .q = q, .sc = &sc, .st = st, .resumed = !q->cursor };
	s.snap = store_snap_new(st);
	/* An exact name is a short range, asked again and again: cache it. */
	enum store_iter_use use = q->wild == QW_NONE && q->kind != Q_RDATA_IP ? STORE_LOOKUP
	                                                                      : STORE_SCAN;
	struct store_iter *it = s.snap ? store_iter_new(st, s.snap, use) : NULL;
	s.tkey = malloc(INDEX_KEY_MAX);
	s.scratch = malloc(INDEX_KEY_MAX);
	s.sites = malloc(REC_SITES_MAX * sizeof(*s.sites));
	pd_buf_init(&s.val, REC_VAL_FIXED + (size_t)REC_SITES_MAX * REC_VAL_PER_SITE);
	if (!it || !s.tkey || !s.scratch || !s.sites) {
		rc = it ? -12 : PD_ESTORE;
	} else {
		if (q->cursor)
			store_iter_seek(it, q->cursor->key, q->cursor->len);
		else
			store_iter_seek(it, sc.start, sc.start_len);
		out->result = QR_COMPLETE;
		rc = query_scan(&s, it, &sc, fn, ctx, out);
	}
	if (out->result == QR_COMPLETE)
		out->cursor_len = 0;
	else if (out->cursor_len == 0 && q->cursor)
		query_save_cursor(out, q->cursor->key, q->cursor->len); /* nothing consumed */
	pd_buf_fini(&s.val);
	free(s.tkey);
	free(s.scratch);
	free(s.sites);
	store_iter_free(it);
	store_snap_free(st, s.snap);
	return rc;
}

/*
 * Cursor text: base64url (no padding) of [1][0][key] for keys up to
 * QUERY_CURSOR_KEY bytes, [1][1][first QUERY_CURSOR_KEY bytes][hash be64]
 * for longer ones, so that a cursor always fits in a header.
 */
int query_cursor_encode(const struct query_outcome *o, char *out, size_t cap)
{
	uint8_t raw[2 + QUERY_CURSOR_KEY + 8];
	size_t n = 0, kl = o->cursor_len;
	int hashed = kl > QUERY_CURSOR_KEY;
	raw[n++] = 1;
	raw[n++] = (uint8_t)hashed;
	memcpy(raw + n, o->cursor, hashed ? QUERY_CURSOR_KEY : kl);
	n += hashed ? QUERY_CURSOR_KEY : kl;
	if (hashed) {
		uint64_t h = cursor_hash(o->cursor, kl);
		for (int i = 7; i >= 0; i--)
			raw[n++] = (uint8_t)(h >> (8 * i));
	}
	if (cap == 0)
		return PD_ESPACE;
	int t = pd_b64_encode(raw, n, out, cap - 1);
	if (t < 0)
		return t;
	/* base64url without padding: safe in a query string */
	for (int i = 0; i < t; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	}
	while (t > 0 && out[t - 1] == '=')
		t--;
	out[t] = 0;
	return t;
}

int query_cursor_decode(const char *text, size_t len, struct query_cursor *c)
{
	char tmp[QUERY_CURSOR_TEXT + 4];
	uint8_t raw[2 + QUERY_CURSOR_KEY + 8 + 3];
	if (len + 3 >= sizeof(tmp) || len % 4 == 1)
		return PD_EMALF;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '+' || text[i] == '/' || text[i] == '=')
			return PD_EMALF; /* base64url only, as encoded */
		tmp[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
	}
	while (len % 4)
		tmp[len++] = '=';
	int n = pd_b64_decode(tmp, len, raw, sizeof(raw));
	if (n < 3 || raw[0] != 1 || raw[1] > 1)
		return PD_EMALF;
	memset(c, 0, sizeof(*c));
	c->hashed = raw[1];
	c->len = (size_t)n - 2 - (c->hashed ? 8 : 0);
	if ((c->hashed && c->len != QUERY_CURSOR_KEY) || (!c->hashed && c->len > QUERY_CURSOR_KEY))
		return PD_EMALF;
	memcpy(c->key, raw + 2, c->len);
	for (int i = 0; c->hashed && i < 8; i++)
		c->hash = c->hash << 8 | raw[2 + c->len + (size_t)i];
	return 0;
}
