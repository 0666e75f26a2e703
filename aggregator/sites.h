/*
 * sites: the table of site names and the small ids record values use.
 *
 * Stored under REC_META as "site/NAME" -> id (be32) and "sid/" id -> NAME.
 * A new site's id is assigned inside the writer's group (sites_assign puts
 * its keys into that group's batch) and becomes permanent with
 * sites_commit, or is forgotten with sites_rollback if the write failed.
 * Thread-safety: lookups from any thread (a rwlock); assign, commit and
 * rollback from the writer only.
 */
#ifndef AGG_SITES_H
#define AGG_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define SITES_MAX 65535
#define SITE_NAME_MAX 64

struct sites;

int sites_load(struct sites **out, struct store *st, char *err, size_t errlen);
void sites_free(struct sites *s);
/* Reads the table again (after the store was reopened); pending sites are
 * forgotten. On failure the table in force stays. */
int sites_reload(struct sites *s, struct store *st, char *err, size_t errlen);

/* 1 and *id when known (committed or pending), else 0. */
int sites_lookup(struct sites *s, const char *name, uint32_t *id);
/* Assigns the next id to name (absent) and adds its keys to b. 0 or PD_ELIMIT. */
int sites_assign(struct sites *s, const char *name, uint32_t *id, struct store_batch *b);
void sites_commit(struct sites *s);
void sites_rollback(struct sites *s);

/* Copies the name of id into out (SITE_NAME_MAX + 1); 0 or PD_ENOTFOUND. */
int sites_name(struct sites *s, uint32_t id, char *out);
uint32_t sites_count(struct sites *s);

#endif
