/*
 * minhash.c: MinHash signatures with datatrove's parameters (see minhash.h).
 */
#include "minhash.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "util.h"

/* ------------------------------------------------------------------------ */
/* configuration                                                             */

void llm_minhash_cfg_defaults(struct llm_minhash_cfg *c)
{
	c->n_grams = 5;
	c->num_buckets = 14;
	c->hashes_per_bucket = 8;
	c->seed = 1;
	c->perm = LLM_MINHASH_PERM_WRAP64;
	llm_ngram_norm_defaults(&c->norm);
}

const char *llm_minhash_cfg_describe(const struct llm_minhash_cfg *c, char *out, size_t n)
{
	char tag[8];
	snprintf(out, n, "%dng_%dbs_%dhs_seed%u_%s_%s_xxh64", c->n_grams, c->num_buckets,
		 c->hashes_per_bucket, c->seed, c->perm == LLM_MINHASH_PERM_WRAP64 ? "wrap64" : "mod61",
		 llm_ngram_norm_tag(&c->norm, tag));
	return out;
}

uint64_t llm_minhash_cfg_hash(const struct llm_minhash_cfg *c)
{
	char d[160];
	llm_minhash_cfg_describe(c, d, sizeof(d));
	return XXH3_64bits(d, strlen(d));
}

/* ------------------------------------------------------------------------ */
/* numpy's legacy RandomState: MT19937 + masked rejection for uint64        */

void llm_mt19937_seed(struct llm_mt19937 *r, uint32_t seed)
{
	r->mt[0] = seed;
	for (int i = 1; i < 624; i++)
		r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
	r->mti = 624;
}

uint32_t llm_mt19937_next32(struct llm_mt19937 *r)
{
	if (r->mti >= 624) {
		for (int k = 0; k < 624; k++) {
			uint32_t y = (r->mt[k] & 0x80000000u) | (r->mt[(k + 1) % 624] & 0x7fffffffu);
			r->mt[k] = r->mt[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
		}
		r->mti = 0;
	}
	uint32_t y = r->mt[r->mti++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680u;
	y ^= (y << 15) & 0xefc60000u;
	y ^= y >> 18;
	return y;
}

static uint64_t next64(struct llm_mt19937 *r)
{
	uint64_t hi = llm_mt19937_next32(r);
	return (hi << 32) | llm_mt19937_next32(r);
}

void llm_mt19937_randint_u64(struct llm_mt19937 *r, uint64_t low, uint64_t high, uint64_t *out,
			     size_t n)
{
	uint64_t rng = high - 1 - low; /* numpy: inclusive range */
	uint64_t mask = rng;
	mask |= mask >> 1;
	mask |= mask >> 2;
	mask |= mask >> 4;
	mask |= mask >> 8;
	mask |= mask >> 16;
	mask |= mask >> 32;
	for (size_t i = 0; i < n; i++) {
		uint64_t v;
		if (rng == 0) {
			out[i] = low;
			continue;
		}
		if (rng <= 0xffffffffu) {
			/* numpy draws 32-bit values for small ranges */
			do
				v = llm_mt19937_next32(r) & mask;
			while (v > rng);
		} else {
			do
				v = next64(r) & mask;
			while (v > rng);
		}
		out[i] = low + v;
	}
}

/* ------------------------------------------------------------------------ */
/* signatures                                                                */

int llm_minhash_init(struct llm_minhash *m, const struct llm_minhash_cfg *cfg)
{
	memset(m, 0, sizeof(*m));
	if (cfg->n_grams < 1 || cfg->n_grams > 64)
		return llm_error("minhash: n_grams %d out of range [1, 64]", cfg->n_grams);
	if (cfg->num_buckets < 1 || cfg->hashes_per_bucket < 1 ||
	    (int64_t)cfg->num_buckets * cfg->hashes_per_bucket > LLM_MINHASH_MAX_HASHES)
		return llm_error("minhash: %d buckets x %d hashes is out of range (at most %d hashes)",
				 cfg->num_buckets, cfg->hashes_per_bucket, LLM_MINHASH_MAX_HASHES);
	m->cfg = *cfg;
	m->n_hashes = cfg->num_buckets * cfg->hashes_per_bucket;
	m->a = llm_malloc((size_t)m->n_hashes * sizeof(uint64_t));
	m->b = llm_malloc((size_t)m->n_hashes * sizeof(uint64_t));
	struct llm_mt19937 r;
	llm_mt19937_seed(&r, cfg->seed);
	llm_mt19937_randint_u64(&r, 1, LLM_MINHASH_PRIME, m->a, (size_t)m->n_hashes);
	llm_mt19937_randint_u64(&r, 0, LLM_MINHASH_PRIME, m->b, (size_t)m->n_hashes);
	return 0;
}

void llm_minhash_free(struct llm_minhash *m)
{
	free(m->a);
	free(m->b);
	memset(m, 0, sizeof(*m));
}

static inline uint64_t mod61(uint64_t v)
{
	uint64_t r = (v & LLM_MINHASH_PRIME) + (v >> 61);
	return r >= LLM_MINHASH_PRIME ? r - LLM_MINHASH_PRIME : r;
}

static inline uint64_t mod61_128(unsigned __int128 v)
{
	uint64_t lo = (uint64_t)v & LLM_MINHASH_PRIME;
	unsigned __int128 hi = v >> 61;
	return mod61(mod61(lo + (uint64_t)(hi & LLM_MINHASH_PRIME)) + (uint64_t)(hi >> 61));
}

/* The hot loop: for every shingle, all H functions.  Written so the
 * compiler vectorises over the functions; GCC builds an AVX2 clone (picked at
 * run time, about 1.9x faster) beside the baseline x86-64-v2 one.  Integer
 * arithmetic only, so both give the same bits. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default"), optimize("O3")))
#endif
static void perm_min_wrap64(const uint64_t *restrict a, const uint64_t *restrict b,
			    const uint64_t *restrict sh, size_t n, uint64_t *restrict sig, int H)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t h = sh[i];
		for (int j = 0; j < H; j++) {
			uint64_t v = mod61(h * a[j] + b[j]);
			sig[j] = v < sig[j] ? v : sig[j];
		}
	}
}

void llm_minhash_from_shingles(const struct llm_minhash *m, const uint64_t *sh, size_t n,
			       uint64_t *sig)
{
	const int H = m->n_hashes;
	const uint64_t *a = m->a, *b = m->b;
	for (int j = 0; j < H; j++)
		sig[j] = UINT64_MAX;
	if (m->cfg.perm == LLM_MINHASH_PERM_WRAP64) {
		perm_min_wrap64(a, b, sh, n, sig, H);
	} else {
		for (size_t i = 0; i < n; i++)
			for (int j = 0; j < H; j++) {
				uint64_t v = mod61_128((unsigned __int128)sh[i] * a[j] + b[j]);
				sig[j] = v < sig[j] ? v : sig[j];
			}
	}
}

size_t llm_minhash_signature(const struct llm_minhash *m, struct llm_ngram_scratch *s,
			     const char *text, size_t len, uint64_t *sig)
{
	struct llm_ngram_norm norm = m->cfg.norm;
	norm.whitespace = true; /* words must be space separated for shingling */
	size_t n = llm_ngram_hashes(&norm, m->cfg.n_grams, text, len, s);
	if (n == 0)
		return 0;
	llm_minhash_from_shingles(m, s->hashes, n, sig);
	return n;
}

double llm_minhash_lsh_prob(double s, int b, int r)
{
	return 1.0 - pow(1.0 - pow(s, r), b);
}
