/* promtext: pieces of the Prometheus text exposition format (0.0.4). */
#ifndef AGG_PROMTEXT_H
#define AGG_PROMTEXT_H

#include "pd_buf.h"

/* "# HELP name help" and "# TYPE name type" lines: once per family,
 * before its samples. */
int prom_head(struct pd_buf *b, const char *name, const char *type, const char *help);

#endif
