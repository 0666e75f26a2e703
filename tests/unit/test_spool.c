/* Unit tests for spool: put/reopen/order, the file format, the cap and its
 * counters, torn and garbage entries at open and on read, set-aside
 * directories and their cap, ENOSPC and read-only file systems (tmpfs, when
 * root), and one thread putting while another reads and removes. Each test
 * works in its own mkdtemp directory. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pd_crc32c.h"
#include "pd_err.h"
#include "pd_log.h"
#include "spool.h"

#define PL 1000 /* default payload length */

struct fx {
	char base[64], mnt[80], dir[96], sdir[128];
	struct sensor_stats st;
	struct spool *sp;
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->base, sizeof(f->base), "/tmp/test_spool.XXXXXX");
	assert_non_null(mkdtemp(f->base));
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->base);
	snprintf(f->sdir, sizeof(f->sdir), "%s/spool", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	spool_close(f->sp);
	if (f->mnt[0])
		umount2(f->mnt, MNT_DETACH);
	nftw(f->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* (Re)opens with fresh counters. */
static void reopen(struct fx *f, uint64_t max_bytes)
{
	char err[512] = "";
	spool_close(f->sp);
	f->sp = NULL;
	memset(&f->st, 0, sizeof(f->st));
	int rc = spool_open(&f->sp, f->dir, max_bytes, &f->st, err, sizeof(err));
	if (rc != 0)
		fail_msg("spool_open: %d %s", rc, err);
}

static void payload(uint8_t *p, uint64_t seq, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i * 7);
}

static int put(struct fx *f, uint64_t seq, size_t len, uint32_t n_obs)
{
	uint8_t *p = malloc(len + 1);
	payload(p, seq, len);
	int rc = spool_put(f->sp, seq, p, len, n_obs, (int64_t)(1700000000 + seq));
	free(p);
	return rc;
}

static void check_read(struct fx *f, uint64_t seq, size_t len, uint32_t n_obs)
{
	struct pd_buf b;
	struct spool_meta m;
	uint8_t *want = malloc(len + 1);
	payload(want, seq, len);
	pd_buf_init(&b, SPOOL_MAX_PAYLOAD);
	assert_int_equal(spool_read(f->sp, seq, &b, &m), 0);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, want, len);
	assert_int_equal(m.len, len);
	assert_int_equal(m.n_obs, n_obs);
	assert_int_equal(m.created_s, 1700000000 + (int64_t)seq);
	pd_buf_fini(&b);
	free(want);
}

static void path_of(const struct fx *f, char *p, size_t n, const char *name)
{
	snprintf(p, n, "%s/%s", f->sdir, name);
}

static void name_of(char name[32], uint64_t seq)
{
	snprintf(name, 32, "%016llx.batch", (unsigned long long)seq);
}

/* Reads a spooled file whole (test-owned buffer). */
static size_t slurp(const struct fx *f, const char *name, uint8_t *buf, size_t cap)
{
	char p[256];
	path_of(f, p, sizeof(p), name);
	FILE *fp = fopen(p, "rb");
	assert_non_null(fp);
	size_t n = fread(buf, 1, cap, fp);
	fclose(fp);
	return n;
}

static void spit(const struct fx *f, const char *name, const void *buf, size_t n)
{
	char p[256];
	path_of(f, p, sizeof(p), name);
	FILE *fp = fopen(p, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(buf, 1, n, fp), n);
	fclose(fp);
}

static size_t count_dir(const struct fx *f, const char *sub, const char *prefix)
{
	char p[256];
	path_of(f, p, sizeof(p), sub);
	DIR *d = opendir(p);
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    !strncmp(de->d_name, prefix, strlen(prefix)))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* The documented format, built independently of spool.c. */
static size_t build(uint8_t *out, const char *magic, uint64_t seq, uint32_t len_field,
                    const uint8_t *pl, size_t len, uint32_t crc_delta)
{
	memcpy(out, magic, 8);
	be(out + 8, seq, 8);
	be(out + 16, 1700000000 + seq, 8);
	be(out + 24, 5, 4);
	be(out + 28, len_field, 4);
	be(out + 32, pd_crc32c(0, pl, len) ^ crc_delta, 4);
	be(out + 36, pd_crc32c(0, out, 36), 4);
	memcpy(out + 40, pl, len);
	return 40 + len;
}

