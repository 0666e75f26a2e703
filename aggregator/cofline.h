/*
 * cofline: one stored tuple as a COF JSON line with Almanac's extras:
 * "sites" (each site's own count, time_first and time_last) and, for exact
 * backups, "rdata_raw" (the canonical rdata in hex). Used by --export and
 * the native query API.
 */
#ifndef AGG_COFLINE_H
#define AGG_COFLINE_H

#include "pd_buf.h"
#include "pd_obs.h"
#include "record.h"
#include "sites.h"

#define COFLINE_SITES 0x100 /* add "sites" */
#define COFLINE_RAW 0x200   /* add "rdata_raw" */
/* (low bits: pd_rr presentation flags, e.g. PD_RR_FQDN) */

/* Appends the line (with its newline) to b; 0 or a negative code. */
int cofline_write(struct pd_buf *b, const struct pd_obs *o, const struct rec_val *v,
                  struct sites *sites, unsigned flags);

/* Appends ,"sites":{...} for v's sites. */
int cofline_sites(struct pd_buf *b, const struct rec_val *v, struct sites *sites);

#endif
