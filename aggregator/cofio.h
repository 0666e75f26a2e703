/*
 * cofio: the store in and out as COF JSON lines (--export, --import).
 *
 * Export writes one line per stored tuple: the COF fields (rrname, rrtype,
 * rdata or rcode, count, time_first, time_last), "sites" with each site's
 * own count and times, and "rdata_raw": the canonical rdata in hex, which
 * makes an export/import round trip exact for every record type.
 * Import merges COF lines (ours, CIRCL's, DNSDB-style with rdata arrays)
 * with the observation rule, in synced groups that record how far the file
 * got, so importing the same file again, or after a crash, counts nothing
 * twice. Lines that cannot be used are counted and reported, never fatal.
 */
#ifndef AGG_COFIO_H
#define AGG_COFIO_H

#include <stdint.h>
#include <stdio.h>

#include "sites.h"
#include "store.h"

struct cofio_stats {
	uint64_t lines, tuples, skipped;
};

/* Writes every tuple to f. 0, or a negative code with a message in err. */
int cofio_export(struct store *st, struct sites *sites, FILE *f, struct cofio_stats *cs,
                 char *err, size_t errlen);

int cofio_import(struct store *st, struct sites *sites, const char *path,
                 const char *default_site, struct cofio_stats *cs, char *err, size_t errlen);

#endif