static void test_put_reopen_order(void **state)
{
	struct fx *f = *state;
	reopen(f, 1 << 30);
	static const uint64_t seqs[] = { 5, 3, 9, 1 };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(put(f, seqs[i], PL + i, (uint32_t)(10 * seqs[i])), 0);
	for (int round = 0; round < 2; round++) {
		uint64_t bytes, n, seq = 0;
		int64_t created;
		spool_depth(f->sp, &bytes, &n);
		assert_int_equal(n, 4);
		assert_int_equal(bytes, 4 * (SPOOL_HDR_LEN + PL) + 0 + 1 + 2 + 3);
		assert_int_equal(spool_first(f->sp, 0, &seq), 0);
		assert_int_equal(seq, 1);
		assert_int_equal(spool_first(f->sp, 1, &seq), 0);
		assert_int_equal(seq, 3);
		assert_int_equal(spool_first(f->sp, 4, &seq), 0);
		assert_int_equal(seq, 5);
		assert_int_equal(spool_first(f->sp, 9, &seq), PD_ENOTFOUND);
		assert_int_equal(spool_first(f->sp, UINT64_MAX, &seq), PD_ENOTFOUND);
		assert_int_equal(spool_oldest(f->sp, &seq, &created), 0);
		assert_int_equal(seq, 1);
		assert_int_equal(created, 1700000001);
		assert_int_equal(spool_last(f->sp), 9);
		for (size_t i = 0; i < 4; i++)
			check_read(f, seqs[i], PL + i, (uint32_t)(10 * seqs[i]));
		reopen(f, 1 << 30);
	}
	struct spool *other = NULL;
	char err[256];
	assert_int_equal(spool_open(&other, f->dir, 1 << 30, NULL, err, sizeof(err)), PD_EBUSY);
	assert_null(other);
	assert_non_null(strstr(err, "in use by another process"));
	assert_int_equal(put(f, 5, 10, 1), PD_EDUP);
	check_read(f, 5, PL, 50); /* not overwritten */
	assert_int_equal(put(f, 0, 10, 1), PD_EUSAGE);
	assert_int_equal(spool_put(f->sp, 77, "", (size_t)SPOOL_MAX_PAYLOAD + 1, 0, 0), PD_ELIMIT);
	assert_int_equal(spool_remove(f->sp, 3), 0);
	assert_int_equal(spool_remove(f->sp, 3), 0);   /* idempotent */
	assert_int_equal(spool_remove(f->sp, 1234), 0);
	uint64_t seq;
	int64_t created;
	assert_int_equal(spool_first(f->sp, 1, &seq), 0);
	assert_int_equal(seq, 5);
	assert_int_equal(spool_remove(f->sp, 1), 0);
	assert_int_equal(spool_oldest(f->sp, &seq, &created), 0);
	assert_int_equal(seq, 5);
	struct pd_buf b;
	pd_buf_init(&b, 100); /* too small for the payload */
	assert_int_equal(spool_read(f->sp, 5, &b, NULL), PD_ELIMIT);
	assert_int_equal(spool_read(f->sp, 3, &b, NULL), PD_ENOTFOUND);
	pd_buf_fini(&b);
	check_read(f, 5, PL, 50);
	assert_int_equal(put(f, 2, 0, 0), 0); /* empty payload is allowed */
	check_read(f, 2, 0, 0);
	assert_int_equal(spool_remove(f->sp, 2), 0);
	reopen(f, 1 << 30);
	uint64_t bytes, n;
	spool_depth(f->sp, &bytes, &n);
	assert_int_equal(n, 2);
	assert_int_equal(count_dir(f, "", ".tmp-"), 0);
	for (int i = 0; i < ST__COUNT; i++)
		assert_int_equal(f->st.v[i], 0);
}

static void test_file_format(void **state)
{
	struct fx *f = *state;
	reopen(f, 1 << 30);
	uint8_t pl[300], want[400], got[400];
	payload(pl, 0x0102030405060708u, sizeof(pl));
	assert_int_equal(spool_put(f->sp, 0x0102030405060708u, pl, sizeof(pl), 5,
	                           1700000000 + 0x0102030405060708), 0);
	size_t n = build(want, "ALMSPL01", 0x0102030405060708u, sizeof(pl), pl, sizeof(pl), 0);
	assert_int_equal(slurp(f, "0102030405060708.batch", got, sizeof(got)), n);
	assert_memory_equal(got, want, n);
	/* A file built from the documented format by someone else is accepted. */
	payload(pl, 77, sizeof(pl));
	n = build(want, "ALMSPL01", 77, sizeof(pl), pl, sizeof(pl), 0);
	spit(f, "000000000000004d.batch", want, n);
	reopen(f, 1 << 30);
	assert_int_equal(spool_last(f->sp), 0x0102030405060708u);
	uint64_t seq;
	assert_int_equal(spool_first(f->sp, 0, &seq), 0);
	assert_int_equal(seq, 77);
	assert_int_equal(f->st.v[ST_spool_corrupt], 0);
}

