/*
 * generate.h: loading an llmake checkpoint for inference (llmake-generate,
 * llmake-eval) and generating text with the KV cache.
 *
 * A checkpoint is a Hugging Face folder: config.json + model.safetensors
 * (or the sharded index) + tokenizer.json.  The tokenizer must match the
 * model: every tokenizer id must be a row of the embedding (n_vocab <=
 * vocab_size), and the model's vocabulary may be padded past the tokenizer
 * by less than LLM_VOCAB_PAD_MAX ids (llm.c pads 50257 to 50304); anything
 * else is refused as a tokenizer from another model.
 */
#ifndef LLM_GENERATE_H
#define LLM_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"
#include "sample.h"
#include "tokenizer.h"
#include "util.h"

#define LLM_VOCAB_PAD_MAX 1024

/* Loads the model folder and its tokenizer (tok_path NULL: DIR/tokenizer.json)
 * and checks that they match.  Returns 0, or -1 (printed; nothing to free). */
int llm_generate_load(const char *model_dir, const char *tok_path, struct llm_model *m,
		      struct llm_tokenizer **tok);
/* The same check alone: 0, or -1 (printed, naming both files). */
int llm_generate_check_vocab(const struct llm_model *m, const struct llm_tokenizer *tok,
			     const char *model_dir, const char *tok_path);

struct llm_generate_opts {
	struct llm_sampler_opts sampling;
	int max_tokens;          /* new tokens at most */
	const char *const *stop; /* stop strings (NULL-terminated, or NULL) */
	bool stop_at_eos;        /* the end-of-text token ends generation */
	int64_t eos_id;          /* -1 = none */
};

/* Result of one generation. */
struct llm_generation {
	struct llm_buf text;     /* generated text (stop string excluded) */
	size_t prompt_tokens, gen_tokens;
	size_t prompt_dropped;   /* prompt tokens dropped from the left to fit */
	double prompt_seconds, gen_seconds;
	const char *stop_reason; /* "length", "eos", "stop", "context" */
	struct llm_tokens ids;   /* generated ids */
};
void llm_generation_free(struct llm_generation *g);

/* Callback receiving text as soon as it is final (stop strings can no
 * longer cut it); may be NULL. */
typedef void (*llm_generate_emit)(void *ctx, const char *text, size_t n);

/*
 * Generates a continuation of prompt.  The prompt is encoded (special-token
 * text recognised) and, when prompt + max_tokens would not fit the model's
 * context, truncated from the left (reported in g->prompt_dropped).  kv must
 * be sized for the model's context.  Returns 0 or -1 (printed).
 */
int llm_generate(struct llm_model *m, const struct llm_tokenizer *tok, struct llm_kv_cache *kv,
		 struct llm_sampler *smp, const struct llm_generate_opts *o, const char *prompt,
		 size_t prompt_len, llm_generate_emit emit, void *emit_ctx, struct llm_generation *g);

#endif
