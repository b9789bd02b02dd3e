/*
 * inspect_manifest.c: llmake-inspect for stage manifests: provenance,
 * inputs, counts (drop reasons with their shares), timings.
 */
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "files.h"
#include "inspect.h"
#include "util.h"

static bool manifest_probe(const char *path, const unsigned char *head, size_t n)
{
	if (llm_str_ends_with(path, "manifest.json"))
		return true;
	return n > 0 && head[0] == '{' && memmem(head, n, "\"manifest_version\"", 18) != NULL;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "?";
}

static int manifest_inspect(const char *path, const struct llm_inspect_opts *opts, FILE *out)
{
	cJSON *m = llm_json_read_file(path);
	if (!m)
		return -1;
	if (!cJSON_IsObject(m) || !cJSON_GetObjectItemCaseSensitive(m, "manifest_version")) {
		cJSON_Delete(m);
		return llm_error("'%s': not an llmake manifest (no \"manifest_version\")", path);
	}
	if (opts->json) {
		char *s = cJSON_Print(m);
		fprintf(out, "%s\n", s);
		cJSON_free(s);
		cJSON_Delete(m);
		return 0;
	}
	char b[16];
	const cJSON *dirty = cJSON_GetObjectItemCaseSensitive(m, "git_dirty");
	fprintf(out, "%s: manifest of %s %s (git %s%s)\n", path, str(m, "tool"), str(m, "version"),
		str(m, "git_sha"), cJSON_IsTrue(dirty) ? ", dirty" : "");
	fprintf(out, "  started %s, wall %.2f s, cpu %.2f s, peak RSS %s, threads %.0f, shard %s\n",
		str(m, "started"), num(m, "wall_seconds"), num(m, "cpu_seconds"),
		llm_fmt_bytes((uint64_t)num(m, "peak_rss_bytes"), b), num(m, "threads"), str(m, "shard"));
	fprintf(out, "  config hash %s\n", str(m, "config_hash"));
	const char *sections[] = {"inputs", "outputs"};
	for (size_t s = 0; s < 2; s++) {
		const cJSON *arr = cJSON_GetObjectItemCaseSensitive(m, sections[s]);
		int n = cJSON_GetArraySize(arr);
		fprintf(out, "  %s: %d\n", sections[s], n);
		int k = 0;
		for (const cJSON *e = arr ? arr->child : NULL; e && k < 10; e = e->next, k++)
			fprintf(out, "    %s  %s  xxh3 %s\n", str(e, "path"),
				llm_fmt_bytes((uint64_t)num(e, "size"), b), str(e, "xxh3"));
		if (n > 10)
			fprintf(out, "    ... %d more\n", n - 10);
	}
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(m, "counts");
	double in = num(counts, "documents_in");
	if (counts && counts->child) {
		fprintf(out, "  counts:\n");
		for (const cJSON *c = counts->child; c; c = c->next) {
			fprintf(out, "    %-32s %14.0f", c->string, c->valuedouble);
			if (in > 0 && (strncmp(c->string, "dropped", 7) == 0 || strcmp(c->string, "documents_out") == 0))
				fprintf(out, "  (%5.2f%% of documents_in)", 100.0 * c->valuedouble / in);
			fputc('\n', out);
		}
	}
	/* stage-specific sections (histograms, filter stats, ...) shown compactly */
	static const char *known[] = {"manifest_version", "tool", "version", "git_sha", "git_dirty",
				      "command", "config", "config_hash", "inputs", "outputs", "counts",
				      "started", "wall_seconds", "cpu_seconds", "peak_rss_bytes",
				      "threads", "shard", NULL};
	for (const cJSON *e = m->child; e; e = e->next) {
		bool k = false;
		for (size_t i = 0; known[i]; i++)
			k |= strcmp(known[i], e->string) == 0;
		if (k)
			continue;
		if (cJSON_IsObject(e) || cJSON_IsArray(e)) {
			/* a stage section (filter statistics, histograms): one entry a line */
			fprintf(out, "  %s:\n", e->string);
			int shown = 0;
			for (const cJSON *c = e->child; c && shown < 40; c = c->next, shown++) {
				char *v = cJSON_PrintUnformatted(c);
				if (c->string)
					fprintf(out, "    %-24s %.300s%s\n", c->string, v, strlen(v) > 300 ? "..." : "");
				else
					fprintf(out, "    %.300s%s\n", v, strlen(v) > 300 ? "..." : "");
				cJSON_free(v);
			}
			if (cJSON_GetArraySize(e) > 40)
				fprintf(out, "    ... %d more\n", cJSON_GetArraySize(e) - 40);
			continue;
		}
		char *s = cJSON_PrintUnformatted(e);
		fprintf(out, "  %s: %.600s%s\n", e->string, s, strlen(s) > 600 ? "..." : "");
		cJSON_free(s);
	}
	cJSON_Delete(m);
	return 0;
}

const struct llm_inspect_handler llm_inspect_manifest = {"manifest", manifest_probe, manifest_inspect};
