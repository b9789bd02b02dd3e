/*
 * llmake-train: trains a Llama-style model on llm.c token shards on the CPU.
 *
 *   llmake-train [options] TRAIN_SHARD... -o OUTDIR [--val VAL_SHARD] [--resume]
 *
 * OUTDIR receives metrics.jsonl (one JSON line per step and per
 * evaluation), ckpt-NNNNNNNN/ checkpoints (HF folder + train_state.bin, the
 * last keep_last kept; see lib/ckpt.h), the final model as an HF folder
 * (OUTDIR/config.json + OUTDIR/model.safetensors) and manifest.json.
 * --resume continues from the newest complete checkpoint bit-identically
 * (same thread count), refusing a checkpoint of a different model config.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomic.h"
#include "blas.h"
#include "ckpt.h"
#include "config.h"
#include "dataloader.h"
#include "files.h"
#include "log.h"
#include "manifest.h"
#include "model.h"
#include "optim.h"
#include "stage.h"
#include "util.h"
#include "version.h"

static const struct llm_key train_keys[] = {
	{"model.vocab_size", LLM_T_INT, "50304", "vocabulary size V (>= the largest token id + 1)", 1, 1e9, NULL},
	{"model.hidden_size", LLM_T_INT, "384", "model width C", 1, 1e6, NULL},
	{"model.intermediate_size", LLM_T_INT, "1024", "SwiGLU width F", 1, 1e7, NULL},
	{"model.num_hidden_layers", LLM_T_INT, "6", "layers L", 1, 1e4, NULL},
	{"model.num_attention_heads", LLM_T_INT, "6", "query heads NH", 1, 1e4, NULL},
	{"model.num_key_value_heads", LLM_T_INT, "6", "key/value heads NKV (divides NH; < NH is GQA)", 1, 1e4, NULL},
	{"model.head_dim", LLM_T_INT, "0", "head dimension (0 = hidden_size / num_attention_heads)", 0, 1e5, NULL},
	{"model.max_position_embeddings", LLM_T_INT, "1024", "longest sequence", 1, 1e8, NULL},
	{"model.rms_norm_eps", LLM_T_FLOAT, "1e-5", "RMSNorm epsilon", 0, 1, NULL},
	{"model.rope_theta", LLM_T_FLOAT, "10000", "RoPE base", 0, 1e12, NULL},
	{"model.tie_word_embeddings", LLM_T_BOOL, "true", "share the embedding with the output head", 0, 0, NULL},
	{"model.qk_norm", LLM_T_BOOL, "false", "RMSNorm on q and k per head (not loadable as plain LlamaForCausalLM)", 0, 0, NULL},
	{"model.bos_token_id", LLM_T_INT, "-1", "written to config.json (-1 = unset)", -1, 1e9, NULL},
	{"model.eos_token_id", LLM_T_INT, "50256", "written to config.json (-1 = unset)", -1, 1e9, NULL},
	{"init_from", LLM_T_STRING, "null", "start from the weights of this HF folder instead of random init", 0, 0, NULL},
	{"init_std", LLM_T_FLOAT, "0.02", "std of the N(0, std) init (residual projections / sqrt(2L))", 0, 10, NULL},
	{"seed", LLM_T_INT, "1337", "seed for init and data order", 0, 9e15, NULL},
	{"batch_size", LLM_T_INT, "8", "sequences per micro-batch B", 1, 1e6, NULL},
	{"seq_len", LLM_T_INT, "256", "tokens per sequence T", 1, 1e7, NULL},
	{"grad_accum", LLM_T_INT, "1", "micro-batches per optimizer step", 1, 1e6, NULL},
	{"steps", LLM_T_INT, "100", "optimizer steps in total", 1, 1e12, NULL},
	{"lr", LLM_T_FLOAT, "6e-4", "peak learning rate", 0, 1e300, NULL},
	{"min_lr_ratio", LLM_T_FLOAT, "0.1", "final lr / peak lr (cosine, wsd)", 0, 1, NULL},
	{"warmup_steps", LLM_T_INT, "0", "linear warmup steps", 0, 1e12, NULL},
	{"schedule", LLM_T_STRING, "\"cosine\"", "learning-rate schedule", 0, 0, "cosine|wsd|constant"},
	{"wsd_decay_frac", LLM_T_FLOAT, "0.2", "WSD: share of steps in the final 1-sqrt decay", 0, 1, NULL},
	{"beta1", LLM_T_FLOAT, "0.9", "AdamW beta1", 0, 1, NULL},
	{"beta2", LLM_T_FLOAT, "0.95", "AdamW beta2", 0, 1, NULL},
	{"eps", LLM_T_FLOAT, "1e-8", "AdamW epsilon", 0, 1, NULL},
	{"weight_decay", LLM_T_FLOAT, "0.1", "AdamW decoupled weight decay (2-D weights only)", 0, 100, NULL},
	{"grad_clip", LLM_T_FLOAT, "1.0", "clip gradients to this global norm (0 = off)", 0, 1e30, NULL},
	{"z_loss", LLM_T_BOOL, "false", "add z_loss_coef * mean(logsumexp^2) to the loss", 0, 0, NULL},
	{"z_loss_coef", LLM_T_FLOAT, "1e-4", "z-loss coefficient when z_loss is on", 0, 1, NULL},
	{"val", LLM_T_STRING, "null", "validation shard (file or directory of .bin shards)", 0, 0, NULL},
	{"val_every", LLM_T_INT, "0", "evaluate every N steps and at the end (0 = only at the end)", 0, 1e12, NULL},
	{"val_batches", LLM_T_INT, "8", "micro-batches per evaluation (from the start of the val data)", 1, 1e9, NULL},
	{"tokenizer", LLM_T_STRING, "null", "tiktoken rank file or tokenizer.json, for val bits-per-byte", 0, 0, NULL},
	{"ckpt_every", LLM_T_INT, "0", "checkpoint every N steps (0 = only at the end)", 0, 1e12, NULL},
	{"keep_last", LLM_T_INT, "2", "checkpoints kept (0 = all)", 0, 1e9, NULL},
	{"resume", LLM_T_BOOL, "false", "continue from the newest complete checkpoint in the output folder", 0, 0, NULL},
	{"nan_policy", LLM_T_STRING, "\"stop\"", "non-finite loss or gradient: stop (keep the last checkpoint) or skip the step", 0, 0, "stop|skip"},
	{"log_every", LLM_T_INT, "10", "info log line every N steps", 1, 1e12, NULL},
	{"peak_flops", LLM_T_FLOAT, "0", "sgemm peak FLOP/s for MFU (0 = measure at start)", 0, 1e20, NULL},
	{NULL, 0, NULL, NULL, 0, 0, NULL},
};

static const struct llm_option train_options[] = {
	{"val", 0, "val", "FILE", "validation shard"},
	{"resume", 0, "resume", NULL, "continue from the newest checkpoint in the output folder"},
	{"steps", 0, "steps", "N", "optimizer steps in total"},
	{"batch-size", 'b', "batch_size", "B", "sequences per micro-batch"},
	{"seq-len", 't', "seq_len", "T", "tokens per sequence"},
	{"lr", 0, "lr", "LR", "peak learning rate"},
	{"ckpt-every", 0, "ckpt_every", "N", "checkpoint every N steps"},
	{"val-every", 0, "val_every", "N", "evaluate every N steps"},
	{"init-from", 0, "init_from", "DIR", "start from an HF folder's weights"},
	{NULL, 0, NULL, NULL, NULL},
};

static const char *const shard_exts[] = {".bin", NULL};

struct trainer {
	struct llm_ctx *ctx;
	const char *out;
	struct llm_model m;
	struct llm_adamw opt;
	struct llm_dataloader dl, val;
	bool have_val;
	uint32_t *token_bytes;
	struct llm_lr_schedule sched;
	int B, T, accum;
	int64_t steps, step;
	uint64_t seed, tokens_seen, skipped;
	int64_t val_every, val_batches, ckpt_every, keep_last, log_every;
	bool nan_skip;
	double peak;
	FILE *metrics;
	char *last_ckpt;
	double last_loss, last_val, last_bpb;
};

/* ----------------------------------------------------------------------------
 * config */

