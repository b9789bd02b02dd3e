/* Unit tests for lib/html.c (main-content extraction) and lib/charset.c
 * (charset decision and conversion to UTF-8). */
#include "testutil.h"

#include "charset.h"
#include "html.h"

static char *extract(const char *html, struct llm_html_info *info)
{
	struct llm_buf out = LLM_BUF_INIT;
	struct llm_html_info dummy;
	assert_int_equal(llm_html_extract(html, strlen(html), NULL, &out, info ? info : &dummy), 0);
	llm_buf_puts(&out, "");
	return llm_buf_detach(&out, NULL);
}

static const char *PAGE =
	"<!DOCTYPE html><html><head><title>T</title><style>p{color:red}</style>"
	"<script>var x = 'script text';</script></head><body>"
	"<header><a href=/>Site</a> tagline</header>"
	"<nav><ul><li><a href=/a>Home</a></li><li><a href=/b>About</a></li></ul></nav>"
	"<div id=\"main\"><article><h1>The title</h1>"
	"<p>First paragraph with <b>bold</b> &amp; entities &eacute;t&eacute;, and commas, enough text.</p>"
	"<p>Second<br>line after a break.</p>"
	"<ul><li>item one</li><li>item two</li></ul>"
	"<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>"
	"<pre>code line 1\n  indented line 2</pre>"
	"<div class=\"share-buttons\"><a href=/t>Tweet</a><a href=/f>Share</a></div>"
	"<form><input value=q><button>Search</button></form>"
	"</article><aside>Sidebar junk</aside></div>"
	"<footer>Copyright footer</footer></body></html>";

static void test_structure(void **state)
{
	(void)state;
	struct llm_html_info info;
	char *t = extract(PAGE, &info);
	assert_string_equal(t, "The title\n"
			       "First paragraph with bold & entities \xc3\xa9t\xc3\xa9, and commas, enough text.\n"
			       "Second\nline after a break.\n"
			       "- item one\n- item two\n"
			       "k | v\na | 1\n"
			       "code line 1\n  indented line 2");
	assert_true(info.removed >= 5);
	free(t);
}

static void test_boilerplate_dropped(void **state)
{
	(void)state;
	char *t = extract(PAGE, NULL);
	const char *gone[] = {"script text", "color:red", "Site", "Home", "Tweet", "Search", "Sidebar", "Copyright", "T\n"};
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		if (strstr(t, gone[i]))
			fail_msg("'%s' should have been dropped:\n%s", gone[i], t);
	free(t);
}

static void test_link_dense(void **state)
{
	(void)state;
	struct llm_buf p = LLM_BUF_INIT;
	llm_buf_puts(&p, "<body><div class=c><p>A real paragraph of prose that is long enough to count as the "
			 "main content of this page, with several clauses, and more words.</p>");
	llm_buf_puts(&p, "<ul>");
	for (int i = 0; i < 12; i++)
		llm_buf_appendf(&p, "<li><a href=/%d>Menu %d</a></li>", i, i);
	llm_buf_puts(&p, "</ul><p>Closing words of the article.</p></div></body>");
	struct llm_html_info info;
	char *t = extract(p.data, &info);
	assert_null(strstr(t, "Menu"));
	assert_non_null(strstr(t, "A real paragraph"));
	assert_non_null(strstr(t, "Closing words"));
	assert_true(info.pruned >= 1);
	free(t);
	llm_buf_free(&p);
}

static void test_selector_root(void **state)
{
	(void)state;
	char *t = extract("<body><div class=top>Teaser text outside the post that is not the content at "
			  "all but rather long</div><div class=\"entry-content\"><p>The post body is here and "
			  "it is the content we want to keep, every word of it, surely.</p><p>A second paragraph.</p></div></body>",
			  NULL);
	assert_string_equal(t, "The post body is here and it is the content we want to keep, every word of it, "
			       "surely.\nA second paragraph.");
	free(t);
}

static void test_degenerate(void **state)
{
	(void)state;
	const char *inputs[] = {"", "<", "<<<>>>", "plain text, no tags", "<html><body></body></html>",
				"<p>unclosed <b>bold <i>italic", "<table><td>cell", "&amp;&lt;&#x41;&#0;&#xD800;",
				"<svg><script>x</script></svg>"};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		struct llm_buf out = LLM_BUF_INIT;
		int r = llm_html_extract(inputs[i], strlen(inputs[i]), NULL, &out, NULL);
		assert_true(r == 0 || r == -1);
		struct llm_buf chk = LLM_BUF_INIT;
		assert_int_equal(llm_charset_sanitize_utf8(out.data ? out.data : "", out.len, &chk), 0);
		assert_int_equal(chk.len, out.len);
		llm_buf_free(&chk);
		llm_buf_free(&out);
	}
	char *t = extract("<p>unclosed <b>bold <i>italic", NULL);
	assert_string_equal(t, "unclosed bold italic");
	free(t);
	/* deep nesting does not recurse */
	struct llm_buf deep = LLM_BUF_INIT;
	for (int i = 0; i < 20000; i++)
		llm_buf_puts(&deep, "<div>");
	llm_buf_puts(&deep, "deep text");
	struct llm_buf out = LLM_BUF_INIT;
	assert_int_equal(llm_html_extract(deep.data, deep.len, NULL, &out, NULL), 0);
	llm_buf_free(&out);
	llm_buf_free(&deep);
}

