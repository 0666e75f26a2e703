/*
 * store_bench: the writer's merge path alone, against its LevelDB floor.
 *
 *   store_bench DIR TUPLES REPEAT [WRITE_BUFFER_MIB BLOCK_KIB FILE_MIB SNAPPY [merge|floor]]
 *
 * Both runs write synced groups of 50,000 A-record observations
 * (STORE_BENCH_GROUP sets another size) to a fresh
 * LevelDB (DIR/raw, DIR/merge): "raw" puts the records the store keeps
 * (each observation's tuple record, and a new tuple's index entries) with
 * fixed values and no reads: the floor for any LevelDB store with this
 * layout, however it merges; "merge" folds the same observation
 * stream (a fraction REPEAT repeats earlier tuples, skewed to the popular
 * ones) through merge.c with the key filter and value cache, as the
 * aggregator's writer does. Prints one line per run in observations/s and
 * the process's CPU time per observation (LevelDB's compaction thread
 * included, which the wall-clock rate hides on an idle second core). The
 * optional arguments override the store's LevelDB options (0: default;
 * SNAPPY -1 turns compression off); "merge" or "floor" runs only that one.
 * STORE_BENCH_VALCACHE (entries, default 1048576) and STORE_BENCH_CACHE_MIB
 * (LevelDB's block cache, default 64) size the caches. The merge line also
 * gives the share of wall time spent in the synced commit and the share of
 * observations read back from LevelDB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "benchgen.h"
#include "index.h"
#include "keyfilter.h"
#include "merge.h"
#include "record.h"
#include "store.h"
#include "valcache.h"

static unsigned long group = 50000;
/* Observations decoded at a time, as from one batch. */
#define RUN 1024
static struct pd_obs run[RUN];
static uint8_t run_names[RUN][64], run_rd[RUN][4];

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static struct store_opts bench_opts = { .create = 1 };

/* The next observation's tuple index. */
static uint64_t next_index(uint64_t *made, uint64_t tuples, double repeat, uint64_t *rng)
{
	return bench_repeats(*made, tuples, repeat, rng) ? bench_repeat_of(*made, rng) : (*made)++;
}

static struct store *open_store(const char *dir)
{
	char err[512];
	struct store *st;
	if (store_open(&st, dir, &bench_opts, err, sizeof(err)) < 0) {
		fprintf(stderr, "store_bench: %s\n", err);
		exit(1);
	}
	return st;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 8 && argc != 9) {
		fprintf(stderr, "usage: store_bench DIR TUPLES REPEAT [WRITE_BUFFER_MIB BLOCK_KIB "
		        "FILE_MIB SNAPPY [merge|floor]]\n");
		return 2;
	}
	const char *group_env = getenv("STORE_BENCH_GROUP");
	if (group_env && atol(group_env) > 0)
		group = (unsigned long)atol(group_env);
	const char *cache_mib = getenv("STORE_BENCH_CACHE_MIB");
	if (cache_mib)
		bench_opts.block_cache_bytes = strtoull(cache_mib, NULL, 10) << 20;
	int raw_run = argc != 9 || strcmp(argv[8], "floor") == 0;
	int merge_mode = argc != 9 || strcmp(argv[8], "merge") == 0;
	if (argc >= 8) {
		bench_opts.write_buffer_bytes = strtoull(argv[4], NULL, 10) << 20;
		bench_opts.block_bytes = strtoull(argv[5], NULL, 10) << 10;
		bench_opts.max_file_bytes = strtoull(argv[6], NULL, 10) << 20;
		bench_opts.compression = atoi(argv[7]);
	}
	char path[4096], err[512];
	uint64_t tuples = strtoull(argv[2], NULL, 10), made, rng, obs;
	double repeat = atof(argv[3]);
	uint8_t name[64], rd[4], key[REC_KEY_MAX], val[16] = { 1, 1, 0, 0, 1 };
	static uint8_t ikey[INDEX_KEY_MAX];
	struct pd_obs o = { .name = name, .rdata = rd, .rdlen = 4, .type = 1, .count = 1,
		.first_s = 1700000000, .last_s = 1700000060 };

	snprintf(path, sizeof(path), "%s/raw", argv[1]);
	struct store *st = open_store(path);
	struct store_batch *b = store_batch_new();
	made = raw_run ? 0 : tuples, rng = 88172645463325252ull, obs = 0;
	double t0 = bench_now_s(), c0 = cpu_s();
	while (made < tuples) {
		store_batch_clear(b);
		for (unsigned long k = 0; k < group; k++, obs++) {
			uint64_t before = made;
			o.name_len = bench_tuple(next_index(&made, tuples, repeat, &rng), name, rd);
			store_batch_put(b, key, rec_key_tuple(key, &o), val, sizeof(val));
			if (made != before)
				index_add(b, &o, ikey);
		}
		store_write(st, b, 1, err, sizeof(err));
	}
	double raw = (double)obs / (bench_now_s() - t0);
	double raw_cpu = (cpu_s() - c0) * 1e6 / (double)obs;
	store_batch_free(b);
	store_close(st);
	if (raw_run)
		printf("layout_floor obs=%llu obs_per_s=%.0f cpu_us_per_obs=%.2f\n",
		       (unsigned long long)obs, raw, raw_cpu);
	if (!merge_mode)
		return 0;

	snprintf(path, sizeof(path), "%s/merge", argv[1]);
	st = open_store(path);
	struct keyfilter *kf;
	keyfilter_build(&kf, st, 1u << 24, err, sizeof(err));
	const char *vce = getenv("STORE_BENCH_VALCACHE");
	struct valcache *vc = valcache_new(vce ? strtoull(vce, NULL, 10) : 1u << 20, 7);
	struct merge *m = merge_new(st, group, group * 64, kf, vc);
	made = 0, rng = 88172645463325252ull, obs = 0;
	t0 = bench_now_s(), c0 = cpu_s();
	double in_commit = 0;
	while (made < tuples) {
		merge_begin(m);
		/* Like the writer: a run of decoded observations, each merged
		 * while the memory of later ones is being loaded. */
		for (unsigned long k = 0; k < group; k += RUN) {
			size_t n = group - k < RUN ? group - k : RUN;
			for (size_t i = 0; i < n; i++) {
				run[i] = o;
				run[i].name = run_names[i];
				run[i].rdata = run_rd[i];
				run[i].name_len = bench_tuple(next_index(&made, tuples, repeat, &rng),
				                              run_names[i], run_rd[i]);
			}
			for (size_t i = 0; i < n; i++)
				merge_run(m, run, n, i, 1);
			obs += n;
		}
		double tc = bench_now_s();
		merge_commit(m, 1, err, sizeof(err));
		in_commit += bench_now_s() - tc;
	}
	double merged = (double)obs / (bench_now_s() - t0);
	double cpu = (cpu_s() - c0) * 1e6 / (double)obs;
	struct merge_counts mc = { 0 };
	merge_take_counts(m, &mc);
	printf("merge obs=%llu obs_per_s=%.0f cpu_us_per_obs=%.2f commit_share=%.2f "
	       "store_reads=%.3f", (unsigned long long)obs, merged, cpu,
	       in_commit * merged / (double)obs, (double)mc.store_reads / (double)obs);
	if (raw_run)
		printf(" ratio=%.2f", merged / raw);
	printf("\n");
	merge_free(m);
	valcache_free(vc);
	keyfilter_free(kf);
	store_close(st);
	return 0;
}
