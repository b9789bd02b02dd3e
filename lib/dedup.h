/*
 * dedup.h: the intermediate files of llmake-dedup and the union-find used by
 * its cluster phase.
 *
 * Every intermediate file starts with a 128-byte header (little-endian):
 *
 *   off size field
 *     0    8 magic          "LLMDDSIG" signatures of one bucket of one shard
 *                           "LLMDDDOC" table of input files (doc counts)
 *                           "LLMDDPAR" duplicate pairs of one bucket
 *                           "LLMDDREM" sorted keys of the documents to remove
 *                           "LLMDDKRP" (kept key, removed key) pairs + file table
 *     8    4 version        LLM_DEDUP_FILE_VERSION
 *    12    4 aux            bucket index (SIG, PAR); DOC: input files in the
 *                           whole run (all shards); else 0
 *    16    8 config_hash    llm_minhash_cfg_hash() of the run that wrote it
 *    24    8 n_records      fixed-size records in the payload
 *    32    4 record_size    bytes per record (0: variable layout)
 *    36    4 flags          0
 *    40    8 payload_bytes  bytes after the header
 *    48    8 payload_xxh3   XXH3-64 of the payload
 *    56   64 config_desc    llm_minhash_cfg_describe(), NUL padded
 *   120    8 header_xxh3    XXH3-64 of bytes 0..119
 *
 * Readers check, before using anything: the magic and version, the header
 * checksum, the config hash against their own, and that the file is exactly
 * 128 + payload_bytes long (truncation); they verify the payload checksum as
 * they stream and fail at the end of the file on a mismatch, before any
 * output is committed, so a corrupt file never yields silently wrong
 * clusters.
 *
 * A document is named by a 64-bit key: (global file index << 32) | index of
 * the document in that file, where the global file index is the file's
 * position in the sorted, expanded input list before --shard selection.
 * Keys do not depend on the shard count, so neither does any output.
 *
 * Payloads:
 *   SIG  n_records x {u64 hash[hashes_per_bucket]; u64 key}, sorted by the
 *        hashes then the key (the order datatrove's priority queue uses).
 *   DOC  file table: u32 n_files, then per file {u32 file_index; u32 flags;
 *        u64 n_docs; u64 n_bytes; u32 path_len; path bytes}, by file_index.
 *   PAR  n_records x {u64 key_a; u64 key_b}: for each run of equal bucket
 *        signatures, (previous, current) in sorted order, as datatrove.
 *   REM  n_records x u64 key, ascending.
 *   KRP  file table (as DOC) then n_records x {u64 kept; u64 removed},
 *        ascending by removed.
 */
#ifndef LLM_DEDUP_H
#define LLM_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define LLM_DEDUP_FILE_VERSION 1
#define LLM_DEDUP_HEADER_SIZE 128

#define LLM_DEDUP_MAGIC_SIG "LLMDDSIG"
#define LLM_DEDUP_MAGIC_DOC "LLMDDDOC"
#define LLM_DEDUP_MAGIC_PAR "LLMDDPAR"
#define LLM_DEDUP_MAGIC_REM "LLMDDREM"
#define LLM_DEDUP_MAGIC_KRP "LLMDDKRP"

#define LLM_DEDUP_KEY(file, doc) (((uint64_t)(file) << 32) | (uint32_t)(doc))
#define LLM_DEDUP_KEY_FILE(k) ((uint32_t)((k) >> 32))
#define LLM_DEDUP_KEY_DOC(k) ((uint32_t)(k))

struct llm_dedup_header {
	char magic[8];
	uint32_t version;
	uint32_t aux;
	uint64_t config_hash;
	uint64_t n_records;
	uint32_t record_size;
	uint32_t flags;
	uint64_t payload_bytes;
	uint64_t payload_xxh3;
	char config_desc[64];
};

/* ---- writing -------------------------------------------------------------- */

struct llm_dedup_writer;

/* Opens path atomically (nothing appears until commit) with the header to
 * fill in; payload_bytes, payload_xxh3 and n_records are computed. */
struct llm_dedup_writer *llm_dedup_writer_open(const char *path, const char *magic, uint32_t aux,
					       uint64_t config_hash, const char *config_desc,
					       uint32_t record_size);
int llm_dedup_write(struct llm_dedup_writer *w, const void *data, size_t n);
/* Counts n records (for payloads written piecewise). */
void llm_dedup_writer_add_records(struct llm_dedup_writer *w, uint64_t n);
/* Writes the final header, fsyncs and renames.  0 or -1 (printed). */
int llm_dedup_writer_commit(struct llm_dedup_writer *w);
void llm_dedup_writer_abort(struct llm_dedup_writer *w);

