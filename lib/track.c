/*
 * track.c: run records built from a plan and the stage outputs, committed
 * to and read back from refs/llmake/runs.
 */
#include "track.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "files.h"
#include "git.h"
#include "log.h"
#include "util.h"

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void llm_track_fmt(double v, char *out, int exact)
{
	snprintf(out, 32, exact ? "%.17g" : "%.6g", v);
}

/* --------------------------------------------------------------- metrics */

cJSON *llm_track_read_curves(const char *path)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		llm_error_errno("'%s': cannot read the metrics file", path);
		return NULL;
	}
	cJSON *curves = cJSON_CreateObject();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	while ((n = getline(&line, &cap, fp)) > 0) {
		lineno++;
		cJSON *o = cJSON_Parse(line);
		if (!o || !cJSON_IsObject(o)) {
			/* a torn last line (killed writer) is not data */
			cJSON_Delete(o);
			continue;
		}
		const cJSON *step = cJSON_GetObjectItemCaseSensitive(o, "step");
		double x = cJSON_IsNumber(step) ? step->valuedouble : (double)lineno;
		for (const cJSON *c = o->child; c; c = c->next) {
			if (!cJSON_IsNumber(c) || strcmp(c->string, "step") == 0)
				continue;
			cJSON *s = cJSON_GetObjectItemCaseSensitive(curves, c->string);
			if (!s)
				s = cJSON_AddArrayToObject(curves, c->string);
			cJSON *pt = cJSON_CreateArray();
			cJSON_AddItemToArray(pt, cJSON_CreateNumber(x));
			cJSON_AddItemToArray(pt, cJSON_CreateNumber(c->valuedouble));
			cJSON_AddItemToArray(s, pt);
		}
		cJSON_Delete(o);
	}
	free(line);
	fclose(fp);
	return curves;
}

static void final_leaves(const cJSON *v, const char *prefix, cJSON *metrics)
{
	const cJSON *val = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "value") : NULL;
	if (cJSON_IsNumber(val)) {
		/* {"value", "stderr", "n"}: one metric with its standard error */
		final_leaves(val, prefix, metrics);
		const cJSON *se = cJSON_GetObjectItemCaseSensitive(v, "stderr");
		if (cJSON_IsNumber(se)) {
			char *k = llm_asprintf("%s_stderr", prefix);
			final_leaves(se, k, metrics);
			free(k);
		}
		return;
	}
	if (cJSON_IsNumber(v)) {
		cJSON_DeleteItemFromObjectCaseSensitive(metrics, prefix);
		cJSON_AddNumberToObject(metrics, prefix, v->valuedouble);
		return;
	}
	if (!cJSON_IsObject(v))
		return;
	for (const cJSON *c = v->child; c; c = c->next) {
		char *k = llm_asprintf("%s.%s", prefix, c->string);
		final_leaves(c, k, metrics);
		free(k);
	}
}

int llm_track_read_final(const char *path, const char *key, const char *prefix, cJSON *metrics)
{
	cJSON *v = llm_json_read_file(path);
	if (!v)
		return -1;
	const cJSON *sub = key ? cJSON_GetObjectItemCaseSensitive(v, key) : v;
	if (!sub) {
		cJSON_Delete(v);
		return llm_error("'%s': no '%s' object with the final metrics", path, key);
	}
	final_leaves(sub, prefix, metrics);
	cJSON_Delete(v);
	return 0;
}

/* ---------------------------------------------------------------- record */

static char *iso_now(void)
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	char buf[32];
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return llm_strdup(buf);
}

