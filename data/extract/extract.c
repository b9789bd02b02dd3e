/*
 * llmake-extract: web pages (WARC files or HTML files) to JSONL documents of
 * their main text, as datatrove's WarcReader + Trafilatura step does.
 *
 * Pipeline: the main thread reads records (lib/warc.h) or HTML files into
 * a batch, copying what each needs; workers decide the charset and convert
 * (lib/charset.h), extract the main text (lib/html.h) and serialise the
 * document into the record's slot; the main thread writes the slots in
 * input order, so the output never depends on --threads.
 *
 * Every record is accounted for in the manifest: records_total splits into
 * documents_out and skipped_<reason>; WARC damage is counted as warc_<what>
 * (see struct llm_warc_stats), charset decisions as charset_<source>, and
 * how the text was found as method_<name>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "charset.h"
#include "files.h"
#include "html.h"
#include "jsonl.h"
#include "log.h"
#include "pool.h"
#include "stage.h"
#include "warc.h"

static const struct llm_key extract_keys[] = {
	{"input_format", LLM_T_STRING, "\"auto\"",
	 "auto (by name and magic: .warc/.warc.gz/WARC header is warc, else html), warc or html", 0, 0,
	 "auto|warc|html"},
	{"content_types", LLM_T_STRINGS, "[\"text/html\", \"application/xhtml+xml\"]",
	 "media types of response payloads to extract (WARC-Identified-Payload-Type, else HTTP Content-Type)",
	 0, 0, NULL},
	{"keep_wet", LLM_T_BOOL, "true", "keep WET 'conversion' records as plain text", 0, 0, NULL},
	{"max_record_bytes", LLM_T_INT, "268435456", "WARC records larger than this are skipped (counted)",
	 1024, 1e12, NULL},
	{"max_html_bytes", LLM_T_INT, "67108864", "payloads larger than this are skipped (skipped_too_large)",
	 1024, 1e12, NULL},
	{"min_text_bytes", LLM_T_INT, "1", "documents with less extracted text are skipped (skipped_empty_text)",
	 0, 1e12, NULL},
	{"keep_tables", LLM_T_BOOL, "true", "keep table text (cells joined by \" | \")", 0, 0, NULL},
	{"keep_lists", LLM_T_BOOL, "true", "keep list items (\"- \" prefix)", 0, 0, NULL},
	{"prune_links", LLM_T_BOOL, "true", "drop link-dense blocks (menus, link lists)", 0, 0, NULL},
	{"batch_records", LLM_T_INT, "512", "records handed to the workers at a time", 1, 1e6, NULL},
	{NULL},
};

static const struct llm_option extract_options[] = {
	{"format", 'f', "input_format", "FORMAT", "input format: auto, warc or html"},
	{NULL},
};

/* ------------------------------------------------------------------ */
/* counters                                                            */

enum cnt {
	C_RECORDS, C_RESPONSE, C_CONVERSION, C_HTML_FILES, C_OUT,
	C_SKIP_TYPE, C_SKIP_CTYPE, C_SKIP_ENCODING, C_SKIP_EMPTY_PAYLOAD, C_SKIP_TOO_LARGE,
	C_SKIP_BINARY, C_SKIP_PARSE, C_SKIP_EMPTY_TEXT, C_SKIP_UNREADABLE, C_HTTP_NO_STATUS, C_HTTP_CHUNKING_BAD,
	C_CS_BOM, C_CS_UTF8, C_CS_HEADER, C_CS_META, C_CS_DETECTED, C_CS_FALLBACK,
	C_CS_DECL_INVALID, C_CS_DECL_IGNORED, C_CS_REPLACED,
	C_M_SELECTOR, C_M_DESCENT, C_M_BODY, C_PRUNED, C_REMOVED, C_BYTES_HTML, C_BYTES_TEXT,
	C_N,
};

