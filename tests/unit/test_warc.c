/* Unit tests for lib/warc.c: records from plain, per-record gzip and
 * single-member gzip WARCs, and recovery from each kind of damage without
 * losing a good record; HTTP payload parsing (chunking, encodings). */
#include "testutil.h"

#include "warc.h"

/* A WARC record with a body; content_length < 0 means the true length. */
static void rec(struct llm_buf *b, const char *type, const char *id, const char *uri, const char *body,
		long content_length)
{
	size_t n = strlen(body);
	llm_buf_appendf(b, "WARC/1.0\r\nWARC-Type: %s\r\nWARC-Record-ID: %s\r\n", type, id);
	if (uri)
		llm_buf_appendf(b, "WARC-Target-URI: %s\r\n", uri);
	llm_buf_appendf(b, "WARC-Date: 2020-08-01T00:00:00Z\r\nContent-Length: %ld\r\n\r\n",
			content_length < 0 ? (long)n : content_length);
	llm_buf_append(b, body, n);
	llm_buf_puts(b, "\r\n\r\n");
}

/* Reads all records; returns their ids joined by ',' (caller frees). */
static char *ids(const void *data, size_t n, struct llm_warc_stats *st)
{
	struct llm_warc_reader *r = llm_warc_open_mem(data, n, 0);
	struct llm_warc_record x;
	struct llm_buf out = LLM_BUF_INIT;
	llm_buf_puts(&out, "");
	while (llm_warc_next(r, &x) == 1) {
		if (out.len)
			llm_buf_putc(&out, ',');
		llm_buf_puts(&out, x.id ? x.id : "?");
	}
	if (st)
		*st = *llm_warc_stats(r);
	llm_warc_close(r);
	return llm_buf_detach(&out, NULL);
}

static const char *B1 = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><p>one</p></body></html>";
static const char *B2 = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>two two</p>";
static const char *B3 = "HTTP/1.1 200 OK\r\n\r\nthree";

static void five(struct llm_buf *b, long len2)
{
	rec(b, "warcinfo", "<a>", NULL, "software: test", -1);
	rec(b, "response", "<b>", "http://x.org/a b", B1, -1);
	rec(b, "response", "<c>", "http://x.org/c", B2, len2);
	rec(b, "request", "<d>", "http://x.org/d", "GET / HTTP/1.1\r\n\r\n", -1);
	rec(b, "response", "<e>", "<http://x.org/e>", B3, -1);
}

static void test_plain(void **state)
{
	(void)state;
	struct llm_buf b = LLM_BUF_INIT;
	five(&b, -1);
	struct llm_warc_reader *r = llm_warc_open_mem(b.data, b.len, 0);
	struct llm_warc_record x;
	assert_int_equal(llm_warc_next(r, &x), 1);
	assert_string_equal(x.type, "warcinfo");
	assert_int_equal(llm_warc_next(r, &x), 1);
	assert_string_equal(x.target_uri, "http://x.org/a b"); /* spaces kept */
	assert_int_equal(x.block_len, strlen(B1));
	assert_memory_equal(x.block, B1, x.block_len);
	assert_string_equal(x.date, "2020-08-01T00:00:00Z");
	assert_int_equal(llm_warc_next(r, &x), 1);
	assert_int_equal(llm_warc_next(r, &x), 1);
	assert_int_equal(llm_warc_next(r, &x), 1);
	assert_string_equal(x.target_uri, "http://x.org/e"); /* <> stripped */
	assert_int_equal(llm_warc_next(r, &x), 0);
	assert_int_equal(llm_warc_stats(r)->records, 5);
	llm_warc_close(r);
	llm_buf_free(&b);
}

