/*
 * llmake-generate: text generation from an llmake checkpoint (an HF folder:
 * config.json + model.safetensors + tokenizer.json) with a KV cache.
 *
 *   llmake-generate -m MODEL --prompt TEXT [sampling options]
 *       streams the continuation to stdout as it is generated
 *   llmake-generate -m MODEL PROMPTS.jsonl -o OUT.jsonl
 *       batch mode: one {"prompt": ...} (or "text") per line in, one
 *       {"id","prompt","completion","completion_ids","prompt_tokens","generated_tokens",
 *        "prompt_dropped","stop_reason","prompt_tokens_per_s",
 *        "gen_tokens_per_s"} per line out
 * Prompt and generation tokens/s are reported on stderr (and in the
 * manifest in batch mode).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "blas.h"
#include "io.h"
#include "generate.h"
#include "jsonl.h"
#include "log.h"
#include "stage.h"
#include "util.h"

static const struct llm_key gen_keys[] = {
	{"model", LLM_T_STRING, "null", "checkpoint folder (config.json, model.safetensors, tokenizer.json)", 0, 0, NULL},
	{"tokenizer", LLM_T_STRING, "null", "tokenizer.json / .tiktoken (default: MODEL/tokenizer.json)", 0, 0, NULL},
	{"prompt", LLM_T_STRING, "null", "prompt text (without batch inputs)", 0, 0, NULL},
	{"prompts", LLM_T_STRINGS, "[]", "several prompts (each generated in turn)", 0, 0, NULL},
	{"prompt_key", LLM_T_STRING, "\"prompt\"", "batch mode: the JSONL field holding the prompt (falls back to \"text\")", 0, 0, NULL},
	{"max_tokens", LLM_T_INT, "128", "new tokens at most", 1, 1e9, NULL},
	{"temperature", LLM_T_FLOAT, "0", "sampling temperature (0 = greedy)", 0, 1e6, NULL},
	{"top_k", LLM_T_INT, "0", "keep the k most likely tokens (0 = off)", 0, 1e9, NULL},
	{"top_p", LLM_T_FLOAT, "1", "nucleus sampling mass (1 = off)", 0, 1, NULL},
	{"min_p", LLM_T_FLOAT, "0", "drop tokens below min_p x the top probability (0 = off)", 0, 1, NULL},
	{"repetition_penalty", LLM_T_FLOAT, "1", "HF repetition penalty over the context (1 = off)", 0, 1e6, NULL},
	{"seed", LLM_T_INT, "0", "sampling seed", 0, 9e15, NULL},
	{"stop", LLM_T_STRINGS, "[]", "stop strings (the text ends before the first one)", 0, 0, NULL},
	{"stop_at_eos", LLM_T_BOOL, "true", "stop at the end-of-text token", 0, 0, NULL},
	{NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const struct llm_option gen_options[] = {
	{"model", 'm', "model", "DIR", "checkpoint folder"},
	{"tokenizer", 0, "tokenizer", "FILE", "tokenizer (default MODEL/tokenizer.json)"},
	{"prompt", 'p', "prompt", "TEXT", "prompt text"},
	{"max-tokens", 'n', "max_tokens", "N", "new tokens at most"},
	{"temperature", 0, "temperature", "T", "0 = greedy"},
	{"top-k", 0, "top_k", "K", "top-k filter"},
	{"top-p", 0, "top_p", "P", "nucleus filter"},
	{"min-p", 0, "min_p", "P", "min-p filter"},
	{"repetition-penalty", 0, "repetition_penalty", "R", "HF repetition penalty"},
	{"seed", 0, "seed", "N", "sampling seed"},
	{"stop", 0, "stop", "JSON", "stop strings as a JSON array, e.g. '[\"\\n\\n\"]'"},
	{NULL, 0, NULL, NULL, NULL},
};

static const char *const jsonl_exts[] = {".jsonl", ".jsonl.gz", ".json", NULL};

static void emit_stdout(void *ctx, const char *text, size_t n)
{
	(void)ctx;
	fwrite(text, 1, n, stdout);
	fflush(stdout);
}

static void report(const char *what, const struct llm_generation *g)
{
	llm_info("%s: prompt %zu tokens (%.1f tok/s)%s, generated %zu tokens (%.1f tok/s), stop: %s",
		 what, g->prompt_tokens,
		 g->prompt_seconds > 0 ? (double)g->prompt_tokens / g->prompt_seconds : 0.0,
		 g->prompt_dropped ? " [left-truncated]" : "", g->gen_tokens,
		 g->gen_seconds > 0 ? (double)g->gen_tokens / g->gen_seconds : 0.0, g->stop_reason);
	if (g->prompt_dropped)
		llm_warn("%s: prompt longer than the context: dropped its first %zu tokens", what,
			 g->prompt_dropped);
}

static int gen_run(struct llm_ctx *ctx)
{
	const struct llm_config *cfg = &ctx->cfg;
	const char *model_dir = llm_config_str(cfg, "model");
	if (!model_dir)
		return llm_usage_error(ctx, "no model: give -m DIR (a checkpoint folder)");
	const char *prompt = llm_config_str(cfg, "prompt");
	const cJSON *prompts = llm_config_get(cfg, "prompts");
	bool batch = ctx->inputs.n > 0;
	if (!batch && !prompt && cJSON_GetArraySize(prompts) == 0)
		return llm_usage_error(ctx, "no prompt: give --prompt TEXT or a JSONL file of prompts");
	if (batch && !ctx->output)
		return llm_usage_error(ctx, "batch mode (JSONL prompts) needs -o OUT.jsonl");
	struct llm_generate_opts go;
	memset(&go, 0, sizeof(go));
	llm_sampler_opts_default(&go.sampling);
	go.sampling.temperature = (float)llm_config_float(cfg, "temperature");
	go.sampling.top_k = (int)llm_config_int(cfg, "top_k");
	go.sampling.top_p = (float)llm_config_float(cfg, "top_p");
	go.sampling.min_p = (float)llm_config_float(cfg, "min_p");
	go.sampling.repetition_penalty = (float)llm_config_float(cfg, "repetition_penalty");
	go.sampling.seed = (uint64_t)llm_config_int(cfg, "seed");
	if (llm_sampler_opts_check(&go.sampling))
		return 2;
	go.max_tokens = (int)llm_config_int(cfg, "max_tokens");
	go.stop_at_eos = llm_config_bool(cfg, "stop_at_eos");
	const cJSON *stop = llm_config_get(cfg, "stop");
	int n_stop = cJSON_GetArraySize(stop);
	const char **stops = llm_calloc((size_t)n_stop + 1, sizeof(char *));
	for (int i = 0; i < n_stop; i++)
		stops[i] = cJSON_GetArrayItem(stop, i)->valuestring;
	go.stop = stops;

	llm_blas_set_threads(ctx->threads);
	struct llm_model m;
	struct llm_tokenizer *tok;
	if (llm_generate_load(model_dir, llm_config_str(cfg, "tokenizer"), &m, &tok)) {
		free(stops);
		return 1;
	}
	go.eos_id = m.cfg.eos_token_id >= 0 ? m.cfg.eos_token_id : llm_tokenizer_eot(tok);
	/* one token at a time is little work: a thread per ~250 MFLOP of it, at
	 * most -j (splitting a small model's products costs more in
	 * synchronisation than it saves, badly so on a busy machine) */
	double flops_per_token = 2.0 * (double)m.n_params;
	int threads = (int)LLM_MIN((double)ctx->threads, LLM_MAX(1.0, flops_per_token / 250e6));
	llm_blas_set_threads(threads);
	llm_debug("decoding with %d thread%s (%.1f MFLOP per token)", threads, threads == 1 ? "" : "s",
		  flops_per_token / 1e6);
	struct llm_kv_cache kv;
	llm_kv_cache_init(&kv, &m, m.cfg.max_position_embeddings);
	struct llm_sampler smp;
	llm_sampler_init(&smp, &go.sampling, m.cfg.vocab_size);
	int rc = 0;
	uint64_t tot_p = 0, tot_g = 0;
	double sec_p = 0, sec_g = 0;
	if (!batch) {
		int n = prompt ? 1 : cJSON_GetArraySize(prompts);
		for (int i = 0; i < n && !rc; i++) {
			const char *pt = prompt ? prompt : cJSON_GetArrayItem(prompts, i)->valuestring;
			struct llm_generation g;
			if (llm_generate(&m, tok, &kv, &smp, &go, pt, strlen(pt), emit_stdout, NULL, &g)) {
				rc = 1;
				break;
			}
			fputc('\n', stdout);
			fflush(stdout);
			report("generate", &g);
			tot_p += g.prompt_tokens, tot_g += g.gen_tokens;
			sec_p += g.prompt_seconds, sec_g += g.gen_seconds;
			llm_generation_free(&g);
		}
	} else {
		struct llm_jsonl_writer *w = llm_jsonl_writer_open(ctx->output);
		const char *key = llm_config_str(cfg, "prompt_key");
		uint64_t n_bad = 0, n_out = 0;
		for (int f = 0; f < ctx->inputs.n && !rc && w; f++) {
			struct llm_jsonl_opts jo = {.max_line = ctx->max_line, .skip_bad = ctx->skip_bad};
			/* records need a prompt, not "text": read lines as JSON ourselves */
			struct llm_in *in = llm_in_open(ctx->inputs.v[f]);
			if (!in) {
				rc = 1;
				break;
			}
			(void)jo;
			struct llm_buf line = LLM_BUF_INIT;
			int r;
			while ((r = llm_in_getline(in, &line, ctx->max_line)) != 0) {
				uint64_t ln = llm_in_line(in), off = llm_in_line_offset(in);
				if (r == -1) {
					rc = 1;
					break;
				}
				if (r == -2) {
					if (llm_jsonl_report_bad(ctx->inputs.v[f], ln, off, "line too long",
								 ctx->skip_bad, &n_bad)) {
						rc = 1;
						break;
					}
					continue;
				}
				llm_buf_putc(&line, '\0');
				if (strspn(line.data, " \t\r") == line.len - 1)
					continue;
				cJSON *o = cJSON_Parse(line.data);
				const cJSON *pv = cJSON_GetObjectItemCaseSensitive(o, key);
				if (!cJSON_IsString(pv))
					pv = cJSON_GetObjectItemCaseSensitive(o, "text");
				if (!cJSON_IsString(pv)) {
					char msg[160];
					snprintf(msg, sizeof(msg), "%s", o ? "expected a string \"prompt\" (or \"text\")"
									   : "invalid JSON");
					cJSON_Delete(o);
					if (llm_jsonl_report_bad(ctx->inputs.v[f], ln, off, msg, ctx->skip_bad,
								 &n_bad)) {
						rc = 1;
						break;
					}
					continue;
				}
				struct llm_generation g;
				if (llm_generate(&m, tok, &kv, &smp, &go, pv->valuestring,
						 strlen(pv->valuestring), NULL, NULL, &g)) {
					cJSON_Delete(o);
					rc = 1;
					break;
				}
				cJSON *out = cJSON_CreateObject();
				const cJSON *idv = cJSON_GetObjectItemCaseSensitive(o, "id");
				if (idv)
					cJSON_AddItemToObject(out, "id", cJSON_Duplicate(idv, 1));
				cJSON_AddStringToObject(out, "prompt", pv->valuestring);
				cJSON_AddStringToObject(out, "completion", g.text.data ? g.text.data : "");
				cJSON *ids = cJSON_AddArrayToObject(out, "completion_ids");
				for (size_t k = 0; k < g.ids.n; k++)
					cJSON_AddItemToArray(ids, cJSON_CreateNumber(g.ids.ids[k]));
				cJSON_AddNumberToObject(out, "prompt_tokens", (double)g.prompt_tokens);
				cJSON_AddNumberToObject(out, "generated_tokens", (double)g.gen_tokens);
				cJSON_AddNumberToObject(out, "prompt_dropped", (double)g.prompt_dropped);
				cJSON_AddStringToObject(out, "stop_reason", g.stop_reason);
				cJSON_AddNumberToObject(out, "prompt_tokens_per_s",
							g.prompt_seconds > 0 ? (double)g.prompt_tokens / g.prompt_seconds : 0);
				cJSON_AddNumberToObject(out, "gen_tokens_per_s",
							g.gen_seconds > 0 ? (double)g.gen_tokens / g.gen_seconds : 0);
				if (g.prompt_dropped)
					llm_warn("'%s' line %" PRIu64 ": prompt longer than the context: dropped "
						 "its first %zu tokens", ctx->inputs.v[f], ln, g.prompt_dropped);
				if (llm_jsonl_write(w, out))
					rc = 1;
				n_out++;
				tot_p += g.prompt_tokens, tot_g += g.gen_tokens;
				sec_p += g.prompt_seconds, sec_g += g.gen_seconds;
				cJSON_Delete(out);
				cJSON_Delete(o);
				llm_generation_free(&g);
				if (rc)
					break;
			}
			llm_buf_free(&line);
			llm_in_close(in);
		}
		if (!w)
			rc = 1;
		else if (rc)
			llm_jsonl_writer_abort(w);
		else if (llm_jsonl_writer_commit(w))
			rc = 1;
		llm_manifest_count(ctx->manifest, "prompts", (int64_t)n_out);
		llm_manifest_count(ctx->manifest, "skipped_bad", (int64_t)n_bad);
	}
	if (!rc) {
		llm_info("total: prompt %" PRIu64 " tokens at %.1f tok/s, generated %" PRIu64
			 " tokens at %.1f tok/s", tot_p, sec_p > 0 ? (double)tot_p / sec_p : 0.0, tot_g,
			 sec_g > 0 ? (double)tot_g / sec_g : 0.0);
		cJSON *s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "prompt_tokens", (double)tot_p);
		cJSON_AddNumberToObject(s, "generated_tokens", (double)tot_g);
		cJSON_AddNumberToObject(s, "prompt_tokens_per_s", sec_p > 0 ? (double)tot_p / sec_p : 0);
		cJSON_AddNumberToObject(s, "gen_tokens_per_s", sec_g > 0 ? (double)tot_g / sec_g : 0);
		llm_manifest_set(ctx->manifest, "generation", s);
	}
	llm_sampler_free(&smp);
	llm_kv_cache_free(&kv);
	llm_tokenizer_free(tok);
	llm_model_free(&m);
	free(stops);
	return rc;
}

