/*
 * test_filter.c: the filters of llmake-filter and the Aho-Corasick matcher.
 * The stage's filter sources are compiled into this test (they are not part
 * of libllmake); expected decisions follow datatrove 0.10.1's code.
 */
#include "testutil.h"

#include "../../data/filter/c4.c"
#include "../../data/filter/gopher.c"
#include "../../data/filter/pii.c"
#include "../../data/filter/tables.c"
#include "../../data/filter/text.c"
#include "../../data/filter/url.c"
#include "ahocorasick.h"
#include "config.h"
#include "jsonl.h"

/* The stage's main.c holds these; the test provides its own. */
void flt_worker_init(struct flt_worker *w, enum llm_words_mode mode)
{
	memset(w, 0, sizeof(*w));
	if (llm_words_init(&w->words, mode))
		fail_msg("words init");
}

void flt_worker_free(struct flt_worker *w)
{
	llm_words_free(&w->words);
	flt_spans_free(&w->lines);
	flt_spans_free(&w->paras);
	flt_spans_free(&w->parts);
	llm_buf_free(&w->buf);
	llm_buf_free(&w->buf2);
	if (w->pcre_md)
		pcre2_match_data_free(w->pcre_md);
	free(w->u64a);
	free(w->u64b);
	flt_hset_free(w->hs);
	for (int k = 0; k < 6; k++)
		free(w->poly[k]);
}

static const struct llm_key keys[] = {
	{"gopher_quality.min_doc_words", LLM_T_INT, "50", "", 0, 1e12, NULL},
	{"gopher_quality.max_doc_words", LLM_T_INT, "100000", "", 0, 1e12, NULL},
	{"gopher_quality.min_avg_word_length", LLM_T_FLOAT, "3", "", 0, 1e6, NULL},
	{"gopher_quality.max_avg_word_length", LLM_T_FLOAT, "10", "", 0, 1e6, NULL},
	{"gopher_quality.max_symbol_word_ratio", LLM_T_FLOAT, "0.1", "", 0, 1e6, NULL},
	{"gopher_quality.max_bullet_lines_ratio", LLM_T_FLOAT, "0.9", "", 0, 1, NULL},
	{"gopher_quality.max_ellipsis_lines_ratio", LLM_T_FLOAT, "0.3", "", 0, 1, NULL},
	{"gopher_quality.max_non_alpha_words_ratio", LLM_T_FLOAT, "0.8", "", 0, 1, NULL},
	{"gopher_quality.min_stop_words", LLM_T_INT, "2", "", 0, 64, NULL},
	{"gopher_quality.stop_words", LLM_T_STRINGS, "[\"the\", \"be\", \"to\", \"of\", \"and\", \"that\", \"have\", \"with\"]", "", 0, 0, NULL},
	{"gopher_repetition.dup_line_frac", LLM_T_FLOAT, "0.3", "", 0, 1, NULL},
	{"gopher_repetition.dup_para_frac", LLM_T_FLOAT, "0.3", "", 0, 1, NULL},
	{"gopher_repetition.dup_line_char_frac", LLM_T_FLOAT, "0.2", "", 0, 1, NULL},
	{"gopher_repetition.dup_para_char_frac", LLM_T_FLOAT, "0.2", "", 0, 1, NULL},
	{"gopher_repetition.top_n_grams", LLM_T_ARRAY, "[[2, 0.2], [3, 0.18], [4, 0.16]]", "", 0, 0, NULL},
	{"gopher_repetition.dup_n_grams", LLM_T_ARRAY, "[[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.1]]", "", 0, 0, NULL},
	{"c4.remove_citations", LLM_T_BOOL, "true", "", 0, 0, NULL},
	{"c4.filter_no_terminal_punct", LLM_T_BOOL, "false", "", 0, 0, NULL},
	{"c4.min_num_sentences", LLM_T_INT, "5", "", -1, 1e9, NULL},
	{"c4.min_words_per_line", LLM_T_INT, "3", "", -1, 1e9, NULL},
	{"c4.max_word_length", LLM_T_INT, "1000", "", -1, 1e9, NULL},
	{"c4.filter_lorem_ipsum", LLM_T_BOOL, "true", "", 0, 0, NULL},
	{"c4.filter_javascript", LLM_T_BOOL, "true", "", 0, 0, NULL},
	{"c4.filter_curly_bracket", LLM_T_BOOL, "true", "", 0, 0, NULL},
	{"c4.filter_policy", LLM_T_BOOL, "true", "", 0, 0, NULL},
	{"fineweb_quality.line_punct_thr", LLM_T_FLOAT, "0.12", "", 0, 1, NULL},
	{"fineweb_quality.line_punct_exclude_zero", LLM_T_BOOL, "false", "", 0, 0, NULL},
	{"fineweb_quality.short_line_thr", LLM_T_FLOAT, "0.67", "", 0, 1, NULL},
	{"fineweb_quality.short_line_length", LLM_T_INT, "30", "", 0, 1e9, NULL},
	{"fineweb_quality.char_duplicates_ratio", LLM_T_FLOAT, "0.01", "", 0, 1, NULL},
	{"fineweb_quality.new_line_ratio", LLM_T_FLOAT, "0.3", "", 0, 1e6, NULL},
	{"url.domains_file", LLM_T_STRING, "null", "", 0, 0, NULL},
	{"url.urls_file", LLM_T_STRING, "null", "", 0, 0, NULL},
	{"url.banned_words_file", LLM_T_STRING, "null", "", 0, 0, NULL},
	{"url.banned_subwords_file", LLM_T_STRING, "null", "", 0, 0, NULL},
	{"url.soft_banned_words_file", LLM_T_STRING, "null", "", 0, 0, NULL},
	{"url.extra_domains", LLM_T_STRINGS, "[\"blocked.co.uk\", \"evil.example.com\"]", "", 0, 0, NULL},
	{"url.banned_words", LLM_T_STRINGS, "[\"casino\"]", "", 0, 0, NULL},
	{"url.soft_word_threshold", LLM_T_INT, "2", "", 1, 1e6, NULL},
	{"url.public_suffix_list", LLM_T_STRING, "\"/usr/share/publicsuffix/public_suffix_list.dat\"", "", 0, 0, NULL},
	{"pii.remove_emails", LLM_T_BOOL, "true", "", 0, 0, NULL},
	{"pii.remove_ips", LLM_T_BOOL, "true", "", 0, 0, NULL},
	{"pii.only_remove_public_ips", LLM_T_BOOL, "true", "", 0, 0, NULL},
	{NULL, 0, NULL, NULL, 0, 0, NULL},
};

