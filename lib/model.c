/*
 * model.c: the Llama-style decoder: configuration, parameter layout, init,
 * fp32 forward and backward (OpenBLAS sgemm for the linear layers, OpenMP
 * for the rest), a fused softmax + cross-entropy classifier, row-blockwise
 * causal attention that keeps only the log-sum-exp per row for backward, and
 * incremental decoding with a key/value cache.
 *
 * Determinism: every OpenMP loop writes disjoint outputs, and every reduction
 * across rows goes through fixed chunks summed in a fixed order, so results
 * are identical from run to run (and, outside sgemm, across thread counts).
 */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "bigmem.h"
#include "blas.h"
#include "config.h"
#include "hash.h"
#include "smallgemm.h"
#include "util.h"

/* exp for vector loops (Cephes expf polynomial, ~1 ulp on [-87, 88]):
 * branch-free so `omp simd` loops vectorize; libm's expf does not.  The
 * core clamps only the exponent (so its bits stay in range); fast_expf then
 * selects the values at the ends for inputs beyond them.  Clamping the
 * input itself instead (same results, bit for bit) lets GCC specialise
 * every caller for the two constant ends: swiglu ran 2.5x slower. */
#pragma omp declare simd
static inline float expf_core(float x)
{
	float fx = floorf(x * 1.44269504088896341f + 0.5f);
	fx = fx < -126.0f ? -126.0f : fx;
	fx = fx > 127.0f ? 127.0f : fx;
	x -= fx * 0.693359375f;
	x -= fx * -2.12194440e-4f;
	float z = x * x;
	float y = 1.9875691500E-4f;
	y = y * x + 1.3981999507E-3f;
	y = y * x + 8.3334519073E-3f;
	y = y * x + 4.1665795894E-2f;
	y = y * x + 1.6666665459E-1f;
	y = y * x + 5.0000001201E-1f;
	y = y * z + x + 1.0f;
	union {
		uint32_t u;
		float f;
	} e;
	e.u = (uint32_t)((int32_t)fx + 127) << 23;
	return y * e.f;
}

#pragma omp declare simd
static inline float fast_expf(float x)
{
	float r = expf_core(x);
	r = x < -87.0f ? expf_core(-87.0f) : r;
	r = x > 88.0f ? expf_core(88.0f) : r;
	return r;
}

#define RED_CHUNKS 64 /* fixed row chunks for deterministic column reductions */
#define CLS_ROWS 512  /* classifier rows per block */

/* ----------------------------------------------------------------------------
 * configuration */

void llm_model_config_default(struct llm_model_config *c)
{
	memset(c, 0, sizeof(*c));
	c->vocab_size = 32000;
	c->hidden_size = 256;
	c->intermediate_size = 688;
	c->num_hidden_layers = 4;
	c->num_attention_heads = 4;
	c->num_key_value_heads = 4;
	c->head_dim = 0; /* = hidden_size / num_attention_heads */
	c->max_position_embeddings = 1024;
	c->rms_norm_eps = 1e-5f;
	c->rope_theta = 10000.0f;
	c->tie_word_embeddings = true;
	c->qk_norm = false;
	c->bos_token_id = -1;
	c->eos_token_id = -1;
}

static const char *const model_int_keys[] = {
	"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
	"num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings",
	"bos_token_id", "eos_token_id", NULL,
};

static int *config_int_field(struct llm_model_config *c, int i)
{
	int *f[] = {&c->vocab_size, &c->hidden_size, &c->intermediate_size, &c->num_hidden_layers,
		    &c->num_attention_heads, &c->num_key_value_heads, &c->head_dim,
		    &c->max_position_embeddings, &c->bos_token_id, &c->eos_token_id};
	return f[i];
}

/* Keys HF writes that carry nothing for us (or are checked below). */
static const char *const model_ignored_keys[] = {
	"architectures", "model_type", "torch_dtype", "transformers_version", "initializer_range",
	"pretraining_tp", "use_cache", "attention_dropout", "_name_or_path", "pad_token_id",
	"hidden_act", "attention_bias", "mlp_bias", "rope_scaling", "llmake", NULL,
};

static const char *const model_all_keys[] = {
	"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
	"num_attention_heads", "num_key_value_heads", "head_dim", "max_position_embeddings",
	"bos_token_id", "eos_token_id", "rms_norm_eps", "rope_theta", "tie_word_embeddings",
	"qk_norm", "architectures", "model_type", "torch_dtype", "transformers_version",
	"initializer_range", "pretraining_tp", "use_cache", "attention_dropout", "_name_or_path",
	"pad_token_id", "hidden_act", "attention_bias", "mlp_bias", "rope_scaling", "llmake", NULL,
};

static bool in_list(const char *s, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

int llm_model_config_from_json(struct llm_model_config *c, const cJSON *obj, const char *source,
			       bool strict)
{
	if (!cJSON_IsObject(obj))
		return llm_error("'%s': model config is not a JSON object", source);
	const cJSON *it;
	cJSON_ArrayForEach(it, obj)
	{
		const char *k = it->string;
		if (in_list(k, model_all_keys))
			continue;
		if (strict) {
			const char *hint = llm_did_you_mean(k, model_all_keys);
			return llm_error("'%s': unknown model key '%s'%s%s%s", source, k,
					 hint ? " (did you mean '" : "", hint ? hint : "",
					 hint ? "'?)" : "");
		}
	}
	for (int i = 0; model_int_keys[i]; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, model_int_keys[i]);
		if (!v || cJSON_IsNull(v))
			continue;
		double d = v->valuedouble;
		if (!cJSON_IsNumber(v) || d != floor(d) || fabs(d) > 2147483647.0)
			return llm_error("'%s': key '%s' must be an integer", source, model_int_keys[i]);
		*config_int_field(c, i) = (int)d;
	}
	const cJSON *v;
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "rms_norm_eps"))) {
		if (!cJSON_IsNumber(v))
			return llm_error("'%s': key 'rms_norm_eps' must be a number", source);
		c->rms_norm_eps = (float)v->valuedouble;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "rope_theta"))) {
		if (!cJSON_IsNumber(v))
			return llm_error("'%s': key 'rope_theta' must be a number", source);
		c->rope_theta = (float)v->valuedouble;
	}
	const char *bools[] = {"tie_word_embeddings", "qk_norm"};
	bool *bf[] = {&c->tie_word_embeddings, &c->qk_norm};
	for (int i = 0; i < 2; i++) {
		v = cJSON_GetObjectItemCaseSensitive(obj, bools[i]);
		if (!v)
			continue;
		if (!cJSON_IsBool(v))
			return llm_error("'%s': key '%s' must be true or false", source, bools[i]);
		*bf[i] = cJSON_IsTrue(v);
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "hidden_act")) &&
	    !(cJSON_IsString(v) && !strcmp(v->valuestring, "silu")))
		return llm_error("'%s': key 'hidden_act' must be \"silu\" (SwiGLU); other activations are not supported",
				 source);
	const char *nobias[] = {"attention_bias", "mlp_bias"};
	for (int i = 0; i < 2; i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(obj, nobias[i])) && cJSON_IsTrue(v))
			return llm_error("'%s': key '%s' is true; biases are not supported", source,
					 nobias[i]);
	if ((v = cJSON_GetObjectItemCaseSensitive(obj, "rope_scaling")) && !cJSON_IsNull(v))
		return llm_error("'%s': key 'rope_scaling' is set; only plain RoPE is supported", source);
	(void)model_ignored_keys;
	return llm_model_config_check(c, source);
}