static const char *const cnt_names[C_N] = {
	"records_total", "records_response", "records_conversion", "html_files", "documents_out",
	"skipped_record_type", "skipped_content_type", "skipped_content_encoding", "skipped_empty_payload",
	"skipped_too_large", "skipped_binary", "skipped_parse_error", "skipped_empty_text", "skipped_unreadable",
	"http_no_status_line", "http_chunking_bad",
	"charset_bom", "charset_utf8", "charset_header", "charset_meta", "charset_detected",
	"charset_fallback", "charset_declared_invalid", "charset_declared_ignored", "charset_replaced_bytes",
	"method_selector", "method_descent", "method_body", "blocks_pruned_links", "blocks_removed",
	"bytes_html", "bytes_text",
};

/* ------------------------------------------------------------------ */
/* batch items                                                         */

enum kind { K_HTML_RECORD, K_TEXT_RECORD, K_HTML_FILE };

struct item {
	enum kind kind;
	char *id, *url, *date;
	char *ctype;          /* media type decided by the reader */
	char *data;           /* record block, or file contents */
	size_t len;
	/* results */
	char *line;           /* serialised document, or NULL when skipped */
	size_t line_len;
	int64_t c[C_N];       /* counter deltas */
};

struct worker {
	struct llm_charset *cs;
	struct llm_buf scratch, utf8, text;
};

struct extract {
	struct llm_ctx *ctx;
	struct llm_jsonl_writer *w;
	struct llm_pool *pool;
	struct worker *workers;
	struct llm_html_opts hopts;
	char **ctypes;
	int n_ctypes;
	bool keep_wet;
	size_t max_record, max_html, min_text, batch;
	struct item *items;
	size_t n_items;
	size_t batch_bytes;
	int64_t totals[C_N];
	double t_work, t_write;   /* wall seconds in the workers, in writing */
	struct llm_progress progress;
};

static void item_free(struct item *it)
{
	free(it->id);
	free(it->url);
	free(it->date);
	free(it->ctype);
	free(it->data);
	free(it->line);
	memset(it, 0, sizeof(*it));
}

/* Looks like binary data: NULs or many control bytes in the first 4 KiB. */
static bool looks_binary(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
		return false; /* UTF-16 with a BOM */
	/* text (HTML in any charset but UTF-16/32, which carry a BOM) has
	 * practically no NULs or C0 controls; compressed or media data has ~10% */
	size_t k = LLM_MIN(n, (size_t)4096), bad = 0, nul = 0;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = u[i];
		nul += c == 0;
		if (c < 32 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b)
			bad++;
	}
	return (nul >= 4 && nul * 200 > k) || bad * 33 > k;
}

static bool sniff_html(const char *p, size_t n)
{
	size_t i = 0;
	if (n >= 3 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
		i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	if (i >= n || p[i] != '<')
		return false;
	size_t k = LLM_MIN(n - i, (size_t)1024);
	char head[1025];
	memcpy(head, p + i, k);
	head[k] = '\0';
	for (size_t j = 0; j < k; j++)
		if (!head[j])
			head[j] = ' ';
	return strcasestr(head, "<html") || strcasestr(head, "<!doctype html") || strcasestr(head, "<head") ||
	       strcasestr(head, "<body") || strcasestr(head, "<meta") || strcasestr(head, "<title");
}

static bool ctype_wanted(const struct extract *x, const char *media)
{
	for (int i = 0; i < x->n_ctypes; i++)
		if (strcasecmp(media, x->ctypes[i]) == 0)
			return true;
	return false;
}

/* A header value as a JSON string: WARC headers are bytes, so invalid
 * UTF-8 is replaced and control characters become spaces. */
static cJSON *header_string(const char *s)
{
	if (!s)
		return cJSON_CreateNull();
	struct llm_buf b = LLM_BUF_INIT;
	llm_charset_sanitize_utf8(s, strlen(s), &b);
	llm_buf_puts(&b, "");
	for (size_t i = 0; i < b.len; i++)
		if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
			b.data[i] = ' ';
	cJSON *j = cJSON_CreateString(b.data);
	llm_buf_free(&b);
	return j;
}

/* Builds the document line for an item with its text in w->text. */
static void make_doc(struct item *it, const char *text, size_t len, const char *ctype, const char *charset)
{
	cJSON *doc = llm_doc_new(text, len, "");
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "id", header_string(it->id));
	cJSON *md = llm_doc_metadata(doc);
	cJSON_AddItemToObject(md, "url", header_string(it->url));
	cJSON_AddItemToObject(md, "date", header_string(it->date));
	cJSON_AddItemToObject(md, "content_type", cJSON_CreateString(ctype));
	cJSON_AddItemToObject(md, "charset", cJSON_CreateString(charset));
	char *s = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (!s)
		llm_die("out of memory serialising a document");
	it->line = s;
	it->line_len = strlen(s);
}

