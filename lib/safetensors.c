/*
 * safetensors.c: validated, mapped safetensors reader; atomic F32 writer;
 * a human summary for llmake-inspect.
 */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "util.h"

static const struct {
	const char *name;
	enum llm_st_dtype d;
	size_t size;
} st_dtypes[] = {
	{"F32", LLM_ST_F32, 4}, {"F16", LLM_ST_F16, 2}, {"BF16", LLM_ST_BF16, 2},
	{"F64", LLM_ST_F64, 8}, {"I8", LLM_ST_I8, 1},   {"U8", LLM_ST_U8, 1},
	{"I16", LLM_ST_I16, 2}, {"I32", LLM_ST_I32, 4}, {"I64", LLM_ST_I64, 8},
	{"BOOL", LLM_ST_BOOL, 1},
};

const char *llm_st_dtype_name(enum llm_st_dtype d)
{
	for (size_t i = 0; i < LLM_ARRAY_SIZE(st_dtypes); i++)
		if (st_dtypes[i].d == d)
			return st_dtypes[i].name;
	return "?";
}

size_t llm_st_dtype_size(enum llm_st_dtype d)
{
	for (size_t i = 0; i < LLM_ARRAY_SIZE(st_dtypes); i++)
		if (st_dtypes[i].d == d)
			return st_dtypes[i].size;
	return 0;
}

static int tensor_cmp(const void *a, const void *b)
{
	const struct llm_st_tensor *x = a, *y = b;
	return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : 0;
}

/* ----------------------------------------------------------------------------
 * reader */

static int st_fail(struct llm_safetensors *st, int rc)
{
	llm_safetensors_close(st);
	return rc;
}

int llm_safetensors_open(struct llm_safetensors *st, const char *path)
{
	memset(st, 0, sizeof(*st));
	st->path = llm_strdup(path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return st_fail(st, llm_error_errno("cannot open safetensors file '%s'", path));
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		close(fd);
		return st_fail(st, llm_error_errno("cannot stat '%s'", path));
	}
	size_t size = (size_t)sb.st_size;
	if (size < 8) {
		close(fd);
		return st_fail(st, llm_error("'%s': %zu bytes is too short for a safetensors file (needs an 8-byte header length)",
					     path, size));
	}
	void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return st_fail(st, llm_error_errno("cannot map '%s'", path));
	st->map = map;
	st->map_len = size;
	const uint8_t *p = map;
	uint64_t n = 0;
	for (int i = 0; i < 8; i++)
		n |= (uint64_t)p[i] << (8 * i);
	if (n > size - 8 || n > ((uint64_t)100 << 20))
		return st_fail(st, llm_error("'%s' byte 0: header length %" PRIu64
					     " exceeds the file (%zu bytes); not a safetensors file or truncated",
					     path, n, size));
	st->header_len = n;
	st->data = p + 8 + n;
	st->data_len = size - 8 - n;
	cJSON *root = cJSON_ParseWithLength((const char *)p + 8, (size_t)n);
	if (!root || !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return st_fail(st, llm_error("'%s' byte 8: the header is not a JSON object", path));
	}
	int cap = cJSON_GetArraySize(root);
	st->t = llm_calloc((size_t)(cap ? cap : 1), sizeof(*st->t));
	cJSON *it;
	int rc = 0;
	cJSON_ArrayForEach(it, root)
	{
		if (!strcmp(it->string, "__metadata__")) {
			if (!cJSON_IsObject(it)) {
				rc = llm_error("'%s': __metadata__ is not an object", path);
				break;
			}
			st->metadata = cJSON_Duplicate(it, 1);
			continue;
		}
		struct llm_st_tensor *t = &st->t[st->n];
		const cJSON *dt = cJSON_GetObjectItemCaseSensitive(it, "dtype");
		const cJSON *sh = cJSON_GetObjectItemCaseSensitive(it, "shape");
		const cJSON *off = cJSON_GetObjectItemCaseSensitive(it, "data_offsets");
		if (!cJSON_IsString(dt) || !cJSON_IsArray(sh) || !cJSON_IsArray(off) ||
		    cJSON_GetArraySize(off) != 2) {
			rc = llm_error("'%s': tensor '%s' lacks dtype, shape or data_offsets [begin, end]",
				       path, it->string);
			break;
		}
		size_t esize = 0;
		for (size_t i = 0; i < LLM_ARRAY_SIZE(st_dtypes); i++)
			if (!strcmp(dt->valuestring, st_dtypes[i].name)) {
				t->dtype = st_dtypes[i].d;
				esize = st_dtypes[i].size;
			}
		if (!esize) {
			rc = llm_error("'%s': tensor '%s' has unsupported dtype '%s'", path, it->string,
				       dt->valuestring);
			break;
		}
		t->ndim = cJSON_GetArraySize(sh);
		if (t->ndim > LLM_ST_MAX_DIMS) {
			rc = llm_error("'%s': tensor '%s' has %d dimensions (at most %d supported)", path,
				       it->string, t->ndim, LLM_ST_MAX_DIMS);
			break;
		}
		t->numel = 1;
		int d = 0;
		const cJSON *x;
		cJSON_ArrayForEach(x, sh)
		{
			if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble != floor(x->valuedouble)) {
				rc = llm_error("'%s': tensor '%s' has a bad shape entry", path, it->string);
				break;
			}
			t->shape[d++] = (int64_t)x->valuedouble;
			t->numel *= (uint64_t)x->valuedouble;
		}
		if (rc)
			break;
		t->begin = (uint64_t)cJSON_GetArrayItem(off, 0)->valuedouble;
		t->end = (uint64_t)cJSON_GetArrayItem(off, 1)->valuedouble;
		if (t->end < t->begin || t->end > st->data_len) {
			rc = llm_error("'%s': tensor '%s' data_offsets [%" PRIu64 ", %" PRIu64
				       ") fall outside the %" PRIu64 "-byte data buffer (truncated file?)",
				       path, it->string, t->begin, t->end, st->data_len);
			break;
		}
		if (t->end - t->begin != t->numel * esize) {
			rc = llm_error("'%s': tensor '%s' spans %" PRIu64 " bytes but its shape and dtype need %" PRIu64,
				       path, it->string, t->end - t->begin, t->numel * esize);
			break;
		}
		t->name = llm_strdup(it->string);
		st->n++;
	}
	cJSON_Delete(root);
	if (rc)
		return st_fail(st, rc);
	qsort(st->t, (size_t)st->n, sizeof(*st->t), tensor_cmp);
	uint64_t pos = 0;
	for (int i = 0; i < st->n; i++) {
		if (st->t[i].begin != pos)
			return st_fail(st, llm_error("'%s': tensor '%s' starts at data byte %" PRIu64
						     " but the previous one ends at %" PRIu64 " (hole or overlap)",
						     path, st->t[i].name, st->t[i].begin, pos));
		pos = st->t[i].end;
	}
	if (pos != st->data_len)
		return st_fail(st, llm_error("'%s': tensors cover %" PRIu64 " of %" PRIu64
					     " data bytes (trailing garbage or truncated)",
					     path, pos, st->data_len));
	return 0;
}

