/*
 * inspect.c: dispatch of llmake-inspect to the handler of each format.
 */
#include "inspect.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "files.h"
#include "ckpt.h"
#include "shard.h"
#include "util.h"

const struct llm_inspect_handler *const llm_inspect_handlers[] = {
	&llm_inspect_manifest, /* before jsonl: a manifest is JSON too */
	&llm_inspect_shard,
	&llm_inspect_dedup_pairs,
	&llm_inspect_safetensors,
	&llm_inspect_train_state,
	&llm_inspect_jsonl,
	NULL,
};

int llm_inspect_file(const char *path, const struct llm_inspect_opts *opts, FILE *out)
{
	if (llm_is_dir(path)) {
		/* a stage output directory speaks through its manifest; a model
		 * folder (a checkpoint) through its weights */
		char *m = llm_path_join(path, "manifest.json");
		char *w = llm_path_join(path, "model.safetensors");
		int r = llm_exists(m) ? llm_inspect_file(m, opts, out)
			: llm_exists(w) ? llm_inspect_file(w, opts, out)
			: llm_error("'%s' is a directory without a manifest.json or model.safetensors; name a file in it", path);
		free(m);
		free(w);
		return r;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return llm_error_errno("cannot open '%s'", path);
	unsigned char head[4096];
	ssize_t n = read(fd, head, sizeof(head));
	close(fd);
	if (n < 0)
		return llm_error_errno("cannot read '%s'", path);
	for (size_t i = 0; llm_inspect_handlers[i]; i++)
		if (llm_inspect_handlers[i]->probe(path, head, (size_t)n))
			return llm_inspect_handlers[i]->inspect(path, opts, out);
	return llm_error("'%s': unrecognised file format (known: JSONL(.gz) documents, manifests, token shards, dedup pair files, safetensors, train_state.bin)", path);
}
