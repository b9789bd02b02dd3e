/*
 * ngram.c: datatrove-compatible text normalisation and word n-gram hashing
 * (see ngram.h for the exact rules).
 *
 * Every code point is classified once: the Basic Multilingual Plane through
 * a table built on first use for each (lowercase, accents) combination, the
 * rest through ICU directly.  A table entry holds the code point's flags and
 * the UTF-8 it turns into (lowercased, decomposed, marks dropped).
 */
#include "ngram.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <xxhash.h>

#include "util.h"

extern const uint32_t llm_minhash_punct[];
extern const size_t llm_minhash_punct_n;
extern const uint32_t llm_spacy_prefix[], llm_spacy_suffix[], llm_spacy_suffix_after_digit[],
	llm_spacy_infix[];
extern const size_t llm_spacy_prefix_n, llm_spacy_suffix_n, llm_spacy_suffix_after_digit_n,
	llm_spacy_infix_n;
extern const char *const llm_spacy_units[];
extern const struct llm_spacy_special llm_spacy_specials[];
extern const size_t llm_spacy_specials_n;

/* ------------------------------------------------------------------------ */
/* code point classes                                                        */

enum {
	CP_SPACE = 1, /* Python str.isspace() */
	CP_PUNCT = 2, /* datatrove PUNCTUATION_SET */
	CP_DIGIT = 4, /* \p{Nd} */
	CP_SEP = 8,   /* decimal separators the number pattern accepts */
	CP_LONG = 16, /* output longer than the table slot: compute again */
	CP_SPRE = 32, /* spaCy splits it off a word's start */
	CP_SSUF = 64, /* ... off a word's end */
	CP_SSUFD = 128, /* ... off a word's end after a digit */
	CP_SINF = 256, /* ... out of a word's middle */
};

#define OUT_MAX 13

struct cp_entry {
	uint16_t flags;
	uint8_t len;
	char out[OUT_MAX];
};

static bool cp_is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
	       c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

static bool in_sorted(const uint32_t *v, size_t n, uint32_t c)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid] == c)
			return true;
		if (v[mid] < c)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static bool cp_is_punct(uint32_t c)
{
	return in_sorted(llm_minhash_punct, llm_minhash_punct_n, c);
}

static bool cp_is_sep(uint32_t c)
{
	return c == '.' || c == ',' || c == 0x060c || c == 0x066b || (c >= 0x2396 && c <= 0x2398);
}

static int utf8_put(uint32_t c, char *o)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Writes what c becomes into out (up to cap bytes); returns the full
 * length, which may exceed cap. */
static size_t cp_map(uint32_t c, bool lower, bool accents, char *out, size_t cap)
{
	char tmp[64];
	size_t n = 0;
	UChar32 lc = lower ? u_tolower((UChar32)c) : (UChar32)c;
	if (!accents) {
		n = (size_t)utf8_put((uint32_t)lc, tmp);
	} else {
		UChar src[2], dst[32];
		int32_t sl = 0;
		UErrorCode err = U_ZERO_ERROR;
		U16_APPEND_UNSAFE(src, sl, lc);
		const UNormalizer2 *nfd = unorm2_getNFDInstance(&err);
		int32_t dl = U_SUCCESS(err) ? unorm2_normalize(nfd, src, sl, dst, 32, &err) : -1;
		if (U_FAILURE(err) || dl < 0) {
			n = (size_t)utf8_put((uint32_t)lc, tmp);
		} else {
			for (int32_t i = 0; i < dl;) {
				UChar32 d;
				U16_NEXT(dst, i, dl, d);
				if (u_charType(d) == U_NON_SPACING_MARK)
					continue;
				if (n + 4 <= sizeof(tmp))
					n += (size_t)utf8_put((uint32_t)d, tmp + n);
			}
		}
	}
	memcpy(out, tmp, LLM_MIN(n, cap));
	return n;
}

