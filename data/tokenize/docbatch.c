/*
 * docbatch.c: JSONL documents read in batches whose parsing runs on the
 * worker threads.
 *
 * The main thread only cuts lines (llm_in_getline); each worker parses its
 * lines with llm_doc_parse (UTF-8 check, JSON, NUL check) and then does the
 * stage's own work, so the only serial work left is reading bytes and
 * writing results.  Bad records are reported in input order by
 * docbatch_check(), with the file, line and byte offset, as the streaming
 * JSONL reader does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docbatch.h"
#include "files.h"
#include "log.h"

#define MAX_WARNINGS 10

void docbatch_init(struct docbatch *b, const char *path, struct llm_in *in, size_t max_line)
{
	memset(b, 0, sizeof(*b));
	b->path = path;
	b->base = llm_basename(path);
	b->in = in;
	b->max_line = max_line;
}

void docbatch_free(struct docbatch *b)
{
	docbatch_clear(b);
	free(b->docs);
	llm_buf_free(&b->lines);
	llm_buf_free(&b->line);
}

void docbatch_clear(struct docbatch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		cJSON_Delete(b->docs[i].json);
		free(b->docs[i].err);
		b->docs[i].json = NULL;
		b->docs[i].err = NULL;
	}
	b->n = 0;
	llm_buf_reset(&b->lines);
}

static struct docbatch_doc *push(struct docbatch *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1024;
		b->docs = llm_realloc(b->docs, b->cap * sizeof(*b->docs));
	}
	struct docbatch_doc *d = &b->docs[b->n++];
	memset(d, 0, sizeof(*d));
	return d;
}

int docbatch_fill(struct docbatch *b, size_t batch_bytes)
{
	docbatch_clear(b);
	while (b->lines.len < batch_bytes) {
		int g = llm_in_getline(b->in, &b->line, b->max_line);
		if (g == 0)
			break;
		if (g == -1)
			return -1;
		const char *p = b->line.data;
		size_t n = g == -2 ? 0 : b->line.len;
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		if (g != -2 && n == 0)
			continue; /* blank line */
		struct docbatch_doc *d = push(b);
		d->lineno = llm_in_line(b->in);
		d->offset = llm_in_line_offset(b->in);
		d->line_off = b->lines.len;
		d->line_len = n;
		if (g == -2)
			d->err = llm_asprintf("line longer than the limit of %zu bytes (raise it with "
					      "--max-line-bytes)", b->max_line);
		else
			llm_buf_append(&b->lines, p, n);
		b->bytes += b->line.len + 1;
	}
	return b->n > 0;
}

void docbatch_parse(struct docbatch *b, size_t i)
{
	struct docbatch_doc *d = &b->docs[i];
	if (d->err)
		return;
	struct llm_doc doc;
	struct llm_buf err = LLM_BUF_INIT;
	if (llm_doc_parse(b->lines.data + d->line_off, d->line_len, &doc, &err) != 0) {
		d->err = llm_buf_detach(&err, NULL);
		return;
	}
	llm_buf_free(&err);
	d->json = doc.json;
	d->text = doc.text;
	d->text_len = doc.text_len;
	if (doc.id) {
		d->id_ptr = doc.id;
		d->id_len = strlen(doc.id);
	} else {
		cJSON *id = cJSON_GetObjectItemCaseSensitive(doc.json, "id");
		if (id && cJSON_IsNumber(id))
			snprintf(d->id, sizeof(d->id), "%.17g", id->valuedouble);
		else
			snprintf(d->id, sizeof(d->id), "%.60s:%llu", b->base, (unsigned long long)d->lineno);
		d->id_ptr = d->id;
		d->id_len = strlen(d->id);
	}
}

int docbatch_check(struct docbatch *b, size_t i, bool skip_bad)
{
	struct docbatch_doc *d = &b->docs[i];
	if (!d->err)
		return 0;
	if (!skip_bad) {
		llm_error("'%s' line %llu (byte %llu): %s; use --skip-bad to skip bad records", b->path,
			  (unsigned long long)d->lineno, (unsigned long long)d->offset, d->err);
		return -1;
	}
	b->bad++;
	if (b->bad <= MAX_WARNINGS)
		llm_warn("'%s' line %llu (byte %llu): %s; skipped", b->path, (unsigned long long)d->lineno,
			 (unsigned long long)d->offset, d->err);
	else if (b->bad == MAX_WARNINGS + 1)
		llm_warn("'%s': more bad records; not reporting each", b->path);
	return 1;
}
