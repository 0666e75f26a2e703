/*
 * health_int: the health model's data, shared by health.c (keeping it)
 * and healthout.c (rendering a snapshot of it). Not for other modules.
 */
#ifndef AGG_HEALTH_INT_H
#define AGG_HEALTH_INT_H

#include <pthread.h>

#include "health.h"

#define HEALTH_RECENT 96       /* rate samples, one per 5 s at most */
#define HEALTH_SAMPLE_EVERY 5
#define HEALTH_HISTORY 360     /* one point a minute: 6 hours */
#define HEALTH_NAME 65

/* The counters a sensor reports (sensor/health.c names them). */
struct hcounters {
	uint64_t uptime_s, packets_seen, pcap_drop, pcap_ifdrop, dns_messages, malformed;
	uint64_t reassembly_evicted, observations_emitted, batches_sent, batches_acked;
	uint64_t batches_dropped, observations_dropped, spool_bytes, spool_batches;
	uint64_t spool_oldest_age_s;
};

/* Malformed packets by reason, as the sensor names them (its keys
 * "malformed_<reason>"), cumulative. */
#define HEALTH_REASONS 16
struct hreason {
	char name[32]; /* without "malformed_" */
	uint64_t n;
};

struct hsample {
	int64_t t;
	uint64_t packets, drops, dns, malformed, obs;
};

struct hpoint {
	int64_t t;
	float pps, drop_pct, obs_s;
	uint64_t spool_bytes;
};

struct hsensor {
	char sensor[HEALTH_NAME], site[HEALTH_NAME];
	int64_t last_contact;
	int contacted;        /* heard from since the aggregator started */
	int retired;          /* the registry no longer lists it: not shown */
	int expected;         /* listed by the registry being read */
	int64_t skew_s;
	int have_skew;
	struct hcounters c;
	struct hreason malformed_by[HEALTH_REASONS];
	unsigned nmalformed_by;
	char version[32], capture[128], capture_state[16];
	struct hsample recent[HEALTH_RECENT];
	unsigned nrecent, head;
	struct hpoint hist[HEALTH_HISTORY];
	unsigned nhist, hhead;
	/* derived by health_eval */
	double pps, drop_pct, malformed_pct, obs_s;
	enum health_status status;
	char reason[224];
};

struct hsite {
	char site[HEALTH_NAME];
	enum health_status status;
	char reason[320];
	unsigned nsensors, nok;
	int64_t last_contact;
	double pps, drop_pct, obs_s;
	uint64_t spool_bytes, spool_batches, spool_oldest_age_s;
	struct hpoint hist[HEALTH_HISTORY]; /* minute i of the last 6 h; t 0: no data */
	unsigned nhist;
};

struct health_view {
	int64_t now;
	struct health_opts o;
	struct hsensor *s;
	size_t n;
	struct hsite *sites;
	size_t nsites;
};

struct hlogged {
	char site[HEALTH_NAME];
	enum health_status status;
	int64_t at; /* time of the view that set status */
};

struct health {
	pthread_mutex_t mu;
	struct health_opts o;
	int64_t started;
	struct hsensor *s;
	size_t n, cap;
	struct hlogged *logged; /* last logged status per site */
	size_t nlogged;
};

/* Derives one sensor's rates, status and reason at now. */
void health_eval(const struct health_opts *o, struct hsensor *s, int64_t now);
/* Groups sensors into sites (sorted by name). */
void health_sites(struct health_view *v);

#endif
