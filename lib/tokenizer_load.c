/*
 * tokenizer_load.c: loading byte-level BPE tokenizers from Hugging Face
 * tokenizer.json and from tiktoken rank files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tokenizer_impl.h"
#include "utf8.h"

/* ================================================================== */
/* helpers                                                             */

static int slurp(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return llm_error_errno("cannot open tokenizer '%s'", path);
	struct llm_buf b = LLM_BUF_INIT;
	char tmp[1 << 16];
	size_t r;
	while ((r = fread(tmp, 1, sizeof(tmp), f)) > 0)
		llm_buf_append(&b, tmp, r);
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		llm_buf_free(&b);
		return llm_error("cannot read tokenizer '%s'", path);
	}
	llm_buf_reserve(&b, 1);
	*data = llm_buf_detach(&b, len);
	return 0;
}

/* True when the text ends inside a string or with brackets left open: a
 * file cut short rather than one with a syntax error. */
static bool json_unclosed(const char *s, size_t n)
{
	long depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return in_str || depth > 0;
}

static void line_col(const char *s, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (s[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* Finishes a tokenizer: pair table built by the caller, byte ids, map. */
static void finish_common(struct llm_tokenizer *t)
{
	tok_map_build(t);
	for (int b = 0; b < 256; b++) {
		if (t->byte_id[b] != TOK_NONE)
			continue;
		uint8_t c = (uint8_t)b;
		int64_t id = tok_map_find(t, &c, 1);
		if (id >= 0)
			t->byte_id[b] = (uint32_t)id;
	}
}

static int setup_regex(struct llm_tokenizer *t, const char *re, bool literal, const char *src)
{
	t->regex = llm_strdup(re);
	int err;
	PCRE2_SIZE eoff;
	uint32_t opts = literal ? PCRE2_LITERAL : (PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF);
	t->re = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &err, &eoff, NULL);
	if (!t->re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(err, msg, sizeof(msg));
		return llm_error("'%s': pre_tokenizer Split regex does not compile at offset %zu: %s "
				 "(regex: %s)", src, (size_t)eoff, (const char *)msg, re);
	}
	pcre2_jit_compile(t->re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	t->pretok = LLM_PRETOK_REGEX;
	return 0;
}

/* ================================================================== */
/* Hugging Face tokenizer.json                                         */

/* Token text in byte-level characters -> raw bytes.  Text that is not
 * byte-level (added tokens) stays as its UTF-8. */
static void bytelevel_decode(const char *s, struct llm_buf *out)
{
	llm_buf_reset(out);
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		int l = llm_utf8_decode((const unsigned char *)s + i, n - i, &cp);
		int b = l > 0 ? llm_bytelevel_byte(cp) : -1;
		if (b < 0) {
			llm_buf_reset(out);
			llm_buf_append(out, s, n);
			return;
		}
		llm_buf_putc(out, (char)b);
		i += (size_t)l;
	}
}

static int parse_pretok(struct llm_tokenizer *t, const cJSON *pt, const char *src)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(pt, "type");
	if (!cJSON_IsString(type))
		return llm_error("'%s': pre_tokenizer has no \"type\" (expected ByteLevel or "
				 "Sequence[Split, ByteLevel])", src);
	if (!strcmp(type->valuestring, "ByteLevel")) {
		const cJSON *ur = cJSON_GetObjectItemCaseSensitive(pt, "use_regex");
		const cJSON *aps = cJSON_GetObjectItemCaseSensitive(pt, "add_prefix_space");
		t->add_prefix_space = cJSON_IsTrue(aps);
		if (ur && cJSON_IsFalse(ur)) {
			t->pretok = LLM_PRETOK_REGEX; /* no split at all: re stays NULL */
			return 0;
		}
		t->pretok = LLM_PRETOK_GPT2;
		return 0;
	}
	if (strcmp(type->valuestring, "Sequence"))
		return llm_error("'%s': unsupported pre_tokenizer type '%s' (llmake loads byte-level BPE: "
				 "ByteLevel, or Sequence[Split{Regex}, ByteLevel{use_regex: false}])",
				 src, type->valuestring);
	const cJSON *seq = cJSON_GetObjectItemCaseSensitive(pt, "pretokenizers");
	int n = cJSON_GetArraySize(seq);
	const cJSON *split = NULL, *bl = NULL;
	for (int i = 0; i < n; i++) {
		const cJSON *p = cJSON_GetArrayItem(seq, i);
		const cJSON *ty = cJSON_GetObjectItemCaseSensitive(p, "type");
		const char *tn = cJSON_IsString(ty) ? ty->valuestring : "?";
		if (!strcmp(tn, "Split") && !split && !bl)
			split = p;
		else if (!strcmp(tn, "ByteLevel") && !bl)
			bl = p;
		else
			return llm_error("'%s': unsupported pre_tokenizer Sequence item %d of type '%s' "
					 "(supported: one Split then one ByteLevel)", src, i, tn);
	}
	if (!bl)
		return llm_error("'%s': pre_tokenizer Sequence has no ByteLevel step: not a byte-level BPE "
				 "tokenizer", src);
	t->add_prefix_space = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bl, "add_prefix_space"));
	const cJSON *ur = cJSON_GetObjectItemCaseSensitive(bl, "use_regex");
	bool bl_regex = !ur || cJSON_IsTrue(ur);
	if (!split) {
		t->pretok = bl_regex ? LLM_PRETOK_GPT2 : LLM_PRETOK_REGEX;
		return 0;
	}
	if (bl_regex)
		return llm_error("'%s': a Split followed by ByteLevel{use_regex: true} (two regex passes) "
				 "is not supported", src);
	const cJSON *beh = cJSON_GetObjectItemCaseSensitive(split, "behavior");
	if (!cJSON_IsString(beh) || strcmp(beh->valuestring, "Isolated"))
		return llm_error("'%s': Split behavior '%s' is not supported (expected \"Isolated\")", src,
				 cJSON_IsString(beh) ? beh->valuestring : "?");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(split, "invert")))
		return llm_error("'%s': Split with invert: true is not supported", src);
	const cJSON *pat = cJSON_GetObjectItemCaseSensitive(split, "pattern");
	const cJSON *re = cJSON_GetObjectItemCaseSensitive(pat, "Regex");
	const cJSON *str = cJSON_GetObjectItemCaseSensitive(pat, "String");
	if (cJSON_IsString(re)) {
		static const enum llm_pretok known[] = {LLM_PRETOK_GPT2, LLM_PRETOK_LLAMA3, LLM_PRETOK_QWEN2};
		for (size_t k = 0; k < LLM_ARRAY_SIZE(known); k++)
			if (!strcmp(re->valuestring, llm_pretok_regex(known[k]))) {
				t->pretok = known[k];
				return 0;
			}
		return setup_regex(t, re->valuestring, false, src);
	}
	if (cJSON_IsString(str))
		return setup_regex(t, str->valuestring, true, src);
	return llm_error("'%s': Split has no pattern {\"Regex\": ...} or {\"String\": ...}", src);
}

