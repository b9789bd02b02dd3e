/*
 * unicode.h: code point classes for the byte-level BPE pre-tokenizers.
 *
 * The GPT-2 / cl100k / Llama-3 split regexes only ask three questions of a
 * code point: is it a letter (\p{L}: Lu Ll Lt Lm Lo), a number (\p{N}: Nd Nl
 * No), or White_Space (\s).  lib/unicode_tables.c answers them with a
 * two-stage table generated from the Unicode database of the Python `regex`
 * module (Unicode 15.1 or later) by data/tokenize/gen_unicode.py.
 */
#ifndef LLM_UNICODE_H
#define LLM_UNICODE_H

#include <stdint.h>

enum llm_uc_class {
	LLM_UC_OTHER = 0,  /* everything else, incl. invalid UTF-8 bytes */
	LLM_UC_LETTER = 1,
	LLM_UC_NUMBER = 2,
	LLM_UC_SPACE = 3,
};

extern const uint16_t llm_uc_stage1[0x110000 / 256];
extern const uint8_t llm_uc_stage2[][256];

static inline enum llm_uc_class llm_uc_class(uint32_t cp)
{
	if (cp >= 0x110000)
		return LLM_UC_OTHER;
	return (enum llm_uc_class)llm_uc_stage2[llm_uc_stage1[cp >> 8]][cp & 255];
}

#endif