static int model_config_from_keys(const struct llm_config *cfg, struct llm_model_config *c)
{
	llm_model_config_default(c);
	c->vocab_size = (int)llm_config_int(cfg, "model.vocab_size");
	c->hidden_size = (int)llm_config_int(cfg, "model.hidden_size");
	c->intermediate_size = (int)llm_config_int(cfg, "model.intermediate_size");
	c->num_hidden_layers = (int)llm_config_int(cfg, "model.num_hidden_layers");
	c->num_attention_heads = (int)llm_config_int(cfg, "model.num_attention_heads");
	c->num_key_value_heads = (int)llm_config_int(cfg, "model.num_key_value_heads");
	c->head_dim = (int)llm_config_int(cfg, "model.head_dim");
	c->max_position_embeddings = (int)llm_config_int(cfg, "model.max_position_embeddings");
	c->rms_norm_eps = (float)llm_config_float(cfg, "model.rms_norm_eps");
	c->rope_theta = (float)llm_config_float(cfg, "model.rope_theta");
	c->tie_word_embeddings = llm_config_bool(cfg, "model.tie_word_embeddings");
	c->qk_norm = llm_config_bool(cfg, "model.qk_norm");
	c->bos_token_id = (int)llm_config_int(cfg, "model.bos_token_id");
	c->eos_token_id = (int)llm_config_int(cfg, "model.eos_token_id");
	const char *src = cfg->source ? cfg->source : "config";
	if (llm_model_config_check(c, src) != 0)
		return -1;
	/* the message names the key with its "model." prefix as the user wrote it */
	return 0;
}

