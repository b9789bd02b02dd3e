/* Unit tests for lib/util.c, lib/utf8.c, lib/hash.c and lib/log.c. */
#include "testutil.h"

#include <malloc.h>

#include "bigmem.h"
#include "hash.h"
#include "log.h"
#include "utf8.h"

static void test_buf(void **state)
{
	(void)state;
	struct llm_buf b = LLM_BUF_INIT;
	for (int i = 0; i < 1000; i++)
		llm_buf_appendf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.data));
	assert_true(strncmp(b.data, "0,1,2,", 6) == 0);
	assert_true(llm_str_ends_with(b.data, "999,"));
	llm_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	llm_buf_putc(&b, 'x');
	size_t n;
	char *d = llm_buf_detach(&b, &n);
	assert_int_equal(n, 1);
	assert_string_equal(d, "x");
	assert_null(b.data);
	free(d);
}

static void test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(llm_edit_distance("threads", "thredas"), 2);
	assert_int_equal(llm_edit_distance("", "abc"), 3);
	assert_int_equal(llm_edit_distance("limit", "limit"), 0);
	assert_int_equal(llm_edit_distance("kitten", "sitting"), 3);
}

static void test_fmt_bytes(void **state)
{
	(void)state;
	char b[16];
	assert_string_equal(llm_fmt_bytes(999, b), "999 B");
	assert_string_equal(llm_fmt_bytes(1500, b), "1.5 kB");
	assert_string_equal(llm_fmt_bytes(200000000, b), "200.0 MB");
}

static void test_utf8(void **state)
{
	(void)state;
	const char ok[] = "plain ascii, caf\xc3\xa9, \xe4\xb8\xad\xe6\x96\x87, \xf0\x9f\x98\x80";
	assert_int_equal(llm_utf8_validate(ok, strlen(ok)), strlen(ok));
	/* overlong, surrogate, too large, truncated, stray continuation */
	const char *bad[] = {"ab\xc0\xaf", "ab\xed\xa0\x80", "ab\xf4\x90\x80\x80", "ab\xe4\xb8", "ab\x80"};
	for (size_t i = 0; i < LLM_ARRAY_SIZE(bad); i++)
		assert_int_equal(llm_utf8_validate(bad[i], strlen(bad[i])), 2);
	char out[4];
	uint32_t cp;
	for (uint32_t c = 1; c < 0x110000; c += 97) {
		if (c >= 0xD800 && c <= 0xDFFF)
			continue;
		int n = llm_utf8_encode(c, out);
		assert_int_equal(llm_utf8_decode((unsigned char *)out, (size_t)n, &cp), n);
		assert_int_equal(cp, c);
	}
}

static void test_hash(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *p = llm_asprintf("%s/f.bin", dir);
	size_t n = 3 << 20; /* spans several read() calls */
	char *data = llm_malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 131 + (i >> 9));
	tu_write(p, data, n);
	uint64_t h, size;
	assert_int_equal(llm_hash_file(p, &h, &size), 0);
	assert_int_equal(size, n);
	assert_true(h == llm_hash64(data, n, 0));
	struct llm_hasher hs;
	llm_hasher_init(&hs, 0);
	llm_hasher_update(&hs, data, 1000);
	llm_hasher_update(&hs, data + 1000, n - 1000);
	assert_true(llm_hasher_final(&hs) == h);
	assert_true(llm_hash64(data, n, 1) != h);
	assert_true(llm_hash64("", 0, 0) == 0x2D06800538D394C2ULL); /* XXH3 reference vector */
	char hex[17];
	assert_int_equal(strlen(llm_hash_hex(h, hex)), 16);
	free(p);
	p = llm_asprintf("%s/missing", dir);
	assert_int_equal(llm_hash_file(p, &h, &size), -1);
	free(p);
	free(data);
	tu_rmdir(dir);
}

static void test_progress_format(void **state)
{
	(void)state;
	struct llm_progress p;
	llm_progress_init(&p, "filter", 1000, 0);
	p.items = 250;
	p.bytes = 5000000;
	char line[200];
	llm_progress_format(&p, p.start + 10.0, line, sizeof(line));
	assert_non_null(strstr(line, "filter: "));
	assert_non_null(strstr(line, " 25% "));
	assert_non_null(strstr(line, "250 items"));
	assert_non_null(strstr(line, "5.0 MB"));
	assert_non_null(strstr(line, "25 items/s"));
	assert_non_null(strstr(line, "ETA 30s"));
	assert_int_equal(llm_log_parse_level("debug"), LLM_LOG_DEBUG);
	assert_int_equal(llm_log_parse_level("loud"), -1);
}

static void test_huge_calloc(void **state)
{
	(void)state;
	/* small: plain calloc; large: 2 MiB-aligned; both zeroed and free()able */
	size_t sizes[] = {1, 1000, (size_t)5 << 20, ((size_t)9 << 20) + 12};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = llm_huge_calloc(sizes[i], 1);
		assert_non_null(p);
		if (sizes[i] >= ((size_t)4 << 20))
			assert_int_equal((uintptr_t)p % ((uintptr_t)2 << 20), 0);
		for (size_t j = 0; j < sizes[i]; j += 4093)
			assert_int_equal(p[j], 0);
		assert_int_equal(p[sizes[i] - 1], 0);
		memset(p, 0xab, sizes[i]);
		free(p);
	}
	float *f = llm_huge_calloc(3 << 20, sizeof(float));
	assert_true(f[(3 << 20) - 1] == 0.0f);
	free(f);
	/* fresh pages from the kernel are zero anyway: keep glibc from mmap'ing
	 * and trimming, so the same size taken again reuses the dirtied memory */
#ifdef M_MMAP_THRESHOLD
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
	for (int r = 0; r < 4; r++) {
		unsigned char *p = llm_huge_calloc((size_t)5 << 20, 1);
		for (size_t j = 0; j < ((size_t)5 << 20); j += 4093)
			assert_int_equal(p[j], 0);
		memset(p, 0xab, (size_t)5 << 20);
		__asm__ volatile("" : : "r"(p) : "memory"); /* keep the store before free() */
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_fmt_bytes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_progress_format),
		cmocka_unit_test(test_huge_calloc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
