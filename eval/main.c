/*
 * llmake-eval: scores an llmake checkpoint the way lm-eval-harness does
 * (multiple-choice acc / acc_norm, plus acc_bytes, WinoGrande partial scoring, LAMBADA
 * accuracy and perplexity) and measures loss, perplexity and bits-per-byte
 * on token shards or raw JSONL text.
 *
 *   llmake-eval -m MODEL --tasks hellaswag,arc_easy [--limit N] -o results.json
 *   llmake-eval -m MODEL val_000000.bin docs.jsonl -o results.json
 *
 * Tasks are JSON files (eval/tasks/NAME.json, see lib/eval_task.h); a task
 * name is looked up in task_dir, a path ending in .json is read as is.
 * results.json holds, per task and metric, {"value", "stderr", "n"}, plus
 * the model's and the data's provenance; --per-item FILE.jsonl writes every
 * item's log-likelihoods and predictions.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomic.h"
#include "blas.h"
#include "config.h"
#include "eval.h"
#include "eval_task.h"
#include "generate.h"
#include "hash.h"
#include "jsonl.h"
#include "log.h"
#include "pool.h"
#include <omp.h>
#include "stage.h"
#include "util.h"
#include "version.h"

static const struct llm_key eval_keys[] = {
	{"model", LLM_T_STRING, "null", "checkpoint folder (config.json, model.safetensors, tokenizer.json)", 0, 0, NULL},
	{"tokenizer", LLM_T_STRING, "null", "tokenizer.json / .tiktoken (default: MODEL/tokenizer.json)", 0, 0, NULL},
	{"tasks", LLM_T_STRING, "null", "comma-separated task names (files TASK_DIR/NAME.json) or task file paths", 0, 0, NULL},
	{"task_dir", LLM_T_STRING, "null", "folder of task files (default: eval/tasks beside the binary's ../)", 0, 0, NULL},
	{"data_dir", LLM_T_STRING, "null", "folder a task's relative \"data\" is resolved in (default: the task file's folder)", 0, 0, NULL},
	{"limit", LLM_T_INT, "0", "score only the first N items of each task (0 = all)", 0, 1e12, NULL},
	{"num_fewshot", LLM_T_INT, "-1", "few-shot examples per prompt (-1 = each task's own)", -1, 1000, NULL},
	{"max_length", LLM_T_INT, "0", "context window for task requests (0 = max_position_embeddings)", 0, 1e8, NULL},
	{"per_item", LLM_T_STRING, "null", "write every item's scores to this JSONL file", 0, 0, NULL},
	{"ctx", LLM_T_INT, "0", "loss/bpb: window length T (0 = max_position_embeddings)", 0, 1e8, NULL},
	{"stride", LLM_T_INT, "0", "loss/bpb: window step (0 = T/2); each token is scored once", 0, 1e8, NULL},
	{"batch", LLM_T_INT, "4", "loss/bpb: windows per forward pass", 1, 1e6, NULL},
	{"text_key", LLM_T_STRING, "\"text\"", "loss/bpb on JSONL: the text field", 0, 0, NULL},
	{NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const struct llm_option eval_options[] = {
	{"model", 'm', "model", "DIR", "checkpoint folder"},
	{"tokenizer", 0, "tokenizer", "FILE", "tokenizer (default MODEL/tokenizer.json)"},
	{"tasks", 't', "tasks", "LIST", "comma-separated task names or files"},
	{"task-dir", 0, "task_dir", "DIR", "folder of task files"},
	{"data-dir", 0, "data_dir", "DIR", "folder of the tasks' data files"},
	{"limit", 0, "limit", "N", "first N items of each task"},
	{"num-fewshot", 0, "num_fewshot", "K", "few-shot examples (overrides the tasks')"},
	{"max-length", 0, "max_length", "N", "context window for task requests"},
	{"per-item", 0, "per_item", "FILE", "per-item scores (JSONL)"},
	{"ctx", 0, "ctx", "T", "loss/bpb window"},
	{"stride", 0, "stride", "S", "loss/bpb window step"},
	{NULL, 0, NULL, NULL, NULL},
};

static const char *const lm_exts[] = {".bin", ".jsonl", ".jsonl.gz", NULL};

struct evaluator {
	struct llm_ctx *ctx;
	struct llm_model m;
	struct llm_tokenizer *tok;
	struct llm_eval_scorer *sc; /* one per worker */
	struct llm_pool *pool;
	struct llm_jsonl_writer *per_item;
	cJSON *results, *tasks_info;
	const char *model_dir, *tok_path;
};

