/*
 * llmake-tokenize: byte-level BPE tokenizer stage.
 *
 *   llmake-tokenize train  DOCS... -o tokenizer.json   learn a vocabulary
 *   llmake-tokenize encode DOCS... -t TOK -o DIR       documents -> token shards
 *   llmake-tokenize ids    -t TOK [FILE]               raw text -> ids on stdout
 *   llmake-tokenize decode -t TOK [FILE]               ids -> raw bytes on stdout
 *   llmake-tokenize inspect [-t TOK] SHARD.bin...      check and summarise shards
 *
 * The library side is lib/tokenizer.h (encode/decode), lib/bpe_train.h
 * (training) and lib/shard.h (the shard format).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "log.h"
#include "shard.h"
#include "stage.h"
#include "tokenize.h"
#include "tokenizer.h"

/* ------------------------------------------------------------------ */
/* shared                                                               */

struct llm_tokenizer *tokenize_load(const struct llm_ctx *ctx)
{
	const char *path = llm_config_str(&ctx->cfg, "tokenizer");
	if (!path || !*path) {
		llm_error("no tokenizer given; hint: --tokenizer FILE (tokenizer.json or *.tiktoken)");
		return NULL;
	}
	const char *pattern = llm_config_str(&ctx->cfg, "pattern");
	if (pattern && !strcmp(pattern, "auto"))
		pattern = NULL;
	return llm_tokenizer_load(path, pattern);
}

/* Reads all of the inputs (or stdin) into one buffer. */
static int read_inputs(const struct llm_ctx *ctx, struct llm_buf *all)
{
	int n = ctx->inputs.n ? ctx->inputs.n : 1;
	for (int i = 0; i < n; i++) {
		const char *p = ctx->inputs.n ? ctx->inputs.v[i] : "-";
		struct llm_in *in = llm_in_open(p);
		if (!in)
			return -1;
		char buf[1 << 16];
		long r;
		while ((r = llm_in_read(in, buf, sizeof(buf))) > 0)
			llm_buf_append(all, buf, (size_t)r);
		llm_in_close(in);
		if (r < 0)
			return -1;
	}
	llm_buf_reserve(all, 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* ids                                                                  */

#define TOKENIZER_KEYS                                                                              \
	{"tokenizer", LLM_T_STRING, "null", "tokenizer.json (Hugging Face) or *.tiktoken rank file",  \
	 0, 0, NULL},                                                                                   \
	{"pattern", LLM_T_STRING, "\"auto\"",                                                          \
	 "split regex of a .tiktoken file: auto (from the file name), gpt2 or cl100k", 0, 0,          \
	 "auto|gpt2|cl100k"}

static const struct llm_key ids_keys[] = {
	TOKENIZER_KEYS,
	{"ordinary", LLM_T_BOOL, "false",
	 "treat special-token text such as <|endoftext|> as ordinary text (tiktoken's "
	 "encode_ordinary); by default it becomes the special id", 0, 0, NULL},
	{"count", LLM_T_BOOL, "false", "print only the number of tokens of each input (and the speed "
	 "on stderr)", 0, 0, NULL},
	{NULL},
};

static const struct llm_option tok_options[] = {
	{"tokenizer", 't', "tokenizer", "FILE", "tokenizer.json or .tiktoken file"},
	{"pattern", 0, "pattern", "NAME", "split regex for a .tiktoken file (gpt2, cl100k)"},
	{"ordinary", 0, "ordinary", NULL, "no special tokens: their text is encoded as plain text"},
	{"count", 0, "count", NULL, "print the token count instead of the ids"},
	{NULL},
};

static int ids_run(struct llm_ctx *ctx)
{
	struct llm_tokenizer *tok = tokenize_load(ctx);
	if (!tok)
		return 1;
	unsigned flags = llm_config_bool(&ctx->cfg, "ordinary") ? 0 : LLM_TOK_SPECIAL;
	bool count = llm_config_bool(&ctx->cfg, "count");
	struct llm_tokens ids = {0};
	struct llm_buf data = LLM_BUF_INIT, out = LLM_BUF_INIT;
	int rc = 0;
	/* one line of ids per input file (stdin when none) */
	int n = ctx->inputs.n ? ctx->inputs.n : 1;
	for (int f = 0; f < n && !rc; f++) {
		const char *p = ctx->inputs.n ? ctx->inputs.v[f] : "-";
		struct llm_in *in = llm_in_open(p);
		if (!in) {
			rc = 1;
			break;
		}
		char buf[1 << 16];
		long r;
		llm_buf_reset(&data);
		while ((r = llm_in_read(in, buf, sizeof(buf))) > 0)
			llm_buf_append(&data, buf, (size_t)r);
		llm_in_close(in);
		if (r < 0) {
			rc = 1;
			break;
		}
		ids.n = 0;
		double t0 = llm_now();
		llm_tokenizer_encode(tok, data.data ? data.data : "", data.len, flags, &ids);
		double dt = llm_now() - t0;
		llm_buf_reset(&out);
		if (count) {
			llm_buf_appendf(&out, "%zu", ids.n);
			llm_info("'%s': %zu bytes -> %zu tokens in %.3f s (%.2f MB/s)", p, data.len, ids.n, dt,
				 dt > 0 ? (double)data.len / dt / 1e6 : 0.0);
		}
		for (size_t i = 0; i < ids.n && !count; i++)
			llm_buf_appendf(&out, i ? " %u" : "%u", ids.ids[i]);
		llm_buf_putc(&out, '\n');
		if (fwrite(out.data, 1, out.len, stdout) != out.len) {
			llm_error_errno("cannot write the ids to stdout");
			rc = 1;
		}
	}
	if (!rc && fflush(stdout) != 0) {
		llm_error_errno("cannot write the ids to stdout");
		rc = 1;
	}
	llm_buf_free(&out);
	llm_buf_free(&data);
	llm_tokens_free(&ids);
	llm_tokenizer_free(tok);
	return rc;
}

static const struct llm_stage ids_stage = {
	.name = "ids",
	.summary = "print the token ids of raw text (stdin or FILE), space separated",
	.usage = "-t TOKENIZER [options] [FILE...]",
	.description = "Reads the raw bytes of stdin (or of each FILE), encodes them and prints the ids "
		       "separated by spaces, one line per input.  Invalid UTF-8 is kept as bytes.  "
		       "Special-token text (<|endoftext|>) becomes its id unless --ordinary.",
	.keys = ids_keys,
	.options = tok_options,
	.min_inputs = 0,
	.max_inputs = -1,
	.output = LLM_OUTPUT_NONE,
	.run = ids_run,
};

/* ------------------------------------------------------------------ */
/* decode                                                               */

static const struct llm_key decode_keys[] = {
	TOKENIZER_KEYS,
	{NULL},
};

static const struct llm_option decode_options[] = {
	{"tokenizer", 't', "tokenizer", "FILE", "tokenizer.json or .tiktoken file"},
	{"pattern", 0, "pattern", "NAME", "split regex for a .tiktoken file (gpt2, cl100k)"},
	{NULL},
};

static int decode_run(struct llm_ctx *ctx)
{
	struct llm_tokenizer *tok = tokenize_load(ctx);
	if (!tok)
		return 1;
	struct llm_buf all = LLM_BUF_INIT;
	if (read_inputs(ctx, &all)) {
		llm_tokenizer_free(tok);
		return 1;
	}
	struct llm_tokens ids = {0};
	int rc = 0;
	char *p = all.data, *end = all.data + all.len;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == ','))
			p++;
		if (p >= end)
			break;
		char *e;
		errno = 0;
		unsigned long long v = strtoull(p, &e, 10);
		if (e == p || errno || v > 0xFFFFFFFFull) {
			rc = llm_error("decode input, byte %zu: expected a token id (a decimal number), got "
				       "'%.10s'", (size_t)(p - all.data), p);
			break;
		}
		llm_tokens_push(&ids, (uint32_t)v);
		p = e;
	}
	struct llm_buf out = LLM_BUF_INIT;
	if (!rc)
		rc = llm_tokenizer_decode(tok, ids.ids, ids.n, &out);
	if (!rc && fwrite(out.data, 1, out.len, stdout) != out.len)
		rc = llm_error_errno("cannot write to stdout");
	llm_buf_free(&out);
	llm_tokens_free(&ids);
	llm_buf_free(&all);
	llm_tokenizer_free(tok);
	return rc ? 1 : 0;
}

