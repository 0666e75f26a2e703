#include "spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pd_crc32c.h"
#include "pd_err.h"
#include "pd_log.h"

#define SPOOL_MAGIC "ALMSPL01"
#define SPOOL_NAME_LEN 22   /* 16 hex digits + ".batch" */
#define SPOOL_SCAN_LOG_MAX 10

struct spool_ent {
	uint64_t seq, size; /* size: header + payload bytes */
	int64_t created_s;
	uint32_t n_obs;
};

struct spool_hdr {
	uint64_t seq;
	int64_t created_s;
	uint32_t n_obs, len, crc;
};

struct spool {
	pthread_mutex_t put_mu;   /* serialises spool_put */
	pthread_mutex_t mu;       /* everything below, and the counters */
	int dirfd;                /* DIR/spool, flocked */
	char *path;               /* DIR/spool, for messages */
	struct spool_ent *e;      /* e[head .. head + n), ascending seq */
	size_t head, n, cap;
	uint64_t bytes, max_bytes;
	uint64_t aside_ns;        /* last set-aside name stamp (unique, rising) */
	unsigned scan_logged;     /* set-aside lines logged during the scan */
	bool scanning, put_failing;
	struct sensor_stats *st, own_stats;
};

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void hdr_encode(uint8_t h[SPOOL_HDR_LEN], const struct spool_hdr *x)
{
	memcpy(h, SPOOL_MAGIC, 8);
	put_be(h + 8, x->seq, 8);
	put_be(h + 16, (uint64_t)x->created_s, 8);
	put_be(h + 24, x->n_obs, 4);
	put_be(h + 28, x->len, 4);
	put_be(h + 32, x->crc, 4);
	put_be(h + 36, pd_crc32c(0, h, 36), 4);
}

static int hdr_decode(const uint8_t h[SPOOL_HDR_LEN], struct spool_hdr *x)
{
	if (memcmp(h, SPOOL_MAGIC, 8) != 0 || get_be(h + 36, 4) != pd_crc32c(0, h, 36))
		return PD_EMALF;
	x->seq = get_be(h + 8, 8);
	x->created_s = (int64_t)get_be(h + 16, 8);
	x->n_obs = (uint32_t)get_be(h + 24, 4);
	x->len = (uint32_t)get_be(h + 28, 4);
	x->crc = (uint32_t)get_be(h + 32, 4);
	return x->len > SPOOL_MAX_PAYLOAD ? PD_EMALF : 0;
}

static void batch_name(char name[SPOOL_NAME_LEN + 1], uint64_t seq)
{
	snprintf(name, SPOOL_NAME_LEN + 1, "%016llx.batch", (unsigned long long)seq);
}

/* 1: a well-formed batch name (*seq set); 0: not ours; -1: ends in ".batch"
 * but is not a valid name (set aside as corrupt). */