/* ----------------------------------------------------------------------------
 * helpers */

static cJSON *metric(double value, double stderr_, double n)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "value", isfinite(value) ? value : 0);
	cJSON_AddNumberToObject(o, "stderr", isfinite(stderr_) ? stderr_ : 0);
	cJSON_AddNumberToObject(o, "n", n);
	return o;
}

static cJSON *file_info(const char *path)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "path", path);
	uint64_t h = 0, size = 0;
	if (llm_hash_file(path, &h, &size) == 0) {
		char hex[17];
		cJSON_AddNumberToObject(o, "size", (double)size);
		cJSON_AddStringToObject(o, "xxh3", llm_hash_hex(h, hex));
	}
	return o;
}

/* The manifest.json of the stage that produced DIR (a checkpoint, a shard
 * folder): DIR/manifest.json or its parent's, trimmed to provenance. */
static cJSON *model_manifest(const char *dir)
{
	char *p = llm_asprintf("%s/manifest.json", dir);
	struct stat st;
	if (stat(p, &st) != 0) {
		free(p);
		p = llm_asprintf("%s/../manifest.json", dir);
		if (stat(p, &st) != 0) {
			free(p);
			return NULL;
		}
	}
	cJSON *mf = llm_json_read_file(p);
	free(p);
	if (!mf)
		return NULL;
	cJSON *keep = cJSON_CreateObject();
	static const char *const keys[] = {"tool", "version", "git_sha", "git_dirty", "config_hash",
					   "inputs", "counts", "training", "started", NULL};
	for (int i = 0; keys[i]; i++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(mf, keys[i]);
		if (v)
			cJSON_AddItemToObject(keep, keys[i], cJSON_Duplicate(v, 1));
	}
	cJSON_Delete(mf);
	return keep;
}

/* eval/tasks of the source tree the binary was built in: the first
 * ancestor of the binary's folder holding one (bin/, build/asan/bin/...),
 * else ./eval/tasks. */
static char *task_dir_default(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash;
		for (int up = 0; up < 5 && (slash = strrchr(exe, '/')) && slash != exe; up++) {
			*slash = '\0';
			char *d = llm_asprintf("%s/eval/tasks", exe);
			struct stat st;
			if (stat(d, &st) == 0 && S_ISDIR(st.st_mode))
				return d;
			free(d);
		}
	}
	return llm_strdup("eval/tasks");
}

/* ----------------------------------------------------------------------------
 * tasks */

/* Items are scored in parallel, one item per worker at a time, each worker
 * with its own scorer (KV cache) and single-threaded model math: for the
 * small models of ablations this scales better than splitting each tiny
 * matrix product.  Results land in per-item slots, so the output never
 * depends on the thread count. */
struct item_result {
	double *ll, *lln, *llb;
	bool *greedy, trunc;
	int *n_cont;
};

static void item_result_free(struct item_result *r)
{
	free(r->ll);
	free(r->lln);
	free(r->llb);
	free(r->greedy);
	free(r->n_cont);
}

struct task_job {
	struct evaluator *ev;
	struct llm_eval_task *t;
	struct llm_progress *prog;
	struct item_result *res;
	char **prefix; /* few-shot prefix of each item */
	int err;
};

