/*
 * bigmem.c: huge-page-advised anonymous mappings (see bigmem.h).
 */
#include "bigmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util.h"

void *llm_big_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		llm_die("out of memory mapping %zu bytes", n);
#ifdef MADV_HUGEPAGE
	(void)madvise(p, n, MADV_HUGEPAGE); /* advice only: fine if THP is off */
#endif
	return p;
}

void llm_big_free(void *p, size_t n)
{
	if (p)
		munmap(p, n);
}

#define HUGE_PAGE ((size_t)2 << 20)

void *llm_huge_calloc(size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		llm_die("out of memory: %zu x %zu bytes", count, size);
	size_t n = count * size;
	if (n < 2 * HUGE_PAGE)
		return llm_calloc(count ? count : 1, size ? size : 1);
	n = (n + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	void *p = NULL;
	if (posix_memalign(&p, HUGE_PAGE, n))
		llm_die("out of memory allocating %zu bytes", n);
#ifdef MADV_HUGEPAGE
	(void)madvise(p, n, MADV_HUGEPAGE); /* advice only: fine if THP is off */
#endif
	memset(p, 0, n);
	return p;
}
