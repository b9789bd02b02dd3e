/*
 * io.h: buffered byte streams over plain or gzip files.
 *
 * llm_in reads a file through zlib, so plain files, single-member and
 * multi-member gzip (one member per record, as in WARC) all read the same.
 * A truncated or corrupt gzip stream is an error naming the file and the
 * compressed byte offset, never a silent short read.
 *
 * llm_out writes through an atomic temp file (see atomic.h): nothing
 * appears at the final path until llm_out_commit() succeeds.  Output whose
 * path ends in ".gz" is gzip-compressed.
 */
#ifndef LLM_IO_H
#define LLM_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct llm_in;

/* Opens path for reading ("-" is stdin).  Returns NULL on error (printed). */
struct llm_in *llm_in_open(const char *path);
/* Reads up to n bytes; returns bytes read, 0 at end, -1 on error (printed). */
long llm_in_read(struct llm_in *in, void *buf, size_t n);
/* Reads one line (without its '\n') into line (replacing its contents).
 * Returns 1 for a line, 0 at end of file, -1 on a read/decompression error
 * (printed, naming the file and offset), or -2 when the line is longer than
 * max_len: then the whole line has been consumed and discarded, nothing is
 * printed, and the caller reports it (llm_in_line() names it) and may go on. */
int llm_in_getline(struct llm_in *in, struct llm_buf *line, size_t max_len);
const char *llm_in_path(const struct llm_in *in);
/* 1-based number of the line last returned by llm_in_getline. */
uint64_t llm_in_line(const struct llm_in *in);
/* Offset of the start of the last line in the uncompressed stream. */
uint64_t llm_in_line_offset(const struct llm_in *in);
/* Offset reached in the file itself (compressed bytes for gzip). */
uint64_t llm_in_raw_offset(const struct llm_in *in);
bool llm_in_is_gzip(const struct llm_in *in);
void llm_in_close(struct llm_in *in);

struct llm_out;

/* Opens path for atomic writing; gzip when the name ends in ".gz"
 * (level 0..9, -1 = default 6; written as independent 2 MiB gzip members,
 * compressed in parallel, byte-identical for any thread count).
 * Returns NULL on error (printed). */
struct llm_out *llm_out_open(const char *path, int gzip_level);
int llm_out_write(struct llm_out *out, const void *data, size_t n);
int llm_out_puts(struct llm_out *out, const char *s);
/* Uncompressed bytes written so far. */
uint64_t llm_out_bytes(const struct llm_out *out);
/* Finishes the stream, fsyncs and renames it into place; frees out.
 * Returns 0, or -1 (printed) after removing the temp file. */
int llm_out_commit(struct llm_out *out);
/* Removes the temp file and frees out. */
void llm_out_abort(struct llm_out *out);
/* Threads used to compress gzip outputs opened afterwards (set from
 * --threads by llm_stage_main). */
void llm_io_set_threads(int n);

#endif
