/* almanac-sensor: capture DNS, fold it into observations, report them. */
#include <stdio.h>

#include "conf.h"
#include "pd_err.h"
#include "pd_log.h"
#include "sensor.h"

#ifndef ALMANAC_VERSION
#define ALMANAC_VERSION "0.1.0"
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: almanac-sensor -r FILE | -i IFACE -o FILE [options]\n\n");
	pd_cfg_usage(sensor_opts, f);
}

int main(int argc, char **argv)
{
	struct sensor_conf conf;
	char err[512];

	pd_log_init("almanac-sensor", PD_LOG_INFO);
	int rc = sensor_conf_load(&conf, argc, argv, err, sizeof(err));
	if (rc == 0 && conf.help) {
		usage(stdout);
	} else if (rc == 0 && conf.version) {
		printf("almanac-sensor %s\n", ALMANAC_VERSION);
	} else if (rc < 0) {
		fprintf(stderr, "almanac-sensor: %s\n", err);
		if (rc == PD_EUSAGE)
			fprintf(stderr, "try 'almanac-sensor -h'\n");
		rc = 2;
	} else if (conf.check_only) {
		fprintf(stderr, "almanac-sensor: configuration ok\n");
	} else {
		pd_log_init("almanac-sensor", pd_log_level_parse(conf.log_level));
		rc = sensor_run(&conf);
	}
	sensor_conf_free(&conf);
	return rc;
}
