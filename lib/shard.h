/*
 * shard.h: token shards (llm.c's format) and their document index.
 *
 * Shard NAME.bin, little-endian (llm.c's dev/data/data_common.py layout; the
 * llm.c dataloader reads it as is):
 *   int32 header[256]
 *     [0] magic     20240520 with uint16 tokens, 20240801 with uint32 tokens
 *     [1] version   1 (uint16), 7 (uint32)              (llm.c's values)
 *     [2] n_tokens  number of tokens that follow, 0 <= n < 2^31
 *     [3] 0x4B4D4C4C ("LLMK") when written by llmake, else 0
 *     [4] vocabulary size of the tokenizer (0 = unknown)
 *     [5] end-of-text id (-1 = none)
 *     [6] number of documents (as in the index)
 *     [7..255] 0
 *   then n_tokens tokens, uint16 or uint32.  The file is exactly
 *   1024 + n_tokens * width bytes.  uint16 is chosen when every id fits
 *   (vocabulary size <= 65536), else uint32.
 *
 * Document index NAME.idx beside it (datatrove's .ds.index with a header):
 *   char     magic[8]  "LLMKDIDX"
 *   uint32   version   1
 *   uint32   reserved  0
 *   uint64   n_docs
 *   uint64   n_tokens  (equal to the shard's)
 *   uint64   ends[n_docs]  cumulative token end of each document: strictly
 *            increasing, ends[n_docs - 1] == n_tokens.
 *   Document i is tokens [ends[i-1], ends[i]) (ends[-1] = 0).  As in llm.c
 *   each document begins with the end-of-text token, so any window that
 *   starts at an EOT starts at a document boundary.
 *
 * llmake-tokenize encode writes DIR/{train,val}_NNNNNN.bin (+ .idx), or
 * DIR/{train,val}_III_NNNNNN.bin with --shard III/N; a document goes to val
 * when xxh3_64(id, seed) mod 10^6 < val_fraction * 10^6.
 */
#ifndef LLM_SHARD_H
#define LLM_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LLM_SHARD_MAGIC_U16 20240520
#define LLM_SHARD_MAGIC_U32 20240801
#define LLM_SHARD_VERSION_U16 1
#define LLM_SHARD_VERSION_U32 7
#define LLM_SHARD_HEADER_INTS 256
#define LLM_SHARD_HEADER_BYTES (LLM_SHARD_HEADER_INTS * 4)
#define LLM_SHARD_TAG 0x4B4D4C4C
#define LLM_SHARD_MAX_TOKENS 0x7FFFFFFFull
#define LLM_SHARD_IDX_MAGIC "LLMKDIDX"
#define LLM_SHARD_IDX_VERSION 1
#define LLM_SHARD_IDX_HEADER_BYTES 32

/* ---- writer ---- */

struct llm_shard_writer;

/* Opens NAME.bin (and NAME.idx) for atomic writing.  width 2 or 4 bytes is
 * chosen from n_vocab (<= 65536: uint16).  eot: -1 if none.  NULL on error
 * (printed). */
struct llm_shard_writer *llm_shard_writer_open(const char *path, uint32_t n_vocab, int64_t eot);
/* Appends one document's tokens (the caller puts the EOT first).  Returns 0,
 * or -1 (printed) if an id does not fit the width or the shard would pass
 * 2^31 - 1 tokens. */
int llm_shard_writer_add(struct llm_shard_writer *w, const uint32_t *ids, size_t n);
uint64_t llm_shard_writer_tokens(const struct llm_shard_writer *w);
uint64_t llm_shard_writer_docs(const struct llm_shard_writer *w);
/* Writes the header and the index and renames both into place; frees w.
 * Returns 0 or -1 (printed; nothing left behind). */
int llm_shard_writer_commit(struct llm_shard_writer *w);
void llm_shard_writer_abort(struct llm_shard_writer *w);

/* ---- reader ---- */

struct llm_shard {
	char *path;
	int width;            /* 2 or 4 */
	uint64_t n_tokens;
	uint32_t n_vocab;     /* 0 = unknown */
	int64_t eot;          /* -1 = unknown */
	const void *tokens;   /* n_tokens of width bytes, mmapped */
	uint64_t n_docs;      /* 0 when there is no index */
	const uint64_t *ends; /* n_docs cumulative ends (mmapped), or NULL */
	void *map, *idx_map;
	size_t map_len, idx_len;
};

/* Opens and validates a shard: magic, version, token count against the
 * file size; the index NAME.idx when present (its header, monotone ends,
 * last end == n_tokens).  Returns 0, or -1 with an error that names the
 * file, the header field and what was expected. */
int llm_shard_open(struct llm_shard *s, const char *path);
void llm_shard_close(struct llm_shard *s);

static inline uint32_t llm_shard_token(const struct llm_shard *s, uint64_t i)
{
	return s->width == 2 ? ((const uint16_t *)s->tokens)[i] : ((const uint32_t *)s->tokens)[i];
}

/* Copies tokens [from, from + n) as uint32 into out. */
void llm_shard_read(const struct llm_shard *s, uint64_t from, size_t n, uint32_t *out);

/* NAME.bin -> NAME.idx (caller frees). */
char *llm_shard_index_path(const char *bin_path);

/* ---- inspection ---- */

struct llm_tokenizer;

/* Prints a summary of a shard to out: header fields, token count,
 * documents (count, min/mean/max length), vocabulary histogram (distinct
 * ids, top ids with their text), and the first `sample` tokens decoded when
 * tok is given (else as ids).  When tok is NULL and the shard's directory
 * holds a manifest.json of llmake-tokenize encode, its tokenizer is loaded.
 * Returns 0 or -1 (printed). */
int llm_shard_inspect(const char *path, const struct llm_tokenizer *tok, int sample, FILE *out);
/* True when the first bytes look like a shard or a shard index. */
bool llm_shard_probe(const char *path, const unsigned char *head, size_t n);
/* The llmake-inspect handler for shards (and .idx files): list it in
 * llm_inspect_handlers (lib/inspect.c). */
struct llm_inspect_handler;
extern const struct llm_inspect_handler llm_inspect_shard;

#endif
