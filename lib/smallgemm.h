/*
 * smallgemm.h: the small single-threaded products inside causal attention.
 *
 * Attention's per-head products (64 query rows x up to T keys x head_dim)
 * are too small for OpenBLAS to amortise its packing: it reaches about half
 * of the core's FMA peak on them.  This kernel works on the operands where
 * they lie (A read as broadcast scalars through two strides, B as rows of
 * contiguous floats), keeps a 6 x 16 tile of C in registers, and skips the
 * tiles that the causal mask makes zero or unused.
 *
 * Results depend only on the shapes (a fixed summation order): bit-identical
 * from run to run and for any thread count.  The AVX2+FMA kernel is used
 * when the CPU has it, a plain C loop otherwise.
 */
#ifndef LLM_SMALLGEMM_H
#define LLM_SMALLGEMM_H

#include <stdbool.h>

/* Which part of the product the caller needs, for causal attention; i is the
 * row of C, j its column, p the summation index, off the caller's offset. */
enum llm_tri {
	LLM_TRI_NONE,   /* everything */
	LLM_TRI_COLS,   /* C(i, j) needed for j <= off + i (others may be garbage) */
	LLM_TRI_KEND,   /* A(i, p) is zero for p > off + i */
	LLM_TRI_KBEGIN, /* A(i, p) is zero for p < i - off */
};

/* C(i, j) (+)= sum_p A(i, p) B(p, j) for i < m, j < n, p < k, where
 * A(i, p) = A[i * rsa + p * csa], B(p, j) = B[p * ldb + j] and
 * C(i, j) = C[i * ldc + j]; accumulate adds to C instead of overwriting it. */
void llm_smallgemm(int m, int n, int k, const float *A, long rsa, long csa, const float *B,
		   long ldb, float *C, long ldc, bool accumulate, enum llm_tri tri, int off);

/* The plain C version (for tests: the same contract, other rounding). */
void llm_smallgemm_ref(int m, int n, int k, const float *A, long rsa, long csa, const float *B,
		       long ldb, float *C, long ldc, bool accumulate, enum llm_tri tri, int off);

/* dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols. */
void llm_transpose(float *dst, long ldd, const float *src, long lds, int rows, int cols);

#endif