int llm_model_config_check(const struct llm_model_config *c, const char *source)
{
	struct {
		const char *key;
		int v;
	} pos[] = {
		{"vocab_size", c->vocab_size},
		{"hidden_size", c->hidden_size},
		{"intermediate_size", c->intermediate_size},
		{"num_hidden_layers", c->num_hidden_layers},
		{"num_attention_heads", c->num_attention_heads},
		{"num_key_value_heads", c->num_key_value_heads},
		{"max_position_embeddings", c->max_position_embeddings},
	};
	for (size_t i = 0; i < LLM_ARRAY_SIZE(pos); i++)
		if (pos[i].v <= 0)
			return llm_error("'%s': key '%s' must be > 0 (got %d)", source, pos[i].key, pos[i].v);
	int hd = c->head_dim ? c->head_dim : c->hidden_size / c->num_attention_heads;
	if (c->head_dim < 0)
		return llm_error("'%s': key 'head_dim' must be > 0 (got %d)", source, c->head_dim);
	if (!c->head_dim && c->hidden_size % c->num_attention_heads)
		return llm_error("'%s': key 'hidden_size' (%d) is not divisible by 'num_attention_heads' (%d); set 'head_dim' explicitly",
				 source, c->hidden_size, c->num_attention_heads);
	if (hd % 2)
		return llm_error("'%s': key 'head_dim' must be even for RoPE (got %d)", source, hd);
	if (c->num_attention_heads % c->num_key_value_heads)
		return llm_error("'%s': key 'num_key_value_heads' (%d) must divide 'num_attention_heads' (%d)",
				 source, c->num_key_value_heads, c->num_attention_heads);
	if (!(c->rms_norm_eps > 0) || !isfinite(c->rms_norm_eps))
		return llm_error("'%s': key 'rms_norm_eps' must be > 0", source);
	if (!(c->rope_theta > 0) || !isfinite(c->rope_theta))
		return llm_error("'%s': key 'rope_theta' must be > 0", source);
	if (c->bos_token_id >= c->vocab_size)
		return llm_error("'%s': key 'bos_token_id' (%d) is not below 'vocab_size' (%d)", source,
				 c->bos_token_id, c->vocab_size);
	if (c->eos_token_id >= c->vocab_size)
		return llm_error("'%s': key 'eos_token_id' (%d) is not below 'vocab_size' (%d)", source,
				 c->eos_token_id, c->vocab_size);
	return 0;
}

static int cfg_hd(const struct llm_model_config *c)
{
	return c->head_dim ? c->head_dim : c->hidden_size / c->num_attention_heads;
}

cJSON *llm_model_config_to_json(const struct llm_model_config *c)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *arch = cJSON_AddArrayToObject(o, "architectures");
	cJSON_AddItemToArray(arch, cJSON_CreateString("LlamaForCausalLM"));
	cJSON_AddStringToObject(o, "model_type", "llama");
	cJSON_AddNumberToObject(o, "vocab_size", c->vocab_size);
	cJSON_AddNumberToObject(o, "hidden_size", c->hidden_size);
	cJSON_AddNumberToObject(o, "intermediate_size", c->intermediate_size);
	cJSON_AddNumberToObject(o, "num_hidden_layers", c->num_hidden_layers);
	cJSON_AddNumberToObject(o, "num_attention_heads", c->num_attention_heads);
	cJSON_AddNumberToObject(o, "num_key_value_heads", c->num_key_value_heads);
	cJSON_AddNumberToObject(o, "head_dim", cfg_hd(c));
	cJSON_AddNumberToObject(o, "max_position_embeddings", c->max_position_embeddings);
	cJSON_AddStringToObject(o, "hidden_act", "silu");
	/* printed through double so 1e-5f reads back as 1e-05, not 9.99999974737875e-06 */
	char buf[32];
	snprintf(buf, sizeof(buf), "%.9g", (double)c->rms_norm_eps);
	cJSON_AddNumberToObject(o, "rms_norm_eps", strtod(buf, NULL));
	snprintf(buf, sizeof(buf), "%.9g", (double)c->rope_theta);
	cJSON_AddNumberToObject(o, "rope_theta", strtod(buf, NULL));
	cJSON_AddBoolToObject(o, "attention_bias", 0);
	cJSON_AddBoolToObject(o, "mlp_bias", 0);
	cJSON_AddBoolToObject(o, "tie_word_embeddings", c->tie_word_embeddings);
	if (c->qk_norm)
		cJSON_AddBoolToObject(o, "qk_norm", 1);
	if (c->bos_token_id >= 0)
		cJSON_AddNumberToObject(o, "bos_token_id", c->bos_token_id);
	if (c->eos_token_id >= 0)
		cJSON_AddNumberToObject(o, "eos_token_id", c->eos_token_id);
	cJSON_AddStringToObject(o, "torch_dtype", "float32");
	return o;
}

uint64_t llm_model_config_hash(const struct llm_model_config *c)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "V%d C%d F%d L%d NH%d NKV%d HD%d eps%.9g theta%.9g tie%d qk%d",
			 c->vocab_size, c->hidden_size, c->intermediate_size, c->num_hidden_layers,
			 c->num_attention_heads, c->num_key_value_heads, cfg_hd(c),
			 (double)c->rms_norm_eps, (double)c->rope_theta, c->tie_word_embeddings,
			 c->qk_norm);
	return llm_hash64(buf, (size_t)n, 0x4c4c4d4d);
}

/* ----------------------------------------------------------------------------
 * activations */

struct llm_acts {
	int B, T;
	int32_t *tok; /* [BT] input tokens (for the embedding backward) */
	/* per layer, stacked */
	float *x;     /* [L+1, BT, C] residual stream at each layer input (x[L]: final) */
	float *xm;    /* [L, BT, C] residual after attention */
	float *xn1, *xn2;   /* [L, BT, C] normed inputs */
	float *rstd1, *rstd2; /* [L, BT] */
	/* [L, BT, QKD]: q | k | v per row (QKD = (NH + 2 NKV) HD), normed and
	 * rotated; one sgemm against the contiguous q/k/v_proj weights makes it */
	float *qkv;
	float *qraw, *kraw; /* qk_norm only: projections before the norm */
	float *rstdq, *rstdk; /* [L, BT, NH], [L, BT, NKV] */
	float *att;   /* [L, BT, NH*HD] */
	float *lse;   /* [L, B, NH, T] */
	float *hgu;   /* [L, BT, 2F] gate | up (one sgemm: gate/up_proj are contiguous) */
	float *hh;    /* [L, BT, F] silu(gate)*up */
	float *xf;    /* [BT, C] final normed */
	float *rstdf; /* [BT] */
	float *dxf;   /* [BT, C] from the classifier */
	float *losses; /* [BT] */
	float *cls;   /* [CLS_ROWS, V] classifier block */
	/* backward scratch */
	float *dres, *dxm, *dxn, *dqkv, *datt, *dgu, *dh;
	float *red;   /* [RED_CHUNKS, max(C, F)] */
	float *kt;    /* [B * n_kv_head, head_dim, T]: one layer's keys transposed */
	bool have_grad;
};

static void acts_free(struct llm_acts *a)
{
	if (!a)
		return;
	float **p[] = {&a->x, &a->xm, &a->xn1, &a->xn2, &a->rstd1, &a->rstd2, &a->qkv,
		       &a->qraw, &a->kraw, &a->rstdq, &a->rstdk, &a->att, &a->lse, &a->hgu,
		       &a->hh, &a->xf, &a->rstdf, &a->dxf, &a->losses, &a->cls, &a->dres,
		       &a->dxm, &a->dxn, &a->dqkv, &a->datt, &a->dgu, &a->dh, &a->red,
		       &a->kt};
	for (size_t i = 0; i < LLM_ARRAY_SIZE(p); i++)
		free(*p[i]);
	free(a->tok);
	free(a);
}

