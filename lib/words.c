/*
 * words.c: word splitting with ICU word boundaries (the rule is in words.h).
 */
#include "words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/utext.h>

#include "utf8.h"
#include "util.h"

bool llm_words_isspace(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20);
	switch (cp) {
	case 0x85: case 0xa0: case 0x1680: case 0x2028: case 0x2029:
	case 0x202f: case 0x205f: case 0x3000:
		return true;
	default:
		return cp >= 0x2000 && cp <= 0x200a;
	}
}

int llm_words_init(struct llm_words *ws)
{
	memset(ws, 0, sizeof(*ws));
	UErrorCode st = U_ZERO_ERROR;
	UBreakIterator *bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
	if (U_FAILURE(st))
		return llm_error("cannot open the ICU word break iterator: %s; hint: is libicu's "
				 "data (libicu72) installed?", u_errorName(st));
	ws->bi = bi;
	return 0;
}

void llm_words_free(struct llm_words *ws)
{
	if (ws->bi)
		ubrk_close(ws->bi);
	if (ws->ut)
		utext_close(ws->ut);
	free(ws->w);
	memset(ws, 0, sizeof(*ws));
}

static void push(struct llm_words *ws, uint32_t off, uint32_t len, uint32_t cps)
{
	if (ws->n == ws->cap) {
		ws->cap = ws->cap ? ws->cap * 2 : 1024;
		ws->w = llm_realloc(ws->w, ws->cap * sizeof(*ws->w));
	}
	ws->w[ws->n++] = (struct llm_word){off, len, cps};
}

size_t llm_words_split(struct llm_words *ws, const char *text, size_t len)
{
	ws->n = 0;
	if (len == 0 || len > INT32_MAX)
		return 0;
	UErrorCode st = U_ZERO_ERROR;
	ws->ut = utext_openUTF8(ws->ut, text, (int64_t)len, &st);
	if (U_FAILURE(st))
		return 0;
	ubrk_setUText(ws->bi, ws->ut, &st);
	if (U_FAILURE(st))
		return 0;
	int32_t a = ubrk_first(ws->bi);
	for (int32_t b = ubrk_next(ws->bi); b != UBRK_DONE; a = b, b = ubrk_next(ws->bi)) {
		const unsigned char *s = (const unsigned char *)text;
		uint32_t cps = 0;
		bool space = true;
		for (int32_t i = a; i < b;) {
			uint32_t cp;
			int l = llm_utf8_decode(s + i, (size_t)(b - i), &cp);
			if (l <= 0)
				l = 1;
			if (space && !llm_words_isspace(cp))
				space = false;
			cps++;
			i += l;
		}
		if (space)
			continue;
		/* a run of full stops is one word ("...") */
		if (b - a == 1 && text[a] == '.' && ws->n > 0) {
			struct llm_word *p = &ws->w[ws->n - 1];
			if (p->off + p->len == (uint32_t)a && text[p->off] == '.' &&
			    text[p->off + p->len - 1] == '.') {
				bool dots = true;
				for (uint32_t i = 0; i < p->len; i++)
					dots = dots && text[p->off + i] == '.';
				if (dots) {
					p->len++;
					p->cps++;
					continue;
				}
			}
		}
		push(ws, (uint32_t)a, (uint32_t)(b - a), cps);
	}
	return ws->n;
}
