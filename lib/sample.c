/*
 * sample.c: next-token selection with transformers' generate() semantics
 * (see sample.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample.h"
#include "util.h"

void llm_sampler_opts_default(struct llm_sampler_opts *o)
{
	o->temperature = 0;
	o->top_k = 0;
	o->top_p = 1;
	o->min_p = 0;
	o->repetition_penalty = 1;
	o->seed = 0;
}

int llm_sampler_opts_check(const struct llm_sampler_opts *o)
{
	if (!(o->temperature >= 0) || !isfinite(o->temperature))
		return llm_error("temperature %g must be >= 0 (0 = greedy)", o->temperature);
	if (o->top_k < 0)
		return llm_error("top_k %d must be >= 0 (0 = off)", o->top_k);
	if (!(o->top_p > 0 && o->top_p <= 1))
		return llm_error("top_p %g must be in (0, 1] (1 = off)", o->top_p);
	if (!(o->min_p >= 0 && o->min_p <= 1))
		return llm_error("min_p %g must be in [0, 1] (0 = off)", o->min_p);
	if (!(o->repetition_penalty > 0) || !isfinite(o->repetition_penalty))
		return llm_error("repetition_penalty %g must be > 0 (1 = off)", o->repetition_penalty);
	return 0;
}

void llm_sampler_init(struct llm_sampler *s, const struct llm_sampler_opts *o, int V)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	s->V = V;
	s->probs = llm_malloc((size_t)V * sizeof(float));
	s->idx = llm_malloc((size_t)V * sizeof(int));
	s->seen = llm_calloc((size_t)V, 1);
}

void llm_sampler_free(struct llm_sampler *s)
{
	free(s->probs);
	free(s->idx);
	free(s->seen);
	memset(s, 0, sizeof(*s));
}

void llm_sampler_reset(struct llm_sampler *s)
{
	memset(s->seen, 0, (size_t)s->V);
	s->draws = 0;
}

void llm_sampler_accept(struct llm_sampler *s, const uint32_t *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] < (uint32_t)s->V)
			s->seen[ids[i]] = 1;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static const float *sort_keys;

static int by_prob_desc(const void *a, const void *b)
{
	float x = sort_keys[*(const int *)a], y = sort_keys[*(const int *)b];
	if (x != y)
		return x > y ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

uint32_t llm_sampler_next(struct llm_sampler *s, float *logits)
{
	int V = s->V;
	const struct llm_sampler_opts *o = &s->o;
	if (o->repetition_penalty != 1.0f)
		for (int j = 0; j < V; j++)
			if (s->seen[j])
				logits[j] = logits[j] < 0 ? logits[j] * o->repetition_penalty
							  : logits[j] / o->repetition_penalty;
	if (o->temperature == 0) {
		int best = 0;
		for (int j = 1; j < V; j++)
			if (logits[j] > logits[best])
				best = j;
		return (uint32_t)best;
	}
	/* candidates: all ids, or the top_k (ties with the k-th kept, as HF) */
	float mx = -INFINITY;
	for (int j = 0; j < V; j++) {
		logits[j] /= o->temperature;
		if (logits[j] > mx)
			mx = logits[j];
	}
	double sum = 0;
	for (int j = 0; j < V; j++) {
		s->probs[j] = expf(logits[j] - mx);
		sum += s->probs[j];
	}
	for (int j = 0; j < V; j++) {
		s->probs[j] = (float)(s->probs[j] / sum);
		s->idx[j] = j;
	}
	sort_keys = s->probs;
	qsort(s->idx, (size_t)V, sizeof(int), by_prob_desc);
	int n = V;
	if (o->top_k > 0 && o->top_k < n) {
		float kth = s->probs[s->idx[o->top_k - 1]];
		n = o->top_k;
		while (n < V && s->probs[s->idx[n]] >= kth)
			n++;
	}
	/* renormalise over the survivors before top-p, as HF's warpers see
	 * -inf for filtered logits */
	double tot = 0;
	for (int r = 0; r < n; r++)
		tot += s->probs[s->idx[r]];
	if (o->top_p < 1.0f) {
		/* HF removes the ascending-order tail whose cumulative mass is
		 * <= 1 - top_p: keep the top ranks until the mass above them
		 * would leave less than 1 - top_p below */
		double below = 0;
		int keep = n;
		for (int r = n - 1; r > 0; r--) {
			below += s->probs[s->idx[r]] / tot;
			if (below <= 1.0 - o->top_p)
				keep = r;
			else
				break;
		}
		n = keep;
	}
	if (o->min_p > 0) {
		float thr = o->min_p * s->probs[s->idx[0]];
		int keep = 1;
		while (keep < n && s->probs[s->idx[keep]] >= thr)
			keep++;
		n = keep;
	}
	tot = 0;
	for (int r = 0; r < n; r++)
		tot += s->probs[s->idx[r]];
	uint64_t h = splitmix64(o->seed ^ splitmix64(s->draws++));
	double u = (double)(h >> 11) * 0x1.0p-53 * tot, acc = 0;
	for (int r = 0; r < n; r++) {
		acc += s->probs[s->idx[r]];
		if (u < acc)
			return (uint32_t)s->idx[r];
	}
	return (uint32_t)s->idx[n - 1];
}