static int parse_name(const char *name, uint64_t *seq)
{
	size_t len = strlen(name);
	if (len < 6 || strcmp(name + len - 6, ".batch") != 0)
		return 0;
	if (len != SPOOL_NAME_LEN)
		return -1;
	uint64_t v = 0;
	for (int i = 0; i < 16; i++) {
		char c = name[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	*seq = v;
	return v == 0 ? -1 : 1;
}

static int pread_full(int fd, void *buf, size_t n, off_t off)
{
	uint8_t *p = buf;
	while (n > 0) {
		ssize_t r = pread(fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return PD_EMALF; /* shorter than its header says */
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n > 0) {
		ssize_t r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Checks that the payload's CRC matches: into out when given (PD_ELIMIT if
 * it cannot hold it), else streamed through a small buffer. */
static int read_payload(int fd, const struct spool_hdr *h, struct pd_buf *out)
{
	uint32_t crc = 0;
	int rc = 0;
	if (out) {
		pd_buf_reset(out);
		if ((rc = pd_buf_reserve(out, h->len)) < 0 ||
		    (rc = pread_full(fd, out->data, h->len, SPOOL_HDR_LEN)) < 0)
			return rc;
		out->len = h->len;
		crc = pd_crc32c(0, out->data, h->len);
	} else {
		uint8_t buf[16384];
		for (size_t off = 0; off < h->len && rc == 0; off += sizeof(buf)) {
			size_t k = h->len - off < sizeof(buf) ? h->len - off : sizeof(buf);
			if ((rc = pread_full(fd, buf, k, (off_t)(SPOOL_HDR_LEN + off))) == 0)
				crc = pd_crc32c(crc, buf, k);
		}
	}
	return rc < 0 ? rc : crc == h->crc ? 0 : PD_EMALF;
}

/* Validates batch file name (expected to hold seq) and reads its payload
 * (see read_payload). PD_EMALF for anything not a valid batch; -errno for
 * I/O errors. Never opens anything but a regular file, never blocks. */
static int check_file(int dirfd, const char *name, uint64_t seq, struct spool_hdr *h,
                      struct pd_buf *out)
{
	struct stat sb;
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode) || sb.st_size < SPOOL_HDR_LEN ||
	    sb.st_size > (off_t)SPOOL_HDR_LEN + SPOOL_MAX_PAYLOAD)
		return PD_EMALF;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP || errno == ENXIO ? PD_EMALF : -errno;
	uint8_t hb[SPOOL_HDR_LEN];
	int rc = 0;
	if (fstat(fd, &sb) < 0)
		rc = -errno;
	else if (!S_ISREG(sb.st_mode))
		rc = PD_EMALF;
	else if ((rc = pread_full(fd, hb, sizeof(hb), 0)) == 0 && (rc = hdr_decode(hb, h)) == 0 &&
	         (h->seq != seq || sb.st_size != (off_t)SPOOL_HDR_LEN + h->len))
		rc = PD_EMALF;
	if (rc == 0)
		rc = read_payload(fd, h, out);
	close(fd);
	return rc;
}

/* --- the index: e[head .. head + n), sorted by seq --- */

/* Index of the first entry with seq >= key (n if none). */
static size_t idx_lower(const struct spool *sp, uint64_t key)
{
	size_t lo = 0, hi = sp->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sp->e[sp->head + mid].seq < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool idx_find(const struct spool *sp, uint64_t seq, size_t *pos)
{
	*pos = idx_lower(sp, seq);
	return *pos < sp->n && sp->e[sp->head + *pos].seq == seq;
}

/* Makes room for one more entry at the end. */
static int idx_room(struct spool *sp)
{
	if (sp->head + sp->n < sp->cap)
		return 0;
	if (sp->head > 0) {
		memmove(sp->e, sp->e + sp->head, sp->n * sizeof(*sp->e));
		sp->head = 0;
		return 0;
	}
	size_t ncap = sp->cap ? 2 * sp->cap : 64;
	struct spool_ent *ne = realloc(sp->e, ncap * sizeof(*ne));
	if (!ne)
		return -ENOMEM;
	sp->e = ne;
	sp->cap = ncap;
	return 0;
}

static int idx_insert(struct spool *sp, const struct spool_ent *ent)
{
	if (idx_room(sp) < 0)
		return -ENOMEM;
	size_t pos = idx_lower(sp, ent->seq);
	struct spool_ent *at = sp->e + sp->head + pos;
	memmove(at + 1, at, (sp->n - pos) * sizeof(*at));
	*at = *ent;
	sp->n++;
	sp->bytes += ent->size;
	return 0;
}

static void idx_delete(struct spool *sp, size_t pos)
{
	struct spool_ent *at = sp->e + sp->head + pos;
	sp->bytes -= at->size;
	if (pos == 0)
		sp->head++;
	else
		memmove(at, at + 1, (sp->n - pos - 1) * sizeof(*at));
	if (--sp->n == 0)
		sp->head = 0;
}

static int ent_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct spool_ent *)a)->seq, y = ((const struct spool_ent *)b)->seq;
	return x < y ? -1 : x > y;
}

