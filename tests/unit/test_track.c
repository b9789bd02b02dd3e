/* Unit tests for lib/git.c and lib/track.c: code state (clean, dirty,
 * untracked, diff hash), commits onto a private ref that leave HEAD, the
 * index and the work tree alone, reads back, concurrent writers, metrics
 * curves (torn lines, missing step) and final values, run lookup by prefix. */
#include "testutil.h"

#include <sys/wait.h>

#include "git.h"
#include "track.h"

static char *dir;

static void sh(const char *fmt, const char *arg)
{
	char *cmd = llm_asprintf(fmt, arg, arg, arg);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
	free(cmd);
}

static int setup(void **state)
{
	(void)state;
	dir = tu_tmpdir();
	sh("cd '%s' && git init -q && git config user.name t && git config user.email t@e && "
	   "echo one > a.txt && git add a.txt && git commit -qm first", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmdir(dir);
	return 0;
}

static char *path_in(const char *name)
{
	return llm_asprintf("%s/%s", dir, name);
}

static void test_state_clean_dirty(void **state)
{
	(void)state;
	struct llm_git_state st;
	assert_int_equal(llm_git_state(dir, &st), 0);
	assert_int_equal(strlen(st.sha), 40);
	assert_false(st.dirty);
	assert_string_equal(st.diff_hash, "");
	llm_git_state_free(&st);

	/* untracked files are not "dirty" (as in the build stamp) */
	char *u = path_in("new.txt");
	tu_write(u, "x\n", 2);
	assert_int_equal(llm_git_state(dir, &st), 0);
	assert_false(st.dirty);
	llm_git_state_free(&st);

	char *a = path_in("a.txt");
	tu_write(a, "two\n", 4);
	assert_int_equal(llm_git_state(dir, &st), 0);
	assert_true(st.dirty);
	assert_int_equal(strlen(st.diff_hash), 16);
	assert_non_null(strstr(st.diff, "+two"));
	assert_non_null(strstr(st.diff, "-one"));
	char h1[17];
	memcpy(h1, st.diff_hash, 17);
	llm_git_state_free(&st);
	/* another change, another hash */
	tu_write(a, "three\n", 6);
	assert_int_equal(llm_git_state(dir, &st), 0);
	assert_string_not_equal(st.diff_hash, h1);
	llm_git_state_free(&st);
	tu_write(a, "one\n", 4);
	unlink(u);
	free(u);
	free(a);
}

static void test_not_a_repo(void **state)
{
	(void)state;
	char *d = tu_tmpdir();
	struct llm_git_state st;
	assert_int_equal(llm_git_state(d, &st), 1);
	assert_null(llm_git_toplevel(d));
	tu_rmdir(d);
}

static void test_commit_files_private_ref(void **state)
{
	(void)state;
	char *head0 = NULL;
	struct llm_git_state st;
	assert_int_equal(llm_git_state(dir, &st), 0);
	head0 = llm_strdup(st.sha);
	llm_git_state_free(&st);

	struct llm_git_file f1[] = {{"runs/aaa/run.json", "{\"x\":1}", 7}, {"runs/aaa/curves.json", "{}", 2}};
	char oid1[41], oid2[41];
	assert_int_equal(llm_git_commit_files(dir, "refs/test/runs", f1, 2, "first run\n", oid1), 0);
	struct llm_git_file f2[] = {{"runs/bbb/run.json", "{\"x\":2}", 7}};
	assert_int_equal(llm_git_commit_files(dir, "refs/test/runs", f2, 1, "second run\n", oid2), 0);
	assert_string_not_equal(oid1, oid2);

	struct llm_strv names = {0};
	assert_int_equal(llm_git_ls(dir, "refs/test/runs", "runs", &names), 0);
	assert_int_equal(names.n, 2);
	assert_string_equal(names.v[0], "aaa");
	assert_string_equal(names.v[1], "bbb");
	llm_strv_free(&names);
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(llm_git_read(dir, "refs/test/runs", "runs/aaa/run.json", &data, &len), 0);
	assert_string_equal(data, "{\"x\":1}");
	free(data);
	assert_int_equal(llm_git_read(dir, "refs/test/runs", "runs/zzz/run.json", &data, &len), 1);
	assert_int_equal(llm_git_read(dir, "refs/none", "runs/aaa/run.json", &data, &len), 1);
	assert_int_equal(llm_git_ls(dir, "refs/none", "runs", &names), 1);

	/* the user's HEAD, index and work tree are untouched; plain git reads the ref */
	assert_int_equal(llm_git_state(dir, &st), 0);
	assert_string_equal(st.sha, head0);
	assert_false(st.dirty);
	llm_git_state_free(&st);
	sh("cd '%s' && test -z \"$(git status --porcelain --untracked-files=no)\" && "
	   "test \"$(git rev-list --count refs/test/runs)\" = 2 && "
	   "git show refs/test/runs:runs/bbb/run.json | grep -q x && git fsck --strict --no-progress >/dev/null", dir);
	free(head0);
}

/* Writers racing on one ref: every commit survives (retry on a moved ref). */
static void test_concurrent_writers(void **state)
{
	(void)state;
	enum { N = 6 };
	pid_t pids[N];
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			char *p = llm_asprintf("runs/w%d/run.json", i);
			struct llm_git_file f = {p, "{}", 2};
			char oid[41];
			_exit(llm_git_commit_files(dir, "refs/test/race", &f, 1, "w\n", oid) == 0 ? 0 : 1);
		}
	}
	for (int i = 0; i < N; i++) {
		int st;
		waitpid(pids[i], &st, 0);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	struct llm_strv names = {0};
	assert_int_equal(llm_git_ls(dir, "refs/test/race", "runs", &names), 0);
	assert_int_equal(names.n, N);
	llm_strv_free(&names);
}