static int parse_model(struct llm_tokenizer *t, const cJSON *model, const char *src)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(model, "type");
	const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
	const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
	if (cJSON_IsString(type) && strcmp(type->valuestring, "BPE"))
		return llm_error("'%s': unsupported model type '%s' (llmake loads only byte-level BPE "
				 "tokenizers: model.type \"BPE\")", src, type->valuestring);
	if (!cJSON_IsObject(vocab))
		return llm_error("'%s': model.vocab is missing or not an object {token: id}", src);
	if (!cJSON_IsArray(merges))
		return llm_error("'%s': model.merges is missing or not an array (a %s model?)", src,
				 cJSON_IsString(type) ? type->valuestring : "non-BPE");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(model, "byte_fallback")))
		return llm_error("'%s': model.byte_fallback is true (a SentencePiece-style BPE); "
				 "llmake loads byte-level BPE only", src);
	static const char *const affixes[] = {"continuing_subword_prefix", "end_of_word_suffix"};
	for (size_t i = 0; i < 2; i++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(model, affixes[i]);
		if (cJSON_IsString(a) && a->valuestring[0])
			return llm_error("'%s': model.%s \"%s\" is not supported (byte-level BPE has none)",
					 src, affixes[i], a->valuestring);
	}
	t->ignore_merges = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(model, "ignore_merges"));

	struct llm_buf b = LLM_BUF_INIT;
	const cJSON *it;
	cJSON_ArrayForEach(it, vocab) {
		if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble >= 1u << 31 ||
		    it->valuedouble != (double)(int64_t)it->valuedouble) {
			llm_buf_free(&b);
			return llm_error("'%s': model.vocab[\"%s\"] is not a non-negative integer id", src,
					 it->string);
		}
		bytelevel_decode(it->string, &b);
		tok_set(t, (uint32_t)it->valuedouble, b.data ? b.data : "", b.len);
	}
	if (!t->n_vocab) {
		llm_buf_free(&b);
		return llm_error("'%s': model.vocab is empty", src);
	}
	tok_map_build(t);

	const cJSON *unk = cJSON_GetObjectItemCaseSensitive(model, "unk_token");
	if (cJSON_IsString(unk)) {
		int64_t uid = tok_map_find(t, unk->valuestring, strlen(unk->valuestring));
		for (int c = 0; c < 256 && uid >= 0; c++) {
			uint8_t ch = (uint8_t)c;
			if (tok_map_find(t, &ch, 1) < 0)
				t->byte_id[c] = (uint32_t)uid;
		}
	}

	int nm = cJSON_GetArraySize(merges);
	tok_pairs_init(t, (size_t)nm);
	struct llm_buf a = LLM_BUF_INIT, c = LLM_BUF_INIT;
	int rc = 0;
	const cJSON *m = merges->child;
	for (int r = 0; r < nm && !rc; r++, m = m->next) {
		char *left = NULL, *right = NULL;
		if (cJSON_IsString(m)) {
			const char *sp = strchr(m->valuestring, ' ');
			if (!sp || strchr(sp + 1, ' ')) {
				rc = llm_error("'%s': model.merges[%d] \"%s\" is not two tokens separated by "
					       "one space", src, r, m->valuestring);
				break;
			}
			left = llm_strndup(m->valuestring, (size_t)(sp - m->valuestring));
			right = llm_strdup(sp + 1);
		} else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 &&
			   cJSON_IsString(cJSON_GetArrayItem(m, 0)) && cJSON_IsString(cJSON_GetArrayItem(m, 1))) {
			left = llm_strdup(cJSON_GetArrayItem(m, 0)->valuestring);
			right = llm_strdup(cJSON_GetArrayItem(m, 1)->valuestring);
		} else {
			rc = llm_error("'%s': model.merges[%d] is neither \"a b\" nor [\"a\", \"b\"]", src, r);
			break;
		}
		bytelevel_decode(left, &a);
		bytelevel_decode(right, &b);
		int64_t ia = tok_map_find(t, a.data ? a.data : "", a.len);
		int64_t ib = tok_map_find(t, b.data ? b.data : "", b.len);
		llm_buf_reset(&c);
		llm_buf_append(&c, a.data ? a.data : "", a.len);
		llm_buf_append(&c, b.data ? b.data : "", b.len);
		int64_t ic = tok_map_find(t, c.data, c.len);
		if (ia < 0 || ib < 0 || ic < 0)
			rc = llm_error("'%s': model.merges[%d] (\"%s\" \"%s\") uses a token that is not in "
				       "model.vocab (%s)", src, r, left, right,
				       ia < 0 ? "left part" : ib < 0 ? "right part" : "merged token");
		else
			tok_pairs_add(t, (uint32_t)ia, (uint32_t)ib, (uint32_t)r, (uint32_t)ic);
		free(left);
		free(right);
	}
	llm_buf_free(&a);
	llm_buf_free(&b);
	llm_buf_free(&c);
	return rc;
}

