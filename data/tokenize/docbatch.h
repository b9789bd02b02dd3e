/* docbatch.h: JSONL documents read in batches, parsed on worker threads
 * (see docbatch.c). */
#ifndef LLMAKE_DOCBATCH_H
#define LLMAKE_DOCBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io.h"
#include "jsonl.h"

struct docbatch_doc {
	size_t line_off, line_len; /* the raw line in docbatch.lines */
	uint64_t lineno, offset;
	char *err;                 /* why the record is bad, or NULL */
	cJSON *json;               /* parsed document (owned) */
	const char *text;
	size_t text_len;
	const char *id_ptr;        /* the id ("id" string, a number printed, or FILE:LINE) */
	size_t id_len;
	char id[96];
};

struct docbatch {
	const char *path, *base;
	struct llm_in *in;
	size_t max_line;
	struct llm_buf lines, line;
	struct docbatch_doc *docs;
	size_t n, cap;
	uint64_t bad;   /* records skipped */
	uint64_t bytes; /* input bytes consumed */
};

void docbatch_init(struct docbatch *b, const char *path, struct llm_in *in, size_t max_line);
void docbatch_free(struct docbatch *b);
void docbatch_clear(struct docbatch *b);
/* Reads lines until about batch_bytes; 1 if any, 0 at the end, -1 on a read error. */
int docbatch_fill(struct docbatch *b, size_t batch_bytes);
/* Parses line i (thread-safe for distinct i). */
void docbatch_parse(struct docbatch *b, size_t i);
/* In input order after parsing: 0 for a good record, 1 for a bad one that
 * was skipped (skip_bad), -1 for a bad one that is an error (printed). */
int docbatch_check(struct docbatch *b, size_t i, bool skip_bad);

#endif
