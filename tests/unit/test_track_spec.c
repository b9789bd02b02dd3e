/* Unit tests for the experiment specs (tools/experiment/spec.c, included
 * here as llm.c's tests include the trainer): merge semantics, dotted
 * overrides, extends chains and cycles, validation hints, the stage table,
 * sweep expansion (grid and list). */
#include "testutil.h"

#include "../../tools/experiment/spec.c"

static char *dir;
static struct exp_env env;
static struct exp_table table;

static void put(const char *rel, const char *text)
{
	char *p = llm_asprintf("%s/%s", dir, rel);
	char *parent = llm_strdup(p);
	*strrchr(parent, '/') = '\0';
	llm_mkdir_p(parent);
	free(parent);
	tu_write(p, text, strlen(text));
	free(p);
}

static int setup(void **state)
{
	(void)state;
	dir = tu_tmpdir();
	put("experiments/stages.json",
	    "{\"stages\": [{\"name\": \"extract\", \"command\": [\"x\"], \"inputs\": [\"sources\"], \"output\": \"d.jsonl\", \"shardable\": true},"
	    " {\"name\": \"train\", \"command\": [\"t\"], \"with\": [\"model\"], \"inputs\": [\"extract\"], \"output\": \"m/\"}]}");
	put("experiments/base.json", "{\"sources\": {\"s\": \"corpus\"}, \"extract\": {\"a\": 1, \"b\": {\"c\": 2}}, "
				     "\"train\": {\"lr\": 0.1}, \"model\": {\"n_layer\": 2}}");
	put("experiments/child.json", "{\"extends\": \"base\", \"extract\": {\"b\": {\"d\": 3}, \"a\": null}, \"train\": {\"lr\": 0.2}}");
	put("experiments/grand.json", "{\"extends\": \"child\", \"description\": \"g\"}");
	put("experiments/c1.json", "{\"extends\": \"c2\"}");
	put("experiments/c2.json", "{\"extends\": \"c3\"}");
	put("experiments/c3.json", "{\"extends\": \"c1\"}");
	put("experiments/self.json", "{\"extends\": \"self\"}");
	put("experiments/typo.json", "{\"extends\": \"base\", \"modle\": {}}");
	put("experiments/badshard.json", "{\"extends\": \"base\", \"run\": {\"shards\": {\"train\": 2}}}");
	put("experiments/sweeps/g.json", "{\"base\": \"child\", \"grid\": {\"train.lr\": [0.1, 0.3], \"train.seed\": [1, 2, 3]}}");
	put("experiments/sweeps/l.json", "{\"base\": \"child\", \"variants\": [{\"name\": \"dense\", \"set\": {\"model.arch\": \"dense\"}},"
					 " {\"name\": \"moe\", \"set\": {\"model.arch\": \"moe\"}}]}");
	put("experiments/sweeps/bad.json", "{\"base\": \"child\", \"variants\": [{\"name\": \"a b\", \"set\": {}}]}");
	exp_env_init(&env, dir, NULL, NULL);
	assert_int_equal(exp_table_load(&table, env.stages), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	exp_table_free(&table);
	exp_env_free(&env);
	tu_rmdir(dir);
	return 0;
}

static cJSON *load(const char *name)
{
	char *p = exp_spec_path(&env, name);
	if (!p)
		return NULL;
	cJSON *s = exp_spec_load(&env, &table, p);
	free(p);
	return s;
}

static double num(const cJSON *s, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(s, a), b);
	return v ? v->valuedouble : -1;
}

static void test_extends_merge(void **state)
{
	(void)state;
	cJSON *s = load("grand");
	assert_non_null(s);
	assert_null(cJSON_GetObjectItem(s, "extends"));
	assert_true(num(s, "train", "lr") == 0.2);           /* child overrides */
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "extract"), "a")); /* null deletes */
	const cJSON *b = cJSON_GetObjectItem(cJSON_GetObjectItem(s, "extract"), "b");
	assert_true(cJSON_GetObjectItem(b, "c")->valuedouble == 2); /* objects merge key by key */
	assert_true(cJSON_GetObjectItem(b, "d")->valuedouble == 3);
	assert_string_equal(cJSON_GetObjectItem(s, "description")->valuestring, "g");
	cJSON_Delete(s);
}

static void test_set(void **state)
{
	(void)state;
	cJSON *s = load("base");
	assert_int_equal(exp_spec_set(s, "train.lr", "0.5"), 0);
	assert_true(num(s, "train", "lr") == 0.5);
	assert_int_equal(exp_spec_set(s, "model.arch", "moe"), 0); /* not JSON: a string */
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "model"), "arch")->valuestring, "moe");
	assert_int_equal(exp_spec_set(s, "train.lr.x", "1"), -1); /* lr is not an object */
	assert_int_equal(exp_spec_set(s, "", "1"), -1);
	cJSON_Delete(s);
}

static char *captured;
static void load_cb(void *arg)
{
	cJSON *s = load(arg);
	assert_null(s);
}

