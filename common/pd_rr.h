/*
 * pd_rr: knowledge of RR types: mnemonics, canonical rdata, presentation.
 *
 * Contract and formats: docs/observations.md. All functions are pure,
 * allocation-free and thread-safe; buffers are the caller's.
 */
#ifndef PD_RR_H
#define PD_RR_H

#include <stddef.h>
#include <stdint.h>

/* Canonical rdata is at most this long (rdlen is 16 bits; names only grow
 * by decompression, bounded by 255 octets each). */
#define PD_RR_CANON_MAX 65535u

enum pd_rr_type {
	PD_T_A = 1, PD_T_NS = 2, PD_T_MD = 3, PD_T_MF = 4, PD_T_CNAME = 5, PD_T_SOA = 6,
	PD_T_MB = 7, PD_T_MG = 8, PD_T_MR = 9, PD_T_PTR = 12, PD_T_HINFO = 13,
	PD_T_MINFO = 14, PD_T_MX = 15, PD_T_TXT = 16, PD_T_RP = 17, PD_T_AFSDB = 18,
	PD_T_RT = 21, PD_T_PX = 26, PD_T_AAAA = 28, PD_T_SRV = 33, PD_T_NAPTR = 35,
	PD_T_KX = 36, PD_T_DNAME = 39, PD_T_OPT = 41, PD_T_DS = 43, PD_T_SSHFP = 44,
	PD_T_RRSIG = 46, PD_T_NSEC = 47, PD_T_DNSKEY = 48, PD_T_DHCID = 49,
	PD_T_NSEC3 = 50, PD_T_NSEC3PARAM = 51, PD_T_TLSA = 52, PD_T_SMIMEA = 53,
	PD_T_CDS = 59, PD_T_CDNSKEY = 60, PD_T_OPENPGPKEY = 61, PD_T_SVCB = 64,
	PD_T_HTTPS = 65, PD_T_SPF = 99, PD_T_TKEY = 249, PD_T_TSIG = 250,
	PD_T_ANY = 255, PD_T_URI = 256, PD_T_CAA = 257,
};

/* Presentation text of any name fits in this many bytes with its NUL
 * (255 octets, each at most "\DDD"). */
#define PD_DNS_TEXT_MAX 1100

/* Presentation flags. */
#define PD_RR_FQDN 0x1 /* names end in "." (DNSDB style); default: no dot */

/*
 * Writes the mnemonic of type ("A", "TYPE65280") to out (cap >= 16), NUL
 * terminated. Returns its length.
 */
size_t pd_rr_type_name(uint16_t type, char *out);

/* Parses a mnemonic or "TYPEnnn" (case-insensitive). Returns 0 or PD_EMALF. */
int pd_rr_type_from_name(const char *name, size_t len, uint16_t *type);

/* 1 when the type's rdata carries domain names that canonicalization
 * decompresses (and that the name-in-rdata index can use). */
int pd_rr_has_names(uint16_t type);

/*
 * The domain names inside canonical rdata of a type that points at other
 * names (NS, CNAME, DNAME, PTR, MX, SRV, SVCB/HTTPS targets, SOA, NAPTR,
 * RP, MINFO, KX, AFSDB, RT, PX, MB/MD/MF/MG/MR; not RRSIG signers or NSEC
 * next names): stores up to max (offset, length) pairs of names within
 * rdata and returns how many there are, or PD_EMALF.
 */
int pd_rr_rdata_names(uint16_t type, const uint8_t *rdata, size_t rdlen, size_t *off,
                      size_t *len, size_t max);

/*
 * Builds the canonical rdata of an RR of the given type whose rdata sits at
 * msg[off .. off+rdlen) of the whole message msg[0..msglen) (names inside
 * may point anywhere earlier in the message). Writes to out (cap bytes;
 * PD_RR_CANON_MAX always suffices) and returns the canonical length, or a
 * negative PD_E* code: PD_EMALF when the rdata does not have the type's
 * shape, or the name errors of pd_dns (PD_ELOOP, PD_ENAME, PD_ELABEL,
 * PD_ETRUNC) for names inside it. A name whose own bytes run past the
 * rdata end is PD_EMALF (only where its pointers lead is unbounded).
 * PD_ETRUNC also when msg[off .. off+rdlen) is not inside the message,
 * PD_ESPACE when cap is too small (shape errors are reported first).
 */
int pd_rr_canon(uint16_t type, const uint8_t *msg, size_t msglen, size_t off,
                size_t rdlen, uint8_t *out, size_t cap);

/*
 * Writes canonical name (wire form) as presentation text into out (cap
 * bytes), NUL terminated: no trailing dot unless PD_RR_FQDN; root is ".".
 * Returns the text length, PD_ESPACE, or PD_EMALF when name[0..len) is not
 * exactly one uncompressed name. On error out holds "" (if cap > 0).
 */
int pd_rr_name_format(const uint8_t *name, size_t len, unsigned flags, char *out, size_t cap);

/*
 * Writes the presentation of canonical rdata of the given type into out
 * (cap bytes), NUL terminated. Returns the text length, PD_ESPACE when cap
 * is too small, or PD_EMALF when rdata is not canonical for the type
 * (PD_EMALF wins over PD_ESPACE, so a retry with a bigger buffer is only
 * made for rdata that will print). Never reads outside rdata[0..rdlen).
 * On error out holds "" (if cap > 0). A cap of pd_rr_format_cap(rdlen) is
 * always enough.
 */
int pd_rr_format(uint16_t type, const uint8_t *rdata, size_t rdlen, unsigned flags,
                 char *out, size_t cap);

/*
 * An upper bound of pd_rr_format's output for rdata of rdlen bytes. Type
 * bitmaps dominate (each bit can print as "TYPE65535 "), so callers format
 * into a modest buffer first and use this bound only to retry on PD_ESPACE.
 */
static inline size_t pd_rr_format_cap(size_t rdlen)
{
	return rdlen * 90 + 64;
}

#endif
