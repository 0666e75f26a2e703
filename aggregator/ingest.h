/*
 * ingest: the sensors' side of the aggregator (DESIGN.md "Sensor ->
 * aggregator wire").
 *
 * An NNG rep0 socket listens on tls+tcp with mutual TLS; several contexts
 * receive batches concurrently. NNG's threads only hand each received
 * message to a small pool of workers, which open the envelope, verify the
 * certificate and signature (pd_sign), check the optional registry and
 * decode the body (bounded: pd_batch), then queue the batch for the writer.
 * The reply (ack or typed error) goes out when the writer has committed.
 * Every refusal is counted by reason and answered; the pipe stays usable.
 * NNG_OPT_RECVMAXSZ (twice max_batch_bytes) bounds what a peer can make the
 * aggregator allocate: NNG closes the connection of a peer sending more,
 * which shows only in pipes_closed; batches between the two limits are
 * refused with an answer (refused_oversize). The listener itself is
 * listener.h's: it is reopened when NNG 1.5.2 stops it.
 */
#ifndef AGG_INGEST_H
#define AGG_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "astats.h"
#include "pd_sign.h"
#include "pd_tls.h"
#include "registry.h"
#include "writer.h"

struct ingest_opts {
	const char *listen_url;
	struct pd_tls_files tls;
	unsigned contexts;        /* concurrent batches; 0: 32 */
	unsigned workers;         /* verification threads; 0: 2 */
	size_t max_batch_bytes;   /* 0: 64 MiB */
	size_t max_batch_obs;     /* 0: PD_BATCH_MAX_OBS */
};

/* Called for every authenticated batch (data or heartbeat) before it is
 * queued: health tracking hooks in here. */
typedef void (*ingest_seen_fn)(void *ctx, const struct pd_identity *id,
                               const struct pd_batch *b);

struct ingest;

int ingest_start(struct ingest **out, const struct ingest_opts *o, struct pd_verifier *v,
                 struct registry *reg, struct writer *w, struct agg_stats *stats,
                 ingest_seen_fn seen, void *seen_ctx, char *err, size_t errlen);
/* Stops taking batches, lets in-flight ones finish (bounded), closes. */
void ingest_stop(struct ingest *in);
/* TLS handshakes the listener refused (NNG's "auth" statistic). */
uint64_t ingest_tls_refused(struct ingest *in);


#endif
