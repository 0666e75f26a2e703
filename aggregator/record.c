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
	return oldlen + REC_VAL_FIXED + REC_VAL_PER_SITE;
}

int rec_val_merge(const uint8_t *old, size_t oldlen, uint32_t site, uint64_t count,
                  int64_t first_s, int64_t last_s, uint8_t *out, size_t cap)
{
	uint64_t tc = 0, nsites = 0;
	int64_t tf = first_s, tl = last_s;
	size_t pos = 1;

	if (cap < rec_val_bound(oldlen))
		return PD_ESPACE;
	if (old && oldlen) {
		if (old[0] != 1 || get_figs(old, oldlen, &pos, &tc, &tf, &tl) < 0 ||
		    pd_get_var(old, oldlen, &pos, &nsites) < 0 || nsites > REC_SITES_MAX)
			return PD_EMALF;
		if (first_s < tf)
			tf = first_s;
		if (last_s > tl)
			tl = last_s;
	}
	/* Header, then the sites merged in id order. */
	size_t w = 0;
	out[w++] = 1;
	w += put_figs(out + w, tc + count, tf, tl);
	size_t nsites_at = w;
	w += 3; /* nsites, rewritten below (at most 3 varint bytes) */
	uint64_t n_out = 0;
	int placed = 0;
	for (uint64_t i = 0; i < nsites; i++) {
		uint64_t id, c;
		int64_t f, l;
		if (pd_get_var(old, oldlen, &pos, &id) < 0 || get_figs(old, oldlen, &pos, &c, &f, &l) < 0)
			return PD_EMALF;
		if (!placed && id >= site) {
			if (id == site) {
				c += count;
				f = first_s < f ? first_s : f;
				l = last_s > l ? last_s : l;
			} else {
				w += pd_put_var(out + w, site);
				w += put_figs(out + w, count, first_s, last_s);
				n_out++;
			}
			placed = 1;
		}
		w += pd_put_var(out + w, id);
		w += put_figs(out + w, c, f, l);
		n_out++;
	}
	if (pos != oldlen && old && oldlen)
		return PD_EMALF;
	if (!placed) {
		w += pd_put_var(out + w, site);
		w += put_figs(out + w, count, first_s, last_s);
		n_out++;
	}
	/* More sites than merge and decode accept would make the value corrupt. */
	if (n_out > REC_SITES_MAX)
		return PD_ELIMIT;
	/* nsites as a fixed 3-byte varint keeps the layout simple to patch. */
	out[nsites_at] = (uint8_t)(n_out | 0x80);
	out[nsites_at + 1] = (uint8_t)((n_out >> 7) | 0x80);
	out[nsites_at + 2] = (uint8_t)(n_out >> 14);
	return (int)w;
}

int rec_val_decode(const uint8_t *v, size_t len, struct rec_val *out, struct rec_site *sites,
                   size_t max)
{
	size_t pos = 1;
	uint64_t n;
	if (len < 1 || v[0] != 1 ||
	    get_figs(v, len, &pos, &out->count, &out->first_s, &out->last_s) < 0 ||
	    pd_get_var(v, len, &pos, &n) < 0 || n > max)
		return PD_EMALF;
	out->nsites = (size_t)n;
	out->sites = sites;
	for (size_t i = 0; i < n; i++) {
		uint64_t id;
		if (pd_get_var(v, len, &pos, &id) < 0 || id > UINT32_MAX ||
		    get_figs(v, len, &pos, &sites[i].count, &sites[i].first_s, &sites[i].last_s) < 0)
			return PD_EMALF;
		sites[i].site = (uint32_t)id;
	}
	return pos == len ? 0 : PD_EMALF;
}
