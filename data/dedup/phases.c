/*
 * phases.c: the four MinHash phases of llmake-dedup (signatures, buckets,
 * cluster, filter), each reading and writing checked files (lib/dedup.h).
 */
#include "phases.h"

#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "files.h"
#include "io.h"
#include "jsonl.h"
#include "log.h"
#include "pool.h"
#include "util.h"

/* ------------------------------------------------------------------------ */
/* configuration                                                             */

int dd_run_init(struct dd_run *r, const struct llm_ctx *ctx)
{
	memset(r, 0, sizeof(*r));
	const struct llm_config *c = &ctx->cfg;
	struct llm_minhash_cfg mc;
	llm_minhash_cfg_defaults(&mc);
	mc.n_grams = (int)llm_config_int(c, "minhash.n_grams");
	mc.num_buckets = (int)llm_config_int(c, "minhash.num_buckets");
	mc.hashes_per_bucket = (int)llm_config_int(c, "minhash.hashes_per_bucket");
	mc.seed = (uint32_t)llm_config_int(c, "minhash.seed");
	mc.perm = strcmp(llm_config_str(c, "minhash.permutation"), "mod61") == 0 ? LLM_MINHASH_PERM_MOD61
										  : LLM_MINHASH_PERM_WRAP64;
	mc.norm.lowercase = llm_config_bool(c, "norm.lowercase");
	mc.norm.numbers = llm_config_bool(c, "norm.numbers");
	mc.norm.punctuation = llm_config_bool(c, "norm.punctuation");
	mc.norm.accents = llm_config_bool(c, "norm.accents");
	mc.norm.whitespace = true;
	mc.norm.spacy_en = strcmp(llm_config_str(c, "norm.word_split"), "spacy-en") == 0;
	if (llm_minhash_init(&r->mh, &mc) != 0)
		return -1;
	r->cfg_hash = llm_minhash_cfg_hash(&mc);
	llm_minhash_cfg_describe(&mc, r->cfg_desc, sizeof(r->cfg_desc));
	r->threads = ctx->threads;
	r->skip_bad = ctx->skip_bad;
	r->max_line = ctx->max_line;
	r->manifest = ctx->manifest;
	return 0;
}

void dd_run_free(struct dd_run *r)
{
	llm_minhash_free(&r->mh);
}

static void count(struct dd_run *r, const char *name, int64_t d)
{
	if (r->manifest)
		llm_manifest_count(r->manifest, name, d);
}

static struct llm_jsonl_reader *open_docs(struct dd_run *r, const char *path)
{
	struct llm_jsonl_opts o = {0};
	o.max_line = r->max_line;
	o.skip_bad = r->skip_bad;
	return llm_jsonl_open(path, &o);
}

/* ------------------------------------------------------------------------ */
/* phase 1: signatures                                                       */

#define BATCH_DOCS 4096
#define BATCH_BYTES ((size_t)64 << 20)

struct sig_batch {
	struct dd_run *r;
	char *arena;
	size_t arena_len, arena_cap;
	size_t *off, *len;
	uint64_t *keys;
	uint64_t *sigs;
	uint8_t *has;
	size_t n;
	struct llm_ngram_scratch *scratch; /* one per worker */
};

struct bucket_recs {
	uint64_t *v; /* records of R+1 u64 */
	size_t n, cap;
};

static void sig_one(void *vctx, size_t i, int worker)
{
	struct sig_batch *b = vctx;
	const int H = b->r->mh.n_hashes;
	b->has[i] = llm_minhash_signature(&b->r->mh, &b->scratch[worker], b->arena + b->off[i],
					  b->len[i], b->sigs + i * (size_t)H) > 0;
}

static int rec_R; /* hashes per bucket, for qsort's comparator */

static int rec_cmp(const void *pa, const void *pb)
{
	const uint64_t *a = pa, *b = pb;
	for (int k = 0; k <= rec_R; k++)
		if (a[k] != b[k])
			return a[k] < b[k] ? -1 : 1;
	return 0;
}

static void batch_flush(struct sig_batch *b, struct llm_pool *pool, struct bucket_recs *bk,
			uint64_t *with_sig)
{
	const int H = b->r->mh.n_hashes, B = b->r->mh.cfg.num_buckets,
		  R = b->r->mh.cfg.hashes_per_bucket;
	llm_pool_for(pool, b->n, sig_one, b);
	for (size_t i = 0; i < b->n; i++) {
		if (!b->has[i])
			continue;
		(*with_sig)++;
		for (int k = 0; k < B; k++) {
			struct bucket_recs *br = &bk[k];
			if (br->n == br->cap) {
				br->cap = br->cap ? br->cap * 2 : 1024;
				br->v = llm_realloc(br->v, br->cap * (size_t)(R + 1) * sizeof(uint64_t));
			}
			uint64_t *rec = br->v + br->n * (size_t)(R + 1);
			memcpy(rec, b->sigs + i * (size_t)H + (size_t)k * R, (size_t)R * sizeof(uint64_t));
			rec[R] = b->keys[i];
			br->n++;
		}
	}
	b->n = 0;
	b->arena_len = 0;
}

