/* Unit tests for lib/tokenizer*.c, lib/bpe_pretok.c and lib/bpe_train.c. */
#include "testutil.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "bpe_train.h"
#include "tokenizer.h"
#include "utf8.h"

static char *shared_path(const char *name)
{
	const char *d = getenv("LLMAKE_SHARED");
	return llm_asprintf("%s/%s", d ? d : "../shared/data", name);
}

static struct llm_tokenizer *load_shared(const char *name)
{
	char *p = shared_path(name);
	struct llm_tokenizer *t = llm_tokenizer_load(p, NULL);
	free(p);
	assert_non_null(t);
	return t;
}

static void encode_str(const struct llm_tokenizer *t, const char *s, unsigned flags, struct llm_tokens *out)
{
	out->n = 0;
	llm_tokenizer_encode(t, s, strlen(s), flags, out);
}

/* ------------------------------------------------------------------ */
/* pre-tokenizers against PCRE2 running the same regex                  */

static const char *const alphabet[] = {
	"a", "b", "Z", "s", "S", "t", "T", "l", "L", "v", "e", "r", "R", "d", "m", "M", "1", "2", "0",
	"\xd9\xa3" /* arabic 3 */, "\xc3\xa9", "\xe4\xb8\xad", " ", " ", " ", "\t", "\n", "\n", "\r",
	"'", "'", "!", ".", ",", "-", "\xf0\x9f\x98\x80", "\xe3\x80\x80" /* U+3000 */,
	"\xc2\xa0" /* nbsp */, "\xc5\xbf" /* long s */, "\xe2\x80\xa8", "\x0b", "\xe2\x85\xa0" /* roman 1 */,
	"\xcc\x81" /* combining acute */, "_", "\xe2\x80\x8d" /* ZWJ */,
};

static void random_text(unsigned *seed, struct llm_buf *b, int n)
{
	llm_buf_reset(b);
	for (int i = 0; i < n; i++)
		llm_buf_puts(b, alphabet[rand_r(seed) % LLM_ARRAY_SIZE(alphabet)]);
}

static void check_against_pcre2(enum llm_pretok kind, const char *regex)
{
	int err;
	PCRE2_SIZE eoff;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &err, &eoff, NULL);
	assert_non_null(re);
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
	unsigned seed = 1234;
	struct llm_buf b = LLM_BUF_INIT;
	long pieces = 0;
	for (int iter = 0; iter < 3000; iter++) {
		random_text(&seed, &b, 1 + rand_r(&seed) % 40);
		const uint8_t *s = (const uint8_t *)b.data;
		size_t pos = 0;
		while (pos < b.len) {
			int rc = pcre2_match(re, s, b.len, pos, PCRE2_ANCHORED, md, NULL);
			assert_true(rc > 0);
			size_t want = pcre2_get_ovector_pointer(md)[1];
			size_t got = llm_pretok_next(kind, s, b.len, pos);
			if (got != want)
				fail_msg("%s: text \"%s\" at byte %zu: piece ends at %zu, PCRE2 says %zu",
					 llm_pretok_name(kind), b.data, pos, got, want);
			pos = got;
			pieces++;
		}
	}
	assert_true(pieces > 10000);
	llm_buf_free(&b);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
}

static void test_pretok_gpt2(void **state)
{
	(void)state;
	check_against_pcre2(LLM_PRETOK_GPT2, llm_pretok_regex(LLM_PRETOK_GPT2));
}

static void test_pretok_cl100k(void **state)
{
	(void)state;
	check_against_pcre2(LLM_PRETOK_CL100K, llm_pretok_regex(LLM_PRETOK_CL100K));
}

static void test_pretok_llama3(void **state)
{
	(void)state;
	check_against_pcre2(LLM_PRETOK_LLAMA3, llm_pretok_regex(LLM_PRETOK_LLAMA3));
}

static void test_pretok_qwen2(void **state)
{
	(void)state;
	check_against_pcre2(LLM_PRETOK_QWEN2, llm_pretok_regex(LLM_PRETOK_QWEN2));
}

