/*
 * bpe_train.c: byte-level BPE trainer (see bpe_train.h for the algorithm
 * and its tie-breaking), and the tokenizer.json it writes.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "bpe_train.h"
#include "log.h"

/* ================================================================== */
/* word counts                                                         */

struct wc_slot {
	uint64_t h;     /* 0 = empty */
	uint64_t count;
	uint64_t off;
	uint32_t len;
};

struct llm_bpe_counts {
	struct wc_slot *slots;
	size_t mask, used;
	char *keys;
	size_t keys_len, keys_cap;
};

struct llm_bpe_counts *llm_bpe_counts_new(void)
{
	struct llm_bpe_counts *c = llm_calloc(1, sizeof(*c));
	c->mask = (1u << 16) - 1;
	c->slots = llm_calloc(c->mask + 1, sizeof(*c->slots));
	return c;
}

void llm_bpe_counts_free(struct llm_bpe_counts *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c->keys);
	free(c);
}

size_t llm_bpe_counts_words(const struct llm_bpe_counts *c)
{
	return c->used;
}

static void wc_grow(struct llm_bpe_counts *c)
{
	size_t cap = (c->mask + 1) * 2;
	struct wc_slot *ns = llm_calloc(cap, sizeof(*ns));
	for (size_t i = 0; i <= c->mask; i++) {
		if (!c->slots[i].h)
			continue;
		size_t j = (size_t)c->slots[i].h & (cap - 1);
		while (ns[j].h)
			j = (j + 1) & (cap - 1);
		ns[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = ns;
	c->mask = cap - 1;
}

static void wc_add(struct llm_bpe_counts *c, const void *w, size_t len, uint64_t h, uint64_t count)
{
	size_t j = (size_t)h & c->mask;
	for (;; j = (j + 1) & c->mask) {
		struct wc_slot *s = &c->slots[j];
		if (!s->h)
			break;
		if (s->h == h && s->len == len && !memcmp(c->keys + s->off, w, len)) {
			s->count += count;
			return;
		}
	}
	if (c->keys_len + len > c->keys_cap) {
		while (c->keys_len + len > c->keys_cap)
			c->keys_cap = c->keys_cap ? c->keys_cap * 2 : 1 << 20;
		c->keys = llm_realloc(c->keys, c->keys_cap);
	}
	memcpy(c->keys + c->keys_len, w, len);
	struct wc_slot *s = &c->slots[j];
	s->h = h;
	s->count = count;
	s->off = c->keys_len;
	s->len = (uint32_t)len;
	c->keys_len += len;
	if (++c->used * 2 > c->mask + 1)
		wc_grow(c);
}

static inline uint64_t wc_hash(const void *w, size_t len)
{
	return XXH3_64bits(w, len) | 1;
}

void llm_bpe_counts_add(struct llm_bpe_counts *c, const void *w, size_t len, uint64_t count)
{
	if (len)
		wc_add(c, w, len, wc_hash(w, len), count);
}

void llm_bpe_counts_add_text(struct llm_bpe_counts *c, enum llm_pretok kind, const char *text, size_t len)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t pos = 0;
	while (pos < len) {
		size_t end = llm_pretok_next(kind, s, len, pos);
		wc_add(c, s + pos, end - pos, wc_hash(s + pos, end - pos), 1);
		pos = end;
	}
}

void llm_bpe_counts_merge(struct llm_bpe_counts *dst, const struct llm_bpe_counts *src)
{
	for (size_t i = 0; i <= src->mask; i++) {
		const struct wc_slot *s = &src->slots[i];
		if (s->h)
			wc_add(dst, src->keys + s->off, s->len, s->h, s->count);
	}
}

/* ================================================================== */
/* trainer state                                                       */

struct pair_rec {
	uint64_t key;   /* a << 32 | b */
	int64_t count;
	uint32_t *pos;  /* words gaining this pair in the current step */
	uint32_t npos, cap;
};

struct heap_ent {
	int64_t count;
	uint32_t a, b;
	uint32_t *pos;
	uint32_t npos;
};

struct trainer {
	/* vocabulary */
	char *vbytes;
	size_t vb_len, vb_cap;
	uint64_t *voff;
	uint32_t *vlen;
	uint32_t n_vocab, cap_vocab;
	uint32_t *vmap; /* bytes -> id + 1 */
	size_t vmap_mask;
	/* words */
	uint32_t *sym;   /* symbols of all words */
	uint64_t *woff;  /* start of word i in sym */
	uint32_t *wlen;  /* current length of word i */
	uint64_t *wcount;
	size_t n_words;
	/* pairs */
	uint32_t *pslot; /* key -> index + 1 into prec */
	size_t pslot_mask;
	struct pair_rec *prec;
	size_t n_prec, cap_prec;
	uint32_t *touched; /* pair indices with pos entries this step */
	size_t n_touched, cap_touched;
	/* heap */
	struct heap_ent *heap;
	size_t n_heap, cap_heap;
	/* merges */
	uint32_t *merges; /* 2 per merge */
	size_t n_merges, cap_merges;
};

static uint64_t vhash(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

static int64_t vocab_find(const struct trainer *t, const void *p, size_t n)
{
	size_t h = (size_t)vhash(p, n) & t->vmap_mask;
	for (;; h = (h + 1) & t->vmap_mask) {
		uint32_t s = t->vmap[h];
		if (!s)
			return -1;
		if (t->vlen[s - 1] == n && !memcmp(t->vbytes + t->voff[s - 1], p, n))
			return s - 1;
	}
}

static void vmap_insert(struct trainer *t, uint32_t id)
{
	size_t h = (size_t)vhash(t->vbytes + t->voff[id], t->vlen[id]) & t->vmap_mask;
	while (t->vmap[h])
		h = (h + 1) & t->vmap_mask;
	t->vmap[h] = id + 1;
}

static uint32_t vocab_add(struct trainer *t, const void *p, size_t n)
{
	if (t->n_vocab == t->cap_vocab) {
		t->cap_vocab = t->cap_vocab ? t->cap_vocab * 2 : 1024;
		t->voff = llm_realloc(t->voff, t->cap_vocab * sizeof(*t->voff));
		t->vlen = llm_realloc(t->vlen, t->cap_vocab * sizeof(*t->vlen));
	}
	if ((size_t)(t->n_vocab + 1) * 2 > t->vmap_mask + 1) {
		size_t cap = (t->vmap_mask + 1) * 2;
		free(t->vmap);
		t->vmap = llm_calloc(cap, sizeof(*t->vmap));
		t->vmap_mask = cap - 1;
		for (uint32_t i = 0; i < t->n_vocab; i++)
			vmap_insert(t, i);
	}
	if (t->vb_len + n > t->vb_cap) {
		while (t->vb_len + n > t->vb_cap)
			t->vb_cap = t->vb_cap ? t->vb_cap * 2 : 1 << 16;
		t->vbytes = llm_realloc(t->vbytes, t->vb_cap);
	}
	memcpy(t->vbytes + t->vb_len, p, n);
	uint32_t id = t->n_vocab++;
	t->voff[id] = t->vb_len;
	t->vlen[id] = (uint32_t)n;
	t->vb_len += n;
	vmap_insert(t, id);
	return id;
}

static inline size_t pkey_slot(uint64_t key, size_t mask)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 17) & mask;
}