/* Names the first shape-defining key where a and b differ, or NULL. */
static const char *config_diff(const struct llm_model_config *a, const struct llm_model_config *b,
			       char *buf, size_t n)
{
	int ha = a->head_dim ? a->head_dim : a->hidden_size / a->num_attention_heads;
	int hb = b->head_dim ? b->head_dim : b->hidden_size / b->num_attention_heads;
	struct {
		const char *k;
		double x, y;
	} f[] = {
		{"vocab_size", a->vocab_size, b->vocab_size},
		{"hidden_size", a->hidden_size, b->hidden_size},
		{"intermediate_size", a->intermediate_size, b->intermediate_size},
		{"num_hidden_layers", a->num_hidden_layers, b->num_hidden_layers},
		{"num_attention_heads", a->num_attention_heads, b->num_attention_heads},
		{"num_key_value_heads", a->num_key_value_heads, b->num_key_value_heads},
		{"head_dim", ha, hb},
		{"rms_norm_eps", a->rms_norm_eps, b->rms_norm_eps},
		{"rope_theta", a->rope_theta, b->rope_theta},
		{"tie_word_embeddings", a->tie_word_embeddings, b->tie_word_embeddings},
		{"qk_norm", a->qk_norm, b->qk_norm},
	};
	for (size_t i = 0; i < LLM_ARRAY_SIZE(f); i++)
		if (f[i].x != f[i].y) {
			snprintf(buf, n, "model.%s: checkpoint %g, config %g", f[i].k, f[i].x, f[i].y);
			return buf;
		}
	return NULL;
}

/* ----------------------------------------------------------------------------
 * metrics */

/* Keeps the lines of OUT/metrics.jsonl up to step (resume), dropping a torn
 * last line left by a kill; returns the file opened for appending. */