static struct llm_config cfg;
static struct flt_worker wk;

static int setup(void **state)
{
	(void)state;
	if (llm_config_load(&cfg, keys, NULL, NULL, 0))
		return -1;
	flt_worker_init(&wk, LLM_WORDS_EN);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	llm_config_free(&cfg);
	flt_worker_free(&wk);
	return 0;
}

/* Runs filter f on text; returns the reason (NULL = kept); *out gets the new text. */
static const char *run(struct flt *f, const char *text, char **out)
{
	struct flt_doc d = {0};
	d.json = llm_doc_new(text, strlen(text), "t");
	llm_buf_puts(&d.text, text);
	const char *r = f->apply(f, &wk, &d);
	if (out)
		*out = llm_strndup(d.text.data, d.text.len);
	cJSON_Delete(d.json);
	llm_buf_free(&d.text);
	return r;
}

/* A plain English text with no repetition that passes every filter. */
static char *repeat_sentences(int n)
{
	static const char *const s[] = {
		"The harbour was quiet when the fishing boats returned before dawn.",
		"Gulls circled above the nets while the crews counted their catch.",
		"An old mechanic repaired engines in a shed near the northern pier.",
		"Children walked along the seawall to watch the ferry leave for the island.",
		"By noon the market had filled with traders selling bread and cheese.",
		"Rain arrived later that evening and the lamps along the quay flickered.",
		"Most families gathered indoors to share stories about that long winter.",
		"A teacher explained to her pupils how tides depend on the moon.",
		"Nobody expected the storm that would change the shape of the bay.",
		"Years afterwards people still spoke of it with a mixture of fear and pride.",
	};
	struct llm_buf b = LLM_BUF_INIT;
	for (int i = 0; i < n && i < 10; i++)
		llm_buf_appendf(&b, "%s\n", s[i]);
	return llm_buf_detach(&b, NULL);
}

static void test_python_text_helpers(void **state)
{
	(void)state;
	struct flt_spans s = {0};
	const char *t = "a\r\nb\rc\x0b" "d\xe2\x80\xa8" "e\n";
	flt_splitlines(t, strlen(t), &s);
	assert_int_equal(s.n, 5); /* like "a\r\nb\rc\vd\u2028e\n".splitlines() */
	assert_int_equal(s.v[4].len, 1);
	struct flt_span sp = flt_strip("\xc2\xa0 x y\xe3\x80\x80", (struct flt_span){0, 9}, true, true);
	assert_int_equal(sp.off, 3);
	assert_int_equal(sp.len, 3);
	assert_int_equal(flt_count("a...b....", 9, "...", 3), 2);
	assert_true(flt_contains_ci_ascii("Use JavaScript", 14, "javascript"));
	assert_true(flt_contains_ci_ascii("\xe2\x84\xaa" "ilo", 6, "kilo")); /* KELVIN SIGN lowers to k */
	flt_spans_free(&s);
}