static void pslot_rehash(struct trainer *t, size_t cap)
{
	free(t->pslot);
	t->pslot = llm_calloc(cap, sizeof(*t->pslot));
	t->pslot_mask = cap - 1;
	for (size_t i = 0; i < t->n_prec; i++) {
		size_t h = pkey_slot(t->prec[i].key, t->pslot_mask);
		while (t->pslot[h])
			h = (h + 1) & t->pslot_mask;
		t->pslot[h] = (uint32_t)i + 1;
	}
}

static struct pair_rec *pair_get(struct trainer *t, uint32_t a, uint32_t b)
{
	uint64_t key = ((uint64_t)a << 32) | b;
	size_t h = pkey_slot(key, t->pslot_mask);
	for (;; h = (h + 1) & t->pslot_mask) {
		uint32_t s = t->pslot[h];
		if (!s)
			break;
		if (t->prec[s - 1].key == key)
			return &t->prec[s - 1];
	}
	if (t->n_prec == t->cap_prec) {
		t->cap_prec = t->cap_prec ? t->cap_prec * 2 : 1 << 16;
		t->prec = llm_realloc(t->prec, t->cap_prec * sizeof(*t->prec));
	}
	struct pair_rec *r = &t->prec[t->n_prec];
	memset(r, 0, sizeof(*r));
	r->key = key;
	t->pslot[h] = (uint32_t)++t->n_prec;
	if (t->n_prec * 2 > t->pslot_mask + 1) {
		pslot_rehash(t, (t->pslot_mask + 1) * 2);
	}
	return &t->prec[t->n_prec - 1];
}

