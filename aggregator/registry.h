/*
 * registry: the optional list of sensor identities the aggregator accepts,
 * beyond holding a certificate of the deployment's CA. One identity per
 * line, "SENSOR_ID SITE" separated by white space; '#' starts a comment.
 * Reloaded on SIGHUP; a file that fails to load leaves the old list in
 * force. Thread-safe (a rwlock); NULL registry means everyone is allowed.
 */
#ifndef AGG_REGISTRY_H
#define AGG_REGISTRY_H

#include <stddef.h>

struct registry;

int registry_load(struct registry **out, const char *path, char *err, size_t errlen);
int registry_reload(struct registry *r, char *err, size_t errlen);
void registry_free(struct registry *r);
/* 1 when (sensor_id, site) is listed; always 1 for a NULL registry. */
int registry_allows(struct registry *r, const char *sensor_id, const char *site);
size_t registry_count(struct registry *r);
/* Calls fn for every listed identity (under the read lock: fn must not
 * call back into the registry). */
void registry_each(struct registry *r, void (*fn)(void *ctx, const char *sensor_id,
                                                  const char *site), void *ctx);

#endif