struct llm_tokenizer *llm_tokenizer_load_hf_mem(const char *json, size_t len, const char *src)
{
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!root) {
		size_t off = end ? (size_t)(end - json) : 0, line, col;
		if (off > len)
			off = len;
		line_col(json, off, &line, &col);
		if (json_unclosed(json, len))
			llm_error("'%s': tokenizer.json is truncated (JSON ends early at byte %zu, line %zu); "
				  "hint: the file may be cut off, re-download or re-train it", src, off, line);
		else
			llm_error("'%s': invalid JSON at line %zu, column %zu (byte %zu); hint: is this a "
				  "Hugging Face tokenizer.json?", src, line, col, off);
		return NULL;
	}
	struct llm_tokenizer *t = tok_new();
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
	const cJSON *pt = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer");
	const cJSON *norm = cJSON_GetObjectItemCaseSensitive(root, "normalizer");
	const cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
	int rc = 0;
	const cJSON *mtype = cJSON_GetObjectItemCaseSensitive(model, "type");
	if (!cJSON_IsObject(root) || !cJSON_IsObject(model))
		rc = llm_error("'%s': no \"model\" object: not a Hugging Face tokenizer.json", src);
	else if (cJSON_IsString(mtype) && strcmp(mtype->valuestring, "BPE"))
		rc = llm_error("'%s': unsupported model type '%s' (llmake loads only byte-level BPE "
			       "tokenizers: model.type \"BPE\")", src, mtype->valuestring);
	else if (norm && !cJSON_IsNull(norm)) {
		const cJSON *nt = cJSON_GetObjectItemCaseSensitive(norm, "type");
		if (cJSON_IsString(nt) && !strcmp(nt->valuestring, "NFC"))
			t->nfc = true;
		else
			rc = llm_error("'%s': normalizer '%s' is not supported (byte-level BPE tokenizers "
				       "have \"normalizer\": null, or NFC)", src, cJSON_IsString(nt) ? nt->valuestring : "?");
	}
	if (!rc && !cJSON_IsObject(pt))
		rc = llm_error("'%s': pre_tokenizer is missing: not a byte-level BPE tokenizer "
			       "(expected ByteLevel)", src);
	if (!rc)
		rc = parse_model(t, model, src);
	if (!rc)
		rc = parse_pretok(t, pt, src);
	if (!rc && added && !cJSON_IsArray(added))
		rc = llm_error("'%s': added_tokens is not an array", src);
	const cJSON *it;
	if (!rc)
		cJSON_ArrayForEach(it, added) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
			const cJSON *content = cJSON_GetObjectItemCaseSensitive(it, "content");
			if (!cJSON_IsNumber(id) || id->valuedouble < 0 || !cJSON_IsString(content)) {
				rc = llm_error("'%s': added_tokens entry without a numeric \"id\" and a string "
					       "\"content\"", src);
				break;
			}
			tok_add_special(t, (uint32_t)id->valuedouble, content->valuestring,
					strlen(content->valuestring));
		}
	cJSON_Delete(root);
	if (rc) {
		llm_tokenizer_free(t);
		return NULL;
	}
	finish_common(t);
	return t;
}