static float *fa(size_t n)
{
	return llm_huge_calloc(n ? n : 1, sizeof(float));
}

static struct llm_acts *acts_new(const struct llm_model *m, int B, int T)
{
	const struct llm_model_config *c = &m->cfg;
	size_t L = (size_t)c->num_hidden_layers, BT = (size_t)B * T, C = (size_t)c->hidden_size;
	size_t F = (size_t)c->intermediate_size, HD = (size_t)cfg_hd(c);
	size_t QD = (size_t)c->num_attention_heads * HD, KD = (size_t)c->num_key_value_heads * HD;
	struct llm_acts *a = llm_calloc(1, sizeof(*a));
	a->B = B;
	a->T = T;
	a->tok = llm_calloc(BT ? BT : 1, sizeof(int32_t));
	a->x = fa((L + 1) * BT * C);
	a->xm = fa(L * BT * C);
	a->xn1 = fa(L * BT * C);
	a->xn2 = fa(L * BT * C);
	a->rstd1 = fa(L * BT);
	a->rstd2 = fa(L * BT);
	a->qkv = fa(L * BT * (QD + 2 * KD));
	if (c->qk_norm) {
		a->qraw = fa(L * BT * QD);
		a->kraw = fa(L * BT * KD);
		a->rstdq = fa(L * BT * c->num_attention_heads);
		a->rstdk = fa(L * BT * c->num_key_value_heads);
	}
	a->att = fa(L * BT * QD);
	a->lse = fa(L * BT * c->num_attention_heads);
	a->hgu = fa(L * BT * 2 * F);
	a->hh = fa(L * BT * F);
	a->xf = fa(BT * C);
	a->rstdf = fa(BT);
	a->dxf = fa(BT * C);
	a->losses = fa(BT);
	a->cls = fa((size_t)CLS_ROWS * c->vocab_size);
	a->dres = fa(BT * C);
	a->dxm = fa(BT * C);
	a->dxn = fa(BT * C);
	a->dqkv = fa(BT * (QD + 2 * KD));
	a->datt = fa(BT * QD);
	a->dgu = fa(BT * 2 * F);
	a->dh = fa(BT * F);
	a->red = fa((size_t)RED_CHUNKS * LLM_MAX(LLM_MAX(C, F), HD));
	a->kt = fa(BT * KD);
	return a;
}

static void ensure_acts(struct llm_model *m, int B, int T)
{
	if (m->acts && m->acts_B == B && m->acts_T == T)
		return;
	acts_free(m->acts);
	m->acts = acts_new(m, B, T);
	m->acts_B = B;
	m->acts_T = T;
}

/* ----------------------------------------------------------------------------
 * build / free / init */

static void add_param(struct llm_model *m, int *cap, size_t *off, const char *name, int d0, int d1)
{
	if (m->n_params_tensors == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		m->params = llm_realloc(m->params, (size_t)*cap * sizeof(*m->params));
	}
	struct llm_param *p = &m->params[m->n_params_tensors++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ndim = d1 ? 2 : 1;
	p->shape[0] = d0;
	p->shape[1] = d1;
	p->numel = (size_t)d0 * (d1 ? (size_t)d1 : 1);
	p->offset = *off;
	p->decay = p->ndim == 2;
	*off += p->numel;
}

static void set_views(struct llm_model *m, float *base, float **te, float **lnf, float **head,
		      struct llm_layer_w *lw)
{
	const struct llm_model_config *c = &m->cfg;
	int k = 0;
	*te = base + m->params[k++].offset;
	for (int l = 0; l < c->num_hidden_layers; l++) {
		struct llm_layer_w *w = &lw[l];
		w->ln1 = base + m->params[k++].offset;
		w->wq = base + m->params[k++].offset;
		w->wk = base + m->params[k++].offset;
		w->wv = base + m->params[k++].offset;
		w->wo = base + m->params[k++].offset;
		if (c->qk_norm) {
			w->qn = base + m->params[k++].offset;
			w->kn = base + m->params[k++].offset;
		} else {
			w->qn = w->kn = NULL;
		}
		w->ln2 = base + m->params[k++].offset;
		w->wg = base + m->params[k++].offset;
		w->wu = base + m->params[k++].offset;
		w->wd = base + m->params[k++].offset;
	}
	*lnf = base + m->params[k++].offset;
	*head = c->tie_word_embeddings ? *te : base + m->params[k++].offset;
}

void llm_model_init(struct llm_model *m, const struct llm_model_config *cfg)
{
	memset(m, 0, sizeof(*m));
	m->cfg = *cfg;
	struct llm_model_config *c = &m->cfg;
	if (!c->head_dim)
		c->head_dim = c->hidden_size / c->num_attention_heads;
	int V = c->vocab_size, C = c->hidden_size, F = c->intermediate_size, HD = c->head_dim;
	int QD = c->num_attention_heads * HD, KD = c->num_key_value_heads * HD;
	int cap = 0;
	size_t off = 0;
	char name[96];
	add_param(m, &cap, &off, "model.embed_tokens.weight", V, C);
	for (int l = 0; l < c->num_hidden_layers; l++) {
#define P(suffix, d0, d1)                                                            \
	do {                                                                         \
		snprintf(name, sizeof(name), "model.layers.%d.%s", l, suffix);       \
		add_param(m, &cap, &off, name, d0, d1);                              \
	} while (0)
		P("input_layernorm.weight", C, 0);
		P("self_attn.q_proj.weight", QD, C);
		P("self_attn.k_proj.weight", KD, C);
		P("self_attn.v_proj.weight", KD, C);
		P("self_attn.o_proj.weight", C, QD);
		if (c->qk_norm) {
			P("self_attn.q_norm.weight", HD, 0);
			P("self_attn.k_norm.weight", HD, 0);
		}
		P("post_attention_layernorm.weight", C, 0);
		P("mlp.gate_proj.weight", F, C);
		P("mlp.up_proj.weight", F, C);
		P("mlp.down_proj.weight", C, F);
#undef P
	}
	add_param(m, &cap, &off, "model.norm.weight", C, 0);
	if (!c->tie_word_embeddings)
		add_param(m, &cap, &off, "lm_head.weight", V, C);
	m->n_params = off;
	m->w = llm_huge_calloc(off, sizeof(float));
	m->lw = llm_calloc((size_t)c->num_hidden_layers, sizeof(*m->lw));
	m->lg = llm_calloc((size_t)c->num_hidden_layers, sizeof(*m->lg));
	set_views(m, m->w, &m->wte, &m->lnf, &m->head, m->lw);

	/* RoPE tables exactly as HF computes them in fp32:
	 * inv_freq = 1 / theta^(2i/HD); angle = float(pos) * inv_freq; cos(angle). */
	int half = HD / 2, P = c->max_position_embeddings;
	m->rope_cos = llm_malloc((size_t)P * half * sizeof(float));
	m->rope_sin = llm_malloc((size_t)P * half * sizeof(float));
	for (int i = 0; i < half; i++) {
		float inv = 1.0f / powf(c->rope_theta, (float)(2 * i) / (float)HD);
		for (int p = 0; p < P; p++) {
			float ang = (float)p * inv;
			m->rope_cos[(size_t)p * half + i] = cosf(ang);
			m->rope_sin[(size_t)p * half + i] = sinf(ang);
		}
	}
}

void llm_model_alloc_grads(struct llm_model *m)
{
	if (m->g)
		return;
	m->g = llm_huge_calloc(m->n_params, sizeof(float));
	set_views(m, m->g, &m->gte, &m->glnf, &m->ghead, m->lg);
}

void llm_model_zero_grads(struct llm_model *m)
{
	if (!m->g)
		return;
	/* 4 bytes per parameter every step: split over the threads */
	size_t n = m->n_params, chunk = 1 << 16;
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < n; i += chunk)
		memset(m->g + i, 0, LLM_MIN(chunk, n - i) * sizeof(float));
}

