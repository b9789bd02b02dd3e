/*
 * files.c: input expansion, sharding and small path helpers.
 */
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

void llm_strv_push(struct llm_strv *s, const char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = llm_realloc(s->v, (size_t)s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = llm_strdup(str);
}

void llm_strv_free(struct llm_strv *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void llm_strv_sort(struct llm_strv *s)
{
	if (s->n > 1)
		qsort(s->v, (size_t)s->n, sizeof(*s->v), cmp_str);
}

bool llm_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool llm_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

int64_t llm_file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

char *llm_path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		n--;
	return llm_asprintf("%.*s/%s", (int)n, dir, name);
}

const char *llm_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static bool ext_ok(const char *name, const char *const *exts)
{
	if (!exts)
		return true;
	for (size_t i = 0; exts[i]; i++)
		if (llm_str_ends_with(name, exts[i]))
			return true;
	return false;
}

static int walk_dir(const char *dir, const char *const *exts, struct llm_strv *out)
{
	DIR *d = opendir(dir);
	if (!d)
		return llm_error_errno("cannot read directory '%s'", dir);
	struct llm_strv names = {0};
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			llm_strv_push(&names, e->d_name);
	closedir(d);
	llm_strv_sort(&names);
	int r = 0;
	for (int i = 0; i < names.n && r == 0; i++) {
		char *p = llm_path_join(dir, names.v[i]);
		struct stat st;
		if (stat(p, &st) != 0)
			r = llm_error_errno("cannot stat '%s'", p);
		else if (S_ISDIR(st.st_mode))
			r = walk_dir(p, exts, out);
		else if (S_ISREG(st.st_mode) && ext_ok(names.v[i], exts))
			llm_strv_push(out, p);
		free(p);
	}
	llm_strv_free(&names);
	return r;
}

int llm_inputs_expand(char *const *paths, int n, const char *const *exts, struct llm_strv *out)
{
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (strcmp(paths[i], "-") == 0) {
			llm_strv_push(out, "-");
			continue;
		}
		if (stat(paths[i], &st) != 0)
			return llm_error_errno("input '%s'", paths[i]);
		if (S_ISDIR(st.st_mode)) {
			struct llm_strv sub = {0};
			if (walk_dir(paths[i], exts, &sub) != 0) {
				llm_strv_free(&sub);
				return -1;
			}
			if (sub.n == 0)
				llm_error("input directory '%s' holds no input files", paths[i]);
			for (int j = 0; j < sub.n; j++)
				llm_strv_push(out, sub.v[j]);
			int empty = sub.n == 0;
			llm_strv_free(&sub);
			if (empty)
				return -1;
		} else {
			llm_strv_push(out, paths[i]);
		}
	}
	return 0;
}

int llm_shard_parse(const char *s, int *i, int *n)
{
	char *end;
	errno = 0;
	long a = strtol(s, &end, 10);
	if (end == s || *end != '/' || errno)
		return -1;
	const char *q = end + 1;
	long b = strtol(q, &end, 10);
	if (end == q || *end || errno || b < 1 || a < 0 || a >= b || b > 1000000)
		return -1;
	*i = (int)a;
	*n = (int)b;
	return 0;
}

void llm_shard_select(struct llm_strv *files, int i, int n)
{
	int k = 0;
	for (int j = 0; j < files->n; j++) {
		if (j % n == i)
			files->v[k++] = files->v[j];
		else
			free(files->v[j]);
	}
	files->n = k;
}

int llm_read_file(const char *path, char **data, size_t *len)
{
	if (llm_is_dir(path))
		return llm_error("'%s' is a directory, expected a file", path);
	FILE *f = fopen(path, "rb");
	if (!f)
		return llm_error_errno("cannot open '%s'", path);
	struct llm_buf b = LLM_BUF_INIT;
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		llm_buf_append(&b, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		llm_buf_free(&b);
		return llm_error("cannot read '%s'", path);
	}
	*data = llm_buf_detach(&b, len);
	return 0;
}
