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
	openblas_set_num_threads(n);
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
	cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
		    trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
		    beta, C, ldc);
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
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n,
			    0.0f, c, n);
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
