/* Unit tests for lib/io.c and lib/atomic.c: plain, gzip, multi-member
 * gzip, truncated and corrupt input; atomic output. */
#include <sys/stat.h>

#include "testutil.h"

#include "atomic.h"
#include "files.h"
#include "io.h"


static int read_lines(const char *path, struct llm_buf *all, size_t max)
{
	struct llm_in *in = llm_in_open(path);
	if (!in)
		return -1;
	struct llm_buf line = LLM_BUF_INIT;
	int g, n = 0;
	while ((g = llm_in_getline(in, &line, max)) == 1) {
		llm_buf_append(all, line.data, line.len);
		llm_buf_putc(all, '|');
		n++;
	}
	llm_buf_free(&line);
	llm_in_close(in);
	return g < 0 ? g : n;
}

static void test_plain_lines(void **state)
{
	(void)state;
	char *p = llm_asprintf("%s/a.txt", tu_dir);
	tu_write(p, "one\ntwo\r\n\nlast-no-newline", 25);
	struct llm_buf all = LLM_BUF_INIT;
	assert_int_equal(read_lines(p, &all, 100), 4);
	assert_string_equal(all.data, "one|two||last-no-newline|");
	llm_buf_free(&all);
	free(p);
}

static void test_gzip_multimember(void **state)
{
	(void)state;
	char *p = llm_asprintf("%s/m.gz", tu_dir);
	tu_gzip_member(p, "wb", "first\nsec", 9);
	tu_gzip_member(p, "ab", "ond\n", 4);
	tu_gzip_member(p, "ab", "", 0); /* an empty member in the middle */
	tu_gzip_member(p, "ab", "third\n", 6);
	struct llm_buf all = LLM_BUF_INIT;
	assert_int_equal(read_lines(p, &all, 100), 3);
	assert_string_equal(all.data, "first|second|third|");
	llm_buf_free(&all);
	free(p);
}

struct bad_read {
	const char *path;
	int result;
};

static void do_read(void *arg)
{
	struct bad_read *b = arg;
	struct llm_buf all = LLM_BUF_INIT;
	b->result = read_lines(b->path, &all, 1 << 20);
	llm_buf_free(&all);
}

static void test_gzip_truncated(void **state)
{
	(void)state;
	char *p = llm_asprintf("%s/t.gz", tu_dir);
	char text[20000];
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (i % 50 == 49) ? '\n' : (char)('a' + (i * 7) % 26);
	tu_gzip_member(p, "wb", text, sizeof(text));
	size_t n;
	char *gz = tu_read(p, &n);
	tu_write(p, gz, n - 12); /* cut inside the deflate data */
	struct bad_read b = {p, 0};
	char *err = tu_capture_stderr(do_read, &b);
	assert_int_equal(b.result, -1);
	assert_non_null(strstr(err, "truncated gzip"));
	assert_non_null(strstr(err, p));
	free(err);
	free(gz);
	free(p);
}

static void test_gzip_corrupt(void **state)
{
	(void)state;
	char *p = llm_asprintf("%s/c.gz", tu_dir);
	char text[4000];
	for (size_t i = 0; i < sizeof(text); i++)
		text[i] = (char)('a' + (i * 13) % 26);
	tu_gzip_member(p, "wb", text, sizeof(text));
	size_t n;
	char *gz = tu_read(p, &n);
	for (size_t i = 20; i < 40; i++)
		gz[i] ^= 0x5a;
	tu_write(p, gz, n);
	struct bad_read b = {p, 0};
	char *err = tu_capture_stderr(do_read, &b);
	assert_int_equal(b.result, -1);
	assert_non_null(strstr(err, "gzip"));
	free(err);
	/* trailing garbage after a good member */
	tu_gzip_member(p, "wb", "ok\n", 3);
	FILE *f = fopen(p, "ab");
	fputs("garbage", f);
	fclose(f);
	err = tu_capture_stderr(do_read, &b);
	assert_int_equal(b.result, -1);
	assert_non_null(strstr(err, "trailing garbage"));
	free(err);
	free(gz);
	free(p);
}

static void test_long_line(void **state)
{
	(void)state;
	char *p = llm_asprintf("%s/long.txt", tu_dir);
	size_t n = 1 << 20;
	char *d = llm_malloc(n + 10);
	memset(d, 'x', n);
	memcpy(d + n, "\nshort\n", 7);
	tu_write(p, d, n + 7);
	struct llm_in *in = llm_in_open(p);
	struct llm_buf line = LLM_BUF_INIT;
	assert_int_equal(llm_in_getline(in, &line, 1000), -2); /* consumed, reported by caller */
	assert_int_equal(llm_in_line(in), 1);
	assert_int_equal(llm_in_getline(in, &line, 1000), 1);
	assert_string_equal(line.data, "short");
	assert_int_equal(llm_in_line(in), 2);
	assert_int_equal(llm_in_line_offset(in), n + 1);
	assert_int_equal(llm_in_getline(in, &line, 1000), 0);
	llm_in_close(in);
	llm_buf_free(&line);
	free(d);
	free(p);
}

