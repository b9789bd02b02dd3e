/*
 * tokenizer.h: byte-level BPE tokenizer (GPT-2, cl100k, Llama-3, Qwen2
 * style): load, encode a buffer to ids, decode ids to bytes.
 *
 * Two file formats load:
 *   - Hugging Face tokenizer.json with model.type "BPE" and a byte-level
 *     pre-tokenizer: ByteLevel{use_regex: true} (the GPT-2 regex), or
 *     Sequence[Split{Regex, Isolated}, ByteLevel{use_regex: false}].  The
 *     Split regexes of Llama-3, Qwen2 and the GPT-2 regex itself run on
 *     hand-written matchers (lib/bpe_pretok.c); any other regex runs on
 *     PCRE2.  Merges are applied by rank as HF does (ignore_merges honoured);
 *     every added token is recognised in the text before pre-tokenization.
 *   - tiktoken rank files ("<base64 bytes> <rank>" per line).  The split
 *     regex and special tokens come from the encoding's name (gpt2/r50k:
 *     GPT-2 regex and <|endoftext|> 50256; cl100k: the cl100k regex and its
 *     five special tokens), taken from the file name or given explicitly.
 *
 * Encoding equals tiktoken's and HF tokenizers' ids for valid UTF-8 text.
 * Bytes that are not valid UTF-8 are kept as bytes: each one is classed as
 * a symbol (as if it were U+FFFD) by the pre-tokenizer and then merged by
 * BPE like any other byte, so decode(encode(x)) == x for any bytes x.
 *
 * Thread safety: a loaded tokenizer is read-only; encode/decode may run on
 * many threads at once (each thread gets its own word -> ids cache, freed by
 * llm_tokenizer_free).
 */
#ifndef LLM_TOKENIZER_H
#define LLM_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Pre-tokenizer (split regex) kinds. */
enum llm_pretok {
	LLM_PRETOK_GPT2,   /* 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
	LLM_PRETOK_CL100K, /* tiktoken cl100k_base (possessive, \s++$) */
	LLM_PRETOK_LLAMA3, /* Llama-3: cl100k without \s++$, as HF writes it */
	LLM_PRETOK_QWEN2,  /* Llama-3 with single digits (\p{N}) */
	LLM_PRETOK_REGEX,  /* any other regex, through PCRE2 */
};

/* The regex text of a kind (NULL for LLM_PRETOK_REGEX). */
const char *llm_pretok_regex(enum llm_pretok kind);
/* "gpt2", "cl100k", "llama3", "qwen2", "regex". */
const char *llm_pretok_name(enum llm_pretok kind);
/* Parses a name above; -1 if unknown. */
int llm_pretok_parse(const char *name);
/* Returns the end of the piece that starts at pos (< n) for one of the
 * hand-written kinds (not LLM_PRETOK_REGEX).  Invalid UTF-8 bytes are
 * single symbol characters. */
size_t llm_pretok_next(enum llm_pretok kind, const uint8_t *s, size_t n, size_t pos);

/* GPT-2's byte-level alphabet: byte -> code point, and back (-1 if the code
 * point is not one of the 256). */
uint32_t llm_bytelevel_char(uint8_t b);
int llm_bytelevel_byte(uint32_t cp);

struct llm_tokenizer;

/* Loads a tokenizer: "*.tiktoken" as a tiktoken rank file (pattern: NULL to
 * infer from the file name, or "gpt2"/"cl100k"), anything else as an HF
 * tokenizer.json.  Returns NULL with the error printed (naming the file,
 * the offset/key that is wrong and what was expected). */
struct llm_tokenizer *llm_tokenizer_load(const char *path, const char *pattern);
struct llm_tokenizer *llm_tokenizer_load_hf(const char *path);
/* Parses tokenizer.json text already in memory (source names it in errors). */
struct llm_tokenizer *llm_tokenizer_load_hf_mem(const char *json, size_t len, const char *source);
struct llm_tokenizer *llm_tokenizer_load_tiktoken(const char *path, const char *pattern);
void llm_tokenizer_free(struct llm_tokenizer *tok);

/* Number of ids (max id + 1), including special tokens. */
uint32_t llm_tokenizer_n_vocab(const struct llm_tokenizer *tok);
enum llm_pretok llm_tokenizer_pretok(const struct llm_tokenizer *tok);
/* The bytes of token id (NULL if id has no token); *n gets the length. */
const char *llm_tokenizer_token(const struct llm_tokenizer *tok, uint32_t id, size_t *n);
/* The id of a token given by its bytes (special tokens included), or -1. */
int64_t llm_tokenizer_find(const struct llm_tokenizer *tok, const char *bytes, size_t n);
/* The end-of-text id: "<|endoftext|>", else "<|end_of_text|>", "</s>",
 * "<|im_end|>"; -1 if none. */
int64_t llm_tokenizer_eot(const struct llm_tokenizer *tok);
bool llm_tokenizer_is_special(const struct llm_tokenizer *tok, uint32_t id);
int llm_tokenizer_n_special(const struct llm_tokenizer *tok);

/* A growable id array (append-only; reset by setting n = 0). */
struct llm_tokens {
	uint32_t *ids;
	size_t n, cap;
};
void llm_tokens_push(struct llm_tokens *t, uint32_t id);
void llm_tokens_free(struct llm_tokens *t);

/* Recognise special-token text ("<|endoftext|>") in the input as the special
 * id (HF's behaviour; tiktoken's allowed_special="all").  Without it the
 * text is encoded as ordinary bytes (tiktoken's encode_ordinary). */
#define LLM_TOK_SPECIAL 1u

/* Appends the ids of text[0..len) to out.  Any bytes are accepted. */
void llm_tokenizer_encode(const struct llm_tokenizer *tok, const char *text, size_t len,
			  unsigned flags, struct llm_tokens *out);
/* Appends the bytes of ids to out.  Returns 0, or -1 (printed) when an id
 * is out of range. */
int llm_tokenizer_decode(const struct llm_tokenizer *tok, const uint32_t *ids, size_t n,
			 struct llm_buf *out);

/* BPE-merges one pre-tokenized piece (no special tokens, no splitting),
 * appending its ids; for tests and the trainer's checks. */
void llm_tokenizer_encode_piece(const struct llm_tokenizer *tok, const uint8_t *p, size_t n,
				struct llm_tokens *out);

#endif
