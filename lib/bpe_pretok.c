/*
 * bpe_pretok.c: hand-written matchers for the byte-level BPE split regexes
 * (GPT-2, cl100k, Llama-3, Qwen2), and GPT-2's byte-level alphabet.
 *
 * Each matcher returns the end of the regex match that a leftmost-first
 * regex engine (Rust regex / fancy-regex in tiktoken, Oniguruma in HF)
 * finds at the current position; the alternatives are tried in the
 * pattern's order.  Since every code point is a letter, a number, white
 * space or "other", one of the alternatives always matches, so the pieces
 * tile the input.  Bytes that are not valid UTF-8 are single "other"
 * characters (the class of U+FFFD).
 */
#include <string.h>

#include "tokenizer.h"
#include "unicode.h"

/* ------------------------------------------------------------------ */
/* UTF-8 decoding with the class of each code point                    */

#define BAD_CP 0xFFFFFFFFu

/* ASCII classes: letters, digits, \t\n\v\f\r and space; the rest other. */
static const uint8_t ascii_class[128] = {
	['\t'] = LLM_UC_SPACE, ['\n'] = LLM_UC_SPACE, ['\v'] = LLM_UC_SPACE,
	['\f'] = LLM_UC_SPACE, ['\r'] = LLM_UC_SPACE, [' '] = LLM_UC_SPACE,
	['0'] = LLM_UC_NUMBER, ['1'] = LLM_UC_NUMBER, ['2'] = LLM_UC_NUMBER,
	['3'] = LLM_UC_NUMBER, ['4'] = LLM_UC_NUMBER, ['5'] = LLM_UC_NUMBER,
	['6'] = LLM_UC_NUMBER, ['7'] = LLM_UC_NUMBER, ['8'] = LLM_UC_NUMBER,
	['9'] = LLM_UC_NUMBER,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1,
	['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1,
	['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1,
	['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
	['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* Decodes the code point at s[i] (i < n): sets *len (1..4) and returns it,
 * or BAD_CP with *len = 1 for a byte that does not start a valid sequence
 * (overlong, surrogate, > U+10FFFF, truncated). */
static inline uint32_t dec(const uint8_t *s, size_t n, size_t i, size_t *len)
{
	uint32_t c = s[i];
	*len = 1;
	if (c < 0x80)
		return c;
	if (c < 0xC2 || c > 0xF4)
		return BAD_CP;
	if (c < 0xE0) {
		if (i + 1 >= n || (s[i + 1] & 0xC0) != 0x80)
			return BAD_CP;
		*len = 2;
		return ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
	}
	if (c < 0xF0) {
		if (i + 2 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80)
			return BAD_CP;
		uint32_t cp = ((c & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
		if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))
			return BAD_CP;
		*len = 3;
		return cp;
	}
	if (i + 3 >= n || (s[i + 1] & 0xC0) != 0x80 || (s[i + 2] & 0xC0) != 0x80 ||
	    (s[i + 3] & 0xC0) != 0x80)
		return BAD_CP;
	uint32_t cp = ((c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12) |
		      ((uint32_t)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
	if (cp < 0x10000 || cp > 0x10FFFF)
		return BAD_CP;
	*len = 4;
	return cp;
}

static inline int cls_of(uint32_t cp)
{
	if (cp < 128)
		return ascii_class[cp];
	if (cp == BAD_CP)
		return LLM_UC_OTHER;
	return (int)llm_uc_class(cp);
}

/* Class of the character at i, its code point and length. */
static inline int cls_at(const uint8_t *s, size_t n, size_t i, uint32_t *cp, size_t *len)
{
	if (s[i] < 0x80) {
		*cp = s[i];
		*len = 1;
		return ascii_class[s[i]];
	}
	*cp = dec(s, n, i, len);
	return cls_of(*cp);
}

/* End of the run of characters of class c starting at i. */
static inline size_t run_of(const uint8_t *s, size_t n, size_t i, int c)
{
	while (i < n) {
		if (s[i] < 0x80) {
			if (ascii_class[s[i]] != c)
				break;
			i++;
			continue;
		}
		size_t len;
		uint32_t cp = dec(s, n, i, &len);
		if (cls_of(cp) != c)
			break;
		i += len;
	}
	return i;
}

/* ------------------------------------------------------------------ */
/* GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */

static size_t gpt2_next(const uint8_t *s, size_t n, size_t i)
{
	uint32_t c0;
	size_t len0;
	int k0 = cls_at(s, n, i, &c0, &len0);

	if (c0 == '\'' && i + 1 < n) {
		uint8_t b1 = s[i + 1];
		if (b1 == 's' || b1 == 't' || b1 == 'm' || b1 == 'd')
			return i + 2;
		if (i + 2 < n) {
			uint8_t b2 = s[i + 2];
			if ((b1 == 'r' && b2 == 'e') || (b1 == 'v' && b2 == 'e') || (b1 == 'l' && b2 == 'l'))
				return i + 3;
		}
	}
	if (k0 != LLM_UC_SPACE)
		return run_of(s, n, i + len0, k0);
	if (c0 == ' ' && i + 1 < n) {
		uint32_t c1;
		size_t len1;
		int k1 = cls_at(s, n, i + 1, &c1, &len1);
		if (k1 != LLM_UC_SPACE)
			return run_of(s, n, i + 1 + len1, k1);
	}
	/* white space run [i, k); last char starts at q */
	size_t k = i, q = i;
	while (k < n) {
		uint32_t c;
		size_t len;
		if (cls_at(s, n, k, &c, &len) != LLM_UC_SPACE)
			break;
		q = k;
		k += len;
	}
	if (k == n || q == i) /* \s+(?!\S) takes it all at the end; \s+ a lone one */
		return k;
	return q; /* \s+(?!\S): leave the last space to the next word */
}

/* ------------------------------------------------------------------ */
/* cl100k: '(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|
 *         ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s
 * Llama-3: the same without \s++$ (and \s*[\r\n]+ which ends at the same
 * place); Qwen2: Llama-3 with \p{N} instead of \p{N}{1,3}. */

static inline int ascii_lower(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') ? (int)(c + 32) : (int)c;
}

static size_t cl_next(const uint8_t *s, size_t n, size_t i, int max_digits, int ws_end)
{
	uint32_t c0;
	size_t len0;
	int k0 = cls_at(s, n, i, &c0, &len0);

	if (c0 == '\'' && i + 1 < n) {
		uint32_t c1;
		size_t len1;
		cls_at(s, n, i + 1, &c1, &len1);
		int l1 = ascii_lower(c1);
		/* (?i) folds U+017F LATIN SMALL LETTER LONG S to 's' */
		if (l1 == 's' || l1 == 'd' || l1 == 'm' || l1 == 't' || c1 == 0x17F)
			return i + 1 + len1;
		if (i + 2 < n && c1 < 128) {
			int l2 = ascii_lower(s[i + 2]);
			if ((l1 == 'l' && l2 == 'l') || (l1 == 'v' && l2 == 'e') || (l1 == 'r' && l2 == 'e'))
				return i + 3;
		}
	}
	if (k0 == LLM_UC_LETTER)
		return run_of(s, n, i + len0, LLM_UC_LETTER);
	if (k0 != LLM_UC_NUMBER && c0 != '\r' && c0 != '\n' && i + len0 < n) {
		uint32_t c1;
		size_t len1;
		if (cls_at(s, n, i + len0, &c1, &len1) == LLM_UC_LETTER)
			return run_of(s, n, i + len0 + len1, LLM_UC_LETTER);
	}
	if (k0 == LLM_UC_NUMBER) {
		size_t j = i + len0;
		for (int d = 1; d < max_digits && j < n; d++) {
			uint32_t c;
			size_t len;
			if (cls_at(s, n, j, &c, &len) != LLM_UC_NUMBER)
				break;
			j += len;
		}
		return j;
	}
	size_t j = 0;
	if (k0 == LLM_UC_OTHER) {
		j = run_of(s, n, i + len0, LLM_UC_OTHER);
	} else if (c0 == ' ' && i + 1 < n) {
		uint32_t c1;
		size_t len1;
		if (cls_at(s, n, i + 1, &c1, &len1) == LLM_UC_OTHER)
			j = run_of(s, n, i + 1 + len1, LLM_UC_OTHER);
	}
	if (j) {
		while (j < n && (s[j] == '\r' || s[j] == '\n'))
			j++;
		return j;
	}
	/* white space run [i, k): last char at q, last \r or \n at nl */
	size_t k = i, q = i, nl = (size_t)-1;
	while (k < n) {
		uint32_t c;
		size_t len;
		if (cls_at(s, n, k, &c, &len) != LLM_UC_SPACE)
			break;
		if (c == '\r' || c == '\n')
			nl = k;
		q = k;
		k += len;
	}
	if (ws_end && k == n)
		return k;
	if (nl != (size_t)-1)
		return nl + 1;
	if (k == n || q == i)
		return k;
	return q;
}

size_t llm_pretok_next(enum llm_pretok kind, const uint8_t *s, size_t n, size_t pos)
{
	switch (kind) {
	case LLM_PRETOK_GPT2:
		return gpt2_next(s, n, pos);
	case LLM_PRETOK_CL100K:
		return cl_next(s, n, pos, 3, 1);
	case LLM_PRETOK_LLAMA3:
		return cl_next(s, n, pos, 3, 0);
	case LLM_PRETOK_QWEN2:
		return cl_next(s, n, pos, 1, 0);
	case LLM_PRETOK_REGEX:
		break;
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* names and regex texts                                                */

static const char *const pretok_regex[] = {
	[LLM_PRETOK_GPT2] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
	[LLM_PRETOK_CL100K] = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}++|\\p{N}{1,3}+| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*+|\\s++$|\\s*[\\r\\n]|\\s+(?!\\S)|\\s",
	[LLM_PRETOK_LLAMA3] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	[LLM_PRETOK_QWEN2] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
	[LLM_PRETOK_REGEX] = NULL,
};
static const char *const pretok_name[] = {
	[LLM_PRETOK_GPT2] = "gpt2", [LLM_PRETOK_CL100K] = "cl100k", [LLM_PRETOK_LLAMA3] = "llama3",
	[LLM_PRETOK_QWEN2] = "qwen2", [LLM_PRETOK_REGEX] = "regex",
};

const char *llm_pretok_regex(enum llm_pretok kind)
{
	return pretok_regex[kind];
}

const char *llm_pretok_name(enum llm_pretok kind)
{
	return pretok_name[kind];
}

int llm_pretok_parse(const char *name)
{
	for (int k = 0; k <= LLM_PRETOK_REGEX; k++)
		if (!strcmp(name, pretok_name[k]))
			return k;
	return -1;
}

/* ------------------------------------------------------------------ */
/* GPT-2's bytes_to_unicode                                             */

static inline int byte_is_printable(unsigned b)
{
	return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

uint32_t llm_bytelevel_char(uint8_t b)
{
	if (byte_is_printable(b))
		return b;
	unsigned k = 0;
	for (unsigned x = 0; x < b; x++)
		if (!byte_is_printable(x))
			k++;
	return 256 + k;
}

int llm_bytelevel_byte(uint32_t cp)
{
	if (cp < 256)
		return byte_is_printable(cp) ? (int)cp : -1;
	if (cp >= 256 + 68)
		return -1;
	unsigned k = 0;
	for (unsigned x = 0; x < 256; x++)
		if (!byte_is_printable(x) && k++ == cp - 256)
			return (int)x;
	return -1;
}
