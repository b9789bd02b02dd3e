/*
 * shard.c: token shard writer and reader (llm.c's format plus a document
 * index); the layout is documented in shard.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "shard.h"
#include "util.h"

char *llm_shard_index_path(const char *bin)
{
	size_t n = strlen(bin);
	if (n >= 4 && !strcmp(bin + n - 4, ".bin"))
		return llm_asprintf("%.*s.idx", (int)(n - 4), bin);
	return llm_asprintf("%s.idx", bin);
}

/* ================================================================== */
/* writer                                                              */

#define WBUF_BYTES (1u << 20)

struct llm_shard_writer {
	struct llm_atomic bin;
	char *idx_path;
	int width;
	uint32_t n_vocab;
	int64_t eot;
	uint64_t n_tokens;
	uint64_t *ends;
	size_t n_docs, cap_docs;
	unsigned char *buf;
	size_t buf_len;
};

struct llm_shard_writer *llm_shard_writer_open(const char *path, uint32_t n_vocab, int64_t eot)
{
	struct llm_shard_writer *w = llm_calloc(1, sizeof(*w));
	if (llm_atomic_open(&w->bin, path) != 0) {
		free(w);
		return NULL;
	}
	w->idx_path = llm_shard_index_path(path);
	w->width = n_vocab && n_vocab <= 65536 ? 2 : 4;
	w->n_vocab = n_vocab;
	w->eot = eot;
	w->buf = llm_malloc(WBUF_BYTES);
	static const unsigned char zero[LLM_SHARD_HEADER_BYTES];
	if (llm_write_all(w->bin.fd, zero, sizeof(zero)) != 0) {
		llm_error_errno("cannot write shard '%s'", path);
		llm_shard_writer_abort(w);
		return NULL;
	}
	return w;
}

static int flush_buf(struct llm_shard_writer *w)
{
	if (w->buf_len && llm_write_all(w->bin.fd, w->buf, w->buf_len) != 0)
		return llm_error_errno("cannot write shard '%s'", w->bin.path);
	w->buf_len = 0;
	return 0;
}

int llm_shard_writer_add(struct llm_shard_writer *w, const uint32_t *ids, size_t n)
{
	if (!n)
		return 0;
	if (w->n_tokens + n > LLM_SHARD_MAX_TOKENS)
		return llm_error("shard '%s': %llu tokens would pass the format's limit of 2^31 - 1; "
				 "hint: lower shard_tokens", w->bin.path,
				 (unsigned long long)(w->n_tokens + n));
	for (size_t i = 0; i < n; i++) {
		if (w->width == 2 && ids[i] > 0xFFFF)
			return llm_error("shard '%s': token id %u does not fit uint16 (vocabulary %u)",
					 w->bin.path, ids[i], w->n_vocab);
		if (w->buf_len + 4 > WBUF_BYTES && flush_buf(w))
			return -1;
		if (w->width == 2) {
			uint16_t v = (uint16_t)ids[i];
			memcpy(w->buf + w->buf_len, &v, 2);
		} else {
			memcpy(w->buf + w->buf_len, &ids[i], 4);
		}
		w->buf_len += (size_t)w->width;
	}
	w->n_tokens += n;
	if (w->n_docs == w->cap_docs) {
		w->cap_docs = w->cap_docs ? w->cap_docs * 2 : 1024;
		w->ends = llm_realloc(w->ends, w->cap_docs * sizeof(*w->ends));
	}
	w->ends[w->n_docs++] = w->n_tokens;
	return 0;
}

uint64_t llm_shard_writer_tokens(const struct llm_shard_writer *w)
{
	return w->n_tokens;
}

uint64_t llm_shard_writer_docs(const struct llm_shard_writer *w)
{
	return w->n_docs;
}

static void writer_free(struct llm_shard_writer *w)
{
	free(w->idx_path);
	free(w->ends);
	free(w->buf);
	free(w);
}

void llm_shard_writer_abort(struct llm_shard_writer *w)
{
	if (!w)
		return;
	llm_atomic_abort(&w->bin);
	writer_free(w);
}

