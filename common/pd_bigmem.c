#include "pd_bigmem.h"

#include <sys/mman.h>

void *pd_bigmem_alloc(size_t n)
{
	if (n == 0)
		n = 1;
	/* No swap reserved: a table sized for its worst case (an arena)
	 * costs memory only where it is written. */
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	               -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	/* Only advice: without huge pages the table works the same. */
	(void)madvise(p, n, MADV_HUGEPAGE);
#endif
	return p;
}

void pd_bigmem_trim(void *p, size_t keep, size_t used)
{
	size_t page = 4096, from = (keep + page - 1) & ~(page - 1);
	if (p && used > from)
		(void)madvise((char *)p + from, used - from, MADV_DONTNEED);
}

void pd_bigmem_free(void *p, size_t n)
{
	if (p)
		munmap(p, n ? n : 1);
}
