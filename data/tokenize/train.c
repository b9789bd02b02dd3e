/*
 * train.c: llmake-tokenize train: learn a byte-level BPE vocabulary from
 * JSONL(.gz) documents and write a Hugging Face tokenizer.json.
 *
 * Word counting runs on the thread pool (one count table per worker,
 * merged at the end); the merge loop is lib/bpe_train.c.  The written file
 * is loaded back with our own loader before it is committed.
 */
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "bpe_train.h"
#include "docbatch.h"
#include "jsonl.h"
#include "log.h"
#include "pool.h"
#include "tokenize.h"

static const struct llm_key train_keys[] = {
	{"vocab_size", LLM_T_INT, "32000", "vocabulary size, special and byte tokens included", 257,
	 4294967295.0, NULL},
	{"min_frequency", LLM_T_INT, "0", "stop when the best pair occurs fewer times", 0, 1e18, NULL},
	{"pattern", LLM_T_STRING, "\"gpt2\"",
	 "pre-tokenizer: gpt2, or llama3 (cl100k-style, digits in groups of up to 3), or qwen2", 0, 0,
	 "gpt2|llama3|cl100k|qwen2"},
	{"special_tokens", LLM_T_STRINGS, "[\"<|endoftext|>\"]", "special tokens, given ids 0, 1, ...",
	 0, 0, NULL},
	{"batch_bytes", LLM_T_INT, "8388608", "input bytes parsed and counted per parallel batch", 1, 1e12,
	 NULL},
	{NULL},
};

static const struct llm_option train_options[] = {
	{"vocab-size", 0, "vocab_size", "N", "vocabulary size (default 32000)"},
	{"min-frequency", 0, "min_frequency", "N", "minimum pair count to merge"},
	{"pattern", 0, "pattern", "NAME", "pre-tokenizer regex: gpt2, llama3 (= cl100k style), qwen2"},
	{NULL},
};

struct trainer_ctx {
	enum llm_pretok kind;
	struct llm_bpe_counts **counts; /* one per worker */
	struct docbatch *batch;
};

/* On a worker: parse line i and count its words. */
static void count_one(void *ctx, size_t i, int worker)
{
	struct trainer_ctx *c = ctx;
	docbatch_parse(c->batch, i);
	const struct docbatch_doc *d = &c->batch->docs[i];
	if (!d->err)
		llm_bpe_counts_add_text(c->counts[worker], c->kind, d->text, d->text_len);
}

