/* test_smallgemm.c: attention's small products against a double-precision
 * reference, for every causal mode, odd shapes and both operand layouts. */
#include "testutil.h"

#include <math.h>

#include "smallgemm.h"

static float val(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (float)((*s >> 40) & 0xffff) / 65536.0f - 0.5f;
}

/* Is C(i, j) part of what the caller asked for (see smallgemm.h)? */
static bool needed(enum llm_tri tri, int off, int i, int j)
{
	return tri != LLM_TRI_COLS || j <= off + i;
}

/* A's entries the mode declares zero are zero in the input, as in attention. */
static bool a_zero(enum llm_tri tri, int off, int i, int p)
{
	return (tri == LLM_TRI_KEND && p > off + i) || (tri == LLM_TRI_KBEGIN && p < i - off);
}

static void check_one(int m, int n, int k, bool a_trans, bool acc, enum llm_tri tri, int off,
		      bool ref_only)
{
	uint64_t seed = (uint64_t)(m * 1000003 + n * 1009 + k * 7 + tri * 3 + acc);
	long ld_a = (a_trans ? m : k) + 3, ldb = n + 5, ldc = n + 2;
	long rsa = a_trans ? 1 : ld_a, csa = a_trans ? ld_a : 1;
	size_t na = (size_t)(a_trans ? k : m) * ld_a, nb = (size_t)k * ldb, nc = (size_t)m * ldc;
	float *A = calloc(na, sizeof(float)), *B = calloc(nb, sizeof(float));
	float *C = calloc(nc, sizeof(float)), *C0 = calloc(nc, sizeof(float));
	for (int i = 0; i < m; i++)
		for (int p = 0; p < k; p++)
			A[i * rsa + p * csa] = a_zero(tri, off, i, p) ? 0.0f : val(&seed);
	for (size_t i = 0; i < nb; i++)
		B[i] = val(&seed);
	for (size_t i = 0; i < nc; i++)
		C[i] = C0[i] = val(&seed);
	if (ref_only)
		llm_smallgemm_ref(m, n, k, A, rsa, csa, B, ldb, C, ldc, acc, tri, off);
	else
		llm_smallgemm(m, n, k, A, rsa, csa, B, ldb, C, ldc, acc, tri, off);
	for (int i = 0; i < m; i++) {
		for (int j = 0; j < ldc; j++) {
			float got = C[i * ldc + j];
			if (j >= n) { /* padding between rows: untouched */
				assert_true(got == C0[i * ldc + j]);
				continue;
			}
			if (!needed(tri, off, i, j))
				continue;
			double want = acc ? C0[i * ldc + j] : 0.0;
			for (int p = 0; p < k; p++)
				want += (double)A[i * rsa + p * csa] * B[p * ldb + j];
			if (fabs(got - want) > 1e-5 * (1 + sqrt((double)k))) {
				fprintf(stderr, "m=%d n=%d k=%d trans=%d acc=%d tri=%d off=%d: C(%d,%d) %g want %g\n",
					m, n, k, a_trans, acc, tri, off, i, j, (double)got, want);
				fail();
			}
		}
	}
	free(A);
	free(B);
	free(C);
	free(C0);
}

static void run_all(bool ref_only)
{
	int shapes[][3] = {{1, 1, 1}, {6, 16, 8}, {7, 17, 3}, {64, 256, 64}, {64, 64, 256},
			   {256, 64, 64}, {13, 40, 29}, {5, 9, 0}, {100, 37, 64}};
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (int t = 0; t < 2; t++)
			for (int acc = 0; acc < 2; acc++)
				for (int tri = LLM_TRI_NONE; tri <= LLM_TRI_KBEGIN; tri++)
					for (int off = 0; off <= 64; off += 32)
						check_one(shapes[s][0], shapes[s][1], shapes[s][2], t, acc,
							  (enum llm_tri)tri, off, ref_only);
}

static void test_smallgemm_kernel(void **state)
{
	(void)state;
	run_all(false);
}

static void test_smallgemm_reference(void **state)
{
	(void)state;
	run_all(true);
}

/* Same inputs, same result to the bit: the order of the sums is fixed. */
static void test_smallgemm_repeatable(void **state)
{
	(void)state;
	int m = 64, n = 192, k = 64;
	float *A = malloc(sizeof(float) * m * k), *B = malloc(sizeof(float) * k * n);
	float *C1 = malloc(sizeof(float) * m * n), *C2 = malloc(sizeof(float) * m * n);
	uint64_t seed = 7;
	for (int i = 0; i < m * k; i++)
		A[i] = val(&seed);
	for (int i = 0; i < k * n; i++)
		B[i] = val(&seed);
	llm_smallgemm(m, n, k, A, k, 1, B, n, C1, n, false, LLM_TRI_NONE, 0);
	llm_smallgemm(m, n, k, A, k, 1, B, n, C2, n, false, LLM_TRI_NONE, 0);
	assert_memory_equal(C1, C2, sizeof(float) * m * n);
	free(A);
	free(B);
	free(C1);
	free(C2);
}

static void test_transpose(void **state)
{
	(void)state;
	int dims[][2] = {{1, 1}, {8, 8}, {256, 64}, {19, 13}, {3, 40}, {41, 9}};
	for (size_t d = 0; d < sizeof(dims) / sizeof(dims[0]); d++) {
		int r = dims[d][0], c = dims[d][1];
		long lds = c + 11, ldd = r + 4;
		float *src = malloc(sizeof(float) * r * lds), *dst = calloc((size_t)c * ldd, sizeof(float));
		for (long i = 0; i < r * lds; i++)
			src[i] = (float)i;
		llm_transpose(dst, ldd, src, lds, r, c);
		for (int i = 0; i < r; i++)
			for (int j = 0; j < c; j++)
				assert_true(dst[j * ldd + i] == src[i * lds + j]);
		for (int j = 0; j < c; j++) /* the padding of each row is untouched */
			for (long i = r; i < ldd; i++)
				assert_true(dst[j * ldd + i] == 0.0f);
		free(src);
		free(dst);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smallgemm_kernel),
		cmocka_unit_test(test_smallgemm_reference),
		cmocka_unit_test(test_smallgemm_repeatable),
		cmocka_unit_test(test_transpose),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
