/*
 * test_model.c: unit tests of the model library without a Python peer:
 * config checks, KV-cache decoding against the full forward, gradients
 * against finite differences, gradient accumulation, determinism,
 * safetensors and training-state round trips (and their corruption checks),
 * the data loader, AdamW and the schedules.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "atomic.h"
#include "blas.h"
#include "ckpt.h"
#include "dataloader.h"
#include "files.h"
#include "model.h"
#include "optim.h"
#include "safetensors.h"
#include "util.h"

static char tmpdir[256];

static int setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/llm-test-model.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	llm_blas_set_threads(2);
	return 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	llm_rm_rf(tmpdir);
	return 0;
}

static void tiny_config(struct llm_model_config *c, bool qk, bool tie)
{
	llm_model_config_default(c);
	c->vocab_size = 97;
	c->hidden_size = 32;
	c->intermediate_size = 48;
	c->num_hidden_layers = 2;
	c->num_attention_heads = 4;
	c->num_key_value_heads = 2;
	c->max_position_embeddings = 128;
	c->qk_norm = qk;
	c->tie_word_embeddings = tie;
	c->eos_token_id = -1;
}

static void tiny_tokens(int32_t *x, int32_t *y, int n, int V, uint32_t seed)
{
	uint32_t s = seed;
	int32_t prev = 1;
	for (int i = 0; i < n; i++) {
		s = s * 1664525u + 1013904223u;
		x[i] = prev;
		prev = (int32_t)((s >> 8) % (uint32_t)V);
		y[i] = prev;
	}
}

/* ------------------------------------------------------------------------ */

static void test_config_checks(void **state)
{
	(void)state;
	struct llm_model_config c;
	tiny_config(&c, false, true);
	assert_int_equal(llm_model_config_check(&c, "t"), 0);
	c.num_key_value_heads = 3;
	assert_int_equal(llm_model_config_check(&c, "t"), -1);
	tiny_config(&c, false, true);
	c.hidden_size = 30;
	assert_int_equal(llm_model_config_check(&c, "t"), -1);
	tiny_config(&c, false, true);
	c.head_dim = 7;
	assert_int_equal(llm_model_config_check(&c, "t"), -1);

	/* to_json -> from_json round trip keeps the hash */
	tiny_config(&c, true, false);
	c.rope_theta = 500000.0f;
	cJSON *j = llm_model_config_to_json(&c);
	struct llm_model_config d;
	llm_model_config_default(&d);
	assert_int_equal(llm_model_config_from_json(&d, j, "t", true), 0);
	assert_true(llm_model_config_hash(&c) == llm_model_config_hash(&d));
	assert_true(d.qk_norm && !d.tie_word_embeddings);
	/* strict mode rejects unknown keys, lenient mode ignores them */
	cJSON_AddNumberToObject(j, "hiden_size", 3);
	assert_int_equal(llm_model_config_from_json(&d, j, "t", true), -1);
	assert_int_equal(llm_model_config_from_json(&d, j, "t", false), 0);
	cJSON_DeleteItemFromObject(j, "hidden_act");
	cJSON_AddStringToObject(j, "hidden_act", "gelu");
	assert_int_equal(llm_model_config_from_json(&d, j, "t", false), -1);
	cJSON_Delete(j);
}