int llm_shard_writer_commit(struct llm_shard_writer *w)
{
	int32_t hdr[LLM_SHARD_HEADER_INTS] = {0};
	hdr[0] = w->width == 2 ? LLM_SHARD_MAGIC_U16 : LLM_SHARD_MAGIC_U32;
	hdr[1] = w->width == 2 ? LLM_SHARD_VERSION_U16 : LLM_SHARD_VERSION_U32;
	hdr[2] = (int32_t)w->n_tokens;
	hdr[3] = LLM_SHARD_TAG;
	hdr[4] = (int32_t)w->n_vocab;
	hdr[5] = (int32_t)w->eot;
	hdr[6] = (int32_t)LLM_MIN(w->n_docs, (size_t)INT32_MAX);
	if (flush_buf(w) || pwrite(w->bin.fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
		if (!errno)
			errno = EIO;
		llm_error_errno("cannot write the header of shard '%s'", w->bin.path);
		llm_shard_writer_abort(w);
		return -1;
	}
	size_t ilen = LLM_SHARD_IDX_HEADER_BYTES + w->n_docs * 8;
	unsigned char *idx = llm_calloc(1, ilen);
	memcpy(idx, LLM_SHARD_IDX_MAGIC, 8);
	uint32_t ver = LLM_SHARD_IDX_VERSION;
	memcpy(idx + 8, &ver, 4);
	uint64_t nd = w->n_docs;
	memcpy(idx + 16, &nd, 8);
	memcpy(idx + 24, &w->n_tokens, 8);
	if (w->n_docs)
		memcpy(idx + 32, w->ends, w->n_docs * 8);
	/* index first: a .bin without its .idx is still a valid llm.c shard */
	int rc = llm_atomic_write_file(w->idx_path, idx, ilen);
	free(idx);
	if (rc != 0) {
		llm_shard_writer_abort(w);
		return -1;
	}
	if (llm_atomic_commit(&w->bin) != 0) {
		unlink(w->idx_path);
		writer_free(w);
		return -1;
	}
	writer_free(w);
	return 0;
}

/* ================================================================== */
/* reader                                                              */

static int map_file(const char *path, void **map, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return llm_error_errno("cannot open shard '%s'", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return llm_error_errno("cannot stat '%s'", path);
	}
	*len = (size_t)st.st_size;
	*map = NULL;
	if (*len) {
		*map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (*map == MAP_FAILED) {
			*map = NULL;
			close(fd);
			return llm_error_errno("cannot map '%s'", path);
		}
	}
	close(fd);
	return 0;
}

void llm_shard_close(struct llm_shard *s)
{
	if (s->map)
		munmap(s->map, s->map_len);
	if (s->idx_map)
		munmap(s->idx_map, s->idx_len);
	free(s->path);
	memset(s, 0, sizeof(*s));
}

static int open_index(struct llm_shard *s)
{
	char *ip = llm_shard_index_path(s->path);
	int rc = 0;
	if (access(ip, F_OK) != 0) {
		free(ip);
		return 0; /* no index: a plain llm.c shard */
	}
	if (map_file(ip, &s->idx_map, &s->idx_len) != 0) {
		free(ip);
		return -1;
	}
	const unsigned char *p = s->idx_map;
	uint32_t ver = 0;
	uint64_t nd = 0, nt = 0;
	if (s->idx_len < LLM_SHARD_IDX_HEADER_BYTES || memcmp(p, LLM_SHARD_IDX_MAGIC, 8)) {
		rc = llm_error("shard index '%s': bad magic at byte 0 (expected \"%s\"); hint: the file "
			       "is not a document index or is corrupt", ip, LLM_SHARD_IDX_MAGIC);
		goto out;
	}
	memcpy(&ver, p + 8, 4);
	memcpy(&nd, p + 16, 8);
	memcpy(&nt, p + 24, 8);
	if (ver != LLM_SHARD_IDX_VERSION) {
		rc = llm_error("shard index '%s': version %u at byte 8 (expected %d)", ip, ver,
			       LLM_SHARD_IDX_VERSION);
		goto out;
	}
	if (nd > (s->idx_len - LLM_SHARD_IDX_HEADER_BYTES) / 8 ||
	    s->idx_len != LLM_SHARD_IDX_HEADER_BYTES + nd * 8) {
		rc = llm_error("shard index '%s': %zu bytes, but the header (byte 16) says %llu documents "
			       "(%llu bytes expected); hint: truncated file", ip, s->idx_len,
			       (unsigned long long)nd, (unsigned long long)(LLM_SHARD_IDX_HEADER_BYTES + nd * 8));
		goto out;
	}
	if (nt != s->n_tokens) {
		rc = llm_error("shard index '%s': n_tokens %llu (byte 24) differs from the shard's %llu",
			       ip, (unsigned long long)nt, (unsigned long long)s->n_tokens);
		goto out;
	}
	const uint64_t *ends = (const uint64_t *)(p + LLM_SHARD_IDX_HEADER_BYTES);
	uint64_t prev = 0;
	for (uint64_t i = 0; i < nd; i++) {
		if (ends[i] <= prev || ends[i] > nt) {
			rc = llm_error("shard index '%s': document %llu ends at %llu (byte %llu), not in "
				       "(%llu, %llu]", ip, (unsigned long long)i, (unsigned long long)ends[i],
				       (unsigned long long)(LLM_SHARD_IDX_HEADER_BYTES + i * 8),
				       (unsigned long long)prev, (unsigned long long)nt);
			goto out;
		}
		prev = ends[i];
	}
	if (nd && prev != nt) {
		rc = llm_error("shard index '%s': the last document ends at %llu, not at n_tokens %llu",
			       ip, (unsigned long long)prev, (unsigned long long)nt);
		goto out;
	}
	s->n_docs = nd;
	s->ends = ends;
out:
	free(ip);
	return rc;
}

int llm_shard_open(struct llm_shard *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->path = llm_strdup(path);
	s->eot = -1;
	if (map_file(path, &s->map, &s->map_len) != 0)
		goto fail;
	if (s->map_len < LLM_SHARD_HEADER_BYTES) {
		llm_error("shard '%s': %zu bytes, shorter than the 1024-byte header; hint: truncated or "
			  "not a token shard", path, s->map_len);
		goto fail;
	}
	int32_t hdr[LLM_SHARD_HEADER_INTS];
	memcpy(hdr, s->map, sizeof(hdr));
	if (hdr[0] == LLM_SHARD_MAGIC_U16) {
		s->width = 2;
		if (hdr[1] != LLM_SHARD_VERSION_U16) {
			llm_error("shard '%s': header[1] version %d (expected %d for magic %d)", path, hdr[1],
				  LLM_SHARD_VERSION_U16, LLM_SHARD_MAGIC_U16);
			goto fail;
		}
	} else if (hdr[0] == LLM_SHARD_MAGIC_U32) {
		s->width = 4;
		if (hdr[1] != LLM_SHARD_VERSION_U32) {
			llm_error("shard '%s': header[1] version %d (expected %d for magic %d)", path, hdr[1],
				  LLM_SHARD_VERSION_U32, LLM_SHARD_MAGIC_U32);
			goto fail;
		}
	} else {
		llm_error("shard '%s': header[0] magic %d (expected %d for uint16 tokens or %d for uint32); "
			  "hint: not an llm.c token shard, or a corrupt header", path, hdr[0],
			  LLM_SHARD_MAGIC_U16, LLM_SHARD_MAGIC_U32);
		goto fail;
	}
	if (hdr[2] < 0) {
		llm_error("shard '%s': header[2] token count %d is negative", path, hdr[2]);
		goto fail;
	}
	s->n_tokens = (uint64_t)hdr[2];
	uint64_t want = LLM_SHARD_HEADER_BYTES + s->n_tokens * (uint64_t)s->width;
	if ((uint64_t)s->map_len != want) {
		llm_error("shard '%s': %zu bytes, but header[2] says %llu tokens of %d bytes (%llu bytes); "
			  "hint: truncated or corrupt shard", path, s->map_len,
			  (unsigned long long)s->n_tokens, s->width, (unsigned long long)want);
		goto fail;
	}
	if (hdr[3] == LLM_SHARD_TAG) {
		s->n_vocab = (uint32_t)hdr[4];
		s->eot = hdr[5];
	}
	s->tokens = (const char *)s->map + LLM_SHARD_HEADER_BYTES;
	if (open_index(s) != 0)
		goto fail;
	return 0;
fail:
	llm_shard_close(s);
	return -1;
}

void llm_shard_read(const struct llm_shard *s, uint64_t from, size_t n, uint32_t *out)
{
	if (s->width == 4) {
		memcpy(out, (const uint32_t *)s->tokens + from, n * 4);
		return;
	}
	const uint16_t *p = (const uint16_t *)s->tokens + from;
	for (size_t i = 0; i < n; i++)
		out[i] = p[i];
}