static void test_wrong_lengths(void **state)
{
	(void)state;
	struct llm_warc_stats st;
	struct llm_buf b = LLM_BUF_INIT;
	five(&b, (long)strlen(B2) - 7); /* the record is longer than declared */
	char *s = ids(b.data, b.len, &st);
	assert_string_equal(s, "<a>,<b>,<c>,<d>,<e>");
	assert_int_equal(st.longer_than_declared, 1);
	free(s);
	llm_buf_reset(&b);
	five(&b, (long)strlen(B2) + 40); /* declared longer: would swallow <d> */
	s = ids(b.data, b.len, &st);
	assert_string_equal(s, "<a>,<b>,<c>,<d>,<e>");
	assert_int_equal(st.shorter_than_declared, 1);
	free(s);
	llm_buf_reset(&b);
	five(&b, 100000); /* declared past the end of the file */
	s = ids(b.data, b.len, &st);
	assert_string_equal(s, "<a>,<b>,<c>,<d>,<e>");
	free(s);
	llm_buf_reset(&b);
	five(&b, 99999999999L); /* a damaged length over max_record skips only its record */
	s = ids(b.data, b.len, &st);
	assert_string_equal(s, "<a>,<b>,<d>,<e>");
	assert_int_equal(st.too_large, 1);
	free(s);
	llm_buf_free(&b);
}

static void test_truncated_and_junk(void **state)
{
	(void)state;
	struct llm_warc_stats st;
	struct llm_buf b = LLM_BUF_INIT;
	five(&b, -1);
	/* cut in the middle of <e>'s body: the first four survive */
	char *s = ids(b.data, b.len - 6, &st);
	assert_string_equal(s, "<a>,<b>,<c>,<d>");
	assert_int_equal(st.truncated, 1);
	free(s);
	/* junk and a zero-length record between records */
	struct llm_buf j = LLM_BUF_INIT;
	rec(&j, "response", "<b>", "http://x.org/b", B1, -1);
	llm_buf_puts(&j, "garbage garbage\r\nWARC/1.0 but not a header\r\n");
	rec(&j, "resource", "<z>", "http://x.org/z", "", -1);
	rec(&j, "response", "<c>", "http://x.org/c", B2, -1);
	s = ids(j.data, j.len, &st);
	assert_string_equal(s, "<b>,<z>,<c>");
	assert_true(st.resyncs >= 1);
	assert_true(st.junk_bytes > 0);
	free(s);
	llm_buf_free(&j);
	llm_buf_free(&b);
}

static void gz(struct llm_buf *out, const char *data, size_t n)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	llm_buf_reserve(out, n + 128);
	zs.next_in = (unsigned char *)(uintptr_t)data;
	zs.avail_in = (uInt)n;
	zs.next_out = (unsigned char *)out->data + out->len;
	zs.avail_out = (uInt)(out->cap - out->len);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	out->len += zs.total_out;
	deflateEnd(&zs);
}

static void test_gzip_members(void **state)
{
	(void)state;
	struct llm_warc_stats st;
	struct llm_buf recs[5], all = LLM_BUF_INIT;
	const char *names[5] = {"<a>", "<b>", "<c>", "<d>", "<e>"};
	for (int i = 0; i < 5; i++) {
		recs[i] = (struct llm_buf)LLM_BUF_INIT;
		rec(&recs[i], "response", names[i], "http://x/", i % 2 ? B1 : B2, -1);
		gz(&all, recs[i].data, recs[i].len);
	}
	char *s = ids(all.data, all.len, &st);
	assert_string_equal(s, "<a>,<b>,<c>,<d>,<e>");
	assert_int_equal(st.gzip_members, 5);
	free(s);
	/* corrupt the third member's deflate data: only <c> is lost */
	struct llm_buf bad = LLM_BUF_INIT;
	size_t off3 = 0;
	for (int i = 0; i < 5; i++) {
		if (i == 2)
			off3 = bad.len;
		gz(&bad, recs[i].data, recs[i].len);
	}
	for (size_t k = off3 + 14; k < off3 + 30; k++)
		bad.data[k] ^= 0x5a;
	s = ids(bad.data, bad.len, &st);
	assert_string_equal(s, "<a>,<b>,<d>,<e>");
	assert_int_equal(st.gzip_corrupt, 1);
	free(s);
	/* a member cut in half before good ones */
	struct llm_buf cut = LLM_BUF_INIT;
	for (int i = 0; i < 5; i++) {
		struct llm_buf one = LLM_BUF_INIT;
		gz(&one, recs[i].data, recs[i].len);
		llm_buf_append(&cut, one.data, i == 1 ? one.len / 2 : one.len);
		llm_buf_free(&one);
	}
	s = ids(cut.data, cut.len, &st);
	assert_string_equal(s, "<a>,<c>,<d>,<e>");
	free(s);
	/* one member for the whole file */
	struct llm_buf plain = LLM_BUF_INIT, one = LLM_BUF_INIT;
	for (int i = 0; i < 5; i++)
		llm_buf_append(&plain, recs[i].data, recs[i].len);
	gz(&one, plain.data, plain.len);
	s = ids(one.data, one.len, &st);
	assert_string_equal(s, "<a>,<b>,<c>,<d>,<e>");
	assert_int_equal(st.gzip_members, 1);
	free(s);
	/* truncated gzip file: the complete records before the cut survive */
	s = ids(all.data, all.len - 20, &st);
	assert_string_equal(s, "<a>,<b>,<c>,<d>");
	assert_int_equal(st.gzip_truncated, 1);
	free(s);
	for (int i = 0; i < 5; i++)
		llm_buf_free(&recs[i]);
	llm_buf_free(&all);
	llm_buf_free(&bad);
	llm_buf_free(&cut);
	llm_buf_free(&plain);
	llm_buf_free(&one);
}

