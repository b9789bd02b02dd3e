/*
 * tokenizer_impl.h: the inside of struct llm_tokenizer, shared by
 * tokenizer.c (encode/decode) and tokenizer_load.c (loaders).  Not a public
 * header: other modules use tokenizer.h.
 */
#ifndef LLM_TOKENIZER_IMPL_H
#define LLM_TOKENIZER_IMPL_H

#include <pthread.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer.h"

#define TOK_NONE 0xFFFFFFFFu

struct tok_pair {
	uint64_t key;  /* a << 32 | b */
	uint32_t rank; /* TOK_NONE = empty slot */
	uint32_t id;   /* merged token */
};

struct tok_special {
	char *text;
	size_t len;
	uint32_t id;
};

struct tok_cache;

struct llm_tokenizer {
	uint32_t n_vocab, cap_vocab;
	uint64_t *tok_off;  /* id -> offset in blob */
	uint32_t *tok_len;  /* id -> length, TOK_NONE = no token */
	uint8_t *is_special;
	char *blob;
	size_t blob_len, blob_cap;

	uint32_t *map_slots; /* bytes -> id + 1 (open addressing) */
	size_t map_mask;

	struct tok_pair *pairs;
	size_t pairs_mask, n_pairs;

	uint32_t byte_id[256]; /* initial symbol of each byte, TOK_NONE = none */
	bool ignore_merges;    /* a piece that is a token is that token */
	bool add_prefix_space;
	bool nfc;              /* normalizer NFC (Qwen2): applied before splitting */

	enum llm_pretok pretok;
	char *regex;      /* the split regex text (for LLM_PRETOK_REGEX) */
	pcre2_code *re;

	struct tok_special *specials;
	int n_specials;
	uint8_t special_first[256];
	int special_one_first; /* the only first byte of all specials, or -1 */

	pthread_key_t cache_key;
	pthread_mutex_t cache_lock;
	struct tok_cache *caches;
};

struct llm_tokenizer *tok_new(void);
void tok_set(struct llm_tokenizer *t, uint32_t id, const void *bytes, size_t n);
void tok_add_special(struct llm_tokenizer *t, uint32_t id, const char *text, size_t n);
void tok_map_build(struct llm_tokenizer *t);
int64_t tok_map_find(const struct llm_tokenizer *t, const void *p, size_t n);
void tok_pairs_init(struct llm_tokenizer *t, size_t n);
void tok_pairs_add(struct llm_tokenizer *t, uint32_t a, uint32_t b, uint32_t rank, uint32_t id);

#endif