static void test_cap_drops_oldest(void **state)
{
	struct fx *f = *state;
	const uint64_t one = SPOOL_HDR_LEN + PL;
	reopen(f, 3 * one);
	for (uint64_t s = 1; s <= 5; s++)
		assert_int_equal(put(f, s, PL, (uint32_t)(10 * s)), 0);
	uint64_t bytes, n, seq;
	spool_depth(f->sp, &bytes, &n);
	assert_int_equal(n, 3);
	assert_int_equal(bytes, 3 * one);
	assert_int_equal(f->st.v[ST_spool_dropped_batches], 2);
	assert_int_equal(f->st.v[ST_spool_dropped_observations], 10 + 20);
	assert_int_equal(spool_first(f->sp, 0, &seq), 0);
	assert_int_equal(seq, 3);
	assert_int_equal(count_dir(f, "", ""), 3);
	/* One batch larger than the cap: everything else goes, it stays. */
	assert_int_equal(put(f, 6, 5 * PL, 7), 0);
	spool_depth(f->sp, &bytes, &n);
	assert_int_equal(n, 1);
	assert_int_equal(f->st.v[ST_spool_dropped_batches], 5);
	assert_int_equal(f->st.v[ST_spool_dropped_observations], 10 + 20 + 30 + 40 + 50);
	check_read(f, 6, 5 * PL, 7);
	assert_int_equal(put(f, 7, PL, 8), 0); /* and now it is the oldest */
	assert_int_equal(f->st.v[ST_spool_dropped_batches], 6);
	assert_int_equal(f->st.v[ST_spool_dropped_observations], 150 + 7);
	/* A smaller cap at open drops there, counted with n_obs from the header. */
	assert_int_equal(put(f, 8, PL, 9), 0);
	reopen(f, one);
	spool_depth(f->sp, &bytes, &n);
	assert_int_equal(n, 1);
	assert_int_equal(f->st.v[ST_spool_dropped_batches], 1);
	assert_int_equal(f->st.v[ST_spool_dropped_observations], 8);
	check_read(f, 8, PL, 9);
}

/* Writes buf as the file of seq (or name), reopens, and checks that only the
 * good batch 1 is indexed and exactly one more corrupt entry is counted. */
static void expect_set_aside(struct fx *f, const char *name, const void *buf, size_t n)
{
	if (buf)
		spit(f, name, buf, n);
	size_t aside = count_dir(f, "corrupt", "");
	reopen(f, 1 << 30);
	uint64_t bytes, batches, seq;
	spool_depth(f->sp, &bytes, &batches);
	assert_int_equal(batches, 1);
	assert_int_equal(bytes, SPOOL_HDR_LEN + PL);
	assert_int_equal(spool_first(f->sp, 1, &seq), PD_ENOTFOUND);
	assert_int_equal(f->st.v[ST_spool_corrupt], 1);
	assert_int_equal(count_dir(f, "", ""), 2); /* the good batch, corrupt/ */
	if (strncmp(name, ".tmp-", 5) != 0)
		assert_int_equal(count_dir(f, "corrupt", ""),
		                 aside < SPOOL_KEEP_ASIDE ? aside + 1 : SPOOL_KEEP_ASIDE);
}