static FILE *metrics_open(const char *out, int64_t keep_upto, bool resume)
{
	char *path = llm_path_join(out, "metrics.jsonl");
	if (resume && llm_exists(path)) {
		char *data;
		size_t len;
		struct llm_buf kept = LLM_BUF_INIT;
		if (llm_read_file(path, &data, &len) == 0) {
			for (char *p = data; p < data + len;) {
				char *nl = memchr(p, '\n', (size_t)(data + len - p));
				if (!nl)
					break; /* torn line */
				cJSON *j = cJSON_ParseWithLength(p, (size_t)(nl - p));
				const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "step");
				if (j && cJSON_IsNumber(s) && (int64_t)s->valuedouble <= keep_upto)
					llm_buf_append(&kept, p, (size_t)(nl - p + 1));
				cJSON_Delete(j);
				p = nl + 1;
			}
			free(data);
		}
		llm_atomic_write_file(path, kept.data ? kept.data : "", kept.len);
		llm_buf_free(&kept);
	} else if (llm_exists(path)) {
		llm_atomic_write_file(path, "", 0);
	}
	if (llm_mkdir_p(out) != 0) {
		free(path);
		return NULL;
	}
	FILE *f = fopen(path, "a");
	if (!f)
		llm_error_errno("cannot open metrics file '%s'", path);
	free(path);
	return f;
}

static void metrics_write(struct trainer *tr, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (tr->metrics) {
		fprintf(tr->metrics, "%s\n", s);
		fflush(tr->metrics);
	}
	free(s);
}

/* ----------------------------------------------------------------------------
 * checkpoints */

static int save_checkpoint(struct trainer *tr)
{
	char *staged = llm_ckpt_stage_dir(tr->out, (uint64_t)tr->step);
	if (!staged)
		return -1;
	cJSON *meta = cJSON_CreateObject();
	cJSON_AddStringToObject(meta, "format", "pt");
	cJSON_AddStringToObject(meta, "llmake_version", llm_version_string());
	char sbuf[32];
	snprintf(sbuf, sizeof(sbuf), "%" PRId64, tr->step);
	cJSON_AddStringToObject(meta, "step", sbuf);
	int rc = llm_ckpt_save_model(&tr->m, staged, meta);
	cJSON_Delete(meta);
	if (rc == 0) {
		struct llm_train_state st = {
			.config_hash = llm_model_config_hash(&tr->m.cfg),
			.n_params = tr->m.n_params,
			.step = (uint64_t)tr->step,
			.adam_t = tr->opt.t,
			.epoch = tr->dl.epoch,
			.pos = tr->dl.pos,
			.seed = tr->seed,
			.tokens_seen = tr->tokens_seen,
			.skipped = tr->skipped,
		};
		char *sp = llm_path_join(staged, "train_state.bin");
		rc = llm_ckpt_save_state(sp, &st, tr->opt.m, tr->opt.v);
		free(sp);
	}
	if (rc == 0)
		rc = llm_ckpt_publish(tr->out, staged, (uint64_t)tr->step, (int)tr->keep_last);
	if (rc != 0) {
		llm_rm_rf(staged);
		free(staged);
		if (tr->last_ckpt)
			return llm_error("checkpoint at step %" PRId64 " failed; the previous checkpoint '%s' is intact (hint: free disk space, then rerun with --resume)",
					 tr->step, tr->last_ckpt);
		return llm_error("checkpoint at step %" PRId64 " failed; no earlier checkpoint exists (hint: free disk space)",
				 tr->step);
	}
	free(staged);
	free(tr->last_ckpt);
	tr->last_ckpt = llm_asprintf("%s/ckpt-%08" PRId64, tr->out, tr->step);
	llm_info("checkpoint '%s'", tr->last_ckpt);
	return 0;
}

static int resume_from(struct trainer *tr, const char *dir)
{
	struct llm_model_config c;
	if (llm_ckpt_load_config(&c, dir) != 0)
		return -1;
	char buf[160];
	const char *d = config_diff(&c, &tr->m.cfg, buf, sizeof(buf));
	if (d)
		return llm_error("'%s' is a checkpoint of a different model config (%s); refusing to resume (hint: use the config it was trained with, or a fresh output folder)",
				 dir, d);
	char *stp = llm_path_join(dir, "model.safetensors");
	int rc = llm_ckpt_load_weights(&tr->m, stp);
	free(stp);
	if (rc != 0)
		return -1;
	struct llm_train_state st;
	char *sp = llm_path_join(dir, "train_state.bin");
	rc = llm_ckpt_load_state(sp, &st, tr->opt.m, tr->opt.v, tr->m.n_params);
	if (rc == 0 && st.config_hash != llm_model_config_hash(&tr->m.cfg))
		rc = llm_error("'%s': training state was written for a different model config; refusing to resume",
			       sp);
	if (rc == 0 && st.seed != tr->seed)
		rc = llm_error("'%s': checkpoint was trained with seed %" PRIu64 ", the config says %" PRIu64
			       "; a resumed run would not match (hint: --set seed=%" PRIu64 ")",
			       sp, st.seed, tr->seed, st.seed);
	free(sp);
	if (rc != 0)
		return -1;
	tr->step = (int64_t)st.step;
	tr->opt.t = st.adam_t;
	tr->tokens_seen = st.tokens_seen;
	tr->skipped = st.skipped;
	llm_dataloader_seek(&tr->dl, st.epoch, st.pos);
	tr->last_ckpt = llm_strdup(dir);
	llm_info("resuming from '%s' at step %" PRId64, dir, tr->step);
	return 0;
}

