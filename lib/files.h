/*
 * files.h: input lists and sharding.
 *
 * Inputs given on the command line are expanded (directories recursively,
 * sorted byte-wise so every machine sees the same order) and, with
 * --shard I/N, reduced to the files whose index in that order is I mod N.
 */
#ifndef LLM_FILES_H
#define LLM_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct llm_strv {
	char **v;
	int n, cap;
};
void llm_strv_push(struct llm_strv *s, const char *str); /* copies */
void llm_strv_free(struct llm_strv *s);
void llm_strv_sort(struct llm_strv *s);

/* Expands paths into files.  Files in directories are kept when their name
 * ends in one of exts (NULL-terminated list; NULL = every regular file);
 * files named explicitly are always kept.  Hidden files (".x") are skipped.
 * A missing path is an error.  Returns 0 or -1 (printed). */
int llm_inputs_expand(char *const *paths, int n, const char *const *exts, struct llm_strv *out);
/* Parses "I/N" with 0 <= I < N.  Returns 0 or -1. */
int llm_shard_parse(const char *s, int *i, int *n);
/* Keeps the entries whose index is i mod n (in place). */
void llm_shard_select(struct llm_strv *files, int i, int n);

bool llm_is_dir(const char *path);
bool llm_exists(const char *path);
int64_t llm_file_size(const char *path); /* -1 if missing */
/* Joins a directory and a name with one '/'.  Caller frees. */
char *llm_path_join(const char *dir, const char *name);
/* The final component of path (pointer into path). */
const char *llm_basename(const char *path);
/* Reads a whole file into a NUL-terminated buffer; -1 on error (printed). */
int llm_read_file(const char *path, char **data, size_t *len);

#endif
