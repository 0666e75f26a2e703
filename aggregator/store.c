#include "store.h"

#include <leveldb/c.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvlist.h"
#include "pd_err.h"
#include "record.h"

/* Defaults; write-buffer and table-size in the configuration override the
 * first and last (deploy/examples/aggregator.conf says when to). */
#define STORE_WRITE_BUFFER (4u << 20)
#define STORE_BLOCK 4096u
#define STORE_MAX_FILE (8u << 20)
/* Tables LevelDB keeps open, each holding its index and bloom filter in
 * memory: about a tenth of the table (850 KiB for a 9 MiB table written
 * with snappy). 512 tables of 8 MiB are a 4 GiB store and at most about
 * 400 MiB of memory; past that, reads reopen tables. */
#define STORE_OPEN_TABLES 512

struct store {
	int version;           /* the format the database is in */
	pthread_rwlock_t lock; /* read: every use of db; write: reopening it */
	char *dir;
	leveldb_t *db;
	leveldb_options_t *opts;
	leveldb_cache_t *cache;
	leveldb_filterpolicy_t *bloom;
	leveldb_readoptions_t *ro;
	leveldb_writeoptions_t *wo_sync, *wo_async;
};

/* A batch collects its puts and hands them to LevelDB in key order: the
 * memtable then inserts them along one path through its skiplist, where
 * the order they came in (hash order, for a merge group) misses the CPU's
 * cache at most of its levels. */
struct store_batch {
	struct kvlist *puts;
	leveldb_writebatch_t *wb;
	int failed; /* a put did not fit: store_write refuses the batch */
};

struct store_iter {
	struct store *s;
	leveldb_iterator_t *it;
	leveldb_readoptions_t *ro;
};

/* LevelDB reports errors as malloc'd strings; this is where they end. */
static int store_err(char *leveldb_err, char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what, leveldb_err ? leveldb_err : "unknown error");
	leveldb_free(leveldb_err);
	return PD_ESTORE;
}

static const uint8_t version_key[] = { REC_META, 'v', 'e', 'r', 's', 'i', 'o', 'n' };

static int store_check_version(struct store *s, const char *dir, char *err, size_t errlen)
{
	struct pd_buf v;
	pd_buf_init(&v, 64);
	int rc = store_get(s, NULL, version_key, sizeof(version_key), &v);
	if (rc == 0) {
		/* A new (or empty) store: stamp it. */
		s->version = STORE_FORMAT_VERSION;
		char text[16];
		int n = snprintf(text, sizeof(text), "%d", STORE_FORMAT_VERSION);
		struct store_batch *b = store_batch_new();
		store_batch_put(b, version_key, sizeof(version_key), (const uint8_t *)text, (size_t)n);
		rc = store_write(s, b, 1, err, errlen);
		store_batch_free(b);
	} else if (rc == 1) {
		long ver = strtol(pd_buf_cstr(&v), NULL, 10);
		rc = 0;
		s->version = (int)ver;
		if (ver < 1 || ver > STORE_FORMAT_VERSION) {
			snprintf(err, errlen, "%s: store format version %ld, this aggregator reads 1 to "
			         "%d; export it with the aggregator that wrote it (--export) and import "
			         "the lines into a new store (--import)", dir, ver, STORE_FORMAT_VERSION);
			rc = PD_EVERSION;
		}
	} else {
		snprintf(err, errlen, "%s: cannot read the store's version", dir);
	}
	pd_buf_fini(&v);
	return rc;
}