static void test_curves_and_final(void **state)
{
	(void)state;
	char *p = path_in("metrics.jsonl");
	const char *text = "{\"step\": 1, \"loss\": 4.5, \"lr\": 0.001}\n"
			   "{\"step\": 2, \"loss\": 4.25, \"lr\": 0.001, \"note\": \"x\"}\n"
			   "{\"step\": 2, \"val_loss\": 4.3, \"val_bpb\": 1.9}\n"
			   "{\"step\": 3, \"loss\": 4.0";
	tu_write(p, text, strlen(text));
	cJSON *c = llm_track_read_curves(p);
	assert_non_null(c);
	const cJSON *loss = cJSON_GetObjectItem(c, "loss");
	assert_int_equal(cJSON_GetArraySize(loss), 2); /* the torn last line is not data */
	assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(loss, 1), 0)->valuedouble == 2.0);
	assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(loss, 1), 1)->valuedouble == 4.25);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "val_bpb")), 1);
	assert_null(cJSON_GetObjectItem(c, "note")); /* strings are not series */
	cJSON_Delete(c);
	/* no step: the line number is the x axis */
	tu_write(p, "{\"loss\": 3}\n{\"loss\": 2}\n", 24);
	c = llm_track_read_curves(p);
	assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(c, "loss"), 1), 0)->valuedouble == 2.0);
	cJSON_Delete(c);
	char *missing = path_in("nope.jsonl");
	assert_null(llm_track_read_curves(missing));
	free(missing);

	char *e = path_in("eval.json");
	const char *ev = "{\"arc\": {\"acc\": 0.5, \"acc_stderr\": 0.01, \"name\": \"ARC\"}, \"n\": 3,"
			 " \"results\": {\"hs\": {\"acc\": {\"value\": 0.25, \"stderr\": 0.02, \"n\": 10}}}}";
	tu_write(e, ev, strlen(ev));
	cJSON *m = cJSON_CreateObject();
	assert_int_equal(llm_track_read_final(e, "results", "ev", m), 0);
	assert_true(cJSON_GetObjectItem(m, "ev.hs.acc")->valuedouble == 0.25);
	assert_true(cJSON_GetObjectItem(m, "ev.hs.acc_stderr")->valuedouble == 0.02);
	assert_null(cJSON_GetObjectItem(m, "ev.hs.acc.n"));
	assert_int_equal(llm_track_read_final(e, "nosuch", "ev", m), -1);
	cJSON_Delete(m);
	m = cJSON_CreateObject();
	assert_int_equal(llm_track_read_final(e, NULL, "eval", m), 0);
	assert_true(cJSON_GetObjectItem(m, "eval.arc.acc")->valuedouble == 0.5);
	assert_true(cJSON_GetObjectItem(m, "eval.arc.acc_stderr")->valuedouble == 0.01);
	assert_true(cJSON_GetObjectItem(m, "eval.n")->valuedouble == 3);
	assert_null(cJSON_GetObjectItem(m, "eval.arc.name"));
	cJSON_Delete(m);
	free(e);
	free(p);
}

static void test_load_by_prefix(void **state)
{
	(void)state;
	const char *ids[] = {"abc0000000000001", "abc0000000000002", "def0000000000003"};
	for (int i = 0; i < 3; i++) {
		char *p = llm_asprintf("runs/%s/run.json", ids[i]);
		char *body = llm_asprintf("{\"run_id\": \"%s\", \"experiment\": \"e%d\", \"recorded\": \"2026-01-0%dT00:00:00Z\"}",
					  ids[i], i, 3 - i);
		struct llm_git_file f = {p, body, strlen(body)};
		char oid[41];
		assert_int_equal(llm_git_commit_files(dir, LLM_TRACK_REF, &f, 1, "r\n", oid), 0);
		free(p);
		free(body);
	}
	cJSON *r = llm_track_load(dir, "def");
	assert_non_null(r);
	assert_string_equal(cJSON_GetObjectItem(r, "run_id")->valuestring, ids[2]);
	cJSON_Delete(r);
	assert_null(llm_track_load(dir, "abc"));   /* ambiguous */
	assert_null(llm_track_load(dir, "999"));   /* unknown */
	cJSON *all = llm_track_list(dir);
	assert_int_equal(cJSON_GetArraySize(all), 3);
	/* oldest first by recording time */
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(all, 0), "run_id")->valuestring, ids[2]);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(all, 2), "run_id")->valuestring, ids[0]);
	cJSON_Delete(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_clean_dirty),
		cmocka_unit_test(test_not_a_repo),
		cmocka_unit_test(test_commit_files_private_ref),
		cmocka_unit_test(test_concurrent_writers),
		cmocka_unit_test(test_curves_and_final),
		cmocka_unit_test(test_load_by_prefix),
	};
	return cmocka_run_group_tests_name("track", tests, setup, teardown);
}