static void pos_add(struct trainer *t, struct pair_rec *r, uint32_t w)
{
	if (r->npos && r->pos[r->npos - 1] == w)
		return;
	if (!r->npos) {
		if (t->n_touched == t->cap_touched) {
			t->cap_touched = t->cap_touched ? t->cap_touched * 2 : 1024;
			t->touched = llm_realloc(t->touched, t->cap_touched * sizeof(*t->touched));
		}
		t->touched[t->n_touched++] = (uint32_t)(r - t->prec);
	}
	if (r->npos == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4;
		r->pos = llm_realloc(r->pos, r->cap * sizeof(*r->pos));
	}
	r->pos[r->npos++] = w;
}

/* BpeTrainer's Merge order: higher count first, then the smaller pair. */
static inline int heap_before(const struct heap_ent *x, const struct heap_ent *y)
{
	if (x->count != y->count)
		return x->count > y->count;
	if (x->a != y->a)
		return x->a < y->a;
	return x->b < y->b;
}

static void heap_push(struct trainer *t, struct heap_ent e)
{
	if (t->n_heap == t->cap_heap) {
		t->cap_heap = t->cap_heap ? t->cap_heap * 2 : 1 << 16;
		t->heap = llm_realloc(t->heap, t->cap_heap * sizeof(*t->heap));
	}
	size_t i = t->n_heap++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!heap_before(&e, &t->heap[p]))
			break;
		t->heap[i] = t->heap[p];
		i = p;
	}
	t->heap[i] = e;
}

static struct heap_ent heap_pop(struct trainer *t)
{
	struct heap_ent top = t->heap[0], last = t->heap[--t->n_heap];
	size_t i = 0, n = t->n_heap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && heap_before(&t->heap[c + 1], &t->heap[c]))
			c++;
		if (!heap_before(&t->heap[c], &last))
			break;
		t->heap[i] = t->heap[c];
		i = c;
	}
	if (n)
		t->heap[i] = last;
	return top;
}

/* Pushes every pair touched in this step (with its new positions). */
static void push_touched(struct trainer *t)
{
	for (size_t k = 0; k < t->n_touched; k++) {
		struct pair_rec *r = &t->prec[t->touched[k]];
		if (r->count > 0) {
			heap_push(t, (struct heap_ent){r->count, (uint32_t)(r->key >> 32), (uint32_t)r->key,
						       r->pos, r->npos});
		} else {
			free(r->pos);
		}
		r->pos = NULL;
		r->npos = r->cap = 0;
	}
	t->n_touched = 0;
}

static inline void change(struct trainer *t, uint32_t a, uint32_t b, int d, uint32_t w)
{
	struct pair_rec *r = pair_get(t, a, b);
	r->count += d * (int64_t)t->wcount[w];
	if (d > 0)
		pos_add(t, r, w);
}