static void check_decode(bool qk, bool tie)
{
	struct llm_model_config c;
	tiny_config(&c, qk, tie);
	struct llm_model m;
	llm_model_init(&m, &c);
	llm_model_init_weights(&m, 5, 0.2f);
	enum { T = 100 }; /* > one 64-row attention block, not a multiple */
	int32_t x[T], y[T];
	tiny_tokens(x, y, T, c.vocab_size, 3);
	float *full = llm_malloc(sizeof(float) * T * 97);
	llm_model_logits(&m, x, 1, T, full);
	struct llm_kv_cache kv;
	llm_kv_cache_init(&kv, &m, T);
	float lg[97];
	/* a 5-token prompt at once, then one token at a time */
	assert_int_equal(llm_model_decode(&m, &kv, x, 5, lg), 0);
	for (int j = 0; j < 97; j++)
		assert_true(fabsf(lg[j] - full[4 * 97 + j]) < 1e-5f);
	for (int t = 5; t < T; t++) {
		assert_int_equal(llm_model_decode(&m, &kv, x + t, 1, lg), 0);
		for (int j = 0; j < 97; j++)
			assert_true(fabsf(lg[j] - full[t * 97 + j]) < 1e-5f);
	}
	assert_int_equal(llm_model_decode(&m, &kv, x, 1, lg), -1); /* cache full */
	llm_kv_cache_truncate(&kv, 3);
	assert_int_equal(llm_model_decode(&m, &kv, x + 3, 1, lg), 0);
	for (int j = 0; j < 97; j++)
		assert_true(fabsf(lg[j] - full[3 * 97 + j]) < 1e-5f);
	llm_kv_cache_free(&kv);
	free(full);
	llm_model_free(&m);
}

static void test_decode_matches_forward(void **state)
{
	(void)state;
	check_decode(false, true);
	check_decode(true, false);
}

/* Central differences in double over the fp32 model: a backward check that
 * needs no PyTorch.  Checks the largest-gradient entry of every tensor. */
static void test_grad_finite_differences(void **state)
{
	(void)state;
	struct llm_model_config c;
	tiny_config(&c, true, false);
	struct llm_model m;
	llm_model_init(&m, &c);
	llm_model_init_weights(&m, 11, 0.3f);
	for (int i = 0; i < m.n_params_tensors; i++) /* norms off 1 so their grads matter */
		if (m.params[i].ndim == 1)
			for (size_t k = 0; k < m.params[i].numel; k++)
				m.w[m.params[i].offset + k] = 1.0f + 0.1f * (float)((k * 7) % 5) - 0.2f;
	m.z_loss = 1e-2f;
	enum { B = 2, T = 70 }; /* two attention blocks */
	int32_t x[B * T], y[B * T];
	tiny_tokens(x, y, B * T, c.vocab_size, 9);
	llm_model_alloc_grads(&m);
	llm_model_zero_grads(&m);
	llm_model_forward(&m, x, y, B, T, 1.0f, NULL, NULL);
	llm_model_backward(&m);
	float *g = llm_malloc(m.n_params * sizeof(float));
	memcpy(g, m.g, m.n_params * sizeof(float));
	int checked = 0;
	for (int i = 0; i < m.n_params_tensors; i++) {
		const struct llm_param *p = &m.params[i];
		size_t best = 0;
		for (size_t k = 1; k < p->numel; k++)
			if (fabsf(g[p->offset + k]) > fabsf(g[p->offset + best]))
				best = k;
		float *w = m.w + p->offset + best, w0 = *w, h = 1e-2f;
		*w = w0 + h;
		double lp = llm_model_forward(&m, x, y, B, T, 0, NULL, NULL);
		*w = w0 - h;
		double lm = llm_model_forward(&m, x, y, B, T, 0, NULL, NULL);
		*w = w0;
		double fd = (lp - lm) / (2.0 * h), an = g[p->offset + best];
		if (fabs(fd - an) > 2e-3 + 0.05 * fabs(an))
			fail_msg("%s[%zu]: analytic %.6g, finite difference %.6g", p->name, best, an, fd);
		checked++;
	}
	assert_int_equal(checked, m.n_params_tensors);
	free(g);
	llm_model_free(&m);
}

