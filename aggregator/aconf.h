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
	uint64_t contexts, workers, max_batch_bytes, group_batches, group_obs, cache_bytes;
	int no_sync, compact, check_only, help, version;
};

extern const struct pd_cfg_opt agg_opts[];

int agg_conf_load(struct agg_conf *c, int argc, char **argv, char *err, size_t errlen);
void agg_conf_free(struct agg_conf *c);

#endif
