/*
 * conf: almanac-sensor's options (command line and config file, one table)
 * and their validation.
 */
#ifndef SENSOR_CONF_H
#define SENSOR_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "pd_cfg.h"

#define SENSOR_MAX_PORTS 16

struct sensor_conf {
	/* pd_cfg-managed fields */
	char *read_file, *iface, *output, *filter, *ports_text, *sections_text;
	char *sensor_id, *user, *log_level;
	char *aggregator, *ca, *cert, *key, *server_name, *state_dir;
	int promisc, fast_reader, check_only, help, version;
	uint64_t buffer_bytes, flush_interval_s, max_tuples, fold_bytes;
	uint64_t frag_datagrams, frag_bytes, tcp_streams, tcp_bytes, reasm_timeout_s;
	uint64_t spool_max_bytes, batch_obs, batch_bytes, inflight, reply_timeout_s;
	uint64_t drain_timeout_s, heartbeat_interval_s;
	/* derived by sensor_conf_load */
	uint16_t ports[SENSOR_MAX_PORTS];
	size_t nports;
	unsigned sections;
	char hostname[256];
};

extern const struct pd_cfg_opt sensor_opts[];

/*
 * Loads defaults, -c FILE and the command line, then validates. Returns 0,
 * or PD_EUSAGE / PD_ECONFIG with the reason in err.
 */
int sensor_conf_load(struct sensor_conf *c, int argc, char **argv, char *err, size_t errlen);
void sensor_conf_free(struct sensor_conf *c);

#endif
