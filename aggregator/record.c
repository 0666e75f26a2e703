#include "record.h"

#include <string.h>

#include "pd_err.h"
#include "pd_varint.h"
#include "pd_wire.h"

size_t rec_name_reverse(const uint8_t *name, size_t len, uint8_t *out)
{
	/* Labels of name (without its root) are copied to the end of out,
	 * moving backwards, so the last label comes first. */
	size_t w = len - 1;
	out[w] = 0;
	for (size_t i = 0; i < len - 1 && name[i] != 0;) {
		size_t l = 1u + name[i];
		w -= l;
		memcpy(out + w, name + i, l);
		i += l;
	}
	return len;
}

size_t rec_key_tuple(uint8_t *out, const struct pd_obs *o)
{
	out[0] = (o->flags & PD_OBS_NXDOMAIN) ? REC_NEG : REC_RRSET;
	rec_name_reverse(o->name, o->name_len, out + 1);
	size_t n = 1 + o->name_len;
	pd_put_be16(out + n, o->type);
	n += 2;
	if (o->rdlen) {
		memcpy(out + n, o->rdata, o->rdlen);
		n += o->rdlen;
	}
	return n;
}

int rec_key_parse(const uint8_t *key, size_t len, struct pd_obs *o, uint8_t *namebuf)
{
	if (len < 4 || (key[0] != REC_RRSET && key[0] != REC_NEG))
		return PD_EMALF;
	size_t i = 1;
	while (i < len && key[i] != 0) {
		if (key[i] > 63)
			return PD_EMALF;
		i += 1u + key[i];
	}
	size_t nlen = i - 1 + 1;
	if (i >= len || nlen > 255 || len - i - 1 < 2)
		return PD_EMALF;
	rec_name_reverse(key + 1, nlen, namebuf);
	memset(o, 0, sizeof(*o));
	o->name = namebuf;
	o->name_len = nlen;
	o->type = pd_be16(key + i + 1);
	o->flags = key[0] == REC_NEG ? PD_OBS_NXDOMAIN : 0;
	o->rdlen = len - i - 3;
	o->rdata = o->rdlen ? key + i + 3 : NULL;
	if (o->flags && o->rdlen)
		return PD_EMALF;
	return 0;
}


static int get_figs(const uint8_t *p, size_t len, size_t *pos, uint64_t *count, int64_t *first,
                    int64_t *last)
{
	uint64_t c, f, d;
	if (pd_get_var(p, len, pos, &c) < 0 || pd_get_var(p, len, pos, &f) < 0 ||
	    pd_get_var(p, len, pos, &d) < 0)
		return PD_EMALF;
	*count = c;
	*first = pd_unzigzag(f);
	/* In unsigned arithmetic: a last beyond INT64_MAX is corrupt, and
	 * first + d must not overflow as a signed sum. */
	if (d > (uint64_t)INT64_MAX - (uint64_t)*first)
		return PD_EMALF;
	*last = (int64_t)((uint64_t)*first + d);
	return 0;
}

static size_t put_figs(uint8_t *p, uint64_t count, int64_t first, int64_t last)
{
	size_t n = pd_put_var(p, count);
	n += pd_put_var(p + n, pd_zigzag(first));
	n += pd_put_var(p + n, (uint64_t)last - (uint64_t)first); /* no signed overflow */
	return n;
}

size_t rec_val_bound(size_t oldlen)
{
	/* A one-site value can grow into the full form (its figures twice),
	 * and a site-delta value is written in the full form first, where a
	 * site's first time of one byte can take ten (a site's entry is at
	 * least four): four times the old length bounds both. */
	return 4 * oldlen + REC_VAL_FIXED + REC_VAL_PER_SITE;
}

static size_t var_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Reading a value of either form, its sites one at a time. */
struct val_rd {
	const uint8_t *v;
	size_t len, pos;
	uint64_t count, nsites, one_site;
	int64_t first, last;
	int one;   /* REC_VAL_ONE: the site's figures are the totals */
	int delta; /* REC_VAL_DELTA: sites' first times after the tuple's */
};

