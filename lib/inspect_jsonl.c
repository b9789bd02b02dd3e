/*
 * inspect_jsonl.c: llmake-inspect for JSONL(.gz) document files: counts,
 * sizes, text length percentiles, fields present, metadata value counts.
 * Memory is bounded: lengths go into a log-scale histogram and each
 * metadata key tracks at most MAX_VALUES distinct values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "files.h"
#include "inspect.h"
#include "jsonl.h"
#include "util.h"

enum { SUB = 32, N_BUCKETS = 64 * SUB, MAX_VALUES = 64, MAX_FIELDS = 128 };

struct value_count {
	char *value;
	uint64_t n;
};

struct field {
	char *name;
	uint64_t present;
	/* string-like values (strings, bools, integers) */
	struct value_count values[MAX_VALUES];
	int n_values;
	bool overflow; /* more distinct values than MAX_VALUES */
	/* numeric values */
	uint64_t n_num;
	double sum, min, max;
};

struct stats {
	uint64_t docs, text_bytes, min_len, max_len;
	uint64_t hist[N_BUCKETS + 1];
	struct field top[MAX_FIELDS], meta[MAX_FIELDS];
	int n_top, n_meta;
};

static int bucket_of(uint64_t len)
{
	if (len == 0)
		return 0;
	double b = log2((double)len) * SUB + 1;
	return b >= N_BUCKETS ? N_BUCKETS : (int)b;
}

static uint64_t bucket_value(int b)
{
	if (b == 0)
		return 0;
	return (uint64_t)llround(exp2(((double)b - 1 + 0.5) / SUB));
}

static struct field *field_get(struct field *fs, int *n, const char *name)
{
	for (int i = 0; i < *n; i++)
		if (strcmp(fs[i].name, name) == 0)
			return &fs[i];
	if (*n == MAX_FIELDS)
		return NULL;
	struct field *f = &fs[(*n)++];
	memset(f, 0, sizeof(*f));
	f->name = llm_strdup(name);
	f->min = INFINITY;
	f->max = -INFINITY;
	return f;
}

static void field_add_value(struct field *f, const cJSON *v)
{
	f->present++;
	char buf[64];
	const char *s = NULL;
	if (cJSON_IsString(v))
		s = v->valuestring;
	else if (cJSON_IsBool(v))
		s = cJSON_IsTrue(v) ? "true" : "false";
	if (cJSON_IsNumber(v)) {
		f->n_num++;
		f->sum += v->valuedouble;
		if (v->valuedouble < f->min)
			f->min = v->valuedouble;
		if (v->valuedouble > f->max)
			f->max = v->valuedouble;
		if (v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 1e15) {
			snprintf(buf, sizeof(buf), "%.0f", v->valuedouble);
			s = buf;
		}
	}
	if (!s || f->overflow)
		return;
	for (int i = 0; i < f->n_values; i++)
		if (strcmp(f->values[i].value, s) == 0) {
			f->values[i].n++;
			return;
		}
	if (f->n_values == MAX_VALUES) {
		f->overflow = true;
		return;
	}
	f->values[f->n_values].value = llm_strndup(s, LLM_MIN(strlen(s), 200));
	f->values[f->n_values++].n = 1;
}

static uint64_t percentile(const struct stats *st, double q)
{
	uint64_t target = (uint64_t)ceil(q * (double)st->docs);
	if (target == 0)
		target = 1;
	uint64_t acc = 0;
	for (int b = 0; b <= N_BUCKETS; b++) {
		acc += st->hist[b];
		if (acc >= target) {
			uint64_t v = bucket_value(b);
			return LLM_MAX(LLM_MIN(v, st->max_len), st->min_len);
		}
	}
	return st->max_len;
}

static int cmp_vc(const void *a, const void *b)
{
	const struct value_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->value, y->value);
}