/* HTML bytes (payload) -> charset -> text -> document. */
static void process_html(struct extract *x, struct worker *w, struct item *it, const char *body, size_t n,
			 const char *media, const char *header_charset)
{
	if (n == 0) {
		it->c[C_SKIP_EMPTY_PAYLOAD]++;
		return;
	}
	if (n > x->max_html) {
		it->c[C_SKIP_TOO_LARGE]++;
		llm_warn("'%s': payload of %zu bytes is over max_html_bytes (%zu); skipped", it->id, n, x->max_html);
		return;
	}
	if (looks_binary(body, n)) {
		it->c[C_SKIP_BINARY]++;
		return;
	}
	it->c[C_BYTES_HTML] += (int64_t)n;
	struct llm_charset_result cr;
	llm_buf_reset(&w->utf8);
	llm_charset_decode(w->cs, body, n, header_charset, &w->utf8, &cr);
	it->c[C_CS_BOM + cr.source]++;
	it->c[C_CS_DECL_INVALID] += cr.declared_invalid;
	it->c[C_CS_DECL_IGNORED] += cr.declared_ignored;
	it->c[C_CS_REPLACED] += (int64_t)cr.replaced;
	llm_buf_reset(&w->text);
	struct llm_html_info info;
	if (llm_html_extract(w->utf8.data ? w->utf8.data : "", w->utf8.len, &x->hopts, &w->text, &info) != 0) {
		it->c[C_SKIP_PARSE]++;
		return;
	}
	it->c[C_PRUNED] += (int64_t)info.pruned;
	it->c[C_REMOVED] += (int64_t)info.removed;
	if (w->text.len < x->min_text || w->text.len == 0) {
		it->c[C_SKIP_EMPTY_TEXT]++;
		return;
	}
	if (info.method == LLM_HTML_SELECTOR)
		it->c[C_M_SELECTOR]++;
	else if (info.method == LLM_HTML_DESCENT)
		it->c[C_M_DESCENT]++;
	else
		it->c[C_M_BODY]++;
	it->c[C_BYTES_TEXT] += (int64_t)w->text.len;
	make_doc(it, w->text.data, w->text.len, media, cr.name);
	it->c[C_OUT]++;
}

static void process_item(void *arg, size_t i, int worker)
{
	struct extract *x = arg;
	struct worker *w = &x->workers[worker];
	struct item *it = &x->items[i];
	if (it->kind == K_TEXT_RECORD) {
		llm_buf_reset(&w->text);
		size_t bad = llm_charset_sanitize_utf8(it->data, it->len, &w->text);
		it->c[C_CS_REPLACED] += (int64_t)bad;
		/* WET text: trim surrounding blank lines only */
		size_t a = 0, b = w->text.len;
		while (a < b && (w->text.data[a] == '\n' || w->text.data[a] == '\r'))
			a++;
		while (b > a && (w->text.data[b - 1] == '\n' || w->text.data[b - 1] == '\r' || w->text.data[b - 1] == ' '))
			b--;
		if (b - a < x->min_text || b == a) {
			it->c[C_SKIP_EMPTY_TEXT]++;
			return;
		}
		it->c[C_BYTES_TEXT] += (int64_t)(b - a);
		make_doc(it, w->text.data + a, b - a, "text/plain", "UTF-8");
		it->c[C_OUT]++;
		return;
	}
	if (it->kind == K_HTML_FILE) {
		process_html(x, w, it, it->data, it->len, "text/html", NULL);
		return;
	}
	/* a response record: HTTP headers, then the payload */
	struct llm_http h;
	char media[128] = "", hcharset[64] = "";
	if (llm_http_parse(it->data, it->len, &h, &w->scratch, x->max_html) != 0)
		it->c[C_HTTP_NO_STATUS]++;
	if (h.chunking_bad)
		it->c[C_HTTP_CHUNKING_BAD]++;
	if (h.content_type[0]) {
		llm_http_media_type(h.content_type, media, sizeof(media));
		llm_http_charset_param(h.content_type, hcharset, sizeof(hcharset));
	}
	if (h.decode_failed) {
		it->c[C_SKIP_ENCODING]++;
		return;
	}
	const char *mt = it->ctype ? it->ctype : media[0] ? media : "text/html";
	process_html(x, w, it, h.body, h.body_len, mt, hcharset[0] ? hcharset : NULL);
}

