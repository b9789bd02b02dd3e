/*
 * dataloader.c: mapped llm.c token shards, deterministic shuffled batches,
 * and per-token byte lengths for bits-per-byte.
 */
#include "dataloader.h"

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "files.h"
#include "utf8.h"
#include "util.h"

int llm_shard_check_vocab(const struct llm_shard *s, int vocab_size)
{
	if (vocab_size <= 0 || !s->n_tokens)
		return 0;
	uint32_t mx = 0;
	uint64_t arg = 0;
	for (uint64_t i = 0; i < s->n_tokens; i++) {
		uint32_t t = llm_shard_token(s, i);
		if (t > mx) {
			mx = t;
			arg = i;
		}
	}
	if (mx >= (uint32_t)vocab_size)
		return llm_error("'%s' byte %" PRIu64 ": token id %u is not below the model's vocab_size %d; hint: set model.vocab_size to at least %u (the tokenizer's vocabulary)",
				 s->path, (uint64_t)LLM_SHARD_HEADER_BYTES + arg * (uint64_t)s->width, mx,
				 vocab_size, mx + 1);
	return 0;
}

static uint64_t shard_seqs(const struct llm_shard *s, int T)
{
	return s->n_tokens > 0 ? (s->n_tokens - 1) / (uint64_t)T : 0;
}

static uint64_t sm64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void make_perm(struct llm_dataloader *dl)
{
	for (uint64_t i = 0; i < dl->n_seq; i++)
		dl->perm[i] = i;
	uint64_t st = dl->seed * 0x100000001b3ULL ^ (dl->epoch + 1) * 0x9e3779b97f4a7c15ULL;
	for (uint64_t i = dl->n_seq; i > 1; i--) {
		/* unbiased bounded draw (Lemire) */
		uint64_t bound = i, r, lo;
		unsigned __int128 mul;
		do {
			r = sm64(&st);
			mul = (unsigned __int128)r * bound;
			lo = (uint64_t)mul;
		} while (lo < (-bound) % bound);
		uint64_t j = (uint64_t)(mul >> 64);
		uint64_t t = dl->perm[i - 1];
		dl->perm[i - 1] = dl->perm[j];
		dl->perm[j] = t;
	}
}

int llm_dataloader_open(struct llm_dataloader *dl, char *const *paths, int n, int B, int T,
			bool shuffle, uint64_t seed, int vocab_size)
{
	memset(dl, 0, sizeof(*dl));
	if (n <= 0)
		return llm_error("no token shards given");
	dl->shards = llm_calloc((size_t)n, sizeof(*dl->shards));
	dl->seq_first = llm_calloc((size_t)n + 1, sizeof(uint64_t));
	dl->B = B;
	dl->T = T;
	for (int i = 0; i < n; i++) {
		if (llm_shard_open(&dl->shards[i], paths[i]) != 0) {
			llm_dataloader_free(dl);
			return -1;
		}
		dl->n_shards++;
		if (llm_shard_check_vocab(&dl->shards[i], vocab_size) != 0) {
			llm_dataloader_free(dl);
			return -1;
		}
		dl->seq_first[i + 1] = dl->seq_first[i] + shard_seqs(&dl->shards[i], T);
	}
	dl->n_seq = dl->seq_first[n];
	if (dl->n_seq == 0) {
		int rc = llm_error("'%s'%s: no sequence of %d + 1 tokens fits (hint: lower seq_len or add data)",
				   paths[0], n > 1 ? " and the other shards" : "", T);
		llm_dataloader_free(dl);
		return rc;
	}
	dl->shuffle = shuffle;
	dl->seed = seed;
	if (shuffle) {
		dl->perm = llm_malloc(dl->n_seq * sizeof(uint64_t));
		make_perm(dl);
	}
	return 0;
}

void llm_dataloader_free(struct llm_dataloader *dl)
{
	for (int i = 0; i < dl->n_shards; i++)
		llm_shard_close(&dl->shards[i]);
	free(dl->shards);
	free(dl->seq_first);
	free(dl->perm);
	memset(dl, 0, sizeof(*dl));
}

