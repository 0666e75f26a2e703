/*
 * pd_nngclose: nng_close with a time bound. NNG 1.5.2's nng_close can
 * deadlock on a TLS socket (PLATFORM-NOTES.md; nanomsg/nng#1543, #1813,
 * fixed after 1.5.2), which would hang a program's shutdown for good.
 */
#ifndef PD_NNGCLOSE_H
#define PD_NNGCLOSE_H

#include <nng/nng.h>

/*
 * Closes sock on a helper thread and waits up to timeout_ms. Returns 0
 * when it closed, PD_ETIMEOUT when it did not: the helper thread is left
 * blocked and the caller must leave alone everything NNG may still touch
 * (aios, messages, TLS configs), which is only reasonable when the process
 * is about to exit. pd_nng_abandon() keeps such memory reachable so leak
 * checkers do not report what was left on purpose.
 */
int pd_nng_close_bounded(nng_socket sock, unsigned timeout_ms);
/* The same for one dialer (and the connection it made). */
int pd_nng_dialer_close_bounded(nng_dialer d, unsigned timeout_ms);
void pd_nng_abandon(void *p);

#endif