/* Word::merge of HF: left to right, non-overlapping, reporting the pair
 * count changes around each merge. */
static void word_merge(struct trainer *t, uint32_t w, uint32_t a, uint32_t b, uint32_t nid)
{
	uint32_t *s = t->sym + t->woff[w];
	uint32_t n = t->wlen[w], i = 0, j = 0;
	while (i < n) {
		if (i + 1 < n && s[i] == a && s[i + 1] == b) {
			if (j > 0) {
				change(t, s[j - 1], a, -1, w);
				change(t, s[j - 1], nid, +1, w);
			}
			s[j++] = nid;
			i += 2;
			if (i < n) {
				change(t, b, s[i], -1, w);
				change(t, nid, s[i], +1, w);
			}
		} else {
			s[j++] = s[i++];
		}
	}
	t->wlen[w] = j;
}

static void trainer_free(struct trainer *t)
{
	free(t->vbytes);
	free(t->voff);
	free(t->vlen);
	free(t->vmap);
	free(t->sym);
	free(t->woff);
	free(t->wlen);
	free(t->wcount);
	free(t->pslot);
	for (size_t i = 0; i < t->n_prec; i++)
		free(t->prec[i].pos);
	free(t->prec);
	free(t->touched);
	for (size_t i = 0; i < t->n_heap; i++)
		free(t->heap[i].pos);
	free(t->heap);
	free(t->merges);
}

/* ================================================================== */
/* tokenizer.json                                                      */

static char *bytelevel_str(const char *p, size_t n)
{
	struct llm_buf b = LLM_BUF_INIT;
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = llm_bytelevel_char((uint8_t)p[i]);
		if (cp < 0x80) {
			llm_buf_putc(&b, (char)cp);
		} else {
			llm_buf_putc(&b, (char)(0xC0 | (cp >> 6)));
			llm_buf_putc(&b, (char)(0x80 | (cp & 0x3F)));
		}
	}
	llm_buf_reserve(&b, 1);
	return llm_buf_detach(&b, NULL);
}

static cJSON *bytelevel_obj(bool use_regex)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "ByteLevel");
	cJSON_AddBoolToObject(o, "add_prefix_space", 0);
	cJSON_AddBoolToObject(o, "trim_offsets", 1);
	cJSON_AddBoolToObject(o, "use_regex", use_regex);
	return o;
}

