/* Unit tests for state: stream id and sequence numbers across reopen and
 * crashes, corrupt files, the min_seq floor and recovery, threads. Each test
 * works in its own mkdtemp directory. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pd_err.h"
#include "pd_log.h"
#include "state.h"

struct fx {
	char base[64], dir[96];
};

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->base, sizeof(f->base), "/tmp/test_state.XXXXXX");
	assert_non_null(mkdtemp(f->base));
	snprintf(f->dir, sizeof(f->dir), "%s/state", f->base);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	nftw(f->base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void put_file(const struct fx *f, const char *name, const char *s, size_t n)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	FILE *fp = fopen(p, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(s, 1, n, fp), n);
	fclose(fp);
}

/* The file's contents as a string ("" when missing). */
static const char *get_file(const struct fx *f, const char *name)
{
	static char buf[256];
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	FILE *fp = fopen(p, "rb");
	size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
	if (fp)
		fclose(fp);
	buf[n] = '\0';
	return buf;
}

static bool exists(const struct fx *f, const char *name)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", f->dir, name);
	return access(p, F_OK) == 0;
}

static uint64_t take(struct state *st)
{
	uint64_t seq = 0;
	assert_int_equal(state_next_seq(st, &seq), 0);
	return seq;
}

/* What process death does: the descriptor (and its flock) goes, nothing is
 * written. */
static void crash(struct state *st)
{
	close(st->dirfd);
	free(st->dir);
	pthread_mutex_destroy(&st->mu);
}

static void open_ok(struct fx *f, struct state *st, uint64_t min_seq)
{
	char err[512] = "";
	int rc = state_open(st, f->dir, min_seq, err, sizeof(err));
	if (rc != 0)
		fail_msg("state_open: %d %s", rc, err);
}

