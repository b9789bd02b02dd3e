/*
 * gen_pairs.c: writes a synthetic duplicate-pair graph in llmake-dedup's
 * pair-file layout (lib/dedup.h), for benchmarking the cluster phase:
 *   gen_pairs OUTDIR N_DOCS N_PAIRS [FILES]
 * Documents are spread over FILES input files (default 100).  Clusters of
 * geometric size (mean 4, plus one cluster of 50,000 in every 100,000) take
 * members at pseudo-random positions among all documents; each of the 14
 * buckets emits the chain of pairs a sorted bucket would, each pair present
 * with probability 0.9 (bands miss), until N_PAIRS pairs are written.
 * Built and run by bench/dedup/run.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "files.h"
#include "minhash.h"
#include "util.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: gen_pairs OUTDIR N_DOCS N_PAIRS [FILES]\n");
		return 2;
	}
	const char *dir = argv[1];
	uint64_t n = strtoull(argv[2], NULL, 10), np = strtoull(argv[3], NULL, 10);
	uint32_t nf = argc > 4 ? (uint32_t)atoi(argv[4]) : 100;
	uint64_t per = (n + nf - 1) / nf;
	struct llm_minhash_cfg c;
	llm_minhash_cfg_defaults(&c);
	uint64_t ch = llm_minhash_cfg_hash(&c);
	char desc[64];
	llm_minhash_cfg_describe(&c, desc, sizeof(desc));
	struct llm_dedup_files t = {0};
	for (uint32_t f = 0; f < nf; f++) {
		char name[32];
		snprintf(name, sizeof(name), "synthetic-%05u.jsonl", f);
		uint64_t cnt = f + 1 < nf ? per : n - per * (nf - 1);
		llm_dedup_files_add(&t, f, cnt, 0, name);
	}
	char *dp = llm_path_join(dir, "docs.bin");
	if (llm_dedup_files_write(&t, nf, dp, ch, desc) != 0)
		return 1;
	free(dp);
	/* pairs per bucket ~= 0.9 * (members - clusters); mean size 4 */
	uint64_t want = np / 14 + 1;
	for (int b = 0; b < 14; b++) {
		char name[32];
		snprintf(name, sizeof(name), "bucket-%03d.pairs", b);
		char *p = llm_path_join(dir, name);
		struct llm_dedup_writer *w = llm_dedup_writer_open(p, LLM_DEDUP_MAGIC_PAR, (uint32_t)b, ch, desc, 16);
		free(p);
		if (!w)
			return 1;
		uint64_t cnt = np / 14 + ((uint64_t)b < np % 14), got = 0;
		uint64_t buf[2 * 4096];
		size_t k = 0;
		for (uint64_t cl = 0; got < cnt; cl++) {
			rng_state = cl * 0x2545f4914f6cdd1dull + 1;
			uint64_t sz = 2;
			while (sz < 64 && rnd() % 3 != 0)
				sz++;
			if (cl % 100000 == 99999)
				sz = 50000;
			uint64_t prev = rnd() % n;
			rng_state ^= (uint64_t)(b + 1) << 40; /* which bands miss differs per bucket */
			for (uint64_t j = 1; j < sz && got < cnt; j++) {
				uint64_t saved = rng_state;
				rng_state = (cl * 0x9e3779b97f4a7c15ull) ^ (j * 0xbf58476d1ce4e5b9ull);
				uint64_t cur = rnd() % n;
				rng_state = saved;
				if (rnd() % 10 == 0) {
					prev = cur;
					continue;
				}
				buf[k++] = LLM_DEDUP_KEY(prev / per, prev % per);
				buf[k++] = LLM_DEDUP_KEY(cur / per, cur % per);
				got++;
				prev = cur;
				if (k == sizeof(buf) / 8) {
					llm_dedup_write(w, buf, k * 8);
					k = 0;
				}
			}
		}
		(void)want;
		llm_dedup_write(w, buf, k * 8);
		if (llm_dedup_writer_commit(w) != 0)
			return 1;
	}
	llm_dedup_files_free(&t);
	return 0;
}
