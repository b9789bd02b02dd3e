/* Unit tests for lib/shard.c and lib/shard_inspect.c: the llm.c token
 * shard format, its document index, and refusal of corrupt files. */
#include "testutil.h"

#include "shard.h"

static char *write_shard(const char *dir, const char *name, uint32_t n_vocab, const uint32_t *ids,
			 const size_t *doc_len, size_t n_docs)
{
	char *p = llm_asprintf("%s/%s", dir, name);
	struct llm_shard_writer *w = llm_shard_writer_open(p, n_vocab, 0);
	assert_non_null(w);
	size_t off = 0;
	for (size_t d = 0; d < n_docs; d++) {
		assert_int_equal(llm_shard_writer_add(w, ids + off, doc_len[d]), 0);
		off += doc_len[d];
	}
	assert_int_equal(llm_shard_writer_tokens(w), off);
	assert_int_equal(llm_shard_writer_commit(w), 0);
	return p;
}

static void test_roundtrip_u16_u32(void **state)
{
	(void)state;
	char *d = tu_tmpdir();
	uint32_t ids[] = {0, 5, 6, 7, 0, 65535, 1, 0, 9};
	size_t docs[] = {4, 3, 2};
	for (int wide = 0; wide < 2; wide++) {
		uint32_t nv = wide ? 100277 : 50257;
		uint32_t in[9];
		memcpy(in, ids, sizeof(in));
		if (wide)
			in[5] = 100000;
		char *p = write_shard(d, wide ? "w.bin" : "n.bin", nv, in, docs, 3);
		struct llm_shard s;
		assert_int_equal(llm_shard_open(&s, p), 0);
		assert_int_equal(s.width, wide ? 4 : 2);
		assert_int_equal(s.n_tokens, 9);
		assert_int_equal(s.n_vocab, nv);
		assert_int_equal(s.eot, 0);
		assert_int_equal(s.n_docs, 3);
		assert_int_equal(s.ends[0], 4);
		assert_int_equal(s.ends[2], 9);
		uint32_t out[9];
		llm_shard_read(&s, 0, 9, out);
		assert_memory_equal(out, in, sizeof(in));
		assert_int_equal(llm_shard_token(&s, 5), in[5]);
		/* llm.c header fields, byte for byte */
		size_t n;
		char *raw = tu_read(p, &n);
		int32_t h[3];
		memcpy(h, raw, sizeof(h));
		assert_int_equal(h[0], wide ? 20240801 : 20240520);
		assert_int_equal(h[1], wide ? 7 : 1);
		assert_int_equal(h[2], 9);
		assert_int_equal(n, 1024 + 9 * (wide ? 4 : 2));
		free(raw);
		llm_shard_close(&s);
		free(p);
	}
	tu_rmdir(d);
}

static void test_id_too_big_for_u16(void **state)
{
	(void)state;
	char *d = tu_tmpdir();
	char *p = llm_asprintf("%s/x.bin", d);
	struct llm_shard_writer *w = llm_shard_writer_open(p, 50257, 50256);
	uint32_t bad[] = {50256, 70000};
	assert_int_equal(llm_shard_writer_add(w, bad, 2), -1);
	llm_shard_writer_abort(w);
	assert_int_equal(access(p, F_OK), -1); /* nothing left behind */
	free(p);
	tu_rmdir(d);
}

struct open_arg {
	const char *path;
	int rc;
};

static void do_open(void *a)
{
	struct open_arg *o = a;
	struct llm_shard s;
	o->rc = llm_shard_open(&s, o->path);
	if (o->rc == 0)
		llm_shard_close(&s);
}

static void expect_refused(const char *path, const char *needle)
{
	struct open_arg a = {path, 0};
	char *err = tu_capture_stderr(do_open, &a);
	assert_int_equal(a.rc, -1);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
	free(err);
}