/* Runs the batch through the workers and writes the results in order. */
static int flush_batch(struct extract *x)
{
	if (x->n_items == 0)
		return 0;
	double t0 = llm_now();
	llm_pool_for(x->pool, x->n_items, process_item, x);
	double t1 = llm_now();
	x->t_work += t1 - t0;
	int rc = 0;
	for (size_t i = 0; i < x->n_items; i++) {
		struct item *it = &x->items[i];
		for (int k = 0; k < C_N; k++)
			x->totals[k] += it->c[k];
		if (it->line && rc == 0)
			rc = llm_jsonl_write_line(x->w, it->line, it->line_len);
		llm_progress_add(&x->progress, 1, it->len);
		item_free(it);
	}
	x->n_items = 0;
	x->batch_bytes = 0;
	x->t_write += llm_now() - t1;
	return rc;
}

static struct item *new_item(struct extract *x)
{
	struct item *it = &x->items[x->n_items++];
	memset(it, 0, sizeof(*it));
	return it;
}

static int maybe_flush(struct extract *x)
{
	if (x->n_items >= x->batch || x->batch_bytes >= ((size_t)256 << 20))
		return flush_batch(x);
	return 0;
}

/* ------------------------------------------------------------------ */
/* inputs                                                              */

static void add_warc_stats(struct llm_manifest *m, const struct llm_warc_stats *s)
{
	llm_manifest_count(m, "warc_gzip_members", (int64_t)s->gzip_members);
	llm_manifest_count(m, "warc_gzip_corrupt", (int64_t)s->gzip_corrupt);
	llm_manifest_count(m, "warc_gzip_truncated", (int64_t)s->gzip_truncated);
	llm_manifest_count(m, "warc_resyncs", (int64_t)s->resyncs);
	llm_manifest_count(m, "warc_junk_bytes", (int64_t)s->junk_bytes);
	llm_manifest_count(m, "warc_bad_header", (int64_t)s->bad_header);
	llm_manifest_count(m, "warc_truncated_records", (int64_t)s->truncated);
	llm_manifest_count(m, "warc_corrupt_records", (int64_t)s->corrupt);
	llm_manifest_count(m, "warc_too_large_records", (int64_t)s->too_large);
	llm_manifest_count(m, "warc_longer_than_declared", (int64_t)s->longer_than_declared);
	llm_manifest_count(m, "warc_shorter_than_declared", (int64_t)s->shorter_than_declared);
	llm_manifest_count(m, "warc_no_length", (int64_t)s->no_length);
}

static bool warc_damaged(const struct llm_warc_stats *s)
{
	return s->gzip_corrupt || s->gzip_truncated || s->resyncs || s->bad_header || s->truncated ||
	       s->corrupt || s->too_large || s->longer_than_declared || s->shorter_than_declared || s->no_length;
}