static int val_open(struct val_rd *r, const uint8_t *v, size_t len)
{
	r->v = v;
	r->len = len;
	r->pos = 1;
	if (len < 1 || (v[0] != REC_VAL_SITES && v[0] != REC_VAL_ONE && v[0] != REC_VAL_DELTA) ||
	    get_figs(v, len, &r->pos, &r->count, &r->first, &r->last) < 0)
		return PD_EMALF;
	r->one = v[0] == REC_VAL_ONE;
	r->delta = v[0] == REC_VAL_DELTA;
	if (r->one) {
		r->nsites = 1;
		if (pd_get_var(v, len, &r->pos, &r->one_site) < 0 || r->one_site > UINT32_MAX)
			return PD_EMALF;
		return 0;
	}
	return pd_get_var(v, len, &r->pos, &r->nsites) < 0 ? PD_EMALF : 0;
}

static int val_site(struct val_rd *r, uint64_t *id, uint64_t *count, int64_t *first,
                    int64_t *last)
{
	if (r->one) {
		*id = r->one_site;
		*count = r->count;
		*first = r->first;
		*last = r->last;
		return 0;
	}
	if (pd_get_var(r->v, r->len, &r->pos, id) < 0)
		return PD_EMALF;
	if (!r->delta)
		return get_figs(r->v, r->len, &r->pos, count, first, last);
	uint64_t df, d;
	if (pd_get_var(r->v, r->len, &r->pos, count) < 0 ||
	    pd_get_var(r->v, r->len, &r->pos, &df) < 0 ||
	    pd_get_var(r->v, r->len, &r->pos, &d) < 0)
		return PD_EMALF;
	/* As get_figs, in unsigned arithmetic: first and last must stay
	 * within int64. */
	if (df > (uint64_t)INT64_MAX - (uint64_t)r->first)
		return PD_EMALF;
	*first = (int64_t)((uint64_t)r->first + df);
	if (d > (uint64_t)INT64_MAX - (uint64_t)*first)
		return PD_EMALF;
	*last = (int64_t)((uint64_t)*first + d);
	return 0;
}

/* A site's entry, [site][count][first][last-first], with its first time
 * after the tuple's (tf) in the site-delta form. */
static size_t put_site(uint8_t *p, int delta, int64_t tf, uint64_t id, uint64_t count,
                       int64_t first, int64_t last)
{
	size_t n = pd_put_var(p, id);
	if (!delta)
		return n + put_figs(p + n, count, first, last);
	n += pd_put_var(p + n, count);
	n += pd_put_var(p + n, (uint64_t)first - (uint64_t)tf);
	n += pd_put_var(p + n, (uint64_t)last - (uint64_t)first);
	return n;
}

/* Whether a site first seen at first takes no more room in the site-delta
 * form than in the full one (a site first seen before its tuple only
 * comes from a corrupt value). */
static int delta_fits(int64_t tf, int64_t first)
{
	return first >= tf && var_len((uint64_t)first - (uint64_t)tf) <= var_len(pd_zigzag(first));
}

/* Writes a site's entry at out + *w, counting it in *n; -1 (nothing
 * written) when delta and the site would take more room in the site-delta
 * form than in the full one. */
static int emit_site(uint8_t *out, size_t *w, uint64_t *n, int delta, int64_t tf, uint64_t id,
                     uint64_t count, int64_t first, int64_t last)
{
	if (delta && !delta_fits(tf, first))
		return -1;
	*w += put_site(out + *w, delta, tf, id, count, first, last);
	(*n)++;
	return 0;
}

