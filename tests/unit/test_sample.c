/* Unit tests for lib/sample.c: greedy, HF repetition penalty, top-k / top-p /
 * min-p filtering, seeded draws and their distribution, option checks. */
#include "testutil.h"

#include <math.h>

#include "log.h"
#include "sample.h"

static uint32_t pick(const struct llm_sampler_opts *o, const float *in, int V)
{
	struct llm_sampler s;
	llm_sampler_init(&s, o, V);
	float *l = llm_malloc((size_t)V * sizeof(float));
	memcpy(l, in, (size_t)V * sizeof(float));
	uint32_t id = llm_sampler_next(&s, l);
	free(l);
	llm_sampler_free(&s);
	return id;
}

static void test_greedy_and_penalty(void **state)
{
	(void)state;
	struct llm_sampler_opts o;
	llm_sampler_opts_default(&o);
	float l[5] = {0.5f, 2.0f, 2.0f, -1.0f, 1.9f};
	assert_int_equal(pick(&o, l, 5), 1); /* first maximum */
	/* HF: positive logits of seen ids divided, negative multiplied */
	o.repetition_penalty = 1.2f;
	struct llm_sampler s;
	llm_sampler_init(&s, &o, 5);
	uint32_t seen[2] = {1, 3};
	llm_sampler_accept(&s, seen, 2);
	float x[5];
	memcpy(x, l, sizeof(x));
	assert_int_equal(llm_sampler_next(&s, x), 2);
	assert_true(fabsf(x[1] - 2.0f / 1.2f) < 1e-6f);
	assert_true(fabsf(x[3] - -1.2f) < 1e-6f);
	assert_true(x[2] == 2.0f);
	llm_sampler_reset(&s);
	memcpy(x, l, sizeof(x));
	assert_int_equal(llm_sampler_next(&s, x), 1);
	llm_sampler_free(&s);
}

static void test_filters(void **state)
{
	(void)state;
	float l[6] = {1.0f, 3.0f, 2.9f, 0.0f, -2.0f, 2.95f};
	struct llm_sampler_opts o;
	llm_sampler_opts_default(&o);
	o.temperature = 1.0f;
	for (uint64_t seed = 0; seed < 50; seed++) {
		o.seed = seed;
		o.top_k = 1;
		assert_int_equal(pick(&o, l, 6), 1);
		o.top_k = 0;
		o.top_p = 0.05f; /* the top token alone holds more than 5% */
		assert_int_equal(pick(&o, l, 6), 1);
		o.top_p = 1;
		o.min_p = 1.0f; /* only tokens as likely as the top one */
		assert_int_equal(pick(&o, l, 6), 1);
		o.min_p = 0;
		o.top_k = 3; /* 1, 5, 2 */
		uint32_t id = pick(&o, l, 6);
		assert_true(id == 1 || id == 5 || id == 2);
		o.top_k = 0;
	}
}

static void test_distribution(void **state)
{
	(void)state;
	float l[3] = {logf(0.5f), logf(0.3f), logf(0.2f)};
	struct llm_sampler_opts o;
	llm_sampler_opts_default(&o);
	o.temperature = 1.0f;
	o.seed = 42;
	struct llm_sampler s, s2;
	llm_sampler_init(&s, &o, 3);
	llm_sampler_init(&s2, &o, 3);
	int cnt[3] = {0};
	const int N = 20000;
	for (int i = 0; i < N; i++) {
		float x[3], y[3];
		memcpy(x, l, sizeof(x));
		memcpy(y, l, sizeof(y));
		uint32_t a = llm_sampler_next(&s, x), b = llm_sampler_next(&s2, y);
		assert_int_equal(a, b); /* same seed, same draws */
		cnt[a]++;
	}
	assert_true(fabs(cnt[0] / (double)N - 0.5) < 0.02);
	assert_true(fabs(cnt[1] / (double)N - 0.3) < 0.02);
	assert_true(fabs(cnt[2] / (double)N - 0.2) < 0.02);
	/* temperature 0.5 sharpens: p ~ p^2 normalised = .658, .237, .105 */
	llm_sampler_free(&s);
	o.temperature = 0.5f;
	llm_sampler_init(&s, &o, 3);
	memset(cnt, 0, sizeof(cnt));
	for (int i = 0; i < N; i++) {
		float x[3];
		memcpy(x, l, sizeof(x));
		cnt[llm_sampler_next(&s, x)]++;
	}
	assert_true(fabs(cnt[0] / (double)N - 0.658) < 0.02);
	/* top_p 0.75: HF drops the ascending tail with cumulative mass <= 0.25
	 * (token 2, p .2), keeping tokens 0 and 1 renormalised: .625 / .375 */
	llm_sampler_free(&s);
	o.temperature = 1.0f;
	o.top_p = 0.75f;
	llm_sampler_init(&s, &o, 3);
	memset(cnt, 0, sizeof(cnt));
	for (int i = 0; i < N; i++) {
		float x[3];
		memcpy(x, l, sizeof(x));
		cnt[llm_sampler_next(&s, x)]++;
	}
	assert_int_equal(cnt[2], 0);
	assert_true(fabs(cnt[0] / (double)N - 0.625) < 0.02);
	llm_sampler_free(&s);
	llm_sampler_free(&s2);
}

static void test_opts_check(void **state)
{
	(void)state;
	struct llm_sampler_opts o;
	llm_sampler_opts_default(&o);
	assert_int_equal(llm_sampler_opts_check(&o), 0);
	o.temperature = -1;
	assert_int_equal(llm_sampler_opts_check(&o), -1);
	llm_sampler_opts_default(&o);
	o.top_p = 0;
	assert_int_equal(llm_sampler_opts_check(&o), -1);
	llm_sampler_opts_default(&o);
	o.min_p = 1.5f;
	assert_int_equal(llm_sampler_opts_check(&o), -1);
	llm_sampler_opts_default(&o);
	o.repetition_penalty = 0;
	assert_int_equal(llm_sampler_opts_check(&o), -1);
	llm_sampler_opts_default(&o);
	o.top_k = -2;
	assert_int_equal(llm_sampler_opts_check(&o), -1);
}

int main(void)
{
	llm_log_set_level(LLM_LOG_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_greedy_and_penalty),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_distribution),
		cmocka_unit_test(test_opts_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
