/*
 * tokenizer.c: byte-level BPE tokenizer: vocabulary tables, the BPE merge
 * loop, the per-thread word cache, special tokens, encode and decode.
 * Loading lives in tokenizer_load.c, the split regexes in bpe_pretok.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "tokenizer_impl.h"
#include "utf8.h"

/* ================================================================== */
/* byte string -> id map                                               */

static inline uint64_t bytes_hash(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

void tok_map_build(struct llm_tokenizer *t)
{
	size_t cap = 16;
	while (cap < (size_t)t->n_vocab * 2)
		cap <<= 1;
	free(t->map_slots);
	t->map_slots = llm_calloc(cap, sizeof(*t->map_slots));
	t->map_mask = cap - 1;
	for (uint32_t id = 0; id < t->n_vocab; id++) {
		if (t->tok_len[id] == TOK_NONE)
			continue;
		const char *p = t->blob + t->tok_off[id];
		size_t n = t->tok_len[id];
		size_t h = (size_t)bytes_hash(p, n) & t->map_mask;
		for (;; h = (h + 1) & t->map_mask) {
			uint32_t s = t->map_slots[h];
			if (!s)
				break;
			/* keep the first id of a duplicated byte string (lowest id) */
			if (t->tok_len[s - 1] == n && !memcmp(t->blob + t->tok_off[s - 1], p, n))
				goto next;
		}
		t->map_slots[h] = id + 1;
	next:;
	}
}

int64_t tok_map_find(const struct llm_tokenizer *t, const void *p, size_t n)
{
	if (!t->map_slots)
		return -1;
	size_t h = (size_t)bytes_hash(p, n) & t->map_mask;
	for (;; h = (h + 1) & t->map_mask) {
		uint32_t s = t->map_slots[h];
		if (!s)
			return -1;
		if (t->tok_len[s - 1] == n && !memcmp(t->blob + t->tok_off[s - 1], p, n))
			return s - 1;
	}
}

/* ================================================================== */
/* pair (a, b) -> (rank, merged id)                                    */

static inline size_t pair_slot(uint64_t key, size_t mask)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

void tok_pairs_init(struct llm_tokenizer *t, size_t n)
{
	size_t cap = 16;
	while (cap < n * 2 + 2)
		cap <<= 1;
	t->pairs = llm_malloc(cap * sizeof(*t->pairs));
	for (size_t i = 0; i < cap; i++)
		t->pairs[i].rank = TOK_NONE;
	t->pairs_mask = cap - 1;
	t->n_pairs = 0;
}

/* Adds a merge; an existing pair keeps its first (lowest) rank. */
void tok_pairs_add(struct llm_tokenizer *t, uint32_t a, uint32_t b, uint32_t rank, uint32_t id)
{
	if ((t->n_pairs + 1) * 2 > t->pairs_mask + 1) {
		struct tok_pair *old = t->pairs;
		size_t old_cap = t->pairs_mask + 1;
		tok_pairs_init(t, old_cap);
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].rank != TOK_NONE)
				tok_pairs_add(t, (uint32_t)(old[i].key >> 32), (uint32_t)old[i].key,
					      old[i].rank, old[i].id);
		free(old);
	}
	uint64_t key = ((uint64_t)a << 32) | b;
	size_t h = pair_slot(key, t->pairs_mask);
	for (;; h = (h + 1) & t->pairs_mask) {
		struct tok_pair *e = &t->pairs[h];
		if (e->rank == TOK_NONE) {
			e->key = key;
			e->rank = rank;
			e->id = id;
			t->n_pairs++;
			return;
		}
		if (e->key == key)
			return;
	}
}

static inline const struct tok_pair *pair_find(const struct llm_tokenizer *t, uint32_t a, uint32_t b)
{
	uint64_t key = ((uint64_t)a << 32) | b;
	size_t h = pair_slot(key, t->pairs_mask);
	for (;; h = (h + 1) & t->pairs_mask) {
		const struct tok_pair *e = &t->pairs[h];
		if (e->rank == TOK_NONE)
			return NULL;
		if (e->key == key)
			return e;
	}
}

/* ================================================================== */
/* BPE merge                                                           */

/* Short words: the pair with the lowest rank (leftmost on ties) merges
 * first, exactly as tiktoken's byte_pair_merge and HF's merge_all. */