static void test_accumulation_and_determinism(void **state)
{
	(void)state;
	struct llm_model_config c;
	tiny_config(&c, false, true);
	struct llm_model m;
	llm_model_init(&m, &c);
	llm_model_init_weights(&m, 2, 0.1f);
	enum { B = 4, T = 16 };
	int32_t x[B * T], y[B * T];
	tiny_tokens(x, y, B * T, c.vocab_size, 4);
	llm_model_alloc_grads(&m);
	llm_model_zero_grads(&m);
	llm_model_forward(&m, x, y, B, T, 1.0f, NULL, NULL);
	llm_model_backward(&m);
	float *g1 = llm_malloc(m.n_params * sizeof(float));
	memcpy(g1, m.g, m.n_params * sizeof(float));
	/* bit-identical on a rerun */
	llm_model_zero_grads(&m);
	llm_model_forward(&m, x, y, B, T, 1.0f, NULL, NULL);
	llm_model_backward(&m);
	assert_memory_equal(g1, m.g, m.n_params * sizeof(float));
	/* two half batches with grad_scale 1/2 give the same gradient */
	llm_model_zero_grads(&m);
	for (int h = 0; h < 2; h++) {
		llm_model_forward(&m, x + h * (B / 2) * T, y + h * (B / 2) * T, B / 2, T, 0.5f, NULL, NULL);
		llm_model_backward(&m);
	}
	double num = 0, den = 0;
	for (size_t i = 0; i < m.n_params; i++) {
		num += ((double)m.g[i] - g1[i]) * ((double)m.g[i] - g1[i]);
		den += (double)g1[i] * g1[i];
	}
	assert_true(sqrt(num / den) < 1e-5);
	free(g1);
	llm_model_free(&m);
}

static void test_safetensors_roundtrip(void **state)
{
	(void)state;
	struct llm_model_config c;
	tiny_config(&c, true, false);
	struct llm_model m, m2;
	llm_model_init(&m, &c);
	llm_model_init_weights(&m, 3, 0.02f);
	char *dir = llm_path_join(tmpdir, "hf");
	assert_int_equal(llm_ckpt_save_model(&m, dir, NULL), 0);
	assert_int_equal(llm_ckpt_load_model(&m2, dir), 0);
	assert_int_equal(m2.n_params, m.n_params);
	assert_memory_equal(m.w, m2.w, m.n_params * sizeof(float));
	assert_true(m2.cfg.qk_norm && !m2.cfg.tie_word_embeddings);
	llm_model_free(&m2);

	char *stp = llm_path_join(dir, "model.safetensors");
	struct llm_safetensors st;
	assert_int_equal(llm_safetensors_open(&st, stp), 0);
	assert_int_equal(st.n, m.n_params_tensors);
	assert_int_equal((8 + st.header_len) % 8, 0);
	const struct llm_st_tensor *t = llm_safetensors_find(&st, "model.layers.1.mlp.down_proj.weight");
	assert_non_null(t);
	assert_int_equal(t->shape[0], 32);
	assert_int_equal(t->shape[1], 48);
	llm_safetensors_close(&st);
	FILE *devnull = fopen("/dev/null", "w");
	assert_int_equal(llm_ckpt_describe(dir, devnull, true), 0);
	fclose(devnull);

	/* corruptions: truncated data, header length past the end */
	char *data;
	size_t len;
	assert_int_equal(llm_read_file(stp, &data, &len), 0);
	char *bad = llm_path_join(tmpdir, "bad.safetensors");
	assert_int_equal(llm_atomic_write_file(bad, data, len - 4), 0);
	assert_int_equal(llm_safetensors_open(&st, bad), -1);
	data[0] = (char)0xff;
	data[5] = 0x7f;
	assert_int_equal(llm_atomic_write_file(bad, data, len), 0);
	assert_int_equal(llm_safetensors_open(&st, bad), -1);
	free(data);
	/* a checkpoint of another config does not load into this layout */
	tiny_config(&c, false, false);
	llm_model_init(&m2, &c);
	assert_int_equal(llm_ckpt_load_weights(&m2, stp), -1);
	llm_model_free(&m2);
	free(bad);
	free(stp);
	free(dir);
	llm_model_free(&m);
}