/* --- corrupt/ and rejected/ --- */

/* Deletes all but the SPOOL_KEEP_ASIDE newest entries of sub (names start
 * with a fixed-width time stamp, so newest = greatest). Two passes with a
 * fixed-size table, whatever the directory holds. */
static void prune_aside(struct spool *sp, const char *sub)
{
	int fd = openat(sp->dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	char (*keep)[NAME_MAX + 1] = calloc(SPOOL_KEEP_ASIDE, sizeof(*keep));
	if (!d || !keep) {
		if (d)
			closedir(d);
		else if (fd >= 0)
			close(fd);
		free(keep);
		return;
	}
	size_t nk = 0, min = 0, total = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		total++;
		if (nk == SPOOL_KEEP_ASIDE && strcmp(de->d_name, keep[min]) <= 0)
			continue;
		snprintf(keep[nk < SPOOL_KEEP_ASIDE ? nk++ : min], NAME_MAX + 1, "%s", de->d_name);
		min = 0;
		for (size_t i = 1; i < nk; i++)
			if (strcmp(keep[i], keep[min]) < 0)
				min = i;
	}
	for (rewinddir(d); total > SPOOL_KEEP_ASIDE && (de = readdir(d));)
		if (strcmp(de->d_name, "..") && strcmp(de->d_name, ".") &&
		    strcmp(de->d_name, keep[min]) < 0 && unlinkat(fd, de->d_name, 0) < 0)
			unlinkat(fd, de->d_name, AT_REMOVEDIR); /* an empty directory */
	closedir(d);
	free(keep);
}

/* Renames name into sub/ as "<ns stamp>-<name>" (sub created on demand).
 * Called with mu held, or during the single-threaded scan. */
static int move_aside(struct spool *sp, const char *name, const char *sub)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	sp->aside_ns = ns > sp->aside_ns ? ns : sp->aside_ns + 1;
	char to[NAME_MAX + 1];
	snprintf(to, sizeof(to), "%s/%020llu-%.200s", sub, (unsigned long long)sp->aside_ns, name);
	if (mkdirat(sp->dirfd, sub, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (renameat(sp->dirfd, name, sp->dirfd, to) < 0)
		return -errno;
	if (!sp->scanning)
		prune_aside(sp, sub);
	return 0;
}

/* Counts a bad entry and sets it aside into corrupt/; a leftover temp file
 * is deleted instead, and one that vanished (rc -ENOENT) is only counted.
 * why: what is wrong, or NULL to describe rc (check_file's code). */
static void set_corrupt(struct spool *sp, const char *name, int rc, const char *why)
{
	bool tmp = strncmp(name, ".tmp-", 5) == 0, gone = rc == -ENOENT;
	if (!why)
		why = gone ? "vanished" : rc == PD_EMALF ? "torn or corrupt" : pd_strerror(rc);
	if (tmp && unlinkat(sp->dirfd, name, 0) == 0)
		rc = 0;
	else if (!gone)
		rc = move_aside(sp, name, "corrupt");
	STAT_INC(sp->st, spool_corrupt);
	if ((sp->scanning && sp->scan_logged++ >= SPOOL_SCAN_LOG_MAX) || tmp)
		return;
	if (gone)
		log_warnx("spool: %s/%s: vanished", sp->path, name);
	else if (rc == 0)
		log_warnx("spool: %s/%s: %s; moved to corrupt/", sp->path, name, why);
	else
		log_warnx("spool: %s/%s: %s; cannot set it aside (%s)", sp->path, name, why,
		          pd_strerror(rc));
}

/* --- open, scan, close --- */

/* Indexes one directory entry, or sets it aside. < 0 only for errors that
 * make the scan itself fail (out of memory or descriptors). */
static int scan_one(struct spool *sp, const char *name, unsigned *unknown)
{
	uint64_t seq = 0;
	struct spool_hdr h;
	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, "corrupt") ||
	    !strcmp(name, "rejected"))
		return 0;
	if (!strncmp(name, ".tmp-", 5)) {
		set_corrupt(sp, name, 0, NULL);
		return 0;
	}
	int kind = parse_name(name, &seq);
	if (kind == 0) {
		if ((*unknown)++ < SPOOL_SCAN_LOG_MAX)
			log_warnx("spool: %s/%s: not a spool file; ignored", sp->path, name);
		return 0;
	}
	int rc = kind < 0 ? PD_EMALF : check_file(sp->dirfd, name, seq, &h, NULL);
	if (rc == -ENOMEM || rc == -EMFILE || rc == -ENFILE)
		return rc;
	if (rc < 0) {
		set_corrupt(sp, name, rc, kind < 0 ? "not a valid batch name" : NULL);
		return 0;
	}
	if (idx_room(sp) < 0)
		return -ENOMEM;
	sp->e[sp->n++] = (struct spool_ent){ seq, SPOOL_HDR_LEN + (uint64_t)h.len,
	                                     h.created_s, h.n_obs };
	sp->bytes += SPOOL_HDR_LEN + (uint64_t)h.len;
	return 0;
}

