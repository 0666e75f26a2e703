/*
 * agg: the aggregator's runtime. Opens the store, the site table, the
 * certificate verifier, the registry, the writer and the sensors' listener;
 * says "ready" (stderr and systemd) once it accepts sensors; then waits
 * for signals: SIGHUP reloads the CRL and the registry, SIGUSR1 prints the
 * counters, SIGTERM/SIGINT stop taking batches, answer those in flight,
 * and close the store cleanly.
 */
#ifndef AGG_AGG_H
#define AGG_AGG_H

#include "aconf.h"

/* The serving mode. Returns the exit status. */
int agg_serve(const struct agg_conf *c);
/* --export / --import. Returns the exit status. */
int agg_maintain(const struct agg_conf *c);

#endif
