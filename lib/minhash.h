/*
 * minhash.h: MinHash signatures with datatrove's MinhashConfig defaults.
 *
 * A document's shingles are the XXH64 hashes of its word n-grams over
 * normalised text (ngram.h).  Hash function j maps a shingle h to
 *   wrap64 (default, datatrove): ((a_j * h + b_j) mod 2^64) mod (2^61 - 1)
 *   mod61 :                      (a_j * h + b_j) mod (2^61 - 1), exactly
 * and the signature holds each function's minimum over the shingles.
 * datatrove computes the permutation in numpy uint64, whose multiply and
 * add wrap at 2^64 before the "% (2^61-1)"; wrap64 reproduces that bit for
 * bit.  a_j in [1, 2^61-1) and b_j in [0, 2^61-1) are drawn exactly as
 * numpy.random.RandomState(seed).randint(..., dtype=uint64) draws them
 * (MT19937 seeded by init_genrand, 64-bit masked rejection sampling): all
 * a's first, then all b's.  Signatures split into num_buckets bands of
 * hashes_per_bucket values; two documents are candidate duplicates when
 * any band is equal in all its values.  Documents with fewer than n_grams
 * words have no signature and are never near-duplicates (as in datatrove).
 */
#ifndef LLM_MINHASH_H
#define LLM_MINHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ngram.h"

#define LLM_MINHASH_PRIME ((((uint64_t)1) << 61) - 1)
#define LLM_MINHASH_MAX_HASHES 1024

enum llm_minhash_perm {
	LLM_MINHASH_PERM_WRAP64 = 0,
	LLM_MINHASH_PERM_MOD61 = 1,
};

struct llm_minhash_cfg {
	int n_grams;            /* 5 */
	int num_buckets;        /* 14 */
	int hashes_per_bucket;  /* 8 */
	uint32_t seed;          /* 1 */
	enum llm_minhash_perm perm;
	struct llm_ngram_norm norm;
};

void llm_minhash_cfg_defaults(struct llm_minhash_cfg *c);
/* Hash of every setting that changes signatures (not threads or paths):
 * phases refuse files whose header carries a different value. */
uint64_t llm_minhash_cfg_hash(const struct llm_minhash_cfg *c);
/* "5ng_14bs_8hs_seed1_wrap64_lnpwa" */
const char *llm_minhash_cfg_describe(const struct llm_minhash_cfg *c, char *out, size_t n);

struct llm_minhash {
	struct llm_minhash_cfg cfg;
	int n_hashes;  /* num_buckets * hashes_per_bucket */
	uint64_t *a, *b;
};

/* Validates cfg and draws the permutation parameters.  0 or -1 (printed). */
int llm_minhash_init(struct llm_minhash *m, const struct llm_minhash_cfg *cfg);
void llm_minhash_free(struct llm_minhash *m);

/* Signature of text into sig[n_hashes].  Returns the number of shingles;
 * 0 means "no signature" (fewer words than n_grams) and sig is untouched. */
size_t llm_minhash_signature(const struct llm_minhash *m, struct llm_ngram_scratch *s,
			     const char *text, size_t len, uint64_t *sig);
/* Signature from precomputed shingles. */
void llm_minhash_from_shingles(const struct llm_minhash *m, const uint64_t *sh, size_t n,
			       uint64_t *sig);

/* numpy.random.RandomState(seed).randint(low, high, size=n, dtype=uint64)
 * for a fresh generator, continuing across calls on the same state. */
struct llm_mt19937 {
	uint32_t mt[624];
	int mti;
};
void llm_mt19937_seed(struct llm_mt19937 *r, uint32_t seed);
uint32_t llm_mt19937_next32(struct llm_mt19937 *r);
void llm_mt19937_randint_u64(struct llm_mt19937 *r, uint64_t low, uint64_t high, uint64_t *out,
			     size_t n);

/* Probability that two documents of Jaccard similarity s share a band:
 * 1 - (1 - s^r)^b. */
double llm_minhash_lsh_prob(double s, int b, int r);

#endif
