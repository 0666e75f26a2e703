/*
 * sensor: the capture pipeline owner. Opens the capture and the sinks,
 * drops privileges, then runs frames through decode -> dnsobs -> fold and
 * flushes the fold window to the sinks every flush interval (packet time for
 * files, wall clock live), on SIGTERM/SIGINT and at the end of a file.
 * SIGUSR1 prints the counters.
 */
#ifndef SENSOR_SENSOR_H
#define SENSOR_SENSOR_H

#include "conf.h"

/* Runs until the file ends or a stop signal. Returns the exit status. */
int sensor_run(struct sensor_conf *conf);

#endif
