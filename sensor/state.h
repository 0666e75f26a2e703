/*
 * state: the sensor's persistent identity in its state directory DIR
 * (DESIGN.md, "Sensor -> aggregator wire": stream id and sequence numbers).
 *
 * Owns two files, each replaced atomically (DIR/NAME.tmp, fsync, rename,
 * fsync DIR) and never edited in place:
 *
 *   DIR/stream  the stream id: 16 random bytes (getrandom) as 32 lower-case
 *               hex digits and "\n" (exactly 33 bytes)
 *   DIR/seq     the next sequence number to hand out, in decimal (1 to
 *               2^64 - 1, no sign, no leading zero) and "\n"
 *
 * Contract:
 * - state_next_seq() persists next + 1 to DIR/seq before it returns next, so
 *   no number is handed out twice within a stream, even across crashes;
 *   numbers taken but never used leave gaps, which are fine.
 * - Invariant: when both files are valid, DIR/seq is above every number ever
 *   handed out in that stream. The aggregator acknowledges a (stream, seq) it
 *   has seen without applying it again, so reusing a number loses data
 *   silently. Hence:
 *   - a corrupt DIR/stream is always an error naming the file (no new stream
 *     is made behind the operator's back);
 *   - DIR/seq missing or corrupt while DIR/stream exists: without a hint
 *     (min_seq == 0) state_open refuses. With a hint (min_seq >= 1) it starts
 *     a NEW stream at min_seq and logs a warning. It does not continue the old
 *     stream at min_seq: the spool only bounds the numbers still spooled, not
 *     those sent, acked and removed (an empty spool gives min_seq = 1), so the
 *     old stream's numbers could repeat. A new stream never seen by the
 *     aggregator is safe at any number, and min_seq keeps it above every
 *     spooled batch, whose file names are their sequence numbers.
 *   - DIR/stream missing (first run, or deleted): a new stream, starting at
 *     max(1, DIR/seq if valid, min_seq); if DIR/seq exists but is corrupt, a
 *     hint is required as above.
 * - min_seq is a floor: whatever the files say, no number below it is handed
 *   out. The caller passes the highest sequence number in the spool + 1 (1
 *   when the spool is empty: spool_open first, then spool_last), or 0 to ask
 *   for the strict behaviour above.
 * - state_open creates DIR (mode 0700, the last component only) if missing
 *   and holds an exclusive flock on it until state_close: a second process on
 *   the same directory gets PD_EBUSY rather than the same numbers.
 *
 * Thread-safety: state_next_seq may be called from any thread (a mutex);
 * open and close are not concurrent with anything.
 */
#ifndef SENSOR_STATE_H
#define SENSOR_STATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_STREAM_ID_LEN 16

struct state {
	pthread_mutex_t mu;
	int dirfd;                 /* DIR, open and flocked */
	char *dir;                 /* for messages */
	uint64_t next_seq;         /* next to hand out; DIR/seq holds this value */
	uint8_t stream_id[STATE_STREAM_ID_LEN];
	char stream_hex[2 * STATE_STREAM_ID_LEN + 1];
};

/*
 * Opens (or creates) the state in dir; see the contract above for min_seq.
 * Returns 0, or a negative code with a message naming the file in err:
 * PD_EMALF (a corrupt file), -ENOENT (DIR/seq missing, no hint), PD_EBUSY
 * (another process holds DIR), -errno. On failure st needs no state_close.
 */
int state_open(struct state *st, const char *dir, uint64_t min_seq, char *err, size_t errlen);

/* Releases the lock and memory. Nothing is written: every change is durable
 * when the call that made it returns. */
void state_close(struct state *st);

/*
 * Hands out the next sequence number in *seq after making the one after it
 * durable in DIR/seq. Returns 0, -errno when DIR/seq cannot be written (no
 * number is handed out; retrying is safe), or PD_ELIMIT when the numbers are
 * exhausted (2^64 - 1 reached). Does not log: the caller handles the error.
 */
int state_next_seq(struct state *st, uint64_t *seq);

#endif