cJSON *llm_track_record(const cJSON *plan)
{
	cJSON *r = cJSON_CreateObject();
	cJSON_AddStringToObject(r, "record_version", "1");
	cJSON_AddStringToObject(r, "run_id", jstr(plan, "run_key"));
	cJSON_AddStringToObject(r, "experiment", jstr(plan, "experiment"));
	char *now = iso_now();
	cJSON_AddStringToObject(r, "recorded", now);
	free(now);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	cJSON_AddStringToObject(r, "host", host);
	cJSON_AddStringToObject(r, "spec", jstr(plan, "spec"));
	if (jstr(plan, "root"))
		cJSON_AddStringToObject(r, "root", jstr(plan, "root"));
	if (jstr(plan, "stage_table"))
		cJSON_AddStringToObject(r, "stage_table", jstr(plan, "stage_table"));
	cJSON *code = cJSON_AddObjectToObject(r, "code");
	struct llm_git_state gs;
	if (llm_git_state(jstr(plan, "root"), &gs) == 0) {
		cJSON_AddStringToObject(code, "sha", gs.sha);
		cJSON_AddBoolToObject(code, "dirty", gs.dirty);
		cJSON_AddStringToObject(code, "diff_hash", gs.diff_hash);
		llm_git_state_free(&gs);
	} else {
		cJSON_AddNullToObject(code, "sha");
	}
	cJSON *keys = cJSON_AddObjectToObject(r, "stage_keys");
	cJSON *stages = cJSON_AddObjectToObject(r, "stages");
	cJSON *metrics = cJSON_AddObjectToObject(r, "metrics");
	cJSON *curves = cJSON_AddObjectToObject(r, "curves");
	cJSON *timing = cJSON_AddArrayToObject(r, "timing");
	double wall = 0;
	const cJSON *st;
	cJSON_ArrayForEach(st, cJSON_GetObjectItemCaseSensitive(plan, "stages"))
	{
		const char *name = jstr(st, "name"), *dir = jstr(st, "dir");
		char *marker = llm_asprintf("%s/stage.json", dir);
		bool done = llm_exists(marker);
		free(marker);
		if (!done) {
			llm_error("'%s': stage '%s' is not done, so the run cannot be recorded", dir, name);
			cJSON_Delete(r);
			return NULL;
		}
		cJSON_AddStringToObject(keys, name, jstr(st, "key"));
		cJSON *so = cJSON_AddObjectToObject(stages, name);
		cJSON_AddStringToObject(so, "key", jstr(st, "key"));
		cJSON_AddStringToObject(so, "dir", dir);
		const cJSON *comp = cJSON_GetObjectItemCaseSensitive(st, "components");
		cJSON_AddStringToObject(so, "version", jstr(comp, "version"));
		double sw = 0, sc = 0;
		cJSON *counts = cJSON_CreateObject();
		bool dir_out = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "dir_output"));
		const cJSON *on;
		cJSON_ArrayForEach(on, cJSON_GetObjectItemCaseSensitive(st, "output_names"))
		{
			char *mp = dir_out ? llm_asprintf("%s/%s/manifest.json", dir, on->valuestring)
					   : llm_asprintf("%s/%s.manifest.json", dir, on->valuestring);
			cJSON *m = llm_exists(mp) ? llm_json_read_file(mp) : NULL;
			free(mp);
			if (!m)
				continue;
			const cJSON *w = cJSON_GetObjectItemCaseSensitive(m, "wall_seconds");
			const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "cpu_seconds");
			sw += cJSON_IsNumber(w) ? w->valuedouble : 0;
			sc += cJSON_IsNumber(c) ? c->valuedouble : 0;
			const cJSON *cs = cJSON_GetObjectItemCaseSensitive(m, "counts");
			for (const cJSON *x = cs ? cs->child : NULL; x; x = x->next) {
				if (!cJSON_IsNumber(x))
					continue;
				cJSON *have = cJSON_GetObjectItemCaseSensitive(counts, x->string);
				if (have)
					cJSON_SetNumberValue(have, have->valuedouble + x->valuedouble);
				else
					cJSON_AddNumberToObject(counts, x->string, x->valuedouble);
			}
			cJSON_Delete(m);
		}
		cJSON_AddNumberToObject(so, "wall_seconds", sw);
		cJSON_AddNumberToObject(so, "cpu_seconds", sc);
		cJSON_AddItemToObject(so, "counts", counts);
		wall += sw;
		const cJSON *ms = cJSON_GetObjectItemCaseSensitive(st, "metrics");
		const cJSON *tm;
		cJSON_ArrayForEach(tm, cJSON_GetObjectItemCaseSensitive(ms, "timing"))
		{
			if (!cJSON_IsString(tm))
				continue;
			char *k = llm_asprintf("%s.%s", name, tm->valuestring);
			cJSON_AddItemToArray(timing, cJSON_CreateString(k));
			free(k);
		}
		const char *cf = jstr(ms, "curves"), *ff = jstr(ms, "final"), *fk = jstr(ms, "final_key");
		if (cf) {
			char *p = llm_asprintf("%s/%s", dir, cf);
			cJSON *c = llm_exists(p) ? llm_track_read_curves(p) : NULL;
			if (c) {
				for (const cJSON *s = c->child; s; s = s->next) {
					const cJSON *last = cJSON_GetArrayItem(s, cJSON_GetArraySize(s) - 1);
					char *k = llm_asprintf("%s.%s", name, s->string);
					cJSON_AddNumberToObject(metrics, k, cJSON_GetArrayItem(last, 1)->valuedouble);
					free(k);
				}
				cJSON_AddItemToObject(curves, name, c);
			} else {
				llm_warn("stage '%s': no metrics file '%s'", name, p);
			}
			free(p);
		}
		if (ff) {
			char *p = llm_asprintf("%s/%s", dir, ff);
			if (llm_exists(p))
				llm_track_read_final(p, fk, name, metrics);
			free(p);
		}
	}
	cJSON_AddNumberToObject(r, "wall_seconds", wall);
	const cJSON *sk = cJSON_GetObjectItemCaseSensitive(plan, "skipped");
	cJSON_AddItemToObject(r, "skipped", sk ? cJSON_Duplicate(sk, true) : cJSON_CreateArray());
	cJSON_AddItemToObject(r, "config", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(plan, "resolved"), true));
	return r;
}