static void print_head(const struct llm_doc *d, FILE *out)
{
	fprintf(out, "--- id %s (line %llu, %zu bytes)\n", d->id, (unsigned long long)d->line, d->text_len);
	size_t n = LLM_MIN(d->text_len, 300);
	for (size_t i = 0; i < n; i++) {
		char c = d->text[i];
		if (c == '\n')
			fputs("\\n", out);
		else
			fputc(c, out);
	}
	fputs(d->text_len > n ? "...\n" : "\n", out);
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(d->json, "metadata");
	if (md) {
		char *s = cJSON_PrintUnformatted(md);
		fprintf(out, "    metadata %.400s\n", s);
		cJSON_free(s);
	}
}

static cJSON *fields_json(struct field *fs, int n, uint64_t docs)
{
	cJSON *o = cJSON_CreateObject();
	for (int i = 0; i < n; i++) {
		struct field *f = &fs[i];
		cJSON *j = cJSON_AddObjectToObject(o, f->name);
		cJSON_AddNumberToObject(j, "present", (double)f->present);
		cJSON_AddNumberToObject(j, "share", docs ? (double)f->present / (double)docs : 0);
		if (f->n_num) {
			cJSON_AddNumberToObject(j, "mean", f->sum / (double)f->n_num);
			cJSON_AddNumberToObject(j, "min", f->min);
			cJSON_AddNumberToObject(j, "max", f->max);
		}
		if (f->n_values && !f->overflow) {
			qsort(f->values, (size_t)f->n_values, sizeof(f->values[0]), cmp_vc);
			cJSON *v = cJSON_AddObjectToObject(j, "values");
			for (int k = 0; k < f->n_values; k++)
				cJSON_AddNumberToObject(v, f->values[k].value, (double)f->values[k].n);
		} else if (f->overflow) {
			cJSON_AddBoolToObject(j, "many_distinct", true);
		}
	}
	return o;
}

static void print_fields(const char *title, struct field *fs, int n, uint64_t docs, FILE *out)
{
	if (!n)
		return;
	fprintf(out, "%s:\n", title);
	for (int i = 0; i < n; i++) {
		struct field *f = &fs[i];
		fprintf(out, "  %-24s %10llu docs (%5.1f%%)", f->name, (unsigned long long)f->present,
			docs ? 100.0 * (double)f->present / (double)docs : 0.0);
		if (f->n_num && (f->overflow || !f->n_values || f->n_values > 10))
			fprintf(out, "  mean %.4g min %.4g max %.4g", f->sum / (double)f->n_num, f->min, f->max);
		fputc('\n', out);
		if (f->overflow || f->n_values == 0 || f->n_values == (int)f->present)
			continue; /* all distinct (ids, urls): no table */
		qsort(f->values, (size_t)f->n_values, sizeof(f->values[0]), cmp_vc);
		for (int k = 0; k < f->n_values && k < 10; k++)
			fprintf(out, "      %-30.30s %10llu (%5.1f%%)\n", f->values[k].value,
				(unsigned long long)f->values[k].n, 100.0 * (double)f->values[k].n / (double)f->present);
		if (f->n_values > 10)
			fprintf(out, "      ... %d more values\n", f->n_values - 10);
	}
}

static void free_fields(struct field *fs, int n)
{
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < fs[i].n_values; k++)
			free(fs[i].values[k].value);
		free(fs[i].name);
	}
}

