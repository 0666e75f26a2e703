/*
 * listener: the sensors' tls+tcp listener on the ingest socket, kept
 * accepting.
 *
 * NNG 1.5.2 stops accepting for good when a peer's connection ends in the
 * middle of the TLS handshake in one particular way: the TLS transport
 * hands the listener's pending accept NNG_ECLOSED, which the listener
 * takes for its own closing (fixed upstream after 1.5.2, where the
 * transport reports NNG_ECONNSHUT instead). Connections are still taken
 * and negotiated after that, but they never become pipes, so every sensor
 * connects and is answered nothing. A port scanner, a sensor restarting
 * while it connects or a cut link is enough; a client that sent its TLS
 * hello and closed did it in about one try in twenty here.
 *
 * So a watch thread reads the listener's error statistics once a second.
 * When its "other" or "canceled" errors (where NNG_ECLOSED is counted)
 * have risen, it dials the listener with the aggregator's own certificate;
 * if that connection is up on the dialling side and no pipe has been added
 * on the ingest socket within LISTENER_PROBE_MS, it checks once more,
 * waiting LISTENER_CONFIRM_MS, and only when that fails too is the
 * listener closed and opened anew (listener_restarts). Ordinary clients
 * raise those errors too (ten heartbeats from tests/tools/batchsend, half
 * a second apart, made five checks), and one 2 s check could take a
 * listener that is only slow, on a loaded machine, for a stopped one;
 * closing a listener costs every sensor its connection, so a second,
 * longer check must agree. Closing a stopped listener loses the
 * connections it had negotiated and not handed on, and NNG 1.5.2 leaks
 * their memory (some 35 KiB each; tests/integration/procs.py tells that
 * leak from others). The sensors whose connections close dial again and
 * send again whatever was not acknowledged, which is applied exactly once
 * as always.
 */
#ifndef AGG_LISTENER_H
#define AGG_LISTENER_H

#include <nng/nng.h>
#include <stdint.h>

#include "astats.h"
#include "pd_tls.h"

#define LISTENER_PROBE_MS 2000
#define LISTENER_CONFIRM_MS 5000

struct listener;

/* Listens on url with tls (neither is copied: both must outlive the
 * listener); own names the aggregator's certificate files, read now (they
 * may be unreadable once privileges are dropped) to check on the listener.
 * 0 or a negative PD_E* code with err set. */
int listener_start(struct listener **out, nng_socket sock, const char *url,
                   nng_tls_config *tls, const struct pd_tls_files *own, struct agg_stats *st,
                   char *err, size_t errlen);
/* TLS handshakes refused (NNG's "auth" statistic), across re-openings. */
uint64_t listener_tls_refused(struct listener *l);
/* Stops watching and closes the listener (and its connections). */
void listener_stop(struct listener *l);

#endif
