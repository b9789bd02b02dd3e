/*
 * encode.c: llmake-tokenize encode: JSONL(.gz) documents -> token shards
 * (llm.c format + document index, see lib/shard.h).
 *
 * Documents are read in order, tokenized in batches on the thread pool
 * (one result slot per document), and written in input order, so the
 * shards are byte-identical for any thread count.  Each document becomes
 * <EOT> + its tokens (llm.c's convention) and goes to the validation split
 * when the xxh3 hash of its id falls under val_fraction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomic.h"
#include "docbatch.h"
#include "hash.h"
#include "jsonl.h"
#include "log.h"
#include "pool.h"
#include "shard.h"
#include "tokenize.h"

static const struct llm_key encode_keys[] = {
	{"tokenizer", LLM_T_STRING, "null", "tokenizer.json (Hugging Face) or *.tiktoken rank file", 0, 0,
	 NULL},
	{"pattern", LLM_T_STRING, "\"auto\"",
	 "split regex of a .tiktoken file: auto (from the file name), gpt2 or cl100k", 0, 0,
	 "auto|gpt2|cl100k"},
	{"shard_tokens", LLM_T_INT, "100000000",
	 "tokens per shard (a shard closes before the document that would pass it)", 1, 2147483647.0, NULL},
	{"val_fraction", LLM_T_FLOAT, "0.001", "share of documents (by id hash) in the validation split",
	 0, 1, NULL},
	{"split_seed", LLM_T_INT, "0", "seed of the id hash that picks the validation documents", 0,
	 1e18, NULL},
	{"batch_bytes", LLM_T_INT, "8388608", "input bytes parsed and tokenized per parallel batch", 1,
	 1e12, NULL},
	{NULL},
};

static const struct llm_option encode_options[] = {
	{"tokenizer", 't', "tokenizer", "FILE", "tokenizer.json or .tiktoken file"},
	{"pattern", 0, "pattern", "NAME", "split regex for a .tiktoken file (gpt2, cl100k)"},
	{"shard-tokens", 0, "shard_tokens", "N", "tokens per shard"},
	{"val-fraction", 0, "val_fraction", "F", "share of documents in the validation split"},
	{NULL},
};

enum { SPLIT_TRAIN, SPLIT_VAL, N_SPLITS };
static const char *const split_name[N_SPLITS] = {"train", "val"};

struct encoder {
	struct llm_ctx *ctx;
	struct llm_tokenizer *tok;
	uint32_t eot;
	uint64_t shard_tokens;
	uint64_t val_cut, seed;
	size_t batch_bytes;
	struct docbatch *batch;
	struct llm_tokens *ids; /* one slot per document of the batch */
	uint8_t *split;
	size_t cap_slots;
	struct llm_shard_writer *w[N_SPLITS];
	int next_index[N_SPLITS];
	uint64_t docs_out[N_SPLITS], tokens_out[N_SPLITS], bytes_in;
	struct llm_strv written;
	struct llm_progress progress;
	double parallel_cpu, parallel_wall, main_cpu0; /* calling thread's CPU / wall time in the parallel phase */
};

static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* On a worker: parse line i, pick its split, tokenize it. */
static void encode_one(void *ctx, size_t i, int worker)
{
	(void)worker;
	struct encoder *e = ctx;
	docbatch_parse(e->batch, i);
	const struct docbatch_doc *d = &e->batch->docs[i];
	struct llm_tokens *t = &e->ids[i];
	t->n = 0;
	if (d->err)
		return;
	e->split[i] = llm_hash64(d->id_ptr, d->id_len, e->seed) % 1000000 < e->val_cut ? SPLIT_VAL : SPLIT_TRAIN;
	llm_tokens_push(t, e->eot);
	llm_tokenizer_encode(e->tok, d->text, d->text_len, 0, t);
}

static int open_shard(struct encoder *e, int s)
{
	char *name;
	if (e->ctx->shard_n > 1)
		name = llm_asprintf("%s/%s_%03d_%06d.bin", e->ctx->output, split_name[s], e->ctx->shard_i,
				    e->next_index[s]);
	else
		name = llm_asprintf("%s/%s_%06d.bin", e->ctx->output, split_name[s], e->next_index[s]);
	e->next_index[s]++;
	e->w[s] = llm_shard_writer_open(name, llm_tokenizer_n_vocab(e->tok), e->eot);
	if (e->w[s])
		llm_strv_push(&e->written, name);
	free(name);
	return e->w[s] ? 0 : -1;
}