static int read_warc(struct extract *x, const char *path)
{
	struct llm_warc_reader *r = llm_warc_open(path, x->max_record);
	if (!r)
		return -1;
	llm_warc_set_verbose(r, llm_log_get_level() >= LLM_LOG_DEBUG);
	struct llm_warc_record rec;
	int g, rc = 0;
	while ((g = llm_warc_next(r, &rec)) == 1) {
		x->totals[C_RECORDS]++;
		const char *type = rec.type ? rec.type : "";
		bool response = strcmp(type, "response") == 0;
		bool conversion = strcmp(type, "conversion") == 0;
		if (!(response || (conversion && x->keep_wet))) {
			x->totals[C_SKIP_TYPE]++;
			continue;
		}
		x->totals[response ? C_RESPONSE : C_CONVERSION]++;
		char media[128] = "";
		if (response && rec.block_len == 0) {
			x->totals[C_SKIP_EMPTY_PAYLOAD]++;
			continue;
		}
		if (response) {
			/* the crawler's identified payload type decides when present (as in
			 * datatrove); else the HTTP Content-Type */
			if (rec.payload_type && rec.payload_type[0]) {
				llm_http_media_type(rec.payload_type, media, sizeof(media));
				if (!ctype_wanted(x, media)) {
					x->totals[C_SKIP_CTYPE]++;
					continue;
				}
			} else {
				/* peek at the HTTP header without copying the record */
				struct llm_http h;
				struct llm_buf tmp = LLM_BUF_INIT;
				size_t hn = LLM_MIN(rec.block_len, (size_t)65536);
				llm_http_parse(rec.block, hn, &h, &tmp, 1);
				llm_buf_free(&tmp);
				if (h.content_type[0]) {
					llm_http_media_type(h.content_type, media, sizeof(media));
					if (!ctype_wanted(x, media)) {
						x->totals[C_SKIP_CTYPE]++;
						continue;
					}
				} else if (!sniff_html(h.body, (size_t)(rec.block + hn - h.body))) {
					x->totals[C_SKIP_CTYPE]++;
					continue;
				} else {
					snprintf(media, sizeof(media), "text/html");
				}
			}
		}
		struct item *it = new_item(x);
		it->kind = response ? K_HTML_RECORD : K_TEXT_RECORD;
		if (rec.id && rec.id[0])
			it->id = llm_strdup(rec.id);
		else
			it->id = llm_asprintf("%s:%llu", path, (unsigned long long)rec.offset);
		it->url = rec.target_uri ? llm_strdup(rec.target_uri) : NULL;
		it->date = rec.date ? llm_strdup(rec.date) : NULL;
		if (response)
			it->ctype = llm_strdup(media);
		it->data = llm_malloc(rec.block_len + 1);
		memcpy(it->data, rec.block, rec.block_len);
		it->data[rec.block_len] = '\0';
		it->len = rec.block_len;
		x->batch_bytes += rec.block_len;
		if ((rc = maybe_flush(x)) != 0)
			break;
	}
	if (g < 0)
		rc = -1;
	const struct llm_warc_stats *s = llm_warc_stats(r);
	add_warc_stats(x->ctx->manifest, s);
	if (warc_damaged(s) && !x->ctx->quiet)
		llm_warn("'%s': damaged WARC recovered: %llu corrupt gzip members, %llu truncated and %llu corrupt "
			 "records skipped, %llu wrong Content-Length fixed, %llu resyncs (%llu bytes skipped); "
			 "counts in the manifest (warc_*), details with --log-level debug",
			 path, (unsigned long long)s->gzip_corrupt, (unsigned long long)s->truncated,
			 (unsigned long long)s->corrupt,
			 (unsigned long long)(s->longer_than_declared + s->shorter_than_declared),
			 (unsigned long long)s->resyncs, (unsigned long long)s->junk_bytes);
	if (s->records == 0 && s->junk_bytes > 0)
		llm_warn("'%s': no WARC record found (%llu bytes read); is it a WARC file?", path,
			 (unsigned long long)s->junk_bytes);
	llm_warc_close(r);
	return rc;
}

static char *iso_mtime(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return NULL;
	struct tm tm;
	gmtime_r(&st.st_mtime, &tm);
	char b[32];
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return llm_strdup(b);
}

static int read_html_file(struct extract *x, const char *path)
{
	x->totals[C_HTML_FILES]++;
	x->totals[C_RECORDS]++;
	int64_t size = llm_file_size(path);
	if (size < 0)
		return llm_error("cannot read '%s'", path);
	if ((uint64_t)size > x->max_html) {
		x->totals[C_SKIP_TOO_LARGE]++;
		llm_warn("'%s': %lld bytes is over max_html_bytes (%zu); skipped", path, (long long)size, x->max_html);
		return 0;
	}
	char *data;
	size_t len;
	if (llm_read_file(path, &data, &len) != 0)
		return -1;
	struct item *it = new_item(x);
	it->kind = K_HTML_FILE;
	it->id = llm_strdup(path);
	it->url = llm_strdup(path);
	it->date = iso_mtime(path);
	it->data = data;
	it->len = len;
	x->batch_bytes += len;
	return maybe_flush(x);
}

