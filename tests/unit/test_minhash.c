/* Unit tests for lib/ngram.c and lib/minhash.c: normalisation, shingles,
 * numpy-compatible permutation parameters and signatures against values
 * produced by datatrove 0.10.1 (MinhashDedupSignature, default config). */
#include "testutil.h"

#include <math.h>

#include "minhash.h"
#include "ngram.h"

static const char *norm(const char *text, struct llm_ngram_scratch *s)
{
	struct llm_ngram_norm n;
	llm_ngram_norm_defaults(&n);
	llm_ngram_normalise(&n, text, strlen(text), s, true);
	return s->text;
}

static void test_normalise_like_datatrove(void **state)
{
	(void)state;
	struct llm_ngram_scratch s;
	llm_ngram_scratch_init(&s);
	/* expected strings: datatrove.utils.text.simplify_text() output */
	assert_string_equal(norm("The quick brown fox jumps over the lazy dog. It was 3.14 degrees, "
				 "1,000,000 people!", &s),
			    "the quick brown fox jumps over the lazy dog it was 0 degrees 0 0 people");
	assert_string_equal(norm("\xc3\x87" "a co\xc3\xbb" "te 12,50 \xe2\x82\xac \xe2\x80\x94 tr\xc3\xa8s cher. "
				 "Na\xc3\xafve ""\xc3\x89" "COLE \xce\xa3\xce\x9f\xce\xa6\xce\x9f\xce\xa3", &s),
			    "ca coute 0 \xe2\x82\xac tres cher naive ecole \xcf\x83\xce\xbf\xcf\x86\xce\xbf\xcf\x82");
	assert_string_equal(norm("  v1.0-rc2\t\n 4,5,6 1.2.3 ", &s), "v0 rc0 0 0 0 0");
	assert_int_equal(s.n_words, 6);
	/* U+061F is only in TERMINAL_PUNCTUATION, which simplify_text keeps */
	assert_string_equal(norm("a\xd8\x9f b", &s), "a\xd8\x9f b");
	assert_string_equal(norm("", &s), "");
	assert_int_equal(s.n_words, 0);
	assert_string_equal(norm("!!! ...", &s), "");
	llm_ngram_scratch_free(&s);
}

static void test_spacy_word_splits(void **state)
{
	(void)state;
	/* expected: datatrove's SpaCyTokenizer("en").word_tokenize(simplify_text(t)) */
	const char *t = "It cannot be 5km, I dont know. Id say \xe2\x80\x98lock \xe2\x80\x98s and x\xd8\x8c then "
			"a\xe2\x84\xa2" "b or 3\xe2\x82\xac m5m \xc2\xa9 2024 Corp";
	const char *want[] = {"it", "can", "not", "be", "0", "km", "i", "do", "nt", "know", "i", "d", "say",
			      "\xe2\x80\x98", "lock", "\xe2\x80\x98s", "and", "x", "\xd8\x8c", "then", "a",
			      "\xe2\x84\xa2", "b", "or", "0", "\xe2\x82\xac", "m0", "m", "\xc2\xa9", "0", "corp"};
	struct llm_ngram_norm n;
	llm_ngram_norm_defaults(&n);
	struct llm_ngram_scratch s;
	llm_ngram_scratch_init(&s);
	llm_ngram_normalise(&n, t, strlen(t), &s, true);
	assert_int_equal(s.n_words, LLM_ARRAY_SIZE(want));
	for (size_t i = 0; i < s.n_words; i++) {
		char w[32];
		snprintf(w, sizeof(w), "%.*s", (int)(s.wend[i] - s.word[i]), s.text + s.word[i]);
		assert_string_equal(w, want[i]);
	}
	/* the 5-gram "be 0 km i do" is hashed as the words joined by spaces */
	assert_true(llm_ngram_hashes(&n, 5, t, strlen(t), &s) == LLM_ARRAY_SIZE(want) - 4);
	assert_true(s.hashes[3] == llm_ngram_hash("be 0 km i do", 12));
	assert_true(s.hashes[2] == llm_ngram_hash("not be 0 km i", 13));
	assert_true(s.hashes[0] == llm_ngram_hash("it can not be 0", 15));
	/* whitespace words only */
	n.spacy_en = false;
	llm_ngram_normalise(&n, t, strlen(t), &s, true);
	assert_int_equal(s.n_words, 21);
	llm_ngram_scratch_free(&s);
}

