/*
 * output: the local sink, COF JSON lines to a file or stdout (-o).
 * Write errors are sticky: output_error() reports the first one.
 */
#ifndef SENSOR_OUTPUT_H
#define SENSOR_OUTPUT_H

#include "pd_obs.h"

struct output;

/* path "-" is stdout. Returns NULL with errno set on failure. */
struct output *output_open(const char *path, const char *sensor_id);
/* Writes one observation (a fold_emit_fn). */
void output_obs(void *ctx, const struct pd_obs *o);
/* Flushes buffered lines; returns 0 or the first write error (-errno). */
int output_flush(struct output *out);
int output_error(const struct output *out);
/* Flushes and closes; returns 0 or the first write error. */
int output_close(struct output *out);

#endif