static void enforce_cap(struct spool *sp, uint64_t keep_seq);

static int spool_scan(struct spool *sp)
{
	int fd = dup(sp->dirfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		int rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	unsigned unknown = 0;
	uint64_t corrupt0 = stat_get(sp->st, ST_spool_corrupt);
	struct dirent *de;
	int rc = 0;
	sp->scanning = true;
	while (rc == 0) {
		errno = 0;
		if (!(de = readdir(d))) {
			rc = -errno;
			break;
		}
		rc = scan_one(sp, de->d_name, &unknown);
	}
	sp->scanning = false;
	closedir(d);
	if (rc < 0)
		return rc;
	if (sp->n > 1)
		qsort(sp->e, sp->n, sizeof(*sp->e), ent_cmp);
	enforce_cap(sp, 0);
	uint64_t corrupt = stat_get(sp->st, ST_spool_corrupt) - corrupt0;
	if (corrupt > 0) {
		log_warnx("spool: %s: %llu corrupt or leftover entries set aside", sp->path,
		          (unsigned long long)corrupt);
		prune_aside(sp, "corrupt");
		fsync(sp->dirfd);
	}
	return 0;
}

static int spool_open_dir(struct spool *sp, const char *dir, char *err, size_t errlen)
{
	size_t plen = strlen(dir) + sizeof("/spool");
	if (!(sp->path = malloc(plen)))
		return -ENOMEM;
	snprintf(sp->path, plen, "%s/spool", dir);
	int rc = 0;
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) ||
	    (mkdir(sp->path, 0700) < 0 && errno != EEXIST) ||
	    (sp->dirfd = open(sp->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot create or open (%s)", sp->path, pd_strerror(rc));
	} else if (flock(sp->dirfd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? PD_EBUSY : -errno;
		snprintf(err, errlen, "%s: %s", sp->path,
		         rc == PD_EBUSY ? "in use by another process" : pd_strerror(rc));
	}
	return rc;
}

int spool_open(struct spool **out, const char *dir, uint64_t max_bytes,
               struct sensor_stats *st, char *err, size_t errlen)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	*out = NULL;
	if (!sp) {
		snprintf(err, errlen, "spool: out of memory");
		return -ENOMEM;
	}
	sp->dirfd = -1;
	sp->max_bytes = max_bytes;
	sp->st = st ? st : &sp->own_stats;
	pthread_mutex_init(&sp->put_mu, NULL);
	pthread_mutex_init(&sp->mu, NULL);
	int rc = spool_open_dir(sp, dir, err, errlen);
	if (rc == 0 && (rc = spool_scan(sp)) < 0)
		snprintf(err, errlen, "%s: cannot scan (%s)", sp->path, pd_strerror(rc));
	if (rc < 0) {
		if (rc == -ENOMEM && !sp->path)
			snprintf(err, errlen, "spool: out of memory");
		spool_close(sp);
		return rc;
	}
	*out = sp;
	return 0;
}

void spool_close(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	pthread_mutex_destroy(&sp->mu);
	pthread_mutex_destroy(&sp->put_mu);
	free(sp->e);
	free(sp->path);
	free(sp);
}

/* --- put and the cap --- */

/* Drops oldest batches (never keep_seq) until within the caps. mu held. */
static void enforce_cap(struct spool *sp, uint64_t keep_seq)
{
	char name[SPOOL_NAME_LEN + 1];
	while ((sp->bytes > sp->max_bytes || sp->n > SPOOL_MAX_BATCHES) && sp->n > 0) {
		size_t pos = sp->e[sp->head].seq == keep_seq ? 1 : 0;
		if (pos >= sp->n)
			break;
		const struct spool_ent *v = &sp->e[sp->head + pos];
		batch_name(name, v->seq);
		if (unlinkat(sp->dirfd, name, 0) < 0 && errno != ENOENT)
			log_warn("spool: cannot delete %s/%s", sp->path, name);
		STAT_INC(sp->st, spool_dropped_batches);
		STAT_ADD(sp->st, spool_dropped_observations, v->n_obs);
		idx_delete(sp, pos);
	}
}

/* Writes seq durably: .tmp-<seq>, fsync, rename, fsync of the directory.
 * On failure nothing of seq is left. put_mu held, mu not. */
static int write_batch(struct spool *sp, const struct spool_hdr *h, const void *data)
{
	char tmp[32], name[SPOOL_NAME_LEN + 1];
	uint8_t hb[SPOOL_HDR_LEN];
	snprintf(tmp, sizeof(tmp), ".tmp-%016llx", (unsigned long long)h->seq);
	batch_name(name, h->seq);
	hdr_encode(hb, h);
	int fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	                0600);
	if (fd < 0)
		return -errno;
	int rc = write_full(fd, hb, sizeof(hb));
	if (rc == 0)
		rc = write_full(fd, data, h->len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(sp->dirfd, tmp, sp->dirfd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(sp->dirfd, tmp, 0);
		return rc;
	}
	if (fsync(sp->dirfd) < 0) {
		rc = -errno;
		unlinkat(sp->dirfd, name, 0); /* not known durable: not spooled */
	}
	return rc;
}

int spool_put(struct spool *sp, uint64_t seq, const void *data, size_t len,
              uint32_t n_obs, int64_t created_s)
{
	if (seq == 0)
		return PD_EUSAGE;
	if (len > SPOOL_MAX_PAYLOAD)
		return PD_ELIMIT;
	struct spool_hdr h = { seq, created_s, n_obs, (uint32_t)len, pd_crc32c(0, data, len) };
	size_t pos;
	pthread_mutex_lock(&sp->put_mu);
	pthread_mutex_lock(&sp->mu);
	bool dup = idx_find(sp, seq, &pos);
	pthread_mutex_unlock(&sp->mu);
	int rc = dup ? PD_EDUP : write_batch(sp, &h, data);
	pthread_mutex_lock(&sp->mu);
	if (rc == 0) {
		struct spool_ent ent = { seq, SPOOL_HDR_LEN + (uint64_t)len, created_s, n_obs };
		char name[SPOOL_NAME_LEN + 1];
		batch_name(name, seq);
		if ((rc = idx_insert(sp, &ent)) < 0)
			unlinkat(sp->dirfd, name, 0);
	}
	if (rc < 0 && rc != PD_EDUP) {
		STAT_INC(sp->st, spool_write_errors);
		if (!sp->put_failing)
			log_warnx("spool: cannot write batch %llu in %s (%s)",
			          (unsigned long long)seq, sp->path, pd_strerror(rc));
		sp->put_failing = true;
	} else if (rc == 0) {
		if (sp->put_failing)
			log_info("spool: writing batches to %s again", sp->path);
		sp->put_failing = false;
		enforce_cap(sp, seq);
	}
	pthread_mutex_unlock(&sp->mu);
	pthread_mutex_unlock(&sp->put_mu);
	return rc;
}

/* --- the shipping side --- */

int spool_read(struct spool *sp, uint64_t seq, struct pd_buf *out, struct spool_meta *meta)
{
	char name[SPOOL_NAME_LEN + 1];
	struct spool_hdr h;
	size_t pos;
	pthread_mutex_lock(&sp->mu);
	bool found = idx_find(sp, seq, &pos);
	pthread_mutex_unlock(&sp->mu);
	if (!found)
		return PD_ENOTFOUND;
	batch_name(name, seq);
	int rc = check_file(sp->dirfd, name, seq, &h, out);
	if (rc == 0 && meta)
		*meta = (struct spool_meta){ h.created_s, h.n_obs, h.len };
	if (rc != PD_EMALF && rc != -ENOENT)
		return rc;
	pthread_mutex_lock(&sp->mu);
	if (idx_find(sp, seq, &pos)) {
		set_corrupt(sp, name, rc, NULL);
		idx_delete(sp, pos);
		rc = PD_EMALF;
	} else {
		rc = PD_ENOTFOUND; /* removed or dropped while we looked */
	}
	pthread_mutex_unlock(&sp->mu);
	if (out)
		pd_buf_reset(out);
	return rc;
}

int spool_remove(struct spool *sp, uint64_t seq)
{
	char name[SPOOL_NAME_LEN + 1];
	size_t pos;
	int rc = 0;
	batch_name(name, seq);
	pthread_mutex_lock(&sp->mu);
	if (idx_find(sp, seq, &pos)) {
		if (unlinkat(sp->dirfd, name, 0) < 0 && errno != ENOENT)
			rc = -errno;
		idx_delete(sp, pos);
	}
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

int spool_set_aside(struct spool *sp, uint64_t seq, const char *reason)
{
	char name[SPOOL_NAME_LEN + 1];
	size_t pos;
	int rc = PD_ENOTFOUND;
	batch_name(name, seq);
	pthread_mutex_lock(&sp->mu);
	if (idx_find(sp, seq, &pos)) {
		rc = move_aside(sp, name, "rejected");
		idx_delete(sp, pos);
		STAT_INC(sp->st, spool_rejected);
		if (rc == 0)
			log_warnx("spool: batch %llu moved to %s/rejected: %s",
			          (unsigned long long)seq, sp->path, reason);
		else
			log_warnx("spool: batch %llu rejected (%s) but cannot be moved (%s)",
			          (unsigned long long)seq, reason, pd_strerror(rc));
	}
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

int spool_first(struct spool *sp, uint64_t after, uint64_t *seq)
{
	int rc = PD_ENOTFOUND;
	pthread_mutex_lock(&sp->mu);
	size_t pos = after == UINT64_MAX ? sp->n : idx_lower(sp, after + 1);
	if (pos < sp->n) {
		*seq = sp->e[sp->head + pos].seq;
		rc = 0;
	}
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

int spool_oldest(struct spool *sp, uint64_t *seq, int64_t *created_s)
{
	int rc = PD_ENOTFOUND;
	pthread_mutex_lock(&sp->mu);
	if (sp->n > 0) {
		*seq = sp->e[sp->head].seq;
		*created_s = sp->e[sp->head].created_s;
		rc = 0;
	}
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

uint64_t spool_last(struct spool *sp)
{
	pthread_mutex_lock(&sp->mu);
	uint64_t seq = sp->n > 0 ? sp->e[sp->head + sp->n - 1].seq : 0;
	pthread_mutex_unlock(&sp->mu);
	return seq;
}

void spool_depth(struct spool *sp, uint64_t *bytes, uint64_t *batches)
{
	pthread_mutex_lock(&sp->mu);
	*bytes = sp->bytes;
	*batches = sp->n;
	pthread_mutex_unlock(&sp->mu);
}
