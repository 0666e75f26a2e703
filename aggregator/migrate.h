/*
 * migrate: brings an older store up to STORE_FORMAT_VERSION on open.
 * Format 1 -> 2 builds the index families (index.h) from the tuples, in
 * unsynced batches, then stamps the version with a synced write: a crash
 * half way leaves version 1 and the work is redone (index entries are
 * idempotent puts). Logged with the tuple count. Format 2 -> 3 only
 * stamps the version: format 2's values read as they are (record.h).
 */
#ifndef AGG_MIGRATE_H
#define AGG_MIGRATE_H

#include <stddef.h>

#include "store.h"

int migrate_store(struct store *st, const char *dir, char *err, size_t errlen);

#endif
