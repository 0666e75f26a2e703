#include "uplink.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batcher.h"
#include "pd_err.h"
#include "pd_file.h"
#include "pd_sign.h"
#include "ship.h"
#include "spool.h"
#include "state.h"

struct uplink {
	struct sensor_stats *st;
	struct health_src health;
	uint64_t heartbeat_ms;
	pthread_t hb_thread;
	int hb_running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	struct state state;
	int state_open;
	struct spool *spool;
	struct pd_signer *signer;
	struct batcher *batcher;
	struct ship *ship;
	char *dir;
};

static void uplink_wake(void *ctx)
{
	struct uplink *u = ctx;
	if (u->ship)
		ship_wake(u->ship);
}

/* Sends a heartbeat whenever the aggregator has heard nothing from this
 * sensor for a heartbeat interval, so a quiet site still shows alive. */
static void *uplink_heartbeats(void *arg)
{
	struct uplink *u = arg;
	struct pd_buf msg;
	pd_buf_init(&msg, 1u << 20);
	pthread_mutex_lock(&u->mu);
	while (!u->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&u->cv, &u->mu, &ts);
		if (u->stopping || ship_idle_ms(u->ship) < u->heartbeat_ms)
			continue;
		pthread_mutex_unlock(&u->mu);
		if (batcher_heartbeat(u->batcher, &msg) == 0) {
			STAT_INC_SHARED(u->st, heartbeats_sent);
			(void)ship_heartbeat(u->ship, msg.data, msg.len);
		}
		pthread_mutex_lock(&u->mu);
	}
	pthread_mutex_unlock(&u->mu);
	pd_buf_fini(&msg);
	return NULL;
}

int uplink_open(struct uplink **out, const struct sensor_conf *c, struct sensor_stats *st,
                char *err, size_t errlen)
{
	struct uplink *u = calloc(1, sizeof(*u));
	if (!u)
		return -12;
	u->dir = c->state_dir;
	u->st = st;
	u->health.st = st;
	u->health.capture_ok = 1;
	u->health.started_s = (int64_t)time(NULL);
	snprintf(u->health.source, sizeof(u->health.source), "%s%s",
	         c->iface ? "" : "file ", c->iface ? c->iface : c->read_file);
	u->heartbeat_ms = c->heartbeat_interval_s * 1000;
	pthread_mutex_init(&u->mu, NULL);
	pthread_cond_init(&u->cv, NULL);
	int rc = spool_open(&u->spool, c->state_dir, c->spool_max_bytes, st, err, errlen);
	if (rc == 0) {
		rc = state_open(&u->state, c->state_dir, spool_last(u->spool) + 1, err, errlen);
		u->state_open = rc == 0;
	}
	u->health.spool = u->spool;
	if (rc == 0)
		rc = pd_signer_new(&u->signer, c->cert, c->key, err, errlen);
	struct batcher_opts bo = { .max_obs = c->batch_obs, .max_bytes = c->batch_bytes };
	if (rc == 0)
		rc = batcher_new(&u->batcher, &u->state, u->spool, u->signer, &bo, st, &u->health,
		                 uplink_wake, u);
	struct ship_opts so = { .url = c->aggregator, .server_name = c->server_name,
		.tls = { .ca = c->ca, .cert = c->cert, .key = c->key },
		.inflight = (unsigned)c->inflight,
		.reply_timeout_ms = (unsigned)(c->reply_timeout_s * 1000) };
	if (rc == 0)
		rc = ship_start(&u->ship, &so, u->spool, st, err, errlen);
	if (rc == 0 && u->heartbeat_ms) {
		if (pthread_create(&u->hb_thread, NULL, uplink_heartbeats, u) == 0)
			u->hb_running = 1;
		else
			rc = -11;
	}
	if (rc < 0) {
		uplink_close(u);
		return rc;
	}
	*out = u;
	return 0;
}

int uplink_chown(struct uplink *u, unsigned uid, unsigned gid, char *err, size_t errlen)
{
	if (pd_file_chown_tree(u->dir, uid, gid, 4) < 0) {
		snprintf(err, errlen, "state-dir %s: cannot hand it to uid %u (%s)", u->dir, uid,
		         strerror(errno));
		return PD_ECONFIG;
	}
	return 0;
}

void uplink_obs(void *ctx, const struct pd_obs *o)
{
	struct uplink *u = ctx;
	batcher_obs(u->batcher, o);
}

void uplink_seal(struct uplink *u)
{
	batcher_seal(u->batcher);
}

int uplink_drain(struct uplink *u, uint64_t timeout_ms, volatile int *stop)
{
	return ship_drain(u->ship, timeout_ms, stop);
}

void uplink_depth(struct uplink *u, uint64_t *bytes, uint64_t *batches)
{
	spool_depth(u->spool, bytes, batches);
}

void uplink_close(struct uplink *u)
{
	if (!u)
		return;
	if (u->hb_running) {
		pthread_mutex_lock(&u->mu);
		u->stopping = 1;
		pthread_cond_broadcast(&u->cv);
		pthread_mutex_unlock(&u->mu);
		/* ship_halt ends a heartbeat in flight (NNG 1.5.2 has been seen
		 * to never time out one with an aggregator that refuses the
		 * handshake), so the thread returns whether or not the socket
		 * then closes in time. */
		(void)ship_halt(u->ship);
		pthread_join(u->hb_thread, NULL);
	}
	ship_stop(u->ship);
	batcher_free(u->batcher);
	pd_signer_free(u->signer);
	if (u->state_open)
		state_close(&u->state);
	spool_close(u->spool);
	pthread_mutex_destroy(&u->mu);
	pthread_cond_destroy(&u->cv);
	free(u);
}

void uplink_capture_state(struct uplink *u, int ok)
{
	u->health.capture_ok = ok;
}

void uplink_heartbeat_now(struct uplink *u)
{
	struct pd_buf msg;
	pd_buf_init(&msg, 1u << 20);
	if (batcher_heartbeat(u->batcher, &msg) == 0) {
		STAT_INC_SHARED(u->st, heartbeats_sent);
		(void)ship_heartbeat(u->ship, msg.data, msg.len);
	}
	pd_buf_fini(&msg);
}