static void test_torn_and_garbage_at_open(void **state)
{
	struct fx *f = *state;
	uint8_t good[SPOOL_HDR_LEN + PL], bad[SPOOL_HDR_LEN + PL + 1];
	reopen(f, 1 << 30);
	assert_int_equal(put(f, 1, PL, 1), 0);
	assert_int_equal(put(f, 7, PL, 1), 0);
	assert_int_equal(slurp(f, "0000000000000007.batch", good, sizeof(good)), sizeof(good));
	const char *n7 = "0000000000000007.batch";
	static const size_t cuts_pl[] = { 0, 1, 2, PL / 2, PL - 1 };
	for (size_t cut = 0; cut < SPOOL_HDR_LEN; cut++)         /* torn header */
		expect_set_aside(f, n7, good, cut);
	for (size_t i = 0; i < sizeof(cuts_pl) / sizeof(cuts_pl[0]); i++)
		expect_set_aside(f, n7, good, SPOOL_HDR_LEN + cuts_pl[i]); /* torn payload */
	for (size_t i = 0; i < SPOOL_HDR_LEN; i++) { /* any header bit */
		memcpy(bad, good, sizeof(good));
		bad[i] ^= 0x10;
		expect_set_aside(f, n7, bad, sizeof(good));
	}
	memcpy(bad, good, sizeof(good));
	bad[SPOOL_HDR_LEN + PL / 3] ^= 1;                      /* payload bit */
	expect_set_aside(f, n7, bad, sizeof(good));
	memcpy(bad, good, sizeof(good));
	bad[sizeof(good)] = 0;                                 /* one byte too many */
	expect_set_aside(f, n7, bad, sizeof(good) + 1);
	/* Fields wrong but the header CRC right: each check on its own. */
	uint8_t pl[PL], *big = malloc(SPOOL_HDR_LEN + PL);
	payload(pl, 7, PL);
	expect_set_aside(f, n7, big, build(big, "ALMSPL02", 7, PL, pl, PL, 0));
	expect_set_aside(f, n7, big, build(big, "ALMSPL01", 8, PL, pl, PL, 0));
	expect_set_aside(f, n7, big, build(big, "ALMSPL01", 7, PL + 1, pl, PL, 0));
	expect_set_aside(f, n7, big, build(big, "ALMSPL01", 7, PL - 1, pl, PL, 0));
	expect_set_aside(f, n7, big, build(big, "ALMSPL01", 7, 0xffffffffu, pl, PL, 0));
	expect_set_aside(f, n7, big, build(big, "ALMSPL01", 7, PL, pl, PL, 0x80));
	free(big);
	expect_set_aside(f, "0000000000000008.batch", good, sizeof(good)); /* name != seq */
	expect_set_aside(f, n7, "", 0);                                   /* empty */
	expect_set_aside(f, "000000000000000A.batch", good, sizeof(good)); /* upper case */
	expect_set_aside(f, "0000000000000000.batch", good, sizeof(good)); /* seq 0 */
	expect_set_aside(f, "7.batch", good, sizeof(good));
	expect_set_aside(f, ".tmp-0000000000000007", good, 17);            /* deleted */
	assert_int_equal(count_dir(f, "", ".tmp-"), 0);

	char p[256], q[256];
	path_of(f, p, sizeof(p), n7);
	assert_int_equal(mkdir(p, 0700), 0);                    /* a directory */
	spit(f, "0000000000000007.batch/x", "x", 1);
	expect_set_aside(f, n7, NULL, 0);
	snprintf(q, sizeof(q), "%s/elsewhere", f->base);       /* a symlink to a good file */
	FILE *fp = fopen(q, "wb");
	assert_non_null(fp);
	fwrite(good, 1, sizeof(good), fp);
	fclose(fp);
	assert_int_equal(symlink(q, p), 0);
	expect_set_aside(f, n7, NULL, 0);
	assert_int_equal(mkfifo(p, 0600), 0);                   /* a FIFO: must not block */
	expect_set_aside(f, n7, NULL, 0);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);   /* 64 MiB + 41, sparse */
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)SPOOL_MAX_PAYLOAD + SPOOL_HDR_LEN + 1), 0);
	close(fd);
	expect_set_aside(f, n7, NULL, 0);
	if (geteuid() != 0) {                                    /* unreadable */
		spit(f, n7, good, sizeof(good));
		chmod(p, 0);
		expect_set_aside(f, n7, NULL, 0);
	}
	/* Names that are not ours are left alone and not counted. */
	spit(f, "README", "x", 1);
	reopen(f, 1 << 30);
	assert_int_equal(f->st.v[ST_spool_corrupt], 0);
	assert_int_equal(count_dir(f, "", "README"), 1);
	check_read(f, 1, PL, 1);
}

