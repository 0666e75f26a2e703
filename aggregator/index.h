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

/* Puts the index entries of a new tuple into b; scratch holds
 * INDEX_KEY_MAX bytes. Returns how many entries were added. */
int index_add(struct store_batch *b, const struct pd_obs *o, uint8_t *scratch);

/*
 * The REC_RRSET key an index key points at, written to out (INDEX_KEY_MAX);
 * returns its length or PD_EMALF.
 */
int index_target(const uint8_t *ikey, size_t ilen, uint8_t *out);

#endif
