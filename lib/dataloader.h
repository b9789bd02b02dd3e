/*
 * dataloader.h: batches of token sequences from llm.c token shards.
 *
 * Shards are llm.c token shards as written by llmake-tokenize (layout and
 * validation in shard.h): magic 20240520 / version 1 with uint16 tokens, or
 * 20240801 / version 7 with uint32 tokens.
 *
 * A shard of N tokens holds floor((N - 1) / T) sequences: sequence j is the
 * T + 1 tokens starting at j*T (inputs are the first T, targets the last T).
 * Sequences of all shards are numbered in the order the shards are given;
 * with shuffle, epoch e visits them in a Fisher-Yates permutation drawn from
 * (seed, e), so the order is a pure function of (seed, epoch, position) and
 * a run resumes exactly from (epoch, position).
 */
#ifndef LLM_DATALOADER_H
#define LLM_DATALOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shard.h"

/* Checks that every token of an open shard is below vocab_size.  Returns
 * 0, or -1 (printed: file, byte offset, the id and a hint). */
int llm_shard_check_vocab(const struct llm_shard *s, int vocab_size);

struct llm_dataloader {
	struct llm_shard *shards; /* lib/shard.h readers */
	int n_shards;
	int B, T;
	uint64_t n_seq;      /* over all shards */
	uint64_t *seq_first; /* [n_shards + 1] cumulative sequence counts */
	bool shuffle;
	uint64_t seed;
	uint64_t epoch, pos; /* next sequence: perm[pos] of epoch */
	uint64_t *perm;      /* [n_seq] when shuffling */
};

/* Opens every shard (llm_shard_open) and checks its tokens against
 * vocab_size (when > 0).  0 or -1 (printed). */
int llm_dataloader_open(struct llm_dataloader *dl, char *const *paths, int n, int B, int T,
			bool shuffle, uint64_t seed, int vocab_size);
void llm_dataloader_free(struct llm_dataloader *dl);
/* Moves to (epoch, pos) (resume). */
void llm_dataloader_seek(struct llm_dataloader *dl, uint64_t epoch, uint64_t pos);
/* Fills inputs x[B*T] and targets y[B*T] with the next B sequences, moving
 * on to the next epoch when one runs out. */
void llm_dataloader_next(struct llm_dataloader *dl, int32_t *x, int32_t *y);

/*
 * Bytes of text per token id, for bits-per-byte: from a tiktoken rank file
 * ("<base64> <rank>" lines) or a Hugging Face tokenizer.json (byte-level
 * BPE: each character of a vocab entry stands for one byte; added/special
 * tokens count 0).  Returns an array of V counts (caller frees), or NULL
 * (printed).
 */
uint32_t *llm_token_bytes_load(const char *path, int V);

#endif