static void test_pretok_invalid_bytes(void **state)
{
	(void)state;
	/* an invalid byte is one symbol: it joins a run of symbols, and splits letters */
	const uint8_t s[] = "ab\xff\xfe!cd \x80x";
	size_t n = sizeof(s) - 1;
	assert_int_equal(llm_pretok_next(LLM_PRETOK_GPT2, s, n, 0), 2);
	assert_int_equal(llm_pretok_next(LLM_PRETOK_GPT2, s, n, 2), 5);
	assert_int_equal(llm_pretok_next(LLM_PRETOK_GPT2, s, n, 5), 7);
	assert_int_equal(llm_pretok_next(LLM_PRETOK_GPT2, s, n, 7), 9); /* " \x80" */
	/* cl100k: a symbol may prefix a letter run */
	assert_int_equal(llm_pretok_next(LLM_PRETOK_CL100K, s, n, 8), 10);
}

static void test_bytelevel_alphabet(void **state)
{
	(void)state;
	int seen[324] = {0};
	for (int b = 0; b < 256; b++) {
		uint32_t cp = llm_bytelevel_char((uint8_t)b);
		assert_true(cp < 324);
		assert_int_equal(llm_bytelevel_byte(cp), b);
		seen[cp]++;
	}
	assert_int_equal(llm_bytelevel_char(' '), 0x120); /* 'Ġ' */
	assert_int_equal(llm_bytelevel_char('A'), 'A');
	assert_int_equal(llm_bytelevel_char(0xAD), 256 + 67);
	assert_int_equal(llm_bytelevel_byte(0x41), 0x41);
	assert_int_equal(llm_bytelevel_byte(0x7F), -1);
}

/* ------------------------------------------------------------------ */
/* encoding                                                             */

static void test_known_ids(void **state)
{
	(void)state;
	struct llm_tokens ids = {0};
	struct llm_tokenizer *g = load_shared("gpt2.tiktoken");
	struct llm_tokenizer *h = load_shared("gpt2-tokenizer.json");
	struct llm_tokenizer *c = load_shared("cl100k_base.tiktoken");
	encode_str(g, "Hello world", 0, &ids);
	assert_int_equal(ids.n, 2);
	assert_int_equal(ids.ids[0], 15496);
	assert_int_equal(ids.ids[1], 995);
	encode_str(h, "Hello world", 0, &ids);
	assert_int_equal(ids.n, 2);
	assert_int_equal(ids.ids[1], 995);
	encode_str(c, "Hello world", 0, &ids);
	assert_int_equal(ids.n, 2);
	assert_int_equal(ids.ids[0], 9906);
	assert_int_equal(ids.ids[1], 1917);
	assert_int_equal(llm_tokenizer_n_vocab(g), 50257);
	assert_int_equal(llm_tokenizer_n_vocab(h), 50257);
	assert_int_equal(llm_tokenizer_n_vocab(c), 100277);
	assert_int_equal(llm_tokenizer_eot(g), 50256);
	assert_int_equal(llm_tokenizer_eot(c), 100257);
	/* special tokens: recognised only with LLM_TOK_SPECIAL */
	encode_str(c, "a<|endoftext|>b", LLM_TOK_SPECIAL, &ids);
	assert_int_equal(ids.n, 3);
	assert_int_equal(ids.ids[1], 100257);
	encode_str(c, "a<|endoftext|>b", 0, &ids);
	assert_true(ids.n > 3);
	for (size_t i = 0; i < ids.n; i++)
		assert_false(llm_tokenizer_is_special(c, ids.ids[i]));
	encode_str(h, "<|endoftext|><|endoftext|>", LLM_TOK_SPECIAL, &ids);
	assert_int_equal(ids.n, 2);
	assert_int_equal(ids.ids[0], 50256);
	llm_tokens_free(&ids);
	llm_tokenizer_free(g);
	llm_tokenizer_free(h);
	llm_tokenizer_free(c);
}

/* The textbook algorithm on byte strings: merge the adjacent pair whose
 * concatenation has the lowest rank, leftmost first. */