static const struct llm_stage gen_stage = {
	.name = "generate",
	.summary = "generate text from an llmake checkpoint (KV cache; greedy or sampled)",
	.usage = "-m MODEL --prompt TEXT [options] | -m MODEL PROMPTS.jsonl -o OUT.jsonl",
	.description =
		"Loads an HF folder (config.json, model.safetensors, tokenizer.json; a tokenizer\n"
		"whose vocabulary does not match the model is refused).  With --prompt the\n"
		"continuation streams to stdout; with JSONL inputs each line's \"prompt\" (or\n"
		"\"text\") is generated and written to -o as JSONL.  Sampling follows HF\n"
		"transformers' generate(): repetition penalty, then temperature, top-k, top-p,\n"
		"min-p; temperature 0 is greedy.  A prompt longer than the context minus\n"
		"max_tokens is truncated from the left (reported).  Prompt and generation\n"
		"tokens/s go to stderr.  -j is an upper bound: decoding uses one thread per\n"
		"~250 MFLOP of work per token.",
	.keys = gen_keys,
	.options = gen_options,
	.min_inputs = 0,
	.max_inputs = -1,
	.output = LLM_OUTPUT_OPTIONAL,
	.shardable = false,
	.input_exts = jsonl_exts,
	.run = gen_run,
};

int main(int argc, char **argv)
{
	return llm_stage_main(&gen_stage, argc, argv);
}