static void test_train_state_roundtrip(void **state)
{
	(void)state;
	enum { N = 1000 };
	float m[N], v[N], m2[N], v2[N];
	for (int i = 0; i < N; i++) {
		m[i] = (float)i * 0.5f;
		v[i] = (float)i * 0.25f;
	}
	struct llm_train_state s = {.config_hash = 42, .n_params = N, .step = 7, .adam_t = 7,
				    .epoch = 1, .pos = 99, .seed = 5, .tokens_seen = 1234, .skipped = 1};
	char *p = llm_path_join(tmpdir, "state.bin");
	assert_int_equal(llm_ckpt_save_state(p, &s, m, v), 0);
	struct llm_train_state r;
	assert_int_equal(llm_ckpt_load_state(p, &r, m2, v2, N), 0);
	assert_memory_equal(&s, &r, sizeof(s));
	assert_memory_equal(m, m2, sizeof(m));
	assert_memory_equal(v, v2, sizeof(v));
	assert_int_equal(llm_ckpt_load_state(p, &r, m2, v2, N + 1), -1); /* other model */
	/* flip one moment byte: checksum catches it */
	FILE *f = fopen(p, "r+b");
	fseek(f, 128 + 40, SEEK_SET);
	fputc(0x55, f);
	fclose(f);
	assert_int_equal(llm_ckpt_load_state(p, &r, m2, v2, N), -1);
	free(p);
}

static char *write_shard(const char *name, const uint16_t *toks, uint32_t n, int32_t magic)
{
	char *p = llm_path_join(tmpdir, name);
	int32_t h[256] = {0};
	h[0] = magic;
	h[1] = 1;
	h[2] = (int32_t)n;
	FILE *f = fopen(p, "wb");
	fwrite(h, 4, 256, f);
	fwrite(toks, 2, n, f);
	fclose(f);
	return p;
}

static void test_dataloader(void **state)
{
	(void)state;
	enum { N = 1001, T = 10, B = 3 };
	uint16_t toks[N];
	for (int i = 0; i < N; i++)
		toks[i] = (uint16_t)i;
	char *p = write_shard("a.bin", toks, N, LLM_SHARD_MAGIC_U16);
	struct llm_dataloader a, b;
	assert_int_equal(llm_dataloader_open(&a, &p, 1, B, T, true, 7, N), 0);
	assert_int_equal(a.n_seq, (N - 1) / T);
	assert_int_equal(llm_dataloader_open(&b, &p, 1, B, T, true, 7, N), 0);
	int32_t x[B * T], y[B * T], x2[B * T], y2[B * T];
	/* every sequence once per epoch, targets shifted by one */
	int seen[100] = {0};
	for (int it = 0; it < 100 / B; it++) {
		llm_dataloader_next(&a, x, y);
		llm_dataloader_next(&b, x2, y2);
		assert_memory_equal(x, x2, sizeof(x));
		for (int s = 0; s < B; s++) {
			assert_int_equal(x[s * T] % T, 0);
			seen[x[s * T] / T]++;
			for (int t = 0; t < T; t++)
				assert_int_equal(y[s * T + t], x[s * T + t] + 1);
		}
	}
	int distinct = 0;
	for (int i = 0; i < 100; i++) {
		assert_true(seen[i] <= 1); /* no repeats within an epoch */
		distinct += seen[i];
	}
	assert_int_equal(distinct, 99);
	/* seek reproduces the stream, across the epoch boundary */
	uint64_t e = a.epoch, pos = a.pos;
	for (int it = 0; it < 5; it++)
		llm_dataloader_next(&a, x, y);
	llm_dataloader_seek(&b, 5, 0); /* elsewhere first */
	llm_dataloader_seek(&b, e, pos);
	for (int it = 0; it < 5; it++)
		llm_dataloader_next(&b, x2, y2);
	assert_memory_equal(x, x2, sizeof(x));
	assert_int_equal(a.epoch, 1);
	llm_dataloader_free(&a);
	llm_dataloader_free(&b);
	/* a token at or above vocab_size is refused; so is a bad magic */
	assert_int_equal(llm_dataloader_open(&a, &p, 1, B, T, true, 7, N - 1), -1);
	char *q = write_shard("b.bin", toks, N, 12345);
	assert_int_equal(llm_dataloader_open(&a, &q, 1, B, T, true, 7, N), -1);
	free(q);
	free(p);
}