static char *render_json(const struct trainer *t, const struct llm_bpe_train_opts *o, size_t *len)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "version", "1.0");
	cJSON_AddNullToObject(root, "truncation");
	cJSON_AddNullToObject(root, "padding");
	cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
	for (int i = 0; i < o->n_special; i++) {
		int64_t id = vocab_find(t, o->special[i], strlen(o->special[i]));
		cJSON *a = cJSON_CreateObject();
		cJSON_AddNumberToObject(a, "id", (double)id);
		cJSON_AddStringToObject(a, "content", o->special[i]);
		cJSON_AddBoolToObject(a, "single_word", 0);
		cJSON_AddBoolToObject(a, "lstrip", 0);
		cJSON_AddBoolToObject(a, "rstrip", 0);
		cJSON_AddBoolToObject(a, "normalized", 0);
		cJSON_AddBoolToObject(a, "special", 1);
		cJSON_AddItemToArray(added, a);
	}
	cJSON_AddNullToObject(root, "normalizer");
	if (o->pretok == LLM_PRETOK_GPT2) {
		cJSON_AddItemToObject(root, "pre_tokenizer", bytelevel_obj(true));
	} else {
		cJSON *seq = cJSON_CreateObject();
		cJSON_AddStringToObject(seq, "type", "Sequence");
		cJSON *arr = cJSON_AddArrayToObject(seq, "pretokenizers");
		cJSON *split = cJSON_CreateObject();
		cJSON_AddStringToObject(split, "type", "Split");
		cJSON *pat = cJSON_AddObjectToObject(split, "pattern");
		cJSON_AddStringToObject(pat, "Regex", llm_pretok_regex(o->pretok));
		cJSON_AddStringToObject(split, "behavior", "Isolated");
		cJSON_AddBoolToObject(split, "invert", 0);
		cJSON_AddItemToArray(arr, split);
		cJSON_AddItemToArray(arr, bytelevel_obj(false));
		cJSON_AddItemToObject(root, "pre_tokenizer", seq);
	}
	cJSON *pp = bytelevel_obj(true);
	cJSON_ReplaceItemInObject(pp, "trim_offsets", cJSON_CreateBool(0));
	cJSON_AddItemToObject(root, "post_processor", pp);
	cJSON_AddItemToObject(root, "decoder", bytelevel_obj(true));
	cJSON *model = cJSON_AddObjectToObject(root, "model");
	cJSON_AddStringToObject(model, "type", "BPE");
	cJSON_AddNullToObject(model, "dropout");
	cJSON_AddNullToObject(model, "unk_token");
	cJSON_AddNullToObject(model, "continuing_subword_prefix");
	cJSON_AddNullToObject(model, "end_of_word_suffix");
	cJSON_AddBoolToObject(model, "fuse_unk", 0);
	cJSON_AddBoolToObject(model, "byte_fallback", 0);
	cJSON_AddBoolToObject(model, "ignore_merges", 0);
	cJSON *vocab = cJSON_AddObjectToObject(model, "vocab");
	for (uint32_t id = 0; id < t->n_vocab; id++) {
		const char *p = t->vbytes + t->voff[id];
		char *s = (int)id < o->n_special ? llm_strndup(p, t->vlen[id]) : bytelevel_str(p, t->vlen[id]);
		cJSON_AddItemToObject(vocab, s, cJSON_CreateNumber(id));
		free(s);
	}
	cJSON *merges = cJSON_AddArrayToObject(model, "merges");
	for (size_t m = 0; m < t->n_merges; m++) {
		uint32_t a = t->merges[2 * m], b = t->merges[2 * m + 1];
		char *sa = bytelevel_str(t->vbytes + t->voff[a], t->vlen[a]);
		char *sb = bytelevel_str(t->vbytes + t->voff[b], t->vlen[b]);
		char *s = llm_asprintf("%s %s", sa, sb);
		cJSON_AddItemToArray(merges, cJSON_CreateString(s));
		free(sa);
		free(sb);
		free(s);
	}
	char *txt = cJSON_Print(root);
	cJSON_Delete(root);
	if (!txt)
		llm_die("out of memory rendering tokenizer.json");
	*len = strlen(txt);
	return txt;
}

/* ================================================================== */
/* training                                                            */

int llm_bpe_train(const struct llm_bpe_counts *wc, const struct llm_bpe_train_opts *o,
		  struct llm_bpe_result *res)
{
	memset(res, 0, sizeof(*res));
	if (o->pretok != LLM_PRETOK_GPT2 && o->pretok != LLM_PRETOK_LLAMA3 && o->pretok != LLM_PRETOK_QWEN2)
		return llm_error("training pre-tokenizer '%s' is not supported (gpt2, llama3 or qwen2; "
				 "llama3 is the cl100k-style regex that HF tokenizers can read)",
				 llm_pretok_name(o->pretok));
	struct trainer t = {0};
	t.vmap_mask = 1023;
	t.vmap = llm_calloc(t.vmap_mask + 1, sizeof(*t.vmap));
	t.pslot_mask = (1u << 20) - 1;
	t.pslot = llm_calloc(t.pslot_mask + 1, sizeof(*t.pslot));