static void test_gopher_quality(void **state)
{
	(void)state;
	struct flt f = {0};
	assert_int_equal(flt_gopher_quality_new(&f, &cfg), 0);
	char *good = repeat_sentences(10);
	assert_null(run(&f, good, NULL));
	assert_string_equal(run(&f, "The cat sat on the mat.", NULL), "gopher_short_doc");
	/* the stop words are case-sensitive, as in datatrove */
	struct llm_buf b = LLM_BUF_INIT;
	for (int i = 0; i < 60; i++)
		llm_buf_puts(&b, "THESE CATS SITTING UPON LARGE MATS WITH ");
	assert_string_equal(run(&f, b.data, NULL), "gopher_enough_stop_words");
	llm_buf_reset(&b);
	for (int i = 0; i < 60; i++)
		llm_buf_puts(&b, "the cat #tag #tag and more words\n");
	assert_string_equal(run(&f, b.data, NULL), "gopher_too_many_hashes");
	llm_buf_reset(&b);
	for (int i = 0; i < 30; i++)
		llm_buf_puts(&b, "- the list item with some words and that\n");
	assert_string_equal(run(&f, b.data, NULL), "gopher_too_many_bullets");
	llm_buf_free(&b);
	free(good);
	f.free(&f);
}

static void test_gopher_repetition(void **state)
{
	(void)state;
	struct flt f = {0};
	assert_int_equal(flt_gopher_repetition_new(&f, &cfg), 0);
	char *good = repeat_sentences(10);
	assert_null(run(&f, good, NULL));
	assert_string_equal(run(&f, "", NULL), "empty");
	assert_string_equal(run(&f, "same para\n\nsame para\n\nsame para\n\nother", NULL), "dup_para_frac");
	assert_string_equal(run(&f, "x\nline a\nline a\nline a\nline b", NULL), "dup_line_frac");
	/* a repeated bigram dominates: top_2_gram */
	struct llm_buf b = LLM_BUF_INIT;
	for (int i = 0; i < 40; i++)
		llm_buf_appendf(&b, "hello world w%d ", i);
	assert_string_equal(run(&f, b.data, NULL), "top_2_gram");
	llm_buf_free(&b);
	free(good);
	f.free(&f);
}

static void test_c4(void **state)
{
	(void)state;
	struct flt f = {0};
	assert_int_equal(flt_c4_new(&f, &cfg), 0);
	char *out = NULL;
	const char *t = "  First line has words[1] here.  \nok\nThis mentions JavaScript sadly.\n"
			"We use cookies to track you.\nOne. Two. Three. Four.\nA fifth sentence[edit] is here.";
	assert_null(run(&f, t, &out));
	assert_string_equal(out, "First line has words here.\nOne. Two. Three. Four.\nA fifth sentence is here.");
	free(out);
	assert_string_equal(run(&f, "one two three.\nfour five six.", NULL), "too_few_sentences");
	assert_string_equal(run(&f, "Some lorem ipsum dolor text.", NULL), "lorem_ipsum");
	assert_string_equal(run(&f, "A line with { brace in it.", NULL), "curly_bracket");
	/* a curly bracket on a line that is dropped first does not count */
	assert_string_equal(run(&f, "x {\nOne. Two. Three.", NULL), "too_few_sentences");
	f.free(&f);
}

static void test_fineweb(void **state)
{
	(void)state;
	struct flt f = {0};
	assert_int_equal(flt_fineweb_new(&f, &cfg), 0);
	char *good = repeat_sentences(10);
	assert_null(run(&f, good, NULL));
	assert_string_equal(run(&f, "  \n\n \t\n", NULL), "empty");
	assert_string_equal(run(&f, "no punctuation here at all in this line\nnor here in this line either ok", NULL),
			    "line_punct_ratio");
	assert_string_equal(run(&f, "short.\nlines.\nonly.\nhere.", NULL), "short_line_ratio");
	free(good);
	f.free(&f);
}

static void test_pii(void **state)
{
	(void)state;
	struct flt f = {0};
	assert_int_equal(flt_pii_new(&f, &cfg), 0);
	char *out = NULL;
	assert_null(run(&f, "a@b.co, c.d@e.org and x@y.io; dns 1.1.1.1, lan 10.0.0.1, cgnat 100.64.0.9, "
			    "zeros 01.2.3.4, 256.1.1.1", &out));
	assert_string_equal(out, "email@example.com, firstname.lastname@example.org and email@example.com; "
				 "dns 22.214.171.124, lan 10.0.0.1, cgnat 100.64.0.9, zeros 01.2.3.4, "
				 "2126.96.36.199");
	free(out);
	f.free(&f);
}

