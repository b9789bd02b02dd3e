/*
 * ckpt_inspect.c: llmake-inspect handlers for the trainer's formats:
 * safetensors files (and checkpoint folders through llm_ckpt_describe) and
 * train_state.bin.  Registered by name in lib/inspect.c's handler list.
 */
#include <string.h>

#include "ckpt.h"
#include "inspect.h"
#include "safetensors.h"
#include "util.h"

static bool probe_safetensors(const char *path, const unsigned char *head, size_t n)
{
	if (llm_str_ends_with(path, ".safetensors"))
		return true;
	/* u64 header length, then the JSON header's '{' */
	return n >= 9 && head[8] == '{' && head[6] == 0 && head[7] == 0;
}

static int inspect_safetensors(const char *path, const struct llm_inspect_opts *opts, FILE *out)
{
	return llm_ckpt_describe(path, out, opts && opts->head > 0);
}

const struct llm_inspect_handler llm_inspect_safetensors = {
	.name = "safetensors",
	.probe = probe_safetensors,
	.inspect = inspect_safetensors,
};

static bool probe_state(const char *path, const unsigned char *head, size_t n)
{
	(void)path;
	return n >= 8 && !memcmp(head, "LLMTRST", 8);
}

static int inspect_state(const char *path, const struct llm_inspect_opts *opts, FILE *out)
{
	(void)opts;
	return llm_ckpt_describe_state(path, out);
}

const struct llm_inspect_handler llm_inspect_train_state = {
	.name = "train_state",
	.probe = probe_state,
	.inspect = inspect_state,
};
