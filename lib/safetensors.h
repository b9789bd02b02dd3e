/*
 * safetensors.h: reading and writing Hugging Face safetensors files.
 *
 * Layout: u64 little-endian N, then N bytes of JSON
 *   {"NAME": {"dtype": "F32", "shape": [d0, d1], "data_offsets": [begin, end]},
 *    ..., "__metadata__": {"key": "string", ...}}
 * (space-padded so the data starts 8-byte aligned), then the data buffer,
 * which the tensors must cover exactly with no holes or overlaps.  Offsets
 * are relative to the start of the data buffer; tensors are row-major,
 * little-endian.
 *
 * The reader maps the file and validates all of the above (an error names
 * the file, the tensor and what was wrong); it converts F32, F16 and BF16
 * to fp32 on request.  The writer writes F32 through an atomic temp file.
 */
#ifndef LLM_SAFETENSORS_H
#define LLM_SAFETENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

enum llm_st_dtype {
	LLM_ST_F32,
	LLM_ST_F16,
	LLM_ST_BF16,
	LLM_ST_F64,
	LLM_ST_I8,
	LLM_ST_U8,
	LLM_ST_I16,
	LLM_ST_I32,
	LLM_ST_I64,
	LLM_ST_BOOL,
};

#define LLM_ST_MAX_DIMS 8

struct llm_st_tensor {
	char *name;
	enum llm_st_dtype dtype;
	int ndim;
	int64_t shape[LLM_ST_MAX_DIMS];
	uint64_t begin, end; /* byte range in the data buffer */
	uint64_t numel;
};

struct llm_safetensors {
	char *path;
	int n;
	struct llm_st_tensor *t; /* in file (data offset) order */
	cJSON *metadata;         /* "__metadata__" object or NULL (owned) */
	const uint8_t *data;     /* data buffer (mapped) */
	uint64_t data_len;
	uint64_t header_len;
	void *map;
	size_t map_len;
};

/* Opens and validates path.  Returns 0, or -1 (printed, naming the file). */
int llm_safetensors_open(struct llm_safetensors *st, const char *path);
void llm_safetensors_close(struct llm_safetensors *st);
const struct llm_st_tensor *llm_safetensors_find(const struct llm_safetensors *st, const char *name);
/* Converts a tensor to fp32 into out (numel floats).  0 or -1 (unsupported dtype). */
int llm_safetensors_read_f32(const struct llm_safetensors *st, const struct llm_st_tensor *t,
			     float *out);
const char *llm_st_dtype_name(enum llm_st_dtype d);
size_t llm_st_dtype_size(enum llm_st_dtype d);

/* One fp32 tensor to write. */
struct llm_st_entry {
	const char *name;
	int ndim;
	int64_t shape[LLM_ST_MAX_DIMS];
	const float *data;
};

/* Writes n F32 tensors (in the given order) and string metadata (an object
 * of strings, or NULL) to path atomically.  0, or -1 (printed; nothing is
 * left at path, an existing file there is untouched). */
int llm_safetensors_write(const char *path, const struct llm_st_entry *e, int n,
			  const cJSON *metadata);

/* Prints a summary of one safetensors file: tensor count, parameters per
 * dtype, metadata, and each tensor's name, dtype and shape (all when
 * verbose, else the first and last few).  For checkpoint folders see
 * llm_ckpt_describe() in ckpt.h.  Returns 0 or -1 (printed). */
int llm_safetensors_describe(const char *path, FILE *fp, bool verbose);

#endif
