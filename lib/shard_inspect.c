/*
 * shard_inspect.c: the llmake-inspect view of a token shard: header,
 * documents, vocabulary histogram and a decoded sample.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "files.h"
#include "inspect.h"
#include "shard.h"
#include "tokenizer.h"
#include "util.h"

bool llm_shard_probe(const char *path, const unsigned char *head, size_t n)
{
	(void)path;
	if (n >= 8 && !memcmp(head, LLM_SHARD_IDX_MAGIC, 8))
		return true;
	if (n < 12)
		return false;
	int32_t h[3];
	memcpy(h, head, sizeof(h));
	return (h[0] == LLM_SHARD_MAGIC_U16 && h[1] == LLM_SHARD_VERSION_U16) ||
	       (h[0] == LLM_SHARD_MAGIC_U32 && h[1] == LLM_SHARD_VERSION_U32);
}

/* The tokenizer named in the encode manifest of the shard's directory. */
static struct llm_tokenizer *tokenizer_from_manifest(const char *shard)
{
	const char *base = llm_basename(shard);
	char *dir = llm_strndup(shard, (size_t)(base - shard));
	char *mpath = llm_path_join(*dir ? dir : ".", "manifest.json");
	struct llm_tokenizer *tok = NULL;
	if (llm_exists(mpath)) {
		cJSON *m = llm_json_read_file(mpath);
		const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(m, "config");
		const cJSON *tp = cJSON_GetObjectItemCaseSensitive(cfg, "tokenizer");
		const cJSON *pat = cJSON_GetObjectItemCaseSensitive(cfg, "pattern");
		const char *p = cJSON_IsString(pat) && strcmp(pat->valuestring, "auto") ? pat->valuestring : NULL;
		if (cJSON_IsString(tp) && llm_exists(tp->valuestring))
			tok = llm_tokenizer_load(tp->valuestring, p);
		cJSON_Delete(m);
	}
	free(dir);
	free(mpath);
	return tok;
}

struct id_count {
	uint32_t id;
	uint64_t n;
};

static int by_count(const void *a, const void *b)
{
	const struct id_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static void print_token(FILE *out, const struct llm_tokenizer *tok, uint32_t id)
{
	size_t n;
	const char *p = tok ? llm_tokenizer_token(tok, id, &n) : NULL;
	if (!p)
		return;
	fputs("  \"", out);
	for (size_t i = 0; i < n && i < 40; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

int llm_shard_inspect(const char *path, const struct llm_tokenizer *tok, int sample, FILE *out)
{
	char *bin = NULL;
	size_t pl = strlen(path);
	if (pl >= 4 && !strcmp(path + pl - 4, ".idx"))
		bin = llm_asprintf("%.*s.bin", (int)(pl - 4), path);
	struct llm_shard s;
	if (llm_shard_open(&s, bin ? bin : path) != 0) {
		free(bin);
		return -1;
	}
	struct llm_tokenizer *own = NULL;
	if (!tok)
		tok = own = tokenizer_from_manifest(s.path);
	fprintf(out, "token shard %s\n", s.path);
	fprintf(out, "  format        llm.c, magic %d, %s tokens\n",
		s.width == 2 ? LLM_SHARD_MAGIC_U16 : LLM_SHARD_MAGIC_U32, s.width == 2 ? "uint16" : "uint32");
	fprintf(out, "  tokens        %llu\n", (unsigned long long)s.n_tokens);
	if (s.n_vocab)
		fprintf(out, "  vocab size    %u\n", s.n_vocab);
	if (s.eot >= 0)
		fprintf(out, "  eot id        %lld\n", (long long)s.eot);
	if (s.ends) {
		uint64_t mn = UINT64_MAX, mx = 0, prev = 0;
		for (uint64_t i = 0; i < s.n_docs; i++) {
			uint64_t len = s.ends[i] - prev;
			prev = s.ends[i];
			mn = LLM_MIN(mn, len);
			mx = LLM_MAX(mx, len);
		}
		fprintf(out, "  documents     %llu (tokens per document: min %llu, mean %.1f, max %llu)\n",
			(unsigned long long)s.n_docs, (unsigned long long)(s.n_docs ? mn : 0),
			s.n_docs ? (double)s.n_tokens / (double)s.n_docs : 0.0, (unsigned long long)mx);
	} else {
		uint64_t eots = 0;
		if (s.eot >= 0)
			for (uint64_t i = 0; i < s.n_tokens; i++)
				eots += llm_shard_token(&s, i) == (uint32_t)s.eot;
		fprintf(out, "  documents     no index; %llu end-of-text tokens\n", (unsigned long long)eots);
	}
	/* vocabulary histogram */
	uint32_t maxid = 0;
	for (uint64_t i = 0; i < s.n_tokens; i++)
		maxid = LLM_MAX(maxid, llm_shard_token(&s, i));
	size_t nv = s.n_tokens ? (size_t)maxid + 1 : 0;
	struct id_count *hist = llm_calloc(nv ? nv : 1, sizeof(*hist));
	for (size_t i = 0; i < nv; i++)
		hist[i].id = (uint32_t)i;
	for (uint64_t i = 0; i < s.n_tokens; i++)
		hist[llm_shard_token(&s, i)].n++;
	size_t distinct = 0;
	for (size_t i = 0; i < nv; i++)
		distinct += hist[i].n > 0;
	fprintf(out, "  distinct ids  %zu (max id %u)\n", distinct, maxid);
	int bad = s.n_vocab && nv > s.n_vocab;
	if (bad)
		fprintf(out, "  WARNING       max id %u is outside the vocabulary (%u)\n", maxid, s.n_vocab);
	qsort(hist, nv, sizeof(*hist), by_count);
	fprintf(out, "  top ids\n");
	for (size_t i = 0; i < nv && i < 10 && hist[i].n; i++) {
		fprintf(out, "    %8u  %12llu  %5.2f%%", hist[i].id, (unsigned long long)hist[i].n,
			100.0 * (double)hist[i].n / (double)s.n_tokens);
		print_token(out, tok, hist[i].id);
		fputc('\n', out);
	}
	free(hist);
	size_t ns = (size_t)LLM_MIN((uint64_t)(sample > 0 ? sample : 0), s.n_tokens);
	if (ns) {
		uint32_t *ids = llm_malloc(ns * sizeof(*ids));
		llm_shard_read(&s, 0, ns, ids);
		struct llm_buf text = LLM_BUF_INIT;
		if (tok && llm_tokenizer_decode(tok, ids, ns, &text) == 0) {
			fprintf(out, "  sample (first %zu tokens, decoded)\n", ns);
			fwrite(text.data, 1, text.len, out);
			fputc('\n', out);
		} else {
			fprintf(out, "  sample (first %zu ids; no tokenizer to decode them)\n   ", ns);
			for (size_t i = 0; i < ns; i++)
				fprintf(out, " %u", ids[i]);
			fputc('\n', out);
		}
		llm_buf_free(&text);
		free(ids);
	}
	llm_tokenizer_free(own);
	llm_shard_close(&s);
	free(bin);
	return 0;
}

static int inspect_shard(const char *path, const struct llm_inspect_opts *opts, FILE *out)
{
	return llm_shard_inspect(path, NULL, opts && opts->head > 0 ? opts->head : 64, out);
}

const struct llm_inspect_handler llm_inspect_shard = {
	.name = "shard",
	.probe = llm_shard_probe,
	.inspect = inspect_shard,
};
