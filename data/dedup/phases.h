/*
 * phases.h: the phases of llmake-dedup, callable one by one
 * (sub-commands) or chained in one process (llmake-dedup minhash).
 */
#ifndef LLMAKE_DEDUP_STAGE_H
#define LLMAKE_DEDUP_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "dedup.h"
#include "manifest.h"
#include "minhash.h"
#include "stage.h"

/* What every phase needs besides its own arguments. */
struct dd_run {
	struct llm_minhash mh;
	uint64_t cfg_hash;
	char cfg_desc[64];
	int threads;
	bool skip_bad;
	size_t max_line;
	struct llm_manifest *manifest; /* counts go here */
};

/* Reads the minhash.* and norm.* keys of cfg into r (and draws the
 * permutations).  0 or -1. */
int dd_run_init(struct dd_run *r, const struct llm_ctx *ctx);
void dd_run_free(struct dd_run *r);

/* signatures: files[i] has global index first + i * step, of total files
 * in all shards (recorded in docs.bin so missing shards are noticed). */
int dd_signatures(struct dd_run *r, char *const *files, int n_files, uint32_t first, uint32_t step,
		  uint32_t total, const char *outdir);
/* buckets: sig_inputs are files found under the signature directories. */
int dd_buckets(struct dd_run *r, char *const *inputs, int n_inputs, int shard_i, int shard_n,
	       const char *outdir);
/* cluster: pair_inputs are files under the pair directories; writes
 * outdir/remove.bin, outdir/docs.bin and, with pairs_path, the KRP file. */
int dd_cluster(struct dd_run *r, char *const *inputs, int n_inputs, bool keep_first,
	       const char *outdir, const char *pairs_path);

/* How filter names and compresses outputs. */
enum dd_compress { DD_COMPRESS_AUTO, DD_COMPRESS_GZIP, DD_COMPRESS_NONE };
enum dd_compress dd_compress_parse(const char *s);

/* filter: keeps the documents of files whose keys are not in removed
 * (ascending).  table, when given, is checked against the inputs. */
int dd_filter(struct dd_run *r, char *const *files, int n_files, uint32_t first, uint32_t step,
	      const uint64_t *removed, uint64_t n_removed, const struct llm_dedup_files *table,
	      const char *outdir, enum dd_compress comp, struct llm_manifest *outputs_to);
/* Loads outdir-of-cluster/remove.bin and docs.bin. */
int dd_load_removal(struct dd_run *r, const char *path, uint64_t **keys, uint64_t *n,
		    struct llm_dedup_files *table);

/* Output path for an input file in outdir (caller frees). */
char *dd_output_path(const char *outdir, const char *input, enum dd_compress comp);
int dd_check_output_names(char *const *files, int n, enum dd_compress comp);

#endif