static void test_read_revalidates(void **state)
{
	struct fx *f = *state;
	struct pd_buf b;
	uint8_t buf[SPOOL_HDR_LEN + PL];
	uint64_t seq;
	reopen(f, 1 << 30);
	for (uint64_t s = 1; s <= 3; s++)
		assert_int_equal(put(f, s, PL, 1), 0);
	slurp(f, "0000000000000002.batch", buf, sizeof(buf));
	buf[SPOOL_HDR_LEN + 5] ^= 0x40;
	spit(f, "0000000000000002.batch", buf, sizeof(buf));
	pd_buf_init(&b, SPOOL_MAX_PAYLOAD);
	assert_int_equal(spool_read(f->sp, 2, &b, NULL), PD_EMALF);
	assert_int_equal(b.len, 0);
	assert_int_equal(f->st.v[ST_spool_corrupt], 1);
	assert_int_equal(count_dir(f, "corrupt", ""), 1);
	assert_int_equal(spool_read(f->sp, 2, &b, NULL), PD_ENOTFOUND);
	assert_int_equal(spool_first(f->sp, 1, &seq), 0);
	assert_int_equal(seq, 3);
	char p[256];
	path_of(f, p, sizeof(p), "0000000000000003.batch");
	assert_int_equal(unlink(p), 0);                        /* vanished */
	assert_int_equal(spool_read(f->sp, 3, &b, NULL), PD_EMALF);
	assert_int_equal(f->st.v[ST_spool_corrupt], 2);
	assert_int_equal(spool_first(f->sp, 1, &seq), PD_ENOTFOUND);
	pd_buf_fini(&b);
	check_read(f, 1, PL, 1);
}

static void test_set_aside_and_caps(void **state)
{
	struct fx *f = *state;
	reopen(f, 1 << 30);
	for (uint64_t s = 1; s <= SPOOL_KEEP_ASIDE + 5; s++)
		assert_int_equal(put(f, s, 10, 1), 0);
	assert_int_equal(spool_set_aside(f->sp, 2, "bad signature"), 0);
	assert_int_equal(spool_set_aside(f->sp, 2, "again"), PD_ENOTFOUND);
	assert_int_equal(f->st.v[ST_spool_rejected], 1);
	assert_int_equal(count_dir(f, "rejected", ""), 1);
	uint64_t seq;
	assert_int_equal(spool_first(f->sp, 1, &seq), 0);
	assert_int_equal(seq, 3);
	for (uint64_t s = 3; s <= SPOOL_KEEP_ASIDE + 4; s++)
		assert_int_equal(spool_set_aside(f->sp, s, "bad"), 0);
	assert_int_equal(f->st.v[ST_spool_rejected], SPOOL_KEEP_ASIDE + 3);
	assert_int_equal(count_dir(f, "rejected", ""), SPOOL_KEEP_ASIDE);
	reopen(f, 1 << 30); /* rejected/ is not scanned */
	uint64_t bytes, n;
	spool_depth(f->sp, &bytes, &n);
	assert_int_equal(n, 2);
	assert_int_equal(f->st.v[ST_spool_corrupt], 0);
	/* corrupt/ keeps the newest SPOOL_KEEP_ASIDE too. */
	spool_close(f->sp);
	f->sp = NULL;
	for (uint64_t s = 1000; s < 1000 + SPOOL_KEEP_ASIDE + 20; s++) {
		char name[32];
		name_of(name, s);
		spit(f, name, "", 0);
	}
	reopen(f, 1 << 30);
	assert_int_equal(f->st.v[ST_spool_corrupt], SPOOL_KEEP_ASIDE + 20);
	assert_int_equal(count_dir(f, "corrupt", ""), SPOOL_KEEP_ASIDE);
	spool_depth(f->sp, &bytes, &n);
	assert_int_equal(n, 2);
}

/* Mounts a 64 KiB tmpfs at base/mnt and puts the state directory there. */
static bool small_fs(struct fx *f)
{
	char mnt[80];
	snprintf(mnt, sizeof(mnt), "%s/mnt", f->base);
	assert_int_equal(mkdir(mnt, 0700), 0);
	if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=64k,mode=0700") != 0) {
		print_message("skipped: ENOSPC and EROFS need root and tmpfs (%s)\n",
		              geteuid() != 0 ? "not root" : strerror(errno));
		return false;
	}
	memcpy(f->mnt, mnt, sizeof(mnt));
	snprintf(f->dir, sizeof(f->dir), "%s/state", mnt);
	snprintf(f->sdir, sizeof(f->sdir), "%s/spool", f->dir);
	return true;
}

