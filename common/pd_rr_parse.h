/*
 * pd_rr_parse: presentation text to canonical rdata, the inverse of
 * pd_rr_format (docs/observations.md), for queries by rdata value.
 *
 * Accepts what pd_rr_format prints, with or without PD_RR_FQDN, and the
 * usual zone-file and dig variants of it: names with or without the
 * trailing dot, in any case, with \X and \DDD escapes; hex and base64 split
 * by spaces; character-strings quoted or as unquoted words; SvcParams in
 * any order (up to 64 of them when not in key order), keys by name or as
 * keyNNN, values quoted or not; NSEC type lists in any order; RRSIG times as
 * YYYYMMDDHHMMSS or as seconds. Fields are separated by runs of spaces and
 * tabs; other control characters are refused. SvcParams of the alias form
 * (priority 0) are kept, although pd_rr_format does not print them.
 *
 * Any type also takes RFC 3597's "\# LEN HEX"; types without a row in the
 * document's table (LOC, CERT, APL, ...) take only that form. Generic rdata
 * of a type with a row must have that type's shape and no compression
 * pointers (there is no message for them to point into); its names are
 * lower-cased, so the result is always what pd_rr_canon gives for the
 * record.
 *
 * Pure, allocation-free and thread-safe; buffers are the caller's.
 */
#ifndef PD_RR_PARSE_H
#define PD_RR_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Why the text was refused: a byte offset into it and a short lower-case
 * reason ("bad IPv4 address", "name longer than 255 octets"). */
struct pd_rr_perr {
	size_t off;
	char why[96];
};

/*
 * Parses the presentation text[0..len) of rdata of the given type into
 * canonical rdata in out[0..cap). Returns the rdata length, PD_EMALF when
 * the text is not valid for the type (or its rdata would pass 65535
 * octets), or PD_ESPACE when cap is too small; a cap of PD_RR_CANON_MAX
 * always suffices. Text errors past the point where out filled up are not
 * seen. out's contents are unspecified after an error.
 */
int pd_rr_parse(uint16_t type, const char *text, size_t len, uint8_t *out, size_t cap);

/* The same, and on error also fills *err (when err is not NULL). */
int pd_rr_parse_err(uint16_t type, const char *text, size_t len, uint8_t *out, size_t cap,
                    struct pd_rr_perr *err);

#endif