static int close_shard(struct encoder *e, int s)
{
	if (!e->w[s])
		return 0;
	int rc = llm_shard_writer_commit(e->w[s]);
	e->w[s] = NULL;
	if (!rc)
		llm_manifest_count(e->ctx->manifest, "shards", 1);
	return rc;
}

static int encode_batch(struct encoder *e, struct llm_pool *pool)
{
	struct docbatch *b = e->batch;
	if (b->n > e->cap_slots) {
		e->ids = llm_realloc(e->ids, b->n * sizeof(*e->ids));
		memset(e->ids + e->cap_slots, 0, (b->n - e->cap_slots) * sizeof(*e->ids));
		e->split = llm_realloc(e->split, b->n);
		e->cap_slots = b->n;
	}
	double t0 = thread_cpu(), w0 = llm_now();
	llm_pool_for(pool, b->n, encode_one, e);
	e->parallel_cpu += thread_cpu() - t0;
	e->parallel_wall += llm_now() - w0;
	int rc = 0;
	for (size_t i = 0; i < b->n && !rc; i++) {
		int bad = docbatch_check(b, i, e->ctx->skip_bad);
		if (bad < 0)
			return -1;
		if (bad)
			continue;
		struct llm_tokens *t = &e->ids[i];
		int s = e->split[i];
		if (e->w[s] && llm_shard_writer_tokens(e->w[s]) > 0 &&
		    llm_shard_writer_tokens(e->w[s]) + t->n > e->shard_tokens)
			rc = close_shard(e, s);
		if (!rc && !e->w[s])
			rc = open_shard(e, s);
		if (!rc)
			rc = llm_shard_writer_add(e->w[s], t->ids, t->n);
		e->docs_out[s]++;
		e->tokens_out[s] += t->n;
		e->bytes_in += b->docs[i].text_len;
	}
	llm_progress_add(&e->progress, b->n, b->bytes);
	b->bytes = 0;
	return rc;
}

