/*
 * ahocorasick.h: multi-pattern exact matching (Aho-Corasick automaton).
 *
 * Patterns are byte strings with an integer id (the same string may carry
 * several ids).  After llm_ac_build() the automaton is a full DFA over the
 * byte classes that occur in the patterns, so a scan costs one table lookup
 * per input byte and is safe to share between threads.
 */
#ifndef LLM_AHOCORASICK_H
#define LLM_AHOCORASICK_H

#include <stdbool.h>
#include <stddef.h>

struct llm_ac;

struct llm_ac *llm_ac_new(void);
/* Adds a pattern (n > 0) before llm_ac_build(). */
void llm_ac_add(struct llm_ac *ac, const char *pat, size_t n, int id);
void llm_ac_build(struct llm_ac *ac);
size_t llm_ac_patterns(const struct llm_ac *ac);
/* Calls fn(ctx, id, start, end) for every occurrence (end exclusive) in
 * text order of its end; stops when fn returns true.  Returns true when
 * stopped early. */
bool llm_ac_scan(const struct llm_ac *ac, const char *s, size_t n,
		 bool (*fn)(void *ctx, int id, size_t start, size_t end), void *ctx);
/* True when any pattern occurs in s. */
bool llm_ac_any(const struct llm_ac *ac, const char *s, size_t n);
void llm_ac_free(struct llm_ac *ac);

#endif
