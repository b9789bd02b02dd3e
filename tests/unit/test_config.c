/* Unit tests for lib/config.c: defaults, types, ranges, choices, nested
 * sections, unknown keys with hints, overrides, canonical hash. */
#include "testutil.h"

#include "config.h"

static const struct llm_key keys[] = {
	{"threshold", LLM_T_FLOAT, "0.65", "score threshold", 0, 1, NULL},
	{"min_words", LLM_T_INT, "50", NULL, 0, 1e9, NULL},
	{"mode", LLM_T_STRING, "\"drop\"", NULL, 0, 0, "drop|flag"},
	{"languages", LLM_T_STRINGS, "[\"en\"]", NULL, 0, 0, NULL},
	{"lower", LLM_T_BOOL, "true", NULL, 0, 0, NULL},
	{"gopher.max_ratio", LLM_T_FLOAT, "0.1", NULL, 0, 0, NULL},
	{"tokenizer", LLM_T_STRING, NULL, NULL, 0, 0, NULL},
	{NULL},
};


struct load {
	const char *json;
	char *sets[4];
	int n_sets;
	int rc;
	struct llm_config cfg;
};

static void do_load(void *arg)
{
	struct load *l = arg;
	char *p = NULL;
	if (l->json) {
		p = llm_asprintf("%s/c.json", tu_dir);
		tu_write(p, l->json, strlen(l->json));
	}
	l->rc = llm_config_load(&l->cfg, keys, p, l->sets, l->n_sets);
	free(p);
}

static char *load_err(struct load *l)
{
	char *e = tu_capture_stderr(do_load, l);
	llm_config_free(&l->cfg);
	return e;
}

static void test_defaults_and_values(void **state)
{
	(void)state;
	struct load l = {.json = "{\"min_words\": 10, \"gopher\": {\"max_ratio\": 0.2}}"};
	do_load(&l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(llm_config_int(&l.cfg, "min_words"), 10);
	assert_true(llm_config_float(&l.cfg, "threshold") == 0.65);
	assert_true(llm_config_float(&l.cfg, "gopher.max_ratio") == 0.2);
	assert_string_equal(llm_config_str(&l.cfg, "mode"), "drop");
	assert_true(llm_config_bool(&l.cfg, "lower"));
	assert_null(llm_config_str(&l.cfg, "tokenizer"));
	assert_int_equal(cJSON_GetArraySize(llm_config_get(&l.cfg, "languages")), 1);
	llm_config_free(&l.cfg);
}

static void test_overrides(void **state)
{
	(void)state;
	struct load l = {.json = "{\"min_words\": 10}",
			 .sets = {"min_words=20", "mode=flag", "languages=[\"en\",\"fr\"]", "tokenizer=a/b.json"},
			 .n_sets = 4};
	do_load(&l);
	assert_int_equal(l.rc, 0);
	assert_int_equal(llm_config_int(&l.cfg, "min_words"), 20);
	assert_string_equal(llm_config_str(&l.cfg, "mode"), "flag");
	assert_string_equal(llm_config_str(&l.cfg, "tokenizer"), "a/b.json");
	assert_int_equal(cJSON_GetArraySize(llm_config_get(&l.cfg, "languages")), 2);
	llm_config_free(&l.cfg);
}

static void test_errors(void **state)
{
	(void)state;
	struct {
		const char *json;
		const char *needle;
	} cases[] = {
		{"{\"treshold\": 0.5}", "unknown config key 'treshold'; did you mean 'threshold'?"},
		{"{\"gopher\": {\"max_ratoi\": 1}}", "did you mean 'gopher.max_ratio'"},
		{"{\"zzzzzzzzzz\": 1}", "unknown config key 'zzzzzzzzzz' (see --help"},
		{"{\"min_words\": 1.5}", "'min_words' must be of type int"},
		{"{\"threshold\": 2}", "out of range [0, 1]"},
		{"{\"mode\": \"keep\"}", "is not one of drop|flag"},
		{"{\"languages\": [\"en\", 3]}", "list of strings"},
		{"{\"gopher\": 3}", "must be an object"},
		{"{\"min_words\": 10,\n \"mode\": }", "line 2 column"},
		{"[1]", "must be a JSON object"},
	};
	for (size_t i = 0; i < LLM_ARRAY_SIZE(cases); i++) {
		struct load l = {.json = cases[i].json};
		char *e = load_err(&l);
		assert_int_equal(l.rc, -1);
		if (!strstr(e, cases[i].needle))
			fail_msg("config %s: error '%s' lacks '%s'", cases[i].json, e, cases[i].needle);
		free(e);
	}
	struct load l = {.sets = {"min_wrds=3"}, .n_sets = 1};
	char *e = load_err(&l);
	assert_int_equal(l.rc, -1);
	assert_non_null(strstr(e, "did you mean 'min_words'"));
	free(e);
}

static void test_canonical_hash(void **state)
{
	(void)state;
	struct load a = {.json = "{\"min_words\": 10, \"mode\": \"drop\"}"};
	struct load b = {.json = "{\"mode\": \"drop\", \"min_words\": 10}"};
	struct load c = {.json = "{\"min_words\": 11}"};
	do_load(&a);
	do_load(&b);
	do_load(&c);
	char *ca = llm_config_canonical(&a.cfg), *cb = llm_config_canonical(&b.cfg);
	assert_string_equal(ca, cb);
	assert_true(ca[0] == '{' && strstr(ca, "\"gopher\":{\"max_ratio\":0.1}"));
	assert_true(llm_config_hash(&a.cfg) == llm_config_hash(&b.cfg));
	assert_true(llm_config_hash(&a.cfg) != llm_config_hash(&c.cfg));
	free(ca);
	free(cb);
	llm_config_free(&a.cfg);
	llm_config_free(&b.cfg);
	llm_config_free(&c.cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_values),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_canonical_hash),
	};
	return cmocka_run_group_tests(tests, tu_setup, tu_teardown);
}
