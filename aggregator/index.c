#include "index.h"

#include <string.h>

#include "pd_err.h"
#include "pd_rr.h"
#include "pd_wire.h"
#include "record.h"

#define INDEX_NAMES_MAX 4

const uint8_t index_v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* Length of the wire name starting at p (ending inside n bytes), or 0. */
static size_t name_len(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] != 0) {
		if (p[i] > 63)
			return 0;
		i += 1u + p[i];
	}
	return i < n ? i + 1 : 0;
}

static void put_ip(struct store_batch *b, uint8_t *k, const struct pd_obs *o, uint8_t fam,
                   const uint8_t *addr, size_t alen)
{
	size_t n = 0;
	k[n++] = REC_IP;
	k[n++] = fam;
	memcpy(k + n, addr, alen);
	n += alen;
	n += rec_name_reverse(o->name, o->name_len, k + n);
	pd_put_be16(k + n, o->type);
	n += 2;
	store_batch_put(b, k, n, (const uint8_t *)"", 0);
}

int index_add(struct store_batch *b, const struct pd_obs *o, uint8_t *k)
{
	if (o->flags & PD_OBS_NXDOMAIN)
		return 0; /* REC_NEG is its own index */
	int added = 0;
	/* Forward owner name. */
	size_t n = 0;
	k[n++] = REC_FWD;
	memcpy(k + n, o->name, o->name_len);
	n += o->name_len;
	pd_put_be16(k + n, o->type);
	n += 2;
	memcpy(k + n, o->rdata, o->rdlen);
	store_batch_put(b, k, n + o->rdlen, (const uint8_t *)"", 0);
	added++;
	if (o->type == PD_T_A && o->rdlen == 4) {
		put_ip(b, k, o, 4, o->rdata, 4);
		added++;
	} else if (o->type == PD_T_AAAA && o->rdlen == 16) {
		put_ip(b, k, o, 6, o->rdata, 16);
		added++;
		if (memcmp(o->rdata, index_v4mapped, 12) == 0) {
			put_ip(b, k, o, 4, o->rdata + 12, 4);
			added++;
		}
	}
	/* Names in rdata, both ways round. */
	size_t off[INDEX_NAMES_MAX], len[INDEX_NAMES_MAX];
	int nn = pd_rr_rdata_names(o->type, o->rdata, o->rdlen, off, len, INDEX_NAMES_MAX);
	uint8_t rk[REC_KEY_MAX];
	size_t rkl = nn > 0 ? rec_key_tuple(rk, o) : 0;
	for (int i = 0; i < nn; i++) {
		const uint8_t *target = o->rdata + off[i];
		for (int fwd = 0; fwd < 2; fwd++) {
			n = 0;
			k[n++] = fwd ? REC_RDNAMEF : REC_RDNAME;
			if (fwd)
				memcpy(k + n, target, len[i]);
			else
				rec_name_reverse(target, len[i], k + n);
			n += len[i];
			memcpy(k + n, rk + 1, rkl - 1);
			store_batch_put(b, k, n + rkl - 1, (const uint8_t *)"", 0);
			added++;
		}
	}
	return added;
}

int index_target(const uint8_t *ik, size_t il, uint8_t *out)
{
	if (il < 2)
		return PD_EMALF;
	size_t nl;
	switch (ik[0]) {
	case REC_FWD:
		if (!(nl = name_len(ik + 1, il - 1)) || il - 1 - nl < 2)
			return PD_EMALF;
		out[0] = REC_RRSET;
		rec_name_reverse(ik + 1, nl, out + 1);
		memcpy(out + 1 + nl, ik + 1 + nl, il - 1 - nl);
		return (int)il;
	case REC_IP: {
		size_t alen = ik[1] == 4 ? 4 : ik[1] == 6 ? 16 : 0;
		if (!alen || il < 2 + alen + 3 || !(nl = name_len(ik + 2 + alen, il - 2 - alen)) ||
		    il != 2 + alen + nl + 2)
			return PD_EMALF;
		uint16_t type = pd_be16(ik + 2 + alen + nl);
		size_t n = 0;
		out[n++] = REC_RRSET;
		memcpy(out + n, ik + 2 + alen, nl + 2);
		n += nl + 2;
		if (type == PD_T_AAAA && alen == 4) { /* a mapped address under IPv4 */
			memcpy(out + n, index_v4mapped, 12);
			n += 12;
		}
		memcpy(out + n, ik + 2, alen);
		return (int)(n + alen);
	}
	case REC_RDNAME: case REC_RDNAMEF:
		if (!(nl = name_len(ik + 1, il - 1)) || il - 1 - nl < 4)
			return PD_EMALF;
		out[0] = REC_RRSET;
		memcpy(out + 1, ik + 1 + nl, il - 1 - nl);
		return (int)(il - nl);
	default:
		return PD_EMALF;
	}
}

/* LevelDB's bytewise order. */
static int key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	return c ? c : (al > bl) - (al < bl);
}

int index_rdname_first(const uint8_t *ik, size_t il, const struct pd_obs *o,
                       const uint8_t *prefix, size_t plen, int strictly_below,
                       uint8_t *scratch)
{
	size_t off[INDEX_NAMES_MAX], len[INDEX_NAMES_MAX];
	int nn = pd_rr_rdata_names(o->type, o->rdata, o->rdlen, off, len, INDEX_NAMES_MAX);
	size_t cur = il > 1 ? name_len(ik + 1, il - 1) : 0;
	if (nn < 2 || !cur)
		return 1;
	const uint8_t *suffix = ik + 1 + cur;
	size_t sl = il - 1 - cur;
	for (int i = 0; i < nn; i++) {
		size_t n = 0;
		scratch[n++] = ik[0];
		if (ik[0] == REC_RDNAMEF)
			memcpy(scratch + n, o->rdata + off[i], len[i]);
		else
			rec_name_reverse(o->rdata + off[i], len[i], scratch + n);
		n += len[i];
		memcpy(scratch + n, suffix, sl);
		n += sl;
		if (n < plen || memcmp(scratch, prefix, plen) != 0 ||
		    (strictly_below && (n <= plen || scratch[plen] == 0)))
			continue; /* that entry is outside the scan */
		if (key_cmp(scratch, n, ik, il) < 0)
			return 0;
	}
	return 1;
}