static int u128_cmp(const void *pa, const void *pb)
{
	const uint64_t *a = pa, *b = pb;
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return a[1] < b[1] ? -1 : a[1] > b[1];
}

struct sort_ctx {
	struct bucket_recs *bk;
	int R;
};

static void sort_one(void *vctx, size_t k, int worker)
{
	(void)worker;
	struct sort_ctx *s = vctx;
	qsort(s->bk[k].v, s->bk[k].n, (size_t)(s->R + 1) * sizeof(uint64_t), rec_cmp);
}

int dd_signatures(struct dd_run *r, char *const *files, int n_files, uint32_t first, uint32_t step,
		  uint32_t total, const char *outdir)
{
	const int B = r->mh.cfg.num_buckets, R = r->mh.cfg.hashes_per_bucket, H = r->mh.n_hashes;
	struct llm_pool *pool = llm_pool_new(r->threads);
	int nw = llm_pool_threads(pool);
	struct sig_batch b = {0};
	b.r = r;
	b.off = llm_malloc(BATCH_DOCS * sizeof(size_t));
	b.len = llm_malloc(BATCH_DOCS * sizeof(size_t));
	b.keys = llm_malloc(BATCH_DOCS * sizeof(uint64_t));
	b.sigs = llm_malloc(BATCH_DOCS * (size_t)H * sizeof(uint64_t));
	b.has = llm_malloc(BATCH_DOCS);
	b.scratch = llm_calloc((size_t)nw, sizeof(*b.scratch));
	struct bucket_recs *bk = llm_calloc((size_t)B, sizeof(*bk));
	struct llm_dedup_files table = {0};
	uint64_t docs = 0, bytes = 0, with_sig = 0, bad = 0;
	uint64_t *idh = NULL; /* (id hash, key) pairs, to report repeated ids */
	size_t idn = 0, idcap = 0;
	int rc = -1;

	for (int f = 0; f < n_files; f++) {
		uint32_t gidx = first + (uint32_t)f * step;
		struct llm_jsonl_reader *jr = open_docs(r, files[f]);
		if (!jr)
			goto out;
		struct llm_doc d;
		int got;
		uint64_t di = 0;
		while ((got = llm_jsonl_next(jr, &d)) == 1) {
			if (di >= UINT32_MAX) {
				llm_jsonl_close(jr);
				llm_error("'%s': more than %u documents in one file; split it", files[f],
					  UINT32_MAX - 1);
				goto out;
			}
			if (b.n == BATCH_DOCS || (b.arena_len + d.text_len > BATCH_BYTES && b.n))
				batch_flush(&b, pool, bk, &with_sig);
			if (b.arena_len + d.text_len + 1 > b.arena_cap) {
				b.arena_cap = LLM_MAX(b.arena_cap * 2, b.arena_len + d.text_len + 1);
				b.arena = llm_realloc(b.arena, b.arena_cap);
			}
			memcpy(b.arena + b.arena_len, d.text, d.text_len);
			b.off[b.n] = b.arena_len;
			b.len[b.n] = d.text_len;
			b.keys[b.n] = LLM_DEDUP_KEY(gidx, di);
			b.arena_len += d.text_len;
			b.n++;
			if (idn == idcap) {
				idcap = idcap ? idcap * 2 : 1024;
				idh = llm_realloc(idh, idcap * 2 * sizeof(uint64_t));
			}
			idh[2 * idn] = llm_ngram_hash(d.id ? d.id : "", d.id ? strlen(d.id) : 0);
			idh[2 * idn + 1] = LLM_DEDUP_KEY(gidx, di);
			idn++;
			di++;
			bytes += d.text_len;
		}
		bad += llm_jsonl_bad(jr);
		uint64_t fbytes = (uint64_t)llm_file_size(files[f]);
		llm_jsonl_close(jr);
		if (got < 0)
			goto out;
		llm_dedup_files_add(&table, gidx, di, fbytes, files[f]);
		docs += di;
	}
	if (b.n)
		batch_flush(&b, pool, bk, &with_sig);

	struct sort_ctx sc = {bk, R};
	rec_R = R;
	llm_pool_for(pool, (size_t)B, sort_one, &sc);
	if (llm_mkdir_p(outdir) != 0) {
		llm_error_errno("cannot create '%s'", outdir);
		goto out;
	}
	for (int k = 0; k < B; k++) {
		char name[32];
		snprintf(name, sizeof(name), "bucket-%03d.sig", k);
		char *p = llm_path_join(outdir, name);
		struct llm_dedup_writer *w = llm_dedup_writer_open(p, LLM_DEDUP_MAGIC_SIG, (uint32_t)k,
								   r->cfg_hash, r->cfg_desc,
								   (uint32_t)(R + 1) * 8);
		free(p);
		if (!w)
			goto out;
		if (llm_dedup_write(w, bk[k].v, bk[k].n * (size_t)(R + 1) * sizeof(uint64_t)) != 0 ||
		    llm_dedup_writer_commit(w) != 0) {
			goto out;
		}
	}
	char *dp = llm_path_join(outdir, "docs.bin");
	int wrc = llm_dedup_files_write(&table, total, dp, r->cfg_hash, r->cfg_desc);
	free(dp);
	if (wrc != 0)
		goto out;
	/* documents are named by position, so repeated ids change nothing but
	 * deserve a warning: they usually mean a corpus was concatenated twice */
	qsort(idh, idn, 2 * sizeof(uint64_t), u128_cmp);
	uint64_t dup_ids = 0;
	for (size_t i = 1; i < idn; i++)
		if (idh[2 * i] == idh[2 * i - 2]) {
			if (!dup_ids)
				llm_warn("'%s' document #%u has the same id as '%s' document #%u; documents are "
					 "identified by position, ids are only reported",
					 files[(LLM_DEDUP_KEY_FILE(idh[2 * i + 1]) - first) / step],
					 LLM_DEDUP_KEY_DOC(idh[2 * i + 1]),
					 files[(LLM_DEDUP_KEY_FILE(idh[2 * i - 1]) - first) / step],
					 LLM_DEDUP_KEY_DOC(idh[2 * i - 1]));
			dup_ids++;
		}
	if (dup_ids)
		count(r, "duplicate_ids", (int64_t)dup_ids);
	count(r, "documents_in", (int64_t)docs);
	count(r, "documents_with_signature", (int64_t)with_sig);
	count(r, "documents_too_short", (int64_t)(docs - with_sig));
	count(r, "bytes_in", (int64_t)bytes);
	if (bad)
		count(r, "dropped_bad_record", (int64_t)bad);
	rc = 0;
out:
	for (int k = 0; k < B; k++)
		free(bk[k].v);
	free(bk);
	for (int i = 0; i < nw; i++)
		llm_ngram_scratch_free(&b.scratch[i]);
	free(b.scratch);
	free(b.arena);
	free(b.off);
	free(b.len);
	free(b.keys);
	free(b.sigs);
	free(b.has);
	llm_dedup_files_free(&table);
	llm_pool_free(pool);
	free(idh);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* phase 2: buckets                                                          */

/* Bucket index from "bucket-BBB.sig"/"bucket-BBB.pairs", or -1. */
static int bucket_of(const char *path, const char *ext)
{
	const char *b = llm_basename(path);
	int k;
	char tail[16];
	if (sscanf(b, "bucket-%d%15s", &k, tail) != 2 || strcmp(tail, ext) != 0)
		return -1;
	return k;
}

/* Reads every docs.bin among inputs, merges them into one complete table. */
static int gather_tables(struct dd_run *r, char *const *inputs, int n, struct llm_dedup_files *all,
			 int *n_tables, const char *what, bool same)
{
	memset(all, 0, sizeof(*all));
	*n_tables = 0;
	uint64_t first_hash = 0;
	uint32_t total = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(llm_basename(inputs[i]), "docs.bin") != 0)
			continue;
		struct llm_dedup_files t;
		uint32_t tot;
		if (llm_dedup_files_read(&t, &tot, inputs[i], r->cfg_hash, r->cfg_desc) != 0)
			return -1;
		if (*n_tables == 0) {
			total = tot;
		} else if (tot != total) {
			llm_dedup_files_free(&t);
			return llm_error("'%s': written for %u input files, another input says %u; hint: "
					 "outputs of different runs were mixed", inputs[i], tot, total);
		}
		if (same) {
			uint64_t h = llm_dedup_files_hash(&t);
			if (*n_tables == 0) {
				first_hash = h;
				for (uint32_t j = 0; j < t.n; j++)
					llm_dedup_files_add(all, t.v[j].index, t.v[j].n_docs, t.v[j].n_bytes,
							    t.v[j].path);
			} else if (h != first_hash) {
				llm_dedup_files_free(&t);
				return llm_error("'%s': file table differs from the other %s inputs; hint: "
						 "pair files from different runs were mixed", inputs[i], what);
			}
		} else {
			for (uint32_t j = 0; j < t.n; j++)
				llm_dedup_files_add(all, t.v[j].index, t.v[j].n_docs, t.v[j].n_bytes,
						    t.v[j].path);
		}
		llm_dedup_files_free(&t);
		(*n_tables)++;
	}
	if (*n_tables == 0)
		return llm_error("%s: no docs.bin among the inputs; hint: pass the directories the "
				 "previous phase wrote", what);
	if (llm_dedup_files_check(all, false, what) != 0)
		return -1;
	for (uint32_t i = 0; i <= all->n; i++)
		if (i < total && (i == all->n || all->v[i].index != i))
			return llm_error("%s: input file #%u of %u is missing; hint: a signatures shard "
					 "is missing or did not finish", what, i, total);
	return all->n == total ? 0 : llm_error("%s: file table has %u files, expected %u", what, all->n, total);
}