static void patch(const char *path, long off, const void *data, size_t n)
{
	FILE *f = fopen(path, "r+b");
	assert_non_null(f);
	fseek(f, off, SEEK_SET);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void test_corrupt_header_refused(void **state)
{
	(void)state;
	char *d = tu_tmpdir();
	uint32_t ids[] = {0, 1, 2, 3, 0, 4};
	size_t docs[] = {4, 2};
	char *p = write_shard(d, "s.bin", 50257, ids, docs, 2);
	char *idx = llm_shard_index_path(p);
	size_t n;
	char *good = tu_read(p, &n);
	char *good_idx;
	size_t ni;
	good_idx = tu_read(idx, &ni);

	int32_t v = 12345;
	patch(p, 0, &v, 4);
	expect_refused(p, "magic 12345");
	tu_write(p, good, n);
	v = 3;
	patch(p, 4, &v, 4);
	expect_refused(p, "version 3");
	tu_write(p, good, n);
	v = 7;
	patch(p, 8, &v, 4);
	expect_refused(p, "says 7 tokens");
	v = -5;
	patch(p, 8, &v, 4);
	expect_refused(p, "negative");
	tu_write(p, good, 1000);
	expect_refused(p, "shorter than the 1024-byte header");
	tu_write(p, good, n - 2);
	expect_refused(p, "truncated");
	tu_write(p, good, n);

	/* the index: magic, document ends, truncation */
	patch(idx, 0, "XXXXXXXX", 8);
	expect_refused(p, "bad magic");
	tu_write(idx, good_idx, ni);
	uint64_t e = 9;
	patch(idx, 32, &e, 8);
	expect_refused(p, "document 0 ends at 9");
	tu_write(idx, good_idx, ni - 8);
	expect_refused(p, "truncated");
	/* without an index it is a plain llm.c shard */
	unlink(idx);
	struct llm_shard s;
	assert_int_equal(llm_shard_open(&s, p), 0);
	assert_int_equal(s.n_docs, 0);
	assert_null(s.ends);
	llm_shard_close(&s);
	free(good);
	free(good_idx);
	free(idx);
	free(p);
	tu_rmdir(d);
}

static void quiet_open(void *a)
{
	do_open(a);
}

/* Random damage to the header and the index: every open either fails with
 * a message or yields a shard whose tokens and ends can all be read. */
static void test_random_damage(void **state)
{
	(void)state;
	char *d = tu_tmpdir();
	uint32_t ids[40];
	for (int i = 0; i < 40; i++)
		ids[i] = (uint32_t)(i * 37 % 50000);
	size_t docs[] = {10, 10, 20};
	char *p = write_shard(d, "s.bin", 50257, ids, docs, 3);
	char *idx = llm_shard_index_path(p);
	size_t n, ni;
	char *good = tu_read(p, &n), *good_idx = tu_read(idx, &ni);
	unsigned seed = 17;
	int opened = 0;
	for (int it = 0; it < 300; it++) {
		char *b = llm_malloc(n), *bi = llm_malloc(ni);
		memcpy(b, good, n);
		memcpy(bi, good_idx, ni);
		for (int k = 0; k < 3; k++) {
			if (rand_r(&seed) % 2)
				b[rand_r(&seed) % 32] = (char)rand_r(&seed);
			else
				bi[rand_r(&seed) % ni] = (char)rand_r(&seed);
		}
		tu_write(p, b, n);
		tu_write(idx, bi, ni);
		struct open_arg a = {p, 0};
		char *err = tu_capture_stderr(quiet_open, &a);
		if (a.rc == 0) {
			struct llm_shard s;
			assert_int_equal(llm_shard_open(&s, p), 0);
			uint64_t sum = 0;
			for (uint64_t i = 0; i < s.n_tokens; i++)
				sum += llm_shard_token(&s, i);
			for (uint64_t i = 0; i < s.n_docs; i++)
				assert_true(s.ends[i] <= s.n_tokens);
			(void)sum;
			llm_shard_close(&s);
			opened++;
		} else {
			assert_true(strlen(err) > 0);
		}
		free(err);
		free(b);
		free(bi);
	}
	assert_true(opened < 300);
	free(good);
	free(good_idx);
	free(idx);
	free(p);
	tu_rmdir(d);
}

static void test_inspect(void **state)
{
	(void)state;
	char *d = tu_tmpdir();
	uint32_t ids[] = {0, 7, 7, 7, 0, 8};
	size_t docs[] = {4, 2};
	char *p = write_shard(d, "s.bin", 50257, ids, docs, 2);
	char *o = llm_asprintf("%s/out.txt", d);
	FILE *f = fopen(o, "w");
	assert_int_equal(llm_shard_inspect(p, NULL, 4, f), 0);
	fclose(f);
	size_t n;
	char *txt = tu_read(o, &n);
	assert_non_null(strstr(txt, "tokens        6"));
	assert_non_null(strstr(txt, "documents     2"));
	assert_non_null(strstr(txt, "distinct ids  3"));
	assert_non_null(strstr(txt, " 0 7 7 7"));
	size_t hn;
	char *raw = tu_read(p, &hn);
	assert_true(llm_shard_probe(p, (unsigned char *)raw, hn));
	assert_false(llm_shard_probe(p, (const unsigned char *)"{\"text\": 1}", 11));
	free(raw);
	free(txt);
	free(o);
	free(p);
	tu_rmdir(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_u16_u32),
		cmocka_unit_test(test_id_too_big_for_u16),
		cmocka_unit_test(test_corrupt_header_refused),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_inspect),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
