/*
 * merge: folding observations into stored records, one write group at a
 * time. Each tuple's value is read once (from the group or the store),
 * merged with the observation rule per site, and kept in the group until
 * merge_commit writes all of them, plus whatever else the caller put in
 * the group's batch, atomically; a tuple stored for the first time gets
 * its index entries (index.h) in the same write. Used by the writer
 * (sensor batches) and by import (COF files). One owner per group.
 */
#ifndef AGG_MERGE_H
#define AGG_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "pd_obs.h"
#include "store.h"

struct merge;

struct keyfilter;
struct valcache;

/*
 * Room for max_obs observations and max_bytes of their encoded tuples.
 * kf and vc (borrowed, may be NULL) spare LevelDB lookups: the filter says
 * which tuples cannot be stored yet, the cache holds recent values.
 * merge_obs updates both as it merges, before the group is written: a
 * caller whose commit fails, or who drops a group, must clear the cache
 * (the filter only ever errs towards a lookup).
 */
struct merge *merge_new(struct store *st, size_t max_obs, size_t max_bytes,
                        struct keyfilter *kf, struct valcache *vc);
void merge_free(struct merge *m);

/* Starts a new group (forgets an uncommitted one). */
void merge_begin(struct merge *m);
/* The group's batch, for the caller's own keys (stream states, sites). */
struct store_batch *merge_batch(struct merge *m);
/* Merges o's figures for site into the group. 0, PD_ELIMIT (group full),
 * PD_EMALF (a corrupt stored value) or PD_ESTORE. */
int merge_obs(struct merge *m, const struct pd_obs *o, uint32_t site);
/*
 * merge_obs for run[i] of a run of n, called for i = 0, 1, ... n - 1 in
 * turn: each key is made once, and the memory that the lookups of the
 * observations a few places further will touch starts loading, so that
 * merging them does not wait for it (the tables are far bigger than the
 * CPU's caches). A run may be left part way; a call out of turn (another
 * run, or another i) is correct, only without the head start.
 */
int merge_run(struct merge *m, const struct pd_obs *run, size_t n, size_t i, uint32_t site);
size_t merge_count(const struct merge *m);
/* Writes the group; 0 or PD_ESTORE with the reason in err. */
int merge_commit(struct merge *m, int sync, char *err, size_t errlen);

/* Where merge_obs found each tuple's current value: what ingest costs. */
struct merge_counts {
	uint64_t in_group;    /* earlier in the same group */
	uint64_t filter_new;  /* the key filter proved it new: no read */
	uint64_t in_cache;    /* the value cache */
	uint64_t store_reads; /* read from LevelDB ... */
	uint64_t read_new;    /* ... and not there (a key filter false positive) */
};
/* Adds the counts since the last call to *c, and starts them again. */
void merge_take_counts(struct merge *m, struct merge_counts *c);

#endif