static int encode_run(struct llm_ctx *ctx)
{
	struct encoder e = {.ctx = ctx};
	e.main_cpu0 = thread_cpu();
	e.tok = tokenize_load(ctx);
	if (!e.tok)
		return 1;
	int64_t eot = llm_tokenizer_eot(e.tok);
	if (eot < 0) {
		llm_error("tokenizer '%s' has no end-of-text token (<|endoftext|>, <|end_of_text|>, </s>); "
			  "hint: train it with special token <|endoftext|>", llm_config_str(&ctx->cfg, "tokenizer"));
		llm_tokenizer_free(e.tok);
		return 1;
	}
	e.eot = (uint32_t)eot;
	e.shard_tokens = (uint64_t)llm_config_int(&ctx->cfg, "shard_tokens");
	e.val_cut = (uint64_t)(llm_config_float(&ctx->cfg, "val_fraction") * 1e6 + 0.5);
	e.seed = (uint64_t)llm_config_int(&ctx->cfg, "split_seed");
	e.batch_bytes = (size_t)llm_config_int(&ctx->cfg, "batch_bytes");
	if (llm_mkdir_p(ctx->output) != 0) {
		llm_tokenizer_free(e.tok);
		return 1; /* llm_mkdir_p named the directory and the reason */
	}
	struct llm_pool *pool = llm_pool_new(ctx->threads);
	llm_progress_init(&e.progress, "encode", 0, 0);
	int rc = 0;
	uint64_t bad = 0;
	for (int f = 0; f < ctx->inputs.n && !rc; f++) {
		struct llm_in *in = llm_in_open(ctx->inputs.v[f]);
		if (!in) {
			rc = -1;
			break;
		}
		struct docbatch b;
		docbatch_init(&b, ctx->inputs.v[f], in, ctx->max_line);
		e.batch = &b;
		int g = 0;
		while (!rc && (g = docbatch_fill(&b, e.batch_bytes)) == 1)
			rc = encode_batch(&e, pool);
		if (!rc && g < 0)
			rc = -1;
		bad += b.bad;
		docbatch_free(&b);
		e.batch = NULL;
		llm_in_close(in);
	}
	uint64_t bytes_in = e.bytes_in;
	for (int s = 0; s < N_SPLITS; s++) {
		if (!rc)
			rc = close_shard(&e, s);
		else
			llm_shard_writer_abort(e.w[s]);
	}
	llm_progress_finish(&e.progress);
	struct llm_manifest *m = ctx->manifest;
	llm_manifest_count(m, "documents", (int64_t)(e.docs_out[0] + e.docs_out[1]));
	llm_manifest_count(m, "tokens", (int64_t)(e.tokens_out[0] + e.tokens_out[1]));
	llm_manifest_count(m, "train_documents", (int64_t)e.docs_out[SPLIT_TRAIN]);
	llm_manifest_count(m, "val_documents", (int64_t)e.docs_out[SPLIT_VAL]);
	llm_manifest_count(m, "train_tokens", (int64_t)e.tokens_out[SPLIT_TRAIN]);
	llm_manifest_count(m, "val_tokens", (int64_t)e.tokens_out[SPLIT_VAL]);
	llm_manifest_count(m, "bytes_in", (int64_t)bytes_in);
	llm_manifest_count(m, "bad_records", (int64_t)bad);
	if (!rc) {
		cJSON *info = cJSON_CreateObject();
		cJSON_AddNumberToObject(info, "vocab_size", llm_tokenizer_n_vocab(e.tok));
		cJSON_AddNumberToObject(info, "eot_id", e.eot);
		cJSON_AddStringToObject(info, "dtype", llm_tokenizer_n_vocab(e.tok) <= 65536 ? "uint16" : "uint32");
		cJSON_AddStringToObject(info, "pre_tokenizer", llm_pretok_name(llm_tokenizer_pretok(e.tok)));
		cJSON *files = cJSON_AddArrayToObject(info, "shards");
		for (int i = 0; i < e.written.n; i++)
			cJSON_AddItemToArray(files, cJSON_CreateString(llm_basename(e.written.v[i])));
		llm_manifest_set(m, "shards", info);
		/* with -j 1 the parallel phase runs on this thread: its share of the
		 * CPU time bounds the speed-up more threads can give (Amdahl) */
		cJSON *tm = cJSON_CreateObject();
		cJSON_AddNumberToObject(tm, "parallel_phase_wall_seconds", e.parallel_wall);
		cJSON_AddNumberToObject(tm, "main_thread_cpu_seconds", thread_cpu() - e.main_cpu0);
		cJSON_AddNumberToObject(tm, "main_thread_parallel_phase_cpu_seconds", e.parallel_cpu);
		llm_manifest_set(m, "timing", tm);
		for (int i = 0; i < e.written.n && !rc; i++) {
			rc = llm_manifest_add_output(m, e.written.v[i]);
			char *ip = llm_shard_index_path(e.written.v[i]);
			if (!rc)
				rc = llm_manifest_add_output(m, ip);
			free(ip);
		}
		double secs = llm_now() - e.progress.start;
		llm_info("encoded %llu documents, %llu tokens (%llu train, %llu val) into %d shards in %.2f s "
			 "(%.1f MB/s)", (unsigned long long)(e.docs_out[0] + e.docs_out[1]),
			 (unsigned long long)(e.tokens_out[0] + e.tokens_out[1]),
			 (unsigned long long)e.tokens_out[0], (unsigned long long)e.tokens_out[1],
			 e.written.n, secs, secs > 0 ? (double)bytes_in / secs / 1e6 : 0.0);
	}
	for (size_t i = 0; i < e.cap_slots; i++)
		llm_tokens_free(&e.ids[i]);
	free(e.ids);
	free(e.split);
	llm_strv_free(&e.written);
	llm_pool_free(pool);
	llm_tokenizer_free(e.tok);
	return rc ? 1 : 0;
}

static const char *const encode_exts[] = {".jsonl", ".jsonl.gz", ".json", ".json.gz", NULL};

const struct llm_stage tokenize_encode_stage = {
	.name = "encode",
	.summary = "tokenize JSONL(.gz) documents into token shards (llm.c format + document index)",
	.usage = "-t TOKENIZER [options] DOCS... -o DIR",
	.description = "Writes DIR/train_NNNNNN.bin and DIR/val_NNNNNN.bin (with --shard I/N: "
		       "DIR/train_III_NNNNNN.bin), each with a .idx document index.  Every document is "
		       "<EOT> followed by its tokens; the validation split is chosen by the hash of the "
		       "document id.  Token width is uint16 when the vocabulary fits, else uint32.  "
		       "Special-token text inside documents is encoded as ordinary text.",
	.keys = encode_keys,
	.options = encode_options,
	.min_inputs = 1,
	.max_inputs = -1,
	.output = LLM_OUTPUT_DIR,
	.shardable = true,
	.input_exts = encode_exts,
	.run = encode_run,
};