int llm_track_commit(const char *repo_path, cJSON *record)
{
	const char *id = jstr(record, "run_id");
	cJSON *curves = cJSON_DetachItemFromObjectCaseSensitive(record, "curves");
	cJSON_DeleteItemFromObjectCaseSensitive(record, "commit");
	char *run = cJSON_Print(record);
	char *cur = cJSON_PrintUnformatted(curves);
	char *cfg = cJSON_Print(cJSON_GetObjectItemCaseSensitive(record, "config"));
	struct llm_git_state gs;
	bool have_state = llm_git_state(repo_path, &gs) == 0;
	struct llm_git_file files[4];
	char *paths[4];
	int n = 0;
	paths[n] = llm_asprintf("runs/%s/run.json", id);
	files[n] = (struct llm_git_file){paths[n], run, strlen(run)};
	n++;
	paths[n] = llm_asprintf("runs/%s/curves.json", id);
	files[n] = (struct llm_git_file){paths[n], cur, strlen(cur)};
	n++;
	paths[n] = llm_asprintf("runs/%s/config.json", id);
	files[n] = (struct llm_git_file){paths[n], cfg, strlen(cfg)};
	n++;
	if (have_state && gs.dirty) {
		paths[n] = llm_asprintf("runs/%s/uncommitted.diff", id);
		files[n] = (struct llm_git_file){paths[n], gs.diff, strlen(gs.diff)};
		n++;
	}
	struct llm_buf msg = LLM_BUF_INIT;
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(record, "code");
	llm_buf_appendf(&msg, "run %s: %s\n\n", id, jstr(record, "experiment"));
	llm_buf_appendf(&msg, "experiment: %s\ncode: %s%s\nhost: %s\nwall_seconds: %.1f\n",
			jstr(record, "experiment"), jstr(code, "sha") ? jstr(code, "sha") : "(no git)",
			cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(code, "dirty")) ? " (dirty)" : "",
			jstr(record, "host"),
			cJSON_GetObjectItemCaseSensitive(record, "wall_seconds")->valuedouble);
	const cJSON *m;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(record, "metrics"))
	{
		char v[32];
		llm_track_fmt(m->valuedouble, v, 0);
		llm_buf_appendf(&msg, "%s: %s\n", m->string, v);
	}
	char oid[41];
	int rc = llm_git_commit_files(repo_path, LLM_TRACK_REF, files, n, msg.data, oid);
	if (rc == 0)
		cJSON_AddStringToObject(record, "commit", oid);
	cJSON_AddItemToObject(record, "curves", curves);
	for (int i = 0; i < n; i++)
		free(paths[i]);
	if (have_state)
		llm_git_state_free(&gs);
	free(run);
	free(cur);
	free(cfg);
	llm_buf_free(&msg);
	return rc;
}

