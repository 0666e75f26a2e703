/*
 * aconf: almanac-aggregator's options (command line and config file, one
 * table) and their validation.
 */
#ifndef AGG_ACONF_H
#define AGG_ACONF_H

#include <stddef.h>
#include <stdint.h>

#include "pd_cfg.h"

struct agg_conf {
	char *listen, *db, *ca, *cert, *key, *crl, *registry;
	char *export_path, *import_path, *import_site, *user, *log_level;
	char *compression; /* validated into store_compression */
	char *http, *api_keys, *http_cert, *http_key, *http_ca;
	char *max_drop_pct, *max_malformed_pct; /* validated into drop_pct, malformed_pct */
	uint64_t contexts, workers, max_batch_bytes, group_batches, group_obs, group_wait_ms;
	uint64_t cache_bytes, write_buffer_bytes, table_bytes, open_tables;
	uint64_t value_cache;
	uint64_t http_workers, http_max_conns, http_idle_s;
	uint64_t default_limit, max_limit, query_timeout_s, max_answer_bytes;
	uint64_t stale_after, down_after, max_spool_age, max_clock_skew;
	double drop_pct, malformed_pct;
	int store_compression; /* store_opts.compression: 1 snappy, -1 none */
	int no_sync, compact, check_only, help, version;
};

extern const struct pd_cfg_opt agg_opts[];

int agg_conf_load(struct agg_conf *c, int argc, char **argv, char *err, size_t errlen);
void agg_conf_free(struct agg_conf *c);

#endif
