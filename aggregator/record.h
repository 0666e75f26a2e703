/*
 * record: how observations live in LevelDB (DESIGN.md "Store").
 *
 * Every key starts with a family byte. Tuple keys hold the owner name with
 * its labels in reverse order ("\3com\7example\3www\0"), so all names under
 * a zone share a key prefix and a left-hand wildcard is one range scan:
 *
 *   REC_RRSET  [01][reversed name][type be16][rdata]   -> record value
 *   REC_NEG    [02][reversed name][qtype be16]         -> record value
 *   REC_FWD    [03][name][type][rdata]                 -> "" (index.c)
 *   REC_IP     [04][4|6][address][reversed owner][type] -> ""
 *   REC_RDNAME [05][reversed target][rrset key w/o family] -> ""
 *   REC_RDNAMEF[06][target][rrset key w/o family]      -> ""
 *   REC_STREAM [10][stream id 16]                      -> stream state
 *   REC_META   [11][ascii key]                         -> metadata
 *
 * A record value carries the merged figures and one entry per site:
 *   [u8 1][count][first][last-first][nsites] ([site][count][first][last-first])*
 * as LEB128 varints (first zigzag-encoded), sites in ascending id order;
 * a tuple seen by one site, whose figures are then the tuple's own, is
 *   [u8 2][count][first][last-first][site]
 * and a tuple seen by several sites is written, when that is no longer,
 *   [u8 3][count][first][last-first][nsites] ([site][count][first-tuple's first][last-first])*
 * (store format 4; format 3 has only the first two forms, format 2 only
 * the first, and they still read).
 * Merging uses the observation rule, so applying the same figures in any
 * grouping gives the same value. Pure functions; no allocation.
 */
#ifndef AGG_RECORD_H
#define AGG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "pd_obs.h"

/* The first byte of a record value: which form it is in. */
enum rec_val_form {
	REC_VAL_SITES = 1,
	REC_VAL_ONE = 2,
	REC_VAL_DELTA = 3,
};

enum rec_family {
	REC_RRSET = 0x01,
	REC_NEG = 0x02,
	REC_FWD = 0x03,
	REC_IP = 0x04,
	REC_RDNAME = 0x05,
	REC_RDNAMEF = 0x06,
	REC_STREAM = 0x10,
	REC_META = 0x11,
};

/* Longest tuple key: family, name, type, rdata. */
#define REC_KEY_MAX (1 + 255 + 2 + 65535)
#define REC_SITES_MAX 4096
/* A value never needs more than this for one site; callers size buffers as
 * REC_VAL_FIXED + nsites * REC_VAL_PER_SITE. */
#define REC_VAL_FIXED 32
#define REC_VAL_PER_SITE 40

struct rec_site {
	uint32_t site;
	uint64_t count;
	int64_t first_s, last_s;
};

/* Decoded figures of one value; sites point into caller storage. */
struct rec_val {
	uint64_t count;
	int64_t first_s, last_s;
	size_t nsites;
	struct rec_site *sites;
};

/* Writes the key of tuple o into out (REC_KEY_MAX suffices); returns its length. */
size_t rec_key_tuple(uint8_t *out, const struct pd_obs *o);

/*
 * Reads a REC_RRSET or REC_NEG key back into o's tuple fields: the name is
 * rebuilt in namebuf (255 bytes), rdata points into key. 0 or PD_EMALF.
 */
int rec_key_parse(const uint8_t *key, size_t len, struct pd_obs *o, uint8_t *namebuf);

/* Reverses a canonical wire name's labels (an involution); returns len. */
size_t rec_name_reverse(const uint8_t *name, size_t len, uint8_t *out);

/*
 * Merges one site's figures (count, first, last) into the value old (NULL
 * or empty for a new tuple) and writes the result to out (cap bytes).
 * Returns the new length, PD_EMALF for a corrupt old value, PD_ELIMIT when
 * site would be one more than REC_SITES_MAX, PD_ESPACE.
 */
int rec_val_merge(const uint8_t *old, size_t oldlen, uint32_t site, uint64_t count,
                  int64_t first_s, int64_t last_s, uint8_t *out, size_t cap);

/* Decodes a value; sites go to caller storage of max entries. 0 or PD_EMALF. */
int rec_val_decode(const uint8_t *v, size_t len, struct rec_val *out, struct rec_site *sites,
                   size_t max);

/* Upper bound of a value's size once merged with one more site. */
size_t rec_val_bound(size_t oldlen);

#endif