struct sig_src {
	struct llm_dedup_reader rd;
	uint64_t *rec;
	bool live;
};

static int src_less(const struct sig_src *a, const struct sig_src *b, int R)
{
	for (int k = 0; k <= R; k++)
		if (a->rec[k] != b->rec[k])
			return a->rec[k] < b->rec[k];
	return 0;
}

static void heap_down(struct sig_src **h, int n, int i, int R)
{
	for (;;) {
		int l = 2 * i + 1, m = i;
		if (l < n && src_less(h[l], h[m], R))
			m = l;
		if (l + 1 < n && src_less(h[l + 1], h[m], R))
			m = l + 1;
		if (m == i)
			return;
		struct sig_src *t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int merge_bucket(struct dd_run *r, int k, char **paths, int np, const char *outdir,
			uint64_t *pairs_out, const struct llm_dedup_files *table)
{
	const int R = r->mh.cfg.hashes_per_bucket;
	const size_t rs = (size_t)(R + 1) * 8;
	struct sig_src *src = llm_calloc((size_t)np, sizeof(*src));
	struct sig_src **heap = llm_calloc((size_t)np, sizeof(*heap));
	int hn = 0, rc = -1;
	uint64_t *prev = llm_malloc(rs);
	bool have_prev = false;
	char name[32];
	snprintf(name, sizeof(name), "bucket-%03d.pairs", k);
	char *op = llm_path_join(outdir, name);
	struct llm_dedup_writer *w =
		llm_dedup_writer_open(op, LLM_DEDUP_MAGIC_PAR, (uint32_t)k, r->cfg_hash, r->cfg_desc, 16);
	if (!w)
		goto out;
	for (int i = 0; i < np; i++) {
		if (llm_dedup_reader_open(&src[i].rd, paths[i], LLM_DEDUP_MAGIC_SIG, r->cfg_hash,
					  r->cfg_desc) != 0)
			goto out;
		if (src[i].rd.h.aux != (uint32_t)k || src[i].rd.h.record_size != rs) {
			llm_error("'%s': header says bucket %u with %u-byte records, expected bucket %d with "
				  "%zu", paths[i], src[i].rd.h.aux, src[i].rd.h.record_size, k, rs);
			goto out;
		}
		src[i].rec = llm_malloc(rs);
		int g = llm_dedup_read(&src[i].rd, src[i].rec, rs);
		if (g < 0)
			goto out;
		src[i].live = g == 1;
		if (src[i].live)
			heap[hn++] = &src[i];
	}
	for (int i = hn / 2 - 1; i >= 0; i--)
		heap_down(heap, hn, i, R);
	uint64_t npairs = 0;
	while (hn) {
		struct sig_src *s = heap[0];
		uint64_t *cur = s->rec;
		if (have_prev) {
			int c = 0;
			for (int j = 0; j <= R && !c; j++)
				if (prev[j] != cur[j])
					c = prev[j] < cur[j] ? -1 : 1;
			if (c > 0) {
				llm_error("'%s': records out of order near byte %llu; the file is not a sorted "
					  "signature file", s->rd.path,
					  (unsigned long long)(s->rd.h.payload_bytes - s->rd.left));
				goto out;
			}
			if (memcmp(prev, cur, (size_t)R * 8) == 0) {
				uint64_t pr[2] = {prev[R], cur[R]};
				if (llm_dedup_write(w, pr, 16) != 0)
					goto out;
				npairs++;
			}
		}
		uint32_t fi = LLM_DEDUP_KEY_FILE(cur[R]);
		if (fi >= table->n || LLM_DEDUP_KEY_DOC(cur[R]) >= table->v[fi].n_docs) {
			llm_error("'%s': document key %u:%u is not in the file table", s->rd.path, fi,
				  LLM_DEDUP_KEY_DOC(cur[R]));
			goto out;
		}
		memcpy(prev, cur, rs);
		have_prev = true;
		int g = llm_dedup_read(&s->rd, s->rec, rs);
		if (g < 0)
			goto out;
		if (g == 0)
			heap[0] = heap[--hn];
		heap_down(heap, hn, 0, R);
	}
	if (llm_dedup_writer_commit(w) != 0) {
		w = NULL;
		goto out;
	}
	w = NULL;
	*pairs_out = npairs;
	rc = 0;
out:
	if (w)
		llm_dedup_writer_abort(w);
	for (int i = 0; i < np; i++) {
		llm_dedup_reader_close(&src[i].rd);
		free(src[i].rec);
	}
	free(src);
	free(heap);
	free(prev);
	free(op);
	return rc;
}

int dd_buckets(struct dd_run *r, char *const *inputs, int n_inputs, int shard_i, int shard_n,
	       const char *outdir)
{
	const int B = r->mh.cfg.num_buckets;
	struct llm_dedup_files table;
	int n_tables;
	if (gather_tables(r, inputs, n_inputs, &table, &n_tables, "buckets", false) != 0)
		return -1;
	int rc = -1;
	char ***per = llm_calloc((size_t)B, sizeof(*per));
	int *cnt = llm_calloc((size_t)B, sizeof(int));
	for (int i = 0; i < n_inputs; i++) {
		int k = bucket_of(inputs[i], ".sig");
		if (k < 0)
			continue;
		if (k >= B) {
			llm_error("'%s': bucket %d, but minhash.num_buckets is %d", inputs[i], k, B);
			goto out;
		}
		per[k] = llm_realloc(per[k], (size_t)(cnt[k] + 1) * sizeof(char *));
		per[k][cnt[k]++] = inputs[i];
	}
	if (llm_mkdir_p(outdir) != 0) {
		llm_error_errno("cannot create '%s'", outdir);
		goto out;
	}
	uint64_t total = 0;
	for (int k = 0; k < B; k++) {
		if (k % shard_n != shard_i)
			continue;
		if (cnt[k] != n_tables) {
			llm_error("buckets: bucket %d has %d signature files but there are %d shards "
				  "(docs.bin); hint: a signatures run did not finish", k, cnt[k], n_tables);
			goto out;
		}
		uint64_t np = 0;
		if (merge_bucket(r, k, per[k], cnt[k], outdir, &np, &table) != 0)
			goto out;
		total += np;
	}
	char *dp = llm_path_join(outdir, "docs.bin");
	int wrc = llm_dedup_files_write(&table, table.n, dp, r->cfg_hash, r->cfg_desc);
	free(dp);
	if (wrc != 0)
		goto out;
	count(r, "duplicate_pairs", (int64_t)total);
	rc = 0;
out:
	for (int k = 0; k < B; k++)
		free(per[k]);
	free(per);
	free(cnt);
	llm_dedup_files_free(&table);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* phase 3: cluster                                                          */

static cJSON *histogram(const uint32_t *sizes, const uint32_t *parent, uint64_t n, uint64_t *clusters)
{
	/* exact sizes up to 16, then power-of-two ranges */
	uint64_t exact[17] = {0}, pow2[33] = {0};
	*clusters = 0;
	for (uint64_t x = 0; x < n; x++) {
		if (parent[x] != x || sizes[x] < 2)
			continue;
		(*clusters)++;
		uint32_t s = sizes[x];
		if (s <= 16) {
			exact[s]++;
		} else {
			int p = 0;
			while (((uint64_t)1 << p) < s)
				p++;
			pow2[p]++;
		}
	}
	cJSON *h = cJSON_CreateObject();
	for (int s = 2; s <= 16; s++)
		if (exact[s]) {
			char k[16];
			snprintf(k, sizeof(k), "%d", s);
			cJSON_AddNumberToObject(h, k, (double)exact[s]);
		}
	for (int p = 5; p <= 32; p++)
		if (pow2[p]) {
			char k[48];
			snprintf(k, sizeof(k), "%llu-%llu", (unsigned long long)((1ull << (p - 1)) + 1),
				 (unsigned long long)(1ull << p));
			cJSON_AddNumberToObject(h, k, (double)pow2[p]);
		}
	return h;
}

static uint32_t dense_key(const uint64_t *off, const struct llm_dedup_files *t, uint64_t key,
			  const char *path, int *bad)
{
	uint32_t f = LLM_DEDUP_KEY_FILE(key), d = LLM_DEDUP_KEY_DOC(key);
	if (f >= t->n || d >= t->v[f].n_docs) {
		if (!*bad)
			llm_error("'%s': pair names document %u of file #%u, which the file table does not "
				  "have; the pair file does not belong to these signatures", path, d, f);
		*bad = 1;
		return 0;
	}
	return (uint32_t)(off[f] + d);
}

static uint64_t key_of(const uint64_t *off, uint32_t nf, uint64_t x)
{
	uint32_t lo = 0, hi = nf;
	while (hi - lo > 1) {
		uint32_t mid = (lo + hi) / 2;
		if (off[mid] <= x)
			lo = mid;
		else
			hi = mid;
	}
	return LLM_DEDUP_KEY(lo, x - off[lo]);
}

int dd_cluster(struct dd_run *r, char *const *inputs, int n_inputs, bool keep_first,
	       const char *outdir, const char *pairs_path)
{
	const int B = r->mh.cfg.num_buckets;
	struct llm_dedup_files table;
	int n_tables;
	if (gather_tables(r, inputs, n_inputs, &table, &n_tables, "cluster", true) != 0)
		return -1;
	int rc = -1;
	struct llm_uf uf = {0};
	const char **bpath = llm_calloc((size_t)B, sizeof(char *));
	uint64_t *off = llm_malloc(((size_t)table.n + 1) * sizeof(uint64_t));
	off[0] = 0;
	for (uint32_t i = 0; i < table.n; i++)
		off[i + 1] = off[i] + table.v[i].n_docs;
	uint64_t N = off[table.n];
	for (int i = 0; i < n_inputs; i++) {
		int k = bucket_of(inputs[i], ".pairs");
		if (k < 0)
			continue;
		if (k >= B) {
			llm_error("'%s': bucket %d, but minhash.num_buckets is %d", inputs[i], k, B);
			goto out;
		}
		if (bpath[k]) {
			llm_error("cluster: bucket %d given twice ('%s' and '%s')", k, bpath[k], inputs[i]);
			goto out;
		}
		bpath[k] = inputs[i];
	}
	for (int k = 0; k < B; k++)
		if (!bpath[k]) {
			llm_error("cluster: no pair file for bucket %d (bucket-%03d.pairs); hint: run "
				  "'llmake-dedup buckets' for every bucket", k, k);
			goto out;
		}
	if (llm_uf_init(&uf, N) != 0)
		goto out;
	uint64_t pairs = 0;
	for (int k = 0; k < B; k++) {
		struct llm_dedup_reader rd;
		if (llm_dedup_reader_open(&rd, bpath[k], LLM_DEDUP_MAGIC_PAR, r->cfg_hash, r->cfg_desc) != 0)
			goto out;
		if (rd.h.aux != (uint32_t)k || rd.h.record_size != 16) {
			llm_error("'%s': header says bucket %u, file name says %d", bpath[k], rd.h.aux, k);
			llm_dedup_reader_close(&rd);
			goto out;
		}
		uint64_t buf[2 * 4096];
		int bad = 0;
		for (;;) {
			size_t want = rd.left < sizeof(buf) ? (size_t)rd.left : sizeof(buf);
			if (want == 0)
				break;
			if (want % 16 || llm_dedup_read(&rd, buf, want) != 1) {
				if (want % 16)
					llm_error("'%s': payload is not a whole number of pairs", bpath[k]);
				llm_dedup_reader_close(&rd);
				goto out;
			}
			for (size_t j = 0; j < want / 8; j += 2) {
				uint32_t a = dense_key(off, &table, buf[j], bpath[k], &bad);
				uint32_t b = dense_key(off, &table, buf[j + 1], bpath[k], &bad);
				if (bad)
					break;
				llm_uf_union(&uf, a, b);
			}
			if (bad) {
				llm_dedup_reader_close(&rd);
				goto out;
			}
			pairs += want / 16;
		}
		int frc = llm_dedup_reader_finish(&rd);
		llm_dedup_reader_close(&rd);
		if (frc != 0)
			goto out;
	}
	/* flatten so parent[x] is the root; sizes of roots stay valid */
	for (uint64_t x = 0; x < N; x++)
		uf.parent[x] = llm_uf_find(&uf, (uint32_t)x);
	uint64_t clusters;
	cJSON *hist = histogram(uf.size, uf.parent, N, &clusters);
	if (keep_first) {
		/* reuse size[] as "smallest member" of each root */
		for (uint64_t x = 0; x < N; x++)
			if (uf.parent[x] == x)
				uf.size[x] = (uint32_t)x;
		for (uint64_t x = 0; x < N; x++)
			if (uf.size[uf.parent[x]] > x)
				uf.size[uf.parent[x]] = (uint32_t)x;
	}
	if (llm_mkdir_p(outdir) != 0) {
		cJSON_Delete(hist);
		llm_error_errno("cannot create '%s'", outdir);
		goto out;
	}
	char *rp = llm_path_join(outdir, "remove.bin");
	struct llm_dedup_writer *w =
		llm_dedup_writer_open(rp, LLM_DEDUP_MAGIC_REM, 0, r->cfg_hash, r->cfg_desc, 8);
	free(rp);
	struct llm_dedup_writer *kw = NULL;
	if (w && pairs_path) {
		kw = llm_dedup_writer_open(pairs_path, LLM_DEDUP_MAGIC_KRP, 0, r->cfg_hash, r->cfg_desc, 16);
		if (kw) {
			char *tb;
			size_t tn;
			llm_dedup_files_encode(&table, &tb, &tn);
			llm_dedup_write(kw, tb, tn);
			free(tb);
		}
	}
	if (!w || (pairs_path && !kw)) {
		cJSON_Delete(hist);
		llm_dedup_writer_abort(w);
		goto out;
	}
	uint64_t removed = 0;
	int werr = 0;
	for (uint64_t x = 0; x < N && !werr; x++) {
		uint32_t root = uf.parent[x];
		uint32_t keep = keep_first ? uf.size[root] : root;
		if (keep == x)
			continue;
		uint64_t key = key_of(off, table.n, x);
		werr |= llm_dedup_write(w, &key, 8);
		if (kw) {
			uint64_t pr[2] = {key_of(off, table.n, keep), key};
			werr |= llm_dedup_write(kw, pr, 16);
			llm_dedup_writer_add_records(kw, 1);
		}
		removed++;
	}
	if (werr || llm_dedup_writer_commit(w) != 0 || (kw && llm_dedup_writer_commit(kw) != 0)) {
		cJSON_Delete(hist);
		goto out;
	}
	char *dp = llm_path_join(outdir, "docs.bin");
	int wrc = llm_dedup_files_write(&table, table.n, dp, r->cfg_hash, r->cfg_desc);
	free(dp);
	if (wrc != 0) {
		cJSON_Delete(hist);
		goto out;
	}
	count(r, "documents_in", (int64_t)N - (r->manifest ? llm_manifest_get_count(r->manifest, "documents_in") : 0));
	count(r, "documents_removed", (int64_t)removed);
	count(r, "documents_out", (int64_t)(N - removed));
	count(r, "pairs_read", (int64_t)pairs);
	count(r, "clusters", (int64_t)clusters);
	if (r->manifest) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddNumberToObject(d, "documents_in", (double)N);
		cJSON_AddNumberToObject(d, "documents_out", (double)(N - removed));
		cJSON_AddNumberToObject(d, "documents_removed", (double)removed);
		cJSON_AddNumberToObject(d, "duplicate_rate", N ? (double)removed / (double)N : 0.0);
		cJSON_AddNumberToObject(d, "clusters", (double)clusters);
		cJSON_AddStringToObject(d, "keep", keep_first ? "first" : "datatrove");
		cJSON_AddItemToObject(d, "cluster_size_histogram", hist);
		cJSON_AddStringToObject(d, "minhash", r->cfg_desc);
		cJSON_AddNumberToObject(d, "union_find_bytes_per_document", 8);
		if (pairs_path)
			cJSON_AddStringToObject(d, "pairs_file", pairs_path);
		llm_manifest_set(r->manifest, "dedup", d);
	} else {
		cJSON_Delete(hist);
	}
	rc = 0;
out:
	llm_uf_free(&uf);
	free(bpath);
	free(off);
	llm_dedup_files_free(&table);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* phase 4: filter                                                           */

enum dd_compress dd_compress_parse(const char *s)
{
	if (s && strcmp(s, "gzip") == 0)
		return DD_COMPRESS_GZIP;
	if (s && strcmp(s, "none") == 0)
		return DD_COMPRESS_NONE;
	return DD_COMPRESS_AUTO;
}

char *dd_output_path(const char *outdir, const char *input, enum dd_compress comp)
{
	const char *b = strcmp(input, "-") == 0 ? "stdin.jsonl" : llm_basename(input);
	char *name = llm_strdup(b);
	size_t n = strlen(name);
	bool gz = n > 3 && strcmp(name + n - 3, ".gz") == 0;
	if (comp == DD_COMPRESS_NONE && gz)
		name[n - 3] = 0;
	char *full = comp == DD_COMPRESS_GZIP && !gz ? llm_asprintf("%s.gz", name) : llm_strdup(name);
	free(name);
	char *p = llm_path_join(outdir, full);
	free(full);
	return p;
}

int dd_check_output_names(char *const *files, int n, enum dd_compress comp)
{
	struct llm_strv names = {0};
	for (int i = 0; i < n; i++) {
		char *p = dd_output_path("", files[i], comp);
		llm_strv_push(&names, p);
		free(p);
	}
	llm_strv_sort(&names);
	int rc = 0;
	for (int i = 1; i < names.n; i++)
		if (strcmp(names.v[i], names.v[i - 1]) == 0) {
			rc = llm_error("two inputs would both be written as '%s'; hint: give input files "
				       "distinct names", names.v[i]);
			break;
		}
	llm_strv_free(&names);
	return rc;
}

struct filt_ctx {
	struct dd_run *r;
	char *const *files;
	uint32_t first, step;
	const uint64_t *removed;
	uint64_t n_removed;
	const struct llm_dedup_files *table;
	const char *outdir;
	enum dd_compress comp;
	uint64_t *in, *out;
	char **outpaths;
	int *rc;
};

static void filt_one(void *vctx, size_t i, int worker)
{
	(void)worker;
	struct filt_ctx *c = vctx;
	uint32_t g = c->first + (uint32_t)i * c->step;
	const char *path = c->files[i];
	c->rc[i] = -1;
	if (c->table) {
		const struct llm_dedup_file *tf = g < c->table->n ? &c->table->v[g] : NULL;
		if (!tf || strcmp(llm_basename(tf->path), llm_basename(path)) != 0 ||
		    tf->n_bytes != (uint64_t)llm_file_size(path)) {
			llm_error("'%s' is input file #%u here, but the removal list was computed with %s%s "
				  "(%llu bytes); hint: pass the same inputs in the same order (and the same "
				  "--shard) as to 'signatures'", path, g, tf ? "'" : "no such file",
				  tf ? tf->path : "", tf ? (unsigned long long)tf->n_bytes : 0ull);
			return;
		}
	}
	/* removed keys of this file form one ascending run */
	uint64_t lo = 0, hi = c->n_removed, start = LLM_DEDUP_KEY(g, 0);
	while (lo < hi) {
		uint64_t mid = (lo + hi) / 2;
		if (c->removed[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint64_t ri = lo;
	struct llm_jsonl_reader *jr = open_docs(c->r, path);
	if (!jr)
		return;
	char *op = dd_output_path(c->outdir, path, c->comp);
	struct llm_jsonl_writer *w = llm_jsonl_writer_open(op);
	if (!w) {
		free(op);
		llm_jsonl_close(jr);
		return;
	}
	struct llm_doc d;
	int got;
	uint64_t di = 0, kept = 0;
	while ((got = llm_jsonl_next(jr, &d)) == 1) {
		uint64_t key = LLM_DEDUP_KEY(g, di);
		di++;
		if (ri < c->n_removed && c->removed[ri] == key) {
			ri++;
			continue;
		}
		if (llm_jsonl_write(w, d.json) != 0) {
			got = -1;
			break;
		}
		kept++;
	}
	llm_jsonl_close(jr);
	if (got < 0) {
		llm_jsonl_writer_abort(w);
		free(op);
		return;
	}
	if (c->table && di != c->table->v[g].n_docs) {
		llm_error("'%s': %llu documents now, %llu when signatures were computed; hint: the file "
			  "changed, or --skip-bad differs between phases", path, (unsigned long long)di,
			  (unsigned long long)c->table->v[g].n_docs);
		llm_jsonl_writer_abort(w);
		free(op);
		return;
	}
	if (llm_jsonl_writer_commit(w) != 0) {
		free(op);
		return;
	}
	c->in[i] = di;
	c->out[i] = kept;
	c->outpaths[i] = op;
	c->rc[i] = 0;
}

int dd_filter(struct dd_run *r, char *const *files, int n_files, uint32_t first, uint32_t step,
	      const uint64_t *removed, uint64_t n_removed, const struct llm_dedup_files *table,
	      const char *outdir, enum dd_compress comp, struct llm_manifest *outputs_to)
{
	if (dd_check_output_names(files, n_files, comp) != 0)
		return -1;
	if (llm_mkdir_p(outdir) != 0)
		return llm_error_errno("cannot create '%s'", outdir);
	struct filt_ctx c = {r, files, first, step, removed, n_removed, table, outdir, comp, NULL, NULL,
			     NULL, NULL};
	c.in = llm_calloc((size_t)n_files + 1, sizeof(uint64_t));
	c.out = llm_calloc((size_t)n_files + 1, sizeof(uint64_t));
	c.outpaths = llm_calloc((size_t)n_files + 1, sizeof(char *));
	c.rc = llm_calloc((size_t)n_files + 1, sizeof(int));
	struct llm_pool *pool = llm_pool_new(r->threads);
	llm_pool_for(pool, (size_t)n_files, filt_one, &c);
	llm_pool_free(pool);
	int rc = 0;
	uint64_t tin = 0, tout = 0;
	for (int i = 0; i < n_files; i++) {
		if (c.rc[i] != 0)
			rc = -1;
		tin += c.in[i];
		tout += c.out[i];
		if (c.outpaths[i] && outputs_to)
			llm_manifest_add_output(outputs_to, c.outpaths[i]);
		free(c.outpaths[i]);
	}
	if (rc == 0) {
		count(r, "filter_documents_in", (int64_t)tin);
		count(r, "filter_documents_out", (int64_t)tout);
		count(r, "filter_documents_removed", (int64_t)(tin - tout));
	}
	free(c.in);
	free(c.out);
	free(c.outpaths);
	free(c.rc);
	return rc;
}

int dd_load_removal(struct dd_run *r, const char *path, uint64_t **keys, uint64_t *n,
		    struct llm_dedup_files *table)
{
	char *rp = llm_is_dir(path) ? llm_path_join(path, "remove.bin") : llm_strdup(path);
	char *dir = llm_strdup(rp);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = 0;
	char *dp = slash ? llm_path_join(dir, "docs.bin") : llm_strdup("docs.bin");
	free(dir);
	int rc = -1;
	struct llm_dedup_reader rd;
	uint32_t tot;
	if (llm_dedup_files_read(table, &tot, dp, r->cfg_hash, r->cfg_desc) != 0)
		goto out;
	if (llm_dedup_files_check(table, true, dp) != 0)
		goto out;
	if (llm_dedup_reader_open(&rd, rp, LLM_DEDUP_MAGIC_REM, r->cfg_hash, r->cfg_desc) != 0)
		goto out;
	void *b;
	size_t len;
	int g = llm_dedup_read_all(&rd, &b, &len);
	llm_dedup_reader_close(&rd);
	if (g != 0)
		goto out;
	*keys = b;
	*n = len / 8;
	for (uint64_t i = 1; i < *n; i++)
		if ((*keys)[i] <= (*keys)[i - 1]) {
			llm_error("'%s': keys not ascending at record %llu", rp, (unsigned long long)i);
			free(b);
			goto out;
		}
	rc = 0;
out:
	free(rp);
	free(dp);
	return rc;
}