static const struct llm_stage decode_stage = {
	.name = "decode",
	.summary = "turn token ids (stdin or FILE) back into raw bytes on stdout",
	.usage = "-t TOKENIZER [FILE...]",
	.keys = decode_keys,
	.options = decode_options,
	.min_inputs = 0,
	.max_inputs = -1,
	.output = LLM_OUTPUT_NONE,
	.run = decode_run,
};

/* ------------------------------------------------------------------ */
/* inspect                                                              */

static const struct llm_key inspect_keys[] = {
	{"tokenizer", LLM_T_STRING, "null",
	 "tokenizer to decode the sample with (default: the one in the shard directory's manifest)", 0, 0,
	 NULL},
	{"pattern", LLM_T_STRING, "\"auto\"", "split regex of a .tiktoken file", 0, 0, "auto|gpt2|cl100k"},
	{"sample", LLM_T_INT, "64", "tokens of the first document to decode", 0, 1e9, NULL},
	{NULL},
};

static const struct llm_option inspect_options[] = {
	{"tokenizer", 't', "tokenizer", "FILE", "tokenizer.json or .tiktoken file"},
	{"sample", 'n', "sample", "N", "decode the first N tokens"},
	{NULL},
};

static int inspect_run(struct llm_ctx *ctx)
{
	struct llm_tokenizer *tok = NULL;
	const char *tp = llm_config_str(&ctx->cfg, "tokenizer");
	if (tp && *tp && !(tok = tokenize_load(ctx)))
		return 1;
	int rc = 0;
	for (int i = 0; i < ctx->inputs.n && !rc; i++)
		rc = llm_shard_inspect(ctx->inputs.v[i], tok, (int)llm_config_int(&ctx->cfg, "sample"), stdout);
	llm_tokenizer_free(tok);
	return rc ? 1 : 0;
}

static const struct llm_stage inspect_stage = {
	.name = "inspect",
	.summary = "check token shards and print their header, documents, id histogram and a sample",
	.usage = "[-t TOKENIZER] SHARD.bin...",
	.keys = inspect_keys,
	.options = inspect_options,
	.min_inputs = 1,
	.max_inputs = -1,
	.output = LLM_OUTPUT_NONE,
	.run = inspect_run,
};

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	static const struct llm_stage *const subs[] = {
		&tokenize_train_stage, &tokenize_encode_stage, &ids_stage, &decode_stage, &inspect_stage, NULL,
	};
	return llm_stage_main_sub("llmake-tokenize", "byte-level BPE: train, encode to token shards, "
				  "ids, decode", subs, argc, argv);
}