static void score_item(void *ctx, size_t i, int worker)
{
	struct task_job *job = ctx;
	const struct llm_eval_task *t = job->t;
	const struct llm_eval_item *it = &t->items[i];
	struct llm_eval_scorer *sc = &job->ev->sc[worker];
	struct item_result *r = &job->res[i];
	omp_set_num_threads(1);
	if (__atomic_load_n(&job->err, __ATOMIC_RELAXED))
		return;
	int nc = it->n_choices;
	r->ll = llm_calloc((size_t)nc, sizeof(double));
	r->lln = llm_calloc((size_t)nc, sizeof(double));
	r->llb = llm_calloc((size_t)nc, sizeof(double));
	r->greedy = llm_calloc((size_t)nc, sizeof(bool));
	r->n_cont = llm_calloc((size_t)nc, sizeof(int));
	const char *prefix = job->prefix[i];
	/* the choices of the item share its context; nothing is shared across
	 * items, so the scores are the same bits whatever ran on this worker */
	llm_eval_scorer_forget(sc);
	struct llm_buf cb = LLM_BUF_INIT, tb = LLM_BUF_INIT;
	for (int c = 0; c < nc; c++) {
		llm_buf_reset(&cb);
		llm_buf_puts(&cb, prefix);
		llm_buf_puts(&cb, it->ctx[c]);
		llm_buf_putc(&cb, '\0');
		llm_buf_reset(&tb);
		/* lm-eval's LAMBADA is a loglikelihood task whose target carries its
		 * own space (doc_to_target " " + word): no delimiter in the request */
		llm_buf_puts(&tb, t->format == LLM_EVAL_LAMBADA ? " " : t->target_delim);
		llm_buf_puts(&tb, it->target[c]);
		llm_buf_putc(&tb, '\0');
		struct llm_eval_score s;
		if (llm_eval_score_text(sc, cb.data, tb.data, &s)) {
			llm_error("task '%s': '%s' line %" PRIu64 ": scoring failed", t->name, t->data_path,
				  it->line);
			__atomic_store_n(&job->err, 1, __ATOMIC_RELAXED);
			break;
		}
		r->ll[c] = s.ll;
		/* lm-eval: lls / len(choice), choice = doc_to_choice (the target
		 * without the delimiter), in characters */
		size_t B = strlen(it->target[c]);
		size_t L = llm_eval_char_len(it->target[c], B);
		r->lln[c] = L ? s.ll / (double)L : s.ll;
		/* acc_bytes (newer lm-eval's name): lls / len(choice.encode("utf-8")) */
		r->llb[c] = B ? s.ll / (double)B : s.ll;
		r->greedy[c] = s.greedy;
		r->n_cont[c] = s.n_cont;
		r->trunc |= s.truncated;
	}
	llm_buf_free(&cb);
	llm_buf_free(&tb);
	llm_progress_add(job->prog, 1, 0);
}

static void scorer_stats(const struct evaluator *ev, uint64_t *req, uint64_t *reused,
			 uint64_t *computed)
{
	*req = *reused = *computed = 0;
	for (int w = 0; w < llm_pool_threads(ev->pool); w++) {
		*req += ev->sc[w].n_requests;
		*reused += ev->sc[w].n_ctx_reused;
		*computed += ev->sc[w].n_ctx_tokens;
	}
}

/* The task file of one --tasks entry (a name in task_dir, or a .json
 * path); NULL (printed) when there is none.  Caller frees. */
static char *task_path(const struct llm_config *cfg, const char *spec)
{
	if (llm_str_ends_with(spec, ".json"))
		return llm_strdup(spec);
	const char *td = llm_config_str(cfg, "task_dir");
	char *d = td ? llm_strdup(td) : task_dir_default();
	char *path = llm_asprintf("%s/%s.json", d, spec);
	struct stat st;
	if (stat(path, &st) != 0) {
		llm_error("unknown task '%s': no task file '%s'; hint: add one (see eval/tasks/) "
			  "or give --task-dir", spec, path);
		free(path);
		path = NULL;
	}
	free(d);
	return path;
}

/* --print-files: every task file and the data file it names, so that the
 * experiment planner keys eval by their content (editing a task re-runs
 * eval).  Labels name the task, not where it lives. */
static int eval_config_files(const struct llm_config *cfg, cJSON *files)
{
	const char *tasks = llm_config_str(cfg, "tasks");
	if (!tasks)
		return 0;
	char *s = llm_strdup(tasks), *save = NULL;
	int rc = 0;
	for (char *p = strtok_r(s, ",", &save); p && rc == 0; p = strtok_r(NULL, ",", &save)) {
		if (!*p)
			continue;
		char *path = task_path(cfg, p);
		struct llm_eval_task t;
		if (!path || llm_eval_task_load(&t, path, llm_config_str(cfg, "data_dir")) != 0) {
			if (path)
				llm_eval_task_free(&t);
			free(path);
			rc = -1;
			break;
		}
		char *lt = llm_asprintf("task %s", p), *ld = llm_asprintf("task %s data", p);
		cJSON_AddStringToObject(files, lt, path);
		cJSON_AddStringToObject(files, ld, t.data_path);
		free(lt);
		free(ld);
		llm_eval_task_free(&t);
		free(path);
	}
	free(s);
	return rc;
}