static void test_cycles_and_hints(void **state)
{
	(void)state;
	captured = tu_capture_stderr(load_cb, "c1");
	assert_non_null(strstr(captured, "cycle in 'extends': c1 -> c2 -> c3 -> c1"));
	free(captured);
	captured = tu_capture_stderr(load_cb, "self");
	assert_non_null(strstr(captured, "cycle in 'extends': self -> self"));
	free(captured);
	captured = tu_capture_stderr(load_cb, "typo");
	assert_non_null(strstr(captured, "unknown key 'modle' (did you mean 'model'?)"));
	free(captured);
	captured = tu_capture_stderr(load_cb, "badshard");
	assert_non_null(strstr(captured, "stage 'train' does not take --shard"));
	free(captured);
	captured = tu_capture_stderr(load_cb, "missing");
	assert_non_null(strstr(captured, "no such experiment spec"));
	free(captured);
}

static void test_table(void **state)
{
	(void)state;
	assert_int_equal(table.n, 2);
	const struct exp_stage_def *t = exp_table_find(&table, "train");
	assert_non_null(t);
	assert_true(t->dir_output);
	assert_string_equal(t->output, "m");
	assert_string_equal(t->with[0], "model");
	assert_string_equal(t->inputs[0].from, "extract");
	assert_true(exp_table_find(&table, "extract")->shardable);
	/* a stage reading a later one is refused */
	put("bad-stages.json", "{\"stages\": [{\"name\": \"a\", \"command\": [\"x\"], \"inputs\": [\"b\"], \"output\": \"o\"},"
			       " {\"name\": \"b\", \"command\": [\"y\"], \"output\": \"o\"}]}");
	char *p = llm_asprintf("%s/bad-stages.json", dir);
	struct exp_table bad;
	assert_int_equal(exp_table_load(&bad, p), -1);
	exp_table_free(&bad);
	put("bad-stages.json", "{\"stages\": [{\"name\": \"a\", \"comand\": [\"x\"], \"output\": \"o\"}]}");
	assert_int_equal(exp_table_load(&bad, p), -1);
	exp_table_free(&bad);
	free(p);
}

static void test_sweeps(void **state)
{
	(void)state;
	cJSON *v = exp_sweep_expand(&env, &table, "g");
	assert_non_null(v);
	assert_int_equal(cJSON_GetArraySize(v), 6);
	const cJSON *first = cJSON_GetArrayItem(v, 0), *last = cJSON_GetArrayItem(v, 5);
	assert_string_equal(cJSON_GetObjectItem(first, "name")->valuestring, "g.lr-0.1_seed-1");
	assert_string_equal(cJSON_GetObjectItem(last, "name")->valuestring, "g.lr-0.3_seed-3");
	const cJSON *spec = cJSON_GetObjectItem(last, "spec");
	assert_true(num(spec, "train", "lr") == 0.3);
	assert_true(num(spec, "train", "seed") == 3);
	assert_true(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "extract"), "b"), "d")->valuedouble == 3);
	cJSON_Delete(v);
	v = exp_sweep_expand(&env, &table, "l");
	assert_int_equal(cJSON_GetArraySize(v), 2);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(v, 1), "name")->valuestring, "l.moe");
	cJSON_Delete(v);
	assert_null(exp_sweep_expand(&env, &table, "bad"));
	assert_null(exp_sweep_expand(&env, &table, "nosuch"));
}

static void test_helpers(void **state)
{
	(void)state;
	cJSON *a = cJSON_Parse("{\"b\": 1, \"a\": {\"y\": [1, 2], \"x\": \"s\"}}");
	cJSON *b = cJSON_Parse("{\"a\": {\"x\": \"s\", \"y\": [1, 2]}, \"b\": 1}");
	char ka[17], kb[17];
	assert_string_equal(exp_json_key(a, ka), exp_json_key(b, kb)); /* key order does not matter */
	cJSON_GetObjectItem(b, "b")->valuedouble = 2;
	cJSON_GetObjectItem(b, "b")->valueint = 2;
	assert_string_not_equal(exp_json_key(a, ka), exp_json_key(b, kb));
	cJSON *f = exp_json_flatten(a);
	assert_non_null(cJSON_GetObjectItem(f, "a.x"));
	assert_non_null(cJSON_GetObjectItem(f, "a.y"));
	cJSON_Delete(f);
	cJSON_Delete(a);
	cJSON_Delete(b);
	struct llm_buf q = LLM_BUF_INIT;
	exp_shell_quote(&q, "it's $x");
	assert_string_equal(q.data, "'it'\\''s $x'");
	llm_buf_free(&q);
	char *n = exp_name_of("/a/b/tiny.json");
	assert_string_equal(n, "tiny");
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extends_merge), cmocka_unit_test(test_set),
		cmocka_unit_test(test_cycles_and_hints), cmocka_unit_test(test_table),
		cmocka_unit_test(test_sweeps), cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests_name("track_spec", tests, setup, teardown);
}
