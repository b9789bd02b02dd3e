/*
 * blas.h: the matrix products the model library is built on, over OpenBLAS.
 *
 * Threading: one pool.  OpenBLAS is kept single-threaded and llm_sgemm
 * splits a large product into one row (or column) block per OpenMP thread,
 * so OpenBLAS's own threads never compete with OpenMP's on the same cores.
 * Called inside a parallel region it runs on the calling thread.  The split
 * depends only on the shape and the thread count, so results are
 * bit-identical from run to run (the resume guarantee relies on that).
 *
 * All matrices are row-major fp32.
 */
#ifndef LLM_BLAS_H
#define LLM_BLAS_H

#include <stdbool.h>

/* Sets the threads OpenBLAS and OpenMP use (>= 1). */
void llm_blas_set_threads(int n);
int llm_blas_threads(void);

/* C[M,N] = alpha * op(A) op(B) + beta * C, with op(X) = X or X^T.
 * lda/ldb/ldc are the row strides of the matrices as stored. */
void llm_sgemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha,
	       const float *A, int lda, const float *B, int ldb, float beta,
	       float *C, int ldc);

/* Y[M,N] (+)= X[M,K] W[N,K]^T: a linear layer (weights [out, in], as HF). */
void llm_linear_fwd(float *Y, const float *X, const float *W, int M, int K, int N, bool accumulate);
/* dX[M,K] (+)= dY[M,N] W[N,K] and dW[N,K] += dY^T X (dX or dW may be NULL). */
void llm_linear_bwd(float *dX, float *dW, const float *dY, const float *X, const float *W,
		    int M, int K, int N, bool accumulate_dx);

/* Measures this machine's fp32 sgemm throughput (FLOP/s) with the current
 * thread count on n x n matrices, best of reps.  Takes ~0.1-1 s. */
double llm_blas_peak_flops(int n, int reps);

/* Seconds and FLOPs spent inside llm_sgemm since the last reset (for the
 * "share of time in matmuls" figure).  Counting is cheap and always on. */
void llm_blas_stats_reset(void);
double llm_blas_stats_seconds(void);
double llm_blas_stats_flops(void);

#endif