/* ---- charset ---- */

static char *decode(const char *data, size_t n, const char *hdr, struct llm_charset_result *res)
{
	struct llm_charset *cs = llm_charset_new();
	struct llm_buf out = LLM_BUF_INIT;
	llm_charset_decode(cs, data, n, hdr, &out, res);
	llm_charset_free(cs);
	llm_buf_puts(&out, "");
	return llm_buf_detach(&out, NULL);
}

static void test_charset_sources(void **state)
{
	(void)state;
	struct llm_charset_result r;
	/* GBK bytes for 中文 with a meta tag */
	const char gbk[] = "<meta charset=\"gb2312\"><p>\xd6\xd0\xce\xc4</p>";
	char *s = decode(gbk, sizeof(gbk) - 1, NULL, &r);
	assert_string_equal(s, "<meta charset=\"gb2312\"><p>\xe4\xb8\xad\xe6\x96\x87</p>");
	assert_string_equal(r.name, "GB18030");
	assert_int_equal(r.source, LLM_CHARSET_META);
	free(s);
	/* the HTTP header wins over the meta tag */
	const char l1[] = "<meta charset=utf-8>caf\xe9";
	s = decode(l1, sizeof(l1) - 1, "ISO-8859-1", &r);
	assert_string_equal(s, "<meta charset=utf-8>caf\xc3\xa9");
	assert_int_equal(r.source, LLM_CHARSET_HEADER);
	assert_string_equal(r.name, "WINDOWS-1252");
	free(s);
	/* valid UTF-8 beats a wrong declaration */
	s = decode("caf\xc3\xa9", 5, "shift_jis", &r);
	assert_string_equal(s, "caf\xc3\xa9");
	assert_int_equal(r.source, LLM_CHARSET_UTF8);
	free(s);
	/* BOM */
	s = decode("\xef\xbb\xbfhi", 5, NULL, &r);
	assert_string_equal(s, "hi");
	assert_int_equal(r.source, LLM_CHARSET_BOM);
	free(s);
	/* an invalid declared name is noted and detection takes over */
	const char sj[] = "\x82\xb1\x82\xea\x82\xcd\x93\xfa\x96\x7b\x8c\xea\x82\xcc\x95\xb6\x8f\xcd\x82\xc5\x82\xb7\x81\x42";
	s = decode(sj, sizeof(sj) - 1, "x-no-such-charset\"><script>", &r);
	assert_true(r.declared_invalid);
	assert_int_equal(r.replaced, 0);
	free(s);
}

static void test_charset_replacement(void **state)
{
	(void)state;
	struct llm_charset *cs = llm_charset_new();
	struct llm_buf out = LLM_BUF_INIT;
	/* invalid UTF-8 and NULs: replaced / dropped, never invalid output */
	size_t bad = llm_charset_sanitize_utf8("a\xff" "b\0c\xe2\x82", 7, &out);
	assert_int_equal(bad, 3); /* one U+FFFD per bad byte */
	assert_int_equal(out.len, 1 + 3 + 1 + 1 + 6);
	assert_memory_equal(out.data, "a\xef\xbf\xbd" "bc\xef\xbf\xbd\xef\xbf\xbd", out.len);
	llm_buf_reset(&out);
	/* EUC-KR with a broken tail byte */
	long r = llm_charset_convert(cs, "CP949", "\xc7\xd1\xb1\xb9\xff", 5, &out);
	assert_int_equal(r, 1);
	assert_memory_equal(out.data, "\xed\x95\x9c\xea\xb5\xad\xef\xbf\xbd", 9);
	llm_buf_reset(&out);
	assert_int_equal(llm_charset_convert(cs, "NO-SUCH-CHARSET", "x", 1, &out), -1);
	char name[48];
	assert_true(llm_charset_canonical("Shift_JIS", name, sizeof(name)));
	assert_string_equal(name, "CP932");
	assert_false(llm_charset_canonical("utf-8\"><x", name, sizeof(name)));
	assert_true(llm_charset_from_meta("<META http-equiv=Content-Type content=\"text/html; charset=EUC-JP\">", 66,
					  name, sizeof(name)));
	assert_string_equal(name, "EUC-JP");
	llm_buf_free(&out);
	llm_charset_free(cs);
}

int main(void)
{
	llm_html_global_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_boilerplate_dropped),
		cmocka_unit_test(test_link_dense),
		cmocka_unit_test(test_selector_root),
		cmocka_unit_test(test_degenerate),
		cmocka_unit_test(test_charset_sources),
		cmocka_unit_test(test_charset_replacement),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