#define SMALL_MAX 128

static size_t bpe_small(const struct llm_tokenizer *t, uint32_t *sym, size_t n)
{
	uint32_t rk[SMALL_MAX], nid[SMALL_MAX];
	for (size_t i = 0; i + 1 < n; i++) {
		const struct tok_pair *e = pair_find(t, sym[i], sym[i + 1]);
		rk[i] = e ? e->rank : TOK_NONE;
		nid[i] = e ? e->id : 0;
	}
	while (n > 1) {
		uint32_t best = TOK_NONE;
		size_t m = 0;
		for (size_t i = 0; i + 1 < n; i++)
			if (rk[i] < best) {
				best = rk[i];
				m = i;
			}
		if (best == TOK_NONE)
			break;
		sym[m] = nid[m];
		memmove(sym + m + 1, sym + m + 2, (n - m - 2) * sizeof(*sym));
		if (m + 2 < n) {
			memmove(rk + m + 1, rk + m + 2, (n - m - 3) * sizeof(*rk));
			memmove(nid + m + 1, nid + m + 2, (n - m - 3) * sizeof(*nid));
		}
		n--;
		if (m > 0) {
			const struct tok_pair *e = pair_find(t, sym[m - 1], sym[m]);
			rk[m - 1] = e ? e->rank : TOK_NONE;
			nid[m - 1] = e ? e->id : 0;
		}
		if (m + 1 < n) {
			const struct tok_pair *e = pair_find(t, sym[m], sym[m + 1]);
			rk[m] = e ? e->rank : TOK_NONE;
			nid[m] = e ? e->id : 0;
		}
	}
	return n;
}

/* Long words (up to whole 100 MB documents): a min-heap of candidate
 * merges keyed by (rank << 32 | position) over a linked list of symbols, so
 * the cost is O(n log n) and the result equals the short-word loop.  Stale
 * entries are recognised on pop by looking the pair up again. */
static inline void heap_sift_down(uint64_t *h, size_t n, size_t i)
{
	uint64_t v = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1] < h[c])
			c++;
		if (h[c] >= v)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

static inline void heap_push(uint64_t *h, size_t *n, uint64_t v)
{
	size_t i = (*n)++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (h[p] <= v)
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = v;
}

static size_t bpe_large(const struct llm_tokenizer *t, uint32_t *sym, size_t n)
{
	uint32_t *next = llm_malloc(n * sizeof(*next));
	uint32_t *prev = llm_malloc(n * sizeof(*prev));
	uint64_t *heap = llm_malloc(n * sizeof(*heap));
	size_t hn = 0, cap = n;
	for (size_t i = 0; i < n; i++) {
		next[i] = (uint32_t)(i + 1);
		prev[i] = (uint32_t)(i - 1);
	}
	for (size_t i = 0; i + 1 < n; i++) {
		const struct tok_pair *e = pair_find(t, sym[i], sym[i + 1]);
		if (e)
			heap[hn++] = ((uint64_t)e->rank << 32) | i;
	}
	for (size_t i = hn / 2; i-- > 0;)
		heap_sift_down(heap, hn, i);
	while (hn) {
		uint64_t top = heap[0];
		heap[0] = heap[--hn];
		if (hn)
			heap_sift_down(heap, hn, 0);
		uint32_t p = (uint32_t)top, rank = (uint32_t)(top >> 32);
		if (sym[p] == TOK_NONE || next[p] >= n)
			continue;
		uint32_t q = next[p];
		const struct tok_pair *e = pair_find(t, sym[p], sym[q]);
		if (!e || e->rank != rank)
			continue; /* stale entry */
		sym[p] = e->id;
		sym[q] = TOK_NONE;
		next[p] = next[q];
		if (next[q] < n)
			prev[next[q]] = p;
		if (hn + 2 > cap) {
			cap *= 2;
			heap = llm_realloc(heap, cap * sizeof(*heap));
		}
		if (prev[p] != (uint32_t)-1) {
			const struct tok_pair *f = pair_find(t, sym[prev[p]], sym[p]);
			if (f)
				heap_push(heap, &hn, ((uint64_t)f->rank << 32) | prev[p]);
		}
		if (next[p] < n) {
			const struct tok_pair *f = pair_find(t, sym[p], sym[next[p]]);
			if (f)
				heap_push(heap, &hn, ((uint64_t)f->rank << 32) | p);
		}
	}
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (sym[i] != TOK_NONE)
			sym[m++] = sym[i];
	free(next);
	free(prev);
	free(heap);
	return m;
}