void llm_model_free(struct llm_model *m)
{
	acts_free(m->acts);
	free(m->params);
	free(m->w);
	free(m->g);
	free(m->lw);
	free(m->lg);
	free(m->rope_cos);
	free(m->rope_sin);
	memset(m, 0, sizeof(*m));
}

const struct llm_param *llm_model_find_param(const struct llm_model *m, const char *name)
{
	for (int i = 0; i < m->n_params_tensors; i++)
		if (!strcmp(m->params[i].name, name))
			return &m->params[i];
	return NULL;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

void llm_model_init_weights(struct llm_model *m, uint64_t seed, float std)
{
	float resid = std / sqrtf(2.0f * (float)m->cfg.num_hidden_layers);
	for (int t = 0; t < m->n_params_tensors; t++) {
		const struct llm_param *p = &m->params[t];
		float *w = m->w + p->offset;
		if (p->ndim == 1) {
			for (size_t i = 0; i < p->numel; i++)
				w[i] = 1.0f;
			continue;
		}
		float s = (strstr(p->name, "o_proj") || strstr(p->name, "down_proj")) ? resid : std;
		uint64_t tseed = splitmix64(seed ^ llm_hash64(p->name, strlen(p->name), 0));
		long n = (long)p->numel;
#pragma omp parallel for schedule(static)
		for (long i = 0; i < n; i += 2) {
			uint64_t r = splitmix64(tseed + (uint64_t)i);
			double u1 = ((double)(r >> 11) + 1.0) / 9007199254740993.0; /* (0, 1] */
			double u2 = (double)(splitmix64(r) >> 11) / 9007199254740992.0;
			double rad = sqrt(-2.0 * log(u1));
			w[i] = (float)(rad * cos(2 * M_PI * u2)) * s;
			if (i + 1 < n)
				w[i + 1] = (float)(rad * sin(2 * M_PI * u2)) * s;
		}
	}
}

double llm_model_flops_per_token(const struct llm_model *m, int T)
{
	const struct llm_model_config *c = &m->cfg;
	/* the head always multiplies (tied or not); the embedding lookup is free */
	double matmul_params = (double)m->n_params;
	if (!c->tie_word_embeddings)
		matmul_params -= (double)c->vocab_size * c->hidden_size;
	/* causal attention: QK^T and PV over T/2 keys on average, forward x3 */
	double attn = 6.0 * c->num_hidden_layers * c->num_attention_heads * c->head_dim * (double)T;
	return 6.0 * matmul_params + attn;
}

/* ----------------------------------------------------------------------------
 * layers */

LLM_HOT static void rmsnorm_fwd(float *restrict out, float *restrict rstd, const float *restrict x,
				const float *restrict w, long N, int C, float eps)
{
#pragma omp parallel for schedule(static)
	for (long i = 0; i < N; i++) {
		const float *xi = x + i * C;
		float *oi = out + i * C;
		float ss = 0;
#pragma omp simd reduction(+ : ss)
		for (int j = 0; j < C; j++)
			ss += xi[j] * xi[j];
		float r = 1.0f / sqrtf(ss / (float)C + eps);
		rstd[i] = r;
#pragma omp simd
		for (int j = 0; j < C; j++)
			oi[j] = w[j] * (xi[j] * r);
	}
}

/* dx = add + RMSNorm backward of dy (add: the residual branch's gradient, or
 * NULL); dw += sum over rows of dy * xhat (fixed chunks, so the sum order
 * never depends on the thread count). */
LLM_HOT static void rmsnorm_bwd(float *restrict dx, float *restrict dw, float *restrict red,
				const float *restrict dy, const float *restrict x,
				const float *restrict w, const float *restrict rstd, long N, int C,
				const float *restrict add)
{
	long chunk = (N + RED_CHUNKS - 1) / RED_CHUNKS;
#pragma omp parallel for schedule(static)
	for (int ch = 0; ch < RED_CHUNKS; ch++) {
		float *acc = red + (size_t)ch * C;
		memset(acc, 0, (size_t)C * sizeof(float));
		long i0 = ch * chunk, i1 = LLM_MIN(N, i0 + chunk);
		for (long i = i0; i < i1; i++) {
			const float *xi = x + i * C, *dyi = dy + i * C;
			const float *ai = add ? add + i * C : NULL;
			float *dxi = dx + i * C;
			float r = rstd[i], dot = 0;
#pragma omp simd reduction(+ : dot)
			for (int j = 0; j < C; j++)
				dot += dyi[j] * w[j] * xi[j] * r;
			float mean = dot / (float)C;
#pragma omp simd
			for (int j = 0; j < C; j++) {
				float xh = xi[j] * r;
				float g = r * (dyi[j] * w[j] - xh * mean);
				dxi[j] = ai ? ai[j] + g : g;
				acc[j] += dyi[j] * xh;
			}
		}
	}
	for (int ch = 0; ch < RED_CHUNKS; ch++)
		for (int j = 0; j < C; j++)
			dw[j] += red[(size_t)ch * C + j];
}

/* Rotate-half RoPE on N rows of nh*HD floats, ld apart; row i is at position
 * pos0 + i % T.  inverse rotates back (the backward of the rotation). */
LLM_HOT static void rope_fwd(float *restrict x, long N, long ld, int nh, int HD, int T, int pos0,
			     const float *restrict cosb, const float *restrict sinb, bool inverse)
{
	int half = HD / 2;
	float sgn = inverse ? -1.0f : 1.0f;
#pragma omp parallel for schedule(static)
	for (long i = 0; i < N; i++) {
		int p = pos0 + (int)(i % T);
		const float *cs = cosb + (size_t)p * half, *sn = sinb + (size_t)p * half;
		for (int h = 0; h < nh; h++) {
			float *v = x + i * ld + (long)h * HD;
#pragma omp simd
			for (int j = 0; j < half; j++) {
				float a = v[j], b = v[j + half];
				float s = sgn * sn[j];
				v[j] = a * cs[j] - b * s;
				v[j + half] = b * cs[j] + a * s;
			}
		}
	}
}

/* Copies N rows of n floats between strided layouts. */
static void copy_rows(float *dst, long ldd, const float *src, long lds, long N, int n)
{
#pragma omp parallel for schedule(static)
	for (long i = 0; i < N; i++)
		memcpy(dst + i * ldd, src + i * lds, (size_t)n * sizeof(float));
}

/* out[j] = sum_s w[s] * X[s * stride + j] for j < HD.  The accumulators of a
 * 16-wide column chunk stay in registers across s (accumulating in memory
 * would chain every s through store-to-load forwarding). */
LLM_HOT static void weighted_rows(float *restrict out, const float *restrict w,
				  const float *restrict X, size_t stride, int ns, int HD)
{
	int j0 = 0;
	for (; j0 + 16 <= HD; j0 += 16) {
		float acc[16] = {0};
		for (int s = 0; s < ns; s++) {
			const float *xs = X + s * stride + j0;
			float ws = w[s];
#pragma omp simd
			for (int j = 0; j < 16; j++)
				acc[j] += ws * xs[j];
		}
		for (int j = 0; j < 16; j++)
			out[j0 + j] = acc[j];
	}
	for (; j0 < HD; j0++) {
		float acc = 0;
		for (int s = 0; s < ns; s++)
			acc += w[s] * X[s * stride + j0];
		out[j0] = acc;
	}
}

#define ATT_QB 64 /* query rows per attention block */

/* One attention row: out = softmax(q . K[0..ns) * scale) V; returns lse. */
LLM_HOT static float attn_row(const float *restrict q, const float *restrict K,
			      const float *restrict Vv, int ns, size_t stride, int HD, float scale,
			      float *restrict out, float *restrict buf)
{
	float mx = -INFINITY;
	for (int s = 0; s < ns; s++) {
		const float *ks = K + s * stride;
		float d = 0;
#pragma omp simd reduction(+ : d)
		for (int j = 0; j < HD; j++)
			d += q[j] * ks[j];
		d *= scale;
		buf[s] = d;
		if (d > mx)
			mx = d;
	}
	float sum = 0;
#pragma omp simd reduction(+ : sum)
	for (int s = 0; s < ns; s++) {
		buf[s] = fast_expf(buf[s] - mx);
		sum += buf[s];
	}
	weighted_rows(out, buf, Vv, stride, ns, HD);
	float inv = 1.0f / sum;
	for (int j = 0; j < HD; j++)
		out[j] *= inv;
	return mx + logf(sum);
}

/* Causal attention, blockwise: for each (batch, head) and block of ATT_QB
 * query rows, S = Q K^T over the keys up to the block's last row (a small
 * register-tiled product, lib/smallgemm.c, that skips the tiles above the
 * diagonal), a masked softmax per row, then O = P V.  Only
 * the log-sum-exp per row is kept for backward; no T x T matrix is stored. */
LLM_HOT static float softmax_row_causal(float *restrict sr, int ns, int width, float scale)
{
	float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
	for (int s = 0; s < ns; s++) {
		sr[s] *= scale;
		mx = sr[s] > mx ? sr[s] : mx;
	}
	float sum = 0;
#pragma omp simd reduction(+ : sum)
	for (int s = 0; s < ns; s++) {
		sr[s] = fast_expf(sr[s] - mx);
		sum += sr[s];
	}
	float inv = 1.0f / sum;
#pragma omp simd
	for (int s = 0; s < ns; s++)
		sr[s] *= inv;
	for (int s = ns; s < width; s++)
		sr[s] = 0;
	return mx + logf(sum);
}

/* q rows are ldq floats apart, k and v rows ldkv; att is [B*T, NH*HD];
 * kt is scratch for the keys transposed ([B * NKV, HD, T]). */
static void attention_fwd(const struct llm_model *m, float *att, float *lse, const float *q,
			  const float *k, const float *v, int ldq, int ldkv, int B, int T,
			  float *kt)
{
	const struct llm_model_config *c = &m->cfg;
	int NH = c->num_attention_heads, NKV = c->num_key_value_heads, HD = c->head_dim;
	int QD = NH * HD, grp = NH / NKV;
	float scale = 1.0f / sqrtf((float)HD);
	int nblk = (T + ATT_QB - 1) / ATT_QB;
	long items = (long)B * NH * nblk;
	/* keys as columns, so a score tile is a row of Q times rows of K^T */
#pragma omp parallel for schedule(static)
	for (long bk = 0; bk < (long)B * NKV; bk++)
		llm_transpose(kt + bk * HD * T, T, k + (bk / NKV) * T * ldkv + (bk % NKV) * HD, ldkv, T,
			      HD);
#pragma omp parallel
	{
		float *S = llm_malloc((size_t)ATT_QB * T * sizeof(float));
#pragma omp for schedule(dynamic, 1)
		for (long it = 0; it < items; it++) {
			int blk = (int)(it % nblk), bh = (int)(it / nblk);
			int b = bh / NH, h = bh % NH, kvh = h / grp;
			int t0 = blk * ATT_QB, t1 = LLM_MIN(T, t0 + ATT_QB), nq = t1 - t0;
			const float *Q = q + ((size_t)b * T + t0) * ldq + (size_t)h * HD;
			const float *KT = kt + ((size_t)b * NKV + kvh) * HD * T;
			const float *Vv = v + (size_t)b * T * ldkv + (size_t)kvh * HD;
			llm_smallgemm(nq, t1, HD, Q, ldq, 1, KT, T, S, t1, false, LLM_TRI_COLS, t0);
			for (int i = 0; i < nq; i++)
				lse[((size_t)b * NH + h) * T + t0 + i] =
					softmax_row_causal(S + (size_t)i * t1, t0 + i + 1, t1, scale);
			llm_smallgemm(nq, HD, t1, S, t1, 1, Vv, ldkv,
				      att + ((size_t)b * T + t0) * QD + (size_t)h * HD, QD, false,
				      LLM_TRI_KEND, t0);
		}
		free(S);
	}
}

/* Flash-attention style backward: per query block, P is recomputed from
 * Q K^T and the saved lse; dP = dO V^T; dS = P (dP - rowsum(dO O)) scale;
 * dQ = dS K, dK += dS^T Q, dV += P^T dO.  One work item per (b, kv head)
 * owns its dK/dV rows, so no two threads write the same float. */
LLM_HOT static void attn_bwd_item(const float *restrict q, const float *restrict k,
				  const float *restrict v, const float *restrict att,
				  const float *restrict datt, const float *restrict lse,
				  float *restrict dq, float *restrict dk, float *restrict dv, int b,
				  int kvh, int T, int NH, int NKV, int HD, int ldq, int ldkv,
				  float *restrict P, float *restrict dS, float *restrict KT,
				  float *restrict VT)
{
	int QD = NH * HD, KD = ldkv, grp = NH / NKV;
	float scale = 1.0f / sqrtf((float)HD);
	const float *K = k + (size_t)b * T * KD + (size_t)kvh * HD;
	const float *Vv = v + (size_t)b * T * KD + (size_t)kvh * HD;
	float *dK = dk + (size_t)b * T * KD + (size_t)kvh * HD;
	float *dV = dv + (size_t)b * T * KD + (size_t)kvh * HD;
	for (int s = 0; s < T; s++) {
		memset(dK + (size_t)s * KD, 0, (size_t)HD * sizeof(float));
		memset(dV + (size_t)s * KD, 0, (size_t)HD * sizeof(float));
	}
	llm_transpose(KT, T, K, KD, T, HD);
	llm_transpose(VT, T, Vv, KD, T, HD);
	for (int hh = 0; hh < grp; hh++) {
		int h = kvh * grp + hh;
		for (int t0 = 0; t0 < T; t0 += ATT_QB) {
			int t1 = LLM_MIN(T, t0 + ATT_QB), nq = t1 - t0;
			size_t r0 = (size_t)b * T + t0;
			const float *Q = q + r0 * ldq + (size_t)h * HD;
			const float *O = att + r0 * QD + (size_t)h * HD;
			const float *dO = datt + r0 * QD + (size_t)h * HD;
			llm_smallgemm(nq, t1, HD, Q, ldq, 1, KT, T, P, t1, false, LLM_TRI_COLS, t0);
			llm_smallgemm(nq, t1, HD, dO, QD, 1, VT, T, dS, t1, false, LLM_TRI_COLS, t0);
			for (int i = 0; i < nq; i++) {
				int ns = t0 + i + 1;
				float *pr = P + (size_t)i * t1, *dr = dS + (size_t)i * t1;
				const float *oi = O + (size_t)i * QD, *doi = dO + (size_t)i * QD;
				float l = lse[((size_t)b * NH + h) * T + t0 + i];
				float D = 0;
#pragma omp simd reduction(+ : D)
				for (int j = 0; j < HD; j++)
					D += doi[j] * oi[j];
#pragma omp simd
				for (int s = 0; s < ns; s++) {
					float p = fast_expf(pr[s] * scale - l);
					pr[s] = p;
					dr[s] = p * (dr[s] - D) * scale;
				}
				for (int s = ns; s < t1; s++)
					pr[s] = dr[s] = 0;
			}
			llm_smallgemm(nq, HD, t1, dS, t1, 1, K, KD, dq + r0 * ldq + (size_t)h * HD, ldq,
				      false, LLM_TRI_KEND, t0);
			/* dK(s) and dV(s) get nothing from query rows i < s - t0 */
			llm_smallgemm(t1, HD, nq, dS, 1, t1, Q, ldq, dK, KD, true, LLM_TRI_KBEGIN, t0);
			llm_smallgemm(t1, HD, nq, P, 1, t1, dO, QD, dV, KD, true, LLM_TRI_KBEGIN, t0);
		}
	}
}

/* q, dq rows ldq apart; k, v, dk, dv rows ldkv apart; att, datt [B*T, NH*HD]. */
static void attention_bwd(const struct llm_model *m, float *dq, float *dk, float *dv,
			  const float *datt, const float *q, const float *k, const float *v,
			  const float *att, const float *lse, int ldq, int ldkv, int B, int T)
{
	const struct llm_model_config *c = &m->cfg;
	int NH = c->num_attention_heads, NKV = c->num_key_value_heads, HD = c->head_dim;
	long items = (long)B * NKV;
#pragma omp parallel
	{
		float *P = llm_malloc((size_t)ATT_QB * T * sizeof(float));
		float *dS = llm_malloc((size_t)ATT_QB * T * sizeof(float));
		float *KT = llm_malloc((size_t)HD * T * sizeof(float));
		float *VT = llm_malloc((size_t)HD * T * sizeof(float));
#pragma omp for schedule(dynamic, 1)
		for (long it = 0; it < items; it++)
			attn_bwd_item(q, k, v, att, datt, lse, dq, dk, dv, (int)(it / NKV), (int)(it % NKV),
				      T, NH, NKV, HD, ldq, ldkv, P, dS, KT, VT);
		free(P);
		free(dS);
		free(KT);
		free(VT);
	}
}

/* h[r] = silu(g[r]) * u[r] over N rows of F; g and u rows are ld apart. */
LLM_HOT static void swiglu_fwd(float *restrict h, const float *restrict g, const float *restrict u,
			       long N, int F, long ld)
{
#pragma omp parallel for schedule(static)
	for (long r = 0; r < N; r++) {
		float *hc = h + r * F;
		const float *gc = g + r * ld, *uc = u + r * ld;
#pragma omp simd
		for (int i = 0; i < F; i++) {
			float gi = gc[i];
			hc[i] = gi / (1.0f + fast_expf(-gi)) * uc[i];
		}
	}
}

/* Backward of swiglu_fwd: dg, du, g, u rows ld apart; dh rows F apart. */
LLM_HOT static void swiglu_bwd(float *restrict dg, float *restrict du, const float *restrict dh,
			       const float *restrict g, const float *restrict u, long N, int F,
			       long ld)
{
#pragma omp parallel for schedule(static)
	for (long r = 0; r < N; r++) {
		float *dgc = dg + r * ld, *duc = du + r * ld;
		const float *dhc = dh + r * F, *gc = g + r * ld, *uc = u + r * ld;
#pragma omp simd
		for (int i = 0; i < F; i++) {
			float gi = gc[i], sg = 1.0f / (1.0f + fast_expf(-gi));
			float silu = gi * sg;
			duc[i] = dhc[i] * silu;
			dgc[i] = dhc[i] * uc[i] * (sg * (1.0f + gi * (1.0f - sg)));
		}
	}
}

/* Per-head RMSNorm for QK-norm: rows [N*nh, HD]. */
static void headnorm_fwd(float *out, float *rstd, const float *x, const float *w, long rows, int HD,
			 float eps)
{
	rmsnorm_fwd(out, rstd, x, w, rows, HD, eps);
}

/* ----------------------------------------------------------------------------
 * forward */

/* Layer l's attention + MLP on rows already embedded into a->x[l]. */
static void layer_fwd(struct llm_model *m, int l, int B, int T)
{
	struct llm_acts *a = m->acts;
	const struct llm_model_config *c = &m->cfg;
	const struct llm_layer_w *w = &m->lw[l];
	long BT = (long)B * T;
	int C = c->hidden_size, F = c->intermediate_size, HD = c->head_dim;
	int NH = c->num_attention_heads, NKV = c->num_key_value_heads;
	int QD = NH * HD, KD = NKV * HD, QKD = QD + 2 * KD;
	float *x = a->x + (size_t)l * BT * C, *xm = a->xm + (size_t)l * BT * C;
	float *xo = a->x + (size_t)(l + 1) * BT * C;
	float *xn1 = a->xn1 + (size_t)l * BT * C, *xn2 = a->xn2 + (size_t)l * BT * C;
	float *qkv = a->qkv + (size_t)l * BT * QKD, *att = a->att + (size_t)l * BT * QD;
	float *hgu = a->hgu + (size_t)l * BT * 2 * F, *hh = a->hh + (size_t)l * BT * F;

	rmsnorm_fwd(xn1, a->rstd1 + (size_t)l * BT, x, w->ln1, BT, C, c->rms_norm_eps);
	/* q_proj, k_proj, v_proj are consecutive in the parameter buffer: one
	 * [QKD, C] weight, one sgemm (A packed once, one wide N) */
	llm_linear_fwd(qkv, xn1, w->wq, (int)BT, C, QKD, false);
	if (c->qk_norm) {
		/* keep the raw projections for backward; datt is free scratch here */
		float *qr = a->qraw + (size_t)l * BT * QD, *kr = a->kraw + (size_t)l * BT * KD;
		copy_rows(qr, QD, qkv, QKD, BT, QD);
		copy_rows(kr, KD, qkv + QD, QKD, BT, KD);
		headnorm_fwd(a->datt, a->rstdq + (size_t)l * BT * NH, qr, w->qn, BT * NH, HD,
			     c->rms_norm_eps);
		copy_rows(qkv, QKD, a->datt, QD, BT, QD);
		headnorm_fwd(a->datt, a->rstdk + (size_t)l * BT * NKV, kr, w->kn, BT * NKV, HD,
			     c->rms_norm_eps);
		copy_rows(qkv + QD, QKD, a->datt, KD, BT, KD);
	}
	rope_fwd(qkv, BT, QKD, NH, HD, T, 0, m->rope_cos, m->rope_sin, false);
	rope_fwd(qkv + QD, BT, QKD, NKV, HD, T, 0, m->rope_cos, m->rope_sin, false);
	attention_fwd(m, att, a->lse + (size_t)l * BT * NH, qkv, qkv + QD, qkv + QD + KD, QKD, QKD,
		      B, T, a->kt);
	copy_rows(xm, C, x, C, BT, C);
	llm_linear_fwd(xm, att, w->wo, (int)BT, QD, C, true);

	rmsnorm_fwd(xn2, a->rstd2 + (size_t)l * BT, xm, w->ln2, BT, C, c->rms_norm_eps);
	/* gate_proj and up_proj are consecutive too: one [2F, C] sgemm */
	llm_linear_fwd(hgu, xn2, w->wg, (int)BT, C, 2 * F, false);
	swiglu_fwd(hh, hgu, hgu + F, BT, F, 2L * F);
	copy_rows(xo, C, xm, C, BT, C);
	llm_linear_fwd(xo, hh, w->wd, (int)BT, F, C, true);
}

static void trunk_fwd(struct llm_model *m, const int32_t *tokens, int B, int T)
{
	const struct llm_model_config *c = &m->cfg;
	struct llm_acts *a = m->acts;
	long BT = (long)B * T;
	int C = c->hidden_size;
	if (T > c->max_position_embeddings)
		llm_die("sequence length %d exceeds max_position_embeddings %d", T,
			c->max_position_embeddings);
	for (long i = 0; i < BT; i++)
		if (tokens[i] < 0 || tokens[i] >= c->vocab_size)
			llm_die("token %d at position %ld is outside the vocabulary [0, %d)", tokens[i], i,
				c->vocab_size);
	memcpy(a->tok, tokens, (size_t)BT * sizeof(int32_t));
#pragma omp parallel for schedule(static)
	for (long i = 0; i < BT; i++)
		memcpy(a->x + i * C, m->wte + (size_t)tokens[i] * C, (size_t)C * sizeof(float));
	for (int l = 0; l < c->num_hidden_layers; l++)
		layer_fwd(m, l, B, T);
	float *xl = a->x + (size_t)c->num_hidden_layers * BT * C;
	rmsnorm_fwd(a->xf, a->rstdf, xl, m->lnf, BT, C, c->rms_norm_eps);
}

/* Softmax + cross-entropy (+ z-loss) over a block of logit rows, in place:
 * row r becomes dloss/dlogits * scale when grad. */
LLM_HOT static void classifier_rows(float *restrict logits, const int32_t *restrict targets,
				    float *restrict losses, float *restrict zterm, int R, int V,
				    float zcoef, float scale, bool grad)
{
#pragma omp parallel for schedule(static)
	for (int r = 0; r < R; r++) {
		float *lr = logits + (size_t)r * V;
		int tg = targets[r];
		if (tg < 0) {
			losses[r] = -1;
			zterm[r] = 0;
			if (grad)
				memset(lr, 0, (size_t)V * sizeof(float));
			continue;
		}
		float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
		for (int j = 0; j < V; j++)
			mx = lr[j] > mx ? lr[j] : mx;
		float ltg = lr[tg];
		double sum = 0;
#pragma omp simd reduction(+ : sum)
		for (int j = 0; j < V; j++) {
			float e = fast_expf(lr[j] - mx);
			lr[j] = e;
			sum += e;
		}
		float lse = mx + (float)log(sum);
		losses[r] = lse - ltg;
		zterm[r] = lse * lse;
		if (grad) {
			float f = (float)(1.0 / sum) * (1.0f + 2.0f * zcoef * lse) * scale;
#pragma omp simd
			for (int j = 0; j < V; j++)
				lr[j] *= f;
			lr[tg] -= scale;
		}
	}
}

float llm_model_forward(struct llm_model *m, const int32_t *tokens, const int32_t *targets,
			int B, int T, float grad_scale, float *ce_out, long *n_counted)
{
	ensure_acts(m, B, T);
	struct llm_acts *a = m->acts;
	const struct llm_model_config *c = &m->cfg;
	long BT = (long)B * T;
	int C = c->hidden_size, V = c->vocab_size;
	trunk_fwd(m, tokens, B, T);
	a->have_grad = false;
	if (!targets)
		return 0;
	bool grad = grad_scale > 0;
	if (grad && !m->g)
		llm_model_alloc_grads(m);
	long counted = 0;
	for (long i = 0; i < BT; i++) {
		if (targets[i] >= V)
			llm_die("target %d at position %ld is outside the vocabulary [0, %d)", targets[i],
				i, V);
		counted += targets[i] >= 0;
	}
	float scale = counted ? grad_scale / (float)counted : 0;
	float *zterm = llm_malloc((size_t)BT * sizeof(float));
	for (long r0 = 0; r0 < BT; r0 += CLS_ROWS) {
		int R = (int)LLM_MIN((long)CLS_ROWS, BT - r0);
		llm_linear_fwd(a->cls, a->xf + r0 * C, m->head, R, C, V, false);
		classifier_rows(a->cls, targets + r0, a->losses + r0, zterm + r0, R, V, m->z_loss, scale,
				grad);
		if (grad)
			llm_linear_bwd(a->dxf + r0 * C, m->ghead, a->cls, a->xf + r0 * C, m->head, R, C, V,
				       false);
	}
	double ce = 0, z = 0;
	for (long i = 0; i < BT; i++)
		if (targets[i] >= 0) {
			ce += a->losses[i];
			z += zterm[i];
		}
	free(zterm);
	if (counted) {
		ce /= (double)counted;
		z /= (double)counted;
	}
	if (ce_out)
		*ce_out = (float)ce;
	if (n_counted)
		*n_counted = counted;
	a->have_grad = grad;
	return (float)(ce + m->z_loss * z);
}

const float *llm_model_token_losses(const struct llm_model *m)
{
	return m->acts ? m->acts->losses : NULL;
}

void llm_model_logits(struct llm_model *m, const int32_t *tokens, int B, int T, float *logits)
{
	ensure_acts(m, B, T);
	trunk_fwd(m, tokens, B, T);
	m->acts->have_grad = false;
	llm_linear_fwd(logits, m->acts->xf, m->head, B * T, m->cfg.hidden_size, m->cfg.vocab_size,
		       false);
}

/* ----------------------------------------------------------------------------
 * backward */

void llm_model_backward(struct llm_model *m)
{
	struct llm_acts *a = m->acts;
	if (!a || !a->have_grad)
		llm_die("llm_model_backward without a forward pass with targets and grad_scale > 0");
	const struct llm_model_config *c = &m->cfg;
	int B = a->B, T = a->T;
	long BT = (long)B * T;
	int C = c->hidden_size, F = c->intermediate_size, HD = c->head_dim;
	int NH = c->num_attention_heads, NKV = c->num_key_value_heads;
	int QD = NH * HD, KD = NKV * HD, QKD = QD + 2 * KD, L = c->num_hidden_layers;

	rmsnorm_bwd(a->dres, m->glnf, a->red, a->dxf, a->x + (size_t)L * BT * C, m->lnf, a->rstdf, BT,
		    C, NULL);
	for (int l = L - 1; l >= 0; l--) {
		const struct llm_layer_w *w = &m->lw[l];
		struct llm_layer_w *g = &m->lg[l];
		float *x = a->x + (size_t)l * BT * C, *xm = a->xm + (size_t)l * BT * C;
		float *xn1 = a->xn1 + (size_t)l * BT * C, *xn2 = a->xn2 + (size_t)l * BT * C;
		float *qkv = a->qkv + (size_t)l * BT * QKD, *att = a->att + (size_t)l * BT * QD;
		float *hgu = a->hgu + (size_t)l * BT * 2 * F, *hh = a->hh + (size_t)l * BT * F;
		float *dqkv = a->dqkv;

		/* MLP: x_out = xm + down(silu(gate(xn2)) * up(xn2)) */
		llm_linear_bwd(a->dh, g->wd, a->dres, hh, w->wd, (int)BT, F, C, false);
		swiglu_bwd(a->dgu, a->dgu + F, a->dh, hgu, hgu + F, BT, F, 2L * F);
		llm_linear_bwd(a->dxn, g->wg, a->dgu, xn2, w->wg, (int)BT, C, 2 * F, false);
		rmsnorm_bwd(a->dxm, g->ln2, a->red, a->dxn, xm, w->ln2, a->rstd2 + (size_t)l * BT, BT, C,
			    a->dres);

		/* attention: xm = x + o_proj(attn(q, k, v)) */
		llm_linear_bwd(a->datt, g->wo, a->dxm, att, w->wo, (int)BT, QD, C, false);
		attention_bwd(m, dqkv, dqkv + QD, dqkv + QD + KD, a->datt, qkv, qkv + QD, qkv + QD + KD,
			      att, a->lse + (size_t)l * BT * NH, QKD, QKD, B, T);
		rope_fwd(dqkv, BT, QKD, NH, HD, T, 0, m->rope_cos, m->rope_sin, true);
		rope_fwd(dqkv + QD, BT, QKD, NKV, HD, T, 0, m->rope_cos, m->rope_sin, true);
		if (c->qk_norm) {
			/* d(normed) -> d(raw projections), through contiguous scratch:
			 * datt (free now) holds the gathered rows, dh the result */
			float *qr = a->qraw + (size_t)l * BT * QD, *kr = a->kraw + (size_t)l * BT * KD;
			copy_rows(a->datt, QD, dqkv, QKD, BT, QD);
			rmsnorm_bwd(a->dh, g->qn, a->red, a->datt, qr, w->qn,
				    a->rstdq + (size_t)l * BT * NH, BT * NH, HD, NULL);
			copy_rows(dqkv, QKD, a->dh, QD, BT, QD);
			copy_rows(a->datt, KD, dqkv + QD, QKD, BT, KD);
			rmsnorm_bwd(a->dh, g->kn, a->red, a->datt, kr, w->kn,
				    a->rstdk + (size_t)l * BT * NKV, BT * NKV, HD, NULL);
			copy_rows(dqkv + QD, QKD, a->dh, KD, BT, KD);
		}
		llm_linear_bwd(a->dxn, g->wq, dqkv, xn1, w->wq, (int)BT, C, QKD, false);
		rmsnorm_bwd(a->dres, g->ln1, a->red, a->dxn, x, w->ln1, a->rstd1 + (size_t)l * BT, BT, C,
			    a->dxm);
	}
	/* embedding: scatter-add rows; threads own column slices so the order of
	 * additions into one row is always token order */
	int nth = 16;
	int cols = (C + nth - 1) / nth;
#pragma omp parallel for schedule(static)
	for (int s = 0; s < nth; s++) {
		int j0 = s * cols, j1 = LLM_MIN(C, j0 + cols);
		for (long i = 0; i < BT; i++) {
			float *dst = m->gte + (size_t)a->tok[i] * C;
			const float *src = a->dres + i * C;
			for (int j = j0; j < j1; j++)
				dst[j] += src[j];
		}
	}
	a->have_grad = false;
}

/* ----------------------------------------------------------------------------
 * incremental decoding */

void llm_kv_cache_init(struct llm_kv_cache *kv, const struct llm_model *m, int max_T)
{
	const struct llm_model_config *c = &m->cfg;
	size_t n = (size_t)c->num_hidden_layers * max_T * c->num_key_value_heads * c->head_dim;
	kv->max_T = max_T;
	kv->pos = 0;
	kv->k = llm_calloc(n, sizeof(float));
	kv->v = llm_calloc(n, sizeof(float));
}

void llm_kv_cache_free(struct llm_kv_cache *kv)
{
	free(kv->k);
	free(kv->v);
	memset(kv, 0, sizeof(*kv));
}

void llm_kv_cache_reset(struct llm_kv_cache *kv)
{
	kv->pos = 0;
}

void llm_kv_cache_truncate(struct llm_kv_cache *kv, int pos)
{
	if (pos < kv->pos)
		kv->pos = pos < 0 ? 0 : pos;
}

/* all: logits of every one of the n positions ([n, V]), else of the last. */
static int decode_impl(struct llm_model *m, struct llm_kv_cache *kv, const int32_t *tokens, int n,
		       float *logits, bool all)
{
	const struct llm_model_config *c = &m->cfg;
	if (n <= 0)
		return -1;
	if (kv->pos + n > kv->max_T || kv->pos + n > c->max_position_embeddings)
		return -1;
	int C = c->hidden_size, F = c->intermediate_size, HD = c->head_dim;
	int NH = c->num_attention_heads, NKV = c->num_key_value_heads;
	int QD = NH * HD, KD = NKV * HD, grp = NH / NKV, p0 = kv->pos;
	float scale = 1.0f / sqrtf((float)HD);
	float *x = fa((size_t)n * C), *xn = fa((size_t)n * C), *q = fa((size_t)n * QD);
	float *att = fa((size_t)n * QD), *hg = fa((size_t)n * F), *hu = fa((size_t)n * F);
	float *rs = fa((size_t)n * LLM_MAX(NH, 1)), *tmp = fa((size_t)n * QD);
	float *hh = fa((size_t)n * F);
	for (int i = 0; i < n; i++) {
		if (tokens[i] < 0 || tokens[i] >= c->vocab_size) {
			free(x), free(xn), free(q), free(att), free(hg), free(hu), free(rs), free(tmp), free(hh);
			return -1;
		}
		memcpy(x + (size_t)i * C, m->wte + (size_t)tokens[i] * C, (size_t)C * sizeof(float));
	}
	for (int l = 0; l < c->num_hidden_layers; l++) {
		const struct llm_layer_w *w = &m->lw[l];
		float *kc = kv->k + (size_t)l * kv->max_T * KD, *vc = kv->v + (size_t)l * kv->max_T * KD;
		float *kn = kc + (size_t)p0 * KD, *vn = vc + (size_t)p0 * KD;
		rmsnorm_fwd(xn, rs, x, w->ln1, n, C, c->rms_norm_eps);
		if (c->qk_norm) {
			llm_linear_fwd(tmp, xn, w->wq, n, C, QD, false);
			headnorm_fwd(q, rs, tmp, w->qn, (long)n * NH, HD, c->rms_norm_eps);
			llm_linear_fwd(tmp, xn, w->wk, n, C, KD, false);
			headnorm_fwd(kn, rs, tmp, w->kn, (long)n * NKV, HD, c->rms_norm_eps);
		} else {
			llm_linear_fwd(q, xn, w->wq, n, C, QD, false);
			llm_linear_fwd(kn, xn, w->wk, n, C, KD, false);
		}
		llm_linear_fwd(vn, xn, w->wv, n, C, KD, false);
		rope_fwd(q, n, QD, NH, HD, n, p0, m->rope_cos, m->rope_sin, false);
		rope_fwd(kn, n, KD, NKV, HD, n, p0, m->rope_cos, m->rope_sin, false);
#pragma omp parallel
		{
			float *buf = llm_malloc((size_t)(p0 + n) * sizeof(float));
#pragma omp for schedule(static)
			for (long it = 0; it < (long)n * NH; it++) {
				int i = (int)(it / NH), h = (int)(it % NH);
				attn_row(q + (size_t)i * QD + (size_t)h * HD, kc + (size_t)(h / grp) * HD,
					 vc + (size_t)(h / grp) * HD, p0 + i + 1, (size_t)KD, HD, scale,
					 att + (size_t)i * QD + (size_t)h * HD, buf);
			}
			free(buf);
		}
		llm_linear_fwd(x, att, w->wo, n, QD, C, true);
		rmsnorm_fwd(xn, rs, x, w->ln2, n, C, c->rms_norm_eps);
		llm_linear_fwd(hg, xn, w->wg, n, C, F, false);
		llm_linear_fwd(hu, xn, w->wu, n, C, F, false);
		swiglu_fwd(hh, hg, hu, n, F, F);
		llm_linear_fwd(x, hh, w->wd, n, F, C, true);
	}
	int R = all ? n : 1;
	rmsnorm_fwd(xn, rs, x + (size_t)(n - R) * C, m->lnf, R, C, c->rms_norm_eps);
	llm_linear_fwd(logits, xn, m->head, R, C, c->vocab_size, false);
	kv->pos += n;
	free(x), free(xn), free(q), free(att), free(hg), free(hu), free(rs), free(tmp), free(hh);
	return 0;
}

int llm_model_decode(struct llm_model *m, struct llm_kv_cache *kv, const int32_t *tokens, int n,
		     float *logits)
{
	return decode_impl(m, kv, tokens, n, logits, false);
}

int llm_model_decode_all(struct llm_model *m, struct llm_kv_cache *kv, const int32_t *tokens, int n,
			 float *logits)
{
	return decode_impl(m, kv, tokens, n, logits, true);
}