void llm_dataloader_seek(struct llm_dataloader *dl, uint64_t epoch, uint64_t pos)
{
	bool regen = dl->shuffle && epoch != dl->epoch;
	dl->epoch = epoch;
	dl->pos = pos;
	if (regen)
		make_perm(dl);
}

static void fetch(const struct llm_dataloader *dl, uint64_t seq, int32_t *x, int32_t *y)
{
	int s = 0;
	while (seq >= dl->seq_first[s + 1])
		s++;
	const struct llm_shard *sh = &dl->shards[s];
	uint64_t start = (seq - dl->seq_first[s]) * (uint64_t)dl->T;
	for (int t = 0; t < dl->T; t++) {
		x[t] = (int32_t)llm_shard_token(sh, start + t);
		y[t] = (int32_t)llm_shard_token(sh, start + t + 1);
	}
}

void llm_dataloader_next(struct llm_dataloader *dl, int32_t *x, int32_t *y)
{
	for (int b = 0; b < dl->B; b++) {
		if (dl->pos >= dl->n_seq) {
			dl->epoch++;
			dl->pos = 0;
			if (dl->shuffle)
				make_perm(dl);
		}
		uint64_t seq = dl->shuffle ? dl->perm[dl->pos] : dl->pos;
		dl->pos++;
		fetch(dl, seq, x + (size_t)b * dl->T, y + (size_t)b * dl->T);
	}
}

/* ----------------------------------------------------------------------------
 * token byte lengths */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

uint32_t *llm_token_bytes_load(const char *path, int V)
{
	char *data;
	size_t len;
	if (llm_read_file(path, &data, &len) != 0)
		return NULL;
	uint32_t *out = llm_calloc((size_t)V, sizeof(uint32_t));
	size_t i = 0;
	while (i < len && isspace((unsigned char)data[i]))
		i++;
	if (i < len && data[i] == '{') {
		cJSON *root = cJSON_ParseWithLength(data, len);
		const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
		const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
		if (!cJSON_IsObject(vocab)) {
			cJSON_Delete(root);
			free(data);
			free(out);
			llm_error("'%s': not a tokenizer.json with model.vocab (hint: give a tiktoken rank file or an HF tokenizer.json)",
				  path);
			return NULL;
		}
		const cJSON *it;
		cJSON_ArrayForEach(it, vocab)
		{
			if (!cJSON_IsNumber(it) || it->valueint < 0 || it->valueint >= V)
				continue;
			/* byte-level BPE: one character per byte */
			uint32_t n = 0;
			for (const unsigned char *p = (const unsigned char *)it->string; *p; p++)
				n += (*p & 0xC0) != 0x80;
			out[it->valueint] = n;
		}
		const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
		cJSON_ArrayForEach(it, added)
		{
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
			const cJSON *sp = cJSON_GetObjectItemCaseSensitive(it, "special");
			if (cJSON_IsNumber(id) && id->valueint >= 0 && id->valueint < V && cJSON_IsTrue(sp))
				out[id->valueint] = 0;
		}
		cJSON_Delete(root);
		free(data);
		return out;
	}
	/* tiktoken: "<base64> <rank>\n" */
	uint64_t line = 0;
	for (char *p = data; p < data + len;) {
		char *nl = memchr(p, '\n', (size_t)(data + len - p));
		char *end = nl ? nl : data + len;
		line++;
		char *sp = memchr(p, ' ', (size_t)(end - p));
		if (end > p) {
			if (!sp) {
				free(data);
				free(out);
				llm_error("'%s' line %" PRIu64 ": expected '<base64> <rank>' (tiktoken) or a tokenizer.json",
					  path, line);
				return NULL;
			}
			long rank = strtol(sp + 1, NULL, 10);
			int pad = 0, nchar = 0;
			for (char *q = p; q < sp; q++) {
				if (*q == '=')
					pad++;
				else if (b64val((unsigned char)*q) >= 0)
					nchar++;
			}
			if (rank >= 0 && rank < V)
				out[rank] = (uint32_t)(nchar * 6 / 8);
			(void)pad;
		}
		p = end + 1;
	}
	free(data);
	return out;
}
