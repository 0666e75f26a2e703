/*
 * store: the aggregator's LevelDB, the only module that talks to LevelDB
 * and translates its error strings.
 *
 * Opened with a bloom filter (10 bits per key), an LRU block cache and
 * snappy compression. Writes go through store_batch, applied atomically by
 * store_write (synced when asked), its puts in key order (equal keys as
 * they were put). Reads use an optional snapshot so a query sees one
 * consistent state while ingest continues. The database
 * keeps a format version under REC_META "version": older formats open (and
 * are migrated by the caller, see migrate.h), newer ones fail with a
 * message saying what to do.
 * Thread-safety: LevelDB's own (concurrent reads and writes are safe);
 * a store_batch or store_iter belongs to one thread.
 */
#ifndef AGG_STORE_H
#define AGG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "pd_buf.h"

/* 1: tuples only; 2: with index families (migrate.c builds them); 3:
 * values of one site in their short form (record.h; format 2 values
 * still read, and are rewritten short as they merge); 4: values of
 * several sites with each site's first time after the tuple's (older
 * values read, and are rewritten so as they merge). */
#define STORE_FORMAT_VERSION 4

struct store;
struct store_batch;
struct store_iter;
struct store_snap;

struct store_opts {
	size_t block_cache_bytes; /* 0: 64 MiB */
	size_t write_buffer_bytes; /* 0: 4 MiB */
	int create;               /* create if missing */
	int compression;          /* 0 or 1: snappy; -1: none */
	size_t max_file_bytes;    /* 0: 8 MiB */
	unsigned open_tables;     /* LevelDB's max_open_files; 0: 512 */
	/* Benchmarks and tests; 0 takes the default. */
	size_t block_bytes;       /* 0: 4 KiB */
};

int store_open(struct store **out, const char *dir, const struct store_opts *o, char *err,
               size_t errlen);
void store_close(struct store *s);
/* Closes and opens the database again: LevelDB keeps refusing writes after
 * some I/O errors (a failed sync, a failed compaction) until it is reopened.
 * Waits for snapshots and iterators to go. 0 or PD_ESTORE. */
int store_reopen(struct store *s, char *err, size_t errlen);
/* The database's format version, and setting it (synced). */
int store_version(const struct store *s);
int store_set_version(struct store *s, int version, char *err, size_t errlen);

/* 1 with the value in val (replaced), 0 when absent, or PD_ESTORE. */
int store_get(struct store *s, const struct store_snap *snap, const uint8_t *key, size_t klen,
              struct pd_buf *val);

struct store_batch *store_batch_new(void);
void store_batch_free(struct store_batch *b);
void store_batch_put(struct store_batch *b, const uint8_t *k, size_t kl, const uint8_t *v,
                     size_t vl);
void store_batch_clear(struct store_batch *b);

/* Applies b atomically; with sync the write is on disk when this returns.
 * Returns 0 or PD_ESTORE with LevelDB's message in err; a batch that a put
 * did not fit in (no memory, a key or value of 4 GiB or more) is refused
 * whole, with a message saying so, until store_batch_clear. */
int store_write(struct store *s, struct store_batch *b, int sync, char *err, size_t errlen);

/* NULL (and iterators too) only while a failed reopen left the store closed. */
struct store_snap *store_snap_new(struct store *s);
void store_snap_free(struct store *s, struct store_snap *snap);

/* STORE_LOOKUP: a short range read often (an exact name): its blocks go to
 * the block cache. STORE_SCAN: a long or one-off scan: they do not. */
enum store_iter_use { STORE_SCAN, STORE_LOOKUP };
struct store_iter *store_iter_new(struct store *s, const struct store_snap *snap,
                                  enum store_iter_use use);
void store_iter_free(struct store_iter *it);
void store_iter_seek(struct store_iter *it, const uint8_t *key, size_t klen);
int store_iter_valid(const struct store_iter *it);
void store_iter_next(struct store_iter *it);
const uint8_t *store_iter_key(const struct store_iter *it, size_t *len);
const uint8_t *store_iter_value(const struct store_iter *it, size_t *len);
/* 0, or PD_ESTORE when the iteration stopped on an error. */
int store_iter_status(const struct store_iter *it, char *err, size_t errlen);

/* A LevelDB property ("leveldb.stats", ...) into out; 0 or PD_ENOTFOUND. */
int store_property(struct store *s, const char *name, struct pd_buf *out);
/* Approximate bytes on disk for keys in [start, limit). */
uint64_t store_approximate_size(struct store *s, const uint8_t *start, size_t sl,
                                const uint8_t *limit, size_t ll);
void store_compact(struct store *s);

#endif
