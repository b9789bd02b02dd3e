/* Unit tests for lib/dedup.c: checked intermediate files (corruption,
 * truncation, config mismatch), file tables and the union-find rule. */
#include "testutil.h"

#include <sys/stat.h>

#include "dedup.h"

static char *write_sample(const char *dir, uint64_t cfg, uint32_t n)
{
	char *p = llm_asprintf("%s/x.sig", dir);
	struct llm_dedup_writer *w = llm_dedup_writer_open(p, LLM_DEDUP_MAGIC_SIG, 3, cfg, "cfgA", 8);
	assert_non_null(w);
	for (uint64_t i = 0; i < n; i++)
		assert_int_equal(llm_dedup_write(w, &i, 8), 0);
	assert_int_equal(llm_dedup_writer_commit(w), 0);
	return p;
}

static void test_roundtrip(void **state)
{
	(void)state;
	char *d = tu_tmpdir();
	char *p = write_sample(d, 77, 1000);
	struct llm_dedup_reader r;
	assert_int_equal(llm_dedup_reader_open(&r, p, LLM_DEDUP_MAGIC_SIG, 77, "cfgA"), 0);
	assert_int_equal(r.h.aux, 3);
	assert_int_equal(r.h.n_records, 1000);
	assert_string_equal(r.h.config_desc, "cfgA");
	uint64_t v, i = 0;
	int g;
	while ((g = llm_dedup_read(&r, &v, 8)) == 1)
		assert_true(v == i++);
	assert_int_equal(g, 0);
	assert_int_equal(i, 1000);
	llm_dedup_reader_close(&r);
	free(p);
	tu_rmdir(d);
}

static void test_corrupt_payload_detected(void **state)
{
	(void)state;
	char *d = tu_tmpdir();
	char *p = write_sample(d, 77, 1000);
	FILE *f = fopen(p, "r+b");
	fseek(f, LLM_DEDUP_HEADER_SIZE + 4000, SEEK_SET);
	fputc(0x5a, f);
	fclose(f);
	struct llm_dedup_reader r;
	assert_int_equal(llm_dedup_reader_open(&r, p, LLM_DEDUP_MAGIC_SIG, 77, "cfgA"), 0);
	uint64_t v;
	int g;
	while ((g = llm_dedup_read(&r, &v, 8)) == 1)
		;
	assert_int_equal(g, -1); /* checksum mismatch at the end */
	llm_dedup_reader_close(&r);
	/* corrupt header */
	f = fopen(p, "r+b");
	fseek(f, 30, SEEK_SET);
	fputc(0x11, f);
	fclose(f);
	assert_int_equal(llm_dedup_reader_open(&r, p, LLM_DEDUP_MAGIC_SIG, 77, "cfgA"), -1);
	free(p);
	tu_rmdir(d);
}

static void test_truncated_and_mismatch(void **state)
{
	(void)state;
	char *d = tu_tmpdir();
	char *p = write_sample(d, 77, 100);
	struct llm_dedup_reader r;
	/* wrong kind of file */
	assert_int_equal(llm_dedup_reader_open(&r, p, LLM_DEDUP_MAGIC_PAR, 77, "cfgA"), -1);
	/* other config */
	assert_int_equal(llm_dedup_reader_open(&r, p, LLM_DEDUP_MAGIC_SIG, 78, "cfgB"), -1);
	/* truncated by one byte */
	assert_int_equal(truncate(p, LLM_DEDUP_HEADER_SIZE + 799), 0);
	assert_int_equal(llm_dedup_reader_open(&r, p, LLM_DEDUP_MAGIC_SIG, 77, "cfgA"), -1);
	/* shorter than a header */
	assert_int_equal(truncate(p, 20), 0);
	assert_int_equal(llm_dedup_reader_open(&r, p, LLM_DEDUP_MAGIC_SIG, 77, "cfgA"), -1);
	free(p);
	tu_rmdir(d);
}

static void test_file_table(void **state)
{
	(void)state;
	struct llm_dedup_files t = {0}, u;
	llm_dedup_files_add(&t, 1, 10, 100, "b.jsonl");
	llm_dedup_files_add(&t, 0, 5, 50, "a.jsonl");
	assert_int_equal(llm_dedup_files_check(&t, true, "test"), 0);
	assert_string_equal(t.v[0].path, "a.jsonl");
	char *b;
	size_t n;
	llm_dedup_files_encode(&t, &b, &n);
	assert_int_equal(llm_dedup_files_decode(&u, b, n), (long)n);
	assert_int_equal(u.n, 2);
	assert_true(u.v[1].n_docs == 10);
	assert_true(llm_dedup_files_hash(&t) == llm_dedup_files_hash(&u));
	struct llm_dedup_files bad;
	assert_int_equal(llm_dedup_files_decode(&bad, b, n - 1), -1);
	free(b);
	llm_dedup_files_free(&u);
	llm_dedup_files_add(&t, 3, 1, 1, "d.jsonl");
	assert_int_equal(llm_dedup_files_check(&t, true, "test"), -1);  /* #2 missing */
	assert_int_equal(llm_dedup_files_check(&t, false, "test"), 0);
	llm_dedup_files_add(&t, 3, 1, 1, "d.jsonl");
	assert_int_equal(llm_dedup_files_check(&t, false, "test"), -1); /* repeated */
	llm_dedup_files_free(&t);
}

static void test_union_find_datatrove_rule(void **state)
{
	(void)state;
	struct llm_uf u;
	assert_int_equal(llm_uf_init(&u, 10), 0);
	/* equal sizes: the first argument's root stays root */
	assert_true(llm_uf_union(&u, 5, 2));
	assert_int_equal(llm_uf_find(&u, 2), 5);
	/* bigger set wins whatever the order */
	assert_true(llm_uf_union(&u, 7, 2));
	assert_int_equal(llm_uf_find(&u, 7), 5);
	assert_false(llm_uf_union(&u, 2, 7));
	assert_true(llm_uf_union(&u, 1, 0));
	assert_true(llm_uf_union(&u, 0, 7));
	assert_int_equal(llm_uf_find(&u, 1), 5);
	assert_int_equal(u.size[5], 5);
	llm_uf_free(&u);
	assert_int_equal(llm_uf_init(&u, (uint64_t)UINT32_MAX + 5), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_corrupt_payload_detected),
		cmocka_unit_test(test_truncated_and_mismatch),
		cmocka_unit_test(test_file_table),
		cmocka_unit_test(test_union_find_datatrove_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