static int jsonl_inspect(const char *path, const struct llm_inspect_opts *opts, FILE *out)
{
	struct llm_jsonl_opts jo = {.max_line = opts->max_line, .skip_bad = true};
	struct llm_jsonl_reader *r = llm_jsonl_open(path, &jo);
	if (!r)
		return -1;
	struct stats *st = llm_calloc(1, sizeof(*st));
	st->min_len = UINT64_MAX;
	struct llm_doc d;
	int g;
	while ((g = llm_jsonl_next(r, &d)) == 1) {
		if ((int)st->docs < opts->head && !opts->json)
			print_head(&d, out);
		st->docs++;
		st->text_bytes += d.text_len;
		st->min_len = LLM_MIN(st->min_len, d.text_len);
		st->max_len = LLM_MAX(st->max_len, d.text_len);
		st->hist[bucket_of(d.text_len)]++;
		for (const cJSON *m = d.json->child; m; m = m->next) {
			struct field *f = field_get(st->top, &st->n_top, m->string);
			if (f)
				f->present++;
			if (strcmp(m->string, "metadata") == 0 && cJSON_IsObject(m))
				for (const cJSON *k = m->child; k; k = k->next) {
					struct field *mf = field_get(st->meta, &st->n_meta, k->string);
					if (mf)
						field_add_value(mf, k);
				}
		}
	}
	uint64_t bad = llm_jsonl_bad(r), bytes = llm_jsonl_bytes(r);
	llm_jsonl_close(r);
	if (g < 0) {
		free_fields(st->top, st->n_top);
		free_fields(st->meta, st->n_meta);
		free(st);
		return -1;
	}
	if (st->docs == 0)
		st->min_len = 0;
	int64_t fsize = llm_file_size(path);
	if (opts->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "path", path);
		cJSON_AddStringToObject(j, "kind", "jsonl");
		cJSON_AddNumberToObject(j, "documents", (double)st->docs);
		cJSON_AddNumberToObject(j, "bad_records", (double)bad);
		cJSON_AddNumberToObject(j, "file_bytes", (double)fsize);
		cJSON_AddNumberToObject(j, "uncompressed_bytes", (double)(bytes ? bytes - 1 : 0));
		cJSON_AddNumberToObject(j, "text_bytes", (double)st->text_bytes);
		cJSON *p = cJSON_AddObjectToObject(j, "text_length");
		cJSON_AddNumberToObject(p, "min", (double)st->min_len);
		cJSON_AddNumberToObject(p, "p10", (double)percentile(st, 0.10));
		cJSON_AddNumberToObject(p, "p50", (double)percentile(st, 0.50));
		cJSON_AddNumberToObject(p, "p90", (double)percentile(st, 0.90));
		cJSON_AddNumberToObject(p, "p99", (double)percentile(st, 0.99));
		cJSON_AddNumberToObject(p, "max", (double)st->max_len);
		cJSON_AddItemToObject(j, "fields", fields_json(st->top, st->n_top, st->docs));
		cJSON_AddItemToObject(j, "metadata", fields_json(st->meta, st->n_meta, st->docs));
		char *s = cJSON_Print(j);
		fprintf(out, "%s\n", s);
		cJSON_free(s);
		cJSON_Delete(j);
	} else {
		char b1[16], b2[16];
		fprintf(out, "%s: JSONL documents\n", path);
		fprintf(out, "  documents     %llu%s\n", (unsigned long long)st->docs, bad ? "" : "");
		if (bad)
			fprintf(out, "  bad records   %llu (skipped; see warnings above)\n", (unsigned long long)bad);
		fprintf(out, "  file size     %s\n", llm_fmt_bytes((uint64_t)LLM_MAX(fsize, 0), b1));
		fprintf(out, "  text bytes    %s (%llu)\n", llm_fmt_bytes(st->text_bytes, b2),
			(unsigned long long)st->text_bytes);
		fprintf(out, "  text length   min %llu  p10 ~%llu  p50 ~%llu  p90 ~%llu  p99 ~%llu  max %llu\n",
			(unsigned long long)st->min_len, (unsigned long long)percentile(st, 0.10),
			(unsigned long long)percentile(st, 0.50), (unsigned long long)percentile(st, 0.90),
			(unsigned long long)percentile(st, 0.99), (unsigned long long)st->max_len);
		print_fields("fields", st->top, st->n_top, st->docs, out);
		print_fields("metadata", st->meta, st->n_meta, st->docs, out);
	}
	free_fields(st->top, st->n_top);
	free_fields(st->meta, st->n_meta);
	free(st);
	return 0;
}

static bool jsonl_probe(const char *path, const unsigned char *head, size_t n)
{
	if (llm_str_ends_with(path, ".jsonl") || llm_str_ends_with(path, ".jsonl.gz") ||
	    llm_str_ends_with(path, ".json.gz"))
		return true;
	/* an unnamed file whose first byte is '{' and which has several lines */
	return n > 0 && head[0] == '{' && memchr(head, '\n', n) != NULL;
}

const struct llm_inspect_handler llm_inspect_jsonl = {"jsonl", jsonl_probe, jsonl_inspect};
