/*
 * model.h: the Llama-style decoder every llmake stage shares (train, eval,
 * generate, and later the MoE/Mamba variants and the CUDA backend).
 *
 * Architecture: token embedding -> L x [RMSNorm -> GQA attention with RoPE
 * (Hugging Face rotate-half layout; optional per-head QK RMSNorm) -> residual,
 * RMSNorm -> SwiGLU MLP -> residual] -> final RMSNorm -> output head (tied to
 * the embedding or not).  Exactly Hugging Face's LlamaForCausalLM when
 * qk_norm is off, so a checkpoint is a loadable HF folder.
 *
 * Dimensions use short letters throughout: B batch, T sequence, C hidden,
 * V vocab, F intermediate, NH query heads, NKV key/value heads, HD head dim.
 *
 * Parameter layout: one contiguous fp32 buffer, tensors in this order with
 * their Hugging Face names and [out, in] row-major shapes:
 *   model.embed_tokens.weight                    [V, C]
 *   per layer i:
 *     model.layers.i.input_layernorm.weight       [C]
 *     model.layers.i.self_attn.q_proj.weight      [NH*HD, C]
 *     model.layers.i.self_attn.k_proj.weight      [NKV*HD, C]
 *     model.layers.i.self_attn.v_proj.weight      [NKV*HD, C]
 *     model.layers.i.self_attn.o_proj.weight      [C, NH*HD]
 *     model.layers.i.self_attn.q_norm.weight      [HD]   (qk_norm only)
 *     model.layers.i.self_attn.k_norm.weight      [HD]   (qk_norm only)
 *     model.layers.i.post_attention_layernorm.weight [C]
 *     model.layers.i.mlp.gate_proj.weight         [F, C]
 *     model.layers.i.mlp.up_proj.weight           [F, C]
 *     model.layers.i.mlp.down_proj.weight         [C, F]
 *   model.norm.weight                             [C]
 *   lm_head.weight                                [V, C]  (untied only)
 * Gradients and optimizer moments use the same layout, so the optimizer is
 * one loop and safetensors I/O is a table walk.
 */
#ifndef LLM_MODEL_H
#define LLM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Hyper-parameters, named after Hugging Face LlamaConfig keys. */
struct llm_model_config {
	int vocab_size;              /* V */
	int hidden_size;             /* C */
	int intermediate_size;       /* F */
	int num_hidden_layers;       /* L */
	int num_attention_heads;     /* NH */
	int num_key_value_heads;     /* NKV; NH % NKV == 0 */
	int head_dim;                /* HD; default C / NH */
	int max_position_embeddings; /* longest T */
	float rms_norm_eps;
	float rope_theta;
	bool tie_word_embeddings;
	bool qk_norm;                /* llmake extension (Qwen3-style q_norm/k_norm) */
	int bos_token_id, eos_token_id; /* -1 = unset */
};

/* Fills HF LlamaConfig defaults scaled to a small model. */
void llm_model_config_default(struct llm_model_config *c);
/* Reads HF config.json keys from obj over the values already in c (missing
 * keys keep them); checks types, unsupported values (hidden_act other than
 * silu, attention_bias, rope_scaling...) and shape consistency.  Unknown keys
 * are errors with a did-you-mean hint when strict (a trainer config), else
 * ignored (a foreign HF config.json).  Errors name the key and source.
 * Returns 0 or -1 (printed). */
int llm_model_config_from_json(struct llm_model_config *c, const cJSON *obj, const char *source,
			       bool strict);
/* Checks shape consistency (head_dim even, NH % NKV, positive sizes...).
 * The message names the offending key.  0 or -1 (printed). */
int llm_model_config_check(const struct llm_model_config *c, const char *source);
/* The HF config.json object for c (architectures LlamaForCausalLM...). */
cJSON *llm_model_config_to_json(const struct llm_model_config *c);
/* Hash of the shape-defining fields: two checkpoints are compatible iff equal. */
uint64_t llm_model_config_hash(const struct llm_model_config *c);

/* One parameter tensor in the flat buffer. */
struct llm_param {
	char name[96];   /* Hugging Face name */
	int ndim;
	int shape[2];
	size_t offset;   /* in floats from the start of the buffer */
	size_t numel;
	bool decay;      /* weight decay applies (2-D weights only) */
};

