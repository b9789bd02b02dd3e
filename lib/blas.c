/*
 * blas.c: sgemm over OpenBLAS, linear-layer helpers, a peak-FLOP/s probe and
 * the matmul time counters behind the trainer's "share of time in matmuls".
 */
#include "blas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include <openblas-pthread/cblas.h>

#include "util.h"

static int blas_threads = 1;
static double stat_seconds, stat_flops;

void llm_blas_set_threads(int n)
{
	if (n < 1)
		n = 1;
	blas_threads = n;
	/* one thread pool: OpenBLAS runs single-threaded inside OpenMP's workers
	 * (llm_sgemm splits the rows), so the two never oversubscribe the cores */
	openblas_set_num_threads(1);
	omp_set_num_threads(n);
}

int llm_blas_threads(void)
{
	return blas_threads;
}

void llm_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
	       const float *A, int lda, const float *B, int ldb, float beta,
	       float *C, int ldc)
{
	if (M <= 0 || N <= 0)
		return;
	double t0 = llm_now();
	enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
	enum CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
	int nt = blas_threads;
	double work = 2.0 * M * N * (double)K;
	if (nt > 1 && work >= 4e6 && !omp_in_parallel() && (M >= 16 * nt || N >= 16 * nt)) {
		/* split the larger of M and N into nt fixed blocks (multiples of 16):
		 * the split depends only on the shape and thread count */
		bool by_rows = M >= N || N < 16 * nt;
		int dim = by_rows ? M : N;
		int blk = ((dim + nt - 1) / nt + 15) / 16 * 16;
#pragma omp parallel for schedule(static, 1) num_threads(nt)
		for (int i = 0; i < nt; i++) {
			int s0 = i * blk, n0 = LLM_MIN(blk, dim - s0);
			if (n0 <= 0)
				continue;
			if (by_rows) {
				const float *Ai = trans_a ? A + s0 : A + (size_t)s0 * lda;
				cblas_sgemm(CblasRowMajor, ta, tb, n0, N, K, alpha, Ai, lda, B, ldb, beta,
					    C + (size_t)s0 * ldc, ldc);
			} else {
				const float *Bi = trans_b ? B + (size_t)s0 * ldb : B + s0;
				cblas_sgemm(CblasRowMajor, ta, tb, M, n0, K, alpha, A, lda, Bi, ldb, beta,
					    C + s0, ldc);
			}
		}
	} else {
		cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
	}
	stat_seconds += llm_now() - t0;
	stat_flops += 2.0 * M * N * K;
}

void llm_linear_fwd(float *Y, const float *X, const float *W, int M, int K, int N, bool accumulate)
{
	llm_sgemm(false, true, M, N, K, 1.0f, X, K, W, K, accumulate ? 1.0f : 0.0f, Y, N);
}

void llm_linear_bwd(float *dX, float *dW, const float *dY, const float *X, const float *W,
		    int M, int K, int N, bool accumulate_dx)
{
	if (dX)
		llm_sgemm(false, false, M, K, N, 1.0f, dY, N, W, K, accumulate_dx ? 1.0f : 0.0f, dX, K);
	if (dW)
		llm_sgemm(true, false, N, K, M, 1.0f, dY, N, X, K, 1.0f, dW, K);
}

double llm_blas_peak_flops(int n, int reps)
{
	size_t nn = (size_t)n * n;
	float *a = llm_malloc(nn * sizeof(float)), *b = llm_malloc(nn * sizeof(float));
	float *c = llm_calloc(nn, sizeof(float));
	for (size_t i = 0; i < nn; i++) {
		a[i] = (float)((i * 7) % 13) * 0.01f;
		b[i] = (float)((i * 5) % 11) * 0.01f;
	}
	double best = 0;
	for (int r = 0; r < reps + 1; r++) { /* the first call warms up the pool */
		double t0 = llm_now();
		llm_sgemm(false, true, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
		double dt = llm_now() - t0;
		double f = 2.0 * n * n * (double)n / dt;
		if (r > 0 && f > best)
			best = f;
	}
	free(a);
	free(b);
	free(c);
	return best;
}

void llm_blas_stats_reset(void)
{
	stat_seconds = 0;
	stat_flops = 0;
}

double llm_blas_stats_seconds(void)
{
	return stat_seconds;
}

double llm_blas_stats_flops(void)
{
	return stat_flops;
}