/* ---- reading -------------------------------------------------------------- */

struct llm_dedup_reader {
	char *path;
	FILE *fp;
	struct llm_dedup_header h;
	uint64_t left;       /* payload bytes not yet read */
	void *hash_state;    /* XXH3 streaming state */
	bool verified;
};

/* Opens path and checks magic, version, header checksum, size and (when
 * config_hash != 0) the config hash.  want_desc names the expected config in
 * the mismatch message.  0 or -1 with a message naming the file. */
int llm_dedup_reader_open(struct llm_dedup_reader *r, const char *path, const char *magic,
			  uint64_t config_hash, const char *want_desc);
/* Reads exactly n payload bytes.  Returns 1, 0 at the end of the payload
 * (after verifying its checksum), -1 on error (short read, checksum). */
int llm_dedup_read(struct llm_dedup_reader *r, void *buf, size_t n);
/* Reads the rest of the payload (verifying it) into a malloc'd buffer. */
int llm_dedup_read_all(struct llm_dedup_reader *r, void **buf, size_t *n);
/* Verifies the checksum of whatever is left of the payload.  0 or -1. */
int llm_dedup_reader_finish(struct llm_dedup_reader *r);
void llm_dedup_reader_close(struct llm_dedup_reader *r);

/* ---- file tables ---------------------------------------------------------- */

struct llm_dedup_file {
	uint32_t index;
	uint32_t flags;
	uint64_t n_docs;
	uint64_t n_bytes;
	char *path;
};

struct llm_dedup_files {
	struct llm_dedup_file *v;
	uint32_t n, cap;
};

void llm_dedup_files_add(struct llm_dedup_files *t, uint32_t index, uint64_t n_docs,
			 uint64_t n_bytes, const char *path);
void llm_dedup_files_free(struct llm_dedup_files *t);
/* Sorts by index; fails (printed, naming where) on a repeated index, and
 * when complete is set, on any index missing from 0..n-1. */
int llm_dedup_files_check(struct llm_dedup_files *t, bool complete, const char *where);
/* Serialises into / parses from the DOC payload layout. */
void llm_dedup_files_encode(const struct llm_dedup_files *t, char **buf, size_t *n);
/* Parses from buf; returns bytes consumed or -1 (bad layout). */
long llm_dedup_files_decode(struct llm_dedup_files *t, const char *buf, size_t n);
/* Hash of the table (indices, counts, sizes, paths) for consistency checks. */
uint64_t llm_dedup_files_hash(const struct llm_dedup_files *t);
/* Writes / reads a DOC file; total (the header's aux field) is the number
 * of input files of the whole run, over all shards. */
int llm_dedup_files_write(const struct llm_dedup_files *t, uint32_t total, const char *path,
			  uint64_t config_hash, const char *config_desc);
int llm_dedup_files_read(struct llm_dedup_files *t, uint32_t *total, const char *path,
			 uint64_t config_hash, const char *want_desc);

/* ---- union-find over dense document numbers ------------------------------- */

/* Union by size with path halving: 8 bytes per document (u32 parent + u32
 * size), so at most 2^32 - 1 documents.  On equal sizes the root of the
 * first argument stays root, the rule datatrove's MinhashDedupCluster uses;
 * with union by size the kept document of each cluster is datatrove's. */
struct llm_uf {
	uint32_t *parent;
	uint32_t *size;
	uint64_t n;
};
int llm_uf_init(struct llm_uf *u, uint64_t n); /* -1 if n >= 2^32 (printed) */
void llm_uf_free(struct llm_uf *u);
static inline uint32_t llm_uf_find(struct llm_uf *u, uint32_t x)
{
	uint32_t *p = u->parent;
	while (p[x] != x) {
		p[x] = p[p[x]];
		x = p[x];
	}
	return x;
}
/* Returns true when a and b were in different sets. */
bool llm_uf_union(struct llm_uf *u, uint32_t a, uint32_t b);

/* ---- inspection ----------------------------------------------------------- */

/* Prints a KRP file (kept id, removed id pairs) for humans: a summary, then
 * one line per removed document naming the kept document of its cluster
 * (file, line number, and the documents' ids and text openings when the
 * input files are still readable).  limit 0 = all pairs.  0 or -1. */
int llm_dedup_pairs_inspect(const char *path, FILE *out);
int llm_dedup_pairs_inspect_limit(const char *path, FILE *out, uint64_t limit);

#endif
