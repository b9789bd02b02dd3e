/*
 * words.h: the one word-splitting rule every llmake filter uses.
 *
 * Rule: Unicode word boundaries (UAX #29) as implemented by ICU's word
 * BreakIterator for the root locale (dictionary segmentation for Chinese,
 * Japanese, Thai, Khmer, Lao, Burmese); every segment between two
 * boundaries that is not entirely whitespace (Python's str.isspace) is one
 * word, so each punctuation mark is its own word ("end." -> "end", ".");
 * the one exception is a run of full stops, which stays one word ("...").
 * Words keep their case and their exact bytes: they are slices of the text.
 */
#ifndef LLM_WORDS_H
#define LLM_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct llm_word {
	uint32_t off;  /* byte offset in the text */
	uint32_t len;  /* bytes */
	uint32_t cps;  /* code points */
};

struct llm_words {
	struct llm_word *w;
	size_t n, cap;
	void *bi;  /* ICU UBreakIterator, one per thread */
	void *ut;  /* ICU UText */
};

/* Opens the ICU iterator.  Returns 0, or -1 with the ICU error printed. */
int llm_words_init(struct llm_words *ws);
void llm_words_free(struct llm_words *ws);
/* Splits text[0..len) (valid UTF-8, len < 4 GiB) into ws->w[0..ws->n);
 * returns ws->n.  Returns 0 words for text ICU cannot take (never crashes). */
size_t llm_words_split(struct llm_words *ws, const char *text, size_t len);
/* Python's str.isspace() for one code point. */
bool llm_words_isspace(uint32_t cp);

#endif