static size_t reference_bpe(const struct llm_tokenizer *t, const uint8_t *p, size_t n, uint32_t *out)
{
	size_t *start = llm_malloc((n + 1) * sizeof(*start));
	size_t m = n;
	for (size_t i = 0; i <= n; i++)
		start[i] = i;
	for (;;) {
		int64_t best = -1;
		size_t at = 0;
		for (size_t i = 0; i + 1 < m; i++) {
			int64_t r = llm_tokenizer_find(t, (const char *)p + start[i], start[i + 2] - start[i]);
			if (r >= 0 && (best < 0 || r < best)) {
				best = r;
				at = i;
			}
		}
		if (best < 0)
			break;
		memmove(start + at + 1, start + at + 2, (m - at - 1) * sizeof(*start));
		m--;
	}
	for (size_t i = 0; i < m; i++)
		out[i] = (uint32_t)llm_tokenizer_find(t, (const char *)p + start[i], start[i + 1] - start[i]);
	free(start);
	return m;
}

static void test_long_pieces_match_reference(void **state)
{
	(void)state;
	struct llm_tokenizer *t = load_shared("cl100k_base.tiktoken");
	unsigned seed = 99;
	struct llm_tokens ids = {0};
	uint32_t *ref = llm_malloc(4096 * sizeof(*ref));
	uint8_t word[2000];
	for (int iter = 0; iter < 60; iter++) {
		/* letter runs of 20..1500 bytes: short ones take the small loop, long the heap */
		size_t n = 20 + (size_t)rand_r(&seed) % 1480;
		const char *letters = iter % 2 ? "ab" : "etaoinshrdlucmfw";
		size_t nl = strlen(letters);
		for (size_t i = 0; i < n; i++)
			word[i] = (uint8_t)letters[rand_r(&seed) % nl];
		ids.n = 0;
		llm_tokenizer_encode_piece(t, word, n, &ids);
		size_t m = reference_bpe(t, word, n, ref);
		assert_int_equal(ids.n, m);
		assert_memory_equal(ids.ids, ref, m * sizeof(*ref));
	}
	free(ref);
	llm_tokens_free(&ids);
	llm_tokenizer_free(t);
}

static void test_roundtrip_random_bytes(void **state)
{
	(void)state;
	const char *files[] = {"gpt2.tiktoken", "gpt2-tokenizer.json", "cl100k_base.tiktoken"};
	unsigned seed = 7;
	for (size_t f = 0; f < LLM_ARRAY_SIZE(files); f++) {
		struct llm_tokenizer *t = load_shared(files[f]);
		struct llm_tokens ids = {0};
		struct llm_buf back = LLM_BUF_INIT;
		char buf[5000];
		for (int iter = 0; iter < 200; iter++) {
			size_t n = (size_t)rand_r(&seed) % sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = (char)(iter % 3 ? rand_r(&seed) % 256 : "ab \n\x80\xc3\xa9"[rand_r(&seed) % 7]);
			ids.n = 0;
			llm_tokenizer_encode(t, buf, n, 0, &ids);
			llm_buf_reset(&back);
			assert_int_equal(llm_tokenizer_decode(t, ids.ids, ids.n, &back), 0);
			assert_int_equal(back.len, n);
			assert_memory_equal(back.data, buf, n);
		}
		uint32_t bad = 1u << 30;
		assert_int_equal(llm_tokenizer_decode(t, &bad, 1, &back), -1);
		llm_buf_free(&back);
		llm_tokens_free(&ids);
		llm_tokenizer_free(t);
	}
}

static void test_threads_agree(void **state)
{
	(void)state;
	struct llm_tokenizer *t = load_shared("gpt2.tiktoken");
	char *p = shared_path("tinyshakespeare.txt");
	size_t n;
	char *text = tu_read(p, &n);
	assert_non_null(text);
	n = LLM_MIN(n, (size_t)400000);
	struct llm_tokens one = {0};
	llm_tokenizer_encode(t, text, n, 0, &one);
	struct llm_tokens many[4] = {{0}};
#pragma omp parallel for num_threads(4)
	for (int i = 0; i < 4; i++)
		llm_tokenizer_encode(t, text, n, 0, &many[i]);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(many[i].n, one.n);
		assert_memory_equal(many[i].ids, one.ids, one.n * sizeof(uint32_t));
		llm_tokens_free(&many[i]);
	}
	llm_tokens_free(&one);
	free(text);
	free(p);
	llm_tokenizer_free(t);
}

/* ------------------------------------------------------------------ */
/* loading errors                                                       */

struct load_arg {
	const char *json;
	struct llm_tokenizer *tok;
};

static void load_mem(void *a)
{
	struct load_arg *la = a;
	la->tok = llm_tokenizer_load_hf_mem(la->json, strlen(la->json), "x.json");
}

