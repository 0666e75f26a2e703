/*
 * pd_cof: observations as COF JSON (draft-dulaunoy-dnsop-passive-dns-cof),
 * in the presentation of docs/observations.md.
 *
 * pd_cof_begin writes '{' and the tuple and figure fields without the
 * closing brace, so callers add their own fields (sensor_id, per-site
 * figures) before pd_cof_end writes "}\n".
 */
#ifndef PD_COF_H
#define PD_COF_H

#include "pd_buf.h"
#include "pd_obs.h"

/* flags: PD_RR_FQDN for trailing dots on names. */
int pd_cof_begin(struct pd_buf *b, const struct pd_obs *o, unsigned flags);
int pd_cof_end(struct pd_buf *b);

/* Appends ,"key":"value" (value JSON-escaped). */
int pd_cof_str_field(struct pd_buf *b, const char *key, const char *value);

/* Appends the presentation of o's name / rdata as a JSON string. */
int pd_cof_name_json(struct pd_buf *b, const uint8_t *name, size_t len, unsigned flags);
int pd_cof_rdata_json(struct pd_buf *b, const struct pd_obs *o, unsigned flags);

#endif