/* ----------------------------------------------------------------------------
 * evaluation */

static void evaluate(struct trainer *tr)
{
	struct llm_dataloader *v = &tr->val;
	llm_dataloader_seek(v, 0, 0);
	size_t BT = (size_t)v->B * v->T;
	int32_t *x = llm_malloc(BT * sizeof(int32_t)), *y = llm_malloc(BT * sizeof(int32_t));
	double nats = 0, bytes = 0;
	long count = 0;
	int64_t nb = LLM_MIN(tr->val_batches, (int64_t)(v->n_seq / (uint64_t)v->B));
	if (nb < 1)
		nb = 1;
	for (int64_t b = 0; b < nb; b++) {
		llm_dataloader_next(v, x, y);
		long n;
		llm_model_forward(&tr->m, x, y, v->B, v->T, 0, NULL, &n);
		const float *ls = llm_model_token_losses(&tr->m);
		for (size_t i = 0; i < BT; i++) {
			if (y[i] < 0)
				continue;
			nats += ls[i];
			if (tr->token_bytes)
				bytes += tr->token_bytes[y[i]];
		}
		count += n;
	}
	free(x);
	free(y);
	tr->last_val = count ? nats / (double)count : NAN;
	tr->last_bpb = tr->token_bytes && bytes > 0 ? nats / M_LN2 / bytes : NAN;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "step", (double)tr->step);
	cJSON_AddNumberToObject(o, "val_loss", tr->last_val);
	if (isfinite(tr->last_bpb))
		cJSON_AddNumberToObject(o, "val_bpb", tr->last_bpb);
	else
		cJSON_AddNullToObject(o, "val_bpb");
	cJSON_AddNumberToObject(o, "val_tokens", (double)count);
	metrics_write(tr, o);
	llm_info("step %" PRId64 ": val loss %.4f%s", tr->step, tr->last_val,
		 isfinite(tr->last_bpb) ? "" : " (no tokenizer: no bits-per-byte)");
}

/* ----------------------------------------------------------------------------
 * main loop */