static int run_task(struct evaluator *ev, const char *spec)
{
	const struct llm_config *cfg = &ev->ctx->cfg;
	char *path = task_path(cfg, spec);
	if (!path)
		return -1;
	struct llm_eval_task t;
	int rc = llm_eval_task_load(&t, path, llm_config_str(cfg, "data_dir"));
	free(path);
	if (rc) {
		llm_eval_task_free(&t);
		return -1;
	}
	int64_t nf = llm_config_int(cfg, "num_fewshot");
	if (nf >= 0)
		t.num_fewshot = (int)nf;
	/* every item is read (the few-shot pool); --limit scores the first N */
	if (llm_eval_task_read(&t, ev->ctx->skip_bad, 0)) {
		llm_eval_task_free(&t);
		return -1;
	}
	llm_manifest_add_input(ev->ctx->manifest, t.data_path);
	size_t n = t.n_items, limit = (size_t)llm_config_int(cfg, "limit");
	if (limit && limit < n)
		n = limit;
	llm_manifest_count(ev->ctx->manifest, "items", (int64_t)n);
	llm_manifest_count(ev->ctx->manifest, "skipped_bad_records", (int64_t)t.n_bad);
	double *acc = llm_malloc(n * sizeof(double)), *accn = llm_malloc(n * sizeof(double));
	double *accb = llm_malloc(n * sizeof(double));
	double *ll_item = llm_malloc(n * sizeof(double));
	uint64_t truncated = 0, req0, reused0, computed0;
	scorer_stats(ev, &req0, &reused0, &computed0);
	struct llm_progress prog;
	llm_progress_init(&prog, t.name, n, 0);
	double t0 = llm_now();
	struct task_job job = {.ev = ev, .t = &t, .prog = &prog};
	job.res = llm_calloc(n, sizeof(*job.res));
	/* lm-eval's few-shot generator is shared by the task's items in order */
	job.prefix = llm_eval_task_fewshot_prefixes(&t, n);
	if (!job.prefix)
		rc = -1;
	else
		llm_pool_for(ev->pool, n, score_item, &job);
	if (job.err)
		rc = -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct llm_eval_item *it = &t.items[i];
		struct item_result *ir = &job.res[i];
		int nc = it->n_choices;
		truncated += ir->trunc;
		int pred = llm_eval_argmax(ir->ll, nc), predn = llm_eval_argmax(ir->lln, nc);
		int predb = llm_eval_argmax(ir->llb, nc);
		if (t.format == LLM_EVAL_LAMBADA) {
			acc[i] = ir->greedy[0];
			accn[i] = accb[i] = acc[i];
		} else {
			acc[i] = pred == it->gold;
			accn[i] = predn == it->gold;
			accb[i] = predb == it->gold;
		}
		ll_item[i] = ir->ll[it->gold];
		if (ev->per_item) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "task", t.name);
			cJSON_AddNumberToObject(o, "index", (double)i);
			cJSON_AddNumberToObject(o, "line", (double)it->line);
			cJSON_AddNumberToObject(o, "gold", it->gold);
			if (t.format != LLM_EVAL_LAMBADA) {
				cJSON_AddNumberToObject(o, "pred", pred);
				cJSON_AddNumberToObject(o, "pred_norm", predn);
				cJSON_AddNumberToObject(o, "pred_bytes", predb);
			}
			cJSON_AddNumberToObject(o, "acc", acc[i]);
			if (t.metrics & LLM_EVAL_M_ACC_NORM)
				cJSON_AddNumberToObject(o, "acc_norm", accn[i]);
			if (t.metrics & LLM_EVAL_M_ACC_BYTES)
				cJSON_AddNumberToObject(o, "acc_bytes", accb[i]);
			cJSON *a = cJSON_AddArrayToObject(o, "ll");
			cJSON *g = cJSON_AddArrayToObject(o, "greedy");
			cJSON *nt = cJSON_AddArrayToObject(o, "n_tokens");
			for (int c = 0; c < nc; c++) {
				cJSON_AddItemToArray(a, cJSON_CreateNumber(ir->ll[c]));
				cJSON_AddItemToArray(g, cJSON_CreateBool(ir->greedy[c]));
				cJSON_AddItemToArray(nt, cJSON_CreateNumber(ir->n_cont[c]));
			}
			cJSON_AddBoolToObject(o, "truncated", ir->trunc);
			if (*job.prefix[i])
				cJSON_AddStringToObject(o, "fewshot_prefix", job.prefix[i]);
			if (llm_jsonl_write(ev->per_item, o))
				rc = -1;
			cJSON_Delete(o);
		}
	}
	for (size_t i = 0; i < n; i++) {
		item_result_free(&job.res[i]);
		if (job.prefix)
			free(job.prefix[i]);
	}
	free(job.prefix);
	free(job.res);
	llm_progress_finish(&prog);
	double secs = llm_now() - t0;
	if (rc == 0) {
		cJSON *r = cJSON_CreateObject();
		if (t.metrics & LLM_EVAL_M_ACC)
			cJSON_AddItemToObject(r, "acc", metric(llm_eval_mean(acc, n),
							       llm_eval_mean_stderr(acc, n), (double)n));
		if (t.metrics & LLM_EVAL_M_ACC_NORM)
			cJSON_AddItemToObject(r, "acc_norm", metric(llm_eval_mean(accn, n),
								    llm_eval_mean_stderr(accn, n),
								    (double)n));
		if (t.metrics & LLM_EVAL_M_ACC_BYTES)
			cJSON_AddItemToObject(r, "acc_bytes", metric(llm_eval_mean(accb, n),
								     llm_eval_mean_stderr(accb, n),
								     (double)n));
		if (t.metrics & LLM_EVAL_M_PERPLEXITY) {
			/* lm-eval: exp(-mean(ll)); stderr by the delta method */
			double mu = llm_eval_mean(ll_item, n), ppl = exp(-mu);
			cJSON_AddItemToObject(r, "perplexity",
					      metric(ppl, ppl * llm_eval_mean_stderr(ll_item, n), (double)n));
		}
		cJSON_AddItemToObject(ev->results, t.name, r);
		cJSON *info = cJSON_CreateObject();
		cJSON_AddStringToObject(info, "task_file", t.path);
		cJSON_AddStringToObject(info, "format", llm_eval_format_name(t.format));
		cJSON_AddNumberToObject(info, "num_fewshot", t.num_fewshot);
		if (t.num_fewshot)
			cJSON_AddNumberToObject(info, "fewshot_seed", (double)t.fewshot_seed);
		cJSON_AddNumberToObject(info, "n_items", (double)n);
		cJSON_AddNumberToObject(info, "n_skipped_bad", (double)t.n_bad);
		cJSON_AddNumberToObject(info, "n_truncated", (double)truncated);
		uint64_t req1, reused1, computed1;
		scorer_stats(ev, &req1, &reused1, &computed1);
		cJSON_AddNumberToObject(info, "requests", (double)(req1 - req0));
		cJSON_AddNumberToObject(info, "context_tokens_computed", (double)(computed1 - computed0));
		cJSON_AddNumberToObject(info, "context_tokens_reused", (double)(reused1 - reused0));
		cJSON_AddNumberToObject(info, "seconds", secs);
		cJSON_AddNumberToObject(info, "items_per_s", secs > 0 ? (double)n / secs : 0);
		cJSON_AddItemToObject(info, "data", file_info(t.data_path));
		cJSON_AddItemToObject(ev->tasks_info, t.name, info);
		if (truncated)
			llm_warn("task '%s': %" PRIu64 " items longer than the context window (%d tokens) "
				 "were truncated from the left", t.name, truncated, ev->sc[0].max_len);
		char line[256];
		int k = snprintf(line, sizeof(line), "%s: n=%zu", t.name, n);
		if (t.metrics & LLM_EVAL_M_ACC)
			k += snprintf(line + k, sizeof(line) - (size_t)k, " acc=%.4f", llm_eval_mean(acc, n));
		if (t.metrics & LLM_EVAL_M_ACC_NORM)
			k += snprintf(line + k, sizeof(line) - (size_t)k, " acc_norm=%.4f",
				      llm_eval_mean(accn, n));
		if (t.metrics & LLM_EVAL_M_ACC_BYTES)
			k += snprintf(line + k, sizeof(line) - (size_t)k, " acc_bytes=%.4f",
				      llm_eval_mean(accb, n));
		if (t.metrics & LLM_EVAL_M_PERPLEXITY)
			k += snprintf(line + k, sizeof(line) - (size_t)k, " perplexity=%.3f",
				      exp(-llm_eval_mean(ll_item, n)));
		snprintf(line + k, sizeof(line) - (size_t)k, " (%.1f items/s)", secs > 0 ? n / secs : 0);
		llm_info("%s", line);
	}
	free(acc);
	free(accn);
	free(accb);
	free(ll_item);
	llm_eval_task_free(&t);
	return rc;
}

