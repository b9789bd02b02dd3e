/*
 * dedup.c: checked intermediate files, file tables and union-find for
 * llmake-dedup (layouts in dedup.h).
 */
#include "dedup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "atomic.h"
#include "util.h"

/* ------------------------------------------------------------------------ */
/* header encoding                                                           */

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void header_encode(const struct llm_dedup_header *h, unsigned char *b)
{
	memset(b, 0, LLM_DEDUP_HEADER_SIZE);
	memcpy(b, h->magic, 8);
	put32(b + 8, h->version);
	put32(b + 12, h->aux);
	put64(b + 16, h->config_hash);
	put64(b + 24, h->n_records);
	put32(b + 32, h->record_size);
	put32(b + 36, h->flags);
	put64(b + 40, h->payload_bytes);
	put64(b + 48, h->payload_xxh3);
	memcpy(b + 56, h->config_desc, 64);
	put64(b + 120, XXH3_64bits(b, 120));
}

/* ------------------------------------------------------------------------ */
/* writer                                                                    */

struct llm_dedup_writer {
	struct llm_atomic a;
	struct llm_dedup_header h;
	XXH3_state_t *xs;
	char *buf;
	size_t len;
};

#define WBUF (1u << 20)

struct llm_dedup_writer *llm_dedup_writer_open(const char *path, const char *magic, uint32_t aux,
					       uint64_t config_hash, const char *config_desc,
					       uint32_t record_size)
{
	struct llm_dedup_writer *w = llm_calloc(1, sizeof(*w));
	if (llm_atomic_open(&w->a, path) != 0) {
		free(w);
		return NULL;
	}
	memcpy(w->h.magic, magic, 8);
	w->h.version = LLM_DEDUP_FILE_VERSION;
	w->h.aux = aux;
	w->h.config_hash = config_hash;
	w->h.record_size = record_size;
	if (config_desc)
		strncpy(w->h.config_desc, config_desc, sizeof(w->h.config_desc) - 1);
	w->xs = XXH3_createState();
	XXH3_64bits_reset(w->xs);
	w->buf = llm_malloc(WBUF);
	unsigned char zero[LLM_DEDUP_HEADER_SIZE] = {0};
	if (llm_write_all(w->a.fd, zero, sizeof(zero)) != 0) {
		llm_error_errno("'%s': write failed", path);
		llm_dedup_writer_abort(w);
		return NULL;
	}
	return w;
}

static int wflush(struct llm_dedup_writer *w)
{
	if (w->len && llm_write_all(w->a.fd, w->buf, w->len) != 0)
		return llm_error_errno("'%s': write failed", w->a.path);
	w->len = 0;
	return 0;
}

int llm_dedup_write(struct llm_dedup_writer *w, const void *data, size_t n)
{
	XXH3_64bits_update(w->xs, data, n);
	w->h.payload_bytes += n;
	if (w->len + n > WBUF) {
		if (wflush(w) != 0)
			return -1;
		if (n > WBUF)
			return llm_write_all(w->a.fd, data, n) == 0 ? 0
								    : llm_error_errno("'%s': write failed", w->a.path);
	}
	memcpy(w->buf + w->len, data, n);
	w->len += n;
	return 0;
}

void llm_dedup_writer_add_records(struct llm_dedup_writer *w, uint64_t n)
{
	w->h.n_records += n;
}

int llm_dedup_writer_commit(struct llm_dedup_writer *w)
{
	if (wflush(w) != 0) {
		llm_dedup_writer_abort(w);
		return -1;
	}
	if (w->h.record_size && w->h.n_records == 0)
		w->h.n_records = w->h.payload_bytes / w->h.record_size;
	w->h.payload_xxh3 = XXH3_64bits_digest(w->xs);
	unsigned char hb[LLM_DEDUP_HEADER_SIZE];
	header_encode(&w->h, hb);
	if (pwrite(w->a.fd, hb, sizeof(hb), 0) != (ssize_t)sizeof(hb)) {
		llm_error_errno("'%s': writing the header failed", w->a.path);
		llm_dedup_writer_abort(w);
		return -1;
	}
	int rc = llm_atomic_commit(&w->a);
	XXH3_freeState(w->xs);
	free(w->buf);
	free(w);
	return rc;
}

void llm_dedup_writer_abort(struct llm_dedup_writer *w)
{
	if (!w)
		return;
	llm_atomic_abort(&w->a);
	XXH3_freeState(w->xs);
	free(w->buf);
	free(w);
}

/* ------------------------------------------------------------------------ */
/* reader                                                                    */