/* ================================================================== */
/* per-thread cache: piece bytes -> ids                                */

#define CACHE_MAX_KEY 48
#define CACHE_SLOTS (1u << 16)

struct cache_slot {
	uint64_t h;
	uint32_t koff, ioff;
	uint16_t klen, nids;
};

struct tok_cache {
	struct cache_slot *slots;
	size_t used;
	char *keys;
	size_t keys_len, keys_cap;
	uint32_t *ids;
	size_t ids_len, ids_cap;
	uint32_t *scratch;
	size_t scratch_cap;
	struct tok_cache *next_cache; /* registry of the tokenizer */
};

static struct tok_cache *cache_get(const struct llm_tokenizer *tc)
{
	struct llm_tokenizer *t = (struct llm_tokenizer *)tc;
	struct tok_cache *c = pthread_getspecific(t->cache_key);
	if (c)
		return c;
	c = llm_calloc(1, sizeof(*c));
	c->slots = llm_calloc(CACHE_SLOTS, sizeof(*c->slots));
	c->keys_cap = 1 << 20;
	c->keys = llm_malloc(c->keys_cap);
	c->ids_cap = 1 << 18;
	c->ids = llm_malloc(c->ids_cap * sizeof(*c->ids));
	pthread_mutex_lock(&t->cache_lock);
	c->next_cache = t->caches;
	t->caches = c;
	pthread_mutex_unlock(&t->cache_lock);
	pthread_setspecific(t->cache_key, c);
	return c;
}

static void cache_free(struct tok_cache *c)
{
	free(c->slots);
	free(c->keys);
	free(c->ids);
	free(c->scratch);
	free(c);
}

static void cache_clear(struct tok_cache *c)
{
	memset(c->slots, 0, CACHE_SLOTS * sizeof(*c->slots));
	c->used = 0;
	c->keys_len = 0;
	c->ids_len = 0;
}

static uint32_t *scratch(struct tok_cache *c, size_t n)
{
	if (n > c->scratch_cap) {
		c->scratch_cap = n + n / 2 + 64;
		free(c->scratch);
		c->scratch = llm_malloc(c->scratch_cap * sizeof(*c->scratch));
	}
	return c->scratch;
}

/* ================================================================== */
/* encode                                                              */

void llm_tokens_push(struct llm_tokens *t, uint32_t id)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->ids = llm_realloc(t->ids, t->cap * sizeof(*t->ids));
	}
	t->ids[t->n++] = id;
}

static void tokens_append(struct llm_tokens *t, const uint32_t *ids, size_t n)
{
	if (t->n + n > t->cap) {
		while (t->n + n > t->cap)
			t->cap = t->cap ? t->cap * 2 : 256;
		t->ids = llm_realloc(t->ids, t->cap * sizeof(*t->ids));
	}
	memcpy(t->ids + t->n, ids, n * sizeof(*ids));
	t->n += n;
}

void llm_tokens_free(struct llm_tokens *t)
{
	free(t->ids);
	t->ids = NULL;
	t->n = t->cap = 0;
}

/* BPE of one piece, without the cache. */
static void bpe_piece(const struct llm_tokenizer *t, struct tok_cache *c, const uint8_t *p, size_t n,
		      struct llm_tokens *out)
{
	uint32_t *sym = scratch(c, n);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t id = t->byte_id[p[i]];
		if (id != TOK_NONE)
			sym[m++] = id;
	}
	m = m <= SMALL_MAX ? bpe_small(t, sym, m) : bpe_large(t, sym, m);
	tokens_append(out, sym, m);
}