struct llm_layer_w {
	float *ln1, *wq, *wk, *wv, *wo, *qn, *kn, *ln2, *wg, *wu, *wd;
};

/* Saved activations of one forward pass (B x T tokens), for backward. */
struct llm_acts;

struct llm_model {
	struct llm_model_config cfg;
	struct llm_param *params;
	int n_params_tensors;
	size_t n_params;        /* total floats */
	float *w;               /* parameters */
	float *g;               /* gradients (NULL until llm_model_alloc_grads) */
	/* views into w and g */
	float *wte, *lnf, *head;
	struct llm_layer_w *lw;
	float *gte, *glnf, *ghead;
	struct llm_layer_w *lg;
	float *rope_cos, *rope_sin; /* [max_pos, HD/2] */
	struct llm_acts *acts;
	int acts_B, acts_T;
	float z_loss;           /* coefficient of z-loss (0 = off) */
};

/* Builds the layout and allocates parameters (zeroed).  Config must pass
 * llm_model_config_check.  llm_model_free releases everything. */
void llm_model_init(struct llm_model *m, const struct llm_model_config *c);
void llm_model_free(struct llm_model *m);
/* N(0, std) init from seed (Box-Muller over a counter-based generator, so
 * independent of thread count); residual projections (o_proj, down_proj)
 * scaled by 1/sqrt(2L); norms set to 1. */
void llm_model_init_weights(struct llm_model *m, uint64_t seed, float std);
void llm_model_alloc_grads(struct llm_model *m);
void llm_model_zero_grads(struct llm_model *m);
/* Parameter tensor by HF name, or NULL. */
const struct llm_param *llm_model_find_param(const struct llm_model *m, const char *name);
/* FLOPs of one training step token (forward + backward) at length T. */
double llm_model_flops_per_token(const struct llm_model *m, int T);

/*
 * Forward over tokens [B, T] (int32, each < V).  With targets [B, T]
 * (negative = ignored), returns the mean cross-entropy over counted tokens
 * (plus z_loss * mean(logsumexp^2) when m->z_loss > 0, which is included in
 * the returned value and the gradient; *ce_out, if given, gets the plain
 * cross-entropy).  With grad_scale > 0 the fused classifier also writes the
 * head's gradient contribution and d(final norm) for llm_model_backward,
 * scaled by grad_scale (1 / accumulation steps).  The T x V logits are never
 * materialised beyond a block of rows.  Without targets returns 0.
 * *n_counted (optional) gets the number of targets counted.
 */
float llm_model_forward(struct llm_model *m, const int32_t *tokens, const int32_t *targets,
			int B, int T, float grad_scale, float *ce_out, long *n_counted);
/* Accumulates parameter gradients into m->g for the last forward (which
 * must have had targets and grad_scale > 0). */
void llm_model_backward(struct llm_model *m);
/* Per-token losses (nats, plain cross-entropy) of the last forward with
 * targets: [B*T], -1 where the target was ignored. */
const float *llm_model_token_losses(const struct llm_model *m);

/* Full logits [B*T, V] for tokens [B, T] (inference; allocates activations). */
void llm_model_logits(struct llm_model *m, const int32_t *tokens, int B, int T, float *logits);

/*
 * Incremental decoding with a key/value cache: feed tokens one position at
 * a time (or a prompt at once) and get the logits of the last position.
 */
struct llm_kv_cache {
	int max_T, pos;
	float *k, *v; /* [L, max_T, NKV*HD] */
};
void llm_kv_cache_init(struct llm_kv_cache *kv, const struct llm_model *m, int max_T);
void llm_kv_cache_free(struct llm_kv_cache *kv);
void llm_kv_cache_reset(struct llm_kv_cache *kv);
/* Truncates the cache to pos tokens (speculative decoding roll-back). */
void llm_kv_cache_truncate(struct llm_kv_cache *kv, int pos);
/* Runs n tokens at positions kv->pos.. and writes the logits of the last
 * one into logits [V]; returns 0, or -1 when the cache is full. */
int llm_model_decode(struct llm_model *m, struct llm_kv_cache *kv, const int32_t *tokens, int n,
		     float *logits);
/* As llm_model_decode, but writes the logits of all n positions [n, V]
 * (scoring a continuation after a cached shared context). */
int llm_model_decode_all(struct llm_model *m, struct llm_kv_cache *kv, const int32_t *tokens, int n,
			 float *logits);

#endif