static bool is_warc_input(const char *path, const char *fmt)
{
	if (strcmp(fmt, "warc") == 0)
		return true;
	if (strcmp(fmt, "html") == 0)
		return false;
	if (llm_str_ends_with(path, ".warc") || llm_str_ends_with(path, ".warc.gz") ||
	    llm_str_ends_with(path, ".arc.gz") || llm_str_ends_with(path, ".wet.gz") ||
	    llm_str_ends_with(path, ".wet") || strcmp(path, "-") == 0)
		return true;
	if (llm_str_ends_with(path, ".html") || llm_str_ends_with(path, ".htm") ||
	    llm_str_ends_with(path, ".xhtml"))
		return false;
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	unsigned char head[8];
	size_t n = fread(head, 1, sizeof(head), f);
	fclose(f);
	return llm_warc_sniff(head, n);
}

/* ------------------------------------------------------------------ */
/* stage                                                               */

static int extract_run(struct llm_ctx *ctx)
{
	struct extract x;
	memset(&x, 0, sizeof(x));
	x.ctx = ctx;
	llm_html_global_init();
	llm_html_opts_default(&x.hopts);
	x.hopts.keep_tables = llm_config_bool(&ctx->cfg, "keep_tables");
	x.hopts.keep_lists = llm_config_bool(&ctx->cfg, "keep_lists");
	x.hopts.prune_links = llm_config_bool(&ctx->cfg, "prune_links");
	x.keep_wet = llm_config_bool(&ctx->cfg, "keep_wet");
	x.max_record = (size_t)llm_config_int(&ctx->cfg, "max_record_bytes");
	x.max_html = (size_t)llm_config_int(&ctx->cfg, "max_html_bytes");
	x.min_text = (size_t)llm_config_int(&ctx->cfg, "min_text_bytes");
	x.batch = (size_t)llm_config_int(&ctx->cfg, "batch_records");
	const cJSON *ct = llm_config_get(&ctx->cfg, "content_types");
	x.n_ctypes = cJSON_GetArraySize(ct);
	x.ctypes = llm_calloc((size_t)x.n_ctypes + 1, sizeof(char *));
	int k = 0;
	for (const cJSON *e = ct ? ct->child : NULL; e; e = e->next)
		x.ctypes[k++] = e->valuestring;
	const char *fmt = llm_config_str(&ctx->cfg, "input_format");

	x.pool = llm_pool_new(ctx->threads);
	int nw = llm_pool_threads(x.pool);
	x.workers = llm_calloc((size_t)nw, sizeof(*x.workers));
	for (int i = 0; i < nw; i++)
		x.workers[i].cs = llm_charset_new();
	x.items = llm_calloc(x.batch, sizeof(*x.items));
	/* the record counts come first in the manifest, then warc_* per input */
	llm_manifest_count(ctx->manifest, "documents_in", 0);
	for (int i = 0; i < C_N; i++)
		llm_manifest_count(ctx->manifest, cnt_names[i], 0);
	x.w = llm_jsonl_writer_open(ctx->output);
	int rc = x.w ? 0 : -1;
	llm_progress_init(&x.progress, "extract", 0, 0);
	double t_start = llm_now();
	for (int i = 0; i < ctx->inputs.n && rc == 0; i++) {
		const char *p = ctx->inputs.v[i];
		rc = is_warc_input(p, fmt) ? read_warc(&x, p) : read_html_file(&x, p);
		if (rc != 0 && ctx->skip_bad && !is_warc_input(p, fmt)) {
			llm_warn("'%s': skipped (--skip-bad)", p);
			x.totals[C_SKIP_UNREADABLE]++;
			rc = 0;
		}
	}
	if (rc == 0)
		rc = flush_batch(&x);
	else
		for (size_t i = 0; i < x.n_items; i++)
			item_free(&x.items[i]);
	llm_progress_finish(&x.progress);
	/* where the wall time went: reading (and writing) run on the main thread
	 * only, so they bound the speed-up from --threads */
	cJSON *tm = cJSON_CreateObject();
	double total = llm_now() - t_start;
	cJSON_AddNumberToObject(tm, "total_seconds", total);
	cJSON_AddNumberToObject(tm, "workers_seconds", x.t_work);
	cJSON_AddNumberToObject(tm, "write_seconds", x.t_write);
	cJSON_AddNumberToObject(tm, "read_seconds", total - x.t_work - x.t_write);
	llm_manifest_set(ctx->manifest, "extract_timing", tm);
	/* documents_in (every stage's input count) is records_total here */
	llm_manifest_count(ctx->manifest, "documents_in", x.totals[C_RECORDS]);
	for (int i = 0; i < C_N; i++)
		llm_manifest_count(ctx->manifest, cnt_names[i], x.totals[i]);
	if (rc == 0 && x.w)
		rc = llm_jsonl_writer_commit(x.w);
	else if (x.w)
		llm_jsonl_writer_abort(x.w);
	if (rc == 0 && !ctx->quiet)
		llm_info("extract: %lld records, %lld documents out, %lld skipped", (long long)x.totals[C_RECORDS],
			 (long long)x.totals[C_OUT],
			 (long long)(x.totals[C_SKIP_TYPE] + x.totals[C_SKIP_CTYPE] + x.totals[C_SKIP_ENCODING] +
				     x.totals[C_SKIP_EMPTY_PAYLOAD] + x.totals[C_SKIP_TOO_LARGE] +
				     x.totals[C_SKIP_BINARY] + x.totals[C_SKIP_PARSE] + x.totals[C_SKIP_EMPTY_TEXT] +
				     x.totals[C_SKIP_UNREADABLE]));
	for (int i = 0; i < nw; i++) {
		llm_charset_free(x.workers[i].cs);
		llm_buf_free(&x.workers[i].scratch);
		llm_buf_free(&x.workers[i].utf8);
		llm_buf_free(&x.workers[i].text);
	}
	free(x.workers);
	free(x.items);
	free(x.ctypes);
	llm_pool_free(x.pool);
	return rc == 0 ? 0 : 1;
}