/* ----------------------------------------------------------------------------
 * loss / perplexity / bits-per-byte */

static int run_lm(struct evaluator *ev, const char *path)
{
	const struct llm_config *cfg = &ev->ctx->cfg;
	int T = (int)llm_config_int(cfg, "ctx");
	if (T <= 0 || T > ev->m.cfg.max_position_embeddings)
		T = ev->m.cfg.max_position_embeddings;
	int stride = (int)llm_config_int(cfg, "stride");
	if (stride <= 0 || stride > T)
		stride = LLM_MAX(1, T / 2);
	int B = (int)llm_config_int(cfg, "batch");
	struct llm_eval_lm lm = {0};
	struct llm_tokens toks = {0};
	const char *kind;
	uint32_t *tok_bytes = NULL;
	uint64_t docs = 0, n_bad = 0;
	double t0 = llm_now();
	if (llm_str_ends_with(path, ".bin")) {
		kind = "shard";
		uint32_t sv = 0;
		if (llm_eval_shard_read(path, &toks, &sv, &docs)) {
			llm_tokens_free(&toks);
			return -1;
		}
		if (sv && sv != llm_tokenizer_n_vocab(ev->tok))
			llm_warn("shard '%s' was written with a %u-id tokenizer but '%s' has %u ids",
				 path, sv, ev->tok_path, llm_tokenizer_n_vocab(ev->tok));
		tok_bytes = llm_eval_token_bytes(ev->tok, (uint32_t)ev->m.cfg.vocab_size);
	} else {
		/* raw text: every document is <EOT> + its tokens, as the shards
		 * llmake-tokenize encode writes; bytes are the texts' bytes */
		kind = "text";
		int64_t eot = llm_tokenizer_eot(ev->tok);
		if (eot < 0)
			return llm_error("tokenizer '%s' has no end-of-text token to separate documents",
					 ev->tok_path);
		struct llm_jsonl_opts jo = {.max_line = ev->ctx->max_line, .skip_bad = ev->ctx->skip_bad};
		struct llm_jsonl_reader *r = llm_jsonl_open(path, &jo);
		if (!r)
			return -1;
		struct llm_doc d;
		int k;
		const char *key = llm_config_str(cfg, "text_key");
		while ((k = llm_jsonl_next(r, &d)) == 1) {
			const char *text = d.text;
			size_t len = d.text_len;
			if (strcmp(key, "text")) {
				const cJSON *v = cJSON_GetObjectItemCaseSensitive(d.json, key);
				if (!cJSON_IsString(v)) {
					if (llm_jsonl_report_bad(path, d.line, d.offset, "missing text field",
								 ev->ctx->skip_bad, &n_bad)) {
						k = -1;
						break;
					}
					continue;
				}
				text = v->valuestring;
				len = strlen(text);
			}
			llm_tokens_push(&toks, (uint32_t)eot);
			llm_tokenizer_encode(ev->tok, text, len, 0, &toks);
			lm.bytes += len;
			docs++;
		}
		n_bad += llm_jsonl_bad(r);
		llm_jsonl_close(r);
		if (k < 0) {
			llm_tokens_free(&toks);
			return -1;
		}
	}
	int rc = llm_eval_stream(&ev->m, toks.ids, toks.n, T, stride, B, tok_bytes, &lm);
	double secs = llm_now() - t0;
	free(tok_bytes);
	llm_tokens_free(&toks);
	if (rc)
		return -1;
	if (!lm.tokens)
		return llm_error("'%s': fewer than 2 tokens: nothing to score", path);
	double loss = lm.nats / (double)lm.tokens;
	double bpb = lm.bytes ? lm.nats / log(2.0) / (double)lm.bytes : 0;
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "kind", kind);
	cJSON_AddNumberToObject(r, "loss", loss);
	cJSON_AddNumberToObject(r, "perplexity", exp(loss));
	cJSON_AddNumberToObject(r, "bits_per_byte", bpb);
	cJSON_AddNumberToObject(r, "nats", lm.nats);
	cJSON_AddNumberToObject(r, "tokens", (double)lm.tokens);
	cJSON_AddNumberToObject(r, "bytes", (double)lm.bytes);
	cJSON_AddNumberToObject(r, "documents", (double)docs);
	cJSON_AddNumberToObject(r, "n_skipped_bad", (double)n_bad);
	cJSON_AddNumberToObject(r, "window", T);
	cJSON_AddNumberToObject(r, "stride", stride);
	cJSON_AddNumberToObject(r, "windows", (double)lm.windows);
	cJSON_AddNumberToObject(r, "seconds", secs);
	cJSON *di = file_info(path);
	/* the producing stage's manifest (llmake-tokenize encode writes DIR/manifest.json) */
	const char *slash = strrchr(path, '/');
	char *dir = slash ? llm_strndup(path, (size_t)(slash - path)) : llm_strdup(".");
	cJSON *mf = model_manifest(dir);
	free(dir);
	if (mf)
		cJSON_AddItemToObject(di, "manifest", mf);
	cJSON_AddItemToObject(r, "data", di);
	char *key = llm_asprintf("lm:%s", path);
	cJSON_AddItemToObject(ev->results, key, r);
	free(key);
	llm_info("%s (%s): loss %.4f, perplexity %.3f, bits-per-byte %.4f over %" PRIu64
		 " tokens / %" PRIu64 " bytes (window %d, stride %d)", path, kind, loss, exp(loss), bpb,
		 lm.tokens, lm.bytes, T, stride);
	return 0;
}

