/*
 * pool.h: a fixed pool of worker threads for data-parallel stages.
 *
 * llm_pool_for() runs fn(ctx, i, worker) for i in [0, n) with dynamic
 * scheduling and returns when all are done.  Results must be written into
 * per-item slots so output order never depends on the thread count.
 */
#ifndef LLM_POOL_H
#define LLM_POOL_H

#include <stddef.h>

struct llm_pool;

typedef void (*llm_pool_fn)(void *ctx, size_t i, int worker);

/* n_threads <= 0 means the number of online CPUs.  With 1 thread, work
 * runs on the caller's thread. */
struct llm_pool *llm_pool_new(int n_threads);
int llm_pool_threads(const struct llm_pool *p);
void llm_pool_for(struct llm_pool *p, size_t n, llm_pool_fn fn, void *ctx);
void llm_pool_free(struct llm_pool *p);
/* Online CPUs (>= 1). */
int llm_cpu_count(void);

#endif
