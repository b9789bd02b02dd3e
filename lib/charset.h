/*
 * charset.h: deciding the character set of a web page and converting it to
 * valid UTF-8.
 *
 * Decision order (llm_charset_decide):
 *   1. a byte-order mark;
 *   2. bytes that are valid UTF-8 and hold non-ASCII are UTF-8, whatever is
 *      declared (declarations are wrong far more often than such bytes lie);
 *   3. the charset of the HTTP Content-Type header, then the HTML meta tag
 *      (<meta charset> or http-equiv Content-Type) in the first 4 KiB, when
 *      iconv knows the name and decoding replaces < 1% of the bytes;
 *   4. libuchardet's guess;
 *   5. windows-1252 (every byte decodes).
 * Names are mapped to the superset decoders browsers use (gb2312 -> GB18030,
 * iso-8859-1/us-ascii -> WINDOWS-1252, shift_jis -> CP932, euc-kr -> CP949).
 * Conversion goes through iconv; each undecodable byte becomes U+FFFD and
 * NUL bytes are dropped, so the output is always valid UTF-8.
 */
#ifndef LLM_CHARSET_H
#define LLM_CHARSET_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum llm_charset_source {
	LLM_CHARSET_BOM,
	LLM_CHARSET_UTF8,     /* valid UTF-8 (or pure ASCII) */
	LLM_CHARSET_HEADER,   /* HTTP Content-Type */
	LLM_CHARSET_META,     /* HTML meta tag */
	LLM_CHARSET_DETECTED, /* libuchardet */
	LLM_CHARSET_FALLBACK, /* windows-1252 */
};

/* Short names for the sources ("bom", "utf8", "header", ...). */
const char *llm_charset_source_name(enum llm_charset_source s);

/* Per-thread converter state: cached iconv descriptors and a uchardet
 * handle.  Not thread-safe; give each worker its own. */
struct llm_charset;
struct llm_charset *llm_charset_new(void);
void llm_charset_free(struct llm_charset *cs);

struct llm_charset_result {
	char name[48];                  /* the charset used, canonical ("UTF-8", "GB18030") */
	enum llm_charset_source source;
	size_t replaced;                /* bytes replaced by U+FFFD */
	bool declared_invalid;          /* a declared name iconv does not know (or garbage) */
	bool declared_ignored;          /* a known declared name lost to the bytes */
};

/* Decides the charset of data (header_charset: the HTTP charset parameter
 * or NULL) and appends its UTF-8 conversion to out.  Never fails. */
void llm_charset_decode(struct llm_charset *cs, const char *data, size_t n, const char *header_charset,
			struct llm_buf *out, struct llm_charset_result *res);

/* Converts data from the named charset to UTF-8, appending to out.  Returns
 * the number of bytes replaced, or -1 when iconv does not know the name
 * (nothing appended). */
long llm_charset_convert(struct llm_charset *cs, const char *charset, const char *data, size_t n,
			 struct llm_buf *out);

/* Maps a declared name to the decoder to use ("gb2312" -> "GB18030");
 * returns false for names that are not plausible charset names. */
bool llm_charset_canonical(const char *name, char *out, size_t outsz);

/* Finds the charset named by a meta tag in the first 4 KiB of html. */
bool llm_charset_from_meta(const char *html, size_t n, char *out, size_t outsz);

/* Appends data to out with every invalid UTF-8 sequence replaced by U+FFFD
 * and NUL bytes dropped; returns the number of bytes replaced. */
size_t llm_charset_sanitize_utf8(const char *data, size_t n, struct llm_buf *out);

#endif
