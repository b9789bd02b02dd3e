/*
 * pool.c: a fixed pool of pthreads running parallel-for loops.
 */
#include "pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

struct llm_pool {
	int n;
	pthread_t *threads;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	/* the current loop */
	llm_pool_fn fn;
	void *ctx;
	size_t total, next;
	int active;         /* workers still inside the loop */
	unsigned long gen;  /* loop generation, to wake workers once per loop */
	int stop;
};

int llm_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int)n : 1;
}

static void run_items(struct llm_pool *p, int worker)
{
	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		if (i >= p->total)
			break;
		p->fn(p->ctx, i, worker);
	}
}

struct worker_arg {
	struct llm_pool *p;
	int id;
};

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct llm_pool *p = wa->p;
	int id = wa->id;
	free(wa);
	unsigned long seen = 0;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && p->gen == seen)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->stop)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->lock);
		run_items(p, id);
		pthread_mutex_lock(&p->lock);
		if (--p->active == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct llm_pool *llm_pool_new(int n_threads)
{
	struct llm_pool *p = llm_calloc(1, sizeof(*p));
	p->n = n_threads > 0 ? n_threads : llm_cpu_count();
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	/* the caller's thread is worker 0; n-1 helpers */
	if (p->n > 1) {
		p->threads = llm_calloc((size_t)p->n - 1, sizeof(pthread_t));
		for (int i = 1; i < p->n; i++) {
			struct worker_arg *wa = llm_malloc(sizeof(*wa));
			wa->p = p;
			wa->id = i;
			if (pthread_create(&p->threads[i - 1], NULL, worker_main, wa) != 0)
				llm_die("cannot start worker thread %d", i);
		}
	}
	return p;
}

int llm_pool_threads(const struct llm_pool *p) { return p->n; }

void llm_pool_for(struct llm_pool *p, size_t n, llm_pool_fn fn, void *ctx)
{
	if (n == 0)
		return;
	if (p->n == 1 || n == 1) {
		for (size_t i = 0; i < n; i++)
			fn(ctx, i, 0);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->fn = fn;
	p->ctx = ctx;
	p->total = n;
	p->next = 0;
	p->active = p->n - 1;
	p->gen++;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	run_items(p, 0);
	pthread_mutex_lock(&p->lock);
	while (p->active > 0)
		pthread_cond_wait(&p->done, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

void llm_pool_free(struct llm_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (int i = 1; i < p->n; i++)
		pthread_join(p->threads[i - 1], NULL);
	free(p->threads);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p);
}
