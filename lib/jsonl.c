/*
 * jsonl.c: JSONL document reader and writer on top of io.c and cJSON.
 */
#include "jsonl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "io.h"
#include "log.h"
#include "utf8.h"

enum { MAX_WARNINGS = 20 };

struct llm_jsonl_reader {
	struct llm_in *in;
	struct llm_jsonl_opts opts;
	struct llm_buf line;
	struct llm_buf err;
	char idbuf[64 + 32];
	cJSON *cur;
	uint64_t bad;
	const char *base;
};

struct llm_jsonl_reader *llm_jsonl_open(const char *path, const struct llm_jsonl_opts *opts)
{
	/* a 0-byte file is almost always a failed upstream step (a gzip file
	 * with no documents still has a header), so it is refused unless the
	 * caller accepts bad input */
	if (strcmp(path, "-") != 0 && llm_file_size(path) == 0) {
		if (!opts || !opts->skip_bad) {
			llm_error("'%s': empty file (0 bytes), expected JSONL documents; use --skip-bad to accept empty inputs",
				  path);
			return NULL;
		}
		llm_warn("'%s': empty file (0 bytes)", path);
	}
	if (llm_is_dir(path)) {
		llm_error("'%s' is a directory, expected a JSONL(.gz) file", path);
		return NULL;
	}
	struct llm_in *in = llm_in_open(path);
	if (!in)
		return NULL;
	struct llm_jsonl_reader *r = llm_calloc(1, sizeof(*r));
	r->in = in;
	if (opts)
		r->opts = *opts;
	if (!r->opts.max_line)
		r->opts.max_line = LLM_MAX_LINE_DEFAULT;
	const char *b = strrchr(llm_in_path(in), '/');
	r->base = b ? b + 1 : llm_in_path(in);
	return r;
}

/* True when s[0..n) holds a JSON escape \u0000 (an odd run of backslashes
 * before the 'u'). */
static bool has_nul_escape(const char *s, size_t n)
{
	const char *p = s, *end = s + n;
	while ((p = memmem(p, (size_t)(end - p), "u0000", 5)) != NULL) {
		size_t k = 0;
		while (p - (ptrdiff_t)k - 1 >= s && p[-(ptrdiff_t)k - 1] == '\\')
			k++;
		if (k % 2 == 1)
			return true;
		p += 5;
	}
	return false;
}