static void test_numpy_randint(void **state)
{
	(void)state;
	/* numpy.random.RandomState(1).randint(1, 2**61-1, size=112, dtype=uint64),
	 * then randint(0, 2**61-1, size=112, dtype=uint64) */
	struct llm_minhash m;
	struct llm_minhash_cfg c;
	llm_minhash_cfg_defaults(&c);
	assert_int_equal(llm_minhash_init(&m, &c), 0);
	assert_int_equal(m.n_hashes, 112);
	assert_true(m.a[0] == 775169054918279404ull);
	assert_true(m.a[1] == 1758426461858698313ull);
	assert_true(m.a[2] == 2109959069025162ull);
	assert_true(m.a[111] == 223865076026037746ull);
	assert_true(m.b[0] == 1062448801025099917ull);
	assert_true(m.b[1] == 1324811268927594100ull);
	assert_true(m.b[2] == 1217488311597731462ull);
	assert_true(m.b[111] == 1097409548522419201ull);
	llm_minhash_free(&m);
}

static void test_signature_like_datatrove(void **state)
{
	(void)state;
	struct llm_minhash m;
	struct llm_minhash_cfg c;
	llm_minhash_cfg_defaults(&c);
	assert_int_equal(llm_minhash_init(&m, &c), 0);
	struct llm_ngram_scratch s;
	llm_ngram_scratch_init(&s);
	uint64_t sig[112];
	/* one shingle "a b c d e" */
	assert_int_equal(llm_minhash_signature(&m, &s, "a b c d e", 9, sig), 1);
	assert_true(s.hashes[0] == llm_ngram_hash("a b c d e", 9));
	assert_true(sig[0] == 608970002929154467ull);
	assert_true(sig[1] == 47158559598946917ull);
	assert_true(sig[2] == 843810096883975682ull);
	assert_true(sig[3] == 2253112919500401664ull);
	assert_true(sig[111] == 2108056541009042523ull);
	const char *t = "The quick brown fox jumps over the lazy dog. It was 3.14 degrees, 1,000,000 people!";
	assert_int_equal(llm_minhash_signature(&m, &s, t, strlen(t), sig), 12);
	assert_true(sig[0] == 85330943174081874ull);
	assert_true(sig[1] == 175021855724751277ull);
	assert_true(sig[111] == 3963570588256049ull);
	for (int j = 0; j < 112; j++)
		assert_true(sig[j] < LLM_MINHASH_PRIME);
	/* fewer words than n_grams: no signature, as datatrove */
	sig[0] = 42;
	assert_int_equal(llm_minhash_signature(&m, &s, "one two three four", 18, sig), 0);
	assert_int_equal(llm_minhash_signature(&m, &s, "", 0, sig), 0);
	assert_true(sig[0] == 42);
	llm_ngram_scratch_free(&s);
	llm_minhash_free(&m);
}

static void test_mod61_exact(void **state)
{
	(void)state;
	struct llm_minhash m;
	struct llm_minhash_cfg c;
	llm_minhash_cfg_defaults(&c);
	c.perm = LLM_MINHASH_PERM_MOD61;
	assert_int_equal(llm_minhash_init(&m, &c), 0);
	uint64_t sh[3] = {0, UINT64_MAX, 0x123456789abcdefull}, sig[112];
	llm_minhash_from_shingles(&m, sh, 3, sig);
	for (int j = 0; j < 112; j++) {
		uint64_t best = UINT64_MAX;
		for (int i = 0; i < 3; i++) {
			unsigned __int128 v = (unsigned __int128)m.a[j] * sh[i] + m.b[j];
			uint64_t r = (uint64_t)(v % LLM_MINHASH_PRIME);
			best = r < best ? r : best;
		}
		assert_true(sig[j] == best);
	}
	assert_true(llm_minhash_cfg_hash(&c) != 0);
	struct llm_minhash_cfg d;
	llm_minhash_cfg_defaults(&d);
	assert_true(llm_minhash_cfg_hash(&c) != llm_minhash_cfg_hash(&d));
	llm_minhash_free(&m);
}

static void test_lsh_curve(void **state)
{
	(void)state;
	/* datatrove's comment: 1-(1-0.8^8)^14 = 0.924 */
	assert_true(fabs(llm_minhash_lsh_prob(0.8, 14, 8) - 0.9243) < 1e-3);
	assert_true(llm_minhash_lsh_prob(0.0, 14, 8) == 0.0);
	assert_true(llm_minhash_lsh_prob(1.0, 14, 8) == 1.0);
	assert_true(llm_minhash_lsh_prob(0.5, 14, 8) < 0.06);
}

static void test_config_rejects(void **state)
{
	(void)state;
	struct llm_minhash m;
	struct llm_minhash_cfg c;
	llm_minhash_cfg_defaults(&c);
	c.num_buckets = 2000;
	assert_int_equal(llm_minhash_init(&m, &c), -1);
	llm_minhash_cfg_defaults(&c);
	c.n_grams = 0;
	assert_int_equal(llm_minhash_init(&m, &c), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise_like_datatrove),
		cmocka_unit_test(test_spacy_word_splits),
		cmocka_unit_test(test_numpy_randint),
		cmocka_unit_test(test_signature_like_datatrove),
		cmocka_unit_test(test_mod61_exact),
		cmocka_unit_test(test_lsh_curve),
		cmocka_unit_test(test_config_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
