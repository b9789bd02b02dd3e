/*
 * llmake-convert: validate, merge, recompress and shard document files.
 *
 * Reads JSONL(.gz) documents (or plain text files, one document per file
 * or per line) and writes them as one JSONL(.gz) file of valid documents.
 * It is the smallest real stage: the stage contract, the streaming reader
 * and writer, --skip-bad accounting and the manifest, end to end.
 */
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "jsonl.h"
#include "log.h"
#include "pool.h"
#include "stage.h"

static const struct llm_key convert_keys[] = {
	{"input_format", LLM_T_STRING, "\"auto\"",
	 "auto (by extension: .txt is text, else jsonl), jsonl, text (a file is a document) or lines "
	 "(a line is a document)", 0, 0, "auto|jsonl|text|lines"},
	{"limit", LLM_T_INT, "0", "stop after this many documents (0 = all)", 0, 1e15, NULL},
	{"min_length", LLM_T_INT, "0", "drop documents with fewer bytes of text (counted)", 0, 1e15, NULL},
	{"gzip_level", LLM_T_INT, "6", "gzip level for .gz outputs", 0, 9, NULL},
	{NULL},
};

static const struct llm_option convert_options[] = {
	{"format", 'f', "input_format", "FORMAT", "input format: auto, jsonl, text or lines"},
	{"limit", 'n', "limit", "N", "stop after N documents"},
	{NULL},
};

struct convert {
	struct llm_ctx *ctx;
	struct llm_out *out;
	struct llm_progress progress;
	int64_t limit, min_length, n_out;
};

static int emit(struct convert *c, const cJSON *doc, size_t text_len)
{
	if ((int64_t)text_len < c->min_length) {
		llm_manifest_count(c->ctx->manifest, "dropped_short", 1);
		return 0;
	}
	char *s = cJSON_PrintUnformatted(doc);
	if (!s)
		llm_die("out of memory serialising a document");
	int r = llm_out_write(c->out, s, strlen(s));
	if (r == 0)
		r = llm_out_write(c->out, "\n", 1);
	cJSON_free(s);
	c->n_out++;
	return r;
}

static bool done(const struct convert *c)
{
	return c->limit > 0 && c->n_out >= c->limit;
}

/* JSONL inputs are read in batches of lines (serially: the stream is
 * sequential) and parsed, validated and re-serialised in parallel; results
 * are written in input order, so the output is the same for any --threads. */
enum { BATCH_LINES = 1024, BATCH_BYTES = 4 << 20, SLOT_KEEP = 256 << 10 };

struct line_slot {
	size_t off, len;  /* the line in batch.arena */
	char *out;        /* serialised document with '\n' (cJSON allocation) */
	size_t out_len;
	struct llm_buf err;
	uint64_t line_no, offset;
	size_t text_len;
	int status; /* 0 ok, 1 blank, -1 bad (err), -2 too long */
};

struct batch {
	struct line_slot *slots;
	size_t n;
	struct llm_buf arena; /* every line of the batch, back to back */
	const char *base;
};

static void parse_slot(void *ctx, size_t i, int worker)
{
	struct batch *b = ctx;
	struct line_slot *s = &b->slots[i];
	(void)worker;
	s->out = NULL;
	llm_buf_reset(&s->err);
	if (s->status == -2)
		return;
	const char *p = b->arena.data + s->off;
	size_t n = s->len;
	while (n && (*p == ' ' || *p == '\t'))
		p++, n--;
	if (n == 0) {
		s->status = 1;
		return;
	}
	struct llm_doc d;
	if (llm_doc_parse(p, n, &d, &s->err) != 0) {
		s->status = -1;
		return;
	}
	/* a numeric or missing id becomes a string id, as the reader names it */
	cJSON *id = cJSON_GetObjectItemCaseSensitive(d.json, "id");
	if (!id || !cJSON_IsString(id)) {
		char buf[96];
		if (id && cJSON_IsNumber(id))
			snprintf(buf, sizeof(buf), "%.17g", id->valuedouble);
		else
			snprintf(buf, sizeof(buf), "%.60s:%llu", b->base, (unsigned long long)s->line_no);
		cJSON *str = cJSON_CreateString(buf);
		if (id)
			cJSON_ReplaceItemInObjectCaseSensitive(d.json, "id", str);
		else
			cJSON_AddItemToObject(d.json, "id", str);
	}
	char *js = cJSON_PrintUnformatted(d.json);
	if (!js)
		llm_die("out of memory serialising a document");
	s->out = js;
	s->out_len = strlen(js);
	s->text_len = d.text_len;
	cJSON_Delete(d.json);
	s->status = 0;
}