/* ------------------------------------------------------------------ read */

static int cmp_recorded(const void *pa, const void *pb)
{
	const cJSON *a = *(cJSON *const *)pa, *b = *(cJSON *const *)pb;
	const char *ta = jstr(a, "recorded"), *tb = jstr(b, "recorded");
	int c = strcmp(ta ? ta : "", tb ? tb : "");
	if (c)
		return c;
	const char *ia = jstr(a, "run_id"), *ib = jstr(b, "run_id");
	return strcmp(ia ? ia : "", ib ? ib : "");
}

cJSON *llm_track_list(const char *repo_path)
{
	cJSON *out = cJSON_CreateArray();
	struct llm_strv ids = {0};
	if (llm_git_ls(repo_path, LLM_TRACK_REF, "runs", &ids) != 0)
		return out;
	for (int i = 0; i < ids.n; i++) {
		char *p = llm_asprintf("runs/%s/run.json", ids.v[i]), *data = NULL;
		if (llm_git_read(repo_path, LLM_TRACK_REF, p, &data, NULL) == 0) {
			cJSON *r = cJSON_Parse(data);
			if (r)
				cJSON_AddItemToArray(out, r);
			else
				llm_warn("'%s:%s': not valid JSON; skipped", LLM_TRACK_REF, p);
		}
		free(data);
		free(p);
	}
	llm_strv_free(&ids);
	/* oldest first: by recording time, then id (stable over detached items;
	 * cJSON's insert-at-index is not used because it loses items at 0) */
	int n = cJSON_GetArraySize(out);
	cJSON **v = llm_calloc((size_t)n + 1, sizeof(cJSON *));
	for (int i = 0; i < n; i++)
		v[i] = cJSON_DetachItemFromArray(out, 0);
	qsort(v, (size_t)n, sizeof(cJSON *), cmp_recorded);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(out, v[i]);
	free(v);
	return out;
}

cJSON *llm_track_load(const char *repo_path, const char *id)
{
	struct llm_strv ids = {0};
	if (llm_git_ls(repo_path, LLM_TRACK_REF, "runs", &ids) != 0) {
		llm_error("'%s': no runs recorded yet (the ref '%s' does not exist)", repo_path, LLM_TRACK_REF);
		return NULL;
	}
	const char *hit = NULL;
	int nhit = 0;
	for (int i = 0; i < ids.n; i++)
		if (strncmp(ids.v[i], id, strlen(id)) == 0) {
			hit = ids.v[i];
			nhit++;
		}
	cJSON *r = NULL;
	if (nhit == 0) {
		llm_error("'%s': no run with id '%s' (hint: `llmake runs` lists them)", LLM_TRACK_REF, id);
	} else if (nhit > 1) {
		llm_error("'%s': run id prefix '%s' is ambiguous (%d runs); give more digits", LLM_TRACK_REF,
			  id, nhit);
	} else {
		char *p = llm_asprintf("runs/%s/run.json", hit), *data = NULL;
		if (llm_git_read(repo_path, LLM_TRACK_REF, p, &data, NULL) == 0)
			r = cJSON_Parse(data);
		free(data);
		free(p);
		p = llm_asprintf("runs/%s/curves.json", hit);
		data = NULL;
		if (r && llm_git_read(repo_path, LLM_TRACK_REF, p, &data, NULL) == 0) {
			cJSON *c = cJSON_Parse(data);
			if (c)
				cJSON_AddItemToObject(r, "curves", c);
		}
		free(data);
		free(p);
		if (!r)
			llm_error("'%s': run '%s' is unreadable", LLM_TRACK_REF, hit);
	}
	llm_strv_free(&ids);
	return r;
}
