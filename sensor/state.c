#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pd_err.h"
#include "pd_log.h"

#define STATE_FILE_MAX 64 /* either file is far shorter; more is corrupt */

enum file_state { F_VALID, F_MISSING, F_CORRUPT };

/* Writes name as data via name.tmp, fsync, rename, fsync of the directory:
 * after a crash the file holds either the old or the new contents. */
static int state_write_atomic(int dirfd, const char *name, const char *data, size_t len)
{
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int rc = 0;
	while (len > 0 && rc == 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n > 0) {
			data += n;
			len -= (size_t)n;
		}
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	return fsync(dirfd) < 0 ? -errno : 0;
}

/* Reads a small regular file whole. -ENOENT when missing, PD_EMALF when it
 * is not a regular file or longer than cap, -errno otherwise. */
static int state_read_small(int dirfd, const char *name, char *buf, size_t cap, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? PD_EMALF : -errno;
	struct stat sb;
	int rc = 0;
	if (fstat(fd, &sb) < 0)
		rc = -errno;
	else if (!S_ISREG(sb.st_mode) || sb.st_size > (off_t)cap)
		rc = PD_EMALF;
	*len = 0;
	while (rc == 0) {
		ssize_t n = read(fd, buf + *len, cap - *len);
		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n == 0)
			break;
		else if (n > 0 && (*len += (size_t)n) == cap)
			rc = PD_EMALF; /* grew after fstat */
	}
	close(fd);
	return rc;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static bool parse_stream(const char *s, size_t len, uint8_t id[STATE_STREAM_ID_LEN])
{
	if (len != 2 * STATE_STREAM_ID_LEN + 1 || s[len - 1] != '\n')
		return false;
	for (size_t i = 0; i < STATE_STREAM_ID_LEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool parse_seq(const char *s, size_t len, uint64_t *v)
{
	if (len < 2 || len > 21 || s[len - 1] != '\n' || s[0] == '0')
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i + 1 < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

static void set_stream(struct state *st, const uint8_t id[STATE_STREAM_ID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	memcpy(st->stream_id, id, STATE_STREAM_ID_LEN);
	for (size_t i = 0; i < STATE_STREAM_ID_LEN; i++) {
		st->stream_hex[2 * i] = hex[id[i] >> 4];
		st->stream_hex[2 * i + 1] = hex[id[i] & 15];
	}
	st->stream_hex[2 * STATE_STREAM_ID_LEN] = '\0';
}

static int write_seq(struct state *st, uint64_t v)
{
	char line[24];
	int n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long)v);
	return state_write_atomic(st->dirfd, "seq", line, (size_t)n);
}

static int write_stream(struct state *st)
{
	char line[2 * STATE_STREAM_ID_LEN + 1];
	memcpy(line, st->stream_hex, 2 * STATE_STREAM_ID_LEN);
	line[2 * STATE_STREAM_ID_LEN] = '\n';
	return state_write_atomic(st->dirfd, "stream", line, sizeof(line));
}

static int new_stream_id(struct state *st)
{
	uint8_t id[STATE_STREAM_ID_LEN];
	size_t got = 0;
	while (got < sizeof(id)) {
		ssize_t n = getrandom(id + got, sizeof(id) - got, 0);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			got += (size_t)n;
	}
	set_stream(st, id);
	return 0;
}

/* Reads one of the two files into *fs; fills err and returns < 0 only for
 * errors that are neither "missing" nor "corrupt" (EACCES, EIO...). */
static int load_file(struct state *st, const char *name, char *buf, size_t *len,
                     enum file_state *fs, char *err, size_t errlen)
{
	int rc = state_read_small(st->dirfd, name, buf, STATE_FILE_MAX, len);
	*fs = rc == 0 ? F_VALID : rc == -ENOENT ? F_MISSING : F_CORRUPT;
	if (rc < 0 && rc != -ENOENT && rc != PD_EMALF) {
		snprintf(err, errlen, "%s/%s: cannot read (%s)", st->dir, name, pd_strerror(rc));
		return rc;
	}
	return 0;
}

/* Makes the decision of state_load durable: keeps the stream when both
 * files are valid, else makes a new one. Rotating an existing stream writes
 * the new DIR/stream first, so a crash in between cannot pair the old stream
 * with the floor; otherwise DIR/seq goes first, and a crash leaves "stream
 * missing", which is safe. */
static int state_persist(struct state *st, enum file_state sf, enum file_state qf,
                         const uint8_t *id, uint64_t v)
{
	int rc;
	if (sf == F_VALID && qf == F_VALID) {
		set_stream(st, id);
		return st->next_seq != v ? write_seq(st, st->next_seq) : 0;
	}
	if ((rc = new_stream_id(st)) < 0)
		return rc;
	if (sf == F_VALID)
		return (rc = write_stream(st)) < 0 ? rc : write_seq(st, st->next_seq);
	return (rc = write_seq(st, st->next_seq)) < 0 ? rc : write_stream(st);
}

/* Decides the stream and next number from the two files and min_seq (the
 * rules in state.h), then writes what changed. */
static int state_load(struct state *st, uint64_t min_seq, char *err, size_t errlen)
{
	char sbuf[STATE_FILE_MAX], qbuf[STATE_FILE_MAX];
	size_t slen, qlen;
	enum file_state sf, qf;
	uint8_t id[STATE_STREAM_ID_LEN];
	uint64_t v = 0;
	int rc;

	if ((rc = load_file(st, "stream", sbuf, &slen, &sf, err, errlen)) < 0 ||
	    (rc = load_file(st, "seq", qbuf, &qlen, &qf, err, errlen)) < 0)
		return rc;
	if (sf == F_VALID && !parse_stream(sbuf, slen, id))
		sf = F_CORRUPT;
	if (qf == F_VALID && !parse_seq(qbuf, qlen, &v))
		qf = F_CORRUPT;
	if (sf == F_CORRUPT) {
		snprintf(err, errlen, "%s/stream: corrupt (want 32 lower-case hex digits and a "
		         "newline); refusing to start a new stream: restore the file, or remove "
		         "it to start a new stream", st->dir);
		return PD_EMALF;
	}
	bool fresh = sf == F_MISSING && qf == F_MISSING;
	if (qf != F_VALID && !fresh && min_seq == 0) {
		snprintf(err, errlen, "%s/seq: %s; the sequence numbers used by this stream are "
		         "unknown: start with a recovery floor (the spool's highest sequence "
		         "number + 1) to begin a new stream", st->dir,
		         qf == F_MISSING ? "missing" : "corrupt");
		return qf == F_MISSING ? -ENOENT : PD_EMALF;
	}
	st->next_seq = qf == F_VALID ? v : 1;
	if (st->next_seq < min_seq)
		st->next_seq = min_seq;
	if ((rc = state_persist(st, sf, qf, id, v)) < 0) {
		snprintf(err, errlen, "%s: cannot write state (%s)", st->dir, pd_strerror(rc));
		return rc;
	}
	if (fresh)
		log_info("state: new stream %s in %s", st->stream_hex, st->dir);
	else if (sf != F_VALID || qf != F_VALID)
		log_warnx("state: %s/%s was %s: new stream %s from sequence number %llu",
		          st->dir, sf != F_VALID ? "stream" : "seq",
		          (sf != F_VALID ? sf : qf) == F_MISSING ? "missing" : "corrupt",
		          st->stream_hex, (unsigned long long)st->next_seq);
	return 0;
}

int state_open(struct state *st, const char *dir, uint64_t min_seq, char *err, size_t errlen)
{
	memset(st, 0, sizeof(*st));
	st->dirfd = -1;
	int rc;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot create (%s)", dir, pd_strerror(rc));
		return rc;
	}
	st->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open (%s)", dir, pd_strerror(rc));
		return rc;
	}
	if (flock(st->dirfd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? PD_EBUSY : -errno;
		snprintf(err, errlen, "%s: %s", dir, rc == PD_EBUSY ?
		         "in use by another process" : pd_strerror(rc));
		close(st->dirfd);
		return rc;
	}
	if (!(st->dir = strdup(dir))) {
		close(st->dirfd);
		snprintf(err, errlen, "%s: out of memory", dir);
		return -ENOMEM;
	}
	/* Leftovers of a crash mid-write; the real files are intact. */
	unlinkat(st->dirfd, "stream.tmp", 0);
	unlinkat(st->dirfd, "seq.tmp", 0);
	if ((rc = state_load(st, min_seq, err, errlen)) < 0) {
		close(st->dirfd);
		free(st->dir);
		st->dir = NULL;
		return rc;
	}
	pthread_mutex_init(&st->mu, NULL);
	return 0;
}

void state_close(struct state *st)
{
	if (st->dirfd < 0)
		return;
	pthread_mutex_destroy(&st->mu);
	close(st->dirfd); /* releases the flock */
	st->dirfd = -1;
	free(st->dir);
	st->dir = NULL;
}

int state_next_seq(struct state *st, uint64_t *seq)
{
	pthread_mutex_lock(&st->mu);
	uint64_t next = st->next_seq;
	int rc = next == UINT64_MAX ? PD_ELIMIT : write_seq(st, next + 1);
	if (rc == 0) {
		st->next_seq = next + 1;
		*seq = next;
	}
	pthread_mutex_unlock(&st->mu);
	return rc;
}