static int convert_jsonl(struct convert *c, struct llm_pool *pool, const char *path)
{
	if (llm_file_size(path) == 0) {
		if (!c->ctx->skip_bad)
			return llm_error("'%s': empty file (0 bytes), expected JSONL documents; use --skip-bad to accept empty inputs", path);
		llm_warn("'%s': empty file (0 bytes)", path);
		return 0;
	}
	struct llm_in *in = llm_in_open(path);
	if (!in)
		return -1;
	struct batch b = {.slots = llm_calloc(BATCH_LINES, sizeof(struct line_slot)), .base = llm_basename(path)};
	struct llm_buf line = LLM_BUF_INIT;
	uint64_t bad = 0;
	int rc = 0;
	bool eof = false;
	while (rc == 0 && !eof && !done(c)) {
		size_t bytes = 0;
		b.n = 0;
		llm_buf_reset(&b.arena);
		while (b.n < BATCH_LINES && bytes < BATCH_BYTES) {
			struct line_slot *s = &b.slots[b.n];
			int g = llm_in_getline(in, &line, c->ctx->max_line);
			if (g == 0) {
				eof = true;
				break;
			}
			if (g == -1) {
				rc = -1;
				break;
			}
			s->status = g == -2 ? -2 : 0;
			s->line_no = llm_in_line(in);
			s->offset = llm_in_line_offset(in);
			s->off = b.arena.len;
			s->len = g == -2 ? 0 : line.len;
			llm_buf_append(&b.arena, line.data, s->len);
			bytes += line.len + 1;
			b.n++;
		}
		if (rc)
			break;
		llm_pool_for(pool, b.n, parse_slot, &b);
		for (size_t i = 0; i < b.n && rc == 0 && !done(c); i++) {
			struct line_slot *s = &b.slots[i];
			if (s->status == 1)
				continue;
			if (s->status < 0) {
				char msg[128];
				if (s->status == -2)
					snprintf(msg, sizeof(msg), "line longer than the limit of %zu bytes (raise it with --max-line-bytes)",
						 c->ctx->max_line);
				if (llm_jsonl_report_bad(path, s->line_no, s->offset, s->status == -2 ? msg : s->err.data,
							 c->ctx->skip_bad, &bad) != 0)
					rc = -1;
				continue;
			}
			llm_manifest_count(c->ctx->manifest, "documents_in", 1);
			if ((int64_t)s->text_len < c->min_length) {
				llm_manifest_count(c->ctx->manifest, "dropped_short", 1);
				continue;
			}
			if (llm_out_write(c->out, s->out, s->out_len) != 0 || llm_out_write(c->out, "\n", 1) != 0)
				rc = -1;
			c->n_out++;
		}
		for (size_t i = 0; i < b.n; i++) {
			cJSON_free(b.slots[i].out);
			b.slots[i].out = NULL;
		}
		llm_progress_add(&c->progress, b.n, bytes);
		/* a batch that held a huge document gives its memory back, so the
		 * footprint stays near BATCH_BYTES whatever the input */
		if (b.arena.cap > 2 * BATCH_BYTES)
			llm_buf_free(&b.arena);
		if (line.cap > SLOT_KEEP)
			llm_buf_free(&line);
	}
	for (size_t i = 0; i < BATCH_LINES; i++) {
		cJSON_free(b.slots[i].out);
		llm_buf_free(&b.slots[i].err);
	}
	llm_buf_free(&b.arena);
	llm_buf_free(&line);
	free(b.slots);
	llm_in_close(in);
	llm_manifest_count(c->ctx->manifest, "bad_records", (int64_t)bad);
	return rc;
}