static void encode_piece(const struct llm_tokenizer *t, struct tok_cache *c, const uint8_t *p, size_t n,
			 struct llm_tokens *out)
{
	if (n == 1 && t->byte_id[p[0]] != TOK_NONE) {
		llm_tokens_push(out, t->byte_id[p[0]]);
		return;
	}
	if (t->ignore_merges) {
		int64_t id = tok_map_find(t, p, n);
		if (id >= 0 && !t->is_special[id]) {
			llm_tokens_push(out, (uint32_t)id);
			return;
		}
	}
	if (n > CACHE_MAX_KEY) {
		bpe_piece(t, c, p, n, out);
		return;
	}
	uint64_t h = bytes_hash(p, n) | 1;
	size_t s = (size_t)h & (CACHE_SLOTS - 1);
	for (;; s = (s + 1) & (CACHE_SLOTS - 1)) {
		struct cache_slot *e = &c->slots[s];
		if (!e->h)
			break;
		if (e->h == h && e->klen == n && !memcmp(c->keys + e->koff, p, n)) {
			tokens_append(out, c->ids + e->ioff, e->nids);
			return;
		}
	}
	size_t before = out->n;
	bpe_piece(t, c, p, n, out);
	size_t nids = out->n - before;
	if (c->used >= CACHE_SLOTS / 2 || c->keys_len + n > c->keys_cap || c->ids_len + nids > c->ids_cap) {
		cache_clear(c);
		s = (size_t)h & (CACHE_SLOTS - 1);
	}
	while (c->slots[s].h)
		s = (s + 1) & (CACHE_SLOTS - 1);
	struct cache_slot *e = &c->slots[s];
	e->h = h;
	e->koff = (uint32_t)c->keys_len;
	e->klen = (uint16_t)n;
	e->ioff = (uint32_t)c->ids_len;
	e->nids = (uint16_t)nids;
	memcpy(c->keys + c->keys_len, p, n);
	c->keys_len += n;
	memcpy(c->ids + c->ids_len, out->ids + before, nids * sizeof(uint32_t));
	c->ids_len += nids;
	c->used++;
}

void llm_tokenizer_encode_piece(const struct llm_tokenizer *t, const uint8_t *p, size_t n,
				struct llm_tokens *out)
{
	if (n)
		encode_piece(t, cache_get(t), p, n, out);
}

/* Pieces from the split regex through PCRE2: matches are pieces, and so are
 * the gaps between them (HF's Split behaviour "Isolated"). */
static void encode_regex(const struct llm_tokenizer *t, struct tok_cache *c, const uint8_t *s, size_t n,
			 struct llm_tokens *out)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(t->re, NULL);
	size_t pos = 0, from = 0;
	while (pos < n) {
		int rc = from < n ? pcre2_match(t->re, s, n, from, 0, md, NULL) : -1;
		if (rc < 0) {
			encode_piece(t, c, s + pos, n - pos, out);
			break;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t ms = ov[0], me = ov[1];
		if (me == ms) { /* an empty match splits nothing: search on */
			from = ms + 1;
			while (from < n && (s[from] & 0xC0) == 0x80)
				from++;
			continue;
		}
		if (ms > pos)
			encode_piece(t, c, s + pos, ms - pos, out);
		encode_piece(t, c, s + ms, me - ms, out);
		pos = from = me;
	}
	pcre2_match_data_free(md);
}

/* NFC of s[0..n) into out, one maximal valid UTF-8 span at a time (bytes
 * that are not UTF-8 pass through).  Returns false when s is all ASCII
 * (nothing to do). */
static bool nfc_normalize(const uint8_t *s, size_t n, struct llm_buf *out)
{
	size_t i = 0;
	while (i < n && s[i] < 0x80)
		i++;
	if (i == n)
		return false;
	llm_buf_reset(out);
	size_t a = 0;
	while (a < n) {
		size_t b = a;
		uint32_t cp;
		int l = 0;
		while (b < n && (l = llm_utf8_decode(s + b, n - b, &cp)) > 0)
			b += (size_t)l;
		if (b > a) {
			utf8proc_uint8_t *dst = NULL;
			utf8proc_ssize_t r = utf8proc_map(s + a, (utf8proc_ssize_t)(b - a), &dst,
							  UTF8PROC_STABLE | UTF8PROC_COMPOSE);
			if (r >= 0)
				llm_buf_append(out, dst, (size_t)r);
			else
				llm_buf_append(out, s + a, b - a);
			free(dst);
		}
		if (b < n) /* one invalid byte */
			llm_buf_putc(out, (char)s[b++]);
		a = b;
	}
	return true;
}