static void test_adamw_and_schedules(void **state)
{
	(void)state;
	struct llm_model_config c;
	tiny_config(&c, false, true);
	struct llm_model m;
	llm_model_init(&m, &c);
	llm_model_init_weights(&m, 1, 0.02f);
	llm_model_alloc_grads(&m);
	for (size_t i = 0; i < m.n_params; i++)
		m.g[i] = (i % 3) ? 0.5f : -2.0f;
	const struct llm_param *emb = &m.params[0], *norm = &m.params[1];
	float w2 = m.w[emb->offset + 1], w1 = m.w[norm->offset];
	struct llm_adamw o;
	llm_adamw_init(&o, m.n_params, 0.9f, 0.95f, 1e-8f, 0.1f);
	llm_adamw_step(&o, &m, 1e-2f);
	/* first step: m_hat = g, v_hat = g^2, update = lr * sign(g) (eps aside) */
	assert_true(fabsf(m.w[emb->offset + 1] - (w2 * (1 - 1e-3f) - 1e-2f)) < 1e-6f);
	float gn = m.g[norm->offset] > 0 ? 1e-2f : -1e-2f;
	assert_true(fabsf(m.w[norm->offset] - (w1 - gn)) < 1e-6f); /* no decay on norms */
	llm_adamw_free(&o);
	double n = llm_grad_norm(&m);
	double clipped = llm_grad_clip(&m, 1.0);
	assert_true(fabs(n - clipped) < 1e-9);
	assert_true(fabs(llm_grad_norm(&m) - 1.0) < 1e-5);
	llm_model_free(&m);

	struct llm_lr_schedule s = {LLM_SCHED_COSINE, 1.0, 0.1, 10, 110, 0.2};
	assert_true(fabs(llm_lr_at(&s, 0) - 0.1) < 1e-12);   /* warmup (step+1)/10 */
	assert_true(fabs(llm_lr_at(&s, 9) - 1.0) < 1e-12);
	assert_true(fabs(llm_lr_at(&s, 60) - 0.55) < 1e-12); /* cosine midpoint */
	assert_true(fabs(llm_lr_at(&s, 110) - 0.1) < 1e-12);
	s.kind = LLM_SCHED_WSD; /* decay over the last 22 steps: 88..109 */
	assert_true(fabs(llm_lr_at(&s, 87) - 1.0) < 1e-12);
	assert_true(fabs(llm_lr_at(&s, 88) - (0.1 + 0.9 * (1 - sqrt(1.0 / 22)))) < 1e-12);
	assert_true(fabs(llm_lr_at(&s, 109) - 0.1) < 1e-12);
	s.kind = LLM_SCHED_CONSTANT;
	assert_true(fabs(llm_lr_at(&s, 100) - 1.0) < 1e-12);
	assert_int_equal(llm_schedule_parse("wsd"), LLM_SCHED_WSD);
	assert_int_equal(llm_schedule_parse("linear"), -1);
}

static void test_token_bytes(void **state)
{
	(void)state;
	const char *shared = getenv("LLMAKE_SHARED");
	char *p = llm_path_join(shared ? shared : "../shared/data", "gpt2.tiktoken");
	if (!llm_exists(p)) {
		free(p);
		skip();
		return;
	}
	uint32_t *b = llm_token_bytes_load(p, 50304);
	assert_non_null(b);
	assert_int_equal(b[0], 1);     /* "!" */
	assert_int_equal(b[50256], 0); /* <|endoftext|> is not in the rank file */
	uint64_t total = 0;
	for (int i = 0; i < 50257; i++)
		total += b[i];
	assert_true(total > 200000 && total < 600000);
	free(b);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test(test_decode_matches_forward),
		cmocka_unit_test(test_grad_finite_differences),
		cmocka_unit_test(test_accumulation_and_determinism),
		cmocka_unit_test(test_safetensors_roundtrip),
		cmocka_unit_test(test_train_state_roundtrip),
		cmocka_unit_test(test_dataloader),
		cmocka_unit_test(test_adamw_and_schedules),
		cmocka_unit_test(test_token_bytes),
	};
	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
