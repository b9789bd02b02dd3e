/*
 * hash.h: fast 64-bit content hashes (xxh3 from libxxhash) of buffers and
 * files, as used in manifests, config keys and dedup.
 */
#ifndef LLM_HASH_H
#define LLM_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t llm_hash64(const void *data, size_t n, uint64_t seed);
/* Hashes a whole file by streaming it; fills *size.  Returns 0 or -1 (error
 * printed, naming the file). */
int llm_hash_file(const char *path, uint64_t *hash, uint64_t *size);
/* Writes 16 lowercase hex digits and a NUL into out (>= 17 bytes). */
char *llm_hash_hex(uint64_t h, char *out);

/* Incremental hashing over several buffers. */
struct llm_hasher {
	void *state;
};
void llm_hasher_init(struct llm_hasher *h, uint64_t seed);
void llm_hasher_update(struct llm_hasher *h, const void *data, size_t n);
uint64_t llm_hasher_final(struct llm_hasher *h); /* frees the state */

#endif
