/*
 * bpe_train.h: byte-level BPE training (the algorithm of Hugging Face
 * tokenizers' BpeTrainer, so the vocabularies agree).
 *
 * 1. Word counts: each text is split by the pre-tokenizer (GPT-2 or
 *    Llama-3/Qwen2 regex) and each piece (its raw bytes) is counted.
 *    Counting runs on many threads, one llm_bpe_counts per thread, merged
 *    with llm_bpe_counts_merge().
 * 2. Vocabulary: the special tokens first (ids 0..S-1), then the 256 byte
 *    symbols ordered by their byte-level code point (GPT-2's alphabet, as
 *    HF's ByteLevel.alphabet() initial alphabet gives), then one token per
 *    merge.
 * 3. Merges: the pair with the highest count is merged next; ties go to
 *    the pair with the smaller (left id, right id), as BpeTrainer's heap
 *    orders them.  Counts are updated incrementally and stale heap entries
 *    re-queued, exactly as BpeTrainer does, so even its quirks (a pair
 *    re-merged when a token is re-created by another pair) are shared.
 *    Stops at vocab_size tokens or when the best count < min_frequency.
 */
#ifndef LLM_BPE_TRAIN_H
#define LLM_BPE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "tokenizer.h"
#include "util.h"

struct llm_bpe_counts;

struct llm_bpe_counts *llm_bpe_counts_new(void);
void llm_bpe_counts_free(struct llm_bpe_counts *c);
/* Pre-tokenizes text and counts its pieces. */
void llm_bpe_counts_add_text(struct llm_bpe_counts *c, enum llm_pretok kind, const char *text, size_t len);
/* Adds count to one word. */
void llm_bpe_counts_add(struct llm_bpe_counts *c, const void *word, size_t len, uint64_t count);
/* Adds every word of src into dst (src unchanged). */
void llm_bpe_counts_merge(struct llm_bpe_counts *dst, const struct llm_bpe_counts *src);
size_t llm_bpe_counts_words(const struct llm_bpe_counts *c);

struct llm_bpe_train_opts {
	uint32_t vocab_size;     /* including specials and the 256 bytes */
	uint64_t min_frequency;  /* 0 = no minimum */
	enum llm_pretok pretok;  /* GPT2, LLAMA3 or QWEN2 (written into tokenizer.json) */
	const char *const *special; /* special tokens, in id order */
	int n_special;
};

struct llm_bpe_result {
	uint32_t n_vocab, n_merges;
	uint64_t n_words;      /* distinct words trained on */
	char *json;            /* tokenizer.json text (caller frees) */
	size_t json_len;
};

/* Trains on the counts and renders an HF tokenizer.json.  Returns 0, or -1
 * (printed) on bad options. */
int llm_bpe_train(const struct llm_bpe_counts *counts, const struct llm_bpe_train_opts *opts,
		  struct llm_bpe_result *res);

#endif
