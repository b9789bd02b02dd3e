/*
 * report.c: one self-contained HTML page per sweep: an SVG plot per loss
 * curve (every run a polyline), the table of final and eval metrics with
 * standard errors ("M_stderr" beside "M"), and the config keys that differ
 * between runs.  No JavaScript is needed to read it; a small script only
 * counts what it shows (used by the browser test).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "exp.h"
#include "files.h"
#include "log.h"
#include "report.h"
#include "track.h"
#include "util.h"

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
				      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void html_escape(struct llm_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': llm_buf_puts(b, "&lt;"); break;
		case '>': llm_buf_puts(b, "&gt;"); break;
		case '&': llm_buf_puts(b, "&amp;"); break;
		case '"': llm_buf_puts(b, "&quot;"); break;
		default: llm_buf_putc(b, *s);
		}
	}
}

/* One plot: series "stage.name" of every run. */
static void svg_plot(struct llm_buf *b, cJSON *const *runs, const char *const *labels, int n,
		     const char *stage, const char *series)
{
	double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
	int have = 0;
	for (int i = 0; i < n; i++) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(runs[i], "curves"), stage),
			series);
		const cJSON *pt;
		cJSON_ArrayForEach(pt, c)
		{
			double x = cJSON_GetArrayItem(pt, 0)->valuedouble, y = cJSON_GetArrayItem(pt, 1)->valuedouble;
			if (!isfinite(y))
				continue;
			x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
			have++;
		}
	}
	if (!have)
		return;
	if (x1 <= x0)
		x1 = x0 + 1;
	if (y1 <= y0)
		y1 = y0 + 1e-9 + fabs(y0) * 1e-3;
	const double W = 640, H = 320, L = 60, R = 20, T = 20, B = 40;
	llm_buf_appendf(b, "<figure><figcaption>%s.%s</figcaption>\n", stage, series);
	llm_buf_appendf(b, "<svg class=\"loss-curve\" id=\"plot-%s-%s\" xmlns=\"http://www.w3.org/2000/svg\" "
			   "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
			stage, series, W, H, W, H);
	llm_buf_appendf(b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>\n",
			L, T, W - L - R, H - T - B);
	for (int k = 0; k <= 4; k++) {
		double yv = y0 + (y1 - y0) * k / 4, py = H - B - (H - T - B) * k / 4;
		double xv = x0 + (x1 - x0) * k / 4, px = L + (W - L - R) * k / 4;
		llm_buf_appendf(b, "<text x=\"%.0f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.4g</text>\n",
				L - 4, py + 4, yv);
		llm_buf_appendf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\">%.4g</text>\n",
				px, H - B + 16, xv);
	}
	llm_buf_appendf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" text-anchor=\"middle\">step</text>\n",
			L + (W - L - R) / 2, H - 6);
	for (int i = 0; i < n; i++) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(runs[i], "curves"), stage),
			series);
		if (!c || cJSON_GetArraySize(c) == 0)
			continue;
		const char *col = palette[i % LLM_ARRAY_SIZE(palette)];
		llm_buf_appendf(b, "<polyline class=\"run\" data-run=\"");
		html_escape(b, labels[i]);
		llm_buf_appendf(b, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", col);
		const cJSON *pt;
		cJSON_ArrayForEach(pt, c)
		{
			double x = cJSON_GetArrayItem(pt, 0)->valuedouble, y = cJSON_GetArrayItem(pt, 1)->valuedouble;
			if (!isfinite(y))
				continue;
			llm_buf_appendf(b, "%.1f,%.1f ", L + (W - L - R) * (x - x0) / (x1 - x0),
					H - B - (H - T - B) * (y - y0) / (y1 - y0));
		}
		llm_buf_puts(b, "\"/>\n");
		llm_buf_appendf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" fill=\"%s\">", W - R - 150,
				T + 14 + 13.0 * i, col);
		html_escape(b, labels[i]);
		llm_buf_puts(b, "</text>\n");
	}
	llm_buf_puts(b, "</svg></figure>\n");
}

static bool is_stderr_key(const char *k)
{
	return llm_str_ends_with(k, "_stderr") || llm_str_ends_with(k, ".stderr");
}

static const cJSON *stderr_of(const cJSON *metrics, const char *k)
{
	char *a = llm_asprintf("%s_stderr", k);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(metrics, a);
	free(a);
	if (!v) {
		/* "eval.arc.acc" -> "eval.arc.acc_stderr" or "eval.arc.stderr" */
		const char *dot = strrchr(k, '.');
		if (dot) {
			char *b = llm_asprintf("%.*s.stderr", (int)(dot - k), k);
			v = cJSON_GetObjectItemCaseSensitive(metrics, b);
			free(b);
		}
	}
	return v;
}

