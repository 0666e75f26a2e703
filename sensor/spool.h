/*
 * spool: the sensor's durable queue of sealed batches (DESIGN.md, "Sensor ->
 * aggregator wire": durability and back-pressure). A batch is written and
 * fsynced here before its first send and removed only after the aggregator's
 * ack. Payloads are opaque bytes (encoded, signed pd_batch envelopes).
 *
 * Owns DIR/spool/ (mode 0700, created with DIR if missing), holding one file
 * per batch named by its sequence number as 16 lower-case hex digits +
 * ".batch" (seq 42 -> "000000000000002a.batch"), in this format (integers
 * big-endian):
 *
 *   offset size
 *     0     8   magic "ALMSPL01"
 *     8     8   seq         u64, equal to the number in the file name (>= 1)
 *    16     8   created_s   i64, Unix time the batch was sealed
 *    24     4   n_obs       u32, observations in the batch (to count drops)
 *    28     4   len         u32, payload bytes (<= SPOOL_MAX_PAYLOAD)
 *    32     4   crc         u32, CRC-32C (pd_crc32c) of the payload
 *    36     4   hcrc        u32, CRC-32C of bytes 0..35 of this header
 *    40   len   payload
 *
 * A file is valid only if it is a regular file (not a symlink) of exactly
 * 40 + len bytes and every field above checks out. Also owned:
 *   DIR/spool/.tmp-<16 hex>  a batch being written (write, fsync, rename)
 *   DIR/spool/corrupt/       entries found invalid, set aside
 *   DIR/spool/rejected/      batches the aggregator refused for good
 * Set-aside entries are renamed "<20-digit ns timestamp>-<original name>";
 * each of the two directories keeps the newest SPOOL_KEEP_ASIDE entries.
 * Other names in DIR/spool/ are left alone (a warning at open).
 *
 * Contract:
 * - spool_open indexes every valid batch (reading each file whole, so a large
 *   spool costs one read of it at start-up); everything else ending in
 *   ".batch" and every leftover .tmp- entry is set aside or deleted and counted
 *   in spool_corrupt. It never follows symlinks, opens FIFOs without blocking,
 *   and judges size before reading.
 * - spool_put returns 0 once the batch is durable (file and directory entry
 *   fsynced). On failure (-errno: ENOSPC, EIO, EROFS...) no file of that seq is
 *   left behind, spool_write_errors counts it, and the first failure of a run
 *   of failures is logged (and the recovery after it); the caller decides what
 *   to do with the batch.
 * - Cap: after each put (and at open), while the spool holds more than
 *   max_bytes (header and payload bytes of all batches) or SPOOL_MAX_BATCHES
 *   batches, the oldest batch is deleted, counted in spool_dropped_batches and
 *   its n_obs in spool_dropped_observations. The batch just written is never
 *   dropped, even if it alone exceeds max_bytes.
 * - Removals (ack, drop) are not fsynced: after a crash a removed batch may
 *   reappear and be sent again, which the aggregator's idempotence absorbs.
 * - DIR/spool is flocked while open: a second process gets PD_EBUSY.
 *
 * Thread-safety: every function may be called from any thread (the capture
 * thread puts, the shipping thread reads and removes). Puts are serialised
 * with each other; file I/O for put and read happens outside the index lock,
 * so a slow fsync does not stall spool_first or spool_remove. Counters in
 * *st are updated under the index lock; lock-free readers may see slightly
 * stale values.
 */
#ifndef SENSOR_SPOOL_H
#define SENSOR_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "pd_buf.h"
#include "stats.h"

#define SPOOL_HDR_LEN 40
#define SPOOL_MAX_PAYLOAD (64u << 20)
#define SPOOL_MAX_BATCHES (1u << 20)
#define SPOOL_KEEP_ASIDE 100

struct spool;

struct spool_meta {
	int64_t created_s;
	uint32_t n_obs;
	uint32_t len; /* payload bytes */
};

/*
 * Opens dir/spool, creating dir and dir/spool if missing, and scans it as
 * described above. st (borrowed, must outlive the spool) receives the spool_*
 * counters. Returns 0 and *out, or a negative code with the reason in err
 * (PD_EBUSY, -errno).
 */
int spool_open(struct spool **out, const char *dir, uint64_t max_bytes,
               struct sensor_stats *st, char *err, size_t errlen);
/* Closes; NULL is a no-op. Files stay for the next open. */
void spool_close(struct spool *sp);

/*
 * Writes a batch durably (see the contract). Returns 0; PD_EUSAGE for seq 0;
 * PD_ELIMIT when len > SPOOL_MAX_PAYLOAD; PD_EDUP when seq is already spooled
 * (nothing is overwritten); -errno on I/O errors.
 */
int spool_put(struct spool *sp, uint64_t seq, const void *data, size_t len,
              uint32_t n_obs, int64_t created_s);

/*
 * Reads batch seq into out (reset first; its cap must admit the payload) and
 * checks it again; meta may be NULL. Returns 0; PD_ENOTFOUND when seq is not
 * spooled (never was, or removed or dropped meanwhile); PD_EMALF when the
 * file went bad on disk (it is set aside, counted in spool_corrupt and no
 * longer spooled); PD_ELIMIT when out cannot hold it; -errno on other read
 * errors (the batch stays; the caller may retry or set it aside).
 */
int spool_read(struct spool *sp, uint64_t seq, struct pd_buf *out, struct spool_meta *meta);

/* Deletes batch seq after its ack. Removing an absent seq returns 0. If the
 * unlink fails, the batch is still forgotten (it would be sent again after a
 * restart) and -errno is returned. */
int spool_remove(struct spool *sp, uint64_t seq);

/* Moves batch seq to rejected/ (the aggregator refused it permanently),
 * counts spool_rejected and logs reason. PD_ENOTFOUND if not spooled; the
 * batch is forgotten even if the rename fails (-errno). */
int spool_set_aside(struct spool *sp, uint64_t seq, const char *reason);

/* The smallest spooled seq greater than after: 0 or PD_ENOTFOUND. */
int spool_first(struct spool *sp, uint64_t after, uint64_t *seq);
/* The oldest (smallest) spooled seq and when it was sealed; PD_ENOTFOUND if
 * the spool is empty. */
int spool_oldest(struct spool *sp, uint64_t *seq, int64_t *created_s);
/* The largest spooled seq, or 0 when empty (state_open's floor is this + 1). */
uint64_t spool_last(struct spool *sp);
/* Bytes (headers included) and batches held. */
void spool_depth(struct spool *sp, uint64_t *bytes, uint64_t *batches);

#endif
