/*
 * cli_time: the times an analyst types and reads, all in UTC.
 *
 * Accepted input (cli_time_parse):
 *   1700000000                    epoch seconds
 *   2024-01-31                    midnight UTC of that day
 *   2024-01-31T12:00[:00][Z]      also with a space instead of T, and a
 *   2024-01-31 12:00:00+02:00     numeric offset (+HH:MM, +HHMM, -HH:MM)
 *   45s 30m 12h 7d 2w             that long before now (a leading '-' is
 *                                 allowed: "-7d", "-86400" mean the same)
 *   now
 * Times before 1970 are refused (the API reads negative values as relative
 * to the server's clock); relative times reaching before 1970 become 0.
 * Pure functions, thread-safe; "now" is always the caller's.
 */
#ifndef AGG_CLI_TIME_H
#define AGG_CLI_TIME_H

#include <stddef.h>
#include <stdint.h>

#define CLI_TIME_LEN 20 /* "YYYY-MM-DD HH:MM:SS" and its NUL */

/* Parses s into epoch seconds. Returns 0, or PD_EMALF (bad form or field
 * out of range) / PD_ELIMIT (before 1970 or past year 9999). */
int cli_time_parse(const char *s, int64_t now, int64_t *out);

/* Formats t as "YYYY-MM-DD HH:MM:SS" (UTC). */
void cli_time_fmt(int64_t t, char out[CLI_TIME_LEN]);

/* A duration as one rounded-down unit: "45s", "12m", "3h", "5d"; negative
 * durations (clock skew) print as "0s". */
void cli_age_fmt(int64_t secs, char *out, size_t cap);

/* Days from 1970-01-01 to the given proleptic Gregorian date. */
int64_t cli_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
