/*
 * ngram.h: datatrove-compatible text normalisation and word n-gram hashing,
 * shared by MinHash dedup, exact dedup and benchmark decontamination.
 *
 * Normalisation follows datatrove.utils.text.simplify_text() with its
 * default TextNormConfig, in the same order:
 *   1. lowercase (Unicode simple case mapping; see below)
 *   2. every run \p{Nd}+ optionally followed by one separator of
 *      [.,U+060C U+066B U+2396 U+2397 U+2398] and \p{Nd}+ becomes "0"
 *   3. each code point of datatrove's PUNCTUATION set (lib/minhash_punct.c)
 *      becomes a space
 *   4. whitespace runs (Python str.isspace) become one space, ends trimmed
 *   5. canonical decomposition (NFD), dropping non-spacing marks (Mn)
 * Words are then the space-separated pieces, and the n-gram hashed is the
 * n words joined with single spaces, hashed with XXH64 (seed 0) of its
 * UTF-8 bytes, as datatrove's default HashConfig(precision=64,
 * hash_fc="xxhash") does.
 *
 * Known, documented differences from datatrove (bench/dedup/REPORT.md):
 * datatrove splits words with spaCy's English tokenizer, which also splits
 * unit suffixes after numbers ("0km" -> "0 km") and a few contraction
 * exceptions ("dont" -> "do nt"); we split on spaces only.  Lowercasing uses
 * simple case
 * mapping (ICU) plus the Final_Sigma rule, as Python does.
 */
#ifndef LLM_NGRAM_H
#define LLM_NGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct llm_ngram_norm {
	bool lowercase;
	bool numbers;     /* digit runs -> "0" */
	bool punctuation; /* datatrove's punctuation -> space */
	bool whitespace;  /* collapse whitespace runs, trim */
	bool accents;     /* NFD, drop Mn */
};

/* datatrove's TextNormConfig() defaults: all on. */
void llm_ngram_norm_defaults(struct llm_ngram_norm *n);
/* A short stable text naming the options ("lnpwa" style), for config hashes. */
const char *llm_ngram_norm_tag(const struct llm_ngram_norm *n, char out[8]);

/* Growable scratch space reused across documents (one per thread). */
struct llm_ngram_scratch {
	char *text;        /* normalised text */
	size_t len, cap;
	uint32_t *word;    /* start offset of each word in text */
	uint32_t *wend;    /* end offset of each word */
	size_t n_words, word_cap;
	uint64_t *hashes;  /* n-gram hashes (llm_ngram_hashes) */
	size_t n_hashes, hash_cap;
};
void llm_ngram_scratch_init(struct llm_ngram_scratch *s);
void llm_ngram_scratch_free(struct llm_ngram_scratch *s);

/* Normalises text[0..len) (valid UTF-8) into s->text (NUL-terminated) and,
 * when words is true, records the word boundaries.  Documents over 4 GiB are
 * cut at 4 GiB (offsets are 32-bit).  Returns the normalised length. */
size_t llm_ngram_normalise(const struct llm_ngram_norm *n, const char *text, size_t len,
			   struct llm_ngram_scratch *s, bool words);

/* Normalises text and fills s->hashes with the XXH64 of every word n-gram
 * (n >= 1), in text order (duplicates kept).  Returns the count: 0 when the
 * text has fewer than n words. */
size_t llm_ngram_hashes(const struct llm_ngram_norm *norm, int n, const char *text, size_t len,
			struct llm_ngram_scratch *s);

/* XXH64 of bytes with seed 0 (datatrove's xxhash64 of a str). */
uint64_t llm_ngram_hash(const void *data, size_t len);

#endif