static uint16_t cp_flags(uint32_t c)
{
	uint16_t f = 0;
	if (in_sorted(llm_spacy_prefix, llm_spacy_prefix_n, c))
		f |= CP_SPRE;
	if (in_sorted(llm_spacy_suffix, llm_spacy_suffix_n, c))
		f |= CP_SSUF;
	if (in_sorted(llm_spacy_suffix_after_digit, llm_spacy_suffix_after_digit_n, c))
		f |= CP_SSUFD;
	if (in_sorted(llm_spacy_infix, llm_spacy_infix_n, c))
		f |= CP_SINF;
	if (cp_is_space(c))
		f |= CP_SPACE;
	if (cp_is_punct(c))
		f |= CP_PUNCT;
	if (u_charType((UChar32)c) == U_DECIMAL_DIGIT_NUMBER)
		f |= CP_DIGIT;
	if (cp_is_sep(c))
		f |= CP_SEP;
	return f;
}

static struct cp_entry *tables[4];
static pthread_mutex_t tables_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct cp_entry *table_get(bool lower, bool accents)
{
	int k = (lower ? 1 : 0) | (accents ? 2 : 0);
	struct cp_entry *t = __atomic_load_n(&tables[k], __ATOMIC_ACQUIRE);
	if (t)
		return t;
	pthread_mutex_lock(&tables_lock);
	t = tables[k];
	if (!t) {
		t = llm_calloc(0x10000, sizeof(*t));
		for (uint32_t c = 0; c < 0x10000; c++) {
			struct cp_entry *e = &t[c];
			e->flags = cp_flags(c);
			if (c >= 0xd800 && c <= 0xdfff)
				continue;
			size_t n = cp_map(c, lower, accents, e->out, OUT_MAX);
			if (n > OUT_MAX)
				e->flags |= CP_LONG;
			else
				e->len = (uint8_t)n;
		}
		__atomic_store_n(&tables[k], t, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&tables_lock);
	return t;
}

/* ------------------------------------------------------------------------ */
/* normalisation                                                             */

void llm_ngram_norm_defaults(struct llm_ngram_norm *n)
{
	n->lowercase = n->numbers = n->punctuation = n->whitespace = n->accents = true;
	n->spacy_en = true;
}

const char *llm_ngram_norm_tag(const struct llm_ngram_norm *n, char out[8])
{
	out[0] = n->lowercase ? 'l' : '-';
	out[1] = n->numbers ? 'n' : '-';
	out[2] = n->punctuation ? 'p' : '-';
	out[3] = n->whitespace ? 'w' : '-';
	out[4] = n->accents ? 'a' : '-';
	out[5] = n->spacy_en ? 's' : '-';
	out[6] = 0;
	return out;
}

void llm_ngram_scratch_init(struct llm_ngram_scratch *s)
{
	memset(s, 0, sizeof(*s));
}

void llm_ngram_scratch_free(struct llm_ngram_scratch *s)
{
	free(s->text);
	free(s->word);
	free(s->wend);
	free(s->hashes);
	free(s->tw);
	free(s->te);
	memset(s, 0, sizeof(*s));
}

/* Decodes one code point of valid UTF-8; returns its length. */
static inline int dec(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char b = p[0];
	if (b < 0x80 || n < 2) {
		*cp = b;
		return 1;
	}
	if (b < 0xe0) {
		*cp = ((uint32_t)(b & 0x1f) << 6) | (p[1] & 0x3f);
		return 2;
	}
	if (b < 0xf0 || n < 4) {
		if (n < 3) {
			*cp = b;
			return 1;
		}
		*cp = ((uint32_t)(b & 0x0f) << 12) | ((uint32_t)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
		return 3;
	}
	*cp = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(p[1] & 0x3f) << 12) |
	      ((uint32_t)(p[2] & 0x3f) << 6) | (p[3] & 0x3f);
	return 4;
}

/* Decodes the code point ending just before p[end]; returns its start. */
static size_t dec_back(const unsigned char *p, size_t end, uint32_t *cp)
{
	size_t s = end - 1;
	while (s > 0 && (p[s] & 0xc0) == 0x80 && end - s < 4)
		s--;
	dec(p + s, end - s, cp);
	return s;
}

/* Unicode Final_Sigma: a cased letter before (skipping case-ignorables) and
 * none after. */
static bool final_sigma(const unsigned char *p, size_t len, size_t at, size_t cl)
{
	bool before = false;
	for (size_t k = at; k > 0;) {
		uint32_t c;
		k = dec_back(p, k, &c);
		if (u_hasBinaryProperty((UChar32)c, UCHAR_CASE_IGNORABLE))
			continue;
		before = u_hasBinaryProperty((UChar32)c, UCHAR_CASED);
		break;
	}
	if (!before)
		return false;
	for (size_t k = at + cl; k < len;) {
		uint32_t c;
		k += (size_t)dec(p + k, len - k, &c);
		if (u_hasBinaryProperty((UChar32)c, UCHAR_CASE_IGNORABLE))
			continue;
		return !u_hasBinaryProperty((UChar32)c, UCHAR_CASED);
	}
	return true;
}

static void spacy_split(const struct cp_entry *t, struct llm_ngram_scratch *s);

struct norm_state {
	struct llm_ngram_scratch *s;
	bool words, collapse, pending, in_word;
};

static inline void ns_reserve(struct llm_ngram_scratch *s, size_t extra)
{
	if (s->len + extra + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 256;
		while (s->len + extra + 1 > cap)
			cap *= 2;
		s->text = llm_realloc(s->text, cap);
		s->cap = cap;
	}
}

static inline void ns_word_start(struct norm_state *st)
{
	struct llm_ngram_scratch *s = st->s;
	if (s->n_words == s->word_cap) {
		s->word_cap = s->word_cap ? s->word_cap * 2 : 64;
		s->word = llm_realloc(s->word, s->word_cap * sizeof(*s->word));
		s->wend = llm_realloc(s->wend, s->word_cap * sizeof(*s->wend));
	}
	s->word[s->n_words++] = (uint32_t)s->len;
}

static inline void ns_emit(struct norm_state *st, const char *p, size_t n)
{
	struct llm_ngram_scratch *s = st->s;
	if (n == 0)
		return;
	if (s->len + n + 2 > UINT32_MAX)
		return;
	ns_reserve(s, n + 1);
	if (st->pending) {
		if (s->len > 0)
			s->text[s->len++] = ' ';
		st->pending = false;
	}
	if (!st->in_word) {
		if (st->words)
			ns_word_start(st);
		st->in_word = true;
	}
	memcpy(s->text + s->len, p, n);
	s->len += n;
	if (st->words)
		s->wend[s->n_words - 1] = (uint32_t)s->len;
}

static inline void ns_space(struct norm_state *st, const char *raw, size_t n)
{
	struct llm_ngram_scratch *s = st->s;
	st->in_word = false;
	if (st->collapse) {
		st->pending = true;
		return;
	}
	ns_reserve(s, n);
	memcpy(s->text + s->len, raw, n);
	s->len += n;
}

size_t llm_ngram_normalise(const struct llm_ngram_norm *norm, const char *text, size_t len,
			   struct llm_ngram_scratch *s, bool words)
{
	const struct cp_entry *t = table_get(norm->lowercase, norm->accents);
	const unsigned char *p = (const unsigned char *)text;
	struct norm_state st = {s, words, norm->whitespace, false, false};
	s->len = 0;
	s->n_words = 0;
	ns_reserve(s, len < ((size_t)1 << 20) ? len : ((size_t)1 << 20));
	size_t i = 0;
	while (i < len) {
		uint32_t c;
		int cl = dec(p + i, len - i, &c);
		struct cp_entry big;
		const struct cp_entry *e;
		if (c < 0x10000) {
			e = &t[c];
		} else {
			big.flags = cp_flags(c);
			size_t n = cp_map(c, norm->lowercase, norm->accents, big.out, OUT_MAX);
			if (n > OUT_MAX)
				big.flags |= CP_LONG;
			else
				big.len = (uint8_t)n;
			e = &big;
		}
		if (norm->numbers && (e->flags & CP_DIGIT)) {
			/* \p{Nd}+([.,...]\p{Nd}+)? -> "0" */
			size_t j = i + (size_t)cl;
			int sep_done = 0;
			for (;;) {
				if (j >= len)
					break;
				uint32_t d;
				int dl = dec(p + j, len - j, &d);
				uint16_t f = d < 0x10000 ? t[d].flags : cp_flags(d);
				if (f & CP_DIGIT) {
					j += (size_t)dl;
					continue;
				}
				if (!sep_done && (f & CP_SEP) && j + (size_t)dl < len) {
					uint32_t d2;
					dec(p + j + dl, len - j - (size_t)dl, &d2);
					uint16_t f2 = d2 < 0x10000 ? t[d2].flags : cp_flags(d2);
					if (f2 & CP_DIGIT) {
						sep_done = 1;
						j += (size_t)dl;
						continue;
					}
				}
				break;
			}
			ns_emit(&st, "0", 1);
			i = j;
			continue;
		}
		if (c == 0x3a3 && norm->lowercase && final_sigma(p, len, i, (size_t)cl)) {
			/* Python's str.lower() applies the Final_Sigma rule */
			ns_emit(&st, "\xcf\x82", 2);
			i += (size_t)cl;
			continue;
		}
		if (norm->punctuation && (e->flags & CP_PUNCT)) {
			ns_space(&st, " ", 1);
		} else if (e->flags & CP_SPACE) {
			ns_space(&st, text + i, (size_t)cl);
		} else if (e->flags & CP_LONG) {
			char buf[64];
			size_t n = cp_map(c, norm->lowercase, norm->accents, buf, sizeof(buf));
			ns_emit(&st, buf, LLM_MIN(n, sizeof(buf)));
		} else {
			ns_emit(&st, e->out, e->len);
		}
		i += (size_t)cl;
	}
	ns_reserve(s, 1);
	s->text[s->len] = 0;
	s->split = false;
	if (words && norm->spacy_en)
		spacy_split(t, s);
	return s->len;
}


/* ------------------------------------------------------------------------ */
/* spaCy English word splitting (what is left of it after normalisation)     */

/* The special cases in an open-addressing table of XXH3 hashes, built once:
 * every word is looked up, so this must be cheaper than a binary search. */
#define SPECIAL_SLOTS 1024
static uint64_t special_hash[SPECIAL_SLOTS];
static int16_t special_idx[SPECIAL_SLOTS];
static size_t special_maxlen;
static pthread_once_t special_once = PTHREAD_ONCE_INIT;

static void special_build(void)
{
	for (size_t i = 0; i < SPECIAL_SLOTS; i++)
		special_idx[i] = -1;
	for (size_t i = 0; i < llm_spacy_specials_n && i < SPECIAL_SLOTS / 2; i++) {
		const char *k = llm_spacy_specials[i].key;
		size_t kl = strlen(k);
		special_maxlen = LLM_MAX(special_maxlen, kl);
		uint64_t h = XXH3_64bits(k, kl);
		size_t j = h & (SPECIAL_SLOTS - 1);
		while (special_idx[j] >= 0)
			j = (j + 1) & (SPECIAL_SLOTS - 1);
		special_hash[j] = h;
		special_idx[j] = (int16_t)i;
	}
}

static const struct llm_spacy_special *special_find(const char *w, size_t n)
{
	if (n > special_maxlen || n == 0)
		return NULL;
	uint64_t h = XXH3_64bits(w, n);
	for (size_t j = h & (SPECIAL_SLOTS - 1); special_idx[j] >= 0; j = (j + 1) & (SPECIAL_SLOTS - 1)) {
		if (special_hash[j] != h)
			continue;
		const struct llm_spacy_special *sp = &llm_spacy_specials[special_idx[j]];
		if (strlen(sp->key) == n && memcmp(sp->key, w, n) == 0)
			return sp;
	}
	return NULL;
}

static uint16_t flags_at(const struct cp_entry *t, const unsigned char *p, size_t n, uint32_t *cp,
			 int *cl)
{
	*cl = dec(p, n, cp);
	return *cp < 0x10000 ? t[*cp].flags : cp_flags(*cp);
}

static size_t prefix_len(const struct cp_entry *t, const char *x, size_t a, size_t b)
{
	uint32_t c;
	int cl;
	uint16_t f = flags_at(t, (const unsigned char *)x + a, b - a, &c, &cl);
	return (f & CP_SPRE) ? (size_t)cl : 0;
}

static bool is_ascii_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* spaCy's suffix search on x[a..b): the earliest-starting match wins, so a
 * unit after a digit beats a one-character suffix. */
static size_t suffix_len(const struct cp_entry *t, const char *x, size_t a, size_t b, bool digits)
{
	for (int i = 0; digits && llm_spacy_units[i]; i++) {
		size_t ul = strlen(llm_spacy_units[i]);
		if (b - a > ul && memcmp(x + b - ul, llm_spacy_units[i], ul) == 0 && is_ascii_digit(x[b - ul - 1]))
			return ul;
	}
	uint32_t c;
	size_t s = dec_back((const unsigned char *)x, b, &c);
	if (s < a)
		return 0;
	int cl;
	uint16_t f = flags_at(t, (const unsigned char *)x + s, b - s, &c, &cl);
	if (f & CP_SSUF)
		return b - s;
	if ((f & CP_SSUFD) && s > a && is_ascii_digit(x[s - 1]))
		return b - s;
	return 0;
}

static void tok_push(struct llm_ngram_scratch *s, size_t *n, size_t a, size_t b)
{
	if (*n == s->t_cap) {
		s->t_cap = s->t_cap ? s->t_cap * 2 : 256;
		s->tw = llm_realloc(s->tw, s->t_cap * sizeof(uint32_t));
		s->te = llm_realloc(s->te, s->t_cap * sizeof(uint32_t));
	}
	s->tw[*n] = (uint32_t)a;
	s->te[*n] = (uint32_t)b;
	(*n)++;
}

static void special_push(struct llm_ngram_scratch *s, size_t *n, size_t a,
			 const struct llm_spacy_special *sp)
{
	const char *p = sp->pieces;
	while (*p) {
		const char *e = strchr(p, ' ');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		tok_push(s, n, a, a + l);
		a += l;
		p += l + (e ? 1 : 0);
	}
}

/* Splits every word as spaCy's _split_affixes / _attach_tokens would. */
static void spacy_split(const struct cp_entry *t, struct llm_ngram_scratch *s)
{
	const char *x = s->text;
	size_t n = 0;
	size_t pre_a[64], pre_b[64], suf_a[64], suf_b[64];
	s->split = false;
	pthread_once(&special_once, special_build);
	for (size_t w = 0; w < s->n_words; w++) {
		size_t a = s->word[w], b = s->wend[w];
		const struct llm_spacy_special *sp = special_find(x + a, b - a);
		if (sp) {
			special_push(s, &n, a, sp);
			s->split = true;
			continue;
		}
		/* fast path: a word of ASCII letters is one token */
		bool plain = true;
		for (size_t i = a; i < b; i++) {
			unsigned char ch = (unsigned char)x[i] | 0x20;
			if (ch < 'a' || ch > 'z') {
				plain = false;
				break;
			}
		}
		if (plain) {
			tok_push(s, &n, a, b);
			continue;
		}
		int np = 0, ns = 0;
		size_t last = 0;
		bool digits = false; /* units split only after an ASCII digit */
		for (size_t i = a; i < b && !digits; i++)
			digits = is_ascii_digit(x[i]);
		while (a < b && b - a != last) {
			if (special_find(x + a, b - a))
				break;
			last = b - a;
			size_t pl = prefix_len(t, x, a, b);
			if (pl && a + pl < b && special_find(x + a + pl, b - a - pl)) {
				if (np < 64)
					pre_a[np] = a, pre_b[np++] = a + pl;
				a += pl;
				break;
			}
			size_t sl = suffix_len(t, x, a + pl, b, digits);
			if (sl && b - sl > a && special_find(x + a, b - sl - a)) {
				if (ns < 64)
					suf_a[ns] = b - sl, suf_b[ns++] = b;
				b -= sl;
				break;
			}
			if (pl && sl && pl + sl <= b - a) {
				if (np < 64)
					pre_a[np] = a, pre_b[np++] = a + pl;
				if (ns < 64)
					suf_a[ns] = b - sl, suf_b[ns++] = b;
				a += pl;
				b -= sl;
			} else if (pl) {
				if (np < 64)
					pre_a[np] = a, pre_b[np++] = a + pl;
				a += pl;
			} else if (sl) {
				if (ns < 64)
					suf_a[ns] = b - sl, suf_b[ns++] = b;
				b -= sl;
			}
		}
		size_t before = n;
		for (int i = 0; i < np; i++)
			tok_push(s, &n, pre_a[i], pre_b[i]);
		if (a < b) {
			sp = special_find(x + a, b - a);
			if (sp) {
				special_push(s, &n, a, sp);
			} else {
				size_t start = a;
				for (size_t i = a; i < b;) {
					uint32_t c;
					int cl;
					uint16_t f = flags_at(t, (const unsigned char *)x + i, b - i, &c, &cl);
					if ((f & CP_SINF) && i != a) {
						if (i != start)
							tok_push(s, &n, start, i);
						tok_push(s, &n, i, i + (size_t)cl);
						start = i + (size_t)cl;
					}
					i += (size_t)cl;
				}
				if (start < b)
					tok_push(s, &n, start, b);
			}
		}
		for (int i = ns - 1; i >= 0; i--)
			tok_push(s, &n, suf_a[i], suf_b[i]);
		if (n - before != 1)
			s->split = true;
	}
	/* swap the token arrays in as the words */
	uint32_t *tw = s->word, *te = s->wend;
	size_t cap = s->word_cap;
	s->word = s->tw;
	s->wend = s->te;
	s->word_cap = s->t_cap;
	s->tw = tw;
	s->te = te;
	s->t_cap = cap;
	s->n_words = n;
}

uint64_t llm_ngram_hash(const void *data, size_t len)
{
	return XXH64(data, len, 0);
}

size_t llm_ngram_hashes(const struct llm_ngram_norm *norm, int n, const char *text, size_t len,
			struct llm_ngram_scratch *s)
{
	llm_ngram_normalise(norm, text, len, s, true);
	s->n_hashes = 0;
	if (n < 1 || s->n_words < (size_t)n)
		return 0;
	size_t cnt = s->n_words - (size_t)n + 1;
	if (cnt > s->hash_cap) {
		s->hash_cap = cnt;
		s->hashes = llm_realloc(s->hashes, cnt * sizeof(*s->hashes));
	}
	/* an n-gram whose words are separated by exactly one space each is a
	 * substring of the normalised text; others (words split by the spaCy
	 * rules, or whitespace kept) are joined in a buffer */
	char *join = NULL;
	size_t cap = 0;
	size_t bad = 0; /* gaps in the window that are not one space */
	const uint32_t *W = s->word, *E = s->wend;
#define GAP_BAD(j) (W[(j) + 1] != E[j] + 1 || s->text[E[j]] != ' ')
	for (int k = 0; k + 1 < n; k++)
		bad += GAP_BAD((size_t)k);
	for (size_t i = 0; i < cnt; i++) {
		if (i > 0) {
			bad -= GAP_BAD(i - 1);
			if (n > 1)
				bad += GAP_BAD(i + (size_t)n - 2);
		}
		if (!bad) {
			s->hashes[i] = XXH64(s->text + W[i], E[i + (size_t)n - 1] - W[i], 0);
			continue;
		}
		size_t need = 0;
		for (int k = 0; k < n; k++)
			need += E[i + (size_t)k] - W[i + (size_t)k] + 1;
		if (need > cap) {
			cap = need * 2;
			join = llm_realloc(join, cap);
		}
		size_t o = 0;
		for (int k = 0; k < n; k++) {
			size_t w = i + (size_t)k;
			if (k)
				join[o++] = ' ';
			memcpy(join + o, s->text + W[w], E[w] - W[w]);
			o += E[w] - W[w];
		}
		s->hashes[i] = XXH64(join, o, 0);
	}
#undef GAP_BAD
	free(join);
	s->n_hashes = cnt;
	return cnt;
}