static void test_url(void **state)
{
	(void)state;
	if (access("/usr/share/publicsuffix/public_suffix_list.dat", R_OK) != 0) {
		skip();
		return;
	}
	struct flt f = {0};
	assert_int_equal(flt_url_new(&f, &cfg), 0);
	struct flt_doc d = {0};
	const struct { const char *url, *want; } cases[] = {
		{"https://www.blocked.co.uk/page", "domain"},
		{"http://blocked.co.uk:8080/", "domain"},
		{"https://evil.example.com/x", "subdomain"},
		{"https://example.com/x", NULL},
		{"https://example.com/best-casino-online", "hard_blacklisted"},
		{"https://example.com/CASINO", NULL},         /* words match case-sensitively */
		{"https://example.com/casinos", NULL},        /* whole words only */
		{"http://user@blocked.co.uk@good.org/", NULL},
		{"", "missing_url"},
	};
	for (size_t i = 0; i < LLM_ARRAY_SIZE(cases); i++) {
		d.url = cases[i].url;
		const char *r = f.apply(&f, &wk, &d);
		if ((r == NULL) != (cases[i].want == NULL) || (r && strcmp(r, cases[i].want) != 0))
			fail_msg("url '%s': got %s, expected %s", cases[i].url, r ? r : "keep",
				 cases[i].want ? cases[i].want : "keep");
	}
	f.free(&f);
	/* soft-banned words: a list is a set, so a word listed twice counts once */
	char *dir = tu_tmpdir();
	char *list = llm_asprintf("%s/soft.txt", dir);
	const char *soft = "# comment\nfoo\nfoo\nBar-\n\nbaz\n";
	tu_write(list, soft, strlen(soft));
	char *ov = llm_asprintf("url.soft_banned_words_file=\"%s\"", list);
	struct llm_config c2;
	assert_int_equal(llm_config_load(&c2, keys, NULL, &ov, 1), 0);
	struct flt g = {0};
	assert_int_equal(flt_url_new(&g, &c2), 0);
	d.url = "https://example.com/foo/x";
	assert_null(g.apply(&g, &wk, &d));
	d.url = "https://example.com/foo/bar";
	assert_string_equal(g.apply(&g, &wk, &d), "soft_blacklisted");
	d.url = "https://example.com/foo-BAR";   /* words match case-sensitively */
	assert_null(g.apply(&g, &wk, &d));
	g.free(&g);
	llm_config_free(&c2);
	free(ov);
	free(list);
	tu_rmdir(dir);
}

static bool collect(void *ctx, int id, size_t a, size_t b)
{
	struct llm_buf *o = ctx;
	llm_buf_appendf(o, "%d:%zu-%zu ", id, a, b);
	return false;
}

static void test_aho_corasick(void **state)
{
	(void)state;
	struct llm_ac *ac = llm_ac_new();
	const char *pats[] = {"he", "she", "his", "hers", "s"};
	for (int i = 0; i < 5; i++)
		llm_ac_add(ac, pats[i], strlen(pats[i]), i);
	llm_ac_build(ac);
	struct llm_buf o = LLM_BUF_INIT;
	llm_ac_scan(ac, "ushers", 6, collect, &o);
	/* every occurrence, by end position: she(1-4) he(2-4) s(1-2)... */
	assert_non_null(strstr(o.data, "1:1-4"));
	assert_non_null(strstr(o.data, "0:2-4"));
	assert_non_null(strstr(o.data, "3:2-6"));
	assert_non_null(strstr(o.data, "4:1-2"));
	assert_non_null(strstr(o.data, "4:5-6"));
	assert_true(llm_ac_any(ac, "xxhisxx", 7));
	assert_false(llm_ac_any(ac, "abc", 3));
	assert_false(llm_ac_any(ac, "", 0));
	llm_buf_free(&o);
	llm_ac_free(ac);
	/* an empty automaton matches nothing */
	ac = llm_ac_new();
	llm_ac_build(ac);
	assert_false(llm_ac_any(ac, "anything", 8));
	llm_ac_free(ac);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_text_helpers),
		cmocka_unit_test(test_gopher_quality),
		cmocka_unit_test(test_gopher_repetition),
		cmocka_unit_test(test_c4),
		cmocka_unit_test(test_fineweb),
		cmocka_unit_test(test_pii),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_aho_corasick),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