static void test_out_gzip_roundtrip(void **state)
{
	(void)state;
	char *p = llm_asprintf("%s/sub/tu_dir/o.jsonl.gz", tu_dir);
	struct llm_out *o = llm_out_open(p, 6);
	assert_non_null(o);
	for (int i = 0; i < 100000; i++) {
		char line[64];
		int k = snprintf(line, sizeof(line), "line %d\n", i);
		assert_int_equal(llm_out_write(o, line, (size_t)k), 0);
	}
	assert_false(llm_exists(p)); /* nothing at the final path before commit */
	assert_int_equal(llm_out_commit(o), 0);
	assert_true(llm_exists(p));
	struct llm_buf all = LLM_BUF_INIT;
	assert_int_equal(read_lines(p, &all, 100), 100000);
	assert_non_null(strstr(all.data, "|line 99999|"));
	llm_buf_free(&all);
	/* abort leaves nothing behind, not even the temp file */
	char *q = llm_asprintf("%s/aborted.txt", tu_dir);
	o = llm_out_open(q, -1);
	llm_out_write(o, "partial", 7);
	llm_out_abort(o);
	assert_false(llm_exists(q));
	char *cmd = llm_asprintf("ls -A '%s' | grep -c tmp", tu_dir);
	FILE *ls = popen(cmd, "r");
	int count = -1;
	assert_int_equal(fscanf(ls, "%d", &count), 1);
	pclose(ls);
	assert_int_equal(count, 0);
	free(cmd);
	free(q);
	free(p);
}

static void write_big(const char *path, int threads)
{
	llm_io_set_threads(threads);
	struct llm_out *o = llm_out_open(path, 6);
	assert_non_null(o);
	for (int i = 0; i < 400000; i++) { /* ~7 MB: several 2 MiB members */
		char line[64];
		int k = snprintf(line, sizeof(line), "document %d, %x\n", i, i * 2654435761u);
		assert_int_equal(llm_out_write(o, line, (size_t)k), 0);
	}
	assert_int_equal(llm_out_commit(o), 0);
	llm_io_set_threads(1);
}

static void test_out_parallel_identical(void **state)
{
	(void)state;
	char *p1 = llm_asprintf("%s/t1.gz", tu_dir), *p3 = llm_asprintf("%s/t3.gz", tu_dir);
	write_big(p1, 1);
	write_big(p3, 3);
	size_t n1, n3;
	char *a = tu_read(p1, &n1), *b = tu_read(p3, &n3);
	assert_int_equal(n1, n3);
	assert_memory_equal(a, b, n1);
	struct llm_buf all = LLM_BUF_INIT;
	assert_int_equal(read_lines(p3, &all, 100), 400000);
	assert_non_null(strstr(all.data, "|document 399999, "));
	/* zcat agrees: the members form one valid gzip stream */
	char *cmd = llm_asprintf("zcat '%s' | wc -l", p3);
	FILE *z = popen(cmd, "r");
	int lines = 0;
	assert_int_equal(fscanf(z, "%d", &lines), 1);
	pclose(z);
	assert_int_equal(lines, 400000);
	free(cmd);
	llm_buf_free(&all);
	free(a);
	free(b);
	free(p1);
	free(p3);
}

static void test_out_empty_gzip(void **state)
{
	(void)state;
	char *p = llm_asprintf("%s/empty.gz", tu_dir);
	llm_io_set_threads(2);
	struct llm_out *o = llm_out_open(p, -1);
	assert_int_equal(llm_out_commit(o), 0);
	llm_io_set_threads(1);
	struct llm_buf all = LLM_BUF_INIT;
	assert_int_equal(read_lines(p, &all, 100), 0);
	assert_true(llm_file_size(p) > 0); /* a valid gzip header, not 0 bytes */
	llm_buf_free(&all);
	free(p);
}

static void test_atomic_replace(void **state)
{
	(void)state;
	char *p = llm_asprintf("%s/file.txt", tu_dir);
	assert_int_equal(llm_atomic_write_file(p, "old", 3), 0);
	struct llm_atomic a;
	assert_int_equal(llm_atomic_open(&a, p), 0);
	assert_int_equal(llm_write_all(a.fd, "new content", 11), 0);
	size_t n;
	char *s = tu_read(p, &n);
	assert_string_equal(s, "old"); /* still the old file until commit */
	free(s);
	assert_int_equal(llm_atomic_commit(&a), 0);
	s = tu_read(p, &n);
	assert_string_equal(s, "new content");
	free(s);
	free(p);
}

static void test_open_errors(void **state)
{
	(void)state;
	char *p = llm_asprintf("%s/nope", tu_dir);
	struct bad_read b = {p, 0};
	char *err = tu_capture_stderr(do_read, &b);
	assert_int_equal(b.result, -1);
	assert_non_null(strstr(err, "cannot open"));
	free(err);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_lines),
		cmocka_unit_test(test_gzip_multimember),
		cmocka_unit_test(test_gzip_truncated),
		cmocka_unit_test(test_gzip_corrupt),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_out_gzip_roundtrip),
		cmocka_unit_test(test_out_parallel_identical),
		cmocka_unit_test(test_out_empty_gzip),
		cmocka_unit_test(test_atomic_replace),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, tu_setup, tu_teardown);
}