int exp_report(const struct exp_env *env, const char *sweep, const char *path)
{
	char *sname = exp_name_of(sweep);
	char *ipath = llm_asprintf("%s/sweeps/%s.json", env->out, sname);
	cJSON *index = llm_exists(ipath) ? exp_json_read(ipath) : NULL;
	int rc = 1;
	if (!index) {
		llm_error("'%s': sweep '%s' has not been planned (hint: `make sweep SWEEP=%s` first)", ipath,
			  sname, sname);
		free(ipath);
		free(sname);
		return 1;
	}
	const cJSON *vars = cJSON_GetObjectItemCaseSensitive(index, "variants");
	int nv = cJSON_GetArraySize(vars), n = 0;
	cJSON **runs = llm_calloc((size_t)nv + 1, sizeof(cJSON *));
	const char **labels = llm_calloc((size_t)nv + 1, sizeof(char *));
	const cJSON *v;
	cJSON_ArrayForEach(v, vars)
	{
		const char *rec = jstr(v, "run_record");
		if (!rec || !llm_exists(rec)) {
			llm_warn("sweep '%s': variant '%s' has no finished run yet; left out of the report", sname,
				 jstr(v, "name"));
			continue;
		}
		runs[n] = exp_json_read(rec);
		if (!runs[n])
			continue;
		labels[n] = jstr(v, "variant");
		n++;
	}
	if (n == 0) {
		llm_error("sweep '%s': no variant has finished (hint: `make sweep SWEEP=%s`)", sname, sname);
		goto out;
	}
	struct llm_buf b = LLM_BUF_INIT;
	llm_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>llmake sweep ");
	html_escape(&b, sname);
	llm_buf_puts(&b, "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:72em}"
			 "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;"
			 "text-align:right}th:first-child,td:first-child{text-align:left}figure{display:inline-block;"
			 "margin:0 1em 1em 0}figcaption{font-weight:bold}code{font-size:90%}</style>\n</head><body>\n");
	llm_buf_puts(&b, "<h1>Sweep ");
	html_escape(&b, sname);
	llm_buf_appendf(&b, "</h1>\n<p>%d runs.</p>\n", n);

	/* runs */
	llm_buf_puts(&b, "<h2>Runs</h2>\n<table id=\"runs\"><tr><th>variant</th><th>run id</th><th>code</th>"
			 "<th>host</th><th>wall (s)</th></tr>\n");
	for (int i = 0; i < n; i++) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(runs[i], "code");
		const char *sha = jstr(code, "sha");
		llm_buf_puts(&b, "<tr><td>");
		html_escape(&b, labels[i]);
		llm_buf_appendf(&b, "</td><td><code>%s</code></td><td><code>%.12s%s</code></td><td>", jstr(runs[i], "run_id"),
				sha ? sha : "-", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(code, "dirty")) ? " (dirty)" : "");
		html_escape(&b, jstr(runs[i], "host") ? jstr(runs[i], "host") : "");
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(runs[i], "wall_seconds");
		llm_buf_appendf(&b, "</td><td>%.1f</td></tr>\n", cJSON_IsNumber(w) ? w->valuedouble : 0.0);
	}
	llm_buf_puts(&b, "</table>\n");

	/* curves: every series whose name says loss or bpb, over all runs */
	llm_buf_puts(&b, "<h2>Loss curves</h2>\n");
	cJSON *seen = cJSON_CreateObject();
	for (int i = 0; i < n; i++) {
		const cJSON *curves = cJSON_GetObjectItemCaseSensitive(runs[i], "curves");
		for (const cJSON *st = curves ? curves->child : NULL; st; st = st->next)
			for (const cJSON *s = st->child; s; s = s->next) {
				if (!strstr(s->string, "loss") && !strstr(s->string, "bpb"))
					continue;
				char *k = llm_asprintf("%s.%s", st->string, s->string);
				if (!cJSON_GetObjectItemCaseSensitive(seen, k)) {
					cJSON_AddTrueToObject(seen, k);
					svg_plot(&b, runs, labels, n, st->string, s->string);
				}
				free(k);
			}
	}
	if (!seen->child)
		llm_buf_puts(&b, "<p>No run has loss curves.</p>\n");
	cJSON_Delete(seen);

	/* metrics with standard errors */
	cJSON *cols = cJSON_CreateObject();
	for (int i = 0; i < n; i++) {
		const cJSON *m;
		cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(runs[i], "metrics"))
		{
			if (!is_stderr_key(m->string) && !cJSON_GetObjectItemCaseSensitive(cols, m->string))
				cJSON_AddTrueToObject(cols, m->string);
		}
	}
	llm_buf_puts(&b, "<h2>Evaluation</h2>\n<p>Final values; &plusmn; one standard error where the stage "
			 "reports it.</p>\n<table id=\"eval-table\"><tr><th>variant</th>");
	for (const cJSON *c = cols->child; c; c = c->next) {
		llm_buf_puts(&b, "<th>");
		html_escape(&b, c->string);
		llm_buf_puts(&b, "</th>");
	}
	llm_buf_puts(&b, "</tr>\n");
	for (int i = 0; i < n; i++) {
		const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(runs[i], "metrics");
		llm_buf_puts(&b, "<tr><td>");
		html_escape(&b, labels[i]);
		llm_buf_puts(&b, "</td>");
		for (const cJSON *c = cols->child; c; c = c->next) {
			const cJSON *m = cJSON_GetObjectItemCaseSensitive(metrics, c->string);
			const cJSON *se = stderr_of(metrics, c->string);
			if (!cJSON_IsNumber(m))
				llm_buf_puts(&b, "<td>-</td>");
			else if (cJSON_IsNumber(se))
				llm_buf_appendf(&b, "<td>%.4g &plusmn; %.2g</td>", m->valuedouble, se->valuedouble);
			else
				llm_buf_appendf(&b, "<td>%.4g</td>", m->valuedouble);
		}
		llm_buf_puts(&b, "</tr>\n");
	}
	llm_buf_puts(&b, "</table>\n");
	cJSON_Delete(cols);

	/* config differences */
	cJSON **flat = llm_calloc((size_t)n, sizeof(cJSON *));
	cJSON *keys = cJSON_CreateObject();
	for (int i = 0; i < n; i++) {
		flat[i] = exp_json_flatten(cJSON_GetObjectItemCaseSensitive(runs[i], "config"));
		for (const cJSON *c = flat[i]->child; c; c = c->next)
			if (!cJSON_GetObjectItemCaseSensitive(keys, c->string))
				cJSON_AddTrueToObject(keys, c->string);
	}
	llm_buf_puts(&b, "<h2>Config differences</h2>\n<table id=\"config-diff\"><tr><th>key</th>");
	for (int i = 0; i < n; i++) {
		llm_buf_puts(&b, "<th>");
		html_escape(&b, labels[i]);
		llm_buf_puts(&b, "</th>");
	}
	llm_buf_puts(&b, "</tr>\n");
	int ndiff = 0;
	for (const cJSON *k = keys->child; k; k = k->next) {
		bool same = true;
		const cJSON *first = cJSON_GetObjectItemCaseSensitive(flat[0], k->string);
		for (int i = 1; i < n; i++) {
			const cJSON *x = cJSON_GetObjectItemCaseSensitive(flat[i], k->string);
			if (!first || !x || !cJSON_Compare(first, x, true))
				same = false;
		}
		if (same)
			continue;
		ndiff++;
		llm_buf_puts(&b, "<tr><td>");
		html_escape(&b, k->string);
		llm_buf_puts(&b, "</td>");
		for (int i = 0; i < n; i++) {
			const cJSON *x = cJSON_GetObjectItemCaseSensitive(flat[i], k->string);
			char *s = x ? cJSON_PrintUnformatted(x) : llm_strdup("(unset)");
			llm_buf_puts(&b, "<td>");
			html_escape(&b, s);
			llm_buf_puts(&b, "</td>");
			free(s);
		}
		llm_buf_puts(&b, "</tr>\n");
	}
	llm_buf_puts(&b, "</table>\n");
	if (!ndiff)
		llm_buf_puts(&b, "<p>All runs have the same config.</p>\n");
	for (int i = 0; i < n; i++)
		cJSON_Delete(flat[i]);
	free(flat);
	cJSON_Delete(keys);
	llm_buf_puts(&b, "<script>document.body.dataset.plots=document.querySelectorAll('svg.loss-curve').length;"
			 "document.body.dataset.lines=document.querySelectorAll('svg.loss-curve polyline.run').length;"
			 "document.body.dataset.evalRows=document.querySelectorAll('#eval-table tr').length-1;"
			 "</script>\n</body></html>\n");
	char *out = path ? llm_strdup(path) : llm_asprintf("%s/reports/%s.html", env->out, sname);
	if (llm_atomic_write_file(out, b.data, b.len) == 0) {
		printf("%s\n", out);
		rc = 0;
	}
	free(out);
	llm_buf_free(&b);
out:
	for (int i = 0; i < n; i++)
		cJSON_Delete(runs[i]);
	free(runs);
	free(labels);
	cJSON_Delete(index);
	free(ipath);
	free(sname);
	return rc;
}
