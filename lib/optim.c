/*
 * optim.c: AdamW, gradient norm and clipping, learning-rate schedules.
 */
#include "optim.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "bigmem.h"
#include "util.h"

#define NORM_CHUNKS 256

void llm_adamw_init(struct llm_adamw *o, size_t n, float beta1, float beta2, float eps,
		    float weight_decay)
{
	memset(o, 0, sizeof(*o));
	o->beta1 = beta1;
	o->beta2 = beta2;
	o->eps = eps;
	o->weight_decay = weight_decay;
	o->n = n;
	o->m = llm_huge_calloc(n ? n : 1, sizeof(float));
	o->v = llm_huge_calloc(n ? n : 1, sizeof(float));
}

void llm_adamw_free(struct llm_adamw *o)
{
	free(o->m);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

LLM_HOT void llm_adamw_step(struct llm_adamw *o, struct llm_model *model, float lr)
{
	llm_adamw_step_scaled(o, model, lr, 1.0f);
}

struct adamw_k {
	float b1, b2, eps, step_size, bc2_sqrt, gscale;
};

static inline void adamw_range(float *restrict w, const float *restrict g, float *restrict m,
			       float *restrict v, long n, float decay, const struct adamw_k *k)
{
	float b1 = k->b1, b2 = k->b2, eps = k->eps, step_size = k->step_size;
	float bc2_sqrt = k->bc2_sqrt, gscale = k->gscale;
	bool scale = gscale != 1.0f;
#pragma omp simd
	for (long i = 0; i < n; i++) {
		/* the clipped gradient, as llm_grad_scale would have stored it */
		float gi = scale ? g[i] * gscale : g[i];
		float wi = w[i] * decay;
		float mi = m[i] * b1 + gi * (1.0f - b1);
		float vi = v[i] * b2 + (1.0f - b2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		float denom = sqrtf(vi) / bc2_sqrt + eps;
		w[i] = wi - step_size * (mi / denom);
	}
}

/* One parallel region for all tensors, each split evenly over the threads
 * (element-wise, so the split never changes a result). */
LLM_HOT void llm_adamw_step_scaled(struct llm_adamw *o, struct llm_model *model, float lr,
				   float gscale)
{
	o->t++;
	double bc1 = 1.0 - pow((double)o->beta1, (double)o->t);
	double bc2 = 1.0 - pow((double)o->beta2, (double)o->t);
	struct adamw_k k = {o->beta1, o->beta2, o->eps, (float)(lr / bc1), (float)sqrt(bc2), gscale};
#pragma omp parallel
	{
		long nt = omp_get_num_threads(), id = omp_get_thread_num();
		for (int ti = 0; ti < model->n_params_tensors; ti++) {
			const struct llm_param *p = &model->params[ti];
			long n = (long)p->numel, chunk = (n + nt - 1) / nt;
			long i0 = LLM_MIN(n, id * chunk), i1 = LLM_MIN(n, i0 + chunk);
			size_t off = p->offset + (size_t)i0;
			float decay = p->decay ? 1.0f - lr * o->weight_decay : 1.0f;
			adamw_range(model->w + off, model->g + off, o->m + off, o->v + off, i1 - i0, decay,
				    &k);
		}
	}
}

LLM_HOT double llm_grad_norm(const struct llm_model *model)
{
	size_t n = model->n_params;
	size_t chunk = (n + NORM_CHUNKS - 1) / NORM_CHUNKS;
	double part[NORM_CHUNKS];
	const float *g = model->g;
#pragma omp parallel for schedule(static)
	for (int c = 0; c < NORM_CHUNKS; c++) {
		size_t i0 = (size_t)c * chunk, i1 = LLM_MIN(n, i0 + chunk);
		double s = 0;
#pragma omp simd reduction(+ : s)
		for (size_t i = i0; i < i1; i++)
			s += (double)g[i] * g[i];
		part[c] = s;
	}
	double s = 0;
	for (int c = 0; c < NORM_CHUNKS; c++)
		s += part[c];
	return sqrt(s);
}

void llm_grad_scale(struct llm_model *model, float s)
{
	long n = (long)model->n_params;
	float *g = model->g;
#pragma omp parallel for simd schedule(static)
	for (long i = 0; i < n; i++)
		g[i] *= s;
}

double llm_grad_clip(struct llm_model *model, double max_norm)
{
	double norm;
	float coef = llm_grad_clip_coef(model, max_norm, &norm);
	if (coef != 1.0f)
		llm_grad_scale(model, coef);
	return norm;
}

float llm_grad_clip_coef(const struct llm_model *model, double max_norm, double *norm_out)
{
	double norm = llm_grad_norm(model);
	*norm_out = norm;
	if (max_norm > 0 && isfinite(norm)) {
		float coef = (float)max_norm / ((float)norm + 1e-6f);
		if (coef < 1.0f)
			return coef;
	}
	return 1.0f;
}

int llm_schedule_parse(const char *name)
{
	if (!strcmp(name, "cosine"))
		return LLM_SCHED_COSINE;
	if (!strcmp(name, "wsd"))
		return LLM_SCHED_WSD;
	if (!strcmp(name, "constant"))
		return LLM_SCHED_CONSTANT;
	return -1;
}

double llm_lr_at(const struct llm_lr_schedule *s, int64_t step)
{
	if (s->warmup > 0 && step < s->warmup)
		return s->lr * (double)(step + 1) / (double)s->warmup;
	switch (s->kind) {
	case LLM_SCHED_CONSTANT:
		return s->lr;
	case LLM_SCHED_COSINE: {
		int64_t span = s->total - s->warmup;
		if (span <= 0)
			return s->lr;
		double r = (double)(step - s->warmup) / (double)span;
		if (r > 1)
			r = 1;
		return s->min_lr + 0.5 * (1.0 + cos(M_PI * r)) * (s->lr - s->min_lr);
	}
	case LLM_SCHED_WSD: {
		int64_t decay = (int64_t)ceil(s->decay_frac * (double)s->total);
		int64_t start = s->total - decay;
		if (start < s->warmup)
			start = s->warmup;
		if (step < start || decay <= 0)
			return s->lr;
		double r = (double)(step - start + 1) / (double)(s->total - start);
		if (r > 1)
			r = 1;
		return s->min_lr + (1.0 - sqrt(r)) * (s->lr - s->min_lr);
	}
	}
	return s->lr;
}