static void expect_load_error(const char *json, const char *needle)
{
	struct load_arg a = {json, NULL};
	char *err = tu_capture_stderr(load_mem, &a);
	assert_null(a.tok);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not mention \"%s\"", err, needle);
	free(err);
}

static void test_load_errors(void **state)
{
	(void)state;
	expect_load_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0", "truncated");
	expect_load_error("{\"model\": [1, 2,, ]}", "invalid JSON at line 1");
	expect_load_error("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"a\": 0}}, "
			  "\"pre_tokenizer\": {\"type\": \"ByteLevel\"}}", "unsupported model type 'WordPiece'");
	expect_load_error("{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", 0.0]]}, "
			  "\"pre_tokenizer\": {\"type\": \"Metaspace\"}}", "unsupported model type 'Unigram'");
	expect_load_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": "
			  "[\"a c\"]}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}", "not in model.vocab");
	expect_load_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, "
			  "\"pre_tokenizer\": {\"type\": \"Whitespace\"}}", "unsupported pre_tokenizer type");
	expect_load_error("{\"normalizer\": {\"type\": \"Lowercase\"}, \"model\": {\"type\": \"BPE\", \"vocab\": "
			  "{\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"ByteLevel\"}}",
			  "normalizer 'Lowercase'");
	expect_load_error("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}, \"merges\": []}, "
			  "\"pre_tokenizer\": {\"type\": \"ByteLevel\"}}", "non-negative integer");
	expect_load_error("[]", "no \"model\" object");
}

struct trunc_arg {
	const char *data;
	size_t len;
	struct llm_tokenizer *tok;
};

static void load_trunc(void *a)
{
	struct trunc_arg *ta = a;
	ta->tok = llm_tokenizer_load_hf_mem(ta->data, ta->len, "cut.json");
}

/* The real GPT-2 tokenizer.json cut at many points: always refused, never
 * a crash, and the message says truncated. */
static void test_truncated_real_file(void **state)
{
	(void)state;
	char *p = shared_path("gpt2-tokenizer.json");
	size_t n;
	char *data = tu_read(p, &n);
	assert_non_null(data);
	unsigned seed = 3;
	for (int i = 0; i < 12; i++) {
		struct trunc_arg a = {data, i == 0 ? 1 : (size_t)rand_r(&seed) % (n - 2) + 1, NULL};
		char *err = tu_capture_stderr(load_trunc, &a);
		assert_null(a.tok);
		if (!strstr(err, "truncated"))
			fail_msg("cut at %zu: \"%s\"", a.len, err);
		free(err);
	}
	struct trunc_arg whole = {data, n, NULL};
	load_trunc(&whole);
	assert_non_null(whole.tok);
	llm_tokenizer_free(whole.tok);
	free(data);
	free(p);
}

static void load_tt(void *a)
{
	struct load_arg *la = a;
	la->tok = llm_tokenizer_load_tiktoken(la->json, "gpt2");
}

static void test_tiktoken_errors(void **state)
{
	(void)state;
	char *d = tu_tmpdir();
	char *p = llm_asprintf("%s/bad.tiktoken", d);
	tu_write(p, "IQ== 0\nIg== 1\nnot base64! 2\n", 29);
	struct load_arg a = {p, NULL};
	char *err = tu_capture_stderr(load_tt, &a);
	assert_null(a.tok);
	assert_non_null(strstr(err, "line 3"));
	free(err);
	tu_write(p, "IQ== 0\nIg== 0\n", 14);
	err = tu_capture_stderr(load_tt, &a);
	assert_null(a.tok);
	assert_non_null(strstr(err, "appears twice"));
	free(err);
	free(p);
	tu_rmdir(d);
}