static void encode_ordinary(const struct llm_tokenizer *t, struct tok_cache *c, const uint8_t *s, size_t n,
			    struct llm_tokens *out)
{
	if (!n)
		return;
	struct llm_buf norm = LLM_BUF_INIT;
	if (t->nfc && nfc_normalize(s, n, &norm)) {
		s = (const uint8_t *)norm.data;
		n = norm.len;
	}
	uint8_t *tmp = NULL;
	if (t->add_prefix_space && s[0] != ' ') {
		tmp = llm_malloc(n + 1);
		tmp[0] = ' ';
		memcpy(tmp + 1, s, n);
		s = tmp;
		n++;
	}
	if (t->pretok == LLM_PRETOK_REGEX) {
		encode_regex(t, c, s, n, out);
	} else {
		size_t pos = 0;
		while (pos < n) {
			size_t end = llm_pretok_next(t->pretok, s, n, pos);
			encode_piece(t, c, s + pos, end - pos, out);
			pos = end;
		}
	}
	free(tmp);
	llm_buf_free(&norm);
}

/* Leftmost, then longest, special token at or after pos; returns its start
 * (n if none) and sets *id and *len. */
static size_t find_special(const struct llm_tokenizer *t, const uint8_t *s, size_t n, size_t pos,
			   uint32_t *id, size_t *len)
{
	for (size_t i = pos; i < n; i++) {
		if (!t->special_first[s[i]]) {
			if (t->special_one_first >= 0) {
				const void *q = memchr(s + i, t->special_one_first, n - i);
				if (!q)
					return n;
				i = (size_t)((const uint8_t *)q - s);
			} else {
				continue;
			}
		}
		size_t best = 0;
		for (int k = 0; k < t->n_specials; k++) {
			const struct tok_special *sp = &t->specials[k];
			if (sp->len > best && sp->len <= n - i && !memcmp(s + i, sp->text, sp->len)) {
				best = sp->len;
				*id = sp->id;
			}
		}
		if (best) {
			*len = best;
			return i;
		}
	}
	return n;
}

void llm_tokenizer_encode(const struct llm_tokenizer *t, const char *text, size_t len, unsigned flags,
			  struct llm_tokens *out)
{
	struct tok_cache *c = cache_get(t);
	const uint8_t *s = (const uint8_t *)text;
	if (!(flags & LLM_TOK_SPECIAL) || !t->n_specials) {
		encode_ordinary(t, c, s, len, out);
		return;
	}
	size_t pos = 0;
	while (pos < len) {
		uint32_t id = 0;
		size_t sl = 0;
		size_t at = find_special(t, s, len, pos, &id, &sl);
		encode_ordinary(t, c, s + pos, at - pos, out);
		if (at >= len)
			break;
		llm_tokens_push(out, id);
		pos = at + sl;
	}
}

/* ================================================================== */
/* decode and queries                                                  */

int llm_tokenizer_decode(const struct llm_tokenizer *t, const uint32_t *ids, size_t n, struct llm_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t id = ids[i];
		if (id >= t->n_vocab || t->tok_len[id] == TOK_NONE)
			return llm_error("token id %u at position %zu is not in the vocabulary (%u ids)",
					 id, i, t->n_vocab);
		llm_buf_append(out, t->blob + t->tok_off[id], t->tok_len[id]);
	}
	if (!out->data)
		llm_buf_reserve(out, 1);
	return 0;
}

uint32_t llm_tokenizer_n_vocab(const struct llm_tokenizer *t)
{
	return t->n_vocab;
}

enum llm_pretok llm_tokenizer_pretok(const struct llm_tokenizer *t)
{
	return t->pretok;
}

const char *llm_tokenizer_token(const struct llm_tokenizer *t, uint32_t id, size_t *n)
{
	if (id >= t->n_vocab || t->tok_len[id] == TOK_NONE)
		return NULL;
	*n = t->tok_len[id];
	return t->blob + t->tok_off[id];
}

int64_t llm_tokenizer_find(const struct llm_tokenizer *t, const char *bytes, size_t n)
{
	for (int k = 0; k < t->n_specials; k++)
		if (t->specials[k].len == n && !memcmp(t->specials[k].text, bytes, n))
			return t->specials[k].id;
	return tok_map_find(t, bytes, n);
}