	/* 1. special tokens, 2. the byte alphabet in code point order */
	for (int i = 0; i < o->n_special; i++)
		if (vocab_find(&t, o->special[i], strlen(o->special[i])) < 0)
			vocab_add(&t, o->special[i], strlen(o->special[i]));
	uint32_t byte_id[256];
	uint8_t order[256];
	int k = 0;
	for (uint32_t cp = 0; cp < 256 + 68; cp++) {
		int b = llm_bytelevel_byte(cp);
		if (b >= 0)
			order[k++] = (uint8_t)b;
	}
	for (int i = 0; i < 256; i++) {
		int64_t id = vocab_find(&t, &order[i], 1);
		byte_id[order[i]] = id >= 0 ? (uint32_t)id : vocab_add(&t, &order[i], 1);
	}
	if (o->vocab_size < t.n_vocab)
		llm_warn("vocab_size %u is below the %u special and byte tokens; no merges are learnt",
			 o->vocab_size, t.n_vocab);

	/* 3. words as byte symbols */
	size_t total = 0;
	for (size_t i = 0; i <= wc->mask; i++)
		if (wc->slots[i].h)
			total += wc->slots[i].len;
	t.n_words = wc->used;
	t.sym = llm_malloc((total ? total : 1) * sizeof(*t.sym));
	t.woff = llm_malloc((t.n_words ? t.n_words : 1) * sizeof(*t.woff));
	t.wlen = llm_malloc((t.n_words ? t.n_words : 1) * sizeof(*t.wlen));
	t.wcount = llm_malloc((t.n_words ? t.n_words : 1) * sizeof(*t.wcount));
	size_t w = 0, off = 0;
	for (size_t i = 0; i <= wc->mask; i++) {
		const struct wc_slot *s = &wc->slots[i];
		if (!s->h)
			continue;
		t.woff[w] = off;
		t.wlen[w] = s->len;
		t.wcount[w] = s->count;
		for (uint32_t j = 0; j < s->len; j++)
			t.sym[off + j] = byte_id[(uint8_t)wc->keys[s->off + j]];
		off += s->len;
		w++;
	}

	/* 4. initial pair counts and positions */
	for (size_t wi = 0; wi < t.n_words; wi++) {
		const uint32_t *s = t.sym + t.woff[wi];
		for (uint32_t j = 0; j + 1 < t.wlen[wi]; j++)
			change(&t, s[j], s[j + 1], +1, (uint32_t)wi);
	}
	push_touched(&t);

	/* 5. merges */
	while (t.n_vocab < o->vocab_size && t.n_heap) {
		struct heap_ent top = heap_pop(&t);
		struct pair_rec *r = pair_get(&t, top.a, top.b);
		if (top.count != r->count) {
			top.count = r->count;
			heap_push(&t, top);
			continue;
		}
		if (top.count < 1 || (int64_t)o->min_frequency > top.count) {
			free(top.pos);
			break;
		}
		size_t la = t.vlen[top.a], lb = t.vlen[top.b];
		char *nb = llm_malloc(la + lb);
		memcpy(nb, t.vbytes + t.voff[top.a], la);
		memcpy(nb + la, t.vbytes + t.voff[top.b], lb);
		int64_t nid = vocab_find(&t, nb, la + lb);
		if (nid < 0)
			nid = vocab_add(&t, nb, la + lb);
		free(nb);
		if (t.n_merges == t.cap_merges) {
			t.cap_merges = t.cap_merges ? t.cap_merges * 2 : 4096;
			t.merges = llm_realloc(t.merges, 2 * t.cap_merges * sizeof(*t.merges));
		}
		t.merges[2 * t.n_merges] = top.a;
		t.merges[2 * t.n_merges + 1] = top.b;
		t.n_merges++;
		for (uint32_t i = 0; i < top.npos; i++)
			word_merge(&t, top.pos[i], top.a, top.b, (uint32_t)nid);
		free(top.pos);
		push_touched(&t);
	}

	res->n_vocab = t.n_vocab;
	res->n_merges = (uint32_t)t.n_merges;
	res->n_words = t.n_words;
	res->json = render_json(&t, o, &res->json_len);
	trainer_free(&t);
	return 0;
}
