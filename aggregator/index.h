/*
 * index: the secondary key families that make every query one range scan
 * (DESIGN.md "Store"): forward owner names (right-hand wildcards), A/AAAA
 * addresses (CIDR and ranges; IPv4-mapped AAAA also under IPv4), and names
 * found in rdata, label-reversed and forward (wildcards on either side).
 * Index entries carry no figures: a query joins each one to its REC_RRSET
 * record. They are written once, when a tuple is first stored.
 */
#ifndef AGG_INDEX_H
#define AGG_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "pd_obs.h"
#include "store.h"

/* Bytes an index key can need. */
#define INDEX_KEY_MAX (1 + 255 + 255 + 2 + 65535)

/* The prefix of IPv4-mapped IPv6 addresses (::ffff:0:0/96): such AAAA
 * records are indexed, and looked up, under their IPv4 address. */
extern const uint8_t index_v4mapped[12];

/* Puts the index entries of a new tuple into b; scratch holds
 * INDEX_KEY_MAX bytes. Returns how many entries were added. */
int index_add(struct store_batch *b, const struct pd_obs *o, uint8_t *scratch);

/*
 * The REC_RRSET key an index key points at, written to out (INDEX_KEY_MAX);
 * returns its length or PD_EMALF.
 */
int index_target(const uint8_t *ikey, size_t ilen, uint8_t *out);

/*
 * A tuple whose rdata holds several names has one REC_RDNAME (REC_RDNAMEF)
 * entry per name. For the entry ikey of tuple o (o's fields from its
 * target key): 1 when it is the first of o's entries that a scan of
 * prefix (entries strictly below it with strictly_below) meets, else 0.
 * A scan reports o at its first entry only. scratch: INDEX_KEY_MAX bytes.
 */
int index_rdname_first(const uint8_t *ikey, size_t ilen, const struct pd_obs *o,
                       const uint8_t *prefix, size_t plen, int strictly_below,
                       uint8_t *scratch);

#endif