static void test_http(void **state)
{
	(void)state;
	struct llm_http h;
	struct llm_buf sc = LLM_BUF_INIT;
	const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html; charset=\"GBK\"\r\n\r\n"
			      "5\r\nhello\r\n6; ext=1\r\n world\r\n0\r\n\r\n";
	assert_int_equal(llm_http_parse(chunked, strlen(chunked), &h, &sc, 1 << 20), 0);
	assert_int_equal(h.status, 200);
	assert_true(h.chunked);
	assert_false(h.chunking_bad);
	assert_int_equal(h.body_len, 11);
	assert_memory_equal(h.body, "hello world", 11);
	char cs[32], mt[32];
	llm_http_charset_param(h.content_type, cs, sizeof(cs));
	llm_http_media_type(h.content_type, mt, sizeof(mt));
	assert_string_equal(cs, "GBK");
	assert_string_equal(mt, "text/html");
	/* declared chunked but stored decoded (as crawlers do): raw body kept */
	const char *notchunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n<html>x</html>";
	assert_int_equal(llm_http_parse(notchunked, strlen(notchunked), &h, &sc, 1 << 20), 0);
	assert_true(h.chunking_bad);
	assert_int_equal(h.body_len, 14);
	/* gzip content encoding is undone */
	struct llm_buf z = LLM_BUF_INIT;
	llm_buf_puts(&z, "HTTP/1.1 404 Not Found\r\nContent-Encoding: gzip\r\n\r\n");
	gz(&z, "<p>zipped</p>", 13);
	assert_int_equal(llm_http_parse(z.data, z.len, &h, &sc, 1 << 20), 0);
	assert_int_equal(h.status, 404);
	assert_int_equal(h.body_len, 13);
	assert_memory_equal(h.body, "<p>zipped</p>", 13);
	/* not HTTP at all */
	assert_int_equal(llm_http_parse("<html>", 6, &h, &sc, 1 << 20), -1);
	assert_int_equal(h.body_len, 6);
	llm_buf_free(&z);
	llm_buf_free(&sc);
}

static void test_file_real(void **state)
{
	(void)state;
	const char *sh = getenv("LLMAKE_SHARED");
	char *p = llm_asprintf("%s/cc-main-2020-34-sample.warc.gz", sh ? sh : "../shared/data");
	struct llm_warc_reader *r = llm_warc_open(p, 0);
	if (!r) {
		free(p);
		skip();
	}
	struct llm_warc_record x;
	int n = 0, resp = 0;
	while (llm_warc_next(r, &x) == 1) {
		n++;
		resp += x.type && strcmp(x.type, "response") == 0;
	}
	assert_int_equal(n, 50);
	assert_int_equal(resp, 16);
	assert_int_equal(llm_warc_stats(r)->gzip_members, 50);
	llm_warc_close(r);
	free(p);
	assert_null(llm_warc_open("/nonexistent/x.warc", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_wrong_lengths),
		cmocka_unit_test(test_truncated_and_junk),
		cmocka_unit_test(test_gzip_members),
		cmocka_unit_test(test_http),
		cmocka_unit_test(test_file_real),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
