/*
 * pd_bigmem: large tables (hash slots, filters, caches) in their own
 * zero-filled mapping, with transparent huge pages asked for. Their
 * lookups touch random places across hundreds of MiB; with 4 KiB pages
 * almost every one also misses the TLB, and 2 MiB pages spare most of
 * those misses. Debian's kernels give huge pages only to mappings that
 * ask (transparent_hugepage=madvise); where none are free the mapping
 * simply keeps small pages.
 */
#ifndef PD_BIGMEM_H
#define PD_BIGMEM_H

#include <stddef.h>

/* n zero bytes, 64-byte aligned (page aligned, in fact), or NULL. */
void *pd_bigmem_alloc(size_t n);
/* Hands the memory of bytes [keep, used) of p back to the system; they
 * read as zero afterwards. */
void pd_bigmem_trim(void *p, size_t keep, size_t used);
/* Frees what pd_bigmem_alloc(n) returned; NULL is a no-op. */
void pd_bigmem_free(void *p, size_t n);

#endif