int store_open(struct store **out, const char *dir, const struct store_opts *o, char *err,
               size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir))) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return -12;
	}
	pthread_rwlock_init(&s->lock, NULL);
	s->opts = leveldb_options_create();
	s->cache = leveldb_cache_create_lru(o->block_cache_bytes ? o->block_cache_bytes : 64u << 20);
	s->bloom = leveldb_filterpolicy_create_bloom(10);
	leveldb_options_set_create_if_missing(s->opts, (uint8_t)(o->create != 0));
	leveldb_options_set_cache(s->opts, s->cache);
	leveldb_options_set_filter_policy(s->opts, s->bloom);
	leveldb_options_set_compression(s->opts, o->compression < 0 ? leveldb_no_compression
	                                                            : leveldb_snappy_compression);
	leveldb_options_set_write_buffer_size(s->opts, o->write_buffer_bytes ? o->write_buffer_bytes
	                                               : STORE_WRITE_BUFFER);
	leveldb_options_set_block_size(s->opts, o->block_bytes ? o->block_bytes : STORE_BLOCK);
	leveldb_options_set_max_file_size(s->opts, o->max_file_bytes ? o->max_file_bytes
	                                           : STORE_MAX_FILE);
	leveldb_options_set_max_open_files(s->opts, o->open_tables ? (int)o->open_tables
	                                                           : STORE_OPEN_TABLES);
	s->ro = leveldb_readoptions_create();
	s->wo_sync = leveldb_writeoptions_create();
	leveldb_writeoptions_set_sync(s->wo_sync, 1);
	s->wo_async = leveldb_writeoptions_create();
	char *lerr = NULL;
	s->db = leveldb_open(s->opts, dir, &lerr);
	if (!s->db) {
		int busy = lerr && strstr(lerr, "lock ");
		int rc = store_err(lerr, err, errlen, dir);
		if (busy)
			snprintf(err, errlen, "%s: the store is open in another process (a running "
			         "aggregator?): LevelDB allows one at a time", dir);
		store_close(s);
		return rc;
	}
	int rc = store_check_version(s, dir, err, errlen);
	if (rc < 0) {
		store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->db)
		leveldb_close(s->db);
	if (s->ro)
		leveldb_readoptions_destroy(s->ro);
	if (s->wo_sync)
		leveldb_writeoptions_destroy(s->wo_sync);
	if (s->wo_async)
		leveldb_writeoptions_destroy(s->wo_async);
	if (s->opts)
		leveldb_options_destroy(s->opts);
	if (s->cache)
		leveldb_cache_destroy(s->cache);
	if (s->bloom)
		leveldb_filterpolicy_destroy(s->bloom);
	pthread_rwlock_destroy(&s->lock);
	free(s->dir);
	free(s);
}

int store_reopen(struct store *s, char *err, size_t errlen)
{
	char *lerr = NULL;
	pthread_rwlock_wrlock(&s->lock);
	if (s->db)
		leveldb_close(s->db);
	s->db = leveldb_open(s->opts, s->dir, &lerr);
	int rc = s->db ? 0 : store_err(lerr, err, errlen, s->dir);
	pthread_rwlock_unlock(&s->lock);
	return rc;
}

int store_get(struct store *s, const struct store_snap *snap, const uint8_t *key, size_t klen,
              struct pd_buf *val)
{
	char *lerr = NULL;
	size_t vlen = 0;
	leveldb_readoptions_t *ro = s->ro;
	if (snap) {
		ro = leveldb_readoptions_create();
		leveldb_readoptions_set_snapshot(ro, (const leveldb_snapshot_t *)(const void *)snap);
	}
	pthread_rwlock_rdlock(&s->lock);
	char *v = s->db ? leveldb_get(s->db, ro, (const char *)key, klen, &vlen, &lerr) : NULL;
	pthread_rwlock_unlock(&s->lock);
	if (snap)
		leveldb_readoptions_destroy(ro);
	if (lerr)
		return store_err(lerr, NULL, 0, "get");
	if (!v)
		return 0;
	pd_buf_reset(val);
	int rc = pd_buf_add(val, v, vlen);
	leveldb_free(v);
	return rc < 0 ? rc : 1;
}

struct store_batch *store_batch_new(void)
{
	struct store_batch *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->wb = leveldb_writebatch_create();
	if (!(b->puts = kvlist_new())) {
		store_batch_free(b);
		return NULL;
	}
	return b;
}

void store_batch_free(struct store_batch *b)
{
	if (!b)
		return;
	leveldb_writebatch_destroy(b->wb);
	kvlist_free(b->puts);
	free(b);
}

void store_batch_put(struct store_batch *b, const uint8_t *k, size_t kl, const uint8_t *v,
                     size_t vl)
{
	if (kvlist_add(b->puts, k, kl, v, vl) < 0)
		b->failed = 1;
}

void store_batch_clear(struct store_batch *b)
{
	kvlist_clear(b->puts);
	b->failed = 0;
}

int store_write(struct store *s, struct store_batch *b, int sync, char *err, size_t errlen)
{
	if (b->failed) {
		if (err && errlen)
			snprintf(err, errlen, "write: a put did not fit in the batch "
			         "(out of memory, or a key or value of 4 GiB or more)");
		return PD_ESTORE;
	}
	kvlist_sort(b->puts);
	leveldb_writebatch_clear(b->wb);
	size_t cur = 0, kl, vl;
	const uint8_t *k, *v;
	while (kvlist_next(b->puts, &cur, &k, &kl, &v, &vl))
		leveldb_writebatch_put(b->wb, (const char *)k, kl, (const char *)v, vl);
	char *lerr = NULL;
	pthread_rwlock_rdlock(&s->lock);
	if (s->db)
		leveldb_write(s->db, sync ? s->wo_sync : s->wo_async, b->wb, &lerr);
	else
		lerr = strdup("the store is closed");
	pthread_rwlock_unlock(&s->lock);
	if (lerr)
		return store_err(lerr, err, errlen, "write");
	return 0;
}

