#include "uplink.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batcher.h"
#include "pd_err.h"
#include "pd_sign.h"
#include "ship.h"
#include "spool.h"
#include "state.h"

struct uplink {
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

int uplink_open(struct uplink **out, const struct sensor_conf *c, struct sensor_stats *st,
                char *err, size_t errlen)
{
	struct uplink *u = calloc(1, sizeof(*u));
	if (!u)
		return -12;
	u->dir = c->state_dir;
	int rc = spool_open(&u->spool, c->state_dir, c->spool_max_bytes, st, err, errlen);
	if (rc == 0) {
		rc = state_open(&u->state, c->state_dir, spool_last(u->spool) + 1, err, errlen);
		u->state_open = rc == 0;
	}
	if (rc == 0)
		rc = pd_signer_new(&u->signer, c->cert, c->key, err, errlen);
	struct batcher_opts bo = { .max_obs = c->batch_obs, .max_bytes = c->batch_bytes };
	if (rc == 0)
		rc = batcher_new(&u->batcher, &u->state, u->spool, u->signer, &bo, st, uplink_wake, u);
	struct ship_opts so = { .url = c->aggregator, .server_name = c->server_name,
		.tls = { .ca = c->ca, .cert = c->cert, .key = c->key },
		.inflight = (unsigned)c->inflight,
		.reply_timeout_ms = (unsigned)(c->reply_timeout_s * 1000) };
	if (rc == 0)
		rc = ship_start(&u->ship, &so, u->spool, st, err, errlen);
	if (rc < 0) {
		uplink_close(u);
		return rc;
	}
	*out = u;
	return 0;
}

/* lchown of path and, for directories, what is below it (a few levels:
 * the state directory is shallow); symbolic links are not followed. */
static int chown_tree(const char *path, uid_t uid, gid_t gid, int depth)
{
	struct stat st;
	if (lstat(path, &st) < 0 || lchown(path, uid, gid) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode) || depth == 0)
		return 0;
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && rc == 0) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rc = chown_tree(sub, uid, gid, depth - 1);
	}
	closedir(d);
	return rc;
}

int uplink_chown(struct uplink *u, unsigned uid, unsigned gid, char *err, size_t errlen)
{
	if (chown_tree(u->dir, (uid_t)uid, (gid_t)gid, 4) < 0) {
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
	ship_stop(u->ship);
	batcher_free(u->batcher);
	pd_signer_free(u->signer);
	if (u->state_open)
		state_close(&u->state);
	spool_close(u->spool);
	free(u);
}