static const char *kind_name(const char *magic)
{
	if (memcmp(magic, LLM_DEDUP_MAGIC_SIG, 8) == 0)
		return "signature file (llmake-dedup signatures)";
	if (memcmp(magic, LLM_DEDUP_MAGIC_DOC, 8) == 0)
		return "file table (docs.bin)";
	if (memcmp(magic, LLM_DEDUP_MAGIC_PAR, 8) == 0)
		return "pair file (llmake-dedup buckets)";
	if (memcmp(magic, LLM_DEDUP_MAGIC_REM, 8) == 0)
		return "removal list (llmake-dedup cluster)";
	if (memcmp(magic, LLM_DEDUP_MAGIC_KRP, 8) == 0)
		return "kept/removed pairs file (llmake-dedup cluster)";
	return "unknown dedup file";
}

int llm_dedup_reader_open(struct llm_dedup_reader *r, const char *path, const char *magic,
			  uint64_t config_hash, const char *want_desc)
{
	memset(r, 0, sizeof(*r));
	r->path = llm_strdup(path);
	r->fp = fopen(path, "rb");
	if (!r->fp) {
		llm_error_errno("cannot open '%s'", path);
		goto fail;
	}
	unsigned char hb[LLM_DEDUP_HEADER_SIZE];
	size_t got = fread(hb, 1, sizeof(hb), r->fp);
	if (got < 8 || memcmp(hb, magic, 8) != 0) {
		char m[9] = {0};
		memcpy(m, hb, got < 8 ? got : 8);
		for (int i = 0; i < 8; i++)
			if (m[i] && (m[i] < 32 || m[i] > 126))
				m[i] = '?';
		llm_error("'%s': not a %s: magic \"%s\" at byte 0, expected \"%.8s\"%s", path,
			  kind_name(magic), m, magic,
			  got < 8 ? " (file shorter than a header)" : "; hint: check which directory was passed");
		goto fail;
	}
	if (got < sizeof(hb)) {
		llm_error("'%s': truncated header: %zu of %d bytes; hint: rerun the phase that wrote it",
			  path, got, LLM_DEDUP_HEADER_SIZE);
		goto fail;
	}
	if (get64(hb + 120) != XXH3_64bits(hb, 120)) {
		llm_error("'%s': header checksum mismatch (bytes 0..119): the file is corrupt; hint: rerun "
			  "the phase that wrote it", path);
		goto fail;
	}
	struct llm_dedup_header *h = &r->h;
	memcpy(h->magic, hb, 8);
	h->version = get32(hb + 8);
	h->aux = get32(hb + 12);
	h->config_hash = get64(hb + 16);
	h->n_records = get64(hb + 24);
	h->record_size = get32(hb + 32);
	h->flags = get32(hb + 36);
	h->payload_bytes = get64(hb + 40);
	h->payload_xxh3 = get64(hb + 48);
	memcpy(h->config_desc, hb + 56, 64);
	h->config_desc[63] = 0;
	if (h->version != LLM_DEDUP_FILE_VERSION) {
		llm_error("'%s': format version %u, this llmake-dedup reads version %d; hint: rerun the "
			  "phase that wrote it with this build", path, h->version, LLM_DEDUP_FILE_VERSION);
		goto fail;
	}
	if (config_hash && h->config_hash != config_hash) {
		llm_error("'%s': written with a different MinHash config (%s), this run uses %s; hint: "
			  "run every phase with the same minhash.* and norm.* settings", path,
			  h->config_desc[0] ? h->config_desc : "?", want_desc ? want_desc : "?");
		goto fail;
	}
	struct stat sb;
	if (fstat(fileno(r->fp), &sb) != 0) {
		llm_error_errno("'%s': stat failed", path);
		goto fail;
	}
	uint64_t want = LLM_DEDUP_HEADER_SIZE + h->payload_bytes;
	if ((uint64_t)sb.st_size != want) {
		llm_error("'%s': %s: size %lld bytes, header says %llu; hint: rerun the phase that wrote it",
			  path, (uint64_t)sb.st_size < want ? "truncated" : "trailing garbage",
			  (long long)sb.st_size, (unsigned long long)want);
		goto fail;
	}
	if (h->record_size && h->n_records * h->record_size > h->payload_bytes) {
		llm_error("'%s': header says %llu records of %u bytes but the payload has %llu bytes", path,
			  (unsigned long long)h->n_records, h->record_size,
			  (unsigned long long)h->payload_bytes);
		goto fail;
	}
	r->left = h->payload_bytes;
	XXH3_state_t *xs = XXH3_createState();
	XXH3_64bits_reset(xs);
	r->hash_state = xs;
	setvbuf(r->fp, NULL, _IOFBF, 1 << 20);
	return 0;
fail:
	llm_dedup_reader_close(r);
	return -1;
}