static void no_leftovers(struct fx *f, uint64_t failed_seq)
{
	char name[32];
	name_of(name, failed_seq);
	assert_int_equal(count_dir(f, "", ".tmp-"), 0);
	assert_int_equal(count_dir(f, "", name), 0);
}

static void test_disk_full_and_read_only(void **state)
{
	struct fx *f = *state;
	if (geteuid() != 0) { /* permissions are what a non-root run can test */
		reopen(f, 1 << 30);
		assert_int_equal(chmod(f->sdir, 0500), 0);
		assert_int_equal(put(f, 1, PL, 1), -EACCES);
		assert_int_equal(f->st.v[ST_spool_write_errors], 1);
		chmod(f->sdir, 0700);
		assert_int_equal(put(f, 1, PL, 1), 0);
	}
	if (!small_fs(f))
		skip();
	reopen(f, 1 << 30);
	uint64_t s = 1;
	int rc;
	while ((rc = put(f, s, 20000, 1)) == 0)
		s++;
	assert_int_equal(rc, -ENOSPC);
	assert_true(s > 1);
	no_leftovers(f, s);
	assert_int_equal(put(f, s, 20000, 1), -ENOSPC);        /* same episode */
	assert_int_equal(f->st.v[ST_spool_write_errors], 2);
	uint64_t bytes, n;
	spool_depth(f->sp, &bytes, &n);
	assert_int_equal(n, s - 1);
	assert_int_equal(spool_remove(f->sp, 1), 0);             /* room again */
	assert_int_equal(put(f, s, 20000, 1), 0);
	check_read(f, s, 20000, 1);
	reopen(f, 1 << 30);
	assert_int_equal(f->st.v[ST_spool_corrupt], 0);
	spool_depth(f->sp, &bytes, &n);
	assert_int_equal(n, s - 1);

	assert_int_equal(mount(NULL, f->mnt, NULL, MS_REMOUNT | MS_RDONLY, "size=64k"), 0);
	assert_int_equal(spool_remove(f->sp, 2), -EROFS);        /* forgotten anyway */
	assert_int_equal(put(f, s + 1, 100, 1), -EROFS);
	assert_int_equal(f->st.v[ST_spool_write_errors], 1);
	no_leftovers(f, s + 1);
	check_read(f, s, 20000, 1);
	spool_close(f->sp);
	f->sp = NULL;
	assert_int_equal(umount(f->mnt), 0);
	f->mnt[0] = '\0';
}

#define N_BATCHES 300

static void *producer(void *arg)
{
	struct fx *f = arg;
	for (uint64_t s = 1; s <= N_BATCHES; s++)
		if (put(f, s, 100 + s % 50, (uint32_t)s) != 0)
			return (void *)1;
	return NULL;
}

static void test_put_while_removing(void **state)
{
	struct fx *f = *state;
	reopen(f, 1 << 30);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, producer, f), 0);
	uint8_t seen[N_BATCHES + 1] = { 0 };
	uint64_t last = 0, got = 0, seq;
	struct pd_buf b;
	pd_buf_init(&b, 1 << 20);
	while (got < N_BATCHES) {
		if (spool_first(f->sp, last, &seq) != 0) {
			sched_yield();
			continue;
		}
		struct spool_meta m;
		assert_int_equal(spool_read(f->sp, seq, &b, &m), 0);
		uint8_t want[200];
		payload(want, seq, 100 + seq % 50);
		assert_int_equal(b.len, 100 + seq % 50);
		assert_memory_equal(b.data, want, b.len);
		assert_int_equal(m.n_obs, seq);
		assert_int_equal(spool_remove(f->sp, seq), 0);
		assert_true(seq > last);
		assert_int_equal(seen[seq]++, 0);
		last = seq;
		got++;
	}
	void *ret;
	pthread_join(th, &ret);
	assert_null(ret);
	pd_buf_fini(&b);
	for (uint64_t s = 1; s <= N_BATCHES; s++)
		assert_int_equal(seen[s], 1);
	uint64_t bytes, n;
	spool_depth(f->sp, &bytes, &n);
	assert_int_equal(n, 0);
	assert_int_equal(bytes, 0);
	assert_int_equal(count_dir(f, "", ""), 0);
}

int main(void)
{
	pd_log_init("test_spool", getenv("TEST_VERBOSE") ? PD_LOG_DEBUG : PD_LOG_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_put_reopen_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_drops_oldest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_and_garbage_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_revalidates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_aside_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full_and_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_while_removing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