static int train_run(struct llm_ctx *ctx)
{
	const char *pat = llm_config_str(&ctx->cfg, "pattern");
	struct trainer_ctx c = {0};
	c.kind = !strcmp(pat, "cl100k") ? LLM_PRETOK_LLAMA3 : (enum llm_pretok)llm_pretok_parse(pat);
	const cJSON *sp = llm_config_get(&ctx->cfg, "special_tokens");
	int n_special = cJSON_GetArraySize(sp);
	const char **special = llm_calloc((size_t)n_special + 1, sizeof(*special));
	for (int i = 0; i < n_special; i++) {
		special[i] = cJSON_GetArrayItem(sp, i)->valuestring;
		if (!*special[i]) {
			free(special);
			return llm_usage_error(ctx, "special_tokens[%d] is empty", i);
		}
	}
	struct llm_pool *pool = llm_pool_new(ctx->threads);
	int nw = llm_pool_threads(pool);
	c.counts = llm_calloc((size_t)nw, sizeof(*c.counts));
	for (int i = 0; i < nw; i++)
		c.counts[i] = llm_bpe_counts_new();
	size_t batch = (size_t)llm_config_int(&ctx->cfg, "batch_bytes");
	struct llm_progress prog;
	llm_progress_init(&prog, "count words", 0, 0);
	double t0 = llm_now();
	uint64_t docs = 0, bytes = 0;
	int rc = 0;
	for (int f = 0; f < ctx->inputs.n && !rc; f++) {
		struct llm_in *in = llm_in_open(ctx->inputs.v[f]);
		if (!in) {
			rc = -1;
			break;
		}
		struct docbatch b;
		docbatch_init(&b, ctx->inputs.v[f], in, ctx->max_line);
		c.batch = &b;
		int g = 0;
		while (!rc && (g = docbatch_fill(&b, batch)) == 1) {
			llm_pool_for(pool, b.n, count_one, &c);
			for (size_t i = 0; i < b.n && !rc; i++) {
				int bad = docbatch_check(&b, i, ctx->skip_bad);
				if (bad < 0)
					rc = -1;
				else if (!bad) {
					docs++;
					bytes += b.docs[i].text_len;
				}
			}
			llm_progress_add(&prog, b.n, b.bytes);
			b.bytes = 0;
		}
		if (!rc && g < 0)
			rc = -1;
		llm_manifest_count(ctx->manifest, "bad_records", (int64_t)b.bad);
		docbatch_free(&b);
		c.batch = NULL;
		llm_in_close(in);
	}
	for (int i = 1; i < nw; i++) {
		llm_bpe_counts_merge(c.counts[0], c.counts[i]);
		llm_bpe_counts_free(c.counts[i]);
		c.counts[i] = NULL;
	}
	llm_progress_finish(&prog);
	double t1 = llm_now();
	struct llm_bpe_result res = {0};
	if (!rc) {
		struct llm_bpe_train_opts o = {
			.vocab_size = (uint32_t)llm_config_int(&ctx->cfg, "vocab_size"),
			.min_frequency = (uint64_t)llm_config_int(&ctx->cfg, "min_frequency"),
			.pretok = c.kind,
			.special = special,
			.n_special = n_special,
		};
		rc = llm_bpe_train(c.counts[0], &o, &res);
	}
	double t2 = llm_now();
	if (!rc) {
		/* the file must load in our own loader before it is published */
		struct llm_tokenizer *check = llm_tokenizer_load_hf_mem(res.json, res.json_len, ctx->output);
		if (!check)
			rc = llm_error("internal error: the trained tokenizer.json does not load back");
		llm_tokenizer_free(check);
	}
	if (!rc)
		rc = llm_atomic_write_file(ctx->output, res.json, res.json_len);
	if (!rc) {
		struct llm_manifest *m = ctx->manifest;
		llm_manifest_count(m, "documents", (int64_t)docs);
		llm_manifest_count(m, "bytes_in", (int64_t)bytes);
		llm_manifest_count(m, "distinct_words", (int64_t)res.n_words);
		llm_manifest_count(m, "vocab_size", (int64_t)res.n_vocab);
		llm_manifest_count(m, "merges", (int64_t)res.n_merges);
		cJSON *tr = cJSON_CreateObject();
		cJSON_AddNumberToObject(tr, "count_seconds", t1 - t0);
		cJSON_AddNumberToObject(tr, "merge_seconds", t2 - t1);
		cJSON_AddStringToObject(tr, "pre_tokenizer", llm_pretok_name(c.kind));
		llm_manifest_set(m, "training", tr);
		llm_info("trained %u tokens (%u merges) on %llu documents, %llu distinct words: counting "
			 "%.2f s, merging %.2f s", res.n_vocab, res.n_merges, (unsigned long long)docs,
			 (unsigned long long)res.n_words, t1 - t0, t2 - t1);
	}
	free(res.json);
	llm_bpe_counts_free(c.counts[0]);
	free(c.counts);
	free(special);
	llm_pool_free(pool);
	return rc ? 1 : 0;
}

static const char *const train_exts[] = {".jsonl", ".jsonl.gz", ".json", ".json.gz", NULL};

const struct llm_stage tokenize_train_stage = {
	.name = "train",
	.summary = "learn a byte-level BPE vocabulary from JSONL(.gz) documents -> tokenizer.json",
	.usage = "[options] DOCS... -o tokenizer.json",
	.description = "Counts the pre-tokenized words of every document (in parallel), then merges the "
		       "most frequent pair until vocab_size tokens exist, breaking ties as Hugging Face's "
		       "BpeTrainer does.  The output is a tokenizer.json that tokenizers and transformers "
		       "load, with the special tokens first.",
	.keys = train_keys,
	.options = train_options,
	.min_inputs = 1,
	.max_inputs = -1,
	.output = LLM_OUTPUT_FILE,
	.input_exts = train_exts,
	.run = train_run,
};