int64_t llm_tokenizer_eot(const struct llm_tokenizer *t)
{
	static const char *const names[] = {"<|endoftext|>", "<|end_of_text|>", "</s>", "<|im_end|>"};
	for (size_t i = 0; i < LLM_ARRAY_SIZE(names); i++) {
		int64_t id = llm_tokenizer_find(t, names[i], strlen(names[i]));
		if (id >= 0)
			return id;
	}
	return -1;
}

bool llm_tokenizer_is_special(const struct llm_tokenizer *t, uint32_t id)
{
	return id < t->n_vocab && t->is_special[id];
}

int llm_tokenizer_n_special(const struct llm_tokenizer *t)
{
	return t->n_specials;
}

/* ================================================================== */
/* construction helpers for the loaders                                 */

struct llm_tokenizer *tok_new(void)
{
	struct llm_tokenizer *t = llm_calloc(1, sizeof(*t));
	pthread_key_create(&t->cache_key, NULL);
	pthread_mutex_init(&t->cache_lock, NULL);
	t->special_one_first = -1;
	for (int b = 0; b < 256; b++)
		t->byte_id[b] = TOK_NONE;
	return t;
}

/* Sets token id to the given bytes (growing the tables). */
void tok_set(struct llm_tokenizer *t, uint32_t id, const void *bytes, size_t n)
{
	if (id >= t->cap_vocab) {
		uint32_t cap = t->cap_vocab ? t->cap_vocab : 1024;
		while (cap <= id)
			cap *= 2;
		t->tok_off = llm_realloc(t->tok_off, cap * sizeof(*t->tok_off));
		t->tok_len = llm_realloc(t->tok_len, cap * sizeof(*t->tok_len));
		t->is_special = llm_realloc(t->is_special, cap);
		for (uint32_t i = t->cap_vocab; i < cap; i++) {
			t->tok_len[i] = TOK_NONE;
			t->is_special[i] = 0;
		}
		t->cap_vocab = cap;
	}
	if (id >= t->n_vocab)
		t->n_vocab = id + 1;
	if (t->blob_len + n > t->blob_cap) {
		while (t->blob_len + n > t->blob_cap)
			t->blob_cap = t->blob_cap ? t->blob_cap * 2 : 1 << 20;
		t->blob = llm_realloc(t->blob, t->blob_cap);
	}
	memcpy(t->blob + t->blob_len, bytes, n);
	t->tok_off[id] = t->blob_len;
	t->tok_len[id] = (uint32_t)n;
	t->blob_len += n;
}

void tok_add_special(struct llm_tokenizer *t, uint32_t id, const char *text, size_t n)
{
	if (!n)
		return;
	for (int k = 0; k < t->n_specials; k++)
		if (t->specials[k].len == n && !memcmp(t->specials[k].text, text, n))
			return;
	t->specials = llm_realloc(t->specials, (t->n_specials + 1) * sizeof(*t->specials));
	struct tok_special *sp = &t->specials[t->n_specials++];
	sp->text = llm_strndup(text, n);
	sp->len = n;
	sp->id = id;
	if (id >= t->n_vocab || t->tok_len[id] == TOK_NONE)
		tok_set(t, id, text, n);
	t->is_special[id] = 1;
	t->special_first[(uint8_t)text[0]] = 1;
	int firsts = 0, first = -1;
	for (int b = 0; b < 256; b++)
		if (t->special_first[b]) {
			firsts++;
			first = b;
		}
	t->special_one_first = firsts == 1 ? first : -1;
}

void llm_tokenizer_free(struct llm_tokenizer *t)
{
	if (!t)
		return;
	for (struct tok_cache *c = t->caches, *nx; c; c = nx) {
		nx = c->next_cache;
		cache_free(c);
	}
	pthread_key_delete(t->cache_key);
	pthread_mutex_destroy(&t->cache_lock);
	for (int k = 0; k < t->n_specials; k++)
		free(t->specials[k].text);
	free(t->specials);
	free(t->tok_off);
	free(t->tok_len);
	free(t->is_special);
	free(t->blob);
	free(t->map_slots);
	free(t->pairs);
	if (t->re)
		pcre2_code_free(t->re);
	free(t->regex);
	free(t);
}
