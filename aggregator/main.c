/* almanac-aggregator: authenticate sensors, merge their batches into
 * LevelDB exactly once, export and import the store. */
#include <stdio.h>

#include "aconf.h"
#include "agg.h"
#include "pd_err.h"
#include "pd_log.h"

#ifndef ALMANAC_VERSION
#define ALMANAC_VERSION "0.1.0"
#endif

int main(int argc, char **argv)
{
	struct agg_conf conf;
	char err[512];
	pd_log_init("almanac-aggregator", PD_LOG_INFO);
	int rc = agg_conf_load(&conf, argc, argv, err, sizeof(err));
	if (rc == 0 && conf.help) {
		printf("usage: almanac-aggregator --listen tls+tcp://HOST:PORT --db DIR --ca CA "
		       "--cert CRT --key KEY [options]\n"
		       "       almanac-aggregator --db DIR --export FILE|-\n"
		       "       almanac-aggregator --db DIR --import FILE\n"
		       "       almanac-aggregator --db DIR --compact\n\n");
		pd_cfg_usage(agg_opts, stdout);
	} else if (rc == 0 && conf.version) {
		printf("almanac-aggregator %s\n", ALMANAC_VERSION);
	} else if (rc < 0) {
		fprintf(stderr, "almanac-aggregator: %s\n", err);
		if (rc == PD_EUSAGE)
			fprintf(stderr, "try 'almanac-aggregator -h'\n");
		rc = 2;
	} else if (conf.check_only) {
		fprintf(stderr, "almanac-aggregator: configuration ok\n");
	} else {
		pd_log_init("almanac-aggregator", pd_log_level_parse(conf.log_level));
		rc = conf.export_path || conf.import_path || conf.compact ? agg_maintain(&conf)
		                                                          : agg_serve(&conf);
	}
	agg_conf_free(&conf);
	return rc;
}