int llm_dedup_reader_finish(struct llm_dedup_reader *r)
{
	if (r->verified)
		return 0;
	char buf[65536];
	while (r->left) {
		size_t k = r->left < sizeof(buf) ? (size_t)r->left : sizeof(buf);
		if (fread(buf, 1, k, r->fp) != k)
			return llm_error("'%s': short read at byte %llu; the file changed while being read",
					 r->path,
					 (unsigned long long)(LLM_DEDUP_HEADER_SIZE + r->h.payload_bytes - r->left));
		XXH3_64bits_update(r->hash_state, buf, k);
		r->left -= k;
	}
	if (XXH3_64bits_digest(r->hash_state) != r->h.payload_xxh3)
		return llm_error("'%s': payload checksum mismatch: the file is corrupt (%llu bytes after the "
				 "header); nothing was written; hint: rerun the phase that wrote it",
				 r->path, (unsigned long long)r->h.payload_bytes);
	r->verified = true;
	return 0;
}

int llm_dedup_read(struct llm_dedup_reader *r, void *buf, size_t n)
{
	if (r->left == 0)
		return llm_dedup_reader_finish(r) == 0 ? 0 : -1;
	if (n > r->left)
		return llm_error("'%s': payload ends inside a record at byte %llu", r->path,
				 (unsigned long long)(LLM_DEDUP_HEADER_SIZE + r->h.payload_bytes - r->left));
	if (fread(buf, 1, n, r->fp) != n)
		return llm_error("'%s': short read at byte %llu", r->path,
				 (unsigned long long)(LLM_DEDUP_HEADER_SIZE + r->h.payload_bytes - r->left));
	XXH3_64bits_update(r->hash_state, buf, n);
	r->left -= n;
	return 1;
}

int llm_dedup_read_all(struct llm_dedup_reader *r, void **buf, size_t *n)
{
	size_t len = (size_t)r->left;
	char *b = llm_malloc(len + 1);
	if (len && llm_dedup_read(r, b, len) != 1) {
		free(b);
		return -1;
	}
	if (llm_dedup_reader_finish(r) != 0) {
		free(b);
		return -1;
	}
	*buf = b;
	*n = len;
	return 0;
}

void llm_dedup_reader_close(struct llm_dedup_reader *r)
{
	if (r->fp)
		fclose(r->fp);
	if (r->hash_state)
		XXH3_freeState(r->hash_state);
	free(r->path);
	memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------------------ */
/* file tables                                                               */

void llm_dedup_files_add(struct llm_dedup_files *t, uint32_t index, uint64_t n_docs,
			 uint64_t n_bytes, const char *path)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->v = llm_realloc(t->v, t->cap * sizeof(*t->v));
	}
	struct llm_dedup_file *f = &t->v[t->n++];
	f->index = index;
	f->flags = 0;
	f->n_docs = n_docs;
	f->n_bytes = n_bytes;
	f->path = llm_strdup(path);
}

void llm_dedup_files_free(struct llm_dedup_files *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->v[i].path);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int file_cmp(const void *a, const void *b)
{
	const struct llm_dedup_file *x = a, *y = b;
	return x->index < y->index ? -1 : x->index > y->index;
}

int llm_dedup_files_check(struct llm_dedup_files *t, bool complete, const char *where)
{
	qsort(t->v, t->n, sizeof(*t->v), file_cmp);
	for (uint32_t i = 1; i < t->n; i++)
		if (t->v[i].index == t->v[i - 1].index)
			return llm_error("%s: input file #%u ('%s') appears twice; hint: the same signatures "
					 "shard was given twice, or shards of different runs were mixed",
					 where, t->v[i].index, t->v[i].path);
	if (complete)
		for (uint32_t i = 0; i < t->n; i++)
			if (t->v[i].index != i)
				return llm_error("%s: input file #%u is missing (%u files seen); hint: a "
						 "signatures shard is missing or did not finish", where, i,
						 t->n);
	return 0;
}

