/*
 * manifest.c: provenance records written beside stage outputs.
 */
#include "manifest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomic.h"
#include "files.h"
#include "hash.h"
#include "util.h"
#include "version.h"

struct llm_manifest {
	cJSON *root;
	cJSON *inputs, *outputs, *counts;
	double t0, cpu0;
	pthread_mutex_t lock;
};

struct llm_manifest *llm_manifest_new(const char *tool, int argc, char **argv)
{
	struct llm_manifest *m = llm_calloc(1, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->t0 = llm_now();
	m->cpu0 = llm_cpu_time();
	m->root = cJSON_CreateObject();
	cJSON_AddNumberToObject(m->root, "manifest_version", 1);
	cJSON_AddStringToObject(m->root, "tool", tool);
	cJSON_AddStringToObject(m->root, "version", llm_version);
	cJSON_AddStringToObject(m->root, "git_sha", llm_git_sha);
	cJSON_AddBoolToObject(m->root, "git_dirty", llm_git_dirty);
	cJSON *cmd = cJSON_AddArrayToObject(m->root, "command");
	for (int i = 0; i < argc; i++)
		cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
	cJSON_AddNullToObject(m->root, "config");
	cJSON_AddNullToObject(m->root, "config_hash");
	m->inputs = cJSON_AddArrayToObject(m->root, "inputs");
	m->outputs = cJSON_AddArrayToObject(m->root, "outputs");
	m->counts = cJSON_AddObjectToObject(m->root, "counts");
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char ts[32];
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_AddStringToObject(m->root, "started", ts);
	return m;
}

void llm_manifest_set_config(struct llm_manifest *m, const struct llm_config *cfg)
{
	char hex[17];
	cJSON_ReplaceItemInObjectCaseSensitive(m->root, "config", cJSON_Duplicate(cfg->root, 1));
	cJSON_ReplaceItemInObjectCaseSensitive(m->root, "config_hash",
					       cJSON_CreateString(llm_hash_hex(llm_config_hash(cfg), hex)));
}

static void add_file(cJSON *arr, const char *path, uint64_t size, uint64_t h)
{
	char hex[17];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "path", path);
	cJSON_AddNumberToObject(o, "size", (double)size);
	cJSON_AddStringToObject(o, "xxh3", llm_hash_hex(h, hex));
	cJSON_AddItemToArray(arr, o);
}

void llm_manifest_add_input_hashed(struct llm_manifest *m, const char *path, uint64_t size, uint64_t xxh3)
{
	pthread_mutex_lock(&m->lock);
	add_file(m->inputs, path, size, xxh3);
	pthread_mutex_unlock(&m->lock);
}

int llm_manifest_add_input(struct llm_manifest *m, const char *path)
{
	uint64_t h, size;
	if (llm_hash_file(path, &h, &size) != 0)
		return -1;
	llm_manifest_add_input_hashed(m, path, size, h);
	return 0;
}

int llm_manifest_add_output(struct llm_manifest *m, const char *path)
{
	uint64_t h, size;
	if (llm_hash_file(path, &h, &size) != 0)
		return -1;
	pthread_mutex_lock(&m->lock);
	add_file(m->outputs, path, size, h);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

void llm_manifest_count(struct llm_manifest *m, const char *name, int64_t delta)
{
	pthread_mutex_lock(&m->lock);
	cJSON *c = cJSON_GetObjectItemCaseSensitive(m->counts, name);
	if (c)
		cJSON_SetNumberValue(c, c->valuedouble + (double)delta);
	else
		cJSON_AddNumberToObject(m->counts, name, (double)delta);
	pthread_mutex_unlock(&m->lock);
}

int64_t llm_manifest_get_count(struct llm_manifest *m, const char *name)
{
	pthread_mutex_lock(&m->lock);
	cJSON *c = cJSON_GetObjectItemCaseSensitive(m->counts, name);
	int64_t v = c ? (int64_t)c->valuedouble : 0;
	pthread_mutex_unlock(&m->lock);
	return v;
}

void llm_manifest_set(struct llm_manifest *m, const char *key, cJSON *value)
{
	pthread_mutex_lock(&m->lock);
	if (cJSON_GetObjectItemCaseSensitive(m->root, key))
		cJSON_ReplaceItemInObjectCaseSensitive(m->root, key, value);
	else
		cJSON_AddItemToObject(m->root, key, value);
	pthread_mutex_unlock(&m->lock);
}

void llm_manifest_set_run(struct llm_manifest *m, int threads, int shard_i, int shard_n)
{
	char s[32];
	snprintf(s, sizeof(s), "%d/%d", shard_i, shard_n);
	llm_manifest_set(m, "threads", cJSON_CreateNumber(threads));
	llm_manifest_set(m, "shard", cJSON_CreateString(s));
}

int llm_manifest_write(struct llm_manifest *m, const char *path)
{
	llm_manifest_set(m, "wall_seconds", cJSON_CreateNumber(llm_now() - m->t0));
	llm_manifest_set(m, "cpu_seconds", cJSON_CreateNumber(llm_cpu_time() - m->cpu0));
	llm_manifest_set(m, "peak_rss_bytes", cJSON_CreateNumber((double)llm_peak_rss()));
	char *s = cJSON_Print(m->root);
	if (!s)
		llm_die("out of memory serialising the manifest");
	size_t n = strlen(s);
	s = llm_realloc(s, n + 2);
	s[n] = '\n';
	s[n + 1] = '\0';
	int r = llm_atomic_write_file(path, s, n + 1);
	free(s);
	return r;
}

void llm_manifest_free(struct llm_manifest *m)
{
	if (!m)
		return;
	cJSON_Delete(m->root);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

char *llm_manifest_path_for(const char *output)
{
	size_t n = strlen(output);
	if (n && output[n - 1] == '/')
		return llm_asprintf("%smanifest.json", output);
	if (llm_is_dir(output))
		return llm_asprintf("%s/manifest.json", output);
	return llm_asprintf("%s.manifest.json", output);
}
