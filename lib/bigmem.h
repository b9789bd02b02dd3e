/*
 * bigmem.h: large zeroed scratch tables backed by transparent huge pages.
 *
 * Caches and hash tables of many megabytes that are read at random (the
 * fastText token cache, the word splitter's chunk cache) spend most of their
 * time in TLB misses with 4 KiB pages; these are anonymous mappings advised
 * MADV_HUGEPAGE (the kernel's THP mode is usually "madvise").  Pages are
 * committed when first touched, so a generous size costs only address space.
 */
#ifndef LLM_BIGMEM_H
#define LLM_BIGMEM_H

#include <stddef.h>

/* n zeroed bytes (n > 0); dies when out of memory. */
void *llm_big_alloc(size_t n);
/* Frees what llm_big_alloc(n) returned (NULL is ignored). */
void llm_big_free(void *p, size_t n);

/* count * size zeroed bytes that free() releases; arrays of 4 MiB and more
 * are 2 MiB-aligned and advised MADV_HUGEPAGE (model weights, gradients,
 * optimizer moments, activations: streamed through by sgemm packing, where
 * 4 KiB pages cost TLB misses). Dies when out of memory. */
void *llm_huge_calloc(size_t count, size_t size);

#endif