/* Snapshots and iterators hold the read lock while they live, so a reopen
 * waits for them. */
struct store_snap *store_snap_new(struct store *s)
{
	pthread_rwlock_rdlock(&s->lock);
	if (!s->db) { /* a failed reopen: no snapshot */
		pthread_rwlock_unlock(&s->lock);
		return NULL;
	}
	return (struct store_snap *)(uintptr_t)leveldb_create_snapshot(s->db);
}

void store_snap_free(struct store *s, struct store_snap *snap)
{
	if (!snap)
		return;
	leveldb_release_snapshot(s->db, (const leveldb_snapshot_t *)(const void *)snap);
	pthread_rwlock_unlock(&s->lock);
}

struct store_iter *store_iter_new(struct store *s, const struct store_snap *snap,
                                  enum store_iter_use use)
{
	struct store_iter *it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	it->s = s;
	pthread_rwlock_rdlock(&s->lock);
	if (!s->db) {
		pthread_rwlock_unlock(&s->lock);
		free(it);
		return NULL;
	}
	it->ro = leveldb_readoptions_create();
	/* Long scans should not evict the blocks that lookups keep warm. */
	leveldb_readoptions_set_fill_cache(it->ro, use == STORE_LOOKUP);
	if (snap)
		leveldb_readoptions_set_snapshot(it->ro, (const leveldb_snapshot_t *)(const void *)snap);
	it->it = leveldb_create_iterator(s->db, it->ro);
	return it;
}

void store_iter_free(struct store_iter *it)
{
	if (!it)
		return;
	leveldb_iter_destroy(it->it);
	leveldb_readoptions_destroy(it->ro);
	pthread_rwlock_unlock(&it->s->lock);
	free(it);
}

void store_iter_seek(struct store_iter *it, const uint8_t *key, size_t klen)
{
	leveldb_iter_seek(it->it, (const char *)key, klen);
}

int store_iter_valid(const struct store_iter *it)
{
	return leveldb_iter_valid(it->it);
}

void store_iter_next(struct store_iter *it)
{
	leveldb_iter_next(it->it);
}

const uint8_t *store_iter_key(const struct store_iter *it, size_t *len)
{
	return (const uint8_t *)leveldb_iter_key(it->it, len);
}

const uint8_t *store_iter_value(const struct store_iter *it, size_t *len)
{
	return (const uint8_t *)leveldb_iter_value(it->it, len);
}

int store_iter_status(const struct store_iter *it, char *err, size_t errlen)
{
	char *lerr = NULL;
	leveldb_iter_get_error(it->it, &lerr);
	return lerr ? store_err(lerr, err, errlen, "scan") : 0;
}

int store_property(struct store *s, const char *name, struct pd_buf *out)
{
	pthread_rwlock_rdlock(&s->lock);
	char *v = s->db ? leveldb_property_value(s->db, name) : NULL;
	pthread_rwlock_unlock(&s->lock);
	if (!v)
		return PD_ENOTFOUND;
	pd_buf_reset(out);
	int rc = pd_buf_adds(out, v);
	leveldb_free(v);
	return rc;
}

uint64_t store_approximate_size(struct store *s, const uint8_t *start, size_t sl,
                                const uint8_t *limit, size_t ll)
{
	const char *starts[1] = { (const char *)start }, *limits[1] = { (const char *)limit };
	size_t slens[1] = { sl }, llens[1] = { ll };
	uint64_t size = 0;
	pthread_rwlock_rdlock(&s->lock);
	if (s->db)
		leveldb_approximate_sizes(s->db, 1, starts, slens, limits, llens, &size);
	pthread_rwlock_unlock(&s->lock);
	return size;
}

void store_compact(struct store *s)
{
	pthread_rwlock_rdlock(&s->lock);
	if (s->db)
		leveldb_compact_range(s->db, NULL, 0, NULL, 0);
	pthread_rwlock_unlock(&s->lock);
}

int store_version(const struct store *s)
{
	return s->version;
}

int store_set_version(struct store *s, int version, char *err, size_t errlen)
{
	char text[16];
	int n = snprintf(text, sizeof(text), "%d", version);
	struct store_batch *b = store_batch_new();
	store_batch_put(b, version_key, sizeof(version_key), (const uint8_t *)text, (size_t)n);
	int rc = store_write(s, b, 1, err, errlen);
	store_batch_free(b);
	if (rc == 0)
		s->version = version;
	return rc;
}