/* A Split regex that is none of the known ones runs on PCRE2. */
static void test_generic_regex(void **state)
{
	(void)state;
	const char *json = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, "
			   "\"\\u0120\": 3, \"\\u0120a\": 4}, \"merges\": [\"a b\", \"\\u0120 a\"]}, "
			   "\"pre_tokenizer\": {\"type\": \"Sequence\", \"pretokenizers\": [{\"type\": \"Split\", "
			   "\"pattern\": {\"Regex\": \"[a-z]+\"}, \"behavior\": \"Isolated\", \"invert\": false}, "
			   "{\"type\": \"ByteLevel\", \"use_regex\": false}]}}";
	struct llm_tokenizer *t = llm_tokenizer_load_hf_mem(json, strlen(json), "generic");
	assert_non_null(t);
	assert_int_equal(llm_tokenizer_pretok(t), LLM_PRETOK_REGEX);
	struct llm_tokens ids = {0};
	/* " ab ab" splits as " ", "ab", " ", "ab": the space never merges with a */
	encode_str(t, " ab ab", 0, &ids);
	assert_int_equal(ids.n, 4);
	assert_int_equal(ids.ids[0], 3);
	assert_int_equal(ids.ids[1], 2);
	assert_int_equal(ids.ids[2], 3);
	llm_tokens_free(&ids);
	llm_tokenizer_free(t);
}

/* ------------------------------------------------------------------ */
/* training                                                             */

static void test_train_small(void **state)
{
	(void)state;
	/* BpeTrainer's own unit test corpus (word counts), with byte symbols */
	struct llm_bpe_counts *c = llm_bpe_counts_new();
	const char *words[] = {"roses", "are", "are", "red", "voilets", "blue", "BERT", "is", "is",
			       "big", "and", "so", "GPT-2"};
	for (size_t i = 0; i < LLM_ARRAY_SIZE(words); i++)
		llm_bpe_counts_add(c, words[i], strlen(words[i]), 1);
	const char *special[] = {"<|endoftext|>"};
	struct llm_bpe_train_opts o = {.vocab_size = 1000, .min_frequency = 2, .pretok = LLM_PRETOK_GPT2,
				       .special = special, .n_special = 1};
	struct llm_bpe_result r;
	assert_int_equal(llm_bpe_train(c, &o, &r), 0);
	/* merges with count >= 2: r e -> re, a re -> are, i s -> is */
	assert_int_equal(r.n_merges, 3);
	assert_int_equal(r.n_vocab, 1 + 256 + 3);
	assert_non_null(strstr(r.json, "\"r e\""));
	assert_non_null(strstr(r.json, "\"a re\""));
	assert_non_null(strstr(r.json, "\"i s\""));
	assert_true(strstr(r.json, "\"r e\"") < strstr(r.json, "\"a re\""));
	struct llm_tokenizer *t = llm_tokenizer_load_hf_mem(r.json, r.json_len, "trained");
	assert_non_null(t);
	struct llm_tokens ids = {0};
	encode_str(t, "are", 0, &ids);
	assert_int_equal(ids.n, 1);
	assert_int_equal(ids.ids[0], 258); /* 1 special + 256 bytes + "re", then "are" */
	llm_tokens_free(&ids);
	llm_tokenizer_free(t);
	free(r.json);
	llm_bpe_counts_free(c);
}

static void test_train_counts_merge(void **state)
{
	(void)state;
	struct llm_bpe_counts *a = llm_bpe_counts_new(), *b = llm_bpe_counts_new();
	llm_bpe_counts_add_text(a, LLM_PRETOK_GPT2, "the cat the dog", 15);
	llm_bpe_counts_add_text(b, LLM_PRETOK_GPT2, "the end", 7);
	assert_int_equal(llm_bpe_counts_words(a), 4); /* "the", " cat", " the", " dog" */
	llm_bpe_counts_merge(a, b);
	assert_int_equal(llm_bpe_counts_words(a), 5);
	llm_bpe_counts_free(a);
	llm_bpe_counts_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pretok_gpt2),
		cmocka_unit_test(test_pretok_cl100k),
		cmocka_unit_test(test_pretok_llama3),
		cmocka_unit_test(test_pretok_qwen2),
		cmocka_unit_test(test_pretok_invalid_bytes),
		cmocka_unit_test(test_bytelevel_alphabet),
		cmocka_unit_test(test_known_ids),
		cmocka_unit_test(test_long_pieces_match_reference),
		cmocka_unit_test(test_roundtrip_random_bytes),
		cmocka_unit_test(test_threads_agree),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_tiktoken_errors),
		cmocka_unit_test(test_truncated_real_file),
		cmocka_unit_test(test_generic_regex),
		cmocka_unit_test(test_train_small),
		cmocka_unit_test(test_train_counts_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