/* ----------------------------------------------------------------------------
 * main */

static int eval_run(struct llm_ctx *ctx)
{
	const struct llm_config *cfg = &ctx->cfg;
	struct evaluator ev;
	memset(&ev, 0, sizeof(ev));
	ev.ctx = ctx;
	ev.model_dir = llm_config_str(cfg, "model");
	if (!ev.model_dir)
		return llm_usage_error(ctx, "no model: give -m DIR (a checkpoint folder)");
	/* --tasks a,b,c */
	const char *tasks = llm_config_str(cfg, "tasks");
	struct llm_strv names = {0};
	if (tasks) {
		char *s = llm_strdup(tasks), *save = NULL;
		for (char *p = strtok_r(s, ",", &save); p; p = strtok_r(NULL, ",", &save))
			if (*p)
				llm_strv_push(&names, p);
		free(s);
	}
	if (names.n == 0 && ctx->inputs.n == 0) {
		llm_strv_free(&names);
		return llm_usage_error(ctx, "nothing to evaluate: give --tasks and/or token shards or "
					    "JSONL texts");
	}
	if (!ctx->output) {
		llm_strv_free(&names);
		return llm_usage_error(ctx, "give -o RESULTS.json");
	}
	llm_blas_set_threads(ctx->threads);
	const char *tp = llm_config_str(cfg, "tokenizer");
	char *tpath = tp ? llm_strdup(tp) : llm_asprintf("%s/tokenizer.json", ev.model_dir);
	ev.tok_path = tpath;
	if (llm_generate_load(ev.model_dir, tp, &ev.m, &ev.tok)) {
		free(tpath);
		llm_strv_free(&names);
		return 1;
	}
	char *st_path = llm_asprintf("%s/model.safetensors", ev.model_dir);
	struct stat st;
	if (stat(st_path, &st) == 0)
		llm_manifest_add_input(ctx->manifest, st_path);
	llm_manifest_add_input(ctx->manifest, tpath);
	int64_t eot = llm_tokenizer_eot(ev.tok);
	ev.pool = llm_pool_new(ctx->threads);
	int nw = llm_pool_threads(ev.pool);
	ev.sc = llm_calloc((size_t)nw, sizeof(*ev.sc));
	for (int w = 0; w < nw; w++)
		llm_eval_scorer_init(&ev.sc[w], &ev.m, ev.tok, (int)llm_config_int(cfg, "max_length"),
				     eot);
	ev.results = cJSON_CreateObject();
	ev.tasks_info = cJSON_CreateObject();
	int rc = 0;
	const char *pi = llm_config_str(cfg, "per_item");
	if (pi && !(ev.per_item = llm_jsonl_writer_open(pi)))
		rc = 1;
	/* tasks: parallel over items, single-threaded math per worker */
	llm_blas_set_threads(1);
	for (int i = 0; i < names.n && !rc; i++)
		if (run_task(&ev, names.v[i]))
			rc = 1;
	/* loss windows: large batched products, parallel inside */
	llm_blas_set_threads(ctx->threads);
	for (int i = 0; i < ctx->inputs.n && !rc; i++)
		if (run_lm(&ev, ctx->inputs.v[i]))
			rc = 1;
	if (ev.per_item) {
		if (rc)
			llm_jsonl_writer_abort(ev.per_item);
		else if (llm_jsonl_writer_commit(ev.per_item))
			rc = 1;
	}
	if (!rc) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddItemToObject(doc, "results", ev.results);
		cJSON_AddItemToObject(doc, "tasks", ev.tasks_info);
		cJSON *mo = cJSON_CreateObject();
		cJSON_AddStringToObject(mo, "path", ev.model_dir);
		cJSON_AddItemToObject(mo, "config", llm_model_config_to_json(&ev.m.cfg));
		char hex[17];
		cJSON_AddStringToObject(mo, "config_hash",
					llm_hash_hex(llm_model_config_hash(&ev.m.cfg), hex));
		cJSON_AddNumberToObject(mo, "parameters", (double)ev.m.n_params);
		if (stat(st_path, &st) == 0)
			cJSON_AddItemToObject(mo, "safetensors", file_info(st_path));
		cJSON *mf = model_manifest(ev.model_dir);
		if (mf)
			cJSON_AddItemToObject(mo, "manifest", mf);
		cJSON_AddItemToObject(doc, "model", mo);
		cJSON *to = file_info(tpath);
		cJSON_AddNumberToObject(to, "n_vocab", llm_tokenizer_n_vocab(ev.tok));
		cJSON_AddItemToObject(doc, "tokenizer", to);
		cJSON_AddNumberToObject(doc, "max_length", ev.sc[0].max_len);
		cJSON_AddNumberToObject(doc, "threads", ctx->threads);
		cJSON_AddStringToObject(doc, "llmake", llm_version_string());
		char *txt = cJSON_Print(doc);
		size_t len = strlen(txt);
		txt = llm_realloc(txt, len + 2);
		txt[len] = '\n';
		txt[len + 1] = '\0';
		if (llm_atomic_write_file(ctx->output, txt, len + 1))
			rc = 1;
		free(txt);
		llm_manifest_set(ctx->manifest, "results",
				 cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "results"), 1));
		cJSON_Delete(doc);
	} else {
		cJSON_Delete(ev.results);
		cJSON_Delete(ev.tasks_info);
	}
	free(st_path);
	for (int w = 0; w < llm_pool_threads(ev.pool); w++)
		llm_eval_scorer_free(&ev.sc[w]);
	free(ev.sc);
	llm_pool_free(ev.pool);
	llm_tokenizer_free(ev.tok);
	llm_model_free(&ev.m);
	free(tpath);
	llm_strv_free(&names);
	return rc;
}

