/*
 * inspect.h: the registry behind llmake-inspect.
 *
 * Each artifact kind (JSONL documents, manifests, token shards, safetensors,
 * dedup pair files, ...) registers a handler: a probe that recognises a
 * file from its name and first bytes, and a function that prints a summary.
 * Handlers live next to the module that owns the format and are listed in
 * llm_inspect_handlers (lib/inspect.c); llmake-inspect tries them in order.
 */
#ifndef LLM_INSPECT_H
#define LLM_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct llm_inspect_opts {
	int head;   /* print the first N records (0 = none) */
	bool json;  /* machine-readable summary */
	size_t max_line;
};

struct llm_inspect_handler {
	const char *name; /* "jsonl", "manifest", ... */
	/* head: the first bytes of the file (n may be small) */
	bool (*probe)(const char *path, const unsigned char *head, size_t n);
	/* prints a summary to out; returns 0, or -1 (error printed) */
	int (*inspect)(const char *path, const struct llm_inspect_opts *opts, FILE *out);
};

extern const struct llm_inspect_handler *const llm_inspect_handlers[];

/* Picks the handler for path and runs it. */
int llm_inspect_file(const char *path, const struct llm_inspect_opts *opts, FILE *out);

/* The built-in handlers. */
extern const struct llm_inspect_handler llm_inspect_jsonl;
extern const struct llm_inspect_handler llm_inspect_manifest;
extern const struct llm_inspect_handler llm_inspect_dedup_pairs; /* lib/dedup_inspect.c */

#endif