static int train_run(struct llm_ctx *ctx)
{
	const struct llm_config *cfg = &ctx->cfg;
	struct trainer tr;
	memset(&tr, 0, sizeof(tr));
	tr.ctx = ctx;
	tr.out = ctx->output;
	/* a full disk under RLIMIT_FSIZE must be a write error, not a kill */
	signal(SIGXFSZ, SIG_IGN);
	llm_blas_set_threads(ctx->threads);

	struct llm_model_config mc;
	if (model_config_from_keys(cfg, &mc) != 0)
		return 1;
	tr.B = (int)llm_config_int(cfg, "batch_size");
	tr.T = (int)llm_config_int(cfg, "seq_len");
	tr.accum = (int)llm_config_int(cfg, "grad_accum");
	tr.steps = llm_config_int(cfg, "steps");
	tr.seed = (uint64_t)llm_config_int(cfg, "seed");
	tr.val_every = llm_config_int(cfg, "val_every");
	tr.val_batches = llm_config_int(cfg, "val_batches");
	tr.ckpt_every = llm_config_int(cfg, "ckpt_every");
	tr.keep_last = llm_config_int(cfg, "keep_last");
	tr.log_every = llm_config_int(cfg, "log_every");
	tr.nan_skip = !strcmp(llm_config_str(cfg, "nan_policy"), "skip");
	if (tr.T > mc.max_position_embeddings)
		return llm_usage_error(ctx, "seq_len %d exceeds model.max_position_embeddings %d", tr.T,
				       mc.max_position_embeddings);
	tr.sched.kind = (enum llm_schedule)llm_schedule_parse(llm_config_str(cfg, "schedule"));
	tr.sched.lr = llm_config_float(cfg, "lr");
	tr.sched.min_lr = tr.sched.lr * llm_config_float(cfg, "min_lr_ratio");
	tr.sched.warmup = llm_config_int(cfg, "warmup_steps");
	tr.sched.total = tr.steps;
	tr.sched.decay_frac = llm_config_float(cfg, "wsd_decay_frac");

	int rc = 1;
	if (llm_dataloader_open(&tr.dl, ctx->inputs.v, ctx->inputs.n, tr.B, tr.T, true, tr.seed,
				mc.vocab_size) != 0)
		return 1;
	const char *valp = llm_config_str(cfg, "val");
	if (valp) {
		struct llm_strv vf = {0};
		char *vv[1] = {(char *)valp};
		if (llm_inputs_expand(vv, 1, shard_exts, &vf) != 0 ||
		    llm_dataloader_open(&tr.val, vf.v, vf.n, tr.B, tr.T, false, 0, mc.vocab_size) != 0) {
			llm_strv_free(&vf);
			llm_dataloader_free(&tr.dl);
			return 1;
		}
		for (int i = 0; i < vf.n; i++)
			llm_manifest_add_input(ctx->manifest, vf.v[i]);
		llm_strv_free(&vf);
		tr.have_val = true;
	}
	const char *tokp = llm_config_str(cfg, "tokenizer");
	if (tokp && !(tr.token_bytes = llm_token_bytes_load(tokp, mc.vocab_size)))
		goto out_data;

	llm_model_init(&tr.m, &mc);
	tr.m.z_loss = llm_config_bool(cfg, "z_loss") ? (float)llm_config_float(cfg, "z_loss_coef") : 0;
	const char *init_from = llm_config_str(cfg, "init_from");
	if (init_from) {
		struct llm_model_config ic;
		char buf[160];
		if (llm_ckpt_load_config(&ic, init_from) != 0)
			goto out_model;
		if (config_diff(&ic, &mc, buf, sizeof(buf))) {
			llm_error("init_from '%s' has a different model config (%s)", init_from, buf);
			goto out_model;
		}
		if (llm_ckpt_load_weights(&tr.m, init_from) != 0)
			goto out_model;
	} else {
		llm_model_init_weights(&tr.m, tr.seed, (float)llm_config_float(cfg, "init_std"));
	}
	llm_model_alloc_grads(&tr.m);
	llm_adamw_init(&tr.opt, tr.m.n_params, (float)llm_config_float(cfg, "beta1"),
		       (float)llm_config_float(cfg, "beta2"), (float)llm_config_float(cfg, "eps"),
		       (float)llm_config_float(cfg, "weight_decay"));

	bool resume = llm_config_bool(cfg, "resume");
	if (resume) {
		char *latest = llm_ckpt_find_latest(tr.out);
		if (latest) {
			int r = resume_from(&tr, latest);
			free(latest);
			if (r != 0)
				goto out_opt;
		} else {
			llm_info("--resume: no checkpoint in '%s' yet; starting from step 0", tr.out);
		}
	}
	if (llm_mkdir_p(tr.out) != 0)
		goto out_opt;
	llm_ckpt_clean_stale(tr.out);
	tr.metrics = metrics_open(tr.out, tr.step, resume);
	if (!tr.metrics)
		goto out_opt;

	tr.peak = llm_config_float(cfg, "peak_flops");
	if (tr.peak <= 0)
		tr.peak = llm_blas_peak_flops(512, 3);
	double fpt = llm_model_flops_per_token(&tr.m, tr.T);
	llm_info("model: %zu parameters, %d layers, C %d, V %d; %d x %d tokens x %d micro-batches per step; %d threads; sgemm peak %.1f GFLOP/s",
		 tr.m.n_params, mc.num_hidden_layers, mc.hidden_size, mc.vocab_size, tr.B, tr.T,
		 tr.accum, ctx->threads, tr.peak / 1e9);

	size_t BT = (size_t)tr.B * tr.T;
	int32_t *x = llm_malloc(BT * sizeof(int32_t)), *y = llm_malloc(BT * sizeof(int32_t));
	struct llm_progress prog;
	llm_progress_init(&prog, "train", (uint64_t)tr.steps, 0);
	llm_progress_add(&prog, (uint64_t)tr.step, 0);
	bool failed = false;
	while (tr.step < tr.steps) {
		double t0 = llm_now(), c0 = llm_cpu_time();
		llm_blas_stats_reset();
		llm_model_zero_grads(&tr.m);
		double loss = 0;
		for (int a = 0; a < tr.accum; a++) {
			llm_dataloader_next(&tr.dl, x, y);
			loss += llm_model_forward(&tr.m, x, y, tr.B, tr.T, 1.0f / (float)tr.accum, NULL, NULL);
			llm_model_backward(&tr.m);
		}
		loss /= tr.accum;
		double lr = llm_lr_at(&tr.sched, tr.step);
		double norm;
		float clip = llm_grad_clip_coef(&tr.m, llm_config_float(cfg, "grad_clip"), &norm);
		bool bad = !isfinite(loss) || !isfinite(norm);
		if (bad && !tr.nan_skip) {
			llm_error("non-finite %s (%g) at step %" PRId64 "; stopping. %s%s%s (hint: lower lr, add warmup, enable z_loss, or set nan_policy=skip)",
				  !isfinite(loss) ? "loss" : "gradient norm", !isfinite(loss) ? loss : norm,
				  tr.step + 1,
				  tr.last_ckpt ? "The last good checkpoint is '" : "No checkpoint was written yet",
				  tr.last_ckpt ? tr.last_ckpt : "", tr.last_ckpt ? "'" : "");
			failed = true;
			break;
		}
		if (bad) {
			tr.skipped++;
			llm_warn("step %" PRId64 ": non-finite loss or gradient; step skipped (%" PRIu64 " so far)",
				 tr.step + 1, tr.skipped);
		} else {
			llm_adamw_step_scaled(&tr.opt, &tr.m, (float)lr, clip);
		}
		tr.step++;
		tr.tokens_seen += BT * (size_t)tr.accum;
		double dt = llm_now() - t0;
		double tps = (double)BT * tr.accum / dt;
		tr.last_loss = loss;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "step", (double)tr.step);
		if (isfinite(loss))
			cJSON_AddNumberToObject(o, "loss", loss);
		else
			cJSON_AddNullToObject(o, "loss");
		cJSON_AddNumberToObject(o, "lr", lr);
		if (isfinite(norm))
			cJSON_AddNumberToObject(o, "grad_norm", norm);
		else
			cJSON_AddNullToObject(o, "grad_norm");
		cJSON_AddNumberToObject(o, "tokens", (double)tr.tokens_seen);
		cJSON_AddNumberToObject(o, "tokens_per_s", tps);
		cJSON_AddNumberToObject(o, "mfu", fpt * tps / tr.peak);
		cJSON_AddNumberToObject(o, "matmul_share", llm_blas_stats_seconds() / dt);
		cJSON_AddNumberToObject(o, "step_seconds", dt);
		cJSON_AddNumberToObject(o, "cpu_seconds", llm_cpu_time() - c0);
		if (bad)
			cJSON_AddBoolToObject(o, "skipped", 1);
		metrics_write(&tr, o);
		llm_progress_add(&prog, 1, 0);
		if (tr.step % tr.log_every == 0 || tr.step == tr.steps)
			llm_info("step %" PRId64 "/%" PRId64 ": loss %.4f lr %.3g norm %.3f %.0f tok/s MFU %.1f%%",
				 tr.step, tr.steps, loss, lr, norm, tps, 100 * fpt * tps / tr.peak);
		if (tr.have_val && ((tr.val_every && tr.step % tr.val_every == 0) || tr.step == tr.steps))
			evaluate(&tr);
		if ((tr.ckpt_every && tr.step % tr.ckpt_every == 0) || tr.step == tr.steps) {
			if (save_checkpoint(&tr) != 0) {
				failed = true;
				break;
			}
		}
	}
	llm_progress_finish(&prog);
	free(x);
	free(y);
	if (!failed) {
		/* the output folder itself is the final HF model */
		cJSON *meta = cJSON_CreateObject();
		cJSON_AddStringToObject(meta, "llmake_version", llm_version_string());
		if (llm_ckpt_save_model(&tr.m, tr.out, meta) != 0)
			failed = true;
		cJSON_Delete(meta);
	}
	if (!failed) {
		llm_manifest_count(ctx->manifest, "steps", tr.step);
		llm_manifest_count(ctx->manifest, "tokens", (int64_t)tr.tokens_seen);
		llm_manifest_count(ctx->manifest, "skipped_steps", (int64_t)tr.skipped);
		cJSON *res = cJSON_CreateObject();
		cJSON_AddNumberToObject(res, "final_loss", tr.last_loss);
		if (tr.have_val)
			cJSON_AddNumberToObject(res, "val_loss", tr.last_val);
		if (isfinite(tr.last_bpb))
			cJSON_AddNumberToObject(res, "val_bpb", tr.last_bpb);
		cJSON_AddNumberToObject(res, "parameters", (double)tr.m.n_params);
		cJSON_AddNumberToObject(res, "sgemm_peak_flops", tr.peak);
		cJSON_AddItemToObject(res, "model_config", llm_model_config_to_json(&tr.m.cfg));
		llm_manifest_set(ctx->manifest, "training", res);
		rc = 0;
	}
	fclose(tr.metrics);
