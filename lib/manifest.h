/*
 * manifest.h: the JSON record written beside every stage output.
 *
 * Layout (keys in this order):
 *   {"manifest_version": 1, "tool": "llmake-filter", "version": "0.1.0",
 *    "git_sha": "...", "git_dirty": false, "command": [argv...],
 *    "config": {...resolved...}, "config_hash": "16 hex",
 *    "inputs": [{"path", "size", "xxh3"}...], "outputs": [{"path", "size", "xxh3"}...],
 *    "counts": {"documents_in": N, "dropped_<reason>": N, ...},
 *    <stage sections>..., "started": "ISO-8601 UTC",
 *    "wall_seconds", "cpu_seconds", "peak_rss_bytes", "threads", "shard": "I/N"}
 * A file output X gets X.manifest.json; a directory output D gets
 * D/manifest.json (D/manifest.shard-I-of-N.json for shard I of N, so shards
 * writing into one directory keep one manifest each).  It is written atomically after the outputs, so its
 * presence means the outputs are complete.  The Hub token and other
 * secrets never enter it.
 */
#ifndef LLM_MANIFEST_H
#define LLM_MANIFEST_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"

struct llm_manifest;

struct llm_manifest *llm_manifest_new(const char *tool, int argc, char **argv);
void llm_manifest_set_config(struct llm_manifest *m, const struct llm_config *cfg);
/* Hashes the file (xxh3) and records path, size and hash.  0 or -1. */
int llm_manifest_add_input(struct llm_manifest *m, const char *path);
/* Records an input whose hash the caller computed while streaming it. */
void llm_manifest_add_input_hashed(struct llm_manifest *m, const char *path,
				   uint64_t size, uint64_t xxh3);
int llm_manifest_add_output(struct llm_manifest *m, const char *path);
/* Adds delta to counts[name] (thread-safe). */
void llm_manifest_count(struct llm_manifest *m, const char *name, int64_t delta);
int64_t llm_manifest_get_count(struct llm_manifest *m, const char *name);
/* Sets a top-level section (takes ownership of value; replaces). */
void llm_manifest_set(struct llm_manifest *m, const char *key, cJSON *value);
void llm_manifest_set_run(struct llm_manifest *m, int threads, int shard_i, int shard_n);
/* Fills timings and peak RSS, and writes path atomically.  0 or -1. */
int llm_manifest_write(struct llm_manifest *m, const char *path);
void llm_manifest_free(struct llm_manifest *m);
/* X -> "X.manifest.json", or "X/manifest.json" when X is a directory (or
 * ends in '/').  Caller frees. */
char *llm_manifest_path_for(const char *output);

#endif