struct llm_tokenizer *llm_tokenizer_load_hf(const char *path)
{
	char *data;
	size_t len;
	if (slurp(path, &data, &len))
		return NULL;
	struct llm_tokenizer *t = llm_tokenizer_load_hf_mem(data, len, path);
	free(data);
	return t;
}

/* ================================================================== */
/* tiktoken rank files                                                 */

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 s[0..n) into out; -1 on a bad character or length. */
static int b64decode(const char *s, size_t n, struct llm_buf *out)
{
	llm_buf_reset(out);
	uint32_t acc = 0;
	int bits = 0;
	size_t i = 0;
	for (; i < n && s[i] != '='; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			llm_buf_putc(out, (char)((acc >> bits) & 0xFF));
		}
	}
	for (; i < n; i++)
		if (s[i] != '=')
			return -1;
	return (n % 4) ? -1 : 0;
}

struct named_special {
	const char *text;
	uint32_t id;
};

static const struct named_special gpt2_specials[] = {{"<|endoftext|>", 50256}, {NULL, 0}};
static const struct named_special cl100k_specials[] = {
	{"<|endoftext|>", 100257}, {"<|fim_prefix|>", 100258}, {"<|fim_middle|>", 100259},
	{"<|fim_suffix|>", 100260}, {"<|endofprompt|>", 100276}, {NULL, 0},
};