static const char *const extract_exts[] = {".warc", ".warc.gz", ".wet", ".wet.gz", ".html", ".htm", ".xhtml", NULL};

static const struct llm_stage extract_stage = {
	.name = "extract",
	.summary = "Extract the main text of web pages (WARC or HTML files) into JSONL(.gz) documents.",
	.usage = "[options] INPUT... -o OUTPUT.jsonl[.gz]",
	.description =
		"Inputs are WARC files (.warc, .warc.gz with one gzip member per record or one\n"
		"multi-record member; WET files), HTML files, or directories of them.  From WARCs,\n"
		"'response' records with an HTML payload (and WET 'conversion' records, as plain\n"
		"text) become documents {\"text\", \"id\" (WARC-Record-ID), \"metadata\": {\"url\",\n"
		"\"date\", \"content_type\", \"charset\"}}; other records are skipped and counted.\n"
		"The charset comes from a BOM, valid UTF-8, the HTTP header, the meta tag or\n"
		"libuchardet, and the page is converted to UTF-8 with iconv (bad bytes become\n"
		"U+FFFD).  The main text is found as described in lib/html.h.  Damaged WARCs\n"
		"(truncated, corrupt gzip members, wrong Content-Length, junk) are recovered\n"
		"record by record and the damage is counted in the manifest (warc_*); damage\n"
		"is never fatal.  With --skip-bad an unreadable HTML input file is skipped\n"
		"instead of failing the run.",
	.keys = extract_keys,
	.options = extract_options,
	.min_inputs = 1,
	.max_inputs = -1,
	.output = LLM_OUTPUT_FILE,
	.shardable = true,
	.input_exts = extract_exts,
	.run = extract_run,
};

int main(int argc, char **argv)
{
	return llm_stage_main(&extract_stage, argc, argv);
}
