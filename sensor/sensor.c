#include "sensor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pwd.h>
#include <unistd.h>

#include "capture.h"
#include "decode.h"
#include "dnsobs.h"
#include "fold.h"
#include "link.h"
#include "output.h"
#include "uplink.h"
#include "pd_err.h"
#include "pd_log.h"
#include "pd_proc.h"
#include "stats.h"

#define SENSOR_BATCH 4096
#define SENSOR_WAIT_MS 200

struct sensor {
	const struct sensor_conf *conf;
	struct sensor_stats st;
	struct capture *cap;
	struct decode *dec;
	struct dnsobs *obs;
	struct fold *fold;
	struct output *out;   /* -o, or NULL */
	struct uplink *up;    /* --aggregator, or NULL */
	int64_t win_start_s, drops_read_s;
	int win_open;
	struct pd_sigflags sig;
};

static void sensor_emit(void *ctx, const struct pd_obs *o)
{
	struct sensor *s = ctx;
	if (o->flags & PD_OBS_NXDOMAIN)
		STAT_INC(&s->st, negative_emitted);
	else
		STAT_INC(&s->st, observations_emitted);
	if (s->out)
		output_obs(s->out, o);
	if (s->up)
		uplink_obs(s->up, o);
}

/* The window is full in the middle of folding a message: empty it. */
static void sensor_window_full(void *ctx)
{
	struct sensor *s = ctx;
	fold_flush(s->fold, sensor_emit, s);
}

/* The window ends: fold what is pending, hand everything to the sinks. */
static void sensor_flush(struct sensor *s)
{
	dnsobs_drain(s->obs);
	fold_flush(s->fold, sensor_emit, s);
	if (s->out)
		output_flush(s->out);
	if (s->up)
		uplink_seal(s->up);
}

static void sensor_report(struct sensor *s, const char *heading);

static void sensor_frame(void *ctx, const struct pcap_pkthdr *h, const uint8_t *frame)
{
	struct sensor *s = ctx;
	int64_t ts = (int64_t)h->ts.tv_sec;
	/* Checked per frame too: reading a file from a pipe, one dispatch can
	 * block for a long time between its packets. */
	if (s->sig.report) {
		s->sig.report = 0;
		sensor_report(s, "stats");
	}
	if (!s->win_open) {
		s->win_start_s = ts;
		s->win_open = 1;
	} else if (ts - s->win_start_s >= (int64_t)s->conf->flush_interval_s) {
		sensor_flush(s);
		s->win_start_s = ts;
	}
	decode_frame(s->dec, frame, h->caplen, h->len, ts);
}

/* Publishes libpcap's drop counters (other threads read the stats). */
static void sensor_drops(struct sensor *s)
{
	uint64_t drop, ifdrop;
	capture_drops(s->cap, &drop, &ifdrop);
	stat_set(&s->st, ST_pcap_drop, drop);
	stat_set(&s->st, ST_pcap_ifdrop, ifdrop);
}

static void sensor_report(struct sensor *s, const char *heading)
{
	sensor_drops(s);
	stats_print(&s->st, stderr, heading);
}