out_opt:
	llm_adamw_free(&tr.opt);
out_model:
	llm_model_free(&tr.m);
	free(tr.token_bytes);
	free(tr.last_ckpt);
out_data:
	llm_dataloader_free(&tr.dl);
	if (tr.have_val)
		llm_dataloader_free(&tr.val);
	return rc;
}

static const struct llm_stage train_stage = {
	.name = "train",
	.summary = "train a Llama-style model on llm.c token shards (CPU, fp32, OpenBLAS)",
	.usage = "[options] TRAIN_SHARD... -o OUTDIR [--val VAL_SHARD] [--resume]",
	.description =
		"Writes OUTDIR/metrics.jsonl (a JSON line per step: step, loss, lr, grad_norm,\n"
		"tokens_per_s, mfu against the measured sgemm peak; per evaluation: val_loss,\n"
		"val_bpb), checkpoints OUTDIR/ckpt-NNNNNNNN/ (HF config.json + model.safetensors +\n"
		"train_state.bin; the last keep_last kept) and the final model as an HF folder in\n"
		"OUTDIR.  --resume continues bit-identically from the newest checkpoint.",
	.keys = train_keys,
	.options = train_options,
	.min_inputs = 1,
	.max_inputs = -1,
	.output = LLM_OUTPUT_DIR,
	.shardable = false,
	.input_exts = shard_exts,
	.run = train_run,
	/* v2: fused q/k/v and gate/up sgemms (other rounding than v1);
	 * v3: attention's products in lib/smallgemm.c (other rounding) */
	.version = 3,
};

int main(int argc, char **argv)
{
	/* OpenMP workers that spin between parallel regions steal the cores the
	 * next region (or another process on a shared machine) needs: measured
	 * 30% more CPU per step on the 2-core VM.  libgomp reads the policy when
	 * it loads, so it is set here and the binary re-executed once;
	 * OMP_WAIT_POLICY=active in the environment keeps spinning. */
	if (!getenv("OMP_WAIT_POLICY")) {
		setenv("OMP_WAIT_POLICY", "passive", 1);
		execv("/proc/self/exe", argv);
		/* not fatal: run with the default policy */
	}
	return llm_stage_main(&train_stage, argc, argv);
}
