/*
 * llmake-inspect: summarise any llmake artifact (JSONL documents,
 * manifests, and the formats later modules register in lib/inspect.c).
 */
#include <stdio.h>

#include "inspect.h"
#include "stage.h"

static const struct llm_key inspect_keys[] = {
	{"head", LLM_T_INT, "0", "print the first N records", 0, 1e9, NULL},
	{"json", LLM_T_BOOL, "false", "print a JSON summary instead of text", 0, 0, NULL},
	{NULL},
};

static const struct llm_option inspect_options[] = {
	{"head", 'n', "head", "N", "print the first N records"},
	{"json", 0, "json", NULL, "JSON output"},
	{NULL},
};

static int inspect_run(struct llm_ctx *ctx)
{
	struct llm_inspect_opts o = {
		.head = (int)llm_config_int(&ctx->cfg, "head"),
		.json = llm_config_bool(&ctx->cfg, "json"),
		.max_line = ctx->max_line,
	};
	int rc = 0;
	for (int i = 0; i < ctx->inputs.n; i++) {
		if (i)
			putchar('\n');
		if (llm_inspect_file(ctx->inputs.v[i], &o, stdout) != 0)
			rc = 1;
	}
	return rc;
}

static const struct llm_stage inspect_stage = {
	.name = "inspect",
	.summary = "Summarise llmake artifacts: JSONL(.gz) documents, manifests, token shards, dedup pairs, safetensors and checkpoints.",
	.usage = "[options] FILE...",
	.description = "For documents: count, sizes, text length percentiles, fields present, metadata value\n"
		       "counts (e.g. language).  For manifests: provenance, inputs, counts, timings.\n"
		       "A directory is inspected through its manifest.json.",
	.keys = inspect_keys,
	.options = inspect_options,
	.min_inputs = 1,
	.max_inputs = -1,
	.output = LLM_OUTPUT_NONE,
	.run = inspect_run,
};

int main(int argc, char **argv)
{
	return llm_stage_main(&inspect_stage, argc, argv);
}