int rec_val_merge(const uint8_t *old, size_t oldlen, uint32_t site, uint64_t count,
                  int64_t first_s, int64_t last_s, uint8_t *out, size_t cap)
{
	struct val_rd r = { .nsites = 0 };
	uint64_t tc = count;
	int64_t tf = first_s, tl = last_s;
	if (cap < rec_val_bound(oldlen))
		return PD_ESPACE;
	if (old && oldlen) {
		if (val_open(&r, old, oldlen) < 0 || r.nsites > REC_SITES_MAX)
			return PD_EMALF;
		tc += r.count;
		tf = r.first < tf ? r.first : tf;
		tl = r.last > tl ? r.last : tl;
	}
	/* Several sites go in the site-delta form (each site's first time
	 * after the tuple's: 10 to 14 bytes fewer for a tuple of four sites,
	 * in every version LevelDB carries through compaction), unless a site
	 * would take more room so; then in the full form. Either way no site
	 * takes more room than in the full form, so rec_val_bound holds. */
	const struct val_rd start = r;
	int delta = 1;
	size_t w, nsites_at;
	uint64_t n_out, id, c;
	int64_t f, l;
again:
	r = start;
	w = 0;
	out[w++] = delta ? REC_VAL_DELTA : REC_VAL_SITES;
	w += put_figs(out + w, tc, tf, tl);
	nsites_at = w;
	w += 3; /* nsites, written below (at most 3 varint bytes) */
	n_out = id = c = 0;
	f = l = 0;
	int placed = 0;
	for (uint64_t i = 0; i < r.nsites; i++) {
		if (val_site(&r, &id, &c, &f, &l) < 0)
			return PD_EMALF;
		if (!placed && id >= site) {
			placed = 1;
			if (id == site) {
				c += count;
				f = first_s < f ? first_s : f;
				l = last_s > l ? last_s : l;
			} else if (emit_site(out, &w, &n_out, delta, tf, site, count, first_s,
			                     last_s) < 0) {
				goto full;
			}
		}
		if (emit_site(out, &w, &n_out, delta, tf, id, c, f, l) < 0)
			goto full;
	}
	if (!placed) {
		id = site, c = count, f = first_s, l = last_s;
		if (emit_site(out, &w, &n_out, delta, tf, id, c, f, l) < 0)
			goto full;
	}
	if (r.pos != oldlen && old && oldlen)
		return PD_EMALF;
	/* More sites than merge and decode accept would make the value corrupt. */
	if (n_out > REC_SITES_MAX)
		return PD_ELIMIT;
	/* One site with the tuple's own figures (the usual case) is stored
	 * once: 9-10 bytes fewer in every version LevelDB carries through
	 * compaction (19 instead of 9 for a tuple of today seen once). */
	if (n_out == 1 && c == tc && f == tf && l == tl) {
		w = 0;
		out[w++] = REC_VAL_ONE;
		w += put_figs(out + w, tc, tf, tl);
		w += pd_put_var(out + w, id);
		return (int)w;
	}
	if (!delta) {
		/* nsites as a fixed 3-byte varint (the full form's layout). */
		out[nsites_at] = (uint8_t)(n_out | 0x80);
		out[nsites_at + 1] = (uint8_t)((n_out >> 7) | 0x80);
		out[nsites_at + 2] = (uint8_t)(n_out >> 14);
		return (int)w;
	}
	size_t nl = pd_put_var(out + nsites_at, n_out);
	memmove(out + nsites_at + nl, out + nsites_at + 3, w - nsites_at - 3);
	return (int)(w - (3 - nl));
full: /* a site does not fit the site-delta form: all in the full form */
	delta = 0;
	goto again;
}

int rec_val_decode(const uint8_t *v, size_t len, struct rec_val *out, struct rec_site *sites,
                   size_t max)
{
	struct val_rd r;
	if (val_open(&r, v, len) < 0 || r.nsites > max)
		return PD_EMALF;
	out->count = r.count;
	out->first_s = r.first;
	out->last_s = r.last;
	out->nsites = (size_t)r.nsites;
	out->sites = sites;
	for (size_t i = 0; i < r.nsites; i++) {
		uint64_t id;
		if (val_site(&r, &id, &sites[i].count, &sites[i].first_s, &sites[i].last_s) < 0 ||
		    id > UINT32_MAX)
			return PD_EMALF;
		sites[i].site = (uint32_t)id;
	}
	return r.pos == len ? 0 : PD_EMALF;
}
