/*
 * pd_crc32c: CRC-32C (Castagnoli, RFC 3720 B.4), as used by iSCSI, SCTP,
 * ext4 and LevelDB. Reflected polynomial 0x82F63B78, initial value and final
 * xor 0xFFFFFFFF, no output reflection. Table-driven, slicing-by-8 (portable
 * C: bytes are combined explicitly, so the host's byte order and alignment do
 * not matter).
 *
 * Convention (as zlib's crc32()): pass crc = 0 to start; the result is the
 * finished CRC, and passing it back in continues over more data:
 *
 *   pd_crc32c(0, "123456789", 9) == 0xE3069283
 *   pd_crc32c(pd_crc32c(0, a, n), b, m) == CRC of a followed by b
 *
 * The initial and final inversions happen inside, so callers never xor.
 * Thread-safety: pure function over constant tables.
 */
#ifndef PD_CRC32C_H
#define PD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t pd_crc32c(uint32_t crc, const void *p, size_t n);

#endif
