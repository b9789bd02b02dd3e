/*
 * dedup_inspect.c: human-readable view of a (kept, removed) pairs file
 * written by llmake-dedup (KRP layout in dedup.h), for llmake-inspect.
 */
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "inspect.h"
#include "files.h"
#include "jsonl.h"
#include "log.h"
#include "util.h"

struct want {
	uint64_t key;
	char *id;
	char *snippet;
};

static int want_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct want *)a)->key, y = ((const struct want *)b)->key;
	return x < y ? -1 : x > y;
}

static struct want *want_find(struct want *w, size_t n, uint64_t key)
{
	struct want k = {key, NULL, NULL};
	return bsearch(&k, w, n, sizeof(*w), want_cmp);
}

/* Copies the first ~60 characters of text on one line. */
static char *snippet_of(const char *t, size_t len)
{
	struct llm_buf b = LLM_BUF_INIT;
	size_t i = 0, chars = 0;
	while (i < len && chars < 60) {
		unsigned char c = (unsigned char)t[i];
		size_t cl = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		if (i + cl > len)
			break;
		if (c == '\n' || c == '\t' || c == '\r')
			llm_buf_putc(&b, ' ');
		else
			llm_buf_append(&b, t + i, cl);
		i += cl;
		chars++;
	}
	if (i < len)
		llm_buf_puts(&b, "...");
	return llm_buf_detach(&b, NULL);
}

/* Fills ids and snippets of the wanted documents of one input file, when it
 * is still readable; silently leaves them empty otherwise. */
static void fill_file(const struct llm_dedup_file *f, struct want *w, size_t n)
{
	uint64_t lo_key = LLM_DEDUP_KEY(f->index, 0), hi_key = LLM_DEDUP_KEY((uint64_t)f->index + 1, 0);
	size_t first = 0;
	while (first < n && w[first].key < lo_key)
		first++;
	if (first == n || w[first].key >= hi_key || !llm_exists(f->path))
		return;
	struct llm_jsonl_opts o = {0};
	o.skip_bad = true;
	enum llm_log_level lv = llm_log_get_level();
	llm_log_set_level(LLM_LOG_ERROR);
	struct llm_jsonl_reader *r = llm_jsonl_open(f->path, &o);
	if (r) {
		struct llm_doc d;
		uint64_t di = 0;
		size_t j = first;
		while (j < n && w[j].key < hi_key && llm_jsonl_next(r, &d) == 1) {
			if (LLM_DEDUP_KEY(f->index, di) == w[j].key) {
				w[j].id = llm_strdup(d.id ? d.id : "");
				w[j].snippet = snippet_of(d.text, d.text_len);
				j++;
			}
			di++;
		}
		llm_jsonl_close(r);
	}
	llm_log_set_level(lv);
}

static void print_doc(FILE *out, const char *role, uint64_t key, const struct llm_dedup_files *t,
		      struct want *w, size_t nw)
{
	uint32_t fi = LLM_DEDUP_KEY_FILE(key), di = LLM_DEDUP_KEY_DOC(key);
	const char *path = fi < t->n ? t->v[fi].path : "?";
	struct want *x = want_find(w, nw, key);
	fprintf(out, "  %-7s %s doc #%u", role, path, di);
	if (x && x->id)
		fprintf(out, "  id=\"%s\"  \"%s\"", x->id, x->snippet);
	fputc('\n', out);
}

int llm_dedup_pairs_inspect_limit(const char *path, FILE *out, uint64_t limit)
{
	struct llm_dedup_reader r;
	if (llm_dedup_reader_open(&r, path, LLM_DEDUP_MAGIC_KRP, 0, NULL) != 0)
		return -1;
	void *buf;
	size_t len;
	int rc = llm_dedup_read_all(&r, &buf, &len);
	struct llm_dedup_header h = r.h;
	llm_dedup_reader_close(&r);
	if (rc != 0)
		return -1;
	struct llm_dedup_files t;
	long used = llm_dedup_files_decode(&t, buf, len);
	if (used < 0 || (len - (size_t)used) % 16 != 0) {
		free(buf);
		return llm_error("'%s': bad layout (file table, then 16-byte pairs)", path);
	}
	uint64_t np = (len - (size_t)used) / 16;
	const unsigned char *p = (const unsigned char *)buf + used;
	uint64_t show = limit && limit < np ? limit : np;
	uint64_t total_docs = 0;
	for (uint32_t i = 0; i < t.n; i++)
		total_docs += t.v[i].n_docs;
	fprintf(out, "dedup pairs file '%s'\n", path);
	fprintf(out, "  config: %s\n", h.config_desc);
	fprintf(out, "  input files: %u, documents: %llu, removed: %llu (%.2f%%)\n", t.n,
		(unsigned long long)total_docs, (unsigned long long)np,
		total_docs ? 100.0 * (double)np / (double)total_docs : 0.0);
	/* collect the keys shown, to look up ids and text openings */
	struct want *w = llm_calloc(2 * show + 1, sizeof(*w));
	size_t nw = 0;
	for (uint64_t i = 0; i < show; i++) {
		uint64_t k[2];
		memcpy(k, p + 16 * i, 16);
		w[nw++].key = k[0];
		w[nw++].key = k[1];
	}
	qsort(w, nw, sizeof(*w), want_cmp);
	size_t u = 0;
	for (size_t i = 0; i < nw; i++)
		if (u == 0 || w[i].key != w[u - 1].key)
			w[u++] = w[i];
	nw = u;
	for (uint32_t i = 0; i < t.n; i++)
		fill_file(&t.v[i], w, nw);
	for (uint64_t i = 0; i < show; i++) {
		uint64_t k[2];
		memcpy(k, p + 16 * i, 16);
		fprintf(out, "pair %llu:\n", (unsigned long long)i + 1);
		print_doc(out, "removed", k[1], &t, w, nw);
		print_doc(out, "kept", k[0], &t, w, nw);
	}
	if (show < np)
		fprintf(out, "... %llu more pairs\n", (unsigned long long)(np - show));
	for (size_t i = 0; i < nw; i++) {
		free(w[i].id);
		free(w[i].snippet);
	}
	free(w);
	llm_dedup_files_free(&t);
	free(buf);
	return 0;
}

int llm_dedup_pairs_inspect(const char *path, FILE *out)
{
	return llm_dedup_pairs_inspect_limit(path, out, 0);
}

/* ---- the llmake-inspect handler for pairs files ---- */

static bool pairs_probe(const char *path, const unsigned char *head, size_t n)
{
	(void)path;
	return n >= 8 && memcmp(head, "LLMDDKRP", 8) == 0;
}

static int pairs_inspect(const char *path, const struct llm_inspect_opts *opts, FILE *out)
{
	/* --head N shows N pairs; by default the first 20 */
	return llm_dedup_pairs_inspect_limit(path, out, opts->head > 0 ? (uint64_t)opts->head : 20);
}

const struct llm_inspect_handler llm_inspect_dedup_pairs = {"dedup-pairs", pairs_probe, pairs_inspect};