static void test_fresh_and_reopen(void **state)
{
	struct fx *f = *state;
	struct state st;
	open_ok(f, &st, 0);
	struct stat sb;
	assert_int_equal(stat(f->dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	char want[64];
	snprintf(want, sizeof(want), "%s\n", st.stream_hex);
	assert_int_equal(strlen(want), 33);
	assert_string_equal(get_file(f, "stream"), want);
	for (size_t i = 0; i < 32; i++)
		assert_non_null(strchr("0123456789abcdef", st.stream_hex[i]));
	assert_string_equal(get_file(f, "seq"), "1\n");
	assert_int_equal(take(&st), 1);
	assert_string_equal(get_file(f, "seq"), "2\n");
	assert_int_equal(take(&st), 2);
	uint8_t id[STATE_STREAM_ID_LEN];
	memcpy(id, st.stream_id, sizeof(id));
	state_close(&st);

	open_ok(f, &st, 0);
	assert_memory_equal(st.stream_id, id, sizeof(id));
	assert_string_equal(get_file(f, "stream"), want);
	assert_int_equal(take(&st), 3);
	state_close(&st);
	assert_false(exists(f, "seq.tmp"));
	assert_false(exists(f, "stream.tmp"));
}

static void test_crash_never_repeats(void **state)
{
	struct fx *f = *state;
	struct state st, other;
	char err[512];
	open_ok(f, &st, 0);
	char hex[33];
	memcpy(hex, st.stream_hex, sizeof(hex));
	for (uint64_t i = 1; i <= 5; i++)
		assert_int_equal(take(&st), i);
	/* A second process on the same directory is refused. */
	assert_int_equal(state_open(&other, f->dir, 0, err, sizeof(err)), PD_EBUSY);
	assert_non_null(strstr(err, "in use"));
	crash(&st);

	/* Died mid-write too: a torn temp file next to the real one. */
	put_file(f, "seq.tmp", "99", 2);
	open_ok(f, &st, 0);
	assert_string_equal(st.stream_hex, hex);
	assert_false(exists(f, "seq.tmp"));
	assert_int_equal(take(&st), 6);
	crash(&st);
	open_ok(f, &st, 0);
	assert_int_equal(take(&st), 7);
	state_close(&st);
}

static void test_corrupt_stream_refused(void **state)
{
	struct fx *f = *state;
	struct state st;
	char err[512];
	static const char *bad[] = {
		"", "\n", "abc\n",
		"0123456789abcdef0123456789abcdef",           /* no newline */
		"0123456789ABCDEF0123456789ABCDEF\n",         /* upper case */
		"0123456789abcdef0123456789abcdeg\n",
		"0123456789abcdef0123456789abcdef\n\n",
		"0123456789abcdef0123456789abcde\n",
		" 123456789abcdef0123456789abcdef\n",
	};
	open_ok(f, &st, 0);
	state_close(&st);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_file(f, "stream", bad[i], strlen(bad[i]));
		for (uint64_t hint = 0; hint <= 100; hint += 100) {
			err[0] = '\0';
			assert_int_equal(state_open(&st, f->dir, hint, err, sizeof(err)), PD_EMALF);
			assert_non_null(strstr(err, "/stream: corrupt"));
			assert_non_null(strstr(err, f->dir));
			assert_string_equal(get_file(f, "stream"), bad[i]); /* left as it was */
		}
	}
	/* Not a regular file. */
	char p[160];
	snprintf(p, sizeof(p), "%s/stream", f->dir);
	unlink(p);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(state_open(&st, f->dir, 0, err, sizeof(err)), PD_EMALF);
	rmdir(p);
	assert_int_equal(symlink("seq", p), 0);
	assert_int_equal(state_open(&st, f->dir, 0, err, sizeof(err)), PD_EMALF);
}

static void test_seq_lost_needs_hint(void **state)
{
	struct fx *f = *state;
	struct state st;
	char err[512];
	static const char *bad[] = {
		"", "\n", "0\n", "abc\n", "12", "-1\n", "+5\n", "0012\n", "12 \n", "1\n2\n",
		"18446744073709551616\n", "99999999999999999999\n",
		"1000000000000000000000000000000000000000000000000000000000000000000000\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		open_ok(f, &st, 0);
		char old[33];
		memcpy(old, st.stream_hex, sizeof(old));
		take(&st);
		state_close(&st);
		put_file(f, "seq", bad[i], strlen(bad[i]));
		err[0] = '\0';
		assert_int_equal(state_open(&st, f->dir, 0, err, sizeof(err)), PD_EMALF);
		assert_non_null(strstr(err, "/seq: corrupt"));
		assert_string_equal(get_file(f, "seq"), bad[i]);
		/* With a floor: a new stream starting at it. */
		open_ok(f, &st, 50 + i);
		assert_string_not_equal(st.stream_hex, old);
		assert_int_equal(take(&st), 50 + i);
		state_close(&st);
		open_ok(f, &st, 0);
		assert_int_equal(take(&st), 51 + i);
		state_close(&st);
	}
	/* Missing. */
	char p[160];
	snprintf(p, sizeof(p), "%s/seq", f->dir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(state_open(&st, f->dir, 0, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/seq: missing"));
	assert_false(exists(f, "seq"));
	char old[33];
	memcpy(old, get_file(f, "stream"), 32);
	old[32] = '\0';
	open_ok(f, &st, 1); /* an empty spool: still safe, as the stream is new */
	assert_memory_not_equal(st.stream_hex, old, 32);
	assert_int_equal(take(&st), 1);
	state_close(&st);
}

static void test_min_seq_floor(void **state)
{
	struct fx *f = *state;
	struct state st;
	open_ok(f, &st, 0);
	char hex[33];
	memcpy(hex, st.stream_hex, sizeof(hex));
	for (int i = 0; i < 3; i++)
		take(&st);
	state_close(&st);
	open_ok(f, &st, 100); /* the spool holds up to 99 */
	assert_string_equal(st.stream_hex, hex);
	assert_string_equal(get_file(f, "seq"), "100\n");
	assert_int_equal(take(&st), 100);
	state_close(&st);
	open_ok(f, &st, 5); /* below: no effect */
	assert_string_equal(st.stream_hex, hex);
	assert_int_equal(take(&st), 101);
	state_close(&st);
	/* A fresh directory with a floor starts there. */
	snprintf(f->dir, sizeof(f->dir), "%s/other", f->base);
	open_ok(f, &st, 42);
	assert_int_equal(take(&st), 42);
	state_close(&st);
}

static void test_stream_missing(void **state)
{
	struct fx *f = *state;
	struct state st;
	open_ok(f, &st, 0);
	char hex[33];
	memcpy(hex, st.stream_hex, sizeof(hex));
	for (int i = 0; i < 3; i++)
		take(&st);
	state_close(&st);
	char p[160];
	snprintf(p, sizeof(p), "%s/stream", f->dir);
	assert_int_equal(unlink(p), 0);
	open_ok(f, &st, 0); /* a new stream, numbers still rising */
	assert_string_not_equal(st.stream_hex, hex);
	assert_int_equal(take(&st), 4);
	state_close(&st);
	/* Missing stream and corrupt seq: the floor is unknown. */
	assert_int_equal(unlink(p), 0);
	put_file(f, "seq", "x\n", 2);
	char err[512];
	assert_int_equal(state_open(&st, f->dir, 0, err, sizeof(err)), PD_EMALF);
	open_ok(f, &st, 9);
	assert_int_equal(take(&st), 9);
	state_close(&st);
}

static void test_exhausted_and_bad_dir(void **state)
{
	struct fx *f = *state;
	struct state st;
	char err[512];
	open_ok(f, &st, 0);
	state_close(&st);
	put_file(f, "seq", "18446744073709551614\n", 21);
	open_ok(f, &st, 0);
	assert_int_equal(take(&st), UINT64_MAX - 1);
	uint64_t seq = 7;
	assert_int_equal(state_next_seq(&st, &seq), PD_ELIMIT);
	assert_int_equal(seq, 7);
	state_close(&st);

	snprintf(f->dir, sizeof(f->dir), "%s/file", f->base);
	FILE *fp = fopen(f->dir, "w"); /* f->dir is a regular file */
	assert_non_null(fp);
	fclose(fp);
	assert_int_equal(state_open(&st, f->dir, 0, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, f->dir));
	snprintf(f->dir, sizeof(f->dir), "%s/no/such", f->base);
	assert_int_equal(state_open(&st, f->dir, 0, err, sizeof(err)), -ENOENT);
}

#define N_THREADS 4
#define PER_THREAD 50

struct taker {
	struct state *st;
	uint64_t got[PER_THREAD];
};

static void *take_many(void *arg)
{
	struct taker *t = arg;
	for (int i = 0; i < PER_THREAD; i++)
		if (state_next_seq(t->st, &t->got[i]) != 0)
			t->got[i] = 0;
	return NULL;
}

static void test_threads(void **state)
{
	struct fx *f = *state;
	struct state st;
	open_ok(f, &st, 0);
	struct taker t[N_THREADS];
	pthread_t th[N_THREADS];
	for (int i = 0; i < N_THREADS; i++) {
		t[i].st = &st;
		assert_int_equal(pthread_create(&th[i], NULL, take_many, &t[i]), 0);
	}
	uint8_t seen[N_THREADS * PER_THREAD + 1] = { 0 };
	for (int i = 0; i < N_THREADS; i++) {
		pthread_join(th[i], NULL);
		for (int k = 0; k < PER_THREAD; k++) {
			assert_in_range(t[i].got[k], 1, N_THREADS * PER_THREAD);
			assert_int_equal(seen[t[i].got[k]]++, 0);
			if (k > 0) /* each thread sees its own numbers rise */
				assert_true(t[i].got[k] > t[i].got[k - 1]);
		}
	}
	state_close(&st);
}

int main(void)
{
	pd_log_init("test_state", getenv("TEST_VERBOSE") ? PD_LOG_DEBUG : PD_LOG_ERR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_and_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_never_repeats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_stream_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seq_lost_needs_hint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_min_seq_floor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhausted_and_bad_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