int llm_doc_parse(const char *line, size_t len, struct llm_doc *doc, struct llm_buf *err)
{
	memset(doc, 0, sizeof(*doc));
	size_t bad = llm_utf8_validate(line, len);
	if (bad != len) {
		llm_buf_appendf(err, "invalid UTF-8 at byte %zu of the line (byte 0x%02x)", bad,
				(unsigned char)line[bad]);
		return -1;
	}
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (!j) {
		size_t pos = end && end >= line ? (size_t)(end - line) : 0;
		llm_buf_appendf(err, "invalid JSON at column %zu (expected a JSON object per line)", pos + 1);
		return -1;
	}
	if (end && (size_t)(end - line) < len) {
		const char *p = end;
		while (p < line + len && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		if (p < line + len) {
			cJSON_Delete(j);
			llm_buf_appendf(err, "unexpected text after the JSON object at column %zu",
					(size_t)(p - line) + 1);
			return -1;
		}
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		llm_buf_puts(err, "expected a JSON object {\"text\": ...}");
		return -1;
	}
	cJSON *text = cJSON_GetObjectItemCaseSensitive(j, "text");
	if (!text) {
		cJSON_Delete(j);
		llm_buf_puts(err, "missing \"text\" (each line must be {\"text\": str, \"id\": str, \"metadata\": {}})");
		return -1;
	}
	if (!cJSON_IsString(text)) {
		cJSON_Delete(j);
		llm_buf_puts(err, "\"text\" is not a string");
		return -1;
	}
	if (has_nul_escape(line, len)) {
		cJSON_Delete(j);
		llm_buf_puts(err, "contains \\u0000 (NUL), which llmake does not accept in documents; strip NULs upstream");
		return -1;
	}
	cJSON *md = cJSON_GetObjectItemCaseSensitive(j, "metadata");
	if (md && !cJSON_IsObject(md) && !cJSON_IsNull(md)) {
		cJSON_Delete(j);
		llm_buf_puts(err, "\"metadata\" is not an object");
		return -1;
	}
	cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
	if (id && !cJSON_IsString(id) && !cJSON_IsNumber(id) && !cJSON_IsNull(id)) {
		cJSON_Delete(j);
		llm_buf_puts(err, "\"id\" is neither a string nor a number");
		return -1;
	}
	doc->json = j;
	doc->text = text->valuestring;
	doc->text_len = strlen(text->valuestring);
	doc->id = id && cJSON_IsString(id) ? id->valuestring : NULL;
	return 0;
}

int llm_jsonl_next(struct llm_jsonl_reader *r, struct llm_doc *doc)
{
	cJSON_Delete(r->cur);
	r->cur = NULL;
	for (;;) {
		int g = llm_in_getline(r->in, &r->line, r->opts.max_line);
		if (g == 0)
			return 0;
		if (g == -1)
			return -1;
		uint64_t ln = llm_in_line(r->in), off = llm_in_line_offset(r->in);
		llm_buf_reset(&r->err);
		int ok;
		if (g == -2) {
			llm_buf_appendf(&r->err, "line longer than the limit of %zu bytes (raise it with --max-line-bytes)",
					r->opts.max_line);
			ok = -1;
		} else {
			const char *p = r->line.data;
			size_t n = r->line.len;
			while (n && (*p == ' ' || *p == '\t'))
				p++, n--;
			if (n == 0)
				continue; /* blank line */
			ok = llm_doc_parse(p, n, doc, &r->err);
		}
		if (ok != 0) {
			if (llm_jsonl_report_bad(llm_in_path(r->in), ln, off, r->err.data, r->opts.skip_bad,
						 &r->bad) != 0)
				return -1;
			continue;
		}
		doc->line = ln;
		doc->offset = off;
		if (!doc->id) {
			cJSON *id = cJSON_GetObjectItemCaseSensitive(doc->json, "id");
			if (id && cJSON_IsNumber(id))
				snprintf(r->idbuf, sizeof(r->idbuf), "%.17g", id->valuedouble);
			else
				snprintf(r->idbuf, sizeof(r->idbuf), "%.60s:%llu", r->base, (unsigned long long)ln);
			doc->id = r->idbuf;
		}
		r->cur = doc->json;
		return 1;
	}
}

int llm_jsonl_report_bad(const char *path, uint64_t line, uint64_t offset, const char *msg,
			 bool skip_bad, uint64_t *n_bad)
{
	if (!skip_bad)
		return llm_error("'%s' line %llu (byte %llu): %s; use --skip-bad to skip bad records", path,
				 (unsigned long long)line, (unsigned long long)offset, msg);
	++*n_bad;
	if (*n_bad <= MAX_WARNINGS)
		llm_warn("'%s' line %llu (byte %llu): %s; skipped", path, (unsigned long long)line,
			 (unsigned long long)offset, msg);
	else if (*n_bad == MAX_WARNINGS + 1)
		llm_warn("'%s': more bad records; not reporting each", path);
	return 0;
}

uint64_t llm_jsonl_bad(const struct llm_jsonl_reader *r) { return r->bad; }

uint64_t llm_jsonl_bytes(const struct llm_jsonl_reader *r)
{
	return llm_in_line_offset(r->in) + r->line.len + 1;
}

void llm_jsonl_close(struct llm_jsonl_reader *r)
{
	if (!r)
		return;
	cJSON_Delete(r->cur);
	llm_in_close(r->in);
	llm_buf_free(&r->line);
	llm_buf_free(&r->err);
	free(r);
}

/* ------------------------------------------------------------------ */
/* writer */

struct llm_jsonl_writer {
	struct llm_out *out;
	uint64_t n;
};

struct llm_jsonl_writer *llm_jsonl_writer_open(const char *path)
{
	struct llm_out *o = llm_out_open(path, -1);
	if (!o)
		return NULL;
	struct llm_jsonl_writer *w = llm_calloc(1, sizeof(*w));
	w->out = o;
	return w;
}

int llm_jsonl_write_line(struct llm_jsonl_writer *w, const char *line, size_t len)
{
	if (llm_out_write(w->out, line, len) != 0 || llm_out_write(w->out, "\n", 1) != 0)
		return -1;
	w->n++;
	return 0;
}

int llm_jsonl_write(struct llm_jsonl_writer *w, const cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	if (!s)
		llm_die("out of memory serialising a document");
	int r = llm_jsonl_write_line(w, s, strlen(s));
	cJSON_free(s);
	return r;
}

uint64_t llm_jsonl_written(const struct llm_jsonl_writer *w) { return w->n; }

int llm_jsonl_writer_commit(struct llm_jsonl_writer *w)
{
	int r = llm_out_commit(w->out);
	free(w);
	return r;
}

void llm_jsonl_writer_abort(struct llm_jsonl_writer *w)
{
	if (!w)
		return;
	llm_out_abort(w->out);
	free(w);
}

cJSON *llm_doc_new(const char *text, size_t text_len, const char *id)
{
	cJSON *d = cJSON_CreateObject();
	char *t = llm_strndup(text, text_len);
	cJSON_AddStringToObject(d, "text", t);
	free(t);
	cJSON_AddStringToObject(d, "id", id ? id : "");
	cJSON_AddObjectToObject(d, "metadata");
	return d;
}

cJSON *llm_doc_metadata(cJSON *doc)
{
	cJSON *md = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	if (md && cJSON_IsObject(md))
		return md;
	if (md)
		cJSON_DeleteItemFromObjectCaseSensitive(doc, "metadata");
	return cJSON_AddObjectToObject(doc, "metadata");
}