struct llm_tokenizer *llm_tokenizer_load_tiktoken(const char *path, const char *pattern)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	int kind = -1;
	if (pattern) {
		kind = llm_pretok_parse(pattern);
		if (kind != LLM_PRETOK_GPT2 && kind != LLM_PRETOK_CL100K) {
			llm_error("'%s': unknown tiktoken encoding '%s' (expected gpt2 or cl100k)", path, pattern);
			return NULL;
		}
	} else if (strstr(base, "cl100k")) {
		kind = LLM_PRETOK_CL100K;
	} else if (strstr(base, "gpt2") || strstr(base, "r50k") || strstr(base, "p50k")) {
		kind = LLM_PRETOK_GPT2;
	} else {
		llm_error("'%s': cannot tell the encoding from the file name; hint: name it "
			  "gpt2.tiktoken or cl100k_base.tiktoken, or give the pattern (gpt2 or cl100k)", path);
		return NULL;
	}
	char *data;
	size_t len;
	if (slurp(path, &data, &len))
		return NULL;
	struct llm_tokenizer *t = tok_new();
	t->pretok = (enum llm_pretok)kind;
	t->ignore_merges = true; /* tiktoken looks a whole piece up first */
	struct llm_buf tokb = LLM_BUF_INIT;
	size_t line = 0;
	int rc = 0;
	for (size_t i = 0; i < len && !rc;) {
		size_t e = i;
		while (e < len && data[e] != '\n')
			e++;
		line++;
		size_t le = e;
		if (le > i && data[le - 1] == '\r')
			le--;
		if (le > i) {
			const char *sp = memchr(data + i, ' ', le - i);
			char *endp = NULL;
			unsigned long long rank = 0;
			if (sp) {
				errno = 0;
				rank = strtoull(sp + 1, &endp, 10);
			}
			if (!sp || endp != data + le || errno || rank >= TOK_NONE || sp + 1 == endp ||
			    b64decode(data + i, (size_t)(sp - (data + i)), &tokb) || !tokb.len) {
				rc = llm_error("'%s': line %zu: expected \"<base64 token> <rank>\"; hint: is this "
					       "a tiktoken rank file?", path, line);
				break;
			}
			if (rank < t->n_vocab && t->tok_len[rank] != TOK_NONE) {
				rc = llm_error("'%s': line %zu: rank %llu appears twice", path, line, rank);
				break;
			}
			tok_set(t, (uint32_t)rank, tokb.data, tokb.len);
		}
		i = e + 1;
	}
	llm_buf_free(&tokb);
	free(data);
	if (!rc && !t->n_vocab)
		rc = llm_error("'%s': no tokens in the rank file", path);
	if (rc) {
		llm_tokenizer_free(t);
		return NULL;
	}
	tok_map_build(t);
	/* every split of a token into two tokens is a merge of that token's rank:
	 * exactly the merges tiktoken's byte_pair_merge can make */
	size_t guess = 0;
	for (uint32_t id = 0; id < t->n_vocab; id++)
		if (t->tok_len[id] != TOK_NONE && t->tok_len[id] > 1)
			guess += t->tok_len[id] - 1;
	tok_pairs_init(t, guess / 2 + 16);
	for (uint32_t id = 0; id < t->n_vocab; id++) {
		uint32_t n = t->tok_len[id];
		if (n == TOK_NONE || n < 2)
			continue;
		const char *p = t->blob + t->tok_off[id];
		for (uint32_t k = 1; k < n; k++) {
			int64_t a = tok_map_find(t, p, k);
			if (a < 0)
				continue;
			int64_t b = tok_map_find(t, p + k, n - k);
			if (b >= 0)
				tok_pairs_add(t, (uint32_t)a, (uint32_t)b, id, id);
		}
	}
	const struct named_special *sp = kind == LLM_PRETOK_CL100K ? cl100k_specials : gpt2_specials;
	for (; sp->text; sp++)
		tok_add_special(t, sp->id, sp->text, strlen(sp->text));
	finish_common(t);
	return t;
}

struct llm_tokenizer *llm_tokenizer_load(const char *path, const char *pattern)
{
	size_t n = strlen(path);
	if (n >= 9 && !strcmp(path + n - 9, ".tiktoken"))
		return llm_tokenizer_load_tiktoken(path, pattern);
	return llm_tokenizer_load_hf(path);
}