void llm_dedup_files_encode(const struct llm_dedup_files *t, char **buf, size_t *n)
{
	size_t len = 4;
	for (uint32_t i = 0; i < t->n; i++)
		len += 28 + strlen(t->v[i].path);
	unsigned char *b = llm_malloc(len);
	put32(b, t->n);
	size_t o = 4;
	for (uint32_t i = 0; i < t->n; i++) {
		const struct llm_dedup_file *f = &t->v[i];
		uint32_t pl = (uint32_t)strlen(f->path);
		put32(b + o, f->index);
		put32(b + o + 4, f->flags);
		put64(b + o + 8, f->n_docs);
		put64(b + o + 16, f->n_bytes);
		put32(b + o + 24, pl);
		memcpy(b + o + 28, f->path, pl);
		o += 28 + pl;
	}
	*buf = (char *)b;
	*n = len;
}

long llm_dedup_files_decode(struct llm_dedup_files *t, const char *buf, size_t n)
{
	const unsigned char *b = (const unsigned char *)buf;
	memset(t, 0, sizeof(*t));
	if (n < 4)
		return -1;
	uint32_t cnt = get32(b);
	size_t o = 4;
	for (uint32_t i = 0; i < cnt; i++) {
		if (o + 28 > n)
			goto bad;
		uint32_t pl = get32(b + o + 24);
		if (o + 28 + pl > n)
			goto bad;
		char *p = llm_strndup((const char *)b + o + 28, pl);
		llm_dedup_files_add(t, get32(b + o), get64(b + o + 8), get64(b + o + 16), p);
		t->v[t->n - 1].flags = get32(b + o + 4);
		free(p);
		o += 28 + pl;
	}
	return (long)o;
bad:
	llm_dedup_files_free(t);
	return -1;
}

uint64_t llm_dedup_files_hash(const struct llm_dedup_files *t)
{
	char *b;
	size_t n;
	llm_dedup_files_encode(t, &b, &n);
	uint64_t h = XXH3_64bits(b, n);
	free(b);
	return h;
}

int llm_dedup_files_write(const struct llm_dedup_files *t, uint32_t total, const char *path,
			  uint64_t config_hash, const char *config_desc)
{
	struct llm_dedup_writer *w =
		llm_dedup_writer_open(path, LLM_DEDUP_MAGIC_DOC, total, config_hash, config_desc, 0);
	if (!w)
		return -1;
	char *b;
	size_t n;
	llm_dedup_files_encode(t, &b, &n);
	int rc = llm_dedup_write(w, b, n);
	free(b);
	llm_dedup_writer_add_records(w, t->n);
	if (rc != 0) {
		llm_dedup_writer_abort(w);
		return -1;
	}
	return llm_dedup_writer_commit(w);
}

int llm_dedup_files_read(struct llm_dedup_files *t, uint32_t *total, const char *path,
			 uint64_t config_hash, const char *want_desc)
{
	struct llm_dedup_reader r;
	if (llm_dedup_reader_open(&r, path, LLM_DEDUP_MAGIC_DOC, config_hash, want_desc) != 0)
		return -1;
	*total = r.h.aux;
	void *b;
	size_t n;
	int rc = llm_dedup_read_all(&r, &b, &n);
	llm_dedup_reader_close(&r);
	if (rc != 0)
		return -1;
	long used = llm_dedup_files_decode(t, b, n);
	free(b);
	if (used < 0 || (size_t)used != n)
		return llm_error("'%s': bad file table layout", path);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* union-find                                                                */

int llm_uf_init(struct llm_uf *u, uint64_t n)
{
	memset(u, 0, sizeof(*u));
	if (n >= UINT32_MAX)
		return llm_error("cluster: %llu documents exceed the limit of %u (32-bit document numbers)",
				 (unsigned long long)n, UINT32_MAX - 1);
	u->n = n;
	u->parent = llm_malloc((n ? n : 1) * sizeof(uint32_t));
	u->size = llm_malloc((n ? n : 1) * sizeof(uint32_t));
	for (uint64_t i = 0; i < n; i++) {
		u->parent[i] = (uint32_t)i;
		u->size[i] = 1;
	}
	return 0;
}

void llm_uf_free(struct llm_uf *u)
{
	free(u->parent);
	free(u->size);
	memset(u, 0, sizeof(*u));
}

bool llm_uf_union(struct llm_uf *u, uint32_t a, uint32_t b)
{
	uint32_t ra = llm_uf_find(u, a), rb = llm_uf_find(u, b);
	if (ra == rb)
		return false;
	if (u->size[ra] < u->size[rb]) {
		uint32_t t = ra;
		ra = rb;
		rb = t;
	}
	u->parent[rb] = ra;
	u->size[ra] += u->size[rb];
	return true;
}
