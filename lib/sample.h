/*
 * sample.h: next-token selection from logits, with Hugging Face
 * transformers' generate() semantics.
 *
 * Order (transformers' logits processors then warpers):
 *   1. repetition penalty over every id in the context (prompt + generated):
 *      a logit < 0 is multiplied by the penalty, otherwise divided;
 *   2. greedy (temperature 0): the argmax, first maximum on ties;
 *   3. else temperature, top-k, top-p (nucleus: the smallest set of most
 *      likely tokens whose probability reaches top_p, always >= 1 token),
 *      min-p (drop tokens with p < min_p * p_max), then a draw from the
 *      renormalised distribution with a seeded generator.
 * The generator is splitmix64 over a counter, so a (seed, position) pair
 * always gives the same draw.
 */
#ifndef LLM_SAMPLE_H
#define LLM_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct llm_sampler_opts {
	float temperature;        /* 0 = greedy */
	int top_k;                /* 0 = off */
	float top_p;              /* 1 = off */
	float min_p;              /* 0 = off */
	float repetition_penalty; /* 1 = off */
	uint64_t seed;
};

struct llm_sampler {
	struct llm_sampler_opts o;
	uint64_t draws;
	int V;
	float *probs;     /* [V] scratch */
	int *idx;         /* [V] scratch */
	unsigned char *seen; /* [V] ids in the context (repetition penalty) */
};

/* Defaults: greedy, no filtering, seed 0. */
void llm_sampler_opts_default(struct llm_sampler_opts *o);
/* Checks ranges (temperature >= 0, top_k >= 0, 0 < top_p <= 1,
 * 0 <= min_p <= 1, repetition_penalty > 0).  0, or -1 with a message. */
int llm_sampler_opts_check(const struct llm_sampler_opts *o);
void llm_sampler_init(struct llm_sampler *s, const struct llm_sampler_opts *o, int V);
void llm_sampler_free(struct llm_sampler *s);
/* Forgets the context (a new prompt) and restarts the generator. */
void llm_sampler_reset(struct llm_sampler *s);
/* Adds ids to the context the repetition penalty looks at. */
void llm_sampler_accept(struct llm_sampler *s, const uint32_t *ids, size_t n);
/* Picks the next id from logits [V] (modified in place). */
uint32_t llm_sampler_next(struct llm_sampler *s, float *logits);

#endif