static const struct llm_stage eval_stage = {
	.name = "eval",
	.summary = "evaluate a checkpoint: lm-eval-harness tasks, loss / perplexity / bits-per-byte",
	.usage = "-m MODEL [--tasks T1,T2] [SHARD.bin | TEXT.jsonl]... -o RESULTS.json",
	.description =
		"Multiple-choice tasks are scored as lm-eval-harness does: each choice is the\n"
		"request (context, \" \" + choice); acc takes the argmax of the summed\n"
		"continuation log-probabilities, acc_norm divides them by the choice's length in\n"
		"characters (lm-eval 0.4.5), acc_bytes by its length in UTF-8 bytes; stderr is the sample standard deviation / sqrt(n).  WinoGrande\n"
		"scores the shared continuation under each context (partial scoring); LAMBADA\n"
		"reports last-word accuracy (greedy) and perplexity exp(-mean log-likelihood).\n"
		"A shared context is computed once for all its choices (KV cache).  Requests\n"
		"longer than the context window are truncated from the left and counted.\n"
		"Malformed task records are errors naming the file and line; with --skip-bad\n"
		"they are skipped and counted (n_skipped_bad).  Inputs (.bin token shards or\n"
		"JSONL texts) get loss, perplexity and bits-per-byte with a sliding window.",
	.keys = eval_keys,
	.options = eval_options,
	.min_inputs = 0,
	.max_inputs = -1,
	.output = LLM_OUTPUT_FILE,
	.shardable = false,
	.input_exts = lm_exts,
	.run = eval_run,
	/* v2: lm-eval's few-shot draw (random.Random(1234).sample), acc_bytes,
	 * lambada_openai request format; v3: the loss pass's attention products
	 * in lib/smallgemm.c (other rounding) */
	.version = 3,
	.config_files = eval_config_files,
};

int main(int argc, char **argv)
{
	return llm_stage_main(&eval_stage, argc, argv);
}