static int convert_text(struct convert *c, const char *path, bool per_line)
{
	struct llm_in *in = llm_in_open(path);
	if (!in)
		return -1;
	struct llm_buf line = LLM_BUF_INIT, all = LLM_BUF_INIT;
	int g, rc = 0;
	while (!done(c) && (g = llm_in_getline(in, &line, c->ctx->max_line)) != 0) {
		if (g == -1) {
			rc = -1;
			break;
		}
		if (g == -2) {
			llm_error("'%s' line %llu: longer than %zu bytes (raise --max-line-bytes)", path,
				  (unsigned long long)llm_in_line(in), c->ctx->max_line);
			rc = -1;
			break;
		}
		if (per_line) {
			if (line.len == 0)
				continue;
			char id[64];
			snprintf(id, sizeof(id), "%.40s:%llu", llm_basename(path), (unsigned long long)llm_in_line(in));
			llm_manifest_count(c->ctx->manifest, "documents_in", 1);
			cJSON *doc = llm_doc_new(line.data, line.len, id);
			rc = emit(c, doc, line.len);
			cJSON_Delete(doc);
			if (rc)
				break;
			llm_progress_add(&c->progress, 1, line.len + 1);
		} else {
			llm_buf_append(&all, line.data, line.len);
			llm_buf_putc(&all, '\n');
		}
	}
	if (rc == 0 && !per_line && !done(c)) {
		llm_manifest_count(c->ctx->manifest, "documents_in", 1);
		cJSON *doc = llm_doc_new(all.data ? all.data : "", all.len, path);
		rc = emit(c, doc, all.len);
		cJSON_Delete(doc);
		llm_progress_add(&c->progress, 1, all.len);
	}
	llm_buf_free(&line);
	llm_buf_free(&all);
	llm_in_close(in);
	return rc;
}

static int convert_run(struct llm_ctx *ctx)
{
	struct convert c = {.ctx = ctx};
	c.limit = llm_config_int(&ctx->cfg, "limit");
	c.min_length = llm_config_int(&ctx->cfg, "min_length");
	const char *fmt = llm_config_str(&ctx->cfg, "input_format");
	c.out = llm_out_open(ctx->output, (int)llm_config_int(&ctx->cfg, "gzip_level"));
	if (!c.out)
		return 1;
	uint64_t total = 0;
	for (int i = 0; i < ctx->inputs.n; i++) {
		int64_t s = llm_file_size(ctx->inputs.v[i]);
		total += s > 0 ? (uint64_t)s : 0;
	}
	llm_progress_init(&c.progress, "convert", 0, 0);
	(void)total; /* compressed sizes make a poor byte total; count items instead */
	int rc = 0;
	struct llm_pool *pool = llm_pool_new(ctx->threads);
	for (int i = 0; i < ctx->inputs.n && rc == 0 && !done(&c); i++) {
		const char *p = ctx->inputs.v[i];
		const char *f = fmt;
		if (strcmp(f, "auto") == 0)
			f = llm_str_ends_with(p, ".txt") || llm_str_ends_with(p, ".txt.gz") ? "text" : "jsonl";
		if (strcmp(f, "jsonl") == 0)
			rc = convert_jsonl(&c, pool, p);
		else
			rc = convert_text(&c, p, strcmp(f, "lines") == 0);
	}
	llm_pool_free(pool);
	llm_progress_finish(&c.progress);
	if (rc != 0) {
		llm_out_abort(c.out);
		return 1;
	}
	llm_manifest_count(ctx->manifest, "documents_out", c.n_out);
	return llm_out_commit(c.out) == 0 ? 0 : 1;
}

static const char *const convert_exts[] = {".jsonl", ".jsonl.gz", ".json.gz", ".txt", ".txt.gz", NULL};

static const struct llm_stage convert_stage = {
	.name = "convert",
	.summary = "Validate, merge, recompress and shard JSONL(.gz) or text documents into one JSONL(.gz) file.",
	.usage = "[options] INPUT... -o OUTPUT.jsonl[.gz]",
	.description = "Inputs may be files or directories (searched for .jsonl, .jsonl.gz, .json.gz, .txt,\n"
		       ".txt.gz).  Every record is checked ({\"text\": str} object, valid UTF-8); numeric\n"
		       "or missing ids become string ids (FILE:LINE).  With --shard I/N only every N-th\n"
		       "input file is read.",
	.keys = convert_keys,
	.options = convert_options,
	.min_inputs = 1,
	.max_inputs = -1,
	.output = LLM_OUTPUT_FILE,
	.shardable = true,
	.input_exts = convert_exts,
	.run = convert_run,
};

int main(int argc, char **argv)
{
	return llm_stage_main(&convert_stage, argc, argv);
}