void llm_safetensors_close(struct llm_safetensors *st)
{
	for (int i = 0; i < st->n; i++)
		free(st->t[i].name);
	free(st->t);
	cJSON_Delete(st->metadata);
	if (st->map)
		munmap(st->map, st->map_len);
	free(st->path);
	memset(st, 0, sizeof(*st));
}

const struct llm_st_tensor *llm_safetensors_find(const struct llm_safetensors *st, const char *name)
{
	for (int i = 0; i < st->n; i++)
		if (!strcmp(st->t[i].name, name))
			return &st->t[i];
	return NULL;
}

static float half_to_f32(uint16_t h)
{
	uint32_t s = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
	if (e == 0) {
		if (m == 0) {
			bits = s;
		} else { /* subnormal: renormalise */
			int sh = 0;
			while (!(m & 0x400)) {
				m <<= 1;
				sh++;
			}
			m &= 0x3ff;
			bits = s | ((uint32_t)(127 - 15 + 1 - sh) << 23) | (m << 13);
		}
	} else if (e == 31) {
		bits = s | 0x7f800000u | (m << 13);
	} else {
		bits = s | ((e + 127 - 15) << 23) | (m << 13);
	}
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

int llm_safetensors_read_f32(const struct llm_safetensors *st, const struct llm_st_tensor *t,
			     float *out)
{
	const uint8_t *p = st->data + t->begin;
	switch (t->dtype) {
	case LLM_ST_F32:
		memcpy(out, p, t->numel * 4);
		return 0;
	case LLM_ST_BF16:
		for (uint64_t i = 0; i < t->numel; i++) {
			uint32_t b = (uint32_t)(p[2 * i] | (p[2 * i + 1] << 8)) << 16;
			memcpy(&out[i], &b, 4);
		}
		return 0;
	case LLM_ST_F16:
		for (uint64_t i = 0; i < t->numel; i++)
			out[i] = half_to_f32((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
		return 0;
	default:
		return llm_error("'%s': tensor '%s' has dtype %s; only F32, F16 and BF16 convert to fp32",
				 st->path, t->name, llm_st_dtype_name(t->dtype));
	}
}

/* ----------------------------------------------------------------------------
 * writer */

int llm_safetensors_write(const char *path, const struct llm_st_entry *e, int n,
			  const cJSON *metadata)
{
	cJSON *h = cJSON_CreateObject();
	if (metadata)
		cJSON_AddItemToObject(h, "__metadata__", cJSON_Duplicate(metadata, 1));
	uint64_t off = 0;
	for (int i = 0; i < n; i++) {
		cJSON *t = cJSON_AddObjectToObject(h, e[i].name);
		cJSON_AddStringToObject(t, "dtype", "F32");
		cJSON *sh = cJSON_AddArrayToObject(t, "shape");
		uint64_t numel = 1;
		for (int d = 0; d < e[i].ndim; d++) {
			cJSON_AddItemToArray(sh, cJSON_CreateNumber((double)e[i].shape[d]));
			numel *= (uint64_t)e[i].shape[d];
		}
		cJSON *o = cJSON_AddArrayToObject(t, "data_offsets");
		cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
		off += numel * 4;
		cJSON_AddItemToArray(o, cJSON_CreateNumber((double)off));
	}
	char *js = cJSON_PrintUnformatted(h);
	cJSON_Delete(h);
	size_t jl = strlen(js), padded = (jl + 8 + 7) / 8 * 8 - 8;
	char *hdr = llm_malloc(8 + padded);
	for (int i = 0; i < 8; i++)
		hdr[i] = (char)(((uint64_t)padded >> (8 * i)) & 0xff);
	memcpy(hdr + 8, js, jl);
	memset(hdr + 8 + jl, ' ', padded - jl);
	free(js);

	struct llm_atomic a;
	if (llm_atomic_open(&a, path) != 0) {
		free(hdr);
		return -1;
	}
	int rc = llm_write_all(a.fd, hdr, 8 + padded);
	free(hdr);
	for (int i = 0; i < n && rc == 0; i++) {
		uint64_t numel = 1;
		for (int d = 0; d < e[i].ndim; d++)
			numel *= (uint64_t)e[i].shape[d];
		rc = llm_write_all(a.fd, e[i].data, numel * 4);
	}
	if (rc != 0) {
		int err = errno;
		llm_atomic_abort(&a);
		errno = err;
		return llm_error_errno("cannot write '%s'", path);
	}
	return llm_atomic_commit(&a);
}

/* ----------------------------------------------------------------------------
 * summary */

static void print_tensor(FILE *fp, const struct llm_st_tensor *t)
{
	fprintf(fp, "  %-56s %-5s [", t->name, llm_st_dtype_name(t->dtype));
	for (int d = 0; d < t->ndim; d++)
		fprintf(fp, "%s%" PRId64, d ? ", " : "", t->shape[d]);
	fprintf(fp, "]\n");
}

int llm_safetensors_describe(const char *path, FILE *fp, bool verbose)
{
	struct llm_safetensors st;
	if (llm_safetensors_open(&st, path) != 0)
		return -1;
	uint64_t per[LLM_ARRAY_SIZE(st_dtypes)] = {0}, total = 0;
	for (int i = 0; i < st.n; i++) {
		per[st.t[i].dtype] += st.t[i].numel;
		total += st.t[i].numel;
	}
	char b1[16], b2[16];
	fprintf(fp, "%s: safetensors, %d tensors, %" PRIu64 " parameters, header %s, data %s\n", path,
		st.n, total, llm_fmt_bytes(st.header_len, b1), llm_fmt_bytes(st.data_len, b2));
	fprintf(fp, "  dtypes:");
	for (size_t d = 0; d < LLM_ARRAY_SIZE(st_dtypes); d++)
		if (per[st_dtypes[d].d])
			fprintf(fp, " %s %" PRIu64, st_dtypes[d].name, per[st_dtypes[d].d]);
	fprintf(fp, "\n");
	if (st.metadata) {
		char *m = cJSON_PrintUnformatted(st.metadata);
		fprintf(fp, "  metadata: %s\n", m);
		free(m);
	}
	for (int i = 0; i < st.n; i++) {
		if (!verbose && st.n > 12 && i == 6)
			fprintf(fp, "  ... %d more (--verbose lists all)\n", st.n - 12);
		if (!verbose && st.n > 12 && i >= 6 && i < st.n - 6)
			continue;
		print_tensor(fp, &st.t[i]);
	}
	llm_safetensors_close(&st);
	return 0;
}
