/*
 * utf8.h: UTF-8 validation and decoding (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF).
 */
#ifndef LLM_UTF8_H
#define LLM_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns n when s[0..n) is valid UTF-8, else the offset of the first byte
 * of the first invalid sequence. */
size_t llm_utf8_validate(const char *s, size_t n);
/* Decodes one code point at s (n bytes available).  Returns its length
 * (1..4) and sets *cp, or returns 0 for an invalid sequence (then *cp is
 * the byte value and the caller should advance by 1). */
int llm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Encodes cp into out (>= 4 bytes); returns the length. */
int llm_utf8_encode(uint32_t cp, char *out);

#endif
