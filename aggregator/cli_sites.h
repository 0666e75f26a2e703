/*
 * cli_sites: `almanac sites`, the per-site health view of GET /api/v1/sites
 * and its monitoring-plugin exit code.
 *
 * Expected document (provisional; the columns are one table in cli_sites.c,
 * so a renamed or added field is a one-line change):
 *   {"generated":EPOCH,
 *    "sites":[{"site":"fra","status":"ok|degraded|stale|down","reason":"...",
 *              "last_contact":EPOCH,"packets_per_s":N,"drop_pct":N,
 *              "spool_bytes":N,"spool_batches":N,"observations_per_s":N,
 *              "sensors":[{"sensor":"s1","status":...,...same fields}]}]}
 * Missing fields show as "-" (table) or empty (CSV); unknown ones are
 * ignored; a last_contact of 0 means never. Ages ("5s ago") count from
 * "generated" (the server's clock), else from the caller's now.
 *
 * Exit code from the sites' own statuses (the server folds its sensors
 * into them): 0 all ok, 1 some degraded, 2 some stale or down; an unknown
 * status word counts as 2. No sites at all is 0.
 */
#ifndef AGG_CLI_SITES_H
#define AGG_CLI_SITES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_out.h"

/* Monitoring level of a status word: ok 0, degraded 1, else 2. */
int cli_sites_level(const char *status);

/*
 * Writes the document in fmt to f (JSON: as received) and returns the exit
 * code (0, 1, 2), or PD_EMALF with a message in err when the document is
 * not the expected shape. only_site (NULL: all) keeps one site, for the
 * output and the exit code; it is an error when that site is not listed.
 */
int cli_sites_print(enum cli_fmt fmt, FILE *f, const char *body, size_t len,
                    const char *only_site, int64_t now, char *err, size_t errlen);

#endif