static int sensor_open(struct sensor *s, const struct sensor_conf *c)
{
	char err[512];
	uint64_t seed = pd_random_u64();
	struct capture_opts co = { .file = c->read_file, .iface = c->iface, .filter = c->filter,
		.ports = c->ports, .nports = c->nports, .promisc = c->promisc,
		.buffer_bytes = c->buffer_bytes, .use_pcapread = c->fast_reader };
	struct decode_limits lim = { .frag_datagrams = (unsigned)c->frag_datagrams,
		.frag_bytes = c->frag_bytes, .frag_timeout_s = (unsigned)c->reasm_timeout_s,
		.tcp_streams = (unsigned)c->tcp_streams, .tcp_bytes = c->tcp_bytes,
		.tcp_timeout_s = (unsigned)c->reasm_timeout_s };

	s->conf = c;
	s->cap = capture_open(&co, err, sizeof(err));
	if (!s->cap) {
		log_warnx("capture: %s", err);
		return -1;
	}
	if (!link_supported(capture_dlt(s->cap))) {
		const char *name = pcap_datalink_val_to_name(capture_dlt(s->cap));
		log_warnx("capture: %s: link type %d (%s) is not supported", capture_source(s->cap),
		          capture_dlt(s->cap), name ? name : "unknown");
		return -1;
	}
	if (c->output && !(s->out = output_open(c->output, c->sensor_id))) {
		log_warn("output: cannot open %s", c->output);
		return -1;
	}
	if (c->aggregator && uplink_open(&s->up, c, &s->st, err, sizeof(err)) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	s->fold = fold_new(c->max_tuples, c->fold_bytes, seed);
	s->obs = s->fold ? dnsobs_new(s->fold, c->sections, &s->st, sensor_window_full, s) : NULL;
	s->dec = s->obs ? decode_new(capture_dlt(s->cap), c->ports, c->nports, &lim, seed ^ 0x5a5a,
	                             s->obs, &s->st) : NULL;
	if (!s->dec) {
		log_warnx("sensor: out of memory for the fold window and reassembly");
		return -1;
	}
	const char *why = "";
	int was_root = geteuid() == 0;
	struct passwd *pw = was_root ? getpwnam(c->user) : NULL;
	if (was_root && pw && s->up && uplink_chown(s->up, pw->pw_uid, pw->pw_gid, err,
	                                           sizeof(err)) < 0) {
		log_warnx("%s", err);
		return -1;
	}
	int rc = pd_proc_drop_privileges(c->user, &why);
	if (rc < 0) {
		if (was_root)
			log_warnx("sensor: cannot switch to user %s: %s", c->user, why);
		else
			log_warnx("sensor: cannot give up its capabilities: %s", why);
		return -1;
	}
	if (was_root)
		log_info("switched to user %s (uid %u)", c->user, (unsigned)geteuid());
	else if (rc == 1)
		log_info("gave up the capabilities it was started with");
	return 0;
}

static void sensor_close(struct sensor *s)
{
	decode_free(s->dec);
	dnsobs_free(s->obs);
	fold_free(s->fold);
	capture_close(s->cap);
}

static int sensor_loop(struct sensor *s)
{
	char err[512];
	int live = capture_is_live(s->cap);
	for (;;) {
		if (s->sig.stop)
			return 0;
		if (s->sig.report) {
			s->sig.report = 0;
			sensor_report(s, "stats");
		}
		int n = capture_next(s->cap, SENSOR_BATCH, SENSOR_WAIT_MS, sensor_frame, s, err,
		                     sizeof(err));
		if (n == PD_ENOTFOUND)
			return 0;
		if (n < 0 && s->sig.stop)
			return 0; /* a stop signal interrupted a read */
		if (n < 0) {
			log_warnx("capture: %s", err);
			if (live && s->up) {
				/* Tell the aggregator why this sensor goes quiet. */
				uplink_capture_state(s->up, 0);
				uplink_heartbeat_now(s->up);
			}
			return live ? -1 : 0; /* a cut-off file: keep what was read */
		}
		if (live) {
			int64_t now = (int64_t)time(NULL);
			if (now != s->drops_read_s) {
				/* Fresh libpcap drop counters for health, once a second. */
				sensor_drops(s);
				s->drops_read_s = now;
			}
			if (!s->win_open) {
				s->win_start_s = now;
				s->win_open = 1;
			} else if (now - s->win_start_s >= (int64_t)s->conf->flush_interval_s) {
				sensor_flush(s);
				s->win_start_s = now;
			}
			decode_expire(s->dec, now);
		}
		if (s->out && output_error(s->out))
			return -1;
	}
}

/* With -r and an aggregator: wait until everything is acknowledged. */
static int sensor_drain(struct sensor *s)
{
	uint64_t bytes, batches;
	if (!s->up || capture_is_live(s->cap) || s->sig.stop)
		return 0;
	uplink_depth(s->up, &bytes, &batches);
	if (batches)
		log_info("ship: waiting up to %llu s for %llu batches to be acknowledged",
		         (unsigned long long)s->conf->drain_timeout_s, (unsigned long long)batches);
	int rc = uplink_drain(s->up, s->conf->drain_timeout_s * 1000, &s->sig.stop);
	if (rc == 0)
		return 0;
	uplink_depth(s->up, &bytes, &batches);
	log_warnx("ship: %llu batches (%llu bytes) not acknowledged %s; they stay in %s/spool "
	          "and go first next time", (unsigned long long)batches, (unsigned long long)bytes,
	          rc == PD_ETIMEOUT ? "within the drain timeout" : "before the stop signal",
	          s->conf->state_dir);
	return rc == PD_ETIMEOUT ? -1 : 0;
}

int sensor_run(struct sensor_conf *conf)
{
	struct sensor s;
	memset(&s, 0, sizeof(s));
	pd_proc_signals(&s.sig);
	pd_proc_signals_to_this_thread(); /* the capture thread */
	if (sensor_open(&s, conf) < 0) {
		output_close(s.out);
		uplink_close(s.up);
		sensor_close(&s);
		return 1;
	}
	log_info("reading %s (link type %s)%s", capture_source(s.cap),
	         pcap_datalink_val_to_name(capture_dlt(s.cap)),
	         capture_is_live(s.cap) ? ", capturing" : "");
	pd_proc_notify("READY=1"); /* capture open, privileges dropped */
	int rc = sensor_loop(&s);
	pd_proc_notify("STOPPING=1");
	sensor_flush(&s); /* to -o and to the spool: nothing observed is lost */
	int werr = output_close(s.out);
	if (werr < 0) {
		log_warnx("output: cannot write %s (%s)", conf->output, pd_strerror(werr));
		rc = -1;
	}
	if (sensor_drain(&s) < 0)
		rc = -1;
	sensor_report(&s, "stats (final)");
	uplink_close(s.up);
	sensor_close(&s);
	return rc < 0 ? 1 : 0;
}
